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
	"git dc replay [--to <frame>] [-q | --quiet] [--json] --out <dir>",
	"git dc replay [--to <frame>] [-q | --quiet] [--json] <file>",
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

struct out_ctx {
	const char *dir;	/* --out: write there */
	const char *want;	/* <file>: capture this path only */
	struct dc_buf *bytes;
	git_oid *blob;
	int found;
	struct json_object *files;
	size_t written, absent;
};

static int take_output(void *data, const char *path, const struct dc_buf *bytes,
		       const git_oid *oid, struct dc_err *err)
{
	struct out_ctx *c = data;
	struct dc_buf p = DC_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int ret = -1;

	if (c->want) {
		if (!strcmp(path, c->want) && bytes) {
			dc_buf_reset(c->bytes);
			dc_buf_addbuf(c->bytes, bytes);
			git_oid_cpy(c->blob, oid);
			c->found = 1;
		}
		return 0;
	}
	{
		struct json_object *f = json_object_new_object();
		json_object_object_add(f, "path", json_object_new_string(path));
		json_object_object_add(f, "blob", bytes ? json_object_new_string(
			git_oid_tostr(hex, sizeof(hex), oid)) : NULL);
		json_object_array_add(c->files, f);
	}
	if (!bytes) {
		c->absent++;
		return 0;
	}
	dc_buf_addf(&p, "%s/%s", c->dir, path);
	if (make_leading_dirs(p.buf, err) || dc_write_file_atomic(p.buf, bytes->buf, bytes->len, err))
		goto cleanup;
	c->written++;
	ret = 0;
cleanup:
	dc_buf_release(&p);
	return ret;
}

int cmd_replay(int argc, const char **argv)
{
	struct dc_history h = DC_HISTORY_INIT;
	struct dc_replay p = DC_REPLAY_INIT;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_progress progress;
	struct dc_buf bytes = DC_BUF_INIT;
	struct json_object *doc = NULL, *files = NULL;
	const char *out = NULL, *file = NULL, **canon = NULL;
	uint64_t to = 0;
	size_t ncanon = 0, i, written = 0, absent = 0;
	int has_to = 0, json = 0, quiet = 0, code, exists;
	const struct dc_section *seg;
	struct dc_json *seg_value = NULL;	/* <file> is a segment file: its value */
	long segno = -1;
	git_oid tip, blob;
	char hex[GIT_OID_HEXSZ + 1];
	struct dc_option opts[] = {
		OPT_FRAME(0, "to", &to, &has_to, "<frame>",
			"the state at the end of this frame (default: the merged frame)"),
		OPT_STRING(0, "out", &out, "<dir>", "write every canonical file under <dir>"),
		OPT_BOOL('q', "quiet", &quiet, "no progress, and no summary line with --out"),
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
		dc_rules_not_canonical(&err, &h.rules, file);
		goto fail;
	}
	dc_progress_init(&progress, quiet);
	if (!has_to && !h.has_head) {
		/* never merged: the state is genesis */
		code = dc_replay_init(&p, &r, &h.rules, &h.genesis, &err);
	} else {
		code = dc_replay_to(&p, &r, &h, to, dc_progress_update, &progress, &err);
	}
	dc_progress_done(&progress);
	if (code)
		goto fail;

	if (file && (seg = dc_rules_segmented(&h.rules, file, &segno)) && segno >= 0) {
		/* one segment file of a segmented array */
		struct out_ctx c;
		memset(&c, 0, sizeof(c));
		c.want = file;
		c.bytes = &bytes;
		c.blob = &blob;
		if (dc_replay_outputs(&p, seg->file, take_output, &c, &err))
			goto fail;
		exists = c.found;
		/* its value: the chunk's elements */
		if (exists && json &&
		    dc_json_parse(&seg_value, bytes.buf, bytes.len, &dc_canonical_opts, &err))
			goto fail;
	} else if (file) {
		if (dc_replay_file(&bytes, &exists, &blob, &p, file, &err))
			goto fail;
	}
	if (file) {
		if (!exists) {
			dc_err_set(&err, DC_ERR_REFUSED, "'%s' does not exist at frame %llu", file,
				   (unsigned long long)to);
			dc_err_hint(&err, "the first merge of a delta writing it creates it: try a"
				    " later frame with --to, or see 'git dc log'");
			goto fail;
		}
		if (json) {
			struct json_object *v = NULL;
			struct dc_json *val = seg_value;
			if (!val && dc_replay_doc(&val, &p, file, &err))
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
	{
		struct out_ctx c;
		memset(&c, 0, sizeof(c));
		c.dir = out;
		c.files = files;
		for (i = 0; i < ncanon; i++)
			if (dc_replay_outputs(&p, canon[i], take_output, &c, &err))
				goto fail;
		written = c.written;
		absent = c.absent;
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
	} else if (!quiet) {
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
	dc_json_free(seg_value);
	free(canon);
	dc_buf_release(&bytes);
	dc_replay_release(&p);
	dc_history_release(&h);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
