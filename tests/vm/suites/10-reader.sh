# SPDX-License-Identifier: GPL-2.0-or-later
# The reader as a PC sees it, at full, high and super speed (one boot,
# dummy_hcd reloaded per speed): the descriptors field by field, the
# reader in pcscd + libccid, the test card's ATR, APDUs through
# pcsc_client and OpenSC's opensc-tool, messages that are exact multiples of
# the packet size in both directions (zero-length packets), extended APDUs
# up to the largest, and a clean exit.
# bed: --timeout 300

ATR=3B9A118031FE456363696467616467657498
AID=F043434944544301

have_daemon() { command -v ccid-gadget >/dev/null; }
speed_is() { [ "$(cat "$(host_dev)/speed" 2>/dev/null)" = "$1" ]; }
sysfs_is() { [ "$(cat "$(host_dev)/$1" 2>/dev/null)" = "$2" ]; }
serial_ok() {
	local s
	s=$(cat "$(host_dev)/serial" 2>/dev/null)
	echo "serial: '$s'"
	[ -n "$s" ] && [ "$s" != 0000000000000000 ]
}
gadget_gone() { ! [ -e $GADGET_CFS ] && ! grep -q functionfs /proc/mounts; }

# opensc_echo (lib.sh): opensc-tool, a client nobody here wrote
opensc_atr() {
	local want got
	want=$(echo $ATR | sed 's/../&:/g; s/:$//' | tr 'A-F' 'a-f')
	got=$(opensc-tool --reader 0 --atr 2>&1)
	echo "opensc-tool --atr: $got"
	[ "$got" = "$want" ]
}

if ! have_daemon; then
	not_ok "reader: build/ccid-gadget is in the image" "run make first"
	exit 1
fi
check "reader: modules load" usb_load full
check "reader: systemd-udevd starts" udevd_start
check "reader: pcscd starts" pcscd_start

for speed in full high super; do
	case $speed in full) mbps=12 ;; high) mbps=480 ;; super) mbps=5000 ;; esac
	[ $speed = full ] || check "$speed: dummy_hcd reloads at $speed speed" usb_set_speed $speed
	check "$speed: ccid-gadget --card test starts, host enumerates it" gadget_start --card test -v
	check "$speed: host sees the reader at $mbps Mbit/s" speed_is $mbps
	check "$speed: descriptors as the host read them match CCID 1.1 field by field" \
		check_descriptors --speed $speed "$(host_dev)/descriptors"
	if [ $speed = full ]; then
		# the checkers can fail: a wrong expectation must be caught
		check "self-test: check_descriptors flags a wrong idVendor (exit 1)" \
			sh -c "check_descriptors --speed full --vid 1234 $(host_dev)/descriptors | grep -q 'idVendor.*WRONG' &&
				{ check_descriptors --speed full --vid 1234 $(host_dev)/descriptors >/dev/null; [ \$? = 1 ]; }"
		check "self-test: check_descriptors flags the wrong speed's packet sizes (exit 1)" \
			sh -c "check_descriptors --speed high $(host_dev)/descriptors | grep -q 'bulk-in.wMaxPacketSize.*WRONG'"
		check "self-test: pcsc_client flags a wrong answer (exit 1)" \
			sh -c 'pcsc_client --wait-card 10 80EE0000021122 -e 11239000; [ $? = 1 ]'
	fi
	check "$speed: manufacturer string" sysfs_is manufacturer ccid-gadget
	check "$speed: product string" sysfs_is product "ccid-gadget CCID reader"
	check "$speed: serial number derived from /etc/machine-id" serial_ok
	check "$speed: pcscd + libccid list exactly one reader" \
		pcsc_client --wait-reader 10 --list --expect-readers 1
	# pcscd keeps a card's protocol until it is reset: unpower between.
	check "$speed: ATR of --card test through PC/SC" \
		pcsc_client --wait-card 10 --atr --expect-atr $ATR --disconnect unpower
	check "$speed: T=0 connection" pcsc_client --protocol t0 --expect-atr $ATR \
		--disconnect unpower 80EE0000021122 -e 11229000
	check "$speed: T=1 connection" pcsc_client --protocol t1 --expect-atr $ATR \
		--disconnect unpower 80EE0000021122 -e 11229000
	check "$speed: APDUs round-trip (SELECT, GET DATA, ECHO, GENERATE, bad INS, bad CLA)" \
		pcsc_client 00A4040008$AID -e 9000 00A40400080102030405060708 -e 6A82 \
		00CA0100 -e 43434944000000019000 80EE000003010203 -e 0102039000 \
		80EF000004 -e 000102039000 0012000000 -e 6D00 C0A4040000 -e 6E00
	check "$speed: opensc-tool --atr" opensc_atr
	check "$speed: opensc-tool --send-apdu round-trips an ECHO" opensc_echo
	# Bulk IN: RDR_to_PC_DataBlock = 10 + N + 2 bytes; these N make it
	# 64, 128, 512, 1024, 2048 and 4096 bytes: a multiple of every packet
	# size, so a zero-length packet must end it (bed trap 7, tests/vm/README.md).
	check "$speed: bulk-IN messages of exactly k x wMaxPacketSize (ZLP): GENERATE 52 116 500 1012 2036 4084" \
		pcsc_client -q --protocol t1 --generate 52 --generate 116 --generate 500 \
		--generate 1012 --generate 2036 --generate 4084
	# Bulk OUT: PC_to_RDR_XfrBlock = 10 + APDU; ECHO N is N + 6 bytes
	# short, N + 9 extended: 64, 128, 512, 1024, 2048, 4096 bytes (trap 6).
	check "$speed: bulk-OUT messages of exactly k x wMaxPacketSize: ECHO 48 112 493 1005 2029 4077" \
		pcsc_client -q --protocol t1 --echo 48 --echo 112 --echo 493 --echo 1005 \
		--echo 2029 --echo 4077
	check "$speed: extended APDUs: ECHO 4096, 61440, 65535 bytes" \
		pcsc_client -q --protocol t1 --echo 4096 --echo 61440 --echo 65535
	check "$speed: extended response: GENERATE 65536 bytes" \
		pcsc_client -q --protocol t1 --generate 65536
	check "$speed: 200 ECHO APDUs in one connection" \
		pcsc_client -q --stats --repeat 200 --echo 32
	check "$speed: daemon still running" alive $GADGET_PID
	pcscd_mark=$(pcscd_log_mark)
	check "$speed: SIGTERM: daemon exits 0" gadget_stop
	check "$speed: gadget and FunctionFS mount removed" gadget_gone
	check "$speed: host sees the reader go" wait_for 10 host_gone
	check "$speed: pcscd drops the reader (hotplug)" pcscd_drops_reader $pcscd_mark
