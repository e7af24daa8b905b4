#include "odb.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <zlib.h>

#define RAWSZ DC_ODB_RAWSZ
#define HEXSZ (2 * RAWSZ)
/* deltas on deltas: git's pack-objects goes to 4095 at most */
#define CHAIN_MAX 10000
/* reference deltas whose base is in another pack or loose */
#define REF_DEPTH_MAX 64
/* a symbolic ref pointing at a symbolic ref ... */
#define SYMREF_MAX 5
#define PEEL_MAX 16

/* pack entry types (git's pack format) */
enum {
	OBJ_OFS_DELTA = 6,
	OBJ_REF_DELTA = 7,
};

struct pack {
	char *path;			/* the .pack file */
	unsigned char *idx;
	size_t idxlen;
	uint32_t n;			/* objects */
	const unsigned char *oids, *offs, *large;
	size_t nlarge;
	unsigned char *data;		/* the .pack file, mapped on first use */
	size_t len;
	int bad;			/* the .pack file cannot be mapped or is not one */
};

struct dc_odb {
	char *gitdir, *common, *objects;
	struct dc_buf packed_refs;
	struct pack *packs;
	size_t npacks;
};

static const char *const type_names[] = { NULL, "commit", "tree", "blob", "tag" };

const char *dc_odb_type_name(enum dc_odb_type type)
{
	return type >= DC_ODB_COMMIT && type <= DC_ODB_TAG ? type_names[type] : NULL;
}

static enum dc_odb_type type_from_name(const char *s, size_t len)
{
	int t;

