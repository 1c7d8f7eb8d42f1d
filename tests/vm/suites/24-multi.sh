# SPDX-License-Identifier: GPL-2.0-or-later
# Several readers on one machine (issue 23): dummy_hcd num=4 gives four
# UDCs; one daemon per UDC, each with its own --name (its configfs gadget,
# FunctionFS instance and mount, control socket) and its own card; one
# pcscd sees them all, and OpenSC lists each card under its own reader.
#  - two daemons: the test card (r0) and the emulated CAC card on the
#    nopin db (r1);
#  - four: plus the CAC card on the pin db (r2) and on the ec db (r3),
#    three NSS dbs with certificates of their own: each reader's
#    certificate 0001 is byte-identical to its own db's and differs from
#    the others';
#  - `ctl --name rN` reaches only daemon N: removing r2's card leaves the
#    other three readers with theirs; `ctl status --json` names each
#    gadget and UDC;
#  - a second daemon with a name already running is refused (exit 1: its
#    socket is taken) and leaves the first one serving;
#  - then scripts/ccid-gadget-ci --mode native, as on a runner with root
#    and dummy_hcd (this VM is one): its own pcscd, the reader on the
#    first free UDC, COMMAND's exit status (0, and 3 from a COMMAND that
#    pulls the card with `ctl --name ci remove`), the artefacts, nothing
#    left in configfs.
# Readers are told apart by --serial (pcscd puts it in the reader name).
# bed-setup: tests/vm/cards/make-dbs
# bed: --timeout 300 --add build/cards/nopin:/cards/nopin --add build/cards/pin:/cards/pin --add build/cards/ec:/cards/ec --add /usr/bin/pkcs15-tool:/usr/bin/pkcs15-tool --add /usr/bin/bash:/usr/bin/bash --add scripts/ccid-gadget-ci:/ci/scripts/ccid-gadget-ci

. /bed/p11.sh

TEST_ATR=3B9A118031FE456363696467616467657498
cac_spec() { # DIR
	echo "emulated,backend=certificates,db=sql:$1,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac"
}

usb_load_n() { # N: dummy_hcd with N UDCs, high speed
	bed_modprobe configfs || return 1
	grep -q ' /sys/kernel/config configfs' /proc/mounts ||
		mount -t configfs configfs /sys/kernel/config || return 1
	bed_modprobe libcomposite && bed_modprobe usb_f_fs &&
		bed_modprobe dummy_hcd is_high_speed=1 is_super_speed=0 num=$1 || return 1
	wait_for 10 test -e /sys/class/udc/dummy_udc.$(($1 - 1))
}

PIDS=
reader_start() { # N SPEC: daemon rN on dummy_udc.N, serial RN
	echo "+ ccid-gadget --name r$1 --udc dummy_udc.$1 --serial R$1 --card $2" >>/tmp/gadget-r$1.log
	ccid-gadget --name r$1 --udc dummy_udc.$1 --serial R$1 --card "$2" \
		>>/tmp/gadget-r$1.log 2>&1 3>&- 4<&- &
	eval "PID_r$1=$!"
	PIDS="$PIDS $!"
	wait_for 30 sh -c "[ \"\$(cat /sys/class/udc/dummy_udc.$1/state)\" = configured ]"
}

# The gadget, its FunctionFS function and mount, and its socket: all rN's.
own_names() { # N
	local g=/sys/kernel/config/usb_gadget/r$1
	[ -d $g/functions/ffs.r$1 ] && [ "$(cat $g/UDC)" = dummy_udc.$1 ] &&
		grep -q "^r$1 /run/ccid-gadget/r$1.ffs functionfs" /proc/mounts &&
		test -S /run/ccid-gadget-r$1.sock
}

# opensc-tool's reader list: exactly N readers, each with a card, one
# per serial R0..R(N-1).
opensc_lists() { # N
	local i
	opensc-tool --list-readers >/tmp/readers.out 2>&1
	cat /tmp/readers.out
	[ "$(grep -c '(R[0-9]) ' /tmp/readers.out)" = "$1" ] || return 1
	i=0
	while [ $i -lt $1 ]; do
		grep -Eq "^[0-9]+ +Yes .*\(R$i\) " /tmp/readers.out || { echo "no card under R$i"; return 1; }
		i=$((i + 1))
	done
}

# The index pcsc_client and opensc-tool use for the reader with serial RN.
reader_index() { # N
	pcsc_client --list 2>/dev/null | sed -n "s/^\([0-9]*\): .*(R$1) .*/\1/p"
}

