#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "merge.h"
#include "progress.h"

static const char *const merge_usage[] = {
	"git dc merge [--frame <n>] [-n | --dry-run] [-q | --quiet] [--json]",
	NULL,
};

static struct json_object *notes_json(const struct dc_merge_note *n, size_t count)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < count; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(n[i].path));
		json_object_object_add(o, "frame", n[i].has_frame ?
				       json_object_new_int64((int64_t)n[i].frame) : NULL);
		json_object_object_add(o, "stream", dc_json_str(n[i].stream));
		if (n[i].utc)
			json_object_object_add(o, "utc", json_object_new_string(n[i].utc));
		if (n[i].reason)
			json_object_object_add(o, "reason", json_object_new_string(n[i].reason));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *sections_json(const struct dc_merge_result *res)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < res->nsections; i++) {
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "applied",
				       json_object_new_int64((int64_t)res->sections[i].applied));
		json_object_object_add(s, "present",
				       json_object_new_int64((int64_t)res->sections[i].present));
		json_object_object_add(o, res->sections[i].name, s);
	}
	return o;
}

static struct json_object *event_notes_json(const struct dc_merge_result *res)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < res->nevents_quarantined; i++) {
		const struct dc_merge_event_note *n = &res->events_quarantined[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(n->path));
		json_object_object_add(o, "section", json_object_new_string(n->section));
		json_object_object_add(o, "index", json_object_new_int64((int64_t)n->index));
		json_object_object_add(o, "reason", json_object_new_string(n->reason));
		json_object_array_add(a, o);
	}
	return a;
}

static void print_json(const struct dc_merge_result *res, int dry_run)
{
	struct json_object *doc = dc_json_doc(), *ch = json_object_new_array();
	size_t i;

	json_object_object_add(doc, "command", json_object_new_string("merge"));
	json_object_object_add(doc, "dry_run", json_object_new_boolean(dry_run));
	json_object_object_add(doc, "frame", res->has_state ?
			       json_object_new_int64((int64_t)res->frame) : NULL);
	json_object_object_add(doc, "previous_frame", res->had_head ?
			       json_object_new_int64((int64_t)res->prev_frame) : NULL);
	json_object_object_add(doc, "applied", notes_json(res->applied, res->napplied));
	json_object_object_add(doc, "late", notes_json(res->late, res->nlate));
	json_object_object_add(doc, "quarantined", notes_json(res->quarantined, res->nquarantined));
	json_object_object_add(doc, "unknown_sections", notes_json(res->unknown, res->nunknown));
	json_object_object_add(doc, "events", sections_json(res));
	json_object_object_add(doc, "events_quarantined", event_notes_json(res));
	json_object_object_add(doc, "pending", notes_json(res->pending, res->npending));
	json_object_object_add(doc, "refold", json_object_new_boolean(res->refold));
	for (i = 0; i < res->nchanged; i++)
		json_object_array_add(ch, json_object_new_string(res->changed[i]));
	json_object_object_add(doc, "changed", ch);
	json_object_object_add(doc, "commit", res->committed ?
			       json_object_new_string(res->commit) : NULL);
	dc_print_json(doc);
}

static void print_human(const struct dc_merge_result *res, int dry_run, int quiet)
{
	size_t i, events = 0;

	for (i = 0; i < res->nsections; i++)
		events += res->sections[i].applied;
	if (!quiet) {
		for (i = 0; i < res->nquarantined; i++)
			printf("quarantined %s: %s\n", res->quarantined[i].path,
			       res->quarantined[i].reason);
		for (i = 0; i < res->nunknown; i++)
			printf("unknown     %s: %s\n", res->unknown[i].path, res->unknown[i].reason);
		for (i = 0; i < res->nevents_quarantined; i++) {
			const struct dc_merge_event_note *n = &res->events_quarantined[i];
			printf("event       %s: %s[%zu]: %s\n", n->path, n->section, n->index,
			       n->reason);
		}
		for (i = 0; i < res->nlate; i++)
			printf("late        %s: frame %llu arrived after frame %llu was merged\n",
			       res->late[i].path, (unsigned long long)res->late[i].frame,
			       (unsigned long long)res->prev_frame);
	}
	if (!res->napplied && !res->nchanged) {
		if (res->had_head)
			printf("Nothing to merge: frame %llu is up to date\n",
			       (unsigned long long)res->prev_frame);
		else
			printf("Nothing to merge: no valid delta yet\n");
		return;
	}
	printf("%s frame %llu: %zu delta%s applied (%zu late), %zu event%s, %zu delta%s"
	       " quarantined%s", dry_run ? "Would merge" : "Merged",
	       (unsigned long long)res->frame, res->napplied, res->napplied == 1 ? "" : "s",
	       res->nlate, events, events == 1 ? "" : "s", res->nquarantined,
	       res->nquarantined == 1 ? "" : "s", res->refold ? ", folded again from genesis" : "");
	if (res->committed)
		printf(": %.12s\n", res->commit);
	else
		printf("\n");
	if (!quiet && res->npending)
		printf("%zu valid delta%s of later frames wait%s\n", res->npending,
		       res->npending == 1 ? "" : "s", res->npending == 1 ? "s" : "");
}

int cmd_merge(int argc, const char **argv)
{
	struct dc_merge_opts o = DC_MERGE_OPTS_INIT;
	struct dc_merge_result res = DC_MERGE_RESULT_INIT;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_progress progress;
	int json = 0, quiet = 0, code;
	struct dc_option opts[] = {
		OPT_U64(0, "frame", &o.frame, &o.has_frame, "<n>",
			"merge the deltas of frames <= n (default: every frame)"),
		OPT_BOOL('n', "dry-run", &o.dry_run, "show what would be merged, write nothing"),
		OPT_BOOL('q', "quiet", &quiet, "print only the summary line, no progress"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, merge_usage);
	if (argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
		dc_usage_with_options(merge_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "merge")))
		return code;
	dc_progress_init(&progress, quiet);
	o.progress = dc_progress_update;
	o.progress_data = &progress;
	code = dc_merge(&r, &o, &res, &err);
	dc_progress_done(&progress);
	if (code) {
		code = dc_report_error(&err, json, "merge");
		goto cleanup;
	}
	if (json)
		print_json(&res, o.dry_run);
	else
		print_human(&res, o.dry_run, quiet);
	code = 0;
cleanup:
	dc_merge_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
