/* A bounded little-endian byte writer for building descriptor blobs.
 *
 * Writes past `cap` are dropped and set `overflow`; the caller checks it
 * once at the end. The buffer is owned by the caller. */
#ifndef FFS_BYTES_H
#define FFS_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ffs_bw {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

static inline void ffs_bw_init(struct ffs_bw *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

static inline void ffs_bw_bytes(struct ffs_bw *w, const void *p, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void ffs_bw_u8(struct ffs_bw *w, uint8_t v)
{
	ffs_bw_bytes(w, &v, 1);
}

static inline void ffs_bw_le16(struct ffs_bw *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	ffs_bw_bytes(w, b, sizeof(b));
}

static inline void ffs_bw_le32(struct ffs_bw *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	ffs_bw_bytes(w, b, sizeof(b));
}

/* Overwrite 4 bytes at `off` (already written), for a length filled in
 * at the end. */
static inline void ffs_bw_patch_le32(struct ffs_bw *w, size_t off, uint32_t v)
{
	if (w->overflow || off + 4 > w->len)
		return;
	w->buf[off] = (uint8_t)v;
	w->buf[off + 1] = (uint8_t)(v >> 8);
	w->buf[off + 2] = (uint8_t)(v >> 16);
	w->buf[off + 3] = (uint8_t)(v >> 24);
}

static inline uint16_t ffs_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t ffs_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

#endif
