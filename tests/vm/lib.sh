# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for VM bed scripts (busybox sh), sourced before /bed/script.
#
# TAP:      ok NAME | not_ok NAME [WHY...] | skip NAME WHY | diag TEXT
#           check NAME CMD...   ok if CMD exits 0, else not ok with its rc
# Waiting:  wait_for SECONDS CMD...   poll CMD every 0.1 s until it succeeds
#           now_ms                    milliseconds since boot
# USB:      usb_load [full|high|super]   modules + configfs; dummy_udc.0 up
#           usb_set_speed SPEED          reload dummy_hcd at another speed
#                                        (stop the gadget first)
#           bed_modprobe NAME [PARAM=V...]  one module and its dependencies
#           udc_state                    the UDC's state ("configured", ...)
#           host_dev                     the host's view of the gadget, e.g.
#                                        /sys/bus/usb/devices/1-1 (2-1 at
#                                        super speed), or nothing
#           wait_enumerated [SECONDS]    UDC configured and host_dev there
# Daemons:  udevd_start                  systemd-udevd (pcscd hotplug)
#           pcscd_start / pcscd_stop     pcscd -f, waits for a context
#           pcscd_log_mark               where pcscd's next log line goes
#           pcscd_drops_reader MARK [S]  after an unplug: pcscd drops the
#                                        reader (its own hang let through)
#           pcscd_card_out_first MARK    after a SIGTERM with a card in: pcscd
#                                        saw the card out before the unplug
#           gadget_stop_diag             the daemon's last "stop: " line (how
#                                        its card-out wait ended) as a diag
#           gadget_start ARGS... / gadget_stop
#                                        build/ccid-gadget (or $GADGET_BIN),
#                                        waits for the host to enumerate it;
#                                        GADGET_PID is set
#           loop_start / loop_stop       a PC/SC client looping APDUs in the
#                                        background; loop_stop: 0, 1 (a wrong
#                                        answer) or 124 (hung)
#           loop_count / loop_moved N    its exchanges so far / more than N
#           rss_kb PID / fd_count PID    VmRSS in kB / open fds of PID
#           alive PID                    running (not a zombie)
#           rss_bounded A B SLACK / fds_same A B
#                                        after vs before; empty values fail
#           fails CMD...                 CMD exits non-zero (self-tests)
#           udc_unbind / udc_bind        write the daemon's gadget's UDC file
# ccid_raw: raw ARGS...                  ccid_raw's TAP lines as "$G: ..." and
#                                        one more: it ran to its end, exit 0
#           raw_selftest                 proves raw() fails a crashed run
#           host_gone                    no device on the host side
# Cards:    opensc_echo                  the test card's ECHO through
#                                        opensc-tool --send-apdu
#           card_step                    one ctl remove/insert of slot 0,
#                                        answering again; sets $why if not
#           CARD_GONE                    the PC/SC errors a card that left
#                                        may give (loop_start --loop-errors)
# Monitor:  bed_monitor "HMP COMMAND" [S]  QEMU's monitor runs it (device_del,
#                                        device_add, info usb...); 0 once done
# Logs:     /tmp/gadget.log, /tmp/pcscd.log; dumped to the console (and so to
#           build/vm/runs/*/console.log) when a test failed, repeated lines
#           collapsed (log_collapse)
#
# Everything a script prints goes to the console; only TAP lines go to the
# TAP channel (fd 3, ttyS1), marked "@@TAP ".

BED_FAILS=0
BED_PASSES=0
UDC=dummy_udc.0
GADGET_PID=
PCSCD_PID=
UDEVD_STARTED=

