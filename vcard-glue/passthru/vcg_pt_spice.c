/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The passthru card's SPICE way in (spice=): loads the SPICE plug-in
 * (vcg_spice_abi.h) and joins it to the same protocol half as the VSCard
 * port (vcg_pt_proto.c). On the loop thread, as the rest of the card.
 *
 * The SPICE server stands between the client and us and swallows the
 * client's VSC_Init (vcg_spice_server.c): a client that opens the
 * smartcard channel counts as one that said Init; our own Init is not
 * sent (the server would drop it). Everything else is the TCP server's:
 * ReaderAdd plugs the reader in (attach=reader), ATR inserts the card,
 * the channel closing removes card and reader. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "vcg_pt.h"
#include "vcg_spice_abi.h"

#ifndef VCG_SPICE_PLUGIN_DIR
#define VCG_SPICE_PLUGIN_DIR "/usr/lib/ccid-gadget"
#endif
#define PLUGIN_NAME "ccid-gadget-spice.so"
/* SPICE_MAX_PASSWORD_LENGTH (spice-protocol's protocol.h): the ticket is
 * RSA-encrypted in one block. */
#define TICKET_MAX 60

/* ---- the plug-in's calls into the card ---- */

static void host_log(void *ctx, int level, const char *line)
{
	struct vcg_pt *pt = ctx;

	vcg_logf(pt->log, level, "passthru slot %u: %s", pt->slot, line);
}

static void host_client_came(void *ctx, const char *peer)
{
	struct vcg_pt *pt = ctx;

	vcg_pt_logk(pt, VCG_PT_LOG_CONN, LOG_NOTICE,
		    "passthru slot %u: %s opened the smartcard channel",
		    pt->slot, peer);
	vcg_pt_connected(pt, peer);
	pt->got_init = true;  /* the SPICE server took its Init */
	vcg_pt_out_clear(pt); /* and would drop ours */
}

static void host_client_gone(void *ctx)
{
	struct vcg_pt *pt = ctx;

	if (!pt->connected)
		return;
	vcg_pt_logk(pt, VCG_PT_LOG_CONN, LOG_NOTICE,
		    "passthru slot %u: %s closed the smartcard channel",
		    pt->slot, pt->peer);
	pt->conn_broken = false;
	vcg_pt_disconnected(pt);
	vcg_pt_io_kick(pt); /* re-arms the timer */
}

static int host_from_client(void *ctx, const uint8_t *buf, size_t len)
{
	struct vcg_pt *pt = ctx;
	int rc;

	if (!pt->connected || pt->conn_broken)
		return 0; /* a ReaderRemove the server sends after the close */
	rc = vcg_pt_feed(pt, buf, len);
	if (rc < 0)
		vcg_pt_io_break(pt, pt->why);
	return rc;
}

static size_t host_to_client(void *ctx, uint8_t *buf, size_t len)
{
	struct vcg_pt *pt = ctx;
	size_t done = 0;

	while (pt->out != NULL && done < len) {
		struct vcg_pt_msg *m = pt->out;
		size_t n = m->len - m->off;

		if (n > len - done)
			n = len - done;
		memcpy(buf + done, m->data + m->off, n);
		done += n;
		m->off += n;
		if (m->off < m->len)
			break;
		pt->out = m->next;
		if (pt->out == NULL)
			pt->out_tail = &pt->out;
		pt->out_bytes -= m->len;
		free(m);
	}
	return done;
}

/* ---- loading ---- */

/* The plug-in: $CCID_GADGET_SPICE_PLUGIN, else beside the daemon's own
 * binary (a build tree), else VCG_SPICE_PLUGIN_DIR (the package). */
static void *open_plugin(char *tried, size_t triedlen)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	const char *env = getenv("CCID_GADGET_SPICE_PLUGIN");
	ssize_t n;
	void *h;

	tried[0] = '\0';
	if (env != NULL && env[0]) {
		snprintf(tried, triedlen, "%s", env);
		return dlopen(env, RTLD_NOW | RTLD_LOCAL);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", exe, PLUGIN_NAME);
			if (access(path, R_OK) == 0) {
				snprintf(tried, triedlen, "%s", path);
				return dlopen(path, RTLD_NOW | RTLD_LOCAL);
			}
		}
	}
	snprintf(path, sizeof(path), "%s/%s", VCG_SPICE_PLUGIN_DIR,
		 PLUGIN_NAME);
	snprintf(tried, triedlen, "%s", path);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	return h;
}

