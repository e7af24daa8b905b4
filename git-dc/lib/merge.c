#include "merge.h"
#include "archive.h"
#include "delta.h"
#include "fold.h"
#include "json.h"
#include "loose.h"
#include "rules.h"
#include "trace.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- .dc/head.json ---------------------------------------------------- */

struct qnote {
	char *path;
	char oid[41];
	char *reason;
};

struct head {
	int present;
	uint64_t frame;
	char genesis[41];
	char rules[41];
	char deltas_tree[41];
	int has_last;
	struct dc_delta last;	/* frame, utc, stream, oid only */
	uint64_t applied;
	struct qnote *q;
	size_t nq;
	struct dc_json *derived;	/* what the counts of that merge changed */
};

static void head_release(struct head *h)
{
	size_t i;

	for (i = 0; i < h->nq; i++) {
		free(h->q[i].path);
		free(h->q[i].reason);
	}
	free(h->q);
	free(h->last.stream);
	dc_json_free(h->derived);
	memset(h, 0, sizeof(*h));
}

static int get_oid_member(char *out, const struct dc_json *o, const char *name, int nullable)
{
	const struct dc_json *v = dc_json_get(o, name);

	out[0] = '\0';
	if (v && v->type == DC_JSON_NULL && nullable)
		return 0;
	if (!v || v->type != DC_JSON_STRING || v->u.str.len != 40)
		return -1;
	memcpy(out, v->u.str.s, 41);
	return 0;
}

static int get_u64_member(uint64_t *out, const struct dc_json *o, const char *name)
{
	int64_t v;

	if (!dc_json_get_int(dc_json_get(o, name), &v) || v < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int head_parse(struct head *h, const char *buf, size_t len, struct dc_err *err)
{
	struct dc_json *doc = NULL, *last, *q;
	int ret = -1;
	size_t i;

	memset(h, 0, sizeof(*h));
	if (dc_json_parse(&doc, buf, len, NULL, err))
		goto bad;
	if (doc->type != DC_JSON_OBJECT || get_u64_member(&h->frame, doc, "frame") ||
	    get_oid_member(h->genesis, doc, "genesis", 0) ||
	    get_oid_member(h->rules, doc, "rules", 0) ||
	    get_oid_member(h->deltas_tree, doc, "deltas_tree", 1) ||
	    get_u64_member(&h->applied, doc, "applied"))
		goto bad;
	last = dc_json_get(doc, "last");
	if (last && last->type == DC_JSON_OBJECT) {
		const struct dc_json *u = dc_json_get(last, "utc"), *s = dc_json_get(last, "stream");
		if (get_u64_member(&h->last.frame, last, "frame") ||
		    get_oid_member(h->last.oid, last, "blob", 0) || !u || u->type != DC_JSON_STRING ||
		    dc_utc_parse(&h->last.utc, u->u.str.s, u->u.str.len) || !s ||
		    s->type != DC_JSON_STRING)
			goto bad;
		h->last.stream = dc_xmemdupz(s->u.str.s, s->u.str.len);
		h->last.valid = 1;
		h->has_last = 1;
	} else if (!last || last->type != DC_JSON_NULL) {
		goto bad;
	}
	q = dc_json_get(doc, "quarantined");
	if (!q || q->type != DC_JSON_ARRAY)
		goto bad;
	h->q = dc_xcalloc(q->u.arr.n, sizeof(*h->q));
	for (i = 0; i < q->u.arr.n; i++) {
		const struct dc_json *e = q->u.arr.v[i];
		const struct dc_json *p = dc_json_get(e, "path"), *r = dc_json_get(e, "reason");
		if (!p || p->type != DC_JSON_STRING || !r || r->type != DC_JSON_STRING ||
		    get_oid_member(h->q[i].oid, e, "blob", 0))
			goto bad;
		h->q[i].path = dc_xmemdupz(p->u.str.s, p->u.str.len);
		h->q[i].reason = dc_xmemdupz(r->u.str.s, r->u.str.len);
		h->nq++;
	}
	/* absent (written before counts were recorded): the next merge folds
	 * from genesis, which needs no record */
	q = dc_json_get(doc, "derived");
	if (q && q->type != DC_JSON_ARRAY)
		goto bad;
	h->derived = q ? dc_json_clone(q) : NULL;
	h->present = 1;
	ret = 0;
	goto cleanup;
bad:
	head_release(h);
	dc_err_set(err, DC_ERR_FATAL, "'%s' is corrupt", DC_HEAD_PATH);
	dc_err_hint(err, "it is written only by git dc; restore it from the last merge commit");
cleanup:
	dc_json_free(doc);
	return ret;
}

static struct dc_json *str_node(const char *s)
{
	return dc_json_new_string(s, strlen(s));
}

static void obj_put(struct dc_json *o, const char *k, struct dc_json *v)
{
	dc_json_set(o, k, strlen(k), v);
}

/* ---- notes ------------------------------------------------------------ */

static void note_add(struct dc_merge_note **arr, size_t *n, size_t *alloc, const char *path,
		     const struct dc_delta *d, const char *reason)
{
	struct dc_merge_note *x;

	DC_ALLOC_GROW(*arr, *n + 1, *alloc);
	x = &(*arr)[(*n)++];
	memset(x, 0, sizeof(*x));
	x->path = dc_xstrdup(path);
	if (d && d->stream) {
		x->has_frame = 1;
		x->frame = d->frame;
		x->stream = dc_xstrdup(d->stream);
	}
	if (d && d->valid) {
		struct dc_buf b = DC_BUF_INIT;
		dc_utc_format(&b, &d->utc);
		x->utc = dc_buf_detach(&b, NULL);
	}
	if (reason)
		x->reason = dc_xstrdup(reason);
}

static void notes_free(struct dc_merge_note *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].path);
		free(a[i].stream);
		free(a[i].utc);
		free(a[i].reason);
	}
	free(a);
}

void dc_merge_result_release(struct dc_merge_result *res)
{
	size_t i;

	free(res->edited);
	notes_free(res->applied, res->napplied);
	notes_free(res->late, res->nlate);
	notes_free(res->quarantined, res->nquarantined);
	notes_free(res->pending, res->npending);
	notes_free(res->unknown, res->nunknown);
	for (i = 0; i < res->nsections; i++)
		free((char *)res->sections[i].name);
	free(res->sections);
	for (i = 0; i < res->nevents_quarantined; i++) {
		free(res->events_quarantined[i].path);
		free(res->events_quarantined[i].section);
		free(res->events_quarantined[i].reason);
	}
	free(res->events_quarantined);
	for (i = 0; i < res->nchanged; i++)
		free(res->changed[i]);
	free(res->changed);
	for (i = 0; i < res->nconsumed; i++)
		free(res->consumed[i]);
	free(res->consumed);
	notes_free(res->skipped, res->nskipped);
	free(res->refname);
	free(res->deltas_dir);
	memset(res, 0, sizeof(*res));
}

/* ---- the journal ------------------------------------------------------ */

static void journal_path(struct dc_buf *out, struct dc_repo *r)
{
	dc_buf_addf(out, "%sdc-merge.journal", r->gitdir);
}

static int journal_write(struct dc_repo *r, const char *refname, const git_oid *old,
			 const git_oid *new_oid, char **paths, size_t n, struct dc_err *err)
{
	struct dc_buf p = DC_BUF_INIT, b = DC_BUF_INIT;
	char o[GIT_OID_HEXSZ + 1], nw[GIT_OID_HEXSZ + 1];
	size_t i;
	int ret;

	git_oid_tostr(o, sizeof(o), old);
	git_oid_tostr(nw, sizeof(nw), new_oid);
	dc_buf_addf(&b, "%s %s %s\n", refname, o, nw);
	for (i = 0; i < n; i++)
		dc_buf_addf(&b, "%s\n", paths[i]);
	journal_path(&p, r);
	ret = dc_write_file_atomic(p.buf, b.buf, b.len, err);
	dc_buf_release(&p);
	dc_buf_release(&b);
	return ret;
}

static void journal_remove(struct dc_repo *r)
{
	struct dc_buf p = DC_BUF_INIT;

	journal_path(&p, r);
	unlink(p.buf);
	dc_buf_release(&p);
}

int dc_merge_recover(struct dc_repo *r, struct dc_err *err)
{
	struct dc_buf p = DC_BUF_INIT, b = DC_BUF_INIT;
	char refname[1024], o[64], nw[64];
	git_oid old_oid, new_oid, cur;
	git_commit *oc = NULL, *nc = NULL;
	git_tree *ot = NULL, *nt = NULL;
	char **paths = NULL;
	size_t npaths = 0, alloc = 0, i;
	char *line, *save = NULL;
	FILE *f;
	int ret = -1;

	journal_path(&p, r);
	f = fopen(p.buf, "r");
	if (!f) {
		dc_buf_release(&p);
		return 0;
	}
	for (;;) {
		char chunk[4096];
		size_t got = fread(chunk, 1, sizeof(chunk), f);
		dc_buf_add(&b, chunk, got);
		if (got < sizeof(chunk))
			break;
	}
	fclose(f);
	if (sscanf(b.buf, "%1023s %63s %63s", refname, o, nw) != 3 ||
	    git_oid_fromstr(&old_oid, o) || git_oid_fromstr(&new_oid, nw)) {
		dc_err_set(err, DC_ERR_FATAL, "'%s' is corrupt", p.buf);
		dc_err_hint(err, "remove it, then check 'git status' of the canonical files");
		goto cleanup;
	}
	line = strtok_r(b.buf, "\n", &save);	/* the header line */
	while ((line = strtok_r(NULL, "\n", &save))) {
		DC_ALLOC_GROW(paths, npaths + 1, alloc);
		paths[npaths++] = line;
	}
	if (git_reference_name_to_id(&cur, r->git, refname) || git_oid_equal(&cur, &old_oid)) {
		/* the branch never moved: nothing reached the work tree */
		journal_remove(r);
		ret = 0;
		goto cleanup;
	}
	if (git_commit_lookup(&oc, r->git, &old_oid) || git_commit_lookup(&nc, r->git, &new_oid) ||
	    git_commit_tree(&ot, oc) || git_commit_tree(&nt, nc)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot finish the interrupted merge");
		goto cleanup;
	}
	if (dc_repo_bring_worktree(r, ot, nt, (const char *const *)paths, NULL, npaths, 0, err)) {
		dc_err_prefix(err, "cannot finish the interrupted merge");
		goto cleanup;
	}
	journal_remove(r);
	ret = 0;
cleanup:
	free(paths);
	git_tree_free(ot);
	git_tree_free(nt);
	git_commit_free(oc);
	git_commit_free(nc);
	dc_buf_release(&p);
	dc_buf_release(&b);
	(void)i;
	return ret;
}

/*
 * One merge at a time per git directory: an advisory lock on
 * <gitdir>/dc-merge.lock, which the kernel releases if the process dies,
 * so a crash never leaves a lock behind. Returns the descriptor, or -1.
 */
static int merge_lock(struct dc_repo *r, struct dc_err *err)
{
	struct dc_buf p = DC_BUF_INIT;
	int fd;

	dc_buf_addf(&p, "%sdc-merge.lock", r->gitdir);
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		dc_err_set(err, DC_ERR_FATAL, "cannot open '%s': %s", p.buf, strerror(errno));
		dc_err_hint(err, "the merge lock lives in the git directory: check that it is"
			    " writable by you");
	} else if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK) {
			dc_err_set(err, DC_ERR_REFUSED, "another git dc merge is running in this"
				   " repository; nothing was changed");
			dc_err_hint(err, "wait for it to finish, then run the command again");
		} else {
			dc_err_set(err, DC_ERR_FATAL, "cannot lock '%s': %s", p.buf,
				   strerror(errno));
			dc_err_hint(err, "the lock is released when its holder exits; check that"
				    " the file system supports flock()");
		}
		close(fd);
		fd = -1;
	}
	dc_buf_release(&p);
	return fd;
}

/* ---- genesis ---------------------------------------------------------- */

static int tree_has(const git_tree *t, const char *path)
{
	git_tree_entry *te = NULL;
	int has = !git_tree_entry_bypath(&te, t, path);

	git_tree_entry_free(te);
	return has;
}

/* The first commit (oldest, in topological order) whose tree holds the rules. */
static int find_genesis(git_oid *out, struct dc_repo *r, const git_oid *tip, struct dc_err *err)
{
	git_revwalk *w = NULL;
	git_oid id;
	int ret = -1, found = 0;

	if (git_revwalk_new(&w, r->git) ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
	    git_revwalk_push(w, tip))
		return dc_git_err(err, DC_ERR_FATAL, "cannot walk the history");
	while (!found && !git_revwalk_next(&id, w)) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		if (git_commit_lookup(&c, r->git, &id) || git_commit_tree(&t, c)) {
			git_commit_free(c);
			dc_git_err(err, DC_ERR_FATAL, "cannot read the history");
			goto cleanup;
		}
		if (tree_has(t, DC_RULES_PATH)) {
			git_oid_cpy(out, &id);
			found = 1;
		}
		git_tree_free(t);
		git_commit_free(c);
	}
	if (!found) {
		dc_err_set(err, DC_ERR_FATAL, "no commit holds '%s'", DC_RULES_PATH);
		dc_err_hint(err, "run 'git dc init' to start a dc repository");
		goto cleanup;
	}
	ret = 0;
cleanup:
	git_revwalk_free(w);
	return ret;
}

/* ---- the plan --------------------------------------------------------- */

struct read_ctx {
	struct dc_repo *r;
	const git_tree *tree;
	const char *prefix;	/* "" or DC_ARCHIVE_SNAPSHOT: where the files are */
	struct dc_buf path;
};

static const char *base_path(struct read_ctx *c, const char *path)
{
	dc_buf_reset(&c->path);
	dc_buf_addf(&c->path, "%s%s", c->prefix, path);
	return c->path.buf;
}

static int read_from_tree(void *data, const char *path, struct dc_buf *out, int *exists,
			  struct dc_err *err)
{
	struct read_ctx *c = data;
	return dc_repo_read(out, exists, NULL, c->r, c->tree, base_path(c, path), err);
}

/*
 * Summaries (fold.h), a cache: <gitdir>dc-summaries/<blob id>, one per
 * content of a segment file, or of a file whose member arrays the fold can
 * read by one, written by the merges that read or wrote that content. A
 * summary missing, torn or made under other rules only means that the fold
 * reads the file whole; DC_SEGMENT_SUMMARIES=0 makes it always do so.
 */
static void summary_file(struct dc_buf *out, const struct dc_repo *r, const git_oid *id,
			 const char *ext)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	dc_buf_addf(out, "%sdc-summaries/%s%s", r->gitdir, hex, ext);
}

static int summaries_off(void)
{
	const char *v = getenv("DC_SEGMENT_SUMMARIES");
	return v && !strcmp(v, "0");
}

/* The cache file <id><ext> into `out`: 1, or 0 when there is none. */
static int cache_read(struct dc_buf *out, const struct dc_repo *r, const git_oid *id,
		      const char *ext)
{
	struct dc_buf file = DC_BUF_INIT;
	struct stat sb;
	int fd, found = 0;

	summary_file(&file, r, id, ext);
	fd = open(file.buf, O_RDONLY);
	if (fd >= 0 && !fstat(fd, &sb) && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    sb.st_size < (off_t)1 << 30 && !dc_buf_read_fd(out, fd, (size_t)sb.st_size))
		found = 1;
	if (fd >= 0)
		close(fd);
	dc_buf_release(&file);
	return found;
}

