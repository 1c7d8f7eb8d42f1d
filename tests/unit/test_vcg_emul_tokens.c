/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend=nss-emulated (libvirt's `host` mode): the SPEC's use_hw and
 * personality (vcg_emul_config.c) and which token the card mirrors, or
 * the one line saying why none (vcg_emul_tokens.c). The NSS side (the
 * slots of a real SoftHSM2 token) is tests/vm/suites/host.sh's. */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "tap.h"
#include "vcg_emul_config.h"
#include "vcg_emul_tokens.h"
#include "vcg_spec.h"

static struct vcg_emul_config cfg;
static char err[512];

static int config(const char *text)
{
	struct vcg_spec spec;

	memset(err, 0, sizeof(err));
	if (vcg_spec_parse(&spec, text, err, sizeof(err)) < 0)
		return -100;
	if (vcg_spec_check_keys(&spec, vcg_emul_keys, err, sizeof(err)) < 0)
		return -101;
	return vcg_emul_config_from_spec(&spec, &cfg, err, sizeof(err));
}

#define CHECK_STR(a, b) do { \
	if (strcmp((a), (b)) != 0) { \
		fprintf(stderr, "  %s:%d: '%s' != '%s'\n", __FILE__, __LINE__, \
			(a), (b)); \
		tap_failed_now = 1; \
	} \
} while (0)

#define CHECK_HAS(a, b) do { \
	if (strstr((a), (b)) == NULL) { \
		fprintf(stderr, "  %s:%d: '%s' does not say '%s'\n", __FILE__, \
			__LINE__, (a), (b)); \
		tap_failed_now = 1; \
	} \
} while (0)

static void use_hw_default_is_libcacards(void)
{
	CHECK_EQ(config("emulated,backend=nss-emulated,db=sql:/b"), 0);
	CHECK_STR(cfg.options, "db=\"sql:/b\" use_hw=yes");
	CHECK(!cfg.any_removable);
	CHECK_EQ(config("emulated,db=sql:/b,use_hw=yes"), 0);
	CHECK_STR(cfg.options, "db=\"sql:/b\" use_hw=yes");
}

static void use_hw_removable(void)
{
	CHECK_EQ(config("emulated,backend=nss-emulated,db=sql:/b,use_hw=removable"), 0);
	CHECK_STR(cfg.options, "db=\"sql:/b\" use_hw=removable");
	CHECK(cfg.any_removable);
	CHECK_STR(cfg.describe, "emulated nss-emulated sql:/b");
}

static void use_hw_refused(void)
{
	CHECK_EQ(config("emulated,db=sql:/b,use_hw=no"), -EINVAL);
	CHECK_STR(err, "card spec 'emulated,db=sql:/b,use_hw=no': use_hw=no leaves backend=nss-emulated nothing to mirror (for the db's own certificates use backend=certificates,cert1=NICK)");
	/* libcacard reads "n", "0", "F" as no and anything else as yes:
	 * here only the three words are taken. */
	CHECK_EQ(config("emulated,db=sql:/b,use_hw=1"), -EINVAL);
	CHECK_STR(err, "card spec 'emulated,db=sql:/b,use_hw=1': unknown use_hw '1' (use yes: removable hardware slots, or removable: any removable slot, e.g. SoftHSM2's)");
	CHECK_EQ(config("emulated,db=sql:/b,use_hw=removable x"), -EINVAL);
	CHECK_EQ(config("emulated,backend=certificates,db=sql:/b,cert1=a,use_hw=removable"), -EINVAL);

	CHECK_HAS(err, "use_hw is only for backend=nss-emulated");
}

