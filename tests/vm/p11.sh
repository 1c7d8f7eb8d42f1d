# SPDX-License-Identifier: GPL-2.0-or-later
# PKCS#11 and openssl helpers for the VM bed's card suites (busybox sh),
# installed as /bed/p11.sh: a suite sources it after lib.sh. They check the
# emulated CAC card of tests/vm/cards/make-dbs as a PC's stock stack sees
# it: OpenSC's PKCS#11 module through pkcs11-tool, openssl for the
# signatures and encryptions. Output goes to the console; failures say why.
#
#   token_listed                 pkcs11-tool -L: token "John Doe", CAC
#   three_certs_listed [CMD]     pkcs11-tool -O (CMD: another module's): John
#                                Doe's three certificates
#   cert_identical ID DER        the certificate object ID is byte-identical to DER
#   sign_and_verify PIN DBDIR    SHA256-RSA-PKCS with the signing key over
#                                /tmp/msg; openssl verifies with DBDIR's cert
#   verifies_not DER             that signature does not verify with DER's key
#   decrypt_round_trip PIN DBDIR RSA-PKCS decryption of openssl's encryption
#   wrong_pin_refused            C_Login with a wrong PIN fails, nothing signed
#   slot_empty_in_pkcs11         pkcs11-tool -L shows the slot without a token
#   card_in_status present|absent  ccid-gadget ctl status says so for slot 0
# For a card whose certificates are not John Doe's CAC IDs in a fixed order
# (a mirrored token, a physical card), found by their bytes instead:
#   read_card_certs              the certificate objects 0001..0003 into
#                                /tmp/card-ID.der
#   id_of DER                    the object ID whose certificate is DER
#   three_certs_are DIR NAME...  pkcs11-tool -O lists 3 certificate objects
#                                and each DIR/NAME.der is one of them
#   signs_with_cert PIN DER      DER's key signs /tmp/msg; openssl verifies
#   wrong_pin_refused_for PIN DER  C_Login with the wrong PIN fails, nothing
#                                signed with DER's key

OPENSC_LIB=$(echo /usr/lib/*-linux-gnu*/opensc-pkcs11.so)   # the one of the bed's architecture
P11="pkcs11-tool --module opensc-pkcs11.so"
# libcacard 2.8's ATR for its emulated card: T0=7A, 10 historical bytes
# "sfte cd144".
CAC_ATR=3B7A18000073667465206364313434
NICKS="id-cert signing-cert encryption-cert"
# CAC certificate n (cert1..cert3 of the SPEC) is PKCS#11 object ID 000n.
SIGN_ID=0002
DECRYPT_ID=0003
# A password-less db logs in with any PIN; OpenSC's CAC driver wants 4..8
# characters, so one is still typed.
ANY_PIN=0000

# ---- PKCS#11 / openssl helpers (output goes to the console) ----

token_listed() {
	$P11 -L >/tmp/p11.out 2>&1
	local rc=$?
	cat /tmp/p11.out
	[ $rc = 0 ] && grep -q 'token label *: John Doe$' /tmp/p11.out &&
		grep -q 'token manufacturer *: Common Access Card' /tmp/p11.out && return 0
	# Why OpenSC did not see the token: its own trace, into the console log.
	echo "===== OPENSC_DEBUG=9 pkcs11-tool -L"
	OPENSC_DEBUG=9 $P11 -L 2>&1 | tail -n 400
	return 1
}

three_certs_listed() { # [PKCS11-TOOL COMMAND]: default OpenSC's ($P11)
	${1:-$P11} -O >/tmp/p11.out 2>&1
	local rc=$?
	cat /tmp/p11.out
	[ $rc = 0 ] || return 1
	[ "$(grep -c '^Certificate Object' /tmp/p11.out)" = 3 ] || { echo "not 3 certificate objects"; return 1; }
	grep -q 'label: *CAC ID Certificate$' /tmp/p11.out &&
		grep -q 'label: *CAC Email Signature Certificate$' /tmp/p11.out &&
		grep -q 'label: *CAC Email Encryption Certificate$' /tmp/p11.out &&
		grep -q 'subject: *DN: CN=John Doe$' /tmp/p11.out &&
		grep -q 'subject: *DN: CN=John Doe (signing)$' /tmp/p11.out &&
		grep -q 'subject: *DN: CN=John Doe (encryption)$' /tmp/p11.out
}

cert_identical() { # ID DER
	rm -f /tmp/card-cert.der
	$P11 --read-object --type cert --id "$1" -o /tmp/card-cert.der || return 1
	cmp /tmp/card-cert.der "$2"
}

pubkey_of() { # DER OUT.pem
	openssl x509 -inform der -in "$1" -pubkey -noout >"$2"
}

