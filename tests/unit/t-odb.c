/*
 * git-dc/lib/odb.c against git itself: every object `git cat-file
 * --batch-all-objects` lists (loose; packed with offset deltas, with
 * reference deltas; two packs and loose objects at once) read with git's
 * type, size and bytes, and without the bytes; names resolved as `git
 * rev-parse` resolves them; damaged objects refused; repositories git
 * reads otherwise left to git.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>
#include "tap.h"
#include "odb.h"

#define BIG (300 * 1024)

static char root[4096];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The first line the command prints, without its newline (8 calls before it is reused). */
static char *out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *out(const char *fmt, ...)
{
	static char lines[8][4096];
	static int next;
	char cmd[4096], *line = lines[next++ % 8];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	line[0] = '\0';
	if ((f = popen(cmd, "r"))) {
		if (!fgets(line, sizeof(lines[0]), f))
			line[0] = '\0';
		pclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static void unhex(unsigned char *raw, const char *hex)
{
	int i;

	for (i = 0; i < DC_ODB_RAWSZ; i++) {
		unsigned v = 0;
		sscanf(hex + 2 * i, "%2x", &v);
		raw[i] = (unsigned char)v;
	}
}

/* `path` under the test's directory, absolute. */
static const char *under_root(const char *path)
{
	static char abs[4200];

	snprintf(abs, sizeof(abs), "%s/%s", root, path);
	return abs;
}

static struct dc_odb *open_repo(const char *dir, const char *what)
{
	struct dc_odb *odb = NULL;
	int r = dc_odb_open(&odb, under_root(dir));

	if (!tap_ok(r == 0 && odb, "%s: opened (%d)", what, r)) {
		tap_diag("cannot go on without it");
		exit(done_testing());
	}
	return odb;
}

/* 300 KiB of pseudo-random text, with `version` edits put in along it. */
static void write_big(const char *path, int version)
{
	FILE *f = fopen(path, "w");
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < BIG; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (i % 40000 == 39999 && (int)(i / 40000) < version)
			fprintf(f, "\nedit %zu of version %d\n", i / 40000, version);
		fputc(i % 64 == 63 ? '\n' : "abcdefghijklmnopqrstuvwxyz   "[x % 29], f);
	}
	fclose(f);
}

static void commit(int version)
{
	write_big("r/big.txt", version);
	sh("echo deep %d >r/a/b/c/deep.txt && echo %d >r/a/n-%d && git -C r add -A && "
	   "git -C r commit -q -m 'version %d'", version, version, version, version);
}

static int count_objects(const char *dir, const char *field)
{
	return atoi(out("git -C %s count-objects -v | sed -n 's/^%s: //p'", dir, field));
}

/*
 * Every object git lists in `dir` read by `odb` as `git cat-file --batch`
 * reads it (bytes appended after what the buffer holds), and again
 * without the bytes: the same type and size.
 */
static void compare_all(struct dc_odb *odb, const char *dir, const char *what)
{
	static const char *names[] = { "", "commit", "tree", "blob", "tag" };
	struct dc_buf b = DC_BUF_INIT;
	char line[256], hex[41], type[16];
	unsigned long long size;
	unsigned char oid[DC_ODB_RAWSZ], *want = NULL;
	size_t n = 0, bad = 0, ibad = 0;
	unsigned seen = 0;
	FILE *f;

	snprintf(line, sizeof(line), "git -C %s cat-file --batch-all-objects --batch", dir);
	f = popen(line, "r");
	while (f && fgets(line, sizeof(line), f) &&
	       sscanf(line, "%40s %15s %llu", hex, type, &size) == 3) {
		enum dc_odb_type t = DC_ODB_NONE, it = DC_ODB_NONE;
		uint64_t sz = ~0ull, isz = ~0ull;
		const char *tn;
		int r, ir, k;

		want = realloc(want, size + 1);
		if (fread(want, 1, size + 1, f) != size + 1)
			break;
		for (k = 1; k <= 4; k++)
			if (!strcmp(type, names[k]))
				seen |= 1u << k;
		unhex(oid, hex);
		dc_buf_reset(&b);
		dc_buf_addch(&b, '@');
		r = dc_odb_read(odb, oid, &t, &sz, &b);
		ir = dc_odb_read(odb, oid, &it, &isz, NULL);
		tn = dc_odb_type_name(t);
		n++;
		if ((r || sz != size || !tn || strcmp(tn, type) || b.len != size + 1 ||
		     b.buf[0] != '@' || memcmp(b.buf + 1, want, size)) && bad++ < 3)
			tap_diag("%s %s %llu: read %d, %s %llu, %zu bytes", hex, type, size, r,
				 tn ? tn : "(none)", (unsigned long long)sz, b.len);
		if ((ir || it != t || isz != size) && ibad++ < 3)
			tap_diag("%s %s %llu: without bytes %d, type %d, %llu", hex, type, size,
				 ir, it, (unsigned long long)isz);
	}
	if (f)
		pclose(f);
	tap_ok(n > 30 && seen == 0x1e && !bad,
	       "%s: all %zu objects (4 types) read as git reads them", what, n);
	tap_ok(n > 30 && !ibad, "%s: type and size without the bytes, for all %zu", what, n);
	free(want);
	dc_buf_release(&b);
}

/* The offset (6) and reference (7) deltas in the packs of `dir`, by their headers. */
static void pack_deltas(const char *dir, size_t *ofs, size_t *ref)
{
	char cmd[512], pack[4096];
	unsigned long long off;
	FILE *f;

	*ofs = *ref = 0;
	snprintf(cmd, sizeof(cmd), "cd %s/.git/objects/pack && for i in *.idx; do "
		 "git verify-pack -v $i | awk -v p=\"$PWD/${i%%.idx}.pack\" "
		 "'NF == 7 { print $5, p }'; done", dir);
	f = popen(cmd, "r");
	while (f && fscanf(f, "%llu ", &off) == 1 && fgets(pack, sizeof(pack), f)) {
		unsigned char c = 0;
		int fd;

		pack[strcspn(pack, "\n")] = '\0';
		if ((fd = open(pack, O_RDONLY)) < 0)
			continue;
		if (pread(fd, &c, 1, (off_t)off) == 1 && (c >> 4 & 7) == 6)
			(*ofs)++;
		else if ((c >> 4 & 7) == 7)
			(*ref)++;
		close(fd);
	}
	if (f)
		pclose(f);
}

static int read_hex(struct dc_odb *odb, const char *hex, int bytes)
{
	struct dc_buf b = DC_BUF_INIT;
	unsigned char oid[DC_ODB_RAWSZ];
	enum dc_odb_type t;
	uint64_t size;
	int r;

	unhex(oid, hex);
	r = dc_odb_read(odb, oid, &t, &size, bytes ? &b : NULL);
	dc_buf_release(&b);
	return r;
}

/* read_hex() in a child process: its code, or 99 when the child died or failed otherwise. */
static int read_forked(struct dc_odb *odb, const char *hex, int bytes)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	if (!(pid = fork()))
		_exit(read_hex(odb, hex, bytes) + 42);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) < 41 || WEXITSTATUS(status) > 43)
		return 99;
	return WEXITSTATUS(status) - 42;
}

