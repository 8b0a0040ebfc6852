# xfer: cron-driven batch file transfer.  See README.md.
#
#   make               build bin/xfer
#   make check         unit + end-to-end tests, then again under ASan+UBSan
#   make bench         benchmark against peer tools (not a test)
#   make install       PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?=
SAN     ?=
BUILD   ?= build
VERSION  = 0.1.0

PKGS     = libcurl libarchive sqlite3 json-c libcrypto
XCFLAGS  = -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wformat=2 -Wno-format-nonliteral \
	   $(WERROR) $(SAN) -Ilib -DXFER_VERSION='"$(VERSION)"' \
	   $(shell pkg-config --cflags $(PKGS)) -MMD -MP
XLDFLAGS = $(SAN)
XLIBS    = -lcsv $(shell pkg-config --libs $(PKGS))

LIB_SRC  := $(sort $(wildcard lib/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer

.PHONY: all check check-one check-asan unit e2e bench install uninstall \
	clean demo fuzz

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

# One pass of the whole suite against the binary in $(BUILD).
check-one: $(BUILD)/xfer $(UNIT_BIN)
	tests/run-unit.sh $(UNIT_BIN)
	XFER_BIN=$(CURDIR)/$(BUILD)/xfer tests/run-e2e.sh

unit: $(UNIT_BIN)
	tests/run-unit.sh $(UNIT_BIN)

e2e: $(BUILD)/xfer
	XFER_BIN=$(CURDIR)/$(BUILD)/xfer tests/run-e2e.sh

check-asan:
	$(MAKE) check-one BUILD=build/asan SAN="$(ASAN_FLAGS)" CFLAGS="-O1 -g"

check: bin/xfer
	$(MAKE) check-one
	$(MAKE) check-asan

bench: bin/xfer
	bench/run.sh

demo:
	./demo.sh

install: bin/xfer
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 755 bin/xfer $(DESTDIR)$(BINDIR)/xfer
	install -m 644 man/xfer.1 $(DESTDIR)$(MANDIR)/man1/xfer.1
	install -m 644 man/xfer.job.5 $(DESTDIR)$(MANDIR)/man5/xfer.job.5

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/xfer $(DESTDIR)$(MANDIR)/man1/xfer.1 \
	    $(DESTDIR)$(MANDIR)/man5/xfer.job.5

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
