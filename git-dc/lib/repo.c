#include "repo.h"
#include "trace.h"
#include "rules.h"
#include "loose.h"
#include "index.h"
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ctype.h>
#include <time.h>
#include <sys/stat.h>
#include <dirent.h>
#include <signal.h>

int dc_git_err(struct dc_err *err, int code, const char *what, ...)
{
	const git_error *e = git_error_last();
	struct dc_buf b = DC_BUF_INIT;
	va_list ap;

	va_start(ap, what);
	dc_buf_vaddf(&b, what, ap);
	va_end(ap);
	dc_err_set(err, code, "%s: %s", b.buf, e && e->message ? e->message : "unknown error");
	dc_buf_release(&b);
	return -1;
}

static int libgit2_started;

/*
 * libgit2 built with mbedTLS (Debian's is) parses the whole system CA
 * bundle in git_libgit2_init(): 5 to 8 ms on the test machine, more than
 * the rest of `git dc status`. git dc never opens a connection through
 * libgit2 (fetch and push run git itself), so it never needs that chain.
 * An executable's definitions come first in the dynamic lookup, so these
 * two take the place of mbedTLS's loaders for libgit2: its chain stays
 * empty, and a TLS connection made through libgit2 would fail its
 * certificate check (closed, not open). Under another TLS backend they
 * are never called. Linked in with dc_libgit2_init() below.
 */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_x509_crt_parse_path(void *chain, const char *path);

int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	return 0;
}

int mbedtls_x509_crt_parse_path(void *chain, const char *path)
{
	return 0;
}

void dc_libgit2_init(void)
{
	if (!libgit2_started) {
		git_libgit2_init();
		libgit2_started = 1;
	}
}

/*
 * New loose objects are compressed at core.looseCompression (else
 * core.compression, else 1): canonical files can be megabytes and zlib's
 * default level costs several times level 1 for a few percent of size;
 * `git gc` packs them anyway. Objects read back are not re-hashed, as git
 * does not re-hash them either. Level 0 is git's "stored, not deflated",
 * still a zlib stream: git dc's own writer (loose.h) writes it so, but
 * libgit2's loose backend takes 0 as "no zlib at all" and writes the raw
 * object, which nothing can read; the objects libgit2 writes (trees,
 * commits: small) are compressed at level 1 then.
 */
static int fast_loose_objects(struct dc_repo *r, struct dc_err *err)
{
	git_odb_backend *loose = NULL;
	git_config *cfg = NULL;
	git_odb *odb = NULL;
	struct dc_buf dir = DC_BUF_INIT;
	int level = 1, v, ret = -1;

	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	/*
	 * libgit2 caches no tree over 4 KB by default: every path looked up
	 * under a delta directory of 10,000 entries (500 KB) read and
	 * inflated that tree again.
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)64 << 20);
	if (!git_repository_config_snapshot(&cfg, r->git)) {
		if (!git_config_get_int32(&v, cfg, "core.looseCompression") ||
		    !git_config_get_int32(&v, cfg, "core.compression"))
			level = v < 0 ? 1 : v > 9 ? 9 : v;
		git_config_free(cfg);
	}
	dc_buf_addf(&dir, "%sobjects", git_repository_commondir(r->git));
	if (git_repository_odb(&odb, r->git) ||
	    git_odb_backend_loose(&loose, dir.buf, level ? level : 1, 0, 0, 0) ||
	    git_odb_add_backend(odb, loose, 100)) {
		if (loose && loose->free)
			loose->free(loose);
		dc_git_err(err, DC_ERR_FATAL, "cannot open the object database");
		goto cleanup;
	}
	/* blobs are written by git dc itself, but not into a quarantine
	 * (pre-receive) or an object directory set for this process */
	r->loose_level = level;
	if (!getenv("GIT_OBJECT_DIRECTORY"))
		r->objects_dir = dc_buf_detach(&dir, NULL);
	ret = 0;
cleanup:
	git_odb_free(odb);
	dc_buf_release(&dir);
	return ret;
}

/*
 * What git hands a hook that a repository opened by path does not see: the
 * index being committed (`git commit -a` and `git commit <paths>` commit a
 * temporary index named by GIT_INDEX_FILE), and the objects a push brings
 * (pre-receive runs before they leave git's quarantine directory, named
 * by GIT_OBJECT_DIRECTORY, with the real object store in
 * GIT_ALTERNATE_OBJECT_DIRECTORIES).
 */
static int hook_environment(struct dc_repo *r, struct dc_err *err)
{
	const char *index_file = getenv("GIT_INDEX_FILE");
	const char *objdir = getenv("GIT_OBJECT_DIRECTORY");
	const char *alt = getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES"), *p, *end;
	git_index *idx = NULL;
	git_odb *odb = NULL;
	char *one = NULL;
	int ret = -1;

	if (index_file && *index_file && !git_repository_is_bare(r->git)) {
		if (git_index_open(&idx, index_file) || git_repository_set_index(r->git, idx)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot open the index '%s'", index_file);
			goto cleanup;
		}
	}
	if ((objdir && *objdir) || (alt && *alt)) {
		if (git_repository_odb(&odb, r->git) ||
		    (objdir && *objdir && git_odb_add_disk_alternate(odb, objdir))) {
			dc_git_err(err, DC_ERR_FATAL, "cannot open the object directory '%s'",
				   objdir ? objdir : "");
			goto cleanup;
		}
		for (p = alt; p && *p; p = end ? end + 1 : NULL) {
			end = strchr(p, ':');
			free(one);
			one = end ? dc_xmemdupz(p, (size_t)(end - p)) : dc_xstrdup(p);
			if (*one && git_odb_add_disk_alternate(odb, one)) {
				dc_git_err(err, DC_ERR_FATAL, "cannot open the object directory '%s'",
					   one);
				goto cleanup;
			}
		}
	}
	ret = 0;
cleanup:
	free(one);
	git_odb_free(odb);
	git_index_free(idx);
	return ret;
}

/* 1 if `dir` is one of GIT_CEILING_DIRECTORIES. */
static int is_ceiling(const char *dir)
{
	const char *c = getenv("GIT_CEILING_DIRECTORIES"), *end;
	size_t n = strlen(dir);

	for (; c && *c; c = *end ? end + 1 : end) {
		end = strchrnul(c, ':');
		if ((size_t)(end - c) == n && !strncmp(c, dir, n))
			return 1;
	}
	return 0;
}

/*
 * libgit2 reports a repository owned by another user (git's safe.directory
 * rule) as no repository at all: find the one git would have found and,
 * if another user owns it, say so. 1 if it did.
 */
