/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "emulated" card driver (libcacard) driven through the CCID engine
 * with raw CCID messages, on NSS databases made by
 * scripts/make-fake-smartcard in a temporary directory (the bed, the dbs
 * and the forking harness: emul_bed.h).
 *
 * libcacard initialises once per process (vcg_cacard.h), so every case
 * runs in a forked child: each starts from a clean process, and one case
 * cannot pass because of another's state. The child's exit status is the
 * case's result; valgrind and ASan check each child at its exit. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccid_fake.h"
#include "emul_bed.h"
#include "tap.h"
#include "vcg_card.h"
#include "vcg_keycache.h"

/* libcacard's ATR (vcard_emul_get_atr: T=0 only, historical bytes
 * "sfte cd144") with T=1 offered too, as the default personality
 * (cac+piv) answers (vcg_piv_atr.h): TD1 80, TD2 01, TCK.
 * personality=cac's, libcacard's own: test_vcg_piv_card. */
static const uint8_t cac_piv_atr[] = {
	0x3B, 0xFA, 0x18, 0x00, 0x00, 0x80, 0x01, 0x73, 0x66, 0x74, 0x65,
	0x20, 0x63, 0x64, 0x31, 0x34, 0x34, 0x71,
};

static struct emul_dbs dbs;
static char err[1024];

/* ---- cases (each runs in its own process) ---- */

static void bed_done(struct emul_bed *b)
{
	bed_close(b);
	free(b);
}

/* A bed whose card is db's three certificates (the spec ending in
 * `more`, if not NULL): NULL (the failure CHECKed) if the card could not
 * be made. bed_done() closes and frees it. */
static struct emul_bed *bed_open_db(const char *db, const char *more)
{
	char spec[PATH_MAX + 128];
	struct emul_bed *b = calloc(1, sizeof(*b));

	CHECK(b != NULL);
	if (b == NULL)
		return NULL;
	emul_spec_for(spec, sizeof(spec), db, emul_nicks[0], emul_nicks[1],
		      emul_nicks[2]);
	if (more != NULL)
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), "%s",
			 more);
	CHECK_EQ(bed_open(b, spec, NULL), 0);
	if (b->card == NULL) {
		bed_done(b);
		return NULL;
	}
	return b;
}

/* The nopin db's card, powered on. */
static struct emul_bed *bed_open_powered(void)
{
	struct emul_bed *b = bed_open_db(dbs.nopin, NULL);

	if (b != NULL)
		CHECK_EQ(bed_power_on(b, 0), 0);
	return b;
}

static void certificates_read_out(void)
{
	static uint8_t want[4096], got[4096];
	char spec[PATH_MAX + 128];
	struct emul_bed *b = bed_open_db(dbs.nopin, NULL);

	if (b == NULL)
		return;
	snprintf(spec, sizeof(spec), "emulated certificates sql:%s", dbs.nopin);
	CHECK(strcmp(vcg_card_describe(b->card), spec) == 0);
	CHECK(vcg_card_fd(b->card) >= 0);
	CHECK_EQ(bed_slot_status(b), 1);      /* present, not powered */
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK_EQ(b->in_len, 10 + sizeof(cac_piv_atr));
	CHECK_MEM(b->in + 10, cac_piv_atr, sizeof(cac_piv_atr));
	CHECK_EQ(bed_slot_status(b), 0);      /* active */
	for (int i = 0; i < 3; i++) {
		size_t wn = emul_read_file(dbs.nopin, emul_der_names[i], want,
					   sizeof(want));
		size_t gn = bed_read_cert(b, i, got, sizeof(got));

		CHECK(wn > 0);
		CHECK_EQ(gn, wn);
		if (gn == wn && wn > 0)
			CHECK_MEM(got, want, wn);
	}
	/* There is no fourth PKI applet. */
	CHECK_EQ(bed_select_pki(b, 3), 0x6A82);
	/* Malformed APDUs from the host get a status word, not a crash. */
	{
		static const uint8_t shorty[] = { 0x00, 0xA4 };
		static const uint8_t lc_lies[] = { 0x00, 0xA4, 0x04, 0x00, 0x20, 0x01 };

		CHECK_EQ(bed_apdu(b, shorty, sizeof(shorty), NULL, 0, NULL),
			 0x6700);
		CHECK(bed_apdu(b, lc_lies, sizeof(lc_lies), NULL, 0, NULL) >
		      0x6000);
		CHECK_EQ(bed_apdu(b, shorty, 1, NULL, 0, NULL), 0x6700);
	}
	bed_done(b);
}

