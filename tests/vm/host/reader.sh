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
#  - the gadget's own reader is kept out of the board: the bed is board
#    and PC at once, so one pcscd sees both readers; the daemon's OpenSC
#    reads /host/opensc-board.conf (OPENSC_CONF), whose ignored_readers
#    names the gadget's serial (--serial HOSTBOARD): shown by the board's
#    OpenSC listing one slot while the default configuration lists two;
#  - the PC (its OpenSC ignoring QEMU's reader) lists Roe's three
#    certificates byte for byte; a wrong PIN is refused by the physical
#    card; its PIN signs (openssl verifies).
# Not here yet: the card pulled and put back at QEMU's monitor. QEMU's
# QMP monitor can be reached from inside the VM (a third serial port and
# the monitor as the two ends of one Unix socket); after device_del the
# daemon saw no removal within 10 s and after device_add the PC's login
# failed (CKR_GENERAL_ERROR): unresolved (issue 14).
# bed-setup: tests/vm/host/make-token
# bed: --timeout 300 --add build/host/certs:/host/certs --add build/host/readerdb:/host/readerdb --add tests/vm/host/opensc-board.conf:/host/opensc-board.conf --add tests/vm/host/opensc-pc.conf:/host/opensc-pc.conf --add /usr/bin/openssl:/usr/bin/openssl --qemu-arg -device --qemu-arg piix3-usb-uhci,id=uhci --qemu-arg -device --qemu-arg usb-ccid,bus=uhci.0,id=ccid0 --qemu-arg -device --qemu-arg ccid-card-emulated,backend=certificates,db=sql:build/host/roe,cert1=roe-id,cert2=roe-signing,cert3=roe-encryption,id=card0

. /bed/p11.sh

C=/host/certs
PIN=654321
BOARD="OPENSC_CONF=/host/opensc-board.conf"
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
default_sees_two() { [ "$(slots_with_token /etc/opensc/opensc.conf)" = 2 ]; }
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

: >/tmp/gadget.log
echo "+ $BOARD ccid-gadget --serial HOSTBOARD -v --card $SPEC" >>/tmp/gadget.log
env $BOARD ccid-gadget --serial HOSTBOARD -v --card "$SPEC" >>/tmp/gadget.log 2>&1 3>&- &
GADGET_PID=$!
check "host-reader: the daemon mirroring the reader starts, the host enumerates the gadget" wait_enumerated 30
check "host-reader: one line names the token it mirrors: the physical reader's slot, module OpenSC" \
	sh -c "cat /tmp/gadget.log; [ \"\$(grep -c \"mirroring token 'Richard Roe (id)' (slot 'Gemalto Gemplus USB SmartCard Reader 433-Swap.*module 'OpenSC'): 3 certificates, keys behind the PIN\" /tmp/gadget.log)\" = 1 ]"
check "host-reader: pcscd lists both readers, both with a card" \
	pcsc_client --wait-reader 20 --list --expect-readers 2
check "host-reader: the gadget's reader is kept out of the board: the board's OpenSC shows one token, QEMU's" board_sees_one
# The check above can fail: without ignored_readers OpenSC sees both.
check "host-reader: ... OpenSC's default configuration shows two (the gadget's too)" default_sees_two
export OPENSC_CONF=/host/opensc-pc.conf
check "host-reader: the PC lists Richard Roe's three certificates through the gadget, byte for byte" roe_certs_on_pc
check "host-reader: a wrong PIN is refused by the physical card (C_Login fails, nothing signed)" wrong_pin
check "host-reader: the card's PIN signs through the gadget and the reader; openssl verifies" signs_with $PIN
check "host-reader: ... and that signature does not verify against roe-id's key" verifies_not $C/roe-id.der
check "host-reader: the daemon exits 0 on SIGTERM" gadget_stop
