#include "loose.h"
#include "buf.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/evp.h>

int dc_sha1(unsigned char *md, const void *a, size_t alen, const void *b, size_t blen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int mdlen = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
		EVP_DigestUpdate(ctx, a, alen) && (!blen || EVP_DigestUpdate(ctx, b, blen)) &&
		EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == GIT_OID_RAWSZ;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/*
 * The id of the object of `type` whose `len` bytes are at `buf`, `hdr`
 * being its "<type> <len>\0" header. libcrypto's SHA-1 costs a
 * millisecond to start (it reads its configuration) and libgit2's is
 * already started: small objects, which take microseconds either way, go
 * to libgit2.
 */
#define DC_LIBCRYPTO_MIN ((size_t)256 << 10)
static int obj_sha1(git_oid *oid, git_object_t type, const char *hdr, size_t hlen,
		    const void *buf, size_t len)
{
	unsigned char md[GIT_OID_RAWSZ];

	if (len < DC_LIBCRYPTO_MIN)
		return git_odb_hash(oid, buf, len, type) ? -1 : 0;
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

static int feed(z_stream *z, struct part *p, size_t *alloc, const unsigned char *in,
		size_t len, int flush)
{
	int e;

	z->next_in = (unsigned char *)in;
	for (;;) {
		size_t chunk = len > (size_t)1 << 30 ? (size_t)1 << 30 : len;
		int f = chunk == len ? flush : Z_NO_FLUSH;

		z->avail_in = (uInt)chunk;
		len -= chunk;
		do {
			if (*alloc - p->outlen < 64) {
				*alloc = *alloc * 2 + 4096;
				p->out = dc_xrealloc(p->out, *alloc);
			}
			z->next_out = p->out + p->outlen;
			z->avail_out = (uInt)(*alloc - p->outlen > UINT_MAX ? UINT_MAX :
					      *alloc - p->outlen);
			e = deflate(z, f);
			p->outlen = (size_t)(z->next_out - p->out);
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
	    (p->prelen && feed(&z, p, &alloc, p->pre, p->prelen, Z_NO_FLUSH)) ||
	    feed(&z, p, &alloc, p->in, p->len, p->last ? Z_FINISH : Z_SYNC_FLUSH))
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

int dc_loose_write_blob(git_oid *oid, const char *objects_dir, int level, const void *buf,
			size_t len, git_odb *odb, struct dc_err *err)
{
	return dc_loose_write(oid, objects_dir, level, GIT_OBJECT_BLOB, buf, len, odb, err);
}

int dc_loose_write(git_oid *oid, const char *objects_dir, int level, git_object_t type,
		   const void *buf, size_t len, git_odb *odb, struct dc_err *err)
{
	struct part a, b;
	struct dc_buf path = DC_BUF_INIT, tmp = DC_BUF_INIT;
	char hdr[32], hex[GIT_OID_HEXSZ + 1];
	unsigned char zh[2], trailer[4];
	size_t hlen = obj_header(hdr, sizeof(hdr), type, len), split;
	pthread_t th;
	int threaded = 0, fd = -1, ret = -1, e;
	uLong adler;

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
	dc_buf_addf(&path, "%s/%.2s/%s", objects_dir, hex, hex + 2);
	if (!utimensat(AT_FDCWD, path.buf, NULL, 0)) {
		ret = 0;	/* there already, now fresh */
		goto cleanup;
	}
	if (odb && git_odb_exists(odb, oid)) {
		ret = 1;
		goto cleanup;
	}
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
	adler = split < len ? adler32_combine(a.adler, b.adler, (z_off_t)b.len) : a.adler;
	zlib_header(zh, level);
	trailer[0] = (unsigned char)(adler >> 24);
	trailer[1] = (unsigned char)(adler >> 16);
	trailer[2] = (unsigned char)(adler >> 8);
	trailer[3] = (unsigned char)adler;

	dc_buf_addf(&tmp, "%s/%.2s", objects_dir, hex);
	if (mkdir(tmp.buf, 0777) && errno != EEXIST) {
		dc_err_set(err, DC_ERR_FATAL, "cannot create '%s': %s", tmp.buf, strerror(errno));
		goto cleanup;
	}
	dc_buf_adds(&tmp, "/tmp_obj_XXXXXX");
	if ((fd = mkstemp(tmp.buf)) < 0) {
		dc_err_set(err, DC_ERR_FATAL, "cannot create '%s': %s", tmp.buf, strerror(errno));
		goto cleanup;
	}
	if (dc_write_fd(fd, zh, 2) || dc_write_fd(fd, a.out, a.outlen) ||
	    (b.outlen && dc_write_fd(fd, b.out, b.outlen)) || dc_write_fd(fd, trailer, 4) ||
	    fchmod(fd, 0444)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot write '%s': %s", tmp.buf, strerror(errno));
		goto cleanup;
	}
	e = close(fd);
	fd = -1;
	if (e || rename(tmp.buf, path.buf)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot write '%s': %s", path.buf, strerror(errno));
		unlink(tmp.buf);
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (threaded)
		pthread_join(th, NULL);
	if (fd >= 0) {
		close(fd);
		unlink(tmp.buf);
	}
	free(a.out);
	free(b.out);
	dc_buf_release(&path);
	dc_buf_release(&tmp);
	return ret;
}
