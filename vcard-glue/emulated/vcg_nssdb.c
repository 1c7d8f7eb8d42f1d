/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NSS database pre-flight check, and the db files while a card runs:
 * see vcg_nssdb.h. */
#include "vcg_nssdb.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>

#include "vcg_emul_tokens.h"
#include "vcg_spec.h"

static int fail(char *why, size_t whylen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return stat(path, &st) == 0;
}

/* Who may change what NSS reads. NSS loads every PKCS#11 module that the
 * db's pkcs11.txt names into this process, as root when the daemon starts
 * as root (it opens the db before --user drops root), and cert9.db and
 * key4.db are the certificates and keys the card serves: anyone who can
 * write the directory (and so replace a file) or one of those files runs
 * code as root or swaps the card's keys. Only root and this process's own
 * user may: the owner must be one of them, and no group or other write
 * bit may be set. stat() follows links, so a link to a file others may
 * write is refused too. `what`: "directory" or the file's name. */
static int check_writers(const char *path, const struct stat *st,
			 const char *what, const char *shown, char *why,
			 size_t whylen)
{
	char file[VCG_SPEC_SHOWN_MAX];
	uid_t me = geteuid();

	vcg_spec_printable(file, sizeof(file), path, 64);
	if (st->st_uid != 0 && st->st_uid != me)
		return fail(why, whylen, -EPERM,
			    "NSS db '%s': %s is owned by uid %u, who could make this process (uid %u) load any PKCS#11 module through pkcs11.txt or serve other keys: fix: chown %u %s",
			    shown, what, (unsigned)st->st_uid, (unsigned)me,
			    (unsigned)me, file);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return fail(why, whylen, -EPERM,
			    "NSS db '%s': %s is writable by %s (mode %04o), who could make this process load any PKCS#11 module through pkcs11.txt or serve other keys: fix: chmod go-w %s",
			    shown, what,
			    (st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH) ?
			    "its group and others" : st->st_mode & S_IWGRP ?
			    "its group" : "others",
			    (unsigned)(st->st_mode & 07777), file);
	return 0;
}

/* The files, before NSS: NSS's own error for all of these is a bare
 * SEC_ERROR_BAD_DATABASE. */
static int check_files(const char *dir, const char *shown, bool hardware,
		       char *why, size_t whylen)
{
	static const char *const files[] = { "cert9.db", "key4.db" };
	const char *create = hardware
		? "create it: certutil -N -d sql:DIR, then register the reader's PKCS#11 module: modutil -dbdir sql:DIR -add NAME -libfile LIB.so"
		: "create it: scripts/make-fake-smartcard DIR, or certutil -N -d sql:DIR";
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			return fail(why, whylen, -ENOENT,
				    "NSS db directory '%s' does not exist (%s)",
				    shown, create);
		return fail(why, whylen, -errno,
			    "cannot access NSS db directory '%s': %s", shown,
			    strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return fail(why, whylen, -ENOTDIR,
			    "NSS db '%s' is not a directory (db=sql:DIR names the directory holding cert9.db and key4.db)",
			    shown);
	if (access(dir, R_OK | X_OK) < 0)
		return fail(why, whylen, -errno,
			    "cannot read NSS db directory '%s': %s (fix its permissions)",
			    shown, strerror(errno));
	rc = check_writers(dir, &st, "the directory", shown, why, whylen);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		bool stated = stat(path, &st) == 0;

		if (!stated && errno == ENOENT) {
			if (exists(dir, "cert8.db"))
				return fail(why, whylen, -ENOENT,
					    "NSS db '%s' is a legacy dbm: database (cert8.db); libcacard needs sql: (%s): upgrade it with certutil --upgrade-merge or make a new one",
					    shown, files[i]);
			return fail(why, whylen, -ENOENT,
				    "'%s' has no %s, so it is not an NSS sql: database (%s)",
				    shown, files[i], create);
		}
		if (access(path, R_OK) < 0)
			return fail(why, whylen, -errno,
				    "cannot read %s in NSS db '%s': %s (fix its permissions)",
				    files[i], shown, strerror(errno));
		if (!stated)
			return fail(why, whylen, -EACCES,
				    "cannot check %s in NSS db '%s' (fix its permissions)",
				    files[i], shown);
		rc = check_writers(path, &st, files[i], shown, why, whylen);
		if (rc < 0)
			return rc;
	}
	/* Optional (NSS makes it when it lists modules), but never foreign. */
	snprintf(path, sizeof(path), "%s/pkcs11.txt", dir);
	if (stat(path, &st) == 0)
		return check_writers(path, &st, "pkcs11.txt", shown, why,
				     whylen);
	if (errno != ENOENT)
		return fail(why, whylen, -errno,
			    "cannot check pkcs11.txt in NSS db '%s': %s (fix its permissions)",
			    shown, strerror(errno));
	return 0;
}

