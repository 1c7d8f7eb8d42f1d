/* The "emulated" card driver (libcacard) driven through the CCID engine
 * with raw CCID messages, on NSS databases made by
 * scripts/make-fake-smartcard in a temporary directory.
 *
 * libcacard initialises once per process (vcg_cacard.h), so every case
 * runs in a forked child: each starts from a clean process, and one case
 * cannot pass because of another's state. The child's exit status is the
 * case's result; valgrind and ASan check each child at its exit.
 *
 * The script is found through $VCG_FAKE_SMARTCARD, else
 * scripts/make-fake-smartcard under the current directory (tests/run-all
 * runs from the repository root), else next to the binary's tree. */
#include <errno.h>
#include <fcntl.h>
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
#include "tap.h"
#include "vcg_card.h"

#define MSG_ICC_POWER_ON 0x62       /* Section 6.1.1 */
#define MSG_ICC_POWER_OFF 0x63      /* Section 6.1.2 */
#define MSG_GET_SLOT_STATUS 0x65    /* Section 6.1.3 */
#define MSG_XFR_BLOCK 0x6F          /* Section 6.1.4 */
#define MSG_DATA_BLOCK 0x80         /* Section 6.2.1 */
#define MSG_SLOT_STATUS 0x81        /* Section 6.2.2 */
#define MSG_NOTIFY_SLOT_CHANGE 0x50 /* Section 6.3.1 */
#define STATUS_TIME_EXT 0x80        /* bmCommandStatus 2, Table 6.2-3 */
#define STATUS_FAILED 0x40          /* bmCommandStatus 1 */
#define WAIT_MS 20000               /* cap on any wait; never asserted */

/* libcacard's ATR (vcard_emul_get_atr: T=0 only, historical bytes). */
static const uint8_t cacard_atr[] = {
	0x3B, 0x7A, 0x18, 0x00, 0x00, 0x73, 0x66, 0x74, 0x65, 0x20, 0x63,
	0x64, 0x31, 0x34, 0x34,
};
static const char *const nicks[3] = { "id-cert", "signing-cert",
				      "encryption-cert" };

static char tmpdir[] = "/tmp/vcg-emulated-XXXXXX";
static char db_nopin[PATH_MAX], db_pin[PATH_MAX];
static char err[1024];

/* ---- fixtures ---- */

static const char *find_script(void)
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

