/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ctl status` as text and as JSON (ctl_status.h): the exact text, the
 * documented JSON field names with their types, string escaping. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_status.h"
#include "tap.h"

static char *render(const struct ctl_status *st, bool json)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (json)
		ctl_status_json(st, out);
	else
		ctl_status_text(st, out);
	fclose(out);
	return buf;
}

/* st rendered (as JSON or as text) is exactly want. */
static bool renders_as(const struct ctl_status *st, bool json,
		       const char *want)
{
	char *got = render(st, json);
	bool same = got != NULL && strcmp(got, want) == 0;

	if (!same)
		fprintf(stderr, "  got:  %s\n  want: %s\n", got ? got : "(null)",
			want);
	free(got);
	return same;
}

static const struct ctl_status two_slots = {
	.gadget = "r1", .udc = "dummy_udc.1", .udc_state = "configured",
	.bound = true, .configured = true, .speed = "high",
	.hosts_served = 2, .nslots = 2,
	.slots = {
		{ .slot = 0, .card = "test", .icc = "powered", .apdus = 7 },
		{ .slot = 1, .card = NULL, .icc = "absent", .busy = true,
		  .errors = 3 },
	},
};

static void text(void)
{
	CHECK(renders_as(&two_slots, false,
		"gadget: r1\n"
		"udc: dummy_udc.1, state configured\n"
		"usb: enabled, high speed, hosts served 2\n"
		"slot 0: test, card powered, apdus 7, errors 0\n"
		"slot 1: none, card absent, busy, apdus 0, errors 3\n"));
}

/* The field names ccid-gadget(8) documents under STATUS AS JSON. */
static void json(void)
{
	CHECK(renders_as(&two_slots, true,
		"{\"version\":1,\"gadget\":\"r1\",\"udc\":\"dummy_udc.1\","
		"\"udc_state\":\"configured\",\"usb\":{\"bound\":true,"
		"\"configured\":true,\"speed\":\"high\",\"suspended\":false,"
		"\"hosts_served\":2},\"slots\":[{\"slot\":0,\"card\":\"test\","
		"\"icc\":\"powered\",\"busy\":false,\"apdus\":7,\"errors\":0},"
		"{\"slot\":1,\"card\":null,\"icc\":\"absent\",\"busy\":true,"
		"\"apdus\":0,\"errors\":3}]}\n"));
}

/* --ffs: no gadget, no UDC, nothing configured yet: nulls, not "". */
static void external_udc(void)
{
	const struct ctl_status st = { .nslots = 0 };

	CHECK(renders_as(&st, true,
		"{\"version\":1,\"gadget\":null,\"udc\":null,\"udc_state\":null,"
		"\"usb\":{\"bound\":false,\"configured\":false,\"speed\":null,"
		"\"suspended\":false,\"hosts_served\":0},\"slots\":[]}\n"));
	CHECK(renders_as(&st, false, "udc: external (--ffs)\n"
				     "usb: not bound, hosts served 0\n"));
}

/* A card description comes from a SPEC (a path, a passthru peer): JSON
 * escapes what RFC 8259 section 7 requires. */
static void escaping(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	ctl_json_string(out, "a\"b\\c\nd\te\x01\x7f\xc3\xa9");
	fputc(' ', out);
	ctl_json_string(out, NULL);
	fclose(out);
	CHECK(buf && !strcmp(buf,
		"\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f\xc3\xa9\" null"));
	free(buf);
}

int main(void)
{
	RUN(text);
	RUN(json);
	RUN(external_udc);
	RUN(escaping);
	TAP_EXIT();
}
