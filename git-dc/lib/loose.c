/* SHA1_Init() and its kin: deprecated by OpenSSL 3 in favour of EVP, still built */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "loose.h"
#include "buf.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/sha.h>

_Static_assert(sizeof(SHA_CTX) <= sizeof(struct dc_sha1_ctx), "struct dc_sha1_ctx holds a SHA_CTX");

void dc_sha1_init(struct dc_sha1_ctx *c)
{
	SHA1_Init((SHA_CTX *)c);
}

void dc_sha1_update(struct dc_sha1_ctx *c, const void *buf, size_t len)
{
	SHA1_Update((SHA_CTX *)c, buf, len);
}

void dc_sha1_final(unsigned char *md, struct dc_sha1_ctx *c)
{
	SHA1_Final(md, (SHA_CTX *)c);
}

int dc_sha1(unsigned char *md, const void *a, size_t alen, const void *b, size_t blen)
{
	struct dc_sha1_ctx c;

	dc_sha1_init(&c);
	dc_sha1_update(&c, a, alen);
	if (blen)
		dc_sha1_update(&c, b, blen);
	dc_sha1_final(md, &c);
	return 0;
}

/* The id of the object of `type` whose `len` bytes are at `buf`, `hdr` being its header. */
static int obj_sha1(git_oid *oid, git_object_t type, const char *hdr, size_t hlen,
		    const void *buf, size_t len)
{
	unsigned char md[GIT_OID_RAWSZ];

	(void)type;
	if (dc_sha1(md, hdr, hlen, buf, len))
		return -1;
	git_oid_fromraw(oid, md);
	return 0;
}

/* "<type> <len>" and its NUL: the header's length with the NUL */
static size_t obj_header(char *hdr, size_t size, git_object_t type, size_t len)
{
	return (size_t)snprintf(hdr, size, "%s %zu", git_object_type2string(type), len) + 1;
}

int dc_blob_id(git_oid *oid, const void *buf, size_t len)
{
	char hdr[32];

	return obj_sha1(oid, GIT_OBJECT_BLOB, hdr, obj_header(hdr, sizeof(hdr), GIT_OBJECT_BLOB, len),
			buf, len);
}

/* One raw deflate stream over `pre` then `in`. */
struct part {
	const unsigned char *pre, *in, *dict;
	size_t prelen, len, dictlen;
	int level, last;	/* last: ends the whole stream (Z_FINISH), else a sync flush */
	unsigned char *out;
	size_t outlen;
	uLong adler;		/* Adler-32 of pre and in, from 1 */
	int failed;
};

/* Deflate `len` bytes into *out (*alloc bytes, grown as needed) after its
 * first *outlen, ending with `flush`. */
static int deflate_into(z_stream *z, unsigned char **out, size_t *outlen, size_t *alloc,
			const unsigned char *in, size_t len, int flush)
{
	int e;

	z->next_in = (unsigned char *)in;
	for (;;) {
		size_t chunk = len > (size_t)1 << 30 ? (size_t)1 << 30 : len;
		int f = chunk == len ? flush : Z_NO_FLUSH;

		z->avail_in = (uInt)chunk;
		len -= chunk;
		do {
			if (*alloc - *outlen < 64) {
				*alloc = *alloc * 2 + 4096;
				*out = dc_xrealloc(*out, *alloc);
			}
			z->next_out = *out + *outlen;
			z->avail_out = (uInt)(*alloc - *outlen > UINT_MAX ? UINT_MAX :
					      *alloc - *outlen);
			e = deflate(z, f);
			*outlen = (size_t)(z->next_out - *out);
			if (e == Z_STREAM_ERROR)
				return -1;
		} while (f == Z_FINISH ? e != Z_STREAM_END : z->avail_out == 0 || z->avail_in);
		if (!len)
			return 0;
	}
}

static void *part_run(void *data)
{
	struct part *p = data;
	z_stream z;
	size_t alloc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, p->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		p->failed = 1;
		return NULL;
	}
	alloc = deflateBound(&z, p->prelen + p->len) + 64;
	p->out = dc_xmalloc(alloc);
	p->outlen = 0;
	if ((p->dictlen && deflateSetDictionary(&z, p->dict, (uInt)p->dictlen) != Z_OK) ||
	    (p->prelen &&
	     deflate_into(&z, &p->out, &p->outlen, &alloc, p->pre, p->prelen, Z_NO_FLUSH)) ||
	    deflate_into(&z, &p->out, &p->outlen, &alloc, p->in, p->len,
			 p->last ? Z_FINISH : Z_SYNC_FLUSH))
		p->failed = 1;
	deflateEnd(&z);
	/* (zlib's Adler-32 of a NULL buffer is 1, whatever it is given) */
	p->adler = 1;
	if (p->prelen)
		p->adler = adler32_z(p->adler, p->pre, p->prelen);
	if (p->len)
		p->adler = adler32_z(p->adler, p->in, p->len);
	return NULL;
}

