#include "fold.h"
#include <stdlib.h>
#include <string.h>

struct dc_fold_target {
	struct dc_state_file *file;
	struct dc_map index;	/* array targets: key -> element position */
	size_t indexed;		/* elements [0, indexed) are in the index */
	struct dc_json *indexed_in;	/* the array the index describes */
};

/* ---- files ------------------------------------------------------------ */

int dc_has_conflict_markers(const char *buf, size_t len)
{
	static const char *const marks[] = { "<<<<<<< ", "=======\n", ">>>>>>> ", "||||||| " };
	size_t i, k;

	for (i = 0; i < len; i++) {
		if (i && buf[i - 1] != '\n')
			continue;
		for (k = 0; k < sizeof(marks) / sizeof(*marks); k++) {
			size_t ml = strlen(marks[k]);
			if (len - i >= ml && !memcmp(buf + i, marks[k], ml))
				return 1;
		}
	}
	return 0;
}

/* Read and parse canonical file `path`: *doc NULL when it is absent. */
static int read_doc(struct dc_state *st, const char *path, struct dc_json **doc,
		    struct dc_err *err)
{
	struct dc_buf raw = DC_BUF_INIT;
	int exists = 0, ret = -1;

	*doc = NULL;
	if (st->read(st->read_data, path, &raw, &exists, err))
		goto cleanup;
	if (exists && dc_json_parse(doc, raw.buf, raw.len, &st->parse_opts, err)) {
		if (dc_has_conflict_markers(raw.buf, raw.len))
			dc_err_set(err, DC_ERR_REFUSED,
				   "canonical file '%s' holds conflict markers", path);
		else
			dc_err_prefix(err, "canonical file '%s' is not valid JSON", path);
		dc_err_hint(err, "canonical files are written only by 'git dc merge'; restore it from"
			    " the last good commit with 'git checkout <commit> -- %s'", path);
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&raw);
	return ret;
}

/* The logical array of a segmented file (see fold.h). */
static int load_segmented(struct dc_state *st, struct dc_state_file *f, struct dc_err *err)
{
	struct dc_buf path = DC_BUF_INIT;
	struct dc_json *part = NULL, *all = NULL;
	const char *p = f->path;
	size_t i, last_len = 0;
	int ret = -1, regular = 1;

	/* the plain file first: written before the rules segmented it */
	if (read_doc(st, f->path, &part, err))
		goto cleanup;
	f->base_plain = part != NULL;
	for (;;) {
		if (part) {
			if (part->type != DC_JSON_ARRAY) {
				dc_err_set(err, DC_ERR_REFUSED, "canonical file '%s' is %s, a"
					   " segmented section needs an array", p,
					   dc_json_describe(part));
				dc_err_hint(err, "canonical files are written only by 'git dc"
					    " merge'; restore it from the last good commit with"
					    " 'git checkout <commit> -- %s'", p);
				goto cleanup;
			}
			last_len = part->u.arr.n;
			if (!all) {
				all = part;
			} else {
				for (i = 0; i < part->u.arr.n; i++)
					dc_json_push(all, part->u.arr.v[i]);
				part->u.arr.n = 0;
				dc_json_free(part);
			}
			part = NULL;
		}
		if (f->base_segments == DC_MAX_SEGMENTS)
			break;	/* every segment number is read */
		dc_buf_reset(&path);
		dc_rules_segment_path(&path, f->path, f->base_segments);
		p = path.buf;
		if (read_doc(st, p, &part, err))
			goto cleanup;
		if (!part)
			break;
		/* every segment file but the last holds exactly `segment` */
		if (f->base_segments && last_len != f->segment)
			regular = 0;
		f->base_segments++;
	}
	if (f->base_plain || (f->base_segments && (!last_len || last_len > f->segment)))
		regular = 0;
	f->base_regular = regular;
	f->doc = all;
	all = NULL;
	f->existed = f->doc != NULL;
	f->loaded = 1;
	ret = 0;
cleanup:
	dc_json_free(part);
	dc_json_free(all);
	dc_buf_release(&path);
	return ret;
}

static int load_file(struct dc_state *st, struct dc_state_file *f, struct dc_err *err)
{
	if (f->loaded)
		return 0;
	if (f->segment)
		return load_segmented(st, f, err);
	if (read_doc(st, f->path, &f->doc, err))
		return -1;
	f->existed = f->doc != NULL;
	f->loaded = 1;
	return 0;
}

/* Element `i` of a segmented file's array was added or changed. */
static void touch(struct dc_state_file *f, size_t i)
{
	size_t k;

	if (!f->segment)
		return;
	k = i / f->segment;
	if (k >= f->ntouched) {
		size_t n = k + 1 > 2 * f->ntouched ? k + 1 : 2 * f->ntouched;
		f->touched = dc_xrealloc(f->touched, n);
		memset(f->touched + f->ntouched, 0, n - f->ntouched);
		f->ntouched = n;
	}
	f->touched[k] = 1;
}

size_t dc_state_chunks(const struct dc_state_file *f)
{
	size_t n = f->doc ? f->doc->u.arr.n : 0;
	return (n + f->segment - 1) / f->segment;
}

int dc_state_chunk_dirty(const struct dc_state_file *f, size_t k)
{
	if (!f->base_regular || k + 1 >= f->base_segments)
		return 1;	/* the last base segment may have grown */
	return k < f->ntouched && f->touched[k];
}

void dc_state_chunk_write(struct dc_buf *out, const struct dc_state_file *f, size_t k)
{
	struct dc_json view = *f->doc;
	size_t from = k * f->segment, n = f->doc->u.arr.n - from;

	/* a view of the chunk's elements: written, never freed */
	view.u.arr.v = f->doc->u.arr.v + from;
	view.u.arr.n = n < f->segment ? n : f->segment;
	view.u.arr.alloc = view.u.arr.n;
	dc_json_write(out, &view);
}

struct dc_state_file *dc_state_file(struct dc_state *st, const char *path, struct dc_err *err)
{
	size_t lo = 0, hi = st->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(st->files[mid].path, path);
		if (!c)
			return load_file(st, &st->files[mid], err) ? NULL : &st->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	dc_err_set(err, DC_ERR_FATAL, "'%s' is not a canonical file of the rules", path);
	return NULL;
}

