/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SpiceCoreInterface on the daemon's loop: see vcg_spice_core.h. */
#include "vcg_spice_core.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vcg_spice_abi.h"

/* An id is VCG_SPICE_EV_FLAG | generation << 8 | place: an event that
 * epoll_wait returned for a source removed meanwhile (its place maybe
 * reused) does not reach the new one. */
#define PLACE_BITS 8
#define GEN_MASK   0x7fffffu

struct source {
	bool timer;
	int fd; /* the watched fd, or the timerfd (owned) */
	uint32_t id;
	int mask;      /* watch: SPICE_WATCH_EVENT_* */
	bool in_epoll; /* a watch with mask 0 is taken out: epoll
				  * reports a hang-up even for no events,
				  * and the loop would spin on it */
	SpiceWatchFunc watch_fn;
	SpiceTimerFunc timer_fn;
	void *opaque;
};

/* SpiceWatch and SpiceTimer are ours to define: both are a place. */
struct SpiceWatch {
	struct source src;
};
struct SpiceTimer {
	struct source src;
};

static struct {
	int epfd;
	uint32_t gen;
	vcg_spice_channel_event_fn on_channel;
	struct source *place[VCG_SPICE_CORE_MAX];
} core = { .epfd = -1 };

static uint32_t epoll_mask(int spice_mask)
{
	uint32_t ev = 0;

	if (spice_mask & SPICE_WATCH_EVENT_READ)
		ev |= EPOLLIN;
	if (spice_mask & SPICE_WATCH_EVENT_WRITE)
		ev |= EPOLLOUT;
	return ev;
}

/* Into epoll with these events, out of it with none. */
static bool source_sync(struct source *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = src->id };

	if (events == 0) {
		if (src->in_epoll)
			epoll_ctl(core.epfd, EPOLL_CTL_DEL, src->fd, NULL);
		src->in_epoll = false;
		return true;
	}
	if (epoll_ctl(core.epfd, src->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
		      src->fd, &ev) < 0)
		return false;
	src->in_epoll = true;
	return true;
}

/* Put src in a free place and epoll; false if none is free or epoll
 * refuses (the library then sees NULL: it copes, and logs). */
static bool source_add(struct source *src, uint32_t events)
{
	for (unsigned i = 0; i < VCG_SPICE_CORE_MAX; i++) {
		if (core.place[i] != NULL)
			continue;
		core.gen = (core.gen + 1) & GEN_MASK;
		src->id = VCG_SPICE_EV_FLAG | core.gen << PLACE_BITS | i;
		if (!source_sync(src, events))
			return false;
		core.place[i] = src;
		return true;
	}
	return false;
}

static void source_del(struct source *src)
{
	unsigned i = src->id & ((1u << PLACE_BITS) - 1);

	source_sync(src, 0);
	if (i < VCG_SPICE_CORE_MAX && core.place[i] == src)
		core.place[i] = NULL;
}

/* ---- timers ---- */

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
	SpiceTimer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->src.timer = true;
	t->src.timer_fn = func;
	t->src.opaque = opaque;
	t->src.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->src.fd < 0 || !source_add(&t->src, EPOLLIN)) {
		if (t->src.fd >= 0)
			close(t->src.fd);
		free(t);
		return NULL;
	}
	return t;
}

static void timer_set(SpiceTimer *t, uint32_t ms)
{
	/* it_value 0 disarms: a 0 ms timer fires after 1 ns instead. */
	struct itimerspec its = {
		.it_value.tv_sec = ms / 1000,
		.it_value.tv_nsec =
			ms % 1000 ? (long)(ms % 1000) * 1000000L : 1,
	};

	timerfd_settime(t->src.fd, 0, &its, NULL);
}

static void timer_start(SpiceTimer *t, uint32_t ms)
{
	if (t != NULL)
		timer_set(t, ms);
}

static void timer_cancel(SpiceTimer *t)
{
	struct itimerspec off = { 0 };

	if (t != NULL)
		timerfd_settime(t->src.fd, 0, &off, NULL);
}

static void timer_remove(SpiceTimer *t)
{
	if (t == NULL)
		return;
	source_del(&t->src);
	close(t->src.fd);
	free(t);
}

/* ---- watches ---- */

static SpiceWatch *watch_add(int fd, int event_mask, SpiceWatchFunc func,
			     void *opaque)
{
	SpiceWatch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->src.fd = fd;
	w->src.mask = event_mask;
	w->src.watch_fn = func;
	w->src.opaque = opaque;
	if (!source_add(&w->src, epoll_mask(event_mask))) {
		free(w);
		return NULL;
	}
	return w;
}

static void watch_update_mask(SpiceWatch *w, int event_mask)
{
	if (w == NULL)
		return;
	w->src.mask = event_mask;
	source_sync(&w->src, epoll_mask(event_mask));
}

