#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "merge.h"
#include "progress.h"

static const char *const check_usage[] = {
	"git dc check [-q | --quiet] [--json] [--index | <commit>... | <old>..<new>]",
	NULL,
};

struct checked {
	char name[41];		/* commit id, or "index" */
	struct dc_check_result res;
};

static int check_commit(struct checked *out, struct dc_repo *r, const git_oid *id,
			struct dc_err *err)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_oid *parents = NULL;
	unsigned int i, n;
	int ret = -1;

	if (git_commit_lookup(&c, r->git, id) || git_commit_tree(&t, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(id));
		goto cleanup;
	}
	n = git_commit_parentcount(c);
	parents = dc_xcalloc(n + 1, sizeof(*parents));
	for (i = 0; i < n; i++)
		git_oid_cpy(&parents[i], git_commit_parent_id(c, i));
	git_oid_tostr(out->name, sizeof(out->name), id);
	ret = dc_check_tree(&out->res, r, t, parents, n, err);
cleanup:
	free(parents);
	git_tree_free(t);
	git_commit_free(c);
	return ret;
}

/* The tree `git commit` would record now, checked against HEAD. */
static int check_index(struct checked *out, struct dc_repo *r, struct dc_err *err)
{
	git_index *idx = NULL;
	git_tree *t = NULL;
	git_oid tree_oid, head;
	int has_head, ret = -1;

	/*
	 * The index as a tree. libgit2 would first read the header of every
	 * entry's object to check its type: 10,000 loose deltas, 10,000 files
	 * opened and inflated at each commit. The blobs the check looks at
	 * (what differs from HEAD) it reads anyway, and a missing one fails
	 * there.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	if (git_repository_index(&idx, r->git) || git_index_write_tree(&tree_oid, idx) ||
	    git_tree_lookup(&t, r->git, &tree_oid)) {
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
		dc_git_err(err, DC_ERR_FATAL, "cannot read the index");
		goto cleanup;
	}
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	has_head = !git_reference_name_to_id(&head, r->git, "HEAD");
	strcpy(out->name, "index");
	ret = dc_check_tree(&out->res, r, t, has_head ? &head : NULL, has_head ? 1 : 0, err);
cleanup:
	git_tree_free(t);
	git_index_free(idx);
	return ret;
}

static int add_range(git_oid **ids, size_t *n, size_t *alloc, struct dc_repo *r,
		     const char *spec, struct dc_err *err)
{
	git_revwalk *w = NULL;
	git_object *obj = NULL, *commit = NULL;
	git_oid id;
	int ret = -1;

	if (!strstr(spec, "..")) {
		if (git_revparse_single(&obj, r->git, spec)) {
			dc_err_set(err, DC_ERR_USAGE, "unknown revision '%s'", spec);
			dc_err_hint(err, "give commits, <old>..<new>, or --index ('git log"
				    " --oneline' lists the commits)");
			return -1;
		}
		if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) {
			git_object_free(obj);
			dc_err_set(err, DC_ERR_USAGE, "'%s' is not a commit", spec);
			dc_err_hint(err, "give a branch, a tag or a commit id");
			return -1;
		}
		git_object_free(obj);
		DC_ALLOC_GROW(*ids, *n + 1, *alloc);
		git_oid_cpy(&(*ids)[(*n)++], git_object_id(commit));
		git_object_free(commit);
		return 0;
	}
	/* <old>..<new>: what a push of <new> over <old> brings, oldest first;
	 * an all-zero <old> (a new branch) brings what no other ref has */
	if (git_revwalk_new(&w, r->git) ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot walk the history");
		goto cleanup;
	}
	if (!strncmp(spec, "0000000000000000000000000000000000000000..", 42)) {
		if (git_oid_fromstr(&id, spec + 42) || git_revwalk_push(w, &id)) {
			dc_err_set(err, DC_ERR_USAGE, "unknown revision '%s'", spec + 42);
			dc_err_hint(err, "after an all-zero <old>, give the new commit's full id");
			goto cleanup;
		}
		git_revwalk_hide_glob(w, "refs/*");
	} else if (git_revwalk_push_range(w, spec)) {
		dc_err_set(err, DC_ERR_USAGE, "unknown revision range '%s'", spec);
		dc_err_hint(err, "give <old>..<new> with two commits this repository has");
		goto cleanup;
	}
	while (!git_revwalk_next(&id, w)) {
		DC_ALLOC_GROW(*ids, *n + 1, *alloc);
		git_oid_cpy(&(*ids)[(*n)++], &id);
	}
	ret = 0;
cleanup:
	git_revwalk_free(w);
	return ret;
}

