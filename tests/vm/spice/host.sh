#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# passthru spice= through real USB with a SPICE client nobody here wrote:
# the daemon in the dummy_hcd VM (tests/vm/spice/guest.sh), Debian's
# remote-viewer on this machine under Xvfb lending the fake card's three
# certificates (build/cards/nopin), connected through QEMU user-net
# (hostfwd 127.0.0.1:PORT -> the VM's 10.0.2.15:5930, an e1000 NIC). The
# guest asks for each client action with a "# spice-host: ACTION" line:
#   start   remote-viewer connects      stop    every viewer is closed
#   remove  its shift+F9 hotkey         insert  its shift+F8 hotkey
#   second  a second remote-viewer      garbage an HTTP request to the port
#   start-wrong-ticket, start-ticket    with ?password= (wrong, right)
#   start-tls                           TLS only, checking the CA
# The hotkeys are typed by xdotool into its window on its Xvfb.
# Logs: build/vm/runs/spice/ (the VM's), build/vm/runs/spice-host/.
set -uo pipefail
cd "$(dirname "$0")/../../.." || exit 1
top=$PWD
logs=$top/build/vm/runs/spice-host
rm -rf "$logs"
mkdir -p "$logs"

for t in remote-viewer xvfb-run xdotool qemu-system-x86_64; do
	command -v $t >/dev/null || { echo "not ok - spice-vm: $t is installed (scripts/deps/cards.txt, vm.txt)"; exit 1; }
done
[ -f build/ccid-gadget-spice.so ] || { echo "not ok - spice-vm: build/ccid-gadget-spice.so is built (libspice-server-dev)"; exit 1; }
tests/vm/cards/make-dbs || { echo "not ok - spice-vm: tests/vm/cards/make-dbs"; exit 1; }
ko=$(find build/vm/kernel/root/lib/modules -name e1000.ko | head -n 1)
[ -n "$ko" ] || { echo "not ok - spice-vm: e1000.ko in build/vm (tests/vm/fetch-kernel)"; exit 1; }
[ -f build/tls/server/server-key.pem ] || scripts/make-tls-certs build/tls >/dev/null ||
	{ echo "not ok - spice-vm: scripts/make-tls-certs build/tls"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
tport=$(free_port)

viewers=()
viewer_start() { # URI [ARG...]
	local env=$logs/viewer.env uri=$1
	shift
	[ ${#viewers[@]} = 0 ] || env=$logs/viewer-second.env
	rm -f "$env"
	setsid xvfb-run -a -s '-screen 0 800x600x24' sh -c "echo \"\$DISPLAY \$XAUTHORITY\" >$env; exec remote-viewer --spice-smartcard --spice-smartcard-db=sql:$top/build/cards/nopin --spice-smartcard-certificates=id-cert,signing-cert,encryption-cert $* '$uri'" \
		>>"$logs/remote-viewer.log" 2>&1 &
	viewers+=($!)
}
viewer_stop() {
	local v
	for v in "${viewers[@]+"${viewers[@]}"}"; do
		kill -TERM -- -"$v" 2>/dev/null
		wait "$v" 2>/dev/null
	done
	viewers=()
}
garbage() {
	exec 5<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET / HTTP/1.0\r\n\r\n' >&5
	timeout 10 cat <&5 >/dev/null
	exec 5<&-
}
viewer_key() {
	local d x
	read -r d x <"$logs/viewer.env" || return 1
	DISPLAY=$d XAUTHORITY=$x timeout 10 xdotool search --sync --onlyvisible --class remote-viewer \
		windowfocus key --clearmodifiers "$1" >>"$logs/xdotool.log" 2>&1
}
trap viewer_stop EXIT

# The guest's requests are read from the VM's TAP channel file as they
# come (the bed's own stdout is a pipe through tr: block-buffered).
run=$top/build/vm/runs/spice
rm -rf "$run"
tests/vm/bed run tests/vm/spice/guest.sh --name spice --timeout 600 \
	--add build/ccid-gadget-spice.so:/bed/bin/ccid-gadget-spice.so \
	--add "$ko:/bed/e1000.ko" --add build/cards/nopin:/cards/nopin \
	--add /usr/bin/openssl:/usr/bin/openssl --add build/tls:/tls \
	--qemu-arg -netdev \
	--qemu-arg "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-10.0.2.15:5930,hostfwd=tcp:127.0.0.1:$tport-10.0.2.15:5931" \
	--qemu-arg -device --qemu-arg e1000,netdev=n0 >"$logs/bed.out" 2>&1 &
bed=$!
while IFS= read -r line; do
	case "$line" in
	*"# spice-host: start") viewer_start "spice://127.0.0.1:$port" ;;
	*"# spice-host: second") viewer_start "spice://127.0.0.1:$port" ;;
	*"# spice-host: start-wrong-ticket") viewer_start "spice://127.0.0.1:$port?password=wrong" ;;
	*"# spice-host: start-ticket") viewer_start "spice://127.0.0.1:$port?password=s3cret-ticket" ;;
	*"# spice-host: start-tls") viewer_start "spice://localhost?tls-port=$tport" \
		"--spice-ca-file=$top/build/tls/server/ca-cert.pem" ;;
	*"# spice-host: garbage") garbage || echo "# spice-vm: cannot reach the port" ;;
	*"# spice-host: stop") viewer_stop ;;
	*"# spice-host: remove") viewer_key shift+F9 || echo "# spice-vm: xdotool failed" ;;
	*"# spice-host: insert") viewer_key shift+F8 || echo "# spice-vm: xdotool failed" ;;
	esac
done < <(tail -n +1 -F --pid=$bed "$run/tap.log" 2>/dev/null | sed -u -n 's/\r$//; s/^@@TAP //p')
wait $bed
rc=$?
cat "$logs/bed.out"
exit "$rc"
