#include "fold.h"
#include <stdlib.h>
#include <string.h>

#define NO_POS ((size_t)-1)

/*
 * Array targets: key hash -> element position, open addressing. A hash
 * that matches names a candidate, whose key is made again and compared
 * whole; the keys are not kept (an index of 100,000 comments would copy
 * them all). Equal keys are indexed once, at their first element.
 */
struct key_slot {
	uint64_t hash;
	size_t pos;		/* NO_POS: empty */
};

struct key_index {
	struct key_slot *slot;
	size_t cap, n;
};

struct dc_fold_target {
	struct dc_state_file *file;
	struct key_index index;	/* array targets: key -> element position */
	size_t indexed;		/* elements [0, indexed) are in the index */
	struct dc_json *indexed_in;	/* the array the index describes */
	/* with track_changes: elements an upsert changed, by position, in
	 * order (readers keep a cursor into it) */
	size_t *changed, nchanged, alloc_changed;
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
	f->base_last = last_len;
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

/* ---- tallies ------------------------------------------------------------ */

/* Groups counted in order of first use (derived counts by group_by). */
struct tally {
	struct dc_map counts;	/* group -> position in the arrays below */
	size_t *n;
	const char **name;	/* in order of first use */
	size_t *len;
	size_t ngroups, alloc, alloc_name, alloc_len;
	int owned;		/* the names are copies, freed with the tally */
};

#define TALLY_INIT { DC_MAP_INIT, NULL, NULL, NULL, 0, 0, 0, 0, 0 }

/* Count `count` more in group `name`; its position. */
static size_t tally_add(struct tally *t, const char *name, size_t len, size_t count)
{
	size_t pos;

	if (dc_map_get(&t->counts, name, len, &pos)) {
		t->n[pos] += count;
		return pos;
	}
	DC_ALLOC_GROW(t->n, t->ngroups + 1, t->alloc);
	DC_ALLOC_GROW(t->name, t->ngroups + 1, t->alloc_name);
	DC_ALLOC_GROW(t->len, t->ngroups + 1, t->alloc_len);
	dc_map_put(&t->counts, name, len, t->ngroups);
	t->name[t->ngroups] = t->owned ? dc_xmemdupz(name, len) : name;
	t->len[t->ngroups] = len;
	t->n[t->ngroups] = count;
	return t->ngroups++;
}

static void tally_release(struct tally *t)
{
	size_t i;

	for (i = 0; t->owned && i < t->ngroups; i++)
		free((char *)t->name[i]);
	dc_map_release(&t->counts);
	free(t->n);
	free(t->name);
	free(t->len);
}

/*
 * A grouped count kept from one dc_fold_finish() to the next (with
 * track_changes): the tally of elements [0, counted) of the array `of`,
 * and the group of each. Elements are only added at the end or changed by
 * upserts, which the fold records: the tally follows them, and is made
 * again from every element when a change moved an element to another group
 * (the order of first use could change) or the array is another one.
 */
struct dc_count_cache {
	const struct dc_json *of;
	size_t counted, cursor;
	struct tally t;
	size_t *group, alloc_group;	/* per element: its group, or NO_POS */
};

/* ---- segment summaries -------------------------------------------------- */

/*
 * A summary (fold.h) is, little-endian 64-bit numbers throughout:
 *
 *	"DCS1" <len> <fingerprint>	the rules it was made under
 *	<n>				elements
 *	<flags>				SUM_CANONICAL: the segment's bytes are
 *					dc_json_write()'s of its elements
 *	<k> k x (<hash> <pos>)		key hashes of the keyed elements
 *	per grouped count of the section, in rules order:
 *	  <g> g x (<len> <value> <count>)	tallies, in order of first use
 *	<check>				sum_check() of all the bytes before
 *
 * Key hashes only point at candidates: a candidate's segment is read and
 * its key compared whole before it counts as a match. The check is a hash
 * of the 8-byte words (the tail zero-padded) against torn files, not
 * against forgery: like the index, the summaries are the repository
 * owner's own files.
 */

#define SUM_CANONICAL 1

struct seg_sum {
	size_t n, nkeys;
	uint64_t flags;
	const unsigned char *keys;	/* nkeys x 16 bytes, into raw */
	size_t nfields;
	const unsigned char **field;	/* per grouped count: its tallies, into raw */
	size_t *ngroups;
	struct dc_buf raw;
};

struct dc_lazy {
	const struct dc_section *s;
	struct dc_json *arr;	/* the array whose slots it fills */
	int member;		/* a member of a file that is not segmented */
	size_t nseg, base_n;
	struct seg_sum *sum;
	char *loaded;
	/* base keys: chains of candidates in position order */
	uint64_t *khash;
	size_t *kpos, *knext, nk;
	size_t *heads, mask;
};

/* Key hashes as summaries keep them on disk: fixed here, whatever
 * dc_map_hash() may become. */
static uint64_t fnv64(const void *p, size_t len, uint64_t h)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define FNV64_INIT 0xcbf29ce484222325ULL

/* The hash of a key, in the key index and in summaries alike: a summary
 * made after a fold takes its key hashes from the fold's index. */
static uint64_t key_hash(const void *p, size_t len)
{
	return fnv64(p, len, FNV64_INIT);
}

/* A key index's first slot for hash h: FNV-1a's low bits follow the low
 * bits of the bytes only, so they are mixed with the others. */
static size_t key_slot0(uint64_t h, size_t mask)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & mask;
}

