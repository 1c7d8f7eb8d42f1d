/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The card's personality: which of libcacard's CAC card and our PIV
 * application (vcg_piv_applet.h) answers an APDU. A router in front of
 * vreader_xfr_bytes(), not applets added to libcacard's VCard: the
 * VCard is not reachable from a VReader through libcacard's public
 * headers (vreader.h has no accessor), and a router keeps libcacard's
 * CAC untouched, so `personality=cac` is byte-for-byte today's card.
 *
 * Per logical channel (ISO 7816-4 5.1.1: channel 0..3 in CLA b2 b1 of
 * the first interindustry class, 4..19 in b4..b1 of the further ones)
 * the router remembers whether PIV is the selected application:
 *  - cac+piv: SELECT (by DF name) of the PIV AID goes to PIV, which then
 *    gets every command on that channel until a SELECT libcacard
 *    answers with success (a failed SELECT leaves PIV selected, ISO
 *    7816-4 7.1.1). Anything else goes to libcacard.
 *  - piv: every APDU goes to PIV (other applications: 6A82).
 *  - cac: libcacard alone.
 * On every personality and channel not in PIV:
 *  - GET CHALLENGE (00 84 00 00 Le) answers NSS randomness (libcacard's
 *    CAC has no GET CHALLENGE, and OpenSC's self-test asks for it);
 *  - SELECT of the Windows smart card Plug and Play AID (A0 00 00 03 97
 *    43 49 44 5F 01 00) or the Microsoft GIDS AID (A0 00 00 03 97 42 54
 *    46 59, any version) answers 6A82 at once, and GET DATA (00 CA) of
 *    Windows' 7F68 card identifier 6A88: the card has neither, so
 *    Windows' discovery goes on to the PIV AID (Microsoft, "Smart card
 *    minidriver: Discovery Process", the SC PNP AID, MS GIDS AID and
 *    the GET DATA 0x7F68 step; "Windows Inbox Smart Card Minidriver").
 *    Only for cac+piv and piv; cac keeps libcacard's answers;
 *  - VERIFY for libcacard's CAC (INS 20, P1 P2 00 00) is first counted
 *    by the applet against PIV's PIN counter
 *    (vcg_piv_applet_cac_verify): a wrong PIN answers 63Cx, a blocked
 *    PIN 6983, and neither reaches libcacard (which would try the PIN on
 *    NSS with no counter of its own); a right one goes on to libcacard.
 *    On cac and cac+piv alike: personality=cac keeps an applet for this
 *    alone and never routes anything else to it.
 *
 * Owns the applet. One instance per card, used by the card's worker
 * thread only. */
#ifndef VCG_PIV_ROUTER_H
#define VCG_PIV_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "vcg_piv_applet.h"

enum vcg_piv_personality {
	VCG_PIV_CAC_PIV,      /* default */
	VCG_PIV_CAC,
	VCG_PIV_PIV,
};

struct vcg_piv_router;

/* applet: owned (freed with the router, also on failure); may be NULL
 * for personality cac (then CAC's VERIFY is not counted). random: the
 * GET CHALLENGE source (with ctx). NULL when out of memory. */
struct vcg_piv_router *vcg_piv_router_new(enum vcg_piv_personality p,
					  struct vcg_piv_applet *applet,
					  int (*random)(void *ctx, uint8_t *out,
							size_t n),
					  void *random_ctx);
void vcg_piv_router_free(struct vcg_piv_router *r);

/* Card reset: no channel has PIV selected; the applet resets. */
void vcg_piv_router_reset(struct vcg_piv_router *r);

/* If the router (or PIV) answers `apdu`, write the answer (data + SW)
 * into out (cap >= 258 bytes) and return its length; 0: pass it to
 * libcacard. r may be NULL (everything to libcacard). */
size_t vcg_piv_router_answer(struct vcg_piv_router *r, const uint8_t *apdu,
			     size_t len, uint8_t *out, size_t cap);

/* libcacard answered `apdu` with resp: a successful SELECT moves the
 * channel off PIV. r may be NULL. */
void vcg_piv_router_observe(struct vcg_piv_router *r, const uint8_t *apdu,
			    size_t len, const uint8_t *resp, size_t resp_len);

/* The router's personality (VCG_PIV_CAC for NULL). */
enum vcg_piv_personality vcg_piv_router_personality(const struct vcg_piv_router *r);

/* Parse a personality name; 0 or -1. */
int vcg_piv_personality_parse(const char *s, enum vcg_piv_personality *p);

#endif
