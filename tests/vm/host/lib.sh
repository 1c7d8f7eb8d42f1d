# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers the host-mode scripts share (tests/vm/host/reader.sh, lend.sh),
# sourced after tests/vm/lib.sh and p11.sh; each script's "# bed:" line
# adds it as /host/lib.sh. busybox sh.
#
# The gadget on the PC's side, by its serial ($SERIAL, the daemon's
# --serial; or the first argument): these beds also have QEMU's usb-ccid
# on the UHCI bus (2-1), which lib.sh's host_dev and wait_enumerated take
# for the gadget, so a check with them passes even when the gadget never
# enumerates.
#   gadget_on_host [SERIAL]    UDC configured and a device with that serial
#   gadget_off_host [SERIAL]   no device with that serial
gadget_on_host() { [ "$(udc_state)" = configured ] && grep -qsx "${1:-$SERIAL}" /sys/bus/usb/devices/*/serial; }
gadget_off_host() { ! grep -qsx "${1:-$SERIAL}" /sys/bus/usb/devices/*/serial; }
