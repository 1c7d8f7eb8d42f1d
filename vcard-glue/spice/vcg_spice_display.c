/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The blank display: see vcg_spice_display.h. The QXL set-up follows
 * spice-server's interface comments (spice-qxl.h): one memslot group
 * covering our address space with delta 0, so QXL "physical" addresses
 * are our pointers; one primary surface in that memory. */
#include "vcg_spice_display.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH  320
#define HEIGHT 200

struct vcg_spice_display {
	QXLInstance qxl; /* first: the callbacks get &qxl */
	bool added;
	uint8_t pixels[WIDTH * HEIGHT * 4]; /* 32-bit xRGB, black */
};

/* ---- QXL callbacks: on the library's display worker thread ---- */

static void attached_worker(QXLInstance *qin)
{
	(void)qin;
}

static void set_compression_level(QXLInstance *qin, int level)
{
	(void)qin;
	(void)level;
}

static void get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
	(void)qin;
	memset(info, 0, sizeof(*info));
	info->num_memslots_groups = 1;
	info->num_memslots = 1;
	info->memslot_gen_bits = 1;
	info->memslot_id_bits = 1;
	info->qxl_ram_size = sizeof(((struct vcg_spice_display *)0)->pixels);
	info->internal_groupslot_id = 0;
	info->n_surfaces = 1;
}

static int get_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
	(void)qin;
	(void)cmd;
	return 0; /* nothing is ever drawn */
}

static int req_cmd_notification(QXLInstance *qin)
{
	(void)qin;
	return 1; /* none pending: we would call spice_qxl_wakeup (never) */
}

static void release_resource(QXLInstance *qin, struct QXLReleaseInfoExt info)
{
	(void)qin;
	(void)info;
}

static int flush_resources(QXLInstance *qin)
{
	(void)qin;
	return 0;
}

static void notify_update(QXLInstance *qin, uint32_t update_id)
{
	(void)qin;
	(void)update_id;
}

static void async_complete(QXLInstance *qin, uint64_t cookie)
{
	(void)qin;
	(void)cookie;
}

static void update_area_complete(QXLInstance *qin, uint32_t surface_id,
				 struct QXLRect *rects, uint32_t n)
{
	(void)qin;
	(void)surface_id;
	(void)rects;
	(void)n;
}

static void set_client_capabilities(QXLInstance *qin, uint8_t present,
				    uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
	(void)qin;
	(void)present;
	(void)caps;
}

static int client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *mc)
{
	(void)qin;
	(void)mc;
	return 0; /* one fixed monitor */
}

static const QXLInterface display_interface = {
	.base = {
		.type = SPICE_INTERFACE_QXL,
		.description = "ccid-gadget blank display",
		.major_version = SPICE_INTERFACE_QXL_MAJOR,
		.minor_version = SPICE_INTERFACE_QXL_MINOR,
	},
	.attached_worker = attached_worker,
	.set_compression_level = set_compression_level,
	.get_init_info = get_init_info,
	.get_command = get_command,
	.req_cmd_notification = req_cmd_notification,
	.release_resource = release_resource,
	.get_cursor_command = get_command,
	.req_cursor_notification = req_cmd_notification,
	.notify_update = notify_update,
	.flush_resources = flush_resources,
	.async_complete = async_complete,
	.update_area_complete = update_area_complete,
	.set_client_capabilities = set_client_capabilities,
	.client_monitors_config = client_monitors_config,
};

struct vcg_spice_display *vcg_spice_display_add(SpiceServer *server, char *err,
						size_t errlen)
{
	struct vcg_spice_display *d = calloc(1, sizeof(*d));
	QXLDevMemSlot slot = {
		.virt_start = 0,
		.virt_end = ~(uintptr_t)0,
	};
	QXLDevSurfaceCreate surface = {
		.width = WIDTH,
		.height = HEIGHT,
		.stride = -(WIDTH * 4), /* top-down rows, as QEMU's */
		.format = SPICE_SURFACE_FMT_32_xRGB,
		.mouse_mode = 1,
	};

	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->qxl.base.sif = &display_interface.base;
	d->qxl.id = 0;
	if (spice_server_add_interface(server, &d->qxl.base) < 0) {
		snprintf(err, errlen, "spice: cannot add the display");
		free(d);
		return NULL;
	}
	d->added = true;
	spice_qxl_add_memslot(&d->qxl, &slot);
	surface.mem = (uint64_t)(uintptr_t)d->pixels;
	spice_qxl_create_primary_surface(&d->qxl, 0, &surface);
	return d;
}

void vcg_spice_display_free(struct vcg_spice_display *d)
{
	if (d == NULL)
		return;
	if (d->added)
		spice_server_remove_interface(&d->qxl.base);
	free(d);
}