static void personality_cac_only(void)
{
	CHECK_EQ(config("emulated,db=sql:/b,personality=cac,use_hw=removable"), 0);
	CHECK_EQ(cfg.personality, VCG_PIV_CAC);
	CHECK_EQ(config("emulated,db=sql:/b,personality=cac+piv"), -EINVAL);
	CHECK_STR(err, "card spec 'emulated,db=sql:/b,personality=cac+piv': personality 'cac+piv' is only for backend=certificates (a mirrored token is libcacard's CAC card: personality=cac or none)");
	CHECK_EQ(config("emulated,db=sql:/b,state-dir=/x"), -EINVAL);
	CHECK_HAS(err, "state-dir is only for backend=certificates");
}

/* ---- the verdict ---- */

static struct vcg_token_info softhsm(const char *label, bool removable)
{
	struct vcg_token_info t;

	memset(&t, 0, sizeof(t));
	snprintf(t.module, sizeof(t.module), "SoftHSM2");
	snprintf(t.library, sizeof(t.library), "/usr/lib/softhsm/libsofthsm2.so");
	t.loaded = true;
	snprintf(t.slot, sizeof(t.slot), "SoftHSM slot ID 0x%s", label[0] ? "6757" : "1");
	snprintf(t.token, sizeof(t.token), "%s", label);
	t.removable = removable;
	t.present = true;
	t.initialized = label[0] != '\0';
	t.certs = label[0] ? 3 : 0;
	t.keys = -1;
	return t;
}

static struct vcg_token_verdict v;
#define DB "sql:/etc/board"

static void softhsm_needs_use_hw_removable(void)
{
	/* SoftHSM2: the token and its free (uninitialised) slot. */
	struct vcg_token_info s[2] = { softhsm("", true), softhsm("Board Token", true) };

	vcg_token_verdict(s, 2, 1, false, DB, &v);
	CHECK_EQ(v.level, LOG_WARNING);
	CHECK_STR(v.line, "token 'Board Token' (slot 'SoftHSM slot ID 0x6757', module 'SoftHSM2' in sql:/etc/board) is not a hardware slot, and use_hw=yes (libcacard's default) mirrors only hardware ones: the reader stays empty (add use_hw=removable to the card SPEC)");
	CHECK_STR(v.reader, "");

	vcg_token_verdict(s, 2, 1, true, DB, &v);
	CHECK_EQ(v.level, LOG_NOTICE);
	CHECK_STR(v.line, "mirroring token 'Board Token' (slot 'SoftHSM slot ID 0x6757', module 'SoftHSM2'): 3 certificates, keys behind the PIN");
	/* The token with certificates, not the free slot listed first. */
	CHECK_STR(v.reader, "SoftHSM slot ID 0x6757");
}

static void not_removable(void)
{
	struct vcg_token_info s[2] = { softhsm("", false), softhsm("Board Token", false) };

	vcg_token_verdict(s, 2, 1, true, DB, &v);
	CHECK_EQ(v.level, LOG_WARNING);
	CHECK_HAS(v.line, "token 'Board Token' (slot 'SoftHSM slot ID 0x6757', module 'SoftHSM2' in sql:/etc/board) is not in a removable slot");
	CHECK_HAS(v.line, "slots.removable = true");
	CHECK_STR(v.reader, "");
}

static void hardware_reader(void)
{
	struct vcg_token_info r = softhsm("John Doe", true);

	snprintf(r.module, sizeof(r.module), "OpenSC");
	snprintf(r.slot, sizeof(r.slot), "QEMU QEMU USB CCID 00 00");
	r.hardware = true;
	vcg_token_verdict(&r, 1, 1, false, DB, &v);
	CHECK_EQ(v.level, LOG_NOTICE);
	CHECK_STR(v.reader, "QEMU QEMU USB CCID 00 00");

	/* The card out at start: the reader is followed, one notice. */
	r.present = false;
	r.initialized = false;
	r.certs = 0;
	r.token[0] = '\0';
	vcg_token_verdict(&r, 1, 1, false, DB, &v);
	CHECK_EQ(v.level, LOG_NOTICE);
	CHECK_STR(v.line, "no card or token in reader 'QEMU QEMU USB CCID 00 00' (module 'OpenSC') yet: the gadget's reader stays empty until one is inserted (a card put in, or a token initialised in that slot)");
	CHECK_STR(v.reader, "QEMU QEMU USB CCID 00 00");
}

