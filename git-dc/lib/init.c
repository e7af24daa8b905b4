#include "init.h"
#include "delta.h"
#include "json.h"
#include "merge.h"
#include "rules.h"
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define ATTR_BEGIN "# git-dc: begin (written by 'git dc init'; edit the rules instead)\n"
#define ATTR_END "# git-dc: end\n"

static void attr_path(struct dc_buf *out, const char *path)
{
	const char *p;

	/* a path in .gitattributes: anchored, with the pattern characters escaped */
	dc_buf_addch(out, '/');
	for (p = path; *p; p++) {
		if (strchr("*?[]\\ !#", *p))
			dc_buf_addch(out, '\\');
		dc_buf_addch(out, *p);
	}
}

int dc_attributes_block(struct dc_buf *out, const char *rules, size_t len, struct dc_err *err)
{
	struct dc_rules r = DC_RULES_INIT;
	const char **files;
	size_t n, i;

	if (dc_rules_parse(&r, rules, len, err))
		return -1;
	n = dc_rules_files(&r, &files);
	dc_buf_adds(out, ATTR_BEGIN);
	attr_path(out, DC_HEAD_PATH);
	dc_buf_adds(out, " merge=dc\n");
	for (i = 0; i < n; i++) {
		attr_path(out, files[i]);
		dc_buf_adds(out, " merge=dc\n");
	}
	attr_path(out, r.deltas);
	dc_buf_adds(out, "/** merge=dc\n");
	dc_buf_adds(out, ATTR_END);
	free(files);
	dc_rules_release(&r);
	return 0;
}

/* Replace (or append) the git-dc block of a .gitattributes text. */
static void splice_block(struct dc_buf *out, const char *old, size_t len, const struct dc_buf *block)
{
	const char *b = memmem(old, len, ATTR_BEGIN, strlen(ATTR_BEGIN));
	const char *e = b ? memmem(b, len - (size_t)(b - old), ATTR_END, strlen(ATTR_END)) : NULL;

	if (b && e) {
		dc_buf_add(out, old, (size_t)(b - old));
		dc_buf_addbuf(out, block);
		e += strlen(ATTR_END);
		dc_buf_add(out, e, len - (size_t)(e - old));
		return;
	}
	dc_buf_add(out, old, len);
	if (len && old[len - 1] != '\n')
		dc_buf_addch(out, '\n');
	dc_buf_addbuf(out, block);
}

static int read_workfile(struct dc_buf *out, int *exists, struct dc_repo *r, const char *path,
			 struct dc_err *err)
{
	struct dc_buf full = DC_BUF_INIT;
	FILE *f;
	int ret = 0;

	*exists = 0;
	dc_buf_reset(out);
	if (r->bare)
		return 0;
	dc_buf_addf(&full, "%s%s", r->workdir, path);
	f = fopen(full.buf, "rb");
	if (!f) {
		if (errno != ENOENT)
			ret = dc_err_set(err, DC_ERR_FATAL, "cannot read '%s': %s", full.buf,
					 strerror(errno));
		dc_buf_release(&full);
		return ret;
	}
	for (;;) {
		char chunk[65536];
		size_t got = fread(chunk, 1, sizeof(chunk), f);
		dc_buf_add(out, chunk, got);
		if (got < sizeof(chunk))
			break;
	}
	if (ferror(f))
		ret = dc_err_set(err, DC_ERR_FATAL, "cannot read '%s'", full.buf);
	else
		*exists = 1;
	fclose(f);
	dc_buf_release(&full);
	return ret;
}

/* The tree of `old_tree` (may be NULL) with `paths` set to `contents`. */
static int files_tree(git_oid *out, struct dc_repo *r, const git_tree *old_tree,
		      const char *const *paths, const struct dc_buf *contents, size_t n,
		      struct dc_err *err)
{
	struct dc_tree_change *ch = dc_xcalloc(n, sizeof(*ch));
	size_t i;
	int ret = -1;

