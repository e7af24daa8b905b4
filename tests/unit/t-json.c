#include "json.h"
#include "tap.h"
#include <stdlib.h>

/* Parse `len` bytes and return the canonical text, or "error: <message>". */
static char *canon(const char *in, size_t len, size_t max_depth)
{
	struct dc_json_parse_opts opts = DC_JSON_PARSE_OPTS_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf out = DC_BUF_INIT;
	struct dc_json *v;

	opts.max_depth = max_depth;
	if (dc_json_parse(&v, in, len, &opts, &err)) {
		dc_buf_addf(&out, "error: %s", err.msg.buf);
		if (err.code != DC_ERR_REFUSED || v)
			dc_buf_adds(&out, " (wrong code or value)");
	} else {
		dc_json_write(&out, v);
	}
	dc_json_free(v);
	dc_err_release(&err);
	return dc_buf_detach(&out, NULL);
}

static void check_write(const char *in, const char *want, const char *name)
{
	char *got = canon(in, strlen(in), 0);
	is_str(got, want, "write: %s", name);
	free(got);
}

/* Refusals are given with their length, so they may hold NUL bytes. */
#define REFUSE(lit, msg) check_refuse(lit, sizeof(lit) - 1, msg)
static void check_refuse(const char *in, size_t len, const char *msg)
{
	struct dc_buf want = DC_BUF_INIT, name = DC_BUF_INIT;
	char *got = canon(in, len, 0);

	dc_buf_addf(&want, "error: %s", msg);
	dc_buf_addquoted(&name, in, len, 40);
	is_str(got, want.buf, "refuse %s", name.buf);
	free(got);
	dc_buf_release(&want);
	dc_buf_release(&name);
}

static struct dc_json *parse(const char *in)
{
	struct dc_err err = DC_ERR_INIT;
	struct dc_json *v;

	if (dc_json_parse(&v, in, strlen(in), NULL, &err)) {
		tap_diag("cannot parse '%s': %s", in, err.msg.buf);
		v = dc_json_new(DC_JSON_NULL);
	}
	dc_err_release(&err);
	return v;
}

/* keystr and equal must agree with each other and with `want`. */
static void check_same(const char *a, const char *b, int want)
{
	struct dc_json *x = parse(a), *y = parse(b);
	struct dc_buf kx = DC_BUF_INIT, ky = DC_BUF_INIT;

	dc_json_keystr(&kx, x);
	dc_json_keystr(&ky, y);
	is_int(kx.len == ky.len && !memcmp(kx.buf, ky.buf, kx.len), want,
	       "keystr: %s %s %s", a, want ? "==" : "!=", b);
	is_int(dc_json_equal(x, y), want, "equal: %s %s %s", a, want ? "==" : "!=", b);
	dc_json_free(x);
	dc_json_free(y);
	dc_buf_release(&kx);
	dc_buf_release(&ky);
}

static char *compact(const struct dc_json *v)
{
	struct dc_buf b = DC_BUF_INIT;
	dc_json_write_compact(&b, v);
	return dc_buf_detach(&b, NULL);
}

