/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which token backend=nss-emulated mirrors, and why: see
 * vcg_emul_tokens.h. */
#include "vcg_emul_tokens.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "vcg_spec.h"

static void say(struct vcg_token_verdict *v, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct vcg_token_verdict *v, int level, const char *fmt, ...)
{
	va_list ap;

	v->level = level;
	va_start(ap, fmt);
	vsnprintf(v->line, sizeof(v->line), fmt, ap);
	va_end(ap);
}

static bool eligible(const struct vcg_token_info *s, bool any_removable)
{
	return s->loaded && s->removable && (any_removable || s->hardware);
}

static bool has_certs(const struct vcg_token_info *s)
{
	return s->loaded && s->present && s->initialized && s->certs > 0;
}

/* Printable copies for the line (names come from PKCS#11 modules). */
struct shown {
	char slot[VCG_SPEC_SHOWN_MAX], token[VCG_SPEC_SHOWN_MAX];
	char module[VCG_SPEC_SHOWN_MAX], library[VCG_SPEC_SHOWN_MAX];
};

static void show(struct shown *sh, const struct vcg_token_info *s)
{
	vcg_spec_printable(sh->slot, sizeof(sh->slot), s->slot, 64);
	vcg_spec_printable(sh->token, sizeof(sh->token), s->token, 32);
	vcg_spec_printable(sh->module, sizeof(sh->module), s->module, 64);
	vcg_spec_printable(sh->library, sizeof(sh->library), s->library, 96);
}

static void choose(struct vcg_token_verdict *v, const struct vcg_token_info *s)
{
	snprintf(v->reader, sizeof(v->reader), "%s", s->slot);
}

/* Why this slot is not mirrored, for a slot that is not eligible. */
static void not_eligible(struct vcg_token_verdict *v,
			 const struct vcg_token_info *s, const char *db)
{
	struct shown sh;

	show(&sh, s);
	if (!s->removable)
		say(v, LOG_WARNING,
		    "token '%s' (slot '%s', module '%s' in %s) is not in a removable slot, and libcacard mirrors only removable ones: the reader stays empty (make the slot removable: for SoftHSM2 set slots.removable = true in softhsm2.conf)",
		    sh.token, sh.slot, sh.module, db);
	else
		say(v, LOG_WARNING,
		    "token '%s' (slot '%s', module '%s' in %s) is not a hardware slot, and use_hw=yes (libcacard's default) mirrors only hardware ones: the reader stays empty (add use_hw=removable to the card SPEC)",
		    sh.token, sh.slot, sh.module, db);
}

void vcg_token_verdict(const struct vcg_token_info *slots, size_t n,
		       size_t modules, bool any_removable, const char *db,
		       struct vcg_token_verdict *v)
{
	const struct vcg_token_info *unloaded = NULL;
	struct shown sh;

	memset(v, 0, sizeof(*v));
	/* The best first: an eligible token with certificates. */
	for (size_t i = 0; i < n; i++) {
		const struct vcg_token_info *s = &slots[i];

		if (!s->loaded && unloaded == NULL)
			unloaded = s;
		if (!eligible(s, any_removable) || !has_certs(s))
			continue;
		choose(v, s);
		show(&sh, s);
		if (s->keys == 0)
			say(v, LOG_WARNING,
			    "mirroring token '%s' (slot '%s', module '%s'): its %d certificate%s no private key, so the PC can list but not sign or decrypt (import each certificate with its key: pk12util -d %s -h '%s' -i FILE.p12)",
			    sh.token, sh.slot, sh.module, s->certs,
			    s->certs == 1 ? " has" : "s have", db, sh.token);
		else
			say(v, LOG_NOTICE,
			    "mirroring token '%s' (slot '%s', module '%s'): %d certificate%s, %s",
			    sh.token, sh.slot, sh.module, s->certs,
			    s->certs == 1 ? "" : "s",
			    s->keys < 0 ? "keys behind the PIN" : "keys without a PIN");
		return;
	}
	if (modules == 0) {
		say(v, LOG_WARNING,
		    "NSS db %s registers no PKCS#11 module, so backend=nss-emulated has no token to mirror: the reader stays empty (register the reader's or token's module: modutil -dbdir %s -add NAME -libfile MODULE.so)",
		    db, db);
		return;
	}
	if (unloaded != NULL) {
		show(&sh, unloaded);
		say(v, LOG_WARNING,
		    "PKCS#11 module '%s' registered in %s did not load from '%s': the reader stays empty (install its package, or fix the path: modutil -dbdir %s -delete '%s', then -add it with the right -libfile)",
		    sh.module, db, sh.library, db, sh.module);
		return;
	}
	/* A token with certificates the options do not reach says why. */
	for (size_t i = 0; i < n; i++)
		if (has_certs(&slots[i])) {
			not_eligible(v, &slots[i], db);
			return;
		}
	for (size_t i = 0; i < n; i++) {
		const struct vcg_token_info *s = &slots[i];

		if (!eligible(s, any_removable) || !s->present ||
		    !s->initialized)
			continue;
		choose(v, s);
		show(&sh, s);
		say(v, LOG_WARNING,
		    "token '%s' (slot '%s', module '%s') holds no certificate, and libcacard builds the card from a token's certificates: the reader stays empty (import certificates with their keys: pk12util -d %s -h '%s' -i FILE.p12)",
		    sh.token, sh.slot, sh.module, db, sh.token);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vcg_token_info *s = &slots[i];

		if (!eligible(s, any_removable) || s->present)
			continue;
		choose(v, s);
		show(&sh, s);
		say(v, LOG_NOTICE,
		    "no card or token in reader '%s' (module '%s') yet: the gadget's reader stays empty until one is inserted (a card put in, or a token initialised in that slot)",
		    sh.slot, sh.module);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!eligible(&slots[i], any_removable)) {
			not_eligible(v, &slots[i], db);
			return;
		}
	if (n > 0) {
		/* Eligible slots, all with uninitialised tokens. */
		show(&sh, &slots[0]);
		say(v, LOG_WARNING,
		    "the token in slot '%s' (module '%s') is not initialised: the reader stays empty (initialise it and import certificates with their keys)",
		    sh.slot, sh.module);
		return;
	}
	say(v, LOG_NOTICE,
	    "the PKCS#11 modules in %s show no reader yet: the gadget's reader stays empty until one is plugged in",
	    db);
}
