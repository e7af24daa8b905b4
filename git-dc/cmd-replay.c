#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "builtin.h"
#include "audit.h"
#include "audit-out.h"
#include "merge.h"
#include "progress.h"

static const char *const replay_usage[] = {
	"git dc replay [--to <frame>] [--json] --out <dir>",
	"git dc replay [--to <frame>] [--json] <file>",
	NULL,
};

/* mkdir -p of the directories above `path` */
static int make_leading_dirs(const char *path, struct dc_err *err)
{
	struct dc_buf dir = DC_BUF_INIT;
	const char *p;
	int ret = 0;

	for (p = strchr(path + 1, '/'); p && !ret; p = strchr(p + 1, '/')) {
		dc_buf_reset(&dir);
		dc_buf_add(&dir, path, (size_t)(p - path));
		if (mkdir(dir.buf, 0777) && errno != EEXIST)
			ret = dc_err_set(err, DC_ERR_FATAL, "cannot create directory '%s': %s",
					 dir.buf, strerror(errno));
	}
	dc_buf_release(&dir);
	return ret;
}

int cmd_replay(int argc, const char **argv)
{
	struct dc_history h = DC_HISTORY_INIT;
	struct dc_replay p = DC_REPLAY_INIT;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_progress progress;
	struct dc_buf bytes = DC_BUF_INIT, path = DC_BUF_INIT;
	struct json_object *doc = NULL, *files = NULL;
	const char *out = NULL, *file = NULL, **canon = NULL;
	uint64_t to = 0;
	size_t ncanon = 0, i, written = 0, absent = 0;
	int has_to = 0, json = 0, code, exists;
	git_oid tip, blob;
	char hex[GIT_OID_HEXSZ + 1];
	struct dc_option opts[] = {
		OPT_U64(0, "to", &to, &has_to, "<frame>",
			"the state at the end of this frame (default: the merged frame)"),
		OPT_STRING(0, "out", &out, "<dir>", "write every canonical file under <dir>"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, replay_usage);
	if (argc > 1 || (argc == 1) == (out != NULL)) {
		if (argc > 1)
			fprintf(stderr, "error: unexpected argument '%s'\n", argv[2]);
		else
			fprintf(stderr, "error: give either --out <dir> or one <file>\n");
		dc_usage_with_options(replay_usage, opts, 1);
	}
	if (argc == 1)
		file = argv[1];
	if ((code = dc_open_repo(&r, json, "replay")))
		return code;
	if (dc_audit_commit(&tip, &r, NULL, &err) || dc_history_load(&h, &r, &tip, &err))
		goto fail;
	if (!has_to)
		to = h.has_head ? h.head_frame : 0;
	if (file && !dc_rules_is_canonical(&h.rules, file)) {
		dc_err_set(&err, DC_ERR_REFUSED, "'%s' is not a canonical file of the rules", file);
		goto fail;
	}
	dc_progress_init(&progress, 0);
	if (!has_to && !h.has_head) {
		/* never merged: the state is genesis */
		code = dc_replay_init(&p, &r, &h.rules, &h.genesis, &err);
	} else {
		code = dc_replay_to(&p, &r, &h, to, dc_progress_update, &progress, &err);
	}
	dc_progress_done(&progress);
	if (code)
		goto fail;

	if (file) {
		if (dc_replay_file(&bytes, &exists, &blob, &p, file, &err))
			goto fail;
		if (!exists) {
			dc_err_set(&err, DC_ERR_REFUSED, "'%s' does not exist at frame %llu", file,
				   (unsigned long long)to);
			goto fail;
		}
		if (json) {
			struct json_object *v = NULL;
			struct dc_json *val;
			if (dc_replay_doc(&val, &p, file, &err))
				goto fail;
			v = dc_audit_value_json(val);
			doc = dc_json_doc();
			json_object_object_add(doc, "command", json_object_new_string("replay"));
			json_object_object_add(doc, "frame", json_object_new_int64((int64_t)to));
			json_object_object_add(doc, "path", json_object_new_string(file));
			json_object_object_add(doc, "blob", json_object_new_string(
				git_oid_tostr(hex, sizeof(hex), &blob)));
			json_object_object_add(doc, "value", v);
			dc_print_json(doc);
		} else {
			fwrite(bytes.buf, 1, bytes.len, stdout);
		}
		code = 0;
		goto cleanup;
	}

	ncanon = dc_rules_files(&h.rules, &canon);
	files = json_object_new_array();
	for (i = 0; i < ncanon; i++) {
		struct json_object *f = json_object_new_object();

		if (dc_replay_file(&bytes, &exists, &blob, &p, canon[i], &err)) {
			json_object_put(f);
			goto fail;
		}
		json_object_object_add(f, "path", json_object_new_string(canon[i]));
		json_object_object_add(f, "blob", exists ? json_object_new_string(
			git_oid_tostr(hex, sizeof(hex), &blob)) : NULL);
		json_object_array_add(files, f);
		if (!exists) {
			absent++;
			continue;
		}
		dc_buf_reset(&path);
		dc_buf_addf(&path, "%s/%s", out, canon[i]);
		if (make_leading_dirs(path.buf, &err) ||
		    dc_write_file_atomic(path.buf, bytes.buf, bytes.len, &err))
			goto fail;
		written++;
	}
	if (json) {
		doc = dc_json_doc();
		json_object_object_add(doc, "command", json_object_new_string("replay"));
		json_object_object_add(doc, "frame", json_object_new_int64((int64_t)to));
		json_object_object_add(doc, "deltas", json_object_new_int64((int64_t)p.nseq));
		json_object_object_add(doc, "out", json_object_new_string(out));
		json_object_object_add(doc, "files", files);
		files = NULL;
		dc_print_json(doc);
	} else {
		printf("Replayed frame %llu from genesis (%zu delta%s) into '%s': %zu file%s"
		       " written, %zu absent\n", (unsigned long long)to, p.nseq,
		       p.nseq == 1 ? "" : "s", out, written, written == 1 ? "" : "s", absent);
	}
	code = 0;
	goto cleanup;
fail:
	code = dc_report_error(&err, json, "replay");
cleanup:
	json_object_put(files);
	free(canon);
	dc_buf_release(&bytes);
	dc_buf_release(&path);
	dc_replay_release(&p);
	dc_history_release(&h);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