static void absent(struct dc_odb *odb, const char *what)
{
	const char *never = out("printf 'never written' | git hash-object --stdin");

	tap_ok(read_hex(odb, never, 1) == 1 && read_hex(odb, never, 0) == 1 &&
	       read_hex(odb, "0000000000000000000000000000000000000000", 1) == 1 &&
	       read_hex(odb, "ffffffffffffffffffffffffffffffffffffffff", 1) == 1,
	       "%s: objects not there (00.., ff.., %.8s): 1", what, never);
}

/* dc_odb_resolve(name) is `git rev-parse --verify name` in `dir` (want 0), or `want`. */
static void resolves(struct dc_odb *odb, const char *dir, const char *name, int want)
{
	unsigned char oid[DC_ODB_RAWSZ];
	char hex[64] = "";
	int r = dc_odb_resolve(odb, name, strlen(name), oid);

	if (want) {
		is_int(r, want, "%s: %s is %d", dir, name, want);
		return;
	}
	if (r)
		snprintf(hex, sizeof(hex), "(returned %d)", r);
	else
		dc_odb_oid_to_hex(hex, oid);
	is_str(hex, out("git -C %s rev-parse --verify -q '%s'", dir, name), "%s: %s as git has it",
	       dir, name);
}

/* Replace the loose object `hex` of lc with `raw`, deflated or as it is. */
static void put_loose(const char *hex, const void *raw, size_t len, int deflate)
{
	unsigned char z[512];
	uLongf zlen = sizeof(z);
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "lc/.git/objects/%.2s/%s", hex, hex + 2);
	chmod(path, 0644);
	if (!(f = fopen(path, "w")))
		return;
	if (deflate && compress2(z, &zlen, raw, len, 1) == Z_OK)
		fwrite(z, 1, zlen, f);
	else
		fwrite(raw, 1, len, f);
	fclose(f);
}

