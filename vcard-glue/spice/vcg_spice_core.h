/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libspice-server's SpiceCoreInterface (watches, timers, channel events)
 * on the daemon's loop: every watch is its fd in one epoll set (the
 * passthru card's, which the daemon's loop watches), every timer a
 * timerfd in the same set. The card passes back the events whose
 * data.u32 carries VCG_SPICE_EV_FLAG (vcg_spice_abi.h); the adapter calls
 * the library's function for it. No thread.
 *
 * One adapter per process: the interface's callbacks (timer_add(func,
 * opaque), ...) carry no pointer of ours. Not thread-safe: the library
 * calls it only from the thread that runs the loop (the display's worker
 * thread, vcg_spice_display.c, has a GLib loop of the library's own; its
 * channels' events reach us through the library's main dispatcher, one
 * of our watches). */
#ifndef VCG_SPICE_CORE_H
#define VCG_SPICE_CORE_H

#include <stdint.h>

#include <spice.h>

/* At most this many watches and timers at once (a SPICE session with the
 * smartcard channel uses about ten). */
#define VCG_SPICE_CORE_MAX 64

/* channel_event() is forwarded here (may be NULL). */
typedef void (*vcg_spice_channel_event_fn)(int event,
					   SpiceChannelEventInfo *info);

/* Use epfd (not owned) for the fds from now on. Returns the interface to
 * give spice_server_init() (static, lives as long as the process). */
SpiceCoreInterface *vcg_spice_core_init(int epfd,
					vcg_spice_channel_event_fn on_channel);

/* An event for id (an epoll data.u32 with VCG_SPICE_EV_FLAG): runs the
 * watch's or timer's function. A stale id (its source was removed after
 * epoll_wait returned it) is ignored. */
void vcg_spice_core_event(uint32_t id, uint32_t events);

/* Wait up to timeout_ms for any watch or timer and run the ones that are
 * ready, as vcg_spice_core_event() would: for the plug-in's stop, when
 * the daemon's loop no longer runs (poll() on the sources' own fds, not
 * the host's epoll set). Returns how many ran (0: none by then). */
unsigned vcg_spice_core_run_once(int timeout_ms);

/* The fds watched now (at most max into fds); returns how many. */
unsigned vcg_spice_core_watched_fds(int *fds, unsigned max);

/* Watches and timers alive now (tests: nothing leaks). */
unsigned vcg_spice_core_live(void);

/* Remove whatever the library left behind (after spice_server_destroy). */
void vcg_spice_core_reset(void);

#endif
