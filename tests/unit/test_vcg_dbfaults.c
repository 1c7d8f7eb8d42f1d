/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The emulated card (libcacard, backend=certificates) when its NSS db
 * goes away or changes under it at runtime, and the private-key mode
 * warning (issue 7, "Backend faults" and "Privileges").
 *
 * What happens (measured here first, Debian 12: libcacard 2.8, NSS 3.87):
 * NSS opens cert9.db and key4.db once, at vcard_emul_init(), and keeps
 * them open; libcacard keeps the soft card it built (certificates in
 * memory) and re-inserts that same card after a removal. So when the db
 * directory is renamed or removed, its files deleted or made unreadable
 * (chmod 000, for an unprivileged daemon: root ignores modes), SELECT,
 * READ BUFFER, VERIFY and signing all go on working, and so does a card
 * remove + re-insert; only a new start fails, with the one-line error of
 * vcg_nssdb_check(). The card's watch (vcg_nssdb.h) logs one line when
 * the db goes and one when it is back (or was replaced by a copy).
 *
 * Each fault case runs three processes (libcacard starts once per
 * process): the card serving through the fault and its repair; a fresh
 * start with the fault in place (the error line); a fresh start after the
 * repair (works, says nothing). When the tests run as root, every card
 * process drops to uid/gid 65534 first, as the daemon with --user does,
 * so permissions bind. The parent never starts NSS.
 *
 * The dbs are made by scripts/make-fake-smartcard in a temporary
 * directory; the bed and the forking harness: emul_bed.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "ccid_fake.h"
#include "emul_bed.h"
#include "tap.h"
#include "vcg_card.h"
#include "vcg_nssdb.h"

#define PIN "1234"
#define DIR_MAX 256                 /* our paths are short: under /tmp */
#define LOGLINE_MAX 2048

static struct emul_dbs dbs;

/* The db's certificates, read by the parent (the card processes may not
 * be able to read the master copies). */
static uint8_t want_cert[3][4096];
static size_t want_len[3];
static bool drop_privileges;   /* root: card processes become nobody */

/* ---- fixtures ---- */

