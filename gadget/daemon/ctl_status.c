/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ctl status` as text and as JSON: see ctl_status.h. */
#include "ctl_status.h"

void ctl_json_string(FILE *out, const char *s)
{
	const unsigned char *p;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static const char *yes(bool b)
{
	return b ? "true" : "false";
}

void ctl_status_text(const struct ctl_status *st, FILE *out)
{
	unsigned i;

	if (st->gadget)
		fprintf(out, "gadget: %s\n", st->gadget);
	if (st->udc)
		fprintf(out, "udc: %s, state %s\n", st->udc,
			st->udc_state ? st->udc_state : "unknown");
	else
		fprintf(out, "udc: external (--ffs)\n");
	fprintf(out, "usb: %s%s%s%s%s, hosts served %llu\n",
		st->configured ? "enabled" :
		st->bound ? "bound, not configured" : "not bound",
		st->speed ? ", " : "", st->speed ? st->speed : "",
		st->speed ? " speed" : "",
		st->suspended ? ", suspended" : "",
		(unsigned long long)st->hosts_served);
	for (i = 0; i < st->nslots; i++) {
		const struct ctl_slot_status *s = &st->slots[i];

		fprintf(out, "slot %u: %s, card %s%s, apdus %llu, errors %llu\n",
			s->slot, s->card ? s->card : "none", s->icc,
			s->busy ? ", busy" : "",
			(unsigned long long)s->apdus,
			(unsigned long long)s->errors);
	}
}

/* One line, so `ctl status --json | jq` and line-based tools both work. */
void ctl_status_json(const struct ctl_status *st, FILE *out)
{
	unsigned i;

	fprintf(out, "{\"version\":%d,\"gadget\":", CTL_STATUS_JSON_VERSION);
	ctl_json_string(out, st->gadget);
	fputs(",\"udc\":", out);
	ctl_json_string(out, st->udc);
	fputs(",\"udc_state\":", out);
	ctl_json_string(out, st->udc_state);
	fprintf(out, ",\"usb\":{\"bound\":%s,\"configured\":%s,\"speed\":",
		yes(st->bound), yes(st->configured));
	ctl_json_string(out, st->speed);
	fprintf(out, ",\"suspended\":%s,\"hosts_served\":%llu},\"slots\":[",
		yes(st->suspended), (unsigned long long)st->hosts_served);
	for (i = 0; i < st->nslots; i++) {
		const struct ctl_slot_status *s = &st->slots[i];

		fprintf(out, "%s{\"slot\":%u,\"card\":", i ? "," : "", s->slot);
		ctl_json_string(out, s->card);
		fputs(",\"icc\":", out);
		ctl_json_string(out, s->icc);
		fprintf(out, ",\"busy\":%s,\"apdus\":%llu,\"errors\":%llu}",
			yes(s->busy), (unsigned long long)s->apdus,
			(unsigned long long)s->errors);
	}
	fputs("]}\n", out);
}
