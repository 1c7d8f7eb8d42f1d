/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The emulated card's two threads: the worker that serializes every
 * libcacard call on the reader, and the vevent thread. See vcg_emul.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vcg_cacard.h"
#include "vcg_emul.h"
#include "vcg_keycache.h"
#include "vcg_piv_atr.h"
#include "mono_ms.h"

struct vcg_done *vcg_emul_done_new(enum vcg_done_kind kind, const void *data,
				   size_t len)
{
	struct vcg_done *d = calloc(1, sizeof(*d) + len);

	if (d == NULL)
		return NULL;
	d->kind = kind;
	d->len = len;
	if (data != NULL && len > 0)
		memcpy(d->data, data, len);
	return d;
}

void vcg_emul_post_locked(struct vcg_emul *em, struct vcg_done *d)
{
	static const uint64_t one = 1;
	ssize_t n;

	d->next = NULL;
	*em->done_tail = d;
	em->done_tail = &d->next;
	/* A non-blocking eventfd write fails only when the counter would
	 * pass 2^64-2, i.e. when the loop has a wake-up pending anyway. */
	n = write(em->efd, &one, sizeof(one));
	(void)n;
}

void vcg_emul_log(struct vcg_emul *em, int level, const char *fmt, ...)
{
	char text[512];
	struct vcg_done *d;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	d = vcg_emul_done_new(VCG_DONE_LOG, text, strlen(text) + 1);
	if (d == NULL)
		return;   /* a log line lost to OOM: nothing else to do */
	d->level = level;
	pthread_mutex_lock(&em->lock);
	vcg_emul_post_locked(em, d);
	pthread_mutex_unlock(&em->lock);
}

bool vcg_emul_wants_reader(const struct vcg_emul *em, VReader *reader)
{
	const char *name = vreader_get_name(reader);

	if (em->cfg.backend == VCG_EMUL_CERTIFICATES)
		return name != NULL && strcmp(name, VCG_EMUL_READER_NAME) == 0;
	return em->hw_reader[0] == '\0' ||
	       (name != NULL && strcmp(name, em->hw_reader) == 0);
}

/* ---- the worker ---- */

static int power_on(struct vcg_emul *em, VReader *reader, uint8_t *atr,
		    size_t *atr_len)
{
	/* libcacard's ATR is 15 bytes; leave room for any ATR. */
	unsigned char buf[64];
	int len = (int)sizeof(buf);
	VReaderStatus st;

	if (reader == NULL)
		return -ENOMEDIUM;
	vcg_emul_piv_build(em);
	st = vreader_power_on(reader, buf, &len);
	if (st == VREADER_NO_CARD)
		return -ENOMEDIUM;
	if (st != VREADER_OK)
		return -ENOMEM;
	if (len < 2 || len > VCG_EMUL_ATR_MAX) {
		vcg_emul_log(em, LOG_ERR,
			 "emulated card slot %u: libcacard gave a %d-byte ATR (2..%d expected)",
			 em->slot, len, VCG_EMUL_ATR_MAX);
		return -EIO;
	}
	memcpy(atr, buf, (size_t)len);
	*atr_len = (size_t)len;
	/* With the PIV card edge the ATR also offers T=1 (vcg_piv_atr.h). */
	if (vcg_piv_router_personality(vcg_piv_card_router(em->piv)) !=
	    VCG_PIV_CAC) {
		uint8_t t1[VCG_EMUL_ATR_MAX];
		size_t n = vcg_piv_atr_add_t1(atr, *atr_len, t1, sizeof(t1));

		if (n > 0) {
			memcpy(atr, t1, n);
			*atr_len = n;
		}
	}
	if (em->cfg.backend == VCG_EMUL_NSS_EMULATED) {
		/* The token's certificates as they are now (a card put back
		 * may be another one); without them libcacard alone answers
		 * and CoolKey lists nothing. */
		char why[160];

		vcg_cacpki_free(em->pki);
		em->pki = vcg_emul_cacpki_from_slot(vreader_get_name(reader),
						    why, sizeof(why));
		if (em->pki == NULL && !em->pki_said)
			vcg_emul_log(em, LOG_INFO,
				     "emulated card slot %u: certificates served by libcacard alone (%s): CoolKey will not list them",
				     em->slot, why);
		em->pki_said = em->pki == NULL;
	}
	if (em->pki != NULL)
		vcg_cacpki_reset(em->pki);   /* a reset card: nothing selected */
	vcg_piv_router_reset(vcg_piv_card_router(em->piv));
	return 0;
}

