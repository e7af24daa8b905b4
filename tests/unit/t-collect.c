/*
 * Unit tests of the collect op (PROTOCOL section 5, dc-protocol(7)
 * COLLECT): items taken from events that match patterns, grouped,
 * deduplicated by key with the last write winning, kept in key order, and
 * published when a group holds `target` items. No repository: canonical
 * files come from an in-memory table, and results are compared as the
 * compact bytes of whole files (one case in the canonical layout).
 *
 * The literals write JSON with single quotes, which the fixture turns into
 * double quotes, so no literal holds an apostrophe.
 */
#include "fold.h"
#include "tap.h"
#include <stdlib.h>

#define UTC "2026-03-28T03:00:00Z"

#define DELTA(frame, stream, sections) \
	"frame-" #frame "-" stream ".json", \
	"{'frame': " #frame ", 'stream_id': '" stream "', 'utc': '" UTC "', " sections "}"

/* posts upserted by number, chapters collected from them (the preset's shape) */
#define RULES_BOOKS(target, more) \
	"{'version': 1, 'sections': {" \
	"'posts_created': {'op': 'upsert', 'file': 'state/posted_log.json', 'at': '/posts'," \
	" 'key': ['number']}," \
	"'books': {'op': 'collect', 'from': 'posts_created'," \
	" 'file': 'state/book_catalog.json', 'at': '/in_progress'," \
	" 'match': {'title': '[CHAPTER] Chapter {chapter}: {chapter_title}'}," \
	" 'group_by': 'book', 'normalize': {'book': ['book', 'author']}, 'key': 'chapter'," \
	" 'target': " #target ", 'items': 'chapters'," \
	" 'publish': {'file': 'state/book_catalog.json', 'at': '/books'}}}" more "}"

#define CATALOG "state/book_catalog.json"

/* ---- the fixture ------------------------------------------------------ */

struct mem_file {
	const char *path;
	const char *text;
};

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
	const struct mem_file *f;

	*exists = 0;
	for (f = data; f && f->path; f++) {
		char *text;

		if (strcmp(f->path, path))
			continue;
		text = dq(f->text);
		dc_buf_adds(out, text);
		free(text);
		*exists = 1;
	}
	return 0;
}

struct fx {
	struct dc_rules rules;
	struct dc_state st;
	struct dc_err err;
	int ret;
};

static void fx_release(struct fx *f)
{
	dc_state_release(&f->st);
	dc_rules_release(&f->rules);
	dc_err_release(&f->err);
}

/*
 * Fold `deltas` (pairs of a path relative to the delta directory and a
 * text, NULL-terminated) in order over `files`, then the derived counts.
 * -2 if the rules or a delta do not load (a mistake of the test); the
 * fold's own result is in f->ret and f->err.
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
	if (dc_rules_parse(&f->rules, text, strlen(text), &err)) {
		tap_diag("test bug: rules do not parse: %s", err.msg.buf);
		goto cleanup;
	}
	if (dc_state_init(&f->st, &f->rules, mem_read, (void *)files, &f->err)) {
		tap_diag("test bug: %s", f->err.msg.buf);
		goto cleanup;
	}
	for (i = 0; deltas[i]; i += 2) {
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

static int fx_ok(struct fx *f, const char *name, const char *rules, const struct mem_file *files,
		 const char *const *deltas)
{
	if (fx_run(f, rules, files, deltas))
		return tap_ok(0, "%s: the fixture loads", name);
	if (f->ret)
		tap_diag("fold failed: %s", f->err.msg.buf);
	return tap_ok(!f->ret, "%s: the fold succeeds", name);
}

/* The file holds exactly `want` (compact; NULL: no document) and its
 * changed flag is `changed`. */
