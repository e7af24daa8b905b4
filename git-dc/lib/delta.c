#include "delta.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of a user-supplied string a message shows. */
#define QUOTE_MAX 80

/* ---- utc instants ----------------------------------------------------- */

/* Days from 0000-01-01 to 1970-01-01 in the proleptic Gregorian calendar. */
#define DAYS_0000_TO_1970 INT64_C(719528)
#define DAYS_PER_400Y INT64_C(146097)

static int is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int month_days(int64_t y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 0000-01-01 to y-01-01, for y >= 0 (year 0 is a leap year). */
static int64_t days_before_year(int64_t y)
{
	return 365 * y + (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
}

/* Days from 1970-01-01 to y-m-d (y >= 0, a real date). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t days = days_before_year(y);
	int i;

	for (i = 1; i < m; i++)
		days += month_days(y, i);
	return days + d - 1 - DAYS_0000_TO_1970;
}

/* The date of day `z` counted from 1970-01-01 (any sign). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t days = z + DAYS_0000_TO_1970;
	int64_t era = days >= 0 ? days / DAYS_PER_400Y : -((-days - 1) / DAYS_PER_400Y) - 1;
	int64_t r = days - era * DAYS_PER_400Y;	/* 0 .. 146096 */
	int64_t yy = r / 365;
	int mm = 1;

	while (days_before_year(yy) > r)
		yy--;
	r -= days_before_year(yy);
	while (r >= month_days(yy, mm))
		r -= month_days(yy, mm++);
	*y = yy + era * 400;
	*m = mm;
	*d = (int)r + 1;
}

/* The value of `n` decimal digits at `s`, or -1 if one is not a digit. */
static int64_t parse_digits(const char *s, size_t n)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int dc_utc_parse(struct dc_utc *out, const char *s, size_t len)
{
	int64_t year, mon, day, hour, min, sec;
	uint32_t nsec = 0;
	size_t i, ndigits;

	/* "YYYY-MM-DDTHH:MM:SSZ" is 20 bytes; a fraction adds 2 to 10. */
	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[len - 1] != 'Z')
		return -1;
	year = parse_digits(s, 4);
	mon = parse_digits(s + 5, 2);
	day = parse_digits(s + 8, 2);
	hour = parse_digits(s + 11, 2);
	min = parse_digits(s + 14, 2);
	sec = parse_digits(s + 17, 2);
	if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > month_days(year, (int)mon) ||
	    hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60)
		return -1;

	if (len > 20) {
		if (s[19] != '.')
			return -1;
		ndigits = len - 21;
		if (ndigits < 1 || ndigits > 9)
			return -1;
		for (i = 0; i < 9; i++) {
			int digit = 0;
			if (i < ndigits) {
				if (s[20 + i] < '0' || s[20 + i] > '9')
					return -1;
				digit = s[20 + i] - '0';
			}
			nsec = nsec * 10 + (uint32_t)digit;
		}
	}

	/* second 60 (a leap second) falls on the next minute's :00 */
	out->sec = days_from_civil(year, (int)mon, (int)day) * 86400 +
		   hour * 3600 + min * 60 + sec;
	out->nsec = nsec;
	return 0;
}

int dc_utc_cmp(const struct dc_utc *a, const struct dc_utc *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec < b->nsec ? -1 : 1;
	return 0;
}

