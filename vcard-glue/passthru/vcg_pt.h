/* The "passthru" card: a VSCard server (QEMU's ccid-card-passthru
 * protocol, vscard_codec.h) in front of one slot. Private to vcard-glue/.
 *
 * Two halves, both on the loop thread (no threads of their own):
 *  - vcg_pt_proto.c, the protocol: what each client message does to the
 *    slot (reader added/removed, card inserted/removed, APDU answers) and
 *    the card ops the engine calls. No sockets: it takes decoded bytes and
 *    queues encoded messages, so the fuzz target drives it directly.
 *  - vcg_pt_io.c, the sockets: listen, accept (one client at a time),
 *    TLS, non-blocking reads and writes, the APDU timer, behind one
 *    epoll fd that the daemon's loop watches (vcg_card_fd).
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
#include "vscard_codec.h"

struct vcg_stream;
struct vcg_tls_server;

/* APDUs sent and not yet answered, at most. One is live at a time (the
 * engine keeps one operation per slot); the rest are abandoned ones
 * waiting for their late answers. */
#define VCG_PT_MAX_OUTSTANDING 8
/* Bytes queued for a client that does not read, before it is dropped. */
#define VCG_PT_OUT_LIMIT (1024u * 1024u)

struct vcg_pt_msg {
	struct vcg_pt_msg *next;
	size_t len;
	size_t off;           /* bytes already sent */
	uint8_t data[];
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
	uint64_t (*now_ms)(void);   /* vcg_pt_now_ms; the fuzz target's own */

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
	struct vcg_stream *conn;    /* NULL: no client */
	bool conn_ready;            /* handshake done */
	bool conn_out_watched;      /* EPOLLOUT registered */
	bool conn_broken;           /* a send failed: drop at next dispatch */
	uint64_t hello_deadline_ms; /* TLS handshake and VSC_Init by then */
	struct vcg_tls_server *tls; /* NULL: plain */
	char describe[sizeof(((struct vcg_pt_config *)0)->describe) + 32];
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

/* ---- sockets (vcg_pt_io.c) ---- */

/* Try to send what is queued now (called after queueing); no-op without
 * a connection. Never blocks. */
void vcg_pt_io_kick(struct vcg_pt *pt);

uint64_t vcg_pt_now_ms(void);

#endif
