# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, guest half for the reference: QEMU's own -device usb-ccid +
# ccid-card-emulated,backend=certificates on the same NSS db (bench/run
# passes the devices with --qemu-arg), UHCI (usb-ccid is full speed), the
# same kernel, pcscd + libccid + OpenSC as bench/vm/ours.sh, the same
# client (pcsc_bench) and the same APDU: SELECT of the CAC applet, COUNT
# times after WARMUP, as round ROUND (bench/run boots it once per round,
# interleaved with bench/vm/ours.sh); in round 1 also pkcs11-tool -L, -O,
# --sign OPS times (or the reason they cannot run). Results: "# BENCH,..."
# lines.

ROUND=1 COUNT=1000 WARMUP=50 OPS=10
[ -f /bench/conf ] && . /bench/conf

SEL_CAC=00A4040007A0000000790100
P11="pkcs11-tool --module opensc-pkcs11.so"

out() { diag "BENCH,$*"; }

ccid_dev() {
	local d
	for d in /sys/bus/usb/devices/*; do
		[ "$(cat "$d/idVendor" 2>/dev/null):$(cat "$d/idProduct" 2>/dev/null)" = 08e6:4433 ] &&
			{ echo "$d"; return 0; }
	done
	return 1
}
usb_host_load() { bed_modprobe uhci-hcd; }

for f in pcsc_bench bench_exec pcsc_client; do
	command -v $f >/dev/null || { not_ok "bench: $f is in the image"; exit 1; }
done
check "bench-qemu: usbcore + uhci-hcd load" usb_host_load
check "bench-qemu: systemd-udevd starts" udevd_start
check "bench-qemu: QEMU's usb-ccid (08e6:4433) is on the bus" wait_for 60 ccid_dev
check "bench-qemu: pcscd starts" pcscd_start
out "info,1,qemu-kernel,$(uname -r),cpus,$(nproc),speed,$(cat "$(ccid_dev)/speed")"

for r in $ROUND; do
	if line=$(pcsc_bench --label qemu-full --wait 30 --warmup $WARMUP --count $COUNT --sw 610D $SEL_CAC 2>/tmp/pb.err); then
		out "apdu,$r,$line"
	else
		out "apdu,$r,qemu-full,fail,$(tail -n 1 /tmp/pb.err)"
		not_ok "bench-qemu: SELECT round $r" "$(tail -n 1 /tmp/pb.err)"
	fi
done

if [ $ROUND != 1 ]; then
	:
elif $P11 -L 2>&1 | tee /tmp/p11L.out | grep -q 'token label *: John Doe'; then
	echo "ccid-gadget bench signs this" >/tmp/msg
	for op in L O sign; do
		case $op in
		L) set -- $P11 -L ;;
		O) set -- $P11 -O ;;
		sign) set -- $P11 --login --pin 0000 --sign -m SHA256-RSA-PKCS --id 0002 -i /tmp/msg -o /tmp/sig ;;
		esac
		out "op,1,$(bench_exec --label qemu-full/p11-$op --count $OPS --log /tmp/p11.log -- "$@")"
	done
else
	# The known outcome with OpenSC 0.23: its CAC probe gets answers out
	# of step and the card is "Unsupported card": record the reason.
	why=$(opensc-tool --reader 0 --name 2>&1 | tail -n 1)
	cat /tmp/p11L.out
	for op in L O sign; do out "op,1,qemu-full/p11-$op,fail,$why"; done
fi
ok "bench-qemu: done"
