#include <stdio.h>
#include <string.h>
#include "builtin.h"
#include "fleet.h"

#define ADD_USAGE "git dc worktree add [--no-fetch] [-q | --quiet] [--json] <stream> [<path>]"
#define REMOVE_USAGE "git dc worktree remove [-f | --force] [-q | --quiet] [--json] <stream>"
#define PRUNE_USAGE \
	"git dc worktree prune [-n | --dry-run] [--expire <seconds>] [-q | --quiet] [--json]"

static const char *const worktree_usage[] = { ADD_USAGE, REMOVE_USAGE, PRUNE_USAGE, NULL };
static const char *const add_usage[] = { ADD_USAGE, NULL };
static const char *const remove_usage[] = { REMOVE_USAGE, NULL };
static const char *const prune_usage[] = { PRUNE_USAGE, NULL };

/* How old a lock must be before prune calls it stale: no git command holds
 * one for minutes. */
#define DEFAULT_EXPIRE 600

static struct json_object *doc_for(const char *action)
{
	struct json_object *doc = dc_json_doc();

	json_object_object_add(doc, "command", json_object_new_string("worktree"));
	json_object_object_add(doc, "action", json_object_new_string(action));
	return doc;
}

static struct json_object *strings_json(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static int cmd_add(int argc, const char **argv)
{
	struct dc_worktree_add_opts o;
	struct dc_worktree_add_result res;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	int json = 0, quiet = 0, code;
	struct dc_option opts[] = {
		OPT_BOOL(0, "no-fetch", &o.no_fetch,
			 "start from what was fetched last (do not fetch the merged branch)"),
		OPT_BOOL('q', "quiet", &quiet, "print nothing when it succeeds"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	argc = dc_parse_options(argc - 1, argv + 1, opts, add_usage);
	if (argc < 1 || argc > 2) {
		fprintf(stderr, "error: %s\n", argc ? "too many arguments" : "a stream id is required");
		dc_usage_with_options(add_usage, opts, 1);
	}
	o.stream = argv[1];
	o.path = argc > 1 ? argv[2] : NULL;
	if ((code = dc_open_repo(&r, json, "worktree")))
		return code;
	if (dc_worktree_add(&r, &o, &res, &err)) {
		code = dc_report_error(&err, json, "worktree");
		goto cleanup;
	}
	if (json) {
		struct json_object *doc = doc_for("add");

		json_object_object_add(doc, "stream", json_object_new_string(o.stream));
		json_object_object_add(doc, "path", json_object_new_string(res.path));
		json_object_object_add(doc, "branch", json_object_new_string(res.branch));
		json_object_object_add(doc, "start", json_object_new_string(res.start));
		json_object_object_add(doc, "start_name", json_object_new_string(res.start_name));
		json_object_object_add(doc, "branch_existed",
				       json_object_new_boolean(res.branch_existed));
		json_object_object_add(doc, "fast_forwarded",
				       json_object_new_boolean(res.fast_forwarded));
		json_object_object_add(doc, "holds_own", json_object_new_boolean(res.holds_own));
		dc_print_json(doc);
	} else if (!quiet) {
		printf("Worktree of stream '%s' at '%s' ", o.stream, res.path);
		if (!res.branch_existed)
			printf("(new branch %s from %s %.12s)\n", res.branch, res.start_name,
			       res.start);
		else if (res.fast_forwarded)
			printf("(branch %s, moved up to %s %.12s)\n", res.branch, res.start_name,
			       res.start);
		else if (res.holds_own)
			printf("(branch %s kept at %.12s: it holds commits %s lacks)\n", res.branch,
			       res.start, res.start_name);
		else
			printf("(branch %s, at %s %.12s)\n", res.branch, res.start_name, res.start);
	}
	code = 0;
cleanup:
	dc_worktree_add_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}

static int cmd_remove(int argc, const char **argv)
{
	struct dc_worktree_remove_opts o;
	struct dc_worktree_remove_result res;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	int json = 0, quiet = 0, code;
	size_t i;
	struct dc_option opts[] = {
		OPT_BOOL('f', "force", &o.force,
			 "remove it even with unpushed deltas or uncommitted files (they are lost)"),
		OPT_BOOL('q', "quiet", &quiet, "print nothing when it succeeds"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	argc = dc_parse_options(argc - 1, argv + 1, opts, remove_usage);
	if (argc != 1) {
		fprintf(stderr, "error: %s\n", argc ? "too many arguments" : "a stream id is required");
		dc_usage_with_options(remove_usage, opts, 1);
	}
	o.stream = argv[1];
	if ((code = dc_open_repo(&r, json, "worktree")))
		return code;
	if (dc_worktree_remove(&r, &o, &res, &err)) {
		if (!json)
			for (i = 0; i < res.nunpushed; i++)
				fprintf(stderr, "\t%s\n", res.unpushed[i]);
		code = dc_report_error(&err, 0, "worktree");
		if (json) {
			struct json_object *doc = doc_for("remove");

			json_object_object_add(doc, "stream", json_object_new_string(o.stream));
			json_object_object_add(doc, "removed", json_object_new_boolean(0));
			json_object_object_add(doc, "unpushed",
					       strings_json(res.unpushed, res.nunpushed));
			json_object_object_add(doc, "error", dc_json_error(&err));
			dc_print_json(doc);
		}
		goto cleanup;
	}
	if (json) {
		struct json_object *doc = doc_for("remove");

		json_object_object_add(doc, "stream", json_object_new_string(o.stream));
		json_object_object_add(doc, "removed", json_object_new_boolean(1));
		json_object_object_add(doc, "path", json_object_new_string(res.path));
		json_object_object_add(doc, "branch", json_object_new_string(res.branch));
		json_object_object_add(doc, "unpushed", strings_json(res.unpushed, res.nunpushed));
		dc_print_json(doc);
	} else if (!quiet) {
		printf("Removed the worktree of stream '%s' ('%s') and its branch %s%s\n", o.stream,
		       res.path, res.branch, res.nunpushed ? ", dropping unpushed deltas:" : "");
		for (i = 0; i < res.nunpushed; i++)
			printf("\t%s\n", res.unpushed[i]);
	}
	code = 0;
cleanup:
	dc_worktree_remove_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}

static struct json_object *branches_json(const struct dc_prune_branch *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		struct json_object *b = json_object_new_object();

		json_object_object_add(b, "branch", json_object_new_string(v[i].branch));
		json_object_object_add(b, "unpushed", strings_json(v[i].unpushed, v[i].nunpushed));
		json_object_array_add(a, b);
	}
	return a;
}

static void print_prune(const struct dc_worktree_prune_result *res, int dry_run)
{
	size_t i;

	for (i = 0; i < res->npruned; i++)
		printf("%s\n", res->pruned[i]);
	for (i = 0; i < res->nlocks; i++) {
		printf("%s stale lock '%s' (", dry_run ? "Would remove" : "Removed",
		       res->locks[i].path);
		if (res->locks[i].stream)
			printf("stream '%s', ", res->locks[i].stream);
		printf("%llu s old)\n", (unsigned long long)res->locks[i].age);
	}
	for (i = 0; i < res->nrestored; i++)
		printf("%s '%s' in the worktree of stream '%s' (committed, missing from the index)\n",
		       dry_run ? "Would put back" : "Put back", res->restored[i].path,
		       res->restored[i].stream);
	for (i = 0; i < res->ndeleted; i++)
		printf("%s branch %s (no worktree, every delta pushed)\n",
		       dry_run ? "Would delete" : "Deleted", res->deleted[i].branch);
	for (i = 0; i < res->nkept; i++)
		printf("Kept branch %s (no worktree, %zu delta%s not pushed)\n", res->kept[i].branch,
		       res->kept[i].nunpushed, res->kept[i].nunpushed == 1 ? "" : "s");
	if (!res->npruned && !res->nlocks && !res->nrestored && !res->ndeleted && !res->nkept)
		printf("Nothing to prune\n");
}

static int cmd_prune(int argc, const char **argv)
{
	struct dc_worktree_prune_opts o;
	struct dc_worktree_prune_result res;
	struct dc_repo r = DC_REPO_INIT;
	struct dc_err err = DC_ERR_INIT;
	int json = 0, quiet = 0, has_expire = 0, code;
	size_t i;
	struct dc_option opts[] = {
		OPT_BOOL('n', "dry-run", &o.dry_run, "say what would be done, change nothing"),
		OPT_U64(0, "expire", &o.expire, &has_expire, "<seconds>",
			"lock files at least this old are stale (default 600)"),
		OPT_BOOL('q', "quiet", &quiet, "print nothing when it succeeds"),
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	argc = dc_parse_options(argc - 1, argv + 1, opts, prune_usage);
	if (argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
		dc_usage_with_options(prune_usage, opts, 1);
	}
	if (!has_expire)
		o.expire = DEFAULT_EXPIRE;
	if ((code = dc_open_repo(&r, json, "worktree")))
		return code;
	if (dc_worktree_prune(&r, &o, &res, &err)) {
		code = dc_report_error(&err, json, "worktree");
		goto cleanup;
	}
	if (json) {
		struct json_object *doc = doc_for("prune"), *locks = json_object_new_array(),
			*restored = json_object_new_array();

		json_object_object_add(doc, "dry_run", json_object_new_boolean(o.dry_run));
		json_object_object_add(doc, "pruned", strings_json(res.pruned, res.npruned));
		for (i = 0; i < res.nlocks; i++) {
			struct json_object *l = json_object_new_object();

			json_object_object_add(l, "path", json_object_new_string(res.locks[i].path));
			json_object_object_add(l, "stream", dc_json_str(res.locks[i].stream));
			json_object_object_add(l, "age", json_object_new_int64(
						       (int64_t)res.locks[i].age));
			json_object_array_add(locks, l);
		}
		json_object_object_add(doc, "locks", locks);
		for (i = 0; i < res.nrestored; i++) {
			struct json_object *d = json_object_new_object();

			json_object_object_add(d, "stream",
					       json_object_new_string(res.restored[i].stream));
			json_object_object_add(d, "path", json_object_new_string(res.restored[i].path));
			json_object_array_add(restored, d);
		}
		json_object_object_add(doc, "restored", restored);
		json_object_object_add(doc, "deleted", branches_json(res.deleted, res.ndeleted));
		json_object_object_add(doc, "kept", branches_json(res.kept, res.nkept));
		dc_print_json(doc);
	} else if (!quiet) {
		print_prune(&res, o.dry_run);
	}
	code = 0;
cleanup:
	dc_worktree_prune_result_release(&res);
	dc_err_release(&err);
	dc_repo_release(&r);
	return code;
}

int cmd_worktree(int argc, const char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "error: a subcommand is required: add, remove or prune\n");
		dc_usage_with_options(worktree_usage, NULL, 1);
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help-all"))
		dc_usage_with_options(worktree_usage, NULL, 0);
	if (!strcmp(argv[1], "add"))
		return cmd_add(argc - 1, argv + 1);
	if (!strcmp(argv[1], "remove"))
		return cmd_remove(argc - 1, argv + 1);
	if (!strcmp(argv[1], "prune"))
		return cmd_prune(argc - 1, argv + 1);
	fprintf(stderr, "error: unknown subcommand '%s'\n", argv[1]);
	dc_usage_with_options(worktree_usage, NULL, 1);
}
