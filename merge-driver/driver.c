/*
 * git-dc-merge-driver: the JSON merge driver git runs for the paths that
 * .gitattributes marks `merge=dc` (git dc init writes that block), once it
 * is configured, as git dc init does:
 *
 *	git config merge.dc.driver 'git-dc-merge-driver %O %A %B %L %P'
 *
 * Git reads the result from %A whatever the exit code, treats any exit
 * but 0 as a conflict and adds no markers of its own. So this program
 * exits 0 only with a merged file in %A, written in the canonical layout
 * and parsed again; on a conflict it exits 1, leaves %A as ours (git's
 * copy of our side) and names each conflict on stderr. It never writes a
 * conflict marker.
 *
 * The path (%P) says what the file is to the rules of the commit: a
 * canonical file is merged structurally (git-dc/lib/jmerge.h), a delta is
 * immutable (the same bytes on both sides or a conflict), and
 * .dc/head.json is written only by git dc (always a conflict).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <git2.h>
#include "jmerge.h"
#include "repo.h"
#include "rules.h"
#include "report.h"

static const char usage_text[] =
	"usage: git-dc-merge-driver [--rules <file>] <base> <ours> <theirs> <marker-size> <path>\n"
	"\n"
	"    --rules <file>    read the rules from <file> instead of the repository\n"
	"\n"
	"Configured as: git config merge.dc.driver 'git-dc-merge-driver %O %A %B %L %P'\n";

#define HINT_CANONICAL "canonical files are written only by 'git dc merge': merge dc branches" \
	" with 'git merge -s dc' (or 'git pull -s dc'), which recomputes them from the deltas;\n" \
	"in a rebase, cherry-pick or stash, keep ours ('git checkout --ours -- %s') and record" \
	" your change as a delta with 'git dc delta'"

static int read_file(struct dc_buf *out, const char *path, struct dc_err *err)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f)
		return dc_err_set(err, DC_ERR_FATAL, "cannot open '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dc_buf_add(out, chunk, n);
	if (ferror(f)) {
		fclose(f);
		return dc_err_set(err, DC_ERR_FATAL, "cannot read '%s'", path);
	}
	fclose(f);
	return 0;
}

/*
 * The rules of the commit being made: .dc/rules.json as staged in the
 * index (what git is merging into), else as committed in HEAD. *found = 0
 * when neither holds it, or when no repository can be opened here.
 */
static int repo_rules(struct dc_buf *out, int *found, struct dc_err *err)
{
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err ignored = DC_ERR_INIT;
	git_index *idx = NULL;
	git_object *head = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_index_entry *e;
	int ret = -1;

	*found = 0;
	if (dc_repo_open(&r, &ignored)) {
		ret = 0;
		goto cleanup;
	}
	if (!r.bare && !git_repository_index(&idx, r.git) &&
	    (e = git_index_get_bypath(idx, DC_RULES_PATH, 0))) {
		if (git_blob_lookup(&blob, r.git, &e->id)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read '%s' from the index", DC_RULES_PATH);
			goto cleanup;
		}
		dc_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		*found = 1;
	} else if (!git_revparse_single(&head, r.git, "HEAD^{tree}")) {
		tree = (git_tree *)head;
		head = NULL;
		if (dc_repo_read(out, found, NULL, &r, tree, DC_RULES_PATH, err))
			goto cleanup;
	}
	ret = 0;
cleanup:
	git_blob_free(blob);
	git_tree_free(tree);
	git_object_free(head);
	git_index_free(idx);
	dc_repo_release(&r);
	dc_err_release(&ignored);
	return ret;
}

static int load_rules(struct dc_rules *rules, int *have, const char *rules_file,
		      struct dc_err *err)
{
	struct dc_buf text = DC_BUF_INIT;
	const char *name = rules_file ? rules_file : DC_RULES_PATH;
	int ret = -1;

	*have = 0;
	if (rules_file) {
		if (read_file(&text, rules_file, err))
			goto cleanup;
		*have = 1;
	} else if (repo_rules(&text, have, err)) {
		goto cleanup;
	}
	if (*have && dc_rules_parse(rules, text.buf, text.len, err)) {
		dc_err_prefix(err, "'%s'", name);
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&text);
	return ret;
}

static int merge_delta(const char *path, const struct dc_buf *ours, const struct dc_buf *theirs)
{
	if (ours->len == theirs->len && !memcmp(ours->buf, theirs->buf, ours->len))
		return 0;
	fprintf(stderr, "error: delta '%s' has different bytes on the two sides; it was left as"
		" ours\n", path);
	dc_md_hints("a committed delta is immutable: write the other side's change as a new"
		    " delta for a later frame with 'git dc delta'");
	return 1;
}

