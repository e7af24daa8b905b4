/*
 * Fuzzing the delta parser and validator: dc_delta_load() on arbitrary
 * bytes at an arbitrary or derived path, under one of four rules files,
 * and the properties a loaded delta keeps:
 *  - loading never crashes and is deterministic (same verdict, same
 *    reason twice); a delta is valid exactly when it has no reason;
 *  - a valid delta is an object whose frame (< 2^53) and stream id (valid)
 *    are the path's, whose path is the one dc_delta_path_make() writes,
 *    whose utc member is one of the rules' and whose instant survives
 *    formatting; its sections give their events; its unknown sections are
 *    neither named by the rules nor starting with '_';
 *  - any text dc_json_parse() accepts is written back, in the canonical
 *    and the compact layout, to text that parses to an equal value, and
 *    the canonical layout is a fixed point;
 *  - a path dc_delta_path_parse() accepts is rebuilt byte for byte;
 *  - an instant dc_utc_parse() accepts survives formatting (exact digits
 *    and microseconds).
 *
 * Input: one byte (bits 0-1: which rules; bit 7: the path comes from the
 * input, up to the first 0xff byte; else it is made from the document's
 * own frame and stream id when they are usable), then the delta's bytes.
 * Built by `make fuzz` with libFuzzer, and by `make` into a replayer
 * (replay.c) that runs the kept corpus as a regression test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "delta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const rules_text[] = {
	NULL,	/* the rappterbook preset */
	NULL,	/* the minimal preset */
	"{\"version\": 1, \"deltas\": \"d\", \"layout\": \"by-frame\","
	" \"utc\": [\"when\", \"_meta.timestamp\", \"a.b.c\"], \"max_delta_bytes\": 300,"
	" \"sections\": {\"ev\": {\"op\": \"append\", \"file\": \"e.json\"},"
	"  \"skip\": {\"op\": \"ignore\"},"
	"  \"p\": {\"op\": \"upsert\", \"file\": \"p.json\", \"at\": \"/p\", \"key\": [\"id\"]}}}",
	"{\"version\": 1, \"utc\": [\"utc\", \"frame\", \"stream_id\"], \"sections\": {}}",
};
static const char *const preset[] = { "rappterbook", "minimal" };

#define NRULES (sizeof(rules_text) / sizeof(*rules_text))
static struct dc_rules rules[NRULES];
static int rules_loaded;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-delta: property broken: %s\n", what);
		abort();
	}
}

static void load_rules(void)
{
	size_t i;

	for (i = 0; i < NRULES; i++) {
		struct dc_err err = DC_ERR_INIT;
		struct dc_buf text = DC_BUF_INIT;

		if (rules_text[i])
			dc_buf_adds(&text, rules_text[i]);
		else
			check(!dc_rules_preset(&text, preset[i], &err), "a preset loads");
		check(!dc_rules_parse(&rules[i], text.buf, text.len, &err), err.msg.buf);
		dc_buf_release(&text);
		dc_err_release(&err);
	}
}

static void check_json(const char *buf, size_t len)
{
	struct dc_json *v = NULL, *again = NULL, *compact = NULL;
	struct dc_buf out = DC_BUF_INIT, out2 = DC_BUF_INIT, c = DC_BUF_INIT;
	struct dc_buf k1 = DC_BUF_INIT, k2 = DC_BUF_INIT;

	if (dc_json_parse(&v, buf, len, NULL, NULL))
		return;
	dc_json_write(&out, v);
	check(!dc_json_parse(&again, out.buf, out.len, NULL, NULL),
	      "the canonical layout of a value does not parse");
	check(dc_json_equal(v, again), "the canonical layout changes the value");
	dc_json_write(&out2, again);
	check(out.len == out2.len && !memcmp(out.buf, out2.buf, out.len),
	      "the canonical layout is not a fixed point");
	dc_json_write_compact(&c, v);
	check(!dc_json_parse(&compact, c.buf, c.len, NULL, NULL),
	      "the compact layout of a value does not parse");
	check(dc_json_equal(v, compact), "the compact layout changes the value");
	dc_json_keystr(&k1, v);
	dc_json_keystr(&k2, compact);
	check(k1.len == k2.len && !memcmp(k1.buf, k2.buf, k1.len),
	      "equal values have different comparison keys");
	dc_json_free(v);
	dc_json_free(again);
	dc_json_free(compact);
	dc_buf_release(&out);
	dc_buf_release(&out2);
	dc_buf_release(&c);
	dc_buf_release(&k1);
	dc_buf_release(&k2);
}

