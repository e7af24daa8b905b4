#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "audit.h"
#include "audit-out.h"
#include "jdiff.h"
#include "progress.h"

static const char *const verify_usage[] = {
	"git dc verify [--from <frame> | --tip] [-q | --quiet] [--json] [<rev>]",
	NULL,
};

#define SHOW_MAX 200

/* "<path>: <pointer>: expected <v>, committed <v> (and N more differences)" */
static void detail_line(struct dc_buf *out, const struct dc_verify_problem *x)
{
	if (x->layout_only) {
		dc_buf_addf(out, "%s: the value is right but the bytes are not the canonical layout",
			    x->path);
		return;
	}
	if (!x->pointer)
		return;
	dc_buf_addf(out, "%s: %s: expected ", x->path, *x->pointer ? x->pointer : "(the whole file)");
	dc_jdiff_show(out, x->expected, SHOW_MAX);
	dc_buf_adds(out, ", committed ");
	dc_jdiff_show(out, x->actual, SHOW_MAX);
	if (x->ndiff > 1)
		dc_buf_addf(out, " (and %zu more difference%s)", x->ndiff - 1,
			    x->ndiff == 2 ? "" : "s");
}

static void print_json(const struct dc_verify_result *res, const struct dc_verify_opts *o)
{
	struct json_object *doc = dc_json_doc(), *pa = json_object_new_array();
	size_t i;

	json_object_object_add(doc, "command", json_object_new_string("verify"));
	json_object_object_add(doc, "ok", json_object_new_boolean(!res->n));
	json_object_object_add(doc, "tip_only", json_object_new_boolean(o->tip_only));
	json_object_object_add(doc, "from", o->has_from ?
			       json_object_new_int64((int64_t)o->from) : NULL);
	json_object_object_add(doc, "frame", res->has_frame ?
			       json_object_new_int64((int64_t)res->frame) : NULL);
	json_object_object_add(doc, "commits", json_object_new_int64((int64_t)res->commits));
	json_object_object_add(doc, "checked", json_object_new_int64((int64_t)res->checked));
	json_object_object_add(doc, "compared", json_object_new_int64((int64_t)res->compared));
	json_object_object_add(doc, "rechecked", json_object_new_int64((int64_t)res->rechecked));
	json_object_object_add(doc, "deltas_folded", json_object_new_int64((int64_t)res->deltas));
	for (i = 0; i < res->n; i++) {
		const struct dc_verify_problem *x = &res->problems[i];
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "commit", json_object_new_string(x->commit));
		json_object_object_add(p, "path", json_object_new_string(x->path));
		json_object_object_add(p, "rule", json_object_new_string(x->rule));
		json_object_object_add(p, "message", json_object_new_string(x->message));
		json_object_object_add(p, "hint", dc_json_str(x->hint));
		json_object_object_add(p, "pointer", dc_json_str(x->pointer));
		if (x->pointer) {
			json_object_object_add(p, "expected_present",
					       json_object_new_boolean(x->expected != NULL));
			json_object_object_add(p, "expected", dc_audit_value_json(x->expected));
			json_object_object_add(p, "committed_present",
					       json_object_new_boolean(x->actual != NULL));
			json_object_object_add(p, "committed", dc_audit_value_json(x->actual));
			json_object_object_add(p, "differences",
					       json_object_new_int64((int64_t)x->ndiff));
		}
		json_object_object_add(p, "layout_only", json_object_new_boolean(x->layout_only));
		json_object_array_add(pa, p);
	}
	json_object_object_add(doc, "problems", pa);
	dc_print_json(doc);
}

int cmd_verify(int argc, const char **argv)
{
	struct dc_verify_opts o = DC_VERIFY_OPTS_INIT;
	struct dc_verify_result res = DC_VERIFY_RESULT_INIT;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_progress progress;
	struct dc_buf b = DC_BUF_INIT;
	int json = 0, quiet = 0, code;
	size_t i, bad_commits = 0;
	git_oid tip;
	struct dc_option opts[] = {
		OPT_FRAME(0, "from", &o.from, &o.has_from, "<frame>",
			"check from the first commit that records this frame"),
		OPT_BOOL(0, "tip", &o.tip_only,
			 "only compare <rev> with a replay from genesis, not its history"),
		OPT_BOOL('q', "quiet", &quiet, "no progress, and no summary when all is well"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, verify_usage);
	if (argc > 1) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[2]);
		dc_usage_with_options(verify_usage, opts, 1);
	}
	if (o.tip_only && o.has_from) {
		fprintf(stderr, "error: --tip and --from cannot be used together\n");
		dc_usage_with_options(verify_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, json, "verify")))
		return code;
	if (dc_audit_commit(&tip, &r, argc ? argv[1] : NULL, &err)) {
		code = dc_report_error(&err, json, "verify");
		goto cleanup;
	}
	dc_progress_init(&progress, quiet);
	o.progress = dc_progress_update;
	o.progress_data = &progress;
	code = dc_verify(&res, &r, &tip, &o, &err);
	dc_progress_done(&progress);
	if (code) {
		code = dc_report_error(&err, json, "verify");
		goto cleanup;
	}
	for (i = 0; i < res.n; i++) {
		const struct dc_verify_problem *x = &res.problems[i];
		if (!i || strcmp(x->commit, res.problems[i - 1].commit))
			bad_commits++;
		fprintf(stderr, "error: commit %.12s: %s\n", x->commit, x->message);
		dc_buf_reset(&b);
		detail_line(&b, x);
		if (b.len)
			fprintf(stderr, "error: %s\n", b.buf);
		if (x->hint)
			fprintf(stderr, "hint: %s\n", x->hint);
	}
	if (json) {
		print_json(&res, &o);
	} else if (res.n) {
		printf("Verification failed: %zu problem%s in %zu commit%s, the first in %.12s\n",
		       res.n, res.n == 1 ? "" : "s", bad_commits, bad_commits == 1 ? "" : "s",
		       res.problems[0].commit);
	} else if (!quiet) {
		if (res.has_frame)
			printf("Verified %zu commit%s up to frame %llu: every canonical file is the"
			       " replay of the log\n", res.checked, res.checked == 1 ? "" : "s",
			       (unsigned long long)res.frame);
		else
			printf("Verified %zu commit%s: nothing merged yet\n", res.checked,
			       res.checked == 1 ? "" : "s");
	}
	code = res.n ? 1 : 0;
cleanup:
	dc_buf_release(&b);
	dc_verify_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
