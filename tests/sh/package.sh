#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian packages (debian/): dpkg-buildpackage -b builds ccid-gadget and
# ccid-vscclient for the PC from a copy of the tree (build/ left out),
# lintian finds no error or warning, each package holds what it should
# (daemon, units enabled but not started, conffiles, man pages, board
# scripts; the client in its own package), and the packaged binaries,
# unpacked with dpkg -x into a throwaway root (nothing is installed), run.
# Then the same packaging cross-built for arm64 against the sysroot
# (scripts/make-sysroot, which tests/sh/cross-daemon.sh also makes): ARM
# binaries, the same Depends, lintian clean, --help under qemu-user.
# PACKAGE_ARCHES="arm64 armel" for more cross builds (default arm64).
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
rc=0
t() { local name=$1; shift; if "$@"; then echo "ok - package: $name"; else echo "not ok - package: $name"; rc=1; return 1; fi; }
secs() { echo $((SECONDS - $1)); }
show() { sed 's/^/# /' "$@" | tail -n 20; }

# lintian_clean CHANGES|DEB...: no E: or W: line (I: and N: are fine).
lintian_clean() {
	local out
	out=$(lintian --pedantic "$@" 2>&1 | grep -E '^[EW]: ')
	[ -z "$out" ] || { sed 's/^/# /' <<<"$out"; return 1; }
}
# has DIR PATH...: every PATH exists under DIR (the missing ones named).
has() {
	local dir=$1 miss= f; shift
	for f in "$@"; do [ -e "$dir/$f" ] || [ -L "$dir/$f" ] || miss="$miss $f"; done
	[ -z "$miss" ] || { echo "# missing:$miss"; return 1; }
}
# deps_of DEB: the package names of its Depends, sorted, one a line.
deps_of() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/^ +//; s/ .*//' | sort; }

# The checkers fail when they should: a missing path, and lintian on a
# deliberately bad package (no copyright file, no description body).
mkdir -p "$d/bad/DEBIAN" "$d/bad/usr/bin"
printf 'Package: bad\nVersion: 1\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: bad\n' >"$d/bad/DEBIAN/control"
printf '#!/bin/sh\n' >"$d/bad/usr/bin/bad"; chmod 0755 "$d/bad/usr/bin/bad"
dpkg-deb -Zxz --root-owner-group -b "$d/bad" "$d/bad.deb" >/dev/null 2>&1
t "checkers: has() names a missing file, lintian_clean() fails on a bad .deb" \
	eval '! has "$d/bad" usr/bin/bad usr/bin/nothing >/dev/null && ! lintian_clean "$d/bad.deb" >/dev/null'

# ---- amd64 (the build machine's architecture) ---------------------------------------
host=$(dpkg --print-architecture)
src=$d/src
mkdir -p "$src"
# the tree as it is (uncommitted changes too), without build/
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -co --exclude-standard | grep -v '^build/' | tar -cf - -T - | tar -xf - -C "$src"
else
	tar --exclude=./build -cf - . | tar -xf - -C "$src"
fi
# debian/rules clean must leave the tree's own build/ alone (VM kernel, sysroot cache)
mkdir -p "$src/build/vm" && touch "$src/build/vm/keep"
t0=$SECONDS
if (cd "$src" && dpkg-buildpackage -b -us -uc -j2) >"$d/build-$host.log" 2>&1; then
	echo "ok - package: dpkg-buildpackage -b builds ccid-gadget and ccid-vscclient for $host ($(secs $t0) s)"
else
	echo "not ok - package: dpkg-buildpackage -b failed for $host"
	show "$d/build-$host.log"
	exit 1
fi
gadget=$d/ccid-gadget_*_$host.deb client=$d/ccid-vscclient_*_$host.deb
gadget=$(echo $gadget) client=$(echo $client)
t "debian/rules clean left build/ alone (removed only build/debian)" test -e "$src/build/vm/keep"
t "dh_auto_test ran the engine's unit tests, none failed" \
	eval 'grep -q "engine-tests/test_ccid_slots: [1-9][0-9]* ok" "$d/build-$host.log" && ! grep -q "^not ok" "$d/build-$host.log"'
t0=$SECONDS
lintian_clean "$d"/ccid-gadget_*_$host.changes; st=$?
t "lintian: no error, no warning on the $host .changes ($(secs $t0) s)" [ $st = 0 ]

