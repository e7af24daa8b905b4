#include "archive.h"
#include "json.h"
#include <stdlib.h>
#include <string.h>

static int corrupt(struct dc_err *err, const char *what)
{
	dc_err_set(err, DC_ERR_FATAL, "'%s' is corrupt: %s", DC_ARCHIVE_MANIFEST, what);
	dc_err_hint(err, "it is written only by 'git dc archive'; restore it from the archive"
		    " commit with 'git checkout <commit> -- %s'", DC_ARCHIVE_MANIFEST);
	return -1;
}

void dc_archive_release(struct dc_archive *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->deltas[i].path);
	free(a->deltas);
	dc_map_release(&a->blobs);
	memset(a, 0, sizeof(*a));
}

int dc_archive_parse(struct dc_archive *a, const char *buf, size_t len, struct dc_err *err)
{
	struct dc_json *doc = NULL, *v, *list;
	int64_t n;
	size_t i;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	if (dc_json_parse(&doc, buf, len, NULL, NULL)) {
		corrupt(err, "not valid JSON");
		goto cleanup;
	}
	if (doc->type != DC_JSON_OBJECT) {
		corrupt(err, "not an object");
		goto cleanup;
	}
	v = dc_json_get(doc, "version");
	if (!dc_json_get_int(v, &n) || n != 1) {
		corrupt(err, "'version' is not 1");
		goto cleanup;
	}
	v = dc_json_get(doc, "before");
	if (!dc_json_get_int(v, &n) || n < 1) {
		corrupt(err, "'before' is not a positive integer");
		goto cleanup;
	}
	a->before = (uint64_t)n;
	list = dc_json_get(doc, "deltas");
	if (!list || list->type != DC_JSON_ARRAY) {
		corrupt(err, "'deltas' is not an array");
		goto cleanup;
	}
	for (i = 0; i < list->u.arr.n; i++) {
		const struct dc_json *e = list->u.arr.v[i];
		const struct dc_json *p = dc_json_get(e, "path"), *b = dc_json_get(e, "blob");
		git_oid id;

		if (!p || p->type != DC_JSON_STRING || !b || b->type != DC_JSON_STRING ||
		    b->u.str.len != GIT_OID_HEXSZ || git_oid_fromstrn(&id, b->u.str.s, b->u.str.len) ||
		    memchr(p->u.str.s, '\0', p->u.str.len)) {
			corrupt(err, "a 'deltas' entry is not {\"path\", \"blob\"}");
			goto cleanup;
		}
		if (a->n && strcmp(a->deltas[a->n - 1].path, p->u.str.s) >= 0) {
			corrupt(err, "'deltas' is not sorted by path");
			goto cleanup;
		}
		DC_ALLOC_GROW(a->deltas, a->n + 1, a->alloc);
		a->deltas[a->n].path = dc_xmemdupz(p->u.str.s, p->u.str.len);
		git_oid_cpy(&a->deltas[a->n].blob, &id);
		a->n++;
		dc_map_put(&a->blobs, (const char *)id.id, GIT_OID_RAWSZ, 1);
	}
	a->present = 1;
	ret = 0;
cleanup:
	if (ret)
		dc_archive_release(a);
	dc_json_free(doc);
	return ret;
}

int dc_archive_load(struct dc_archive *a, struct dc_repo *r, const git_tree *tree,
		    struct dc_err *err)
{
	struct dc_buf buf = DC_BUF_INIT;
	int exists, ret = -1;

	memset(a, 0, sizeof(*a));
	if (dc_repo_read(&buf, &exists, NULL, r, tree, DC_ARCHIVE_MANIFEST, err))
		goto cleanup;
	ret = exists ? dc_archive_parse(a, buf.buf, buf.len, err) : 0;
cleanup:
	dc_buf_release(&buf);
	return ret;
}

static long find_path(const struct dc_archive *a, const char *path, size_t *at)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(a->deltas[mid].path, path);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at)
		*at = lo;
	return -1;
}

void dc_archive_add(struct dc_archive *a, const char *path, const git_oid *blob)
{
	size_t at = 0;

	if (find_path(a, path, &at) >= 0)
		return;
	DC_ALLOC_GROW(a->deltas, a->n + 1, a->alloc);
	memmove(a->deltas + at + 1, a->deltas + at, (a->n - at) * sizeof(*a->deltas));
	a->deltas[at].path = dc_xstrdup(path);
	git_oid_cpy(&a->deltas[at].blob, blob);
	a->n++;
	dc_map_put(&a->blobs, (const char *)blob->id, GIT_OID_RAWSZ, 1);
}

void dc_archive_write(struct dc_buf *out, const struct dc_archive *a)
{
	struct dc_json *o = dc_json_new(DC_JSON_OBJECT), *list = dc_json_new(DC_JSON_ARRAY);
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	dc_json_set(o, "version", 7, dc_json_new_int(1));
	dc_json_set(o, "before", 6, dc_json_new_int((int64_t)a->before));
	for (i = 0; i < a->n; i++) {
		struct dc_json *e = dc_json_new(DC_JSON_OBJECT);
		dc_json_set(e, "path", 4, dc_json_new_string(a->deltas[i].path,
							     strlen(a->deltas[i].path)));
		git_oid_tostr(hex, sizeof(hex), &a->deltas[i].blob);
		dc_json_set(e, "blob", 4, dc_json_new_string(hex, GIT_OID_HEXSZ));
		dc_json_push(list, e);
	}
	dc_json_set(o, "deltas", 6, list);
	dc_json_write(out, o);
	dc_json_free(o);
}

int dc_archive_has(const struct dc_archive *a, const char *path, const git_oid *blob)
{
	long i = a->present ? find_path(a, path, NULL) : -1;
	return i >= 0 && git_oid_equal(&a->deltas[i].blob, blob);
}

int dc_archive_has_blob(const struct dc_archive *a, const git_oid *blob)
{
	return a->present && dc_map_get(&a->blobs, (const char *)blob->id, GIT_OID_RAWSZ, NULL);
}

int dc_archive_classify(const struct dc_archive *a, struct dc_delta *d, const git_oid *blob)
{
	struct dc_buf why = DC_BUF_INIT;

	if (!a->present || !d->valid || d->frame >= a->before)
		return 0;
	if (dc_archive_has_blob(a, blob))
		return 1;
	/* the same words whatever the archive's frame: a later archive keeps
	 * the quarantine, and head.json, as they are */
	dc_buf_addf(&why, "frame %llu is archived: a delta that arrives after its frame was"
		    " archived cannot be folded in order", (unsigned long long)d->frame);
	free(d->reason);
	d->reason = dc_buf_detach(&why, NULL);
	d->valid = 0;
	return 0;
}
