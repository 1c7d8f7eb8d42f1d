# SPDX-License-Identifier: GPL-2.0-or-later
# --user (issue 7, "Privileges"): after set-up the daemon runs as an
# unprivileged user; a helper forked before anything else keeps root to
# bind and unbind the UDC and to remove the gadget (gadget/daemon/privsep.h).
# Shown here through real USB: who each process is, what each holds, the
# FunctionFS files' owner, the control socket's mode, ctl detach/attach
# and a passthru reader (both bind through the helper), a root-only NSS
# db, SIGTERM and kill -9 (the helper removes the gadget), bad --user.
# bed-setup: tests/vm/cards/make-dbs
# bed: --timeout 420 --add build/cards/nopin:/cards/nopin --add /usr/bin/openssl:/usr/bin/openssl
. /bed/p11.sh

G=privsep
GADGET_DIR=/sys/kernel/config/usb_gadget/ccid-gadget
FFS=/run/ccid-gadget/ccid-gadget.ffs
CTL=/run/ccid-gadget.sock
PORT=35971
# The daemon's user, and someone else.
echo 'ccidg:x:990:990:ccid-gadget:/nonexistent:/bin/false' >>/etc/passwd
echo 'ccidg:x:990:' >>/etc/group
echo 'other:x:991:991:other:/:/bin/sh' >>/etc/passwd
echo 'other:x:991:' >>/etc/group
echo "ccid-gadget signs this for the privsep suite" >/tmp/msg

# "Uid:" / "Gid:" lines: real, effective, saved, fs all equal to $2.
ids_are() { # PID UID GID
	awk -v u="$2" -v g="$3" '
		/^Uid:/ { if ($2 != u || $3 != u || $4 != u || $5 != u) bad = 1 }
		/^Gid:/ { if ($2 != g || $3 != g || $4 != g || $5 != g) bad = 1 }
		/^Groups:/ { for (i = 2; i <= NF; i++) if ($i == 0) bad = 1 }
		/^CapEff:/ { if (u != 0 && $2 != "0000000000000000") bad = 1 }
		END { exit bad }' "/proc/$1/status" || { cat "/proc/$1/status"; return 1; }
}
helper_pid() { sed -n 's/.*helper pid \([0-9][0-9]*\) keeps root.*/\1/p' /tmp/gadget.log | tail -n 1; }
# The helper holds no USB endpoint, no card and no network socket: only
# stdio, its socketpair and the run-dir lock.
helper_holds_little() { # PID
	ls -l "/proc/$1/fd"
	! ls -l "/proc/$1/fd" | grep -q "$FFS" &&
		! ls -l "/proc/$1/fd" | grep -q "/cards/" &&
		[ "$(ls /proc/$1/fd | wc -l)" -le 6 ]
}
daemon_holds_ep0() { ls -l "/proc/$1/fd" | grep -q "$FFS/ep0"; }
owner_is() { # PATH UID GID
	[ "$(stat -c '%u %g' "$1")" = "$2 $3" ] || { ls -ln "$1"; return 1; }
}
mode_is() { # PATH OCTAL
	[ "$(stat -c '%a' "$1")" = "$2" ] || { ls -ln "$1"; return 1; }
}
gadget_removed() { [ ! -e "$GADGET_DIR" ] && ! grep -q " $FFS " /proc/mounts; }
helper_is_root_child() { # PID
	[ "$(awk '/^PPid:/ { print $2 }' "/proc/$1/status")" = "$GADGET_PID" ] &&
		ids_are "$1" 0 0
}
other_refused() {
	! su -s /bin/sh other -c 'ccid-gadget ctl status' >/tmp/other.out 2>&1 || return 1
	cat /tmp/other.out
	grep -q 'ermission denied' /tmp/other.out
}
detach_gone() { ccid-gadget ctl detach && wait_for 10 host_gone; }
attach_back() { ccid-gadget ctl attach && wait_enumerated 20; }
# The host must see the card gone before it comes back: a swap faster
# than pcscd polls leaves pcscd holding the old card's powered state, and
# the next transmit to the new, unpowered card fails (libccid maps the
# failed XfrBlock to IFD_COMMUNICATION_ERROR, as with any reader).
churn() {
	ccid-gadget ctl remove >/dev/null && pcsc_client --wait-absent 10 &&
		ccid-gadget ctl insert >/dev/null
}
detach_refused() {
	! ccid-gadget ctl detach >/tmp/det.out 2>&1 || return 1
	cat /tmp/det.out
	grep -q 'helper is gone' /tmp/det.out
}
eps_owned() {
	local e
	for e in "$FFS"/ep1 "$FFS"/ep2 "$FFS"/ep3; do
		owner_is "$e" 990 990 || return 1
	done
}
listening() { netstat -ltn 2>/dev/null | grep -q "127.0.0.1:$PORT "; }
no_reader_yet() { sleep 1; host_gone; }
gone() { ! kill -0 "$1" 2>/dev/null; }
ctl_status_ok() { ccid-gadget ctl status | grep -q 'slot 0'; }
apdu() { pcsc_client -q --wait-reader 10 --wait-card 10 --echo 64; }
# exit status and one line on stderr
fails_with() { # RC TEXT CMD...
	local want=$1 text=$2 rc
	shift 2
	"$@" >/tmp/fail.out 2>&1 3>&- 4<&-
	rc=$?
	cat /tmp/fail.out
	[ $rc = "$want" ] && [ "$(wc -l </tmp/fail.out)" = 1 ] &&
		grep -q "$text" /tmp/fail.out
}