static const char *nss_error(void)
{
	PRErrorCode e = PR_GetError();
	const char *name = PR_ErrorToName(e);

	return name != NULL ? name : "unknown NSS error";
}

/* After a pass, the check's NSS context and the certificates it found,
 * for vcard_emul_init() to reuse (vcg_nssdb_check_done). Held, NSS's
 * certificate cache keeps them: libcacard's own lookups of the same
 * nicknames then cost a tenth. The card's own filters take them by
 * nickname (vcg_nssdb_find_cert) until vcg_nssdb_drop_certs(). */
#define KEPT_MAX 8
static NSSInitContext *kept_ctx;
static CERTCertificate *kept_certs[KEPT_MAX];
static char *kept_nicks[KEPT_MAX];
static size_t n_kept_certs;
/* The check fills the list before any card thread runs; the emulated
 * cards' workers take from it and drop it (their PIV edges are built at
 * the first power-on, vcg_emul_piv_build()). */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

/* Look every nickname up as libcacard does; append the missing ones to
 * `missing`. A key check is only possible without a db password (private
 * keys are invisible before login). */
static int check_nicks(const char *db, const char *const *nicks, size_t n,
		       char *why, size_t whylen)
{
	PK11SlotInfo *slot = PK11_GetInternalKeySlot();
	bool can_see_keys = slot != NULL && !PK11_NeedLogin(slot);
	char missing[256] = "";
	size_t nmissing = 0;
	char shown[VCG_SPEC_SHOWN_MAX];
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		CERTCertificate *cert = PK11_FindCertFromNickname(nicks[i], NULL);

		vcg_spec_printable(shown, sizeof(shown), nicks[i], 40);
		if (cert == NULL) {
			size_t len = strlen(missing);

			snprintf(missing + len, sizeof(missing) - len, "%s'%s'",
				 nmissing ? ", " : "", shown);
			nmissing++;
			continue;
		}
		if (can_see_keys) {
			SECKEYPrivateKey *key =
				PK11_FindPrivateKeyFromCert(slot, cert, NULL);

			if (key == NULL)
				rc = fail(why, whylen, -ENOKEY,
					  "certificate '%s' in %s has no private key (the card signs with it: import certificate and key with pk12util)",
					  shown, db);
			else
				SECKEY_DestroyPrivateKey(key);
		}
		if (n_kept_certs < KEPT_MAX &&
		    (kept_nicks[n_kept_certs] = strdup(nicks[i])) != NULL)
			kept_certs[n_kept_certs++] = cert;
		else
			CERT_DestroyCertificate(cert);
	}
	if (slot != NULL)
		PK11_FreeSlot(slot);
	if (rc == 0 && nmissing > 0)
		rc = fail(why, whylen, -ENOENT,
			  "certificate%s %s not found in %s (list the nicknames: certutil -L -d %s)",
			  nmissing > 1 ? "s" : "", missing, db, db);
	return rc;
}

void vcg_nssdb_drop_certs(void)
{
	pthread_mutex_lock(&kept_lock);
	for (size_t i = 0; i < n_kept_certs; i++) {
		CERT_DestroyCertificate(kept_certs[i]);
		free(kept_nicks[i]);
		kept_nicks[i] = NULL;
	}
	n_kept_certs = 0;
	pthread_mutex_unlock(&kept_lock);
}

void vcg_nssdb_check_done(bool keep_nss)
{
	/* Before NSS goes down: the references are NSS's. */
	if (!keep_nss)
		vcg_nssdb_drop_certs();
	if (kept_ctx != NULL && !keep_nss)
		NSS_ShutdownContext(kept_ctx);
	kept_ctx = NULL;
}

CERTCertificate *vcg_nssdb_find_cert(const char *nick)
{
	CERTCertificate *cert = NULL;

	pthread_mutex_lock(&kept_lock);
	for (size_t i = 0; i < n_kept_certs && cert == NULL; i++)
		if (strcmp(kept_nicks[i], nick) == 0)
			cert = CERT_DupCertificate(kept_certs[i]);
	pthread_mutex_unlock(&kept_lock);
	return cert != NULL ? cert : PK11_FindCertFromNickname(nick, NULL);
}

/* Open the db as libcacard will, run the nickname check (nicks; a passed
 * check keeps NSS up for libcacard, vcg_nssdb_check_done()) or the token
 * survey (v; NSS is closed again). */
static int check_open(const char *dir, const char *db,
		      const char *const *nicks, size_t n, bool any_removable,
		      struct vcg_token_verdict *v, char *why, size_t whylen)
{
	struct vcg_token_info slots[VCG_TOKENS_MAX];
	char shown[VCG_SPEC_SHOWN_MAX];
	NSSInitContext *ctx;
	size_t nslots, modules;
	int rc;

	vcg_spec_printable(shown, sizeof(shown), dir, 64);
	rc = check_files(dir, shown, n == 0, why, whylen);
	if (rc < 0)
		return rc;
	if (NSS_IsInitialized())
		return fail(why, whylen, -EBUSY,
			    "NSS is already initialised in this process; cannot check %s",
			    db);
	/* As libcacard opens it (read-only, with the PKCS#11 modules the db
	 * registers, so "token:nickname" resolves the same way), minus the
	 * builtin root certificates, which hold no private keys. */
	ctx = NSS_InitContext(db, "", "", "", NULL,
			      NSS_INIT_READONLY | NSS_INIT_NOROOTINIT);
	if (ctx == NULL)
		return fail(why, whylen, -EIO,
			    "cannot open NSS db %s: %s (is it an NSS database? check: certutil -L -d %s)",
			    db, nss_error(), db);
	if (v != NULL) {
		nslots = vcg_nssdb_tokens(slots, VCG_TOKENS_MAX, &modules);
		vcg_token_verdict(slots, nslots, modules, any_removable, db, v);
		if (NSS_ShutdownContext(ctx) != SECSuccess)
			return fail(why, whylen, -EBUSY,
				    "closing NSS db %s after the check failed: %s",
				    db, nss_error());
		return 0;
	}
	rc = check_nicks(db, nicks, n, why, whylen);
	kept_ctx = ctx;
	if (rc == 0) {
		/* NSS stays up on the db: libcacard's NSS_Init() finds it
		 * initialised and uses it, instead of loading softoken and
		 * opening the db a second time (half the start-up's
		 * instructions). */
		return 0;
	}
	vcg_nssdb_check_done(false);   /* the check's error is the news */
	return rc;
}

int vcg_nssdb_check(const char *dir, const char *db,
		    const char *const *nicks, size_t n, char *why,
		    size_t whylen)
{
	return check_open(dir, db, nicks, n, false, NULL, why, whylen);
}

int vcg_nssdb_survey(const char *dir, const char *db, bool any_removable,
		     struct vcg_token_verdict *v, char *why, size_t whylen)
{
	return check_open(dir, db, NULL, 0, any_removable, v, why, whylen);
}

/* ---- while the card runs: no NSS, just the files ---- */

/* Paths in log lines: printable, shortened (a line holds two). */
#define SHOWN_PATH_MAX 160
#define SHOWN_PATH_BUF (SHOWN_PATH_MAX * 4 + 8)

int vcg_nssdb_key_exposure(const char *dir, const char *db, char *line,
			   size_t linelen)
{
	/* dbm: is NSS's legacy format (key3.db); sql: and no prefix are
	 * key4.db (NSS has defaulted to sql: since 3.35). */
	const char *key = strncmp(db, "dbm:", 4) == 0 ? "key3.db" : "key4.db";
	char path[PATH_MAX], shown[SHOWN_PATH_BUF];
	struct stat st;
	mode_t other;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	other = st.st_mode & (S_IROTH | S_IWOTH);
	if (other == 0)
		return 0;
	vcg_spec_printable(shown, sizeof(shown), path, SHOWN_PATH_MAX);
	fail(line, linelen, 0,
	     "NSS db private keys '%s' are %s by others (mode %04o): fix: chmod o-rw %s",
	     shown,
	     other == (S_IROTH | S_IWOTH) ? "readable and writable" :
	     other == S_IROTH ? "readable" : "writable",
	     (unsigned)(st.st_mode & 07777), shown);
	return 1;
}

static const char *const watched[VCG_NSSDB_WATCH_FILES] = {
	"cert9.db", "key4.db",
};

enum watch_state {
	WATCH_AS_AT_START,
	WATCH_GONE,         /* ENOENT, ENOTDIR */
	WATCH_UNREADABLE,   /* stat or access failed otherwise */
	WATCH_REPLACED,     /* another inode than NSS opened */
};

void vcg_nssdb_watch_start(struct vcg_nssdb_watch *w, const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	memset(w, 0, sizeof(*w));
	w->dir = dir;
	w->euid = geteuid();
	w->state = WATCH_AS_AT_START;
	w->which = -1;
	for (int i = 0; i < VCG_NSSDB_WATCH_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, watched[i]);
		if (stat(path, &st) < 0)
			continue;   /* check() reports it */
		w->base[i].known = true;
		w->base[i].dev = st.st_dev;
		w->base[i].ino = st.st_ino;
		w->base[i].size = st.st_size;
		w->base[i].mtime = st.st_mtim;
	}
}