static int dubious_ownership(struct dc_err *err, const char *gd)
{
	struct dc_buf dir = DC_BUF_INIT, p = DC_BUF_INIT;
	struct stat st;
	char *cwd = gd && *gd ? NULL : getcwd(NULL, 0);
	int ret = 0;

	if (gd && *gd) {
		dc_buf_adds(&dir, gd);
	} else if (cwd) {
		dc_buf_adds(&dir, cwd);
		for (;;) {
			char *slash;

			dc_buf_reset(&p);
			dc_buf_addf(&p, "%s/.git", dir.buf);
			if (!lstat(p.buf, &st))
				break;
			dc_buf_reset(&p);
			dc_buf_addf(&p, "%s/objects", dir.buf);
			if (!stat(p.buf, &st)) {
				dc_buf_reset(&p);
				dc_buf_addf(&p, "%s/HEAD", dir.buf);
				if (!stat(p.buf, &st))
					break;
			}
			slash = strrchr(dir.buf, '/');
			if (!slash || slash == dir.buf) {
				dc_buf_reset(&dir);
				break;
			}
			dc_buf_setlen(&dir, (size_t)(slash - dir.buf));
			if (is_ceiling(dir.buf)) {	/* git does not look there either */
				dc_buf_reset(&dir);
				break;
			}
		}
	}
	if (dir.len && !stat(dir.buf, &st) && st.st_uid != geteuid()) {
		dc_err_set(err, DC_ERR_FATAL, "detected dubious ownership in repository at '%s':"
			   " it is owned by another user (uid %lu); nothing was changed", dir.buf,
			   (unsigned long)st.st_uid);
		dc_err_hint(err, "if you trust it: git config --global --add safe.directory '%s'",
			    dir.buf);
		ret = 1;
	}
	free(cwd);
	dc_buf_release(&dir);
	dc_buf_release(&p);
	return ret;
}

int dc_repo_open(struct dc_repo *r, struct dc_err *err)
{
	const char *gd = getenv("GIT_DIR"), *wt = getenv("GIT_WORK_TREE");
	int e;

	dc_libgit2_init();
	memset(r, 0, sizeof(*r));
	if (gd && *gd) {
		/* hooks and `git --git-dir` set GIT_DIR; GIT_WORK_TREE may come too */
		e = git_repository_open_ext(&r->git, gd, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
		if (!e && wt && *wt)
			e = git_repository_set_workdir(r->git, wt, 0);
	} else {
		e = git_repository_open_ext(&r->git, ".", 0, getenv("GIT_CEILING_DIRECTORIES"));
	}
	if (e) {
		if (e == GIT_ENOTFOUND && dubious_ownership(err, gd))
			return -1;
		if (e == GIT_ENOTFOUND) {
			dc_err_set(err, DC_ERR_FATAL, "not a git repository (or any of the parent"
				   " directories)");
			dc_err_hint(err, "run it inside a clone (make one with 'git clone <url>' or"
				    " 'git init'), or set GIT_DIR");
			return -1;
		}
		return dc_git_err(err, DC_ERR_FATAL, "cannot open the repository");
	}
	r->bare = git_repository_is_bare(r->git);
	r->workdir = r->bare ? NULL : git_repository_workdir(r->git);
	r->gitdir = git_repository_path(r->git);
	return fast_loose_objects(r, err) || hook_environment(r, err) ? -1 : 0;
}

void dc_repo_release(struct dc_repo *r)
{
	free(r->objects_dir);
	git_index_free(r->clean_index);
	git_repository_free(r->git);
	memset(r, 0, sizeof(*r));
}

int dc_repo_head(char **refname, git_commit **commit, struct dc_repo *r, struct dc_err *err)
{
	git_reference *head = NULL, *res = NULL;
	const char *target;
	int ret = -1, e;

	*refname = NULL;
	*commit = NULL;
	if (git_reference_lookup(&head, r->git, "HEAD"))
		return dc_git_err(err, DC_ERR_FATAL, "cannot read HEAD");
	if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) {
		dc_err_set(err, DC_ERR_REFUSED, "HEAD is detached");
		dc_err_hint(err, "check out the branch to work on first");
		goto cleanup;
	}
	target = git_reference_symbolic_target(head);
	*refname = dc_xstrdup(target);
	e = git_reference_lookup(&res, r->git, target);
	if (e == GIT_ENOTFOUND) {
		ret = 0;	/* unborn branch */
		goto cleanup;
	}
	if (e || git_commit_lookup(commit, r->git, git_reference_target(res))) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", target);
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (ret) {
		free(*refname);
		*refname = NULL;
	}
	git_reference_free(head);
	git_reference_free(res);
	return ret;
}

static int read_clean_file(struct dc_buf *out, struct dc_repo *r, const char *path,
			   const git_oid *id);

int dc_repo_read(struct dc_buf *out, int *exists, git_oid *oid, struct dc_repo *r,
		 const git_tree *tree, const char *path, struct dc_err *err)
{
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	int e, ret = -1;

	*exists = 0;
	dc_buf_reset(out);
	if (!tree)
		return 0;
	e = git_tree_entry_bypath(&te, tree, path);
	if (e == GIT_ENOTFOUND)
		return 0;
	if (e)
		return dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", path);
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(te) == GIT_FILEMODE_LINK) {
		dc_err_set(err, DC_ERR_REFUSED, "'%s' is not a regular file in the commit", path);
		goto cleanup;
	}
	if (read_clean_file(out, r, path, git_tree_entry_id(te))) {
		/* the work tree's copy: the blob's bytes, not inflated */
		dc_trace_note("read from the work tree: %s", path);
	} else if (git_blob_lookup(&blob, r->git, git_tree_entry_id(te))) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read blob of '%s'", path);
		goto cleanup;
	} else {
		dc_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	}
	if (oid)
		git_oid_cpy(oid, git_tree_entry_id(te));
	*exists = 1;
	ret = 0;
cleanup:
	git_blob_free(blob);
	git_tree_entry_free(te);
	return ret;
}

static int is_frame_dir(const char *name)
{
	const char *p = name + 6;

	if (strncmp(name, "frame-", 6) || !*p)
		return 0;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

struct list_ctx {
	struct dc_tree_entry *e;
	size_t n, alloc;
};

static void list_add(struct list_ctx *c, const char *prefix, const git_tree_entry *te)
{
	struct dc_tree_entry *x;
	struct dc_buf rel = DC_BUF_INIT;

	DC_ALLOC_GROW(c->e, c->n + 1, c->alloc);
	x = &c->e[c->n++];
	if (prefix) {
		dc_buf_adds(&rel, prefix);
		dc_buf_addch(&rel, '/');
	}
	dc_buf_adds(&rel, git_tree_entry_name(te));
	x->rel = dc_buf_detach(&rel, NULL);
	git_oid_cpy(&x->oid, git_tree_entry_id(te));
	x->mode = git_tree_entry_filemode(te);
}

static int cmp_entries(const void *a, const void *b)
{
	return strcmp(((const struct dc_tree_entry *)a)->rel, ((const struct dc_tree_entry *)b)->rel);
}

static int list_tree(struct dc_tree_entry **out, size_t *n, struct dc_repo *r,
		     const git_tree *sub, const char *dir, struct dc_err *err)
{
	struct list_ctx c = { NULL, 0, 0 };
	size_t i, count = git_tree_entrycount(sub);
	int ret = -1;

	for (i = 0; i < count; i++) {
		const git_tree_entry *se = git_tree_entry_byindex(sub, i);
		git_tree *fr = NULL;
		size_t k, fc;

		if (git_tree_entry_type(se) != GIT_OBJECT_TREE ||
		    !is_frame_dir(git_tree_entry_name(se))) {
			list_add(&c, NULL, se);
			continue;
		}
		if (git_tree_lookup(&fr, r->git, git_tree_entry_id(se))) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read '%s/%s'", dir,
				   git_tree_entry_name(se));
			goto cleanup;
		}
		fc = git_tree_entrycount(fr);
		for (k = 0; k < fc; k++)
			list_add(&c, git_tree_entry_name(se), git_tree_entry_byindex(fr, k));
		git_tree_free(fr);
	}
	if (c.n > 1)
		qsort(c.e, c.n, sizeof(*c.e), cmp_entries);
	*out = c.e;
	*n = c.n;
	c.e = NULL;
	c.n = 0;
	ret = 0;
