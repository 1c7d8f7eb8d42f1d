/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CCID protocol engine: bytes in, bytes out, no I/O.
 *
 * USB CCID 1.1 (April 22 2005). The transport (gadget/, or a test) feeds
 * completed bulk-OUT transfers in, and drains bulk-IN and interrupt-IN
 * messages out of two queues; cards sit behind ccid_card_ops. Nothing here
 * blocks, sleeps, allocates per byte, or calls into the transport.
 *
 * Threading: none. Every function must be called from one thread (the
 * event loop); card completions too.
 *
 * Errors inside: 0 / -errno. CCID bError values appear only on the wire. */
#ifndef CCID_ENGINE_H
#define CCID_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid_card.h"

#define CCID_HEADER_LEN 10         /* Section 6.1: common 10-byte header */
#define CCID_CLASS_DESC_LEN 54     /* Section 5.1, Table 5.1-1 */
#define CCID_MAX_SLOTS 8           /* bMaxSlotIndex is at most 7 here */

/* What the reader advertises and buffers. ccid_reader_config_default()
 * fills sane values; the descriptor and the engine are both built from
 * the same struct, so they cannot disagree. */
struct ccid_reader_config {
	unsigned nslots;              /* 1..CCID_MAX_SLOTS; bMaxSlotIndex+1 */
	uint32_t max_msg_len;         /* dwMaxCCIDMessageLength, header included;
	                                 the engine buffers exactly this much */
	uint32_t default_clock_khz;   /* dwDefaultClock */
	uint32_t max_clock_khz;       /* dwMaximumClock */
	uint32_t default_data_rate;   /* dwDataRate, bps: f / 372 (Fd, Dd) */
	uint32_t max_data_rate;       /* dwMaxDataRate, bps: a listed rate */
	uint32_t max_ifsd;            /* dwMaxIFSD */
	uint8_t max_busy_slots;       /* bMaxCCIDBusySlots, 1..nslots */
};

void ccid_reader_config_default(struct ccid_reader_config *cfg);

/* At most this many data rates are listed: GET_DATA_RATES fits the
 * transport's 256-byte control reply. */
#define CCID_MAX_DATA_RATES 64

/* The clock frequencies (kHz) the reader lists: dwDefaultClock, then
 * dwMaximumClock if it differs. Returns the count (bNumClockSupported). */
size_t ccid_reader_clocks(const struct ccid_reader_config *cfg,
			  uint32_t out[2]);

/* The data rates (bps) the reader lists, ascending: every f x Di / Fi
 * (ISO/IEC 7816-3 Tables 7 and 8, rounded down) at a listed clock, from
 * dwDataRate to dwMaxDataRate. Fills at most `cap`; returns the count
 * (bNumDataRatesSupported; more than cap if it did not fit). */
size_t ccid_reader_data_rates(const struct ccid_reader_config *cfg,
			      uint32_t *out, size_t cap);

/* Check a config; returns 0 or -EINVAL and, if `why` is non-NULL, points
 * it at a static one-line explanation. */
int ccid_reader_config_check(const struct ccid_reader_config *cfg,
			     const char **why);

/* Write the 54-byte Smart Card Device Class descriptor (Table 5.1-1). */
void ccid_class_descriptor(const struct ccid_reader_config *cfg,
			   uint8_t out[CCID_CLASS_DESC_LEN]);

/* One message queued for an IN endpoint. Owned by the engine: valid until
 * the matching pop, so a transport may hand `data` straight to an async
 * write. */
struct ccid_msg {
	const uint8_t *data;
	size_t len;
	bool zlp;     /* bulk-IN only: len is a multiple of the IN packet size,
	                 follow it with a zero-length packet */
};

struct ccid_engine;

/* Returns NULL on a bad config or out of memory. The config is copied. */
struct ccid_engine *ccid_engine_new(const struct ccid_reader_config *cfg);
void ccid_engine_free(struct ccid_engine *eng);

/* Put a card in a slot (or remove it: ops == NULL). The engine does not
 * own ctx. Queues a NotifySlotChange if presence changed. */
int ccid_engine_attach_card(struct ccid_engine *eng, unsigned slot,
			    const struct ccid_card_ops *ops, void *ctx);

/* ---- card side ---- */