	for (t = DC_ODB_COMMIT; t <= DC_ODB_TAG; t++)
		if (strlen(type_names[t]) == len && !memcmp(type_names[t], s, len))
			return (enum dc_odb_type)t;
	return DC_ODB_NONE;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int dc_odb_hex_to_oid(unsigned char *oid, const char *hex)
{
	size_t i;

	for (i = 0; i < RAWSZ; i++) {
		int hi = hexval((unsigned char)hex[2 * i]), lo;

		if (hi < 0 || (lo = hexval((unsigned char)hex[2 * i + 1])) < 0)
			return -1;
		oid[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void dc_odb_oid_to_hex(char *hex, const unsigned char *oid)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < RAWSZ; i++) {
		hex[2 * i] = digits[oid[i] >> 4];
		hex[2 * i + 1] = digits[oid[i] & 15];
	}
	hex[HEXSZ] = '\0';
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const unsigned char *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* The whole file at `path` into `out`: 0; 1 when there is none; -1. */
static int read_file(struct dc_buf *out, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 1 : -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? 1 : -1;
	}
	e = dc_buf_read_fd(out, fd, (size_t)st.st_size);
	close(fd);
	return e;
}

static int exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* No directory at `path`, or one with nothing in it. */
static int empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

static char *path_join(const char *a, const char *b)
{
	struct dc_buf p = DC_BUF_INIT;

	dc_buf_addf(&p, "%s/%s", a, b);
	return dc_buf_detach(&p, NULL);
}

/* ---- packs ------------------------------------------------------------- */

static void pack_free(struct pack *p)
{
	if (p->idx)
		munmap(p->idx, p->idxlen);
	if (p->data)
		munmap(p->data, p->len);
	free(p->path);
}

/* The file at `path` mapped, or NULL with errno (EINVAL: not a file, or empty). */
static void *map_file(const char *path, size_t *len)
{
	struct stat st;
	void *m;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !st.st_size) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	return m;
}

/* Map the pack index `idxpath` (version 2) into *p: 0, or -1 (not one read here). */
static int pack_open_index(struct pack *p, const char *idxpath)
{
	const unsigned char *fan;
	size_t fixed, i;
	uint32_t prev = 0;

	memset(p, 0, sizeof(*p));
	if (!(p->idx = map_file(idxpath, &p->idxlen)))
		return -1;
	if (p->idxlen < 8 + 1024 + 2 * RAWSZ || memcmp(p->idx, "\377tOc", 4) ||
	    get_be32(p->idx + 4) != 2)
		goto bad;
	fan = p->idx + 8;
	for (i = 0; i < 256; i++) {
		uint32_t v = get_be32(fan + 4 * i);
		if (v < prev)
			goto bad;
		prev = v;
	}
	p->n = prev;
	fixed = 8 + 1024 + (size_t)p->n * (RAWSZ + 8) + 2 * RAWSZ;
	if (p->idxlen < fixed || (p->idxlen - fixed) % 8)
		goto bad;
	p->oids = fan + 1024;
	p->offs = p->oids + (size_t)p->n * (RAWSZ + 4);
	p->large = p->offs + (size_t)p->n * 4;
	p->nlarge = (p->idxlen - fixed) / 8;
	return 0;
bad:
	munmap(p->idx, p->idxlen);
	p->idx = NULL;
	return -1;
}

static int pack_map(struct pack *p)
{
	if (p->data || p->bad)
		return p->bad ? -1 : 0;
	p->data = map_file(p->path, &p->len);
	if (!p->data || p->len < 12 + RAWSZ || memcmp(p->data, "PACK", 4) ||
	    (get_be32(p->data + 4) != 2 && get_be32(p->data + 4) != 3) ||
	    get_be32(p->data + 8) != p->n) {
		if (p->data)
			munmap(p->data, p->len);
		p->data = NULL;
		p->bad = 1;
		return -1;
	}
	return 0;
}

/* Where `oid` lies in pack p: 0 with *off; 1 when it is not there; -1. */
static int pack_find(struct pack *p, const unsigned char *oid, uint64_t *off)
{
	const unsigned char *fan = p->idx + 8;
	uint32_t lo = oid[0] ? get_be32(fan + 4 * (oid[0] - 1)) : 0;
	uint32_t hi = get_be32(fan + 4 * oid[0]);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(p->oids + (size_t)mid * RAWSZ, oid, RAWSZ);

		if (!c) {
			uint32_t o = get_be32(p->offs + (size_t)mid * 4);

			if (!(o & 0x80000000u)) {
				*off = o;
				return 0;
			}
			o &= 0x7fffffffu;
			if (o >= p->nlarge)
				return -1;
			*off = get_be64(p->large + (size_t)o * 8);
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1;
}

static int load_packs(struct dc_odb *odb)
{
	char *dir = path_join(odb->objects, "pack");
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t alloc = 0;

	if (!d) {
		free(dir);
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct dc_buf path = DC_BUF_INIT;
		struct pack p;

		if (len < 5 || strcmp(de->d_name + len - 4, ".idx"))
			continue;
		dc_buf_addf(&path, "%s/%s", dir, de->d_name);
		if (pack_open_index(&p, path.buf)) {
			dc_buf_release(&path);
			continue;	/* another version: its objects are git's to read */
		}
		dc_buf_setlen(&path, path.len - 4);
		dc_buf_adds(&path, ".pack");
		p.path = dc_buf_detach(&path, NULL);
		if (odb->npacks == alloc) {
			alloc = alloc ? 2 * alloc : 4;
			odb->packs = dc_xreallocarray(odb->packs, alloc, sizeof(*odb->packs));
		}
		odb->packs[odb->npacks++] = p;
	}
	closedir(d);
	free(dir);
	return 0;
}

/* zlib's deflate makes at most about 1032 bytes of one byte of input */
#define INFLATE_RATIO_MAX 1032

/*
 * Inflate the zlib stream at src (at most srclen bytes; with `whole`, all
 * of them) into `out`, appending exactly `size` bytes: 0, or -1 when the
 * stream does not hold exactly that.
 */
static int inflate_exact(const unsigned char *src, size_t srclen, uint64_t size, int whole,
			 struct dc_buf *out)
{
	z_stream z;
	unsigned char extra;
	size_t start = out->len, done = 0;
	int e;

	/* a size no input this long could hold is refused before it is allocated */
	if (size > SIZE_MAX - 1 - start || size / INFLATE_RATIO_MAX > srclen)
		return -1;
	dc_buf_grow(out, (size_t)size);
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)src;
	for (;;) {
		size_t in_left = srclen - (size_t)(z.next_in - src);
		uInt before;

		z.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
		if (done < size) {
			size_t out_left = (size_t)size - done;

			z.next_out = (unsigned char *)out->buf + start + done;
			z.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
		} else {
			/* all there: the stream must end without another byte */
			z.next_out = &extra;
			z.avail_out = 1;
		}
		before = z.avail_out;
		e = inflate(&z, Z_NO_FLUSH);
		if (done < size) {
			done += before - z.avail_out;
		} else if (z.avail_out != 1) {
			e = Z_DATA_ERROR;
			break;
		}
		if (e != Z_OK)
			break;	/* the end, or no progress (Z_BUF_ERROR: the input ended) */
	}
	inflateEnd(&z);
	if (e != Z_STREAM_END || done != size || (whole && z.avail_in))
		return -1;
	dc_buf_setlen(out, start + (size_t)size);
	return 0;
}

/* Up to `want` bytes from the start of the zlib stream at src into dst: how many, or -1. */
static long inflate_head(const unsigned char *src, size_t srclen, unsigned char *dst, size_t want)
{
	z_stream z;
	int e;
	long got;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)src;
	z.avail_in = srclen > UINT_MAX ? UINT_MAX : (uInt)srclen;
	z.next_out = dst;
	z.avail_out = (uInt)want;
	do
		e = inflate(&z, Z_SYNC_FLUSH);
	while (e == Z_OK && z.avail_out && z.avail_in);
	got = (long)(want - z.avail_out);
	inflateEnd(&z);
	return e == Z_OK || e == Z_STREAM_END || (e == Z_BUF_ERROR && got) ? got : -1;
}

/* A pack entry's header. */
struct entry {
	int type;		/* 1-4, OBJ_OFS_DELTA or OBJ_REF_DELTA */
	uint64_t size;		/* inflated size (of the delta, for a delta) */
	uint64_t data;		/* where its zlib stream starts */
	uint64_t base;		/* OBJ_OFS_DELTA: the base's offset */
	const unsigned char *base_oid;	/* OBJ_REF_DELTA */
};

static int entry_at(const struct pack *p, uint64_t off, struct entry *e)
{
	const unsigned char *q, *end = p->data + p->len - RAWSZ;
	unsigned shift = 4;
	unsigned c;

	if (off < 12 || off >= p->len - RAWSZ)
		return -1;
	q = p->data + off;
	c = *q++;
	e->type = (c >> 4) & 7;
	e->size = c & 15;
	while (c & 0x80) {
		if (q >= end || shift > 57)
			return -1;
		c = *q++;
		e->size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	if (e->type == OBJ_OFS_DELTA) {
		uint64_t back;

		if (q >= end)
			return -1;
		c = *q++;
		back = c & 0x7f;
		while (c & 0x80) {
			if (q >= end || back >> 56)
				return -1;
			c = *q++;
			back = ((back + 1) << 7) | (c & 0x7f);
		}
		if (!back || back > off)
			return -1;
		e->base = off - back;
	} else if (e->type == OBJ_REF_DELTA) {
		if ((size_t)(end - q) < RAWSZ)
			return -1;
		e->base_oid = q;
		q += RAWSZ;
	} else if (e->type < DC_ODB_COMMIT || e->type > DC_ODB_TAG) {
		return -1;
	}
	if (q >= end)
		return -1;
	e->data = (uint64_t)(q - p->data);
	return 0;
}

static int delta_size(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	unsigned shift = 0;
	unsigned c;

	*v = 0;
	do {
		if (*p >= end || shift > 63)
			return -1;
		c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	return 0;
}

/* `delta` applied to base, into out (reset first): 0, or -1. */
static int delta_apply(const struct dc_buf *base, const struct dc_buf *delta, struct dc_buf *out)
{
	const unsigned char *p = (const unsigned char *)delta->buf, *end = p + delta->len;
	uint64_t srclen, dstlen;
	size_t at = 0;

	/* a copy takes 4 bytes at least, and gives 16 MiB at most */
	if (delta_size(&p, end, &srclen) || delta_size(&p, end, &dstlen) ||
	    srclen != base->len || dstlen > SIZE_MAX - 1 || dstlen / 4 > (uint64_t)delta->len << 24)
		return -1;
	dc_buf_reset(out);
	dc_buf_grow(out, (size_t)dstlen);
	while (p < end) {
		unsigned c = *p++;

		if (c & 0x80) {
			uint64_t off = 0, n = 0;
			int k;

			for (k = 0; k < 4; k++)
				if (c & (1u << k)) {
					if (p >= end)
						return -1;
					off |= (uint64_t)*p++ << (8 * k);
				}
			for (k = 0; k < 3; k++)
				if (c & (0x10u << k)) {
					if (p >= end)
						return -1;
					n |= (uint64_t)*p++ << (8 * k);
				}
			if (!n)
				n = 0x10000;
			if (off > base->len || n > base->len - off || n > dstlen - at)
				return -1;
			memcpy(out->buf + at, base->buf + off, (size_t)n);
			at += (size_t)n;
		} else if (c) {
			if (c > (size_t)(end - p) || c > dstlen - at)
				return -1;
			memcpy(out->buf + at, p, c);
			p += c;
			at += c;
		} else {
			return -1;	/* reserved */
		}
	}
	if (at != dstlen)
		return -1;
	dc_buf_setlen(out, at);
	return 0;
}

static int odb_read(struct dc_odb *odb, const unsigned char *oid, enum dc_odb_type *type,
		    uint64_t *size, struct dc_buf *out, int depth);

/*
 * Where a pack holds `oid`: 0 with *pp and *off; 1 when none does; -1
 * when a pack cannot be read.
 */
static int find_packed(struct dc_odb *odb, const unsigned char *oid, struct pack **pp,
		       uint64_t *off)
{
	size_t i;

	for (i = 0; i < odb->npacks; i++) {
		int e = pack_find(&odb->packs[i], oid, off);

		if (e < 0)
			return -1;
		if (!e) {
			*pp = &odb->packs[i];
			return pack_map(*pp) ? -1 : 0;
		}
	}
	return 1;
}

/*
 * The object at `off` in pack p. The chain of deltas down to a whole
 * object is followed without recursion; a reference delta whose base is
 * elsewhere reads that base through odb_read().
 */
static int pack_read(struct dc_odb *odb, struct pack *p, uint64_t off, enum dc_odb_type *type,
		     uint64_t *size, struct dc_buf *out, int depth)
{
	struct dc_buf base = DC_BUF_INIT, delta = DC_BUF_INIT, next = DC_BUF_INIT;
	struct { struct pack *p; uint64_t off; } *chain = NULL;
	size_t n = 0, alloc = 0;
	struct entry e;
	int ret = -1, found_base = 0;

	/* down the chain to a whole object */
	for (;;) {
		if (entry_at(p, off, &e))
			goto cleanup;
		if (e.type != OBJ_OFS_DELTA && e.type != OBJ_REF_DELTA)
			break;
		if (n == CHAIN_MAX)
			goto cleanup;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			chain = dc_xreallocarray(chain, alloc, sizeof(*chain));
		}
		chain[n].p = p;
		chain[n++].off = off;
		if (e.type == OBJ_OFS_DELTA) {
			off = e.base;
			continue;
		}
		/* a reference delta: its base in this pack, else anywhere */
		if (!pack_find(p, e.base_oid, &off))
			continue;
		if (depth >= REF_DEPTH_MAX)
			goto cleanup;
		if (odb_read(odb, e.base_oid, type, size, out ? &base : NULL, depth + 1))
			goto cleanup;
		found_base = 1;
		break;
	}
	if (!found_base) {
		*type = (enum dc_odb_type)e.type;
		*size = e.size;
		if (out && inflate_exact(p->data + e.data, p->len - RAWSZ - e.data, e.size, 0, &base))
			goto cleanup;
	}
	if (!n) {
		ret = 0;
		goto done;
	}
	if (!out) {
		/* the result's size is in the first delta's header */
		unsigned char head[20];
		const unsigned char *q = head;
		uint64_t ignored;
		long got;

		if (entry_at(chain[0].p, chain[0].off, &e))
			goto cleanup;
		got = inflate_head(chain[0].p->data + e.data, chain[0].p->len - RAWSZ - e.data,
				   head, sizeof(head));
		if (got < 0 || delta_size(&q, head + got, &ignored) ||
		    delta_size(&q, head + got, size))
			goto cleanup;
		ret = 0;
		goto cleanup;
	}
	while (n--) {
		if (entry_at(chain[n].p, chain[n].off, &e))
			goto cleanup;
		dc_buf_reset(&delta);
		if (inflate_exact(chain[n].p->data + e.data, chain[n].p->len - RAWSZ - e.data,
				  e.size, 0, &delta) ||
		    delta_apply(&base, &delta, &next))
			goto cleanup;
		{
			struct dc_buf t = base;
			base = next;
			next = t;
		}
	}
	*size = base.len;
	ret = 0;
done:
	if (out)
		dc_buf_addbuf(out, &base);
cleanup:
	free(chain);
	dc_buf_release(&base);
	dc_buf_release(&delta);
	dc_buf_release(&next);
	return ret;
}

/* ---- loose objects ----------------------------------------------------- */

/* "<type> <size>\0" at the start of h (len bytes): its length with the NUL, or -1. */
static long loose_header(const unsigned char *h, size_t len, enum dc_odb_type *type,
			 uint64_t *size)
{
	const unsigned char *sp = memchr(h, ' ', len), *nul;
	const unsigned char *d;

	if (!sp || !(nul = memchr(sp, '\0', len - (size_t)(sp - h))) || nul == sp + 1)
		return -1;
	if ((*type = type_from_name((const char *)h, (size_t)(sp - h))) == DC_ODB_NONE)
		return -1;
	if (sp[1] == '0' && nul != sp + 2)
		return -1;
	*size = 0;
	for (d = sp + 1; d < nul; d++) {
		if (*d < '0' || *d > '9' || *size > (UINT64_MAX - 9) / 10)
			return -1;
		*size = *size * 10 + (uint64_t)(*d - '0');
	}
	return (long)(nul + 1 - h);
}

static int loose_read(struct dc_odb *odb, const unsigned char *oid, enum dc_odb_type *type,
		      uint64_t *size, struct dc_buf *out)
{
	struct dc_buf path = DC_BUF_INIT;
	char hex[HEXSZ + 1];
	unsigned char head[64];
	unsigned char *file = NULL;
	size_t len = 0;
	long got, hlen;
	int ret = -1;

	dc_odb_oid_to_hex(hex, oid);
	dc_buf_addf(&path, "%s/%.2s/%s", odb->objects, hex, hex + 2);
	if (!(file = map_file(path.buf, &len))) {
		ret = errno == ENOENT || errno == ENOTDIR ? 1 : -1;
		goto cleanup;
	}
	got = inflate_head(file, len, head, sizeof(head));
	if (got <= 0 || (hlen = loose_header(head, (size_t)got, type, size)) < 0)
		goto cleanup;
	if (out) {
		size_t start = out->len;

		/* header and bytes inflated after what out holds, the header then dropped */
		if (*size > SIZE_MAX - (size_t)hlen - 1 ||
		    inflate_exact(file, len, (uint64_t)hlen + *size, 1, out))
			goto cleanup;
		memmove(out->buf + start, out->buf + start + hlen, (size_t)*size);
		dc_buf_setlen(out, start + (size_t)*size);
	}
	ret = 0;
cleanup:
	if (file)
		munmap(file, len);
	dc_buf_release(&path);
	return ret;
}

static int odb_read(struct dc_odb *odb, const unsigned char *oid, enum dc_odb_type *type,
		    uint64_t *size, struct dc_buf *out, int depth)
{
	struct pack *p;
	uint64_t off;
	int e = find_packed(odb, oid, &p, &off);

	if (e < 0)
		return -1;
	if (!e) {
		size_t start = out ? out->len : 0;

		e = pack_read(odb, p, off, type, size, out, depth);
		if (e && out)
			dc_buf_setlen(out, start);
		return e;
	}
	return loose_read(odb, oid, type, size, out);
}

int dc_odb_read(struct dc_odb *odb, const unsigned char *oid, enum dc_odb_type *type,
		uint64_t *size, struct dc_buf *out)
{
	return odb_read(odb, oid, type, size, out, 0);
}

/* ---- opening ----------------------------------------------------------- */

static void chomp(struct dc_buf *b)
{
	while (b->len && (b->buf[b->len - 1] == '\n' || b->buf[b->len - 1] == '\r'))
		dc_buf_setlen(b, b->len - 1);
}

static int set_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v;
}

