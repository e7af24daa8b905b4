#include "primary.h"
#include "delta.h"
#include "run.h"
#include "trace.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bsd/stdlib.h>

void dc_primary_result_release(struct dc_primary_result *res)
{
	dc_merge_result_release(&res->merge);
	memset(res, 0, sizeof(*res));
}

static int git_ok(struct dc_repo *r, const char *const *argv, struct dc_buf *errout,
		  struct dc_err *err)
{
	int status;

	if (dc_run_git(&status, NULL, errout, r, argv, err))
		return -1;
	return status;
}

static int fetch(struct dc_repo *r, const char *remote, const char *branch, struct dc_err *err)
{
	struct dc_buf spec_s = DC_BUF_INIT, spec_b = DC_BUF_INIT, errout = DC_BUF_INIT;
	const char *argv[8];
	int st, ret = -1;

	dc_buf_addf(&spec_s, "+refs/heads/dc/streams/*:refs/remotes/%s/dc/streams/*", remote);
	dc_buf_addf(&spec_b, "+refs/heads/%s:refs/remotes/%s/%s", branch, remote, branch);
	argv[0] = "fetch";
	argv[1] = "--quiet";
	argv[2] = "--no-write-fetch-head";
	argv[3] = remote;
	argv[4] = spec_s.buf;
	argv[5] = spec_b.buf;
	argv[6] = NULL;
	st = git_ok(r, argv, &errout, err);
	if (st > 0) {
		dc_err_set(err, DC_ERR_FATAL, "cannot fetch from '%s': %s", remote,
			   errout.len ? errout.buf : "git fetch failed");
		dc_err_hint(err, "check that '%s' answers: 'git ls-remote %s'", remote, remote);
		goto cleanup;
	}
	ret = st;
cleanup:
	dc_buf_release(&spec_s);
	dc_buf_release(&spec_b);
	dc_buf_release(&errout);
	return ret;
}

/* Are all commits in <upstream>..<local> merge commits git dc made? */
static int only_dc_merges(struct dc_repo *r, const git_oid *local, const git_oid *upstream)
{
	git_revwalk *w = NULL;
	git_oid id;
	int ok = 1;

	if (git_revwalk_new(&w, r->git) || git_revwalk_push(w, local) ||
	    git_revwalk_hide(w, upstream))
		ok = 0;
	while (ok && !git_revwalk_next(&id, w)) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, r->git, &id) ||
		    strncmp(git_commit_message(c), "dc: merge frame ", 16))
			ok = 0;
		git_commit_free(c);
	}
	git_revwalk_free(w);
	return ok;
}

/* Bring the local branch to the remote's when it is behind, or when this
 * primary lost a race (its own unpushed dc merges are dropped). */