/* Copy src to dst (a new inode), mode 0600, owned like src. */
static int copy_file(const char *src, const char *dst)
{
	static uint8_t buf[1 << 16];
	struct stat st;
	int in = open(src, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;
	int rc = 0;

	if (in < 0 || fstat(in, &st) < 0) {
		if (in >= 0)
			close(in);
		return -1;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (n < 0)
		rc = -1;
	if (getuid() == 0 && fchown(out, st.st_uid, st.st_gid) < 0)
		rc = -1;
	close(in);
	if (close(out) < 0)
		rc = -1;
	return rc;
}

/* Become nobody (when root), as the daemon does with --user. */
static int drop_to_nobody(void)
{
	if (!drop_privileges)
		return 0;
	if (setgroups(0, NULL) < 0 || setgid(EMUL_NOBODY) < 0 ||
	    setuid(EMUL_NOBODY) < 0)
		return -1;
	return getuid() == EMUL_NOBODY && geteuid() == EMUL_NOBODY ? 0 : -1;
}

/* ---- the card's log ---- */

#define LOG_LINES 16

static struct {
	int n;
	int level[LOG_LINES];
	char line[LOG_LINES][600];
} logged;

static void capture(void *ctx, int level, const char *line)
{
	(void)ctx;
	fprintf(stderr, "  log %d: %s\n", level, line);
	/* Counted: warnings and errors, and the db lines. Not counted: the
	 * notices of each remove and insert. */
	if (level > LOG_WARNING && strstr(line, "NSS db") == NULL)
		return;
	if (logged.n < LOG_LINES) {
		logged.level[logged.n] = level;
		snprintf(logged.line[logged.n], sizeof(logged.line[0]), "%s",
			 line);
	}
	logged.n++;
}

/* Exactly one more line since `before`, at `level`, equal to want. */
static bool logged_one(int before, int level, const char *want)
{
	if (logged.n != before + 1 || before >= LOG_LINES) {
		fprintf(stderr, "  %d new log lines, want 1: %s\n",
			logged.n - before, want);
		return false;
	}
	if (logged.level[before] != level ||
	    strcmp(logged.line[before], want) != 0) {
		fprintf(stderr, "  got:  %d %s\n  want: %d %s\n",
			logged.level[before], logged.line[before], level, want);
		return false;
	}
	return true;
}

/* ---- driving the engine (the rest: emul_bed.h) ---- */

/* Every card process's bed: the card's log into `logged`, and a test
 * card in slot 1 that must go on working through the faults. */
static const struct bed_opts daemon_like = {
	.log = capture,
	.other_slot = true,
};

static int power_off(struct emul_bed *b)
{
	ccid_fake_send(b->eng, CCID_PC_ICC_POWER_OFF, 0, ++b->seq, 0, 0, 0, NULL, 0);
	if (bed_answer(b) < 0 || b->in[0] != CCID_RDR_SLOT_STATUS ||
	    b->in[6] != b->seq)
		return -1;
	return 0;
}



/* ---- faults ---- */

enum fault_kind {
	DIR_MOVED,          /* mv DIR DIR.moved */
	FILES_DELETED,      /* rm DIR/cert9.db DIR/key4.db (copies kept aside) */
	FILES_UNREADABLE,   /* chmod 000 DIR/cert9.db DIR/key4.db */
};

static const char *const db_files[2] = { "cert9.db", "key4.db" };

/* The case at hand, set by the parent before it forks. */
static struct {
	enum fault_kind kind;
	char casedir[DIR_MAX - 8];   /* CASE: tmpdir/NAME */
	char dir[DIR_MAX];           /* the db: CASE/db */
	char aside[DIR_MAX + 16];    /* CASE/db.moved or CASE/saved */
	char spec[DIR_MAX + 200];
} fc;

static int apply_fault(void)
{
	char path[DIR_MAX + 32], saved[DIR_MAX + 48];
	struct stat st;

	switch (fc.kind) {
	case DIR_MOVED:
		return rename(fc.dir, fc.aside);
	case FILES_DELETED:
		if (stat(fc.aside, &st) < 0) {
			if (mkdir(fc.aside, 0700) < 0)
				return -1;
			for (int i = 0; i < 2; i++) {
				snprintf(path, sizeof(path), "%s/%s", fc.dir, db_files[i]);
				snprintf(saved, sizeof(saved), "%s/%s", fc.aside, db_files[i]);
				if (copy_file(path, saved) < 0)
					return -1;
			}
		}
		for (int i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/%s", fc.dir, db_files[i]);
			if (unlink(path) < 0)
				return -1;
		}
		return 0;
	case FILES_UNREADABLE:
		for (int i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/%s", fc.dir, db_files[i]);
			if (chmod(path, 0) < 0)
				return -1;
		}
		return 0;
	}
	return -1;
}

/* Put the db back as a user would: the directory moved back; the files
 * copied back from a backup (new inodes); the modes fixed. */
static int repair_fault(void)
{
	char path[DIR_MAX + 32], saved[DIR_MAX + 48];

	switch (fc.kind) {
	case DIR_MOVED:
		return rename(fc.aside, fc.dir);
	case FILES_DELETED:
		for (int i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/%s", fc.dir, db_files[i]);
			snprintf(saved, sizeof(saved), "%s/%s", fc.aside, db_files[i]);
			if (copy_file(saved, path) < 0)
				return -1;
		}
		return 0;
	case FILES_UNREADABLE:
		for (int i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/%s", fc.dir, db_files[i]);
			if (chmod(path, 0600) < 0)
				return -1;
		}
		return 0;
	}
	return -1;
}

/* The card's one line when the fault is seen, and when it is repaired. */
static int fault_line(char *out, size_t cap)
{
	switch (fc.kind) {
	case DIR_MOVED:
		snprintf(out, cap,
			 "emulated card slot 0: NSS db directory '%s' is gone (No such file or directory): the card goes on with what NSS has open; a daemon restart would fail until it is back",
			 fc.dir);
		return LOG_WARNING;
	case FILES_DELETED:
		snprintf(out, cap,
			 "emulated card slot 0: NSS db file '%s/cert9.db' is gone (No such file or directory): the card goes on with what NSS has open; a daemon restart would fail until it is back",
			 fc.dir);
		return LOG_WARNING;
	default:
		snprintf(out, cap,
			 "emulated card slot 0: NSS db file '%s/cert9.db' is no longer readable (Permission denied): the card goes on with what NSS has open; a daemon restart as this user would fail until that is fixed",
			 fc.dir);
		return LOG_WARNING;
	}
}

static int repair_line(char *out, size_t cap)
{
	if (fc.kind == FILES_DELETED) {
		/* Copies: NSS still has the deleted originals open. */
		snprintf(out, cap,
			 "emulated card slot 0: NSS db file '%s/cert9.db' was replaced while in use: the card goes on with the one it opened; restart the daemon to load the new one",
			 fc.dir);
		return LOG_WARNING;
	}
	snprintf(out, cap,
		 "emulated card slot 0: NSS db '%s' is back as the card opened it",
		 fc.dir);
	return LOG_NOTICE;
}

/* The error of a start with the fault in place (after "card spec '...': "). */
static void start_error(char *out, size_t cap)
{
	switch (fc.kind) {
	case DIR_MOVED:
		snprintf(out, cap,
			 "NSS db directory '%s' does not exist (create it: scripts/make-fake-smartcard DIR, or certutil -N -d sql:DIR)",
			 fc.dir);
		break;
	case FILES_DELETED:
		snprintf(out, cap,
			 "'%s' has no cert9.db, so it is not an NSS sql: database (create it: scripts/make-fake-smartcard DIR, or certutil -N -d sql:DIR)",
			 fc.dir);
		break;
	case FILES_UNREADABLE:
		snprintf(out, cap,
			 "cannot read cert9.db in NSS db '%s': Permission denied (fix its permissions)",
			 fc.dir);
		break;
	}
}

/* All three certificates as the db holds them. */
static bool certs_intact(struct emul_bed *b)
{
	static uint8_t got[4096];
	bool ok = true;

	for (int i = 0; i < 3; i++) {
		size_t n = bed_read_cert(b, i, got, sizeof(got));

		if (n == 0 || n != want_len[i] || memcmp(got, want_cert[i], n) != 0) {
			fprintf(stderr, "  certificate %d: %zu bytes read, %zu expected\n",
				i + 1, n, want_len[i]);
			ok = false;
		}
	}
	return ok;
}

/* The PIN, then a signature with key i (2: the signing key, 3: the
 * encryption key), checked with its certificate. Signatures are what
 * is slow under valgrind (seconds each): the cases use few. */
static bool key_works(struct emul_bed *b, int i)
{
	int v = bed_verify_pin(b, PIN);
	int sw = bed_sign_and_check(b, i - 1, want_cert[i - 1], want_len[i - 1]);

	if (v != 0x9000 || sw != 0x9000) {
		fprintf(stderr, "  VERIFY %04x, signature with key %d %04x\n", v,
			i, sw);
		return false;
	}
	return true;
}

/* Process 1: the card serves while the fault happens and is repaired. */
static void serve_through_fault(void)
{
	char want[LOGLINE_MAX];
	struct emul_bed *b = calloc(1, sizeof(*b));
	int before, level;

	CHECK_EQ(drop_to_nobody(), 0);
	CHECK_EQ(bed_open(b, fc.spec, &daemon_like), 0);
	if (b->card == NULL)
		goto out;
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK_EQ(bed_power_on(b, 1), 0);
	CHECK_EQ(bed_verify_pin(b, PIN), 0x9000);
	CHECK(certs_intact(b));
	bed_pump(b, 20);
	CHECK_EQ(logged.n, 0);   /* a healthy db, key4.db 0600: nothing */

	CHECK_EQ(apply_fault(), 0);
	/* The session the host has open goes on: NSS has the files open,
	 * libcacard the certificates in memory. */
	CHECK_EQ(bed_select_pki(b, 0), 0x9000);
	CHECK(certs_intact(b));
	/* Still a locked card: a wrong PIN is counted (63Cx). */
	CHECK_EQ(bed_verify_pin(b, "9999"), 0x63C2);
	CHECK(key_works(b, 2));
	CHECK_EQ(logged.n, 0);   /* APDUs do not look at the files */

	/* A power cycle: the card looks at its db, says so once. */
	before = logged.n;
	level = fault_line(want, sizeof(want));
	CHECK_EQ(power_off(b), 0);
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK(logged_one(before, level, want));
	CHECK_EQ(bed_verify_pin(b, PIN), 0x9000);   /* checked against key4.db */

	/* Remove and re-insert: the same card, served from memory. */
	CHECK_EQ(vcg_card_set_present(b->card, false), 0);
	CHECK_EQ(bed_next_slot_change(b), 0x02);
	CHECK_EQ(bed_slot_status(b), 2);
	CHECK_EQ(vcg_card_set_present(b->card, true), 0);
	CHECK_EQ(bed_next_slot_change(b), 0x03);
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK(certs_intact(b));
	CHECK(key_works(b, 3));
	CHECK_EQ(logged.n, before + 1);   /* nothing new to say */
	CHECK_EQ(bed_power_on(b, 1), 0);   /* the other slot went on */

	/* The repair: one line at the next power on. */
	CHECK_EQ(repair_fault(), 0);
	before = logged.n;
	level = repair_line(want, sizeof(want));
	CHECK_EQ(power_off(b), 0);
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK(logged_one(before, level, want));
	CHECK_EQ(bed_verify_pin(b, PIN), 0x9000);
out:
	bed_close(b);
	free(b);
}

/* Process 2: a start with the fault in place fails with one line. */
static void start_with_fault(void)
{
	char tail[LOGLINE_MAX], want[2 * LOGLINE_MAX];
	struct emul_bed *b = calloc(1, sizeof(*b));

	CHECK_EQ(drop_to_nobody(), 0);
	CHECK(bed_start(b, fc.spec, false, &daemon_like) < 0);
	start_error(tail, sizeof(tail));
	snprintf(want, sizeof(want), "card spec '%.80s...': %s", fc.spec, tail);
	CHECK(strchr(b->err, '\n') == NULL);
	if (strcmp(b->err, want) != 0) {
		fprintf(stderr, "  got:  %s\n  want: %s\n", b->err, want);
		tap_failed_now = 1;
	}
	CHECK_EQ(logged.n, 0);
	bed_close(b);
	free(b);
}

/* Process 3: after the repair a start works and says nothing. */
static void start_after_repair(void)
{
	struct emul_bed *b = calloc(1, sizeof(*b));

	CHECK_EQ(drop_to_nobody(), 0);
	CHECK_EQ(bed_open(b, fc.spec, &daemon_like), 0);
	if (b->card != NULL) {
		CHECK_EQ(bed_power_on(b, 0), 0);
		CHECK(certs_intact(b));
		CHECK(key_works(b, 2));
		CHECK_EQ(power_off(b), 0);
		CHECK_EQ(bed_power_on(b, 0), 0);
		CHECK_EQ(logged.n, 0);
	}
	bed_close(b);
	free(b);
}

/* Overwritten in place (same inode: NSS reads the new bytes): reading
 * goes on, the keys fail with a status word, one line says why; the
 * original bytes written back make the keys work again. */
static void overwritten_in_place(void)
{
	static uint8_t junk[4096], orig[2][70000];
	char path[2][DIR_MAX + 32], want[LOGLINE_MAX];
	size_t len[2];
	struct emul_bed *b = calloc(1, sizeof(*b));
	int before;

	CHECK_EQ(drop_to_nobody(), 0);
	for (int i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/%s", fc.dir, db_files[i]);
		len[i] = emul_read_file(fc.dir, db_files[i], orig[i],
					sizeof(orig[i]));
		CHECK(len[i] > 0 && len[i] < sizeof(orig[i]));
	}
	for (size_t k = 0; k < sizeof(junk); k++)
		junk[k] = (uint8_t)(k * 131 + 7);
	CHECK_EQ(bed_open(b, fc.spec, &daemon_like), 0);
	if (b->card == NULL)
		goto out;
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK_EQ(bed_verify_pin(b, PIN), 0x9000);
	for (int i = 0; i < 2; i++) {
		int fd = open(path[i], O_WRONLY);

		CHECK(fd >= 0);
		if (fd < 0)
			continue;
		for (size_t off = 0; off + sizeof(junk) <= len[i]; off += sizeof(junk))
			CHECK_EQ(pwrite(fd, junk, sizeof(junk), (off_t)off), (ssize_t)sizeof(junk));
		close(fd);
	}
	CHECK(certs_intact(b));
	CHECK_EQ(bed_verify_pin(b, PIN), 0x6985);
	CHECK_EQ(bed_sign_and_check(b, 1, want_cert[1], want_len[1]), 0x6985);
	before = logged.n;
	CHECK_EQ(power_off(b), 0);
	CHECK_EQ(bed_power_on(b, 0), 0);
	snprintf(want, sizeof(want),
		 "emulated card slot 0: NSS db file '%s' was modified while in use: the card goes on with what it loaded (operations with changed keys may fail); restart the daemon to load it",
		 path[0]);
	CHECK(logged_one(before, LOG_WARNING, want));
	CHECK_EQ(bed_power_on(b, 1), 0);
	for (int i = 0; i < 2; i++) {
		int fd = open(path[i], O_WRONLY);

		CHECK(fd >= 0);
		if (fd < 0)
			continue;
		CHECK_EQ(pwrite(fd, orig[i], len[i], 0), (ssize_t)len[i]);
		close(fd);
	}
	CHECK(key_works(b, 2));
out:
	bed_close(b);
	free(b);
}

/* ---- the private keys' mode ---- */

/* key4.db 0600: nothing; 0644: one warning in the log, once (not again
 * at destroy); without a logger, once on stderr even when the card is
 * destroyed before any dispatch. */
static void key4_mode_warning(void)
{
	char key[DIR_MAX + 32], want[LOGLINE_MAX], errfile[DIR_MAX + 32];
	char got[LOGLINE_MAX + 16], err[1024];
	struct emul_bed *b = calloc(1, sizeof(*b));
	struct ccid_engine *eng;
	struct vcg_card *card;
	int saved, fd;
	FILE *f;

	CHECK_EQ(drop_to_nobody(), 0);
	snprintf(key, sizeof(key), "%s/key4.db", fc.dir);
	CHECK_EQ(chmod(key, 0600), 0);
	CHECK_EQ(bed_open(b, fc.spec, &daemon_like), 0);
	if (b->card != NULL)
		CHECK_EQ(bed_power_on(b, 0), 0);
	bed_close(b);
	CHECK_EQ(logged.n, 0);

	CHECK_EQ(chmod(key, 0644), 0);
	snprintf(want, sizeof(want),
		 "emulated card slot 0: NSS db private keys '%s' are readable by others (mode 0644): fix: chmod o-rw %s",
		 key, key);
	/* libcacard reused: same options */
	CHECK_EQ(bed_open(b, fc.spec, &daemon_like), 0);
	if (b->card != NULL)
		CHECK_EQ(bed_power_on(b, 0), 0);   /* the loop ran: logged by now */
	CHECK(logged_one(0, LOG_WARNING, want));
	bed_close(b);
	CHECK_EQ(logged.n, 1);

	/* No logger, destroyed at once: "vcg: LINE" on stderr, once. */
	snprintf(errfile, sizeof(errfile), "%s/stderr.txt", fc.casedir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	eng = ccid_fake_engine(1, 0);
	card = vcg_card_create(fc.spec, eng, 0, NULL, err, sizeof(err));
	vcg_card_destroy(card);
	ccid_engine_free(eng);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	CHECK(card != NULL);
	snprintf(got, sizeof(got), "vcg: %s\n", want);
	f = fopen(errfile, "r");
	CHECK(f != NULL);
	if (f != NULL) {
		static char text[8192];
		size_t n = fread(text, 1, sizeof(text) - 1, f);

		text[n] = '\0';
		fclose(f);
		if (strcmp(text, got) != 0) {
			fprintf(stderr, "  stderr: '%s'\n  want:   '%s'\n", text, got);
			tap_failed_now = 1;
		}
	}
	CHECK_EQ(chmod(key, 0600), 0);
	free(b);
}

/* ---- who may write the db (issue 21, "Privileges") ---- */

/* vcg_nssdb_check() on fc.dir refuses with -EPERM and one line naming
 * `path` and `fix`; it returns before NSS starts. */
static bool refused(const char *path, const char *fix)
{
	char db[DIR_MAX + 8], why[LOGLINE_MAX] = "";
	int rc;

	snprintf(db, sizeof(db), "sql:%s", fc.dir);
	rc = vcg_nssdb_check(fc.dir, db, emul_nicks, 3, why, sizeof(why));
	if (rc == -EPERM && strstr(why, path) != NULL &&
	    strstr(why, fix) != NULL && strchr(why, '\n') == NULL &&
	    strstr(why, "PKCS#11") != NULL)
		return true;
	fprintf(stderr, "  %s: rc %d, '%s'\n  want -EPERM, the path and '%s'\n",
		path, rc, why, fix);
	return false;
}

/* NSS loads every PKCS#11 module pkcs11.txt names, as root before the
 * daemon drops it: a db directory, pkcs11.txt, cert9.db or key4.db that
 * its group, others or another user may write is refused. Runs as the
 * test's user (root: the db is made root's, and a user is tried as the
 * foreign owner); the good db still starts at the end. */
static void writable_db_refused(void)
{
	static const char *const names[] = {
		"", "pkcs11.txt", "cert9.db", "key4.db",
	};
	static const mode_t bits[] = { S_IWGRP, S_IWOTH, S_IWGRP | S_IWOTH };
	char path[DIR_MAX + 32], other[DIR_MAX + 32], db[DIR_MAX + 8];
	char why[LOGLINE_MAX];
	bool root = geteuid() == 0;
	struct stat st;

	if (root) {   /* prepare_case gave the copy to nobody */
		char cmd[DIR_MAX + 32];

		snprintf(cmd, sizeof(cmd), "chown -R 0:0 '%s'", fc.dir);
		CHECK_EQ(system(cmd), 0);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s%s%s", fc.dir,
			 *names[i] ? "/" : "", names[i]);
		CHECK_EQ(stat(path, &st), 0);   /* the fixture has them all */
		for (size_t j = 0; j < sizeof(bits) / sizeof(bits[0]); j++) {
			CHECK_EQ(chmod(path, (st.st_mode & 07777) | bits[j]), 0);
			CHECK(refused(path, "chmod go-w"));
			CHECK_EQ(chmod(path, st.st_mode & 07777), 0);
		}
		if (root) {
			CHECK_EQ(chown(path, EMUL_NOBODY, 0), 0);
			CHECK(refused(path, "chown 0"));
			CHECK_EQ(chown(path, 0, 0), 0);
		}
	}
	/* pkcs11.txt as a link to a file others may write */
	snprintf(path, sizeof(path), "%s/pkcs11.txt", fc.dir);
	snprintf(other, sizeof(other), "%s/elsewhere.txt", fc.casedir);
	CHECK_EQ(rename(path, other), 0);
	CHECK_EQ(chmod(other, 0666), 0);
	CHECK_EQ(symlink(other, path), 0);
	CHECK(refused(path, "chmod go-w"));   /* chmod follows it */
	CHECK_EQ(chmod(other, 0600), 0);
	/* as it should be: starts */
	snprintf(db, sizeof(db), "sql:%s", fc.dir);
	why[0] = '\0';
	CHECK_EQ(vcg_nssdb_check(fc.dir, db, emul_nicks, 3, why, sizeof(why)), 0);
	if (why[0])
		fprintf(stderr, "  %s\n", why);
}

/* ---- no NSS: run in the parent ---- */

/* A one-byte file at mode (an existing one only gets the mode: 0400
 * must not stop a non-root run from changing it). */
static int touch(const char *path, mode_t mode)
{
	int fd;

	if (chmod(path, mode) == 0)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, "x", 1) != 1) {
		close(fd);
		return -1;
	}
	close(fd);
	return chmod(path, mode);
}

