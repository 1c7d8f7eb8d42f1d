/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TLS credentials (GnuTLS): QEMU's tls-creds-x509 directory layout for
 * the server and client contexts, and the server's allow-list of client
 * certificates. See vcg_tls.h. */
#include "vcg_tls.h"


#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcg_tls_int.h"

#define HINT " (make one with scripts/make-tls-certs)"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int gnutls_errno(int rc)
{
	switch (rc) {
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_FILE_ERROR:
		return -EIO;
	default:
		return -EINVAL;
	}
}

/* ---- credentials ---------------------------------------------------- */

/* dir/name into path; 0, or -errno with err set. want: the file must exist. */
static int cred_path(char *path, size_t size, const char *dir, const char *name,
		     bool want, char *err, size_t errlen)
{
	struct stat st;

	if ((size_t)snprintf(path, size, "%s/%s", dir, name) >= size) {
		seterr(err, errlen, "tls-creds %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	if (!want)
		return 0;
	if (stat(path, &st) < 0) {
		int e = errno;

		if (e == ENOENT)
			seterr(err, errlen, "tls-creds %s: no %s" HINT, dir, name);
		else
			seterr(err, errlen, "tls-creds %s: %s: %s", dir, name, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "tls-creds %s: %s is not a regular file", dir, name);
		return -EINVAL;
	}
	return 0;
}

/* Load ca-cert.pem, CERT + KEY and, when present, ca-crl.pem from dir. */
static int load_creds(gnutls_certificate_credentials_t *out, gnutls_priority_t *prio,
		      const char *dir, const char *cert, const char *key,
		      char *err, size_t errlen)
{
	char ca_p[PATH_MAX], crl_p[PATH_MAX], cert_p[PATH_MAX], key_p[PATH_MAX];
	gnutls_certificate_credentials_t creds = NULL;
	struct stat st;
	const char *pos = NULL;
	int rc;

	*out = NULL;
	*prio = NULL;
	if (dir == NULL || *dir == '\0') {
		seterr(err, errlen, "tls-creds: no directory given");
		return -EINVAL;
	}
	if (stat(dir, &st) < 0) {
		rc = -errno;
		seterr(err, errlen, "tls-creds %s: %s%s", dir, strerror(-rc),
		       rc == -ENOENT ? HINT : "");
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "tls-creds %s: not a directory (want one holding "
		       "ca-cert.pem, %s, %s)", dir, cert, key);
		return -ENOTDIR;
	}
	if ((rc = cred_path(ca_p, sizeof(ca_p), dir, "ca-cert.pem", true, err, errlen)) < 0 ||
	    (rc = cred_path(cert_p, sizeof(cert_p), dir, cert, true, err, errlen)) < 0 ||
	    (rc = cred_path(key_p, sizeof(key_p), dir, key, true, err, errlen)) < 0 ||
	    (rc = cred_path(crl_p, sizeof(crl_p), dir, "ca-crl.pem", false, err, errlen)) < 0)
		return rc;

	rc = GT(gnutls_certificate_allocate_credentials)(&creds);
	if (rc < 0) {
		seterr(err, errlen, "tls-creds %s: %s", dir, GT(gnutls_strerror)(rc));
		return -ENOMEM;
	}
	rc = GT(gnutls_certificate_set_x509_trust_file)(creds, ca_p, GNUTLS_X509_FMT_PEM);
	if (rc <= 0) {
		seterr(err, errlen, "tls-creds %s: ca-cert.pem: %s", dir,
		       rc == 0 ? "no PEM certificate in it" : GT(gnutls_strerror)(rc));
		rc = rc == 0 ? -EINVAL : gnutls_errno(rc);
		goto fail;
	}
	if (access(crl_p, F_OK) == 0) {
		rc = GT(gnutls_certificate_set_x509_crl_file)(creds, crl_p, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			seterr(err, errlen, "tls-creds %s: ca-crl.pem: %s", dir,
			       GT(gnutls_strerror)(rc));
			rc = gnutls_errno(rc);
			goto fail;
		}
	}
	rc = GT(gnutls_certificate_set_x509_key_file)(creds, cert_p, key_p, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		seterr(err, errlen, "tls-creds %s: %s + %s: %s", dir, cert, key,
		       GT(gnutls_strerror)(rc));
		rc = gnutls_errno(rc);
		goto fail;
	}
	rc = GT(gnutls_priority_init2)(prio, VCG_TLS_PRIORITY, &pos, 0);
	if (rc < 0) {
		seterr(err, errlen, "TLS priority \"%s\": %s at \"%s\"", VCG_TLS_PRIORITY,
		       GT(gnutls_strerror)(rc), pos ? pos : "?");
		*prio = NULL;
		rc = gnutls_errno(rc);
		goto fail;
	}
	*out = creds;
	return 0;
fail:
	GT(gnutls_certificate_free_credentials)(creds);
	return rc;
}

/* ---- allow-list ----------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "HEX" with optional colons into fp; 0 or a reason. */
static const char *parse_fp(const char *s, uint8_t fp[FP_LEN])
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ':')
			continue;
		v = hexval((unsigned char)*s);
		if (v < 0)
			return "a sha256 fingerprint has only hex digits and colons";
		if (n >= 2 * FP_LEN)
			return "a sha256 fingerprint has 64 hex digits; this one has more";
		if (hi < 0) {
			hi = v;
		} else {
			fp[n / 2] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
		n++;
	}
	if (n != 2 * FP_LEN)
		return "a sha256 fingerprint has 64 hex digits; this one has fewer";
	return NULL;
}