/* Completion of power_on (data = ATR) or transmit (data = response APDU).
 * err: 0, -ENOMEDIUM (card gone), -ETIMEDOUT (mute), other -errno (hardware
 * error). `data` is owned by the caller and copied. A stale tag is ignored. */
void ccid_engine_card_done(struct ccid_engine *eng, unsigned slot,
			   uint32_t tag, int err, const uint8_t *data,
			   size_t len);

/* The card's presence changed (inserted / removed). Removal cancels any
 * pending operation with a card-absent answer; either queues a
 * NotifySlotChange (Section 6.3.1). */
void ccid_engine_card_presence(struct ccid_engine *eng, unsigned slot,
			       bool present);

/* ---- USB side: bulk OUT ---- */

/* Packet sizes of the current connection (from the speed the host chose).
 * out_mps 0 = no short-packet detection (stream mode, for tests). */
void ccid_engine_set_packet_sizes(struct ccid_engine *eng, uint16_t out_mps,
				  uint16_t in_mps);

/* How many bytes the next bulk-OUT read should ask for: one packet at the
 * start of a message, then the rest of dwLength rounded up to the packet
 * size (never more, so a read cannot swallow the next message).
 * Always >= 1 and <= max(out_mps, max_msg_len rounded up to out_mps): a
 * read buffer of that size is enough. */
size_t ccid_engine_out_read_size(const struct ccid_engine *eng);

/* False while the bulk-IN backlog is full: do not arm another OUT read
 * until some IN message is popped (flow control by NAK). */
bool ccid_engine_out_ready(const struct ccid_engine *eng);

/* One completed bulk-OUT transfer. `buf` is owned by the caller. A transfer
 * shorter than a multiple of out_mps ends the message (short packet). */
void ccid_engine_bulk_out(struct ccid_engine *eng, const uint8_t *buf,
			  size_t len);

/* True when no message is partly read: the transfers fed so far ended at
 * a message boundary (dwLength is in, a short packet ended the transfer,
 * or a message too long to buffer has been dropped to its end). A
 * transport that records the host's transfers (--pcap) asks this after
 * each ccid_engine_bulk_out() to know that the host's transfer is over,
 * however many reads it took. */
bool ccid_engine_out_idle(const struct ccid_engine *eng);

/* ---- USB side: IN queues ---- */

const struct ccid_msg *ccid_engine_peek_bulk_in(const struct ccid_engine *eng);
void ccid_engine_pop_bulk_in(struct ccid_engine *eng);
/* How many messages wait for bulk-IN, the head included. */
unsigned ccid_engine_bulk_in_queued(const struct ccid_engine *eng);
const struct ccid_msg *ccid_engine_peek_intr_in(struct ccid_engine *eng);
void ccid_engine_pop_intr_in(struct ccid_engine *eng);

/* ---- USB side: control and lifecycle ---- */

/* ABORT class request (Section 5.3.1): wValue low byte = bSlot, high = bSeq.
 * Returns 0, or -EINVAL for a slot that does not exist (stall). It pairs
 * with the slot's PC_to_RDR_Abort; a half that waits longer than
 * CCID_ABORT_TIMEOUT_TICKS ends on its own (ccid_abort.c). */
int ccid_engine_abort_request(struct ccid_engine *eng, uint8_t slot,
			      uint8_t seq);

/* GET_CLOCK_FREQUENCIES / GET_DATA_RATES (Section 5.3.2, 5.3.3): the dword
 * arrays, little-endian, into buf; returns bytes written (<= cap, whole
 * dwords). They list exactly what ccid_reader_clocks() and
 * ccid_reader_data_rates() give, as many as bNumClockSupported and
 * bNumDataRatesSupported say. */
size_t ccid_engine_clock_frequencies(const struct ccid_engine *eng,
				     uint8_t *buf, size_t cap);
size_t ccid_engine_data_rates(const struct ccid_engine *eng, uint8_t *buf,
			      size_t cap);

/* The host went away (disable, unbind, bus reset): drop the partial OUT
 * message and every queued IN message, cancel pending card operations,
 * power cards off, forget half-done aborts. Card presence is kept. */
void ccid_engine_reset(struct ccid_engine *eng);

/* The host (re)enabled the interface: queue a NotifySlotChange with the
 * presence of every slot; a half-done abort is forgotten (a new session). */
void ccid_engine_enabled(struct ccid_engine *eng);