cleanup:
	dc_tree_entries_free(c.e, c.n);
	return ret;
}

int dc_repo_list_dir(struct dc_tree_entry **out, size_t *n, git_oid *tree_oid,
		     struct dc_repo *r, const git_tree *tree, const char *dir, struct dc_err *err)
{
	git_tree_entry *te = NULL;
	int e, ret = -1;

	*out = NULL;
	*n = 0;
	memset(tree_oid, 0, sizeof(*tree_oid));
	if (!tree)
		return 0;
	e = git_tree_entry_bypath(&te, tree, dir);
	if (e == GIT_ENOTFOUND)
		return 0;
	if (e)
		return dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", dir);
	if (git_tree_entry_type(te) != GIT_OBJECT_TREE) {
		dc_err_set(err, DC_ERR_REFUSED, "the delta directory '%s' is not a directory", dir);
		dc_err_hint(err, "move that file away, or name another directory in the rules'"
			    " \"deltas\" member");
		goto cleanup;
	}
	git_oid_cpy(tree_oid, git_tree_entry_id(te));
	ret = dc_repo_list_tree(out, n, r, tree_oid, dir, err);
cleanup:
	git_tree_entry_free(te);
	return ret;
}

int dc_repo_list_tree(struct dc_tree_entry **out, size_t *n, struct dc_repo *r,
		      const git_oid *dir_tree, const char *dir, struct dc_err *err)
{
	git_tree *sub = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	if (git_tree_lookup(&sub, r->git, dir_tree))
		return dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of '%s'", dir);
	ret = list_tree(out, n, r, sub, dir, err);
	git_tree_free(sub);
	return ret;
}

const struct dc_tree_entry *dc_tree_entries_find(const struct dc_tree_entry *e, size_t n,
						 const char *rel)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(e[mid].rel, rel);
		if (!c)
			return &e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void dc_tree_entries_free(struct dc_tree_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].rel);
	free(e);
}

/*
 * The end of a write by git dc's own writer (loose.h): `e` <= 0 is its
 * answer; 1 (the object is elsewhere, packed) goes to libgit2, which
 * refreshes the pack.
 */
static int blob_written(int e, git_oid *oid, struct dc_repo *r, const void *buf, size_t len,
			struct dc_err *err)
{
	if (e <= 0)
		return e;
	if (git_blob_create_from_buffer(oid, r->git, buf, len))
		return dc_git_err(err, DC_ERR_FATAL, "cannot write a blob");
	return 0;
}

int dc_repo_write_blob(git_oid *oid, struct dc_repo *r, const void *buf, size_t len,
		       struct dc_err *err)
{
	git_odb *odb = NULL;
	int e = 1;

	if (r->objects_dir) {
		if (git_repository_odb(&odb, r->git))
			return dc_git_err(err, DC_ERR_FATAL, "cannot open the object database");
		e = dc_loose_write_blob(oid, r->objects_dir, r->loose_level, buf, len, odb, err);
		git_odb_free(odb);
	}
	return blob_written(e, oid, r, buf, len, err);
}

int dc_repo_write_blob_chunks(git_oid *oid, struct dc_repo *r, const void *buf, size_t len,
			      const struct dc_loose_base *base, struct dc_buf *map, size_t *deflated,
			      size_t *chunks, struct dc_err *err)
{
	git_odb *odb = NULL;
	int e;

	*deflated = *chunks = 0;
	if (!r->objects_dir)
		return dc_repo_write_blob(oid, r, buf, len, err);
	if (git_repository_odb(&odb, r->git))
		return dc_git_err(err, DC_ERR_FATAL, "cannot open the object database");
	e = dc_loose_write_chunks(oid, r->objects_dir, r->loose_level, buf, len, odb, base, map,
				  deflated, chunks, err);
	git_odb_free(odb);
	return blob_written(e, oid, r, buf, len, err);
}

/* git's empty tree */
static const git_oid empty_tree_id = { { 0x4b, 0x82, 0x5d, 0xc6, 0x42, 0xcb, 0x6e, 0xb9, 0xa0,
	0x60, 0xe5, 0x4b, 0xf8, 0xd6, 0x92, 0x88, 0xfb, 0xee, 0x49, 0x04 } };

/*
 * Trees written by git dc itself (dc_loose_write()): a delta's commit
 * adds one entry to a directory that can hold 10,000, and libgit2 puts
 * every entry of it in a tree builder, then hashes the whole tree with its
 * collision-detecting SHA-1. Here the changed entries are spliced into
 * the tree's bytes, directory by directory, as libgit2 would write them:
 * files as mode 100644, a directory left empty removed from its parent.
 */


struct tree_item {
	const char *name;
	size_t len;
	int dir;
};

struct tree_edit {
	struct tree_item it;
	int remove, matched;
	git_oid oid;			/* the new blob, or the new subtree */
	size_t first, end;		/* a directory: its changes */
};

struct tree_ent {
	struct tree_item it;
	unsigned mode;
	const git_oid *id;
};

static int item_order(const struct tree_item *a, const struct tree_item *b)
{
	return dc_tree_order(a->name, a->len, a->dir, b->name, b->len, b->dir);
}

static int cmp_edit(const void *a, const void *b)
{
	return item_order(&((const struct tree_edit *)a)->it, &((const struct tree_edit *)b)->it);
}

static int cmp_change_path(const void *a, const void *b)
{
	return strcmp((*(const struct dc_tree_change *const *)a)->path,
		      (*(const struct dc_tree_change *const *)b)->path);
}

/*
 * The index of the item `key` (name and kind) in an array of n structures
 * of `size` bytes in tree order, each starting with its tree_item; else n.
 */
static size_t find_item(const void *items, size_t n, size_t size, const struct tree_item *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = item_order((const struct tree_item *)((const char *)items + mid * size), key);
		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n;
}

/* The entries of `tree`, as libgit2 holds it (parsed, and cached). */
static void tree_entries(struct tree_ent **out, size_t *n, const git_tree *tree)
{
	size_t i;

	*n = git_tree_entrycount(tree);
	*out = dc_xcalloc(*n ? *n : 1, sizeof(**out));
	for (i = 0; i < *n; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		struct tree_ent *x = &(*out)[i];

		x->it.name = git_tree_entry_name(te);
		x->it.len = strlen(x->it.name);
		x->it.dir = git_tree_entry_type(te) == GIT_OBJECT_TREE;
		x->mode = (unsigned)git_tree_entry_filemode_raw(te);
		x->id = git_tree_entry_id(te);
	}
}

