#include "staged.h"
#include "index.h"
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

extern char **environ;

#define HASH_LEN 20
#define DEPTH_MAX 4096

/* ---- git cat-file --batch-command -------------------------------------- */

static int batch_spawn(struct batch *b)
{
	static const char *const argv[] = { "git", "cat-file", "--batch-command", NULL };
	posix_spawn_file_actions_t fa;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, e;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		goto fail;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	e = posix_spawnp(&b->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e)
		goto fail;
	close(in[0]);
	close(out[1]);
	b->to = in[1];
	b->from = out[0];
	return 0;
fail:
	if (in[0] >= 0) {
		close(in[0]);
		close(in[1]);
	}
	if (out[0] >= 0) {
		close(out[0]);
		close(out[1]);
	}
	b->pid = 0;
	return -1;
}

int batch_start(struct batch *b, const char *gitdir)
{
	const char *env = getenv("DC_HOOK_CAT_FILE");

	memset(b, 0, sizeof(*b));
	b->to = b->from = -1;
	b->got = (struct dc_buf)DC_BUF_INIT;
	if (gitdir && !(env && *env && strcmp(env, "0")) && !dc_odb_open(&b->odb, gitdir))
		return 0;
	return batch_spawn(b);
}

void batch_stop(struct batch *b)
{
	int status;

	dc_odb_close(b->odb);
	if (b->to >= 0)
		close(b->to);
	if (b->from >= 0)
		close(b->from);
	if (b->pid > 0)
		while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
			;
	dc_buf_release(&b->got);
	memset(b, 0, sizeof(*b));
	b->to = b->from = -1;
}