static void free_allow(struct allow_entry *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i].dn);
	free(a);
}

static int load_allow(struct vcg_tls_server *srv, const char *file, char *err, size_t errlen)
{
	FILE *f = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t len;
	unsigned lineno = 0;
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		seterr(err, errlen, "tls-allow %s: %s", file, strerror(-rc));
		return rc;
	}
	srv->use_allow = true;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line, *end;
		struct allow_entry e = { 0 };
		const char *bad = NULL;

		lineno++;
		if (memchr(line, '\0', (size_t)len) != NULL) {
			seterr(err, errlen, "tls-allow %s:%u: a NUL byte in the line", file, lineno);
			rc = -EINVAL;
			break;
		}
		while (isspace((unsigned char)*p))
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (strncasecmp(p, "sha256:", 7) == 0) {
			e.is_fp = true;
			bad = parse_fp(p + 7, e.fp);
		} else if (strchr(p, '=') != NULL) {
			e.dn = strdup(p);
			if (e.dn == NULL) {
				seterr(err, errlen, "tls-allow %s: out of memory", file);
				rc = -ENOMEM;
				break;
			}
		} else {
			bad = "want \"sha256:HEX\" or a subject DN like \"CN=laptop,O=Example\"";
		}
		if (bad != NULL) {
			seterr(err, errlen, "tls-allow %s:%u: %s", file, lineno, bad);
			rc = -EINVAL;
			break;
		}
		if (srv->n_allow == alloc) {
			size_t na = alloc ? 2 * alloc : 8;
			struct allow_entry *a = realloc(srv->allow, na * sizeof(*a));

			if (a == NULL) {
				free(e.dn);
				seterr(err, errlen, "tls-allow %s: out of memory", file);
				rc = -ENOMEM;
				break;
			}
			srv->allow = a;
			alloc = na;
		}
		srv->allow[srv->n_allow++] = e;
	}
	if (rc == 0 && ferror(f)) {
		seterr(err, errlen, "tls-allow %s: read error", file);
		rc = -EIO;
	}
	free(line);
	fclose(f);
	return rc;
}

bool vcg_tls_allowed(const struct vcg_tls_server *srv, const uint8_t fp[FP_LEN], const char *dn)
{
	for (size_t i = 0; i < srv->n_allow; i++) {
		const struct allow_entry *e = &srv->allow[i];

		if (e->is_fp ? memcmp(e->fp, fp, FP_LEN) == 0 : (dn && strcmp(e->dn, dn) == 0))
			return true;
	}
	return false;
}

struct vcg_tls_server *vcg_tls_server_new(const char *dir, const char *allow_file,
					  char *err, size_t errlen)
{
	struct vcg_tls_server *srv;
	int rc;

	seterr(err, errlen, "%s", "");
	rc = vcg_gnutls_load(err, errlen);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		seterr(err, errlen, "tls-creds: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	rc = load_creds(&srv->creds, &srv->prio, dir, "server-cert.pem", "server-key.pem",
			err, errlen);
	if (rc == 0 && allow_file != NULL)
		rc = load_allow(srv, allow_file, err, errlen);
	if (rc < 0) {
		vcg_tls_server_free(srv);
		errno = -rc;
		return NULL;
	}
	return srv;
}

void vcg_tls_server_free(struct vcg_tls_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->creds != NULL)
		GT(gnutls_certificate_free_credentials)(srv->creds);
	if (srv->prio != NULL)
		GT(gnutls_priority_deinit)(srv->prio);
	free_allow(srv->allow, srv->n_allow);
	free(srv);
}

struct vcg_tls_client *vcg_tls_client_new(const char *dir, char *err, size_t errlen)
{
	struct vcg_tls_client *cli;
	int rc;

	seterr(err, errlen, "%s", "");
	rc = vcg_gnutls_load(err, errlen);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	cli = calloc(1, sizeof(*cli));
	if (cli == NULL) {
		seterr(err, errlen, "tls-creds: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	rc = load_creds(&cli->creds, &cli->prio, dir, "client-cert.pem", "client-key.pem",
			err, errlen);
	if (rc < 0) {
		free(cli);
		errno = -rc;
		return NULL;
	}
	return cli;
}

void vcg_tls_client_free(struct vcg_tls_client *cli)
{
	if (cli == NULL)
		return;
	GT(gnutls_certificate_free_credentials)(cli->creds);
	GT(gnutls_priority_deinit)(cli->prio);
	free(cli);
}