void dc_odb_close(struct dc_odb *odb)
{
	size_t i;

	if (!odb)
		return;
	for (i = 0; i < odb->npacks; i++)
		pack_free(&odb->packs[i]);
	free(odb->packs);
	free(odb->gitdir);
	free(odb->common);
	free(odb->objects);
	dc_buf_release(&odb->packed_refs);
	free(odb);
}

int dc_odb_open(struct dc_odb **out, const char *gitdir)
{
	struct dc_odb *odb = dc_xcalloc(1, sizeof(*odb));
	struct dc_buf b = DC_BUF_INIT;
	char *p;
	int e;

	*out = NULL;
	odb->packed_refs = (struct dc_buf)DC_BUF_INIT;
	/* where git would read from elsewhere, or read other ids */
	if (set_env("GIT_OBJECT_DIRECTORY") || set_env("GIT_ALTERNATE_OBJECT_DIRECTORIES") ||
	    set_env("GIT_COMMON_DIR") || set_env("GIT_REPLACE_REF_BASE") ||
	    set_env("GIT_DEFAULT_HASH"))
		goto left;
	odb->gitdir = dc_xstrdup(gitdir);
	p = path_join(gitdir, "commondir");
	e = read_file(&b, p);
	free(p);
	if (e < 0)
		goto left;
	chomp(&b);
	if (!e && !b.len)
		goto left;
	odb->common = !e ? (b.buf[0] == '/' ? dc_xstrdup(b.buf) : path_join(gitdir, b.buf)) :
		dc_xstrdup(gitdir);
	odb->objects = path_join(odb->common, "objects");

	p = path_join(odb->objects, "info/alternates");
	e = exists(p);
	free(p);
	if (e)
		goto left;
	/* another object format (extensions.objectFormat) */
	dc_buf_reset(&b);
	p = path_join(odb->common, "config");
	e = read_file(&b, p);
	free(p);
	if (e < 0 || (!e && strcasestr(b.buf, "objectformat")))
		goto left;
	/* replace refs change what a name reads as */
	p = path_join(odb->common, "refs/replace");
	e = !empty_dir(p);
	free(p);
	if (e)
		goto left;
	p = path_join(odb->common, "packed-refs");
	e = read_file(&odb->packed_refs, p);
	free(p);
	if (e < 0 || strstr(odb->packed_refs.buf, " refs/replace/"))
		goto left;
	if (load_packs(odb))
		goto left;
	dc_buf_release(&b);
	*out = odb;
	return 0;
left:
	dc_buf_release(&b);
	dc_odb_close(odb);
	return 1;
}