tap() {
	echo "@@TAP $*" >&3
	echo "TAP: $*"
}
ok() { BED_PASSES=$((BED_PASSES + 1)); tap "ok - $*"; }
not_ok() {
	local name=$1
	shift
	BED_FAILS=$((BED_FAILS + 1))
	tap "not ok - $name"
	[ $# -gt 0 ] && diag "$name: $*"
	return 0
}
skip() { tap "ok - $1 # SKIP $2"; }
diag() { tap "# $*"; }

# check NAME CMD...: ok if CMD exits 0. Its output goes to the console;
# on failure the lines that say why (WRONG, MALFORMED, errors, else the
# last three) also go to the TAP channel as diagnostics.
check() {
	local name=$1 rc=0 why
	shift
	"$@" >/tmp/check.out 2>&1 || rc=$?
	cat /tmp/check.out
	if [ $rc = 0 ]; then
		ok "$name"
		return 0
	fi
	not_ok "$name" "exit $rc: $*"
	why=$(grep -E 'WRONG|MALFORMED|rror|pcsc_client:|fail|not ' /tmp/check.out | head -n 8)
	[ -n "$why" ] || why=$(tail -n 3 /tmp/check.out)
	echo "$why" | while IFS= read -r l; do [ -n "$l" ] && diag "  $l"; done
	return $rc
}

now_ms() {
	local up rest cs
	read up rest </proc/uptime
	cs=${up%.*}${up#*.}
	cs=${cs#0}
	cs=${cs#0}
	echo $((${cs:-0} * 10))
}

wait_for() {
	local secs=$1 end
	shift
	end=$(($(now_ms) + secs * 1000))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -ge "$end" ] && return 1
		sleep 0.1
	done
	return 0
}

# ---- modules and the UDC --------------------------------------------------

bed_modprobe() {
	local name=$1 order=/bed/modules/$1 last p m
	shift
	[ -f "$order" ] || { echo "bed_modprobe: $name is not in the image" >&2; return 1; }
	last=$(tail -n 1 "$order")
	while read -r p; do
		m=$(basename "$p" .ko | tr - _)
		[ -d "/sys/module/$m" ] && [ "$p" != "$last" ] && continue
		if [ "$p" = "$last" ]; then
			[ -d "/sys/module/$m" ] && return 0
			insmod "$p" "$@" || return 1
		else
			insmod "$p" || return 1
		fi
	done <"$order"
}

speed_params() {
	case "$1" in
	full) echo "is_high_speed=0 is_super_speed=0" ;;
	high) echo "is_high_speed=1 is_super_speed=0" ;;
	super) echo "is_high_speed=1 is_super_speed=1" ;;
	*) echo "speed_params: unknown speed '$1' (full, high or super)" >&2; return 1 ;;
	esac
}

usb_load() {
	local speed=${1:-$BED_SPEED} params
	params=$(speed_params "$speed") || return 1
	bed_modprobe configfs || return 1
	grep -q ' /sys/kernel/config configfs' /proc/mounts ||
		mount -t configfs configfs /sys/kernel/config || return 1
	bed_modprobe libcomposite || return 1
	bed_modprobe usb_f_fs || return 1
	# shellcheck disable=SC2086
	bed_modprobe dummy_hcd $params || return 1
	BED_SPEED=$speed
	wait_for 10 test -e /sys/class/udc/$UDC
}

usb_set_speed() {
	rmmod dummy_hcd || return 1
	usb_load "$1"
}

udc_state() { cat /sys/class/udc/$UDC/state 2>/dev/null; }

host_dev() {
	local d
	for d in /sys/bus/usb/devices/[0-9]-1; do
		[ -e "$d/idVendor" ] && { echo "$d"; return 0; }
	done
	return 1
}

enumerated() { [ "$(udc_state)" = configured ] && host_dev >/dev/null; }
wait_enumerated() { wait_for "${1:-20}" enumerated; }

# ---- the daemon's gadget in configfs ---------------------------------------

GADGET_CFS=/sys/kernel/config/usb_gadget/ccid-gadget
udc_unbind() { echo "" >$GADGET_CFS/UDC; }
udc_bind() { echo $UDC >$GADGET_CFS/UDC; }
host_gone() { ! host_dev >/dev/null; }
fd_count() { ls /proc/$1/fd 2>/dev/null | wc -l; }
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' /proc/$1/status; }

# ---- daemons ---------------------------------------------------------------

udevd_start() {
	systemd-udevd --daemon 3>&- 4<&- || return 1
	UDEVD_STARTED=1
	wait_for 5 test -S /run/udev/control
}

