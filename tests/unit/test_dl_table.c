/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util/dl_table: a library dlopen()ed into a table of typed pointers.
 * libm stands in for an on-demand library (a real one, not linked by this
 * test): a loaded table calls into it; a missing library and a library
 * without a symbol are one line each, naming the library, the Debian
 * package that installs it and the symbol, and leave the table all NULL;
 * the once-only load keeps its first answer. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "dl_table.h"
#include "tap.h"

#define NO_LIB "libccid-gadget-no-such-lib.so.0"

struct libm_api {
	__typeof__(cos) *cos;
	__typeof__(floor) *floor;
	__typeof__(cos) *missing; /* named "ccid_gadget_no_such_symbol" */
};

static const struct dl_sym libm_syms[] = {
	DL_SYM(struct libm_api, cos),
	DL_SYM(struct libm_api, floor),
	{ "ccid_gadget_no_such_symbol", offsetof(struct libm_api, missing) },
};

static const char *const libm_only[] = { "libm.so.6" };
static const char *const none_then_libm[] = { NO_LIB, "libm.so.6" };
static const char *const none[] = { NO_LIB };
static const char *const two_missing[] = { NO_LIB,
					   "libccid-gadget-fallback.so.1" };

/* n_syms 2: cos and floor; 3 adds the one libm lacks */
static struct dl_lib libm_lib(const char *const *sonames, size_t n,
			      size_t n_syms)
{
	return (struct dl_lib){ .feature = "--maths",
				.name = "libm",
				.package = "libc6",
				.sonames = sonames,
				.n_sonames = n,
				.syms = libm_syms,
				.n_syms = n_syms,
				.table_size = sizeof(struct libm_api) };
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

static void loads_and_calls(void)
{
	struct dl_lib lib = libm_lib(libm_only, 1, 2);
	struct libm_api api;
	char err[256] = "untouched";

	memset(&api, 0xa5, sizeof(api));
	CHECK_EQ(dl_table_load(&lib, &api, err, sizeof(err)), 0);
	CHECK(api.cos != NULL && api.cos(0.0) == 1.0);
	CHECK(api.floor != NULL && api.floor(2.5) == 2.0);
	CHECK(api.missing == NULL); /* not asked for: zeroed, not left */
	CHECK(strcmp(err, "untouched") == 0);
	CHECK(!all_zero(&api, sizeof(api))); /* the checker can say no */
	/* the first soname that loads */
	lib = libm_lib(none_then_libm, 2, 2);
	memset(&api, 0, sizeof(api));
	CHECK_EQ(dl_table_load(&lib, &api, err, sizeof(err)), 0);
	CHECK(api.cos != NULL && api.cos(0.0) == 1.0);
}

/* A load that fails: its return, and the table it was given (filled
 * with 0xa5 first) all NULL after it. */
static int load_fails(const struct dl_lib *lib, char *err, size_t errlen)
{
	struct libm_api api;
	int rc;

	memset(&api, 0xa5, sizeof(api));
	rc = dl_table_load(lib, &api, err, errlen);
	CHECK(all_zero(&api, sizeof(api)));
	return rc;
}

static void missing_library(void)
{
	struct dl_lib lib = libm_lib(none, 1, 2);
	char err[256] = "";

	CHECK_EQ(load_fails(&lib, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "--maths needs libm (" NO_LIB "): ") == err);
	/* dlerror()'s reason, then the fix */
	CHECK(strstr(err, "cannot open shared object file") != NULL);
	CHECK(strstr(err, "; install the Debian package libc6") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	/* of two, the first's reason: the one the package installs */
	lib = libm_lib(two_missing, 2, 2);
	CHECK_EQ(load_fails(&lib, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "--maths needs libm (" NO_LIB "): " NO_LIB ": ") ==
	      err);
	/* no soname at all: still one line, not a stale dlerror() */
	lib.n_sonames = 0;
	CHECK_EQ(load_fails(&lib, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "--maths needs libm") == err);
	/* a short buffer: cut, still terminated */
	lib.n_sonames = 1;
	CHECK_EQ(load_fails(&lib, err, 12), -ENOENT);
	CHECK(strcmp(err, "--maths nee") == 0);
}

/* cos and floor are found before the missing one: the table is still
 * all NULL after (load_fails) */
static void missing_symbol(void)
{
	struct dl_lib lib = libm_lib(none_then_libm, 2, 3);
	char err[256] = "";

	CHECK_EQ(load_fails(&lib, err, sizeof(err)), -ENOENT);
	CHECK(strcmp(err, "--maths: libm.so.6 is not a usable libm (no symbol "
			  "ccid_gadget_no_such_symbol); install the Debian "
			  "package libc6") == 0);
}

static void slot_outside_table(void)
{
	static const struct dl_sym past_end[] = {
		{ "cos", sizeof(struct libm_api) - sizeof(void *) + 1 },
	};
	struct dl_lib lib = libm_lib(libm_only, 1, 1);
	struct libm_api api;
	char err[256] = "";

	lib.syms = past_end;
	memset(&api, 0xa5, sizeof(api));
	CHECK_EQ(dl_table_load(&lib, &api, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "symbol cos's slot") != NULL);
	CHECK(memchr(&api, 0, sizeof(api)) == NULL); /* not written */
	lib.table_size = 2;                          /* smaller than one slot */
	lib.syms = libm_syms;
	CHECK_EQ(dl_table_load(&lib, &api, err, sizeof(err)), -EINVAL);
}

/* The process's load: the first answer is kept, a failure included (the
 * second call would load libm, and does not try). */
static void once_keeps_the_first_answer(void)
{
	static struct dl_once failed = DL_ONCE_INIT, loaded = DL_ONCE_INIT;
	struct dl_lib lib = libm_lib(none, 1, 2);
	struct libm_api api;
	char err[256] = "", again[256] = "";

	memset(&api, 0, sizeof(api));
	CHECK_EQ(dl_once_load(&failed, &lib, &api, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "--maths needs libm (" NO_LIB) == err);
	lib = libm_lib(libm_only, 1, 2);
	CHECK_EQ(dl_once_load(&failed, &lib, &api, again, sizeof(again)),
		 -ENOENT);
	CHECK(strcmp(again, err) == 0);
	CHECK(api.cos == NULL);
	CHECK_EQ(dl_once_load(&failed, &lib, &api, NULL, 0), -ENOENT);

	strcpy(err, "untouched");
	CHECK_EQ(dl_once_load(&loaded, &lib, &api, err, sizeof(err)), 0);
	CHECK(api.cos != NULL && api.cos(0.0) == 1.0);
	CHECK(strcmp(err, "untouched") == 0);
	api.cos = NULL; /* a second call does not load again */
	CHECK_EQ(dl_once_load(&loaded, &lib, &api, err, sizeof(err)), 0);
	CHECK(api.cos == NULL);
}

int main(void)
{
	RUN(loads_and_calls);
	RUN(missing_library);
	RUN(missing_symbol);
	RUN(slot_outside_table);
	RUN(once_keeps_the_first_answer);
	TAP_EXIT();
}
