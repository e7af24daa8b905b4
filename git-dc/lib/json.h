#ifndef DC_JSON_H
#define DC_JSON_H
/*
 * The engine's own JSON values: a strict parser, the canonical writer, and
 * the comparisons the fold needs.
 *
 * Why not json-c here: canonical files must keep numbers exactly as they were
 * written (json-c re-rounds doubles and clamps big integers), duplicate keys
 * must be refused (json-c keeps the last silently), and the writer must
 * produce the `json.dump(indent=2, ensure_ascii=False)` layout byte for byte.
 * json-c is used where a document is built for output (`--json` reports).
 *
 * Memory rule, stated once: every struct dc_json is a heap object owned by
 * exactly one parent (an array slot or an object member) or by the caller
 * that received it. Functions that take a value into a container (push, set)
 * take ownership of it; functions that return a pointer into a container
 * (get, at) lend it: it stays owned by the container and dies with it.
 * dc_json_free() frees a value and everything under it; NULL is fine.
 */
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

enum dc_json_type {
	DC_JSON_NULL,
	DC_JSON_FALSE,
	DC_JSON_TRUE,
	DC_JSON_NUMBER,
	DC_JSON_STRING,
	DC_JSON_ARRAY,
	DC_JSON_OBJECT,
};

struct dc_json;

struct dc_json_member {
	char *key;		/* UTF-8, NUL-terminated, may hold NUL (use keylen) */
	size_t keylen;
	struct dc_json *val;
};

struct dc_json_index;		/* private: hash index of a big object's keys */

struct dc_json {
	enum dc_json_type type;
	union {
		/* STRING: decoded UTF-8, NUL-terminated, may hold NUL.
		 * NUMBER: the literal exactly as written in the input. */
		struct { char *s; size_t len; } str;
		struct { struct dc_json **v; size_t n, alloc; } arr;
		struct {
			struct dc_json_member *m;
			size_t n, alloc;
			struct dc_json_index *idx;
		} obj;
	} u;
};

/* ---- parsing ---------------------------------------------------------- */

struct dc_json_parse_opts {
	size_t max_depth;	/* containers nested deeper are refused; 0 = 512 */
};
#define DC_JSON_PARSE_OPTS_INIT { 0 }

/*
 * Canonical files hold a delta's events (at most 512 levels deep) below
 * their target's path, and a collect nests them further: they are read
 * with this deeper limit, so a valid delta never makes the state
 * unreadable.
 */
#define DC_CANONICAL_MAX_DEPTH 1024
extern const struct dc_json_parse_opts dc_canonical_opts;

/*
 * Parse `len` bytes as one strict RFC 8259 JSON text into `*out` (owned by
 * the caller). Refused, with one reason in `err` (code DC_ERR_REFUSED):
 *  - invalid UTF-8 anywhere (overlong forms, surrogates, > U+10FFFF), a byte
 *    order mark, escapes that decode to an unpaired surrogate;
 *  - duplicate keys in one object;
 *  - anything RFC 8259 does not allow: NaN, Infinity, leading zeros, "+1",
 *    ".5", trailing commas, comments, single quotes, control characters in
 *    strings, other whitespace than space, tab, LF and CR;
 *  - trailing bytes after the value (whitespace is fine), empty input;
 *  - nesting deeper than max_depth.
 * The message says where: "line 3, column 14: duplicate key 'number'",
 * "byte 57: invalid UTF-8", "line 12, column 1: unexpected end of input".
 * Parsing never recurses on the C stack, so hostile depth is safe.
 */
int dc_json_parse(struct dc_json **out, const char *buf, size_t len,
		  const struct dc_json_parse_opts *opts, struct dc_err *err);

/* ---- building and freeing --------------------------------------------- */

struct dc_json *dc_json_new(enum dc_json_type type);	/* null, bools, empty containers */
struct dc_json *dc_json_new_string(const char *s, size_t len);
/* `raw` must be a valid JSON number literal; it is kept verbatim. */
struct dc_json *dc_json_new_number(const char *raw, size_t len);
struct dc_json *dc_json_new_int(int64_t v);
struct dc_json *dc_json_clone(const struct dc_json *v);
void dc_json_free(struct dc_json *v);

/*
 * dc_json_free(), unless dc_json_keep_at_exit is set: set by a command
 * that exits right after its work, it leaves big parsed documents to the
 * kernel, which reclaims them at exit far faster than freeing them node
 * by node (up to a sixth of a merge of a big state). They stay reachable,
 * so leak checkers do not report them.
 */
extern int dc_json_keep_at_exit;
void dc_json_drop(struct dc_json *v);

/* ---- objects ---------------------------------------------------------- */