/* zlib's two header bytes for a 32 KiB window at `level` */
static void zlib_header(unsigned char h[2], int level)
{
	unsigned flevel = level < 0 ? 2 : level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3;
	unsigned v = (0x78u << 8) | (flevel << 6);

	v += 31 - v % 31;
	h[0] = (unsigned char)(v >> 8);
	h[1] = (unsigned char)v;
}

/*
 * Is the object <objects_dir>/xx/yyyy (its path into `path`) there? 0:
 * loose there, its time now refreshed; 1: elsewhere in `odb`; -1: not
 * there, to be written.
 */
static int object_there(struct dc_buf *path, const char *objects_dir, const char *hex,
			git_odb *odb, const git_oid *oid)
{
	dc_buf_addf(path, "%s/%.2s/%s", objects_dir, hex, hex + 2);
	if (!utimensat(AT_FDCWD, path->buf, NULL, 0))
		return 0;
	if (odb && git_odb_exists(odb, oid))
		return 1;
	return -1;
}

/* The pieces v[] (nv of them) written, read-only, as the file `path`
 * through a temporary file in its directory renamed into place. */
static int object_file(const char *path, const struct iovec *v, size_t nv, struct dc_err *err)
{
	struct dc_buf tmp = DC_BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd = -1, ret = -1, e;
	size_t i;

	dc_buf_add(&tmp, path, (size_t)(slash - path));
	if (mkdir(tmp.buf, 0777) && errno != EEXIST) {
		dc_err_set(err, DC_ERR_FATAL, "cannot create '%s': %s", tmp.buf, strerror(errno));
		goto cleanup;
	}
	dc_buf_adds(&tmp, "/tmp_obj_XXXXXX");
	if ((fd = mkstemp(tmp.buf)) < 0) {
		dc_err_set(err, DC_ERR_FATAL, "cannot create '%s': %s", tmp.buf, strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < nv; i++)
		if (v[i].iov_len && dc_write_fd(fd, v[i].iov_base, v[i].iov_len))
			break;
	if (i < nv || fchmod(fd, 0444)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot write '%s': %s", tmp.buf, strerror(errno));
		goto cleanup;
	}
	e = close(fd);
	fd = -1;
	if (e || rename(tmp.buf, path)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.buf);
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.buf);
	}
	dc_buf_release(&tmp);
	return ret;
}

