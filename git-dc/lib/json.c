#include "json.h"

const struct dc_json_parse_opts dc_canonical_opts = { DC_CANONICAL_MAX_DEPTH };
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Objects with more members than this get a hash index of their keys. */
#define DC_JSON_INDEX_MIN 16
#define DC_JSON_DEFAULT_DEPTH 512
/* At most this many bytes of a key or token are quoted in a message. */
#define DC_JSON_QUOTE_MAX 64

struct dc_json_slot {
	uint64_t hash;
	size_t pos1;		/* member index + 1; 0 = empty slot */
};

/* Open addressing with linear probing, load factor at most 1/2. */
struct dc_json_index {
	size_t mask;		/* number of slots - 1, a power of two minus one */
	struct dc_json_slot *slots;
};

static void bug(const char *what)
{
	fprintf(stderr, "BUG: json.c: %s\n", what);
	abort();
}

/* ---- the key index -------------------------------------------------------- */

static uint64_t key_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static void index_put(struct dc_json_index *ix, uint64_t hash, size_t pos)
{
	size_t i = hash & ix->mask;

	while (ix->slots[i].pos1)
		i = (i + 1) & ix->mask;
	ix->slots[i].hash = hash;
	ix->slots[i].pos1 = pos + 1;
}

static void index_free(struct dc_json_index *ix)
{
	if (!ix)
		return;
	free(ix->slots);
	free(ix);
}

/* (Re)build the index of `obj` with room for at least `need` keys. */
static void index_build(struct dc_json *obj, size_t need)
{
	struct dc_json_index *old = obj->u.obj.idx, *ix;
	size_t cap = 64, i;

	while (cap / 2 < need)
		cap *= 2;
	ix = dc_xmalloc(sizeof(*ix));
	ix->mask = cap - 1;
	ix->slots = dc_xcalloc(cap, sizeof(*ix->slots));
	if (old) {
		for (i = 0; i <= old->mask; i++)
			if (old->slots[i].pos1)
				index_put(ix, old->slots[i].hash, old->slots[i].pos1 - 1);
		index_free(old);
	} else {
		for (i = 0; i < obj->u.obj.n; i++) {
			const struct dc_json_member *m = &obj->u.obj.m[i];
			index_put(ix, key_hash(m->key, m->keylen), i);
		}
	}
	obj->u.obj.idx = ix;
}

static long index_find(const struct dc_json *obj, const char *key, size_t keylen)
{
	const struct dc_json_index *ix = obj->u.obj.idx;
	uint64_t hash = key_hash(key, keylen);
	size_t i = hash & ix->mask, pos1;

	while ((pos1 = ix->slots[i].pos1)) {
		const struct dc_json_member *m = &obj->u.obj.m[pos1 - 1];
		if (ix->slots[i].hash == hash && m->keylen == keylen &&
		    !memcmp(m->key, key, keylen))
			return (long)(pos1 - 1);
		i = (i + 1) & ix->mask;
	}
	return -1;
}

/*
 * Forget member `pos` (whose key hashes to `hash`) and renumber the members
 * after it, which are about to move down by one.
 */
static void index_remove(struct dc_json_index *ix, uint64_t hash, size_t pos)
{
	size_t i = hash & ix->mask, j, home;

	while (ix->slots[i].pos1 != pos + 1)
		i = (i + 1) & ix->mask;
	/* backward-shift deletion keeps every probe chain unbroken */
	for (;;) {
		ix->slots[i].pos1 = 0;
		j = i;
		for (;;) {
			j = (j + 1) & ix->mask;
			if (!ix->slots[j].pos1)
				goto renumber;
			home = ix->slots[j].hash & ix->mask;
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			ix->slots[i] = ix->slots[j];
			i = j;
			break;
		}
	}
renumber:
	for (i = 0; i <= ix->mask; i++)
		if (ix->slots[i].pos1 > pos + 1)
			ix->slots[i].pos1--;
}

/* ---- building and freeing ------------------------------------------------- */

struct dc_json *dc_json_new(enum dc_json_type type)
{
	struct dc_json *v = dc_xcalloc(1, sizeof(*v));
	v->type = type;
	return v;
}

static struct dc_json *new_text(enum dc_json_type type, char *s, size_t len)
{
	struct dc_json *v = dc_xmalloc(sizeof(*v));
	v->type = type;
	v->u.str.s = s;
	v->u.str.len = len;
	return v;
}

struct dc_json *dc_json_new_string(const char *s, size_t len)
{
	return new_text(DC_JSON_STRING, dc_xmemdupz(s, len), len);
}

struct dc_json *dc_json_new_number(const char *raw, size_t len)
{
	return new_text(DC_JSON_NUMBER, dc_xmemdupz(raw, len), len);
}

struct dc_json *dc_json_new_int(int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	return dc_json_new_number(tmp, (size_t)n);
}

int dc_json_keep_at_exit;
static struct dc_json **kept;	/* what dc_json_drop() kept from free() */
static size_t nkept, alloc_kept;

void dc_json_drop(struct dc_json *v)
{
	if (!v)
		return;
	if (!dc_json_keep_at_exit) {
		dc_json_free(v);
		return;
	}
	DC_ALLOC_GROW(kept, nkept + 1, alloc_kept);
	kept[nkept++] = v;
}