check "$G: modules load" usb_load high
check "$G: systemd-udevd starts" udevd_start
check "$G: pcscd starts" pcscd_start

# ---- the test card ----
check "$G: --user ccidg: the daemon starts and the host enumerates it" \
	gadget_start --user ccidg --card test
H=$(helper_pid)
check "$G: the log names the helper's pid" test -n "$H"
check "$G: the daemon runs as ccidg: uid and gid 990 (real, effective, saved), no root group, no capability" \
	ids_are "$GADGET_PID" 990 990
check "$G: the helper is root and the daemon's child" helper_is_root_child "$H"
check "$G: the helper holds no endpoint, no card, no socket but its own" helper_holds_little "$H"
check "$G: the daemon holds FunctionFS ep0" daemon_holds_ep0 "$GADGET_PID"
check "$G: FunctionFS is mounted for ccidg: ep0 owned by 990:990 (uid=/gid= mount options)" \
	owner_is "$FFS/ep0" 990 990
check "$G: ... the bulk and interrupt endpoints too" eps_owned
check "$G: the control socket is 0600, owned by ccidg" owner_is "$CTL" 990 990
check "$G: ... mode 600" mode_is "$CTL" 600
check "$G: an APDU through pcscd + libccid" apdu
check "$G: ctl status works for root" ctl_status_ok
check "$G: another user cannot use the control socket" other_refused
check "$G: ctl detach (unbind through the helper): the host loses the reader" detach_gone
check "$G: ctl attach (bind through the helper): it comes back" attach_back
check "$G: ... and answers" apdu
check "$G: ctl remove / insert as before" churn
check "$G: ... and answers" apdu
M=$(pcscd_log_mark)
check "$G: SIGTERM: exit 0" gadget_stop
check "$G: ... the helper removed the gadget and unmounted FunctionFS" gadget_removed
check "$G: ... and the control socket" test ! -e "$CTL"
check "$G: ... and exited" wait_for 5 gone "$H"
check "$G: ... the host lost the reader" wait_for 10 host_gone
check "$G: ... pcscd drops the reader" pcscd_drops_reader "$M"