int dc_state_init(struct dc_state *st, const struct dc_rules *rules,
		  dc_state_read_fn read, void *read_data, struct dc_err *err)
{
	const char **files;
	size_t i;

	(void)err;
	memset(st, 0, sizeof(*st));
	st->rules = rules;
	st->parse_opts = dc_canonical_opts;
	st->read = read;
	st->read_data = read_data;
	st->nfiles = dc_rules_files(rules, &files);
	st->files = dc_xcalloc(st->nfiles, sizeof(*st->files));
	for (i = 0; i < st->nfiles; i++) {
		const struct dc_section *s = dc_rules_segmented(rules, files[i], NULL);
		st->files[i].path = dc_xstrdup(files[i]);
		st->files[i].segment = s ? s->segment : 0;
	}
	free(files);
	st->targets = dc_xcalloc(rules->nsections, sizeof(*st->targets));
	st->stats.applied = dc_xcalloc(rules->nsections, sizeof(size_t));
	st->stats.present = dc_xcalloc(rules->nsections, sizeof(size_t));
	return 0;
}

void dc_state_release(struct dc_state *st)
{
	size_t i;

	for (i = 0; i < st->nfiles; i++) {
		free(st->files[i].path);
		free(st->files[i].touched);
		dc_json_free(st->files[i].doc);
	}
	free(st->files);
	if (st->targets) {
		for (i = 0; i < st->rules->nsections; i++)
			dc_map_release(&st->targets[i].index);
	}
	free(st->targets);
	for (i = 0; i < st->nundo; i++) {
		free(st->undo[i].file);
		free(st->undo[i].pointer);
		dc_json_free(st->undo[i].was);
	}
	free(st->undo);
	for (i = 0; i < st->stats.nquarantined; i++) {
		struct dc_event_note *n = &st->stats.quarantined[i];
		free(n->path);
		free(n->section);
		free(n->reason);
	}
	free(st->stats.quarantined);
	free(st->stats.applied);
	free(st->stats.present);
	memset(st, 0, sizeof(*st));
}

/* ---- targets ---------------------------------------------------------- */

static enum dc_json_type wanted_type(enum dc_op op)
{
	return op == DC_OP_SET ? DC_JSON_OBJECT : DC_JSON_ARRAY;
}

static int type_fits(enum dc_op op, const struct dc_json *c)
{
	switch (op) {
	case DC_OP_SET:
		return c->type == DC_JSON_OBJECT;
	case DC_OP_UPSERT:
		return c->type == DC_JSON_OBJECT || c->type == DC_JSON_ARRAY;
	default:
		return c->type == DC_JSON_ARRAY;
	}
}

/* The hint of a canonical file whose content stops the fold (-1). */
static int state_fault(struct dc_err *err, const char *file)
{
	dc_err_hint(err, "the state is at fault, not a delta: fix '%s' in a commit of its own"
		    " (or the section's \"at\" in .dc/rules.json), then merge again", file);
	return -1;
}

static const char *show_at(const char *at)
{
	return *at ? at : "(the whole file)";
}

/*
 * The container a section writes to. With create == 0, *out is NULL when it
 * does not exist yet; with create == 1 the file and every missing object on
 * the way are created. A container of the wrong type is the state's fault.
 */
static int target(struct dc_state *st, const struct dc_section *s, int create,
		  struct dc_json **out, struct dc_err *err)
{
	struct dc_fold_target *t = &st->targets[s - st->rules->sections];
	struct dc_json *c;

	*out = NULL;
	if (!t->file && !(t->file = dc_state_file(st, s->file, err)))
		return -1;
	if (!t->file->doc) {
		if (!create)
			return 0;
		t->file->doc = dc_json_new(*s->at ? DC_JSON_OBJECT : wanted_type(s->op));
	}
	c = dc_json_pointer(t->file->doc, s->at, create, wanted_type(s->op), NULL);
	if (!c) {
		if (!create)
			return 0;
		dc_err_set(err, DC_ERR_REFUSED,
			   "canonical file '%s': cannot create %s for section '%s':"
			   " a value on its path is not an object",
			   s->file, show_at(s->at), s->name);
		return state_fault(err, s->file);
	}
	if (!type_fits(s->op, c)) {
		dc_err_set(err, DC_ERR_REFUSED,
			   "canonical file '%s': %s is %s, section '%s' (%s) needs %s",
			   s->file, show_at(s->at), dc_json_describe(c), s->name,
			   dc_op_name(s->op),
			   s->op == DC_OP_SET ? "an object" :
			   s->op == DC_OP_UPSERT ? "an array or an object" : "an array");
		return state_fault(err, s->file);
	}
	*out = c;
	return 0;
}

/* ---- keys ------------------------------------------------------------- */

static const struct dc_json *key_member(const struct dc_section *s, const struct dc_json *ev,
					const char *name, const char **used)
{
	size_t i, k;

	for (i = 0; i < s->nnormalize; i++) {
		if (strcmp(s->normalize[i].name, name))
			continue;
		for (k = 0; k < s->normalize[i].nalts; k++) {
			const struct dc_json *v = dc_json_get(ev, s->normalize[i].alts[k]);
			if (v) {
				*used = s->normalize[i].alts[k];
				return v;
			}
		}
		return NULL;
	}
	*used = name;
	return dc_json_get(ev, name);
}

/* `what`: "key member" (or "group member" for a collect's group) */
static void missing_key_reason(struct dc_buf *why, const struct dc_section *s, const char *name,
			       const char *what)
{
	size_t i, k;

	for (i = 0; i < s->nnormalize; i++) {
		if (strcmp(s->normalize[i].name, name))
			continue;
		dc_buf_addf(why, "%s '%s' is missing (none of ", what, name);
		for (k = 0; k < s->normalize[i].nalts; k++)
			dc_buf_addf(why, "%s'%s'", k ? ", " : "", s->normalize[i].alts[k]);
		dc_buf_adds(why, " is present)");
		return;
	}
	dc_buf_addf(why, "%s '%s' is missing", what, name);
}

