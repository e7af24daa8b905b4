# git-dc: the one build file. Local knobs go in config.mak.
#
#   make            build bin/ (what the tests put first on PATH)
#   make test       build, then run every test with prove
#   make demo       the frame pump against a local bare repository
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
PKGS = libgit2 json-c libbsd
# Generated once: installs missing packages (as root on Debian) or says what
# to install, then records the compiler flags. Make restarts after making it.
DEPS_MK = build-deps.mak
-include $(DEPS_MK)
$(DEPS_MK): contrib/ensure-deps
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
	@./contrib/demo

install: all
	install -d $(DESTDIR)$(bindir)
	install -m 755 $(PROGRAMS) $(DESTDIR)$(bindir)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(bindir)/,$(notdir $(PROGRAMS)))

clean:
	rm -f $(LIB_OBJS) $(DC_OBJS) $(LIB) $(UNIT_BINS)
	rm -rf bin tests/trash* tests/test-results $(DEPS_MK)

.PHONY: all test demo install uninstall clean
.SECONDARY:
