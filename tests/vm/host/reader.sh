# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt's `host` mode with a physical reader on the board (issue 14):
# QEMU's own usb-ccid + ccid-card-emulated (Richard Roe's three
# certificates, a second NSS db with a password: the card's PIN 654321;
# tests/vm/host/make-token) is the board's USB reader. The board's pcscd +
# libccid + OpenSC's PKCS#11 module (registered in the board's NSS db
# /host/readerdb with modutil) reach it; backend=nss-emulated mirrors it;
# the PC sees it through the gadget on dummy_hcd. ~60 s of VM: make soak
# runs it (tests/soak), not make check; by hand:
#   tests/vm/host/make-token && tests/vm/bed run tests/vm/host/reader.sh ARGS
# with ARGS from the "# bed:" line below (from the top of the tree: QEMU
# opens build/host/roe relative to it).
#  - the PC finds the gadget by its serial (tests/vm/host/lib.sh): QEMU's
#    usb-ccid is a USB device too, which lib.sh's wait_enumerated takes
#    for the gadget (self-tests: found before the daemon starts; a wrong
#    serial is not found);
#  - the gadget's own reader is kept out of the board: the bed is board
#    and PC at once, so one pcscd sees both readers; the daemon's OpenSC
#    reads /host/opensc-board.conf (OPENSC_CONF), whose ignored_readers
#    names the gadget's serial (--serial HOSTBOARD): shown by the board's
#    OpenSC listing one slot, and taking one reader where its default
#    configuration takes two (opensc-tool --list-readers: opening QEMU's
#    card from a second process would reset it under the daemon);
#  - the PC (its OpenSC ignoring QEMU's reader) lists Roe's three
#    certificates byte for byte; a wrong PIN is refused by the physical
#    card; its PIN signs (openssl verifies).
#  - hot-plug at QEMU's monitor (bed_monitor, tests/vm/README.md "The
#    monitor route"): the card pulled (device_del) and put back
#    (device_add): the PC sees it go and come back (times printed as
#    diagnostics) and signs with it after (host/lib.sh's card_round,
#    which lend.sh runs too); the whole reader pulled under a
#    PC connection looping APDUs: the card goes, the daemon lives, a new
#    reader and card bring it back; the board's pcscd (the physical
#    reader's driver) stopped and started again; the daemon started with
#    the reader empty, then the card put in. Each failure path with its one
#    line in the daemon's log. The daemon's own watch on the slot
#    (vcard-glue/emulated/vcg_emul_watch.c) is what sees all of these:
#    libcacard's slot-event thread ends at the first OpenSC error.
# ~70 s of VM in all, ~35 s of it the hot-plug part.
# Logs: each daemon start its own: the first daemon's is moved to
# /tmp/gadget-first.log before the second starts (in /tmp/gadget.log, which
# the bed dumps); both are dumped when a check failed.
# bed-setup: tests/vm/host/make-token
# bed: --timeout 300 --add build/host/certs:/host/certs --add build/host/readerdb:/host/readerdb --add tests/vm/host/opensc-board.conf:/host/opensc-board.conf --add tests/vm/host/opensc-pc.conf:/host/opensc-pc.conf --add tests/vm/host/lib.sh:/host/lib.sh --add /usr/bin/openssl:/usr/bin/openssl --qemu-arg -device --qemu-arg piix3-usb-uhci,id=uhci --qemu-arg -device --qemu-arg usb-ccid,bus=uhci.0,id=ccid0 --qemu-arg -device --qemu-arg ccid-card-emulated,backend=certificates,db=sql:build/host/roe,cert1=roe-id,cert2=roe-signing,cert3=roe-encryption,id=card0

. /bed/p11.sh
. /host/lib.sh

C=/host/certs
PIN=654321
BOARD="OPENSC_CONF=/host/opensc-board.conf"
SERIAL=HOSTBOARD   # the gadget's --serial: how the PC side finds it (host/lib.sh)
SPEC="emulated,backend=nss-emulated,db=sql:/host/readerdb,personality=cac"
P11="timeout 60 $P11"

roe_certs_on_pc() { three_certs_are $C roe-id roe-signing roe-encryption; }
# How many slots with a token the given OpenSC configuration shows.
slots_with_token() { # CONF
	OPENSC_CONF=$1 timeout 60 pkcs11-tool --module opensc-pkcs11.so -L >/tmp/slots.out 2>&1
	cat /tmp/slots.out >&2
	grep -c 'token label' /tmp/slots.out
}
board_sees_one() { [ "$(slots_with_token /host/opensc-board.conf)" = 1 ] && grep -q 'token label *: Richard Roe (id)$' /tmp/slots.out; }
# Readers OpenSC takes under a configuration (no card is opened: a PC-side
# OpenSC opening QEMU's card too resets it under the daemon, an artefact of
# the bed, where board and PC share one pcscd).
readers_taken() { # CONF
	OPENSC_CONF=$1 timeout 60 opensc-tool --list-readers >/tmp/readers.out 2>&1
	cat /tmp/readers.out >&2
	grep -c 'Gemalto' /tmp/readers.out
}
default_sees_two() { [ "$(readers_taken /etc/opensc/opensc.conf)" = 2 ] && [ "$(readers_taken /host/opensc-board.conf)" = 1 ]; }
wrong_pin() { wrong_pin_refused_for 111111 $C/roe-signing.der; }
signs_with() { signs_with_cert "$1" $C/roe-signing.der; } # PIN
usb_host_load() { bed_modprobe uhci-hcd; }