static int make_db(const char *script, const char *dir, const char *pin)
{
	char cmd[PATH_MAX * 2 + 64];

	snprintf(cmd, sizeof(cmd), "'%s' '%s' %s%s%s >/dev/null", script, dir,
		 pin ? "'" : "", pin ? pin : "", pin ? "'" : "");
	return system(cmd) == 0 ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static size_t read_file(const char *dir, const char *name, uint8_t *buf,
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

/* ---- driving the engine ---- */

struct bed {
	struct ccid_engine *eng;
	struct vcg_card *card;
	uint8_t seq;
	uint8_t in[70000];
	size_t in_len;
};

/* Poll the card's fd once (up to ms) and dispatch. */
static int pump(struct bed *b, int ms)
{
	struct pollfd p = { .fd = vcg_card_fd(b->card), .events = POLLIN };
	int n = poll(&p, 1, ms);

	if (n < 0)
		return -errno;
	if (n == 1)
		vcg_card_dispatch(b->card);
	return n;
}

/* The answer to the last command, skipping time extensions: dispatch
 * until the bulk-IN queue has a final message. */
static int answer(struct bed *b)
{
	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		b->in_len = ccid_fake_pop(b->eng, b->in, sizeof(b->in));
		if (b->in_len == (size_t)-1)
			return -1;
		if (b->in_len >= 10 && b->in[0] == MSG_DATA_BLOCK &&
		    (b->in[7] & 0xC0) == STATUS_TIME_EXT)
			continue;
		if (b->in_len > 0)
			return 0;
		if (pump(b, 10) < 0)
			return -1;
	}
	return -1;
}

static int power_on(struct bed *b)
{
	ccid_fake_send(b->eng, MSG_ICC_POWER_ON, 0, ++b->seq, 0, 0, 0, NULL, 0);
	if (answer(b) < 0 || b->in[0] != MSG_DATA_BLOCK || b->in[6] != b->seq)
		return -1;
	return (b->in[7] & 0xC0) == 0 ? 0 : -1;
}

/* One XfrBlock; returns the response APDU length (data + SW) or -1. */
static long xfr1(struct bed *b, const uint8_t *apdu, size_t len)
{
	ccid_fake_send(b->eng, MSG_XFR_BLOCK, 0, ++b->seq, 0, 0, 0, apdu, len);
	if (answer(b) < 0 || b->in[0] != MSG_DATA_BLOCK || b->in[6] != b->seq ||
	    (b->in[7] & 0xC0) != 0 || b->in_len < 12)
		return -1;
	return (long)(b->in_len - 10);
}

/* An APDU as the host stack sends it (T=0 style): follow 61xx with GET
 * RESPONSE, collect the data into out; returns SW1SW2 or -1. */
static int apdu(struct bed *b, const uint8_t *cmd, size_t len, uint8_t *out,
		size_t cap, size_t *out_len)
{
	uint8_t get_response[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	size_t got = 0;
	long n = xfr1(b, cmd, len);

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
		n = xfr1(b, get_response, sizeof(get_response));
	}
	if (out_len != NULL)
		*out_len = got;
	return b->in[10 + n - 2] << 8 | b->in[10 + n - 1];
}

static int select_pki(struct bed *b, int i)
{
	uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00,
			  0x00, 0x79, 0x01, (uint8_t)i };

	return apdu(b, sel, sizeof(sel), NULL, 0, NULL);
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
 * libcacard (whose own is 00, plain DER). Returns the cert length. */
static size_t read_cert(struct bed *b, int i, uint8_t *cert, size_t cap)
{
	static uint8_t buf[8192];
	size_t total = 2, have = 0;

	if (select_pki(b, i) != 0x9000)
		return 0;
	while (have < total && have < sizeof(buf)) {
		size_t want = total - have > 255 ? 255 : total - have;
		uint8_t rd[] = { 0x80, 0x52, (uint8_t)(have >> 8),
				 (uint8_t)have, 0x02, 0x02, (uint8_t)want,
				 0x00 };
		size_t n = 0;

		if (apdu(b, rd, sizeof(rd), buf + have, sizeof(buf) - have,
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

static int verify_pin(struct bed *b, const char *pin)
{
	uint8_t v[13] = { 0x00, 0x20, 0x00, 0x00, 0x08 };

	/* CAC PINs are 8 bytes, padded with FF. */
	memset(v + 5, 0xFF, 8);
	memcpy(v + 5, pin, strlen(pin));
	return apdu(b, v, sizeof(v), NULL, 0, NULL);
}

/* SIGN/DECRYPT a PKCS#1 v1.5 type 1 block with PKI applet i, in two
 * chained chunks (P1 80 then 00); check the signature with the
 * certificate's public key. Returns SW, or -1 for a wrong signature. */
static int sign_and_check(struct bed *b, int i, const uint8_t *cert_der,
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

	if (select_pki(b, i) != 0x9000)
		return -1;
	memcpy(cmd, (const uint8_t[]){ 0x80, 0x42, 0x80, 0x00, 0x80 }, 5);
	memcpy(cmd + 5, block, 128);
	sw = apdu(b, cmd, sizeof(cmd), NULL, 0, NULL);
	if (sw != 0x9000)
		return sw;
	cmd[2] = 0x00;
	memcpy(cmd + 5, block + 128, 128);
	sw = apdu(b, cmd, sizeof(cmd), sig, sizeof(sig), &sig_len);
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

/* An engine and the card from spec. A failure leaves the line in err
 * (printed when `expect_ok`). */
static int bed_start(struct bed *b, const char *spec, bool expect_ok)
{
	memset(b, 0, sizeof(*b));
	b->eng = ccid_fake_engine(1, 0);
	if (b->eng == NULL)
		return -1;
	b->card = vcg_card_create(spec, b->eng, 0, err, sizeof(err));
	if (b->card == NULL) {
		if (expect_ok)
			fprintf(stderr, "  create '%s': %s\n", spec, err);
		return -1;
	}
	return 0;
}

static int bed_open(struct bed *b, const char *spec)
{
	return bed_start(b, spec, true);
}

static void bed_close(struct bed *b)
{
	vcg_card_destroy(b->card);
	b->card = NULL;
	ccid_engine_free(b->eng);
	b->eng = NULL;
}

/* The next NotifySlotChange byte for slot 0 (dispatching as needed). */
static int next_slot_change(struct bed *b)
{
	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		const struct ccid_msg *m = ccid_engine_peek_intr_in(b->eng);

		if (m != NULL) {
			int v = m->len == 2 && m->data[0] == MSG_NOTIFY_SLOT_CHANGE
					? m->data[1] & 0x03 : -1;

			ccid_engine_pop_intr_in(b->eng);
			return v;
		}
		if (pump(b, 10) < 0)
			return -1;
	}
	return -1;
}

static int slot_status(struct bed *b)
{
	ccid_fake_send(b->eng, MSG_GET_SLOT_STATUS, 0, ++b->seq, 0, 0, 0,
		       NULL, 0);
	if (answer(b) < 0 || b->in[0] != MSG_SLOT_STATUS)
		return -1;
	return b->in[7] & 0x03;
}

static void spec_for(char *out, size_t cap, const char *db, const char *c1,
		     const char *c2, const char *c3)
{
	snprintf(out, cap,
		 "emulated,backend=certificates,db=sql:%s,cert1=%s,cert2=%s,cert3=%s",
		 db, c1, c2, c3);
}

/* ---- cases (each runs in its own process) ---- */

static void certificates_read_out(void)
{
	static uint8_t want[4096], got[4096];
	char spec[PATH_MAX + 128];
	struct bed *b = calloc(1, sizeof(*b));

	spec_for(spec, sizeof(spec), db_nopin, nicks[0], nicks[1], nicks[2]);
	CHECK_EQ(bed_open(b, spec), 0);
	if (b->card == NULL)
		goto out;
	snprintf(spec, sizeof(spec), "emulated certificates sql:%s", db_nopin);
	CHECK(strcmp(vcg_card_describe(b->card), spec) == 0);
	CHECK(vcg_card_fd(b->card) >= 0);
	CHECK_EQ(slot_status(b), 1);      /* present, not powered */
	CHECK_EQ(power_on(b), 0);
	CHECK_EQ(b->in_len, 10 + sizeof(cacard_atr));
	CHECK_MEM(b->in + 10, cacard_atr, sizeof(cacard_atr));
	CHECK_EQ(slot_status(b), 0);      /* active */
	for (int i = 0; i < 3; i++) {
		size_t wn = read_file(db_nopin, i == 0 ? "id-cert.der" :
					       i == 1 ? "signing-cert.der" :
							"encryption-cert.der",
				      want, sizeof(want));
		size_t gn = read_cert(b, i, got, sizeof(got));

		CHECK(wn > 0);
		CHECK_EQ(gn, wn);
		if (gn == wn && wn > 0)
			CHECK_MEM(got, want, wn);
	}
	/* There is no fourth PKI applet. */
	CHECK_EQ(select_pki(b, 3), 0x6A82);
	/* Malformed APDUs from the host get a status word, not a crash. */
	{
		static const uint8_t shorty[] = { 0x00, 0xA4 };
		static const uint8_t lc_lies[] = { 0x00, 0xA4, 0x04, 0x00, 0x20, 0x01 };

		CHECK_EQ(apdu(b, shorty, sizeof(shorty), NULL, 0, NULL), 0x6700);
		CHECK(apdu(b, lc_lies, sizeof(lc_lies), NULL, 0, NULL) > 0x6000);
		CHECK_EQ(apdu(b, shorty, 1, NULL, 0, NULL), 0x6700);
	}
out:
	bed_close(b);
	free(b);
}

static void certificates_sign_without_pin_db(void)
{
	static uint8_t cert[4096];
	char spec[PATH_MAX + 128];
	struct bed *b = calloc(1, sizeof(*b));
	size_t n;

	spec_for(spec, sizeof(spec), db_nopin, nicks[0], nicks[1], nicks[2]);
	CHECK_EQ(bed_open(b, spec), 0);
	if (b->card == NULL)
		goto out;
	CHECK_EQ(power_on(b), 0);
	/* A db without a password accepts any PIN (NSS needs no login). */
	CHECK_EQ(verify_pin(b, "0000"), 0x9000);
	for (int i = 0; i < 3; i++) {
		n = read_cert(b, i, cert, sizeof(cert));
		CHECK(n > 0);
		CHECK_EQ(sign_and_check(b, i, cert, n), 0x9000);
	}
out:
	bed_close(b);
	free(b);
}

static void pin_db_right_and_wrong_pin(void)
{
	static uint8_t cert[4096];
	char spec[PATH_MAX + 128];
	struct bed *b = calloc(1, sizeof(*b));
	size_t n;

	spec_for(spec, sizeof(spec), db_pin, nicks[0], nicks[1], nicks[2]);
	CHECK_EQ(bed_open(b, spec), 0);
	if (b->card == NULL)
		goto out;
	CHECK_EQ(power_on(b), 0);
	n = read_cert(b, 1, cert, sizeof(cert));   /* public: no PIN */
	CHECK(n > 0);
	/* Not logged in: the private key is out of reach. libcacard answers
	 * 69 85 (conditions of use not satisfied). */
	CHECK_EQ(sign_and_check(b, 1, cert, n), 0x6985);
	/* A wrong PIN: libcacard maps PK11_Authenticate's failure to 69 85,
	 * not 63 Cx (it keeps no retry counter). */
	CHECK_EQ(verify_pin(b, "9999"), 0x6985);
	CHECK_EQ(sign_and_check(b, 1, cert, n), 0x6985);
	/* The db password is the PIN. */
	CHECK_EQ(verify_pin(b, "1234"), 0x9000);
	CHECK_EQ(sign_and_check(b, 1, cert, n), 0x9000);
	/* A wrong PIN logs out again. */
	CHECK_EQ(verify_pin(b, "12345"), 0x6985);
	CHECK_EQ(sign_and_check(b, 1, cert, n), 0x6985);
	/* A power cycle (IccPowerOff / IccPowerOn) logs out too. */
	CHECK_EQ(verify_pin(b, "1234"), 0x9000);
	ccid_fake_send(b->eng, MSG_ICC_POWER_OFF, 0, ++b->seq, 0, 0, 0, NULL, 0);
	CHECK_EQ(answer(b), 0);
	CHECK_EQ(power_on(b), 0);
	CHECK_EQ(sign_and_check(b, 1, cert, n), 0x6985);
out:
	bed_close(b);
	free(b);
}

static void remove_insert(void)
{
	static uint8_t cert[4096];
	char spec[PATH_MAX + 128];
	struct bed *b = calloc(1, sizeof(*b));
	size_t n;

	spec_for(spec, sizeof(spec), db_pin, nicks[0], nicks[1], nicks[2]);
	CHECK_EQ(bed_open(b, spec), 0);
	if (b->card == NULL)
		goto out;
	CHECK_EQ(next_slot_change(b), 0x03);   /* attached: present, changed */
	CHECK_EQ(power_on(b), 0);
	CHECK_EQ(verify_pin(b, "1234"), 0x9000);
	n = read_cert(b, 0, cert, sizeof(cert));
	CHECK(n > 0);

	CHECK_EQ(vcg_card_set_present(b->card, false), 0);
	CHECK_EQ(next_slot_change(b), 0x02);   /* absent, changed */
	CHECK_EQ(slot_status(b), 2);
	ccid_fake_send(b->eng, MSG_ICC_POWER_ON, 0, ++b->seq, 0, 0, 0, NULL, 0);
	CHECK_EQ(answer(b), 0);
	CHECK_EQ(b->in[7] & 0xC0, STATUS_FAILED);
	/* Removing an absent card changes nothing. */
	CHECK_EQ(vcg_card_set_present(b->card, false), 0);

	CHECK_EQ(vcg_card_set_present(b->card, true), 0);
	CHECK_EQ(next_slot_change(b), 0x03);
	CHECK_EQ(slot_status(b), 1);
	CHECK_EQ(power_on(b), 0);
	/* The same card is back: same certificate, signing works after the
	 * PIN (the removal logged it out). */
	{
		static uint8_t again[4096];
		size_t m = read_cert(b, 0, again, sizeof(again));

		CHECK_EQ(m, n);
		if (m == n)
			CHECK_MEM(again, cert, n);
	}
	CHECK_EQ(sign_and_check(b, 0, cert, n), 0x6985);
	CHECK_EQ(verify_pin(b, "1234"), 0x9000);
	CHECK_EQ(sign_and_check(b, 0, cert, n), 0x9000);
	/* Nothing more on the interrupt pipe. */
	CHECK(ccid_engine_peek_intr_in(b->eng) == NULL);
out:
	bed_close(b);
	free(b);
}

static void check_error(const char *spec, const char *want)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = vcg_card_create(spec, eng, 0, err, sizeof(err));

	CHECK(card == NULL);
	vcg_card_destroy(card);
	CHECK(strchr(err, '\n') == NULL);
	if (strcmp(err, want) != 0) {
		fprintf(stderr, "  got:  %s\n  want: %s\n", err, want);
		tap_failed_now = 1;
	}
	/* Nothing attached. */
	CHECK(ccid_engine_peek_intr_in(eng) == NULL);
	ccid_engine_free(eng);
}

static void bad_configurations(void)
{
	static char spec[PATH_MAX + 200], want[4 * PATH_MAX + 600];
	static char dir[PATH_MAX], cmd[4 * PATH_MAX + 200];

	/* missing db */
	snprintf(dir, sizeof(dir), "%s/nonexistent", tmpdir);
	spec_for(spec, sizeof(spec), dir, nicks[0], nicks[1], nicks[2]);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': NSS db directory '%s' does not exist (create it: scripts/make-fake-smartcard DIR, or certutil -N -d sql:DIR)",
		 spec, dir);
	check_error(spec, want);

	/* a directory that is no NSS db */
	snprintf(dir, sizeof(dir), "%s/empty", tmpdir);
	mkdir(dir, 0700);
	spec_for(spec, sizeof(spec), dir, nicks[0], nicks[1], nicks[2]);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': '%s' has no cert9.db, so it is not an NSS sql: database (create it: scripts/make-fake-smartcard DIR, or certutil -N -d sql:DIR)",
		 spec, dir);
	check_error(spec, want);

	/* wrong nickname (one of three: libcacard alone would silently
	 * build a two-certificate card) */
	spec_for(spec, sizeof(spec), db_nopin, nicks[0], "sign-cert", nicks[2]);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': certificate 'sign-cert' not found in sql:%s (list the nicknames: certutil -L -d sql:%s)",
		 spec, db_nopin, db_nopin);
	check_error(spec, want);
	spec_for(spec, sizeof(spec), db_nopin, "a", nicks[1], "c");
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': certificates 'a', 'c' not found in sql:%s (list the nicknames: certutil -L -d sql:%s)",
		 spec, db_nopin, db_nopin);
	check_error(spec, want);

	/* a certificate without its private key */
	snprintf(dir, sizeof(dir), "%s/nokey", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir '%s' && certutil -N -d 'sql:%s' --empty-password && "
		 "certutil -A -d 'sql:%s' -n ca -t ,, -i '%s/fake-smartcard-ca.cer'",
		 dir, dir, dir, db_nopin);
	CHECK_EQ(system(cmd), 0);
	spec_for(spec, sizeof(spec), dir, "ca", "ca", "ca");
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': certificate 'ca' in sql:%s has no private key (the card signs with it: import certificate and key with pk12util)",
		 spec, dir);
	check_error(spec, want);

	/* nss-emulated on a missing db: the hint is about hardware */
	snprintf(spec, sizeof(spec),
		 "emulated,backend=nss-emulated,db=sql:%s/nonexistent", tmpdir);
	snprintf(want, sizeof(want),
		 "card spec '%.80s%s': NSS db directory '%s/nonexistent' does not exist (create it: certutil -N -d sql:DIR, then register the reader's PKCS#11 module: modutil -dbdir sql:DIR -add NAME -libfile LIB.so)",
		 spec, strlen(spec) > 80 ? "..." : "", tmpdir);
	check_error(spec, want);

	/* two certificates instead of three */
	snprintf(spec, sizeof(spec),
		 "emulated,backend=certificates,db=sql:%s,cert1=id-cert,cert2=signing-cert",
		 db_nopin);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': backend=certificates needs exactly three certificates, cert1, cert2 and cert3 (missing: cert3)",
		 spec);
	check_error(spec, want);

	/* malformed nicknames: ',' (written ",,") and ')' */
	snprintf(spec, sizeof(spec),
		 "emulated,backend=certificates,db=sql:%s,cert1=id,,cert,cert2=b,cert3=c",
		 db_nopin);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': cert1='id,cert' contains ',', which libcacard's soft=( list cannot hold (rename the certificate: certutil --rename)",
		 spec);
	check_error(spec, want);
	snprintf(spec, sizeof(spec),
		 "emulated,backend=certificates,db=sql:%s,cert1=a,cert2=b,cert3=c)",
		 db_nopin);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': cert3='c)' contains ')', which libcacard's soft=( list cannot hold (rename the certificate: certutil --rename)",
		 spec);
	check_error(spec, want);

	/* unknown backend, certificates for nss-emulated, dbm: */
	check_error("emulated,backend=certs",
		    "card spec 'emulated,backend=certs': unknown backend 'certs' (use certificates or nss-emulated)");
	check_error("emulated,cert1=a",
		    "card spec 'emulated,cert1=a': cert1 is only for backend=certificates (add backend=certificates, or remove cert1..cert3 to use the NSS hardware tokens)");
	check_error("emulated,db=dbm:/x",
		    "card spec 'emulated,db=dbm:/x': db prefix 'dbm:' is not supported: only sql: NSS databases are (write db=sql:DIR)");
	check_error("emulated,cert4=x",
		    "card spec 'emulated,cert4=x': unknown property 'cert4' for emulated (known: backend, db, cert1, cert2, cert3, debug)");
}

