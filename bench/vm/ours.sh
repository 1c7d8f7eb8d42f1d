# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, guest half for ccid-gadget (tests/vm/bed runs it; bench/run
# boots it once per round, ROUND in /bench/conf). dummy_hcd at full, high
# and super speed; per speed, in this order so drift hits every row alike:
#   floor     bench/echo_reader (blocking I/O, no engine, 90 00 at once);
#             also ECHOes 4 KiB and 64 KiB like the test card below
#   floor-aio bench/echo_reader -a (the same through the daemon's AIO +
#             eventfd + epoll pattern); further transport candidates
#             when FLOORS names them (floor-thread: -t, floor-inline: -l;
#             see echo_reader.c)
#   test      ccid-gadget --card test
#   emulated  ccid-gadget --card emulated,backend=certificates (libcacard)
#   passthru  ccid-gadget --card passthru + ccid-vscclient on 127.0.0.1
# each: pcsc_bench, COUNT SELECTs after WARMUP; the test card also ECHOes
# 4 KiB and 64 KiB (65535-byte) extended APDUs. Once per speed (round 1):
# peak RSS (VmHWM) of the daemon per card. At full and high speed, once:
# pkcs11-tool -L, -O, --sign (emulated card), OPS times each; the daemon's
# start-to-bound time (READY=1, sent after the UDC bind), START times.
# Results: "# BENCH,..." lines on the TAP channel (bench/report reads them).
# Settings: /bench/conf (ROUND COUNT WARMUP OPS START SPEEDS FLOORS
# TEST_THREAD TEST_SYNC OUT_THREAD ROWS BASE: 1 when bench/run added a
# ccid-gadget-base, BENCH_BASE). ROWS=start: only the start-up rows (and
# one start of each daemon with -v: where the time goes).

ROUND=1 COUNT=1000 WARMUP=50 OPS=10 START=5 SPEEDS="full high super"
FLOORS="floor floor-aio" TEST_THREAD=1 TEST_SYNC=1 ROWS=all BASE=
[ -f /bench/conf ] && . /bench/conf

# every other row with the daemon's bulk-OUT transport chosen here
# (gadget/daemon/main.c: 0 = AIO, 1 = the transfer thread, 2 = the
# thread writing one-packet answers too)
OUT_THREAD=${OUT_THREAD:-0}
export CCID_GADGET_OUT_THREAD=$OUT_THREAD

D=/cards/nopin
# personality=cac: the same CAC card QEMU's ccid-card-emulated serves, row for row
EMUL_SPEC="emulated,backend=certificates,db=sql:$D,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac"
VSC_EMUL="db=\"sql:$D\" use_hw=no soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)"
PORT=2001
SEL_TEST=00A4040008F043434944544301   # test card: 90 00
SEL_CAC=00A4040007A0000000790100      # CAC applet: 61 0D (libcacard, T=0)
P11="pkcs11-tool --module opensc-pkcs11.so"
CLIENT_PID=
ECHO_PID=

out() { diag "BENCH,$*"; }

reader_gone() {
	wait_for 10 host_gone
	pcsc_client --wait-reader 10 --list --expect-readers 0 >/dev/null 2>&1
}

# pcsc_bench's line, or a "fail" line with its last error
apdu() { # KIND ROUND NAME ARGS...
	local kind=$1 r=$2 name=$3 line
	shift 3
	if line=$(pcsc_bench --label "$name" --wait 20 "$@" 2>/tmp/pb.err); then
		out "$kind,$r,$line"
	else
		out "$kind,$r,$name,fail,$(tail -n 1 /tmp/pb.err)"
		not_ok "bench: $name round $r" "$(tail -n 1 /tmp/pb.err)"
	fi
}

rss() { # NAME PID
	local hwm cur
	hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/$2/status 2>/dev/null)
	cur=$(awk '/^VmRSS:/ { print $2 }' /proc/$2/status 2>/dev/null)
	out "rss,1,$1,$hwm,$cur"
}

