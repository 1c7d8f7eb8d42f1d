# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt's `host` mode lent over the network (issue 14): QEMU's own
# usb-ccid + ccid-card-emulated (Richard Roe's three certificates, PIN
# 654321; tests/vm/host/make-token) is the physical reader of the lending
# machine; ccid-vscclient in its hardware mode (no -c, no -e: libcacard's
# defaults, use_hw=yes, the db /etc/pki/nssdb, here build/host/readerdb
# with OpenSC's PKCS#11 module registered by modutil) reads the card
# through pcscd + libccid + OpenSC + NSS and lends it to the daemon's
# passthru card; the PC sees it through the gadget on dummy_hcd. The bed
# is lender, board and PC at once (one pcscd sees both readers).
#  - the gadget's reader is kept out of the lender: ccid-vscclient's OpenSC
#    reads /host/opensc-lender.conf (OPENSC_CONF), whose ignored_readers
#    names the gadget's serial (--serial HOSTBOARD): shown by the lender's
#    own list (one reader) while OpenSC's default configuration shows two
#    tokens;
#  - the PC (its OpenSC ignoring QEMU's reader) lists Roe's three
#    certificates byte for byte, a wrong PIN is refused by the physical
#    card, its PIN signs (openssl verifies);
#  - two rounds of the card pulled at QEMU's monitor (bed_monitor
#    "device_del card0") and put back (device_add), host/lib.sh's
#    card_round, which reader.sh runs too: the PC sees it gone and back
#    within 10 s each (the times are diag lines), lists and signs again,
#    refuses a wrong PIN. The lender's NSS slot watch does it (vcg_slotwatch.h: the
#    gadget's reader appearing in pcscd stops libcacard's own slot-event
#    thread for good); without it the PC never saw the removal and the
#    login after device_add failed (CKR_GENERAL_ERROR);
#  - the card pulled and put back at once: the PC signs with it (what the
#    lender saw, a diag line, varies: the watch's "replaced", or nothing
#    when NSS's session on the token survived);
#  - a lender quits (the PC loses the gadget), the card is pulled, a new
#    lender starts on the empty reader (the PC sees an empty reader), the
#    card is put in: the PC sees it and signs (the watch's "inserted").
# 56 checks, ~65-95 s of script, ~70-100 s of VM: make soak runs it (tests/soak). By hand,
# from the top of the tree (QEMU opens build/host/roe relative to it):
#   tests/vm/host/make-token && tests/vm/bed run tests/vm/host/lend.sh ARGS
# with ARGS from the "# bed:" line below.
# bed-setup: tests/vm/host/make-token
# bed: --timeout 400 --add build/host/certs:/host/certs --add build/host/readerdb:/etc/pki/nssdb --add tests/vm/host/opensc-lender.conf:/host/opensc-lender.conf --add tests/vm/host/opensc-pc.conf:/host/opensc-pc.conf --add tests/vm/host/lib.sh:/host/lib.sh --add /usr/bin/openssl:/usr/bin/openssl --qemu-arg -device --qemu-arg piix3-usb-uhci,id=uhci --qemu-arg -device --qemu-arg usb-ccid,bus=uhci.0,id=ccid0 --qemu-arg -device --qemu-arg ccid-card-emulated,backend=certificates,db=sql:build/host/roe,cert1=roe-id,cert2=roe-signing,cert3=roe-encryption,id=card0

. /bed/p11.sh
. /host/lib.sh

C=/host/certs
PIN=654321
PORT=35964
G=host-lend
SERIAL=HOSTBOARD   # the gadget's --serial: how the PC side finds it (host/lib.sh)
PC_ATR=$CAC_ATR    # what the PC must see in the gadget's reader: libcacard's ATR
P11="timeout 60 $P11"
CLIENT_PID=

# The lender reads its commands from a fifo kept open on fd 5.
lender_start() { # ARGS...
	rm -f /tmp/vsc.fifo
	mkfifo /tmp/vsc.fifo
	echo "+ OPENSC_CONF=/host/opensc-lender.conf ccid-vscclient $*" >>/tmp/vscclient.log
	OPENSC_CONF=/host/opensc-lender.conf ccid-vscclient "$@" </tmp/vsc.fifo >>/tmp/vscclient.out 2>>/tmp/vscclient.log 3>&- 4<&- &
	CLIENT_PID=$!
	exec 5>/tmp/vsc.fifo
}
lender_cmd() { echo "$1" >&5; }
lender_says() { grep -q "$1" /tmp/vscclient.log || { tail -n 30 /tmp/vscclient.log; return 1; }; }