# ---- the bed ----

command -v openssl >/dev/null || { not_ok "host-reader: openssl is in the image" "see the # bed: line"; exit 1; }
usb_both() { usb_load high && usb_host_load; }
check "host-reader: modules load (dummy_hcd, uhci-hcd)" usb_both
check "host-reader: systemd-udevd starts" udevd_start
check "host-reader: pcscd starts" pcscd_start
echo "ccid-gadget signs this for the host-reader suite" >/tmp/msg
check "host-reader: pcscd + libccid see QEMU's usb-ccid with its card" \
	pcsc_client --wait-reader 30 --wait-card 20 --list --expect-readers 1
check "host-reader: the board's OpenSC (its configuration) shows the physical card" \
	sh -c "[ \"\$(OPENSC_CONF=/host/opensc-board.conf timeout 60 pkcs11-tool --module opensc-pkcs11.so -L | grep -c 'token label')\" = 1 ]"

# Why the gadget is looked up by its serial: lib.sh's host_dev already
# finds a device (QEMU's usb-ccid) before there is any gadget.
check "host-reader: (self-test) before the daemon starts, lib.sh's host_dev finds a device: QEMU's usb-ccid" host_dev
check "host-reader: (self-test) ... and the lookup by serial finds no gadget" gadget_off_host
: >/tmp/gadget.log
echo "+ $BOARD ccid-gadget --serial $SERIAL -v --card $SPEC" >>/tmp/gadget.log
env $BOARD ccid-gadget --serial $SERIAL -v --card "$SPEC" >>/tmp/gadget.log 2>&1 3>&- 4<&- &
GADGET_PID=$!
check "host-reader: the daemon mirroring the reader starts, the host enumerates the gadget (its serial)" wait_for 30 gadget_on_host
check "host-reader: (self-test) the lookup fails for a serial the gadget does not have" fails gadget_on_host NOT$SERIAL
check "host-reader: one line names the token it mirrors: the physical reader's slot, module OpenSC" \
	sh -c "cat /tmp/gadget.log; [ \"\$(grep -c \"mirroring token 'Richard Roe (id)' (slot 'Gemalto Gemplus USB SmartCard Reader 433-Swap.*module 'OpenSC'): 3 certificates, keys behind the PIN\" /tmp/gadget.log)\" = 1 ]"
check "host-reader: pcscd lists both readers, both with a card" \
	pcsc_client --wait-reader 20 --list --expect-readers 2
check "host-reader: the gadget's reader is kept out of the board: the board's OpenSC shows one token, QEMU's" board_sees_one
# The check above can fail: without ignored_readers OpenSC sees both.
check "host-reader: ... OpenSC takes two readers with its default configuration (the gadget's too), one with the board's" default_sees_two
export OPENSC_CONF=/host/opensc-pc.conf
check "host-reader: the PC lists Richard Roe's three certificates through the gadget, byte for byte" roe_certs_on_pc
check "host-reader: a wrong PIN is refused by the physical card (C_Login fails, nothing signed)" wrong_pin
check "host-reader: the card's PIN signs through the gadget and the reader; openssl verifies" signs_with $PIN
check "host-reader: ... and that signature does not verify against roe-id's key" verifies_not $C/roe-id.der

# ---- hot-plug at QEMU's monitor (tests/vm/README.md "The monitor route") ----
# The card and the reader pulled and put back with bed_monitor; every time
# printed is from the monitor's answer (QEMU has done it) to what the PC's
# pcscd reports through the gadget.
CARD_ARGS="backend=certificates,db=sql:build/host/roe,cert1=roe-id,cert2=roe-signing,cert3=roe-encryption"
# reader_index NAME: the index pcscd gives the reader whose name holds
# NAME (they move when one leaves); empty when none does.
reader_index() { pcsc_client --list 2>/dev/null | sed -n "s/^\([0-9]*\): .*$1.*/\1/p" | head -n 1; }
# Lines in the daemon's log matching $1; log_has N RE: exactly N.
log_lines() { grep -c "$1" /tmp/gadget.log; }
log_has() { cat /tmp/gadget.log; [ "$(log_lines "$2")" = "$1" ]; }
pc_sees_gadget() { pcsc_client --wait-reader 20 --list --expect-readers 2 && [ -n "$(gadget_reader)" ]; }
has_gadget_reader() { [ -n "$(gadget_reader)" ]; }
pc_sees_empty() { wait_for 20 has_gadget_reader && ! pc_card_in 2; }
new_reader() {
	bed_monitor "device_add usb-ccid,bus=uhci.0,port=1,id=ccid1" &&
		bed_monitor "device_add ccid-card-emulated,$CARD_ARGS,id=card2"
}
GONE="emulated card slot 0: the token in 'Gemalto.*' is gone (seen by the daemon's watch)"
BACK="emulated card slot 0: a token is in 'Gemalto.*' again: mirrored"
NOCARD="emulated card slot 0: no card or token in reader 'Gemalto.*' (module 'OpenSC') yet"
ms_since() { echo $(($(now_ms) - $1)); }

