/*
 * Unit tests of rules.c: the presets, the example of PROTOCOL section 6,
 * the defaults, every refusal with its exact message, and the canonical
 * file queries.
 *
 * The rules texts below are written with ' for " (see json()), so they
 * stay readable; none of them needs a real single quote.
 */
#include "rules.h"
#include "json.h"
#include "tap.h"
#include <stdlib.h>

/* `s` with every ' turned into ", in a new string the caller frees. */
static char *json(const char *s)
{
	char *t = dc_xstrdup(s), *p;

	for (p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	return t;
}

static int parse(struct dc_rules *r, const char *text, struct dc_err *err)
{
	char *t = json(text);
	int ret = dc_rules_parse(r, t, strlen(t), err);

	free(t);
	return ret;
}

static void refused(const char *text, const char *want)
{
	struct dc_rules r = DC_RULES_INIT;
	struct dc_err err = DC_ERR_INIT;
	int ret = parse(&r, text, &err);

	tap_ok(ret == -1 && err.code == DC_ERR_REFUSED && !r.deltas && !r.nsections &&
	       !r.utc, "refused, rules left empty: %s", text);
	is_str(err.msg.buf, want, "message: %s", want);
	dc_rules_release(&r);
	dc_err_release(&err);
}

static void accepted(const char *text, const char *what)
{
	struct dc_rules r = DC_RULES_INIT;
	struct dc_err err = DC_ERR_INIT;

	if (!tap_ok(!parse(&r, text, &err), "accepted: %s", what))
		tap_diag("%s", err.msg.buf);
	dc_rules_release(&r);
	dc_err_release(&err);
}

/* Sections "a" and "b" of the given ops and targets in state/x.json. */
static char *two_sections(struct dc_buf *b, const char *a, const char *b_)
{
	dc_buf_reset(b);
	dc_buf_addf(b, "{'version': 1, 'sections': {'a': %s, 'b': %s}}", a, b_);
	return b->buf;
}

/* The members of a valid collect section but its publish target. */
#define COLLECT "'op': 'collect', 'file': 'b.json', 'at': '/open', 'group_by': 'book'," \
	" 'key': 'n', 'target': 3,"

static void test_bad_rules(void)
{
	/* each: a rules text and the exact refusal */
	static const struct {
		const char *text, *msg;
	} bad[] = {
		/* the JSON itself */
		{ "{'version': 1, 'layout': 'flat', 'layout': 'by-frame'}",
		  "rules: line 1, column 34: duplicate key 'layout'" },
		{ "{'version': 1, 'sections': {",
		  "rules: line 1, column 29: unexpected end of input" },
		{ "['version', 1]", "rules: expected an object, got an array" },

		/* version */
		{ "{'deltas': 'd'}", "rules: missing member 'version'" },
		{ "{'version': 2}", "rules: version: unsupported version 2 (this git-dc reads version 1)" },
		{ "{'version': '1'}", "rules: version: expected the integer 1, got a string" },
		{ "{'version': 1.0}", "rules: version: expected the integer 1, got 1.0" },

		/* unknown members at each level */
		{ "{'version': 1, 'sectons': {}}", "rules: unknown member 'sectons'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'state/a.json', 'fiel': 1}}}",
		  "rules: sections.a: unknown member 'fiel'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'op': 'count', 'file': 's.json', 'of': 'a', 'grop_by': 'x'}]}",
		  "rules: derived[0]: unknown member 'grop_by'" },

		/* top-level members */
		{ "{'version': 1, 'layout': 'nested'}",
		  "rules: layout: unknown layout 'nested' (expected flat, by-frame)" },
		{ "{'version': 1, 'layout': 1}", "rules: layout: expected a string, got a number" },
		{ "{'version': 1, 'deltas': ['d']}", "rules: deltas: expected a string, got an array" },
		{ "{'version': 1, 'utc': 'ts'}",
		  "rules: utc: expected a non-empty array of strings, got a string" },
		{ "{'version': 1, 'utc': []}",
		  "rules: utc: expected a non-empty array of strings, got an empty array" },
		{ "{'version': 1, 'utc': ['utc', '']}", "rules: utc[1]: empty name" },
		{ "{'version': 1, 'utc': ['utc', null]}", "rules: utc[1]: expected a string, got null" },
		{ "{'version': 1, 'utc': ['meta..ts']}",
		  "rules: utc[0]: 'meta..ts' has an empty dotted component" },
		{ "{'version': 1, 'max_delta_bytes': 0}",
		  "rules: max_delta_bytes: expected a positive integer, got 0" },
		{ "{'version': 1, 'max_delta_bytes': -5}",
		  "rules: max_delta_bytes: expected a positive integer, got -5" },
		{ "{'version': 1, 'max_delta_bytes': '16M'}",
		  "rules: max_delta_bytes: expected a positive integer, got a string" },
		{ "{'version': 1, 'sections': []}", "rules: sections: expected an object, got an array" },
		{ "{'version': 1, 'derived': {}}", "rules: derived: expected an array, got an object" },

		/* section names */
		{ "{'version': 1, 'sections': {'': {'op': 'ignore'}}}",
		  "rules: sections: empty section name" },
		{ "{'version': 1, 'sections': {'_meta': {'op': 'ignore'}}}",
		  "rules: sections: section name '_meta' starts with '_' (such members are never applied)" },
		{ "{'version': 1, 'sections': {'frame': {'op': 'ignore'}}}",
		  "rules: sections: 'frame' is a reserved member of a delta, not a section" },
		{ "{'version': 1, 'sections': {'stream_id': {'op': 'ignore'}}}",
		  "rules: sections: 'stream_id' is a reserved member of a delta, not a section" },
		{ "{'version': 1, 'sections': {'utc': {'op': 'ignore'}}}",
		  "rules: sections: 'utc' is a utc member (utc[0]), not a section" },
		{ "{'version': 1, 'utc': ['utc', 'completed_at'], 'sections': {'completed_at': {'op': 'ignore'}}}",
		  "rules: sections: 'completed_at' is a utc member (utc[1]), not a section" },
		{ "{'version': 1, 'utc': ['meta.ts'], 'sections': {'meta': {'op': 'ignore'}}}",
		  "rules: sections: 'meta' is a utc member (utc[0]), not a section" },
		{ "{'version': 1, 'sections': {'a\\u0000b': {'op': 'ignore'}}}",
		  "rules: sections: section name 'a\\x00b' contains a NUL byte" },

		/* section members */
		{ "{'version': 1, 'sections': {'a': ['op']}}",
		  "rules: sections.a: expected an object, got an array" },
		{ "{'version': 1, 'sections': {'a': {'file': 'a.json'}}}",
		  "rules: sections.a: missing member 'op'" },
		{ "{'version': 1, 'sections': {'a': {'op': 3}}}",
		  "rules: sections.a.op: expected a string, got a number" },
		{ "{'version': 1, 'sections': {'x': {'op': 'apend', 'file': 'a.json'}}}",
		  "rules: sections.x.op: unknown op 'apend' (expected append, add, upsert, set, collect, ignore)" },
		{ "{'version': 1, 'sections': {'x': {'op': 'count', 'file': 'a.json'}}}",
		  "rules: sections.x.op: unknown op 'count' (expected append, add, upsert, set, collect, ignore)" },
		{ "{'version': 1, 'sections': {'chapters': {'op': 'collect', 'file': 'a.json'}}}",
		  "rules: sections.chapters: missing member 'key'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json', 'key': ['id']}}}",
		  "rules: sections.a: member 'key' is not allowed with op 'append'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'ignore', 'file': 'a.json'}}}",
		  "rules: sections.a: member 'file' is not allowed with op 'ignore'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'set', 'file': 'a.json', 'key': 'id',"
		  " 'field': 'f', 'value': 'v', 'segment': 10}}}",
		  "rules: sections.a: member 'segment' is not allowed with op 'set'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'at': '/x'}}}",
		  "rules: sections.a: missing member 'file'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'upsert', 'file': 'a.json'}}}",
		  "rules: sections.a: missing member 'key'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'set', 'file': 'a.json', 'key': 'id', 'field': 'f'}}}",
		  "rules: sections.a: missing member 'value'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 7}}}",
		  "rules: sections.a.file: expected a string, got a number" },
		{ "{'version': 1, 'sections': {'posts_created': {'op': 'upsert', 'file': 'p.json', 'key': 5}}}",
		  "rules: sections.posts_created.key: expected an array of strings, got a number" },
		{ "{'version': 1, 'sections': {'a': {'op': 'add', 'file': 'a.json', 'key': ['x', 3]}}}",
		  "rules: sections.a.key[1]: expected a string, got a number" },
		{ "{'version': 1, 'sections': {'a': {'op': 'upsert', 'file': 'a.json', 'key': []}}}",
		  "rules: sections.a.key: an upsert needs at least one key member" },
		{ "{'version': 1, 'sections': {'a': {'op': 'add', 'file': 'a.json', 'key': ['x', 'y', 'x']}}}",
		  "rules: sections.a.key: duplicate key member 'x'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'set', 'file': 'a.json', 'key': ['id'],"
		  " 'field': 'f', 'value': 'v'}}}",
		  "rules: sections.a.key: expected a string, got an array" },
		{ "{'version': 1, 'sections': {'a': {'op': 'set', 'file': 'a.json', 'key': 'id',"
		  " 'field': 'f', 'value': true}}}",
		  "rules: sections.a.value: expected a string, got a boolean" },
		{ "{'version': 1, 'sections': {'a': {'op': 'add', 'file': 'a.json', 'key': ['author'],"
		  " 'normalize': {'agent': ['agent']}}}}",
		  "rules: sections.a.normalize: 'agent' is not one of the key members" },
		{ "{'version': 1, 'sections': {'a': {'op': 'add', 'file': 'a.json',"
		  " 'normalize': {'author': ['author']}}}}",
		  "rules: sections.a.normalize: 'author' is not one of the key members" },
		{ "{'version': 1, 'sections': {'a': {'op': 'add', 'file': 'a.json', 'key': ['author'],"
		  " 'normalize': {'author': []}}}}",
		  "rules: sections.a.normalize.author: expected a non-empty array of strings, got an empty array" },
		{ "{'version': 1, 'sections': {'a': {'op': 'add', 'file': 'a.json', 'key': ['author'],"
		  " 'normalize': ['author']}}}",
		  "rules: sections.a.normalize: expected an object, got an array" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json', 'segment': 0}}}",
		  "rules: sections.a.segment: expected a positive integer, got 0" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json', 'segment': 2.5}}}",
		  "rules: sections.a.segment: expected a positive integer, got 2.5" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'state/a', 'segment': 10}}}",
		  "rules: sections.a.segment: needs a file whose name ends in '.json', not 'state/a'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json', 'at': '/x', 'segment': 10}}}",
		  "rules: sections.a.segment: needs the whole file as the target, not '/x' (segment files are arrays)" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json', 'segment': 10},"
		  " 'b': {'op': 'append', 'file': 'a.json'}}}",
		  "rules: section 'b' writes 'a.json', a file of the segmented section 'a' (a segmented array has its files to itself)" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'd/a.json', 'segment': 10}},"
		  " 'derived': [{'op': 'count', 'file': 'd/a.000003.json', 'at': '/n', 'of': 'a'}]}",
		  "rules: derived[0] writes 'd/a.000003.json', a file of the segmented section 'a' (a segmented array has its files to itself)" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json', 'at': 'posts'}}}",
		  "rules: sections.a.at: invalid JSON pointer 'posts': it must be empty or start with '/'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json', 'at': 4}}}",
		  "rules: sections.a.at: expected a string, got a number" },

		/* collect */
		{ "{'version': 1, 'sections': {'c': {'op': 'collect', 'file': 'b.json', 'key': 'n',"
		  " 'target': 3, 'publish': {'file': 'p.json'}}}}",
		  "rules: sections.c: missing member 'group_by'" },
		{ "{'version': 1, 'sections': {'c': {'op': 'collect', 'file': 'b.json', 'key': 'n',"
		  " 'group_by': 'book', 'publish': {'file': 'p.json'}}}}",
		  "rules: sections.c: missing member 'target'" },
		{ "{'version': 1, 'sections': {'c': {'op': 'collect', 'file': 'b.json', 'key': 'n',"
		  " 'group_by': 'book', 'target': 3}}}",
		  "rules: sections.c: missing member 'publish'" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'}, 'segment': 4}}}",
		  "rules: sections.c: member 'segment' is not allowed with op 'collect'" },
		{ "{'version': 1, 'sections': {'c': {'op': 'append', 'file': 'a.json', 'target': 3}}}",
		  "rules: sections.c: member 'target' is not allowed with op 'append'" },
		{ "{'version': 1, 'sections': {'c': {'op': 'collect', 'file': 'b.json', 'key': ['n', 'm'],"
		  " 'group_by': 'book', 'target': 3, 'publish': {'file': 'p.json'}}}}",
		  "rules: sections.c.key: a collect needs exactly one key member (the item in its group)" },
		{ "{'version': 1, 'sections': {'c': {'op': 'collect', 'file': 'b.json', 'key': 'n',"
		  " 'group_by': 'n', 'target': 3, 'publish': {'file': 'p.json'}}}}",
		  "rules: sections.c.group_by: 'n' is also the key: every group would hold one item" },
		{ "{'version': 1, 'sections': {'c': {'op': 'collect', 'file': 'b.json', 'key': 'n',"
		  " 'group_by': '', 'target': 3, 'publish': {'file': 'p.json'}}}}",
		  "rules: sections.c.group_by: empty name" },
		{ "{'version': 1, 'sections': {'c': {'op': 'collect', 'file': 'b.json', 'key': 'n',"
		  " 'group_by': 'book', 'target': 0, 'publish': {'file': 'p.json'}}}}",
		  "rules: sections.c.target: expected a positive integer, got 0" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'items': 'book', 'publish': {'file': 'p.json'}}}}",
		  "rules: sections.c.items: 'book' is also 'group_by' (name the items member with 'items')" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': 'p.json'}}}",
		  "rules: sections.c.publish: expected an object with 'file' and 'at', got a string" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'at': '/p'}}}}",
		  "rules: sections.c.publish: missing member 'file'" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json', 'to': 1}}}}",
		  "rules: sections.c.publish: unknown member 'to'" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': '../p.json'}}}}",
		  "rules: sections.c.publish.file: '../p.json' is outside the repository" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json', 'at': 'x'}}}}",
		  "rules: sections.c.publish.at: invalid JSON pointer 'x': it must be empty or start with '/'" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT
		  " 'publish': {'file': 'state/stream_deltas/p.json'}}}}",
		  "rules: sections.c.publish.file: 'state/stream_deltas/p.json' is inside the delta"
		  " directory 'state/stream_deltas'" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'b.json', 'at': '/open'}}}}",
		  "rules: section 'c' and section 'c' (publish) write the same target b.json/open"
		  " (a collect needs targets of its own)" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT
		  " 'publish': {'file': 'b.json', 'at': '/open/done'}}}}",
		  "rules: section 'c' (publish) writes b.json/open/done, inside the target b.json/open"
		  " of section 'c'" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'b.json', 'at': '/done'}},"
		  " 'd': {'op': 'collect', 'file': 'b.json', 'at': '/done', 'group_by': 'g', 'key': 'k',"
		  " 'target': 2, 'publish': {'file': 'd.json'}}}}",
		  "rules: section 'c' (publish) and section 'd' write the same target b.json/done"
		  " (a collect needs targets of its own)" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'}}},"
		  " 'derived': [{'op': 'count', 'file': 'b.json', 'at': '/open', 'of': 'c',"
		  " 'group_by': 'g', 'field': 'n'}]}",
		  "rules: section 'c' and derived[0] write the same target b.json/open"
		  " (a collect needs targets of its own)" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'}, 'from': 'posts'}}}",
		  "rules: sections.c.from: no section named 'posts'" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'}, 'from': 'c'}}}",
		  "rules: sections.c.from: names the section itself (leave 'from' out for that)" },
		{ "{'version': 1, 'sections': {'posts': {'op': 'ignore'}, 'c': {" COLLECT
		  " 'publish': {'file': 'p.json'}, 'from': 'posts'}}}",
		  "rules: sections.c.from: section 'posts' is ignored, expected a section that applies"
		  " its events (append, add, upsert, set)" },
		{ "{'version': 1, 'sections': {'d': {" COLLECT " 'publish': {'file': 'q.json'}},"
		  " 'c': {'op': 'collect', 'file': 'c.json', 'group_by': 'g', 'key': 'k', 'target': 2,"
		  " 'publish': {'file': 'p.json'}, 'from': 'd'}}}",
		  "rules: sections.c.from: section 'd' is a collect, expected a section that applies"
		  " its events (append, add, upsert, set)" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'}, 'from': 3}}}",
		  "rules: sections.c.from: expected a string, got a number" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'normalize': {'author': ['author']}}}}",
		  "rules: sections.c.normalize: 'author' is not one of the key members nor 'group_by'" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'}, 'match': ['x']}}}",
		  "rules: sections.c.match: expected an object, got an array" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'match': {'title': 3}}}}",
		  "rules: sections.c.match.title: expected a string, got a number" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'match': {'title': ''}}}}",
		  "rules: sections.c.match.title: empty pattern" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'match': {'title': 'Ch {n'}}}}",
		  "rules: sections.c.match.title: capture at byte 3: expected '{name}' with a name of"
		  " letters, digits and '_' (write '{{' for a brace)" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'match': {'title': 'Ch {n-m}'}}}}",
		  "rules: sections.c.match.title: capture at byte 3: expected '{name}' with a name of"
		  " letters, digits and '_' (write '{{' for a brace)" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'match': {'title': 'Ch {}'}}}}",
		  "rules: sections.c.match.title: capture at byte 3 has no name" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'match': {'title': 'Ch } {n}'}}}}",
		  "rules: sections.c.match.title: unmatched '}' at byte 3 (write '}}' for a brace)" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'match': {'title': '{n}{t}'}}}}",
		  "rules: sections.c.match.title: captures '{n}' and '{t}' need literal text between them" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'match': {'title': '{n}: {n}'}}}}",
		  "rules: sections.c.match.title: '{n}' is captured twice" },
		{ "{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'p.json'},"
		  " 'match': {'': 'x'}}}}",
		  "rules: sections.c.match: member name '' is not a usable member name" },

		/* paths */
		{ "{'version': 1, 'sections': {'posts_created': {'op': 'append', 'file': '../x.json'}}}",
		  "rules: sections.posts_created.file: '../x.json' is outside the repository" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': '/etc/x.json'}}}",
		  "rules: sections.a.file: '/etc/x.json' is outside the repository" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'state/../x.json'}}}",
		  "rules: sections.a.file: 'state/../x.json' has a '..' component" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'state//x.json'}}}",
		  "rules: sections.a.file: 'state//x.json' has an empty component" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'state/'}}}",
		  "rules: sections.a.file: 'state/' has an empty component" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': './x.json'}}}",
		  "rules: sections.a.file: './x.json' has a '.' component" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': ''}}}",
		  "rules: sections.a.file: empty path" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'state\\\\x.json'}}}",
		  "rules: sections.a.file: 'state\\\\x.json' contains a backslash" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'x\\u0000.json'}}}",
		  "rules: sections.a.file: 'x\\x00.json' contains a NUL byte" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': '.git/x.json'}}}",
		  "rules: sections.a.file: '.git/x.json' has a component starting with '.git'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'state/.gitattributes'}}}",
		  "rules: sections.a.file: 'state/.gitattributes' has a component starting with '.git'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': '.GIT/x.json'}}}",
		  "rules: sections.a.file: '.GIT/x.json' has a component starting with '.git'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': '.dc/head.json'}}}",
		  "rules: sections.a.file: '.dc/head.json' is under '.dc/', which only git-dc writes" },
		{ "{'version': 1, 'deltas': '/tmp/deltas'}",
		  "rules: deltas: '/tmp/deltas' is outside the repository" },
		{ "{'version': 1, 'deltas': '.dc/deltas'}",
		  "rules: deltas: '.dc/deltas' is under '.dc/', which only git-dc writes" },
		{ "{'version': 1, 'deltas': ''}", "rules: deltas: empty path" },
		{ "{'version': 1, 'deltas': 'a//'}", "rules: deltas: 'a/' has an empty component" },

		/* targets */
		{ "{'version': 1, 'sections': {"
		  "'a': {'op': 'add', 'file': 'state/x.json', 'at': '/posts'},"
		  "'b': {'op': 'upsert', 'file': 'state/x.json', 'at': '/posts', 'key': 'id'}}}",
		  "rules: sections 'a' and 'b' write the same target state/x.json/posts with different ops (add, upsert)" },
		{ "{'version': 1, 'sections': {"
		  "'a': {'op': 'add', 'file': 'state/x.json', 'at': '/posts'},"
		  "'b': {'op': 'add', 'file': 'state/x.json', 'at': '/posts/0/tags'}}}",
		  "rules: section 'b' writes state/x.json/posts/0/tags, inside the target state/x.json/posts of section 'a'" },
		{ "{'version': 1, 'sections': {"
		  "'a': {'op': 'append', 'file': 'state/x.json', 'at': '/posts/all'},"
		  "'b': {'op': 'append', 'file': 'state/x.json', 'at': '/posts'}}}",
		  "rules: section 'a' writes state/x.json/posts/all, inside the target state/x.json/posts of section 'b'" },
		{ "{'version': 1, 'sections': {"
		  "'a': {'op': 'upsert', 'file': 'state/x.json', 'key': 'id'},"
		  "'b': {'op': 'append', 'file': 'state/x.json', 'at': '/log'}}}",
		  "rules: section 'b' writes state/x.json/log, inside the target state/x.json of section 'a'" },
		{ "{'version': 1, 'deltas': 'log', 'sections': {"
		  "'a': {'op': 'append', 'file': 'state'},"
		  "'b': {'op': 'append', 'file': 'state/x.json'}}}",
		  "rules: section 'b' writes the file 'state/x.json', below 'state', the file of section 'a'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'state/stream_deltas/x.json'}}}",
		  "rules: sections.a.file: 'state/stream_deltas/x.json' is inside the delta directory 'state/stream_deltas'" },
		{ "{'version': 1, 'deltas': 'log', 'sections': {'a': {'op': 'append', 'file': 'log'}}}",
		  "rules: sections.a.file: 'log' is inside the delta directory 'log'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'state'}}}",
		  "rules: deltas: 'state/stream_deltas' is inside 'state', the file of section 'a'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'op': 'count', 'file': 'state/stream_deltas/n.json', 'of': 'a'}]}",
		  "rules: derived[0].file: 'state/stream_deltas/n.json' is inside the delta directory 'state/stream_deltas'" },

		/* derived counts */
		{ "{'version': 1, 'derived': ['count']}", "rules: derived[0]: expected an object, got a string" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'op': 'sum', 'file': 's.json', 'of': 'a'}]}",
		  "rules: derived[0].op: unknown op 'sum' (expected count)" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'file': 's.json', 'of': 'a'}]}",
		  "rules: derived[0]: missing member 'op'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'op': 'count', 'of': 'a'}]}",
		  "rules: derived[0]: missing member 'file'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'op': 'count', 'file': 's.json', 'at': '/n'}]}",
		  "rules: derived[0]: missing member 'of'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'op': 'count', 'file': 's.json', 'of': 'nope'}]}",
		  "rules: derived[0].of: no section named 'nope'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'ignore'}},"
		  " 'derived': [{'op': 'count', 'file': 's.json', 'of': 'a'}]}",
		  "rules: derived[0].of: section 'a' is ignored, there is nothing to count" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'op': 'count', 'file': 's.json', 'of': 'a', 'group_by': 'author'}]}",
		  "rules: derived[0]: missing member 'field' (required with 'group_by')" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'op': 'count', 'file': 's.json', 'of': 'a', 'field': 'n'}]}",
		  "rules: derived[0]: member 'field' is allowed only with 'group_by'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}},"
		  " 'derived': [{'op': 'count', 'file': 's.json', 'of': 'a', 'group_by': 1, 'field': 'n'}]}",
		  "rules: derived[0].group_by: expected a string, got a number" },
		{ "{'version': 1, 'sections': {'a': {'op': 'upsert', 'file': 'a.json', 'at': '/p', 'key': 'id'}},"
		  " 'derived': [{'op': 'count', 'file': 'a.json', 'at': '/p', 'of': 'a'}]}",
		  "rules: section 'a' and derived[0] write the same target a.json/p (a count without 'group_by' needs a target of its own)" },
		{ "{'version': 1, 'sections': {'a': {'op': 'upsert', 'file': 'a.json', 'at': '/p', 'key': 'id'}},"
		  " 'derived': [{'op': 'count', 'file': 'a.json', 'at': '/p/n', 'of': 'a'}]}",
		  "rules: derived[0] writes a.json/p/n, inside the target a.json/p of section 'a'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'upsert', 'file': 'a.json', 'at': '/p', 'key': 'id'}},"
		  " 'derived': [{'op': 'count', 'file': 'a.json', 'at': '/p/x', 'of': 'a',"
		  " 'group_by': 'author', 'field': 'n'}]}",
		  "rules: derived[0] writes a.json/p/x, inside the target a.json/p of section 'a'" },
		{ "{'version': 1, 'sections': {'a': {'op': 'upsert', 'file': 'a.json', 'at': '/p', 'key': 'id'}},"
		  " 'derived': [{'op': 'count', 'file': 'a.json', 'of': 'a', 'group_by': 'author', 'field': 'n'}]}",
		  "rules: section 'a' writes a.json/p, inside the target a.json of derived[0]" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}}, 'derived': ["
		  "{'op': 'count', 'file': 's.json', 'at': '/n', 'of': 'a'},"
		  "{'op': 'count', 'file': 's.json', 'at': '/n', 'of': 'a'}]}",
		  "rules: derived[0] and derived[1] write the same target s.json/n" },
		{ "{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}}, 'derived': ["
		  "{'op': 'count', 'file': 's.json', 'at': '/m', 'of': 'a', 'group_by': 'g', 'field': 'n'},"
		  "{'op': 'count', 'file': 's.json', 'at': '/m', 'of': 'a', 'group_by': 'h', 'field': 'n'}]}",
		  "rules: derived[0] and derived[1] both write the field 'n' of target s.json/m" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i].text, bad[i].msg);
	tap_ok(sizeof(bad) / sizeof(bad[0]) >= 25, "at least 25 bad rules files (%zu)",
	       sizeof(bad) / sizeof(bad[0]));
}

