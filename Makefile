# SPDX-License-Identifier: GPL-2.0-or-later
# ccid-gadget: a USB CCID smart-card reader on any Linux UDC.
#   make            build the daemon, the client, the unit tests, tools and
#                   fuzz replays (a PC's target)
#   make daemon     (or make board, make products) the daemon and the
#                   client only: what a board runs, what `make install` and
#                   debian/rules build
#   make check      install what is missing, build, run every test
#   make demo       the reader end to end on dummy_hcd, as a PC sees it
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS, or for
#                   FUZZ_RUNS executions when given (make -j2 fuzz: two at
#                   once; FUZZ_TARGETS picks some, FUZZ_FLAGS adds flags)
#   make soak       the long reliability runs (hours)
#   make SAN=1      ASan+UBSan build (into build/asan)
#   make ARCH=armel|armhf|arm64   cross-build (into build/ARCH) with Debian's
#                   cross toolchains; `make ARCH=... engine-tests` builds only
#                   the engine and its unit tests (no multiarch -dev packages);
#                   SYSROOT=auto for the daemon and the client against the
#                   ARCH libraries scripts/make-sysroot unpacks (build/sysroot)
#   make install    PREFIX (/usr/local), DESTDIR, SYSCONFDIR, UNITDIR, DOCDIR
PKG_CONFIG ?= pkg-config
CC ?= gcc
FUZZ_CC ?= clang
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/ccid-gadget
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_FLAGS ?=

# Cross builds: Debian's gcc-<triplet> packages and, for the daemon, the
# ARCH -dev packages: SYSROOT=auto (below), or multiarch ones installed
# (dpkg --add-architecture ARCH, which Debian 12 cannot co-install with the
# PC's own). pkg-config reads the foreign architecture's .pc files only.
CROSS_TRIPLET_armel := arm-linux-gnueabi
CROSS_TRIPLET_armhf := arm-linux-gnueabihf
CROSS_TRIPLET_arm64 := aarch64-linux-gnu
ifneq ($(ARCH),)
TRIPLET := $(CROSS_TRIPLET_$(ARCH))
ifeq ($(TRIPLET),)
$(error ARCH=$(ARCH): give armel (Pi Zero / Zero W), armhf or arm64 (Zero 2 W, Pi 4))
endif
CC := $(TRIPLET)-gcc
AR := $(TRIPLET)-ar
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(TRIPLET)/pkgconfig:/usr/share/pkgconfig pkg-config
BUILD ?= build/$(ARCH)$(if $(filter 1,$(SAN)),-asan)
# qemu-user lets unaligned loads through where an ARMv5/v6 core would not:
# the compiler flags every cast that raises a pointer's alignment instead.
CROSS_CFLAGS := -Wcast-align=strict
# SYSROOT=DIR: the daemon's libraries for ARCH unpacked in DIR (not
# installed; libc stays the toolchain's). SYSROOT=auto: scripts/make-sysroot
# ARCH makes (or reuses) build/sysroot/ARCH first.
ifeq ($(SYSROOT),auto)
override SYSROOT := build/sysroot/$(ARCH)
ifneq ($(shell scripts/make-sysroot $(ARCH) >&2; echo $$?),0)
$(error scripts/make-sysroot $(ARCH) failed)
endif
endif
ifneq ($(SYSROOT),)
SYSROOT_LIB := $(abspath $(SYSROOT))/usr/lib/$(TRIPLET)
PKG_CONFIG := PKG_CONFIG_SYSROOT_DIR=$(abspath $(SYSROOT)) \
	PKG_CONFIG_LIBDIR=$(SYSROOT_LIB)/pkgconfig:$(abspath $(SYSROOT))/usr/share/pkgconfig pkg-config
CROSS_CFLAGS += -isystem $(abspath $(SYSROOT))/usr/include \
	-isystem $(abspath $(SYSROOT))/usr/include/$(TRIPLET) \
	-L$(SYSROOT_LIB) -Wl,-rpath-link=$(SYSROOT_LIB)
endif
endif

ifeq ($(SAN),1)
BUILD ?= build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD ?= build
SAN_FLAGS :=
endif