static int summary_from_cache(void *data, const char *path, struct dc_buf *out, int *exists,
			      int *found, struct dc_err *err)
{
	struct read_ctx *c = data;
	git_oid id;

	(void)err;
	*found = 0;
	*exists = dc_repo_tree_oid(&id, c->tree, base_path(c, path));
	if (*exists)
		*found = cache_read(out, c->r, &id, "");
	return 0;
}

/*
 * Written in place over whatever is there (one that was there may be
 * torn): a reader that sees it half written finds its checksum wrong and
 * reads the segment whole, so no temporary file and rename are needed.
 * The same holds for a chunk map (ext ".z").
 */
static void summary_store(struct dc_repo *r, const git_oid *id, const char *ext,
			  const struct dc_buf *bytes)
{
	struct dc_buf file = DC_BUF_INIT;
	int fd;

	summary_file(&file, r, id, ext);
	fd = open(file.buf, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0666);
	if (fd < 0 && errno == ENOENT) {
		dc_buf_reset(&file);
		dc_buf_addf(&file, "%sdc-summaries", r->gitdir);
		if (!mkdir(file.buf, 0777) || errno == EEXIST) {
			dc_buf_reset(&file);
			summary_file(&file, r, id, ext);
			fd = open(file.buf, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0666);
		}
	}
	if (fd >= 0) {
		dc_write_fd(fd, bytes->buf, bytes->len);	/* torn: read as no summary */
		close(fd);
	}
	dc_buf_release(&file);
}

/* A content's summary, and its chunk map, once no merge base has it. */
static void summary_drop(struct dc_repo *r, const git_oid *id)
{
	struct dc_buf file = DC_BUF_INIT;

	summary_file(&file, r, id, "");
	unlink(file.buf);
	dc_buf_adds(&file, ".z");
	unlink(file.buf);
	dc_buf_release(&file);
}

/*
 * A file of DC_CHUNKED_MIN bytes or more that has a summary is written as
 * a chunked loose blob (loose.h) with its chunk map beside its summary
 * (<id>.z): the next merge, which splices into these bytes, deflates only
 * the chunks it changed. `base` (may be NULL) is the blob the fold read
 * and spliced into, `same` where the bytes are that blob's.
 */
#define DC_CHUNKED_MIN (2 * DC_LOOSE_CHUNK)
static int write_chunked(git_oid *want, struct dc_repo *r, const char *path,
			 const struct dc_buf *buf, const git_oid *base,
			 const struct dc_sames *same, struct dc_err *err)
{
	struct dc_buf map = DC_BUF_INIT, old = DC_BUF_INIT;
	struct dc_loose_base lb = { base, NULL, 0, same->v, same->n };
	size_t deflated = 0, chunks = 0;
	int e;

	if (base && same->n && cache_read(&old, r, base, ".z")) {
		lb.map = old.buf;
		lb.maplen = old.len;
	}
	e = dc_repo_write_blob_chunks(want, r, buf->buf, buf->len, lb.map ? &lb : NULL, &map,
				      &deflated, &chunks, err);
	if (!e && map.len) {
		summary_store(r, want, ".z", &map);
		dc_trace_note("written in chunks: %s, %zu of %zu deflated", path, deflated,
			      chunks);
	}
	dc_buf_release(&map);
	dc_buf_release(&old);
	return e;
}

static const struct qnote *head_quarantined(const struct head *h, const char *path)
{
	size_t i;

	for (i = 0; i < h->nq; i++)
		if (!strcmp(h->q[i].path, path))
			return &h->q[i];
	return NULL;
}

/* Whether `quar` (this merge's quarantine) is not the one `h` records. */
static int quarantine_changed(const struct head *h, struct dc_delta **quar, size_t nquar)
{
	size_t i;

	if (nquar != h->nq)
		return 1;
	for (i = 0; i < nquar; i++) {
		const struct qnote *q = head_quarantined(h, quar[i]->path);
		if (!q || strcmp(q->oid, quar[i]->oid))
			return 1;
	}
	return 0;
}

static int cmp_delta_ptr(const void *a, const void *b)
{
	return dc_delta_cmp(*(struct dc_delta *const *)a, *(struct dc_delta *const *)b);
}

/* qsort() of an empty array: its pointer may be NULL, which qsort may not get */
#define SORT(arr, n, cmp) do { if ((n) > 1) qsort((arr), (n), sizeof(*(arr)), (cmp)); } while (0)

static int cmp_entry_rel(const void *a, const void *b)
{
	return strcmp(((const struct dc_tree_entry *)a)->rel, ((const struct dc_tree_entry *)b)->rel);
}

static int cmp_delta_path(const void *a, const void *b)
{
	return strcmp((*(struct dc_delta *const *)a)->path, (*(struct dc_delta *const *)b)->path);
}

static int cmp_notes(const void *a, const void *b)
{
	return strcmp(((const struct dc_merge_note *)a)->path,
		      ((const struct dc_merge_note *)b)->path);
}

struct plan {
	struct dc_rules rules;
	git_oid rules_oid;
	struct head head;
	struct dc_tree_entry *cur;
	size_t ncur;
	git_oid deltas_tree;
	char *applied_before;	/* per cur entry: 1 if the state already holds it */
	struct dc_delta *deltas;	/* per cur entry, loaded when needed */
	int *loaded;
	struct dc_archive arch;	/* the tree's archive manifest, if any */
	char *archived;		/* per cur entry: 1 if the snapshot holds it */
};

static void plan_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->ncur; i++)
		dc_delta_release(&p->deltas[i]);
	free(p->deltas);
	free(p->loaded);
	free(p->archived);
	dc_archive_release(&p->arch);
	free(p->applied_before);
	dc_tree_entries_free(p->cur, p->ncur);
	head_release(&p->head);
	dc_rules_release(&p->rules);
	memset(p, 0, sizeof(*p));
}

/* The delta entries of a tree (sorted by rel), under the rules' directory. */
static int list_deltas(struct dc_tree_entry **e, size_t *n, struct dc_repo *r, const git_tree *t,
		       const char *dir, struct dc_err *err)
{
	git_oid ignored;
	return dc_repo_list_dir(e, n, &ignored, r, t, dir, err);
}

int dc_delta_load_blob(struct dc_delta *d, struct dc_repo *r, const git_oid *id,
		       const char *path, const char *rel, const struct dc_rules *rules,
		       struct dc_err *err)
{
	git_odb *odb = NULL;
	git_blob *blob = NULL;
	git_object_t type;
	size_t size = 0;
	char hex[GIT_OID_HEXSZ + 1];
	int ret = -1;

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_repository_odb(&odb, r->git) || git_odb_read_header(&size, &type, odb, id)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", path);
		goto cleanup;
	}
	if (size > rules->max_delta_bytes) {
		/* refused on its size alone: its bytes are never read */
		dc_delta_load(d, path, rel, hex, NULL, size, rules);
		ret = 0;
		goto cleanup;
	}
	if (git_blob_lookup(&blob, r->git, id)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", path);
		goto cleanup;
	}
	dc_delta_load(d, path, rel, hex, git_blob_rawcontent(blob),
		      (size_t)git_blob_rawsize(blob), rules);
	ret = 0;
cleanup:
	git_blob_free(blob);
	git_odb_free(odb);
	return ret;
}

/*
 * Load (read and validate) the delta of entry i, once. A delta that the
 * head already lists as quarantined under the same blob keeps its reason
 * without being read again.
 */
static int plan_load(struct plan *p, struct dc_repo *r, size_t i, int reuse_quarantine,
		     struct dc_err *err)
{
	struct dc_tree_entry *e = &p->cur[i];
	struct dc_delta *d = &p->deltas[i];
	struct dc_buf path = DC_BUF_INIT, stream = DC_BUF_INIT;
	const struct qnote *q;
	char oid[41];
	int ret = -1;

	if (p->loaded[i])
		return 0;
	git_oid_tostr(oid, sizeof(oid), &e->oid);
	dc_buf_addf(&path, "%s/%s", p->rules.deltas, e->rel);
	q = reuse_quarantine ? head_quarantined(&p->head, path.buf) : NULL;
	if ((q && !strcmp(q->oid, oid)) || !dc_tree_entry_is_blob(e)) {
		memset(d, 0, sizeof(*d));
		d->path = dc_xstrdup(path.buf);
		memcpy(d->oid, oid, sizeof(oid));
		d->reason = dc_xstrdup(q ? q->reason : dc_tree_entry_kind(e));
		{
			uint64_t fr;
			enum dc_layout lay;
			if (!dc_delta_path_parse(&fr, &stream, &lay, e->rel, NULL)) {
				d->frame = fr;
				d->stream = dc_buf_detach(&stream, NULL);
			}
		}
		p->loaded[i] = 1;
		ret = 0;
		goto cleanup;
	}
	if (dc_delta_load_blob(d, r, &e->oid, path.buf, e->rel, &p->rules, err))
		goto cleanup;
	if (dc_archive_classify(&p->arch, d, &e->oid))
		p->archived[i] = 1;
	p->loaded[i] = 1;
	ret = 0;
cleanup:
	dc_buf_release(&path);
	dc_buf_release(&stream);
	return ret;
}

/* Frame of entry i from its path alone; -1 if the path is not a delta path. */
static int entry_frame(const struct dc_tree_entry *e, uint64_t *frame)
{
	struct dc_buf stream = DC_BUF_INIT;
	enum dc_layout lay;
	int r = dc_delta_path_parse(frame, &stream, &lay, e->rel, NULL);

	dc_buf_release(&stream);
	return r;
}

/*
 * Mark the entries the state already holds: those of the head's delta tree
 * with frame <= head.frame that are not quarantined there. Each must still
 * be in the current tree with the same blob: deltas are immutable.
 */
static int mark_applied(struct plan *p, struct dc_repo *r, struct dc_err *err)
{
	struct dc_tree_entry *old = NULL;
	size_t nold = 0, i, j = 0;
	git_oid dt;
	int ret = -1;

	if (!p->head.deltas_tree[0])
		return 0;
	if (git_oid_fromstr(&dt, p->head.deltas_tree) ||
	    dc_repo_list_tree(&old, &nold, r, &dt, p->rules.deltas, err))
		return dc_err_set(err, DC_ERR_FATAL, "cannot read the delta tree of the last merge"
				  " (%s)", p->head.deltas_tree);
	for (i = 0; i < nold; i++) {
		struct dc_buf path = DC_BUF_INIT;
		uint64_t fr;
		int c = 1;

		if (!dc_tree_entry_is_blob(&old[i]) || dc_tree_entry_hidden(&old[i]) ||
		    entry_frame(&old[i], &fr) || fr > p->head.frame)
			continue;
		dc_buf_addf(&path, "%s/%s", p->rules.deltas, old[i].rel);
		if (head_quarantined(&p->head, path.buf)) {
			dc_buf_release(&path);
			continue;
		}
		while (j < p->ncur && (c = strcmp(p->cur[j].rel, old[i].rel)) < 0)
			j++;
		if ((j >= p->ncur || c) && dc_archive_has(&p->arch, path.buf, &old[i].oid)) {
			dc_buf_release(&path);	/* in the snapshot now */
			continue;
		}
		if (j >= p->ncur || c || !git_oid_equal(&p->cur[j].oid, &old[i].oid)) {
			dc_err_set(err, DC_ERR_REFUSED, "delta '%s' was %s after frame %llu was"
				   " merged; deltas are immutable", path.buf,
				   (j < p->ncur && !c) ? "modified" : "deleted or renamed",
				   (unsigned long long)p->head.frame);
			dc_err_hint(err, "restore it with 'git checkout <merge-commit> -- %s'",
				    path.buf);
			dc_buf_release(&path);
			goto cleanup;
		}
		p->applied_before[j] = 1;
		dc_buf_release(&path);
	}
	ret = 0;
cleanup:
	dc_tree_entries_free(old, nold);
	return ret;
}

/*
 * A delta is applied once, ever: the same bytes committed at a second path
 * (the other layout) are the same delta. Keep the first of each blob id in
 * `fold` (sorted), and unless `refold`, drop those the state already holds.
 */
static size_t drop_copies(struct dc_delta **fold, size_t n, const struct plan *p, int refold)
{
	struct dc_map seen = DC_MAP_INIT;
	size_t i, out = 0;

	for (i = 0; !refold && i < p->ncur; i++) {
		if (p->applied_before[i])
			dc_map_put(&seen, (const char *)p->cur[i].oid.id, GIT_OID_RAWSZ, 1);
	}
	for (i = 0; i < n; i++) {
		git_oid id;
		if (git_oid_fromstr(&id, fold[i]->oid) ||
		    !dc_map_put(&seen, (const char *)id.id, GIT_OID_RAWSZ, 1))
			continue;
		fold[out++] = fold[i];
	}
	dc_map_release(&seen);
	return out;
}

/* ---- running ---------------------------------------------------------- */

void dc_head_write(struct dc_buf *out, uint64_t frame, const git_oid *genesis,
		   const git_oid *rules, const git_oid *deltas_tree, const struct dc_delta *last,
		   uint64_t applied, const struct dc_delta *const *quarantined, size_t nq,
		   struct dc_json *derived)
{
	struct dc_json *o = dc_json_new(DC_JSON_OBJECT), *qa, *l;
	char oid[GIT_OID_HEXSZ + 1];
	struct dc_buf b = DC_BUF_INIT;
	size_t i;

	obj_put(o, "version", dc_json_new_int(1));
	obj_put(o, "frame", dc_json_new_int((int64_t)frame));
	obj_put(o, "genesis", str_node(git_oid_tostr(oid, sizeof(oid), genesis)));
	obj_put(o, "rules", str_node(git_oid_tostr(oid, sizeof(oid), rules)));
	obj_put(o, "deltas_tree", git_oid_is_zero(deltas_tree) ? dc_json_new(DC_JSON_NULL) :
		str_node(git_oid_tostr(oid, sizeof(oid), deltas_tree)));
	if (last) {
		l = dc_json_new(DC_JSON_OBJECT);
		obj_put(l, "frame", dc_json_new_int((int64_t)last->frame));
		dc_utc_format(&b, &last->utc);
		obj_put(l, "utc", str_node(b.buf));
		obj_put(l, "stream", str_node(last->stream));
		obj_put(l, "blob", str_node(last->oid));
		obj_put(o, "last", l);
	} else {
		obj_put(o, "last", dc_json_new(DC_JSON_NULL));
	}
	obj_put(o, "applied", dc_json_new_int((int64_t)applied));
	qa = dc_json_new(DC_JSON_ARRAY);
	for (i = 0; i < nq; i++) {
		struct dc_json *e = dc_json_new(DC_JSON_OBJECT);
		obj_put(e, "path", str_node(quarantined[i]->path));
		obj_put(e, "blob", str_node(quarantined[i]->oid));
		obj_put(e, "reason", str_node(quarantined[i]->reason));
		dc_json_push(qa, e);
	}
	obj_put(o, "quarantined", qa);
	obj_put(o, "derived", derived);
	dc_json_write(out, o);
	dc_json_free(o);
	dc_buf_release(&b);
}