/* Can this process's effective ids read every watched file now? */
static bool readable_now(const struct vcg_nssdb_watch *w)
{
	char path[PATH_MAX];

	for (int i = 0; i < VCG_NSSDB_WATCH_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, watched[i]);
		if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0 &&
		    errno == EACCES)
			return false;
	}
	return true;
}

static int gone_or_unreadable(int e)
{
	return e == ENOENT || e == ENOTDIR ? WATCH_GONE : WATCH_UNREADABLE;
}

int vcg_nssdb_watch_check(struct vcg_nssdb_watch *w, char *line,
			  size_t linelen)
{
	char path[PATH_MAX], shown[SHOWN_PATH_BUF];
	int state = WATCH_AS_AT_START, which = -1, err = 0;
	int modified = -1;
	struct stat st;

	if (geteuid() != w->euid) {
		/* The daemon dropped root since start (--user): a db only
		 * root reads is not ours to watch, nothing has changed. */
		w->euid = geteuid();
		w->blind = !readable_now(w);
		if (w->blind) {
			vcg_spec_printable(shown, sizeof(shown), w->dir,
					   SHOWN_PATH_MAX);
			fail(line, linelen, 0,
			     "NSS db '%s' is not readable by uid %u (opened before the daemon dropped root): changes to it are not watched",
			     shown, (unsigned)w->euid);
			return LOG_INFO;
		}
	}
	if (w->blind)
		return 0;
	if (stat(w->dir, &st) < 0) {
		state = gone_or_unreadable(errno);
		err = errno;
	}
	for (int i = 0; i < VCG_NSSDB_WATCH_FILES &&
			state == WATCH_AS_AT_START; i++) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, watched[i]);
		if (stat(path, &st) < 0) {
			err = errno;
			state = gone_or_unreadable(err);
		} else if (!w->base[i].known || st.st_dev != w->base[i].dev ||
			   st.st_ino != w->base[i].ino) {
			state = WATCH_REPLACED;
		} else if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0) {
			err = errno;
			state = WATCH_UNREADABLE;
		} else if (st.st_size != w->base[i].size ||
			   st.st_mtim.tv_sec != w->base[i].mtime.tv_sec ||
			   st.st_mtim.tv_nsec != w->base[i].mtime.tv_nsec) {
			/* Written in place (NSS opened it read-only: not us). */
			w->base[i].size = st.st_size;
			w->base[i].mtime = st.st_mtim;
			if (modified < 0)
				modified = i;
		}
		if (state != WATCH_AS_AT_START)
			which = i;
	}

	if (state == w->state && which == w->which && err == w->err) {
		if (state != WATCH_AS_AT_START || modified < 0)
			return 0;
		snprintf(path, sizeof(path), "%s/%s", w->dir, watched[modified]);
		vcg_spec_printable(shown, sizeof(shown), path, SHOWN_PATH_MAX);
		fail(line, linelen, 0,
		     "NSS db file '%s' was modified while in use: the card goes on with what it loaded (operations with changed keys may fail); restart the daemon to load it",
		     shown);
		return LOG_WARNING;
	}
	w->state = state;
	w->which = which;
	w->err = err;
	if (which >= 0)
		snprintf(path, sizeof(path), "%s/%s", w->dir, watched[which]);
	else
		snprintf(path, sizeof(path), "%s", w->dir);
	vcg_spec_printable(shown, sizeof(shown), path, SHOWN_PATH_MAX);
	switch (state) {
	case WATCH_GONE:
		fail(line, linelen, 0,
		     "NSS db %s '%s' is gone (%s): the card goes on with what NSS has open; a daemon restart would fail until it is back",
		     which >= 0 ? "file" : "directory", shown, strerror(err));
		return LOG_WARNING;
	case WATCH_UNREADABLE:
		fail(line, linelen, 0,
		     "NSS db %s '%s' is no longer readable (%s): the card goes on with what NSS has open; a daemon restart as this user would fail until that is fixed",
		     which >= 0 ? "file" : "directory", shown, strerror(err));
		return LOG_WARNING;
	case WATCH_REPLACED:
		fail(line, linelen, 0,
		     "NSS db file '%s' was replaced while in use: the card goes on with the one it opened; restart the daemon to load the new one",
		     shown);
		return LOG_WARNING;
	default:
		vcg_spec_printable(shown, sizeof(shown), w->dir, SHOWN_PATH_MAX);
		fail(line, linelen, 0,
		     "NSS db '%s' is back as the card opened it", shown);
		return LOG_NOTICE;
	}
}