/* Loose objects damaged in a copy, each read in a child: -1, not 0, not a crash. */
static void damaged_loose(void)
{
	enum { RAW, DEFLATED, CUT, JUNK };
	static const struct {
		const char *name, *what, *raw;
		size_t len;
		int how, info;
	} cases[] = {
		{ "HEAD:big.txt", "cut in half", NULL, 0, CUT, 0 },
		{ "HEAD:README", "garbage, not zlib", "this is not zlib at all", 23, RAW, 1 },
		{ "HEAD:nul.bin", "a header saying 100 bytes over 5", "blob 100\0short", 14,
		  DEFLATED, 0 },
		{ "HEAD:empty", "a header saying 5 bytes over 11", "blob 5\0hello world", 18,
		  DEFLATED, 0 },
		{ "HEAD:a/b/c/deep.txt", "an empty file", "", 0, RAW, 1 },
		{ "HEAD:a", "an unknown type \"blub\"", "blub 5\0hello", 12, DEFLATED, 1 },
		{ "HEAD:a/n-5", "a header saying 10^17 bytes over 5",
		  "blob 99999999999999999\0short", 28, DEFLATED, 0 },
		{ "HEAD~1", "a commit with bytes after its zlib stream (git: garbage at end)",
		  NULL, 0, JUNK, 0 },
	};
	enum { N = sizeof(cases) / sizeof(*cases) };
	struct dc_odb *odb;
	char hex[N][41], path[128];
	struct stat st;
	size_t i;
	int r, ri;

	sh("cp -a r lc");
	for (i = 0; i < N; i++)
		snprintf(hex[i], 41, "%s", out("git -C lc rev-parse %s", cases[i].name));
	for (i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "lc/.git/objects/%.2s/%s", hex[i], hex[i] + 2);
		chmod(path, 0644);
		if (cases[i].how == CUT && (stat(path, &st) || truncate(path, st.st_size / 2)))
			tap_diag("cannot cut %s", path);
		else if (cases[i].how == JUNK)
			sh("printf junk >>%s", path);
		else if (cases[i].how == RAW || cases[i].how == DEFLATED)
			put_loose(hex[i], cases[i].raw, cases[i].len, cases[i].how == DEFLATED);
	}
	odb = open_repo("lc/.git", "damaged loose objects");
	for (i = 0; i < N; i++) {
		r = read_forked(odb, hex[i], 1);
		ri = cases[i].info ? read_forked(odb, hex[i], 0) : -1;
		tap_ok(r == -1 && ri == -1, "a loose object, %s (%s): -1%s (%d, %d)", cases[i].what,
		       cases[i].name, cases[i].info ? ", with and without the bytes" : "", r, ri);
	}
	is_int(read_hex(odb, out("git -C lc rev-parse HEAD"), 1), 0, "  a sound one still read");
	dc_odb_close(odb);
}