static void certificates_sign_without_pin_db(struct emul_bed *b)
{
	static uint8_t cert[4096];
	size_t n;

	/* A db without a password accepts any PIN (NSS needs no login). */
	CHECK_EQ(bed_verify_pin(b, "0000"), 0x9000);
	for (int i = 0; i < 3; i++) {
		n = bed_read_cert(b, i, cert, sizeof(cert));
		CHECK(n > 0);
		CHECK_EQ(bed_sign_and_check(b, i, cert, n), 0x9000);
	}
}

/* A card of fewer than three certificates: every missing role is cert1's
 * certificate, and signs with cert1's key. role[i]: the db certificate
 * (emul_nicks index) PKI applet i must serve. */
static void fewer_certificates(const char *certs, const int role[3])
{
	static uint8_t want[3][4096], got[4096];
	size_t wn[3];
	char spec[PATH_MAX + 128];
	struct emul_bed *b = calloc(1, sizeof(*b));

	for (int i = 0; i < 3; i++) {
		wn[i] = emul_read_file(dbs.nopin, emul_der_names[i], want[i],
				       sizeof(want[i]));
		CHECK(wn[i] > 0);
	}
	snprintf(spec, sizeof(spec), "emulated,backend=certificates,db=sql:%s,%s",
		 dbs.nopin, certs);
	CHECK_EQ(bed_open(b, spec, NULL), 0);
	if (b->card == NULL)
		goto out;
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK_EQ(bed_verify_pin(b, "0000"), 0x9000);
	for (int i = 0; i < 3; i++) {
		int r = role[i];
		size_t gn = bed_read_cert(b, i, got, sizeof(got));

		CHECK_EQ(gn, wn[r]);
		if (gn == wn[r])
			CHECK_MEM(got, want[r], gn);
		/* the signature checks with the role's certificate */
		CHECK_EQ(bed_sign_and_check(b, i, want[r], wn[r]), 0x9000);
	}
	/* The checker can fail: applet 2 (signing-cert's key in the second
	 * case) does not sign for id-cert. */
	if (role[1] != role[0])
		CHECK_EQ(bed_sign_and_check(b, 1, want[role[0]], wn[role[0]]),
			 -1);
	CHECK_EQ(bed_select_pki(b, 3), 0x6A82);
out:
	bed_done(b);
}

static void one_certificate_in_every_role(void)
{
	static const int role[3] = { 1, 1, 1 };

	fewer_certificates("cert1=signing-cert", role);
}

static void two_certificates_third_role_is_cert1(void)
{
	static const int role[3] = { 0, 1, 0 };

	fewer_certificates("cert1=id-cert,cert2=signing-cert", role);
}

