#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "init.h"

static const char *const delta_usage[] = {
	"git dc delta [--frame <n>] [--stream <id>] [--utc <instant>] [-q | --quiet] [--json]"
	" [<file> | -]",
	NULL,
};

/* Read the delta, at most `max` bytes and one more (enough for
 * dc_add_delta() to refuse it: memory stays bounded). */
static int slurp(struct dc_buf *out, const char *path, uint64_t max, struct dc_err *err)
{
	FILE *f = (!path || !strcmp(path, "-")) ? stdin : fopen(path, "rb");

	if (!f) {
		dc_err_set(err, DC_ERR_FATAL, "cannot read '%s': %s", path, strerror(errno));
		dc_err_hint(err, "give the path of a delta file, or '-' to read it from standard"
			    " input");
		return -1;
	}
	for (;;) {
		char chunk[65536];
		size_t got = fread(chunk, 1, sizeof(chunk), f);
		dc_buf_add(out, chunk, got);
		if (got < sizeof(chunk) || out->len > max)
			break;
	}
	if (ferror(f)) {
		if (f != stdin)
			fclose(f);
		return dc_err_set(err, DC_ERR_FATAL, "cannot read '%s'", path ? path : "stdin");
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

int cmd_delta(int argc, const char **argv)
{
	struct dc_add_opts o;
	struct dc_add_result res;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf in = DC_BUF_INIT;
	int json = 0, quiet = 0, code;
	uint64_t max;
	struct dc_option opts[] = {
		OPT_U64(0, "frame", &o.frame, &o.has_frame, "<n>",
			"the frame (default: the delta's, else the one after the merged frame)"),
		OPT_STRING(0, "stream", &o.stream, "<id>",
			   "the stream id (default: the delta's, branch dc/streams/<id>, dc.stream)"),
		OPT_STRING(0, "utc", &o.utc, "<instant>",
			   "the delta's utc when it has none (default: now)"),
		OPT_BOOL('q', "quiet", &quiet, "print nothing when the delta is committed"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	argc = dc_parse_options(argc - 1, argv + 1, opts, delta_usage);
	if (argc > 1) {
		fprintf(stderr, "error: too many arguments\n");
		dc_usage_with_options(delta_usage, opts, 1);
	}
	o.input_path = argc ? argv[1] : NULL;
	if (o.input_path && !strcmp(o.input_path, "-"))
		o.input_path = NULL;
	if ((code = dc_open_repo(&r, json, "delta")))
		return code;
	if (dc_add_delta_limit(&max, &r, &err) || slurp(&in, o.input_path, max, &err)) {
		code = dc_report_error(&err, json, "delta");
		goto cleanup;
	}
	o.input = in.buf;
	o.len = in.len;
	if (dc_add_delta(&r, &o, &res, &err)) {
		code = dc_report_error(&err, json, "delta");
		goto cleanup;
	}
	if (json) {
		struct json_object *doc = dc_json_doc();
		json_object_object_add(doc, "command", json_object_new_string("delta"));
		json_object_object_add(doc, "path", json_object_new_string(res.path));
		json_object_object_add(doc, "frame", json_object_new_int64((int64_t)res.frame));
		json_object_object_add(doc, "stream", json_object_new_string(res.stream));
		json_object_object_add(doc, "utc", json_object_new_string(res.utc));
		json_object_object_add(doc, "blob", json_object_new_string(res.blob));
		json_object_object_add(doc, "committed", json_object_new_boolean(res.committed));
		json_object_object_add(doc, "commit", res.committed ?
				       json_object_new_string(res.commit) : NULL);
		dc_print_json(doc);
	} else if (!quiet) {
		if (res.committed)
			printf("Committed %s in %.12s\n", res.path, res.commit);
		else
			printf("Already committed: %s (identical bytes)\n", res.path);
	}
	code = 0;
cleanup:
	dc_add_result_release(&res);
	dc_buf_release(&in);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
