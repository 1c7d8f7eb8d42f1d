/* NSS database pre-flight check: see vcg_nssdb.h. */
#include "vcg_nssdb.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>

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
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (stat(path, &st) < 0 && errno == ENOENT) {
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
	}
	return 0;
}

static const char *nss_error(void)
{
	PRErrorCode e = PR_GetError();
	const char *name = PR_ErrorToName(e);

	return name != NULL ? name : "unknown NSS error";
}

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

int vcg_nssdb_check(const char *dir, const char *db,
		    const char *const *nicks, size_t n, char *why,
		    size_t whylen)
{
	char shown[VCG_SPEC_SHOWN_MAX];
	NSSInitContext *ctx;
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
	rc = check_nicks(db, nicks, n, why, whylen);
	if (NSS_ShutdownContext(ctx) != SECSuccess && rc == 0)
		rc = fail(why, whylen, -EBUSY,
			  "closing NSS db %s after the check failed: %s", db,
			  nss_error());
	return rc;
}
