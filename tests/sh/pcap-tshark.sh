#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The --pcap writer's output as Wireshark reads it: the unit test's capture
# (enumeration, NotifySlotChange, PowerOn/ATR, a 600-byte XfrBlock read in
# two pieces, an exact two-packet message, a cancelled IN) dissected by
# tshark: USB CCID messages, no malformed packet, no expert error. The VM
# suite (tests/vm/suites/board.sh) does the same on a real OpenSC session.
set -uo pipefail
cd "$(dirname "$0")/../.."
t=build/tests/test_pcap_writer
cap=build/test-pcap-writer.pcap
if ! command -v tshark >/dev/null; then
	echo "not ok - pcap-tshark: tshark is not installed (scripts/deps/board.txt)"
	exit 1
fi
[ -x $t ] || make -s $t >/dev/null || { echo "not ok - pcap-tshark: cannot build $t"; exit 1; }
rm -f $cap
PCAP_KEEP=$cap $t >/dev/null || { echo "not ok - pcap-tshark: $t failed"; exit 1; }
types=$(tshark -r $cap -Y usbccid -T fields -e usbccid.bMessageType 2>/dev/null | tr '\n' ' ')
if [ "$types" = "0x62 0x80 0x6f 0x80 0x6f " ]; then
	echo "ok - pcap-tshark: tshark decodes PowerOn, DataBlock, XfrBlock, DataBlock, XfrBlock as USB CCID"
else
	echo "not ok - pcap-tshark: usbccid message types '$types', want '0x62 0x80 0x6f 0x80 0x6f '"
fi
len=$(tshark -r $cap -Y 'usbccid.bMessageType == 0x6f' -T fields -e usbccid.dwLength 2>/dev/null | tr '\n' ' ')
[ "$len" = "590 1014 " ] && echo "ok - pcap-tshark: split and exact-multiple OUT messages are one URB each (dwLength 590, 1014)" ||
	echo "not ok - pcap-tshark: XfrBlock dwLength '$len', want '590 1014 '"
# (a filter tshark does not know exits 2: that must not read as "none")
if bad=$(tshark -r $cap -Y '_ws.malformed || _ws.expert.severity >= "error"' 2>/dev/null) && [ -z "$bad" ]; then
	echo "ok - pcap-tshark: no malformed packets or expert errors"
else
	echo "not ok - pcap-tshark: malformed or expert-error packets (or tshark failed)"
	sed 's/^/# /' <<<"$bad"
fi
class=$(tshark -r $cap -Y 'usb.bInterfaceClass' -T fields -e usb.bInterfaceClass 2>/dev/null | head -n 1)
[ "$class" = 0x0b ] && echo "ok - pcap-tshark: the configuration descriptor names interface class 0x0b (smart card)" ||
	echo "not ok - pcap-tshark: bInterfaceClass '$class', want 0x0b"
