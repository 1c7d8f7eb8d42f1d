# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers the host-mode scripts share (tests/vm/host/reader.sh, lend.sh),
# sourced after tests/vm/lib.sh and p11.sh; each script's "# bed:" line
# adds it as /host/lib.sh. busybox sh.
#
# The gadget on the PC's side, by its serial ($SERIAL, the daemon's
# --serial; or the first argument): these beds also have QEMU's usb-ccid
# on the UHCI bus (2-1), which lib.sh's host_dev and wait_enumerated take
# for the gadget, so a check with them passes even when the gadget never
# enumerates.
#   gadget_on_host [SERIAL]    UDC configured and a device with that serial
#   gadget_off_host [SERIAL]   no device with that serial
gadget_on_host() { [ "$(udc_state)" = configured ] && grep -qsx "${1:-$SERIAL}" /sys/bus/usb/devices/*/serial; }
gadget_off_host() { ! grep -qsx "${1:-$SERIAL}" /sys/bus/usb/devices/*/serial; }

# The PC's view of the gadget's reader through pcscd. Its index is looked
# up again at each try: pcscd renumbers its readers when QEMU's leaves.
#   gadget_reader              the index of the reader whose name holds $SERIAL
#   pc_card_gone SECONDS       the PC sees no card in it within SECONDS
#   pc_card_in SECONDS         ... a card (and its ATR: $PC_ATR when set)
gadget_reader() { pcsc_client --list 2>/dev/null | sed -n "s/^\([0-9]*\): .*$SERIAL.*/\1/p" | head -n 1; }
pc_card_gone_now() { pcsc_client --reader "$(gadget_reader)" --wait-absent 0.5; }
pc_card_in_now() { pcsc_client --reader "$(gadget_reader)" --wait-card 0.5 --atr ${PC_ATR:+--expect-atr $PC_ATR}; }
pc_card_gone() { wait_for "$1" pc_card_gone_now; }
pc_card_in() { wait_for "$1" pc_card_in_now; }

# One round of the physical card pulled and put back at QEMU's monitor
# (tests/vm/README.md "The monitor route"), the sequence both scripts
# check: each checker shown to fail first, the card pulled, the PC sees
# the gadget's reader empty (the reader stays), the card put back, the PC
# sees it, lists Roe's three certificates byte for byte, signs with the
# PIN and still refuses a wrong one. Times from the monitor's answer are
# diag lines.
#   card_round PREFIX DEL_CMD ADD_CMD GONE_S BACK_S
# The script defines what its own layer must show, each called with
# PREFIX (ROUND_T0: now_ms when the monitor pulled or put back the card):
#   round_pulled    after device_del, before the PC is asked (the lender's pcscd)
#   round_gone      once the PC saw the card go (the daemon's or the lender's line)
#   round_put       after device_add, before the PC is asked
#   round_back      once the PC saw it again
# and PIN, roe_certs_on_pc, signs_with PIN, wrong_pin.
card_round() {
	local p=$1 del=$2 add=$3 gone_s=$4 back_s=$5
	check "$p: (self-test) the PC's card-gone check fails while the card is in" fails pc_card_gone 2
	check "$p: QEMU's monitor pulls the card ($del)" bed_monitor "$del"
	ROUND_T0=$(now_ms)
	round_pulled "$p"
	check "$p: ... the PC sees the card gone from the gadget's reader within $gone_s s" pc_card_gone "$gone_s"
	diag "$p: card pulled -> the PC sees no card: $(($(now_ms) - ROUND_T0)) ms"
	check "$p: ... the gadget's reader stays on the PC" pcsc_client --list --expect-readers 2
	round_gone "$p"
	check "$p: ... (self-test) the PC's card-in check fails while the card is out" fails pc_card_in 2
	check "$p: QEMU's monitor puts it back (device_add)" bed_monitor "$add"
	ROUND_T0=$(now_ms)
	round_put "$p"
	check "$p: ... the PC sees it in the gadget's reader within $back_s s${PC_ATR:+, the ATR expected}" pc_card_in "$back_s"
	diag "$p: card put back -> the PC sees a card: $(($(now_ms) - ROUND_T0)) ms"
	round_back "$p"
	check "$p: ... the PC lists the three certificates byte for byte again" roe_certs_on_pc
	check "$p: ... and signs with the card's PIN; openssl verifies" signs_with "$PIN"
	check "$p: ... a wrong PIN is still refused" wrong_pin
}
