/*
 * Unit tests for delta.c: utc instants, stream ids, delta paths, the total
 * order, and dc_delta_load's checks (PROTOCOL sections 1-3), plus the
 * rappterbook edge corpus when it is present.
 */
#include "delta.h"
#include "tap.h"
#include <glob.h>
#include <stdlib.h>

#define DEFAULT_CORPUS "/work/shared/corpus/rappterbook-edge"

/* ---- utc instants ----------------------------------------------------- */

static void utc_ok(const char *s, int64_t sec, uint32_t nsec)
{
	struct dc_utc t = { -1, 1 };

	if (!tap_ok(!dc_utc_parse(&t, s, strlen(s)), "utc '%s' parses", s))
		return;
	is_int(t.sec, sec, "utc '%s' seconds", s);
	is_int(t.nsec, nsec, "utc '%s' nanoseconds", s);
}

static void utc_bad(const char *s, size_t len)
{
	struct dc_utc t;

	tap_ok(dc_utc_parse(&t, s, len) == -1, "utc '%.*s' (%zu bytes) is refused",
	       (int)strlen(s), s, len);
}

static int utc_cmp_str(const char *a, const char *b)
{
	struct dc_utc ta, tb;

	if (dc_utc_parse(&ta, a, strlen(a)) || dc_utc_parse(&tb, b, strlen(b)))
		return 99;
	return dc_utc_cmp(&ta, &tb);
}

static void utc_fmt(int64_t sec, uint32_t nsec, const char *want, const char *want_us)
{
	struct dc_utc t = { sec, nsec };
	struct dc_buf b = DC_BUF_INIT;

	dc_utc_format(&b, &t);
	is_str(b.buf, want, "format %lld.%09u", (long long)sec, nsec);
	dc_buf_reset(&b);
	dc_utc_format_us(&b, &t);
	is_str(b.buf, want_us, "format_us %lld.%09u", (long long)sec, nsec);
	dc_buf_release(&b);
}

static void utc_roundtrip(const char *s)
{
	struct dc_utc t;
	struct dc_buf b = DC_BUF_INIT;

	if (dc_utc_parse(&t, s, strlen(s)) == 0)
		dc_utc_format(&b, &t);
	is_str(b.buf, s, "'%s' formats back to itself", s);
	dc_buf_release(&b);
}

