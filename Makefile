# git-dc: the one build file. Local knobs go in config.mak.
#
#   make            build bin/ (what the tests put first on PATH)
#   make test       build, then run every test with prove
#   make demo       the frame pump: 8 workers x 20 frames over git daemon
#   make crash      the crash suite, 200 SIGKILLs (CRASH_TRIALS); not in CI
#   make soak       16 workers x 50 frames with kills and late deltas; not in CI
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS (clang)
#   make bench      the benchmark (BENCH_QUICK=1: a short run)
#   make bench-hooks what the hooks add to git commit, on 10,000 deltas
#   make install    prefix=/usr/local (and doc, install-doc, deb: see below)
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
# files at the speed of the CPU's SHA instructions (merge, verify); zlib
# (likewise): the loose objects git dc writes itself (git-dc/lib/loose.c)
PKGS = libgit2 json-c libbsd libcrypto zlib
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
	-D_GNU_SOURCE -pthread -Igit-dc/lib $(DEPS_CFLAGS)
DC_LDFLAGS = -pthread
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
# would cost more than the hook's fast path; only the engine's rules, JSON
# and object-reading modules are pulled from libdc.a (the last with zlib)
HOOK_OBJS = hooks/dc-hook.o hooks/staged.o
PROGRAMS += bin/git-dc-hook
bin/git-dc-hook: $(HOOK_OBJS) $(LIB)
	@mkdir -p bin
	$(CC) $(DC_LDFLAGS) $(LDFLAGS) -o $@ $(HOOK_OBJS) $(LIB) -lz

# fuzzing (tests/fuzz/): the merge driver's inputs, the delta parser and
# validator, the rules loader and the fold. `make fuzz` runs each
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

# make crash: tests/t1260-crash-suite.t with CRASH_TRIALS trials (`make
# test` runs its default 20); make soak: contrib/soak. Slow, so not in CI.
CRASH_TRIALS ?= 200
crash: all
	cd tests && DC_CRASH_TRIALS=$(CRASH_TRIALS) ./t1260-crash-suite.t

soak: all
	@./contrib/soak

.PHONY: crash soak

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

# ---- install, man pages, Debian package -----------------------------------
#
#   make install       the programs and the completion scripts
#   make doc           man pages from Documentation/*.adoc (asciidoctor)
#   make install-doc   ... into $(mandir)/man1 and man7
#   make uninstall     removes every file install and install-doc put there
#   make deb           a Debian package: $(DEB_DIR)/git-dc_<version>_<arch>.deb
#
# Knobs: prefix (/usr/local), DESTDIR, bindir, datadir, mandir,
# bashcompletiondir, zshcompletiondir. `make install prefix=$HOME/.local`
# is a user's install.
#
# Every program goes in bindir, none in libexecdir or `git --exec-path`:
# git takes a custom strategy (git-merge-dc, for `git merge -s dc`) only
# from PATH, and ignores a git-merge-* in its exec-path that is not one of
# its own strategies; `git dc init` writes hook shims that run git-dc-hook
# from beside git-dc; git runs git-dc-merge-driver (merge.dc.driver) by
# name. bindir works for all three, for a user's prefix and for a package.
datadir ?= $(prefix)/share
# bash-completion loads completions/git-dc when git's completion asks for
# _git_dc; $(prefix)/share covers /usr, /usr/local and ~/.local
bashcompletiondir ?= $(datadir)/bash-completion/completions
# zsh's default $fpath holds /usr/share/zsh/vendor-completions (packages)
# and /usr/local/share/zsh/site-functions
ifeq ($(prefix),/usr)
zshcompletiondir ?= $(datadir)/zsh/vendor-completions
else
zshcompletiondir ?= $(datadir)/zsh/site-functions
endif

install: $(PROGRAMS)
	install -d '$(DESTDIR)$(bindir)' \
		'$(DESTDIR)$(bashcompletiondir)' '$(DESTDIR)$(zshcompletiondir)'
	install -m 755 $(PROGRAMS) '$(DESTDIR)$(bindir)'
	install -m 644 contrib/completion/git-dc.bash '$(DESTDIR)$(bashcompletiondir)/git-dc'
	install -m 644 contrib/completion/_git-dc '$(DESTDIR)$(zshcompletiondir)/_git-dc'

uninstall:
	rm -f $(addprefix '$(DESTDIR)$(bindir)'/,$(notdir $(PROGRAMS)))
	rm -f '$(DESTDIR)$(bashcompletiondir)/git-dc' '$(DESTDIR)$(zshcompletiondir)/_git-dc'
	rm -f $(addprefix '$(DESTDIR)$(mandir)'/,$(DC_MAN_ALL))

