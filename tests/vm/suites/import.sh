# SPDX-License-Identifier: GPL-2.0-or-later
# Your own certificate, as docs/ccid-gadget.8 "YOUR OWN CERTIFICATE" says,
# all inside the VM (the board side and the PC side on one bed):
#  - openssl makes one RSA key, a self-signed certificate and a PKCS#12;
#  - ccid-gadget-import-p12 (scripts/import-p12) imports it into a fresh
#    NSS db with a PIN and prints the card SPEC, which is exactly the
#    expected one-certificate SPEC; a wrong PKCS#12 password and a bad PIN
#    are refused;
#  - the daemon, started with that SPEC and --bcd-device 0231: the host
#    sees bcdDevice 0231 in sysfs; OpenSC's pkcs11-tool lists the
#    certificate in each of the three CAC roles, byte-identical to the
#    imported one; a wrong PIN is refused; the right one signs (ID and
#    signature keys) and openssl verifies with the certificate (and not
#    with another key's);
#  - --change-pin: the old PIN is refused after a restart, the new one
#    signs; without --bcd-device the host sees the default 0100.
# The CAC card edge is what is checked (personality=cac is added to the
# SPEC where the daemon has the PIV edge too).
# bed: --timeout 600 --add /usr/bin/bash:/usr/bin/bash --add scripts/import-p12:/usr/sbin/ccid-gadget-import-p12 --add /usr/bin/pk12util:/usr/bin/pk12util --add /usr/bin/certutil:/usr/bin/certutil --add /usr/bin/modutil:/usr/bin/modutil --add /usr/bin/openssl:/usr/bin/openssl --add /etc/ssl/openssl.cnf:/usr/lib/ssl/openssl.cnf

. /bed/p11.sh

W=/tmp/import
DB=$W/nssdb
PIN=246810
NEW_PIN=13579135
WANT_SPEC="emulated,backend=certificates,db=sql:$DB,cert1=Jane Roe"

make_p12() {
	mkdir -p $W || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout $W/key.pem -out $W/cert.pem \
		-subj "/CN=Jane Roe" -days 30 || return 1
	openssl x509 -in $W/cert.pem -outform der -out $W/cert.der || return 1
	printf 'p12-secret\n' >$W/p12pw
	printf '%s\n' $PIN >$W/pin
	printf '%s\n' $NEW_PIN >$W/newpin
	openssl pkcs12 -export -inkey $W/key.pem -in $W/cert.pem -name "Jane Roe" \
		-passout pass:p12-secret -out $W/me.p12 || return 1
	# another key, for the check that a signature does not verify with it
	openssl req -x509 -newkey rsa:2048 -nodes -keyout $W/other.key -out $W/other.pem \
		-subj "/CN=Somebody Else" -days 30 &&
		openssl x509 -in $W/other.pem -outform der -out $W/other.der
}

# import_refused WHY-IN-STDERR ARGS...: exit 1, nothing on stdout
import_refused() {
	local want=$1
	shift
	ccid-gadget-import-p12 "$@" >/tmp/imp.out 2>/tmp/imp.err
	local rc=$?
	cat /tmp/imp.out /tmp/imp.err
	[ $rc = 1 ] || { echo "exit $rc, expected 1"; return 1; }
	[ ! -s /tmp/imp.out ] || { echo "a SPEC was printed"; return 1; }
	grep -q "$want" /tmp/imp.err || { echo "stderr does not say '$want'"; return 1; }
}

import_prints_spec() {
	ccid-gadget-import-p12 --db $DB --pin-file $W/pin --p12-password-file $W/p12pw \
		$W/me.p12 >$W/spec 2>/tmp/imp.err
	local rc=$?
	cat /tmp/imp.err $W/spec
	[ $rc = 0 ] || return 1
	[ "$(cat $W/spec)" = "$WANT_SPEC" ] || { echo "SPEC is not '$WANT_SPEC'"; return 1; }
}

db_has_password() { # the db refuses an empty password, takes the PIN
	: >$W/empty
	certutil -K -d sql:$DB -f $W/empty </dev/null 2>&1 | grep -q SEC_ERROR_BAD_PASSWORD &&
		certutil -K -d sql:$DB -f $W/pin </dev/null 2>&1 | grep -q 'Jane Roe'
}

bcd_device_is() { # HEX as the host's sysfs shows it
	local d got
	d=$(host_dev) || { echo "no host device"; return 1; }
	got=$(cat $d/bcdDevice)
	echo "host bcdDevice $got"
	[ "$got" = "$1" ]
}

one_cert_in_three_roles() {
	$P11 -O >/tmp/p11.out 2>&1
	local rc=$?
	cat /tmp/p11.out
	[ $rc = 0 ] || return 1
	[ "$(grep -c '^Certificate Object' /tmp/p11.out)" = 3 ] || { echo "not 3 certificate objects"; return 1; }
	[ "$(grep -c 'subject: *DN: CN=Jane Roe$' /tmp/p11.out)" = 3 ] || { echo "not Jane Roe's three times"; return 1; }
	grep -q 'label: *CAC ID Certificate$' /tmp/p11.out &&
		grep -q 'label: *CAC Email Signature Certificate$' /tmp/p11.out &&
		grep -q 'label: *CAC Email Encryption Certificate$' /tmp/p11.out
}

