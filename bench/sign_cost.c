/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sign_cost: what one CAC signature costs in process, with and without a
 * db password (make bench's PIN row; vcard-glue/emulated/vcg_keycache.h).
 * The emulated card (vcg_card_create, the daemon's engine and card layer,
 * libcacard, NSS) on DBDIR, powered on, VERIFY PIN, then ROUNDS of:
 *   card   one RSA-2048 signature through the card: SELECT the signing
 *          applet, SIGN/DECRYPT in two chained APDUs (80 42), the
 *          signature checked with the certificate (tests/unit/emul_bed.c)
 * then TOKENS of:
 *   token  the same raw RSA operation straight on the db's token key with
 *          NSS's own PK11_PubDecryptRaw (what every signature cost before
 *          the key cache: the key rebuilt from key4.db each time); after
 *          the card's rounds, as its PBKDF2 burns enough CPU to change how
 *          a loaded machine schedules the rounds after it
 * Prints "sign,NAME,card median ms,card min ms,token median ms,token min
 * ms,session copies".
 *
 *   sign_cost NAME DBDIR PIN [ROUNDS [TOKENS]]   (TOKENS: the token key's
 *                                               rounds, default min(ROUNDS, 5)) */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cert.h>
#include <keyhi.h>
#include <pk11pub.h>

#include "../tests/unit/emul_bed.h"
#include "vcg_card.h"
#include "vcg_keycache.h"

#define MAX_ROUNDS 1000

typedef SECStatus raw_fn(SECKEYPrivateKey *, unsigned char *, unsigned *,
			 unsigned int, const unsigned char *, unsigned int);

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static struct emul_bed bed;
	static uint8_t cert[4096];
	static double t_card[MAX_ROUNDS], t_token[MAX_ROUNDS];
	char spec[PATH_MAX + 128];
	uint8_t block[256], out[256];
	unsigned out_len;
	int rounds = argc > 4 ? atoi(argv[4]) : 20, tokens, i;
	CERTCertificate *c;
	SECKEYPrivateKey *key;
	raw_fn *real;
	void *sym;
	size_t n;

	if (argc < 4 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: sign_cost NAME DBDIR PIN [ROUNDS [TOKENS]]\n");
		return 2;
	}
	emul_spec_for(spec, sizeof(spec), argv[2], "id-cert", "signing-cert",
		      "encryption-cert");
	if (bed_open(&bed, spec, NULL) < 0 || bed_power_on(&bed, 0) < 0) {
		printf("sign,%s,fail,%s\n", argv[1], bed.err);
		return 1;
	}
	n = bed_read_cert(&bed, 1, cert, sizeof(cert));
	if (n == 0 || bed_verify_pin(&bed, argv[3]) != 0x9000) {
		printf("sign,%s,fail,certificate or VERIFY\n", argv[1]);
		return 1;
	}
	/* NSS's own, past this executable's key-cache wrapper */
	sym = dlsym(RTLD_NEXT, "PK11_PubDecryptRaw");
	memcpy(&real, &sym, sizeof(sym));
	c = PK11_FindCertFromNickname("signing-cert", NULL);
	key = c != NULL ? PK11_FindKeyByAnyCert(c, NULL) : NULL;
	if (real == NULL || key == NULL) {
		printf("sign,%s,fail,no token key\n", argv[1]);
		return 1;
	}
	tokens = argc > 5 ? atoi(argv[5]) : rounds < 5 ? rounds : 5;
	if (tokens < 1 || tokens > MAX_ROUNDS) {
		fprintf(stderr, "sign_cost: TOKENS is 1..%d\n", MAX_ROUNDS);
		return 2;
	}
	memset(block, 0xFF, sizeof(block));
	block[0] = 0x00;
	block[1] = 0x01;
	block[256 - 21] = 0x00;
	for (i = 0; i < rounds; i++) {
		double t0 = now_ms();

		if (bed_sign_and_check(&bed, 1, cert, n) != 0x9000) {
			printf("sign,%s,fail,signature %d\n", argv[1], i);
			return 1;
		}
		t_card[i] = now_ms() - t0;
	}
	for (i = 0; i < tokens; i++) {
		double t0 = now_ms();

		if (real(key, out, &out_len, sizeof(out), block, sizeof(block)) !=
		    SECSuccess) {
			printf("sign,%s,fail,token key operation %d\n", argv[1], i);
			return 1;
		}
		t_token[i] = now_ms() - t0;
	}
	n = vcg_keycache_count();
	qsort(t_card, (size_t)rounds, sizeof(double), cmp);
	qsort(t_token, (size_t)tokens, sizeof(double), cmp);
	printf("sign,%s,%.2f,%.2f,%.2f,%.2f,%zu\n", argv[1], t_card[rounds / 2],
	       t_card[0], t_token[tokens / 2], t_token[0], n);
	SECKEY_DestroyPrivateKey(key);
	CERT_DestroyCertificate(c);
	bed_close(&bed);
	return 0;
}
