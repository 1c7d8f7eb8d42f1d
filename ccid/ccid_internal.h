/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Engine internals shared by the files of ccid/. Not a public API. */
#ifndef CCID_INTERNAL_H
#define CCID_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid_engine.h"
#include "ccid_params.h"
#include "ccid_proto.h"

/* ---- OUT reassembly (ccid_reasm.c) ---- */

struct ccid_reasm {
	uint8_t *buf;          /* max_msg_len bytes, engine-owned */
	size_t cap;            /* == cfg.max_msg_len */
	size_t len;            /* bytes of the current message so far */
	uint16_t out_mps;      /* 0 = stream mode */
	bool discarding;       /* dropping the rest of an oversized message */
	uint64_t discard_left; /* bytes still to drop (stream accounting) */
	uint8_t hdr[CCID_HEADER_LEN]; /* header of the message being dropped */
};

/* ---- bulk-IN queue and interrupt state (ccid_queue.c) ---- */

#define CCID_INQ_SOFT_LIMIT 16   /* out_ready() false at this many */
/* Hard bound: what may still arrive per slot without an OUT read: the
 * pending command's answer, one time extension, the SlotStatus of an
 * Abort completed by the control request (ccid_queue.c). */
#define CCID_INQ_CAP(nslots) (CCID_INQ_SOFT_LIMIT + 3 * (nslots))

struct ccid_inq_entry {
	struct ccid_msg msg;
	uint8_t *buf;          /* malloc'd, == msg.data */
	int te_slot;           /* slot whose time extension this is, or -1 */
};

struct ccid_inq {
	struct ccid_inq_entry *ring;
	unsigned cap, head, count;
	uint64_t dropped;
};

struct ccid_intr {
	uint8_t buf[4];        /* the message handed out by peek */
	struct ccid_msg msg;
	bool inflight;         /* peeked, not yet popped: buf is frozen */
	bool force;            /* enabled(): send one even with no change */
};

/* ---- per slot ---- */

enum ccid_pending_op {
	CCID_OP_NONE = 0,
	CCID_OP_POWER_ON,
	CCID_OP_TRANSMIT,
};

struct ccid_slot {
	const struct ccid_card_ops *ops;   /* NULL: no card attached */
	void *ctx;
	bool present;
	bool powered;

	/* the one card operation in flight (Section 4 rule: one per slot) */
	enum ccid_pending_op op;
	uint32_t tag;
	uint8_t op_seq;        /* bSeq of the command that started it */
	bool te_queued;        /* a time extension for it is queued, unsent */
	unsigned te_ticks;     /* ticks since it started or the last extension */

	/* ABORT handshake (Section 5.3.1 / 6.1.13) */
	bool abort_req;        /* control request seen */
	uint8_t abort_req_seq;
	bool abort_msg;        /* PC_to_RDR_Abort seen */
	uint8_t abort_msg_seq;
	unsigned abort_ticks;  /* ticks since the last half arrived */

	/* extended APDU chaining (Section 6.1.4, ccid_chain.c) */
	uint8_t *apdu;         /* command APDU being built / sent to the card */
	size_t apdu_len, apdu_cap;
	bool cmd_chaining;     /* 0x01/0x03 seen, waiting for more */
	uint8_t *rsp;          /* response APDU waiting to be sent in pieces */
	size_t rsp_len, rsp_off, rsp_cap;

	/* parameters (ccid_params.c) */
	struct ccid_params params;      /* current (Get/SetParameters) */
	struct ccid_params atr_params;  /* from the ATR (ResetParameters) */

	/* interrupt-IN state */
	bool changed;          /* presence changed since last NotifySlotChange */
	bool renotify;         /* new host session, no command yet: see
				* ccid_handle_get_slot_status */
	bool hw_error;         /* HardwareError to send */
	uint8_t hw_error_seq;

	struct ccid_slot_stats stats;
};

struct ccid_engine {
	struct ccid_reader_config cfg;
	/* ccid_reader_data_rates(&cfg), listed once at creation (cfg never
	 * changes after it): GET_DATA_RATES answers from here */
	uint32_t rates[CCID_MAX_DATA_RATES];
	size_t nrates;                     /* <= CCID_MAX_DATA_RATES */
	struct ccid_slot *slots;           /* cfg.nslots entries */
	struct ccid_reasm reasm;
	struct ccid_inq inq;
	struct ccid_intr intr;
	uint16_t in_mps;
	uint32_t next_tag;
	ccid_log_fn log_fn;
	void *log_ctx;
	int log_max;          /* lines above this level are not even formatted */
	ccid_apdu_fn apdu_fn;
	void *apdu_ctx;
};

