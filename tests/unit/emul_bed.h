/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The emulated-card test bed: what test_vcg_emulated.c and
 * test_vcg_dbfaults.c share to drive a libcacard "emulated" card through
 * the CCID engine with raw CCID messages (ccid_fake.h), on NSS databases
 * made by scripts/make-fake-smartcard in a temporary directory.
 *
 * - The parent's set-up (emul_dbs_make): the temporary directory and its
 *   two dbs, removed when the parent exits; emul_skip_all() when they
 *   cannot be made.
 * - The one-process-per-case harness (emul_in_child, emul_report):
 *   libcacard initialises once per process, so every case runs in a
 *   forked child and the child's exit status is its result (valgrind and
 *   ASan check each child at its exit).
 * - The bed (struct emul_bed): an engine, the card from a SPEC in slot 0
 *   and, optionally, a test card in slot 1; bed_* drive it (power, APDUs
 *   with GET RESPONSE, the CAC PKI applets' certificates, VERIFY, a
 *   signature checked with NSS, slot status and notifications).
 *
 * Linked into every unit test (the Makefile's UNIT_HELPER_SRC); only
 * these two call it. It does not include tap.h: tap.h's counters are
 * static per file, so the harness takes the caller's by pointer and the
 * bed_* functions check nothing themselves (they return what they saw).
 *
 * Who owns which buffer:
 * - struct emul_bed: the caller's (~70 KiB: calloc it, not the stack).
 *   b->in is the bed's: the last bulk-IN message, overwritten by every
 *   bed_* call that waits for an answer. b->err is the bed's: the error
 *   line of the last failed bed_start().
 * - struct emul_dbs: the caller's (static storage: the parent's exit
 *   handler removes d->tmpdir, so it must outlive main()).
 * - emul_find_script(): $VCG_FAKE_SMARTCARD, a literal or a static buffer.
 * - bed_read_cert() and bed_apdu() write into the caller's out buffers;
 *   bed_read_cert() reads through a static buffer of its own (not
 *   reentrant; the tests are single-threaded).
 * - Every other string argument is only read during the call. */
#ifndef EMUL_BED_H
#define EMUL_BED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid_engine.h"
#include "ccid_proto.h"

struct vcg_card;

#define WAIT_MS 20000               /* cap on any wait; never asserted */
#define EMUL_NOBODY 65534           /* uid and gid of the unprivileged runs */

/* The fake card's certificates: nicknames, and the DER copies the script
 * leaves in the db directory. */
extern const char *const emul_nicks[3];
extern const char *const emul_der_names[3];

/* ---- the parent's set-up ---- */

struct emul_dbs {
	char tmpdir[48];   /* /tmp/vcg-NAME-XXXXXX */
	char nopin[64];    /* TMP/nopin: no db password */
	char pin[64];      /* TMP/pin: the db password is the PIN */
};

/* The script: $VCG_FAKE_SMARTCARD, else scripts/make-fake-smartcard
 * under the current directory (tests/run-all runs from the repository
 * root), else next to the binary's tree; NULL if none. */
const char *emul_find_script(void);

/* script DIR [PIN] (pin NULL: no password). 0 or -1. */
int emul_make_db(const char *script, const char *dir, const char *pin);

/* In the parent, before any case: make d->tmpdir, and d->nopin and d->pin
 * (password pin) in it. The directory goes away when this process exits,
 * also on SIGINT/SIGTERM (a test-runner timeout); forked children, which
 * inherit the handlers, leave it to the cases still to come. 0, or -1 if
 * there is no script, no certutil, or a db could not be made. */
int emul_dbs_make(struct emul_dbs *d, const char *name, const char *pin);

/* "ok - NAME # SKIP no fake smart card db (...)" for each of n names. */
void emul_skip_all(const char *const *names, size_t n);

/* dir/name into buf (up to cap bytes); its length, 0 if unreadable. */
size_t emul_read_file(const char *dir, const char *name, uint8_t *buf,
		      size_t cap);

/* "emulated,backend=certificates,db=sql:DB,cert1=C1,cert2=C2,cert3=C3" */
void emul_spec_for(char *out, size_t cap, const char *db, const char *c1,
		   const char *c2, const char *c3);

/* ---- the harness ---- */