static void tree_entry_add(struct dc_buf *out, unsigned mode, const struct tree_item *it,
			   const git_oid *id)
{
	dc_buf_addf(out, "%o ", mode);
	dc_buf_add(out, it->name, it->len);
	dc_buf_addch(out, '\0');
	dc_buf_add(out, id->id, GIT_OID_RAWSZ);
}

/*
 * The tree `base` (NULL: none) with changes ch[0..n) (in strcmp order of
 * their paths) applied, the paths read from offset `off` on. 0 with *out
 * set; 1 when git dc does not write this one (a file where a directory
 * goes or the other way round, an empty name, ".", "..", ".git", the
 * removal of a path that is not there): libgit2 does, or says why not;
 * -1 with `err` set.
 */
static int splice_tree(git_oid *out, struct dc_repo *r, git_odb *odb, const git_oid *base,
		       const struct dc_tree_change *const *ch, size_t n, size_t off,
		       struct dc_err *err)
{
	git_tree *tree = NULL;
	struct tree_edit *ed = dc_xcalloc(n ? n : 1, sizeof(*ed));
	struct tree_ent *ents = NULL;
	struct dc_buf raw = DC_BUF_INIT;
	size_t ned = 0, nents = 0, i, k;
	int ret = -1, e;

	if (base) {
		if (git_tree_lookup(&tree, r->git, base)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read tree %s", git_oid_tostr_s(base));
			goto cleanup;
		}
		tree_entries(&ents, &nents, tree);
	}
	/* this level's edits: a file, or a directory and the changes below it */
	for (i = 0; i < n; i = k) {
		const char *name = ch[i]->path + off, *slash = strchr(name, '/');
		struct tree_edit *x = &ed[ned++];

		x->it.name = name;
		x->it.len = slash ? (size_t)(slash - name) : strlen(name);
		x->it.dir = !!slash;
		x->first = i;
		for (k = i + 1; slash && k < n && !strncmp(ch[k]->path + off, name, x->it.len + 1);
		     k++)
			;
		x->end = k;
		if (!slash) {
			x->remove = ch[i]->remove;
			git_oid_cpy(&x->oid, &ch[i]->oid);
		}
		if (!x->it.len || (x->it.len == 1 && name[0] == '.') ||
		    (x->it.len == 2 && !strncmp(name, "..", 2)) ||
		    (x->it.len == 4 && !strncasecmp(name, ".git", 4))) {
			ret = 1;	/* a name libgit2 refuses, and says why */
			goto cleanup;
		}
	}
	qsort(ed, ned, sizeof(*ed), cmp_edit);
	/* each edit against the entry of its name; a clash of kinds is not ours */
	for (i = 0; i < ned; i++) {
		struct tree_item other = ed[i].it;
		size_t at = find_item(ents, nents, sizeof(*ents), &ed[i].it);

		other.dir = !other.dir;
		if (find_item(ents, nents, sizeof(*ents), &other) < nents ||
		    find_item(ed, ned, sizeof(*ed), &other) < ned) {
			ret = 1;
			goto cleanup;
		}
		ed[i].matched = at < nents;
		if (!ed[i].it.dir && ed[i].remove && !ed[i].matched) {
			ret = 1;	/* libgit2 says what is not there */
			goto cleanup;
		}
		if (!ed[i].it.dir)
			continue;
		if (ed[i].matched) {
			e = splice_tree(&ed[i].oid, r, odb, ents[at].id, ch + ed[i].first,
					ed[i].end - ed[i].first, off + ed[i].it.len + 1, err);
		} else {
			e = splice_tree(&ed[i].oid, r, odb, NULL, ch + ed[i].first,
					ed[i].end - ed[i].first, off + ed[i].it.len + 1, err);
		}
		if (e) {
			ret = e;
			goto cleanup;
		}
		if (!git_oid_cmp(&ed[i].oid, &empty_tree_id))
			ed[i].remove = 1;	/* git keeps no empty directory */
	}
	/* the entries in order, the edits in their places */
	for (i = 0, k = 0; i < nents || k < ned;) {
		int c = k == ned ? 1 : i == nents ? -1 : item_order(&ed[k].it, &ents[i].it);

		if (c <= 0) {
			if (!ed[k].remove)
				tree_entry_add(&raw, ed[k].it.dir ? 040000 : 0100644, &ed[k].it,
					       &ed[k].oid);
			k++;
			i += c == 0;
			continue;
		}
		tree_entry_add(&raw, ents[i].mode, &ents[i].it, ents[i].id);
		i++;
	}
	if (!raw.len && off) {
		git_oid_cpy(out, &empty_tree_id);	/* not written: its parent drops it */
		ret = 0;
		goto cleanup;
	}
	e = dc_loose_write(out, r->objects_dir, r->loose_level, GIT_OBJECT_TREE, raw.buf, raw.len,
			   odb, err);
	ret = e < 0 ? -1 : 0;	/* 1: there already, packed */
cleanup:
	git_tree_free(tree);
	dc_buf_release(&raw);
	free(ents);
	free(ed);
	return ret;
}

int dc_repo_tree_splice(git_oid *out, struct dc_repo *r, const git_tree *base,
			const struct dc_tree_change *changes, size_t n, struct dc_err *err)
{
	const struct dc_tree_change **ch;
	git_odb *odb = NULL;
	size_t i;
	int e = 1;

	if (!r->objects_dir)
		return 1;
	ch = dc_xcalloc(n ? n : 1, sizeof(*ch));
	for (i = 0; i < n; i++)
		ch[i] = &changes[i];
	qsort(ch, n, sizeof(*ch), cmp_change_path);
	for (i = 1; i < n && strcmp(ch[i - 1]->path, ch[i]->path); i++)
		;
	if (i >= n && !git_repository_odb(&odb, r->git))
		e = splice_tree(out, r, odb, base ? git_tree_id(base) : NULL, ch, n, 0, err);
	git_odb_free(odb);
	free(ch);
	return e;
}

static int tree_update_git(git_oid *out, struct dc_repo *r, const git_tree *base,
			   const struct dc_tree_change *changes, size_t n, struct dc_err *err)
{
	git_tree_update *u = dc_xcalloc(n, sizeof(*u));
	git_tree *empty = NULL;
	size_t i;
	int ret = -1;

	for (i = 0; i < n; i++) {
		u[i].action = changes[i].remove ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
		u[i].path = changes[i].path;
		u[i].filemode = GIT_FILEMODE_BLOB;
		git_oid_cpy(&u[i].id, &changes[i].oid);
	}
	if (!base) {
		git_treebuilder *tb = NULL;
		git_oid eo;
		if (git_treebuilder_new(&tb, r->git, NULL) || git_treebuilder_write(&eo, tb) ||
		    git_tree_lookup(&empty, r->git, &eo)) {
			git_treebuilder_free(tb);
			dc_git_err(err, DC_ERR_FATAL, "cannot write a tree");
			goto cleanup;
		}
		git_treebuilder_free(tb);
		base = empty;
	}
	if (git_tree_create_updated(out, r->git, (git_tree *)base, n, u)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot write a tree");
		goto cleanup;
	}
	ret = 0;
cleanup:
	git_tree_free(empty);
	free(u);
	return ret;
}