static void key_exposure_modes(void)
{
	static const struct {
		mode_t mode;
		const char *what;   /* NULL: no warning */
	} cases[] = {
		{ 0600, NULL }, { 0640, NULL }, { 0660, NULL }, { 0400, NULL },
		{ 0644, "readable" }, { 0604, "readable" },
		{ 0602, "writable" }, { 0622, "writable" },
		{ 0666, "readable and writable" }, { 0606, "readable and writable" },
	};
	char dir[DIR_MAX], key[DIR_MAX + 32], line[LOGLINE_MAX], want[LOGLINE_MAX];
	char db[DIR_MAX + 8];

	snprintf(dir, sizeof(dir), "%s/modes", dbs.tmpdir);
	CHECK_EQ(mkdir(dir, 0700), 0);
	snprintf(key, sizeof(key), "%s/key4.db", dir);
	snprintf(db, sizeof(db), "sql:%s", dir);
	/* No key4.db: nothing to say (the open checks report it). */
	CHECK_EQ(vcg_nssdb_key_exposure(dir, db, line, sizeof(line)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		line[0] = '\0';
		CHECK_EQ(touch(key, cases[i].mode), 0);
		if (cases[i].what == NULL) {
			CHECK_EQ(vcg_nssdb_key_exposure(dir, db, line, sizeof(line)), 0);
			continue;
		}
		CHECK_EQ(vcg_nssdb_key_exposure(dir, db, line, sizeof(line)), 1);
		snprintf(want, sizeof(want),
			 "NSS db private keys '%s' are %s by others (mode %04o): fix: chmod o-rw %s",
			 key, cases[i].what, (unsigned)cases[i].mode, key);
		if (strcmp(line, want) != 0) {
			fprintf(stderr, "  got:  %s\n  want: %s\n", line, want);
			tap_failed_now = 1;
		}
	}
	/* dbm: keeps its keys in key3.db. */
	CHECK_EQ(chmod(key, 0600), 0);
	snprintf(key, sizeof(key), "%s/key3.db", dir);
	CHECK_EQ(touch(key, 0644), 0);
	snprintf(db, sizeof(db), "dbm:%s", dir);
	CHECK_EQ(vcg_nssdb_key_exposure(dir, db, line, sizeof(line)), 1);
	snprintf(want, sizeof(want),
		 "NSS db private keys '%s' are readable by others (mode 0644): fix: chmod o-rw %s",
		 key, key);
	CHECK(strcmp(line, want) == 0);
	snprintf(db, sizeof(db), "sql:%s", dir);
	CHECK_EQ(vcg_nssdb_key_exposure(dir, db, line, sizeof(line)), 0);
}

static bool says(struct vcg_nssdb_watch *w, int level, const char *want)
{
	char line[LOGLINE_MAX] = "";
	int got = vcg_nssdb_watch_check(w, line, sizeof(line));

	if (got != level || (want != NULL && strcmp(line, want) != 0)) {
		fprintf(stderr, "  watch: %d '%s'\n  want:  %d '%s'\n", got, line,
			level, want ? want : "");
		return false;
	}
	return true;
}

static void watch_sees_changes(void)
{
	char dir[DIR_MAX], moved[DIR_MAX + 8], cert[DIR_MAX + 32];
	char key[DIR_MAX + 32], want[LOGLINE_MAX];
	struct vcg_nssdb_watch w;
	int fd;

	snprintf(dir, sizeof(dir), "%s/watch", dbs.tmpdir);
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	snprintf(cert, sizeof(cert), "%s/cert9.db", dir);
	snprintf(key, sizeof(key), "%s/key4.db", dir);
	CHECK_EQ(mkdir(dir, 0700), 0);
	CHECK_EQ(touch(cert, 0600), 0);
	CHECK_EQ(touch(key, 0600), 0);
	vcg_nssdb_watch_start(&w, dir);
	CHECK(says(&w, 0, NULL));
	CHECK(says(&w, 0, NULL));

	/* Written in place: an event, said once. */
	fd = open(key, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "more", 4) == 4);
	if (fd >= 0)
		close(fd);
	snprintf(want, sizeof(want),
		 "NSS db file '%s' was modified while in use: the card goes on with what it loaded (operations with changed keys may fail); restart the daemon to load it",
		 key);
	CHECK(says(&w, LOG_WARNING, want));
	CHECK(says(&w, 0, NULL));

	/* The directory moved away and back. */
	CHECK_EQ(rename(dir, moved), 0);
	snprintf(want, sizeof(want),
		 "NSS db directory '%s' is gone (No such file or directory): the card goes on with what NSS has open; a daemon restart would fail until it is back",
		 dir);
	CHECK(says(&w, LOG_WARNING, want));
	CHECK(says(&w, 0, NULL));
	CHECK_EQ(rename(moved, dir), 0);
	snprintf(want, sizeof(want), "NSS db '%s' is back as the card opened it", dir);
	CHECK(says(&w, LOG_NOTICE, want));
	CHECK(says(&w, 0, NULL));

	/* A file deleted, then a new one in its place. NSS holds the old
	 * one open, so its inode stays taken: hold it as NSS does. */
	fd = open(key, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(unlink(key), 0);
	snprintf(want, sizeof(want),
		 "NSS db file '%s' is gone (No such file or directory): the card goes on with what NSS has open; a daemon restart would fail until it is back",
		 key);
	CHECK(says(&w, LOG_WARNING, want));
	CHECK(says(&w, 0, NULL));
	CHECK_EQ(touch(key, 0600), 0);
	snprintf(want, sizeof(want),
		 "NSS db file '%s' was replaced while in use: the card goes on with the one it opened; restart the daemon to load the new one",
		 key);
	CHECK(says(&w, LOG_WARNING, want));
	CHECK(says(&w, 0, NULL));
	if (fd >= 0)
		close(fd);

	/* Unreadable: only binds non-root here (the fault cases drop to an
	 * unprivileged uid for that). */
	vcg_nssdb_watch_start(&w, dir);
	CHECK(says(&w, 0, NULL));
	CHECK_EQ(chmod(cert, 0), 0);
	if (geteuid() != 0) {
		snprintf(want, sizeof(want),
			 "NSS db file '%s' is no longer readable (Permission denied): the card goes on with what NSS has open; a daemon restart as this user would fail until that is fixed",
			 cert);
		CHECK(says(&w, LOG_WARNING, want));
		CHECK_EQ(chmod(cert, 0600), 0);
		snprintf(want, sizeof(want), "NSS db '%s' is back as the card opened it", dir);
		CHECK(says(&w, LOG_NOTICE, want));
	} else {
		CHECK(says(&w, 0, NULL));
		CHECK_EQ(chmod(cert, 0600), 0);
	}
	CHECK(says(&w, 0, NULL));
}

/* ---- harness ---- */

static bool in_child(const char *name, void (*fn)(void))
{
	return emul_in_child(name, fn, &tap_failed_now);
}

static void report(const char *name, bool ok)
{
	emul_report(name, ok, &tap_failures);
}

/* CASE = tmpdir/NAME (the card processes' own, so they may rename in
 * it), CASE/db a copy of `master`. */
static bool prepare_case(const char *name, const char *master)
{
	char cmd[4 * DIR_MAX + 128];
	const char *casedir = fc.casedir;

	snprintf(fc.casedir, sizeof(fc.casedir), "%s/%s", dbs.tmpdir, name);
	snprintf(fc.dir, sizeof(fc.dir), "%s/db", casedir);
	snprintf(cmd, sizeof(cmd), "mkdir -m 700 '%s' && cp -a '%s' '%s'%s%s%s",
		 casedir, master, fc.dir,
		 drop_privileges ? " && chown -R 65534:65534 '" : "",
		 drop_privileges ? casedir : "", drop_privileges ? "'" : "");
	emul_spec_for(fc.spec, sizeof(fc.spec), fc.dir, emul_nicks[0],
		      emul_nicks[1], emul_nicks[2]);
	/* The PIN's retry counter lives beside the db (the card's user
	 * owns CASE). */
	snprintf(fc.spec + strlen(fc.spec), sizeof(fc.spec) - strlen(fc.spec),
		 ",state-dir=%s", casedir);
	return system(cmd) == 0;
}

static void fault_case(const char *name, enum fault_kind kind)
{
	bool ok;

	fc.kind = kind;
	ok = prepare_case(name, dbs.pin);
	if (kind == DIR_MOVED)
		snprintf(fc.aside, sizeof(fc.aside), "%s.moved", fc.dir);
	else
		snprintf(fc.aside, sizeof(fc.aside), "%s/saved", fc.casedir);
	ok = ok && in_child("serving through the fault", serve_through_fault);
	/* As the host would find it after a daemon restart. */
	if (ok && apply_fault() < 0) {
		fprintf(stderr, "  cannot apply the fault again: %s\n", strerror(errno));
		ok = false;
	}
	ok = ok && in_child("a start with the fault in place", start_with_fault);
	if (ok && repair_fault() < 0) {
		fprintf(stderr, "  cannot repair: %s\n", strerror(errno));
		ok = false;
	}
	ok = ok && in_child("a start after the repair", start_after_repair);
	report(name, ok);
}

static void child_case(const char *name, const char *master, void (*fn)(void))
{
	bool ok = prepare_case(name, master);

	report(name, ok && in_child(name, fn));
}

static void parent_case(const char *name, void (*fn)(void))
{
	tap_failed_now = 0;
	fn();
	report(name, !tap_failed_now);
}

int main(void)
{
	static const char *const names[] = {
		"key_exposure_modes", "watch_sees_changes",
		"db_dir_moved_while_serving", "db_files_deleted_while_serving",
		"db_files_unreadable_while_serving", "db_overwritten_in_place",
		"key4_mode_warning", "writable_db_refused",
	};
	int ready;

	ready = emul_dbs_make(&dbs, "dbfaults", PIN) == 0;
	for (int i = 0; ready && i < 3; i++) {
		want_len[i] = emul_read_file(dbs.pin, emul_der_names[i],
					     want_cert[i], sizeof(want_cert[i]));
		ready = want_len[i] > 0 && want_len[i] < sizeof(want_cert[i]);
	}
	if (!ready) {
		emul_skip_all(names, sizeof(names) / sizeof(names[0]));
		return 0;
	}
	/* Root: the card processes run as nobody, who must reach CASE dirs. */
	drop_privileges = getuid() == 0;
	if (drop_privileges && chmod(dbs.tmpdir, 0711) < 0)
		return 1;

	parent_case("key_exposure_modes", key_exposure_modes);
	parent_case("watch_sees_changes", watch_sees_changes);
	fault_case("db_dir_moved_while_serving", DIR_MOVED);
	fault_case("db_files_deleted_while_serving", FILES_DELETED);
	fault_case("db_files_unreadable_while_serving", FILES_UNREADABLE);
	child_case("db_overwritten_in_place", dbs.pin, overwritten_in_place);
	child_case("key4_mode_warning", dbs.nopin, key4_mode_warning);
	child_case("writable_db_refused", dbs.nopin, writable_db_refused);
	TAP_EXIT();
}
