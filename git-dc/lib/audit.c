#include "audit.h"
#include "archive.h"
#include "jdiff.h"
#include "loose.h"
#include "map.h"
#include "merge.h"
#include "trace.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* qsort() of an empty array: its pointer may be NULL, which qsort may not get */
#define SORT(arr, n, cmp) do { if ((n) > 1) qsort((arr), (n), sizeof(*(arr)), (cmp)); } while (0)

/* ---- replaying --------------------------------------------------------- */

static int read_genesis(void *data, const char *path, struct dc_buf *out, int *exists,
			struct dc_err *err)
{
	struct dc_replay *p = data;
	return dc_repo_read(out, exists, NULL, p->r, p->genesis_tree, path, err);
}

static int replay_start(struct dc_replay *p, struct dc_err *err)
{
	size_t n;

	if (dc_state_init(&p->st, p->rules, read_genesis, p, err))
		return -1;
	p->st.track_changes = p->track_changes;
	n = p->st.nfiles ? p->st.nfiles : 1;
	free(p->ever);
	free(p->step);
	free(p->dirty);
	p->ever = dc_xcalloc(n, 1);
	p->step = dc_xcalloc(n, 1);
	p->dirty = dc_xmalloc(n);
	memset(p->dirty, 1, n);
	p->finished = 0;
	p->nseq = 0;
	return 0;
}

int dc_replay_init(struct dc_replay *p, struct dc_repo *r, const struct dc_rules *rules,
		   const git_oid *genesis, struct dc_err *err)
{
	git_commit *c = NULL;

	memset(p, 0, sizeof(*p));
	p->r = r;
	p->rules = rules;
	if (git_commit_lookup(&c, r->git, genesis) || git_commit_tree(&p->genesis_tree, c)) {
		git_commit_free(c);
		return dc_git_err(err, DC_ERR_FATAL, "cannot read the genesis commit %s",
				  git_oid_tostr_s(genesis));
	}
	git_commit_free(c);
	return replay_start(p, err);
}

int dc_replay_reset(struct dc_replay *p, struct dc_err *err)
{
	dc_state_release(&p->st);
	return replay_start(p, err);
}

/* Move the fold's per-file "changed" marks into the step, ever and dirty flags. */
static void collect_changes(struct dc_replay *p)
{
	size_t i;

	for (i = 0; i < p->st.nfiles; i++) {
		p->step[i] = p->st.files[i].changed != 0;
		if (p->step[i]) {
			p->ever[i] = 1;
			p->dirty[i] = 1;
		}
		p->st.files[i].changed = 0;
	}
}

