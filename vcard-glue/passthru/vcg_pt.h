/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "passthru" card: a VSCard server (QEMU's ccid-card-passthru
 * protocol, vscard_codec.h) in front of one slot. Private to vcard-glue/.
 *
 * Two halves, both on the loop thread (no threads of their own):
 *  - vcg_pt_proto.c, the protocol: what each client message does to the
 *    slot (reader added/removed, card inserted/removed, APDU answers) and
 *    the card ops the engine calls. No sockets: it takes decoded bytes and
 *    queues encoded messages, so the fuzz target drives it directly.
 *  - vcg_pt_accept.c, the way in: the listening socket, accepting, the
 *    TLS handshakes of connections not admitted yet (one client at a
 *    time holds the slot).
 *  - vcg_pt_io.c, the admitted client's socket: non-blocking reads (in
 *    budgets) and writes, the timer (APDU and hello deadlines), behind
 *    one epoll fd that the daemon's loop watches (vcg_card_fd).
 *
 * The scenario (QEMU docs/ccid.txt, the seed): a client connects, both
 * sides send VSC_Init; VSC_ReaderAdd attaches the reader, VSC_ATR inserts
 * the card (NotifySlotChange), VSC_APDU goes to the client for each
 * XfrBlock and its VSC_APDU answers it, VSC_CardRemove removes the card,
 * VSC_ReaderRemove or a dropped connection detaches the reader.
 *
 * APDU answers carry no tag: the client answers in order. Every APDU sent
 * is remembered in a small FIFO with the engine's tag; an answer (APDU or
 * Error) pops the oldest. An entry the engine no longer waits for (the
 * host aborted, the card went, the APDU timed out) stays until its late
 * answer pops it, so that answer is never taken for the next command's. */
#ifndef VCG_PT_H
#define VCG_PT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid_card.h"
#include "ccid_engine.h"
#include "vcg_backend.h"
#include "vcg_pt_config.h"
#include "vcg_ratelimit.h"
#include "vscard_codec.h"

struct vcg_stream;
struct vcg_tls_server;
struct vcg_spice;
struct vcg_spice_plugin;

/* APDUs sent and not yet answered, at most. One is live at a time (the
 * engine keeps one operation per slot); the rest are abandoned ones
 * waiting for their late answers. With all of them owed, a new APDU fails
 * at once as a mute card: forgetting one would shift every later answer. */
#define VCG_PT_MAX_OUTSTANDING 8
/* Bytes queued for a client that does not read, before it is dropped. */
#define VCG_PT_OUT_LIMIT (1024u * 1024u)
/* Bytes read from the client per dispatch, at most: a client streaming
 * messages cannot keep the loop from USB, time extensions and ctl. One
 * read buffer's worth; an extended APDU's answer takes five dispatches. */
#define VCG_PT_READ_BUDGET 16384u
/* Connections accepted and not admitted yet (TLS handshake under way),
 * at most: see vcg_pt_accept.c. */
#define VCG_PT_MAX_HANDSHAKES 4
/* A client that connects and says nothing (no TLS handshake, no Init)
 * is dropped after this long. */
#define VCG_PT_HELLO_TIMEOUT_MS 10000

/* Log lines a client can make us write at will are rate-limited per kind
 * (vcg_pt_log.c): a few per this interval, then a count. */
#define VCG_PT_LOG_INTERVAL_MS 10000

enum vcg_pt_log_kind {
	VCG_PT_LOG_CONN,           /* connected, disconnected */
	VCG_PT_LOG_REFUSED,        /* refused, dropped before its handshake */
	VCG_PT_LOG_CARD,           /* reader added or removed, card in or out */
	VCG_PT_LOG_BAD_ATR,
	VCG_PT_LOG_SECOND_READER,
	VCG_PT_LOG_STRAY_ANSWER,   /* an answer to no APDU */
	VCG_PT_LOG_BAD_ANSWER,     /* an Error or a response without SW */
	VCG_PT_LOG_TIMEOUT,        /* an APDU not answered in time */
	VCG_PT_LOG_OWED,           /* an APDU refused: 8 answers owed */
	VCG_PT_LOG_KINDS
};