static void pin_db_right_and_wrong_pin(void)
{
	static uint8_t cert[4096];
	char state_dir[128];
	struct emul_bed *b;
	size_t n;

	snprintf(state_dir, sizeof(state_dir), ",state-dir=%s", dbs.tmpdir);
	b = bed_open_db(dbs.pin, state_dir);
	if (b == NULL)
		return;
	CHECK_EQ(bed_power_on(b, 0), 0);
	n = bed_read_cert(b, 1, cert, sizeof(cert));   /* public: no PIN */
	CHECK(n > 0);
	/* Not logged in: the private key is out of reach. libcacard answers
	 * 69 85 (conditions of use not satisfied). */
	CHECK_EQ(bed_sign_and_check(b, 1, cert, n), 0x6985);
	/* A wrong PIN: 63 Cx from the card's retry counter (libcacard
	 * alone keeps none and answers 69 85; vcg_piv_router.h). */
	CHECK_EQ(bed_verify_pin(b, "9999"), 0x63C2);
	CHECK_EQ(bed_sign_and_check(b, 1, cert, n), 0x6985);
	/* The db password is the PIN. */
	CHECK_EQ(vcg_keycache_count(), 0);
	CHECK_EQ(bed_verify_pin(b, "1234"), 0x9000);
	CHECK_EQ(bed_sign_and_check(b, 1, cert, n), 0x9000);
	/* ... with a session copy of the key (vcg_keycache.h), kept for the
	 * next signature */
	CHECK_EQ(vcg_keycache_count(), 1);
	CHECK_EQ(bed_sign_and_check(b, 1, cert, n), 0x9000);
	CHECK_EQ(vcg_keycache_count(), 1);
	/* A wrong PIN logs out again (the right one set the count back): the key is refused, copy or not (the
	 * copy is never used logged out; it goes at the next operation or
	 * power off). */
	CHECK_EQ(bed_verify_pin(b, "12345"), 0x63C2);
	CHECK_EQ(bed_sign_and_check(b, 1, cert, n), 0x6985);
	/* A power cycle (IccPowerOff / IccPowerOn) logs out too, and
	 * destroys the copy. */
	CHECK_EQ(bed_verify_pin(b, "1234"), 0x9000);
	CHECK_EQ(bed_sign_and_check(b, 1, cert, n), 0x9000);
	CHECK_EQ(vcg_keycache_count(), 1);
	ccid_fake_send(b->eng, CCID_PC_ICC_POWER_OFF, 0, ++b->seq, 0, 0, 0, NULL, 0);
	CHECK_EQ(bed_answer(b), 0);
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK_EQ(vcg_keycache_count(), 0);
	CHECK_EQ(bed_sign_and_check(b, 1, cert, n), 0x6985);
	bed_done(b);
}

static void remove_insert(void)
{
	static uint8_t cert[4096];
	struct emul_bed *b = bed_open_db(dbs.pin, NULL);
	size_t n;

	if (b == NULL)
		return;
	CHECK_EQ(bed_next_slot_change(b), 0x03);   /* attached: present, changed */
	CHECK_EQ(bed_power_on(b, 0), 0);
	CHECK_EQ(bed_verify_pin(b, "1234"), 0x9000);
	n = bed_read_cert(b, 0, cert, sizeof(cert));
	CHECK(n > 0);

	CHECK_EQ(vcg_card_set_present(b->card, false), 0);
	CHECK_EQ(bed_next_slot_change(b), 0x02);   /* absent, changed */
	CHECK_EQ(bed_slot_status(b), 2);
	ccid_fake_send(b->eng, CCID_PC_ICC_POWER_ON, 0, ++b->seq, 0, 0, 0, NULL, 0);
	CHECK_EQ(bed_answer(b), 0);
	CHECK_EQ(b->in[7] & 0xC0, CCID_STATUS(0, CCID_CMD_STATUS_FAILED));
	/* Removing an absent card changes nothing. */
	CHECK_EQ(vcg_card_set_present(b->card, false), 0);

	CHECK_EQ(vcg_card_set_present(b->card, true), 0);
	CHECK_EQ(bed_next_slot_change(b), 0x03);
	CHECK_EQ(bed_slot_status(b), 1);
	CHECK_EQ(bed_power_on(b, 0), 0);
	/* The same card is back: same certificate, signing works after the
	 * PIN (the removal logged it out). */
	{
		static uint8_t again[4096];
		size_t m = bed_read_cert(b, 0, again, sizeof(again));

		CHECK_EQ(m, n);
		if (m == n)
			CHECK_MEM(again, cert, n);
	}
	CHECK_EQ(bed_sign_and_check(b, 0, cert, n), 0x6985);
	CHECK_EQ(bed_verify_pin(b, "1234"), 0x9000);
	CHECK_EQ(bed_sign_and_check(b, 0, cert, n), 0x9000);
	/* Nothing more on the interrupt pipe. */
	CHECK(ccid_engine_peek_intr_in(b->eng) == NULL);
	bed_done(b);
}

