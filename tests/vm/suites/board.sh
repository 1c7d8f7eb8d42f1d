# SPDX-License-Identifier: GPL-2.0-or-later
# On the board (issue 8), through real USB on dummy_hcd:
# 1. readiness as a Type=notify unit sees it: the daemon started with
#    NOTIFY_SOCKET (tests/tools/notify_listen plays systemd) sends READY=1
#    only once the gadget is bound to the UDC, STATUS=, and STOPPING=1 at
#    SIGTERM;
# 2. --pcap during whole sessions: the test card through opensc-tool and
#    PC/SC, and the emulated CAC card through OpenSC's PKCS#11 module
#    (token, certificates, a signature verified with openssl, a
#    decryption); each capture leaves the VM base64-encoded on the TAP
#    channel ("@@PCAP " / "@@PCAP-CAC " lines) and the bed-after step
#    dissects it with tshark on the build machine
#    (tests/vm/board-pcap-check);
# 3. -v: one line per APDU (command, status word, time);
# 0. scripts/board-setup on this (non-Pi) kernel: names what is missing
#    before the modules are loaded, says ready after;
# 4. coexistence: scripts/ecm-ccid-gadget builds one configuration with an
#    ECM function and ffs.ccid, `ccid-gadget --ffs` serves the CCID part; the
#    host binds cdc_ether to the one and pcscd/libccid to the other.
# The CAC card's fake NSS db comes from tests/vm/cards/make-dbs (as in
# cards.sh).
# bed-setup: tests/vm/cards/make-dbs
# bed: --name board --timeout 360 --add scripts/ecm-ccid-gadget:/bed/bin/ecm-ccid-gadget --add scripts/board-setup:/bed/bin/board-setup --add build/cards/nopin:/cards/nopin --add /usr/bin/openssl:/usr/bin/openssl
# bed-after: tests/vm/board-pcap-check build/vm/runs/board PCAP:test-card PCAP-CAC:cac

ATR=3B9A118031FE456363696467616467657498
AID=F043434944544301
NOTIFY=/run/notify.sock

notify_has() { grep -q "^notify [0-9]* $1" /tmp/notify.log; }
# READY=1 came, and the gadget's configfs UDC file named the UDC right then
ready_after_bind() {
	cat /tmp/notify.log
	notify_has READY=1 && grep -qx "at-ready $GADGET_CFS/UDC: $UDC" /tmp/notify.log
}
notify_listen_start() {
	notify_listen $NOTIFY "$@" >/tmp/notify.log 2>&1 3>&- 4<&- &
	NOTIFY_PID=$!
	wait_for 5 test -S $NOTIFY
}
notify_listen_exited_0() { wait "$NOTIFY_PID"; }
opensc_session() {
	opensc-tool --list-readers && opensc-tool --reader 0 --atr &&
		opensc-tool --reader 0 --name;
	opensc-tool --reader 0 --card-driver default --send-apdu 00A4040008$AID \
		--send-apdu 00CA0100 --send-apdu 80EE000004CAFEBABE >/tmp/opensc.out 2>&1
	local rc=$?
	cat /tmp/opensc.out
	[ $rc = 0 ] && grep -q 'SW1=0x90, SW2=0x00' /tmp/opensc.out
}
apdu_lines() {
	grep ' apdu: ' /tmp/gadget.log | tail -n 5
	grep -Eq 'info +apdu: \(0, [0-9]+\) 80 EE 00 00 Lc=4 -> 90 00 \(6 bytes\) in [0-9.]+ ms' /tmp/gadget.log &&
		grep -Eq 'info +apdu: \(0, [0-9]+\) 00 12 00 00 Le=256 -> 6D 00 \(2 bytes\) in ' /tmp/gadget.log
}
pcap_export() { # FILE MARKER: base64 on the TAP channel, for bed-after
	[ -s "$1" ] || return 1
	echo "pcap: $(wc -c <"$1") bytes"
	base64 "$1" | sed "s/^/@@$2 /" >&3
}
host_has_class() { grep -qx "$1" "$(host_dev)"/*:1.*/bInterfaceClass; }
host_netdev_cdc_ether() {
	local n
	for n in /sys/class/net/*; do
		[ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)")" = cdc_ether ] &&
			{ echo "host side: ${n##*/} (cdc_ether)"; return 0; }
	done
	return 1
}
gadget_netdev() { test -e /sys/class/net/usb0; }

