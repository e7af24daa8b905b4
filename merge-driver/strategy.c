/*
 * git-merge-dc: the merge strategy git runs for `git merge -s dc`,
 * `git pull -s dc` and `pull.twohead = dc` (and `--strategy=dc` of
 * rebase and cherry-pick). Git 2.39 calls it as
 *
 *	git-merge-dc [--<xopt>...] <base>... -- <head> <remote>...
 *
 * with every merge base (none for unrelated histories), HEAD (or, from a
 * rebase or a cherry-pick, a commit id) and one or more remotes (an
 * octopus). The exit code tells git what happened:
 *
 *	0  merged: the index and the work tree hold the result, and git
 *	   commits the index as it is;
 *	1  conflicts are left in the index (and markers in ordinary files
 *	   only) for the user to resolve;
 *	2  not handled: nothing was changed; git says so (and tries the next
 *	   strategy, if any).
 *
 * The result: ordinary content merged as git would (libgit2's three-way
 * merge, with -X ours/theirs/union and the whitespace options); the union
 * of every side's deltas, a delta the merge base holds and HEAD lacks not
 * brought back (a cherry-pick takes the commit's change, not its history),
 * the same path with other bytes on two sides being a conflict; and the
 * canonical files and .dc/head.json recomputed as the projection of that
 * union onto HEAD's state, up to the newest frame either side had merged.
 * That is the commit `git dc check` accepts for the merge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <git2.h>
#include "merge.h"
#include "jmerge.h"
#include "repo.h"
#include "rules.h"
#include "report.h"

static const char usage_text[] =
	"usage: git-merge-dc [--<option>...] <base>... -- <head> <remote>...\n"
	"\n"
	"The merge strategy of git-dc, run by git: git merge -s dc <branch>...\n"
	"Options (git merge -X <option>): ours, theirs, union, ignore-space-change,\n"
	"ignore-all-space, ignore-space-at-eol, patience, diff-algorithm=<name>,\n"
	"no-renames, find-renames[=<n>]\n";

/* Exit codes of a merge strategy. */
enum { MERGED = 0, CONFLICTS = 1, NOT_HANDLED = 2 };

struct side {
	const char *arg;	/* as git named it */
	git_commit *commit;
	git_tree *tree;
};

/* One conflict left in the index. */
struct conflict {
	char *path;
	int has[3];		/* ancestor, ours, theirs */
	git_index_entry e[3];	/* paths point at `path` */
	int delta;		/* a delta path with different bytes */
};

struct strategy {
	struct dc_repo r;
	git_merge_options mopts;
	git_merge_file_options fopts;
	struct side head;
	struct side *bases, *remotes;
	size_t nbases, nremotes;
	struct dc_rules rules;
	git_index *merged;	/* the ordinary merge, then the result */
	struct conflict *conflicts;
	size_t nconflicts, alloc_conflicts;
	char *their_label;
};

static int parse_xopt(struct strategy *s, const char *opt, struct dc_err *err)
{
	const char *v;
	size_t n;

	if (!strcmp(opt, "ours"))
		s->mopts.file_favor = s->fopts.favor = GIT_MERGE_FILE_FAVOR_OURS;
	else if (!strcmp(opt, "theirs"))
		s->mopts.file_favor = s->fopts.favor = GIT_MERGE_FILE_FAVOR_THEIRS;
	else if (!strcmp(opt, "union"))
		s->mopts.file_favor = s->fopts.favor = GIT_MERGE_FILE_FAVOR_UNION;
	else if (!strcmp(opt, "ignore-space-change"))
		s->mopts.file_flags |= GIT_MERGE_FILE_IGNORE_WHITESPACE_CHANGE;
	else if (!strcmp(opt, "ignore-all-space"))
		s->mopts.file_flags |= GIT_MERGE_FILE_IGNORE_WHITESPACE;
	else if (!strcmp(opt, "ignore-space-at-eol"))
		s->mopts.file_flags |= GIT_MERGE_FILE_IGNORE_WHITESPACE_EOL;
	else if (!strcmp(opt, "patience") || !strcmp(opt, "diff-algorithm=patience"))
		s->mopts.file_flags |= GIT_MERGE_FILE_DIFF_PATIENCE;
	else if (!strcmp(opt, "diff-algorithm=minimal"))
		s->mopts.file_flags |= GIT_MERGE_FILE_DIFF_MINIMAL;
	else if (!strcmp(opt, "diff-algorithm=myers") || !strcmp(opt, "diff-algorithm=default"))
		;
	else if (!strcmp(opt, "no-renames"))
		s->mopts.flags &= ~(uint32_t)GIT_MERGE_FIND_RENAMES;
	else if (!strcmp(opt, "find-renames"))
		s->mopts.flags |= GIT_MERGE_FIND_RENAMES;
	else if (!strncmp(opt, "find-renames=", 13) && (v = opt + 13) &&
		 (n = strspn(v, "0123456789")) && n <= 3 && (!v[n] || !strcmp(v + n, "%")) &&
		 atoi(v) <= 100) {
		s->mopts.flags |= GIT_MERGE_FIND_RENAMES;
		s->mopts.rename_threshold = (unsigned)atoi(v);
	} else {
		dc_err_set(err, DC_ERR_NOT_MINE, "strategy option '%s' is not supported by the dc"
			   " strategy", opt);
		return -1;
	}
	s->fopts.flags = s->mopts.file_flags;
	return 0;
}

