/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A stand-in SPICE plug-in (vcg_spice_abi.h) for test_vcg_spice_glue:
 * no library, no socket. It keeps the host callbacks the card gave it
 * and counts what the card asks, so the test plays the SPICE server's
 * part: a client opening the smartcard channel, its bytes written to the
 * device, the device read, the client gone. */
#include <stdio.h>
#include <string.h>

#include "vcg_spice_abi.h"

struct vcg_spice {
	int unused;
};

static struct vcg_spice one;
static struct vcg_spice_host kept;
static struct vcg_spice_config kept_cfg;
static unsigned wakeups, drops, starts, stops;

/* For the test (dlsym): the host and the counters. */
__attribute__((visibility("default"))) const struct vcg_spice_host *
fake_spice_host(void);
__attribute__((visibility("default"))) void
fake_spice_counts(unsigned *w, unsigned *d, unsigned *st, unsigned *sp);
__attribute__((visibility("default"))) const char *fake_spice_ticket(void);

const struct vcg_spice_host *fake_spice_host(void)
{
	return &kept;
}

void fake_spice_counts(unsigned *w, unsigned *d, unsigned *st, unsigned *sp)
{
	*w = wakeups;
	*d = drops;
	*st = starts;
	*sp = stops;
}

static char ticket[64];

const char *fake_spice_ticket(void)
{
	return ticket;
}

static struct vcg_spice *start(const struct vcg_spice_host *host,
			       const struct vcg_spice_config *cfg, char *err,
			       size_t errlen)
{
	(void)err;
	(void)errlen;
	kept = *host;
	kept_cfg = *cfg;
	snprintf(ticket, sizeof(ticket), "%s", cfg->ticket ? cfg->ticket : "");
	starts++;
	return &one;
}

static void event(struct vcg_spice *s, uint32_t id, uint32_t events)
{
	(void)s;
	(void)id;
	(void)events;
}

static void wakeup(struct vcg_spice *s)
{
	(void)s;
	wakeups++;
}

static void drop_client(struct vcg_spice *s)
{
	(void)s;
	drops++;
}

static void stop(struct vcg_spice *s)
{
	(void)s;
	stops++;
}

__attribute__((visibility("default")))
const struct vcg_spice_plugin vcg_spice_plugin_v1 = {
	.abi_version = VCG_SPICE_ABI_VERSION,
	.start = start,
	.event = event,
	.wakeup = wakeup,
	.drop_client = drop_client,
	.stop = stop,
};