static int follow_upstream(struct dc_repo *r, const char *refname, const char *branch,
			   const git_oid *upstream, struct dc_err *err)
{
	struct dc_buf errout = DC_BUF_INIT, target = DC_BUF_INIT;
	git_oid local;
	int behind, ahead, st, ret = -1;

	if (git_reference_name_to_id(&local, r->git, refname)) {
		/* no local branch yet: start it at the remote's */
		return dc_repo_cas_ref(r, refname, NULL, upstream, "dc merge: start", err);
	}
	if (git_oid_equal(&local, upstream))
		return 0;
	ahead = git_graph_descendant_of(r->git, &local, upstream) == 1;
	if (ahead)
		return 0;	/* unpushed merges of ours on top: push them */
	behind = git_graph_descendant_of(r->git, upstream, &local) == 1;
	if (!behind && !only_dc_merges(r, &local, upstream)) {
		dc_err_set(err, DC_ERR_REFUSED, "'%s' has commits the remote's '%s' lacks that are"
			   " not dc merges; nothing was changed", refname, branch);
		dc_err_hint(err, "push or move them away first; the primary's branch should hold"
			    " only what git dc merge writes");
		goto cleanup;
	}
	if (r->bare) {
		ret = dc_repo_cas_ref(r, refname, &local, upstream, "dc merge: follow the remote",
				      err);
		goto cleanup;
	} else {
		const char *argv[] = { "reset", "--quiet", "--keep", NULL, NULL };
		dc_buf_adds(&target, git_oid_tostr_s(upstream));
		argv[3] = target.buf;
		st = git_ok(r, argv, &errout, err);
		if (st < 0)
			goto cleanup;
		if (st) {
			dc_err_set(err, DC_ERR_REFUSED, "cannot bring '%s' to the remote's: %s",
				   refname, errout.buf);
			dc_err_hint(err, "commit or remove the local changes git names, then run"
				    " 'git dc merge --fetch' again");
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	dc_buf_release(&errout);
	dc_buf_release(&target);
	return ret;
}

struct src_list {
	struct dc_merge_source *s;
	char **names;
	size_t n, alloc;
};

static void src_release(struct src_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->s);
	memset(l, 0, sizeof(*l));
}

static int cmp_src(const void *a, const void *b)
{
	return strcmp(((const struct dc_merge_source *)a)->name,
		      ((const struct dc_merge_source *)b)->name);
}

static int list_sources(struct src_list *l, struct dc_repo *r, const char *prefix,
			struct dc_err *err)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	struct dc_buf glob = DC_BUF_INIT;
	size_t alloc_n = 0;
	int ret = -1;

	dc_buf_addf(&glob, "%s*", prefix);
	if (git_reference_iterator_glob_new(&it, r->git, glob.buf)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot list '%s'", glob.buf);
		goto cleanup;
	}
	while (!git_reference_next(&ref, it)) {
		const char *name = git_reference_name(ref), *id = name + strlen(prefix);
		git_reference *res = NULL;
		if (dc_stream_id_valid(id, strlen(id)) &&
		    !git_reference_resolve(&res, ref) && git_reference_target(res)) {
			DC_ALLOC_GROW(l->s, l->n + 1, l->alloc);
			DC_ALLOC_GROW(l->names, l->n + 1, alloc_n);
			l->names[l->n] = dc_xstrdup(name);
			l->s[l->n].name = l->names[l->n];
			git_oid_cpy(&l->s[l->n].oid, git_reference_target(res));
			l->n++;
		}
		git_reference_free(res);
		git_reference_free(ref);
	}
	if (l->n > 1)
		qsort(l->s, l->n, sizeof(*l->s), cmp_src);
	ret = 0;
cleanup:
	git_reference_iterator_free(it);
	dc_buf_release(&glob);
	return ret;
}

/* Push the branch if it is ahead of `expected` (the remote's value the
 * merge started from): 0 pushed or nothing to push, 1 lost the race. */
static int push(struct dc_primary_result *res, struct dc_repo *r, const char *remote,
		const char *refname, const git_oid *expected, int has_expected,
		struct dc_err *err)
{
	struct dc_buf lease = DC_BUF_INIT, spec = DC_BUF_INIT, errout = DC_BUF_INIT,
		out = DC_BUF_INIT;
	git_oid local;
	int st, ret = -1;