static long file_index(const struct dc_replay *p, const char *path)
{
	size_t lo = 0, hi = p->st.nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(p->st.files[mid].path, path);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Take the counts back out of the state, as an incremental merge does
 * with the record in .dc/head.json, so that more deltas can be folded.
 */
static int reopen(struct dc_replay *p, struct dc_err *err)
{
	struct dc_json *rec = dc_fold_undo_json(&p->st);
	size_t i;
	int ret;

	for (i = 0; i < p->st.nundo; i++) {
		long k = file_index(p, p->st.undo[i].file);
		if (k >= 0)
			p->st.files[k].changed = 1;
	}
	ret = dc_fold_undo(&p->st, rec, err);
	dc_json_free(rec);
	for (i = 0; i < p->st.nundo; i++) {
		free(p->st.undo[i].file);
		free(p->st.undo[i].pointer);
		dc_json_free(p->st.undo[i].was);
	}
	p->st.nundo = 0;
	p->finished = 0;
	return ret;
}

int dc_replay_apply(struct dc_replay *p, const struct dc_delta *d, struct dc_err *err)
{
	if (p->finished && reopen(p, err))
		return -1;
	if (dc_fold_apply(&p->st, d, err))
		return -1;
	collect_changes(p);
	DC_ALLOC_GROW(p->seq, p->nseq + 1, p->alloc_seq);
	p->seq[p->nseq++] = d;
	return 0;
}

int dc_replay_finish(struct dc_replay *p, struct dc_err *err)
{
	if (p->finished && reopen(p, err))
		return -1;
	if (dc_fold_finish(&p->st, err))
		return -1;
	collect_changes(p);
	p->finished = 1;
	return 0;
}

/* The blob id of `len` bytes (loose.h: libcrypto's SHA-1 for big ones). */
static int blob_id(git_oid *oid, const char *buf, size_t len, const char *path,
		   struct dc_err *err)
{
	if (dc_blob_id(oid, buf, len))
		return dc_err_set(err, DC_ERR_FATAL, "cannot hash '%s'", path);
	return 0;
}

/*
 * The projection keeps genesis's bytes for a file the fold never changed,
 * and writes the value of one it changed (PROTOCOL section 7). The bytes
 * go to `out` (may be NULL when only the id is wanted).
 */
static int replay_file(struct dc_buf *out, int *exists, git_oid *oid, struct dc_replay *p,
		       size_t i, struct dc_err *err)
{
	struct dc_state_file *f = &p->st.files[i];
	struct dc_buf tmp = DC_BUF_INIT;
	git_oid ignored;
	int ret;

	if (!oid)
		oid = &ignored;
	*exists = 0;
	if (out)
		dc_buf_reset(out);
	if (!p->ever[i]) {
		*exists = dc_repo_tree_oid(oid, p->genesis_tree, f->path);
		if (*exists && out && dc_repo_read(out, exists, NULL, p->r, p->genesis_tree, f->path,
						    err))
			return -1;
		return 0;
	}
	if (!f->doc)
		return 0;
	if (!out) {
		out = &tmp;
		dc_buf_reset(out);
	}
	dc_json_write(out, f->doc);
	ret = blob_id(oid, out->buf, out->len, f->path, err);
	*exists = !ret;
	dc_buf_release(&tmp);
	return ret;
}

int dc_replay_file(struct dc_buf *out, int *exists, git_oid *oid, struct dc_replay *p,
		   const char *path, struct dc_err *err)
{
	long i = file_index(p, path);

	if (i < 0)
		return dc_rules_not_canonical(err, p->rules, path);
	return replay_file(out, exists, oid, p, (size_t)i, err);
}

int dc_replay_outputs(struct dc_replay *p, const char *path, dc_replay_out_fn fn, void *data,
		      struct dc_err *err)
{
	struct dc_buf bytes = DC_BUF_INIT, seg = DC_BUF_INIT;
	struct dc_state_file *f;
	long i = file_index(p, path);
	size_t k, n;
	int exists, ret = -1, emitted = 0;
	git_oid oid;

	if (i < 0)
		return dc_rules_not_canonical(err, p->rules, path);
	f = &p->st.files[i];
	if (!f->segment) {
		if (replay_file(&bytes, &exists, &oid, p, (size_t)i, err) ||
		    fn(data, path, exists ? &bytes : NULL, &oid, err))
			goto cleanup;
		ret = 0;
		goto cleanup;
	}
	if (!p->ever[i]) {
		/* genesis's own files: the plain one, then segments up to a gap */
		for (k = 0;; k++) {
			const char *at = path;
			if (k) {
				dc_buf_reset(&seg);
				dc_rules_segment_path(&seg, path, k - 1);
				at = seg.buf;
			}
			if (!dc_repo_tree_oid(&oid, p->genesis_tree, at)) {
				if (k)
					break;
				continue;
			}
			if (dc_repo_read(&bytes, &exists, NULL, p->r, p->genesis_tree, at, err) ||
			    fn(data, at, &bytes, &oid, err))
				goto cleanup;
			emitted = 1;
		}
	} else if (f->doc) {
		n = dc_state_chunks(f);
		for (k = 0; k < n; k++) {
			dc_buf_reset(&seg);
			dc_rules_segment_path(&seg, path, k);
			dc_buf_reset(&bytes);
			dc_state_chunk_write(&bytes, f, k);
			if (blob_id(&oid, bytes.buf, bytes.len, seg.buf, err) ||
			    fn(data, seg.buf, &bytes, &oid, err))
				goto cleanup;
			emitted = 1;
		}
	}
	if (!emitted && fn(data, path, NULL, &oid, err))
		goto cleanup;
	ret = 0;
cleanup:
	dc_buf_release(&bytes);
	dc_buf_release(&seg);
	return ret;
}

int dc_replay_doc(struct dc_json **doc, struct dc_replay *p, const char *path, struct dc_err *err)
{
	struct dc_state_file *f = dc_state_file(&p->st, path, err);

	*doc = NULL;
	if (!f)
		return -1;
	*doc = f->doc;
	return 0;
}

void dc_replay_release(struct dc_replay *p)
{
	dc_state_release(&p->st);
	git_tree_free(p->genesis_tree);
	free(p->seq);
	free(p->ever);
	free(p->step);
	free(p->dirty);
	memset(p, 0, sizeof(*p));
}

int dc_replay_to(struct dc_replay *p, struct dc_repo *r, const struct dc_history *h,
		 uint64_t frame,
		 void (*progress)(void *data, const char *title, size_t done, size_t total),
		 void *progress_data, struct dc_err *err)
{
	size_t i, n;

	if (dc_replay_init(p, r, &h->rules, &h->genesis, err))
		return -1;
	for (n = 0; n < h->norder && h->order[n]->frame <= frame; n++)
		;
	for (i = 0; i < n; i++) {
		if (progress)
			progress(progress_data, "Replaying deltas", i + 1, n);
		if (dc_replay_apply(p, h->order[i], err))
			return -1;
	}
	return dc_replay_finish(p, err);
}

/* ---- who wrote a value ------------------------------------------------- */

/*
 * ADDED watches are grouped by the container their value appears in: new
 * elements and entities always go last (PROTOCOL section 5) and nothing is
 * removed, so after a step only the children past the ones seen before can
 * be new, and a watch waiting for one of them needs no look of its own:
 * a diff over many frames watches tens of thousands of new elements.
 */
struct dc_watch_group {
	size_t file_index;
	char *parent;		/* pointer of the container */
	size_t seen;		/* children it had after the last step */
	struct dc_map children;	/* child token -> watch index */
};

void dc_watches_add(struct dc_watches *ws, const char *file, const char *pointer,
		    enum dc_watch_mode mode)
{
	struct dc_watch *w;

	DC_ALLOC_GROW(ws->v, ws->n + 1, ws->alloc);
	w = &ws->v[ws->n++];
	memset(w, 0, sizeof(*w));
	w->file = dc_xstrdup(file);
	w->pointer = dc_xstrdup(pointer);
	w->mode = mode;
}

void dc_watches_release(struct dc_watches *ws)
{
	size_t i, k;

	for (i = 0; i < ws->n; i++) {
		for (k = 0; k < ws->v[i].n; k++)
			dc_json_free(ws->v[i].w[k].value);
		free(ws->v[i].w);
		free(ws->v[i].file);
		free(ws->v[i].pointer);
	}
	free(ws->v);
	for (i = 0; i < ws->ngroups; i++) {
		free(ws->groups[i].parent);
		dc_map_release(&ws->groups[i].children);
	}
	free(ws->groups);
	memset(ws, 0, sizeof(*ws));
}

static struct dc_json *value_at(struct dc_replay *p, size_t file, const char *pointer)
{
	struct dc_json *doc = p->st.files[file].doc;
	return doc ? dc_json_pointer(doc, pointer, 0, DC_JSON_NULL, NULL) : NULL;
}

static void record(struct dc_watch *w, const struct dc_delta *by, int by_count,
		   const struct dc_json *v)
{
	struct dc_write *x;

	if (w->mode == DC_WATCH_LAST && w->n == 2) {
		dc_json_free(w->w[1].value);
		w->n = 1;
	}
	DC_ALLOC_GROW(w->w, w->n + 1, w->alloc);
	x = &w->w[w->n++];
	x->by = by;
	x->by_count = by_count;
	x->value = v ? dc_json_clone(v) : NULL;
	w->now = x->value;
	if (w->mode == DC_WATCH_ADDED && w->n > 1) {
		if (w->in_fixed || !v || v->type == DC_JSON_OBJECT || v->type == DC_JSON_ARRAY)
			w->settled = 1;
		else
			w->mode = DC_WATCH_LAST;	/* follow the scalar's later writes */
	}
}

/* Is `at` of `file` the target of an `append` or `add` section? */
static int fixed_target(const struct dc_rules *rules, const char *file, const char *at)
{
	size_t i;

	for (i = 0; i < rules->nsections; i++) {
		const struct dc_section *s = &rules->sections[i];
		if ((s->op == DC_OP_APPEND || s->op == DC_OP_ADD) && !strcmp(s->file, file) &&
		    !strcmp(s->at, at))
			return 1;
	}
	return 0;
}

/* Split "/a/b~1c/3" into the parent "/a/b~1c" and the unescaped token "3". */
static void split_pointer(const char *ptr, struct dc_buf *parent, struct dc_buf *tok)
{
	const char *last = strrchr(ptr, '/'), *s;

	dc_buf_reset(parent);
	dc_buf_reset(tok);
	dc_buf_add(parent, ptr, (size_t)(last - ptr));
	for (s = last + 1; *s; s++) {
		if (*s == '~')
			dc_buf_addch(tok, *++s == '0' ? '~' : '/');
		else
			dc_buf_addch(tok, *s);
	}
}

static size_t child_count(const struct dc_json *c)
{
	if (!c)
		return 0;
	if (c->type == DC_JSON_ARRAY)
		return c->u.arr.n;
	if (c->type == DC_JSON_OBJECT)
		return c->u.obj.n;
	return 0;
}

int dc_watches_begin(struct dc_watches *ws, struct dc_replay *p, struct dc_err *err)
{
	struct dc_buf parent = DC_BUF_INIT, tok = DC_BUF_INIT;
	size_t i, g;
	int ret = -1;

	for (i = 0; i < ws->n; i++) {
		struct dc_watch *w = &ws->v[i];
		struct dc_json *v;
		long fi = file_index(p, w->file);

		if (fi < 0) {
			dc_rules_not_canonical(err, p->rules, w->file);
			goto cleanup;
		}
		if (!dc_state_file(&p->st, w->file, err))
			goto cleanup;
		w->file_index = (size_t)fi;
		v = value_at(p, w->file_index, w->pointer);
		record(w, NULL, 0, v);
		if (w->mode != DC_WATCH_ADDED || !*w->pointer || v) {
			w->settled = w->mode == DC_WATCH_ADDED && v;
			continue;
		}
		split_pointer(w->pointer, &parent, &tok);
		w->in_fixed = fixed_target(p->rules, w->file, parent.buf);
		for (g = 0; g < ws->ngroups; g++)
			if (ws->groups[g].file_index == w->file_index &&
			    !strcmp(ws->groups[g].parent, parent.buf))
				break;
		if (g == ws->ngroups) {
			struct dc_watch_group *x;
			ws->groups = dc_xreallocarray(ws->groups, ws->ngroups + 1,
						      sizeof(*ws->groups));
			x = &ws->groups[ws->ngroups++];
			memset(x, 0, sizeof(*x));
			x->file_index = w->file_index;
			x->parent = dc_xstrdup(parent.buf);
			x->seen = child_count(value_at(p, w->file_index, parent.buf));
		}
		dc_map_put(&ws->groups[g].children, tok.buf, tok.len, i);
	}
	ret = 0;
cleanup:
	dc_buf_release(&parent);
	dc_buf_release(&tok);
	return ret;
}

static void group_step(struct dc_replay *p, struct dc_watches *ws, struct dc_watch_group *g,
		       const struct dc_delta *by, int by_count)
{
	const struct dc_json *c = value_at(p, g->file_index, g->parent);
	size_t n = child_count(c), k, wi;
	char num[32];

	for (k = g->seen; k < n; k++) {
		const struct dc_json *child;
		int found;

		if (c->type == DC_JSON_ARRAY) {
			snprintf(num, sizeof(num), "%zu", k);
			found = dc_map_get(&g->children, num, strlen(num), &wi);
			child = c->u.arr.v[k];
		} else {
			found = dc_map_get(&g->children, c->u.obj.m[k].key, c->u.obj.m[k].keylen,
					   &wi);
			child = c->u.obj.m[k].val;
		}
		if (found && !ws->v[wi].settled)
			record(&ws->v[wi], by, by_count, child);
	}
	g->seen = n;
}

int dc_replay_watched(struct dc_replay *p, struct dc_watches *ws, const struct dc_delta *d,
		      struct dc_err *err)
{
	size_t i;

	if (d ? dc_replay_apply(p, d, err) : dc_replay_finish(p, err))
		return -1;
	for (i = 0; i < ws->ngroups; i++)
		if (p->step[ws->groups[i].file_index])
			group_step(p, ws, &ws->groups[i], d, !d);
	for (i = 0; i < ws->n; i++) {
		struct dc_watch *w = &ws->v[i];
		const struct dc_json *v;

		if (w->settled || !p->step[w->file_index])
			continue;
		if (w->mode == DC_WATCH_ADDED && *w->pointer)
			continue;	/* its group tells */
		v = value_at(p, w->file_index, w->pointer);
		if (v == w->now || (v && w->now && dc_json_equal(v, w->now)))
			continue;
		record(w, d, !d, v);
	}
	return 0;
}

/* ---- writing big canonical files again and again (verify) ------------ */

/*
 * Verify writes every canonical file of every merge commit to hash it,
 * and the big arrays the sections fill are mostly the same from one frame
 * to the next. So the text of each element of a section's target array is
 * kept: an element of an `append` or `add` target never changes once it
 * is there (PROTOCOL section 5: nothing is removed, new elements go last),
 * one of an `upsert` target is written again when it no longer equals the
 * copy kept with its text. The rest of the file is written by
 * dc_json_write() with each such array swapped for a placeholder string,
 * whose text is then replaced by the array's. When anything looks odd
 * (a placeholder not found exactly once) the file is written whole.
 */
struct piece {
	char *s;
	size_t len;
};

struct array_text {
	size_t section;		/* rules section index */
	size_t file;		/* replay file index */
	const char *at;		/* the section's target (lent from the rules) */
	int immutable;		/* append, add */
	const struct dc_json *arr;	/* the array the pieces describe */
	size_t indent;		/* of its elements */
	struct piece *p;
	/* upsert without the fold's record of changes: each element as
	 * written, compared each time */
	struct dc_json **copy;
	size_t cursor;		/* into the fold's record of changes */
	size_t n, alloc;
};

struct writer {
	struct array_text *t;
	size_t n;
	struct dc_buf text, elem;
};

static void array_text_clear(struct array_text *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->p[i].s);
		t->p[i].s = NULL;
		if (t->copy) {
			dc_json_free(t->copy[i]);
			t->copy[i] = NULL;
		}
	}
	t->n = 0;
	t->arr = NULL;
}