	for (i = 0; i < n; i++) {
		ch[i].path = paths[i];
		if (dc_repo_write_blob(&ch[i].oid, r, contents[i].buf, contents[i].len, err))
			goto cleanup;
	}
	ret = dc_repo_tree_update(out, r, old_tree, ch, n, err);
cleanup:
	free(ch);
	return ret;
}

/*
 * Refuse rules under which a canonical file, as HEAD holds it, is not
 * valid JSON or holds conflict markers (PROTOCOL section 7): it would be
 * the genesis every merge folds into, and no later commit could repair it.
 * The commit `paths` would make is checked as the hooks would check it.
 */
static int genesis_parses(struct dc_repo *r, git_commit *head, const git_tree *old_tree,
			  const char *const *paths, const struct dc_buf *contents, size_t n,
			  struct dc_err *err)
{
	struct dc_check_result cres = DC_CHECK_RESULT_INIT;
	git_tree *nt = NULL;
	git_oid tree_oid;
	size_t i;
	int ret = -1;

	if (files_tree(&tree_oid, r, old_tree, paths, contents, n, err))
		return -1;
	if (git_tree_lookup(&nt, r->git, &tree_oid)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the new tree");
		goto cleanup;
	}
	if (dc_check_tree(&cres, r, nt, head ? git_commit_id(head) : NULL, head ? 1 : 0, err))
		goto cleanup;
	for (i = 0; i < cres.n; i++) {
		const struct dc_check_problem *x = &cres.problems[i];

		if (strcmp(x->rule, "invalid-json") && strcmp(x->rule, "conflict-markers"))
			continue;
		dc_err_set(err, DC_ERR_REFUSED, "canonical file %s; nothing was changed",
			   x->message);
		dc_err_hint(err, "repair '%s' in a commit of its own first: it becomes the"
			    " genesis every merge folds into", x->path);
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_check_result_release(&cres);
	git_tree_free(nt);
	return ret;
}

/*
 * Commit `n` files (path, content) on top of HEAD's branch, then bring the
 * work tree along: nothing is written to the work tree before the branch
 * has moved. The caller has checked that the work tree holds no other
 * content at those paths, or passes `force` for files the user handed over.
 */
static int commit_files(char *commit_hex, struct dc_repo *r, const char *refname,
			git_commit *head, const char *const *paths, const struct dc_buf *contents,
			size_t n, const char *message, const char *reflog, int force,
			struct dc_err *err)
{
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_oid tree_oid, commit_oid;
	int ret = -1;

	if (head && git_commit_tree(&old_tree, head)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of HEAD");
		goto cleanup;
	}
	if (files_tree(&tree_oid, r, old_tree, paths, contents, n, err) ||
	    dc_repo_commit(&commit_oid, r, &tree_oid, head ? git_commit_id(head) : NULL,
			   head ? 1 : 0, message, err) ||
	    dc_repo_cas_ref(r, refname, head ? git_commit_id(head) : NULL, &commit_oid, reflog,
			    err))
		goto cleanup;
	git_oid_tostr(commit_hex, 41, &commit_oid);
	if (git_tree_lookup(&new_tree, r->git, &tree_oid)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the new tree");
		goto cleanup;
	}
	if (dc_repo_bring_worktree(r, old_tree, new_tree, paths, contents, n, force, err)) {
		dc_err_prefix(err, "committed %.12s, but the work tree was not updated", commit_hex);
		goto cleanup;
	}
	ret = 0;
cleanup:
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	return ret;
}

int dc_init(struct dc_repo *r, const struct dc_init_opts *o, struct dc_init_result *res,
	    struct dc_err *err)
{
	struct dc_buf rules = DC_BUF_INIT, work = DC_BUF_INIT, attrs = DC_BUF_INIT,
		block = DC_BUF_INIT, newattrs = DC_BUF_INIT, preset = DC_BUF_INIT;
	struct dc_buf contents[2] = { DC_BUF_INIT, DC_BUF_INIT };
	const char *paths[2];
	char *refname = NULL;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	int in_tree = 0, in_work = 0, attrs_exist = 0, ret = -1;
	size_t n = 0;