	if (git_reference_name_to_id(&local, r->git, refname))
		return dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", refname);
	if (has_expected && git_oid_equal(&local, expected)) {
		git_oid_tostr(res->remote_tip, sizeof(res->remote_tip), &local);
		return 0;
	}
	dc_buf_addf(&lease, "--force-with-lease=%s:%s", refname,
		    has_expected ? git_oid_tostr_s(expected) : "");
	dc_buf_addf(&spec, "%s:%s", refname, refname);
	{
		const char *argv[] = { "push", "--porcelain", lease.buf, remote, spec.buf, NULL };
		if (dc_run_git(&st, &out, &errout, r, argv, err))
			goto cleanup;
	}
	if (st) {
		/* --porcelain: a rejected ref is a line "!<TAB><src>:<dst><TAB>..."; a
		 * rejection (stale lease, lock lost to another push) is a lost race */
		const char *p;
		for (p = out.buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			if (p[0] == '!' && p[1] == '\t') {
				ret = 1;
				goto cleanup;
			}
		}
		dc_err_set(err, DC_ERR_FATAL, "cannot push '%s' to '%s': %s", refname, remote,
			   errout.len ? errout.buf : "git push failed");
		dc_err_hint(err, "check that '%s' answers and takes pushes; the merge commit is"
			    " kept here: run 'git dc merge --fetch --push' again", remote);
		goto cleanup;
	}
	res->pushed = 1;
	git_oid_tostr(res->remote_tip, sizeof(res->remote_tip), &local);
	ret = 0;
cleanup:
	dc_buf_release(&lease);
	dc_buf_release(&spec);
	dc_buf_release(&errout);
	dc_buf_release(&out);
	return ret;
}

int dc_primary_merge(struct dc_repo *r, const struct dc_primary_opts *o,
		     struct dc_primary_result *res, struct dc_err *err)
{
	struct src_list srcs = { NULL, NULL, 0, 0 };
	struct dc_buf prefix = DC_BUF_INIT, upref = DC_BUF_INIT;
	struct dc_merge_opts mo = o->merge;
	git_commit *head = NULL;
	char *refname = NULL;
	const char *branch;
	unsigned max = o->attempts ? o->attempts : 5;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (dc_repo_head(&refname, &head, r, err))
		goto cleanup;
	if (strncmp(refname, "refs/heads/", 11)) {
		dc_err_set(err, DC_ERR_REFUSED, "HEAD points at '%s', not a branch", refname);
		dc_err_hint(err, "check out the branch the primary merges into first");
		goto cleanup;
	}
	branch = refname + 11;
	if (o->remote)
		dc_buf_addf(&prefix, "refs/remotes/%s/dc/streams/", o->remote);
	else
		dc_buf_adds(&prefix, "refs/heads/dc/streams/");
	dc_buf_addf(&upref, "refs/remotes/%s/%s", o->remote ? o->remote : "", branch);

	for (res->attempts = 1;; res->attempts++) {
		git_oid upstream;
		int has_upstream = 0, lost;

		if (o->remote) {
			if (fetch(r, o->remote, branch, err))
				goto cleanup;
			dc_crash_point("fetched");
			has_upstream = !git_reference_name_to_id(&upstream, r->git, upref.buf);
			if (has_upstream && follow_upstream(r, refname, branch, &upstream, err))
				goto cleanup;
		}
		src_release(&srcs);
		if (list_sources(&srcs, r, prefix.buf, err))
			goto cleanup;
		mo.sources = srcs.s;
		mo.nsources = srcs.n;
		dc_merge_result_release(&res->merge);
		if (dc_merge(r, &mo, &res->merge, err))
			goto cleanup;
		if (!o->remote || !o->push || mo.dry_run)
			break;
		dc_crash_point("merged");
		lost = push(res, r, o->remote, refname, &upstream, has_upstream, err);
		if (lost < 0)
			goto cleanup;
		if (res->pushed)
			dc_crash_point("pushed");
		if (!lost)
			break;
		res->lost_races++;
		if (res->attempts >= max) {
			dc_err_set(err, DC_ERR_REFUSED, "the remote's '%s' kept moving: %u pushes lost"
				   " the race; the merge is committed locally only", branch,
				   res->lost_races);
			dc_err_hint(err, "run the command again: it folds on top of the remote's"
				    " branch");
			goto cleanup;
		}
		{
			/* jittered backoff before folding again on the winner's commit */
			struct timespec ts = { 0, (long)(20 + arc4random_uniform(80)) *
					       (long)res->attempts * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	ret = 0;
cleanup:
	src_release(&srcs);
	dc_buf_release(&prefix);
	dc_buf_release(&upref);
	git_commit_free(head);
	free(refname);
	return ret;
}
