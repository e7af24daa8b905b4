/*
 * Fuzzing the merge driver's inputs: dc_jmerge_bytes() on three versions
 * of one file, under fixed rules, and the properties every merge keeps:
 *  - it never fails (a clean result always parses again), never crashes;
 *  - a clean result is in the canonical layout and holds no conflict
 *    marker;
 *  - swapping the sides gives as many conflicts, and a clean merge one way
 *    is clean the other way;
 *  - in a file without derived counts (a recount writes over whatever
 *    held the count): a clean merge keeps every object member of both
 *    sides (outside arrays), and merging a side with itself gives that
 *    side back.
 *
 * Input: one byte choosing the path (its high bit the mode), then three
 * parts separated by 0xff bytes (a byte valid JSON never holds):
 *  - raw mode: base, ours and theirs; with only two parts there is no base;
 *  - edit mode: the base, then two edit scripts that make ours and theirs
 *    from it (three bytes an edit: what, where, which value), so that most
 *    inputs are three related, valid versions and the fuzzer spends its
 *    time in the merge rather than in the parser.
 * Built by `make fuzz` with libFuzzer, and by `make` into a replayer
 * (replay.c) that runs the kept corpus as a regression test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jmerge.h"
#include "fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules_text[] =
	"{\"version\": 1, \"utc\": [\"utc\"], \"sections\": {"
	" \"posts\": {\"op\": \"upsert\", \"file\": \"p.json\", \"at\": \"/posts\", \"key\": [\"n\"]},"
	" \"comments\": {\"op\": \"add\", \"file\": \"p.json\", \"at\": \"/comments\","
	"  \"key\": [\"d\", \"a\"], \"normalize\": {\"a\": [\"a\", \"b\"]}},"
	" \"tags\": {\"op\": \"add\", \"file\": \"t.json\", \"at\": \"\"},"
	" \"obs\": {\"op\": \"append\", \"file\": \"o.json\", \"at\": \"/o\"},"
	" \"prof\": {\"op\": \"set\", \"file\": \"a.json\", \"at\": \"/a\", \"key\": \"k\","
	"  \"field\": \"f\", \"value\": \"v\"},"
	" \"items\": {\"op\": \"upsert\", \"file\": \"i.json\", \"at\": \"/i\", \"key\": [\"id\"]}},"
	" \"derived\": ["
	"  {\"op\": \"count\", \"file\": \"s.json\", \"at\": \"/n\", \"of\": \"posts\"},"
	"  {\"op\": \"count\", \"file\": \"a.json\", \"at\": \"/a\", \"of\": \"posts\","
	"   \"group_by\": \"by\", \"field\": \"c\"},"
	"  {\"op\": \"count\", \"file\": \"i.json\", \"at\": \"/n\", \"of\": \"items\"},"
	"  {\"op\": \"count\", \"file\": \"i.json\", \"at\": \"/g\", \"of\": \"items\","
	"   \"group_by\": \"o\", \"field\": \"c\"}]}";

/* path, and whether derived counts write into it */
static const struct { const char *path; int counted; } paths[] = {
	{ "p.json", 0 }, { "t.json", 0 }, { "o.json", 0 }, { "a.json", 1 },
	{ "i.json", 1 }, { "s.json", 1 }, { "other.json", 0 },
};

static struct dc_rules rules;
static int rules_loaded;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-jmerge: property broken: %s\n", what);
		abort();
	}
}

/* Every member of every object of `side` is in `merged` at the same place. */
static void keeps_members(const struct dc_json *side, const struct dc_json *merged)
{
	size_t i;

	if (side->type != DC_JSON_OBJECT || merged->type != DC_JSON_OBJECT)
		return;
	for (i = 0; i < side->u.obj.n; i++) {
		const struct dc_json_member *m = &side->u.obj.m[i];
		const struct dc_json *r = dc_json_getn(merged, m->key, m->keylen);
		check(r != NULL, "a member of one side is missing from the merge");
		keeps_members(m->val, r);
	}
}