static void check_error(const char *spec, const char *want)
{
	struct ccid_engine *eng = ccid_fake_engine(1, 0);
	struct vcg_card *card = vcg_card_create(spec, eng, 0, NULL, err, sizeof(err));

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

/* check_error() of a certificates card on the nopin db whose spec ends
 * in `props`: the error line is the (cut) spec, then `reason`. */
static void check_nopin_error(const char *props, const char *reason)
{
	static char spec[PATH_MAX + 200], want[PATH_MAX + 600];

	snprintf(spec, sizeof(spec),
		 "emulated,backend=certificates,db=sql:%s,%s", dbs.nopin,
		 props);
	snprintf(want, sizeof(want), "card spec '%.80s...': %s", spec, reason);
	check_error(spec, want);
}

/* check_error() of a certificates card on db directory dir: the error
 * line is the (cut) spec, then before, 'dir' and after. */
static void check_db_dir_error(const char *dir, const char *before,
			       const char *after)
{
	static char spec[PATH_MAX + 200], want[2 * PATH_MAX + 600];

	emul_spec_for(spec, sizeof(spec), dir, emul_nicks[0], emul_nicks[1],
		      emul_nicks[2]);
	snprintf(want, sizeof(want), "card spec '%.80s...': %s'%s'%s", spec,
		 before, dir, after);
	check_error(spec, want);
}

static void bad_configurations(void)
{
	static char spec[PATH_MAX + 200], want[4 * PATH_MAX + 600];
	static char dir[PATH_MAX], cmd[4 * PATH_MAX + 200];

	/* missing db */
	snprintf(dir, sizeof(dir), "%s/nonexistent", dbs.tmpdir);
	check_db_dir_error(
		dir, "NSS db directory ",
		" does not exist (create it: scripts/make-fake-smartcard DIR, or certutil -N -d sql:DIR)");

	/* a directory that is no NSS db */
	snprintf(dir, sizeof(dir), "%s/empty", dbs.tmpdir);
	mkdir(dir, 0700);
	check_db_dir_error(
		dir, "",
		" has no cert9.db, so it is not an NSS sql: database (create it: scripts/make-fake-smartcard DIR, or certutil -N -d sql:DIR)");

	/* wrong nickname (one of three: libcacard alone would silently
	 * build a two-certificate card) */
	emul_spec_for(spec, sizeof(spec), dbs.nopin, emul_nicks[0], "sign-cert",
		      emul_nicks[2]);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': certificate 'sign-cert' not found in sql:%s (list the nicknames: certutil -L -d sql:%s)",
		 spec, dbs.nopin, dbs.nopin);
	check_error(spec, want);
	emul_spec_for(spec, sizeof(spec), dbs.nopin, "a", emul_nicks[1], "c");
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': certificates 'a', 'c' not found in sql:%s (list the nicknames: certutil -L -d sql:%s)",
		 spec, dbs.nopin, dbs.nopin);
	check_error(spec, want);

	/* a certificate without its private key */
	snprintf(dir, sizeof(dir), "%s/nokey", dbs.tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -m 700 '%s' && certutil -N -d 'sql:%s' --empty-password && "
		 "certutil -A -d 'sql:%s' -n ca -t ,, -i '%s/fake-smartcard-ca.cer'",
		 dir, dir, dir, dbs.nopin);
	CHECK_EQ(system(cmd), 0);
	emul_spec_for(spec, sizeof(spec), dir, "ca", "ca", "ca");
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': certificate 'ca' in sql:%s has no private key (the card signs with it: import certificate and key with pk12util)",
		 spec, dir);
	check_error(spec, want);

	/* nss-emulated on a missing db: the hint is about hardware */
	snprintf(spec, sizeof(spec),
		 "emulated,backend=nss-emulated,db=sql:%s/nonexistent", dbs.tmpdir);
	snprintf(want, sizeof(want),
		 "card spec '%.80s%s': NSS db directory '%s/nonexistent' does not exist (create it: certutil -N -d sql:DIR, then register the reader's PKCS#11 module: modutil -dbdir sql:DIR -add NAME -libfile LIB.so)",
		 spec, strlen(spec) > 80 ? "..." : "", dbs.tmpdir);
	check_error(spec, want);

	/* cert2 and cert3 but no cert1 */
	check_nopin_error(
		"cert2=id-cert,cert3=signing-cert",
		"backend=certificates needs cert1 (and cert2, cert3 if the card has more certificates; a missing one is cert1's)");

	/* malformed nicknames: ',' (written ",,") and ')' */
	check_nopin_error(
		"cert1=id,,cert,cert2=b,cert3=c",
		"cert1='id,cert' contains ',', which libcacard's soft=( list cannot hold (rename the certificate: certutil --rename)");
	check_nopin_error(
		"cert1=a,cert2=b,cert3=c)",
		"cert3='c)' contains ')', which libcacard's soft=( list cannot hold (rename the certificate: certutil --rename)");

	/* unknown backend, certificates for nss-emulated, dbm: */
	check_error("emulated,backend=certs",
		    "card spec 'emulated,backend=certs': unknown backend 'certs' (use certificates or nss-emulated)");
	check_error("emulated,cert1=a",
		    "card spec 'emulated,cert1=a': cert1 is only for backend=certificates (add backend=certificates, or remove cert1..cert3 to use the NSS hardware tokens)");
	check_error("emulated,db=dbm:/x",
		    "card spec 'emulated,db=dbm:/x': db prefix 'dbm:' is not supported: only sql: NSS databases are (write db=sql:DIR)");
	check_error("emulated,cert5=x",
		    "card spec 'emulated,cert5=x': unknown property 'cert5' for emulated (known: backend, db, cert1, cert2, cert3, debug, personality, cert4, state-dir, use_hw)");
	check_error("emulated,cert4=x",
		    "card spec 'emulated,cert4=x': cert4 is only for backend=certificates (the PIV card edge uses the db's certificates)");
	check_error("emulated,backend=certificates,db=sql:/x,cert1=a,cert2=b,cert3=c,personality=gids",
		    "card spec 'emulated,backend=certificates,db=sql:/x,cert1=a,cert2=b,cert3=c,personality=gids': unknown personality 'gids' (use cac+piv, cac or piv)");
	check_error("emulated,backend=certificates,db=sql:/x,cert1=a,cert2=b,cert3=c,state-dir=rel",
		    "card spec 'emulated,backend=certificates,db=sql:/x,cert1=a,cert2=b,cert3=c,state-dir=rel': state-dir must be an absolute path of at most 512 bytes");
}