/* Append "YYYY-MM-DDTHH:MM:SS" (no fraction, no Z). */
static void utc_format_seconds(struct dc_buf *out, const struct dc_utc *t)
{
	int64_t days = t->sec >= 0 ? t->sec / 86400 : -((-t->sec - 1) / 86400) - 1;
	int64_t secs = t->sec - days * 86400;
	int64_t y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	dc_buf_addf(out, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d,
		    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

void dc_utc_format_us(struct dc_buf *out, const struct dc_utc *t)
{
	utc_format_seconds(out, t);
	dc_buf_addf(out, ".%06uZ", (unsigned)(t->nsec / 1000));
}

void dc_utc_format(struct dc_buf *out, const struct dc_utc *t)
{
	utc_format_seconds(out, t);
	if (t->nsec) {
		unsigned frac = t->nsec;
		int digits = 9;

		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		dc_buf_addf(out, ".%0*u", digits, frac);
	}
	dc_buf_addch(out, 'Z');
}

/* ---- stream ids and paths --------------------------------------------- */

static int is_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int dc_stream_id_valid(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > DC_STREAM_MAX || !is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < len; i++) {
		int c = (unsigned char)s[i];
		if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
			return 0;
		if (c == '.' && s[i - 1] == '.')
			return 0;
	}
	return 1;
}

static int path_not_delta(struct dc_err *err)
{
	return dc_err_set(err, DC_ERR_REFUSED, "not a delta path: expected "
			  "frame-<frame>-<stream>.json or frame-<frame>/<stream>.json");
}

int dc_delta_path_parse(uint64_t *frame, struct dc_buf *stream, enum dc_layout *layout,
			const char *rel, struct dc_err *err)
{
	static const char prefix[] = "frame-", suffix[] = ".json";
	size_t len = strlen(rel), ndigits = 0, slen;
	const char *digits, *s;
	struct dc_buf msg = DC_BUF_INIT;
	enum dc_layout lay;
	int64_t v;
	int ret = -1;

	if (len < strlen(prefix) || memcmp(rel, prefix, strlen(prefix)))
		return path_not_delta(err);
	digits = rel + strlen(prefix);
	while (digits[ndigits] >= '0' && digits[ndigits] <= '9')
		ndigits++;
	if (!ndigits)
		return path_not_delta(err);
	if (digits[ndigits] == '-')
		lay = DC_LAYOUT_FLAT;
	else if (digits[ndigits] == '/')
		lay = DC_LAYOUT_BY_FRAME;
	else
		return path_not_delta(err);
	s = digits + ndigits + 1;
	slen = len - (size_t)(s - rel);
	if (slen < strlen(suffix) || memcmp(s + slen - strlen(suffix), suffix, strlen(suffix)))
		return path_not_delta(err);
	slen -= strlen(suffix);

	/* 2^53 has 16 digits: longer is too large, shorter fits in int64_t */
	v = ndigits <= 16 ? parse_digits(digits, ndigits) : -1;
	if (ndigits > 1 && digits[0] == '0') {
		dc_buf_adds(&msg, "frame ");
		dc_buf_addquoted(&msg, digits, ndigits, QUOTE_MAX);
		dc_buf_adds(&msg, " has leading zeros");
	} else if (v < 0 || (uint64_t)v >= DC_FRAME_LIMIT) {
		dc_buf_adds(&msg, "frame ");
		dc_buf_addquoted(&msg, digits, ndigits, QUOTE_MAX);
		dc_buf_adds(&msg, " is too large (frames are < 2^53)");
	} else if (!dc_stream_id_valid(s, slen)) {
		dc_buf_adds(&msg, "stream id ");
		dc_buf_addquoted(&msg, s, slen, QUOTE_MAX);
		dc_buf_adds(&msg, " is not valid");
	}
	if (msg.len) {
		dc_err_set(err, DC_ERR_REFUSED, "%s", msg.buf);
		goto cleanup;
	}

	*frame = (uint64_t)v;
	*layout = lay;
	dc_buf_reset(stream);
	dc_buf_add(stream, s, slen);
	ret = 0;

cleanup:
	dc_buf_release(&msg);
	return ret;
}

void dc_delta_path_make(struct dc_buf *out, const char *deltas, enum dc_layout layout,
			uint64_t frame, const char *stream)
{
	if (deltas && *deltas)
		dc_buf_addf(out, "%s/", deltas);
	dc_buf_addf(out, "frame-%llu%c%s.json", (unsigned long long)frame,
		    layout == DC_LAYOUT_BY_FRAME ? '/' : '-', stream);
}

/* ---- one delta -------------------------------------------------------- */

static int key_is(const struct dc_json_member *m, const char *name, size_t len)
{
	return m->keylen == len && !memcmp(m->key, name, len);
}

/* The rules' section named by `key` (which may hold NUL), or NULL. */
static const struct dc_section *section_of(const struct dc_rules *rules,
					   const char *key, size_t keylen)
{
	size_t i;

	for (i = 0; i < rules->nsections; i++) {
		const char *name = rules->sections[i].name;
		if (strlen(name) == keylen && !memcmp(name, key, keylen))
			return &rules->sections[i];
	}
	return NULL;
}

/* 1 if the member `key` is one of the rules' utc members (or the first
 * component of a dotted one). */
static int is_utc_member(const struct dc_rules *rules, const char *key, size_t keylen)
{
	size_t i;

	for (i = 0; i < rules->nutc; i++) {
		const char *name = rules->utc[i];
		size_t n = strcspn(name, ".");
		if (n == keylen && !memcmp(name, key, keylen))
			return 1;
	}
	return 0;
}

/* The value at the dotted member name `name` inside `doc`, or NULL. */
static const struct dc_json *dotted_get(const struct dc_json *doc, const char *name)
{
	const struct dc_json *cur = doc;

	for (;;) {
		size_t n = strcspn(name, ".");
		if (!cur || cur->type != DC_JSON_OBJECT)
			return NULL;
		cur = dc_json_getn(cur, name, n);
		if (!name[n])
			return cur;
		name += n + 1;
	}
}

/* 1 if a number value is written as an integer ("-?[0-9]+"). */
static int is_int_literal(const struct dc_json *v)
{
	return v->type == DC_JSON_NUMBER &&
	       !memchr(v->u.str.s, '.', v->u.str.len) &&
	       !memchr(v->u.str.s, 'e', v->u.str.len) &&
	       !memchr(v->u.str.s, 'E', v->u.str.len);
}

static int check_frame(struct dc_delta *d, struct dc_buf *why)
{
	const struct dc_json *v = dc_json_get(d->doc, "frame");
	int64_t frame;

	if (!v) {
		dc_buf_adds(why, "'frame' is missing");
		return -1;
	}
	if (!is_int_literal(v)) {
		dc_buf_addf(why, "'frame' is %s, expected an integer", dc_json_describe(v));
		return -1;
	}
	if (!dc_json_get_int(v, &frame) || frame < 0 || (uint64_t)frame >= DC_FRAME_LIMIT) {
		dc_buf_adds(why, "'frame' is ");
		dc_buf_add(why, v->u.str.s, v->u.str.len < QUOTE_MAX ? v->u.str.len : QUOTE_MAX);
		if (v->u.str.len > QUOTE_MAX)
			dc_buf_adds(why, "...");
		dc_buf_adds(why, ", expected 0 <= frame < 2^53");
		return -1;
	}
	if ((uint64_t)frame != d->frame) {
		dc_buf_addf(why, "'frame' is %lld but the path says %llu",
			    (long long)frame, (unsigned long long)d->frame);
		return -1;
	}
	return 0;
}

static int check_stream(struct dc_delta *d, struct dc_buf *why)
{
	const struct dc_json *v = dc_json_get(d->doc, "stream_id");

	if (!v) {
		dc_buf_adds(why, "'stream_id' is missing");
		return -1;
	}
	if (v->type != DC_JSON_STRING) {
		dc_buf_addf(why, "'stream_id' is %s, expected a string", dc_json_describe(v));
		return -1;
	}
	if (!dc_stream_id_valid(v->u.str.s, v->u.str.len)) {
		dc_buf_adds(why, "'stream_id' ");
		dc_buf_addquoted(why, v->u.str.s, v->u.str.len, QUOTE_MAX);
		dc_buf_adds(why, " is not a valid stream id");
		return -1;
	}
	if (strlen(d->stream) != v->u.str.len || memcmp(d->stream, v->u.str.s, v->u.str.len)) {
		dc_buf_adds(why, "'stream_id' is ");
		dc_buf_addquoted(why, v->u.str.s, v->u.str.len, QUOTE_MAX);
		dc_buf_adds(why, " but the path says ");
		dc_buf_addquoted(why, d->stream, strlen(d->stream), QUOTE_MAX);
		return -1;
	}
	return 0;
}

static int check_utc(struct dc_delta *d, const struct dc_rules *rules, struct dc_buf *why)
{
	size_t i;

	for (i = 0; i < rules->nutc; i++) {
		const char *name = rules->utc[i];
		const struct dc_json *v = dotted_get(d->doc, name);

		if (!v)
			continue;
		if (v->type != DC_JSON_STRING) {
			dc_buf_addquoted(why, name, strlen(name), QUOTE_MAX);
			dc_buf_addf(why, " is %s, expected an RFC 3339 UTC instant",
				    dc_json_describe(v));
			return -1;
		}
		if (dc_utc_parse(&d->utc, v->u.str.s, v->u.str.len)) {
			dc_buf_addquoted(why, name, strlen(name), QUOTE_MAX);
			dc_buf_adds(why, " is not an RFC 3339 UTC instant: ");
			dc_buf_addquoted(why, v->u.str.s, v->u.str.len, QUOTE_MAX);
			return -1;
		}
		d->utc_member = name;
		return 0;
	}

	if (!rules->nutc) {
		dc_buf_adds(why, "no utc: the rules name no utc member");
		return -1;
	}
	dc_buf_adds(why, rules->nutc == 1 ? "no utc: " : "no utc: none of ");
	for (i = 0; i < rules->nutc; i++) {
		if (i)
			dc_buf_adds(why, ", ");
		dc_buf_addquoted(why, rules->utc[i], strlen(rules->utc[i]), QUOTE_MAX);
	}
	dc_buf_adds(why, rules->nutc == 1 ? " is not present" : " is present");
	return -1;
}

/* 1 if the top-level member is a section (not frame, stream_id, '_' or utc). */
static int is_section(const struct dc_json_member *m, const struct dc_rules *rules)
{
	return !key_is(m, "frame", 5) && !key_is(m, "stream_id", 9) &&
	       !(m->keylen && m->key[0] == '_') &&
	       !is_utc_member(rules, m->key, m->keylen);
}

/* The name of an unknown section as reported: its bytes, or, if it holds a
 * NUL or another control character (which would cut it short or reach the
 * terminal), escaped as dc_buf_addquoted() does, without the quotes. */
char *dc_delta_section_name(const char *key, size_t len)
{
	struct dc_buf b = DC_BUF_INIT;
	char *name;
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			break;
	if (i == len)
		return dc_xmemdupz(key, len);
	dc_buf_addquoted(&b, key, len, len);
	name = dc_xmemdupz(b.buf + 1, b.len - 2);
	dc_buf_release(&b);
	return name;
}

static int check_sections(struct dc_delta *d, const struct dc_rules *rules,
			  struct dc_buf *why)
{
	const struct dc_json *doc = d->doc;
	size_t i, alloc = 0;

	for (i = 0; i < doc->u.obj.n; i++) {
		const struct dc_json_member *m = &doc->u.obj.m[i];
		const struct dc_section *sec;

		if (!is_section(m, rules))
			continue;
		sec = section_of(rules, m->key, m->keylen);
		if (sec && sec->op == DC_OP_IGNORE)
			continue;
		if (m->val->type != DC_JSON_ARRAY && m->val->type != DC_JSON_OBJECT) {
			dc_buf_adds(why, "section ");
			dc_buf_addquoted(why, m->key, m->keylen, QUOTE_MAX);
			dc_buf_addf(why, " is %s, expected an array or an object",
				    dc_json_describe(m->val));
			return -1;
		}
	}

	/* only a valid delta reports its unknown sections */
	for (i = 0; i < doc->u.obj.n; i++) {
		const struct dc_json_member *m = &doc->u.obj.m[i];

		if (!is_section(m, rules) || section_of(rules, m->key, m->keylen))
			continue;
		DC_ALLOC_GROW(d->unknown, d->nunknown + 1, alloc);
		d->unknown[d->nunknown++] = dc_delta_section_name(m->key, m->keylen);
	}
	return 0;
}

/* Every check of PROTOCOL section 2, in order; the first failure wins. */
static int delta_check(struct dc_delta *d, const char *rel, const char *buf, size_t len,
		       const struct dc_rules *rules, struct dc_buf *why)
{
	struct dc_json_parse_opts opts = DC_JSON_PARSE_OPTS_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf stream = DC_BUF_INIT;
	enum dc_layout layout;
	int ret = -1;

	if (len > rules->max_delta_bytes) {
		dc_buf_addf(why, "%zu bytes is over max_delta_bytes (%llu)", len,
			    (unsigned long long)rules->max_delta_bytes);
		goto cleanup;
	}
	if (dc_delta_path_parse(&d->frame, &stream, &layout, rel, &err)) {
		struct dc_json *doc = NULL;

		dc_buf_addbuf(why, &err.msg);
		/* the reason is the path's; d->json still tells the hooks */
		d->json = !dc_json_parse(&doc, buf, len, &opts, NULL);
		dc_json_free(doc);
		goto cleanup;
	}
	d->stream = dc_buf_detach(&stream, NULL);
	if (dc_json_parse(&d->doc, buf, len, &opts, &err)) {
		d->doc = NULL;
		dc_buf_adds(why, "invalid JSON: ");
		dc_buf_addbuf(why, &err.msg);
		goto cleanup;
	}
	d->json = 1;
	if (d->doc->type != DC_JSON_OBJECT) {
		dc_buf_addf(why, "the top-level value is %s, expected an object",
			    dc_json_describe(d->doc));
		goto cleanup;
	}
	if (check_frame(d, why) || check_stream(d, why) || check_utc(d, rules, why) ||
	    check_sections(d, rules, why))
		goto cleanup;
	ret = 0;

cleanup:
	dc_buf_release(&stream);
	dc_err_release(&err);
	return ret;
}

int dc_delta_load(struct dc_delta *d, const char *path, const char *rel, const char *oid,
		  const char *buf, size_t len, const struct dc_rules *rules)
{
	struct dc_buf why = DC_BUF_INIT;

	memset(d, 0, sizeof(*d));
	d->path = dc_xstrdup(path);
	if (oid)
		snprintf(d->oid, sizeof(d->oid), "%s", oid);
	if (delta_check(d, rel, buf, len, rules, &why)) {
		d->reason = dc_buf_detach(&why, NULL);
		return 0;
	}
	d->valid = 1;
	dc_buf_release(&why);
	return 0;
}

void dc_delta_release(struct dc_delta *d)
{
	size_t i;

	free(d->path);
	free(d->stream);
	dc_json_drop(d->doc);
	free(d->reason);
	for (i = 0; i < d->nunknown; i++)
		free(d->unknown[i]);
	free(d->unknown);
	memset(d, 0, sizeof(*d));
}

const char *dc_delta_verdict(struct dc_buf *msg, const struct dc_delta *d)
{
	if (d->valid)
		return NULL;
	if (d->json) {
		dc_buf_addf(msg, "delta '%s' will be quarantined: %s", d->path, d->reason);
		return "delta-quarantined";
	}
	dc_buf_addf(msg, "invalid delta '%s': %s", d->path, d->reason);
	return "delta-invalid";
}

int dc_delta_cmp(const struct dc_delta *a, const struct dc_delta *b)
{
	size_t alen, blen;
	int c;

	if (a->frame != b->frame)
		return a->frame < b->frame ? -1 : 1;
	c = dc_utc_cmp(&a->utc, &b->utc);
	if (c)
		return c;
	alen = strlen(a->stream);
	blen = strlen(b->stream);
	c = memcmp(a->stream, b->stream, alen < blen ? alen : blen);
	if (c)
		return c < 0 ? -1 : 1;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	c = strcmp(a->oid, b->oid);
	return c < 0 ? -1 : c > 0;
}

int dc_delta_events(const struct dc_delta *d, const char *name,
		    struct dc_json *const **events, size_t *n)
{
	struct dc_json *const *slot;
	long i = -1;

	*events = NULL;
	*n = 0;
	if (d->doc && d->doc->type == DC_JSON_OBJECT)
		i = dc_json_find(d->doc, name, strlen(name));
	if (i < 0)
		return -1;
	slot = &d->doc->u.obj.m[i].val;
	if ((*slot)->type == DC_JSON_ARRAY) {
		*events = (*slot)->u.arr.v;
		*n = (*slot)->u.arr.n;
	} else if ((*slot)->type == DC_JSON_OBJECT) {
		*events = slot;
		*n = 1;
	} else {
		return -1;
	}
	return 0;
}
