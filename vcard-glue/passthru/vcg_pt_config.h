/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "passthru" card SPEC, validated. Pure: no sockets, no files (fuzzed
 * with the other SPEC parsers).
 *
 *   passthru,listen=[HOST:]PORT | listen=unix:PATH
 *           [,attach=reader|always][,timeout=S][,debug=N]
 *           [,tls-creds=DIR[,tls-allow=FILE]]
 *
 * listen   where the VSCard server listens (QEMU's ccid-card-passthru
 *          chardev, libvirt `<smartcard mode='passthrough' type='tcp'>`).
 *          HOST is an IPv4 address, an IPv6 address in brackets
 *          ("[::1]:2001") or a name; without HOST it is 127.0.0.1, so the
 *          port is not reachable from the network unless asked for
 *          ("0.0.0.0:2001", "[::]:2001"). PORT 0 picks a free port (the
 *          log says which). unix:PATH listens on a Unix socket, mode 0600.
 * attach   reader (default): as QEMU's usb-ccid, the PC sees the reader
 *          only while a client has added one (VSC_ReaderAdd binds the
 *          UDC, VSC_ReaderRemove or a dropped connection unbinds it),
 *          when every card of the daemon is a passthru card; with other
 *          cards, or always: the reader stays plugged in and only the
 *          card comes and goes.
 * timeout  seconds a client may take to answer an APDU (1..3600, 0 =
 *          wait for ever; default 30). Meanwhile the host is kept waiting
 *          with CCID time extensions; then the APDU fails (the host sees
 *          a mute card) and the connection stays.
 * debug    accepted for QEMU compatibility (its ccid-card-passthru has
 *          it); tracing follows the daemon's -v.
 * tls-creds  TLS with client-certificate authentication: DIR in QEMU's
 *          tls-creds-x509 layout (ca-cert.pem, server-cert.pem,
 *          server-key.pem); only clients whose certificate chains to the
 *          CA get in, and with tls-allow=FILE only those it lists.
 *
 *   passthru,spice=[HOST:]PORT[,password-file=F][,tls-port=P,x509-dir=DIR]
 *           [,attach=...][,timeout=...]
 *
 * spice    instead of listen=: a SPICE server on HOST:PORT (127.0.0.1
 *          without HOST) offering the smartcard channel (QEMU `-spice
 *          port=...` with `-chardev spicevmc,name=smartcard`, libvirt
 *          `<smartcard mode='passthrough' type='spicevmc'>`); remote-
 *          viewer --spice-smartcard lends its card. PORT 0: no plain port
 *          (TLS only). The SPICE library is loaded only for such a card.
 * password-file  the SPICE ticket (QEMU password-secret): the file's
 *          first line, 1..60 bytes; without it no password is asked.
 * tls-port, x509-dir  SPICE over TLS on port P, DIR in QEMU's x509
 *          layout (ca-cert.pem, server-cert.pem, server-key.pem). */
#ifndef VCG_PT_CONFIG_H
#define VCG_PT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "vcg_spec.h"

#define VCG_PT_HOST_MAX 255
#define VCG_PT_PATH_MAX 107            /* sun_path less its NUL */
#define VCG_PT_FILE_MAX 1024
#define VCG_PT_DEFAULT_HOST "127.0.0.1"
#define VCG_PT_DEFAULT_TIMEOUT_S 30
#define VCG_PT_MAX_TIMEOUT_S 3600

enum vcg_pt_attach {
	VCG_PT_ATTACH_READER,
	VCG_PT_ATTACH_ALWAYS,
};

struct vcg_pt_config {
	bool unix_socket;
	char host[VCG_PT_HOST_MAX + 1];    /* TCP: without brackets */
	unsigned port;                     /* TCP: 0..65535 */
	char path[VCG_PT_PATH_MAX + 1];    /* unix */
	enum vcg_pt_attach attach;
	unsigned timeout_s;                /* 0 = none */
	char tls_creds[VCG_PT_FILE_MAX + 1];  /* "" = plain */
	char tls_allow[VCG_PT_FILE_MAX + 1];  /* "" = any client of the CA */
	bool spice;        /* spice=: host and port are its */
	unsigned tls_port; /* spice: 0 = no TLS */
	char password_file[VCG_PT_FILE_MAX + 1]; /* spice: "" = no ticket */
	char x509_dir[VCG_PT_FILE_MAX + 1];      /* spice: with tls_port */
	char describe[VCG_PT_HOST_MAX + VCG_PT_FILE_MAX + 64];
};

extern const char *const vcg_pt_keys[];   /* the accepted properties */

/* Validate `spec` (driver "passthru", keys checked against vcg_pt_keys)
 * into cfg (caller-owned). Returns 0 or -EINVAL with one line in err. */
int vcg_pt_config_from_spec(const struct vcg_spec *spec,
			    struct vcg_pt_config *cfg, char *err,
			    size_t errlen);

#endif
