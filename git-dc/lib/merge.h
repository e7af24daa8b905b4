#ifndef DC_MERGE_H
#define DC_MERGE_H
/*
 * `git dc merge` and `git dc status` as one engine call each: plan which
 * deltas of the branch's tree are new, late, quarantined or pending, fold
 * them into the canonical files and commit the result as one commit.
 *
 * What the merge records (`.dc/head.json`, written only here):
 *   frame        the newest merged frame N
 *   genesis      the first commit holding .dc/rules.json (the fold's base)
 *   rules        the blob id of the rules the state was folded under
 *   deltas_tree  the tree id of the delta directory at that merge
 *   last         the key (frame, utc, stream, blob) of the last delta folded
 *   applied      how many deltas the state holds
 *   quarantined  every delta of the tree that failed validation, with why
 * The applied set is exactly "the entries of deltas_tree with frame <= N
 * that are not quarantined", so a merge reads only the blobs it has not
 * seen; a new delta that sorts before `last` (a late one), or a change of
 * rules, makes it fold again from genesis.
 *
 * Crash safety: objects are written first, then a journal
 * (<gitdir>/dc-merge.journal: ref, old and new commit, paths), then the
 * branch moves by compare-and-swap, then the work tree follows, then the
 * journal goes. A run that finds a journal finishes or drops it first.
 */
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "repo.h"
#include "rules.h"
#include "delta.h"

/* A commit whose deltas join the merge (a worker's stream tip). */
struct dc_merge_source {
	const char *name;	/* for messages: "refs/remotes/origin/dc/streams/s1" */
	git_oid oid;
};

struct dc_merge_opts {
	uint64_t frame;		/* with has_frame: merge deltas of frames <= frame */
	int has_frame;
	int dry_run;		/* plan and fold, write nothing */
	int plan_only;		/* status: classify deltas, no fold */
	/* called as work advances ("Reading deltas", "Folding deltas"); may be NULL */
	void (*progress)(void *data, const char *title, size_t done, size_t total);
	void *progress_data;
	/*
	 * Stream tips to take in: their deltas (every frame: later ones wait
	 * in the tree) are added to the branch's, and the merge commit has
	 * them as parents after the branch. A tip the branch already contains
	 * is skipped; one holding a delta path the branch has with other bytes
	 * is skipped and reported (deltas are immutable).
	 */
	const struct dc_merge_source *sources;
	size_t nsources;
};

#define DC_MERGE_OPTS_INIT { 0, 0, 0, 0, NULL, NULL, NULL, 0 }

struct dc_merge_note {
	char *path;
	int has_frame;
	uint64_t frame;
	char *stream;		/* NULL when the path did not parse */
	char *utc;		/* valid deltas: the instant, as written by dc_utc_format */
	char *reason;		/* quarantined deltas */
};

struct dc_merge_section {
	const char *name;	/* points into the rules kept in the result */
	size_t applied, present;
};

struct dc_merge_event_note {
	char *path, *section, *reason;
	size_t index;
};

struct dc_merge_result {
	int had_head;
	uint64_t prev_frame;	/* valid if had_head */
	uint64_t prev_applied;	/* deltas the state held before this merge */
	uint64_t frame;		/* the frame after this merge (valid if has_state) */
	int has_state;
	char rules_oid[41];
	char head_commit[41];	/* the commit merged onto ("" if unborn) */
	char *refname;

	struct dc_merge_note *applied;	/* deltas this merge applies, in order */
	size_t napplied;
	struct dc_merge_note *late;	/* those of them whose frame was merged already */
	size_t nlate;
	struct dc_merge_note *quarantined;
	size_t nquarantined;
	struct dc_merge_note *pending;	/* valid, not applied (frame > N) */
	size_t npending;
	struct dc_merge_note *unknown;	/* applied deltas with unknown sections (reason) */
	size_t nunknown;

	struct dc_merge_section *sections;
	size_t nsections;
	struct dc_merge_event_note *events_quarantined;
	size_t nevents_quarantined;

	char *deltas_dir;	/* the rules' delta directory */
	int layout_by_frame;
	int refold;		/* folded again from genesis */
	char *edited;		/* why the state is not what a merge wrote
				 * ("commit <id> changed '<file>' alone"), so it
				 * was folded again from genesis; NULL if it is */
	int from_snapshot;	/* ... whose place an archive snapshot took */
	size_t folded;		/* deltas folded */
	char **changed;		/* files written by the commit */
	size_t nchanged;
	char **consumed;	/* source names taken in (parents of the commit) */
	size_t nconsumed;
	struct dc_merge_note *skipped;	/* sources left out: path = name, reason */
	size_t nskipped;
	int committed;
	char commit[41];
};

#define DC_MERGE_RESULT_INIT { 0 }

int dc_merge(struct dc_repo *r, const struct dc_merge_opts *o, struct dc_merge_result *res,
	     struct dc_err *err);
void dc_merge_result_release(struct dc_merge_result *res);

/*
 * dc_delta_load() of blob `id`, reading its size first: a blob over the
 * rules' max_delta_bytes is quarantined without its bytes ever being read.
 * -1 with err only when the object cannot be read.
 */
int dc_delta_load_blob(struct dc_delta *d, struct dc_repo *r, const git_oid *id,
		       const char *path, const char *rel, const struct dc_rules *rules,
		       struct dc_err *err);

/*
 * `git dc archive --before F` (PROTOCOL section 9, archive.h): fold every
 * valid delta of frames below F into a snapshot of the state at the end of
 * frame F-1, list them in the manifest, prove that the projection from the
 * snapshot and the remaining deltas equals the branch's canonical state
 * and head.json (all but its delta-tree id), and commit the removal of
 * those deltas with the snapshot and manifest in one commit on the branch
 * HEAD names, by compare-and-swap, under the merge lock.
 *
 * Refused (DC_ERR_REFUSED, nothing written): no merge yet, F above the
 * merged frame + 1, a valid delta of a frame below F not merged yet. F at
 * or below an earlier archive's is a no-op (res->noop).
 */
struct dc_archive_opts {
	uint64_t before;
	int dry_run;		/* build and prove, write no ref */
	void (*progress)(void *data, const char *title, size_t done, size_t total);
	void *progress_data;
};

struct dc_archive_result {
	char *refname;
	uint64_t before;
	uint64_t frame;		/* the merged frame the proof reproduced */
	int noop;
	char **archived;	/* delta paths the commit removes, sorted */
	size_t narchived;
	size_t nkept;		/* deltas left in the tree */
	size_t nsnapshot;	/* files in the snapshot, head.json included */
	char **changed;		/* every path the commit changes */
	size_t nchanged;
	int committed;
	char commit[41];
	char tree[41];
};

int dc_archive(struct dc_repo *r, const struct dc_archive_opts *o,
	       struct dc_archive_result *res, struct dc_err *err);
void dc_archive_result_release(struct dc_archive_result *res);

/*
 * Finish or drop what an interrupted merge left (see above). Run by every
 * command that writes canonical files before it reads the work tree.
 */
int dc_merge_recover(struct dc_repo *r, struct dc_err *err);

/*
 * The bytes of .dc/head.json for a state (see above): `last` may be NULL,
 * `quarantined` sorted by path, `derived` (taken) the count record from
 * dc_fold_undo_json(). Verify compares these bytes with commits.
 */
void dc_head_write(struct dc_buf *out, uint64_t frame, const git_oid *genesis,
		   const git_oid *rules, const git_oid *deltas_tree, const struct dc_delta *last,
		   uint64_t applied, const struct dc_delta *const *quarantined, size_t nq,
		   struct dc_json *derived);

/* ---- checking a commit (PROTOCOL section 9) ---------------------------- */

struct dc_check_problem {
	char *path;		/* the file at fault */
	const char *rule;	/* a fixed word, see below */
	char *message;		/* one line, git style, without "error: " */
	char *hint;		/* what to do instead; may be NULL */
	/* canonical-edit, head-edit: what the file must hold (has_expected:
	 * 0 if it must be absent) and the id of what it holds */
	int has_expected;
	struct dc_buf expected;
	git_oid actual;
};

struct dc_check_result {
	struct dc_check_problem *problems;
	size_t n, alloc;
	/* not problems: new deltas every merge will quarantine (rule
	 * `delta-quarantined`), whose bytes are strict JSON */
	struct dc_check_problem *warnings;
	size_t nwarnings, awarnings;
	int dc;			/* the tree is a dc tree (it holds rules) */
	int projected;		/* the projection had to be computed */
	uint64_t frame;		/* the frame the tree's .dc/head.json records */
};

#define DC_CHECK_RESULT_INIT { NULL, 0, 0, NULL, 0, 0, 0, 0, 0 }

/*
 * Check `tree` (a commit to be made, or one pushed) against its parents
 * (first parent first; none for a root commit). Problems are listed, not
 * returned as errors: -1 only when the check itself cannot run (I/O,
 * corrupt objects). The rules, each a fixed word in `rule`:
 *   rules-invalid   .dc/rules.json does not load
 *   rules-removed   a parent had rules, the tree has none
 *   delta-modified  a parent's delta has other bytes (or mode) here
 *   delta-deleted   a parent's delta is gone (deleted or renamed)
 *   delta-invalid   a new delta is not strict JSON (conflict markers
 *                   included), is over max_delta_bytes, or is not a blob;
 *                   one that is JSON but breaks another rule of PROTOCOL
 *                   section 2 is a warning (delta-quarantined), not a
 *                   problem: the merge quarantines it
 *   invalid-json    a canonical file or .dc/head.json does not parse
 *   conflict-markers  ... and holds conflict markers
 *   head-edit       .dc/head.json is not what git dc merge would write
 *   canonical-edit  a canonical file differs from the projection of the
 *                   tree's deltas up to the frame its head.json records
 * The projection is computed only when a canonical file or head.json
 * differs from the first parent's.
 */
int dc_check_tree(struct dc_check_result *res, struct dc_repo *r, const git_tree *tree,
		  const git_oid *parents, size_t nparents, struct dc_err *err);
void dc_check_result_release(struct dc_check_result *res);

/* ---- building merge results (the strategy, merge --fetch, replay) ----- */

/*
 * Add to `base` every delta entry of `others` that `base` lacks, under
 * the rules' delta directory `deltas`, and write the tree (*out). The same
 * path with other bytes in two trees is a conflict: it is listed in
 * *conflicts (caller frees each string and the array) and left as in
 * `base`.
 */
int dc_union_deltas(git_oid *out, char ***conflicts, size_t *nconflicts, struct dc_repo *r,
		    const git_tree *base, const git_tree *const *others, size_t nothers,
		    const char *deltas, struct dc_err *err);

/*
 * Write the tree `delta_tree` with its canonical files and .dc/head.json
 * replaced by the projection of its deltas, folded onto the trusted state
 * of `state_tree` (found from `state_tip` when a fold from genesis needs
 * the genesis commit), up to `frame` (exactly, when has_frame; else the
 * newest frame of the state). With `from_genesis` the state is not trusted:
 * the fold starts at genesis. *out receives the tree id (equal to
 * `delta_tree`'s when nothing needs folding); `res` the report.
 */
int dc_project_onto(git_oid *out, struct dc_merge_result *res, struct dc_repo *r,
		    const git_tree *state_tree, const git_oid *state_tip,
		    const git_tree *delta_tree, int has_frame, uint64_t frame, int from_genesis,
		    struct dc_err *err);

/* The frame .dc/head.json records in `tree`; 0 and *present = 0 if none. */
int dc_tree_frame(uint64_t *frame, int *present, struct dc_repo *r, const git_tree *tree,
		  struct dc_err *err);

/* ---- the delta history of a tree (log, replay, blame, diff) ------------ */

struct dc_history {
	struct dc_rules rules;
	git_oid genesis;	/* the genesis commit */
	int has_head;
	uint64_t head_frame;	/* the frame the tree's head.json records */
	struct dc_delta *deltas;	/* every entry of the delta directory, loaded */
	size_t n;
	struct dc_delta **order;	/* the valid ones in protocol order, copies once */
	size_t norder;
};

#define DC_HISTORY_INIT { DC_RULES_INIT, {{0}}, 0, 0, NULL, 0, NULL, 0 }

/*
 * Load every delta of `commit`'s tree under its rules, validate them, and
 * put the valid ones in the order of PROTOCOL section 3 (the same bytes at
 * two paths once). The genesis commit is found from `commit`. Quarantined
 * deltas stay in deltas[] with valid == 0 and their reason.
 */
int dc_history_load(struct dc_history *h, struct dc_repo *r, const git_oid *commit,
		    struct dc_err *err);
void dc_history_release(struct dc_history *h);

#endif