int dc_repo_tree_update(git_oid *out, struct dc_repo *r, const git_tree *base,
			const struct dc_tree_change *changes, size_t n, struct dc_err *err)
{
	int e = dc_repo_tree_splice(out, r, base, changes, n, err);

	if (e <= 0)
		return e;
	git_error_clear();
	return tree_update_git(out, r, base, changes, n, err);
}

/*
 * git's date forms in GIT_AUTHOR_DATE / GIT_COMMITTER_DATE that tests and
 * scripts use: "<epoch> <+hhmm>", "@<epoch> <+hhmm>", and
 * "YYYY-MM-DD[T ]HH:MM:SS <+hhmm>". 0 on success.
 */
static int parse_git_date(const char *s, git_time_t *t, int *offset)
{
	long long epoch = 0;
	int tz = 0, sign = 1, n = 0;
	const char *p = s;
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (*p == '@')
		p++;
	if (sscanf(p, "%d-%d-%d%*1[T ]%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		epoch = (long long)timegm(&tm);
		p += n;
	} else {
		char *end;
		epoch = strtoll(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	while (*p == ' ')
		p++;
	if (*p == '+' || *p == '-') {
		int hh, mm;
		sign = *p == '-' ? -1 : 1;
		if (strlen(p + 1) < 4 || sscanf(p + 1, "%2d%2d", &hh, &mm) != 2)
			return -1;
		tz = sign * (hh * 60 + mm);
		if (n)	/* a local time: convert to UTC */
			epoch -= (long long)tz * 60;
	} else if (*p) {
		return -1;
	}
	*t = (git_time_t)epoch;
	*offset = tz;
	return 0;
}

static int make_sig(git_signature **sig, struct dc_repo *r, const char *who, struct dc_err *err)
{
	char name_var[32], email_var[32], date_var[32];
	const char *name, *email, *date;
	git_config *cfg = NULL;
	git_buf cn = GIT_BUF_INIT, ce = GIT_BUF_INIT;
	int ret = -1;

	snprintf(name_var, sizeof(name_var), "GIT_%s_NAME", who);
	snprintf(email_var, sizeof(email_var), "GIT_%s_EMAIL", who);
	snprintf(date_var, sizeof(date_var), "GIT_%s_DATE", who);
	name = getenv(name_var);
	email = getenv(email_var);
	date = getenv(date_var);
	if ((!name || !email) && !git_repository_config_snapshot(&cfg, r->git)) {
		if (!name && !git_config_get_string_buf(&cn, cfg, "user.name"))
			name = cn.ptr;
		if (!email && !git_config_get_string_buf(&ce, cfg, "user.email"))
			email = ce.ptr;
	}
	if (!name || !*name || !email) {
		dc_err_set(err, DC_ERR_FATAL, "unable to auto-detect the %s identity",
			   !strcmp(who, "AUTHOR") ? "author" : "committer");
		dc_err_hint(err, "run git config user.name \"Your Name\" and git config user.email"
			    " you@example.com");
		goto cleanup;
	}
	if (date && *date) {
		git_time_t t;
		int off;
		if (parse_git_date(date, &t, &off)) {
			dc_err_set(err, DC_ERR_FATAL, "invalid date format in %s: '%s'", date_var, date);
			dc_err_hint(err, "unset %s, or give '<seconds since 1970> <+hhmm>' or"
				    " 'YYYY-MM-DDTHH:MM:SS <+hhmm>'", date_var);
			goto cleanup;
		}
		if (git_signature_new(sig, name, email, t, off)) {
			dc_git_err(err, DC_ERR_FATAL, "invalid %s identity", who);
			goto cleanup;
		}
	} else if (git_signature_now(sig, name, email)) {
		dc_git_err(err, DC_ERR_FATAL, "invalid %s identity", who);
		goto cleanup;
	}
	ret = 0;
cleanup:
	git_buf_dispose(&cn);
	git_buf_dispose(&ce);
	git_config_free(cfg);
	return ret;
}

int dc_repo_commit(git_oid *out, struct dc_repo *r, const git_oid *tree_oid,
		   const git_oid *parents, size_t nparents, const char *message,
		   struct dc_err *err)
{
	git_signature *author = NULL, *committer = NULL;
	git_tree *tree = NULL;
	const git_commit **pc = dc_xcalloc(nparents ? nparents : 1, sizeof(*pc));
	size_t i;
	int ret = -1;

	if (make_sig(&author, r, "AUTHOR", err) || make_sig(&committer, r, "COMMITTER", err))
		goto cleanup;
	if (git_tree_lookup(&tree, r->git, tree_oid)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the new tree");
		goto cleanup;
	}
	for (i = 0; i < nparents; i++) {
		if (git_commit_lookup((git_commit **)&pc[i], r->git, &parents[i])) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read parent commit");
			goto cleanup;
		}
	}
	if (git_commit_create(out, r->git, NULL, author, committer, NULL, message, tree,
			      nparents, pc)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot write the commit");
		goto cleanup;
	}
	ret = 0;
cleanup:
	for (i = 0; i < nparents; i++)
		git_commit_free((git_commit *)pc[i]);
	free(pc);
	git_tree_free(tree);
	git_signature_free(author);
	git_signature_free(committer);
	return ret;
}

int dc_repo_cas_ref(struct dc_repo *r, const char *refname, const git_oid *old,
		    const git_oid *new_oid, const char *reflog, struct dc_err *err)
{
	git_reference *ref = NULL;
	int e;

	if (old)
		e = git_reference_create_matching(&ref, r->git, refname, new_oid, 1, old, reflog);
	else
		e = git_reference_create(&ref, r->git, refname, new_oid, 0, reflog);
	git_reference_free(ref);
	if (e == GIT_EMODIFIED || e == GIT_EEXISTS) {
		dc_err_set(err, DC_ERR_REFUSED, "'%s' moved while this command ran; nothing was"
			   " changed", refname);
		dc_err_hint(err, "run the command again: it starts from the new tip");
		return -1;
	}
	if (e == GIT_ELOCKED) {
		dc_err_set(err, DC_ERR_REFUSED, "'%s' is locked by another process; nothing was"
			   " changed", refname);
		dc_err_hint(err, "if no git process is running, remove '%s%s.lock'", r->gitdir,
			    refname);
		return -1;
	}
	if (e)
		return dc_git_err(err, DC_ERR_FATAL, "cannot update '%s'", refname);
	return 0;
}

int dc_repo_tree_oid(git_oid *out, const git_tree *tree, const char *path)
{
	git_tree_entry *te = NULL;
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (tree && !git_tree_entry_bypath(&te, tree, path) &&
	    git_tree_entry_type(te) == GIT_OBJECT_BLOB) {
		git_oid_cpy(out, git_tree_entry_id(te));
		found = 1;
	}
	git_tree_entry_free(te);
	return found;
}

#define tree_oid_at(out, tree, path) ((void)dc_repo_tree_oid((out), (tree), (path)))

/*
 * Is the index entry's stat data still that of the file, and older than
 * the index itself (not "racily clean")? Then the entry's blob id is the
 * file's, without reading it.
 */
static int stat_clean(const git_index_entry *ie, const struct stat *st, const struct stat *ist)
{
	if (!ie || (uint32_t)st->st_size != ie->file_size || (uint32_t)st->st_ino != ie->ino ||
	    (int32_t)st->st_mtim.tv_sec != ie->mtime.seconds ||
	    (uint32_t)st->st_mtim.tv_nsec != ie->mtime.nanoseconds ||
	    (int32_t)st->st_ctim.tv_sec != ie->ctime.seconds ||
	    (uint32_t)st->st_ctim.tv_nsec != ie->ctime.nanoseconds)
		return 0;
	if (!ist)
		return 0;
	return st->st_mtim.tv_sec < ist->st_mtim.tv_sec ||
		(st->st_mtim.tv_sec == ist->st_mtim.tv_sec &&
		 st->st_mtim.tv_nsec < ist->st_mtim.tv_nsec);
}

static int same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * Read blob `id` at `path` from the work tree when the index on disk says
 * the file holds it: the index entry has that id and the file's stat data,
 * and the file was last written before the index (git's own test of a
 * clean file, racy entries excluded). The index is a private copy, read
 * again whenever the file changes: the repository's own may hold changes
 * not written yet, which a re-read would drop. Only for big blobs
 * (DC_CLEAN_READ bytes and up), where inflating costs more than reading
 * the index. 1 when read; 0 when the blob must be read instead (out is
 * then empty).
 */
#define DC_CLEAN_READ ((size_t)1 << 20)
static int read_clean_file(struct dc_buf *out, struct dc_repo *r, const char *path,
			   const git_oid *id)
{
	struct dc_buf full = DC_BUF_INIT;
	const char *index_file = getenv("GIT_INDEX_FILE");
	const git_index_entry *ie;
	git_odb *odb = NULL;
	git_object_t type;
	struct stat st, after, ist;
	size_t size;
	int fd = -1, ok = 0;

	if (!r->workdir || git_repository_odb(&odb, r->git) ||
	    git_odb_read_header(&size, &type, odb, id) || type != GIT_OBJECT_BLOB ||
	    size < DC_CLEAN_READ)
		goto done;
	if (!r->clean_index) {
		if (!index_file || !*index_file) {
			dc_buf_addf(&full, "%sindex", r->gitdir);
			index_file = full.buf;
		}
		if (git_index_open(&r->clean_index, index_file))
			goto done;
		dc_buf_reset(&full);
	}
	if (git_index_read(r->clean_index, 0) ||
	    !(ie = git_index_get_bypath(r->clean_index, path, 0)) ||
	    !git_oid_equal(&ie->id, id) || (ie->flags_extended & GIT_INDEX_ENTRY_SKIP_WORKTREE) ||
	    !git_index_path(r->clean_index) || stat(git_index_path(r->clean_index), &ist))
		goto done;
	dc_buf_addf(&full, "%s%s", r->workdir, path);
	if ((fd = open(full.buf, O_RDONLY | O_NOFOLLOW)) < 0 || fstat(fd, &st) ||
	    !S_ISREG(st.st_mode) || (size_t)st.st_size != size || !stat_clean(ie, &st, &ist))
		goto done;
	/* read whole, and not written to meanwhile */
	ok = !dc_buf_read_fd(out, fd, size) && !fstat(fd, &after) && same_stat(&st, &after);
done:
	if (fd >= 0)
		close(fd);
	if (!ok)
		dc_buf_reset(out);
	dc_buf_release(&full);
	git_odb_free(odb);
	return ok;
}

/*
 * The index as git dc reads it: by its own reader (index.h) when the file
 * is in a form it edits, else by libgit2.
 */
struct idx {
	struct dc_index fx;
	int fast;
	git_index *git;
};

#define IDX_INIT { DC_INDEX_INIT, 0, NULL }

static int idx_open(struct idx *ix, struct dc_repo *r, struct dc_err *err)
{
	struct dc_buf file = DC_BUF_INIT;

	dc_buf_addf(&file, "%sindex", r->gitdir);
	ix->fast = !dc_index_read(&ix->fx, file.buf);
	dc_buf_release(&file);
	if (ix->fast)
		return 0;
	if (git_repository_index(&ix->git, r->git) || git_index_read(ix->git, 0))
		return dc_git_err(err, DC_ERR_FATAL, "cannot read the index");
	return 0;
}

static void idx_close(struct idx *ix)
{
	dc_index_release(&ix->fx);
	git_index_free(ix->git);
	ix->git = NULL;
}

/* The stage-0 entry at `path` into *out: 1, or 0 when there is none. */
static int idx_get(git_index_entry *out, const struct idx *ix, const char *path)
{
	struct dc_index_entry e;
	const git_index_entry *ie;

	memset(out, 0, sizeof(*out));
	if (!ix->fast) {
		ie = ix->git ? git_index_get_bypath(ix->git, path, 0) : NULL;
		if (ie)
			*out = *ie;
		return !!ie;
	}
	if (!dc_index_find(&ix->fx, path, &e))
		return 0;
	out->ctime.seconds = e.ctime_sec;
	out->ctime.nanoseconds = e.ctime_nsec;
	out->mtime.seconds = e.mtime_sec;
	out->mtime.nanoseconds = e.mtime_nsec;
	out->ino = e.ino;
	out->mode = e.mode;
	out->file_size = e.size;
	git_oid_fromraw(&out->id, e.oid);
	out->path = e.path;
	return 1;
}

/*
 * Blob id of the work tree file (zero if absent); -1 on a read error. When
 * the index entry's stat data matches, its id is used without hashing.
 */
static int workdir_oid(git_oid *out, struct dc_repo *r, const struct idx *ix, const char *path,
		       struct dc_err *err)
{
	struct dc_buf full = DC_BUF_INIT, ipath = DC_BUF_INIT;
	struct stat st, ist;
	git_index_entry ie;
	int have = idx_get(&ie, ix, path), ret = 0;

	memset(out, 0, sizeof(*out));
	dc_buf_addf(&full, "%s%s", r->workdir, path);
	dc_buf_addf(&ipath, "%sindex", r->gitdir);
	if (lstat(full.buf, &st)) {
		if (errno != ENOENT)
			ret = dc_err_set(err, DC_ERR_FATAL, "cannot stat '%s': %s", full.buf,
					 strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		ret = dc_err_set(err, DC_ERR_REFUSED, "'%s' is not a regular file", path);
	} else if (stat_clean(have ? &ie : NULL, &st, stat(ipath.buf, &ist) ? NULL : &ist)) {
		git_oid_cpy(out, &ie.id);
	} else if (git_odb_hashfile(out, full.buf, GIT_OBJECT_BLOB)) {
		ret = dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", full.buf);
	}
	dc_buf_release(&full);
	dc_buf_release(&ipath);
	return ret;
}

static void index_oid(git_oid *out, const struct idx *ix, const char *path)
{
	git_index_entry ie;

	if (idx_get(&ie, ix, path))
		git_oid_cpy(out, &ie.id);
	else
		memset(out, 0, sizeof(*out));
}

/*
 * Write `changes` (index.h) to the index: spliced by git dc when it can,
 * else through libgit2, which reads the index again first.
 */
static int idx_write(struct idx *ix, struct dc_repo *r, const struct dc_index_change *ch,
		     size_t n, struct dc_err *err)
{
	size_t i;
	int e;

	if (ix->fast && (e = dc_index_update(ix->fx.file, ch, n, err)) <= 0)
		return e;
	if (!ix->git && (git_repository_index(&ix->git, r->git) || git_index_read(ix->git, 0)))
		return dc_git_err(err, DC_ERR_FATAL, "cannot read the index");
	for (i = 0; i < n; i++) {
		git_index_entry ie;

		if (!ch[i].oid) {
			git_index_remove_bypath(ix->git, ch[i].path);
			continue;
		}
		memset(&ie, 0, sizeof(ie));
		ie.ctime.seconds = (int32_t)ch[i].st.st_ctim.tv_sec;
		ie.ctime.nanoseconds = (uint32_t)ch[i].st.st_ctim.tv_nsec;
		ie.mtime.seconds = (int32_t)ch[i].st.st_mtim.tv_sec;
		ie.mtime.nanoseconds = (uint32_t)ch[i].st.st_mtim.tv_nsec;
		ie.dev = (uint32_t)ch[i].st.st_dev;
		ie.ino = (uint32_t)ch[i].st.st_ino;
		ie.mode = GIT_FILEMODE_BLOB;
		ie.uid = ch[i].st.st_uid;
		ie.gid = ch[i].st.st_gid;
		ie.file_size = (uint32_t)ch[i].st.st_size;
		git_oid_fromraw(&ie.id, ch[i].oid);
		ie.path = ch[i].path;
		if (git_index_add(ix->git, &ie))
			return dc_git_err(err, DC_ERR_FATAL, "cannot update the index entry of '%s'",
					  ch[i].path);
	}
	if ((e = git_index_write(ix->git)) == GIT_ELOCKED) {
		dc_err_set(err, DC_ERR_FATAL, "cannot write the index: '%sindex.lock' exists",
			   r->gitdir);
		dc_err_hint(err, "another git process is running here, or one was killed: if none"
			    " is running, remove '%sindex.lock' and run the command again", r->gitdir);
		return -1;
	}
	if (e)
		return dc_git_err(err, DC_ERR_FATAL, "cannot write the index");
	return 0;
}

int dc_repo_dirty_paths(char ***out, size_t *nout, struct dc_repo *r, const git_tree *tree,
			const char *const *paths, size_t n, struct dc_err *err)
{
	struct idx ix = IDX_INIT;
	size_t i, alloc = 0;
	int ret = -1;

	*out = NULL;
	*nout = 0;
	if (r->bare)
		return 0;
	if (idx_open(&ix, r, err))
		goto cleanup;
	for (i = 0; i < n; i++) {
		git_oid t, w, x;
		tree_oid_at(&t, tree, paths[i]);
		index_oid(&x, &ix, paths[i]);
		if (workdir_oid(&w, r, &ix, paths[i], err))
			goto cleanup;
		if (git_oid_equal(&t, &w) && git_oid_equal(&t, &x))
			continue;
		DC_ALLOC_GROW(*out, *nout + 1, alloc);
		(*out)[(*nout)++] = dc_xstrdup(paths[i]);
	}
	ret = 0;
cleanup:
	idx_close(&ix);
	return ret;
}

static int mkdirs_for(const char *path, struct dc_err *err)
{
	char *p = dc_xstrdup(path), *s;
	int ret = 0;

	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0777) && errno != EEXIST) {
			ret = dc_err_set(err, DC_ERR_FATAL, "cannot create '%s': %s", p,
					 strerror(errno));
			break;
		}
		*s = '/';
	}
	free(p);
	return ret;
}

