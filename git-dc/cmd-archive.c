#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "merge.h"
#include "progress.h"

static const char *const archive_usage[] = {
	"git dc archive --before <frame> [--dry-run] [-q | --quiet] [--json]",
	NULL,
};

static void print_json(const struct dc_archive_result *res, int dry_run)
{
	struct json_object *doc = dc_json_doc(), *a = json_object_new_array();
	size_t i;

	json_object_object_add(doc, "command", json_object_new_string("archive"));
	json_object_object_add(doc, "dry_run", json_object_new_boolean(dry_run));
	json_object_object_add(doc, "branch", dc_json_str(res->refname));
	json_object_object_add(doc, "before", json_object_new_int64((int64_t)res->before));
	json_object_object_add(doc, "frame", json_object_new_int64((int64_t)res->frame));
	json_object_object_add(doc, "noop", json_object_new_boolean(res->noop));
	json_object_object_add(doc, "committed", json_object_new_boolean(res->committed));
	json_object_object_add(doc, "commit", res->committed ? json_object_new_string(res->commit) :
			       NULL);
	for (i = 0; i < res->narchived; i++)
		json_object_array_add(a, json_object_new_string(res->archived[i]));
	json_object_object_add(doc, "archived", a);
	json_object_object_add(doc, "kept", json_object_new_int64((int64_t)res->nkept));
	json_object_object_add(doc, "snapshot_files",
			       json_object_new_int64((int64_t)res->nsnapshot));
	dc_print_json(doc);
}

int cmd_archive(int argc, const char **argv)
{
	struct dc_archive_opts o = { 0 };
	struct dc_archive_result res = { 0 };
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_progress progress;
	int json = 0, quiet = 0, has_before = 0, code;
	struct dc_option opts[] = {
		OPT_FRAME(0, "before", &o.before, &has_before, "<frame>",
			"archive the deltas of every frame below this one"),
		OPT_BOOL('n', "dry-run", &o.dry_run, "build the archive and prove it, commit nothing"),
		OPT_BOOL('q', "quiet", &quiet, "no progress, and no summary"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, archive_usage);
	if (argc > 0) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
		dc_usage_with_options(archive_usage, opts, 1);
	}
	if (!has_before) {
		fprintf(stderr, "error: --before <frame> is required\n");
		dc_usage_with_options(archive_usage, opts, 1);
	}
	if (!o.before) {
		fprintf(stderr, "error: --before needs a frame of 1 or more\n");
		dc_usage_with_options(archive_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "archive")))
		return code;
	dc_progress_init(&progress, quiet || json);
	o.progress = dc_progress_update;
	o.progress_data = &progress;
	code = dc_archive(&r, &o, &res, &err);
	dc_progress_done(&progress);
	if (code) {
		code = dc_report_error(&err, json, "archive");
		goto cleanup;
	}
	if (json) {
		print_json(&res, o.dry_run);
	} else if (!quiet) {
		if (res.noop)
			printf("Nothing to archive: frames before %llu are already archived\n",
			       (unsigned long long)res.before);
		else
			printf("%s %zu delta%s of frames before %llu (%zu kept); snapshot of frame"
			       " %llu in %zu file%s; proved against frame %llu%s%.12s\n",
			       o.dry_run ? "Would archive" : "Archived", res.narchived,
			       res.narchived == 1 ? "" : "s", (unsigned long long)res.before,
			       res.nkept, (unsigned long long)(res.before - 1), res.nsnapshot,
			       res.nsnapshot == 1 ? "" : "s", (unsigned long long)res.frame,
			       res.committed ? " as " : "", res.committed ? res.commit : "");
	}
	code = 0;
cleanup:
	dc_archive_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