test_card_at() { # N: the test card's ATR and ECHO through reader RN
	local idx
	idx=$(reader_index $1)
	[ -n "$idx" ] || { echo "no reader R$1"; return 1; }
	opensc-tool --reader "$idx" --atr >/tmp/atr.out 2>&1
	cat /tmp/atr.out
	tr -d ':' </tmp/atr.out | grep -qi "$TEST_ATR" &&
		pcsc_client -q --reader "$idx" --wait-card 10 --echo 16
}

# OpenSC's PKCS#11 view. pkcs11-tool cuts the slot description before the
# serial, so a reader's slot is found by position: OpenSC makes its slots
# in pcscd's reader order, here one per reader (checked: as many slots as
# readers), so slot index = reader index. One -L per phase (each OpenSC
# start talks to every card: seconds under TCG).
p11_listed() { # N: N slots; every CAC reader's (R1..) token is John Doe
	local i=1 idx
	pkcs11-tool --module opensc-pkcs11.so -L >/tmp/p11L.out 2>&1
	cat /tmp/p11L.out
	[ "$(grep -c '^Slot ' /tmp/p11L.out)" = "$1" ] || { echo "not $1 slots"; return 1; }
	while [ $i -lt $1 ]; do
		idx=$(reader_index $i)
		awk -v i="$idx" '/^Slot / { n++ } n == i + 1 && /token label *: John Doe$/ { f = 1 } END { exit !f }' \
			/tmp/p11L.out || { echo "R$i (slot index $idx): no John Doe token"; return 1; }
		i=$((i + 1))
	done
}
# Reader RN's certificate 0001 is DIR's id-cert, byte for byte; read with
# OpenSC's pkcs15-tool on that reader alone (pkcs11-tool would bind every
# card first).
card_of() { # N DIR
	local i
	i=$(reader_index $1)
	[ -n "$i" ] || { echo "no reader R$1"; return 1; }
	rm -f /tmp/c$1.der
	pkcs15-tool --reader "$i" --read-certificate 0001 >/tmp/c$1.pem 2>/tmp/c$1.err ||
		{ cat /tmp/c$1.err; return 1; }
	sed '/-----/d' /tmp/c$1.pem | base64 -d >/tmp/c$1.der || return 1
	cmp /tmp/c$1.der "$2/id-cert.der"
}
not_card_of() { ! cmp -s /tmp/c$1.der "$2/id-cert.der"; }

json_names() { # N
	ccid-gadget ctl --name r$1 status --json >/tmp/j.out || return 1
	cat /tmp/j.out
	grep -q "\"gadget\":\"r$1\",\"udc\":\"dummy_udc.$1\",\"udc_state\":\"configured\"" /tmp/j.out
}

card_gone_only_from() { # N TOTAL: reader RN has no card, the others have
	local i=0
	opensc-tool --list-readers >/tmp/readers.out 2>&1
	cat /tmp/readers.out
	while [ $i -lt $2 ]; do
		if [ $i = $1 ]; then
			grep -Eq "^[0-9]+ +No .*\(R$i\) " /tmp/readers.out || return 1
		else
			grep -Eq "^[0-9]+ +Yes .*\(R$i\) " /tmp/readers.out || return 1
		fi
		i=$((i + 1))
	done
}
wait_card_gone_only_from() { wait_for 10 card_gone_only_from "$@"; }

check "multi: dummy_hcd num=4 gives dummy_udc.0 .. dummy_udc.3" usb_load_n 4
udevd_start

# ---- two readers ----
check "multi: r0 (test card) enumerates on dummy_udc.0" reader_start 0 test
check "multi: r1 (CAC, nopin db) enumerates on dummy_udc.1" reader_start 1 "$(cac_spec /cards/nopin)"
check "multi: r0: gadget r0, ffs.r0 mounted at /run/ccid-gadget/r0.ffs, its socket" own_names 0
check "multi: r1: gadget r1, ffs.r1 mounted at /run/ccid-gadget/r1.ffs, its socket" own_names 1
check "multi: pcscd starts" pcscd_start
check "multi: two: pcscd lists exactly two readers" pcsc_client --expect-readers 2 --wait-reader 15
check "multi: two: OpenSC lists both readers, a card in each" wait_for 15 opensc_lists 2
check "multi: two: R0 holds the test card (ATR, ECHO)" test_card_at 0
check "multi: two: OpenSC's PKCS#11 module: two slots, R1's token is John Doe" p11_listed 2
check "multi: two: R1's certificate 0001 = nopin's" card_of 1 /cards/nopin