/* 1 if process `pid` is gone, or dead and not yet reaped (Linux's /proc). */
static int process_gone(long pid)
{
	char path[64], buf[256], *paren;
	FILE *f;
	size_t n;

	if (kill((pid_t)pid, 0))
		return errno == ESRCH;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] == 'Z';
}

/*
 * Remove what a killed writer left in the directory of `path`:
 * "<file>.dc-tmp-<pid>" files whose process is gone (a live one may be
 * writing its own). Each directory is looked at once per process: a
 * delta directory may hold many thousands of files.
 */
static void drop_stale_tmp(const char *path)
{
	static struct dc_buf seen = DC_BUF_INIT;	/* directories looked at, NUL-separated */
	const char *slash = strrchr(path, '/'), *p;
	struct dc_buf dir = DC_BUF_INIT, full = DC_BUF_INIT;
	struct dirent *de;
	DIR *d;

	if (slash)
		dc_buf_add(&dir, path, (size_t)(slash - path));
	else
		dc_buf_adds(&dir, ".");
	for (p = seen.buf; p && p < seen.buf + seen.len; p += strlen(p) + 1)
		if (!strcmp(p, dir.buf))
			goto cleanup;
	dc_buf_add(&seen, dir.buf, dir.len + 1);
	if (!(d = opendir(dir.buf)))
		goto cleanup;
	while ((de = readdir(d))) {
		const char *mark = strstr(de->d_name, ".dc-tmp-"), *digits;
		char *end;
		long pid;

		if (!mark || mark == de->d_name || !mark[8])
			continue;
		digits = mark + 8;
		pid = strtol(digits, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid() || !process_gone(pid))
			continue;
		dc_buf_reset(&full);
		dc_buf_addf(&full, "%s/%s", dir.buf, de->d_name);
		unlink(full.buf);
	}
	closedir(d);
cleanup:
	dc_buf_release(&dir);
	dc_buf_release(&full);
}

/*
 * Put `tmp` in place of `path`, atomically for readers. A regular file
 * already there is exchanged with `tmp` (renameat2 RENAME_EXCHANGE) and its
 * old content, now under the temporary name, removed: ext4 flushes a file
 * renamed over another before the rename returns (auto_da_alloc), 30-50 ms
 * for a 37 MB canonical file; an exchange does not. Else, or where the
 * file system cannot exchange, a plain rename.
 */
static int replace_file(const char *tmp, const char *path)
{
	struct stat st;

	if (!lstat(path, &st) && S_ISREG(st.st_mode) &&
	    !renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE)) {
		unlink(tmp);
		return 0;
	}
	return rename(tmp, path);
}

int dc_write_file_atomic(const char *path, const void *buf, size_t len, struct dc_err *err)
{
	struct dc_buf tmp = DC_BUF_INIT;
	int fd, ret = -1;

	if (mkdirs_for(path, err))
		return -1;
	dc_buf_addf(&tmp, "%s.dc-tmp-%ld", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0) {
		dc_err_set(err, DC_ERR_FATAL, "cannot create '%s': %s", tmp.buf, strerror(errno));
		goto cleanup;
	}
	if (dc_write_fd(fd, buf, len)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot write '%s': %s", tmp.buf, strerror(errno));
		close(fd);
		unlink(tmp.buf);
		goto cleanup;
	}
	if (close(fd) || replace_file(tmp.buf, path)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.buf);
		goto cleanup;
	}
	drop_stale_tmp(path);
	ret = 0;
