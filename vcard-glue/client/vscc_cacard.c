/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ccid-vscclient's libcacard side: see vscc_cacard.h. */
#include "vscc_cacard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libcacard.h>

#include "thread_stack.h"
#include "vscc_card_ops.h"

static int cacard_xfr(void *ctx, const uint8_t *apdu, size_t len,
		      uint8_t *resp, size_t cap, size_t *resp_len)
{
	struct vscc_cacard *c = ctx;
	int rlen = cap > 0x7fffffff ? 0x7fffffff : (int)cap;
	VReaderStatus st;

	if (c->reader == NULL)
		return -ENODEV;
	/* libcacard's send buffer is not const; it does not write to it. */
	st = vreader_xfr_bytes(c->reader, (unsigned char *)apdu, (int)len,
			       resp, &rlen);
	if (st == VREADER_NO_CARD)
		return -ENOMEDIUM;
	if (st != VREADER_OK)
		return -EIO;
	if (rlen < 0)
		return -EIO;
	*resp_len = (size_t)rlen;
	return 0;
}

const struct vscc_card_ops vscc_cacard_ops = {
	.xfr = cacard_xfr,
};

/* The event thread's stack (thread_stack.h): it only hands libcacard's
 * events to the pipe, as the daemon's emulated card's does (2.3 kB at
 * its peak there, valgrind --tool=drd --show-stack-usage=yes). */
#define EVENT_STACK (64 * 1024)

static void *event_main(void *arg)
{
	struct vscc_cacard *c = arg;

	for (;;) {
		VEvent *ev = vevent_wait_next_vevent();
		ssize_t n;

		if (ev == NULL)
			break;
		if (ev->type == VEVENT_LAST) {
			vevent_delete(ev);
			break;
		}
		/* A pointer is far below PIPE_BUF: the write is atomic. */
		do
			n = write(c->ev_wr, &ev, sizeof(ev));
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(ev))
			vevent_delete(ev);
	}
	return NULL;
}

int vscc_cacard_start(struct vscc_cacard *c, const char *options, char *why,
		      size_t whylen)
{
	VCardEmulOptions *opts = NULL;
	VCardEmulError e;
	int fds[2];

	memset(c, 0, sizeof(*c));
	c->ev_rd = c->ev_wr = -1;
	if (options != NULL && options[0] != '\0') {
		opts = vcard_emul_options(options);
		if (opts == NULL) {
			snprintf(why, whylen, "libcacard rejected the options '%s' (see -e in --help)",
				 options);
			return -EINVAL;
		}
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -errno;
	}
	c->ev_rd = fds[0];
	c->ev_wr = fds[1];
	e = vcard_emul_init(opts);
	if (e != VCARD_EMUL_OK) {
		snprintf(why, whylen,
			 "libcacard could not start (vcard_emul_init error %d; check the db and nicknames; G_MESSAGES_DEBUG=all shows its reasons)",
			 (int)e);
		return -EIO;
	}
	if (thread_create_sized(&c->thread, EVENT_STACK, event_main, c) != 0) {
		snprintf(why, whylen, "cannot start the libcacard event thread");
		return -EAGAIN;
	}
	c->thread_started = true;
	return 0;
}

/* Our reader was announced: watch its slot if it has one (the first
 * look is the baseline). */
static void watch_start(struct vscc_cacard *c)
{
	(void)vcg_slotwatch_look(&c->watch, vreader_get_name(c->reader), NULL);
	if (!vcg_slotwatch_found(&c->watch))
		vcg_slotwatch_stop(&c->watch); /* a soft card */
}

void vscc_cacard_watch(struct vscc_cacard *c)
{
	enum vcg_slot_change ch;

	if (!vscc_cacard_watching(c))
		return;
	ch = vcg_slotwatch_look(&c->watch, vreader_get_name(c->reader), NULL);
	if (ch == VCG_SLOT_SAME)
		return;
	fprintf(stderr, "ccid-vscclient: the card in '%s' was %s (NSS slot)\n",
		vreader_get_name(c->reader), vcg_slot_change_name(ch));
	/* Each is a no-op when libcacard's own thread already did it: its
	 * card events reach the session through the pipe either way. */
	if (ch == VCG_SLOT_REMOVED || ch == VCG_SLOT_REPLACED)
		(void)vcard_emul_force_card_remove(c->reader);
	if (ch == VCG_SLOT_INSERTED || ch == VCG_SLOT_REPLACED)
		(void)vcard_emul_force_card_insert(c->reader);
}

