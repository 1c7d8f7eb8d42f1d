# SPDX-License-Identifier: GPL-2.0-or-later
# The ARM bed (issue 18; tests/vm/README.md "The ARM bed"): Debian's arm64
# kernel under qemu-system-aarch64 -M virt (TCG), the PC side from Debian's
# arm64 packages (pcscd, libccid, OpenSC, openssl), dummy_hcd between them,
# and the daemon and client of the arm64 Debian package (tests/vm/arm-build
# deb arm64; the host tools cross-built). On it:
#  - arm64: the reader enumerates, pcscd + libccid list it, the test card's
#    ATR and APDUs (pcsc_client and opensc-tool); the malformed battery's
#    quick set (ccid_raw), the daemon alive and a fresh pcscd served after;
#    N UDC unbind/rebind and N card remove/insert with APDUs in flight;
#    the emulated CAC card (personality=cac) listed, its certificates and a
#    signature openssl verifies through OpenSC's PKCS#11 module; a passthru
#    card served by ccid-vscclient (the arm64 one), listed and signing;
#  - 32-bit ARM (armel, the Pi Zero's Debian ABI) on the same kernel's
#    compat mode: the cross-built armel daemon (its libraries from the
#    armel sysroot, its loader /lib/ld-linux.so.3) serves the test card's
#    APDUs to the arm64 pcscd and to an armel pcsc_client, survives the
#    malformed set, and serves the CAC card through OpenSC (list and sign);
#  - the Pi Zero's own (make soak's second boot, --arch armel): Debian's armel rpi
#    kernel (ARMv6, 32-bit) on QEMU's raspi0, everything in the VM armel
#    (pcscd, libccid, OpenSC from Debian's armel packages, the daemon and
#    tools cross-built): the reader, the test card's APDUs, the CAC card
#    listed and signing through OpenSC (the malformed set with LONG=1).
# make check boots arm64 once: N=3 and the quick sets (35 s of VM on a
# quiet machine, 82 s under load: tests/vm/README.md); tests/soak boots
# both lines with N=100, the whole malformed battery and LONG=1: every
# certificate byte for byte, the token line, RSA decryption, on each card.
# bed-setup: tests/vm/arm-build tools arm64 armel && tests/vm/arm-build deb arm64 && tests/vm/cards/make-dbs
# bed: --arch arm64 --name arm64 --bin-dir build/packages/arm64/bin --timeout 300 --add build/cards/nopin:/cards/nopin --add build/armel/ccid-gadget:/bed/armel/ccid-gadget --add build/armel/tools/pcsc_client:/bed/armel/pcsc_client
# The Pi Zero's boot is make soak's only (its "# bed-soak:" line): the
# raspi0 guest stalled as a whole (even `timeout` inside it never fired) in
# about half of its boots here (tests/vm/README.md, "The ARM bed").
# bed-soak: --arch armel --name arm-pizero --timeout 400 --add build/cards/nopin:/cards/nopin

N=3
QUICK=--quick
LONG=0
ATR=3B9A118031FE456363696467616467657498
. /bed/p11.sh
# a hung pkcs11-tool fails its check (and the logs get dumped) instead of
# the whole boot timing out
P11="timeout 90 $P11"
D=/cards/nopin
G=arm64