static void unreadable_db_then_good_one(void)
{
	char spec[PATH_MAX + 200], want[2 * PATH_MAX + 400], dir[PATH_MAX];
	char cmd[3 * PATH_MAX];
	struct emul_bed *b = calloc(1, sizeof(*b));
	bool root = getuid() == 0;
	FILE *f;

	/* A copy of a good db with garbage for cert9.db. */
	snprintf(dir, sizeof(dir), "%s/corrupt", dbs.tmpdir);
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", dbs.nopin, dir);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/cert9.db", dir);
	f = fopen(cmd, "wb");
	CHECK(f != NULL);
	if (f != NULL) {
		for (int i = 0; i < 4096; i++)
			fputc((i * 131) & 0xFF, f);
		fclose(f);
	}
	emul_spec_for(spec, sizeof(spec), dir, emul_nicks[0], emul_nicks[1],
		      emul_nicks[2]);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': cannot open NSS db sql:%s: SEC_ERROR_BAD_DATABASE (is it an NSS database? check: certutil -L -d sql:%s)",
		 spec, dir, dir);
	check_error(spec, want);
	/* A copy whose key4.db nobody may read. vcg_nssdb_check() tests
	 * with access(), so the real uid: as root (whom modes do not bind)
	 * the check runs as NOBODY, the copy theirs, the saved uid kept to
	 * come back; tmpdir is made searchable for them meanwhile. */
	snprintf(dir, sizeof(dir), "%s/unreadable", dbs.tmpdir);
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'%s%s%s", dbs.nopin, dir,
		 root ? " && chown -R 65534:65534 '" : "", root ? dir : "",
		 root ? "'" : "");
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/key4.db", dir);
	CHECK_EQ(chmod(cmd, 0), 0);
	emul_spec_for(spec, sizeof(spec), dir, emul_nicks[0], emul_nicks[1],
		      emul_nicks[2]);
	snprintf(want, sizeof(want),
		 "card spec '%.80s...': cannot read key4.db in NSS db '%s': Permission denied (fix its permissions)",
		 spec, dir);
	if (root) {
		CHECK_EQ(chmod(dbs.tmpdir, 0711), 0);
		CHECK_EQ(setresuid(EMUL_NOBODY, EMUL_NOBODY, 0), 0);
	}
	check_error(spec, want);
	if (root) {
		CHECK_EQ(setresuid(0, 0, 0), 0);
		CHECK_EQ(chmod(dbs.tmpdir, 0700), 0);
	}
	/* The failed checks left NSS shut down: the good db still works in
	 * this process. */
	emul_spec_for(spec, sizeof(spec), dbs.nopin, emul_nicks[0],
		      emul_nicks[1], emul_nicks[2]);
	CHECK_EQ(bed_open(b, spec, NULL), 0);
	if (b->card != NULL)
		CHECK_EQ(bed_power_on(b, 0), 0);
	bed_done(b);
}

