# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt's `host` mode (backend=nss-emulated, issue 14): the board's card
# is a PKCS#11 token reached through NSS, mirrored by libcacard, shown to
# the PC through the gadget. The token is SoftHSM2's (tests/vm/host/make-token:
# "Board Token", John Doe's three keys and certificates, PIN 123456), its
# module registered in the board's NSS db /host/board with modutil.
#  - what libcacard needs and a new user does not know: with its default
#    use_hw=yes the SoftHSM2 token (removable, not hardware) is skipped;
#    with slots.removable = false it is skipped whatever use_hw says: each
#    gives one log line naming the fix and an empty reader, the daemon
#    serving on;
#  - failure paths, one line each, the daemon serving an empty reader: the
#    db's module file missing; no token (SoftHSM2 with an empty token dir);
#  - use_hw=removable: the PC's pcscd + OpenSC (its CAC view,
#    personality=cac) list the three certificates, byte-identical to the
#    token's; a wrong PIN is refused; the right one signs (openssl
#    verifies) and decrypts; CoolKey lists them.
# make check runs the use_hw=yes line, the module-missing path, the
# mirrored token's certificates through OpenSC, a wrong PIN, and the
# right PIN signing and decrypting; make soak (tests/soak) runs it with
# LONG=1: also slots.removable = false, no token and CoolKey.
# The key operations were in make soak only while NSS deadlocked, now and
# then, between the daemon's worker (a login) and libcacard's thread
# polling SoftHSM2 for slot events; vcg_cacard_hold_pollers()
# (vcg_cacard.h) says why and how that is closed, and
# tests/unit/test_vcg_emul_softhsm.c is its regression test.
# The board and the PC are the same VM here; the daemon reads
# /etc/softhsm/softhsm2.conf (slots.removable = true) unless SOFTHSM2_CONF
# says otherwise.
# bed-setup: tests/vm/host/make-token
# bed: --timeout 300 --add build/host/board:/host/board --add build/host/nomod:/host/nomod --add build/host/tokens:/host/tokens --add build/host/certs:/host/certs --add build/host/softhsm2.conf:/etc/softhsm/softhsm2.conf --add build/host/softhsm2-fixed.conf:/host/softhsm2-fixed.conf --add build/host/libsofthsm2.so:/usr/lib/softhsm/libsofthsm2.so --add /usr/bin/openssl:/usr/bin/openssl --add /usr/lib/pkcs11/libcoolkeypk11.so:/usr/lib64/pkcs11/libcoolkeypk11.so --add /usr/lib/libckyapplet.so.1.0.0:/usr/lib/libckyapplet.so.1 --add /usr/lib/x86_64-linux-gnu/libstdc++.so.6:/usr/lib/x86_64-linux-gnu/libstdc++.so.6 --add /usr/lib/x86_64-linux-gnu/libz.so.1:/usr/lib/x86_64-linux-gnu/libz.so.1 --add /usr/lib/x86_64-linux-gnu/libdl.so.2:/usr/lib/x86_64-linux-gnu/libdl.so.2

. /bed/p11.sh

LONG=0             # 1: the other failure paths and CoolKey (make soak)

C=/host/certs
# A card that stops answering fails the check, not the whole VM.
P11="timeout 60 $P11"
PIN=123456
DB=sql:/host/board
SPEC="emulated,backend=nss-emulated,db=$DB,use_hw=removable,personality=cac"
COOLKEY=/usr/lib64/pkcs11/libcoolkeypk11.so
export COOL_KEY_LOG_FILE=/tmp/coolkey.log

# The daemon's log of the current run only.
fresh_log() { : >/tmp/gadget.log; }
# exactly one line of the daemon's log says TEXT
one_line() { # TEXT
	cat /tmp/gadget.log
	[ "$(grep -c "$1" /tmp/gadget.log)" = 1 ] || { echo "not one line saying '$1'"; return 1; }
}
# The reader is there, with no card, and the daemon answers ctl.
empty_reader() {
	pcsc_client --wait-reader 10 --list --expect-readers 1 || return 1
	! pcsc_client --wait-card 1 --atr >/dev/null 2>&1 || { echo "a card is in the reader"; return 1; }
	card_in_status absent
}
# A daemon that starts, logs one line saying TEXT, serves an empty reader
# and stops cleanly. ENV: words put before the daemon (SOFTHSM2_CONF=...).
empty_with_line() { # TEXT SPEC [ENV]
	fresh_log
	if [ -n "$3" ]; then
		env $3 ccid-gadget -v --card "$2" >>/tmp/gadget.log 2>&1 3>&- 4<&- &
		GADGET_PID=$!
		wait_enumerated 30 || { cat /tmp/gadget.log; return 1; }
	else
		gadget_start -v --card "$2" || { cat /tmp/gadget.log; return 1; }
	fi
	local rc=0 mark
	one_line "$1" && empty_reader && alive "$GADGET_PID" || rc=1
	mark=$(pcscd_log_mark)
	gadget_stop || rc=1
	pcscd_drops_reader $mark || rc=1
	return $rc
}

