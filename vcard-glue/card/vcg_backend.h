/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What each card backend (test, emulated) provides to vcg_card.c, and the
 * shared logging helper. Private to vcard-glue/. */
#ifndef VCG_BACKEND_H
#define VCG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "ccid_engine.h"
#include "vcg_spec.h"

/* Where a card's log lines go (one line per event, syslog levels). Only
 * used on the loop thread. fn == NULL: lines at LOG_WARNING and more
 * severe go to stderr as "vcg: LINE", the rest are dropped. */
struct vcg_log {
	ccid_log_fn fn;
	void *ctx;
};

void vcg_logf(const struct vcg_log *log, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct vcg_backend {
	const char *driver;              /* the SPEC's driver name */
	const char *const *keys;         /* accepted properties, NULL-terminated */

	/* Build from a parsed spec whose keys were checked against `keys`,
	 * attach to (eng, slot). Returns 0 and *impl, or -errno with one line
	 * in err (via vcg_spec_fail). Nothing stays attached on error. */
	int (*create)(struct vcg_spec *spec, struct ccid_engine *eng,
		      unsigned slot, const struct vcg_log *log, void **impl,
		      char *err, size_t errlen);
	/* Detach from the engine, stop threads, free. */
	void (*destroy)(void *impl);
	int (*fd)(const void *impl);
	void (*dispatch)(void *impl);
	int (*set_present)(void *impl, bool present);
	const char *(*describe)(const void *impl);
	/* Optional (NULL = always): does the card want the USB reader
	 * plugged in now? (passthru, attach=reader: only while its client
	 * has a reader added.) */
	bool (*wants_usb)(const void *impl);
	/* Optional (NULL = none): the directory the card writes state to
	 * while it runs (vcg_card_state_dir()). */
	const char *(*state_dir)(const void *impl);
};

extern const struct vcg_backend vcg_test_backend;
extern const struct vcg_backend vcg_emulated_backend;
extern const struct vcg_backend vcg_passthru_backend;

#endif
