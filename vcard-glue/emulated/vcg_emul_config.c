/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "emulated" SPEC -> validated config + libcacard options string.
 * See vcg_emul_config.h for the syntax and why values are refused, not
 * escaped. */
#include "vcg_emul_config.h"
#include "vcg_piv_state.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *const vcg_emul_keys[] = {
	"backend", "db", "cert1", "cert2", "cert3", "debug", "personality",
	"cert4", "state-dir", "use_hw", NULL,
};

static const char *const cert_keys[VCG_EMUL_NCERTS] = {
	"cert1", "cert2", "cert3",
};

/* "sql:DIR" or "DIR" -> DIR; any other "prefix:" is refused. */
static int check_db(const struct vcg_spec *spec, const char *db,
		    struct vcg_emul_config *cfg, char *err, size_t errlen)
{
	char shown[VCG_SPEC_SHOWN_MAX];
	const char *dir = db;
	size_t n = 0;

	while ((db[n] >= 'a' && db[n] <= 'z') || (db[n] >= 'A' && db[n] <= 'Z'))
		n++;
	if (n > 0 && db[n] == ':') {
		if (n != 3 || strncmp(db, "sql", 3) != 0) {
			char prefix[24];

			snprintf(prefix, sizeof(prefix), "%.*s", (int)n, db);
			vcg_spec_printable(shown, sizeof(shown), prefix, 16);
			return vcg_spec_fail(spec, err, errlen,
					     "db prefix '%s:' is not supported: only sql: NSS databases are (write db=sql:DIR)",
					     shown);
		}
		dir = db + 4;
	}
	if (dir[0] == '\0')
		return vcg_spec_fail(spec, err, errlen,
				     "db names no directory (write db=sql:DIR)");
	if (strlen(dir) > VCG_EMUL_DIR_MAX)
		return vcg_spec_fail(spec, err, errlen,
				     "db directory longer than %d bytes (use a shorter path)",
				     VCG_EMUL_DIR_MAX);
	if (strchr(dir, '"') != NULL)
		return vcg_spec_fail(spec, err, errlen,
				     "db directory contains '\"', which libcacard's options cannot quote (rename the directory)");
	snprintf(cfg->db_dir, sizeof(cfg->db_dir), "%s", dir);
	snprintf(cfg->db, sizeof(cfg->db), "sql:%s", dir);
	return 0;
}

static int check_nick(const struct vcg_spec *spec, const char *key,
		      const char *nick, char *err, size_t errlen)
{
	char shown[VCG_SPEC_SHOWN_MAX];
	size_t len = strlen(nick);
	const char *bad;

	vcg_spec_printable(shown, sizeof(shown), nick, 40);
	if (len > VCG_EMUL_NICK_MAX)
		return vcg_spec_fail(spec, err, errlen,
				     "%s nickname longer than %d bytes (use a shorter NSS nickname)",
				     key, VCG_EMUL_NICK_MAX);
	bad = strpbrk(nick, ",)");
	if (bad != NULL)
		return vcg_spec_fail(spec, err, errlen,
				     "%s='%s' contains '%c', which libcacard's soft=( list cannot hold (rename the certificate: certutil --rename)",
				     key, shown, *bad);
	if (nick[0] == ' ' || nick[len - 1] == ' ')
		return vcg_spec_fail(spec, err, errlen,
				     "%s='%s' starts or ends with a blank (libcacard strips leading blanks; remove them)",
				     key, shown);
	return 0;
}

/* personality, cert4, state-dir (vcg_emul_config.h). */
static int piv_config(const struct vcg_spec *spec, struct vcg_emul_config *cfg,
		      char *err, size_t errlen)
{
	const char *personality = "cac+piv", *cert4 = NULL;
	const char *dir = VCG_PIV_DEFAULT_STATE_DIR;
	char shown[VCG_SPEC_SHOWN_MAX];
	int rc;

	rc = vcg_spec_get_string(spec, "personality", false, &personality, err,
				 errlen);
	if (rc < 0)
		return rc;
	if (vcg_piv_personality_parse(personality, &cfg->personality) < 0) {
		vcg_spec_printable(shown, sizeof(shown), personality, 32);
		return vcg_spec_fail(spec, err, errlen,
				     "unknown personality '%s' (use cac+piv, cac or piv)",
				     shown);
	}
	rc = vcg_spec_get_string(spec, "cert4", false, &cert4, err, errlen);
	if (rc < 0)
		return rc;
	if (cert4 != NULL) {
		rc = check_nick(spec, "cert4", cert4, err, errlen);
		if (rc < 0)
			return rc;
		snprintf(cfg->cert4, sizeof(cfg->cert4), "%s", cert4);
	}
	rc = vcg_spec_get_string(spec, "state-dir", false, &dir, err, errlen);
	if (rc < 0)
		return rc;
	if (dir[0] != '/' || strlen(dir) > VCG_EMUL_DIR_MAX)
		return vcg_spec_fail(spec, err, errlen,
				     "state-dir must be an absolute path of at most %d bytes",
				     VCG_EMUL_DIR_MAX);
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", dir);
	return 0;
}