static int lookup_side(struct side *x, struct dc_repo *r, const char *arg, struct dc_err *err)
{
	git_object *o = NULL;
	int ret = -1;

	x->arg = arg;
	if (git_revparse_single(&o, r->git, arg) ||
	    git_object_peel((git_object **)&x->commit, o, GIT_OBJECT_COMMIT) ||
	    git_commit_tree(&x->tree, x->commit)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read commit '%s'", arg);
		goto cleanup;
	}
	ret = 0;
cleanup:
	git_object_free(o);
	return ret;
}

static void side_release(struct side *x)
{
	git_tree_free(x->tree);
	git_commit_free(x->commit);
}

/* The index must hold HEAD exactly: git leaves that check to strategies. */
static int check_index(struct strategy *s, struct dc_err *err)
{
	git_index *idx = NULL;
	git_diff *diff = NULL;
	int ret = -1;

	if (git_repository_index(&idx, s->r.git) || git_index_read(idx, 1)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the index");
		goto cleanup;
	}
	if (git_index_has_conflicts(idx)) {
		dc_err_set(err, DC_ERR_NOT_MINE, "the index holds unresolved conflicts");
		dc_err_hint(err, "resolve them and commit (or 'git merge --abort') first");
		goto cleanup;
	}
	if (git_diff_tree_to_index(&diff, s->r.git, s->head.tree, idx, NULL)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot compare the index with HEAD");
		goto cleanup;
	}
	if (git_diff_num_deltas(diff)) {
		const git_diff_delta *d = git_diff_get_delta(diff, 0);
		dc_err_set(err, DC_ERR_NOT_MINE, "your index does not match HEAD ('%s' is staged)",
			   d->new_file.path ? d->new_file.path : d->old_file.path);
		dc_err_hint(err, "commit the staged changes first; git-dc never stashes them for you");
		goto cleanup;
	}
	ret = 0;
cleanup:
	git_diff_free(diff);
	git_index_free(idx);
	return ret;
}

/* ---- the ordinary merge ----------------------------------------------- */

/*
 * After each step of an octopus: conflicts at dc paths (whose content the
 * end recomputes anyway) take ours; a conflict in an ordinary file stops
 * the merge, as git's own octopus strategy does.
 */
