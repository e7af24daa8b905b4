#include <stdio.h>
#include "builtin.h"
#include "install.h"

static const char *const uninstall_usage[] = {
	"git dc uninstall [-q | --quiet] [--json]",
	NULL,
};

static struct json_object *names_json(char **names, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(names[i]));
	return a;
}

int cmd_uninstall(int argc, const char **argv)
{
	struct dc_uninstall_result res;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	int json = 0, quiet = 0, code;
	size_t i;
	struct dc_option opts[] = {
		OPT_BOOL('q', "quiet", &quiet, "print only errors and warnings"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, uninstall_usage);
	if (argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
		dc_usage_with_options(uninstall_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "uninstall")))
		return code;
	if (dc_uninstall(&r, &res, &err)) {
		code = dc_report_error(&err, json, "uninstall");
		goto cleanup;
	}
	for (i = 0; i < res.nkept; i++)
		fprintf(stderr, "warning: %s\n", res.kept[i]);
	if (json) {
		struct json_object *doc = dc_json_doc();
		json_object_object_add(doc, "command", json_object_new_string("uninstall"));
		json_object_object_add(doc, "recorded", json_object_new_boolean(res.recorded));
		json_object_object_add(doc, "removed", names_json(res.removed, res.nremoved));
		json_object_object_add(doc, "restored", names_json(res.restored, res.nrestored));
		json_object_object_add(doc, "config", names_json(res.config, res.nconfig));
		json_object_object_add(doc, "attributes_restored",
				       json_object_new_boolean(res.attributes_restored));
		json_object_object_add(doc, "kept", names_json(res.kept, res.nkept));
		dc_print_json(doc);
	} else if (!quiet) {
		for (i = 0; i < res.nremoved; i++)
			printf("removed hook    %s\n", res.removed[i]);
		for (i = 0; i < res.nrestored; i++)
			printf("restored hook   %s (the one that was there before)\n",
			       res.restored[i]);
		for (i = 0; i < res.nconfig; i++)
			printf("restored config %s\n", res.config[i]);
		if (res.attributes_restored)
			printf("restored file   info/attributes\n");
		if (!res.recorded)
			printf("No installation recorded: removed the git-dc hooks found, if any\n");
		else
			printf("Uninstalled git-dc's hooks and configuration\n");
	}
	code = 0;
cleanup:
	dc_uninstall_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
