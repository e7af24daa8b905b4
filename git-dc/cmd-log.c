#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "audit-out.h"
#include "merge.h"

static const char *const log_usage[] = {
	"git dc log [--frame <n>] [--stream <id>] [--events] [--json] [<rev>]",
	NULL,
};

struct log_opts {
	int has_frame, events, json;
	uint64_t frame;
	const char *stream;
};

static int wanted(const struct log_opts *o, const struct dc_delta *d)
{
	if (o->has_frame && (!d->stream || d->frame != o->frame))
		return 0;
	return !o->stream || (d->stream && !strcmp(d->stream, o->stream));
}

static int is_unknown(const struct dc_delta *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nunknown; i++)
		if (!strcmp(d->unknown[i], name))
			return 1;
	return 0;
}

/* The sections of a valid delta, in the order they apply: each as
 * (name, op or NULL when the rules do not name it, events). */
static void each_section(const struct dc_history *h, const struct dc_delta *d,
			 void (*fn)(void *data, const char *name, const struct dc_section *s,
				    struct dc_json *const *ev, size_t n),
			 void *data)
{
	size_t m;

	for (m = 0; m < d->doc->u.obj.n; m++) {
		const struct dc_json_member *mem = &d->doc->u.obj.m[m];
		const struct dc_section *s = dc_rules_section(&h->rules, mem->key);
		struct dc_json *const *ev;
		size_t n;

		if (!s || strlen(mem->key) != mem->keylen) {
			/* not the rules' (a name holding NUL never is): shown as reported */
			char *name = dc_delta_section_name(mem->key, mem->keylen);
			if (is_unknown(d, name)) {
				/* a section is an array of events or one event */
				int arr = mem->val->type == DC_JSON_ARRAY;
				fn(data, name, NULL, arr ? mem->val->u.arr.v : &mem->val,
				   arr ? mem->val->u.arr.n : 1);
			}
			free(name);
			continue;	/* else frame, stream_id, the utc, _meta */
		}
		if (dc_delta_events(d, mem->key, &ev, &n)) {
			ev = NULL;
			n = 0;
		}
		fn(data, mem->key, s, ev, n);
	}
}

static void human_section(void *data, const char *name, const struct dc_section *s,
			  struct dc_json *const *ev, size_t n)
{
	const struct log_opts *o = data;
	struct dc_buf b = DC_BUF_INIT;
	size_t i;

	if (s && s->op == DC_OP_IGNORE) {
		printf("    %s: ignored\n", name);
		return;
	}
	printf("    %s: %zu event%s%s\n", name, n, n == 1 ? "" : "s",
	       s ? "" : " (unknown section, not applied)");
	for (i = 0; o->events && i < n; i++) {
		dc_buf_reset(&b);
		dc_json_write_compact(&b, ev[i]);
		printf("      [%zu] %s\n", i, b.buf);
	}
	dc_buf_release(&b);
}

struct json_sections {
	const struct log_opts *o;
	struct json_object *arr;
};

static void json_section(void *data, const char *name, const struct dc_section *s,
			 struct dc_json *const *ev, size_t n)
{
	struct json_sections *js = data;
	struct json_object *o = json_object_new_object();
	size_t i;

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "op", s ? json_object_new_string(dc_op_name(s->op)) : NULL);
	json_object_object_add(o, "applied", json_object_new_boolean(s && s->op != DC_OP_IGNORE));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)n));
	if (js->o->events) {
		struct json_object *a = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(a, dc_audit_value_json(ev[i]));
		json_object_object_add(o, "events", a);
	}
	json_object_array_add(js->arr, o);
}

/* The delta whose bytes `d` repeats at another path (applied once), or NULL. */
static const struct dc_delta *copy_of(const struct dc_history *h, const struct dc_delta *d)
{
	size_t i;

	for (i = 0; i < h->norder; i++)
		if (h->order[i] != d && !strcmp(h->order[i]->oid, d->oid))
			return h->order[i];
	return NULL;
}

static int in_order(const struct dc_history *h, const struct dc_delta *d)
{
	size_t i;

	for (i = 0; i < h->norder; i++)
		if (h->order[i] == d)
			return 1;
	return 0;
}

