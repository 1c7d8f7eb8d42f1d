# SPDX-License-Identifier: GPL-2.0-or-later
# Windows' USB CCID class driver cannot run here, so tests/tools/
# ccid_winseq replays what it sends a reader through real USB (usbdevfs,
# no pcscd, no libccid) and asserts each answer against CCID 1.1 (the
# sequence and where it comes from: ccid_winseq.c): GET_CLOCK_FREQUENCIES
# and GET_DATA_RATES (counted as the descriptor says), GetSlotStatus,
# IccPowerOff, IccPowerOn at 5 V (bPowerSelect 1), GetParameters,
# SetParameters T=0 and T=1 (and one refused with the offset of its bad
# field), SetDataRateAndClockFrequency, XfrBlock of every APDU case short
# and extended up to 64 KiB, ABORT (class request then PC_to_RDR_Abort),
# IccPowerOff and a second power-on; then the same against a slow card
# (time extensions inside the waiting time, ABORT of a pending APDU, its
# late answer dropped). Finally pcscd + libccid still use the reader.
# bed: --timeout 300

G=winseq
SLOW=2500

winseq() { # ARGS...: ccid_winseq's TAP lines onto the TAP channel
	local rc
	ccid_winseq "$@" >/tmp/winseq.out 2>/tmp/winseq.err
	rc=$?
	cat /tmp/winseq.err
	tap_forward /tmp/winseq.out
	[ -s /tmp/winseq.out ] || not_ok "$G: ccid_winseq $* ran" "exit $rc: $(tail -n 3 /tmp/winseq.err)"
	return 0
}

command -v ccid_winseq >/dev/null || { not_ok "$G: build/tools/ccid_winseq is in the image" "run make first"; exit 1; }
check "$G: modules load" usb_load high
check "$G: the daemon starts with the test card" gadget_start --card test -v
winseq
check "$G: daemon exits 0 on SIGTERM" gadget_stop

G="winseq (slow card, $SLOW ms)"
check "$G: the daemon starts with a slow test card" \
	gadget_start --card test,delay_ms=$SLOW -v
winseq --slow $SLOW
check "$G: the daemon is alive" alive "$GADGET_PID"
check "$G: pcscd starts" pcscd_start
check "$G: ... and libccid then uses the reader: ATR and an APDU" \
	pcsc_client --wait-reader 10 --wait-card 30 --atr --echo 16
pcscd_stop
check "$G: daemon exits 0 on SIGTERM" gadget_stop
