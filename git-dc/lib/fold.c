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

static int has_conflict_markers(const char *buf, size_t len)
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

static int load_file(struct dc_state *st, struct dc_state_file *f, struct dc_err *err)
{
	struct dc_buf raw = DC_BUF_INIT;
	int exists = 0, ret = -1;

	if (f->loaded)
		return 0;
	if (st->read(st->read_data, f->path, &raw, &exists, err))
		goto cleanup;
	if (exists && dc_json_parse(&f->doc, raw.buf, raw.len, &st->parse_opts, err)) {
		if (has_conflict_markers(raw.buf, raw.len))
			dc_err_set(err, DC_ERR_REFUSED,
				   "canonical file '%s' holds conflict markers", f->path);
		else
			dc_err_prefix(err, "canonical file '%s' is not valid JSON", f->path);
		dc_err_hint(err, "canonical files are written only by 'git dc merge'; restore it from"
			    " the last good commit with 'git checkout <commit> -- %s'", f->path);
		goto cleanup;
	}
	f->existed = exists;
	f->loaded = 1;
	ret = 0;
cleanup:
	dc_buf_release(&raw);
	return ret;
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

	for (i = 0; i < rules->nsections; i++) {
		if (rules->sections[i].segment)
			return dc_err_set(err, DC_ERR_REFUSED,
					  "rules: sections.%s.segment: segmented targets are not"
					  " supported by this version of git-dc",
					  rules->sections[i].name);
	}
	memset(st, 0, sizeof(*st));
	st->rules = rules;
	st->read = read;
	st->read_data = read_data;
	st->nfiles = dc_rules_files(rules, &files);
	st->files = dc_xcalloc(st->nfiles, sizeof(*st->files));
	for (i = 0; i < st->nfiles; i++)
		st->files[i].path = dc_xstrdup(files[i]);
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
		dc_json_free(st->files[i].doc);
	}
	free(st->files);
	if (st->targets) {
		for (i = 0; i < st->rules->nsections; i++)
			dc_map_release(&st->targets[i].index);
	}
	free(st->targets);
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
		return dc_err_set(err, DC_ERR_REFUSED,
				  "canonical file '%s': cannot create %s for section '%s':"
				  " a value on its path is not an object",
				  s->file, show_at(s->at), s->name);
	}
	if (!type_fits(s->op, c))
		return dc_err_set(err, DC_ERR_REFUSED,
				  "canonical file '%s': %s is %s, section '%s' (%s) needs %s",
				  s->file, show_at(s->at), dc_json_describe(c), s->name,
				  dc_op_name(s->op),
				  s->op == DC_OP_SET ? "an object" :
				  s->op == DC_OP_UPSERT ? "an array or an object" : "an array");
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

static void missing_key_reason(struct dc_buf *why, const struct dc_section *s, const char *name)
{
	size_t i, k;

	for (i = 0; i < s->nnormalize; i++) {
		if (strcmp(s->normalize[i].name, name))
			continue;
		dc_buf_addf(why, "key member '%s' is missing (none of ", name);
		for (k = 0; k < s->normalize[i].nalts; k++)
			dc_buf_addf(why, "%s'%s'", k ? ", " : "", s->normalize[i].alts[k]);
		dc_buf_adds(why, " is present)");
		return;
	}
	dc_buf_addf(why, "key member '%s' is missing", name);
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
				missing_key_reason(why, s, s->key[i]);
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
			if (cur->type == DC_JSON_OBJECT)
				return merge_object(cur, ev);
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
			default:
				r = dc_err_set(err, DC_ERR_FATAL, "rules: section '%s': op '%s' cannot"
					       " be folded", s->name, dc_op_name(s->op));
			}
			if (r == -1) {
				dc_err_prefix(err, "delta '%s'", d->path);
				goto cleanup;
			}
			if (r == 1)
				st->targets[si].file->changed = 1;
			if (st->replaying)
				continue;
			if (r == -2)
				quarantine_event(st, d, s, i, &why);
			else if (r == 1)
				st->stats.applied[si]++;
			else
				st->stats.present[si]++;
		}
	}
	ret = 0;
cleanup:
	dc_buf_release(&key);
	dc_buf_release(&why);
	return ret;
}

