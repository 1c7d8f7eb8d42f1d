/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FunctionFS ep0 events: the USB lifecycle as the daemon sees it.
 *
 * BIND/UNBIND: the gadget was bound to / unbound from the UDC. ENABLE: a
 * host configured the interface (FunctionFS may drop a DISABLE before it,
 * so every ENABLE starts a fresh session). DISABLE: host gone, bus reset,
 * deconfigured. SETUP: a control request for our interface. The cards and
 * their state survive all of these. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "ccid_wire.h"
#include "gadget_int.h"
#include "log.h"
#include "pcap_writer.h"

/* The host is gone (disable, unbind, a new enable): cancel what is in
 * flight, forget partial messages, keep the cards. */
void gadget_host_gone(struct gadget_loop *l)
{
	ffs_io_cancel_all(&l->io);
	ccid_engine_reset(l->eng);
	l->in_phase = IN_IDLE;
	l->in_sync_next = l->in_resubmit = false;
	l->usb.enabled = false;
	pcapw_host_gone(l->p->pcap);
}

/* wMaxPacketSize of an endpoint at the current speed
 * (FUNCTIONFS_ENDPOINT_DESC, valid once enabled). */
static int ep_mps(int fd, uint16_t *mps)
{
	uint8_t desc[USB_DT_ENDPOINT_AUDIO_SIZE] = { 0 };

	if (ioctl(fd, FUNCTIONFS_ENDPOINT_DESC, desc) < 0)
		return -errno;
	*mps = ccid_get_le16(desc + 4) & 0x7ff;   /* wMaxPacketSize */
	return *mps ? 0 : -EINVAL;
}

static void enable(struct gadget_loop *l)
{
	const struct ffs_fds *fds = l->p->fds;
	int ep, ret;

	gadget_host_gone(l);   /* ENABLE can come without DISABLE: a new session */
	ret = ep_mps(fds->ep[FFS_EP_BULK_OUT], &l->out_mps);
	if (ret == 0)
		ret = ep_mps(fds->ep[FFS_EP_BULK_IN], &l->in_mps);
	if (ret < 0) {
		gadget_log(LOG_WARNING, "ffs", "enable: endpoint descriptor: "
			   "%s (disabled again already?)", strerror(-ret));
		return;
	}
	l->usb.speed = ffs_speed_from_bulk_mps(l->out_mps);
	l->usb.enabled = true;
	l->usb.suspended = false;
	l->usb.enables++;
	for (ep = 0; ep < FFS_EP_COUNT; ep++)
		l->ep_down[ep] = false;
	ccid_engine_set_packet_sizes(l->eng, l->out_mps, l->in_mps);
	pcapw_enumerated(l->p->pcap, l->usb.speed);
	ccid_engine_enabled(l->eng);   /* queues NotifySlotChange */
	gadget_log(LOG_NOTICE, "ffs", "enabled by the host: %s speed, bulk "
		   "packets %u/%u", ffs_speed_name(l->usb.speed), l->out_mps,
		   l->in_mps);
}

void gadget_event(struct gadget_loop *l,
		  const struct usb_functionfs_event *ev)
{
	gadget_log(LOG_DEBUG, "ffs", "event %s", ffs_event_name(ev->type));
	switch (ev->type) {
	case FUNCTIONFS_BIND:
		l->usb.bound = true;
		gadget_log(LOG_NOTICE, "ffs", "bound to the UDC");
		if (l->p->on_bound)
			l->p->on_bound(l->p->on_bound_ctx);
		break;
	case FUNCTIONFS_UNBIND:
		gadget_host_gone(l);
		l->usb.bound = false;
		gadget_log(LOG_NOTICE, "ffs", "unbound from the UDC");
		break;
	case FUNCTIONFS_ENABLE:
		enable(l);
		break;
	case FUNCTIONFS_DISABLE:
		if (l->usb.enabled)
			gadget_log(LOG_NOTICE, "ffs", "disabled: host gone or "
				   "bus reset");
		gadget_host_gone(l);
		break;
	case FUNCTIONFS_SETUP:
		ffs_ep0_answer(l->p->fds->ep0, l->eng, &ev->u.setup);
		break;
	case FUNCTIONFS_SUSPEND:
		l->usb.suspended = true;
		gadget_log(LOG_INFO, "ffs", "suspended");
		break;
	case FUNCTIONFS_RESUME:
		l->usb.suspended = false;
		gadget_log(LOG_INFO, "ffs", "resumed");
		break;
	default:
		gadget_log(LOG_WARNING, "ffs", "unknown ep0 event %u", ev->type);
		break;
	}
}