/*
 * The comparison key of an event or element under the section's key: the
 * keystr of each key member (after normalize), or of the whole value when
 * the section has no key. Returns -1 with the reason in `why` when a key
 * member is missing or the value is not an object.
 */
static int element_key(struct dc_buf *out, const struct dc_section *s, const struct dc_json *ev,
		       struct dc_buf *why)
{
	size_t i;

	dc_buf_reset(out);
	if (!s->nkey) {
		dc_json_keystr(out, ev);
		return 0;
	}
	if (ev->type != DC_JSON_OBJECT) {
		if (why)
			dc_buf_addf(why, "the event is %s, expected an object", dc_json_describe(ev));
		return -1;
	}
	for (i = 0; i < s->nkey; i++) {
		const char *used;
		const struct dc_json *v = key_member(s, ev, s->key[i], &used);
		if (!v) {
			if (why)
				missing_key_reason(why, s, s->key[i], "key member");
			return -1;
		}
		dc_json_keystr(out, v);
		dc_buf_addch(out, '\n');
	}
	return 0;
}

/* Bring the index of an array target up to date with its elements. */
static void index_catch_up(struct dc_fold_target *t, const struct dc_section *s,
			   struct dc_json *arr, struct dc_buf *scratch)
{
	if (t->indexed_in != arr) {
		dc_map_release(&t->index);
		t->indexed = 0;
		t->indexed_in = arr;
	}
	for (; t->indexed < arr->u.arr.n; t->indexed++) {
		/* the first of equal elements wins: later ones are not indexed */
		if (!element_key(scratch, s, arr->u.arr.v[t->indexed], NULL) &&
		    !dc_map_get(&t->index, scratch->buf, scratch->len, NULL))
			dc_map_put(&t->index, scratch->buf, scratch->len, t->indexed);
	}
}

/* ---- applying events -------------------------------------------------- */

static void quarantine_event(struct dc_state *st, const struct dc_delta *d,
			     const struct dc_section *s, size_t i, struct dc_buf *why)
{
	struct dc_fold_stats *x = &st->stats;
	struct dc_event_note *n;

	DC_ALLOC_GROW(x->quarantined, x->nquarantined + 1, x->alloc_quarantined);
	n = &x->quarantined[x->nquarantined++];
	n->path = dc_xstrdup(d->path);
	n->section = dc_xstrdup(s->name);
	n->index = i;
	n->reason = dc_buf_detach(why, NULL);
}

/* Merge `src` into `dst`, both objects: members merge recursively when both
 * sides are objects, anything else is replaced. 1 if `dst` changed. */
static int merge_object(struct dc_json *dst, const struct dc_json *src)
{
	size_t i;
	int changed = 0;

	for (i = 0; i < src->u.obj.n; i++) {
		const struct dc_json_member *m = &src->u.obj.m[i];
		struct dc_json *cur = dc_json_getn(dst, m->key, m->keylen);

		if (cur && cur->type == DC_JSON_OBJECT && m->val->type == DC_JSON_OBJECT) {
			changed |= merge_object(cur, m->val);
		} else if (!cur || !dc_json_equal(cur, m->val)) {
			dc_json_set(dst, m->key, m->keylen, dc_json_clone(m->val));
			changed = 1;
		}
	}
	return changed;
}

/* 1: changed, 0: already present, -1: error, -2: quarantined (why filled) */
static int apply_append(struct dc_state *st, const struct dc_section *s,
			const struct dc_json *ev, struct dc_err *err)
{
	struct dc_json *c;

	if (target(st, s, 1, &c, err))
		return -1;
	dc_json_push(c, dc_json_clone(ev));
	touch(st->targets[s - st->rules->sections].file, c->u.arr.n - 1);
	return 1;
}

static int apply_add(struct dc_state *st, const struct dc_section *s, const struct dc_json *ev,
		     struct dc_buf *key, struct dc_buf *why, struct dc_err *err)
{
	struct dc_fold_target *t = &st->targets[s - st->rules->sections];
	struct dc_buf scratch = DC_BUF_INIT;
	struct dc_json *c;

	if (element_key(key, s, ev, why))
		return -2;
	if (target(st, s, 0, &c, err))
		return -1;
	if (c) {
		index_catch_up(t, s, c, &scratch);
		dc_buf_release(&scratch);
		if (dc_map_get(&t->index, key->buf, key->len, NULL))
			return 0;
	}
	if (target(st, s, 1, &c, err))
		return -1;
	index_catch_up(t, s, c, &scratch);
	dc_buf_release(&scratch);
	dc_map_put(&t->index, key->buf, key->len, c->u.arr.n);
	dc_json_push(c, dc_json_clone(ev));
	t->indexed = c->u.arr.n;
	touch(t->file, c->u.arr.n - 1);
	return 1;
}

static int apply_upsert(struct dc_state *st, const struct dc_section *s, const struct dc_json *ev,
			struct dc_buf *key, struct dc_buf *why, struct dc_err *err)
{
	struct dc_fold_target *t = &st->targets[s - st->rules->sections];
	struct dc_buf scratch = DC_BUF_INIT;
	struct dc_json *c, *cur;
	size_t pos;

