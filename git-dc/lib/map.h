#ifndef DC_MAP_H
#define DC_MAP_H
/*
 * struct dc_map: a hash map from byte strings to size_t, open addressing
 * with linear probing. The map owns copies of its keys; values are plain
 * numbers (the fold stores element positions in them).
 * dc_map_release() accepts a zeroed map.
 */
#include <stddef.h>

struct dc_map_slot {
	char *key;		/* NULL: empty slot */
	size_t keylen;
	size_t hash;
	size_t val;
};

struct dc_map {
	struct dc_map_slot *slots;
	size_t cap;		/* a power of two, or 0 */
	size_t n;
};

#define DC_MAP_INIT { NULL, 0, 0 }

size_t dc_map_hash(const char *key, size_t len);
/* 1 and *val if present, else 0. */
int dc_map_get(const struct dc_map *m, const char *key, size_t len, size_t *val);
/* Insert or overwrite. Returns 1 if the key was new. */
int dc_map_put(struct dc_map *m, const char *key, size_t len, size_t val);
void dc_map_release(struct dc_map *m);

#endif
