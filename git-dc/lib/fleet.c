/*
 * Worker worktrees and pushes (PROTOCOL section 8); see fleet.h.
 */
#include "fleet.h"
#include "delta.h"
#include "merge.h"
#include "rules.h"
#include "run.h"
#include "trace.h"
#include <bsd/stdlib.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STREAM_BRANCH "dc/streams/"
/* the config mark of a branch `git dc worktree add` made */
#define MARK "dcworktree"

static void free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void push_string(char ***v, size_t *n, size_t *alloc, const char *s)
{
	DC_ALLOC_GROW(*v, *n + 1, *alloc);
	(*v)[(*n)++] = dc_xstrdup(s);
}

/* ---- configuration ------------------------------------------------------ */

/* The value of `key` in the repository's configuration, or NULL; the
 * caller frees it. */
static char *config_get(struct dc_repo *r, const char *key)
{
	git_config *cfg = NULL;
	const char *v;
	char *out = NULL;

	if (git_repository_config_snapshot(&cfg, r->git))
		return NULL;
	if (!git_config_get_string(&v, cfg, key))
		out = dc_xstrdup(v);
	git_config_free(cfg);
	return out;
}

static int config_set(struct dc_repo *r, const char *key, const char *value, struct dc_err *err)
{
	git_config *cfg = NULL;
	int e;

	if (git_repository_config(&cfg, r->git))
		return dc_git_err(err, DC_ERR_FATAL, "cannot open the configuration");
	e = git_config_set_string(cfg, key, value);
	git_config_free(cfg);
	if (e)
		return dc_git_err(err, DC_ERR_FATAL, "cannot set '%s'", key);
	return 0;
}

/*
 * The remote to use: `given`, else dc.remote, else "origin", in *out
 * (caller frees). It must be configured (remote.<name>.url); when it is not
 * and nothing named it, *out is NULL unless `required`.
 */
static int remote_name(char **out, struct dc_repo *r, const char *given, int required,
		       struct dc_err *err)
{
	struct dc_buf key = DC_BUF_INIT;
	char *name = given ? dc_xstrdup(given) : config_get(r, "dc.remote");
	int named = name != NULL;
	char *url;
	int ret = -1;

	*out = NULL;
	if (!name)
		name = dc_xstrdup("origin");
	dc_buf_addf(&key, "remote.%s.url", name);
	url = config_get(r, key.buf);
	if (url) {
		*out = name;
		name = NULL;
		ret = 0;
	} else if (!required && !named) {
		ret = 0;
	} else {
		dc_err_set(err, DC_ERR_REFUSED, "'%s' is not a configured remote", name);
		dc_err_hint(err, "add it with 'git remote add %s <url>' (or name another remote,"
			    " or set dc.remote)", name);
	}
	free(url);
	free(name);
	dc_buf_release(&key);
	return ret;
}

/* 1 if refs/heads/<name> is a valid ref name (so <name> is safe in a refspec). */
static int branch_name_ok(const char *name)
{
	struct dc_buf full = DC_BUF_INIT;
	int valid = 0;

	dc_buf_addf(&full, "refs/heads/%s", name);
	if (git_reference_name_is_valid(&valid, full.buf))
		valid = 0;
	dc_buf_release(&full);
	return valid;
}

/* The merged branch: dc.main, else "main", in *out (caller frees). */
static int main_branch(char **out, struct dc_repo *r, struct dc_err *err)
{
	char *m = config_get(r, "dc.main");

	if (m && !branch_name_ok(m)) {
		dc_err_set(err, DC_ERR_REFUSED, "dc.main '%s' is not a valid branch name", m);
		dc_err_hint(err, "name the branch the primary merges into with 'git config dc.main"
			    " <branch>'");
		free(m);
		return -1;
	}
	*out = m ? m : dc_xstrdup("main");
	return 0;
}

/* ---- refs, trees and deltas --------------------------------------------- */

/* *exists = 0 when `refname` does not exist. */
static int ref_oid(git_oid *out, int *exists, struct dc_repo *r, const char *refname,
		   struct dc_err *err)
{
	int e = git_reference_name_to_id(out, r->git, refname);

	*exists = !e;
	if (e == GIT_ENOTFOUND) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (e)
		return dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", refname);
	return 0;
}

static int commit_tree(git_tree **out, struct dc_repo *r, const git_oid *commit,
		       struct dc_err *err)
{
	git_commit *c = NULL;
	int ret = 0;

	if (git_commit_lookup(&c, r->git, commit) || git_commit_tree(out, c))
		ret = dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(commit));
	git_commit_free(c);
	return ret;
}

/* The rules' delta directory in `tree` (caller frees); `what` names the tree. */
static int deltas_dir(char **out, struct dc_repo *r, const git_tree *tree, const char *what,
		      struct dc_err *err)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_buf text = DC_BUF_INIT;
	int exists, ret = -1;

	if (dc_repo_read(&text, &exists, NULL, r, tree, DC_RULES_PATH, err))
		goto cleanup;
	if (!exists) {
		dc_err_set(err, DC_ERR_REFUSED, "%s is not a dc branch: it has no '%s'", what,
			   DC_RULES_PATH);
		dc_err_hint(err, "workers start from the primary's branch, made a dc repository by"
			    " 'git dc init'");
		goto cleanup;
	}
	if (dc_rules_parse(&rules, text.buf, text.len, err)) {
		dc_err_prefix(err, "%s", what);
		goto cleanup;
	}
	*out = rules.deltas;
	rules.deltas = NULL;
	ret = 0;
cleanup:
	dc_rules_release(&rules);
	dc_buf_release(&text);
	return ret;
}

struct sdelta {
	char *path;		/* repository path */
	git_oid oid;
};

static void sdeltas_free(struct sdelta *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/* The deltas of `stream` in `tree` under `dir` (caller frees with sdeltas_free). */
static int stream_deltas(struct sdelta **out, size_t *n, struct dc_repo *r, const git_tree *tree,
			 const char *dir, const char *stream, struct dc_err *err)
{
	struct dc_tree_entry *e = NULL;
	struct dc_buf sid = DC_BUF_INIT, path = DC_BUF_INIT;
	size_t ne = 0, i, alloc = 0;
	git_oid toid;

	*out = NULL;
	*n = 0;
	if (dc_repo_list_dir(&e, &ne, &toid, r, tree, dir, err))
		return -1;
	for (i = 0; i < ne; i++) {
		struct dc_err perr = DC_ERR_INIT;
		enum dc_layout layout;
		uint64_t frame;
		int ok;

		if (e[i].mode == GIT_FILEMODE_TREE)
			continue;
		ok = !dc_delta_path_parse(&frame, &sid, &layout, e[i].rel, &perr) &&
			!strcmp(sid.buf, stream);
		dc_err_release(&perr);
		if (!ok)
			continue;
		dc_buf_reset(&path);
		dc_buf_addf(&path, "%s/%s", dir, e[i].rel);
		DC_ALLOC_GROW(*out, *n + 1, alloc);
		(*out)[*n].path = dc_buf_detach(&path, NULL);
		(*out)[*n].oid = e[i].oid;
		(*n)++;
	}
	dc_tree_entries_free(e, ne);
	dc_buf_release(&sid);
	dc_buf_release(&path);
	return 0;
}

/* The trees of every remote-tracking ref of `remote` (none if NULL). */
struct trees {
	git_tree **v;
	size_t n, alloc;
};

static void trees_release(struct trees *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		git_tree_free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int remote_trees(struct trees *t, struct dc_repo *r, const char *remote,
			struct dc_err *err)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	struct dc_buf prefix = DC_BUF_INIT;
	int e, ret = -1;

	if (!remote)
		return 0;
	dc_buf_addf(&prefix, "refs/remotes/%s/", remote);
	if (git_reference_iterator_new(&it, r->git))
		return dc_git_err(err, DC_ERR_FATAL, "cannot list the references");
	while (!(e = git_reference_next(&ref, it))) {
		git_object *obj = NULL;

		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    !strncmp(git_reference_name(ref), prefix.buf, prefix.len) &&
		    !git_reference_peel(&obj, ref, GIT_OBJECT_TREE)) {
			DC_ALLOC_GROW(t->v, t->n + 1, t->alloc);
			t->v[t->n++] = (git_tree *)obj;
		}
		git_reference_free(ref);
	}
	if (e != GIT_ITEROVER) {
		dc_git_err(err, DC_ERR_FATAL, "cannot list the references");
		goto cleanup;
	}
	ret = 0;
cleanup:
	git_reference_iterator_free(it);
	dc_buf_release(&prefix);
	return ret;
}

