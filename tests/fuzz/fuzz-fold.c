/*
 * Fuzzing the fold: arbitrary deltas folded over a small fixed state under
 * fixed rules (the rappterbook preset, or rules with every op), and the
 * properties the merge relies on (PROTOCOL sections 4, 5 and 7):
 *  - the fold never crashes; a failure has a message; a quarantined event
 *    has a reason;
 *  - every canonical file comes out as a value whose canonical layout
 *    parses back to it;
 *  - a file is marked changed exactly when its value differs from the
 *    base's (so a file no delta changed keeps its bytes, and no change is
 *    left unwritten);
 *  - additive: no target other than a collect's groups in progress holds
 *    fewer elements or entities than in the base;
 *  - incremental: folding the first deltas, writing the files and the
 *    record of the derived counts out as a merge commits them, then
 *    reading them back, undoing the counts and folding the rest gives the
 *    bytes of one fold of all of them (frame-by-frame merges equal one
 *    merge from genesis).
 *
 * Input: one byte (bit 0: which rules; the rest: after how many deltas the
 * fold is cut in two), then delta bodies separated by 0xff bytes. Each
 * body that parses as a JSON object becomes the sections of a delta; the
 * harness adds frame, stream_id and utc (frames and instants increase, so
 * the order is the one the merge would sort them in).
 * Built by `make fuzz` with libFuzzer, and by `make` into a replayer
 * (replay.c) that runs the kept corpus as a regression test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DELTAS 16
#define MAX_FILES 16

static const char custom_rules[] =
	"{\"version\": 1, \"utc\": [\"utc\"], \"sections\": {"
	" \"posts\": {\"op\": \"upsert\", \"file\": \"p.json\", \"at\": \"/posts\", \"key\": [\"n\"]},"
	" \"comments\": {\"op\": \"add\", \"file\": \"p.json\", \"at\": \"/comments\","
	"  \"key\": [\"d\", \"a\"], \"normalize\": {\"a\": [\"a\", \"b\"]}},"
	" \"tags\": {\"op\": \"add\", \"file\": \"t.json\", \"at\": \"\"},"
	" \"obs\": {\"op\": \"append\", \"file\": \"o.json\", \"at\": \"/o\"},"
	" \"prof\": {\"op\": \"set\", \"file\": \"a.json\", \"at\": \"/a\", \"key\": \"k\","
	"  \"field\": \"f\", \"value\": \"v\"},"
	" \"items\": {\"op\": \"upsert\", \"file\": \"i.json\", \"at\": \"/i\", \"key\": [\"id\", \"o\"]},"
	" \"parts\": {\"op\": \"collect\", \"file\": \"c.json\", \"at\": \"/open\", \"group_by\": \"g\","
	"  \"key\": \"k\", \"target\": 2, \"publish\": {\"file\": \"c.json\", \"at\": \"/done\"}},"
	" \"noise\": {\"op\": \"ignore\"}},"
	" \"derived\": ["
	"  {\"op\": \"count\", \"file\": \"s.json\", \"at\": \"/n\", \"of\": \"posts\"},"
	"  {\"op\": \"count\", \"file\": \"s.json\", \"at\": \"/books\", \"of\": \"parts\"},"
	"  {\"op\": \"count\", \"file\": \"a.json\", \"at\": \"/a\", \"of\": \"posts\","
	"   \"group_by\": \"by\", \"field\": \"c\"},"
	"  {\"op\": \"count\", \"file\": \"i.json\", \"at\": \"/g\", \"of\": \"items\","
	"   \"group_by\": \"o\", \"field\": \"c\"}]}";

struct mem_file {
	const char *path;
	const char *text;
};

/* the base state of each rules file: some files there, others absent */
static const struct mem_file rappterbook_base[] = {
	{ "state/posted_log.json", "{\"posts\": [{\"number\": 1, \"title\": \"a\", \"author\": \"x\","
	  " \"channel\": \"c\"}], \"comments\": [{\"discussion\": 1, \"author\": \"y\","
	  " \"body\": \"hi\"}]}" },
	{ "state/agents.json", "{\"agents\": {\"x\": {\"name\": \"X\", \"post_count\": 1}}}" },
	{ "state/book_catalog.json", "{\"in_progress\": [{\"book\": \"B\", \"chapters\":"
	  " [{\"chapter\": \"1\", \"chapter_title\": \"one\", \"title\": \"[CHAPTER] Chapter 1: one\"}]}],"
	  " \"books\": []}" },
	{ "state/stats.json", "{\"total_posts\": 1, \"total_comments\": 1, \"other\": 5}" },
	{ NULL, NULL },
};
static const struct mem_file custom_base[] = {
	{ "p.json", "{\"posts\": {\"1\": {\"n\": 1, \"by\": \"u\"}}, \"comments\": []}" },
	{ "t.json", "[\"x\", 1]" },
	{ "a.json", "{\"a\": {\"u\": {\"c\": 1, \"f\": 2}}}" },
	{ "i.json", "{\"i\": [{\"id\": 1, \"o\": \"p\"}], \"g\": {}}" },
	{ NULL, NULL },
};

