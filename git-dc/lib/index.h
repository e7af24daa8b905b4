#ifndef DC_INDEX_H
#define DC_INDEX_H

#include "buf.h"
#include "err.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * git's index file, read and edited by git dc itself: a delta's commit
 * changes one entry of an index that can hold tens of thousands, and
 * libgit2 parses every entry into its own structures, then writes them
 * all back with its collision-detecting SHA-1 (about a third of a
 * `git dc delta` on 10,000 deltas). Here the new entries are spliced into
 * the file's bytes and the checksum is libcrypto's.
 *
 * Only what git dc edits is handled: versions 2 and 3, entries at stage 0.
 * Anything else (version 4, a split or sparse index, a required extension
 * this reader does not know, a conflict or a file/directory clash at a
 * path to change, an entry with extended flags to replace) makes the
 * reader or the writer answer "not here" (1), and the caller goes through
 * libgit2 as before. Extensions: the cache tree (TREE) is kept, with every
 * directory above a changed path marked invalid, as git does; REUC is
 * kept; the other optional ones (UNTR, FSMN, EOIE, IEOT, ...) index
 * entries by position or offset and are dropped, which git allows.
 */

struct dc_index_entry {
	const char *path;		/* in the index's bytes, NUL-terminated */
	unsigned char oid[20];
	uint32_t mode, size, ino;
	int32_t ctime_sec, mtime_sec;
	uint32_t ctime_nsec, mtime_nsec;
	int stage;
	int extended;			/* version 3's extended flags are set */
};

struct dc_index {
	char *file;			/* the index file's path */
	struct dc_buf raw;		/* its bytes */
	unsigned version;
	size_t n;			/* entries */
	size_t *off;			/* the offset of each entry in raw */
	size_t ext;			/* where the extensions start */
};

#define DC_INDEX_INIT { NULL, DC_BUF_INIT, 0, 0, NULL, 0 }

/*
 * Read the index file `file`. 0 when read; 1 when it is missing, cannot be
 * read, does not parse, or is a form git dc does not edit: libgit2 then
 * reads it (and creates it, or reports what is wrong).
 */
int dc_index_read(struct dc_index *x, const char *file);
void dc_index_release(struct dc_index *x);

/* The stage-0 entry at `path`: 1 with *e filled, else 0. */
int dc_index_find(const struct dc_index *x, const char *path, struct dc_index_entry *e);

/* The path of entry i (< x->n). */
const char *dc_index_path(const struct dc_index *x, size_t i);

/* Entry i (< x->n, in the index's order: by path, then stage) into *e. */
void dc_index_entry_at(const struct dc_index *x, size_t i, struct dc_index_entry *e);

/*
 * One node of the cache tree (extension TREE) at *p (before `end`): its
 * directory's name (*name, *namelen bytes), its entry count (-1: not
 * valid), its number of subtrees and, when valid, its tree id (*oid,
 * else NULL); *p then points at its first subtree. 0, or -1 when it is
 * not well formed.
 */
int dc_index_tree_node(const unsigned char **p, const unsigned char *end, const char **name,
		       size_t *namelen, long *entries, long *subtrees, const unsigned char **oid);

/* git's order of the names in a tree, as of paths in the index: a
 * directory's name sorts as if it ended in '/'. */
int dc_tree_order(const char *a, size_t alen, int adir, const char *b, size_t blen, int bdir);

/* The bytes of extension `sig` ("TREE"), *len of them; NULL when absent. */
const unsigned char *dc_index_extension(const struct dc_index *x, const char *sig, size_t *len);

/* One change: `path` set to blob `oid` (mode 100644) with the stat data
 * of `st`, or removed when `oid` is NULL. */
struct dc_index_change {
	const char *path;
	const unsigned char *oid;
	struct stat st;
};

/*
 * Apply `changes` to the index file `file` under git's lock
 * (<file>.lock, created exclusively): the file is read again under the
 * lock, so changes made by others since dc_index_read() are kept. 0 when
 * written; 1 when nothing was written because this form or these changes
 * are not handled here (use libgit2); -1 with `err` set (lock taken by
 * another process: DC_ERR_FATAL naming the lock).
 */
int dc_index_update(const char *file, const struct dc_index_change *changes, size_t n,
		    struct dc_err *err);

#endif
