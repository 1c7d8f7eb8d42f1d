#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Cross-builds the CCID engine and its unit tests for the boards' ABIs
# (armel: Pi Zero / Zero W, ARMv5TE-compatible soft-float EABI; arm64: Zero
# 2 W, Pi 4) with Debian's cross toolchains, and runs them under qemu-user
# (qemu-user-static), so an unaligned access or an endianness slip the
# x86 build forgives shows up here. TAP lines: one per ARCH for the build,
# then each test's own lines, prefixed with the ARCH.
# CROSS_ARCHES="armel armhf arm64" to add armhf (not in scripts/deps).
set -uo pipefail
cd "$(dirname "$0")/../.."
arches=${CROSS_ARCHES:-armel arm64}
declare -A qemu=([armel]=qemu-arm-static [armhf]=qemu-arm-static [arm64]=qemu-aarch64-static)
declare -A sysroot=([armel]=/usr/arm-linux-gnueabi [armhf]=/usr/arm-linux-gnueabihf [arm64]=/usr/aarch64-linux-gnu)
rc=0
for a in $arches; do
	t0=$(date +%s.%N)
	if make -s ARCH="$a" -j2 engine-tests >"build/cross-$a.log" 2>&1; then
		echo "ok - $a: engine + unit tests cross-built ($(bc <<<"$(date +%s.%N) - $t0" | cut -c1-5) s)"
	else
		echo "not ok - $a: cross-build failed (build/cross-$a.log)"
		sed 's/^/# /' "build/cross-$a.log" | tail -n 20
		rc=1
		continue
	fi
	for t in build/"$a"/engine-tests/test_*; do
		name=${t##*/}
		# the ELF is really foreign (not a host binary picked up by mistake)
		file -b "$t" | grep -q 'ARM' || { echo "not ok - $a/$name: not an ARM ELF"; rc=1; continue; }
		out=$("${qemu[$a]}" -L "${sysroot[$a]}" "$t" 2>&1); trc=$?
		sed -n -e "s|^ok - |ok - $a/$name: |p" -e "s|^not ok - |not ok - $a/$name: |p" <<<"$out"
		if [ $trc -ne 0 ]; then
			grep -q '^not ok' <<<"$out" || echo "not ok - $a/$name: exited $trc under ${qemu[$a]}"
			grep -v '^ok' <<<"$out" | sed 's/^/# /' | tail -n 10
			rc=1
		fi
	done
done
exit $rc