# sign_on_card PIN: SHA256-RSA-PKCS over /tmp/msg with the signing key
sign_on_card() {
	rm -f /tmp/sig
	$P11 --login --pin "$1" --sign -m SHA256-RSA-PKCS --id $SIGN_ID \
		-i /tmp/msg -o /tmp/sig || return 1
	[ "$(wc -c </tmp/sig)" = 256 ] || { echo "signature is not 256 bytes"; return 1; }
}

verifies() { # DER: the signature in /tmp/sig over /tmp/msg
	pubkey_of "$1" /tmp/pub.pem || return 1
	openssl dgst -sha256 -verify /tmp/pub.pem -signature /tmp/sig /tmp/msg
}

verifies_not() { # DER: openssl must reject /tmp/sig with this key
	pubkey_of "$1" /tmp/other.pem || return 1
	! openssl dgst -sha256 -verify /tmp/other.pem -signature /tmp/sig /tmp/msg
}

sign_and_verify() { # PIN DBDIR
	sign_on_card "$1" && verifies "$2/signing-cert.der"
}

decrypt_round_trip() { # PIN DBDIR
	openssl x509 -inform der -in "$2/encryption-cert.der" -out /tmp/enc.pem || return 1
	head -c 48 /dev/urandom >/tmp/secret
	openssl pkeyutl -encrypt -certin -inkey /tmp/enc.pem -in /tmp/secret \
		-out /tmp/secret.enc || return 1
	rm -f /tmp/secret.dec
	$P11 --login --pin "$1" --decrypt -m RSA-PKCS --id $DECRYPT_ID \
		-i /tmp/secret.enc -o /tmp/secret.dec || return 1
	cmp /tmp/secret /tmp/secret.dec
}

wrong_pin_refused() {
	rm -f /tmp/sig
	$P11 --login --pin 999999 --sign -m SHA256-RSA-PKCS --id $SIGN_ID \
		-i /tmp/msg -o /tmp/sig >/tmp/p11.out 2>&1
	local rc=$?
	cat /tmp/p11.out
	[ $rc != 0 ] || { echo "pkcs11-tool signed with a wrong PIN"; return 1; }
	grep -q 'C_Login failed' /tmp/p11.out || { echo "failed, but not at C_Login"; return 1; }
	! [ -s /tmp/sig ]
}

slot_empty_in_pkcs11() {
	$P11 -L >/tmp/p11.out 2>&1
	cat /tmp/p11.out
	grep -q '(empty)' /tmp/p11.out && ! grep -q 'token label' /tmp/p11.out
}

card_in_status() { # present|absent
	ccid-gadget ctl status >/tmp/status.out 2>&1 || return 1
	cat /tmp/status.out
	case $1 in
	absent) grep -q 'slot 0: .*card absent' /tmp/status.out ;;
	*) grep 'slot 0: ' /tmp/status.out | grep -qv 'card absent' ;;
	esac
}


# ---- certificates found by their bytes (tests/vm/host/*) ----

# The card's three certificate objects, read once over PKCS#11 into
# /tmp/card-ID.der (each pkcs11-tool run re-reads the card: ~1 s in the bed).
read_card_certs() {
	rm -f /tmp/card-*.der
	for id in 0001 0002 0003; do
		$P11 --read-object --type cert --id $id -o /tmp/card-$id.der >/dev/null 2>&1 || return 1
	done
}

# The PKCS#11 object ID of the card's certificate byte-identical to DER
# (after read_card_certs).
id_of() { # DER
	for id in 0001 0002 0003; do
		cmp -s /tmp/card-$id.der "$1" && { echo $id; return 0; }
	done
	return 1
}

three_certs_are() { # DIR NAME...: each DIR/NAME.der is on the card
	local dir=$1 n
	shift
	$P11 -O >/tmp/p11.out 2>&1
	local rc=$?
	cat /tmp/p11.out
	[ $rc = 0 ] && [ "$(grep -c '^Certificate Object' /tmp/p11.out)" = 3 ] || return 1
	read_card_certs || return 1
	for n in "$@"; do
		id_of $dir/$n.der >/dev/null || { echo "$n is not on the card byte for byte"; return 1; }
	done
}

signs_with_cert() { # PIN DER
	local id
	id=$(id_of "$2") || return 1
	rm -f /tmp/sig
	$P11 --login --pin "$1" --sign -m SHA256-RSA-PKCS --id $id -i /tmp/msg -o /tmp/sig || return 1
	verifies "$2"
}

wrong_pin_refused_for() { # WRONG-PIN DER
	local id
	id=$(id_of "$2") || return 1
	rm -f /tmp/sig
	$P11 --login --pin "$1" --sign -m SHA256-RSA-PKCS --id $id -i /tmp/msg -o /tmp/sig >/tmp/p11.out 2>&1
	local rc=$?
	cat /tmp/p11.out
	[ $rc != 0 ] && grep -q 'C_Login failed' /tmp/p11.out && ! [ -s /tmp/sig ]
}
