#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The licence: LICENSE is the GPL version 2 text (as Debian ships it in
# /usr/share/common-licenses/GPL-2), every source file git tracks carries
# the SPDX-License-Identifier: GPL-2.0-or-later line at its top
# (scripts/spdx-headers --check), and that check finds a file without it.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
t() { local name=$1; shift; if "$@"; then echo "ok - licence: $name"; else echo "not ok - licence: $name"; fi; }

if [ -f /usr/share/common-licenses/GPL-2 ]; then
	t "LICENSE is the GPL-2 text" cmp -s LICENSE /usr/share/common-licenses/GPL-2
else
	t "LICENSE is the GPL-2 text" grep -q 'GNU GENERAL PUBLIC LICENSE' LICENSE
fi
out=$(scripts/spdx-headers --check 2>&1); rc=$?
t "every C, shell, Python and Makefile source has the SPDX line at its top$([ $rc = 0 ] || echo " (missing: $(head -n 5 <<<"$out" | tr '\n' ' '))")" \
	[ $rc = 0 ]
# the check can fail: a copy of the tracked files with one header taken out
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git ls-files -z | tar --null -T - -cf - 2>/dev/null | tar -x -C "$tmp"
if [ -f "$tmp/scripts/spdx-headers" ]; then
	(cd "$tmp" && git init -q && git add -A >/dev/null 2>&1)
	sed -i '/SPDX-License-Identifier/d' "$tmp/ccid/ccid_proto.h"
	out=$("$tmp/scripts/spdx-headers" --check 2>&1); rc=$?
	t "checker: --check names a file whose line was taken out (exit 1)" \
		eval '[ $rc = 1 ] && grep -qx ccid/ccid_proto.h <<<"$out"'
	"$tmp/scripts/spdx-headers"
	out=$("$tmp/scripts/spdx-headers" --check 2>&1); rc=$?
	t "checker: without --check the line is put back, at line 1" \
		eval '[ $rc = 0 ] && [ "$(head -n 1 "$tmp/ccid/ccid_proto.h")" = "/* SPDX-License-Identifier: GPL-2.0-or-later */" ]'
else
	echo "not ok - licence: a copy of the tracked files for the checker test"
fi
