# SPDX-License-Identifier: GPL-2.0-or-later
# Host compatibility (issue 9): the emulated CAC card through the reader,
# as host stacks other than OpenSC's pkcs11-tool see it (OpenSC's own rows
# are in cards.sh). Each test is a row of README's "Host compatibility":
#  - p11-kit: p11tool (GnuTLS) through p11-kit-proxy with Debian's
#    opensc-pkcs11.module lists the three certificates and test-signs;
#    pkcs11-tool through p11-kit-proxy.so signs and decrypts;
#  - CoolKey (libcoolkeypk11.so): pkcs11-tool -L / -O lists John Doe's
#    token and three certificates (byte-identical to the db's), signs
#    (RSA-PKCS over a SHA-256 DigestInfo: CoolKey has no hashing
#    mechanisms) and decrypts; keys chosen by --id (pkcs11-tool ignores
#    --label for --sign/--decrypt and would take the first key);
#  - NSS: QEMU's docs/ccid.txt guest procedure word for word with CoolKey
#    (modutil -add "CAC Module", certutil -d /etc/pki/nssdb -L -h all),
#    and the same with OpenSC; cmsutil signs and decrypts through each;
#  - Wireshark: dumpcap on usbmon1 during an OpenSC session (pkcs11-tool
#    -L -O and a signature), tshark decodes it as USB CCID with no
#    malformed or error-level expert items;
#  - the p11-kit, CoolKey and NSS rows and an OpenSC session again on the
#    default cac+piv card, OpenSC's CAC driver forced (card_drivers = cac);
#  - GnuPG: scdaemon's own CCID driver (pcscd stopped) opens the reader
#    over libusb; with the test card, SCD SERIALNO undefined and SCD APDU
#    give its ATR and exchange APDUs; with the CAC
#    card it refuses libcacard's T=0 ATR, which has no TCK
#    (ccid-driver.c update_param_by_atr assumes T=1): checked as known.
# bed-setup: tests/vm/cards/make-dbs
# bed: --timeout 600 --add build/cards/nopin:/cards/nopin --add /usr/bin/openssl:/usr/bin/openssl --add /usr/bin/certutil:/usr/bin/certutil --add /usr/bin/modutil:/usr/bin/modutil --add /usr/bin/cmsutil:/usr/bin/cmsutil --add /usr/bin/p11tool:/usr/bin/p11tool --add /usr/share/p11-kit/modules/opensc-pkcs11.module:/usr/share/p11-kit/modules/opensc-pkcs11.module --add /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so:/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so --add /usr/lib/x86_64-linux-gnu/p11-kit-proxy.so:/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so --add /usr/lib/pkcs11/libcoolkeypk11.so:/usr/lib64/pkcs11/libcoolkeypk11.so --add /usr/lib/libckyapplet.so.1.0.0:/usr/lib/libckyapplet.so.1 --add /usr/lib/x86_64-linux-gnu/libstdc++.so.6:/usr/lib/x86_64-linux-gnu/libstdc++.so.6 --add /usr/lib/x86_64-linux-gnu/libdl.so.2:/usr/lib/x86_64-linux-gnu/libdl.so.2 --add /usr/lib/x86_64-linux-gnu/libz.so.1:/usr/lib/x86_64-linux-gnu/libz.so.1 --add /usr/lib/x86_64-linux-gnu/libm.so.6:/usr/lib/x86_64-linux-gnu/libm.so.6 --add /usr/bin/tshark:/usr/bin/tshark --add /usr/bin/dumpcap:/usr/bin/dumpcap --add /usr/bin/gpg-connect-agent:/usr/bin/gpg-connect-agent --add /usr/bin/gpg-agent:/usr/bin/gpg-agent --add /usr/lib/gnupg/scdaemon:/usr/lib/gnupg/scdaemon

. /bed/p11.sh