/* 1 if one of the trees holds `path` with the blob `oid`. */
static int in_trees(const struct trees *t, const char *path, const git_oid *oid)
{
	size_t i;
	git_oid x;

	for (i = 0; i < t->n; i++)
		if (dc_repo_tree_oid(&x, t->v[i], path) && git_oid_equal(&x, oid))
			return 1;
	return 0;
}

/*
 * The deltas of `stream` in the tree of `commit` that are not pushed to
 * `remote` (NULL: none is), appended to *out as paths.
 */
static int unpushed_deltas(char ***out, size_t *n, struct dc_repo *r, const git_oid *commit,
			   const char *stream, const char *remote, struct dc_err *err)
{
	struct trees t = { 0 };
	struct sdelta *d = NULL;
	git_tree *tree = NULL;
	char *dir = NULL;
	size_t nd = 0, i, alloc = *n;
	int ret = -1;

	if (commit_tree(&tree, r, commit, err) ||
	    deltas_dir(&dir, r, tree, "the stream branch", err) ||
	    stream_deltas(&d, &nd, r, tree, dir, stream, err) ||
	    remote_trees(&t, r, remote, err))
		goto cleanup;
	for (i = 0; i < nd; i++)
		if (!in_trees(&t, d[i].path, &d[i].oid))
			push_string(out, n, &alloc, d[i].path);
	ret = 0;
cleanup:
	trees_release(&t);
	sdeltas_free(d, nd);
	free(dir);
	git_tree_free(tree);
	return ret;
}

/* ---- git ---------------------------------------------------------------- */

/* The last non-empty line of git's stderr, for a message. */
static const char *last_line(struct dc_buf *b)
{
	static const char lock[] = "Unable to create '", exists[] = ".lock': File exists";
	const char *at = strstr(b->buf, lock), *end = at ? strstr(at, exists) : NULL;
	char *nl;

	if (end) {
		/* a lock file git found in place: say which, and what to do */
		struct dc_buf msg = DC_BUF_INIT;

		at += strlen(lock);
		dc_buf_addf(&msg, "'%.*s.lock' exists: another git process is running here, or"
			    " one was killed (if none is running, remove the file and run the"
			    " command again)", (int)(end - at), at);
		dc_buf_release(b);
		*b = msg;
		return b->buf;
	}
	while (b->len && (b->buf[b->len - 1] == '\n' || b->buf[b->len - 1] == '\r'))
		dc_buf_setlen(b, b->len - 1);
	nl = strrchr(b->buf, '\n');
	return b->len ? (nl ? nl + 1 : b->buf) : "git failed without a message";
}

/*
 * Fetch refs/heads/<branch> of `remote` into refs/remotes/<remote>/<branch>.
 * A branch the remote does not have: *missing = 1 and the stale tracking
 * ref, if any, is deleted.
 */
static int fetch_branch(int *missing, struct dc_repo *r, const char *remote, const char *branch,
			struct dc_err *err)
{
	struct dc_buf spec = DC_BUF_INIT, track = DC_BUF_INIT, errout = DC_BUF_INIT;
	const char *argv[] = { "fetch", "--quiet", "--no-write-fetch-head", "--no-tags", remote,
			       NULL, NULL };
	git_reference *ref = NULL;
	int status, ret = -1;

	*missing = 0;
	dc_buf_addf(&spec, "+refs/heads/%s:refs/remotes/%s/%s", branch, remote, branch);
	dc_buf_addf(&track, "refs/remotes/%s/%s", remote, branch);
	argv[5] = spec.buf;
	if (dc_run_git(&status, NULL, &errout, r, argv, err))
		goto cleanup;
	if (status && strstr(errout.buf, "couldn't find remote ref")) {
		*missing = 1;
		if (!git_reference_lookup(&ref, r->git, track.buf))
			git_reference_delete(ref);
	} else if (status) {
		dc_err_set(err, DC_ERR_FATAL, "cannot fetch '%s' from '%s': %s", branch, remote,
			   last_line(&errout));
		dc_err_hint(err, "check that '%s' answers: 'git ls-remote %s'", remote, remote);
		goto cleanup;
	}
	ret = 0;
cleanup:
	git_reference_free(ref);
	dc_buf_release(&spec);
	dc_buf_release(&track);
	dc_buf_release(&errout);
	return ret;
}

/*
 * Fetch refs/heads/<branch> of `remote` into this work tree's FETCH_HEAD
 * only: work trees of one repository share its remote-tracking refs, and
 * several of them fetching one shared branch at once would fight over its
 * lock. *exists = 0 when the remote has no such branch.
 */
static int fetch_head(git_oid *out, int *exists, struct dc_repo *r, const char *remote,
		      const char *branch, struct dc_err *err)
{
	struct dc_buf spec = DC_BUF_INIT, errout = DC_BUF_INIT, path = DC_BUF_INIT;
	/* an empty --refmap: no opportunistic update of the tracking ref */
	const char *argv[] = { "fetch", "--quiet", "--no-tags", "--refmap=", remote, NULL, NULL };
	char line[GIT_OID_HEXSZ + 1];
	int status, ret = -1;
	FILE *f = NULL;

	*exists = 0;
	dc_buf_addf(&spec, "refs/heads/%s", branch);
	argv[5] = spec.buf;
	if (dc_run_git(&status, NULL, &errout, r, argv, err))
		goto cleanup;
	if (status && strstr(errout.buf, "couldn't find remote ref")) {
		ret = 0;
		goto cleanup;
	}
	if (status) {
		dc_err_set(err, DC_ERR_FATAL, "cannot fetch '%s' from '%s': %s", branch, remote,
			   last_line(&errout));
		dc_err_hint(err, "check that '%s' answers: 'git ls-remote %s'", remote, remote);
		goto cleanup;
	}
	dc_buf_addf(&path, "%sFETCH_HEAD", r->gitdir);
	if (!(f = fopen(path.buf, "r")) || !fgets(line, sizeof(line), f) ||
	    git_oid_fromstrn(out, line, GIT_OID_HEXSZ)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot read '%s' after fetching '%s'", path.buf,
			   branch);
		goto cleanup;
	}
	*exists = 1;
	ret = 0;
cleanup:
	if (f)
		fclose(f);
	dc_buf_release(&spec);
	dc_buf_release(&errout);
	dc_buf_release(&path);
	return ret;
}

/* The lines of `errout` that the remote side wrote ("remote: ..."), as hints. */
static void remote_hints(struct dc_err *err, const char *errout)
{
	const char *p = errout, *nl;

	for (; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (!strncmp(p, "remote: ", 8) && (nl ? nl - p : (long)strlen(p)) > 8)
			dc_err_hint(err, "%.*s", (int)((nl ? nl - p : (long)strlen(p)) - 8), p + 8);
	}
}

