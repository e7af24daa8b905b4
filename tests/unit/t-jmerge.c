/*
 * Unit tests for jmerge.c: the three-way structural merge of one JSON file
 * under the rules (the merge driver's engine). Every case goes through
 * dc_jmerge_bytes, as the driver does; the result is compared as compact
 * JSON (and, once, as the canonical bytes), conflicts by their pointer,
 * entity and field. Each clean case is also run with the sides swapped,
 * which must give the same conflicts and, up to the order of additions,
 * the same value.
 *
 * The literals write JSON with single quotes, which the fixture turns into
 * double quotes before parsing, so no literal holds an apostrophe.
 */
#include "jmerge.h"
#include "tap.h"
#include <stdlib.h>

static const char rules_text[] =
	"{'version': 1, 'deltas': 'state/stream_deltas', 'utc': ['utc'],"
	" 'sections': {"
	"  'posts_created': {'op': 'upsert', 'file': 'state/posted_log.json', 'at': '/posts',"
	"   'key': ['number']},"
	"  'comments_added': {'op': 'add', 'file': 'state/posted_log.json', 'at': '/comments',"
	"   'key': ['discussion', 'author', 'body'], 'normalize': {'author': ['author', 'agent']}},"
	"  'observations': {'op': 'append', 'file': 'state/observations.json',"
	"   'at': '/observations'},"
	"  'tags': {'op': 'add', 'file': 'state/tags.json', 'at': ''},"
	"  'profile_updates': {'op': 'set', 'file': 'state/agents.json', 'at': '/agents',"
	"   'key': 'agent', 'field': 'field', 'value': 'value'},"
	"  'channels': {'op': 'upsert', 'file': 'state/channels.json', 'at': '/channels',"
	"   'key': ['slug']},"
	"  'items': {'op': 'upsert', 'file': 'state/items.json', 'at': '/items', 'key': ['id']},"
	"  'noise': {'op': 'ignore'}},"
	" 'derived': ["
	"  {'op': 'count', 'file': 'state/stats.json', 'at': '/total_posts', 'of': 'posts_created'},"
	"  {'op': 'count', 'file': 'state/agents.json', 'at': '/agents', 'of': 'posts_created',"
	"   'group_by': 'author', 'field': 'post_count'},"
	"  {'op': 'count', 'file': 'state/items.json', 'at': '/n', 'of': 'items'},"
	"  {'op': 'count', 'file': 'state/items.json', 'at': '/owners', 'of': 'items',"
	"   'group_by': 'owner', 'field': 'items'}]}";

static struct dc_rules rules;