	if (element_key(key, s, ev, why))
		return -2;
	if (target(st, s, 0, &c, err))
		return -1;
	if (c && c->type == DC_JSON_OBJECT) {
		/* an entity map: the single key member names the entity */
		const char *used;
		const struct dc_json *id;

		if (s->nkey != 1) {
			dc_buf_addf(why, "%s is an object keyed by id, which needs exactly one"
				    " key member", show_at(s->at));
			return -2;
		}
		id = key_member(s, ev, s->key[0], &used);
		if (id->type != DC_JSON_STRING) {
			dc_buf_addf(why, "key member '%s' is %s, expected a string (the id of an"
				    " entity in an object)", used, dc_json_describe(id));
			return -2;
		}
		cur = dc_json_getn(c, id->u.str.s, id->u.str.len);
		if (cur && cur->type == DC_JSON_OBJECT)
			return merge_object(cur, ev);
		if (cur && dc_json_equal(cur, ev))
			return 0;
		dc_json_set(c, id->u.str.s, id->u.str.len, dc_json_clone(ev));
		return 1;
	}
	if (c) {
		index_catch_up(t, s, c, &scratch);
		dc_buf_release(&scratch);
		if (dc_map_get(&t->index, key->buf, key->len, &pos)) {
			cur = c->u.arr.v[pos];
			if (cur->type == DC_JSON_OBJECT) {
				int changed = merge_object(cur, ev);
				if (changed)
					touch(t->file, pos);
				return changed;
			}
			/* an indexed element always has its key members: an object */
			return dc_err_set(err, DC_ERR_FATAL, "internal error: indexed element is not"
					  " an object");
		}
	}
	if (target(st, s, 1, &c, err))
		return -1;
	index_catch_up(t, s, c, &scratch);
	dc_buf_release(&scratch);
	dc_map_put(&t->index, key->buf, key->len, c->u.arr.n);
	dc_json_push(c, dc_json_clone(ev));
	t->indexed = c->u.arr.n;
	touch(t->file, c->u.arr.n - 1);
	return 1;
}

static const struct dc_json *set_member(const struct dc_json *ev, const char *name, int want_string,
					struct dc_buf *why)
{
	const struct dc_json *v = dc_json_get(ev, name);

	if (!v)
		dc_buf_addf(why, "'%s' is missing", name);
	else if (want_string && v->type != DC_JSON_STRING)
		dc_buf_addf(why, "'%s' is %s, expected a string", name, dc_json_describe(v));
	else
		return v;
	return NULL;
}

static int apply_set(struct dc_state *st, const struct dc_section *s, const struct dc_json *ev,
		     struct dc_buf *why, struct dc_err *err)
{
	const struct dc_json *id, *field, *val;
	struct dc_json *c, *ent, *cur;

	if (ev->type != DC_JSON_OBJECT) {
		dc_buf_addf(why, "the event is %s, expected an object", dc_json_describe(ev));
		return -2;
	}
	if (!(id = set_member(ev, s->set_key, 1, why)) ||
	    !(field = set_member(ev, s->set_field, 1, why)) ||
	    !(val = set_member(ev, s->set_value, 0, why)))
		return -2;
	if (target(st, s, 0, &c, err))
		return -1;
	ent = c ? dc_json_getn(c, id->u.str.s, id->u.str.len) : NULL;
	if (ent && ent->type != DC_JSON_OBJECT) {
		dc_buf_addf(why, "entity ");
		dc_buf_addquoted(why, id->u.str.s, id->u.str.len, 80);
		dc_buf_addf(why, " is %s, expected an object", dc_json_describe(ent));
		return -2;
	}
	if (ent && (cur = dc_json_getn(ent, field->u.str.s, field->u.str.len)) &&
	    dc_json_equal(cur, val))
		return 0;
	if (!ent) {
		if (target(st, s, 1, &c, err))
			return -1;
		ent = dc_json_new(DC_JSON_OBJECT);
		dc_json_set(c, id->u.str.s, id->u.str.len, ent);
	}
	dc_json_set(ent, field->u.str.s, field->u.str.len, dc_json_clone(val));
	return 1;
}

/* ---- collect ---------------------------------------------------------- */

/*
 * A collect (dc-protocol(7) COLLECT) turns the events that match its
 * patterns into items: the event plus its captures. Items gather in groups
 * {<group_by>: value, <items>: [...]}, one item per key, in key order, in
 * the array at file/at; a group holding `target` items moves, whole, to the
 * end of the array at publish. Items of a published group keep arriving
 * there: an item is never dropped because its group is complete.
 */

#define NOT_AN_ITEM (-3)	/* the event does not match: nothing to count */

/* The array of published groups; like target() otherwise. */
static int publish_target(struct dc_state *st, const struct dc_section *s, int create,
			  struct dc_json **out, struct dc_state_file **file, struct dc_err *err)
{
	struct dc_state_file *f = dc_state_file(st, s->publish_file, err);
	struct dc_json *c;

	*out = NULL;
	if (!f)
		return -1;
	*file = f;
	if (!f->doc) {
		if (!create)
			return 0;
		f->doc = dc_json_new(*s->publish_at ? DC_JSON_OBJECT : DC_JSON_ARRAY);
	}
	c = dc_json_pointer(f->doc, s->publish_at, create, DC_JSON_ARRAY, NULL);
	if (!c) {
		if (!create)
			return 0;
		dc_err_set(err, DC_ERR_REFUSED,
			   "canonical file '%s': cannot create %s for the groups section '%s'"
			   " publishes: a value on its path is not an object",
			   s->publish_file, show_at(s->publish_at), s->name);
		return state_fault(err, s->publish_file);
	}
	if (c->type != DC_JSON_ARRAY)
		return dc_err_set(err, DC_ERR_REFUSED,
				  "canonical file '%s': %s is %s, section '%s' (collect) publishes"
				  " into an array", s->publish_file, show_at(s->publish_at),
				  dc_json_describe(c), s->name);
	*out = c;
	return 0;
}

/* A capture of ASCII digits is a number (leading zeros dropped), any other
 * a string. */
static struct dc_json *capture_value(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return dc_json_new_string(p, len);
	while (len > 1 && *p == '0')
		p++, len--;
	return dc_json_new_number(p, len);
}

/*
 * Match `str` against the pattern `m`: literals match exactly; a capture
 * takes at least one byte, up to the first occurrence of the literal that
 * follows it (up to the end of the text when that literal ends the
 * pattern, or when the capture does). On a match the captures are set on
 * `item` and 1 is returned; 0 leaves `item` alone.
 */
static int match_pattern(const struct dc_match *m, const char *str, size_t len,
			 struct dc_json *item)
{
	size_t *start = dc_xcalloc(m->nparts, sizeof(*start));
	size_t *end = dc_xcalloc(m->nparts, sizeof(*end));
	size_t i, pos = 0;
	int ret = 0;

