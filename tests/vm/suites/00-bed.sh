# SPDX-License-Identifier: GPL-2.0-or-later
# The bed itself, without our daemon: modules load, the UDC appears, the PC
# side's pcscd starts, and a kernel gadget function (f_acm, configured by
# hand in configfs) enumerates on the host side at full, high and super
# speed and carries bytes host -> gadget. If this fails, every other suite's
# result means nothing.

G=/sys/kernel/config/usb_gadget/bedacm

acm_up() {
	mkdir -p $G/strings/0x409 $G/configs/c.1/strings/0x409 $G/functions/acm.gs0 || return 1
	echo 0x1d6b >$G/idVendor      # Linux Foundation
	echo 0x0104 >$G/idProduct     # Multifunction Composite Gadget
	echo bed >$G/strings/0x409/manufacturer
	echo "bed acm" >$G/strings/0x409/product
	echo 0001 >$G/strings/0x409/serialnumber
	echo acm >$G/configs/c.1/strings/0x409/configuration
	ln -s $G/functions/acm.gs0 $G/configs/c.1/ || return 1
	echo $UDC >$G/UDC
}

acm_down() {
	echo "" >$G/UDC 2>/dev/null
	rm -f $G/configs/c.1/acm.gs0
	rmdir $G/configs/c.1/strings/0x409 $G/configs/c.1 $G/functions/acm.gs0 \
		$G/strings/0x409 $G 2>/dev/null
	! [ -e $G ]
}

speed_is() { [ "$(cat "$(host_dev)/speed" 2>/dev/null)" = "$1" ]; }

# bytes written on the host's ttyACM0 arrive on the gadget's ttyGS0
acm_carries() {
	local word=$1
	# the node can appear before cdc-acm is ready for an open: retry
	wait_for 5 stty -F /dev/ttyGS0 raw -echo || return 1
	wait_for 5 stty -F /dev/ttyACM0 raw -echo || return 1
	rm -f /tmp/rx
	cat /dev/ttyGS0 >/tmp/rx &
	local catpid=$!
	sleep 0.2
	echo "$word" >/dev/ttyACM0
	wait_for 5 grep -q "$word" /tmp/rx
	local rc=$?
	kill $catpid 2>/dev/null
	wait $catpid 2>/dev/null
	return $rc
}

check "bed: modules load (usb-common usbcore udc-core configfs libcomposite usb_f_fs dummy_hcd)" usb_load full
check "bed: /sys/class/udc/dummy_udc.0 appears" test -e /sys/class/udc/dummy_udc.0
check "bed: configfs mounted" grep -q ' /sys/kernel/config configfs' /proc/mounts
check "bed: systemd-udevd starts" udevd_start
check "bed: pcscd starts and answers SCardEstablishContext" pcscd_start
check "bed: pcsc_client lists no reader before any gadget" pcsc_client --list --expect-readers 0
bed_modprobe usb_f_acm && bed_modprobe cdc-acm
check "bed: usb_f_acm and cdc-acm load" test -d /sys/module/usb_f_acm -a -d /sys/module/cdc_acm

for speed in full high super; do
	case $speed in full) mbps=12 ;; high) mbps=480 ;; super) mbps=5000 ;; esac
	if [ $speed != full ]; then
		check "bed: dummy_hcd reloads at $speed speed" usb_set_speed $speed
	fi
	check "bed: $speed: acm gadget binds to the UDC" acm_up
	check "bed: $speed: host enumerates it, UDC configured" wait_enumerated 15
	check "bed: $speed: host sees $mbps Mbit/s" speed_is $mbps
	echo "host device $(host_dev): $(cat "$(host_dev)/idVendor"):$(cat "$(host_dev)/idProduct") speed $(cat "$(host_dev)/speed")"
	check "bed: $speed: cdc_acm binds, /dev/ttyACM0 appears" wait_for 10 test -c /dev/ttyACM0
	check "bed: $speed: bytes cross host -> gadget" acm_carries "bed-$speed-$$"
	check "bed: $speed: gadget unbinds and is removed" acm_down
	check "bed: $speed: host device goes away" wait_for 10 sh -c '! ls -d /sys/bus/usb/devices/[0-9]-1 >/dev/null 2>&1'
done