# SCardEstablishContext fails for ~0.3 s after pcscd starts (trap 4): retry.
pcscd_ready() { pcsc_client --context >/dev/null 2>&1; }
# A pcscd built with polkit (Ubuntu 24.04's) rejects every client when no
# polkit daemon answers, as in the VM: --disable-polkit where it has it
# (Debian 12's has no polkit and no such option).
PCSCD_POLKIT=
pcscd --help 2>&1 | grep -q -- --disable-polkit && PCSCD_POLKIT=--disable-polkit
pcscd_start() {
	# shellcheck disable=SC2086  # the options are words
	pcscd -f ${PCSCD_ARGS:--d} $PCSCD_POLKIT >>/tmp/pcscd.log 2>&1 3>&- 4<&- &
	PCSCD_PID=$!
	wait_for 10 pcscd_ready
}
pcscd_stop() {
	[ -n "$PCSCD_PID" ] || return 0
	kill "$PCSCD_PID" 2>/dev/null
	wait_for 5 sh -c "! kill -0 $PCSCD_PID"
	kill -9 "$PCSCD_PID" 2>/dev/null
	wait "$PCSCD_PID" 2>/dev/null
	PCSCD_PID=
	rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
}

# The line of pcscd's log the next event will be logged at: a mark for
# pcscd_view_diag and pcscd_drops_reader. PCSCD_LOG: another file in its
# place (tests/sh/pcscd-drops-reader.sh).
PCSCD_LOG=${PCSCD_LOG:-/tmp/pcscd.log}
pcscd_log_mark() { echo $(($(wc -l <"$PCSCD_LOG") + 1)); }
# What pcscd made of the reader since MARK, as TAP diagnostics: the host's
# device, pcscd's reader list and its hotplug lines (after a check that
# waited for the reader in vain).
pcscd_view_diag() {
	diag "  host device: $(host_dev) $(cat "$(host_dev)/devnum" 2>/dev/null); pcscd lists: $(pcsc_client --list 2>&1 | tr '\n' ' ')"
	tail -n +"$1" "$PCSCD_LOG" | grep -E 'Duplicate|Adding|Removing|Failed|failed' | head -n 8 |
		while IFS= read -r l; do diag "  pcscd: $l"; done
}