static void unreadable_db_then_good_one(void)
{
	char spec[PATH_MAX + 200], want[2 * PATH_MAX + 400], dir[PATH_MAX];
	char cmd[3 * PATH_MAX];
	struct bed *b = calloc(1, sizeof(*b));
	FILE *f;

	/* A copy of a good db with garbage for cert9.db. */
	snprintf(dir, sizeof(dir), "%s/corrupt", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", db_nopin, dir);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/cert9.db", dir);
	f = fopen(cmd, "wb");
	CHECK(f != NULL);
	if (f != NULL) {
		for (int i = 0; i < 4096; i++)
			fputc((i * 131) & 0xFF, f);
		fclose(f);
	}
	spec_for(spec, sizeof(spec), dir, nicks[0], nicks[1], nicks[2]);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': cannot open NSS db sql:%s: SEC_ERROR_BAD_DATABASE (is it an NSS database? check: certutil -L -d sql:%s)",
		 spec, dir, dir);
	check_error(spec, want);
	if (getuid() != 0) {
		/* Permissions only bind non-root. */
		snprintf(cmd, sizeof(cmd), "%s/key4.db", db_nopin);
		chmod(cmd, 0);
		spec_for(spec, sizeof(spec), db_nopin, nicks[0], nicks[1], nicks[2]);
		check_error(spec, "(not checked)");
		chmod(cmd, 0600);
	}
	/* The failed checks left NSS shut down: the good db still works in
	 * this process. */
	spec_for(spec, sizeof(spec), db_nopin, nicks[0], nicks[1], nicks[2]);
	CHECK_EQ(bed_open(b, spec), 0);
	if (b->card != NULL)
		CHECK_EQ(power_on(b), 0);
	bed_close(b);
	free(b);
}

