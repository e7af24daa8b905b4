#include "sync.h"
#include "merge.h"
#include "rules.h"
#include "run.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The line of what git printed that says what went wrong: the first
 * conflict, else the first fatal: or error: line, else the first line. */
static void git_says(struct dc_buf *out, const struct dc_buf *printed)
{
	static const char *const prefixes[] = { "CONFLICT ", "fatal: ", "error: ", NULL };
	const char *const *p;
	const char *line = NULL, *nl;

	for (p = prefixes; *p && !line; p++) {
		line = strstr(printed->buf, *p);
		while (line && line != printed->buf && line[-1] != '\n')
			line = strstr(line + 1, *p);
	}
	if (!line)
		line = printed->buf;
	else if (strncmp(line, "CONFLICT", 8))
		line += 7;
	nl = strchr(line, '\n');
	dc_buf_reset(out);
	dc_buf_add(out, line, nl ? (size_t)(nl - line) : strlen(line));
	if (!out->len)
		dc_buf_adds(out, "(no message)");
}

static int config_str(char **out, git_config *cfg, const char *fmt, const char *name)
{
	struct dc_buf key = DC_BUF_INIT;
	git_buf v = { NULL, 0, 0 };
	int ok;

	dc_buf_addf(&key, fmt, name);
	ok = !git_config_get_string_buf(&v, cfg, key.buf);
	*out = ok ? dc_xstrdup(v.ptr) : NULL;
	git_buf_dispose(&v);
	dc_buf_release(&key);
	return ok;
}

/* The upstream: given, or the branch's configuration, or the same name. */
static int find_upstream(struct dc_sync_result *res, struct dc_repo *r,
			 const struct dc_sync_opts *o, struct dc_err *err)
{
	const char *name = res->refname + (strncmp(res->refname, "refs/heads/", 11) ? 0 : 11);
	git_config *cfg = NULL;
	char *remote = NULL, *merge = NULL;
	int ret = -1;

	if (git_repository_config_snapshot(&cfg, r->git))
		return dc_git_err(err, DC_ERR_FATAL, "cannot read the configuration");
	config_str(&remote, cfg, "branch.%s.remote", name);
	config_str(&merge, cfg, "branch.%s.merge", name);
	res->remote = dc_xstrdup(o->remote ? o->remote : remote ? remote : "");
	if (!*res->remote) {
		dc_err_set(err, DC_ERR_REFUSED, "the branch '%s' has no upstream", name);
		dc_err_hint(err, "name it: 'git dc sync <remote> [<branch>]', or set it with"
			    " 'git branch --set-upstream-to <remote>/<branch>'");
		goto cleanup;
	}
	if (o->branch)
		res->branch = dc_xstrdup(o->branch);
	else if (merge && (!o->remote || (remote && !strcmp(remote, o->remote))))
		res->branch = dc_xstrdup(merge + (strncmp(merge, "refs/heads/", 11) ? 0 : 11));
	else
		res->branch = dc_xstrdup(name);
	ret = 0;
cleanup:
	free(remote);
	free(merge);
	git_config_free(cfg);
	return ret;
}

static int load_rules(struct dc_rules *rules, int *present, struct dc_repo *r,
		      const git_tree *tree, struct dc_err *err)
{
	struct dc_buf b = DC_BUF_INIT;
	int ret = -1;

	if (dc_repo_read(&b, present, NULL, r, tree, DC_RULES_PATH, err))
		goto cleanup;
	if (*present && dc_rules_parse(rules, b.buf, b.len, err)) {
		dc_err_prefix(err, "'%s' does not load", DC_RULES_PATH);
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&b);
	return ret;
}

static int protected_path(const struct dc_rules *rules, int dc, const char *path)
{
	size_t n;

	if (!strncmp(path, ".dc/", 4))
		return 1;
	if (!dc)
		return 0;
	n = strlen(rules->deltas);
	return (!strncmp(path, rules->deltas, n) && path[n] == '/') ||
	       dc_rules_is_canonical(rules, path);
}

/*
 * Uncommitted changes (staged or not) to tracked files: the protected ones
 * quoted into `list`, *other set when there are others.
 */
static int dirty_paths(struct dc_buf *list, int *other, struct dc_repo *r,
		       const struct dc_rules *rules, int dc, struct dc_err *err)
{
	struct dc_buf out = DC_BUF_INIT, errout = DC_BUF_INIT;
	const char *p, *end;
	int st, ret = -1, second = 0;

	*other = 0;
	if (dc_run_gitl(&st, &out, &errout, r, err, "status", "--porcelain=v1", "-z",
		"--untracked-files=no", NULL))
		goto cleanup;
	if (st) {
		git_says(&out, &errout);
		dc_err_set(err, DC_ERR_FATAL, "cannot read the status of the work tree: %s", out.buf);
		goto cleanup;
	}
	for (p = out.buf; p < out.buf + out.len; p = end + 1) {
		const char *path = second ? p : p + 3;
		end = p + strlen(p);
		if (!second && end - p < 4)
			continue;
		/* a rename or copy is followed by its source path */
		second = !second && (p[0] == 'R' || p[0] == 'C');
		if (protected_path(rules, dc, path)) {
			if (list->len)
				dc_buf_adds(list, ", ");
			dc_buf_addf(list, "'%s'", path);
		} else {
			*other = 1;
		}
	}
	ret = 0;
cleanup:
	dc_buf_release(&out);
	dc_buf_release(&errout);
	return ret;
}

