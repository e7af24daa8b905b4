#include <stdio.h>
#include "builtin.h"
#include "init.h"

static const char *const init_usage[] = {
	"git dc init [--preset <name>] [--force] [--json]",
	NULL,
};

int cmd_init(int argc, const char **argv)
{
	struct dc_init_opts o = { NULL, 0 };
	struct dc_init_result res;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	int json = 0, code;
	size_t i;
	struct dc_option opts[] = {
		OPT_STRING(0, "preset", &o.preset, "<name>",
			   "write the rules of a preset: minimal, rappterbook"),
		OPT_BOOL(0, "force", &o.force, "replace other rules already there"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, init_usage);
	if (argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
		dc_usage_with_options(init_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "init")))
		return code;
	if (dc_init(&r, &o, &res, &err)) {
		code = dc_report_error(&err, json, "init");
		goto cleanup;
	}
	for (i = 0; i < res.nuncommitted; i++)
		fprintf(stderr, "warning: canonical file '%s' is not committed, so it is not part"
			" of genesis\nhint: commit it first if it holds the starting state\n",
			res.uncommitted[i]);
	if (json) {
		struct json_object *doc = dc_json_doc();
		json_object_object_add(doc, "command", json_object_new_string("init"));
		json_object_object_add(doc, "committed", json_object_new_boolean(res.committed));
		json_object_object_add(doc, "commit", res.committed ?
				       json_object_new_string(res.commit) : NULL);
		json_object_object_add(doc, "preset", dc_json_str(res.preset));
		json_object_object_add(doc, "rules_written",
				       json_object_new_boolean(res.rules_written));
		json_object_object_add(doc, "attributes_written",
				       json_object_new_boolean(res.attributes_written));
		dc_print_json(doc);
	} else if (res.committed) {
		printf("Initialized the dc repository in %.12s", res.commit);
		if (res.preset)
			printf(" (preset %s)", res.preset);
		printf(": %s%s%s\n", res.rules_written ? ".dc/rules.json" : "",
		       res.rules_written && res.attributes_written ? ", " : "",
		       res.attributes_written ? ".gitattributes" : "");
	} else {
		printf("Already a dc repository: nothing to do\n");
	}
	code = 0;
cleanup:
	dc_init_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
