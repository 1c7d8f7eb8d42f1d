/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Check an NSS database before libcacard sees it; and, while the card
 * runs, its private keys' mode and its files (no NSS for those).
 *
 * vcard_emul_init() says nothing about why it fails (missing db, bad db,
 * unknown nickname), and silently builds a card from the certificates it
 * did find when only some nicknames are wrong. This opens the db itself,
 * read-only like libcacard, looks every nickname up exactly as libcacard
 * will (PK11_FindCertFromNickname), checks a private key exists when the
 * db has no password, and shuts NSS down again, so the error names the
 * one thing that is wrong. Before NSS, it refuses a db that a user other
 * than root and this process's own, or any group or other, may write (the
 * directory, pkcs11.txt, cert9.db, key4.db): NSS loads every PKCS#11
 * module pkcs11.txt names, as root in a daemon that drops root later.
 *
 * vcg_nssdb_check() must not run while NSS is initialised by someone else
 * in the process (libcacard): the caller (vcg_cacard.c) only calls it
 * before vcard_emul_init(). */
#ifndef VCG_NSSDB_H
#define VCG_NSSDB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* dir: the db directory; db: how NSS names it ("sql:" + dir); nicks: n
 * nicknames to find (n == 0: a db for hardware tokens, which changes the
 * hints). Returns 0, or -errno with one line in why ("what is wrong (how
 * to fix it)", no "card spec" prefix).
 * On 0, NSS stays initialised on the db (read-only, as libcacard opens it)
 * and the certificates found stay referenced, so that vcard_emul_init()'s
 * NSS_Init() reuses NSS rather than loading softoken and reading the db a
 * second time, and its lookups hit NSS's certificate cache (together half
 * the start-up's instructions); the caller then calls
 * vcg_nssdb_check_done(). On an error NSS is shut down. */
int vcg_nssdb_check(const char *dir, const char *db,
		    const char *const *nicks, size_t n, char *why,
		    size_t whylen);
/* After a passed check: keep_nss: leave NSS up (libcacard started on it)
 * and the certificates found referenced, for vcg_nssdb_find_cert(); else
 * drop them and shut the check's NSS down. */
void vcg_nssdb_check_done(bool keep_nss);

typedef struct CERTCertificateStr CERTCertificate;

/* PK11_FindCertFromNickname(nick) for the card's own start-up (its
 * CoolKey filter, its PIV edge): a new reference to the certificate the
 * passed check found under the same nickname, or else NSS's lookup. Each
 * lookup is a PKCS#11 object search in softoken's sqlite db (~190,000
 * instructions even with NSS's certificate cache warm); the card asked
 * for each nickname three times before. NSS must be initialised. Any
 * thread (the emulated card's worker builds its PIV edge with them). */
CERTCertificate *vcg_nssdb_find_cert(const char *nick);
/* The check's certificates, once the card is built (or failed to be;
 * its PIV edge, at the first power-on): later vcg_nssdb_find_cert() calls
 * look up NSS. Idempotent. */
void vcg_nssdb_drop_certs(void);

struct vcg_token_info;
struct vcg_token_verdict;

/* backend=nss-emulated: the checks of vcg_nssdb_check() with no
 * nickname, then which token libcacard will mirror with use_hw=removable
 * (any_removable) or use_hw=yes, into v (vcg_emul_tokens.h). A db that
 * opens but offers no token is not an error (a card may come later): v
 * says why. Returns 0, or -errno with one line in why. */
int vcg_nssdb_survey(const char *dir, const char *db, bool any_removable,
		     struct vcg_token_verdict *v, char *why, size_t whylen);

/* The registered modules' slots (vcg_emul_tokens_nss.c): up to max into
 * out, the number of modules other than NSS's internal one in *modules.
 * NSS must be initialised. */
size_t vcg_nssdb_tokens(struct vcg_token_info *out, size_t max,
			size_t *modules);

/* Private keys others can read or write: key4.db of an sql: db (key3.db
 * of a dbm: one) with S_IROTH or S_IWOTH. Returns 1 with one warning line
 * in line (the file, its mode, the chmod that fixes it; no "card" prefix),
 * 0 when the mode is fine or the file cannot be stat()ed (the open checks
 * report that). No NSS. */
int vcg_nssdb_key_exposure(const char *dir, const char *db, char *line,
			   size_t linelen);

/* The db files while a card uses them. NSS keeps cert9.db and key4.db
 * open from start-up, so the card goes on when they are moved, deleted
 * or made unreadable, and a restart would fail; the watch notices that
 * (two stat()s, no NSS) so the log says so, once per change.
 *
 * start() records the files as they are (right after NSS opened them);
 * check() compares. The state is the first of: the directory gone; a file
 * gone, unreadable by this process's effective ids, or another file
 * (device/inode) than at start; else all as at start. A change of state
 * gives one line; so does a file written in place (size or mtime
 * changed: an event, the state stays). A daemon that dropped root after
 * start (--user) may not see a root-only db at all: the first check as the
 * new uid says so once (LOG_INFO) and the watch stays quiet after. */
#define VCG_NSSDB_WATCH_FILES 2

struct vcg_nssdb_watch {
	const char *dir;      /* not copied: must outlive the watch */
	struct {
		bool known;   /* existed at start */
		dev_t dev;
		ino_t ino;
		off_t size;
		struct timespec mtime;
	} base[VCG_NSSDB_WATCH_FILES];
	uid_t euid;           /* the effective uid at start */
	bool blind;           /* cannot see the files as the current uid */
	int state;            /* what the last line said (internal) */
	int which;            /* file index, -1: the directory */
	int err;              /* errno behind it */
};

void vcg_nssdb_watch_start(struct vcg_nssdb_watch *w, const char *dir);

/* 0: nothing new. Else a syslog level (LOG_WARNING: something went
 * wrong; LOG_NOTICE: back as at start) with one line in `line` (no
 * "card" prefix). */
int vcg_nssdb_watch_check(struct vcg_nssdb_watch *w, char *line,
			  size_t linelen);

#endif
