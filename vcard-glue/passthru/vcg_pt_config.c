/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "passthru" SPEC -> validated config: see vcg_pt_config.h. */
#include "vcg_pt_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const vcg_pt_keys[] = {
	"listen",    "attach",    "timeout", "debug",
	"tls-creds", "tls-allow", "spice",   "password-file",
	"tls-port",  "x509-dir",  NULL,
};

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The address key being parsed: listen= or spice= (one per SPEC). */
static int bad_addr(const struct vcg_spec *spec,
		    const struct vcg_pt_config *cfg, char *err, size_t errlen,
		    const char *what)
{
	if (cfg->spice)
		return vcg_spec_fail(
			spec, err, errlen,
			"spice: %s (write spice=PORT, spice=HOST:PORT or spice=[IPV6]:PORT)",
			what);
	return vcg_spec_fail(spec, err, errlen,
			     "listen: %s (write listen=PORT, listen=HOST:PORT, listen=[IPV6]:PORT or listen=unix:PATH)",
			     what);
}
#define bad_listen(spec, err, errlen, what) \
	bad_addr(spec, cfg, err, errlen, what)

static int parse_port(const struct vcg_spec *spec, const char *p,
		      struct vcg_pt_config *cfg, char *err, size_t errlen)
{
	unsigned long v = 0;

	if (!all_digits(p) || strlen(p) > 5)
		return bad_listen(spec, err, errlen, "the port is not a number 0..65535");
	for (; *p; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (v > 65535)
		return bad_listen(spec, err, errlen, "the port is not a number 0..65535");
	cfg->port = (unsigned)v;
	return 0;
}

static int parse_listen(const struct vcg_spec *spec, const char *v,
			struct vcg_pt_config *cfg, char *err, size_t errlen)
{
	const char *colon;
	size_t hlen;

	if (strncmp(v, "unix:", 5) == 0 && !cfg->spice) {
		v += 5;
		if (v[0] == '\0')
			return bad_listen(spec, err, errlen, "unix: names no path");
		if (strlen(v) > VCG_PT_PATH_MAX)
			return bad_listen(spec, err, errlen,
					  "the unix socket path is longer than 107 bytes");
		cfg->unix_socket = true;
		snprintf(cfg->path, sizeof(cfg->path), "%s", v);
		return 0;
	}
	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (close == NULL || close[1] != ':')
			return bad_listen(spec, err, errlen,
					  "an IPv6 address needs brackets and a port, as [::1]:2001");
		hlen = (size_t)(close - v - 1);
		if (hlen == 0)
			return bad_listen(spec, err, errlen, "empty address in []");
		if (hlen > VCG_PT_HOST_MAX)
			return bad_listen(spec, err, errlen, "the host is too long");
		memcpy(cfg->host, v + 1, hlen);
		cfg->host[hlen] = '\0';
		return parse_port(spec, close + 2, cfg, err, errlen);
	}
	colon = strrchr(v, ':');
	if (colon == NULL) {
		snprintf(cfg->host, sizeof(cfg->host), "%s", VCG_PT_DEFAULT_HOST);
		return parse_port(spec, v, cfg, err, errlen);
	}
	if (memchr(v, ':', (size_t)(colon - v)) != NULL)
		return bad_listen(spec, err, errlen,
				  "an IPv6 address needs brackets, as [::1]:2001");
	hlen = (size_t)(colon - v);
	if (hlen > VCG_PT_HOST_MAX)
		return bad_listen(spec, err, errlen, "the host is too long");
	if (hlen == 0) {
		snprintf(cfg->host, sizeof(cfg->host), "%s", VCG_PT_DEFAULT_HOST);
	} else {
		memcpy(cfg->host, v, hlen);
		cfg->host[hlen] = '\0';
	}
	return parse_port(spec, colon + 1, cfg, err, errlen);
}

static int get_file(const struct vcg_spec *spec, const char *key, char *out,
		    size_t outlen, char *err, size_t errlen)
{
	const char *v = NULL;
	int rc = vcg_spec_get_string(spec, key, false, &v, err, errlen);

	if (rc < 0 || v == NULL)
		return rc;
	if (strlen(v) >= outlen)
		return vcg_spec_fail(spec, err, errlen,
				     "%s is longer than %zu bytes (use a shorter path)",
				     key, outlen - 1);
	snprintf(out, outlen, "%s", v);
	return 0;
}

/* password-file, tls-port, x509-dir: SPICE's own (QEMU's -spice
 * password-secret / tls-port / x509-dir), only with spice=. */
