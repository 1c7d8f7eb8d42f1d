#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/board-setup against fake root trees (BOARD_ROOT): the dwc2
# overlay added once, under this model's own filter, in the right config.txt
# (Bookworm's /boot/firmware or the older /boot); the stock config.txt files
# of Raspberry Pi OS (Bookworm, Trixie) and Debian's raspi images
# (tests/sh/board-setup/, README there) read section by section for a Zero,
# Zero W, Zero 2 W, 3, 4, 5, CM4 and CM5, other models' lines never touched;
# --check changes nothing, and every missing piece is named with its fix.
# (The VM bed runs it for real on a non-Pi kernel: tests/vm/suites/board.sh.)
set -uo pipefail
cd "$(dirname "$0")/../.."
bs=$PWD/scripts/board-setup
fx=$PWD/tests/sh/board-setup
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
t "--check on a Pi Zero without the overlay: names the lines to add, exit 1" \
	eval '[ $rc = 1 ] && has "MISSING  /boot/firmware/config.txt: no dtoverlay=dwc2 for this model; add at the end: \[pi0\], then .dtoverlay=dwc2., then \[all\]"'
t "--check changes nothing" eval '! grep -q dwc2 "$r/boot/firmware/config.txt" && ! [ -e "$r/etc/modules-load.d/ccid-gadget.conf" ]'
run "$r"
t "fix: dtoverlay=dwc2 added to /boot/firmware/config.txt under [pi0], closed by [all], reboot asked (exit 3)" \
	eval '[ $rc = 3 ] && has "fixed    /boot/firmware/config.txt: added .dtoverlay=dwc2. under \[pi0\]" && [ "$(tail -n 3 "$r/boot/firmware/config.txt" | tr "\n" " ")" = "[pi0] dtoverlay=dwc2 [all] " ]'
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
	eval '[ $rc = 1 ] && has "MISSING  /boot/config.txt: line 1 (before any filter): dtoverlay=dwc2,dr_mode=host puts the port in host mode: make it dtoverlay=dwc2 " && has "USB-C"'

r=$(tree "Raspberry Pi Zero 2 W Rev 1.0")
mkdir -p "$r/boot/firmware"
printf '[all]\ndtoverlay=dwc2\n' >"$r/boot/firmware/config.txt"
run "$r" --check
t "Pi with the overlay but no UDC: says reboot / modprobe dwc2" \
	eval '[ $rc = 1 ] && has "MISSING  UDC: /sys/class/udc is empty; with the dwc2 overlay in config.txt, reboot"'

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

# ---- the stock config.txt files (tests/sh/board-setup/README.md) ----------------
ZERO="Raspberry Pi Zero Rev 1.3" ZEROW="Raspberry Pi Zero W Rev 1.1"
ZERO2="Raspberry Pi Zero 2 W Rev 1.0" PI3B="Raspberry Pi 3 Model B Plus Rev 1.3"
PI3A="Raspberry Pi 3 Model A Plus Rev 1.0" PI4="Raspberry Pi 4 Model B Rev 1.5"
PI5="Raspberry Pi 5 Model B Rev 1.0" CM4="Raspberry Pi Compute Module 4 Rev 1.1"
CM5="Raspberry Pi Compute Module 5 Rev 1.0"
ALL_MODELS=("$ZERO" "$ZEROW" "$ZERO2" "$PI3B" "$PI3A" "$PI4" "$PI5" "$CM4" "$CM5")