static void test_utc(void)
{
	utc_ok("1970-01-01T00:00:00Z", 0, 0);
	utc_ok("2026-03-28T03:00:00Z", INT64_C(1774666800), 0);
	utc_ok("2026-03-28T03:00:00.5Z", INT64_C(1774666800), 500000000);
	utc_ok("2026-03-28T03:00:00.123456789Z", INT64_C(1774666800), 123456789);
	utc_ok("2026-03-28T03:00:00.000000001Z", INT64_C(1774666800), 1);
	utc_ok("2024-02-29T12:34:56Z", INT64_C(1709210096), 0);
	utc_ok("2000-02-29T00:00:00Z", INT64_C(951782400), 0);
	utc_ok("1900-03-01T00:00:00Z", INT64_C(-2203891200), 0);
	utc_ok("0000-01-01T00:00:00Z", INT64_C(-62167219200), 0);
	utc_ok("0001-01-01T00:00:00Z", INT64_C(-62135596800), 0);
	utc_ok("9999-12-31T23:59:59Z", INT64_C(253402300799), 0);
	utc_ok("1969-12-31T23:59:59.999999999Z", -1, 999999999);
	/* a leap second is ordered as the next minute's :00 */
	utc_ok("2016-12-31T23:59:60Z", INT64_C(1483228800), 0);
	utc_ok("2016-12-31T23:59:60.25Z", INT64_C(1483228800), 250000000);
	is_int(utc_cmp_str("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"), 0,
	       "leap second equals the next minute's :00");
	is_int(utc_cmp_str("2016-12-31T23:59:59.999999999Z", "2016-12-31T23:59:60Z"), -1,
	       "the last nanosecond before a leap second is earlier");

	/* the length given is what is parsed */
	{
		const char *s = "2026-03-28T03:00:00Zjunk";
		struct dc_utc t;
		is_int(dc_utc_parse(&t, s, 20), 0, "only `len` bytes are read");
	}
	utc_bad("2026-03-28T03:00:00Zjunk", 24);
	utc_bad("2026-03-28T03:00:00\0Z", 21);
	utc_bad("2026-03-28T03:00:00.\0Z", 22);

	utc_bad("2026-03-28T03:00:00.1234567890Z", 31);
	utc_bad("2026-03-28T03:00:00.Z", 21);
	utc_bad("2026-03-28t03:00:00Z", 20);
	utc_bad("2026-03-28T03:00:00z", 20);
	utc_bad("2026-03-28T03:00:00+00:00", 25);
	utc_bad("2026-03-28T03:00:00.5+00:00", 27);
	utc_bad("2026-03-28T03:00:00", 19);
	utc_bad("2026-03-28T03:00:00.5", 21);
	utc_bad("2026-03-28 03:00:00Z", 20);
	utc_bad("2026-03-28T24:00:00Z", 20);
	utc_bad("2026-03-28T23:60:00Z", 20);
	utc_bad("2026-03-28T23:59:61Z", 20);
	utc_bad("2023-02-29T00:00:00Z", 20);
	utc_bad("1900-02-29T00:00:00Z", 20);
	utc_bad("2023-04-31T00:00:00Z", 20);
	utc_bad("2023-13-01T00:00:00Z", 20);
	utc_bad("2023-00-01T00:00:00Z", 20);
	utc_bad("2023-01-00T00:00:00Z", 20);
	utc_bad("2023-1-01T00:00:00Z", 19);
	utc_bad("+2023-01-01T00:00:00Z", 21);
	utc_bad("20231-01-01T00:00:00Z", 21);
	utc_bad("2023-01-01T00:00:0 Z", 20);
	utc_bad("2023-01-01T-1:00:00Z", 20);
	utc_bad("2023-01-01T00:00:00,5Z", 22);
	utc_bad("2023-01-01T00:00:00.5.Z", 23);
	utc_bad("2023-01-01T00:00:00.-5Z", 23);
	utc_bad("<UTC ISO>", 9);
	utc_bad("", 0);

	/* instants compare as instants, never as strings */
	is_int(utc_cmp_str("2026-03-28T03:00:00.5Z", "2026-03-28T03:00:00.10Z"), 1,
	       ".5 is later than .10");
	is_int(utc_cmp_str("2026-03-28T03:00:00.000000001Z", "2026-03-28T03:00:00.000000002Z"),
	       -1, "one nanosecond apart: earlier");
	is_int(utc_cmp_str("2026-03-28T03:00:00.000000002Z", "2026-03-28T03:00:00.000000001Z"),
	       1, "one nanosecond apart: later");
	is_int(utc_cmp_str("2026-03-28T03:00:00.1Z", "2026-03-28T03:00:00.100000000Z"), 0,
	       ".1 equals .100000000");
	is_int(utc_cmp_str("2026-03-28T03:00:00Z", "2026-03-28T03:00:00.000Z"), 0,
	       "no fraction equals .000");
	is_int(utc_cmp_str("2026-03-28T02:59:59.999999999Z", "2026-03-28T03:00:00Z"), -1,
	       "the nanosecond before a second is earlier");
	is_int(utc_cmp_str("1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z"), -1,
	       "before 1970 is earlier");

	utc_fmt(0, 0, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z");
	utc_fmt(INT64_C(1774666800), 500000000, "2026-03-28T03:00:00.5Z",
		"2026-03-28T03:00:00.500000Z");
	utc_fmt(INT64_C(1774666800), 1, "2026-03-28T03:00:00.000000001Z",
		"2026-03-28T03:00:00.000000Z");
	utc_fmt(INT64_C(1774666800), 123456789, "2026-03-28T03:00:00.123456789Z",
		"2026-03-28T03:00:00.123456Z");
	utc_fmt(INT64_C(1774666800), 120000000, "2026-03-28T03:00:00.12Z",
		"2026-03-28T03:00:00.120000Z");
	utc_fmt(-1, 999999999, "1969-12-31T23:59:59.999999999Z",
		"1969-12-31T23:59:59.999999Z");
	utc_fmt(INT64_C(-62167219200), 0, "0000-01-01T00:00:00Z",
		"0000-01-01T00:00:00.000000Z");
	utc_fmt(INT64_C(253402300799), 0, "9999-12-31T23:59:59Z",
		"9999-12-31T23:59:59.000000Z");
	utc_fmt(INT64_C(951782400), 0, "2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000000Z");
	utc_fmt(INT64_C(-2203891200) - 1, 0, "1900-02-28T23:59:59Z",
		"1900-02-28T23:59:59.000000Z");

	utc_roundtrip("2024-02-29T12:34:56.7Z");
	utc_roundtrip("2024-12-31T23:59:59Z");
	utc_roundtrip("2025-01-01T00:00:00.000000001Z");
	utc_roundtrip("0400-02-29T00:00:00Z");
	utc_roundtrip("1600-12-31T12:00:00Z");
	utc_roundtrip("1969-07-20T20:17:40Z");
}

/* ---- stream ids -------------------------------------------------------- */

static void stream_is(const char *s, size_t len, int want, const char *what)
{
	is_int(dc_stream_id_valid(s, len), want, "stream id %s: %s", what,
	       want ? "valid" : "refused");
}

static void test_stream_ids(void)
{
	char id[66];

	memset(id, 'a', sizeof(id));
	stream_is(id, 64, 1, "of 64 characters");
	stream_is(id, 65, 0, "of 65 characters");
	stream_is("a", 1, 1, "'a'");
	stream_is("", 0, 0, "''");
	stream_is("stream-1", 8, 1, "'stream-1'");
	stream_is("Worker_2.b-C9", 13, 1, "'Worker_2.b-C9'");
	stream_is("a.b", 3, 1, "'a.b'");
	stream_is("a..b", 4, 0, "'a..b'");
	stream_is("a.", 2, 1, "'a.' (one trailing dot)");
	stream_is("a..", 3, 0, "'a..'");
	stream_is("..", 2, 0, "'..'");
	stream_is(".a", 2, 0, "'.a'");
	stream_is("-a", 2, 0, "'-a'");
	stream_is("_a", 2, 0, "'_a'");
	stream_is("a/b", 3, 0, "'a/b'");
	stream_is("a\\b", 3, 0, "'a\\b'");
	stream_is("a\0b", 3, 0, "with a NUL");
	stream_is("a b", 3, 0, "with a space");
	stream_is("caf\xc3\xa9", 5, 0, "with non-ASCII");
	stream_is("a:b", 3, 0, "with a colon");
	stream_is("../../outside", 13, 0, "'../../outside'");
}

/* ---- delta paths ------------------------------------------------------- */

static void path_ok(const char *rel, uint64_t frame, const char *stream, enum dc_layout layout)
{
	struct dc_buf got = DC_BUF_INIT;
	struct dc_err err = DC_ERR_INIT;
	enum dc_layout lay = DC_LAYOUT_FLAT + DC_LAYOUT_BY_FRAME + 1;
	uint64_t f = 12345;

	dc_buf_adds(&got, "junk");
	if (tap_ok(!dc_delta_path_parse(&f, &got, &lay, rel, &err), "path '%s' parses", rel)) {
		is_int(f, frame, "path '%s': frame", rel);
		is_str(got.buf, stream, "path '%s': stream", rel);
		is_int(lay, layout, "path '%s': layout", rel);
	} else {
		tap_diag("error: %s", err.msg.buf);
	}
	dc_buf_release(&got);
	dc_err_release(&err);
}

static void path_bad(const char *rel, const char *reason)
{
	struct dc_buf got = DC_BUF_INIT;
	struct dc_err err = DC_ERR_INIT;
	enum dc_layout lay;
	uint64_t f;

	is_int(dc_delta_path_parse(&f, &got, &lay, rel, &err), -1, "path '%s' is refused", rel);
	is_str(err.msg.buf, reason, "path '%s': reason", rel);
	is_int(err.code, DC_ERR_REFUSED, "path '%s': code", rel);
	dc_buf_release(&got);
	dc_err_release(&err);
}

static void path_make(const char *deltas, enum dc_layout layout, uint64_t frame,
		      const char *stream, const char *want)
{
	struct dc_buf b = DC_BUF_INIT;

	dc_buf_adds(&b, "> ");
	dc_delta_path_make(&b, deltas, layout, frame, stream);
	is_str(b.buf, want, "make path '%s'", want);
	dc_buf_release(&b);
}

#define NOT_DELTA "not a delta path: expected frame-<frame>-<stream>.json or " \
	"frame-<frame>/<stream>.json"

static void test_paths(void)
{
	path_ok("frame-1-stream-1.json", 1, "stream-1", DC_LAYOUT_FLAT);
	path_ok("frame-1-w2-stream-1.json", 1, "w2-stream-1", DC_LAYOUT_FLAT);
	path_ok("frame-0-a.json", 0, "a", DC_LAYOUT_FLAT);
	path_ok("frame-12-a.b.json", 12, "a.b", DC_LAYOUT_FLAT);
	path_ok("frame-1-x.json.json", 1, "x.json", DC_LAYOUT_FLAT);
	path_ok("frame-9007199254740991-s.json", UINT64_C(9007199254740991), "s",
		DC_LAYOUT_FLAT);
	path_ok("frame-7/stream-1.json", 7, "stream-1", DC_LAYOUT_BY_FRAME);
	path_ok("frame-0/a-b.json", 0, "a-b", DC_LAYOUT_BY_FRAME);

	path_bad("frame-01-s.json", "frame '01' has leading zeros");
	path_bad("frame-00/s.json", "frame '00' has leading zeros");
	path_bad("frame-9007199254740992-s.json",
		 "frame '9007199254740992' is too large (frames are < 2^53)");
	path_bad("frame-99999999999999999999999/s.json",
		 "frame '99999999999999999999999' is too large (frames are < 2^53)");
	path_bad("frame-1-...json", "stream id '..' is not valid");
	path_bad("frame-1/...json", "stream id '..' is not valid");
	path_bad("frame-1-.json", "stream id '' is not valid");
	path_bad("frame-1-a/b.json", "stream id 'a/b' is not valid");
	path_bad("frame-1/sub/s.json", "stream id 'sub/s' is not valid");
	path_bad("frame-1-a\x01.json", "stream id 'a\\x01' is not valid");
	path_bad("frame-1-caf\xff.json", "stream id 'caf\\xff' is not valid");
	path_bad("frame-1-stream.txt", NOT_DELTA);
	path_bad("frame-1.json", NOT_DELTA);
	path_bad("frame--s.json", NOT_DELTA);
	path_bad("frame-x-s.json", NOT_DELTA);
	path_bad("frame-+1-s.json", NOT_DELTA);
	path_bad("frame-1_s.json", NOT_DELTA);
	path_bad("frame-1-s.JSON", NOT_DELTA);
	path_bad("Frame-1-s.json", NOT_DELTA);
	path_bad("sub/frame-1-s.json", NOT_DELTA);
	path_bad("frame-", NOT_DELTA);
	path_bad("frame-1-", NOT_DELTA);
	path_bad("", NOT_DELTA);

	path_make("state/stream_deltas", DC_LAYOUT_FLAT, 3, "s1",
		  "> state/stream_deltas/frame-3-s1.json");
	path_make("state/stream_deltas", DC_LAYOUT_BY_FRAME, 3, "s1",
		  "> state/stream_deltas/frame-3/s1.json");
	path_make("d", DC_LAYOUT_FLAT, UINT64_C(9007199254740991), "w2-stream-1",
		  "> d/frame-9007199254740991-w2-stream-1.json");
	path_make("", DC_LAYOUT_BY_FRAME, 0, "a", "> frame-0/a.json");
}

/* ---- the total order ---------------------------------------------------- */

static struct dc_delta fake(uint64_t frame, const char *utc, const char *stream,
			    const char *oid)
{
	struct dc_delta d = DC_DELTA_INIT;

	d.frame = frame;
	if (dc_utc_parse(&d.utc, utc, strlen(utc)))
		tap_diag("bad instant in the test: %s", utc);
	d.stream = (char *)stream;
	strcpy(d.oid, oid);
	d.valid = 1;
	return d;
}

static void cmp_is(const struct dc_delta *a, const struct dc_delta *b, int want,
		   const char *what)
{
	is_int(dc_delta_cmp(a, b), want, "cmp: %s", what);
	is_int(dc_delta_cmp(b, a), -want, "cmp reversed: %s", what);
}

static void test_cmp(void)
{
	const char *t0 = "2026-03-28T03:00:00Z";
	struct dc_delta a = fake(1, t0, "stream-1", "aaaa");
	struct dc_delta b;

	cmp_is(&a, &a, 0, "a delta equals itself");
	b = fake(2, "2000-01-01T00:00:00Z", "a", "0");
	cmp_is(&a, &b, -1, "frame decides before utc, stream and oid");
	b = fake(1, "2026-03-28T03:00:00.000000001Z", "a", "0");
	cmp_is(&a, &b, -1, "utc decides before stream and oid (1 ns later)");
	b = fake(1, "2026-03-28T03:00:00.10Z", "z", "z");
	a = fake(1, "2026-03-28T03:00:00.5Z", "a", "a");
	cmp_is(&a, &b, 1, "utc .5 is later than .10");
	a = fake(1, "2026-03-27T23:59:60Z", "b", "0");
	b = fake(1, "2026-03-28T00:00:00Z", "a", "1");
	cmp_is(&a, &b, 1, "a leap second ties the next :00; the stream decides");
	a = fake(1, t0, "stream-1", "ffff");
	b = fake(1, t0, "stream-2", "0000");
	cmp_is(&a, &b, -1, "same frame and utc: the stream decides before the oid");
	a = fake(1, t0, "stream", "ffff");
	b = fake(1, t0, "stream-1", "0000");
	cmp_is(&a, &b, -1, "a stream id sorts before its extensions");
	a = fake(1, t0, "Z", "ffff");
	b = fake(1, t0, "a", "0000");
	cmp_is(&a, &b, -1, "stream ids compare bytewise ('Z' < 'a')");
	a = fake(1, t0, "stream-1", "1f00");
	b = fake(1, t0, "stream-1", "a000");
	cmp_is(&a, &b, -1, "same stream: the oid decides");
	a = fake(1, t0, "stream-1", "");
	cmp_is(&a, &b, -1, "an unknown oid sorts first");
}

/* ---- dc_delta_load ----------------------------------------------------- */

static char *utc3[] = { "utc", "completed_at", "_meta.timestamp" };
static char *utc1[] = { "utc" };

static struct dc_section rb_sections[] = {
	{ .name = "posts_created", .op = DC_OP_UPSERT },
	{ .name = "comments_added", .op = DC_OP_ADD },
	{ .name = "reactions_added", .op = DC_OP_ADD },
	{ .name = "observations", .op = DC_OP_APPEND },
	{ .name = "profile_updates", .op = DC_OP_SET },
	{ .name = "votes", .op = DC_OP_ADD },
	{ .name = "stream_type", .op = DC_OP_IGNORE },
	{ .name = "agents_activated", .op = DC_OP_IGNORE },
	{ .name = "discussions_engaged", .op = DC_OP_IGNORE },
	{ .name = "soul_files_updated", .op = DC_OP_IGNORE },
};

static struct dc_rules rb_rules = {
	.version = 1,
	.deltas = "state/stream_deltas",
	.layout = DC_LAYOUT_FLAT,
	.utc = utc3,
	.nutc = 3,
	.max_delta_bytes = DC_DEFAULT_MAX_DELTA_BYTES,
	.sections = rb_sections,
	.nsections = sizeof(rb_sections) / sizeof(rb_sections[0]),
};

static void load(struct dc_delta *d, const struct dc_rules *rules, const char *rel,
		 const char *json)
{
	struct dc_buf path = DC_BUF_INIT;

	dc_buf_addf(&path, "state/stream_deltas/%s", rel);
	dc_delta_load(d, path.buf, rel, NULL, json, strlen(json), rules);
	dc_buf_release(&path);
}

static void load_bad(const struct dc_rules *rules, const char *rel, const char *json,
		     const char *reason)
{
	struct dc_delta d = DC_DELTA_INIT;

	load(&d, rules, rel, json);
	is_int(d.valid, 0, "quarantined: %s", reason);
	is_str(d.reason, reason, "reason: %s", reason);
	dc_delta_release(&d);
}

static void load_good(const struct dc_rules *rules, const char *rel, const char *json,
		      const char *what)
{
	struct dc_delta d = DC_DELTA_INIT;

	load(&d, rules, rel, json);
	if (!tap_ok(d.valid == 1 && !d.reason, "valid: %s", what))
		tap_diag("reason: %s", d.reason);
	dc_delta_release(&d);
}

/* A delta with the required members and `rest` appended inside the object. */
#define HEAD "{\"frame\": 1, \"stream_id\": \"s1\", "
#define UTC "\"utc\": \"2026-03-28T03:00:00Z\""
#define NO_UTC "no utc: none of 'utc', 'completed_at', '_meta.timestamp' is present"

static void test_load_checks(void)
{
	struct dc_rules small = rb_rules;
	struct dc_rules one_utc = rb_rules;
	struct dc_delta d = DC_DELTA_INIT;
	const char *full = "{\"frame\": 42, \"stream_id\": \"w-1\", "
		"\"completed_at\": \"2026-03-28T03:00:00.5Z\", "
		"\"posts_created\": [{\"number\": 1}, {\"number\": 2}], "
		"\"observations\": {\"becoming\": {}}, \"stream_type\": \"x\", "
		"\"comments_added\": []}";
	char huge[64];

	/* size comes first: before the path and before parsing */
	small.max_delta_bytes = 10;
	load_bad(&small, "frame-1-s1.json", "{\"frame\": 1, \"x\": 2}",
		 "20 bytes is over max_delta_bytes (10)");
	load_bad(&small, "frame-01-s1.json", "[[[[[[[[[[[",
		 "11 bytes is over max_delta_bytes (10)");
	small.max_delta_bytes = 16777216;
	{
		size_t len = 17000000;
		char *big = dc_xmalloc(len);
		memset(big, ' ', len);
		dc_delta_load(&d, "x", "frame-1-s1.json", NULL, big, len, &small);
		is_str(d.reason, "17000000 bytes is over max_delta_bytes (16777216)",
		       "the header's example of an oversized delta");
		is_int(d.doc == NULL, 1, "an oversized delta is not parsed");
		dc_delta_release(&d);
		free(big);
	}
	load_good(&small, "frame-1-s1.json", HEAD UTC "}", "a delta under the limit");

	/* the path, before parsing */
	load_bad(&rb_rules, "frame-01-s1.json", "not json", "frame '01' has leading zeros");
	load_bad(&rb_rules, "frame-1-a..b.json", "{", "stream id 'a..b' is not valid");
	load_bad(&rb_rules, "frame-9007199254740992-s1.json", HEAD UTC "}",
		 "frame '9007199254740992' is too large (frames are < 2^53)");
	load_bad(&rb_rules, "s1.json", HEAD UTC "}", NOT_DELTA);
	load(&d, &rb_rules, "frame-01-s1.json", HEAD UTC "}");
	tap_ok(!d.doc && !d.stream, "a bad path leaves doc and stream NULL");
	is_str(d.path, "state/stream_deltas/frame-01-s1.json", "the path is kept");
	dc_delta_release(&d);

	/* JSON */
	load(&d, &rb_rules, "frame-1-s1.json", "{\"frame\": 1,}");
	tap_ok(!d.valid && d.reason && !strncmp(d.reason, "invalid JSON: ", 14),
	       "a trailing comma: invalid JSON (%s)", d.reason);
	tap_ok(!d.doc, "no document when it did not parse");
	dc_delta_release(&d);
	load(&d, &rb_rules, "frame-1-s1.json", HEAD "\"frame\": 1, " UTC "}");
	tap_ok(!d.valid && d.reason && !strncmp(d.reason, "invalid JSON: ", 14) &&
	       strstr(d.reason, "duplicate key"), "a duplicate key: invalid JSON (%s)",
	       d.reason);
	dc_delta_release(&d);
	load(&d, &rb_rules, "frame-1-s1.json", HEAD UTC "} x");
	tap_ok(!d.valid && d.reason && !strncmp(d.reason, "invalid JSON: ", 14),
	       "trailing garbage: invalid JSON (%s)", d.reason);
	dc_delta_release(&d);

	/* the top-level value */
	load_bad(&rb_rules, "frame-1-s1.json", "[" HEAD UTC "}]",
		 "the top-level value is an array, expected an object");
	load_bad(&rb_rules, "frame-1-s1.json", "\"frame\"",
		 "the top-level value is a string, expected an object");
	load_bad(&rb_rules, "frame-1-s1.json", "null",
		 "the top-level value is null, expected an object");
	load(&d, &rb_rules, "frame-1-s1.json", "[1]");
	tap_ok(d.doc && d.doc->type == DC_JSON_ARRAY, "a quarantined document is kept");
	dc_delta_release(&d);

	/* frame */
	load_bad(&rb_rules, "frame-1-s1.json", "{\"stream_id\": \"s1\", " UTC "}",
		 "'frame' is missing");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": \"1\", \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is a string, expected an integer");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": 1.0, \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is a number, expected an integer");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": 1e0, \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is a number, expected an integer");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": null, \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is null, expected an integer");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": true, \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is a boolean, expected an integer");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": [1], \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is an array, expected an integer");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": -1, \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is -1, expected 0 <= frame < 2^53");
	load_bad(&rb_rules, "frame-1-s1.json",
		 "{\"frame\": 9007199254740992, \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is 9007199254740992, expected 0 <= frame < 2^53");
	load_bad(&rb_rules, "frame-1-s1.json",
		 "{\"frame\": 123456789012345678901234567890, \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is 123456789012345678901234567890, expected 0 <= frame < 2^53");
	memset(huge, '9', sizeof(huge));
	{
		struct dc_buf json = DC_BUF_INIT, want = DC_BUF_INIT;
		dc_buf_adds(&json, "{\"frame\": ");
		dc_buf_add(&json, huge, sizeof(huge));
		dc_buf_add(&json, huge, sizeof(huge));
		dc_buf_adds(&json, ", \"stream_id\": \"s1\", " UTC "}");
		dc_buf_adds(&want, "'frame' is ");
		dc_buf_add(&want, huge, sizeof(huge));
		dc_buf_add(&want, huge, 80 - sizeof(huge));
		dc_buf_adds(&want, "..., expected 0 <= frame < 2^53");
		load_bad(&rb_rules, "frame-1-s1.json", json.buf, want.buf);
		dc_buf_release(&json);
		dc_buf_release(&want);
	}
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": 2, \"stream_id\": \"s1\", " UTC "}",
		 "'frame' is 2 but the path says 1");
	load_bad(&rb_rules, "frame-0/s1.json", HEAD UTC "}",
		 "'frame' is 1 but the path says 0");
	load_good(&rb_rules, "frame-1/s1.json", HEAD UTC "}", "the by-frame layout");

	/* stream_id */
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": 1, " UTC "}",
		 "'stream_id' is missing");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": 1, \"stream_id\": 1.5, " UTC "}",
		 "'stream_id' is a number, expected a string");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": 1, \"stream_id\": 1, " UTC "}",
		 "'stream_id' is an integer, expected a string");
	load_bad(&rb_rules, "frame-1-s1.json", "{\"frame\": 1, \"stream_id\": [], " UTC "}",
		 "'stream_id' is an array, expected a string");
	load_bad(&rb_rules, "frame-1-s1.json",
		 "{\"frame\": 1, \"stream_id\": \"../../outside\", " UTC "}",
		 "'stream_id' '../../outside' is not a valid stream id");
	load_bad(&rb_rules, "frame-1-s1.json",
		 "{\"frame\": 1, \"stream_id\": \"s\\u0001\\u001b[31m\", " UTC "}",
		 "'stream_id' 's\\x01\\x1b[31m' is not a valid stream id");
	load_bad(&rb_rules, "frame-1-s1.json",
		 "{\"frame\": 1, \"stream_id\": \"s1\\u0000\", " UTC "}",
		 "'stream_id' 's1\\x00' is not a valid stream id");
	load_bad(&rb_rules, "frame-1-w2-stream-1.json",
		 "{\"frame\": 1, \"stream_id\": \"stream-1\", " UTC "}",
		 "'stream_id' is 'stream-1' but the path says 'w2-stream-1'");
	load_bad(&rb_rules, "frame-1-S1.json", HEAD UTC "}",
		 "'stream_id' is 's1' but the path says 'S1'");

	/* utc: the first present member decides, never a later one */
	load_bad(&rb_rules, "frame-1-s1.json", HEAD "\"x\": []}", NO_UTC);
	load_bad(&rb_rules, "frame-1-s1.json", HEAD "\"_meta\": {}}", NO_UTC);
	load_bad(&rb_rules, "frame-1-s1.json", HEAD "\"_meta\": null}", NO_UTC);
	load_bad(&rb_rules, "frame-1-s1.json", HEAD "\"_meta\": \"2026-03-28T03:00:00Z\"}",
		 NO_UTC);
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD "\"_meta\": [{\"timestamp\": \"2026-03-28T03:00:00Z\"}]}", NO_UTC);
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD "\"utc\": 5e3, \"completed_at\": \"2026-03-28T03:00:00Z\"}",
		 "'utc' is a number, expected an RFC 3339 UTC instant");
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD "\"utc\": 1774666800, \"completed_at\": \"2026-03-28T03:00:00Z\"}",
		 "'utc' is an integer, expected an RFC 3339 UTC instant");
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD "\"utc\": null, \"completed_at\": \"2026-03-28T03:00:00Z\"}",
		 "'utc' is null, expected an RFC 3339 UTC instant");
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD "\"completed_at\": \"<UTC ISO>\", "
		 "\"_meta\": {\"timestamp\": \"2026-03-28T03:00:00Z\"}}",
		 "'completed_at' is not an RFC 3339 UTC instant: '<UTC ISO>'");
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD "\"_meta\": {\"timestamp\": \"2026-03-28 03:00:00\"}}",
		 "'_meta.timestamp' is not an RFC 3339 UTC instant: '2026-03-28 03:00:00'");
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD "\"utc\": \"2026-03-28T03:00:00Z\\u0000\\n\"}",
		 "'utc' is not an RFC 3339 UTC instant: '2026-03-28T03:00:00Z\\x00\\x0a'");
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD "\"_meta\": {\"timestamp\": {}}}",
		 "'_meta.timestamp' is an object, expected an RFC 3339 UTC instant");
	load_good(&rb_rules, "frame-1-s1.json",
		  HEAD "\"completed_at\": \"2026-03-28T03:00:00Z\", "
		  "\"_meta\": {\"timestamp\": \"<UTC ISO>\"}}",
		  "a later utc member is never checked");
	one_utc.utc = utc1;
	one_utc.nutc = 1;
	load_bad(&one_utc, "frame-1-s1.json", HEAD "\"completed_at\": \"2026-03-28T03:00:00Z\"}",
		 "no utc: 'utc' is not present");
	one_utc.nutc = 0;
	load_bad(&one_utc, "frame-1-s1.json", HEAD UTC "}",
		 "no utc: the rules name no utc member");

	load(&d, &rb_rules, "frame-1-s1.json",
	     HEAD "\"_meta\": {\"timestamp\": \"2026-03-28T03:00:00.25Z\"}}");
	tap_ok(d.valid && d.utc_member == rb_rules.utc[2],
	       "a dotted utc member reaches into an object");
	is_int(d.utc.sec, INT64_C(1774666800), "its seconds");
	is_int(d.utc.nsec, 250000000, "its nanoseconds");
	dc_delta_release(&d);

	/* sections */
	load_bad(&rb_rules, "frame-1-s1.json", HEAD UTC ", \"comments_added\": \"oops\"}",
		 "section 'comments_added' is a string, expected an array or an object");
	load_bad(&rb_rules, "frame-1-s1.json", HEAD UTC ", \"posts_created\": null}",
		 "section 'posts_created' is null, expected an array or an object");
	load_bad(&rb_rules, "frame-1-s1.json", HEAD UTC ", \"new_thing\": 3.25}",
		 "section 'new_thing' is a number, expected an array or an object");
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD UTC ", \"posts_created\": 1, \"comments_added\": \"x\"}",
		 "section 'posts_created' is an integer, expected an array or an object");
	load_bad(&rb_rules, "frame-1-s1.json",
		 HEAD UTC ", \"posts_created\\u0000x\": \"s\"}",
		 "section 'posts_created\\x00x' is a string, expected an array or an object");
	load_bad(&rb_rules, "frame-1-s1.json", HEAD UTC ", \"\": true}",
		 "section '' is a boolean, expected an array or an object");
	load_good(&rb_rules, "frame-1-s1.json",
		  HEAD UTC ", \"stream_type\": \"dream_catcher\", \"agents_activated\": 3, "
		  "\"soul_files_updated\": null}",
		  "an ignored section accepts any value");
	load_good(&rb_rules, "frame-1-s1.json",
		  HEAD UTC ", \"_meta\": 5, \"_x\": \"y\", \"completed_at\": 7}",
		  "'_' members and the utc names are not sections");
	load_good(&rb_rules, "frame-1-s1.json",
		  HEAD "\"completed_at\": \"2026-03-28T03:00:00Z\", \"_meta\": null}",
		  "'_meta': null is never checked");

	load(&d, &rb_rules, "frame-1-s1.json",
	     HEAD UTC ", \"zeta\": [], \"posts_created\": [], \"alpha\": {}, \"_y\": 1}");
	tap_ok(d.valid, "unknown sections keep the delta valid");
	is_int(d.nunknown, 2, "two unknown sections");
	if (d.nunknown == 2) {
		is_str(d.unknown[0], "zeta", "unknown sections in document order (1)");
		is_str(d.unknown[1], "alpha", "unknown sections in document order (2)");
	}
	dc_delta_release(&d);

	load(&d, &rb_rules, "frame-1-s1.json",
	     HEAD UTC ", \"zeta\": [], \"posts_created\": 7}");
	tap_ok(!d.valid && d.nunknown == 0 && !d.unknown,
	       "a quarantined delta lists no unknown sections");
	tap_ok(d.doc != NULL, "the document is kept after a late quarantine");
	dc_delta_release(&d);

	/* what a valid delta holds */
	dc_delta_load(&d, "state/stream_deltas/frame-42/w-1.json", "frame-42/w-1.json",
		      "0123456789abcdef0123456789abcdef01234567", full, strlen(full), &rb_rules);
	tap_ok(d.valid, "a full delta is valid (%s)", d.reason);
	is_str(d.path, "state/stream_deltas/frame-42/w-1.json", "path copied");
	is_str(d.oid, "0123456789abcdef0123456789abcdef01234567", "oid copied");
	is_int(d.frame, 42, "frame from the path");
	is_str(d.stream, "w-1", "stream from the path");
	tap_ok(d.utc_member == rb_rules.utc[1], "utc member points into the rules");
	is_int(d.utc.nsec, 500000000, "utc instant");
	tap_ok(d.doc && d.doc->type == DC_JSON_OBJECT, "document kept");
	{
		struct dc_json *const *ev;
		size_t n;
		int64_t num = 0;

		is_int(dc_delta_events(&d, "posts_created", &ev, &n), 0, "events of an array");
		is_int(n, 2, "two posts");
		tap_ok(n == 2 && dc_json_get_int(dc_json_get(ev[1], "number"), &num) && num == 2,
		       "the second post is the second element");
		is_int(dc_delta_events(&d, "observations", &ev, &n), 0, "events of an object");
		tap_ok(n == 1 && ev[0] == dc_json_get(d.doc, "observations"),
		       "an object is its single event");
		is_int(dc_delta_events(&d, "comments_added", &ev, &n), 0, "an empty array");
		is_int(n, 0, "has no events");
		is_int(dc_delta_events(&d, "votes", &ev, &n), -1, "an absent section");
		tap_ok(n == 0 && !ev, "has no events either");
		is_int(dc_delta_events(&d, "stream_type", &ev, &n), -1,
		       "an ignored string section has no events");
	}
	dc_delta_release(&d);

	dc_delta_load(&d, "p", "frame-1-s1.json", NULL, HEAD UTC "}", strlen(HEAD UTC "}"),
		      &rb_rules);
	is_str(d.oid, "", "no oid: empty");
	dc_delta_release(&d);
	dc_delta_release(&d);
	tap_ok(!d.path && !d.doc, "release twice is safe");
}

