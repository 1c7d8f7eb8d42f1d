#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/fetch-kernel's Debian-pool fallback (the Ubuntu runner's way to
# the kernel, docs/ci.md) refuses what it must: a local mirror made here
# (file://, no network) with a throwaway signing key as DEBIAN_KEYRING, a
# Release file signed by it, a Packages.xz and a small kernel .deb, then
# `fetch-kernel --pool-only DIR` on the good mirror and on copies with one
# thing wrong each. A refusal is one line on stderr, exit 1, no .deb left.
# ~2 s.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d)
export GNUPGHOME=$tmp/gnupg
cleanup() { gpgconf --kill gpg-agent 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
t() { local name=$1; shift; if "$@"; then echo "ok - fetch-kernel-checks: $name"; else echo "not ok - fetch-kernel-checks: $name"; fi; }
for tool in gpg gpgv curl xz dpkg-deb; do
	command -v $tool >/dev/null || { echo "not ok - fetch-kernel-checks: $tool is installed (scripts/install-deps)"; exit 1; }
done

# ---- the mirror ----------------------------------------------------------------
mkdir -m 700 "$GNUPGHOME"
keygen() { gpg --batch -q --pinentry-mode loopback --passphrase '' --quick-gen-key "$1" ed25519 sign 1d 2>/dev/null; }
keygen 'fetch-kernel test archive <archive@fetch-kernel.invalid>' &&
	keygen 'someone else <other@fetch-kernel.invalid>' ||
	{ echo "not ok - fetch-kernel-checks: gpg makes the throwaway keys"; exit 1; }
gpg -q --export archive@fetch-kernel.invalid >"$tmp/keyring.gpg"

PKG=linux-image-6.1.0-99-amd64
deb_root=$tmp/debroot
mkdir -p "$deb_root/DEBIAN" "$deb_root/boot"
printf 'Package: %s\nVersion: 6.1.999-1\nArchitecture: amd64\nMaintainer: test <test@fetch-kernel.invalid>\nDescription: a stand-in kernel package\n' \
	"$PKG" >"$deb_root/DEBIAN/control"
head -c 4096 /dev/urandom >"$deb_root/boot/vmlinuz-6.1.0-99-amd64"
deb=${PKG}_6.1.999-1_amd64.deb

# make_mirror DIR [KEY]: the whole good mirror, signed by KEY (default: the
# archive key). The cases then spoil one file of a copy.
make_mirror() {
	local m=$1 key=${2:-archive@fetch-kernel.invalid} pool=pool/main/l/linux-signed-amd64
	local idx=dists/bookworm/main/binary-amd64
	mkdir -p "$m/$pool" "$m/$idx"
	dpkg-deb -Zxz --build "$deb_root" "$m/$pool/$deb" >/dev/null || return 1
	{
		printf 'Package: linux-image-amd64\nVersion: 6.1.999-1\nDepends: %s (= 6.1.999-1)\nFilename: %s/linux-image-amd64_6.1.999-1_amd64.deb\nSHA256: %064d\n\n' \
			"$PKG" "$pool" 0
		printf 'Package: %s\nVersion: 6.1.999-1\nFilename: %s/%s\nSize: %s\nSHA256: %s\n\n' \
			"$PKG" "$pool" "$deb" "$(stat -c %s "$m/$pool/$deb")" "$(sha256sum <"$m/$pool/$deb" | cut -d' ' -f1)"
	} >"$m/$idx/Packages"
	xz -k "$m/$idx/Packages"
	sign_release "$m" "$key"
}
sign_release() { # MIRROR KEY
	local m=$1 d=$1/dists/bookworm f
	{
		printf 'Origin: Debian\nSuite: stable\nCodename: bookworm\nDate: %s\nSHA256:\n' "$(date -Ru)"
		for f in main/binary-amd64/Packages main/binary-amd64/Packages.xz; do
			printf ' %s %16s %s\n' "$(sha256sum <"$d/$f" | cut -d' ' -f1)" "$(stat -c %s "$d/$f")" "$f"
		done
	} >"$d/Release"
	rm -f "$d/InRelease"
	gpg --batch -q --local-user "${2:-archive@fetch-kernel.invalid}" --clearsign -o "$d/InRelease" "$d/Release"
}
good=$tmp/good
make_mirror "$good" || { echo "not ok - fetch-kernel-checks: the good mirror is made"; exit 1; }
copy() { rm -rf "${tmp:?}/$1"; cp -a "$good" "$tmp/$1"; echo "$tmp/$1"; }

# fetch MIRROR: runs the pool download into a fresh directory; sets rc, out
# (stdout), err (stderr), got (the files left in that directory).
fetch() {
	local dir=$tmp/out
	rm -rf "$dir"
	out=$(DEBIAN_MIRROR=file://$1 DEBIAN_KEYRING=${KEYRING:-$tmp/keyring.gpg} tests/vm/fetch-kernel --pool-only "$dir" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
	got=$(cd "$dir" 2>/dev/null && ls)
}
# refused MIRROR PATTERN: exit 1, no .deb left, and on stderr, besides
# the progress line ("fetch-kernel: fetching PKG from URL"), one line, the
# refusal, matching PATTERN.
refused() {
	local why
	fetch "$1"
	why=$(grep -v '^fetch-kernel: fetching [^ ]* from ' <<<"$err")
	[ "$rc" = 1 ] && [ "$(wc -l <<<"$why")" = 1 ] && [[ $why == fetch-kernel:* ]] &&
		grep -Eq "$2" <<<"$why" && [ -z "$got" ] && return 0
	echo "# exit $rc, stdout '$out', left '$got', stderr:"
	sed 's/^/#   /' <<<"$err"
	return 1
}

fetch "$good"
t "the good mirror: accepted (exit 0, the package's name on stdout, on stderr only 'fetching PKG from URL')" \
	eval '[ $rc = 0 ] && [ "$out" = "$PKG" ] && [ "$err" = "fetch-kernel: fetching $PKG from file://$good/pool/main/l/linux-signed-amd64/$deb" ] ||
		{ echo "# exit $rc, out $out, err $err"; false; }'
t "... its .deb is in DIR, byte for byte the mirror's" \
	cmp -s "$tmp/out/$deb" "$good/pool/main/l/linux-signed-amd64/$deb"
t "the checker 'refused' itself fails on the good mirror" eval '! refused "$good" . >/dev/null'

# Debian's InRelease carries several signatures, some by keys an older
# keyring lacks (Ubuntu 24.04's has no trixie key): one good one and the
# others by unknown keys is accepted, as apt accepts it.
m=$(copy two-signatures)
d=$m/dists/bookworm
gpg --batch -q --local-user archive@fetch-kernel.invalid --local-user other@fetch-kernel.invalid \
	--clearsign -o "$d/InRelease.2" "$d/Release" && mv "$d/InRelease.2" "$d/InRelease"
fetch "$m"
t "InRelease signed by the archive key and by one DEBIAN_KEYRING lacks: accepted" \
	eval '[ $rc = 0 ] && [ "$out" = "$PKG" ] || { echo "# exit $rc, err $err"; false; }'
t "... it did carry two signatures" eval '[ "$(gpg --verify "$d/InRelease" 2>&1 | grep -c "^gpg: Signature made")" = 2 ]'

m=$(copy tampered-release)
sed -i 's/^Date: .*/Date: Thu, 01 Jan 2037 00:00:00 +0000/' "$m/dists/bookworm/InRelease"
t "InRelease edited after signing: refused, 'bad signature'" refused "$m" 'InRelease of bookworm: bad signature'

m=$(copy other-key)
sign_release "$m" other@fetch-kernel.invalid
t "InRelease signed by a key not in DEBIAN_KEYRING: refused, 'bad signature'" refused "$m" 'bad signature'

# No keyring to check with: refused, never fetched unchecked.
KEYRING=$tmp/no-such-keyring.gpg
t "no DEBIAN_KEYRING to check InRelease with: refused, 'cannot check InRelease's signature'" \
	refused "$good" "cannot check InRelease's signature: no $tmp/no-such-keyring.gpg"
KEYRING=

m=$(copy unsigned)
cp "$m/dists/bookworm/Release" "$m/dists/bookworm/InRelease"
t "InRelease without a signature: refused, 'bad signature'" refused "$m" 'bad signature'

# Hashes from outside the signed part: the right Packages.xz hash inside,
# a forged one for a spoilt Packages.xz in text put before the signed
# message (where gpgv still says "Good signature").
m=$(copy outside-signed)
echo "# forged" >>"$m/dists/bookworm/main/binary-amd64/Packages.xz"
{
	printf 'SHA256:\n %s %16s main/binary-amd64/Packages.xz\n\n' \
		"$(sha256sum <"$m/dists/bookworm/main/binary-amd64/Packages.xz" | cut -d' ' -f1)" 1
	cat "$good/dists/bookworm/InRelease"
} >"$m/dists/bookworm/InRelease"
t "a forged SHA256 line outside the signed text: not used (Packages.xz refused against the signed hash)" \
	refused "$m" 'main/binary-amd64/Packages.xz: SHA256 [0-9a-f]{64}, InRelease says'

m=$(copy tampered-index)
idx=$m/dists/bookworm/main/binary-amd64
sed -i "s/^SHA256: [0-9a-f]\{64\}$/SHA256: $(printf '%064d' 7)/" "$idx/Packages"
rm "$idx/Packages.xz" && xz -k "$idx/Packages"
t "Packages.xz changed, InRelease not: refused, 'SHA256 ..., InRelease says'" \
	refused "$m" '^fetch-kernel: main/binary-amd64/Packages.xz: SHA256 [0-9a-f]{64}, InRelease says [0-9a-f]{64}$'

m=$(copy tampered-deb)
printf 'x' | dd of="$m/pool/main/l/linux-signed-amd64/$deb" bs=1 seek=200 conv=notrunc status=none
t "the .deb changed: refused, 'SHA256 ..., the index says', the .deb not kept" \
	refused "$m" "^fetch-kernel: $deb: SHA256 [0-9a-f]{64}, the index says [0-9a-f]{64}\$"

m=$(copy no-such-kernel)
idx=$m/dists/bookworm/main/binary-amd64
sed -i "/^Package: $PKG\$/,/^\$/d" "$idx/Packages"
rm "$idx/Packages.xz" && xz -k "$idx/Packages" && sign_release "$m"
t "a signed index naming no Filename/SHA256 for the kernel: refused" refused "$m" "no Filename/SHA256 for $PKG"