/* ---- names ------------------------------------------------------------- */

static int is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

/* A ref name read here: refs/..., nothing that climbs or is odd. */
static int plain_ref(const char *s, size_t len)
{
	size_t i;

	if (len < 6 || memcmp(s, "refs/", 5))
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '\\' || c == ':' || c == '?' || c == '[' ||
		    c == '*' || c == '~' || c == '^')
			return 0;
		if (c == '.' && (i + 1 == len || s[i + 1] == '.' || s[i - 1] == '/'))
			return 0;
		if (c == '/' && (i + 1 == len || s[i + 1] == '/'))
			return 0;
	}
	return 1;
}

/* Refs kept per worktree, in its own git directory. */
static int per_worktree(const char *ref)
{
	return !strncmp(ref, "refs/bisect/", 12) || !strncmp(ref, "refs/worktree/", 14) ||
	       !strncmp(ref, "refs/rewritten/", 15);
}

/* A ref's value ("<hex>" or "ref: <name>") as its loose file or packed-refs holds it. */
static int ref_value(struct dc_odb *odb, const char *ref, struct dc_buf *val)
{
	const char *dir = per_worktree(ref) || !strcmp(ref, "HEAD") ? odb->gitdir : odb->common;
	char *path = path_join(dir, ref);
	const char *p, *end;
	size_t rl = strlen(ref);
	int e;

	dc_buf_reset(val);
	e = read_file(val, path);
	free(path);
	if (e <= 0) {
		chomp(val);
		return e;
	}
	if (!strcmp(ref, "HEAD") || per_worktree(ref))
		return 1;
	/* "<hex> <ref>\n" lines; "#" a header, "^" a peeled tag */
	for (p = odb->packed_refs.buf, end = p + odb->packed_refs.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len == HEXSZ + 1 + rl && p[HEXSZ] == ' ' && !memcmp(p + HEXSZ + 1, ref, rl)) {
			dc_buf_add(val, p, HEXSZ);
			return 0;
		}
		p += len + 1;
	}
	return 1;
}