D=/cards/nopin
# personality=cac: the host table's CAC rows as they were (OpenSC tries its
# PIV driver first on the default cac+piv card; piv.sh covers that card).
SPEC="emulated,backend=certificates,db=sql:$D,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac"
# The seed's path ("-libfile /usr/lib64/pkcs11/"); Debian ships it in
# /usr/lib/pkcs11/.
COOLKEY=/usr/lib64/pkcs11/libcoolkeypk11.so
CK="pkcs11-tool --module $COOLKEY"
PROXY="pkcs11-tool --module /usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"
export COOL_KEY_LOG_FILE=/tmp/coolkey.log
LABELS="CAC ID Certificate|CAC Email Signature Certificate|CAC Email Encryption Certificate"

# ---- helpers ----

# p11tool --list-all-certs: the three labels, one token "John Doe".
p11tool_lists() {
	p11tool --list-all-certs >/tmp/p11tool.out 2>&1
	local rc=$?
	cat /tmp/p11tool.out
	[ $rc = 0 ] || return 1
	[ "$(grep -c 'Type: X.509 Certificate' /tmp/p11tool.out)" = 3 ] || { echo "not 3 certificates"; return 1; }
	grep -q 'Label: CAC ID Certificate$' /tmp/p11tool.out &&
		grep -q 'Label: CAC Email Signature Certificate$' /tmp/p11tool.out &&
		grep -q 'Label: CAC Email Encryption Certificate$' /tmp/p11tool.out &&
		grep -q 'token=John%20Doe' /tmp/p11tool.out
}

# p11tool --test-sign: signs with the private key and verifies with the
# public key (GnuTLS), for the signing key's URL.
p11tool_signs() {
	local url
	url=$(grep -o 'pkcs11:[^ ]*object=CAC%20Email%20Signature%20Certificate;type=cert' /tmp/p11tool.out | head -n 1)
	[ -n "$url" ] || { echo "no URL for the signing certificate"; return 1; }
	url=${url%;type=cert}
	p11tool --login --set-pin=$ANY_PIN --test-sign "$url" 2>&1
}

# A SHA-256 DigestInfo (PKCS#1 v1.5, RFC 8017 9.2) of /tmp/msg for
# RSA-PKCS-only modules, and the check of a raw signature over it.
digest_info() {
	{ printf '\060\061\060\015\006\011\140\206\110\001\145\003\004\002\001\005\000\004\040'
	  openssl dgst -sha256 -binary /tmp/msg; } >/tmp/msg.di
}
verifies_raw() { # DER: /tmp/sig recovers /tmp/msg.di with DER's key
	pubkey_of "$1" /tmp/pub.pem || return 1
	openssl pkeyutl -verifyrecover -pubin -inkey /tmp/pub.pem -in /tmp/sig \
		-out /tmp/sig.rec || return 1
	cmp /tmp/sig.rec /tmp/msg.di
}

# module_signs "PKCS11-TOOL CMD" KEY-SELECTOR...: RSA-PKCS over the
# DigestInfo, verified with openssl against the signing certificate.
module_signs() {
	local tool=$1
	shift
	digest_info
	rm -f /tmp/sig
	$tool --login --pin $ANY_PIN --sign -m RSA-PKCS "$@" -i /tmp/msg.di -o /tmp/sig || return 1
	verifies_raw $D/signing-cert.der && return 0
	echo "the card's last APDUs:"
	grep -E 'C-APDU|R-APDU' /tmp/gadget.log | tail -n 40 | cut -c1-120
	echo "the signature, raw RSA with each certificate's key (why it did not verify):"
	for c in $NICKS; do
		pubkey_of $D/$c.der /tmp/pub.pem
		echo "$c: $(openssl pkeyutl -verifyrecover -pubin -inkey /tmp/pub.pem -pkeyopt rsa_padding_mode:none -in /tmp/sig 2>&1 | od -An -tx1 | head -n 2 | tr -d '\n')"
	done
	return 1
}

