#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "json.h"
#include "merge.h"
#include "primary.h"
#include "progress.h"

static const char *const merge_usage[] = {
	"git dc merge [--frame <n>] [-n | --dry-run] [-q | --quiet] [--json]",
	"git dc merge [<options>] --streams",
	"git dc merge [<options>] --fetch [--push] [<remote>]",
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

static void print_json(const struct dc_primary_result *pr, int dry_run, int fleet)
{
	const struct dc_merge_result *res = &pr->merge;
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
	if (fleet) {
		struct json_object *co = json_object_new_array();
		for (i = 0; i < res->nconsumed; i++)
			json_object_array_add(co, json_object_new_string(res->consumed[i]));
		json_object_object_add(doc, "streams", co);
		json_object_object_add(doc, "streams_skipped",
				       notes_json(res->skipped, res->nskipped));
		json_object_object_add(doc, "pushed", json_object_new_boolean(pr->pushed));
		json_object_object_add(doc, "attempts", json_object_new_int((int)pr->attempts));
		json_object_object_add(doc, "lost_races", json_object_new_int((int)pr->lost_races));
		json_object_object_add(doc, "remote_tip", pr->remote_tip[0] ?
				       json_object_new_string(pr->remote_tip) : NULL);
	}
	dc_print_json(doc);
}

static void print_human(const struct dc_merge_result *res, int dry_run, int quiet)
{
	size_t i, events = 0;

	for (i = 0; i < res->nsections; i++)
		events += res->sections[i].applied;
	if (!quiet) {
		for (i = 0; i < res->nquarantined; i++)
			printf("quarantined %s: %s\n", dc_printable(res->quarantined[i].path),
			       res->quarantined[i].reason);
		for (i = 0; i < res->nunknown; i++)
			printf("unknown     %s: %s\n", dc_printable(res->unknown[i].path),
			       res->unknown[i].reason);
		for (i = 0; i < res->nevents_quarantined; i++) {
			const struct dc_merge_event_note *n = &res->events_quarantined[i];
			printf("event       %s: %s[%zu]: %s\n", dc_printable(n->path), n->section, n->index,
			       n->reason);
		}
		for (i = 0; i < res->nlate; i++)
			printf("late        %s: frame %llu arrived after frame %llu was merged\n",
			       dc_printable(res->late[i].path), (unsigned long long)res->late[i].frame,
			       (unsigned long long)res->prev_frame);
	}
	if (res->edited)
		fprintf(stderr, "warning: the state is not what 'git dc merge' wrote (%s):"
			" folding again from genesis\n", res->edited);
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
	       res->nquarantined == 1 ? "" : "s", res->refold ? res->from_snapshot ?
	       ", folded again from the archive snapshot" : ", folded again from genesis" : "");
	if (res->committed)
		printf(": %.12s\n", res->commit);
	else
		printf("\n");
	if (!quiet && res->npending)
		printf("%zu valid delta%s of later frames wait%s\n", res->npending,
		       res->npending == 1 ? "" : "s", res->npending == 1 ? "s" : "");
}

static void print_fleet(const struct dc_primary_result *pr, const char *remote, int quiet)
{
	const struct dc_merge_result *res = &pr->merge;
	size_t i;

	for (i = 0; i < res->nskipped; i++)
		printf("skipped     %s: %s\n", dc_printable(res->skipped[i].path), res->skipped[i].reason);
	if (!quiet && res->nconsumed)
		printf("Took in %zu stream%s\n", res->nconsumed, res->nconsumed == 1 ? "" : "s");
	if (pr->lost_races)
		printf("Lost %u race%s to another primary; folded again on its commit\n",
		       pr->lost_races, pr->lost_races == 1 ? "" : "s");
	if (pr->pushed)
		printf("Pushed %.12s to %s\n", pr->remote_tip, remote);
}

int cmd_merge(int argc, const char **argv)
{
	struct dc_primary_opts po;
	struct dc_primary_result pr;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_progress progress;
	int json = 0, quiet = 0, fetch = 0, push = 0, streams = 0, code;
	struct dc_merge_opts *o = &po.merge;
	struct dc_option opts[] = {
		OPT_FRAME(0, "frame", &po.merge.frame, &po.merge.has_frame, "<n>",
			"merge the deltas of frames <= n (default: every frame)"),
		OPT_BOOL('n', "dry-run", &po.merge.dry_run, "show what would be merged, write nothing"),
		OPT_BOOL('q', "quiet", &quiet, "print only the summary line, no progress"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_BOOL(0, "streams", &streams, "take in the local refs/heads/dc/streams/* tips"),
		OPT_BOOL(0, "fetch", &fetch, "fetch the remote's stream refs and take them in"),
		OPT_BOOL(0, "push", &push, "then move the remote's branch (compare-and-swap)"),
		OPT_END(),
	};

	memset(&po, 0, sizeof(po));
	memset(&pr, 0, sizeof(pr));
	argc = dc_parse_options(argc - 1, argv + 1, opts, merge_usage);
	if (argc > (fetch ? 1 : 0)) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[fetch ? 2 : 1]);
		dc_usage_with_options(merge_usage, opts, 1);
	}
	if (push && !fetch) {
		fprintf(stderr, "error: --push needs --fetch\n");
		dc_usage_with_options(merge_usage, opts, 1);
	}
	if (streams && fetch) {
		fprintf(stderr, "error: --streams and --fetch cannot be used together\n");
		dc_usage_with_options(merge_usage, opts, 1);
	}
	if (fetch)
		po.remote = argc ? argv[1] : "origin";
	po.push = push;
	if ((code = dc_open_repo(&r, json, "merge")))
		return code;
	dc_progress_init(&progress, quiet);
	dc_json_keep_at_exit = 1;	/* one merge (a few on lost races), then exit */
	o->progress = dc_progress_update;
	o->progress_data = &progress;
	if (fetch || streams)
		code = dc_primary_merge(&r, &po, &pr, &err);
	else
		code = dc_merge(&r, o, &pr.merge, &err);
	dc_progress_done(&progress);
	if (code) {
		code = dc_report_error(&err, json, "merge");
		goto cleanup;
	}
	if (json) {
		print_json(&pr, o->dry_run, fetch || streams);
	} else {
		print_human(&pr.merge, o->dry_run, quiet);
		if (fetch || streams)
			print_fleet(&pr, po.remote, quiet);
	}
	code = 0;
cleanup:
	dc_primary_result_release(&pr);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
