/*
 * Fuzzing the rules loader: dc_rules_parse() on arbitrary bytes, and the
 * properties of every rules file it accepts (PROTOCOL section 6):
 *  - parsing never crashes and is deterministic; a refusal has a message
 *    and the code DC_ERR_REFUSED;
 *  - every path (the delta directory, section, publish and derived files)
 *    stays inside the repository: relative, no NUL, no backslash, no
 *    empty, '.' or '..' component, no component starting with '.git' in
 *    any case; no canonical file is the delta directory, inside it, or
 *    under '.dc/';
 *  - every 'at' is a well-formed JSON Pointer; two sections writing the
 *    same target have the same op; a derived count counts a section that
 *    exists and is not ignored;
 *  - dc_rules_files() is sorted, without duplicates, and names exactly the
 *    files dc_rules_is_canonical() recognises among the rules' own;
 *  - the fold accepts the rules or refuses them with a message, and folds
 *    a delta with a few events for every section without crashing.
 *
 * Input: the rules file's bytes. Built by `make fuzz` with libFuzzer, and
 * by `make` into a replayer (replay.c) that runs the kept corpus as a
 * regression test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz-rules: property broken: %s\n", what);
		abort();
	}
}

/* A path the rules may name: an independent restatement of the rule. */
static int path_inside(const char *p)
{
	const char *c = p;

	if (!*p || *p == '/' || strchr(p, '\\'))
		return 0;
	for (;;) {
		size_t n = strcspn(c, "/");

		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.') ||
		    (n >= 4 && !strncasecmp(c, ".git", 4)))
			return 0;
		if (!c[n])
			return 1;
		c += n + 1;
	}
}

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && path[n] == '/';
}

static void check_file(const struct dc_rules *r, const char *file, const char *at)
{
	check(file && path_inside(file), "a canonical file is outside the repository");
	check(strcmp(file, r->deltas) && !under(file, r->deltas) && !under(r->deltas, file),
	      "a canonical file and the delta directory overlap");
	check(!under(file, ".dc"), "a canonical file is under '.dc/'");
	check(dc_rules_is_canonical(r, file), "a file of the rules is not canonical");
	check(at && !dc_json_pointer_check(at, NULL), "an 'at' is not a JSON Pointer");
}

static int read_nothing(void *data, const char *path, struct dc_buf *out, int *exists,
			struct dc_err *err)
{
	*exists = 0;
	return 0;
}

/* A member name as a JSON string, into `b`. */
static void add_member(struct dc_buf *b, const char *name, const char *val)
{
	if (!name)
		return;
	if (b->buf[b->len - 1] != '{')
		dc_buf_addch(b, ',');
	dc_json_write_string(b, name, strlen(name));
	dc_buf_addf(b, ":%s", val);
}

/* One event for section `s`, every member it may read set to `val`. */
static void add_event(struct dc_buf *b, const struct dc_section *s, const char *val)
{
	size_t i, k;

	dc_buf_addch(b, '{');
	for (i = 0; i < s->nkey; i++)
		add_member(b, s->key[i], val);
	for (i = 0; i < s->nnormalize; i++)
		for (k = 0; k < s->normalize[i].nalts; k++)
			add_member(b, s->normalize[i].alts[k], val);
	add_member(b, s->set_key, val);
	add_member(b, s->set_field, "\"f\"");
	add_member(b, s->set_value, val);
	add_member(b, s->group_by, "\"g\"");
	for (i = 0; i < s->nmatch; i++)
		add_member(b, s->match[i].member, "\"x\"");
	if (b->buf[b->len - 1] != '{')
		dc_buf_addch(b, ',');
	dc_buf_adds(b, "\"extra\":[1]}");
}

