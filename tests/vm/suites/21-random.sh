# SPDX-License-Identifier: GPL-2.0-or-later
# Random PC_to_RDR messages through real USB (issue 16): ccid_raw
# --random SEED N claims the reader on usbdevfs (no pcscd) and sends N
# messages of every type, and of unknown types, with random bSlot, bSeq,
# abRFU and payload and a dwLength that matches the bytes sent or does not
# (cut short, more than the reader takes, bytes past it). Each must be
# answered with the response type, bSlot and bSeq the spec pairs with it
# and the bError of the first bad field, or stalled; a GetSlotStatus with
# a bSeq of its own is then answered in step. The daemon lives, its memory
# and fds stay flat, and a fresh pcscd opens the reader and exchanges
# APDUs. The seed is in the TAP line: set SEED to it to send the same
# messages again. `make soak` runs N=1000000.
# bed: --timeout 600 --speed high
# bed: --timeout 600 --speed full

N=2000             # messages (make soak: 1000000)
SEED=              # empty: a new seed each run (printed); a number replays that run

G="random ($BED_SPEED)"
command -v ccid_raw >/dev/null || { not_ok "$G: build/tools/ccid_raw is in the image" "run make first"; exit 1; }
raw_selftest
check "$G: self-test: the RSS check fails on empty values" fails rss_bounded "" "" 1024
check "$G: modules load" usb_load "$BED_SPEED"
check "$G: the daemon starts with the test card" gadget_start --card test
# The random run's checker flags answers it did not expect: told to
# expect each bSeq one too high, it must count all 20 answers wrong.
random_flags() {
	ccid_raw --expect-wrong-seq --random 1 20 >/tmp/wrong.out 2>&1
	local rc=$?
	cat /tmp/wrong.out
	[ $rc = 1 ] && grep -q '^not ok - ccid_raw: random: seed 1, 20 messages .*: 20 answered wrong' /tmp/wrong.out
}
check "$G: self-test: ccid_raw --random flags wrong answers (20 of 20, exit 1)" random_flags
[ -n "$SEED" ] || SEED=$(($(date +%s) % 1000000007))
diag "$G: seed $SEED, $N messages"
rss0=$(rss_kb "$GADGET_PID")
fds0=$(fd_count "$GADGET_PID")
log0=$(wc -c </tmp/gadget.log)
raw --random "$SEED" "$N"
diag "$G: the daemon's log grew $(($(wc -c </tmp/gadget.log) - log0)) bytes over $N messages"
rss_mid=$(rss_kb "$GADGET_PID")
# A second run (the next seed, a quarter as many): memory must not grow
# with it. The first may touch, once, what the engine holds by design (up
# to 16 queued answers of up to 64 KiB, the reassembly and chaining
# buffers: about 1.3 MB, as in 15-malformed).
raw --random "$((SEED + 1))" "$((N / 4))"
rss1=$(rss_kb "$GADGET_PID")
fds1=$(fd_count "$GADGET_PID")
diag "$G: VmRSS $rss0 kB -> $rss_mid kB (first run) -> $rss1 kB, fds $fds0 -> $fds1"
check "$G: the daemon is alive after them" alive "$GADGET_PID"
check "$G: the first run touches no more than the engine's bounded buffers (VmRSS grew < 2048 kB)" \
	rss_bounded "$rss0" "$rss_mid" 2048
check "$G: its memory does not grow with a second run (VmRSS grew < 1024 kB)" \
	rss_bounded "$rss_mid" "$rss1" 1024
check "$G: no fd leaked" fds_same "$fds0" "$fds1"
# A new host session after the random messages, not only the one open.
check "$G: a fresh pcscd starts" pcscd_start
check "$G: ... opens the reader: ATR and APDUs" \
	pcsc_client --wait-reader 10 --wait-card 10 --atr --echo 16 --generate 300
pcscd_stop
check "$G: daemon exits 0 on SIGTERM" gadget_stop
