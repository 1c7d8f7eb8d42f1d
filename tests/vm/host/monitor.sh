# SPDX-License-Identifier: GPL-2.0-or-later
# The bed's monitor route (tests/vm/README.md "The monitor route"): a guest
# script drives QEMU's monitor with bed_monitor (lib.sh), tests/vm/monitor
# on the build machine runs the HMP command through QMP and answers on the
# ack channel. Shown: a reply comes back; an error is an error; device_del
# of QEMU's usb-ccid takes it off the guest's UHCI bus and device_add puts
# it back (seen in sysfs); between commands no process holds the ack
# channel (bed_monitor opens it for each command, so nothing a script
# starts inherits it); each checker proven able to fail. ~10 s of VM.
# bed: --timeout 120 --qemu-arg -device --qemu-arg piix3-usb-uhci,id=uhci --qemu-arg -device --qemu-arg usb-ccid,bus=uhci.0,id=ccid0

# QEMU's usb-ccid (08e6:4433) on the guest's UHCI bus
ccid_on_bus() { grep -lx 08e6 /sys/bus/usb/devices/*/idVendor >/dev/null 2>&1; }
ccid_off_bus() { ! ccid_on_bus; }
usb_lists() { bed_monitor "info usb" >/tmp/mon.out && cat /tmp/mon.out && grep -q "CCID, ID: $1\$" /tmp/mon.out; } # ID
# No process has the ack channel open (ls -l /proc/PID/fd: "N -> DEV").
ack_free() { ! ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -q " -> $BED_ACK\$"; }
ack_held_here() { ack_free 4<"$BED_ACK"; }
version_reply() { bed_monitor "info version" >/tmp/mon.out && cat /tmp/mon.out && grep -q '^7\.\|^[0-9][0-9]*\.[0-9]' /tmp/mon.out; }

check "monitor: uhci-hcd loads" bed_modprobe uhci-hcd
check "monitor: QEMU's usb-ccid is on the guest's USB bus" wait_for 10 ccid_on_bus
check "monitor: 'info version' comes back with QEMU's version" version_reply
check "monitor: ... a command QEMU refuses is an error (device_del of no such device)" fails bed_monitor "device_del nosuch"
t0=$(now_ms)
check "monitor: device_del ccid0 is carried out (DEVICE_DELETED came)" bed_monitor "device_del ccid0"
check "monitor: ... and the guest sees the reader leave its bus" wait_for 10 ccid_off_bus
diag "monitor: device_del to gone from the guest's bus: $(($(now_ms) - t0)) ms"
check "monitor: ... deleting it again is an error" fails bed_monitor "device_del ccid0"
check "monitor: ... the bus checker fails while the reader is away" fails ccid_on_bus
t0=$(now_ms)
check "monitor: device_add usb-ccid puts a reader back" bed_monitor "device_add usb-ccid,bus=uhci.0,id=ccid1"
check "monitor: ... and the guest enumerates it" wait_for 10 ccid_on_bus
diag "monitor: device_add to on the guest's bus: $(($(now_ms) - t0)) ms"
check "monitor: 'info usb' names the new reader" usb_lists ccid1
check "monitor: ... and not the deleted one" fails usb_lists ccid0
check "monitor: between commands no process holds the ack channel ($BED_ACK)" ack_free
check "monitor: ... (self-test) the check fails while this shell holds it" fails ack_held_here