static void writer_release(struct writer *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		array_text_clear(&w->t[i]);
		free(w->t[i].p);
		free(w->t[i].copy);
	}
	free(w->t);
	dc_buf_release(&w->text);
	dc_buf_release(&w->elem);
	memset(w, 0, sizeof(*w));
}

/* Forget every text: the replay started again, its values are new. */
static void writer_reset(struct writer *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		array_text_clear(&w->t[i]);
		w->t[i].cursor = 0;	/* a new fold, a new record */
	}
}

static void writer_init(struct writer *w, const struct dc_replay *p)
{
	const struct dc_rules *rules = p->rules;
	size_t i;

	memset(w, 0, sizeof(*w));
	w->t = dc_xcalloc(rules->nsections ? rules->nsections : 1, sizeof(*w->t));
	for (i = 0; i < rules->nsections; i++) {
		const struct dc_section *s = &rules->sections[i];
		long fi;

		if (s->op != DC_OP_APPEND && s->op != DC_OP_ADD && s->op != DC_OP_UPSERT)
			continue;
		if ((fi = file_index(p, s->file)) < 0)
			continue;
		w->t[w->n].section = i;
		w->t[w->n].file = (size_t)fi;
		w->t[w->n].at = s->at;
		w->t[w->n].immutable = s->op != DC_OP_UPSERT;
		w->n++;
	}
}

/* The text of element `e` at `indent`, as dc_json_write() lays it out there. */
static void piece_set(struct piece *pc, struct dc_buf *scratch, const struct dc_json *e,
		      size_t indent)
{
	dc_buf_reset(scratch);
	dc_buf_grow(scratch, indent + 64);
	memset(scratch->buf, ' ', indent);
	dc_buf_setlen(scratch, indent);
	dc_json_write_at(scratch, e, indent);
	free(pc->s);
	pc->s = dc_xmemdupz(scratch->buf, scratch->len);
	pc->len = scratch->len;
}

/* Do `a` and `b` have the same text (types, bytes, member order)? Values
 * equal as JSON (1 and 1.0, members in another order) are not. */
