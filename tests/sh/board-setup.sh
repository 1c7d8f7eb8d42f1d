#!/usr/bin/env bash
# scripts/board-setup against fake root trees (BOARD_ROOT): the dwc2
# overlay added once under [all] in the right config.txt (Bookworm's
# /boot/firmware or the older /boot), --check changes nothing, and every
# missing piece is named with its fix. (The VM bed runs it for real on a
# non-Pi kernel: tests/vm/suites/board.sh.)
set -uo pipefail
cd "$(dirname "$0")/../.."
bs=$PWD/scripts/board-setup
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tree() { # MODEL [udc] [nofs]: a board whose kernel has everything unless told
	local r
	r=$(mktemp -d "$tmp/root.XXXXXX")   # (runs in $(...): no counter)
	mkdir -p "$r/proc/device-tree" "$r/sys/class/udc" "$r/sys/kernel/config/usb_gadget" "$r/etc"
	[ -n "$1" ] && printf '%s\0' "$1" >"$r/proc/device-tree/model"
	printf 'nodev\tconfigfs\n' >"$r/proc/filesystems"
	[ "${3:-}" = nofs ] || printf 'nodev\tfunctionfs\n' >>"$r/proc/filesystems"
	echo 'configfs /sys/kernel/config configfs rw 0 0' >"$r/proc/mounts"
	[ "${2:-}" = udc ] && mkdir "$r/sys/class/udc/20980000.usb"
	echo "$r"
}
run() { # ROOT ARGS...: output in $out, status in $rc
	out=$(BOARD_ROOT=$1 "$bs" "${@:2}" 2>&1)
	rc=$?
}
t() { # NAME CONDITION...
	local name=$1
	shift
	if "$@"; then echo "ok - board-setup: $name"; else
		echo "not ok - board-setup: $name"
		sed 's/^/# /' <<<"$out"
	fi
}
has() { grep -q -- "$1" <<<"$out"; }

r=$(tree "Raspberry Pi Zero W Rev 1.1" udc)
mkdir -p "$r/boot/firmware"
printf '[pi4]\narm_boost=1\n\n[all]\ncamera_auto_detect=1\n' >"$r/boot/firmware/config.txt"
run "$r" --check
t "--check on a Pi Zero without the overlay: names the line to add, exit 1" \
	eval '[ $rc = 1 ] && has "MISSING  /boot/firmware/config.txt: no dtoverlay=dwc2; add the line .dtoverlay=dwc2. under \[all\]"'
t "--check changes nothing" eval '! grep -q dwc2 "$r/boot/firmware/config.txt" && ! [ -e "$r/etc/modules-load.d/ccid-gadget.conf" ]'
run "$r"
t "fix: dtoverlay=dwc2 added to /boot/firmware/config.txt under [all], reboot asked (exit 3)" \
	eval '[ $rc = 3 ] && has "fixed    /boot/firmware/config.txt: added dtoverlay=dwc2" && [ "$(tail -n 1 "$r/boot/firmware/config.txt")" = dtoverlay=dwc2 ] && grep -B2 "^dtoverlay=dwc2" "$r/boot/firmware/config.txt" | grep -qx "\[all\]"'
t "fix: modules-load.d lists dwc2, libcomposite, usb_f_fs" \
	eval '[ "$(grep -v "^#" "$r/etc/modules-load.d/ccid-gadget.conf" | tr "\n" " ")" = "dwc2 libcomposite usb_f_fs " ]'
run "$r"
t "second run: nothing to change, ready (exit 0), the overlay only once" \
	eval '[ $rc = 0 ] && has "ok       /boot/firmware/config.txt: dtoverlay=dwc2" && [ "$(grep -c dtoverlay=dwc2 "$r/boot/firmware/config.txt")" = 1 ] && has "board-setup: ready"'

r=$(tree "Raspberry Pi 4 Model B Rev 1.4" udc)
mkdir -p "$r/boot"
printf 'dtoverlay=dwc2,dr_mode=host\n' >"$r/boot/config.txt"
run "$r" --check
t "older layout /boot/config.txt is used; dr_mode=host is refused with the fix" \
	eval '[ $rc = 1 ] && has "MISSING  /boot/config.txt: dtoverlay=dwc2 has dr_mode=host" && has "USB-C"'

r=$(tree "Raspberry Pi Zero 2 W Rev 1.0")
mkdir -p "$r/boot/firmware"
printf '[all]\ndtoverlay=dwc2\n' >"$r/boot/firmware/config.txt"
run "$r" --check
t "Pi with the overlay but no UDC: says reboot / modprobe dwc2" \
	eval '[ $rc = 1 ] && has "MISSING  UDC: /sys/class/udc is empty; with dtoverlay=dwc2 in config.txt, reboot"'

r=$(tree "Pine64 RockPro64" "" nofs)
run "$r" --check
t "another board without FunctionFS or UDC: both named with the kernel options" \
	eval '[ $rc = 1 ] && has "MISSING  FunctionFS: .*CONFIG_USB_CONFIGFS_F_FS" && has "MISSING  UDC: /sys/class/udc is empty; this board" && ! has dtoverlay'

r=$(tree "Raspberry Pi Zero W Rev 1.1" udc)
run "$r" --check
t "a Pi without a boot partition mounted: says so" \
	eval '[ $rc = 1 ] && has "MISSING  config.txt: neither /boot/firmware/config.txt nor /boot/config.txt"'

run "$r" --bogus
t "a bad argument: one line, exit 2" eval '[ $rc = 2 ] && [ "$(wc -l <<<"$out")" = 1 ]'

r=$(tree "Pine64 RockPro64" udc)
run "$r"
t "no ccid-gadget user: a note with the useradd line, still ready" \
	eval '[ $rc = 0 ] && has "note: no user ccid-gadget; .*useradd --system" && ! has "ok       user"'
echo 'ccid-gadget:x:990:990::/nonexistent:/usr/sbin/nologin' >"$r/etc/passwd"
run "$r"
t "the ccid-gadget user there: ok, with the config line to use it" \
	eval '[ $rc = 0 ] && has "ok       user ccid-gadget: set user = ccid-gadget" && ! has "note: no user"'