static void one_per_process_and_reuse(void)
{
	char spec[PATH_MAX + 128], other[PATH_MAX + 128];
	struct emul_bed *b = calloc(1, sizeof(*b));
	struct emul_bed *c = calloc(1, sizeof(*c));

	emul_spec_for(spec, sizeof(spec), dbs.nopin, emul_nicks[0],
		      emul_nicks[1], emul_nicks[2]);
	emul_spec_for(other, sizeof(other), dbs.nopin, emul_nicks[2],
		      emul_nicks[1], emul_nicks[0]);
	CHECK_EQ(bed_open(b, spec, NULL), 0);
	/* A second emulated card while the first lives. */
	CHECK(bed_start(c, spec, false, NULL) < 0);
	CHECK(strstr(c->err, "': only one emulated card per process (libcacard has one reader list and event queue; use test cards for the other slots)") != NULL);
	bed_close(c);
	/* After destroy, the same options reuse libcacard... */
	CHECK_EQ(vcg_card_set_present(b->card, false), 0);
	CHECK_EQ(bed_next_slot_change(b), 0x03);
	CHECK_EQ(bed_next_slot_change(b), 0x02);
	bed_close(b);
	CHECK_EQ(bed_open(b, spec, NULL), 0);
	if (b->card != NULL) {
		/* ...with the state it had: removed. */
		CHECK_EQ(bed_slot_status(b), 2);
		CHECK_EQ(vcg_card_set_present(b->card, true), 0);
		CHECK_EQ(bed_next_slot_change(b), 0x03);
		CHECK_EQ(bed_power_on(b, 0), 0);
		CHECK_EQ(bed_select_pki(b, 0), 0x9000);
	}
	bed_close(b);
	/* Other options cannot: libcacard starts once per process. */
	CHECK(bed_start(c, other, false, NULL) < 0);
	CHECK(strstr(c->err, "': libcacard was started in this process with other options (backend, db or certificates); it starts once per process (restart the daemon)") != NULL);
	bed_close(c);
	free(b);
	free(c);
}