static int load_rules(struct plan *p, struct dc_repo *r, const git_tree *tree, struct dc_err *err)
{
	struct dc_buf buf = DC_BUF_INIT;
	int exists, ret = -1;

	if (dc_repo_read(&buf, &exists, &p->rules_oid, r, tree, DC_RULES_PATH, err))
		goto cleanup;
	if (!exists) {
		dc_err_set(err, DC_ERR_REFUSED, "not a dc repository: '%s' is not in the commit",
			   DC_RULES_PATH);
		dc_err_hint(err, "run 'git dc init' to start one");
		goto cleanup;
	}
	if (dc_rules_parse(&p->rules, buf.buf, buf.len, err)) {
		dc_err_prefix(err, "'%s'", DC_RULES_PATH);
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&buf);
	return ret;
}

static void copy_stats(struct dc_merge_result *res, const struct dc_state *st,
		       const struct dc_rules *rules)
{
	size_t i;

	res->nsections = rules->nsections;
	res->sections = dc_xcalloc(rules->nsections ? rules->nsections : 1,
				   sizeof(*res->sections));
	for (i = 0; i < rules->nsections; i++) {
		res->sections[i].name = dc_xstrdup(rules->sections[i].name);
		res->sections[i].applied = st ? st->stats.applied[i] : 0;
		res->sections[i].present = st ? st->stats.present[i] : 0;
	}
	if (!st)
		return;
	res->nevents_quarantined = st->stats.nquarantined;
	res->events_quarantined = dc_xcalloc(st->stats.nquarantined ? st->stats.nquarantined : 1,
					     sizeof(*res->events_quarantined));
	for (i = 0; i < st->stats.nquarantined; i++) {
		const struct dc_event_note *n = &st->stats.quarantined[i];
		res->events_quarantined[i].path = dc_xstrdup(n->path);
		res->events_quarantined[i].section = dc_xstrdup(n->section);
		res->events_quarantined[i].reason = dc_xstrdup(n->reason);
		res->events_quarantined[i].index = n->index;
	}
}

/*
 * The projection: what the canonical files and .dc/head.json must hold for
 * the deltas of `delta_tree` under its rules, folded onto the trusted state
 * of `state_tree` (its head.json and canonical files), up to a frame.
 */
struct proj_in {
	const git_tree *state_tree;
	const git_oid *state_tip;	/* where to look for genesis, if needed */
	const git_tree *delta_tree;
	int has_frame, frame_exact;	/* frame: at least (merge) or exactly (check) */
	uint64_t frame;
	int from_genesis;	/* do not trust the state tree's state */
	int plan_only, write_blobs;
	void (*progress)(void *data, const char *title, size_t done, size_t total);
	void *progress_data;
};

struct proj_out {
	int folded;		/* 0: nothing to fold, the state stays as it is */
	/* the files the fold determined (others keep their state-tree bytes),
	 * .dc/head.json last; `remove` set for a file that must be absent */
	struct dc_tree_change *files;
	struct dc_buf *bytes;	/* content of each, when the fold wrote it */
	size_t n, alloc;
	char **paths;		/* owned copies of the paths in files[] */
	/* summaries of the state's contents the new files replace: removed
	 * once the commit lands (drop_summaries()) */
	git_oid *drop;
	size_t ndrop, alloc_drop;
};

static void proj_out_release(struct proj_out *po)
{
	size_t i;

	for (i = 0; i < po->n; i++) {
		dc_buf_release(&po->bytes[i]);
		free(po->paths[i]);
	}
	free(po->bytes);
	free(po->paths);
	free(po->files);
	free(po->drop);
	memset(po, 0, sizeof(*po));
}

static void drop_summaries(const struct proj_out *po, struct dc_repo *r)
{
	size_t i;

	for (i = 0; i < po->ndrop; i++)
		summary_drop(r, &po->drop[i]);
}

static void proj_add(struct proj_out *po, const char *path, const git_oid *oid, int exists,
		     struct dc_buf *bytes)
{
	if (po->n == po->alloc) {
		size_t a = po->alloc ? 2 * po->alloc : 16;
		po->files = dc_xreallocarray(po->files, a, sizeof(*po->files));
		po->bytes = dc_xreallocarray(po->bytes, a, sizeof(*po->bytes));
		po->paths = dc_xreallocarray(po->paths, a, sizeof(*po->paths));
		memset(po->files + po->n, 0, (a - po->n) * sizeof(*po->files));
		memset(po->bytes + po->n, 0, (a - po->n) * sizeof(*po->bytes));
		po->alloc = a;
	}
	po->paths[po->n] = dc_xstrdup(path);
	po->files[po->n].path = po->paths[po->n];
	po->files[po->n].remove = !exists;
	if (oid)
		git_oid_cpy(&po->files[po->n].oid, oid);
	if (bytes) {
		po->bytes[po->n] = *bytes;
		dc_buf_init(bytes, 0);
	}
	po->n++;
}

/* Add `buf` as the content of `path` (written as a blob, or only hashed). */
static int proj_blob(struct proj_out *po, struct dc_repo *r, const struct proj_in *in,
		     const char *path, struct dc_buf *buf, git_oid *want, struct dc_err *err)
{
	if (in->write_blobs ? dc_repo_write_blob(want, r, buf->buf, buf->len, err) != 0 :
	    git_odb_hash(want, buf->buf, buf->len, GIT_OBJECT_BLOB) != 0) {
		if (!in->write_blobs)
			dc_git_err(err, DC_ERR_FATAL, "cannot hash '%s'", path);
		return -1;
	}
	proj_add(po, path, want, 1, buf);
	return 0;
}

/* Add `path` as the base holds it (absent there: to be removed). */
static int proj_base(struct proj_out *po, struct dc_repo *r, const git_tree *base_tree,
		     struct read_ctx *rc, const char *path, struct dc_err *err)
{
	struct dc_buf buf = DC_BUF_INIT;
	git_oid id;
	int exists, ret = -1;

	if (dc_repo_read(&buf, &exists, &id, r, base_tree, base_path(rc, path), err))
		goto cleanup;
	proj_add(po, path, exists ? &id : NULL, exists, exists ? &buf : NULL);
	ret = 0;
cleanup:
	dc_buf_release(&buf);
	return ret;
}

/*
 * The files of a segmented state file (fold.h): its chunks when the fold
 * changed it (a chunk certainly unchanged is skipped, or with `full` taken
 * from the base), else with `full` the base's own files; then the plain
 * file and the segment files past the last chunk, in the base or the
 * state, are removed. Segment files are looked for from number 0 up to
 * the first missing one.
 */
static int segment_out(struct proj_out *po, struct dc_repo *r, const struct proj_in *in,
		       struct dc_state *st, struct dc_state_file *f, int full,
		       const git_tree *base_tree, struct read_ctx *rc, struct dc_err *err)
{
	struct dc_buf path = DC_BUF_INIT, buf = DC_BUF_INIT, sum = DC_BUF_INIT;
	size_t k, n = 0, end;
	int ret = -1, changed = f->loaded && f->changed, cache = in->write_blobs && !summaries_off();
	git_oid id, base_id;

	/* a file read whole (its summaries missing or unusable): the
	 * summaries of its base segments that stay as they are */
	for (k = 0; cache && f->loaded && !f->lazy && f->base_regular && k < f->base_segments;
	     k++) {
		if (changed && dc_state_chunk_dirty(f, k))
			continue;
		dc_buf_reset(&path);
		dc_rules_segment_path(&path, f->path, k);
		dc_buf_reset(&sum);
		if (dc_repo_tree_oid(&base_id, base_tree, base_path(rc, path.buf)) &&
		    !dc_state_chunk_summary(&sum, st, f, k, 0))
			summary_store(r, &base_id, "", &sum);
	}
	if (!changed && !full)
		goto done;
	if (changed) {
		n = f->doc ? dc_state_chunks(f) : 0;
		if (n > DC_MAX_SEGMENTS) {
			dc_err_set(err, DC_ERR_REFUSED, "'%s' would need %zu segment files of %zu"
				   " elements; segment numbers end at %d", f->path, n, f->segment,
				   DC_MAX_SEGMENTS - 1);
			dc_err_hint(err, "raise the section's \"segment\" in .dc/rules.json");
			goto cleanup;
		}
		for (k = 0; k < n; k++) {
			dc_buf_reset(&path);
			dc_rules_segment_path(&path, f->path, k);
			if (!dc_state_chunk_dirty(f, k)) {
				if (full && proj_base(po, r, base_tree, rc, path.buf, err))
					goto cleanup;
				continue;
			}
			dc_buf_reset(&buf);
			if (dc_state_chunk_bytes(&buf, st, f, k, err) ||
			    proj_blob(po, r, in, path.buf, &buf, &id, err))
				goto cleanup;
			if (!cache)
				continue;
			dc_buf_reset(&sum);
			if (!dc_state_chunk_summary(&sum, st, f, k, 1))
				summary_store(r, &id, "", &sum);
			/* the state's old content of this segment goes, once the
			 * commit lands (a fold from genesis keeps the summaries of
			 * genesis's segments) */
			if (dc_repo_tree_oid(&base_id, in->state_tree, path.buf) &&
			    !git_oid_equal(&base_id, &id)) {
				DC_ALLOC_GROW(po->drop, po->ndrop + 1, po->alloc_drop);
				git_oid_cpy(&po->drop[po->ndrop++], &base_id);
			}
		}
		proj_add(po, f->path, NULL, 0, NULL);
	} else {
		if (proj_base(po, r, base_tree, rc, f->path, err))
			goto cleanup;
		for (n = 0;; n++) {
			dc_buf_reset(&path);
			dc_rules_segment_path(&path, f->path, n);
			if (!dc_repo_tree_oid(&id, base_tree, base_path(rc, path.buf)))
				break;
			if (proj_base(po, r, base_tree, rc, path.buf, err))
				goto cleanup;
		}
	}
	end = dc_repo_segment_end(base_tree, rc->prefix, f->path);
	if (dc_repo_segment_end(in->state_tree, "", f->path) > end)
		end = dc_repo_segment_end(in->state_tree, "", f->path);
	for (k = n; k < end; k++) {
		dc_buf_reset(&path);
		dc_rules_segment_path(&path, f->path, k);
		if (dc_repo_tree_oid(&id, base_tree, base_path(rc, path.buf)) ||
		    dc_repo_tree_oid(&id, in->state_tree, path.buf))
			proj_add(po, path.buf, NULL, 0, NULL);
	}
done:
	ret = 0;
cleanup:
	dc_buf_release(&path);
	dc_buf_release(&buf);
	dc_buf_release(&sum);
	return ret;
}

static size_t canonical_paths(char ***out, const struct dc_rules *rules, const git_tree *a,
			      const git_tree *b, const struct proj_out *po);
static void paths_free(char **v, size_t n);

/* 1 if `path` holds other bytes (or is absent on one side) in `a` and `b`. */
static int path_differs(const git_tree *a, const git_tree *b, const char *path)
{
	git_oid x, y;
	int ea = dc_repo_tree_oid(&x, a, path), eb = dc_repo_tree_oid(&y, b, path);

	return ea != eb || (ea && !git_oid_equal(&x, &y));
}

#define STATE_WALK 1000		/* commits state_edited() looks at, at most */

/*
 * Is the state of commit `tip` (whose tree is `tree`) the one the merge
 * that wrote it left? Going back by first parents to the commit that last
 * changed .dc/head.json or is a merge commit of git dc (its `Dc-Deltas`
 * trailer), a commit that changed a canonical file on its own (a hand
 * edit committed with --no-verify, or in a clone without the hooks) makes
 * it a state no merge wrote: *edited = 1, and `which` says where. Only a
 * fold from genesis can be trusted then. Beyond STATE_WALK commits the
 * state is taken as it is.
 */
static int state_edited(int *edited, struct dc_buf *which, struct dc_repo *r,
			const git_oid *tip, const git_tree *tree, const struct dc_rules *rules,
			struct dc_err *err)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *t = NULL, *pt = NULL;
	char **files = NULL;
	size_t nfiles = 0, i, steps;
	int ret = -1;

	*edited = 0;
	if (git_commit_lookup(&c, r->git, tip) || git_commit_tree(&t, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(tip));
		goto cleanup;
	}
	if (!git_oid_equal(git_tree_id(t), git_tree_id(tree))) {
		ret = 0;	/* not the tip's state: nothing to follow */
		goto cleanup;
	}
	nfiles = canonical_paths(&files, rules, t, NULL, NULL);
	for (steps = 0; steps < STATE_WALK && git_commit_parentcount(c); steps++) {
		if (git_commit_parent(&parent, c, 0) || git_commit_tree(&pt, parent)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read the parent of %s",
				   git_oid_tostr_s(git_commit_id(c)));
			goto cleanup;
		}
		/* c wrote the state: a merge commit, or .dc/head.json changed */
		if (strstr(git_commit_message(c), "\nDc-Deltas: ") ||
		    path_differs(t, pt, DC_HEAD_PATH))
			break;
		for (i = 0; i < nfiles && !*edited; i++)
			if ((*edited = path_differs(t, pt, files[i])))
				dc_buf_addf(which, "commit %.12s changed '%s' alone",
					    git_oid_tostr_s(git_commit_id(c)), files[i]);
		if (*edited)
			break;
		git_commit_free(c);
		git_tree_free(t);
		c = parent;
		t = pt;
		parent = NULL;
		pt = NULL;
	}
	ret = 0;
cleanup:
	paths_free(files, nfiles);
	git_commit_free(parent);
	git_commit_free(c);
	git_tree_free(pt);
	git_tree_free(t);
	return ret;
}

/* Is the head's last delta one of those mark_applied() found applied? */
static int last_applied(const struct plan *p)
{
	git_oid last;
	size_t i;

	if (git_oid_fromstr(&last, p->head.last.oid))
		return 0;
	for (i = 0; i < p->ncur; i++)
		if (p->applied_before[i] && git_oid_equal(&p->cur[i].oid, &last))
			return 1;
	return 0;
}