void dc_json_free(struct dc_json *v)
{
	struct dc_json **stk = NULL;
	size_t depth = 0, alloc = 0, i;

	if (!v)
		return;
	/* a work list instead of recursion: values may be nested very deep */
	DC_ALLOC_GROW(stk, 1, alloc);
	stk[depth++] = v;
	while (depth) {
		v = stk[--depth];
		if (!v)
			continue;	/* a slot never filled (fold.h, lazy) */
		switch (v->type) {
		case DC_JSON_NUMBER:
		case DC_JSON_STRING:
			free(v->u.str.s);
			break;
		case DC_JSON_ARRAY:
			DC_ALLOC_GROW(stk, depth + v->u.arr.n, alloc);
			for (i = 0; i < v->u.arr.n; i++)
				stk[depth++] = v->u.arr.v[i];
			free(v->u.arr.v);
			break;
		case DC_JSON_OBJECT:
			DC_ALLOC_GROW(stk, depth + v->u.obj.n, alloc);
			for (i = 0; i < v->u.obj.n; i++) {
				free(v->u.obj.m[i].key);
				if (v->u.obj.m[i].val)
					stk[depth++] = v->u.obj.m[i].val;
			}
			free(v->u.obj.m);
			index_free(v->u.obj.idx);
			break;
		default:
			break;
		}
		free(v);
	}
	free(stk);
}

/* A copy of `v` whose containers are empty but sized for v's children. */
static struct dc_json *clone_shallow(const struct dc_json *v)
{
	struct dc_json *c;

	switch (v->type) {
	case DC_JSON_NUMBER:
	case DC_JSON_STRING:
		return new_text(v->type, dc_xmemdupz(v->u.str.s, v->u.str.len), v->u.str.len);
	case DC_JSON_ARRAY:
		c = dc_json_new(v->type);
		if (v->u.arr.n) {
			c->u.arr.v = dc_xreallocarray(NULL, v->u.arr.n, sizeof(*c->u.arr.v));
			c->u.arr.alloc = v->u.arr.n;
		}
		return c;
	case DC_JSON_OBJECT:
		c = dc_json_new(v->type);
		if (v->u.obj.n) {
			c->u.obj.m = dc_xreallocarray(NULL, v->u.obj.n, sizeof(*c->u.obj.m));
			c->u.obj.alloc = v->u.obj.n;
		}
		return c;
	default:
		return dc_json_new(v->type);
	}
}

struct dc_json *dc_json_clone(const struct dc_json *v)
{
	struct pair { const struct dc_json *src; struct dc_json *dst; } *stk = NULL;
	size_t depth = 0, alloc = 0, i;
	struct dc_json *root;

	if (!v)
		return NULL;
	root = clone_shallow(v);
	DC_ALLOC_GROW(stk, 1, alloc);
	stk[depth].src = v;
	stk[depth++].dst = root;
	while (depth) {
		const struct dc_json *s = stk[--depth].src;
		struct dc_json *d = stk[depth].dst, *c;

		if (s->type == DC_JSON_ARRAY) {
			DC_ALLOC_GROW(stk, depth + s->u.arr.n, alloc);
			for (i = 0; i < s->u.arr.n; i++) {
				c = clone_shallow(s->u.arr.v[i]);
				d->u.arr.v[d->u.arr.n++] = c;
				stk[depth].src = s->u.arr.v[i];
				stk[depth++].dst = c;
			}
		} else if (s->type == DC_JSON_OBJECT) {
			DC_ALLOC_GROW(stk, depth + s->u.obj.n, alloc);
			for (i = 0; i < s->u.obj.n; i++) {
				const struct dc_json_member *m = &s->u.obj.m[i];
				c = clone_shallow(m->val);
				d->u.obj.m[i].key = dc_xmemdupz(m->key, m->keylen);
				d->u.obj.m[i].keylen = m->keylen;
				d->u.obj.m[i].val = c;
				d->u.obj.n++;
				stk[depth].src = m->val;
				stk[depth++].dst = c;
			}
		}
	}
	free(stk);
	return root;
}

/* ---- objects and arrays --------------------------------------------------- */

long dc_json_find(const struct dc_json *obj, const char *key, size_t keylen)
{
	size_t i;

	if (!obj || obj->type != DC_JSON_OBJECT)
		return -1;
	if (obj->u.obj.n > DC_JSON_INDEX_MIN) {
		/* the index is a cache: building it does not change the value */
		if (!obj->u.obj.idx)
			index_build((struct dc_json *)obj, obj->u.obj.n + 1);
		return index_find(obj, key, keylen);
	}
	for (i = 0; i < obj->u.obj.n; i++) {
		const struct dc_json_member *m = &obj->u.obj.m[i];
		if (m->keylen == keylen && !memcmp(m->key, key, keylen))
			return (long)i;
	}
	return -1;
}

struct dc_json *dc_json_getn(const struct dc_json *obj, const char *key, size_t keylen)
{
	long i = dc_json_find(obj, key, keylen);
	return i < 0 ? NULL : obj->u.obj.m[i].val;
}

struct dc_json *dc_json_get(const struct dc_json *obj, const char *key)
{
	return dc_json_getn(obj, key, strlen(key));
}

/* Append a member known to be absent; takes `key` (heap) and `val`. */
static void obj_append(struct dc_json *obj, char *key, size_t keylen, struct dc_json *val)
{
	struct dc_json_index *ix;

	DC_ALLOC_GROW(obj->u.obj.m, obj->u.obj.n + 1, obj->u.obj.alloc);
	obj->u.obj.m[obj->u.obj.n].key = key;
	obj->u.obj.m[obj->u.obj.n].keylen = keylen;
	obj->u.obj.m[obj->u.obj.n].val = val;
	obj->u.obj.n++;
	ix = obj->u.obj.idx;
	if (ix) {
		if (obj->u.obj.n > (ix->mask + 1) / 2)
			index_build(obj, obj->u.obj.n);
		index_put(obj->u.obj.idx, key_hash(key, keylen), obj->u.obj.n - 1);
	} else if (obj->u.obj.n > DC_JSON_INDEX_MIN) {
		index_build(obj, obj->u.obj.n);
	}
}

void dc_json_set(struct dc_json *obj, const char *key, size_t keylen, struct dc_json *val)
{
	long i;

	if (!obj || obj->type != DC_JSON_OBJECT)
		bug("dc_json_set on a value that is not an object");
	i = dc_json_find(obj, key, keylen);
	if (i >= 0) {
		dc_json_free(obj->u.obj.m[i].val);
		obj->u.obj.m[i].val = val;
		return;
	}
	obj_append(obj, dc_xmemdupz(key, keylen), keylen, val);
}

