# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon built with ASan + UBSan (make SAN=1: build/asan/ccid-gadget)
# in the VM bed, under the hostile suites' load (issue 7): the malformed-
# CCID battery (ccid_raw), UDC rebinds and card churn with APDUs in
# flight, a passthru client killed mid-session and garbage on its port.
# Any sanitizer report fails (halt_on_error: the daemon dies and says
# why; the report lands in /tmp/asan.*), and so does a leak at exit
# (detect_leaks: LeakSanitizer at SIGTERM).
# bed-setup: tests/vm/cards/make-dbs
# bed: --timeout 600 --add build/asan/ccid-gadget:/bed/bin/ccid-gadget-asan --add build/cards/nopin:/cards/nopin

G=asan
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:log_path=/tmp/asan
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=/tmp/ubsan
GADGET_BIN=ccid-gadget-asan
EMUL="db=\"sql:/cards/nopin\" use_hw=no soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)"

no_reports() {
	local f found=0
	for f in /tmp/asan.* /tmp/ubsan.*; do
		[ -e "$f" ] || continue
		found=1
		echo "===== $f"
		cat "$f"
	done
	[ $found = 0 ]
}
ccid_raw_all() { # ccid_raw's TAP lines as one check
	ccid_raw "$@" >/tmp/raw.out 2>&1
	local rc=$?
	cat /tmp/raw.out
	[ $rc = 0 ] && ! grep -q '^not ok' /tmp/raw.out
}

command -v ccid-gadget-asan >/dev/null || { not_ok "$G: build/asan/ccid-gadget is in the image" "make SAN=1 build/asan/ccid-gadget"; exit 1; }
check "$G: modules load" usb_load high
check "$G: systemd-udevd starts" udevd_start
check "$G: the ASan daemon starts with the test card" gadget_start --card test
check "$G: malformed CCID battery (ccid_raw, no pcscd): all answered in step" \
	ccid_raw_all --quick lengths headers short slots flood
check "$G: ... no sanitizer report" no_reports
check "$G: pcscd starts" pcscd_start
loop_start
i=0 bad=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	udc_unbind; wait_for 10 host_gone || bad=$((bad + 1))
	udc_bind; wait_enumerated 20 || bad=$((bad + 1))
	ccid-gadget ctl remove >/dev/null; ccid-gadget ctl insert >/dev/null
done
check "$G: the APDU client through it: no wrong answer, no hang" loop_stop
check "$G: 10 rebinds and card cycles with APDUs in flight: the reader comes back" test $bad = 0
check "$G: ... an APDU afterwards" wait_for 30 pcsc_client -q --wait-reader 5 --wait-card 5 --echo 64
check "$G: ... no sanitizer report" no_reports
M=$(pcscd_log_mark)
check "$G: SIGTERM: exit 0, no leak reported (LeakSanitizer)" gadget_stop
check "$G: ... no sanitizer report" no_reports
check "$G: ... pcscd drops the reader" pcscd_drops_reader "$M"

# passthru: a client that vanishes, garbage, a second client
PORT=35963
echo "+ ccid-gadget-asan --card passthru,listen=127.0.0.1:$PORT" >>/tmp/gadget.log
ccid-gadget-asan --card passthru,listen=127.0.0.1:$PORT >>/tmp/gadget.log 2>&1 3>&- 4<&- &
GADGET_PID=$!
check "$G: passthru: the ASan daemon listens" wait_for 10 test -S /run/ccid-gadget.sock
ccid-vscclient -n -e "$EMUL" 127.0.0.1 $PORT </dev/null >/tmp/vsc.log 2>&1 &
VSC=$!
check "$G: passthru: the client's reader is plugged in" wait_enumerated 30
check "$G: passthru: the card answers" pcsc_client --wait-reader 15 --wait-card 15 --atr
ccid-vscclient -n -e "$EMUL" 127.0.0.1 $PORT </dev/null >/tmp/vsc2.log 2>&1
kill -9 $VSC; wait $VSC 2>/dev/null
check "$G: passthru: the killed client's reader is unplugged" wait_for 20 host_gone
printf 'GARBAGE\000\000\000\001\377\377\377\377\377\377\377\377' | timeout 5 nc 127.0.0.1 $PORT >/dev/null 2>&1
sleep 1
check "$G: passthru: after a second client, a killed one and garbage: alive" alive "$GADGET_PID"
check "$G: passthru: ... no sanitizer report" no_reports
check "$G: passthru: SIGTERM: exit 0, no leak reported" gadget_stop
check "$G: passthru: ... no sanitizer report" no_reports
