#ifndef DC_JDIFF_H
#define DC_JDIFF_H
/*
 * What differs between two JSON values, named by JSON Pointer (RFC 6901):
 * the entity-and-field view `git dc verify`, `git dc diff` and
 * `git dc blame` print instead of byte offsets.
 *
 * Objects are compared member by member (by key; member order does not
 * matter), arrays element by element (by index), anything else as a value
 * (dc_json_equal: 1 and 1.0 are equal). A member or element present on one
 * side only is one change for its whole value ("added" or "removed"), not
 * one per field inside it; two values of different types are one "changed".
 *
 * Changes come in document order: for an object, the members of the old
 * value in their order (removed, or their own changes), then the members
 * only the new value has, in its order; for an array, the common indexes,
 * then the elements past the shorter one.
 */
#include <stddef.h>
#include "buf.h"
#include "json.h"

enum dc_jdiff_kind {
	DC_JDIFF_ADDED,
	DC_JDIFF_REMOVED,
	DC_JDIFF_CHANGED,
};

struct dc_jdiff_change {
	enum dc_jdiff_kind kind;
	char *pointer;			/* owned by the list */
	const struct dc_json *old;	/* lent from the old value; NULL if added */
	const struct dc_json *new;	/* lent from the new value; NULL if removed */
};

struct dc_jdiff {
	struct dc_jdiff_change *v;
	size_t n, alloc;
	size_t total;		/* changes found, including those past `max` */
};

#define DC_JDIFF_INIT { NULL, 0, 0, 0 }

/*
 * Append the changes that turn `a` into `b` to `out`. Either side may be
 * NULL (the file is absent): the whole value at "" is then added or
 * removed. At most `max` changes are kept (0: all); `total` still counts
 * every one. The kept changes point into `a` and `b`, which must outlive
 * `out`.
 */
void dc_jdiff(struct dc_jdiff *out, const struct dc_json *a, const struct dc_json *b, size_t max);
void dc_jdiff_release(struct dc_jdiff *d);

/* The kind as a word: "added", "removed", "changed". */
const char *dc_jdiff_kind_name(enum dc_jdiff_kind kind);

/*
 * Append `v` as one line of compact JSON for a message, cut after `max`
 * bytes with "..." (0: no limit); NULL appends "absent".
 */
void dc_jdiff_show(struct dc_buf *out, const struct dc_json *v, size_t max);

#endif
