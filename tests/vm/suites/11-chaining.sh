# SPDX-License-Identifier: GPL-2.0-or-later
# Extended APDUs larger than the reader's message buffer: with
# --max-message lowered, libccid must chain the command (PC_to_RDR_XfrBlock
# wLevelParameter) and the reader the response (RDR_to_PC_DataBlock
# bChainParameter), CCID 1.1 Section 6.1.4. --max-message 1024 makes every
# full chain block exactly 1024 bytes: a multiple of the bulk packet size at
# every speed, so blocks end without a short packet in both directions.
# bed: --timeout 300

speed_of() { [ "$(cat "$(host_dev)/speed" 2>/dev/null)" = "$1" ]; }

if ! command -v ccid-gadget >/dev/null; then
	not_ok "chaining: build/ccid-gadget is in the image" "run make first"
	exit 1
fi
# libccid's COMM log (every CCID message in hex) shows the chain blocks;
# it is big and slow, so pcscd runs with it only for --max-message 271.
HX='( [0-9A-F]{2})'
# PC_to_RDR_XfrBlock: 6F dwLength(4) bSlot bSeq bBWI wLevelParameter
cmd_chained() { grep -Eq -- "-> 000000 6F$HX{7} 01 00" /tmp/pcscd.log &&
	grep -Eq -- "-> 000000 6F$HX{7} 02 00" /tmp/pcscd.log; }
# RDR_to_PC_DataBlock: 80 dwLength(4) bSlot bSeq bStatus bError bChainParameter
rsp_chained() { grep -Eq -- "<- 000000 80$HX{8} 01" /tmp/pcscd.log &&
	grep -Eq -- "<- 000000 80$HX{8} 02" /tmp/pcscd.log &&
	grep -Eq -- "-> 000000 6F$HX{7} 10 00" /tmp/pcscd.log; }

check "chaining: modules load" usb_load full
check "chaining: systemd-udevd starts" udevd_start
check "chaining: pcscd starts" pcscd_start

run_chaining() { # SPEED MAXMSG [comm-log]
	local speed=$1 max=$2 t="$1, --max-message $2"
	check "$t: daemon starts, host enumerates it" gadget_start --card test --max-message $max
	check "$t: descriptor says dwMaxCCIDMessageLength $max" \
		check_descriptors --speed $speed --max-message $max "$(host_dev)/descriptors"
	if [ "$3" = comm-log ]; then
		# one chained exchange each way with the COMM log on, then back
		pcscd_stop
		: >/tmp/pcscd.log
		export LIBCCID_ifdLogLevel=0x0005
		check "$t: pcscd restarts with libccid's COMM log" pcscd_start
		unset LIBCCID_ifdLogLevel
		check "$t: ECHO 1000 and GENERATE 600 with the COMM log on" \
			pcsc_client -q --wait-reader 10 --wait-card 10 --echo 1000 --generate 600
		check "$t: libccid sent chained XfrBlocks (wLevelParameter 1, 2)" cmd_chained
		check "$t: reader sent chained DataBlocks (bChainParameter 1, 2; host 0x10)" rsp_chained
		pcscd_stop
		check "$t: pcscd restarts without the COMM log" pcscd_start
	fi
	check "$t: short APDUs still round-trip" \
		pcsc_client --wait-reader 10 --wait-card 10 --echo 1 --echo 200 --generate 256
	check "$t: chained command: ECHO 1000 and 4096 bytes" \
		pcsc_client -q --echo 1000 --echo 4096
	check "$t: chained command and response: ECHO 61440 and 65535 bytes" \
		pcsc_client -q --echo 61440 --echo 65535
	check "$t: chained response: GENERATE 4096 and 65536 bytes" \
		pcsc_client -q --generate 4096 --generate 65536
	check "$t: 20 chained ECHO 8192 in one connection" \
		pcsc_client -q --repeat 20 --echo 8192
	pcscd_mark=$(pcscd_log_mark)
	check "$t: daemon exits 0 on SIGTERM" gadget_stop
	check "$t: pcscd drops the reader" pcscd_drops_reader $pcscd_mark
}

run_chaining full 1024
check "chaining: dummy_hcd reloads at high speed" usb_set_speed high
run_chaining high 1024
run_chaining high 271 comm-log
check "chaining: dummy_hcd reloads at super speed" usb_set_speed super
run_chaining super 1024
