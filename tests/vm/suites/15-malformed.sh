# Malformed CCID from the host through real USB (issue 7): tests/tools/
# ccid_raw claims the reader on usbdevfs (no pcscd) and sends every
# message type with dwLength 0, 9, 10, max-1, max, max+1, 0xFFFFFFFF
# (whole and cut short), truncated headers, short packets mid-message,
# wrong slots, a flood of XfrBlocks without reading bulk-IN, and (with a
# slow card) overlapping commands. Each gets the response type the spec
# pairs with it (bError 1 for a bad dwLength, 5 for a bad bSlot,
# CMD_SLOT_BUSY for an overlap) or is dropped, and the next well-formed
# command is answered in step; the daemon's memory and fds stay flat, and
# pcscd + libccid use the reader normally afterwards. (Anchors:
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
fds0=$(fd_count "$GADGET_PID")
if [ "$BED_SPEED" = high ]; then
	raw lengths headers short slots flood
else
	raw --quick lengths headers short slots flood
fi
# A second round: memory must not grow with it.
G1=$G
G="$G1, round 2"
raw --quick lengths headers short slots flood
G=$G1
rss1=$(rss_kb "$GADGET_PID")
fds1=$(fd_count "$GADGET_PID")
diag "$G: VmRSS $rss0 kB -> $rss1 kB, fds $fds0 -> $fds1"
check "$G: the daemon is alive after all of it" alive "$GADGET_PID"
check "$G: its memory stays bounded (VmRSS grew < 1024 kB over two rounds)" \
	rss_bounded "$rss0" "$rss1" 1024
check "$G: no fd leaked" fds_same "$fds0" "$fds1"
check "$G: pcscd starts" pcscd_start
check "$G: ... and libccid then uses the reader: ATR and an APDU" \
	pcsc_client --wait-reader 10 --wait-card 10 --atr --echo 16
pcscd_stop
check "$G: daemon exits 0 on SIGTERM" gadget_stop

check "$G: the daemon starts with a slow card (delay_ms=1500)" gadget_start --card test,delay_ms=1500
raw overlap
check "$G: slow card: daemon exits 0 on SIGTERM" gadget_stop