/* the files a fold reads: a base table, or the files written by a fold */
struct mem_fs {
	const struct mem_file *base;
	struct { char *path; struct dc_buf text; int exists; } files[MAX_FILES];
	size_t n;
};

static struct dc_rules rules[2];
static int rules_loaded;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-fold: property broken: %s\n", what);
		abort();
	}
}

static int mem_read(void *data, const char *path, struct dc_buf *out, int *exists,
		    struct dc_err *err)
{
	struct mem_fs *fs = data;
	const struct mem_file *f;
	size_t i;

	*exists = 0;
	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->files[i].path, path)) {
			*exists = fs->files[i].exists;
			dc_buf_addbuf(out, &fs->files[i].text);
			return 0;
		}
	for (f = fs->base; f && f->path; f++)
		if (!strcmp(f->path, path)) {
			dc_buf_adds(out, f->text);
			*exists = 1;
			break;
		}
	return 0;
}

static void mem_fs_release(struct mem_fs *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		free(fs->files[i].path);
		dc_buf_release(&fs->files[i].text);
	}
	fs->n = 0;
}

/* The value of the base file `path`, or NULL if it is absent (owned by the
 * caller). */
static struct dc_json *base_value(struct mem_fs *fs, const char *path)
{
	struct dc_buf b = DC_BUF_INIT;
	struct dc_json *v = NULL;
	int exists;

	mem_read(fs, path, &b, &exists, NULL);
	if (exists)
		check(!dc_json_parse(&v, b.buf, b.len, NULL, NULL), "a base file does not parse");
	dc_buf_release(&b);
	return v;
}

static size_t size_of(const struct dc_json *c)
{
	if (!c)
		return 0;
	return c->type == DC_JSON_ARRAY ? c->u.arr.n : c->type == DC_JSON_OBJECT ? c->u.obj.n : 0;
}

/* Fold deltas [from, to) onto `st`, then finish; 0 or -1 (message set). */
static int fold_range(struct dc_state *st, struct dc_delta *d, size_t from, size_t to)
{
	struct dc_err err = DC_ERR_INIT;
	size_t i;
	int ret = 0;

	for (i = from; i < to && !ret; i++)
		ret = dc_fold_apply(st, &d[i], &err);
	if (!ret)
		ret = dc_fold_finish(st, &err);
	if (ret)
		check(err.msg.len > 0, "the fold fails without a message");
	dc_err_release(&err);
	return ret;
}

/* Every file of the state as bytes (empty: absent), loading those the
 * fold did not need. */
static void state_bytes(struct dc_state *st, struct dc_buf *out)
{
	struct dc_err err = DC_ERR_INIT;
	size_t i;

	for (i = 0; i < st->nfiles; i++) {
		struct dc_state_file *f = dc_state_file(st, st->files[i].path, &err);

		check(f != NULL, "a canonical file does not load");
		if (f->doc)
			dc_json_write(&out[i], f->doc);
	}
	dc_err_release(&err);
}

/* What a merge commits after a fold: the changed files, and the record of
 * the derived counts as text (returned, owned by the caller). */
