#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "builtin.h"
#include "audit.h"
#include "audit-out.h"
#include "jdiff.h"
#include "merge.h"
#include "progress.h"

static const char *const diff_usage[] = {
	"git dc diff [-q | --quiet] [--json] <frame-a> <frame-b>",
	NULL,
};

#define SHOW_MAX 200

static int parse_frame(uint64_t *out, const char *s)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || (s[0] == '0' && s[1]))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return (*end || errno || *out >= DC_FRAME_LIMIT) ? -1 : 0;
}

/* One canonical file's changes, and the watch of each (same index). */
struct file_diff {
	const char *path;
	struct dc_jdiff d;
	size_t first_watch;
};

static const struct dc_write *writer(const struct dc_watch *w)
{
	return w->n > 1 ? &w->w[w->n - 1] : NULL;
}

static struct json_object *by_json(const struct dc_write *x, const struct dc_rules *rules,
				   const char *file, const char *pointer)
{
	struct json_object *o;
	const struct dc_derived *dv;

	if (!x)
		return NULL;
	o = json_object_new_object();
	if (x->by) {
		json_object_object_add(o, "kind", json_object_new_string("delta"));
		json_object_object_add(o, "delta", dc_audit_delta_json(x->by));
	} else {
		dv = dc_audit_count_at(rules, file, pointer);
		json_object_object_add(o, "kind", json_object_new_string("count"));
		json_object_object_add(o, "of", dv ? json_object_new_string(dv->of) : NULL);
	}
	return o;
}

static void by_line(struct dc_buf *out, const struct dc_write *x, const struct dc_rules *rules,
		    const char *file, const char *pointer)
{
	const struct dc_derived *dv;

	if (!x) {
		dc_buf_adds(out, "no delta of these frames (the derived counts)");
	} else if (x->by) {
		dc_audit_delta_line(out, x->by);
	} else {
		dv = dc_audit_count_at(rules, file, pointer);
		dc_buf_addf(out, "the derived count of '%s'", dv ? dv->of : "?");
	}
}

