/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the card SPEC path: the parser (vcg_spec), its typed getters, the
 * "emulated" validation that builds libcacard's options string
 * (vcg_emul_config), the "passthru" validation (vcg_pt_config; its
 * sockets are not opened here), and vcg_card_create() for the "test" driver against
 * a real engine. The emulated driver itself is not created here: it
 * opens NSS databases and starts libcacard once per process.
 *
 * Oracles besides "no crash, no sanitizer report":
 *  - a failure gives one non-empty line starting "card spec '";
 *  - a success gives a driver and keys of [A-Za-z0-9_-];
 *  - an accepted emulated config, re-read the way libcacard's
 *    vcard_emul_options() reads it (strpbrk on ",)" and '"', blanks
 *    stripped), yields exactly our db and our three nicknames. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid_engine.h"
#include "vcg_card.h"
#include "vcg_emul_config.h"
#include "vcg_pt_config.h"
#include "vcg_spec.h"
#include "fuzz_target.h"

#define FAIL() __builtin_trap()

static void check_error_line(const char *err)
{
	if (strncmp(err, "card spec '", 11) != 0 || strchr(err, '\n') != NULL)
		FAIL();
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
	       *p == '\v' || *p == '\f')
		p++;
	return p;
}

/* One token of libcacard's soft=( list: up to ',' or ')'. */
static const char *token(const char *p, const char **start, size_t *len)
{
	const char *end = strpbrk(p, ",)");

	if (end == NULL)
		FAIL();
	*start = p;
	*len = (size_t)(end - p);
	return end;
}

static void check_options(const struct vcg_emul_config *cfg)
{
	const char *p = cfg->options;
	const char *t;
	size_t len;

	p = skip_blanks(p);
	if (strncmp(p, "db=\"", 4) != 0)
		FAIL();
	p += 4;
	t = strpbrk(p, "\"\n");
	if (t == NULL || (size_t)(t - p) != strlen(cfg->db) ||
	    memcmp(p, cfg->db, strlen(cfg->db)) != 0)
		FAIL();
	p = skip_blanks(t + 1);
	if (cfg->backend == VCG_EMUL_NSS_EMULATED) {
		if (strcmp(p, cfg->any_removable ? "use_hw=removable"
						       : "use_hw=yes") != 0)
			FAIL();
		return;
	}
	if (strncmp(p, "use_hw=no", 9) != 0)
		FAIL();
	p = skip_blanks(p + 9);
	if (strncmp(p, "soft=(", 6) != 0)
		FAIL();
	p = skip_blanks(p + 6);
	/* slot name, reader name, card type, type params: each ends in ',' */
	for (int i = 0; i < 4; i++) {
		p = token(p, &t, &len);
		if (*p != ',')
			FAIL();
		p = skip_blanks(p + 1);
	}
	for (int i = 0; i < VCG_EMUL_NCERTS; i++) {
		p = token(p, &t, &len);
		if (len != strlen(cfg->certs[i]) ||
		    memcmp(t, cfg->certs[i], len) != 0)
			FAIL();
		if (*p != (i == VCG_EMUL_NCERTS - 1 ? ')' : ','))
			FAIL();
		p = i == VCG_EMUL_NCERTS - 1 ? p + 1 : skip_blanks(p + 1);
	}
	if (*p != '\0')
		FAIL();
}

static void exercise_getters(const struct vcg_spec *s)
{
	char err[256];

	for (size_t i = 0; i < s->nprops; i++) {
		const char *key = s->props[i].key;
		const char *str = NULL;
		unsigned long v = 0;
		bool b = false;

		for (const char *k = key; *k; k++)
			if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
			      (*k >= '0' && *k <= '9') || *k == '_' || *k == '-'))
				FAIL();
		if (vcg_spec_find(s, key) != &s->props[i])
			FAIL();
		if (vcg_spec_get_uint(s, key, 0, 60000, &v, err, sizeof(err)) < 0)
			check_error_line(err);
		else if (v > 60000)
			FAIL();
		if (vcg_spec_get_bool(s, key, &b, err, sizeof(err)) < 0)
			check_error_line(err);
		if (vcg_spec_get_string(s, key, false, &str, err, sizeof(err)) < 0)
			check_error_line(err);
		else if (str == NULL || str[0] == '\0')
			FAIL();
	}
}

static struct ccid_engine *engine(void)
{
	static struct ccid_engine *eng;
	struct ccid_reader_config cfg;

	if (eng == NULL) {
		ccid_reader_config_default(&cfg);
		eng = ccid_engine_new(&cfg);
	}
	return eng;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vcg_spec spec;
	static struct vcg_emul_config cfg;
	static const char *const test_keys[] = { "delay_ms", "absent", NULL };
	char text[VCG_SPEC_MAX_LEN + 64];
	char err[512];
	char shown[64];

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';

	vcg_spec_printable(shown, sizeof(shown), text, 20);
	if (vcg_spec_parse(&spec, text, err, sizeof(err)) < 0) {
		check_error_line(err);
		return 0;
	}
	if (spec.driver == NULL || spec.driver[0] == '\0' ||
	    spec.nprops > VCG_SPEC_MAX_PROPS || err[0] != '\0')
		FAIL();
	exercise_getters(&spec);

	if (strcmp(spec.driver, "emulated") == 0) {
		if (vcg_spec_check_keys(&spec, vcg_emul_keys, err, sizeof(err)) < 0)
			check_error_line(err);
		else if (vcg_emul_config_from_spec(&spec, &cfg, err, sizeof(err)) < 0)
			check_error_line(err);
		else
			check_options(&cfg);
	} else if (strcmp(spec.driver, "passthru") == 0) {
		static struct vcg_pt_config pcfg;

		if (vcg_spec_check_keys(&spec, vcg_pt_keys, err, sizeof(err)) < 0)
			check_error_line(err);
		else if (vcg_pt_config_from_spec(&spec, &pcfg, err, sizeof(err)) < 0)
			check_error_line(err);
		else if ((pcfg.unix_socket ? pcfg.path[0] == '\0' :
			  pcfg.host[0] == '\0' || pcfg.port > 65535) ||
			 strncmp(pcfg.describe, "passthru ", 9) != 0 ||
			 (pcfg.tls_allow[0] && !pcfg.tls_creds[0]) ||
			 pcfg.timeout_s > VCG_PT_MAX_TIMEOUT_S)
			FAIL();
	} else if (strcmp(spec.driver, "test") == 0 && engine() != NULL) {
		struct vcg_card *card;
		int rc = 1;

		if (vcg_spec_check_keys(&spec, test_keys, err, sizeof(err)) < 0)
			check_error_line(err);
		card = vcg_card_create(text, engine(), 0, &rc, err, sizeof(err));
		if (card == NULL)
			check_error_line(err);
		/* The kind: 0 with a card; a test SPEC's only failure is
		 * -EINVAL, and that line quotes the SPEC (vcg_card.h). */
		if ((card != NULL) != (rc == 0) ||
		    (card == NULL && (rc != -EINVAL ||
				      strncmp(err, "card spec '", 11) != 0)))
			FAIL();
		vcg_card_destroy(card);
	}
	return 0;
}