three_token_certs() { three_certs_are $C id-cert signing-cert encryption-cert; }
signs_with() { signs_with_cert "$1" $C/signing-cert.der; } # PIN
decrypts() {
	local id
	id=$(id_of $C/encryption-cert.der) || return 1
	openssl x509 -inform der -in $C/encryption-cert.der -out /tmp/enc.pem || return 1
	head -c 48 /dev/urandom >/tmp/secret
	openssl pkeyutl -encrypt -certin -inkey /tmp/enc.pem -in /tmp/secret -out /tmp/secret.enc || return 1
	rm -f /tmp/secret.dec
	$P11 --login --pin $PIN --decrypt -m RSA-PKCS --id $id -i /tmp/secret.enc -o /tmp/secret.dec || return 1
	cmp /tmp/secret /tmp/secret.dec
}
wrong_pin() { wrong_pin_refused_for 999999 $C/signing-cert.der; }
# CoolKey lists three certificates, each byte-identical to one of the
# token's (CoolKey inflates them: the daemon's PKI-applet filter).
coolkey_lists() {
	local CK="timeout 60 pkcs11-tool --module $COOLKEY" id n
	$CK -O >/tmp/ck.out 2>&1
	local rc=$?
	cat /tmp/ck.out
	[ $rc = 0 ] && [ "$(grep -c '^Certificate Object' /tmp/ck.out)" = 3 ] || return 1
	rm -f /tmp/ck-*.der
	for id in $(awk '/^Certificate Object/ { c = 1 } c && /ID:/ { print $2; c = 0 }' /tmp/ck.out); do
		$CK --read-object --type cert --id $id -o /tmp/ck-$id.der >/dev/null 2>&1 || return 1
	done
	for n in id-cert signing-cert encryption-cert; do
		found=
		for f in /tmp/ck-*.der; do cmp -s $f $C/$n.der && found=1; done
		[ -n "$found" ] || { echo "CoolKey does not serve $n byte for byte"; return 1; }
	done
}

# ---- the bed ----

for f in ccid-gadget openssl; do
	command -v $f >/dev/null || { not_ok "host: $f is in the image" "see the # bed: line"; exit 1; }
done
check "host: modules load" usb_load high
check "host: systemd-udevd starts" udevd_start
check "host: pcscd starts" pcscd_start
echo "ccid-gadget signs this for the host suite" >/tmp/msg

# ---- what libcacard needs, said in one line ----
check "host: use_hw=yes (libcacard's default): one line names use_hw=removable, the reader is empty, the daemon serves on" \
	empty_with_line "is not a hardware slot.*add use_hw=removable to the card SPEC" \
	"emulated,backend=nss-emulated,db=$DB,personality=cac"
[ $LONG = 1 ] && check "host: slots.removable = false: one line names slots.removable, the reader is empty" \
	empty_with_line "is not in a removable slot.*slots.removable = true" "$SPEC" \
	SOFTHSM2_CONF=/host/softhsm2-fixed.conf
# The checker can fail: the same run must not pass for another line.
check "host: ... one_line fails for a line the daemon did not write" \
	fails one_line "mirroring token"

# ---- failure paths ----
check "host: the db's PKCS#11 module file missing: one line, the reader is empty" \
	empty_with_line "PKCS#11 module 'SoftHSM2' registered in sql:/host/nomod did not load from '/usr/lib/no-such-pkcs11.so'" \
	"emulated,backend=nss-emulated,db=sql:/host/nomod,use_hw=removable"
mkdir -p /tmp/notokens
sed 's|/host/tokens|/tmp/notokens|' /etc/softhsm/softhsm2.conf >/tmp/notokens.conf
[ $LONG = 1 ] && check "host: no token (SoftHSM2 with an empty token directory): one line, the reader is empty" \
	empty_with_line "no card or token in reader 'SoftHSM slot ID 0x0'.*a token initialised in that slot" "$SPEC" SOFTHSM2_CONF=/tmp/notokens.conf

# ---- the token mirrored ----
fresh_log
check "host: use_hw=removable: the daemon starts, the host enumerates the gadget" \
	gadget_start -v --card "$SPEC"
check "host: one line names the token it mirrors" \
	one_line "mirroring token 'Board Token' (slot 'SoftHSM slot ID 0x[0-9a-f]*', module 'SoftHSM2'): 3 certificates, keys behind the PIN"
check "host: pcscd lists the reader with the card (libcacard's ATR)" \
	pcsc_client --wait-reader 10 --wait-card 10 --atr --expect-atr $CAC_ATR
check "host: OpenSC recognises a Common Access Card (CAC)" \
	sh -c 'opensc-tool --reader 0 --name | grep -qx "Common Access Card (CAC)"'
check "host: OpenSC lists three certificates, each byte-identical to the token's" three_token_certs
check "host: a wrong PIN is refused (C_Login fails, nothing signed)" wrong_pin
check "host: the token's PIN signs (SHA256-RSA-PKCS); openssl verifies with signing-cert" \
	signs_with $PIN
check "host: ... and that signature does not verify against id-cert's key" \
	verifies_not $C/id-cert.der
check "host: RSA-PKCS decryption with the encryption key round-trips" decrypts
[ $LONG = 1 ] && check "host: CoolKey lists the three certificates, byte-identical to the token's" coolkey_lists
check "host: the daemon exits 0 on SIGTERM" gadget_stop
