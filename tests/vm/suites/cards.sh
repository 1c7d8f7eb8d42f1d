# SPDX-License-Identifier: GPL-2.0-or-later
# The emulated CAC card (libcacard, three NSS certificates) as a PC's
# stock stack sees it through the reader: pcscd + libccid, OpenSC's
# PKCS#11 module with pkcs11-tool, NSS's certutil/modutil, openssl.
#  - no db password: the token and John Doe's three certificates, each
#    byte-identical to the NSS db's; a SHA256-RSA-PKCS signature with the
#    signing key verifies with openssl; an RSA-PKCS decryption with the
#    encryption key round-trips openssl's encryption; `ctl remove` while a
#    client holds the card (the client sees SCARD_W_REMOVED_CARD), `ctl
#    insert`, and signing works again;
#  - db with a password (the PIN): a wrong PIN fails and changes nothing,
#    the right one signs; NSS with OpenSC registered (modutil) lists the
#    three certificates as QEMU's documentation shows for a guest;
#  - bad card SPECs fail before the gadget exists (exit 2, nothing in
#    configfs, the UDC untouched); tests/sh/cards-config.sh checks their
#    messages on the build machine.
# The fake cards are made on the build machine (tests/vm/cards/make-dbs,
# cached in build/cards/) and added to the image. By hand:
#   tests/vm/cards/make-dbs && tests/vm/bed run tests/vm/suites/cards.sh ARGS
# with ARGS from the "# bed:" line below.
# bed-setup: tests/vm/cards/make-dbs
# bed: --timeout 420 --add build/cards/nopin:/cards/nopin --add build/cards/pin:/cards/pin --add /usr/bin/openssl:/usr/bin/openssl --add /usr/bin/certutil:/usr/bin/certutil --add /usr/bin/modutil:/usr/bin/modutil

. /bed/p11.sh

# personality=cac: this suite is today's CAC card, row for row (its ATR,
# OpenSC's CAC view); the default cac+piv card, with OpenSC's CAC driver
# and CoolKey on it, is piv.sh's.
spec_for() { # DIR
	echo "emulated,backend=certificates,db=sql:$1,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac"
}

# NSS on the PC: a fresh db, OpenSC registered with modutil, the CA
# imported, then certutil -L -h all (QEMU's docs/ccid.txt, for a guest).
nss_lists_card() { # PIN DBDIR
	local db=sql:/tmp/pcdb
	rm -rf /tmp/pcdb
	mkdir -p /tmp/pcdb
	certutil -N -d $db --empty-password || return 1
	modutil -dbdir $db -add "OpenSC" -libfile $OPENSC_LIB -force || return 1
	modutil -dbdir $db -list OpenSC || return 1
	certutil -A -d $db -i "$2/fake-smartcard-ca.cer" -t TC,TC,TC -n fake-smartcard-ca || return 1
	printf '%s\n' "$1" >/tmp/pcdb.pin
	certutil -L -h all -d $db -f /tmp/pcdb.pin >/tmp/nss.out 2>&1
	local rc=$?
	cat /tmp/nss.out
	[ $rc = 0 ] &&
		grep -Eq '^fake-smartcard-ca +CT,C,C$' /tmp/nss.out &&
		grep -Eq '^John Doe:CAC ID Certificate +u,u,u$' /tmp/nss.out &&
		grep -Eq '^John Doe:CAC Email Signature Certificate +u,u,u$' /tmp/nss.out &&
		grep -Eq '^John Doe:CAC Email Encryption Certificate +u,u,u$' /tmp/nss.out
}

# A bad SPEC: exit 2, one line on stderr saying WHAT, and no gadget:
# nothing under configfs' usb_gadget, no device on the host side.
fails_before_gadget() { # WHAT SPEC
	ccid-gadget --card "$2" >/tmp/bad.out 2>/tmp/bad.err
	local rc=$?
	cat /tmp/bad.out /tmp/bad.err
	[ $rc = 2 ] || { echo "exit $rc, expected 2"; return 1; }
	[ "$(wc -l </tmp/bad.err)" = 1 ] || { echo "not one line on stderr"; return 1; }
	grep -q "$1" /tmp/bad.err || { echo "the message does not say '$1'"; return 1; }
	[ -z "$(ls /sys/kernel/config/usb_gadget/ 2>/dev/null)" ] || { echo "a gadget was created in configfs"; return 1; }
	host_gone
}

# ---- the bed ----

if ! command -v ccid-gadget >/dev/null; then
	not_ok "cards: build/ccid-gadget is in the image" "run make first"
	exit 1
fi
for f in openssl certutil modutil pcsc_hold; do
	command -v $f >/dev/null || { not_ok "cards: $f is in the image" "see the # bed: line"; exit 1; }
done
check "cards: modules load" usb_load high
check "cards: systemd-udevd starts" udevd_start
check "cards: pcscd starts" pcscd_start
echo "ccid-gadget signs this for the card suite" >/tmp/msg

# ---- bad configuration: refused before the gadget is created ----

D=/cards/nopin
check "cards: bad config: missing db exits 2 before the gadget exists" \
	fails_before_gadget "does not exist" "$(spec_for /cards/missing)"
