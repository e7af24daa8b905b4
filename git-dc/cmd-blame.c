#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "audit.h"
#include "audit-out.h"
#include "jdiff.h"
#include "merge.h"
#include "progress.h"

static const char *const blame_usage[] = {
	"git dc blame [--all] [-q | --quiet] [--json] <file> <json-pointer>",
	NULL,
};

#define SHOW_MAX 200

/* The first commit (oldest first) whose tree holds blob `oid` at `path`. */
static int added_in(git_oid *out, int *found, struct dc_repo *r, const git_oid *tip,
		    const char *path, const char *oid, struct dc_err *err)
{
	git_revwalk *w = NULL;
	git_oid id, want, have;
	int ret = -1;

	*found = 0;
	if (git_oid_fromstr(&want, oid) || git_revwalk_new(&w, r->git) ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
	    git_revwalk_push(w, tip))
		return dc_git_err(err, DC_ERR_FATAL, "cannot walk the history");
	while (!*found && !git_revwalk_next(&id, w)) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		if (git_commit_lookup(&c, r->git, &id) || git_commit_tree(&t, c)) {
			git_commit_free(c);
			dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(&id));
			goto cleanup;
		}
		if (dc_repo_tree_oid(&have, t, path) && git_oid_equal(&have, &want)) {
			git_oid_cpy(out, &id);
			*found = 1;
		}
		git_tree_free(t);
		git_commit_free(c);
	}
	ret = 0;
cleanup:
	git_revwalk_free(w);
	return ret;
}

/* "frame 3 <utc> s1 (<path>)", "genesis" or "the derived count of 'x'" */
static void who(struct dc_buf *out, const struct dc_write *w, const struct dc_derived *dv)
{
	if (w->by)
		dc_audit_delta_line(out, w->by);
	else if (w->by_count)
		dc_buf_addf(out, "the derived count of '%s'", dv ? dv->of : "?");
	else
		dc_buf_adds(out, "genesis");
}

static struct json_object *who_json(const struct dc_write *w, const struct dc_derived *dv)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(
		w->by ? "delta" : w->by_count ? "count" : "genesis"));
	if (w->by)
		json_object_object_add(o, "delta", dc_audit_delta_json(w->by));
	if (w->by_count)
		json_object_object_add(o, "of", dv ? json_object_new_string(dv->of) : NULL);
	return o;
}

static struct json_object *write_json(const struct dc_write *w, const struct dc_derived *dv)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "value", dc_audit_value_json(w->value));
	json_object_object_add(o, "present", json_object_new_boolean(w->value != NULL));
	json_object_object_add(o, "by", who_json(w, dv));
	return o;
}

/* The committed value at the pointer (lent from *doc), to warn when it is
 * not the replay's. */
static int committed_value(struct dc_json **doc, const struct dc_json **v, struct dc_repo *r,
			   const git_oid *tip, const char *file, const char *pointer,
			   struct dc_err *err)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	struct dc_buf b = DC_BUF_INIT;
	int exists, ret = -1;

	*doc = NULL;
	*v = NULL;
	if (git_commit_lookup(&c, r->git, tip) || git_commit_tree(&t, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read commit %s", git_oid_tostr_s(tip));
		goto cleanup;
	}
	if (dc_repo_read(&b, &exists, NULL, r, t, file, err))
		goto cleanup;
	if (exists && !dc_json_parse(doc, b.buf, b.len, &dc_canonical_opts, NULL))
		*v = dc_json_pointer(*doc, pointer, 0, DC_JSON_NULL, NULL);
	ret = 0;
cleanup:
	dc_buf_release(&b);
	git_tree_free(t);
	git_commit_free(c);
	return ret;
}