static void fx_file(struct fx *f, const char *name, const char *path, const char *want,
		    int changed)
{
	struct dc_err err = DC_ERR_INIT;
	struct dc_state_file *sf = dc_state_file(&f->st, path, &err);
	struct dc_buf got = DC_BUF_INIT;
	char *w = want ? dq(want) : NULL;

	if (!sf) {
		tap_ok(0, "%s: '%s' loads: %s", name, path, err.msg.buf);
	} else {
		if (sf->doc)
			dc_json_write_compact(&got, sf->doc);
		is_str(sf->doc ? got.buf : NULL, w, "%s: '%s'", name, path);
		is_int(sf->changed, changed, "%s: '%s' changed flag", name, path);
	}
	dc_buf_release(&got);
	dc_err_release(&err);
	free(w);
}

/* Events applied, already present, and notes of section `name`. */
static void fx_counts(struct fx *f, const char *name, const char *section, size_t applied,
		      size_t present)
{
	const struct dc_section *s = dc_rules_section(&f->rules, section);
	size_t i = s - f->rules.sections;

	is_int(f->st.stats.applied[i], applied, "%s: %s events applied", name, section);
	is_int(f->st.stats.present[i], present, "%s: %s events present", name, section);
}

/* ---- the corpus scenario ------------------------------------------------ */

/* chapters_library: chapters 1 and 2, then 2 rewritten and 3, then 4 */
#define CH(n, num, title) \
	"{'number': " #num ", 'title': '[CHAPTER] Chapter " #n ": " title "', 'author': 'agent-4'}"
#define FRAME1 DELTA(1, "stream-1", "'posts_created': [" CH(1, 600, "Dawn") ", " \
			  CH(2, 601, "Noon") "]")
#define FRAME2 DELTA(2, "stream-1", "'posts_created': [" CH(2, 602, "Noon (rewrite)") ", " \
			  CH(3, 603, "Dusk") "]")
#define FRAME3 DELTA(3, "stream-1", "'posts_created': [" CH(4, 604, "Night") "]")

#define POST(n, num, title) \
	"{'number':" #num ",'title':'[CHAPTER] Chapter " #n ": " title "','author':'agent-4'}"
#define ITEM(n, num, title) \
	"{'number':" #num ",'title':'[CHAPTER] Chapter " #n ": " title "','author':'agent-4'," \
	"'chapter':" #n ",'chapter_title':'" title "'}"

static void test_library(void)
{
	static const struct mem_file genesis[] = {
		{ CATALOG, "{'_meta': {'total_books': 0}, 'books': []}" },
		{ NULL, NULL }
	};
	const char *const one[] = { FRAME1, NULL };
	const char *const two[] = { FRAME1, FRAME2, NULL };
	const char *const three[] = { FRAME1, FRAME2, FRAME3, NULL };
	struct fx f;

	if (fx_ok(&f, "library, frame 1", RULES_BOOKS(4, ""), genesis, one)) {
		fx_file(&f, "two chapters: a book in progress", CATALOG,
			"{'_meta':{'total_books':0},'books':[],'in_progress':[{'book':'agent-4',"
			"'chapters':[" ITEM(1, 600, "Dawn") "," ITEM(2, 601, "Noon") "]}]}", 1);
		fx_counts(&f, "library, frame 1", "books", 2, 0);
		fx_counts(&f, "library, frame 1", "posts_created", 2, 0);
	}
	fx_release(&f);

	if (fx_ok(&f, "library, frame 2", RULES_BOOKS(4, ""), genesis, two))
		fx_file(&f, "the rewrite replaces chapter 2 in place", CATALOG,
			"{'_meta':{'total_books':0},'books':[],'in_progress':[{'book':'agent-4',"
			"'chapters':[" ITEM(1, 600, "Dawn") "," ITEM(2, 602, "Noon (rewrite)") ","
			ITEM(3, 603, "Dusk") "]}]}", 1);
	fx_release(&f);

	if (fx_ok(&f, "library, frame 3", RULES_BOOKS(4, ""), genesis, three)) {
		fx_file(&f, "the fourth chapter publishes the book", CATALOG,
			"{'_meta':{'total_books':0},'books':[{'book':'agent-4',"
			"'chapters':[" ITEM(1, 600, "Dawn") "," ITEM(2, 602, "Noon (rewrite)") ","
			ITEM(3, 603, "Dusk") "," ITEM(4, 604, "Night") "]}],'in_progress':[]}", 1);
		fx_counts(&f, "library, frame 3", "books", 5, 0);
		fx_file(&f, "every chapter stays a post", "state/posted_log.json",
			"{'posts':[" POST(1, 600, "Dawn") "," POST(2, 601, "Noon") ","
			POST(2, 602, "Noon (rewrite)") "," POST(3, 603, "Dusk") ","
			POST(4, 604, "Night") "]}", 1);
	}
	fx_release(&f);
}

