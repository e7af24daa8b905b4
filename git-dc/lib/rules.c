/*
 * .dc/rules.json: the schema of PROTOCOL section 6, checked member by
 * member, then the checks that need the whole file (section names against
 * the utc members, derived counts against their sections, targets against
 * each other and against the delta directory).
 *
 * Every refusal starts with "rules: " and names the member at fault in a
 * dotted path ("sections.posts_created.key", "derived[1].of").
 */
#include "rules.h"
#include "json.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* how much of a user's string a message quotes */
#define QUOTE_MAX 200

const char *const dc_rules_presets[] = { "rappterbook", "minimal", NULL };

static const char *const op_names[] = {
	[DC_OP_APPEND] = "append",
	[DC_OP_ADD] = "add",
	[DC_OP_UPSERT] = "upsert",
	[DC_OP_SET] = "set",
	[DC_OP_IGNORE] = "ignore",
	[DC_OP_COLLECT] = "collect",
	[DC_OP_COUNT] = "count",
};

const char *dc_op_name(enum dc_op op)
{
	if ((size_t)op >= ARRAY_SIZE(op_names))
		return "unknown";
	return op_names[op];
}

/* ---- messages ----------------------------------------------------------- */

/* What to do about rules that do not load. */
static void fix_hint(struct dc_err *err)
{
	dc_err_hint(err, "fix '%s' (git-dc(1) FILES and dc-protocol(7) describe it), then run"
		    " the command again", DC_RULES_PATH);
}

/* "rules: <where>: <message>" (or "rules: <message>" at the top level). */
static int refuse(struct dc_err *err, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct dc_err *err, const char *where, const char *fmt, ...)
{
	struct dc_buf msg = DC_BUF_INIT;
	va_list ap;

	dc_buf_adds(&msg, "rules: ");
	if (where && *where)
		dc_buf_addf(&msg, "%s: ", where);
	va_start(ap, fmt);
	dc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	dc_err_set(err, DC_ERR_REFUSED, "%s", msg.buf);
	fix_hint(err);
	dc_buf_release(&msg);
	return -1;
}

/* `s` quoted for a message; the text lives in `b` until its next use. */
static const char *quoted(struct dc_buf *b, const char *s, size_t len)
{
	dc_buf_reset(b);
	dc_buf_addquoted(b, s, len, QUOTE_MAX);
	return b->buf;
}

/* The type of a value in "expected X, got Y": rules speak of numbers, not
 * of integer literals. */
static const char *describe(const struct dc_json *v)
{
	return v->type == DC_JSON_NUMBER ? "a number" : dc_json_describe(v);
}

/* `where` set to "<base>.<member>" (or "<member>" when base is empty). */
static const char *member_path(struct dc_buf *where, const char *base, const char *member)
{
	dc_buf_reset(where);
	if (*base)
		dc_buf_addf(where, "%s.%s", base, member);
	else
		dc_buf_adds(where, member);
	return where->buf;
}

static int key_is(const struct dc_json_member *m, const char *name)
{
	return m->keylen == strlen(name) && !memcmp(m->key, name, m->keylen);
}

/* ---- values ------------------------------------------------------------- */

/* A string without NUL bytes, copied into *out (owned by the caller). */
static int get_string(char **out, const struct dc_json *v, const char *where,
		      struct dc_err *err)
{
	struct dc_buf q = DC_BUF_INIT;
	int ret;

	if (v->type != DC_JSON_STRING)
		return refuse(err, where, "expected a string, got %s", describe(v));
	if (memchr(v->u.str.s, '\0', v->u.str.len)) {
		ret = refuse(err, where, "%s contains a NUL byte",
			     quoted(&q, v->u.str.s, v->u.str.len));
		dc_buf_release(&q);
		return ret;
	}
	*out = dc_xmemdupz(v->u.str.s, v->u.str.len);
	return 0;
}

static int get_positive(uint64_t *out, const struct dc_json *v, const char *where,
			struct dc_err *err)
{
	int64_t n;

	if (v->type != DC_JSON_NUMBER)
		return refuse(err, where, "expected a positive integer, got %s", describe(v));
	if (!dc_json_get_int(v, &n) || n <= 0)
		return refuse(err, where, "expected a positive integer, got %s", v->u.str.s);
	*out = (uint64_t)n;
	return 0;
}

#define LIST_ONE_STRING 1	/* a lone string stands for a list of one */
#define LIST_NONEMPTY 2		/* at least one element */
#define LIST_NO_EMPTY_ITEM 4	/* no "" element */

/*
 * A list of strings into *out / *n (owned by the caller, who frees each
 * string and the array, also on failure). `expect` names the shape in
 * messages: "an array of strings".
 */
