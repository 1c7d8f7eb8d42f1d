#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/ccid-gadget-ci as a CI job uses it (issue 23): the commands of
# docs/ci.md's jobs, run as they are written there, each in the VM bed on
# this machine (the runner here has no dummy_hcd):
#  - a PKCS#11 test of OpenSC through the reader: pkcs11-tool --test
#    --login on the emulated CAC card; exit status 0 passed through, and
#    the artefacts are there (daemon log with APDU lines, pcscd's log, a
#    pcap with the usbmon magic);
#  - a PC/SC client (pcsc_client: the test card's ECHO and GENERATE);
#  - a COMMAND that talks to the card, removes it with `ccid-gadget ctl
#    --name ci remove`, sees it gone and fails with status 3: the command
#    exits 3 (the checker can fail: a failing COMMAND fails the job);
#  - docs/ci.md's GitHub and GitLab jobs hold those two command lines
#    verbatim, so the documented job is the one tested here.
# Cost: three VM boots at once, about as long as the PKCS#11 one (docs/ci.md).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
t() { local name=$1; shift; if "$@"; then echo "ok - ci: $name"; else echo "not ok - ci: $name"; fi; }

P11_JOB='scripts/ccid-gadget-ci --card cac --artifacts artefacts/pkcs11 -- pkcs11-tool --test --login --pin 123456'
PCSC_JOB='scripts/ccid-gadget-ci --card test --artifacts artefacts/pcsc -- pcsc_client --echo 16 --generate 32'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top=$PWD
# The jobs run from the checkout's top; artefacts/ goes to a scratch copy
# of that place (a link to the tree), not into the tree.
ln -s "$top/scripts" "$work/scripts"
export CCID_GADGET_TREE=$top

run_job() { # LINE LOG -> the job's exit status
	(cd "$work" && eval "$1") >"$2" 2>&1
}
# A job's output, shown as comments: its own TAP lines (the VM's set-up
# steps) are not this suite's.
show() { sed 's/^/#   /' "$1"; }

in_docs() { # LINE: docs/ci.md's GitHub and GitLab jobs both run it
	[ "$(grep -cF -- "$1" docs/ci.md)" -ge 2 ]
}

FAIL_JOB="scripts/ccid-gadget-ci --card test --artifacts artefacts/fail -- sh -c 'pcsc_client -q --echo 4 && ccid-gadget ctl --name ci remove && pcsc_client --wait-absent 5 && exit 3'"

# The three at once, each in its own VM (a TCG guest mostly waits, as
# run-suites' VM_JOBS=2 found): the PKCS#11 run's ~60 s is the bill.
run_job "$P11_JOB" "$work/p11.log" & p11_pid=$!
run_job "$PCSC_JOB" "$work/pcsc.log" & pcsc_pid=$!
run_job "$FAIL_JOB" "$work/fail.log" & fail_pid=$!
wait $p11_pid; p11_rc=$?
wait $pcsc_pid; pcsc_rc=$?
wait $fail_pid; fail_rc=$?

show "$work/p11.log"
t "pkcs11-tool --test --login on the CAC card: exit 0 passed through" [ $p11_rc = 0 ]
t "... OpenSC's self-test printed 'No errors'" grep -q '^No errors' "$work/p11.log"
art=$work/artefacts/pkcs11
t "... artefact gadget.log has the APDU lines" grep -q ' apdu: ' "$art/gadget.log"
t "... artefact pcscd.log is pcscd's debug log" grep -q 'pcscdaemon.c' "$art/pcscd.log"
pcap_magic() { [ "$(head -c 4 "$art/ccid.pcap" | od -An -tx1 | tr -d ' \n')" = d4c3b2a1 ]; }
t "... artefact ccid.pcap is a pcap (magic a1b2c3d4, little-endian)" pcap_magic
t "... artefact command.log holds COMMAND's output" grep -q '^No errors' "$art/command.log"

show "$work/pcsc.log"
t "pcsc_client (ECHO, GENERATE) on the test card: exit 0 passed through" [ $pcsc_rc = 0 ]

show "$work/fail.log"
t "a COMMAND that sends APDUs, pulls the card (ctl --name ci remove), exits 3: the command exits 3 (got $fail_rc)" [ $fail_rc = 3 ]

t "docs/ci.md's GitHub and GitLab jobs run the PKCS#11 command" in_docs "$P11_JOB"
t "docs/ci.md's GitHub and GitLab jobs run the PC/SC command" in_docs "$PCSC_JOB"