static int spice_options(const struct vcg_spec *spec, struct vcg_pt_config *cfg,
			 char *err, size_t errlen)
{
	unsigned long tls_port = 0;
	int rc;

	rc = get_file(spec, "password-file", cfg->password_file,
		      sizeof(cfg->password_file), err, errlen);
	if (!rc)
		rc = get_file(spec, "x509-dir", cfg->x509_dir,
			      sizeof(cfg->x509_dir), err, errlen);
	if (!rc)
		rc = vcg_spec_get_uint(spec, "tls-port", 1, 65535, &tls_port,
				       err, errlen);
	if (rc < 0)
		return rc;
	cfg->tls_port = (unsigned)tls_port;
	if (!cfg->spice) {
		if (cfg->password_file[0] || cfg->x509_dir[0] || cfg->tls_port)
			return vcg_spec_fail(
				spec, err, errlen,
				"password-file, tls-port and x509-dir are SPICE options: they need spice=[HOST:]PORT");
		return 0;
	}
	if (!cfg->tls_port != !cfg->x509_dir[0])
		return vcg_spec_fail(
			spec, err, errlen,
			"tls-port and x509-dir go together (x509-dir holds ca-cert.pem, server-cert.pem, server-key.pem)");
	if (cfg->port == 0 && cfg->tls_port == 0)
		return vcg_spec_fail(
			spec, err, errlen,
			"spice=HOST:0 turns the plain port off: then tls-port=P,x509-dir=DIR is needed");
	if (cfg->port != 0 && cfg->port == cfg->tls_port)
		return vcg_spec_fail(
			spec, err, errlen,
			"the plain port and tls-port are the same port");
	return 0;
}

static void describe_spice(struct vcg_pt_config *cfg)
{
	bool v6 = strchr(cfg->host, ':') != NULL;
	char tls[32] = "";

	if (cfg->tls_port)
		snprintf(tls, sizeof(tls), " tls-port %u", cfg->tls_port);
	snprintf(cfg->describe, sizeof(cfg->describe),
		 "passthru spice %s%s%s:%u%s%s", v6 ? "[" : "", cfg->host,
		 v6 ? "]" : "", cfg->port, tls,
		 cfg->password_file[0] ? " ticket" : "");
}

int vcg_pt_config_from_spec(const struct vcg_spec *spec,
			    struct vcg_pt_config *cfg, char *err,
			    size_t errlen)
{
	const char *listen = NULL, *spice = NULL, *attach = NULL;
	unsigned long timeout = VCG_PT_DEFAULT_TIMEOUT_S, debug = 0;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = vcg_spec_get_string(spec, "listen", false, &listen, err, errlen);
	if (rc < 0)
		return rc;
	rc = vcg_spec_get_string(spec, "spice", false, &spice, err, errlen);
	if (rc < 0)
		return rc;
	if (listen != NULL && spice != NULL)
		return vcg_spec_fail(
			spec, err, errlen,
			"listen= and spice= exclude each other (a VSCard port or a SPICE server: one card, one way in)");
	if (listen == NULL && spice == NULL)
		return vcg_spec_fail(
			spec, err, errlen,
			"passthru needs listen=PORT, listen=HOST:PORT or listen=unix:PATH (where vscclient connects), or spice=[HOST:]PORT (where remote-viewer connects)");
	cfg->spice = spice != NULL;
	rc = parse_listen(spec, cfg->spice ? spice : listen, cfg, err, errlen);
	if (rc < 0)
		return rc;
	rc = spice_options(spec, cfg, err, errlen);
	if (rc < 0)
		return rc;

	cfg->attach = VCG_PT_ATTACH_READER;
	rc = vcg_spec_get_string(spec, "attach", false, &attach, err, errlen);
	if (rc < 0)
		return rc;
	if (attach != NULL) {
		if (strcmp(attach, "always") == 0)
			cfg->attach = VCG_PT_ATTACH_ALWAYS;
		else if (strcmp(attach, "reader") != 0)
			return vcg_spec_fail(spec, err, errlen,
					     "attach must be reader or always");
	}
	rc = vcg_spec_get_uint(spec, "timeout", 0, VCG_PT_MAX_TIMEOUT_S,
			       &timeout, err, errlen);
	if (rc < 0)
		return rc;
	cfg->timeout_s = (unsigned)timeout;
	rc = vcg_spec_get_uint(spec, "debug", 0, 255, &debug, err, errlen);
	if (rc < 0)
		return rc;

	rc = get_file(spec, "tls-creds", cfg->tls_creds,
		      sizeof(cfg->tls_creds), err, errlen);
	if (rc < 0)
		return rc;
	rc = get_file(spec, "tls-allow", cfg->tls_allow,
		      sizeof(cfg->tls_allow), err, errlen);
	if (rc < 0)
		return rc;
	if (cfg->spice && cfg->tls_creds[0])
		return vcg_spec_fail(
			spec, err, errlen,
			"tls-creds is the VSCard port's TLS: with spice= write tls-port=P,x509-dir=DIR");
	if (cfg->tls_allow[0] && !cfg->tls_creds[0])
		return vcg_spec_fail(spec, err, errlen,
				     "tls-allow needs tls-creds=DIR (the allow-list names TLS client certificates)");

	if (cfg->spice)
		describe_spice(cfg);
	else if (cfg->unix_socket)
		snprintf(cfg->describe, sizeof(cfg->describe),
			 "passthru unix:%s%s", cfg->path,
			 cfg->tls_creds[0] ? " tls" : "");
	else if (strchr(cfg->host, ':') != NULL)
		snprintf(cfg->describe, sizeof(cfg->describe),
			 "passthru [%s]:%u%s", cfg->host, cfg->port,
			 cfg->tls_creds[0] ? " tls" : "");
	else
		snprintf(cfg->describe, sizeof(cfg->describe),
			 "passthru %s:%u%s", cfg->host, cfg->port,
			 cfg->tls_creds[0] ? " tls" : "");
	return 0;
}
