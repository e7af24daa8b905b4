/*
 * dc_repo_tree_splice() (git-dc/lib/repo.c) against libgit2's
 * git_tree_create_updated(): random change sets (fixed seed) over names
 * that sort differently as files and as directories ("a", "a.b", "a-c",
 * "a0", ...), removals that empty directories, a flat directory of 3,000
 * entries. Every tree git dc writes must be the one libgit2 writes; the
 * sets it declines (a file where a directory is) must be declined, not
 * written wrong.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <git2.h>
#include "tap.h"
#include "repo.h"

static unsigned long long seed = 42;

static unsigned rnd(unsigned n)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((seed >> 33) % n);
}

/* directories and files whose names sort around one another */
static const char *const dirs[] = { "a", "a.b", "a0", "b", "frame-1", "frame-10" };
static const char *const files[] = {
	"a-c", "a.b.json", "a.json", "a0.x", "ab", "b", "frame-1.json", "frame-10", "frame-2", "z",
};
#define NDIRS (sizeof(dirs) / sizeof(*dirs))
#define NFILES (sizeof(files) / sizeof(*files))

static git_oid blobs[16];
static char known[512][64];
static size_t nknown;

/* Both ways; 1 when git dc wrote it (and equal), 0 when it declined. */
static int both(struct dc_repo *r, git_oid *out, const git_tree *base,
		const struct dc_tree_change *ch, size_t n, int *mismatch)
{
	struct dc_err err = DC_ERR_INIT;
	char *objects = r->objects_dir;
	git_oid fast, slow;
	int e = dc_repo_tree_splice(&fast, r, base, ch, n, &err), g;

	r->objects_dir = NULL;
	g = dc_repo_tree_update(&slow, r, base, ch, n, &err);
	r->objects_dir = objects;
	if (e < 0) {
		tap_diag("git dc failed: %s", err.msg.buf);
		(*mismatch)++;
	} else if (e == 0 && (g || !git_oid_equal(&fast, &slow))) {
		char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
		git_oid_tostr(a, sizeof(a), &fast);
		git_oid_tostr(b, sizeof(b), &slow);
		tap_diag("tree %s, libgit2 %s (%d: %s)", a, b, g, g ? err.msg.buf : "");
		(*mismatch)++;
	}
	dc_err_release(&err);
	if (!g)
		git_oid_cpy(out, &slow);
	return e == 0 ? 1 : g ? -1 : 0;
}