/* The ticket: the file's first line, 1..60 bytes. 0 or -errno with one
 * line in err. */
int vcg_pt_spice_read_ticket(const char *file, char *out, size_t outlen,
			     char *err, size_t errlen)
{
	char buf[TICKET_MAX + 3];
	ssize_t n;
	size_t len;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "password-file=%s: %s", file,
			 strerror(e));
		return -e;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		int e = errno;

		snprintf(err, errlen, "password-file=%s: %s", file,
			 strerror(e));
		return -e;
	}
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	if (len == (size_t)n && n == (ssize_t)sizeof(buf) - 1)
		len = sizeof(buf); /* no end of line within 61 bytes */
	if (len == 0 || len > TICKET_MAX || len >= outlen) {
		snprintf(
			err, errlen,
			"password-file=%s: the first line must hold the SPICE password, 1..%d bytes",
			file, TICKET_MAX);
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int vcg_pt_spice_start(struct vcg_pt *pt, char *err, size_t errlen)
{
	char tried[PATH_MAX + 32], ticket[TICKET_MAX + 1] = "";
	struct vcg_spice_host host = {
		.ctx = pt,
		.epfd = pt->epfd,
		.from_client = host_from_client,
		.to_client = host_to_client,
		.client_came = host_client_came,
		.client_gone = host_client_gone,
		.log = host_log,
	};
	struct vcg_spice_config cfg = {
		.host = pt->cfg.host,
		.port = pt->cfg.port,
		.tls_port = pt->cfg.tls_port,
		.x509_dir = pt->cfg.x509_dir[0] ? pt->cfg.x509_dir : NULL,
	};
	const struct vcg_spice_plugin *ops;
	void *h;
	int rc;

	if (pt->cfg.password_file[0]) {
		rc = vcg_pt_spice_read_ticket(pt->cfg.password_file, ticket,
					      sizeof(ticket), err, errlen);
		if (rc < 0)
			return rc;
		cfg.ticket = ticket;
	}
	h = open_plugin(tried, sizeof(tried));
	if (h == NULL) {
		snprintf(
			err, errlen,
			"spice=: cannot load the SPICE plug-in %s: %s (built without libspice-server-dev, or not installed?)",
			tried, dlerror());
		explicit_bzero(ticket, sizeof(ticket));
		return -ENOENT;
	}
	ops = dlsym(h, VCG_SPICE_PLUGIN_SYMBOL);
	if (ops == NULL || ops->abi_version != VCG_SPICE_ABI_VERSION) {
		snprintf(
			err, errlen,
			"spice=: %s is not a SPICE plug-in of this daemon (ABI %u expected)",
			tried, (unsigned)VCG_SPICE_ABI_VERSION);
		explicit_bzero(ticket, sizeof(ticket));
		dlclose(h);
		return -ENOEXEC;
	}
	pt->spice = ops->start(&host, &cfg, err, errlen);
	explicit_bzero(ticket, sizeof(ticket));
	if (pt->spice == NULL) {
		/* The library stays loaded: GLib types it registered cannot
		 * be unloaded. */
		return -EADDRNOTAVAIL;
	}
	pt->spice_ops = ops;
	snprintf(pt->describe, sizeof(pt->describe), "%s", pt->cfg.describe);
	return 0;
}

void vcg_pt_spice_event(struct vcg_pt *pt, uint32_t id, uint32_t events)
{
	if (pt->spice != NULL)
		pt->spice_ops->event(pt->spice, id, events);
}

void vcg_pt_spice_service(struct vcg_pt *pt)
{
	if (pt->spice == NULL)
		return;
	if (pt->conn_broken) {
		vcg_pt_logk(pt, VCG_PT_LOG_CONN, LOG_NOTICE,
			    "passthru slot %u: %s dropped: %s", pt->slot,
			    pt->peer,
			    pt->broken_why ? pt->broken_why : "protocol error");
		pt->conn_broken = false;
		pt->broken_why = NULL;
		vcg_pt_disconnected(pt);
		pt->spice_ops->drop_client(pt->spice);
		return;
	}
	if (pt->out != NULL)
		pt->spice_ops->wakeup(pt->spice);
}

void vcg_pt_spice_stop(struct vcg_pt *pt)
{
	if (pt->spice != NULL)
		pt->spice_ops->stop(pt->spice);
	pt->spice = NULL;
}