	for (i = 0; i < m->nparts; i++) {
		const struct dc_match_part *p = &m->parts[i], *lit;
		const char *found;

		if (!p->capture) {
			if (len - pos < p->len || memcmp(str + pos, p->text, p->len))
				goto cleanup;
			pos += p->len;
			continue;
		}
		start[i] = pos;
		if (i + 1 == m->nparts) {
			end[i] = len;
		} else if (lit = &m->parts[i + 1], i + 2 == m->nparts) {
			if (len - pos < lit->len + 1 ||
			    memcmp(str + len - lit->len, lit->text, lit->len))
				goto cleanup;
			end[i] = len - lit->len;
		} else {
			if (len - pos < lit->len + 1)
				goto cleanup;
			found = memmem(str + pos + 1, len - pos - 1, lit->text, lit->len);
			if (!found)
				goto cleanup;
			end[i] = (size_t)(found - str);
		}
		if (end[i] <= pos)
			goto cleanup;
		pos = end[i];
	}
	if (pos != len)
		goto cleanup;
	for (i = 0; i < m->nparts; i++)
		if (m->parts[i].capture)
			dc_json_set(item, m->parts[i].text, m->parts[i].len,
				    capture_value(str + start[i], end[i] - start[i]));
	ret = 1;
cleanup:
	free(start);
	free(end);
	return ret;
}

/* Position of the group whose `group_by` member equals `g` in `arr`, or -1. */
static long find_group(const struct dc_section *s, const struct dc_json *arr,
		       const struct dc_json *g)
{
	size_t i;

	for (i = 0; arr && i < arr->u.arr.n; i++) {
		const struct dc_json *e = arr->u.arr.v[i];
		const struct dc_json *v = e->type == DC_JSON_OBJECT ? dc_json_get(e, s->group_by) : NULL;

		if (v && dc_json_equal(v, g))
			return (long)i;
	}
	return -1;
}

/* The order of items in a group: integer keys by value, first; other keys
 * by their comparison key, bytewise. */
static int key_cmp(const struct dc_json *a, const struct dc_json *b)
{
	struct dc_buf ka = DC_BUF_INIT, kb = DC_BUF_INIT;
	int64_t ia, ib;
	int inta = dc_json_get_int(a, &ia), intb = dc_json_get_int(b, &ib), c;
	size_t n;

	if (inta && intb)
		return ia < ib ? -1 : ia > ib;
	if (inta != intb)
		return inta ? -1 : 1;
	dc_json_keystr(&ka, a);
	dc_json_keystr(&kb, b);
	n = ka.len < kb.len ? ka.len : kb.len;
	c = memcmp(ka.buf, kb.buf, n);
	if (!c)
		c = ka.len < kb.len ? -1 : ka.len > kb.len;
	dc_buf_release(&ka);
	dc_buf_release(&kb);
	return c;
}

/*
 * Put `item` (consumed), whose key is `key`, into the items of a group:
 * an item with an equal key is replaced (last write wins), a new one goes
 * before the first item with a greater key. 1 if the items changed.
 */
static int group_put(const struct dc_section *s, struct dc_json *items, struct dc_json *item,
		     const struct dc_json *key)
{
	struct dc_json **v;
	size_t i, at = items->u.arr.n;
	const char *used;

	for (i = 0; i < items->u.arr.n; i++) {
		const struct dc_json *it = items->u.arr.v[i];
		const struct dc_json *k = it->type == DC_JSON_OBJECT ?
			key_member(s, it, s->key[0], &used) : NULL;

		if (!k)
			continue;
		if (dc_json_equal(k, key)) {
			if (dc_json_equal(it, item)) {
				dc_json_free(item);
				return 0;
			}
			dc_json_free(items->u.arr.v[i]);
			items->u.arr.v[i] = item;
			return 1;
		}
		if (at == items->u.arr.n && key_cmp(key, k) < 0)
			at = i;
	}
	dc_json_push(items, item);
	v = items->u.arr.v;
	memmove(&v[at + 1], &v[at], (items->u.arr.n - 1 - at) * sizeof(*v));
	v[at] = item;
	return 1;
}

/* The items array of a group; created when the group has none. */
static struct dc_json *group_items(const struct dc_section *s, struct dc_state_file *f,
				   struct dc_json *group, struct dc_err *err)
{
	struct dc_json *items = dc_json_get(group, s->collect_items);

	if (!items) {
		items = dc_json_new(DC_JSON_ARRAY);
		dc_json_set(group, s->collect_items, strlen(s->collect_items), items);
	}
	if (items->type != DC_JSON_ARRAY) {
		dc_err_set(err, DC_ERR_REFUSED, "canonical file '%s': the '%s' of a group of"
			   " section '%s' is %s, expected an array", f->path, s->collect_items,
			   s->name, dc_json_describe(items));
		return NULL;
	}
	return items;
}

/* 1: changed, 0: already there, -1: error, -2: quarantined (why filled),
 * NOT_AN_ITEM: the event does not match the patterns */
static int apply_collect(struct dc_state *st, const struct dc_section *s, const struct dc_json *ev,
			 struct dc_buf *why, struct dc_err *err)
{
	struct dc_fold_target *t = &st->targets[s - st->rules->sections];
	struct dc_json *item, *prog, *pub = NULL, *group, *items;
	struct dc_state_file *pubf = NULL;
	const struct dc_json *g, *k;
	const char *used;
	long gi;
	size_t i;
	int ret = -1, r;

	if (ev->type != DC_JSON_OBJECT)
		return NOT_AN_ITEM;
	item = dc_json_clone(ev);
	for (i = 0; i < s->nmatch; i++) {
		const struct dc_json *v = dc_json_get(ev, s->match[i].member);

		if (!v || v->type != DC_JSON_STRING ||
		    !match_pattern(&s->match[i], v->u.str.s, v->u.str.len, item)) {
			ret = NOT_AN_ITEM;
			goto cleanup;
		}
	}
	if (!(g = key_member(s, item, s->group_by, &used))) {
		missing_key_reason(why, s, s->group_by, "group member");
		ret = -2;
		goto cleanup;
	}
	if (!(k = key_member(s, item, s->key[0], &used))) {
		missing_key_reason(why, s, s->key[0], "key member");
		ret = -2;
		goto cleanup;
	}
	if (target(st, s, 0, &prog, err) || publish_target(st, s, 0, &pub, &pubf, err))
		goto cleanup;

	if ((gi = find_group(s, pub, g)) >= 0) {
		/* a published group: its items still arrive, in place */
		if (!(items = group_items(s, pubf, pub->u.arr.v[gi], err)))
			goto cleanup;
		r = group_put(s, items, item, k);
		item = NULL;
		if (r)
			pubf->changed = 1;
		ret = r;
		goto cleanup;
	}
	if ((gi = find_group(s, prog, g)) >= 0) {
		group = prog->u.arr.v[gi];
		if (!(items = group_items(s, t->file, group, err)))
			goto cleanup;
		r = group_put(s, items, item, k);
		item = NULL;
		if (!r) {
			ret = 0;
			goto cleanup;
		}
		t->file->changed = 1;
		if (items->u.arr.n >= s->collect_target) {
			group = dc_json_clone(group);
			dc_json_array_remove(prog, (size_t)gi);
			if (publish_target(st, s, 1, &pub, &pubf, err)) {
				dc_json_free(group);
				goto cleanup;
			}
			dc_json_push(pub, group);
			pubf->changed = 1;
		}
		ret = 1;
		goto cleanup;
	}

	/* a new group */
	if (s->collect_target <= 1 ? publish_target(st, s, 1, &pub, &pubf, err) :
	    target(st, s, 1, &prog, err))
		goto cleanup;
	group = dc_json_new(DC_JSON_OBJECT);
	dc_json_set(group, s->group_by, strlen(s->group_by), dc_json_clone(g));
	items = dc_json_new(DC_JSON_ARRAY);
	dc_json_push(items, item);
	item = NULL;
	dc_json_set(group, s->collect_items, strlen(s->collect_items), items);
	if (s->collect_target <= 1) {
		dc_json_push(pub, group);
		pubf->changed = 1;
	} else {
		dc_json_push(prog, group);
		t->file->changed = 1;
	}
	ret = 1;
cleanup:
	dc_json_free(item);
	return ret;
}

/* Count event `i` of section `s` of delta `d`, which gave `r`. */
static void note_event(struct dc_state *st, const struct dc_delta *d, const struct dc_section *s,
		       size_t i, int r, struct dc_buf *why)
{
	size_t si = s - st->rules->sections;

	if (st->replaying || r == NOT_AN_ITEM)
		return;
	if (r == -2)
		quarantine_event(st, d, s, i, why);
	else if (r == 1)
		st->stats.applied[si]++;
	else
		st->stats.present[si]++;
}

/* Hand event `i` of section `from`, which that section accepted, to every
 * collect that reads `from`. */
static int collect_from(struct dc_state *st, const struct dc_delta *d,
			const struct dc_section *from, const struct dc_json *ev, size_t i,
			struct dc_buf *why, struct dc_err *err)
{
	size_t k;

	for (k = 0; k < st->rules->nsections; k++) {
		const struct dc_section *c = &st->rules->sections[k];
		int r;

		if (c->op != DC_OP_COLLECT || !c->collect_from || strcmp(c->collect_from, from->name))
			continue;
		dc_buf_reset(why);
		if ((r = apply_collect(st, c, ev, why, err)) == -1)
			return -1;
		note_event(st, d, c, i, r, why);
	}
	return 0;
}

int dc_fold_apply(struct dc_state *st, const struct dc_delta *d, struct dc_err *err)
{
	struct dc_buf key = DC_BUF_INIT, why = DC_BUF_INIT;
	size_t m, i;
	int ret = -1;

	if (!d->valid || !d->doc)
		return dc_err_set(err, DC_ERR_FATAL, "internal error: folding quarantined delta '%s'",
				  d->path);
	for (m = 0; m < d->doc->u.obj.n; m++) {
		const struct dc_json_member *mem = &d->doc->u.obj.m[m];
		const struct dc_section *s = dc_rules_section(st->rules, mem->key);
		struct dc_json *const *events;
		size_t n, si;

		if (!s || s->op == DC_OP_IGNORE || strlen(mem->key) != mem->keylen)
			continue;
		/* a collect reading another section's events has none of its own */
		if (s->op == DC_OP_COLLECT && s->collect_from)
			continue;
		if (dc_delta_events(d, s->name, &events, &n))
			continue;
		si = s - st->rules->sections;
		for (i = 0; i < n; i++) {
			int r;

			dc_buf_reset(&why);
			switch (s->op) {
			case DC_OP_APPEND:
				r = apply_append(st, s, events[i], err);
				break;
			case DC_OP_ADD:
				r = apply_add(st, s, events[i], &key, &why, err);
				break;
			case DC_OP_UPSERT:
				r = apply_upsert(st, s, events[i], &key, &why, err);
				break;
			case DC_OP_SET:
				r = apply_set(st, s, events[i], &why, err);
				break;
			case DC_OP_COLLECT:
				r = apply_collect(st, s, events[i], &why, err);
				break;
			default:
				r = dc_err_set(err, DC_ERR_FATAL, "rules: section '%s': op '%s' cannot"
					       " be folded", s->name, dc_op_name(s->op));
			}
			if (r == -1) {
				dc_err_prefix(err, "delta '%s'", d->path);
				goto cleanup;
			}
			/* a collect marks the files it changed itself */
			if (r == 1 && s->op != DC_OP_COLLECT)
				st->targets[si].file->changed = 1;
			note_event(st, d, s, i, r, &why);
			if (r >= 0 && s->op != DC_OP_COLLECT &&
			    collect_from(st, d, s, events[i], i, &why, err)) {
				dc_err_prefix(err, "delta '%s'", d->path);
				goto cleanup;
			}
		}
	}
	ret = 0;
cleanup:
	dc_buf_release(&key);
	dc_buf_release(&why);
	return ret;
}

/* ---- derived counts --------------------------------------------------- */

