#ifndef DC_FOLD_H
#define DC_FOLD_H
/*
 * The fold (PROTOCOL sections 4 and 5): canonical state as a pure function
 *
 *	state = fold(base, valid deltas in order, rules)
 *
 * No repository, no files, no clock. Canonical files come in through a
 * read callback, the first time a section or a derived count needs them,
 * and stay in memory as dc_json trees owned by the state; the caller writes
 * out the files marked changed.
 *
 * A file is marked changed only when its value changes as JSON: an `add`
 * of an element already present, a `set` to the same value or a count that
 * did not move leaves it alone, so a file no delta changed keeps its bytes.
 * Containers on a target's path are created only when an event is about to
 * change them, never by an event that is quarantined.
 *
 * Errors: an event that breaks a section's rules is quarantined (recorded in
 * the stats with its delta, section and index) and the rest of the delta
 * still applies. A canonical file that is not valid JSON, or whose target
 * has the wrong type for the section's op, fails the whole fold (-1, code
 * DC_ERR_REFUSED): that is the state's fault, not a delta's, and nothing
 * may be written.
 */
#include <stddef.h>
#include "buf.h"
#include "err.h"
#include "json.h"
#include "rules.h"
#include "delta.h"
#include "map.h"

/* 1 if a line of the text starts with a conflict marker ("<<<<<<< ",
 * "=======", ">>>>>>> ", "||||||| "), as git writes them. */
int dc_has_conflict_markers(const char *buf, size_t len);

/*
 * Read the base content of a canonical file into `out`; set *exists to 0
 * (and leave `out` empty) if the file is absent. Return -1 with err on a
 * real failure (I/O, corrupt repository).
 */
typedef int (*dc_state_read_fn)(void *data, const char *path, struct dc_buf *out,
				int *exists, struct dc_err *err);

/*
 * Summaries (optional, see dc_state.summary): the summary of the base's
 * file `path` (a segment file, or a file read by its member arrays) into
 * `out`. *exists: the base holds the file;
 * *found: a summary of exactly its content is at hand. -1 with err on a
 * real failure only: a missing or unreadable summary is not one.
 */
typedef int (*dc_state_summary_fn)(void *data, const char *path, struct dc_buf *out,
				   int *exists, int *found, struct dc_err *err);

struct dc_lazy;			/* private: a segmented file read segment by segment */
struct dc_members;		/* private: a file's member arrays read by its summary */
struct dc_count_cache;		/* private: a grouped count kept between finishes */

struct dc_state_file {
	char *path;
	struct dc_json *doc;	/* NULL until loaded */
	int loaded;
	int existed;		/* present in the base */
	int changed;		/* the fold changed its value */

	/*
	 * Segmented (a section with `segment`, PROTOCOL section 7): `doc` is
	 * the logical array, read from `path` itself (a file written before
	 * the rules segmented it) followed by the segment files
	 * "<stem>.000000.json", "<stem>.000001.json", ... up to the first
	 * missing number. Written back, it is split into chunks of `segment`
	 * elements, chunk k to segment file k, and `path` is removed.
	 */
	size_t segment;		/* elements per segment file; 0: not segmented */
	size_t base_segments;	/* segment files read */
	int base_plain;		/* `path` itself was read */
	int base_regular;	/* the base is already split as it would be written */
	size_t base_last;	/* elements in the last base segment file */
	/*
	 * Set when the file was opened from its segments' summaries: `doc`
	 * then holds every element's slot, NULL for a segment not read yet;
	 * the fold reads a segment only when an event needs one of its
	 * elements or its chunk must be written.
	 */
	struct dc_lazy *lazy;
	/*
	 * Set when a file that is not segmented was opened from its summary
	 * (its arrays' slots filled when an event needs a base element): write
	 * it with dc_state_file_bytes(), never dc_json_write().
	 */
	struct dc_members *members;
	char *touched;		/* per chunk: an element in it was added or changed */
	size_t ntouched;
};

struct dc_event_note {
	char *path;		/* the delta's path */
	char *section;
	size_t index;		/* the event's index in the section */
	char *reason;
};

struct dc_fold_stats {
	size_t *applied;	/* per rules section: events that changed state */
	size_t *present;	/* per rules section: events already there (no-op) */
	struct dc_event_note *quarantined;
	size_t nquarantined, alloc_quarantined;
};

struct dc_fold_target;		/* private: a section's resolved target and key index */

/* One change a derived count made: `pointer` NULL means the count created
 * the file; `was` NULL means the member was absent before. */
struct dc_undo {
	char *file;
	char *pointer;
	struct dc_json *was;
};

struct dc_state {
	const struct dc_rules *rules;
	struct dc_state_file *files;	/* one per dc_rules_files(), same order */
	size_t nfiles;
	dc_state_read_fn read;
	void *read_data;
	struct dc_json_parse_opts parse_opts;
	struct dc_fold_target *targets;	/* one per rules section */
	struct dc_fold_stats stats;
	/* set while folding again deltas applied before: they change the
	 * state as always but are not counted in the stats */
	int replaying;
	struct dc_undo *undo;	/* what dc_fold_finish() changed, in order */
	size_t nundo, alloc_undo;
	/*
	 * Optional, set after dc_state_init(): where the summaries of segment
	 * files, and of files whose member arrays the fold can read by one,
	 * come from. A summary (dc_state_chunk_summary(), dc_state_file_bytes())
	 * is what the fold needs of an array it does not parse: its length,
	 * the hashes of its elements' keys, its tallies for the derived counts
	 * and, for a member array, where it and its elements lie. Kept by
	 * content id, it is never stale; one that does not decode, does not
	 * fit the file or was made under other rules is ignored and the file
	 * is read whole.
	 */
	dc_state_summary_fn summary;
	void *summary_data;
	/* set after dc_state_init(): record the elements upserts change (see
	 * dc_fold_changed_since()), and keep the grouped counts' tallies from
	 * one dc_fold_finish() to the next, following those changes */
	int track_changes;
	struct dc_count_cache *counts;	/* private: per rules->derived */
};

#define DC_STATE_INIT { 0 }

/* Prepare an empty state over `rules` (which must outlive it). */
int dc_state_init(struct dc_state *st, const struct dc_rules *rules,
		  dc_state_read_fn read, void *read_data, struct dc_err *err);
void dc_state_release(struct dc_state *st);

/* The file `path` of the state, loading it if needed; NULL + err on failure
 * or if `path` is not a canonical file of the rules. */
struct dc_state_file *dc_state_file(struct dc_state *st, const char *path, struct dc_err *err);

/* A segmented file's chunks: how many, and whether chunk k may differ from
 * base segment file k (0: certainly the same bytes, it need not be written). */
size_t dc_state_chunks(const struct dc_state_file *f);
int dc_state_chunk_dirty(const struct dc_state_file *f, size_t k);
/* The bytes of chunk k, in the canonical layout, appended to `out`. */
void dc_state_chunk_write(struct dc_buf *out, const struct dc_state_file *f, size_t k);
/*
 * With st->track_changes: the positions, in section `si`'s array target,
 * of the elements an upsert changed since the reader's *cursor (0 at
 * first), in order, maybe repeated; *cursor moves past them. Other
 * elements change only by being added at the end.
 */
size_t dc_fold_changed_since(const struct dc_state *st, size_t si, size_t *cursor,
			     const size_t **pos);

/* Of a segmented file's base segment files, how many the fold read;
 * *total: how many the base has. */
size_t dc_state_segments_read(const struct dc_state_file *f, size_t *total);
/*
 * The bytes of chunk k, as dc_state_chunk_write() gives them, into `out`:
 * for a last segment the fold never read and only appended to, the base
 * segment's bytes with the new elements spliced in. -1 with err when that
 * segment cannot be read.
 */
int dc_state_chunk_bytes(struct dc_buf *out, struct dc_state *st, const struct dc_state_file *f,
			 size_t k, struct dc_err *err);
/* The summary of chunk k (see dc_state.summary) into `out`; `written`: its
 * bytes are dc_state_chunk_bytes()'s (else the base's, of unknown layout).
 * -1 when the fold knows too little of the chunk (a segment never read). */
int dc_state_chunk_summary(struct dc_buf *out, const struct dc_state *st,
			   const struct dc_state_file *f, size_t k, int written);

/*
 * The bytes of file `f` (not segmented, f->doc set), in the canonical
 * layout, appended to `out`. `sum` (may be NULL): its summary, for
 * dc_state.summary under the bytes' content id, appended when the fold
 * can read the file by it. `same` (may be NULL): where the bytes are its
 * base's bytes, as the fold read them, when they were spliced into those
 * (else it is left empty). -1 with err when its base cannot be read.
 */
int dc_state_file_bytes(struct dc_buf *out, struct dc_buf *sum, struct dc_sames *same,
			struct dc_state *st, struct dc_state_file *f, struct dc_err *err);

/* Was file `f` (not segmented) opened by its summary? 0: no; 1: yes, and
 * *parsed of its *total base elements were parsed alone; 2: yes, then
 * parsed whole. */
int dc_state_by_summary(const struct dc_state_file *f, size_t *parsed, size_t *total);

/* Apply one valid delta: its sections in the order they appear in the
 * delta, the events of each in array order. Sections the rules do not name,
 * and `ignore` sections, are skipped. */
int dc_fold_apply(struct dc_state *st, const struct dc_delta *d, struct dc_err *err);

/* After the last delta: compute the derived counts, recording each change
 * they make in st->undo. */
int dc_fold_finish(struct dc_state *st, struct dc_err *err);

/*
 * The record of st->undo as a JSON array (owned by the caller), and its
 * inverse: before folding new deltas onto a state that holds the counts of
 * an earlier merge, dc_fold_undo() takes that merge's record and restores
 * the state the counts were computed from, exactly (values in place,
 * members and entities the counts added removed).
 */
struct dc_json *dc_fold_undo_json(const struct dc_state *st);
int dc_fold_undo(struct dc_state *st, const struct dc_json *records, struct dc_err *err);

#endif