int dc_json_remove(struct dc_json *obj, const char *key, size_t keylen)
{
	long i = dc_json_find(obj, key, keylen);
	struct dc_json_member *m;

	if (i < 0)
		return 0;
	m = obj->u.obj.m;
	if (obj->u.obj.idx)
		index_remove(obj->u.obj.idx, key_hash(key, keylen), (size_t)i);
	free(m[i].key);
	dc_json_free(m[i].val);
	memmove(m + i, m + i + 1, (obj->u.obj.n - (size_t)i - 1) * sizeof(*m));
	obj->u.obj.n--;
	return 1;
}

void dc_json_push(struct dc_json *arr, struct dc_json *val)
{
	if (!arr || arr->type != DC_JSON_ARRAY)
		bug("dc_json_push on a value that is not an array");
	DC_ALLOC_GROW(arr->u.arr.v, arr->u.arr.n + 1, arr->u.arr.alloc);
	arr->u.arr.v[arr->u.arr.n++] = val;
}

void dc_json_array_remove(struct dc_json *arr, size_t i)
{
	if (!arr || arr->type != DC_JSON_ARRAY || i >= arr->u.arr.n)
		bug("dc_json_array_remove out of range");
	dc_json_free(arr->u.arr.v[i]);
	memmove(arr->u.arr.v + i, arr->u.arr.v + i + 1,
		(arr->u.arr.n - i - 1) * sizeof(*arr->u.arr.v));
	arr->u.arr.n--;
}

/* ---- parsing -------------------------------------------------------------- */