/* HEAD, through its symbolic refs: 0 with oid[]; -1 (unborn, or not read here). */
static int resolve_head(struct dc_odb *odb, unsigned char *oid)
{
	struct dc_buf val = DC_BUF_INIT, ref = DC_BUF_INIT;
	int i, ret = -1;

	dc_buf_adds(&ref, "HEAD");
	for (i = 0; i <= SYMREF_MAX; i++) {
		if (ref_value(odb, ref.buf, &val))
			break;
		if (val.len == HEXSZ && is_hex(val.buf, HEXSZ)) {
			ret = dc_odb_hex_to_oid(oid, val.buf);
			break;
		}
		if (val.len < 6 || memcmp(val.buf, "ref: ", 5) || !plain_ref(val.buf + 5, val.len - 5))
			break;
		dc_buf_reset(&ref);
		dc_buf_add(&ref, val.buf + 5, val.len - 5);
	}
	dc_buf_release(&val);
	dc_buf_release(&ref);
	return ret;
}

/* The tree a commit or tag leads to: 0, or -1. */
static int peel_to_tree(struct dc_odb *odb, unsigned char *oid)
{
	struct dc_buf obj = DC_BUF_INIT;
	enum dc_odb_type type;
	uint64_t size;
	int i, ret = -1;

	for (i = 0; i < PEEL_MAX; i++) {
		dc_buf_reset(&obj);
		if (dc_odb_read(odb, oid, &type, &size, &obj))
			break;
		if (type == DC_ODB_TREE) {
			ret = 0;
			break;
		}
		if (type == DC_ODB_COMMIT) {
			if (obj.len < 5 + HEXSZ + 1 || memcmp(obj.buf, "tree ", 5) ||
			    obj.buf[5 + HEXSZ] != '\n')
				break;
			ret = dc_odb_hex_to_oid(oid, obj.buf + 5);
			break;
		}
		if (type != DC_ODB_TAG || obj.len < 7 + HEXSZ + 1 ||
		    memcmp(obj.buf, "object ", 7) || obj.buf[7 + HEXSZ] != '\n' ||
		    dc_odb_hex_to_oid(oid, obj.buf + 7))
			break;
	}
	dc_buf_release(&obj);
	return ret;
}