static void test_good_rules(void)
{
	struct dc_buf b = DC_BUF_INIT;

	accepted(two_sections(&b, "{'op': 'add', 'file': 'x.json', 'at': '/p'}",
			      "{'op': 'add', 'file': 'x.json', 'at': '/p', 'key': 'id'}"),
		 "two sections with the same op share a target");
	accepted(two_sections(&b, "{'op': 'add', 'file': 'x.json', 'at': '/p'}",
			      "{'op': 'append', 'file': 'x.json', 'at': '/pages'}"),
		 "'/p' does not contain '/pages'");
	accepted(two_sections(&b, "{'op': 'append', 'file': 'x.json', 'at': '/a~1b'}",
			      "{'op': 'append', 'file': 'x.json', 'at': '/a'}"),
		 "'/a' does not contain '/a~1b'");
	accepted(two_sections(&b, "{'op': 'append', 'file': 'state/x.json'}",
			      "{'op': 'append', 'file': 'state/x.json.d/y.json'}"),
		 "a file name prefix is not a directory");
	accepted("{'version': 1, 'deltas': 'state/stream_deltas2',"
		 " 'sections': {'a': {'op': 'append', 'file': 'state/stream_deltas2.json'}}}",
		 "a file next to the delta directory");
	accepted("{'version': 1, 'sections': {'a': {'op': 'append', 'file': 'a.json'}}, 'derived': ["
		 "{'op': 'count', 'file': 's.json', 'at': '/m', 'of': 'a', 'group_by': 'g', 'field': 'n'},"
		 "{'op': 'count', 'file': 's.json', 'at': '/m', 'of': 'a', 'group_by': 'h', 'field': 'k'}]}",
		 "two per-group counts write different fields of one target");
	accepted("{'version': 1, 'sections': {'a': {'op': 'add', 'file': 'a.json', 'key': []}}}",
		 "add with an empty key: the whole element");
	accepted("{'version': 1, 'sections': {'a': {'op': 'ignore'}}, 'derived': []}",
		 "ignore needs nothing else");
	accepted("{'version': 1, 'sections': {'gitlog': {'op': 'append', 'file': 'state/git.json'}}}",
		 "'.git' is refused as a component prefix only");
	accepted("{'version': 1, 'sections': {'c': {" COLLECT " 'publish': {'file': 'b.json',"
		 " 'at': '/done'}, 'match': {'t': '{{{n}}} {x}', 'u': 'plain'}}},"
		 " 'derived': [{'op': 'count', 'file': 'b.json', 'at': '/n', 'of': 'c'}]}",
		 "a collect publishing next to its groups, brace escapes, a count of it");
	accepted("{'version': 1, 'sections': {'p': {'op': 'upsert', 'file': 'p.json', 'at': '/p',"
		 " 'key': 'id'}, 'c': {" COLLECT " 'publish': {'file': 'q.json'}, 'from': 'p',"
		 " 'normalize': {'book': ['book', 'author'], 'n': ['n', 'number']}}}}",
		 "a collect from another section, normalizing its group and key");
	dc_buf_release(&b);
}