# How many slots with a token the given OpenSC configuration shows.
slots_with_token() { # CONF
	OPENSC_CONF=$1 timeout 60 pkcs11-tool --module opensc-pkcs11.so -L >/tmp/slots.out 2>&1
	cat /tmp/slots.out >&2
	grep -c 'token label' /tmp/slots.out
}
default_sees_two() { [ "$(slots_with_token /etc/opensc/opensc.conf)" = 2 ]; }
# The lender's own list (its "list" command): one reader, the physical one.
lender_has_one_reader() {
	: >/tmp/vscclient.out
	lender_cmd list
	wait_for 10 grep -q '^session:' /tmp/vscclient.out
	cat /tmp/vscclient.out
	[ "$(grep -c "^reader '" /tmp/vscclient.out)" = 1 ] &&
		grep -q "^reader 'Gemalto Gemplus USB SmartCard Reader.*(passed to the server): CARD_PRESENT" /tmp/vscclient.out
}
roe_certs_on_pc() { three_certs_are $C roe-id roe-signing roe-encryption; }
wrong_pin() { wrong_pin_refused_for 111111 $C/roe-signing.der; }
signs_with() { signs_with_cert "$1" $C/roe-signing.der; } # PIN

# ---- the bed ----

for f in ccid-gadget ccid-vscclient openssl pcsc_client; do
	command -v $f >/dev/null || { not_ok "$G: $f is in the image" "run make first; see the # bed: line"; exit 1; }
done
usb_both() { usb_load high && bed_modprobe uhci-hcd; }
check "$G: modules load (dummy_hcd, uhci-hcd)" usb_both
check "$G: systemd-udevd starts" udevd_start
check "$G: pcscd starts" pcscd_start
echo "ccid-gadget signs this for the host-lend suite" >/tmp/msg
check "$G: pcscd + libccid see QEMU's usb-ccid (the lender's reader) with its card" \
	pcsc_client --wait-reader 30 --wait-card 20 --list --expect-readers 1

: >/tmp/gadget.log
echo "+ ccid-gadget --serial $SERIAL -v --card passthru,listen=127.0.0.1:$PORT" >>/tmp/gadget.log
ccid-gadget --serial $SERIAL -v --card passthru,listen=127.0.0.1:$PORT >>/tmp/gadget.log 2>&1 3>&- 4<&- &
GADGET_PID=$!
check "$G: the daemon with a passthru card starts listening" wait_for 10 test -S /run/ccid-gadget.sock
: >/tmp/vscclient.log
check "$G: (self-test) before the lender's ReaderAdd the PC has no gadget" gadget_off_host
lender_start -d 1 127.0.0.1 $PORT
check "$G: the lender's ReaderAdd plugs the gadget in: the host enumerates it" wait_for 60 gadget_on_host
check "$G: pcscd lists both readers, QEMU's and the gadget's" \
	pcsc_client --wait-reader 20 --list --expect-readers 2
# The index of QEMU's reader in pcscd's list: the other one.
GR=$(gadget_reader)
QR=$((1 - GR))
echo "gadget reader $GR, QEMU's $QR"
check "$G: the lender's VSC_ATR: the gadget's reader has the card, libcacard's ATR" pc_card_in 10
check "$G: the gadget's reader is kept out of the lender: its libcacard has one reader, QEMU's" lender_has_one_reader
# The check above can fail: without ignored_readers OpenSC offers both.
check "$G: ... OpenSC's default configuration shows two tokens (the gadget's too)" default_sees_two
export OPENSC_CONF=/host/opensc-pc.conf
check "$G: the PC lists Richard Roe's three certificates through the gadget, byte for byte" roe_certs_on_pc
check "$G: a wrong PIN is refused by the physical card (C_Login fails, nothing signed)" wrong_pin
check "$G: the card's PIN signs through the gadget, the lender and the reader; openssl verifies" signs_with $PIN
check "$G: ... and that signature does not verify against roe-id's key" verifies_not $C/roe-id.der

# ---- removal and insertion at the lending side ----

CARD_ADD="device_add ccid-card-emulated,backend=certificates,db=sql:build/host/roe,cert1=roe-id,cert2=roe-signing,cert3=roe-encryption,id=card0"
lender_pcscd_gone() { pcsc_client --reader $QR --wait-card 0 --wait-absent 10; }
lender_pcscd_back() { pcsc_client --reader $QR --wait-card 10 --atr; }

# Each round (host/lib.sh card_round): the lender's pcscd sees the card
# go and come back, and the lender's NSS slot watch says it was removed.
round_pulled() { check "$1: ... the lender's pcscd sees it gone" lender_pcscd_gone; T_LENDER=$(now_ms); }
round_gone() {
	diag "$1: the lender's pcscd saw it gone after $((T_LENDER - ROUND_T0)) ms"
	check "$1: ... the lender said so (its NSS slot watch)" \
		lender_says "the card in 'Gemalto.*' was removed (NSS slot)"
}
round_put() { check "$1: ... the lender's pcscd sees the card" lender_pcscd_back; T_LENDER=$(now_ms); }
round_back() { diag "$1: the lender's pcscd saw it back after $((T_LENDER - ROUND_T0)) ms"; }
for round in 1 2; do
	card_round "$G: round $round" "device_del card0" "$CARD_ADD" 10 10
done
# Pulled and put back at once: the lender may see the slot empty, or only
# a new token in it (vcg_slotwatch.h "replaced"); either way libcacard's
# card must be the new token's, or the PC's login fails.
: >/tmp/vscclient.log
swap_at_once() { bed_monitor "device_del card0" && bed_monitor "$CARD_ADD"; }
pc_signs_again() { pc_card_in 10 && signs_with $PIN; }
check "$G: pulled and put back at once (device_del, device_add)" swap_at_once
sleep 2
# What the lender saw varies (a new token in the slot, or nothing when the
# swap fell between two of NSS's reads); the PC must sign either way.
diag "at once: the lender saw: $(grep -o 'was [a-z]* (NSS slot)' /tmp/vscclient.log | tr '\n' ' ')"
check "$G: ... the PC has the card, which signs with its PIN" pc_signs_again
check "$G: a wrong PIN after the rounds is still refused" wrong_pin
check "$G: the lender still runs" alive $CLIENT_PID

# ---- a lender started while its reader is empty ----

lender_gone() { ! alive $CLIENT_PID; }
lender_quits() {
	lender_cmd quit
	wait_for 10 lender_gone || { echo "the lender still runs"; tail -n 5 /tmp/vscclient.log; return 1; }
	wait_for 20 gadget_off_host || { echo "the PC still has the gadget"; tail -n 5 /tmp/vscclient.log; return 1; }
}
check "$G: the lender quits (its reader leaves the PC)" lender_quits
exec 5>&-
check "$G: the card pulled while no lender runs" bed_monitor "device_del card0"
check "$G: ... the lender's pcscd sees it gone" lender_pcscd_gone
lender_start -d 1 127.0.0.1 $PORT
check "$G: a lender started on the empty reader plugs the gadget in" wait_for 60 gadget_on_host
check "$G: ... pcscd lists both readers" pcsc_client --wait-reader 20 --list --expect-readers 2
GR=$(gadget_reader)
QR=$((1 - GR))
check "$G: ... the gadget's reader has no card" pc_card_gone 2
t0=$(now_ms)
check "$G: the card put in (device_add)" bed_monitor "$CARD_ADD"
check "$G: ... the PC sees it in the gadget's reader within 10 s" pc_card_in 10
t1=$(now_ms)
diag "insertion into a lender started empty: the PC after $((t1 - t0)) ms"
check "$G: ... the lender's slot watch put it in (libcacard's own thread stopped at the gadget's reader)" \
	lender_says "was inserted (NSS slot)"
check "$G: ... and signs with it" signs_with $PIN
check "$G: the daemon exits 0 on SIGTERM" gadget_stop
