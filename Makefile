# ccid-gadget: a USB CCID smart-card reader on any Linux UDC.
#   make            build build/ccid-gadget
#   make check      install what is missing, build, run every test
#   make demo       the reader end to end on dummy_hcd, as a PC sees it
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS
#   make SAN=1      ASan+UBSan build (into build/asan)
PKG_CONFIG ?= pkg-config
CC ?= gcc
FUZZ_CC ?= clang
PREFIX ?= /usr/local
DESTDIR ?=
FUZZ_SECONDS ?= 60

ifeq ($(SAN),1)
BUILD ?= build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD ?= build
SAN_FLAGS :=
endif

# Evaluated once (:=), not per compile.
PKGS := libcacard nss libusbgx libpcsclite gnutls
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP \
	-Iccid -Igadget -Iconfigfs -Ivcard-glue -Ivcard-glue/client $(CFLAGS) $(SAN_FLAGS)
LDLIBS_ALL := -Wl,--as-needed $(PKG_LIBS) -laio -lpthread

# One static archive per directory; the daemon and the tests link them.
ENGINE_SRC := $(sort $(wildcard ccid/*.c))
GADGET_SRC := $(filter-out gadget/main.c,$(sort $(wildcard gadget/*.c)))
CFS_SRC := $(sort $(wildcard configfs/*.c))
VCG_SRC := $(sort $(wildcard vcard-glue/*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
ENGINE_LIB := $(BUILD)/libccid-engine.a
GADGET_LIB := $(BUILD)/libgadget.a
CFS_LIB := $(BUILD)/libcfs.a
VCG_LIB := $(BUILD)/libvcg.a
CLIENT_LIB := $(BUILD)/libvscclient.a
LIBS := $(GADGET_LIB) $(CFS_LIB) $(CLIENT_LIB) $(VCG_LIB) $(ENGINE_LIB)

DAEMON := $(BUILD)/ccid-gadget
# The VSCard client (vscclient's command line): vcard-glue/client/.
# client/main.c is its main(); the rest is a library the unit tests link.
CLIENT_SRC := $(filter-out vcard-glue/client/main.c,$(sort $(wildcard vcard-glue/client/*.c)))
CLIENT_MAIN := $(wildcard vcard-glue/client/main.c)
CLIENT := $(BUILD)/ccid-vscclient

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_HELPER_SRC := $(filter-out $(UNIT_SRC),$(sort $(wildcard tests/unit/*.c)))

TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
REPLAY_BINS := $(patsubst %,$(BUILD)/fuzz-replay/%,$(FUZZ_NAMES))
FUZZ_BINS := $(patsubst %,build/fuzz/%,$(FUZZ_NAMES))

.PHONY: all tests check demo fuzz clean install deps
# Keep intermediate objects (fuzz targets, tests) so make does not rebuild them.
.SECONDARY:
all: $(DAEMON) $(if $(CLIENT_MAIN),$(CLIENT)) tests

tests: $(UNIT_BINS) $(TOOL_BINS) $(REPLAY_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(ENGINE_LIB): $(call obj,$(ENGINE_SRC))
$(GADGET_LIB): $(call obj,$(GADGET_SRC))
$(CFS_LIB): $(call obj,$(CFS_SRC))
$(VCG_LIB): $(call obj,$(VCG_SRC))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(DAEMON): $(call obj,gadget/main.c) $(LIBS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(CLIENT_LIB): $(call obj,$(CLIENT_SRC))

$(CLIENT): $(call obj,$(CLIENT_MAIN)) $(CLIENT_LIB) $(VCG_LIB) $(ENGINE_LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(call obj,$(UNIT_HELPER_SRC)) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# Fuzz targets: the same LLVMFuzzerTestOneInput, linked two ways.
# replay: gcc + a plain main() that runs the committed corpus (make check).
$(BUILD)/fuzz-replay/%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# fuzz: clang libFuzzer + ASan/UBSan, built from source in one step.
build/fuzz/%: tests/fuzz/fuzz_%.c $(ENGINE_SRC) $(VCG_SRC) $(GADGET_SRC) $(CFS_SRC) $(CLIENT_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -D_GNU_SOURCE -Iccid -Igadget -Iconfigfs -Ivcard-glue -Ivcard-glue/client $(PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS_ALL)

fuzz: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
		mkdir -p build/fuzz/new-corpus/$$n; \
		echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
		build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			build/fuzz/new-corpus/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

deps:
	scripts/install-deps

# Everything: unit tests plain, under ASan+UBSan and valgrind, fuzz corpora,
# then the VM bed suites through real USB. One closing "N passed, N failed".
check: deps
	$(MAKE) all
	$(MAKE) SAN=1 tests
	tests/run-all

demo: deps
	$(MAKE) all
	scripts/demo

install: $(DAEMON)
	install -D -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/ccid-gadget
	$(if $(CLIENT_MAIN),install -D -m 0755 $(CLIENT) $(DESTDIR)$(PREFIX)/bin/ccid-vscclient)

clean:
	rm -rf build

-include $(shell find build -name '*.d' -type f 2>/dev/null)