static void merge(struct dc_buf *out, struct dc_jmerge_result *res, const char *path,
		  const char *b, size_t bl, int has_b, const char *o, size_t ol,
		  const char *t, size_t tl)
{
	struct dc_err err = DC_ERR_INIT;
	int r = dc_jmerge_bytes(out, res, &rules, path, b, bl, has_b, o, ol, t, tl, &err);

	check(r == 0, err.msg.buf);
	dc_err_release(&err);
}

/* The values edits put into documents: elements and entities of the
 * rules' targets, and scalars. */
static const char *const values[] = {
	"1", "2", "\"x\"", "\"y\"", "null", "true", "[]", "{}", "1.0",
	"{\"n\": 1}", "{\"n\": 2, \"by\": \"u\"}", "{\"n\": 1, \"t\": \"z\"}",
	"{\"d\": 1, \"a\": \"x\"}", "{\"d\": 1, \"b\": \"x\"}", "{\"d\": 2, \"a\": \"x\", \"m\": 1}",
	"{\"id\": 1, \"o\": \"p\"}", "{\"id\": 2, \"o\": \"q\"}", "{\"c\": 3}",
	"{\"posts\": [], \"comments\": []}", "{\"o\": []}", "{\"a\": {}}", "{\"i\": []}",
};
static const char *const keys[] = {
	"posts", "comments", "o", "a", "i", "n", "g", "c", "k", "x", "by", "t", "a/b", "",
};

/* Every container of `v`, depth first. */
static void containers(struct dc_json ***out, size_t *n, size_t *alloc, struct dc_json *v)
{
	size_t i;

	if (v->type != DC_JSON_OBJECT && v->type != DC_JSON_ARRAY)
		return;
	DC_ALLOC_GROW(*out, *n + 1, *alloc);
	(*out)[(*n)++] = v;
	for (i = 0; v->type == DC_JSON_ARRAY && i < v->u.arr.n; i++)
		containers(out, n, alloc, v->u.arr.v[i]);
	for (i = 0; v->type == DC_JSON_OBJECT && i < v->u.obj.n; i++)
		containers(out, n, alloc, v->u.obj.m[i].val);
}

static struct dc_json *value(uint8_t which)
{
	const char *text = values[which % (sizeof(values) / sizeof(*values))];
	struct dc_json *v = NULL;

	check(!dc_json_parse(&v, text, strlen(text), NULL, NULL), "a fixture value parses");
	return v;
}