g=$d/root-gadget c=$d/root-client
dpkg-deb -R "$gadget" "$g" && dpkg-deb -R "$client" "$c"
t "ccid-gadget holds the daemon, board scripts, units, config, man pages, docs" has "$g" \
	usr/sbin/ccid-gadget usr/sbin/ccid-gadget-board-setup usr/sbin/ecm-ccid-gadget \
	lib/systemd/system/ccid-gadget.service lib/systemd/system/ccid-gadget-ecm.service \
	etc/ccid-gadget.conf etc/ccid-gadget-ecm.conf \
	usr/share/man/man8/ccid-gadget.8.gz usr/share/man/man8/ccid-gadget-board-setup.8.gz \
	usr/share/man/man8/ecm-ccid-gadget.8.gz \
	usr/share/ccid-gadget/make-fake-smartcard usr/share/ccid-gadget/make-tls-certs \
	usr/share/doc/ccid-gadget/board.md.gz usr/share/doc/ccid-gadget/copyright
t "ccid-vscclient holds the client and its man page, not the daemon" eval \
	'has "$c" usr/bin/ccid-vscclient usr/share/man/man1/ccid-vscclient.1.gz && [ ! -e "$c/usr/sbin/ccid-gadget" ] && [ ! -e "$g/usr/bin/ccid-vscclient" ]'
t "both config files are conffiles" \
	eval 'grep -qx /etc/ccid-gadget.conf "$g/DEBIAN/conffiles" && grep -qx /etc/ccid-gadget-ecm.conf "$g/DEBIAN/conffiles"'
t "the units run /usr/sbin/ccid-gadget with /etc's config, no @PLACEHOLDER@ left" eval \
	'grep -qx "ExecStart=/usr/sbin/ccid-gadget --config /etc/ccid-gadget.conf" "$g/lib/systemd/system/ccid-gadget.service" && ! grep -Eq "@[A-Z]+@" "$g"/lib/systemd/system/*.service'
p=$g/DEBIAN/postinst
t "postinst creates the system user ccid-gadget (adduser --system), parses (sh -n)" eval \
	'grep -Eq "^[[:space:]]*adduser --system .*ccid-gadget$" "$p" && sh -n "$p"'
t "postinst enables ccid-gadget.service, starts nothing, leaves the ECM variant disabled" eval \
	'grep -q "deb-systemd-helper enable '"'"'ccid-gadget.service'"'"'" "$p" &&
	! grep -q "deb-systemd-invoke" "$p" &&
	grep -q "deb-systemd-helper debian-installed '"'"'ccid-gadget-ecm.service'"'"'" "$p"'
gd=$(deps_of "$gadget" | tr '\n' ' ') cd_=$(deps_of "$client" | tr '\n' ' ')
t "ccid-gadget Depends: adduser and the daemon's libraries ($gd)" eval \
	'for x in adduser libc6 libcacard0 libnss3 libusbgx2 libaio1 libgnutls30; do [[ " $gd" == *" $x "* ]] || exit 1; done'
t "ccid-vscclient Depends: the client's libraries only ($cd_)" eval \
	'[[ " $cd_" == *" libcacard0 "* && " $cd_" != *" libusbgx2 "* && " $cd_" != *" adduser "* ]]'

# The new man pages document what the commands' usage texts list.
# undocumented MANPAGE WORD...: the WORDs the rendered page lacks.
undocumented() {
	local text w miss=
	text=$(MANWIDTH=200 man -l "$1" 2>/dev/null | col -b); shift
	for w in "$@"; do grep -qE -- "(^|[^a-z-])$w([^a-z-]|$)" <<<"$text" || miss="$miss $w"; done
	echo "$miss"
}
t "undocumented() names a word the page lacks" eval \
	'[ "$(undocumented "$c/usr/share/man/man1/ccid-vscclient.1.gz" --tls-creds --no-such-option)" = " --no-such-option" ]'
opts=$("$c/usr/bin/ccid-vscclient" --help 2>/dev/null | grep -oE -- '(^|[ [])--?[a-z][a-z-]*' | tr -d ' [' | sort -u)
miss=$(undocumented "$c/usr/share/man/man1/ccid-vscclient.1.gz" $opts)
t "ccid-vscclient(1) documents every option of --help ($(echo $opts))${miss:+ (missing:$miss)}" eval '[ -z "$miss" ] && [ -n "$opts" ]'
miss=$(undocumented "$g/usr/share/man/man8/ccid-gadget-board-setup.8.gz" --check --help ok fixed MISSING)
t "ccid-gadget-board-setup(8): --check, --help, its output words${miss:+ (missing:$miss)}" [ -z "$miss" ]
miss=$(undocumented "$g/usr/share/man/man8/ecm-ccid-gadget.8.gz" up bind down \
	$(sed -n '/^# Environment:/,/^# The daemon/{/^# The daemon/d;p}' scripts/ecm-ccid-gadget | grep -oE '\b[A-Z][A-Z_]{2,}\b' | sort -u))
t "ecm-ccid-gadget(8): its commands and every variable its header names${miss:+ (missing:$miss)}" [ -z "$miss" ]