static int get_string_list(char ***out, size_t *n, const struct dc_json *v, unsigned flags,
			   const char *expect, const char *where, struct dc_err *err)
{
	struct dc_buf item = DC_BUF_INIT;
	int ret = -1;
	size_t i;

	if ((flags & LIST_ONE_STRING) && v->type == DC_JSON_STRING) {
		*out = dc_xcalloc(1, sizeof(**out));
		*n = 1;
		ret = get_string(&(*out)[0], v, where, err);
		goto cleanup;
	}
	if (v->type != DC_JSON_ARRAY) {
		refuse(err, where, "expected %s, got %s", expect, describe(v));
		goto cleanup;
	}
	if ((flags & LIST_NONEMPTY) && !v->u.arr.n) {
		refuse(err, where, "expected %s, got an empty array", expect);
		goto cleanup;
	}
	*out = dc_xcalloc(v->u.arr.n ? v->u.arr.n : 1, sizeof(**out));
	*n = v->u.arr.n;
	for (i = 0; i < v->u.arr.n; i++) {
		dc_buf_reset(&item);
		dc_buf_addf(&item, "%s[%zu]", where, i);
		if (get_string(&(*out)[i], v->u.arr.v[i], item.buf, err))
			goto cleanup;
		if ((flags & LIST_NO_EMPTY_ITEM) && !*(*out)[i]) {
			refuse(err, item.buf, "empty name");
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	dc_buf_release(&item);
	return ret;
}

static void free_string_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/*
 * A repository-relative path: not empty, not absolute, '/'-separated
 * components that are neither empty, "." nor "..", none starting with
 * ".git" (git's own files, .gitattributes, .github), not under ".dc/"
 * (git-dc's own files), no backslash, no NUL. Both prefixes are matched
 * without regard to case, as a case-insensitive file system would.
 */
static int check_path(const char *p, size_t len, const char *where, struct dc_err *err)
{
	struct dc_buf q = DC_BUF_INIT;
	const char *c = p, *end = p + len;
	const char *shown;
	int depth = 0, ret = -1;

	shown = quoted(&q, p, len);
	if (!len) {
		refuse(err, where, "empty path");
		goto cleanup;
	}
	if (memchr(p, '\0', len)) {
		refuse(err, where, "%s contains a NUL byte", shown);
		goto cleanup;
	}
	if (memchr(p, '\\', len)) {
		refuse(err, where, "%s contains a backslash", shown);
		goto cleanup;
	}
	if (*p == '/') {
		refuse(err, where, "%s is outside the repository", shown);
		goto cleanup;
	}
	for (;;) {
		const char *slash = memchr(c, '/', end - c);
		size_t n = (slash ? slash : end) - c;

		if (!n) {
			refuse(err, where, "%s has an empty component", shown);
			goto cleanup;
		}
		if (n == 1 && c[0] == '.') {
			refuse(err, where, "%s has a '.' component", shown);
			goto cleanup;
		}
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (!depth)
				refuse(err, where, "%s is outside the repository", shown);
			else
				refuse(err, where, "%s has a '..' component", shown);
			goto cleanup;
		}
		if (n >= 4 && !strncasecmp(c, ".git", 4)) {
			refuse(err, where, "%s has a component starting with '.git'", shown);
			goto cleanup;
		}
		if (c == p && n == 3 && !strncasecmp(c, ".dc", 3)) {
			refuse(err, where, "%s is under '.dc/', which only git-dc writes", shown);
			goto cleanup;
		}
		depth++;
		if (!slash)
			break;
		c = slash + 1;
	}
	ret = 0;
cleanup:
	dc_buf_release(&q);
	return ret;
}

static int get_path(char **out, const struct dc_json *v, const char *where, struct dc_err *err)
{
	if (v->type != DC_JSON_STRING)
		return refuse(err, where, "expected a string, got %s", describe(v));
	if (check_path(v->u.str.s, v->u.str.len, where, err))
		return -1;
	*out = dc_xmemdupz(v->u.str.s, v->u.str.len);
	return 0;
}

/* A JSON Pointer; absent means "" (the whole file). */
static int get_pointer(char **out, const struct dc_json *v, const char *where,
		       struct dc_err *err)
{
	struct dc_err perr = DC_ERR_INIT;

	if (!v) {
		*out = dc_xstrdup("");
		return 0;
	}
	if (get_string(out, v, where, err))
		return -1;
	if (dc_json_pointer_check(*out, &perr)) {
		refuse(err, where, "%s", perr.msg.buf);
		dc_err_release(&perr);
		return -1;
	}
	return 0;
}

/* ---- sections ----------------------------------------------------------- */

enum {
	M_OP = 1 << 0,
	M_FILE = 1 << 1,
	M_AT = 1 << 2,
	M_KEY = 1 << 3,
	M_NORMALIZE = 1 << 4,
	M_SEGMENT = 1 << 5,
	M_FIELD = 1 << 6,
	M_VALUE = 1 << 7,
	M_FROM = 1 << 8,
	M_MATCH = 1 << 9,
	M_GROUP_BY = 1 << 10,
	M_TARGET = 1 << 11,
	M_ITEMS = 1 << 12,
	M_PUBLISH = 1 << 13,
};

static const struct member_name {
	const char *name;
	unsigned bit;
} section_members[] = {
	{ "op", M_OP },
	{ "file", M_FILE },
	{ "at", M_AT },
	{ "key", M_KEY },
	{ "normalize", M_NORMALIZE },
	{ "segment", M_SEGMENT },
	{ "field", M_FIELD },
	{ "value", M_VALUE },
	{ "from", M_FROM },
	{ "match", M_MATCH },
	{ "group_by", M_GROUP_BY },
	{ "target", M_TARGET },
	{ "items", M_ITEMS },
	{ "publish", M_PUBLISH },
};

static const struct section_op {
	const char *name;
	enum dc_op op;
	unsigned allowed, required;
} section_ops[] = {
	{ "append", DC_OP_APPEND, M_OP | M_FILE | M_AT | M_SEGMENT, M_FILE },
	{ "add", DC_OP_ADD, M_OP | M_FILE | M_AT | M_KEY | M_NORMALIZE | M_SEGMENT, M_FILE },
	{ "upsert", DC_OP_UPSERT, M_OP | M_FILE | M_AT | M_KEY | M_NORMALIZE | M_SEGMENT,
	  M_FILE | M_KEY },
	{ "set", DC_OP_SET, M_OP | M_FILE | M_AT | M_KEY | M_FIELD | M_VALUE,
	  M_FILE | M_KEY | M_FIELD | M_VALUE },
	{ "collect", DC_OP_COLLECT, M_OP | M_FILE | M_AT | M_KEY | M_NORMALIZE | M_FROM | M_MATCH |
	  M_GROUP_BY | M_TARGET | M_ITEMS | M_PUBLISH,
	  M_FILE | M_KEY | M_GROUP_BY | M_TARGET | M_PUBLISH },
	{ "ignore", DC_OP_IGNORE, M_OP, 0 },
};

static unsigned section_member_bit(const struct dc_json_member *m)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(section_members); i++)
		if (key_is(m, section_members[i].name))
			return section_members[i].bit;
	return 0;
}

static const struct section_op *parse_section_op(const struct dc_json *v, const char *where,
						 struct dc_err *err)
{
	struct dc_buf q = DC_BUF_INIT;
	size_t i;

	if (v->type != DC_JSON_STRING) {
		refuse(err, where, "expected a string, got %s", describe(v));
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(section_ops); i++)
		if (v->u.str.len == strlen(section_ops[i].name) &&
		    !memcmp(v->u.str.s, section_ops[i].name, v->u.str.len))
			return &section_ops[i];
	refuse(err, where, "unknown op %s (expected append, add, upsert, set, collect, ignore)",
	       quoted(&q, v->u.str.s, v->u.str.len));
	dc_buf_release(&q);
	return NULL;
}

static int parse_key(struct dc_section *s, const struct dc_json *v, const char *where,
		     struct dc_err *err)
{
	struct dc_buf q = DC_BUF_INIT;
	size_t i, j;
	int ret = -1;

	if (get_string_list(&s->key, &s->nkey, v, LIST_ONE_STRING,
			    "an array of strings", where, err))
		goto cleanup;
	if (s->op == DC_OP_UPSERT && !s->nkey) {
		refuse(err, where, "an upsert needs at least one key member");
		goto cleanup;
	}
	if (s->op == DC_OP_COLLECT && s->nkey != 1) {
		refuse(err, where, "a collect needs exactly one key member (the item in its group)");
		goto cleanup;
	}
	for (i = 0; i < s->nkey; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(s->key[i], s->key[j])) {
				refuse(err, where, "duplicate key member %s",
				       quoted(&q, s->key[i], strlen(s->key[i])));
				goto cleanup;
			}
	ret = 0;
cleanup:
	dc_buf_release(&q);
	return ret;
}

static int parse_normalize(struct dc_section *s, const struct dc_json *v, const char *where,
			   struct dc_err *err)
{
	struct dc_buf item = DC_BUF_INIT, q = DC_BUF_INIT;
	int ret = -1;
	size_t i, k;

