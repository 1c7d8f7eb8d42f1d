# SPDX-License-Identifier: GPL-2.0-or-later
# A slow card: --card test,delay_ms=3500 answers power-on and every APDU
# after 3.5 s, longer than libccid's 3 s read timeout; the reader must keep
# the host waiting with time extensions (RDR_to_PC_DataBlock with
# bmCommandStatus 2, CCID 1.1 Section 6.2.6). Also what a host does to a
# slow card: unbinding the UDC, or removing the card, while an APDU is
# pending.
# The daemon records the session (--pcap); tests/vm/slow-pcap-check
# decodes it on the build machine and times the time extensions against
# the waiting time the card's parameters give the host (ccid_time_ext.c):
# the ATR has no TC2 and libccid sends no SetParameters to an automatic-PPS
# reader, so T=0 WWT = 960 x 10 x 372 / 3.58 MHz = 997 ms, and an extension
# is due at most every 500 ms (4 ticks of 100 ms) with bError 1.
# bed: --name slow-card --timeout 240
# bed-after: tests/vm/slow-pcap-check build/vm/runs/slow-card PCAP-SLOW 997

DELAY=3500         # ms; > libccid's 3 s read timeout (make check had 5000, 63 s)

if ! command -v ccid-gadget >/dev/null; then
	not_ok "slow: build/ccid-gadget is in the image" "run make first"
	exit 1
fi
took_at_least() { # MS CMD...: CMD succeeds and takes >= MS (the delay was real)
	local min=$1 t0 t1 rc=0
	shift
	t0=$(now_ms)
	"$@" || rc=$?
	t1=$(now_ms)
	echo "took $((t1 - t0)) ms (at least $min expected)"
	[ $rc = 0 ] && [ $((t1 - t0)) -ge "$min" ]
}

# libccid's COMM log shows the time extensions it received.
export LIBCCID_ifdLogLevel=0x000F
check "slow: modules load" usb_load high
check "slow: systemd-udevd starts" udevd_start
check "slow: pcscd starts" pcscd_start
T_START=$(now_ms)
check "slow: daemon with --card test,delay_ms=$DELAY starts" \
	gadget_start --card test,delay_ms=$DELAY -v --pcap /tmp/slow.pcap
check "slow: reader listed" pcsc_client --wait-reader 10 --list --expect-readers 1
ATR=3B9A118031FE456363696467616467657498
# libccid's IccPowerOn waits up to 60 s for the ATR, but takes the first
# DataBlock as the answer: a time extension there would be read as an
# empty ATR.
check "slow: pcscd got the full ATR from the late power-on" \
	pcsc_client --wait-card 30 --reader-atr --expect-atr $ATR
# pcscd powers the card up as soon as it finds the reader (and holds the
# reader list until then), so time it from the daemon's start.
check "slow: the power-on really took the delay (>= $((DELAY - 1000)) ms from daemon start)" \
	test $(($(now_ms) - T_START)) -ge $((DELAY - 1000))
check "slow: connect and read the ATR" pcsc_client --atr --expect-atr $ATR
check "slow: ECHO answered after ${DELAY} ms, through libccid's 3 s timeout" \
	took_at_least $DELAY pcsc_client --echo 16
check "slow: libccid received time extensions" \
	grep -q 'Time extension requested' /tmp/pcscd.log
check "slow: extended ECHO 4096 answered late too" \
	took_at_least $DELAY pcsc_client -q --echo 4096
check "slow: two APDUs in a row, each answered late" took_at_least $((2 * DELAY)) \
	pcsc_client -q --echo 8 --generate 300

# Unbind the UDC while an APDU is pending, rebind: the stale answer must be
# dropped, the daemon must live, and the reader must work again.
pcsc_client -q --echo 32 >/tmp/pending1.out 2>&1 &
p1=$!
sleep 1
pcscd_mark=$(pcscd_log_mark)
check "slow: UDC unbind with an APDU pending" udc_unbind
check "slow: host sees the reader go" wait_for 10 host_gone
check "slow: pcscd drops the reader" pcscd_drops_reader $pcscd_mark
check "slow: the pending client gets an error, not a hang" \
	wait_for 15 sh -c "! kill -0 $p1 2>/dev/null"
wait $p1
echo "pending client exit $?: $(cat /tmp/pending1.out)"
sleep $(((DELAY + 999) / 1000))   # the card's held answer fires while unbound
check "slow: daemon alive after its answer arrived unbound" alive $GADGET_PID
check "slow: UDC rebind" udc_bind
check "slow: host enumerates the reader again" wait_enumerated 20
check "slow: APDU works after the rebind" \
	pcsc_client -q --wait-reader 15 --wait-card 30 --echo 16

# Remove the card while an APDU is pending.
pcsc_client -q --echo 32 >/tmp/pending2.out 2>&1 &
p2=$!
sleep 1
check "slow: ctl remove with an APDU pending" ccid-gadget ctl remove 0
check "slow: the pending client gets an error promptly" \
	wait_for 10 sh -c "! kill -0 $p2 2>/dev/null"
wait $p2
echo "pending client exit $?: $(cat /tmp/pending2.out)"
check "slow: pcscd sees the card absent" pcsc_client --wait-absent 10
check "slow: ctl insert" ccid-gadget ctl insert 0
check "slow: APDU works on the reinserted card" \
	took_at_least $DELAY pcsc_client -q --wait-card 30 --echo 16
check "slow: daemon exits 0 on SIGTERM" gadget_stop
pcap_export() { # FILE MARKER: base64 on the TAP channel, for bed-after
	[ -s "$1" ] || return 1
	echo "pcap: $(wc -c <"$1") bytes"
	base64 "$1" | sed "s/^/@@$2 /" >&3
}
check "slow: capture exported for tshark (bed-after)" pcap_export /tmp/slow.pcap PCAP-SLOW
