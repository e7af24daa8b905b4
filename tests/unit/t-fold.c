/*
 * Unit tests for fold.c (PROTOCOL sections 4 and 5, dc-protocol(7)
 * section 5) with no repository: canonical files are served from an
 * in-memory table, rules and deltas are parsed from literal JSON, and
 * every result is compared as the full bytes dc_json_write gives.
 *
 * The literals write JSON with single quotes, which the fixture turns into
 * double quotes before parsing, so no literal holds an apostrophe.
 */
#include "fold.h"
#include "tap.h"
#include <stdlib.h>

#define DELTAS "state/stream_deltas"
#define UTC "2026-03-28T03:00:00Z"

/* A delta of `frame` by `stream` with the given sections (pairs for fx_run) */
#define DELTA(frame, stream, sections) \
	"frame-" #frame "-" stream ".json", \
	"{'frame': " #frame ", 'stream_id': '" stream "', 'utc': '" UTC "', " sections "}"

/* ---- the fixture ------------------------------------------------------ */

struct mem_file {
	const char *path;
	const char *text;	/* NULL: reading it fails */
};

struct mem_fs {
	const struct mem_file *files;	/* ends with { NULL, NULL } */
	int reads;
};

/* A copy of `s` with every ' turned into "; the caller frees it. */
static char *dq(const char *s)
{
	char *out = dc_xstrdup(s), *p;

	for (p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

static int mem_read(void *data, const char *path, struct dc_buf *out, int *exists,
		    struct dc_err *err)
{
	struct mem_fs *fs = data;
	const struct mem_file *f;

	fs->reads++;
	*exists = 0;
	for (f = fs->files; f && f->path; f++) {
		char *text;

		if (strcmp(f->path, path))
			continue;
		if (!f->text)
			return dc_err_set(err, DC_ERR_FATAL, "cannot read '%s': disk on fire",
					  path);
		text = dq(f->text);
		dc_buf_adds(out, text);
		free(text);
		*exists = 1;
		return 0;
	}
	return 0;
}

/* Set before fx_run: the summaries the state is given (fold.h), or none. */
static dc_state_summary_fn fx_summary;
static void *fx_summary_data;

struct fx {
	struct dc_rules rules;
	struct dc_state st;
	struct dc_err err;
	struct mem_fs fs;
	int ret;	/* what dc_fold_apply or dc_fold_finish returned */
};

static void fx_release(struct fx *f)
{
	dc_state_release(&f->st);
	dc_rules_release(&f->rules);
	dc_err_release(&f->err);
}

/*
 * Fold `deltas` (pairs of a path relative to the delta directory and the
 * delta's text, NULL-terminated) in the given order over `files` under
 * `rules`, then compute the derived counts. Rules or a delta that do not
 * load are a mistake of the test: reported, and -2 is returned. Otherwise
 * the fold's own result is in f->ret (and f->err).
 */
static int fx_run(struct fx *f, const char *rules, const struct mem_file *files,
		  const char *const *deltas)
{
	struct dc_err err = DC_ERR_INIT;
	char *text = dq(rules);
	size_t i;
	int ret = -2;

	memset(f, 0, sizeof(*f));
	f->err = (struct dc_err)DC_ERR_INIT;
	f->fs.files = files;
	if (dc_rules_parse(&f->rules, text, strlen(text), &err)) {
		tap_diag("test bug: rules do not parse: %s", err.msg.buf);
		goto cleanup;
	}
	if (dc_state_init(&f->st, &f->rules, mem_read, &f->fs, &f->err)) {
		f->ret = -1;
		ret = 0;
		goto cleanup;
	}
	f->st.summary = fx_summary;
	f->st.summary_data = fx_summary_data;
	for (i = 0; deltas && deltas[i]; i += 2) {
		struct dc_delta d = DC_DELTA_INIT;
		struct dc_buf path = DC_BUF_INIT;
		char *dtext = dq(deltas[i + 1]);

		dc_buf_addf(&path, "%s/%s", f->rules.deltas, deltas[i]);
		dc_delta_load(&d, path.buf, deltas[i], NULL, dtext, strlen(dtext), &f->rules);
		free(dtext);
		dc_buf_release(&path);
		if (!d.valid) {
			tap_diag("test bug: delta '%s' is not valid: %s", deltas[i], d.reason);
			dc_delta_release(&d);
			goto cleanup;
		}
		/* the delta dies right after: the state must keep nothing of it */
		f->ret = dc_fold_apply(&f->st, &d, &f->err);
		dc_delta_release(&d);
		if (f->ret) {
			ret = 0;
			goto cleanup;
		}
	}
	f->ret = dc_fold_finish(&f->st, &f->err);
	ret = 0;
cleanup:
	free(text);
	dc_err_release(&err);
	return ret;
}

/* Run and expect the fold to succeed. */
static int fx_ok(struct fx *f, const char *name, const char *rules, const struct mem_file *files,
		 const char *const *deltas)
{
	if (fx_run(f, rules, files, deltas))
		return tap_ok(0, "%s: the fixture loads", name);
	if (f->ret)
		tap_diag("fold failed: %s", f->err.msg.buf);
	return tap_ok(!f->ret, "%s: the fold succeeds", name);
}

/* Run and expect the fold to fail with exactly `msg` (code DC_ERR_REFUSED
 * unless `code` says otherwise). */
static void fx_fails(const char *name, const char *rules, const struct mem_file *files,
		     const char *const *deltas, int code, const char *msg)
{
	struct fx f;

	if (fx_run(&f, rules, files, deltas)) {
		tap_ok(0, "%s: the fixture loads", name);
	} else {
		is_int(f.ret, -1, "%s: the fold fails", name);
		is_str(f.err.msg.buf, msg, "%s: the message", name);
		is_int(f.err.code, code, "%s: the error code", name);
	}
	fx_release(&f);
}

static struct dc_state_file *fx_find(struct fx *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->st.nfiles; i++)
		if (!strcmp(f->st.files[i].path, path))
			return &f->st.files[i];
	return NULL;
}

/*
 * The file `path` of the state (loaded now if the fold did not need it, as
 * a caller writing files would) holds exactly `want` (NULL: no document,
 * nothing was created), and its changed flag is `changed`.
 */
static void fx_file(struct fx *f, const char *name, const char *path, const char *want,
		    int changed)
{
	struct dc_err err = DC_ERR_INIT;
	struct dc_state_file *sf = dc_state_file(&f->st, path, &err);
	struct dc_buf got = DC_BUF_INIT;
	char *w = want ? dq(want) : NULL;

	if (!sf) {
		tap_ok(0, "%s: '%s' loads: %s", name, path, err.msg.buf);
		dc_err_release(&err);
		free(w);
		return;
	}
	if (sf->doc)
		dc_json_write(&got, sf->doc);
	is_str(sf->doc ? got.buf : NULL, w, "%s: '%s' bytes", name, path);
	is_int(sf->changed, changed, "%s: '%s' changed flag", name, path);
	dc_buf_release(&got);
	free(w);
}

/* Quarantined event number `i` of the fold is exactly this. */
static void fx_quarantined(struct fx *f, const char *name, size_t i, const char *rel,
			   const char *section, size_t index, const char *reason)
{
	const struct dc_event_note *n;
	struct dc_buf path = DC_BUF_INIT;

	if (i >= f->st.stats.nquarantined) {
		tap_ok(0, "%s: event note %zu exists (%zu notes)", name, i,
		       f->st.stats.nquarantined);
		return;
	}
	n = &f->st.stats.quarantined[i];
	dc_buf_addf(&path, "%s/%s", DELTAS, rel);
	is_str(n->path, path.buf, "%s: note %zu path", name, i);
	is_str(n->section, section, "%s: note %zu section", name, i);
	is_int(n->index, index, "%s: note %zu index", name, i);
	is_str(n->reason, reason, "%s: note %zu reason", name, i);
	dc_buf_release(&path);
}

static void fx_counts(struct fx *f, const char *name, size_t section, size_t applied,
		      size_t present, size_t quarantined)
{
	is_int(f->st.stats.applied[section], applied, "%s: events applied", name);
	is_int(f->st.stats.present[section], present, "%s: events already present", name);
	is_int(f->st.stats.nquarantined, quarantined, "%s: events quarantined", name);
}

/* ---- append ----------------------------------------------------------- */

#define RULES_APPEND \
	"{'version': 1, 'sections': {'obs': {'op': 'append', 'file': 'state/o.json', 'at': '/o'}}}"

static void test_append(void)
{
	struct fx f;
	static const struct mem_file none[] = { { NULL, NULL } };
	static const struct mem_file genesis[] = {
		{ "state/o.json", "{'other': true, 'o': [{'a': 1}]}" },
		{ NULL, NULL }
	};
	const char *const every_kind[] = {
		DELTA(1, "s1", "'obs': [1, 'x', {'a': 1}, 1, [1], null]"),
		NULL
	};
	const char *const object_section[] = {
		DELTA(1, "s1", "'obs': {'a': 1, 'b': [2]}"),
		DELTA(2, "s1", "'obs': [{'a': 1}]"),
		NULL
	};

	if (fx_ok(&f, "append into a missing file", RULES_APPEND, none, every_kind)) {
		fx_file(&f, "append into a missing file", "state/o.json",
			"{\n  'o': [\n    1,\n    'x',\n    {\n      'a': 1\n    },\n"
			"    1,\n    [\n      1\n    ],\n    null\n  ]\n}\n", 1);
		fx_counts(&f, "append: every event pushed, none deduped", 0, 6, 0, 0);
	}
	fx_release(&f);

	if (fx_ok(&f, "append after genesis", RULES_APPEND, genesis, object_section)) {
		fx_file(&f, "append: an object section is one event", "state/o.json",
			"{\n  'other': true,\n  'o': [\n    {\n      'a': 1\n    },\n"
			"    {\n      'a': 1,\n      'b': [\n        2\n      ]\n    },\n"
			"    {\n      'a': 1\n    }\n  ]\n}\n", 1);
		fx_counts(&f, "append after genesis", 0, 2, 0, 0);
		is_int(f.fs.reads, 1, "append: the file is read once, when first needed");
	}
	fx_release(&f);
}

static void test_append_whole_file(void)
{
	struct fx f;
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const deltas[] = {
		DELTA(1, "s1", "'obs': ['a']"),
		NULL
	};

	if (fx_ok(&f, "append at the whole file",
		  "{'version': 1, 'sections': {'obs': {'op': 'append', 'file': 'state/o.json'}}}",
		  none, deltas))
		fx_file(&f, "append at the whole file creates an array file", "state/o.json",
			"[\n  'a'\n]\n", 1);
	fx_release(&f);
}

/* Strings and numbers come out as they went in. */
static void test_verbatim(void)
{
	struct fx f;
	static const struct mem_file genesis[] = {
		{ "state/o.json", "{'o': [1.10, 'caf\\u00e9']}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'obs': [1e400, 12345678901234567890, -0.0, 1E-7, "
		      "'\\u00e9\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80', "
		      "'q\\'\\\\\\/\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f\\u2028', "
		      "{'k\\n\xc3\xa9': '\\ud83d\\ude00'}]"),
		NULL
	};

	if (fx_ok(&f, "verbatim", RULES_APPEND, genesis, deltas))
		fx_file(&f, "numbers verbatim, non-ASCII as UTF-8, only needed escapes",
			"state/o.json",
			"{\n  'o': [\n    1.10,\n    'caf\xc3\xa9',\n    1e400,\n"
			"    12345678901234567890,\n    -0.0,\n    1E-7,\n"
			"    '\xc3\xa9\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80',\n"
			"    'q\\'\\\\/\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\xe2\x80\xa8',\n"
			"    {\n      'k\\n\xc3\xa9': '\xf0\x9f\x98\x80'\n    }\n  ]\n}\n", 1);
	fx_release(&f);
}

/* ---- add -------------------------------------------------------------- */

static void test_add_whole(void)
{
	struct fx f;
	static const struct mem_file genesis[] = {
		{ "state/c.json", "{'c': [{'a': 1, 'b': {'x': [1, 2]}}, 'x', 1, null]}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'tags': [{'b': {'x': [1, 2.0]}, 'a': 1}, 'x', 1.0, 10e-1, null,"
		      " 'y', 'y', {'b': {'x': [2, 1]}, 'a': 1}, '1', true]"),
		DELTA(2, "s1", "'tags': {'a': 1, 'b': {'x': [1, 2]}}"),
		NULL
	};

	if (fx_ok(&f, "add, whole-element key",
		  "{'version': 1, 'sections': {'tags': {'op': 'add', 'file': 'state/c.json',"
		  " 'at': '/c'}}}", genesis, deltas)) {
		fx_file(&f, "add, whole-element key", "state/c.json",
			"{\n  'c': [\n    {\n      'a': 1,\n      'b': {\n        'x': [\n"
			"          1,\n          2\n        ]\n      }\n    },\n    'x',\n"
			"    1,\n    null,\n    'y',\n    {\n      'b': {\n        'x': [\n"
			"          2,\n          1\n        ]\n      },\n      'a': 1\n    },\n"
			"    '1',\n    true\n  ]\n}\n", 1);
		fx_counts(&f, "add, whole-element key: equal values are one", 0, 4, 7, 0);
	}
	fx_release(&f);
}

#define RULES_COMMENTS \
	"{'version': 1, 'sections': {'comments': {'op': 'add', 'file': 'state/log.json'," \
	" 'at': '/comments', 'key': ['d', 'author', 'body']," \
	" 'normalize': {'author': ['author', 'agent']}}}}"

static void test_add_keys(void)
{
	struct fx f;
	const char *name = "add with key members";
	static const struct mem_file genesis[] = {
		{ "state/log.json", "{'comments': [{'d': 1, 'agent': 'a', 'body': 'hi'},"
		  " {'body': 'no key'}]}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'comments': ["
		      /* 0: same key as genesis through normalize: present */
		      "{'d': 1.0, 'author': 'a', 'body': 'hi', 'extra': 1},"
		      /* 1: 'author' wins over 'agent': a new key */
		      "{'d': 1, 'author': 'b', 'agent': 'a', 'body': 'hi'},"
		      /* 2: '1' is not 1 */
		      "{'d': '1', 'agent': 'a', 'body': 'hi'},"
		      /* 3, 4: missing key members */
		      "{'d': 1, 'body': 'hi'},"
		      "{'agent': 'a', 'body': 'x'},"
		      /* 5, 6: not objects */
		      "'a string', 7,"
		      /* 7: a duplicate of 1 inside the delta */
		      "{'d': 1, 'agent': 'b', 'body': 'hi'},"
		      /* 8: key member null is present */
		      "{'d': null, 'author': 'c', 'body': 'hi'}]"),
		NULL
	};

	if (fx_ok(&f, name, RULES_COMMENTS, genesis, deltas)) {
		fx_file(&f, name, "state/log.json",
			"{\n  'comments': [\n"
			"    {\n      'd': 1,\n      'agent': 'a',\n      'body': 'hi'\n    },\n"
			"    {\n      'body': 'no key'\n    },\n"
			"    {\n      'd': 1,\n      'author': 'b',\n      'agent': 'a',\n"
			"      'body': 'hi'\n    },\n"
			"    {\n      'd': '1',\n      'agent': 'a',\n      'body': 'hi'\n    },\n"
			"    {\n      'd': null,\n      'author': 'c',\n      'body': 'hi'\n    }\n"
			"  ]\n}\n", 1);
		fx_counts(&f, name, 0, 3, 2, 4);
		fx_quarantined(&f, name, 0, "frame-1-s1.json", "comments", 3,
			       "key member 'author' is missing (none of 'author', 'agent' is"
			       " present)");
		fx_quarantined(&f, name, 1, "frame-1-s1.json", "comments", 4,
			       "key member 'd' is missing");
		fx_quarantined(&f, name, 2, "frame-1-s1.json", "comments", 5,
			       "the event is a string, expected an object");
		fx_quarantined(&f, name, 3, "frame-1-s1.json", "comments", 6,
			       "the event is an integer, expected an object");
	}
	fx_release(&f);
}

/* A duplicate changes nothing; a quarantined event creates nothing. */
static void test_add_unchanged(void)
{
	struct fx f;
	static const struct mem_file genesis[] = {
		{ "state/log.json", "{'comments': [{'d': 1, 'author': 'a', 'body': 'hi'}]}" },
		{ NULL, NULL }
	};
	static const struct mem_file no_target[] = {
		{ "state/log.json", "{'x': 1, 'o': []}" },
		{ NULL, NULL }
	};
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const dup[] = {
		DELTA(1, "s1", "'comments': [{'agent': 'a', 'body': 'hi', 'd': 1}]"),
		DELTA(2, "s2", "'comments': {'d': 1, 'author': 'a', 'body': 'hi', 'more': 2}"),
		NULL
	};
	const char *const bad[] = {
		DELTA(1, "s1", "'comments': [{'d': 1}, 5]"),
		NULL
	};
	/* the file is loaded by another section first */
	const char *const loaded[] = {
		DELTA(1, "s1", "'obs': ['y'], 'comments': [{'d': 1}, 5]"),
		NULL
	};

	if (fx_ok(&f, "duplicate add", RULES_COMMENTS, genesis, dup)) {
		fx_file(&f, "a duplicate add leaves the file unchanged", "state/log.json",
			"{\n  'comments': [\n    {\n      'd': 1,\n      'author': 'a',\n"
			"      'body': 'hi'\n    }\n  ]\n}\n", 0);
		fx_counts(&f, "duplicate add", 0, 0, 2, 0);
	}
	fx_release(&f);

	if (fx_ok(&f, "quarantined add, no target",
		  "{'version': 1, 'sections': {"
		  "'obs': {'op': 'append', 'file': 'state/log.json', 'at': '/o'},"
		  "'comments': {'op': 'add', 'file': 'state/log.json', 'at': '/deep/comments',"
		  " 'key': ['d', 'author']}}}", no_target, loaded)) {
		fx_file(&f, "a quarantined add creates no container", "state/log.json",
			"{\n  'x': 1,\n  'o': [\n    'y'\n  ]\n}\n", 1);
		fx_counts(&f, "quarantined add, no target", 1, 0, 0, 2);
	}
	fx_release(&f);

	if (fx_ok(&f, "quarantined add, no file", RULES_COMMENTS, none, bad)) {
		fx_file(&f, "a quarantined add creates no file", "state/log.json", NULL, 0);
		fx_counts(&f, "quarantined add, no file", 0, 0, 0, 2);
	}
	fx_release(&f);
}

/* Many elements: the key index must follow the array as it grows. */
static void test_add_many(void)
{
	struct fx f;
	struct dc_buf d1 = DC_BUF_INIT, d2 = DC_BUF_INIT, want = DC_BUF_INIT;
	const char *deltas[5];
	static const struct mem_file none[] = { { NULL, NULL } };
	int i;

	dc_buf_addf(&d1, "{'frame': 1, 'stream_id': 's1', 'utc': '%s', 'comments': [", UTC);
	dc_buf_addf(&d2, "{'frame': 2, 'stream_id': 's1', 'utc': '%s', 'comments': [", UTC);
	dc_buf_adds(&want, "{\n  'comments': [\n");
	for (i = 0; i < 100; i++) {
		dc_buf_addf(&d1, "%s{'d': %d, 'author': 'a', 'body': 'b'}", i ? ", " : "", i);
		dc_buf_addf(&d2, "%s{'d': %d, 'agent': 'a', 'body': 'b'}", i ? ", " : "", 199 - i);
	}
	for (i = 0; i < 200; i++)
		dc_buf_addf(&want, "    {\n      'd': %d,\n      '%s': 'a',\n      'body': 'b'\n"
			    "    }%s\n", i < 100 ? i : 299 - i, i < 100 ? "author" : "agent",
			    i < 199 ? "," : "");
	dc_buf_adds(&want, "  ]\n}\n");
	dc_buf_adds(&d1, "]}");
	/* and one element of frame 1 again, under the other name */
	dc_buf_adds(&d2, ", {'d': 50, 'agent': 'a', 'body': 'b'}]}");
	deltas[0] = "frame-1-s1.json";
	deltas[1] = d1.buf;
	deltas[2] = "frame-2-s1.json";
	deltas[3] = d2.buf;
	deltas[4] = NULL;
	if (fx_ok(&f, "add of 200 elements", RULES_COMMENTS, none, deltas)) {
		fx_file(&f, "add of 200 elements", "state/log.json", want.buf, 1);
		fx_counts(&f, "add of 200 elements", 0, 200, 1, 0);
	}
	fx_release(&f);
	dc_buf_release(&d1);
	dc_buf_release(&d2);
	dc_buf_release(&want);
}

/* ---- upsert ----------------------------------------------------------- */

#define RULES_POSTS \
	"{'version': 1, 'sections': {'posts': {'op': 'upsert', 'file': 'state/p.json'," \
	" 'at': '/posts', 'key': ['number']}}}"

static void test_upsert_array(void)
{
	struct fx f;
	const char *name = "upsert into an array";
	static const struct mem_file genesis[] = {
		{ "state/p.json", "{'posts': ["
		  "{'title': 'no key'},"
		  "{'number': 1, 'title': 'a', 'meta': {'x': 1, 'y': {'z': 1}}, 'tags': ['a'],"
		  " 'o': {'k': 1}},"
		  "{'number': 3, 'title': 'first'},"
		  "{'number': 3, 'title': 'second'},"
		  "{'number': 280, 't': 'n'}]}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'posts': ["
		      /* 0: a new entity goes last */
		      "{'number': 2, 'title': 'b'},"
		      /* 1: merged member by member, recursively */
		      "{'number': 1, 'title': 'A', 'meta': {'y': {'w': 2}, 'k': 3},"
		      " 'tags': ['b'], 'o': [1], 'new': {}},"
		      /* 2: the first of equal keys is the entity */
		      "{'number': 3, 'title': 'third'},"
		      /* 3, 4: '280' is another entity, 280.0 the same */
		      "{'number': '280', 't': 's'},"
		      "{'number': 280.0, 'u': 1},"
		      /* 5: nothing new */
		      "{'number': 1, 'title': 'A'},"
		      /* 6, 7: quarantined */
		      "{'title': 'lost'}, 'x']"),
		/* later: last write wins */
		DELTA(2, "s1", "'posts': {'number': 1, 'title': 'last', 'meta': {'y': 5}}"),
		NULL
	};

	if (fx_ok(&f, name, RULES_POSTS, genesis, deltas)) {
		fx_file(&f, name, "state/p.json",
			"{\n  'posts': [\n"
			"    {\n      'title': 'no key'\n    },\n"
			"    {\n      'number': 1,\n      'title': 'last',\n      'meta': {\n"
			"        'x': 1,\n        'y': 5,\n        'k': 3\n      },\n"
			"      'tags': [\n        'b'\n      ],\n"
			"      'o': [\n        1\n      ],\n"
			"      'new': {}\n    },\n"
			"    {\n      'number': 3,\n      'title': 'third'\n    },\n"
			"    {\n      'number': 3,\n      'title': 'second'\n    },\n"
			"    {\n      'number': 280,\n      't': 'n',\n      'u': 1\n    },\n"
			"    {\n      'number': 2,\n      'title': 'b'\n    },\n"
			"    {\n      'number': '280',\n      't': 's'\n    }\n"
			"  ]\n}\n", 1);
		fx_counts(&f, name, 0, 6, 1, 2);
		fx_quarantined(&f, name, 0, "frame-1-s1.json", "posts", 6,
			       "key member 'number' is missing");
		fx_quarantined(&f, name, 1, "frame-1-s1.json", "posts", 7,
			       "the event is a string, expected an object");
	}
	fx_release(&f);
}

#define RULES_AGENTS \
	"{'version': 1, 'sections': {'agents': {'op': 'upsert', 'file': 'state/a.json'," \
	" 'at': '/agents', 'key': 'id'}}}"

static void test_upsert_object(void)
{
	struct fx f;
	const char *name = "upsert into an object keyed by id";
	static const struct mem_file genesis[] = {
		{ "state/a.json", "{'agents': {'x': {'id': 'x', 'n': 1, 'm': {'a': 0, 'b': 0}},"
		  " '280': {'id': '280'}, 'scalar': 5}}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'agents': ["
		      "{'id': 'y', 'n': 2},"
		      "{'id': 'x', 'n': 3, 'm': {'a': 1}},"
		      "{'id': 280, 'n': 4},"
		      "{'n': 5},"
		      "{'id': '280', 'n': 6},"
		      "{'id': 'scalar', 'n': 7},"
		      "{'id': 'x', 'n': 3}]"),
		NULL
	};

	if (fx_ok(&f, name, RULES_AGENTS, genesis, deltas)) {
		fx_file(&f, name, "state/a.json",
			"{\n  'agents': {\n"
			"    'x': {\n      'id': 'x',\n      'n': 3,\n      'm': {\n"
			"        'a': 1,\n        'b': 0\n      }\n    },\n"
			"    '280': {\n      'id': '280',\n      'n': 6\n    },\n"
			"    'scalar': {\n      'id': 'scalar',\n      'n': 7\n    },\n"
			"    'y': {\n      'id': 'y',\n      'n': 2\n    }\n  }\n}\n", 1);
		fx_counts(&f, name, 0, 4, 1, 2);
		fx_quarantined(&f, name, 0, "frame-1-s1.json", "agents", 2,
			       "key member 'id' is an integer, expected a string (the id of an"
			       " entity in an object)");
		fx_quarantined(&f, name, 1, "frame-1-s1.json", "agents", 3,
			       "key member 'id' is missing");
	}
	fx_release(&f);
}

static void test_upsert_object_two_keys(void)
{
	struct fx f;
	const char *name = "upsert into an object with two key members";
	static const struct mem_file genesis[] = {
		{ "state/a.json", "{'agents': {}}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'agents': {'id': 'a', 'v': 1, 'n': 1}"),
		NULL
	};

	if (fx_ok(&f, name,
		  "{'version': 1, 'sections': {'agents': {'op': 'upsert', 'file': 'state/a.json',"
		  " 'at': '/agents', 'key': ['id', 'v']}}}", genesis, deltas)) {
		fx_file(&f, name, "state/a.json", "{\n  'agents': {}\n}\n", 0);
		fx_quarantined(&f, name, 0, "frame-1-s1.json", "agents", 0,
			       "/agents is an object keyed by id, which needs exactly one key"
			       " member");
	}
	fx_release(&f);
}

static void test_upsert_unchanged(void)
{
	struct fx f;
	const char *name = "upsert that changes nothing";
	static const struct mem_file genesis[] = {
		{ "state/p.json", "{'posts': [{'number': 1, 'm': {'a': [1], 'b': 'x'}}]}" },
		{ "state/a.json", "{'agents': {'a': {'id': 'a', 'm': {'k': 1.0}}}}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'posts': [{'number': 1, 'm': {'b': 'x'}}, {'number': 1.0}],"
		      " 'agents': {'id': 'a', 'm': {'k': 1}}"),
		NULL
	};

	if (fx_ok(&f, name,
		  "{'version': 1, 'sections': {"
		  "'posts': {'op': 'upsert', 'file': 'state/p.json', 'at': '/posts',"
		  " 'key': ['number']},"
		  "'agents': {'op': 'upsert', 'file': 'state/a.json', 'at': '/agents',"
		  " 'key': ['id']}"
		  "}}", genesis, deltas)) {
		fx_file(&f, name, "state/p.json",
			"{\n  'posts': [\n    {\n      'number': 1,\n      'm': {\n"
			"        'a': [\n          1\n        ],\n        'b': 'x'\n      }\n"
			"    }\n  ]\n}\n", 0);
		fx_file(&f, name, "state/a.json",
			"{\n  'agents': {\n    'a': {\n      'id': 'a',\n      'm': {\n"
			"        'k': 1.0\n      }\n    }\n  }\n}\n", 0);
	}
	fx_release(&f);
}

/* A quarantined upsert into an object creates nothing; into a missing
 * target it creates an array. */
static void test_upsert_create(void)
{
	struct fx f;
	static const struct mem_file none[] = { { NULL, NULL } };
	static const struct mem_file deep[] = {
		{ "state/a.json", "{'top': {}}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'agents': [{'n': 1}, {'id': 'a'}]"),
		NULL
	};

	if (fx_ok(&f, "upsert into a missing file", RULES_AGENTS, none, deltas)) {
		fx_file(&f, "upsert into a missing file creates an array", "state/a.json",
			"{\n  'agents': [\n    {\n      'id': 'a'\n    }\n  ]\n}\n", 1);
		fx_counts(&f, "upsert into a missing file", 0, 1, 0, 1);
	}
	fx_release(&f);

	if (fx_ok(&f, "upsert along a missing path",
		  "{'version': 1, 'sections': {'agents': {'op': 'upsert', 'file': 'state/a.json',"
		  " 'at': '/top/mid/agents', 'key': 'id'}}}", deep, deltas))
		fx_file(&f, "upsert creates the objects on its path", "state/a.json",
			"{\n  'top': {\n    'mid': {\n      'agents': [\n        {\n"
			"          'id': 'a'\n        }\n      ]\n    }\n  }\n}\n", 1);
	fx_release(&f);
}

/* ---- set -------------------------------------------------------------- */

#define RULES_SET \
	"{'version': 1, 'sections': {'profile': {'op': 'set', 'file': 'state/ag.json'," \
	" 'at': '/agents', 'key': 'agent', 'field': 'field', 'value': 'value'}}}"

static void test_set(void)
{
	struct fx f;
	const char *name = "set";
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const deltas[] = {
		DELTA(1, "s1", "'profile': ["
		      "{'agent': 'a', 'field': 'bio', 'value': 'one'},"
		      "{'agent': 'a', 'field': 'bio', 'value': 'two'},"
		      "{'agent': 'b', 'field': 'n', 'value': {'deep': [1]}},"
		      "{'agent': 'a', 'field': 'gone', 'value': null},"
		      "{'agent': 'a', 'field': 'bio'},"
		      "{'field': 'bio', 'value': 1},"
		      "{'agent': 'a', 'value': 1},"
		      "{'agent': 1, 'field': 'bio', 'value': 1},"
		      "{'agent': 'a', 'field': ['bio'], 'value': 1},"
		      "['agent']]"),
		DELTA(2, "s1", "'profile': {'agent': 'a', 'field': 'bio', 'value': 'three',"
		      " 'utc': '2020-01-01T00:00:00Z'}"),
		NULL
	};

	if (fx_ok(&f, name, RULES_SET, none, deltas)) {
		fx_file(&f, name, "state/ag.json",
			"{\n  'agents': {\n    'a': {\n      'bio': 'three',\n      'gone': null\n"
			"    },\n    'b': {\n      'n': {\n        'deep': [\n          1\n"
			"        ]\n      }\n    }\n  }\n}\n", 1);
		fx_counts(&f, name, 0, 5, 0, 6);
		fx_quarantined(&f, name, 0, "frame-1-s1.json", "profile", 4, "'value' is missing");
		fx_quarantined(&f, name, 1, "frame-1-s1.json", "profile", 5, "'agent' is missing");
		fx_quarantined(&f, name, 2, "frame-1-s1.json", "profile", 6, "'field' is missing");
		fx_quarantined(&f, name, 3, "frame-1-s1.json", "profile", 7,
			       "'agent' is an integer, expected a string");
		fx_quarantined(&f, name, 4, "frame-1-s1.json", "profile", 8,
			       "'field' is an array, expected a string");
		fx_quarantined(&f, name, 5, "frame-1-s1.json", "profile", 9,
			       "the event is an array, expected an object");
	}
	fx_release(&f);
}

static void test_set_existing(void)
{
	struct fx f;
	const char *name = "set on genesis entities";
	static const struct mem_file genesis[] = {
		{ "state/ag.json", "{'agents': {'a': {'bio': 'x', 'k': 1.50}, 's': 'str',"
		  " 'n': null}, 'tail': 1}" },
		{ NULL, NULL }
	};
	const char *const same[] = {
		DELTA(1, "s1", "'profile': [{'agent': 'a', 'field': 'bio', 'value': 'x'},"
		      " {'agent': 'a', 'field': 'k', 'value': 1.5}]"),
		NULL
	};
	const char *const bad[] = {
		DELTA(1, "s1", "'profile': [{'agent': 's', 'field': 'bio', 'value': 'x'},"
		      " {'agent': 'n', 'field': 'bio', 'value': 'x'},"
		      " {'agent': 'a', 'field': 'new', 'value': 2},"
		      " {'agent': 'c', 'field': 'bio', 'value': 'y'}]"),
		NULL
	};

	if (fx_ok(&f, name, RULES_SET, genesis, same)) {
		fx_file(&f, "a set to the same value changes nothing", "state/ag.json",
			"{\n  'agents': {\n    'a': {\n      'bio': 'x',\n      'k': 1.50\n"
			"    },\n    's': 'str',\n    'n': null\n  },\n  'tail': 1\n}\n", 0);
		fx_counts(&f, name, 0, 0, 2, 0);
	}
	fx_release(&f);

	if (fx_ok(&f, name, RULES_SET, genesis, bad)) {
		fx_file(&f, "set: new fields and entities go last", "state/ag.json",
			"{\n  'agents': {\n    'a': {\n      'bio': 'x',\n      'k': 1.50,\n"
			"      'new': 2\n    },\n    's': 'str',\n    'n': null,\n"
			"    'c': {\n      'bio': 'y'\n    }\n  },\n  'tail': 1\n}\n", 1);
		fx_counts(&f, name, 0, 2, 0, 2);
		fx_quarantined(&f, name, 0, "frame-1-s1.json", "profile", 0,
			       "entity 's' is a string, expected an object");
		fx_quarantined(&f, name, 1, "frame-1-s1.json", "profile", 1,
			       "entity 'n' is null, expected an object");
	}
	fx_release(&f);
}

static void test_set_no_create(void)
{
	struct fx f;
	static const struct mem_file none[] = { { NULL, NULL } };
	static const struct mem_file other[] = {
		{ "state/ag.json", "{'other': []}" },
		{ NULL, NULL }
	};
	const char *const bad[] = {
		DELTA(1, "s1", "'profile': [{'agent': 'a', 'field': 'bio'}]"),
		NULL
	};
	/* the file is loaded by another section first */
	const char *const loaded[] = {
		DELTA(1, "s1", "'obs': [1], 'profile': [{'agent': 'a', 'field': 'bio'},"
		      " {'agent': 'a', 'value': 1}, {'field': 'x', 'value': 1}]"),
		NULL
	};

	if (fx_ok(&f, "quarantined set, no file", RULES_SET, none, bad))
		fx_file(&f, "a quarantined set creates no file", "state/ag.json", NULL, 0);
	fx_release(&f);
	if (fx_ok(&f, "quarantined set, no target",
		  "{'version': 1, 'sections': {"
		  "'obs': {'op': 'append', 'file': 'state/ag.json', 'at': '/other'},"
		  "'profile': {'op': 'set', 'file': 'state/ag.json', 'at': '/deep/agents',"
		  " 'key': 'agent', 'field': 'field', 'value': 'value'}}}", other, loaded)) {
		fx_file(&f, "a quarantined set creates no container", "state/ag.json",
			"{\n  'other': [\n    1\n  ]\n}\n", 1);
		is_int(f.st.stats.nquarantined, 3, "quarantined set, no target: 3 notes");
	}
	fx_release(&f);
}

/* Enough entities for the object key index to matter. */
static void test_set_many(void)
{
	struct fx f;
	struct dc_buf d = DC_BUF_INIT, want = DC_BUF_INIT;
	const char *deltas[3];
	static const struct mem_file none[] = { { NULL, NULL } };
	int i;

	dc_buf_addf(&d, "{'frame': 1, 'stream_id': 's1', 'utc': '%s', 'profile': [", UTC);
	for (i = 0; i < 60; i++)
		dc_buf_addf(&d, "{'agent': 'a%d', 'field': 'f', 'value': %d}, ", i, i);
	for (i = 59; i >= 0; i -= 2)
		dc_buf_addf(&d, "{'agent': 'a%d', 'field': 'g', 'value': %d}, ", i, -i);
	dc_buf_adds(&d, "{'agent': 'a0', 'field': 'f', 'value': 'last'}]}");
	dc_buf_adds(&want, "{\n  'agents': {\n");
	for (i = 0; i < 60; i++) {
		dc_buf_addf(&want, "    'a%d': {\n", i);
		if (i)
			dc_buf_addf(&want, "      'f': %d", i);
		else
			dc_buf_adds(&want, "      'f': 'last'");
		if (i % 2)
			dc_buf_addf(&want, ",\n      'g': %d", -i);
		dc_buf_addf(&want, "\n    }%s\n", i < 59 ? "," : "");
	}
	dc_buf_adds(&want, "  }\n}\n");
	deltas[0] = "frame-1-s1.json";
	deltas[1] = d.buf;
	deltas[2] = NULL;
	if (fx_ok(&f, "set on 60 entities", RULES_SET, none, deltas)) {
		fx_file(&f, "set on 60 entities", "state/ag.json", want.buf, 1);
		fx_counts(&f, "set on 60 entities", 0, 91, 0, 0);
	}
	fx_release(&f);
	dc_buf_release(&d);
	dc_buf_release(&want);
}

/* ---- ignore and unknown sections -------------------------------------- */

static void test_ignore(void)
{
	struct fx f;
	static const struct mem_file genesis[] = {
		{ "state/o.json", "{'o': []}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'noise': 'dream_catcher', 'unknown': [1], '_meta': {'obs': 1}"),
		DELTA(2, "s1", "'noise': [{'x': 1}], 'obs': [], '_x': 5"),
		NULL
	};

	if (fx_ok(&f, "ignore",
		  "{'version': 1, 'sections': {'noise': {'op': 'ignore'},"
		  " 'obs': {'op': 'append', 'file': 'state/o.json', 'at': '/o'}}}",
		  genesis, deltas)) {
		is_int(f.fs.reads, 0, "ignored, unknown, '_' and empty sections read no file");
		fx_file(&f, "ignore changes nothing", "state/o.json", "{\n  'o': []\n}\n", 0);
		fx_counts(&f, "ignore", 1, 0, 0, 0);
	}
	fx_release(&f);
}

/* Sections apply in the order of the delta, not of the rules. */
static void test_section_order(void)
{
	struct fx f;
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const deltas[] = {
		DELTA(1, "s1", "'second': ['b1'], 'first': ['a1']"),
		DELTA(2, "s1", "'first': ['a2'], 'second': ['b2']"),
		NULL
	};

	if (fx_ok(&f, "section order",
		  "{'version': 1, 'sections': {"
		  "'first': {'op': 'append', 'file': 'state/o.json', 'at': '/o'},"
		  "'second': {'op': 'append', 'file': 'state/o.json', 'at': '/o'}}}",
		  none, deltas))
		fx_file(&f, "sections apply in the delta's order", "state/o.json",
			"{\n  'o': [\n    'b1',\n    'a1',\n    'a2',\n    'b2'\n  ]\n}\n", 1);
	fx_release(&f);
}

/* ---- derived counts --------------------------------------------------- */

#define RULES_COUNT \
	"{'version': 1, 'sections': {" \
	"'posts': {'op': 'upsert', 'file': 'state/p.json', 'at': '/posts', 'key': ['number']}}," \
	" 'derived': [" \
	"{'op': 'count', 'file': 'state/stats.json', 'at': '/total', 'of': 'posts'}," \
	"{'op': 'count', 'file': 'state/ag.json', 'at': '/agents', 'of': 'posts'," \
	" 'group_by': 'author', 'field': 'post_count'}]}"

static void test_count(void)
{
	struct fx f;
	const char *name = "counts";
	static const struct mem_file genesis[] = {
		{ "state/p.json", "{'posts': [{'number': 1, 'author': 'a'}]}" },
		{ "state/stats.json", "{'total': 99, 'other': 'kept'}" },
		{ "state/ag.json", "{'agents': {'z': {'post_count': 5}, 's': 'not an object',"
		  " 'a': {'name': 'A'}}}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'posts': [{'number': 2, 'author': 'b'},"
		      " {'number': 3, 'author': 'a'}, {'number': 4, 'author': 'c'},"
		      " {'number': 5, 'author': 5}, {'number': 6}, {'number': 7, 'author': 'b'},"
		      " {'number': 8, 'author': 's'}, {'number': 1, 'author': 'a'}]"),
		NULL
	};

	if (fx_ok(&f, name, RULES_COUNT, genesis, deltas)) {
		fx_file(&f, "count without group_by counts genesis elements too",
			"state/stats.json",
			"{\n  'total': 8,\n  'other': 'kept'\n}\n", 1);
		fx_file(&f, "count by group: zeros written, new groups last in order",
			"state/ag.json",
			"{\n  'agents': {\n    'z': {\n      'post_count': 0\n    },\n"
			"    's': 'not an object',\n    'a': {\n      'name': 'A',\n"
			"      'post_count': 2\n    },\n    'b': {\n      'post_count': 2\n    },\n"
			"    'c': {\n      'post_count': 1\n    }\n  }\n}\n", 1);
	}
	fx_release(&f);
}

static void test_count_unchanged(void)
{
	struct fx f;
	const char *name = "counts that did not move";
	static const struct mem_file genesis[] = {
		{ "state/p.json", "{'posts': [{'number': 1, 'author': 'a'}, {'number': 2}]}" },
		{ "state/stats.json", "{'total': 2}" },
		{ "state/ag.json", "{'agents': {'a': {'post_count': 1}, 'q': {'post_count': 0}}}" },
		{ NULL, NULL }
	};
	const char *const dup[] = {
		DELTA(1, "s1", "'posts': [{'number': 2, 'title': 't'}]"),
		NULL
	};

	if (fx_ok(&f, name, RULES_COUNT, genesis, dup)) {
		fx_file(&f, name, "state/stats.json", "{\n  'total': 2\n}\n", 0);
		fx_file(&f, name, "state/ag.json",
			"{\n  'agents': {\n    'a': {\n      'post_count': 1\n    },\n"
			"    'q': {\n      'post_count': 0\n    }\n  }\n}\n", 0);
		is_int(fx_find(&f, "state/p.json")->changed, 1, "%s: the upsert changed posts",
		       name);
	}
	fx_release(&f);
}

static void test_count_fresh(void)
{
	struct fx f;
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const deltas[] = {
		DELTA(1, "s1", "'posts': [{'number': 1, 'author': 'x'},"
		      " {'number': 2, 'author': 'x'}]"),
		NULL
	};

	if (fx_ok(&f, "counts from nothing", RULES_COUNT, none, deltas)) {
		fx_file(&f, "count creates its file", "state/stats.json",
			"{\n  'total': 2\n}\n", 1);
		fx_file(&f, "count by group creates its map", "state/ag.json",
			"{\n  'agents': {\n    'x': {\n      'post_count': 2\n    }\n  }\n}\n", 1);
	}
	fx_release(&f);
}

/* ---- failures --------------------------------------------------------- */

#define D1_PATH "delta '" DELTAS "/frame-1-s1.json': "

static void test_wrong_types(void)
{
	static const struct mem_file obj[] = { { "state/o.json", "{'o': {}}" }, { NULL, NULL } };
	static const struct mem_file whole[] = { { "state/o.json", "{}" }, { NULL, NULL } };
	static const struct mem_file scalar[] = { { "state/o.json", "{'o': 5}" }, { NULL, NULL } };
	static const struct mem_file arr[] = {
		{ "state/ag.json", "{'agents': []}" }, { NULL, NULL }
	};
	static const struct mem_file str[] = {
		{ "state/p.json", "{'posts': 'x'}" }, { NULL, NULL }
	};
	static const struct mem_file cnt[] = {
		{ "state/p.json", "{'posts': [{'number': 1, 'author': 'a'}]}" },
		{ "state/ag.json", "{'agents': []}" },
		{ NULL, NULL }
	};
	const char *const obs[] = { DELTA(1, "s1", "'obs': [1]"), NULL };
	const char *const comment[] = {
		DELTA(1, "s1", "'comments': [{'d': 1, 'author': 'a', 'body': 'b'}]"), NULL
	};
	const char *const prof[] = {
		DELTA(1, "s1", "'profile': [{'agent': 'a', 'field': 'f', 'value': 1}]"), NULL
	};
	const char *const post[] = { DELTA(1, "s1", "'posts': [{'number': 1}]"), NULL };

	fx_fails("append into an object", RULES_APPEND, obj, obs, DC_ERR_REFUSED,
		 D1_PATH "canonical file 'state/o.json': /o is an object, section 'obs' (append)"
		 " needs an array");
	fx_fails("append into a whole-file object",
		 "{'version': 1, 'sections': {'obs': {'op': 'append', 'file': 'state/o.json'}}}",
		 whole, obs, DC_ERR_REFUSED,
		 D1_PATH "canonical file 'state/o.json': (the whole file) is an object, section"
		 " 'obs' (append) needs an array");
	fx_fails("append through a number",
		 "{'version': 1, 'sections': {'obs': {'op': 'append', 'file': 'state/o.json',"
		 " 'at': '/o/list'}}}", scalar, obs, DC_ERR_REFUSED,
		 D1_PATH "canonical file 'state/o.json': cannot create /o/list for section 'obs':"
		 " a value on its path is not an object");
	fx_fails("add into a number",
		 "{'version': 1, 'sections': {'comments': {'op': 'add', 'file': 'state/o.json',"
		 " 'at': '/o'}}}", scalar, comment, DC_ERR_REFUSED,
		 D1_PATH "canonical file 'state/o.json': /o is an integer, section 'comments' (add)"
		 " needs an array");
	fx_fails("set into an array", RULES_SET, arr, prof, DC_ERR_REFUSED,
		 D1_PATH "canonical file 'state/ag.json': /agents is an array, section 'profile'"
		 " (set) needs an object");
	fx_fails("upsert into a string", RULES_POSTS, str, post, DC_ERR_REFUSED,
		 D1_PATH "canonical file 'state/p.json': /posts is a string, section 'posts'"
		 " (upsert) needs an array or an object");
	fx_fails("count by group into an array", RULES_COUNT, cnt, NULL, DC_ERR_REFUSED,
		 "canonical file 'state/ag.json': /agents is an array, the count of 'posts' by"
		 " 'author' needs an object");
}

static void test_bad_files(void)
{
	static const struct mem_file markers[] = {
		{ "state/o.json", "{\n<<<<<<< ours\n  'o': [1]\n=======\n  'o': [2]\n"
		  ">>>>>>> theirs\n}\n" },
		{ NULL, NULL }
	};
	static const struct mem_file invalid[] = {
		{ "state/o.json", "{'o': [1,]}" }, { NULL, NULL }
	};
	static const struct mem_file unreadable[] = {
		{ "state/o.json", NULL }, { NULL, NULL }
	};
	const char *const obs[] = { DELTA(1, "s1", "'obs': [1]"), NULL };

	fx_fails("conflict markers", RULES_APPEND, markers, obs, DC_ERR_REFUSED,
		 D1_PATH "canonical file 'state/o.json' holds conflict markers");
	fx_fails("invalid JSON", RULES_APPEND, invalid, obs, DC_ERR_REFUSED,
		 D1_PATH "canonical file 'state/o.json' is not valid JSON: line 1, column 9:"
		 " trailing comma");
	fx_fails("a read error", RULES_APPEND, unreadable, obs, DC_ERR_FATAL,
		 D1_PATH "cannot read 'state/o.json': disk on fire");
	fx_fails("conflict markers in a count's file", RULES_COUNT,
		 (const struct mem_file[]){
			{ "state/stats.json", "<<<<<<< a\n{}\n=======\n[]\n>>>>>>> b\n" },
			{ NULL, NULL } },
		 NULL, DC_ERR_REFUSED, "canonical file 'state/stats.json' holds conflict markers");
}

/*
 * The chunks of a segmented file as one string: "[...]|[...]" compact.
 * With `files` (segment k at files[k]), as a merge writes them: a chunk
 * that is not dirty keeps the base segment's content.
 */
static void chunks_compact(struct dc_buf *out, const struct dc_state_file *f,
			   const struct mem_file *files)
{
	size_t k;

	for (k = 0; k < dc_state_chunks(f); k++) {
		struct dc_buf b = DC_BUF_INIT;
		struct dc_json *v = NULL;

		if (files && !dc_state_chunk_dirty(f, k)) {
			char *t = dq(files[k].text);
			dc_buf_adds(&b, t);
			free(t);
		} else {
			dc_state_chunk_write(&b, f, k);
		}
		if (dc_json_parse(&v, b.buf, b.len, NULL, NULL))
			dc_buf_adds(out, "(invalid)");
		else
			dc_json_write_compact(out, v);
		dc_buf_adds(out, k + 1 < dc_state_chunks(f) ? "|" : "");
		dc_json_free(v);
		dc_buf_release(&b);
	}
}

static void test_segments(void)
{
	static const char *rules = "{'version': 1, 'sections': {"
		"'p': {'op': 'upsert', 'file': 'state/p.json', 'key': 'id', 'segment': 2}}}";
	static const struct mem_file regular[] = {
		{ "state/p.000000.json", "[{'id': 1}, {'id': 2}]" },
		{ "state/p.000001.json", "[{'id': 3}, {'id': 4}]" },
		{ "state/p.000002.json", "[{'id': 5}]" },
		{ "state/p.000004.json", "[{'id': 'after a gap'}]" },
		{ NULL, NULL } };
	static const struct mem_file plain[] = {
		{ "state/p.json", "[{'id': 1}, {'id': 2}, {'id': 3}]" },
		{ "state/p.000000.json", "[{'id': 4}]" },
		{ NULL, NULL } };
	static const struct mem_file bad[] = {
		{ "state/p.000000.json", "{'id': 1}" },
		{ NULL, NULL } };
	const char *upsert[] = { DELTA(1, "a", "'p': [{'id': 3, 'n': 1}, {'id': 6}]"), NULL };
	struct dc_buf b = DC_BUF_INIT;
	struct dc_state_file *f;
	struct fx x;

	if (fx_run(&x, rules, regular, upsert) != -2) {
		f = &x.st.files[0];
		is_int(x.ret, 0, "segments: the fold runs");
		tap_ok(f->segment == 2 && f->base_segments == 3 && !f->base_plain &&
		       f->base_regular, "segments: read up to the first gap, a regular split");
		chunks_compact(&b, f, NULL);
		is_str(b.buf, "[{\"id\":1},{\"id\":2}]|[{\"id\":3,\"n\":1},{\"id\":4}]|"
		       "[{\"id\":5},{\"id\":6}]", "segments: chunks of 2 in order");
		tap_ok(!dc_state_chunk_dirty(f, 0) && dc_state_chunk_dirty(f, 1) &&
		       dc_state_chunk_dirty(f, 2), "segments: only touched chunks are dirty");
	}
	fx_release(&x);

	dc_buf_reset(&b);
	if (fx_run(&x, rules, plain, NULL) != -2) {
		struct dc_err e = DC_ERR_INIT;
		f = dc_state_file(&x.st, "state/p.json", &e);
		tap_ok(f && f->base_plain && f->base_segments == 1 && !f->base_regular,
		       "segments: a plain file comes first, the split is not regular");
		if (f)
			chunks_compact(&b, f, NULL);
		is_str(b.buf, "[{\"id\":1},{\"id\":2}]|[{\"id\":3},{\"id\":4}]",
		       "segments: plain then segment 0, split again");
		tap_ok(f && dc_state_chunk_dirty(f, 0), "segments: an irregular base is dirty");
		dc_err_release(&e);
	}
	fx_release(&x);

	if (fx_run(&x, rules, bad, upsert) != -2) {
		is_int(x.ret, -1, "segments: a segment that is not an array fails the fold");
		is_str(x.err.msg.buf, "delta 'state/stream_deltas/frame-1-a.json': canonical file"
		       " 'state/p.000000.json' is an object, a"
		       " segmented section needs an array", "segments: and says which");
	}
	fx_release(&x);
	dc_buf_release(&b);
}

/* Summaries served from memory: per path, the bytes (NULL: none). */
struct mem_sums {
	const struct mem_file *files;	/* whether the base holds the path */
	const char *path[8];
	struct dc_buf bytes[8];
	size_t n;
};

static int mem_summary(void *data, const char *path, struct dc_buf *out, int *exists,
		       int *found, struct dc_err *err)
{
	struct mem_sums *m = data;
	const struct mem_file *f;
	size_t i;

	(void)err;
	*exists = *found = 0;
	for (f = m->files; f->path; f++)
		*exists |= !strcmp(f->path, path);
	for (i = 0; *exists && i < m->n; i++) {
		if (strcmp(m->path[i], path))
			continue;
		dc_buf_add(out, m->bytes[i].buf, m->bytes[i].len);
		*found = 1;
	}
	return 0;
}

/* The summaries of every segment of `files` under `rules`, made by a fold
 * that reads them whole, into `m`. */
static void make_summaries(struct mem_sums *m, const char *rules, const struct mem_file *files)
{
	struct fx x;
	size_t k;

	memset(m, 0, sizeof(*m));
	m->files = files;
	fx_summary = NULL;
	if (fx_run(&x, rules, files, NULL) == -2)
		return;
	{
		struct dc_err e = DC_ERR_INIT;
		struct dc_state_file *f = dc_state_file(&x.st, "state/p.json", &e);

		for (k = 0; f && k < f->base_segments && m->n < 8; k++) {
			struct dc_buf path = DC_BUF_INIT;

			dc_rules_segment_path(&path, "state/p.json", k);
			m->path[m->n] = files[k].path;	/* files[] lists segment k at k */
			dc_buf_init(&m->bytes[m->n], 0);
			if (!dc_state_chunk_summary(&m->bytes[m->n], &x.st, f, k, 0))
				m->n++;
			dc_buf_release(&path);
		}
		dc_err_release(&e);
	}
	fx_release(&x);
}

static void mem_sums_release(struct mem_sums *m)
{
	size_t i;

	for (i = 0; i < 8; i++)
		dc_buf_release(&m->bytes[i]);
}

/* Fold `deltas` over `files` with the summaries `m`: the chunks, compact,
 * into `out`; *lazy and *read: whether the file was opened from its
 * summaries and how many segments were read. */
static void fold_with(struct dc_buf *out, int *lazy, size_t *read, struct mem_sums *m,
		      const char *rules, const struct mem_file *files, const char *const *deltas)
{
	struct fx x;

	fx_summary = m ? mem_summary : NULL;
	fx_summary_data = m;
	*lazy = 0;
	*read = 0;
	if (fx_run(&x, rules, files, deltas) != -2) {
		struct dc_err e = DC_ERR_INIT;
		struct dc_state_file *f = dc_state_file(&x.st, "state/p.json", &e);
		size_t total;

		if (x.ret)
			dc_buf_addf(out, "(fold failed: %s)", x.err.msg.buf);
		else if (f) {
			*lazy = f->lazy != NULL;
			*read = dc_state_segments_read(f, &total);
			chunks_compact(out, f, files);
			dc_buf_addf(out, " count %s", "");
			{
				struct dc_state_file *c = dc_state_file(&x.st, "state/c.json", &e);
				if (c && c->doc)
					dc_json_write_compact(out, c->doc);
			}
		}
		dc_err_release(&e);
	}
	fx_release(&x);
	fx_summary = NULL;
	fx_summary_data = NULL;
}

static void test_summaries(void)
{
	static const char *rules = "{'version': 1, 'sections': {"
		"'p': {'op': 'add', 'file': 'state/p.json', 'key': 'id', 'segment': 2}},"
		" 'derived': [{'op': 'count', 'file': 'state/c.json', 'at': '/by',"
		"  'of': 'p', 'group_by': 'g', 'field': 'n'}]}";
	static const char *other_rules = "{'version': 1, 'sections': {"
		"'p': {'op': 'add', 'file': 'state/p.json', 'key': 'name', 'segment': 2}},"
		" 'derived': [{'op': 'count', 'file': 'state/c.json', 'at': '/by',"
		"  'of': 'p', 'group_by': 'g', 'field': 'n'}]}";
	static const struct mem_file files[] = {
		{ "state/p.000000.json", "[{'id': 1, 'g': 'a'}, {'id': 2, 'g': 'b'}]" },
		{ "state/p.000001.json", "[{'id': 3, 'g': 'a'}, {'id': 1, 'g': 'dup'}]" },
		{ "state/p.000002.json", "[{'id': 5}]" },
		{ NULL, NULL } };
	static const struct mem_file forged_files[] = {
		{ "state/p.000000.json", "[{'id': 7, 'g': 'a'}, {'id': 8, 'g': 'b'}]" },
		{ "state/p.000001.json", "[{'id': 3, 'g': 'a'}, {'id': 1, 'g': 'dup'}]" },
		{ "state/p.000002.json", "[{'id': 5}]" },
		{ NULL, NULL } };
	const char *adds[] = { DELTA(1, "a", "'p': [{'id': 3, 'g': 'x'}, {'id': 9, 'g': 'a'}]"),
			       NULL };
	const char *sevens[] = { DELTA(1, "a", "'p': [{'id': 7, 'g': 'c'}]"), NULL };
	struct dc_buf eager = DC_BUF_INIT, lazy = DC_BUF_INIT;
	struct mem_sums m, forged, other;
	size_t read;
	int opened;

	make_summaries(&m, rules, files);
	is_int((int)m.n, 3, "summaries: one per segment");

	fold_with(&eager, &opened, &read, NULL, rules, files, adds);
	fold_with(&lazy, &opened, &read, &m, rules, files, adds);
	tap_ok(opened, "summaries: the file opens from its summaries");
	is_int((int)read, 2, "summaries: reads the segment of the key found and the last one");
	is_str(lazy.buf, eager.buf, "summaries: the same chunks and counts as a whole read");
	is_str(eager.buf, "[{\"id\":1,\"g\":\"a\"},{\"id\":2,\"g\":\"b\"}]|"
	       "[{\"id\":3,\"g\":\"a\"},{\"id\":1,\"g\":\"dup\"}]|"
	       "[{\"id\":5},{\"id\":9,\"g\":\"a\"}] count "
	       "{\"by\":{\"a\":{\"n\":3},\"b\":{\"n\":1},\"dup\":{\"n\":1}}}",
	       "summaries: the expected state");

	/* segment 0's summary claims ids 7 and 8: a hash that matches is only
	 * a candidate, and the element read there (id 1) is not a 7 */
	make_summaries(&forged, rules, forged_files);
	forged.files = files;
	dc_buf_reset(&eager);
	dc_buf_reset(&lazy);
	fold_with(&eager, &opened, &read, NULL, rules, files, sevens);
	fold_with(&lazy, &opened, &read, &forged, rules, files, sevens);
	tap_ok(opened, "summaries: a summary that lies about keys is still opened");
	tap_ok(strstr(lazy.buf, "{\"id\":7,\"g\":\"c\"}") != NULL,
	       "summaries: a key hash that matches another key does not make it present");
	is_str(lazy.buf, eager.buf, "summaries: the same state as a whole read");
	mem_sums_release(&forged);

	/* other rules: other key, so the summaries do not apply */
	make_summaries(&other, other_rules, files);
	other.files = files;
	dc_buf_reset(&eager);
	dc_buf_reset(&lazy);
	fold_with(&eager, &opened, &read, NULL, rules, files, adds);
	fold_with(&lazy, &opened, &read, &other, rules, files, adds);
	tap_ok(!opened && read == 3, "summaries: made under other rules, they are not used");
	is_str(lazy.buf, eager.buf, "summaries: and the file is read whole");
	mem_sums_release(&other);

	/* torn: every summary cut short */
	{
		size_t i;

		for (i = 0; i < m.n; i++)
			dc_buf_setlen(&m.bytes[i], m.bytes[i].len - 3);
	}
	dc_buf_reset(&lazy);
	fold_with(&lazy, &opened, &read, &m, rules, files, adds);
	tap_ok(!opened && read == 3, "summaries: torn ones are not used");
	is_str(lazy.buf, eager.buf, "summaries: and the result is the same");
	mem_sums_release(&m);
	dc_buf_release(&eager);
	dc_buf_release(&lazy);
}

int main(void)
{
	test_append();
	test_append_whole_file();
	test_verbatim();
	test_add_whole();
	test_add_keys();
	test_add_unchanged();
	test_add_many();
	test_upsert_array();
	test_upsert_object();
	test_upsert_object_two_keys();
	test_upsert_unchanged();
	test_upsert_create();
	test_set();
	test_set_existing();
	test_set_no_create();
	test_set_many();
	test_ignore();
	test_section_order();
	test_count();
	test_count_unchanged();
	test_count_fresh();
	test_wrong_types();
	test_bad_files();
	test_segments();
	test_summaries();
	return done_testing();
}