/* ---- the rappterbook edge corpus ------------------------------------- */

struct expect {
	const char *file;	/* <scenario>/input/stream_deltas/<file> */
	const char *reason;	/* NULL: valid; a trailing '*' matches a prefix */
};

static const struct expect corpus_expect[] = {
	{ "truncated_json/input/stream_deltas/frame-1-stream-1.json", NULL },
	{ "truncated_json/input/stream_deltas/frame-1-stream-2.json", "invalid JSON: *" },
	{ "non_utf8/input/stream_deltas/frame-1-stream-1.json", NULL },
	{ "non_utf8/input/stream_deltas/frame-1-stream-2.json", "invalid JSON: *" },
	{ "top_level_list/input/stream_deltas/frame-1-stream-1.json", NULL },
	{ "top_level_list/input/stream_deltas/frame-1-stream-2.json",
	  "the top-level value is an array, expected an object" },
	{ "path_like_stream_id/input/stream_deltas/frame-1-evil.json",
	  "'stream_id' '../../outside' is not a valid stream id" },
	{ "frame_mismatch_and_string_frame/input/stream_deltas/frame-1-stream-1.json", NULL },
	{ "frame_mismatch_and_string_frame/input/stream_deltas/frame-1-stream-2.json",
	  "'frame' is 2 but the path says 1" },
	{ "frame_mismatch_and_string_frame/input/stream_deltas/frame-1-stream-3.json",
	  "'frame' is a string, expected an integer" },
	{ "llm_placeholder_timestamp/input/stream_deltas/frame-1-stream-1.json",
	  "'completed_at' is not an RFC 3339 UTC instant: '<UTC ISO>'" },
	{ "llm_placeholder_timestamp/input/stream_deltas/frame-1-stream-2.json",
	  "'completed_at' is not an RFC 3339 UTC instant: '<UTC ISO>'" },
	{ "llm_placeholder_timestamp/input/stream_deltas/frame-1-stream-3.json",
	  "'completed_at' is not an RFC 3339 UTC instant: '<UTC ISO>'" },
	{ "meta_null/input/stream_deltas/frame-1-stream-1.json", NULL },
	{ "meta_null/input/stream_deltas/frame-1-stream-2.json", NULL },
	{ "missing_timestamps/input/stream_deltas/frame-1-stream-1.json", NO_UTC },
	{ "missing_timestamps/input/stream_deltas/frame-1-stream-2.json", NO_UTC },
	{ "comments_added_is_string/input/stream_deltas/frame-1-stream-1.json", NULL },
	{ "comments_added_is_string/input/stream_deltas/frame-1-stream-2.json",
	  "section 'comments_added' is a string, expected an array or an object" },
	{ "stream_id_collision_across_workers/input/stream_deltas/frame-1-stream-1.json", NULL },
	{ "stream_id_collision_across_workers/input/stream_deltas/frame-1-w2-stream-1.json",
	  "'stream_id' is 'stream-1' but the path says 'w2-stream-1'" },
};