# ---- four readers ----
check "multi: r2 (CAC, pin db) enumerates on dummy_udc.2" reader_start 2 "$(cac_spec /cards/pin)"
check "multi: r3 (CAC, ec db) enumerates on dummy_udc.3" reader_start 3 "$(cac_spec /cards/ec)"
check "multi: four: pcscd lists exactly four readers" pcsc_client --expect-readers 4 --wait-reader 15
check "multi: four: OpenSC lists four readers, a card in each" wait_for 15 opensc_lists 4
check "multi: four: R0 still holds the test card" test_card_at 0
check "multi: four: OpenSC's PKCS#11 module: four slots, John Doe in R1, R2, R3" p11_listed 4
check "multi: four: R1: certificate 0001 = nopin's" card_of 1 /cards/nopin
check "multi: four: R2: certificate 0001 = pin's" card_of 2 /cards/pin
check "multi: four: R3: certificate 0001 = ec's" card_of 3 /cards/ec
# the three dbs really differ, or the checks above prove nothing
check "multi: four: R1's certificate is not pin's nor ec's" sh -c '! cmp -s /tmp/c1.der /cards/pin/id-cert.der && ! cmp -s /tmp/c1.der /cards/ec/id-cert.der'
check "multi: four: R2's certificate is not nopin's" not_card_of 2 /cards/nopin
for n in 0 1 2 3; do
	check "multi: four: ctl --name r$n status --json names r$n on dummy_udc.$n" json_names $n
done
check "multi: ctl --name r2 remove: only R2's card goes" ccid-gadget ctl --name r2 remove
check "multi: ... OpenSC: R2 empty, R0, R1, R3 still hold theirs" wait_card_gone_only_from 2 4
check "multi: ctl --name r2 insert: R2 has its card again" ccid-gadget ctl --name r2 insert
check "multi: ... OpenSC lists four readers, a card in each" wait_for 15 opensc_lists 4

dup_refused() {
	ccid-gadget --name r1 --udc dummy_udc.1 --card test >/tmp/dup.out 2>&1
	local rc=$?
	cat /tmp/dup.out
	[ $rc = 1 ] && grep -q "another ccid-gadget" /tmp/dup.out
}
check "multi: a second daemon named r1 is refused (exit 1, says who holds it)" dup_refused
check "multi: ... r1 still serves its reader" json_names 1
check "multi: ctl --name r9 (no such daemon) exits 3" sh -c 'ccid-gadget ctl --name r9 status; [ $? = 3 ]'

stop_all() {
	local p rc=0
	for p in $PIDS; do kill $p; done
	for p in $PIDS; do wait $p || rc=1; done
	PIDS=
	return $rc
}
pcscd_mark=$(pcscd_log_mark)
check "multi: SIGTERM: all four daemons exit 0" stop_all
check "multi: ... their gadgets are gone from configfs" sh -c '! ls -d /sys/kernel/config/usb_gadget/r* 2>/dev/null'
check "multi: ... pcscd lists no reader" pcscd_drops_reader $pcscd_mark 15

# ---- scripts/ccid-gadget-ci --mode native --------------------------------
native_ci() { # EXPECTED-RC ARGS...
	local want=$1 rc
	shift
	bash /ci/scripts/ccid-gadget-ci --mode native --artifacts /tmp/ci-art "$@" >/tmp/ci.out 2>&1
	rc=$?
	cat /tmp/ci.out
	[ "$rc" = "$want" ] || { echo "exit $rc, expected $want"; return 1; }
}
native_artefacts() {
	grep -q ' apdu: ' /tmp/ci-art/gadget.log && grep -q 'pcscdaemon.c' /tmp/ci-art/pcscd.log &&
		[ "$(head -c 4 /tmp/ci-art/ccid.pcap | od -An -tx1 | tr -d ' \n')" = d4c3b2a1 ] &&
		grep -q '^> 80EE' /tmp/ci-art/command.log
}
pcscd_stop
check "ci native: pcsc_client on the test card: exit 0 passed through" \
	native_ci 0 --card test -- pcsc_client --echo 8
check "ci native: ... artefacts: APDU lines, pcscd's debug log, a pcap, COMMAND's output" native_artefacts
check "ci native: a COMMAND that pulls the card (ctl --name ci remove) and exits 3: exit 3" \
	native_ci 3 --card test -- sh -c 'ccid-gadget ctl --name ci remove && pcsc_client --wait-absent 5 && exit 3'
check "ci native: --card cac --db DIR: pkcs11-tool -L shows John Doe: exit 0" \
	native_ci 0 --card cac --db /cards/nopin -- sh -c 'pkcs11-tool --module opensc-pkcs11.so -L | grep -q "token label *: John Doe"'
check "ci native: ... the gadget is gone from configfs" sh -c '! ls -d /sys/kernel/config/usb_gadget/* 2>/dev/null'