if ! command -v ccid-gadget >/dev/null; then
	not_ok "board: build/ccid-gadget is in the image" "run make first"
	exit 1
fi
board_setup_after() {
	board-setup && grep -qx usb_f_fs /etc/modules-load.d/ccid-gadget.conf
}
check "board-setup --check before any USB module: exit 1, the UDC named missing" \
	sh -c 'board-setup --check | tee /dev/stderr | grep -q "^MISSING  UDC: /sys/class/udc is empty"'
check "board: modules load" usb_load high
check "board-setup: configfs, libcomposite, FunctionFS, UDC all there: ready (exit 0)" board_setup_after
check "board: systemd-udevd starts" udevd_start
check "board: pcscd starts" pcscd_start

# ---- 1-3: readiness, pcap, -v ------------------------------------------------
check "notify: listener up (plays systemd's NOTIFY_SOCKET)" notify_listen_start \
	--check-file $GADGET_CFS/UDC --timeout 120
export NOTIFY_SOCKET=$NOTIFY
check "notify: ccid-gadget --card test --pcap starts, host enumerates it" \
	gadget_start --card test -v --pcap /tmp/ccid.pcap
unset NOTIFY_SOCKET
check "notify: READY=1 arrives, with the gadget bound to $UDC at that moment" \
	wait_for 10 ready_after_bind
check "notify: STATUS= says the gadget is bound" notify_has "STATUS=08e6:4433 bound to $UDC"
check "notify: no STOPPING=1 while it runs" sh -c "! grep -q STOPPING=1 /tmp/notify.log"
check "session: pcscd + libccid list the reader" pcsc_client --wait-reader 10 --list --expect-readers 1
check "session: OpenSC: list readers, ATR, card name, SELECT / GET DATA / ECHO" opensc_session
check "session: PC/SC APDUs (SELECT, GET DATA, ECHO, GENERATE, bad INS)" \
	pcsc_client --wait-card 10 00A4040008$AID -e 9000 00CA0100 -e 43434944000000019000 \
	80EE000003010203 -e 0102039000 80EF000004 -e 000102039000 0012000000 -e 6D00
check "session: extended and exact-multiple messages (ECHO 4096, 1005; GENERATE 500)" \
	pcsc_client -q --protocol t1 --echo 4096 --echo 1005 --generate 500
check "-v: one line per APDU with command, status word and time" apdu_lines
check "notify: SIGTERM: daemon exits 0" gadget_stop
check "notify: STOPPING=1 arrives at SIGTERM" wait_for 5 notify_has STOPPING=1
check "notify: listener saw READY before STOPPING and exits 0" notify_listen_exited_0
check "pcap: capture exported for tshark (bed-after)" pcap_export /tmp/ccid.pcap PCAP
check "session: host sees the reader go" wait_for 10 host_gone

# ---- 2b: the CAC card through OpenSC's PKCS#11 module, captured --------------
. /bed/p11.sh
D=/cards/nopin
printf "ccid-gadget board suite: signed through the USB reader\n" >/tmp/msg
# personality=cac: p11.sh's checks read OpenSC's CAC view (IDs 0001..0003, any PIN); the default cac+piv card is piv.sh's
CAC_SPEC="emulated,backend=certificates,db=sql:$D,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac"
check "cac: ccid-gadget --card emulated,backend=certificates --pcap starts" \
	gadget_start -v --card "$CAC_SPEC" --pcap /tmp/cac.pcap