cac_spec() {
	echo "emulated,backend=certificates,db=sql:$D,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac"
}
# ELF header bytes 4 (class: 1 = 32-bit, 2 = 64-bit) and 18-19 (machine,
# little-endian: b7 00 = AArch64, 28 00 = ARM): FILE CLASS MACHINE
elf_is() {
	[ "$(od -An -tx1 -j4 -N1 "$1" | tr -d ' ')" = "$2" ] &&
		[ "$(od -An -tx1 -j18 -N2 "$1" | tr -d ' ')" = "$3" ]
}
# The malformed battery's set ($QUICK) on the running daemon, pcscd
# stopped; the daemon alive after it (check names "$G: ...").
malformed_set() {
	local g=$G
	pcscd_stop
	G="$g malformed"
	raw --sysfs "$(host_dev)" $QUICK lengths headers short slots flood
	G=$g
	check "$G: the daemon is alive after the malformed set" alive "$GADGET_PID"
}
# ... then a fresh pcscd served by it. WRAPPER: e.g. timeout 60.
fresh_pcscd_served() { # [WRAPPER...]
	check "$G: a fresh pcscd starts" pcscd_start
	check "$G: ... and is served: ATR and an APDU" \
		"$@" pcsc_client --wait-reader 15 --wait-card 15 --atr --echo 16
}
apdus() { # the test card through PC/SC: ATR, ECHO and GENERATE both ways
	pcsc_client ${1:+--protocol $1} --wait-reader 15 --wait-card 15 --atr --expect-atr $ATR \
		--disconnect unpower --echo 16 --echo 300 --generate 700 80EE0000021122 -e 11229000
}
# The CAC card through OpenSC's PKCS#11 module: the three certificates
# listed, a signature openssl verifies; LONG=1: the token line, the
# certificates byte for byte, a decryption.
cac_listed_and_signing() {
	three_certs_listed && sign_and_verify $ANY_PIN $D || return 1
	[ $LONG = 1 ] || return 0
	token_listed && cert_identical 0001 $D/id-cert.der && cert_identical 0002 $D/signing-cert.der &&
		cert_identical 0003 $D/encryption-cert.der && decrypt_round_trip $ANY_PIN $D
}
# lap WHAT: how long the part since the last lap took, as a diagnostic
# (TCG's cost of each part, for tests/vm/README.md's figures)
LAP_MS=$(now_ms)
lap() {
	local t
	t=$(now_ms)
	diag "arm: $1 took $(((t - LAP_MS) / 100 / 10)).$(((t - LAP_MS) / 100 % 10)) s"
	LAP_MS=$t
}
at_high_speed() { [ "$(cat "$(host_dev)/speed" 2>/dev/null)" = 480 ]; }

# ---- the Pi Zero's bed: everything 32-bit on a 32-bit ARMv6 kernel ----
pizero() {
	G=pizero
	check "$G: the kernel is Debian's rpi one ($(uname -r)) on an ARMv6 core" \
		sh -c 'uname -r | grep -q -- "-rpi$" && grep -q "ARMv6" /proc/cpuinfo'
	elf_is "$(command -v ccid-gadget)" 01 2800 && elf_is "$(command -v pcscd)" 01 2800 &&
		elf_is "$(command -v pcsc_client)" 01 2800 &&
		ok "$G: the daemon, pcscd and pcsc_client are 32-bit ARM ELF" ||
		not_ok "$G: the daemon, pcscd and pcsc_client are 32-bit ARM ELF"
	check "$G: modules load (dummy_hcd, usb_f_fs)" usb_load high
	check "$G: systemd-udevd starts" udevd_start
	check "$G: pcscd starts" pcscd_start
	check "$G: ccid-gadget --card test starts, the host enumerates it" gadget_start --card test
	check "$G: pcscd + libccid list exactly one reader" \
		pcsc_client --wait-reader 10 --list --expect-readers 1
	check "$G: T=1: ATR, ECHO and GENERATE up to 700 bytes" apdus t1
	check "$G: opensc-tool --send-apdu (ECHO)" opensc_echo
	check "$G: the daemon exits 0 on SIGTERM" gadget_stop
	lap "boot to the test card's APDUs (Pi Zero)"
	check "$G: the CAC card (personality=cac) starts" gadget_start -v --card "$(cac_spec)"
	check "$G: its ATR is libcacard's" pcsc_client --wait-reader 15 --wait-card 15 --atr --expect-atr $CAC_ATR
	check "$G: OpenSC lists John Doe's three certificates, signs; openssl verifies" \
		cac_listed_and_signing
	check "$G: the daemon exits 0 on SIGTERM" gadget_stop
	lap "the CAC card through OpenSC (Pi Zero)"
	[ $LONG = 1 ] || return 0
	# LONG=1 (make soak) only, as the N=100 cycles of the arm64 boot
	check "$G: ccid-gadget --card test starts again" gadget_start --card test
	malformed_set
	fresh_pcscd_served timeout 60
	check "$G: the daemon exits 0 on SIGTERM" gadget_stop
	lap "the malformed set (Pi Zero)"
}
if [ "$(uname -m)" = armv6l ]; then
	for f in ccid-gadget pcscd pcsc_client ccid_raw openssl; do
		command -v $f >/dev/null || { not_ok "pizero: $f is in the image" "see the # bed: lines"; exit 1; }
	done
	echo "ccid-gadget signs this on a Pi Zero" >/tmp/msg
	pizero
	exit 0
fi