/* The lines a local hook wrote, as hints, without git's own summary. */
static void hook_hints(struct dc_err *err, const char *errout)
{
	const char *p = errout, *nl;

	for (; *p; p = nl ? nl + 1 : p + strlen(p)) {
		size_t len;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (!len || !strncmp(p, "error: failed to push some refs", 31))
			continue;
		if (!strncmp(p, "error: ", 7) || !strncmp(p, "hint: ", 6)) {
			size_t skip = *p == 'e' ? 7 : 6;

			p += skip;
			len -= skip;
		}
		dc_err_hint(err, "%.*s", (int)len, p);
	}
}

/*
 * Push `tip` to `dst` (a full ref name) on `remote`, never forcing. A push
 * the remote rejects because the ref moved sets *rejected; one its hooks
 * refuse is an error (DC_ERR_REFUSED) with the remote's lines as hints.
 */
static int push_ref(int *rejected, struct dc_repo *r, const char *remote, const git_oid *tip,
		    const char *dst, struct dc_err *err)
{
	struct dc_buf spec = DC_BUF_INIT, out = DC_BUF_INIT, errout = DC_BUF_INIT;
	struct dc_buf want = DC_BUF_INIT, line = DC_BUF_INIT;
	const char *argv[] = { "push", "--porcelain", remote, NULL, NULL };
	const char *p, *nl;
	int status, ret = -1;

	*rejected = 0;
	dc_buf_addf(&spec, "%s:%s", git_oid_tostr_s(tip), dst);
	dc_buf_addf(&want, ":%s\t", dst);
	argv[3] = spec.buf;
	if (dc_run_git(&status, &out, &errout, r, argv, err))
		goto cleanup;
	/* "<flag>\t<from>:<to>\t<summary>", one line per ref */
	for (p = out.buf; *p; p = nl ? nl + 1 : p + strlen(p)) {
		const char *why;

		nl = strchr(p, '\n');
		dc_buf_reset(&line);
		dc_buf_add(&line, p, nl ? (size_t)(nl - p) : strlen(p));
		if (line.len < 2 || line.buf[1] != '\t' || !strstr(line.buf, want.buf))
			continue;
		if (line.buf[0] != '!') {
			ret = 0;
			goto cleanup;
		}
		/* a ref that moved, or that another push holds locked: a lost race */
		if (!strstr(line.buf, "[remote rejected]") ||
		    strstr(line.buf, "(failed to update ref)") ||
		    strstr(line.buf, "(failed to lock)") ||
		    strstr(line.buf, "(cannot lock ref")) {
			*rejected = 1;
			ret = 0;
			goto cleanup;
		}
		why = strchr(line.buf, '(');
		dc_err_set(err, DC_ERR_REFUSED, "'%s' refused the push to '%s'%s%s", remote, dst,
			   why ? " " : "", why ? why : "");
		remote_hints(err, errout.buf);
		goto cleanup;
	}
	if (strstr(errout.buf, "pre-push hook")) {
		dc_err_set(err, DC_ERR_REFUSED, "the pre-push hook refused the push to '%s'", dst);
		hook_hints(err, errout.buf);
	} else {
		dc_err_set(err, DC_ERR_FATAL, "cannot push to '%s': %s", remote,
			   last_line(&errout));
		dc_err_hint(err, "check that '%s' answers and takes pushes: 'git push --dry-run %s"
			    " %s'", remote, remote, spec.buf);
	}
cleanup:
	dc_buf_release(&spec);
	dc_buf_release(&out);
	dc_buf_release(&errout);
	dc_buf_release(&want);
	dc_buf_release(&line);
	return ret;
}

/* Sleep before attempt `n` + 1: about 25 ms doubling per attempt, at most
 * about 2 s, each time a random 50% to 150% of it so racers spread out. */
static void backoff(unsigned n)
{
	unsigned ms = 25u << (n < 7 ? n - 1 : 6);
	struct timespec ts;

	ms = ms / 2 + arc4random_uniform(ms + 1);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the stream of a work tree ------------------------------------------ */

int dc_fleet_stream(char **stream, struct dc_repo *r, struct dc_err *err)
{
	git_reference *head = NULL;
	const char *target = NULL;
	char *s = NULL;
	int ret = -1;

	*stream = NULL;
	if (!git_reference_lookup(&head, r->git, "HEAD") &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC)
		target = git_reference_symbolic_target(head);
	if (target && !strncmp(target, DC_STREAM_BRANCH_PREFIX, strlen(DC_STREAM_BRANCH_PREFIX))) {
		const char *id = target + strlen(DC_STREAM_BRANCH_PREFIX);

		if (!dc_stream_id_valid(id, strlen(id))) {
			dc_err_set(err, DC_ERR_REFUSED, "branch '%s' does not name a valid stream id",
				   target + strlen("refs/heads/"));
			dc_err_hint(err, "a stream id is [A-Za-z0-9][A-Za-z0-9._-]{0,63} without '..'");
			goto cleanup;
		}
		*stream = dc_xstrdup(id);
		ret = 0;
		goto cleanup;
	}
	s = config_get(r, "dc.stream");
	if (s && dc_stream_id_valid(s, strlen(s))) {
		*stream = s;
		s = NULL;
		ret = 0;
		goto cleanup;
	}
	if (s) {
		dc_err_set(err, DC_ERR_REFUSED, "dc.stream '%s' is not a valid stream id", s);
		dc_err_hint(err, "a stream id is [A-Za-z0-9][A-Za-z0-9._-]{0,63} without '..'");
	} else {
		dc_err_set(err, DC_ERR_REFUSED, "this work tree writes no stream: its branch is not"
			   " dc/streams/<id> and dc.stream is not set");
		dc_err_hint(err, "make a worker work tree with 'git dc worktree add <stream>',"
			    " or set 'git config dc.stream <id>'");
	}
cleanup:
	free(s);
	git_reference_free(head);
	return ret;
}

static int check_stream(const char *stream, struct dc_err *err)
{
	if (stream && dc_stream_id_valid(stream, strlen(stream)))
		return 0;
	dc_err_set(err, DC_ERR_USAGE, "'%s' is not a valid stream id", stream ? stream : "");
	dc_err_hint(err, "a stream id is [A-Za-z0-9][A-Za-z0-9._-]{0,63} without '..'");
	return -1;
}

/* ---- the work trees git knows ------------------------------------------- */

struct wt {
	char *path;
	char *branch;		/* full ref name, or NULL (detached, bare) */
	int prunable;		/* its directory is gone */
};

static void wts_free(struct wt *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].branch);
	}
	free(v);
}

/* `git worktree list --porcelain -z`, parsed. */
static int worktree_list(struct wt **out, size_t *n, struct dc_repo *r, struct dc_err *err)
{
	const char *argv[] = { "worktree", "list", "--porcelain", "-z", NULL };
	struct dc_buf list = DC_BUF_INIT, errout = DC_BUF_INIT;
	size_t alloc = 0, pos;
	int status, ret = -1;

	*out = NULL;
	*n = 0;
	if (dc_run_git(&status, &list, &errout, r, argv, err))
		goto cleanup;
	if (status) {
		dc_err_set(err, DC_ERR_FATAL, "cannot list the work trees: %s", last_line(&errout));
		goto cleanup;
	}
	for (pos = 0; pos < list.len; pos += strlen(list.buf + pos) + 1) {
		const char *f = list.buf + pos;

		if (!strncmp(f, "worktree ", 9)) {
			DC_ALLOC_GROW(*out, *n + 1, alloc);
			(*out)[*n].path = dc_xstrdup(f + 9);
			(*out)[*n].branch = NULL;
			(*out)[*n].prunable = 0;
			(*n)++;
		} else if (*n && !strncmp(f, "branch ", 7)) {
			free((*out)[*n - 1].branch);
			(*out)[*n - 1].branch = dc_xstrdup(f + 7);
		} else if (*n && (!strcmp(f, "prunable") || !strncmp(f, "prunable ", 9))) {
			(*out)[*n - 1].prunable = 1;
		}
	}
	ret = 0;
cleanup:
	dc_buf_release(&list);
	dc_buf_release(&errout);
	return ret;
}