check "cards: bad config: wrong nickname exits 2 before the gadget exists" \
	fails_before_gadget "certificate 'no-such-cert' not found" \
	"emulated,backend=certificates,db=sql:$D,cert1=id-cert,cert2=no-such-cert,cert3=encryption-cert"
check "cards: bad config: cert2 and cert3 without cert1 exits 2 before the gadget exists" \
	fails_before_gadget "needs cert1" \
	"emulated,backend=certificates,db=sql:$D,cert2=id-cert,cert3=signing-cert"
mkdir -p /tmp/notadb
check "cards: bad config: a directory that is no NSS db exits 2 before the gadget exists" \
	fails_before_gadget "has no cert9.db" "$(spec_for /tmp/notadb)"

# ---- no db password ----

check "cards: nopin: ccid-gadget --card emulated,backend=certificates starts, host enumerates it" \
	gadget_start -v --card "$(spec_for $D)"
check "cards: nopin: pcscd + libccid list the reader" \
	pcsc_client --wait-reader 10 --list --expect-readers 1
check "cards: nopin: the card's ATR through PC/SC is libcacard's" \
	pcsc_client --wait-card 10 --atr --expect-atr $CAC_ATR
check "cards: nopin: OpenSC recognises a Common Access Card (CAC)" \
	sh -c 'opensc-tool --reader 0 --name | grep -qx "Common Access Card (CAC)"'
check "cards: nopin: pkcs11-tool -L: token 'John Doe', Common Access Card" token_listed
check "cards: nopin: pkcs11-tool -O: the three certificates, John Doe's" three_certs_listed
i=1
for nick in $NICKS; do
	check "cards: nopin: certificate $i ($nick) read over PKCS#11 is byte-identical to the db's" \
		cert_identical "000$i" "$D/$nick.der"
	i=$((i + 1))
done
check "cards: nopin: SHA256-RSA-PKCS signature with the signing key (any PIN) verifies with openssl" \
	sign_and_verify $ANY_PIN $D
# The check above can fail: the same signature against another key must not verify.
check "cards: nopin: ... and does not verify against id-cert's key" \
	verifies_not $D/id-cert.der
check "cards: nopin: RSA-PKCS decryption with the encryption key round-trips openssl pkeyutl -encrypt" \
	decrypt_round_trip $ANY_PIN $D

# ctl remove while a client holds the card; ctl insert; sign again.
pcsc_hold --wait-card 10 --gone-within 20 --back-within 30 00A4040007A0000000790100 \
	>/tmp/hold.out 2>&1 &
HOLD_PID=$!
check "cards: nopin: a PC/SC client connects and holds the card (SELECT CAC applet)" \
	wait_for 20 grep -q '^held:' /tmp/hold.out
check "cards: nopin: ctl remove" ccid-gadget ctl remove
check "cards: nopin: the holding client sees the card gone: SCARD_W_REMOVED_CARD" \
	sh -c 'for i in $(seq 100); do grep -q "^gone: SCardTransmit" /tmp/hold.out && break; sleep 0.1; done
		cat /tmp/hold.out; grep -q "^gone: SCardStatus: SCARD_W_REMOVED_CARD$" /tmp/hold.out &&
		grep -q "^gone: SCardTransmit: SCARD_W_REMOVED_CARD$" /tmp/hold.out'
check "cards: nopin: ctl status: card absent" card_in_status absent
check "cards: nopin: pkcs11-tool -L shows the slot empty" slot_empty_in_pkcs11
check "cards: nopin: the daemon is still running" alive "$GADGET_PID"
check "cards: nopin: ctl insert" ccid-gadget ctl insert
wait $HOLD_PID
hold_rc=$?
cat /tmp/hold.out
check "cards: nopin: the client reconnects to the re-inserted card and it answers" \
	sh -c "[ $hold_rc = 0 ] && grep -q '^back: SW' /tmp/hold.out"
check "cards: nopin: ctl status: card present" card_in_status present
check "cards: nopin: after re-insert the signature verifies again" sign_and_verify $ANY_PIN $D
pcscd_mark=$(pcscd_log_mark)
check "cards: nopin: daemon exits 0 on SIGTERM" gadget_stop
check "cards: nopin: pcscd drops the reader" pcscd_drops_reader $pcscd_mark

# ---- db with a password: the PIN ----

D=/cards/pin
PIN=$(cat $D/db-password)
check "cards: pin: ccid-gadget starts with the password-protected db" \
	gadget_start -v --card "$(spec_for $D)"
check "cards: pin: pcscd + libccid list the reader" \
	pcsc_client --wait-reader 10 --list --expect-readers 1
check "cards: pin: the card is in it" pcsc_client --wait-card 10 --atr --expect-atr $CAC_ATR
check "cards: pin: a wrong PIN is refused (C_Login fails, nothing signed)" wrong_pin_refused
check "cards: pin: the daemon runs on, the card still present" card_in_status present
check "cards: pin: the right PIN (the db password) signs; openssl verifies" \
	sign_and_verify "$PIN" $D
check "cards: pin: RSA-PKCS decryption round-trips with the right PIN" \
	decrypt_round_trip "$PIN" $D
check "cards: pin: NSS (OpenSC added with modutil) lists the CA and John Doe's three certificates" \
	nss_lists_card "$PIN" $D
check "cards: pin: daemon exits 0 on SIGTERM" gadget_stop