# module_decrypts "PKCS11-TOOL CMD" KEY-SELECTOR...: RSA-PKCS decryption
# of openssl's encryption to the encryption certificate.
module_decrypts() {
	local tool=$1
	shift
	openssl x509 -inform der -in $D/encryption-cert.der -out /tmp/enc.pem || return 1
	head -c 48 /dev/urandom >/tmp/secret
	openssl pkeyutl -encrypt -certin -inkey /tmp/enc.pem -in /tmp/secret -out /tmp/secret.enc || return 1
	rm -f /tmp/secret.dec
	$tool --login --pin $ANY_PIN --decrypt -m RSA-PKCS "$@" -i /tmp/secret.enc -o /tmp/secret.dec || return 1
	cmp /tmp/secret /tmp/secret.dec
}

coolkey_lists() {
	$CK -L >/tmp/ck.out 2>&1 || { cat /tmp/ck.out; return 1; }
	cat /tmp/ck.out
	grep -q 'token label *: John Doe$' /tmp/ck.out || { echo "token label is not John Doe"; return 1; }
	three_certs_listed "$CK"
}

coolkey_cert_identical() { # LABEL DER
	rm -f /tmp/card-cert.der
	$CK --read-object --type cert --label "$1" -o /tmp/card-cert.der || return 1
	cmp /tmp/card-cert.der "$2"
}

# An NSS db on the PC with MODULE registered as NAME, the CA imported
# (QEMU docs/ccid.txt), then certutil -L -h all.
nss_db_with() { # DBDIR NAME LIBFILE
	rm -rf "$1"
	mkdir -p "$1"
	certutil -N -d "$1" --empty-password || return 1
	modutil -dbdir "$1" -add "$2" -libfile "$3" -force || return 1
	certutil -A -d "$1" -i $D/fake-smartcard-ca.cer -t TC,TC,TC -n fake-smartcard-ca || return 1
	printf '%s\n' $ANY_PIN >/tmp/nss.pin
}
nss_lists() { # DBDIR
	certutil -d "$1" -L -h all -f /tmp/nss.pin >/tmp/nss.out 2>&1
	local rc=$?
	cat /tmp/nss.out
	[ $rc = 0 ] &&
		grep -Eq '^fake-smartcard-ca +CT,C,C$' /tmp/nss.out &&
		grep -Eq '^John Doe:CAC ID Certificate +u,u,u$' /tmp/nss.out &&
		grep -Eq '^John Doe:CAC Email Signature Certificate +u,u,u$' /tmp/nss.out &&
		grep -Eq '^John Doe:CAC Email Encryption Certificate +u,u,u$' /tmp/nss.out
}
# CMS signed data with the card's signing key, decoded and verified.
nss_signs() { # DBDIR
	rm -f /tmp/msg.p7
	cmsutil -S -d "$1" -f /tmp/nss.pin -N "John Doe:CAC Email Signature Certificate" \
		-i /tmp/msg -o /tmp/msg.p7 || return 1
	cmsutil -D -d "$1" -f /tmp/nss.pin -i /tmp/msg.p7 -o /tmp/msg.out || return 1
	cmp /tmp/msg /tmp/msg.out || return 1
	cmsutil -D -d "$1" -f /tmp/nss.pin -i /tmp/msg.p7 -n -h 1 >/tmp/cms.out 2>&1
	local rc=$?
	cat /tmp/cms.out
	[ $rc = 0 ] && grep -q 'GoodSignature' /tmp/cms.out
}
# CMS enveloped data to the encryption certificate (a copy in the PC's
# db, as a correspondent would have it: cmsutil -E looks recipients up
# without logging in), opened with the card's key.
nss_decrypts() { # DBDIR
	head -c 48 /dev/urandom >/tmp/secret
	rm -f /tmp/secret.p7 /tmp/secret.dec
	certutil -A -d "$1" -n john-doe-encryption -t ,, -i $D/encryption-cert.der 2>/dev/null
	cmsutil -E -d "$1" -r john-doe-encryption \
		-i /tmp/secret -o /tmp/secret.p7 || return 1
	cmsutil -D -d "$1" -f /tmp/nss.pin -i /tmp/secret.p7 -o /tmp/secret.dec || return 1
	cmp /tmp/secret /tmp/secret.dec
}