static void nss_emulated_without_hardware(void)
{
	char spec[PATH_MAX + 64], want[PATH_MAX + 64];
	struct emul_bed *b = calloc(1, sizeof(*b));

	/* The fake db registers no PKCS#11 module: no reader, no card. */
	snprintf(spec, sizeof(spec), "emulated,backend=nss-emulated,db=sql:%s",
		 dbs.nopin);
	CHECK_EQ(bed_open(b, spec, NULL), 0);
	if (b->card != NULL) {
		snprintf(want, sizeof(want), "emulated nss-emulated sql:%s",
			 dbs.nopin);
		CHECK(strcmp(vcg_card_describe(b->card), want) == 0);
		CHECK_EQ(bed_slot_status(b), 2);
		CHECK_EQ(vcg_card_set_present(b->card, true), -ENODEV);
		CHECK(ccid_engine_peek_intr_in(b->eng) == NULL);
	}
	bed_done(b);
}

/* A command that only reads the card (here SELECT) is answered on the
 * loop thread while the worker is idle: complete when the XfrBlock has
 * been handed over, without a dispatch (vcg_emulated.c, answer_inline). */
static void select_answered_inline(struct emul_bed *b)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0,
				       0x00, 0x00, 0x00, 0x79, 0x01, 0x00 };
	size_t n;

	ccid_fake_send(b->eng, CCID_PC_XFR_BLOCK, 0, ++b->seq, 0, 0, 0, sel,
		       sizeof(sel));
	CHECK(!ccid_engine_busy(b->eng));
	n = ccid_fake_pop(b->eng, b->in, sizeof(b->in));
	CHECK(n >= 12);
	CHECK_EQ(b->in[0], CCID_RDR_DATA_BLOCK);
	CHECK_EQ(b->in[6], b->seq);
	CHECK_EQ(b->in[n - 2], 0x61); /* 61 0D: the CAC applet */
}

/* A read-only command longer than the inline copy holds (an extended
 * SELECT, 300 data bytes) goes to the worker and is answered from there. */
static void long_select_goes_to_worker(struct emul_bed *b)
{
	static uint8_t sel[7 + 300];

	memcpy(sel,
	       (const uint8_t[]){ 0x00, 0xA4, 0x04, 0x00, 0x00, 0x01, 0x2C },
	       7);
	memset(sel + 7, 0xA0, 300);
	ccid_fake_send(b->eng, CCID_PC_XFR_BLOCK, 0, ++b->seq, 0, 0, 0, sel,
		       sizeof(sel));
	CHECK(ccid_engine_busy(b->eng));
	CHECK_EQ(bed_answer(b), 0);
	CHECK_EQ(b->in[0], CCID_RDR_DATA_BLOCK);
	CHECK_EQ(b->in[6], b->seq);
	CHECK(b->in_len >= 12);
	/* and the card goes on answering inline */
	CHECK_EQ(bed_select_pki(b, 0), 0x9000);
}

static void destroy_mid_apdu(struct emul_bed *b)
{
	/* VERIFY: key and login work stays on the worker */
	static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x00, 0x08,
					  '1',  '2',  '3',  '4',  0xFF,
					  0xFF, 0xFF, 0xFF };

	/* Queue work on the worker, then tear down at once: the threads are
	 * joined, queued jobs and results freed (valgrind, ASan). */
	ccid_fake_send(b->eng, CCID_PC_XFR_BLOCK, 0, ++b->seq, 0, 0, 0, verify,
		       sizeof(verify));
	CHECK(ccid_engine_busy(b->eng));
	CHECK_EQ(vcg_card_set_present(b->card, false), 0);
}