int vcg_emul_transfer(struct vcg_emul *em, VReader *reader, uint8_t *apdu,
		      size_t apdu_len, size_t *resp_len)
{
	struct vcg_piv_router *router;
	int len = VCG_EMUL_RESP_CAP;
	VReaderStatus st;

	if (reader == NULL)
		return -ENOMEDIUM;
	vcg_emul_piv_build(em); /* built at power-on: a no-op */
	router = vcg_piv_card_router(em->piv);
	/* The personality router first (PIV, GET CHALLENGE, Windows'
	 * probes), then the CAC PKI applets' filter, then libcacard. */
	len = (int)vcg_piv_router_answer(router, apdu, apdu_len, em->resp,
					 VCG_EMUL_RESP_CAP);
	if (len > 0) {
		*resp_len = (size_t)len;
		return 0;
	}
	len = (int)vcg_cacpki_answer(em->pki, apdu, apdu_len, em->resp,
				     VCG_EMUL_RESP_CAP);
	if (len > 0) {
		*resp_len = (size_t)len;
		return 0;
	}
	len = VCG_EMUL_RESP_CAP;
	/* libcacard takes a non-const buffer: apdu is our own copy. */
	st = vreader_xfr_bytes(reader, apdu, (int)apdu_len, em->resp, &len);
	if (st == VREADER_NO_CARD)
		return -ENOMEDIUM;   /* len is left untouched on this path */
	if (st != VREADER_OK)
		return -ENOMEM;
	if (len >= VCG_EMUL_RESP_CAP) {
		vcg_emul_log(em, LOG_ERR,
			 "emulated card slot %u: libcacard filled the whole %d-byte response buffer (response cut off); failing the APDU",
			 em->slot, VCG_EMUL_RESP_CAP);
		return -EOVERFLOW;
	}
	if (len < 2) {
		vcg_emul_log(em, LOG_ERR,
			 "emulated card slot %u: %d-byte response has no status word",
			 em->slot, len);
		return -EIO;
	}
	vcg_cacpki_observe(em->pki, apdu, apdu_len, em->resp, (size_t)len);
	vcg_piv_router_observe(router, apdu, apdu_len, em->resp, (size_t)len);
	*resp_len = (size_t)len;
	return 0;
}

static void force(struct vcg_emul *em, VReader *reader, bool insert)
{
	VCardEmulError e;

	if (reader == NULL) {
		vcg_emul_log(em, LOG_WARNING,
			 "emulated card slot %u: no reader, cannot %s the card",
			 em->slot, insert ? "insert" : "remove");
		return;
	}
	e = insert ? vcard_emul_force_card_insert(reader)
		   : vcard_emul_force_card_remove(reader);
	if (e == VCARD_EMUL_OK)
		return;
	if (insert)
		vcg_emul_log(em, LOG_WARNING,
			 "emulated card slot %u: cannot insert (already in, or the hardware token is gone)",
			 em->slot);
	else
		vcg_emul_log(em, LOG_INFO,
			 "emulated card slot %u: card already removed", em->slot);
}

/* Has the db moved, gone or changed since the card started? One line
 * per change (vcg_nssdb.h). Before the jobs a host or the control socket
 * starts (power on, remove, insert), not before every APDU. */
static void watch_db(struct vcg_emul *em)
{
	char line[480];
	int level = vcg_nssdb_watch_check(&em->watch, line, sizeof(line));

	if (level > 0)
		vcg_emul_log(em, level, "emulated card slot %u: %s", em->slot,
			     line);
}

/* Run one job with the lock released; returns its completion or NULL
 * (jobs that complete nothing). */
static struct vcg_done *run_job(struct vcg_emul *em, VReader *reader,
				struct vcg_job *job)
{
	uint8_t atr[VCG_EMUL_ATR_MAX];
	const uint8_t *data = NULL;
	struct vcg_done *d;
	size_t len = 0;
	int err;

	if (job->kind == VCG_JOB_POWER_ON || job->kind == VCG_JOB_REMOVE ||
	    job->kind == VCG_JOB_INSERT)
		watch_db(em);
	switch (job->kind) {
	case VCG_JOB_POWER_ON:
		err = power_on(em, reader, atr, &len);
		data = atr;
		break;
	case VCG_JOB_XFR:
		err = vcg_emul_transfer(em, reader, job->data, job->len, &len);
		data = em->resp;
		break;
	case VCG_JOB_POWER_OFF:
		if (reader != NULL)
			vreader_power_off(reader);
		vcg_keycache_flush();   /* libcacard logged out */
		return NULL;
	case VCG_JOB_REMOVE:
	case VCG_JOB_INSERT:
		force(em, reader, job->kind == VCG_JOB_INSERT);
		vcg_keycache_flush();
		return NULL;
	default:
		return NULL;
	}
	if (err < 0)
		len = 0;
	d = vcg_emul_done_new(VCG_DONE_OP, data, len);
	if (d == NULL) {
		d = job->fallback;
		job->fallback = NULL;
		err = -ENOMEM;
	}
	d->tag = job->tag;
	d->err = err;
	return d;
}

/* nss-emulated: is the next watch on the token due? */
static bool watch_due(const struct vcg_emul *em)
{
	return mono_ms() >= em->watch_next_ms;
}

