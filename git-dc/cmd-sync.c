#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "sync.h"

static const char *const sync_usage[] = {
	"git dc sync [--merge] [-q | --quiet] [--json] [<remote> [<branch>]]",
	NULL,
};

static void print_human(const struct dc_sync_result *res)
{
	if (!strcmp(res->mode, "up-to-date")) {
		printf("Already up to date with '%s' of '%s'\n", res->branch, res->remote);
		return;
	}
	printf("Synced with '%s' of '%s' (%s): %zu commit%s, %zu new delta%s", res->branch,
	       res->remote, res->mode, res->commits, res->commits == 1 ? "" : "s", res->ndeltas,
	       res->ndeltas == 1 ? "" : "s");
	if (res->has_frame && res->had_frame && res->frame_before != res->frame_after)
		printf(", merged frame %llu -> %llu", (unsigned long long)res->frame_before,
		       (unsigned long long)res->frame_after);
	else if (res->has_frame && !res->had_frame)
		printf(", merged frame %llu", (unsigned long long)res->frame_after);
	printf(": %.12s\n", res->now);
}

int cmd_sync(int argc, const char **argv)
{
	struct dc_sync_opts o = { NULL, NULL, 0 };
	struct dc_sync_result res;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	int json = 0, quiet = 0, code;
	size_t i;
	struct dc_option opts[] = {
		OPT_BOOL(0, "merge", &o.merge, "merge diverged histories instead of rebasing"),
		OPT_BOOL('q', "quiet", &quiet, "print nothing when the sync succeeds"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	memset(&res, 0, sizeof(res));
	argc = dc_parse_options(argc - 1, argv + 1, opts, sync_usage);
	if (argc > 2) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[3]);
		dc_usage_with_options(sync_usage, opts, 1);
	}
	o.remote = argc > 0 ? argv[1] : NULL;
	o.branch = argc > 1 ? argv[2] : NULL;
	if ((code = dc_open_repo(&r, json, "sync")))
		return code;
	if (dc_sync(&r, &o, &res, &err)) {
		code = dc_report_error(&err, json, "sync");
		goto cleanup;
	}
	if (json) {
		struct json_object *doc = dc_json_doc(), *d = json_object_new_array();
		json_object_object_add(doc, "command", json_object_new_string("sync"));
		json_object_object_add(doc, "branch", json_object_new_string(res.refname));
		json_object_object_add(doc, "remote", json_object_new_string(res.remote));
		json_object_object_add(doc, "upstream", json_object_new_string(res.branch));
		json_object_object_add(doc, "mode", json_object_new_string(res.mode));
		json_object_object_add(doc, "old", json_object_new_string(res.old));
		json_object_object_add(doc, "fetched", json_object_new_string(res.upstream));
		json_object_object_add(doc, "new", json_object_new_string(res.now));
		json_object_object_add(doc, "commits", json_object_new_int64((int64_t)res.commits));
		for (i = 0; i < res.ndeltas; i++)
			json_object_array_add(d, json_object_new_string(res.deltas[i]));
		json_object_object_add(doc, "deltas", d);
		json_object_object_add(doc, "frame_before", res.had_frame ?
				       json_object_new_int64((int64_t)res.frame_before) : NULL);
		json_object_object_add(doc, "frame", res.has_frame ?
				       json_object_new_int64((int64_t)res.frame_after) : NULL);
		dc_print_json(doc);
	} else if (!quiet) {
		print_human(&res);
	}
	code = 0;
cleanup:
	dc_sync_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
