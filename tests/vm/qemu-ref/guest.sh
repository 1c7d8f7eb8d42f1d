# SPDX-License-Identifier: GPL-2.0-or-later
# The guest half of the QEMU interop test (tests/sh/passthru-qemu.sh boots
# it with tests/vm/bed): QEMU's own usb-ccid + ccid-card-passthru on a UHCI
# controller, its card supplied over TCP by build/ccid-vscclient running on
# the build machine. No dummy_hcd, no ccid-gadget: this checks the client
# against QEMU, the reference server. Here: pcscd + libccid see the reader
# (08e6:4433) and libcacard's ATR, OpenSC lists the CAC token and John
# Doe's three certificates, and a SHA256-RSA-PKCS signature made through
# the whole chain (guest PKCS#11 -> usb-ccid -> passthru -> TCP -> client
# -> libcacard -> NSS) verifies with openssl.
#
# QEMU 7.2 keeps usb-ccid plugged on VSC_ReaderRemove (its ccid_detach()
# is a reset): reader-remove shows as the card going, not the reader.
# Lines "# host: CMD" ask the harness to type CMD into the client's stdin
# (remove, insert, reader-remove, reader-add, quit); the guest then checks
# what the PC side sees.

. /bed/p11.sh

D=/cards/nopin

host() { diag "host: $*"; }

ccid_dev() { # the sysfs dir of QEMU's usb-ccid, 08e6:4433
	local d
	for d in /sys/bus/usb/devices/*; do
		[ "$(cat "$d/idVendor" 2>/dev/null):$(cat "$d/idProduct" 2>/dev/null)" = 08e6:4433 ] &&
			{ echo "$d"; return 0; }
	done
	return 1
}
ccid_gone() { ! ccid_dev >/dev/null; }

for f in openssl pcsc_client; do
	command -v $f >/dev/null || { not_ok "qemu-ref: $f is in the image" "see tests/sh/passthru-qemu.sh"; exit 1; }
done
# QEMU's usb-ccid is a full-speed device: UHCI.
usb_host_load() { bed_modprobe uhci-hcd; }
check "qemu-ref: usbcore + uhci-hcd load" usb_host_load
check "qemu-ref: systemd-udevd starts" udevd_start
check "qemu-ref: QEMU's usb-ccid (08e6:4433) is on the guest's USB bus" wait_for 60 ccid_dev
diag "usb-ccid at $(ccid_dev)"
check "qemu-ref: pcscd starts" pcscd_start
check "qemu-ref: pcscd + libccid list QEMU's reader" \
	pcsc_client --wait-reader 20 --list --expect-readers 1
check "qemu-ref: the ATR through PC/SC is libcacard's (VSC_ATR from the client)" \
	pcsc_client --wait-card 20 --atr --expect-atr $CAC_ATR
# SELECT the CAC applet (A0 00 00 00 79 01 00): one raw APDU through the
# whole chain, answered 90 00 by libcacard.
# libcacard answers T=0 style: 61 0D, then GET RESPONSE gives 13 bytes + 9000.
check "qemu-ref: a raw SELECT APDU goes through passthru to libcacard and back (610D, GET RESPONSE 9000)" \
	pcsc_client --wait-card 10 00A4040007A0000000790100 --expect-sw 610D 00C000000D --expect-len 13 --expect-sw 9000
check "qemu-ref: OpenSC recognises a Common Access Card (CAC)" \
	sh -c 'opensc-tool --reader 0 --name | tee /dev/stderr | grep -qx "Common Access Card (CAC)"'
check "qemu-ref: pkcs11-tool -L: token 'John Doe', Common Access Card" token_listed
check "qemu-ref: pkcs11-tool -O: the three certificates, John Doe's" three_certs_listed
check "qemu-ref: certificate 2 (signing-cert) read over PKCS#11 is byte-identical to the db's" \
	cert_identical 0002 $D/signing-cert.der
echo "ccid-vscclient signs this through QEMU's ccid-card-passthru" >/tmp/msg
check "qemu-ref: SHA256-RSA-PKCS signature (--login --pin $ANY_PIN --id $SIGN_ID) verifies with openssl" \
	sign_and_verify $ANY_PIN $D
check "qemu-ref: ... and does not verify against id-cert's key" verifies_not $D/id-cert.der

# ---- the client drives the card and the reader ----
host remove
check "qemu-ref: client 'remove' (VSC_CardRemove): PC/SC sees the card gone" \
	pcsc_client --wait-absent 20
host insert
check "qemu-ref: client 'insert' (VSC_ATR): the card is back with libcacard's ATR" \
	pcsc_client --wait-card 20 --atr --expect-atr $CAC_ATR
check "qemu-ref: after re-insert the signature verifies again" \
	sign_and_verify $ANY_PIN $D
# QEMU 7.2's VSC_ReaderRemove does not unplug usb-ccid: ccid_detach() is
# only ccid_reset(), after the slot is emptied. So the PC sees the card go
# and the reader stay (QEMU's docs/ccid.txt says "usb device removed").
host reader-remove
check "qemu-ref: client 'reader-remove' (VSC_ReaderRemove): PC/SC sees the card gone" \
	pcsc_client --wait-absent 20
check "qemu-ref: ... and usb-ccid stays on the bus (QEMU's ccid_detach is a reset)" ccid_dev
host reader-add
check "qemu-ref: client 'reader-add' (VSC_ReaderAdd, then VSC_ATR again): the card is back" \
	pcsc_client --wait-card 20 --atr --expect-atr $CAC_ATR
check "qemu-ref: ... and a raw SELECT APDU is answered (610D, GET RESPONSE 9000)" \
	pcsc_client --wait-card 10 00A4040007A0000000790100 --expect-sw 610D 00C000000D --expect-len 13 --expect-sw 9000
check "qemu-ref: ... and OpenSC signs again; openssl verifies" \
	sign_and_verify $ANY_PIN $D
host quit
check "qemu-ref: client 'quit' (VSC_CardRemove + VSC_ReaderRemove): PC/SC sees the card gone" \
	pcsc_client --wait-absent 20