static void watch_remove(SpiceWatch *w)
{
	if (w == NULL)
		return;
	source_del(&w->src); /* the fd is the library's */
	free(w);
}

static void channel_event(int event, SpiceChannelEventInfo *info)
{
	if (core.on_channel != NULL)
		core.on_channel(event, info);
}

static SpiceCoreInterface core_interface = {
	.base = {
		.type = SPICE_INTERFACE_CORE,
		.description = "ccid-gadget loop",
		.major_version = SPICE_INTERFACE_CORE_MAJOR,
		.minor_version = SPICE_INTERFACE_CORE_MINOR,
	},
	.timer_add = timer_add,
	.timer_start = timer_start,
	.timer_cancel = timer_cancel,
	.timer_remove = timer_remove,
	.watch_add = watch_add,
	.watch_update_mask = watch_update_mask,
	.watch_remove = watch_remove,
	.channel_event = channel_event,
};

SpiceCoreInterface *vcg_spice_core_init(int epfd,
					vcg_spice_channel_event_fn on_channel)
{
	core.epfd = epfd;
	core.on_channel = on_channel;
	return &core_interface;
}

void vcg_spice_core_event(uint32_t id, uint32_t events)
{
	unsigned i = id & ((1u << PLACE_BITS) - 1);
	struct source *src;

	if (!(id & VCG_SPICE_EV_FLAG) || i >= VCG_SPICE_CORE_MAX)
		return;
	src = core.place[i];
	if (src == NULL || src->id != id)
		return; /* removed since epoll_wait */
	if (src->timer) {
		uint64_t n;

		/* One-shot: the library re-arms with timer_start. */
		if (read(src->fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
			src->timer_fn(src->opaque);
		return;
	}
	{
		int mask = 0;

		/* An error or hang-up is whatever the library waits for:
		 * its read or write then sees the error or the end. */
		if (events & EPOLLIN)
			mask |= SPICE_WATCH_EVENT_READ;
		if (events & EPOLLOUT)
			mask |= SPICE_WATCH_EVENT_WRITE;
		if (events & (EPOLLHUP | EPOLLERR))
			mask |= src->mask;
		mask &= src->mask;
		if (mask)
			src->watch_fn(src->fd, mask, src->opaque);
	}
}

/* What poll() waits for on a source's fd: a timerfd's expiry is POLLIN. */
static short poll_events(const struct source *src)
{
	short ev = 0;

	if (src->timer || (src->mask & SPICE_WATCH_EVENT_READ))
		ev |= POLLIN;
	if (!src->timer && (src->mask & SPICE_WATCH_EVENT_WRITE))
		ev |= POLLOUT;
	return ev;
}

unsigned vcg_spice_core_run_once(int timeout_ms)
{
	struct pollfd p[VCG_SPICE_CORE_MAX];
	uint32_t ids[VCG_SPICE_CORE_MAX];
	unsigned n = 0, ran = 0;

	for (unsigned i = 0; i < VCG_SPICE_CORE_MAX; i++) {
		const struct source *src = core.place[i];

		if (src == NULL || (!src->timer && src->mask == 0))
			continue;
		p[n].fd = src->fd;
		p[n].events = poll_events(src);
		ids[n++] = src->id;
	}
	if (n == 0 || poll(p, n, timeout_ms) <= 0)
		return 0;
	/* A source the ones before removed is skipped by its id. */
	for (unsigned k = 0; k < n; k++) {
		uint32_t ev = ((p[k].revents & POLLIN) ? EPOLLIN : 0) |
			      ((p[k].revents & POLLOUT) ? EPOLLOUT : 0) |
			      ((p[k].revents & POLLERR) ? EPOLLERR : 0) |
			      ((p[k].revents & POLLHUP) ? EPOLLHUP : 0);

		if (ev != 0) {
			vcg_spice_core_event(ids[k], ev);
			ran++;
		}
	}
	return ran;
}

unsigned vcg_spice_core_watched_fds(int *fds, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VCG_SPICE_CORE_MAX && n < max; i++)
		if (core.place[i] != NULL && !core.place[i]->timer)
			fds[n++] = core.place[i]->fd;
	return n;
}

unsigned vcg_spice_core_live(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VCG_SPICE_CORE_MAX; i++)
		n += core.place[i] != NULL;
	return n;
}

void vcg_spice_core_reset(void)
{
	for (unsigned i = 0; i < VCG_SPICE_CORE_MAX; i++) {
		struct source *src = core.place[i];

		if (src == NULL)
			continue;
		if (src->timer)
			timer_remove((SpiceTimer *)src);
		else
			watch_remove((SpiceWatch *)src);
	}
	core.epfd = -1;
	core.on_channel = NULL;
}
