/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIV card's persistent state: see vcg_piv_state.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vcg_piv_state.h"

void vcg_piv_state_defaults(struct vcg_piv_state *st)
{
	memset(st, 0, sizeof(*st));
	st->pin_tries = VCG_PIV_TRIES;
	st->puk_tries = VCG_PIV_TRIES;
	memcpy(st->pin, "123456", 6);
	st->pin_len = 6;
	memcpy(st->puk, "12345678", 8);
	st->puk_len = 8;
	st->mgm_alg = 0x03;
	for (size_t i = 0; i < 24; i++)
		st->mgm_key[i] = (uint8_t)(i % 8 + 1);   /* 0102..08 x3 */
	st->mgm_key_len = 24;
	st->mgm_tries = VCG_PIV_MGM_TRIES;
}

/* Key length of a management key algorithm, 0 if unknown. */
size_t vcg_piv_mgm_key_len(uint8_t alg)
{
	switch (alg) {
	case 0x03:
		return 24;
	case 0x08:
		return 16;
	case 0x0A:
		return 24;
	case 0x0C:
		return 32;
	default:
		return 0;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex of 1..8 bytes, none FF (the padding byte). */
static int parse_secret(const char *v, size_t n, uint8_t *out, size_t *len)
{
	uint8_t tmp[VCG_PIV_SECRET_MAX];

	if (n == 0 || n % 2 != 0 || n / 2 > VCG_PIV_SECRET_MAX)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

		if (hi < 0 || lo < 0 || (hi << 4 | lo) == 0xFF)
			return -1;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, tmp, n / 2);
	*len = n / 2;
	return 0;
}

/* "ALG:HEX": the algorithm (2 hex digits), the key of its length. */
static int parse_mgm_key(struct vcg_piv_state *st, const char *v, size_t n)
{
	uint8_t key[VCG_PIV_MGM_KEY_MAX];
	size_t klen;
	int hi, lo;

	if (n < 3 || v[2] != ':' || (hi = hexval(v[0])) < 0 ||
	    (lo = hexval(v[1])) < 0)
		return -1;
	klen = vcg_piv_mgm_key_len((uint8_t)(hi << 4 | lo));
	if (klen == 0 || n - 3 != 2 * klen)
		return -1;
	for (size_t i = 0; i < klen; i++) {
		int a = hexval(v[3 + 2 * i]), b = hexval(v[4 + 2 * i]);

		if (a < 0 || b < 0)
			return -1;
		key[i] = (uint8_t)(a << 4 | b);
	}
	st->mgm_alg = (uint8_t)(hi << 4 | lo);
	memcpy(st->mgm_key, key, klen);
	st->mgm_key_len = klen;
	return 0;
}

static int parse_guid(struct vcg_piv_state *st, const char *v, size_t n)
{
	uint8_t g[16];

	if (n != 32)
		return -1;
	for (size_t i = 0; i < 16; i++) {
		int a = hexval(v[2 * i]), b = hexval(v[2 * i + 1]);

		if (a < 0 || b < 0)
			return -1;
		g[i] = (uint8_t)(a << 4 | b);
	}
	memcpy(st->guid, g, 16);
	st->has_guid = true;
	return 0;
}

static int parse_tries(const char *v, size_t n, unsigned *out, unsigned max)
{
	if (n != 1 || v[0] < '0' || v[0] > (char)('0' + max))
		return -1;
	*out = (unsigned)(v[0] - '0');
	return 0;
}

int vcg_piv_state_parse(struct vcg_piv_state *st, const char *text,
			size_t len)
{
	size_t i = 0;
	int bad = 0;

	while (i < len) {
		const char *line = text + i, *eq, *nl;
		size_t n, klen, vlen;
		int rc = 0;

		nl = memchr(line, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - line) : len - i;
		i += n + (nl != NULL ? 1 : 0);
		if (n == 0 || line[0] == '#')
			continue;
		eq = memchr(line, '=', n);
		if (eq == NULL) {
			bad++;
			continue;
		}
		klen = (size_t)(eq - line);
		vlen = n - klen - 1;
		if (klen == 9 && memcmp(line, "pin-tries", 9) == 0)
			rc = parse_tries(eq + 1, vlen, &st->pin_tries,
					 VCG_PIV_TRIES);
		else if (klen == 9 && memcmp(line, "puk-tries", 9) == 0)
			rc = parse_tries(eq + 1, vlen, &st->puk_tries,
					 VCG_PIV_TRIES);
		else if (klen == 9 && memcmp(line, "mgm-tries", 9) == 0)
			rc = parse_tries(eq + 1, vlen, &st->mgm_tries,
					 VCG_PIV_MGM_TRIES);
		else if (klen == 7 && memcmp(line, "mgm-key", 7) == 0)
			rc = parse_mgm_key(st, eq + 1, vlen);
		else if (klen == 4 && memcmp(line, "guid", 4) == 0)
			rc = parse_guid(st, eq + 1, vlen);
		else if (klen == 3 && memcmp(line, "pin", 3) == 0)
			rc = parse_secret(eq + 1, vlen, st->pin, &st->pin_len);
		else if (klen == 3 && memcmp(line, "puk", 3) == 0)
			rc = parse_secret(eq + 1, vlen, st->puk, &st->puk_len);
		if (rc < 0)
			bad++;
	}
	return bad;
}

int vcg_piv_state_load(struct vcg_piv_state *st, const char *dir,
		       const char *id, char *why, size_t whylen)
{
	char text[1024];
	size_t n;
	FILE *f;
	int bad;

	vcg_piv_state_defaults(st);
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/piv-%s.state",
			     dir, id) >= sizeof(st->path)) {
		st->path[0] = '\0';
		snprintf(why, whylen, "state-dir path too long; PIV retry counters kept in memory only");
		return -ENAMETOOLONG;
	}
	f = fopen(st->path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "cannot read %s: %s", st->path,
			 strerror(errno));
		return -errno;
	}
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	bad = vcg_piv_state_parse(st, text, n);
	if (bad > 0 || n == sizeof(text)) {
		snprintf(why, whylen, "%s: %d malformed line(s) ignored", st->path,
			 bad);
		return -EINVAL;
	}
	return 0;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* path <- data atomically: path.tmp (0600), fsync, rename. 0 or -errno
 * with one line in why. */
