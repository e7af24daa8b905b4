#ifndef DC_JMERGE_H
#define DC_JMERGE_H
/*
 * The three-way structural merge of one JSON file under the rules: the
 * engine of the JSON merge driver (git-dc-merge-driver), which git runs
 * when a merge, rebase, cherry-pick or stash apply meets a canonical file
 * changed on both sides. Pure: no repository, no files, no clock.
 *
 * The projection only ever adds (PROTOCOL section 4), so the merge of two
 * projections keeps everything either side holds. The rules, everywhere in
 * the file:
 *
 *  - Objects merge member by member, recursively. A member present on one
 *    side only is kept, whether the other side never had it or removed it:
 *    a removal would be a lost element. A member both sides removed stays
 *    removed.
 *  - Any other value (a scalar, an array that is no section's target, two
 *    values of different types) changed on one side only takes that side;
 *    changed on both sides to different values is a conflict. Last write
 *    wins needs the deltas' order, which one file does not hold.
 *  - The array target of an `append` section is the union of both sides
 *    as multisets: an element appears as many times as on the side that
 *    holds it most often (an event merged on both sides is one event).
 *  - The array target of an `add` or `upsert` section is the union by the
 *    section's key (after `normalize`; the whole element when it has no
 *    key): never a duplicate key. For `upsert`, an element whose key is on
 *    both sides with other members is an entity: it merges member by
 *    member, with the base's element of that key as its base. `add` never
 *    changes an element once added, so there two different elements with
 *    one key are a conflict (unless one side still holds the base's).
 *  - Entity maps (`set`, `upsert` into an object) are objects: entities
 *    merge by id, their fields by the rules above.
 *  - The targets of a `collect` section (groups in progress, groups
 *    published) are single values: a group moves from one to the other
 *    when it completes, which a union would undo.
 *  - A derived count changed on both sides (even to the same number: the
 *    two sides may have added different elements) is counted again from
 *    the merged target when that target is in the same file; when it
 *    counts another file it is a conflict, since the merge of one file
 *    cannot see another's.
 *
 * Order: ours' members and elements first, in their order, then what only
 * theirs holds, in theirs' order. So swapping the sides gives the same
 * value up to the order of the additions, and the same conflicts.
 */
#include <stddef.h>
#include "buf.h"
#include "err.h"
#include "json.h"
#include "rules.h"

/* What a path is to the rules of the commit. */
enum dc_path_kind {
	DC_PATH_OTHER,		/* not named by the rules: merged by the member rule */
	DC_PATH_CANONICAL,	/* a canonical file (sections and derived counts) */
	DC_PATH_HEAD,		/* .dc/head.json: only git dc writes it */
	DC_PATH_DELTA,		/* under the delta directory: immutable */
};

enum dc_path_kind dc_jmerge_path_kind(const struct dc_rules *rules, const char *path);

struct dc_jmerge_conflict {
	char *pointer;		/* JSON Pointer of the value ("" = the whole file) */
	char *section;		/* the section whose entity holds it, or NULL */
	char *entity;		/* the entity: its id or key as compact JSON, or NULL */
	char *field;		/* the pointer inside the entity ("/bio"), or NULL */
	char *ours, *theirs;	/* the two values, compact JSON, cut at 120 bytes */
	char *reason;		/* "changed on both sides", ... */
};

struct dc_jmerge_result {
	struct dc_jmerge_conflict *conflicts;
	size_t nconflicts, alloc;
	size_t recounted;	/* derived counts counted again */
	int base_invalid;	/* the base did not parse: merged as if absent */
};

#define DC_JMERGE_RESULT_INIT { NULL, 0, 0, 0, 0 }

void dc_jmerge_result_release(struct dc_jmerge_result *res);

/*
 * Merge `ours` and `theirs` of the file `path` (`base`: NULL when the file
 * was absent) under `rules` (NULL: no sections, the member rule only).
 * *out receives the merged value (owned by the caller), holding ours'
 * value wherever there is a conflict; the conflicts are appended to `res`.
 */
void dc_jmerge(struct dc_json **out, struct dc_jmerge_result *res, const struct dc_rules *rules,
	       const char *path, const struct dc_json *base, const struct dc_json *ours,
	       const struct dc_json *theirs);

/*
 * The driver's work on bytes. The three versions are parsed strictly; a
 * base that is absent (has_base 0), empty or only whitespace is read as
 * absent, and so is a base that does not parse (res->base_invalid set: the
 * merge then loses the "changed on one side" test, never a value). Ours or
 * theirs that do not parse are a conflict naming them. A clean merge is
 * written to `out` in the canonical layout and parsed again before 0 is
 * returned; with conflicts, 0 is returned, res->nconflicts > 0 and `out`
 * is left as it was. -1 (code DC_ERR_FATAL) only if the written result
 * does not parse again, which would be a bug.
 */
int dc_jmerge_bytes(struct dc_buf *out, struct dc_jmerge_result *res,
		    const struct dc_rules *rules, const char *path,
		    const char *base, size_t base_len, int has_base,
		    const char *ours, size_t ours_len, const char *theirs, size_t theirs_len,
		    struct dc_err *err);

/*
 * Append one line describing a conflict of the file `path`, without a
 * final newline: "'state/agents.json' at '/agents/a/bio' (entity 'a' of
 * section 'profile_updates', field '/bio'): changed on both sides: "x"
 * (ours), "y" (theirs)".
 */
void dc_jmerge_describe(struct dc_buf *out, const char *path, const struct dc_jmerge_conflict *c);

#endif
