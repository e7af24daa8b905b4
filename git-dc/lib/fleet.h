#ifndef DC_FLEET_H
#define DC_FLEET_H
/*
 * The worker side of PROTOCOL section 8: one worktree per stream, on the
 * branch dc/streams/<stream>, and pushes of the worker's deltas to its own
 * ref (or, with a shared branch, a bounded fetch-rebase-retry loop).
 *
 * Fetch, push and the worktree bookkeeping run the git command (credentials,
 * ssh, http and the user's configuration work as for git itself); trees,
 * commits and refs are written with libgit2. Nothing here uses the index or
 * stashes anything, and no canonical file is ever written.
 *
 * A delta counts as *pushed* when some remote-tracking ref of the remote
 * (refs/remotes/<remote>/...) holds its path with the same blob. The remote
 * is the one named, else `git config dc.remote`, else "origin"; it must be a
 * configured remote. The merged branch is `git config dc.main`, else "main".
 *
 * Every result owns its strings and arrays; its release function frees them
 * and accepts a zeroed struct.
 */
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "repo.h"

#define DC_STREAM_BRANCH_PREFIX "refs/heads/dc/streams/"

/*
 * The stream this work tree writes: the id of its branch dc/streams/<id>,
 * else `git config dc.stream`. *stream is owned by the caller. Refused
 * (DC_ERR_REFUSED, with a hint) when neither names a valid stream id.
 */
int dc_fleet_stream(char **stream, struct dc_repo *r, struct dc_err *err);

/* ---- git dc worktree add ------------------------------------------------ */

struct dc_worktree_add_opts {
	const char *stream;
	const char *path;	/* NULL: <dir>.<stream> next to this repository */
	const char *remote;	/* NULL: dc.remote, else origin (if configured) */
	int no_fetch;		/* do not fetch the remote's merged branch first */
};

struct dc_worktree_add_result {
	char *path;		/* absolute path of the new work tree */
	char *branch;		/* "dc/streams/<stream>" */
	char *start_name;	/* what it started from: "origin/main", "main" */
	char start[41];		/* the commit the branch points at */
	int branch_existed;	/* an existing branch was checked out */
	int fast_forwarded;	/* ... and moved to the newest merged state first */
	int holds_own;		/* ... and kept: it holds commits the merged state lacks */
};

int dc_worktree_add(struct dc_repo *r, const struct dc_worktree_add_opts *o,
		    struct dc_worktree_add_result *res, struct dc_err *err);
void dc_worktree_add_result_release(struct dc_worktree_add_result *res);

/* ---- git dc worktree remove --------------------------------------------- */

struct dc_worktree_remove_opts {
	const char *stream;
	const char *remote;
	int force;		/* drop unpushed deltas and uncommitted files */
};

struct dc_worktree_remove_result {
	char *path;		/* the work tree removed */
	char *branch;
	char **unpushed;	/* deltas of the stream not on the remote */
	size_t nunpushed;
	int removed;		/* 0: refused because of `unpushed` */
};

/*
 * Refused (DC_ERR_REFUSED, res->unpushed filled, nothing changed) when the
 * branch holds deltas of its stream that are not pushed, unless `force`.
 * Otherwise the work tree is removed (git refuses a work tree with
 * uncommitted changes unless `force`) and the branch deleted.
 */
int dc_worktree_remove(struct dc_repo *r, const struct dc_worktree_remove_opts *o,
		       struct dc_worktree_remove_result *res, struct dc_err *err);
void dc_worktree_remove_result_release(struct dc_worktree_remove_result *res);

/* ---- git dc worktree prune ---------------------------------------------- */

struct dc_worktree_prune_opts {
	const char *remote;
	int dry_run;
	uint64_t expire;	/* lock files at least this many seconds old are stale */
};

struct dc_prune_lock {
	char *path;		/* absolute */
	char *stream;		/* the worktree's stream, or NULL (a shared ref lock) */
	uint64_t age;		/* seconds */
};

struct dc_prune_branch {
	char *branch;		/* "dc/streams/<id>" */
	char **unpushed;	/* kept: the deltas that are not pushed */
	size_t nunpushed;
};

/* A delta a killed command committed but left out of its work tree's index. */
struct dc_prune_restore {
	char *stream;
	char *path;		/* repository path of the delta */
};

struct dc_worktree_prune_result {
	char **pruned;		/* git worktree prune's lines ("Removing worktrees/x: ...") */
	size_t npruned;
	struct dc_prune_lock *locks;	/* stale lock files removed */
	size_t nlocks;
	struct dc_prune_restore *restored;	/* deltas put back in index and work tree */
	size_t nrestored;
	struct dc_prune_branch *deleted;	/* stream branches without a work tree, all pushed */
	size_t ndeleted;
	struct dc_prune_branch *kept;	/* ... holding unpushed deltas: kept */
	size_t nkept;
};

/*
 * What crashed workers leave: records of work trees whose directory is
 * gone (`git worktree prune`), lock files of stream work trees and stream
 * refs older than `expire` seconds (a git command killed mid-way), deltas
 * a killed command committed on a stream branch before it could write them
 * to the work tree's index (put back from the commit when the work tree
 * file is missing or holds the same bytes), and stream branches without a
 * work tree (deleted when every delta is pushed, kept otherwise). With
 * `dry_run` the result says what would be done.
 */
int dc_worktree_prune(struct dc_repo *r, const struct dc_worktree_prune_opts *o,
		      struct dc_worktree_prune_result *res, struct dc_err *err);
void dc_worktree_prune_result_release(struct dc_worktree_prune_result *res);

/* ---- git dc push -------------------------------------------------------- */

#define DC_PUSH_ATTEMPTS 10

struct dc_push_opts {
	const char *remote;
	const char *to;		/* NULL: the stream's own ref; else a shared branch */
	unsigned attempts;	/* bound of the retry loop; 0: DC_PUSH_ATTEMPTS */
};

struct dc_push_result {
	char *remote;
	char *stream;
	char *ref;		/* the remote ref pushed to: refs/heads/... */
	char old[41];		/* its value before the push ("" if it did not exist) */
	char new_oid[41];	/* after */
	char **deltas;		/* deltas of the stream `ref` did not hold before */
	size_t ndeltas;
	unsigned attempts;	/* pushes tried */
	unsigned rejected;	/* of which the remote rejected (lost a race) */
	int up_to_date;		/* nothing to push */
	int took_in;		/* own ref: the remote held commits this branch lacked;
				 * they were merged in (deltas only) and the branch moved */
};

/*
 * Push this worker's deltas. To its own ref, refs/heads/dc/streams/<stream>:
 * the branch tip, or (when the remote ref holds commits the branch lacks,
 * e.g. pushed before a crash) a merge of both that adds the remote's
 * deltas. With `to`: fetch the shared branch, put the stream's deltas it
 * lacks in one commit on its tip, push; a rejected push (someone else won)
 * is retried after a jittered backoff, up to `attempts` times. The local
 * branch is not moved then. A delta of the same path with other bytes on
 * the remote is refused (DC_ERR_REFUSED), as is a push the remote refuses
 * (its hooks).
 */
int dc_push(struct dc_repo *r, const struct dc_push_opts *o, struct dc_push_result *res,
	    struct dc_err *err);
void dc_push_result_release(struct dc_push_result *res);

#endif
