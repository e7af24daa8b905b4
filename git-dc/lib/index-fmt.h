#ifndef DC_INDEX_FMT_H
#define DC_INDEX_FMT_H
/*
 * The index file's layout, for its reader (index-read.c, which the hook
 * links without libcrypto) and its writer (index.c).
 */
#include "index.h"
#include <string.h>

/* An entry: stat data, mode, ids, size (40 bytes), the object id (20),
 * the flags (2), in version 3 maybe 2 more flags, then the path and 1 to 8
 * NULs up to a multiple of 8 bytes. */
#define ENTRY_BASE 62
#define FLAG_EXTENDED 0x4000
#define FLAG_STAGE 0x3000
#define NAME_MASK 0x0fff
#define HASH_LEN 20
#define TREE_DEPTH_MAX 4096

static inline uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline unsigned get_be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static inline const unsigned char *bytes(const struct dc_index *x)
{
	return (const unsigned char *)x->raw.buf;
}

static inline const char *entry_path(const struct dc_index *x, size_t i)
{
	const unsigned char *e = bytes(x) + x->off[i];
	return (const char *)e + ENTRY_BASE + (get_be16(e + 60) & FLAG_EXTENDED ? 2 : 0);
}

static inline int entry_stage(const struct dc_index *x, size_t i)
{
	return (int)((get_be16(bytes(x) + x->off[i] + 60) & FLAG_STAGE) >> 12);
}

/* The first entry whose path is not below `path` (strcmp order). */
static inline size_t lower_bound(const struct dc_index *x, const char *path)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(entry_path(x, mid), path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