static int same_text(const struct dc_json *a, const struct dc_json *b)
{
	size_t i;

	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case DC_JSON_NUMBER:
	case DC_JSON_STRING:
		return a->u.str.len == b->u.str.len && !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
	case DC_JSON_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return 0;
		for (i = 0; i < a->u.arr.n; i++)
			if (!same_text(a->u.arr.v[i], b->u.arr.v[i]))
				return 0;
		return 1;
	case DC_JSON_OBJECT:
		if (a->u.obj.n != b->u.obj.n)
			return 0;
		for (i = 0; i < a->u.obj.n; i++) {
			const struct dc_json_member *x = &a->u.obj.m[i], *y = &b->u.obj.m[i];
			if (x->keylen != y->keylen || memcmp(x->key, y->key, x->keylen) ||
			    !same_text(x->val, y->val))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

/*
 * `changed`: with the fold's record (tracked), the positions of the
 * elements changed since the last update; without it, every element of an
 * upsert is compared with its copy.
 */
static void array_text_update(struct array_text *t, struct dc_buf *scratch,
			      const struct dc_json *arr, size_t indent, int tracked,
			      const size_t *changed, size_t nchanged)
{
	size_t i, n = arr->u.arr.n;
	int copies = !t->immutable && !tracked;

	if (t->arr != arr || t->indent != indent || t->n > n)
		array_text_clear(t);
	t->arr = arr;
	t->indent = indent;
	for (i = 0; copies && i < t->n; i++) {
		if (same_text(arr->u.arr.v[i], t->copy[i]))
			continue;
		piece_set(&t->p[i], scratch, arr->u.arr.v[i], indent);
		dc_json_free(t->copy[i]);
		t->copy[i] = dc_json_clone(arr->u.arr.v[i]);
	}
	for (i = 0; !t->immutable && tracked && i < nchanged; i++)
		if (changed[i] < t->n)
			piece_set(&t->p[changed[i]], scratch, arr->u.arr.v[changed[i]], indent);
	if (n > t->alloc) {
		size_t old = t->alloc;
		DC_ALLOC_GROW(t->p, n, t->alloc);
		if (copies)
			t->copy = dc_xreallocarray(t->copy, t->alloc, sizeof(*t->copy));
		memset(t->p + old, 0, (t->alloc - old) * sizeof(*t->p));
	}
	for (i = t->n; i < n; i++) {
		piece_set(&t->p[i], scratch, arr->u.arr.v[i], indent);
		if (copies)
			t->copy[i] = dc_json_clone(arr->u.arr.v[i]);
	}
	t->n = n;
}

struct splice {
	struct dc_json **where;	/* the slot holding the array */
	struct dc_json *arr;
	struct array_text *t;
	struct dc_buf tag;	/* the placeholder as written */
	size_t pos, indent;	/* where it is, the indent of its line */
};

static int cmp_splice(const void *a, const void *b)
{
	const struct splice *x = a, *y = b;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Find `tag` in the text exactly once; its position, or -1. */
static long find_once(const struct dc_buf *text, const struct dc_buf *tag)
{
	const char *a = memmem(text->buf, text->len, tag->buf, tag->len), *b;

	if (!a)
		return -1;
	b = memmem(a + 1, text->len - (size_t)(a + 1 - text->buf), tag->buf, tag->len);
	return b ? -1 : (long)(a - text->buf);
}

/*
 * The git blob id of file `i` of the replay, as dc_json_write() would
 * write it: the pieces are hashed where they are, never copied together.
 */
static int writer_blob_id(git_oid *oid, struct writer *w, struct dc_replay *p, size_t i,
			  struct dc_err *err)
{
	struct dc_json **root = &p->st.files[i].doc;
	struct splice *sp = dc_xcalloc(w->n ? w->n : 1, sizeof(*sp));
	struct dc_buf parent = DC_BUF_INIT, tok = DC_BUF_INIT, close = DC_BUF_INIT;
	struct dc_sha1_ctx ctx;
	unsigned char md[GIT_OID_RAWSZ];
	size_t k, e, n = 0, at = 0, total;
	char hdr[32];
	int ok = 1, ret = -1, hn;

	for (k = 0; k < w->n; k++) {
		struct array_text *t = &w->t[k];
		struct dc_json *arr, *par = NULL, *ph;
		char tag[64];
		long m = -1;

		if (t->file != i)
			continue;
		arr = dc_json_pointer(*root, t->at, 0, DC_JSON_NULL, NULL);
		if (!arr || arr->type != DC_JSON_ARRAY || !arr->u.arr.n)
			continue;
		if (*t->at) {
			split_pointer(t->at, &parent, &tok);
			par = dc_json_pointer(*root, parent.buf, 0, DC_JSON_NULL, NULL);
			if (!par || par->type != DC_JSON_OBJECT ||
			    (m = dc_json_find(par, tok.buf, tok.len)) < 0)
				continue;
		}
		snprintf(tag, sizeof(tag), "\001git-dc splice %zu\001", k);
		ph = dc_json_new_string(tag, strlen(tag));
		dc_json_write_string(&sp[n].tag, tag, strlen(tag));
		sp[n].where = par ? &par->u.obj.m[m].val : root;
		sp[n].arr = arr;
		sp[n].t = t;
		*sp[n].where = ph;
		n++;
	}
	dc_buf_reset(&w->text);
	dc_json_write(&w->text, *root);
	for (k = n; k-- > 0;) {
		dc_json_free(*sp[k].where);
		*sp[k].where = sp[k].arr;
	}
	for (k = 0; k < n && ok; k++) {
		long pos = find_once(&w->text, &sp[k].tag);
		size_t line;
		if (pos < 0) {
			ok = 0;
			break;
		}
		sp[k].pos = (size_t)pos;
		for (line = sp[k].pos; line && w->text.buf[line - 1] != '\n'; line--)
			;
		while (line + sp[k].indent < sp[k].pos && w->text.buf[line + sp[k].indent] == ' ')
			sp[k].indent++;
	}
	if (!ok) {
		/* written whole */
		dc_buf_reset(&w->text);
		dc_json_write(&w->text, *root);
		n = 0;
	}
	SORT(sp, n, cmp_splice);

	/* the length first (the blob header holds it), then the bytes */
	total = w->text.len;
	for (k = 0; k < n; k++) {
		struct array_text *t = sp[k].t;
		const size_t *changed = NULL;
		size_t nchanged = 0;

		if (p->st.track_changes)
			nchanged = dc_fold_changed_since(&p->st, t->section, &t->cursor, &changed);
		array_text_update(t, &w->elem, sp[k].arr, sp[k].indent + 2, p->st.track_changes,
				  changed, nchanged);
		total -= sp[k].tag.len;
		total += 1 + t->n + (t->n - 1) + 1 + sp[k].indent + 1;	/* [ \n... , ... \n ] */
		for (e = 0; e < t->n; e++)
			total += t->p[e].len;
	}
	hn = snprintf(hdr, sizeof(hdr), "blob %zu", total);
	dc_sha1_init(&ctx);
	dc_sha1_update(&ctx, hdr, (size_t)hn + 1);
	for (k = 0; k < n; k++) {
		struct array_text *t = sp[k].t;
		dc_buf_reset(&close);
		dc_buf_addch(&close, '\n');
		for (e = 0; e < sp[k].indent; e++)
			dc_buf_addch(&close, ' ');
		dc_buf_addch(&close, ']');
		dc_sha1_update(&ctx, w->text.buf + at, sp[k].pos - at);
		dc_sha1_update(&ctx, "[\n", 2);
		for (e = 0; e < t->n; e++) {
			if (e)
				dc_sha1_update(&ctx, ",\n", 2);
			dc_sha1_update(&ctx, t->p[e].s, t->p[e].len);
		}
		dc_sha1_update(&ctx, close.buf, close.len);
		at = sp[k].pos + sp[k].tag.len;
	}
	dc_sha1_update(&ctx, w->text.buf + at, w->text.len - at);
	dc_sha1_final(md, &ctx);
	git_oid_fromraw(oid, md);
	ret = 0;
	for (k = 0; k < w->n; k++)
		dc_buf_release(&sp[k].tag);
	free(sp);
	dc_buf_release(&parent);
	dc_buf_release(&tok);
	dc_buf_release(&close);
	return ret;
}

/* ---- verifying a history ----------------------------------------------- */

static int cmp_delta_ptr(const void *a, const void *b)
{
	return dc_delta_cmp(*(const struct dc_delta *const *)a, *(const struct dc_delta *const *)b);
}

static int cmp_delta_path(const void *a, const void *b)
{
	return strcmp((*(const struct dc_delta *const *)a)->path,
		      (*(const struct dc_delta *const *)b)->path);
}

/* Keep the first delta of each blob id (the same bytes at two paths are one delta). */
static size_t drop_copies(const struct dc_delta **v, size_t n)
{
	struct dc_map seen = DC_MAP_INIT;
	size_t i, out = 0;

	for (i = 0; i < n; i++)
		if (dc_map_put(&seen, v[i]->oid, strlen(v[i]->oid), 1))
			v[out++] = v[i];
	dc_map_release(&seen);
	return out;
}

/* A listing of a delta directory, kept while neighbouring commits need it. */
struct listing {
	git_oid tree;
	struct dc_tree_entry *e;
	size_t n;
	int used;
};

#define LISTINGS 4

struct verifier {
	struct dc_repo *r;
	struct dc_verify_result *res;
	const struct dc_verify_opts *o;

	int have_rules, rules_bad;
	git_oid rules_oid;
	struct dc_rules rules;
	const char **files;	/* dc_rules_files(): the replay's file order */
	size_t nfiles;

	int have_genesis;
	git_oid genesis;
	int replaying;
	struct dc_replay replay;
	git_oid *expected;	/* per file: the blob the replay gives (exists[i]) */
	int *exists;

	/* every delta loaded, under the current rules, by path and blob */
	struct dc_delta **deltas;
	size_t ndeltas, alloc_deltas;
	struct dc_map cache;

	struct listing lists[LISTINGS];
	size_t next_list;
	struct dc_archive arch;	/* the manifest of the commit being verified */
	/* deltas of archived frames that came after the archive: quarantined
	 * copies of the cached ones, by path and blob */
	struct dc_delta **late;
	size_t nlate, alloc_late;
	struct dc_map late_index;
	const struct dc_delta **fold, **quar;
	size_t alloc_fold, alloc_quar;
	struct writer w;	/* valid while replaying */
};

static void drop_deltas(struct verifier *v)
{
	size_t i;

	for (i = 0; i < v->ndeltas; i++) {
		dc_delta_release(v->deltas[i]);
		free(v->deltas[i]);
	}
	v->ndeltas = 0;
	dc_map_release(&v->cache);
}

static void verifier_release(struct verifier *v)
{
	size_t i;

	drop_deltas(v);
	free(v->deltas);
	for (i = 0; i < v->nlate; i++) {
		dc_delta_release(v->late[i]);
		free(v->late[i]);
	}
	free(v->late);
	dc_map_release(&v->late_index);
	dc_archive_release(&v->arch);
	if (v->replaying)
		dc_replay_release(&v->replay);
	dc_rules_release(&v->rules);
	free(v->files);
	free(v->expected);
	free(v->exists);
	for (i = 0; i < LISTINGS; i++)
		dc_tree_entries_free(v->lists[i].e, v->lists[i].n);
	free(v->fold);
	free(v->quar);
	writer_release(&v->w);
}

/* The blob id file `i` must have in the replay's state (exists[i] = 0: absent). */
static int expected_blob(struct verifier *v, size_t i, struct dc_err *err)
{
	struct dc_replay *p = &v->replay;
	const char *path = p->st.files[i].path;

	v->exists[i] = 0;
	if (!p->ever[i]) {
		v->exists[i] = dc_repo_tree_oid(&v->expected[i], p->genesis_tree, path);
		return 0;
	}
	if (!p->st.files[i].doc)
		return 0;
	if (writer_blob_id(&v->expected[i], &v->w, p, i, err))
		return -1;
	v->exists[i] = 1;
	return 0;
}

/* The delta directory's tree in `tree`: 1 found, 0 absent, -1 not a directory. */
static int dir_oid(git_oid *out, const git_tree *tree, const char *dir)
{
	git_tree_entry *te = NULL;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!git_tree_entry_bypath(&te, tree, dir)) {
		ret = git_tree_entry_type(te) == GIT_OBJECT_TREE ? 1 : -1;
		if (ret > 0)
			git_oid_cpy(out, git_tree_entry_id(te));
	}
	git_tree_entry_free(te);
	return ret;
}

/* The listing of the delta directory tree `id` (a small cache: parents and
 * children come one after the other in the walk). The listing `keep` (may
 * be NULL) is not evicted. */
static int listing(struct listing **out, struct verifier *v, const git_oid *id,
		   const struct listing *keep, struct dc_err *err)
{
	struct listing *l;
	size_t i;

	for (i = 0; i < LISTINGS; i++) {
		if (v->lists[i].used && git_oid_equal(&v->lists[i].tree, id)) {
			*out = &v->lists[i];
			return 0;
		}
	}
	if (&v->lists[v->next_list] == keep)
		v->next_list = (v->next_list + 1) % LISTINGS;
	l = &v->lists[v->next_list];
	v->next_list = (v->next_list + 1) % LISTINGS;
	dc_tree_entries_free(l->e, l->n);
	memset(l, 0, sizeof(*l));
	if (dc_repo_list_tree(&l->e, &l->n, v->r, id, v->rules.deltas, err))
		return -1;
	git_oid_cpy(&l->tree, id);
	l->used = 1;
	*out = l;
	return 0;
}

/* The delta of entry `e`, read and validated once per rules. */
static int cached_delta(const struct dc_delta **out, struct verifier *v,
			const struct dc_tree_entry *e, struct dc_err *err)
{
	struct dc_buf key = DC_BUF_INIT, path = DC_BUF_INIT;
	struct dc_delta *d;
	char oid[41];
	size_t idx;
	int ret = -1;

	dc_buf_adds(&key, e->rel);
	dc_buf_addch(&key, '\0');
	dc_buf_add(&key, e->oid.id, GIT_OID_RAWSZ);
	dc_buf_addch(&key, (char)(e->mode >> 9));
	if (dc_map_get(&v->cache, key.buf, key.len, &idx)) {
		*out = v->deltas[idx];
		ret = 0;
		goto cleanup;
	}
	d = dc_xcalloc(1, sizeof(*d));
	git_oid_tostr(oid, sizeof(oid), &e->oid);
	dc_buf_addf(&path, "%s/%s", v->rules.deltas, e->rel);
	if (!dc_tree_entry_is_blob(e)) {
		struct dc_buf stream = DC_BUF_INIT;
		enum dc_layout lay;
		uint64_t fr;

		d->path = dc_xstrdup(path.buf);
		memcpy(d->oid, oid, sizeof(oid));
		d->reason = dc_xstrdup(dc_tree_entry_kind(e));
		if (!dc_delta_path_parse(&fr, &stream, &lay, e->rel, NULL)) {
			d->frame = fr;
			d->stream = dc_buf_detach(&stream, NULL);
		}
		dc_buf_release(&stream);
	} else if (dc_delta_load_blob(d, v->r, &e->oid, path.buf, e->rel, &v->rules, err)) {
		dc_delta_release(d);
		free(d);
		goto cleanup;
	}
	DC_ALLOC_GROW(v->deltas, v->ndeltas + 1, v->alloc_deltas);
	v->deltas[v->ndeltas] = d;
	dc_map_put(&v->cache, key.buf, key.len, v->ndeltas++);
	*out = d;
	ret = 0;
cleanup:
	dc_buf_release(&key);
	dc_buf_release(&path);
	return ret;
}

/*
 * .dc/head.json as git dc merge writes it (see merge.h and dc-protocol(7)
 * for the members). Where this and the merge disagree, verify only takes
 * longer: a commit that does not match is handed to dc_check_tree().
 */
static void problem_free(struct dc_verify_problem *x)
{
	free(x->path);
	free(x->rule);
	free(x->message);
	free(x->hint);
	free(x->pointer);
	dc_json_free(x->expected);
	dc_json_free(x->actual);
}

void dc_verify_result_release(struct dc_verify_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		problem_free(&res->problems[i]);
	free(res->problems);
	memset(res, 0, sizeof(*res));
}

static struct dc_verify_problem *add_problem(struct dc_verify_result *res, const git_oid *commit,
					     const char *path, const char *rule, const char *message,
					     const char *hint)
{
	struct dc_verify_problem *x;

	DC_ALLOC_GROW(res->problems, res->n + 1, res->alloc);
	x = &res->problems[res->n++];
	memset(x, 0, sizeof(*x));
	git_oid_tostr(x->commit, sizeof(x->commit), commit);
	x->path = dc_xstrdup(path);
	x->rule = dc_xstrdup(rule);
	x->message = dc_xstrdup(message);
	x->hint = hint ? dc_xstrdup(hint) : NULL;
	return x;
}

/* Where what a file holds (blob `actual`, zero: absent) first differs from
 * what it must hold (`expected`; NULL: absent). */
static int detail(struct dc_verify_problem *x, struct dc_repo *r, const struct dc_buf *expected,
		  const git_oid *actual, struct dc_err *err)
{
	struct dc_json *want = NULL, *have = NULL;
	struct dc_jdiff d = DC_JDIFF_INIT;
	git_blob *blob = NULL;
	int ret = -1;

	if (expected && dc_json_parse(&want, expected->buf, expected->len, &dc_canonical_opts,
				      NULL)) {
		ret = 0;	/* the projection of an unparsable genesis file: no detail */
		goto cleanup;
	}
	if (!git_oid_is_zero(actual)) {
		if (git_blob_lookup(&blob, r->git, actual)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", x->path);
			goto cleanup;
		}
		if (dc_json_parse(&have, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
				  &dc_canonical_opts, NULL)) {
			ret = 0;
			goto cleanup;
		}
	}
	dc_jdiff(&d, want, have, 1);
	x->ndiff = d.total;
	x->layout_only = !d.total && want && have;
	if (d.n) {
		x->pointer = dc_xstrdup(d.v[0].pointer);
		x->expected = d.v[0].old ? dc_json_clone(d.v[0].old) : NULL;
		x->actual = d.v[0].new ? dc_json_clone(d.v[0].new) : NULL;
	}
	ret = 0;
cleanup:
	dc_jdiff_release(&d);
	dc_json_free(want);
	dc_json_free(have);
	git_blob_free(blob);
	return ret;
}

/* Does the committed blob `actual` (zero: absent) of canonical file `path`
 * hold what the replay of this commit's deltas gives? */
static int is_replayed(const struct verifier *v, const char *path, const git_oid *actual)
{
	size_t i;

	for (i = 0; i < v->nfiles; i++)
		if (!strcmp(v->files[i], path))
			return v->exists[i] ? git_oid_equal(actual, &v->expected[i]) :
				git_oid_is_zero(actual);
	return 0;
}

/*
 * The verdict of dc_check_tree() on one commit, without `delta-invalid`.
 * With `replayed` (the replay's expected blobs are this commit's), a
 * canonical file dc_check_tree() finds other than the projection onto
 * the parent but equal to the replay of the log is not a problem: the
 * parent is (a commit that puts back what a bad one changed).
 */
static int check_commit(struct verifier *v, const git_oid *id, const git_tree *tree,
			const git_oid *parents, size_t nparents, int replayed, struct dc_err *err)
{
	struct dc_check_result cr = DC_CHECK_RESULT_INIT;
	size_t i;
	int ret = -1;

	if (dc_check_tree(&cr, v->r, tree, parents, nparents, err))
		goto cleanup;
	for (i = 0; i < cr.n; i++) {
		struct dc_check_problem *p = &cr.problems[i];
		struct dc_verify_problem *x;

		if (!strcmp(p->rule, "delta-invalid"))
			continue;
		if (replayed && !strcmp(p->rule, "canonical-edit") &&
		    is_replayed(v, p->path, &p->actual))
			continue;
		x = add_problem(v->res, id, p->path, p->rule, p->message, p->hint);
		if ((!strcmp(p->rule, "canonical-edit") || !strcmp(p->rule, "head-edit")) &&
		    detail(x, v->r, p->has_expected ? &p->expected : NULL, &p->actual, err))
			goto cleanup;
	}
	ret = 0;
cleanup:
	dc_check_result_release(&cr);
	return ret;
}

/* Load the rules of blob `id` (a change of rules starts a new replay). 0 ok,
 * 1 the rules do not load, -1 error. */
static int use_rules(struct verifier *v, const git_oid *id, const git_tree *tree,
		     struct dc_err *err)
{
	struct dc_buf b = DC_BUF_INIT;
	struct dc_err why = DC_ERR_INIT;
	int exists, ret = -1;
	size_t n;

	if (v->have_rules && git_oid_equal(&v->rules_oid, id))
		return v->rules_bad;
	drop_deltas(v);
	if (v->replaying)
		dc_replay_release(&v->replay);
	v->replaying = 0;
	writer_release(&v->w);
	dc_rules_release(&v->rules);
	free(v->files);
	v->files = NULL;
	v->nfiles = 0;
	v->have_rules = 1;
	v->rules_bad = 1;
	git_oid_cpy(&v->rules_oid, id);
	if (dc_repo_read(&b, &exists, NULL, v->r, tree, DC_RULES_PATH, err))
		goto cleanup;
	if (dc_rules_parse(&v->rules, b.buf, b.len, &why)) {
		ret = 1;
		goto cleanup;
	}
	v->rules_bad = 0;
	v->nfiles = dc_rules_files(&v->rules, &v->files);
	n = v->nfiles ? v->nfiles : 1;
	free(v->expected);
	free(v->exists);
	v->expected = dc_xcalloc(n, sizeof(*v->expected));
	v->exists = dc_xcalloc(n, sizeof(*v->exists));
	ret = 0;
cleanup:
	dc_err_release(&why);
	dc_buf_release(&b);
	return ret;
}

/* Is entry `e` of the delta directory listed in the commit's archive? */
static int archived_entry(struct verifier *v, const struct dc_tree_entry *e)
{
	struct dc_buf path = DC_BUF_INIT;
	int has;

	dc_buf_addf(&path, "%s/%s", v->rules.deltas, e->rel);
	has = dc_archive_has(&v->arch, path.buf, &e->oid);
	dc_buf_release(&path);
	return has;
}

/*
 * The delta the commit's archive makes of `d`: itself, or (a valid delta
 * of an archived frame that the manifest does not list) a quarantined
 * copy, made once.
 */
static const struct dc_delta *archive_view(struct verifier *v, const struct dc_delta *d)
{
	struct dc_buf key = DC_BUF_INIT;
	struct dc_delta *q;
	git_oid id;
	size_t idx;

	if (!v->arch.present || !d->valid || d->frame >= v->arch.before ||
	    git_oid_fromstr(&id, d->oid) || dc_archive_has_blob(&v->arch, &id))
		return d;
	dc_buf_addf(&key, "%s%c%s", d->path, '\0', d->oid);
	if (dc_map_get(&v->late_index, key.buf, key.len, &idx)) {
		dc_buf_release(&key);
		return v->late[idx];
	}
	q = dc_xcalloc(1, sizeof(*q));
	q->path = dc_xstrdup(d->path);
	memcpy(q->oid, d->oid, sizeof(q->oid));
	q->frame = d->frame;
	q->stream = d->stream ? dc_xstrdup(d->stream) : NULL;
	q->valid = 1;
	dc_archive_classify(&v->arch, q, &id);
	DC_ALLOC_GROW(v->late, v->nlate + 1, v->alloc_late);
	v->late[v->nlate] = q;
	dc_map_put(&v->late_index, key.buf, key.len, v->nlate++);
	dc_buf_release(&key);
	return q;
}

/* Are the deltas of every parent still in `cur_dir`, with the same bytes? */
static int deltas_kept(int *kept, struct verifier *v, const git_oid *cur_dir,
		       const git_tree *const *ptrees, size_t nparents, struct dc_err *err)
{
	struct listing *cl = NULL, *pl;
	size_t i, k;
	git_oid pdir;

	*kept = 1;
	for (i = 0; i < nparents && *kept; i++) {
		int pe = dir_oid(&pdir, ptrees[i], v->rules.deltas);
		if (pe <= 0 || (cur_dir && git_oid_equal(&pdir, cur_dir)))
			continue;
		if (!cur_dir) {
			*kept = 0;
			break;
		}
		if (listing(&cl, v, cur_dir, NULL, err) || listing(&pl, v, &pdir, cl, err))
			return -1;
		for (k = 0; k < pl->n && *kept; k++) {
			const struct dc_tree_entry *x;
			if (dc_tree_entry_hidden(&pl->e[k]))
				continue;
			x = dc_tree_entries_find(cl->e, cl->n, pl->e[k].rel);
			if (!x && archived_entry(v, &pl->e[k]))
				continue;
			if (!x || !git_oid_equal(&x->oid, &pl->e[k].oid) || x->mode != pl->e[k].mode)
				*kept = 0;
		}
	}
	return 0;
}

struct seg_match {
	const git_tree *tree;
	const char *file;
	int same, plain;
	size_t nseg;
};

static int seg_match_one(void *data, const char *path, const struct dc_buf *bytes,
			 const git_oid *oid, struct dc_err *err)
{
	struct seg_match *m = data;
	git_oid have;
	int e = dc_repo_tree_oid(&have, m->tree, path);

	(void)err;
	if (!bytes)
		return 0;	/* the file is absent: the checks below see to it */
	if (!e || !git_oid_equal(&have, oid))
		m->same = 0;
	if (!strcmp(path, m->file))
		m->plain = 1;
	else
		m->nseg++;
	return 0;
}

/* Do the segment files of `file` in `tree` hold the replay's chunks, and
 * nothing more? (Every chunk is written: slower than the other files.) */
static int segments_match(int *same, struct verifier *v, const git_tree *tree, const char *file,
			  struct dc_err *err)
{
	struct seg_match m;
	git_oid id;

	memset(&m, 0, sizeof(m));
	m.tree = tree;
	m.file = file;
	m.same = 1;
	if (dc_replay_outputs(&v->replay, file, seg_match_one, &m, err))
		return -1;
	/* no segment file past the chunks (after a gap too), no stale plain file */
	if (dc_repo_segment_end(tree, "", file) > m.nseg ||
	    (!m.plain && dc_repo_tree_oid(&id, tree, file)))
		m.same = 0;
	*same = m.same;
	return 0;
}

/*
 * The fast check of a commit whose canonical files or head.json changed:
 * replay its deltas (continuing the replay when they extend what it
 * folded, else from genesis) and compare blob ids. 1: equal; 0: not equal,
 * or not something the replay can tell (no head.json, a corrupt one...).
 */
static int replay_matches(int *match, int *replayed, struct verifier *v, const git_tree *tree,
			  const git_oid *cur_dir, struct dc_err *err)
{
	struct listing *l = NULL;
	struct dc_buf b = DC_BUF_INIT;
	struct dc_err why = DC_ERR_INIT;
	size_t nfold = 0, nquar = 0, i, k;
	uint64_t frame;
	int present, e, ret = -1;
	git_oid have, want;

	*match = 0;
	*replayed = 0;
	if (dc_tree_frame(&frame, &present, v->r, tree, &why) || !present || !v->have_genesis) {
		ret = 0;
		goto cleanup;
	}
	if (cur_dir && listing(&l, v, cur_dir, NULL, err))
		goto cleanup;
	for (i = 0; l && i < l->n; i++) {
		const struct dc_delta *d;
		if (dc_tree_entry_hidden(&l->e[i]))
			continue;
		if (cached_delta(&d, v, &l->e[i], err))
			goto cleanup;
		d = archive_view(v, d);
		if (!d->valid) {
			DC_ALLOC_GROW(v->quar, nquar + 1, v->alloc_quar);
			v->quar[nquar++] = d;
		} else if (d->frame <= frame) {
			DC_ALLOC_GROW(v->fold, nfold + 1, v->alloc_fold);
			v->fold[nfold++] = d;
		}
	}
	/* the archived deltas, read back by blob id */
	for (i = 0; i < v->arch.n; i++) {
		const char *p = v->arch.deltas[i].path;
		size_t dl = strlen(v->rules.deltas);
		struct dc_tree_entry ae;
		const struct dc_delta *d;

		if (strncmp(p, v->rules.deltas, dl) || p[dl] != '/' ||
		    (l && dc_tree_entries_find(l->e, l->n, p + dl + 1)))
			continue;
		ae.rel = (char *)(p + dl + 1);
		git_oid_cpy(&ae.oid, &v->arch.deltas[i].blob);
		ae.mode = GIT_FILEMODE_BLOB;
		if (cached_delta(&d, v, &ae, err))
			goto cleanup;
		if (d->valid && d->frame <= frame) {
			DC_ALLOC_GROW(v->fold, nfold + 1, v->alloc_fold);
			v->fold[nfold++] = d;
		}
	}
	SORT(v->fold, nfold, cmp_delta_ptr);
	nfold = drop_copies(v->fold, nfold);
	SORT(v->quar, nquar, cmp_delta_path);
	dc_trace_phase("verify: list and load deltas");

	if (!v->replaying) {
		if (dc_replay_init(&v->replay, v->r, &v->rules, &v->genesis, err))
			goto cleanup;
		/* the writer re-renders only the elements upserts changed */
		v->replay.track_changes = v->replay.st.track_changes = 1;
		v->replaying = 1;
		writer_init(&v->w, &v->replay);
	}
	for (k = 0; k < v->replay.nseq && k < nfold && v->replay.seq[k] == v->fold[k]; k++)
		;
	if (k < v->replay.nseq) {
		if (dc_replay_reset(&v->replay, err))
			goto cleanup;
		writer_reset(&v->w);
		k = 0;
	}
	for (; k < nfold; k++) {
		if (dc_replay_apply(&v->replay, v->fold[k], err))
			goto cleanup;
		v->res->deltas++;
	}
	if (!v->replay.finished && dc_replay_finish(&v->replay, err))
		goto cleanup;
	dc_trace_phase("verify: fold");

	for (i = 0; i < v->nfiles; i++) {
		if (!v->replay.dirty[i])
			continue;
		if (!v->replay.st.files[i].segment && expected_blob(v, i, err))
			goto cleanup;
		v->replay.dirty[i] = 0;
	}
	*replayed = 1;
	for (i = 0; i < v->nfiles; i++) {
		if (v->replay.st.files[i].segment) {
			int same;
			if (segments_match(&same, v, tree, v->files[i], err))
				goto cleanup;
			if (!same)
				goto done;
			continue;
		}
		e = dc_repo_tree_oid(&have, tree, v->files[i]);
		if (e != v->exists[i] || (e && !git_oid_equal(&have, &v->expected[i])))
			goto done;
	}
	dc_trace_phase("verify: canonical files");
	{
		git_oid zero;
		memset(&zero, 0, sizeof(zero));
		dc_head_write(&b, frame, &v->genesis, &v->rules_oid, cur_dir ? cur_dir : &zero,
			   nfold ? v->fold[nfold - 1] : NULL, nfold, v->quar, nquar,
			   dc_fold_undo_json(&v->replay.st));
	}
	if (blob_id(&want, b.buf, b.len, DC_HEAD_PATH, err))
		goto cleanup;
	*match = dc_repo_tree_oid(&have, tree, DC_HEAD_PATH) && git_oid_equal(&have, &want);
	dc_trace_phase("verify: head.json");
done:
	ret = 0;
cleanup:
	dc_err_release(&why);
	dc_buf_release(&b);
	return ret;
}

/* Does .dc/archive/ in `tree` differ from every parent's? */
static int archive_changed(const git_tree *tree, git_tree *const *ptrees, size_t np)
{
	git_oid a, b;
	int ea = dir_oid(&a, tree, ".dc/archive"), eb;
	size_t i;

	for (i = 0; i < np; i++) {
		eb = dir_oid(&b, ptrees[i], ".dc/archive");
		if (ea == eb && (ea <= 0 || git_oid_equal(&a, &b)))
			return 0;
	}
	return np > 0;
}

/* Do the canonical files or head.json of `tree` differ from `parent`'s? */
/* Does `path` differ between the two trees? */
static int path_differs(const git_tree *tree, const git_tree *parent, const char *path)
{
	git_oid a, b;
	int ea = dc_repo_tree_oid(&a, tree, path), eb = dc_repo_tree_oid(&b, parent, path);

	return ea != eb || (ea && !git_oid_equal(&a, &b));
}

/* Do the canonical files (a segmented one's segment files too) or
 * head.json of `tree` differ from `parent`'s? */
static int state_changed(const struct dc_rules *rules, const char *const *files, size_t nfiles,
			 const git_tree *tree, const git_tree *parent)
{
	struct dc_buf seg = DC_BUF_INIT;
	size_t i, k, end;
	int changed = path_differs(tree, parent, DC_HEAD_PATH);

	for (i = 0; i < nfiles && !changed; i++) {
		changed = path_differs(tree, parent, files[i]);
		if (!dc_rules_segmented(rules, files[i], NULL))
			continue;
		end = dc_repo_segment_end(tree, "", files[i]);
		if (dc_repo_segment_end(parent, "", files[i]) > end)
			end = dc_repo_segment_end(parent, "", files[i]);
		for (k = 0; k < end && !changed; k++) {
			dc_buf_reset(&seg);
			dc_rules_segment_path(&seg, files[i], k);
			changed = path_differs(tree, parent, seg.buf);
		}
	}
	dc_buf_release(&seg);
	return changed;
}

static int verify_commit(struct verifier *v, const git_oid *id, int *started, struct dc_err *err)
{
	git_commit *c = NULL;
	git_tree *tree = NULL, **ptrees = NULL;
	git_oid *parents = NULL, rules, cur_dir, pr;
	size_t np = 0, i;
	int ret = -1, parent_dc = 0, parent_same_rules = 0, r, kept, match, replayed, has_dir;
	int has_rules;

	if (git_commit_lookup(&c, v->r->git, id) || git_commit_tree(&tree, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(id));
		goto cleanup;
	}
	has_rules = dc_repo_tree_oid(&rules, tree, DC_RULES_PATH);
	np = git_commit_parentcount(c);
	parents = dc_xcalloc(np + 1, sizeof(*parents));
	ptrees = dc_xcalloc(np + 1, sizeof(*ptrees));
	for (i = 0; i < np; i++) {
		git_commit *pc = NULL;
		git_oid_cpy(&parents[i], git_commit_parent_id(c, (unsigned int)i));
		if (git_commit_lookup(&pc, v->r->git, &parents[i]) ||
		    git_commit_tree(&ptrees[i], pc)) {
			git_commit_free(pc);
			dc_git_err(err, DC_ERR_FATAL, "cannot read a parent of %s",
				   git_oid_tostr_s(id));
			goto cleanup;
		}
		git_commit_free(pc);
		if (dc_repo_tree_oid(&pr, ptrees[i], DC_RULES_PATH)) {
			parent_dc = 1;
			if (!i && has_rules)
				parent_same_rules = git_oid_equal(&pr, &rules);
		}
	}
	if (!has_rules) {
		/* not a dc commit; one that drops the rules is a problem */
		if (parent_dc && *started) {
			v->res->checked++;
			ret = check_commit(v, id, tree, parents, np, 0, err);
			goto cleanup;
		}
		ret = 0;
		goto cleanup;
	}
	if (!v->have_genesis) {
		/* the first commit holding the rules, oldest first in topological order */
		git_oid_cpy(&v->genesis, id);
		v->have_genesis = 1;
	}
	if (!*started) {
		uint64_t frame;
		int present;
		struct dc_err why = DC_ERR_INIT;
		r = dc_tree_frame(&frame, &present, v->r, tree, &why);
		dc_err_release(&why);
		if (!r && present && frame >= v->o->from)
			*started = 1;
	}
	if (!*started) {
		ret = 0;
		goto cleanup;
	}
	v->res->checked++;
	if (!parent_dc) {
		/* genesis: its canonical files are the base; they must parse */
		ret = check_commit(v, id, tree, parents, np, 0, err);
		goto cleanup;
	}
	if ((r = use_rules(v, &rules, tree, err)) < 0)
		goto cleanup;
	if (r) {
		/* rules that do not load: say so where they came in */
		ret = parent_same_rules ? 0 : check_commit(v, id, tree, parents, np, 0, err);
		goto cleanup;
	}
	if ((has_dir = dir_oid(&cur_dir, tree, v->rules.deltas)) < 0) {
		ret = check_commit(v, id, tree, parents, np, 0, err);
		goto cleanup;
	}
	{
		/* an archive that changed here is checked as 'git dc archive' makes it */
		struct dc_err why = DC_ERR_INIT;
		int bad;

		dc_archive_release(&v->arch);
		bad = dc_archive_load(&v->arch, v->r, tree, &why);
		dc_err_release(&why);
		if (bad || archive_changed(tree, ptrees, np)) {
			ret = check_commit(v, id, tree, parents, np, 0, err);
			goto cleanup;
		}
	}
	if (deltas_kept(&kept, v, has_dir ? &cur_dir : NULL, (const git_tree *const *)ptrees, np,
			err))
		goto cleanup;
	if (!kept) {
		ret = check_commit(v, id, tree, parents, np, 0, err);
		goto cleanup;
	}
	dc_trace_phase("verify: commit and deltas kept");
	if (!state_changed(&v->rules, v->files, v->nfiles, tree, ptrees[0])) {
		ret = 0;
		goto cleanup;
	}
	v->res->compared++;
	if (replay_matches(&match, &replayed, v, tree, has_dir ? &cur_dir : NULL, err))
		goto cleanup;
	if (match) {
		ret = 0;
		goto cleanup;
	}
	v->res->rechecked++;
	ret = check_commit(v, id, tree, parents, np, replayed, err);
cleanup:
	for (i = 0; ptrees && i < np; i++)
		git_tree_free(ptrees[i]);
	free(ptrees);
	free(parents);
	git_tree_free(tree);
	git_commit_free(c);
	return ret;
}

/* One commit's state against a replay of its deltas from genesis. */
static int verify_state(struct dc_verify_result *res, struct dc_repo *r, const git_oid *tip,
			struct dc_err *err)
{
	struct dc_history h = DC_HISTORY_INIT;
	struct dc_replay p = DC_REPLAY_INIT;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	struct dc_buf b = DC_BUF_INIT;
	const struct dc_delta **q = NULL;
	const struct dc_delta *last = NULL;
	size_t i, nq = 0, nfold = 0;
	git_oid have, want, dir, rules;
	const char **files = NULL;
	size_t nfiles;
	int ret = -1, replaying = 0;

	if (dc_history_load(&h, r, tip, err))
		goto cleanup;
	if (git_commit_lookup(&c, r->git, tip) || git_commit_tree(&tree, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(tip));
		goto cleanup;
	}
	res->commits = res->checked = res->compared = 1;
	res->has_frame = h.has_head;
	res->frame = h.head_frame;
	if (dc_replay_init(&p, r, &h.rules, &h.genesis, err))
		goto cleanup;
	replaying = 1;
	for (i = 0; h.has_head && i < h.norder && h.order[i]->frame <= h.head_frame; i++) {
		if (dc_replay_apply(&p, h.order[i], err))
			goto cleanup;
		last = h.order[i];
		nfold++;
	}
	if (h.has_head && dc_replay_finish(&p, err))
		goto cleanup;
	res->deltas = nfold;
	nfiles = dc_rules_files(&h.rules, &files);
	for (i = 0; i <= nfiles; i++) {
		const char *path = i < nfiles ? files[i] : DC_HEAD_PATH;
		struct dc_verify_problem *x;
		int exists, e;

		if (i < nfiles) {
			if (replay_file(&b, &exists, &want, &p, i, err))
				goto cleanup;
		} else {
			size_t k;
			for (k = 0; k < h.n; k++) {
				if (!h.deltas[k].path || h.deltas[k].valid)
					continue;
				q = dc_xreallocarray(q, nq + 1, sizeof(*q));
				q[nq++] = &h.deltas[k];
			}
			SORT(q, nq, cmp_delta_path);
			dc_repo_tree_oid(&rules, tree, DC_RULES_PATH);
			if (dir_oid(&dir, tree, h.rules.deltas) < 0)
				memset(&dir, 0, sizeof(dir));
			dc_buf_reset(&b);
			exists = h.has_head;
			if (exists)
				dc_head_write(&b, h.head_frame, &h.genesis, &rules, &dir, last, nfold, q,
					   nq, dc_fold_undo_json(&p.st));
			if (blob_id(&want, b.buf, b.len, path, err))
				goto cleanup;
		}
		e = dc_repo_tree_oid(&have, tree, path);
		if (e == exists && (!e || git_oid_equal(&have, &want)))
			continue;
		/* `b` still holds what the file must hold */
		if (i < nfiles) {
			struct dc_buf msg = DC_BUF_INIT;
			dc_buf_addf(&msg, "'%s' is not the replay of the log up to frame %llu", path,
				    (unsigned long long)h.head_frame);
			x = add_problem(res, tip, path, "canonical-edit", msg.buf,
					"find the commit that changed it with 'git dc verify'");
			dc_buf_release(&msg);
		} else {
			x = add_problem(res, tip, path, "head-edit",
					"'.dc/head.json' is not what git dc merge writes", NULL);
		}
		if (!e)
			memset(&have, 0, sizeof(have));
		if (detail(x, r, exists ? &b : NULL, &have, err))
			goto cleanup;
	}
	ret = 0;
cleanup:
	free(q);
	free(files);
	dc_buf_release(&b);
	if (replaying)
		dc_replay_release(&p);
	git_tree_free(tree);
	git_commit_free(c);
	dc_history_release(&h);
	return ret;
}

/*
 * --tip: the state the tip holds was written by the newest commit on its
 * first-parent line that changed it (commits after it only add deltas,
 * late ones included); that commit's state against a replay of its deltas.
 */
static int verify_tip(struct dc_verify_result *res, struct dc_repo *r, const git_oid *tip,
		      struct dc_err *err)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_buf b = DC_BUF_INIT;
	git_commit *c = NULL, *pc = NULL;
	git_tree *t = NULL, *pt = NULL;
	const char **files = NULL;
	size_t nfiles = 0;
	git_oid id;
	int exists, ret = -1;

	git_oid_cpy(&id, tip);
	if (git_commit_lookup(&c, r->git, &id) || git_commit_tree(&t, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(&id));
		goto cleanup;
	}
	if (dc_repo_read(&b, &exists, NULL, r, t, DC_RULES_PATH, err))
		goto cleanup;
	if (!exists) {
		dc_err_set(err, DC_ERR_REFUSED, "not a dc repository: '%s' is not in the commit",
			   DC_RULES_PATH);
		dc_err_hint(err, "run 'git dc init' to start one");
		goto cleanup;
	}
	if (dc_rules_parse(&rules, b.buf, b.len, err)) {
		dc_err_prefix(err, "'%s'", DC_RULES_PATH);
		goto cleanup;
	}
	nfiles = dc_rules_files(&rules, &files);
	while (git_commit_parentcount(c)) {
		if (git_commit_parent(&pc, c, 0) || git_commit_tree(&pt, pc)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read a parent of %s",
				   git_oid_tostr_s(&id));
			goto cleanup;
		}
		if (!dc_repo_tree_oid(&(git_oid){{0}}, pt, DC_RULES_PATH) ||
		    state_changed(&rules, files, nfiles, t, pt))
			break;
		git_commit_free(c);
		git_tree_free(t);
		c = pc;
		t = pt;
		pc = NULL;
		pt = NULL;
		git_oid_cpy(&id, git_commit_id(c));
	}
	ret = verify_state(res, r, &id, err);
cleanup:
	free(files);
	dc_rules_release(&rules);
	dc_buf_release(&b);
	git_tree_free(pt);
	git_commit_free(pc);
	git_tree_free(t);
	git_commit_free(c);
	return ret;
}

