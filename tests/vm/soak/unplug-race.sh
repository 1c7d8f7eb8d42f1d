# SPDX-License-Identifier: GPL-2.0-or-later
# pcscd's unplug hang (issue 16; tests/vm/README.md, the trap "pcscd never
# drops the reader"): rounds of unplugs with pcscd -d and its whole log kept.
# Kinds (KINDS, in turn):
#  kill    kill -9 while pcscd is still adding the reader (16-storms, 14-cycles)
#  term    SIGTERM, the card powered, a client connected and waiting in
#          SCardGetStatusChange for the card to go (import.sh)
#  unbind  UDC unbind under an APDU loop (14-cycles, 12-slow-card)
#  late    SIGTERM with udevd stopped for LATE_MS (the next of LATE_LIST):
#          pcscd's hotplug thread hears of the removal that much later, so
#          the removal's "stop" for the reader thread can land where that
#          thread is about to log "Card Removed" (about 400 ms after the
#          disconnect, after its sleep on the failed interrupt read)
#  forced  as late, LATE_MS from FORCED_LIST, with pcscd run under
#          tests/vm/soak/slow-nodev.c (bed-setup builds it): libccid's bulk
#          transfers that fail LIBUSB_ERROR_NO_DEVICE return 300 ms late, so
#          the reader thread's power-down and status poll after the unplug
#          each hold the reader's mutex 300 ms, and the removal that comes
#          meanwhile waits on that mutex instead of missing the window
#  empty   as forced, the reader empty (--card test,absent): no "Card
#          Removed" after the unplug, so nothing can undo the removal's stop
#  slots   SIGTERM of a 2-slot reader (--slots 2, two test cards, both just
#          used), as 13-slots.sh stops it: libccid 1.5.2 reads a
#          multi-slot reader from a thread of its own (its NO_DEVICE line
#          every 100 ms), and a slot thread that is not in its interrupt
#          wait when the removal wakes it misses the wake-up (5 of 64
#          rounds kept the reader, 2026-12-03; tests/vm/README.md)
#  slots-forced  as slots, with the shim and udevd held back as forced
# After each round pcscd must drop the reader within 10 s; each round's key
# lines of pcscd's log (relative times) go to the console; when it keeps
# the reader: its story (lib.sh pcscd_story) too, a diag line, and a check
# that it is pcscd's unplug hang (pcscd_hung_on_removal) and that
# pcscd_drops_reader, as the suites call it, lets it through.
# bed-setup: cc -std=gnu11 -Wall -Wextra -Werror -O2 -shared -fPIC -o build/slow-nodev.so tests/vm/soak/slow-nodev.c
# bed: --timeout 1200 --add build/slow-nodev.so:/usr/lib/slow-nodev.so

N=${N:-20}
KINDS=${KINDS:-forced empty}
LATE_LIST="380 390 400 410 420 430 440 450 460 470"
FORCED_LIST="450 500 550 600 650 700 750 800"
hangs=0 others=0 hung=

since() { tail -n +"$mark" /tmp/pcscd.log; }
adding() { since | grep -q 'Adding USB device'; }
card_ready() { pcsc_client -q --wait-reader 10 --wait-card 10 --echo 16; }
dropped() { pcsc_client --list --expect-readers 0; }
slots_ready() {
	pcsc_client -q --wait-reader 10 --reader 0 --wait-card 10 --echo 16 &&
		pcsc_client -q --reader 1 --wait-card 10 --echo 16
}
# the round's lines that tell the story, each with the milliseconds since the
# round's first line of pcscd's log (pcscd gives microseconds since the line
# before)
key_lines() {
	since | awk '{ t += $1; $1 = sprintf("%08d", t / 1000); print }' |
		grep -E 'hotplug|Stomping|stomped|Request stopping|Die$|Card Removed|InterruptRead|Multi_ReadProc|not transacted|Error communicating|write failed|powerState|RFRemoveReader' |
		log_collapse | head -n 30
}

