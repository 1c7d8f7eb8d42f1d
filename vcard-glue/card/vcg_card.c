/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vcg_card: parse the SPEC, pick the backend by driver name, forward.
 * See vcg_card.h. */
#include "vcg_card.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "vcg_backend.h"

struct vcg_card {
	const struct vcg_backend *be;
	void *impl;
	struct vcg_log log;   /* backends keep a pointer to this */
};

static const struct vcg_backend *const backends[] = {
	&vcg_test_backend,
	&vcg_emulated_backend,
	&vcg_passthru_backend,
};

void vcg_logf(const struct vcg_log *log, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if ((log == NULL || log->fn == NULL) && level > LOG_WARNING)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log != NULL && log->fn != NULL)
		log->fn(log->ctx, level, line);
	else
		fprintf(stderr, "vcg: %s\n", line);
}

/* The card, or NULL with *rc set (see vcg_card.h). */
static struct vcg_card *create(const char *spec_text, struct ccid_engine *eng,
			       unsigned slot, int *rc, char *err, size_t errlen)
{
	const struct vcg_backend *be = NULL;
	struct vcg_spec *spec;
	struct vcg_card *card = NULL;

	/* The parsed spec is ~1.5 KiB: keep it off the caller's stack. */
	spec = calloc(1, sizeof(*spec));
	if (spec == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "card spec: out of memory");
		*rc = -ENOMEM;
		return NULL;
	}
	*rc = vcg_spec_parse(spec, spec_text, err, errlen);
	if (*rc < 0)
		goto out;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->driver, spec->driver) == 0)
			be = backends[i];
	if (be == NULL) {
		char shown[VCG_SPEC_SHOWN_MAX];

		vcg_spec_printable(shown, sizeof(shown), spec->driver, 32);
		*rc = vcg_spec_fail(spec, err, errlen,
				    "unknown card driver '%s' (use test, emulated or passthru)",
				    shown);
		goto out;
	}
	*rc = vcg_spec_check_keys(spec, be->keys, err, errlen);
	if (*rc < 0)
		goto out;
	card = calloc(1, sizeof(*card));
	if (card == NULL) {
		vcg_spec_fail(spec, err, errlen, "out of memory");
		*rc = -ENOMEM;
		goto out;
	}
	card->be = be;
	*rc = be->create(spec, eng, slot, &card->log, &card->impl, err, errlen);
	if (*rc < 0) {
		free(card);
		card = NULL;
	}
out:
	free(spec);
	return card;
}

struct vcg_card *vcg_card_create(const char *spec_text,
				 struct ccid_engine *eng, unsigned slot,
				 int *rc, char *err, size_t errlen)
{
	struct vcg_card *card;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	card = create(spec_text, eng, slot, &ret, err, errlen);
	if (card == NULL && ret >= 0)
		ret = -EINVAL;   /* a backend that forgot its -errno */
	if (rc != NULL)
		*rc = card != NULL ? 0 : ret;
	return card;
}

void vcg_card_destroy(struct vcg_card *card)
{
	if (card == NULL)
		return;
	card->be->destroy(card->impl);
	free(card);
}

int vcg_card_fd(const struct vcg_card *card)
{
	return card->be->fd(card->impl);
}

void vcg_card_dispatch(struct vcg_card *card)
{
	card->be->dispatch(card->impl);
}

int vcg_card_set_present(struct vcg_card *card, bool present)
{
	return card->be->set_present(card->impl, present);
}

bool vcg_card_wants_usb(const struct vcg_card *card)
{
	return card->be->wants_usb == NULL || card->be->wants_usb(card->impl);
}

const char *vcg_card_state_dir(const struct vcg_card *card)
{
	return card->be->state_dir ? card->be->state_dir(card->impl) : NULL;
}

const char *vcg_card_describe(const struct vcg_card *card)
{
	return card->be->describe(card->impl);
}

void vcg_card_set_log(struct vcg_card *card, ccid_log_fn fn, void *ctx)
{
	card->log.fn = fn;
	card->log.ctx = ctx;
}
