#include <stdio.h>
#include <string.h>
#include "builtin.h"

struct json_object *dc_json_doc(void)
{
	struct json_object *doc = json_object_new_object();

	json_object_object_add(doc, "version", json_object_new_int(DC_JSON_VERSION));
	return doc;
}

struct json_object *dc_json_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

void dc_print_json(struct json_object *doc)
{
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
}

static const char *error_kind(int code)
{
	switch (code) {
	case DC_ERR_USAGE:
		return "usage";
	case DC_ERR_FATAL:
		return "fatal";
	default:
		return "refused";
	}
}

struct json_object *dc_json_error(const struct dc_err *err)
{
	struct json_object *e = json_object_new_object();
	int code = err->code ? err->code : DC_ERR_FATAL;

	json_object_object_add(e, "kind", json_object_new_string(error_kind(code)));
	json_object_object_add(e, "message", json_object_new_string(err->msg.buf));
	json_object_object_add(e, "hint", err->hint.len ?
			       json_object_new_string(err->hint.buf) : NULL);
	json_object_object_add(e, "exit_code", json_object_new_int(code));
	return e;
}

int dc_report_error(const struct dc_err *err, int json, const char *command)
{
	int code = err->code ? err->code : DC_ERR_FATAL;
	const char *p, *nl;

	fprintf(stderr, "%s: %s\n", code == DC_ERR_FATAL ? "fatal" : "error", err->msg.buf);
	for (p = err->hint.buf; err->hint.len && p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		fprintf(stderr, "hint: %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
	}
	if (json) {
		struct json_object *doc = dc_json_doc();
		json_object_object_add(doc, "command", json_object_new_string(command));
		json_object_object_add(doc, "error", dc_json_error(err));
		dc_print_json(doc);
	}
	return code;
}

int dc_open_repo(struct dc_repo *r, int json, const char *command)
{
	struct dc_err err = DC_ERR_INIT;
	int code;

	if (!dc_repo_open(r, &err))
		return 0;
	code = dc_report_error(&err, json, command);
	dc_err_release(&err);
	return code;
}

const char *dc_printable(const char *s)
{
	static struct dc_buf ring[4];
	static size_t next;
	struct dc_buf *b;
	const char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			break;
	if (!*p)
		return s;
	b = &ring[next++ % 4];
	dc_buf_reset(b);
	dc_buf_addquoted(b, s, strlen(s), strlen(s));
	return b->buf;
}