static void test_defaults(void)
{
	struct dc_rules r = DC_RULES_INIT;
	struct dc_err err = DC_ERR_INIT;
	const char **files = NULL;

	tap_ok(!parse(&r, "{'version': 1}", &err), "version alone parses");
	is_int(r.version, 1, "version");
	is_str(r.deltas, DC_DEFAULT_DELTAS, "default deltas");
	is_int(r.layout, DC_LAYOUT_FLAT, "default layout flat");
	is_int(r.nutc, 1, "default utc has one name");
	is_str(r.nutc ? r.utc[0] : NULL, "utc", "default utc is 'utc'");
	is_int(r.max_delta_bytes, 16 * 1024 * 1024, "default max_delta_bytes 16 MiB");
	is_int(r.nsections, 0, "no sections");
	is_int(r.nderived, 0, "no derived");
	is_int(dc_rules_files(&r, &files), 0, "no canonical files");
	free(files);
	tap_ok(dc_rules_is_canonical(&r, DC_HEAD_PATH), "head is canonical without sections");
	dc_rules_release(&r);

	tap_ok(!parse(&r, "{'version': 1, 'deltas': 'log/deltas/', 'layout': 'by-frame',"
		      " 'max_delta_bytes': 1000, 'utc': ['ts', 'meta.when'],"
		      " 'sections': {'a': {'op': 'append', 'file': 'a.json', 'segment': 500}}}", &err),
	       "explicit members parse");
	is_str(r.deltas, "log/deltas", "deltas stored without its trailing slash");
	is_int(r.layout, DC_LAYOUT_BY_FRAME, "layout by-frame");
	is_int(r.max_delta_bytes, 1000, "max_delta_bytes");
	is_int(r.nutc, 2, "two utc names");
	is_str(r.nutc == 2 ? r.utc[1] : NULL, "meta.when", "dotted utc name kept");
	is_int(r.nsections, 1, "one section");
	is_str(r.sections[0].at, "", "at defaults to the whole file");
	is_int(r.sections[0].segment, 500, "segment");
	is_int(r.sections[0].nkey, 0, "append has no key");
	dc_rules_release(&r);
	tap_ok(!r.deltas && !r.sections && !r.nsections, "release zeroes the struct");
	dc_rules_release(&r);
	tap_ok(1, "release of a zeroed struct is fine");
	dc_err_release(&err);
}