	if (v->type != DC_JSON_OBJECT) {
		refuse(err, where, "expected an object, got %s", describe(v));
		goto cleanup;
	}
	s->normalize = dc_xcalloc(v->u.obj.n ? v->u.obj.n : 1, sizeof(*s->normalize));
	s->nnormalize = v->u.obj.n;
	for (i = 0; i < v->u.obj.n; i++) {
		const struct dc_json_member *m = &v->u.obj.m[i];
		struct dc_normalize *nz = &s->normalize[i];

		for (k = 0; k < s->nkey; k++)
			if (key_is(m, s->key[k]))
				break;
		if (k == s->nkey && !(s->group_by && key_is(m, s->group_by))) {
			refuse(err, where, "%s is not one of the key members%s",
			       quoted(&q, m->key, m->keylen),
			       s->op == DC_OP_COLLECT ? " nor 'group_by'" : "");
			goto cleanup;
		}
		nz->name = dc_xstrdup(m->key);
		dc_buf_reset(&item);
		dc_buf_addf(&item, "%s.%s", where, nz->name);
		if (get_string_list(&nz->alts, &nz->nalts, m->val, LIST_NONEMPTY,
				    "a non-empty array of strings", item.buf, err))
			goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&item);
	dc_buf_release(&q);
	return ret;
}

/* ---- collect ------------------------------------------------------------ */

static int is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_';
}

static void add_part(struct dc_match *m, size_t *alloc, const char *text, size_t len,
		     int capture)
{
	struct dc_match_part *p;

	DC_ALLOC_GROW(m->parts, m->nparts + 1, *alloc);
	p = &m->parts[m->nparts++];
	p->text = dc_xmemdupz(text, len);
	p->len = len;
	p->capture = capture;
}

/*
 * A match pattern into m->parts: literal text and captures "{name}" (name
 * of letters, digits and '_'); "{{" and "}}" stand for one brace. Two
 * captures need literal text between them, and a name is captured once.
 */
static int parse_pattern(struct dc_match *m, const char *p, size_t len, const char *where,
			 struct dc_err *err)
{
	struct dc_buf lit = DC_BUF_INIT;
	size_t i = 0, alloc = 0, k;
	int ret = -1;

	if (!len) {
		refuse(err, where, "empty pattern");
		goto cleanup;
	}
	while (i < len) {
		size_t start;

		if ((p[i] == '{' || p[i] == '}') && i + 1 < len && p[i + 1] == p[i]) {
			dc_buf_addch(&lit, p[i]);
			i += 2;
			continue;
		}
		if (p[i] == '}') {
			refuse(err, where, "unmatched '}' at byte %zu (write '}}' for a brace)", i);
			goto cleanup;
		}
		if (p[i] != '{') {
			dc_buf_addch(&lit, p[i++]);
			continue;
		}
		start = ++i;
		while (i < len && is_name_char((unsigned char)p[i]))
			i++;
		if (i == len || p[i] != '}') {
			refuse(err, where, "capture at byte %zu: expected '{name}' with a name of"
			       " letters, digits and '_' (write '{{' for a brace)", start - 1);
			goto cleanup;
		}
		if (i == start) {
			refuse(err, where, "capture at byte %zu has no name", start - 1);
			goto cleanup;
		}
		if (lit.len) {
			add_part(m, &alloc, lit.buf, lit.len, 0);
			dc_buf_reset(&lit);
		} else if (m->nparts && m->parts[m->nparts - 1].capture) {
			refuse(err, where, "captures '{%s}' and '{%.*s}' need literal text between"
			       " them", m->parts[m->nparts - 1].text, (int)(i - start), p + start);
			goto cleanup;
		}
		for (k = 0; k < m->nparts; k++)
			if (m->parts[k].capture && m->parts[k].len == i - start &&
			    !memcmp(m->parts[k].text, p + start, i - start)) {
				refuse(err, where, "'{%s}' is captured twice", m->parts[k].text);
				goto cleanup;
			}
		add_part(m, &alloc, p + start, i - start, 1);
		i++;
	}
	if (lit.len)
		add_part(m, &alloc, lit.buf, lit.len, 0);
	ret = 0;
cleanup:
	dc_buf_release(&lit);
	return ret;
}

static int parse_match(struct dc_section *s, const struct dc_json *v, const char *where,
		       struct dc_err *err)
{
	struct dc_buf item = DC_BUF_INIT, q = DC_BUF_INIT;
	int ret = -1;
	size_t i;

	if (v->type != DC_JSON_OBJECT) {
		refuse(err, where, "expected an object, got %s", describe(v));
		goto cleanup;
	}
	s->match = dc_xcalloc(v->u.obj.n ? v->u.obj.n : 1, sizeof(*s->match));
	s->nmatch = v->u.obj.n;
	for (i = 0; i < v->u.obj.n; i++) {
		const struct dc_json_member *m = &v->u.obj.m[i];
		const struct dc_json *pat = m->val;

		if (!m->keylen || memchr(m->key, '\0', m->keylen)) {
			refuse(err, where, "member name %s is not a usable member name",
			       quoted(&q, m->key, m->keylen));
			goto cleanup;
		}
		s->match[i].member = dc_xmemdupz(m->key, m->keylen);
		dc_buf_reset(&item);
		dc_buf_addf(&item, "%s.%s", where, s->match[i].member);
		if (pat->type != DC_JSON_STRING) {
			refuse(err, item.buf, "expected a string, got %s", describe(pat));
			goto cleanup;
		}
		if (parse_pattern(&s->match[i], pat->u.str.s, pat->u.str.len, item.buf, err))
			goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&item);
	dc_buf_release(&q);
	return ret;
}

static int parse_publish(struct dc_section *s, const struct dc_json *v, const char *where,
			 struct dc_err *err)
{
	struct dc_buf sub = DC_BUF_INIT, q = DC_BUF_INIT;
	const struct dc_json *file;
	int ret = -1;
	size_t i;

	if (v->type != DC_JSON_OBJECT) {
		refuse(err, where, "expected an object with 'file' and 'at', got %s", describe(v));
		goto cleanup;
	}
	for (i = 0; i < v->u.obj.n; i++)
		if (!key_is(&v->u.obj.m[i], "file") && !key_is(&v->u.obj.m[i], "at")) {
			refuse(err, where, "unknown member %s",
			       quoted(&q, v->u.obj.m[i].key, v->u.obj.m[i].keylen));
			goto cleanup;
		}
	if (!(file = dc_json_get(v, "file"))) {
		refuse(err, where, "missing member 'file'");
		goto cleanup;
	}
	if (get_path(&s->publish_file, file, member_path(&sub, where, "file"), err) ||
	    get_pointer(&s->publish_at, dc_json_get(v, "at"), member_path(&sub, where, "at"), err))
		goto cleanup;
	ret = 0;
cleanup:
	dc_buf_release(&sub);
	dc_buf_release(&q);
	return ret;
}

/* The members only a collect has (the key is parsed already). */
static int parse_collect(struct dc_section *s, const struct dc_json *v, const char *base,
			 struct dc_err *err)
{
	struct dc_buf where = DC_BUF_INIT;
	const struct dc_json *x;
	uint64_t target;
	int ret = -1;