/* Run fn in a forked child: *failed (the calling file's tap_failed_now)
 * is cleared first, and the child exits (exit(): leak checkers run) 0 if
 * it is still 0 after fn. True if the child passed; why not is on
 * stderr, as "  NAME: ...". */
bool emul_in_child(const char *name, void (*fn)(void), int *failed);

/* "ok - NAME" or "not ok - NAME" on stdout; a failure counts in *failures
 * (the calling file's tap_failures). */
void emul_report(const char *name, bool ok, int *failures);

/* ---- the bed ---- */

struct emul_bed {
	struct ccid_engine *eng;
	struct vcg_card *card;     /* slot 0: the card from the spec */
	struct vcg_card *other;    /* slot 1 (bed_opts.other_slot): a test card */
	uint8_t seq;               /* bSeq of the last command sent */
	uint8_t in[70000];         /* the last bulk-IN message */
	size_t in_len;
	char err[1024];            /* bed_start()'s error line */
};

/* How bed_start() sets the bed up; NULL: one slot, no logger. */
struct bed_opts {
	/* The card's logger (vcg_card_set_log), set right after create, as
	 * the daemon does; NULL: none (warnings to stderr). */
	ccid_log_fn log;
	void *log_ctx;
	/* Two slots: a test card in slot 1 (which must go on working), and
	 * both cards' attach notifications drained; else one slot, and the
	 * attach notification left for bed_next_slot_change(). */
	bool other_slot;
};

/* Clear b, make an engine and the card from spec in slot 0 as opts says.
 * 0, or -1 with the line in b->err (also on stderr when expect_ok). */
int bed_start(struct emul_bed *b, const char *spec, bool expect_ok,
	      const struct bed_opts *opts);
/* bed_start(b, spec, true, opts) */
int bed_open(struct emul_bed *b, const char *spec, const struct bed_opts *opts);
/* Destroy the cards and the engine; b may be reused. */
void bed_close(struct emul_bed *b);

/* Poll slot 0's card fd once (up to ms) and dispatch: 1 if it did, 0 on
 * a timeout, -errno. */
int bed_pump(struct emul_bed *b, int ms);

/* The answer to the last command into b->in, skipping time extensions:
 * dispatch until the bulk-IN queue has a final message. 0 or -1. */
int bed_answer(struct emul_bed *b);

/* IccPowerOn of slot; 0 if it answered a DataBlock without error. */
int bed_power_on(struct emul_bed *b, uint8_t slot);

/* One XfrBlock to slot 0; the response APDU length (data + SW) or -1. */
long bed_xfr1(struct emul_bed *b, const uint8_t *apdu, size_t len);

/* An APDU as the host stack sends it (T=0 style): follow 61xx with GET
 * RESPONSE, collect the data into out (if it fits cap); SW1SW2 or -1. */
int bed_apdu(struct emul_bed *b, const uint8_t *cmd, size_t len,
	     uint8_t *out, size_t cap, size_t *out_len);

/* SELECT the CAC PKI applet i (0..2); SW1SW2. */
int bed_select_pki(struct emul_bed *b, int i);

/* Certificate i as PKI applet i serves it (READ BUFFER, CertInfo 01:
 * zlib stored blocks, as vcg_cacpki.c writes it), as DER into cert; its
 * length, 0 on any error. */
size_t bed_read_cert(struct emul_bed *b, int i, uint8_t *cert, size_t cap);

/* VERIFY pin (up to 8 characters, padded with FF); SW1SW2. */
int bed_verify_pin(struct emul_bed *b, const char *pin);

/* SIGN/DECRYPT a PKCS#1 v1.5 type 1 block with PKI applet i, in two
 * chained chunks (P1 80 then 00); check the signature with the
 * certificate's public key (NSS, which libcacard started in this
 * process). SW, or -1 for a wrong signature. */
int bed_sign_and_check(struct emul_bed *b, int i, const uint8_t *cert_der,
		       size_t cert_len);

/* The next NotifySlotChange bits for slot 0 (dispatching as needed), -1
 * if none came or the message was not one. */
int bed_next_slot_change(struct emul_bed *b);

/* GetSlotStatus of slot 0: bmICCStatus (0 active, 1 present, 2 absent)
 * or -1. */
int bed_slot_status(struct emul_bed *b);

#endif
