#ifndef DC_HOOK_STAGED_H
#define DC_HOOK_STAGED_H
/*
 * What a commit would record, for the pre-commit hook, without
 * `git diff-index --cached`: the index read here, HEAD's trees read
 * as `git cat-file --batch-command` answers (which also answers for the
 * rules and the staged blobs). A directory whose cache tree (the index's
 * TREE extension, which `git commit` brings up to date before its hooks
 * run) names HEAD's tree is not walked.
 */
#include "buf.h"
#include "odb.h"
#include <sys/types.h>

/*
 * Objects asked one at a time, answered as `git cat-file --batch-command`
 * answers: read here (odb.h) where they can be, else by a `git cat-file
 * --batch-command` started when first needed and kept running.
 */
struct batch {
	struct dc_odb *odb;	/* NULL: every object is git's to read */
	pid_t pid;		/* git cat-file, once started */
	int to, from;		/* its standard input, its standard output */
	struct dc_buf got;	/* answers not yet taken */
	size_t pos;
	unsigned here, by_git;	/* how many answers came from where */
};

/*
 * Get ready to read the objects of the repository whose git directory is
 * `gitdir`. With gitdir NULL, with DC_HOOK_CAT_FILE set, or when odb.h
 * leaves the repository to git, `git cat-file` starts now. 0, or -1
 * (nothing can answer).
 */
int batch_start(struct batch *b, const char *gitdir);
/* Close what batch_start() opened: git cat-file's input, then wait for it. */
void batch_stop(struct batch *b);

/*
 * For each line of `in` (object names), "<cmd> <name>" ("info" or
 * "contents"), and its answer appended to `out` as `git cat-file
 * --batch-check` or `--batch` prints it. 0, or -1 when the process fails.
 */
int batch_run(struct batch *b, const char *cmd, const struct dc_buf *in, struct dc_buf *out);

/*
 * The staged changes against HEAD, in the form of
 * `git diff-index --cached --raw --no-abbrev --no-renames -z HEAD`
 * (the empty tree when HEAD has no commit yet), appended to `raw`, from
 * the index file `index_file`. 0 done; 1 when this index is not one read
 * here (version 4, split or sparse, an unmerged or intent-to-add entry)
 * or a tree cannot be read: the caller asks git; -1 when the process
 * fails.
 */
int staged_from_index(struct dc_buf *raw, struct batch *b, const char *index_file);

#endif