/* A summary's check: FNV-1a over its 8-byte little-endian words. */
static uint64_t sum_check(const void *p, size_t len)
{
	const unsigned char *c = p;
	uint64_t h = FNV64_INIT;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, c + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	if (i < len) {
		uint64_t w = 0;
		memcpy(&w, c + i, len - i);
		h = (h ^ w ^ (uint64_t)(len - i) << 56) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}


static void put_str(struct dc_buf *b, const char *s)
{
	dc_buf_addf(b, "%zu:%s", strlen(s), s);
}

/* Is `dv` a grouped count of section `s`'s target? */
static int grouped_count_of(const struct dc_derived *dv, const struct dc_section *s)
{
	return dv->group_by && !strcmp(dv->of, s->name);
}

static int keyed_op(enum dc_op op)
{
	return op == DC_OP_ADD || op == DC_OP_UPSERT;
}

/* What a summary depends on besides the segment's bytes. */
static void summary_fingerprint(struct dc_buf *out, const struct dc_rules *r,
				const struct dc_section *s)
{
	size_t i, k;

	dc_buf_addf(out, "dc segment summary 1\n%s\n", dc_op_name(s->op));
	if (keyed_op(s->op)) {
		dc_buf_adds(out, "key");
		for (i = 0; i < s->nkey; i++)
			put_str(out, s->key[i]);
		dc_buf_adds(out, "\nnormalize");
		for (i = 0; i < s->nnormalize; i++) {
			put_str(out, s->normalize[i].name);
			dc_buf_addf(out, "%zu", s->normalize[i].nalts);
			for (k = 0; k < s->normalize[i].nalts; k++)
				put_str(out, s->normalize[i].alts[k]);
		}
	}
	dc_buf_adds(out, "\ngroups");
	for (i = 0; i < r->nderived; i++)
		if (grouped_count_of(&r->derived[i], s))
			put_str(out, r->derived[i].group_by);
	dc_buf_addch(out, '\n');
}

static int element_key(struct dc_buf *out, const struct dc_section *s, const struct dc_json *ev,
		       struct dc_buf *why);

static struct dc_lazy *lazy_of(const struct dc_state_file *f, const struct dc_json *arr);

/*
 * The key hashes of elements [from, from + n) of the array target `t` of
 * a fold indexes, by position (*have: indexed), when its index covers
 * them: NULL when it does not. Equal keys are indexed at their first
 * element only, which is the one a lookup must find.
 */
static uint64_t *indexed_hashes(const struct dc_fold_target *t, struct dc_json *const *v,
				size_t from, size_t n, char **have)
{
	uint64_t *h;
	size_t i;

	const struct dc_lazy *lz;

	if (!t || !t->indexed_in || t->indexed_in->u.arr.v + from != v ||
	    t->indexed < from + n || t->indexed > t->indexed_in->u.arr.n)
		return NULL;
	/* read by its summary: the index holds only the elements added */
	lz = t->file ? lazy_of(t->file, t->indexed_in) : NULL;
	if (lz && from < lz->base_n)
		return NULL;
	h = dc_xcalloc(n ? n : 1, sizeof(*h));
	*have = dc_xcalloc(n ? n : 1, 1);
	for (i = 0; i < t->index.cap; i++) {
		size_t p = t->index.slot[i].pos;

		if (p == NO_POS || p < from || p - from >= n)
			continue;
		h[p - from] = t->index.slot[i].hash;
		(*have)[p - from] = 1;
	}
	return h;
}

/*
 * The summary of a segment: `base`'s elements (NULL: none) followed by the
 * n elements `v`, as one segment. `t` (may be NULL): the fold's target
 * whose array holds `v` at position `from`, whose index may give the key
 * hashes.
 */
static void summarize(struct dc_buf *out, const struct dc_rules *r, const struct dc_section *s,
		      const struct seg_sum *base, struct dc_json *const *v, size_t n,
		      uint64_t flags, const struct dc_fold_target *t, size_t from)
{
	struct dc_buf fp = DC_BUF_INIT, key = DC_BUF_INIT, keys = DC_BUF_INIT;
	size_t start = out->len, i, d, nk = 0, off = base ? base->n : 0, fi = 0;
	char *have = NULL;
	uint64_t *hashes = keyed_op(s->op) ? indexed_hashes(t, v, from, n, &have) : NULL;

	summary_fingerprint(&fp, r, s);
	dc_buf_adds(out, "DCS1");
	dc_buf_add_le64(out, fp.len);
	dc_buf_add(out, fp.buf, fp.len);
	dc_buf_add_le64(out, off + n);
	dc_buf_add_le64(out, flags);
	if (base) {
		dc_buf_add(&keys, base->keys, base->nkeys * 16);
		nk = base->nkeys;
	}
	for (i = 0; keyed_op(s->op) && i < n; i++) {
		if (hashes) {
			if (!have[i])
				continue;
			dc_buf_add_le64(&keys, hashes[i]);
		} else {
			if (element_key(&key, s, v[i], NULL))
				continue;
			dc_buf_add_le64(&keys, key_hash(key.buf, key.len));
		}
		dc_buf_add_le64(&keys, off + i);
		nk++;
	}
	free(hashes);
	free(have);
	dc_buf_add_le64(out, nk);
	dc_buf_add(out, keys.buf, keys.len);
	for (d = 0; d < r->nderived; d++) {
		const struct dc_derived *dv = &r->derived[d];
		struct tally tl = TALLY_INIT;

		if (!grouped_count_of(dv, s))
			continue;
		if (base) {
			const unsigned char *p = base->field[fi];
			size_t g;

			for (g = 0; g < base->ngroups[fi]; g++) {
				size_t len = (size_t)dc_get_le64(p);

				tally_add(&tl, (const char *)p + 8, len, (size_t)dc_get_le64(p + 8 + len));
				p += 16 + len;
			}
		}
		fi++;
		for (i = 0; i < n; i++) {
			const struct dc_json *g = v[i]->type == DC_JSON_OBJECT ?
				dc_json_get(v[i], dv->group_by) : NULL;
			if (g && g->type == DC_JSON_STRING)
				tally_add(&tl, g->u.str.s, g->u.str.len, 1);
		}
		dc_buf_add_le64(out, tl.ngroups);
		for (i = 0; i < tl.ngroups; i++) {
			dc_buf_add_le64(out, tl.len[i]);
			dc_buf_add(out, tl.name[i], tl.len[i]);
			dc_buf_add_le64(out, tl.n[i]);
		}
		tally_release(&tl);
	}
	dc_buf_add_le64(out, sum_check(out->buf + start, out->len - start));
	dc_buf_release(&fp);
	dc_buf_release(&key);
	dc_buf_release(&keys);
}

static void seg_sum_release(struct seg_sum *x)
{
	free(x->field);
	free(x->ngroups);
	dc_buf_release(&x->raw);
}

/* Decode x->raw against the fingerprint `fp`: 0, or -1 if it does not fit. */
static int seg_sum_parse(struct seg_sum *x, const struct dc_buf *fp, size_t nfields)
{
	const unsigned char *p = (const unsigned char *)x->raw.buf, *end;
	size_t f, g;
	uint64_t v;

#define NEED(k) do { if ((size_t)(end - p) < (size_t)(k)) return -1; } while (0)
	if (x->raw.len < 4 + 8 + 8)
		return -1;
	end = p + x->raw.len - 8;
	if (dc_get_le64(end) != sum_check(p, x->raw.len - 8) || memcmp(p, "DCS1", 4))
		return -1;
	p += 4;
	NEED(8);
	v = dc_get_le64(p);
	p += 8;
	if (v != fp->len)
		return -1;
	NEED(v);
	if (memcmp(p, fp->buf, fp->len))
		return -1;
	p += v;
	NEED(24);
	x->n = dc_get_le64(p);
	x->flags = dc_get_le64(p + 8);
	x->nkeys = dc_get_le64(p + 16);
	p += 24;
	if (x->nkeys > x->n || x->n > ((size_t)1 << 40))
		return -1;
	NEED(x->nkeys * 16);
	x->keys = p;
	for (g = 0; g < x->nkeys; g++)
		if (dc_get_le64(p + 16 * g + 8) >= x->n)
			return -1;
	p += x->nkeys * 16;
	x->nfields = nfields;
	x->field = dc_xcalloc(nfields ? nfields : 1, sizeof(*x->field));
	x->ngroups = dc_xcalloc(nfields ? nfields : 1, sizeof(*x->ngroups));
	for (f = 0; f < nfields; f++) {
		NEED(8);
		x->ngroups[f] = dc_get_le64(p);
		p += 8;
		if (x->ngroups[f] > x->n)
			return -1;
		x->field[f] = p;
		for (g = 0; g < x->ngroups[f]; g++) {
			NEED(8);
			v = dc_get_le64(p);
			p += 8;
			NEED(v);
			p += v;
			NEED(8);
			p += 8;
		}
	}
	return p == end ? 0 : -1;
#undef NEED
}

static void lazy_free(struct dc_lazy *lz)
{
	size_t k;

	if (!lz)
		return;
	for (k = 0; k < lz->nseg; k++)
		seg_sum_release(&lz->sum[k]);
	free(lz->sum);
	free(lz->loaded);
	free(lz->khash);
	free(lz->kpos);
	free(lz->knext);
	free(lz->heads);
	free(lz);
}

static size_t grouped_fields(const struct dc_rules *r, const struct dc_section *s)
{
	size_t d, n = 0;

	for (d = 0; d < r->nderived; d++)
		n += grouped_count_of(&r->derived[d], s);
	return n;
}

/* The base keys of `lz`'s summaries (segments of `per` elements), in
 * chains of candidates in position order; every segment unread. */
static void lazy_index(struct dc_lazy *lz, size_t per)
{
	size_t k, i, pos;

	lz->loaded = dc_xcalloc(lz->nseg, 1);
	for (k = 0; k < lz->nseg; k++) {
		lz->base_n += lz->sum[k].n;
		lz->nk += lz->sum[k].nkeys;
	}
	/* chains in position order: prepend from the last candidate back */
	for (lz->mask = 1; lz->mask < 2 * lz->nk; lz->mask <<= 1)
		;
	lz->heads = dc_xmalloc(lz->mask * sizeof(*lz->heads));
	for (i = 0; i < lz->mask; i++)
		lz->heads[i] = NO_POS;
	lz->mask--;
	lz->khash = dc_xmalloc((lz->nk ? lz->nk : 1) * sizeof(*lz->khash));
	lz->kpos = dc_xmalloc((lz->nk ? lz->nk : 1) * sizeof(*lz->kpos));
	lz->knext = dc_xmalloc((lz->nk ? lz->nk : 1) * sizeof(*lz->knext));
	i = lz->nk;
	for (k = lz->nseg; k-- > 0;) {
		const struct seg_sum *x = &lz->sum[k];
		size_t j;

		for (j = x->nkeys; j-- > 0;) {
			uint64_t h = dc_get_le64(x->keys + 16 * j);

			pos = k * per + (size_t)dc_get_le64(x->keys + 16 * j + 8);
			i--;
			lz->khash[i] = h;
			lz->kpos[i] = pos;
			lz->knext[i] = lz->heads[h & lz->mask];
			lz->heads[h & lz->mask] = i;
		}
	}
}

/*
 * Open segmented file `f` (owned by section `s`) from its summaries: 1 done,
 * 0 when it must be read whole (no summaries, a plain file, an irregular
 * split), -1 on error.
 */
static int lazy_open(struct dc_state *st, struct dc_state_file *f, const struct dc_section *s,
		     struct dc_err *err)
{
	struct dc_buf path = DC_BUF_INIT, raw = DC_BUF_INIT, fp = DC_BUF_INIT;
	struct dc_lazy *lz = dc_xcalloc(1, sizeof(*lz));
	size_t k, alloc = 0, nfields = grouped_fields(st->rules, s);
	int exists, found, ret = -1;

	if (st->summary(st->summary_data, f->path, &raw, &exists, &found, err))
		goto cleanup;
	ret = 0;
	if (exists)
		goto cleanup;	/* a plain file to split: read whole */
	summary_fingerprint(&fp, st->rules, s);
	for (k = 0; k < DC_MAX_SEGMENTS; k++) {
		struct seg_sum *x;

		dc_buf_reset(&path);
		dc_rules_segment_path(&path, f->path, k);
		dc_buf_reset(&raw);
		ret = -1;
		if (st->summary(st->summary_data, path.buf, &raw, &exists, &found, err))
			goto cleanup;
		ret = 0;
		if (!exists)
			break;
		if (!found)
			goto cleanup;
		DC_ALLOC_GROW(lz->sum, k + 1, alloc);
		x = &lz->sum[k];
		memset(x, 0, sizeof(*x));
		x->raw = raw;
		dc_buf_init(&raw, 0);
		lz->nseg = k + 1;
		if (seg_sum_parse(x, &fp, nfields))
			goto cleanup;
		/* regular: every segment but the last full, the last not empty */
		if (k && lz->sum[k - 1].n != f->segment)
			goto cleanup;
		if (!x->n || x->n > f->segment)
			goto cleanup;
	}
	if (!lz->nseg || k == DC_MAX_SEGMENTS)
		goto cleanup;
	lz->s = s;
	lazy_index(lz, f->segment);
	f->doc = dc_json_new(DC_JSON_ARRAY);
	f->doc->u.arr.v = dc_xcalloc(lz->base_n, sizeof(*f->doc->u.arr.v));
	f->doc->u.arr.n = f->doc->u.arr.alloc = lz->base_n;
	lz->arr = f->doc;
	f->base_segments = lz->nseg;
	f->base_plain = 0;
	f->base_regular = 1;
	f->base_last = lz->sum[lz->nseg - 1].n;
	f->existed = 1;
	f->loaded = 1;
	f->lazy = lz;
	lz = NULL;
	ret = 1;
cleanup:
	lazy_free(lz);
	dc_buf_release(&path);
	dc_buf_release(&raw);
	dc_buf_release(&fp);
	return ret;
}

static int read_doc(struct dc_state *st, const char *path, struct dc_json **doc,
		    struct dc_err *err);

/* Read base segment k of a file opened from its summaries into its slots. */
static int lazy_load(struct dc_state *st, struct dc_state_file *f, size_t k, struct dc_err *err)
{
	struct dc_lazy *lz = f->lazy;
	struct dc_buf path = DC_BUF_INIT;
	struct dc_json *part = NULL;
	int ret = -1;

	if (lz->loaded[k])
		return 0;
	dc_rules_segment_path(&path, f->path, k);
	if (read_doc(st, path.buf, &part, err))
		goto cleanup;
	if (!part || part->type != DC_JSON_ARRAY || part->u.arr.n != lz->sum[k].n) {
		dc_err_set(err, DC_ERR_FATAL, "'%s' does not match its summary", path.buf);
		goto cleanup;
	}
	memcpy(f->doc->u.arr.v + k * f->segment, part->u.arr.v,
	       part->u.arr.n * sizeof(*part->u.arr.v));
	part->u.arr.n = 0;
	lz->loaded[k] = 1;
	ret = 0;
cleanup:
	dc_json_free(part);
	dc_buf_release(&path);
	return ret;
}

static int member_load(struct dc_state *st, struct dc_state_file *f, struct dc_lazy *lz,
		       size_t k, struct dc_err *err);

/* Find `key` among the base elements of array `lz` of file `f`, opened
 * from its summaries: 1 and *pos (the first such element), 0 if none, -1
 * on error. */
static int lazy_find(struct dc_state *st, struct dc_state_file *f, struct dc_lazy *lz,
		     const struct dc_buf *key, size_t *pos, struct dc_buf *scratch,
		     struct dc_err *err)
{
	uint64_t h = key_hash(key->buf, key->len);
	size_t i;

	if (!lz->nk)
		return 0;
	for (i = lz->heads[h & lz->mask]; i != NO_POS; i = lz->knext[i]) {
		size_t p = lz->kpos[i];

		if (lz->khash[i] != h)
			continue;
		if (lz->member ? member_load(st, f, lz, p, err) : lazy_load(st, f, p / f->segment, err))
			return -1;
		if (!element_key(scratch, lz->s, lz->arr->u.arr.v[p], NULL) &&
		    scratch->len == key->len && !memcmp(scratch->buf, key->buf, key->len)) {
			*pos = p;
			return 1;
		}
	}
	return 0;
}

/* The owner of segmented file `f` when the fold can read it by segments. */
static const struct dc_section *lazy_section(const struct dc_state *st,
					     const struct dc_state_file *f)
{
	const struct dc_section *s;

	if (!st->summary)
		return NULL;
	s = dc_rules_segmented(st->rules, f->path, NULL);
	if (!s || strcmp(s->file, f->path) || *s->at)
		return NULL;
	return s->op == DC_OP_APPEND || keyed_op(s->op) ? s : NULL;
}

/* ---- member arrays read by their summary ------------------------------ */

/*
 * A file that is not segmented is read the same way when every section and
 * count that writes it is an append, add or upsert into an array that is a
 * member of its top-level object, one section per member ("/posts",
 * "/comments"): its bytes are read but only its skeleton (the file with
 * those arrays emptied) is parsed, and each array holds a slot per base
 * element. A base element is parsed alone, from its place in the bytes,
 * when an event needs it (a key whose hash matches). The file is written
 * as its base bytes with the elements read replaced by their text when it
 * changed and the new elements spliced in before each array's closing
 * bracket: the bytes dc_json_write() gives, the base being in the
 * canonical layout. When the skeleton changed, or an upsert changed a base
 * element under a grouped count (its tallies come from the summary), the
 * file is parsed whole into the slots still empty and written whole.
 *
 * The file's summary, under its content id like a segment's:
 *
 *	"DCM1" <m>			arrays, in rules order, each:
 *	  <open> <close>		  the offsets of its brackets
 *	  <len> <len bytes>		  its segment summary
 *	  <n> x <offset>		  where each element starts
 *	<size>				the file's length
 *	<check>				sum_check() of all the bytes before
 */
struct member {
	size_t open, close;	/* of the array's brackets in the base bytes */
	size_t *off;		/* base element k starts at off[k] */
	struct dc_lazy *lz;
};

struct dc_members {
	struct dc_buf bytes;	/* the base file */
	struct dc_buf skel;	/* its skeleton: those arrays written "[]" */
	struct member *m;	/* rules order */
	size_t *order;		/* indexes into m, in the file's byte order */
	size_t n;
	int loaded;		/* the file was parsed whole into the slots */
	int changed_base;	/* an upsert changed a base element */
};

static void members_free(struct dc_members *mb)
{
	size_t i;

	if (!mb)
		return;
	for (i = 0; i < mb->n; i++) {
		lazy_free(mb->m[i].lz);
		free(mb->m[i].off);
	}
	free(mb->m);
	free(mb->order);
	dc_buf_release(&mb->bytes);
	dc_buf_release(&mb->skel);
	free(mb);
}

/*
 * The sections file `path` can be read by (see above), in rules order,
 * into `out` (room for every section); their number, 0 when it cannot.
 */
static size_t member_sections(const struct dc_rules *r, const char *path,
			      const struct dc_section **out)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->nderived; i++)
		if (!strcmp(r->derived[i].file, path))
			return 0;
	for (i = 0; i < r->nsections; i++) {
		const struct dc_section *s = &r->sections[i];

		if (s->publish_file && !strcmp(s->publish_file, path))
			return 0;
		if (!s->file || strcmp(s->file, path))
			continue;
		if ((s->op != DC_OP_APPEND && !keyed_op(s->op)) || s->segment ||
		    s->at[0] != '/' || strchr(s->at + 1, '/'))
			return 0;
		for (j = 0; j < n; j++)
			if (!strcmp(out[j]->at, s->at))
				return 0;
		out[n++] = s;
	}
	return n;
}