static void check_utc(const char *s, size_t len)
{
	struct dc_utc t, t2, t3;
	struct dc_buf out = DC_BUF_INIT, us = DC_BUF_INIT;

	if (dc_utc_parse(&t, s, len))
		return;
	check(t.nsec < 1000000000, "an instant has more than a second of nanoseconds");
	dc_utc_format(&out, &t);
	check(!dc_utc_parse(&t2, out.buf, out.len) && !dc_utc_cmp(&t, &t2),
	      "a formatted instant does not parse back to itself");
	dc_utc_format_us(&us, &t);
	check(!dc_utc_parse(&t3, us.buf, us.len) && t3.sec == t.sec &&
	      t3.nsec == t.nsec / 1000 * 1000, "an instant formatted to microseconds is not itself");
	dc_buf_release(&out);
	dc_buf_release(&us);
}

static void check_path(const char *rel, const struct dc_rules *r)
{
	struct dc_buf stream = DC_BUF_INIT, made = DC_BUF_INIT;
	struct dc_err err = DC_ERR_INIT;
	enum dc_layout layout;
	uint64_t frame;

	if (dc_delta_path_parse(&frame, &stream, &layout, rel, &err)) {
		check(err.msg.len > 0, "a refused path has no reason");
	} else {
		check(frame < DC_FRAME_LIMIT, "a path's frame is out of range");
		check(dc_stream_id_valid(stream.buf, stream.len), "a path's stream id is not valid");
		dc_delta_path_make(&made, NULL, layout, frame, stream.buf);
		check(!strcmp(made.buf, rel), "a delta path is not rebuilt as it was");
		dc_buf_reset(&made);
		dc_delta_path_make(&made, r->deltas, layout, frame, stream.buf);
		check(made.len > strlen(rel) && !strcmp(made.buf + made.len - strlen(rel), rel),
		      "a delta path under the delta directory does not end with its name");
	}
	dc_buf_release(&stream);
	dc_buf_release(&made);
	dc_err_release(&err);
}

