/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The card SPEC parser (vcard-glue/card/vcg_spec.c): QEMU property syntax,
 * limits, and the exact one-line error texts. */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "vcg_spec.h"

static struct vcg_spec spec;
static char err[512];

static int parse(const char *text)
{
	memset(err, 'X', sizeof(err));
	return vcg_spec_parse(&spec, text, err, sizeof(err));
}

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (a_ == NULL || strcmp(a_, b_) != 0) { \
		fprintf(stderr, "  %s:%d: '%s' != '%s'\n", __FILE__, __LINE__, \
			a_ ? a_ : "(null)", b_); \
		tap_failed_now = 1; \
	} \
} while (0)

static void driver_only(void)
{
	CHECK_EQ(parse("test"), 0);
	CHECK_STR(spec.driver, "test");
	CHECK_EQ(spec.nprops, 0);
	CHECK_EQ(err[0], '\0');
}

static void key_values_and_flags(void)
{
	CHECK_EQ(parse("emulated,backend=certificates,db=sql:/tmp/x,cert1=a"), 0);
	CHECK_STR(spec.driver, "emulated");
	CHECK_EQ(spec.nprops, 3);
	CHECK_STR(vcg_spec_find(&spec, "backend")->value, "certificates");
	CHECK_STR(vcg_spec_find(&spec, "db")->value, "sql:/tmp/x");
	CHECK_STR(vcg_spec_find(&spec, "cert1")->value, "a");
	CHECK(vcg_spec_find(&spec, "cert2") == NULL);

	CHECK_EQ(parse("test,absent,delay_ms=5"), 0);
	CHECK(vcg_spec_find(&spec, "absent")->bare);
	CHECK_STR(vcg_spec_find(&spec, "absent")->value, "on");
	CHECK(!vcg_spec_find(&spec, "delay_ms")->bare);
}

static void double_comma_is_literal(void)
{
	/* QEMU: ",," is one ',' inside a value (and the driver). */
	CHECK_EQ(parse("emulated,cert1=a,,b,cert2=c,,,,d,,"), 0);
	CHECK_STR(vcg_spec_find(&spec, "cert1")->value, "a,b");
	CHECK_STR(vcg_spec_find(&spec, "cert2")->value, "c,,d,");
	CHECK_EQ(spec.nprops, 2);
	CHECK_EQ(parse("emulated,db=x,,"), 0);
	CHECK_STR(vcg_spec_find(&spec, "db")->value, "x,");
}

static void value_may_contain_equals(void)
{
	CHECK_EQ(parse("emulated,cert1=CN=John Doe,db=a=b="), 0);
	CHECK_STR(vcg_spec_find(&spec, "cert1")->value, "CN=John Doe");
	CHECK_STR(vcg_spec_find(&spec, "db")->value, "a=b=");
}

static void empty_value_kept(void)
{
	CHECK_EQ(parse("emulated,db="), 0);
	CHECK_STR(vcg_spec_find(&spec, "db")->value, "");
	CHECK(!vcg_spec_find(&spec, "db")->bare);
}

static void driver_as_key(void)
{
	CHECK_EQ(parse("driver=test,delay_ms=1"), 0);
	CHECK_STR(spec.driver, "test");
	CHECK_EQ(parse("delay_ms=1,driver=test"), 0);
	CHECK_STR(spec.driver, "test");
	CHECK_EQ(parse("test,driver=test"), -EINVAL);
	CHECK_STR(err, "card spec 'test,driver=test': driver given twice (give it once, first)");
}