static const struct wt *wt_of_branch(const struct wt *v, size_t n, const char *refname)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!v[i].prunable && v[i].branch && !strcmp(v[i].branch, refname))
			return &v[i];
	return NULL;
}

/* ---- git dc worktree add ------------------------------------------------ */

/* `p` made absolute against the current directory (caller frees). */
static char *absolute(const char *p)
{
	char cwd[4096];
	struct dc_buf b = DC_BUF_INIT;

	if (*p == '/' || !getcwd(cwd, sizeof(cwd)))
		return dc_xstrdup(p);
	dc_buf_addf(&b, "%s/%s", cwd, p);
	return dc_buf_detach(&b, NULL);
}

/* The default path: <dir>.<stream> next to the main work tree (or the bare
 * repository, without its ".git"). */
static char *default_path(struct dc_repo *r, const char *stream)
{
	const char *common = git_repository_commondir(r->git);
	struct dc_buf b = DC_BUF_INIT;
	size_t len = strlen(common);

	while (len > 1 && common[len - 1] == '/')
		len--;
	/* <top>/.git -> <top>; <name>.git -> <name> */
	if (len >= 5 && !strncmp(common + len - 5, "/.git", 5))
		len -= 5;
	else if (len > 4 && !strncmp(common + len - 4, ".git", 4))
		len -= 4;
	dc_buf_add(&b, common, len);
	dc_buf_addf(&b, ".%s", stream);
	return dc_buf_detach(&b, NULL);
}

/*
 * The newest merged state: of the local branch and the remote-tracking one,
 * the descendant when one contains the other, else the remote's.
 */
static int start_point(git_oid *out, char **name, struct dc_repo *r, const char *remote,
		       const char *branch, struct dc_err *err)
{
	struct dc_buf local = DC_BUF_INIT, track = DC_BUF_INIT;
	git_oid lo, ro;
	int le, re, ret = -1;

	dc_buf_addf(&local, "refs/heads/%s", branch);
	if (ref_oid(&lo, &le, r, local.buf, err))
		goto cleanup;
	re = 0;
	if (remote) {
		dc_buf_addf(&track, "refs/remotes/%s/%s", remote, branch);
		if (ref_oid(&ro, &re, r, track.buf, err))
			goto cleanup;
	}
	if (!le && !re) {
		dc_err_set(err, DC_ERR_REFUSED, "no merged state to start from: neither '%s' nor"
			   " '%s/%s' exists", branch, remote ? remote : "<remote>", branch);
		dc_err_hint(err, "clone the shared repository first, or set dc.main to the branch"
			    " the primary merges into");
		goto cleanup;
	}
	if (le && (!re || git_oid_equal(&lo, &ro) ||
		   git_graph_descendant_of(r->git, &lo, &ro) == 1)) {
		*out = lo;
		*name = dc_xstrdup(branch);
	} else {
		*out = ro;
		*name = dc_xstrdup(track.buf + strlen("refs/remotes/"));
	}
	ret = 0;
cleanup:
	dc_buf_release(&local);
	dc_buf_release(&track);
	return ret;
}

int dc_worktree_add(struct dc_repo *r, const struct dc_worktree_add_opts *o,
		    struct dc_worktree_add_result *res, struct dc_err *err)
{
	struct dc_buf refname = DC_BUF_INIT, key = DC_BUF_INIT, errout = DC_BUF_INIT;
	struct dc_buf up = DC_BUF_INIT;
	char *remote = NULL, *branch = NULL, *dir = NULL, *real;
	struct wt *wts = NULL;
	const struct wt *w;
	size_t nwts = 0;
	git_oid start, cur;
	git_tree *tree = NULL;
	int exists, missing, status, ret = -1;

	memset(res, 0, sizeof(*res));
	if (check_stream(o->stream, err) ||
	    remote_name(&remote, r, o->remote, o->remote != NULL, err))
		goto cleanup;
	if (main_branch(&branch, r, err))
		goto cleanup;
	dc_buf_addf(&refname, "%s%s", DC_STREAM_BRANCH_PREFIX, o->stream);
	res->branch = dc_xstrdup(refname.buf + strlen("refs/heads/"));
	if (worktree_list(&wts, &nwts, r, err))
		goto cleanup;
	if ((w = wt_of_branch(wts, nwts, refname.buf))) {
		dc_err_set(err, DC_ERR_REFUSED, "stream '%s' already has a work tree: '%s'",
			   o->stream, w->path);
		dc_err_hint(err, "work there, or remove it with 'git dc worktree remove %s'",
			    o->stream);
		goto cleanup;
	}
	if (remote && !o->no_fetch && fetch_branch(&missing, r, remote, branch, err))
		goto cleanup;
	if (start_point(&start, &res->start_name, r, remote, branch, err) ||
	    commit_tree(&tree, r, &start, err) ||
	    deltas_dir(&dir, r, tree, res->start_name, err))
		goto cleanup;
	res->path = o->path ? absolute(o->path) : default_path(r, o->stream);

	if (ref_oid(&cur, &exists, r, refname.buf, err))
		goto cleanup;
	res->branch_existed = exists;
	if (exists && !git_oid_equal(&cur, &start) &&
	    git_graph_descendant_of(r->git, &start, &cur) == 1) {
		/* nothing of its own: start it again from the newest state */
		if (dc_repo_cas_ref(r, refname.buf, &cur, &start, "dc worktree add: fast-forward",
				    err))
			goto cleanup;
		res->fast_forwarded = 1;
		cur = start;
	}
	res->holds_own = exists && !git_oid_equal(&cur, &start);
	if (exists) {
		const char *argv[] = { "worktree", "add", "--quiet", res->path, res->branch, NULL };

		if (dc_run_git(&status, NULL, &errout, r, argv, err))
			goto cleanup;
		git_oid_tostr(res->start, sizeof(res->start), &cur);
	} else {
		const char *argv[] = { "worktree", "add", "--quiet", "-b", res->branch, res->path,
				       git_oid_tostr_s(&start), NULL };

		if (dc_run_git(&status, NULL, &errout, r, argv, err))
			goto cleanup;
		git_oid_tostr(res->start, sizeof(res->start), &start);
	}
	if (status) {
		dc_err_set(err, DC_ERR_REFUSED, "cannot add a work tree at '%s': %s", res->path,
			   last_line(&errout));
		dc_err_hint(err, "give another path: 'git dc worktree add %s <path>'", o->stream);
		goto cleanup;
	}
	if ((real = realpath(res->path, NULL))) {
		free(res->path);
		res->path = real;
	}
	/* the mark git dc worktree prune looks for, and the upstream sync uses */
	dc_buf_addf(&key, "branch.%s.%s", res->branch, MARK);
	if (config_set(r, key.buf, "true", err))
		goto cleanup;
	if (remote) {
		dc_buf_reset(&key);
		dc_buf_addf(&key, "branch.%s.remote", res->branch);
		dc_buf_addf(&up, "refs/heads/%s", branch);
		if (config_set(r, key.buf, remote, err))
			goto cleanup;
		dc_buf_reset(&key);
		dc_buf_addf(&key, "branch.%s.merge", res->branch);
		if (config_set(r, key.buf, up.buf, err))
			goto cleanup;
	}
	ret = 0;
cleanup:
	if (ret) {
		dc_worktree_add_result_release(res);
		memset(res, 0, sizeof(*res));
	}
	git_tree_free(tree);
	wts_free(wts, nwts);
	free(remote);
	free(branch);
	free(dir);
	dc_buf_release(&refname);
	dc_buf_release(&key);
	dc_buf_release(&up);
	dc_buf_release(&errout);
	return ret;
}