stock() { # FIXTURE MODEL [DR_MODE]: a board booted on that stock config.txt
	local r
	r=$(tree "$2")
	mkdir -p "$r/boot/firmware"
	cp "$fx/$1" "$r/boot/firmware/config.txt"
	if [ -n "${3:-}" ]; then
		mkdir -p "$r/proc/device-tree/soc/usb@7e980000" "$r/etc/default"
		printf '%s\0' "$3" >"$r/proc/device-tree/soc/usb@7e980000/dr_mode"
		echo 'ROOTPART=LABEL=RASPIROOT' >"$r/etc/default/raspi-firmware"
	fi
	echo "$r"
}
cfg_verdict() { # ROOT MODEL: board-setup --check's config.txt lines, notes left out
	BOARD_ROOT=$1 "$bs" --check --model "$2" 2>&1 | grep -E '^(ok|MISSING) +(/boot|this model|board-setup does not)'
}
# the appended text is exactly the block for this model, the stock text before
# it is unchanged byte for byte
appended_only() { # ROOT FIXTURE FILTER OVERLAY
	local f=$1/boot/firmware/config.txt n
	n=$(wc -c <"$fx/$2")
	cmp -s -n "$n" "$f" "$fx/$2" &&
		[ "$(tail -c +$((n + 1)) "$f" | grep -v '^#' | grep -v '^$' | tr '\n' ' ')" = "[$3] $4 [all] " ]
}
# a model that needs another line than MODEL judges the file as it did the
# stock one: the block reached no other model
others_unmoved() { # ROOT FIXTURE MODEL...
	local r=$1 stockroot m
	stockroot=$(mktemp -d "$tmp/stock.XXXXXX")
	mkdir -p "$stockroot/boot/firmware"
	cp "$fx/$2" "$stockroot/boot/firmware/config.txt"
	shift 2
	for m in "$@"; do
		[ "$(cfg_verdict "$r" "$m")" = "$(cfg_verdict "$stockroot" "$m")" ] ||
			{ echo "changed for $m: $(cfg_verdict "$r" "$m")"; return 1; }
	done
}