/* Lookup by key; NULL if absent or `obj` is not an object. O(1) on big
 * objects (a hash index is built on demand and kept up to date). */
struct dc_json *dc_json_get(const struct dc_json *obj, const char *key);
struct dc_json *dc_json_getn(const struct dc_json *obj, const char *key, size_t keylen);
/* Index of the member, or -1. */
long dc_json_find(const struct dc_json *obj, const char *key, size_t keylen);
/*
 * Set obj[key] = val, taking ownership of val. An existing member keeps its
 * place (its old value is freed); a new member goes last.
 */
void dc_json_set(struct dc_json *obj, const char *key, size_t keylen, struct dc_json *val);
/* Remove obj[key] if present (freeing its value); order of the rest kept.
 * Returns 1 if removed, 0 if absent. */
int dc_json_remove(struct dc_json *obj, const char *key, size_t keylen);

/* ---- arrays ----------------------------------------------------------- */

void dc_json_push(struct dc_json *arr, struct dc_json *val);	/* takes val */
/* Remove and free arr[i]; later elements move down. */
void dc_json_array_remove(struct dc_json *arr, size_t i);

/* ---- writing ---------------------------------------------------------- */

/*
 * Append `v` in the canonical layout of PROTOCOL section 7, the bytes of
 * Python's json.dump(v, indent=2, ensure_ascii=False) followed by "\n":
 * 2-space indent, ": " after keys, "," at line ends, one element or member
 * per line, "[]" and "{}" for empty containers, members in their order,
 * numbers verbatim, non-ASCII as UTF-8, and in strings only `"` `\` and
 * control characters escaped (\" \\ \n \r \t \b \f, others as \u00XX with
 * lowercase hex).
 */
void dc_json_write(struct dc_buf *out, const struct dc_json *v);
/* `v` as dc_json_write() lays it out on a line indented by `indent`
 * spaces: that indent after each of its newlines (not before its first
 * line), no final newline. */
void dc_json_write_at(struct dc_buf *out, const struct dc_json *v, size_t indent);
/* The same value on one line, no spaces (", " and ": " omitted), no final
 * newline: for logs and messages. */
void dc_json_write_compact(struct dc_buf *out, const struct dc_json *v);
/* A JSON string literal for `s` (quotes included), escaped as above. */
void dc_json_write_string(struct dc_buf *out, const char *s, size_t len);

/* ---- comparing -------------------------------------------------------- */

/*
 * Append the comparison key of `v`: equal keys if and only if the values
 * are equal as JSON values. Objects compare as sets of members (order does
 * not matter), arrays element by element, numbers by their exact decimal
 * value (1, 1.0, 10e-1 and 1E0 are equal; no rounding: any length works),
 * strings by their bytes. Types never compare equal to each other, so the
 * string "280" and the number 280 differ.
 */
void dc_json_keystr(struct dc_buf *out, const struct dc_json *v);
int dc_json_equal(const struct dc_json *a, const struct dc_json *b);

/* ---- numbers ---------------------------------------------------------- */

/* 1 if the literal is an integer literal ("-?[0-9]+", no fraction or
 * exponent) that fits in int64_t; the value is stored in *out. */
int dc_json_get_int(const struct dc_json *v, int64_t *out);

/* ---- JSON Pointer (RFC 6901) ------------------------------------------ */

/*
 * Resolve `ptr` ("" = the whole value, "/a/0/b~1c") inside `root`.
 * Returns the value (lent), or NULL if a step is missing or of the wrong
 * type. With `create` set, missing object members along the way are created
 * as empty objects and the last one as a fresh value of type `leaf` (only
 * objects are walked through when creating; array indexes must exist).
 * A malformed pointer (not starting with '/', bad "~" escape) returns NULL
 * and, if err is given, fills it.
 */
struct dc_json *dc_json_pointer(struct dc_json *root, const char *ptr, int create,
				enum dc_json_type leaf, struct dc_err *err);
/* Append "/" and `tok` (len bytes) escaped as a JSON Pointer token. */
void dc_json_pointer_append(struct dc_buf *ptr, const char *tok, size_t len);
/* Split "/a/b~1c" into its parent "/a" and its last token, unescaped ("b/c");
 * both buffers are appended to. `ptr` must hold at least one '/'. */
void dc_json_pointer_split(const char *ptr, struct dc_buf *parent, struct dc_buf *tok);

/* 0 if `ptr` is a well-formed JSON Pointer, else -1 with a reason. */
int dc_json_pointer_check(const char *ptr, struct dc_err *err);

/* ---- messages --------------------------------------------------------- */

/* "null", "a boolean", "a number", "an integer" (integer literal), "a string",
 * "an array", "an object": for "'frame' is a string, expected an integer". */
const char *dc_json_describe(const struct dc_json *v);

#endif
