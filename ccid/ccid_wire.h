/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte-level helpers: the named offsets of the CCID message header
 * (Section 6.1 and 6.2), and the project's one set of explicit little- and
 * big-endian accessors, for every wire format in the tree (CCID, USB and
 * FunctionFS descriptors, usbmon headers, VSCard, ISO 7816 APDUs). Never
 * cast a struct onto a buffer; read and write fields through these.
 *
 * They do no bounds checks: the caller has checked that the 2, 4 or 8
 * bytes at p are inside its buffer. Header only and dependency free, so
 * every layer may include it (the engine includes nothing above it). */
#ifndef CCID_WIRE_H
#define CCID_WIRE_H

#include <stdint.h>

/* Common 10-byte header, Section 6.1 / 6.2 */
#define CCID_OFF_TYPE      0   /* bMessageType */
#define CCID_OFF_LENGTH    1   /* dwLength (LE32): bytes after the header */
#define CCID_OFF_SLOT      5   /* bSlot */
#define CCID_OFF_SEQ       6   /* bSeq */
#define CCID_OFF_SPECIFIC  7   /* 3 message-specific bytes */
#define CCID_OFF_DATA      10  /* abData */

/* PC_to_RDR message-specific bytes */
#define CCID_OFF_POWER_SELECT    7  /* IccPowerOn, 6.1.1 */
#define CCID_OFF_BWI             7  /* XfrBlock / Secure, 6.1.4 */
#define CCID_OFF_LEVEL_PARAM     8  /* XfrBlock wLevelParameter (LE16) */
#define CCID_OFF_PROTOCOL_NUM    7  /* SetParameters, 6.1.7 */
#define CCID_OFF_CLOCK_COMMAND   7  /* IccClock, 6.1.9 */

/* RDR_to_PC message-specific bytes */
#define CCID_OFF_STATUS          7  /* bStatus */
#define CCID_OFF_ERROR           8  /* bError */
#define CCID_OFF_B9              9  /* bChainParameter / bClockStatus /
				       bProtocolNum / bRFU */

static inline uint16_t ccid_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t ccid_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void ccid_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void ccid_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void ccid_put_le64(uint8_t *p, uint64_t v)
{
	ccid_put_le32(p, (uint32_t)v);
	ccid_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Big-endian (network order): VSCard headers, ISO 7816 Lc/Le and offsets. */
static inline uint16_t ccid_get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t ccid_get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void ccid_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ccid_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
