#ifndef DC_ODB_H
#define DC_ODB_H
/*
 * Objects read by git dc itself, without libgit2 or a git process: for the
 * pre-commit hook, whose budget a `git cat-file` starting (about 3 ms)
 * would take alone. It reads loose objects and packs (index version 2,
 * offset and reference deltas), the refs HEAD goes through (loose, then
 * packed-refs) and paths in a tree. It answers only what it knows to be
 * git's answer: a repository it does not read as git would (alternates,
 * replace refs, another object format, GIT_OBJECT_DIRECTORY), an object
 * it does not find, or one it cannot read, is left to git.
 */
#include "buf.h"
#include <stddef.h>
#include <stdint.h>

#define DC_ODB_RAWSZ 20

enum dc_odb_type {
	DC_ODB_NONE = 0,
	DC_ODB_COMMIT = 1,
	DC_ODB_TREE = 2,
	DC_ODB_BLOB = 3,
	DC_ODB_TAG = 4,
};

struct dc_odb;

/*
 * Open the object store of the repository whose git directory is
 * `gitdir` (a worktree's: its `commondir` is followed). 0 with *out set;
 * 1 when the repository is one left to git (see above), *out NULL.
 */
int dc_odb_open(struct dc_odb **out, const char *gitdir);
void dc_odb_close(struct dc_odb *odb);

/* "commit", "tree", "blob", "tag"; NULL for DC_ODB_NONE. */
const char *dc_odb_type_name(enum dc_odb_type type);

/*
 * The object `oid`: its type and size, and with `out` its bytes (appended;
 * out may be NULL to ask only the type and size, which does not inflate a
 * loose object's bytes or a packed one's base). 0 found; 1 not found here
 * (it may be in a pack made since, or elsewhere: ask git); -1 when it is
 * here but cannot be read (corrupt, or a form not read here).
 */
int dc_odb_read(struct dc_odb *odb, const unsigned char *oid, enum dc_odb_type *type,
		uint64_t *size, struct dc_buf *out);

/*
 * The object a name names, as `git cat-file` reads it: 40 hex digits,
 * `HEAD`, `HEAD^{tree}`, `HEAD:<path>` (also `<hex>:<path>`,
 * `<hex>^{tree}`). 0 with oid[] set; 1 when git would say it is missing
 * (a path not in the tree); -1 when it is left to git (another name, an
 * unborn HEAD, a ref not read here, an object not found or unreadable).
 */
int dc_odb_resolve(struct dc_odb *odb, const char *name, size_t len, unsigned char *oid);

/* Hex to bytes (DC_ODB_RAWSZ of them) and back (2 * DC_ODB_RAWSZ + 1). */
int dc_odb_hex_to_oid(unsigned char *oid, const char *hex);
void dc_odb_oid_to_hex(char *hex, const unsigned char *oid);

#endif
