#include "jdiff.h"
#include <stdlib.h>
#include <string.h>

const char *dc_jdiff_kind_name(enum dc_jdiff_kind kind)
{
	switch (kind) {
	case DC_JDIFF_ADDED:
		return "added";
	case DC_JDIFF_REMOVED:
		return "removed";
	default:
		return "changed";
	}
}

static void add_change(struct dc_jdiff *out, size_t max, enum dc_jdiff_kind kind,
		       const struct dc_buf *ptr, const struct dc_json *a, const struct dc_json *b)
{
	struct dc_jdiff_change *c;

	out->total++;
	if (max && out->n >= max)
		return;
	DC_ALLOC_GROW(out->v, out->n + 1, out->alloc);
	c = &out->v[out->n++];
	c->kind = kind;
	c->pointer = dc_xmemdupz(ptr->buf, ptr->len);
	c->old = a;
	c->new = b;
}

/* Both present; `ptr` names them and is restored before returning.
 * Nesting is bounded by the parser's depth limit, so recursion is safe. */
static void walk(struct dc_jdiff *out, size_t max, struct dc_buf *ptr, const struct dc_json *a,
		 const struct dc_json *b)
{
	size_t len = ptr->len, i;

	if (a->type != b->type ||
	    (a->type != DC_JSON_OBJECT && a->type != DC_JSON_ARRAY)) {
		if (!dc_json_equal(a, b))
			add_change(out, max, DC_JDIFF_CHANGED, ptr, a, b);
		return;
	}
	if (a->type == DC_JSON_ARRAY) {
		size_t n = a->u.arr.n > b->u.arr.n ? a->u.arr.n : b->u.arr.n;
		for (i = 0; i < n; i++) {
			dc_buf_addf(ptr, "/%zu", i);
			if (i >= b->u.arr.n)
				add_change(out, max, DC_JDIFF_REMOVED, ptr, a->u.arr.v[i], NULL);
			else if (i >= a->u.arr.n)
				add_change(out, max, DC_JDIFF_ADDED, ptr, NULL, b->u.arr.v[i]);
			else
				walk(out, max, ptr, a->u.arr.v[i], b->u.arr.v[i]);
			dc_buf_setlen(ptr, len);
		}
		return;
	}
	for (i = 0; i < a->u.obj.n; i++) {
		const struct dc_json_member *m = &a->u.obj.m[i];
		const struct dc_json *other = dc_json_getn(b, m->key, m->keylen);

		dc_json_pointer_append(ptr, m->key, m->keylen);
		if (!other)
			add_change(out, max, DC_JDIFF_REMOVED, ptr, m->val, NULL);
		else
			walk(out, max, ptr, m->val, other);
		dc_buf_setlen(ptr, len);
	}
	for (i = 0; i < b->u.obj.n; i++) {
		const struct dc_json_member *m = &b->u.obj.m[i];

		if (dc_json_getn(a, m->key, m->keylen))
			continue;
		dc_json_pointer_append(ptr, m->key, m->keylen);
		add_change(out, max, DC_JDIFF_ADDED, ptr, NULL, m->val);
		dc_buf_setlen(ptr, len);
	}
}

void dc_jdiff(struct dc_jdiff *out, const struct dc_json *a, const struct dc_json *b, size_t max)
{
	struct dc_buf ptr = DC_BUF_INIT;

	if (a && b)
		walk(out, max, &ptr, a, b);
	else if (a)
		add_change(out, max, DC_JDIFF_REMOVED, &ptr, a, NULL);
	else if (b)
		add_change(out, max, DC_JDIFF_ADDED, &ptr, NULL, b);
	dc_buf_release(&ptr);
}

void dc_jdiff_release(struct dc_jdiff *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].pointer);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void dc_jdiff_show(struct dc_buf *out, const struct dc_json *v, size_t max)
{
	struct dc_buf b = DC_BUF_INIT;

	if (!v) {
		dc_buf_adds(out, "absent");
		return;
	}
	dc_json_write_compact(&b, v);
	if (max && b.len > max) {
		/* cut on a UTF-8 character boundary */
		size_t n = max;
		while (n && ((unsigned char)b.buf[n] & 0xc0) == 0x80)
			n--;
		dc_buf_add(out, b.buf, n);
		dc_buf_adds(out, "...");
	} else {
		dc_buf_addbuf(out, &b);
	}
	dc_buf_release(&b);
}