/* ---- time: ticks (the engine has no clock of its own) ---- */

/* The transport calls ccid_engine_tick() every CCID_TICK_MS while
 * ccid_engine_busy(), and keeps its timer idle otherwise. The first tick
 * may come sooner. The period is fine enough to send the first time
 * extension well inside the waiting time the card's parameters give the
 * host (ccid_time_ext.c): 0.5 x WWT at the ISO 7816-3 defaults is 500 ms. */
#define CCID_TICK_MS 100

/* A half of the ABORT handshake (Section 5.3.1) waits about 4.5 s for the
 * other (ccid_abort.c). A live host sends both back to back; this is
 * longer than libccid's 3 s USB timeout, so a host still trying is never
 * cut short, and short enough that a host that died between the halves
 * does not keep the next one out for long. */
#define CCID_ABORT_TIMEOUT_MS 4500
#define CCID_ABORT_TIMEOUT_TICKS (CCID_ABORT_TIMEOUT_MS / CCID_TICK_MS)

/* True while a card operation is pending or a half-done abort waits: the
 * transport should call ccid_engine_tick() every CCID_TICK_MS. */
bool ccid_engine_busy(const struct ccid_engine *eng);

/* One tick: queue a time-extension DataBlock (Section 6.2.6
 * bmCommandStatus = 2, bError the multiplier of the waiting time) for
 * each slot with a pending XfrBlock when its schedule says so
 * (ccid_time_ext.c; one outstanding per slot at most; none for IccPowerOn:
 * libccid's does not understand them), and end abort halves that waited
 * too long. */
void ccid_engine_tick(struct ccid_engine *eng);

/* ---- introspection for status / logs ---- */

enum ccid_icc_state {
	CCID_ICC_ACTIVE = 0,      /* bmICCStatus 0 */
	CCID_ICC_INACTIVE = 1,    /* bmICCStatus 1: present, not powered */
	CCID_ICC_ABSENT = 2,      /* bmICCStatus 2 */
};

struct ccid_slot_stats {
	enum ccid_icc_state icc;
	bool busy;
	uint64_t apdus;           /* completed XfrBlock APDUs */
	uint64_t errors;          /* answers with bmCommandStatus Failed
				   * (any bError, Command not supported
				   * included; Table 6.2-3) */
};

int ccid_engine_slot_stats(const struct ccid_engine *eng, unsigned slot,
			   struct ccid_slot_stats *out);

/* Optional log hook: one line per event, level like syslog (3 err ..
 * 7 debug). Default: no logging. The engine never prints by itself. */
typedef void (*ccid_log_fn)(void *ctx, int level, const char *line);
void ccid_engine_set_log(struct ccid_engine *eng, ccid_log_fn fn, void *ctx);

/* The most verbose level worth formatting (default 7, debug: every line
 * reaches the hook, APDU dumps with their secrets masked). A daemon
 * without -v sets 5 (notice): formatting the per-message debug lines and
 * hex dumps it would drop was 91% of its instructions per XfrBlock
 * (bench/, callgrind); with -v, 7; with -vv, CCID_LOG_SECRETS. */
void ccid_engine_set_log_level(struct ccid_engine *eng, int max);

/* Above debug, and secret-bearing: the APDU dumps (still debug lines)
 * show the data of PIN commands (VERIFY, CHANGE REFERENCE DATA, RESET
 * RETRY COUNTER, ...: PINs) and of every response (decrypted data, keys
 * read out). At 7 they show CLA INS P1 P2 of those commands and only
 * SW1 SW2 of a response. */
#define CCID_LOG_SECRETS 8

/* Optional APDU hook, for a one-line-per-APDU trace with timing (the
 * engine has no clock; the daemon times it). Called with done == false
 * when a whole command APDU (after chaining, Section 6.1.4) goes to the
 * card, and with done == true when the card answered it: err 0 and the
 * response APDU, or err -errno (card error) / -ECANCELED (aborted) and no
 * data. `data` is only valid during the call. */
typedef void (*ccid_apdu_fn)(void *ctx, unsigned slot, uint8_t seq,
			     bool done, int err, const uint8_t *data,
			     size_t len);
void ccid_engine_set_apdu_hook(struct ccid_engine *eng, ccid_apdu_fn fn,
			       void *ctx);

#endif
