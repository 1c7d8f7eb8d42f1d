# SPDX-License-Identifier: GPL-2.0-or-later
# Two busy slots: with bMaxCCIDBusySlots = 2 on a 2-slot reader, a slow
# card in slot 0 (--card test,delay_ms) does not hold slot 1 up. libccid
# then reports its slots thread safe (TAG_IFD_SLOT_THREAD_SAFE), pcscd
# locks each slot on its own, and libccid's multi-slot reader hands each
# bulk-IN answer to its bSlot (see gadget/daemon/cli.c). Shown: an APDU on
# the fast slot 1 answered while one on slot 0 is still pending, both
# answered right, over N rounds; the host's descriptor says 2.
# bed: --timeout 300

G=busy-slots
SLOW=4000
N=2                # rounds (make soak: 30)

took_ms() { # VAR CMD...: run CMD, VAR = its time in ms; CMD's status
	local var=$1 t0 rc=0
	shift
	t0=$(now_ms)
	"$@" || rc=$?
	eval "$var=$(($(now_ms) - t0))"
	return $rc
}
busy_slots_desc() { # bMaxCCIDBusySlots (the class descriptor's last byte) = 2
	local v
	v=$(od -An -tu1 -v "$(host_dev)/descriptors" | tr -s ' \n' '\n\n' | awk '
		NF { b[n++] = $1 }
		END { for (i = 0; i < n; i += b[i]) { if (b[i] < 2) exit; if (b[i] == 54 && b[i + 1] == 33) { print b[i + 53]; exit } } }')
	echo "bMaxCCIDBusySlots $v, bMaxSlotIndex $(od -An -tu1 -v "$(host_dev)/descriptors" | tr -s ' \n' '\n\n' | awk 'NF { b[n++] = $1 } END { for (i = 0; i < n; i += b[i]) { if (b[i] < 2) exit; if (b[i] == 54 && b[i + 1] == 33) { print b[i + 4]; exit } } }')"
	[ "$v" = 2 ]
}
round() { # N: slow echo on slot 0 in the background, fast echo on slot 1
	local n=$1 p0 t1 rc0
	pcsc_client -q --reader 0 --echo 16 >/tmp/slot0.out 2>&1 &
	p0=$!
	sleep 1
	if ! took_ms t1 pcsc_client -q --reader 1 --echo 16; then
		echo "round $n: slot 1's APDU failed"
		wait $p0
		return 1
	fi
	if ! kill -0 $p0 2>/dev/null; then
		echo "round $n: slot 0's APDU was over before slot 1 answered: no overlap shown"
		wait $p0
		return 1
	fi
	wait $p0
	rc0=$?
	echo "round $n: slot 1 answered in $t1 ms while slot 0's APDU was pending; slot 0 exit $rc0: $(cat /tmp/slot0.out)"
	[ $rc0 = 0 ] && [ "$t1" -lt $((SLOW / 2)) ]
}

export LIBCCID_ifdLogLevel=0x000F
check "$G: modules load" usb_load high
check "$G: systemd-udevd starts" udevd_start
check "$G: daemon with a slow card in slot 0 and a fast one in slot 1" \
	gadget_start --slots 2 --card test,delay_ms=$SLOW --card test
check "$G: the descriptor says 2 busy slots on 2 slots" busy_slots_desc
check "$G: pcscd starts" pcscd_start
check "$G: both readers listed" pcsc_client --wait-reader 10 --list --expect-readers 2
check "$G: slot 0's slow card powered" pcsc_client -q --reader 0 --wait-card 30 --atr
check "$G: slot 1's card powered" pcsc_client -q --reader 1 --wait-card 30 --atr
check "$G: libccid takes the slots as thread safe" \
	grep -q 'Each slot has its own mutex\|thread safe' /tmp/pcscd.log
for n in $(seq 1 $N); do
	check "$G: round $n: slot 1 answers at once while slot 0's APDU is pending; both right" round $n
done
check "$G: the daemon is alive" alive "$GADGET_PID"
pcscd_stop
check "$G: daemon exits 0 on SIGTERM" gadget_stop
