# SPDX-License-Identifier: GPL-2.0-or-later
# The guest half of tests/vm/spice/host.sh: the daemon with a passthru
# card on spice= (plug-in beside it in /bed/bin), reached by remote-viewer
# on the build machine through QEMU user-net (hostfwd to 10.0.2.15:5930,
# an e1000 NIC); the PC side (pcscd + libccid + OpenSC) through dummy_hcd.
# It asks the host for each client action with a "# spice-host: ACTION"
# line on the TAP channel (see host.sh) and checks what the PC sees,
# every wait with a deadline: the client's card, its hotkeys, close and
# reconnect, a second client, garbage on the port, a wrong and a right
# ticket, TLS with QEMU's x509 layout.

. /bed/p11.sh

D=/cards/nopin
G=spice
host_do() { diag "spice-host: $1"; }
reader_listed() { pcsc_client --wait-reader "${1:-15}" --list --expect-readers 1; }
card_atr_is_cac() { pcsc_client --wait-card 30 --atr --expect-atr $CAC_ATR; }
card_gone() { pcsc_client --wait-card 0 --wait-absent 20; }
card_works() { token_listed && three_certs_listed && sign_and_verify $ANY_PIN $D; }
# Within 60 s the log has this line, and only once.
one_line() { wait_for 60 grep -q "$1" /tmp/gadget.log && [ "$(grep -c "$1" /tmp/gadget.log)" = 1 ]; }
reader_and_card() { wait_enumerated 90 && reader_listed 30 && card_atr_is_cac; }
daemon_says() { grep -q "$1" /tmp/gadget.log || { tail -n 20 /tmp/gadget.log; return 1; }; }

check "$G: the e1000 NIC comes up as 10.0.2.15" sh -c \
	'insmod /bed/e1000.ko && ip link set lo up && ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0'
check "$G: modules load" usb_load high
check "$G: systemd-udevd starts" udevd_start
check "$G: pcscd starts" pcscd_start
echo "ccid-gadget signs this for the spice suite" >/tmp/msg
ccid-gadget -v --card passthru,spice=0.0.0.0:5930 >>/tmp/gadget.log 2>&1 3>&- 4<&- &
GADGET_PID=$!
check "$G: ccid-gadget --card passthru,spice=0.0.0.0:5930 starts (the plug-in loads)" \
	wait_for 20 test -S /run/ccid-gadget.sock
check "$G: before any client the PC sees no reader" host_gone

host_do start
check "$G: remote-viewer's ReaderAdd plugs the reader in: the host enumerates it" wait_enumerated 90
check "$G: pcscd + libccid list the reader" reader_listed 30
check "$G: the card's ATR through PC/SC is libcacard's, lent by remote-viewer" card_atr_is_cac
check "$G: OpenSC: token, the three certificates, a signature openssl verifies" card_works
check "$G: the daemon's log names the SPICE client" daemon_says "opened the smartcard channel"

host_do remove
check "$G: remote-viewer's remove hotkey (shift+F9): the PC sees the card gone" card_gone
check "$G: ... the reader stays" reader_listed
host_do insert
check "$G: its insert hotkey (shift+F8): the PC sees the card again" card_atr_is_cac
check "$G: ... and it signs" sign_and_verify $ANY_PIN $D

host_do stop
check "$G: remote-viewer closed: the reader is gone from the PC" wait_for 30 host_gone
check "$G: ... the log says the channel closed" daemon_says "closed the smartcard channel"

host_do start
check "$G: a new remote-viewer: the reader is back" wait_enumerated 90
check "$G: ... pcscd lists it" reader_listed 30
check "$G: ... the card is in again" card_atr_is_cac
check "$G: ... OpenSC signs" card_works

host_do second
check "$G: a second remote-viewer is refused with one line" \
	one_line "refused: another client has this slot"
check "$G: ... the first keeps its card: OpenSC signs" card_works
host_do garbage
check "$G: garbage on the SPICE port: dropped with one line" \
	one_line "dropped before its SPICE link was done"
check "$G: ... the card still signs" sign_and_verify $ANY_PIN $D
host_do stop
check "$G: the daemon is alive after the clients" kill -0 $GADGET_PID
check "$G: ... the reader is gone with them" wait_for 30 host_gone

# One spice= card per daemon run: a new daemon for the ticket and TLS.
daemon_restart() { # SPEC
	kill $GADGET_PID
	wait $GADGET_PID
	: >/tmp/gadget.log
	ccid-gadget -v --card "$1" >>/tmp/gadget.log 2>&1 3>&- 4<&- &
	GADGET_PID=$!
	wait_for 20 test -S /run/ccid-gadget.sock
}
echo "s3cret-ticket" >/tmp/spice-ticket
check "$G: a daemon with password-file= starts" \
	daemon_restart passthru,spice=0.0.0.0:5930,password-file=/tmp/spice-ticket
host_do start-wrong-ticket
check "$G: a wrong ticket is refused with one line saying why" \
	one_line "dropped before its SPICE link was done: Invalid password"
check "$G: ... and no reader comes" fails wait_enumerated 10
host_do stop
host_do start-ticket
check "$G: the right ticket: the reader comes, the card is in" reader_and_card
check "$G: ... OpenSC signs" card_works
host_do stop
check "$G: ... closed: the reader goes" wait_for 30 host_gone

check "$G: a daemon with TLS only (x509-dir in QEMU's layout) starts" \
	daemon_restart passthru,spice=0.0.0.0:0,tls-port=5931,x509-dir=/tls/server
host_do start-tls
check "$G: remote-viewer over TLS: the reader comes, the card is in" reader_and_card
check "$G: ... OpenSC signs over TLS" card_works
check "$G: ... the log says TLS" daemon_says "(TLS) opened the smartcard channel"
host_do stop
check "$G: the daemon is alive at the end" kill -0 $GADGET_PID
