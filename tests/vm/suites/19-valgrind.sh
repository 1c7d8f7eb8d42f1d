# SPDX-License-Identifier: GPL-2.0-or-later
# The normal build of the daemon (build/ccid-gadget, -O2 -g) under
# valgrind's memcheck in the VM bed (issue 7), the counterpart of
# 17-asan.sh: memcheck also sees uses of uninitialised memory, which ASan
# does not, and needs no special build. Two daemons, each under memcheck:
#  (a) the test card, on its configfs gadget (dummy_udc.0): the malformed-
#      CCID battery (ccid_raw --quick, no pcscd), PC/SC APDUs, N UDC
#      unbind/rebinds and N card remove/insert with APDUs in flight;
#  (b) libcacard's emulated CAC card on the nopin NSS db (make-dbs), with
#      --ffs on a gadget of this script's own (dummy_udc.1): ATR, APDUs,
#      OpenSC reading the certificates, N rebinds and card cycles with a
#      client looping SELECTs.
# libcacard + NSS take ~2 minutes to start under memcheck on TCG, so (b)
# starts first and starts up while (a) runs; it is bound to its UDC only
# once (a) is done (one reader at a time for pcscd, host_gone, ccid_raw).
# Each run ends with SIGTERM: valgrind's exit status must be 0 (99 on any
# memcheck error or definite/indirect leak: --error-exitcode), its log
# must say "ERROR SUMMARY: 0 errors" and show no definitely or indirectly
# lost bytes; the log is printed when a check fails. A memcheck error
# logged mid-run fails the check right after it. Suppressions:
# tests/valgrind.supp. make soak runs it with N=20 and LONG=1 (tests/soak).
# bed-setup: tests/vm/cards/make-dbs
# bed: --timeout 480 --add tests/valgrind.supp:/bed/valgrind.supp --add build/cards/nopin:/cards/nopin

N=1                # UDC rebinds and card cycles of each daemon (make soak: 20)
LONG=0             # 1: also the whole ccid_raw battery and pkcs11-tool (make soak)

G=valgrind
. /bed/p11.sh
AID=F043434944544301
CAC_SELECT=00A4040007A0000000790100
# personality=cac: p11.sh's checks read OpenSC's CAC view (IDs 0001..0003, any PIN); the default cac+piv card is piv.sh's
EMUL_SPEC="emulated,backend=certificates,db=sql:/cards/nopin,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac"
VG_OPTS="--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
 --show-leak-kinds=definite,indirect --suppressions=/bed/valgrind.supp --num-callers=30 --vgdb=no"
# (b)'s gadget: plain configfs, one FunctionFS function served by --ffs
EG=/sys/kernel/config/usb_gadget/vg-emul
EFFS=/run/ffs-vg-emul
ECTL=/run/vg-emul.sock
# valgrind under TCG: exits (the leak check) take seconds, starts tens of them
GADGET_WAIT_S=120
GADGET_STOP_S=120