/*
 * Where the empty array that is top-level member `at` ("/name") opens in
 * `b`, bytes in the canonical layout: 0 and *open, or -1 when it is not
 * there once as "[]". A line of the layout that starts with exactly two
 * spaces holds a member of the top-level object: strings hold no raw
 * newline.
 */
static int member_empty(const char *b, size_t len, const char *at, size_t *open)
{
	struct dc_buf parent = DC_BUF_INIT, tok = DC_BUF_INIT, needle = DC_BUF_INIT;
	const char *p;
	int ret = -1;

	dc_json_pointer_split(at, &parent, &tok);
	dc_buf_adds(&needle, "\n  ");
	dc_json_write_string(&needle, tok.buf, tok.len);
	dc_buf_adds(&needle, ": []");
	p = memmem(b, len, needle.buf, needle.len);
	if (p && !memmem(p + 1, len - (size_t)(p + 1 - b), needle.buf, needle.len)) {
		*open = (size_t)(p - b) + needle.len - 2;
		ret = 0;
	}
	dc_buf_release(&parent);
	dc_buf_release(&tok);
	dc_buf_release(&needle);
	return ret;
}

/* Base element k of member `m` lies in [*start, *end) of the bytes. */
static void element_span(const struct member *m, size_t k, size_t *start, size_t *end)
{
	*start = m->off[k];
	*end = k + 1 < m->lz->base_n ? m->off[k + 1] - 6 : m->close - 3;
}

