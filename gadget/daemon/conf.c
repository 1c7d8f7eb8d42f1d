/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration file: see conf.h. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gadget_conf_load(const char *path, char **text, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	*text = NULL;
	if (!f) {
		int e = errno;

		snprintf(err, errlen, "--config '%s': %s (give the path of a "
			 "readable file, e.g. /etc/ccid-gadget.conf)", path,
			 strerror(e));
		return -e;
	}
	buf = malloc(GADGET_CONF_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "--config: out of memory");
		return -ENOMEM;
	}
	n = fread(buf, 1, GADGET_CONF_MAX_BYTES + 1, f);
	if (ferror(f) || n > GADGET_CONF_MAX_BYTES) {
		snprintf(err, errlen, "--config '%s': %s", path, ferror(f) ?
			 "read error" : "larger than 64 KiB; is it the right "
			 "file?");
		fclose(f);
		free(buf);
		return -EINVAL;
	}
	fclose(f);
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		snprintf(err, errlen, "--config '%s': contains a NUL byte; "
			 "give a text file", path);
		free(buf);
		return -EINVAL;
	}
	*text = buf;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* `value  # comment`: a '#' that starts the value or follows a space or
 * tab starts a comment (one inside a word, as in unix:/run/a#b, is part
 * of the value). */
static void cut_comment(char *v)
{
	char *p;

	for (p = v; *p; p++)
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			trim(v);
			return;
		}
}

/* One non-empty line: "key = value", maybe with a comment after. */
static int parse_line(char *line, char **key, char **value, const char **why)
{
	char *eq = strchr(line, '='), *k, *v, *p;

	if (!eq) {
		*why = "expected 'key = value' (keys are the long options "
		       "without --, e.g. card = test)";
		return -EINVAL;
	}
	*eq = '\0';
	k = trim(line);
	v = trim(eq + 1);
	if (!*k) {
		*why = "no key before '='";
		return -EINVAL;
	}
	for (p = k; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-') {
			*why = "a key is letters, digits and '-' (e.g. "
			       "max-message)";
			return -EINVAL;
		}
	if (v[0] == '"') {
		/* The closing quote: the first one followed by nothing or
		 * a comment (quotes inside the value stay). */
		for (p = strchr(v + 1, '"'); p; p = strchr(p + 1, '"')) {
			const char *rest = p + 1 + strspn(p + 1, " \t");

			if (!*rest || *rest == '#')
				break;
		}
		if (!p) {
			*why = "a quoted value needs its closing '\"' (only "
			       "a '#' comment may follow it)";
			return -EINVAL;
		}
		*p = '\0';
		v++;
	} else {
		cut_comment(v);
	}
	*key = k;
	*value = v;
	return 0;
}

int gadget_conf_parse(char *text, const char *path, gadget_conf_fn fn,
		      void *ctx, char *err, size_t errlen)
{
	char why_buf[512];
	char *line = text, *next, *key, *value, *s;
	const char *why;
	unsigned lineno = 0;
	int ret;

	for (; line && *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (parse_line(s, &key, &value, &why) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			return -EINVAL;
		}
		why_buf[0] = '\0';
		ret = fn(ctx, key, value, why_buf, sizeof(why_buf));
		if (ret < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno,
				 why_buf);
			return ret;
		}
	}
	return 0;
}