vg_dump() { # the whole log, to the console
	echo "===== valgrind log $VG_LOG"
	cat "$VG_LOG" 2>/dev/null
	echo "===== end of $VG_LOG"
}
# The kinds of error memcheck reports as they happen (leaks come at exit).
# A clean log holds only its banner until then.
VG_ERRORS='== (Invalid (read|write|free)|.*uninitialised|Conditional jump|Mismatched free|Source and destination overlap|Syscall param|Argument .* of function|Jump to the invalid address|Process terminating|.*Address 0x)'
VG_LEAKS='are (definitely|indirectly) lost in loss record'
vg_why() { # [RE]: the first error (or leak record) of the log, marked for check's diagnostics
	awk -v re="${1:-$VG_ERRORS|$VG_LEAKS}" '
		!n && $0 ~ re { n = 1 }
		n && /^==[0-9]+== *$/ { exit }
		n && n++ <= 6 { sub(/^==[0-9]+== /, ""); print "memcheck error: " $0 }' "$VG_LOG"
}
vg_no_errors_yet() {
	[ -s "$VG_LOG" ] || { echo "no valgrind log $VG_LOG: valgrind did not run"; return 1; }
	grep -q 'Memcheck, a memory error detector' "$VG_LOG" || { echo "not memcheck's log: $VG_LOG"; vg_dump; return 1; }
	grep -Eq "$VG_ERRORS" "$VG_LOG" || return 0
	vg_why
	vg_dump
	return 1
}
vg_summary_clean() {
	grep -q 'ERROR SUMMARY: 0 errors' "$VG_LOG" && return 0
	grep 'ERROR SUMMARY' "$VG_LOG" | sed 's/^/memcheck error summary: /' | grep . ||
		echo "no ERROR SUMMARY in $VG_LOG: valgrind did not finish"
	vg_why
	vg_dump
	return 1
}
vg_no_leaks() {
	grep -q 'ERROR SUMMARY' "$VG_LOG" || { echo "no ERROR SUMMARY in $VG_LOG: valgrind did not finish"; return 1; }
	grep -Eq '(definitely|indirectly) lost: [1-9]' "$VG_LOG" || return 0
	grep -E '(definitely|indirectly) lost: [1-9]' "$VG_LOG" | sed 's/^/memcheck leak error: /'
	vg_why "$VG_LEAKS"
	vg_dump
	return 1
}
vg_stop() { # SIGTERM; valgrind's exit status must be 0
	local rc=0
	gadget_stop || rc=$?
	echo "valgrind exit status $rc"
	[ $rc = 0 ] && return 0
	grep 'ERROR SUMMARY' "$VG_LOG" | sed 's/^/memcheck error summary: /'
	vg_why
	vg_dump
	return $rc
}
ccid_raw_all() { # ccid_raw's TAP lines as one check
	ccid_raw "$@" >/tmp/raw.out 2>&1
	local rc=$?
	cat /tmp/raw.out
	[ $rc = 0 ] && ! grep -q '^not ok' /tmp/raw.out
}
cycles() { # CTL: N UDC rebinds and card remove/insert, a loop client running
	local i=0 bad=0
	while [ $i -lt $N ]; do
		i=$((i + 1))
		udc_unbind; wait_for 20 host_gone || { bad=$((bad + 1)); echo "cycle $i: host still sees the reader"; }
		udc_bind; wait_enumerated 40 || { bad=$((bad + 1)); echo "cycle $i: not enumerated again"; }
		sleep 1
		ccid-gadget ctl --ctl "$1" remove >/dev/null || { bad=$((bad + 1)); echo "cycle $i: ctl remove failed"; }
		sleep 1
		ccid-gadget ctl --ctl "$1" insert >/dev/null || { bad=$((bad + 1)); echo "cycle $i: ctl insert failed"; }
		sleep 1
	done
	alive "$GADGET_PID" || { echo "the daemon died"; return 1; }
	[ $bad = 0 ]
}
# modules as usb_load does, with two UDCs (dummy_udc.0 and .1)
usb_load_two() {
	bed_modprobe configfs || return 1
	grep -q ' /sys/kernel/config configfs' /proc/mounts ||
		mount -t configfs configfs /sys/kernel/config || return 1
	bed_modprobe libcomposite && bed_modprobe usb_f_fs || return 1
	bed_modprobe dummy_hcd is_high_speed=1 is_super_speed=0 num=2 || return 1
	wait_for 10 test -e /sys/class/udc/dummy_udc.1
}
emul_gadget_up() {
	mkdir $EG && echo 0x08e6 >$EG/idVendor && echo 0x4433 >$EG/idProduct &&
		echo 0x0200 >$EG/bcdUSB && mkdir $EG/strings/0x409 &&
		echo 5e0b2f6c1d8a0002 >$EG/strings/0x409/serialnumber &&
		echo ccid-gadget >$EG/strings/0x409/manufacturer &&
		echo "ccid-gadget CCID reader" >$EG/strings/0x409/product &&
		mkdir $EG/configs/c.1 && echo 100 >$EG/configs/c.1/MaxPower &&
		mkdir $EG/functions/ffs.vgemul && ln -s $EG/functions/ffs.vgemul $EG/configs/c.1/ &&
		mkdir -p $EFFS && mount -t functionfs vgemul $EFFS
}
emul_ready() { grep -q "serving FunctionFS at $EFFS" /tmp/gadget-emul.log; }
emul_ready_or_dead() { emul_ready || ! alive "$EMUL_PID"; }
emul_started() { # READY in its log, and still running
	wait_for 300 emul_ready_or_dead
	emul_ready && alive "$EMUL_PID" && return 0
	cat /tmp/gadget-emul.log
	vg_dump
	return 1
}

for t in valgrind valgrind.bin ccid-gadget ccid_raw; do
	command -v $t >/dev/null || { not_ok "$G: $t is in the image" "valgrind on the build machine (tests/vm/mkinitramfs), make"; exit 1; }
done
[ -f /bed/valgrind.supp ] || { not_ok "$G: tests/valgrind.supp is in the image" "see the # bed: line"; exit 1; }
check "$G: modules load (two UDCs)" usb_load_two
check "$G: systemd-udevd starts" udevd_start

# ---- (b) starts: libcacard's emulated card, its gadget unbound for now --------

check "$G: emulated card: a configfs gadget with one FunctionFS function for --ffs" emul_gadget_up
T_EMUL=$(now_ms)
echo "+ valgrind ... ccid-gadget --ffs $EFFS --ctl $ECTL --card $EMUL_SPEC" >/tmp/gadget-emul.log
valgrind $VG_OPTS --log-file=/tmp/vg-emul.log \
	ccid-gadget --ffs $EFFS --ctl $ECTL --card "$EMUL_SPEC" >>/tmp/gadget-emul.log 2>&1 3>&- 4<&- &