static void test_write(void)
{
	struct dc_buf b = DC_BUF_INIT;
	struct dc_json *v;
	char *s;

	check_write("{\"a\":1,\"b\":[true,false,null],\"c\":{},\"d\":[],\"e\":\"x\"}",
		    "{\n"
		    "  \"a\": 1,\n"
		    "  \"b\": [\n"
		    "    true,\n"
		    "    false,\n"
		    "    null\n"
		    "  ],\n"
		    "  \"c\": {},\n"
		    "  \"d\": [],\n"
		    "  \"e\": \"x\"\n"
		    "}\n", "layout");
	check_write(" [1.0, 1E5, -0, 12345678901234567890123456789, 1e-7, 0.10000000000000001] ",
		    "[\n"
		    "  1.0,\n"
		    "  1E5,\n"
		    "  -0,\n"
		    "  12345678901234567890123456789,\n"
		    "  1e-7,\n"
		    "  0.10000000000000001\n"
		    "]\n", "numbers verbatim");
	check_write("{\"s\": \"q\\\" b\\\\ s\\/ \\u0000\\u001f\\b\\f\\n\\r\\t\\u007f "
		    "\\u00e9\\u20ac\\ud834\\udd1e\\u2028\", "
		    "\"e\": [[], {}, [[]], [{}]], \"t\": [true, false, null], \"\": \"\"}",
		    /* python3 json.dump(indent=2, ensure_ascii=False) + "\n" */
		    "{\n"
		    "  \"s\": \"q\\\" b\\\\ s/ \\u0000\\u001f\\b\\f\\n\\r\\t\x7f "
		    "\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e\xe2\x80\xa8\",\n"
		    "  \"e\": [\n"
		    "    [],\n"
		    "    {},\n"
		    "    [\n"
		    "      []\n"
		    "    ],\n"
		    "    [\n"
		    "      {}\n"
		    "    ]\n"
		    "  ],\n"
		    "  \"t\": [\n"
		    "    true,\n"
		    "    false,\n"
		    "    null\n"
		    "  ],\n"
		    "  \"\": \"\"\n"
		    "}\n", "escapes and empty containers");
	check_write("\"x\"", "\"x\"\n", "scalar root");
	check_write("[]", "[]\n", "empty root");

	/* corpus: chapters_library/input/state/channels.json, one-line input */
	check_write("{\"channels\": {\"general\": {\"slug\": \"general\", \"post_count\": 1, "
		    "\"verified\": true}, \"philosophy\": {\"slug\": \"philosophy\", "
		    "\"post_count\": 1, \"verified\": true}, \"stories\": {\"slug\": "
		    "\"stories\", \"post_count\": 1, \"verified\": true}}, \"_meta\": "
		    "{\"count\": 3, \"last_updated\": \"2026-03-27T00:00:00Z\"}}",
		    "{\n"
		    "  \"channels\": {\n"
		    "    \"general\": {\n"
		    "      \"slug\": \"general\",\n"
		    "      \"post_count\": 1,\n"
		    "      \"verified\": true\n"
		    "    },\n"
		    "    \"philosophy\": {\n"
		    "      \"slug\": \"philosophy\",\n"
		    "      \"post_count\": 1,\n"
		    "      \"verified\": true\n"
		    "    },\n"
		    "    \"stories\": {\n"
		    "      \"slug\": \"stories\",\n"
		    "      \"post_count\": 1,\n"
		    "      \"verified\": true\n"
		    "    }\n"
		    "  },\n"
		    "  \"_meta\": {\n"
		    "    \"count\": 3,\n"
		    "    \"last_updated\": \"2026-03-27T00:00:00Z\"\n"
		    "  }\n"
		    "}\n", "corpus channels.json");
	/* corpus: chapters_library/input/state/book_catalog.json, canonical input stays */
	check_write("{\n"
		    "  \"_meta\": {\n"
		    "    \"total_books\": 0,\n"
		    "    \"last_updated\": \"2026-03-27T00:00:00Z\"\n"
		    "  },\n"
		    "  \"books\": []\n"
		    "}\n",
		    "{\n"
		    "  \"_meta\": {\n"
		    "    \"total_books\": 0,\n"
		    "    \"last_updated\": \"2026-03-27T00:00:00Z\"\n"
		    "  },\n"
		    "  \"books\": []\n"
		    "}\n", "corpus book_catalog.json");

	v = parse("{\"a\": [1, {\"b\": \"\\u00e9\\n\"}, []], \"c\": {}}");
	s = compact(v);
	is_str(s, "{\"a\":[1,{\"b\":\"\xc3\xa9\\n\"},[]],\"c\":{}}", "write_compact");
	free(s);
	dc_json_free(v);

	dc_json_write_string(&b, "a\0b\x01\x1f\x7f\"\\", 8);
	is_str(b.buf, "\"a\\u0000b\\u0001\\u001f\x7f\\\"\\\\\"", "write_string with NUL");
	dc_buf_release(&b);

	v = parse("\"a\\u0000b\"");
	is_int(v->type == DC_JSON_STRING && v->u.str.len == 3 && !memcmp(v->u.str.s, "a\0b", 4),
	       1, "U+0000 kept in a string with its length");
	dc_json_free(v);
	v = parse("{\"k\\u0000\": 1}");
	is_int(v->u.obj.m[0].keylen, 2, "U+0000 kept in a key");
	is_int(dc_json_getn(v, "k\0", 2) != NULL, 1, "key with NUL found by getn");
	dc_json_free(v);
}

