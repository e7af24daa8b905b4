#include <stdio.h>
#include "builtin.h"
#include "install.h"

static const char *const doctor_usage[] = {
	"git dc doctor [--json]",
	NULL,
};

int cmd_doctor(int argc, const char **argv)
{
	struct dc_doctor_result res;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	int json = 0, code;
	size_t i;
	struct dc_option opts[] = {
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, doctor_usage);
	if (argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
		dc_usage_with_options(doctor_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "doctor")))
		return code;
	if (dc_doctor(&r, &res, &err)) {
		code = dc_report_error(&err, json, "doctor");
		goto cleanup;
	}
	if (json) {
		struct json_object *doc = dc_json_doc(), *arr = json_object_new_array();
		json_object_object_add(doc, "command", json_object_new_string("doctor"));
		json_object_object_add(doc, "ok", json_object_new_boolean(!res.n));
		json_object_object_add(doc, "dc", json_object_new_boolean(res.dc));
		json_object_object_add(doc, "bare", json_object_new_boolean(res.bare));
		json_object_object_add(doc, "hooks_dir", json_object_new_string(res.hooks_shown));
		json_object_object_add(doc, "hooks_path", dc_json_str(res.hooks_path));
		for (i = 0; i < res.n; i++) {
			struct json_object *p = json_object_new_object();
			json_object_object_add(p, "check",
					       json_object_new_string(res.problems[i].check));
			json_object_object_add(p, "path", json_object_new_string(res.problems[i].path));
			json_object_object_add(p, "message",
					       json_object_new_string(res.problems[i].message));
			json_object_object_add(p, "hint", dc_json_str(res.problems[i].hint));
			json_object_array_add(arr, p);
		}
		json_object_object_add(doc, "problems", arr);
		dc_print_json(doc);
	} else {
		for (i = 0; i < res.n; i++) {
			printf("%s: %s\n", res.problems[i].check, res.problems[i].message);
			if (res.problems[i].hint)
				printf("  fix: %s\n", res.problems[i].hint);
		}
		if (res.n)
			printf("%zu problem%s found\n", res.n, res.n == 1 ? "" : "s");
		else
			printf("No problem found: hooks, merge driver, autostash settings%s\n",
			       res.dc ? ", canonical files and deltas" : "");
	}
	code = res.n ? 1 : 0;
cleanup:
	dc_doctor_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