static void one_per_process_and_reuse(void)
{
	char spec[PATH_MAX + 128], other[PATH_MAX + 128];
	struct bed *b = calloc(1, sizeof(*b));
	struct bed *c = calloc(1, sizeof(*c));

	spec_for(spec, sizeof(spec), db_nopin, nicks[0], nicks[1], nicks[2]);
	spec_for(other, sizeof(other), db_nopin, nicks[2], nicks[1], nicks[0]);
	CHECK_EQ(bed_open(b, spec), 0);
	/* A second emulated card while the first lives. */
	CHECK(bed_start(c, spec, false) < 0);
	CHECK(strstr(err, "': only one emulated card per process (libcacard has one reader list and event queue; use test cards for the other slots)") != NULL);
	bed_close(c);
	/* After destroy, the same options reuse libcacard... */
	CHECK_EQ(vcg_card_set_present(b->card, false), 0);
	CHECK_EQ(next_slot_change(b), 0x03);
	CHECK_EQ(next_slot_change(b), 0x02);
	bed_close(b);
	CHECK_EQ(bed_open(b, spec), 0);
	if (b->card != NULL) {
		/* ...with the state it had: removed. */
		CHECK_EQ(slot_status(b), 2);
		CHECK_EQ(vcg_card_set_present(b->card, true), 0);
		CHECK_EQ(next_slot_change(b), 0x03);
		CHECK_EQ(power_on(b), 0);
		CHECK_EQ(select_pki(b, 0), 0x9000);
	}
	bed_close(b);
	/* Other options cannot: libcacard starts once per process. */
	CHECK(bed_start(c, other, false) < 0);
	CHECK(strstr(err, "': libcacard was started in this process with other options (backend, db or certificates); it starts once per process (restart the daemon)") != NULL);
	bed_close(c);
	free(b);
	free(c);
}