static int project(struct proj_out *po, struct dc_merge_result *res, struct dc_repo *r,
		   const struct proj_in *in, struct dc_err *err)
{
	struct plan p;
	struct dc_state st = DC_STATE_INIT;
	struct read_ctx rc;
	git_commit *gen_commit = NULL;
	git_tree *gen_tree = NULL;
	const git_tree *base_tree;
	struct dc_delta **fold = NULL, **quar = NULL;
	size_t nfold = 0, nquar = 0, i, alloc_fold = 0, alloc_quar = 0, alloc_applied = 0,
		alloc_late = 0, alloc_q = 0, alloc_p = 0, alloc_u = 0;
	struct dc_buf buf = DC_BUF_INIT, sum = DC_BUF_INIT;
	struct dc_sames same = { NULL, 0, 0 };
	git_oid genesis;
	const struct dc_delta *last = NULL;
	uint64_t frame = 0, applied_total = 0;
	int ret = -1, full, exists, from_snapshot = 0;
	struct head snap;
	struct dc_map applied = DC_MAP_INIT;

	memset(&p, 0, sizeof(p));
	memset(&snap, 0, sizeof(snap));
	memset(&rc, 0, sizeof(rc));
	rc.prefix = "";
	memset(po, 0, sizeof(*po));
	if (load_rules(&p, r, in->delta_tree, err))
		goto cleanup;
	git_oid_tostr(res->rules_oid, sizeof(res->rules_oid), &p.rules_oid);
	if (dc_repo_read(&buf, &exists, NULL, r, in->state_tree, DC_HEAD_PATH, err))
		goto cleanup;
	if (exists && head_parse(&p.head, buf.buf, buf.len, err))
		goto cleanup;
	if (dc_repo_list_dir(&p.cur, &p.ncur, &p.deltas_tree, r, in->delta_tree, p.rules.deltas,
			     err) ||
	    dc_archive_load(&p.arch, r, in->delta_tree, err))
		goto cleanup;
	p.applied_before = dc_xcalloc(p.ncur ? p.ncur : 1, 1);
	p.archived = dc_xcalloc(p.ncur ? p.ncur : 1, 1);
	p.deltas = dc_xcalloc(p.ncur ? p.ncur : 1, sizeof(*p.deltas));
	p.loaded = dc_xcalloc(p.ncur ? p.ncur : 1, sizeof(*p.loaded));

	res->had_head = p.head.present;
	res->prev_frame = p.head.frame;
	res->prev_applied = p.head.applied;
	res->deltas_dir = dc_xstrdup(p.rules.deltas);
	res->layout_by_frame = p.rules.layout == DC_LAYOUT_BY_FRAME;
	{
		char ro[41];
		git_oid_tostr(ro, sizeof(ro), &p.rules_oid);
		full = !p.head.present || strcmp(ro, p.head.rules) || !p.head.derived ||
			in->from_genesis;
	}
	if (p.head.present && mark_applied(&p, r, err))
		goto cleanup;
	/*
	 * A head.json whose last delta is not one it counts as applied (a
	 * frame edited by hand, say) was not written by a merge: the deltas
	 * it says are new may have been applied already.
	 */
	if (!full && p.head.has_last && !p.arch.present && !last_applied(&p)) {
		free(res->edited);
		res->edited = dc_xstrdup("'" DC_HEAD_PATH "' names a last delta it does not"
					 " count as applied");
		full = 1;
	}
	if (!full && in->state_tip) {
		int edited;

		dc_buf_reset(&buf);
		if (state_edited(&edited, &buf, r, in->state_tip, in->state_tree, &p.rules, err))
			goto cleanup;
		if (edited) {
			free(res->edited);
			res->edited = dc_xstrdup(buf.buf);
			full = 1;
		}
	}
	if (in->frame_exact && p.head.present && in->frame < p.head.frame)
		full = 1;	/* a frame below the state's: only a fold from genesis tells */

	/* classify every entry that the state does not hold yet */
	frame = p.head.present ? p.head.frame : 0;
	for (i = 0; i < p.ncur; i++) {
		struct dc_delta *d = &p.deltas[i];
		if (in->progress)
			in->progress(in->progress_data, "Reading deltas", i + 1, p.ncur);
		if (p.applied_before[i] || dc_tree_entry_hidden(&p.cur[i]))
			continue;
		if (plan_load(&p, r, i, !full, err))
			goto cleanup;
		if (p.archived[i])
			continue;
		if (d->valid && !in->has_frame && d->frame > frame)
			frame = d->frame;
	}
	if (in->frame_exact || (in->has_frame && in->frame > frame))
		frame = in->frame;
	res->frame = frame;
	res->has_state = p.head.present;

	/* a copy of an applied delta (its bytes at another path) is that delta */
	for (i = 0; in->plan_only && i < p.ncur; i++)
		if (p.applied_before[i])
			dc_map_put(&applied, (const char *)p.cur[i].oid.id, GIT_OID_RAWSZ, 1);
	for (i = 0; i < p.ncur; i++) {
		struct dc_delta *d = &p.deltas[i];
		if (!p.loaded[i] || p.archived[i])
			continue;
		if (!d->valid) {
			note_add(&res->quarantined, &res->nquarantined, &alloc_q, d->path,
				 d, d->reason);
			DC_ALLOC_GROW(quar, nquar + 1, alloc_quar);
			quar[nquar++] = d;
		} else if ((d->frame > frame || in->plan_only) &&
			   !dc_map_get(&applied, (const char *)p.cur[i].oid.id, GIT_OID_RAWSZ,
				       NULL)) {
			note_add(&res->pending, &res->npending, &alloc_p, d->path, d, NULL);
		}
	}
	SORT(res->pending, res->npending, cmp_notes);
	dc_trace_phase("plan");
	if (in->plan_only) {
		copy_stats(res, NULL, &p.rules);
		ret = 0;
		goto cleanup;
	}

	/* the deltas this merge applies, in protocol order */
	for (i = 0; i < p.ncur; i++) {
		struct dc_delta *d = &p.deltas[i];
		if (p.loaded[i] && !p.archived[i] && d->valid && d->frame <= frame) {
			DC_ALLOC_GROW(fold, nfold + 1, alloc_fold);
			fold[nfold++] = d;
		}
	}
	SORT(fold, nfold, cmp_delta_ptr);
	nfold = drop_copies(fold, nfold, &p, 0);
	for (i = 0; i < nfold; i++) {
		note_add(&res->applied, &res->napplied, &alloc_applied, fold[i]->path, fold[i], NULL);
		if (fold[i]->nunknown) {
			struct dc_buf why = DC_BUF_INIT;
			size_t k;
			dc_buf_adds(&why, "unknown section");
			for (k = 0; k < fold[i]->nunknown; k++)
				dc_buf_addf(&why, "%s'%s'", k ? ", " : " ", fold[i]->unknown[k]);
			dc_buf_adds(&why, ": not applied");
			note_add(&res->unknown, &res->nunknown, &alloc_u, fold[i]->path, fold[i],
				 why.buf);
			dc_buf_release(&why);
		}
	}
	for (i = 0; p.head.present && i < nfold; i++) {
		if (fold[i]->frame <= p.head.frame)
			note_add(&res->late, &res->nlate, &alloc_late, fold[i]->path, fold[i], NULL);
	}
	if (!nfold && !full && quarantine_changed(&p.head, quar, nquar)) {
		/*
		 * Only quarantined deltas are new: the state stays as it is and
		 * .dc/head.json records them with the delta tree, as a merge
		 * that met them with the others would have (section 4: the
		 * same deltas give the same bytes whatever order they came in).
		 */
		git_oid head_id;

		SORT(quar, nquar, cmp_delta_path);
		SORT(res->quarantined, res->nquarantined, cmp_notes);
		git_oid_fromstr(&genesis, p.head.genesis);
		dc_buf_reset(&buf);
		dc_head_write(&buf, p.head.frame, &genesis, &p.rules_oid, &p.deltas_tree,
			      p.head.has_last ? &p.head.last : NULL, p.head.applied,
			      (const struct dc_delta *const *)quar, nquar,
			      dc_json_clone(p.head.derived));
		if (proj_blob(po, r, in, DC_HEAD_PATH, &buf, &head_id, err))
			goto cleanup;
		po->folded = 1;
		res->frame = p.head.frame;
		copy_stats(res, NULL, &p.rules);
		ret = 0;
		goto cleanup;
	}
	if ((!nfold && !full) || (!nfold && !p.head.present)) {
		/* nothing new (or never merged and nothing to merge): no fold */
		copy_stats(res, NULL, &p.rules);
		ret = 0;
		goto cleanup;
	}
	if (!full && p.head.has_last && nfold && dc_delta_cmp(fold[0], &p.head.last) < 0)
		full = 1;	/* a late delta: fold again from genesis */
	res->refold = full && p.head.present;

	if (full) {
		/* every valid delta of the tree with frame <= N, from genesis */
		for (i = 0; i < p.ncur; i++) {
			struct dc_delta *d = &p.deltas[i];
			if (!p.applied_before[i])
				continue;
			if (in->progress)
				in->progress(in->progress_data, "Reading applied deltas", i + 1,
					     p.ncur);
			if (plan_load(&p, r, i, 0, err))
				goto cleanup;
			if (p.archived[i])
				continue;
			if (!d->valid) {
				/* new rules quarantine a delta the old ones applied */
				note_add(&res->quarantined, &res->nquarantined, &alloc_q, d->path,
					 d, d->reason);
				DC_ALLOC_GROW(quar, nquar + 1, alloc_quar);
				quar[nquar++] = d;
				continue;
			}
			if (d->frame > frame) {
				note_add(&res->pending, &res->npending, &alloc_p, d->path, d, NULL);
				continue;
			}
			DC_ALLOC_GROW(fold, nfold + 1, alloc_fold);
			fold[nfold++] = d;
		}
		SORT(fold, nfold, cmp_delta_ptr);
		nfold = drop_copies(fold, nfold, &p, 1);
		if (p.head.present && p.head.genesis[0] && !git_oid_fromstr(&genesis, p.head.genesis) &&
		    !git_commit_lookup(&gen_commit, r->git, &genesis)) {
			/* the head's genesis is here */
		} else if (!in->state_tip) {
			dc_err_set(err, DC_ERR_FATAL, "cannot find the genesis commit");
			goto cleanup;
		} else if (find_genesis(&genesis, r, in->state_tip, err) ||
			   git_commit_lookup(&gen_commit, r->git, &genesis)) {
			goto cleanup;
		}
		if (git_commit_tree(&gen_tree, gen_commit)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read the genesis tree");
			goto cleanup;
		}
		base_tree = gen_tree;
		applied_total = nfold;
		if (p.arch.present) {
			/* the newest archive snapshot is the genesis */
			if (frame + 1 < p.arch.before) {
				dc_err_set(err, DC_ERR_REFUSED, "frame %llu is archived: frames"
					   " before %llu are only in the snapshot",
					   (unsigned long long)frame,
					   (unsigned long long)p.arch.before);
				dc_err_hint(err, "'git dc replay --to <frame>' rebuilds archived frames"
					    " from history");
				goto cleanup;
			}
			if (dc_repo_read(&buf, &exists, NULL, r, in->delta_tree,
					 DC_ARCHIVE_SNAPSHOT DC_HEAD_PATH, err))
				goto cleanup;
			if (!exists || head_parse(&snap, buf.buf, buf.len, err)) {
				dc_err_set(err, DC_ERR_FATAL, "the archive snapshot has no valid"
					   " '%s%s'", DC_ARCHIVE_SNAPSHOT, DC_HEAD_PATH);
				dc_err_hint(err, "it is written only by 'git dc archive'; restore"
					    " '%s' from the archive commit", DC_ARCHIVE_SNAPSHOT);
				goto cleanup;
			}
			from_snapshot = 1;
			res->from_snapshot = res->refold;
			base_tree = in->delta_tree;
			rc.prefix = DC_ARCHIVE_SNAPSHOT;
			applied_total = snap.applied + nfold;
		}
	} else {
		git_oid_fromstr(&genesis, p.head.genesis);
		base_tree = in->state_tree;
		applied_total = p.head.applied + nfold;
	}
	res->folded = nfold;
	dc_trace_phase("refold set-up");

	rc.r = r;
	rc.tree = base_tree;
	if (dc_state_init(&st, &p.rules, read_from_tree, &rc, err))
		goto cleanup;
	if (!summaries_off()) {
		st.summary = summary_from_cache;
		st.summary_data = &rc;
	}
	/* from the state's own: first take back what its counts changed */
	if (!full && dc_fold_undo(&st, p.head.derived, err))
		goto cleanup;
	/* from a snapshot: likewise, from the state its counts were made from */
	if (from_snapshot && snap.derived && dc_fold_undo(&st, snap.derived, err))
		goto cleanup;
	for (i = 0; i < nfold; i++) {
		if (in->progress)
			in->progress(in->progress_data, "Folding deltas", i + 1, nfold);
		st.replaying = p.applied_before[fold[i] - p.deltas];
		if (dc_fold_apply(&st, fold[i], err))
			goto cleanup;
	}
	if (dc_fold_finish(&st, err))
		goto cleanup;
	dc_trace_phase("fold (load, apply, count)");
	for (i = 0; i < st.nfiles; i++) {
		size_t total, read;
		int how = dc_state_by_summary(&st.files[i], &read, &total);

		if (how)
			dc_trace_note("read by its summary: %s, %s%zu of %zu elements parsed",
				      st.files[i].path, how == 2 ? "then whole, " : "", read, total);
		if (!st.files[i].segment || !st.files[i].loaded)
			continue;
		read = dc_state_segments_read(&st.files[i], &total);
		dc_trace_note("segments read: %s %zu of %zu%s", st.files[i].path, read, total,
			      st.files[i].lazy ? " (from summaries)" : "");
	}
	copy_stats(res, &st, &p.rules);
	if (nfold)
		last = fold[nfold - 1];
	else if (from_snapshot)
		last = snap.has_last ? &snap.last : NULL;
	else
		last = p.head.has_last ? &p.head.last : NULL;

	/* the files the fold determines, with their bytes */
	for (i = 0; i < st.nfiles; i++) {
		struct dc_state_file *f = &st.files[i];
		git_oid want;

		if (f->segment) {
			if (segment_out(po, r, in, &st, f, full, base_tree, &rc, err))
				goto cleanup;
			continue;
		}
		dc_buf_reset(&buf);
		if (f->loaded && f->changed && f->doc) {
			int cache = in->write_blobs && !summaries_off();
			git_oid base_id;

			dc_buf_reset(&sum);
			if (dc_state_file_bytes(&buf, cache ? &sum : NULL, &same, &st, f, err))
				goto cleanup;
			/* one hash: writing a blob returns its id */
			if (cache && sum.len && buf.len >= DC_CHUNKED_MIN) {
				int has = dc_repo_tree_oid(&base_id, base_tree,
							   base_path(&rc, f->path));

				if (write_chunked(&want, r, f->path, &buf, has ? &base_id : NULL,
						  &same, err))
					goto cleanup;
			} else if (in->write_blobs ?
				   dc_repo_write_blob(&want, r, buf.buf, buf.len, err) != 0 :
				   git_odb_hash(&want, buf.buf, buf.len, GIT_OBJECT_BLOB) != 0) {
				if (!in->write_blobs)
					dc_git_err(err, DC_ERR_FATAL, "cannot hash '%s'", f->path);
				goto cleanup;
			}
			if (sum.len) {
				summary_store(r, &want, "", &sum);
				if (dc_repo_tree_oid(&base_id, in->state_tree, f->path) &&
				    !git_oid_equal(&base_id, &want)) {
					DC_ALLOC_GROW(po->drop, po->ndrop + 1, po->alloc_drop);
					git_oid_cpy(&po->drop[po->ndrop++], &base_id);
				}
			}
			proj_add(po, f->path, &want, 1, &buf);
		} else if (full || (f->loaded && f->changed)) {
			/* as in the base (genesis for a fold from genesis), or absent */
			int e = dc_repo_tree_oid(&want, base_tree, base_path(&rc, f->path));
			if (f->loaded && f->changed && !f->doc)
				e = 0;
			if (e && dc_repo_read(&buf, &exists, NULL, r, base_tree,
					      base_path(&rc, f->path), err))
				goto cleanup;
			proj_add(po, f->path, e ? &want : NULL, e, e ? &buf : NULL);
		}
	}
	dc_trace_phase("serialize, hash, write blobs");

	/* .dc/head.json: quarantine sorted by path */
	SORT(quar, nquar, cmp_delta_path);
	SORT(res->quarantined, res->nquarantined, cmp_notes);
	SORT(res->pending, res->npending, cmp_notes);
	{
		git_oid want;
		dc_buf_reset(&buf);
		dc_head_write(&buf, frame, &genesis, &p.rules_oid, &p.deltas_tree, last,
			      applied_total, (const struct dc_delta *const *)quar, nquar,
			      dc_fold_undo_json(&st));
		if (in->write_blobs ? dc_repo_write_blob(&want, r, buf.buf, buf.len, err) != 0 :
		    git_odb_hash(&want, buf.buf, buf.len, GIT_OBJECT_BLOB) != 0) {
			if (!in->write_blobs)
				dc_git_err(err, DC_ERR_FATAL, "cannot hash '%s'", DC_HEAD_PATH);
			goto cleanup;
		}
		proj_add(po, DC_HEAD_PATH, &want, 1, &buf);
	}
	po->folded = 1;
	res->frame = frame;
	res->has_state = 1;
	ret = 0;
cleanup:
	if (ret)
		proj_out_release(po);
	dc_state_release(&st);
	free(fold);
	free(quar);
	dc_buf_release(&buf);
	free(same.v);
	dc_buf_release(&sum);
	dc_buf_release(&rc.path);
	head_release(&snap);
	git_tree_free(gen_tree);
	git_commit_free(gen_commit);
	plan_release(&p);
	dc_map_release(&applied);
	return ret;
}