/*
 * Counts run after the fold and may write into containers events also
 * write (posts per agent into the agents map). So that merging frame by
 * frame gives the bytes of one fold from genesis, every change a count
 * makes is recorded (struct dc_undo) and the next incremental merge undoes
 * them before folding: it then starts from the exact pre-count state.
 */

static void undo_add(struct dc_state *st, const char *file, const char *ptr,
		     const struct dc_json *was)
{
	struct dc_undo *u;

	DC_ALLOC_GROW(st->undo, st->nundo + 1, st->alloc_undo);
	u = &st->undo[st->nundo++];
	u->file = dc_xstrdup(file);
	u->pointer = ptr ? dc_xstrdup(ptr) : NULL;
	u->was = was ? dc_json_clone(was) : NULL;
}

/* The object at `at`, creating (and recording) the file and every missing
 * object on the way. NULL + err if a value on the way is not an object. */
static struct dc_json *ensure_object(struct dc_state *st, struct dc_state_file *f,
				     const char *at, struct dc_err *err)
{
	struct dc_buf ptr = DC_BUF_INIT, tok = DC_BUF_INIT;
	struct dc_json *o;
	const char *p = at;

	if (!f->doc) {
		undo_add(st, f->path, NULL, NULL);
		f->doc = dc_json_new(DC_JSON_OBJECT);
	}
	o = f->doc;
	while (o && o->type == DC_JSON_OBJECT && *p == '/') {
		const char *end = strchr(p + 1, '/');
		struct dc_json *next;
		size_t len = end ? (size_t)(end - p) : strlen(p);

		dc_buf_add(&ptr, p, len);
		dc_buf_reset(&tok);
		{
			struct dc_buf parent = DC_BUF_INIT;
			dc_json_pointer_split(ptr.buf, &parent, &tok);
			dc_buf_release(&parent);
		}
		next = dc_json_getn(o, tok.buf, tok.len);
		if (!next) {
			undo_add(st, f->path, ptr.buf, NULL);
			next = dc_json_new(DC_JSON_OBJECT);
			dc_json_set(o, tok.buf, tok.len, next);
		}
		o = next;
		p += len;
	}
	dc_buf_release(&ptr);
	dc_buf_release(&tok);
	if (!o || o->type != DC_JSON_OBJECT) {
		dc_err_set(err, DC_ERR_REFUSED, "canonical file '%s': cannot write %s: a value on its"
			   " path is not an object", f->path, show_at(at));
		state_fault(err, f->path);
		return NULL;
	}
	return o;
}

/* parent[key] = val (consumed), recorded; 1 if it changed. */
static int put_member(struct dc_state *st, struct dc_state_file *f, struct dc_json *parent,
		      const char *parent_ptr, const char *key, size_t keylen, struct dc_json *val)
{
	struct dc_json *cur = dc_json_getn(parent, key, keylen);
	struct dc_buf ptr = DC_BUF_INIT;

	if (cur && dc_json_equal(cur, val)) {
		dc_json_free(val);
		return 0;
	}
	dc_buf_adds(&ptr, parent_ptr);
	dc_json_pointer_append(&ptr, key, keylen);
	undo_add(st, f->path, ptr.buf, cur);
	dc_json_set(parent, key, keylen, val);
	dc_buf_release(&ptr);
	return 1;
}

/* Set the value at `at` (consumed); 1 if it changed. */
static int put_at(struct dc_state *st, struct dc_state_file *f, const char *at,
		  struct dc_json *val, struct dc_err *err)
{
	struct dc_buf parent = DC_BUF_INIT, tok = DC_BUF_INIT;
	struct dc_json *p;
	int ret = -1;

	if (!*at) {
		if (f->doc && dc_json_equal(f->doc, val)) {
			dc_json_free(val);
			return 0;
		}
		undo_add(st, f->path, f->doc ? "" : NULL, f->doc);
		dc_json_free(f->doc);
		f->doc = val;
		return 1;
	}
	dc_json_pointer_split(at, &parent, &tok);
	p = ensure_object(st, f, parent.buf, err);
	if (!p) {
		dc_json_free(val);
		goto cleanup;
	}
	ret = put_member(st, f, p, parent.buf, tok.buf, tok.len, val);
cleanup:
	dc_buf_release(&parent);
	dc_buf_release(&tok);
	return ret;
}

static size_t container_size(const struct dc_json *c)
{
	if (!c)
		return 0;
	return c->type == DC_JSON_ARRAY ? c->u.arr.n : c->type == DC_JSON_OBJECT ? c->u.obj.n : 0;
}

static struct dc_json *container_elem(const struct dc_json *c, size_t i)
{
	return c->type == DC_JSON_ARRAY ? c->u.arr.v[i] : c->u.obj.m[i].val;
}

static int count_grouped(struct dc_state *st, const struct dc_derived *dv, struct dc_json *of,
			 struct dc_state_file *f, struct dc_err *err)
{
	struct dc_map counts = DC_MAP_INIT;
	size_t *tally = NULL, ntally = 0, alloc = 0, i, n = container_size(of), pos;
	struct dc_json **order = NULL;	/* the first element of each group */
	size_t norder = 0, alloc_order = 0;
	struct dc_json *map = NULL;
	struct dc_buf ptr = DC_BUF_INIT;
	int ret = -1, changed = 0;