# Evaluated once (:=), not per compile.
pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)
PKGS := libcacard nss libusbgx libpcsclite gnutls libpcap
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# A native build without the -dev packages would stop at the first
# #include; say which are missing and how to get them instead. (Cross
# builds are left alone: the engine-only one needs none of them.) Only
# when the query above failed: pkg-config prints nothing if one is missing.
ifeq ($(ARCH)$(PKG_LIBS)$(filter deps check demo soak clean,$(MAKECMDGOALS)),)
PKG_MISSING := $(shell for p in $(PKGS); do $(PKG_CONFIG) --exists $$p 2>/dev/null || echo $$p; done)
ifneq ($(PKG_MISSING),)
$(error pkg-config cannot find $(PKG_MISSING): run `make deps` (scripts/install-deps) first, or `make check` / `make demo`, which install what is missing)
endif
endif
# A cross build that needs the ARCH libraries and has none: say so here,
# not at the first #include (engine-tests needs none).
ifneq ($(ARCH),)
ifeq ($(PKG_LIBS)$(filter clean deps engine-tests %/engine-tests/%,$(MAKECMDGOALS)),)
$(error make ARCH=$(ARCH): no $(ARCH) libraries for pkg-config ($(PKGS)): add SYSROOT=auto (scripts/make-sysroot fetches them), or `make ARCH=$(ARCH) engine-tests` for the engine alone)
endif
endif

# `make` alone builds all: the SPICE plug-in's rule below comes first.
.DEFAULT_GOAL := all

VCG_DIRS := card vscard stream test nss emulated passthru
INC_DIRS := ccid util gadget/ffs gadget/daemon configfs \
	$(addprefix vcard-glue/,$(VCG_DIRS)) vcard-glue/client
CFLAGS ?= -O2 -g
WARN_FLAGS := -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow -Wformat=2
ALL_CFLAGS := -std=gnu11 $(WARN_FLAGS) -D_GNU_SOURCE -MMD -MP \
	$(CFLAGS) $(SAN_FLAGS) $(CROSS_CFLAGS)
LDLIBS_ALL := -Wl,--as-needed $(PKG_LIBS) -laio -lpthread
# Each product binary links only what it uses. GnuTLS (tls-creds=) and
# libpcap (--pcap) are dlopen()ed when their feature is configured
# (vcard-glue/stream/vcg_gnutls.h, gadget/daemon/pcap_lib.h): only their
# headers are needed here.
LDLIBS_DAEMON := -Wl,--as-needed $(call pkg_libs,libcacard nss libusbgx) -laio -lpthread -ldl
LDLIBS_CLIENT := -Wl,--as-needed $(call pkg_libs,libcacard nss) -lpthread -ldl
LDLIBS_PCSC := $(call pkg_libs,libpcsclite)

# The layers, enforced: what each folder may #include and which packages
# it compiles against (README "Architecture"). A folder not listed (tests,
# tools, bench) sees everything. The engine sees only itself: no package
# flags, no gadget/ or vcard-glue/ header. Every other layer may use the
# engine's headers (ccid_engine.h, ccid_wire.h). util/ (the dlopen()
# loader, dl_table.h; threads with a stated stack, thread_stack.h; the
# monotonic clock in ms, mono_ms.h) sees only itself, like the engine;
# the layers that load a library on demand (gadget/daemon for libpcap,
# vcard-glue/stream for GnuTLS), start threads (gadget/ffs, gadget/daemon,
# vcard-glue/emulated and client) or keep deadlines (also passthru and
# spice) may use it.
PKGCF_USBGX := $(call pkg_cflags,libusbgx)
PKGCF_TLS := $(call pkg_cflags,gnutls)
PKGCF_CACARD := $(call pkg_cflags,libcacard nss)
PKGCF_DAEMON := $(call pkg_cflags,libusbgx libpcap)
LAYER_FLAGS := $(INC_DIRS:%=-I%) $(PKG_CFLAGS)
VG := vcard-glue
$(BUILD)/ccid/%.o: LAYER_FLAGS := -Iccid
$(BUILD)/util/%.o: LAYER_FLAGS := -Iutil
$(BUILD)/configfs/%.o: LAYER_FLAGS := -Iconfigfs $(PKGCF_USBGX)
$(BUILD)/$(VG)/vscard/%.o: LAYER_FLAGS := -Iccid -I$(VG)/vscard
$(BUILD)/$(VG)/stream/%.o: LAYER_FLAGS := -Iccid -Iutil -I$(VG)/stream $(PKGCF_TLS)
$(BUILD)/$(VG)/card/%.o: LAYER_FLAGS := -Iccid -I$(VG)/card
$(BUILD)/$(VG)/test/%.o: LAYER_FLAGS := -Iccid -I$(VG)/card -I$(VG)/test
$(BUILD)/$(VG)/nss/%.o: LAYER_FLAGS := -I$(VG)/nss $(call pkg_cflags,nss)
$(BUILD)/$(VG)/emulated/%.o: LAYER_FLAGS := -Iccid -Iutil -I$(VG)/card -I$(VG)/nss -I$(VG)/emulated $(PKGCF_CACARD)
$(BUILD)/$(VG)/passthru/%.o: LAYER_FLAGS := -Iccid -Iutil -I$(VG)/card -I$(VG)/passthru \
	-I$(VG)/vscard -I$(VG)/stream -DVCG_SPICE_PLUGIN_DIR='"$(PREFIX)/lib/ccid-gadget"'
