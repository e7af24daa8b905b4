#include "index-fmt.h"
#include "loose.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void add_be32(struct dc_buf *b, uint32_t v)
{
	unsigned char q[4] = { v >> 24, v >> 16, v >> 8, v };
	dc_buf_add(b, q, 4);
}

static void add_entry(struct dc_buf *out, const struct dc_index_change *c)
{
	size_t len = strlen(c->path), size = (ENTRY_BASE + len + 8) & ~(size_t)7;
	unsigned char flags[2];

	add_be32(out, (uint32_t)c->st.st_ctim.tv_sec);
	add_be32(out, (uint32_t)c->st.st_ctim.tv_nsec);
	add_be32(out, (uint32_t)c->st.st_mtim.tv_sec);
	add_be32(out, (uint32_t)c->st.st_mtim.tv_nsec);
	add_be32(out, (uint32_t)c->st.st_dev);
	add_be32(out, (uint32_t)c->st.st_ino);
	add_be32(out, 0100644);
	add_be32(out, (uint32_t)c->st.st_uid);
	add_be32(out, (uint32_t)c->st.st_gid);
	add_be32(out, (uint32_t)c->st.st_size);
	dc_buf_add(out, c->oid, HASH_LEN);
	flags[0] = (unsigned char)((len < NAME_MASK ? len : NAME_MASK) >> 8);
	flags[1] = (unsigned char)(len < NAME_MASK ? len : NAME_MASK);
	dc_buf_add(out, flags, 2);
	dc_buf_add(out, c->path, len);
	dc_buf_grow(out, size - ENTRY_BASE - len);
	memset(out->buf + out->len, 0, size - ENTRY_BASE - len);
	dc_buf_setlen(out, out->len + size - ENTRY_BASE - len);
}

static int changes_below(const struct dc_index_change *const *ch, size_t n, const char *dir,
			 size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(ch[i]->path, dir, len))
			return 1;
	return 0;
}

/*
 * Copy one cache-tree node and its subtrees from *p, marking invalid the
 * directories that hold a changed path (git's "-1" entry count, no id).
 * -1 when the extension is not well formed: the caller drops it.
 */
static int tree_node(struct dc_buf *out, const unsigned char **p, const unsigned char *end,
		     struct dc_buf *dir, const struct dc_index_change *const *ch, size_t n,
		     int depth)
{
	const unsigned char *oid;
	const char *name;
	size_t namelen, dirlen = dir->len;
	long entries, subtrees, k;
	int valid;

	if (depth > TREE_DEPTH_MAX ||
	    dc_index_tree_node(p, end, &name, &namelen, &entries, &subtrees, &oid))
		return -1;
	if (namelen) {
		dc_buf_add(dir, name, namelen);
		dc_buf_addch(dir, '/');
	}
	valid = entries >= 0 && !changes_below(ch, n, dir->buf, dir->len);
	dc_buf_add(out, name, namelen + 1);
	dc_buf_addf(out, "%ld %ld\n", valid ? entries : -1L, subtrees);
	if (valid)
		dc_buf_add(out, oid, HASH_LEN);
	for (k = 0; k < subtrees; k++)
		if (tree_node(out, p, end, dir, ch, n, depth + 1))
			return -1;
	dc_buf_setlen(dir, dirlen);
	return 0;
}

static int cmp_change(const void *a, const void *b)
{
	return strcmp((*(const struct dc_index_change *const *)a)->path,
		      (*(const struct dc_index_change *const *)b)->path);
}

/* 1 when `c` is not a change made here: a conflict at its path, a
 * file/directory clash, an entry with extended flags to replace. */
static int not_here(const struct dc_index *x, const struct dc_index_change *c)
{
	struct dc_buf prefix = DC_BUF_INIT;
	const char *slash;
	size_t i = lower_bound(x, c->path), len = strlen(c->path);
	int ret = 0;

	for (; i < x->n && !strcmp(entry_path(x, i), c->path); i++)
		if (entry_stage(x, i) ||
		    (c->oid && (get_be16(bytes(x) + x->off[i] + 60) & FLAG_EXTENDED)))
			return 1;
	if (!c->oid)
		return 0;
	/* a leading directory of the path is a file, or the path a directory */
	for (slash = strchr(c->path, '/'); slash && !ret; slash = strchr(slash + 1, '/')) {
		dc_buf_reset(&prefix);
		dc_buf_add(&prefix, c->path, (size_t)(slash - c->path));
		i = lower_bound(x, prefix.buf);
		ret = i < x->n && !strcmp(entry_path(x, i), prefix.buf);
	}
	if (!ret) {
		dc_buf_reset(&prefix);
		dc_buf_addf(&prefix, "%s/", c->path);
		i = lower_bound(x, prefix.buf);
		ret = i < x->n && !strncmp(entry_path(x, i), prefix.buf, len + 1);
	}
	dc_buf_release(&prefix);
	return ret;
}