int cmd_diff(int argc, const char **argv)
{
	struct dc_history h = DC_HISTORY_INIT;
	struct dc_replay pa = DC_REPLAY_INIT, pb = DC_REPLAY_INIT, pc = DC_REPLAY_INIT;
	struct dc_watches ws = DC_WATCHES_INIT;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_progress progress;
	struct dc_buf b = DC_BUF_INIT;
	struct file_diff *fd = NULL;
	const char **files = NULL;
	size_t nfiles = 0, i, k, n, na, total = 0;
	uint64_t a, bf;
	int json = 0, quiet = 0, code;
	git_oid tip;
	struct dc_option opts[] = {
		OPT_BOOL('q', "quiet", &quiet, "no progress"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, diff_usage);
	if (argc != 2) {
		if (argc > 2)
			fprintf(stderr, "error: unexpected argument '%s'\n", argv[3]);
		else
			fprintf(stderr, "error: give two frames\n");
		dc_usage_with_options(diff_usage, opts, 1);
	}
	for (i = 0; i < 2; i++) {
		if (parse_frame(i ? &bf : &a, argv[i + 1])) {
			fprintf(stderr, "error: '%s' is not a frame (0 <= frame < 2^53)\n",
				argv[i + 1]);
			dc_usage_with_options(diff_usage, opts, 1);
		}
	}
	if (a > bf) {
		fprintf(stderr, "error: frame %llu comes after frame %llu: give the older one"
			" first\n", (unsigned long long)a, (unsigned long long)bf);
		dc_usage_with_options(diff_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "diff")))
		return code;
	if (dc_audit_commit(&tip, &r, NULL, &err) || dc_history_load(&h, &r, &tip, &err))
		goto fail;

	/* the two states, and what differs between them */
	dc_progress_init(&progress, quiet);
	code = dc_replay_to(&pa, &r, &h, a, dc_progress_update, &progress, &err) ||
		dc_replay_to(&pb, &r, &h, bf, dc_progress_update, &progress, &err);
	if (code)
		goto fail_progress;
	nfiles = dc_rules_files(&h.rules, &files);
	fd = dc_xcalloc(nfiles ? nfiles : 1, sizeof(*fd));
	for (i = 0; i < nfiles; i++) {
		struct dc_json *da, *db;

		fd[i].path = files[i];
		if (dc_replay_doc(&da, &pa, files[i], &err) || dc_replay_doc(&db, &pb, files[i], &err))
			goto fail_progress;
		dc_jdiff(&fd[i].d, da, db, 0);
		fd[i].first_watch = ws.n;
		for (k = 0; k < fd[i].d.n; k++)
			dc_watches_add(&ws, files[i], fd[i].d.v[k].pointer,
				       fd[i].d.v[k].kind == DC_JDIFF_ADDED ? DC_WATCH_ADDED :
				       DC_WATCH_LAST);
		total += fd[i].d.n;
	}

	/* who did it: fold again from the end of frame a, watching each change */
	for (na = 0; na < h.norder && h.order[na]->frame <= a; na++)
		;
	for (n = na; n < h.norder && h.order[n]->frame <= bf; n++)
		;
	if (dc_replay_init(&pc, &r, &h.rules, &h.genesis, &err))
		goto fail_progress;
	for (i = 0; i < n; i++) {
		dc_progress_update(&progress, "Finding writers", i + 1, n);
		if (i == na && dc_watches_begin(&ws, &pc, &err))
			goto fail_progress;
		if (i < na ? dc_replay_apply(&pc, h.order[i], &err) :
		    dc_replay_watched(&pc, &ws, h.order[i], &err))
			goto fail_progress;
	}
	if ((na == n && dc_watches_begin(&ws, &pc, &err)) || dc_replay_watched(&pc, &ws, NULL, &err))
		goto fail_progress;
	dc_progress_done(&progress);

	if (json) {
		struct json_object *doc = dc_json_doc(), *fa = json_object_new_array();
		json_object_object_add(doc, "command", json_object_new_string("diff"));
		json_object_object_add(doc, "from", json_object_new_int64((int64_t)a));
		json_object_object_add(doc, "to", json_object_new_int64((int64_t)bf));
		for (i = 0; i < nfiles; i++) {
			struct json_object *f, *ch;
			if (!fd[i].d.n)
				continue;
			f = json_object_new_object();
			ch = json_object_new_array();
			json_object_object_add(f, "path", json_object_new_string(fd[i].path));
			for (k = 0; k < fd[i].d.n; k++) {
				const struct dc_jdiff_change *c = &fd[i].d.v[k];
				struct json_object *o = json_object_new_object();
				json_object_object_add(o, "kind", json_object_new_string(
					dc_jdiff_kind_name(c->kind)));
				json_object_object_add(o, "pointer", json_object_new_string(c->pointer));
				if (c->old)
					json_object_object_add(o, "old", dc_audit_value_json(c->old));
				if (c->new)
					json_object_object_add(o, "new", dc_audit_value_json(c->new));
				json_object_object_add(o, "by", by_json(
					writer(&ws.v[fd[i].first_watch + k]), &h.rules, fd[i].path,
					c->pointer));
				json_object_array_add(ch, o);
			}
			json_object_object_add(f, "changes", ch);
			json_object_array_add(fa, f);
		}
		json_object_object_add(doc, "files", fa);
		dc_print_json(doc);
	} else {
		for (i = 0; i < nfiles; i++) {
			if (!fd[i].d.n)
				continue;
			printf("%s\n", fd[i].path);
			for (k = 0; k < fd[i].d.n; k++) {
				const struct dc_jdiff_change *c = &fd[i].d.v[k];
				dc_buf_reset(&b);
				if (c->kind == DC_JDIFF_CHANGED) {
					dc_jdiff_show(&b, c->old, SHOW_MAX);
					dc_buf_adds(&b, " -> ");
				}
				dc_jdiff_show(&b, c->new ? c->new : c->old, SHOW_MAX);
				printf("  %-7s %s: %s\n", dc_jdiff_kind_name(c->kind),
				       *c->pointer ? c->pointer : "(the whole file)", b.buf);
				dc_buf_reset(&b);
				by_line(&b, writer(&ws.v[fd[i].first_watch + k]), &h.rules,
					fd[i].path, c->pointer);
				printf("          by %s\n", b.buf);
			}
		}
		if (!total)
			printf("No change between frame %llu and frame %llu\n", (unsigned long long)a,
			       (unsigned long long)bf);
	}
	code = 0;
	goto cleanup;
fail_progress:
	dc_progress_done(&progress);
fail:
	code = dc_report_error(&err, json, "diff");
cleanup:
	for (i = 0; fd && i < nfiles; i++)
		dc_jdiff_release(&fd[i].d);
	free(fd);
	free(files);
	dc_buf_release(&b);
	dc_watches_release(&ws);
	dc_replay_release(&pa);
	dc_replay_release(&pb);
	dc_replay_release(&pc);
	dc_history_release(&h);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
