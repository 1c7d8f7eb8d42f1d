/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "emulated" card driver: libcacard's CAC card behind
 * ccid_card_ops. The SPEC is vcg_emul_config.h's; the threading is
 * vcg_emul.h's. This file is the loop-thread side: create/destroy, the
 * card ops (which only post jobs) and dispatch (which hands results to
 * the engine). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "thread_stack.h"
#include "vcg_cacard.h"
#include "vcg_emul.h"

/* ---- jobs (loop thread) ---- */

static int post_job(struct vcg_emul *em, enum vcg_job_kind kind,
		    uint32_t tag, const uint8_t *data, size_t len)
{
	bool op = kind == VCG_JOB_POWER_ON || kind == VCG_JOB_XFR;
	struct vcg_job *job = calloc(1, sizeof(*job) + len);

	if (job == NULL)
		return -ENOMEM;
	if (op) {
		job->fallback = vcg_emul_done_new(VCG_DONE_OP, NULL, 0);
		if (job->fallback == NULL) {
			free(job);
			return -ENOMEM;
		}
	}
	job->kind = kind;
	job->tag = tag;
	job->len = len;
	if (len > 0)
		memcpy(job->data, data, len);
	pthread_mutex_lock(&em->lock);
	*em->jobs_tail = job;
	em->jobs_tail = &job->next;
	pthread_cond_signal(&em->work_cond);
	pthread_mutex_unlock(&em->lock);
	return 0;
}

static void free_job(struct vcg_job *job)
{
	free(job->fallback);
	free(job);
}

/* Drop queued power-on/transfer jobs (all, or only `tag`) and mark a
 * running one cancelled. Called with the lock held. */
static void cancel_locked(struct vcg_emul *em, bool all, uint32_t tag)
{
	struct vcg_job **pp = &em->jobs;

	while (*pp != NULL) {
		struct vcg_job *job = *pp;
		bool op = job->kind == VCG_JOB_POWER_ON ||
			  job->kind == VCG_JOB_XFR;

		if (op && (all || job->tag == tag)) {
			*pp = job->next;
			free_job(job);
		} else {
			pp = &job->next;
		}
	}
	em->jobs_tail = &em->jobs;
	while (*em->jobs_tail != NULL)
		em->jobs_tail = &(*em->jobs_tail)->next;
	if (em->running && (all || em->running_tag == tag))
		em->running_cancelled = true;
}

/* ---- ccid_card_ops (loop thread) ---- */

static int emul_power_on(void *ctx, uint32_t tag)
{
	struct vcg_emul *em = ctx;

	if (!em->present)
		return -ENOMEDIUM;
	return post_job(em, VCG_JOB_POWER_ON, tag, NULL, 0);
}

static void emul_power_off(void *ctx)
{
	struct vcg_emul *em = ctx;

	pthread_mutex_lock(&em->lock);
	cancel_locked(em, true, 0);
	pthread_mutex_unlock(&em->lock);
	/* Under OOM the card just stays powered: power_off cannot fail. */
	if (post_job(em, VCG_JOB_POWER_OFF, 0, NULL, 0) < 0)
		vcg_logf(em->log, LOG_ERR,
			 "emulated card slot %u: out of memory, power off not passed on",
			 em->slot);
}

/* Commands that only read what the card holds (ISO 7816-4 SELECT, READ
 * BINARY, GET RESPONSE, GET DATA; the CAC applets' GET PROPERTIES, READ
 * BUFFER, GET ACR): microseconds of libcacard, never NSS's key or login
 * work (VERIFY, the key operations), which can take a second on the board
 * and must not stall the loop. */
static bool cheap_command(const uint8_t *apdu, size_t len)
{
	if (len < 4)
		return false;
	switch (apdu[1]) {
	case 0xA4: case 0xB0: case 0xC0: case 0xCA: case 0xCB:
	case 0x56: case 0x52: case 0x4C:
		return true;
	default:
		return false;
	}
}

/* A cheap command while the worker is idle: answered here, on the loop
 * thread, and completed at once, as the test card does. The worker hand-off
 * (a condition variable there, an eventfd back, a loop wake-up) was two
 * context switches and about ten syscalls per APDU (bench/README.md). The
 * worker cannot start a job meanwhile: only this thread posts them. The
 * command is copied into the card's em->inline_apdu (libcacard takes a
 * non-const buffer), no allocation: this thread alone uses that buffer
 * (vcg_emul.h). False: not taken (the worker's). */