/* order[] = 0..n-1 sorted by open[] (n is small: the arrays of a file) */
static void sort_order(size_t *order, const size_t *open, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = i; j && open[order[j - 1]] > open[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
}

/* Do the summary's offsets describe the base bytes, as the layout has them? */
static int member_fits(const struct member *m, const char *b, size_t size)
{
	size_t k, n = m->lz->base_n, s, e;

	if (m->close <= m->open || m->close >= size || b[m->open] != '[' || b[m->close] != ']')
		return 0;
	if (!n)
		return m->close == m->open + 1;
	if (m->off[0] != m->open + 6 || memcmp(b + m->open, "[\n    ", 6) ||
	    m->close < m->open + 10 || memcmp(b + m->close - 3, "\n  ]", 4))
		return 0;
	for (k = 0; k < n; k++) {
		element_span(m, k, &s, &e);
		if (e <= s || (k + 1 < n && (m->off[k + 1] < s + 7 ||
					     memcmp(b + e, ",\n    ", 6))))
			return 0;
	}
	return 1;
}

/*
 * Open file `f` by its summary (see above): 1 done, 0 when it must be read
 * whole (it does not qualify, no usable summary), -1 on error.
 */
static int members_open(struct dc_state *st, struct dc_state_file *f, struct dc_err *err)
{
	const struct dc_section **secs = dc_xcalloc(st->rules->nsections + 1, sizeof(*secs));
	struct dc_members *mb = NULL;
	struct dc_buf raw = DC_BUF_INIT, fp = DC_BUF_INIT;
	struct dc_json *doc = NULL;
	struct dc_err perr = DC_ERR_INIT;
	const unsigned char *p, *end;
	size_t ns, i, k, at, size;
	int exists, found, ret = 0;

	if (!(ns = member_sections(st->rules, f->path, secs)))
		goto cleanup;
	ret = -1;
	if (st->summary(st->summary_data, f->path, &raw, &exists, &found, err))
		goto cleanup;
	ret = 0;
	if (!exists || !found || raw.len < 4 + 8 + 16)
		goto cleanup;
	p = (const unsigned char *)raw.buf;
	end = p + raw.len - 8;
	if (memcmp(p, "DCM1", 4) || dc_get_le64(end) != sum_check(p, raw.len - 8) ||
	    dc_get_le64(p + 4) != ns)
		goto cleanup;
	p += 12;
	mb = dc_xcalloc(1, sizeof(*mb));
	mb->m = dc_xcalloc(ns, sizeof(*mb->m));
	mb->n = ns;
	for (i = 0; i < ns; i++) {
		struct member *m = &mb->m[i];
		struct dc_lazy *lz;
		uint64_t len;

		if (end - p < 24)
			goto cleanup;
		m->open = (size_t)dc_get_le64(p);
		m->close = (size_t)dc_get_le64(p + 8);
		len = dc_get_le64(p + 16);
		p += 24;
		if ((uint64_t)(end - p) < len)
			goto cleanup;
		lz = m->lz = dc_xcalloc(1, sizeof(*lz));
		lz->s = secs[i];
		lz->member = 1;
		lz->nseg = 1;
		lz->sum = dc_xcalloc(1, sizeof(*lz->sum));
		dc_buf_add(&lz->sum[0].raw, p, (size_t)len);
		p += len;
		dc_buf_reset(&fp);
		summary_fingerprint(&fp, st->rules, secs[i]);
		if (seg_sum_parse(&lz->sum[0], &fp, grouped_fields(st->rules, secs[i])) ||
		    !(lz->sum[0].flags & SUM_CANONICAL) ||
		    (uint64_t)(end - p) / 8 < lz->sum[0].n)
			goto cleanup;
		m->off = dc_xcalloc(lz->sum[0].n + 1, sizeof(*m->off));
		for (k = 0; k < lz->sum[0].n; k++, p += 8)
			m->off[k] = (size_t)dc_get_le64(p);
		lazy_index(lz, 0);
	}
	if (end - p != 8)
		goto cleanup;
	size = (size_t)dc_get_le64(p);

	ret = -1;
	if (st->read(st->read_data, f->path, &mb->bytes, &exists, err))
		goto cleanup;
	ret = 0;
	if (!exists || mb->bytes.len != size)
		goto cleanup;
	mb->order = dc_xcalloc(ns, sizeof(*mb->order));
	{
		size_t *opens = dc_xcalloc(ns, sizeof(*opens));

		for (i = 0; i < ns; i++)
			opens[i] = mb->m[i].open;
		sort_order(mb->order, opens, ns);
		free(opens);
	}
	for (i = 0, at = 0; i < ns; i++) {
		const struct member *m = &mb->m[mb->order[i]];

		if (m->open < at || !member_fits(m, mb->bytes.buf, size))
			goto cleanup;
		dc_buf_add(&mb->skel, mb->bytes.buf + at, m->open + 1 - at);
		at = m->close;
	}
	dc_buf_add(&mb->skel, mb->bytes.buf + at, size - at);
	if (dc_json_parse(&doc, mb->skel.buf, mb->skel.len, &st->parse_opts, &perr))
		goto cleanup;	/* read whole: that says what is wrong */
	for (i = 0; i < ns; i++) {
		struct dc_lazy *lz = mb->m[i].lz;

		lz->arr = dc_json_pointer(doc, secs[i]->at, 0, DC_JSON_ARRAY, NULL);
		if (!lz->arr || lz->arr->type != DC_JSON_ARRAY || lz->arr->u.arr.n)
			goto cleanup;
	}
	for (i = 0; i < ns; i++) {
		struct dc_lazy *lz = mb->m[i].lz;

		free(lz->arr->u.arr.v);
		lz->arr->u.arr.v = dc_xcalloc(lz->base_n ? lz->base_n : 1, sizeof(*lz->arr->u.arr.v));
		lz->arr->u.arr.n = lz->arr->u.arr.alloc = lz->base_n;
	}
	f->doc = doc;
	doc = NULL;
	f->existed = 1;
	f->loaded = 1;
	f->members = mb;
	mb = NULL;
	ret = 1;
cleanup:
	dc_json_free(doc);
	members_free(mb);
	dc_err_release(&perr);
	dc_buf_release(&raw);
	dc_buf_release(&fp);
	free(secs);
	return ret;
}

static int not_its_summary(struct dc_err *err, const char *path)
{
	return dc_err_set(err, DC_ERR_FATAL, "'%s' does not match its summary", path);
}

/* Parse base element k of array `lz` (of file `f`) into its slot. */
static int member_load(struct dc_state *st, struct dc_state_file *f, struct dc_lazy *lz,
		       size_t k, struct dc_err *err)
{
	const struct dc_members *mb = f->members;
	const struct member *m = NULL;
	size_t i, s, e;

	if (lz->arr->u.arr.v[k])
		return 0;
	for (i = 0; i < mb->n && !m; i++)
		if (mb->m[i].lz == lz)
			m = &mb->m[i];
	element_span(m, k, &s, &e);
	if (dc_json_parse(&lz->arr->u.arr.v[k], mb->bytes.buf + s, e - s, &st->parse_opts, err))
		return not_its_summary(err, f->path);
	return 0;
}

/* Parse file `f`, opened by its summary, whole into the slots still empty. */
static int members_load(struct dc_state *st, struct dc_state_file *f, struct dc_err *err)
{
	struct dc_members *mb = f->members;
	struct dc_json *full = NULL, **arr = NULL;
	size_t i, k;
	int ret = -1;

	if (mb->loaded)
		return 0;
	if (dc_json_parse(&full, mb->bytes.buf, mb->bytes.len, &st->parse_opts, err)) {
		dc_err_prefix(err, "canonical file '%s' is not valid JSON", f->path);
		goto cleanup;
	}
	arr = dc_xcalloc(mb->n, sizeof(*arr));
	for (i = 0; i < mb->n; i++) {
		const struct dc_lazy *lz = mb->m[i].lz;

		arr[i] = dc_json_pointer(full, lz->s->at, 0, DC_JSON_ARRAY, NULL);
		if (!arr[i] || arr[i]->type != DC_JSON_ARRAY || arr[i]->u.arr.n != lz->base_n) {
			not_its_summary(err, f->path);
			goto cleanup;
		}
	}
	for (i = 0; i < mb->n; i++) {
		struct dc_lazy *lz = mb->m[i].lz;

		/* an element read alone stays: an upsert may have changed it */
		for (k = 0; k < lz->base_n; k++) {
			if (lz->arr->u.arr.v[k]) {
				dc_json_free(arr[i]->u.arr.v[k]);
				continue;
			}
			lz->arr->u.arr.v[k] = arr[i]->u.arr.v[k];
		}
		arr[i]->u.arr.n = 0;
		lz->loaded[0] = 1;
	}
	mb->loaded = 1;
	ret = 0;
cleanup:
	dc_json_free(full);
	free(arr);
	return ret;
}

/* The array `arr` of file `f` when the fold fills it slot by slot. */
static struct dc_lazy *lazy_of(const struct dc_state_file *f, const struct dc_json *arr)
{
	size_t i;

	if (f->lazy && arr == f->doc)
		return f->lazy;
	for (i = 0; f->members && i < f->members->n; i++)
		if (f->members->m[i].lz->arr == arr)
			return f->members->m[i].lz;
	return NULL;
}

/*
 * The summary (see above) of a file `len` bytes long into `sum`: its
 * arrays arr[] (of sections secs[], rules order), their brackets at open[]
 * and close[], their elements starting at off[][]; each array's from its
 * base summary and the elements added (base[i] set), or from all its
 * elements.
 */
static void members_summary(struct dc_buf *sum, const struct dc_state *st,
			    const struct dc_section *const *secs, struct dc_json *const *arr,
			    const struct dc_lazy *const *base, size_t ns, size_t len,
			    const size_t *open, const size_t *close, size_t *const *off)
{
	struct dc_buf one = DC_BUF_INIT;
	size_t i, k, start = sum->len;

	dc_buf_adds(sum, "DCM1");
	dc_buf_add_le64(sum, ns);
	for (i = 0; i < ns; i++) {
		size_t from = base[i] ? base[i]->base_n : 0;

		dc_buf_reset(&one);
		summarize(&one, st->rules, secs[i], base[i] ? &base[i]->sum[0] : NULL,
			  arr[i]->u.arr.v + from, arr[i]->u.arr.n - from, SUM_CANONICAL,
			  &st->targets[secs[i] - st->rules->sections], from);
		dc_buf_add_le64(sum, open[i]);
		dc_buf_add_le64(sum, close[i]);
		dc_buf_add_le64(sum, one.len);
		dc_buf_add(sum, one.buf, one.len);
		for (k = 0; k < arr[i]->u.arr.n; k++)
			dc_buf_add_le64(sum, off[i][k]);
	}
	dc_buf_add_le64(sum, len);
	dc_buf_add_le64(sum, sum_check(sum->buf + start, sum->len - start));
	dc_buf_release(&one);
}

/* An array of a file laid out by splice_arrays(). */
struct lay {
	const struct dc_json *arr;
	size_t open, close;	/* its brackets in the text it is laid into */
	const struct member *m;	/* where its base elements lie; NULL: none */
};

/* Append b[at, at + len) to `out`, and say so in `same` (may be NULL),
 * out's offsets counted from `start`. */
static void copy_from(struct dc_buf *out, size_t start, const char *b, size_t at, size_t len,
		      struct dc_sames *same)
{
	struct dc_same *last = same && same->n ? &same->v[same->n - 1] : NULL;

	if (!len)
		return;
	if (last && last->to + last->len == out->len - start && last->from + last->len == at) {
		last->len += len;
	} else if (same) {
		DC_ALLOC_GROW(same->v, same->n + 1, same->alloc);
		same->v[same->n++] = (struct dc_same){ out->len - start, at, len };
	}
	dc_buf_add(out, b + at, len);
}

/*
 * Append `b` (len bytes) with the arrays lay[] laid out anew (order[]: by
 * their place in `b`): the base elements as they are in `b` (those read
 * written again when an upsert changed them), then the others. Where each
 * array's brackets and elements land, from the first byte appended, into
 * open[], close[] and off[] (malloc'd), indexed as lay[]; where the
 * appended bytes are b's into `same` (may be NULL).
 */
static void splice_arrays(struct dc_buf *out, const char *b, size_t len, const struct lay *lay,
			  const size_t *order, size_t n, size_t *open, size_t *close,
			  size_t **off, struct dc_sames *same)
{
	struct dc_buf el = DC_BUF_INIT;
	size_t i, k, at = 0, start = out->len;

	for (i = 0; i < n; i++) {
		size_t j = order[i], s, e, delta, base = lay[j].m ? lay[j].m->lz->base_n : 0;
		const struct dc_json *arr = lay[j].arr;

		off[j] = dc_xcalloc(arr->u.arr.n + 1, sizeof(**off));
		copy_from(out, start, b, at, lay[j].open - at, same);
		at = lay[j].open;
		/* out - start = at + delta (mod 2^64: the text may shrink) */
		delta = out->len - start - at;
		open[j] = at + delta;
		if (!arr->u.arr.n) {
			dc_buf_adds(out, "[]");
			close[j] = open[j] + 1;
			at = lay[j].close + 1;
			continue;
		}
		if (base) {
			for (k = 0; k < base; k++) {
				element_span(lay[j].m, k, &s, &e);
				off[j][k] = s + delta;
				if (!arr->u.arr.v[k])
					continue;
				/* read: the same bytes unless an upsert changed it */
				dc_buf_reset(&el);
				dc_json_write_at(&el, arr->u.arr.v[k], 4);
				if (el.len == e - s && !memcmp(el.buf, b + s, el.len))
					continue;
				copy_from(out, start, b, at, s - at, same);
				dc_buf_add(out, el.buf, el.len);
				at = e;
				delta += el.len - (e - s);
			}
			/* the base's last element ends before "\n  ]" */
			copy_from(out, start, b, at, lay[j].close - 3 - at, same);
		} else {
			dc_buf_addch(out, '[');
		}
		for (k = base; k < arr->u.arr.n; k++) {
			dc_buf_adds(out, k ? ",\n    " : "\n    ");
			off[j][k] = out->len - start;
			dc_json_write_at(out, arr->u.arr.v[k], 4);
		}
		dc_buf_adds(out, "\n  ]");
		close[j] = out->len - start - 1;
		at = lay[j].close + 1;
	}
	copy_from(out, start, b, at, len - at, same);
	dc_buf_release(&el);
}

/* Empty the arrays arr[], their lengths kept in n[]; with `restore`, give
 * them back. */
static void empty_arrays(struct dc_json *const *arr, size_t *n, size_t count, int restore)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (!restore)
			n[i] = arr[i]->u.arr.n;
		arr[i]->u.arr.n = restore ? n[i] : 0;
	}
}