static int dc_conflicts_as_ours(struct strategy *s, const char *which, struct dc_err *err)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *a, *o, *t;
	git_index_entry *keep = NULL;
	char **paths = NULL;
	size_t n = 0, alloc = 0, alloc_keep = 0, i;
	int ret = -1;

	if (git_index_conflict_iterator_new(&it, s->merged))
		return dc_git_err(err, DC_ERR_FATAL, "cannot read the merge");
	while (!git_index_conflict_next(&a, &o, &t, it)) {
		const char *p = a ? a->path : o ? o->path : t->path;

		if (dc_jmerge_path_kind(&s->rules, p) == DC_PATH_OTHER) {
			dc_err_set(err, DC_ERR_NOT_MINE, "an octopus merge needs every step clean,"
				   " and '%s' conflicts when '%s' is merged", p, which);
			dc_err_hint(err, "merge the branches one at a time");
			goto cleanup;
		}
		DC_ALLOC_GROW(paths, n + 1, alloc);
		DC_ALLOC_GROW(keep, n + 1, alloc_keep);
		paths[n] = dc_xstrdup(p);
		memset(&keep[n], 0, sizeof(keep[n]));
		if (o) {
			keep[n] = *o;
			keep[n].flags &= ~(uint16_t)GIT_INDEX_ENTRY_STAGEMASK;
		}
		keep[n].path = o ? paths[n] : NULL;
		n++;
	}
	for (i = 0; i < n; i++) {
		if (git_index_conflict_remove(s->merged, paths[i]) ||
		    (keep[i].path && git_index_add(s->merged, &keep[i]))) {
			dc_git_err(err, DC_ERR_FATAL, "cannot update the merge at '%s'", paths[i]);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(keep);
	git_index_conflict_iterator_free(it);
	return ret;
}

static int merge_ordinary(struct strategy *s, struct dc_err *err)
{
	git_tree *ours = NULL, *base = NULL;
	git_commit *base_commit = NULL;
	size_t i;
	int ret = -1;

	if (s->nremotes == 1 && s->nbases > 1) {
		/* criss-cross: libgit2 builds the virtual base from HEAD and the remote */
		if (git_merge_commits(&s->merged, s->r.git, s->head.commit, s->remotes[0].commit,
				      &s->mopts)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot merge '%s'", s->remotes[0].arg);
			goto cleanup;
		}
		ret = 0;
		goto cleanup;
	}
	if (s->nremotes == 1) {
		if (git_merge_trees(&s->merged, s->r.git, s->nbases ? s->bases[0].tree : NULL,
				    s->head.tree, s->remotes[0].tree, &s->mopts)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot merge '%s'", s->remotes[0].arg);
			goto cleanup;
		}
		ret = 0;
		goto cleanup;
	}
	/* an octopus: each remote in turn, with its merge base with HEAD, onto
	 * what the previous ones made */
	git_tree_dup(&ours, s->head.tree);
	for (i = 0; i < s->nremotes; i++) {
		git_oid b, t;
		int e = git_merge_base(&b, s->r.git, git_commit_id(s->head.commit),
				       git_commit_id(s->remotes[i].commit));

		if (e && e != GIT_ENOTFOUND) {
			dc_git_err(err, DC_ERR_FATAL, "cannot find the merge base of '%s'",
				   s->remotes[i].arg);
			goto cleanup;
		}
		if (!e && (git_commit_lookup(&base_commit, s->r.git, &b) ||
			   git_commit_tree(&base, base_commit))) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read the merge base of '%s'",
				   s->remotes[i].arg);
			goto cleanup;
		}
		git_index_free(s->merged);
		s->merged = NULL;
		if (git_merge_trees(&s->merged, s->r.git, base, ours, s->remotes[i].tree,
				    &s->mopts)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot merge '%s'", s->remotes[i].arg);
			goto cleanup;
		}
		git_tree_free(base);
		git_commit_free(base_commit);
		base = NULL;
		base_commit = NULL;
		if (git_index_has_conflicts(s->merged) &&
		    dc_conflicts_as_ours(s, s->remotes[i].arg, err))
			goto cleanup;
		if (i + 1 == s->nremotes)
			break;
		if (git_index_write_tree_to(&t, s->merged, s->r.git)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot write the merge of '%s'",
				   s->remotes[i].arg);
			goto cleanup;
		}
		git_tree_free(ours);
		ours = NULL;
		if (git_tree_lookup(&ours, s->r.git, &t)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read the merge of '%s'",
				   s->remotes[i].arg);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	git_tree_free(ours);
	git_tree_free(base);
	git_commit_free(base_commit);
	return ret;
}

/* ---- the dc paths ----------------------------------------------------- */

static int read_rules(struct dc_rules *rules, struct strategy *s, const git_oid *blob_id,
		      const char *where, struct dc_err *err)
{
	git_blob *blob = NULL;
	int ret = -1;

	if (git_blob_lookup(&blob, s->r.git, blob_id)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read '%s' of %s", DC_RULES_PATH, where);
		goto cleanup;
	}
	dc_rules_release(rules);
	if (dc_rules_parse(rules, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), err)) {
		dc_err_prefix(err, "'%s' of %s", DC_RULES_PATH, where);
		err->code = DC_ERR_NOT_MINE;
		goto cleanup;
	}
	ret = 0;
cleanup:
	git_blob_free(blob);
	return ret;
}

/* The rules the merge result holds: they name its dc paths. */
static int merged_rules(git_oid *id, struct strategy *s, struct dc_err *err)
{
	const git_index_entry *e = git_index_get_bypath(s->merged, DC_RULES_PATH, 0);
	const git_index_entry *a, *o, *t;

	if (e) {
		git_oid_cpy(id, &e->id);
		return read_rules(&s->rules, s, id, "the merge", err);
	}
	if (!git_index_conflict_get(&a, &o, &t, s->merged, DC_RULES_PATH)) {
		dc_err_set(err, DC_ERR_NOT_MINE, "'%s' changed on both sides", DC_RULES_PATH);
		dc_err_hint(err, "make the two sides agree on the rules first: merge the commit that"
			    " changed them on its own, then merge again");
	} else {
		dc_err_set(err, DC_ERR_NOT_MINE, "the merge removes '%s'", DC_RULES_PATH);
		dc_err_hint(err, "a dc repository keeps its rules; restore them on the side that"
			    " removed them");
	}
	return -1;
}