	member_path(&where, base, "group_by");
	if (get_string(&s->group_by, dc_json_get(v, "group_by"), where.buf, err))
		goto cleanup;
	if (!*s->group_by) {
		refuse(err, where.buf, "empty name");
		goto cleanup;
	}
	if (!strcmp(s->group_by, s->key[0])) {
		refuse(err, where.buf, "'%s' is also the key: every group would hold one item",
		       s->group_by);
		goto cleanup;
	}
	if (get_positive(&target, dc_json_get(v, "target"), member_path(&where, base, "target"),
			 err))
		goto cleanup;
	s->collect_target = (size_t)target;
	member_path(&where, base, "items");
	if (!(x = dc_json_get(v, "items")))
		s->collect_items = dc_xstrdup("items");
	else if (get_string(&s->collect_items, x, where.buf, err))
		goto cleanup;
	if (!*s->collect_items) {
		refuse(err, where.buf, "empty name");
		goto cleanup;
	}
	if (!strcmp(s->collect_items, s->group_by)) {
		refuse(err, where.buf, "'%s' is also 'group_by' (name the items member with"
		       " 'items')", s->collect_items);
		goto cleanup;
	}
	if (parse_publish(s, dc_json_get(v, "publish"), member_path(&where, base, "publish"),
			  err))
		goto cleanup;
	if ((x = dc_json_get(v, "from")) &&
	    get_string(&s->collect_from, x, member_path(&where, base, "from"), err))
		goto cleanup;
	if ((x = dc_json_get(v, "match")) &&
	    parse_match(s, x, member_path(&where, base, "match"), err))
		goto cleanup;
	ret = 0;
cleanup:
	dc_buf_release(&where);
	return ret;
}

/*
 * A collect's `from` names another section of the rules, one that applies
 * its events (append, add, upsert or set).
 */
static int check_collect_from(const struct dc_rules *r, const struct dc_section *s,
			      struct dc_err *err)
{
	struct dc_buf where = DC_BUF_INIT, q = DC_BUF_INIT;
	const struct dc_section *from;
	int ret = -1;

	if (s->op != DC_OP_COLLECT || !s->collect_from)
		return 0;
	dc_buf_addf(&where, "sections.%s.from", s->name);
	quoted(&q, s->collect_from, strlen(s->collect_from));
	if (!(from = dc_rules_section(r, s->collect_from))) {
		refuse(err, where.buf, "no section named %s", q.buf);
		goto cleanup;
	}
	if (from == s) {
		refuse(err, where.buf, "names the section itself (leave 'from' out for that)");
		goto cleanup;
	}
	if (from->op == DC_OP_IGNORE || from->op == DC_OP_COLLECT) {
		refuse(err, where.buf, "section %s is %s, expected a section that applies its"
		       " events (append, add, upsert, set)", q.buf,
		       from->op == DC_OP_IGNORE ? "ignored" : "a collect");
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&where);
	dc_buf_release(&q);
	return ret;
}

/* 1 if `path` ends in ".json" with something before it. */
static int has_json_suffix(const char *path)
{
	size_t n = strlen(path);
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;

	return strlen(base) > 5 && !strcmp(path + n - 5, ".json");
}

static int parse_section(struct dc_section *s, const struct dc_json *v, const char *base,
			 struct dc_err *err)
{
	struct dc_buf where = DC_BUF_INIT, q = DC_BUF_INIT;
	const struct section_op *op;
	const struct dc_json *x;
	uint64_t segment;
	int ret = -1;
	size_t i;

	if (v->type != DC_JSON_OBJECT) {
		refuse(err, base, "expected an object, got %s", describe(v));
		goto cleanup;
	}
	for (i = 0; i < v->u.obj.n; i++)
		if (!section_member_bit(&v->u.obj.m[i])) {
			refuse(err, base, "unknown member %s",
			       quoted(&q, v->u.obj.m[i].key, v->u.obj.m[i].keylen));
			goto cleanup;
		}
	if (!(x = dc_json_get(v, "op"))) {
		refuse(err, base, "missing member 'op'");
		goto cleanup;
	}
	if (!(op = parse_section_op(x, member_path(&where, base, "op"), err)))
		goto cleanup;
	s->op = op->op;
	for (i = 0; i < v->u.obj.n; i++)
		if (!(section_member_bit(&v->u.obj.m[i]) & op->allowed)) {
			refuse(err, base, "member %s is not allowed with op '%s'",
			       quoted(&q, v->u.obj.m[i].key, v->u.obj.m[i].keylen), op->name);
			goto cleanup;
		}
	for (i = 0; i < ARRAY_SIZE(section_members); i++)
		if ((section_members[i].bit & op->required) &&
		    !dc_json_get(v, section_members[i].name)) {
			refuse(err, base, "missing member '%s'", section_members[i].name);
			goto cleanup;
		}
	if (s->op == DC_OP_IGNORE) {
		ret = 0;
		goto cleanup;
	}

	if (get_path(&s->file, dc_json_get(v, "file"), member_path(&where, base, "file"), err) ||
	    get_pointer(&s->at, dc_json_get(v, "at"), member_path(&where, base, "at"), err))
		goto cleanup;
	if (s->op == DC_OP_SET) {
		if (get_string(&s->set_key, dc_json_get(v, "key"),
			       member_path(&where, base, "key"), err) ||
		    get_string(&s->set_field, dc_json_get(v, "field"),
			       member_path(&where, base, "field"), err) ||
		    get_string(&s->set_value, dc_json_get(v, "value"),
			       member_path(&where, base, "value"), err))
			goto cleanup;
	} else if ((x = dc_json_get(v, "key"))) {
		if (parse_key(s, x, member_path(&where, base, "key"), err))
			goto cleanup;
	}
	if (s->op == DC_OP_COLLECT && parse_collect(s, v, base, err))
		goto cleanup;
	if ((x = dc_json_get(v, "normalize")) &&
	    parse_normalize(s, x, member_path(&where, base, "normalize"), err))
		goto cleanup;
	if ((x = dc_json_get(v, "segment"))) {
		member_path(&where, base, "segment");
		if (get_positive(&segment, x, where.buf, err))
			goto cleanup;
		if (!has_json_suffix(s->file)) {
			refuse(err, where.buf, "needs a file whose name ends in '.json', not %s",
			       quoted(&q, s->file, strlen(s->file)));
			goto cleanup;
		}
		if (*s->at) {
			refuse(err, where.buf, "needs the whole file as the target, not %s (segment"
			       " files are arrays)", quoted(&q, s->at, strlen(s->at)));
			goto cleanup;
		}
		s->segment = (size_t)segment;
	}
	ret = 0;
cleanup:
	dc_buf_release(&where);
	dc_buf_release(&q);
	return ret;
}

/*
 * A section name must be a member a delta can carry as a section: not
 * empty, not "_..." (never applied), not "frame" or "stream_id", not a utc
 * member (nor the object a dotted utc name reaches into).
 */
static int check_section_name(const struct dc_json_member *m, const struct dc_rules *r,
			      struct dc_err *err)
{
	struct dc_buf q = DC_BUF_INIT;
	size_t i;
	int ret = -1;