/*
 * The entry `name` of the tree `oid`, into oid[] and *mode: 0; 1 when
 * the tree has none; -1.
 */
static int tree_lookup(struct dc_odb *odb, unsigned char *oid, const char *name, size_t nlen,
		       unsigned *mode)
{
	struct dc_buf tree = DC_BUF_INIT;
	enum dc_odb_type type;
	uint64_t size;
	const char *p, *end;
	int ret = -1;

	if (dc_odb_read(odb, oid, &type, &size, &tree) || type != DC_ODB_TREE)
		goto cleanup;
	for (p = tree.buf, end = tree.buf + tree.len; p < end;) {
		const char *sp = memchr(p, ' ', (size_t)(end - p)), *nul;
		unsigned m = 0;

		if (!sp || !(nul = memchr(sp, '\0', (size_t)(end - sp))) ||
		    (size_t)(end - nul - 1) < RAWSZ)
			goto cleanup;
		for (; p < sp; p++) {
			if (*p < '0' || *p > '7' || m > 0777777)
				goto cleanup;
			m = m * 8 + (unsigned)(*p - '0');
		}
		if ((size_t)(nul - sp - 1) == nlen && !memcmp(sp + 1, name, nlen)) {
			memcpy(oid, nul + 1, RAWSZ);
			*mode = m;
			ret = 0;
			goto cleanup;
		}
		p = nul + 1 + RAWSZ;
	}
	ret = 1;
cleanup:
	dc_buf_release(&tree);
	return ret;
}