static void put_be32(unsigned char *p, uLong v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

int dc_loose_write_blob(git_oid *oid, const char *objects_dir, int level, const void *buf,
			size_t len, git_odb *odb, struct dc_err *err)
{
	return dc_loose_write(oid, objects_dir, level, GIT_OBJECT_BLOB, buf, len, odb, err);
}

int dc_loose_write(git_oid *oid, const char *objects_dir, int level, git_object_t type,
		   const void *buf, size_t len, git_odb *odb, struct dc_err *err)
{
	struct part a, b;
	struct dc_buf path = DC_BUF_INIT;
	struct iovec v[4];
	char hdr[32], hex[GIT_OID_HEXSZ + 1];
	unsigned char zh[2], trailer[4];
	size_t hlen = obj_header(hdr, sizeof(hdr), type, len), split;
	pthread_t th;
	int threaded = 0, ret = -1;

	/* the second part, compressed while the first is hashed and compressed */
	split = len >= DC_LOOSE_SPLIT ? len / 2 - len / 16 : len;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.pre = (const unsigned char *)hdr;
	a.prelen = hlen;
	a.in = buf;
	a.len = split;
	a.level = level;
	a.last = split == len;
	if (split < len) {
		b.in = (const unsigned char *)buf + split;
		b.len = len - split;
		b.dict = b.in - (split < 32768 ? split : 32768);
		b.dictlen = split < 32768 ? split : 32768;
		b.level = level;
		b.last = 1;
		threaded = !pthread_create(&th, NULL, part_run, &b);
	}
	if (obj_sha1(oid, type, hdr, hlen, buf, len)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot hash an object");
		goto cleanup;
	}
	git_oid_tostr(hex, sizeof(hex), oid);
	ret = object_there(&path, objects_dir, hex, odb, oid);
	if (ret >= 0)
		goto cleanup;
	part_run(&a);
	if (split < len && !threaded)
		part_run(&b);
	else if (threaded) {
		pthread_join(th, NULL);
		threaded = 0;
	}
	if (a.failed || b.failed) {
		dc_err_set(err, DC_ERR_FATAL, "cannot compress an object");
		goto cleanup;
	}
	zlib_header(zh, level);
	put_be32(trailer, split < len ? adler32_combine(a.adler, b.adler, (z_off_t)b.len) : a.adler);
	v[0].iov_base = zh;
	v[0].iov_len = 2;
	v[1].iov_base = a.out;
	v[1].iov_len = a.outlen;
	v[2].iov_base = b.out;
	v[2].iov_len = b.outlen;
	v[3].iov_base = trailer;
	v[3].iov_len = 4;
	ret = object_file(path.buf, v, 4, err);
cleanup:
	if (threaded)
		pthread_join(th, NULL);
	free(a.out);
	free(b.out);
	dc_buf_release(&path);
	return ret;
}

/*
 * Chunked writes. The object's deflate stream is the header's own chunk,
 * then the chunks of the bytes, each deflated from a fresh state and ended
 * with a sync flush (so none refers back to another, and each ends on a
 * byte), then an empty final block. The map of a blob so written:
 *
 *   "DCZ1", then as 64-bit little-endian numbers: the blob's length, the
 *   loose file's size, the zlib level, the number of chunks; per chunk
 *   the offset and length of its bytes in the blob, the offset and length
 *   of its deflated bytes in the file, the Adler-32 of its bytes and the
 *   CRC-32 of its deflated bytes; a check (FNV-1a of all before it).
 */
#define MAP_HEAD (4 + 4 * 8)
#define MAP_ENTRY (6 * 8)
/* the final block: fixed Huffman codes, BFINAL set, only end-of-block */
static const unsigned char final_block[2] = { 0x03, 0x00 };

static uint64_t map_check(const unsigned char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

struct zmap {
	size_t len, fsize, n;
	const unsigned char *e;	/* the first entry */
};

/* 0 when `p` (n bytes) is a map, made at `level`, of sound entries */
static int map_parse(struct zmap *m, const unsigned char *p, size_t n, int level)
{
	size_t k, at = 0, zend = 0;

	if (n < MAP_HEAD + 8 || memcmp(p, "DCZ1", 4) || dc_get_le64(p + n - 8) != map_check(p, n - 8))
		return -1;
	m->len = dc_get_le64(p + 4);
	m->fsize = dc_get_le64(p + 12);
	m->n = dc_get_le64(p + 28);
	m->e = p + MAP_HEAD;
	if (dc_get_le64(p + 20) != (uint64_t)level || m->n > (n - MAP_HEAD - 8) / MAP_ENTRY ||
	    MAP_HEAD + m->n * MAP_ENTRY + 8 != n)
		return -1;
	for (k = 0; k < m->n; k++) {
		const unsigned char *e = m->e + k * MAP_ENTRY;
		uint64_t off = dc_get_le64(e), len = dc_get_le64(e + 8);
		uint64_t zoff = dc_get_le64(e + 16), zlen = dc_get_le64(e + 24);

		if (off != at || !len || len > m->len - at || zoff < zend || zlen > m->fsize ||
		    zoff > m->fsize - zlen)
			return -1;
		at += len;
		zend = zoff + zlen;
	}
	return at == m->len ? 0 : -1;
}

struct zchunk {
	size_t at, len;			/* its bytes in the new blob */
	const unsigned char *old;	/* its deflated bytes in the base's file, or NULL */
	size_t oldlen;
	uint32_t want_adler, want_crc;	/* the map's, for `old` */
	unsigned char *out;		/* deflated here */
	size_t outlen;
	uint32_t adler, crc;
	int failed;
};

struct zjob {
	const unsigned char *buf;
	struct zchunk *c;
	size_t n, next;			/* next: taken atomically */
	int level, stop;
};

/*
 * One chunk: taken from the base's file when its bytes there are the
 * map's (CRC-32) and stand for the new bytes (Adler-32), else deflated.
 */
static void zchunk_run(const struct zjob *j, struct zchunk *c, z_stream *z, int *zinit)
{
	const unsigned char *in = j->buf + c->at;
	size_t alloc;

	c->adler = (uint32_t)adler32_z(1, in, c->len);
	if (c->old) {
		if (c->adler == c->want_adler &&
		    (uint32_t)crc32_z(0, c->old, c->oldlen) == c->want_crc) {
			c->crc = c->want_crc;
			return;
		}
		c->old = NULL;
	}
	if (*zinit ? deflateReset(z) != Z_OK :
	    deflateInit2(z, j->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		c->failed = 1;
		return;
	}
	*zinit = 1;
	alloc = deflateBound(z, c->len) + 64;
	c->out = dc_xmalloc(alloc);
	c->outlen = 0;
	if (deflate_into(z, &c->out, &c->outlen, &alloc, in, c->len, Z_SYNC_FLUSH))
		c->failed = 1;
	c->crc = (uint32_t)crc32_z(0, c->out, c->outlen);
}

static void *zjob_run(void *data)
{
	struct zjob *j = data;
	z_stream z;
	int zinit = 0;
	size_t i;

	memset(&z, 0, sizeof(z));
	while (!__atomic_load_n(&j->stop, __ATOMIC_RELAXED) &&
	       (i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) < j->n)
		zchunk_run(j, &j->c[i], &z, &zinit);
	if (zinit)
		deflateEnd(&z);
	return NULL;
}

/* [at, at + len) of the new bytes as fresh chunks of at most about
 * DC_LOOSE_CHUNK bytes, of equal lengths */
static void fresh_chunks(struct zchunk **c, size_t *n, size_t *alloc, size_t at, size_t len)
{
	size_t pieces = (len + DC_LOOSE_CHUNK - 1) / DC_LOOSE_CHUNK, k;

	for (k = 0; k < pieces; k++) {
		size_t one = len / pieces + (k < len % pieces);

		DC_ALLOC_GROW(*c, *n + 1, *alloc);
		memset(&(*c)[*n], 0, sizeof(**c));
		(*c)[*n].at = at;
		(*c)[(*n)++].len = one;
		at += one;
	}
}

/*
 * The chunks of the new bytes (len of them): the base's chunks that
 * same[] says the new bytes hold unchanged (in `file`, the base's loose
 * file, as `m` maps it), and fresh ones between them.
 */
static size_t plan_chunks(struct zchunk **c, size_t len, const struct zmap *m,
			  const struct dc_buf *file, const struct dc_loose_base *base)
{
	size_t n = 0, alloc = 0, k, j = 0, at = 0;

	for (k = 0; m && k < m->n; k++) {
		const unsigned char *e = m->e + k * MAP_ENTRY;
		size_t s = (size_t)dc_get_le64(e), l = (size_t)dc_get_le64(e + 8), to;

		while (j < base->nsame && base->same[j].from + base->same[j].len < s + l)
			j++;
		if (j == base->nsame)
			break;
		if (base->same[j].from > s)
			continue;
		to = base->same[j].to + (s - base->same[j].from);
		if (to < at || to > len || l > len - to)
			break;	/* same[] out of order: the rest deflated */
		if (to > at)
			fresh_chunks(c, &n, &alloc, at, to - at);
		DC_ALLOC_GROW(*c, n + 1, alloc);
		memset(&(*c)[n], 0, sizeof(**c));
		(*c)[n].at = to;
		(*c)[n].len = l;
		(*c)[n].old = (const unsigned char *)file->buf + dc_get_le64(e + 16);
		(*c)[n].oldlen = (size_t)dc_get_le64(e + 24);
		(*c)[n].want_adler = (uint32_t)dc_get_le64(e + 32);
		(*c)[n++].want_crc = (uint32_t)dc_get_le64(e + 40);
		at = to + l;
	}
	if (at < len)
		fresh_chunks(c, &n, &alloc, at, len - at);
	return n;
}

/* The base's map and loose file into m and `file`: 0, or -1 when either is
 * missing or they do not agree. */
static int base_open(struct zmap *m, struct dc_buf *file, const char *objects_dir, int level,
		     const struct dc_loose_base *base)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct dc_buf path = DC_BUF_INIT;
	struct stat sb;
	int fd = -1, ok = 0;

	if (!base || !base->id || !base->nsame ||
	    map_parse(m, base->map, base->maplen, level))
		return -1;
	git_oid_tostr(hex, sizeof(hex), base->id);
	dc_buf_addf(&path, "%s/%.2s/%s", objects_dir, hex, hex + 2);
	fd = open(path.buf, O_RDONLY | O_NOFOLLOW);
	ok = fd >= 0 && !fstat(fd, &sb) && S_ISREG(sb.st_mode) &&
		(uint64_t)sb.st_size == (uint64_t)m->fsize &&
		!dc_buf_read_fd(file, fd, m->fsize);
	if (fd >= 0)
		close(fd);
	dc_buf_release(&path);
	return ok ? 0 : -1;
}

int dc_loose_write_chunks(git_oid *oid, const char *objects_dir, int level, const void *buf,
			  size_t len, git_odb *odb, const struct dc_loose_base *base,
			  struct dc_buf *map, size_t *deflated, size_t *chunks, struct dc_err *err)
{
	struct zjob job;
	struct zmap m;
	struct dc_buf file = DC_BUF_INIT, path = DC_BUF_INIT;
	struct iovec *v = NULL;
	char hdr[32], hex[GIT_OID_HEXSZ + 1];
	unsigned char zh[2], trailer[4], *hz = NULL;
	size_t hlen = obj_header(hdr, sizeof(hdr), GIT_OBJECT_BLOB, len), hzlen = 0, halloc;
	size_t k, nv = 0, zoff, start = map->len;
	z_stream z;
	pthread_t th;
	int threaded = 0, ret = -1, zinit = 0;
	uLong adler;

	*deflated = *chunks = 0;
	memset(&job, 0, sizeof(job));
	job.buf = buf;
	job.level = level;
	job.n = plan_chunks(&job.c, len, base_open(&m, &file, objects_dir, level, base) ? NULL : &m,
			    &file, base);
	threaded = job.n > 1 && !pthread_create(&th, NULL, zjob_run, &job);
	if (obj_sha1(oid, GIT_OBJECT_BLOB, hdr, hlen, buf, len)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot hash an object");
		goto cleanup;
	}
	git_oid_tostr(hex, sizeof(hex), oid);
	ret = object_there(&path, objects_dir, hex, odb, oid);
	if (ret >= 0)
		goto cleanup;
	zjob_run(&job);
	if (threaded) {
		pthread_join(th, NULL);
		threaded = 0;
	}
	/* the header's chunk */
	memset(&z, 0, sizeof(z));
	zinit = deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
	halloc = 64;
	hz = dc_xmalloc(halloc);
	for (k = 0; k < job.n && !job.c[k].failed; k++)
		;
	if (!zinit || k < job.n ||
	    deflate_into(&z, &hz, &hzlen, &halloc, (unsigned char *)hdr, hlen, Z_SYNC_FLUSH)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot compress an object");
		ret = -1;
		goto cleanup;
	}
	zlib_header(zh, level);
	adler = adler32_z(1, (unsigned char *)hdr, hlen);
	v = dc_xcalloc(job.n + 4, sizeof(*v));
	v[nv].iov_base = zh;
	v[nv++].iov_len = 2;
	v[nv].iov_base = hz;
	v[nv++].iov_len = hzlen;
	/* the map, as the file is laid out */
	dc_buf_add(map, "DCZ1", 4);
	dc_buf_add_le64(map, len);
	dc_buf_add_le64(map, 0);	/* the file's size, below */
	dc_buf_add_le64(map, (uint64_t)level);
	dc_buf_add_le64(map, job.n);
	zoff = 2 + hzlen;
	*deflated = 0;
	for (k = 0; k < job.n; k++) {
		struct zchunk *c = &job.c[k];

		v[nv].iov_base = c->old ? (void *)c->old : c->out;
		v[nv++].iov_len = c->old ? c->oldlen : c->outlen;
		dc_buf_add_le64(map, c->at);
		dc_buf_add_le64(map, c->len);
		dc_buf_add_le64(map, zoff);
		dc_buf_add_le64(map, c->old ? c->oldlen : c->outlen);
		dc_buf_add_le64(map, c->adler);
		dc_buf_add_le64(map, c->crc);
		zoff += c->old ? c->oldlen : c->outlen;
		adler = adler32_combine(adler, c->adler, (z_off_t)c->len);
		*deflated += !c->old;
	}
	put_be32(trailer, adler);
	v[nv].iov_base = (void *)final_block;
	v[nv++].iov_len = 2;
	v[nv].iov_base = trailer;
	v[nv++].iov_len = 4;
	zoff += 2 + 4;
	{
		unsigned char sz[8];
		uint64_t fs = zoff;

		for (k = 0; k < 8; k++)
			sz[k] = (unsigned char)(fs >> (8 * k));
		memcpy(map->buf + start + 12, sz, 8);
	}
	dc_buf_add_le64(map, map_check((unsigned char *)map->buf + start, map->len - start));
	*chunks = job.n;
	ret = object_file(path.buf, v, nv, err);
cleanup:
	if (threaded) {
		__atomic_store_n(&job.stop, 1, __ATOMIC_RELAXED);
		pthread_join(th, NULL);
	}
	if (ret)
		dc_buf_setlen(map, start);
	if (zinit)
		deflateEnd(&z);
	for (k = 0; k < job.n; k++)
		free(job.c[k].out);
	free(job.c);
	free(v);
	free(hz);
	dc_buf_release(&file);
	dc_buf_release(&path);
	return ret;
}