# tshark over the capture: CCID both ways, nothing malformed.
tshark_decodes() {
	local n out in bad
	tshark -r /tmp/usb.pcapng -Y usbccid -T fields -e usbccid.bMessageType \
		>/tmp/ccid.types 2>/tmp/tshark.err || { cat /tmp/tshark.err; return 1; }
	n=$(wc -l </tmp/ccid.types)
	out=$(grep -c '^0x6f$' /tmp/ccid.types)
	in=$(grep -c '^0x80$' /tmp/ccid.types)
	echo "usbccid frames: $n (XfrBlock $out, DataBlock $in)"
	# every XfrBlock answered by a DataBlock (IccPowerOn's too)
	[ "$n" -ge 20 ] && [ "$out" -ge 10 ] && [ "$in" -ge "$out" ] || { echo "too few CCID frames decoded"; return 1; }
	bad=$(tshark -r /tmp/usb.pcapng -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l)
	echo "malformed or error-level frames: $bad"
	[ "$bad" = 0 ] || { tshark -r /tmp/usb.pcapng -Y '_ws.malformed || _ws.expert.severity >= error' | head; return 1; }
}

# gpg-connect-agent through scdaemon's CCID driver, log in /tmp/scd.log.
scd() { gpg-connect-agent "$@" /bye 2>&1; }
gpg_setup() {
	rm -rf /tmp/gnupg
	mkdir -p /tmp/gnupg && chmod 700 /tmp/gnupg
	export GNUPGHOME=/tmp/gnupg
	printf 'debug-ccid-driver\ndebug-level basic\nlog-file /tmp/scd.log\n' >/tmp/gnupg/scdaemon.conf
	: >/tmp/scd.log
}
gpg_kill() { gpg-connect-agent 'SCD KILLSCD' 'KILLAGENT' /bye >/dev/null 2>&1; sleep 1; }

# check's commands (functions, not sh -c: lib.sh's helpers live here)
usb_and_usbmon() { usb_load high && bed_modprobe usbmon; }
opensc_session() { token_listed && three_certs_listed && sign_and_verify $ANY_PIN $D; }
proxy_lists() {
	$PROXY -O >/tmp/px.out 2>&1
	local rc=$?
	cat /tmp/px.out
	[ $rc = 0 ] && [ "$(grep -c '^Certificate Object' /tmp/px.out)" = 3 ]
}
seed_procedure() {
	nss_db_with /etc/pki/nssdb "CAC Module" $COOLKEY &&
		modutil -dbdir /etc/pki/nssdb -list && nss_lists /etc/pki/nssdb
}
nss_opensc_lists() { nss_db_with /tmp/nss-opensc OpenSC $OPENSC_LIB && nss_lists /tmp/nss-opensc; }

# ---- the bed ----

for f in ccid-gadget openssl certutil modutil cmsutil p11tool tshark dumpcap gpg-connect-agent; do
	command -v $f >/dev/null || { not_ok "hosts: $f is in the image" "see the # bed: line"; exit 1; }
done
check "hosts: modules load (and usbmon)" usb_and_usbmon
check "hosts: systemd-udevd starts" udevd_start
check "hosts: pcscd starts" pcscd_start
echo "ccid-gadget signs this for the hosts suite" >/tmp/msg

