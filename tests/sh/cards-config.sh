#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad emulated-card configuration, on the build machine (no VM: the daemon
# checks every card SPEC before it touches configfs or looks for a UDC).
# Each bad SPEC must end the daemon with exit 2 and exactly one line on
# stderr saying what is wrong, nothing on stdout, and no card created (so
# no gadget: the card is made before the UDC is even chosen). A good SPEC
# is the control: it gets past the card and stops at the UDC it was given
# (`--udc` names one that does not exist), so the failures above really
# come from the card checks. Prints TAP lines; the VM bed checks the same
# SPECs leave configfs and the host side untouched (tests/vm/suites/cards.sh).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
gadget=$top/build/ccid-gadget
fails=0

ok() { echo "ok - cards-config: $*"; }
not_ok() { echo "not ok - cards-config: $1"; shift; for l in "$@"; do echo "#   $l"; done; fails=$((fails + 1)); }

if [ ! -x "$gadget" ]; then
	not_ok "build/ccid-gadget is built" "run make first"
	exit 1
fi
if ! tests/vm/cards/make-dbs; then
	not_ok "tests/vm/cards/make-dbs makes the fake cards"
	exit 1
fi
nopin=$top/build/cards/nopin
pin=$top/build/cards/pin
tmp=$(mktemp -d)
trap 'chmod -R u+rwX "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
ctl=$tmp/ctl.sock
gadget_dir=/sys/kernel/config/usb_gadget/ccid-gadget

spec() { # DB CERT1 CERT2 CERT3 (an empty CERTn is left out)
	local s="emulated,backend=certificates,db=$1" i=1 c
	shift
	for c in "$@"; do
		[ -n "$c" ] && s="$s,cert$i=$c"
		i=$((i + 1))
	done
	echo "$s"
}

# run_gadget [RUNAS...] -- ARGS: the daemon's exit status in $rc, its
# output in $tmp/out and $tmp/err. A hang is killed (and fails).
run_gadget() {
	local pre=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	rc=0
	timeout -k 5 60 "${pre[@]+"${pre[@]}"}" "$gadget" --ctl "$ctl" "$@" \
		>"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
}