static void abort_mid_apdu(struct emul_bed *b)
{
	static uint8_t cert[4096];
	size_t n;

	n = bed_read_cert(b, 2, cert, sizeof(cert));
	CHECK(n > 0);
	for (int round = 0; round < 5; round++) {
		static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x00, 0x08,
						  '1', '2', '3', '4', 0xFF,
						  0xFF, 0xFF, 0xFF };
		uint8_t seq = ++b->seq;

		/* An APDU on the worker, aborted at once (Section 5.3.1): it
		 * answers CMD_ABORTED whether or not libcacard already ran it,
		 * and its late completion must not answer anything else. */
		ccid_fake_send(b->eng, CCID_PC_XFR_BLOCK, 0, seq, 0, 0, 0, verify,
			       sizeof(verify));
		CHECK_EQ(ccid_engine_abort_request(b->eng, 0, ++b->seq), 0);
		ccid_fake_send(b->eng, 0x72, 0, b->seq, 0, 0, 0, NULL, 0);
		CHECK_EQ(bed_answer(b), 0);
		CHECK_EQ(b->in[6], seq);
		CHECK_EQ(b->in[7] & 0xC0, CCID_STATUS(0, CCID_CMD_STATUS_FAILED));
		CHECK_EQ(b->in[8], 0xFF);   /* CMD_ABORTED */
		CHECK_EQ(bed_answer(b), 0);
		CHECK_EQ(b->in[0], CCID_RDR_SLOT_STATUS);
		CHECK_EQ(b->in[6], b->seq);
		/* Let a late completion arrive, then the card still answers
		 * in order with the right data. */
		bed_pump(b, 50);
		CHECK_EQ(ccid_fake_pop(b->eng, b->in, sizeof(b->in)), 0);
		CHECK_EQ(bed_sign_and_check(b, 2, cert, n), 0x9000);
	}
}

/* ---- harness ---- */

static void run_forked(const char *name, void (*fn)(void))
{
	emul_report(name, emul_in_child(name, fn, &tap_failed_now),
		    &tap_failures);
}

#define RUN_FORKED(fn) run_forked(#fn, fn)

/* A case on the nopin card, powered on (bed_open_powered): the bed is
 * the runner's, made and closed around the case. */
static void (*powered_case)(struct emul_bed *b);

static void run_powered_case(void)
{
	struct emul_bed *b = bed_open_powered();

	if (b == NULL)
		return;
	powered_case(b);
	bed_done(b);
}

#define RUN_POWERED(fn) (powered_case = fn, run_forked(#fn, run_powered_case))

int main(void)
{
	static const char *const names[] = {
		"certificates_read_out",
		"certificates_sign_without_pin_db",
		"one_certificate_in_every_role",
		"two_certificates_third_role_is_cert1",
		"pin_db_right_and_wrong_pin",
		"remove_insert",
		"bad_configurations",
		"unreadable_db_then_good_one",
		"one_per_process_and_reuse",
		"nss_emulated_without_hardware",
		"select_answered_inline",
		"long_select_goes_to_worker",
		"destroy_mid_apdu",
		"abort_mid_apdu",
	};

	if (emul_dbs_make(&dbs, "emulated", "1234") < 0) {
		emul_skip_all(names, sizeof(names) / sizeof(names[0]));
		return 0;
	}
	RUN_FORKED(certificates_read_out);
	RUN_POWERED(certificates_sign_without_pin_db);
	RUN_FORKED(one_certificate_in_every_role);
	RUN_FORKED(two_certificates_third_role_is_cert1);
	RUN_FORKED(pin_db_right_and_wrong_pin);
	RUN_FORKED(remove_insert);
	RUN_FORKED(bad_configurations);
	RUN_FORKED(unreadable_db_then_good_one);
	RUN_FORKED(one_per_process_and_reuse);
	RUN_FORKED(nss_emulated_without_hardware);
	RUN_POWERED(select_answered_inline);
	RUN_POWERED(long_select_goes_to_worker);
	RUN_POWERED(destroy_mid_apdu);
	RUN_POWERED(abort_mid_apdu);
	TAP_EXIT();
}
