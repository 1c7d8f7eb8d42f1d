/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cacard_rss: what libcacard + NSS alone take (make bench's RSS baseline).
 * Initialises libcacard on the NSS db with the same options ccid-gadget's
 * emulated card passes (db="sql:DIR" use_hw=no soft=(,READER,CAC,,c1,c2,c3)),
 * powers the card on, sends N SELECTs of the CAC applet through
 * vreader_xfr_bytes(), prints "VmHWM_kB,VmRSS_kB" of this process.
 * Under NOTIFY_SOCKET (bench_exec --start) it sends READY=1 once the card
 * is powered on and waits for SIGTERM: the start-up floor the daemon's
 * fork-to-READY=1 is compared with, timed the same way.
 *
 *   cacard_rss DBDIR [N]      (certificates id-cert signing-cert
 *                              encryption-cert) */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libcacard.h>

static long status_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;
}

/* sd_notify(READY=1) by hand: one datagram to $NOTIFY_SOCKET ('@' =
 * abstract); nothing if it is unset. */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (path == NULL || (len = strlen(path)) == 0 || len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
	for (;;)
		pause();   /* until bench_exec's SIGTERM */
}

int main(int argc, char **argv)
{
	static const unsigned char select_cac[] = { 0x00, 0xA4, 0x04, 0x00, 0x07,
		0xA0, 0x00, 0x00, 0x00, 0x79, 0x01, 0x00 };
	char opts_str[1024];
	unsigned char buf[4096];
	VReader *reader = NULL;
	int n = argc > 2 ? atoi(argv[2]) : 100, len;

	if (argc < 2) {
		fprintf(stderr, "usage: cacard_rss DBDIR [N]\n");
		return 2;
	}
	snprintf(opts_str, sizeof(opts_str),
		 "db=\"sql:%s\" use_hw=no soft=(,Test,CAC,,id-cert,signing-cert,encryption-cert)",
		 argv[1]);
	VCardEmulOptions *opts = vcard_emul_options(opts_str);

	if (!opts || vcard_emul_init(opts) != VCARD_EMUL_OK) {
		fprintf(stderr, "cacard_rss: vcard_emul_init failed\n");
		return 1;
	}
	for (int tries = 0; !reader && tries < 100; tries++) {
		VReaderList *list = vreader_get_reader_list();
		VReaderListEntry *e = list ? vreader_list_get_first(list) : NULL;

		if (e)
			reader = vreader_reference(vreader_list_get_reader(e));
		if (list)
			vreader_list_delete(list);
		if (!reader)
			usleep(10000);
	}
	if (!reader) {
		fprintf(stderr, "cacard_rss: no reader\n");
		return 1;
	}
	len = sizeof(buf);
	vreader_power_on(reader, buf, &len);
	notify_ready();
	for (int i = 0; i < n; i++) {
		len = sizeof(buf);
		if (vreader_xfr_bytes(reader, (unsigned char *)select_cac,
				      sizeof(select_cac), buf, &len) != VREADER_OK) {
			fprintf(stderr, "cacard_rss: APDU failed\n");
			return 1;
		}
	}
	printf("%ld,%ld\n", status_kb("VmHWM:"), status_kb("VmRSS:"));
	return 0;
}