int cmd_log(int argc, const char **argv)
{
	struct dc_history h = DC_HISTORY_INIT;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct log_opts lo;
	struct dc_buf utc = DC_BUF_INIT;
	struct json_object *doc = NULL, *deltas = NULL, *quar = NULL, *copies = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i, shown = 0;
	git_oid commit;
	int code;
	struct dc_option opts[] = {
		OPT_FRAME(0, "frame", &lo.frame, &lo.has_frame, "<n>", "only the deltas of frame <n>"),
		OPT_STRING(0, "stream", &lo.stream, "<id>", "only the deltas of stream <id>"),
		OPT_BOOL(0, "events", &lo.events, "show every event, one per line"),
		OPT_BOOL(0, "json", &lo.json, "print one JSON document"),
		OPT_END(),
	};

	memset(&lo, 0, sizeof(lo));
	argc = dc_parse_options(argc - 1, argv + 1, opts, log_usage);
	if (argc > 1) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[2]);
		dc_usage_with_options(log_usage, opts, 1);
	}
	if ((code = dc_open_repo(&r, lo.json, "log")))
		return code;
	if (dc_audit_commit(&commit, &r, argc ? argv[1] : NULL, &err) ||
	    dc_history_load(&h, &r, &commit, &err)) {
		code = dc_report_error(&err, lo.json, "log");
		goto cleanup;
	}
	if (lo.json) {
		doc = dc_json_doc();
		deltas = json_object_new_array();
		quar = json_object_new_array();
		copies = json_object_new_array();
		json_object_object_add(doc, "command", json_object_new_string("log"));
		json_object_object_add(doc, "commit", json_object_new_string(
			git_oid_tostr(hex, sizeof(hex), &commit)));
		json_object_object_add(doc, "frame", h.has_head ?
				       json_object_new_int64((int64_t)h.head_frame) : NULL);
	}
	for (i = 0; i < h.norder; i++) {
		const struct dc_delta *d = h.order[i];
		int pending = !h.has_head || d->frame > h.head_frame;

		if (!wanted(&lo, d))
			continue;
		shown++;
		if (lo.json) {
			struct json_sections js = { &lo, json_object_new_array() };
			struct json_object *o = dc_audit_delta_json(d);
			json_object_object_add(o, "pending", json_object_new_boolean(pending));
			each_section(&h, d, json_section, &js);
			json_object_object_add(o, "sections", js.arr);
			json_object_array_add(deltas, o);
			continue;
		}
		dc_buf_reset(&utc);
		dc_utc_format(&utc, &d->utc);
		printf("frame %llu %s %s %s%s\n", (unsigned long long)d->frame, utc.buf, d->stream,
		       dc_printable(d->path), pending ? " (pending: not merged yet)" : "");
		each_section(&h, d, human_section, &lo);
	}
	for (i = 0; i < h.n; i++) {
		const struct dc_delta *d = &h.deltas[i], *of;

		if (!d->path || !wanted(&lo, d) || (d->valid && in_order(&h, d)))
			continue;
		if (d->valid) {
			of = copy_of(&h, d);
			if (lo.json) {
				struct json_object *o = json_object_new_object();
				json_object_object_add(o, "path", json_object_new_string(d->path));
				json_object_object_add(o, "copy_of", json_object_new_string(of->path));
				json_object_array_add(copies, o);
			} else {
				printf("copy        %s: the bytes of %s, applied once\n",
				       dc_printable(d->path), dc_printable(of->path));
			}
			continue;
		}
		if (lo.json) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "path", json_object_new_string(d->path));
			json_object_object_add(o, "frame", d->stream ?
					       json_object_new_int64((int64_t)d->frame) : NULL);
			json_object_object_add(o, "stream", dc_json_str(d->stream));
			json_object_object_add(o, "blob", json_object_new_string(d->oid));
			json_object_object_add(o, "reason", json_object_new_string(d->reason));
			json_object_array_add(quar, o);
		} else {
			printf("quarantined %s: %s\n", dc_printable(d->path), d->reason);
		}
	}
	if (lo.json) {
		json_object_object_add(doc, "deltas", deltas);
		json_object_object_add(doc, "quarantined", quar);
		json_object_object_add(doc, "copies", copies);
		dc_print_json(doc);
	} else if (!shown && !h.n) {
		printf("No deltas yet\n");
	}
	code = 0;
cleanup:
	dc_buf_release(&utc);
	dc_history_release(&h);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}
