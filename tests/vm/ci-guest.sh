# SPDX-License-Identifier: GPL-2.0-or-later
# The guest half of scripts/ccid-gadget-ci (busybox sh, lib.sh sourced):
# appended to the lines the script writes (SPEC, WANT_CARD, CWD, NAME,
# SERIAL, ci_command). Brings up the reader and card, runs ci_command with
# its output on the console and, marked "@@OUT ", on the TAP channel,
# reports its status as "@@CIRC N" and sends the logs and the pcap out as
# "@@ART NAME" / "@@B64 ..." / "@@ARTEND" (base64) for the host to decode.
# A setup step that fails is a "not ok" line and no @@CIRC: the host then
# exits 125.

ci_emit() { # NAME FILE
	[ -f "$2" ] || return 0
	echo "@@ART $1" >&3
	base64 "$2" | sed 's/^/@@B64 /' >&3
	echo "@@ARTEND" >&3
}

ci_finish() {
	gadget_stop   # closes the pcap
	pcscd_stop
	ci_emit gadget.log /tmp/gadget.log
	ci_emit pcscd.log /tmp/pcscd.log
	ci_emit ccid.pcap /tmp/ccid.pcap
}

# The daemon enumerates, or fails at once (a bad SPEC: exit 2): no 30 s
# wait for a dead daemon.
up_or_dead() { enumerated || ! alive "$GADGET_PID"; }
ci_gadget_start() {
	echo "+ ccid-gadget $*" >>/tmp/gadget.log
	ccid-gadget "$@" >>/tmp/gadget.log 2>&1 3>&- 4<&- &
	GADGET_PID=$!
	wait_for 30 up_or_dead
	enumerated
}

card_ready() { opensc-tool --list-readers 2>/dev/null | grep -Eq "^[0-9]+ +Yes .*\($SERIAL\)"; }
reader_ready() { opensc-tool --list-readers 2>/dev/null | grep -q "($SERIAL)"; }

ci_setup() {
	check "ci: dummy_hcd and its UDC" usb_load high || return 1
	check "ci: udevd" udevd_start || return 1
	check "ci: the reader enumerates" ci_gadget_start --name "$NAME" --serial "$SERIAL" -v \
		--pcap /tmp/ccid.pcap --card "$SPEC" || return 1
	check "ci: pcscd answers" pcscd_start || return 1
	if [ "$WANT_CARD" = 1 ]; then
		check "ci: pcscd has the card" wait_for 30 card_ready || return 1
	else
		check "ci: pcscd has the reader" wait_for 30 reader_ready || return 1
	fi
}

if ci_setup; then
	mkdir -p "$CWD" && cd "$CWD"
	export CCID_GADGET_CI=vm
	{ ci_command </dev/null 2>&1; echo $? >/tmp/ci.rc; } | sed 's/^/@@OUT /' | tee /proc/self/fd/3 | sed 's/^@@OUT //'
	cd /
	ci_finish
	echo "@@CIRC $(cat /tmp/ci.rc)" >&3
else
	ci_finish
fi