/* What an event in the card's epoll set is for (epoll_event.data.u32). */
enum {
	VCG_PT_EV_LISTEN = 1,
	VCG_PT_EV_TIMER,
	VCG_PT_EV_CONN,
	VCG_PT_EV_WAKE,
	VCG_PT_EV_HS0 = 16,   /* + the place in hs[] */
};

struct vcg_pt_msg {
	struct vcg_pt_msg *next;
	size_t len;
	size_t off;           /* bytes already sent */
	uint8_t data[];
};

/* A connection in its handshake, not admitted yet. */
struct vcg_pt_hs {
	struct vcg_stream *s;       /* NULL: the place is free */
	uint64_t deadline_ms;       /* handshake and Init by then */
	uint64_t seq;               /* accept order: smaller is older */
	bool heard;                 /* it has sent something */
	bool out_watched;           /* EPOLLOUT registered */
};

struct vcg_pt_pending {
	uint32_t tag;         /* the engine's */
	uint64_t deadline_ms; /* CLOCK_MONOTONIC; 0 = none */
	bool abandoned;       /* the engine no longer waits for it */
};

struct vcg_pt {
	struct ccid_engine *eng;
	unsigned slot;
	const struct vcg_log *log;
	struct vcg_pt_config cfg;
	/* The clock: mono_ms (mono_ms.h); the fuzz target's own. */
	uint64_t (*now_ms)(void);

	/* The slot, kept across connections only as long as one lasts. */
	bool card_present;          /* what the engine was told */
	uint8_t atr[VSC_MAX_ATR];
	size_t atr_len;
	uint64_t clients;           /* connections served so far */

	/* The current connection's protocol state (vcg_pt_proto.c). */
	bool connected;
	bool got_init;
	bool reader_added;
	uint32_t reader_id;
	struct vcg_pt_pending pending[VCG_PT_MAX_OUTSTANDING];
	unsigned pending_head, pending_len;
	struct vsc_decoder *dec;    /* ~64 KiB, one per card */
	struct vcg_pt_msg *out;     /* queued for the client, in order */
	struct vcg_pt_msg **out_tail;
	size_t out_bytes;
	const char *why;            /* why the last call failed (static) */
	char peer[192];

	/* Sockets (vcg_pt_io.c). */
	int epfd;                   /* what vcg_card_fd() returns */
	int lfd;                    /* listening socket */
	int tfd;                    /* timerfd: APDU deadlines */
	struct vcg_stream *conn;    /* NULL: no client admitted */
	struct vcg_pt_hs hs[VCG_PT_MAX_HANDSHAKES];
	uint64_t accepts;           /* connections accepted so far */
	bool conn_out_watched;      /* EPOLLOUT registered */
	bool conn_broken;           /* drop at the next dispatch (why below) */
	const char *broken_why;     /* static text, NULL: the stream's why */
	int wakefd;                 /* eventfd: dispatch again (no fd is ready) */
	uint64_t hello_deadline_ms; /* the admitted client's VSC_Init by then */
	struct vcg_tls_server *tls; /* NULL: plain */
	char describe[sizeof(((struct vcg_pt_config *)0)->describe) + 32];

	/* spice= (vcg_pt_spice.c): the SPICE plug-in, NULL otherwise. */
	const struct vcg_spice_plugin *spice_ops;
	struct vcg_spice *spice;

	/* Log rate limits, per kind (vcg_pt_log.c; zeroed: set up on use). */
	struct vcg_ratelimit log_limits[VCG_PT_LOG_KINDS];
};

extern const struct ccid_card_ops vcg_pt_card_ops;

/* ---- protocol (vcg_pt_proto.c) ---- */

/* Set up / tear down the protocol half (the decoder). 0 or -ENOMEM. */
int vcg_pt_proto_init(struct vcg_pt *pt);
void vcg_pt_proto_free(struct vcg_pt *pt);

/* A client connected (peer: for logs, copied): reset the connection
 * state and queue our VSC_Init. */
void vcg_pt_connected(struct vcg_pt *pt, const char *peer);

/* The client is gone: remove its card and reader, forget what it owed,
 * drop queued output. The slot is then empty. */
void vcg_pt_disconnected(struct vcg_pt *pt);

/* Bytes from the client (buf owned by the caller, not kept). Returns 0,
 * or -errno for a protocol error (pt->why says what): drop the client. */
int vcg_pt_feed(struct vcg_pt *pt, const uint8_t *buf, size_t len);