void dc_worktree_add_result_release(struct dc_worktree_add_result *res)
{
	free(res->path);
	free(res->branch);
	free(res->start_name);
	memset(res, 0, sizeof(*res));
}

/* ---- git dc worktree remove --------------------------------------------- */

/*
 * Delete the branch `short_name` and its configuration section with
 * `git branch -D` (libgit2 1.5's git_branch_delete leaks the regex match
 * data of its configuration walk).
 */
static int delete_branch(struct dc_repo *r, const char *short_name, struct dc_err *err)
{
	const char *argv[] = { "branch", "--quiet", "-D", short_name, NULL };
	struct dc_buf errout = DC_BUF_INIT;
	int status, ret = 0;

	if (dc_run_git(&status, NULL, &errout, r, argv, err))
		ret = -1;
	else if (status)
		ret = dc_err_set(err, DC_ERR_FATAL, "cannot delete the branch '%s': %s",
				 short_name, last_line(&errout));
	dc_buf_release(&errout);
	return ret;
}

int dc_worktree_remove(struct dc_repo *r, const struct dc_worktree_remove_opts *o,
		       struct dc_worktree_remove_result *res, struct dc_err *err)
{
	struct dc_buf refname = DC_BUF_INIT, errout = DC_BUF_INIT;
	char *remote = NULL;
	struct wt *wts = NULL;
	const struct wt *w;
	size_t nwts = 0;
	git_oid tip;
	int exists, status, ret = -1;

	memset(res, 0, sizeof(*res));
	if (check_stream(o->stream, err) ||
	    remote_name(&remote, r, o->remote, o->remote != NULL, err) ||
	    worktree_list(&wts, &nwts, r, err))
		goto cleanup;
	dc_buf_addf(&refname, "%s%s", DC_STREAM_BRANCH_PREFIX, o->stream);
	res->branch = dc_xstrdup(refname.buf + strlen("refs/heads/"));
	if (!(w = wt_of_branch(wts, nwts, refname.buf))) {
		dc_err_set(err, DC_ERR_REFUSED, "stream '%s' has no work tree", o->stream);
		dc_err_hint(err, "'git dc worktree prune' deletes stream branches without a work"
			    " tree once their deltas are pushed");
		goto cleanup;
	}
	res->path = dc_xstrdup(w->path);
	if (ref_oid(&tip, &exists, r, refname.buf, err))
		goto cleanup;
	if (exists && unpushed_deltas(&res->unpushed, &res->nunpushed, r, &tip, o->stream,
				      remote, err))
		goto cleanup;
	if (res->nunpushed && !o->force) {
		dc_err_set(err, DC_ERR_REFUSED, "stream '%s' has %zu delta%s not pushed%s%s%s",
			   o->stream, res->nunpushed, res->nunpushed == 1 ? "" : "s",
			   remote ? " to '" : " (no remote)", remote ? remote : "", remote ? "'" : "");
		dc_err_hint(err, "push them with 'git dc push' in '%s', or drop them with --force",
			    res->path);
		goto cleanup;
	}
	{
		const char *argv[] = { "worktree", "remove", res->path, NULL, NULL };

		if (o->force) {
			argv[2] = "--force";
			argv[3] = res->path;
		}
		if (dc_run_git(&status, NULL, &errout, r, argv, err))
			goto cleanup;
	}
	if (status) {
		dc_err_set(err, DC_ERR_REFUSED, "cannot remove the work tree of stream '%s': %s",
			   o->stream, last_line(&errout));
		dc_err_hint(err, "commit or remove what is changed there, or use --force (it is"
			    " lost)");
		goto cleanup;
	}
	if (exists && delete_branch(r, res->branch, err))
		goto cleanup;
	res->removed = 1;
	ret = 0;
cleanup:
	wts_free(wts, nwts);
	free(remote);
	dc_buf_release(&refname);
	dc_buf_release(&errout);
	return ret;
}

void dc_worktree_remove_result_release(struct dc_worktree_remove_result *res)
{
	free(res->path);
	free(res->branch);
	free_strings(res->unpushed, res->nunpushed);
	memset(res, 0, sizeof(*res));
}

/* ---- git dc worktree prune ---------------------------------------------- */

/* The git directory of the work tree at `path` (from its .git file), or
 * NULL; the caller frees it. */
static char *wt_gitdir(const char *path)
{
	struct dc_buf p = DC_BUF_INIT;
	char line[4096], *out = NULL;
	struct stat st;
	FILE *f;

	dc_buf_addf(&p, "%s/.git", path);
	if (!stat(p.buf, &st) && S_ISDIR(st.st_mode)) {
		out = dc_buf_detach(&p, NULL);
		return out;
	}
	if ((f = fopen(p.buf, "r"))) {
		if (fgets(line, sizeof(line), f) && !strncmp(line, "gitdir: ", 8)) {
			line[strcspn(line, "\r\n")] = '\0';
			out = line[8] == '/' ? dc_xstrdup(line + 8) : NULL;
			if (!out) {
				struct dc_buf rel = DC_BUF_INIT;

				dc_buf_addf(&rel, "%s/%s", path, line + 8);
				out = dc_buf_detach(&rel, NULL);
			}
		}
		fclose(f);
	}
	dc_buf_release(&p);
	return out;
}

/* Remove `path` if it is a lock file at least `expire` seconds old. */
static int stale_lock(struct dc_worktree_prune_result *res, size_t *alloc, const char *path,
		      const char *stream, const struct dc_worktree_prune_opts *o,
		      struct dc_err *err)
{
	struct dc_prune_lock *l;
	struct stat st;
	time_t now = time(NULL);
	uint64_t age;

	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	age = now > st.st_mtime ? (uint64_t)(now - st.st_mtime) : 0;
	if (age < o->expire)
		return 0;
	if (!o->dry_run && unlink(path) && errno != ENOENT)
		return dc_err_set(err, DC_ERR_FATAL, "cannot remove '%s': %s", path,
				  strerror(errno));
	DC_ALLOC_GROW(res->locks, res->nlocks + 1, *alloc);
	l = &res->locks[res->nlocks++];
	l->path = dc_xstrdup(path);
	l->stream = stream ? dc_xstrdup(stream) : NULL;
	l->age = age;
	return 0;
}

/* Append the *.lock files directly in `dir` to *out. */
static void dir_locks(char ***out, size_t *n, size_t *alloc, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct dc_buf p = DC_BUF_INIT;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".lock"))
			continue;
		dc_buf_addf(&p, "%s/%s", dir, de->d_name);
		DC_ALLOC_GROW(*out, *n + 1, *alloc);
		(*out)[(*n)++] = dc_buf_detach(&p, NULL);
	}
	closedir(d);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The deltas the commit of the stream work tree `w` holds and its index
 * does not, whose work tree file is missing or holds the committed bytes:
 * what a command killed between moving the branch and writing the index
 * leaves. They are put back from the commit (unless dry_run).
 */