static char *commit_state(struct dc_state *st, struct mem_fs *next)
{
	struct dc_buf rec = DC_BUF_INIT;
	struct dc_json *undo = dc_fold_undo_json(st);
	size_t i;

	for (i = 0; i < st->nfiles; i++) {
		struct dc_state_file *f = &st->files[i];

		if (!f->loaded || !f->changed)
			continue;
		check(next->n < MAX_FILES, "too many files");
		next->files[next->n].path = dc_xstrdup(f->path);
		next->files[next->n].exists = f->doc != NULL;
		dc_buf_init(&next->files[next->n].text, 0);
		if (f->doc)
			dc_json_write(&next->files[next->n].text, f->doc);
		next->n++;
	}
	dc_json_write(&rec, undo);
	dc_json_free(undo);
	return dc_buf_detach(&rec, NULL);
}

static void check_state(struct dc_state *st, struct mem_fs *base, const struct dc_rules *r)
{
	size_t i;

	for (i = 0; i < st->nfiles; i++) {
		struct dc_state_file *f = &st->files[i];
		struct dc_json *was, *again = NULL;
		struct dc_buf out = DC_BUF_INIT;

		if (!f->loaded)
			continue;
		was = base_value(base, f->path);
		if (f->doc) {
			dc_json_write(&out, f->doc);
			check(!dc_json_parse(&again, out.buf, out.len, NULL, NULL) &&
			      dc_json_equal(again, f->doc), "a canonical file does not parse back");
			check(!dc_has_conflict_markers(out.buf, out.len),
			      "a canonical file holds a conflict marker");
		}
		if (!was || !f->doc)
			check(f->changed == (was != f->doc), "a file created or removed is not marked changed");
		else
			check(f->changed == !dc_json_equal(was, f->doc),
			      "a file is marked changed unless its value changed");
		dc_json_free(was);
		dc_json_free(again);
		dc_buf_release(&out);
	}
	for (i = 0; i < r->nsections; i++) {
		const struct dc_section *s = &r->sections[i];
		struct dc_state_file *f;
		struct dc_json *was;
		struct dc_err err = DC_ERR_INIT;

		if (s->op == DC_OP_IGNORE || s->op == DC_OP_COLLECT)
			continue;
		f = dc_state_file(st, s->file, &err);
		check(f != NULL, "a canonical file does not load");
		was = base_value(base, s->file);
		check(size_of(f->doc ? dc_json_pointer(f->doc, s->at, 0, DC_JSON_NULL, NULL) : NULL) >=
		      size_of(was ? dc_json_pointer(was, s->at, 0, DC_JSON_NULL, NULL) : NULL),
		      "a target lost elements");
		dc_json_free(was);
		dc_err_release(&err);
	}
	for (i = 0; i < st->stats.nquarantined; i++)
		check(st->stats.quarantined[i].reason && *st->stats.quarantined[i].reason,
		      "a quarantined event has no reason");
}

