/* --pcap FILE: the reader's USB traffic as the host saw it, in a pcap file
 * that Wireshark/tshark dissect as USB CCID (LINKTYPE_USB_LINUX_MMAPPED,
 * the format usbmon captures have, and QEMU's usb-ccid pcap= property
 * writes for a VM's reader).
 *
 * Each transfer is one URB, a Submit record and its Complete record, from
 * the host's side: bulk-OUT carries its data in the Submit, bulk-IN and
 * interrupt-IN in the Complete. A bulk-OUT message the daemon reads in
 * pieces (bed trap 6 (tests/vm/README.md): one packet, then the rest) is recorded as the
 * one URB the host sent once its dwLength is in; a bulk-IN ZLP ends the
 * URB it follows and gets no record of its own.
 *
 * The daemon never sees the host's enumeration (the UDC and the composite
 * framework answer it), so at every ENABLE it writes the GET_DESCRIPTOR
 * (device, configuration) exchange the host had, rebuilt from the same
 * descriptors FunctionFS was given: that is how Wireshark learns that
 * endpoints 0x01/0x82/0x83 belong to a class 0x0B (CCID) interface. The
 * configuration holds only the CCID interface, even when the gadget has
 * other functions (--ffs). Bus 1, device 1 (the host's numbers are not
 * visible from the gadget side).
 *
 * Every record is flushed at once: a killed daemon leaves a valid file.
 * Every function takes w == NULL as "no capture" and does nothing. Errors
 * after opening are logged once and end the capture, never the daemon. */
#ifndef PCAP_WRITER_H
#define PCAP_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "ccid_engine.h"
#include "ffs_desc.h"

#define PCAPW_BUSNUM 1
#define PCAPW_DEVNUM 1

struct pcapw;

/* The identity the synthetic device descriptor shows (0:0 with --ffs,
 * where configfs is someone else's). */
struct pcapw_identity {
	uint16_t vid, pid, bcd_device;
};

/* Create (truncate) `path` and write the pcap file header. `cfg` gives
 * the CCID class descriptor and the largest message. Returns 0 or -errno
 * with one line in err. */
int pcapw_open(const char *path, const struct ccid_reader_config *cfg,
	       const struct pcapw_identity *id, struct pcapw **out, char *err,
	       size_t errlen);
void pcapw_close(struct pcapw *w);

/* The host configured the interface at `speed`: write the enumeration
 * records (GET_DESCRIPTOR device and configuration, SET_CONFIGURATION). */
void pcapw_enumerated(struct pcapw *w, enum ffs_speed speed);

/* The host went away (disable, unbind, reset): drop a partial OUT message
 * and forget IN transfers in flight. */
void pcapw_host_gone(struct pcapw *w);

/* One bulk-OUT read completed: `len` bytes of the `asked` the read was
 * for (a short read ends the host's transfer). data is the caller's. */
void pcapw_bulk_out(struct pcapw *w, const uint8_t *data, size_t len,
		    size_t asked);

/* An IN write of `len` bytes was submitted on ep (FFS_EP_BULK_IN or
 * FFS_EP_INTR_IN); then it completed with `status` (0 or -errno) and the
 * data the host got. */
void pcapw_in_submit(struct pcapw *w, enum ffs_ep_index ep, size_t len);
void pcapw_in_done(struct pcapw *w, enum ffs_ep_index ep, int status,
		   const uint8_t *data, size_t len);

/* Records written so far (for tests and the closing log line). */
uint64_t pcapw_records(const struct pcapw *w);

#endif