# The packaged binaries, unpacked (not installed) into a throwaway root.
r=$d/root
dpkg -x "$gadget" "$r" && dpkg -x "$client" "$r"
out=$("$r/usr/sbin/ccid-gadget" --help 2>&1); st=$?
t "the packaged ccid-gadget --help (exit 0, usage)" eval '[ $st = 0 ] && grep -q "^Usage: ccid-gadget" <<<"$out"'
out=$("$r/usr/bin/ccid-vscclient" --help 2>&1); st=$?
t "the packaged ccid-vscclient --help (exit 0, usage)" eval '[ $st = 0 ] && grep -q "^usage: ccid-vscclient" <<<"$out"'
# (its `user = ccid-gadget` line aside: this machine has no such user)
sed 's/^user = /# user = /' "$r/etc/ccid-gadget.conf" >"$d/no-user.conf"
out=$("$r/usr/sbin/ccid-gadget" --config "$d/no-user.conf" --ffs "$d/none" --ctl "$d/ctl.sock" 2>&1); st=$?
t "the packaged daemon reads the packaged /etc/ccid-gadget.conf (exit 1 at the missing FunctionFS, not 2)" \
	eval '[ $st = 1 ] && grep -q "cannot open $d/none/ep0" <<<"$out"'

# ---- cross: the same packaging for the boards ----------------------------------------
declare -A qemu=([armel]=qemu-arm-static [armhf]=qemu-arm-static [arm64]=qemu-aarch64-static)
declare -A elf=([armel]='ELF 32-bit.*ARM, EABI5' [armhf]='ELF 32-bit.*ARM, EABI5' [arm64]='ELF 64-bit.*ARM aarch64')
for a in ${PACKAGE_ARCHES:-arm64}; do
	if ! scripts/make-sysroot "$a" >"$d/sysroot-$a.log" 2>&1; then
		echo "not ok - package: $a: scripts/make-sysroot $a failed"
		show "$d/sysroot-$a.log"; rc=1; continue
	fi
	# the copy uses the tree's sysroot (its stamp is newer than the script)
	ln -sfn "$repo/build/sysroot" "$src/build/sysroot"
	t0=$SECONDS
	if (cd "$src" && dpkg-buildpackage -b -us -uc -a"$a" -d -j2) >"$d/build-$a.log" 2>&1; then
		echo "ok - package: dpkg-buildpackage -b -a$a -d (against the sysroot, $(secs $t0) s)"
	else
		echo "not ok - package: dpkg-buildpackage -b -a$a -d failed"
		show "$d/build-$a.log"; rc=1; continue
	fi
	ag=$(echo "$d"/ccid-gadget_*_"$a".deb) ac=$(echo "$d"/ccid-vscclient_*_"$a".deb)
	# kept for the ARM bed, which boots the arm64 ones (tests/vm/arm-build deb)
	mkdir -p "build/packages/$a" && cp "$ag" "$ac" "build/packages/$a/"
	ra=$d/root-$a
	dpkg -x "$ag" "$ra" && dpkg -x "$ac" "$ra"
	t "$a: both binaries are $a ELF" eval \
		'file -b "$ra/usr/sbin/ccid-gadget" | grep -Eq "${elf[$a]}" && file -b "$ra/usr/bin/ccid-vscclient" | grep -Eq "${elf[$a]}"'
	t "$a: the same Depends as $host (package names), none arch-qualified (libc6:$a)" eval \
		'[ "$(deps_of "$ag")" = "$(deps_of "$gadget")" ] && [ "$(deps_of "$ac")" = "$(deps_of "$client")" ] &&
		! dpkg-deb -f "$ag" Depends | grep -Eq ":[a-z]"' ||
		{ echo "# $a: $(dpkg-deb -f "$ag" Depends)"; echo "# $host: $(dpkg-deb -f "$gadget" Depends)"; }
	t "$a: lintian: no error, no warning" lintian_clean "$d"/ccid-gadget_*_"$a".changes
	out=$("${qemu[$a]}" -L "build/sysroot/$a" "$ra/usr/sbin/ccid-gadget" --help 2>&1); st=$?
	t "$a: the packaged ccid-gadget --help under ${qemu[$a]}" eval '[ $st = 0 ] && grep -q "^Usage: ccid-gadget" <<<"$out"'
	out=$("${qemu[$a]}" -L "build/sysroot/$a" "$ra/usr/bin/ccid-vscclient" --help 2>&1); st=$?
	t "$a: the packaged ccid-vscclient --help under ${qemu[$a]}" eval '[ $st = 0 ] && grep -q "^usage: ccid-vscclient" <<<"$out"'
done
exit $rc