static bool answer_inline(struct vcg_emul *em, uint32_t tag,
			  const uint8_t *apdu, size_t len)
{
	VReader *reader;
	size_t resp_len = 0;
	int err;

	if (em->cfg.backend != VCG_EMUL_CERTIFICATES ||
	    !cheap_command(apdu, len) || len > sizeof(em->inline_apdu))
		return false;
	pthread_mutex_lock(&em->lock);
	if (em->jobs != NULL || em->running) {
		pthread_mutex_unlock(&em->lock);
		return false;
	}
	em->running = true;
	em->running_tag = tag;
	em->running_cancelled = false;
	reader = vreader_reference(em->reader);
	pthread_mutex_unlock(&em->lock);

	memcpy(em->inline_apdu, apdu, len);
	err = vcg_emul_transfer(em, reader, em->inline_apdu, len, &resp_len);
	vreader_free(reader);

	pthread_mutex_lock(&em->lock);
	em->running = false;
	pthread_mutex_unlock(&em->lock);
	if (err < 0)
		resp_len = 0;
	ccid_engine_card_done(em->eng, em->slot, tag, err, em->resp, resp_len);
	return true;
}

static int emul_transmit(void *ctx, uint32_t tag, const uint8_t *apdu,
			 size_t len)
{
	struct vcg_emul *em = ctx;

	if (!em->present)
		return -ENOMEDIUM;
	if (len > INT32_MAX)
		return -EINVAL;
	if (answer_inline(em, tag, apdu, len))
		return 0;
	/* Copied: the engine's buffer is only ours until cancel returns. */
	return post_job(em, VCG_JOB_XFR, tag, apdu, len);
}

static void emul_cancel(void *ctx, uint32_t tag)
{
	struct vcg_emul *em = ctx;

	pthread_mutex_lock(&em->lock);
	cancel_locked(em, false, tag);
	pthread_mutex_unlock(&em->lock);
}

static bool emul_present(void *ctx)
{
	const struct vcg_emul *em = ctx;

	return em->present;
}

static const struct ccid_card_ops emul_ops = {
	.power_on = emul_power_on,
	.power_off = emul_power_off,
	.transmit = emul_transmit,
	.cancel = emul_cancel,
	.present = emul_present,
};

/* ---- lifecycle ---- */

/* The threads' stacks (thread_stack.h). The worker runs NSS's key and
 * login work, and for nss-emulated whatever PKCS#11 module the db
 * registers. Its peak (valgrind --tool=drd --show-stack-usage=yes,
 * 2026-12-03): 9.1 kB in the daemon signing and decrypting for OpenSC on
 * the PC (certificates backend, the VM bed), 12.8 kB in
 * test_vcg_emulated, 22 kB mirroring a token through OpenSC's module
 * (tests/vm/host/reader.sh). Guard runs: with a 64 KiB worker,
 * test_vcg_emulated, test_vcg_emul_softhsm (SoftHSM2 signing) and
 * reader.sh (OpenSC signing) passed; with 16 KiB the PIN-db cases and
 * SoftHSM2 signing crashed (SIGSEGV). 1 MiB: 16 times what passed, for
 * the modules nobody measured. The event thread only hands libcacard's
 * events over: 2.3 kB at its peak, 16 KiB passed the same runs; 64 KiB. */
#define WORKER_STACK (1024 * 1024)
#define EVENT_STACK  (64 * 1024)

static int start_thread(pthread_t *t, size_t stack, void *(*fn)(void *),
			void *arg)
{
	sigset_t all, old;
	int rc;

	/* The daemon's signals belong to its loop (signalfd): block them
	 * all in our threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = thread_create_sized(t, stack, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

static void stop_threads(struct vcg_emul *em)
{
	if (em->event_started) {
		/* VEVENT_LAST ends the vevent thread (QEMU does the same). The
		 * queue is libcacard's, so this is the only way in. */
		vevent_queue_vevent(vevent_new(VEVENT_LAST, NULL, NULL));
		pthread_join(em->event_thread, NULL);
		em->event_started = false;
	}
	if (em->worker_started) {
		pthread_mutex_lock(&em->lock);
		em->quit = true;
		pthread_cond_signal(&em->work_cond);
		pthread_mutex_unlock(&em->lock);
		pthread_join(em->worker, NULL);
		em->worker_started = false;
	}
}

/* Everything but the libcacard claim; threads must be stopped. */
static void free_emul(struct vcg_emul *em)
{
	while (em->jobs != NULL) {
		struct vcg_job *job = em->jobs;

		em->jobs = job->next;
		free_job(job);
	}
	while (em->done != NULL) {
		struct vcg_done *d = em->done;

		em->done = d->next;
		free(d);
	}
	vreader_free(em->reader);
	vcg_cacpki_free(em->pki);
	vcg_piv_card_free(em->piv);
	if (em->piv_pending)
		vcg_nssdb_drop_certs(); /* before NSS goes: they are NSS's */
	if (em->efd >= 0)
		close(em->efd);
	free(em->resp);
	pthread_cond_destroy(&em->work_cond);
	pthread_mutex_destroy(&em->lock);
	free(em);
}