/* An index entry for `path` as `tree` holds it; 0 if it holds none. */
static int tree_index_entry(git_index_entry *out, const git_tree *tree, const char *path)
{
	git_tree_entry *te = NULL;

	memset(out, 0, sizeof(*out));
	if (!tree || git_tree_entry_bypath(&te, tree, path))
		return 0;
	out->mode = git_tree_entry_filemode(te);
	git_oid_cpy(&out->id, git_tree_entry_id(te));
	out->path = path;
	git_tree_entry_free(te);
	return 1;
}

static struct conflict *add_conflict(struct strategy *s, const char *path)
{
	struct conflict *c;

	DC_ALLOC_GROW(s->conflicts, s->nconflicts + 1, s->alloc_conflicts);
	c = &s->conflicts[s->nconflicts++];
	memset(c, 0, sizeof(*c));
	c->path = dc_xstrdup(path);
	return c;
}

/* A delta path whose bytes differ between HEAD and a remote (or between
 * two remotes): ours is HEAD's, theirs the first remote's that differs. */
static void add_delta_conflict(struct strategy *s, const char *path)
{
	struct conflict *c = add_conflict(s, path);
	size_t i;

	c->delta = 1;
	c->has[0] = s->nbases && tree_index_entry(&c->e[0], s->bases[0].tree, c->path);
	c->has[1] = tree_index_entry(&c->e[1], s->head.tree, c->path);
	for (i = 0; i < s->nremotes; i++) {
		git_index_entry e;
		if (tree_index_entry(&e, s->remotes[i].tree, c->path) &&
		    (!c->has[1] || !git_oid_equal(&e.id, &c->e[1].id))) {
			c->e[2] = e;
			c->has[2] = 1;
			break;
		}
	}
}

/*
 * From the union, drop the deltas HEAD lacks that every merge base holds
 * with the same bytes: they are not the remote's change but its history
 * (a cherry-pick's base is the picked commit's parent). For a merge, the
 * bases' deltas are all in HEAD already, and nothing is dropped. *nnew
 * receives the number of deltas the result holds and HEAD does not.
 */
static int drop_base_deltas(git_oid *out, size_t *nnew, struct strategy *s, const git_tree *u,
			    struct dc_err *err)
{
	struct dc_tree_entry *ue = NULL, *he = NULL, **be;
	size_t nue = 0, nhe = 0, *nbe, i, k, nch = 0;
	struct dc_tree_change *ch = NULL;
	char **paths = NULL;
	git_oid ignored;
	int ret = -1;

	*nnew = 0;
	be = dc_xcalloc(s->nbases + 1, sizeof(*be));
	nbe = dc_xcalloc(s->nbases + 1, sizeof(*nbe));
	if (dc_repo_list_dir(&ue, &nue, &ignored, &s->r, u, s->rules.deltas, err) ||
	    dc_repo_list_dir(&he, &nhe, &ignored, &s->r, s->head.tree, s->rules.deltas, err))
		goto cleanup;
	for (i = 0; i < s->nbases; i++)
		if (dc_repo_list_dir(&be[i], &nbe[i], &ignored, &s->r, s->bases[i].tree,
				     s->rules.deltas, err))
			goto cleanup;
	ch = dc_xcalloc(nue + 1, sizeof(*ch));
	paths = dc_xcalloc(nue + 1, sizeof(*paths));
	for (k = 0; k < nue; k++) {
		int held = s->nbases > 0;

		if (dc_tree_entries_find(he, nhe, ue[k].rel))
			continue;
		for (i = 0; held && i < s->nbases; i++) {
			const struct dc_tree_entry *x = dc_tree_entries_find(be[i], nbe[i], ue[k].rel);
			held = x && git_oid_equal(&x->oid, &ue[k].oid);
		}
		if (!held) {
			(*nnew)++;
			continue;
		}
		paths[nch] = dc_xmalloc(strlen(s->rules.deltas) + strlen(ue[k].rel) + 2);
		sprintf(paths[nch], "%s/%s", s->rules.deltas, ue[k].rel);
		ch[nch].path = paths[nch];
		ch[nch].remove = 1;
		nch++;
	}
	if (!nch)
		git_oid_cpy(out, git_tree_id(u));
	else if (dc_repo_tree_update(out, &s->r, u, ch, nch, err))
		goto cleanup;
	ret = 0;
cleanup:
	for (i = 0; i < nch; i++)
		free(paths[i]);
	free(paths);
	free(ch);
	dc_tree_entries_free(ue, nue);
	dc_tree_entries_free(he, nhe);
	for (i = 0; i < s->nbases; i++)
		dc_tree_entries_free(be[i], nbe[i]);
	free(be);
	free(nbe);
	return ret;
}