cleanup:
	dc_buf_release(&tmp);
	return ret;
}

/*
 * The first leading directory of `path` that is something else than a
 * directory in the work tree (a symbolic link, say), appended to `dir`:
 * writing through it would write outside the work tree. 0 if there is none.
 */
static int beyond_symlink(struct dc_buf *dir, const struct dc_repo *r, const char *path)
{
	struct dc_buf full = DC_BUF_INIT;
	const char *slash;
	struct stat st;
	int ret = 0;

	for (slash = strchr(path, '/'); slash && !ret; slash = strchr(slash + 1, '/')) {
		dc_buf_reset(&full);
		dc_buf_addf(&full, "%s%.*s", r->workdir, (int)(slash - path), path);
		if (!lstat(full.buf, &st) && !S_ISDIR(st.st_mode)) {
			dc_buf_add(dir, path, (size_t)(slash - path));
			ret = 1;
		}
	}
	dc_buf_release(&full);
	return ret;
}

int dc_repo_bring_worktree(struct dc_repo *r, const git_tree *old_tree, const git_tree *new_tree,
			   const char *const *paths, const struct dc_buf *contents, size_t n,
			   int force, struct dc_err *err)
{
	struct idx ix = IDX_INIT;
	struct dc_buf full = DC_BUF_INIT, content = DC_BUF_INIT;
	struct dc_index_change *ch = NULL;
	git_oid *ids = NULL;
	size_t i;
	int ret = -1;

	if (r->bare || !n)
		return 0;
	if (idx_open(&ix, r, err))
		goto cleanup;
	/* check everything first: nothing is written if one path is not ours */
	for (i = 0; i < n; i++) {
		dc_buf_reset(&content);
		if (!beyond_symlink(&content, r, paths[i]))
			continue;
		dc_err_set(err, DC_ERR_REFUSED, "'%s' is beyond a symbolic link ('%s' is not a"
			   " directory); it was left as it is", paths[i], content.buf);
		dc_err_hint(err, "the branch was updated; put the directory '%s' back in place,"
			    " then 'git checkout HEAD -- %s'", content.buf, content.buf);
		goto cleanup;
	}
	for (i = 0; !force && i < n; i++) {
		git_oid o, nw, w, x;
		tree_oid_at(&o, old_tree, paths[i]);
		tree_oid_at(&nw, new_tree, paths[i]);
		index_oid(&x, &ix, paths[i]);
		if (workdir_oid(&w, r, &ix, paths[i], err))
			goto cleanup;
		if ((git_oid_equal(&w, &o) || git_oid_equal(&w, &nw)) &&
		    (git_oid_equal(&x, &o) || git_oid_equal(&x, &nw)))
			continue;
		dc_err_set(err, DC_ERR_REFUSED, "'%s' has local changes; it was left as it is",
			   paths[i]);
		dc_err_hint(err, "the branch was updated; compare with 'git diff HEAD -- %s'",
			    paths[i]);
		goto cleanup;
	}
	ch = dc_xcalloc(n, sizeof(*ch));
	ids = dc_xcalloc(n, sizeof(*ids));
	for (i = 0; i < n; i++) {
		int exists;

		tree_oid_at(&ids[i], new_tree, paths[i]);
		ch[i].path = paths[i];
		dc_buf_reset(&full);
		dc_buf_addf(&full, "%s%s", r->workdir, paths[i]);
		if (git_oid_is_zero(&ids[i])) {
			if (unlink(full.buf) && errno != ENOENT) {
				dc_err_set(err, DC_ERR_FATAL, "cannot remove '%s': %s", full.buf,
					   strerror(errno));
				goto cleanup;
			}
			continue;
		}
		if (contents) {
			if (dc_write_file_atomic(full.buf, contents[i].buf, contents[i].len, err))
				goto cleanup;
		} else if (dc_repo_read(&content, &exists, NULL, r, new_tree, paths[i], err) ||
			   dc_write_file_atomic(full.buf, content.buf, content.len, err)) {
			goto cleanup;
		}
		if (lstat(full.buf, &ch[i].st)) {
			dc_err_set(err, DC_ERR_FATAL, "cannot stat '%s': %s", paths[i],
				   strerror(errno));
			goto cleanup;
		}
		ch[i].oid = ids[i].id;
		dc_crash_point("worktree");
	}
	if (idx_write(&ix, r, ch, n, err))
		goto cleanup;
	ret = 0;
cleanup:
	dc_buf_release(&full);
	dc_buf_release(&content);
	free(ch);
	free(ids);
	idx_close(&ix);
	return ret;
}

/* See repo.h: the directory's entries are read, so gaps do not hide any. */
size_t dc_repo_segment_end(const git_tree *tree, const char *prefix, const char *file)
{
	const char *slash = strrchr(file, '/'), *name = slash ? slash + 1 : file;
	struct dc_buf dir = DC_BUF_INIT;
	git_tree_entry *te = NULL;
	git_tree *sub = NULL;
	const git_tree *t = tree;
	size_t end = 0, i, n;

	dc_buf_addf(&dir, "%s%.*s", prefix, slash ? (int)(slash - file) : 0, file);
	if (dir.len && dir.buf[dir.len - 1] == '/')
		dc_buf_setlen(&dir, dir.len - 1);	/* a prefix, and the file at its top */
	if (dir.len) {
		if (git_tree_entry_bypath(&te, tree, dir.buf) ||
		    git_tree_entry_type(te) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&sub, git_tree_owner(tree), git_tree_entry_id(te)))
			goto cleanup;
		t = sub;
	}
	n = git_tree_entrycount(t);
	for (i = 0; i < n; i++) {
		long k = dc_rules_segment_number(git_tree_entry_name(git_tree_entry_byindex(t, i)),
						 name);

		if (k >= 0 && (size_t)k + 1 > end)
			end = (size_t)k + 1;
	}
cleanup:
	git_tree_free(sub);
	git_tree_entry_free(te);
	dc_buf_release(&dir);
	return end;
}

int dc_tree_entry_is_blob(const struct dc_tree_entry *e)
{
	return e->mode == GIT_FILEMODE_BLOB || e->mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

const char *dc_tree_entry_kind(const struct dc_tree_entry *e)
{
	switch (e->mode) {
	case GIT_FILEMODE_TREE:
		return "not a regular file: it is a directory";
	case GIT_FILEMODE_LINK:
		return "not a regular file: it is a symbolic link";
	case GIT_FILEMODE_COMMIT:
		return "not a regular file: it is a submodule";
	default:
		return "not a regular file";
	}
}

int dc_tree_entry_hidden(const struct dc_tree_entry *e)
{
	const char *slash = strrchr(e->rel, '/');

	return (slash ? slash[1] : e->rel[0]) == '.';
}
