#include "jmerge.h"
#include "fold.h"
#include "map.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* how much of a value a conflict report shows */
#define SHOW_MAX 120

enum dc_path_kind dc_jmerge_path_kind(const struct dc_rules *rules, const char *path)
{
	size_t n;

	if (!strcmp(path, DC_HEAD_PATH))
		return DC_PATH_HEAD;
	if (!rules)
		return DC_PATH_OTHER;
	n = strlen(rules->deltas);
	if (!strncmp(path, rules->deltas, n) && path[n] == '/')
		return DC_PATH_DELTA;
	if (dc_rules_is_canonical(rules, path))
		return DC_PATH_CANONICAL;
	return DC_PATH_OTHER;
}

void dc_jmerge_result_release(struct dc_jmerge_result *res)
{
	size_t i;

	for (i = 0; i < res->nconflicts; i++) {
		struct dc_jmerge_conflict *c = &res->conflicts[i];
		free(c->pointer);
		free(c->section);
		free(c->entity);
		free(c->field);
		free(c->ours);
		free(c->theirs);
		free(c->reason);
	}
	free(res->conflicts);
	memset(res, 0, sizeof(*res));
}

/* ---- the merge's context ---------------------------------------------- */

/* A derived count written into this file. */
struct jm_count {
	const struct dc_derived *dv;
	const struct dc_section *of;	/* the counted section */
	int same_file;			/* its target is in this file */
	struct dc_buf field;		/* grouped: the field as a pointer token */
	int recount;			/* changed on both sides: count again */
};

struct jm {
	const struct dc_section **secs;	/* the sections whose target is in this file */
	size_t nsecs;
	const char **whole;		/* collect targets here: merged as one value */
	size_t nwhole;
	struct jm_count *counts;
	size_t ncounts;
	struct dc_buf ptr;		/* JSON Pointer of the value being merged */
	struct dc_jmerge_result *res;
	/* the entity being merged, for reports */
	const struct dc_section *sec;
	char *entity;			/* compact JSON of its id or key */
	size_t entity_at;		/* ptr.len at the entity */
};

struct entity_save {
	const struct dc_section *sec;
	char *entity;
	size_t entity_at;
};

static void enter_entity(struct jm *c, const struct dc_section *s, char *entity,
			 struct entity_save *sv)
{
	sv->sec = c->sec;
	sv->entity = c->entity;
	sv->entity_at = c->entity_at;
	c->sec = s;
	c->entity = entity;
	c->entity_at = c->ptr.len;
}

static void leave_entity(struct jm *c, struct entity_save *sv)
{
	free(c->entity);
	c->sec = sv->sec;
	c->entity = sv->entity;
	c->entity_at = sv->entity_at;
}

static void token_escape(struct dc_buf *out, const char *tok, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (tok[i] == '~')
			dc_buf_add(out, "~0", 2);
		else if (tok[i] == '/')
			dc_buf_add(out, "~1", 2);
		else
			dc_buf_addch(out, tok[i]);
	}
}

/* Append "/<tok>" to the pointer; returns the length to pop back to. */
static size_t ptr_push(struct dc_buf *ptr, const char *tok, size_t len)
{
	size_t was = ptr->len;

	dc_buf_addch(ptr, '/');
	token_escape(ptr, tok, len);
	return was;
}

static size_t ptr_push_index(struct dc_buf *ptr, size_t i)
{
	size_t was = ptr->len;

	dc_buf_addf(ptr, "/%zu", i);
	return was;
}

static int ptr_is(const struct dc_buf *ptr, const char *s)
{
	return strlen(s) == ptr->len && !memcmp(ptr->buf, s, ptr->len);
}

/* The section whose target is at the current pointer, or NULL. */
static const struct dc_section *section_here(const struct jm *c)
{
	size_t i;

	for (i = 0; i < c->nsecs; i++)
		if (ptr_is(&c->ptr, c->secs[i]->at))
			return c->secs[i];
	return NULL;
}

/*
 * The derived count whose value is at the current pointer, or NULL: `at`
 * itself, or for a count by group `at`/<entity>/<field>.
 */
