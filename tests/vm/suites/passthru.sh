# SPDX-License-Identifier: GPL-2.0-or-later
# Passthru end to end through real USB: the daemon's VSCard server
# (--card passthru,listen=...) and build/ccid-vscclient, both in the VM,
# the client serving libcacard's certificates card (tests/vm/cards/make-dbs)
# the way a user's laptop would over the network; the PC side (pcscd +
# libccid + OpenSC, through dummy_hcd) sees the card.
#  - the seed's scenario: no reader on the PC until the client's
#    VSC_ReaderAdd; then OpenSC lists the token and the three certificates
#    (byte-identical to the db's), signs (openssl verifies) and decrypts;
#  - from the client side: card remove / insert, reader remove / add, and
#    the PC sees each; a killed client detaches the reader, a reconnecting
#    one gets it back; a second client is refused with a clear error;
#    garbage on the port never hurts the daemon;
#  - a Unix-socket listener;
#  - TLS with client certificates: the right client works (and signs),
#    one whose certificate is from another CA, or a plain one, is refused.
# bed-setup: tests/vm/cards/make-dbs && scripts/make-tls-certs build/tls && rm -rf build/tls/mixed && mkdir -p build/tls/mixed && cp build/tls/client/ca-cert.pem build/tls/other/client/client-cert.pem build/tls/other/client/client-key.pem build/tls/mixed/
# bed: --timeout 600 --add build/cards/nopin:/cards/nopin --add build/tls:/tls --add /usr/bin/openssl:/usr/bin/openssl

. /bed/p11.sh

D=/cards/nopin
EMUL="db=\"sql:$D\" use_hw=no soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)"
PORT=35963
CLIENT_PID=
G="passthru"

# ---- the daemon and the client ----

# The daemon, without waiting for the host: with attach=reader (the
# default) the UDC is bound only once a client adds its reader.
daemon_start() { # ARGS...
	echo "+ ccid-gadget $*" >>/tmp/gadget.log
	ccid-gadget "$@" >>/tmp/gadget.log 2>&1 3>&- 4<&- &
	GADGET_PID=$!
	wait_for 10 test -S /run/ccid-gadget.sock
}

# The client reads its commands from a fifo kept open on fd 4.
client_start() { # ARGS...
	rm -f /tmp/vsc.fifo
	mkfifo /tmp/vsc.fifo
	echo "+ ccid-vscclient $*" >>/tmp/vscclient.log
	ccid-vscclient "$@" </tmp/vsc.fifo >>/tmp/vscclient.log 2>&1 3>&- 4<&- &
	CLIENT_PID=$!
	exec 4>/tmp/vsc.fifo
}
client_cmd() { echo "$1" >&4; }
client_wait() { # SECONDS: wait for the client to exit, its status in CLIENT_RC
	local i=0
	CLIENT_RC=
	while kill -0 "$CLIENT_PID" 2>/dev/null && ! grep -q '^State:.*Z' /proc/$CLIENT_PID/status 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($1 * 10)) ] && return 1
		sleep 0.1
	done
	wait "$CLIENT_PID"
	CLIENT_RC=$?
	exec 4>&-
	CLIENT_PID=
	return 0
}
client_kill() {
	kill -9 "$CLIENT_PID" 2>/dev/null
	client_wait 5
}

reader_listed() { pcsc_client --wait-reader 15 --list --expect-readers 1; }
no_reader() { pcsc_client --list --expect-readers 0; }
card_atr_is_cac() { pcsc_client --wait-card 15 --atr --expect-atr $CAC_ATR; }
card_gone() { pcsc_client --wait-card 0 --wait-absent 15; }
client_refused() { # what the client's log must say
	client_wait 30 || { echo "the client still runs"; return 1; }
	tail -n 5 /tmp/vscclient.log
	[ "$CLIENT_RC" != 0 ] || { echo "the client exited 0"; return 1; }
	grep -q "$1" /tmp/vscclient.log || { echo "the client log does not say '$1'"; return 1; }
}
daemon_says() { grep -q "$1" /tmp/gadget.log || { tail -n 20 /tmp/gadget.log; return 1; }; }
# The whole PKCS#11 path: token, certificates, a signature openssl verifies.
card_works() {
	token_listed && three_certs_listed && sign_and_verify $ANY_PIN $D
}