/*
 * Take the sources in, one at a time in the order given: each adds its
 * deltas to the tree built so far, unless it is already in the branch's
 * history (skipped silently) or one of its delta paths is there with other
 * bytes (skipped, reported). *union_tree is the resulting tree, *parents
 * the branch's commit then the sources taken, *added the new delta paths.
 */
static int take_sources(git_tree **union_tree, git_oid **parents, size_t *nparents,
			char ***added, size_t *nadded, struct dc_merge_result *res,
			struct dc_repo *r, git_commit *head, git_tree *tree,
			const struct dc_merge_opts *o, struct dc_err *err)
{
	struct plan p;
	git_tree *acc = NULL;
	struct dc_tree_entry *before = NULL, *after = NULL;
	size_t nbefore = 0, nafter = 0, i, alloc_s = 0, alloc_a = 0;
	int ret = -1;

	memset(&p, 0, sizeof(p));
	if (load_rules(&p, r, tree, err))
		goto cleanup;
	*parents = dc_xcalloc(o->nsources + 1, sizeof(**parents));
	git_oid_cpy(&(*parents)[0], git_commit_id(head));
	*nparents = 1;
	if (git_tree_lookup(&acc, r->git, git_tree_id(tree))) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of HEAD");
		goto cleanup;
	}
	for (i = 0; i < o->nsources; i++) {
		const struct dc_merge_source *src = &o->sources[i];
		git_commit *c = NULL;
		git_tree *t = NULL, *next = NULL;
		char **conflicts = NULL;
		size_t nconflicts = 0, k;
		git_oid out;
		int e;

		if (git_oid_equal(&src->oid, git_commit_id(head)) ||
		    git_graph_descendant_of(r->git, git_commit_id(head), &src->oid) == 1)
			continue;	/* already merged */
		if (git_commit_lookup(&c, r->git, &src->oid) || git_commit_tree(&t, c)) {
			git_commit_free(c);
			dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", src->name);
			goto cleanup;
		}
		e = dc_union_deltas(&out, &conflicts, &nconflicts, r, acc,
				    (const git_tree *const *)&t, 1, p.rules.deltas, err);
		git_tree_free(t);
		git_commit_free(c);
		if (e)
			goto cleanup;
		if (nconflicts) {
			struct dc_buf why = DC_BUF_INIT;
			dc_buf_addf(&why, "delta '%s' is there with other bytes; deltas are"
				    " immutable", conflicts[0]);
			DC_ALLOC_GROW(res->skipped, res->nskipped + 1, alloc_s);
			memset(&res->skipped[res->nskipped], 0, sizeof(res->skipped[0]));
			res->skipped[res->nskipped].path = dc_xstrdup(src->name);
			res->skipped[res->nskipped++].reason = dc_buf_detach(&why, NULL);
			for (k = 0; k < nconflicts; k++)
				free(conflicts[k]);
			free(conflicts);
			continue;
		}
		free(conflicts);
		if (git_tree_lookup(&next, r->git, &out)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read a merged tree");
			goto cleanup;
		}
		git_tree_free(acc);
		acc = next;
		git_oid_cpy(&(*parents)[(*nparents)++], &src->oid);
		DC_ALLOC_GROW(res->consumed, res->nconsumed + 1, alloc_a);
		res->consumed[res->nconsumed++] = dc_xstrdup(src->name);
	}
	/* the delta paths the sources added */
	if (list_deltas(&before, &nbefore, r, tree, p.rules.deltas, err) ||
	    list_deltas(&after, &nafter, r, acc, p.rules.deltas, err))
		goto cleanup;
	alloc_a = 0;
	for (i = 0; i < nafter; i++) {
		if (dc_tree_entries_find(before, nbefore, after[i].rel))
			continue;
		DC_ALLOC_GROW(*added, *nadded + 1, alloc_a);
		(*added)[*nadded] = dc_xmalloc(strlen(p.rules.deltas) + strlen(after[i].rel) + 2);
		sprintf((*added)[(*nadded)++], "%s/%s", p.rules.deltas, after[i].rel);
	}
	*union_tree = acc;
	acc = NULL;
	ret = 0;
cleanup:
	git_tree_free(acc);
	dc_tree_entries_free(before, nbefore);
	dc_tree_entries_free(after, nafter);
	plan_release(&p);
	return ret;
}

/* A commit to land on a branch (see land()). */
struct land {
	const char *refname;
	git_commit *head;		/* the branch's tip, the compare-and-swap's old value */
	const git_tree *old_tree;	/* its tree */
	const git_oid *tree_oid;	/* the new commit's tree */
	const git_oid *parents;
	size_t nparents;
	const char *message, *reflog;
	char **paths;			/* the paths the commit changes */
	const struct dc_buf *bytes;	/* their new bytes (NULL: read from the tree) */
	size_t n;
	const char *done;		/* "merged", "archived": for a late failure */
};

/*
 * Commit, then move the branch crash-safely: the journal (a non-bare
 * repository) records the move before the compare-and-swap, the work tree
 * and index follow, and the journal goes. *committed and `commit_hex`
 * (41 bytes) are set once the branch moved.
 */
static int land(const struct land *l, struct dc_repo *r, int *committed, char *commit_hex,
		struct dc_err *err)
{
	git_tree *new_tree = NULL;
	git_oid commit_oid;
	int ret = -1;

	if (dc_repo_commit(&commit_oid, r, l->tree_oid, l->parents, l->nparents, l->message,
			   err))
		goto cleanup;
	if (git_tree_lookup(&new_tree, r->git, l->tree_oid)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the new tree");
		goto cleanup;
	}
	if (!r->bare && journal_write(r, l->refname, git_commit_id(l->head), &commit_oid,
				      l->paths, l->n, err))
		goto cleanup;
	dc_crash_point("journal");
	if (dc_repo_cas_ref(r, l->refname, git_commit_id(l->head), &commit_oid, l->reflog, err)) {
		journal_remove(r);
		goto cleanup;
	}
	*committed = 1;
	git_oid_tostr(commit_hex, GIT_OID_HEXSZ + 1, &commit_oid);
	dc_trace_phase("commit, journal, ref");
	dc_crash_point("ref");
	if (!r->bare) {
		if (dc_repo_bring_worktree(r, l->old_tree, new_tree, (const char *const *)l->paths,
					   l->bytes, l->n, 0, err)) {
			dc_err_prefix(err, "%s as %.12s, but the work tree was not updated", l->done,
				      commit_hex);
			goto cleanup;
		}
		journal_remove(r);
	}
	dc_trace_phase("work tree and index");
	ret = 0;
cleanup:
	git_tree_free(new_tree);
	return ret;
}

int dc_merge(struct dc_repo *r, const struct dc_merge_opts *o, struct dc_merge_result *res,
	     struct dc_err *err)
{
	struct proj_in in;
	struct proj_out po;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	struct dc_tree_change *changes = NULL;
	struct dc_buf *bytes = NULL;
	size_t nchanges = 0, i;
	struct dc_buf msg = DC_BUF_INIT;
	git_oid new_tree_oid, *parents = NULL;
	git_tree *union_tree = NULL;
	char **added = NULL;	/* delta paths the sources bring */
	size_t nparents = 0, nadded = 0;
	int ret = -1, lock_fd = -1;

	memset(res, 0, sizeof(*res));
	memset(&po, 0, sizeof(po));
	if (!o->plan_only && !o->dry_run) {
		if ((lock_fd = merge_lock(r, err)) < 0)
			return -1;
		if (dc_merge_recover(r, err)) {
			close(lock_fd);
			return -1;
		}
	}
	dc_trace_phase("start");
	if (dc_repo_head(&res->refname, &head, r, err))
		goto cleanup;
	if (!head) {
		dc_err_set(err, DC_ERR_REFUSED, "'%s' has no commits yet", res->refname);
		dc_err_hint(err, "run 'git dc init' to start a dc repository");
		goto cleanup;
	}
	git_oid_tostr(res->head_commit, sizeof(res->head_commit), git_commit_id(head));
	if (git_commit_tree(&tree, head)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of HEAD");
		goto cleanup;
	}
	if (o->nsources && take_sources(&union_tree, &parents, &nparents, &added, &nadded, res, r,
					head, tree, o, err))
		goto cleanup;
	memset(&in, 0, sizeof(in));
	in.state_tree = tree;
	in.delta_tree = union_tree ? union_tree : tree;
	in.state_tip = git_commit_id(head);
	in.has_frame = o->has_frame;
	in.frame = o->frame;
	in.plan_only = o->plan_only;
	in.write_blobs = !o->dry_run;
	in.progress = o->progress;
	in.progress_data = o->progress_data;
	if (project(&po, res, r, &in, err))
		goto cleanup;
	if (!po.folded && !nadded && nparents <= 1) {
		ret = 0;
		goto cleanup;
	}

	/* what differs from HEAD: the deltas taken in, then the projection */
	changes = dc_xcalloc(po.n + nadded + 1, sizeof(*changes));
	bytes = dc_xcalloc(po.n + nadded + 1, sizeof(*bytes));
	for (i = 0; i < nadded; i++) {
		int e2;
		changes[nchanges].path = added[i];
		dc_repo_tree_oid(&changes[nchanges].oid, union_tree, added[i]);
		if (!r->bare && dc_repo_read(&bytes[nchanges], &e2, NULL, r, union_tree, added[i],
					     err))
			goto cleanup;
		nchanges++;
	}
	for (i = 0; i < po.n; i++) {
		git_oid now;
		int now_exists = dc_repo_tree_oid(&now, tree, po.files[i].path);

		if (po.files[i].remove ? !now_exists :
		    (now_exists && git_oid_equal(&now, &po.files[i].oid)))
			continue;
		changes[nchanges] = po.files[i];
		bytes[nchanges] = po.bytes[i];
		dc_buf_init(&po.bytes[i], 0);
		nchanges++;
	}
	res->nchanged = nchanges;
	res->changed = dc_xcalloc(nchanges ? nchanges : 1, sizeof(char *));
	for (i = 0; i < nchanges; i++)
		res->changed[i] = dc_xstrdup(changes[i].path);
	if ((!nchanges && nparents <= 1) || o->dry_run) {
		ret = 0;
		goto cleanup;
	}

	/* refuse to overwrite uncommitted edits of canonical files */
	{
		char **dirty = NULL;
		size_t ndirty = 0;
		if (dc_repo_dirty_paths(&dirty, &ndirty, r, tree, (const char *const *)res->changed,
					nchanges, err))
			goto cleanup;
		if (ndirty) {
			dc_err_set(err, DC_ERR_REFUSED, "canonical file '%s' has uncommitted changes;"
				   " nothing was merged", dirty[0]);
			dc_err_hint(err, "canonical files are written only by 'git dc merge'; put"
				    " your change in a delta with 'git dc delta', then discard the"
				    " edit with 'git checkout -- %s'", dirty[0]);
			for (i = 0; i < ndirty; i++)
				free(dirty[i]);
			free(dirty);
			goto cleanup;
		}
		free(dirty);
	}

	if (dc_repo_tree_update(&new_tree_oid, r, tree, changes, nchanges, err))
		goto cleanup;
	dc_trace_phase("dirty check, tree");
	dc_crash_point("blobs");
	dc_buf_addf(&msg, "dc: merge frame %llu\n\n", (unsigned long long)res->frame);
	if (res->nconsumed) {
		dc_buf_adds(&msg, "Streams taken in:\n");
		for (i = 0; i < res->nconsumed; i++)
			dc_buf_addf(&msg, "  %s\n", res->consumed[i]);
		dc_buf_addch(&msg, '\n');
	}
	if (res->nlate)
		dc_buf_addf(&msg, "Late deltas folded in order: %zu.\n\n", res->nlate);
	dc_buf_addf(&msg, "Dc-Frame: %llu\nDc-Deltas: %zu\nDc-Quarantined: %zu\n",
		    (unsigned long long)res->frame, res->napplied, res->nquarantined);
	if (!parents) {
		parents = dc_xcalloc(1, sizeof(*parents));
		git_oid_cpy(&parents[0], git_commit_id(head));
		nparents = 1;
	}
	{
		struct dc_buf reflog = DC_BUF_INIT;
		struct land l = { res->refname, head, tree, &new_tree_oid, parents, nparents,
				  msg.buf, NULL, res->changed, bytes, nchanges, "merged" };

		dc_buf_addf(&reflog, "dc merge: frame %llu", (unsigned long long)res->frame);
		l.reflog = reflog.buf;
		ret = land(&l, r, &res->committed, res->commit, err);
		dc_buf_release(&reflog);
	}
cleanup:
	if (ret && err && !err->code)
		err->code = DC_ERR_FATAL;
	if (res->committed)
		drop_summaries(&po, r);
	for (i = 0; bytes && i < nchanges; i++)
		dc_buf_release(&bytes[i]);
	free(bytes);
	free(changes);
	proj_out_release(&po);
	dc_buf_release(&msg);
	for (i = 0; i < nadded; i++)
		free(added[i]);
	free(added);
	free(parents);
	git_tree_free(union_tree);
	git_tree_free(tree);
	git_commit_free(head);
	if (lock_fd >= 0)
		close(lock_fd);
	return ret;
}

/* ---- checking a commit ------------------------------------------------- */

static void problem(struct dc_check_result *res, const char *path, const char *rule,
		    const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void problem(struct dc_check_result *res, const char *path, const char *rule,
		    const char *hint, const char *fmt, ...)
{
	struct dc_check_problem *x;
	struct dc_buf b = DC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	dc_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (!strcmp(rule, "delta-quarantined")) {
		DC_ALLOC_GROW(res->warnings, res->nwarnings + 1, res->awarnings);
		x = &res->warnings[res->nwarnings++];
	} else {
		DC_ALLOC_GROW(res->problems, res->n + 1, res->alloc);
		x = &res->problems[res->n++];
	}
	x->path = dc_xstrdup(path);
	x->rule = rule;
	x->message = dc_buf_detach(&b, NULL);
	x->hint = hint ? dc_xstrdup(hint) : NULL;
	x->has_expected = 0;
	dc_buf_init(&x->expected, 0);
	memset(&x->actual, 0, sizeof(x->actual));
}

static void problems_release(struct dc_check_problem *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].message);
		free(v[i].hint);
		dc_buf_release(&v[i].expected);
	}
	free(v);
}