int main(void)
{
	char root[] = "/tmp/dc-t-tree-XXXXXX";
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	git_repository *init = NULL;
	git_tree *base = NULL;
	git_oid cur;
	char text[64];
	int trial, mismatch = 0, written = 0, declined = 0, k;
	size_t i;

	dc_libgit2_init();
	if (!mkdtemp(root) || git_repository_init(&init, root, 0) || chdir(root) ||
	    dc_repo_open(&r, &err)) {
		tap_ok(0, "a repository to write in: %s", err.msg.buf);
		return done_testing();
	}
	git_repository_free(init);
	tap_ok(r.objects_dir != NULL, "git dc writes loose objects here");
	for (i = 0; i < 16; i++) {
		snprintf(text, sizeof(text), "blob %zu\n", i);
		git_blob_create_from_buffer(&blobs[i], r.git, text, strlen(text));
	}

	/* random sets, each applied to the tree the one before made; removals
	 * mostly of paths set before, sometimes of paths that are not there */
	for (trial = 0; trial < 400; trial++) {
		struct dc_tree_change ch[8];
		char paths[8][64];
		size_t n = 1 + rnd(8);
		int e;

		for (i = 0; i < n; i++) {
			unsigned depth = 1 + rnd(3), d;
			paths[i][0] = '\0';
			for (d = 0; d + 1 < depth; d++) {
				strcat(paths[i], dirs[rnd(NDIRS)]);
				strcat(paths[i], "/");
			}
			strcat(paths[i], files[rnd(NFILES)]);
			ch[i].remove = rnd(10) < 2;
			if (ch[i].remove && nknown && rnd(10))
				strcpy(paths[i], known[rnd(nknown)]);
			ch[i].path = paths[i];
			git_oid_cpy(&ch[i].oid, &blobs[rnd(16)]);
		}
		e = both(&r, &cur, base, ch, n, &mismatch);
		for (i = 0; e >= 0 && i < n; i++)
			if (!ch[i].remove && nknown < 512)
				strcpy(known[nknown++], ch[i].path);
		if (e > 0)
			written++;
		else if (!e)
			declined++;
		if (e >= 0) {
			git_tree_free(base);
			base = NULL;
			if (git_tree_lookup(&base, r.git, &cur))
				mismatch++;
		}
		if (trial % 50 == 49) {	/* start again from nothing now and then */
			git_tree_free(base);
			base = NULL;
			nknown = 0;
		}
	}
	tap_ok(!mismatch, "400 random change sets: every tree git dc wrote is libgit2's"
	       " (%d written, %d declined)", written, declined);
	tap_ok(written > 200, "most sets are written by git dc (%d of 400)", written);

	/* a flat directory of 3,000 deltas, one added, one removed */
	{
		struct dc_tree_change *ch = calloc(3000, sizeof(*ch));
		char (*paths)[64] = calloc(3000, 64);
		int before = mismatch;

		git_tree_free(base);
		base = NULL;
		for (i = 0; i < 3000; i++) {
			snprintf(paths[i], 64, "state/stream_deltas/frame-%zu-s%zu.json", i / 15 + 1,
				 i % 15);
			ch[i].path = paths[i];
			git_oid_cpy(&ch[i].oid, &blobs[i % 16]);
		}
		k = both(&r, &cur, NULL, ch, 3000, &mismatch);
		git_tree_lookup(&base, r.git, &cur);
		ch[0].path = "state/stream_deltas/frame-201-s0.json";
		k += both(&r, &cur, base, ch, 1, &mismatch);
		ch[0].path = "state/stream_deltas/frame-1-s0.json";
		ch[0].remove = 1;
		k += both(&r, &cur, base, ch, 1, &mismatch);
		tap_ok(k == 3 && mismatch == before, "3,000 deltas in one directory, then one added"
		       " and one removed: libgit2's trees");
		free(ch);
		free(paths);
	}

	/* the last file of a directory removed: the directory goes too */
	{
		struct dc_tree_change ch[2];
		git_tree *t = NULL;
		int before = mismatch;

		memset(ch, 0, sizeof(ch));
		ch[0].path = "d/e/only.json";
		git_oid_cpy(&ch[0].oid, &blobs[1]);
		ch[1].path = "top.json";
		git_oid_cpy(&ch[1].oid, &blobs[2]);
		k = both(&r, &cur, NULL, ch, 2, &mismatch);
		git_tree_lookup(&t, r.git, &cur);
		ch[0].remove = 1;
		k += both(&r, &cur, t, ch, 1, &mismatch);
		git_tree_free(t);
		git_tree_lookup(&t, r.git, &cur);
		tap_ok(k == 2 && mismatch == before && t && git_tree_entrycount(t) == 1,
		       "a directory left empty is dropped, as libgit2 drops it");
		git_tree_free(t);
	}

	/* a file where a directory is: declined, and libgit2 decides */
	{
		struct dc_tree_change ch[2];
		git_tree *t = NULL;
		int e1, e2;

		memset(ch, 0, sizeof(ch));
		ch[0].path = "x";
		git_oid_cpy(&ch[0].oid, &blobs[1]);
		both(&r, &cur, NULL, ch, 1, &mismatch);
		git_tree_lookup(&t, r.git, &cur);
		ch[0].path = "x/y";
		e1 = dc_repo_tree_splice(&cur, &r, t, ch, 1, &err);
		ch[0].path = "p";
		ch[1].path = "p/q";
		git_oid_cpy(&ch[1].oid, &blobs[2]);
		e2 = dc_repo_tree_splice(&cur, &r, NULL, ch, 2, &err);
		tap_ok(e1 == 1 && e2 == 1, "a file and a directory at one name: declined (%d, %d)",
		       e1, e2);
		ch[0].path = "a/.GIT/x";
		e1 = dc_repo_tree_splice(&cur, &r, NULL, ch, 1, &err);
		ch[0].path = "a/../x";
		e2 = dc_repo_tree_splice(&cur, &r, NULL, ch, 1, &err);
		tap_ok(e1 == 1 && e2 == 1, "names git refuses: declined (%d, %d)", e1, e2);
		git_tree_free(t);
	}

	git_tree_free(base);
	dc_repo_release(&r);
	dc_err_release(&err);
	if (chdir("/") == 0) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd))
			tap_diag("could not remove %s", root);
	}
	return done_testing();
}