# ---- the bed ----

for f in ccid-gadget ccid-vscclient openssl pcsc_client; do
	command -v $f >/dev/null || { not_ok "$G: $f is in the image" "run make first; see the # bed: line"; exit 1; }
done
check "$G: modules load" usb_load high
check "$G: systemd-udevd starts" udevd_start
check "$G: pcscd starts" pcscd_start
echo "ccid-gadget signs this for the passthru suite" >/tmp/msg

# ---- plain TCP, the seed's scenario ----

check "$G: ccid-gadget --card passthru,listen=127.0.0.1:$PORT starts" \
	daemon_start -v --card passthru,listen=127.0.0.1:$PORT
sleep 2
check "$G: before any client the PC sees no reader (UDC not bound)" host_gone
check "$G: ... the log says it waits for a client's reader" \
	daemon_says "bound when a passthru client adds its reader"
check "$G: ... and pcscd lists none" no_reader
client_start -d 1 -e "$EMUL" 127.0.0.1 $PORT
check "$G: the client's VSC_ReaderAdd plugs the reader in: the host enumerates it" \
	wait_enumerated 30
check "$G: pcscd + libccid list the reader" reader_listed
check "$G: the card's ATR through PC/SC is libcacard's, sent by the client" card_atr_is_cac
check "$G: pkcs11-tool -L: token 'John Doe', Common Access Card" token_listed
check "$G: pkcs11-tool -O: the three certificates, John Doe's" three_certs_listed
i=1
for nick in $NICKS; do
	check "$G: certificate $i ($nick) over PKCS#11 is byte-identical to the client's db" \
		cert_identical "000$i" "$D/$nick.der"
	i=$((i + 1))
done
check "$G: SHA256-RSA-PKCS signature made on the client's card verifies with openssl" \
	sign_and_verify $ANY_PIN $D
check "$G: ... and does not verify against id-cert's key" verifies_not $D/id-cert.der
check "$G: RSA-PKCS decryption round-trips" decrypt_round_trip $ANY_PIN $D
check "$G: ctl status names the passthru card" \
	sh -c 'ccid-gadget ctl status | tee /dev/stderr | grep -q "slot 0: passthru 127.0.0.1:'$PORT'"'

# ---- from the client side: card and reader ----

client_cmd remove
check "$G: client 'remove' (VSC_CardRemove): the PC sees the card gone" card_gone
check "$G: ... ctl status: card absent" card_in_status absent
check "$G: ... the reader stays" reader_listed
client_cmd insert
check "$G: client 'insert' (VSC_ATR): the PC sees the card again" card_atr_is_cac
check "$G: ... and it signs" sign_and_verify $ANY_PIN $D
pcscd_mark=$(pcscd_log_mark)
client_cmd reader-remove
check "$G: client 'reader-remove' (VSC_ReaderRemove): the reader is unplugged" \
	wait_for 15 host_gone
check "$G: ... pcscd drops it" pcscd_drops_reader $pcscd_mark 15
client_cmd reader-add
check "$G: client 'reader-add': the reader is back" wait_enumerated 30
check "$G: ... pcscd lists it" reader_listed
check "$G: ... with the card in it" card_atr_is_cac
check "$G: ... which signs" sign_and_verify $ANY_PIN $D

# ---- a second client; a dead client; a reconnect ----

ccid-vscclient -n -e "$EMUL" 127.0.0.1 $PORT </dev/null >/tmp/second.log 2>&1 3>&- 4<&- 4>&- &
SECOND=$!
check "$G: a second client is refused (cannot add more readers) and exits non-zero" \
	sh -c "for i in \$(seq 300); do kill -0 $SECOND 2>/dev/null || break; sleep 0.1; done; ! kill -0 $SECOND 2>/dev/null"