check "race: modules load" usb_load high
check "race: systemd-udevd starts" udevd_start
# pcscd (fresh after a hang too), with the shim for the forced kind
race_pcscd_start() {
	case " $KINDS " in
	*" forced "* | *" empty "* | *" slots-forced "*) LD_PRELOAD=/usr/lib/slow-nodev.so; export LD_PRELOAD ;;
	esac
	pcscd_start
	local rc=$?
	unset LD_PRELOAD
	return $rc
}
check "race: pcscd -d starts" race_pcscd_start
set -- $KINDS
nk=$#
set -- $LATE_LIST
nl=$#
set -- $FORCED_LIST
nf=$#
i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	kind=$(echo $KINDS | cut -d' ' -f$(((i - 1) % nk + 1)))
	mark=$(pcscd_log_mark)
	case $kind in
	kill)
		gadget_start --card test && wait_for 10 adding
		kill -9 "$GADGET_PID"; wait "$GADGET_PID" 2>/dev/null; GADGET_PID=
		;;
	term)
		gadget_start --card test && card_ready
		pcsc_client -q --wait-card 5 --wait-absent 15 >/dev/null 2>&1 &
		HOLD=$!
		sleep 1
		gadget_stop
		wait $HOLD 2>/dev/null
		;;
	unbind)
		gadget_start --card test && card_ready
		loop_start
		wait_for 10 loop_moved 0
		udc_unbind
		loop_stop >/dev/null 2>&1
		gadget_stop
		;;
	slots)
		gadget_start --slots 2 --card test --card test && slots_ready
		gadget_stop
		;;
	late | forced | empty | slots-forced)
		if [ $kind = late ]; then
			late=$(echo $LATE_LIST | cut -d' ' -f$(((i - 1) / nk % nl + 1)))
		else
			late=$(echo $FORCED_LIST | cut -d' ' -f$(((i - 1) / nk % nf + 1)))
		fi
		if [ $kind = empty ]; then
			gadget_start --card test,absent && pcsc_client --wait-reader 10 --wait-absent 5 && sleep 1
		elif [ $kind = slots-forced ]; then
			gadget_start --slots 2 --card test --card test && slots_ready && sleep 1
		else
			gadget_start --card test && card_ready && sleep 1
		fi
		kind="$kind $late ms"
		udevd_pids=$(pidof systemd-udevd)
		kill -STOP $udevd_pids
		t0=$(now_ms)
		kill "$GADGET_PID"
		wait_for 5 host_gone
		while [ $(($(now_ms) - t0)) -lt $late ]; do sleep 0.01; done
		kill -CONT $udevd_pids
		gadget_stop
		;;
	esac
	wait_for 10 host_gone
	echo "---- round $i ($kind)"
	if wait_for 10 dropped; then
		key_lines
		echo "round $i ($kind): dropped"
		continue
	fi
	key_lines
	if pcscd_hung_on_removal "$mark"; then
		hangs=$((hangs + 1))
		hung="$hung ${kind%% *}"
	else
		others=$((others + 1))
		not_ok "race: round $i ($kind): pcscd kept the reader, not in its unplug hang" "details in the console log"
	fi
	echo "===== round $i ($kind): pcscd kept the reader ($PCSCD_HANG); pcscd_story:"
	pcscd_story 120
	diag "round $i ($kind): pcscd kept the reader; $(since | grep -c 'Card Removed') 'Card Removed', $(since | grep -c 'Stomping thread') 'Stomping', $(since | grep -c 'Thread stomped') 'stomped', $(since | grep -c 'Die$') 'Die'"
	# the suites' check on a real hang: let through, a fresh pcscd
	check "race: round $i: pcscd_drops_reader lets the hang through (a fresh pcscd drops it)" \
		pcscd_drops_reader "$mark" 0
	pcscd_stop
	race_pcscd_start
done
diag "race: $N rounds ($KINDS): $hangs hangs (pcscd_hung_on_removal), $others other keeps"
for k in $KINDS; do
	diag "race: $k: $(echo "$hung" | tr ' ' '\n' | grep -cx "$k") hangs in $(((N + nk - 1) / nk)) rounds or one fewer"
done
# An empty reader logs no "Card Removed" after the unplug, so nothing can
# undo the removal's stop: it must never hang (the other kinds may).
case " $KINDS " in
*" empty "*) check "race: the empty reader never hung" test "$(echo "$hung" | tr ' ' '\n' | grep -cx empty)" = 0 ;;
esac