/*
 * The bytes of `f` into `out`, opened by its summary and not parsed whole:
 * its base bytes with the elements read and changed written again and the
 * new ones spliced in; its summary into `sum` (may be NULL); where they
 * are the base's into `same` (may be NULL). 1 done, 0 when its skeleton
 * changed (then nothing is added to `out`).
 */
static int members_splice(struct dc_buf *out, struct dc_buf *sum, struct dc_sames *same,
			  const struct dc_state *st, const struct dc_state_file *f)
{
	const struct dc_members *mb = f->members;
	struct dc_buf sk = DC_BUF_INIT;
	struct dc_json **arr = dc_xcalloc(mb->n, sizeof(*arr));
	const struct dc_section **secs = dc_xcalloc(mb->n, sizeof(*secs));
	const struct dc_lazy **base = dc_xcalloc(mb->n, sizeof(*base));
	struct lay *lay = dc_xcalloc(mb->n, sizeof(*lay));
	size_t *open = dc_xcalloc(mb->n, sizeof(*open)), *close = dc_xcalloc(mb->n, sizeof(*close));
	size_t **off = dc_xcalloc(mb->n, sizeof(*off)), i, start = out->len;
	int kept;

	/* the skeleton as it would be written now */
	for (i = 0; i < mb->n; i++) {
		arr[i] = mb->m[i].lz->arr;
		secs[i] = mb->m[i].lz->s;
		base[i] = mb->m[i].lz;
	}
	empty_arrays(arr, open, mb->n, 0);
	dc_json_write(&sk, f->doc);
	empty_arrays(arr, open, mb->n, 1);
	kept = sk.len == mb->skel.len && !memcmp(sk.buf, mb->skel.buf, sk.len);
	if (kept) {
		for (i = 0; i < mb->n; i++) {
			lay[i].arr = arr[i];
			lay[i].open = mb->m[i].open;
			lay[i].close = mb->m[i].close;
			lay[i].m = &mb->m[i];
		}
		splice_arrays(out, mb->bytes.buf, mb->bytes.len, lay, mb->order, mb->n, open,
			      close, off, same);
		if (sum)
			members_summary(sum, st, secs, arr, base, mb->n, out->len - start, open,
					close, off);
	}
	for (i = 0; i < mb->n; i++)
		free(off[i]);
	free(off);
	free(open);
	free(close);
	free(lay);
	free(arr);
	free(secs);
	free(base);
	dc_buf_release(&sk);
	return kept;
}