	memset(res, 0, sizeof(*res));
	if (dc_repo_head(&refname, &head, r, err))
		goto cleanup;
	if (head && git_commit_tree(&tree, head)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of HEAD");
		goto cleanup;
	}
	if (dc_repo_read(&rules, &in_tree, NULL, r, tree, DC_RULES_PATH, err) ||
	    read_workfile(&work, &in_work, r, DC_RULES_PATH, err))
		goto cleanup;
	if (o->preset && dc_rules_preset(&preset, o->preset, err))
		goto cleanup;

	/*
	 * Which rules: an explicit preset; else the work tree's file (rules
	 * written by hand, committed or not); else the committed ones; else
	 * the minimal preset. Other rules already there are replaced only
	 * with --force.
	 */
	if (o->preset) {
		int differs_tree = in_tree && (rules.len != preset.len ||
					      memcmp(rules.buf, preset.buf, preset.len));
		int differs_work = in_work && (work.len != preset.len ||
					      memcmp(work.buf, preset.buf, preset.len));
		if ((differs_tree || differs_work) && !o->force) {
			dc_err_set(err, DC_ERR_REFUSED, "'%s' already exists with other rules;"
				   " nothing was changed", DC_RULES_PATH);
			dc_err_hint(err, "use --force to replace them with the '%s' preset (the"
				    " next merge folds again from genesis)", o->preset);
			goto cleanup;
		}
		dc_buf_reset(&rules);
		dc_buf_addbuf(&rules, &preset);
		res->preset = dc_xstrdup(o->preset);
	} else if (in_work) {
		dc_buf_reset(&rules);
		dc_buf_addbuf(&rules, &work);
	} else if (!in_tree) {
		if (dc_rules_preset(&rules, "minimal", err))
			goto cleanup;
		res->preset = dc_xstrdup("minimal");
	}
	{
		struct dc_rules check = DC_RULES_INIT;
		if (dc_rules_parse(&check, rules.buf, rules.len, err)) {
			dc_err_prefix(err, "'%s'", DC_RULES_PATH);
			goto cleanup;
		}
		dc_rules_release(&check);
	}

	/* .gitattributes: our block, added or brought up to date */
	if (dc_attributes_block(&block, rules.buf, rules.len, err) ||
	    dc_repo_read(&attrs, &attrs_exist, NULL, r, tree, ".gitattributes", err))
		goto cleanup;
	splice_block(&newattrs, attrs.buf, attrs.len, &block);

	{
		int rules_same = in_tree;
		struct dc_buf tmp = DC_BUF_INIT;
		int e2;
		if (in_tree) {
			if (dc_repo_read(&tmp, &e2, NULL, r, tree, DC_RULES_PATH, err)) {
				dc_buf_release(&tmp);
				goto cleanup;
			}
			rules_same = tmp.len == rules.len && !memcmp(tmp.buf, rules.buf, rules.len);
		}
		dc_buf_release(&tmp);
		if (!rules_same) {
			paths[n] = DC_RULES_PATH;
			dc_buf_addbuf(&contents[n++], &rules);
			res->rules_written = 1;
		}
	}
	if (!attrs_exist || newattrs.len != attrs.len || memcmp(newattrs.buf, attrs.buf, attrs.len)) {
		paths[n] = ".gitattributes";
		dc_buf_addbuf(&contents[n++], &newattrs);
		res->attributes_written = 1;
	}
	if (n) {
		struct dc_buf msg = DC_BUF_INIT;
		char **dirty = NULL;
		size_t ndirty = 0, i;

		/* each path must hold the committed version or exactly ours */
		if (dc_repo_dirty_paths(&dirty, &ndirty, r, tree, paths, n, err))
			goto cleanup;
		for (i = 0; i < ndirty; i++) {
			struct dc_buf w = DC_BUF_INIT;
			int we = 0, ours;
			size_t k;
			for (k = 0; k < n && strcmp(paths[k], dirty[i]); k++)
				;
			ours = k < n && !read_workfile(&w, &we, r, dirty[i], NULL) && we &&
				w.len == contents[k].len && !memcmp(w.buf, contents[k].buf, w.len);
			dc_buf_release(&w);
			if (!ours && !o->force) {
				dc_err_set(err, DC_ERR_REFUSED, "'%s' has uncommitted changes;"
					   " nothing was changed", dirty[i]);
				dc_err_hint(err, "commit or discard them, or use --force to"
					    " overwrite them");
				for (k = 0; k < ndirty; k++)
					free(dirty[k]);
				free(dirty);
				goto cleanup;
			}
		}
		for (i = 0; i < ndirty; i++)
			free(dirty[i]);
		free(dirty);
		if (genesis_parses(r, head, tree, paths, contents, n, err))
			goto cleanup;
		dc_buf_addf(&msg, "dc: init%s%s\n\nThis commit is the genesis of the dc state:"
			    " the canonical files\nas they stand here are what every merge folds"
			    " deltas into.\n", res->preset ? " with the preset " : "",
			    res->preset ? res->preset : "");
		if (commit_files(res->commit, r, refname, head, paths, contents, n, msg.buf,
				 "dc init", o->force, err)) {
			dc_buf_release(&msg);
			goto cleanup;
		}
		dc_buf_release(&msg);
		res->committed = 1;
	}

	/* canonical files lying in the work tree but not committed are not genesis */
	if (!r->bare) {
		struct dc_rules rl = DC_RULES_INIT;
		const char **files;
		size_t nf, i, alloc = 0;
		git_commit *now = NULL;
		git_tree *nt = NULL;
		char *rn = NULL;

		if (dc_rules_parse(&rl, rules.buf, rules.len, err))
			goto cleanup;
		if (dc_repo_head(&rn, &now, r, err) || git_commit_tree(&nt, now)) {
			dc_rules_release(&rl);
			free(rn);
			git_commit_free(now);
			goto cleanup;
		}
		nf = dc_rules_files(&rl, &files);
		for (i = 0; i < nf; i++) {
			struct dc_buf tmp = DC_BUF_INIT, full = DC_BUF_INIT;
			int te;
			struct stat st;
			dc_buf_addf(&full, "%s%s", r->workdir, files[i]);
			if (!dc_repo_read(&tmp, &te, NULL, r, nt, files[i], NULL) && !te &&
			    !lstat(full.buf, &st)) {
				DC_ALLOC_GROW(res->uncommitted, res->nuncommitted + 1, alloc);
				res->uncommitted[res->nuncommitted++] = dc_xstrdup(files[i]);
			}
			dc_buf_release(&tmp);
			dc_buf_release(&full);
		}
		free(files);
		dc_rules_release(&rl);
		free(rn);
		git_tree_free(nt);
		git_commit_free(now);
	}
	ret = 0;
cleanup:
	dc_buf_release(&rules);
	dc_buf_release(&work);
	dc_buf_release(&attrs);
	dc_buf_release(&block);
	dc_buf_release(&newattrs);
	dc_buf_release(&preset);
	dc_buf_release(&contents[0]);
	dc_buf_release(&contents[1]);
	git_tree_free(tree);
	git_commit_free(head);
	free(refname);
	return ret;
}

void dc_init_result_release(struct dc_init_result *res)
{
	size_t i;

	for (i = 0; i < res->nuncommitted; i++)
		free(res->uncommitted[i]);
	free(res->uncommitted);
	free(res->preset);
	memset(res, 0, sizeof(*res));
}

/* ---- git dc delta ----------------------------------------------------- */

static int stream_from_branch(char **out, const char *refname)
{
	const char *pfx = "refs/heads/dc/streams/";

	if (strncmp(refname, pfx, strlen(pfx)))
		return -1;
	*out = dc_xstrdup(refname + strlen(pfx));
	return 0;
}

static int stream_from_config(char **out, struct dc_repo *r)
{
	git_config *cfg = NULL;
	git_buf b = GIT_BUF_INIT;
	int ret = -1;

	if (git_repository_config_snapshot(&cfg, r->git))
		return -1;
	if (!git_config_get_string_buf(&b, cfg, "dc.stream")) {
		*out = dc_xstrdup(b.ptr);
		ret = 0;
	}
	git_buf_dispose(&b);
	git_config_free(cfg);
	return ret;
}

/* Set a dotted member ("_meta.timestamp") to a string, creating objects. */
static int set_dotted(struct dc_json *doc, const char *name, const char *val)
{
	const char *dot;
	struct dc_json *o = doc;

	while ((dot = strchr(name, '.'))) {
		struct dc_json *next = dc_json_getn(o, name, (size_t)(dot - name));
		if (!next) {
			next = dc_json_new(DC_JSON_OBJECT);
			dc_json_set(o, name, (size_t)(dot - name), next);
		} else if (next->type != DC_JSON_OBJECT) {
			return -1;
		}
		o = next;
		name = dot + 1;
	}
	dc_json_set(o, name, strlen(name), dc_json_new_string(val, strlen(val)));
	return 0;
}

static int has_dotted(const struct dc_json *doc, const char *name)
{
	const char *dot;
	const struct dc_json *o = doc;

	while ((dot = strchr(name, '.'))) {
		o = dc_json_getn(o, name, (size_t)(dot - name));
		if (!o || o->type != DC_JSON_OBJECT)
			return 0;
		name = dot + 1;
	}
	return dc_json_get(o, name) != NULL;
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
		sa.st_ino == sb.st_ino;
}

int dc_add_delta_limit(uint64_t *max, struct dc_repo *r, struct dc_err *err)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_buf buf = DC_BUF_INIT;
	char *refname = NULL;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	int exists, ret = -1;

