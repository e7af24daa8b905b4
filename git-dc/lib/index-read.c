#include "index-fmt.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* 0: parsed; 1: a form not handled here (or not an index git would read) */
static int parse(struct dc_index *x)
{
	const unsigned char *p = bytes(x);
	size_t len = x->raw.len, end, pos, i;

	if (len < 12 + HASH_LEN || memcmp(p, "DIRC", 4))
		return 1;
	end = len - HASH_LEN;
	x->version = get_be32(p + 4);
	x->n = get_be32(p + 8);
	if (x->version != 2 && x->version != 3)
		return 1;	/* version 4 compresses paths: libgit2 reads it */
	if (x->n > (end - 12) / (ENTRY_BASE + 2))
		return 1;
	free(x->off);
	x->off = calloc(x->n ? x->n : 1, sizeof(*x->off));
	if (!x->off)
		return 1;
	for (pos = 12, i = 0; i < x->n; i++) {
		size_t head = ENTRY_BASE, size;
		const unsigned char *nul;

		if (end - pos < ENTRY_BASE + 2)
			return 1;
		if (get_be16(p + pos + 60) & FLAG_EXTENDED) {
			if (x->version < 3)
				return 1;
			head += 2;
		}
		nul = memchr(p + pos + head, '\0', end - pos - head);
		if (!nul)
			return 1;
		size = (head + (size_t)(nul - (p + pos + head)) + 8) & ~(size_t)7;
		if (size > end - pos)
			return 1;
		x->off[i] = pos;
		pos += size;
		if (i && strcmp(entry_path(x, i - 1), entry_path(x, i)) > 0)
			return 1;	/* not sorted: not an index to splice into */
	}
	x->ext = pos;
	while (pos < end) {
		uint32_t size;

		if (end - pos < 8)
			return 1;
		size = get_be32(p + pos + 4);
		if (size > end - pos - 8)
			return 1;
		/* a split or sparse index, or a required extension unknown here */
		if (!memcmp(p + pos, "link", 4) || !memcmp(p + pos, "sdir", 4) ||
		    p[pos] < 'A' || p[pos] > 'Z')
			return 1;
		pos += 8 + size;
	}
	return 0;
}

int dc_index_read(struct dc_index *x, const char *file)
{
	struct stat st;
	int fd;

	dc_index_release(x);
	x->file = strdup(file);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    dc_buf_read_fd(&x->raw, fd, (size_t)st.st_size)) {
		close(fd);
		return 1;
	}
	close(fd);
	return parse(x);
}

void dc_index_release(struct dc_index *x)
{
	free(x->file);
	free(x->off);
	dc_buf_release(&x->raw);
	memset(x, 0, sizeof(*x));
	x->raw = (struct dc_buf)DC_BUF_INIT;
}

const char *dc_index_path(const struct dc_index *x, size_t i)
{
	return entry_path(x, i);
}

void dc_index_entry_at(const struct dc_index *x, size_t i, struct dc_index_entry *e)
{
	const unsigned char *p = bytes(x) + x->off[i];

	e->path = entry_path(x, i);
	e->ctime_sec = (int32_t)get_be32(p);
	e->ctime_nsec = get_be32(p + 4);
	e->mtime_sec = (int32_t)get_be32(p + 8);
	e->mtime_nsec = get_be32(p + 12);
	e->ino = get_be32(p + 20);
	e->mode = get_be32(p + 24);
	e->size = get_be32(p + 36);
	memcpy(e->oid, p + 40, HASH_LEN);
	e->stage = entry_stage(x, i);
	e->extended = (get_be16(p + 60) & FLAG_EXTENDED) != 0;
}

int dc_index_find(const struct dc_index *x, const char *path, struct dc_index_entry *e)
{
	size_t i = lower_bound(x, path);

	if (i == x->n || strcmp(entry_path(x, i), path) || entry_stage(x, i))
		return 0;
	dc_index_entry_at(x, i, e);
	return 1;
}

const unsigned char *dc_index_extension(const struct dc_index *x, const char *sig, size_t *len)
{
	const unsigned char *p = bytes(x), *end = p + x->raw.len - HASH_LEN, *q;

	/* parse() checked that the extensions tile the file */
	for (q = p + x->ext; q + 8 <= end; q += 8 + get_be32(q + 4))
		if (!memcmp(q, sig, 4)) {
			*len = get_be32(q + 4);
			return q + 8;
		}
	return NULL;
}


int dc_index_tree_node(const unsigned char **p, const unsigned char *end, const char **name,
		       size_t *namelen, long *entries, long *subtrees, const unsigned char **oid)
{
	const unsigned char *q = *p, *nul, *nl;
	char *stop;

	if (!(nul = memchr(q, '\0', (size_t)(end - q))) ||
	    !(nl = memchr(nul + 1, '\n', (size_t)(end - nul - 1))))
		return -1;
	errno = 0;
	*entries = strtol((const char *)nul + 1, &stop, 10);
	if (*stop != ' ' || errno)
		return -1;
	*subtrees = strtol(stop + 1, &stop, 10);
	if ((const unsigned char *)stop != nl || errno || *subtrees < 0 || *entries < -1 ||
	    (*entries >= 0 && end - (nl + 1) < HASH_LEN))
		return -1;
	*name = (const char *)q;
	*namelen = (size_t)(nul - q);
	*oid = *entries >= 0 ? nl + 1 : NULL;
	*p = nl + 1 + (*entries >= 0 ? HASH_LEN : 0);
	return 0;
}

int dc_tree_order(const char *a, size_t alen, int adir, const char *b, size_t blen, int bdir)
{
	size_t len = alen < blen ? alen : blen;
	int c = memcmp(a, b, len);
	unsigned ca, cb;

	if (c)
		return c;
	ca = alen > len ? (unsigned char)a[len] : adir ? '/' : 0;
	cb = blen > len ? (unsigned char)b[len] : bdir ? '/' : 0;
	return (int)ca - (int)cb;
}