static void test_refuse(void)
{
	REFUSE("", "line 1, column 1: empty input");
	REFUSE(" \n ", "line 2, column 2: empty input");
	REFUSE("[1, 2", "line 1, column 6: unexpected end of input");
	REFUSE("{\"a\": 1,\n\"b\"", "line 2, column 4: unexpected end of input");
	REFUSE("\"abc", "line 1, column 5: unexpected end of input");
	REFUSE("[1] x", "line 1, column 5: unexpected 'x' after the value");
	REFUSE("{} {}", "line 1, column 4: unexpected '{' after the value");
	REFUSE("[1]\0", "line 1, column 4: unexpected '\\x00' after the value");
	REFUSE("NaN", "line 1, column 1: invalid literal 'NaN'");
	REFUSE("[Infinity]", "line 1, column 2: invalid literal 'Infinity'");
	REFUSE("-Infinity", "line 1, column 1: invalid number '-Infinity'");
	REFUSE("nul", "line 1, column 1: invalid literal 'nul'");
	REFUSE("True", "line 1, column 1: invalid literal 'True'");
	REFUSE("[truex]", "line 1, column 2: invalid literal 'truex'");
	REFUSE("01", "line 1, column 1: invalid number '01'");
	REFUSE("-01", "line 1, column 1: invalid number '-01'");
	REFUSE("+1", "line 1, column 1: invalid number '+1'");
	REFUSE(".5", "line 1, column 1: invalid number '.5'");
	REFUSE("1.", "line 1, column 1: invalid number '1.'");
	REFUSE("[1.e5]", "line 1, column 2: invalid number '1.e5'");
	REFUSE("1e+", "line 1, column 1: invalid number '1e+'");
	REFUSE("-", "line 1, column 1: invalid number '-'");
	REFUSE("1.5.2", "line 1, column 1: invalid number '1.5.2'");
	REFUSE("[1,]", "line 1, column 3: trailing comma");
	REFUSE("{\"a\": 1,\n}", "line 1, column 8: trailing comma");
	REFUSE("[1 // c\n]", "line 1, column 4: comments are not allowed");
	REFUSE("/* c */ 1", "line 1, column 1: comments are not allowed");
	REFUSE("{'a': 1}", "line 1, column 2: single-quoted strings are not allowed");
	REFUSE("['a']", "line 1, column 2: single-quoted strings are not allowed");
	REFUSE("\"a\nb\"", "line 1, column 3: unescaped control character '\\x0a' in string");
	REFUSE("[\"\t\"]", "line 1, column 3: unescaped control character '\\x09' in string");
	REFUSE("\"\\x\"", "line 1, column 2: invalid escape '\\x'");
	REFUSE("\"\\u12G4\"", "line 1, column 2: invalid \\u escape");
	REFUSE("\f1", "line 1, column 1: unexpected character '\\x0c'");
	REFUSE("\xc2\xa0" "1", "line 1, column 1: unexpected character '\xc2\xa0' (U+00A0)");
	REFUSE("[1 2]", "line 1, column 4: expected ',' or ']', got '2'");
	REFUSE("[1}", "line 1, column 3: expected ',' or ']', got '}'");
	REFUSE("{\"a\" 1}", "line 1, column 6: expected ':' after the key, got '1'");
	REFUSE("{\"a\": 1 \"b\": 2}", "line 1, column 9: expected ',' or '}', got '\"'");
	REFUSE("{1: 2}", "line 1, column 2: expected a key in double quotes, got '1'");
	REFUSE("\xef\xbb\xbf{}", "line 1, column 1: unexpected byte order mark");

	/* UTF-8, in strings and outside them */
	REFUSE("\"\xc0\xaf\"", "byte 2 (line 1, column 2): invalid UTF-8");
	REFUSE("\"\xed\xa0\x80\"", "byte 2 (line 1, column 2): invalid UTF-8");
	REFUSE("\"\xf4\x90\x80\x80\"", "byte 2 (line 1, column 2): invalid UTF-8");
	REFUSE("\"\xe0\x80\xaf\"", "byte 2 (line 1, column 2): invalid UTF-8");
	REFUSE("\"\xf0\x80\x80\xaf\"", "byte 2 (line 1, column 2): invalid UTF-8");
	REFUSE("\"\xe2\x82\"", "byte 2 (line 1, column 2): invalid UTF-8");
	REFUSE("[\"\xc3\xa9\xe2\x82", "byte 5 (line 1, column 4): invalid UTF-8");
	REFUSE("\"\x80\"", "byte 2 (line 1, column 2): invalid UTF-8");
	REFUSE("\"\xff\"", "byte 2 (line 1, column 2): invalid UTF-8");
	REFUSE("{\n  \"\xc3\xa9\": \xff}", "byte 11 (line 2, column 8): invalid UTF-8");
	REFUSE("\"\\ud800\"", "line 1, column 2: unpaired surrogate '\\ud800'");
	REFUSE("\"\\udc00\"", "line 1, column 2: unpaired surrogate '\\udc00'");
	REFUSE("\"a\\ud800\\u0041\"", "line 1, column 3: unpaired surrogate '\\ud800'");

	REFUSE("{\"a\": 1, \"b\": 2, \"a\": 3}", "line 1, column 18: duplicate key 'a'");
	REFUSE("{\"n\xc3\xa9\": 1,\n  \"n\xc3\xa9\": 2}", "line 2, column 3: duplicate key 'n\xc3\xa9'");
	REFUSE("{\"\\u0000\": 1, \"\\u0000\": 2}", "line 1, column 15: duplicate key '\\x00'");
	REFUSE("{\"it's\": 1, \"it's\": 2}", "line 1, column 13: duplicate key 'it\\'s'");
}