	for (i = 0; i < n; i++) {
		struct dc_json *e = container_elem(of, i);
		struct dc_json *g = e->type == DC_JSON_OBJECT ? dc_json_get(e, dv->group_by) : NULL;

		if (!g || g->type != DC_JSON_STRING)
			continue;
		if (dc_map_get(&counts, g->u.str.s, g->u.str.len, &pos)) {
			tally[pos]++;
			continue;
		}
		DC_ALLOC_GROW(tally, ntally + 1, alloc);
		DC_ALLOC_GROW(order, norder + 1, alloc_order);
		dc_map_put(&counts, g->u.str.s, g->u.str.len, ntally);
		tally[ntally++] = 1;
		order[norder++] = g;
	}
	if (f->doc)
		map = dc_json_pointer(f->doc, dv->at, 0, DC_JSON_OBJECT, NULL);
	if (map && map->type != DC_JSON_OBJECT) {
		dc_err_set(err, DC_ERR_REFUSED, "canonical file '%s': %s is %s, the count of '%s'"
			   " by '%s' needs an object", f->path, show_at(dv->at),
			   dc_json_describe(map), dv->of, dv->group_by);
		goto cleanup;
	}
	for (i = 0; map && i < map->u.obj.n; i++) {
		struct dc_json_member *m = &map->u.obj.m[i];
		size_t c = dc_map_get(&counts, m->key, m->keylen, &pos) ? tally[pos] : 0;

		if (m->val->type != DC_JSON_OBJECT)
			continue;
		dc_buf_reset(&ptr);
		dc_buf_adds(&ptr, dv->at);
		dc_json_pointer_append(&ptr, m->key, m->keylen);
		changed |= put_member(st, f, m->val, ptr.buf, dv->field, strlen(dv->field),
				      dc_json_new_int((int64_t)c));
	}
	for (i = 0; i < norder; i++) {
		struct dc_json *g = order[i], *ent;

		if (map && dc_json_getn(map, g->u.str.s, g->u.str.len))
			continue;
		if (!map && !(map = ensure_object(st, f, dv->at, err)))
			goto cleanup;
		dc_map_get(&counts, g->u.str.s, g->u.str.len, &pos);
		ent = dc_json_new(DC_JSON_OBJECT);
		dc_json_set(ent, dv->field, strlen(dv->field), dc_json_new_int((int64_t)tally[pos]));
		put_member(st, f, map, dv->at, g->u.str.s, g->u.str.len, ent);
		changed = 1;
	}
	if (changed)
		f->changed = 1;
	ret = 0;
cleanup:
	dc_buf_release(&ptr);
	dc_map_release(&counts);
	free(tally);
	free(order);
	return ret;
}

int dc_fold_finish(struct dc_state *st, struct dc_err *err)
{
	size_t i;

	for (i = 0; i < st->rules->nderived; i++) {
		const struct dc_derived *dv = &st->rules->derived[i];
		const struct dc_section *s = dc_rules_section(st->rules, dv->of);
		struct dc_state_file *f;
		struct dc_json *of;
		int r;

		if (!s)
			return dc_err_set(err, DC_ERR_FATAL, "rules: derived count of unknown"
					  " section '%s'", dv->of);
		/* the count of a collect is the count of its published groups */
		if (s->op == DC_OP_COLLECT) {
			struct dc_state_file *pf;

			if (publish_target(st, s, 0, &of, &pf, err))
				return -1;
		} else if (target(st, s, 0, &of, err)) {
			return -1;
		}
		if (!(f = dc_state_file(st, dv->file, err)))
			return -1;
		if (dv->group_by) {
			if (count_grouped(st, dv, of, f, err))
				return -1;
			continue;
		}
		r = put_at(st, f, dv->at, dc_json_new_int((int64_t)container_size(of)), err);
		if (r < 0)
			return -1;
		if (r)
			f->changed = 1;
	}
	return 0;
}

struct dc_json *dc_fold_undo_json(const struct dc_state *st)
{
	struct dc_json *a = dc_json_new(DC_JSON_ARRAY);
	size_t i;

	for (i = 0; i < st->nundo; i++) {
		const struct dc_undo *u = &st->undo[i];
		struct dc_json *o = dc_json_new(DC_JSON_OBJECT);

		dc_json_set(o, "file", 4, dc_json_new_string(u->file, strlen(u->file)));
		if (u->pointer)
			dc_json_set(o, "at", 2, dc_json_new_string(u->pointer, strlen(u->pointer)));
		if (u->was)
			dc_json_set(o, "was", 3, dc_json_clone(u->was));
		dc_json_push(a, o);
	}
	return a;
}

int dc_fold_undo(struct dc_state *st, const struct dc_json *records, struct dc_err *err)
{
	struct dc_buf parent = DC_BUF_INIT, tok = DC_BUF_INIT;
	size_t i;
	int ret = -1;

	if (!records || records->type != DC_JSON_ARRAY)
		return dc_err_set(err, DC_ERR_FATAL, "'%s': 'derived' is not an array", DC_HEAD_PATH);
	for (i = records->u.arr.n; i-- > 0;) {
		const struct dc_json *r = records->u.arr.v[i];
		const struct dc_json *file = dc_json_get(r, "file"), *at = dc_json_get(r, "at");
		const struct dc_json *was = dc_json_get(r, "was");
		struct dc_state_file *f;
		struct dc_json *p;

		if (!file || file->type != DC_JSON_STRING || (at && at->type != DC_JSON_STRING))
			goto corrupt;
		if (!(f = dc_state_file(st, file->u.str.s, err)))
			goto cleanup;
		if (!at) {
			dc_json_free(f->doc);	/* the count created the file */
			f->doc = NULL;
			continue;
		}
		if (!*at->u.str.s) {
			if (!was)
				goto corrupt;
			dc_json_free(f->doc);
			f->doc = dc_json_clone(was);
			continue;
		}
		dc_buf_reset(&parent);
		dc_buf_reset(&tok);
		dc_json_pointer_split(at->u.str.s, &parent, &tok);
		p = f->doc ? dc_json_pointer(f->doc, parent.buf, 0, DC_JSON_OBJECT, NULL) : NULL;
		if (!p || p->type != DC_JSON_OBJECT)
			goto corrupt;
		if (was)
			dc_json_set(p, tok.buf, tok.len, dc_json_clone(was));
		else if (!dc_json_remove(p, tok.buf, tok.len))
			goto corrupt;
	}
	ret = 0;
	goto cleanup;
corrupt:
	dc_err_set(err, DC_ERR_FATAL, "'%s': the record of derived counts does not match the"
		   " canonical files", DC_HEAD_PATH);
	dc_err_hint(err, "a canonical file was changed outside git dc merge; 'git dc merge' after"
		    " restoring it from the last merge commit");
cleanup:
	dc_buf_release(&parent);
	dc_buf_release(&tok);
	return ret;
}