/* In a copy, 16 bytes in the middle of the biggest whole blob's data changed. */
static void damaged_pack(void)
{
	struct dc_odb *odb;
	char base[41] = "", child[41], head[41], type[16];
	unsigned long long size = 0, psize = 0, off = 0;
	unsigned char junk[16];
	int fd, i;

	sh("cp -a r pc && chmod u+w pc/.git/objects/pack/*.pack");
	sscanf(out("cd pc/.git/objects/pack && git verify-pack -v *.idx | "
		   "awk 'NF == 5 && $2 == \"blob\"' | sort -n -k 3 | tail -n 1"),
	       "%40s %15s %llu %llu %llu", base, type, &size, &psize, &off);
	snprintf(child, 41, "%s", out("cd pc/.git/objects/pack && git verify-pack -v *.idx | "
		 "awk 'NF == 7 && $7 == \"%s\" { print $1 }' | head -n 1", base));
	snprintf(head, 41, "%s", out("git -C pc rev-parse HEAD"));
	fd = open(out("ls pc/.git/objects/pack/*.pack"), O_RDWR);
	if (fd < 0 || pread(fd, junk, 16, (off_t)(off + psize / 2)) != 16)
		tap_diag("cannot read the pack");
	for (i = 0; i < 16; i++)
		junk[i] ^= 0x5a;
	if (fd < 0 || pwrite(fd, junk, 16, (off_t)(off + psize / 2)) != 16)
		tap_diag("cannot damage the pack");
	if (fd >= 0)
		close(fd);

	odb = open_repo("pc/.git", "a damaged pack");
	tap_ok(size > 100000 && read_forked(odb, base, 1) == -1,
	       "a packed blob with damaged data (%.8s, %llu bytes): -1", base, size);
	tap_ok(strlen(child) == 40 && read_forked(odb, child, 1) == -1,
	       "a delta over it (%.8s): -1", child);
	is_int(read_hex(odb, head, 1), 0, "  the commit in the same pack still read");
	dc_odb_close(odb);
}

static void left_to_git(const char *dir, const char *what)
{
	struct dc_odb *odb = (struct dc_odb *)&odb;
	int r = dc_odb_open(&odb, under_root(dir));

	tap_ok(r == 1 && !odb, "%s: left to git (%d)", what, r);
	if (!r && odb)
		dc_odb_close(odb);
}

static void hex_round_trip(void)
{
	static const char *bad[] = {
		"0123456789abcdef0123456789abcdef0123456g",
		"0123456789abcdef0123456789abcdef0123456",
		"0123456789abcdef 123456789abcdef01234567",
		"",
	};
	const char *hex = "0123456789abcdef0123456789abcdeffedcba98";
	unsigned char oid[DC_ODB_RAWSZ];
	char back[2 * DC_ODB_RAWSZ + 8];
	size_t i;
	int rejected = 1;

	memset(back, 'x', sizeof(back));
	tap_ok(!dc_odb_hex_to_oid(oid, hex) && oid[0] == 0x01 && oid[7] == 0xef &&
	       oid[19] == 0x98, "hex to bytes");
	dc_odb_oid_to_hex(back, oid);
	tap_ok(!memcmp(back, hex, 40) && back[40] == '\0', "and back, NUL-terminated");
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (!dc_odb_hex_to_oid(oid, bad[i])) {
			tap_diag("taken: '%s'", bad[i]);
			rejected = 0;
		}
	tap_ok(rejected, "a non-hex digit, 39 digits, a space, nothing: refused");
	tap_ok(!strcmp(dc_odb_type_name(DC_ODB_COMMIT), "commit") &&
	       !strcmp(dc_odb_type_name(DC_ODB_TREE), "tree") &&
	       !strcmp(dc_odb_type_name(DC_ODB_BLOB), "blob") &&
	       !strcmp(dc_odb_type_name(DC_ODB_TAG), "tag") && !dc_odb_type_name(DC_ODB_NONE),
	       "type names");
}

