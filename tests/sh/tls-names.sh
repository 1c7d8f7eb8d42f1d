#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's remote set-up with the board reached by a name that is not
# localhost (issue 22): scripts/make-tls-certs --host NAME --host IP puts
# them in the server certificate's subjectAltName, and ccid-vscclient
# --tls-creds connects by that name and by that address, and refuses a name
# the certificate does not hold. The TLS server is QEMU's
# ccid-card-passthru with tls-creds-x509 (verify-peer=on), no guest (as in
# tests/sh/passthru-qemu.sh part 1): the daemon's own passthru port needs
# FunctionFS, which this build machine's kernel lacks (tests/vm/suites/
# passthru.sh runs it in the VM). Nothing touches the real network: QEMU
# listens on 127.0.0.2 (loopback), and the names are resolved through a
# private /etc/hosts bind-mounted in a mount namespace of the client's own
# (unshare -m); without unshare the name cases SKIP.
# Also make-tls-certs itself: idempotent for names it already holds, a
# missing --host reissues only the server certificate from the same CA, a
# bad --host is refused.
set -uo pipefail
trap '' PIPE
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
client=$top/build/ccid-vscclient
tmp=$(mktemp -d)
QPID=
cleanup() { [ -n "$QPID" ] && kill "$QPID" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
t() { local name=$1; shift; if "$@"; then echo "ok - tls-names: $name"; else echo "not ok - tls-names: $name"; fi; }
show() { sed 's/^/# /' "$@" | tail -n 8; }

# ---- make-tls-certs --host ----------------------------------------------------------
tls=$tmp/tls
out=$(scripts/make-tls-certs "$tls" --host ccid-board.test --host 127.0.0.2 2>&1)
san() { openssl x509 -in "$1/server/server-cert.pem" -noout -ext subjectAltName | tail -n 1 | tr -d ' '; }
t "make-tls-certs --host ccid-board.test --host 127.0.0.2: both in the server certificate's SAN, after localhost" \
	eval '[ "$(san "$tls")" = "DNS:localhost,IPAddress:127.0.0.1,DNS:ccid-board.test,IPAddress:127.0.0.2" ] || { echo "# $out"; echo "# SAN: $(san "$tls")"; false; }'
t "the server certificate chains to DIR's CA" \
	eval 'openssl verify -CAfile "$tls/ca/ca-cert.pem" "$tls/server/server-cert.pem" >/dev/null'
sums() { (cd "$tls" && find . -type f ! -name '.*' | sort | xargs sha256sum); }
before=$(sums)
out=$(scripts/make-tls-certs "$tls" --host 127.0.0.2 2>&1)
t "again with a --host it already names: nothing changes" eval '[ "$(sums)" = "$before" ] && grep -q "is complete" <<<"$out"'
out=$(scripts/make-tls-certs "$tls" --host ccid-board.test --host ccid-board.local --host 127.0.0.2 2>&1)
changed=$(diff <(echo "$before") <(sums) | grep '^>' | awk '{print $3}' | tr '\n' ' ')
t "a new --host: only the server certificate and key are issued again (DIR/server, DIR/revoked/server)" \
	eval '[ "$changed" = "./revoked/server/server-cert.pem ./revoked/server/server-key.pem ./server/server-cert.pem ./server/server-key.pem " ] || { echo "# changed: $changed"; false; }'
t "... naming the new one, from the same CA, the key matching the certificate" \
	eval 'grep -q "DNS:ccid-board.local" <<<"$(san "$tls")" && openssl verify -CAfile "$tls/ca/ca-cert.pem" "$tls/server/server-cert.pem" >/dev/null && [ "$(openssl x509 -in "$tls/server/server-cert.pem" -noout -pubkey)" = "$(openssl pkey -in "$tls/server/server-key.pem" -pubout)" ]'
for bad in "two words" "-x" "a..b" "host_name"; do
	out=$(scripts/make-tls-certs "$tmp/bad" --host "$bad" 2>&1); rc=$?
	t "--host '$bad' refused: exit 2, one line, nothing made" eval '[ $rc = 2 ] && [ "$(wc -l <<<"$out")" = 1 ] && ! [ -e "$tmp/bad" ]'
done

# ---- the client by name and by address, against a TLS server on 127.0.0.2 -----------
if [ ! -x "$client" ] || ! command -v qemu-system-x86_64 >/dev/null; then
	echo "not ok - tls-names: build/ccid-vscclient and qemu-system-x86_64 are there (make; scripts/install-deps)"
	exit 1
fi
tests/vm/cards/make-dbs >/dev/null 2>&1 || { echo "not ok - tls-names: tests/vm/cards/make-dbs"; exit 1; }
EMUL="db=\"sql:$top/build/cards/nopin\" use_hw=no"
in_use() {
	awk -v h=":$(printf '%04X' "$1")" 'NR > 1 && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
listening_on() { # HEXADDR:HEXPORT in state LISTEN
	awk -v a="$1" 'NR > 1 && $2 == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}
for i in $(seq 50); do port=$((20000 + RANDOM % 40000)); in_use $port || break; done
timeout -k 2 120 qemu-system-x86_64 -accel tcg -nodefaults -display none -monitor none -serial none -S \
	-object "tls-creds-x509,id=tls0,dir=$tls/server,endpoint=server,verify-peer=on" \
	-device piix3-usb-uhci,id=uhci -device usb-ccid,bus=uhci.0 \
	-chardev "socket,id=ccid,host=127.0.0.2,port=$port,server=on,wait=off,tls-creds=tls0" \
	-device ccid-card-passthru,chardev=ccid >"$tmp/qemu.log" 2>&1 &
QPID=$!
end=$((SECONDS + 20))
until listening_on "0200007F:$(printf '%04X' $port)"; do
	{ kill -0 $QPID 2>/dev/null && [ $SECONDS -lt $end ]; } || break
	sleep 0.1
done
t "QEMU's TLS passthru server listens on 127.0.0.2:$port" listening_on "0200007F:$(printf '%04X' $port)" ||
	{ show "$tmp/qemu.log"; exit 1; }

printf '127.0.0.2 ccid-board.test\n127.0.0.2 not-in-cert.test\n' >"$tmp/hosts"
# connect HOST [ns]: the client with the board's client credentials, the
# certificate card, -n (no stdin commands): it connects, adds its reader,
# sends the ATR, and serves until stopped: it is stopped as soon as its log
# shows the reader added (reached), else by the 20 s timeout; a client that
# exits by itself (refused) gives its own status. Output in $tmp/c.log.
connect() {
	local cmd=("$client" -n --tls-creds "$tls/client" -c id-cert -c signing-cert -c encryption-cert -e "$EMUL" "$1" "$port")
	local pid end
	: >"$tmp/c.log"
	if [ "${2:-}" = ns ]; then
		timeout -k 2 20 unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$tmp/hosts" "${cmd[@]}" \
			</dev/null >/dev/null 2>"$tmp/c.log" &
	else
		timeout -k 2 20 "${cmd[@]}" </dev/null >/dev/null 2>"$tmp/c.log" &
	fi
	pid=$!
	end=$((SECONDS + 20))
	while kill -0 $pid 2>/dev/null && [ $SECONDS -lt $end ] && ! reached "$1"; do sleep 0.1; done
	reached "$1" && kill $pid 2>/dev/null
	wait $pid
}
reached() { grep -q "connected to $1:$port CN=localhost" "$tmp/c.log" && grep -q "reader 'Test' added" "$tmp/c.log"; }

connect 127.0.0.2
t "ccid-vscclient --tls-creds by the address 127.0.0.2 (an IP SAN): connected, reader added" \
	eval 'reached 127.0.0.2 || { show "$tmp/c.log"; false; }'
if unshare -m true 2>/dev/null; then
	connect ccid-board.test ns
	t "ccid-vscclient --tls-creds by the name ccid-board.test (a DNS SAN; private /etc/hosts): connected, reader added" \
		eval 'reached ccid-board.test || { show "$tmp/c.log"; false; }'
	connect not-in-cert.test ns; rc=$?
	t "by a name the certificate does not hold (same address): refused, exit 1, the reason named" \
		eval '[ $rc = 1 ] && grep -q "server certificate CN=localhost does not verify" "$tmp/c.log" && ! grep -q "reader .Test. added" "$tmp/c.log" || { show "$tmp/c.log"; false; }'
else
	echo "ok - tls-names: by name # SKIP unshare -m is not permitted here"
fi