# The card pulled and put back (host/lib.sh card_round): the daemon's
# watch says each in one line of its log.
round_pulled() { :; }
round_gone() { check "$1: ... one line in the daemon's log says the token is gone" log_has 1 "$GONE"; }
round_put() { :; }
round_back() { check "$1: ... one line says it is mirrored again" log_has 1 "$BACK"; }
card_round "host-reader: card pulled and put back" "device_del card0" \
	"device_add ccid-card-emulated,$CARD_ARGS,id=card1" 5 10

# The whole reader pulled while the PC holds a connection with APDUs in flight.
loop_start --reader "$(gadget_reader)" --loop-errors "$CARD_GONE,SCARD_E_NO_SERVICE" 00A4040007A0000000790100
sleep 1
check "host-reader: the whole reader pulled at QEMU's monitor (device_del ccid0), a PC connection held" bed_monitor "device_del ccid0"
t0=$(now_ms)
check "host-reader: the PC sees the card gone within 5 s" pc_card_gone 5
diag "host-reader: reader pull -> the PC sees no card: $(ms_since $t0) ms"
check "host-reader: ... the board's pcscd lists the gadget's reader alone" pcsc_client --list --expect-readers 1
check "host-reader: ... the daemon lives" alive "$GADGET_PID"
check "host-reader: a new reader and the card at QEMU's monitor (device_add usb-ccid, ccid-card-emulated)" \
	new_reader
t0=$(now_ms)
check "host-reader: ... the PC sees the card again within 20 s" pc_card_in 20
diag "host-reader: new reader + card -> the PC sees a card: $(ms_since $t0) ms"
check "host-reader: ... the PC's connection held through it: no wrong answer, no other error" loop_stop
check "host-reader: ... and signs with it" signs_with $PIN

# The board's PC/SC daemon (the physical reader's driver) gone and back.
# One pcscd serves board and PC in the bed: the PC loses its view too.
n=$(log_lines "$GONE")
pcscd_stop
t0=$(now_ms)
check "host-reader: pcscd stopped: one line in the daemon's log says the token is gone" \
	wait_for 10 log_has $((n + 1)) "$GONE"
diag "host-reader: pcscd stopped -> the daemon's line: $(ms_since $t0) ms"
check "host-reader: ... the daemon lives" alive "$GADGET_PID"
check "host-reader: pcscd back" pcscd_start
t0=$(now_ms)
check "host-reader: ... the PC sees the gadget's reader (the daemon serving on)" \
	pc_sees_gadget
check "host-reader: ... and the card in it again within 20 s" pc_card_in 20
diag "host-reader: pcscd back -> the PC sees a card: $(ms_since $t0) ms"
check "host-reader: the daemon exits 0 on SIGTERM" gadget_stop

# The token removed at start-up: the daemon starts on a reader with no card.
check "host-reader: the card pulled before the daemon starts" bed_monitor "device_del card2"
check "host-reader: ... the board's pcscd sees QEMU's reader empty" pcsc_client --reader "$(reader_index 'CCID Interface')" --wait-absent 10
check "host-reader: ... the PC has no gadget any more" wait_for 10 gadget_off_host
mv /tmp/gadget.log /tmp/gadget-first.log
echo "+ $BOARD ccid-gadget --serial $SERIAL -v --card $SPEC" >>/tmp/gadget.log
env $BOARD ccid-gadget --serial $SERIAL -v --card "$SPEC" >>/tmp/gadget.log 2>&1 3>&- 4<&- &
GADGET_PID=$!
check "host-reader: the daemon starts with no card in the reader, the host enumerates the gadget (its serial)" wait_for 30 gadget_on_host
check "host-reader: ... one line in its log says why there is no card" wait_for 10 log_has 1 "$NOCARD"
check "host-reader: ... the PC sees the gadget's reader, no card in it" pc_sees_empty
check "host-reader: the card put in at QEMU's monitor" bed_monitor "device_add ccid-card-emulated,$CARD_ARGS,id=card3"
t0=$(now_ms)
check "host-reader: ... the PC sees it within 20 s" pc_card_in 20
diag "host-reader: card in after a start without -> the PC sees a card: $(ms_since $t0) ms"
check "host-reader: ... one line says it is mirrored" wait_for 5 log_has 1 "$BACK"
check "host-reader: ... and signs with it" signs_with $PIN
check "host-reader: the daemon exits 0 on SIGTERM" gadget_stop
[ $BED_FAILS = 0 ] || bed_dump /tmp/gadget-first.log 200