EMUL_PID=$!

# ---- (a) the test card -------------------------------------------------------

VG_LOG=/tmp/vg-test.log
GADGET_WRAP="valgrind $VG_OPTS --log-file=$VG_LOG"
t0=$(now_ms)
check "$G: test card: the daemon under memcheck starts, the host enumerates it" \
	gadget_start --udc dummy_udc.0 --card test
diag "  $G: test card: enumerated $(($(now_ms) - t0)) ms after the start"
GADGET_WRAP=
if [ $LONG = 1 ]; then
	check "$G: test card: the whole malformed CCID battery (ccid_raw, no pcscd): all answered in step" \
		ccid_raw_all lengths headers short slots flood
else
	check "$G: test card: malformed CCID battery (ccid_raw --quick, no pcscd): all answered in step" \
		ccid_raw_all --quick lengths headers short slots flood
fi
check "$G: test card: ... no memcheck error" vg_no_errors_yet
check "$G: pcscd starts" pcscd_start
check "$G: test card: APDUs through PC/SC (ATR, SELECT, GET DATA, bad INS, ECHO 300, GENERATE 700)" \
	pcsc_client -q --wait-reader 30 --wait-card 30 --atr 00A4040008$AID -e 9000 \
	00CA0100 -e 43434944000000019000 0012000000 -e 6D00 --echo 300 --generate 700
loop_start
check "$G: test card: $N UDC rebind(s) and card remove/insert with APDUs in flight: the reader comes back" \
	cycles /run/ccid-gadget.sock
check "$G: test card: ... the APDU client: no wrong answer, no hang" loop_stop
check "$G: test card: ... an APDU afterwards" \
	pcsc_client -q --wait-reader 30 --wait-card 30 --echo 64
check "$G: test card: ... no memcheck error" vg_no_errors_yet
t0=$(now_ms)
pcscd_mark=$(pcscd_log_mark)
check "$G: test card: SIGTERM: valgrind exits 0" vg_stop
diag "  $G: test card: exit took $(($(now_ms) - t0)) ms"
check "$G: test card: ERROR SUMMARY: 0 errors" vg_summary_clean
check "$G: test card: no definitely or indirectly lost bytes" vg_no_leaks
check "$G: test card: pcscd drops the reader" pcscd_drops_reader $pcscd_mark 20

# ---- (b) the emulated card: bound, used, cycled, stopped ---------------------------

VG_LOG=/tmp/vg-emul.log
GADGET_PID=$EMUL_PID
UDC=dummy_udc.1
GADGET_CFS=$EG
check "$G: emulated card: the daemon under memcheck (libcacard, NSS) writes its descriptors" \
	emul_started
diag "  $G: emulated card: ready $(($(now_ms) - T_EMUL)) ms after its start"
check "$G: emulated card: bound to $UDC" sh -c "echo $UDC >$EG/UDC && exit 0"
check "$G: emulated card: ... the host enumerates it" wait_enumerated 60
check "$G: emulated card: libcacard's ATR through PC/SC" \
	pcsc_client --wait-reader 30 --wait-card 30 --atr --expect-atr $CAC_ATR
check "$G: emulated card: SELECT of the CAC applet, GET RESPONSE" \
	pcsc_client --wait-card 30 $CAC_SELECT --expect-sw 610D 00C000000D --expect-len 13 --expect-sw 9000
[ $LONG = 1 ] && check "$G: emulated card: pkcs11-tool -O (OpenSC): the three certificates" three_certs_listed
pcsc_client --loop -q $CAC_SELECT --expect-sw 610D >/tmp/loop.out 2>&1 3>&- 4<&- &
LOOP_PID=$!
check "$G: emulated card: $N UDC rebind(s) and card remove/insert with APDUs in flight: the reader comes back" \
	cycles $ECTL
check "$G: emulated card: ... the APDU client: no wrong answer, no hang" loop_stop
check "$G: emulated card: ... an APDU afterwards" \
	pcsc_client -q --wait-reader 30 --wait-card 30 $CAC_SELECT --expect-sw 610D
check "$G: emulated card: ... no memcheck error" vg_no_errors_yet
t0=$(now_ms)
pcscd_mark=$(pcscd_log_mark)
check "$G: emulated card: SIGTERM: valgrind exits 0" vg_stop
diag "  $G: emulated card: exit took $(($(now_ms) - t0)) ms"
check "$G: emulated card: ERROR SUMMARY: 0 errors" vg_summary_clean
check "$G: emulated card: no definitely or indirectly lost bytes" vg_no_leaks
check "$G: emulated card: pcscd drops the reader" pcscd_drops_reader $pcscd_mark 20
[ $BED_FAILS = 0 ] || bed_dump /tmp/gadget-emul.log 200
