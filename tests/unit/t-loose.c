/*
 * The loose blobs git dc writes itself (loose.h): git's object format byte
 * for byte as zlib and libgit2 read it, at every size around the point
 * where the compression splits over two threads.
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
