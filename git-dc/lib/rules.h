#ifndef DC_RULES_H
#define DC_RULES_H
/*
 * The rules of a dc repository: the committed file `.dc/rules.json`
 * (PROTOCOL section 6), loaded and validated, plus the built-in presets.
 *
 * A struct dc_rules owns every string and array inside it;
 * dc_rules_release() frees them and accepts a zeroed struct.
 */
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

#define DC_RULES_PATH ".dc/rules.json"
#define DC_HEAD_PATH ".dc/head.json"
#define DC_DEFAULT_DELTAS "state/stream_deltas"
#define DC_DEFAULT_MAX_DELTA_BYTES (16u * 1024 * 1024)

enum dc_layout {
	DC_LAYOUT_FLAT,		/* <deltas>/frame-<frame>-<stream>.json */
	DC_LAYOUT_BY_FRAME,	/* <deltas>/frame-<frame>/<stream>.json */
};

enum dc_op {
	DC_OP_APPEND,
	DC_OP_ADD,
	DC_OP_UPSERT,
	DC_OP_SET,
	DC_OP_IGNORE,
	DC_OP_COLLECT,
	DC_OP_COUNT,		/* derived only */
};

/* "author": ["author", "agent"]: key member `name` takes the first present
 * of `alts` in the event. */
struct dc_normalize {
	char *name;
	char **alts;
	size_t nalts;
};

/* collect: one piece of a match pattern, literal bytes or a capture */
struct dc_match_part {
	char *text;		/* the literal (escapes resolved) or the capture's name */
	size_t len;
	int capture;
};

/* collect: the string member `member` of an event must match `parts` */
struct dc_match {
	char *member;
	struct dc_match_part *parts;
	size_t nparts;
};

struct dc_section {
	char *name;		/* the delta member, e.g. "posts_created" */
	enum dc_op op;
	char *file;		/* repository-relative path of the canonical file */
	char *at;		/* JSON Pointer inside it; "" = the whole file */

	/* add, upsert, collect: key member names. For add, nkey == 0 means
	 * "the whole element". */
	char **key;
	size_t nkey;
	struct dc_normalize *normalize;
	size_t nnormalize;

	/* set: the names of the id, field and value members of an event */
	char *set_key, *set_field, *set_value;

	/* segment: store the target array as numbered files of at most this
	 * many elements (0: one file) */
	size_t segment;

	/* collect (books from chapters, dc-protocol(7) COLLECT): `file`/`at`
	 * hold the groups in progress, key[0] names an item in its group */
	char *group_by;		/* the member naming an item's group */
	size_t collect_target;	/* a group of this many items is published */
	char *publish_file, *publish_at;	/* where published groups go */
	char *collect_from;	/* the section whose events are read; NULL: this one */
	struct dc_match *match;	/* patterns an event must match, all of them */
	size_t nmatch;
	char *collect_items;	/* the member of a group holding its items */
};

struct dc_derived {
	enum dc_op op;		/* DC_OP_COUNT */
	char *file;
	char *at;
	char *of;		/* the section whose target is counted */
	char *group_by;		/* optional: count per value of this member ... */
	char *field;		/* ... written as this member of each entity at `at` */
};

struct dc_rules {
	int version;
	char *deltas;		/* delta directory, no trailing slash */
	enum dc_layout layout;	/* the layout `git dc delta` writes */
	char **utc;		/* utc member names, dotted paths allowed */
	size_t nutc;
	uint64_t max_delta_bytes;
	struct dc_section *sections;
	size_t nsections;
	struct dc_derived *derived;
	size_t nderived;
};

#define DC_RULES_INIT { 0 }

/*
 * Parse and validate a rules file. Refused with a message naming the member
 * at fault (code DC_ERR_REFUSED): invalid JSON, unknown members anywhere,
 * wrong types, an unknown op, a file or delta directory path that is
 * absolute, contains "..", a backslash, a NUL, an empty or "." component or
 * starts with ".git", a malformed `at` pointer, two sections writing the same
 * file+target with different ops, a target nested inside another (whatever
 * the ops; a per-group count may share a section's target), a canonical file inside the delta directory or under
 * `.dc/`, a derived count whose `of` names no section. Missing members take
 * the defaults of PROTOCOL section 6.
 */
int dc_rules_parse(struct dc_rules *out, const char *buf, size_t len, struct dc_err *err);
void dc_rules_release(struct dc_rules *r);

/* The section named `name`, or NULL. */
const struct dc_section *dc_rules_section(const struct dc_rules *r, const char *name);

/*
 * The canonical files the rules name (sections other than `ignore`, the
 * publish files of collects, and derived targets), sorted bytewise, without
 * duplicates. `*out` is an array
 * of pointers into `r` (free the array only).
 */
size_t dc_rules_files(const struct dc_rules *r, const char ***out);
/*
 * Segmented sections (`segment`): `path` is the file of one (*k = -1) or
 * its segment file number *k (k may be NULL); NULL if neither.
 */
const struct dc_section *dc_rules_segmented(const struct dc_rules *r, const char *path,
					    long *k);
/* Segment numbers have six digits: 000000 to 999999. */
#define DC_MAX_SEGMENTS 1000000
/* k if `path` is "<stem>.NNNNNN.json" (segment k) for `file` "<stem>.json",
 * else -1. */
long dc_rules_segment_number(const char *path, const char *file);
/* Append the path of segment k of `file`: "<stem>.NNNNNN.json". */
void dc_rules_segment_path(struct dc_buf *out, const char *file, size_t k);
/* 1 if `path` is one of those files (or one of their segment files). */
int dc_rules_is_canonical(const struct dc_rules *r, const char *path);
/* Refuse `path` as not one of those files, with a hint naming them; -1. */
int dc_rules_not_canonical(struct dc_err *err, const struct dc_rules *r, const char *path);

/*
 * The text of a preset rules file ("rappterbook", "minimal"), appended to
 * `out` in the canonical layout. Unknown name: -1 with the list of presets.
 */
int dc_rules_preset(struct dc_buf *out, const char *name, struct dc_err *err);
/* NULL-terminated list of preset names. */
extern const char *const dc_rules_presets[];

const char *dc_op_name(enum dc_op op);

#endif