for f in config-rpios-bookworm.txt config-rpios-trixie.txt; do
	rel=${f#config-rpios-}
	rel=${rel%.txt}
	while IFS='|' read -r model filter overlay others; do
		name=${model%% Rev*}
		r=$(stock "$f" "$model")
		run "$r" --check
		t "$rel stock, $name, --check: the [cm4]/[cm5] lines named as other models' and left, the $filter line asked for (exit 1)" \
			eval '[ $rc = 1 ] && has "lines for other models, left as they are: line 43 \[cm4\] otg_mode=1; line 46 \[cm5\] dtoverlay=dwc2,dr_mode=host" && has "MISSING  /boot/firmware/config.txt: no dtoverlay=dwc2 for this model; add at the end: \[$filter\], then .$overlay." && cmp -s "$fx/$f" "$r/boot/firmware/config.txt"'
		run "$r"
		t "$rel stock, $name: '$overlay' appended under [$filter] (no extra [all] before it: the file ends in [all]), the stock text untouched, exit 3" \
			eval '[ $rc = 3 ] && appended_only "$r" "$f" "$filter" "$overlay" && [ "$(grep -c "^\[all\]" "$r/boot/firmware/config.txt")" = $(($(grep -c "^\[all\]" "$fx/$f") + 1)) ]'
		IFS=, read -ra other_list <<<"$others"
		t "$rel stock, $name: every model needing another line reads the file as before (${#other_list[@]} models)" \
			others_unmoved "$r" "$f" "${other_list[@]}"
		mkdir -p "$r/sys/class/udc/after-reboot.usb"
		run "$r"
		t "$rel stock, $name, second run: the overlay ok, nothing appended again, ready (exit 0)" \
			eval '[ $rc = 0 ] && has "ok       /boot/firmware/config.txt: $overlay (line [0-9]* \[$filter\])" && [ "$(grep -c "^$overlay\$" "$r/boot/firmware/config.txt")" = 1 ]'
	done <<-EOT
	$ZEROW|pi0|dtoverlay=dwc2|$PI3B,$PI3A,$PI4,$PI5,$CM4,$CM5
	$ZERO2|pi0|dtoverlay=dwc2|$PI3B,$PI3A,$PI4,$PI5,$CM4,$CM5
	$PI3A|board-type=0x0e|dtoverlay=dwc2|$ZERO,$ZEROW,$ZERO2,$PI3B,$PI4,$PI5,$CM4,$CM5
	$PI4|board-type=0x11|dtoverlay=dwc2|$ZERO,$ZEROW,$ZERO2,$PI3B,$PI3A,$PI5,$CM4,$CM5
	$PI5|board-type=0x17|dtoverlay=dwc2,dr_mode=peripheral|$ZERO,$ZEROW,$ZERO2,$PI3B,$PI3A,$PI4,$CM4,$CM5
	EOT

	r=$(stock "$f" "$ZERO")
	run "$r"
	t "$rel stock, Pi Zero: the same [pi0] block, and the Zero W and Zero 2 W (which read [pi0]) now ok too" \
		eval '[ $rc = 3 ] && appended_only "$r" "$f" pi0 dtoverlay=dwc2 && grep -q "^ok .*dtoverlay=dwc2 (line [0-9]* \[pi0\])" <<<"$(cfg_verdict "$r" "$ZERO2")"'

	r=$(stock "$f" "$PI3B")
	run "$r"
	t "$rel stock, Pi 3 B+: no device port, said so; config.txt untouched (exit 1)" \
		eval '[ $rc = 1 ] && has "MISSING  this model has no USB device port" && cmp -s "$fx/$f" "$r/boot/firmware/config.txt" && ! has "dwc2 overlay in config.txt"'

	r=$(stock "$f" "$CM5")
	run "$r"
	t "$rel stock, CM5: its own [cm5] dr_mode=host line named with the fix, not edited (exit 1)" \
		eval '[ $rc = 1 ] && has "MISSING  /boot/firmware/config.txt: line 46 \[cm5\]: dtoverlay=dwc2,dr_mode=host puts the port in host mode: make it dtoverlay=dwc2,dr_mode=peripheral" && cmp -s "$fx/$f" "$r/boot/firmware/config.txt"'

	r=$(stock "$f" "$CM4")
	run "$r"
	t "$rel stock, CM4: its own [cm4] otg_mode=1 named, no overlay added for a carrier board it cannot see (exit 1)" \
		eval '[ $rc = 1 ] && has "MISSING  /boot/firmware/config.txt: line 43 \[cm4\]: otg_mode=1 routes the USB 2 port to the XHCI host" && has "MISSING  /boot/firmware/config.txt: no dtoverlay=dwc2 for this Compute Module" && cmp -s "$fx/$f" "$r/boot/firmware/config.txt"'
done

# Debian's raspi images: generated config.txt, upstream device tree
while IFS='|' read -r f model dr; do
	name=${model%% Rev*}
	r=$(stock "$f" "$model" "$dr")
	mkdir "$r/sys/class/udc/x.usb"
	run "$r"
	t "Debian ${f#config-debian-}, $name, device tree dr_mode=$dr: ok without an overlay, the generated config.txt not edited, ready (exit 0)" \
		eval '[ $rc = 0 ] && has "ok       /boot/firmware/config.txt: generated by Debian.s raspi-firmware" && has "ok       device tree: the dwc2 controller is in $dr mode" && cmp -s "$fx/$f" "$r/boot/firmware/config.txt" && ! [ -e "$r/etc/default/raspi-firmware-custom" ]'
done <<-EOT
config-debian-bookworm-rpi.txt|$ZERO|otg
config-debian-bookworm-rpi.txt|$ZEROW|otg
config-debian-bookworm-arm64.txt|$ZERO2|otg
config-debian-bookworm-arm64.txt|$PI4|peripheral
EOT
r=$(stock config-debian-bookworm-arm64.txt "$ZERO2" host)
run "$r" --check
t "Debian, a device tree with dr_mode=host: MISSING (exit 1)" \
	eval '[ $rc = 1 ] && has "MISSING  device tree: the dwc2 controller is in host mode"'
r=$(stock config-debian-bookworm-arm64.txt "Raspberry Pi 3 Model B Rev 1.2" host)
run "$r" --check
t "Debian, Pi 3 B: no device port" eval '[ $rc = 1 ] && has "MISSING  this model has no USB device port"'

# ---- filter rules on hand-made files --------------------------------------------
r=$(tree "$ZEROW" udc)
mkdir -p "$r/boot/firmware"
printf 'arm_boost=1\n[pi4]\ndtoverlay=dwc2\n[gpio4=1]\n[pi0]\ndtoverlay=dwc2\n[none]\ndtoverlay=dwc2\n' >"$r/boot/firmware/config.txt"
run "$r" --check
t "an overlay under [pi4], under [pi0] with a GPIO filter still on, under [none]: none counts; each named" \
	eval '[ $rc = 1 ] && has "lines for other models, left as they are: line 3 \[pi4\] dtoverlay=dwc2; line 8 \[none\] dtoverlay=dwc2" && has "not counted: line 6 \[pi0\] dtoverlay=dwc2" && has "MISSING  /boot/firmware/config.txt: no dtoverlay=dwc2 for this model"'
run "$r"
t "a file ending under a filter: the block opens with [all] first" \
	eval '[ $rc = 3 ] && [ "$(tail -n 4 "$r/boot/firmware/config.txt" | tr "\n" " ")" = "[all] [pi0] dtoverlay=dwc2 [all] " ]'
printf '[pi0w]\ndtoverlay=dwc2\n[all]\n' >"$r/boot/firmware/config.txt"
run "$r" --check
t "[pi0w] is read by the Zero W, not by the Zero" \
	eval '[ $rc = 0 ] && has "ok       /boot/firmware/config.txt: dtoverlay=dwc2 (line 2 \[pi0w\])" && grep -q "^MISSING" <<<"$(cfg_verdict "$r" "$ZERO")"'
printf '[pi5]\ndtoverlay=dwc2\n[all]\n' >"$r/boot/firmware/config.txt"
run "$r" --check --model "$PI5"
t "--model overrides the device tree; a Pi 5 with plain dtoverlay=dwc2: ok, with the peripheral hint" \
	eval '[ $rc = 0 ] && has "ok       board: $PI5" && has "ok       /boot/firmware/config.txt: dtoverlay=dwc2 (line 2 \[pi5\])" && has "make it dtoverlay=dwc2,dr_mode=peripheral"'
printf '[all]\ndtoverlay=dwc2\n[cm4]\notg_mode=1\n[pi4]\notg_mode=1\n' >"$r/boot/firmware/config.txt"
run "$r" --check --model "$PI4"
t "a Pi 4 reads [pi4] (its otg_mode=1 named) but not [cm4]" \
	eval '[ $rc = 1 ] && has "MISSING  /boot/firmware/config.txt: line 6 \[pi4\]: otg_mode=1" && ! has "line 4 \[cm4\]: otg_mode"'
run "$r" --model
t "--model without a name: exit 2" eval '[ $rc = 2 ]'

# ---- the checkers above can fail ----------------------------------------------
r=$(stock config-rpios-bookworm.txt "$PI4")
printf '[pi4]\ndtoverlay=dwc2\n[all]\n' >>"$r/boot/firmware/config.txt"
t "checker: others_unmoved catches a [pi4] block (the CM4 reads it)" \
	eval '! others_unmoved "$r" config-rpios-bookworm.txt "$CM5" "$CM4" >/dev/null'
sed -i 's/^otg_mode=1/#otg_mode=1/' "$r/boot/firmware/config.txt"
t "checker: appended_only catches an edit to a stock line" \
	eval '! appended_only "$r" config-rpios-bookworm.txt pi4 dtoverlay=dwc2'
run "$r" --help
t "--help: the header comment, from its first line to its last, exit 0" \
	eval '[ $rc = 0 ] && [ "$(head -n 1 <<<"$out")" = "Make this board'"'"'s USB device controller usable by ccid-gadget, or say" ] && [ "$(tail -n 1 <<<"$out")" = "and no mount then)." ]'
r=$(stock config-rpios-bookworm.txt "$ZEROW")
mkdir -p "$r/etc/default" && echo '# raspi-firmware' >"$r/etc/default/raspi-firmware"
run "$r"
t "Raspberry Pi OS with an /etc/default/raspi-firmware: still its own config.txt, the [pi0] block added" \
	eval '[ $rc = 3 ] && appended_only "$r" config-rpios-bookworm.txt pi0 dtoverlay=dwc2 && ! has "generated by Debian"'