void dc_check_result_release(struct dc_check_result *res)
{
	problems_release(res->problems, res->n);
	problems_release(res->warnings, res->nwarnings);
	memset(res, 0, sizeof(*res));
}

#define HINT_MERGE "canonical files are written only by 'git dc merge'; record the" \
	" change as a delta with 'git dc delta', and restore the file with" \
	" 'git checkout HEAD -- <file>'"
#define HINT_DELTA "committed deltas are immutable: write a new delta for a later" \
	" frame with 'git dc delta' (only 'git dc archive' removes deltas)"

/*
 * The delta directory the rules of parent tree `t` name (owned copy), or
 * NULL when it holds no valid rules.
 */
static char *parent_deltas_dir(struct dc_repo *r, const git_tree *t)
{
	struct dc_rules pr = DC_RULES_INIT;
	struct dc_buf b = DC_BUF_INIT;
	char *dir = NULL;
	int exists;

	if (!dc_repo_read(&b, &exists, NULL, r, t, DC_RULES_PATH, NULL) && exists &&
	    !dc_rules_parse(&pr, b.buf, b.len, NULL))
		dir = dc_xstrdup(pr.deltas);
	dc_rules_release(&pr);
	dc_buf_release(&b);
	return dir;
}

/* The entry at `path` in `t` (id and mode; rel unset): 1 if there. */
static int tree_entry_at(struct dc_tree_entry *out, const git_tree *t, const char *path)
{
	git_tree_entry *te = NULL;

	memset(out, 0, sizeof(*out));
	if (git_tree_entry_bypath(&te, t, path))
		return 0;
	git_oid_cpy(&out->oid, git_tree_entry_id(te));
	out->mode = git_tree_entry_filemode(te);
	git_tree_entry_free(te);
	return 1;
}

/* Whether `path` is the same blob in `a` and `b` (absent from both counts). */
static int same_entry(const git_tree *a, const git_tree *b, const char *path)
{
	git_oid x, y;
	int ex = dc_repo_tree_oid(&x, a, path), ey = dc_repo_tree_oid(&y, b, path);

	return ex == ey && (!ex || git_oid_equal(&x, &y));
}

/* Does a canonical file of the tree parse? Problems for those that don't. */
static int check_parses(struct dc_check_result *res, struct dc_repo *r, const git_tree *t,
			const char *path, struct dc_err *err)
{
	struct dc_buf b = DC_BUF_INIT;
	struct dc_json *doc = NULL;
	struct dc_err why = DC_ERR_INIT;
	int exists, ok = 1;

	if (dc_repo_read(&b, &exists, NULL, r, t, path, err)) {
		dc_buf_release(&b);
		return -1;
	}
	if (exists && dc_json_parse(&doc, b.buf, b.len, &dc_canonical_opts, &why)) {
		ok = 0;
		if (dc_has_conflict_markers(b.buf, b.len))
			problem(res, path, "conflict-markers", HINT_MERGE,
				"'%s' holds conflict markers", path);
		else
			problem(res, path, "invalid-json", HINT_MERGE, "'%s' is not valid JSON: %s",
				path, why.msg.buf);
	}
	dc_json_free(doc);
	dc_err_release(&why);
	dc_buf_release(&b);
	return ok;
}

static int check_archive(struct dc_check_result *res, struct dc_repo *r, const git_tree *tree,
			 const struct dc_archive *arch, const git_oid *parents,
			 git_tree *const *ptrees, size_t nparents, struct dc_err *err);

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void paths_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Every path the rules' canonical files occupy in `a`, `b` (may be NULL) or
 * `po` (may be NULL): each file, and for a segmented one its segment files
 * (numbers from 0 up to the first missing one, in each tree). Sorted,
 * unique, owned by the caller (paths_free()).
 */
static size_t canonical_paths(char ***out, const struct dc_rules *rules, const git_tree *a,
			      const git_tree *b, const struct proj_out *po)
{
	const char **files;
	const git_tree *trees[2];
	struct dc_buf path = DC_BUF_INIT;
	char **v = NULL;
	size_t nfiles = dc_rules_files(rules, &files), n = 0, alloc = 0, i, t, k, kept = 0;
	git_oid id;

	trees[0] = a;
	trees[1] = b;
	for (i = 0; i < nfiles; i++) {
		DC_ALLOC_GROW(v, n + 1, alloc);
		v[n++] = dc_xstrdup(files[i]);
		if (!dc_rules_segmented(rules, files[i], NULL))
			continue;
		for (t = 0; t < 2; t++) {
			size_t end = trees[t] ? dc_repo_segment_end(trees[t], "", files[i]) : 0;
			for (k = 0; k < end; k++) {
				dc_buf_reset(&path);
				dc_rules_segment_path(&path, files[i], k);
				if (!dc_repo_tree_oid(&id, trees[t], path.buf))
					continue;
				DC_ALLOC_GROW(v, n + 1, alloc);
				v[n++] = dc_xstrdup(path.buf);
			}
		}
	}
	for (i = 0; po && i < po->n; i++) {
		if (!strcmp(po->files[i].path, DC_HEAD_PATH))
			continue;
		DC_ALLOC_GROW(v, n + 1, alloc);
		v[n++] = dc_xstrdup(po->files[i].path);
	}
	free(files);
	dc_buf_release(&path);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str_ptr);
	for (i = 0; i < n; i++) {
		if (kept && !strcmp(v[kept - 1], v[i]))
			free(v[i]);
		else
			v[kept++] = v[i];
	}
	*out = v;
	return kept;
}

int dc_check_tree(struct dc_check_result *res, struct dc_repo *r, const git_tree *tree,
		  const git_oid *parents, size_t nparents, struct dc_err *err)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_buf buf = DC_BUF_INIT, msg = DC_BUF_INIT;
	struct dc_err why = DC_ERR_INIT;
	git_tree **ptrees = NULL;
	struct dc_tree_entry *cur = NULL, **pe = NULL;
	size_t ncur = 0, *npe = NULL, i, k, nfiles = 0;
	char **pdirs = NULL;
	char **files = NULL;
	const char *rule;
	int exists, parent_dc = 0, ret = -1, changed = 0, parse_ok = 1;
	struct dc_merge_result mres;
	struct proj_out po;
	struct dc_archive arch = DC_ARCHIVE_INIT;

	memset(res, 0, sizeof(*res));
	memset(&mres, 0, sizeof(mres));
	memset(&po, 0, sizeof(po));
	ptrees = dc_xcalloc(nparents + 1, sizeof(*ptrees));
	pe = dc_xcalloc(nparents + 1, sizeof(*pe));
	npe = dc_xcalloc(nparents + 1, sizeof(*npe));
	pdirs = dc_xcalloc(nparents + 1, sizeof(*pdirs));
	for (i = 0; i < nparents; i++) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, r->git, &parents[i]) || git_commit_tree(&ptrees[i], c)) {
			git_commit_free(c);
			dc_git_err(err, DC_ERR_FATAL, "cannot read a parent commit");
			goto cleanup;
		}
		git_commit_free(c);
		parent_dc |= dc_repo_tree_oid(&(git_oid){{0}}, ptrees[i], DC_RULES_PATH);
	}

	/* the rules */
	if (dc_repo_read(&buf, &exists, NULL, r, tree, DC_RULES_PATH, err))
		goto cleanup;
	if (!exists) {
		if (parent_dc)
			problem(res, DC_RULES_PATH, "rules-removed", "restore it with 'git checkout"
				" HEAD -- .dc/rules.json'", "'%s' was removed", DC_RULES_PATH);
		ret = 0;
		goto cleanup;
	}
	res->dc = 1;
	if (dc_rules_parse(&rules, buf.buf, buf.len, &why)) {
		problem(res, DC_RULES_PATH, "rules-invalid", NULL, "'%s': %s", DC_RULES_PATH,
			why.msg.buf);
		ret = 0;
		goto cleanup;
	}

	/* the archive: as 'git dc archive' writes it, where it changed */
	dc_err_release(&why);
	if (dc_archive_load(&arch, r, tree, &why)) {
		problem(res, DC_ARCHIVE_MANIFEST, "archive-invalid", why.hint.len ? why.hint.buf : NULL,
			"%s", why.msg.buf);
		dc_err_release(&why);
	}
	if (nparents && check_archive(res, r, tree, &arch, parents, ptrees, nparents, err))
		goto cleanup;

	/*
	 * deltas: the parents' are all here, unchanged, at the paths their
	 * own rules put them (rules that move the delta directory do not
	 * free the old deltas); new ones are valid
	 */
	if (list_deltas(&cur, &ncur, r, tree, rules.deltas, err))
		goto cleanup;
	for (i = 0; i < nparents; i++) {
		size_t held = 0;

		if (!(pdirs[i] = parent_deltas_dir(r, ptrees[i])))
			pdirs[i] = dc_xstrdup(rules.deltas);
		if (list_deltas(&pe[i], &npe[i], r, ptrees[i], pdirs[i], err))
			goto cleanup;
		for (k = 0; k < npe[i]; k++)
			held += !dc_tree_entry_hidden(&pe[i][k]);
		if (held && strcmp(pdirs[i], rules.deltas))
			problem(res, DC_RULES_PATH, "deltas-moved", "keep the delta directory where"
				" it is (only 'git dc archive' removes deltas)", "'%s' moves the"
				" delta directory from '%s' to '%s', where %zu committed delta%s"
				" would stop being deltas", DC_RULES_PATH, pdirs[i], rules.deltas,
				held, held == 1 ? "" : "s");
		for (k = 0; k < npe[i]; k++) {
			const struct dc_tree_entry *o = &pe[i][k], *x;
			struct dc_tree_entry moved;
			if (dc_tree_entry_hidden(o))
				continue;
			dc_buf_reset(&buf);
			dc_buf_addf(&buf, "%s/%s", pdirs[i], o->rel);
			if (!strcmp(pdirs[i], rules.deltas))
				x = dc_tree_entries_find(cur, ncur, o->rel);
			else
				x = tree_entry_at(&moved, tree, buf.buf) ? &moved : NULL;
			if (!x) {
				if (!dc_archive_has(&arch, buf.buf, &o->oid))
					problem(res, o->rel, "delta-deleted", HINT_DELTA,
						"delta '%s' was deleted or renamed", buf.buf);
			}
			else if (!git_oid_equal(&x->oid, &o->oid) || x->mode != o->mode)
				problem(res, o->rel, "delta-modified", HINT_DELTA,
					"delta '%s' was modified", buf.buf);
		}
	}
	for (k = 0; k < ncur; k++) {
		const struct dc_tree_entry *x = &cur[k];
		struct dc_delta d = DC_DELTA_INIT;
		int seen = 0;

		dc_buf_reset(&buf);
		dc_buf_addf(&buf, "%s/%s", rules.deltas, x->rel);
		for (i = 0; i < nparents && !seen; i++)
			seen = strcmp(pdirs[i], rules.deltas) ?
				dc_repo_tree_oid(&(git_oid){{0}}, ptrees[i], buf.buf) :
				dc_tree_entries_find(pe[i], npe[i], x->rel) != NULL;
		if (seen || dc_tree_entry_hidden(x))
			continue;
		if (!dc_tree_entry_is_blob(x)) {
			problem(res, buf.buf, "delta-invalid", NULL, "invalid delta '%s': %s", buf.buf,
				dc_tree_entry_kind(x));
			continue;
		}
		if (dc_delta_load_blob(&d, r, &x->oid, buf.buf, x->rel, &rules, err))
			goto cleanup;
		/*
		 * Section 9 refuses invalid JSON (conflict markers are) in a
		 * delta; a JSON delta that breaks another rule of section 2
		 * is committed and quarantined by every merge.
		 */
		dc_buf_reset(&msg);
		if ((rule = dc_delta_verdict(&msg, &d)))
			problem(res, buf.buf, rule, DC_HINT_BAD_DELTA, "%s", msg.buf);
		dc_delta_release(&d);
	}

	/* canonical files and head.json: unchanged, or the projection */
	nfiles = canonical_paths(&files, &rules, tree, nparents ? ptrees[0] : NULL, NULL);
	for (i = 0; i <= nfiles; i++) {
		const char *path = i < nfiles ? files[i] : DC_HEAD_PATH;
		git_oid a, b;
		int ea = dc_repo_tree_oid(&a, tree, path);
		int eb = nparents ? dc_repo_tree_oid(&b, ptrees[0], path) : 0;

		if (ea == eb && (!ea || git_oid_equal(&a, &b)))
			continue;
		changed = 1;
		if (ea) {
			int r2 = check_parses(res, r, tree, path, err);
			if (r2 < 0)
				goto cleanup;
			parse_ok &= r2;
		}
	}
	/*
	 * Rules that are new or changed make their files canonical whether
	 * the commit touched them or not: those must be valid JSON too
	 * (section 7), or every later merge would fail on them.
	 */
	if (!nparents || !dc_repo_tree_oid(&(git_oid){{0}}, ptrees[0], DC_RULES_PATH) ||
	    !same_entry(tree, ptrees[0], DC_RULES_PATH)) {
		for (i = 0; i < nfiles; i++) {
			git_oid a, b;
			int ea = dc_repo_tree_oid(&a, tree, files[i]);
			int eb = nparents ? dc_repo_tree_oid(&b, ptrees[0], files[i]) : 0;
			int r2;

			if (!ea || !eb || !git_oid_equal(&a, &b))
				continue;	/* absent, or new or changed: parsed above */
			if ((r2 = check_parses(res, r, tree, files[i], err)) < 0)
				goto cleanup;
			parse_ok &= r2;
		}
	}
	if (!changed || !parent_dc || !parse_ok) {
		/* unchanged; or the genesis commit, whose files are the base */
		ret = 0;
		goto cleanup;
	}
	if (!dc_repo_tree_oid(&(git_oid){{0}}, tree, DC_HEAD_PATH)) {
		problem(res, DC_HEAD_PATH, dc_repo_tree_oid(&(git_oid){{0}}, ptrees[0], DC_HEAD_PATH) ?
			"head-edit" : "canonical-edit", HINT_MERGE,
			dc_repo_tree_oid(&(git_oid){{0}}, ptrees[0], DC_HEAD_PATH) ?
			"'%s' was removed" : "canonical files changed with no merge recorded (%s is"
			" absent)", DC_HEAD_PATH);
		ret = 0;
		goto cleanup;
	}
	{
		struct head h;
		struct proj_in in;

		if (dc_repo_read(&buf, &exists, NULL, r, tree, DC_HEAD_PATH, err))
			goto cleanup;
		if (head_parse(&h, buf.buf, buf.len, &why)) {
			problem(res, DC_HEAD_PATH, "head-edit", HINT_MERGE, "'%s' is not what git dc"
				" merge writes", DC_HEAD_PATH);
			ret = 0;
			goto cleanup;
		}
		res->frame = h.frame;
		head_release(&h);
		memset(&in, 0, sizeof(in));
		in.state_tree = ptrees[0];
		in.state_tip = &parents[0];
		in.delta_tree = tree;
		in.frame_exact = 1;
		in.frame = res->frame;
		res->projected = 1;
		if (project(&po, &mres, r, &in, err))
			goto cleanup;
	}
	paths_free(files, nfiles);
	nfiles = canonical_paths(&files, &rules, tree, ptrees[0], &po);
	for (i = 0; i <= nfiles; i++) {
		const char *path = i < nfiles ? files[i] : DC_HEAD_PATH;
		const struct dc_tree_change *want = NULL;
		struct dc_check_problem *x;
		size_t wi = 0;
		git_oid a, w;
		int ea = dc_repo_tree_oid(&a, tree, path), ew;

		for (k = 0; k < po.n; k++)
			if (!strcmp(po.files[k].path, path))
				want = &po.files[wi = k];
		if (want) {
			ew = !want->remove;
			git_oid_cpy(&w, &want->oid);
		} else {
			ew = dc_repo_tree_oid(&w, ptrees[0], path);
		}
		if (ea == ew && (!ea || git_oid_equal(&a, &w)))
			continue;
		/*
		 * The parent's state is not what a merge wrote, so the
		 * projection is from genesis: a commit that puts canonical
		 * files back and leaves .dc/head.json alone is judged by its
		 * canonical files (section 9), not by the head a merge would
		 * write now.
		 */
		if (mres.edited && !strcmp(path, DC_HEAD_PATH) &&
		    !path_differs(tree, ptrees[0], DC_HEAD_PATH))
			continue;
		if (!strcmp(path, DC_HEAD_PATH))
			problem(res, path, "head-edit", HINT_MERGE, "'%s' is not what git dc merge"
				" writes for frame %llu", path, (unsigned long long)res->frame);
		else
			problem(res, path, "canonical-edit", HINT_MERGE, "'%s' is not the projection"
				" of the deltas up to frame %llu", path,
				(unsigned long long)res->frame);
		x = &res->problems[res->n - 1];
		x->has_expected = ew;
		if (ea)
			git_oid_cpy(&x->actual, &a);
		if (ew && want && po.bytes[wi].len) {
			dc_buf_addbuf(&x->expected, &po.bytes[wi]);
		} else if (ew) {
			int e2;
			if (dc_repo_read(&x->expected, &e2, NULL, r, want ? tree : ptrees[0], path,
					 err))
				goto cleanup;
		}
	}
	ret = 0;
