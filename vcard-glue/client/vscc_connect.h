/* ccid-vscclient's connection: TCP (TCP_NODELAY) to HOST PORT, or a Unix
 * socket for unix:PATH; a blocking socket wrapped in a vcg_stream. TLS
 * (--tls-creds DIR) goes here too, once vcard-glue/stream/vcg_tls.h exists. */
#ifndef VSCC_CONNECT_H
#define VSCC_CONNECT_H

#include <stddef.h>

#include "vcg_stream.h"
#include "vscc_args.h"

struct vcg_tls_client;

/* Returns the stream (handshake done), or NULL with one line in why. With
 * --tls-creds, *tls gets the loaded credentials, which must outlive the
 * stream: vscc_connect_free() frees both. */
struct vcg_stream *vscc_connect(const struct vscc_args *a,
				struct vcg_tls_client **tls, char *why,
				size_t whylen);

void vscc_connect_free(struct vcg_stream *s, struct vcg_tls_client *tls);

#endif