int main(void)
{
	static const char *unset[] = { "GIT_DIR", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY",
		"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
		"GIT_CONFIG_GLOBAL", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "XDG_CONFIG_HOME",
		"GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_NAMESPACE" };
	static const char *env[][2] = { { "GIT_CONFIG_NOSYSTEM", "1" },
		{ "GIT_AUTHOR_NAME", "A U Thor" }, { "GIT_AUTHOR_EMAIL", "author@example.com" },
		{ "GIT_COMMITTER_NAME", "C O Mitter" },
		{ "GIT_COMMITTER_EMAIL", "committer@example.com" },
		{ "GIT_AUTHOR_DATE", "1112911993 -0700" },
		{ "GIT_COMMITTER_DATE", "1112911993 -0700" } };
	const char *tmp = getenv("TMPDIR");
	struct dc_odb *odb;
	unsigned char oid[DC_ODB_RAWSZ];
	char head[41], hex[64], tag_tree[41];
	size_t ofs, ref, i;
	int r;

	snprintf(root, sizeof(root), "%s/t-odb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root) || chdir(root))
		return 1;
	for (i = 0; i < sizeof(unset) / sizeof(*unset); i++)
		unsetenv(unset[i]);
	for (i = 0; i < sizeof(env) / sizeof(*env); i++)
		setenv(env[i][0], env[i][1], 1);
	setenv("HOME", root, 1);

	/* loose objects only */
	if (sh("git config --global gc.auto 0 && git config --global init.defaultBranch main && "
	       "git init -q r && mkdir -p r/a/b/c && : >r/empty && "
	       "printf 'a\\0b\\0\\0c' >r/nul.bin && echo readme >r/README")) {
		tap_ok(0, "a repository made by git");
		return done_testing();
	}
	for (i = 0; i < 6; i++)
		commit((int)i);
	sh("git -C r tag -a -m 'tag v1' v1 HEAD~2");
	odb = open_repo("r/.git", "loose objects");
	tap_ok(count_objects("r", "packs") == 0 && count_objects("r", "count") > 30,
	       "  git made loose objects only");
	compare_all(odb, "r", "loose objects");
	absent(odb, "loose objects");

	/* names, through loose refs */
	snprintf(head, 41, "%s", out("git -C r rev-parse HEAD"));
	snprintf(tag_tree, 41, "%s", out("git -C r rev-parse v1^{tree}"));
	resolves(odb, "r", "HEAD", 0);
	resolves(odb, "r", "HEAD^{tree}", 0);
	resolves(odb, "r", "HEAD:a/b/c/deep.txt", 0);
	resolves(odb, "r", "HEAD:a/b", 0);
	resolves(odb, "r", "HEAD:empty", 0);
	snprintf(hex, sizeof(hex), "%s^{tree}", head);
	resolves(odb, "r", hex, 0);
	snprintf(hex, sizeof(hex), "%s^{tree}", out("git -C r rev-parse HEAD~3^{tree}"));
	resolves(odb, "r", hex, 0);
	snprintf(hex, sizeof(hex), "%s:a/b/c/deep.txt", out("git -C r rev-parse HEAD~4"));
	resolves(odb, "r", hex, 0);
	resolves(odb, "r", out("git -C r rev-parse HEAD:big.txt"), 0);
	resolves(odb, "r", "HEAD:no/such", 1);
	resolves(odb, "r", "HEAD:a/nope", 1);
	resolves(odb, "r", "HEAD~1", -1);
	resolves(odb, "r", "main", -1);
	r = dc_odb_resolve(odb, "HEAD^{tree}trailing", 11, oid);
	dc_odb_oid_to_hex(hex, oid);
	tap_ok(!r && !strcmp(hex, out("git -C r rev-parse HEAD^{tree}")),
	       "only `len` bytes of the name read");
	snprintf(hex, sizeof(hex), "%s^{tree}", out("git -C r rev-parse v1"));
	r = dc_odb_resolve(odb, hex, strlen(hex), oid);
	dc_odb_oid_to_hex(hex, oid);
	tap_ok(r == -1 || (!r && !strcmp(hex, tag_tree)), "<tag>^{tree}: git's tree or -1 (%d)", r);
	dc_odb_close(odb);

	/* damaged loose objects, in a copy */
	damaged_loose();

	/* one pack, offset deltas */
	sh("git -C r repack -q -a -d -f --depth=50 --window=50");
	pack_deltas("r", &ofs, &ref);
	tap_ok(ofs > 3 && !ref && count_objects("r", "packs") == 1 && !count_objects("r", "count"),
	       "git made one pack with %zu offset deltas, no loose objects", ofs);
	odb = open_repo("r/.git", "offset deltas");
	compare_all(odb, "r", "offset deltas");
	absent(odb, "offset deltas");
	dc_odb_close(odb);
	damaged_pack();

	/* reference deltas */
	sh("git -C r -c repack.useDeltaBaseOffset=false repack -q -a -d -f --depth=50 --window=50");
	pack_deltas("r", &ofs, &ref);
	tap_ok(ref > 3 && !ofs, "git made a pack with %zu reference deltas", ref);
	odb = open_repo("r/.git", "reference deltas");
	compare_all(odb, "r", "reference deltas");
	dc_odb_close(odb);

	/* two packs and loose objects */
	commit(6);
	commit(7);
	sh("git -C r repack -q -d");
	commit(8);
	commit(9);
	tap_ok(count_objects("r", "packs") == 2 && count_objects("r", "count") > 5,
	       "git has two packs and loose objects");
	odb = open_repo("r/.git", "two packs and loose objects");
	compare_all(odb, "r", "two packs and loose objects");
	absent(odb, "two packs and loose objects");
	dc_odb_close(odb);

	/* HEAD through packed-refs, a loose ref over a packed one, detached, nested */
	sh("git -C r pack-refs --all");
	odb = open_repo("r/.git", "packed refs");
	tap_ok(access("r/.git/refs/heads/main", F_OK) && access("r/.git/refs/tags/v1", F_OK),
	       "  git packed the refs");
	resolves(odb, "r", "HEAD", 0);
	resolves(odb, "r", "HEAD:a/b/c/deep.txt", 0);
	dc_odb_close(odb);
	commit(10);
	odb = open_repo("r/.git", "a loose ref over a packed one");
	resolves(odb, "r", "HEAD", 0);
	dc_odb_close(odb);
	sh("git -C r checkout -q --detach HEAD~2");
	odb = open_repo("r/.git", "a detached HEAD");
	resolves(odb, "r", "HEAD", 0);
	resolves(odb, "r", "HEAD^{tree}", 0);
	dc_odb_close(odb);
	sh("git -C r checkout -q main && git -C r branch feature/x HEAD~3 && "
	   "git -C r symbolic-ref HEAD refs/heads/feature/x");
	odb = open_repo("r/.git", "HEAD at refs/heads/feature/x");
	resolves(odb, "r", "HEAD", 0);
	dc_odb_close(odb);
	sh("git -C r symbolic-ref HEAD refs/heads/main");

	/* a linked worktree: its own HEAD, the common objects and refs */
	sh("git -C r worktree add -q -b side ../wt HEAD~2");
	odb = open_repo("r/.git/worktrees/wt", "a linked worktree's git dir");
	tap_ok(strcmp(out("git -C wt rev-parse HEAD"), out("git -C r rev-parse HEAD")),
	       "  its HEAD is not the main one's");
	resolves(odb, "wt", "HEAD", 0);
	resolves(odb, "wt", "HEAD:big.txt", 0);
	compare_all(odb, "wt", "a linked worktree");
	dc_odb_close(odb);

	/* repositories left to git */
	sh("git clone -q -s r alt && git clone -q r rep && git -C rep replace HEAD~1 HEAD~2");
	left_to_git("alt/.git", "objects/info/alternates");
	tap_ok(access("rep/.git/objects/info/alternates", F_OK) != 0,
	       "  (the clone with a replace ref has no alternates)");
	left_to_git("rep/.git", "a loose refs/replace/ ref");
	sh("git -C rep pack-refs --all");
	left_to_git("rep/.git", "a packed refs/replace/ ref");
	if (!sh("git init -q --object-format=sha256 s256 2>/dev/null"))
		left_to_git("s256/.git", "extensions.objectFormat=sha256");
	else
		tap_ok(1, "sha256 # SKIP git cannot make one");
	setenv("GIT_OBJECT_DIRECTORY", under_root("r/.git/objects"), 1);
	left_to_git("r/.git", "GIT_OBJECT_DIRECTORY set");
	unsetenv("GIT_OBJECT_DIRECTORY");

	/* an unborn HEAD */
	sh("git init -q unborn");
	odb = open_repo("unborn/.git", "no commit yet");
	tap_ok(dc_odb_resolve(odb, "HEAD", 4, oid) == -1 &&
	       dc_odb_resolve(odb, "HEAD^{tree}", 11, oid) == -1 &&
	       dc_odb_resolve(odb, "HEAD:a", 6, oid) == -1, "an unborn HEAD: -1");
	dc_odb_close(odb);

	/* hex */
	hex_round_trip();

	if (!chdir("/") && !tap_failed)
		sh("rm -rf '%s'", root);
	else if (tap_failed)
		tap_diag("repositories kept in %s", root);
	return done_testing();
}