/*
 * `f` (not opened by its summary) written whole into `out`, its arrays
 * element by element to learn where each lies, and its summary into
 * `sum`: 1 done, 0 when the file cannot have one (nothing added).
 */
static int members_write(struct dc_buf *out, struct dc_buf *sum, const struct dc_state *st,
			 const struct dc_state_file *f)
{
	const struct dc_section **secs = dc_xcalloc(st->rules->nsections + 1, sizeof(*secs));
	size_t ns = member_sections(st->rules, f->path, secs), i, start = out->len;
	struct dc_json **arr = dc_xcalloc(ns + 1, sizeof(*arr));
	const struct dc_lazy **none = dc_xcalloc(ns + 1, sizeof(*none));
	struct lay *lay = dc_xcalloc(ns + 1, sizeof(*lay));
	size_t *open = dc_xcalloc(ns + 1, sizeof(*open)), *close = dc_xcalloc(ns + 1, sizeof(*close));
	size_t **off = dc_xcalloc(ns + 1, sizeof(*off)), *order = dc_xcalloc(ns + 1, sizeof(*order));
	size_t *where = dc_xcalloc(ns + 1, sizeof(*where));
	struct dc_buf sk = DC_BUF_INIT;
	int ok = ns > 0;

	for (i = 0; ok && i < ns; i++) {
		arr[i] = dc_json_pointer(f->doc, secs[i]->at, 0, DC_JSON_ARRAY, NULL);
		ok = arr[i] && arr[i]->type == DC_JSON_ARRAY;
	}
	/* the skeleton, and where its arrays are */
	if (ok) {
		empty_arrays(arr, where, ns, 0);
		dc_json_write(&sk, f->doc);
		empty_arrays(arr, where, ns, 1);
	}
	for (i = 0; ok && i < ns; i++) {
		ok = !member_empty(sk.buf, sk.len, secs[i]->at, &where[i]);
		lay[i].open = where[i];
		lay[i].close = where[i] + 1;
		lay[i].arr = arr[i];
	}
	if (ok) {
		sort_order(order, where, ns);
		splice_arrays(out, sk.buf, sk.len, lay, order, ns, open, close, off, NULL);
		members_summary(sum, st, secs, arr, none, ns, out->len - start, open, close,
				off);
	}
	for (i = 0; i < ns; i++)
		free(off[i]);
	free(off);
	free(order);
	free(where);
	free(open);
	free(close);
	free(lay);
	free(arr);
	free(none);
	free(secs);
	dc_buf_release(&sk);
	return ok;
}

int dc_state_by_summary(const struct dc_state_file *f, size_t *parsed, size_t *total)
{
	const struct dc_members *mb = f->members;
	size_t i, k;

	*parsed = *total = 0;
	if (!mb)
		return 0;
	for (i = 0; i < mb->n; i++) {
		const struct dc_lazy *lz = mb->m[i].lz;

		*total += lz->base_n;
		for (k = 0; k < lz->base_n; k++)
			*parsed += lz->arr->u.arr.v[k] != NULL;
	}
	return mb->loaded ? 2 : 1;
}

int dc_state_file_bytes(struct dc_buf *out, struct dc_buf *sum, struct dc_sames *same,
			struct dc_state *st, struct dc_state_file *f, struct dc_err *err)
{
	if (same)
		same->n = 0;
	if (f->members && !f->members->loaded && members_splice(out, sum, same, st, f))
		return 0;
	if (same)
		same->n = 0;
	if (f->members && members_load(st, f, err))
		return -1;
	if (sum && !f->segment && members_write(out, sum, st, f))
		return 0;
	dc_json_write(out, f->doc);
	return 0;
}

size_t dc_fold_changed_since(const struct dc_state *st, size_t si, size_t *cursor,
			     const size_t **pos)
{
	const struct dc_fold_target *t = &st->targets[si];
	size_t from = *cursor < t->nchanged ? *cursor : t->nchanged;

	*pos = t->changed + from;
	*cursor = t->nchanged;
	return t->nchanged - from;
}

size_t dc_state_segments_read(const struct dc_state_file *f, size_t *total)
{
	size_t k, n = 0;

	*total = f->base_segments;
	if (!f->lazy)
		return f->loaded ? f->base_segments : 0;
	for (k = 0; k < f->lazy->nseg; k++)
		n += f->lazy->loaded[k] != 0;
	return n;
}

/*
 * Chunk k of a file read by segments is its last base segment, never read,
 * and only grew: its bytes are the base segment's with the new elements
 * spliced in before the closing bracket (the same bytes as writing the
 * whole chunk, the base being in the canonical layout).
 */
