#include <stdlib.h>
#include <string.h>
#include "audit-out.h"

int dc_audit_commit(git_oid *out, struct dc_repo *r, const char *rev, struct dc_err *err)
{
	git_object *obj = NULL, *peeled = NULL;
	int ret = -1;

	if (git_revparse_single(&obj, r->git, rev ? rev : "HEAD")) {
		if (rev) {
			dc_err_set(err, DC_ERR_USAGE, "unknown revision '%s'", rev);
			dc_err_hint(err, "give a branch, a tag or a commit id ('git log --oneline'"
				    " lists them)");
			return -1;
		}
		dc_err_set(err, DC_ERR_REFUSED, "'HEAD' has no commits yet");
		dc_err_hint(err, "run 'git dc init' to start a dc repository");
		return -1;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT)) {
		dc_err_set(err, DC_ERR_USAGE, "'%s' is not a commit", rev ? rev : "HEAD");
		dc_err_hint(err, "give a branch, a tag or a commit id");
		goto cleanup;
	}
	git_oid_cpy(out, git_object_id(peeled));
	ret = 0;
cleanup:
	git_object_free(peeled);
	git_object_free(obj);
	return ret;
}

struct json_object *dc_audit_value_json(const struct dc_json *v)
{
	struct json_object *o;
	size_t i;
	int64_t n;

	if (!v)
		return NULL;
	switch (v->type) {
	case DC_JSON_NULL:
		return NULL;
	case DC_JSON_FALSE:
	case DC_JSON_TRUE:
		return json_object_new_boolean(v->type == DC_JSON_TRUE);
	case DC_JSON_NUMBER:
		if (dc_json_get_int(v, &n))
			return json_object_new_int64(n);
		/* printed as written, not as the double json-c would round it to */
		return json_object_new_double_s(strtod(v->u.str.s, NULL), v->u.str.s);
	case DC_JSON_STRING:
		return json_object_new_string_len(v->u.str.s, (int)v->u.str.len);
	case DC_JSON_ARRAY:
		o = json_object_new_array_ext((int)v->u.arr.n);
		for (i = 0; i < v->u.arr.n; i++)
			json_object_array_add(o, dc_audit_value_json(v->u.arr.v[i]));
		return o;
	default:
		o = json_object_new_object();
		for (i = 0; i < v->u.obj.n; i++)
			json_object_object_add(o, v->u.obj.m[i].key,
					       dc_audit_value_json(v->u.obj.m[i].val));
		return o;
	}
}

struct json_object *dc_audit_delta_json(const struct dc_delta *d)
{
	struct json_object *o = json_object_new_object();
	struct dc_buf utc = DC_BUF_INIT;

	dc_utc_format(&utc, &d->utc);
	json_object_object_add(o, "path", json_object_new_string(d->path));
	json_object_object_add(o, "frame", json_object_new_int64((int64_t)d->frame));
	json_object_object_add(o, "utc", json_object_new_string(utc.buf));
	json_object_object_add(o, "stream", json_object_new_string(d->stream));
	json_object_object_add(o, "blob", json_object_new_string(d->oid));
	dc_buf_release(&utc);
	return o;
}

void dc_audit_delta_line(struct dc_buf *out, const struct dc_delta *d)
{
	dc_buf_addf(out, "frame %llu ", (unsigned long long)d->frame);
	dc_utc_format(out, &d->utc);
	dc_buf_addf(out, " %s (%s)", d->stream, d->path);
}

const struct dc_derived *dc_audit_count_at(const struct dc_rules *rules, const char *file,
					   const char *pointer)
{
	size_t i, n;

	for (i = 0; i < rules->nderived; i++) {
		const struct dc_derived *dv = &rules->derived[i];
		const char *rest, *slash;

		if (strcmp(dv->file, file))
			continue;
		if (!strcmp(dv->at, pointer))
			return dv;
		n = strlen(dv->at);
		if (!dv->group_by || strncmp(pointer, dv->at, n) || pointer[n] != '/')
			continue;
		/* <at>/<entity> or <at>/<entity>/<field> */
		rest = pointer + n + 1;
		slash = strchr(rest, '/');
		if (!slash || (!strchr(slash + 1, '/') && !strcmp(slash + 1, dv->field)))
			return dv;
	}
	return NULL;
}
