#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make install into a DESTDIR: every file where PREFIX/SYSCONFDIR/UNITDIR
# say (with the scripts docs/board.md uses and the docs; the man page's doc
# paths where the docs went); `make daemon` and `make install` build only
# the daemon and the client (no test, tool or fuzz replay); the units' paths filled in (Type=notify, restart on failure,
# WantedBy=usb-gadget.target), an existing config file kept, the installed
# config read by the installed daemon; and the docs complete: every option
# --help lists is in the man page.
set -uo pipefail
cd "$(dirname "$0")/../.."
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
t() { local name=$1; shift; if "$@"; then echo "ok - install: $name"; else echo "not ok - install: $name"; fi; }

if ! make -s install DESTDIR="$d" PREFIX=/usr >"$d.log" 2>&1; then
	echo "not ok - install: make install DESTDIR PREFIX=/usr failed"
	sed 's/^/# /' "$d.log" | tail -n 10
	exit 1
fi
rm -f "$d.log"
files="usr/sbin/ccid-gadget usr/sbin/ccid-gadget-board-setup usr/sbin/ecm-ccid-gadget
usr/sbin/ccid-gadget-import-p12
usr/bin/ccid-gadget-make-fake-smartcard usr/bin/ccid-gadget-make-tls-certs
usr/share/man/man8/ccid-gadget.8 usr/share/doc/ccid-gadget/board.md usr/share/doc/ccid-gadget/README.md
lib/systemd/system/ccid-gadget.service lib/systemd/system/ccid-gadget-ecm.service
etc/ccid-gadget.conf etc/ccid-gadget-ecm.conf"
miss=
for f in $files; do [ -e "$d/$f" ] || miss="$miss $f"; done
t "make install DESTDIR PREFIX=/usr puts every file in place${miss:+ (missing:$miss)}" [ -z "$miss" ]
[ -e vcard-glue/client/main.c ] && t "the VSCard client too" test -x "$d/usr/bin/ccid-vscclient"
for f in docs/*.md; do [ -e "$d/usr/share/doc/ccid-gadget/${f#docs/}" ] || miss="$miss $f"; done
t "every docs/*.md in PREFIX/share/doc/ccid-gadget${miss:+ (missing:$miss)}" [ -z "$miss" ]
# the man page's doc paths: where install put the docs, for two PREFIXes
docpaths() { grep -o '/[a-z/]*share/doc/ccid-gadget/[A-Za-z.-]*[A-Za-z]' "$1" | sort -u; }
manpaths_exist() { # DESTDIR PREFIX
	local p n=0
	for p in $(docpaths "$1$2/share/man/man8/ccid-gadget.8"); do
		case "$p" in "$2"/share/doc/ccid-gadget/*) ;; *) echo "# outside $2: $p"; return 1 ;; esac
		[ -e "$1$p" ] || { echo "# not installed: $p"; return 1; }
		n=$((n + 1))
	done
	[ $n -gt 0 ]
}
t "the installed man page's doc paths (PREFIX=/usr) are installed files" manpaths_exist "$d" /usr
make -s install DESTDIR="$d/local" PREFIX=/usr/local >/dev/null 2>&1
t "the same with PREFIX=/usr/local: /usr/local/share/doc/ccid-gadget" manpaths_exist "$d/local" /usr/local
mkdir -p "$d/nodocs/usr/share/man/man8"
cp "$d/usr/share/man/man8/ccid-gadget.8" "$d/nodocs/usr/share/man/man8/"
t "checker: manpaths_exist refuses a doc path with no file behind it" eval '! manpaths_exist "$d/nodocs" /usr >/dev/null'
# the board-sized build: what `make daemon` and `make install` would run
built_by() { # TARGET...: the objects and programs make would build into an empty BUILD
	make -n BUILD="$d/empty-build" "$@" DESTDIR="$d/n" 2>&1 | grep -o -- '-o [^ ]*' | sed "s|-o $d/empty-build/||"
}
only_daemon() {
	local out
	out=$(built_by "$@")
	grep -qx ccid-gadget <<<"$out" && grep -qx ccid-vscclient <<<"$out" &&
		! grep -Eq '^(tests|fuzz|fuzz-replay|bench)/|^tests/|test_' <<<"$out"
}
t "make daemon: the daemon and the client, no test, tool or fuzz replay" only_daemon daemon
t "make board: the same" only_daemon board
t "make install builds only what make daemon does" only_daemon install
t "checker: only_daemon sees the tests in make all" eval '! only_daemon all'
u=$d/lib/systemd/system/ccid-gadget.service
t "unit: Type=notify, Restart=on-failure, WantedBy=usb-gadget.target" \
	sh -c "grep -qx Type=notify $u && grep -qx Restart=on-failure $u && grep -qx WantedBy=usb-gadget.target $u"
t "unit: ExecStart is the installed daemon with the installed config" \
	grep -qx 'ExecStart=/usr/sbin/ccid-gadget --config /etc/ccid-gadget.conf' "$u"
t "units: no @PLACEHOLDER@ left" sh -c "! grep -qE '@[A-Z_]+@' $d/lib/systemd/system/*.service"
# systemd's own parser over the units, installed where their paths are real
if command -v systemd-analyze >/dev/null; then
	v=$d/verify
	make -s install PREFIX=$v/usr SYSCONFDIR=$v/etc UNITDIR=$v/unit >/dev/null 2>&1
	for unit in ccid-gadget ccid-gadget-ecm; do
		out=$(systemd-analyze verify "$v/unit/$unit.service" 2>&1 | grep -v -e 'sys-kernel-config.mount' -e 'systemd-modules-load' -e "Command 'man " -e '^$')
		t "systemd-analyze verify $unit.service: no complaint" eval '[ -z "$out" ] || { sed "s/^/# /" <<<"$out"; false; }'
	done
	# the sandbox (README: "The units are sandboxed"): exposure at most 3.0
	for unit in ccid-gadget ccid-gadget-ecm; do
		out=$(systemd-analyze security --offline=yes --threshold=30 "$v/unit/$unit.service" 2>&1); rc=$?
		t "systemd-analyze security $unit.service: $(tail -n 1 <<<"$out" | sed 's/.*: //'), at most 3.0" [ $rc = 0 ]
	done
else
	echo "ok - install: systemd-analyze verify # SKIP systemd-analyze not installed"
fi
# the installed config: parsed and accepted (exit 1 at the missing
# FunctionFS dir, not 2 at a bad line)
# (its `user = ccid-gadget` aside: this machine need not have the user)
t "the installed config runs the daemon as ccid-gadget (user = ccid-gadget on)" \
	grep -qx 'user = ccid-gadget' "$d/etc/ccid-gadget.conf"
grep -vx 'user = ccid-gadget' "$d/etc/ccid-gadget.conf" >"$d/conf-nouser"
out=$("$d/usr/sbin/ccid-gadget" --config "$d/conf-nouser" --ffs "$d/none" --ctl "$d/ctl.sock" 2>&1); rc=$?
t "the installed /etc/ccid-gadget.conf parses (daemon exits 1 at the missing FunctionFS, not 2)" \
	eval '[ $rc = 1 ] && grep -q "cannot open $d/none/ep0" <<<"$out"'
out=$("$d/usr/sbin/ccid-gadget" --ffs "$d/none" --config "$d/etc/ccid-gadget-ecm.conf" --ctl "$d/ctl.sock" 2>&1); rc=$?
t "the installed ccid-gadget-ecm.conf is valid with --ffs" eval '[ $rc = 1 ]'
# first run: the shipped config names no card; the unit's check says so
# (exit 2, the file named), and passes once a card line is uncommented
c=$d/firstrun
make -s install PREFIX=$c/usr SYSCONFDIR=$c/etc UNITDIR=$c/unit >/dev/null 2>&1
card_check() { # UNIT: run its "names no card" ExecStartPre as systemd would
	local line
	line=$(grep '^ExecStartPre=.*names no card' "$c/unit/$1.service") || return 99
	line=${line#ExecStartPre=}
	eval "${line//\$\$/\$}"
}
for unit in ccid-gadget ccid-gadget-ecm; do
	out=$(card_check $unit 2>&1); rc=$?
	t "first run, $unit: the shipped config has no card line uncommented: the unit's check fails (exit 2) naming the file" \
		eval '[ $rc = 2 ] && grep -q "^$c/etc/$unit.conf names no card: uncomment or write a card = line" <<<"$out"'
	sed -i 's/^# card = test$/card = test/' "$c/etc/$unit.conf"
	out=$(card_check $unit 2>&1); rc=$?
	t "first run, $unit: with card = test uncommented the check passes, silently" eval '[ $rc = 0 ] && [ -z "$out" ]'
done
# (without the shipped `user = ccid-gadget`: this machine has no such user)
sed 's/^user = /# user = /' "$c/etc/ccid-gadget.conf" >"$d/no-user.conf"
out=$("$c/usr/sbin/ccid-gadget" --config "$d/no-user.conf" --ffs "$d/none" --ctl "$d/ctl.sock" 2>&1)
t "that config then gives the daemon the test card in slot 0" grep -q "slot 0: .*test" <<<"$out"
echo "# my edits" >>"$d/etc/ccid-gadget.conf"
make -s install DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
t "a second make install keeps an edited config" grep -qx '# my edits' "$d/etc/ccid-gadget.conf"
# docs: every option of --help in the man page
man=docs/ccid-gadget.8
help=$(build/ccid-gadget --help)
undoc=
for o in $(grep -o -- '--[a-z][a-z-]*' <<<"$help" | sort -u); do
	grep -q -- "$(sed 's/-/\\\\-/g' <<<"$o")" $man || undoc="$undoc $o"
done
t "the man page documents every option --help lists${undoc:+ (missing:$undoc)}" [ -z "$undoc" ]
t "the man page formats without errors" sh -c "man -l $man >/dev/null 2>&1 || groff -man -Tutf8 -z $man"
for k in card slots udc vid pid manufacturer product serial ffs max-message ctl pcap; do
	grep -q -- "--$k" <<<"$help" || undoc="$undoc $k"
done
t "--help lists every config key's option${undoc:+ (missing:$undoc)}" [ -z "$undoc" ]