int vscc_cacard_next_event(struct vscc_cacard *c, struct vscc_event *out)
{
	VEvent *ev;
	ssize_t n;
	int len;

	memset(out, 0, sizeof(*out));
	do
		n = read(c->ev_rd, &ev, sizeof(ev));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(ev))
		return n < 0 ? -errno : -EIO;
	if (ev->reader == NULL)
		goto done;
	if (c->reader == NULL && ev->type == VEVENT_READER_INSERT) {
		c->reader = vreader_reference(ev->reader);
		watch_start(c);
	}
	if (ev->reader != c->reader) {
		fprintf(stderr, "ccid-vscclient: ignoring libcacard reader '%s' (one reader per session)\n",
			vreader_get_name(ev->reader));
		goto done;
	}
	switch (ev->type) {
	case VEVENT_READER_INSERT:
		out->kind = VSCC_EV_READER_ADD;
		snprintf(out->name, sizeof(out->name), "%s",
			 vreader_get_name(ev->reader) ? vreader_get_name(ev->reader) : "");
		break;
	case VEVENT_READER_REMOVE:
		out->kind = VSCC_EV_READER_REMOVE;
		vcg_slotwatch_stop(&c->watch);
		vreader_free(c->reader);
		c->reader = NULL;
		break;
	case VEVENT_CARD_INSERT: {
		unsigned char atr[64];

		len = (int)sizeof(atr);
		if (vreader_power_on(ev->reader, atr, &len) != VREADER_OK ||
		    len < 1 || len > (int)sizeof(out->atr)) {
			fprintf(stderr, "ccid-vscclient: libcacard gave no usable ATR (%d bytes) for the inserted card\n",
				len);
			break;
		}
		out->kind = VSCC_EV_CARD_INSERT;
		memcpy(out->atr, atr, (size_t)len);
		out->atr_len = (size_t)len;
		break;
	}
	case VEVENT_CARD_REMOVE:
		out->kind = VSCC_EV_CARD_REMOVE;
		break;
	default:
		break;
	}
done:
	vevent_delete(ev);
	return 0;
}

void vscc_cacard_insert(struct vscc_cacard *c, FILE *out)
{
	if (c->reader == NULL) {
		fprintf(out, "insert: no reader\n");
		return;
	}
	if (vcard_emul_force_card_insert(c->reader) == VCARD_EMUL_OK)
		fprintf(out, "insert: card inserted in '%s'\n", vreader_get_name(c->reader));
	else
		fprintf(out, "insert: not done (a card is already in '%s')\n",
			vreader_get_name(c->reader));
}

void vscc_cacard_remove(struct vscc_cacard *c, FILE *out)
{
	if (c->reader == NULL) {
		fprintf(out, "remove: no reader\n");
		return;
	}
	if (vcard_emul_force_card_remove(c->reader) == VCARD_EMUL_OK)
		fprintf(out, "remove: card removed from '%s'\n", vreader_get_name(c->reader));
	else
		fprintf(out, "remove: not done (no card in '%s')\n",
			vreader_get_name(c->reader));
}

void vscc_cacard_list(struct vscc_cacard *c, FILE *out)
{
	VReaderList *list = vreader_get_reader_list();
	VReaderListEntry *e;

	for (e = vreader_list_get_first(list); e != NULL; e = vreader_list_get_next(e)) {
		VReader *r = vreader_list_get_reader(e);

		fprintf(out, "reader '%s'%s: %s\n", vreader_get_name(r),
			r == c->reader ? " (passed to the server)" : "",
			vreader_card_is_present(r) == VREADER_OK ? "CARD_PRESENT" : "no card");
		vreader_free(r);
	}
	vreader_list_delete(list);
}

void vscc_cacard_stop(struct vscc_cacard *c)
{
	VEvent *ev;

	if (c->thread_started) {
		vevent_queue_vevent(vevent_new(VEVENT_LAST, NULL, NULL));
		pthread_join(c->thread, NULL);
		c->thread_started = false;
	}
	if (c->ev_wr >= 0)
		close(c->ev_wr);
	if (c->ev_rd >= 0) {
		while (read(c->ev_rd, &ev, sizeof(ev)) == (ssize_t)sizeof(ev))
			vevent_delete(ev);
		close(c->ev_rd);
	}
	c->ev_rd = c->ev_wr = -1;
	vcg_slotwatch_stop(&c->watch);
	if (c->reader != NULL)
		vreader_free(c->reader);
	c->reader = NULL;
}