static int grown_only(const struct dc_state_file *f, size_t k)
{
	const struct dc_lazy *lz = f->lazy;

	/* never read, so none of its base elements changed */
	return lz && k + 1 == lz->nseg && !lz->loaded[k] &&
		(lz->sum[k].flags & SUM_CANONICAL) && f->doc->u.arr.n > lz->base_n;
}

int dc_state_chunk_bytes(struct dc_buf *out, struct dc_state *st, const struct dc_state_file *f,
			 size_t k, struct dc_err *err)
{
	struct dc_buf path = DC_BUF_INIT, raw = DC_BUF_INIT, tail = DC_BUF_INIT;
	struct dc_json view;
	size_t from, end;
	int exists = 0, ret = -1;

	if (!grown_only(f, k)) {
		dc_state_chunk_write(out, f, k);
		return 0;
	}
	dc_rules_segment_path(&path, f->path, k);
	if (st->read(st->read_data, path.buf, &raw, &exists, err))
		goto cleanup;
	if (!exists || raw.len < 4 || memcmp(raw.buf + raw.len - 3, "\n]\n", 3)) {
		dc_err_set(err, DC_ERR_FATAL, "'%s' does not match its summary", path.buf);
		goto cleanup;
	}
	from = f->lazy->base_n;
	end = (k + 1) * f->segment;
	if (end > f->doc->u.arr.n)
		end = f->doc->u.arr.n;
	/* "[\n  e1,\n  e2\n]\n": its elements go after the base's last one */
	view = *f->doc;
	view.u.arr.v = f->doc->u.arr.v + from;
	view.u.arr.n = view.u.arr.alloc = end - from;
	dc_json_write(&tail, &view);
	dc_buf_add(out, raw.buf, raw.len - 3);
	dc_buf_adds(out, ",\n");
	dc_buf_add(out, tail.buf + 2, tail.len - 2);
	ret = 0;
cleanup:
	dc_buf_release(&path);
	dc_buf_release(&raw);
	dc_buf_release(&tail);
	return ret;
}

int dc_state_chunk_summary(struct dc_buf *out, const struct dc_state *st,
			   const struct dc_state_file *f, size_t k, int written)
{
	const struct dc_section *s = dc_rules_segmented(st->rules, f->path, NULL);
	size_t from = k * f->segment, n, i;
	uint64_t flags = written ? SUM_CANONICAL : 0;

	if (!s || !f->doc || from >= f->doc->u.arr.n)
		return -1;
	n = f->doc->u.arr.n - from;
	if (n > f->segment)
		n = f->segment;
	if (grown_only(f, k)) {
		/* the base segment's summary, then the new elements */
		size_t base = f->lazy->base_n - from;
		summarize(out, st->rules, s, &f->lazy->sum[k], f->doc->u.arr.v + from + base,
			  n - base, flags, &st->targets[s - st->rules->sections], from + base);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!f->doc->u.arr.v[from + i])
			return -1;
	summarize(out, st->rules, s, NULL, f->doc->u.arr.v + from, n, flags,
		  &st->targets[s - st->rules->sections], from);
	return 0;
}

static int load_file(struct dc_state *st, struct dc_state_file *f, struct dc_err *err)
{
	const struct dc_section *s;

	if (f->loaded)
		return 0;
	if (f->segment && (s = lazy_section(st, f))) {
		int r = lazy_open(st, f, s, err);
		if (r)
			return r < 0 ? -1 : 0;
	}
	if (f->segment)
		return load_segmented(st, f, err);
	if (st->summary) {
		int r = members_open(st, f, err);
		if (r)
			return r < 0 ? -1 : 0;
	}
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
	size_t n;

	if (!f->base_regular || k >= f->base_segments || (k < f->ntouched && f->touched[k]))
		return 1;
	if (k + 1 < f->base_segments)
		return 0;
	/* the last base segment: the same unless elements were added to it */
	n = f->doc->u.arr.n - k * f->segment;
	return (n < f->segment ? n : f->segment) != f->base_last;
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
		dc_json_drop(st->files[i].doc);
		lazy_free(st->files[i].lazy);
		members_free(st->files[i].members);
	}
	free(st->files);
	if (st->targets) {
		for (i = 0; i < st->rules->nsections; i++) {
			free(st->targets[i].index.slot);
			free(st->targets[i].changed);
		}
	}
	for (i = 0; st->counts && i < st->rules->nderived; i++) {
		tally_release(&st->counts[i].t);
		free(st->counts[i].group);
	}
	free(st->counts);
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

static void key_index_put(struct key_index *x, uint64_t h, size_t pos)
{
	size_t j, mask;

	if (2 * (x->n + 1) > x->cap) {
		struct key_slot *old = x->slot;
		size_t oldcap = x->cap, i;

		x->cap = oldcap ? 2 * oldcap : 64;
		x->slot = dc_xreallocarray(NULL, x->cap, sizeof(*x->slot));
		for (i = 0; i < x->cap; i++)
			x->slot[i].pos = NO_POS;
		x->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].pos != NO_POS)
				key_index_put(x, old[i].hash, old[i].pos);
		free(old);
	}
	mask = x->cap - 1;
	for (j = key_slot0(h, mask); x->slot[j].pos != NO_POS; j = (j + 1) & mask)
		;
	x->slot[j].hash = h;
	x->slot[j].pos = pos;
	x->n++;
}

/* The element of `arr` indexed under `key` (hash h): 1 and *pos, or 0. */
static int key_index_get(const struct key_index *x, const struct dc_section *s,
			 const struct dc_json *arr, const char *key, size_t len, uint64_t h,
			 size_t *pos, struct dc_buf *scratch)
{
	size_t j, mask = x->cap - 1;

	if (!x->cap)
		return 0;
	for (j = key_slot0(h, mask); x->slot[j].pos != NO_POS; j = (j + 1) & mask) {
		const struct key_slot *k = &x->slot[j];

		if (k->hash != h || element_key(scratch, s, arr->u.arr.v[k->pos], NULL) ||
		    scratch->len != len || memcmp(scratch->buf, key, len))
			continue;
		if (pos)
			*pos = k->pos;
		return 1;
	}
	return 0;
}

/* Bring the index of an array target up to date with its elements. */
static void index_catch_up(struct dc_fold_target *t, const struct dc_section *s,
			   struct dc_json *arr, struct dc_buf *scratch)
{
	struct dc_buf other = DC_BUF_INIT;

	if (t->indexed_in != arr) {
		free(t->index.slot);
		memset(&t->index, 0, sizeof(t->index));
		/* a file read by segments: its base elements are found by
		 * lazy_find(), the index holds only the elements added since */
		const struct dc_lazy *lz = t->file ? lazy_of(t->file, arr) : NULL;

		t->indexed = lz ? lz->base_n : 0;
		t->indexed_in = arr;
	}
	for (; t->indexed < arr->u.arr.n; t->indexed++) {
		uint64_t h;

		if (element_key(scratch, s, arr->u.arr.v[t->indexed], NULL))
			continue;
		/* the first of equal elements wins: later ones are not indexed */
		h = key_hash(scratch->buf, scratch->len);
		if (!key_index_get(&t->index, s, arr, scratch->buf, scratch->len, h, NULL, &other))
			key_index_put(&t->index, h, t->indexed);
	}
	dc_buf_release(&other);
}

/* The element of array target `c` with key `key`: 1 and *pos (the first
 * such element), 0 if none, -1 on error. */
static int find_element(struct dc_state *st, struct dc_fold_target *t, const struct dc_section *s,
			struct dc_json *c, const struct dc_buf *key, size_t *pos,
			struct dc_err *err)
{
	struct dc_buf scratch = DC_BUF_INIT;
	struct dc_lazy *lz = lazy_of(t->file, c);
	int r = 0;