int dc_verify(struct dc_verify_result *res, struct dc_repo *r, const git_oid *tip,
	      const struct dc_verify_opts *o, struct dc_err *err)
{
	struct verifier v;
	git_revwalk *w = NULL;
	git_oid *ids = NULL, id;
	size_t n = 0, alloc = 0, i;
	int started, present, ret = -1;
	git_commit *c = NULL;
	git_tree *t = NULL;

	memset(res, 0, sizeof(*res));
	if (o->tip_only)
		return verify_tip(res, r, tip, err);
	memset(&v, 0, sizeof(v));
	v.r = r;
	v.res = res;
	v.o = o;
	if (git_revwalk_new(&w, r->git) ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
	    git_revwalk_push(w, tip)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot walk the history");
		goto cleanup;
	}
	while (!git_revwalk_next(&id, w)) {
		DC_ALLOC_GROW(ids, n + 1, alloc);
		git_oid_cpy(&ids[n++], &id);
	}
	res->commits = n;
	started = !o->has_from;
	for (i = 0; i < n; i++) {
		if (o->progress)
			o->progress(o->progress_data, "Verifying commits", i + 1, n);
		if (verify_commit(&v, &ids[i], &started, err))
			goto cleanup;
	}
	if (!v.have_genesis) {
		dc_err_set(err, DC_ERR_REFUSED, "not a dc repository: no commit holds '%s'",
			   DC_RULES_PATH);
		dc_err_hint(err, "run 'git dc init' to start one");
		goto cleanup;
	}
	if (!started) {
		dc_err_set(err, DC_ERR_REFUSED, "no commit records frame %llu or a later one",
			   (unsigned long long)o->from);
		dc_err_hint(err, "'git dc status' shows the merged frame: give --from a frame up to"
			    " it, or leave --from out");
		goto cleanup;
	}
	if (git_commit_lookup(&c, r->git, tip) || git_commit_tree(&t, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(tip));
		goto cleanup;
	}
	if (dc_tree_frame(&res->frame, &present, r, t, err))
		goto cleanup;
	res->has_frame = present;
	ret = 0;
cleanup:
	git_tree_free(t);
	git_commit_free(c);
	git_revwalk_free(w);
	free(ids);
	verifier_release(&v);
	return ret;
}
