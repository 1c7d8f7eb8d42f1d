# Endurance: 100 UDC unbind/rebind cycles, then 100 card remove/insert
# cycles (control socket), each with a client hammering APDUs the whole
# time. The daemon must survive, keep its memory and file descriptors
# flat, and the reader (and card) must come back every time, answering.
# bed: --timeout 600

N=${CYCLES:-100}
RSS_SLACK_KB=512   # allowed VmRSS growth after the first 10 cycles

if ! command -v ccid-gadget >/dev/null; then
	not_ok "cycles: build/ccid-gadget is in the image" "run make first"
	exit 1
fi

loop_start() { # background APDU client, multi-packet APDUs both ways
	pcsc_client --loop -q --echo 300 --generate 700 >/tmp/loop.out 2>&1 &
	LOOP_PID=$!
}
loop_stop() { # exit status of the loop client (1: a wrong answer), 124 hung
	local rc
	kill $LOOP_PID 2>/dev/null
	if wait_for 15 sh -c "! kill -0 $LOOP_PID 2>/dev/null || grep -q '^State:.*Z' /proc/$LOOP_PID/status"; then
		wait $LOOP_PID
		rc=$?
	else
		kill -9 $LOOP_PID 2>/dev/null
		wait $LOOP_PID 2>/dev/null
		rc=124
	fi
	cat /tmp/loop.out
	diag "  $(grep '^loop:' /tmp/loop.out)"
	return $rc
}

check "cycles: modules load" usb_load high
check "cycles: systemd-udevd starts" udevd_start
PCSCD_ARGS=--info check "cycles: pcscd starts" pcscd_start
check "cycles: daemon starts" gadget_start --card test
check "cycles: first APDU" pcsc_client -q --wait-reader 10 --wait-card 10 --echo 16

# ---- UDC unbind / rebind ----
loop_start
fails=0 failed= rss10= fd10= t0=$(now_ms)
for i in $(seq 1 $N); do
	why=
	udc_unbind || why="unbind write failed"
	[ -n "$why" ] || wait_for 10 host_gone || why="host still sees the reader"
	[ -n "$why" ] || wait_for 10 pcsc_client --list --expect-readers 0 ||
		why="pcscd still lists the reader"
	[ -n "$why" ] || udc_bind || why="bind write failed"
	[ -n "$why" ] || wait_enumerated 20 || why="not enumerated again (UDC $(udc_state))"
	[ -n "$why" ] || pcsc_client -q --wait-reader 15 --wait-card 15 --echo 64 ||
		why="no APDU answer after the rebind"
	alive $GADGET_PID || why="daemon died"
	if [ -n "$why" ]; then
		fails=$((fails + 1))
		[ $fails -le 5 ] && failed="$failed [cycle $i: $why]"
		echo "cycle $i: $why"
		alive $GADGET_PID || break
	fi
	if [ $i = 10 ]; then rss10=$(rss_kb $GADGET_PID); fd10=$(fd_count $GADGET_PID); fi
done
echo "UDC cycles: $N in $(($(now_ms) - t0)) ms"
check "cycles: APDU client during rebinds: no wrong answer, no hang" loop_stop
if [ $fails = 0 ]; then
	ok "cycles: $N UDC unbind/rebind: reader back and answering every time"
else
	not_ok "cycles: $N UDC unbind/rebind: reader back and answering every time" "$fails failed:$failed"
fi
check "cycles: daemon alive after $N rebinds" alive $GADGET_PID
rss=$(rss_kb $GADGET_PID) fd=$(fd_count $GADGET_PID)
echo "VmRSS after 10 cycles ${rss10} kB, after $N ${rss} kB; fds ${fd10} -> ${fd}"
diag "  VmRSS ${rss10} -> ${rss} kB, fds ${fd10} -> ${fd} (cycle 10 -> $N)"
check "cycles: VmRSS grew at most $RSS_SLACK_KB kB over cycles 10..$N" \
	test -n "$rss" -a -n "$rss10" -a "${rss:-0}" -le $((${rss10:-0} + RSS_SLACK_KB))
check "cycles: no file descriptor leak over cycles 10..$N" test -n "$fd" -a "$fd" = "$fd10"

# ---- card remove / insert ----
loop_start
fails=0 failed= rss10= fd10= t0=$(now_ms)
for i in $(seq 1 $N); do
	why=
	ccid-gadget ctl remove 0 >/dev/null || why="ctl remove failed"
	[ -n "$why" ] || pcsc_client --wait-absent 10 || why="pcscd still sees the card"
	[ -n "$why" ] || ccid-gadget ctl insert 0 >/dev/null || why="ctl insert failed"
	[ -n "$why" ] || pcsc_client -q --wait-card 10 --echo 64 || why="no APDU answer after insert"
	alive $GADGET_PID || why="daemon died"
	if [ -n "$why" ]; then
		fails=$((fails + 1))
		[ $fails -le 5 ] && failed="$failed [cycle $i: $why]"
		echo "card cycle $i: $why"
		alive $GADGET_PID || break
	fi
	if [ $i = 10 ]; then rss10=$(rss_kb $GADGET_PID); fd10=$(fd_count $GADGET_PID); fi
done
echo "card cycles: $N in $(($(now_ms) - t0)) ms"
check "cycles: APDU client during card cycles: no wrong answer, no hang" loop_stop
if [ $fails = 0 ]; then
	ok "cycles: $N card remove/insert: card back and answering every time"
else
	not_ok "cycles: $N card remove/insert: card back and answering every time" "$fails failed:$failed"
fi
check "cycles: daemon alive after $N card cycles" alive $GADGET_PID
rss=$(rss_kb $GADGET_PID) fd=$(fd_count $GADGET_PID)
diag "  VmRSS ${rss10} -> ${rss} kB, fds ${fd10} -> ${fd} (card cycle 10 -> $N)"
check "cycles: VmRSS grew at most $RSS_SLACK_KB kB over card cycles 10..$N" \
	test -n "$rss" -a -n "$rss10" -a "${rss:-0}" -le $((${rss10:-0} + RSS_SLACK_KB))
check "cycles: no file descriptor leak over card cycles 10..$N" test -n "$fd" -a "$fd" = "$fd10"
ccid-gadget ctl status
check "cycles: daemon exits 0 on SIGTERM" gadget_stop
