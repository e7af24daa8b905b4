/*
 * The loose blobs git dc writes itself (loose.h): git's object format byte
 * for byte as zlib and libgit2 read it, at every size around the point
 * where the compression splits over two threads; and written in chunks,
 * from a base and from a base that does not fit its map.
 */
#include "loose.h"
#include "buf.h"
#include "tap.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char root[] = "/tmp/t-loose-XXXXXX";

/* compressible text, or bytes zlib cannot shrink */
static unsigned char *make_bytes(size_t len, int random_bytes)
{
	unsigned char *b = malloc(len ? len : 1);
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = random_bytes ? (unsigned char)x : (unsigned char)("{\"id\": 17, \"a\"}\n"[i % 16] + (i / 4096) % 3);
	}
	return b;
}

static int read_file(struct dc_buf *out, const char *path)
{
	char tmp[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		dc_buf_add(out, tmp, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

static int no_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int clean = 1;

	if (!d)
		return 1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "tmp_obj_", 8))
			clean = 0;
	closedir(d);
	return clean;
}

/* Write one blob and check it every way a reader could look at it. */
static void check_blob(const char *objects, git_odb *odb, size_t len, int level, int random_bytes)
{
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf file = DC_BUF_INIT, path = DC_BUF_INIT, dir = DC_BUF_INIT;
	unsigned char *bytes = make_bytes(len, random_bytes), *plain = NULL;
	char hdr[32], hex[GIT_OID_HEXSZ + 1];
	size_t hlen = (size_t)snprintf(hdr, sizeof(hdr), "blob %zu", len) + 1;
	uLongf plen = (uLongf)(hlen + len);
	git_oid got, want;
	git_odb_object *obj = NULL;
	struct stat st;
	int e;

	e = dc_loose_write_blob(&got, objects, level, bytes, len, odb, &err);
	git_odb_hash(&want, bytes, len, GIT_OBJECT_BLOB);
	tap_ok(e == 0 && git_oid_equal(&got, &want), "%zu %s bytes at level %d: written, git's id",
	   len, random_bytes ? "random" : "text", level);
	git_oid_tostr(hex, sizeof(hex), &want);
	dc_buf_addf(&dir, "%s/%.2s", objects, hex);
	dc_buf_addf(&path, "%s/%s", dir.buf, hex + 2);
	tap_ok(!stat(path.buf, &st) && (st.st_mode & 0777) == 0444 && no_temporaries(dir.buf),
	   "  read-only, in place, no temporary file left");
	/* zlib's own check of the stream: header, deflate data and Adler-32 */
	plain = malloc(plen);
	tap_ok(!read_file(&file, path.buf) && file.len > 6 &&
	   uncompress(plain, &plen, (unsigned char *)file.buf, (uLong)file.len) == Z_OK &&
	   plen == hlen + len && !memcmp(plain, hdr, hlen) && !memcmp(plain + hlen, bytes, len),
	   "  zlib inflates it, Adler-32 included, to the header and the bytes");
	tap_ok(((unsigned char)file.buf[0] << 8 | (unsigned char)file.buf[1]) % 31 == 0 &&
	   ((unsigned char)file.buf[0] & 0x0f) == 8, "  a valid zlib header");
	tap_ok(!git_odb_read(&obj, odb, &want) && git_odb_object_size(obj) == len &&
	   !memcmp(git_odb_object_data(obj), bytes, len), "  libgit2 reads the bytes back");
	git_odb_object_free(obj);
	/* the next level writes it again, not only refreshes it */
	unlink(path.buf);
	free(plain);
	free(bytes);
	dc_buf_release(&file);
	dc_buf_release(&path);
	dc_buf_release(&dir);
	dc_err_release(&err);
}

/* Inflate the loose object `id` under `objects`: 0 when it is exactly
 * "blob <len>\0" and the `len` bytes at `want`, with a sound stream. */
static int inflates_to(const char *objects, const git_oid *id, const unsigned char *want,
		       size_t len)
{
	struct dc_buf file = DC_BUF_INIT, path = DC_BUF_INIT;
	char hdr[32], hex[GIT_OID_HEXSZ + 1];
	size_t hlen = (size_t)snprintf(hdr, sizeof(hdr), "blob %zu", len) + 1;
	uLongf plen = (uLongf)(hlen + len + 1);
	unsigned char *plain = malloc(plen);
	int ok;

	git_oid_tostr(hex, sizeof(hex), id);
	dc_buf_addf(&path, "%s/%.2s/%s", objects, hex, hex + 2);
	ok = !read_file(&file, path.buf) &&
		uncompress(plain, &plen, (unsigned char *)file.buf, (uLong)file.len) == Z_OK &&
		plen == hlen + len && !memcmp(plain, hdr, hlen) && !memcmp(plain + hlen, want, len);
	free(plain);
	dc_buf_release(&file);
	dc_buf_release(&path);
	return ok ? 0 : -1;
}