/* The reader the card starts with, referenced, or NULL: ours by name for
 * certificates, the first one for nss-emulated (hardware may come later
 * through READER_INSERT events). */
static VReader *initial_reader(struct vcg_emul *em)
{
	VReaderList *list = vreader_get_reader_list();
	VReaderListEntry *e;
	VReader *found = NULL;

	for (e = vreader_list_get_first(list); e != NULL && found == NULL;
	     e = vreader_list_get_next(e)) {
		VReader *r = vreader_list_get_reader(e);

		if (vcg_emul_wants_reader(em, r))
			found = r;
		else
			vreader_free(r);
	}
	vreader_list_delete(list);
	return found;
}

static void emul_destroy(void *impl)
{
	struct vcg_emul *em = impl;

	if (em == NULL)
		return;
	ccid_engine_attach_card(em->eng, em->slot, NULL, NULL);
	stop_threads(em);
	/* Lines no dispatch took yet (a card destroyed before its loop ran)
	 * are still said once. */
	for (struct vcg_done *d = em->done; d != NULL; d = d->next)
		if (d->kind == VCG_DONE_LOG)
			vcg_logf(em->log, d->level, "%s", (const char *)d->data);
	free_emul(em);
	vcg_cacard_release();
}

/* The PIV card's log lines (vcg_piv_nss.h), queued like the threads'. */
static void piv_log(void *arg, int level, const char *line)
{
	struct vcg_emul *em = arg;

	vcg_emul_log(em, level, "emulated card slot %u: %s", em->slot, line);
}

void vcg_emul_piv_build(struct vcg_emul *em)
{
	char why[512];

	if (!em->piv_pending)
		return;
	em->piv_pending = false;
	em->piv = vcg_piv_card_new(&em->cfg, piv_log, em, why, sizeof(why));
	if (em->piv == NULL)
		vcg_emul_log(
			em, LOG_WARNING,
			"emulated card slot %u: no PIV card edge (%s): the card is CAC only",
			em->slot, why);
	vcg_nssdb_drop_certs();
}

static int emul_create(struct vcg_spec *spec, struct ccid_engine *eng,
		       unsigned slot, const struct vcg_log *log, void **impl,
		       char *err, size_t errlen)
{
	struct vcg_token_verdict verdict;
	char why[512];
	struct vcg_emul *em;
	int rc;

	em = calloc(1, sizeof(*em));
	if (em == NULL)
		return vcg_spec_fail(spec, err, errlen, "out of memory");
	rc = vcg_emul_config_from_spec(spec, &em->cfg, err, errlen);
	if (rc < 0) {
		free(em);
		return rc;
	}
	rc = vcg_cacard_acquire(&em->cfg, &verdict, why, sizeof(why));
	if (rc < 0) {
		free(em);
		return vcg_spec_fail(spec, err, errlen, "%s", why);
	}
	em->eng = eng;
	em->slot = slot;
	em->log = log;
	em->efd = -1;
	em->jobs_tail = &em->jobs;
	em->done_tail = &em->done;
	pthread_mutex_init(&em->lock, NULL);
	pthread_cond_init(&em->work_cond, NULL);

	em->resp = malloc(VCG_EMUL_RESP_CAP);
	em->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (em->resp == NULL || em->efd < 0) {
		rc = em->resp == NULL ? -ENOMEM : -errno;
		vcg_nssdb_drop_certs();
		free_emul(em);
		vcg_cacard_release();
		return vcg_spec_fail(spec, err, errlen, "%s",
				     strerror(-rc));
	}
	/* Warnings found while creating are queued, not printed: the
	 * daemon sets its logger after create, and the first dispatch (or
	 * destroy) logs them there, once. */
	vcg_nssdb_watch_start(&em->watch, em->cfg.db_dir);
	if (vcg_nssdb_key_exposure(em->cfg.db_dir, em->cfg.db, why,
				   sizeof(why)) > 0)
		vcg_emul_log(em, LOG_WARNING, "emulated card slot %u: %s", slot,
			     why);
	/* nss-emulated: the one line on the token it mirrors, or why none. */
	if (verdict.level > 0)
		vcg_emul_log(em, verdict.level, "emulated card slot %u: %s",
			     slot, verdict.line);
	snprintf(em->hw_reader, sizeof(em->hw_reader), "%s", verdict.reader);
	if (em->cfg.backend == VCG_EMUL_CERTIFICATES) {
		em->pki = vcg_emul_cacpki_new(&em->cfg, why, sizeof(why));
		if (em->pki == NULL)
			vcg_emul_log(em, LOG_WARNING,
				     "emulated card slot %u: certificates served by libcacard alone (%s): CoolKey will not list them",
				     slot, why);
	}
	/* The PIV edge comes at the first power-on, with the check's
	 * certificates (vcg_emul_piv_build()); the CAC filter above took
	 * its own, so without a PIV edge NSS's cache need not hold them
	 * for us any longer. */
	em->piv_pending = em->cfg.backend == VCG_EMUL_CERTIFICATES;
	if (!em->piv_pending)
		vcg_nssdb_drop_certs();
	em->reader = initial_reader(em);
	em->present = em->reader != NULL &&
		      vreader_card_is_present(em->reader) == VREADER_OK;

	rc = start_thread(&em->worker, WORKER_STACK, vcg_emul_worker_main, em);
	em->worker_started = rc == 0;
	if (rc == 0) {
		rc = start_thread(&em->event_thread, EVENT_STACK,
				  vcg_emul_event_main, em);
		em->event_started = rc == 0;
	}
	if (rc == 0)
		rc = ccid_engine_attach_card(eng, slot, &emul_ops, em);
	if (rc < 0) {
		stop_threads(em);
		free_emul(em);
		vcg_cacard_release();
		return vcg_spec_fail(spec, err, errlen,
				     "cannot start the emulated card in slot %u: %s",
				     slot, strerror(-rc));
	}
	*impl = em;
	return 0;
}

