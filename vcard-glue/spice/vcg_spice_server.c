/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SPICE plug-in (ccid-gadget-spice.so): a SPICE server with one
 * char device of subtype "smartcard", behind vcg_spice_abi.h. Linked
 * against libspice-server; the daemon dlopen()s it only for a passthru
 * card with spice=.
 *
 * What the library does with the smartcard channel (spice-server's
 * smartcard.cpp): the client's VSC_ReaderAdd / VSC_ReaderRemove become a
 * VSC_ReaderAdd / VSC_ReaderRemove the server itself writes to the
 * device (no name; also a ReaderRemove when the channel closes); ATR,
 * APDU, CardRemove and Error pass through; the client's VSC_Init never
 * reaches the device, and the device's VSC_Init never reaches the client.
 * Headers go both ways in network byte order, as on the VSCard port. The
 * card (vcg_pt_spice.c) makes up for the missing Init. */
#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <syslog.h>

#include <glib.h>
#include <spice.h>

#include "vcg_spice_abi.h"
#include "vcg_spice_core.h"
#include "vcg_spice_display.h"
#include "mono_ms.h"

/* Channels linked at once, at most (one client: main, display, inputs,
 * cursor, smartcard; a refused second client's too). */
#define LINKED_MAX 32
/* A connection that has not finished its SPICE link (TLS handshake,
 * link message, ticket) by then is dropped: the library itself waits
 * for ever. CCID_GADGET_SPICE_LINK_TIMEOUT_MS (100..60000) shortens it
 * for the unit tests. */
#define LINK_TIMEOUT_MS 10000
/* How long stop() waits for the clients' channels to close (settle). */
#define STOP_SETTLE_MS 2000

struct vcg_spice {
	SpiceServer *server;
	struct vcg_spice_host host;
	SpiceCharDeviceInstance sin;
	struct vcg_spice_display *display;
	char ticket[64];      /* "" = no auth */
	bool smartcard_taken; /* a client has the smartcard channel */
	int smartcard_conn;   /* its connection id (any int: random) */
	guint log_handler;
	/* Connections not linked yet (link_watchdog, on_channel): */
	struct sockaddr_storage
		linked[LINKED_MAX]; /* peers of linked channels */
	unsigned nlinked;
	struct pending_link {
		int fd;
		struct sockaddr_storage peer;
		uint64_t since_ms;
	} pending[VCG_SPICE_CORE_MAX];
	char link_why[200]; /* the library's last link error */
	SpiceTimer *watchdog;
	unsigned link_timeout_ms;
	SpiceCoreInterface *core;
	bool stopping; /* in stop(): the card hears nothing more */
};

/* The core interface's callbacks carry no context: one server per
 * process (start() refuses a second). */
static struct vcg_spice *the;
static bool used; /* a server was started in this process */

