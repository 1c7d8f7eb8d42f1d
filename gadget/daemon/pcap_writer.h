/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --pcap FILE: the reader's USB traffic as the host saw it, in a pcap file
 * that Wireshark/tshark dissect as USB CCID (LINKTYPE_USB_LINUX_MMAPPED,
 * the format usbmon captures have, and QEMU's usb-ccid pcap= property
 * writes for a VM's reader).
 *
 * Each transfer is one URB, a Submit record and its Complete record, from
 * the host's side: bulk-OUT carries its data in the Submit, bulk-IN and
 * interrupt-IN in the Complete. A bulk-OUT message the daemon reads in
 * pieces (bed trap 6 in tests/vm/README.md: one packet, then the rest) is
 * recorded as the one URB the host sent, once the engine's reassembler
 * says the transfer is over (dwLength is in, or a short packet); a
 * bulk-IN ZLP ends the URB it follows and gets no record of its own.
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
 * A capture holds secrets: the PINs of VERIFY and the data the card
 * decrypts or signs. The file is created fresh (never an existing file
 * or a link: O_EXCL | O_NOFOLLOW), mode 0600, and stops (one log line)
 * before it would pass its size cap. Stop, not rotate: the enumeration
 * records at its start are what lets Wireshark decode the rest as CCID,
 * and a stopped capture keeps the start of the problem and cannot fill
 * the disk however long the daemon runs.
 *
 * Every record is flushed at once: a killed daemon leaves a valid file.
 * Every function takes w == NULL as "no capture" and does nothing. Errors
 * after opening are logged once and end the capture, never the daemon. */
#ifndef PCAP_WRITER_H
#define PCAP_WRITER_H

#include <stdbool.h>
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

/* The size cap until pcapw_set_max_bytes() says otherwise. */
#define PCAPW_DEFAULT_MAX_BYTES (64ull << 20)

/* Create `path` (a new file, mode 0600; an existing file or link is
 * refused with -EEXIST) and write the pcap file header. `cfg` gives the
 * CCID class descriptor and the largest message; it must outlive the
 * writer. Returns 0 or -errno with one line in err. */
int pcapw_open(const char *path, const struct ccid_reader_config *cfg,
	       const struct pcapw_identity *id, struct pcapw **out, char *err,
	       size_t errlen);
void pcapw_close(struct pcapw *w);

/* The file never grows past max_bytes (file header included): the record
 * that would pass it ends the capture, with one log line. */
void pcapw_set_max_bytes(struct pcapw *w, uint64_t max_bytes);

/* The host configured the interface at `speed`: write the enumeration
 * records (GET_DESCRIPTOR device and configuration, SET_CONFIGURATION). */
void pcapw_enumerated(struct pcapw *w, enum ffs_speed speed);

/* The host went away (disable, unbind, reset): drop a partial OUT message
 * and forget IN transfers in flight. */
void pcapw_host_gone(struct pcapw *w);

/* One bulk-OUT read completed with `len` bytes (data is the caller's);
 * `transfer_ends`: it ended the host's transfer. The engine's framing
 * decides that, not this file: feed the read to the engine first, then
 * pass ccid_engine_out_idle(). The reads of one transfer are recorded as
 * one URB. */
void pcapw_bulk_out(struct pcapw *w, const uint8_t *data, size_t len,
		    bool transfer_ends);

/* An IN write of `len` bytes was submitted on ep (FFS_EP_BULK_IN or
 * FFS_EP_INTR_IN); then it completed with `status` (0 or -errno) and the
 * data the host got. */
void pcapw_in_submit(struct pcapw *w, enum ffs_ep_index ep, size_t len);
void pcapw_in_done(struct pcapw *w, enum ffs_ep_index ep, int status,
		   const uint8_t *data, size_t len);

/* Records written so far (for tests and the closing log line). */
uint64_t pcapw_records(const struct pcapw *w);

#endif