# ---- kill -9: the helper cleans up; a new daemon starts at once ----
check "$G: kill -9: a --user daemon starts" gadget_start --user ccidg --card test
H=$(helper_pid)
M=$(pcscd_log_mark)
kill -9 "$GADGET_PID"; wait "$GADGET_PID" 2>/dev/null; GADGET_PID=
check "$G: kill -9 of the daemon: the helper removes the gadget" wait_for 10 gadget_removed
check "$G: ... and exits" wait_for 5 gone "$H"
# Before the next daemon: a client that finds the killed one's reader
# still listed gets SCARD_E_READER_UNAVAILABLE (a fresh clone's make
# check, 2026-12-03).
check "$G: ... pcscd drops the killed daemon's reader" pcscd_drops_reader "$M"
check "$G: ... a new daemon starts and serves the host" gadget_start --user ccidg --card test
check "$G: ... and answers" apdu
H=$(helper_pid)
kill -9 "$H"; sleep 0.5
check "$G: the helper killed: the daemon goes on serving" apdu
check "$G: ... ctl detach fails with a clear message" detach_refused
check "$G: ... SIGTERM still exits 0" gadget_stop
# The gadget the killed helper left: the next start removes it.
check "$G: ... the next start removes what was left and serves" gadget_start --user ccidg --card test
check "$G: ... and answers" apdu
M=$(pcscd_log_mark)
check "$G: ... SIGTERM: exit 0" gadget_stop
check "$G: ... gadget removed" gadget_removed
check "$G: ... pcscd drops the reader" pcscd_drops_reader "$M"

# ---- a root-only NSS db, the libcacard card ----
chown -R 0:0 /cards/nopin; chmod 0700 /cards/nopin; chmod 0600 /cards/nopin/*
check "$G: a root-only NSS db (0700 dir, 0600 files): ccidg cannot read it" \
	sh -c "! su -s /bin/sh ccidg -c 'cat /cards/nopin/key4.db' >/dev/null 2>&1"
check "$G: --user ccidg with the emulated card over that db: opened before the drop, the host sees the card" \
	# personality=cac: p11.sh's checks read OpenSC's CAC view (IDs 0001..0003, any PIN); the default cac+piv card is piv.sh's
	gadget_start -v --user ccidg --card "emulated,backend=certificates,db=sql:/cards/nopin,cert1=id-cert,cert2=signing-cert,cert3=encryption-cert,personality=cac"
check "$G: ... OpenSC lists the three certificates" three_certs_listed
check "$G: ... signs with the card's key (any PIN); openssl verifies" sign_and_verify $ANY_PIN /cards/nopin
check "$G: ... the db watch says once it cannot see the root-only db as uid 990 (-v)" \
	grep -q "not readable by uid 990 (opened before the daemon dropped root)" /tmp/gadget.log
check "$G: ... and raises no false 'no longer readable' warning" sh -c "! grep -q 'no longer readable' /tmp/gadget.log"
check "$G: ... card remove / insert" churn
check "$G: ... signs" wait_for 20 sign_and_verify $ANY_PIN /cards/nopin
check "$G: ... SIGTERM: exit 0" gadget_stop
gadget_stop_diag

# ---- passthru: the client's ReaderAdd binds the UDC through the helper ----
echo "+ ccid-gadget --user ccidg --card passthru,listen=127.0.0.1:$PORT" >>/tmp/gadget.log
ccid-gadget --user ccidg --card passthru,listen=127.0.0.1:$PORT >>/tmp/gadget.log 2>&1 3>&- 4<&- &
GADGET_PID=$!
check "$G: passthru: the daemon listens (loopback only)" wait_for 10 listening
check "$G: passthru: no reader before a client" no_reader_yet
ccid-vscclient -n -e "db=\"sql:/cards/nopin\" use_hw=no soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)" \
	127.0.0.1 $PORT </dev/null >/tmp/vsc.log 2>&1 &
VSC=$!
check "$G: passthru: the client's reader is plugged in (bind through the helper)" wait_enumerated 30
check "$G: passthru: the card answers" pcsc_client --wait-reader 15 --wait-card 15 --atr --expect-atr $CAC_ATR
kill "$VSC"; wait "$VSC" 2>/dev/null
check "$G: passthru: the client gone, the reader is unplugged (unbind through the helper)" wait_for 20 host_gone
check "$G: passthru: SIGTERM: exit 0" gadget_stop
check "$G: passthru: gadget removed" gadget_removed

# ---- bad --user ----
check "$G: --user nosuch: exit 2, one line" fails_with 2 "no user 'nosuch'" ccid-gadget --user nosuch --card test
check "$G: ... nothing created" gadget_removed
check "$G: --user root: exit 2, one line" fails_with 2 "is root" ccid-gadget --user root --card test
check "$G: --user started by a non-root user: exit 2, one line" \
	fails_with 2 "needs the daemon started as root" su -s /bin/sh other -c "ccid-gadget --user ccidg --card test --ctl /tmp/o.sock"