static int head_tree(git_tree **tree, char *hex, struct dc_repo *r, struct dc_err *err)
{
	git_commit *c = NULL;
	char *refname = NULL;
	int ret = -1;

	if (dc_repo_head(&refname, &c, r, err))
		goto cleanup;
	if (!c) {
		dc_err_set(err, DC_ERR_REFUSED, "the branch '%s' has no commit yet", refname);
		dc_err_hint(err, "start from the shared repository: 'git clone <url>', or 'git dc"
			    " worktree add <stream>' in a clone");
		goto cleanup;
	}
	git_oid_tostr(hex, 41, git_commit_id(c));
	if (git_commit_tree(tree, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of %s", hex);
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(refname);
	git_commit_free(c);
	return ret;
}

/* What the sync brought in: commits, new deltas, the merged frame. */
static int describe(struct dc_sync_result *res, struct dc_repo *r, const git_tree *old_tree,
		    const git_tree *new_tree, struct dc_err *err)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_tree_entry *a = NULL, *b = NULL;
	struct dc_err ignored = DC_ERR_INIT;
	struct dc_buf path = DC_BUF_INIT;
	git_revwalk *w = NULL;
	git_oid id, old_id;
	size_t na = 0, nb = 0, i, k = 0;
	int present, ret = -1;

	/* what came in: the fetched commits the branch did not have (a rebase's
	 * copies of the local commits are not news) */
	if (git_revwalk_new(&w, r->git) || git_oid_fromstr(&id, res->upstream) ||
	    git_oid_fromstr(&old_id, res->old) || git_revwalk_push(w, &id) ||
	    git_revwalk_hide(w, &old_id)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot walk the history");
		goto cleanup;
	}
	while (!git_revwalk_next(&id, w))
		res->commits++;
	/* the report of a sync that happened: a head.json that does not read is "none" */
	if (dc_tree_frame(&res->frame_before, &res->had_frame, r, old_tree, &ignored))
		res->had_frame = 0;
	if (dc_tree_frame(&res->frame_after, &res->has_frame, r, new_tree, &ignored))
		res->has_frame = 0;
	if (load_rules(&rules, &present, r, new_tree, &ignored) || !present) {
		ret = 0;
		goto cleanup;
	}
	if (dc_repo_list_dir(&a, &na, &id, r, old_tree, rules.deltas, err) ||
	    dc_repo_list_dir(&b, &nb, &id, r, new_tree, rules.deltas, err))
		goto cleanup;
	/* both sorted by rel */
	for (i = 0; i < nb; i++) {
		int c = 1;
		while (k < na && (c = strcmp(a[k].rel, b[i].rel)) < 0)
			k++;
		if (k < na && !c)
			continue;
		dc_buf_reset(&path);
		dc_buf_addf(&path, "%s/%s", rules.deltas, b[i].rel);
		res->deltas = dc_xreallocarray(res->deltas, res->ndeltas + 1, sizeof(*res->deltas));
		res->deltas[res->ndeltas++] = dc_xstrdup(path.buf);
	}
	ret = 0;
cleanup:
	dc_tree_entries_free(a, na);
	dc_tree_entries_free(b, nb);
	git_revwalk_free(w);
	dc_rules_release(&rules);
	dc_err_release(&ignored);
	dc_buf_release(&path);
	return ret;
}

/*
 * `git <op> --abort` after a conflict: *st becomes -1 when that put
 * everything back (nothing changed), 1 when it could not.
 */
static int abort_op(int *st, struct dc_repo *r, const char *op, struct dc_err *err)
{
	int ab;

	if (dc_run_gitl(&ab, NULL, NULL, r, err, op, "--abort", NULL))
		return -1;
	*st = ab ? 1 : -1;
	return 0;
}

int dc_sync(struct dc_repo *r, const struct dc_sync_opts *o, struct dc_sync_result *res,
	    struct dc_err *err)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_buf list = DC_BUF_INIT, out = DC_BUF_INIT, errout = DC_BUF_INIT;
	struct dc_buf msg = DC_BUF_INIT, says = DC_BUF_INIT;
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_commit *c = NULL;
	git_oid head, up;
	int dc, other, st, ret = -1;

	memset(res, 0, sizeof(*res));
	if (r->bare) {
		dc_err_set(err, DC_ERR_REFUSED, "'git dc sync' updates a work tree, and this"
			   " repository is bare");
		dc_err_hint(err, "in a bare repository, use 'git fetch'");
		return -1;
	}
	if (dc_repo_head(&res->refname, &c, r, err))
		goto cleanup;
	git_commit_free(c);
	c = NULL;
	if (head_tree(&old_tree, res->old, r, err) || load_rules(&rules, &dc, r, old_tree, err) ||
	    find_upstream(res, r, o, err) || dirty_paths(&list, &other, r, &rules, dc, err))
		goto cleanup;
	if (list.len) {
		dc_err_set(err, DC_ERR_REFUSED, "uncommitted changes to files the protocol protects:"
			   " %s", list.buf);
		dc_err_hint(err, "canonical files are written only by 'git dc merge', and"
			    " committed deltas never change: record the change as a delta with"
			    " 'git dc delta'");
		dc_err_hint(err, "then put the files back with 'git checkout HEAD -- <file>'"
			    " (git dc sync never stashes them)");
		goto cleanup;
	}
	if (dc_run_gitl(&st, &out, &errout, r, err, "fetch", "--quiet", res->remote, res->branch, NULL))
		goto cleanup;
	if (st) {
		git_says(&says, &errout);
		dc_err_set(err, DC_ERR_FATAL, "cannot fetch '%s' from '%s': %s", res->branch,
			   res->remote, says.buf);
		dc_err_hint(err, "check that '%s' answers and has the branch '%s': 'git ls-remote"
			    " %s'", res->remote, res->branch, res->remote);
		goto cleanup;
	}
	dc_buf_reset(&out);
	if (dc_run_gitl(&st, &out, NULL, r, err, "rev-parse", "--verify", "-q", "FETCH_HEAD^{commit}",
		NULL))
		goto cleanup;
	if (st || git_oid_fromstr(&up, out.buf)) {
		dc_err_set(err, DC_ERR_FATAL, "fetching '%s' from '%s' gave no commit", res->branch,
			   res->remote);
		goto cleanup;
	}
	git_oid_tostr(res->upstream, sizeof(res->upstream), &up);
	git_oid_fromstr(&head, res->old);
	dc_buf_reset(&out);
	dc_buf_reset(&errout);
	if (git_oid_equal(&head, &up) || git_graph_descendant_of(r->git, &head, &up) == 1) {
		res->mode = "up-to-date";
		st = 0;
	} else if (git_graph_descendant_of(r->git, &up, &head) == 1) {
		res->mode = "fast-forward";
		if (dc_run_gitl(&st, NULL, &errout, r, err, "merge", "--ff-only", "--no-autostash", "--quiet",
			res->upstream, NULL))
			goto cleanup;
		st = st ? -1 : 0;	/* git changes nothing when it cannot fast-forward */
	} else if (!o->merge) {
		res->mode = "rebase";
		if (other) {
			dc_err_set(err, DC_ERR_REFUSED, "cannot rebase onto '%s' of '%s': the work"
				   " tree has uncommitted changes", res->branch, res->remote);
			dc_err_hint(err, "commit them, or stash them yourself (git dc sync never"
				    " autostashes), or merge instead: 'git dc sync --merge'");
			goto cleanup;
		}
		if (dc_run_gitl(&st, &out, &errout, r, err, "rebase", "--no-autostash", "--quiet",
			res->upstream, NULL))
			goto cleanup;
		if (st && abort_op(&st, r, "rebase", err))
			goto cleanup;
	} else {
		res->mode = "merge";
		dc_buf_addf(&msg, "Merge branch '%s' of %s", res->branch, res->remote);
		/* the dc strategy writes the projection of both sides' deltas; a
		 * text merge of canonical files would not be (and the hooks
		 * refuse it) */
		if (dc_run_gitl(&st, &out, &errout, r, err, "merge", "--no-autostash", "--no-edit",
			"--strategy", dc ? "dc" : "ort", "-m", msg.buf, res->upstream, NULL))
			goto cleanup;
		if (st && !other && abort_op(&st, r, "merge", err))
			goto cleanup;
	}
	if (st) {
		dc_buf_addch(&out, '\n');	/* git() took the last one */
		dc_buf_addbuf(&out, &errout);
		git_says(&says, &out);
		dc_err_set(err, DC_ERR_REFUSED, "cannot %s '%s' of '%s' (%s): %s",
			   !strcmp(res->mode, "merge") ? "merge" : !strcmp(res->mode, "rebase") ?
			   "rebase onto" : "fast-forward to", res->branch, res->remote,
			   st < 0 ? "nothing was changed" : "stopped", says.buf);
		if (st > 0)
			dc_err_hint(err, "finish it (resolve, then commit) or abort it"
				    " ('git %s --abort')", res->mode);
		else if (!strcmp(res->mode, "rebase"))
			dc_err_hint(err, "'git dc sync --merge' merges instead");
		goto cleanup;
	}
	if (head_tree(&new_tree, res->now, r, err) ||
	    describe(res, r, old_tree, new_tree, err))
		goto cleanup;
	ret = 0;
cleanup:
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	dc_rules_release(&rules);
	dc_buf_release(&list);
	dc_buf_release(&out);
	dc_buf_release(&errout);
	dc_buf_release(&msg);
	dc_buf_release(&says);
	return ret;
}

void dc_sync_result_release(struct dc_sync_result *res)
{
	size_t i;

	for (i = 0; i < res->ndeltas; i++)
		free(res->deltas[i]);
	free(res->deltas);
	free(res->refname);
	free(res->remote);
	free(res->branch);
	memset(res, 0, sizeof(*res));
}