	*max = DC_DEFAULT_MAX_DELTA_BYTES;
	if (dc_repo_head(&refname, &head, r, err))
		goto cleanup;
	if (head && git_commit_tree(&tree, head)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of HEAD");
		goto cleanup;
	}
	if (tree && dc_repo_read(&buf, &exists, NULL, r, tree, DC_RULES_PATH, err))
		goto cleanup;
	if (tree && exists && !dc_rules_parse(&rules, buf.buf, buf.len, NULL))
		*max = rules.max_delta_bytes;
	ret = 0;
cleanup:
	dc_rules_release(&rules);
	dc_buf_release(&buf);
	git_tree_free(tree);
	git_commit_free(head);
	free(refname);
	return ret;
}

int dc_add_delta(struct dc_repo *r, const struct dc_add_opts *o, struct dc_add_result *res,
		 struct dc_err *err)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_json *doc = NULL, *v;
	struct dc_buf buf = DC_BUF_INIT, path = DC_BUF_INIT, other = DC_BUF_INIT, rel = DC_BUF_INIT,
		bytes = DC_BUF_INIT, msg = DC_BUF_INIT, tmp = DC_BUF_INIT;
	struct dc_delta d = DC_DELTA_INIT;
	char *refname = NULL, *stream = NULL;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	git_oid have, want;
	uint64_t frame = 0;
	int exists, ret = -1, input_is_target = 0;
	size_t i;

	memset(res, 0, sizeof(*res));
	if (dc_repo_head(&refname, &head, r, err))
		goto cleanup;
	if (!head) {
		dc_err_set(err, DC_ERR_REFUSED, "'%s' has no commits yet", refname);
		dc_err_hint(err, "run 'git dc init' first");
		goto cleanup;
	}
	if (git_commit_tree(&tree, head)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read the tree of HEAD");
		goto cleanup;
	}
	if (dc_repo_read(&buf, &exists, NULL, r, tree, DC_RULES_PATH, err))
		goto cleanup;
	if (!exists) {
		dc_err_set(err, DC_ERR_REFUSED, "not a dc repository: '%s' is not in the commit",
			   DC_RULES_PATH);
		dc_err_hint(err, "run 'git dc init' to start one");
		goto cleanup;
	}
	if (dc_rules_parse(&rules, buf.buf, buf.len, err)) {
		dc_err_prefix(err, "'%s'", DC_RULES_PATH);
		goto cleanup;
	}
	if (o->len > rules.max_delta_bytes) {
		dc_err_set(err, DC_ERR_REFUSED, "invalid delta: more than %llu bytes"
			   " (max_delta_bytes of '%s')",
			   (unsigned long long)rules.max_delta_bytes, DC_RULES_PATH);
		dc_err_hint(err, "split its events over several deltas, or raise max_delta_bytes"
			    " in '%s'", DC_RULES_PATH);
		goto cleanup;
	}

	if (dc_json_parse(&doc, o->input, o->len, NULL, err)) {
		dc_err_prefix(err, "invalid delta: invalid JSON");
		dc_err_hint(err, "a delta is one strict JSON object: no comments, no trailing"
			    " commas, no member twice");
		goto cleanup;
	}
	if (doc->type != DC_JSON_OBJECT) {
		dc_err_set(err, DC_ERR_REFUSED, "invalid delta: the top-level value is %s, expected"
			   " an object", dc_json_describe(doc));
		dc_err_hint(err, "a delta is one JSON object of sections: {\"%s\": [<event>, ...]}",
			    rules.nsections ? rules.sections[0].name : "<section>");
		goto cleanup;
	}

	/* frame: the flag, the delta, or the frame after the newest merged */
	v = dc_json_get(doc, "frame");
	if (v) {
		int64_t f;
		if (!dc_json_get_int(v, &f) || f < 0 || (uint64_t)f >= DC_FRAME_LIMIT) {
			if (v->type == DC_JSON_NUMBER)
				dc_err_set(err, DC_ERR_REFUSED, "invalid delta: 'frame' is %.*s,"
					   " expected an integer 0 <= frame < 2^53",
					   (int)(v->u.str.len > 40 ? 40 : v->u.str.len), v->u.str.s);
			else
				dc_err_set(err, DC_ERR_REFUSED, "invalid delta: 'frame' is %s,"
					   " expected an integer 0 <= frame < 2^53",
					   dc_json_describe(v));
			dc_err_hint(err, "write it as a number (\"frame\": 3), or leave it out and"
				    " give --frame <n>");
			goto cleanup;
		}
		frame = (uint64_t)f;
		if (o->has_frame && frame != o->frame) {
			dc_err_set(err, DC_ERR_REFUSED, "the delta says frame %llu but --frame says"
				   " %llu", (unsigned long long)frame, (unsigned long long)o->frame);
			dc_err_hint(err, "leave --frame out, or fix the delta's 'frame'");
			goto cleanup;
		}
	} else if (o->has_frame) {
		if (o->frame >= DC_FRAME_LIMIT) {
			dc_err_set(err, DC_ERR_USAGE, "--frame %llu is too large (frames are < 2^53)",
				   (unsigned long long)o->frame);
			goto cleanup;
		}
		frame = o->frame;
		dc_json_set(doc, "frame", 5, dc_json_new_int((int64_t)frame));
	} else {
		struct dc_json *h = NULL;
		int64_t hf;
		if (dc_repo_read(&buf, &exists, NULL, r, tree, DC_HEAD_PATH, err))
			goto cleanup;
		frame = 1;
		if (exists && !dc_json_parse(&h, buf.buf, buf.len, NULL, NULL) &&
		    dc_json_get_int(dc_json_get(h, "frame"), &hf) && hf >= 0)
			frame = (uint64_t)hf + 1;
		dc_json_free(h);
		dc_json_set(doc, "frame", 5, dc_json_new_int((int64_t)frame));
	}

	/* stream: the flag, the delta, the branch dc/streams/<id>, dc.stream */
	v = dc_json_get(doc, "stream_id");
	if (v) {
		if (v->type != DC_JSON_STRING) {
			dc_err_set(err, DC_ERR_REFUSED, "invalid delta: 'stream_id' is %s, expected"
				   " a string", dc_json_describe(v));
			dc_err_hint(err, "write it as a string (\"stream_id\": \"s1\"), or leave it"
				    " out and give --stream <id>");
			goto cleanup;
		}
		stream = dc_xmemdupz(v->u.str.s, v->u.str.len);
		if (o->stream && strcmp(o->stream, stream)) {
			dc_err_set(err, DC_ERR_REFUSED, "the delta says stream '%s' but --stream says"
				   " '%s'", stream, o->stream);
			dc_err_hint(err, "leave --stream out, or fix the delta's 'stream_id'");
			goto cleanup;
		}
	} else {
		if (o->stream)
			stream = dc_xstrdup(o->stream);
		else if (stream_from_branch(&stream, refname) && stream_from_config(&stream, r)) {
			dc_err_set(err, DC_ERR_USAGE, "no stream id: the delta has no 'stream_id'");
			dc_err_hint(err, "pass --stream <id>, or set it once with 'git config"
				    " dc.stream <id>'");
			goto cleanup;
		}
		dc_json_set(doc, "stream_id", 9, dc_json_new_string(stream, strlen(stream)));
	}
	if (!dc_stream_id_valid(stream, strlen(stream))) {
		dc_err_set(err, DC_ERR_REFUSED, "invalid delta: stream id ");
		dc_buf_addquoted(&err->msg, stream, strlen(stream), 80);
		dc_buf_adds(&err->msg, " is not valid");
		dc_err_hint(err, "a stream id matches [A-Za-z0-9][A-Za-z0-9._-]{0,63} and holds"
			    " no '..'");
		goto cleanup;
	}

	/* utc: the delta's, the flag, or now */
	for (i = 0; i < rules.nutc && !has_dotted(doc, rules.utc[i]); i++)
		;
	if (i == rules.nutc) {
		struct dc_utc now;
		dc_buf_reset(&tmp);
		if (o->utc) {
			/* kept as written: every digit takes part in the order */
			if (dc_utc_parse(&now, o->utc, strlen(o->utc))) {
				dc_err_set(err, DC_ERR_USAGE, "--utc '%s' is not an RFC 3339 UTC"
					   " instant (YYYY-MM-DDTHH:MM:SS[.fraction]Z)", o->utc);
				dc_err_hint(err, "for example --utc 2026-03-28T03:00:00Z (uppercase T"
					    " and Z, no offset)");
				goto cleanup;
			}
			dc_buf_adds(&tmp, o->utc);
		} else {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			now.sec = ts.tv_sec;
			now.nsec = (uint32_t)(ts.tv_nsec / 1000 * 1000);
			dc_utc_format_us(&tmp, &now);
		}
		if (set_dotted(doc, rules.utc[0], tmp.buf)) {
			dc_err_set(err, DC_ERR_REFUSED, "invalid delta: cannot add '%s'",
				   rules.utc[0]);
			dc_err_hint(err, "a member on its way is not an object: write the utc in the"
				    " delta yourself");
			goto cleanup;
		}
	} else if (o->utc) {
		dc_err_set(err, DC_ERR_REFUSED, "the delta has '%s' already; --utc would change it",
			   rules.utc[i]);
		dc_err_hint(err, "leave --utc out: the delta's own instant is kept");
		goto cleanup;
	}

	/* the bytes, validated exactly as every merge will */
	dc_json_write(&bytes, doc);
	dc_delta_path_make(&path, rules.deltas, rules.layout, frame, stream);
	dc_buf_add(&rel, path.buf + strlen(rules.deltas) + 1,
		   path.len - strlen(rules.deltas) - 1);
	if (git_odb_hash(&want, bytes.buf, bytes.len, GIT_OBJECT_BLOB)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot hash the delta");
		goto cleanup;
	}
	git_oid_tostr(res->blob, sizeof(res->blob), &want);
	dc_delta_load(&d, path.buf, rel.buf, res->blob, bytes.buf, bytes.len, &rules);
	if (!d.valid) {
		dc_err_set(err, DC_ERR_REFUSED, "invalid delta '%s': %s", path.buf, d.reason);
		goto cleanup;
	}
	res->path = dc_buf_detach(&path, NULL);
	res->frame = frame;
	res->stream = dc_xstrdup(stream);
	dc_utc_format(&tmp, &d.utc);
	dc_buf_reset(&tmp);
	dc_utc_format(&tmp, &d.utc);
	res->utc = dc_buf_detach(&tmp, NULL);

	/* one delta per stream per frame, immutable */
	if (dc_repo_read(&buf, &exists, &have, r, tree, res->path, err))
		goto cleanup;
	if (exists && git_oid_equal(&have, &want)) {
		/* the identical delta is already committed; a run killed after the
		 * branch moved may have left the work tree or index behind */
		const char *p1[1] = { res->path };
		ret = dc_repo_bring_worktree(r, NULL, tree, p1, NULL, 1, 0, err);
		goto cleanup;
	}
	if (exists) {
		dc_err_set(err, DC_ERR_REFUSED, "delta '%s' is already committed with other"
			   " content; deltas are immutable", res->path);
		dc_err_hint(err, "a stream writes one delta per frame: put the change in the"
			    " delta of a later frame");
		goto cleanup;
	}
	dc_delta_path_make(&other, rules.deltas,
			   rules.layout == DC_LAYOUT_FLAT ? DC_LAYOUT_BY_FRAME : DC_LAYOUT_FLAT,
			   frame, stream);
	if (dc_repo_read(&buf, &exists, NULL, r, tree, other.buf, err))
		goto cleanup;
	if (exists) {
		dc_err_set(err, DC_ERR_REFUSED, "stream '%s' already has a delta for frame %llu"
			   " at '%s'", stream, (unsigned long long)frame, other.buf);
		dc_err_hint(err, "a stream writes one delta per frame: put the change in the"
			    " delta of a later frame");
		goto cleanup;
	}
	if (!r->bare) {
		int we;
		struct dc_buf full = DC_BUF_INIT;
		if (read_workfile(&buf, &we, r, res->path, err))
			goto cleanup;
		dc_buf_addf(&full, "%s%s", r->workdir, res->path);
		input_is_target = same_file(full.buf, o->input_path);
		dc_buf_release(&full);
		if (we && (buf.len != bytes.len || memcmp(buf.buf, bytes.buf, bytes.len)) &&
		    !input_is_target) {
			dc_err_set(err, DC_ERR_REFUSED, "'%s' exists in the work tree with other"
				   " content; nothing was changed", res->path);
			dc_err_hint(err, "pass that file to 'git dc delta', or move it away");
			goto cleanup;
		}
	}
	dc_buf_addf(&msg, "dc: delta frame %llu stream %s\n\nDc-Frame: %llu\nDc-Stream: %s\n",
		    (unsigned long long)frame, stream, (unsigned long long)frame, stream);
	{
		const char *p1[1] = { res->path };
		struct dc_buf c1[1];
		c1[0] = bytes;
		/* the file handed over is replaced by its canonical bytes */
		if (commit_files(res->commit, r, refname, head, p1, c1, 1, msg.buf, "dc delta",
				 input_is_target, err))
			goto cleanup;
	}
	res->committed = 1;
	ret = 0;
cleanup:
	dc_delta_release(&d);
	dc_json_free(doc);
	dc_rules_release(&rules);
	dc_buf_release(&buf);
	dc_buf_release(&path);
	dc_buf_release(&other);
	dc_buf_release(&rel);
	dc_buf_release(&bytes);
	dc_buf_release(&msg);
	dc_buf_release(&tmp);
	git_tree_free(tree);
	git_commit_free(head);
	free(refname);
	free(stream);
	return ret;
}

void dc_add_result_release(struct dc_add_result *res)
{
	free(res->path);
	free(res->stream);
	free(res->utc);
	memset(res, 0, sizeof(*res));
}