# ---- the arm64 bed ----
for f in ccid-gadget ccid-vscclient pcsc_client ccid_raw openssl /bed/armel/ccid-gadget /bed/armel/pcsc_client; do
	command -v $f >/dev/null || { not_ok "arm: $f is in the image" "see the # bed: lines"; exit 1; }
done
check "arm: the kernel is Debian's arm64 one ($(uname -r), $(uname -m))" \
	sh -c '[ "$(uname -m)" = aarch64 ] && uname -r | grep -q -- "-arm64$"'
elf_is "$(command -v ccid-gadget)" 02 b700 && elf_is "$(command -v ccid-vscclient)" 02 b700 &&
	ok "arm: ccid-gadget and ccid-vscclient are 64-bit AArch64 ELF" ||
	not_ok "arm: ccid-gadget and ccid-vscclient are 64-bit AArch64 ELF"
elf_is /bed/armel/ccid-gadget 01 2800 && elf_is /bed/armel/pcsc_client 01 2800 &&
	ok "arm: the armel daemon and pcsc_client are 32-bit ARM ELF" ||
	not_ok "arm: the armel daemon and pcsc_client are 32-bit ARM ELF"
check "self-test: elf_is tells AArch64 from ARM" fails elf_is /bed/armel/ccid-gadget 02 b700
check "$G: modules load (dummy_hcd, usb_f_fs)" usb_load high
check "$G: systemd-udevd starts" udevd_start
check "$G: pcscd starts" pcscd_start
echo "ccid-gadget signs this on ARM" >/tmp/msg

# ---- arm64: the test card ----
check "$G: ccid-gadget --card test starts, the host enumerates it" gadget_start --card test
check "$G: ... at high speed" at_high_speed
check "$G: descriptors match CCID 1.1 field by field" \
	check_descriptors --speed high "$(host_dev)/descriptors"
check "$G: pcscd + libccid list exactly one reader" \
	pcsc_client --wait-reader 10 --list --expect-readers 1
check "self-test: pcsc_client flags a wrong answer (exit 1)" \
	sh -c 'pcsc_client --wait-card 10 --disconnect unpower 80EE0000021122 -e 11239000; [ $? = 1 ]'
check "$G: T=0: ATR, ECHO and GENERATE up to 700 bytes" apdus t0
check "$G: T=1: the same" apdus t1
check "$G: opensc-tool --send-apdu (ECHO)" opensc_echo

lap "boot to the test card's APDUs (arm64)"

# ---- arm64: the malformed battery's quick set ----
rss0=$(rss_kb "$GADGET_PID")
malformed_set
diag "$G: VmRSS $rss0 kB -> $(rss_kb "$GADGET_PID") kB over the malformed set"
fresh_pcscd_served

lap "the malformed set and a fresh pcscd (arm64)"

# ---- arm64: UDC rebind and card cycles with APDUs in flight ----
rebind_step() {
	udc_unbind || why="unbind write failed"
	[ -n "$why" ] || wait_for 10 host_gone || why="host still sees the reader"
	[ -n "$why" ] || udc_bind || why="bind write failed"
	[ -n "$why" ] || wait_enumerated 20 || why="not enumerated again (UDC $(udc_state))"
	[ -n "$why" ] || pcsc_client -q --wait-reader 15 --wait-card 15 --echo 64 ||
		why="no APDU answer after the rebind"
}
# card_step, CARD_GONE: lib.sh
cycles() { # STEP WHAT
	local i fails=0 failed= why
	for i in $(seq 1 $N); do
		why=
		$1
		alive $GADGET_PID || why="daemon died"
		[ -z "$why" ] && continue
		fails=$((fails + 1))
		failed="$failed [cycle $i: $why]"
		alive $GADGET_PID || break
	done
	[ $fails = 0 ] && ok "$G: $N $2: back and answering every time" ||
		not_ok "$G: $N $2: back and answering every time" "$fails failed:$failed"
}
loop_start
cycles rebind_step "UDC unbind/rebind"
check "$G: the APDU client during the rebinds: no wrong answer, no hang" loop_stop
loop_start --loop-errors $CARD_GONE --loop-max-ms 3000 --echo 300 --generate 700
cycles card_step "card remove/insert"
check "$G: the APDU client during the card cycles: answered right or card-gone, none hung" loop_stop
check "$G: the daemon exits 0 on SIGTERM" gadget_stop

lap "$N UDC rebinds and $N card cycles (arm64)"