static int restore_deltas(struct dc_worktree_prune_result *res, size_t *alloc, struct dc_repo *r,
			  const struct wt *w, const char *stream,
			  const struct dc_worktree_prune_opts *o, struct dc_err *err)
{
	struct dc_buf out = DC_BUF_INIT, errout = DC_BUF_INIT, file = DC_BUF_INIT;
	git_tree *tree = NULL;
	git_oid tip;
	char *dir = NULL, **paths = NULL;
	size_t npaths = 0, alloc_paths = 0, pos, i;
	int exists, status, ret = -1;

	if (ref_oid(&tip, &exists, r, w->branch, err) || !exists) {
		ret = exists ? -1 : 0;
		goto cleanup;
	}
	if (commit_tree(&tree, r, &tip, err) || deltas_dir(&dir, r, tree, w->branch, err))
		goto cleanup;
	{
		const char *argv[] = { "-C", w->path, "diff-index", "--cached", "--name-status",
				       "--no-renames", "-z", "HEAD", "--", dir, NULL };

		if (dc_run_git(&status, &out, &errout, r, argv, err))
			goto cleanup;
	}
	if (status) {
		dc_err_set(err, DC_ERR_FATAL, "cannot read the index of '%s': %s", w->path,
			   last_line(&errout));
		goto cleanup;
	}
	/* "D\0<path>\0": in the commit, not in the index */
	for (pos = 0; pos < out.len; pos += strlen(out.buf + pos) + 1) {
		const char *st = out.buf + pos, *path;
		git_oid want, have;
		struct stat sb;

		pos += strlen(st) + 1;
		if (pos >= out.len)
			break;
		path = out.buf + pos;
		if (strcmp(st, "D") || !dc_repo_tree_oid(&want, tree, path))
			continue;
		dc_buf_reset(&file);
		dc_buf_addf(&file, "%s/%s", w->path, path);
		if (!lstat(file.buf, &sb) &&
		    (!S_ISREG(sb.st_mode) || git_odb_hashfile(&have, file.buf, GIT_OBJECT_BLOB) ||
		     !git_oid_equal(&have, &want)))
			continue;
		push_string(&paths, &npaths, &alloc_paths, path);
	}
	if (npaths && !o->dry_run) {
		const char **argv = dc_xcalloc(npaths + 7, sizeof(*argv));

		argv[0] = "-C";
		argv[1] = w->path;
		argv[2] = "checkout";
		argv[3] = "HEAD";
		argv[4] = "--";
		for (i = 0; i < npaths; i++)
			argv[5 + i] = paths[i];
		dc_buf_reset(&errout);
		if (dc_run_git(&status, NULL, &errout, r, argv, err)) {
			free(argv);
			goto cleanup;
		}
		free(argv);
		if (status) {
			dc_err_set(err, DC_ERR_FATAL, "cannot put back the deltas of '%s': %s",
				   w->path, last_line(&errout));
			goto cleanup;
		}
	}
	for (i = 0; i < npaths; i++) {
		DC_ALLOC_GROW(res->restored, res->nrestored + 1, *alloc);
		res->restored[res->nrestored].stream = dc_xstrdup(stream);
		res->restored[res->nrestored].path = dc_xstrdup(paths[i]);
		res->nrestored++;
	}
	ret = 0;
cleanup:
	free_strings(paths, npaths);
	free(dir);
	git_tree_free(tree);
	dc_buf_release(&out);
	dc_buf_release(&errout);
	dc_buf_release(&file);
	return ret;
}

/* 1 if `git dc worktree add` made the branch `short_name`. */
static int marked(struct dc_repo *r, const char *short_name)
{
	struct dc_buf key = DC_BUF_INIT;
	char *v;
	int yes;

	dc_buf_addf(&key, "branch.%s.%s", short_name, MARK);
	v = config_get(r, key.buf);
	yes = v && !strcmp(v, "true");
	free(v);
	dc_buf_release(&key);
	return yes;
}

int dc_worktree_prune(struct dc_repo *r, const struct dc_worktree_prune_opts *o,
		      struct dc_worktree_prune_result *res, struct dc_err *err)
{
	const char *argv[] = { "worktree", "prune", "--verbose", NULL, NULL };
	struct dc_buf out = DC_BUF_INIT, errout = DC_BUF_INIT, p = DC_BUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	char *remote = NULL, **locks = NULL, **names = NULL;
	struct wt *wts = NULL;
	size_t nwts = 0, alloc_pruned = 0, alloc_locks = 0, nlocks = 0, nnames = 0, alloc_names = 0;
	size_t alloc_del = 0, alloc_kept = 0, alloc_lockp = 0, alloc_restored = 0, i;
	const char *line, *nl;
	int status, e, ret = -1;

	memset(res, 0, sizeof(*res));
	if (remote_name(&remote, r, o->remote, o->remote != NULL, err))
		goto cleanup;
	if (o->dry_run)
		argv[3] = "--dry-run";
	if (dc_run_git(&status, &out, &errout, r, argv, err))
		goto cleanup;
	if (status) {
		dc_err_set(err, DC_ERR_FATAL, "git worktree prune failed: %s", last_line(&errout));
		goto cleanup;
	}
	/* --verbose reports on stderr */
	for (line = errout.buf; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		if (nl != line) {
			char *l = dc_xmemdupz(line, nl ? (size_t)(nl - line) : strlen(line));

			push_string(&res->pruned, &res->npruned, &alloc_pruned, l);
			free(l);
		}
	}
	if (worktree_list(&wts, &nwts, r, err))
		goto cleanup;

	/* locks a killed git left in stream work trees */
	for (i = 0; i < nwts; i++) {
		const char *b = wts[i].branch;
		char *gd;

		if (wts[i].prunable || !b ||
		    strncmp(b, DC_STREAM_BRANCH_PREFIX, strlen(DC_STREAM_BRANCH_PREFIX)) ||
		    !(gd = wt_gitdir(wts[i].path)))
			continue;
		b += strlen(DC_STREAM_BRANCH_PREFIX);
		dc_buf_reset(&p);
		dc_buf_addf(&p, "%s/index.lock", gd);
		e = stale_lock(res, &alloc_locks, p.buf, b, o, err);
		dc_buf_reset(&p);
		dc_buf_addf(&p, "%s/HEAD.lock", gd);
		e = e || stale_lock(res, &alloc_locks, p.buf, b, o, err);
		free(gd);
		if (e)
			goto cleanup;
	}
	/* ... and on the stream refs and their remote-tracking refs */
	dc_buf_reset(&p);
	dc_buf_addf(&p, "%s%s", git_repository_commondir(r->git), DC_STREAM_BRANCH_PREFIX);
	dc_buf_setlen(&p, p.len - 1);
	dir_locks(&locks, &nlocks, &alloc_lockp, p.buf);
	if (remote) {
		dc_buf_reset(&p);
		dc_buf_addf(&p, "%srefs/remotes/%s/%s", git_repository_commondir(r->git), remote,
			    STREAM_BRANCH);
		dc_buf_setlen(&p, p.len - 1);
		dir_locks(&locks, &nlocks, &alloc_lockp, p.buf);
	}
	if (nlocks)
		qsort(locks, nlocks, sizeof(*locks), cmp_strp);
	for (i = 0; i < nlocks; i++)
		if (stale_lock(res, &alloc_locks, locks[i], NULL, o, err))
			goto cleanup;

	/* deltas committed by a killed command, missing from their index */
	for (i = 0; i < nwts; i++) {
		const char *b = wts[i].branch;

		if (wts[i].prunable || !b ||
		    strncmp(b, DC_STREAM_BRANCH_PREFIX, strlen(DC_STREAM_BRANCH_PREFIX)))
			continue;
		if (restore_deltas(res, &alloc_restored, r, &wts[i],
				   b + strlen(DC_STREAM_BRANCH_PREFIX), o, err))
			goto cleanup;
	}