# The man pages: one per Documentation/*.adoc, named and numbered by its
# title line, plus a .so page for each other name in its NAME section
# (contrib/man-pages lists them). Built in MAN_BUILD.
ASCIIDOCTOR ?= asciidoctor
MAN_BUILD ?= bin/man
DC_VERSION_NUM := $(shell sed -n 's/^.define DC_VERSION "\(.*\)"$$/\1/p' git-dc/git-dc.c)
DC_MAN_ADOCS = $(sort $(wildcard Documentation/*.adoc))
DC_MAN_ALL := $(shell sh contrib/man-pages $(DC_MAN_ADOCS))
DC_MAN_MAIN := $(addprefix $(MAN_BUILD)/,$(shell sh contrib/man-pages --main $(DC_MAN_ADOCS)))
DC_ASCIIDOCTOR = @command -v $(ASCIIDOCTOR) >/dev/null || { \
		echo "error: '$(ASCIIDOCTOR)' is needed to build the man pages" >&2; \
		echo "hint: sudo apt-get install asciidoctor" >&2; exit 1; }; \
	mkdir -p $(@D) && echo "ASCIIDOCTOR $@" && \
	$(ASCIIDOCTOR) -b manpage --failure-level=WARN -a mansource='git-dc $(DC_VERSION_NUM)' \
		-a manmanual='git-dc Manual' -D $(@D) $<

$(MAN_BUILD)/man1/%.1: Documentation/%.adoc
	$(DC_ASCIIDOCTOR)
$(MAN_BUILD)/man7/%.7: Documentation/%.adoc
	$(DC_ASCIIDOCTOR)

doc: $(DC_MAN_MAIN)

install-doc: doc
	@for p in $(DC_MAN_ALL); do \
		echo "install $(MAN_BUILD)/$$p '$(DESTDIR)$(mandir)/$$p'" && \
		install -d '$(DESTDIR)$(mandir)'/$${p%/*} && \
		install -m 644 $(MAN_BUILD)/$$p '$(DESTDIR)$(mandir)'/$$p || exit 1; \
	done

# make deb: installs with prefix=/usr into $(DEB_DIR)/debian/git-dc, then
# dpkg-deb builds the package. Depends: what dpkg-shlibdeps (package
# dpkg-dev, part of build-essential) finds the programs need, and git.
DEB_DIR ?= bin/deb
DEB_VERSION ?= $(DC_VERSION_NUM)
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_MAINTAINER ?= git-dc developers <git-dc@localhost>
DEB_ROOT = $(DEB_DIR)/debian/git-dc
DEB_FILE = $(DEB_DIR)/git-dc_$(DEB_VERSION)_$(DEB_ARCH).deb

deb: $(PROGRAMS)
	@command -v dpkg-shlibdeps >/dev/null || { \
		echo "error: 'dpkg-shlibdeps' is needed to build the package" >&2; \
		echo "hint: sudo apt-get install dpkg-dev" >&2; exit 1; }
	rm -rf '$(DEB_DIR)/debian' '$(DEB_FILE)'
	$(MAKE) install install-doc prefix=/usr DESTDIR='$(abspath $(DEB_ROOT))'
	gzip -9n $(addprefix '$(DEB_ROOT)/usr/share/man'/,$(DC_MAN_ALL))
	find '$(DEB_ROOT)' -type f -perm -u+x -exec strip --strip-unneeded {} +
	mkdir -p '$(DEB_ROOT)/DEBIAN'
	@deps=$$(cd '$(DEB_DIR)' && touch debian/control && \
		dpkg-shlibdeps -O $$(find debian/git-dc -type f -perm -u+x) | \
		sed -n 's/^shlibs:Depends=//p') && test -n "$$deps" && \
	rm -f '$(DEB_DIR)/debian/control' && \
	{ echo "Package: git-dc"; \
	  echo "Version: $(DEB_VERSION)"; \
	  echo "Architecture: $(DEB_ARCH)"; \
	  echo "Maintainer: $(DEB_MAINTAINER)"; \
	  echo "Installed-Size: $$(du -sk '$(DEB_ROOT)' | cut -f1)"; \
	  echo "Depends: $$deps, git"; \
	  echo "Section: vcs"; \
	  echo "Priority: optional"; \
	  echo "Description: share JSON state between parallel writers through git"; \
	  echo " git-dc lets many parallel writers share JSON state through one git"; \
	  echo " repository without losing a write: each writer commits small immutable"; \
	  echo " delta files, and one merge folds them into the canonical JSON files."; \
	  echo " It adds 'git dc', the 'git merge -s dc' strategy, a JSON merge driver"; \
	  echo " and the hooks that enforce the protocol."; \
	} >'$(DEB_ROOT)/DEBIAN/control'
	dpkg-deb --root-owner-group --build '$(DEB_ROOT)' '$(DEB_FILE)'

.PHONY: doc install-doc deb

clean:
	rm -f $(LIB_OBJS) $(DC_OBJS) $(LIB) $(UNIT_BINS)
	rm -f $(MD_OBJS)
	rm -f $(HOOK_OBJS)
	rm -rf bin tests/trash* tests/test-results $(DEPS_MK)

.PHONY: all test demo install uninstall clean
.SECONDARY:
