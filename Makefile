# postern: one non-recursive GNU Makefile.  Each program directory adds its
# programs, tests and fuzz harnesses through its own module.mk (included
# below, never run as a sub-make).  Objects and programs go under build/.

SHELL := /bin/bash
.DEFAULT_GOAL := all

PREFIX ?= /usr/local
DESTDIR ?=
SANITIZE ?=
FUZZ_SECONDS ?= 30

# STATIC=1 (the default): programs link their libraries statically (see
# "Linking" below); STATIC=0 links everything dynamically.  ASan does not
# support static linking, so SANITIZE=1 implies STATIC=0.
STATIC ?= 1
ifeq ($(SANITIZE),1)
override STATIC := 0
CC := clang-14
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HARDEN := -fstack-protector-strong
else
CC ?= cc
BUILD ?= build
SANFLAGS :=
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
endif
ifeq ($(CC),cc)
CC := gcc
endif

BIN := $(BUILD)/bin
OBJ := $(BUILD)/obj

PKG_CFLAGS := $(shell pkg-config --cflags libbsd-overlay 2>/dev/null)
CPPFLAGS += -Icommon -D_GNU_SOURCE
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -Wno-unused-parameter $(HARDEN) -fPIE $(SANFLAGS)
LDFLAGS += -pie -Wl,-z,relro,-z,now $(SANFLAGS)
STATIC_LDFLAGS = $(filter-out -pie,$(LDFLAGS)) -static-pie

# Libraries.  Server-side protocol programs never link GnuTLS (DESIGN.md
# rule 2): only programs that set TLS_LIBS in their module.mk get it.
COMMON_LIBS := $(shell pkg-config --libs libbsd 2>/dev/null) -lunistring -lcrypt -lresolv
TLS_LIBS := $(shell pkg-config --libs gnutls 2>/dev/null)
# Linking.  Most of a postern program's run time is starting: each
# connection and message forks and execs a chain of programs, and a
# dynamic program spends its start relocating its shared libraries (full
# RELRO, BIND_NOW; GnuTLS brings eight).  With STATIC=1 every program
# links its libraries from their .a files and keeps shared only libc and
# the libraries with no .a (STATIC_SHARED_LIBS: p11-kit, for GnuTLS); then
# mk/static-ok.sh relinks it -static-pie when it needs nothing shared but
# libc and calls no glibc function that loads shared objects at run time
# (NSS lookups such as getpwnam, iconv, dlopen).  Unit tests, test
# fixtures and fuzz harnesses link dynamically (COMMON_LIBS, TLS_LIBS).
STATIC_SHARED_LIBS := -lp11-kit -lresolv
# Static programs get postern's files-only passwd/group lookups
# (mk/nss_files.c) in place of glibc's NSS.
NSS_WRAP := -Wl,--wrap=getpwnam,--wrap=getgrnam,--wrap=getgrouplist,--wrap=endpwent,--wrap=endgrent
NSSFILES := $(BUILD)/libnssfiles.a
# Programs that keep libc shared whatever they call: none.  (postern-queue
# did, for its disk-full test's LD_PRELOAD shim, which a static program
# ignores; it is static-pie now - its dynamic loading and teardown were
# about a tenth of the CPU per message - and the shim tests run
# $(BUILD)/fixtures/postern-queue-dynamic, the same objects linked
# dynamically: tests/module.mk.)
LIBC_SHARED_PROGRAMS :=
PROG_COMMON_LIBS := $(shell pkg-config --static --libs libbsd 2>/dev/null) -lunistring -lcrypt -lresolv
PROG_TLS_LIBS := $(shell pkg-config --static --libs gnutls 2>/dev/null)
static_libs = -Wl,-Bstatic $(filter-out $(STATIC_SHARED_LIBS),$(1)) -Wl,-Bdynamic $(filter $(STATIC_SHARED_LIBS),$(1))
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

# --- libpostern: everything in common/ ---
COMMON_SRCS := $(sort $(wildcard common/*.c))
COMMON_OBJS := $(COMMON_SRCS:%.c=$(OBJ)/%.o)
LIBPOSTERN := $(BUILD)/libpostern.a

PROGRAMS :=
SBIN_PROGRAMS :=
BIN_PROGRAMS :=
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(sort $(wildcard tests/unit/test_*.c)))
FUZZERS := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))

include $(sort $(wildcard */*.mk))