static void errors(void)
{
	static const struct {
		const char *spec, *err;
	} cases[] = {
		{ "", "card spec '': empty (use test, or emulated,backend=...)" },
		{ ",test", "card spec ',test': starts with ',' (start with the driver: test, emulated or passthru)" },
		{ "test,", "card spec 'test,': ends with ',' (remove the trailing ',')" },
		{ "test,,", "card spec 'test,,': bad driver name 'test,' (use test, emulated or passthru)" },
		{ "test,a=1,,,", "card spec 'test,a=1,,,': ends with ',' (remove the trailing ',')" },
		{ "test,,,a", "card spec 'test,,,a': bad driver name 'test,' (use test, emulated or passthru)" },
		{ "test,a=,,,b", NULL },
		{ "test,a=1,a=2", "card spec 'test,a=1,a=2': property 'a' given twice (give each property once)" },
		{ "test,a,a", "card spec 'test,a,a': property 'a' given twice (give each property once)" },
		{ "test,=1", "card spec 'test,=1': property with no name before '=' (write key=value)" },
		{ "test,a b=1", "card spec 'test,a b=1': bad property name 'a b' (names are letters, digits, '_' and '-'; write ',,' for a comma inside a value)" },
		{ "test,a,,b=1", "card spec 'test,a,,b=1': bad property name 'a,b' (names are letters, digits, '_' and '-'; write ',,' for a comma inside a value)" },
		{ "a=1", "card spec 'a=1': no driver (start with test, emulated or passthru)" },
		{ "te st", "card spec 'te st': bad driver name 'te st' (use test, emulated or passthru)" },
		{ "driver=", "card spec 'driver=': empty driver name (start with test, emulated or passthru)" },
		{ "test,x\ty", "card spec 'test,x\\x09y': control character 0x09 at offset 6 (remove it)" },
		{ "test,db='a\\b'", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].spec);

		if (cases[i].err == NULL) {
			CHECK_EQ(rc, 0);
			continue;
		}
		CHECK_EQ(rc, -EINVAL);
		CHECK_STR(err, cases[i].err);
		CHECK(strchr(err, '\n') == NULL);
	}
}

static void quote_and_backslash_shown_escaped(void)
{
	CHECK_EQ(parse("te'st"), -EINVAL);
	CHECK_STR(err, "card spec 'te\\x27st': bad driver name 'te\\x27st' (use test, emulated or passthru)");
}

static void too_many_props(void)
{
	char text[256] = "test";
	size_t n = strlen(text);

	for (int i = 0; i < VCG_SPEC_MAX_PROPS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",k%d=%d", i, i);
	CHECK_EQ(parse(text), 0);
	CHECK_EQ(spec.nprops, VCG_SPEC_MAX_PROPS);
	snprintf(text + n, sizeof(text) - n, ",more=1");
	CHECK_EQ(parse(text), -EINVAL);
	CHECK(strstr(err, "': more than 16 properties") != NULL);
}

static void too_long_and_shown_shortened(void)
{
	char text[VCG_SPEC_MAX_LEN + 2];

	memset(text, 'a', sizeof(text));
	memcpy(text, "test,db=", 8);
	text[VCG_SPEC_MAX_LEN] = '\0';
	CHECK_EQ(parse(text), 0);
	CHECK_EQ(strlen(vcg_spec_find(&spec, "db")->value), VCG_SPEC_MAX_LEN - 8);

	text[VCG_SPEC_MAX_LEN] = 'a';
	text[VCG_SPEC_MAX_LEN + 1] = '\0';
	CHECK_EQ(parse(text), -EINVAL);
	/* 80 bytes of the spec, then "...", then the message. */
	CHECK(strncmp(err, "card spec 'test,db=aaa", 22) == 0);
	CHECK(strstr(err, "aaa...': longer than 1024 bytes (shorten it)") != NULL);
	CHECK_EQ(strlen(err), strlen("card spec '") + 80 + 3 +
		 strlen("': longer than 1024 bytes (shorten it)"));
}

static void worst_case_store(void)
{
	/* Every byte a separator or a one-letter key: the store must hold
	 * all NULs without overflowing (the parser checks, ASan watches). */
	char text[VCG_SPEC_MAX_LEN + 1];
	size_t n = 0;

	n += (size_t)snprintf(text, sizeof(text), "t");
	for (int i = 0; i < VCG_SPEC_MAX_PROPS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",%c=", 'a' + i);
	memset(text + n, ',', sizeof(text) - 1 - n);
	text[sizeof(text) - 1] = '\0';
	/* Ends with ",,,,": an even run of commas is literal. */
	if ((sizeof(text) - 1 - n) % 2 == 0)
		CHECK_EQ(parse(text), 0);
	else
		CHECK_EQ(parse(text), -EINVAL);
}

static void small_err_buffer(void)
{
	char small[8];

	memset(small, 'X', sizeof(small));
	CHECK_EQ(vcg_spec_parse(&spec, "", small, sizeof(small)), -EINVAL);
	CHECK_EQ(small[7], '\0');
	CHECK_STR(small, "card sp");
	CHECK_EQ(vcg_spec_parse(&spec, "", NULL, 0), -EINVAL);
	CHECK_EQ(vcg_spec_parse(&spec, NULL, NULL, 0), -EINVAL);
}

