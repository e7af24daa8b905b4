#ifndef DC_ARCHIVE_H
#define DC_ARCHIVE_H
/*
 * The archive manifest (PROTOCOL section 9, dc-protocol(7) ARCHIVE).
 *
 * `git dc archive --before F` folds every valid delta of frames below F
 * into a snapshot, stored in the tree under .dc/archive/snapshot/ (the
 * canonical files and the head.json of frame F-1, at their own paths
 * below that directory), and removes those deltas from the tree. The
 * manifest lists every delta ever archived, by path and blob id, so that
 *
 *  - the merge folds from the snapshot instead of genesis;
 *  - a listed delta missing from the tree is not a deleted delta;
 *  - a listed delta committed again (the same bytes) is a no-op;
 *  - a delta of an archived frame that is not listed (it came late, after
 *    the archive) is quarantined: its frame can no longer be re-folded;
 *  - replay, verify and blame read the listed deltas back from history by
 *    blob id.
 */
#include <stdint.h>
#include <git2.h>
#include "buf.h"
#include "delta.h"
#include "err.h"
#include "map.h"
#include "repo.h"

#define DC_ARCHIVE_MANIFEST ".dc/archive/manifest.json"
#define DC_ARCHIVE_SNAPSHOT ".dc/archive/snapshot/"

struct dc_archived {
	char *path;		/* repository path of the delta */
	git_oid blob;
};

struct dc_archive {
	int present;
	uint64_t before;	/* frames below this one are archived */
	struct dc_archived *deltas;	/* sorted by path, bytewise */
	size_t n, alloc;
	struct dc_map blobs;	/* raw blob id -> 1 */
};

#define DC_ARCHIVE_INIT { 0 }

/* Parse a manifest; -1 with err (the manifest is corrupt) on any flaw. */
int dc_archive_parse(struct dc_archive *a, const char *buf, size_t len, struct dc_err *err);
/* The manifest of `tree`; a->present = 0 if it has none. */
int dc_archive_load(struct dc_archive *a, struct dc_repo *r, const git_tree *tree,
		    struct dc_err *err);
void dc_archive_release(struct dc_archive *a);

/* Add a delta (kept sorted; a path already listed is not added again). */
void dc_archive_add(struct dc_archive *a, const char *path, const git_oid *blob);
/* The manifest in the canonical layout. */
void dc_archive_write(struct dc_buf *out, const struct dc_archive *a);

int dc_archive_has(const struct dc_archive *a, const char *path, const git_oid *blob);
int dc_archive_has_blob(const struct dc_archive *a, const git_oid *blob);

/*
 * Apply the archive to a loaded delta `d` with blob `blob`: 1 if the
 * snapshot already holds it (skip it); 0 otherwise, and a valid delta of an
 * archived frame is then quarantined (valid = 0, with the reason).
 */
int dc_archive_classify(const struct dc_archive *a, struct dc_delta *d, const git_oid *blob);

#endif