/* Without a catalog, the first chapter creates it, in the canonical layout. */
static void test_missing_catalog(void)
{
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const deltas[] = {
		DELTA(1, "s", "'posts_created': [{'number': 7, 'title': '[CHAPTER] Chapter 1: T1',"
		      " 'author': 'a'}]"),
		NULL
	};
	struct dc_buf got = DC_BUF_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_state_file *sf;
	struct fx f;
	char *want = dq("{\n  'in_progress': [\n    {\n      'book': 'a',\n      'chapters': [\n"
			"        {\n          'number': 7,\n"
			"          'title': '[CHAPTER] Chapter 1: T1',\n          'author': 'a',\n"
			"          'chapter': 1,\n          'chapter_title': 'T1'\n        }\n"
			"      ]\n    }\n  ]\n}\n");

	if (fx_ok(&f, "missing catalog", RULES_BOOKS(3, ""), none, deltas) &&
	    (sf = dc_state_file(&f.st, CATALOG, &err))) {
		dc_json_write(&got, sf->doc);
		is_str(got.buf, want, "missing catalog: created, in the canonical layout");
		is_int(sf->changed, 1, "missing catalog: marked changed");
	}
	fx_release(&f);
	dc_buf_release(&got);
	dc_err_release(&err);
	free(want);
}

/* ---- items, keys and groups ------------------------------------------- */

static void test_items(void)
{
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const deltas[] = {
		DELTA(1, "s1", "'posts_created': ["
		      "{'number': 1, 'title': 'Hello', 'author': 'a'},"
		      "{'number': 2, 'title': '[CHAPTER] Chapter 03: Third', 'author': 'a'},"
		      "{'number': 3, 'title': '[CHAPTER] Chapter 1: First: the start', 'author': 'a'},"
		      "{'number': 4, 'title': '[CHAPTER] Chapter x: Odd', 'author': 'a'},"
		      "{'number': 5, 'title': '[CHAPTER] Chapter 2: Shared', 'author': 'b',"
		      " 'book': 'Saga'},"
		      "{'number': 6, 'title': '[CHAPTER] Chapter 1: Shared', 'author': 'c',"
		      " 'book': 'Saga'},"
		      "{'number': 7, 'title': ['[CHAPTER] Chapter 9: Not a string'], 'author': 'a'},"
		      "{'number': 8, 'title': '[CHAPTER] Chapter : Empty', 'author': 'a'},"
		      "{'number': 9, 'title': '[CHAPTER] Chapter 4: ', 'author': 'a'},"
		      "{'number': 10, 'title': '[CHAPTER] Chapter 2: Second', 'author': 'a'}]"),
		NULL
	};
	struct fx f;

	if (fx_ok(&f, "items", RULES_BOOKS(9, ""), none, deltas)) {
		fx_file(&f, "items: key order, number keys, explicit books, odd keys last", CATALOG,
			"{'in_progress':["
			"{'book':'a','chapters':["
			"{'number':3,'title':'[CHAPTER] Chapter 1: First: the start','author':'a',"
			"'chapter':1,'chapter_title':'First: the start'},"
			"{'number':10,'title':'[CHAPTER] Chapter 2: Second','author':'a',"
			"'chapter':2,'chapter_title':'Second'},"
			"{'number':2,'title':'[CHAPTER] Chapter 03: Third','author':'a',"
			"'chapter':3,'chapter_title':'Third'},"
			"{'number':4,'title':'[CHAPTER] Chapter x: Odd','author':'a',"
			"'chapter':'x','chapter_title':'Odd'}]},"
			"{'book':'Saga','chapters':["
			"{'number':6,'title':'[CHAPTER] Chapter 1: Shared','author':'c','book':'Saga',"
			"'chapter':1,'chapter_title':'Shared'},"
			"{'number':5,'title':'[CHAPTER] Chapter 2: Shared','author':'b','book':'Saga',"
			"'chapter':2,'chapter_title':'Shared'}]}]}", 1);
		fx_counts(&f, "items: posts that are no chapter are not counted", "books", 6, 0);
		is_int(f.st.stats.nquarantined, 0, "items: nothing quarantined");
	}
	fx_release(&f);
}