# usbmon from before the gadget binds: the capture holds enumeration, so
# Wireshark knows the interface is CCID (class 0x0B).
dumpcap -q -i usbmon1 -w /tmp/usb.pcapng >/tmp/dumpcap.log 2>&1 &
DUMPCAP_PID=$!
check "hosts: dumpcap captures usbmon1" wait_for 10 test -s /tmp/usb.pcapng
check "hosts: the emulated CAC card starts" gadget_start -v --card "$SPEC"
check "hosts: pcscd lists the reader with the card" pcsc_client --wait-reader 10 --wait-card 10 --atr --expect-atr $CAC_ATR

# ---- Wireshark: an OpenSC session on usbmon ----
check "hosts: wireshark: OpenSC session captured (pkcs11-tool -L -O, a signature)" \
	opensc_session
kill -INT $DUMPCAP_PID
wait $DUMPCAP_PID
cat /tmp/dumpcap.log
check "hosts: wireshark: tshark decodes the session as USB CCID, nothing malformed" tshark_decodes

# The table's rows through p11-kit, CoolKey and NSS (H: the name prefix of
# the checks). Run on personality=cac, then on the default cac+piv card.
host_rows() {
	H=$1
	# ---- p11-kit ----
	check "$H: p11-kit: p11tool --list-all-certs (opensc-pkcs11.module) lists John Doe's three certificates" p11tool_lists
	check "$H: p11-kit: p11tool --test-sign with the signing key" p11tool_signs
	check "$H: p11-kit: pkcs11-tool through p11-kit-proxy.so lists the three certificates" \
		proxy_lists
	check "$H: p11-kit: p11-kit-proxy.so signs (RSA-PKCS), openssl verifies" \
		module_signs "$PROXY" --id $SIGN_ID
	check "$H: p11-kit: p11-kit-proxy.so decrypts (RSA-PKCS)" \
		module_decrypts "$PROXY" --id $DECRYPT_ID

	# ---- CoolKey ----
	check "$H: coolkey: pkcs11-tool -L/-O: token John Doe, the three certificates" coolkey_lists
	check "$H: coolkey: the signing certificate is byte-identical to the db's" \
		coolkey_cert_identical "CAC Email Signature Certificate" $D/signing-cert.der
	check "$H: coolkey: signs (RSA-PKCS over a SHA-256 DigestInfo), openssl verifies" \
		module_signs "$CK" --id $SIGN_ID
	check "$H: coolkey: decrypts (RSA-PKCS)" \
		module_decrypts "$CK" --id $DECRYPT_ID

	# ---- NSS ----
	# QEMU docs/ccid.txt, in a guest: the CA into /etc/pki/nssdb, CoolKey
	# registered as "CAC Module", certutil -d /etc/pki/nssdb -L -h all.
	check "$H: nss+coolkey: the seed's guest procedure (modutil -add \"CAC Module\", certutil -d /etc/pki/nssdb -L -h all)" \
		seed_procedure
	check "$H: nss+coolkey: cmsutil -S signs, -D verifies GoodSignature" nss_signs /etc/pki/nssdb
	check "$H: nss+coolkey: cmsutil -E to the encryption certificate, -D decrypts with the card" nss_decrypts /etc/pki/nssdb
	check "$H: nss+opensc: certutil -L -h all lists the CA and John Doe's three certificates" \
		nss_opensc_lists
	check "$H: nss+opensc: cmsutil -S signs, -D verifies GoodSignature" nss_signs /tmp/nss-opensc
	check "$H: nss+opensc: cmsutil -E, -D decrypts with the card" nss_decrypts /tmp/nss-opensc
}

host_rows hosts

# ---- GnuPG: scdaemon's own CCID driver, no pcscd ----
pcscd_stop
gpg_setup
scd 'SCD SERIALNO' >/tmp/scd.out
cat /tmp/scd.out /tmp/scd.log
check "hosts: gnupg: scdaemon's CCID driver opens the reader and reads the descriptor (libusb, no pcscd)" \
	sh -c "grep -q 'ccid-driver: using CCID reader 0 (ID=08E6:4433' /tmp/scd.log && grep -q 'dwMaxCCIDMsgLen' /tmp/scd.log"