static void unlink_object(const char *objects, const git_oid *id)
{
	struct dc_buf path = DC_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	dc_buf_addf(&path, "%s/%.2s/%s", objects, hex, hex + 2);
	unlink(path.buf);
	dc_buf_release(&path);
}

/*
 * `base` (blen bytes) changed as a merge changes a file: `ins` bytes put
 * in at `at1`, the 300 bytes at `at2` written again, 5000 bytes added at
 * the end. The new bytes into *out, where they are the base's into s[].
 */
static size_t edit(unsigned char **out, struct dc_same *s, const unsigned char *base,
		   size_t blen, size_t at1, size_t ins, size_t at2)
{
	size_t n = 0, len = blen + ins + 5000, i;
	unsigned char *b = malloc(len);

	memcpy(b, base, at1);
	for (i = 0; i < ins; i++)
		b[at1 + i] = (unsigned char)('a' + i % 26);
	memcpy(b + at1 + ins, base + at1, at2 - at1);
	for (i = 0; i < 300; i++)
		b[at2 + ins + i] = (unsigned char)('A' + i % 26);
	memcpy(b + at2 + ins + 300, base + at2 + 300, blen - at2 - 300);
	for (i = 0; i < 5000; i++)
		b[blen + ins + i] = (unsigned char)('0' + i % 10);
	s[n++] = (struct dc_same){ 0, 0, at1 };
	s[n++] = (struct dc_same){ at1 + ins, at1, at2 - at1 };
	s[n++] = (struct dc_same){ at2 + ins + 300, at2 + 300, blen - at2 - 300 };
	*out = b;
	return len;
}