	/* stream branches made by git dc worktree add, without a work tree */
	if (git_reference_iterator_new(&it, r->git)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot list the references");
		goto cleanup;
	}
	while (!(e = git_reference_next(&ref, it))) {
		const char *name = git_reference_name(ref);

		if (!strncmp(name, DC_STREAM_BRANCH_PREFIX, strlen(DC_STREAM_BRANCH_PREFIX)) &&
		    !wt_of_branch(wts, nwts, name) && marked(r, name + strlen("refs/heads/")))
			push_string(&names, &nnames, &alloc_names, name);
		git_reference_free(ref);
	}
	if (e != GIT_ITEROVER) {
		dc_git_err(err, DC_ERR_FATAL, "cannot list the references");
		goto cleanup;
	}
	if (nnames)
		qsort(names, nnames, sizeof(*names), cmp_strp);
	for (i = 0; i < nnames; i++) {
		const char *id = names[i] + strlen(DC_STREAM_BRANCH_PREFIX);
		struct dc_prune_branch pb = { NULL, NULL, 0 };
		git_oid tip;
		int exists;

		if (!dc_stream_id_valid(id, strlen(id)))
			continue;
		if (ref_oid(&tip, &exists, r, names[i], err) ||
		    (exists && unpushed_deltas(&pb.unpushed, &pb.nunpushed, r, &tip, id, remote,
					       err))) {
			free_strings(pb.unpushed, pb.nunpushed);
			goto cleanup;
		}
		pb.branch = dc_xstrdup(names[i] + strlen("refs/heads/"));
		if (pb.nunpushed) {
			DC_ALLOC_GROW(res->kept, res->nkept + 1, alloc_kept);
			res->kept[res->nkept++] = pb;
			continue;
		}
		DC_ALLOC_GROW(res->deleted, res->ndeleted + 1, alloc_del);
		res->deleted[res->ndeleted++] = pb;
		if (!o->dry_run && delete_branch(r, pb.branch, err))
			goto cleanup;
	}
	ret = 0;
cleanup:
	git_reference_iterator_free(it);
	free_strings(locks, nlocks);
	free_strings(names, nnames);
	wts_free(wts, nwts);
	free(remote);
	dc_buf_release(&out);
	dc_buf_release(&errout);
	dc_buf_release(&p);
	return ret;
}

static void prune_branches_free(struct dc_prune_branch *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].branch);
		free_strings(v[i].unpushed, v[i].nunpushed);
	}
	free(v);
}

void dc_worktree_prune_result_release(struct dc_worktree_prune_result *res)
{
	size_t i;

	free_strings(res->pruned, res->npruned);
	for (i = 0; i < res->nlocks; i++) {
		free(res->locks[i].path);
		free(res->locks[i].stream);
	}
	free(res->locks);
	for (i = 0; i < res->nrestored; i++) {
		free(res->restored[i].stream);
		free(res->restored[i].path);
	}
	free(res->restored);
	prune_branches_free(res->deleted, res->ndeleted);
	prune_branches_free(res->kept, res->nkept);
	memset(res, 0, sizeof(*res));
}

/* ---- git dc push -------------------------------------------------------- */

/* Paths of delta entries under `dir` of `from` that `into` lacks. */
static int missing_deltas(char ***out, size_t *n, struct dc_repo *r, const git_tree *from,
			  const git_tree *into, const char *dir, struct dc_err *err)
{
	struct dc_tree_entry *e = NULL;
	struct dc_buf path = DC_BUF_INIT;
	size_t ne = 0, i, alloc = 0;
	git_oid toid, x;

	if (dc_repo_list_dir(&e, &ne, &toid, r, from, dir, err))
		return -1;
	for (i = 0; i < ne; i++) {
		if (e[i].mode == GIT_FILEMODE_TREE)
			continue;
		dc_buf_reset(&path);
		dc_buf_addf(&path, "%s/%s", dir, e[i].rel);
		if (!dc_repo_tree_oid(&x, into, path.buf))
			push_string(out, n, &alloc, path.buf);
	}
	dc_tree_entries_free(e, ne);
	dc_buf_release(&path);
	return 0;
}

/* Refused: a delta of the same path holds other bytes on the remote. */
static int conflict(struct dc_err *err, const char *path, const char *remote, const char *ref)
{
	dc_err_set(err, DC_ERR_REFUSED, "delta '%s' holds other bytes on '%s' %s", path, remote,
		   ref);
	dc_err_hint(err, "a delta is immutable: two writers used one stream id and frame;"
		    " write this one under another stream or frame");
	return -1;
}

struct push_state {
	struct dc_repo *r;
	const char *stream, *remote, *dst, *dir;
	git_commit *head;
	git_tree *head_tree;
	struct sdelta *mine;	/* the stream's deltas in HEAD */
	size_t nmine;
	/* own ref, diverged: the merge commit and the delta paths it adds */
	char **added;
	size_t nadded;
	git_tree *tip_tree;
};

/*
 * The commit to push to the stream's own ref, given its remote value `t`
 * (NULL: absent): HEAD, or a merge of HEAD and `t` adding t's deltas when
 * they diverged. *up_to_date when `t` already holds HEAD.
 */
static int own_tip(git_oid *tip, int *up_to_date, struct push_state *ps, const git_oid *t,
		   struct dc_err *err)
{
	struct dc_repo *r = ps->r;
	const git_oid *h = git_commit_id(ps->head);
	git_tree *ttree = NULL;
	char **conflicts = NULL;
	size_t nconflicts = 0;
	git_oid tree, parents[2];
	struct dc_buf msg = DC_BUF_INIT;
	int ret = -1;

	*up_to_date = 0;
	*tip = *h;
	git_tree_free(ps->tip_tree);
	ps->tip_tree = NULL;
	free_strings(ps->added, ps->nadded);
	ps->added = NULL;
	ps->nadded = 0;
	if (!t || git_graph_descendant_of(r->git, h, t) == 1)
		return 0;
	if (git_oid_equal(t, h)) {
		*up_to_date = 1;
		return 0;
	}
	if (commit_tree(&ttree, r, t, err) ||
	    dc_union_deltas(&tree, &conflicts, &nconflicts, r, ps->head_tree,
			    (const git_tree *const *)&ttree, 1, ps->dir, err))
		goto cleanup;
	if (git_graph_descendant_of(r->git, t, h) == 1) {
		/*
		 * Up to date. When `t` is HEAD plus deltas only (the merge of a
		 * push killed before it took them in), the branch moves to it.
		 */
		*up_to_date = 1;
		if (!nconflicts && git_oid_equal(&tree, git_tree_id(ttree))) {
			if (missing_deltas(&ps->added, &ps->nadded, r, ttree, ps->head_tree,
					   ps->dir, err))
				goto cleanup;
			*tip = *t;
			ps->tip_tree = ttree;
			ttree = NULL;
		}
		ret = 0;
		goto cleanup;
	}
	if (nconflicts) {
		conflict(err, conflicts[0], ps->remote, ps->dst);
		goto cleanup;
	}
	if (missing_deltas(&ps->added, &ps->nadded, r, ttree, ps->head_tree, ps->dir, err))
		goto cleanup;
	parents[0] = *h;
	parents[1] = *t;
	dc_buf_addf(&msg, "dc: take in %s of '%s' (deltas only)\n", ps->dst, ps->remote);
	if (dc_repo_commit(tip, r, &tree, parents, 2, msg.buf, err))
		goto cleanup;
	if (git_tree_lookup(&ps->tip_tree, r->git, &tree)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the merged tree");
		goto cleanup;
	}
	ret = 0;
cleanup:
	free_strings(conflicts, nconflicts);
	git_tree_free(ttree);
	dc_buf_release(&msg);
	return ret;
}

/*
 * The commit to push to a shared branch whose remote value is `t` (NULL:
 * absent, then HEAD creates it): t plus the stream's deltas it lacks.
 */
static int shared_tip(git_oid *tip, int *up_to_date, struct push_state *ps, const git_oid *t,
		      struct dc_err *err)
{
	struct dc_repo *r = ps->r;
	struct dc_tree_change *ch = NULL;
	struct dc_buf msg = DC_BUF_INIT;
	git_tree *ttree = NULL;
	git_oid tree, x;
	size_t i, n = 0;
	int ret = -1;

