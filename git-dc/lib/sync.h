#ifndef DC_SYNC_H
#define DC_SYNC_H
/*
 * `git dc sync`: the safe way to bring a worktree up to date. It refuses
 * when files the protocol protects (canonical files, .dc/, deltas) have
 * uncommitted changes, fetches the upstream branch, then fast-forwards,
 * rebases or merges, always without autostash, and reports what came in.
 * A rebase or merge that stops on a conflict is aborted when that puts
 * everything back exactly (nothing was uncommitted), so a refusal changes
 * nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "repo.h"

struct dc_sync_opts {
	const char *remote;	/* NULL: branch.<name>.remote */
	const char *branch;	/* NULL: branch.<name>.merge, else the local name */
	int merge;		/* diverged histories: merge instead of rebase */
};

struct dc_sync_result {
	char *refname;		/* the local branch */
	char *remote, *branch;	/* the upstream, as fetched */
	char old[41];		/* the branch before */
	char upstream[41];	/* the fetched tip */
	char now[41];		/* the branch after */
	const char *mode;	/* "up-to-date", "fast-forward", "rebase", "merge" */
	size_t commits;		/* commits brought in (the fetched tip's, not in old) */
	char **deltas;		/* delta paths brought in */
	size_t ndeltas;
	int had_frame, has_frame;	/* .dc/head.json before and after */
	uint64_t frame_before, frame_after;
};

/* Caller frees the result with dc_sync_result_release (zeroed is fine). */
int dc_sync(struct dc_repo *r, const struct dc_sync_opts *o, struct dc_sync_result *res,
	    struct dc_err *err);
void dc_sync_result_release(struct dc_sync_result *res);

#endif