/* The new index's bytes, checksum included: 0, or 1 (not here). */
static int splice_changes(struct dc_buf *out, const struct dc_index *x,
		  const struct dc_index_change *const *ch, size_t n)
{
	const unsigned char *p = bytes(x), *end = p + x->raw.len - HASH_LEN, *q;
	unsigned char md[HASH_LEN];
	size_t i = 0, j = 0, count = 0;

	for (j = 0; j < n; j++)
		if ((j && !strcmp(ch[j - 1]->path, ch[j]->path)) || not_here(x, ch[j]))
			return 1;
	dc_buf_add(out, p, 12);
	for (j = 0; i < x->n || j < n;) {
		int c = j == n ? 1 : i == x->n ? -1 : strcmp(ch[j]->path, entry_path(x, i));

		if (c <= 0) {
			if (ch[j]->oid) {
				add_entry(out, ch[j]);
				count++;
			}
			j++;
			if (c == 0)
				i++;	/* replaced or removed */
			continue;
		}
		dc_buf_add(out, p + x->off[i], (i + 1 < x->n ? x->off[i + 1] : x->ext) - x->off[i]);
		count++;
		i++;
	}
	out->buf[8] = (char)(count >> 24);
	out->buf[9] = (char)(count >> 16);
	out->buf[10] = (char)(count >> 8);
	out->buf[11] = (char)count;
	for (q = p + x->ext; q < end; q += 8 + get_be32(q + 4)) {
		uint32_t size = get_be32(q + 4);

		if (!memcmp(q, "TREE", 4)) {
			struct dc_buf tree = DC_BUF_INIT, dir = DC_BUF_INIT;
			const unsigned char *t = q + 8;
			if (!tree_node(&tree, &t, q + 8 + size, &dir, ch, n, 0) &&
			    t == q + 8 + size) {
				dc_buf_add(out, "TREE", 4);
				add_be32(out, (uint32_t)tree.len);
				dc_buf_addbuf(out, &tree);
			}
			dc_buf_release(&tree);
			dc_buf_release(&dir);
		} else if (!memcmp(q, "REUC", 4)) {
			dc_buf_add(out, q, 8 + size);
		}
		/* the other optional ones index entries by position or offset */
	}
	if (dc_sha1(md, out->buf, out->len, NULL, 0))
		return 1;
	dc_buf_add(out, md, HASH_LEN);
	return 0;
}

int dc_index_update(const char *file, const struct dc_index_change *changes, size_t n,
		    struct dc_err *err)
{
	struct dc_index x = DC_INDEX_INIT;
	const struct dc_index_change **ch = calloc(n ? n : 1, sizeof(*ch));
	struct dc_buf lock = DC_BUF_INIT, out = DC_BUF_INIT;
	int fd = -1, ret = 1, locked = 0, e;
	size_t i;

	if (!ch)
		return 1;
	for (i = 0; i < n; i++)
		ch[i] = &changes[i];
	qsort(ch, n, sizeof(*ch), cmp_change);
	dc_buf_addf(&lock, "%s.lock", file);
	fd = open(lock.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		if (errno == EEXIST) {
			dc_err_set(err, DC_ERR_FATAL, "cannot write the index: '%s' exists",
				   lock.buf);
			dc_err_hint(err, "another git process is running here, or one was killed:"
				    " if none is running, remove '%s' and run the command again",
				    lock.buf);
		} else {
			dc_err_set(err, DC_ERR_FATAL, "cannot create '%s': %s", lock.buf,
				   strerror(errno));
		}
		ret = -1;
		goto cleanup;
	}
	locked = 1;
	/*
	 * Read again under the lock. Its checksum is not checked, as git does
	 * not check it outside fsck; the entries and extensions are walked
	 * with their bounds, and what does not parse goes to libgit2.
	 */
	if (dc_index_read(&x, file) || splice_changes(&out, &x, ch, n))
		goto cleanup;
	e = dc_write_fd(fd, out.buf, out.len);
	if (close(fd))
		e = -1;
	fd = -1;
	if (e) {
		ret = dc_err_set(err, DC_ERR_FATAL, "cannot write '%s': %s", lock.buf,
				 strerror(errno));
		goto cleanup;
	}
	if (rename(lock.buf, file)) {
		ret = dc_err_set(err, DC_ERR_FATAL, "cannot rename '%s' to '%s': %s", lock.buf,
				 file, strerror(errno));
		goto cleanup;
	}
	locked = 0;	/* renamed: nothing to remove */
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	if (locked)
		unlink(lock.buf);
	dc_index_release(&x);
	dc_buf_release(&lock);
	dc_buf_release(&out);
	free(ch);
	return ret;
}