# pcscd_hung_on_removal MARK: pcscd's log since MARK shows a removal of
# the unplugged reader that began ("Stomping thread.") and never ended
# (fewer "Thread stomped."), in one of the host-side hangs of pcsc-lite
# 1.9.9 + libccid 1.5.2 (tests/vm/README.md, "pcscd never drops the
# reader"). Its kind goes to PCSCD_HANG, for the diagnostic line:
#  race   "Card Removed From" after the last removal began (and no
#         "Thread stomped." since): the reader thread's
#         RFSetReaderEventState undid the removal's stop
#  loop   3 or more "InterruptRead() libusb_submit_transfer failed:
#         LIBUSB_ERROR_NO_DEVICE" after it (one every 400 ms: the
#         one-slot reader thread after that race; a removal that goes
#         well may log one)
#  multi  a multi-slot reader (libccid's "Multi_ReadProc() read failed"
#         since MARK): its slot thread waits for the removal's wake-up
#         only while in its interrupt wait; one that came while the thread
#         was elsewhere is lost, and the thread waits out its timeout (10
#         minutes with the card gone)
# Only what happens after the device left the host's bus is in these, so
# nothing the daemon does can cause or cure them.
pcscd_hung_on_removal() {
	local began ended looped raced multi
	PCSCD_HANG=
	tail -n +"$1" "$PCSCD_LOG" >"$PCSCD_LOG.since"
	began=$(grep -c 'EHDestroyEventHandler() Stomping thread' "$PCSCD_LOG.since")
	ended=$(grep -c 'EHDestroyEventHandler() Thread stomped' "$PCSCD_LOG.since")
	[ "$began" -gt "$ended" ] || return 1
	looped=$(awk '/EHDestroyEventHandler\(\) Stomping thread/ { n = 0 }
		/InterruptRead\(\).*LIBUSB_ERROR_NO_DEVICE/ { n++ } END { print n + 0 }' "$PCSCD_LOG.since")
	raced=$(awk '/EHDestroyEventHandler\(\) (Stomping thread|Thread stomped)/ { n = 0 }
		/EHStatusHandlerThread\(\) Card Removed From/ { n++ } END { print n + 0 }' "$PCSCD_LOG.since")
	multi=$(grep -c 'Multi_ReadProc() read failed' "$PCSCD_LOG.since")
	if [ "$raced" -ge 1 ]; then
		PCSCD_HANG="the reader thread logged 'Card Removed' after the removal's stop, which that undoes (pcsc-lite's race)"
	elif [ "$looped" -ge 3 ]; then
		PCSCD_HANG="the reader thread loops on LIBUSB_ERROR_NO_DEVICE (pcsc-lite's race)"
	elif [ "$multi" -ge 1 ]; then
		PCSCD_HANG="the multi-slot reader's slot thread missed libccid's stop wake-up and waits out its timeout"
	else
		return 1
	fi
}
# pcscd_story: pcscd's log since the last pcscd_hung_on_removal's MARK,
# from 5 lines before the device's removal (all of it if none), less its
# client threads' lines (a client polling for the reader logs a dozen each
# time), repeats collapsed: how a removal began and went on.
pcscd_story() {
	grep -v 'winscard_svc\.c\|winscard_msg_srv\.c\|pcscdaemon\.c:\|winscard\.c:2[0-9][0-9]:' "$PCSCD_LOG.since" |
		awk '{ l[NR] = $0 } /HPEstablishUSBNotifications\(\) USB Device removed|HPRemoveDevice\(\)/ && !f { f = NR }
		END { for (i = (f > 5 ? f - 5 : 1); i <= NR; i++) print l[i] }' |
		log_collapse | head -n "${1:-80}"
}
# pcscd_drops_reader MARK [SECONDS]: after the daemon unplugged its reader
# (MARK from pcscd_log_mark before the unplug), pcscd drops it within
# SECONDS (10). pcscd's own hangs (pcscd_hung_on_removal: seen in import.sh
# and 13-slots in a make check, in 16-storms.sh after a kill -9; the reader
# then stays, and the next device is never added) are let through with a
# diagnostic line naming the kind, the log from the removal on (repeats
# collapsed) on the console, and a fresh pcscd for what follows. Anything
# else fails, with what pcscd made of it.
pcscd_drops_reader() {
	local mark=${1:-1}
	wait_for "${2:-10}" pcsc_client --list --expect-readers 0 && return 0
	if ! pcscd_hung_on_removal "$mark"; then
		pcscd_view_diag "$mark"
		return 1
	fi
	echo "pcscd's log from the unplug (pcscd_story):"
	pcscd_story
	diag "  pcscd kept the unplugged reader: its removal waits for the reader thread: $PCSCD_HANG (tests/vm/README.md): a fresh pcscd"
	pcscd_stop
	pcscd_start && pcsc_client --list --expect-readers 0
}

# pcscd_card_out_first MARK: pcscd's log since MARK (pcscd_log_mark before
# a SIGTERM of the daemon with a card in) has "Card Removed From" before
# "USB Device removed": the daemon's clean stop reported the card out and
# waited for the host to look before it unplugged the reader
# (gadget/ffs/gadget_cardout.c; tests/vm/README.md, "pcscd never drops the
# reader"). Both lines must be there. Call it once pcscd has seen the
# unplug (after pcscd_drops_reader).
pcscd_card_out_first() {
	tail -n +"${1:-1}" "$PCSCD_LOG" | awk '
		/EHStatusHandlerThread\(\) Card Removed From/ && !out { out = NR }
		/HPEstablishUSBNotifications\(\) USB Device removed/ && !gone { gone = NR }
		END {
			printf "card out at line %d, device removed at line %d (since the mark)\n", out, gone
			exit !(out && gone && out < gone)
		}'
}

# gadget_stop_diag: the last "stop: " line of the daemon's log (how a clean
# stop's card-out wait ended, gadget/ffs/gadget_cardout.c) as a TAP
# diagnostic: the wait times measured, for the record. An info line: only
# a daemon started with -v writes it.
gadget_stop_diag() {
	grep 'stop: ' /tmp/gadget.log | tail -n 1 | while IFS= read -r l; do diag "  daemon: $l"; done
}

# GADGET_BIN: another build of the daemon (the ASan one: 17-asan.sh).
# GADGET_WRAP: words run in front of it (valgrind ...: 19-valgrind.sh; the
# pid is still the daemon's when the wrapper execs it). GADGET_WAIT_S /
# GADGET_STOP_S: how long the start may take to enumerate (30) and SIGTERM
# to exit (10).
gadget_start() {
	echo "+ $GADGET_WRAP ${GADGET_BIN:-ccid-gadget} $*" >>/tmp/gadget.log
	$GADGET_WRAP ${GADGET_BIN:-ccid-gadget} "$@" >>/tmp/gadget.log 2>&1 3>&- 4<&- &
	GADGET_PID=$!
	wait_enumerated "${GADGET_WAIT_S:-30}"
}

# gadget_stop: SIGTERM, then the exit status (0 = clean); 124 if it had to
# be killed.
gadget_stop() {
	local rc
	[ -n "$GADGET_PID" ] || return 0
	kill "$GADGET_PID" 2>/dev/null
	if wait_for "${GADGET_STOP_S:-10}" sh -c "! kill -0 $GADGET_PID 2>/dev/null || grep -q '^State:.*Z' /proc/$GADGET_PID/status"; then
		wait "$GADGET_PID"
		rc=$?
	else
		kill -9 "$GADGET_PID" 2>/dev/null
		wait "$GADGET_PID" 2>/dev/null
		rc=124
	fi
	GADGET_PID=
	return $rc
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# The daemon's memory and fds, before and after: both must be numbers
# (an empty value, e.g. a daemon gone, is a failure, not 0 = 0).
is_number() { case "$1" in "" | *[!0-9]*) return 1 ;; esac; }
rss_bounded() { # BEFORE_KB AFTER_KB SLACK_KB: grew less than SLACK_KB
	is_number "$1" && is_number "$2" && [ $(($2 - $1)) -lt "$3" ]
}
fds_same() { is_number "$1" && is_number "$2" && [ "$1" = "$2" ]; }
fails() { ! "$@"; }   # a check that CMD fails (self-tests)

# ---- ccid_raw (tests/tools/ccid_raw.c) ------------------------------------

# raw_verdict RC OUT: did a ccid_raw run end as one should? Exit 0 and
# its last line "# sent N malformed transfers" (it ran to the end). A
# crash or an early exit fails here even if it printed "ok" lines first.
raw_verdict() {
	[ "$1" = 0 ] && tail -n 1 "$2" | grep -q '^# sent [0-9]* malformed transfers$'
}

# tap_forward FILE: a host tool's TAP lines in FILE ("ok - ...", "not ok -
# ...", "# ...") onto the TAP channel, each named "$G: ..."; other lines
# are dropped (ccid_raw, ccid_winseq).
tap_forward() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) ok "$G: ${line#ok - }" ;;
		"not ok - "*) not_ok "$G: ${line#not ok - }" "details in the console log" ;;
		"# "*) diag "$G: ${line#\# }" ;;
		esac
	done <"$1"
}

