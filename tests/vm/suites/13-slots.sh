# SPDX-License-Identifier: GPL-2.0-or-later
# Several slots: --slots 2 with two test cards is two readers in pcscd,
# each with its card, both usable at once; an empty slot; a card that
# starts absent and is inserted through the control socket.
# bed: --timeout 240

ATR=3B9A118031FE456363696467616467657498

if ! command -v ccid-gadget >/dev/null; then
	not_ok "slots: build/ccid-gadget is in the image" "run make first"
	exit 1
fi
# pcscd 1.9.9 + libccid 1.5.2 with a 2-slot reader, two ways seen in CI
# and local runs (2 boots of the last 10): pcscd never reports slot 1's card leaving or
# coming back (no state change within 10 s, while ctl status has it), or
# pcscd is gone after the reader is unplugged. The first fits libccid
# 1.5.2's missed wake-up (tests/vm/README.md, "pcscd never drops the
# reader": a slot thread not in its wait when the NotifySlotChange's
# broadcast comes waits out its timeout), read from the source, not shown
# in a log of this suite. The reader's own state is
# what these checks are about, so when a host-side check fails, a fresh
# pcscd (which asks the reader with GetSlotStatus) gets one more try, and
# the end says how often that was needed.
n_missed=0 n_died=0
pcscd_recheck() { # CMD...
	local rc
	"$@" && return 0
	if kill -0 "$PCSCD_PID" 2>/dev/null; then
		n_missed=$((n_missed + 1))
		echo "pcscd did not see it: a fresh pcscd asks the reader"
	else
		wait "$PCSCD_PID"
		rc=$?
		n_died=$((n_died + 1))
		echo "pcscd is gone (exit status $rc); its log ends:"
		tail -n 15 /tmp/pcscd.log
	fi
	pcscd_stop   # either way: what is left of it, its socket files
	pcscd_start && "$@"
}
both_answer() {
	pcsc_client --reader 0 --wait-card 15 --echo 20 &&
		pcsc_client --reader 1 --wait-card 15 --echo 20
}

check "slots: modules load" usb_load high
check "slots: systemd-udevd starts" udevd_start
check "slots: pcscd starts" pcscd_start

check "slots: --slots 2 --card test --card test starts" \
	gadget_start --slots 2 --card test --card test
check "slots: descriptor has bMaxSlotIndex 1" \
	check_descriptors --slots 2 "$(host_dev)/descriptors"
check "slots: libccid lists two readers" \
	pcsc_client --wait-reader 10 --list --expect-readers 2
pcsc_client --list
check "slots: reader 0 has its card: ATR and ECHO" \
	pcsc_client --reader 0 --wait-card 10 --expect-atr $ATR --echo 100 --generate 300
check "slots: reader 1 has its card: ATR and ECHO" \
	pcsc_client --reader 1 --wait-card 10 --expect-atr $ATR --echo 100 --generate 300
# Both slots at once: libccid serializes on the one bulk pipe; the reader
# must keep each answer with its slot.
pcsc_client -q --reader 0 --repeat 100 --echo 200 --echo 1000 >/tmp/s0.out 2>&1 &
a=$!
pcsc_client -q --reader 1 --repeat 100 --generate 200 --echo 1001 >/tmp/s1.out 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
cat /tmp/s0.out /tmp/s1.out
check "slots: 200 APDUs on slot 0 while slot 1 runs 200: all answers right" test $ra = 0
check "slots: 200 APDUs on slot 1 while slot 0 runs 200: all answers right" test $rb = 0
check "slots: ctl remove 1" ccid-gadget ctl remove 1
check "slots: reader 1 empty" pcscd_recheck pcsc_client --reader 1 --wait-absent 10
check "slots: reader 0 unaffected" pcsc_client --reader 0 --echo 50
check "slots: ctl insert 1" ccid-gadget ctl insert 1
check "slots: reader 1 card back" pcscd_recheck pcsc_client --reader 1 --wait-card 10 --echo 50
ccid-gadget ctl status
check "slots: ctl status names both slots" sh -c 'ccid-gadget ctl status | grep -q "slot 1"'
# Detach/attach of the whole reader from the control socket (UDC unbind/bind).
check "slots: ctl detach" ccid-gadget ctl detach
check "slots: after detach the host has no device" wait_for 10 host_gone
check "slots: ctl attach" ccid-gadget ctl attach
check "slots: after attach the host enumerates again" wait_enumerated 20
check "slots: after attach both cards answer" pcscd_recheck both_answer
pcscd_mark=$(pcscd_log_mark)
check "slots: daemon exits 0 on SIGTERM" gadget_stop
check "slots: pcscd drops both readers" pcscd_drops_reader $pcscd_mark

check "slots: --slots 2 --card test (slot 1 empty) starts" gadget_start --slots 2 --card test
check "slots: two readers listed" pcsc_client --wait-reader 10 --list --expect-readers 2
check "slots: reader 0 has the card" pcsc_client --reader 0 --wait-card 10 --echo 20
check "slots: reader 1 is empty" pcsc_client --reader 1 --wait-absent 5
check "slots: no card shows in reader 1 (wait times out: exit 4)" \
	sh -c 'pcsc_client --reader 1 --wait-card 2 --echo 20; [ $? = 4 ]'
pcscd_mark=$(pcscd_log_mark)
check "slots: daemon exits 0 on SIGTERM" gadget_stop
check "slots: pcscd drops both readers" pcscd_drops_reader $pcscd_mark

check "slots: --card test,absent starts empty" gadget_start --card test,absent
check "slots: one reader, no card" pcsc_client --wait-reader 10 --wait-absent 5
check "slots: ctl insert 0" ccid-gadget ctl insert 0
check "slots: the card arrives: ATR and ECHO" \
	pcsc_client --wait-card 10 --expect-atr $ATR --echo 20
check "slots: daemon exits 0 on SIGTERM" gadget_stop
diag "  slots: pcscd needed a restart $n_missed times for a slot change it did not see, $n_died times because it was gone (pcsc-lite's side; the fresh one saw the reader right)"