static void check_chunks(const char *objects, git_odb *odb)
{
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf map0 = DC_BUF_INIT, map1 = DC_BUF_INIT, map2 = DC_BUF_INIT, bad = DC_BUF_INIT;
	size_t len0 = 3 * DC_LOOSE_SPLIT + 77, len1, len2, d = 0, n = 0, all;
	unsigned char *b0 = make_bytes(len0, 0), *b1, *b2;
	struct dc_same s1[3], s2[3];
	struct dc_loose_base base;
	git_oid id0, id1, id2, want;
	git_odb_object *obj = NULL;
	git_odb *lvl9 = NULL;
	git_odb_backend *be = NULL;
	int e;

	/* no base: every chunk deflated, on two threads */
	e = dc_loose_write_chunks(&id0, objects, 1, b0, len0, odb, NULL, &map0, &d, &n, &err);
	git_odb_hash(&want, b0, len0, GIT_OBJECT_BLOB);
	all = (len0 + DC_LOOSE_CHUNK - 1) / DC_LOOSE_CHUNK;
	tap_ok(!e && git_oid_equal(&id0, &want) && d == all && n == all && map0.len,
	       "in chunks, no base: git's id, %zu of %zu chunks deflated, a map", d, n);
	tap_ok(!inflates_to(objects, &id0, b0, len0), "  zlib inflates it to the header and bytes");
	tap_ok(!git_odb_read(&obj, odb, &id0) && git_odb_object_size(obj) == len0 &&
	       !memcmp(git_odb_object_data(obj), b0, len0), "  libgit2 reads it back");
	git_odb_object_free(obj);

	/* a merge's change: only the chunks it touched are deflated */
	len1 = edit(&b1, s1, b0, len0, 1000000, 777, 2500000);
	base = (struct dc_loose_base){ &id0, map0.buf, map0.len, s1, 3 };
	e = dc_loose_write_chunks(&id1, objects, 1, b1, len1, odb, &base, &map1, &d, &n, &err);
	git_odb_hash(&want, b1, len1, GIT_OBJECT_BLOB);
	tap_ok(!e && git_oid_equal(&id1, &want) && d >= 3 && d <= 5 && n >= all,
	       "from a base: git's id, %zu of %zu chunks deflated", d, n);
	tap_ok(!inflates_to(objects, &id1, b1, len1), "  zlib inflates it to the new bytes");

	/* and again from that one: its map holds */
	len2 = edit(&b2, s2, b1, len1, 10, 5, 3000000);
	base = (struct dc_loose_base){ &id1, map1.buf, map1.len, s2, 3 };
	e = dc_loose_write_chunks(&id2, objects, 1, b2, len2, odb, &base, &map2, &d, &n, &err);
	git_odb_hash(&want, b2, len2, GIT_OBJECT_BLOB);
	tap_ok(!e && git_oid_equal(&id2, &want) && d >= 3 && d <= 5 &&
	       !inflates_to(objects, &id2, b2, len2),
	       "from a chunked base written from a base: %zu of %zu deflated, sound", d, n);
	unlink_object(objects, &id2);

	/* same[] that lies (the new bytes differ inside a range it gives):
	 * that chunk is deflated, the object is still the new bytes */
	b2[2000000] ^= 1;
	git_odb_hash(&want, b2, len2, GIT_OBJECT_BLOB);
	dc_buf_reset(&map2);
	e = dc_loose_write_chunks(&id2, objects, 1, b2, len2, odb, &base, &map2, &d, &n, &err);
	tap_ok(!e && git_oid_equal(&id2, &want) && d >= 4 && d <= 6 &&
	       !inflates_to(objects, &id2, b2, len2),
	       "new bytes unlike the base where same[] says alike: %zu deflated, sound", d);
	unlink_object(objects, &id2);

	/* a map that does not decode, or made at another level: all deflated */
	dc_buf_addbuf(&bad, &map1);
	bad.buf[40] ^= 1;
	base = (struct dc_loose_base){ &id1, bad.buf, bad.len, s2, 3 };
	dc_buf_reset(&map2);
	e = dc_loose_write_chunks(&id2, objects, 1, b2, len2, odb, &base, &map2, &d, &n, &err);
	tap_ok(!e && d == n && !inflates_to(objects, &id2, b2, len2),
	       "a map with a wrong check: all %zu chunks deflated, sound", d);
	unlink_object(objects, &id2);
	base = (struct dc_loose_base){ &id1, map1.buf, map1.len, s2, 3 };
	dc_buf_reset(&map2);
	e = dc_loose_write_chunks(&id2, objects, 6, b2, len2, odb, &base, &map2, &d, &n, &err);
	tap_ok(!e && d == n && !inflates_to(objects, &id2, b2, len2),
	       "a map made at another level: all %zu chunks deflated, sound", d);
	unlink_object(objects, &id2);

	/* the base's loose file written again by another writer (level 9) */
	unlink_object(objects, &id1);
	if (git_odb_new(&lvl9) || git_odb_backend_loose(&be, objects, 9, 0, 0, 0) ||
	    git_odb_add_backend(lvl9, be, 1) || git_odb_write(&want, lvl9, b1, len1, GIT_OBJECT_BLOB))
		tap_diag("cannot write the base again");
	dc_buf_reset(&map2);
	e = dc_loose_write_chunks(&id2, objects, 1, b2, len2, odb, &base, &map2, &d, &n, &err);
	tap_ok(!e && d == n && !inflates_to(objects, &id2, b2, len2),
	       "a base file the map does not describe: all %zu chunks deflated, sound", d);

	/* there already: refreshed, no map */
	dc_buf_reset(&map2);
	e = dc_loose_write_chunks(&id2, objects, 1, b2, len2, odb, &base, &map2, &d, &n, &err);
	tap_ok(!e && !map2.len && !d && !n, "an object there already: kept, no map");

	/* small and empty blobs in chunks */
	dc_buf_reset(&map2);
	e = dc_loose_write_chunks(&id2, objects, 1, b2, 0, odb, NULL, &map2, &d, &n, &err);
	git_odb_hash(&want, b2, 0, GIT_OBJECT_BLOB);
	tap_ok(!e && git_oid_equal(&id2, &want) && !n && !inflates_to(objects, &id2, b2, 0),
	       "an empty blob in chunks: git's id, sound");
	dc_buf_reset(&map2);
	e = dc_loose_write_chunks(&id2, objects, 0, b2, 1000, odb, NULL, &map2, &d, &n, &err);
	git_odb_hash(&want, b2, 1000, GIT_OBJECT_BLOB);
	tap_ok(!e && git_oid_equal(&id2, &want) && n == 1 && !inflates_to(objects, &id2, b2, 1000),
	       "1000 bytes at level 0 in chunks: git's id, sound");

	git_odb_free(lvl9);
	free(b0);
	free(b1);
	free(b2);
	dc_buf_release(&map0);
	dc_buf_release(&map1);
	dc_buf_release(&map2);
	dc_buf_release(&bad);
	dc_err_release(&err);
}