/* Turn the input into at most MAX_DELTAS valid deltas. */
static size_t make_deltas(struct dc_delta *d, const struct dc_rules *r, const char *p,
			  const char *end)
{
	size_t n = 0, i;

	while (p <= end && n < MAX_DELTAS) {
		const char *sep = memchr(p, 0xff, (size_t)(end - p));
		size_t len = (size_t)((sep ? sep : end) - p);
		struct dc_json *body = NULL, *doc;
		struct dc_buf text = DC_BUF_INIT, rel = DC_BUF_INIT, path = DC_BUF_INIT;
		char stream[8], utc[32];

		if (!dc_json_parse(&body, p, len, NULL, NULL) && body->type == DC_JSON_OBJECT) {
			snprintf(stream, sizeof(stream), "s%zu", n % 3);
			snprintf(utc, sizeof(utc), "2026-03-28T03:%02zu:00Z", n);
			doc = dc_json_new(DC_JSON_OBJECT);
			dc_json_set(doc, "frame", 5, dc_json_new_int((int64_t)(n / 2 + 1)));
			dc_json_set(doc, "stream_id", 9, dc_json_new_string(stream, strlen(stream)));
			dc_json_set(doc, "utc", 3, dc_json_new_string(utc, strlen(utc)));
			for (i = 0; i < body->u.obj.n; i++)
				if (!dc_json_getn(doc, body->u.obj.m[i].key, body->u.obj.m[i].keylen))
					dc_json_set(doc, body->u.obj.m[i].key, body->u.obj.m[i].keylen,
						    dc_json_clone(body->u.obj.m[i].val));
			dc_json_write_compact(&text, doc);
			dc_json_free(doc);
			dc_delta_path_make(&rel, NULL, DC_LAYOUT_FLAT, n / 2 + 1, stream);
			dc_delta_path_make(&path, r->deltas, DC_LAYOUT_FLAT, n / 2 + 1, stream);
			dc_delta_load(&d[n], path.buf, rel.buf, NULL, text.buf, text.len, r);
			if (d[n].valid)
				n++;
			else
				dc_delta_release(&d[n]);
		}
		dc_json_free(body);
		dc_buf_release(&text);
		dc_buf_release(&rel);
		dc_buf_release(&path);
		if (!sep)
			break;
		p = sep + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dc_delta d[MAX_DELTAS];
	struct dc_state one = DC_STATE_INIT, first = DC_STATE_INIT, rest = DC_STATE_INIT;
	struct mem_fs base = { 0 }, mid = { 0 };
	struct dc_buf a[MAX_FILES], b[MAX_FILES];
	struct dc_err err = DC_ERR_INIT;
	struct dc_json *rec = NULL;
	const struct dc_rules *r;
	char *rectext = NULL;
	size_t n, cut, i;
	int ok1, ok2;

	if (!rules_loaded) {
		struct dc_buf text = DC_BUF_INIT;

		check(!dc_rules_preset(&text, "rappterbook", &err) &&
		      !dc_rules_parse(&rules[0], text.buf, text.len, &err) &&
		      !dc_rules_parse(&rules[1], custom_rules, strlen(custom_rules), &err),
		      err.msg.buf);
		dc_buf_release(&text);
		rules_loaded = 1;
	}
	if (size < 1)
		return 0;
	r = &rules[data[0] & 1];
	base.base = mid.base = (data[0] & 1) ? custom_base : rappterbook_base;
	n = make_deltas(d, r, (const char *)data + 1, (const char *)data + size);
	cut = n ? (size_t)(data[0] >> 1) % (n + 1) : 0;
	for (i = 0; i < MAX_FILES; i++) {
		dc_buf_init(&a[i], 0);
		dc_buf_init(&b[i], 0);
	}

	/* all at once */
	check(!dc_state_init(&one, r, mem_read, &base, &err), err.msg.buf);
	ok1 = !fold_range(&one, d, 0, n);
	if (ok1)
		check_state(&one, &base, r);

	/* cut in two, committed in between */
	check(!dc_state_init(&first, r, mem_read, &base, &err), err.msg.buf);
	ok2 = !fold_range(&first, d, 0, cut);
	if (ok2) {
		rectext = commit_state(&first, &mid);
		check(!dc_json_parse(&rec, rectext, strlen(rectext), NULL, NULL),
		      "the record of the counts does not parse");
		check(!dc_state_init(&rest, r, mem_read, &mid, &err), err.msg.buf);
		check(!dc_fold_undo(&rest, rec, &err), "the record of the counts does not undo");
		ok2 = !fold_range(&rest, d, cut, n);
	}
	check(ok1 == ok2, "a fold cut in two fails where one fold does not, or the reverse");
	if (ok1) {
		state_bytes(&one, a);
		state_bytes(&rest, b);
		for (i = 0; i < one.nfiles; i++)
			check(a[i].len == b[i].len && !memcmp(a[i].buf, b[i].buf, a[i].len),
			      "a fold cut in two gives other bytes than one fold");
	}

	for (i = 0; i < MAX_FILES; i++) {
		dc_buf_release(&a[i]);
		dc_buf_release(&b[i]);
	}
	for (i = 0; i < n; i++)
		dc_delta_release(&d[i]);
	dc_state_release(&one);
	dc_state_release(&first);
	dc_state_release(&rest);
	mem_fs_release(&mid);
	dc_json_free(rec);
	free(rectext);
	dc_err_release(&err);
	return 0;
}