static int merge_canonical(const char *path, const char *ours_file, const struct dc_rules *rules,
			   const struct dc_buf *base, const struct dc_buf *ours,
			   const struct dc_buf *theirs)
{
	struct dc_jmerge_result res = DC_JMERGE_RESULT_INIT;
	struct dc_buf out = DC_BUF_INIT, line = DC_BUF_INIT;
	struct dc_err err = DC_ERR_INIT;
	size_t i;
	int code = 1;

	if (dc_jmerge_bytes(&out, &res, rules, path, base->buf, base->len, 1, ours->buf, ours->len,
			    theirs->buf, theirs->len, &err)) {
		code = dc_md_report(&err, DC_ERR_FATAL);
		goto cleanup;
	}
	if (res.base_invalid)
		fprintf(stderr, "warning: the base of '%s' is not valid JSON; merged as if it were"
			" absent\n", path);
	if (res.nconflicts) {
		fprintf(stderr, "error: cannot merge '%s': %zu conflict%s; it was left as ours\n",
			path, res.nconflicts, res.nconflicts == 1 ? "" : "s");
		for (i = 0; i < res.nconflicts; i++) {
			dc_buf_reset(&line);
			dc_jmerge_describe(&line, path, &res.conflicts[i]);
			fprintf(stderr, "error: conflict: %s\n", line.buf);
		}
		dc_buf_reset(&line);
		dc_buf_addf(&line, HINT_CANONICAL, path);
		dc_md_hints(line.buf);
		goto cleanup;
	}
	if (dc_write_file_atomic(ours_file, out.buf, out.len, &err)) {
		code = dc_md_report(&err, DC_ERR_FATAL);
		goto cleanup;
	}
	code = 0;
cleanup:
	dc_jmerge_result_release(&res);
	dc_buf_release(&out);
	dc_buf_release(&line);
	dc_err_release(&err);
	return code;
}

int main(int argc, const char **argv)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_buf base = DC_BUF_INIT, ours = DC_BUF_INIT, theirs = DC_BUF_INIT;
	struct dc_err err = DC_ERR_INIT;
	const char *rules_file = NULL, *path;
	int i = 1, have_rules, code;
	char *end;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return 129;
		} else if (!strcmp(argv[i], "--rules") && i + 1 < argc) {
			rules_file = argv[++i];
		} else if (!strncmp(argv[i], "--rules=", 8)) {
			rules_file = argv[i] + 8;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "error: unknown option '%s'\n", argv[i]);
			fputs(usage_text, stderr);
			return 129;
		}
	}
	if (argc - i != 5) {
		fputs(usage_text, stderr);
		return 129;
	}
	strtol(argv[i + 3], &end, 10);
	if (!*argv[i + 3] || *end) {
		fprintf(stderr, "error: marker size '%s' is not a number\n", argv[i + 3]);
		fputs(usage_text, stderr);
		return 129;
	}
	path = argv[i + 4];

	if (read_file(&base, argv[i], &err) || read_file(&ours, argv[i + 1], &err) ||
	    read_file(&theirs, argv[i + 2], &err) ||
	    load_rules(&rules, &have_rules, rules_file, &err)) {
		code = dc_md_report(&err, DC_ERR_FATAL);
		goto cleanup;
	}
	if (!have_rules) {
		fprintf(stderr, "error: cannot merge '%s': '%s' is neither in the index nor in HEAD;"
			" it was left as ours\n", path, DC_RULES_PATH);
		dc_md_hints("the dc merge driver merges by the rules of the commit; without rules"
			    " there is nothing it may merge");
		code = 1;
		goto cleanup;
	}
	switch (dc_jmerge_path_kind(&rules, path)) {
	case DC_PATH_DELTA:
		code = merge_delta(path, &ours, &theirs);
		break;
	case DC_PATH_HEAD:
		fprintf(stderr, "error: cannot merge '%s' file by file: it records the merged frame"
			" of the deltas, and only git dc writes it; it was left as ours\n", path);
		dc_md_hints("merge dc branches with 'git merge -s dc' (or 'git pull -s dc'), which"
			    " unions the deltas and recomputes the state;\nin a rebase or"
			    " cherry-pick, use '--strategy=dc' for commits that merged frames");
		code = 1;
		break;
	default:
		code = merge_canonical(path, argv[i + 1], &rules, &base, &ours, &theirs);
		break;
	}
cleanup:
	dc_rules_release(&rules);
	dc_buf_release(&base);
	dc_buf_release(&ours);
	dc_buf_release(&theirs);
	dc_err_release(&err);
	return code;
}
