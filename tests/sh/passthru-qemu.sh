#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ccid-vscclient against QEMU's own ccid-card-passthru, the reference VSCard
# server. Prints TAP lines; tests/run-all runs it (make check).
#
#  1. Host only (QEMU's device model answers without a guest): plain TCP:
#     Init, ReaderAdd -> Error(success), ATR acknowledged, quit exits 0; a
#     QEMU killed under the client makes it exit 1 with one line; TLS to a
#     QEMU chardev with tls-creds-x509 (verify-peer=on) works, and a client
#     certificate from another CA is refused.
#  2. A TCG guest (tests/vm/bed, Debian's kernel, busybox initramfs) with
#     -device piix3-usb-uhci -device usb-ccid -chardev socket,...
#     -device ccid-card-passthru: the client on this machine serves the
#     certificates card of tests/vm/cards/make-dbs (build/cards/nopin); the
#     guest (tests/vm/qemu-ref/guest.sh) checks pcscd + libccid, the ATR, a
#     raw APDU, OpenSC's token and certificates, a signature that openssl
#     verifies, then asks this script ("# host: CMD" lines) to type remove,
#     insert, reader-remove, reader-add and quit into the client, and checks
#     what the guest sees each time.
# UHCI, not EHCI: QEMU's usb-ccid is a full-speed device and QEMU 7.2 will
# not attach it to an EHCI bus ("speed mismatch"; QEMU exits).
# Every wait has a deadline; a hang fails. Logs: build/vm/runs/passthru-qemu*/.
#   VSCCLIENT=path/to/ccid-vscclient tests/sh/passthru-qemu.sh
#   PASSTHRU_QEMU_GUEST_ONLY=1 ...   skip part 1
set -uo pipefail
trap '' PIPE   # a client gone shows as a failed write, not a dead harness
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
client=${VSCCLIENT:-$top/build/ccid-vscclient}
logs=$top/build/vm/runs/passthru-qemu-host
fails=0
t_start=$SECONDS

ok() { echo "ok - passthru-qemu: $*"; }
not_ok() {
	echo "not ok - passthru-qemu: $1"
	shift
	for l in "$@"; do echo "#   $l"; done
	fails=$((fails + 1))
}
tail_of() { [ -f "$1" ] && tail -n "${2:-15}" "$1" | sed 's/^/#   | /'; }

if [ ! -x "$client" ]; then
	not_ok "build/ccid-vscclient is built" "run make first"
	exit 1
fi
command -v qemu-system-x86_64 >/dev/null ||
	{ not_ok "qemu-system-x86_64 is installed" "scripts/install-deps installs scripts/deps/vm.txt"; exit 1; }
tests/vm/cards/make-dbs || { not_ok "tests/vm/cards/make-dbs makes the fake cards"; exit 1; }
DB=$top/build/cards/nopin
EMUL="db=\"sql:$DB\" use_hw=no"
CERTS=(-c id-cert -c signing-cert -c encryption-cert)

rm -rf "$logs"
mkdir -p "$logs"
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null; done
	exec 7>&- 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- ports ----