# raw ARGS...: ccid_raw ARGS, its TAP lines onto the TAP channel (named
# "$G: ..."), then one line of its own for the run as a whole
# (raw_verdict). RAW_BIN: another program in its place (raw_selftest).
raw() {
	local rc=0
	${RAW_BIN:-ccid_raw} "$@" >/tmp/raw.out 2>/tmp/raw.err || rc=$?
	cat /tmp/raw.err
	tap_forward /tmp/raw.out
	if raw_verdict $rc /tmp/raw.out; then
		ok "$G: ccid_raw $* ran to its end, exit 0"
	else
		not_ok "$G: ccid_raw $* ran to its end, exit 0" "exit $rc, last line '$(tail -n 1 /tmp/raw.out)': $(tail -n 3 /tmp/raw.err)"
	fi
	return 0
}

# raw_selftest: raw() fails a run that should fail (two "$G: self-test"
# lines): stand-ins for ccid_raw, run in a subshell whose TAP lines go to
# a file instead of ours.
raw_flags() { # STAND_IN: raw() on it reports the run "not ok"
	(RAW_BIN=$1 raw lengths) 3>/tmp/selftest.tap >/dev/null 2>&1
	cat /tmp/selftest.tap
	grep -q "^@@TAP not ok - .*: ccid_raw lengths ran to its end" /tmp/selftest.tap
}
raw_selftest() {
	# prints "ok" lines and even its last line, then crashes
	printf '#!/bin/sh\necho "ok - ccid_raw: passed before the crash"\necho "# sent 1 malformed transfers"\nkill -SEGV $$\n' >/tmp/raw_crash
	# exits 0 without its last line (stopped early)
	printf '#!/bin/sh\necho "ok - ccid_raw: passed before it stopped"\n' >/tmp/raw_early
	chmod +x /tmp/raw_crash /tmp/raw_early
	check "$G: self-test: a ccid_raw that printed ok lines and crashed fails" raw_flags /tmp/raw_crash
	check "$G: self-test: a ccid_raw that exited 0 before its last line fails" raw_flags /tmp/raw_early
}