/* ccid_desc.c: ccid_reader_config_check() that also hands back the data
 * rate list it computed (at most CCID_MAX_DATA_RATES; *nrates is the
 * count when the config is valid). */
int ccid_reader_config_check_rates(const struct ccid_reader_config *cfg,
				   const char **why,
				   uint32_t rates[CCID_MAX_DATA_RATES],
				   size_t *nrates);

/* ccid_reasm.c */
int ccid_reasm_init(struct ccid_reasm *r, size_t cap);
void ccid_reasm_free(struct ccid_reasm *r);
void ccid_reasm_clear(struct ccid_reasm *r);
void ccid_reasm_feed(struct ccid_engine *eng, const uint8_t *buf, size_t len);
size_t ccid_reasm_read_size(const struct ccid_reasm *r);

/* ccid_queue.c */
int ccid_inq_init(struct ccid_inq *q, unsigned cap);
void ccid_inq_free(struct ccid_inq *q);
void ccid_inq_clear(struct ccid_engine *eng);

/* The header fields of one RDR_to_PC message (Section 6.2) besides
 * dwLength. Filled by name (designated initializers) so that bStatus,
 * bError and byte 9 cannot be swapped silently. */
struct ccid_rdr_header {
	uint8_t type;      /* bMessageType, CCID_RDR_* */
	uint8_t slot;      /* bSlot */
	uint8_t seq;       /* bSeq */
	uint8_t status;    /* bStatus: CCID_STATUS(bmICCStatus, bmCommandStatus) */
	uint8_t error;     /* bError (Table 6.2-2), 0 unless failed */
	uint8_t b9;        /* bChainParameter, bClockStatus or bProtocolNum */
};

/* Queue one RDR_to_PC message: the header and `len` bytes of data (the
 * caller's, copied). */
void ccid_respond(struct ccid_engine *eng, const struct ccid_rdr_header *h,
		  const uint8_t *data, size_t len);
/* A time extension for the slot's pending command, bError = multiplier. */
void ccid_respond_time_ext(struct ccid_engine *eng, unsigned slot,
			   uint8_t multiplier);

/* ccid_dispatch.c: one complete PC_to_RDR message */
void ccid_dispatch(struct ccid_engine *eng, const uint8_t *msg, size_t len);
/* Answer a message that failed before dispatch (framing errors). */
void ccid_reject(struct ccid_engine *eng, const uint8_t *hdr, uint8_t error);

/* ccid_slot.c: slot state, answers, deactivation */
uint8_t ccid_icc_status(const struct ccid_slot *s);
uint8_t ccid_slot_status_for(const struct ccid_engine *eng, unsigned slot);
/* The response type Section 6.2 pairs with a PC_to_RDR type. */
uint8_t ccid_response_type(uint8_t pc_type);
/* Answer a command with its paired response type and no data: success
 * (bmCommandStatus 0) or failure (1, with bError). */
void ccid_ok(struct ccid_engine *eng, uint8_t pc_type, uint8_t slot,
	     uint8_t seq);
void ccid_fail(struct ccid_engine *eng, uint8_t pc_type, uint8_t slot,
	       uint8_t seq, uint8_t error);
void ccid_slot_drop_chains(struct ccid_slot *s);
int ccid_slot_reserve(uint8_t **buf, size_t *cap, size_t need);
void ccid_slot_mark_changed(struct ccid_engine *eng, unsigned slot);

/* Why a slot goes inactive; what ccid_slot_deactivate() does for each is
 * written there, once. */
enum ccid_deactivation {
	CCID_DEACT_POWER_OFF,   /* the host's IccPowerOff (Section 6.1.2) */
	CCID_DEACT_HOST_GONE,   /* USB reset / disable: nobody to answer */
	CCID_DEACT_CARD_GONE,   /* the card left: answer its pending op */
	CCID_DEACT_BAD_ATR,     /* power-on gave an unusable ATR */
};
void ccid_slot_deactivate(struct ccid_engine *eng, unsigned slot,
			  enum ccid_deactivation why);
/* The card left the slot (removed, or it said -ENOMEDIUM): deactivate,
 * and queue a NotifySlotChange if it had been present. */
void ccid_slot_card_left(struct ccid_engine *eng, unsigned slot);

/* ccid_op.c: the one card operation in flight per slot */
unsigned ccid_busy_count(const struct ccid_engine *eng);
/* Start `op` on the card (the slot must be idle, the card attached). A
 * start error is answered through the operation's own completion. */
void ccid_op_start(struct ccid_engine *eng, unsigned slot, uint8_t seq,
		   enum ccid_pending_op op);
/* The card's completion (ccid_engine_card_done): a stale tag is dropped,
 * otherwise the operation's own completion answers it. */
void ccid_op_done(struct ccid_engine *eng, unsigned slot, uint32_t tag,
		  int err, const uint8_t *data, size_t len);
