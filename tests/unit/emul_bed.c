/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The emulated-card test bed: see emul_bed.h. */
#include "emul_bed.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <pk11pub.h>

#include "ccid_fake.h"
#include "vcg_card.h"

const char *const emul_nicks[3] = { "id-cert", "signing-cert",
				    "encryption-cert" };
const char *const emul_der_names[3] = { "id-cert.der", "signing-cert.der",
					"encryption-cert.der" };

/* ---- the parent's set-up ---- */

const char *emul_find_script(void)
{
	static char path[PATH_MAX + 64];
	const char *env = getenv("VCG_FAKE_SMARTCARD");
	char exe[PATH_MAX];
	ssize_t n;

	if (env != NULL && access(env, X_OK) == 0)
		return env;
	if (access("scripts/make-fake-smartcard", X_OK) == 0)
		return "scripts/make-fake-smartcard";
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	/* build/tests/X or build/asan/tests/X: walk up to the repo. */
	for (int up = 0; up < 5; up++) {
		char *slash = strrchr(exe, '/');

		if (slash == NULL)
			return NULL;
		*slash = '\0';
		snprintf(path, sizeof(path), "%s/scripts/make-fake-smartcard", exe);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

int emul_make_db(const char *script, const char *dir, const char *pin)
{
	char cmd[PATH_MAX * 3];

	snprintf(cmd, sizeof(cmd), "'%s' '%s' %s%s%s >/dev/null", script, dir,
		 pin ? "'" : "", pin ? pin : "", pin ? "'" : "");
	return system(cmd) == 0 ? 0 : -1;
}

/* The process that made the directory, and the directory (NULL until
 * mkdtemp made it). Only the parent removes it. */
static pid_t parent_pid;
static const char *made_dir;

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tmpdir(void)
{
	if (getpid() == parent_pid && made_dir != NULL)
		nftw(made_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_signal(int sig)
{
	(void)sig;
	exit(2);
}

int emul_dbs_make(struct emul_dbs *d, const char *name, const char *pin)
{
	const char *script = emul_find_script();
	int n;

	memset(d, 0, sizeof(*d));
	parent_pid = getpid();
	atexit(remove_tmpdir);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	n = snprintf(d->tmpdir, sizeof(d->tmpdir), "/tmp/vcg-%s-XXXXXX", name);
	if (n < 0 || (size_t)n >= sizeof(d->tmpdir))
		return -1;
	if (script == NULL || system("command -v certutil >/dev/null") != 0 ||
	    mkdtemp(d->tmpdir) == NULL)
		return -1;
	made_dir = d->tmpdir;
	snprintf(d->nopin, sizeof(d->nopin), "%s/nopin", d->tmpdir);
	snprintf(d->pin, sizeof(d->pin), "%s/pin", d->tmpdir);
	if (emul_make_db(script, d->nopin, NULL) < 0 ||
	    emul_make_db(script, d->pin, pin) < 0)
		return -1;
	return 0;
}

void emul_skip_all(const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("ok - %s # SKIP no fake smart card db (needs scripts/make-fake-smartcard and certutil)\n",
		       names[i]);
}

size_t emul_read_file(const char *dir, const char *name, uint8_t *buf,
		      size_t cap)
{
	char path[2 * PATH_MAX];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

void emul_spec_for(char *out, size_t cap, const char *db, const char *c1,
		   const char *c2, const char *c3)
{
	snprintf(out, cap,
		 "emulated,backend=certificates,db=sql:%s,cert1=%s,cert2=%s,cert3=%s",
		 db, c1, c2, c3);
}

/* ---- the harness ---- */

bool emul_in_child(const char *name, void (*fn)(void), int *failed)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		*failed = 0;
		fn();
		fflush(stderr);
		exit(*failed ? 1 : 0);   /* exit(): leak checkers run */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		fprintf(stderr, "  %s: fork/wait failed\n", name);
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		fprintf(stderr, "  %s: killed by signal %d\n", name, WTERMSIG(status));
	else
		fprintf(stderr, "  %s: exit status %d\n", name, WEXITSTATUS(status));
	return false;
}

void emul_report(const char *name, bool ok, int *failures)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", name);
	fflush(stdout);
	if (!ok)
		(*failures)++;
}

/* ---- the bed ---- */

int bed_start(struct emul_bed *b, const char *spec, bool expect_ok,
	      const struct bed_opts *opts)
{
	bool two = opts != NULL && opts->other_slot;

	memset(b, 0, sizeof(*b));
	b->eng = ccid_fake_engine(two ? 2 : 1, 0);
	if (b->eng == NULL)
		return -1;
	b->card = vcg_card_create(spec, b->eng, 0, NULL, b->err, sizeof(b->err));
	if (b->card == NULL) {
		if (expect_ok)
			fprintf(stderr, "  create '%s': %s\n", spec, b->err);
		return -1;
	}
	if (opts != NULL && opts->log != NULL)
		vcg_card_set_log(b->card, opts->log, opts->log_ctx);
	if (!two)
		return 0;
	b->other = vcg_card_create("test", b->eng, 1, NULL, b->err, sizeof(b->err));
	if (b->other == NULL)
		return -1;
	while (ccid_engine_peek_intr_in(b->eng) != NULL)
		ccid_engine_pop_intr_in(b->eng);
	return 0;
}

int bed_open(struct emul_bed *b, const char *spec, const struct bed_opts *opts)
{
	return bed_start(b, spec, true, opts);
}

void bed_close(struct emul_bed *b)
{
	vcg_card_destroy(b->card);
	b->card = NULL;
	vcg_card_destroy(b->other);
	b->other = NULL;
	ccid_engine_free(b->eng);
	b->eng = NULL;
}

int bed_pump(struct emul_bed *b, int ms)
{
	struct pollfd p = { .fd = vcg_card_fd(b->card), .events = POLLIN };
	int n = poll(&p, 1, ms);

	if (n < 0)
		return -errno;
	if (n == 1)
		vcg_card_dispatch(b->card);
	return n;
}

int bed_answer(struct emul_bed *b)
{
	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		b->in_len = ccid_fake_pop(b->eng, b->in, sizeof(b->in));
		if (b->in_len == (size_t)-1)
			return -1;
		if (b->in_len >= 10 && b->in[0] == CCID_RDR_DATA_BLOCK &&
		    (b->in[7] & 0xC0) == CCID_STATUS(0, CCID_CMD_STATUS_TIME_EXT))
			continue;
		if (b->in_len > 0)
			return 0;
		if (bed_pump(b, 10) < 0)
			return -1;
	}
	return -1;
}

int bed_power_on(struct emul_bed *b, uint8_t slot)
{
	ccid_fake_send(b->eng, CCID_PC_ICC_POWER_ON, slot, ++b->seq, 0, 0, 0, NULL,
		       0);
	if (bed_answer(b) < 0 || b->in[0] != CCID_RDR_DATA_BLOCK ||
	    b->in[6] != b->seq)
		return -1;
	return (b->in[7] & 0xC0) == 0 ? 0 : -1;
}

long bed_xfr1(struct emul_bed *b, const uint8_t *apdu, size_t len)
{
	ccid_fake_send(b->eng, CCID_PC_XFR_BLOCK, 0, ++b->seq, 0, 0, 0, apdu, len);
	if (bed_answer(b) < 0 || b->in[0] != CCID_RDR_DATA_BLOCK ||
	    b->in[6] != b->seq || (b->in[7] & 0xC0) != 0 || b->in_len < 12)
		return -1;
	return (long)(b->in_len - 10);
}

int bed_apdu(struct emul_bed *b, const uint8_t *cmd, size_t len,
	     uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t get_response[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	size_t got = 0;
	long n = bed_xfr1(b, cmd, len);

	for (;;) {
		const uint8_t *r = b->in + 10;
		size_t data;

		if (n < 2)
			return -1;
		data = (size_t)n - 2;
		if (out != NULL && got + data <= cap)
			memcpy(out + got, r, data);
		got += data;
		if (r[data] != 0x61)
			break;
		get_response[4] = r[data + 1];
		n = bed_xfr1(b, get_response, sizeof(get_response));
	}
	if (out_len != NULL)
		*out_len = got;
	return b->in[10 + n - 2] << 8 | b->in[10 + n - 1];
}

int bed_select_pki(struct emul_bed *b, int i)
{
	uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00,
			  0x00, 0x79, 0x01, (uint8_t)i };

	return bed_apdu(b, sel, sizeof(sel), NULL, 0, NULL);
}

/* Inflate a zlib stream of stored deflate blocks (RFC 1950 2.2, RFC 1951
 * 3.2.4: what vcg_cacpki.c writes) into out. Returns its length or 0. */
static size_t unstore(const uint8_t *z, size_t n, uint8_t *out, size_t cap)
{
	size_t i = 2, o = 0;
	int final = 0;

	if (n < 2 + 5 + 4 || z[0] != 0x78 || (z[0] * 256 + z[1]) % 31 != 0)
		return 0;
	while (!final) {
		size_t len;

		if (i + 5 > n || (z[i] & 0x06) != 0)   /* BTYPE 00 only */
			return 0;
		final = z[i] & 0x01;
		len = (size_t)(z[i + 1] | z[i + 2] << 8);
		if ((len ^ (size_t)(z[i + 3] | z[i + 4] << 8)) != 0xFFFF ||
		    i + 5 + len > n || o + len > cap)
			return 0;
		memcpy(out + o, z + i + 5, len);
		o += len;
		i += 5 + len;
	}
	return i + 4 == n ? o : 0;   /* the Adler-32 trailer ends it */
}

/* READ BUFFER the PKI applet's value buffer: 2-byte length (LE), then
 * CertInfo (1 byte), then the certificate (GSC-IS 2.1 READ BUFFER).
 * CertInfo 01: a zlib stream, as vcg_cacpki.c serves it in front of
 * libcacard (whose own is 00, plain DER). */
size_t bed_read_cert(struct emul_bed *b, int i, uint8_t *cert, size_t cap)
{
	static uint8_t buf[8192];
	size_t total = 2, have = 0;

	if (bed_select_pki(b, i) != 0x9000)
		return 0;
	while (have < total && have < sizeof(buf)) {
		size_t want = total - have > 255 ? 255 : total - have;
		uint8_t rd[] = { 0x80, 0x52, (uint8_t)(have >> 8),
				 (uint8_t)have, 0x02, 0x02, (uint8_t)want,
				 0x00 };
		size_t n = 0;

		if (bed_apdu(b, rd, sizeof(rd), buf + have, sizeof(buf) - have,
			     &n) != 0x9000 || n == 0)
			return 0;
		have += n;
		if (have >= 2)
			total = 2 + (size_t)(buf[0] | buf[1] << 8);
	}
	if (total < 3 || total > sizeof(buf) || buf[2] != 0x01)
		return 0;
	total = unstore(buf + 3, total - 3, cert, cap);
	/* The cert is a DER SEQUENCE. */
	if (total < 4 || cert[0] != 0x30 || cert[1] != 0x82 ||
	    total != 4 + (size_t)(cert[2] << 8 | cert[3]))
		return 0;
	return total;
}

int bed_verify_pin(struct emul_bed *b, const char *pin)
{
	uint8_t v[13] = { 0x00, 0x20, 0x00, 0x00, 0x08 };

	/* CAC PINs are 8 bytes, padded with FF. */
	memset(v + 5, 0xFF, 8);
	memcpy(v + 5, pin, strlen(pin));
	return bed_apdu(b, v, sizeof(v), NULL, 0, NULL);
}

int bed_sign_and_check(struct emul_bed *b, int i, const uint8_t *cert_der,
		       size_t cert_len)
{
	uint8_t block[256], sig[300], raw[256];
	uint8_t cmd[5 + 128];
	size_t sig_len = 0;
	unsigned out_len = 0;
	CERTCertificate *cert;
	SECKEYPublicKey *pub;
	int sw;

	block[0] = 0x00;
	block[1] = 0x01;
	memset(block + 2, 0xFF, 256 - 2 - 1 - 20);
	block[256 - 21] = 0x00;
	for (int k = 0; k < 20; k++)
		block[256 - 20 + k] = (uint8_t)(0xA0 + k);

	if (bed_select_pki(b, i) != 0x9000)
		return -1;
	memcpy(cmd, (const uint8_t[]){ 0x80, 0x42, 0x80, 0x00, 0x80 }, 5);
	memcpy(cmd + 5, block, 128);
	sw = bed_apdu(b, cmd, sizeof(cmd), NULL, 0, NULL);
	if (sw != 0x9000)
		return sw;
	cmd[2] = 0x00;
	memcpy(cmd + 5, block + 128, 128);
	sw = bed_apdu(b, cmd, sizeof(cmd), sig, sizeof(sig), &sig_len);
	if (sw != 0x9000)
		return sw;
	if (sig_len != 256)
		return -1;
	/* NSS is up in this process (libcacard started it): s^e mod n must
	 * give the block back. */
	cert = CERT_DecodeCertFromPackage((char *)cert_der, (int)cert_len);
	if (cert == NULL)
		return -1;
	pub = CERT_ExtractPublicKey(cert);
	CERT_DestroyCertificate(cert);
	if (pub == NULL)
		return -1;
	if (PK11_PubEncryptRaw(pub, raw, sig, 256, NULL) != SECSuccess)
		out_len = 0;
	else
		out_len = 256;
	SECKEY_DestroyPublicKey(pub);
	if (out_len != 256 || memcmp(raw, block, 256) != 0)
		return -1;
	return 0x9000;
}

int bed_next_slot_change(struct emul_bed *b)
{
	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		const struct ccid_msg *m = ccid_engine_peek_intr_in(b->eng);

		if (m != NULL) {
			int v = m->len == 2 && m->data[0] == CCID_RDR_NOTIFY_SLOT_CHANGE
					? m->data[1] & 0x03 : -1;

			ccid_engine_pop_intr_in(b->eng);
			return v;
		}
		if (bed_pump(b, 10) < 0)
			return -1;
	}
	return -1;
}

int bed_slot_status(struct emul_bed *b)
{
	ccid_fake_send(b->eng, CCID_PC_GET_SLOT_STATUS, 0, ++b->seq, 0, 0, 0,
		       NULL, 0);
	if (bed_answer(b) < 0 || b->in[0] != CCID_RDR_SLOT_STATUS)
		return -1;
	return b->in[7] & 0x03;
}