/* Bytes that end the fast scan of a string: quote, backslash, control, non-ASCII. */
static const unsigned char str_stop[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

/* Bytes that may continue a number or literal token (to quote it whole). */
static const unsigned char tok_char[256] = {
	['0' ... '9'] = 1, ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1,
	['+'] = 1, ['-'] = 1, ['.'] = 1, ['_'] = 1,
};

struct parser {
	const char *start, *end;
	struct dc_err *err;
	struct dc_buf sb;	/* strings with escapes are decoded here */
};

/* Length of the well-formed UTF-8 sequence at `p` (a byte >= 0x80), or 0. */
static size_t utf8_len(const char *cp, const char *end)
{
	const unsigned char *p = (const unsigned char *)cp;
	size_t avail = (size_t)(end - cp);
	unsigned lo = 0x80, hi = 0xbf;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	if (p[0] < 0xe0)
		return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;	/* U+D800..U+DFFF are not characters */
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;	/* nothing above U+10FFFF */
	if (avail < 2 || p[1] < lo || p[1] > hi)
		return 0;
	if (avail < 3 || (p[2] & 0xc0) != 0x80)
		return 0;
	if (p[0] < 0xf0)
		return 3;
	if (avail < 4 || (p[3] & 0xc0) != 0x80)
		return 0;
	return 4;
}

static void parse_where(const struct parser *ps, const char *pos, size_t *line, size_t *col)
{
	const char *s, *ls = ps->start;

	*line = 1;
	for (s = ps->start; s < pos; s++) {
		if (*s == '\n') {
			(*line)++;
			ls = s + 1;
		}
	}
	*col = 1;
	for (s = ls; s < pos; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			(*col)++;
}

/* Refuse with "line L, column C: <fmt>" [<quoted `q`> <suffix>]. */
static int parse_fail(struct parser *ps, const char *pos, const char *q, size_t qlen,
		      const char *suffix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int parse_fail(struct parser *ps, const char *pos, const char *q, size_t qlen,
		      const char *suffix, const char *fmt, ...)
{
	struct dc_buf b = DC_BUF_INIT;
	size_t line, col;
	va_list ap;

	parse_where(ps, pos, &line, &col);
	dc_buf_addf(&b, "line %zu, column %zu: ", line, col);
	va_start(ap, fmt);
	dc_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (q) {
		dc_buf_addquoted(&b, q, qlen, DC_JSON_QUOTE_MAX);
		dc_buf_adds(&b, suffix);
	}
	dc_err_set(ps->err, DC_ERR_REFUSED, "%s", b.buf);
	dc_buf_release(&b);
	return -1;
}

static int fail_utf8(struct parser *ps, const char *pos)
{
	size_t line, col;

	parse_where(ps, pos, &line, &col);
	return dc_err_set(ps->err, DC_ERR_REFUSED,
			  "byte %zu (line %zu, column %zu): invalid UTF-8",
			  (size_t)(pos - ps->start) + 1, line, col);
}

static int fail_eof(struct parser *ps)
{
	return parse_fail(ps, ps->end, NULL, 0, NULL, "unexpected end of input");
}

/*
 * Refuse the character at `p` (which is not at the end): "<what> 'c'<suffix>",
 * or a more precise reason for comments and invalid UTF-8.
 */
static int fail_char(struct parser *ps, const char *p, const char *what, const char *suffix)
{
	const unsigned char *u = (const unsigned char *)p;
	struct dc_buf tail = DC_BUF_INIT;
	unsigned cp;
	size_t n = 1;
	int ret;

	if (*p == '/' && p + 1 < ps->end && (p[1] == '/' || p[1] == '*'))
		return parse_fail(ps, p, NULL, 0, NULL, "comments are not allowed");
	if (*u < 0x80)
		return parse_fail(ps, p, p, n, suffix, "%s", what);
	n = utf8_len(p, ps->end);
	if (!n)
		return fail_utf8(ps, p);
	/* name the code point: many of these characters are invisible */
	cp = *u & (0xff >> (n + 1));
	while (--n)
		cp = (cp << 6) | (*++u & 0x3f);
	dc_buf_addf(&tail, " (U+%04X)%s", cp, suffix);
	ret = parse_fail(ps, p, p, (size_t)((const char *)u + 1 - p), tail.buf, "%s", what);
	dc_buf_release(&tail);
	return ret;
}

/* Refuse the number or literal token starting at `p`. */
static int fail_token(struct parser *ps, const char *p, const char *what)
{
	const char *e = p + 1;

	while (e < ps->end && tok_char[(unsigned char)*e])
		e++;
	return parse_fail(ps, p, p, (size_t)(e - p), "", "%s", what);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void add_utf8(struct dc_buf *b, unsigned cp)
{
	char t[4];
	size_t n;

	if (cp < 0x80) {
		t[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		t[0] = (char)(0xc0 | (cp >> 6));
		t[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | (cp >> 12));
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		t[0] = (char)(0xf0 | (cp >> 18));
		t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	dc_buf_add(b, t, n);
}

/*
 * Decode the escape at `*pp` (a backslash) into ps->sb and move past it.
 */
static int parse_escape(struct parser *ps, const char **pp)
{
	const char *esc = *pp, *p = esc + 1, *end = ps->end;
	unsigned cp, lo;
	char c;

	if (p >= end)
		return fail_eof(ps);
	switch (*p) {
	case '"': c = '"'; break;
	case '\\': c = '\\'; break;
	case '/': c = '/'; break;
	case 'b': c = '\b'; break;
	case 'f': c = '\f'; break;
	case 'n': c = '\n'; break;
	case 'r': c = '\r'; break;
	case 't': c = '\t'; break;
	case 'u':
		if (end - p < 5)
			return fail_eof(ps);
		if (hex4(p + 1, &cp))
			return parse_fail(ps, esc, NULL, 0, NULL, "invalid \\u escape");
		p += 5;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return parse_fail(ps, esc, NULL, 0, NULL,
					  "unpaired surrogate '%.6s'", esc);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) ||
			    lo < 0xdc00 || lo > 0xdfff)
				return parse_fail(ps, esc, NULL, 0, NULL,
						  "unpaired surrogate '%.6s'", esc);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		add_utf8(&ps->sb, cp);
		*pp = p;
		return 0;
	default:
		if (*p > ' ' && *p < 0x7f)
			return parse_fail(ps, esc, NULL, 0, NULL,
					  "invalid escape '\\%c'", *p);
		if ((unsigned char)*p >= 0x80 && !utf8_len(p, end))
			return fail_utf8(ps, p);
		return fail_char(ps, p, "invalid escape of ", "");
	}
	dc_buf_addch(&ps->sb, c);
	*pp = p + 1;
	return 0;
}

/*
 * Parse the string whose opening quote is at `*pp`; on success `*out`
 * (heap, NUL-terminated) holds the decoded bytes and `*pp` points past the
 * closing quote.
 */
static int parse_string(struct parser *ps, const char **pp, char **out, size_t *outlen)
{
	const char *p = *pp + 1, *run = p, *end = ps->end;
	int escaped = 0;
	size_t n;

	for (;;) {
		while (p < end && !str_stop[(unsigned char)*p])
			p++;
		if (p >= end)
			return fail_eof(ps);
		if (*p == '"')
			break;
		if ((unsigned char)*p >= 0x80) {
			n = utf8_len(p, end);
			if (!n)
				return fail_utf8(ps, p);
			p += n;
			continue;
		}
		if (*p != '\\')
			return parse_fail(ps, p, p, 1, " in string",
					  "unescaped control character ");
		if (!escaped) {
			dc_buf_reset(&ps->sb);
			escaped = 1;
		}
		dc_buf_add(&ps->sb, run, (size_t)(p - run));
		if (parse_escape(ps, &p))
			return -1;
		run = p;
	}
	if (escaped) {
		dc_buf_add(&ps->sb, run, (size_t)(p - run));
		*out = dc_xmemdupz(ps->sb.buf, ps->sb.len);
		*outlen = ps->sb.len;
	} else {
		*out = dc_xmemdupz(run, (size_t)(p - run));
		*outlen = (size_t)(p - run);
	}
	*pp = p + 1;
	return 0;
}

/* Parse the number at `*pp`, keeping its literal. */
static int parse_number(struct parser *ps, const char **pp, struct dc_json **out)
{
	const char *s = *pp, *p = s, *end = ps->end;

	if (*p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		goto bad;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && tok_char[(unsigned char)*p])
		goto bad;
	*out = new_text(DC_JSON_NUMBER, dc_xmemdupz(s, (size_t)(p - s)), (size_t)(p - s));
	*pp = p;
	return 0;
bad:
	return fail_token(ps, s, "invalid number ");
}

static int parse_literal(struct parser *ps, const char **pp, struct dc_json **out)
{
	static const struct { const char *word; size_t len; enum dc_json_type type; } lit[] = {
		{ "null", 4, DC_JSON_NULL },
		{ "false", 5, DC_JSON_FALSE },
		{ "true", 4, DC_JSON_TRUE },
	};
	const char *p = *pp;
	size_t i, avail = (size_t)(ps->end - p);

	for (i = 0; i < sizeof(lit) / sizeof(*lit); i++) {
		if (avail < lit[i].len || memcmp(p, lit[i].word, lit[i].len))
			continue;
		if (avail > lit[i].len && tok_char[(unsigned char)p[lit[i].len]])
			break;
		*out = dc_json_new(lit[i].type);
		*pp = p + lit[i].len;
		return 0;
	}
	return fail_token(ps, p, "invalid literal ");
}

int dc_json_parse(struct dc_json **out, const char *buf, size_t len,
		  const struct dc_json_parse_opts *opts, struct dc_err *err)
{
	struct parser ps = { buf, buf + len, err, DC_BUF_INIT };
	size_t max_depth = opts && opts->max_depth ? opts->max_depth : DC_JSON_DEFAULT_DEPTH;
	struct dc_json **stk = NULL, *root = NULL, *v = NULL, *top;
	size_t depth = 0, alloc = 0, keylen;
	const char *p = buf, *end = buf + len, *comma = NULL, *keypos;
	char *key;
	int ret = -1;

	*out = NULL;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		parse_fail(&ps, buf, NULL, 0, NULL, "unexpected byte order mark");
		goto cleanup;
	}

value:
	p = skip_ws(p, end);
	if (p == end) {
		if (root)
			fail_eof(&ps);
		else
			parse_fail(&ps, p, NULL, 0, NULL, "empty input");
		goto cleanup;
	}
	switch (*p) {
	case '{':
	case '[':
		if (depth >= max_depth) {
			parse_fail(&ps, p, NULL, 0, NULL,
				   "nesting deeper than %zu levels", max_depth);
			goto cleanup;
		}
		v = dc_json_new(*p == '{' ? DC_JSON_OBJECT : DC_JSON_ARRAY);
		break;
	case '"':
		if (parse_string(&ps, &p, &key, &keylen))
			goto cleanup;
		v = new_text(DC_JSON_STRING, key, keylen);
		break;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
	case '+':
	case '.':
		if (parse_number(&ps, &p, &v))
			goto cleanup;
		break;
	case ']':
		if (depth && stk[depth - 1]->type == DC_JSON_ARRAY) {
			parse_fail(&ps, comma, NULL, 0, NULL, "trailing comma");
			goto cleanup;
		}
		fail_char(&ps, p, "unexpected character ", "");
		goto cleanup;
	case '\'':
		parse_fail(&ps, p, NULL, 0, NULL, "single-quoted strings are not allowed");
		goto cleanup;
	default:
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
			if (parse_literal(&ps, &p, &v))
				goto cleanup;
			break;
		}
		fail_char(&ps, p, "unexpected character ", "");
		goto cleanup;
	}

	/* attach the new value where it belongs: it is owned from here on */
	if (!depth) {
		root = v;
	} else {
		top = stk[depth - 1];
		if (top->type == DC_JSON_ARRAY) {
			DC_ALLOC_GROW(top->u.arr.v, top->u.arr.n + 1, top->u.arr.alloc);
			top->u.arr.v[top->u.arr.n++] = v;
		} else {
			top->u.obj.m[top->u.obj.n - 1].val = v;
		}
	}
	if (v->type == DC_JSON_ARRAY || v->type == DC_JSON_OBJECT) {
		char close = v->type == DC_JSON_ARRAY ? ']' : '}';

		DC_ALLOC_GROW(stk, depth + 1, alloc);
		stk[depth++] = v;
		p = skip_ws(p + 1, end);
		if (p < end && *p == close) {
			p++;
			depth--;
			goto after;
		}
		if (v->type == DC_JSON_ARRAY)
			goto value;
		goto key;
	}

after:
	p = skip_ws(p, end);
	if (!depth) {
		if (p != end) {
			fail_char(&ps, p, "unexpected ", " after the value");
			goto cleanup;
		}
		*out = root;
		root = NULL;
		ret = 0;
		goto cleanup;
	}
	if (p == end) {
		fail_eof(&ps);
		goto cleanup;
	}
	top = stk[depth - 1];
	if (*p == ',') {
		comma = p++;
		if (top->type == DC_JSON_ARRAY)
			goto value;
		goto key;
	}
	if (*p == (top->type == DC_JSON_ARRAY ? ']' : '}')) {
		p++;
		depth--;
		goto after;
	}
	fail_char(&ps, p, top->type == DC_JSON_ARRAY ?
		  "expected ',' or ']', got " : "expected ',' or '}', got ", "");
	goto cleanup;

key:
	p = skip_ws(p, end);
	if (p == end) {
		fail_eof(&ps);
		goto cleanup;
	}
	if (*p != '"') {
		if (*p == '}')
			parse_fail(&ps, comma, NULL, 0, NULL, "trailing comma");
		else if (*p == '\'')
			parse_fail(&ps, p, NULL, 0, NULL,
				   "single-quoted strings are not allowed");
		else
			fail_char(&ps, p, "expected a key in double quotes, got ", "");
		goto cleanup;
	}
	keypos = p;
	if (parse_string(&ps, &p, &key, &keylen))
		goto cleanup;
	top = stk[depth - 1];
	if (dc_json_find(top, key, keylen) >= 0) {
		parse_fail(&ps, keypos, key, keylen, "", "duplicate key ");
		free(key);
		goto cleanup;
	}
	obj_append(top, key, keylen, NULL);
	p = skip_ws(p, end);
	if (p == end) {
		fail_eof(&ps);
		goto cleanup;
	}
	if (*p != ':') {
		fail_char(&ps, p, "expected ':' after the key, got ", "");
		goto cleanup;
	}
	p++;
	goto value;

cleanup:
	dc_json_free(root);
	free(stk);
	dc_buf_release(&ps.sb);
	return ret;
}

/* ---- writing -------------------------------------------------------------- */

static const unsigned char str_escape[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

void dc_json_write_string(struct dc_buf *out, const char *s, size_t len)
{
	size_t i, run = 0;

	dc_buf_grow(out, len + 2);
	dc_buf_addch(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!str_escape[c])
			continue;
		dc_buf_add(out, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': dc_buf_add(out, "\\\"", 2); break;
		case '\\': dc_buf_add(out, "\\\\", 2); break;
		case '\n': dc_buf_add(out, "\\n", 2); break;
		case '\r': dc_buf_add(out, "\\r", 2); break;
		case '\t': dc_buf_add(out, "\\t", 2); break;
		case '\b': dc_buf_add(out, "\\b", 2); break;
		case '\f': dc_buf_add(out, "\\f", 2); break;
		default: dc_buf_addf(out, "\\u%04x", c); break;
		}
	}
	dc_buf_add(out, s + run, len - run);
	dc_buf_addch(out, '"');
}

static void write_newline(struct dc_buf *out, size_t indent)
{
	dc_buf_grow(out, indent + 1);
	out->buf[out->len] = '\n';
	memset(out->buf + out->len + 1, ' ', indent);
	dc_buf_setlen(out, out->len + indent + 1);
}

static size_t container_len(const struct dc_json *v)
{
	if (v->type == DC_JSON_ARRAY)
		return v->u.arr.n;
	if (v->type == DC_JSON_OBJECT)
		return v->u.obj.n;
	return 0;
}

static void write_value(struct dc_buf *out, const struct dc_json *v, int pretty, size_t base)
{
	struct frame { const struct dc_json *v; size_t i; } *stk = NULL;
	size_t depth = 0, alloc = 0;

	for (;;) {
		switch (v->type) {
		case DC_JSON_NULL: dc_buf_add(out, "null", 4); break;
		case DC_JSON_FALSE: dc_buf_add(out, "false", 5); break;
		case DC_JSON_TRUE: dc_buf_add(out, "true", 4); break;
		case DC_JSON_NUMBER: dc_buf_add(out, v->u.str.s, v->u.str.len); break;
		case DC_JSON_STRING: dc_json_write_string(out, v->u.str.s, v->u.str.len); break;
		case DC_JSON_ARRAY:
		case DC_JSON_OBJECT:
			dc_buf_addch(out, v->type == DC_JSON_ARRAY ? '[' : '{');
			if (!container_len(v)) {
				dc_buf_addch(out, v->type == DC_JSON_ARRAY ? ']' : '}');
				break;
			}
			DC_ALLOC_GROW(stk, depth + 1, alloc);
			stk[depth].v = v;
			stk[depth++].i = 0;
			break;
		}
		/* find the next value to write, closing finished containers */
		for (;;) {
			struct frame *f;

			if (!depth)
				goto done;
			f = &stk[depth - 1];
			if (f->i < container_len(f->v)) {
				if (f->i)
					dc_buf_addch(out, ',');
				if (pretty)
					write_newline(out, base + depth * 2);
				if (f->v->type == DC_JSON_ARRAY) {
					v = f->v->u.arr.v[f->i];
				} else {
					const struct dc_json_member *m = &f->v->u.obj.m[f->i];
					dc_json_write_string(out, m->key, m->keylen);
					dc_buf_add(out, ": ", pretty ? 2 : 1);
					v = m->val;
				}
				f->i++;
				break;
			}
			if (pretty)
				write_newline(out, base + (depth - 1) * 2);
			dc_buf_addch(out, f->v->type == DC_JSON_ARRAY ? ']' : '}');
			depth--;
		}
	}
done:
	free(stk);
}

void dc_json_write(struct dc_buf *out, const struct dc_json *v)
{
	write_value(out, v, 1, 0);
	dc_buf_addch(out, '\n');
}

void dc_json_write_at(struct dc_buf *out, const struct dc_json *v, size_t indent)
{
	write_value(out, v, 1, indent);
}

void dc_json_write_compact(struct dc_buf *out, const struct dc_json *v)
{
	write_value(out, v, 0, 0);
}

/* ---- comparing ------------------------------------------------------------ */

/*
 * Append `mag` (decimal digits, no leading zero, at least 10^18) plus or
 * minus `delta` (smaller than mag), without leading zeros.
 */
static void dec_addsub(struct dc_buf *out, const char *mag, size_t len, uint64_t delta,
		       int subtract)
{
	char *t = dc_xmalloc(len + 1);
	size_t i = len, skip = 0;
	int carry = 0, d;

	t[0] = '0';
	memcpy(t + 1, mag, len);
	while (delta || carry) {
		d = t[i] - '0';
		if (subtract) {
			d -= (int)(delta % 10) + carry;
			carry = d < 0;
			d += carry ? 10 : 0;
		} else {
			d += (int)(delta % 10) + carry;
			carry = d >= 10;
			d -= carry ? 10 : 0;
		}
		t[i--] = (char)('0' + d);
		delta /= 10;
	}
	while (skip < len && t[skip] == '0')
		skip++;
	dc_buf_add(out, t + skip, len + 1 - skip);
	free(t);
}

/*
 * Append the exact value of the number literal `raw` as "0", or as
 * "[-]<digits>e<exponent>" where <digits> has no leading or trailing zero
 * and value = digits * 10^exponent. Any length and any exponent work.
 */
static void number_canon(struct dc_buf *out, const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len, *ip, *fp = NULL, *xp = p;
	size_t il, fl = 0, xl = 0, total, first, last, k;
	int neg = 0, xneg = 0;
	int64_t adj;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	ip = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	il = (size_t)(p - ip);
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		fl = (size_t)(p - fp);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			xneg = *p++ == '-';
		while (p < end && *p == '0')
			p++;
		xp = p;
		xl = (size_t)(end - p);
	}

#define DIGIT(k) ((k) < il ? ip[k] : fp[(k) - il])
	total = il + fl;
	for (first = 0; first < total && DIGIT(first) == '0'; first++)
		;
	if (first == total) {
		dc_buf_addch(out, '0');
		return;
	}
	for (last = total - 1; DIGIT(last) == '0'; last--)
		;
	if (neg)
		dc_buf_addch(out, '-');
	for (k = first; k <= last; k++)
		dc_buf_addch(out, DIGIT(k));
#undef DIGIT
	dc_buf_addch(out, 'e');

	/* exponent of the last digit: literal exponent + trailing zeros - fraction */
	adj = (int64_t)(total - 1 - last) - (int64_t)fl;
	if (xl <= 18) {
		int64_t x = 0;
		for (k = 0; k < xl; k++)
			x = x * 10 + (xp[k] - '0');
		dc_buf_addf(out, "%" PRId64, (xneg ? -x : x) + adj);
		return;
	}
	/* |exponent| >= 10^18 is far bigger than |adj|: the sign is kept */
	if (xneg)
		dc_buf_addch(out, '-');
	if (!adj)
		dc_buf_add(out, xp, xl);
	else
		dec_addsub(out, xp, xl, adj < 0 ? (uint64_t)-adj : (uint64_t)adj,
			   xneg != (adj < 0));
}

static int member_cmp(const void *a, const void *b)
{
	const struct dc_json_member *x = *(const struct dc_json_member * const *)a;
	const struct dc_json_member *y = *(const struct dc_json_member * const *)b;
	int r = memcmp(x->key, y->key, x->keylen < y->keylen ? x->keylen : y->keylen);

	if (r)
		return r;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/*
 * The key: "n", "f", "t", "d<number_canon>;", "s<len>:<bytes>",
 * "[<elements>]", "{<len>:<key><value>...}" with members sorted by key.
 * Every piece is self-delimiting, so equal keys mean equal values.
 */
/* "<len>:" without printf: keys are made for every element indexed. */
static void add_len(struct dc_buf *out, size_t len)
{
	char d[24];
	size_t k = sizeof(d);

	d[--k] = ':';
	do {
		d[--k] = (char)('0' + len % 10);
		len /= 10;
	} while (len);
	dc_buf_add(out, d + k, sizeof(d) - k);
}

void dc_json_keystr(struct dc_buf *out, const struct dc_json *v)
{
	struct frame {
		const struct dc_json *v;
		size_t i;
		const struct dc_json_member **order;
	} *stk = NULL;
	size_t depth = 0, alloc = 0, i;

	for (;;) {
		switch (v->type) {
		case DC_JSON_NULL: dc_buf_addch(out, 'n'); break;
		case DC_JSON_FALSE: dc_buf_addch(out, 'f'); break;
		case DC_JSON_TRUE: dc_buf_addch(out, 't'); break;
		case DC_JSON_NUMBER:
			dc_buf_addch(out, 'd');
			number_canon(out, v->u.str.s, v->u.str.len);
			dc_buf_addch(out, ';');
			break;
		case DC_JSON_STRING:
			dc_buf_addch(out, 's');
			add_len(out, v->u.str.len);
			dc_buf_add(out, v->u.str.s, v->u.str.len);
			break;
		case DC_JSON_ARRAY:
		case DC_JSON_OBJECT:
			dc_buf_addch(out, v->type == DC_JSON_ARRAY ? '[' : '{');
			DC_ALLOC_GROW(stk, depth + 1, alloc);
			stk[depth].v = v;
			stk[depth].i = 0;
			stk[depth].order = NULL;
			if (v->type == DC_JSON_OBJECT && v->u.obj.n) {
				const struct dc_json_member **o;
				o = dc_xreallocarray(NULL, v->u.obj.n, sizeof(*o));
				for (i = 0; i < v->u.obj.n; i++)
					o[i] = &v->u.obj.m[i];
				qsort(o, v->u.obj.n, sizeof(*o), member_cmp);
				stk[depth].order = o;
			}
			depth++;
			break;
		}
		for (;;) {
			struct frame *f;

			if (!depth)
				goto done;
			f = &stk[depth - 1];
			if (f->i < container_len(f->v)) {
				if (f->v->type == DC_JSON_ARRAY) {
					v = f->v->u.arr.v[f->i];
				} else {
					const struct dc_json_member *m = f->order[f->i];
					add_len(out, m->keylen);
					dc_buf_add(out, m->key, m->keylen);
					v = m->val;
				}
				f->i++;
				break;
			}
			dc_buf_addch(out, f->v->type == DC_JSON_ARRAY ? ']' : '}');
			free(f->order);
			depth--;
		}
	}
done:
	free(stk);
}

int dc_json_equal(const struct dc_json *a, const struct dc_json *b)
{
	struct pair { const struct dc_json *a, *b; } *stk = NULL;
	struct dc_buf ka = DC_BUF_INIT, kb = DC_BUF_INIT;
	size_t depth = 0, alloc = 0, i;
	int equal = 1;

	if (!a || !b)
		return a == b;
	DC_ALLOC_GROW(stk, 1, alloc);
	stk[depth].a = a;
	stk[depth++].b = b;
	while (equal && depth) {
		a = stk[--depth].a;
		b = stk[depth].b;
		if (a->type != b->type) {
			equal = 0;
			break;
		}
		switch (a->type) {
		case DC_JSON_NUMBER:
			if (a->u.str.len == b->u.str.len &&
			    !memcmp(a->u.str.s, b->u.str.s, a->u.str.len))
				break;
			dc_buf_reset(&ka);
			dc_buf_reset(&kb);
			number_canon(&ka, a->u.str.s, a->u.str.len);
			number_canon(&kb, b->u.str.s, b->u.str.len);
			equal = ka.len == kb.len && !memcmp(ka.buf, kb.buf, ka.len);
			break;
		case DC_JSON_STRING:
			equal = a->u.str.len == b->u.str.len &&
				!memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
			break;
		case DC_JSON_ARRAY:
			if (a->u.arr.n != b->u.arr.n) {
				equal = 0;
				break;
			}
			DC_ALLOC_GROW(stk, depth + a->u.arr.n, alloc);
			for (i = 0; i < a->u.arr.n; i++) {
				stk[depth].a = a->u.arr.v[i];
				stk[depth++].b = b->u.arr.v[i];
			}
			break;
		case DC_JSON_OBJECT:
			if (a->u.obj.n != b->u.obj.n) {
				equal = 0;
				break;
			}
			DC_ALLOC_GROW(stk, depth + a->u.obj.n, alloc);
			for (i = 0; equal && i < a->u.obj.n; i++) {
				const struct dc_json_member *m = &a->u.obj.m[i];
				long j = dc_json_find(b, m->key, m->keylen);
				if (j < 0) {
					equal = 0;
					break;
				}
				stk[depth].a = m->val;
				stk[depth++].b = b->u.obj.m[j].val;
			}
			break;
		default:
			break;
		}
	}
	free(stk);
	dc_buf_release(&ka);
	dc_buf_release(&kb);
	return equal;
}

/* ---- numbers -------------------------------------------------------------- */

static int is_integer_literal(const struct dc_json *v)
{
	return !memchr(v->u.str.s, '.', v->u.str.len) &&
	       !memchr(v->u.str.s, 'e', v->u.str.len) &&
	       !memchr(v->u.str.s, 'E', v->u.str.len);
}

int dc_json_get_int(const struct dc_json *v, int64_t *out)
{
	const char *p, *end;
	uint64_t u = 0, limit = INT64_MAX;
	int neg = 0;

	if (!v || v->type != DC_JSON_NUMBER)
		return 0;
	p = v->u.str.s;
	end = p + v->u.str.len;
	if (p < end && *p == '-') {
		neg = 1;
		limit = (uint64_t)INT64_MAX + 1;
		p++;
	}
	if (p == end)
		return 0;
	for (; p < end; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > 9 || u > (limit - d) / 10)
			return 0;
		u = u * 10 + d;
	}
	if (neg)
		*out = u ? -(int64_t)(u - 1) - 1 : 0;
	else
		*out = (int64_t)u;
	return 1;
}

/* ---- JSON Pointer --------------------------------------------------------- */

int dc_json_pointer_check(const char *ptr, struct dc_err *err)
{
	struct dc_buf q = DC_BUF_INIT;
	const char *p;

	if (!*ptr)
		return 0;
	if (*ptr != '/') {
		dc_buf_addquoted(&q, ptr, strlen(ptr), 256);
		dc_err_set(err, DC_ERR_REFUSED,
			   "invalid JSON pointer %s: it must be empty or start with '/'", q.buf);
		dc_err_hint(err, "a JSON pointer names members and indexes: /agents/ada/bio,"
			    " /posts/0 ('~1' stands for '/', '~0' for '~')");
		dc_buf_release(&q);
		return -1;
	}
	for (p = ptr; *p; p++) {
		if (*p == '~' && p[1] != '0' && p[1] != '1') {
			dc_buf_addquoted(&q, ptr, strlen(ptr), 256);
			dc_err_set(err, DC_ERR_REFUSED,
				   "invalid JSON pointer %s: '~' must be followed by '0' or '1'",
				   q.buf);
			dc_err_hint(err, "write '~0' for a '~' in a name, '~1' for a '/'");
			dc_buf_release(&q);
			return -1;
		}
	}
	return 0;
}

/* The array index `tok` names, if it is a decimal without leading zeros. */
static int pointer_index(const struct dc_buf *tok, size_t *out)
{
	size_t i, v = 0;

	if (!tok->len || (tok->buf[0] == '0' && tok->len > 1))
		return -1;
	for (i = 0; i < tok->len; i++) {
		unsigned d = (unsigned)(tok->buf[i] - '0');
		if (d > 9 || v > (SIZE_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

struct dc_json *dc_json_pointer(struct dc_json *root, const char *ptr, int create,
				enum dc_json_type leaf, struct dc_err *err)
{
	struct dc_buf tok = DC_BUF_INIT;
	struct dc_json *cur = root, *next;
	const char *p = ptr;
	size_t idx;

	if (dc_json_pointer_check(ptr, err))
		return NULL;
	/*
	 * Creation only starts at a missing member and then walks through the
	 * objects it makes, so a failing step never leaves half a path behind.
	 */
	while (cur && *p) {
		dc_buf_reset(&tok);
		for (p++; *p && *p != '/'; p++) {
			if (*p == '~')
				dc_buf_addch(&tok, *++p == '0' ? '~' : '/');
			else
				dc_buf_addch(&tok, *p);
		}
		if (cur->type == DC_JSON_OBJECT) {
			next = dc_json_getn(cur, tok.buf, tok.len);
			if (!next && create) {
				next = dc_json_new(*p ? DC_JSON_OBJECT : leaf);
				obj_append(cur, dc_xmemdupz(tok.buf, tok.len), tok.len, next);
			}
			cur = next;
		} else if (cur->type == DC_JSON_ARRAY) {
			if (pointer_index(&tok, &idx) || idx >= cur->u.arr.n)
				cur = NULL;
			else
				cur = cur->u.arr.v[idx];
		} else {
			cur = NULL;
		}
	}
	dc_buf_release(&tok);
	return cur;
}

/* ---- messages ------------------------------------------------------------- */

const char *dc_json_describe(const struct dc_json *v)
{
	if (!v)
		return "nothing";
	switch (v->type) {
	case DC_JSON_NULL: return "null";
	case DC_JSON_FALSE:
	case DC_JSON_TRUE: return "a boolean";
	case DC_JSON_NUMBER: return is_integer_literal(v) ? "an integer" : "a number";
	case DC_JSON_STRING: return "a string";
	case DC_JSON_ARRAY: return "an array";
	case DC_JSON_OBJECT: return "an object";
	}
	return "nothing";
}

void dc_json_pointer_append(struct dc_buf *ptr, const char *tok, size_t len)
{
	size_t i;

	dc_buf_addch(ptr, '/');
	for (i = 0; i < len; i++) {
		if (tok[i] == '~')
			dc_buf_add(ptr, "~0", 2);
		else if (tok[i] == '/')
			dc_buf_add(ptr, "~1", 2);
		else
			dc_buf_addch(ptr, tok[i]);
	}
}

void dc_json_pointer_split(const char *ptr, struct dc_buf *parent, struct dc_buf *tok)
{
	const char *slash = strrchr(ptr, '/'), *q;

	dc_buf_add(parent, ptr, (size_t)(slash - ptr));
	for (q = slash + 1; *q; q++) {
		if (q[0] == '~' && q[1] == '1')
			dc_buf_addch(tok, '/'), q++;
		else if (q[0] == '~' && q[1] == '0')
			dc_buf_addch(tok, '~'), q++;
		else
			dc_buf_addch(tok, *q);
	}
}
