/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A byte stream to a VSCard peer: a plain socket or a TLS session on one,
 * behind one small ops table, so the passthru server (vcg_passthru*.c) and
 * the client (vcard-glue/client/) never know which.
 *
 * Non-blocking use (the daemon's loop, ccid-vscclient's): every call
 * returns at once; -EAGAIN means "call again when the fd is ready" (a TLS
 * record that came in part waits inside the stream), and
 * vcg_stream_wants_write() says whether ready means writable (a TLS
 * handshake or a record send may need that) or readable. Blocking use (a
 * blocking fd, as some tests do): -EAGAIN never comes back, and a peer
 * that sends part of a record and stops blocks recv().
 *
 * One write per message (the and QEMU's lesson: a peer that
 * writes header and payload apart loses ~40 ms per APDU to Nagle plus
 * delayed ACK): callers hand a whole encoded message to send(); a TLS
 * stream sends it as one record.
 *
 * Errors: 0 / -errno; why() has a one-line reason for the last failure. */
#ifndef VCG_STREAM_H
#define VCG_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vcg_stream;

struct vcg_stream_ops {
	/* Finish setting up (TLS handshake and peer check). 0 done,
	 * -EAGAIN again later, other -errno: drop the stream. Plain: 0. */
	int (*handshake)(struct vcg_stream *s);
	/* Up to len bytes into buf: >0 bytes read, 0 the peer closed,
	 * -EAGAIN nothing now, other -errno. */
	ssize_t (*recv)(struct vcg_stream *s, void *buf, size_t len);
	/* Send buf (len bytes, caller-owned, not kept): returns the bytes
	 * taken (a plain socket may take fewer; the caller keeps the rest),
	 * -EAGAIN (nothing taken; a TLS stream must then be called again
	 * with the same bytes), or another -errno. */
	ssize_t (*send)(struct vcg_stream *s, const void *buf, size_t len);
	/* Bytes already decrypted and buffered: recv() has data even if the
	 * fd is not readable. Plain: false. */
	bool (*pending)(const struct vcg_stream *s);
	/* Close the fd and free. */
	void (*free)(struct vcg_stream *s);
};

/* Every stream starts with this header; implementations embed it. */
struct vcg_stream {
	const struct vcg_stream_ops *ops;
	int fd;                /* owned by the stream */
	bool want_write;       /* the last -EAGAIN waits for writability */
	char why[160];         /* reason for the last failure, "" if none */
	char peer[160];        /* "127.0.0.1:40512", TLS adds " CN=... " */
};

/* A plain stream over fd (a connected socket; it is owned by the stream
 * from now on, even on failure). `peer` is copied for logs. Returns NULL
 * only when out of memory (fd closed). */
struct vcg_stream *vcg_stream_plain(int fd, const char *peer);

static inline int vcg_stream_handshake(struct vcg_stream *s)
{
	return s->ops->handshake(s);
}

static inline ssize_t vcg_stream_recv(struct vcg_stream *s, void *buf,
				      size_t len)
{
	return s->ops->recv(s, buf, len);
}

static inline ssize_t vcg_stream_send(struct vcg_stream *s, const void *buf,
				      size_t len)
{
	return s->ops->send(s, buf, len);
}

static inline bool vcg_stream_pending(const struct vcg_stream *s)
{
	return s->ops->pending(s);
}

static inline bool vcg_stream_wants_write(const struct vcg_stream *s)
{
	return s->want_write;
}

/* NULL is a no-op. */
static inline void vcg_stream_free(struct vcg_stream *s)
{
	if (s != NULL)
		s->ops->free(s);
}

#endif