/* ---- derived counts --------------------------------------------------- */

/* Set the value at `at` inside the file's document, creating what is
 * missing; 1 if it changed. The value is consumed. */
static int put_at(struct dc_state_file *f, const char *at, struct dc_json *val, struct dc_err *err)
{
	const char *slash = strrchr(at, '/');
	struct dc_buf parent = DC_BUF_INIT, tok = DC_BUF_INIT;
	struct dc_json *p, *cur;
	const char *q;
	int ret = -1;

	if (!*at) {
		if (f->doc && dc_json_equal(f->doc, val)) {
			dc_json_free(val);
			return 0;
		}
		dc_json_free(f->doc);
		f->doc = val;
		return 1;
	}
	if (!f->doc)
		f->doc = dc_json_new(DC_JSON_OBJECT);
	dc_buf_add(&parent, at, (size_t)(slash - at));
	for (q = slash + 1; *q; q++) {
		if (q[0] == '~' && q[1] == '1')
			dc_buf_addch(&tok, '/'), q++;
		else if (q[0] == '~' && q[1] == '0')
			dc_buf_addch(&tok, '~'), q++;
		else
			dc_buf_addch(&tok, *q);
	}
	p = dc_json_pointer(f->doc, parent.buf, 0, DC_JSON_OBJECT, NULL);
	if (!p)
		p = dc_json_pointer(f->doc, parent.buf, 1, DC_JSON_OBJECT, NULL);
	if (!p || p->type != DC_JSON_OBJECT) {
		dc_json_free(val);
		dc_err_set(err, DC_ERR_REFUSED, "canonical file '%s': cannot write %s: its parent is"
			   " not an object", f->path, at);
		goto cleanup;
	}
	cur = dc_json_getn(p, tok.buf, tok.len);
	if (cur && dc_json_equal(cur, val)) {
		dc_json_free(val);
		ret = 0;
		goto cleanup;
	}
	dc_json_set(p, tok.buf, tok.len, val);
	ret = 1;
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
	if (map) {
		for (i = 0; i < map->u.obj.n; i++) {
			struct dc_json_member *m = &map->u.obj.m[i];
			size_t c = dc_map_get(&counts, m->key, m->keylen, &pos) ? tally[pos] : 0;
			struct dc_json *cur, *v;

			if (m->val->type != DC_JSON_OBJECT)
				continue;
			v = dc_json_new_int((int64_t)c);
			cur = dc_json_get(m->val, dv->field);
			if (cur && dc_json_equal(cur, v)) {
				dc_json_free(v);
				continue;
			}
			dc_json_set(m->val, dv->field, strlen(dv->field), v);
			changed = 1;
		}
	}
	for (i = 0; i < norder; i++) {
		struct dc_json *g = order[i], *ent;

		if (map && dc_json_getn(map, g->u.str.s, g->u.str.len))
			continue;
		if (!map) {
			if (!f->doc)
				f->doc = dc_json_new(DC_JSON_OBJECT);
			map = dc_json_pointer(f->doc, dv->at, 1, DC_JSON_OBJECT, NULL);
			if (!map || map->type != DC_JSON_OBJECT) {
				dc_err_set(err, DC_ERR_REFUSED, "canonical file '%s': cannot create %s",
					   f->path, show_at(dv->at));
				goto cleanup;
			}
		}
		dc_map_get(&counts, g->u.str.s, g->u.str.len, &pos);
		ent = dc_json_new(DC_JSON_OBJECT);
		dc_json_set(ent, dv->field, strlen(dv->field), dc_json_new_int((int64_t)tally[pos]));
		dc_json_set(map, g->u.str.s, g->u.str.len, ent);
		changed = 1;
	}
	if (changed)
		f->changed = 1;
	ret = 0;
cleanup:
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
		if (target(st, s, 0, &of, err))
			return -1;
		if (!(f = dc_state_file(st, dv->file, err)))
			return -1;
		if (dv->group_by) {
			if (count_grouped(st, dv, of, f, err))
				return -1;
			continue;
		}
		r = put_at(f, dv->at, dc_json_new_int((int64_t)container_size(of)), err);
		if (r < 0)
			return -1;
		if (r)
			f->changed = 1;
	}
	return 0;
}