	if (!m->keylen) {
		refuse(err, "sections", "empty section name");
		goto cleanup;
	}
	quoted(&q, m->key, m->keylen);
	if (memchr(m->key, '\0', m->keylen)) {
		refuse(err, "sections", "section name %s contains a NUL byte", q.buf);
		goto cleanup;
	}
	if (m->key[0] == '_') {
		refuse(err, "sections", "section name %s starts with '_' (such members are never applied)",
		       q.buf);
		goto cleanup;
	}
	if (!strcmp(m->key, "frame") || !strcmp(m->key, "stream_id")) {
		refuse(err, "sections", "%s is a reserved member of a delta, not a section", q.buf);
		goto cleanup;
	}
	for (i = 0; i < r->nutc; i++) {
		const char *dot = strchr(r->utc[i], '.');
		size_t first = dot ? (size_t)(dot - r->utc[i]) : strlen(r->utc[i]);

		if (!strcmp(m->key, r->utc[i]) ||
		    (m->keylen == first && !memcmp(m->key, r->utc[i], first))) {
			refuse(err, "sections", "%s is a utc member (utc[%zu]), not a section",
			       q.buf, i);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	dc_buf_release(&q);
	return ret;
}

static int parse_sections(struct dc_rules *r, const struct dc_json *v, struct dc_err *err)
{
	struct dc_buf base = DC_BUF_INIT;
	int ret = -1;
	size_t i;

	if (v->type != DC_JSON_OBJECT) {
		refuse(err, "sections", "expected an object, got %s", describe(v));
		goto cleanup;
	}
	r->sections = dc_xcalloc(v->u.obj.n ? v->u.obj.n : 1, sizeof(*r->sections));
	r->nsections = v->u.obj.n;
	for (i = 0; i < v->u.obj.n; i++) {
		const struct dc_json_member *m = &v->u.obj.m[i];

		if (check_section_name(m, r, err))
			goto cleanup;
		r->sections[i].name = dc_xstrdup(m->key);
		dc_buf_reset(&base);
		dc_buf_addf(&base, "sections.%s", m->key);
		if (parse_section(&r->sections[i], m->val, base.buf, err))
			goto cleanup;
	}
	for (i = 0; i < r->nsections; i++)
		if (check_collect_from(r, &r->sections[i], err))
			goto cleanup;
	ret = 0;
cleanup:
	dc_buf_release(&base);
	return ret;
}

/* ---- derived ------------------------------------------------------------ */

static const char *const derived_members[] = { "op", "file", "at", "of", "group_by", "field" };

static int parse_derived_one(struct dc_derived *d, const struct dc_json *v, const char *base,
			     const struct dc_rules *r, struct dc_err *err)
{
	static const char *const required[] = { "op", "file", "of" };
	struct dc_buf where = DC_BUF_INIT, q = DC_BUF_INIT;
	const struct dc_section *s;
	const struct dc_json *x;
	int ret = -1;
	size_t i, k;

	if (v->type != DC_JSON_OBJECT) {
		refuse(err, base, "expected an object, got %s", describe(v));
		goto cleanup;
	}
	for (i = 0; i < v->u.obj.n; i++) {
		for (k = 0; k < ARRAY_SIZE(derived_members); k++)
			if (key_is(&v->u.obj.m[i], derived_members[k]))
				break;
		if (k == ARRAY_SIZE(derived_members)) {
			refuse(err, base, "unknown member %s",
			       quoted(&q, v->u.obj.m[i].key, v->u.obj.m[i].keylen));
			goto cleanup;
		}
	}
	for (k = 0; k < ARRAY_SIZE(required); k++)
		if (!dc_json_get(v, required[k])) {
			refuse(err, base, "missing member '%s'", required[k]);
			goto cleanup;
		}
	x = dc_json_get(v, "op");
	member_path(&where, base, "op");
	if (x->type != DC_JSON_STRING) {
		refuse(err, where.buf, "expected a string, got %s", describe(x));
		goto cleanup;
	}
	if (strcmp(x->u.str.s, "count") || x->u.str.len != 5) {
		refuse(err, where.buf, "unknown op %s (expected count)",
		       quoted(&q, x->u.str.s, x->u.str.len));
		goto cleanup;
	}
	d->op = DC_OP_COUNT;
	if (dc_json_get(v, "group_by") && !dc_json_get(v, "field")) {
		refuse(err, base, "missing member 'field' (required with 'group_by')");
		goto cleanup;
	}
	if (!dc_json_get(v, "group_by") && dc_json_get(v, "field")) {
		refuse(err, base, "member 'field' is allowed only with 'group_by'");
		goto cleanup;
	}
	if (get_path(&d->file, dc_json_get(v, "file"), member_path(&where, base, "file"), err) ||
	    get_pointer(&d->at, dc_json_get(v, "at"), member_path(&where, base, "at"), err) ||
	    get_string(&d->of, dc_json_get(v, "of"), member_path(&where, base, "of"), err))
		goto cleanup;
	if ((x = dc_json_get(v, "group_by")) &&
	    (get_string(&d->group_by, x, member_path(&where, base, "group_by"), err) ||
	     get_string(&d->field, dc_json_get(v, "field"),
			member_path(&where, base, "field"), err)))
		goto cleanup;
	member_path(&where, base, "of");
	if (!(s = dc_rules_section(r, d->of))) {
		refuse(err, where.buf, "no section named %s", quoted(&q, d->of, strlen(d->of)));
		goto cleanup;
	}
	if (s->op == DC_OP_IGNORE) {
		refuse(err, where.buf, "section %s is ignored, there is nothing to count",
		       quoted(&q, d->of, strlen(d->of)));
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&where);
	dc_buf_release(&q);
	return ret;
}

static int parse_derived(struct dc_rules *r, const struct dc_json *v, struct dc_err *err)
{
	struct dc_buf base = DC_BUF_INIT;
	int ret = -1;
	size_t i;

	if (v->type != DC_JSON_ARRAY) {
		refuse(err, "derived", "expected an array, got %s", describe(v));
		goto cleanup;
	}
	r->derived = dc_xcalloc(v->u.arr.n ? v->u.arr.n : 1, sizeof(*r->derived));
	r->nderived = v->u.arr.n;
	for (i = 0; i < v->u.arr.n; i++) {
		dc_buf_reset(&base);
		dc_buf_addf(&base, "derived[%zu]", i);
		if (parse_derived_one(&r->derived[i], v->u.arr.v[i], base.buf, r, err))
			goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&base);
	return ret;
}

/* ---- targets ------------------------------------------------------------ */

/* What one section or derived count writes. */
struct target {
	const char *file, *at;
	const struct dc_section *section;	/* NULL for a derived count */
	const struct dc_derived *derived;
	size_t index;				/* of the derived count */
	int publish;				/* a collect's published groups */
};

static void add_label(struct dc_buf *b, const struct target *t)
{
	if (t->section)
		dc_buf_addf(b, "section '%s'%s", t->section->name, t->publish ? " (publish)" : "");
	else
		dc_buf_addf(b, "derived[%zu]", t->index);
}

/* 1 if `path` is strictly below the directory `dir`. */
static int path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && path[n] == '/';
}

/* 1 if the pointer `inner` names a value strictly inside `outer`. */
static int pointer_inside(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	return !strncmp(inner, outer, n) && inner[n] == '/';
}

static int check_delta_dir(const struct dc_rules *r, const struct target *t, struct dc_err *err)
{
	struct dc_buf where = DC_BUF_INIT, label = DC_BUF_INIT;
	int ret = -1;

	if (t->section)
		dc_buf_addf(&where, "sections.%s.%s", t->section->name,
			    t->publish ? "publish.file" : "file");
	else
		dc_buf_addf(&where, "derived[%zu].file", t->index);
	add_label(&label, t);
	if (!strcmp(t->file, r->deltas) || path_under(t->file, r->deltas)) {
		refuse(err, where.buf, "'%s' is inside the delta directory '%s'",
		       t->file, r->deltas);
		goto cleanup;
	}
	if (path_under(r->deltas, t->file)) {
		refuse(err, "deltas", "'%s' is inside '%s', the file of %s",
		       r->deltas, t->file, label.buf);
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&where);
	dc_buf_release(&label);
	return ret;
}

/* Two targets in one file at the same pointer. */
static int check_same_target(const struct target *a, const struct target *b,
			     const char *la, const char *lb, struct dc_err *err)
{
	const char *at = a->at;

	if ((a->section && a->section->op == DC_OP_COLLECT) ||
	    (b->section && b->section->op == DC_OP_COLLECT))
		return refuse(err, NULL, "%s and %s write the same target %s%s (a collect needs"
			      " targets of its own)", la, lb, a->file, at);
	if (a->section && b->section) {
		if (a->section->op == b->section->op)
			return 0;
		return refuse(err, NULL, "sections '%s' and '%s' write the same target %s%s "
			      "with different ops (%s, %s)", a->section->name, b->section->name,
			      a->file, at, dc_op_name(a->section->op),
			      dc_op_name(b->section->op));
	}
	if (a->section || b->section) {
		const struct dc_derived *d = a->section ? b->derived : a->derived;

		/* a per-group count writes only its field into each entity */
		if (d->group_by)
			return 0;
		return refuse(err, NULL, "%s and %s write the same target %s%s "
			      "(a count without 'group_by' needs a target of its own)",
			      la, lb, a->file, at);
	}
	if (a->derived->group_by && b->derived->group_by) {
		if (strcmp(a->derived->field, b->derived->field))
			return 0;
		return refuse(err, NULL, "%s and %s both write the field '%s' of target %s%s",
			      la, lb, a->derived->field, a->file, at);
	}
	return refuse(err, NULL, "%s and %s write the same target %s%s", la, lb, a->file, at);
}

static int is_segmented(const struct target *t)
{
	return t->section && !t->publish && t->section->segment;
}

static int check_pair(const struct target *a, const struct target *b, struct dc_err *err)
{
	struct dc_buf la = DC_BUF_INIT, lb = DC_BUF_INIT;
	int ret = -1;

	add_label(&la, a);
	add_label(&lb, b);
	if (is_segmented(a) || is_segmented(b)) {
		const struct target *sg = is_segmented(a) ? a : b, *o = sg == a ? b : a;
		if (!strcmp(a->file, b->file) || dc_rules_segment_number(o->file, sg->file) >= 0) {
			refuse(err, NULL, "%s writes '%s', a file of the segmented %s (a segmented"
			       " array has its files to itself)", sg == a ? lb.buf : la.buf, o->file,
			       sg == a ? la.buf : lb.buf);
			goto cleanup;
		}
	}
	if (!strcmp(a->file, b->file)) {
		if (!strcmp(a->at, b->at)) {
			if (check_same_target(a, b, la.buf, lb.buf, err))
				goto cleanup;
		} else if (pointer_inside(b->at, a->at)) {
			refuse(err, NULL, "%s writes %s%s, inside the target %s%s of %s",
			       lb.buf, b->file, b->at, a->file, a->at, la.buf);
			goto cleanup;
		} else if (pointer_inside(a->at, b->at)) {
			refuse(err, NULL, "%s writes %s%s, inside the target %s%s of %s",
			       la.buf, a->file, a->at, b->file, b->at, lb.buf);
			goto cleanup;
		}
	} else if (path_under(b->file, a->file)) {
		refuse(err, NULL, "%s writes the file '%s', below '%s', the file of %s",
		       lb.buf, b->file, a->file, la.buf);
		goto cleanup;
	} else if (path_under(a->file, b->file)) {
		refuse(err, NULL, "%s writes the file '%s', below '%s', the file of %s",
		       la.buf, a->file, b->file, lb.buf);
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&la);
	dc_buf_release(&lb);
	return ret;
}

static int check_targets(const struct dc_rules *r, struct dc_err *err)
{
	struct target *t = dc_xcalloc(2 * r->nsections + r->nderived + 1, sizeof(*t));
	size_t i, j, n = 0;
	int ret = -1;

	for (i = 0; i < r->nsections; i++) {
		if (r->sections[i].op == DC_OP_IGNORE)
			continue;
		t[n].file = r->sections[i].file;
		t[n].at = r->sections[i].at;
		t[n].section = &r->sections[i];
		n++;
		if (r->sections[i].op != DC_OP_COLLECT)
			continue;
		t[n].file = r->sections[i].publish_file;
		t[n].at = r->sections[i].publish_at;
		t[n].section = &r->sections[i];
		t[n].publish = 1;
		n++;
	}
	for (i = 0; i < r->nderived; i++) {
		t[n].file = r->derived[i].file;
		t[n].at = r->derived[i].at;
		t[n].derived = &r->derived[i];
		t[n].index = i;
		n++;
	}
	for (i = 0; i < n; i++)
		if (check_delta_dir(r, &t[i], err))
			goto cleanup;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (check_pair(&t[i], &t[j], err))
				goto cleanup;
	ret = 0;
cleanup:
	free(t);
	return ret;
}

/* ---- the file ----------------------------------------------------------- */

static const char *const top_members[] = {
	"version", "deltas", "layout", "utc", "max_delta_bytes", "sections", "derived",
};

static int parse_version(struct dc_rules *r, const struct dc_json *v, struct dc_err *err)
{
	int64_t n;

	if (!v)
		return refuse(err, NULL, "missing member 'version'");
	if (v->type != DC_JSON_NUMBER)
		return refuse(err, "version", "expected the integer 1, got %s", describe(v));
	if (!dc_json_get_int(v, &n))
		return refuse(err, "version", "expected the integer 1, got %s", v->u.str.s);
	if (n != 1)
		return refuse(err, "version", "unsupported version %s (this git-dc reads version 1)",
			      v->u.str.s);
	r->version = 1;
	return 0;
}

static int parse_deltas(struct dc_rules *r, const struct dc_json *v, struct dc_err *err)
{
	size_t len;

	if (!v) {
		r->deltas = dc_xstrdup(DC_DEFAULT_DELTAS);
		return 0;
	}
	if (v->type != DC_JSON_STRING)
		return refuse(err, "deltas", "expected a string, got %s", describe(v));
	len = v->u.str.len;
	if (len > 1 && v->u.str.s[len - 1] == '/')
		len--;
	if (check_path(v->u.str.s, len, "deltas", err))
		return -1;
	r->deltas = dc_xmemdupz(v->u.str.s, len);
	return 0;
}

static int parse_layout(struct dc_rules *r, const struct dc_json *v, struct dc_err *err)
{
	struct dc_buf q = DC_BUF_INIT;

	if (!v) {
		r->layout = DC_LAYOUT_FLAT;
		return 0;
	}
	if (v->type != DC_JSON_STRING)
		return refuse(err, "layout", "expected a string, got %s", describe(v));
	if (v->u.str.len == 4 && !memcmp(v->u.str.s, "flat", 4)) {
		r->layout = DC_LAYOUT_FLAT;
		return 0;
	}
	if (v->u.str.len == 8 && !memcmp(v->u.str.s, "by-frame", 8)) {
		r->layout = DC_LAYOUT_BY_FRAME;
		return 0;
	}
	refuse(err, "layout", "unknown layout %s (expected flat, by-frame)",
	       quoted(&q, v->u.str.s, v->u.str.len));
	dc_buf_release(&q);
	return -1;
}

static int parse_utc(struct dc_rules *r, const struct dc_json *v, struct dc_err *err)
{
	struct dc_buf item = DC_BUF_INIT, q = DC_BUF_INIT;
	int ret = -1;
	size_t i;

	if (!v) {
		r->utc = dc_xcalloc(1, sizeof(*r->utc));
		r->utc[0] = dc_xstrdup("utc");
		r->nutc = 1;
		return 0;
	}
	if (get_string_list(&r->utc, &r->nutc, v, LIST_NONEMPTY | LIST_NO_EMPTY_ITEM,
			    "a non-empty array of strings", "utc", err))
		goto cleanup;
	for (i = 0; i < r->nutc; i++) {
		const char *s = r->utc[i];
		size_t n = strlen(s);

		if (s[0] == '.' || s[n - 1] == '.' || strstr(s, "..")) {
			dc_buf_reset(&item);
			dc_buf_addf(&item, "utc[%zu]", i);
			refuse(err, item.buf, "%s has an empty dotted component",
			       quoted(&q, s, n));
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	dc_buf_release(&item);
	dc_buf_release(&q);
	return ret;
}

int dc_rules_parse(struct dc_rules *out, const char *buf, size_t len, struct dc_err *err)
{
	struct dc_json_parse_opts opts = DC_JSON_PARSE_OPTS_INIT;
	struct dc_rules r = DC_RULES_INIT;
	struct dc_json *root = NULL;
	const struct dc_json *v;
	struct dc_buf q = DC_BUF_INIT;
	int ret = -1;
	size_t i, k;

	if (dc_json_parse(&root, buf, len, &opts, err)) {
		dc_err_prefix(err, "rules");
		fix_hint(err);
		goto cleanup;
	}
	if (root->type != DC_JSON_OBJECT) {
		refuse(err, NULL, "expected an object, got %s", describe(root));
		goto cleanup;
	}
	/* the version first: a newer file may well have members we don't know */
	if (parse_version(&r, dc_json_get(root, "version"), err))
		goto cleanup;
	for (i = 0; i < root->u.obj.n; i++) {
		for (k = 0; k < ARRAY_SIZE(top_members); k++)
			if (key_is(&root->u.obj.m[i], top_members[k]))
				break;
		if (k == ARRAY_SIZE(top_members)) {
			refuse(err, NULL, "unknown member %s",
			       quoted(&q, root->u.obj.m[i].key, root->u.obj.m[i].keylen));
			goto cleanup;
		}
	}
	if (parse_deltas(&r, dc_json_get(root, "deltas"), err) ||
	    parse_layout(&r, dc_json_get(root, "layout"), err) ||
	    parse_utc(&r, dc_json_get(root, "utc"), err))
		goto cleanup;
	r.max_delta_bytes = DC_DEFAULT_MAX_DELTA_BYTES;
	if ((v = dc_json_get(root, "max_delta_bytes")) &&
	    get_positive(&r.max_delta_bytes, v, "max_delta_bytes", err))
		goto cleanup;
	if ((v = dc_json_get(root, "sections")) && parse_sections(&r, v, err))
		goto cleanup;
	if ((v = dc_json_get(root, "derived")) && parse_derived(&r, v, err))
		goto cleanup;
	if (check_targets(&r, err))
		goto cleanup;
	*out = r;
	memset(&r, 0, sizeof(r));
	ret = 0;
cleanup:
	dc_rules_release(&r);
	dc_json_free(root);
	dc_buf_release(&q);
	return ret;
}

void dc_rules_release(struct dc_rules *r)
{
	size_t i, k;

	free(r->deltas);
	free_string_list(r->utc, r->nutc);
	for (i = 0; i < r->nsections; i++) {
		struct dc_section *s = &r->sections[i];

		free(s->name);
		free(s->file);
		free(s->at);
		free_string_list(s->key, s->nkey);
		for (k = 0; k < s->nnormalize; k++) {
			free(s->normalize[k].name);
			free_string_list(s->normalize[k].alts, s->normalize[k].nalts);
		}
		free(s->normalize);
		free(s->set_key);
		free(s->set_field);
		free(s->set_value);
		free(s->group_by);
		free(s->publish_file);
		free(s->publish_at);
		free(s->collect_from);
		for (k = 0; k < s->nmatch; k++) {
			size_t p;

			free(s->match[k].member);
			for (p = 0; p < s->match[k].nparts; p++)
				free(s->match[k].parts[p].text);
			free(s->match[k].parts);
		}
		free(s->match);
		free(s->collect_items);
	}
	free(r->sections);
	for (i = 0; i < r->nderived; i++) {
		free(r->derived[i].file);
		free(r->derived[i].at);
		free(r->derived[i].of);
		free(r->derived[i].group_by);
		free(r->derived[i].field);
	}
	free(r->derived);
	memset(r, 0, sizeof(*r));
}

const struct dc_section *dc_rules_section(const struct dc_rules *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nsections; i++)
		if (!strcmp(r->sections[i].name, name))
			return &r->sections[i];
	return NULL;
}

/* ---- canonical files ---------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t dc_rules_files(const struct dc_rules *r, const char ***out)
{
	const char **files = dc_xcalloc(2 * r->nsections + r->nderived + 1, sizeof(*files));
	size_t i, n = 0, kept = 0;

	for (i = 0; i < r->nsections; i++) {
		if (r->sections[i].op != DC_OP_IGNORE)
			files[n++] = r->sections[i].file;
		if (r->sections[i].op == DC_OP_COLLECT)
			files[n++] = r->sections[i].publish_file;
	}
	for (i = 0; i < r->nderived; i++)
		files[n++] = r->derived[i].file;
	qsort(files, n, sizeof(*files), cmp_str);
	for (i = 0; i < n; i++)
		if (!kept || strcmp(files[kept - 1], files[i]))
			files[kept++] = files[i];
	*out = files;
	return kept;
}

long dc_rules_segment_number(const char *path, const char *file)
{
	size_t stem, i;
	long k = 0;

	if (!has_json_suffix(file))
		return -1;
	stem = strlen(file) - 5;
	if (strlen(path) != stem + 12 || strncmp(path, file, stem) || path[stem] != '.' ||
	    strcmp(path + stem + 7, ".json"))
		return -1;
	for (i = stem + 1; i < stem + 7; i++) {
		if (path[i] < '0' || path[i] > '9')
			return -1;
		k = 10 * k + (path[i] - '0');
	}
	return k;
}

void dc_rules_segment_path(struct dc_buf *out, const char *file, size_t k)
{
	dc_buf_addf(out, "%.*s.%06zu.json", (int)(strlen(file) - 5), file, k);
}

const struct dc_section *dc_rules_segmented(const struct dc_rules *r, const char *path,
					    long *k)
{
	size_t i;
	long n;

	for (i = 0; i < r->nsections; i++) {
		const struct dc_section *s = &r->sections[i];
		if (!s->segment || s->op == DC_OP_IGNORE)
			continue;
		if (!strcmp(path, s->file)) {
			if (k)
				*k = -1;
			return s;
		}
		if ((n = dc_rules_segment_number(path, s->file)) >= 0) {
			if (k)
				*k = n;
			return s;
		}
	}
	return NULL;
}

int dc_rules_is_canonical(const struct dc_rules *r, const char *path)
{
	size_t i;

	if (!strcmp(path, DC_HEAD_PATH))
		return 1;
	for (i = 0; i < r->nsections; i++) {
		const struct dc_section *s = &r->sections[i];

		if (s->op == DC_OP_IGNORE)
			continue;
		if (!strcmp(path, s->file) ||
		    (s->segment && dc_rules_segment_number(path, s->file) >= 0))
			return 1;
		if (s->op == DC_OP_COLLECT && !strcmp(path, s->publish_file))
			return 1;
	}
	for (i = 0; i < r->nderived; i++)
		if (!strcmp(path, r->derived[i].file))
			return 1;
	return 0;
}

int dc_rules_not_canonical(struct dc_err *err, const struct dc_rules *r, const char *path)
{
	const char **files = NULL;
	size_t i, n = dc_rules_files(r, &files);
	struct dc_buf list = DC_BUF_INIT;

	dc_err_set(err, DC_ERR_REFUSED, "'%s' is not a canonical file of the rules", path);
	for (i = 0; i < n; i++)
		dc_buf_addf(&list, "%s'%s'", i ? ", " : "", files[i]);
	if (n)
		dc_err_hint(err, "the canonical files are %s", list.buf);
	else
		dc_err_hint(err, "the rules name no canonical file: add a section to '%s'",
			    DC_RULES_PATH);
	dc_buf_release(&list);
	free(files);
	return -1;
}

/* ---- presets ------------------------------------------------------------ */

/*
 * Written compact here for reading, and laid out by dc_json_write, so a
 * preset is always in the canonical layout.
 */
static const struct {
	const char *name;
	const char *text;
} presets[] = {
	{ "rappterbook",
	  "{\"version\": 1, \"deltas\": \"state/stream_deltas\", \"layout\": \"flat\","
	  " \"utc\": [\"utc\", \"completed_at\", \"_meta.timestamp\"],"
	  " \"sections\": {"
	  "  \"posts_created\": {\"op\": \"upsert\", \"file\": \"state/posted_log.json\","
	  "   \"at\": \"/posts\", \"key\": [\"number\"]},"
	  "  \"comments_added\": {\"op\": \"add\", \"file\": \"state/posted_log.json\","
	  "   \"at\": \"/comments\", \"key\": [\"discussion\", \"author\", \"body\"],"
	  "   \"normalize\": {\"discussion\": [\"discussion\", \"post\", \"discussion_number\"],"
	  "    \"author\": [\"author\", \"agent\"]}},"
	  "  \"reactions_added\": {\"op\": \"add\", \"file\": \"state/reactions.json\","
	  "   \"at\": \"/reactions\", \"key\": [\"discussion\", \"agent\", \"reaction\"]},"
	  "  \"votes\": {\"op\": \"add\", \"file\": \"state/votes.json\", \"at\": \"/votes\","
	  "   \"key\": [\"post\", \"voter\", \"type\"]},"
	  "  \"observations\": {\"op\": \"append\", \"file\": \"state/observations.json\","
	  "   \"at\": \"/observations\"},"
	  "  \"profile_updates\": {\"op\": \"set\", \"file\": \"state/agents.json\","
	  "   \"at\": \"/agents\", \"key\": \"agent\", \"field\": \"field\", \"value\": \"value\"},"
	  "  \"books\": {\"op\": \"collect\", \"from\": \"posts_created\","
	  "   \"file\": \"state/book_catalog.json\", \"at\": \"/in_progress\","
	  "   \"match\": {\"title\": \"[CHAPTER] Chapter {chapter}: {chapter_title}\"},"
	  "   \"group_by\": \"book\", \"normalize\": {\"book\": [\"book\", \"author\"]},"
	  "   \"key\": \"chapter\", \"target\": 4, \"items\": \"chapters\","
	  "   \"publish\": {\"file\": \"state/book_catalog.json\", \"at\": \"/books\"}},"
	  "  \"stream_type\": {\"op\": \"ignore\"},"
	  "  \"agents_activated\": {\"op\": \"ignore\"},"
	  "  \"discussions_engaged\": {\"op\": \"ignore\"},"
	  "  \"soul_files_updated\": {\"op\": \"ignore\"}},"
	  " \"derived\": ["
	  "  {\"op\": \"count\", \"file\": \"state/stats.json\", \"at\": \"/total_posts\","
	  "   \"of\": \"posts_created\"},"
	  "  {\"op\": \"count\", \"file\": \"state/stats.json\", \"at\": \"/total_comments\","
	  "   \"of\": \"comments_added\"},"
	  "  {\"op\": \"count\", \"file\": \"state/agents.json\", \"at\": \"/agents\","
	  "   \"of\": \"posts_created\", \"group_by\": \"author\", \"field\": \"post_count\"},"
	  "  {\"op\": \"count\", \"file\": \"state/channels.json\", \"at\": \"/channels\","
	  "   \"of\": \"posts_created\", \"group_by\": \"channel\", \"field\": \"post_count\"}]}" },
	{ "minimal",
	  "{\"version\": 1, \"deltas\": \"state/stream_deltas\", \"layout\": \"flat\","
	  " \"utc\": [\"utc\"],"
	  " \"sections\": {\"events\": {\"op\": \"append\", \"file\": \"state/events.json\","
	  "  \"at\": \"/events\"}},"
	  " \"derived\": []}" },
};

int dc_rules_preset(struct dc_buf *out, const char *name, struct dc_err *err)
{
	struct dc_json_parse_opts opts = DC_JSON_PARSE_OPTS_INIT;
	struct dc_json *tree = NULL;
	struct dc_buf list = DC_BUF_INIT;
	size_t i;
	int ret = -1;

	for (i = 0; i < ARRAY_SIZE(presets); i++)
		if (!strcmp(presets[i].name, name))
			break;
	if (i == ARRAY_SIZE(presets)) {
		for (i = 0; dc_rules_presets[i]; i++)
			dc_buf_addf(&list, "%s%s", i ? ", " : "", dc_rules_presets[i]);
		dc_err_set(err, DC_ERR_USAGE, "unknown preset '%s' (available: %s)",
			   name, list.buf);
		goto cleanup;
	}
	if (dc_json_parse(&tree, presets[i].text, strlen(presets[i].text), &opts, err)) {
		dc_err_prefix(err, "built-in preset '%s'", name);
		if (err)
			err->code = DC_ERR_FATAL;
		goto cleanup;
	}
	dc_json_write(out, tree);
	ret = 0;
cleanup:
	dc_json_free(tree);
	dc_buf_release(&list);
	return ret;
}
