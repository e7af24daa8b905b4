/*
 * git-dc/lib/index.c against git itself: an index git wrote, changed by
 * dc_index_update(), must read back in git as the index `git update-index`
 * would have made (entries, and `git write-tree` through the cache tree
 * git dc kept); the forms git dc does not edit (version 4, a split index,
 * a conflict, a file/directory clash) must be left untouched for libgit2;
 * a lock held by another process must be reported and left in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tap.h"
#include "index.h"

static char root[] = "/tmp/dc-t-index-XXXXXX";

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The first line `cmd` prints, without its newline. */
static char *out(const char *cmd)
{
	static char line[4096];
	FILE *f = popen(cmd, "r");

	line[0] = '\0';
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		pclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static int slurp(struct dc_buf *b, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY), e;

	dc_buf_reset(b);
	if (fd < 0 || fstat(fd, &st))
		return -1;
	e = dc_buf_read_fd(b, fd, (size_t)st.st_size);
	close(fd);
	return e;
}

static void unhex(unsigned char *raw, const char *hex)
{
	int i;

	for (i = 0; i < 20; i++) {
		unsigned v = 0;
		sscanf(hex + 2 * i, "%2x", &v);
		raw[i] = (unsigned char)v;
	}
}

/* Write `text` at `path`, and a change setting it (the blob written by git). */
static void put(struct dc_index_change *c, unsigned char *oid, const char *path, const char *text)
{
	char cmd[256];
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "git hash-object -w '%s'", path);
	unhex(oid, out(cmd));
	memset(c, 0, sizeof(*c));
	c->path = path;
	c->oid = oid;
	lstat(path, &c->st);
}

/* The tree `git update-index` makes from HEAD with the same changes. */
static char *twin_tree(const char *updates)
{
	static char tree[64];

	sh("rm -f .git/twin && GIT_INDEX_FILE=.git/twin git read-tree HEAD && "
	   "GIT_INDEX_FILE=.git/twin git update-index %s", updates);
	snprintf(tree, sizeof(tree), "%s", out("GIT_INDEX_FILE=.git/twin git write-tree"));
	return tree;
}

static int has(const struct dc_buf *b, const char *sig)
{
	return memmem(b->buf, b->len, sig, 4) != NULL;
}

