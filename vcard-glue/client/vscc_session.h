/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The client side of a VSCard session (QEMU ccid-card-passthru's peer,
 * libcacard's vscclient's protocol) over one vcg_stream. No libcacard
 * here: the card is a callback (vscc_card_ops), so the unit tests drive
 * the session with a fake card and a socketpair playing the server.
 *
 * One reader per session (QEMU's passthru card is one reader; so is the
 * daemon's server). The life of a session:
 *
 *   start()            -> Init (magic "VSCD", version 2, caps {0})
 *   server Init        accepted any number of times (QEMU sends one on
 *                      connect, often lost, and one in reply to ours);
 *                      bad magic / major version: the decoder refuses it
 *   reader_add(name)   -> ReaderAdd(UNDEFINED, name) once the server's Init
 *                      came (queued before); the next Error from the
 *                      server answers it: success -> the reader id is the
 *                      header's reader_id (QEMU: 0); CANNOT_ADD_MORE_READERS
 *                      or another code -> the session fails (-ECONNREFUSED)
 *   card_insert(atr)   -> ATR(id) once the reader is added (queued before;
 *                      sent again after a later reader_add)
 *   APDU(id)           card->xfr() -> APDU(id, response); a transfer error
 *                      -> Error(id, general)
 *   Flush(id)          -> FlushComplete(id)
 *   card_remove()      -> CardRemove(id)
 *   reader_remove()    -> ReaderRemove(id); the reader is unassigned
 *   quit()             -> CardRemove if a card is in, ReaderRemove
 *
 * Other Errors (QEMU acknowledges ATR, CardRemove and ReaderRemove with
 * Error(success)) are logged at debug level; a failure code is logged as
 * a warning. Messages only a client sends (ReaderAdd, ATR, ...) coming
 * from the server are logged and ignored.
 *
 * Every send is one vcg_stream_send() of one whole encoded message; a
 * short send is completed with further sends. On a non-blocking stream
 * (ccid-vscclient's) a send the server does not take waits in poll(),
 * with stop_fd (a signal ends the wait: -EINTR) and send_timeout_ms
 * without progress (-ETIMEDOUT); a partial incoming TLS record is
 * -EAGAIN from the stream, input() returns 0 and the caller polls on.
 * Errors: 0 / -errno, one line in vscc_session_why(). */
#ifndef VSCC_SESSION_H
#define VSCC_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcg_stream.h"
#include "vscc_card_ops.h"
#include "vscard_codec.h"

/* The largest response accepted from the card (an extended response,
 * 65536 data bytes + SW1 SW2); the buffer handed to xfr() is one byte
 * larger, so a response that fills it was cut off. */
#define VSCC_RESP_MAX 65538u

/* A server that takes none of a message for this long is gone. */
#define VSCC_SEND_TIMEOUT_MS 30000


enum vscc_reader_state {
	VSCC_READER_NONE,       /* not announced */
	VSCC_READER_WAIT_INIT,  /* reader_add() before the server's Init */
	VSCC_READER_PENDING,    /* ReaderAdd sent, no answer yet */
	VSCC_READER_ADDED,      /* the server assigned reader_id */
};

/* Logging: one line per event, to the callback (level is syslog's:
 * LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). NULL: stderr. */
typedef void vscc_log_fn(void *ctx, int level, const char *line);

struct vscc_session {
	struct vcg_stream *stream;      /* not owned */
	const struct vscc_card_ops *card;
	void *card_ctx;
	vscc_log_fn *log;
	void *log_ctx;
	int debug;                      /* 0 none, 1 messages, 2 hex dumps */
	int stop_fd;                    /* readable: stop waiting to send;
					 * -1 (init): none; never read */
	int send_timeout_ms;            /* a send stalled this long fails;
					 * init: VSCC_SEND_TIMEOUT_MS */

	bool got_init;                  /* the server's Init came */
	uint32_t server_version;
	enum vscc_reader_state reader;
	uint32_t reader_id;             /* valid when ADDED */
	char reader_name[128];
	bool card_in;                   /* card_insert() without remove */
	bool atr_sent;                  /* ATR sent for the current reader */
	uint8_t atr[VSC_MAX_ATR];
	size_t atr_len;

	unsigned long apdus;            /* APDUs answered */
	int error;                      /* sticky: the session is over */
	char why[200];

	struct vsc_decoder dec;
	uint8_t rx[16384];
	uint8_t tx[VSC_HEADER_LEN + VSC_MAX_PAYLOAD];
	uint8_t resp[VSCC_RESP_MAX + 1];
};

/* Initialise *s (caller-owned, ~200 KiB: not on a small stack). */
void vscc_session_init(struct vscc_session *s, struct vcg_stream *stream,
		       const struct vscc_card_ops *card, void *card_ctx);

int vscc_session_start(struct vscc_session *s);

/* The stream is readable (or has pending bytes): one recv, then every
 * complete message handled. 0, or -errno: -ECONNRESET the server closed
 * (-EPIPE if in the middle of a message), -EPROTO & co from the decoder,
 * -ECONNREFUSED the reader was refused, or a send error. */
int vscc_session_input(struct vscc_session *s);

int vscc_session_reader_add(struct vscc_session *s, const char *name);
int vscc_session_reader_remove(struct vscc_session *s);
int vscc_session_card_insert(struct vscc_session *s, const uint8_t *atr,
			     size_t len);
int vscc_session_card_remove(struct vscc_session *s);
int vscc_session_quit(struct vscc_session *s);

const char *vscc_session_why(const struct vscc_session *s);

#endif
