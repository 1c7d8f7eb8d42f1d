/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The passthru card's side of the SPICE seam (vcard-glue/passthru/
 * vcg_pt_spice.c) with a stand-in plug-in (tests/unit/spice/fake_plugin.c,
 * build/tests/fake-spice-plugin.so): the test plays the SPICE server.
 *  - start: the plug-in is loaded, gets the config and the ticket;
 *  - the char device: a client opening the channel counts as one that
 *    said Init (nothing is sent: the server would drop our Init);
 *    ReaderAdd written to the device is answered (device read) with
 *    VSC_Error success; an ATR inserts the card; an APDU from the engine
 *    is read from the device, its answer written back completes it; the
 *    device read hands out a message in pieces as the server asks;
 *  - bytes before a client opened the channel are ignored;
 *  - a protocol error drops the client (the plug-in's drop_client), with
 *    one line, and the card goes;
 *  - the client gone removes card and reader;
 *  - a plug-in of another ABI is refused. */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccid_fake.h"
#include "ccid_proto.h"
#include "tap.h"
#include "vcg_card.h"
#include "vcg_spice_abi.h"
#include "vscard_codec.h"

static char err[512];
static uint8_t in[4096];
static char plugin[4200];
static char logged[16384];

static const struct vcg_spice_host *(*host_of)(void);
static void (*counts_of)(unsigned *, unsigned *, unsigned *, unsigned *);
static const char *(*ticket_of)(void);

static void keep_log(void *ctx, int level, const char *line)
{
	size_t used = strlen(logged);

	ccid_fake_log(ctx, level, line);
	snprintf(logged + used, sizeof(logged) - used, "%s\n", line);
}

static void pump(struct vcg_card *card)
{
	for (int i = 0; i < 20; i++) {
		struct pollfd p = { .fd = vcg_card_fd(card), .events = POLLIN };

		if (poll(&p, 1, i == 0 ? 200 : 10) != 1)
			break;
		vcg_card_dispatch(card);
	}
}

static unsigned count(int which)
{
	unsigned c[4];

	counts_of(&c[0], &c[1], &c[2], &c[3]);
	return c[which];
}

/* Write a message to the device as the SPICE server does. */
static int write_msg(const uint8_t *msg, int n)
{
	const struct vcg_spice_host *h = host_of();

	return h->from_client(h->ctx, msg, (size_t)n);
}

/* Read the device until one whole message is decoded (the server reads
 * in pieces of `piece` bytes). 1 and *m, 0 if nothing is queued. */
static int read_msg(struct vsc_decoder *dec, struct vsc_msg *m, size_t piece)
{
	const struct vcg_spice_host *h = host_of();

	for (;;) {
		uint8_t buf[512];
		size_t used, n;
		int rc = vsc_decoder_next(dec, m);

		if (rc != 0)
			return rc > 0 ? 1 : -1;
		n = h->to_client(h->ctx, buf,
				 piece < sizeof(buf) ? piece : sizeof(buf));
		if (n == 0)
			return 0;
		if (vsc_decoder_feed(dec, buf, n, &used) < 0 || used != n)
			return -1;
	}
}

static struct vcg_card *card_with(struct ccid_engine *eng, const char *spec)
{
	struct vcg_card *card;

	logged[0] = '\0';
	card = vcg_card_create(spec, eng, 0, NULL, err, sizeof(err));
	if (card == NULL)
		fprintf(stderr, "  %s\n", err);
	else
		vcg_card_set_log(card, keep_log, NULL);
	return card;
}

static bool slot_present(struct ccid_engine *eng)
{
	ccid_fake_send(eng, CCID_PC_GET_SLOT_STATUS, 0, 0xE0, 0, 0, 0, NULL, 0);
	return ccid_fake_pop(eng, in, sizeof(in)) >= 10 && (in[7] & 0x03) != 2;
}

static void char_device(void)
{
	static const uint8_t atr[] = { 0x3B, 0x02, 0x14, 0x50 };
	static const uint8_t apdu[] = {
		0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00
	};
	static const uint8_t rsp[] = { 0x6F, 0x00, 0x90, 0x00 };
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card =
		card_with(eng, "passthru,spice=127.0.0.1:5930,attach=always");
	const struct vcg_spice_host *h;
	static struct vsc_decoder dec;
	struct vsc_msg m;
	uint8_t msg[64];
	unsigned wakeups;
	size_t n;
	int len;

	CHECK(card != NULL);
	if (card == NULL)
		goto out;
	h = host_of();
	vsc_decoder_init(&dec);
	CHECK_EQ(count(2), 1); /* started */
	CHECK(strcmp(vcg_card_describe(card),
		     "passthru spice 127.0.0.1:5930") == 0);

	/* bytes before any client: ignored */
	len = vsc_encode_reader_add(msg, sizeof(msg), 0, NULL, 0);
	CHECK_EQ(write_msg(msg, len), 0);
	CHECK_EQ(read_msg(&dec, &m, 512), 0);

	h->client_came(h->ctx, "spice 127.0.0.1:4242");
	CHECK_EQ(read_msg(&dec, &m, 512), 0); /* no Init sent */
	CHECK(strstr(logged,
		     "spice 127.0.0.1:4242 opened the smartcard channel") !=
	      NULL);

	wakeups = count(0);
	CHECK_EQ(write_msg(msg, len), 0); /* the server's ReaderAdd */
	pump(card);
	CHECK(count(0) > wakeups);          /* the server was told to read */
	CHECK_EQ(read_msg(&dec, &m, 5), 1); /* in 5-byte pieces */
	CHECK_EQ(m.type, VSC_ERROR);
	CHECK_EQ(m.error_code, VSC_ERR_SUCCESS);

	len = vsc_encode_atr(msg, sizeof(msg), 0, atr, sizeof(atr));
	CHECK_EQ(write_msg(msg, len), 0);
	pump(card);
	CHECK_EQ(read_msg(&dec, &m, 512), 1);
	CHECK_EQ(m.type, VSC_ERROR);
	CHECK(slot_present(eng));

	/* an APDU from the host goes out through the device read */
	ccid_fake_send(eng, CCID_PC_ICC_POWER_ON, 0, 1, 0, 0, 0, NULL, 0);
	CHECK_EQ(ccid_fake_pop(eng, in, sizeof(in)), 10 + sizeof(atr));
	ccid_fake_send(eng, CCID_PC_XFR_BLOCK, 0, 2, 0, 0, 0, apdu,
		       sizeof(apdu));
	pump(card);
	CHECK_EQ(read_msg(&dec, &m, 512), 1);
	CHECK_EQ(m.type, VSC_APDU);
	CHECK_EQ(m.length, sizeof(apdu));
	CHECK_MEM(m.payload, apdu, sizeof(apdu));
	len = vsc_encode_apdu(msg, sizeof(msg), 0, rsp, sizeof(rsp));
	CHECK_EQ(write_msg(msg, len), 0);
	pump(card);
	n = ccid_fake_pop(eng, in, sizeof(in));
	CHECK_EQ(n, 10 + sizeof(rsp));
	CHECK_MEM(in + 10, rsp, sizeof(rsp));

	/* the client gone: card and reader with it */
	h->client_gone(h->ctx);
	pump(card);
	CHECK(!slot_present(eng));
	CHECK(strstr(logged, "closed the smartcard channel") != NULL);
	vcg_card_destroy(card);
	CHECK_EQ(count(3), 1); /* stopped */
out:
	ccid_engine_free(eng);
}

static void protocol_error_drops_the_client(void)
{
	static const uint8_t atr[] = { 0x3B, 0x02, 0x14, 0x50 };
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card =
		card_with(eng, "passthru,spice=127.0.0.1:5930,attach=always");
	const struct vcg_spice_host *h;
	uint8_t msg[64];
	unsigned drops;
	int len;

	CHECK(card != NULL);
	if (card == NULL)
		goto out;
	h = host_of();
	h->client_came(h->ctx, "spice 127.0.0.1:4343");
	len = vsc_encode_reader_add(msg, sizeof(msg), 0, NULL, 0);
	write_msg(msg, len);
	len = vsc_encode_atr(msg, sizeof(msg), 0, atr, sizeof(atr));
	write_msg(msg, len);
	pump(card);
	CHECK(slot_present(eng));
	drops = count(1);
	/* a header with a bad magic type: the decoder refuses it */
	memset(msg, 0xFF, 12);
	CHECK(write_msg(msg, 12) < 0);
	pump(card);
	CHECK_EQ(count(1), drops + 1);
	CHECK(!slot_present(eng));
	CHECK(strstr(logged, "spice 127.0.0.1:4343 dropped:") != NULL);
	/* later bytes of that client: ignored until a client comes again */
	CHECK_EQ(write_msg(msg, 12), 0);
	vcg_card_destroy(card);
out:
	ccid_engine_free(eng);
}

static void ticket_reaches_the_plugin(void)
{
	const char *pw = "build/tests/spice-glue-ticket.txt";
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	FILE *f = fopen(pw, "w");
	char spec[256];
	struct vcg_card *card;

	CHECK(f != NULL);
	if (f == NULL)
		goto out;
	fputs("glue-ticket\n", f);
	fclose(f);
	snprintf(spec, sizeof(spec), "passthru,spice=5930,password-file=%s",
		 pw);
	card = card_with(eng, spec);
	CHECK(card != NULL);
	CHECK(strcmp(ticket_of(), "glue-ticket") == 0);
	if (card != NULL)
		vcg_card_destroy(card);
	/* a missing file: the card is refused before the plug-in starts */
	card = card_with(eng,
			 "passthru,spice=5930,password-file=build/tests/none");
	CHECK(card == NULL);
	CHECK(strstr(err, "password-file=build/tests/none") != NULL);
out:
	ccid_engine_free(eng);
}

static void missing_plugin_is_refused(void)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card;

	setenv("CCID_GADGET_SPICE_PLUGIN", "build/tests/no-such-plugin.so", 1);
	card = card_with(eng, "passthru,spice=5930");
	CHECK(card == NULL);
	CHECK(strstr(err,
		     "cannot load the SPICE plug-in build/tests/no-such-plugin.so") !=
	      NULL);
	setenv("CCID_GADGET_SPICE_PLUGIN", plugin, 1);
	ccid_engine_free(eng);
}

int main(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	void *h;

	if (n <= 0)
		return 1;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(plugin, sizeof(plugin), "%s/fake-spice-plugin.so", self);
	setenv("CCID_GADGET_SPICE_PLUGIN", plugin, 1);
	h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		printf("not ok - the fake plug-in loads: %s\n", dlerror());
		return 1;
	}
	host_of = (const struct vcg_spice_host *(*)(void))dlsym(
		h, "fake_spice_host");
	counts_of = (void (*)(unsigned *, unsigned *, unsigned *,
			      unsigned *))dlsym(h, "fake_spice_counts");
	ticket_of = (const char *(*)(void))dlsym(h, "fake_spice_ticket");
	if (host_of == NULL || counts_of == NULL || ticket_of == NULL) {
		printf("not ok - the fake plug-in has its test entry points\n");
		return 1;
	}
	RUN(char_device);
	RUN(protocol_error_drops_the_client);
	RUN(ticket_reaches_the_plugin);
	RUN(missing_plugin_is_refused);
	TAP_EXIT();
}