static void check_keys(void)
{
	static const char *const keys[] = { "delay_ms", "absent", NULL };
	static const char *const none[] = { NULL };

	CHECK_EQ(parse("test,absent,delay_ms=3"), 0);
	CHECK_EQ(vcg_spec_check_keys(&spec, keys, err, sizeof(err)), 0);
	CHECK_EQ(parse("test,delay=3"), 0);
	CHECK_EQ(vcg_spec_check_keys(&spec, keys, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "card spec 'test,delay=3': unknown property 'delay' for test (known: delay_ms, absent)");
	CHECK_EQ(vcg_spec_check_keys(&spec, none, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "card spec 'test,delay=3': unknown property 'delay' for test (known: none)");
}

static void get_uint(void)
{
	unsigned long v = 77;

	CHECK_EQ(parse("test,n=0,m=60000,big=99999999999999999999999,neg=-1,hex=0x10,e=,b"), 0);
	CHECK_EQ(vcg_spec_get_uint(&spec, "absent_key", 0, 10, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 77);
	CHECK_EQ(vcg_spec_get_uint(&spec, "n", 0, 60000, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(vcg_spec_get_uint(&spec, "m", 0, 60000, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 60000);
	CHECK_EQ(vcg_spec_get_uint(&spec, "m", 0, 59999, &v, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "': m=60000 is out of range (use 0..59999)") != NULL);
	CHECK_EQ(vcg_spec_get_uint(&spec, "big", 0, 60000, &v, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "': big=99999999999999999999999 is out of range (use 0..60000)") != NULL);
	CHECK_EQ(vcg_spec_get_uint(&spec, "neg", 0, 60000, &v, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "': neg='-1' is not a decimal number (use 0..60000)") != NULL);
	CHECK_EQ(vcg_spec_get_uint(&spec, "hex", 0, 60000, &v, err, sizeof(err)), -EINVAL);
	CHECK_EQ(vcg_spec_get_uint(&spec, "e", 0, 60000, &v, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "': 'e' needs a number (write e=N, N in 0..60000)") != NULL);
	CHECK_EQ(vcg_spec_get_uint(&spec, "b", 0, 60000, &v, err, sizeof(err)), -EINVAL);
	CHECK_EQ(v, 60000);
}

static void get_bool_and_string(void)
{
	bool b = false;
	const char *s = "default";

	CHECK_EQ(parse("test,f,on=yes,off=0,bad=maybe,str=x,empty="), 0);
	CHECK_EQ(vcg_spec_get_bool(&spec, "f", &b, err, sizeof(err)), 0);
	CHECK(b);
	CHECK_EQ(vcg_spec_get_bool(&spec, "off", &b, err, sizeof(err)), 0);
	CHECK(!b);
	CHECK_EQ(vcg_spec_get_bool(&spec, "on", &b, err, sizeof(err)), 0);
	CHECK(b);
	CHECK_EQ(vcg_spec_get_bool(&spec, "bad", &b, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "': bad='maybe' is not a boolean (write bad, bad=on or bad=off)") != NULL);

	CHECK_EQ(vcg_spec_get_string(&spec, "nope", false, &s, err, sizeof(err)), 0);
	CHECK_STR(s, "default");
	CHECK_EQ(vcg_spec_get_string(&spec, "str", false, &s, err, sizeof(err)), 0);
	CHECK_STR(s, "x");
	CHECK_EQ(vcg_spec_get_string(&spec, "empty", true, &s, err, sizeof(err)), 0);
	CHECK_STR(s, "");
	CHECK_EQ(vcg_spec_get_string(&spec, "empty", false, &s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "': 'empty=' is empty (give a value or leave empty out)") != NULL);
	CHECK_EQ(vcg_spec_get_string(&spec, "f", false, &s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "': 'f' needs a value (write f=VALUE)") != NULL);
}

static void printable(void)
{
	char out[16];

	vcg_spec_printable(out, sizeof(out), "ab\x01\xff", 10);
	CHECK_STR(out, "ab\\x01\\xff");
	vcg_spec_printable(out, sizeof(out), "abcdefgh", 4);
	CHECK_STR(out, "abcd...");
	vcg_spec_printable(out, 6, "abcdefgh", 100);
	CHECK_STR(out, "abcde");
}

int main(void)
{
	RUN(driver_only);
	RUN(key_values_and_flags);
	RUN(double_comma_is_literal);
	RUN(value_may_contain_equals);
	RUN(empty_value_kept);
	RUN(driver_as_key);
	RUN(errors);
	RUN(quote_and_backslash_shown_escaped);
	RUN(too_many_props);
	RUN(too_long_and_shown_shortened);
	RUN(worst_case_store);
	RUN(small_err_buffer);
	RUN(check_keys);
	RUN(get_uint);
	RUN(get_bool_and_string);
	RUN(printable);
	TAP_EXIT();
}
