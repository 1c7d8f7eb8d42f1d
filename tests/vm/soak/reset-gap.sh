# SPDX-License-Identifier: GPL-2.0-or-later
# make soak: port resets while the daemon does not run (tests/soak, N=40;
# tests/vm/README.md "The port resets that hung"). Each round: the daemon is
# stopped (SIGSTOP: a loaded board that does not schedule it) with a
# command of the old host session in its bulk-OUT read; the host resets
# the port and re-enumerates the reader without it (FunctionFS merges the
# DISABLE into the ENABLE that follows); pcscd's status poll of the new
# session goes out; then the daemon runs again. It must read the ENABLE
# before it arms a read for the new session, or that read takes the new
# session's first command and the ENABLE drops it (gadget_xfer.c,
# ep0_event_waiting): libccid's read would time out (LIBUSB_ERROR_TIMEOUT),
# which fails the round.
# The soak's symptom (no APDU answer for 30 s, "card removed") came back
# here with or without that fix, in about 1 round of 8: pcscd's status poll
# in flight at the reset fails with LIBUSB_ERROR_NO_DEVICE, libccid turns
# that into "card absent" without forgetting the card was powered, and the
# poll after our NotifySlotChange sees it present but inactive (a new
# session deactivates it), which libccid reads as "removed and inserted
# again": absent once more; pcscd then waited for a slot change that did
# not come. Now a second NotifySlotChange follows (ccid_handlers_slot.c),
# and a round with no answer within 30 s fails; a new pcscd then tells
# whether pcscd had lost the card (answers, nothing new on the bus).
# usbmon's text capture of bus 1 (less the root hub) is printed for a
# round with no answer.
# bed: --timeout 600

N=12               # rounds (make soak: 40)

port_reset() { local d; d=$(host_dev) && usb_reset "$d"; }
answers() { pcsc_client -q --wait-reader 5 --wait-card 5 --echo 16; }
# libccid's lines since line $1 of pcscd's log that say a command got no
# answer, or could not even be sent (the daemon stopped for too long: the
# round proves nothing)
read_timeouts() { tail -n +$1 /tmp/pcscd.log | grep -c 'ReadUSB.*LIBUSB_ERROR_TIMEOUT'; }
write_timeouts() { tail -n +$1 /tmp/pcscd.log | grep -c 'WriteUSB.*LIBUSB_ERROR_TIMEOUT'; }
usbmon_start() {
	bed_modprobe usbmon || return 1
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug || return 1
	test -r /sys/kernel/debug/usb/usbmon/1u || return 1
	cat /sys/kernel/debug/usb/usbmon/1u >/tmp/usbmon.txt 3>&- 4<&- &
	USBMON_PID=$!
}

for f in usb_reset pcsc_client; do
	command -v $f >/dev/null || { not_ok "reset gap: $f is in the image" "run make first"; exit 1; }
done
check "reset gap: modules load" usb_load high
check "reset gap: usbmon text capture of bus 1" usbmon_start
check "reset gap: systemd-udevd starts" udevd_start
PCSCD_ARGS=--info
check "reset gap: pcscd starts" pcscd_start
check "reset gap: daemon starts" gadget_start --card test
check "reset gap: first APDU" pcsc_client -q --wait-reader 10 --wait-card 10 --echo 16

