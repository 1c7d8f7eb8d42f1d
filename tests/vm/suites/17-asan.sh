# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon built with ASan + UBSan (make SAN=1: build/asan/ccid-gadget)
# in the VM bed, under the hostile suites' load (issue 7): the malformed-
# CCID battery (ccid_raw), UDC rebinds and card churn with APDUs in
# flight, a passthru client killed mid-session and garbage on its port;
# the emulated card (libcacard + NSS, personality cac+piv: the PIV edge is
# built on the card's worker at its first power-on) through what Windows'
# and macOS's stacks send first (tests/vm/piv/*.apdu), a PIV signature,
# and card cycles and rebinds with a CAC client running.
# Any sanitizer report fails (halt_on_error: the daemon dies and says
# why; the report lands in /tmp/asan.*), and so does a leak at exit
# (detect_leaks: LeakSanitizer at SIGTERM).
# bed-setup: tests/vm/cards/make-dbs
# bed: --timeout 600 --add build/asan/ccid-gadget:/bed/bin/ccid-gadget-asan --add build/cards/nopin:/cards/nopin --add tests/vm/piv:/bed/piv

G=asan
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:log_path=/tmp/asan
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=/tmp/ubsan
GADGET_BIN=ccid-gadget-asan
EMUL="db=\"sql:/cards/nopin\" use_hw=no soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)"

no_reports() {
	local f found=0
	for f in /tmp/asan.* /tmp/ubsan.*; do
		[ -e "$f" ] || continue
		found=1
		echo "===== $f"
		cat "$f"
	done
	[ $found = 0 ]
}
ccid_raw_all() { # ccid_raw's TAP lines as one check
	ccid_raw "$@" >/tmp/raw.out 2>&1
	local rc=$?
	cat /tmp/raw.out
	[ $rc = 0 ] && ! grep -q '^not ok' /tmp/raw.out
}

command -v ccid-gadget-asan >/dev/null || { not_ok "$G: build/asan/ccid-gadget is in the image" "make SAN=1 build/asan/ccid-gadget"; exit 1; }
check "$G: modules load" usb_load high
check "$G: systemd-udevd starts" udevd_start
check "$G: the ASan daemon starts with the test card" gadget_start --card test
check "$G: malformed CCID battery (ccid_raw, no pcscd): all answered in step" \
	ccid_raw_all --quick lengths headers short slots flood
check "$G: ... no sanitizer report" no_reports
check "$G: pcscd starts" pcscd_start
loop_start
i=0 bad=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	udc_unbind; wait_for 10 host_gone || bad=$((bad + 1))
	udc_bind; wait_enumerated 20 || bad=$((bad + 1))
	ccid-gadget ctl remove >/dev/null; ccid-gadget ctl insert >/dev/null
done
check "$G: the APDU client through it: no wrong answer, no hang" loop_stop
check "$G: 10 rebinds and card cycles with APDUs in flight: the reader comes back" test $bad = 0
check "$G: ... an APDU afterwards" wait_for 30 pcsc_client -q --wait-reader 5 --wait-card 5 --echo 64
check "$G: ... no sanitizer report" no_reports
M=$(pcscd_log_mark)
check "$G: SIGTERM: exit 0, no leak reported (LeakSanitizer)" gadget_stop
check "$G: ... no sanitizer report" no_reports
check "$G: ... pcscd drops the reader" pcscd_drops_reader "$M"