sign_with_id() { # PIN ID: SHA256-RSA-PKCS over /tmp/msg into /tmp/sig
	rm -f /tmp/sig
	$P11 --login --pin "$1" --sign -m SHA256-RSA-PKCS --id "$2" \
		-i /tmp/msg -o /tmp/sig || return 1
	[ "$(wc -c </tmp/sig)" = 256 ] || { echo "signature is not 256 bytes"; return 1; }
}

signs_and_verifies() { # PIN ID
	sign_with_id "$1" "$2" && verifies $W/cert.der
}

sig_not_from() { # DER: there is a signature, and DER's key rejects it
	[ -s /tmp/sig ] || { echo "no signature to check"; return 1; }
	verifies_not "$1"
}

old_pin_refused() {
	rm -f /tmp/sig
	$P11 --login --pin $PIN --sign -m SHA256-RSA-PKCS --id 0001 \
		-i /tmp/msg -o /tmp/sig >/tmp/p11.out 2>&1
	local rc=$?
	cat /tmp/p11.out
	[ $rc != 0 ] && grep -q 'C_Login failed' /tmp/p11.out && ! [ -s /tmp/sig ]
}

card_ready() {
	pcsc_client --wait-reader 10 --list --expect-readers 1 &&
		pcsc_client --wait-card 10 --atr --expect-atr $CAC_ATR
}

# ---- the bed ----

for f in ccid-gadget ccid-gadget-import-p12 bash openssl pk12util certutil modutil pcsc_client; do
	command -v $f >/dev/null || { not_ok "import: $f is in the image" "see the # bed: line"; exit 1; }
done
check "import: modules load" usb_load high
check "import: systemd-udevd starts" udevd_start
check "import: pcscd starts" pcscd_start
echo "ccid-gadget signs this with an imported key" >/tmp/msg

# ---- the board: import ----

check "import: openssl makes a key, a self-signed certificate (CN=Jane Roe) and a PKCS#12" make_p12
check "import: a wrong PKCS#12 password is refused (exit 1, no SPEC)" \
	import_refused "pk12util could not import" --db $W/wrongpw --pin-file $W/pin --p12-password-file $W/pin $W/me.p12
printf '12a4\n' >$W/badpin
check "import: a PIN that is not 4 to 8 digits is refused" \
	import_refused "digits only" --db $W/badpin-db --pin-file $W/badpin --p12-password-file $W/p12pw $W/me.p12
check "import: ccid-gadget-import-p12 into a fresh db prints the one-certificate SPEC" import_prints_spec
check "import: the db's password is the PIN" db_has_password
SPEC=$(cat $W/spec)
# A daemon with the PIV card edge (personality=, default cac+piv) answers
# OpenSC through its PIV driver, with another ATR; this suite checks the CAC
# edge, so it asks for that one where the daemon knows the property.
if ! ccid-gadget --ctl /tmp/probe.sock --card emulated,personality=cac 2>&1 |
	grep -q "unknown property 'personality'"; then
	SPEC="$SPEC,personality=cac"
fi
echo "the daemon's SPEC: $SPEC"

# ---- the PC: the card ----

check "import: ccid-gadget starts with the printed SPEC and --bcd-device 0231" \
	gadget_start -v --bcd-device 0231 --card "$SPEC"
check "import: the host sees bcdDevice 0231 (sysfs)" bcd_device_is 0231
check "import: pcscd + libccid list the reader, the card is in it" card_ready
check "import: pkcs11-tool -O: Jane Roe's certificate in each CAC role" one_cert_in_three_roles
for id in 0001 0002 0003; do
	check "import: certificate $id read over PKCS#11 is byte-identical to openssl's" \
		cert_identical $id $W/cert.der
done
check "import: a wrong PIN is refused (C_Login fails, nothing signed)" wrong_pin_refused
check "import: the PIN signs with the ID key (0001); openssl verifies with the certificate" \
	signs_and_verifies $PIN 0001
# The check above can fail: the signature it made does not verify with another key.
check "import: ... and that signature does not verify with another key" \
	sig_not_from $W/other.der
check "import: the PIN signs with the signature key (0002), the same key" \
	signs_and_verifies $PIN 0002
pcscd_mark=$(pcscd_log_mark)
check "import: daemon exits 0 on SIGTERM" gadget_stop
check "import: pcscd drops the reader" pcscd_drops_reader $pcscd_mark
# The daemon's clean stop reports the card out first and waits (at most
# 500 ms) for pcscd to look: pcscd never unplugs a reader with a card in.
check "import: pcscd_card_out_first: pcscd saw the card out before the unplug" \
	pcscd_card_out_first $pcscd_mark
gadget_stop_diag

# ---- the board: a new PIN ----

check "import: --change-pin with a wrong current PIN is refused" \
	import_refused "not the current PIN" --change-pin --db $DB --pin-file $W/newpin --new-pin-file $W/newpin
check "import: --change-pin sets a new PIN" \
	ccid-gadget-import-p12 --change-pin --db $DB --pin-file $W/pin --new-pin-file $W/newpin
check "import: ccid-gadget starts again with the same SPEC (no --bcd-device)" \
	gadget_start -v --card "$SPEC"
check "import: the host sees the default bcdDevice 0100" bcd_device_is 0100
check "import: the reader and card are back" card_ready
check "import: the old PIN is refused now" old_pin_refused
check "import: the new PIN signs; openssl verifies" signs_and_verifies $NEW_PIN 0001
check "import: daemon exits 0 on SIGTERM (2)" gadget_stop
