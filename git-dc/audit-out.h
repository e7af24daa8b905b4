#ifndef DC_AUDIT_OUT_H
#define DC_AUDIT_OUT_H
/*
 * What the commands that read the log back (replay, verify, diff, blame,
 * log) share: finding the commit they read, and printing values and deltas.
 */
#include <json-c/json.h>
#include "buf.h"
#include "delta.h"
#include "err.h"
#include "json.h"
#include "repo.h"
#include "rules.h"

/* The commit `rev` names (NULL: HEAD) into *out. */
int dc_audit_commit(git_oid *out, struct dc_repo *r, const char *rev, struct dc_err *err);

/* A JSON value as a json-c object (owned by the caller), numbers printed as
 * they were written; NULL stands for JSON null. */
struct json_object *dc_audit_value_json(const struct dc_json *v);

/* {"path", "frame", "utc", "stream", "blob"} of a delta (owned by the caller). */
struct json_object *dc_audit_delta_json(const struct dc_delta *d);

/*
 * The derived count of `rules` that writes `pointer` of `file` (its
 * target, or for a count per group an entity of it or the field of one),
 * or NULL.
 */
const struct dc_derived *dc_audit_count_at(const struct dc_rules *rules, const char *file,
					   const char *pointer);

/* Append "frame <f> <utc> <stream> (<path>)" for a message. */
void dc_audit_delta_line(struct dc_buf *out, const struct dc_delta *d);

#endif
