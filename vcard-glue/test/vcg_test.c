/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "test" card driver: the engine's built-in test card
 * (vcg_testcard), optionally slowed down.
 *
 *   test[,delay_ms=N][,absent]
 *
 * delay_ms=N (1..60000) puts the test card in deferred mode: power_on and
 * transmit answer only when a timerfd armed for N ms fires and the loop
 * calls vcg_card_dispatch(). Meanwhile the engine sees a busy slot and
 * sends time extensions (CCID 1.1 Section 6.2.6) on each tick, so a
 * delay beyond the host's timeout exercises that path. delay_ms=0 (the
 * default) answers synchronously and needs no fd.
 *
 * The timer is armed by wrapping vcg_testcard_ops: after each forwarded
 * operation, vcg_testcard_pending() says whether an answer is held. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vcg_testcard.h"
#include "vcg_backend.h"

#define VCG_TEST_MAX_DELAY_MS 60000

struct vcg_test {
	struct ccid_engine *eng;
	unsigned slot;
	struct vcg_testcard *tc;
	unsigned delay_ms;
	int tfd;                   /* timerfd; -1 when delay_ms == 0 */
	const struct vcg_log *log;
	char describe[64];
};

/* Arm the one-shot timer for a held answer, or disarm it when nothing is
 * pending (power_off, cancel, removal, completion). */
static void arm_if_pending(struct vcg_test *t)
{
	struct itimerspec its;

	if (t->tfd < 0)
		return;
	memset(&its, 0, sizeof(its));
	if (vcg_testcard_pending(t->tc)) {
		its.it_value.tv_sec = t->delay_ms / 1000;
		its.it_value.tv_nsec = (long)(t->delay_ms % 1000) * 1000000L;
	}
	if (timerfd_settime(t->tfd, 0, &its, NULL) < 0)
		vcg_logf(t->log, LOG_ERR, "test card slot %u: timerfd_settime: %s",
			 t->slot, strerror(errno));
}

static int wrap_power_on(void *ctx, uint32_t tag)
{
	struct vcg_test *t = ctx;
	int rc = vcg_testcard_ops.power_on(t->tc, tag);

	arm_if_pending(t);
	return rc;
}

static void wrap_power_off(void *ctx)
{
	struct vcg_test *t = ctx;

	vcg_testcard_ops.power_off(t->tc);
	arm_if_pending(t);
}

static int wrap_transmit(void *ctx, uint32_t tag, const uint8_t *apdu,
			 size_t len)
{
	struct vcg_test *t = ctx;
	int rc = vcg_testcard_ops.transmit(t->tc, tag, apdu, len);

	arm_if_pending(t);
	return rc;
}

static void wrap_cancel(void *ctx, uint32_t tag)
{
	struct vcg_test *t = ctx;

	if (vcg_testcard_ops.cancel != NULL)
		vcg_testcard_ops.cancel(t->tc, tag);
	arm_if_pending(t);
}

static bool wrap_present(void *ctx)
{
	struct vcg_test *t = ctx;

	return vcg_testcard_ops.present(t->tc);
}

static const struct ccid_card_ops delayed_ops = {
	.power_on = wrap_power_on,
	.power_off = wrap_power_off,
	.transmit = wrap_transmit,
	.cancel = wrap_cancel,
	.present = wrap_present,
};

static void test_destroy(void *impl)
{
	struct vcg_test *t = impl;

	if (t == NULL)
		return;
	ccid_engine_attach_card(t->eng, t->slot, NULL, NULL);
	vcg_testcard_free(t->tc);
	if (t->tfd >= 0)
		close(t->tfd);
	free(t);
}

static int test_create(struct vcg_spec *spec, struct ccid_engine *eng,
		       unsigned slot, const struct vcg_log *log, void **impl,
		       char *err, size_t errlen)
{
	unsigned long delay_ms = 0;
	bool absent = false;
	struct vcg_test *t;
	int rc;

	rc = vcg_spec_get_uint(spec, "delay_ms", 0, VCG_TEST_MAX_DELAY_MS,
			       &delay_ms, err, errlen);
	if (rc < 0)
		return rc;
	rc = vcg_spec_get_bool(spec, "absent", &absent, err, errlen);
	if (rc < 0)
		return rc;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return vcg_spec_fail(spec, err, errlen, "out of memory");
	t->eng = eng;
	t->slot = slot;
	t->delay_ms = (unsigned)delay_ms;
	t->tfd = -1;
	t->log = log;
	if (delay_ms > 0)
		snprintf(t->describe, sizeof(t->describe),
			 "test delay_ms=%lu%s", delay_ms,
			 absent ? " absent" : "");
	else
		snprintf(t->describe, sizeof(t->describe), "test%s",
			 absent ? " absent" : "");
	if (delay_ms > 0) {
		t->tfd = timerfd_create(CLOCK_MONOTONIC,
					TFD_NONBLOCK | TFD_CLOEXEC);
		if (t->tfd < 0) {
			rc = -errno;
			free(t);
			return vcg_spec_fail(spec, err, errlen,
					     "timerfd_create: %s", strerror(-rc));
		}
	}
	t->tc = vcg_testcard_new(eng, slot);
	if (t->tc == NULL) {
		if (t->tfd >= 0)
			close(t->tfd);
		free(t);
		return vcg_spec_fail(spec, err, errlen,
				     "cannot create the test card for slot %u (out of memory or no such slot)",
				     slot);
	}
	if (delay_ms > 0)
		vcg_testcard_set_deferred(t->tc, true);
	/* Remove before attaching, so the slot starts empty without a
	 * spurious insert/remove pair of NotifySlotChange. */
	if (absent)
		vcg_testcard_set_present(t->tc, false);
	rc = ccid_engine_attach_card(eng, slot, &delayed_ops, t);
	if (rc < 0) {
		vcg_testcard_free(t->tc);
		if (t->tfd >= 0)
			close(t->tfd);
		free(t);
		return vcg_spec_fail(spec, err, errlen,
				     "cannot attach to slot %u: %s", slot,
				     strerror(-rc));
	}
	*impl = t;
	return 0;
}

static int test_fd(const void *impl)
{
	const struct vcg_test *t = impl;

	return t->tfd;
}

static void test_dispatch(void *impl)
{
	struct vcg_test *t = impl;
	uint64_t expirations;
	ssize_t n;

	if (t->tfd < 0)
		return;
	n = read(t->tfd, &expirations, sizeof(expirations));
	if (n != (ssize_t)sizeof(expirations))
		return;   /* EAGAIN: not yet (spurious wake-up) */
	if (vcg_testcard_pending(t->tc))
		vcg_testcard_complete(t->tc);
	arm_if_pending(t);
}

static int test_set_present(void *impl, bool present)
{
	struct vcg_test *t = impl;

	vcg_testcard_set_present(t->tc, present);
	arm_if_pending(t);
	return 0;
}

static const char *test_describe(const void *impl)
{
	const struct vcg_test *t = impl;

	return t->describe;
}

static const char *const test_keys[] = { "delay_ms", "absent", NULL };

const struct vcg_backend vcg_test_backend = {
	.driver = "test",
	.keys = test_keys,
	.create = test_create,
	.destroy = test_destroy,
	.fd = test_fd,
	.dispatch = test_dispatch,
	.set_present = test_set_present,
	.describe = test_describe,
};
