# SPDX-License-Identifier: GPL-2.0-or-later
# The emulated card's NSS db failing under the running daemon (issue 7,
# "Backend faults"), and the private-key mode warning ("Privileges").
#
# NSS opens cert9.db and key4.db at start-up and keeps them open, and
# libcacard keeps the card it built, so (tests/unit/test_vcg_dbfaults.c
# has the details, also for an unreadable db under an unprivileged uid):
#  - the db directory moved away, then its files deleted, while a PC/SC
#    client loops CAC APDUs: the host keeps getting answers, `ctl remove`
#    and `ctl insert` take the same card out and put it back, signing
#    with pkcs11-tool still works, the daemon logs one line when it sees
#    the db gone (and one when it is back, or replaced by copies), and a
#    second start at that moment exits 2 with one line naming the path;
#  - after the db is restored, a restart works and says nothing about it;
#  - a start with the db missing exits 2 with one line naming the path;
#  - key4.db readable by others (0644): one warning line in the daemon's
#    log with the fix; 0600: none.
# bed-setup: tests/vm/cards/make-dbs
# bed: --timeout 300 --add build/cards/nopin:/cards/nopin --add /usr/bin/openssl:/usr/bin/openssl

. /bed/p11.sh

G=faults
REF=/cards/nopin       # untouched: the certificates to verify against
D=/tmp/nssdb           # the card's db: a copy, moved and deleted below
SAVED=/tmp/nssdb-saved # the backup its files are restored from

spec_for() { # DIR
	# personality=cac: p11.sh's checks read OpenSC's CAC view (IDs 0001..0003, any PIN); the default cac+piv card is piv.sh's
	echo "emulated,backend=certificates,db=sql:$1,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac"
}

# ---- helpers ----

log_lines() { if [ -f /tmp/gadget.log ]; then wc -l </tmp/gadget.log; else echo 0; fi; }
# exactly one line after line MARK of the daemon's log holds TEXT
one_line_since() { # MARK TEXT
	local n
	n=$(tail -n +$(($1 + 1)) /tmp/gadget.log | grep -cF "$2")
	[ "$n" = 1 ] || { echo "$n lines with: $2"; tail -n +$(($1 + 1)) /tmp/gadget.log | tail -n 20; return 1; }
}
# nothing after line MARK mentions the NSS db
no_db_line_since() { # MARK
	! tail -n +$(($1 + 1)) /tmp/gadget.log | grep -F 'NSS db'
}

apdus() { ccid-gadget ctl status | sed -n 's/^slot 0: .*, apdus \([0-9]*\),.*/\1/p'; }
apdus_above() { [ "$(apdus)" -gt "$1" ]; }
# the host's loop is getting answers: 20 more APDUs within 15 s
apdus_flow() {
	local a
	a=$(apdus) || return 1
	[ -n "$a" ] || { ccid-gadget ctl status; return 1; }
	wait_for 15 apdus_above $((a + 20)) || { echo "stuck at $(apdus) APDUs (was $a)"; return 1; }
}

# A PC/SC client looping CAC APDUs (lib.sh's loop_start, with the CAC
# card's instead of the test card's): SELECT the first PKI applet
# (libcacard answers 61 0D), GET RESPONSE, READ BUFFER of its tag and
# value lengths. It reconnects after PC/SC errors (a removed card) and
# fails only on a wrong answer.
cac_loop_start() {
	loop_start 00A4040007A0000000790100 --expect-sw 610D \
		00C000000D --expect-sw 9000 \
		80520000020102 -e 0A009000 \
		80520000020202 --expect-len 2 --expect-sw 9000
}

# ctl remove, the card out; ctl insert, the card in (ctl status)
remove_insert() {
	ccid-gadget ctl remove || return 1
	wait_for 10 card_in_status absent || { echo "not absent after ctl remove"; return 1; }
	ccid-gadget ctl insert || return 1
	wait_for 10 card_in_status present || { echo "not present after ctl insert"; return 1; }
}

# A start that must fail before any USB: exit 2, one line on stderr holding
# TEXT. Its own control socket, so a running daemon is left alone.
start_fails() { # TEXT SPEC
	ccid-gadget --ctl /tmp/second.sock --card "$2" >/tmp/bad.out 2>/tmp/bad.err
	local rc=$?
	cat /tmp/bad.out /tmp/bad.err
	[ $rc = 2 ] || { echo "exit $rc, expected 2"; return 1; }
	[ "$(wc -l </tmp/bad.err)" = 1 ] || { echo "not one line on stderr"; return 1; }
	grep -qF "$1" /tmp/bad.err || { echo "the line does not say: $1"; return 1; }
}

# ---- the bed ----

for f in ccid-gadget openssl pcsc_client; do
	command -v $f >/dev/null || { not_ok "$G: $f is in the image" "see the # bed: line"; exit 1; }
