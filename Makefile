# xfer: cron-driven batch file transfer.  See README.md.
#
#   make               build bin/xfer
#   make check         unit + end-to-end tests, then again under ASan+UBSan
#   make bench         benchmark against peer tools (not a test)
#   make bench-db      only its database part (PostgreSQL, MariaDB)
#   make bench-formats only its partner-format part (fixed-width CP949)
#   make install       PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/xfer
SHAREDIR ?= $(PREFIX)/share/xfer
UNITDIR ?= $(SHAREDIR)/systemd
CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?=
SAN     ?=
XDEFS   ?=
BUILD   ?= build
VERSION  = 0.1.0

PKGS     = libcurl libarchive sqlite3 json-c libcrypto libpq libmariadb \
	   expat gpgme
XCFLAGS  = -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wformat=2 -Wno-format-nonliteral \
	   $(WERROR) $(SAN) $(XDEFS) -Ilib -DXFER_VERSION='"$(VERSION)"' \
	   $(shell pkg-config --cflags $(PKGS)) -MMD -MP
XLDFLAGS = $(SAN) $(FAULT_WRAP)
XLIBS    = -lcsv $(shell pkg-config --libs $(PKGS))

LIB_SRC  := $(sort $(wildcard lib/*.c lib/*/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer

# A build with -DXFER_FAULTS is linked so that these calls from lib/ and
# cmd/ go through lib/fault_alloc.c, which can fail any one of them
# (XFER_FAULT_ALLOC=N); the libraries' own allocations are left alone.
FAULT_WRAP_FNS = malloc calloc realloc reallocarray strdup strndup \
	     asprintf vasprintf glob fopen opendir fdopendir newlocale \
	     regcomp setenv curl_easy_init curl_slist_append curl_url \
	     curl_easy_escape json_tokener_new json_tokener_new_ex \
	     archive_read_new archive_write_new archive_entry_new \
	     EVP_MD_CTX_new sqlite3_open_v2
comma := ,
FAULT_WRAP = $(if $(findstring -DXFER_FAULTS,$(XDEFS)),\
	     $(FAULT_WRAP_FNS:%=-Wl$(comma)--wrap=%))

.PHONY: all check check-one check-asan check-valgrind unit e2e bench bench-db \
	bench-fleet bench-formats install uninstall clean demo fuzz fault

all: bin/xfer

# Replaced by rename: a running bin/xfer keeps its old file.
bin/xfer: $(BUILD)/xfer
	@mkdir -p bin
	cp $< $@.tmp
	mv -f $@.tmp $@

$(BUILD)/xfer: $(CMD_OBJ) $(BUILD)/libxfer.a
	$(CC) $(XLDFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libxfer.a $(XLIBS)

$(BUILD)/libxfer.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libxfer.a
	@mkdir -p $(dir $@)
	$(CC) $(XLDFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libxfer.a \
	    $(shell pkg-config --libs cmocka) $(XLIBS)

# One pass of the whole suite against the binary in $(BUILD).  The tests
# that need the fault build (FAULT_XFER: the crash loop, the allocation
# torture) skip without it; check runs them once, in the ASan pass.
FAULT_BUILD = build/fault-asan
FAULT_XFER ?= $(CURDIR)/$(FAULT_BUILD)/xfer
export FAULT_XFER

check-one: $(BUILD)/xfer $(UNIT_BIN)
	tests/run-unit.sh $(UNIT_BIN); u=$$?; \
	XFER_BIN=$(CURDIR)/$(BUILD)/xfer tests/run-e2e.sh && exit $$u

unit: $(UNIT_BIN)
	tests/run-unit.sh $(UNIT_BIN)

e2e: $(BUILD)/xfer
	XFER_BIN=$(CURDIR)/$(BUILD)/xfer tests/run-e2e.sh

check-asan:
	$(MAKE) check-one BUILD=build/asan SAN="$(ASAN_FLAGS)" CFLAGS="-O1 -g"

# The test build with the crash points and the allocation failures of
# lib/fault.h, under ASan+UBSan so that a leak on an error path fails the
# allocation torture; only t_crash_loop.sh and t_alloc_torture.sh run it.
fault:
	$(MAKE) $(FAULT_BUILD)/xfer BUILD=$(FAULT_BUILD) XDEFS=-DXFER_FAULTS \
	    SAN="$(ASAN_FLAGS)" CFLAGS="-O1 -g"

# The whole suite once under valgrind (slow; not part of check, which
# runs it under ASan+UBSan): fails on any memory error or on a leak that
# reaches xfer's own code.
check-valgrind:
	$(MAKE) $(BUILD)/xfer $(UNIT_BIN)
	tests/valgrind/run.sh $(BUILD)

# tests/check.sh runs fault, check-one (plain) and check-asan, all of
# them even when one fails, and ends with one "N passed, N failed" line.
check: bin/xfer
	tests/check.sh $(MAKE)

bench: bin/xfer
	bench/run.sh

bench-db: bin/xfer
	bench/db.sh

bench-formats: bin/xfer
	bench/formats.sh

bench-fleet: bin/xfer
	bench/fleet.sh

demo:
	./demo.sh

# Example jobs go with the documentation; the systemd units go to
# $(UNITDIR), not to a directory systemd reads: enabling them is the
# administrator's choice (see the comment at the top of xfer.service).
EXAMPLES = $(sort $(wildcard jobs/*.job))
UNITS    = xfer.service xfer.timer

install: bin/xfer
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(UNITDIR)
	install -m 755 bin/xfer $(DESTDIR)$(BINDIR)/xfer
	install -m 644 man/xfer.1 $(DESTDIR)$(MANDIR)/man1/xfer.1
	install -m 644 man/xfer.job.5 $(DESTDIR)$(MANDIR)/man5/xfer.job.5
	install -m 644 man/xfer.conf.5 $(DESTDIR)$(MANDIR)/man5/xfer.conf.5
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	for u in $(UNITS); do \
	    sed 's|/usr/local/bin/xfer|$(BINDIR)/xfer|g' contrib/systemd/$$u \
	        >$(DESTDIR)$(UNITDIR)/$$u && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

# Removes exactly what install put, then the directories that are only
# xfer's if they are empty.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/xfer $(DESTDIR)$(MANDIR)/man1/xfer.1 \
	    $(DESTDIR)$(MANDIR)/man5/xfer.job.5 \
	    $(DESTDIR)$(MANDIR)/man5/xfer.conf.5 $(DESTDIR)$(DOCDIR)/README.md \
	    $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLES))) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))
	for d in $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SHAREDIR); do \
	    if [ -d "$$d" ]; then rmdir "$$d" 2>/dev/null || :; fi; \
	done

clean:
	rm -rf build bin

# --- fuzzing: clang's libFuzzer with ASan+UBSan, not part of check -------
#   make fuzz                                every target FUZZ_SECONDS each
#   make fuzz FUZZ_TARGETS=csv FUZZ_SECONDS=600
# Each target runs on a copy of fuzz/corpus/NAME in $(FUZZ_DIR)/corpus-NAME
# (what it finds stays there, the repository's corpus is left alone); a
# crash is saved as $(FUZZ_DIR)/crash-NAME-*.  Saved crashes go to
# tests/data/fuzz-regressions/NAME/, which test_fuzz_regressions replays.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= job ini csv jsonl jsonarr manifest names listing sqlparam \
		pgtext myurl fixed layout xml
FUZZ_DIR      = $(BUILD)/fuzz
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra \
		-Wformat=2 -Wno-format-nonliteral $(WERROR) $(FUZZ_SAN) \
		-fsanitize=fuzzer-no-link -Ilib -Ifuzz \
		-DXFER_VERSION='"$(VERSION)"' \
		$(shell pkg-config --cflags $(PKGS)) -MMD -MP
# -max_len: past every limit an input of the kind can hit (an INI line
# is cut at 8 KiB, a job file has to hold its keys), small enough that
# the fuzzer stays fast.
FUZZ_MAXLEN_job      = 4096
FUZZ_MAXLEN_ini      = 9000
FUZZ_MAXLEN_csv      = 2048
FUZZ_MAXLEN_sqlparam = 4096
FUZZ_MAXLEN_myurl    = 512
FUZZ_MAXLEN_jsonl    = 2048
FUZZ_MAXLEN_jsonarr  = 2048
FUZZ_MAXLEN_manifest = 1024
FUZZ_MAXLEN_names    = 512
FUZZ_MAXLEN_listing  = 4096
FUZZ_MAXLEN_pgtext   = 512
FUZZ_MAXLEN_fixed    = 2048
FUZZ_MAXLEN_layout   = 2048
FUZZ_MAXLEN_xml      = 4096
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/%.o)

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
	fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) \
	    $(foreach t,$(FUZZ_TARGETS),$(t):$(FUZZ_MAXLEN_$(t)))

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz_%.o $(FUZZ_DIR)/obj/harness.o \
    $(FUZZ_DIR)/libxfer.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(XLIBS)

$(FUZZ_DIR)/libxfer.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/obj/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

.PRECIOUS: $(FUZZ_DIR)/obj/%.o

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