/* The example of PROTOCOL section 6, as written there. */
static const char protocol_example[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"deltas\": \"state/stream_deltas\",\n"
	"  \"layout\": \"flat\",\n"
	"  \"utc\": [\"utc\", \"completed_at\", \"_meta.timestamp\"],\n"
	"  \"sections\": {\n"
	"    \"posts_created\":   {\"op\": \"upsert\", \"file\": \"state/posted_log.json\", \"at\": \"/posts\", \"key\": [\"number\"]},\n"
	"    \"comments_added\":  {\"op\": \"add\", \"file\": \"state/posted_log.json\", \"at\": \"/comments\",\n"
	"                        \"key\": [\"discussion\", \"author\", \"body\"], \"normalize\": {\"author\": [\"author\", \"agent\"]}},\n"
	"    \"reactions_added\": {\"op\": \"add\", \"file\": \"state/reactions.json\", \"at\": \"/reactions\", \"key\": [\"discussion\", \"agent\", \"reaction\"]},\n"
	"    \"observations\":    {\"op\": \"append\", \"file\": \"state/observations.json\", \"at\": \"/observations\"},\n"
	"    \"profile_updates\": {\"op\": \"set\", \"file\": \"state/agents.json\", \"at\": \"/agents\", \"key\": \"agent\", \"field\": \"field\", \"value\": \"value\"}\n"
	"  },\n"
	"  \"derived\": [\n"
	"    {\"op\": \"count\", \"file\": \"state/stats.json\", \"at\": \"/total_posts\", \"of\": \"posts_created\"}\n"
	"  ]\n"
	"}\n";

static void test_protocol_example(void)
{
	struct dc_rules r = DC_RULES_INIT;
	struct dc_err err = DC_ERR_INIT;
	const struct dc_section *s;

	if (!tap_ok(!dc_rules_parse(&r, protocol_example, strlen(protocol_example), &err),
		    "the example of PROTOCOL section 6 parses"))
		tap_diag("%s", err.msg.buf);
	is_int(r.nsections, 5, "five sections");
	is_int(r.nutc, 3, "three utc names");
	s = dc_rules_section(&r, "comments_added");
	tap_ok(s && s->op == DC_OP_ADD && s->nkey == 3 && !strcmp(s->key[1], "author") &&
	       s->nnormalize == 1 && !strcmp(s->normalize[0].name, "author") &&
	       s->normalize[0].nalts == 2 && !strcmp(s->normalize[0].alts[1], "agent"),
	       "comments_added: add, key and normalize");
	s = dc_rules_section(&r, "profile_updates");
	tap_ok(s && s->op == DC_OP_SET && !strcmp(s->set_key, "agent") &&
	       !strcmp(s->set_field, "field") && !strcmp(s->set_value, "value") && !s->nkey,
	       "profile_updates: set with its three member names");
	s = dc_rules_section(&r, "posts_created");
	tap_ok(s && s->op == DC_OP_UPSERT && s->nkey == 1 && !strcmp(s->key[0], "number") &&
	       !strcmp(s->file, "state/posted_log.json") && !strcmp(s->at, "/posts"),
	       "posts_created: upsert of /posts keyed by number");
	tap_ok(!dc_rules_section(&r, "votes"), "no section 'votes'");
	tap_ok(r.nderived == 1 && r.derived[0].op == DC_OP_COUNT &&
	       !strcmp(r.derived[0].of, "posts_created") && !r.derived[0].group_by,
	       "one derived count of posts_created");
	dc_rules_release(&r);
	dc_err_release(&err);
}

static const char minimal_text[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"deltas\": \"state/stream_deltas\",\n"
	"  \"layout\": \"flat\",\n"
	"  \"utc\": [\n"
	"    \"utc\"\n"
	"  ],\n"
	"  \"sections\": {\n"
	"    \"events\": {\n"
	"      \"op\": \"append\",\n"
	"      \"file\": \"state/events.json\",\n"
	"      \"at\": \"/events\"\n"
	"    }\n"
	"  },\n"
	"  \"derived\": []\n"
	"}\n";

static void test_presets(void)
{
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf text = DC_BUF_INIT, again = DC_BUF_INIT;
	size_t i;

	for (i = 0; dc_rules_presets[i]; i++) {
		const char *name = dc_rules_presets[i];
		struct dc_rules r = DC_RULES_INIT;
		struct dc_json *tree = NULL;

		dc_buf_reset(&text);
		dc_buf_reset(&again);
		tap_ok(!dc_rules_preset(&text, name, &err), "preset '%s' is written", name);
		if (!tap_ok(!dc_rules_parse(&r, text.buf, text.len, &err),
			    "preset '%s' parses", name))
			tap_diag("%s", err.msg.buf);
		tap_ok(!dc_json_parse(&tree, text.buf, text.len, NULL, &err),
		       "preset '%s' is strict JSON", name);
		if (tree)
			dc_json_write(&again, tree);
		is_str(again.buf, text.buf, "preset '%s' is in the canonical layout", name);
		dc_json_free(tree);
		dc_rules_release(&r);
	}
	is_int(i, 2, "two presets");

	dc_buf_reset(&text);
	dc_rules_preset(&text, "minimal", &err);
	is_str(text.buf, minimal_text, "the minimal preset, byte for byte");

	dc_buf_reset(&text);
	dc_buf_adds(&text, "keep");
	is_int(dc_rules_preset(&text, "rappter", &err), -1, "unknown preset refused");
	is_str(err.msg.buf, "unknown preset 'rappter' (available: rappterbook, minimal)",
	       "unknown preset lists the presets");
	is_str(text.buf, "keep", "unknown preset writes nothing");

	dc_buf_release(&text);
	dc_buf_release(&again);
	dc_err_release(&err);
}

static void test_rappterbook(void)
{
	static const char *const want_files[] = {
		"state/agents.json", "state/book_catalog.json", "state/channels.json",
		"state/observations.json", "state/posted_log.json", "state/reactions.json",
		"state/stats.json", "state/votes.json",
	};
	static const char *const order[] = {
		"posts_created", "comments_added", "reactions_added", "votes", "observations",
		"profile_updates", "books", "stream_type", "agents_activated",
		"discussions_engaged", "soul_files_updated",
	};
	struct dc_rules r = DC_RULES_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf text = DC_BUF_INIT, got = DC_BUF_INIT;
	const struct dc_section *s;
	const char **files = NULL;
	size_t i, n;

	dc_rules_preset(&text, "rappterbook", &err);
	tap_ok(!dc_rules_parse(&r, text.buf, text.len, &err), "rappterbook parses");
	is_int(r.nutc, 3, "rappterbook: three utc names");
	is_str(r.nutc == 3 ? r.utc[2] : NULL, "_meta.timestamp", "rappterbook: _meta.timestamp");
	is_int(r.nsections, 11, "rappterbook: eleven sections");
	for (i = 0; i < r.nsections && i < 11; i++)
		dc_buf_addf(&got, "%s%s", i ? " " : "", r.sections[i].name);
	dc_buf_reset(&text);
	for (i = 0; i < 11; i++)
		dc_buf_addf(&text, "%s%s", i ? " " : "", order[i]);
	is_str(got.buf, text.buf, "rappterbook: sections in order");
	s = dc_rules_section(&r, "comments_added");
	tap_ok(s && s->nnormalize == 2 && !strcmp(s->normalize[0].name, "discussion") &&
	       s->normalize[0].nalts == 3 &&
	       !strcmp(s->normalize[0].alts[2], "discussion_number") &&
	       !strcmp(s->normalize[1].name, "author"),
	       "rappterbook: comments_added normalizes discussion and author");
	s = dc_rules_section(&r, "votes");
	tap_ok(s && s->op == DC_OP_ADD && s->nkey == 3 && !strcmp(s->key[1], "voter") &&
	       !strcmp(s->at, "/votes"), "rappterbook: votes");
	s = dc_rules_section(&r, "books");
	tap_ok(s && s->op == DC_OP_COLLECT && !strcmp(s->collect_from, "posts_created") &&
	       !strcmp(s->file, "state/book_catalog.json") && !strcmp(s->at, "/in_progress") &&
	       !strcmp(s->publish_file, "state/book_catalog.json") &&
	       !strcmp(s->publish_at, "/books") && s->collect_target == 4 &&
	       !strcmp(s->group_by, "book") && s->nkey == 1 && !strcmp(s->key[0], "chapter") &&
	       !strcmp(s->collect_items, "chapters"),
	       "rappterbook: books collected from posts_created into state/book_catalog.json");
	tap_ok(s && s->nnormalize == 1 && !strcmp(s->normalize[0].name, "book") &&
	       s->normalize[0].nalts == 2 && !strcmp(s->normalize[0].alts[1], "author"),
	       "rappterbook: a book is its explicit member, else the author");
	tap_ok(s && s->nmatch == 1 && !strcmp(s->match[0].member, "title") &&
	       s->match[0].nparts == 4 && !strcmp(s->match[0].parts[0].text, "[CHAPTER] Chapter ") &&
	       s->match[0].parts[1].capture && !strcmp(s->match[0].parts[1].text, "chapter") &&
	       !s->match[0].parts[2].capture && !strcmp(s->match[0].parts[2].text, ": ") &&
	       s->match[0].parts[3].capture &&
	       !strcmp(s->match[0].parts[3].text, "chapter_title"),
	       "rappterbook: chapters are '[CHAPTER] Chapter {chapter}: {chapter_title}' posts");
	s = dc_rules_section(&r, "soul_files_updated");
	tap_ok(s && s->op == DC_OP_IGNORE && !s->file, "rappterbook: soul_files_updated ignored");
	is_int(r.nderived, 4, "rappterbook: four derived counts");
	tap_ok(r.nderived == 4 && !strcmp(r.derived[2].file, "state/agents.json") &&
	       !strcmp(r.derived[2].group_by, "author") &&
	       !strcmp(r.derived[2].field, "post_count") &&
	       !strcmp(r.derived[3].group_by, "channel"),
	       "rappterbook: per-author and per-channel post counts");

	n = dc_rules_files(&r, &files);
	is_int(n, 8, "rappterbook: eight canonical files");
	dc_buf_reset(&got);
	dc_buf_reset(&text);
	for (i = 0; i < n; i++)
		dc_buf_addf(&got, "%s\n", files[i]);
	for (i = 0; i < 8; i++)
		dc_buf_addf(&text, "%s\n", want_files[i]);
	is_str(got.buf, text.buf, "rappterbook: files sorted, without duplicates");
	free(files);

	tap_ok(dc_rules_is_canonical(&r, "state/posted_log.json"), "posted_log is canonical");
	tap_ok(dc_rules_is_canonical(&r, "state/stats.json"), "a derived file is canonical");
	tap_ok(dc_rules_is_canonical(&r, "state/book_catalog.json"), "a publish file is canonical");
	tap_ok(dc_rules_is_canonical(&r, ".dc/head.json"), "head is canonical");
	tap_ok(!dc_rules_is_canonical(&r, ".dc/rules.json"), "the rules are not");
	tap_ok(!dc_rules_is_canonical(&r, "state/stream_deltas/frame-1-s.json"), "a delta is not");
	tap_ok(!dc_rules_is_canonical(&r, "state/posted_log.000000.json"),
	       "no segment files without 'segment'");
	tap_ok(!dc_rules_is_canonical(&r, "state"), "a directory is not");

	dc_rules_release(&r);
	dc_buf_release(&text);
	dc_buf_release(&got);
	dc_err_release(&err);
}

static void test_segments(void)
{
	static const struct {
		const char *path;
		int want;
	} cases[] = {
		{ "data/posts.json", 1 },
		{ "data/posts.000000.json", 1 },
		{ "data/posts.123456.json", 1 },
		{ "data/posts.00000.json", 0 },
		{ "data/posts.0000000.json", 0 },
		{ "data/posts.00000a.json", 0 },
		{ "data/posts-000001.json", 0 },
		{ "data/posts.000001.jsonx", 0 },
		{ "data/posts.000001.json.lock", 0 },
		{ "other/posts.000001.json", 0 },
		{ "data/log.json", 1 },
		{ "data/log.000000.json", 0 },
		{ "data/ignored.json", 0 },
	};
	struct dc_rules r = DC_RULES_INIT;
	struct dc_err err = DC_ERR_INIT;
	const char **files = NULL;
	size_t i, n;

	tap_ok(!parse(&r, "{'version': 1, 'sections': {"
		      "'posts': {'op': 'upsert', 'file': 'data/posts.json', 'key': 'id', 'segment': 1000},"
		      "'log': {'op': 'append', 'file': 'data/log.json', 'at': '/log'},"
		      "'more': {'op': 'append', 'file': 'data/log.json', 'at': '/more'},"
		      "'skip': {'op': 'ignore'}}}", &err), "segmented rules parse");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(dc_rules_is_canonical(&r, cases[i].path), cases[i].want,
		       "is_canonical('%s')", cases[i].path);
	n = dc_rules_files(&r, &files);
	tap_ok(n == 2 && !strcmp(files[0], "data/log.json") && !strcmp(files[1], "data/posts.json"),
	       "files: one entry per file, sorted");
	free(files);
	dc_rules_release(&r);
	dc_err_release(&err);
}

static void test_op_names(void)
{
	is_str(dc_op_name(DC_OP_APPEND), "append", "op name append");
	is_str(dc_op_name(DC_OP_ADD), "add", "op name add");
	is_str(dc_op_name(DC_OP_UPSERT), "upsert", "op name upsert");
	is_str(dc_op_name(DC_OP_SET), "set", "op name set");
	is_str(dc_op_name(DC_OP_IGNORE), "ignore", "op name ignore");
	is_str(dc_op_name(DC_OP_COLLECT), "collect", "op name collect");
	is_str(dc_op_name(DC_OP_COUNT), "count", "op name count");
}

int main(void)
{
	test_presets();
	test_rappterbook();
	test_protocol_example();
	test_defaults();
	test_segments();
	test_good_rules();
	test_bad_rules();
	test_op_names();
	return done_testing();
}
