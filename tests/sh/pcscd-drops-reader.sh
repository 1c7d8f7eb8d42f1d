#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/lib.sh's pcscd_drops_reader (the suites' "pcscd drops the reader"
# after an unplug) lets through pcsc-lite's unplug hang only (tests/vm/
# README.md, "pcscd never drops the reader") and fails on anything else;
# bed_dump's log_collapse keeps the start of a story a NO_DEVICE loop
# follows. Run on the build machine under busybox sh (the VM's shell) with
# stand-ins for pcsc_client, wait_for and pcscd_stop/start, on made-up logs
# of pcscd 1.9.9's lines. < 1 s.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
command -v busybox >/dev/null || { echo "not ok - pcscd-drops-reader: busybox is installed (scripts/install-deps)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The log lines, as pcscd -f -d writes them (microseconds since the line
# before, then file:line:function).
cat >"$tmp/before" <<'EOF'
00000073 hotplug_libudev.c:421:HPAddDevice() Adding USB device: Gemalto Gemplus USB SmartCard Reader 433-Swap
00400123 eventhandler.c:494:EHStatusHandlerThread() powerState: POWER_STATE_POWERED
EOF
cat >"$tmp/removal" <<'EOF'
00000434 ccid_usb.c:899:WriteUSB() write failed (1/3): LIBUSB_ERROR_NO_DEVICE
00006282 hotplug_libudev.c:641:HPEstablishUSBNotifications() USB Device removed
00001562 hotplug_libudev.c:347:HPRemoveDevice() Removing USB device[0]: Gemalto Gemplus USB SmartCard Reader 433-Swap [CCID smart card reader] (1) at /dev/bus/usb/001/003
00000020 readerfactory.c:628:RFRemoveReader() UnrefReader() count was: 1
00000014 eventhandler.c:175:EHDestroyEventHandler() Stomping thread.
00000012 eventhandler.c:200:EHDestroyEventHandler() Request stopping of polling thread
EOF
# the reader thread's line that undoes the stop when it comes after it
raced() { echo "00000045 eventhandler.c:358:EHStatusHandlerThread() Card Removed From Gemalto Gemplus USB SmartCard Reader 433-Swap [CCID smart card reader] (1) 00 ${1:-00}"; }
# a 2-slot reader's removal (13-slots, tests/vm/soak/unplug-race.sh
# KINDS=slots): slot 0's removal; libccid's read thread, its NO_DEVICE
# line every 100 ms; slot 0's thread busy in its status poll when the stop
# came (its wake-up lost)
cat >"$tmp/removal2" <<'EOF'
00022022 hotplug_libudev.c:641:HPEstablishUSBNotifications() USB Device removed
00000135 hotplug_libudev.c:347:HPRemoveDevice() Removing USB device[0]: Gemalto Gemplus USB SmartCard Reader 433-Swap [CCID smart card reader] (B74FEAA40A37A340) at /dev/bus/usb/001/014
00000562 ccid_usb.c:899:WriteUSB() write failed (1/14): LIBUSB_ERROR_NO_DEVICE
00000016 eventhandler.c:358:EHStatusHandlerThread() Card Removed From Gemalto Gemplus USB SmartCard Reader 433-Swap [CCID smart card reader] (B74FEAA40A37A340) 00 01
00000017 readerfactory.c:628:RFRemoveReader() UnrefReader() count was: 1
00000010 eventhandler.c:175:EHDestroyEventHandler() Stomping thread.
00000010 eventhandler.c:200:EHDestroyEventHandler() Request stopping of polling thread
EOF
busy() { printf '%s\n' "00003055 ifdwrapper.c:364:IFDStatusICC() Card not transacted: 612" "00000037 eventhandler.c:336:EHStatusHandlerThread() Error communicating to: Gemalto Gemplus USB SmartCard Reader 433-Swap [CCID smart card reader] (B74FEAA40A37A340) 00 00"; }
multi_loop() { for _ in $(seq 1 "$1"); do echo "00100877 ccid_usb.c:1952:Multi_ReadProc() read failed (1/14): LIBUSB_ERROR_NO_DEVICE"; done; }
stomp2() { printf '%s\n' "00000017 readerfactory.c:628:RFRemoveReader() UnrefReader() count was: 1" "00000010 eventhandler.c:175:EHDestroyEventHandler() Stomping thread." "00000010 eventhandler.c:200:EHDestroyEventHandler() Request stopping of polling thread"; }
loop() { for _ in $(seq 1 "$1"); do echo "00400085 ccid_usb.c:1501:InterruptRead() libusb_submit_transfer failed: LIBUSB_ERROR_NO_DEVICE"; done; }
# the loop as the suites see it: a client polling for the reader between
# the reader thread's lines
noisy_loop() {
	local _
	for _ in $(seq 1 "$1"); do
		loop 1
		cat <<'EOT'
00096707 winscard_msg_srv.c:256:ProcessEventsServer() Common channel packet arrival
00000092 pcscdaemon.c:133:SVCServiceRunLoop() A new context thread creation is requested: 12
00000701 winscard_svc.c:361:ContextThread() Received command: CMD_VERSION from client 12
00000089 winscard.c:215:SCardEstablishContext() Establishing Context: 0x36301165
00000943 winscard_svc.c:361:ContextThread() Received command: CMD_GET_READERS_STATE from client 12
00000247 winscard.c:229:SCardReleaseContext() Releasing Context: 0x36301165
00000291 winscard_svc.c:354:ContextThread() Client die: 12
EOT
	done
}
ended() { printf '%s\n' "00161150 eventhandler.c:504:EHStatusHandlerThread() Die" "00000738 eventhandler.c:215:EHDestroyEventHandler() Thread stomped."; }

# case NAME WANT_RC WANT_RESTART LISTED LISTED_AFTER_RESTART: runs
# pcscd_drops_reader on $tmp/log from the line after $tmp/before (the mark)
# with pcscd listing LISTED readers, and LISTED_AFTER once restarted.
cat >"$tmp/run.sh" <<'EOF'
. tests/vm/lib.sh
host_dev() { return 1; }
wait_for() { shift; "$@"; }
pcsc_client() { [ "$LISTED" = 0 ]; }
pcscd_stop() { echo restarted >>"$TMP/restarts"; LISTED=$LISTED_AFTER; }
pcscd_start() { :; }
pcscd_drops_reader "$MARK"
EOF
t() {
	local name=$1 want_rc=$2 want_restart=$3 rc=0 restarts
	rm -f "$tmp/restarts"
	TMP=$tmp PCSCD_LOG=$tmp/log MARK=$(($(wc -l <"$tmp/before") + 1)) LISTED=$4 LISTED_AFTER=$5 \
		busybox sh "$tmp/run.sh" >"$tmp/out" 2>&1 3>"$tmp/tap" || rc=$?
	restarts=$(cat "$tmp/restarts" 2>/dev/null | wc -l)
	if [ "$rc" = "$want_rc" ] && [ "$restarts" = "$want_restart" ]; then
		echo "ok - pcscd-drops-reader: $name (exit $rc, $restarts restarts)"
	else
		echo "not ok - pcscd-drops-reader: $name: exit $rc (want $want_rc), $restarts restarts (want $want_restart)"
		sed 's/^/# /' "$tmp/out" "$tmp/tap"
	fi
}

{ cat "$tmp/before" "$tmp/removal"; raced; ended; } >"$tmp/log"
t "the reader dropped: passes" 0 0 0 0
{ cat "$tmp/before" "$tmp/removal"; raced; loop 40; } >"$tmp/log"
t "pcscd's hang (removal begun, never ended, 'Card Removed' after it, NO_DEVICE loop): passes with a fresh pcscd" 0 1 1 0
grep -q "pcscd kept the unplugged reader.*'Card Removed' after the removal's stop" "$tmp/tap" &&
	echo "ok - pcscd-drops-reader: ... with its diagnostic line naming the race" ||
	echo "not ok - pcscd-drops-reader: ... with its diagnostic line naming the race"
grep -q "Stomping thread" "$tmp/out" && grep -q "the line above 39 more times" "$tmp/out" &&
	echo "ok - pcscd-drops-reader: ... and the log since the mark on the console, the loop as one line" ||
	echo "not ok - pcscd-drops-reader: ... and the log since the mark on the console, the loop as one line"
t "pcscd's hang, but the fresh pcscd lists a reader: fails" 1 1 1 1
{ cat "$tmp/before" "$tmp/removal"; noisy_loop 25; } >"$tmp/log"
t "pcscd's hang, no 'Card Removed' logged, a NO_DEVICE loop with a client polling between its lines: passes with a fresh pcscd" 0 1 1 0
grep -q "Stomping thread" "$tmp/out" && ! grep -q "winscard" "$tmp/out" &&
	grep -q "loops on LIBUSB_ERROR_NO_DEVICE" "$tmp/tap" &&
	echo "ok - pcscd-drops-reader: ... its story on the console without the client's lines, the diagnostic naming the loop" ||
	echo "not ok - pcscd-drops-reader: ... its story on the console without the client's lines, the diagnostic naming the loop"
{ cat "$tmp/before" "$tmp/removal"; raced; } >"$tmp/log"
t "'Card Removed' after the removal's stop, nothing after it yet: passes (the race's own mark)" 0 1 1 0
{ cat "$tmp/before" "$tmp/removal"; noisy_loop 2; } >"$tmp/log"
t "the removal never ended, no 'Card Removed' after it, two NO_DEVICE lines (no loop yet): fails" 1 0 1 0
{ cat "$tmp/before" "$tmp/removal"; raced; ended; loop 40; } >"$tmp/log"
t "the reader kept, a NO_DEVICE loop, but the removal ended: fails" 1 0 1 0
{ cat "$tmp/before" "$tmp/removal"; } >"$tmp/log"
t "the reader kept, the removal never ended, nothing after it: fails" 1 0 1 0
{ cat "$tmp/before"; grep -v 'Stomping\|Request stopping' "$tmp/removal"; raced; loop 40; } >"$tmp/log"
t "the reader kept, a NO_DEVICE loop, no removal begun (a client holding it): fails" 1 0 1 0
{ cat "$tmp/before" "$tmp/removal"; raced; ended; stomp2; } >"$tmp/log"
t "a 'Card Removed' before the first removal ended does not count for the next one (one slot): fails" 1 0 1 0
# 2 slots
{ cat "$tmp/before" "$tmp/removal2"; busy; multi_loop 70; } >"$tmp/log"
t "2 slots: slot 0's removal never ended, its thread busy when the stop came (libccid's lost wake-up): passes with a fresh pcscd" 0 1 1 0
grep -q "multi-slot reader's slot thread missed" "$tmp/tap" && grep -q "the line above 69 more times" "$tmp/out" &&
	echo "ok - pcscd-drops-reader: ... the diagnostic naming the lost wake-up, the read thread's loop as one line" ||
	echo "not ok - pcscd-drops-reader: ... the diagnostic naming the lost wake-up, the read thread's loop as one line"
{ cat "$tmp/before" "$tmp/removal2"; multi_loop 3; ended; stomp2; raced 01; multi_loop 70; } >"$tmp/log"
t "2 slots: slot 0 dropped, slot 1's thread logs 'Card Removed' after its stop: passes with a fresh pcscd" 0 1 1 0
grep -q "'Card Removed' after the removal's stop" "$tmp/tap" &&
	echo "ok - pcscd-drops-reader: ... the diagnostic naming the race" ||
	echo "not ok - pcscd-drops-reader: ... the diagnostic naming the race"
{ cat "$tmp/before" "$tmp/removal2"; multi_loop 3; ended; stomp2; ended; multi_loop 70; } >"$tmp/log"
t "2 slots: both removals ended, a reader still listed: fails" 1 0 1 0
cp "$tmp/before" "$tmp/b0"
{ cat "$tmp/removal"; loop 40; cat "$tmp/b0"; } >"$tmp/before"
cp "$tmp/before" "$tmp/log"
t "an older hang before the mark, nothing since: fails" 1 0 1 0
cp "$tmp/b0" "$tmp/before"

# bed_dump: the start of the story stays in the last 200 lines.
{ cat "$tmp/before" "$tmp/removal"; loop 500; } >"$tmp/log"
busybox sh -c '. tests/vm/lib.sh; bed_dump "$1" 200' sh "$tmp/log" >"$tmp/dump" 3>/dev/null
if grep -q "Stomping thread" "$tmp/dump" && grep -q "^\[the line above 499 more times\]$" "$tmp/dump" &&
	[ "$(grep -c InterruptRead "$tmp/dump")" = 1 ]; then
	echo "ok - pcscd-drops-reader: bed_dump collapses a 500-line NO_DEVICE loop into two lines; the removal's start is kept"
else
	echo "not ok - pcscd-drops-reader: bed_dump collapses a 500-line NO_DEVICE loop into two lines; the removal's start is kept"
	sed 's/^/# /' "$tmp/dump"
fi
