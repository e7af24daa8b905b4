#ifndef DC_DELTA_H
#define DC_DELTA_H
/*
 * Delta files (PROTOCOL section 2): paths, stream ids, utc instants,
 * validation, and the total order of section 3.
 *
 * A struct dc_delta owns its strings and its parsed document;
 * dc_delta_release() frees them and accepts a zeroed struct.
 */
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "json.h"
#include "rules.h"

#define DC_FRAME_LIMIT (UINT64_C(1) << 53)	/* frames are < 2^53 */
#define DC_STREAM_MAX 64

/* ---- utc instants ----------------------------------------------------- */

struct dc_utc {
	int64_t sec;		/* seconds since 1970-01-01T00:00:00Z */
	uint32_t nsec;		/* 0 .. 999999999 */
};

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (uppercase T and Z, fraction of
 * 1-9 digits, real calendar dates, years 0000-9999, second 60 accepted as a
 * leap second and ordered as the next minute's :00). 0 on success; -1 if the
 * text is not such an instant (no err: callers say what they were parsing).
 */
int dc_utc_parse(struct dc_utc *out, const char *s, size_t len);
int dc_utc_cmp(const struct dc_utc *a, const struct dc_utc *b);
/* Append the instant as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microseconds). */
void dc_utc_format_us(struct dc_buf *out, const struct dc_utc *t);
/* Append with exactly as many fraction digits as needed (none if zero). */
void dc_utc_format(struct dc_buf *out, const struct dc_utc *t);

/* ---- stream ids and paths --------------------------------------------- */

/* 1 if `s` matches [A-Za-z0-9][A-Za-z0-9._-]{0,63} and holds no "..". */
int dc_stream_id_valid(const char *s, size_t len);

/*
 * Parse a path relative to the delta directory: "frame-<frame>-<stream>.json"
 * (flat) or "frame-<frame>/<stream>.json" (by-frame). On success fills the
 * frame, the stream id (into `stream`, reset first) and the layout, returns 0.
 * On failure returns -1 with the reason in err ("frame '01' has leading zeros",
 * "stream id '..' is not valid", "not a delta path: expected
 * frame-<frame>-<stream>.json or frame-<frame>/<stream>.json").
 */
int dc_delta_path_parse(uint64_t *frame, struct dc_buf *stream, enum dc_layout *layout,
			const char *rel, struct dc_err *err);
/* Append "<deltas>/frame-<frame>-<stream>.json" or the by-frame path. The
 * stream id must be valid (checked by the caller). */
void dc_delta_path_make(struct dc_buf *out, const char *deltas, enum dc_layout layout,
			uint64_t frame, const char *stream);

/* ---- one delta -------------------------------------------------------- */

struct dc_delta {
	char *path;		/* repository-relative */
	char oid[41];		/* git blob id, hex; "" if not known */
	uint64_t frame;		/* from the path */
	char *stream;		/* from the path */
	struct dc_utc utc;
	const char *utc_member;	/* which rules' utc member gave it (in rules) */
	struct dc_json *doc;	/* the parsed object (NULL if it did not parse) */
	int valid;		/* 0: quarantined, see reason */
	char *reason;		/* why it is quarantined; NULL if valid */
	int json;		/* 1: its bytes are one strict JSON text (true of
				 * every valid delta); 0: they are not, or were
				 * not read (over max_delta_bytes) */
	char **unknown;		/* sections the rules do not name (reported); a
				 * name holding a control character or NUL is
				 * escaped as \xNN */
	size_t nunknown;
};

#define DC_DELTA_INIT { 0 }

/*
 * Read and validate one delta: `rel` is its path relative to the rules'
 * delta directory, `path` its repository path, `oid` its blob id (may be
 * NULL), `buf`/`len` its bytes. Always returns 0 and fills `d`: a delta that
 * breaks any rule of PROTOCOL section 2 gets valid = 0 and one reason, e.g.
 *   "invalid JSON: line 3, column 14: duplicate key 'number'"
 *   "the top-level value is an array, expected an object"
 *   "'frame' is a string, expected an integer"
 *   "'frame' is 2 but the path says 1"
 *   "'stream_id' '../../outside' is not a valid stream id"
 *   "no utc: none of 'utc', 'completed_at', '_meta.timestamp' is present"
 *   "'completed_at' is not an RFC 3339 UTC instant: '<UTC ISO>'"
 *   "section 'comments_added' is a string, expected an array or an object"
 *   "17000000 bytes is over max_delta_bytes (16777216)"
 * Members named in the rules' utc list and members starting with '_' are
 * never sections; a section with op `ignore` accepts any value.
 */
int dc_delta_load(struct dc_delta *d, const char *path, const char *rel, const char *oid,
		  const char *buf, size_t len, const struct dc_rules *rules);
void dc_delta_release(struct dc_delta *d);

/*
 * What a commit check (PROTOCOL section 9) says of a new delta, loaded by
 * dc_delta_load(): NULL when it is valid; "delta-invalid" (refused) when
 * its bytes are not strict JSON (conflict markers never are) or were not
 * read (over max_delta_bytes); "delta-quarantined" (a warning: committed,
 * and quarantined by every merge) when it is JSON but breaks another rule
 * of section 2. The message, naming d->path, is appended to `msg`.
 */
const char *dc_delta_verdict(struct dc_buf *msg, const struct dc_delta *d);
#define DC_HINT_BAD_DELTA "fix it and write it with 'git dc delta', which validates" \
	" before committing"

/* The total order of PROTOCOL section 3: (frame, utc instant, stream id
 * bytewise, blob id). Both deltas must be valid. */
int dc_delta_cmp(const struct dc_delta *a, const struct dc_delta *b);

/* The events of section `name` in a valid delta: *events points at the array
 * elements (or at the single object), *n their count. 0 if present. */
int dc_delta_events(const struct dc_delta *d, const char *name,
		    struct dc_json *const **events, size_t *n);

/*
 * A section name as git-dc reports it (owned by the caller): its bytes,
 * or escaped without quotes ("events\x00x") when it holds a NUL or
 * another control byte, as the names in dc_delta.unknown are.
 */
char *dc_delta_section_name(const char *key, size_t len);

#endif