int cmd_blame(int argc, const char **argv)
{
	struct dc_history h = DC_HISTORY_INIT;
	struct dc_replay p = DC_REPLAY_INIT;
	struct dc_watches ws = DC_WATCHES_INIT;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_progress progress;
	struct dc_buf b = DC_BUF_INIT;
	struct dc_json *cdoc = NULL;
	const struct dc_json *committed;
	const struct dc_derived *dv;
	const struct dc_watch *w;
	const struct dc_write *win;
	const char *file, *pointer;
	size_t i, n, from;
	int all = 0, json = 0, quiet = 0, code, found = 0;
	git_oid tip, commit;
	char hex[GIT_OID_HEXSZ + 1];
	uint64_t frame;
	struct dc_option opts[] = {
		OPT_BOOL(0, "all", &all, "show every value the pointer held, from genesis on"),
		OPT_BOOL('q', "quiet", &quiet, "no progress"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, blame_usage);
	if (argc != 2) {
		if (argc > 2)
			fprintf(stderr, "error: unexpected argument '%s'\n", argv[3]);
		else
			fprintf(stderr, "error: give a canonical file and a JSON pointer\n");
		dc_usage_with_options(blame_usage, opts, 1);
	}
	file = argv[1];
	pointer = argv[2];
	if ((code = dc_open_repo(&r, json, "blame")))
		return code;
	if (dc_json_pointer_check(pointer, &err)) {
		dc_err_prefix(&err, "invalid JSON pointer '%s'", pointer);
		err.code = DC_ERR_USAGE;
		goto fail;
	}
	if (dc_audit_commit(&tip, &r, NULL, &err) || dc_history_load(&h, &r, &tip, &err))
		goto fail;
	if (!dc_rules_is_canonical(&h.rules, file)) {
		dc_rules_not_canonical(&err, &h.rules, file);
		goto fail;
	}
	frame = h.head_frame;
	dc_watches_add(&ws, file, pointer, DC_WATCH_HISTORY);
	if (dc_replay_init(&p, &r, &h.rules, &h.genesis, &err) || dc_watches_begin(&ws, &p, &err))
		goto fail;
	for (n = 0; h.has_head && n < h.norder && h.order[n]->frame <= frame; n++)
		;
	dc_progress_init(&progress, quiet);
	for (i = 0; i < n; i++) {
		dc_progress_update(&progress, "Replaying deltas", i + 1, n);
		if (dc_replay_watched(&p, &ws, h.order[i], &err))
			break;
	}
	dc_progress_done(&progress);
	/* never merged: the state is genesis, without counts */
	if (i < n || (h.has_head && dc_replay_watched(&p, &ws, NULL, &err)))
		goto fail;
	w = &ws.v[0];
	win = &w->w[w->n - 1];
	if (!win->value) {
		dc_err_set(&err, DC_ERR_REFUSED, "'%s' holds nothing at '%s' (frame %llu)", file,
			   pointer, (unsigned long long)frame);
		dc_err_hint(&err, "'git dc replay %s' shows what the file holds; a pointer names"
			    " members and indexes: /agents/ada/bio, /posts/0", file);
		goto fail;
	}
	dv = dc_audit_count_at(&h.rules, file, pointer);
	if (win->by && added_in(&commit, &found, &r, &tip, win->by->path, win->by->oid, &err))
		goto fail;
	if (committed_value(&cdoc, &committed, &r, &tip, file, pointer, &err))
		goto fail;
	/* what it beat: the earlier writes of its frame and the value before them */
	from = w->n - 1;
	if (win->by)
		while (from > 1 && w->w[from - 1].by && w->w[from - 1].by->frame == win->by->frame)
			from--;
	if (from)
		from--;
	if (all)
		from = 0;

	if (json) {
		struct json_object *doc = dc_json_doc(), *beat = json_object_new_array(), *by;
		json_object_object_add(doc, "command", json_object_new_string("blame"));
		json_object_object_add(doc, "file", json_object_new_string(file));
		json_object_object_add(doc, "pointer", json_object_new_string(pointer));
		json_object_object_add(doc, "frame", h.has_head ?
				       json_object_new_int64((int64_t)frame) : NULL);
		json_object_object_add(doc, "value", dc_audit_value_json(win->value));
		by = who_json(win, dv);
		if (win->by)
			json_object_object_add(by, "commit", found ? json_object_new_string(
				git_oid_tostr(hex, sizeof(hex), &commit)) : NULL);
		json_object_object_add(doc, "by", by);
		for (i = from; i + 1 < w->n; i++)
			json_object_array_add(beat, write_json(&w->w[i], dv));
		json_object_object_add(doc, all ? "history" : "beat", beat);
		json_object_object_add(doc, "committed_differs", json_object_new_boolean(
			!committed || !dc_json_equal(committed, win->value)));
		dc_print_json(doc);
	} else {
		dc_jdiff_show(&b, win->value, 0);
		printf("%s %s: %s\n", file, pointer, b.buf);
		dc_buf_reset(&b);
		who(&b, win, dv);
		printf("written by %s", b.buf);
		if (found)
			printf(" in commit %.12s", git_oid_tostr(hex, sizeof(hex), &commit));
		printf("\n");
		if (from + 1 < w->n)
			printf("%s\n", all ? "before that:" : "it beat:");
		for (i = from; i + 1 < w->n; i++) {
			dc_buf_reset(&b);
			dc_jdiff_show(&b, w->w[i].value, SHOW_MAX);
			dc_buf_adds(&b, "  ");
			who(&b, &w->w[i], dv);
			printf("  %s\n", b.buf);
		}
	}
	if (!committed || !dc_json_equal(committed, win->value))
		fprintf(stderr, "warning: the value committed in '%s' is not the replay of the log\n"
			"hint: find the commit that changed it with 'git dc verify'\n", file);
	code = 0;
	goto cleanup;
fail:
	code = dc_report_error(&err, json, "blame");
cleanup:
	dc_json_free(cdoc);
	dc_buf_release(&b);
	dc_watches_release(&ws);
	dc_replay_release(&p);
	dc_history_release(&h);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