# Program template: $(1) = program name; $(1)_SRCS its sources;
# $(1)_LIBS extra libraries.
ifeq ($(SANITIZE),1)
PROGRAM_EXTRA_OBJS := $(OBJ)/mk/sanitize_defaults.o
endif
ifeq ($(STATIC),1)
# $(1)_LINKLIBS: the program's libraries with GnuTLS's static dependencies
# (pkg-config --static) in place of $(TLS_LIBS).
define program_template
$(1)_OBJS := $$($(1)_SRCS:%.c=$(OBJ)/%.o) $(PROGRAM_EXTRA_OBJS)
$(1)_LINKLIBS := $$(if $$(filter -lgnutls,$$($(1)_LIBS)),$$(filter-out $(TLS_LIBS),$$($(1)_LIBS)) $(PROG_TLS_LIBS),$$($(1)_LIBS)) $(PROG_COMMON_LIBS)
$(BIN)/$(1): $$($(1)_OBJS) $(LIBPOSTERN) $(NSSFILES) mk/static-ok.sh
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$($(1)_OBJS) $(LIBPOSTERN) $$(call static_libs,$$($(1)_LINKLIBS))
	if sh mk/static-ok.sh $$@ $(if $(filter $(1),$(LIBC_SHARED_PROGRAMS)),keep-shared); then $$(CC) $$(STATIC_LDFLAGS) $(NSS_WRAP) -o $$@.tmp $$($(1)_OBJS) $(LIBPOSTERN) $(NSSFILES) $$($(1)_LINKLIBS) && mv -f $$@.tmp $$@ || { rm -f $$@ $$@.tmp; exit 1; }; fi
endef
else
define program_template
$(1)_OBJS := $$($(1)_SRCS:%.c=$(OBJ)/%.o) $(PROGRAM_EXTRA_OBJS)
$(BIN)/$(1): $$($(1)_OBJS) $(LIBPOSTERN)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$($(1)_OBJS) $(LIBPOSTERN) $$($(1)_LIBS) $(COMMON_LIBS)
endef
endif
$(foreach p,$(PROGRAMS),$(eval $(call program_template,$(p))))

# Unit test template: tests/unit/test_X.c plus $(test_X_EXTRA) sources
# (program-private modules under test) linked with libpostern and check.
define unit_template
$(BUILD)/tests/$(1): tests/unit/$(1).c $$($(1)_EXTRA:%.c=$(OBJ)/%.o) $(LIBPOSTERN)
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(CHECK_CFLAGS) -Itests/unit $$(LDFLAGS) -o $$@ $$< $$($(1)_EXTRA:%.c=$(OBJ)/%.o) $(LIBPOSTERN) $$($(1)_LIBS) $(CHECK_LIBS) $(COMMON_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_template,$(t))))

# Fuzz template: clang with libFuzzer, common sources rebuilt with coverage.
FUZZ_CC := clang-14
FUZZ_FLAGS = -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined $(CPPFLAGS)
define fuzz_template
$(BUILD)/fuzz/$(1): tests/fuzz/$(1).c $(COMMON_SRCS) $$($(1)_EXTRA)
	@mkdir -p $$(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $$@ $$< $(COMMON_SRCS) $$($(1)_EXTRA) $$($(1)_LIBS) $(COMMON_LIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_template,$(f))))

ALL_BINS := $(PROGRAMS:%=$(BIN)/%)
ALL_TESTS := $(UNIT_TESTS:%=$(BUILD)/tests/%)

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBPOSTERN): $(COMMON_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(NSSFILES): $(OBJ)/mk/nss_files.o
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

.PHONY: all deps check unit integration corpus fuzz fuzz-build install run clean bench crashtest

all: deps $(ALL_BINS)

# deps: install what is missing (apt, --no-install-recommends); no-op when
# everything is present.  make NODEPS=1 skips the check.
deps:
ifneq ($(NODEPS),1)
	@bash mk/deps.sh
endif

tests: $(ALL_BINS) $(ALL_TESTS)

# make check: unit tests (check), the corpus comparison, integration tests.
# The last line is the sum over all of them: "N passed, M failed".
check: deps
	@$(MAKE) --no-print-directory NODEPS=1 tests
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) python3 tests/run_all.py

unit: deps
	@$(MAKE) --no-print-directory NODEPS=1 tests
	@BUILD=$(BUILD) python3 tests/run_all.py --only unit

integration: deps
	@$(MAKE) --no-print-directory NODEPS=1 tests
	@BUILD=$(BUILD) python3 tests/run_all.py --only integration

fuzz-build: deps $(FUZZERS:%=$(BUILD)/fuzz/%)

fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZERS)

# install: user programs in bin/sbin, service programs in libexec/postern.
install: $(ALL_BINS)
	install -d -m 0755 $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/libexec/postern
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/postern/examples $(DESTDIR)$(PREFIX)/share/man/man8
	for p in $(PROGRAMS); do \
	  case " $(SBIN_PROGRAMS) " in *" $$p "*) d=sbin;; *) case " $(BIN_PROGRAMS) " in *" $$p "*) d=bin;; *) d=libexec/postern;; esac;; esac; \
	  install -m 0755 $(BIN)/$$p $(DESTDIR)$(PREFIX)/$$d/$$p; \
	done
	for f in $(wildcard etc/*); do install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/postern/examples/; done
	for f in $(wildcard doc/*.8); do install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/man/man8/; done
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/man/man5
	for f in $(wildcard doc/*.5); do install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/man/man5/; done

# run: a demo instance in ./var/demo, in the foreground.
run: all
	@bash mk/run-demo.sh $(BIN)

bench: all
	@bash bench/run.sh $(BIN)

crashtest: all
	@BUILD=$(BUILD) python3 tests/integration/crashtest.py --full

clean:
	rm -rf build