static void test_depth(void)
{
	size_t n = 100000, i;
	struct dc_json_parse_opts opts = DC_JSON_PARSE_OPTS_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf b = DC_BUF_INIT, k = DC_BUF_INIT;
	struct dc_json *v, *c;
	char *deep = malloc(2 * n + 1), *s;

	for (i = 0; i < n; i++) {
		deep[i] = '[';
		deep[2 * n - 1 - i] = ']';
	}
	deep[2 * n] = '\0';
	/* deep + n - 512 is 512 levels: "[[...]]" */
	s = canon(deep + n - 512, 2 * 512, 0);
	is_int(strncmp(s, "[\n  [\n    [", 10), 0, "512 levels accepted by default");
	free(s);
	s = canon(deep + n - 513, 2 * 513, 0);
	is_str(s, "error: line 1, column 513: nesting deeper than 512 levels",
	       "513 levels refused by default");
	free(s);
	s = canon(deep, 2 * n, 0);
	is_str(s, "error: line 1, column 513: nesting deeper than 512 levels",
	       "100000-deep nesting refused");
	free(s);
	s = canon("[[[]]]", 6, 2);
	is_str(s, "error: line 1, column 3: nesting deeper than 2 levels", "max_depth 2");
	free(s);
	s = canon("{\"a\": [1]}", 10, 2);
	is_str(s, "{\n  \"a\": [\n    1\n  ]\n}\n", "max_depth 2 allows two levels");
	free(s);

	/* nothing recurses: parse, write, compare, clone and free 100000 levels */
	opts.max_depth = n;
	is_int(dc_json_parse(&v, deep, 2 * n, &opts, &err), 0, "100000 levels with max_depth 100000");
	dc_json_write_compact(&b, v);
	is_int(b.len == 2 * n && !memcmp(b.buf, deep, 2 * n), 1, "deep compact write");
	c = dc_json_clone(v);
	is_int(dc_json_equal(v, c), 1, "deep clone equal");
	dc_json_keystr(&k, c);
	is_int(k.len, 2 * n, "deep keystr");
	dc_json_free(v);
	dc_json_free(c);
	dc_buf_release(&b);
	dc_buf_release(&k);
	dc_err_release(&err);
	free(deep);
}

