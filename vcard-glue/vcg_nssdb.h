/* Check an NSS database before libcacard sees it.
 *
 * vcard_emul_init() says nothing about why it fails (missing db, bad db,
 * unknown nickname), and silently builds a card from the certificates it
 * did find when only some nicknames are wrong. This opens the db itself,
 * read-only like libcacard, looks every nickname up exactly as libcacard
 * will (PK11_FindCertFromNickname), checks a private key exists when the
 * db has no password, and shuts NSS down again, so the error names the
 * one thing that is wrong.
 *
 * Must not run while NSS is initialised by someone else in the process
 * (libcacard): the caller (vcg_cacard.c) only calls it before
 * vcard_emul_init(). */
#ifndef VCG_NSSDB_H
#define VCG_NSSDB_H

#include <stddef.h>

/* dir: the db directory; db: how NSS names it ("sql:" + dir); nicks: n
 * nicknames to find (n == 0: a db for hardware tokens, which changes the
 * hints). Returns 0, or -errno with one line in why ("what is wrong (how
 * to fix it)", no "card spec" prefix). */
int vcg_nssdb_check(const char *dir, const char *db,
		    const char *const *nicks, size_t n, char *why,
		    size_t whylen);

#endif
