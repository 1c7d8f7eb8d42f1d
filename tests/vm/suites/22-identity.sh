# SPDX-License-Identifier: GPL-2.0-or-later
# A neutral USB identity end to end (README: "USB identity"): the daemon
# with --vid 1209 --pid 0001 (pid.codes' test PID) instead of QEMU's
# 08e6:4433 (Gemalto's, which a vendor driver on Windows may claim). The
# host enumerates that identity; pcscd + libccid do not drive it while
# libccid's Info.plist does not list it (bed trap 1: no class-driver
# fallback), and drive it once the plist has an entry added the way a
# user adds one (a VID, a PID and a name at the same index of the three
# arrays ifdVendorID / ifdProductID / ifdFriendlyName; bed trap 2: the
# bundle's Info.plist is the real file here).
# bed: --timeout 240

G=identity
VID=1209
PID=0001
NAME="ccid-gadget test identity"
PLIST=/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist

# Prepend VID, PID and NAME to the three parallel arrays.
plist_add() { # VID PID NAME
	awk -v v="0x$1" -v p="0x$2" -v n="$3" '
		/<key>ifdVendorID<\/key>/ { k = v }
		/<key>ifdProductID<\/key>/ { k = p }
		/<key>ifdFriendlyName<\/key>/ { k = n }
		{ print }
		/<array>/ && k != "" { print "\t\t<string>" k "</string>"; k = "" }
	' "$PLIST" >/tmp/Info.plist && cp /tmp/Info.plist "$PLIST"
}
plist_has() { # VID PID NAME: the three at the same index
	awk -v v="0x$1" -v p="0x$2" -v n="$3" '
		/<key>ifdVendorID<\/key>/ { k = "v"; i = 0; next }
		/<key>ifdProductID<\/key>/ { k = "p"; i = 0; next }
		/<key>ifdFriendlyName<\/key>/ { k = "n"; i = 0; next }
		/<\/array>/ { k = "" }
		k != "" && /<string>/ {
			s = $0; sub(/.*<string>/, "", s); sub(/<\/string>.*/, "", s)
			a[k, i++] = s
		}
		END {
			for (j = 0; (("v", j) in a); j++)
				if (tolower(a["v", j]) == tolower(v) && tolower(a["p", j]) == tolower(p) && a["n", j] == n)
					exit 0
			exit 1
		}' "$PLIST"
}
host_ids() { # VID PID: the host enumerated this identity
	local d
	d=$(host_dev) || return 1
	echo "host: $(cat "$d/idVendor"):$(cat "$d/idProduct") $(cat "$d/product" 2>/dev/null)"
	[ "$(cat "$d/idVendor")" = "$1" ] && [ "$(cat "$d/idProduct")" = "$2" ]
}
# The descriptors as the host read them: what configfs/cfs_gadget.c writes
# (MaxPower; bcdUSB too, but on dummy_hcd at high speed the kernel's
# composite layer reports 2.00 whatever was written) and what it leaves to
# a new gadget's defaults (class per interface, bus powered; ep0's 64
# bytes at high speed come from the UDC).
host_desc() {
	local d got
	d=$(host_dev) || return 1
	got=$(cd "$d" && echo $(cat version bDeviceClass bDeviceSubClass \
		bDeviceProtocol bMaxPacketSize0 bmAttributes bMaxPower))
	echo "host: $got"
	[ "$got" = "2.00 00 00 00 64 80 100mA" ]
}
no_reader() { ! pcsc_client --wait-reader 5 --list --expect-readers 1 >/dev/null 2>&1; }

check "$G: modules load" usb_load high
check "$G: systemd-udevd starts" udevd_start
plist_lacks() { ! plist_has "$@"; }
check "$G: the stock Info.plist does not list $VID:$PID" plist_lacks $VID $PID "$NAME"
check "$G: daemon with --vid $VID --pid $PID starts, host enumerates it" \
	gadget_start --card test --vid $VID --pid $PID
check "$G: the host sees idVendor $VID, idProduct $PID" host_ids $VID $PID
check "$G: USB 2.00, class 00 00 00, ep0 64, bus powered (80), 100 mA" host_desc
check "$G: pcscd starts" pcscd_start
check "$G: without a plist entry libccid does not drive it (bed trap 1)" no_reader
pcscd_stop
check "$G: an Info.plist entry added as a user would" plist_add $VID $PID "$NAME"
check "$G: ... at the same index in the three arrays" plist_has $VID $PID "$NAME"
if plist_has $VID 0002 "$NAME"; then
	not_ok "$G: self-test: plist_has finds $VID:0002, never added" "the check cannot fail"
else
	ok "$G: self-test: plist_has does not find $VID:0002, never added"
fi
check "$G: pcscd starts again" pcscd_start
check "$G: with the entry, libccid drives the reader under its name" \
	sh -c "pcsc_client --wait-reader 10 --list --expect-readers 1 | grep -q '$NAME'"
check "$G: ATR and an APDU through it" \
	pcsc_client --wait-card 10 --atr --echo 16
pcscd_stop
check "$G: daemon exits 0 on SIGTERM" gadget_stop