static void test_quarantine(void)
{
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const deltas[] = {
		DELTA(1, "s1", "'posts_created': ["
		      "{'number': 1, 'title': '[CHAPTER] Chapter 1: Nobody'},"
		      "{'title': '[CHAPTER] Chapter 2: No number', 'author': 'a'},"
		      "{'number': 3, 'title': '[CHAPTER] Chapter 3: Fine', 'author': 'a'}]"),
		NULL
	};
	const struct dc_event_note *n;
	struct fx f;

	if (!fx_ok(&f, "quarantine", RULES_BOOKS(4, ""), none, deltas)) {
		fx_release(&f);
		return;
	}
	fx_file(&f, "quarantine: the other chapter is collected", CATALOG,
		"{'in_progress':[{'book':'a','chapters':[{'number':3,"
		"'title':'[CHAPTER] Chapter 3: Fine','author':'a','chapter':3,"
		"'chapter_title':'Fine'}]}]}", 1);
	fx_file(&f, "quarantine: a chapter without a book is still a post",
		"state/posted_log.json",
		"{'posts':[{'number':1,'title':'[CHAPTER] Chapter 1: Nobody'},"
		"{'number':3,'title':'[CHAPTER] Chapter 3: Fine','author':'a'}]}", 1);
	if (is_int(f.st.stats.nquarantined, 2, "quarantine: two notes")) {
		n = &f.st.stats.quarantined[0];
		is_str(n->section, "books", "quarantine: the collect names itself");
		is_int(n->index, 0, "quarantine: the index in posts_created");
		is_str(n->reason, "group member 'book' is missing (none of 'book', 'author' is"
		       " present)", "quarantine: the reason names the alternatives");
		n = &f.st.stats.quarantined[1];
		is_str(n->section, "posts_created", "quarantine: a post the upsert refuses ...");
		is_int(n->index, 1, "quarantine: ... is its own note ...");
	}
	fx_counts(&f, "quarantine: ... and is not collected", "books", 1, 0);
	fx_release(&f);
}

/* The same chapter again changes nothing; a rewrite wins; late items reach
 * a published book; target 1 publishes at once. */