# Is 127.0.0.1:PORT listening (state 0A in /proc/net/tcp)?
listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h=":$hex" 'NR > 1 && substr($2, length($2) - 4) == h && $4 == "0A" { f = 1 } END { exit !f }' \
		/proc/net/tcp
}
in_use() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h=":$hex" 'NR > 1 && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
free_port() {
	local p i
	for i in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		in_use $p || { echo $p; return 0; }
	done
	return 1
}
wait_listening() { # PORT SECONDS PID: until PORT listens, PID alive
	local end=$((SECONDS + $2))
	while ! listening "$1"; do
		kill -0 "$3" 2>/dev/null || return 1
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
wait_exit() { # PID SECONDS: its exit status, 124 if it had to be killed
	local end=$((SECONDS + $2)) rc
	while kill -0 "$1" 2>/dev/null; do
		if [ $SECONDS -ge $end ]; then
			kill -9 "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			return 124
		fi
		sleep 0.1
	done
	wait "$1"
	rc=$?
	return $rc
}

# A QEMU with no guest: the device model answers VSCard by itself.
bare_qemu() { # PORT LOG [CHARDEV-EXTRA] [OBJECT...]
	local port=$1 log=$2 extra=${3-}
	shift 3 2>/dev/null || shift $#
	timeout -k 2 60 qemu-system-x86_64 -accel tcg -nodefaults -display none -monitor none \
		-serial none -S "$@" \
		-device piix3-usb-uhci,id=uhci -device usb-ccid,bus=uhci.0 \
		-chardev "socket,id=ccid,host=127.0.0.1,port=$port,server=on,wait=off$extra" \
		-device ccid-card-passthru,chardev=ccid,debug=2 >"$log" 2>&1 &
	QPID=$!
	pids+=($QPID)
}

# ---- 1. host only ----
if [ -z "${PASSTHRU_QEMU_GUEST_ONLY-}" ]; then

port=$(free_port) || { not_ok "a free TCP port"; exit 1; }
bare_qemu "$port" "$logs/qemu-plain.log" ""
if wait_listening "$port" 20 "$QPID"; then
	ok "QEMU (no guest) listens on 127.0.0.1:$port"
	mkfifo "$tmp/in1"
	"$client" -d 1 "${CERTS[@]}" -e "$EMUL" 127.0.0.1 "$port" <"$tmp/in1" \
		>"$logs/client-plain.out" 2>"$logs/client-plain.log" &
	cpid=$!
	pids+=($cpid)
	exec 7>"$tmp/in1"
	end=$((SECONDS + 15))
	until grep -q "ATR (15 bytes) sent" "$logs/client-plain.log" &&
		[ "$(grep -c 'server acknowledged' "$logs/client-plain.log")" -ge 1 ]; do
		kill -0 $cpid 2>/dev/null && [ $SECONDS -lt $end ] || break
		sleep 0.1
	done
	if grep -q "server Init: version 0.0.2" "$logs/client-plain.log" &&
		grep -q "reader 'Test' added: the server gave it id 0" "$logs/client-plain.log" &&
		grep -q "ATR (15 bytes) sent" "$logs/client-plain.log" &&
		grep -q "VSC_ATR 15" "$logs/qemu-plain.log"; then
		ok "plain TCP: Init both ways, ReaderAdd answered Error(success) id 0, QEMU takes the ATR"
	else
		not_ok "plain TCP: Init both ways, ReaderAdd answered Error(success) id 0, QEMU takes the ATR" \
			"client log:" "$(tail_of "$logs/client-plain.log")" "QEMU:" "$(tail_of "$logs/qemu-plain.log")"
	fi
	echo quit >&7
	wait_exit $cpid 10
	rc=$?
	exec 7>&-
	if [ $rc = 0 ] && grep -q "quit: reader removed" "$logs/client-plain.log"; then
		ok "plain TCP: 'quit' sends CardRemove + ReaderRemove and exits 0"
	else
		not_ok "plain TCP: 'quit' sends CardRemove + ReaderRemove and exits 0" "exit $rc" "$(tail_of "$logs/client-plain.log")"
	fi

	# A dropped server: the client says so in one line and exits 1.
	"$client" -n "${CERTS[@]}" -e "$EMUL" 127.0.0.1 "$port" </dev/null \
		>"$logs/client-drop.out" 2>"$logs/client-drop.log" &
	cpid=$!
	pids+=($cpid)
	end=$((SECONDS + 15))
	until grep -q "ATR (15 bytes) sent" "$logs/client-drop.log"; do
		kill -0 $cpid 2>/dev/null && [ $SECONDS -lt $end ] || break
		sleep 0.1
	done
	kill "$QPID" 2>/dev/null
	wait_exit $cpid 10
	rc=$?
	if [ $rc = 1 ] && [ "$(grep -c 'error:' "$logs/client-drop.log")" = 1 ] &&
		grep -q "error: the server closed the connection" "$logs/client-drop.log"; then
		ok "QEMU killed under the client (stdin /dev/null, -n): one error line, exit 1"
	else
		not_ok "QEMU killed under the client (stdin /dev/null, -n): one error line, exit 1" "exit $rc" "$(tail_of "$logs/client-drop.log")"
	fi
else
	not_ok "QEMU (no guest) listens on 127.0.0.1:$port" "$(tail_of "$logs/qemu-plain.log")"
fi
wait_exit "$QPID" 5 >/dev/null

# TLS: QEMU's tls-creds-x509 (server side, verify-peer=on) and the client's
# --tls-creds, both from scripts/make-tls-certs.
if [ -x scripts/make-tls-certs ] && scripts/make-tls-certs "$top/build/vm/tls-qemu-ref" >"$logs/make-tls-certs.log" 2>&1; then
	tls=$top/build/vm/tls-qemu-ref
	port=$(free_port) || { not_ok "a free TCP port"; exit 1; }
	bare_qemu "$port" "$logs/qemu-tls.log" ",tls-creds=tls0" \
		-object "tls-creds-x509,id=tls0,dir=$tls/server,endpoint=server,verify-peer=on"
	if wait_listening "$port" 20 "$QPID"; then
		mkfifo "$tmp/in2"
		"$client" --tls-creds "$tls/client" "${CERTS[@]}" -e "$EMUL" 127.0.0.1 "$port" <"$tmp/in2" \
			>"$logs/client-tls.out" 2>"$logs/client-tls.log" &
		cpid=$!
		pids+=($cpid)
		exec 7>"$tmp/in2"
		end=$((SECONDS + 15))
		until grep -q "ATR (15 bytes) sent" "$logs/client-tls.log"; do
			kill -0 $cpid 2>/dev/null && [ $SECONDS -lt $end ] || break
			sleep 0.1
		done
		sleep 0.3
		echo quit >&7
		wait_exit $cpid 10
		rc=$?
		exec 7>&-
		if [ $rc = 0 ] && grep -q "connected to 127.0.0.1:$port CN=localhost" "$logs/client-tls.log" &&
			grep -q "reader 'Test' added" "$logs/client-tls.log" && grep -q "VSC_ATR 15" "$logs/qemu-tls.log"; then
			ok "TLS (QEMU tls-creds-x509, verify-peer=on): handshake, ReaderAdd, ATR, quit exits 0"
		else
			not_ok "TLS (QEMU tls-creds-x509, verify-peer=on): handshake, ReaderAdd, ATR, quit exits 0" "exit $rc" \
				"$(tail_of "$logs/client-tls.log")" "QEMU:" "$(tail_of "$logs/qemu-tls.log")"
		fi
		"$client" -n --tls-creds "$tls/other/client" "${CERTS[@]}" -e "$EMUL" 127.0.0.1 "$port" </dev/null \
			>"$logs/client-tls-other.out" 2>"$logs/client-tls-other.log" &
		cpid=$!
		pids+=($cpid)
		wait_exit $cpid 15
		rc=$?
		if [ $rc = 1 ] && grep -q "does not verify" "$logs/client-tls-other.log"; then
			ok "TLS: with another CA's credentials the client refuses QEMU's certificate, exit 1"
		else
			not_ok "TLS: with another CA's credentials the client refuses QEMU's certificate, exit 1" "exit $rc" \
				"$(tail_of "$logs/client-tls-other.log")"
		fi
	else
		not_ok "QEMU with tls-creds-x509 listens" "$(tail_of "$logs/qemu-tls.log")"
	fi
	kill "$QPID" 2>/dev/null
	wait_exit "$QPID" 5 >/dev/null
else
	not_ok "scripts/make-tls-certs makes TLS credentials" "$(tail_of "$logs/make-tls-certs.log")"
fi

fi

# ---- 2. a guest: pcscd, libccid, OpenSC through QEMU's usb-ccid ----

if ! tests/vm/fetch-kernel; then
	not_ok "tests/vm/fetch-kernel fetches Debian's kernel"
	exit 1
fi
port=$(free_port) || { not_ok "a free TCP port"; exit 1; }
q() { qargs+=(--qemu-arg "$1"); }
qargs=()
q -device; q piix3-usb-uhci,id=uhci
q -device; q usb-ccid,bus=uhci.0
q -chardev; q "socket,id=ccid,host=127.0.0.1,port=$port,server=on,wait=off"
q -device; q ccid-card-passthru,chardev=ccid,debug=1
: >"$tmp/tap"
t_guest=$SECONDS
tests/vm/bed run tests/vm/qemu-ref/guest.sh --name passthru-qemu --timeout 150 \
	--add "$DB:/cards/nopin" --add /usr/bin/openssl:/usr/bin/openssl \
	"${qargs[@]}" >"$tmp/tap" 2>"$logs/bed.err" &
bed=$!
pids+=($bed)
if ! wait_listening "$port" 90 "$bed"; then
	not_ok "the guest's QEMU listens on 127.0.0.1:$port" "$(tail_of "$logs/bed.err")"
	wait_exit $bed 5 >/dev/null
	cat "$tmp/tap"
	exit 1
fi
mkfifo "$tmp/in3"
"$client" -d 1 "${CERTS[@]}" -e "$EMUL" 127.0.0.1 "$port" <"$tmp/in3" \
	>"$logs/client-guest.out" 2>"$logs/client-guest.log" &
cpid=$!
pids+=($cpid)
exec 7>"$tmp/in3"
quit_sent=0
# The guest's TAP channel as it comes (bed's own stdout goes through a
# buffering pipe, so it is printed at the end): "# host: CMD" lines are
# typed into the client.
while IFS= read -r line; do
	line=${line%$'\r'}
	case "$line" in
	"@@TAP # host: "*)
		cmd=${line#"@@TAP # host: "}
		if ! echo "$cmd" >&7; then
			not_ok "the client takes the guest's '$cmd'" "it is gone: $(tail -n 1 "$logs/client-guest.log")"
		fi
		[ "$cmd" = quit ] && quit_sent=1
		;;
	esac
done < <(tail -n +1 -s 0.1 -F --pid=$bed "build/vm/runs/passthru-qemu/tap.log" 2>/dev/null)
wait_exit $bed 5
bed_rc=$?
t_guest=$((SECONDS - t_guest))
cat "$tmp/tap"
if [ $bed_rc != 0 ]; then
	not_ok "the guest run passed (tests/vm/bed exit $bed_rc)" "$(tail_of "$logs/bed.err" 30)" \
		"client log:" "$(tail_of "$logs/client-guest.log" 30)" \
		"QEMU:" "$(tail_of build/vm/runs/passthru-qemu/qemu.out 20)"
fi
if [ $quit_sent = 1 ]; then
	wait_exit $cpid 10
	rc=$?
	if [ $rc = 0 ]; then
		ok "the client exits 0 after the guest's 'quit'"
	else
		not_ok "the client exits 0 after the guest's 'quit'" "exit $rc" "$(tail_of "$logs/client-guest.log")"
	fi
else
	kill $cpid 2>/dev/null
	wait_exit $cpid 5 >/dev/null
fi
n=$(grep -c '^ccid-vscclient: .*error' "$logs/client-guest.log")
if [ "$n" = 0 ] && grep -q "reader 'Test' added" "$logs/client-guest.log"; then
	ok "the client added its reader and logged no error during the guest run"
else
	not_ok "the client added its reader and logged no error during the guest run" \
		"$(grep -E 'error|added' "$logs/client-guest.log" | head -n 5)"
fi
echo "# passthru-qemu: guest run ${t_guest}s, total $((SECONDS - t_start))s; logs in $logs and build/vm/runs/passthru-qemu/"
[ $fails = 0 ]