static void nss_emulated_without_hardware(void)
{
	char spec[PATH_MAX + 64], want[PATH_MAX + 64];
	struct bed *b = calloc(1, sizeof(*b));

	/* The fake db registers no PKCS#11 module: no reader, no card. */
	snprintf(spec, sizeof(spec), "emulated,backend=nss-emulated,db=sql:%s",
		 db_nopin);
	CHECK_EQ(bed_open(b, spec), 0);
	if (b->card != NULL) {
		snprintf(want, sizeof(want), "emulated nss-emulated sql:%s",
			 db_nopin);
		CHECK(strcmp(vcg_card_describe(b->card), want) == 0);
		CHECK_EQ(slot_status(b), 2);
		CHECK_EQ(vcg_card_set_present(b->card, true), -ENODEV);
		CHECK(ccid_engine_peek_intr_in(b->eng) == NULL);
	}
	bed_close(b);
	free(b);
}

static void destroy_mid_apdu(void)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0,
				       0x00, 0x00, 0x00, 0x79, 0x01, 0x00 };
	char spec[PATH_MAX + 128];
	struct bed *b = calloc(1, sizeof(*b));

	spec_for(spec, sizeof(spec), db_nopin, nicks[0], nicks[1], nicks[2]);
	CHECK_EQ(bed_open(b, spec), 0);
	if (b->card != NULL) {
		CHECK_EQ(power_on(b), 0);
		/* Queue work on the worker, then tear down at once: the threads
		 * are joined, queued jobs and results freed (valgrind, ASan). */
		ccid_fake_send(b->eng, MSG_XFR_BLOCK, 0, ++b->seq, 0, 0, 0, sel,
			       sizeof(sel));
		CHECK(ccid_engine_busy(b->eng));
		CHECK_EQ(vcg_card_set_present(b->card, false), 0);
	}
	bed_close(b);
	free(b);
}

