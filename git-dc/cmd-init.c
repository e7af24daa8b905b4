#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "init.h"
#include "install.h"

static const char *const init_usage[] = {
	"git dc init [--preset <name>] [--force] [-q | --quiet] [--json]",
	"git dc init --no-hooks [--preset <name>] [--force] [-q | --quiet] [--json]",
	"git dc init --server [-q | --quiet] [--json]",
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

static void print_install_warnings(const struct dc_install_result *ir)
{
	if (ir->attributes_no_rules)
		fprintf(stderr, "warning: info/attributes not written: HEAD holds no rules yet\n"
			"hint: run 'git dc init --server' again once the genesis commit is pushed\n");
}

static void print_install(const struct dc_install_result *ir)
{
	size_t i;

	for (i = 0; i < ir->nchained; i++)
		printf("Kept the %s hook that was there: it runs after git-dc's check (%s/%s%s)\n",
		       ir->chained[i], ir->hooks_dir, ir->chained[i], DC_HOOK_CHAINED_SUFFIX);
	print_install_warnings(ir);
}

int cmd_init(int argc, const char **argv)
{
	struct dc_init_opts o = { NULL, 0 };
	struct dc_init_result res;
	struct dc_install_opts io = { 0, 0, NULL };
	struct dc_install_result ir;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	int json = 0, quiet = 0, code, installed;
	size_t i;
	struct dc_option opts[] = {
		OPT_STRING(0, "preset", &o.preset, "<name>",
			   "write the rules of a preset: minimal, rappterbook"),
		OPT_BOOL(0, "force", &o.force, "replace other rules already there"),
		OPT_BOOL(0, "no-hooks", &io.no_hooks, "set the configuration, install no hook"),
		OPT_BOOL(0, "server", &io.server,
			 "install the server side in a bare repository (no commit)"),
		OPT_BOOL('q', "quiet", &quiet, "print only errors and warnings"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	memset(&res, 0, sizeof(res));
	memset(&ir, 0, sizeof(ir));
	argc = dc_parse_options(argc - 1, argv + 1, opts, init_usage);
	if (argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
		dc_usage_with_options(init_usage, opts, 1);
	}
	if (io.server && (o.preset || o.force || io.no_hooks)) {
		fprintf(stderr, "error: --server takes no other option than --quiet and --json\n");
		dc_usage_with_options(init_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "init")))
		return code;
	if (io.server && !r.bare) {
		dc_err_set(&err, DC_ERR_REFUSED, "'git dc init --server' is for the shared bare"
			   " repository, and this one has a work tree");
		dc_err_hint(&err, "in a clone, run 'git dc init'");
		code = dc_report_error(&err, json, "init");
		goto cleanup;
	}
	if (!io.server && dc_init(&r, &o, &res, &err)) {
		code = dc_report_error(&err, json, "init");
		goto cleanup;
	}
	for (i = 0; i < res.nuncommitted; i++)
		fprintf(stderr, "warning: canonical file '%s' is not committed, so it is not part"
			" of genesis\nhint: commit it first if it holds the starting state\n",
			res.uncommitted[i]);
	if (res.committed && !json && !quiet) {
		printf("Initialized the dc repository in %.12s", res.commit);
		if (res.preset)
			printf(" (preset %s)", res.preset);
		printf(": %s%s%s\n", res.rules_written ? ".dc/rules.json" : "",
		       res.rules_written && res.attributes_written ? ", " : "",
		       res.attributes_written ? ".gitattributes" : "");
	}
	if (dc_install(&r, &io, &ir, &err)) {
		code = dc_report_error(&err, json, "init");
		goto cleanup;
	}
	installed = ir.nwritten || ir.nconfig || ir.attributes_written;
	if (json) {
		struct json_object *doc = dc_json_doc(), *hooks = json_object_new_object();
		json_object_object_add(doc, "command", json_object_new_string("init"));
		json_object_object_add(doc, "committed", json_object_new_boolean(res.committed));
		json_object_object_add(doc, "commit", res.committed ?
				       json_object_new_string(res.commit) : NULL);
		json_object_object_add(doc, "preset", dc_json_str(res.preset));
		json_object_object_add(doc, "rules_written",
				       json_object_new_boolean(res.rules_written));
		json_object_object_add(doc, "attributes_written",
				       json_object_new_boolean(res.attributes_written));
		json_object_object_add(hooks, "dir", dc_json_str(ir.hooks_dir));
		json_object_object_add(hooks, "written", names_json(ir.written, ir.nwritten));
		json_object_object_add(hooks, "chained", names_json(ir.chained, ir.nchained));
		json_object_object_add(doc, "hooks", hooks);
		json_object_object_add(doc, "config", names_json(ir.config, ir.nconfig));
		json_object_object_add(doc, "server_attributes_written",
				       json_object_new_boolean(ir.attributes_written));
		dc_print_json(doc);
	} else if (quiet) {
		print_install_warnings(&ir);
	} else {
		print_install(&ir);
		if (io.server)
			printf(installed ? "Installed the git-dc server side: the pre-receive hook in"
			       " %s, the merge driver's configuration%s\n" :
			       "Already installed in %s: nothing to do%s\n", ir.hooks_dir,
			       ir.attributes_written ? " and info/attributes" : "");
		else if (!res.committed)
			printf(installed ? "Already a dc repository: installed git-dc's hooks and"
			       " configuration\n" : "Already a dc repository: nothing to do\n");
	}
	code = 0;
cleanup:
	dc_install_result_release(&ir);
	dc_init_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