/* Fail every APDU whose deadline passed (the host sees a mute card). */
void vcg_pt_expire(struct vcg_pt *pt, uint64_t now_ms);

/* The earliest deadline of an APDU the engine still waits for, 0 if
 * none. */
uint64_t vcg_pt_next_deadline(const struct vcg_pt *pt);

/* Does this card want the USB reader plugged in now? (attach=reader:
 * only while a client has added its reader.) */
bool vcg_pt_wants_usb(const struct vcg_pt *pt);

/* Queue one encoded message (msg: len bytes, copied) for the client and
 * kick the sender. 0, or -errno (-ENOBUFS: over VCG_PT_OUT_LIMIT queued,
 * the client does not read: drop it). */
int vcg_pt_queue(struct vcg_pt *pt, const uint8_t *msg, size_t len);

/* Drop all queued output. */
void vcg_pt_out_clear(struct vcg_pt *pt);

/* ---- rate-limited log lines (vcg_pt_log.c) ---- */

/* One line of a kind a client can repeat at will: written unless this
 * kind's limit is reached (then counted); the first line after held-back
 * ones says how many. Time from pt->now_ms. */
void vcg_pt_logk(struct vcg_pt *pt, enum vcg_pt_log_kind kind, int level,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* When a held-back count is due on its own line, 0 if none is. */
uint64_t vcg_pt_log_next_due(const struct vcg_pt *pt);

/* Write the counts due at now_ms ("N more ... lines not logged"). */
void vcg_pt_log_flush(struct vcg_pt *pt, uint64_t now_ms);

/* ---- sockets (vcg_pt_io.c) ---- */

/* Try to send what is queued now (called after queueing); no-op without
 * a connection. Never blocks. */
void vcg_pt_io_kick(struct vcg_pt *pt);

/* Give up on the connection (why: static text for the log line): it is
 * dropped at the next dispatch, which this makes due. Safe inside an
 * engine callback. */
void vcg_pt_io_break(struct vcg_pt *pt, const char *why);

/* Admit a connection whose handshake is done (s taken; hello_deadline_ms:
 * its Init by then): it has the slot now. */
void vcg_pt_io_admit(struct vcg_pt *pt, struct vcg_stream *s,
		     uint64_t hello_deadline_ms);

/* ---- the way in (vcg_pt_accept.c) ---- */

/* Bind and listen on cfg's address (pt->lfd, pt->describe). 0 or -errno
 * with one line in err. */
int vcg_pt_listen(struct vcg_pt *pt, char *err, size_t errlen);

/* The listening socket is readable: accept one connection. */
void vcg_pt_accept(struct vcg_pt *pt);

/* An event on the connection in place i of hs[]. */
void vcg_pt_hs_event(struct vcg_pt *pt, unsigned i, uint32_t events);

/* Drop the connections whose handshake deadline passed. */
void vcg_pt_hs_expire(struct vcg_pt *pt, uint64_t now_ms);

/* The earliest handshake deadline, 0 if none. */
uint64_t vcg_pt_hs_next_deadline(const struct vcg_pt *pt);

/* Close every connection still in its handshake (no log lines). */
void vcg_pt_hs_free_all(struct vcg_pt *pt);

/* ---- the SPICE way in, spice= (vcg_pt_spice.c) ---- */

/* Load the plug-in and start its server (pt->epfd must exist). 0 or
 * -errno with one line in err. */
int vcg_pt_spice_start(struct vcg_pt *pt, char *err, size_t errlen);

/* An event for one of the plug-in's fds (data.u32 with VCG_SPICE_EV_FLAG). */
void vcg_pt_spice_event(struct vcg_pt *pt, uint32_t id, uint32_t events);

/* At the wake-up eventfd: drop a client whose bytes broke the protocol,
 * or let the SPICE server read what is queued. */
void vcg_pt_spice_service(struct vcg_pt *pt);

/* Stop the server (the library stays loaded). */
void vcg_pt_spice_stop(struct vcg_pt *pt);

/* password-file=: its first line, 1..60 bytes, into out (outlen bytes,
 * caller-owned). 0 or -errno with one line in err. */
int vcg_pt_spice_read_ticket(const char *file, char *out, size_t outlen,
			     char *err, size_t errlen);

#endif
