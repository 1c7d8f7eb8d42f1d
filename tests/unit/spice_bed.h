/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the SPICE glue's tests (test_vcg_spice.c, test_vcg_spice_viewer.c)
 * share to serve a passthru card's spice= port with the plug-in of this
 * build. Linked into every unit test (the Makefile's UNIT_HELPER_SRC);
 * only these two call it. */
#ifndef SPICE_BED_H
#define SPICE_BED_H

/* A free TCP port on 127.0.0.1 (bound, read, closed: a race no other
 * test here runs into); 0 when none could be had. */
unsigned spice_bed_free_port(void);

/* Points CCID_GADGET_SPICE_PLUGIN at ../ccid-gadget-spice.so from the
 * running test binary (build/, build/asan/), unless it is set already. */
void spice_bed_use_plugin_of_this_build(void);

#endif