static int reason_matches(const char *got, const char *want)
{
	size_t n = strlen(want);

	if (!got)
		return 0;
	if (n && want[n - 1] == '*')
		return !strncmp(got, want, n - 1);
	return !strcmp(got, want);
}

static char *read_file(const char *path, size_t *len)
{
	struct dc_buf b = DC_BUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dc_buf_add(&b, chunk, n);
	fclose(f);
	return dc_buf_detach(&b, len);
}

static void test_corpus(void)
{
	const char *dir = getenv("DC_CORPUS") ? getenv("DC_CORPUS") : DEFAULT_CORPUS;
	size_t nexpect = sizeof(corpus_expect) / sizeof(corpus_expect[0]);
	struct dc_buf pattern = DC_BUF_INIT;
	size_t i, j, seen = 0;
	glob_t g;

	dc_buf_addf(&pattern, "%s/*/input/stream_deltas/*", dir);
	if (glob(pattern.buf, 0, NULL, &g)) {
		tap_ok(1, "# SKIP no corpus at '%s' (set DC_CORPUS)", dir);
		dc_buf_release(&pattern);
		return;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *full = g.gl_pathv[i];
		const char *file = full + strlen(dir) + 1;
		const char *rel = strrchr(full, '/') + 1;
		struct dc_delta d = DC_DELTA_INIT;
		struct dc_buf path = DC_BUF_INIT;
		size_t len;
		char *buf = read_file(full, &len);

		if (!tap_ok(buf != NULL, "read '%s'", file))
			continue;
		dc_buf_addf(&path, "state/stream_deltas/%s", rel);
		dc_delta_load(&d, path.buf, rel, NULL, buf, len, &rb_rules);
		tap_diag("%s: %s%s", file, d.valid ? "valid" : "quarantined: ",
			 d.valid ? "" : d.reason);
		for (j = 0; j < d.nunknown; j++)
			tap_diag("  unknown section '%s'", d.unknown[j]);
		for (j = 0; j < nexpect; j++) {
			const struct expect *e = &corpus_expect[j];
			if (strcmp(e->file, file))
				continue;
			seen++;
			if (e->reason)
				tap_ok(!d.valid && reason_matches(d.reason, e->reason),
				       "%s: %s", file, e->reason);
			else
				tap_ok(d.valid && !d.reason, "%s: valid", file);
		}
		dc_delta_release(&d);
		dc_buf_release(&path);
		free(buf);
	}
	is_int(seen, nexpect, "every expected corpus file was found");
	globfree(&g);
	dc_buf_release(&pattern);
}

int main(void)
{
	test_utc();
	test_stream_ids();
	test_paths();
	test_cmp();
	test_load_checks();
	test_corpus();
	return done_testing();
}
