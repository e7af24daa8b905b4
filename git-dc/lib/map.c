#include "map.h"
#include "buf.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t dc_map_hash(const char *key, size_t len)
{
	/* FNV-1a, 64 bits, then a final mix so low bits spread well */
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= UINT64_C(0x100000001b3);
	}
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return (size_t)h;
}

static struct dc_map_slot *find(const struct dc_map *m, const char *key, size_t len, size_t h)
{
	size_t mask = m->cap - 1, i = h & mask;

	for (;;) {
		struct dc_map_slot *s = &m->slots[i];
		if (!s->key)
			return s;
		if (s->hash == h && s->keylen == len && !memcmp(s->key, key, len))
			return s;
		i = (i + 1) & mask;
	}
}

static void grow(struct dc_map *m)
{
	struct dc_map_slot *old = m->slots;
	size_t oldcap = m->cap, i;

	m->cap = oldcap ? oldcap * 2 : 16;
	m->slots = dc_xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < oldcap; i++) {
		if (old[i].key)
			*find(m, old[i].key, old[i].keylen, old[i].hash) = old[i];
	}
	free(old);
}

int dc_map_get(const struct dc_map *m, const char *key, size_t len, size_t *val)
{
	struct dc_map_slot *s;

	if (!m->cap)
		return 0;
	s = find(m, key, len, dc_map_hash(key, len));
	if (!s->key)
		return 0;
	if (val)
		*val = s->val;
	return 1;
}

int dc_map_put(struct dc_map *m, const char *key, size_t len, size_t val)
{
	size_t h = dc_map_hash(key, len);
	struct dc_map_slot *s;

	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	s = find(m, key, len, h);
	if (s->key) {
		s->val = val;
		return 0;
	}
	s->key = dc_xmemdupz(key, len);
	s->keylen = len;
	s->hash = h;
	s->val = val;
	m->n++;
	return 1;
}

void dc_map_release(struct dc_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
