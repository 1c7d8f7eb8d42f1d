#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Cross-builds the whole daemon and the client (build/ARCH/ccid-gadget,
# build/ARCH/ccid-vscclient) for the boards' ABIs against a sysroot of the
# ARCH libraries (scripts/make-sysroot: Debian's .debs unpacked under
# build/sysroot/ARCH, nothing installed, no foreign architecture added), and
# starts both under qemu-user. The first run downloads ~22 MB per ARCH from
# the machine's configured Debian mirrors; later runs reuse build/sysroot.
# No network on a cold run is a failure, not a skip.
# make check builds armel here: arm64 is tests/sh/package.sh's, which
# cross-builds both programs for it against the same sysroot and runs them
# under qemu-user (make soak runs this with CROSS_ARCHES="armel arm64").
# CROSS_ARCHES="armel armhf arm64" to add armhf (not in scripts/deps).
set -uo pipefail
cd "$(dirname "$0")/../.."
arches=${CROSS_ARCHES:-armel}
declare -A qemu=([armel]=qemu-arm-static [armhf]=qemu-arm-static [arm64]=qemu-aarch64-static)
rc=0
secs() { bc <<<"$(date +%s.%N) - $1" | cut -c1-5; }
for a in $arches; do
	mkdir -p build
	t0=$(date +%s.%N)
	if scripts/make-sysroot "$a" >"build/sysroot-$a.log" 2>&1; then
		echo "ok - cross: $a sysroot (build/sysroot/$a, $(secs "$t0") s)"
	else
		echo "not ok - cross: $a sysroot: scripts/make-sysroot $a failed (build/sysroot-$a.log)"
		sed 's/^/# /' "build/sysroot-$a.log" | tail -n 20
		rc=1
		continue
	fi
	t0=$(date +%s.%N)
	if make -s ARCH="$a" SYSROOT=auto -j2 "build/$a/ccid-gadget" "build/$a/ccid-vscclient" \
		>"build/cross-daemon-$a.log" 2>&1; then
		echo "ok - cross: $a daemon and client cross-built ($(secs "$t0") s)"
	else
		echo "not ok - cross: $a daemon cross-build failed (build/cross-daemon-$a.log)"
		sed 's/^/# /' "build/cross-daemon-$a.log" | tail -n 20
		rc=1
		continue
	fi
	for b in ccid-gadget:daemon ccid-vscclient:client; do
		bin=build/$a/${b%%:*} what=${b##*:}
		if file -b "$bin" | grep -q 'ELF.*ARM'; then
			echo "ok - cross: $a $what links (ARM ELF)"
		else
			echo "not ok - cross: $a $what links (ARM ELF): $(file -b "$bin")"
			rc=1
			continue
		fi
		# the sysroot has the ARCH libraries and, linked in, the toolchain's libc
		out=$("${qemu[$a]}" -L "build/sysroot/$a" "$bin" --help 2>&1); trc=$?
		if [ $trc -eq 0 ] && grep -qi "^usage: ${b%%:*} " <<<"$out"; then
			echo "ok - cross: $a $what --help runs under qemu-user"
		else
			echo "not ok - cross: $a $what --help runs under qemu-user (exit $trc)"
			sed 's/^/# /' <<<"$out" | head -n 10
			rc=1
		fi
	done
done
exit $rc