static void test_keystr(void)
{
	check_same("1", "1.0", 1);
	check_same("1", "10e-1", 1);
	check_same("1", "0.1e1", 1);
	check_same("1", "1E0", 1);
	check_same("100", "1e2", 1);
	check_same("100", "1E+2", 1);
	check_same("0.00123", "123e-5", 1);
	check_same("0", "-0", 1);
	check_same("0", "0.000e-99999999999999999999999", 1);
	check_same("-1.5", "-15e-1", 1);
	check_same("1", "-1", 0);
	check_same("1", "1.0000000000000000000000001", 0);
	check_same("12345678901234567890123456789", "12345678901234567890123456788", 0);
	check_same("12345678901234567890123456789", "1.2345678901234567890123456789e28", 1);
	check_same("1e99999999999999999999", "10e99999999999999999998", 1);
	check_same("1e99999999999999999999", "1e99999999999999999998", 0);
	check_same("1e-99999999999999999999", "0.1e-99999999999999999998", 1);
	check_same("1e-99999999999999999999", "1e-99999999999999999998", 0);
	check_same("1e1000000000000000000", "1000e999999999999999997", 1);
	check_same("1e-1000000000000000000", "0.001e-999999999999999997", 1);
	check_same("1e9223372036854775807", "10e9223372036854775807", 0);
	check_same("\"280\"", "280", 0);
	check_same("\"a\"", "\"a\"", 1);
	check_same("\"a\\u0000\"", "\"a\"", 0);
	check_same("null", "false", 0);
	check_same("true", "false", 0);
	check_same("[]", "{}", 0);
	check_same("[\"\"]", "[]", 0);
	check_same("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", 1);
	check_same("{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":3}", 0);
	check_same("{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":2}", 0);
	check_same("{\"a\":1}", "{\"a\":1,\"b\":2}", 0);
	check_same("{\"ab\":\"c\"}", "{\"a\":\"bc\"}", 0);
	check_same("[1,2]", "[2,1]", 0);
	check_same("[1,[2]]", "[1.0,[2e0]]", 1);
	check_same("[[1],2]", "[[1,2]]", 0);
	check_same("{\"a\":{\"x\":[1,{\"y\":null}],\"z\":true}}",
		   "{\"a\":{\"z\":true,\"x\":[1.00,{\"y\":null}]}}", 1);
}

static void test_members(void)
{
	struct dc_json *o = dc_json_new(DC_JSON_OBJECT), *c;
	struct dc_buf b = DC_BUF_INIT;
	char key[32];
	int i, ok;
	int64_t n;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		dc_json_set(o, key, strlen(key), dc_json_new_int(i));
	}
	is_int(o->u.obj.n, 1000, "1000 members");
	ok = 1;
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ok &= dc_json_find(o, key, strlen(key)) == i;
		ok &= dc_json_get_int(dc_json_get(o, key), &n) && n == i;
	}
	is_int(ok, 1, "every member found at its place");
	is_int(dc_json_find(o, "k1000", 5), -1, "absent key");

	/* replacing keeps the place; removing keeps the order of the rest */
	dc_json_set(o, "k500", 4, dc_json_new_string("x", 1));
	is_int(dc_json_find(o, "k500", 4), 500, "set on an existing key keeps its place");
	is_str(dc_json_get(o, "k500")->u.str.s, "x", "set replaced the value");
	for (i = 0; i < 1000; i += 2) {
		snprintf(key, sizeof(key), "k%d", i);
		dc_json_remove(o, key, strlen(key));
	}
	is_int(dc_json_remove(o, "k0", 2), 0, "remove of an absent key");
	is_int(o->u.obj.n, 500, "500 members left");
	ok = 1;
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ok &= dc_json_find(o, key, strlen(key)) == (i % 2 ? i / 2 : -1);
		if (i % 2)
			ok &= !strcmp(o->u.obj.m[i / 2].key, key);
	}
	is_int(ok, 1, "order and index right after removals");
	dc_json_set(o, "k0", 2, dc_json_new(DC_JSON_NULL));
	is_int(dc_json_find(o, "k0", 2), 500, "a new member goes last");
	while (o->u.obj.n > 3)
		dc_json_remove(o, o->u.obj.m[0].key, o->u.obj.m[0].keylen);
	is_str(o->u.obj.m[0].key, "k997", "removing from the front");
	is_int(dc_json_find(o, "k999", 4), 1, "index follows the front removals");
	is_int(dc_json_find(o, "k0", 2), 2, "new member still last");

	c = dc_json_clone(o);
	dc_json_set(c, "k997", 4, dc_json_new_int(7));
	is_int(dc_json_equal(o, c), 0, "clone is independent");
	dc_json_write_compact(&b, o);
	is_str(b.buf, "{\"k997\":997,\"k999\":999,\"k0\":null}", "remaining members");
	dc_buf_release(&b);
	dc_json_free(c);
	dc_json_free(o);

	/* a parsed big object: duplicates found through the index */
	dc_buf_addch(&b, '{');
	for (i = 0; i < 1000; i++)
		dc_buf_addf(&b, "\"m%d\": %d, ", i, i);
	dc_buf_adds(&b, "\"m999\": 0}");
	{
		char *s = canon(b.buf, b.len, 0);
		is_str(s, "error: line 1, column 12782: duplicate key 'm999'",
		       "duplicate key in a 1000-member object");
		free(s);
	}
	dc_buf_release(&b);
}

