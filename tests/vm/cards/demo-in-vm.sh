# SPDX-License-Identifier: GPL-2.0-or-later
# The VM half of scripts/demo (busybox sh, run by tests/vm/bed with
# tests/vm/lib.sh sourced): the board side starts ccid-gadget with the
# emulated card, the PC side (same VM, through dummy_hcd) shows what a user
# would see. Only the lines meant for the person watching go to the TAP
# channel (the demo's stdout); the daemon's -v trace and pcscd's log go to
# the console (build/vm/runs/demo/console.log, copied into the demo log).
# /demo/env sets DB (the NSS db directory) and PIN (empty: none).

. /demo/env
SPEC="emulated,backend=certificates,db=sql:$DB,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert"
P11="pkcs11-tool --module opensc-pkcs11.so"
# The card is the default cac+piv one, and OpenSC takes its PIV side: the
# PIN is the db password, or 123456 for a db without one (README, "the PIV
# card edge"); the signing key is PIV key 9C, object ID 02.
LOGIN_PIN=${PIN:-123456}
SIGN_ID=02

step() { tap "==> $*"; }
show() { # indent stdin onto the demo's output
	while IFS= read -r l; do tap "    $l"; done
}
fail() { # WHAT [FILE with the output that says why]
	[ -n "${2-}" ] && [ -s "$2" ] && show <"$2"
	not_ok "demo: $1"
	exit 1
}
run_shown() { # WHAT CMD...: run, show its output, fail on non-zero
	local what=$1
	shift
	"$@" >/tmp/out 2>&1 || fail "$what" /tmp/out
	show </tmp/out
}

up=$(cut -d' ' -f1 /proc/uptime)
step "VM up after ${up}s (Linux $(uname -r)); loading dummy_hcd: a USB device controller and a host controller wired together"
usb_load high >/tmp/out 2>&1 || fail "loading the USB modules" /tmp/out
udevd_start >/tmp/out 2>&1 || fail "starting systemd-udevd" /tmp/out
pcscd_start || fail "starting pcscd" /tmp/pcscd.log

step "board side: ccid-gadget --card emulated,backend=certificates,db=sql:$DB,..."
gadget_start -v --card "$SPEC" || fail "starting ccid-gadget" /tmp/gadget.log
d=$(host_dev)
run_shown "ccid-gadget ctl status" ccid-gadget ctl status

step "PC side: a new USB device"
tap "    $(cat "$d/idVendor"):$(cat "$d/idProduct") \"$(cat "$d/manufacturer")\" \"$(cat "$d/product")\" serial $(cat "$d/serial"), $(cat "$d/speed") Mbit/s, interface class $(cat "$d"/*:1.0/bInterfaceClass) (smart card)"

step "opensc-tool --list-readers   (pcscd + libccid)"
pcsc_client --wait-reader 10 --wait-card 10 --list >/tmp/out 2>&1 || fail "waiting for the reader and its card" /tmp/out
run_shown "listing the readers" opensc-tool --list-readers

step "the card: its ATR, and what OpenSC makes of it"
pcsc_client --atr >/tmp/out 2>&1 || fail "reading the ATR" /tmp/out
tap "    ATR $(sed -n 's/^ATR: //p' /tmp/out), $(sed -n 's/^Protocol: //p' /tmp/out)"
run_shown "naming the card" opensc-tool --reader 0 --name

step "pkcs11-tool --module opensc-pkcs11.so -L"
run_shown "pkcs11-tool -L" $P11 -L

step "pkcs11-tool --module opensc-pkcs11.so -O   (the certificate objects)"
$P11 -O >/tmp/objs 2>&1 || fail "pkcs11-tool -O" /tmp/objs
# Each object starts with an unindented line: keep the certificates.
awk '/^[^ ]/ { keep = /^Certificate Object/ } keep' /tmp/objs >/tmp/out
[ "$(grep -c '^Certificate Object' /tmp/out)" = 3 ] || fail "pkcs11-tool -O does not list three certificates" /tmp/objs
show </tmp/out

echo "I, John Doe, signed this on $(date -u +%Y-%m-%d) with a card in a ccid-gadget reader." >/tmp/msg
if [ -n "$PIN" ]; then
	step "signing on the card with the signing key (PIV 9C, ID $SIGN_ID), PIN $PIN (the NSS db password)"
else
	step "signing on the card with the signing key (PIV 9C, ID $SIGN_ID); the db has no password: the PIV PIN is $LOGIN_PIN"
fi
tap "    message: $(cat /tmp/msg)"
tap "    pkcs11-tool --login --pin $LOGIN_PIN --sign -m SHA256-RSA-PKCS --id $SIGN_ID -i msg -o msg.sig"
$P11 --login --pin "$LOGIN_PIN" --sign -m SHA256-RSA-PKCS --id $SIGN_ID -i /tmp/msg -o /tmp/msg.sig \
	>/tmp/out 2>&1 || fail "signing on the card" /tmp/out
tap "    signature: $(wc -c </tmp/msg.sig) bytes, $(od -An -tx1 -N16 /tmp/msg.sig | tr -d ' \n')..."

step "openssl verifies it with the public key of signing-cert.der, exported from the NSS db on the build machine"
openssl x509 -inform der -in "$DB/signing-cert.der" -pubkey -noout >/tmp/pub.pem 2>/tmp/out ||
	fail "extracting the public key" /tmp/out
tap "    $(openssl x509 -inform der -in "$DB/signing-cert.der" -noout -subject -issuer | tr '\n' ' ')"
tap "    openssl dgst -sha256 -verify signing-cert.pub -signature msg.sig msg"
run_shown "verifying the signature" openssl dgst -sha256 -verify /tmp/pub.pem -signature /tmp/msg.sig /tmp/msg

step "stopping the reader (SIGTERM: the gadget is unbound and removed)"
gadget_stop || fail "ccid-gadget did not exit cleanly" /tmp/gadget.log
ok "demo: the PC read John Doe's certificates and a signature made on the card verified"
# The full story for the demo log (on failure lib.sh's bed_end dumps these).
bed_dump /tmp/gadget.log 100000
bed_dump /tmp/pcscd.log 2000