/* An operation ended without its result: the host aborted it (Section
 * 5.3.1, CMD_ABORTED) or the card failed with err (mapped to bError).
 * Answers the command `cmd`. */
void ccid_op_failed(struct ccid_engine *eng, unsigned slot, uint8_t cmd,
		    uint8_t seq, bool aborted, int err);
/* Cancel the pending operation (if any) and answer its command failed
 * with bError `error`. */
void ccid_op_cancel(struct ccid_engine *eng, unsigned slot, uint8_t error);
/* Forget the pending operation without an answer (cancel it on the card
 * if it has cancel). */
void ccid_op_drop(struct ccid_slot *s);

/* ccid_power.c: IccPowerOn (start, completion with the ATR, failure) */
int ccid_power_on_call(struct ccid_engine *eng, unsigned slot, uint32_t tag);
void ccid_power_on_done(struct ccid_engine *eng, unsigned slot, uint8_t seq,
			bool aborted, int err, const uint8_t *atr, size_t len);

/* ccid_transmit.c: one whole command APDU to the card and its response */
int ccid_transmit_call(struct ccid_engine *eng, unsigned slot, uint8_t seq,
		       uint32_t tag);
void ccid_transmit_done(struct ccid_engine *eng, unsigned slot, uint8_t seq,
			bool aborted, int err, const uint8_t *rsp,
			size_t len);

/* ccid_handlers_*.c: one per PC_to_RDR message. `msg` is the whole
 * message (header + dwLength bytes), already length-checked against the
 * bytes received; the handler checks the per-command rules. */
void ccid_handle_icc_power_on(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_icc_power_off(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_get_slot_status(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_xfr_block(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_get_parameters(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_reset_parameters(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_set_parameters(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_icc_clock(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_set_rate_and_clock(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_abort(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);
void ccid_handle_not_supported(struct ccid_engine *eng,
		const uint8_t *msg, size_t len);

/* ccid_chain.c: XfrBlock chaining (assembles the command APDU, then
 * ccid_op_start(CCID_OP_TRANSMIT); sends the response in pieces) */
void ccid_chain_xfr(struct ccid_engine *eng, unsigned slot, uint8_t seq,
		    uint16_t level, const uint8_t *data, size_t len);
void ccid_chain_card_response(struct ccid_engine *eng, unsigned slot,
			      uint8_t seq, const uint8_t *data, size_t len);

/* ccid_time_ext.c: when to send time extensions (Section 6.2.6) */
struct ccid_time_ext_plan {
	unsigned ticks;        /* an extension every this many ticks, the
	                          first too */
	uint8_t multiplier;    /* bError: waiting times each one asks for */
};
void ccid_time_ext_plan(uint64_t wait_us, struct ccid_time_ext_plan *out);
/* A tick for the slot: send the extension its plan says is due. */
void ccid_time_ext_tick(struct ccid_engine *eng, unsigned slot);

/* ccid_abort.c */
/* True if the command was consumed by an abort in progress. */
bool ccid_abort_intercept(struct ccid_engine *eng, const uint8_t *msg);
void ccid_abort_try_complete(struct ccid_engine *eng, unsigned slot);
/* One half of the handshake is here, waiting for the other. */
bool ccid_abort_waiting(const struct ccid_slot *s);
/* A tick: end a half that waited CCID_ABORT_TIMEOUT_TICKS. */
void ccid_abort_tick(struct ccid_engine *eng, unsigned slot);
/* A new host session: forget a waiting half (one log line naming `why`). */
void ccid_abort_forget(struct ccid_engine *eng, unsigned slot,
		       const char *why);

/* ccid_log.c */
const char *ccid_msg_name(uint8_t type);
void ccid_log(const struct ccid_engine *eng, int level, int slot, int seq,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Hex dumps, at debug level: whole bytes (ATR) ... */
void ccid_log_hex(const struct ccid_engine *eng, int slot, int seq,
		  const char *what, const uint8_t *p, size_t len);
/* ... and APDUs, whose secrets are masked below CCID_LOG_SECRETS: the
 * data of PIN commands (VERIFY, CHANGE REFERENCE DATA, RESET RETRY
 * COUNTER, ...) and of every response (only SW1 SW2 shown). */
void ccid_log_command_apdu(const struct ccid_engine *eng, int slot, int seq,
			   const uint8_t *apdu, size_t len);
void ccid_log_response_apdu(const struct ccid_engine *eng, int slot, int seq,
			    const uint8_t *rsp, size_t len);

#define CCID_LOG_ERR 3
#define CCID_LOG_WARNING 4
#define CCID_LOG_NOTICE 5
#define CCID_LOG_INFO 6
#define CCID_LOG_DEBUG 7

#endif