$(BUILD)/$(VG)/client/%.o: LAYER_FLAGS := -Iccid -Iutil -I$(VG)/client -I$(VG)/nss -I$(VG)/vscard \
	-I$(VG)/stream $(PKGCF_CACARD)
# The event loop (gadget/ffs) serves the control socket, feeds the capture
# and logs: it may use those three daemon headers (ctl.h, pcap_writer.h,
# log.h), the card interface it dispatches, and util/ (thread_stack.h).
$(BUILD)/gadget/ffs/%.o: LAYER_FLAGS := -Iccid -Iutil -Igadget/ffs -Igadget/daemon -I$(VG)/card
$(BUILD)/gadget/daemon/%.o: LAYER_FLAGS := -Iccid -Iutil -Igadget/ffs -Igadget/daemon \
	-Iconfigfs -I$(VG)/card $(PKGCF_DAEMON)

# One static archive per layer; the daemon and the tests link them.
# gadget/: ffs/ the FunctionFS transport and event loop, daemon/ the
# daemon around it. vcard-glue/: one folder per card backend (test,
# emulated, passthru) beside the shared card/ interface, the vscard/
# codec, stream/ (plain and TLS) and nss/ (the NSS slot watch emulated/
# and client/ share); client/ is ccid-vscclient.
ENGINE_SRC := $(sort $(wildcard ccid/*.c))
UTIL_SRC := $(sort $(wildcard util/*.c))
GADGET_SRC := $(filter-out gadget/daemon/main.c,$(sort $(wildcard gadget/*/*.c)))
CFS_SRC := $(sort $(wildcard configfs/*.c))
VCG_SRC := $(sort $(foreach d,$(VCG_DIRS),$(wildcard vcard-glue/$(d)/*.c)))
TESTCARD_SRC := vcard-glue/test/vcg_testcard.c

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
ENGINE_LIB := $(BUILD)/libccid-engine.a
UTIL_LIB := $(BUILD)/libutil.a
GADGET_LIB := $(BUILD)/libgadget.a
CFS_LIB := $(BUILD)/libcfs.a
VCG_LIB := $(BUILD)/libvcg.a
CLIENT_LIB := $(BUILD)/libvscclient.a
LIBS := $(GADGET_LIB) $(CFS_LIB) $(CLIENT_LIB) $(VCG_LIB) $(ENGINE_LIB) $(UTIL_LIB)

# The SPICE plug-in (vcard-glue/spice/, issue 19): the only thing linked
# against libspice-server, dlopen()ed by a passthru card with spice=. Built
# only where pkg-config finds spice-server (libspice-server-dev): the
# daemon builds and runs without it, and loads it only for such a card.
SPICE_PKGS := spice-server glib-2.0
SPICE_FOUND := $(shell $(PKG_CONFIG) --exists $(SPICE_PKGS) 2>/dev/null && echo yes)
SPICE_PLUGIN := $(if $(SPICE_FOUND),$(BUILD)/ccid-gadget-spice.so)
SPICE_SRC := $(sort $(wildcard vcard-glue/spice/*.c))
$(BUILD)/$(VG)/spice/%.o: LAYER_FLAGS := -Iccid -Iutil -I$(VG)/spice -I$(VG)/passthru \
	$(call pkg_cflags,$(SPICE_PKGS)) -fPIC -fvisibility=hidden
$(BUILD)/ccid-gadget-spice.so: $(call obj,$(SPICE_SRC))
	$(CC) $(ALL_CFLAGS) -shared -o $@ $^ -Wl,--as-needed $(call pkg_libs,$(SPICE_PKGS))

DAEMON := $(BUILD)/ccid-gadget
# The VSCard client (vscclient's command line): vcard-glue/client/.
# client/main.c is its main(); the rest is a library the unit tests link.
CLIENT_SRC := $(filter-out vcard-glue/client/main.c,$(sort $(wildcard vcard-glue/client/*.c)))
CLIENT_MAIN := $(wildcard vcard-glue/client/main.c)
CLIENT := $(BUILD)/ccid-vscclient

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
# The SPICE tests need the plug-in's headers and objects (SPICE_FOUND).
UNIT_SRC := $(if $(SPICE_FOUND),$(UNIT_SRC),$(filter-out tests/unit/test_vcg_spice.c tests/unit/test_vcg_spice_viewer.c,$(UNIT_SRC)))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_HELPER_SRC := $(filter-out $(UNIT_SRC),$(sort $(wildcard tests/unit/*.c)))

TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

# The engine's unit tests alone (engine + ccid_fake, no library) and the
# usbmon header encoder's: what the cross builds run under qemu-user
# (tests/sh/cross-engine.sh).
ENGINE_TEST_SRC := $(sort $(wildcard tests/unit/test_ccid_*.c)) tests/unit/test_vcg_testcard.c
ENGINE_TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/engine-tests/%,$(ENGINE_TEST_SRC)) \
	$(BUILD)/engine-tests/test_usbmon

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
REPLAY_BINS := $(patsubst %,$(BUILD)/fuzz-replay/%,$(FUZZ_NAMES))
FUZZ_BINS := $(patsubst %,build/fuzz/%,$(FUZZ_NAMES))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_RUN_TARGETS := $(patsubst %,fuzz-run-%,$(FUZZ_TARGETS))

.PHONY: all daemon board products tests engine-tests check demo soak fuzz clean install deps format-check $(FUZZ_RUN_TARGETS)
# Keep intermediate objects (fuzz targets, tests) so make does not rebuild them.
.SECONDARY:
all: daemon tests

# The board-sized build: no test, tool or fuzz replay (docs/board.md 2a);
# debian/rules builds it as `products`.
daemon board products: $(DAEMON) $(if $(CLIENT_MAIN),$(CLIENT)) $(SPICE_PLUGIN)

tests: $(UNIT_BINS) $(TOOL_BINS) $(REPLAY_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LAYER_FLAGS) -c -o $@ $<

$(ENGINE_LIB): $(call obj,$(ENGINE_SRC))
$(UTIL_LIB): $(call obj,$(UTIL_SRC))
$(GADGET_LIB): $(call obj,$(GADGET_SRC))
$(CFS_LIB): $(call obj,$(CFS_SRC))
$(VCG_LIB): $(call obj,$(VCG_SRC))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(DAEMON): $(call obj,gadget/daemon/main.c) $(GADGET_LIB) $(CFS_LIB) $(VCG_LIB) $(ENGINE_LIB) $(UTIL_LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_DAEMON)

$(CLIENT_LIB): $(call obj,$(CLIENT_SRC))

$(CLIENT): $(call obj,$(CLIENT_MAIN)) $(CLIENT_LIB) $(VCG_LIB) $(ENGINE_LIB) $(UTIL_LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_CLIENT)

# The unit tests' shared helpers (ccid_fake, emul_bed) as an archive: each
# test links only the ones it uses (emul_bed pulls in libcacard and NSS).
UNIT_HELPER_LIB := $(BUILD)/libunit-helpers.a
$(UNIT_HELPER_LIB): $(call obj,$(UNIT_HELPER_SRC))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(UNIT_HELPER_LIB) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The SPICE glue's tests: the core adapter compiled in, the rest through
# the plug-in the daemon loads (build/ccid-gadget-spice.so).
$(BUILD)/tests/unit/test_vcg_spice.o $(BUILD)/tests/unit/test_vcg_spice_viewer.o: LAYER_FLAGS += -I$(VG)/spice -I$(VG)/passthru \
	$(call pkg_cflags,$(SPICE_PKGS))
$(BUILD)/tests/test_vcg_spice: $(call obj,vcard-glue/spice/vcg_spice_core.c)
$(BUILD)/tests/test_vcg_spice $(BUILD)/tests/test_vcg_spice_viewer: | $(SPICE_PLUGIN)

# The card's side of the seam with a stand-in plug-in (no libspice-server).
$(BUILD)/tests/fake-spice-plugin.so: tests/unit/spice/fake_plugin.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I$(VG)/passthru -fPIC -fvisibility=hidden -shared -o $@ $<
$(BUILD)/tests/test_vcg_spice_glue: | $(BUILD)/tests/fake-spice-plugin.so

# It runs the client binary of the same build against stalling servers.
$(BUILD)/tests/test_vscclient_stall: | $(if $(CLIENT_MAIN),$(CLIENT))

engine-tests: $(ENGINE_TEST_BINS)

$(BUILD)/engine-tests/test_usbmon: $(BUILD)/tests/unit/test_usbmon.o $(BUILD)/gadget/daemon/usbmon.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^

$(BUILD)/engine-tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/ccid_fake.o $(call obj,$(TESTCARD_SRC)) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^

# The VM's host-side tools: plain programs; the PC/SC ones (pcsc_*,
# apdu_replay) get libpcsclite, the others drop it (--as-needed).
$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ -Wl,--as-needed $(LDLIBS_PCSC)

# Fuzz targets: the same LLVMFuzzerTestOneInput, linked two ways.
# replay: gcc + a plain main() that runs the committed corpus (make check).
$(BUILD)/fuzz-replay/%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# fuzz: clang libFuzzer + ASan/UBSan, built from source in one step.
build/fuzz/%: tests/fuzz/fuzz_%.c $(ENGINE_SRC) $(UTIL_SRC) $(VCG_SRC) $(GADGET_SRC) $(CFS_SRC) $(CLIENT_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -D_GNU_SOURCE $(INC_DIRS:%=-I%) $(PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o $@ $^ $(LDLIBS_ALL)

# One target: FUZZ_RUNS executions (-runs=, what the README's counts
# are) or else FUZZ_SECONDS; new inputs go to build/fuzz/new-corpus/NAME
# (merge the ones worth keeping: -merge=1 into tests/fuzz/corpus/NAME), a
# crash to build/fuzz/crash-NAME-*, the whole log to build/fuzz/logs/NAME.log.
# Prints one line per target: executions, seconds, executions per second.
FUZZ_LIMIT = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))
fuzz: $(FUZZ_RUN_TARGETS)
$(FUZZ_RUN_TARGETS): fuzz-run-%: build/fuzz/%
	@mkdir -p build/fuzz/new-corpus/$* build/fuzz/logs
	@echo "fuzzing $* ($(FUZZ_LIMIT)), log in build/fuzz/logs/$*.log"
	@start=$$(date +%s); \
	build/fuzz/$* $(FUZZ_LIMIT) -print_final_stats=1 $(FUZZ_FLAGS) \
		-artifact_prefix=build/fuzz/crash-$*- build/fuzz/new-corpus/$* \
		tests/fuzz/corpus/$* >build/fuzz/logs/$*.log 2>&1; rc=$$?; \
	secs=$$(( $$(date +%s) - start )); \
	execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' build/fuzz/logs/$*.log); \
	if [ $$rc != 0 ]; then tail -n 60 build/fuzz/logs/$*.log; fi; \
	echo "fuzz $*: $${execs:-0} executions in $$secs s ($$(( $${execs:-0} / (secs ? secs : 1) ))/s), exit $$rc"; \
	exit $$rc

deps:
	scripts/install-deps

# make format-check [FORMAT_BASE=REV]: the C lines changed since REV
# (default HEAD, i.e. the uncommitted change) follow .clang-format. Only
# changed lines: the tree is not reformatted wholesale (its spec tables
# keep their hand alignment). `clang-format-diff -p1 -i` fixes them.
FORMAT_BASE ?= HEAD
format-check:
	@out=$$(git diff -U0 --no-color $(FORMAT_BASE) -- '*.c' '*.h' | clang-format-diff -p1); \
	if [ -n "$$out" ]; then printf '%s\n' "$$out"; \
		echo "format-check: the lines above differ from .clang-format (git diff -U0 $(FORMAT_BASE) | clang-format-diff -p1 -i fixes them)"; exit 1; fi; \
	echo "format-check: the change since $(FORMAT_BASE) follows .clang-format"

# Everything: unit tests plain, under ASan+UBSan and valgrind, fuzz corpora,
# then the VM bed suites through real USB. One closing "N passed, N failed".
check: deps
	$(MAKE) all
	$(MAKE) SAN=1 tests build/asan/ccid-gadget
	tests/run-all

demo: deps
	$(MAKE) all
	scripts/demo

# The long reliability runs (issue 7): 1000-cycle disconnect storms and
# card churn, the whole malformed-CCID battery at every speed, each fuzz
# target for SOAK_FUZZ_SECONDS. Hours, not minutes: not part of check.
soak: deps
	$(MAKE) all
	tests/soak

# make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc]
# [UNITDIR=/lib/systemd/system] [DOCDIR=PREFIX/share/doc/ccid-gadget]:
# builds only `make daemon`; installs the daemon, the client, the scripts
# docs/board.md uses (board-setup, import-p12, ecm-ccid-gadget,
# make-fake-smartcard, make-tls-certs, each named ccid-gadget-* but
# ecm-ccid-gadget), ccid-gadget-ci (docs/ci.md; natively it needs no more,
# its VM mode needs a source tree: CCID_GADGET_TREE=DIR), the man
# page (its doc paths made DOCDIR), the docs, the systemd units (paths
# filled in) and, only if there is none yet, the config files.
DOCS := $(sort $(wildcard docs/*.md)) README.md $(wildcard LICENSE)
install: daemon
	install -D -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/ccid-gadget
	$(if $(CLIENT_MAIN),install -D -m 0755 $(CLIENT) $(DESTDIR)$(PREFIX)/bin/ccid-vscclient)
	$(if $(SPICE_PLUGIN),install -D -m 0644 $(SPICE_PLUGIN) $(DESTDIR)$(PREFIX)/lib/ccid-gadget/ccid-gadget-spice.so)
	install -D -m 0755 scripts/board-setup $(DESTDIR)$(PREFIX)/sbin/ccid-gadget-board-setup
	install -D -m 0755 scripts/ecm-ccid-gadget $(DESTDIR)$(PREFIX)/sbin/ecm-ccid-gadget
	install -D -m 0755 scripts/import-p12 $(DESTDIR)$(PREFIX)/sbin/ccid-gadget-import-p12
	install -D -m 0755 scripts/make-fake-smartcard $(DESTDIR)$(PREFIX)/bin/ccid-gadget-make-fake-smartcard
	install -D -m 0755 scripts/make-tls-certs $(DESTDIR)$(PREFIX)/bin/ccid-gadget-make-tls-certs
	install -D -m 0755 scripts/ccid-gadget-ci $(DESTDIR)$(PREFIX)/bin/ccid-gadget-ci
	@mkdir -p $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)
	sed -e 's|/usr/share/doc/ccid-gadget|$(DOCDIR)|g' docs/ccid-gadget.8 \
		>$(DESTDIR)$(MANDIR)/man8/ccid-gadget.8 && chmod 0644 $(DESTDIR)$(MANDIR)/man8/ccid-gadget.8
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	@mkdir -p $(DESTDIR)$(UNITDIR)
	for u in ccid-gadget.service ccid-gadget-ecm.service; do \
		sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
			systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	for c in ccid-gadget.conf ccid-gadget-ecm.conf; do \
		[ -e $(DESTDIR)$(SYSCONFDIR)/$$c ] || install -D -m 0644 systemd/$$c $(DESTDIR)$(SYSCONFDIR)/$$c || exit 1; \
	done

clean:
	rm -rf build

-include $(shell find build -name '*.d' -type f 2>/dev/null)

# make bench: the benchmark suite (bench/run): figures, not pass/fail;
# table and CSV in bench/results/. Not part of make check.
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(sort $(wildcard bench/*.c)))
.PHONY: bench
bench: deps
	$(MAKE) all $(BENCH_BINS)
	bench/run
$(filter-out $(BUILD)/bench/sign_cost,$(BENCH_BINS)): $(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)
# sign_cost drives the card through the unit tests' emulated-card bed
$(BUILD)/bench/sign_cost: $(BUILD)/bench/sign_cost.o $(UNIT_HELPER_LIB) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)