# refused NAME WANT [RUNAS... --] SPEC: exit 2, one stderr line containing
# WANT, nothing else.
refused() {
	local name=$1 want=$2 why=()
	shift 2
	local pre=()
	if [ $# -gt 1 ]; then
		while [ "$1" != -- ]; do pre+=("$1"); shift; done
		shift
	fi
	run_gadget "${pre[@]+"${pre[@]}"}" -- --card "$1"
	local lines
	lines=$(wc -l <"$tmp/err")
	[ $rc = 2 ] || why+=("exit $rc, expected 2")
	[ "$lines" = 1 ] || why+=("$lines lines on stderr, expected 1")
	[ -s "$tmp/out" ] && why+=("stdout not empty: $(head -c 200 "$tmp/out")")
	grep -qF -- "$want" "$tmp/err" || why+=("the message does not say '$want'")
	grep -qi 'udc\|configfs\|gadget ' "$tmp/err" && why+=("it got as far as the USB side")
	[ -e "$gadget_dir" ] && why+=("$gadget_dir exists")
	if [ ${#why[@]} = 0 ]; then
		ok "$name: exit 2, one line"
		sed 's/^/#   /' "$tmp/err"
	else
		not_ok "$name" "${why[@]}" "stderr: $(head -c 600 "$tmp/err")"
	fi
}

# ---- the control: a good SPEC gets past the card stage ----
run_gadget -- --udc ccid-gadget-no-such-udc.0 --card "$(spec "sql:$nopin" id-cert signing-cert encryption-cert)"
if grep -q 'slot 0: emulated certificates' "$tmp/err" && grep -q 'UDC' "$tmp/err" && [ $rc != 0 ] &&
	! grep -q -- '--card' "$tmp/err"; then
	ok "control: a good SPEC passes the card checks and stops at the missing UDC (exit $rc)"
else
	not_ok "control: a good SPEC passes the card checks and stops at the missing UDC" \
		"exit $rc; stderr: $(head -c 600 "$tmp/err")"
fi
# One or two certificates: the missing roles are cert1's (not refused).
for certs in "signing-cert" "id-cert signing-cert"; do
	# shellcheck disable=SC2086 # the nicknames are separate words
	run_gadget -- --udc ccid-gadget-no-such-udc.0 --card "$(spec "sql:$nopin" $certs)"
	if grep -q 'slot 0: emulated certificates' "$tmp/err" && grep -q 'UDC' "$tmp/err" && [ $rc != 0 ]; then
		ok "a card of $(wc -w <<<"$certs") certificate(s) passes the card checks (exit $rc at the missing UDC)"
	else
		not_ok "a card of $(wc -w <<<"$certs") certificate(s) passes the card checks" \
			"exit $rc; stderr: $(head -c 600 "$tmp/err")"
	fi
done

# ---- the db ----
refused "missing db directory" "NSS db directory '$tmp/missing' does not exist" \
	"$(spec "sql:$tmp/missing" id-cert signing-cert encryption-cert)"
mkdir -p "$tmp/empty"
refused "a directory that is no NSS db" "has no cert9.db" \
	"$(spec "sql:$tmp/empty" id-cert signing-cert encryption-cert)"
: >"$tmp/afile"
refused "db is a file, not a directory" "is not a directory" \
	"$(spec "sql:$tmp/afile" id-cert signing-cert encryption-cert)"
mkdir -p "$tmp/legacy"
if certutil -N -d "dbm:$tmp/legacy" --empty-password >/dev/null 2>&1 && [ -e "$tmp/legacy/cert8.db" ]; then
	refused "a legacy dbm: db" "legacy dbm: database" \
		"$(spec "sql:$tmp/legacy" id-cert signing-cert encryption-cert)"
else
	echo "ok - cards-config: a legacy dbm: db # SKIP this NSS cannot make a dbm: db"
fi
mkdir -p "$tmp/corrupt"
head -c 8192 /dev/urandom >"$tmp/corrupt/cert9.db"
head -c 8192 /dev/urandom >"$tmp/corrupt/key4.db"
refused "a corrupt db" "cannot open NSS db sql:$tmp/corrupt" \
	"$(spec "sql:$tmp/corrupt" id-cert signing-cert encryption-cert)"

# Unreadable: root reads everything, so run the daemon as nobody.
cp -a "$nopin" "$tmp/unreadable"
chmod 0700 "$tmp/unreadable"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	# A copy nobody can reach whatever the checkout's permissions.
	cp "$gadget" "$tmp/ccid-gadget"
	saved=$gadget gadget=$tmp/ccid-gadget
	refused "an unreadable db (as nobody)" "cannot read NSS db directory '$tmp/unreadable'" \
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- \
		"$(spec "sql:$tmp/unreadable" id-cert signing-cert encryption-cert)"
	gadget=$saved
elif [ "$(id -u)" != 0 ]; then
	chmod 0000 "$tmp/unreadable"
	refused "an unreadable db" "cannot read NSS db directory '$tmp/unreadable'" \
		"$(spec "sql:$tmp/unreadable" id-cert signing-cert encryption-cert)"
else
	echo "ok - cards-config: an unreadable db # SKIP root without setpriv or a nobody user"
fi

# ---- the certificates ----
refused "wrong nickname" "certificate 'no-such-cert' not found in sql:$nopin" \
	"$(spec "sql:$nopin" id-cert no-such-cert encryption-cert)"
refused "two wrong nicknames are both named" "certificates 'nope-1', 'nope-3' not found" \
	"$(spec "sql:$nopin" nope-1 signing-cert nope-3)"
refused "cert2 and cert3 without cert1" "backend=certificates needs cert1 (and cert2, cert3 if the card has more certificates; a missing one is cert1's)" \
	"$(spec "sql:$nopin" "" signing-cert encryption-cert)"
refused "no certificates" "needs cert1" \
	"emulated,backend=certificates,db=sql:$nopin"
refused "a fifth certificate" "unknown property 'cert5'" \
	"$(spec "sql:$nopin" id-cert signing-cert encryption-cert),cert5=id-cert"
refused "a misspelt backend" "unknown backend 'certificate'" \
	"emulated,backend=certificate,db=sql:$nopin,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert"
# Certificates without their private keys: the card could not sign.
mkdir -p "$tmp/nokeys"
if certutil -N -d "sql:$tmp/nokeys" --empty-password &&
	for n in id-cert signing-cert encryption-cert; do
		certutil -A -d "sql:$tmp/nokeys" -n $n -t ,, -i "$nopin/$n.der" || exit 1
	done; then
	refused "certificates without private keys" "has no private key" \
		"$(spec "sql:$tmp/nokeys" id-cert signing-cert encryption-cert)"
else
	not_ok "certutil makes a db of certificates without keys"
fi
# The password-protected db hides its keys before login; its nicknames
# are still checked.
refused "wrong nickname in a password-protected db" "certificate 'no-such-cert' not found in sql:$pin" \
	"$(spec "sql:$pin" id-cert signing-cert no-such-cert)"

[ $fails = 0 ]