static void plugin_logf(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void plugin_logf(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (the == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	the->host.log(the->host.ctx, level, line);
}

/* The library's own messages (a bad link message, a wrong ticket, a TLS
 * failure) are GLib log lines of domain "Spice": into the daemon's log,
 * one line each. Debug and info are dropped (the library is chatty). */
static void on_glib_log(const gchar *domain, GLogLevelFlags level,
			const gchar *message, gpointer data)
{
	int prio = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
			   ? LOG_ERR
		   : (level & G_LOG_LEVEL_WARNING) ? LOG_WARNING
						   : LOG_DEBUG;

	(void)data;
	/* Dropped beside debug: the library's notes on our own choice to
	 * allow several clients (plugin_start) and on a refused second
	 * client getting no smartcard channel (on_channel says that). */
	if (prio == LOG_DEBUG ||
	    strstr(message, "allowing multiple client") != NULL ||
	    strstr(message, "reds_fill_channels") != NULL)
		return;
	if (the != NULL && strstr(message, "reds_handle_") != NULL) {
		/* A connection's link failed: said once, with the peer, in
		 * the line on_channel writes when it is gone. The first
		 * reason is kept (a watchdog's, or the library's own). */
		const char *why = strrchr(message, ':');

		if (the->link_why[0] == '\0')
			snprintf(the->link_why, sizeof(the->link_why), "%s",
				 why != NULL ? why + 2 : message);
		return;
	}
	plugin_logf(prio, "spice: %s%s%s", domain ? domain : "",
		    domain ? ": " : "", message);
}

static void peer_of(const SpiceChannelEventInfo *info, char *out, size_t outlen)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (!(info->flags & SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT) ||
	    getnameinfo((const struct sockaddr *)&info->paddr_ext,
			info->plen_ext, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "spice client");
		return;
	}
	snprintf(out, outlen,
		 info->paddr_ext.ss_family == AF_INET6 ? "spice [%s]:%s%s"
						       : "spice %s:%s%s",
		 host, serv,
		 (info->flags & SPICE_CHANNEL_EVENT_FLAG_TLS) ? " (TLS)" : "");
}

static bool same_peer(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(a, b, sizeof(struct sockaddr_in)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(a, b, sizeof(struct sockaddr_in6)) == 0;
	return false;
}

/* Forget a linked channel's peer; false if it was not linked. */
static bool unlink_peer(const SpiceChannelEventInfo *info)
{
	if (!(info->flags & SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT))
		return true; /* cannot tell: no line */
	for (unsigned i = 0; i < the->nlinked; i++) {
		if (same_peer(&the->linked[i], &info->paddr_ext)) {
			the->linked[i] = the->linked[--the->nlinked];
			return true;
		}
	}
	return false;
}

/* Every tenth of the link timeout: a connection the library watches that has a peer, is
 * not a linked channel, and has been there link_timeout_ms is shut down
 * (half a link message and silence, a TLS handshake never finished):
 * the library then reads the end and drops it, and on_channel says so.
 * shutdown(), not close(): the fd stays the library's. */
static void link_watchdog(void *opaque)
{
	struct vcg_spice *s = opaque;
	int fds[VCG_SPICE_CORE_MAX];
	unsigned n = vcg_spice_core_watched_fds(fds, VCG_SPICE_CORE_MAX);
	struct pending_link next[VCG_SPICE_CORE_MAX];
	unsigned nnext = 0;
	uint64_t now = mono_ms();

	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_storage peer;
		socklen_t sl = sizeof(peer);
		uint64_t since = now;
		bool linked = false;

		if (getpeername(fds[i], (struct sockaddr *)&peer, &sl) < 0)
			continue; /* a listening socket */
		for (unsigned j = 0; j < s->nlinked && !linked; j++)
			linked = same_peer(&s->linked[j], &peer);
		if (linked)
			continue;
		for (unsigned j = 0; j < VCG_SPICE_CORE_MAX; j++)
			if (s->pending[j].since_ms &&
			    s->pending[j].fd == fds[i] &&
			    same_peer(&s->pending[j].peer, &peer))
				since = s->pending[j].since_ms;
		if (now - since >= s->link_timeout_ms) {
			if (s->link_why[0] == '\0')
				snprintf(s->link_why, sizeof(s->link_why),
					 "no SPICE link within %u ms",
					 s->link_timeout_ms);
			shutdown(fds[i], SHUT_RDWR);
			continue;
		}
		next[nnext++] = (struct pending_link){ .fd = fds[i],
						       .peer = peer,
						       .since_ms = since };
	}
	memset(s->pending, 0, sizeof(s->pending));
	memcpy(s->pending, next, nnext * sizeof(next[0]));
	s->core->timer_start(s->watchdog, s->link_timeout_ms / 10);
}

static void on_channel(int event, SpiceChannelEventInfo *info)
{
	char peer[NI_MAXHOST + NI_MAXSERV + 32];

	/* CONNECTED comes before the link message is read (the channel
	 * type is not known yet): INITIALIZED is a linked channel. */
	if (the == NULL || info == NULL ||
	    event == SPICE_CHANNEL_EVENT_CONNECTED)
		return;
	if (event == SPICE_CHANNEL_EVENT_INITIALIZED) {
		if (the->nlinked < LINKED_MAX &&
		    (info->flags & SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT))
			the->linked[the->nlinked++] = info->paddr_ext;
		the->link_why[0] = '\0';
	} else if (!unlink_peer(info)) {
		/* Gone before its link was done: one line, the reason the
		 * library gave (bad magic, version, size, ticket, TLS). */
		peer_of(info, peer, sizeof(peer));
		plugin_logf(LOG_NOTICE,
			    "%s dropped before its SPICE link was done: %s",
			    peer,
			    the->link_why[0] ? the->link_why
					     : "it closed the connection");
		the->link_why[0] = '\0';
		return;
	}
	if (the->stopping)
		return; /* the card is going: no more lines or callbacks */
	if (info->type == SPICE_CHANNEL_MAIN) {
		peer_of(info, peer, sizeof(peer));
		if (event == SPICE_CHANNEL_EVENT_INITIALIZED &&
		    the->smartcard_taken &&
		    info->connection_id != the->smartcard_conn)
			/* The library offers it no smartcard channel (it
			 * has one client): it cannot take the card. */
			plugin_logf(
				LOG_WARNING,
				"%s refused: another client has this slot (one client per spice=)",
				peer);
		else
			plugin_logf(LOG_INFO, "%s %s", peer,
				    event == SPICE_CHANNEL_EVENT_INITIALIZED
					    ? "connected (main channel)"
					    : "disconnected (main channel)");
		return;
	}
	if (info->type != SPICE_CHANNEL_SMARTCARD)
		return;
	if (event == SPICE_CHANNEL_EVENT_INITIALIZED && the->smartcard_taken) {
		/* A second client: the library gives it no reader (its
		 * ReaderAdd gets VSC_Error "cannot add more readers"). */
		peer_of(info, peer, sizeof(peer));
		plugin_logf(
			LOG_WARNING,
			"%s refused: another client has this slot (one client per spice=)",
			peer);
	} else if (event == SPICE_CHANNEL_EVENT_INITIALIZED) {
		peer_of(info, peer, sizeof(peer));
		the->smartcard_taken = true;
		the->smartcard_conn = info->connection_id;
		the->host.client_came(the->host.ctx, peer);
	} else if (event == SPICE_CHANNEL_EVENT_DISCONNECTED &&
		   the->smartcard_taken &&
		   info->connection_id == the->smartcard_conn) {
		the->smartcard_taken = false;
		the->host.client_gone(the->host.ctx);
	}
}

/* ---- the char device ---- */

static int dev_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
	(void)sin;
	if (the == NULL || len <= 0)
		return 0;
	/* A protocol error is the card's to act on (it drops the client at
	 * its next dispatch): the bytes are consumed either way. */
	the->host.from_client(the->host.ctx, buf, (size_t)len);
	return len;
}

