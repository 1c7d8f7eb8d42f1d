/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The seam between the passthru card (vcg_pt_spice.c, in the daemon) and
 * the SPICE plug-in (vcard-glue/spice/, ccid-gadget-spice.so, the only
 * thing linked against libspice-server). The daemon dlopen()s the plug-in
 * when a card says spice=, so nobody else loads the library.
 *
 * The plug-in runs a SPICE server with one char device of subtype
 * "smartcard" (libvirt `<smartcard mode='passthrough' type='spicevmc'>`,
 * QEMU `-chardev spicevmc,name=smartcard`). The bytes the SPICE server
 * writes to that device are VSCard messages from the client, in the same
 * framing the TCP server reads (vscard_codec.h); what the device gives
 * back is VSCard messages for the client. The card feeds them to the same
 * protocol half as the TCP server (vcg_pt_proto.c).
 *
 * Threads: none. The plug-in's SpiceCoreInterface (watches and timers)
 * puts its fds into the card's epoll fd (host->epfd), which the daemon's
 * loop already watches; the card hands every event whose data.u32 has
 * VCG_SPICE_EV_FLAG set back to the plug-in (event()).
 *
 * Ownership: every buffer passed either way is the caller's and is not
 * kept. Strings in vcg_spice_config are copied by start(). */
#ifndef VCG_SPICE_ABI_H
#define VCG_SPICE_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever a struct below changes: the card refuses a plug-in of
 * another version (a stale .so next to a newer daemon). */
#define VCG_SPICE_ABI_VERSION 1
/* The symbol the card looks up: a const struct vcg_spice_plugin. */
#define VCG_SPICE_PLUGIN_SYMBOL "vcg_spice_plugin_v1"
/* epoll_event.data.u32 of the plug-in's fds: this bit set, the rest its
 * own (the card's own ids are small numbers, vcg_pt.h). */
#define VCG_SPICE_EV_FLAG 0x80000000u

struct vcg_spice_host {
	void *ctx;
	int epfd;
	/* Bytes the SPICE server writes to the device (VSCard from the
	 * client). Returns 0, or -errno: the client's bytes made no sense,
	 * the plug-in drops that client. */
	int (*from_client)(void *ctx, const uint8_t *buf, size_t len);
	/* Copy up to len queued bytes for the client into buf; returns how
	 * many (0: nothing queued). */
	size_t (*to_client)(void *ctx, uint8_t *buf, size_t len);
	/* A client opened the smartcard channel (peer: for logs, copied).
	 * Its bytes come through from_client() from now on. */
	void (*client_came)(void *ctx, const char *peer);
	/* The smartcard channel's client is gone (closed, dropped, lost). */
	void (*client_gone)(void *ctx);
	/* One log line, syslog level. */
	void (*log)(void *ctx, int level, const char *line);
};

struct vcg_spice_config {
	const char *host;     /* "127.0.0.1", "::1", "0.0.0.0" */
	unsigned port;        /* plain port, 0 = none */
	unsigned tls_port;    /* 0 = no TLS */
	const char *x509_dir; /* QEMU's layout: ca-cert.pem, server-cert.pem,
				  * server-key.pem; NULL without TLS */
	const char *ticket;   /* SPICE password, NULL = no auth */
};

struct vcg_spice;

struct vcg_spice_plugin {
	unsigned abi_version; /* VCG_SPICE_ABI_VERSION */
	/* Start the server and listen. NULL with one line in err (then
	 * nothing is left behind). One server per process: the core
	 * interface's callbacks carry no context. */
	struct vcg_spice *(*start)(const struct vcg_spice_host *host,
				   const struct vcg_spice_config *cfg,
				   char *err, size_t errlen);
	/* An event on one of the plug-in's fds (id: its data.u32). */
	void (*event)(struct vcg_spice *s, uint32_t id, uint32_t events);
	/* to_client() has bytes now: let the SPICE server read them. */
	void (*wakeup)(struct vcg_spice *s);
	/* Disconnect the current client (its bytes made no sense); it may
	 * connect again. */
	void (*drop_client)(struct vcg_spice *s);
	/* Stop, close every fd, free. NULL is a no-op. */
	void (*stop)(struct vcg_spice *s);
};

#endif