static int write_atomic(const char *path, const void *data, size_t len,
			char *why, size_t whylen)
{
	char tmp[700];
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(why, whylen, "path too long: %s", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		goto fail;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		err = errno != 0 ? errno : EIO;
		close(fd);
		unlink(tmp);
		errno = err;
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		err = errno;
		unlink(tmp);
		errno = err;
		goto fail;
	}
	return 0;
fail:
	err = errno;
	snprintf(why, whylen, "cannot write %s: %s", path, strerror(err));
	return -err;
}

int vcg_piv_state_save(const struct vcg_piv_state *st, char *why,
		       size_t whylen)
{
	char text[400], pin[20], puk[20];
	char mgm[2 * VCG_PIV_MGM_KEY_MAX + 1], guid[40] = "";
	int n;

	if (st->path[0] == '\0')
		return 0;
	hex(pin, st->pin, st->pin_len);
	hex(puk, st->puk, st->puk_len);
	hex(mgm, st->mgm_key, st->mgm_key_len);
	if (st->has_guid) {
		memcpy(guid, "guid=", 5);
		hex(guid + 5, st->guid, 16);
		guid[37] = '\n';
		guid[38] = '\0';
	}
	n = snprintf(text, sizeof(text),
		     "# ccid-gadget PIV card state (vcg_piv_state.h)\npin-tries=%u\npuk-tries=%u\npin=%s\npuk=%s\nmgm-tries=%u\nmgm-key=%02x:%s\n%s",
		     st->pin_tries, st->puk_tries, pin, puk, st->mgm_tries,
		     st->mgm_alg, mgm, guid);
	return write_atomic(st->path, text, (size_t)n, why, whylen);
}

/* STATE_DIR/piv-ID.state -> STATE_DIR/piv-ID.TAG (hex). */
static int object_path(const struct vcg_piv_state *st, uint32_t tag,
		       char *out, size_t cap)
{
	size_t n = strlen(st->path);

	if (n < 6 || strcmp(st->path + n - 6, ".state") != 0 ||
	    (size_t)snprintf(out, cap, "%.*s.%06x", (int)(n - 6), st->path,
			     (unsigned)tag) >= cap)
		return -1;
	return 0;
}

int vcg_piv_state_save_object(const struct vcg_piv_state *st, uint32_t tag,
			      const uint8_t *data, size_t len, char *why,
			      size_t whylen)
{
	char path[sizeof(st->path) + 16];

	if (st->path[0] == '\0')
		return 0;
	if (object_path(st, tag, path, sizeof(path)) < 0) {
		snprintf(why, whylen, "no object path for %06x", (unsigned)tag);
		return -EINVAL;
	}
	return write_atomic(path, data, len, why, whylen);
}

uint8_t *vcg_piv_state_load_object(const struct vcg_piv_state *st,
				   uint32_t tag, size_t max, size_t *len)
{
	char path[sizeof(st->path) + 16];
	uint8_t *buf;
	size_t n;
	FILE *f;

	if (st->path[0] == '\0' || object_path(st, tag, path, sizeof(path)) < 0)
		return NULL;
	f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	buf = malloc(max + 1);
	n = buf != NULL ? fread(buf, 1, max + 1, f) : 0;
	fclose(f);
	if (buf == NULL || n == 0 || n > max) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