static void test_array(void)
{
	struct dc_json *a = dc_json_new(DC_JSON_ARRAY);
	char *s;
	int i;

	for (i = 0; i < 5; i++)
		dc_json_push(a, dc_json_new_int(i));
	dc_json_array_remove(a, 0);
	dc_json_array_remove(a, 2);
	dc_json_push(a, dc_json_new_number("-1.5e3", 6));
	s = compact(a);
	is_str(s, "[1,2,4,-1.5e3]", "push and array_remove");
	free(s);
	dc_json_free(a);
}

static void test_pointer(void)
{
	struct dc_json *v = parse("{\"a\": [10, {\"b/c\": 1, \"d~e\": 2, \"\": 3}], \"x\": 5}");
	struct dc_err err = DC_ERR_INIT;
	struct dc_json *p;
	char *s;
	int64_t n;

	is_int(dc_json_pointer(v, "", 0, DC_JSON_NULL, NULL) == v, 1, "'' is the root");
	is_int(dc_json_get_int(dc_json_pointer(v, "/a/0", 0, DC_JSON_NULL, NULL), &n) && n == 10,
	       1, "/a/0");
	is_int(dc_json_get_int(dc_json_pointer(v, "/a/1/b~1c", 0, DC_JSON_NULL, NULL), &n) && n == 1,
	       1, "~1 is '/'");
	is_int(dc_json_get_int(dc_json_pointer(v, "/a/1/d~0e", 0, DC_JSON_NULL, NULL), &n) && n == 2,
	       1, "~0 is '~'");
	is_int(dc_json_get_int(dc_json_pointer(v, "/a/1/", 0, DC_JSON_NULL, NULL), &n) && n == 3,
	       1, "empty key");
	is_int(dc_json_pointer(v, "/a/01", 0, DC_JSON_NULL, NULL) == NULL, 1, "leading zero index");
	is_int(dc_json_pointer(v, "/a/2", 0, DC_JSON_NULL, NULL) == NULL, 1, "index out of range");
	is_int(dc_json_pointer(v, "/a/-", 0, DC_JSON_NULL, NULL) == NULL, 1, "'-' not supported");
	is_int(dc_json_pointer(v, "/x/y", 0, DC_JSON_NULL, NULL) == NULL, 1, "through a number");
	is_int(dc_json_pointer(v, "/nope", 0, DC_JSON_NULL, &err) == NULL && !err.msg.len,
	       1, "missing member, no error");
	is_int(dc_json_pointer(v, "a", 0, DC_JSON_NULL, &err) == NULL, 1, "no leading '/'");
	is_str(err.msg.buf, "invalid JSON pointer 'a': it must be empty or start with '/'",
	       "message for no leading '/'");
	is_int(dc_json_pointer_check("/a~2", &err), -1, "bad ~ escape");
	is_str(err.msg.buf, "invalid JSON pointer '/a~2': '~' must be followed by '0' or '1'",
	       "message for a bad ~ escape");
	is_int(dc_json_pointer_check("/a~", NULL), -1, "~ at the end");
	is_int(dc_json_pointer_check("/a~0/~1", NULL), 0, "well-formed pointer");

	p = dc_json_pointer(v, "/n/m~1o/posts", 1, DC_JSON_ARRAY, NULL);
	is_int(p && p->type == DC_JSON_ARRAY, 1, "create makes the leaf");
	is_int(dc_json_pointer(v, "/n/m~1o/posts", 0, DC_JSON_NULL, NULL) == p, 1,
	       "created path resolves");
	is_int(dc_json_pointer(v, "/a/1/new", 1, DC_JSON_OBJECT, NULL) != NULL, 1,
	       "create under an existing array element");
	is_int(dc_json_pointer(v, "/a/5/new", 1, DC_JSON_OBJECT, NULL) == NULL, 1,
	       "create does not make array elements");
	is_int(dc_json_pointer(v, "/x/new", 1, DC_JSON_OBJECT, NULL) == NULL, 1,
	       "create does not go through a number");
	is_int(dc_json_pointer(v, "/x", 1, DC_JSON_OBJECT, NULL)->type, DC_JSON_NUMBER,
	       "create returns an existing leaf as it is");
	s = compact(v);
	is_str(s, "{\"a\":[10,{\"b/c\":1,\"d~e\":2,\"\":3,\"new\":{}}],\"x\":5,"
	       "\"n\":{\"m/o\":{\"posts\":[]}}}", "document after creation");
	free(s);
	dc_err_release(&err);
	dc_json_free(v);
}

