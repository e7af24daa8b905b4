#ifndef DC_AUDIT_H
#define DC_AUDIT_H
/*
 * The log read back (`git dc replay`, `verify`, `diff`, `blame`): the
 * projection of PROTOCOL section 4 recomputed in memory from genesis, one
 * delta at a time, with what each delta changed.
 *
 * A replay never writes to the repository: it reads genesis and the deltas
 * and keeps the state as dc_json trees (see fold.h).
 */
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "fold.h"
#include "json.h"
#include "repo.h"
#include "rules.h"
#include "delta.h"

/* ---- replaying --------------------------------------------------------- */

struct dc_replay {
	struct dc_repo *r;
	const struct dc_rules *rules;	/* lent: must outlive the replay */
	git_tree *genesis_tree;
	struct dc_state st;
	int finished;		/* the derived counts are in the state */
	const struct dc_delta **seq;	/* folded so far, in order (lent) */
	size_t nseq, alloc_seq;
	/*
	 * Per state file (st.files order): `ever` the fold changed it since
	 * genesis (its bytes are then the canonical writing of its value,
	 * else genesis's bytes); `step` the last apply or finish changed it;
	 * `dirty` changed since the caller last cleared the flag.
	 */
	char *ever, *step, *dirty;
	/* set after dc_replay_init(), kept across resets: the fold records the
	 * elements upserts change (fold.h, track_changes) */
	int track_changes;
};

#define DC_REPLAY_INIT { 0 }

/* Start at genesis: the canonical files of commit `genesis`, under `rules`. */
int dc_replay_init(struct dc_replay *p, struct dc_repo *r, const struct dc_rules *rules,
		   const git_oid *genesis, struct dc_err *err);
/* Drop what was folded: back to genesis. */
int dc_replay_reset(struct dc_replay *p, struct dc_err *err);
/*
 * Fold one valid delta, which must come after every delta folded so far
 * in the protocol's order (the caller sorts). After dc_replay_finish() the
 * counts are taken back first, as an incremental merge does.
 */
int dc_replay_apply(struct dc_replay *p, const struct dc_delta *d, struct dc_err *err);
/* Run the derived counts: the state is then the projection of the deltas
 * folded. */
int dc_replay_finish(struct dc_replay *p, struct dc_err *err);
/*
 * The bytes canonical file `path` holds in the projection (as git dc merge
 * writes them): *exists = 0 if it is absent. `oid` (may be NULL) receives
 * the blob id.
 */
int dc_replay_file(struct dc_buf *out, int *exists, git_oid *oid, struct dc_replay *p,
		   const char *path, struct dc_err *err);
/*
 * The files canonical file `path` is stored as in the projection: `path`
 * itself, or for a segmented one (fold.h) its segment files (genesis's
 * own while the fold has not changed it, including a plain file written
 * before the rules segmented it). `fn` gets each path with its bytes and
 * blob id; `bytes` NULL (once, for `path`) when there is none.
 */
typedef int (*dc_replay_out_fn)(void *data, const char *path, const struct dc_buf *bytes,
				const git_oid *oid, struct dc_err *err);
int dc_replay_outputs(struct dc_replay *p, const char *path, dc_replay_out_fn fn, void *data,
		      struct dc_err *err);
/* The value of canonical file `path` now (lent; NULL if absent), or -1. */
int dc_replay_doc(struct dc_json **doc, struct dc_replay *p, const char *path,
		  struct dc_err *err);
void dc_replay_release(struct dc_replay *p);

struct dc_history;

/*
 * Start `p` (uninitialised) at the genesis of `h` and fold every valid
 * delta of `h` with frame <= `frame`, then run the counts: the canonical
 * state as of the end of that frame, from the deltas of h's tree.
 * `progress` (may be NULL) is called as deltas are folded.
 */
int dc_replay_to(struct dc_replay *p, struct dc_repo *r, const struct dc_history *h,
		 uint64_t frame,
		 void (*progress)(void *data, const char *title, size_t done, size_t total),
		 void *progress_data, struct dc_err *err);

/* ---- who wrote a value ------------------------------------------------- */

/* A write seen by a watch: the value a step left at the pointer. */
struct dc_write {
	const struct dc_delta *by;	/* the delta; NULL: genesis, or a count */
	int by_count;			/* a derived count wrote it */
	struct dc_json *value;		/* owned clone; NULL: absent */
};

enum dc_watch_mode {
	DC_WATCH_HISTORY,	/* every write (blame) */
	DC_WATCH_LAST,		/* only the last write (diff: changed, removed) */
	/*
	 * diff: added. For a value that appears as an object or an array, or
	 * as an element of an `append` or `add` target (which never changes
	 * once there), the step that made it appear; for any other scalar,
	 * the last write, as DC_WATCH_LAST (mode becomes DC_WATCH_LAST).
	 */
	DC_WATCH_ADDED,
};

struct dc_watch {
	char *file, *pointer;	/* owned */
	enum dc_watch_mode mode;
	/* w[0] is the value when the watch started (by == NULL, !by_count);
	 * then one entry per step that changed it (LAST, ADDED: at most one) */
	struct dc_write *w;
	size_t n, alloc;
	/* private */
	size_t file_index;
	struct dc_json *now;	/* the value after the last step (lent from w[]) */
	int settled;
	int in_fixed;		/* ADDED: inside an append or add target */
};

struct dc_watches {
	struct dc_watch *v;
	size_t n, alloc;
	/* private: ADDED watches grouped by the container they appear in */
	struct dc_watch_group *groups;
	size_t ngroups;
};

#define DC_WATCHES_INIT { NULL, 0, 0, NULL, 0 }

/* Add a watch of `pointer` in canonical file `file`. */
void dc_watches_add(struct dc_watches *ws, const char *file, const char *pointer,
		    enum dc_watch_mode mode);
/* Record the value of every watch now (their w[0]): call once, before
 * the first dc_replay_watched(). */
int dc_watches_begin(struct dc_watches *ws, struct dc_replay *p, struct dc_err *err);
/*
 * Fold `d` (NULL: run the counts) and record, for every watch whose value
 * that changed, the write.
 */
int dc_replay_watched(struct dc_replay *p, struct dc_watches *ws, const struct dc_delta *d,
		      struct dc_err *err);
void dc_watches_release(struct dc_watches *ws);

/* ---- verifying a history ----------------------------------------------- */

struct dc_verify_opts {
	int has_from;
	uint64_t from;		/* check from the first commit whose head.json frame >= from */
	int tip_only;		/* only compare the tip with a replay from genesis */
	void (*progress)(void *data, const char *title, size_t done, size_t total);
	void *progress_data;
};

#define DC_VERIFY_OPTS_INIT { 0, 0, 0, NULL, NULL }

struct dc_verify_problem {
	char commit[41];
	char *path;
	char *rule;		/* the rules of dc_check_tree() (merge.h) */
	char *message;
	char *hint;		/* may be NULL */
	/*
	 * canonical-edit, head-edit: the first JSON Pointer at which what the
	 * file holds differs from what it must hold, both values (owned; NULL:
	 * absent), and how many pointers differ. `pointer` is NULL when the
	 * file does not parse or only its layout differs.
	 */
	char *pointer;
	struct dc_json *expected, *actual;
	size_t ndiff;
	int layout_only;	/* both parse to equal values: only the bytes differ */
};

struct dc_verify_result {
	size_t commits;		/* reachable from the tip */
	size_t checked;		/* commits checked */
	size_t compared;	/* commits whose canonical files were compared with a replay */
	size_t rechecked;	/* of those, the ones dc_check_tree() had to decide */
	size_t deltas;		/* deltas the replay folded (a fold from genesis again counts again) */
	int has_frame;
	uint64_t frame;		/* the frame the tip records */
	struct dc_verify_problem *problems;
	size_t n, alloc;
};

#define DC_VERIFY_RESULT_INIT { 0 }

/*
 * Check every commit reachable from `tip`, oldest first in topological
 * order, against PROTOCOL section 9, and compare the canonical files and
 * .dc/head.json of each commit that changes them with a replay of the log
 * from genesis. Problems are listed (as dc_check_tree() lists them, without
 * `delta-invalid`: a quarantined delta is part of the log, not a fault of
 * the history); -1 only when the check cannot run.
 */
int dc_verify(struct dc_verify_result *res, struct dc_repo *r, const git_oid *tip,
	      const struct dc_verify_opts *o, struct dc_err *err);
void dc_verify_result_release(struct dc_verify_result *res);

#endif