# the emulated card under ASan: libcacard, NSS and the PIV edge
CAC_SELECT=00A4040007A0000000790100
ESPEC="emulated,backend=certificates,db=sql:/cards/nopin,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac+piv,state-dir=/tmp/asan-piv"
# SELECT PIV, VERIFY with the PIN of a db without a password (123456,
# vcg_piv_state.h), GENERAL AUTHENTICATE with 9A over a PKCS#1 block
# (SP 800-73-4 Part 2 3.2.4; extended APDU: 7C 82 01 06 82 00 81 82 01 00
# + 256 bytes): a 256-byte signature in 82.
piv_sign_script() {
	local i
	echo "00A404000BA00000030800001000010000 sw=9000"
	echo "0020008008313233343536FFFF raw sw=9000"
	{
		printf '0087079A00010A7C8201068200818201000001'
		for i in $(seq 202); do printf FF; done
		printf '003031300D060960864801650304020105000420'
		for i in $(seq 32); do printf AB; done
		printf '0000 raw sw=9000 tag=7C has=82\n'
	}
}
emul_cycles() { # N card cycles and N rebinds, the CAC client running
	local i=0 bad=0
	while [ $i -lt 5 ]; do
		i=$((i + 1))
		ccid-gadget ctl remove >/dev/null; ccid-gadget ctl insert >/dev/null
		udc_unbind; wait_for 10 host_gone || bad=$((bad + 1))
		udc_bind; wait_enumerated 20 || bad=$((bad + 1))
	done
	[ $bad = 0 ]
}
mkdir -p /tmp/asan-piv
piv_sign_script >/tmp/asan-sign.apdu
check "$G: emulated: the ASan daemon starts the cac+piv card" gadget_start --card "$ESPEC"
check "$G: emulated: Windows' discovery sequence answered (tests/vm/piv)" \
	apdu_replay --wait-card 30 --reset /bed/piv/windows-discovery.apdu
check "$G: emulated: macOS's PIV token sequence answered" \
	apdu_replay --reset /bed/piv/macos-piv-token.apdu
check "$G: emulated: PIV VERIFY and a GENERAL AUTHENTICATE signature with 9A" \
	apdu_replay --reset /tmp/asan-sign.apdu
check "$G: emulated: ... no sanitizer report" no_reports
loop_start $CAC_SELECT --expect-sw 610D
check "$G: emulated: 5 card cycles and rebinds with a CAC client running: the reader comes back" emul_cycles
check "$G: emulated: ... the CAC client: no wrong answer, no hang" loop_stop
check "$G: emulated: ... the CAC applet answers afterwards" \
	wait_for 30 pcsc_client -q --wait-reader 5 --wait-card 5 $CAC_SELECT --expect-sw 610D
check "$G: emulated: ... no sanitizer report" no_reports
M=$(pcscd_log_mark)
check "$G: emulated: SIGTERM: exit 0, no leak reported (LeakSanitizer)" gadget_stop
check "$G: emulated: ... no sanitizer report" no_reports
check "$G: emulated: ... pcscd drops the reader" pcscd_drops_reader "$M"

# passthru: a client that vanishes, garbage, a second client
PORT=35963
echo "+ ccid-gadget-asan --card passthru,listen=127.0.0.1:$PORT" >>/tmp/gadget.log
ccid-gadget-asan --card passthru,listen=127.0.0.1:$PORT >>/tmp/gadget.log 2>&1 3>&- 4<&- &
GADGET_PID=$!
check "$G: passthru: the ASan daemon listens" wait_for 10 test -S /run/ccid-gadget.sock
ccid-vscclient -n -e "$EMUL" 127.0.0.1 $PORT </dev/null >/tmp/vsc.log 2>&1 &
VSC=$!
check "$G: passthru: the client's reader is plugged in" wait_enumerated 30
check "$G: passthru: the card answers" pcsc_client --wait-reader 15 --wait-card 15 --atr
ccid-vscclient -n -e "$EMUL" 127.0.0.1 $PORT </dev/null >/tmp/vsc2.log 2>&1
kill -9 $VSC; wait $VSC 2>/dev/null
check "$G: passthru: the killed client's reader is unplugged" wait_for 20 host_gone
printf 'GARBAGE\000\000\000\001\377\377\377\377\377\377\377\377' | timeout 5 nc 127.0.0.1 $PORT >/dev/null 2>&1
sleep 1
check "$G: passthru: after a second client, a killed one and garbage: alive" alive "$GADGET_PID"
check "$G: passthru: ... no sanitizer report" no_reports
check "$G: passthru: SIGTERM: exit 0, no leak reported" gadget_stop
check "$G: passthru: ... no sanitizer report" no_reports