cleanup:
	proj_out_release(&po);
	dc_merge_result_release(&mres);
	dc_archive_release(&arch);
	paths_free(files, nfiles);
	dc_tree_entries_free(cur, ncur);
	for (i = 0; i < nparents; i++) {
		dc_tree_entries_free(pe[i], npe[i]);
		git_tree_free(ptrees[i]);
	}
	free(pe);
	free(npe);
	for (i = 0; pdirs && i < nparents; i++)
		free(pdirs[i]);
	free(pdirs);
	free(ptrees);
	dc_rules_release(&rules);
	dc_err_release(&why);
	dc_buf_release(&buf);
	dc_buf_release(&msg);
	return ret;
}

/* ---- building merge results -------------------------------------------- */

int dc_union_deltas(git_oid *out, char ***conflicts, size_t *nconflicts, struct dc_repo *r,
		    const git_tree *base, const git_tree *const *others, size_t nothers,
		    const char *deltas, struct dc_err *err)
{
	struct dc_tree_entry *be = NULL, *oe = NULL;
	size_t nbe = 0, noe = 0, i, k, nch = 0, alloc_ch = 0, alloc_c = 0;
	struct dc_tree_change *ch = NULL;
	char **paths = NULL;
	struct dc_buf path = DC_BUF_INIT;
	int ret = -1;

	*conflicts = NULL;
	*nconflicts = 0;
	if (list_deltas(&be, &nbe, r, base, deltas, err))
		goto cleanup;
	for (i = 0; i < nothers; i++) {
		if (list_deltas(&oe, &noe, r, others[i], deltas, err))
			goto cleanup;
		for (k = 0; k < noe; k++) {
			const struct dc_tree_entry *x = dc_tree_entries_find(be, nbe, oe[k].rel);
			size_t j;
			int dup = 0;

			dc_buf_reset(&path);
			dc_buf_addf(&path, "%s/%s", deltas, oe[k].rel);
			if (x && git_oid_equal(&x->oid, &oe[k].oid))
				continue;
			for (j = 0; j < nch; j++) {
				if (strcmp(ch[j].path, path.buf))
					continue;
				dup = 1;
				if (!git_oid_equal(&ch[j].oid, &oe[k].oid))
					x = &oe[k];	/* two others disagree */
			}
			if (x) {
				for (j = 0; j < *nconflicts && strcmp((*conflicts)[j], path.buf); j++)
					;
				if (j == *nconflicts) {
					DC_ALLOC_GROW(*conflicts, *nconflicts + 1, alloc_c);
					(*conflicts)[(*nconflicts)++] = dc_xstrdup(path.buf);
				}
				continue;
			}
			if (dup || !dc_tree_entry_is_blob(&oe[k]))
				continue;
			DC_ALLOC_GROW(ch, nch + 1, alloc_ch);
			DC_ALLOC_GROW(paths, nch + 1, alloc_c);
			paths[nch] = dc_xstrdup(path.buf);
			ch[nch].path = paths[nch];
			git_oid_cpy(&ch[nch].oid, &oe[k].oid);
			ch[nch].remove = 0;
			nch++;
		}
		dc_tree_entries_free(oe, noe);
		oe = NULL;
		noe = 0;
	}
	/* a path two sides disagree on stays as in base (or out) */
	for (i = 0, k = 0; i < nch; i++) {
		size_t j;
		int bad = 0;
		for (j = 0; j < *nconflicts; j++)
			bad |= !strcmp((*conflicts)[j], ch[i].path);
		if (bad) {
			free(paths[i]);
			continue;
		}
		ch[k] = ch[i];
		paths[k++] = paths[i];
	}
	nch = k;
	if (!nch) {
		git_oid_cpy(out, git_tree_id(base));
	} else if (dc_repo_tree_update(out, r, base, ch, nch, err)) {
		goto cleanup;
	}
	ret = 0;
cleanup:
	for (i = 0; i < nch; i++)
		free(paths[i]);
	free(paths);
	free(ch);
	dc_tree_entries_free(be, nbe);
	dc_tree_entries_free(oe, noe);
	dc_buf_release(&path);
	return ret;
}

int dc_project_onto(git_oid *out, struct dc_merge_result *res, struct dc_repo *r,
		    const git_tree *state_tree, const git_oid *state_tip,
		    const git_tree *delta_tree, int has_frame, uint64_t frame, int from_genesis,
		    struct dc_err *err)
{
	struct proj_in in;
	struct proj_out po;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&in, 0, sizeof(in));
	in.state_tree = state_tree;
	in.state_tip = state_tip;
	in.delta_tree = delta_tree;
	in.frame_exact = has_frame;
	in.frame = frame;
	in.has_frame = has_frame;
	in.from_genesis = from_genesis;
	in.write_blobs = 1;
	if (!has_frame) {
		/* the newest frame the state recorded: nothing pending is folded */
		int present;
		if (dc_tree_frame(&in.frame, &present, r, state_tree, err))
			return -1;
		in.frame_exact = in.has_frame = present;
	}
	if (project(&po, res, r, &in, err))
		return -1;
	if (!po.folded)
		git_oid_cpy(out, git_tree_id(delta_tree));
	{
		/* a file the projection leaves absent may be absent already */
		size_t i, k = 0;
		for (i = 0; i < po.n; i++)
			if (!po.files[i].remove ||
			    dc_repo_tree_oid(&(git_oid){{0}}, delta_tree, po.files[i].path))
				po.files[k++] = po.files[i];
		ret = po.folded ? dc_repo_tree_update(out, r, delta_tree, po.files, k, err) : 0;
	}
	proj_out_release(&po);
	return ret;
}

int dc_tree_frame(uint64_t *frame, int *present, struct dc_repo *r, const git_tree *tree,
		  struct dc_err *err)
{
	struct dc_buf b = DC_BUF_INIT;
	struct head h;
	int exists, ret = -1;

	*frame = 0;
	*present = 0;
	if (dc_repo_read(&b, &exists, NULL, r, tree, DC_HEAD_PATH, err))
		goto cleanup;
	if (exists) {
		if (head_parse(&h, b.buf, b.len, err))
			goto cleanup;
		*frame = h.frame;
		*present = 1;
		head_release(&h);
	}
	ret = 0;
cleanup:
	dc_buf_release(&b);
	return ret;
}

/* ---- git dc archive ------------------------------------------------------ */

void dc_archive_result_release(struct dc_archive_result *res)
{
	size_t i;

	for (i = 0; i < res->narchived; i++)
		free(res->archived[i]);
	free(res->archived);
	for (i = 0; i < res->nchanged; i++)
		free(res->changed[i]);
	free(res->changed);
	free(res->refname);
	memset(res, 0, sizeof(*res));
}

/* The id of the sub-tree at `dir` in `tree`; 0 if there is none. */
static int subtree_oid(git_oid *out, const git_tree *tree, const char *dir)
{
	git_tree_entry *te = NULL;
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (!git_tree_entry_bypath(&te, tree, dir) && git_tree_entry_type(te) == GIT_OBJECT_TREE) {
		git_oid_cpy(out, git_tree_entry_id(te));
		found = 1;
	}
	git_tree_entry_free(te);
	return found;
}

struct blob_list {
	const char *dir;
	char **paths;
	size_t n, alloc;
};

static int collect_blob(const char *root, const git_tree_entry *te, void *data)
{
	struct blob_list *l = data;
	struct dc_buf p = DC_BUF_INIT;

	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		return 0;
	dc_buf_addf(&p, "%s/%s%s", l->dir, root, git_tree_entry_name(te));
	DC_ALLOC_GROW(l->paths, l->n + 1, l->alloc);
	l->paths[l->n++] = dc_buf_detach(&p, NULL);
	return 0;
}

/* Every blob under `dir` (no final slash) in `tree`, as full paths. */
static int list_blobs_under(struct blob_list *l, struct dc_repo *r, const git_tree *tree,
			    const char *dir, struct dc_err *err)
{
	git_tree *sub = NULL;
	git_oid id;
	int ret = 0;

	l->dir = dir;
	if (!subtree_oid(&id, tree, dir))
		return 0;
	if (git_tree_lookup(&sub, r->git, &id) ||
	    git_tree_walk(sub, GIT_TREEWALK_PRE, collect_blob, l) < 0)
		ret = dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", dir);
	git_tree_free(sub);
	return ret;
}

static void blob_list_release(struct blob_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}

/* Do two head.json agree on everything but the delta tree's id? */
static int heads_agree(const struct head *a, const struct head *b)
{
	size_t i;

	if (a->frame != b->frame || a->applied != b->applied || strcmp(a->genesis, b->genesis) ||
	    strcmp(a->rules, b->rules) || a->has_last != b->has_last ||
	    (a->has_last && strcmp(a->last.oid, b->last.oid)) || a->nq != b->nq ||
	    !a->derived != !b->derived || (a->derived && !dc_json_equal(a->derived, b->derived)))
		return 0;
	for (i = 0; i < a->nq; i++)
		if (strcmp(a->q[i].path, b->q[i].path) || strcmp(a->q[i].oid, b->q[i].oid) ||
		    strcmp(a->q[i].reason, b->q[i].reason))
			return 0;
	return 1;
}

/*
 * Build the tree of an archive of `tree` (the tip `tip`'s) before frame
 * `before`, without any ref: *out is its id, res says what it holds. Every
 * object it needs is written.
 */
static int archive_build(git_oid *out, struct dc_archive_result *res, struct dc_repo *r,
			 const git_oid *tip, const git_tree *tree, const struct dc_archive_opts *o,
			 struct dc_err *err)
{
	struct plan p;
	struct proj_in in;
	struct proj_out spo, qpo;
	struct dc_merge_result mres;
	struct dc_archive next = DC_ARCHIVE_INIT;
	struct blob_list old_snap;
	struct dc_tree_change *changes = NULL;
	struct dc_buf buf = DC_BUF_INIT, *owned = NULL;
	struct head proved;
	git_tree *new_tree = NULL;
	size_t nchanges = 0, nowned = 0, cap, i, k;
	int exists, ret = -1;
	uint64_t before = o->before;

	memset(&p, 0, sizeof(p));
	memset(&spo, 0, sizeof(spo));
	memset(&qpo, 0, sizeof(qpo));
	memset(&mres, 0, sizeof(mres));
	memset(&old_snap, 0, sizeof(old_snap));
	memset(&proved, 0, sizeof(proved));
	res->before = before;
	if (load_rules(&p, r, tree, err) ||
	    dc_repo_read(&buf, &exists, NULL, r, tree, DC_HEAD_PATH, err))
		goto cleanup;
	if (!exists) {
		dc_err_set(err, DC_ERR_REFUSED, "nothing is merged yet: there is no frame to archive");
		dc_err_hint(err, "run 'git dc merge' first");
		goto cleanup;
	}
	if (head_parse(&p.head, buf.buf, buf.len, err) ||
	    dc_archive_load(&p.arch, r, tree, err))
		goto cleanup;
	res->frame = p.head.frame;
	if (p.arch.present && before <= p.arch.before) {
		res->noop = 1;
		ret = 0;
		goto cleanup;
	}
	if (before > p.head.frame + 1) {
		dc_err_set(err, DC_ERR_REFUSED, "frame %llu is not merged yet (the merged frame is"
			   " %llu)", (unsigned long long)(before - 1),
			   (unsigned long long)p.head.frame);
		dc_err_hint(err, "archive with '--before %llu' at most, or merge further first",
			    (unsigned long long)p.head.frame + 1);
		goto cleanup;
	}

	/* nothing may wait in the frames being archived */
	memset(&in, 0, sizeof(in));
	in.state_tree = tree;
	in.delta_tree = tree;
	in.state_tip = tip;
	in.plan_only = 1;
	if (project(&spo, &mres, r, &in, err))
		goto cleanup;
	for (i = 0; i < mres.npending; i++) {
		if (mres.pending[i].has_frame && mres.pending[i].frame < before) {
			dc_err_set(err, DC_ERR_REFUSED, "delta '%s' of frame %llu is not merged yet;"
				   " nothing was archived", mres.pending[i].path,
				   (unsigned long long)mres.pending[i].frame);
			dc_err_hint(err, "run 'git dc merge' first: an archive holds only merged"
				    " frames");
			goto cleanup;
		}
	}
	proj_out_release(&spo);
	dc_merge_result_release(&mres);

	/* the snapshot: the state at the end of frame before - 1 */
	in.plan_only = 0;
	in.frame_exact = 1;
	in.frame = before - 1;
	in.from_genesis = 1;
	in.write_blobs = 1;
	in.progress = o->progress;
	in.progress_data = o->progress_data;
	if (project(&spo, &mres, r, &in, err))
		goto cleanup;
	dc_merge_result_release(&mres);