static void problems_json(struct json_object *arr, const struct dc_check_problem *v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		struct json_object *po = json_object_new_object();
		json_object_object_add(po, "path", json_object_new_string(v[k].path));
		json_object_object_add(po, "rule", json_object_new_string(v[k].rule));
		json_object_object_add(po, "message", json_object_new_string(v[k].message));
		json_object_object_add(po, "hint", dc_json_str(v[k].hint));
		json_object_array_add(arr, po);
	}
}

static void problems_print(const char *level, const char *name, const struct dc_check_problem *v,
			   size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (strcmp(name, "index"))
			fprintf(stderr, "%s: commit %.12s: %s\n", level, name, v[k].message);
		else
			fprintf(stderr, "%s: %s\n", level, v[k].message);
		if (v[k].hint)
			fprintf(stderr, "hint: %s\n", v[k].hint);
	}
}

int cmd_check(int argc, const char **argv)
{
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct checked *c = NULL;
	git_oid *ids = NULL;
	size_t nids = 0, alloc = 0, nc = 0, i, bad = 0;
	struct dc_progress progress;
	int json = 0, index = 0, quiet = 0, code = 0;
	struct dc_option opts[] = {
		OPT_BOOL(0, "index", &index, "check what 'git commit' would record, against HEAD"),
		OPT_BOOL('q', "quiet", &quiet, "no progress"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, check_usage);
	if (index && argc) {
		fprintf(stderr, "error: --index takes no commits\n");
		dc_usage_with_options(check_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "check")))
		return code;
	if (index) {
		c = dc_xcalloc(1, sizeof(*c));
		if (check_index(&c[0], &r, &err))
			goto fail;
		nc = 1;
	} else {
		for (i = 0; i < (size_t)argc; i++)
			if (add_range(&ids, &nids, &alloc, &r, argv[i + 1], &err))
				goto fail;
		if (!argc && add_range(&ids, &nids, &alloc, &r, "HEAD", &err))
			goto fail;
		c = dc_xcalloc(nids + 1, sizeof(*c));
		dc_progress_init(&progress, quiet);
		for (i = 0; i < nids; i++, nc++) {
			dc_progress_update(&progress, "Checking commits", i + 1, nids);
			if (check_commit(&c[i], &r, &ids[i], &err)) {
				dc_progress_done(&progress);
				goto fail;
			}
		}
		dc_progress_done(&progress);
	}
	for (i = 0; i < nc; i++)
		bad += c[i].res.n;
	if (json) {
		struct json_object *doc = dc_json_doc(), *arr = json_object_new_array();
		json_object_object_add(doc, "command", json_object_new_string("check"));
		json_object_object_add(doc, "ok", json_object_new_boolean(!bad));
		for (i = 0; i < nc; i++) {
			struct json_object *o = json_object_new_object(), *pa = json_object_new_array();
			json_object_object_add(o, "commit", json_object_new_string(c[i].name));
			json_object_object_add(o, "dc", json_object_new_boolean(c[i].res.dc));
			json_object_object_add(o, "projected",
					       json_object_new_boolean(c[i].res.projected));
			problems_json(pa, c[i].res.problems, c[i].res.n);
			json_object_object_add(o, "problems", pa);
			pa = json_object_new_array();
			problems_json(pa, c[i].res.warnings, c[i].res.nwarnings);
			json_object_object_add(o, "warnings", pa);
			json_object_array_add(arr, o);
		}
		json_object_object_add(doc, "commits", arr);
		dc_print_json(doc);
	}
	for (i = 0; i < nc; i++) {
		problems_print("warning", c[i].name, c[i].res.warnings, c[i].res.nwarnings);
		problems_print("error", c[i].name, c[i].res.problems, c[i].res.n);
	}
	code = bad ? 1 : 0;
	goto cleanup;
fail:
	code = dc_report_error(&err, json, "check");
cleanup:
	for (i = 0; i < nc; i++)
		dc_check_result_release(&c[i].res);
	free(c);
	free(ids);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