/* ---- loop-side events ---- */

static int emul_fd(const void *impl)
{
	const struct vcg_emul *em = impl;

	return em->efd;
}

static void emul_dispatch(void *impl)
{
	struct vcg_emul *em = impl;
	struct vcg_done *list;
	uint64_t count;
	ssize_t n;

	n = read(em->efd, &count, sizeof(count));
	(void)n;   /* EAGAIN: woken for nothing; the list decides */
	pthread_mutex_lock(&em->lock);
	list = em->done;
	em->done = NULL;
	em->done_tail = &em->done;
	pthread_mutex_unlock(&em->lock);

	while (list != NULL) {
		struct vcg_done *d = list;

		list = d->next;
		switch (d->kind) {
		case VCG_DONE_OP:
			ccid_engine_card_done(em->eng, em->slot, d->tag, d->err,
					      d->data, d->len);
			break;
		case VCG_DONE_PRESENCE:
			if (d->present != em->present) {
				em->present = d->present;
				vcg_logf(em->log, LOG_NOTICE,
					 "slot %u: emulated card %s", em->slot,
					 d->present ? "inserted" : "removed");
				ccid_engine_card_presence(em->eng, em->slot,
							  d->present);
			}
			break;
		case VCG_DONE_LOG:
			vcg_logf(em->log, d->level, "%s", (const char *)d->data);
			break;
		}
		free(d);
	}
}

static int emul_set_present(void *impl, bool present)
{
	struct vcg_emul *em = impl;
	bool has_reader;

	pthread_mutex_lock(&em->lock);
	has_reader = em->reader != NULL;
	pthread_mutex_unlock(&em->lock);
	if (!has_reader)
		return -ENODEV;
	/* Asynchronous: libcacard's CARD_INSERT/REMOVE event comes back
	 * through the vevent thread and dispatch tells the engine. */
	return post_job(em, present ? VCG_JOB_INSERT : VCG_JOB_REMOVE, 0,
			NULL, 0);
}

static const char *emul_describe(const void *impl)
{
	const struct vcg_emul *em = impl;

	return em->cfg.describe;
}

/* The PIV card edge writes state (vcg_piv_state.c), and on every
 * personality the PIN's retry counter (CAC's VERIFY is counted too). */
static const char *emul_state_dir(const void *impl)
{
	const struct vcg_emul *em = impl;

	return em->cfg.backend == VCG_EMUL_CERTIFICATES &&
			       em->cfg.state_dir[0] ?
		       em->cfg.state_dir : NULL;
}

const struct vcg_backend vcg_emulated_backend = {
	.driver = "emulated",
	.keys = vcg_emul_keys,
	.create = emul_create,
	.destroy = emul_destroy,
	.fd = emul_fd,
	.dispatch = emul_dispatch,
	.set_present = emul_set_present,
	.describe = emul_describe,
	.state_dir = emul_state_dir,
};