static void fold_once(const struct dc_rules *r)
{
	struct dc_state st = DC_STATE_INIT;
	struct dc_delta d = DC_DELTA_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_buf text = DC_BUF_INIT, path = DC_BUF_INIT, rel = DC_BUF_INIT;
	static const char *const vals[] = { "1", "\"a\"", "1", "[1]", "{\"o\":2}" };
	size_t i, v;

	if (dc_state_init(&st, r, read_nothing, NULL, &err)) {
		check(err.msg.len > 0, "the fold refuses rules without a message");
		goto cleanup;
	}
	dc_buf_addf(&text, "{\"frame\":1,\"stream_id\":\"s1\"");
	for (i = 0; i < r->nutc; i++)
		if (!strchr(r->utc[i], '.') && strcmp(r->utc[i], "frame") &&
		    strcmp(r->utc[i], "stream_id"))
			break;
	if (i == r->nutc)
		goto cleanup;
	dc_buf_addch(&text, ',');
	dc_json_write_string(&text, r->utc[i], strlen(r->utc[i]));
	dc_buf_adds(&text, ":\"2026-03-28T03:00:00Z\"");
	for (i = 0; i < r->nsections; i++) {
		const struct dc_section *s = &r->sections[i];

		if (s->name[0] == '_' || !strcmp(s->name, "frame") || !strcmp(s->name, "stream_id"))
			continue;
		dc_buf_addch(&text, ',');
		dc_json_write_string(&text, s->name, strlen(s->name));
		dc_buf_adds(&text, ":[");
		for (v = 0; v < sizeof(vals) / sizeof(*vals); v++) {
			if (v)
				dc_buf_addch(&text, ',');
			add_event(&text, s, vals[v]);
		}
		dc_buf_addch(&text, ']');
	}
	dc_buf_addch(&text, '}');
	dc_delta_path_make(&rel, NULL, DC_LAYOUT_FLAT, 1, "s1");
	dc_delta_path_make(&path, r->deltas, DC_LAYOUT_FLAT, 1, "s1");
	dc_delta_load(&d, path.buf, rel.buf, NULL, text.buf, text.len, r);
	if (!d.valid)	/* a utc member that is also a section, say */
		goto cleanup;
	if (dc_fold_apply(&st, &d, &err) || dc_fold_apply(&st, &d, &err) ||
	    dc_fold_finish(&st, &err))
		check(err.msg.len > 0, "the fold fails without a message");
cleanup:
	dc_delta_release(&d);
	dc_state_release(&st);
	dc_err_release(&err);
	dc_buf_release(&text);
	dc_buf_release(&path);
	dc_buf_release(&rel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dc_rules r = DC_RULES_INIT, again = DC_RULES_INIT;
	struct dc_err err = DC_ERR_INIT, err2 = DC_ERR_INIT;
	const char **files = NULL;
	size_t i, j, n;
	int ret, ret2;

	ret = dc_rules_parse(&r, (const char *)data, size, &err);
	ret2 = dc_rules_parse(&again, (const char *)data, size, &err2);
	check(ret == ret2, "parsing twice gives two verdicts");
	if (ret) {
		check(err.msg.len && err.code == DC_ERR_REFUSED, "a refusal has no message or code");
		check(!strcmp(err.msg.buf, err2.msg.buf), "parsing twice gives two messages");
		goto cleanup;
	}
	check(r.version == 1, "rules of another version");
	check(r.deltas && path_inside(r.deltas), "the delta directory is outside the repository");
	check(r.nutc > 0 && r.max_delta_bytes > 0, "no utc member, or no room for a delta");
	for (i = 0; i < r.nsections; i++) {
		const struct dc_section *s = &r.sections[i];

		check(dc_rules_section(&r, s->name) == s, "two sections have one name");
		if (s->op == DC_OP_IGNORE)
			continue;
		check_file(&r, s->file, s->at);
		if (s->op == DC_OP_COLLECT) {
			check_file(&r, s->publish_file, s->publish_at);
			check(s->collect_items && s->group_by && s->nkey == 1,
			      "a collect without items, group or key");
		}
		for (j = 0; j < i; j++) {
			const struct dc_section *o = &r.sections[j];

			if (o->op == DC_OP_IGNORE || strcmp(o->file, s->file) || strcmp(o->at, s->at))
				continue;
			check(o->op == s->op, "two sections write one target with different ops");
		}
	}
	for (i = 0; i < r.nderived; i++) {
		const struct dc_section *s = dc_rules_section(&r, r.derived[i].of);

		check(r.derived[i].op == DC_OP_COUNT, "a derived value is not a count");
		check(s && s->op != DC_OP_IGNORE, "a count of no section");
		check_file(&r, r.derived[i].file, r.derived[i].at);
		check(!r.derived[i].group_by == !r.derived[i].field,
		      "a per-group count without its field, or a field without a group");
	}
	n = dc_rules_files(&r, &files);
	for (i = 0; i < n; i++) {
		check(dc_rules_is_canonical(&r, files[i]), "a listed file is not canonical");
		check(!i || strcmp(files[i - 1], files[i]) < 0, "the files are not sorted and unique");
	}
	check(!dc_rules_is_canonical(&r, ".dc/rules.json"), "the rules are a canonical file");
	fold_once(&r);
cleanup:
	free(files);
	dc_rules_release(&r);
	dc_rules_release(&again);
	dc_err_release(&err);
	dc_err_release(&err2);
	return 0;
}
