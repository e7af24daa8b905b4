#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "merge.h"

static const char *const status_usage[] = {
	"git dc status [--json]",
	NULL,
};

int cmd_status(int argc, const char **argv)
{
	struct dc_merge_opts o = DC_MERGE_OPTS_INIT;
	struct dc_merge_result res = DC_MERGE_RESULT_INIT;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	int json = 0, code;
	size_t i;
	struct dc_option opts[] = {
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, status_usage);
	if (argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
		dc_usage_with_options(status_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "status")))
		return code;
	o.plan_only = 1;
	if (dc_merge(&r, &o, &res, &err)) {
		code = dc_report_error(&err, json, "status");
		goto cleanup;
	}
	if (json) {
		struct json_object *doc = dc_json_doc(), *rules = json_object_new_object(),
			*secs = json_object_new_array(), *pend = json_object_new_array(),
			*quar = json_object_new_array();
		json_object_object_add(doc, "command", json_object_new_string("status"));
		json_object_object_add(doc, "branch", json_object_new_string(res.refname));
		json_object_object_add(doc, "head", json_object_new_string(res.head_commit));
		json_object_object_add(doc, "frame", res.had_head ?
				       json_object_new_int64((int64_t)res.prev_frame) : NULL);
		json_object_object_add(doc, "applied",
				       json_object_new_int64((int64_t)res.prev_applied));
		for (i = 0; i < res.npending; i++) {
			struct json_object *p = json_object_new_object();
			json_object_object_add(p, "path", json_object_new_string(res.pending[i].path));
			json_object_object_add(p, "frame",
					       json_object_new_int64((int64_t)res.pending[i].frame));
			json_object_object_add(p, "stream",
					       json_object_new_string(res.pending[i].stream));
			json_object_object_add(p, "utc", json_object_new_string(res.pending[i].utc));
			json_object_object_add(p, "late", json_object_new_boolean(
				res.had_head && res.pending[i].frame <= res.prev_frame));
			json_object_array_add(pend, p);
		}
		json_object_object_add(doc, "pending", pend);
		for (i = 0; i < res.nquarantined; i++) {
			struct json_object *q = json_object_new_object();
			json_object_object_add(q, "path",
					       json_object_new_string(res.quarantined[i].path));
			json_object_object_add(q, "frame", res.quarantined[i].has_frame ?
				json_object_new_int64((int64_t)res.quarantined[i].frame) : NULL);
			json_object_object_add(q, "stream", dc_json_str(res.quarantined[i].stream));
			json_object_object_add(q, "reason",
					       json_object_new_string(res.quarantined[i].reason));
			json_object_array_add(quar, q);
		}
		json_object_object_add(doc, "quarantined", quar);
		json_object_object_add(rules, "path", json_object_new_string(".dc/rules.json"));
		json_object_object_add(rules, "blob", json_object_new_string(res.rules_oid));
		json_object_object_add(rules, "deltas", json_object_new_string(res.deltas_dir));
		json_object_object_add(rules, "layout", json_object_new_string(
			res.layout_by_frame ? "by-frame" : "flat"));
		for (i = 0; i < res.nsections; i++)
			json_object_array_add(secs, json_object_new_string(res.sections[i].name));
		json_object_object_add(rules, "sections", secs);
		json_object_object_add(doc, "rules", rules);
		dc_print_json(doc);
		code = 0;
		goto cleanup;
	}
	printf("On %s, rules .dc/rules.json (blob %.12s), deltas in %s (%s layout)\n",
	       res.refname, res.rules_oid, res.deltas_dir, res.layout_by_frame ? "by-frame" : "flat");
	if (res.had_head)
		printf("Merged up to frame %llu (%llu delta%s)\n", (unsigned long long)res.prev_frame,
		       (unsigned long long)res.prev_applied, res.prev_applied == 1 ? "" : "s");
	else
		printf("Never merged\n");
	if (res.npending) {
		printf("\nPending deltas (%zu):\n", res.npending);
		for (i = 0; i < res.npending; i++)
			printf("  frame %-6llu %-24s %s%s\n", (unsigned long long)res.pending[i].frame,
			       res.pending[i].stream, dc_printable(res.pending[i].path),
			       res.had_head && res.pending[i].frame <= res.prev_frame ? " (late)" : "");
	} else {
		printf("No pending deltas\n");
	}
	if (res.nquarantined) {
		printf("\nQuarantined deltas (%zu), never applied:\n", res.nquarantined);
		for (i = 0; i < res.nquarantined; i++)
			printf("  %s: %s\n", dc_printable(res.quarantined[i].path), res.quarantined[i].reason);
	}
	code = 0;
cleanup:
	dc_merge_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