done

# How the answers went out, from the daemon's -vv lines: at least one
# blocking write by the transfer thread, each shorter than a bulk-IN packet
# (no ZLP due, all or nothing if interrupted), and the longer answers by AIO;
# the daemon's last start only (gadget_start's "+ ccid-gadget" line).
answer_paths_ok() {
	local mps
	mps=$(sed -n 's/.*bulk packets [0-9]*\/\([0-9]*\).*/\1/p' /tmp/gadget.log | tail -n 1)
	awk -v mps="${mps:-0}" '
		/^\+ .*ccid-gadget/ { sync = bad = aio_long = 0 }
		/bulk-IN \(blocking write\): / { b = $0; sub(/.*\(/, "", b); sync++; if (b + 0 >= mps) bad++ }
		/bulk-IN: / { b = $0; sub(/.*\(/, "", b); if (b + 0 >= mps) aio_long++ }
		END {
			printf "packet %d: %d blocking writes (%d not shorter), %d longer answers by AIO\n", mps, sync, bad, aio_long
			exit !(mps > 0 && sync > 0 && !bad && aio_long > 0)
		}' /tmp/gadget.log
}

# The optional bulk-OUT transfer thread (CCID_GADGET_OUT_THREAD=1,
# gadget/ffs/ffs_out_thread.c), then the same thread writing one-packet
# answers itself with blocking write() (=2, gadget/ffs/gadget_xfer.c;
# -vv: its debug lines say which answers it wrote), at the last speed:
# the same packet boundaries, ZLPs, extended APDUs and a clean stop.
for mode in 1 2; do
	t="out-thread"
	[ $mode = 2 ] && t="out-thread=2"
	export CCID_GADGET_OUT_THREAD=$mode
	check "$t: ccid-gadget --card test starts, host enumerates it" gadget_start --card test -vv
	unset CCID_GADGET_OUT_THREAD
	check "$t: the daemon reads bulk-OUT on its transfer thread" \
		grep -q 'bulk-OUT: transfer thread' /tmp/gadget.log
	check "$t: bulk-OUT messages of exactly k x wMaxPacketSize, ZLP replies, extended APDUs" \
		pcsc_client -q --wait-card 10 --protocol t1 --echo 48 --echo 493 --echo 4077 \
		--generate 52 --generate 4084 --echo 65535 --generate 65536
	check "$t: 200 ECHO APDUs in one connection" \
		pcsc_client -q --stats --repeat 200 --echo 32
	if [ $mode = 2 ]; then
		check "$t: the thread wrote answers shorter than a packet itself, longer ones went by AIO" \
			answer_paths_ok
	fi
	check "$t: SIGTERM: daemon exits 0" gadget_stop
	check "$t: host sees the reader go" wait_for 10 host_gone
done