static struct jm_count *count_here(struct jm *c)
{
	size_t i;

	for (i = 0; i < c->ncounts; i++) {
		struct jm_count *k = &c->counts[i];
		const char *at = k->dv->at, *rest, *slash;
		size_t alen = strlen(at), rlen;

		if (!k->dv->group_by) {
			if (ptr_is(&c->ptr, at))
				return k;
			continue;
		}
		if (c->ptr.len <= alen + 1 || memcmp(c->ptr.buf, at, alen) || c->ptr.buf[alen] != '/')
			continue;
		rest = c->ptr.buf + alen + 1;
		rlen = c->ptr.len - alen - 1;
		slash = memchr(rest, '/', rlen);
		if (!slash)
			continue;
		rlen -= (size_t)(slash + 1 - rest);
		if (rlen == k->field.len && !memcmp(slash + 1, k->field.buf, rlen))
			return k;
	}
	return NULL;
}

/* Cut a report's text at SHOW_MAX bytes (on a character boundary) with
 * "..." and hand it over (the caller frees it). */
static char *cut(struct dc_buf *b)
{
	if (b->len > SHOW_MAX) {
		size_t n = SHOW_MAX;
		while (n && ((unsigned char)b->buf[n] & 0xc0) == 0x80)
			n--;
		dc_buf_setlen(b, n);
		dc_buf_adds(b, "...");
	}
	return dc_buf_detach(b, NULL);
}

/* Compact JSON of a value for a report; NULL for NULL. */
static char *show(const struct dc_json *v)
{
	struct dc_buf b = DC_BUF_INIT;

	if (!v)
		return NULL;
	dc_json_write_compact(&b, v);
	return cut(&b);
}