wait $SECOND
second_rc=$?
cat /tmp/second.log
check "$G: ... with exit 3 and a line saying why" \
	sh -c "[ $second_rc = 3 ] && grep -qi 'refused\|more readers' /tmp/second.log"
check "$G: ... the daemon logged the refusal" daemon_says "refused: .* already has this slot"
check "$G: ... the first client's card still answers" card_atr_is_cac

client_kill
check "$G: a killed client (connection dropped): the reader is unplugged" wait_for 20 host_gone
check "$G: ... the daemon runs on" alive "$GADGET_PID"
printf 'GARBAGE GARBAGE GARBAGE GARBAGE\r\n' | timeout 5 nc 127.0.0.1 $PORT >/dev/null 2>&1
printf '\000\000\000\001\377\377\377\377\377\377\377\377' | timeout 5 nc 127.0.0.1 $PORT >/dev/null 2>&1
check "$G: garbage and an oversized header on the port: the daemon drops them, logs why and runs on" \
	sh -c "sleep 1; kill -0 $GADGET_PID && grep -q 'disconnected: protocol error' /tmp/gadget.log"
check "$G: ... the host still sees no reader" host_gone
client_start -e "$EMUL" 127.0.0.1 $PORT
check "$G: a reconnecting client gets its reader back" wait_enumerated 30
check "$G: ... pcscd lists it" reader_listed
check "$G: ... the card is in it" card_atr_is_cac
check "$G: ... and signs" sign_and_verify $ANY_PIN $D
client_cmd quit
check "$G: client 'quit' exits 0" sh -c 'for i in $(seq 100); do kill -0 '$CLIENT_PID' 2>/dev/null || exit 0; sleep 0.1; done; exit 1'
client_wait 5
check "$G: ... and the reader is unplugged" wait_for 20 host_gone
check "$G: daemon exits 0 on SIGTERM" gadget_stop
check "$G: ... and removes its gadget from configfs" \
	sh -c '[ -z "$(ls /sys/kernel/config/usb_gadget/ 2>/dev/null)" ]'

# ---- a Unix socket ----

check "$G: unix: ccid-gadget --card passthru,listen=unix:/run/vsc.sock starts" \
	daemon_start --card passthru,listen=unix:/run/vsc.sock
check "$G: unix: the socket is root-only (0600)" \
	sh -c '[ "$(stat -c %a /run/vsc.sock)" = 600 ]'
client_start -e "$EMUL" unix:/run/vsc.sock
check "$G: unix: the client's reader is plugged in" wait_enumerated 30
check "$G: unix: the card is in it" card_atr_is_cac
client_cmd quit
client_wait 10
check "$G: unix: daemon exits 0 on SIGTERM" gadget_stop
check "$G: unix: ... and removes its socket" sh -c '! [ -e /run/vsc.sock ]'

# ---- TLS with client certificates ----

check "$G: tls: ccid-gadget with tls-creds and an allow-list starts" \
	daemon_start -v --card passthru,listen=127.0.0.1:$PORT,tls-creds=/tls/server,tls-allow=/tls/server/allow-list
client_start -n -e "$EMUL" 127.0.0.1 $PORT
check "$G: tls: a plain client is refused" client_refused "."
check "$G: tls: ... and the host sees no reader" host_gone
client_start -n --tls-creds /tls/mixed -e "$EMUL" 127.0.0.1 $PORT
check "$G: tls: a client whose certificate is from another CA is refused" client_refused "."
check "$G: tls: ... the daemon says why" daemon_says "does not verify"
check "$G: tls: ... and the host sees no reader" host_gone
client_start --tls-creds /tls/client -e "$EMUL" 127.0.0.1 $PORT
check "$G: tls: the client with the allowed certificate plugs the reader in" wait_enumerated 30
check "$G: tls: ... the daemon names it" daemon_says "CN=ccid-vscclient connected (TLS)"
check "$G: tls: ... OpenSC lists the token" token_listed
check "$G: tls: ... and a signature over TLS verifies" sign_and_verify $ANY_PIN $D
client_cmd quit
client_wait 10
check "$G: tls: daemon exits 0 on SIGTERM" gadget_stop
