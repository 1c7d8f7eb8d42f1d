/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's connection: TCP (TCP_NODELAY) to HOST PORT, or a Unix
 * socket for unix:PATH, with TLS (--tls-creds DIR) when asked; a
 * non-blocking socket wrapped in a vcg_stream.
 *
 * Nothing here waits without watching stop_fd (the client's signalfd,
 * never read here) and a deadline: a TCP connect VSCC_CONNECT_TIMEOUT_MS
 * per address, the TLS handshake VSCC_HANDSHAKE_TIMEOUT_MS. The stream
 * stays non-blocking: a server that stops in the middle of a TLS record
 * makes recv() return -EAGAIN, not block (the partial record waits in
 * GnuTLS), so the client's loop goes on polling its signals and stdin. */
#ifndef VSCC_CONNECT_H
#define VSCC_CONNECT_H

#include <stddef.h>

#include "vcg_stream.h"
#include "vscc_args.h"

struct vcg_tls_client;

#define VSCC_CONNECT_TIMEOUT_MS 10000
#define VSCC_HANDSHAKE_TIMEOUT_MS 10000

/* Returns 0 with *out the stream (handshake done), -EINTR when stop_fd
 * became readable (a signal), or another -errno (-ETIMEDOUT: a deadline),
 * each failure with one line in why. With --tls-creds, *tls gets the
 * loaded credentials, which must outlive the stream: vscc_connect_free()
 * frees both. */
int vscc_connect(const struct vscc_args *a, int stop_fd, struct vcg_stream **out,
		 struct vcg_tls_client **tls, char *why, size_t whylen);

void vscc_connect_free(struct vcg_stream *s, struct vcg_tls_client *tls);

#endif