static void test_published(void)
{
	static const struct mem_file genesis[] = {
		{ CATALOG, "{'books': [{'book': 'old', 'chapters': []}],"
		  " 'in_progress': [{'book': 'a', 'chapters': [{'chapter': 1, 'x': 0}]}]}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'posts_created': ["
		      "{'number': 2, 'title': '[CHAPTER] Chapter 2: B', 'author': 'a'},"
		      "{'number': 3, 'title': '[CHAPTER] Chapter 3: C', 'author': 'b'}]"),
		DELTA(2, "s1", "'posts_created': ["
		      "{'number': 3, 'title': '[CHAPTER] Chapter 3: C', 'author': 'b'},"
		      "{'number': 4, 'title': '[CHAPTER] Chapter 0: Prologue', 'author': 'a'},"
		      "{'number': 5, 'title': '[CHAPTER] Chapter 2: B2', 'author': 'a'},"
		      "{'number': 6, 'title': '[CHAPTER] Chapter 1: Old', 'author': 'old'}]"),
		NULL
	};
	struct fx f;

	if (fx_ok(&f, "published", RULES_BOOKS(2, ""), genesis, deltas)) {
		fx_file(&f, "published: groups move whole, later items follow them", CATALOG,
			"{'books':["
			"{'book':'old','chapters':[{'number':6,'title':'[CHAPTER] Chapter 1: Old',"
			"'author':'old','chapter':1,'chapter_title':'Old'}]},"
			"{'book':'a','chapters':["
			"{'number':4,'title':'[CHAPTER] Chapter 0: Prologue','author':'a','chapter':0,"
			"'chapter_title':'Prologue'},"
			"{'chapter':1,'x':0},"
			"{'number':5,'title':'[CHAPTER] Chapter 2: B2','author':'a','chapter':2,"
			"'chapter_title':'B2'}]}],"
			"'in_progress':[{'book':'b','chapters':[{'number':3,"
			"'title':'[CHAPTER] Chapter 3: C','author':'b','chapter':3,"
			"'chapter_title':'C'}]}]}", 1);
		fx_counts(&f, "published: the repeated chapter is present", "books", 5, 1);
	}
	fx_release(&f);

	if (fx_ok(&f, "target 1", RULES_BOOKS(1, ""), (const struct mem_file[]){ { NULL, NULL } },
		  (const char *const[]){ DELTA(1, "s1", "'posts_created': [{'number': 2,"
					      " 'title': '[CHAPTER] Chapter 2: B', 'author': 'a'}]"),
					 NULL }))
		fx_file(&f, "target 1: published at once, no group in progress", CATALOG,
			"{'books':[{'book':'a','chapters':[{'number':2,"
			"'title':'[CHAPTER] Chapter 2: B','author':'a','chapter':2,"
			"'chapter_title':'B'}]}]}", 1);
	fx_release(&f);
}

static void test_unchanged(void)
{
	static const struct mem_file genesis[] = {
		{ CATALOG, "{'in_progress': [{'book': 'a', 'chapters': [{'number': 2,"
		  " 'title': '[CHAPTER] Chapter 2: B', 'author': 'a', 'chapter': 2,"
		  " 'chapter_title': 'B'}]}]}" },
		{ "state/posted_log.json", "{'posts': [{'number': 2,"
		  " 'title': '[CHAPTER] Chapter 2: B', 'author': 'a'}]}" },
		{ NULL, NULL }
	};
	const char *const deltas[] = {
		DELTA(1, "s1", "'posts_created': [{'number': 2, 'title': '[CHAPTER] Chapter 2: B',"
		      " 'author': 'a'}, {'number': 9, 'title': 'not a chapter', 'author': 'a'}]"),
		NULL
	};
	struct fx f;

	if (fx_ok(&f, "unchanged", RULES_BOOKS(4, ""), genesis, deltas)) {
		fx_file(&f, "unchanged: a chapter already there leaves the catalog alone", CATALOG,
			"{'in_progress':[{'book':'a','chapters':[{'number':2,"
			"'title':'[CHAPTER] Chapter 2: B','author':'a','chapter':2,"
			"'chapter_title':'B'}]}]}", 0);
		fx_counts(&f, "unchanged", "books", 0, 1);
	}
	fx_release(&f);
}

/* ---- patterns --------------------------------------------------------- */

#define RULES_OWN(pattern) \
	"{'version': 1, 'sections': {'parts': {'op': 'collect', 'file': 'c.json', 'at': '/open'," \
	" 'match': {'t': '" pattern "'}, 'group_by': 'g', 'key': 'k', 'target': 9," \
	" 'publish': {'file': 'c.json', 'at': '/done'}}}}"