/*
 * The dc side of the result: HEAD's tree with the merged rules, plus every
 * remote's deltas, projected onto HEAD's state up to the newest frame any
 * side merged. *out is the tree whose dc paths the result takes.
 */
static int dc_result(git_oid *out, struct dc_merge_result *mres, int *projected, size_t *nnew,
		     struct strategy *s, const git_oid *rules_id, struct dc_err *err)
{
	const git_tree **others = dc_xcalloc(s->nremotes, sizeof(*others));
	git_tree *t0 = NULL, *t1 = NULL, *t2 = NULL;
	git_oid id0, id1, id2, head_rules;
	char **dconf = NULL;
	size_t ndconf = 0, i;
	uint64_t frame = 0;
	int any = 0, ret = -1;

	*projected = 0;
	if (dc_repo_tree_oid(&head_rules, s->head.tree, DC_RULES_PATH) &&
	    git_oid_equal(&head_rules, rules_id)) {
		git_oid_cpy(&id0, git_tree_id(s->head.tree));
	} else {
		struct dc_tree_change ch;
		memset(&ch, 0, sizeof(ch));
		ch.path = DC_RULES_PATH;
		git_oid_cpy(&ch.oid, rules_id);
		if (dc_repo_tree_update(&id0, &s->r, s->head.tree, &ch, 1, err))
			goto cleanup;
	}
	for (i = 0; i < s->nremotes; i++)
		others[i] = s->remotes[i].tree;
	if (git_tree_lookup(&t0, s->r.git, &id0) ||
	    dc_union_deltas(&id1, &dconf, &ndconf, &s->r, t0, others, s->nremotes,
			    s->rules.deltas, err) ||
	    git_tree_lookup(&t1, s->r.git, &id1) ||
	    drop_base_deltas(&id2, nnew, s, t1, err) ||
	    git_tree_lookup(&t2, s->r.git, &id2)) {
		if (!err->code)
			dc_git_err(err, DC_ERR_FATAL, "cannot build the union of the deltas");
		goto cleanup;
	}
	for (i = 0; i < ndconf; i++)
		add_delta_conflict(s, dconf[i]);

	for (i = 0; i <= s->nremotes; i++) {
		uint64_t f;
		int present;
		if (dc_tree_frame(&f, &present, &s->r, i ? s->remotes[i - 1].tree : s->head.tree,
				  err))
			goto cleanup;
		if (present && (!any || f > frame))
			frame = f;
		any |= present;
	}
	if (!any) {
		/* no side merged a frame yet: the canonical files are genesis' */
		git_oid_cpy(out, &id2);
	} else {
		if (dc_project_onto(out, mres, &s->r, s->head.tree, git_commit_id(s->head.commit),
				    t2, 1, frame, 0, err))
			goto cleanup;
		*projected = 1;
	}
	ret = 0;
cleanup:
	if (ret && err->code == DC_ERR_REFUSED)
		err->code = DC_ERR_NOT_MINE;	/* nothing was written yet */
	for (i = 0; i < ndconf; i++)
		free(dconf[i]);
	free(dconf);
	free(others);
	git_tree_free(t0);
	git_tree_free(t1);
	git_tree_free(t2);
	return ret;
}

struct walk_add {
	git_index *idx;
	const char *prefix;
	struct dc_buf path;
	int failed;
};