	*up_to_date = 0;
	if (!t) {
		*tip = *git_commit_id(ps->head);
		return 0;
	}
	if (commit_tree(&ttree, r, t, err))
		goto cleanup;
	ch = dc_xcalloc(ps->nmine + 1, sizeof(*ch));
	for (i = 0; i < ps->nmine; i++) {
		if (dc_repo_tree_oid(&x, ttree, ps->mine[i].path)) {
			if (!git_oid_equal(&x, &ps->mine[i].oid)) {
				conflict(err, ps->mine[i].path, ps->remote, ps->dst);
				goto cleanup;
			}
			continue;
		}
		ch[n].path = ps->mine[i].path;
		ch[n].oid = ps->mine[i].oid;
		n++;
	}
	if (!n) {
		*up_to_date = 1;
		ret = 0;
		goto cleanup;
	}
	dc_buf_addf(&msg, "dc: %zu delta%s of stream '%s'\n\n", n, n == 1 ? "" : "s", ps->stream);
	for (i = 0; i < n; i++)
		dc_buf_addf(&msg, "%s\n", ch[i].path);
	if (dc_repo_tree_update(&tree, r, ttree, ch, n, err) ||
	    dc_repo_commit(tip, r, &tree, t, 1, msg.buf, err))
		goto cleanup;
	ret = 0;
cleanup:
	free(ch);
	git_tree_free(ttree);
	dc_buf_release(&msg);
	return ret;
}

/* After the push of a merge to the own ref: the branch moves to it and
 * the work tree gets the deltas it added. */
static int take_in(struct push_state *ps, const char *refname, const git_oid *tip,
		   struct dc_err *err)
{
	if (dc_repo_cas_ref(ps->r, refname, git_commit_id(ps->head), tip,
			    "dc push: take in the remote's deltas", err))
		return -1;
	return dc_repo_bring_worktree(ps->r, ps->head_tree, ps->tip_tree,
				      (const char *const *)ps->added, NULL, ps->nadded, 0, err);
}

int dc_push(struct dc_repo *r, const struct dc_push_opts *o, struct dc_push_result *res,
	    struct dc_err *err)
{
	struct push_state ps;
	struct dc_buf track = DC_BUF_INIT;
	char *refname = NULL, *dir = NULL, *dst = NULL;
	git_tree *old_tree = NULL;
	git_oid old_oid;
	int old_exists = 0;
	unsigned max = o->attempts ? o->attempts : DC_PUSH_ATTEMPTS;
	size_t i, alloc = 0;
	git_reference *tref = NULL;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	memset(&ps, 0, sizeof(ps));
	ps.r = r;
	if (dc_fleet_stream(&res->stream, r, err) ||
	    remote_name(&res->remote, r, o->remote, 1, err))
		goto cleanup;
	if (o->to) {
		if (!branch_name_ok(o->to)) {
			dc_err_set(err, DC_ERR_USAGE, "'%s' is not a valid branch name", o->to);
			dc_err_hint(err, "'git check-ref-format --branch <name>' tells which names git"
				    " takes");
			goto cleanup;
		}
		dst = dc_xstrdup(o->to);
	} else {
		struct dc_buf b = DC_BUF_INIT;

		dc_buf_addf(&b, "%s%s", STREAM_BRANCH, res->stream);
		dst = dc_buf_detach(&b, NULL);
	}
	{
		struct dc_buf b = DC_BUF_INIT;

		dc_buf_addf(&b, "refs/heads/%s", dst);
		res->ref = dc_buf_detach(&b, NULL);
	}
	dc_buf_addf(&track, "refs/remotes/%s/%s", res->remote, dst);
	if (dc_repo_head(&refname, &ps.head, r, err))
		goto cleanup;
	if (!ps.head) {
		dc_err_set(err, DC_ERR_REFUSED, "'%s' has no commit yet: nothing to push", refname);
		dc_err_hint(err, "commit a delta first with 'git dc delta'");
		goto cleanup;
	}
	if (git_commit_tree(&ps.head_tree, ps.head)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of '%s'", refname);
		goto cleanup;
	}
	if (deltas_dir(&dir, r, ps.head_tree, "this branch", err) ||
	    stream_deltas(&ps.mine, &ps.nmine, r, ps.head_tree, dir, res->stream, err))
		goto cleanup;
	ps.stream = res->stream;
	ps.remote = res->remote;
	ps.dst = res->ref;
	ps.dir = dir;

	for (;;) {
		git_oid t, tip;
		int exists, missing = 0, up_to_date, rejected;

		if (o->to) {
			if (fetch_head(&t, &exists, r, res->remote, dst, err))
				goto cleanup;
		} else if ((res->rejected && fetch_branch(&missing, r, res->remote, dst, err)) ||
			   ref_oid(&t, &exists, r, track.buf, err)) {
			goto cleanup;
		}
		if (o->to ? shared_tip(&tip, &up_to_date, &ps, exists ? &t : NULL, err) :
		    own_tip(&tip, &up_to_date, &ps, exists ? &t : NULL, err))
			goto cleanup;
		if (exists)
			git_oid_tostr(res->old, sizeof(res->old), &t);
		else
			res->old[0] = '\0';
		old_oid = t;
		old_exists = exists;
		if (up_to_date) {
			res->up_to_date = 1;
			git_oid_tostr(res->new_oid, sizeof(res->new_oid), &t);
			if (!o->to && ps.tip_tree) {
				res->took_in = 1;
				if (take_in(&ps, refname, &tip, err))
					goto cleanup;
			}
			break;
		}
		res->attempts++;
		dc_crash_point("push-commit");
		if (push_ref(&rejected, r, res->remote, &tip, res->ref, err))
			goto cleanup;
		if (!rejected) {
			dc_crash_point("push-sent");
			git_oid_tostr(res->new_oid, sizeof(res->new_oid), &tip);
			/*
			 * What git push records when the remote has a fetch refspec. A
			 * shared branch's tracking ref may be locked by another work tree
			 * of this repository doing the same: it is only a cache of the
			 * remote, so that is no failure.
			 */
			if (git_reference_create(&tref, r->git, track.buf, &tip, 1, "dc push") &&
			    !o->to) {
				dc_git_err(err, DC_ERR_FATAL, "cannot update '%s'", track.buf);
				goto cleanup;
			}
			dc_crash_point("push-tracked");
			if (!o->to && ps.tip_tree) {
				res->took_in = 1;
				if (take_in(&ps, refname, &tip, err))
					goto cleanup;
			}
			break;
		}
		res->rejected++;
		if (res->attempts >= max) {
			dc_err_set(err, DC_ERR_REFUSED, "'%s' rejected the push to '%s' %u time%s:"
				   " the branch moved each time", res->remote, res->ref,
				   res->rejected, res->rejected == 1 ? "" : "s");
			dc_err_hint(err, "run 'git dc push' again (--attempts raises the bound); many"
				    " writers on one branch race, a stream's own ref does not");
			goto cleanup;
		}
		backoff(res->attempts);
	}
	/* the report: the stream's deltas the ref did not hold before */
	if (!res->up_to_date && old_exists && commit_tree(&old_tree, r, &old_oid, err))
		goto cleanup;
	for (i = 0; !res->up_to_date && i < ps.nmine; i++) {
		git_oid x;

		if (!old_tree || !dc_repo_tree_oid(&x, old_tree, ps.mine[i].path))
			push_string(&res->deltas, &res->ndeltas, &alloc, ps.mine[i].path);
	}
	ret = 0;
cleanup:
	git_tree_free(old_tree);
	git_reference_free(tref);
	sdeltas_free(ps.mine, ps.nmine);
	free_strings(ps.added, ps.nadded);
	git_tree_free(ps.tip_tree);
	git_tree_free(ps.head_tree);
	git_commit_free(ps.head);
	free(refname);
	free(dir);
	free(dst);
	dc_buf_release(&track);
	return ret;
}

void dc_push_result_release(struct dc_push_result *res)
{
	free(res->remote);
	free(res->stream);
	free(res->ref);
	free_strings(res->deltas, res->ndeltas);
	memset(res, 0, sizeof(*res));
}