	/* the deltas it holds: every valid one of a frame below `before` */
	if (dc_repo_list_dir(&p.cur, &p.ncur, &p.deltas_tree, r, tree, p.rules.deltas, err))
		goto cleanup;
	p.applied_before = dc_xcalloc(p.ncur ? p.ncur : 1, 1);
	p.archived = dc_xcalloc(p.ncur ? p.ncur : 1, 1);
	p.deltas = dc_xcalloc(p.ncur ? p.ncur : 1, sizeof(*p.deltas));
	p.loaded = dc_xcalloc(p.ncur ? p.ncur : 1, sizeof(*p.loaded));
	for (i = 0; i < p.arch.n; i++)
		dc_archive_add(&next, p.arch.deltas[i].path, &p.arch.deltas[i].blob);
	next.before = before;
	next.present = 1;
	if (list_blobs_under(&old_snap, r, tree, ".dc/archive/snapshot", err))
		goto cleanup;
	cap = p.ncur + old_snap.n + spo.n + 1;
	changes = dc_xcalloc(cap, sizeof(*changes));
	owned = dc_xcalloc(cap, sizeof(*owned));
	res->changed = dc_xcalloc(cap, sizeof(*res->changed));
	res->archived = dc_xcalloc(p.ncur ? p.ncur : 1, sizeof(*res->archived));
	for (i = 0; i < p.ncur; i++) {
		struct dc_delta *d = &p.deltas[i];
		if (o->progress)
			o->progress(o->progress_data, "Reading deltas", i + 1, p.ncur);
		if (dc_tree_entry_hidden(&p.cur[i]) || !dc_tree_entry_is_blob(&p.cur[i])) {
			res->nkept++;
			continue;
		}
		if (plan_load(&p, r, i, 0, err))
			goto cleanup;
		if (!d->valid || d->frame >= before) {
			res->nkept++;
			continue;
		}
		dc_archive_add(&next, d->path, &p.cur[i].oid);
		res->archived[res->narchived++] = dc_xstrdup(d->path);
		changes[nchanges].path = d->path;
		changes[nchanges].remove = 1;
		nchanges++;
	}

	/* the snapshot files replace the old ones */
	for (i = 0; i < spo.n; i++) {
		if (spo.files[i].remove)
			continue;
		dc_buf_addf(&owned[nowned], "%s%s", DC_ARCHIVE_SNAPSHOT, spo.files[i].path);
		changes[nchanges].path = owned[nowned++].buf;
		git_oid_cpy(&changes[nchanges].oid, &spo.files[i].oid);
		nchanges++;
		res->nsnapshot++;
	}
	for (i = 0; i < old_snap.n; i++) {
		int kept = 0;
		for (k = 0; k < nchanges && !kept; k++)
			kept = !changes[k].remove && !strcmp(changes[k].path, old_snap.paths[i]);
		if (kept)
			continue;
		changes[nchanges].path = old_snap.paths[i];
		changes[nchanges].remove = 1;
		nchanges++;
	}
	dc_buf_reset(&buf);
	dc_archive_write(&buf, &next);
	if (dc_repo_write_blob(&changes[nchanges].oid, r, buf.buf, buf.len, err))
		goto cleanup;
	changes[nchanges++].path = DC_ARCHIVE_MANIFEST;
	if (dc_repo_tree_update(out, r, tree, changes, nchanges, err) ||
	    git_tree_lookup(&new_tree, r->git, out)) {
		if (!err->code)
			dc_git_err(err, DC_ERR_FATAL, "cannot read the archive's tree");
		goto cleanup;
	}
	git_oid_tostr(res->tree, sizeof(res->tree), out);
	for (i = 0; i < nchanges; i++) {
		git_oid a, b;
		int ea = dc_repo_tree_oid(&a, tree, changes[i].path);
		int eb = dc_repo_tree_oid(&b, new_tree, changes[i].path);
		if (ea != eb || (ea && !git_oid_equal(&a, &b)))
			res->changed[res->nchanged++] = dc_xstrdup(changes[i].path);
	}
	SORT(res->changed, res->nchanged, cmp_str_ptr);
	SORT(res->archived, res->narchived, cmp_str_ptr);
	dc_trace_phase("archive: snapshot and tree");

	/* the proof: from the snapshot and the deltas left, the same state */
	memset(&in, 0, sizeof(in));
	in.state_tree = new_tree;
	in.delta_tree = new_tree;
	in.state_tip = tip;
	in.frame_exact = 1;
	in.frame = p.head.frame;
	in.from_genesis = 1;
	if (project(&qpo, &mres, r, &in, err))
		goto cleanup;
	for (i = 0; i < qpo.n; i++) {
		const char *path = qpo.files[i].path;
		git_oid have;
		int e = dc_repo_tree_oid(&have, tree, path), agree;

		if (!strcmp(path, DC_HEAD_PATH)) {
			agree = !head_parse(&proved, qpo.bytes[i].buf, qpo.bytes[i].len, err) &&
				heads_agree(&proved, &p.head);
			head_release(&proved);
		} else {
			agree = e == !qpo.files[i].remove &&
				(!e || git_oid_equal(&have, &qpo.files[i].oid));
		}
		if (!agree) {
			dc_err_set(err, DC_ERR_REFUSED, "the archive does not reproduce '%s' of frame"
				   " %llu; nothing was archived", path,
				   (unsigned long long)p.head.frame);
			dc_err_hint(err, "run 'git dc verify' to see whether the branch's state is"
				    " the projection of its deltas");
			goto cleanup;
		}
	}
	dc_trace_phase("archive: proof");
	ret = 0;
cleanup:
	for (i = 0; owned && i < nowned; i++)
		dc_buf_release(&owned[i]);
	free(owned);
	free(changes);
	blob_list_release(&old_snap);
	dc_archive_release(&next);
	proj_out_release(&spo);
	proj_out_release(&qpo);
	dc_merge_result_release(&mres);
	dc_buf_release(&buf);
	git_tree_free(new_tree);
	plan_release(&p);
	return ret;
}

int dc_archive(struct dc_repo *r, const struct dc_archive_opts *o,
	       struct dc_archive_result *res, struct dc_err *err)
{
	git_commit *head = NULL;
	git_tree *tree = NULL;
	struct dc_buf msg = DC_BUF_INIT;
	git_oid tree_oid;
	int ret = -1, lock_fd = -1;

	memset(res, 0, sizeof(*res));
	if (o->before < 1)
		return dc_err_set(err, DC_ERR_USAGE, "--before needs a frame of 1 or more");
	if (!o->dry_run) {
		if ((lock_fd = merge_lock(r, err)) < 0)
			return -1;
		if (dc_merge_recover(r, err))
			goto cleanup;
	}
	if (dc_repo_head(&res->refname, &head, r, err))
		goto cleanup;
	if (!head) {
		dc_err_set(err, DC_ERR_REFUSED, "'%s' has no commits yet", res->refname);
		dc_err_hint(err, "run 'git dc init' to start a dc repository");
		goto cleanup;
	}
	if (git_commit_tree(&tree, head)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of HEAD");
		goto cleanup;
	}
	if (archive_build(&tree_oid, res, r, git_commit_id(head), tree, o, err))
		goto cleanup;
	if (res->noop || o->dry_run) {
		ret = 0;
		goto cleanup;
	}
	{
		char **dirty = NULL;
		size_t ndirty = 0, i;
		if (dc_repo_dirty_paths(&dirty, &ndirty, r, tree, (const char *const *)res->changed,
					res->nchanged, err))
			goto cleanup;
		if (ndirty) {
			dc_err_set(err, DC_ERR_REFUSED, "'%s' has uncommitted changes; nothing was"
				   " archived", dirty[0]);
			dc_err_hint(err, "commit or discard the change to '%s' first", dirty[0]);
			for (i = 0; i < ndirty; i++)
				free(dirty[i]);
			free(dirty);
			goto cleanup;
		}
		free(dirty);
	}
	dc_crash_point("blobs");
	dc_buf_addf(&msg, "dc: archive frames before %llu\n\n"
		    "The deltas stay in history; the manifest lists them by blob id.\n\n"
		    "Dc-Archive-Before: %llu\nDc-Archived: %zu\n",
		    (unsigned long long)res->before, (unsigned long long)res->before,
		    res->narchived);
	{
		struct dc_buf reflog = DC_BUF_INIT;
		struct land l = { res->refname, head, tree, &tree_oid, git_commit_id(head), 1,
				  msg.buf, NULL, res->changed, NULL, res->nchanged, "archived" };

		dc_buf_addf(&reflog, "dc archive: before frame %llu",
			    (unsigned long long)res->before);
		l.reflog = reflog.buf;
		ret = land(&l, r, &res->committed, res->commit, err);
		dc_buf_release(&reflog);
	}
cleanup:
	if (ret && err && !err->code)
		err->code = DC_ERR_FATAL;
	dc_buf_release(&msg);
	git_tree_free(tree);
	git_commit_free(head);
	if (lock_fd >= 0)
		close(lock_fd);
	return ret;
}

#define HINT_ARCHIVE "'.dc/archive/' is written only by 'git dc archive'; restore it from" \
	" the parent with 'git checkout HEAD -- .dc/archive'"

/*
 * A commit that changes .dc/archive/ (compared with every parent: a merge
 * that takes an archive from one side changes nothing) must hold exactly
 * the tree 'git dc archive' builds from its first parent.
 */
static int check_archive(struct dc_check_result *res, struct dc_repo *r, const git_tree *tree,
			 const struct dc_archive *arch, const git_oid *parents,
			 git_tree *const *ptrees, size_t nparents, struct dc_err *err)
{
	struct dc_archive_opts o;
	struct dc_archive_result ares;
	struct dc_err why = DC_ERR_INIT;
	git_oid mine, theirs, built;
	size_t i;
	int has = subtree_oid(&mine, tree, ".dc/archive"), ret = 0;

	for (i = 0; i < nparents; i++) {
		int ph = subtree_oid(&theirs, ptrees[i], ".dc/archive");
		if (ph == has && (!has || git_oid_equal(&mine, &theirs)))
			return 0;
	}
	if (!has) {
		problem(res, ".dc/archive", "archive-removed", HINT_ARCHIVE,
			"the archive (snapshot and manifest) was removed");
		return 0;
	}
	if (!arch->present)
		return 0;	/* a corrupt or missing manifest is already a problem */
	memset(&o, 0, sizeof(o));
	memset(&ares, 0, sizeof(ares));
	o.before = arch->before;
	if (archive_build(&built, &ares, r, &parents[0], ptrees[0], &o, &why)) {
		if (why.code != DC_ERR_REFUSED)
			ret = dc_err_set(err, DC_ERR_FATAL, "%s", why.msg.buf);
		else
			problem(res, DC_ARCHIVE_MANIFEST, "archive-invalid", HINT_ARCHIVE,
				"the archive before frame %llu cannot be made from the parent: %s",
				(unsigned long long)arch->before, why.msg.buf);
	} else if (ares.noop || !git_oid_equal(&built, git_tree_id(tree))) {
		problem(res, DC_ARCHIVE_MANIFEST, "archive-invalid", HINT_ARCHIVE,
			"the commit is not what 'git dc archive --before %llu' makes of its parent"
			" (an archive commit holds the archive and nothing else)",
			(unsigned long long)arch->before);
	}
	dc_archive_result_release(&ares);
	dc_err_release(&why);
	return ret;
}

/* ---- the delta history of a tree --------------------------------------- */

/*
 * The log of a tree is its deltas and those its archive removed: add the
 * archived ones not in the tree as entries read back by blob id (history
 * keeps them). The entries stay sorted by rel.
 */
static void add_archived_entries(struct plan *p)
{
	size_t i, dlen = strlen(p->rules.deltas), n = p->ncur;

	for (i = 0; i < p->arch.n; i++) {
		const char *path = p->arch.deltas[i].path;
		if (strncmp(path, p->rules.deltas, dlen) || path[dlen] != '/' ||
		    dc_tree_entries_find(p->cur, n, path + dlen + 1))
			continue;
		p->cur = dc_xreallocarray(p->cur, p->ncur + 1, sizeof(*p->cur));
		p->cur[p->ncur].rel = dc_xstrdup(path + dlen + 1);
		git_oid_cpy(&p->cur[p->ncur].oid, &p->arch.deltas[i].blob);
		p->cur[p->ncur].mode = GIT_FILEMODE_BLOB;
		p->ncur++;
	}
	if (p->ncur > n)
		qsort(p->cur, p->ncur, sizeof(*p->cur), cmp_entry_rel);
}

int dc_history_load(struct dc_history *h, struct dc_repo *r, const git_oid *commit,
		    struct dc_err *err)
{
	struct plan p;
	git_commit *c = NULL;
	git_tree *t = NULL;
	struct dc_buf buf = DC_BUF_INIT;
	size_t i, alloc = 0;
	int exists, ret = -1;

	memset(h, 0, sizeof(*h));
	memset(&p, 0, sizeof(p));
	if (git_commit_lookup(&c, r->git, commit) || git_commit_tree(&t, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(commit));
		goto cleanup;
	}
	if (load_rules(&p, r, t, err) || find_genesis(&h->genesis, r, commit, err))
		goto cleanup;
	if (dc_repo_read(&buf, &exists, NULL, r, t, DC_HEAD_PATH, err))
		goto cleanup;
	if (exists) {
		if (head_parse(&p.head, buf.buf, buf.len, err))
			goto cleanup;
		h->has_head = 1;
		h->head_frame = p.head.frame;
	}
	if (dc_repo_list_dir(&p.cur, &p.ncur, &p.deltas_tree, r, t, p.rules.deltas, err) ||
	    dc_archive_load(&p.arch, r, t, err))
		goto cleanup;
	add_archived_entries(&p);
	p.applied_before = dc_xcalloc(p.ncur ? p.ncur : 1, 1);
	p.archived = dc_xcalloc(p.ncur ? p.ncur : 1, 1);
	p.deltas = dc_xcalloc(p.ncur ? p.ncur : 1, sizeof(*p.deltas));
	p.loaded = dc_xcalloc(p.ncur ? p.ncur : 1, sizeof(*p.loaded));
	for (i = 0; i < p.ncur; i++) {
		if (dc_tree_entry_hidden(&p.cur[i]))
			continue;
		if (plan_load(&p, r, i, 0, err))
			goto cleanup;
		if (p.deltas[i].valid) {
			DC_ALLOC_GROW(h->order, h->norder + 1, alloc);
			h->order[h->norder++] = &p.deltas[i];
		}
	}
	SORT(h->order, h->norder, cmp_delta_ptr);
	h->norder = drop_copies(h->order, h->norder, &p, 1);
	/* hand the loaded deltas and the rules over to the history */
	h->deltas = p.deltas;
	h->n = p.ncur;
	p.deltas = NULL;
	for (i = 0; i < h->n; i++)
		if (!p.loaded[i])
			memset(&h->deltas[i], 0, sizeof(h->deltas[i]));
	h->rules = p.rules;
	memset(&p.rules, 0, sizeof(p.rules));
	ret = 0;
cleanup:
	if (!p.deltas) {
		/* the deltas were handed over: the plan keeps only its entries */
		dc_tree_entries_free(p.cur, p.ncur);
		p.cur = NULL;
		p.ncur = 0;
	}
	plan_release(&p);
	if (ret)
		dc_history_release(h);
	dc_buf_release(&buf);
	git_tree_free(t);
	git_commit_free(c);
	return ret;
}

void dc_history_release(struct dc_history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		dc_delta_release(&h->deltas[i]);
	free(h->deltas);
	free(h->order);
	dc_rules_release(&h->rules);
	memset(h, 0, sizeof(*h));
}