check "hosts: gnupg: power on returns libcacard's ATR through scdaemon" \
	sh -c "grep -q 'RDR_to_PC_DataBlock' /tmp/scd.log && grep -q '3B 7A 18 00 00 73' /tmp/scd.log"
check "hosts: gnupg: known: scdaemon refuses the CAC card's T=0 ATR (no TCK; update_param_by_atr -1)" \
	sh -c "grep -q 'update_param_by_atr failed: -1' /tmp/scd.log"
gpg_kill
check "hosts: daemon exits 0 on SIGTERM" gadget_stop

check "hosts: gnupg: the test card in the reader" gadget_start -v --card test
gpg_setup
# "SERIALNO undefined": scdaemon's raw application, for cards it has no
# application for; then APDUs through its CCID driver. --hex prints the
# D lines as hex dumps.
gpg-connect-agent --hex 'SCD SERIALNO undefined' 'SCD APDU --atr' \
	'SCD APDU 00A4040008F043434944544301' 'SCD APDU 80EE000004DEADBEEF' /bye \
	>/tmp/scd.out 2>&1
cat /tmp/scd.out /tmp/scd.log
check "hosts: gnupg: scdaemon's CCID driver powers the test card, SCD APDU --atr gives its ATR" \
	grep -q '^S CARD-ATR 3B9A118031FE456363696467616467657498$' /tmp/scd.out
# SELECT of the test card's AID (90 00), then ECHO of DE AD BE EF.
scd_apdus() {
	grep -q 'D\[0000\]  90 00 ' /tmp/scd.out &&
		grep -q 'D\[0000\]  DE AD BE EF 90 00 ' /tmp/scd.out &&
		grep -q 'C-APDU (9 bytes): 80 EE 00 00 04 DE AD BE EF$' /tmp/gadget.log
}
check "hosts: gnupg: SCD APDU exchanges (SELECT, ECHO) through scdaemon's CCID driver" scd_apdus
gpg_kill
check "hosts: daemon exits 0 on SIGTERM (test card)" gadget_stop

# ---- the same rows on the default cac+piv card (issue 20) ----
# OpenSC takes that card with its PIV driver unless told: its CAC driver
# forced (card_drivers = cac) for every OpenSC user (pkcs11-tool, p11-kit,
# NSS), the rows read the CAC view as on personality=cac; CoolKey speaks
# CAC on its own. pcscd is back for them (gnupg's rows stopped it).
printf 'app default {\n\tcard_drivers = cac;\n\tframework pkcs15 { use_file_caching = no; }\n}\n' \
	>/tmp/opensc-cac.conf
cac_named() {
	local got
	got=$(OPENSC_CONF=/tmp/opensc-cac.conf opensc-tool --reader 0 --name 2>&1)
	echo "opensc-tool --name: $got"
	[ "$got" = "Common Access Card (CAC)" ]
}
CACPIV_FROM=$(date +%s)
check "hosts: cac+piv: pcscd starts again" pcscd_start
check "hosts: cac+piv: the default cac+piv card starts" \
	gadget_start -v --card "${SPEC%,personality=cac}"
check "hosts: cac+piv: pcscd lists the reader with the card" pcsc_client --wait-reader 10 --wait-card 10 --atr
check "hosts: cac+piv: OpenSC with card_drivers = cac names it Common Access Card (CAC)" cac_named
export OPENSC_CONF=/tmp/opensc-cac.conf
check "hosts: cac+piv: OpenSC session (pkcs11-tool -L -O, a signature)" opensc_session
host_rows "hosts: cac+piv"
unset OPENSC_CONF
check "hosts: cac+piv: daemon exits 0 on SIGTERM" gadget_stop
diag "hosts: the cac+piv rows took $(($(date +%s) - CACPIV_FROM)) s"