	if (lz)
		r = lazy_find(st, t->file, lz, key, pos, &scratch, err);
	if (!r) {
		index_catch_up(t, s, c, &scratch);
		r = key_index_get(&t->index, s, c, key->buf, key->len,
				  key_hash(key->buf, key->len), pos, &scratch);
	}
	dc_buf_release(&scratch);
	return r;
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
		size_t pos;
		int r = find_element(st, t, s, c, key, &pos, err);
		if (r)
			return r < 0 ? -1 : 0;
	}
	if (target(st, s, 1, &c, err))
		return -1;
	index_catch_up(t, s, c, &scratch);
	dc_buf_release(&scratch);
	key_index_put(&t->index, key_hash(key->buf, key->len), c->u.arr.n);
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
		int r = find_element(st, t, s, c, key, &pos, err);
		if (r < 0)
			return -1;
		if (r) {
			cur = c->u.arr.v[pos];
			if (cur->type == DC_JSON_OBJECT) {
				int changed = merge_object(cur, ev);
				const struct dc_lazy *lz = lazy_of(t->file, c);

				if (changed)
					touch(t->file, pos);
				/* a grouped count's tallies come from the summary */
				if (changed && lz && lz->member && pos < lz->base_n &&
				    grouped_fields(st->rules, s))
					t->file->members->changed_base = 1;
				if (changed && st->track_changes) {
					DC_ALLOC_GROW(t->changed, t->nchanged + 1, t->alloc_changed);
					t->changed[t->nchanged++] = pos;
				}
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
	key_index_put(&t->index, key_hash(key->buf, key->len), c->u.arr.n);
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

static void tally_elements(struct tally *t, const struct dc_derived *dv, const struct dc_json *of,
			   size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		struct dc_json *e = container_elem(of, i);
		struct dc_json *g = e->type == DC_JSON_OBJECT ? dc_json_get(e, dv->group_by) : NULL;

		if (g && g->type == DC_JSON_STRING)
			tally_add(t, g->u.str.s, g->u.str.len, 1);
	}
}

/* The tallies of the segments (of `per` elements) of array `lz` the fold
 * never read, from their summaries; those it read are counted from their
 * elements. */
static void tally_lazy(struct tally *t, const struct dc_rules *r, const struct dc_derived *dv,
		       const struct dc_lazy *lz, size_t per)
{
	size_t k, g, fi = 0, d;

	for (d = 0; &r->derived[d] != dv; d++)
		fi += grouped_count_of(&r->derived[d], lz->s);
	for (k = 0; k < lz->nseg; k++) {
		const unsigned char *p = lz->sum[k].field[fi];

		if (lz->loaded[k]) {
			tally_elements(t, dv, lz->arr, k * per, k * per + lz->sum[k].n);
			continue;
		}
		for (g = 0; g < lz->sum[k].ngroups[fi]; g++) {
			size_t len = (size_t)dc_get_le64(p);

			tally_add(t, (const char *)p + 8, len, (size_t)dc_get_le64(p + 8 + len));
			p += 16 + len;
		}
	}
	tally_elements(t, dv, lz->arr, lz->base_n, lz->arr->u.arr.n);
}

static const struct dc_json *group_of(const struct dc_json *e, const struct dc_derived *dv)
{
	const struct dc_json *g = e->type == DC_JSON_OBJECT ? dc_json_get(e, dv->group_by) : NULL;
	return g && g->type == DC_JSON_STRING ? g : NULL;
}

/* Bring the kept tally of derived count `d` (of section `s`) up to `of`. */
static struct tally *count_cached(struct dc_state *st, size_t d, const struct dc_section *s,
				  const struct dc_json *of)
{
	struct dc_count_cache *c;
	const size_t *pos;
	size_t i, n = of->u.arr.n, nch;
	int valid;

	if (!st->counts)
		st->counts = dc_xcalloc(st->rules->nderived, sizeof(*st->counts));
	c = &st->counts[d];
	valid = c->of == of && c->counted <= n;
	nch = dc_fold_changed_since(st, s - st->rules->sections, &c->cursor, &pos);
	for (i = 0; valid && i < nch; i++) {
		const struct dc_json *g;
		size_t p = pos[i], old;

		if (p >= c->counted)
			continue;
		g = group_of(of->u.arr.v[p], &st->rules->derived[d]);
		old = c->group[p];
		if (old == NO_POS ? g != NULL :
		    !g || g->u.str.len != c->t.len[old] ||
		    memcmp(g->u.str.s, c->t.name[old], g->u.str.len))
			valid = 0;
	}
	if (!valid) {
		tally_release(&c->t);
		memset(&c->t, 0, sizeof(c->t));
		c->t.owned = 1;
		c->counted = 0;
		c->of = of;
	}
	if (n > c->alloc_group) {
		c->alloc_group = n + n / 2 + 16;
		c->group = dc_xreallocarray(c->group, c->alloc_group, sizeof(*c->group));
	}
	for (i = c->counted; i < n; i++) {
		const struct dc_json *g = group_of(of->u.arr.v[i], &st->rules->derived[d]);
		c->group[i] = g ? tally_add(&c->t, g->u.str.s, g->u.str.len, 1) : NO_POS;
	}
	c->counted = n;
	return &c->t;
}

static int count_grouped(struct dc_state *st, const struct dc_derived *dv,
			 const struct dc_section *s, const struct dc_state_file *of_file,
			 struct dc_json *of, struct dc_state_file *f, struct dc_err *err)
{
	struct tally own = TALLY_INIT, *tp = &own;
	const struct dc_lazy *lz = of_file && of ? lazy_of(of_file, of) : NULL;
	size_t i, pos;
	struct dc_json *map = NULL;
	struct dc_buf ptr = DC_BUF_INIT;
	int ret = -1, changed = 0;

	if (lz)
		tally_lazy(&own, st->rules, dv, lz, of_file->segment);
	else if (st->track_changes && of && of->type == DC_JSON_ARRAY && s->op != DC_OP_COLLECT)
		tp = count_cached(st, (size_t)(dv - st->rules->derived), s, of);
	else
		tally_elements(&own, dv, of, 0, container_size(of));
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
		size_t c = dc_map_get(&tp->counts, m->key, m->keylen, &pos) ? tp->n[pos] : 0;

		if (m->val->type != DC_JSON_OBJECT)
			continue;
		dc_buf_reset(&ptr);
		dc_buf_adds(&ptr, dv->at);
		dc_json_pointer_append(&ptr, m->key, m->keylen);
		changed |= put_member(st, f, m->val, ptr.buf, dv->field, strlen(dv->field),
				      dc_json_new_int((int64_t)c));
	}
	for (i = 0; i < tp->ngroups; i++) {
		struct dc_json *ent;

		if (map && dc_json_getn(map, tp->name[i], tp->len[i]))
			continue;
		if (!map && !(map = ensure_object(st, f, dv->at, err)))
			goto cleanup;
		ent = dc_json_new(DC_JSON_OBJECT);
		dc_json_set(ent, dv->field, strlen(dv->field), dc_json_new_int((int64_t)tp->n[i]));
		put_member(st, f, map, dv->at, tp->name[i], tp->len[i], ent);
		changed = 1;
	}
	if (changed)
		f->changed = 1;
	ret = 0;
cleanup:
	dc_buf_release(&ptr);
	tally_release(&own);
	return ret;
}

int dc_fold_finish(struct dc_state *st, struct dc_err *err)
{
	size_t i;

	/* the tallies of a file's summary are those of its base elements */
	for (i = 0; i < st->nfiles; i++)
		if (st->files[i].members && st->files[i].members->changed_base &&
		    members_load(st, &st->files[i], err))
			return -1;

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
			const struct dc_state_file *of_file = s->op == DC_OP_COLLECT ? NULL :
				st->targets[s - st->rules->sections].file;
			if (count_grouped(st, dv, s, of_file, of, f, err))
				return -1;
			continue;
		}
		r = put_at(st, f, dv->at, dc_json_new_int((int64_t)container_size(of)), err);
		if (r < 0)
			return -1;
		if (r)
			f->changed = 1;
	}
	/* a file read by segments: the chunks to write must be in memory */
	for (i = 0; i < st->nfiles; i++) {
		struct dc_state_file *f = &st->files[i];
		size_t k;

		if (!f->lazy || !f->changed)
			continue;
		for (k = 0; k < f->lazy->nseg; k++)
			if (dc_state_chunk_dirty(f, k) && !grown_only(f, k) &&
			    lazy_load(st, f, k, err))
				return -1;
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
		/* not a file the counts write (member_sections()): whole, then */
		if (f->members) {
			if (members_load(st, f, err))
				goto cleanup;
			if (!at || !*at->u.str.s)
				goto corrupt;
		}
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