done
check "$G: modules load" usb_load high
check "$G: systemd-udevd starts" udevd_start
check "$G: pcscd starts" pcscd_start
echo "ccid-gadget signs this through a db fault" >/tmp/msg
rm -rf $D $D.moved $SAVED
cp -a $REF $D && mkdir -p $SAVED && cp $D/cert9.db $D/key4.db $SAVED/

check "$G: a start with the db directory missing exits 2, one line naming it" \
	start_fails "NSS db directory '$D.missing' does not exist" "$(spec_for $D.missing)"
check "$G: ... no gadget was made" sh -c '[ -z "$(ls /sys/kernel/config/usb_gadget/ 2>/dev/null)" ]'

# ---- key4.db readable by others: one warning with the fix ----

chmod 644 $D/key4.db
MARK=$(log_lines)
check "$G: the daemon starts with the emulated card, key4.db mode 0644" \
	gadget_start --card "$(spec_for $D)"
check "$G: ... its log warns once that key4.db is readable by others, with the chmod that fixes it" \
	wait_for 10 one_line_since $MARK "warn   card: emulated card slot 0: NSS db private keys '$D/key4.db' are readable by others (mode 0644): fix: chmod o-rw $D/key4.db"
chmod 600 $D/key4.db
check "$G: the host sees libcacard's card" \
	pcsc_client --wait-reader 10 --wait-card 10 --atr --expect-atr $CAC_ATR

# ---- (a) the db directory moved away while the host loops ----

cac_loop_start
check "$G: the host's CAC APDU loop gets answers" apdus_flow
mv $D $D.moved
check "$G: db moved away: the host keeps getting answers" apdus_flow
check "$G: db moved away: ctl remove takes the card out, ctl insert puts it back" remove_insert
check "$G: db moved away: the host gets answers from the re-inserted card" apdus_flow
check "$G: db moved away: one log line says the db is gone and the card goes on" \
	one_line_since $MARK "emulated card slot 0: NSS db directory '$D' is gone (No such file or directory): the card goes on with what NSS has open; a daemon restart would fail until it is back"
check "$G: db moved away: the APDU loop saw no wrong answer and no hang" loop_stop
check "$G: db moved away: pkcs11-tool still signs, openssl verifies (NSS has the files open)" \
	sign_and_verify $ANY_PIN $REF
check "$G: db moved away: a second start exits 2, one line naming the path" \
	start_fails "NSS db directory '$D' does not exist" "$(spec_for $D)"
check "$G: db moved away: the daemon runs on" alive "$GADGET_PID"
mv $D.moved $D
check "$G: db moved back: remove and insert" remove_insert
check "$G: db moved back: one log line says it is back" \
	one_line_since $MARK "notice card: emulated card slot 0: NSS db '$D' is back as the card opened it"

# ---- (b) its files deleted while the host loops ----

cac_loop_start
check "$G: the host's CAC APDU loop gets answers again" apdus_flow
rm $D/cert9.db $D/key4.db
check "$G: db files deleted: the host keeps getting answers" apdus_flow
check "$G: db files deleted: ctl remove takes the card out, ctl insert puts it back" remove_insert
check "$G: db files deleted: the host gets answers from the re-inserted card" apdus_flow
check "$G: db files deleted: one log line says cert9.db is gone" \
	one_line_since $MARK "emulated card slot 0: NSS db file '$D/cert9.db' is gone (No such file or directory): the card goes on with what NSS has open; a daemon restart would fail until it is back"
check "$G: db files deleted: the APDU loop saw no wrong answer and no hang" loop_stop
check "$G: db files deleted: pkcs11-tool still signs, openssl verifies" \
	sign_and_verify $ANY_PIN $REF
check "$G: db files deleted: a second start exits 2, one line naming the path" \
	start_fails "'$D' has no cert9.db" "$(spec_for $D)"
cp $SAVED/cert9.db $SAVED/key4.db $D/ && chmod 600 $D/cert9.db $D/key4.db
check "$G: db files restored from a copy: remove and insert" remove_insert
check "$G: db files restored from a copy: one log line asks for a restart to load them" \
	one_line_since $MARK "emulated card slot 0: NSS db file '$D/cert9.db' was replaced while in use: the card goes on with the one it opened; restart the daemon to load the new one"
check "$G: the daemon ran through it all" alive "$GADGET_PID"
check "$G: SIGTERM: exit 0" gadget_stop

# ---- restored: a restart works, key4.db 0600 gives no warning ----

MARK=$(log_lines)
check "$G: restored db: the daemon starts again (key4.db 0600)" gadget_start --card "$(spec_for $D)"
check "$G: restored db: the host sees the card" \
	pcsc_client --wait-reader 10 --wait-card 10 --atr --expect-atr $CAC_ATR
check "$G: restored db: pkcs11-tool signs, openssl verifies" sign_and_verify $ANY_PIN $REF
check "$G: restored db: the log says nothing about the db (no key4.db warning at 0600)" \
	no_db_line_since $MARK
check "$G: restored db: SIGTERM: exit 0" gadget_stop