# ---- arm64: the CAC card through OpenSC ----
check "$G: the CAC card (personality=cac) starts" gadget_start --card "$(cac_spec)"
check "$G: its ATR is libcacard's" pcsc_client --wait-reader 15 --wait-card 15 --atr --expect-atr $CAC_ATR
check "$G: OpenSC lists John Doe's three certificates, signs; openssl verifies" \
	cac_listed_and_signing
check "$G: ... and the signature does not verify against id-cert's key" verifies_not $D/id-cert.der
M=$(pcscd_log_mark)
check "$G: the daemon exits 0 on SIGTERM" gadget_stop
check "$G: pcscd drops the CAC card's reader" pcscd_drops_reader "$M"

lap "the CAC card through OpenSC (arm64)"

# ---- arm64: a passthru card from ccid-vscclient ----
PORT=35963
EMUL="db=\"sql:$D\" use_hw=no soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)"
echo "+ ccid-gadget --card passthru,listen=127.0.0.1:$PORT" >>/tmp/gadget.log
ccid-gadget -v --card passthru,listen=127.0.0.1:$PORT >>/tmp/gadget.log 2>&1 3>&- 4<&- &
GADGET_PID=$!
check "$G: passthru: the daemon listens (its control socket is up)" wait_for 15 test -S /run/ccid-gadget.sock
mkfifo /tmp/vsc.fifo
ccid-vscclient -d 1 -e "$EMUL" 127.0.0.1 $PORT </tmp/vsc.fifo >>/tmp/vscclient.log 2>&1 3>&- 4<&- &
CLIENT_PID=$!
exec 4>/tmp/vsc.fifo
check "$G: passthru: ccid-vscclient's reader plugs the reader in, the host enumerates it" wait_enumerated 30
check "$G: passthru: the card's ATR is the client's libcacard's" \
	pcsc_client --wait-reader 15 --wait-card 15 --atr --expect-atr $CAC_ATR
check "$G: passthru: OpenSC lists the three certificates, signs; openssl verifies" \
	cac_listed_and_signing
echo quit >&4
exec 4>&-
if wait_for 10 sh -c "! kill -0 $CLIENT_PID 2>/dev/null || grep -q '^State:.*Z' /proc/$CLIENT_PID/status"; then
	wait $CLIENT_PID
	crc=$?
else
	kill -9 $CLIENT_PID
	crc=124
fi
[ $crc = 0 ] && ok "$G: passthru: ccid-vscclient exited 0 on quit" ||
	not_ok "$G: passthru: ccid-vscclient exited 0 on quit" "exit $crc; $(tail -n 3 /tmp/vscclient.log)"
check "$G: passthru: the daemon exits 0 on SIGTERM" gadget_stop

lap "the passthru card (arm64)"

# ---- armel: the 32-bit daemon on the arm64 kernel (compat) ----
G=armel
GADGET_BIN=/bed/armel/ccid-gadget
check "$G: the armel ccid-gadget --card test starts, the host enumerates it" gadget_start --card test
check "$G: ... it runs as a 32-bit process (its /proc/PID/exe is 32-bit ARM)" elf_is /proc/$GADGET_PID/exe 01 2800
check "$G: pcscd (arm64) lists the reader" pcsc_client --wait-reader 15 --list --expect-readers 1
check "$G: T=1: ATR, ECHO and GENERATE through the arm64 pcscd" apdus t1
check "$G: opensc-tool --send-apdu (ECHO)" opensc_echo
check "$G: an armel pcsc_client (armel libpcsclite, 32-bit) is served too" \
	/bed/armel/pcsc_client --wait-card 15 --atr --expect-atr $ATR --echo 300 --generate 700
# the 32-bit engine against the malformed set: its lengths are 32-bit
# size_t there
malformed_set
fresh_pcscd_served
check "$G: the daemon exits 0 on SIGTERM" gadget_stop
lap "the test card and the malformed set on the armel daemon"
check "$G: the CAC card (personality=cac) starts on the armel daemon" gadget_start --card "$(cac_spec)"
check "$G: its ATR is libcacard's" pcsc_client --wait-reader 15 --wait-card 15 --atr --expect-atr $CAC_ATR
check "$G: OpenSC lists John Doe's three certificates, signs; openssl verifies" \
	cac_listed_and_signing
M=$(pcscd_log_mark)
check "$G: the daemon exits 0 on SIGTERM" gadget_stop
check "$G: pcscd drops the armel CAC card's reader" pcscd_drops_reader "$M"
GADGET_BIN=
lap "the CAC card on the armel daemon"