static void abort_mid_apdu(void)
{
	static uint8_t cert[4096];
	char spec[PATH_MAX + 128];
	struct bed *b = calloc(1, sizeof(*b));
	size_t n;

	spec_for(spec, sizeof(spec), db_nopin, nicks[0], nicks[1], nicks[2]);
	CHECK_EQ(bed_open(b, spec), 0);
	if (b->card == NULL)
		goto out;
	CHECK_EQ(power_on(b), 0);
	n = read_cert(b, 2, cert, sizeof(cert));
	CHECK(n > 0);
	for (int round = 0; round < 5; round++) {
		static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x00, 0x08,
						  '1', '2', '3', '4', 0xFF,
						  0xFF, 0xFF, 0xFF };
		uint8_t seq = ++b->seq;

		/* An APDU on the worker, aborted at once (Section 5.3.1): it
		 * answers CMD_ABORTED whether or not libcacard already ran it,
		 * and its late completion must not answer anything else. */
		ccid_fake_send(b->eng, MSG_XFR_BLOCK, 0, seq, 0, 0, 0, verify,
			       sizeof(verify));
		CHECK_EQ(ccid_engine_abort_request(b->eng, 0, ++b->seq), 0);
		ccid_fake_send(b->eng, 0x72, 0, b->seq, 0, 0, 0, NULL, 0);
		CHECK_EQ(answer(b), 0);
		CHECK_EQ(b->in[6], seq);
		CHECK_EQ(b->in[7] & 0xC0, STATUS_FAILED);
		CHECK_EQ(b->in[8], 0xFF);   /* CMD_ABORTED */
		CHECK_EQ(answer(b), 0);
		CHECK_EQ(b->in[0], MSG_SLOT_STATUS);
		CHECK_EQ(b->in[6], b->seq);
		/* Let a late completion arrive, then the card still answers
		 * in order with the right data. */
		pump(b, 50);
		CHECK_EQ(ccid_fake_pop(b->eng, b->in, sizeof(b->in)), 0);
		CHECK_EQ(sign_and_check(b, 2, cert, n), 0x9000);
	}
