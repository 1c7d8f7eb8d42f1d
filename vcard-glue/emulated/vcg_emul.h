/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The emulated (libcacard) card: shared between vcg_emulated.c (the
 * backend and the card ops, loop thread) and vcg_emul_threads.c (the
 * libcacard threads). Private to vcard-glue/.
 *
 * Threads (QEMU's ccid-card-emulated design):
 *  - the loop thread: card ops from the engine post jobs; vcg_card_dispatch
 *    takes results and calls ccid_engine_card_done / _card_presence;
 *  - one worker: runs jobs one at a time, so every libcacard call on the
 *    reader (vreader_power_on/_off, vreader_xfr_bytes, force remove/insert)
 *    is serialized: vreader_xfr_bytes() is blocking and not thread-safe.
 *    One exception keeps the serialization: with the certificates backend
 *    a short command that only reads the card runs on the loop thread
 *    (its copy in inline_apdu) while the worker is idle (no job queued,
 *    none running: `running` is set for it, and only the loop thread
 *    queues jobs), completed at once (vcg_emulated.c, answer_inline);
 *  - one event thread: blocks in vevent_wait_next_vevent() and turns
 *    reader/card insert/remove into presence results.
 * Results go through the locked `done` list and the eventfd. Every
 * condition wait sits in a loop on its predicate. */
#ifndef VCG_EMUL_H
#define VCG_EMUL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libcacard.h>
#include <pk11pub.h>

#include "ccid_engine.h"
#include "vcg_backend.h"
#include "vcg_cacpki.h"
#include "vcg_emul_config.h"
#include "vcg_emul_tokens.h"
#include "vcg_nssdb.h"
#include "vcg_piv_nss.h"
#include "vcg_slotwatch.h"

/* One more than the largest legal response (65536 data bytes + SW1 SW2,
 * an extended APDU): vreader_xfr_bytes() silently truncates to the
 * buffer, so a completely full buffer means a cut-off response. */
#define VCG_EMUL_RESP_CAP (65536 + 2 + 1)
#define VCG_EMUL_ATR_MAX 33          /* ISO 7816-3 8.2.1: at most 33 bytes */
/* The longest short APDU (case 4: CLA INS P1 P2, Lc, 255 data bytes, Le;
 * ISO 7816-4 5.1): the most answer_inline() copies. A longer (extended)
 * read-only command goes to the worker. */
#define VCG_EMUL_INLINE_APDU_MAX (4 + 1 + 255 + 1)

enum vcg_job_kind {
	VCG_JOB_POWER_ON,
	VCG_JOB_POWER_OFF,
	VCG_JOB_XFR,
	VCG_JOB_REMOVE,      /* control socket "remove": force card removal */
	VCG_JOB_INSERT,      /* control socket "insert": re-insert it */
};

struct vcg_job {
	struct vcg_job *next;
	enum vcg_job_kind kind;
	uint32_t tag;        /* POWER_ON, XFR */
	/* POWER_ON, XFR: a data-less completion allocated when the job was
	 * posted, used (err -ENOMEM) if the real one cannot be allocated,
	 * so the engine always hears back. */
	struct vcg_done *fallback;
	size_t len;
	uint8_t data[];      /* XFR: a copy of the command APDU */
};

enum vcg_done_kind {
	VCG_DONE_OP,         /* completion of POWER_ON / XFR for `tag` */
	VCG_DONE_PRESENCE,   /* the card was inserted / removed */
	VCG_DONE_LOG,        /* a log line from a thread: data is the text */
};

struct vcg_done {
	struct vcg_done *next;
	enum vcg_done_kind kind;
	uint32_t tag;
	int err;             /* OP: 0 or -errno */
	bool present;        /* PRESENCE */
	int level;           /* LOG */
	size_t len;
	uint8_t data[];      /* OP: ATR or response APDU; LOG: text + NUL */
};

struct vcg_emul {
	/* Loop thread only. */
	struct ccid_engine *eng;
	unsigned slot;
	const struct vcg_log *log;
	struct vcg_emul_config cfg;
	bool present;               /* what the engine was last told */
	int efd;                    /* eventfd: `done` is non-empty */
	/* answer_inline()'s copy of the command (vreader_xfr_bytes() takes
	 * a non-const buffer; the engine's is const): the card's, written
	 * and read by the loop thread only, within one answer_inline() call.
	 * The worker never sees it: while it is in use, `running` keeps the
	 * worker idle (vcg_emulated.c). */
	uint8_t inline_apdu[VCG_EMUL_INLINE_APDU_MAX];

	pthread_mutex_t lock;       /* guards the fields below */
	pthread_cond_t work_cond;   /* jobs queued, or quit */
	struct vcg_job *jobs;
	struct vcg_job **jobs_tail;
	struct vcg_done *done;
	struct vcg_done **done_tail;
	VReader *reader;            /* our reference; NULL without a reader */
	bool quit;                  /* the worker must stop */
	bool running;               /* the worker runs an op for running_tag */
	uint32_t running_tag;
	bool running_cancelled;     /* drop that op's completion */

	/* Threads; `resp` belongs to whoever set `running`: the worker, or
	 * the loop thread in answer_inline(). */
	pthread_t worker;
	pthread_t event_thread;
	bool worker_started;
	bool event_started;
	uint8_t *resp;              /* VCG_EMUL_RESP_CAP bytes */
	/* The PKI applets' certificate answers (vcg_cacpki.h): certificates
	 * backend, made at create; nss-emulated, remade by the worker at each
	 * power on from the mirrored token. NULL: every APDU goes to
	 * libcacard. */
	struct vcg_cacpki *pki;
	bool pki_said;              /* nss-emulated: the line on no filter was logged */
	/* The PIV card edge and the personality router in front of
	 * libcacard (vcg_piv_router.h), certificates backend only; NULL:
	 * CAC alone. Built by the worker at the first power-on
	 * (vcg_emul_piv_build(); piv_pending until then), not at start:
	 * 0.4 M instructions and a file per PIV object off the daemon's
	 * start-up (bench/README.md, start-up third pass). */
	struct vcg_piv_card *piv;
	bool piv_pending;
	/* The db's files (vcg_nssdb.h): started by create, then the
	 * worker's alone, checked before each power on, remove and insert,
	 * so a moved, deleted or unreadable db gets one log line when it
	 * happens, not only at the next start. */
	struct vcg_nssdb_watch watch;
	/* nss-emulated: the reader (libcacard's name for the slot) the
	 * survey chose (vcg_emul_tokens.h); "": the first one seen. */
	char hw_reader[VCG_TOKEN_NAME_MAX + 1];
	/* nss-emulated, the worker's alone (vcg_emul_watch.c): the watch on
	 * the mirrored token's slot (vcg_slotwatch.h), its reference dropped
	 * as the worker ends. */
	struct vcg_slotwatch slotwatch;
	uint64_t watch_next_ms; /* mono_ms() of the next watch */
};

/* One APDU through the personality router, the PKI filter and libcacard
 * into em->resp: 0 and *resp_len, or -errno. apdu is the caller's own
 * copy (libcacard may write to it). Run by the worker on a job's data,
 * or by the loop thread on em->inline_apdu while the worker is idle
 * (vcg_emulated.c, answer_inline). */
int vcg_emul_transfer(struct vcg_emul *em, VReader *reader, uint8_t *apdu,
		      size_t apdu_len, size_t *resp_len);

/* nss-emulated: how often the worker (idle or between jobs) looks at the
 * mirrored slot itself (vcg_emul_watch.c, vcg_slotwatch.h). */
#define VCG_EMUL_WATCH_MS VCG_SLOT_POLL_MS

/* The worker's watch on the mirrored token, between jobs, NSS's module
 * list held (vcg_cacard_hold_pollers): a token gone takes libcacard's
 * card out, a token (back) in the slot is mirrored again, each with one
 * log line; their events reach the PC as libcacard's own do. reader:
 * the worker's reference, or NULL (nothing to do). */
void vcg_emul_watch_token(struct vcg_emul *em, VReader *reader);

/* Thread bodies (vcg_emul_threads.c); arg is the struct vcg_emul. */
void *vcg_emul_worker_main(void *arg);
/* Worker: the PIV card edge, when still pending (before the first ATR:
 * with PIV the ATR offers T=1, and Windows and macOS SELECT PIV first). */
void vcg_emul_piv_build(struct vcg_emul *em);
void *vcg_emul_event_main(void *arg);

/* Is `reader` the one this card uses? (certificates: ours by name;
 * nss-emulated: the survey's, else the first one seen.) Called with lock
 * held. */
bool vcg_emul_wants_reader(const struct vcg_emul *em, VReader *reader);

/* The PKI-applet filter for a certificates card, its certificates read
 * from NSS (vcg_emul_certs.c; NSS must be libcacard's, initialised).
 * NULL with one line in why. */
struct vcg_cacpki *vcg_emul_cacpki_new(const struct vcg_emul_config *cfg,
				       char *why, size_t whylen);

/* The same filter for an nss-emulated card, from the certificates of the
 * slot libcacard named `reader`, in libcacard's mirror order (the worker
 * calls it at each power on: a card put back may be another one). NULL
 * with one line in why, e.g. a token without exactly three. */
struct vcg_cacpki *vcg_emul_cacpki_from_slot(const char *reader, char *why,
					     size_t whylen);

/* Queue a result and wake the loop. Called with em->lock held. Takes
 * ownership of d. */
void vcg_emul_post_locked(struct vcg_emul *em, struct vcg_done *d);

/* Queue one log line for the loop thread (dispatch logs it; so does
 * destroy if no dispatch came first). Any thread; takes the lock. A line
 * lost to OOM is dropped. */
void vcg_emul_log(struct vcg_emul *em, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Allocate a result with room for len data bytes (copied from data if
 * non-NULL). NULL when out of memory. */
struct vcg_done *vcg_emul_done_new(enum vcg_done_kind kind, const void *data,
				   size_t len);

#endif