lost=0 failed= void=0 n_host=0 n_killed=0 t0=$(now_ms)
for i in $(seq 1 $N); do
	why=
	mark=$(($(wc -l </tmp/pcscd.log) + 1))
	mon0=$(wc -l </tmp/usbmon.txt)
	echo "---- round $i"
	kill -STOP $GADGET_PID
	ts=$(now_ms)
	# the old session's command: the read armed before the stop takes it
	pcsc_client -q --wait-card 5 --echo 16 >/tmp/old.out 2>&1 &
	OLD=$!
	sleep 1
	port_reset || why="USBDEVFS_RESET failed"
	[ -n "$why" ] || wait_enumerated 10 || why="not enumerated without the daemon (UDC $(udc_state))"
	te=$(now_ms)
	# pcscd's status poll after the reset (its interrupt read failed):
	# the new session's first command, waiting on the bus for a read
	sleep 0.5
	kill -CONT $GADGET_PID
	echo "daemon stopped $(($(now_ms) - ts)) ms (reset and enumeration $((te - ts - 1000)) ms)"
	wait $OLD
	echo "old session's client: exit $? $(cat /tmp/old.out)"
	# the reader answers again within 30 s; if not, is it the reader or
	# pcscd? A new pcscd opens the same device with nothing new on the
	# bus: if it gets answers and the daemon saw no new enable, the reader
	# was answering and pcscd had lost the card (the soak's symptom)
	if ! wait_for 30 answers; then
		echo "round $i: no APDU answer within 30 s; usbmon:"
		tail -n +$((mon0 + 1)) /tmp/usbmon.txt | grep -v ':1:001:' | head -n 80
		tail -n +$mark /tmp/pcscd.log | grep -v 'IFDHGetCapabilities\|Stopping polling\|IFDHStopPolling' | head -n 40
		gadget_mark=$(wc -l </tmp/gadget.log)
		pcscd_stop
		pcscd_start
		if wait_for 30 answers && ! tail -n +$((gadget_mark + 1)) /tmp/gadget.log | grep -q 'enabled by the host'; then
			n_host=$((n_host + 1))
			why="no APDU answer within 30 s (pcscd had lost the card: a new one got answers with nothing new on the bus)"
		else
			why="no APDU answer within 30 s, nor through a new pcscd"
		fi
	fi
	rt=$(read_timeouts $mark) wt=$(write_timeouts $mark)
	gone=$(tail -n +$mark /tmp/pcscd.log | grep -c 'Card Removed')
	# from usbmon: bulk-IN reads the reset killed (-108), NotifySlotChanges
	killed=$(tail -n +$((mon0 + 1)) /tmp/usbmon.txt | grep -c 'C Bi:.* -108 ')
	notes=$(tail -n +$((mon0 + 1)) /tmp/usbmon.txt | grep -c 'C Ii:1:[0-9]*:[1-9].* = 50')
	echo "round $i: libccid read timeouts $rt, write timeouts $wt, card removed $gone; bulk-IN reads killed $killed, NotifySlotChange $notes"
	[ $killed = 0 ] || n_killed=$((n_killed + 1))
	[ $rt = 0 ] || why="${why:+$why; }a command got no answer: libccid's read timed out $rt times (LIBUSB_ERROR_TIMEOUT)"
	alive $GADGET_PID || why="daemon died"
	if [ -z "$why" ] && [ $wt != 0 ]; then
		void=$((void + 1))   # stopped longer than libccid's write timeout
	elif [ -n "$why" ]; then
		lost=$((lost + 1))
		[ $lost -le 3 ] && failed="$failed [round $i: $why]"
		echo "round $i: $why"
		tail -n 6 /tmp/gadget.log
	fi
	alive $GADGET_PID || break
done
echo "reset gap: $N rounds in $(($(now_ms) - t0)) ms, $lost failed, $void with a write timed out (stopped too long: no verdict)"
diag "  reset gap: $n_killed rounds with a bulk-IN read in flight at the reset (usbmon)"
diag "  reset gap: pcscd lost the card $n_host times (no answer within 30 s; a new pcscd got answers with nothing new on the bus)"
if [ $lost = 0 ]; then
	ok "reset gap: $N port resets with the daemon stopped across them: no command lost, the reader answering after each"
else
	not_ok "reset gap: $N port resets with the daemon stopped across them: no command lost, the reader answering after each" "$lost failed:$failed"
fi
check "reset gap: at most $((N / 4)) rounds without a verdict (libccid's write timed out: the daemon stopped too long)" test $void -le $((N / 4))
kill $USBMON_PID 2>/dev/null
check "reset gap: daemon exits 0 on SIGTERM" gadget_stop
