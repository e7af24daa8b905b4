#include "jdiff.h"
#include "tap.h"
#include <stdlib.h>

static struct dc_json *parse(const char *in)
{
	struct dc_err err = DC_ERR_INIT;
	struct dc_json *v = NULL;

	if (!in)
		return NULL;
	if (dc_json_parse(&v, in, strlen(in), NULL, &err)) {
		tap_diag("cannot parse '%s': %s", in, err.msg.buf);
		v = dc_json_new(DC_JSON_NULL);
	}
	dc_err_release(&err);
	return v;
}

/* The changes from a to b, one per line: "<kind> <pointer> <old> -> <new>". */
static char *diff(const char *a, const char *b, size_t max, size_t *total)
{
	struct dc_json *va = parse(a), *vb = parse(b);
	struct dc_jdiff d = DC_JDIFF_INIT;
	struct dc_buf out = DC_BUF_INIT;
	size_t i;

	dc_jdiff(&d, va, vb, max);
	for (i = 0; i < d.n; i++) {
		dc_buf_addf(&out, "%s%s '%s' ", i ? "\n" : "", dc_jdiff_kind_name(d.v[i].kind),
			    d.v[i].pointer);
		dc_jdiff_show(&out, d.v[i].old, 0);
		dc_buf_adds(&out, " -> ");
		dc_jdiff_show(&out, d.v[i].new, 0);
	}
	if (total)
		*total = d.total;
	dc_jdiff_release(&d);
	dc_json_free(va);
	dc_json_free(vb);
	return dc_buf_detach(&out, NULL);
}

static void check(const char *a, const char *b, const char *want, const char *name)
{
	char *got = diff(a, b, 0, NULL);
	is_str(got, want, "%s", name);
	free(got);
}

static void test_values(void)
{
	check("{\"a\": 1}", "{\"a\": 1}", "", "equal objects: no change");
	check("{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"a\": 1}", "",
	      "member order does not matter");
	check("[1, 2.0]", "[1.0, 2]", "", "numbers compare as values");
	check("\"x\"", "\"y\"", "changed '' \"x\" -> \"y\"", "a scalar at the root");
	check("{\"n\": \"280\"}", "{\"n\": 280}", "changed '/n' \"280\" -> 280",
	      "a string and a number differ");
	check("{\"a\": {\"b\": [1, 2]}}", "{\"a\": []}",
	      "changed '/a' {\"b\":[1,2]} -> []", "different types: one change");
	check(NULL, "{\"a\": 1}", "added '' absent -> {\"a\":1}", "a file that appears");
	check("[1]", NULL, "removed '' [1] -> absent", "a file that goes");
	check(NULL, NULL, "", "absent on both sides");
}

static void test_entities(void)
{
	check("{\"agents\": {\"a-1\": {\"bio\": \"x\", \"mood\": \"calm\"}}}",
	      "{\"agents\": {\"a-1\": {\"bio\": \"y\", \"mood\": \"calm\", \"focus\": \"art\"},"
	      " \"a-2\": {\"bio\": \"z\"}}}",
	      "changed '/agents/a-1/bio' \"x\" -> \"y\"\n"
	      "added '/agents/a-1/focus' absent -> \"art\"\n"
	      "added '/agents/a-2' absent -> {\"bio\":\"z\"}",
	      "fields of an entity, then a new entity as one change");
	check("{\"a\": 1, \"b\": 2, \"c\": 3}", "{\"c\": 3, \"d\": 4}",
	      "removed '/a' 1 -> absent\nremoved '/b' 2 -> absent\nadded '/d' absent -> 4",
	      "removed members in the old order, then added ones in the new order");
	check("{\"posts\": [{\"n\": 1, \"t\": \"a\"}]}",
	      "{\"posts\": [{\"n\": 1, \"t\": \"b\"}, {\"n\": 2}, {\"n\": 3}]}",
	      "changed '/posts/0/t' \"a\" -> \"b\"\n"
	      "added '/posts/1' absent -> {\"n\":2}\nadded '/posts/2' absent -> {\"n\":3}",
	      "array elements by index, new ones past the end");
	check("[1, 2, 3]", "[1]", "removed '/1' 2 -> absent\nremoved '/2' 3 -> absent",
	      "a shorter array");
	check("{\"a/b\": {\"c~d\": 1}}", "{\"a/b\": {\"c~d\": 2}}",
	      "changed '/a~1b/c~0d' 1 -> 2", "keys are escaped in pointers");
	check("{\"\": 1}", "{\"\": 2}", "changed '/' 1 -> 2", "the empty key");
}

static void test_max(void)
{
	size_t total = 0;
	char *got = diff("[1, 2, 3, 4]", "[5, 6, 7, 8]", 1, &total);

	is_str(got, "changed '/0' 1 -> 5", "max keeps the first change only");
	is_int(total, 4, "total still counts every change");
	free(got);
	got = diff("{\"a\": {\"b\": 1}}", "{\"a\": {\"b\": 1}}", 1, &total);
	is_int(total, 0, "equal values: total 0");
	free(got);
}

static void test_show(void)
{
	struct dc_json *v = parse("{\"bio\": \"\xc3\xa9\xc3\xa9\xc3\xa9\"}");
	struct dc_buf b = DC_BUF_INIT;

	dc_jdiff_show(&b, v, 10);
	is_str(b.buf, "{\"bio\":\"\xc3\xa9...", "a cut never splits a UTF-8 character");
	dc_buf_reset(&b);
	dc_jdiff_show(&b, v, 0);
	is_str(b.buf, "{\"bio\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}", "no limit: the whole value");
	dc_buf_reset(&b);
	dc_jdiff_show(&b, NULL, 0);
	is_str(b.buf, "absent", "an absent value");
	dc_buf_reset(&b);
	dc_json_pointer_append(&b, "x/~y", 4);
	is_str(b.buf, "/x~1~0y", "a token escaped for a pointer");
	dc_buf_release(&b);
	dc_json_free(v);
}

int main(void)
{
	test_values();
	test_entities();
	test_max();
	test_show();
	return done_testing();
}