static int dev_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
	(void)sin;
	if (the == NULL || len <= 0)
		return 0;
	return (int)the->host.to_client(the->host.ctx, buf, (size_t)len);
}

static void dev_state(SpiceCharDeviceInstance *sin, int connected)
{
	(void)sin;
	(void)connected;
}

static SpiceCharDeviceInterface dev_interface = {
	.base = {
		.type = SPICE_INTERFACE_CHAR_DEVICE,
		.description = "ccid-gadget passthru card",
		.major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
		.minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR,
	},
	.state = dev_state,
	.write = dev_write,
	.read = dev_read,
};

/* ---- the plug-in's entry points ---- */

static void plugin_stop(struct vcg_spice *s);

static struct vcg_spice *plugin_start(const struct vcg_spice_host *host,
				      const struct vcg_spice_config *cfg,
				      char *err, size_t errlen)
{
	struct vcg_spice *s;
	char ca[1100], cert[1100], key[1100];
	int rc;

	/* libspice-server keeps every smartcard device it was given in a
	 * process-wide table that nothing empties: a server started after
	 * an earlier one was destroyed finds the old, freed device there
	 * and crashes at the client's ReaderAdd. So: one per process. */
	if (the != NULL || used) {
		snprintf(
			err, errlen,
			"one spice= card per daemon run (the SPICE library keeps its smartcard device for the life of the process)");
		return NULL;
	}
	used = true;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->host = *host;
	the = s;
	s->log_handler = g_log_set_handler("Spice",
					   G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
						   G_LOG_FLAG_RECURSION,
					   on_glib_log, NULL);
	s->server = spice_server_new();
	if (s->server == NULL) {
		snprintf(err, errlen, "spice_server_new failed");
		goto fail;
	}
	spice_server_set_name(s->server, "ccid-gadget");
	spice_server_set_addr(s->server, cfg->host, 0);
	if (cfg->port != 0 &&
	    spice_server_set_port(s->server, (int)cfg->port) < 0) {
		snprintf(err, errlen, "spice: bad port %u", cfg->port);
		goto fail;
	}
	if (cfg->ticket != NULL) {
		snprintf(s->ticket, sizeof(s->ticket), "%s", cfg->ticket);
		spice_server_set_ticket(s->server, s->ticket, 0, 0, 0);
	} else {
		spice_server_set_noauth(s->server);
	}
	if (cfg->tls_port != 0) {
		snprintf(ca, sizeof(ca), "%s/ca-cert.pem", cfg->x509_dir);
		snprintf(cert, sizeof(cert), "%s/server-cert.pem",
			 cfg->x509_dir);
		snprintf(key, sizeof(key), "%s/server-key.pem", cfg->x509_dir);
		if (spice_server_set_tls(s->server, (int)cfg->tls_port, ca,
					 cert, key, NULL, NULL, NULL) < 0) {
			snprintf(err, errlen, "spice: TLS on port %u refused",
				 cfg->tls_port);
			goto fail;
		}
	}
	/* A second client must not throw the first one out (SPICE's
	 * default: the newest client wins). With several clients allowed,
	 * the library attaches the smartcard device to the first one only
	 * and refuses the others' readers with VSC_Error. It reads this
	 * switch once, in spice_server_init. */
	setenv("SPICE_DEBUG_ALLOW_MC", "1", 1);
	s->core = vcg_spice_core_init(host->epfd, on_channel);
	rc = spice_server_init(s->server, s->core);
	unsetenv("SPICE_DEBUG_ALLOW_MC");
	if (rc < 0) {
		/* The library's own line (why: the port, the certificate)
		 * went to the log just before. */
		snprintf(
			err, errlen,
			"spice: cannot start the SPICE server on %s:%u%s (see the line before)",
			cfg->host, cfg->port, cfg->tls_port ? " with TLS" : "");
		goto fail;
	}
	s->display = vcg_spice_display_add(s->server, err, errlen);
	if (s->display == NULL)
		goto fail;
	s->sin.base.sif = &dev_interface.base;
	s->sin.subtype = "smartcard";
	if (spice_server_add_interface(s->server, &s->sin.base) < 0) {
		snprintf(
			err, errlen,
			"spice: this libspice-server has no smartcard channel (built without libcacard?)");
		goto fail;
	}
	spice_server_vm_start(s->server);
	s->link_timeout_ms = LINK_TIMEOUT_MS;
	if (getenv("CCID_GADGET_SPICE_LINK_TIMEOUT_MS") != NULL) {
		unsigned long v = strtoul(
			getenv("CCID_GADGET_SPICE_LINK_TIMEOUT_MS"), NULL, 10);

		if (v >= 100 && v <= 60000)
			s->link_timeout_ms = (unsigned)v;
	}
	s->watchdog = s->core->timer_add(link_watchdog, s);
	if (s->watchdog != NULL)
		s->core->timer_start(s->watchdog, s->link_timeout_ms / 10);
	return s;
fail:
	plugin_stop(s);
	return NULL;
}

