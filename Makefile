# git-dc: the one build file. Local knobs go in config.mak.
#
#   make            build bin/ (what the tests put first on PATH)
#   make test       build, then run every test with prove
#   make demo       the frame pump: 8 workers x 20 frames over git daemon
#   make bench      the benchmark (BENCH_QUICK=1: a short run)
#   make bench-hooks what the hooks add to git commit, on 10,000 deltas
#   make install    prefix=/usr/local (also DESTDIR, bindir, libexecdir)
#   make SANITIZE=address,undefined test

prefix ?= /usr/local
bindir ?= $(prefix)/bin
libexecdir ?= $(prefix)/libexec
mandir ?= $(prefix)/share/man
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
PROVE ?= prove
PROVE_FLAGS ?=

-include config.mak

.DEFAULT_GOAL := all
# libcrypto (a dependency of libgit2-dev): git blob ids of big canonical
# files at the speed of the CPU's SHA instructions (git dc verify)
PKGS = libgit2 json-c libbsd libcrypto
# Generated once: installs missing packages (as root on Debian) or says what
# to install, then records the compiler flags. Make restarts after making it.
DEPS_MK = build-deps.mak
-include $(DEPS_MK)
$(DEPS_MK): contrib/ensure-deps Makefile
	@./contrib/ensure-deps
	@{ echo "DEPS_CFLAGS = $$($(PKG_CONFIG) --cflags $(PKGS))"; \
	   echo "DEPS_LIBS = $$($(PKG_CONFIG) --libs $(PKGS))"; } >$@+ && mv $@+ $@

DC_CFLAGS = -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-D_GNU_SOURCE -Igit-dc/lib $(DEPS_CFLAGS)
ifdef SANITIZE
DC_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
DC_LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_SRCS = $(sort $(wildcard git-dc/lib/*.c))
LIB_OBJS = $(LIB_SRCS:.c=.o)
LIB = git-dc/lib/libdc.a

DC_SRCS = $(sort $(wildcard git-dc/*.c))
DC_OBJS = $(DC_SRCS:.c=.o)

UNIT_SRCS = $(sort $(wildcard tests/unit/t-*.c))
UNIT_BINS = $(UNIT_SRCS:.c=)

PROGRAMS = bin/git-dc

# the JSON merge driver and the `git merge -s dc` strategy (merge-driver/)
MD_OBJS = merge-driver/driver.o merge-driver/strategy.o merge-driver/report.o
PROGRAMS += bin/git-dc-merge-driver bin/git-merge-dc
$(MD_OBJS): merge-driver/report.h
bin/git-dc-merge-driver: merge-driver/driver.o merge-driver/report.o $(LIB)
	@mkdir -p bin
	$(CC) $(DC_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(DEPS_LIBS)
bin/git-merge-dc: merge-driver/strategy.o merge-driver/report.o $(LIB)
	@mkdir -p bin
	$(CC) $(DC_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(DEPS_LIBS)

# the hook program (hooks/): linked without libgit2, whose start-up alone
# would cost more than the hook's fast path; only the engine's rules and
# JSON modules are pulled from libdc.a
HOOK_OBJS = hooks/dc-hook.o
PROGRAMS += bin/git-dc-hook
bin/git-dc-hook: $(HOOK_OBJS) $(LIB)
	@mkdir -p bin
	$(CC) $(DC_LDFLAGS) $(LDFLAGS) -o $@ $(HOOK_OBJS) $(LIB)

# fuzzing the merge driver's inputs (tests/fuzz/): `make fuzz` runs each
# harness under libFuzzer (clang) for FUZZ_SECONDS, adding what it finds to
# its corpus in tests/fuzz/corpus/<name>/; the tests replay that corpus with
# a replayer built by the usual compiler
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1
FUZZ_HARNESSES = $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS = $(patsubst tests/fuzz/%.c,bin/fuzz/%,$(FUZZ_HARNESSES))
FUZZ_REPLAYS = $(patsubst tests/fuzz/fuzz-%.c,bin/fuzz/replay-%,$(FUZZ_HARNESSES))
FUZZ_LIB = bin/fuzz/libdc-fuzz.a
bin/fuzz/obj/%.o: git-dc/lib/%.c $(wildcard git-dc/lib/*.h)
	@mkdir -p bin/fuzz/obj
	$(FUZZ_CC) $(DC_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_LIB): $(patsubst git-dc/lib/%.c,bin/fuzz/obj/%.o,$(LIB_SRCS))
	$(AR) rcs $@ $^
bin/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIB)
	$(FUZZ_CC) $(DC_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(DEPS_LIBS)
bin/fuzz/replay-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c $(LIB)
	@mkdir -p bin/fuzz
	$(CC) $(DC_CFLAGS) $(CFLAGS) $(DC_LDFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c \
		$(LIB) $(DEPS_LIBS)
fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
		name=$${f#bin/fuzz/fuzz-}; \
		mkdir -p tests/fuzz/corpus/$$name && \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -dict=tests/fuzz/$$name.dict \
			-artifact_prefix=bin/fuzz/ tests/fuzz/corpus/$$name || exit 1; \
	done
all: $(FUZZ_REPLAYS)
.PHONY: fuzz

all: $(PROGRAMS)

%.o: %.c $(wildcard git-dc/lib/*.h git-dc/*.h)
	$(CC) $(DC_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

bin/git-dc: $(DC_OBJS) $(LIB)
	@mkdir -p bin
	$(CC) $(DC_LDFLAGS) $(LDFLAGS) -o $@ $(DC_OBJS) $(LIB) $(DEPS_LIBS)

tests/unit/t-%: tests/unit/t-%.c tests/unit/tap.h $(LIB)
	$(CC) $(DC_CFLAGS) $(CFLAGS) -Itests/unit $(DC_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(DEPS_LIBS)

test: all $(UNIT_BINS)
	$(PROVE) $(PROVE_FLAGS) --exec env $(UNIT_BINS) $(sort $(wildcard tests/t[0-9]*.t))

demo: all
	@./contrib/pump

# make bench: the benchmark (contrib/bench/run), BENCH_QUICK=1 for a short
# run. Not a test: it fails on a real error, never because the machine is slow.
BENCH_JSONC = bin/bench/jsonc-baseline
PYTHON3 ?= python3

$(BENCH_JSONC): contrib/bench/jsonc-baseline.c
	@mkdir -p bin/bench
	$(CC) $(DC_CFLAGS) $(CFLAGS) $(DC_LDFLAGS) $(LDFLAGS) -o $@ $< \
		$$($(PKG_CONFIG) --libs json-c)

bench: all $(BENCH_JSONC)
	BENCH_QUICK='$(BENCH_QUICK)' $(PYTHON3) contrib/bench/run

.PHONY: bench

# make bench-hooks: what git-dc's hooks add to `git commit`, on 10,000
# deltas (DC_BENCH_DELTAS, DC_BENCH_RUNS to change it). Not a test either.
bench-hooks: all
	PATH="$(CURDIR)/bin:$$PATH" ./hooks/bench-hooks.sh

.PHONY: bench-hooks

install: all
	install -d $(DESTDIR)$(bindir)
	install -m 755 $(PROGRAMS) $(DESTDIR)$(bindir)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(bindir)/,$(notdir $(PROGRAMS)))

clean:
	rm -f $(LIB_OBJS) $(DC_OBJS) $(LIB) $(UNIT_BINS)
	rm -f $(MD_OBJS)
	rm -f $(HOOK_OBJS)
	rm -rf bin tests/trash* tests/test-results $(DEPS_MK)

.PHONY: all test demo install uninstall clean
.SECONDARY:
