#ifndef DC_REPO_H
#define DC_REPO_H
/*
 * libgit2 glue: opening the repository, reading trees and blobs, listing
 * deltas, writing trees and commits without touching .git/index, moving a
 * branch with a compare-and-swap, and bringing a work tree along.
 *
 * Object ids cross this interface as 40-character hex strings (char[41]);
 * libgit2 types stay in the modules that talk to git (repo.c, merge.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <git2.h>
#include "buf.h"
#include "err.h"
#include "loose.h"

struct dc_repo {
	git_repository *git;
	int bare;
	const char *workdir;	/* NULL when bare; owned by libgit2 */
	const char *gitdir;	/* this worktree's git directory */
	/* where git dc writes new loose blobs itself (loose.h), at zlib
	 * level loose_level; NULL: through libgit2 */
	char *objects_dir;
	int loose_level;
	/* the index as on disk, to find canonical files clean in the work
	 * tree (never changed in memory; NULL until first needed) */
	git_index *clean_index;
};

#define DC_REPO_INIT { NULL, 0, NULL, NULL, NULL, 1, NULL }

/* git_libgit2_init(), once, without the CA bundle no git dc command uses */
void dc_libgit2_init(void);

/*
 * Open the repository git would use here: $GIT_DIR (and $GIT_WORK_TREE) when
 * set, else discovery from the current directory. Fails with code
 * DC_ERR_FATAL ("not a git repository").
 */
int dc_repo_open(struct dc_repo *r, struct dc_err *err);
void dc_repo_release(struct dc_repo *r);

/* Set err from libgit2's last error: "<what>: <libgit2 message>". */
int dc_git_err(struct dc_err *err, int code, const char *what, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The branch HEAD points at ("refs/heads/main") in *refname (owned by the
 * caller), and its commit in *commit (NULL if the branch is unborn; free
 * with git_commit_free). A detached HEAD is refused.
 */
int dc_repo_head(char **refname, git_commit **commit, struct dc_repo *r, struct dc_err *err);

/*
 * Read the blob at `path` in `tree`. *exists = 0 if there is no such entry.
 * An entry that is not a regular file (a tree, a link, a submodule) is an
 * error naming the path. `oid` (may be NULL) receives the blob id.
 */
int dc_repo_read(struct dc_buf *out, int *exists, git_oid *oid, struct dc_repo *r,
		 const git_tree *tree, const char *path, struct dc_err *err);

/* One entry found under the delta directory of a tree. */
struct dc_tree_entry {
	char *rel;		/* path relative to the delta directory */
	git_oid oid;
	git_filemode_t mode;
};

/*
 * List every entry under `dir` in `tree`, recursing one level into
 * sub-trees named frame-<n> (the by-frame layout); other sub-trees are
 * listed as themselves (mode GIT_FILEMODE_TREE) so callers can refuse them.
 * Sorted by rel, bytewise. *tree_oid receives the directory's tree id (zero
 * if absent). The array and its strings belong to the caller:
 * dc_tree_entries_free().
 */
int dc_repo_list_dir(struct dc_tree_entry **out, size_t *n, git_oid *tree_oid,
		     struct dc_repo *r, const git_tree *tree, const char *dir, struct dc_err *err);
/* A regular file (a delta can only be one). */
int dc_tree_entry_is_blob(const struct dc_tree_entry *e);
/* Why an entry that is not a regular file cannot be a delta (a static
 * string: "not a regular file: it is a directory", ...). */
const char *dc_tree_entry_kind(const struct dc_tree_entry *e);
/* A dot file (".keep", "frame-1/.x"): not a delta, and never checked. */
int dc_tree_entry_hidden(const struct dc_tree_entry *e);
/* The entry named `rel` in a listing sorted by rel (as returned), or NULL. */
const struct dc_tree_entry *dc_tree_entries_find(const struct dc_tree_entry *e, size_t n,
						 const char *rel);

/* The same listing, from the id of the delta directory's tree. */
int dc_repo_list_tree(struct dc_tree_entry **out, size_t *n, struct dc_repo *r,
		      const git_oid *dir_tree, const char *dir, struct dc_err *err);
void dc_tree_entries_free(struct dc_tree_entry *e, size_t n);

/*
 * One past the highest segment number of `file` ("<stem>.NNNNNN.json")
 * among the entries of its directory in `tree`, below `prefix` ("" or a
 * directory with its final slash); 0 if there is none. A stray segment
 * file after a gap counts.
 */
size_t dc_repo_segment_end(const git_tree *tree, const char *prefix, const char *file);

/* The blob id of `path` in `tree` (zero if absent); 1 if found. No read. */
int dc_repo_tree_oid(git_oid *out, const git_tree *tree, const char *path);

/* Write a blob; id in *oid. */
int dc_repo_write_blob(git_oid *oid, struct dc_repo *r, const void *buf, size_t len,
		       struct dc_err *err);
/* The same, in chunks (dc_loose_write_chunks()) when git dc writes loose
 * blobs itself; else through libgit2, nothing added to `map`. */
int dc_repo_write_blob_chunks(git_oid *oid, struct dc_repo *r, const void *buf, size_t len,
			      const struct dc_loose_base *base, struct dc_buf *map, size_t *deflated,
			      size_t *chunks, struct dc_err *err);

/* A change to a tree: set `path` to blob `oid` (mode 100644), or remove it. */
struct dc_tree_change {
	const char *path;
	git_oid oid;
	int remove;
};

/* Apply changes to `base` (NULL: empty tree) and write the new tree. */
int dc_repo_tree_update(git_oid *out, struct dc_repo *r, const git_tree *base,
			const struct dc_tree_change *changes, size_t n, struct dc_err *err);
/*
 * The same, written by git dc itself (changed entries spliced into each
 * tree's bytes): 1 when it does not (loose objects not written by git dc
 * here, two changes at one path, a file where a directory is or the other
 * way round, the removal of a path that is not there), and
 * dc_repo_tree_update() goes to libgit2.
 */
int dc_repo_tree_splice(git_oid *out, struct dc_repo *r, const git_tree *base,
			const struct dc_tree_change *changes, size_t n, struct dc_err *err);

/*
 * Create a commit (author and committer from GIT_AUTHOR_* / GIT_COMMITTER_*
 * when set, else user.name / user.email, as git does) without moving any
 * reference.
 */
int dc_repo_commit(git_oid *out, struct dc_repo *r, const git_oid *tree,
		   const git_oid *parents, size_t nparents, const char *message,
		   struct dc_err *err);

/*
 * Move `refname` from `old` (NULL: the ref must not exist yet) to `new`,
 * atomically: if someone else moved it first, fail with code DC_ERR_REFUSED
 * and a message saying so; nothing is changed then.
 */
int dc_repo_cas_ref(struct dc_repo *r, const char *refname, const git_oid *old,
		    const git_oid *new_oid, const char *reflog, struct dc_err *err);

/*
 * After a branch checked out in this work tree moved from `old_tree` to
 * `new_tree`: write the given paths of the work tree and their index
 * entries from `new_tree` (removing those absent there). Only paths whose
 * work-tree and index content still equal `old_tree` or already equal
 * `new_tree` are touched; any other is an error naming it, and nothing is
 * written. With `force`, the paths are written whatever they hold (for
 * files the user handed to the command). `contents` (may be NULL: read
 * from `new_tree`) holds the bytes of each path in `new_tree`. No-op for a
 * bare repository.
 */
int dc_repo_bring_worktree(struct dc_repo *r, const git_tree *old_tree, const git_tree *new_tree,
			   const char *const *paths, const struct dc_buf *contents, size_t n,
			   int force, struct dc_err *err);

/*
 * Paths among `paths` whose work-tree or index content differs from `tree`
 * (uncommitted changes), appended to *out (caller frees the strings and
 * array). Bare: none.
 */
int dc_repo_dirty_paths(char ***out, size_t *nout, struct dc_repo *r, const git_tree *tree,
			const char *const *paths, size_t n, struct dc_err *err);

/* Write `len` bytes to `path` atomically (a temporary file, then rename),
 * then remove the temporary files of writers of `path` that were killed. */
int dc_write_file_atomic(const char *path, const void *buf, size_t len, struct dc_err *err);

#endif
