#ifndef DC_LOOSE_H
#define DC_LOOSE_H

#include "buf.h"
#include "err.h"
#include <git2.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Blobs as loose objects, written by git dc itself: a merge rewrites
 * canonical files of many megabytes, and libgit2 hashes them with its
 * collision-detecting SHA-1 and compresses them on one core.
 */

/*
 * The git blob id of `len` bytes: SHA-1 of "blob <len>\0" and the bytes,
 * with libcrypto's SHA-1 (the CPU's SHA instructions), not libgit2's
 * collision-detecting one. Ids of canonical files git dc writes are not
 * where a collision attack would come from: git checks the objects it
 * receives itself.
 */
int dc_blob_id(git_oid *oid, const void *buf, size_t len);

/*
 * libcrypto's SHA-1 through its low-level interface, which starts
 * nothing: the EVP one loads libcrypto's configuration and providers on
 * first use, about a millisecond of every process.
 */
struct dc_sha1_ctx {
	uint64_t opaque[16];
};
void dc_sha1_init(struct dc_sha1_ctx *c);
void dc_sha1_update(struct dc_sha1_ctx *c, const void *buf, size_t len);
void dc_sha1_final(unsigned char *md, struct dc_sha1_ctx *c);

/* The SHA-1 of `a` then `b` (blen may be 0) into md[20]: 0. */
int dc_sha1(unsigned char *md, const void *a, size_t alen, const void *b, size_t blen);

/*
 * Write `len` bytes as the loose blob object <objects_dir>/xx/yyyy..., in
 * git's format (zlib at `level` of "blob <len>\0" and the bytes), through
 * a temporary file renamed into place. From DC_LOOSE_SPLIT bytes on, the
 * second part is compressed on a second thread while the first is hashed
 * and compressed: the two deflate streams join into one (the first ends
 * with a sync flush; the second starts from the last 32 KiB of the first
 * as its dictionary), with the zlib header and the Adler-32 of the whole.
 * A loose object already there only gets its time refreshed, as git
 * refreshes an object it would write again. Returns 1, with *oid set and
 * nothing written, when the object is not loose there (it may be packed):
 * the caller writes it through libgit2, which refreshes packs.
 */
#define DC_LOOSE_SPLIT ((size_t)1 << 20)
int dc_loose_write_blob(git_oid *oid, const char *objects_dir, int level, const void *buf,
			size_t len, git_odb *odb, struct dc_err *err);
/* The same for an object of any `type` (a tree, say). */
int dc_loose_write(git_oid *oid, const char *objects_dir, int level, git_object_t type,
		   const void *buf, size_t len, git_odb *odb, struct dc_err *err);

/*
 * What a chunked write may take from a blob written before in chunks: its
 * id, its chunk map (from dc_loose_write_chunks()) and where the new
 * bytes are the same as its bytes (same[]: in the order of both, apart).
 */
struct dc_loose_base {
	const git_oid *id;
	const void *map;
	size_t maplen;
	const struct dc_same *same;
	size_t nsame;
};

/*
 * dc_loose_write_blob() in chunks of about DC_LOOSE_CHUNK bytes, each
 * deflated alone (from a fresh state, ended with a sync flush) on two
 * threads while the bytes are hashed, so that a later write can take a
 * chunk's deflated bytes as they are: a file of many megabytes where a
 * merge changed a few places then costs the deflating of those places.
 * A chunk of `base` (may be NULL) is taken when same[] holds it whole,
 * its deflated bytes in the base's loose file still have the map's
 * CRC-32, and the new bytes in its place have the map's Adler-32; any
 * other is deflated. The map of the written file is appended to `map`
 * (nothing when the object was there already); *deflated of *chunks
 * chunks were deflated. The stream costs about 2% more than one deflated
 * whole at the same level. Returns as dc_loose_write_blob().
 */
#define DC_LOOSE_CHUNK ((size_t)128 << 10)
int dc_loose_write_chunks(git_oid *oid, const char *objects_dir, int level, const void *buf,
			  size_t len, git_odb *odb, const struct dc_loose_base *base,
			  struct dc_buf *map, size_t *deflated, size_t *chunks, struct dc_err *err);

#endif