static void plugin_event(struct vcg_spice *s, uint32_t id, uint32_t events)
{
	(void)s;
	vcg_spice_core_event(id, events);
}

static void plugin_wakeup(struct vcg_spice *s)
{
	if (s != NULL && s->sin.st != NULL)
		spice_server_char_device_wakeup(&s->sin);
}

static void plugin_drop_client(struct vcg_spice *s)
{
	if (s == NULL || s->server == NULL)
		return;
	/* The library has no "disconnect" call: setting the ticket again
	 * with disconnect_if_connected does it; without a ticket, noauth
	 * is put back after. */
	spice_server_set_ticket(s->server, s->ticket[0] ? s->ticket : NULL, 0,
				0, 1);
	if (!s->ticket[0])
		spice_server_set_noauth(s->server);
}

/* Drop the clients and run the library's main-thread loop until every
 * linked channel has closed (STOP_SETTLE_MS at most), so that the
 * display's worker thread is stopped with no channel client of its own
 * still winding down. Without this, libspice-server 0.15.1's worker was
 * seen to die of SIGSEGV right after a client closed, in 3 of 47 runs of
 * test_vcg_spice_viewer (three such stops a run; cores kept): in its own
 * GLib loop, in RedChannelClient::is_connected() of a channel client
 * already destroyed (priv NULL), while the main thread waited in
 * pthread_join for it (spice_server_remove_interface of the QXL
 * instance). With it: 0 in 103 runs. */
static void settle_clients(struct vcg_spice *s)
{
	uint64_t end = mono_ms() + STOP_SETTLE_MS;

	if (s->nlinked == 0)
		return;
	plugin_drop_client(s);
	while (s->nlinked > 0) {
		uint64_t now = mono_ms();

		if (now >= end) {
			plugin_logf(
				LOG_WARNING,
				"spice: %u channels still open %u ms after "
				"their clients were dropped; stopping anyway",
				s->nlinked, STOP_SETTLE_MS);
			return;
		}
		vcg_spice_core_run_once((int)(end - now));
	}
}

static void plugin_stop(struct vcg_spice *s)
{
	if (s == NULL)
		return;
	s->stopping = true;
	if (s->server != NULL) {
		if (s->sin.st != NULL)
			spice_server_remove_interface(&s->sin.base);
		settle_clients(s);
		vcg_spice_display_free(s->display);
		spice_server_destroy(s->server);
	}
	if (s->watchdog != NULL && s->core != NULL)
		s->core->timer_remove(s->watchdog);
	vcg_spice_core_reset();
	if (s->log_handler)
		g_log_remove_handler("Spice", s->log_handler);
	if (the == s)
		the = NULL;
	explicit_bzero(s->ticket, sizeof(s->ticket));
	free(s);
}

__attribute__((visibility("default")))
const struct vcg_spice_plugin vcg_spice_plugin_v1 = {
	.abi_version = VCG_SPICE_ABI_VERSION,
	.start = plugin_start,
	.event = plugin_event,
	.wakeup = plugin_wakeup,
	.drop_client = plugin_drop_client,
	.stop = plugin_stop,
};