static void conflict(struct jm *c, const struct dc_json *o, const struct dc_json *t,
		     const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void conflict(struct jm *c, const struct dc_json *o, const struct dc_json *t,
		     const char *fmt, ...)
{
	struct dc_jmerge_result *res = c->res;
	struct dc_jmerge_conflict *x;
	struct dc_buf why = DC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	dc_buf_vaddf(&why, fmt, ap);
	va_end(ap);
	DC_ALLOC_GROW(res->conflicts, res->nconflicts + 1, res->alloc);
	x = &res->conflicts[res->nconflicts++];
	memset(x, 0, sizeof(*x));
	x->pointer = dc_xmemdupz(c->ptr.buf, c->ptr.len);
	if (c->entity) {
		x->section = dc_xstrdup(c->sec->name);
		x->entity = dc_xstrdup(c->entity);
		if (c->ptr.len > c->entity_at)
			x->field = dc_xmemdupz(c->ptr.buf + c->entity_at,
					       c->ptr.len - c->entity_at);
	}
	x->ours = show(o);
	x->theirs = show(t);
	x->reason = dc_buf_detach(&why, NULL);
}

/* ---- values ----------------------------------------------------------- */

static struct dc_json *merge_value(struct jm *c, const struct dc_json *b, const struct dc_json *o,
				   const struct dc_json *t);

/*
 * Objects, member by member: ours' members in order, each merged with
 * theirs' (or kept when theirs lacks it), then the members only theirs has.
 * With `ents`, the members are the entities of that section's map.
 */
static struct dc_json *merge_object(struct jm *c, const struct dc_json *b, const struct dc_json *o,
				    const struct dc_json *t, const struct dc_section *ents)
{
	struct dc_json *r = dc_json_new(DC_JSON_OBJECT);
	size_t i;

	for (i = 0; i < o->u.obj.n; i++) {
		const struct dc_json_member *m = &o->u.obj.m[i];
		const struct dc_json *tv = dc_json_getn(t, m->key, m->keylen);
		struct dc_json *v;

		if (!tv) {
			v = dc_json_clone(m->val);
		} else {
			const struct dc_json *bv = b ? dc_json_getn(b, m->key, m->keylen) : NULL;
			size_t was = ptr_push(&c->ptr, m->key, m->keylen);
			struct entity_save sv;

			if (ents) {
				struct dc_buf id = DC_BUF_INIT;
				dc_json_write_string(&id, m->key, m->keylen);
				enter_entity(c, ents, cut(&id), &sv);
			}
			v = merge_value(c, bv, m->val, tv);
			if (ents)
				leave_entity(c, &sv);
			dc_buf_setlen(&c->ptr, was);
		}
		dc_json_set(r, m->key, m->keylen, v);
	}
	for (i = 0; i < t->u.obj.n; i++) {
		const struct dc_json_member *m = &t->u.obj.m[i];
		if (dc_json_find(o, m->key, m->keylen) < 0)
			dc_json_set(r, m->key, m->keylen, dc_json_clone(m->val));
	}
	return r;
}

static void keystr_of(struct dc_buf *out, const struct dc_json *v)
{
	dc_buf_reset(out);
	dc_json_keystr(out, v);
}

/* An `append` target: the multiset union, ours' elements first. */
static struct dc_json *merge_append(const struct dc_json *o, const struct dc_json *t)
{
	struct dc_map have = DC_MAP_INIT, seen = DC_MAP_INIT;
	struct dc_buf k = DC_BUF_INIT;
	struct dc_json *r = dc_json_clone(o);
	size_t i;

	for (i = 0; i < o->u.arr.n; i++) {
		size_t n = 0;
		keystr_of(&k, o->u.arr.v[i]);
		dc_map_get(&have, k.buf, k.len, &n);
		dc_map_put(&have, k.buf, k.len, n + 1);
	}
	for (i = 0; i < t->u.arr.n; i++) {
		size_t had = 0, got = 0;
		keystr_of(&k, t->u.arr.v[i]);
		dc_map_get(&have, k.buf, k.len, &had);
		dc_map_get(&seen, k.buf, k.len, &got);
		dc_map_put(&seen, k.buf, k.len, ++got);
		if (got > had)
			dc_json_push(r, dc_json_clone(t->u.arr.v[i]));
	}
	dc_map_release(&have);
	dc_map_release(&seen);
	dc_buf_release(&k);
	return r;
}

/* The key member `name` of an element, after the section's normalize map. */
static const struct dc_json *key_member(const struct dc_section *s, const struct dc_json *e,
					const char *name)
{
	size_t i, k;

	for (i = 0; i < s->nnormalize; i++) {
		if (strcmp(s->normalize[i].name, name))
			continue;
		for (k = 0; k < s->normalize[i].nalts; k++) {
			const struct dc_json *v = dc_json_get(e, s->normalize[i].alts[k]);
			if (v)
				return v;
		}
		return NULL;
	}
	return dc_json_get(e, name);
}

/*
 * The key of an element under the section, as the fold compares them: "k"
 * and the keystr of each key member. An element without them (never the
 * fold's doing) is keyed by its whole value, "v" and its keystr, and so is
 * every element of a section without key members. With `shown`, the key as
 * a compact JSON object of the key members (or the element) for reports.
 */
static void element_key(struct dc_buf *out, struct dc_buf *shown, const struct dc_section *s,
			const struct dc_json *e)
{
	size_t i;

	dc_buf_reset(out);
	for (i = 0; s->nkey && e->type == DC_JSON_OBJECT && i < s->nkey; i++)
		if (!key_member(s, e, s->key[i]))
			break;
	if (!s->nkey || e->type != DC_JSON_OBJECT || i < s->nkey) {
		dc_buf_addch(out, 'v');
		dc_json_keystr(out, e);
		if (shown)
			dc_json_write_compact(shown, e);
		return;
	}
	dc_buf_addch(out, 'k');
	if (shown)
		dc_buf_addch(shown, '{');
	for (i = 0; i < s->nkey; i++) {
		const struct dc_json *v = key_member(s, e, s->key[i]);
		dc_json_keystr(out, v);
		dc_buf_addch(out, '\n');
		if (!shown)
			continue;
		if (i)
			dc_buf_addch(shown, ',');
		dc_json_write_string(shown, s->key[i], strlen(s->key[i]));
		dc_buf_addch(shown, ':');
		dc_json_write_compact(shown, v);
	}
	if (shown)
		dc_buf_addch(shown, '}');
}

/*
 * An `add` or `upsert` array target: ours' elements, then theirs' whose
 * key ours lacks. One key on both sides with other values: an `upsert`
 * entity merges member by member, an `add` element takes the side that
 * changed it from the base, or is a conflict. Of the elements of one key
 * inside one side only the first counts, as in the fold: ours' others stay
 * where they are, theirs' are not added.
 */
static struct dc_json *merge_keyed(struct jm *c, const struct dc_section *s, const struct dc_json *b,
				   const struct dc_json *o, const struct dc_json *t)
{
	struct dc_map at = DC_MAP_INIT, inbase = DC_MAP_INIT, seen = DC_MAP_INIT;
	struct dc_buf k = DC_BUF_INIT;
	struct dc_json *r = dc_json_clone(o);
	size_t i, pos;

	for (i = 0; i < o->u.arr.n; i++) {
		element_key(&k, NULL, s, o->u.arr.v[i]);
		if (!dc_map_get(&at, k.buf, k.len, NULL))
			dc_map_put(&at, k.buf, k.len, i);
	}
	for (i = 0; b && i < b->u.arr.n; i++) {
		element_key(&k, NULL, s, b->u.arr.v[i]);
		if (!dc_map_get(&inbase, k.buf, k.len, NULL))
			dc_map_put(&inbase, k.buf, k.len, i);
	}
	for (i = 0; i < t->u.arr.n; i++) {
		const struct dc_json *te = t->u.arr.v[i], *oe, *be = NULL;
		struct dc_buf shown = DC_BUF_INIT;
		struct entity_save sv;
		size_t was, bpos;

		element_key(&k, NULL, s, te);
		if (!dc_map_put(&seen, k.buf, k.len, i))
			continue;	/* as in the fold, the first of one key counts */
		if (!dc_map_get(&at, k.buf, k.len, &pos)) {
			dc_map_put(&at, k.buf, k.len, r->u.arr.n);
			dc_json_push(r, dc_json_clone(te));
			continue;
		}
		oe = o->u.arr.v[pos];
		if (dc_json_equal(oe, te))
			continue;
		if (dc_map_get(&inbase, k.buf, k.len, &bpos))
			be = b->u.arr.v[bpos];
		element_key(&k, &shown, s, te);
		was = ptr_push_index(&c->ptr, pos);
		enter_entity(c, s, cut(&shown), &sv);
		if (s->op == DC_OP_UPSERT) {
			struct dc_json *v = merge_value(c, be, oe, te);
			dc_json_free(r->u.arr.v[pos]);
			r->u.arr.v[pos] = v;
		} else if (be && dc_json_equal(be, oe)) {
			dc_json_free(r->u.arr.v[pos]);
			r->u.arr.v[pos] = dc_json_clone(te);
		} else if (!be || !dc_json_equal(be, te)) {
			conflict(c, oe, te, "the two sides hold different elements with this key;"
				 " 'add' keeps the first one added, which only the deltas' order"
				 " tells");
		}
		leave_entity(c, &sv);
		dc_buf_setlen(&c->ptr, was);
	}
	dc_map_release(&at);
	dc_map_release(&inbase);
	dc_map_release(&seen);
	dc_buf_release(&k);
	return r;
}

/*
 * A derived count: changed on one side only takes that side; changed on
 * both (or created on both) is counted again when its target is in this
 * file, and a conflict otherwise.
 */
static struct dc_json *merge_count(struct jm *c, struct jm_count *k, const struct dc_json *b,
				   const struct dc_json *o, const struct dc_json *t)
{
	if (b && dc_json_equal(b, t))
		return dc_json_clone(o);
	if (b && dc_json_equal(b, o))
		return dc_json_clone(t);
	if (k->same_file) {
		k->recount = 1;
		return dc_json_clone(o);
	}
	conflict(c, o, t, "the count of section '%s' changed on both sides; it counts '%s',"
		 " which the merge of this file cannot see", k->dv->of, k->of->file);
	return dc_json_clone(o);
}

/* A collect target at the current pointer: groups move from one to the
 * other as they complete, so neither is a union. */
static int whole_here(const struct jm *c)
{
	size_t i;

	for (i = 0; i < c->nwhole; i++)
		if (ptr_is(&c->ptr, c->whole[i]))
			return 1;
	return 0;
}

static struct dc_json *merge_value(struct jm *c, const struct dc_json *b, const struct dc_json *o,
				   const struct dc_json *t)
{
	const struct dc_section *s = section_here(c);
	struct jm_count *k;

	if (whole_here(c))
		goto value;
	if (o->type == DC_JSON_OBJECT && t->type == DC_JSON_OBJECT)
		return merge_object(c, b && b->type == DC_JSON_OBJECT ? b : NULL, o, t,
				    s && (s->op == DC_OP_SET || s->op == DC_OP_UPSERT) ? s : NULL);
	if (s && o->type == DC_JSON_ARRAY && t->type == DC_JSON_ARRAY) {
		if (s->op == DC_OP_APPEND)
			return merge_append(o, t);
		if (s->op == DC_OP_ADD || s->op == DC_OP_UPSERT)
			return merge_keyed(c, s, b && b->type == DC_JSON_ARRAY ? b : NULL, o, t);
	}
	if ((k = count_here(c)))
		return merge_count(c, k, b, o, t);
value:
	if (dc_json_equal(o, t) || (b && dc_json_equal(b, t)))
		return dc_json_clone(o);
	if (b && dc_json_equal(b, o))
		return dc_json_clone(t);
	conflict(c, o, t, "changed on both sides");
	return dc_json_clone(o);
}

/* ---- derived counts counted again ------------------------------------- */

static size_t container_size(const struct dc_json *v)
{
	if (!v)
		return 0;
	return v->type == DC_JSON_ARRAY ? v->u.arr.n : v->type == DC_JSON_OBJECT ? v->u.obj.n : 0;
}

/* Write `val` (taken) at `at`, creating the objects on the way as the fold
 * does; dropped if a value on the way is not an object. */
static void put_at(struct dc_json **root, const char *at, struct dc_json *val)
{
	struct dc_buf parent = DC_BUF_INIT, tok = DC_BUF_INIT;
	struct dc_json *p;

	if (!*at) {
		dc_json_free(*root);
		*root = val;
		return;
	}
	dc_json_pointer_split(at, &parent, &tok);
	p = dc_json_pointer(*root, parent.buf, 1, DC_JSON_OBJECT, NULL);
	if (p && p->type == DC_JSON_OBJECT)
		dc_json_set(p, tok.buf, tok.len, val);
	else
		dc_json_free(val);
	dc_buf_release(&parent);
	dc_buf_release(&tok);
}

/* The count by group, as the fold writes it: `field` of every entity of
 * the map at `at`, and a new entity for each group that has none. */
static void recount_grouped(struct dc_json **root, const struct dc_derived *dv,
			    const struct dc_json *of)
{
	struct dc_map tally = DC_MAP_INIT;
	const struct dc_json **first = NULL;
	size_t *n = NULL, ngroups = 0, alloc_first = 0, alloc_n = 0, i, pos;
	struct dc_json *map;

	for (i = 0; i < container_size(of); i++) {
		const struct dc_json *e = of->type == DC_JSON_ARRAY ? of->u.arr.v[i] :
			of->u.obj.m[i].val;
		const struct dc_json *g = dc_json_get(e, dv->group_by);

		if (!g || g->type != DC_JSON_STRING)
			continue;
		if (dc_map_get(&tally, g->u.str.s, g->u.str.len, &pos)) {
			n[pos]++;
			continue;
		}
		DC_ALLOC_GROW(first, ngroups + 1, alloc_first);
		DC_ALLOC_GROW(n, ngroups + 1, alloc_n);
		dc_map_put(&tally, g->u.str.s, g->u.str.len, ngroups);
		first[ngroups] = g;
		n[ngroups++] = 1;
	}
	map = dc_json_pointer(*root, dv->at, 0, DC_JSON_OBJECT, NULL);
	if (!map && ngroups) {
		put_at(root, dv->at, dc_json_new(DC_JSON_OBJECT));
		map = dc_json_pointer(*root, dv->at, 0, DC_JSON_OBJECT, NULL);
	}
	for (i = 0; map && map->type == DC_JSON_OBJECT && i < map->u.obj.n; i++) {
		struct dc_json_member *m = &map->u.obj.m[i];
		size_t count = dc_map_get(&tally, m->key, m->keylen, &pos) ? n[pos] : 0;

		if (m->val->type == DC_JSON_OBJECT)
			dc_json_set(m->val, dv->field, strlen(dv->field),
				    dc_json_new_int((int64_t)count));
	}
	for (i = 0; map && map->type == DC_JSON_OBJECT && i < ngroups; i++) {
		struct dc_json *ent;

		if (dc_json_getn(map, first[i]->u.str.s, first[i]->u.str.len))
			continue;
		ent = dc_json_new(DC_JSON_OBJECT);
		dc_json_set(ent, dv->field, strlen(dv->field), dc_json_new_int((int64_t)n[i]));
		dc_json_set(map, first[i]->u.str.s, first[i]->u.str.len, ent);
	}
	dc_map_release(&tally);
	free(first);
	free(n);
}

static void recount(struct dc_json **root, const struct jm_count *k)
{
	const struct dc_json *of = dc_json_pointer(*root, k->of->at, 0, DC_JSON_OBJECT, NULL);

	if (k->dv->group_by)
		recount_grouped(root, k->dv, of);
	else
		put_at(root, k->dv->at, dc_json_new_int((int64_t)container_size(of)));
}

/* ---- entry points ----------------------------------------------------- */

void dc_jmerge(struct dc_json **out, struct dc_jmerge_result *res, const struct dc_rules *rules,
	       const char *path, const struct dc_json *base, const struct dc_json *ours,
	       const struct dc_json *theirs)
{
	struct jm c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.res = res;
	dc_buf_init(&c.ptr, 64);
	for (i = 0; rules && i < rules->nsections; i++) {
		const struct dc_section *s = &rules->sections[i];
		if (s->op == DC_OP_COLLECT) {
			c.whole = dc_xreallocarray(c.whole, c.nwhole + 2, sizeof(*c.whole));
			if (!strcmp(s->file, path))
				c.whole[c.nwhole++] = s->at;
			if (s->publish_file && !strcmp(s->publish_file, path))
				c.whole[c.nwhole++] = s->publish_at;
			continue;
		}
		/* a segment file is a slice of its section's array */
		if (s->op == DC_OP_IGNORE ||
		    (strcmp(s->file, path) && dc_rules_segmented(rules, path, NULL) != s))
			continue;
		c.secs = dc_xreallocarray(c.secs, c.nsecs + 1, sizeof(*c.secs));
		c.secs[c.nsecs++] = s;
	}
	for (i = 0; rules && i < rules->nderived; i++) {
		const struct dc_derived *dv = &rules->derived[i];
		const struct dc_section *of = dc_rules_section(rules, dv->of);
		struct jm_count *k;

		if (strcmp(dv->file, path) || !of)
			continue;
		c.counts = dc_xreallocarray(c.counts, c.ncounts + 1, sizeof(*c.counts));
		k = &c.counts[c.ncounts++];
		memset(k, 0, sizeof(*k));
		k->dv = dv;
		k->of = of;
		k->same_file = !strcmp(of->file, path);
		dc_buf_init(&k->field, 0);
		if (dv->group_by)
			token_escape(&k->field, dv->field, strlen(dv->field));
	}

	*out = merge_value(&c, base, ours, theirs);
	for (i = 0; i < c.ncounts; i++) {
		if (!c.counts[i].recount)
			continue;
		recount(out, &c.counts[i]);
		res->recounted++;
	}

	for (i = 0; i < c.ncounts; i++)
		dc_buf_release(&c.counts[i].field);
	free(c.counts);
	free(c.secs);
	free(c.whole);
	dc_buf_release(&c.ptr);
}

static int only_whitespace(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return 1;
}

static int parse_side(struct dc_json **out, struct dc_jmerge_result *res, const char *side,
		      const char *buf, size_t len)
{
	struct dc_err why = DC_ERR_INIT;
	struct dc_jmerge_conflict *x;

	if (!dc_json_parse(out, buf, len, &dc_canonical_opts, &why))
		return 0;
	DC_ALLOC_GROW(res->conflicts, res->nconflicts + 1, res->alloc);
	x = &res->conflicts[res->nconflicts++];
	memset(x, 0, sizeof(*x));
	x->pointer = dc_xstrdup("");
	if (dc_has_conflict_markers(buf, len)) {
		struct dc_buf b = DC_BUF_INIT;
		dc_buf_addf(&b, "%s holds conflict markers", side);
		x->reason = dc_buf_detach(&b, NULL);
	} else {
		struct dc_buf b = DC_BUF_INIT;
		dc_buf_addf(&b, "%s is not valid JSON: %s", side, why.msg.buf);
		x->reason = dc_buf_detach(&b, NULL);
	}
	dc_err_release(&why);
	return -1;
}

int dc_jmerge_bytes(struct dc_buf *out, struct dc_jmerge_result *res,
		    const struct dc_rules *rules, const char *path,
		    const char *base, size_t base_len, int has_base,
		    const char *ours, size_t ours_len, const char *theirs, size_t theirs_len,
		    struct dc_err *err)
{
	struct dc_json *b = NULL, *o = NULL, *t = NULL, *m = NULL, *again = NULL;
	struct dc_buf text = DC_BUF_INIT;
	struct dc_err why = DC_ERR_INIT;
	int bad, ret = -1;

	bad = parse_side(&o, res, "ours", ours, ours_len);
	bad |= parse_side(&t, res, "theirs", theirs, theirs_len);
	if (bad) {
		ret = 0;
		goto cleanup;
	}
	if (has_base && !only_whitespace(base, base_len) &&
	    dc_json_parse(&b, base, base_len, &dc_canonical_opts, &why)) {
		res->base_invalid = 1;
		b = NULL;
	}
	dc_jmerge(&m, res, rules, path, b, o, t);
	if (res->nconflicts) {
		ret = 0;
		goto cleanup;
	}
	dc_json_write(&text, m);
	if (dc_json_parse(&again, text.buf, text.len, &dc_canonical_opts, &why)) {
		dc_err_set(err, DC_ERR_FATAL, "internal error: the merge of '%s' wrote invalid JSON: %s",
			   path, why.msg.buf);
		goto cleanup;
	}
	dc_buf_addbuf(out, &text);
	ret = 0;
cleanup:
	dc_json_free(b);
	dc_json_free(o);
	dc_json_free(t);
	dc_json_free(m);
	dc_json_free(again);
	dc_buf_release(&text);
	dc_err_release(&why);
	return ret;
}

void dc_jmerge_describe(struct dc_buf *out, const char *path, const struct dc_jmerge_conflict *c)
{
	dc_buf_addquoted(out, path, strlen(path), 300);
	if (*c->pointer) {
		dc_buf_adds(out, " at ");
		dc_buf_addquoted(out, c->pointer, strlen(c->pointer), 300);
	}
	if (c->entity) {
		dc_buf_adds(out, " (entity ");
		dc_buf_adds(out, c->entity);
		dc_buf_addf(out, " of section '%s'", c->section);
		if (c->field) {
			dc_buf_adds(out, ", field ");
			dc_buf_addquoted(out, c->field, strlen(c->field), 300);
		}
		dc_buf_addch(out, ')');
	}
	dc_buf_addf(out, ": %s", c->reason);
	if (c->ours || c->theirs)
		dc_buf_addf(out, ": %s (ours), %s (theirs)", c->ours ? c->ours : "(absent)",
			    c->theirs ? c->theirs : "(absent)");
}