# ---- a PC/SC client looping APDUs in the background ---------------------------

# loop_start [ARGS...]: pcsc_client --loop until loop_stop, by default
# multi-packet APDUs of the test card both ways; it reconnects after PC/SC
# errors (a new context after pcscd restarted) and fails only on a wrong
# answer, or with --loop-errors NAMES / --loop-max-ms MS on an error not
# named or a call that took longer. It keeps its count of exchanges in
# /tmp/loop.count: a loop that stopped making progress fails no answer, so
# a suite checks loop_moved (wait_for S loop_moved N).
loop_start() {
	[ $# -gt 0 ] || set -- --echo 300 --generate 700
	rm -f /tmp/loop.count
	pcsc_client --loop -q --loop-progress /tmp/loop.count "$@" >/tmp/loop.out 2>&1 3>&- 4<&- &
	LOOP_PID=$!
}
loop_count() { local n; read -r n </tmp/loop.count 2>/dev/null; echo "${n:-0}"; }
loop_moved() { [ "$(loop_count)" -gt "$1" ]; }
# loop_stop: its exit status (1: a wrong answer), 124 if it hung.
loop_stop() {
	local rc
	kill $LOOP_PID 2>/dev/null
	if wait_for 15 sh -c "! kill -0 $LOOP_PID 2>/dev/null || grep -q '^State:.*Z' /proc/$LOOP_PID/status"; then
		wait $LOOP_PID
		rc=$?
	else
		kill -9 $LOOP_PID 2>/dev/null
		wait $LOOP_PID 2>/dev/null
		rc=124
	fi
	cat /tmp/loop.out
	diag "  $(grep '^loop:' /tmp/loop.out)"
	return $rc
}

# ---- the test card from outside -------------------------------------------------

# opensc-tool, a client nobody here wrote: ECHO through --send-apdu
opensc_echo() {
	opensc-tool --reader 0 --card-driver default --send-apdu 80EE000004CAFEBABE >/tmp/opensc.out 2>&1
	local rc=$?
	cat /tmp/opensc.out
	[ $rc = 0 ] && grep -q 'Received (SW1=0x90, SW2=0x00)' /tmp/opensc.out &&
		grep -qi '^CA FE BA BE' /tmp/opensc.out
}

# Issue 7: during card cycles every transaction completes or fails with a
# card-gone error, and none waits out libccid's 3 s read timeout
# (DEFAULT_COM_READ_TIMEOUT): the reader answers at once even for a card
# that just left. The errors: the card is gone or was swapped
# (REMOVED_CARD, NO_SMARTCARD, RESET_CARD, UNPOWERED_CARD), or it left
# mid-APDU (NOT_TRANSACTED: libccid turns the failed XfrBlock into
# IFD_COMMUNICATION_ERROR, as with any reader).
CARD_GONE=SCARD_W_REMOVED_CARD,SCARD_E_NO_SMARTCARD,SCARD_W_RESET_CARD,SCARD_W_UNPOWERED_CARD,SCARD_E_NOT_TRANSACTED
# card_step: one cycle of a suite's card-cycle loop; the caller's $why
# (empty before) says what failed.
card_step() {
	ccid-gadget ctl remove 0 >/dev/null || why="ctl remove failed"
	[ -n "$why" ] || pcsc_client --wait-absent 10 || why="pcscd still sees the card"
	[ -n "$why" ] || ccid-gadget ctl insert 0 >/dev/null || why="ctl insert failed"
	[ -n "$why" ] || pcsc_client -q --wait-card 10 --echo 64 || why="no APDU answer after insert"
}

# ---- QEMU's monitor (tests/vm/README.md "The monitor route") ---------------

# bed_monitor "HMP COMMAND" [SECONDS]: QEMU's monitor runs COMMAND (e.g.
# "device_del card0", "device_add usb-ccid,id=ccid1"): "@@MON COMMAND" on
# the TAP channel, tests/vm/monitor on the build machine runs it through
# QMP and answers on the ack channel (BED_ACK, opened here for the one
# command, before asking: a UART's FIFO is cleared when it is opened, and
# nothing the script starts inherits it). QEMU's reply on
# stdout. Returns 0 once QEMU ran it without an error (device_del: once
# QEMU's DEVICE_DELETED event came), 1 if QEMU said an error, 124 if no
# answer came within SECONDS (30), 2 on a bed without an ack channel
# (armel). One command at a time; COMMAND on one line, single spaces.
bed_monitor() {
	local cmd=$1 secs=${2:-30} line st=124 end
	[ -n "$BED_ACK" ] || { echo "bed_monitor: this bed has no ack channel (arch ${BED_ARCH:-amd64})" >&2; return 2; }
	echo "MON: $cmd"
	{
		# raw again while held: a driver may reset it at each open (hvc)
		stty raw -echo <&4 2>/dev/null
		echo "@@MON $cmd" >&3
		end=$(($(now_ms) + secs * 1000))
		while [ "$(now_ms)" -lt $end ]; do
			# the rest of the time for each line: a timeout mid-line loses it
			IFS= read -r -t $(((end - $(now_ms)) / 1000 + 1)) line <&4 || continue
			line=$(printf '%s' "$line" | tr -d '\r')
			case "$line" in
			"@@MONREPLY "*) echo "${line#@@MONREPLY }" ;;
			"@@MONDONE "?" $cmd") st=${line#@@MONDONE }; st=${st%% *}; break ;;
			esac
		done
	} 4<"$BED_ACK"
	[ $st = 124 ] && echo "bed_monitor: no answer to '$cmd' within ${secs}s" >&2
	return $st
}

