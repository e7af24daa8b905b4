/*
 * Hostile deltas at the engine's level (tests/t6000-hostile.t has them
 * against real git): section names made to cut a report short or reach the
 * terminal, a known section's name with a NUL and a tail, the exact
 * max_delta_bytes and nesting bounds, and numbers no machine type holds.
 */
#include "fold.h"
#include "tap.h"
#include <stdlib.h>

static const char rules_text[] =
	"{\"version\": 1, \"max_delta_bytes\": 300,"
	" \"sections\": {\"events\": {\"op\": \"append\", \"file\": \"e.json\", \"at\": \"/e\"}}}";

static struct dc_rules rules;

/* Load `len` bytes as frame-1-s1.json; the caller releases `d`. */
static void load(struct dc_delta *d, const char *text, size_t len)
{
	dc_delta_load(d, "d/frame-1-s1.json", "frame-1-s1.json", NULL, text, len, &rules);
}

#define HEAD "{\"frame\": 1, \"stream_id\": \"s1\", \"utc\": \"2026-03-28T03:00:00Z\""

static void test_section_names(void)
{
	/* "x<ESC>[2J", "events<NUL>x" and a name holding a quote and a backslash */
	static const char text[] = HEAD ", \"x\\u001b[2J\": [1], \"events\\u0000x\": [{\"n\": 1}],"
		" \"it's\\\\\": {}, \"events\": [{\"n\": 2}]}";
	struct dc_delta d = DC_DELTA_INIT;

	load(&d, text, strlen(text));
	if (!tap_ok(d.valid, "a delta with odd section names is valid")) {
		tap_diag("reason: %s", d.reason);
		goto cleanup;
	}
	is_int(d.nunknown, 3, "three unknown sections");
	is_str(d.nunknown > 0 ? d.unknown[0] : NULL, "x\\x1b[2J",
	       "an escape byte in a name is reported escaped");
	is_str(d.nunknown > 1 ? d.unknown[1] : NULL, "events\\x00x",
	       "a NUL in a name is reported escaped, not as the known 'events'");
	is_str(d.nunknown > 2 ? d.unknown[2] : NULL, "it's\\",
	       "a printable name is reported as it is");
cleanup:
	dc_delta_release(&d);
}

static int read_none(void *data, const char *path, struct dc_buf *out, int *exists,
		     struct dc_err *err)
{
	*exists = 0;
	return 0;
}

static void test_nul_name_not_applied(void)
{
	static const char text[] = HEAD ", \"events\\u0000x\": [{\"n\": 1}], \"events\": [{\"n\": 2}]}";
	struct dc_delta d = DC_DELTA_INIT;
	struct dc_state st = DC_STATE_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_state_file *f;
	struct dc_buf out = DC_BUF_INIT;

	load(&d, text, strlen(text));
	if (!tap_ok(d.valid && !dc_state_init(&st, &rules, read_none, NULL, &err) &&
		    !dc_fold_apply(&st, &d, &err) && !dc_fold_finish(&st, &err),
		    "the delta folds"))
		goto cleanup;
	f = dc_state_file(&st, "e.json", &err);
	if (f && f->doc)
		dc_json_write(&out, f->doc);
	is_str(out.buf, "{\n  \"e\": [\n    {\n      \"n\": 2\n    }\n  ]\n}\n",
	       "only the real 'events' section is applied");
cleanup:
	dc_buf_release(&out);
	dc_err_release(&err);
	dc_state_release(&st);
	dc_delta_release(&d);
}

static void test_size_bound(void)
{
	struct dc_buf text = DC_BUF_INIT;
	struct dc_delta d = DC_DELTA_INIT;

	/* a delta of exactly 300 bytes, the limit, then one byte more */
	dc_buf_adds(&text, HEAD ", \"_pad\": \"");
	while (text.len < 300 - 2)
		dc_buf_addch(&text, 'x');
	dc_buf_adds(&text, "\"}");
	load(&d, text.buf, text.len);
	tap_ok(d.valid, "a delta of max_delta_bytes is valid");
	dc_delta_release(&d);
	load(&d, text.buf, text.len + 1);
	is_str(d.reason, "301 bytes is over max_delta_bytes (300)", "one byte more is refused");
	dc_delta_release(&d);
	/* the bound is checked before the bytes are read at all */
	load(&d, NULL, (size_t)1 << 40);
	is_str(d.reason, "1099511627776 bytes is over max_delta_bytes (300)",
	       "a terabyte is refused without reading it");
	dc_delta_release(&d);
	dc_buf_release(&text);
}

static void test_depth_bound(void)
{
	struct dc_rules big = DC_RULES_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf text = DC_BUF_INIT;
	struct dc_delta d = DC_DELTA_INIT;
	size_t depth;
	static const char big_rules[] = "{\"version\": 1, \"sections\": {}}";

	if (!tap_ok(!dc_rules_parse(&big, big_rules, strlen(big_rules), &err), "rules load"))
		goto cleanup;
	for (depth = 511; depth <= 100000; depth = depth == 512 ? 100000 : depth + 1) {
		size_t i;

		dc_buf_reset(&text);
		dc_buf_adds(&text, HEAD ", \"_x\": ");
		for (i = 1; i < depth; i++)	/* the delta itself is level 1 */
			dc_buf_addch(&text, '[');
		for (i = 1; i < depth; i++)
			dc_buf_addch(&text, ']');
		dc_buf_addch(&text, '}');
		dc_delta_load(&d, "d/frame-1-s1.json", "frame-1-s1.json", NULL, text.buf, text.len,
			      &big);
		if (depth <= 512)
			tap_ok(d.valid, "nesting %zu levels deep is valid", depth);
		else
			tap_ok(!d.valid && d.reason && strstr(d.reason, "nesting deeper than 512 levels"),
			       "nesting %zu levels deep is quarantined: %s", depth,
			       d.reason ? d.reason : "(valid)");
		dc_delta_release(&d);
	}
cleanup:
	dc_rules_release(&big);
	dc_err_release(&err);
	dc_buf_release(&text);
}

static void test_numbers(void)
{
	static const char text[] = HEAD ", \"events\": [{\"a\": 123456789012345678901234567890,"
		" \"b\": 1e400, \"c\": -4.9e-400, \"d\": 0.1000000000000000055511151231257827,"
		" \"e\": -9223372036854775809, \"f\": 1E+2}]}";
	struct dc_delta d = DC_DELTA_INIT;
	struct dc_buf out = DC_BUF_INIT;
	struct dc_json *const *ev;
	size_t n;

	load(&d, text, strlen(text));
	if (!tap_ok(d.valid && !dc_delta_events(&d, "events", &ev, &n) && n == 1,
		    "a delta with numbers beyond int64 and double is valid"))
		goto cleanup;
	dc_json_write_compact(&out, ev[0]);
	is_str(out.buf, "{\"a\":123456789012345678901234567890,\"b\":1e400,\"c\":-4.9e-400,"
	       "\"d\":0.1000000000000000055511151231257827,\"e\":-9223372036854775809,\"f\":1E+2}",
	       "every number is written back verbatim");
cleanup:
	dc_buf_release(&out);
	dc_delta_release(&d);
}

int main(void)
{
	struct dc_err err = DC_ERR_INIT;

	if (dc_rules_parse(&rules, rules_text, strlen(rules_text), &err)) {
		tap_ok(0, "the rules load: %s", err.msg.buf);
		return done_testing();
	}
	test_section_names();
	test_nul_name_not_applied();
	test_size_bound();
	test_depth_bound();
	test_numbers();
	dc_rules_release(&rules);
	dc_err_release(&err);
	return done_testing();
}