static int certificates_config(const struct vcg_spec *spec,
			       struct vcg_emul_config *cfg, char *err,
			       size_t errlen)
{
	const char *nick[VCG_EMUL_NCERTS] = { NULL, NULL, NULL };
	int rc;

	for (int i = 0; i < VCG_EMUL_NCERTS; i++) {
		rc = vcg_spec_get_string(spec, cert_keys[i], false, &nick[i],
					 err, errlen);
		if (rc < 0)
			return rc;
	}
	if (vcg_spec_find(spec, "use_hw") != NULL)
		return vcg_spec_fail(spec, err, errlen,
				     "use_hw is only for backend=nss-emulated (backend=certificates serves the db's own certificates, libcacard's use_hw=no)");
	if (nick[0] == NULL)
		return vcg_spec_fail(spec, err, errlen,
				     "backend=certificates needs cert1 (and cert2, cert3 if the card has more certificates; a missing one is cert1's)");
	/* One or two certificates: each missing role (CAC PKI applet 2:
	 * signature, 3: encryption) serves cert1's certificate and key.
	 * libcacard itself would take fewer (soft=( holds 1..10 names, one
	 * PKI applet each, listed in the CCC), but this daemon's CoolKey
	 * filter (vcg_cacpki.h) serves three applets, and a card whose
	 * every role has the key is what a one-certificate user wants from
	 * each host stack. The host lists the certificate once per role. */
	for (int i = 1; i < VCG_EMUL_NCERTS; i++)
		if (nick[i] == NULL)
			nick[i] = nick[0];
	for (int i = 0; i < VCG_EMUL_NCERTS; i++) {
		rc = check_nick(spec, cert_keys[i], nick[i], err, errlen);
		if (rc < 0)
			return rc;
		snprintf(cfg->certs[i], sizeof(cfg->certs[i]), "%s", nick[i]);
	}
	rc = piv_config(spec, cfg, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(cfg->options, sizeof(cfg->options),
		 "db=\"%s\" use_hw=no soft=(," VCG_EMUL_READER_NAME ",CAC,,%s,%s,%s)",
		 cfg->db, cfg->certs[0], cfg->certs[1], cfg->certs[2]);
	snprintf(cfg->describe, sizeof(cfg->describe),
		 "emulated certificates %s", cfg->db);
	return 0;
}

/* backend=nss-emulated: libcacard's use_hw (yes or removable), and
 * personality=cac only (the mirrored card is libcacard's CAC). */
static int nss_emulated_config(const struct vcg_spec *spec,
			       struct vcg_emul_config *cfg, char *err,
			       size_t errlen)
{
	static const char *const certificates_only[] = { "cert4", "state-dir" };
	const char *use_hw = "yes", *personality = "cac";
	char shown[VCG_SPEC_SHOWN_MAX];
	int rc;

	for (size_t i = 0; i < 2; i++)
		if (vcg_spec_find(spec, certificates_only[i]) != NULL)
			return vcg_spec_fail(spec, err, errlen,
					     "%s is only for backend=certificates (the PIV card edge uses the db's certificates)",
					     certificates_only[i]);
	for (int i = 0; i < VCG_EMUL_NCERTS; i++)
		if (vcg_spec_find(spec, cert_keys[i]) != NULL)
			return vcg_spec_fail(spec, err, errlen,
					     "%s is only for backend=certificates (add backend=certificates, or remove cert1..cert3 to use the NSS hardware tokens)",
					     cert_keys[i]);
	rc = vcg_spec_get_string(spec, "personality", false, &personality,
				 err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(personality, "cac") != 0) {
		vcg_spec_printable(shown, sizeof(shown), personality, 32);
		return vcg_spec_fail(spec, err, errlen,
				     "personality '%s' is only for backend=certificates (a mirrored token is libcacard's CAC card: personality=cac or none)",
				     shown);
	}
	cfg->personality = VCG_PIV_CAC;
	rc = vcg_spec_get_string(spec, "use_hw", false, &use_hw, err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(use_hw, "yes") == 0) {
		cfg->any_removable = false;
	} else if (strcmp(use_hw, "removable") == 0) {
		cfg->any_removable = true;
	} else if (strcmp(use_hw, "no") == 0) {
		return vcg_spec_fail(spec, err, errlen,
				     "use_hw=no leaves backend=nss-emulated nothing to mirror (for the db's own certificates use backend=certificates,cert1=NICK)");
	} else {
		vcg_spec_printable(shown, sizeof(shown), use_hw, 32);
		return vcg_spec_fail(spec, err, errlen,
				     "unknown use_hw '%s' (use yes: removable hardware slots, or removable: any removable slot, e.g. SoftHSM2's)",
				     shown);
	}
	snprintf(cfg->options, sizeof(cfg->options), "db=\"%s\" use_hw=%s",
		 cfg->db, use_hw);
	snprintf(cfg->describe, sizeof(cfg->describe),
		 "emulated nss-emulated %s", cfg->db);
	return 0;
}

int vcg_emul_config_from_spec(const struct vcg_spec *spec,
			      struct vcg_emul_config *cfg, char *err,
			      size_t errlen)
{
	const char *backend = "nss-emulated";
	const char *db = "sql:" VCG_EMUL_DEFAULT_DB_DIR;
	unsigned long debug = 0;
	char shown[VCG_SPEC_SHOWN_MAX];
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = vcg_spec_get_string(spec, "backend", false, &backend, err, errlen);
	if (rc < 0)
		return rc;
	rc = vcg_spec_get_string(spec, "db", false, &db, err, errlen);
	if (rc < 0)
		return rc;
	rc = vcg_spec_get_uint(spec, "debug", 0, 255, &debug, err, errlen);
	if (rc < 0)
		return rc;
	rc = check_db(spec, db, cfg, err, errlen);
	if (rc < 0)
		return rc;

	if (strcmp(backend, "certificates") == 0) {
		cfg->backend = VCG_EMUL_CERTIFICATES;
		return certificates_config(spec, cfg, err, errlen);
	}
	if (strcmp(backend, "nss-emulated") != 0) {
		vcg_spec_printable(shown, sizeof(shown), backend, 32);
		return vcg_spec_fail(spec, err, errlen,
				     "unknown backend '%s' (use certificates or nss-emulated)",
				     shown);
	}
	cfg->backend = VCG_EMUL_NSS_EMULATED;
	return nss_emulated_config(spec, cfg, err, errlen);
}