/* `pattern` against each title: the captures it gives ('-' for no match) */
static void pattern_case(const char *pattern, const char *title, const char *want)
{
	static const struct mem_file none[] = { { NULL, NULL } };
	struct dc_buf rules = DC_BUF_INIT, delta = DC_BUF_INIT, got = DC_BUF_INIT;
	const char *deltas[3] = { "frame-1-s.json", NULL, NULL };
	struct dc_state_file *sf;
	struct dc_err err = DC_ERR_INIT;
	struct fx f;

	dc_buf_addf(&rules, RULES_OWN("%s"), pattern);
	dc_buf_addf(&delta, "{'frame': 1, 'stream_id': 's', 'utc': '" UTC "',"
		    " 'parts': [{'g': 1, 'k': 1, 't': '%s'}]}", title);
	deltas[1] = delta.buf;
	if (fx_run(&f, rules.buf, none, deltas) || f.ret) {
		tap_ok(0, "pattern '%s' on '%s' folds", pattern, title);
	} else if ((sf = dc_state_file(&f.st, "c.json", &err))) {
		const struct dc_json *items = sf->doc ?
			dc_json_pointer(sf->doc, "/open/0/items/0", 0, DC_JSON_NULL, NULL) : NULL;
		size_t i;

		if (!items) {
			dc_buf_adds(&got, "-");
		} else {
			/* the members after g, k and t are the captures */
			for (i = 3; i < items->u.obj.n; i++) {
				dc_buf_addf(&got, "%s%s=", i > 3 ? " " : "", items->u.obj.m[i].key);
				dc_json_write_compact(&got, items->u.obj.m[i].val);
			}
		}
		is_str(got.buf, want, "pattern '%s' on '%s'", pattern, title);
	}
	fx_release(&f);
	dc_buf_release(&rules);
	dc_buf_release(&delta);
	dc_buf_release(&got);
	dc_err_release(&err);
}

static void test_patterns(void)
{
	pattern_case("plain", "plain", "");
	pattern_case("plain", "plainer", "-");
	pattern_case("plain", "plai", "-");
	pattern_case("{a}", "x", "a=\"x\"");
	pattern_case("{a}", "007", "a=7");
	pattern_case("{a}", "000", "a=0");
	pattern_case("{a}", "12345678901234567890123", "a=12345678901234567890123");
	pattern_case("{a}", "-1", "a=\"-1\"");
	pattern_case("{a}!", "x!y!", "a=\"x!y\"");
	pattern_case("{a}!", "!", "-");
	pattern_case("{a}-{b}-end", "1-2-3-end", "a=1 b=\"2-3\"");
	pattern_case("{a}: {b}", "x: y: z", "a=\"x\" b=\"y: z\"");
	pattern_case("{a}: {b}", "x: ", "-");
	pattern_case("<{a}> {b}", "<> b", "-");
	pattern_case("{{{a}}} {b}", "{x} y", "a=\"x\" b=\"y\"");
	pattern_case("{{{a}}} {b}", "x} y", "-");
	pattern_case("\xc3\xa9{a}\xe2\x82\xac", "\xc3\xa9\xc3\xa8\xe2\x82\xac", "a=\"\xc3\xa8\"");
	/* a capture replaces a member of its name */
	pattern_case("{k}", "5", "");
}

/* A capture that replaces the key: the item is keyed by the captured value. */
static void test_own_events(void)
{
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const deltas[] = {
		DELTA(1, "s", "'parts': [5, {'g': 1, 'k': 2, 't': 'x'}, {'g': 1, 'k': 1, 't': 'y'},"
		      " {'g': 2, 'k': 1, 't': 'z'}, {'g': 1, 't': 'x'}], 'other': []"),
		NULL
	};
	struct fx f;

	if (fx_ok(&f, "own events",
		  "{'version': 1, 'sections': {'parts': {'op': 'collect', 'file': 'c.json',"
		  " 'at': '/open', 'group_by': 'g', 'key': 'k', 'target': 2,"
		  " 'publish': {'file': 'd.json'}}},"
		  " 'derived': [{'op': 'count', 'file': 'n.json', 'at': '/books', 'of': 'parts'}]}",
		  none, deltas)) {
		fx_file(&f, "own events: a collect without from reads its own section", "d.json",
			"[{'g':1,'items':[{'g':1,'k':1,'t':'y'},{'g':1,'k':2,'t':'x'}]}]", 1);
		fx_file(&f, "own events: the other group waits", "c.json",
			"{'open':[{'g':2,'items':[{'g':2,'k':1,'t':'z'}]}]}", 1);
		fx_file(&f, "own events: a count of a collect counts published groups", "n.json",
			"{'books':1}", 1);
		fx_counts(&f, "own events: an event that is no object is no item", "parts", 3, 0);
		tap_ok(f.st.stats.nquarantined == 1 &&
		       !strcmp(f.st.stats.quarantined[0].reason, "key member 'k' is missing") &&
		       f.st.stats.quarantined[0].index == 4,
		       "own events: an item without its key is quarantined");
	}
	fx_release(&f);
}