int main(void)
{
	static const size_t sizes[] = { 0, 1, 100, 65536, DC_LOOSE_SPLIT - 1, DC_LOOSE_SPLIT,
		DC_LOOSE_SPLIT + 1, 3 * DC_LOOSE_SPLIT + 7 };
	static const int levels[] = { 0, 1, 6, 9 };
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf objects = DC_BUF_INIT, other = DC_BUF_INIT, path = DC_BUF_INIT;
	git_odb *odb = NULL, *both = NULL;
	git_odb_backend *be = NULL;
	git_oid id, id2;
	unsigned char *bytes;
	char hex[GIT_OID_HEXSZ + 1];
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct stat st;
	size_t i, k;

	git_libgit2_init();
	if (!mkdtemp(root))
		return 1;
	dc_buf_addf(&objects, "%s/objects", root);
	dc_buf_addf(&other, "%s/other", root);
	mkdir(objects.buf, 0777);
	mkdir(other.buf, 0777);
	if (git_odb_new(&odb) || git_odb_backend_loose(&be, objects.buf, 1, 0, 0, 0) ||
	    git_odb_add_backend(odb, be, 1))
		return 1;

	for (i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
		for (k = 0; k < sizeof(levels) / sizeof(*levels); k++)
			check_blob(objects.buf, odb, sizes[i], levels[k], 0);
	check_blob(objects.buf, odb, 2 * DC_LOOSE_SPLIT + 3, 1, 1);

	check_chunks(objects.buf, odb);

	/* the id alone, on both sides of the size where libcrypto takes over */
	for (i = 0; i < 6; i++) {
		static const size_t idsizes[] = { 0, 1, ((size_t)256 << 10) - 1, (size_t)256 << 10,
			((size_t)256 << 10) + 1, 5 * DC_LOOSE_SPLIT };
		bytes = make_bytes(idsizes[i], 1);
		git_odb_hash(&id2, bytes, idsizes[i], GIT_OBJECT_BLOB);
		tap_ok(!dc_blob_id(&id, bytes, idsizes[i]) && git_oid_equal(&id, &id2),
		       "dc_blob_id of %zu bytes is git's id", idsizes[i]);
		free(bytes);
	}

	/* written again: the object is kept and its time refreshed */
	bytes = make_bytes(100, 0);
	dc_blob_id(&id, bytes, 100);
	git_oid_tostr(hex, sizeof(hex), &id);
	dc_buf_addf(&path, "%s/%.2s/%s", objects.buf, hex, hex + 2);
	utimensat(AT_FDCWD, path.buf, old, 0);
	tap_ok(!dc_loose_write_blob(&id2, objects.buf, 1, bytes, 100, odb, &err) &&
	   git_oid_equal(&id, &id2) && !stat(path.buf, &st) && st.st_mtime > 1000000000,
	   "an object written again is kept, with a fresh time");

	/* only elsewhere in the object database (as packed objects are) */
	be = NULL;
	if (git_odb_new(&both) || git_odb_backend_loose(&be, other.buf, 1, 0, 0, 0) ||
	    git_odb_add_backend(both, be, 1))
		return 1;
	free(bytes);
	bytes = make_bytes(5000, 1);
	git_odb_write(&id, both, bytes, 5000, GIT_OBJECT_BLOB);
	tap_ok(dc_loose_write_blob(&id2, objects.buf, 1, bytes, 5000, both, &err) == 1 &&
	   git_oid_equal(&id, &id2), "an object elsewhere in the database: 1, nothing written");
	dc_buf_reset(&path);
	git_oid_tostr(hex, sizeof(hex), &id);
	dc_buf_addf(&path, "%s/%.2s/%s", objects.buf, hex, hex + 2);
	tap_ok(stat(path.buf, &st) && errno == ENOENT, "  and no loose copy made");

	/* a directory that cannot be written: an error, nothing left */
	dc_buf_reset(&path);
	dc_buf_addf(&path, "%s/missing/objects", root);
	dc_err_release(&err);
	k = (size_t)dc_loose_write_blob(&id2, path.buf, 1, bytes, 5000, NULL, &err);
	tap_ok(k == (size_t)-1 && err.msg.len && strstr(err.msg.buf, "cannot create"),
	   "an object directory that is not there: an error (%s)", err.msg.buf);

	free(bytes);
	git_odb_free(odb);
	git_odb_free(both);
	dc_buf_release(&objects);
	dc_buf_release(&other);
	dc_buf_release(&path);
	dc_err_release(&err);
	{
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd))
			tap_diag("cannot remove %s", root);
	}
	git_libgit2_shutdown();
	return done_testing();
}
