/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Card SPEC parser: QEMU's property syntax, "driver,key=value,key=value".
 *
 * Rules (those of QEMU's option parser, qemu_opts_parse()):
 *  - elements are separated by ','; ",," inside an element is one literal
 *    ',' (so a value or the driver may contain commas);
 *  - the first element is the driver unless it contains '=' ("driver=X"
 *    is accepted too, anywhere);
 *  - "key=value" sets a property; a bare "key" is a flag, value "on";
 *  - the value is everything after the first '=' (it may contain '=').
 * Stricter than QEMU: each key at most once, keys are [A-Za-z0-9_-],
 * no empty element (a stray ','), no control characters, at most
 * VCG_SPEC_MAX_LEN bytes and VCG_SPEC_MAX_PROPS properties. Empty values
 * are kept; each backend decides where one is meaningful.
 *
 * The input is untrusted (command line, control socket): every path is
 * bounded and nothing allocates; the struct holds all storage.
 *
 * Errors are one line, "card spec 'SPEC': what is wrong (how to fix)",
 * with SPEC shown printable and shortened. */
#ifndef VCG_SPEC_H
#define VCG_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#define VCG_SPEC_MAX_LEN 1024    /* bytes of spec text, NUL excluded */
#define VCG_SPEC_MAX_PROPS 16
#define VCG_SPEC_SHOWN_MAX 80    /* spec bytes quoted in an error */

struct vcg_spec_prop {
	const char *key;    /* NUL-terminated, in spec->store */
	const char *value;  /* unescaped, NUL-terminated; "on" for a flag */
	bool bare;          /* given as "key" without '=' */
	bool known;         /* matched by vcg_spec_check_keys() */
};

struct vcg_spec {
	const char *driver;   /* in store; never NULL after a successful parse */
	size_t nprops;
	struct vcg_spec_prop props[VCG_SPEC_MAX_PROPS];
	/* The spec as quoted in errors: printable ASCII, '\xNN' escapes,
	 * "..." when shortened. Valid even after a failed parse. */
	char shown[VCG_SPEC_SHOWN_MAX * 4 + 8];
	/* Unescaped keys, values and driver, each NUL-terminated. */
	char store[VCG_SPEC_MAX_LEN + 2 * VCG_SPEC_MAX_PROPS + 8];
};

/* Parse `text` (NUL-terminated, owned by the caller, not kept) into `s`
 * (owned by the caller; no heap memory, nothing to free). Returns 0 or
 * -EINVAL with one line in err (errlen bytes, always NUL-terminated when
 * errlen > 0; err may be NULL). */
int vcg_spec_parse(struct vcg_spec *s, const char *text, char *err,
		   size_t errlen);

/* Refuse properties not in `keys` (NULL-terminated list of names; the
 * driver is always allowed): "unknown property 'x' for DRIVER (known:
 * a, b)". Returns 0 or -EINVAL. */
int vcg_spec_check_keys(struct vcg_spec *s, const char *const *keys,
			char *err, size_t errlen);

/* The property `key`, or NULL if it was not given. Points into s. */
const struct vcg_spec_prop *vcg_spec_find(const struct vcg_spec *s,
					  const char *key);

/* Typed getters. Each leaves *out untouched when the key is absent
 * (so the caller presets the default) and returns 0, or -EINVAL with an
 * error line naming the key and the accepted form.
 *
 * vcg_spec_get_string: the value, which must be non-empty unless
 *   allow_empty; a bare flag is refused ("key needs a value").
 * vcg_spec_get_uint: decimal digits only, min..max inclusive.
 * vcg_spec_get_bool: bare flag = true; on/off yes/no true/false 1/0. */
int vcg_spec_get_string(const struct vcg_spec *s, const char *key,
			bool allow_empty, const char **out, char *err,
			size_t errlen);
int vcg_spec_get_uint(const struct vcg_spec *s, const char *key,
		      unsigned long min, unsigned long max,
		      unsigned long *out, char *err, size_t errlen);
int vcg_spec_get_bool(const struct vcg_spec *s, const char *key, bool *out,
		      char *err, size_t errlen);

/* Write "card spec 'SHOWN': " + the formatted message into err; returns
 * -EINVAL so callers can `return vcg_spec_fail(...)`. */
int vcg_spec_fail(const struct vcg_spec *s, char *err, size_t errlen,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Copy `in` into out (outlen bytes) as printable ASCII: bytes outside
 * 0x20..0x7e and '\'' become \xNN; at most `max` input bytes, then "...".
 * Used for spec values echoed in errors. */
void vcg_spec_printable(char *out, size_t outlen, const char *in,
			size_t max);

#endif