static void check_valid(const struct dc_delta *d, const char *rel, const struct dc_rules *r)
{
	struct dc_buf made = DC_BUF_INIT;
	const struct dc_json *v;
	struct dc_json *const *events;
	size_t i, k, n;
	int64_t frame;

	check(!d->reason, "a valid delta has a reason");
	check(d->doc && d->doc->type == DC_JSON_OBJECT, "a valid delta is not an object");
	check(d->frame < DC_FRAME_LIMIT, "a valid delta's frame is out of range");
	v = dc_json_get(d->doc, "frame");
	check(v && dc_json_get_int(v, &frame) && (uint64_t)frame == d->frame,
	      "a valid delta's frame is not its path's");
	v = dc_json_get(d->doc, "stream_id");
	check(v && v->type == DC_JSON_STRING && v->u.str.len == strlen(d->stream) &&
	      !memcmp(v->u.str.s, d->stream, v->u.str.len),
	      "a valid delta's stream id is not its path's");
	check(dc_stream_id_valid(d->stream, strlen(d->stream)), "a valid delta's stream id is not valid");
	for (i = 0; i < 2; i++) {
		dc_buf_reset(&made);
		dc_delta_path_make(&made, NULL, i ? DC_LAYOUT_BY_FRAME : DC_LAYOUT_FLAT, d->frame,
				   d->stream);
		if (!strcmp(made.buf, rel))
			break;
	}
	check(i < 2, "a valid delta's path is not one dc_delta_path_make writes");
	for (k = 0; k < r->nutc; k++)
		if (d->utc_member == r->utc[k])
			break;
	check(k < r->nutc, "a valid delta's utc member is not one of the rules'");
	check(d->utc.nsec < 1000000000, "a valid delta's instant is out of range");
	check(!dc_delta_cmp(d, d), "a delta does not compare equal to itself");
	for (i = 0; i < r->nsections; i++) {
		const struct dc_json *s = dc_json_get(d->doc, r->sections[i].name);
		int r2 = dc_delta_events(d, r->sections[i].name, &events, &n);

		if (!s || (s->type != DC_JSON_ARRAY && s->type != DC_JSON_OBJECT)) {
			check(r2 == -1 && !n, "a section that is not there gives events");
			continue;
		}
		check(!r2 && n == (s->type == DC_JSON_ARRAY ? s->u.arr.n : 1),
		      "a section does not give its events");
	}
	for (i = 0; i < d->nunknown; i++) {
		check(!dc_rules_section(r, d->unknown[i]), "a known section is reported unknown");
		check(d->unknown[i][0] != '_', "a '_' member is reported as a section");
	}
	dc_buf_release(&made);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dc_delta d = DC_DELTA_INIT, again = DC_DELTA_INIT;
	struct dc_buf rel = DC_BUF_INIT, path = DC_BUF_INIT;
	const struct dc_rules *r;
	const char *buf;
	size_t len;

	if (!rules_loaded) {
		load_rules();
		rules_loaded = 1;
	}
	if (size < 1)
		return 0;
	r = &rules[data[0] % NRULES];
	buf = (const char *)data + 1;
	len = size - 1;
	if (data[0] & 0x80) {
		const char *sep = memchr(buf, 0xff, len);
		size_t n = sep ? (size_t)(sep - buf) : len;

		dc_buf_add(&rel, buf, n);
		if (strlen(rel.buf) != rel.len)	/* a path never holds NUL */
			goto cleanup;
		buf += sep ? n + 1 : n;
		len -= sep ? n + 1 : n;
	} else {
		struct dc_json *doc = NULL;
		const struct dc_json *f, *s;
		int64_t frame = 1;
		const char *stream = "s1";

		if (!dc_json_parse(&doc, buf, len, NULL, NULL) && doc->type == DC_JSON_OBJECT) {
			f = dc_json_get(doc, "frame");
			s = dc_json_get(doc, "stream_id");
			if (!f || !dc_json_get_int(f, &frame) || frame < 0 ||
			    (uint64_t)frame >= DC_FRAME_LIMIT)
				frame = 1;
			if (s && s->type == DC_JSON_STRING && dc_stream_id_valid(s->u.str.s, s->u.str.len))
				stream = s->u.str.s;
		}
		dc_delta_path_make(&rel, NULL, data[0] & 0x40 ? DC_LAYOUT_BY_FRAME : DC_LAYOUT_FLAT,
				   (uint64_t)frame, stream);
		dc_json_free(doc);
	}
	dc_buf_addf(&path, "%s/%s", r->deltas, rel.buf);

	dc_delta_load(&d, path.buf, rel.buf, "0123456789abcdef0123456789abcdef01234567", buf, len, r);
	dc_delta_load(&again, path.buf, rel.buf, NULL, buf, len, r);
	check(d.valid == again.valid, "loading twice gives two verdicts");
	check(!strcmp(d.path, path.buf), "a delta does not keep its path");
	if (d.valid)
		check_valid(&d, rel.buf, r);
	else
		check(d.reason && *d.reason && again.reason && !strcmp(d.reason, again.reason),
		      "a quarantined delta has no reason, or another one the second time");
	check_path(rel.buf, r);
	check_json(buf, len);
	check_utc(buf, len);
cleanup:
	dc_delta_release(&d);
	dc_delta_release(&again);
	dc_buf_release(&rel);
	dc_buf_release(&path);
	return 0;
}
