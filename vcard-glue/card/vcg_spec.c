/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Card SPEC parser: see vcg_spec.h for the syntax. */
#include "vcg_spec.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void vcg_spec_printable(char *out, size_t outlen, const char *in,
			size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	size_t i;

	if (outlen == 0)
		return;
	for (i = 0; in[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)in[i];
		bool plain = c >= 0x20 && c <= 0x7e && c != '\'' && c != '\\';
		size_t need = plain ? 1 : 4;

		if (o + need + 1 > outlen)
			break;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (in[i] != '\0' && o + 4 <= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int vfail(const struct vcg_spec *s, char *err, size_t errlen,
		 const char *fmt, va_list ap)
{
	int n;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	n = snprintf(err, errlen, "card spec '%s': ", s->shown);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

int vcg_spec_fail(const struct vcg_spec *s, char *err, size_t errlen,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(s, err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool is_name(const char *p)
{
	if (*p == '\0')
		return false;
	for (; *p; p++)
		if (!is_name_char(*p))
			return false;
	return true;
}

/* Parse state: `in` walks the text, `out` fills s->store. */
struct cursor {
	const char *in;
	char *out;
	char *end;    /* one past the last usable byte of store */
};

/* Copy one element's piece, unescaping ",,", up to an unescaped ',' or
 * the end; with stop_at_eq also up to the first '='. Returns the start of
 * the NUL-terminated copy, or NULL when store is full (cannot happen for
 * input within VCG_SPEC_MAX_LEN; checked anyway). */
static char *take(struct cursor *c, bool stop_at_eq)
{
	char *start = c->out;

	for (;;) {
		char ch = *c->in;

		if (ch == '\0')
			break;
		if (ch == ',') {
			if (c->in[1] != ',')
				break;
			c->in++;   /* ",," -> ',' */
		} else if (ch == '=' && stop_at_eq) {
			break;
		}
		if (c->out + 1 >= c->end)
			return NULL;
		*c->out++ = ch;
		c->in++;
	}
	if (c->out >= c->end)
		return NULL;
	*c->out++ = '\0';
	return start;
}

static int check_chars(struct vcg_spec *s, const char *text, char *err,
		       size_t errlen)
{
	size_t len = strnlen(text, VCG_SPEC_MAX_LEN + 1);
	size_t i;

	if (len > VCG_SPEC_MAX_LEN)
		return vcg_spec_fail(s, err, errlen,
				     "longer than %d bytes (shorten it)",
				     VCG_SPEC_MAX_LEN);
	if (len == 0)
		return vcg_spec_fail(s, err, errlen,
				     "empty (use test, or emulated,backend=...)");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c == 0x7f)
			return vcg_spec_fail(s, err, errlen,
					     "control character 0x%02x at offset %zu (remove it)",
					     c, i);
	}
	return 0;
}

static struct vcg_spec_prop *find_mut(struct vcg_spec *s, const char *key)
{
	for (size_t i = 0; i < s->nprops; i++)
		if (strcmp(s->props[i].key, key) == 0)
			return &s->props[i];
	return NULL;
}

static int add_driver(struct vcg_spec *s, const char *name, char *err,
		      size_t errlen)
{
	char shown[VCG_SPEC_SHOWN_MAX];

	if (s->driver != NULL)
		return vcg_spec_fail(s, err, errlen,
				     "driver given twice (give it once, first)");
	if (!is_name(name)) {
		vcg_spec_printable(shown, sizeof(shown), name, 32);
		if (name[0] == '\0')
			return vcg_spec_fail(s, err, errlen,
					     "empty driver name (start with test, emulated or passthru)");
		return vcg_spec_fail(s, err, errlen,
				     "bad driver name '%s' (use test, emulated or passthru)",
				     shown);
	}
	s->driver = name;
	return 0;
}

static int add_prop(struct vcg_spec *s, const char *key, const char *value,
		    bool bare, char *err, size_t errlen)
{
	char shown[VCG_SPEC_SHOWN_MAX];
	struct vcg_spec_prop *p;

	if (key[0] == '\0')
		return vcg_spec_fail(s, err, errlen,
				     "property with no name before '=' (write key=value)");
	if (!is_name(key)) {
		vcg_spec_printable(shown, sizeof(shown), key, 32);
		return vcg_spec_fail(s, err, errlen,
				     "bad property name '%s' (names are letters, digits, '_' and '-'; write ',,' for a comma inside a value)",
				     shown);
	}
	if (find_mut(s, key) != NULL)
		return vcg_spec_fail(s, err, errlen,
				     "property '%s' given twice (give each property once)",
				     key);
	if (s->nprops >= VCG_SPEC_MAX_PROPS)
		return vcg_spec_fail(s, err, errlen,
				     "more than %d properties", VCG_SPEC_MAX_PROPS);
	p = &s->props[s->nprops++];
	p->key = key;
	p->value = value;
	p->bare = bare;
	p->known = false;
	return 0;
}

static int parse_element(struct vcg_spec *s, struct cursor *c, bool first,
			 char *err, size_t errlen)
{
	const char *name;
	const char *value;
	int rc;

	name = take(c, true);
	if (name == NULL)
		return vcg_spec_fail(s, err, errlen, "too long (shorten it)");
	if (*c->in != '=') {
		/* A bare element: the driver first, then flags. */
		if (name[0] == '\0')
			return vcg_spec_fail(s, err, errlen,
					     first ? "starts with ',' (start with the driver: test, emulated or passthru)"
						   : "empty property (remove the stray ',')");
		if (first)
			return add_driver(s, name, err, errlen);
		return add_prop(s, name, "on", true, err, errlen);
	}
	c->in++;   /* '=' */
	value = take(c, false);
	if (value == NULL)
		return vcg_spec_fail(s, err, errlen, "too long (shorten it)");
	if (strcmp(name, "driver") == 0)
		return add_driver(s, value, err, errlen);
	rc = add_prop(s, name, value, false, err, errlen);
	return rc;
}

int vcg_spec_parse(struct vcg_spec *s, const char *text, char *err,
		   size_t errlen)
{
	struct cursor c;
	bool first = true;
	int rc;

	memset(s, 0, sizeof(*s));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		text = "";
	vcg_spec_printable(s->shown, sizeof(s->shown), text,
			   VCG_SPEC_SHOWN_MAX);
	rc = check_chars(s, text, err, errlen);
	if (rc < 0)
		return rc;

	c.in = text;
	c.out = s->store;
	c.end = s->store + sizeof(s->store);
	for (;;) {
		rc = parse_element(s, &c, first, err, errlen);
		if (rc < 0)
			return rc;
		first = false;
		if (*c.in == '\0')
			break;
		c.in++;   /* the separating ',' */
		if (*c.in == '\0')
			return vcg_spec_fail(s, err, errlen,
					     "ends with ',' (remove the trailing ',')");
	}
	if (s->driver == NULL)
		return vcg_spec_fail(s, err, errlen,
				     "no driver (start with test, emulated or passthru)");
	return 0;
}

int vcg_spec_check_keys(struct vcg_spec *s, const char *const *keys,
			char *err, size_t errlen)
{
	for (size_t i = 0; i < s->nprops; i++) {
		struct vcg_spec_prop *p = &s->props[i];
		char known[256];
		size_t n = 0;

		for (size_t k = 0; keys[k] != NULL; k++)
			if (strcmp(keys[k], p->key) == 0)
				p->known = true;
		if (p->known)
			continue;
		known[0] = '\0';
		for (size_t k = 0; keys[k] != NULL && n < sizeof(known); k++) {
			int w = snprintf(known + n, sizeof(known) - n, "%s%s",
					 k ? ", " : "", keys[k]);
			if (w < 0)
				break;
			n += (size_t)w;
		}
		return vcg_spec_fail(s, err, errlen,
				     "unknown property '%s' for %s (known: %s)",
				     p->key, s->driver,
				     keys[0] != NULL ? known : "none");
	}
	return 0;
}

const struct vcg_spec_prop *vcg_spec_find(const struct vcg_spec *s,
					  const char *key)
{
	for (size_t i = 0; i < s->nprops; i++)
		if (strcmp(s->props[i].key, key) == 0)
			return &s->props[i];
	return NULL;
}

int vcg_spec_get_string(const struct vcg_spec *s, const char *key,
			bool allow_empty, const char **out, char *err,
			size_t errlen)
{
	const struct vcg_spec_prop *p = vcg_spec_find(s, key);

	if (p == NULL)
		return 0;
	if (p->bare)
		return vcg_spec_fail(s, err, errlen,
				     "'%s' needs a value (write %s=VALUE)", key,
				     key);
	if (p->value[0] == '\0' && !allow_empty)
		return vcg_spec_fail(s, err, errlen,
				     "'%s=' is empty (give a value or leave %s out)",
				     key, key);
	*out = p->value;
	return 0;
}

int vcg_spec_get_uint(const struct vcg_spec *s, const char *key,
		      unsigned long min, unsigned long max,
		      unsigned long *out, char *err, size_t errlen)
{
	const struct vcg_spec_prop *p = vcg_spec_find(s, key);
	char shown[VCG_SPEC_SHOWN_MAX];
	unsigned long v = 0;
	bool overflow = false;
	const char *d;

	if (p == NULL)
		return 0;
	if (p->bare || p->value[0] == '\0')
		return vcg_spec_fail(s, err, errlen,
				     "'%s' needs a number (write %s=N, N in %lu..%lu)",
				     key, key, min, max);
	for (d = p->value; *d; d++) {
		if (*d < '0' || *d > '9') {
			vcg_spec_printable(shown, sizeof(shown), p->value, 24);
			return vcg_spec_fail(s, err, errlen,
					     "%s='%s' is not a decimal number (use %lu..%lu)",
					     key, shown, min, max);
		}
		if (v > (ULONG_MAX - (unsigned long)(*d - '0')) / 10)
			overflow = true;
		else
			v = v * 10 + (unsigned long)(*d - '0');
	}
	if (overflow || v < min || v > max) {
		vcg_spec_printable(shown, sizeof(shown), p->value, 24);
		return vcg_spec_fail(s, err, errlen,
				     "%s=%s is out of range (use %lu..%lu)", key,
				     shown, min, max);
	}
	*out = v;
	return 0;
}

int vcg_spec_get_bool(const struct vcg_spec *s, const char *key, bool *out,
		      char *err, size_t errlen)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	const struct vcg_spec_prop *p = vcg_spec_find(s, key);
	char shown[VCG_SPEC_SHOWN_MAX];

	if (p == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(p->value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(p->value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	vcg_spec_printable(shown, sizeof(shown), p->value, 24);
	return vcg_spec_fail(s, err, errlen,
			     "%s='%s' is not a boolean (write %s, %s=on or %s=off)",
			     key, shown, key, key, key);
}