/* A delta member named like a collect that reads another section is not
 * applied: the collect has no events of its own. */
static void test_from_own_name(void)
{
	static const struct mem_file none[] = { { NULL, NULL } };
	const char *const deltas[] = {
		DELTA(1, "s", "'books': [{'book': 'x', 'chapter': 1}]"),
		NULL
	};
	struct fx f;

	if (fx_ok(&f, "from: own name", RULES_BOOKS(4, ""), none, deltas)) {
		fx_file(&f, "from: a member named like the collect is not applied", CATALOG, NULL,
			0);
		fx_counts(&f, "from: own name", "books", 0, 0);
	}
	fx_release(&f);
}

/* ---- the state's faults ----------------------------------------------- */

static void fails(const char *name, const char *rules, const char *catalog, const char *msg)
{
	const struct mem_file files[] = { { CATALOG, catalog }, { NULL, NULL } };
	const char *const deltas[] = { FRAME1, FRAME2, NULL };
	struct fx f;

	if (fx_run(&f, rules, files, deltas)) {
		tap_ok(0, "%s: the fixture loads", name);
	} else {
		is_int(f.ret, -1, "%s: the fold fails", name);
		is_str(f.err.msg.buf, msg, "%s: the message", name);
		is_int(f.err.code, DC_ERR_REFUSED, "%s: refused", name);
	}
	fx_release(&f);
}

static void test_bad_state(void)
{
	fails("books not an array", RULES_BOOKS(3, ""), "{'books': {}}",
	      "delta 'state/stream_deltas/frame-1-stream-1.json': canonical file"
	      " 'state/book_catalog.json': /books is an object, section 'books' (collect)"
	      " publishes into an array");
	fails("in progress not an array", RULES_BOOKS(3, ""), "{'in_progress': 3}",
	      "delta 'state/stream_deltas/frame-1-stream-1.json': canonical file"
	      " 'state/book_catalog.json': /in_progress is an integer, section 'books' (collect)"
	      " needs an array");
	fails("chapters not an array", RULES_BOOKS(3, ""),
	      "{'in_progress': [{'book': 'agent-4', 'chapters': 1}]}",
	      "delta 'state/stream_deltas/frame-1-stream-1.json': canonical file"
	      " 'state/book_catalog.json': the 'chapters' of a group of section 'books' is"
	      " an integer, expected an array");
	fails("books null", RULES_BOOKS(3, ""), "{'in_progress': [], 'books': null}",
	      "delta 'state/stream_deltas/frame-1-stream-1.json': canonical file"
	      " 'state/book_catalog.json': /books is null, section 'books' (collect)"
	      " publishes into an array");
	fails("publish path blocked",
	      "{'version': 1, 'sections': {'posts_created': {'op': 'upsert',"
	      " 'file': 'state/posted_log.json', 'at': '/posts', 'key': ['number']},"
	      " 'books': {'op': 'collect', 'from': 'posts_created', 'file': 'state/open.json',"
	      " 'group_by': 'author', 'key': 'number', 'target': 1,"
	      " 'publish': {'file': 'state/book_catalog.json', 'at': '/done/list'}}}}",
	      "{'done': 3}",
	      "delta 'state/stream_deltas/frame-1-stream-1.json': canonical file"
	      " 'state/book_catalog.json': cannot create /done/list for the groups section"
	      " 'books' publishes: a value on its path is not an object");
}

int main(void)
{
	test_library();
	test_missing_catalog();
	test_items();
	test_quarantine();
	test_published();
	test_unchanged();
	test_patterns();
	test_own_events();
	test_from_own_name();
	test_bad_state();
	return done_testing();
}
