#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "fleet.h"

static const char *const push_usage[] = {
	"git dc push [--to <branch>] [--attempts <n>] [-q | --quiet] [--json] [<remote>]",
	NULL,
};

static void print_json(const struct dc_push_result *res)
{
	struct json_object *doc = dc_json_doc(), *d = json_object_new_array();
	size_t i;

	json_object_object_add(doc, "command", json_object_new_string("push"));
	json_object_object_add(doc, "remote", json_object_new_string(res->remote));
	json_object_object_add(doc, "stream", json_object_new_string(res->stream));
	json_object_object_add(doc, "ref", json_object_new_string(res->ref));
	json_object_object_add(doc, "old", *res->old ? json_object_new_string(res->old) : NULL);
	json_object_object_add(doc, "new", *res->new_oid ?
			       json_object_new_string(res->new_oid) : NULL);
	json_object_object_add(doc, "up_to_date", json_object_new_boolean(res->up_to_date));
	for (i = 0; i < res->ndeltas; i++)
		json_object_array_add(d, json_object_new_string(res->deltas[i]));
	json_object_object_add(doc, "deltas", d);
	json_object_object_add(doc, "attempts", json_object_new_int((int)res->attempts));
	json_object_object_add(doc, "rejected", json_object_new_int((int)res->rejected));
	json_object_object_add(doc, "took_in", json_object_new_boolean(res->took_in));
	dc_print_json(doc);
}

static void print_human(const struct dc_push_result *res)
{
	size_t i;

	if (res->up_to_date) {
		printf("Everything up-to-date: '%s' %s holds every delta of stream '%s'\n",
		       res->remote, res->ref, res->stream);
		return;
	}
	printf("Pushed %zu delta%s of stream '%s' to '%s' %s (", res->ndeltas,
	       res->ndeltas == 1 ? "" : "s", res->stream, res->remote, res->ref);
	if (*res->old)
		printf("%.12s..%.12s", res->old, res->new_oid);
	else
		printf("new ref %.12s", res->new_oid);
	printf(", %u attempt%s", res->attempts, res->attempts == 1 ? "" : "s");
	if (res->rejected)
		printf(", %u rejected", res->rejected);
	printf(")%s\n", res->took_in ? ", after taking in the remote's deltas" : "");
	for (i = 0; i < res->ndeltas; i++)
		printf("\t%s\n", res->deltas[i]);
}

int cmd_push(int argc, const char **argv)
{
	struct dc_push_opts o;
	struct dc_push_result res;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	uint64_t attempts = 0;
	int has_attempts = 0, json = 0, quiet = 0, code;
	struct dc_option opts[] = {
		OPT_STRING(0, "to", &o.to, "<branch>",
			   "push to this shared branch (fetch, rebase, retry) instead of the"
			   " stream's own ref"),
		OPT_U64(0, "attempts", &attempts, &has_attempts, "<n>",
			"give up after n rejected pushes (default 10)"),
		OPT_BOOL('q', "quiet", &quiet, "print nothing when the push succeeds"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	argc = dc_parse_options(argc - 1, argv + 1, opts, push_usage);
	if (argc > 1) {
		fprintf(stderr, "error: too many arguments\n");
		dc_usage_with_options(push_usage, opts, 1);
	}
	if (has_attempts && (!attempts || attempts > 1000)) {
		fprintf(stderr, "error: --attempts takes a number from 1 to 1000\n");
		dc_usage_with_options(push_usage, opts, 1);
	}
	o.attempts = (unsigned)attempts;
	o.remote = argc ? argv[1] : NULL;
	if ((code = dc_open_repo(&r, json, "push")))
		return code;
	if (dc_push(&r, &o, &res, &err)) {
		code = dc_report_error(&err, json, "push");
		goto cleanup;
	}
	if (json)
		print_json(&res);
	else if (!quiet)
		print_human(&res);
	code = 0;
cleanup:
	dc_push_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
