/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ATR of a card with the PIV card edge: libcacard's, plus T=1.
 *
 * libcacard's ATR (3B 7A 18 00 00 "sfte cd144") offers T=0 only, and
 * yubico-piv-tool and ykcs11 connect with SCARD_PROTOCOL_T1 alone
 * (lib/ykpiv.c: SCardConnect(..., SCARD_PROTOCOL_T1, ...)), which pcscd
 * refuses for a T=0-only card (SCARD_E_PROTO_MISMATCH). The reader
 * exchanges APDUs (CCID dwFeatures), so the card edge works the same
 * under either protocol; the ATR only has to offer both: TD1 = 80 (T=0,
 * TD2 follows), TD2 = 01 (T=1), then the historical bytes, then TCK
 * (ISO/IEC 7816-3 8.2.2 - 8.2.5: TCK is present when T=1 is offered).
 * As a side effect the ATR is no longer the one OpenSC's PIV driver
 * lists as a Giesecke & Devrient dual CAC/PIV card (which it assumes has
 * no random number generator).
 *
 * personality=cac keeps libcacard's ATR byte for byte. Pure. */
#ifndef VCG_PIV_ATR_H
#define VCG_PIV_ATR_H

#include <stddef.h>
#include <stdint.h>

/* in (len bytes, an ATR without TD1) -> out (cap bytes): the same ATR
 * offering T=0 and T=1. Returns its length, or 0 when in is not such an
 * ATR (bad TS, already has TD1, truncated, or out too small): then the
 * caller keeps in. */
size_t vcg_piv_atr_add_t1(const uint8_t *in, size_t len, uint8_t *out,
			  size_t cap);

#endif
