/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TLS for the VSCard link (GnuTLS): a vcg_stream (vcg_stream.h) that is a
 * TLS 1.2+ session on a connected socket, with mutual certificate
 * authentication and, on the server, an optional allow-list of clients.
 *
 * Credentials use QEMU's tls-creds-x509 directory layout, so a QEMU or
 * libvirt TLS dir carries over (scripts/make-tls-certs makes one):
 *   server dir: ca-cert.pem (verifies clients), server-cert.pem, server-key.pem
 *   client dir: ca-cert.pem (verifies the server), client-cert.pem, client-key.pem
 *   either:     ca-crl.pem, optional: revoked certificates, as in QEMU.
 * Keys are unencrypted PEM (PKCS#1, SEC1 or PKCS#8).
 *
 * The server and client contexts hold the loaded credentials; they are
 * shared by every stream made from them, must outlive those streams, and
 * are not locked (use each from one thread, as the daemon's loop and the
 * client do). No global state besides GnuTLS's own.
 *
 * Streams behave as vcg_stream.h says; TLS specifics:
 *  - handshake(): runs the TLS handshake and then the peer check. On a
 *    non-blocking fd it returns -EAGAIN with want_write saying which way
 *    to wait. GnuTLS's handshake timeout (GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT)
 *    is set on client streams only: on a server stream GnuTLS would wait
 *    in poll() for the rest of a partial record, blocking the loop; the
 *    server loop drops a peer that stays silent mid-handshake on its own
 *    deadline.
 *  - send(buf, len): the whole buffer or nothing visible: it is sent as
 *    consecutive TLS records (a record carries at most 16 KiB) and returns
 *    len, never a partial count. -EAGAIN (want_write/read set) means part of
 *    it may already be on the wire: call send() again with the same buffer
 *    contents and the same len (GnuTLS's "retry with the same data" rule);
 *    it continues where it stopped. Another len after -EAGAIN is -EINVAL.
 *  - recv(): 0 on a clean close (close_notify) and on a peer that just
 *    closed the socket (GNUTLS_E_PREMATURE_TERMINATION), as a plain stream.
 *    A fatal alert from the peer is -ECONNRESET, why naming the alert;
 *    on the client, an alert about certificates ("the server refused our
 *    certificate") is -EACCES. On the server -EACCES always means "we
 *    refused the client", never the other way round.
 *  - A blocking fd with SO_RCVTIMEO/SO_SNDTIMEO gives -EAGAIN at the
 *    timeout, as a plain stream does.
 *  - pending(): decrypted bytes are buffered (gnutls_record_check_pending).
 *  - free(): sends close_notify if the handshake finished (without
 *    blocking: the fd is switched to non-blocking first), closes the fd.
 *
 * Errors: 0 / -errno; every failure leaves one line in err (contexts) or
 * s->why (streams) saying what is wrong and, where it helps, how to fix it. */
#ifndef VCG_TLS_H
#define VCG_TLS_H

#include <stddef.h>

#include "vcg_stream.h"

struct vcg_tls_server;
struct vcg_tls_client;

/* Load the server credentials from dir (QEMU layout above). allow_file:
 * NULL = any client whose certificate verifies against ca-cert.pem; else a
 * file of allowed clients, one per line:
 *   sha256:HEX   the SHA-256 fingerprint of the client certificate (its
 *                DER), 64 hex digits, colons optional, any case; the form
 *                `openssl x509 -noout -fingerprint -sha256` prints after '='
 *   DN           a subject DN exactly as GnuTLS prints it (RFC 4514,
 *                "CN=laptop,O=Example"; `certtool -i` shows it as
 *                "Subject:", `openssl x509 -noout -subject -nameopt RFC2253`
 *                prints the same for plain names); compared byte for byte
 * Leading and trailing blanks are ignored; lines whose first non-blank is
 * '#' and blank lines are skipped. A client must verify against the CA and
 * match one line. dir and allow_file are read now and not kept.
 * Returns NULL with a one-line reason in err (errlen bytes, caller-owned;
 * names the file and, for the allow-list, the line) and errno set. */
struct vcg_tls_server *vcg_tls_server_new(const char *dir, const char *allow_file,
					  char *err, size_t errlen);
/* NULL is a no-op. Every stream made from srv must be freed first. */
void vcg_tls_server_free(struct vcg_tls_server *srv);

/* Wrap an accepted socket (normally non-blocking) as the server side of a
 * TLS session; srv (non-NULL) must outlive the stream. fd is owned by the stream from now on and closed even on
 * failure; peer ("127.0.0.1:40512", may be NULL) is copied into s->peer.
 * vcg_stream_handshake() returns:
 *   0        the handshake is done and the client presented a certificate
 *            that verifies against ca-cert.pem (chain, validity, not
 *            revoked, usable for TLS client auth) and is on the allow-list;
 *            s->peer then ends in " CN=<client CN>", for logs;
 *   -EAGAIN  wait for the fd (s->want_write: writable, else readable);
 *   -EACCES  the client is refused; why is "no client certificate",
 *            "client certificate CN=... does not verify: <GnuTLS reason>" or
 *            "client certificate sha256:HEX (DN) is not on the allow-list";
 *   other -errno: a TLS or socket error (why says which).
 * After a refusal the stream sends the client an alert; free it.
 * Returns NULL only when out of memory (fd closed). */
struct vcg_stream *vcg_stream_tls_server(struct vcg_tls_server *srv, int fd,
					 const char *peer);

/* Load the client credentials from dir: ca-cert.pem (verifies the server),
 * client-cert.pem + client-key.pem (our identity). dir is read now and not
 * kept. NULL with a one-line reason in err (caller-owned) and errno set. */
struct vcg_tls_client *vcg_tls_client_new(const char *dir, char *err, size_t errlen);
/* NULL is a no-op. Every stream made from cli must be freed first. */
void vcg_tls_client_free(struct vcg_tls_client *cli);

/* Wrap a connected socket (normally blocking) as the client side; cli
 * (non-NULL) must outlive the stream. fd is
 * owned by the stream from now on, closed even on failure. hostname
 * (copied; may be NULL): when non-NULL the server certificate must match it
 * (DNS name or IP address in its subjectAltName; also sent as SNI when it
 * is a DNS name); NULL = check the chain only. vcg_stream_handshake():
 * 0 done (s->peer gets " CN=<server CN>"); -EACCES "server certificate ...
 * does not verify: <GnuTLS reason>" (wrong CA, expired, hostname
 * mismatch); other -errno for TLS/socket errors; -EAGAIN only on a
 * non-blocking fd. With TLS 1.3 the server checks our certificate after
 * our handshake has finished: a refusal shows as -EACCES from the first
 * recv(). Returns NULL only when out of memory (fd closed). */
struct vcg_stream *vcg_stream_tls_client(struct vcg_tls_client *cli, int fd,
					 const char *hostname, const char *peer);

#endif
