/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The directory a card writes state to while it runs (the PIV applet's
 * retry counters, management key and provisioned objects, files piv-*),
 * handed to the daemon's --user before root is dropped: the card writes
 * there after the drop (a temporary file renamed over the old one, so the
 * directory must be the user's), and files the card created while still
 * root must stay readable to it. */
#ifndef GADGET_STATE_DIR_H
#define GADGET_STATE_DIR_H

#include <stddef.h>
#include <sys/types.h>

/* As root: create `dir` (0700) if missing; if root owns it, give it and
 * the piv-* regular files in it to uid:gid (no link is followed; nothing
 * else in it is touched) and make it 0700. A directory another user owns
 * is left alone. Returns 0, or -errno with one line in why (the caller
 * logs it: the card then keeps its counters in memory only). */
int gadget_give_state_dir(const char *dir, uid_t uid, gid_t gid, char *why,
			  size_t whylen);

#endif