/* nss-emulated: wait for a job until the next watch is due. Lock held. */
static void idle_wait(struct vcg_emul *em)
{
	uint64_t now = mono_ms(), left;
	struct timespec until;

	if (now >= em->watch_next_ms)
		return;
	left = em->watch_next_ms - now;
	clock_gettime(CLOCK_REALTIME, &until);   /* the cond's clock */
	until.tv_sec += (time_t)(left / 1000);
	until.tv_nsec += (long)(left % 1000) * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&em->work_cond, &em->lock, &until);
}

/* The watch on the token (vcg_emul_watch.c), as a job runs: lock
 * released, NSS's pollers held. Called and returns with the lock held. */
static void watch(struct vcg_emul *em)
{
	VReader *reader = vreader_reference(em->reader);

	em->watch_next_ms = mono_ms() + VCG_EMUL_WATCH_MS;
	pthread_mutex_unlock(&em->lock);
	vcg_cacard_hold_pollers(true);
	vcg_emul_watch_token(em, reader);
	vcg_cacard_hold_pollers(false);
	vreader_free(reader);
	pthread_mutex_lock(&em->lock);
}

void *vcg_emul_worker_main(void *arg)
{
	struct vcg_emul *em = arg;

	pthread_mutex_lock(&em->lock);
	for (;;) {
		struct vcg_job *job;
		struct vcg_done *d;
		VReader *reader;

		while (em->jobs == NULL && !em->quit) {
			if (em->cfg.backend != VCG_EMUL_NSS_EMULATED)
				pthread_cond_wait(&em->work_cond, &em->lock);
			else if (watch_due(em))
				watch(em);
			else
				idle_wait(em);
		}
		if (em->quit)
			break;   /* queued jobs are freed by the destroyer */
		/* Between jobs too: a PC sending APDUs without a pause must
		 * still see its card go. */
		if (em->cfg.backend == VCG_EMUL_NSS_EMULATED && watch_due(em)) {
			watch(em);
			continue;
		}
		job = em->jobs;
		em->jobs = job->next;
		if (em->jobs == NULL)
			em->jobs_tail = &em->jobs;
		reader = vreader_reference(em->reader);
		em->running = job->kind == VCG_JOB_POWER_ON ||
			      job->kind == VCG_JOB_XFR;
		em->running_tag = job->tag;
		em->running_cancelled = false;
		pthread_mutex_unlock(&em->lock);

		if (em->cfg.backend == VCG_EMUL_NSS_EMULATED)
			vcg_cacard_hold_pollers(true);
		d = run_job(em, reader, job);
		if (em->cfg.backend == VCG_EMUL_NSS_EMULATED)
			vcg_cacard_hold_pollers(false);
		vreader_free(reader);

		pthread_mutex_lock(&em->lock);
		if (d != NULL && em->running_cancelled) {
			free(d);   /* cancelled or powered off meanwhile */
			d = NULL;
		}
		em->running = false;
		if (d != NULL)
			vcg_emul_post_locked(em, d);
		free(job->fallback);
		free(job);
	}
	pthread_mutex_unlock(&em->lock);
	vcg_slotwatch_stop(&em->slotwatch); /* the worker's alone */
	return NULL;
}

/* ---- the vevent thread ---- */

static void post_presence_locked(struct vcg_emul *em, bool present)
{
	struct vcg_done *d = vcg_emul_done_new(VCG_DONE_PRESENCE, NULL, 0);

	if (d == NULL)
		return;   /* OOM: the next event corrects the state */
	d->present = present;
	vcg_emul_post_locked(em, d);
}

static void handle_event(struct vcg_emul *em, const VEvent *ev)
{
	if (ev->reader == NULL)
		return;
	pthread_mutex_lock(&em->lock);
	if (em->reader == NULL && ev->type != VEVENT_READER_REMOVE &&
	    vcg_emul_wants_reader(em, ev->reader))
		em->reader = vreader_reference(ev->reader);
	if (ev->reader == em->reader) {
		switch (ev->type) {
		case VEVENT_READER_REMOVE:
			vreader_free(em->reader);
			em->reader = NULL;
			post_presence_locked(em, false);
			break;
		case VEVENT_CARD_INSERT:
			post_presence_locked(em, true);
			break;
		case VEVENT_CARD_REMOVE:
			post_presence_locked(em, false);
			break;
		default:
			break;
		}
	}
	pthread_mutex_unlock(&em->lock);
}

void *vcg_emul_event_main(void *arg)
{
	struct vcg_emul *em = arg;

	for (;;) {
		VEvent *ev = vevent_wait_next_vevent();

		if (ev == NULL)
			break;
		if (ev->type == VEVENT_LAST) {
			vevent_delete(ev);
			break;
		}
		handle_event(em, ev);
		vevent_delete(ev);
	}
	return NULL;
}