static void test_numbers(void)
{
	struct dc_json *v = parse("[1, -0, 1.0, 1e2, 9223372036854775807, -9223372036854775808, "
				  "9223372036854775808, -9223372036854775809, \"1\", null, true, "
				  "{}, []]");
	struct dc_json **e = v->u.arr.v;
	struct dc_json *w;
	int64_t n = 42;
	char *s;

	is_int(dc_json_get_int(e[0], &n) && n == 1, 1, "get_int 1");
	is_int(dc_json_get_int(e[1], &n) && n == 0, 1, "get_int -0");
	is_int(dc_json_get_int(e[2], &n), 0, "1.0 is not an integer literal");
	is_int(dc_json_get_int(e[3], &n), 0, "1e2 is not an integer literal");
	is_int(dc_json_get_int(e[4], &n) && n == INT64_MAX, 1, "get_int INT64_MAX");
	is_int(dc_json_get_int(e[5], &n) && n == INT64_MIN, 1, "get_int INT64_MIN");
	is_int(dc_json_get_int(e[6], &n), 0, "INT64_MAX + 1 does not fit");
	is_int(dc_json_get_int(e[7], &n), 0, "INT64_MIN - 1 does not fit");
	is_int(dc_json_get_int(e[8], &n), 0, "a string is not an integer");

	is_str(dc_json_describe(e[0]), "an integer", "describe 1");
	is_str(dc_json_describe(e[6]), "an integer", "describe a big integer literal");
	is_str(dc_json_describe(e[2]), "a number", "describe 1.0");
	is_str(dc_json_describe(e[3]), "a number", "describe 1e2");
	is_str(dc_json_describe(e[8]), "a string", "describe a string");
	is_str(dc_json_describe(e[9]), "null", "describe null");
	is_str(dc_json_describe(e[10]), "a boolean", "describe true");
	is_str(dc_json_describe(e[11]), "an object", "describe an object");
	is_str(dc_json_describe(e[12]), "an array", "describe an array");
	dc_json_free(v);

	w = dc_json_new(DC_JSON_ARRAY);
	dc_json_push(w, dc_json_new_int(INT64_MIN));
	dc_json_push(w, dc_json_new_int(0));
	dc_json_push(w, dc_json_new_string("a\"", 2));
	s = compact(w);
	is_str(s, "[-9223372036854775808,0,\"a\\\"\"]", "new_int and new_string");
	free(s);
	dc_json_free(w);
}

int main(void)
{
	test_write();
	test_refuse();
	test_depth();
	test_keystr();
	test_members();
	test_array();
	test_pointer();
	test_numbers();
	return done_testing();
}