static void no_certificate_no_key(void)
{
	struct vcg_token_info s = softhsm("Empty", true);

	s.certs = 0;
	vcg_token_verdict(&s, 1, 1, true, DB, &v);
	CHECK_EQ(v.level, LOG_WARNING);
	CHECK_STR(v.line, "token 'Empty' (slot 'SoftHSM slot ID 0x6757', module 'SoftHSM2') holds no certificate, and libcacard builds the card from a token's certificates: the reader stays empty (import certificates with their keys: pk12util -d sql:/etc/board -h 'Empty' -i FILE.p12)");

	s.certs = 1;
	s.keys = 0;   /* a token without login that shows no private key */
	vcg_token_verdict(&s, 1, 1, true, DB, &v);
	CHECK_EQ(v.level, LOG_WARNING);
	CHECK_HAS(v.line, "its 1 certificate has no private key, so the PC can list but not sign or decrypt");
	CHECK_STR(v.reader, "SoftHSM slot ID 0x6757");
}

static void no_module_or_module_missing(void)
{
	struct vcg_token_info m;

	vcg_token_verdict(NULL, 0, 0, true, DB, &v);
	CHECK_EQ(v.level, LOG_WARNING);
	CHECK_STR(v.line, "NSS db sql:/etc/board registers no PKCS#11 module, so backend=nss-emulated has no token to mirror: the reader stays empty (register the reader's or token's module: modutil -dbdir sql:/etc/board -add NAME -libfile MODULE.so)");

	memset(&m, 0, sizeof(m));
	snprintf(m.module, sizeof(m.module), "OpenSC");
	snprintf(m.library, sizeof(m.library), "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");
	vcg_token_verdict(&m, 1, 1, true, DB, &v);
	CHECK_EQ(v.level, LOG_WARNING);
	CHECK_STR(v.line, "PKCS#11 module 'OpenSC' registered in sql:/etc/board did not load from '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so': the reader stays empty (install its package, or fix the path: modutil -dbdir sql:/etc/board -delete 'OpenSC', then -add it with the right -libfile)");

	/* A module that loads shows no slot: no reader yet. */
	vcg_token_verdict(NULL, 0, 1, true, DB, &v);
	CHECK_EQ(v.level, LOG_NOTICE);
	CHECK_HAS(v.line, "show no reader yet");
}

static void only_uninitialised(void)
{
	struct vcg_token_info s = softhsm("", true);

	vcg_token_verdict(&s, 1, 1, true, DB, &v);
	CHECK_EQ(v.level, LOG_WARNING);
	CHECK_HAS(v.line, "is not initialised");
}

/* The checker itself: a verdict that mirrors must name the reader. */
static void verdict_is_not_constant(void)
{
	struct vcg_token_info a = softhsm("A", true), b = softhsm("B", true);

	snprintf(b.slot, sizeof(b.slot), "other");
	a.certs = 0;
	{
		struct vcg_token_info s[2] = { a, b };

		vcg_token_verdict(s, 2, 1, true, DB, &v);
	}
	CHECK_STR(v.reader, "other");
	CHECK_HAS(v.line, "token 'B'");
}

int main(void)
{
	RUN(use_hw_default_is_libcacards);
	RUN(use_hw_removable);
	RUN(use_hw_refused);
	RUN(personality_cac_only);
	RUN(softhsm_needs_use_hw_removable);
	RUN(not_removable);
	RUN(hardware_reader);
	RUN(no_certificate_no_key);
	RUN(no_module_or_module_missing);
	RUN(only_uninitialised);
	RUN(verdict_is_not_constant);
	TAP_EXIT();
}
