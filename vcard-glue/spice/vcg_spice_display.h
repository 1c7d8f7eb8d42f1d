/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A blank SPICE display (one QXL instance, a black 320x200 primary
 * surface that never changes). The board has no screen to show; it is
 * there because remote-viewer (virt-viewer) connects the smartcard
 * channel only once a display channel has come up: a SPICE server with a
 * smartcard channel alone gets a client that opens the main channel and
 * waits for ever.
 *
 * The one thread of the SPICE plug-in: libspice-server runs every QXL
 * instance's display channel in a worker thread of its own (red-worker),
 * with its own GLib loop; it cannot be put on the daemon's loop. Our code
 * on that thread is the QXL callbacks below, which touch no shared state
 * (no commands ever, nothing to release). The smartcard channel, the main
 * channel and everything the card sees stay on the daemon's loop. */
#ifndef VCG_SPICE_DISPLAY_H
#define VCG_SPICE_DISPLAY_H

#include <spice.h>

struct vcg_spice_display;

/* Add the display to server (after spice_server_init). NULL with one
 * line in err. */
struct vcg_spice_display *vcg_spice_display_add(SpiceServer *server, char *err,
						size_t errlen);

/* Remove and free (before spice_server_destroy). NULL is a no-op. */
void vcg_spice_display_free(struct vcg_spice_display *d);

#endif