check "cac: pkcs11-tool -L: token 'John Doe', Common Access Card" token_listed
check "cac: pkcs11-tool -O: the three certificates" three_certs_listed
check "cac: SHA256-RSA-PKCS signature verifies with openssl" sign_and_verify $ANY_PIN $D
check "cac: RSA-PKCS decryption round-trips openssl's encryption" decrypt_round_trip $ANY_PIN $D
check "cac: -v lines for the CAC APDUs (SELECT answered 90 00)" \
	grep -Eq 'info +apdu: \(0, [0-9]+\) 00 A4 04 00 Lc=[0-9]+ -> 90 00 \([0-9]+ bytes\) in [0-9.]+ ms' /tmp/gadget.log
M=$(pcscd_log_mark)
check "cac: SIGTERM: daemon exits 0" gadget_stop
check "cac: pcscd drops the reader" pcscd_drops_reader "$M"
check "cac: capture exported for tshark (bed-after)" pcap_export /tmp/cac.pcap PCAP-CAC
check "cac: host sees the reader go" wait_for 10 host_gone

# ---- 4: ECM + CCID in one configuration --------------------------------------
ecm_load() { bed_modprobe usb_f_ecm && bed_modprobe cdc_ether; }
ecm_up() {
	FFS=$(ecm-ccid-gadget up) || return 1
	echo "FunctionFS at $FFS"
	ls /sys/kernel/config/usb_gadget/ccid-ecm/configs/c.1
	test -e "$FFS/ep0"
}
ffs_daemon_start() {
	echo "+ ccid-gadget $*" >>/tmp/gadget.log
	NOTIFY_SOCKET=$NOTIFY ccid-gadget "$@" >>/tmp/gadget.log 2>&1 3>&- 4<&- &
	GADGET_PID=$!
}
three_interfaces() { grep -q '^ *3$' "$(host_dev)/bNumInterfaces"; }
ecm_gone() { ecm-ccid-gadget down && ! test -e /sys/kernel/config/usb_gadget/ccid-ecm; }

check "ecm: usb_f_ecm (gadget side) and cdc_ether (host side) load" ecm_load
check "ecm: scripts/ecm-ccid-gadget up: ecm.usb0 + ffs.ccid in configuration c.1, FunctionFS mounted" ecm_up
check "ecm: listener up" notify_listen_start --timeout 120
ffs_daemon_start --ffs "$FFS" --card test -v --pcap /tmp/ecm.pcap
check "ecm: ccid-gadget --ffs: READY=1 once its descriptors are written (the UDC is bound after)" \
	wait_for 10 notify_has READY=1
check "ecm: STATUS= tells to bind the UDC" notify_has "STATUS=FunctionFS at $FFS: descriptors written, bind the UDC"
check "ecm: ecm-ccid-gadget bind $UDC" ecm-ccid-gadget bind $UDC
check "ecm: host enumerates the composite device" wait_enumerated 30
check "ecm: STATUS= follows the bind (FunctionFS BIND event)" \
	wait_for 5 notify_has "STATUS=FunctionFS at $FFS: bound to the UDC"
check "ecm: host sees three interfaces (CDC control, CDC data, CCID)" three_interfaces
check "ecm: host sees a CDC (02) and a smart-card (0b) interface" \
	sh -c "grep -qx 02 $(host_dev)/*:1.*/bInterfaceClass && grep -qx 0b $(host_dev)/*:1.*/bInterfaceClass"
check "ecm: cdc_ether gives the host a network interface" wait_for 10 host_netdev_cdc_ether
check "ecm: the board side has its usb0" gadget_netdev
check "ecm: pcscd + libccid list the reader next to the ECM function" \
	pcsc_client --wait-reader 10 --list --expect-readers 1
check "ecm: APDUs through the CCID function (SELECT, ECHO)" \
	pcsc_client --wait-card 10 00A4040008$AID -e 9000 80EE000003010203 -e 0102039000
check "ecm: OpenSC session on it" opensc_session
check "ecm: SIGTERM: daemon exits 0" gadget_stop
check "ecm: STOPPING=1 arrives" wait_for 5 notify_has STOPPING=1
check "ecm: ecm-ccid-gadget down removes the gadget" ecm_gone