int dc_odb_resolve(struct dc_odb *odb, const char *name, size_t len, unsigned char *oid)
{
	const char *colon = memchr(name, ':', len), *path, *end = name + len;
	size_t rlen = colon ? (size_t)(colon - name) : len;
	int to_tree = 0;

	if (rlen >= 7 && !memcmp(name + rlen - 7, "^{tree}", 7)) {
		to_tree = 1;
		rlen -= 7;
	}
	if (rlen == 4 && !memcmp(name, "HEAD", 4)) {
		if (resolve_head(odb, oid))
			return -1;
	} else if (rlen != HEXSZ || dc_odb_hex_to_oid(oid, name)) {
		return -1;
	}
	if ((to_tree || colon) && peel_to_tree(odb, oid))
		return -1;
	if (!colon)
		return 0;
	/* "<tree>:<path>", one name at a time; "<tree>:" is the tree */
	for (path = colon + 1; path < end;) {
		const char *slash = memchr(path, '/', (size_t)(end - path));
		size_t n = slash ? (size_t)(slash - path) : (size_t)(end - path);
		unsigned mode;
		int e;

		if (!n || (n == 1 && path[0] == '.') || (n == 2 && !memcmp(path, "..", 2)) ||
		    (slash && slash + 1 == end))
			return -1;	/* git reads these its own way */
		if ((e = tree_lookup(odb, oid, path, n, &mode)))
			return e;
		if (slash && (mode & 0170000) != 0040000)
			return -1;
		path += n + (slash ? 1 : 0);
	}
	return 0;
}