# ---- begin / end -------------------------------------------------------------

# log_collapse: stdin to stdout, a run of lines that are the same but for
# pcscd's leading time field ("00400123 ") printed once, then one line
# "[the line above N more times]": pcscd's reader thread looping on
# LIBUSB_ERROR_NO_DEVICE ("pcscd drops the reader", pcscd_drops_reader) once
# filled the last 200 lines and hid how the removal began.
log_collapse() {
	awk 'function flush() { if (n) printf "[the line above %d more times]\n", n; n = 0 }
	{ k = $0; sub(/^[0-9]+ /, "", k)
	  if (NR > 1 && k == prev) { n++; next }
	  flush(); print; prev = k }
	END { flush() }'
}
bed_dump() { # FILE [LINES]: its last LINES (150) once repeats are collapsed
	[ -s "$1" ] || return 0
	echo "===== $1 (last ${2:-150} lines, repeats collapsed)"
	log_collapse <"$1" | tail -n "${2:-150}"
}

bed_begin() {
	trap 'bed_end' EXIT
	echo "bed: speed=$BED_SPEED kernel=$(uname -r)"
}

bed_end() {
	local rc=$?
	trap - EXIT
	if [ $BED_FAILS -gt 0 ] || [ $rc -ne 0 ]; then
		echo "bed: $BED_FAILS failed, $BED_PASSES passed, script exit $rc; logs follow"
		bed_dump /tmp/gadget.log 200
		bed_dump /tmp/pcscd.log 200
		echo "===== dmesg (last 80 lines)"
		dmesg | tail -n 80
	fi
	[ -n "$GADGET_PID" ] && kill "$GADGET_PID" 2>/dev/null
	[ -n "$PCSCD_PID" ] && kill "$PCSCD_PID" 2>/dev/null
	exit $rc
}