/* Apply an edit script to a copy of `base` and write it out. */
static void edit(struct dc_buf *out, const struct dc_json *base, const uint8_t *script,
		 size_t len)
{
	struct dc_json *doc = dc_json_clone(base), **c = NULL;
	size_t i, n, alloc = 0;

	for (i = 0; i + 3 <= len; i += 3) {
		struct dc_json *t;
		const char *k = keys[script[i + 2] % (sizeof(keys) / sizeof(*keys))];

		n = 0;
		containers(&c, &n, &alloc, doc);
		if (!n)
			break;
		t = c[script[i + 1] % n];
		switch (script[i] % 4) {
		case 0:	/* set a member, or push an element */
			if (t->type == DC_JSON_OBJECT)
				dc_json_set(t, k, strlen(k), value(script[i + 2] >> 3));
			else
				dc_json_push(t, value(script[i + 2]));
			break;
		case 1:	/* remove one */
			if (t->type == DC_JSON_OBJECT)
				dc_json_remove(t, k, strlen(k));
			else if (t->u.arr.n)
				dc_json_array_remove(t, script[i + 2] % t->u.arr.n);
			break;
		case 2:	/* replace one element or member value */
			if (t->type == DC_JSON_ARRAY && t->u.arr.n) {
				size_t e = script[i + 2] % t->u.arr.n;
				dc_json_free(t->u.arr.v[e]);
				t->u.arr.v[e] = value(script[i + 2] >> 2);
			} else if (t->type == DC_JSON_OBJECT && t->u.obj.n) {
				struct dc_json_member *m = &t->u.obj.m[script[i + 2] % t->u.obj.n];
				dc_json_set(t, m->key, m->keylen, value(script[i + 2] >> 2));
			}
			break;
		default: /* push a copy of an element already there (a duplicate) */
			if (t->type == DC_JSON_ARRAY && t->u.arr.n)
				dc_json_push(t, dc_json_clone(t->u.arr.v[script[i + 2] % t->u.arr.n]));
			break;
		}
	}
	dc_json_write(out, doc);
	dc_json_free(doc);
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dc_jmerge_result res = DC_JMERGE_RESULT_INIT, sw = DC_JMERGE_RESULT_INIT;
	struct dc_buf out = DC_BUF_INIT, out2 = DC_BUF_INIT, again = DC_BUF_INIT;
	struct dc_buf eo = DC_BUF_INIT, et = DC_BUF_INIT;
	const char *part[3], *p, *end;
	size_t len[3], n = 0;
	const char *path;
	int counted, has_base;
	struct dc_json *o = NULL, *t = NULL, *m = NULL;

	if (!rules_loaded) {
		struct dc_err err = DC_ERR_INIT;
		check(!dc_rules_parse(&rules, rules_text, strlen(rules_text), &err), err.msg.buf);
		rules_loaded = 1;
	}
	if (size < 1)
		return 0;
	path = paths[(data[0] & 0x7f) % (sizeof(paths) / sizeof(*paths))].path;
	counted = paths[(data[0] & 0x7f) % (sizeof(paths) / sizeof(*paths))].counted;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (n < 3) {
		const char *sep = memchr(p, 0xff, (size_t)(end - p));
		part[n] = p;
		len[n++] = (size_t)((sep ? sep : end) - p);
		if (!sep)
			break;
		p = sep + 1;
	}
	if (n < 2)
		return 0;
	has_base = n == 3;
	if (data[0] & 0x80) {
		struct dc_json *base = NULL;

		if (n < 3 || dc_json_parse(&base, part[0], len[0], NULL, NULL))
			return 0;
		edit(&eo, base, (const uint8_t *)part[1], len[1]);
		edit(&et, base, (const uint8_t *)part[2], len[2]);
		dc_json_free(base);
		part[1] = eo.buf;
		len[1] = eo.len;
		part[2] = et.buf;
		len[2] = et.len;
	} else if (!has_base) {
		part[2] = part[1];
		len[2] = len[1];
		part[1] = part[0];
		len[1] = len[0];
		part[0] = "";
		len[0] = 0;
	}

	merge(&out, &res, path, part[0], len[0], has_base, part[1], len[1], part[2], len[2]);
	merge(&out2, &sw, path, part[0], len[0], has_base, part[2], len[2], part[1], len[1]);
	check(res.nconflicts == sw.nconflicts, "swapping the sides changes the conflicts");
	if (!res.nconflicts) {
		check(!dc_has_conflict_markers(out.buf, out.len), "a clean merge holds markers");
		check(!dc_json_parse(&m, out.buf, out.len, NULL, NULL), "a clean merge does not parse");
		dc_json_write(&again, m);
		check(again.len == out.len && !memcmp(again.buf, out.buf, out.len),
		      "a clean merge is not in the canonical layout");
		check(!dc_json_parse(&o, part[1], len[1], NULL, NULL) &&
		      !dc_json_parse(&t, part[2], len[2], NULL, NULL), "a clean merge of invalid sides");
		if (!counted) {
			struct dc_jmerge_result self = DC_JMERGE_RESULT_INIT;
			struct dc_buf selfout = DC_BUF_INIT;
			struct dc_json *s = NULL;

			keeps_members(o, m);
			keeps_members(t, m);
			merge(&selfout, &self, path, part[0], len[0], has_base, part[1], len[1],
			      part[1], len[1]);
			check(!self.nconflicts, "a side merged with itself conflicts");
			check(!dc_json_parse(&s, selfout.buf, selfout.len, NULL, NULL) &&
			      dc_json_equal(s, o), "a side merged with itself changes");
			dc_json_free(s);
			dc_buf_release(&selfout);
			dc_jmerge_result_release(&self);
		}
	}
	dc_json_free(o);
	dc_json_free(t);
	dc_json_free(m);
	dc_buf_release(&out);
	dc_buf_release(&out2);
	dc_buf_release(&again);
	dc_buf_release(&eo);
	dc_buf_release(&et);
	dc_jmerge_result_release(&res);
	dc_jmerge_result_release(&sw);
	return 0;
}