static int walk_add_cb(const char *root, const git_tree_entry *te, void *data)
{
	struct walk_add *w = data;
	git_index_entry e;

	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		return 0;
	dc_buf_reset(&w->path);
	dc_buf_addf(&w->path, "%s/%s%s", w->prefix, root, git_tree_entry_name(te));
	memset(&e, 0, sizeof(e));
	e.mode = git_tree_entry_filemode(te);
	git_oid_cpy(&e.id, git_tree_entry_id(te));
	e.path = w->path.buf;
	if (git_index_add(w->idx, &e)) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

/* Replace every dc path of the merge (any stage) with the dc result's. */
static int take_dc_paths(struct strategy *s, const git_tree *result, struct dc_err *err)
{
	struct walk_add w = { s->merged, s->rules.deltas, DC_BUF_INIT, 0 };
	const char **files = NULL;
	char **paths = NULL;
	size_t n = 0, alloc = 0, i, nfiles;
	git_tree_entry *te = NULL;
	git_tree *sub = NULL;
	int ret = -1;

	for (i = 0; i < git_index_entrycount(s->merged); i++) {
		const git_index_entry *e = git_index_get_byindex(s->merged, i);
		if (dc_jmerge_path_kind(&s->rules, e->path) == DC_PATH_OTHER ||
		    (n && !strcmp(paths[n - 1], e->path)))
			continue;
		DC_ALLOC_GROW(paths, n + 1, alloc);
		paths[n++] = dc_xstrdup(e->path);
	}
	for (i = 0; i < n; i++) {
		git_index_conflict_remove(s->merged, paths[i]);
		git_index_remove(s->merged, paths[i], 0);
	}
	if (!git_tree_entry_bypath(&te, result, s->rules.deltas) &&
	    git_tree_entry_type(te) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&sub, s->r.git, git_tree_entry_id(te)) ||
		    git_tree_walk(sub, GIT_TREEWALK_PRE, walk_add_cb, &w) || w.failed) {
			dc_git_err(err, DC_ERR_FATAL, "cannot add the deltas to the index");
			goto cleanup;
		}
	}
	nfiles = dc_rules_files(&s->rules, &files);
	for (i = 0; i <= nfiles; i++) {
		git_index_entry e;
		const char *p = i < nfiles ? files[i] : DC_HEAD_PATH;
		if (tree_index_entry(&e, result, p) && git_index_add(s->merged, &e)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot add '%s' to the index", p);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(files);
	git_tree_entry_free(te);
	git_tree_free(sub);
	dc_buf_release(&w.path);
	return ret;
}

/*
 * The conflicts left in ordinary files, recorded and resolved to ours in
 * the merge index, so that it writes a tree: the work tree gets that tree,
 * then the conflicted files and the index their stages.
 */
static int take_ordinary_conflicts(struct strategy *s, struct dc_err *err)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *e[3];
	size_t first = s->nconflicts, i;
	int ret = -1;

	if (git_index_conflict_iterator_new(&it, s->merged))
		return dc_git_err(err, DC_ERR_FATAL, "cannot read the merge");
	while (!git_index_conflict_next(&e[0], &e[1], &e[2], it)) {
		const char *p = e[0] ? e[0]->path : e[1] ? e[1]->path : e[2]->path;
		struct conflict *c = add_conflict(s, p);
		int k;

		for (k = 0; k < 3; k++) {
			if (!e[k])
				continue;
			c->e[k] = *e[k];
			c->e[k].path = c->path;
			c->has[k] = 1;
		}
	}
	for (i = first; i < s->nconflicts; i++) {
		struct conflict *c = &s->conflicts[i];
		git_index_entry ours = c->e[1];

		ours.flags &= ~(uint16_t)GIT_INDEX_ENTRY_STAGEMASK;
		if (git_index_conflict_remove(s->merged, c->path) ||
		    (c->has[1] && git_index_add(s->merged, &ours))) {
			dc_git_err(err, DC_ERR_FATAL, "cannot update the merge at '%s'", c->path);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	git_index_conflict_iterator_free(it);
	return ret;
}

/* ---- the work tree and the index -------------------------------------- */

static int first_conflict_cb(git_checkout_notify_t why, const char *path,
			     const git_diff_file *baseline, const git_diff_file *target,
			     const git_diff_file *workdir, void *data)
{
	char **first = data;

	if (!*first)
		*first = dc_xstrdup(path);
	return 0;
}

/* The files git will write with markers must hold HEAD's content now. */
static int check_conflict_files(struct strategy *s, struct dc_err *err)
{
	size_t i;

	for (i = 0; i < s->nconflicts; i++) {
		unsigned int st = 0;
		int e;

		if (s->conflicts[i].delta)
			continue;
		e = git_status_file(&st, s->r.git, s->conflicts[i].path);
		if (e == GIT_ENOTFOUND)
			continue;
		if (e)
			return dc_git_err(err, DC_ERR_FATAL, "cannot read the status of '%s'",
					  s->conflicts[i].path);
		if (st & (GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_DELETED | GIT_STATUS_WT_TYPECHANGE |
			  GIT_STATUS_WT_NEW)) {
			dc_err_set(err, DC_ERR_NOT_MINE, "your local changes to '%s' would be"
				   " overwritten by the merge", s->conflicts[i].path);
			dc_err_hint(err, "commit them first; git-dc never stashes them for you");
			return -1;
		}
	}
	return 0;
}

static int write_workfile(struct strategy *s, const char *path, const void *buf, size_t len,
			  unsigned int mode, struct dc_err *err)
{
	struct dc_buf full = DC_BUF_INIT;
	int ret;

	dc_buf_addf(&full, "%s%s", s->r.workdir, path);
	ret = dc_write_file_atomic(full.buf, buf, len, err);
	if (!ret && mode == GIT_FILEMODE_BLOB_EXECUTABLE && chmod(full.buf, 0755))
		ret = dc_err_set(err, DC_ERR_FATAL, "cannot make '%s' executable", full.buf);
	dc_buf_release(&full);
	return ret;
}

/* An ordinary file left in conflict: markers when both sides have it,
 * else the side that has it (git's modify/delete). */
static int write_conflict_file(struct strategy *s, const struct conflict *c, struct dc_err *err)
{
	git_merge_file_result mr;
	git_blob *blob = NULL;
	int ret = -1;

	memset(&mr, 0, sizeof(mr));
	if (c->has[1] && c->has[2]) {
		if (git_merge_file_from_index(&mr, s->r.git, c->has[0] ? &c->e[0] : NULL, &c->e[1],
					      &c->e[2], &s->fopts)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot merge '%s'", c->path);
			goto cleanup;
		}
		ret = write_workfile(s, c->path, mr.ptr, mr.len, c->e[1].mode, err);
		printf("CONFLICT (content): Merge conflict in %s\n", c->path);
	} else if (c->has[2]) {
		if (git_blob_lookup(&blob, s->r.git, &c->e[2].id)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read '%s'", c->path);
			goto cleanup;
		}
		ret = write_workfile(s, c->path, git_blob_rawcontent(blob),
				     (size_t)git_blob_rawsize(blob), c->e[2].mode, err);
		printf("CONFLICT (modify/delete): %s deleted in HEAD and modified in %s. Version"
		       " %s of %s left in tree.\n", c->path, s->their_label, s->their_label,
		       c->path);
	} else {
		printf("CONFLICT (modify/delete): %s deleted in %s and modified in HEAD. Version"
		       " HEAD of %s left in tree.\n", c->path, s->their_label, c->path);
		ret = 0;
	}
cleanup:
	git_merge_file_result_free(&mr);
	git_blob_free(blob);
	return ret;
}

static int write_result(struct strategy *s, const git_tree *result, struct dc_err *err)
{
	git_checkout_options co;
	git_index *idx = NULL;
	char *blocked = NULL;
	size_t i;
	int e, ret = -1;

	if (check_conflict_files(s, err))
		return -1;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_SAFE;
	co.baseline = s->head.tree;
	co.notify_flags = GIT_CHECKOUT_NOTIFY_CONFLICT;
	co.notify_cb = first_conflict_cb;
	co.notify_payload = &blocked;
	e = git_checkout_tree(s->r.git, (const git_object *)result, &co);
	if (e == GIT_ECONFLICT || (e && blocked)) {
		dc_err_set(err, DC_ERR_NOT_MINE, "your local changes to '%s' would be overwritten by"
			   " the merge", blocked ? blocked : "the work tree");
		dc_err_hint(err, "commit them first; git-dc never stashes them for you");
		goto cleanup;
	} else if (e) {
		dc_git_err(err, DC_ERR_FATAL, "cannot update the work tree");
		goto cleanup;
	}
	for (i = 0; i < s->nconflicts; i++)
		if (!s->conflicts[i].delta && write_conflict_file(s, &s->conflicts[i], err))
			goto cleanup;
	if (git_repository_index(&idx, s->r.git) || git_index_read(idx, 1) ||
	    git_index_read_tree(idx, result)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot update the index");
		goto cleanup;
	}
	for (i = 0; i < s->nconflicts; i++) {
		struct conflict *c = &s->conflicts[i];
		if (git_index_conflict_add(idx, c->has[0] ? &c->e[0] : NULL,
					   c->has[1] ? &c->e[1] : NULL, c->has[2] ? &c->e[2] : NULL)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot record the conflict at '%s'", c->path);
			goto cleanup;
		}
	}
	if (git_index_write(idx)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot write the index");
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(blocked);
	git_index_free(idx);
	return ret;
}

/* ---- main ------------------------------------------------------------- */

static int run(struct strategy *s, const char *head, const char **bases, size_t nbases,
	       const char **remotes, size_t nremotes, struct dc_err *err)
{
	struct dc_merge_result mres;
	git_tree *result = NULL;
	git_oid rules_id, dc_id, result_id;
	size_t i, nnew = 0;
	int projected = 0, ret = -1;
	const char *label;
	struct dc_buf env = DC_BUF_INIT;

	memset(&mres, 0, sizeof(mres));
	if (dc_repo_open(&s->r, err))
		goto cleanup;
	if (s->r.bare) {
		dc_err_set(err, DC_ERR_NOT_MINE, "a bare repository has no work tree to merge in");
		dc_err_hint(err, "merge with 'git dc merge' there, or in a clone");
		goto cleanup;
	}
	s->bases = dc_xcalloc(nbases + 1, sizeof(*s->bases));
	s->remotes = dc_xcalloc(nremotes, sizeof(*s->remotes));
	if (lookup_side(&s->head, &s->r, head, err))
		goto cleanup;
	for (i = 0; i < nbases; i++, s->nbases++)
		if (lookup_side(&s->bases[i], &s->r, bases[i], err))
			goto cleanup;
	for (i = 0; i < nremotes; i++, s->nremotes++)
		if (lookup_side(&s->remotes[i], &s->r, remotes[i], err))
			goto cleanup;
	label = remotes[nremotes - 1];
	dc_buf_addf(&env, "GITHEAD_%s", label);
	s->their_label = dc_xstrdup(getenv(env.buf) ? getenv(env.buf) : label);
	s->fopts.our_label = "HEAD";
	s->fopts.their_label = s->their_label;

	if (check_index(s, err))
		goto cleanup;
	if (!dc_repo_tree_oid(&rules_id, s->head.tree, DC_RULES_PATH)) {
		dc_err_set(err, DC_ERR_NOT_MINE, "%s is not a dc commit: '%s' is not in it",
			   strcmp(head, "HEAD") ? head : "HEAD", DC_RULES_PATH);
		dc_err_hint(err, "merge it with another strategy");
		goto cleanup;
	}
	if (read_rules(&s->rules, s, &rules_id, "HEAD", err) || merge_ordinary(s, err) ||
	    merged_rules(&rules_id, s, err) ||
	    dc_result(&dc_id, &mres, &projected, &nnew, s, &rules_id, err))
		goto cleanup;
	if (git_tree_lookup(&result, s->r.git, &dc_id) || take_dc_paths(s, result, err) ||
	    take_ordinary_conflicts(s, err) ||
	    git_index_write_tree_to(&result_id, s->merged, s->r.git)) {
		if (!err->code)
			dc_git_err(err, DC_ERR_FATAL, "cannot write the merge");
		goto cleanup;
	}
	git_tree_free(result);
	result = NULL;
	if (git_tree_lookup(&result, s->r.git, &result_id)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the merge");
		goto cleanup;
	}
	if (write_result(s, result, err))
		goto cleanup;

	for (i = 0; i < s->nconflicts; i++)
		if (s->conflicts[i].delta)
			printf("CONFLICT (delta): %s has other bytes in %s; a delta is immutable,"
			       " HEAD's version was kept\n", s->conflicts[i].path,
			       s->their_label);
	if (projected)
		printf("dc: %zu new delta%s; canonical state recomputed at frame %llu (%zu folded%s)\n",
		       nnew, nnew == 1 ? "" : "s", (unsigned long long)mres.frame, mres.folded,
		       mres.refold ? ", from genesis" : "");
	else
		printf("dc: %zu new delta%s; no side has merged a frame yet\n", nnew,
		       nnew == 1 ? "" : "s");
	ret = 0;
cleanup:
	dc_merge_result_release(&mres);
	git_tree_free(result);
	dc_buf_release(&env);
	return ret;
}

int main(int argc, const char **argv)
{
	struct strategy s;
	struct dc_err err = DC_ERR_INIT;
	const char **bases = NULL, *head;
	size_t nbases = 0, i;
	int a = 1, code;

	memset(&s, 0, sizeof(s));
	dc_libgit2_init();
	git_merge_options_init(&s.mopts, GIT_MERGE_OPTIONS_VERSION);
	git_merge_file_options_init(&s.fopts, GIT_MERGE_FILE_OPTIONS_VERSION);
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return 129;
	}
	for (; a < argc && !strncmp(argv[a], "--", 2) && argv[a][2]; a++)
		if (parse_xopt(&s, argv[a] + 2, &err)) {
			code = dc_md_report(&err, NOT_HANDLED);
			goto cleanup;
		}
	bases = dc_xcalloc((size_t)argc, sizeof(*bases));
	for (; a < argc && strcmp(argv[a], "--"); a++)
		bases[nbases++] = argv[a];
	if (a + 2 >= argc) {
		fputs(usage_text, stderr);
		code = 129;
		goto cleanup;
	}
	head = argv[a + 1];
	if (run(&s, head, bases, nbases, argv + a + 2, (size_t)(argc - a - 2), &err)) {
		code = dc_md_report(&err, DC_ERR_FATAL);
		goto cleanup;
	}
	code = s.nconflicts ? CONFLICTS : MERGED;
cleanup:
	if (fflush(stdout) && code == MERGED)
		code = 128;
	for (i = 0; i < s.nconflicts; i++)
		free(s.conflicts[i].path);
	free(s.conflicts);
	for (i = 0; i < s.nbases; i++)
		side_release(&s.bases[i]);
	for (i = 0; i < s.nremotes; i++)
		side_release(&s.remotes[i]);
	side_release(&s.head);
	free(s.bases);
	free(s.remotes);
	free(bases);
	free(s.their_label);
	git_index_free(s.merged);
	dc_rules_release(&s.rules);
	dc_repo_release(&s.r);
	dc_err_release(&err);
	return code;
}