# context switches (voluntary, involuntary) of PID, all its threads
ctx_sum() { # PID
	cat /proc/$1/task/*/status 2>/dev/null |
		awk '/^voluntary_ctxt_switches:/ { v += $2 } /^nonvoluntary_ctxt_switches:/ { n += $2 } END { print v + 0, n + 0 }'
}
# apdu() with the context switches of PID per APDU (round 1 only)
apdu_ctx() { # PID ROUND NAME ARGS...
	local pid=$1 r=$2 name=$3 b a
	shift 3
	b=$(ctx_sum $pid)
	apdu apdu $r $name "$@"
	a=$(ctx_sum $pid)
	[ $r = 1 ] && out "$(echo "$b $a" | awk -v n=$((COUNT + WARMUP)) -v name=$name '{ printf "ctx,1,%s,%.2f,%.2f", name, ($3 - $1) / n, ($4 - $2) / n }')"
}
# syscalls of PID (all threads) per APDU over 200 SELECTs, under strace -c
# (after the timed rounds: strace slows every call down)
syscalls() { # PID NAME SW APDU
	local pid=$1 name=$2 sw=$3 sel=$4 n=200 st
	command -v strace >/dev/null || return 0
	strace -c -f -o /tmp/strace.$name -p $pid 2>/dev/null &
	st=$!
	sleep 1
	pcsc_bench --label x --wait 20 --warmup 0 --count $n --sw $sw $sel >/dev/null 2>&1
	kill -INT $st 2>/dev/null
	wait $st 2>/dev/null
	out "sys,1,$name,$(awk -v n=$n '$NF == "total" { printf "%.2f", $4 / n; exit }' /tmp/strace.$name)"
	# which calls they are: per APDU, the busiest first (diag lines in
	# the round's TAP log; bench/README.md "Transport candidates")
	awk -v n=$n -v name=$name '$NF != "total" && $4 ~ /^[0-9]+$/ && $4 >= n / 20 {
		printf "syscalls %s: %s %.2f per APDU\n", name, $NF, $4 / n }' /tmp/strace.$name |
		sort -k4 -rn | while read -r l; do diag "$l"; done
}

# echo_reader's flags for a floor row
floor_flags() { # NAME
	case $1 in
	floor-aio) echo -a ;;
	floor-thread) echo -t ;;
	floor-inline) echo -l ;;
	esac
}

echo_start() { # [-a|-t|-l]
	echo_reader "$@" >/tmp/echo.log 2>&1 3>&- 4<&- &
	ECHO_PID=$!
	wait_enumerated 30
}
echo_stop() {
	kill $ECHO_PID 2>/dev/null
	wait $ECHO_PID 2>/dev/null
	ECHO_PID=
	reader_gone
}

client_start() {
	ccid-vscclient -n -e "$VSC_EMUL" 127.0.0.1 $PORT </dev/null >>/tmp/vscclient.log 2>&1 3>&- 4<&- &
	CLIENT_PID=$!
}
client_stop() {
	[ -n "$CLIENT_PID" ] && kill $CLIENT_PID 2>/dev/null
	[ -n "$CLIENT_PID" ] && wait $CLIENT_PID 2>/dev/null
	CLIENT_PID=
}

stop_all() {
	client_stop
	gadget_stop
	reader_gone
}

# pkcs11-tool: the token must be there first, else the reason is recorded.
p11_ops() { # PREFIX (e.g. emulated-full)
	local pfx=$1 why line op
	if ! $P11 -L 2>&1 | grep -q 'token label *: John Doe'; then
		why=$(opensc-tool --reader 0 --name 2>&1 | tail -n 1)
		for op in L O sign; do out "op,1,$pfx/p11-$op,fail,$why"; done
		not_ok "bench: $pfx: pkcs11-tool -L lists the token" "$why"
		return 0
	fi
	echo "ccid-gadget bench signs this" >/tmp/msg
	for op in L O sign; do
		case $op in
		L) set -- $P11 -L ;;
		O) set -- $P11 -O ;;
		sign) set -- $P11 --login --pin 0000 --sign -m SHA256-RSA-PKCS --id 0002 -i /tmp/msg -o /tmp/sig ;;
		esac
		line=$(bench_exec --label "$pfx/p11-$op" --count $OPS --log /tmp/p11.log -- "$@")
		out "op,1,$line"
		case "$line" in *,fail,*) not_ok "bench: $pfx pkcs11-tool $op" "$(tail -n 2 /tmp/p11.log)" ;; esac
	done
}

start_time() { # NAME ARGS...
	local name=$1 line
	shift
	line=$(bench_exec --start --label "$name" --count $START --log /tmp/start.log -- ccid-gadget "$@")
	out "start,1,$line"
	case "$line" in *,fail,*) not_ok "bench: $name" "$(tail -n 2 /tmp/start.log)" ;; esac
	reader_gone
}

for f in ccid-gadget ccid-vscclient echo_reader pcsc_bench bench_exec cacard_rss pcsc_client; do
	command -v $f >/dev/null || { not_ok "bench: $f is in the image"; exit 1; }
done
first=${SPEEDS%% *}
check "bench: modules load ($first speed)" usb_load $first
check "bench: systemd-udevd starts" udevd_start
check "bench: pcscd starts" pcscd_start
if [ $ROUND = 1 ] && [ "$ROWS" != start ]; then
	out "info,1,kernel,$(uname -r),cpus,$(nproc),count,$COUNT,warmup,$WARMUP"
	out "rss,1,libcacard+nss-alone,$(cacard_rss $D 100)"
	# the same with libraries the daemon links but the emulated card does
	# not use, preloaded: what each adds to the RSS by being mapped and
	# initialised
	out "rss,1,alone+gnutls,$(LD_PRELOAD=libgnutls.so.30 cacard_rss $D 100)"
	out "rss,1,alone+libpcap,$(LD_PRELOAD=libpcap.so.0.8 cacard_rss $D 100)"
	out "rss,1,alone+all-daemon-libs,$(LD_PRELOAD="libgnutls.so.30 libpcap.so.0.8 libusbgx.so.2 libaio.so.1 libpcsclite.so.1" cacard_rss $D 100)"
fi

# One more start with -v: the daemon's own lines say how long the cards
# and the gadget set-up took, wall and CPU (the difference is waiting),
# as diag lines in the TAP log (bench/README.md, start-up).
start_trace() { # NAME ARGS...
	local name=$1
	shift
	bench_exec --start --label "trace-$name" --count 1 --log /tmp/trace.$name -- \
		ccid-gadget -v "$@" >/dev/null
	reader_gone
	grep -E ' in [0-9.]+ ms \(|bound to' /tmp/trace.$name | cut -c1-200 |
		while read -r l; do diag "start $name: $l"; done
}

for speed in $SPEEDS; do
	[ $speed = $first ] || check "bench: dummy_hcd at $speed speed" usb_set_speed $speed
	# ROWS=start: no APDU rows
	for r in $([ "$ROWS" = start ] || echo $ROUND); do
		diag "bench: $speed round $r"
		for fl in $FLOORS; do
			echo_start $(floor_flags $fl)
			apdu_ctx $ECHO_PID $r $fl-$speed --warmup $WARMUP --count $COUNT --sw 9000 $SEL_TEST
			if [ $fl = floor ]; then
				# the same bytes as the test card's large transfers
				apdu xfer $r floor-echo4k-$speed --warmup 2 --count 20 --protocol t1 --echo 4096
				apdu xfer $r floor-echo64k-$speed --warmup 1 --count 5 --protocol t1 --echo 65535
			fi
			[ $r = 1 ] && [ $speed = $first ] && syscalls $ECHO_PID $fl-$speed 9000 $SEL_TEST
			echo_stop
		done

		gadget_start --card test
		apdu_ctx $GADGET_PID $r test-$speed --warmup $WARMUP --count $COUNT --sw 9000 $SEL_TEST
		apdu xfer $r echo4k-$speed --warmup 2 --count 20 --protocol t1 --echo 4096
		apdu xfer $r echo64k-$speed --warmup 1 --count 5 --protocol t1 --echo 65535
		[ $r = 1 ] && rss test-$speed $GADGET_PID
		[ $r = 1 ] && [ $speed = $first ] && syscalls $GADGET_PID test-$speed 9000 $SEL_TEST
		stop_all

		# the bulk-OUT transfer thread (gadget/ffs/ffs_io.h; test-thread,
		# CCID_GADGET_OUT_THREAD=1) and the same thread writing one-packet
		# answers itself (test-sync, =2), when the candidates are measured;
		# with BASE, test-sync of the base build too (2base), before
		# test-sync in odd rounds and after it in even ones
		modes="1 2"
		[ "$BASE" = 1 ] && modes=$([ $((r % 2)) = 1 ] && echo "1 2base 2" || echo "1 2 2base")
		for mode in $modes; do
			row=test-thread
			[ $mode = 2 ] && row=test-sync
			[ $mode = 2base ] && row=test-sync-base
			[ $mode = 1 ] && [ "$TEST_THREAD" != 1 ] && continue
			[ $mode != 1 ] && [ "$TEST_SYNC" != 1 ] && continue
			export CCID_GADGET_OUT_THREAD=${mode%base}
			[ $mode = 2base ] && GADGET_BIN=ccid-gadget-base
			gadget_start --card test
			GADGET_BIN=
			export CCID_GADGET_OUT_THREAD=$OUT_THREAD
			apdu_ctx $GADGET_PID $r $row-$speed --warmup $WARMUP --count $COUNT --sw 9000 $SEL_TEST
			[ $mode = 1 ] && apdu xfer $r thread-echo64k-$speed --warmup 1 --count 5 --protocol t1 --echo 65535
			[ $r = 1 ] && [ $speed = $first ] && syscalls $GADGET_PID $row-$speed 9000 $SEL_TEST
			stop_all
		done

		gadget_start --card "$EMUL_SPEC"
		apdu_ctx $GADGET_PID $r emulated-$speed --warmup $WARMUP --count $COUNT --sw 610D $SEL_CAC
		[ $r = 1 ] && rss emulated-$speed $GADGET_PID
		[ $r = 1 ] && [ $speed = $first ] && syscalls $GADGET_PID emulated-$speed 610D $SEL_CAC
		if [ $r = 1 ] && [ $speed != super ]; then
			p11_ops emulated-$speed
		fi
		stop_all

		# passthru (attach=reader): the UDC is bound on the client's
		# ReaderAdd, so start the daemon, then the client, then wait.
		ccid-gadget --card passthru,listen=127.0.0.1:$PORT >>/tmp/gadget.log 2>&1 3>&- 4<&- &
		GADGET_PID=$!
		sleep 0.5
		client_start
		if wait_enumerated 30; then
			apdu apdu $r passthru-$speed --warmup $WARMUP --count $COUNT --sw 610D $SEL_CAC
			[ $r = 1 ] && rss passthru-$speed $GADGET_PID
		else
			out "apdu,$r,passthru-$speed,fail,not enumerated"
			not_ok "bench: passthru-$speed enumerated"
		fi
		stop_all
	done
	if [ $ROUND = 1 ] && [ $speed != super ]; then
		start_time start-test-$speed --card test
		start_time start-emulated-$speed --card "$EMUL_SPEC"
		# the floor of the emulated card's start: libcacard + NSS
		# initialisation alone on the same db (cacard_rss sends
		# READY=1 once its card is powered on), timed the same way
		line=$(bench_exec --start --label start-cacard-alone-$speed --count $START --log /tmp/start.log -- cacard_rss $D 0)
		out "start,1,$line"
		if [ "$ROWS" = start ] && [ $speed = $first ]; then
			start_trace test --card test
			start_trace emulated --card "$EMUL_SPEC"
		fi
	fi
done
ok "bench: done"