/* A copy of `s` with every ' turned into "; the caller frees it. */
static char *dq(const char *s)
{
	char *out = dc_xstrdup(s), *p;

	for (p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

/* The compact form of a JSON literal (single quotes allowed). */
static char *compact(const char *lit)
{
	struct dc_json *v = NULL;
	struct dc_buf b = DC_BUF_INIT;
	char *text = dq(lit);

	if (dc_json_parse(&v, text, strlen(text), NULL, NULL))
		dc_buf_adds(&b, "(invalid literal)");
	else
		dc_json_write_compact(&b, v);
	dc_json_free(v);
	free(text);
	return dc_buf_detach(&b, NULL);
}

struct mx {
	struct dc_jmerge_result res;
	struct dc_buf out;	/* canonical bytes of a clean merge */
	char *merged;		/* their compact form; NULL with conflicts */
	int ret;
};

static void mx_release(struct mx *m)
{
	dc_jmerge_result_release(&m->res);
	dc_buf_release(&m->out);
	free(m->merged);
	memset(m, 0, sizeof(*m));
}

/* Merge three literals of `path` (base NULL: absent) under the rules
 * (use_rules 0: none). Raw inputs are passed as they are when `raw`. */
static void mx_run(struct mx *m, int use_rules, const char *path, const char *base,
		   const char *ours, const char *theirs, int raw)
{
	char *b = base ? (raw ? dc_xstrdup(base) : dq(base)) : NULL;
	char *o = raw ? dc_xstrdup(ours) : dq(ours), *t = raw ? dc_xstrdup(theirs) : dq(theirs);
	struct dc_err err = DC_ERR_INIT;

	memset(m, 0, sizeof(*m));
	m->ret = dc_jmerge_bytes(&m->out, &m->res, use_rules ? &rules : NULL, path,
				 b, b ? strlen(b) : 0, b != NULL, o, strlen(o), t, strlen(t), &err);
	if (!m->ret && !m->res.nconflicts) {
		struct dc_json *v = NULL;
		struct dc_buf c = DC_BUF_INIT;
		if (!dc_json_parse(&v, m->out.buf, m->out.len, NULL, NULL))
			dc_json_write_compact(&c, v);
		dc_json_free(v);
		m->merged = dc_buf_detach(&c, NULL);
	}
	dc_err_release(&err);
	free(b);
	free(o);
	free(t);
}

/*
 * A clean merge equal to `want`; swapped, clean too and equal to `swapped`
 * (NULL: to `want`, the merge is symmetric to the byte).
 */
static void clean(const char *name, int use_rules, const char *path, const char *base,
		  const char *ours, const char *theirs, const char *want, const char *swapped)
{
	struct mx m;
	char *w = compact(want), *ws = compact(swapped ? swapped : want);

	mx_run(&m, use_rules, path, base, ours, theirs, 0);
	if (!is_int(m.res.nconflicts, 0, "%s: clean", name))
		tap_diag("first conflict at '%s': %s", m.res.conflicts[0].pointer,
			 m.res.conflicts[0].reason);
	is_str(m.merged, w, "%s: merged", name);
	mx_release(&m);
	mx_run(&m, use_rules, path, base, theirs, ours, 0);
	is_int(m.res.nconflicts, 0, "%s, sides swapped: clean", name);
	is_str(m.merged, ws, "%s, sides swapped: merged", name);
	mx_release(&m);
	free(w);
	free(ws);
}

/*
 * Exactly one conflict, at `pointer`, in the entity `entity` (NULL: none)
 * at `field`; the same with the sides swapped.
 */
static void one_conflict(const char *name, int use_rules, const char *path, const char *base,
			 const char *ours, const char *theirs, const char *pointer,
			 const char *entity, const char *field)
{
	int swap;

	for (swap = 0; swap < 2; swap++) {
		struct mx m;
		const char *sfx = swap ? ", sides swapped" : "";

		mx_run(&m, use_rules, path, base, swap ? theirs : ours, swap ? ours : theirs, 0);
		is_int(m.ret, 0, "%s%s: no error", name, sfx);
		is_int(m.res.nconflicts, 1, "%s%s: one conflict", name, sfx);
		is_int(m.out.len, 0, "%s%s: nothing written", name, sfx);
		if (m.res.nconflicts) {
			const struct dc_jmerge_conflict *c = &m.res.conflicts[0];
			char *e = entity ? dq(entity) : NULL;
			is_str(c->pointer, pointer, "%s%s: at %s", name, sfx, pointer);
			is_str(c->entity, e, "%s%s: entity", name, sfx);
			is_str(c->field, field, "%s%s: field", name, sfx);
			free(e);
		}
		mx_release(&m);
	}
}

static void test_path_kinds(void)
{
	is_int(dc_jmerge_path_kind(&rules, ".dc/head.json"), DC_PATH_HEAD, "head.json");
	is_int(dc_jmerge_path_kind(NULL, ".dc/head.json"), DC_PATH_HEAD, "head.json, no rules");
	is_int(dc_jmerge_path_kind(&rules, "state/stream_deltas/frame-1-a.json"), DC_PATH_DELTA,
	       "a flat delta");
	is_int(dc_jmerge_path_kind(&rules, "state/stream_deltas/frame-1/a.json"), DC_PATH_DELTA,
	       "a by-frame delta");
	is_int(dc_jmerge_path_kind(&rules, "state/stream_deltasx/frame-1-a.json"), DC_PATH_OTHER,
	       "a sibling of the delta directory");
	is_int(dc_jmerge_path_kind(&rules, "state/posted_log.json"), DC_PATH_CANONICAL,
	       "a section's file");
	is_int(dc_jmerge_path_kind(&rules, "state/stats.json"), DC_PATH_CANONICAL,
	       "a derived count's file");
	is_int(dc_jmerge_path_kind(&rules, "state/other.json"), DC_PATH_OTHER, "another file");
	is_int(dc_jmerge_path_kind(NULL, "state/posted_log.json"), DC_PATH_OTHER,
	       "no rules: nothing is canonical");
}

static void test_members(void)
{
	clean("one side changes a scalar", 0, "x.json", "{'a': 1, 'b': 2}", "{'a': 5, 'b': 2}",
	      "{'a': 1, 'b': 2}", "{'a': 5, 'b': 2}", NULL);
	clean("both sides change to the same value", 0, "x.json", "{'a': 1}", "{'a': 2}",
	      "{'a': 2.0}", "{'a': 2}", "{'a': 2.0}");
	clean("each side changes another member", 0, "x.json", "{'a': 1, 'b': 1}",
	      "{'a': 2, 'b': 1}", "{'a': 1, 'b': 3}", "{'a': 2, 'b': 3}", NULL);
	clean("additions on both sides go last, ours first", 0, "x.json", "{'a': 1}",
	      "{'a': 1, 'o': true}", "{'a': 1, 't': null}", "{'a': 1, 'o': true, 't': null}",
	      "{'a': 1, 't': null, 'o': true}");
	clean("a member one side removed is kept", 0, "x.json", "{'a': 1, 'b': 2}",
	      "{'a': 1}", "{'a': 1, 'b': 2, 'c': 3}", "{'a': 1, 'b': 2, 'c': 3}",
	      "{'a': 1, 'b': 2, 'c': 3}");
	clean("a member one side removed and the other changed is kept, changed", 0, "x.json",
	      "{'a': 1, 'b': 2}", "{'a': 1}", "{'a': 1, 'b': 7}", "{'a': 1, 'b': 7}",
	      "{'a': 1, 'b': 7}");
	clean("a member both sides removed stays removed", 0, "x.json", "{'a': 1, 'b': 2}",
	      "{'a': 1, 'c': 1}", "{'a': 1}", "{'a': 1, 'c': 1}", NULL);
	clean("nested objects merge member by member", 0, "x.json", "{'m': {'x': 1, 'y': 1}}",
	      "{'m': {'x': 2, 'y': 1}}", "{'m': {'x': 1, 'y': 3, 'z': 4}}",
	      "{'m': {'x': 2, 'y': 3, 'z': 4}}", "{'m': {'x': 2, 'y': 3, 'z': 4}}");
	clean("an array outside targets changed on one side", 0, "x.json", "{'l': [1, 2]}",
	      "{'l': [1, 2, 3]}", "{'l': [1, 2]}", "{'l': [1, 2, 3]}", NULL);
	one_conflict("a scalar changed on both sides", 0, "x.json", "{'a': 1, 'b': 0}",
		     "{'a': 2, 'b': 0}", "{'a': 3, 'b': 1}", "/a", NULL, NULL);
	one_conflict("an array outside targets changed on both sides", 0, "x.json",
		     "{'l': [1]}", "{'l': [1, 2]}", "{'l': [1, 3]}", "/l", NULL, NULL);
	one_conflict("different types", 0, "x.json", "{'v': {}}", "{'v': {'a': 1}}",
		     "{'v': [1]}", "/v", NULL, NULL);
	one_conflict("add/add with different values", 0, "x.json", NULL, "{'a': 1, 'b': 1}",
		     "{'a': 2, 'b': 1}", "/a", NULL, NULL);
	one_conflict("a key that needs escaping in the pointer", 0, "x.json", "{'a/b~c': 1}",
		     "{'a/b~c': 2}", "{'a/b~c': 3}", "/a~1b~0c", NULL, NULL);
	one_conflict("whole files of other types", 0, "x.json", "1", "2", "3", "", NULL, NULL);
	clean("no rules: a section's file is merged by the member rule", 0,
	      "state/posted_log.json", "{'posts': []}", "{'posts': [{'number': 1}]}",
	      "{'posts': []}", "{'posts': [{'number': 1}]}", NULL);
	one_conflict("no rules: an array changed on both sides conflicts", 0,
		     "state/posted_log.json", "{'posts': []}", "{'posts': [{'number': 1}]}",
		     "{'posts': [{'number': 2}]}", "/posts", NULL, NULL);
}

static void test_append(void)
{
	clean("append: both sides add", 1, "state/observations.json",
	      "{'observations': [{'o': 1}]}", "{'observations': [{'o': 1}, {'o': 2}]}",
	      "{'observations': [{'o': 1}, {'o': 3}]}",
	      "{'observations': [{'o': 1}, {'o': 2}, {'o': 3}]}",
	      "{'observations': [{'o': 1}, {'o': 3}, {'o': 2}]}");
	clean("append: an event both sides hold is one event", 1, "state/observations.json",
	      "{'observations': []}", "{'observations': [{'o': 1}, {'o': 2}]}",
	      "{'observations': [{'o': 2}, {'o': 1}]}",
	      "{'observations': [{'o': 1}, {'o': 2}]}",
	      "{'observations': [{'o': 2}, {'o': 1}]}");
	clean("append: the side holding an event most often counts", 1,
	      "state/observations.json", "{'observations': ['x']}",
	      "{'observations': ['x', 'x', 'y']}", "{'observations': ['x', 'y', 'y', 'z']}",
	      "{'observations': ['x', 'x', 'y', 'y', 'z']}",
	      "{'observations': ['x', 'y', 'y', 'z', 'x']}");
	clean("append: an element one side dropped is kept", 1, "state/observations.json",
	      "{'observations': [1, 2]}", "{'observations': [2, 3]}",
	      "{'observations': [1, 2]}", "{'observations': [2, 3, 1]}",
	      "{'observations': [1, 2, 3]}");
	clean("append: add/add of the whole file", 1, "state/observations.json", NULL,
	      "{'observations': [1]}", "{'observations': [2]}", "{'observations': [1, 2]}",
	      "{'observations': [2, 1]}");
}

static void test_add(void)
{
	clean("add: union by key, never a duplicate", 1, "state/posted_log.json",
	      "{'comments': [{'discussion': 1, 'author': 'a', 'body': 'x'}]}",
	      "{'comments': [{'discussion': 1, 'author': 'a', 'body': 'x'},"
	      " {'discussion': 1, 'author': 'b', 'body': 'y'}]}",
	      "{'comments': [{'discussion': 1, 'author': 'a', 'body': 'x'},"
	      " {'discussion': 1, 'author': 'b', 'body': 'y'},"
	      " {'discussion': 2, 'author': 'c', 'body': 'z'}]}",
	      "{'comments': [{'discussion': 1, 'author': 'a', 'body': 'x'},"
	      " {'discussion': 1, 'author': 'b', 'body': 'y'},"
	      " {'discussion': 2, 'author': 'c', 'body': 'z'}]}", NULL);
	clean("add: of one key (normalized) in one side, the first counts", 1,
	      "state/posted_log.json", "{'comments': []}",
	      "{'comments': [{'discussion': 1, 'author': 'a', 'body': 'x'}]}",
	      "{'comments': [{'discussion': 1, 'author': 'a', 'body': 'x'},"
	      " {'discussion': 1, 'agent': 'a', 'body': 'x'}]}",
	      "{'comments': [{'discussion': 1, 'author': 'a', 'body': 'x'}]}",
	      "{'comments': [{'discussion': 1, 'author': 'a', 'body': 'x'},"
	      " {'discussion': 1, 'agent': 'a', 'body': 'x'}]}");
	one_conflict("add: one key, two different elements", 1, "state/posted_log.json",
		     "{'comments': []}",
		     "{'comments': [{'discussion': 1, 'author': 'a', 'body': 'x', 'at': 1}]}",
		     "{'comments': [{'discussion': 1, 'agent': 'a', 'body': 'x'}]}",
		     "/comments/0", "{'discussion':1,'author':'a','body':'x'}", NULL);
	clean("add: whole elements, whole file", 1, "state/tags.json", "['a']", "['a', 'b']",
	      "['c', 'a', 'b']", "['a', 'b', 'c']", "['c', 'a', 'b']");
	clean("add: a target missing on one side", 1, "state/posted_log.json", "{}",
	      "{'comments': [1]}", "{'posts': []}", "{'comments': [1], 'posts': []}",
	      "{'posts': [], 'comments': [1]}");
}

static void test_add_element_changed(void)
{
	struct mx m;

	mx_run(&m, 1, "state/posted_log.json",
	       "{\"comments\": [{\"discussion\": 1, \"author\": \"a\", \"body\": \"x\"}]}",
	       "{\"comments\": [{\"discussion\": 1, \"author\": \"a\", \"body\": \"x\"}]}",
	       "{\"comments\": [{\"discussion\": 1, \"author\": \"a\", \"body\": \"x\", \"n\": 1}]}",
	       1);
	is_int(m.res.nconflicts, 0, "add: an element changed on one side only takes that side");
	is_str(m.merged, "{\"comments\":[{\"discussion\":1,\"author\":\"a\",\"body\":\"x\",\"n\":1}]}",
	       "add: ... merged");
	mx_release(&m);
}

static void test_upsert(void)
{
	clean("upsert: posts merge member by member", 1, "state/posted_log.json",
	      "{'posts': [{'number': 1, 'title': 'A', 'score': 0}]}",
	      "{'posts': [{'number': 1, 'title': 'B', 'score': 0}, {'number': 2}]}",
	      "{'posts': [{'number': 1, 'title': 'A', 'score': 4, 'tags': ['t']},"
	      " {'number': 3}]}",
	      "{'posts': [{'number': 1, 'title': 'B', 'score': 4, 'tags': ['t']},"
	      " {'number': 2}, {'number': 3}]}",
	      "{'posts': [{'number': 1, 'title': 'B', 'score': 4, 'tags': ['t']},"
	      " {'number': 3}, {'number': 2}]}");
	clean("upsert: keys compare as JSON values", 1, "state/posted_log.json",
	      "{'posts': []}", "{'posts': [{'number': 1}]}",
	      "{'posts': [{'number': 1.0}, {'number': '1'}]}",
	      "{'posts': [{'number': 1}, {'number': '1'}]}",
	      "{'posts': [{'number': 1.0}, {'number': '1'}]}");
	one_conflict("upsert: a field changed on both sides", 1, "state/posted_log.json",
		     "{'posts': [{'number': 9}, {'number': 1, 'title': 'A'}]}",
		     "{'posts': [{'number': 9}, {'number': 1, 'title': 'B'}]}",
		     "{'posts': [{'number': 9}, {'number': 1, 'title': 'C'}]}",
		     "/posts/1/title", "{'number':1}", "/title");
	one_conflict("upsert: a nested field changed on both sides", 1, "state/posted_log.json",
		     NULL, "{'posts': [{'number': 1, 'meta': {'x': 1}}]}",
		     "{'posts': [{'number': 1, 'meta': {'x': 2}}]}",
		     "/posts/0/meta/x", "{'number':1}", "/meta/x");
	clean("upsert into an object: entities by id", 1, "state/channels.json",
	      "{'channels': {'a': {'slug': 'a', 'n': 1}}}",
	      "{'channels': {'a': {'slug': 'a', 'n': 2}, 'b': {'slug': 'b'}}}",
	      "{'channels': {'a': {'slug': 'a', 'n': 1, 'm': 1}, 'c': {'slug': 'c'}}}",
	      "{'channels': {'a': {'slug': 'a', 'n': 2, 'm': 1}, 'b': {'slug': 'b'},"
	      " 'c': {'slug': 'c'}}}",
	      "{'channels': {'a': {'slug': 'a', 'n': 2, 'm': 1}, 'c': {'slug': 'c'},"
	      " 'b': {'slug': 'b'}}}");
	one_conflict("set: a profile field changed on both sides", 1, "state/agents.json",
		     "{'agents': {'x': {'bio': 'a'}}}", "{'agents': {'x': {'bio': 'b'}}}",
		     "{'agents': {'x': {'bio': 'c'}}}", "/agents/x/bio", "'x'", "/bio");
	one_conflict("set: an entity of another type on one side", 1, "state/agents.json",
		     "{'agents': {}}", "{'agents': {'x': {'bio': 'b'}}}",
		     "{'agents': {'x': 'b'}}", "/agents/x", "'x'", NULL);
}

static void test_counts(void)
{
	clean("count in another file, changed on one side", 1, "state/stats.json",
	      "{'total_posts': 1, 'other': 1}", "{'total_posts': 2, 'other': 1}",
	      "{'total_posts': 1, 'other': 2}", "{'total_posts': 2, 'other': 2}", NULL);
	one_conflict("count in another file, changed on both sides", 1, "state/stats.json",
		     "{'total_posts': 1}", "{'total_posts': 2}", "{'total_posts': 3}",
		     "/total_posts", NULL, NULL);
	one_conflict("count in another file, changed on both sides to one number", 1,
		     "state/stats.json", "{'total_posts': 1, 'x': 0}",
		     "{'total_posts': 2, 'x': 1}", "{'total_posts': 2, 'x': 0}",
		     "/total_posts", NULL, NULL);
	one_conflict("count by group in another file, in an entity map", 1, "state/agents.json",
		     "{'agents': {'a': {'post_count': 1}}}",
		     "{'agents': {'a': {'post_count': 2, 'bio': 'x'}}}",
		     "{'agents': {'a': {'post_count': 2}}}",
		     "/agents/a/post_count", "'a'", "/post_count");
	clean("count by group: an entity one side created", 1, "state/agents.json",
	      "{'agents': {}}", "{'agents': {'a': {'post_count': 1}}}", "{'agents': {}}",
	      "{'agents': {'a': {'post_count': 1}}}", NULL);
	clean("count in this file: counted again from the merged target", 1, "state/items.json",
	      "{'items': [{'id': 1, 'owner': 'o'}], 'n': 1, 'owners': {'o': {'items': 1}}}",
	      "{'items': [{'id': 1, 'owner': 'o'}, {'id': 2, 'owner': 'o'}], 'n': 2,"
	      " 'owners': {'o': {'items': 2}}}",
	      "{'items': [{'id': 1, 'owner': 'o'}, {'id': 3, 'owner': 'p'}], 'n': 2,"
	      " 'owners': {'o': {'items': 1}, 'p': {'items': 1}}}",
	      "{'items': [{'id': 1, 'owner': 'o'}, {'id': 2, 'owner': 'o'},"
	      " {'id': 3, 'owner': 'p'}], 'n': 3, 'owners': {'o': {'items': 2}, 'p': {'items': 1}}}",
	      "{'items': [{'id': 1, 'owner': 'o'}, {'id': 3, 'owner': 'p'},"
	      " {'id': 2, 'owner': 'o'}], 'n': 3, 'owners': {'o': {'items': 2}, 'p': {'items': 1}}}");
	clean("count in this file: both sides add the same element", 1, "state/items.json",
	      "{'items': [], 'n': 0}", "{'items': [{'id': 1}], 'n': 1}",
	      "{'items': [{'id': 1}], 'n': 1, 'x': 1}", "{'items': [{'id': 1}], 'n': 1, 'x': 1}",
	      NULL);
	clean("count by group in this file: groups both sides created", 1, "state/items.json",
	      "{'items': []}", "{'items': [{'id': 1, 'owner': 'q'}], 'owners': {'q': {'items': 1}}}",
	      "{'items': [{'id': 2, 'owner': 'q'}, {'id': 3, 'owner': 'r'}],"
	      " 'owners': {'q': {'items': 1}, 'r': {'items': 1}}}",
	      "{'items': [{'id': 1, 'owner': 'q'}, {'id': 2, 'owner': 'q'},"
	      " {'id': 3, 'owner': 'r'}], 'owners': {'q': {'items': 2}, 'r': {'items': 1}}}",
	      "{'items': [{'id': 2, 'owner': 'q'}, {'id': 3, 'owner': 'r'},"
	      " {'id': 1, 'owner': 'q'}], 'owners': {'q': {'items': 2}, 'r': {'items': 1}}}");
}

static void test_bytes(void)
{
	struct mx m;
	const char *ok = "{\"a\": 1}";

	mx_run(&m, 1, "state/observations.json", "",
	       "{\"observations\": [\"\xc3\xa9\", 1.50]}", "{\"observations\": [2e3]}", 1);
	is_str(m.out.buf, "{\n  \"observations\": [\n    \"\xc3\xa9\",\n    1.50,\n    2e3\n  ]\n}\n",
	       "an empty base is absent; the result is in the canonical layout");
	mx_release(&m);

	mx_run(&m, 0, "x.json", " \n", "{\"a\": 1}", "{\"a\": 2}", 1);
	is_int(m.res.nconflicts, 1, "a base of whitespace is absent: add/add conflicts");
	mx_release(&m);

	mx_run(&m, 0, "x.json", "{\"a\": 1,}", "{\"a\": 1, \"b\": 1}", "{\"a\": 2}", 1);
	is_int(m.res.base_invalid, 1, "an invalid base is flagged");
	is_int(m.res.nconflicts, 1, "... and read as absent: 'a' conflicts");
	mx_release(&m);

	mx_run(&m, 0, "x.json", ok, "<<<<<<< ours\n{\"a\": 2}\n=======\n{\"a\": 3}\n>>>>>>> t\n",
	       ok, 1);
	is_int(m.res.nconflicts, 1, "ours with conflict markers: a conflict");
	is_str(m.res.conflicts[0].reason, "ours holds conflict markers", "... saying so");
	is_int(m.out.len, 0, "... and nothing written");
	mx_release(&m);

	mx_run(&m, 0, "x.json", ok, ok, "{\"a\": 1} x", 1);
	is_int(m.res.nconflicts, 1, "theirs with trailing bytes: a conflict");
	tap_ok(!strncmp(m.res.conflicts[0].reason, "theirs is not valid JSON: ", 26),
	       "... naming theirs: %s", m.res.conflicts[0].reason);
	mx_release(&m);

	mx_run(&m, 0, "x.json", ok, "{\"a\": 1, \"a\": 2}", "[", 1);
	is_int(m.res.nconflicts, 2, "both sides invalid (a duplicate key, a truncation): two");
	mx_release(&m);
}

static void test_describe(void)
{
	struct mx m;
	struct dc_buf b = DC_BUF_INIT;

	mx_run(&m, 1, "state/agents.json", "{\"agents\": {\"x\": {\"bio\": \"a\"}}}",
	       "{\"agents\": {\"x\": {\"bio\": \"b\"}}}",
	       "{\"agents\": {\"x\": {\"bio\": \"c\"}}}", 1);
	dc_jmerge_describe(&b, "state/agents.json", &m.res.conflicts[0]);
	is_str(b.buf, "'state/agents.json' at '/agents/x/bio' (entity \"x\" of section"
	       " 'profile_updates', field '/bio'): changed on both sides: \"b\" (ours),"
	       " \"c\" (theirs)", "a conflict is described on one line");
	mx_release(&m);
	dc_buf_reset(&b);

	mx_run(&m, 0, "x.json", NULL, "[1]", "{\"k\": \"" "0123456789012345678901234567890123456789"
	       "0123456789012345678901234567890123456789" "0123456789012345678901234567890123456789"
	       "\"}", 1);
	dc_jmerge_describe(&b, "x.json", &m.res.conflicts[0]);
	tap_ok(strstr(b.buf, "...") && b.len < 300, "long values are cut: %s", b.buf);
	mx_release(&m);
	dc_buf_release(&b);
}

static void test_deep(void)
{
	struct dc_buf o = DC_BUF_INIT, t = DC_BUF_INIT;
	struct mx m;
	int i;

	for (i = 0; i < 500; i++) {
		dc_buf_adds(&o, "{\"a\":");
		dc_buf_adds(&t, "{\"a\":");
	}
	dc_buf_adds(&o, "1");
	dc_buf_adds(&t, "2");
	for (i = 0; i < 500; i++) {
		dc_buf_addch(&o, '}');
		dc_buf_addch(&t, '}');
	}
	mx_run(&m, 0, "x.json", NULL, o.buf, t.buf, 1);
	is_int(m.res.nconflicts, 1, "500 levels deep: one conflict at the bottom");
	is_int(strlen(m.res.conflicts[0].pointer), 1000, "... with a 500-step pointer");
	mx_release(&m);
	dc_buf_release(&o);
	dc_buf_release(&t);
}

/* The rappterbook preset: its books are a collect section. */
static void test_preset_collect(void)
{
	struct dc_rules preset = DC_RULES_INIT;
	struct dc_buf text = DC_BUF_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_jmerge_result res = DC_JMERGE_RESULT_INIT;
	struct dc_json *b = NULL, *o = NULL, *t = NULL, *m = NULL;
	struct dc_buf out = DC_BUF_INIT;
	char *bs = dq("{'in_progress': [{'book': 'x', 'chapters': [1]}], 'books': []}");
	char *os = dq("{'in_progress': [], 'books': [{'book': 'x', 'chapters': [1, 2]}]}");
	char *ts = dq("{'in_progress': [{'book': 'x', 'chapters': [1, 3]}], 'books': []}");
	char *us = dq("{'in_progress': [{'book': 'x', 'chapters': [1]}], 'books': [],"
		      " 'note': 1}");

	if (!tap_ok(!dc_rules_preset(&text, "rappterbook", &err) &&
		    !dc_rules_parse(&preset, text.buf, text.len, &err), "the preset loads"))
		tap_diag("%s", err.msg.buf);
	tap_ok(!dc_json_parse(&b, bs, strlen(bs), NULL, NULL) &&
	       !dc_json_parse(&o, os, strlen(os), NULL, NULL) &&
	       !dc_json_parse(&t, ts, strlen(ts), NULL, NULL), "the collect fixture parses");
	dc_jmerge(&m, &res, &preset, "state/book_catalog.json", b, o, t);
	is_int(res.nconflicts, 1, "collect: groups in progress changed on both sides: a"
	       " conflict, no union");
	if (res.nconflicts == 1)
		is_str(res.conflicts[0].pointer, "/in_progress", "... at the groups in progress");
	dc_json_free(m);
	dc_jmerge_result_release(&res);
	dc_json_free(t);
	t = NULL;
	dc_json_parse(&t, us, strlen(us), NULL, NULL);
	dc_jmerge(&m, &res, &preset, "state/book_catalog.json", b, o, t);
	dc_json_write_compact(&out, m);
	is_str(out.buf, "{\"in_progress\":[],\"books\":[{\"book\":\"x\",\"chapters\":[1,2]}],"
	       "\"note\":1}", "collect: a target changed on one side takes that side");
	is_int(res.nconflicts, 0, "... with no conflict");
	dc_json_free(m);
	dc_jmerge_result_release(&res);
	dc_json_free(b);
	dc_json_free(o);
	dc_json_free(t);
	dc_buf_release(&out);
	dc_buf_release(&text);
	dc_rules_release(&preset);
	dc_err_release(&err);
	free(bs);
	free(os);
	free(ts);
	free(us);
}

int main(void)
{
	struct dc_err err = DC_ERR_INIT;
	char *text = dq(rules_text);

	if (dc_rules_parse(&rules, text, strlen(text), &err)) {
		printf("Bail out! the test rules do not load: %s\n", err.msg.buf);
		return 1;
	}
	free(text);
	test_path_kinds();
	test_members();
	test_append();
	test_add();
	test_add_element_changed();
	test_upsert();
	test_counts();
	test_bytes();
	test_describe();
	test_deep();
	test_preset_collect();
	dc_rules_release(&rules);
	dc_err_release(&err);
	return done_testing();
}