int main(void)
{
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf before = DC_BUF_INIT, after = DC_BUF_INIT;
	struct dc_index x = DC_INDEX_INIT;
	struct dc_index_entry e;
	struct dc_index_change c[2];
	unsigned char oid[2][20];
	char want[64], cmd[256];
	int r;

	if (!mkdtemp(root) || chdir(root) ||
	    sh("git init -q . && git config user.name T && git config user.email t@example.com"
	       " && mkdir -p d/e k && echo a >a && echo b >d/b && echo c >d/e/c && echo x >k/x"
	       " && echo z >z && git add . && git commit -q -m base")) {
		tap_ok(0, "a repository made by git");
		return done_testing();
	}
	slurp(&before, ".git/index");
	tap_ok(has(&before, "TREE"), "git wrote a cache tree");

	r = dc_index_read(&x, ".git/index");
	tap_ok(r == 0 && x.n == 5, "an index of git's read (%d, %zu entries)", r, x.n);
	snprintf(want, sizeof(want), "%s", out("git rev-parse :d/b"));
	r = dc_index_find(&x, "d/b", &e);
	tap_ok(r == 1 && e.size == 2 && e.mode == 0100644, "an entry found with its stat data");
	tap_ok(!dc_index_find(&x, "d", &e) && !dc_index_find(&x, "d/c", &e) &&
	       !dc_index_find(&x, "zz", &e), "no entry for a directory or a missing path");

	/* a new file in a directory */
	put(&c[0], oid[0], "d/new", "new\n");
	r = dc_index_update(".git/index", c, 1, &err);
	snprintf(cmd, sizeof(cmd), "git update-index --add --cacheinfo 100644,%s,d/new",
		 out("git hash-object d/new"));
	snprintf(want, sizeof(want), "%s", twin_tree(cmd + strlen("git update-index ")));
	tap_ok(r == 0, "a file added (%d)", r);
	is_str(out("git write-tree"), want, "git write-tree: the tree update-index makes");
	is_str(out("git status --porcelain"), "A  d/new", "git status: added, nothing else");
	snprintf(cmd, sizeof(cmd), "%lu", (unsigned long)c[0].st.st_ino);
	tap_ok(strstr(out("git ls-files --debug d/new | grep ino"), cmd) != NULL,
	       "the entry has the file's stat data");
	slurp(&after, ".git/index");
	tap_ok(has(&after, "TREE") && access(".git/index.lock", F_OK),
	       "the cache tree is kept, no lock left");
	sh("git commit -q -m new");

	/* one changed, one removed, at once */
	put(&c[0], oid[0], "d/b", "b2\n");
	memset(&c[1], 0, sizeof(c[1]));
	c[1].path = "d/e/c";
	unlink("d/e/c");
	r = dc_index_update(".git/index", c, 2, &err);
	snprintf(cmd, sizeof(cmd), "--cacheinfo 100644,%s,d/b --force-remove d/e/c",
		 out("git hash-object d/b"));
	snprintf(want, sizeof(want), "%s", twin_tree(cmd));
	tap_ok(r == 0, "a file changed and one removed (%d)", r);
	is_str(out("git write-tree"), want, "git write-tree: the tree update-index makes");
	is_str(out("git status --porcelain | tr '\\n' ' '"), "M  d/b D  d/e/c ",
	       "git status: those two, staged");
	sh("git commit -q -m two");

	/* the untracked cache, which indexes directories, is dropped */
	sh("git update-index --untracked-cache && git status --porcelain >/dev/null");
	slurp(&before, ".git/index");
	put(&c[0], oid[0], "k/y", "y\n");
	r = dc_index_update(".git/index", c, 1, &err);
	slurp(&after, ".git/index");
	tap_ok(has(&before, "UNTR") && r == 0 && !has(&after, "UNTR") &&
	       !strcmp(out("git status --porcelain"), "A  k/y"),
	       "the untracked cache dropped, git status right");
	sh("git update-index --no-untracked-cache && git commit -q -m y");

	/* forms left to libgit2: the bytes do not change */
	{
		static const struct {
			const char *setup, *path, *undo, *what;
		} cases[] = {
			{ "git update-index --index-version 4", "d/v4",
			  "git update-index --index-version 2", "version 4" },
			{ "git update-index --split-index", "d/split",
			  "git update-index --no-split-index", "a split index" },
			{ "printf '100644 %s 1\\td/b\\n100644 %s 2\\td/b\\n' $(git rev-parse :d/b)"
			  " $(git rev-parse :d/b) | git update-index --index-info", "d/b",
			  "git update-index --force-remove d/b && git read-tree HEAD",
			  "a conflict at the path" },
			{ "true", "a/under-a-file", "true", "a path under a file" },
			{ "true", "d", "true", "a file where a directory is" },
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
			sh("%s", cases[i].setup);
			slurp(&before, ".git/index");
			memset(&c[0], 0, sizeof(c[0]));
			c[0].path = cases[i].path;
			c[0].oid = oid[0];
			r = dc_index_update(".git/index", c, 1, &err);
			slurp(&after, ".git/index");
			tap_ok(r == 1 && before.len == after.len &&
			       !memcmp(before.buf, after.buf, before.len) &&
			       access(".git/index.lock", F_OK),
			       "%s: left to libgit2, the index as it was (%d)", cases[i].what, r);
			sh("%s", cases[i].undo);
		}
	}

	/* a lock another process holds */
	close(open(".git/index.lock", O_CREAT | O_WRONLY, 0666));
	put(&c[0], oid[0], "d/locked", "l\n");
	r = dc_index_update(".git/index", c, 1, &err);
	tap_ok(r == -1 && strstr(err.msg.buf, "index.lock' exists") &&
	       !access(".git/index.lock", F_OK),
	       "a held lock: an error naming it, the lock left in place");
	unlink(".git/index.lock");
	dc_err_release(&err);

	/* not an index: read as "not here" */
	sh("head -c 100 .git/index >.git/cut");
	tap_ok(dc_index_read(&x, ".git/cut") == 1, "a truncated index is not read");
	tap_ok(dc_index_read(&x, ".git/none") == 1, "a missing one neither");

	dc_index_release(&x);
	dc_buf_release(&before);
	dc_buf_release(&after);
	if (!chdir("/"))
		sh("rm -rf '%s'", root);
	return done_testing();
}
