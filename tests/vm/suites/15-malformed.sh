# SPDX-License-Identifier: GPL-2.0-or-later
# Malformed CCID from the host through real USB (issue 7): tests/tools/
# ccid_raw claims the reader on usbdevfs (no pcscd) and sends every
# message type with dwLength 0, 9, 10, max-1, max, max+1, 0xFFFFFFFF
# (whole and cut short), truncated headers, short packets mid-message,
# wrong slots, a flood of XfrBlocks without reading bulk-IN, and (with a
# slow card) overlapping commands. Each gets the response type the spec
# pairs with it (bError 1 for a bad dwLength, 5 for a bad bSlot,
# CMD_SLOT_BUSY for an overlap) or is dropped, and the next well-formed
# command is answered in step; the daemon's memory and fds stay flat, and
# a fresh pcscd + libccid use the reader normally afterwards. A lone half
# of the ABORT handshake (bulk or class request) ends by itself, and a
# fresh pcscd then opens the reader (issue 16). (Anchors:
# CVE-2017-5898 in QEMU's usb-ccid; QEMU's per-command length checks.)
# bed: --timeout 420 --speed high
# bed: --timeout 420 --speed full

G="malformed ($BED_SPEED)"

# Self-tests: each checker fails when it should, before it is trusted
# (raw() and the memory and fd checks are lib.sh's).
selftest() {
	raw_selftest
	check "$G: self-test: the RSS check fails on empty values" fails rss_bounded "" "" 1024
	check "$G: self-test: ... on one empty value" fails rss_bounded 5000 "" 1024
	check "$G: self-test: ... on a growth of 1024 kB" fails rss_bounded 5000 6024 1024
	check "$G: self-test: the fd check fails on empty values" fails fds_same "" ""
	check "$G: self-test: ... on one fd more" fails fds_same 7 8
}

command -v ccid_raw >/dev/null || { not_ok "$G: build/tools/ccid_raw is in the image" "run make first"; exit 1; }
selftest
check "$G: modules load" usb_load "$BED_SPEED"
check "$G: the daemon starts with the test card" gadget_start --card test
rss0=$(rss_kb "$GADGET_PID")
diag "$G: before round 1: $(grep -E 'VmRSS|RssAnon|RssFile|RssShmem|VmData' /proc/$GADGET_PID/status | tr -s ' \t' ' ' | tr '\n' ' ')"
fds0=$(fd_count "$GADGET_PID")
if [ "$BED_SPEED" = high ]; then
	raw lengths headers short slots flood
else
	raw --quick lengths headers short slots flood
fi
rss_mid=$(rss_kb "$GADGET_PID")
diag "$G: after round 1: $(grep -E 'VmRSS|RssAnon|RssFile|RssShmem|VmData' /proc/$GADGET_PID/status | tr -s ' \t' ' ' | tr '\n' ' ')"
# A second round: memory must not grow with it.
G1=$G
G="$G1, round 2"
raw --quick lengths headers short slots flood
G=$G1
rss1=$(rss_kb "$GADGET_PID")
fds1=$(fd_count "$GADGET_PID")
diag "$G: VmRSS $rss0 kB -> $rss_mid kB (round 1) -> $rss1 kB, fds $fds0 -> $fds1"
diag "$G: after round 2: $(grep -E 'VmRSS|RssAnon|RssFile|RssShmem|VmData' /proc/$GADGET_PID/status | tr -s ' \t' ' ' | tr '\n' ' ')"
check "$G: the daemon is alive after all of it" alive "$GADGET_PID"
# Round 1 may touch, once, what the engine holds by design: up to 16
# queued answers of up to 64 KiB (the flood), the reassembly buffer and the
# chaining buffers; and code its error paths run for the first time. Seen:
# 6248 -> 7616 kB, then flat, of which RssShmem +1136 kB (the program and
# its libraries are on the VM's initramfs (tmpfs) root, so their pages count as shmem:
# first-run code, not heap) and RssAnon +228 kB, VmData unchanged (so
# malloc_trim would give back little). A leak is growth with the second
# round.
check "$G: round 1 touches no more than the engine's bounded buffers (VmRSS grew < 2048 kB)" \
	rss_bounded "$rss0" "$rss_mid" 2048
check "$G: its memory does not grow with a second round (VmRSS grew < 1024 kB)" \
	rss_bounded "$rss_mid" "$rss1" 1024
check "$G: no fd leaked" fds_same "$fds0" "$fds1"
check "$G: pcscd starts" pcscd_start
check "$G: ... and libccid then uses the reader: ATR and an APDU" \
	pcsc_client --wait-reader 10 --wait-card 10 --atr --echo 16
pcscd_stop

# ---- a lone half of the ABORT handshake (issue 16) ----
# A host that dies between PC_to_RDR_Abort and the ABORT class request
# (or sends only one of them) must not leave the reader failing every
# command for the hosts after it: the daemon ends the half after about
# 5 s (CCID_ABORT_TIMEOUT_TICKS, ccid/ccid_abort.c) with one log line,
# and then a fresh pcscd opens the reader and exchanges APDUs. (While the
# half waits, libccid's first three GetSlotStatus fail CMD_ABORTED and
# pcscd gives the reader up: "Open Port ... Failed"; an engine that never
# ends the half fails both checks below.)
half_ended() { tail -n +$((abort_mark + 1)) /tmp/gadget.log | grep -q "$1"; }
lone_abort() { # TEST LOG_LINE
	abort_mark=$(wc -l </tmp/gadget.log)
	raw "$1"
	check "$G: $1: the daemon ends the lone half within 10 s (its log line)" \
		wait_for 10 half_ended "$2"
	check "$G: $1: a fresh pcscd starts" pcscd_start
	check "$G: $1: ... opens the reader and exchanges APDUs" \
		pcsc_client --wait-reader 10 --wait-card 10 --atr --echo 16
	pcscd_stop
}
lone_abort abort-bulk "PC_to_RDR_Abort without its ABORT request for about [0-9]* ms: completed"
lone_abort abort-request "ABORT request without its PC_to_RDR_Abort for about [0-9]* ms: forgotten"
check "$G: daemon exits 0 on SIGTERM" gadget_stop

check "$G: the daemon starts with a slow card (delay_ms=1500)" gadget_start --card test,delay_ms=1500
raw overlap
# The malformed input ends with a fresh host session too.
check "$G: slow card: after the overlap a fresh pcscd starts" pcscd_start
check "$G: slow card: ... opens the reader and exchanges an APDU" \
	pcsc_client --wait-reader 10 --wait-card 20 --echo 16
pcscd_stop
check "$G: slow card: daemon exits 0 on SIGTERM" gadget_stop