out:
	bed_close(b);
	free(b);
}

/* ---- harness ---- */

static pid_t parent_pid;

/* The temporary dbs go away with the parent, also when it is stopped by
 * SIGINT/SIGTERM (a test-runner timeout); children inherit the handler
 * but must leave the dbs to the cases still to come. */
static void remove_tmpdir(void)
{
	if (getpid() == parent_pid && tmpdir[sizeof(tmpdir) - 2] != 'X')
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_signal(int sig)
{
	(void)sig;
	exit(2);
}

static void run_forked(const char *name, void (*fn)(void))
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		tap_failed_now = 0;
		fn();
		fflush(stderr);
		exit(tap_failed_now ? 1 : 0);   /* exit(): leak checkers run */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("not ok - %s (fork/wait failed)\n", name);
		tap_failures++;
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok - %s\n", name);
	} else {
		if (WIFSIGNALED(status))
			fprintf(stderr, "  %s: killed by signal %d\n", name,
				WTERMSIG(status));
		else
			fprintf(stderr, "  %s: exit status %d\n", name,
				WEXITSTATUS(status));
		printf("not ok - %s\n", name);
		tap_failures++;
	}
	fflush(stdout);
}

#define RUN_FORKED(fn) run_forked(#fn, fn)

int main(void)
{
	const char *script = find_script();
	static const char *const names[] = {
		"certificates_read_out", "certificates_sign_without_pin_db",
		"pin_db_right_and_wrong_pin", "remove_insert",
		"bad_configurations", "unreadable_db_then_good_one",
		"one_per_process_and_reuse", "nss_emulated_without_hardware",
		"destroy_mid_apdu", "abort_mid_apdu",
	};
	int ready;

	parent_pid = getpid();
	atexit(remove_tmpdir);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ready = script != NULL && system("command -v certutil >/dev/null") == 0 &&
		mkdtemp(tmpdir) != NULL;
	if (ready) {
		snprintf(db_nopin, sizeof(db_nopin), "%s/nopin", tmpdir);
		snprintf(db_pin, sizeof(db_pin), "%s/pin", tmpdir);
		ready = make_db(script, db_nopin, NULL) == 0 &&
			make_db(script, db_pin, "1234") == 0;
	}
	if (!ready) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			printf("ok - %s # SKIP no fake smart card db (needs scripts/make-fake-smartcard and certutil)\n",
			       names[i]);
		return 0;
	}
	RUN_FORKED(certificates_read_out);
	RUN_FORKED(certificates_sign_without_pin_db);
	RUN_FORKED(pin_db_right_and_wrong_pin);
	RUN_FORKED(remove_insert);
	RUN_FORKED(bad_configurations);
	RUN_FORKED(unreadable_db_then_good_one);
	RUN_FORKED(one_per_process_and_reuse);
	RUN_FORKED(nss_emulated_without_hardware);
	RUN_FORKED(destroy_mid_apdu);
	RUN_FORKED(abort_mid_apdu);
	TAP_EXIT();
}