/* At least `need` bytes not yet taken in b->got: 0, or -1 (the end came). */
static int batch_fill(struct batch *b, size_t need)
{
	if (b->pos && b->pos == b->got.len) {
		dc_buf_reset(&b->got);
		b->pos = 0;
	}
	while (b->got.len - b->pos < need) {
		ssize_t n;

		dc_buf_grow(&b->got, 65536);
		n = read(b->from, b->got.buf + b->got.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		dc_buf_setlen(&b->got, b->got.len + (size_t)n);
	}
	return 0;
}

/*
 * The answer to "<cmd> <name>" from the objects read here, appended to
 * b->got as git cat-file would print it: its first line's length, or 0
 * when it is git's to give (odb.h).
 */
static size_t answer_here(struct batch *b, const char *cmd, const char *name, size_t namelen)
{
	struct dc_buf body = DC_BUF_INIT;
	unsigned char oid[DC_ODB_RAWSZ];
	char hex[2 * DC_ODB_RAWSZ + 1];
	enum dc_odb_type type;
	uint64_t size;
	size_t line = 0;
	int contents = !strcmp(cmd, "contents"), e;

	if (b->pos != b->got.len)
		return 0;	/* an answer not taken: none here */
	dc_buf_reset(&b->got);
	b->pos = 0;
	e = dc_odb_resolve(b->odb, name, namelen, oid);
	if (e > 0) {
		dc_buf_add(&b->got, name, namelen);
		dc_buf_adds(&b->got, " missing\n");
		return b->got.len;
	}
	if (!e && !dc_odb_read(b->odb, oid, &type, &size, contents ? &body : NULL)) {
		dc_odb_oid_to_hex(hex, oid);
		dc_buf_addf(&b->got, "%s %s %" PRIu64 "\n", hex, dc_odb_type_name(type), size);
		line = b->got.len;
		if (contents) {
			dc_buf_addbuf(&b->got, &body);
			dc_buf_addch(&b->got, '\n');
		}
	}
	dc_buf_release(&body);
	return line;
}

/*
 * Ask "<cmd> <name>" and read the answer's first line into *line (*len
 * bytes with its newline, valid until the next call): 0, or -1.
 */
static int batch_ask(struct batch *b, const char *cmd, const char *name, size_t namelen,
		     const char **line, size_t *len)
{
	struct dc_buf q = DC_BUF_INIT;
	struct sigaction ign, old;
	const char *nl;
	size_t seen = 0;
	int e;

	if (memchr(name, '\n', namelen))
		return -1;
	if (b->odb && (*len = answer_here(b, cmd, name, namelen))) {
		*line = b->got.buf + b->pos;
		b->here++;
		return 0;
	}
	if (b->to < 0 && (b->pid || batch_spawn(b)))
		return -1;
	b->by_git++;
	dc_buf_addf(&q, "%s ", cmd);
	dc_buf_add(&q, name, namelen);
	dc_buf_addch(&q, '\n');
	/* a git cat-file that died is an error here (EPIPE), not our end */
	sigemptyset(&ign.sa_mask);
	ign.sa_flags = 0;
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	e = dc_write_fd(b->to, q.buf, q.len);
	sigaction(SIGPIPE, &old, NULL);
	dc_buf_release(&q);
	if (e)
		return -1;
	for (;;) {
		nl = memchr(b->got.buf + b->pos + seen, '\n', b->got.len - b->pos - seen);
		if (nl)
			break;
		seen = b->got.len - b->pos;
		if (batch_fill(b, seen + 1))
			return -1;
	}
	*line = b->got.buf + b->pos;
	*len = (size_t)(nl + 1 - *line);
	return 0;
}

/* "<oid> <type> <size>\n": the type and size; -1 for any other line
 * ("<name> missing", "ambiguous", ...). */
static int header(const char *line, size_t len, char *type, size_t typesize, size_t *size)
{
	const char *sp1, *sp2;
	char *end;

	if (len < HASH_LEN * 2 + 6 || line[HASH_LEN * 2] != ' ')
		return -1;
	sp1 = line + HASH_LEN * 2;
	sp2 = memchr(sp1 + 1, ' ', len - HASH_LEN * 2 - 1);
	if (!sp2 || (size_t)(sp2 - sp1 - 1) >= typesize)
		return -1;
	memcpy(type, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	type[sp2 - sp1 - 1] = '\0';
	errno = 0;
	*size = strtoull(sp2 + 1, &end, 10);
	return errno || end != line + len - 1 ? -1 : 0;
}

int batch_run(struct batch *b, const char *cmd, const struct dc_buf *in, struct dc_buf *out)
{
	const char *p = in->buf, *end = in->buf + in->len, *nl, *line;
	int contents = !strcmp(cmd, "contents");
	char type[32];
	size_t len, size;

	for (; p < end; p = nl + 1) {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			nl = end;
		if (batch_ask(b, cmd, p, (size_t)(nl - p), &line, &len))
			return -1;
		dc_buf_add(out, line, len);
		b->pos += len;
		if (!contents || header(line, len, type, sizeof(type), &size))
			continue;
		if (size > SIZE_MAX - 1 || batch_fill(b, size + 1))
			return -1;
		dc_buf_add(out, b->got.buf + b->pos, size + 1);
		b->pos += size + 1;
	}
	return 0;
}

/*
 * The tree `name` into `out` (its bytes) and its id into oid[]: 1; 0 when
 * there is none by that name; -1 when the process fails or it is not a
 * tree.
 */
static int read_tree(struct batch *b, const char *name, struct dc_buf *out,
		     unsigned char *oid)
{
	const char *line;
	char type[32];
	size_t len, size, k;

	if (batch_ask(b, "contents", name, strlen(name), &line, &len))
		return -1;
	if (len > 8 && !memcmp(line + len - 9, " missing\n", 9)) {
		b->pos += len;
		return 0;
	}
	if (header(line, len, type, sizeof(type), &size) || strcmp(type, "tree"))
		return -1;
	for (k = 0; k < HASH_LEN; k++) {
		int hi = line[2 * k], lo = line[2 * k + 1];
		hi = hi >= 'a' ? hi - 'a' + 10 : hi - '0';
		lo = lo >= 'a' ? lo - 'a' + 10 : lo - '0';
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return -1;
		oid[k] = (unsigned char)(hi << 4 | lo);
	}
	b->pos += len;
	if (size > SIZE_MAX - 1 || batch_fill(b, size + 1))
		return -1;
	dc_buf_reset(out);
	dc_buf_add(out, b->got.buf + b->pos, size);
	b->pos += size + 1;
	return 1;
}

/* ---- the index's cache tree -------------------------------------------- */

struct ctree {
	const char *name;
	size_t namelen;
	int valid;		/* entry count >= 0: oid is the directory's tree */
	const unsigned char *oid;
	struct ctree *sub;
	size_t nsub;
};

static void ctree_free(struct ctree *t)
{
	size_t i;

	for (i = 0; t && i < t->nsub; i++)
		ctree_free(&t->sub[i]);
	if (t)
		free(t->sub);
}

/* One node and its subtrees from *p: 0, or -1 (not well formed). */
static int ctree_parse(struct ctree *t, const unsigned char **p, const unsigned char *end,
		       int depth)
{
	long entries, subtrees;
	size_t k;

	memset(t, 0, sizeof(*t));
	if (depth > DEPTH_MAX ||
	    dc_index_tree_node(p, end, &t->name, &t->namelen, &entries, &subtrees, &t->oid) ||
	    subtrees > end - *p)
		return -1;
	t->valid = entries >= 0;
	t->sub = calloc((size_t)subtrees + 1, sizeof(*t->sub));
	if (!t->sub)
		return -1;
	for (k = 0; k < (size_t)subtrees; k++) {
		t->nsub = k + 1;
		if (ctree_parse(&t->sub[k], p, end, depth + 1))
			return -1;
	}
	return 0;
}

static const struct ctree *ctree_child(const struct ctree *t, const char *name, size_t len)
{
	size_t i;

	for (i = 0; t && i < t->nsub; i++)
		if (t->sub[i].namelen == len && !memcmp(t->sub[i].name, name, len))
			return &t->sub[i];
	return NULL;
}

/* ---- the walk ---------------------------------------------------------- */

struct walk {
	struct batch *b;
	const struct dc_index *x;
	struct dc_buf *raw;
	struct dc_buf path;	/* the directory walked, with its '/' */
};

static const unsigned char zero[HASH_LEN];

static void emit(struct walk *w, unsigned omode, const unsigned char *ooid, unsigned nmode,
		 const unsigned char *noid, char status, const char *name, size_t len)
{
	size_t k;

	dc_buf_addf(w->raw, ":%06o %06o ", omode, nmode);
	for (k = 0; k < HASH_LEN; k++)
		dc_buf_addf(w->raw, "%02x", ooid[k]);
	dc_buf_addch(w->raw, ' ');
	for (k = 0; k < HASH_LEN; k++)
		dc_buf_addf(w->raw, "%02x", noid[k]);
	dc_buf_addf(w->raw, " %c", status);
	dc_buf_addch(w->raw, '\0');
	dc_buf_add(w->raw, w->path.buf, w->path.len);
	dc_buf_add(w->raw, name, len);
	dc_buf_addch(w->raw, '\0');
}

/* One entry of a tree's bytes at *p: 1 read, 0 at the end, -1 broken. */
static int tree_entry(const char **p, const char *end, unsigned *mode, const char **name,
		      size_t *len, const unsigned char **oid)
{
	const char *q = *p, *nul;
	unsigned m = 0;

	if (q == end)
		return 0;
	for (; q < end && *q >= '0' && *q <= '7'; q++)
		m = m * 8 + (unsigned)(*q - '0');
	if (q == *p || q >= end || *q != ' ' ||
	    !(nul = memchr(q + 1, '\0', (size_t)(end - q - 1))) || nul == q + 1 ||
	    end - nul - 1 < HASH_LEN)
		return -1;
	*mode = m;
	*name = q + 1;
	*len = (size_t)(nul - q - 1);
	*oid = (const unsigned char *)nul + 1;
	*p = nul + 1 + HASH_LEN;
	return 1;
}

static int is_dir_mode(unsigned mode)
{
	return (mode & 0170000) == 0040000;
}

/* git's canonical mode of an index entry, as diff-index prints it */
static unsigned index_mode(unsigned mode)
{
	switch (mode & 0170000) {
	case 0120000:
		return 0120000;
	case 0160000:
		return 0160000;
	default:
		return mode & 0111 ? 0100755 : 0100644;
	}
}

static int walk_dir(struct walk *w, const char *tree, size_t tlen, size_t lo, size_t hi,
		    const struct ctree *ct, int depth);

/* The directory `name` (HEAD's subtree `oid`, or none), with the index's
 * entries [lo, hi) under it. */
static int walk_sub(struct walk *w, const char *name, size_t len, const unsigned char *oid,
		    size_t lo, size_t hi, const struct ctree *ct, int depth)
{
	struct dc_buf tree = DC_BUF_INIT;
	char hex[HASH_LEN * 2 + 1];
	unsigned char got[HASH_LEN];
	size_t plen = w->path.len, k;
	int e = 0;

	if (oid) {
		for (k = 0; k < HASH_LEN; k++)
			snprintf(hex + 2 * k, 3, "%02x", oid[k]);
		e = read_tree(w->b, hex, &tree, got);
		if (e == 0 || (e > 0 && memcmp(got, oid, HASH_LEN)))
			e = 1;	/* a tree HEAD names is not here: git reads it */
		else if (e > 0)
			e = 0;
	}
	if (!e) {
		dc_buf_add(&w->path, name, len);
		dc_buf_addch(&w->path, '/');
		e = walk_dir(w, tree.buf, tree.len, lo, hi, ct, depth + 1);
		dc_buf_setlen(&w->path, plen);
	}
	dc_buf_release(&tree);
	return e;
}

/*
 * The directory w->path: HEAD's tree bytes `tree` (tlen, may be 0)
 * against the index's entries [lo, hi), all under it; `ct` its cache-tree
 * node (may be NULL).
 */
static int walk_dir(struct walk *w, const char *tree, size_t tlen, size_t lo, size_t hi,
		    const struct ctree *ct, int depth)
{
	const char *t = tree, *tend = tree + tlen, *tname = NULL;
	const unsigned char *toid = NULL;
	size_t plen = w->path.len, i = lo, tnl = 0;
	unsigned tmode = 0;
	int have_t, e;

	if (depth > DEPTH_MAX)
		return 1;
	if ((have_t = tree_entry(&t, tend, &tmode, &tname, &tnl, &toid)) < 0)
		return 1;
	while (have_t || i < hi) {
		struct dc_index_entry ie;
		const char *iname = NULL, *slash = NULL;
		size_t inl = 0, j = i + 1;
		int idir = 0, c;

		if (i < hi) {
			dc_index_entry_at(w->x, i, &ie);
			iname = ie.path + plen;
			slash = strchr(iname, '/');
			idir = slash != NULL;
			inl = idir ? (size_t)(slash - iname) : strlen(iname);
			/* the entries under that directory */
			while (idir && j < hi) {
				const char *p = dc_index_path(w->x, j) + plen;
				if (strncmp(p, iname, inl + 1))
					break;
				j++;
			}
		}
		c = !have_t ? 1 : i >= hi ? -1 :
			dc_tree_order(tname, tnl, is_dir_mode(tmode), iname, inl, idir);
		if (c < 0) {
			/* only in HEAD: deleted */
			if (is_dir_mode(tmode))
				e = walk_sub(w, tname, tnl, toid, i, i, NULL, depth);
			else
				emit(w, tmode, toid, 0, zero, 'D', tname, tnl), e = 0;
		} else if (c > 0) {
			/* only in the index: added */
			if (idir)
				e = walk_sub(w, iname, inl, NULL, i, j, NULL, depth);
			else
				emit(w, 0, zero, index_mode(ie.mode), ie.oid, 'A', iname, inl), e = 0;
		} else if (idir) {
			const struct ctree *sub = ctree_child(ct, iname, inl);

			e = sub && sub->valid && !memcmp(sub->oid, toid, HASH_LEN) ? 0 :
				walk_sub(w, iname, inl, toid, i, j, sub, depth);
		} else {
			unsigned m = index_mode(ie.mode);

			e = 0;
			if (m != tmode || memcmp(ie.oid, toid, HASH_LEN))
				emit(w, tmode, toid, m, ie.oid,
				     (m & 0170000) != (tmode & 0170000) ? 'T' : 'M', iname, inl);
		}
		if (e)
			return e;
		if (c <= 0 && (have_t = tree_entry(&t, tend, &tmode, &tname, &tnl, &toid)) < 0)
			return 1;
		if (c >= 0)
			i = j;
	}
	return 0;
}

int staged_from_index(struct dc_buf *raw, struct batch *b, const char *index_file)
{
	struct dc_index x = DC_INDEX_INIT;
	struct dc_index_entry ie;
	struct ctree root, *ct = NULL;
	struct walk w;
	struct dc_buf tree = DC_BUF_INIT;
	const unsigned char *ext;
	unsigned char oid[HASH_LEN];
	size_t i, len, start = raw->len;
	int e = 1, have;

	memset(&root, 0, sizeof(root));
	if (dc_index_read(&x, index_file))
		goto done;
	for (i = 0; i < x.n; i++) {
		dc_index_entry_at(&x, i, &ie);
		if (ie.stage || ie.extended)
			goto done;	/* unmerged, intent-to-add, skip-worktree: git's */
	}
	if ((ext = dc_index_extension(&x, "TREE", &len))) {
		const unsigned char *p = ext;
		if (!ctree_parse(&root, &p, ext + len, 0))
			ct = &root;
	}
	have = read_tree(b, "HEAD^{tree}", &tree, oid);
	if (have < 0) {
		e = -1;
		goto done;
	}
	if (!have)
		dc_buf_reset(&tree);	/* no commit yet: against the empty tree */
	memset(&w, 0, sizeof(w));
	w.b = b;
	w.x = &x;
	w.raw = raw;
	w.path = (struct dc_buf)DC_BUF_INIT;
	e = have && ct && ct->valid && !memcmp(ct->oid, oid, HASH_LEN) ? 0 :
		walk_dir(&w, tree.buf, tree.len, 0, x.n, ct, 0);
	dc_buf_release(&w.path);
done:
	if (e)
		dc_buf_setlen(raw, start);
	ctree_free(&root);
	dc_buf_release(&tree);
	dc_index_release(&x);
	return e;
}
