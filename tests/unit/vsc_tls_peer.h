/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helpers for the passthru unit tests (test_vcg_passthru.c,
 * test_vcg_pt_limits.c): the client side of a VSCard server on loopback,
 * plain TCP or over a blocking TLS stream, with whole messages read
 * through a vsc_decoder.
 *
 * Ownership: every socket and stream returned is the caller's; nothing
 * here keeps a pointer past the call (stream_next's read-ahead buffer is
 * per thread, for one stream at a time). */
#ifndef VSC_TLS_PEER_H
#define VSC_TLS_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "vcg_stream.h"
#include "vcg_tls.h"
#include "vscard_codec.h"

/* A TCP connection to 127.0.0.1:PORT; SO_RCVBUF set to rcvbuf when > 0.
 * The socket, or -1. */
int connect_tcp(int port, int rcvbuf);

/* The next whole message from s into m: 1, 0 at end of stream, < 0 on a
 * stream or decoding error. Bytes read past it are kept for the next call
 * (per thread: one stream per thread at a time). */
int stream_next(struct vcg_stream *s, struct vsc_decoder *dec,
		struct vsc_msg *m);

/* Send the n encoded bytes in buf (n <= 0: the encoder failed): 0 or -1. */
int stream_send_msg(struct vcg_stream *s, const uint8_t *buf, int n);

/* A TLS client stream to 127.0.0.1:PORT with cli's credentials (server
 * name "localhost"), receive timeout 10 s, handshake done. NULL when the
 * connection or handshake fails; for a handshake failure why says
 * "handshake: <reason>". */
struct vcg_stream *tls_stream_open(struct vcg_tls_client *cli, int port,
				   char *why, size_t whylen);

#endif
