/*
 * git-dc-hook: the one program behind every git-dc hook. `git dc init`
 * writes a shim per hook that runs
 *
 *	git-dc-hook <hook> <path of the shim> [<git's arguments>...]
 *
 * and this program enforces PROTOCOL section 9 on what that hook sees:
 *
 *   pre-commit, pre-merge-commit  the index against HEAD
 *   pre-push                      the commits a push sends, and what a
 *                                 forced update would take away
 *   pre-receive                   the same, on the server, for every ref
 *   pre-rebase                    autostash: put the stash back, refuse
 *   post-checkout, post-merge,    autostash: move the stash git is about
 *   pre-commit, pre-merge-commit  to re-apply into `git stash list`
 *
 * The fast path needs no libgit2 (whose start-up alone costs more than the
 * whole hook should): git plumbing lists the paths that changed, the
 * engine's rules module says whether the protocol protects any of them,
 * and only then does `git dc check` run. A hook that was in place before
 * git-dc (<shim>.dc-chained) runs after git-dc's part, with the same
 * arguments and input; a refusal by git-dc stops it from running.
 *
 * With DC_TRACE_HOOKS set, each hook says on stderr which path it took.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "buf.h"
#include "delta.h"
#include "err.h"
#include "install.h"
#include "json.h"
#include "rules.h"
#include "staged.h"

extern char **environ;

#define ZERO_OID "0000000000000000000000000000000000000000"
#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
#define CHECK_BATCH 200		/* commits per `git dc check` */
#define MAX_ARGS 32		/* for git(): fixed argument lists */

#define HINT_DELTA "committed deltas are immutable: write a new delta for a later frame" \
	" with 'git dc delta' (only 'git dc archive' removes deltas)"
#define HINT_WAYS "canonical files change only through 'git dc merge' (or 'git merge -s dc');" \
	" record new events with 'git dc delta'; bring a worktree up to date with 'git dc sync'"
#define HINT_SYNC "next time, update this worktree with 'git dc sync', which never autostashes"

struct hook {
	const char *name;
	const char *path;	/* the shim git ran */
	int argc;
	const char **argv;	/* git's arguments to the hook */
	struct dc_buf in;	/* standard input, for the hooks that read it */
	int has_in;
};

/* What a hook found: printed as it is found, summed up at the end. */
struct report {
	struct dc_buf rules;	/* the rules broken, ", "-separated */
	struct dc_buf hints;	/* distinct hints, one per line */
	int refused;
};

/* ---- running programs ------------------------------------------------- */

static void trace(const struct hook *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void trace(const struct hook *h, const char *fmt, ...)
{
	va_list ap;

	if (!getenv("DC_TRACE_HOOKS"))
		return;
	fprintf(stderr, "trace: git-dc-hook %s: ", h->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static FILE *temp_file(void)
{
	FILE *f = tmpfile();

	if (f)
		fcntl(fileno(f), F_SETFD, FD_CLOEXEC);
	return f;
}

/* A program started by child_start(), collected by child_finish(). */
struct child {
	pid_t pid;
	int out;		/* the read end of its standard output, or -1 */
	FILE *in, *err;		/* temporary files holding its input and its errors */
};

/*
 * Start `argv` (argv[0] looked up on PATH). `in`: the bytes of its
 * standard input (NULL: ours). With `out` its standard output is kept for
 * child_finish() (else it is ours); with `err` its standard error too
 * (else ours, or /dev/null with `quiet`). -1 if it could not be started.
 * Its input and errors go through temporary files, so no pipe can fill
 * while we wait for another.
 */
static int child_start(struct child *c, const char *const *argv, const struct dc_buf *in,
		       int out, int err, int quiet)
{
	posix_spawn_file_actions_t fa;
	int fd[2] = { -1, -1 }, e, ret = -1;

	memset(c, 0, sizeof(*c));
	c->out = -1;
	posix_spawn_file_actions_init(&fa);
	if (in) {
		if (!(c->in = temp_file()) ||
		    (in->len && fwrite(in->buf, 1, in->len, c->in) != in->len) ||
		    fflush(c->in) || fseek(c->in, 0, SEEK_SET))
			goto cleanup;
		posix_spawn_file_actions_adddup2(&fa, fileno(c->in), 0);
	}
	if (out) {
		if (pipe2(fd, O_CLOEXEC))
			goto cleanup;
		posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	}
	if (err) {
		if (!(c->err = temp_file()))
			goto cleanup;
		posix_spawn_file_actions_adddup2(&fa, fileno(c->err), 2);
	} else if (quiet) {
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	e = posix_spawnp(&c->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	if (e) {
		fprintf(stderr, "error: cannot run '%s': %s\n", argv[0], strerror(e));
		goto cleanup;
	}
	c->out = fd[0];
	fd[0] = -1;
	ret = 0;
cleanup:
	posix_spawn_file_actions_destroy(&fa);
	if (fd[0] >= 0)
		close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	if (ret) {
		if (c->in)
			fclose(c->in);
		if (c->err)
			fclose(c->err);
		memset(c, 0, sizeof(*c));
	}
	return ret;
}

/*
 * Wait for the child: its standard output and error (as asked for at the
 * start) are appended to `out` and `errout`; returns its exit status (128
 * + the signal if it was killed), -1 if it cannot be waited for.
 */
static int child_finish(struct child *c, struct dc_buf *out, struct dc_buf *errout)
{
	char chunk[65536];
	int status, ret = -1;
	ssize_t got;
	size_t n;

	while (c->out >= 0 && (got = read(c->out, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		dc_buf_add(out, chunk, (size_t)got);
	}
	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			goto cleanup;
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (c->err && !fseek(c->err, 0, SEEK_SET))
		while ((n = fread(chunk, 1, sizeof(chunk), c->err)) > 0)
			dc_buf_add(errout, chunk, n);
cleanup:
	if (c->out >= 0)
		close(c->out);
	if (c->in)
		fclose(c->in);
	if (c->err)
		fclose(c->err);
	memset(c, 0, sizeof(*c));
	return ret;
}

/*
 * Run `argv` to its end: child_start() then child_finish(); `out` and
 * `errout` (each may be NULL: ours) collect what it prints.
 */
static int run(const char *const *argv, const struct dc_buf *in, struct dc_buf *out,
	       struct dc_buf *errout, int quiet)
{
	struct child c;

	if (child_start(&c, argv, in, out != NULL, errout != NULL, quiet))
		return -1;
	return child_finish(&c, out, errout);
}

/* `git <args...>` (NULL-terminated), stdout into `out` (may be NULL). */
static int git(struct dc_buf *out, int quiet, ...)
{
	const char *argv[MAX_ARGS + 2];
	va_list ap;
	size_t n = 0;

	argv[n++] = "git";
	va_start(ap, quiet);
	while (n < MAX_ARGS && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return run(argv, NULL, out, NULL, quiet);
}

/* How to start `git dc`: git-dc beside this program, else through git. */
static size_t git_dc(const char **argv)
{
	static char path[PATH_MAX];
	ssize_t n;
	char *slash;

	if (!*path) {
		n = readlink("/proc/self/exe", path, sizeof(path) - 8);
		slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
		if (slash)
			strcpy(slash + 1, "git-dc");
		if (!slash || access(path, X_OK))
			strcpy(path, "-");
	}
	if (strcmp(path, "-")) {
		argv[0] = path;
		return 1;
	}
	argv[0] = "git";
	argv[1] = "dc";
	return 2;
}

/* ---- what the repository holds ---------------------------------------- */

/* This worktree's git directory (where git keeps rebase and merge state). */
static int git_dir(struct dc_buf *out)
{
	const char *env = getenv("GIT_DIR");
	struct stat st;

	if (env && *env) {
		dc_buf_adds(out, env);
		return 0;
	}
	/* hooks run at the top of the work tree */
	if (stat(".git", &st))
		st.st_mode = 0;
	if (S_ISDIR(st.st_mode)) {
		dc_buf_adds(out, ".git");
		return 0;
	}
	/* a linked worktree's .git file: "gitdir: <path>" */
	if (S_ISREG(st.st_mode) && st.st_size < 4096) {
		int fd = open(".git", O_RDONLY | O_CLOEXEC);
		struct dc_buf f = DC_BUF_INIT;

		if (fd >= 0 && !dc_buf_read_fd(&f, fd, (size_t)st.st_size) && f.len > 8 &&
		    !memcmp(f.buf, "gitdir: ", 8) && !memchr(f.buf, '\0', f.len)) {
			while (f.len && (f.buf[f.len - 1] == '\n' || f.buf[f.len - 1] == '\r'))
				dc_buf_setlen(&f, f.len - 1);
			if (f.len > 8 && !memchr(f.buf, '\n', f.len)) {
				dc_buf_adds(out, f.buf + 8);
				dc_buf_release(&f);
				close(fd);
				return 0;
			}
		}
		dc_buf_release(&f);
		if (fd >= 0)
			close(fd);
	}
	if (git(out, 1, "rev-parse", "--git-dir", NULL) || !out->len)
		return -1;
	if (out->buf[out->len - 1] == '\n')
		dc_buf_setlen(out, out->len - 1);
	return 0;
}

static const char *const cat_file[] = { "git", "cat-file", "--batch", NULL };

/* The input of `git cat-file --batch` asking for the rules of `rev`. */
static void rules_request(struct dc_buf *in, const char *rev)
{
	dc_buf_addf(in, "%s:%s\n", rev, DC_RULES_PATH);
}

/*
 * The rules in the answer of `git cat-file --batch` to rules_request():
 * 1 with `rules` filled, 0 if there are none there, -1 if they do not load
 * (the engine says why when it checks).
 */
static int rules_answer(struct dc_rules *rules, const struct dc_buf *out)
{
	struct dc_err err = DC_ERR_INIT;
	const char *nl = memchr(out->buf, '\n', out->len), *sp;
	size_t size;
	int ret = -1;

	if (!nl || !(sp = memmem(out->buf, (size_t)(nl - out->buf), " blob ", 6)))
		return 0;	/* "<name> missing" */
	size = strtoul(sp + 6, NULL, 10);
	if (out->len - (size_t)(nl + 1 - out->buf) >= size &&
	    !dc_rules_parse(rules, nl + 1, size, &err))
		ret = 1;
	dc_err_release(&err);
	return ret;
}

/* The rules of `rev` (any revision), as rules_answer() says. */
static int read_rules(struct dc_rules *rules, const char *rev)
{
	struct dc_buf in = DC_BUF_INIT, out = DC_BUF_INIT;
	int ret = 0;

	rules_request(&in, rev);
	if (!run(cat_file, &in, &out, NULL, 1))
		ret = rules_answer(rules, &out);
	dc_buf_release(&in);
	dc_buf_release(&out);
	return ret;
}

/* A path the protocol protects, under these rules. */
static int protected_path(const char *path, const struct dc_rules *rules)
{
	size_t n = strlen(rules->deltas);

	return !strncmp(path, ".dc/", 4) || (!strncmp(path, rules->deltas, n) && path[n] == '/') ||
	       dc_rules_is_canonical(rules, path);
}

static int hidden(const char *path)
{
	const char *slash = strrchr(path, '/');

	return (slash ? slash[1] : path[0]) == '.';
}

/* ---- reporting -------------------------------------------------------- */

/* 1 if `item` is one of the `sep`-separated items of `list`. */
static int listed(const struct dc_buf *list, const char *item, const char *sep)
{
	size_t n = strlen(item), k = strlen(sep);
	const char *p = list->buf;

	while ((p = strstr(p, item))) {
		size_t at = (size_t)(p - list->buf);
		if ((!at || (at >= k && !strncmp(p - k, sep, k))) &&
		    (!p[n] || !strncmp(p + n, sep, k)))
			return 1;
		p += n;
	}
	return 0;
}

static void report_problem(struct report *rep, const char *commit, const char *rule,
			   const char *message, const char *hint)
{
	if (commit)
		fprintf(stderr, "error: commit %.12s: %s\n", commit, message);
	else
		fprintf(stderr, "error: %s\n", message);
	if (rule && !listed(&rep->rules, rule, ", ")) {
		if (rep->rules.len)
			dc_buf_adds(&rep->rules, ", ");
		dc_buf_adds(&rep->rules, rule);
	}
	if (hint && *hint && !listed(&rep->hints, hint, "\n")) {
		if (rep->hints.len)
			dc_buf_addch(&rep->hints, '\n');
		dc_buf_adds(&rep->hints, hint);
	}
	rep->refused = 1;
}

static void report_warning(const char *commit, const char *message)
{
	if (commit)
		fprintf(stderr, "warning: commit %.12s: %s\n", commit, message);
	else
		fprintf(stderr, "warning: %s\n", message);
}

static void print_hints(const char *hints)
{
	const char *p, *nl;

	for (p = hints; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		fprintf(stderr, "hint: %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
	}
}

static const char *json_str(const struct dc_json *o, const char *key)
{
	const struct dc_json *v = dc_json_get(o, key);

	return v && v->type == DC_JSON_STRING ? v->u.str.s : NULL;
}

/*
 * `git dc check --json <args>`; its problems become the report's. The
 * check failing to run is a refusal too: a hook that cannot check does not
 * let the change through.
 */
static void check(struct report *rep, const char *const *args, size_t nargs)
{
	struct dc_buf out = DC_BUF_INIT, errout = DC_BUF_INIT;
	struct dc_err err = DC_ERR_INIT;
	struct dc_json *doc = NULL;
	const struct dc_json *commits, *e;
	const char **argv = dc_xcalloc(nargs + 5, sizeof(*argv));
	size_t n = git_dc(argv), i, k;
	int st;

	argv[n++] = "check";
	argv[n++] = "--json";
	for (i = 0; i < nargs; i++)
		argv[n++] = args[i];
	st = run(argv, NULL, &out, &errout, 0);
	if (out.len && !dc_json_parse(&doc, out.buf, out.len, NULL, &err) &&
	    (e = dc_json_get(doc, "error")) && json_str(e, "message")) {
		fwrite(errout.buf, 1, errout.len, stderr);
		report_problem(rep, NULL, "check-failed", json_str(e, "message"),
			       json_str(e, "hint"));
		goto cleanup;
	}
	if ((st != 0 && st != 1) || !doc || !(commits = dc_json_get(doc, "commits")) ||
	    commits->type != DC_JSON_ARRAY) {
		fwrite(errout.buf, 1, errout.len, stderr);
		report_problem(rep, NULL, "check-failed", "'git dc check' gave no report", NULL);
		goto cleanup;
	}
	for (i = 0; i < commits->u.arr.n; i++) {
		const struct dc_json *c = commits->u.arr.v[i], *pr = dc_json_get(c, "problems");
		const struct dc_json *w = dc_json_get(c, "warnings");
		const char *name = json_str(c, "commit");

		if (name && !strcmp(name, "index"))
			name = NULL;
		/* deltas the merge will quarantine: said, not refused */
		for (k = 0; w && w->type == DC_JSON_ARRAY && k < w->u.arr.n; k++) {
			const char *msg = json_str(w->u.arr.v[k], "message");
			if (msg)
				report_warning(name, msg);
		}
		for (k = 0; pr && pr->type == DC_JSON_ARRAY && k < pr->u.arr.n; k++) {
			const struct dc_json *p = pr->u.arr.v[k];
			const char *msg = json_str(p, "message");
			report_problem(rep, name, json_str(p, "rule"), msg ? msg : "(no message)",
				       json_str(p, "hint"));
		}
	}
cleanup:
	dc_json_free(doc);
	dc_err_release(&err);
	dc_buf_release(&out);
	dc_buf_release(&errout);
	free(argv);
}

/* The summary line of a refusal; returns the hook's exit status. */
static int report_finish(const struct hook *h, struct report *rep)
{
	if (!rep->refused)
		return 0;
	print_hints(rep->hints.buf);
	fprintf(stderr, "error: git-dc's %s hook refused the %s (broken: %s; PROTOCOL section 9)\n",
		h->name, strstr(h->name, "push") || strstr(h->name, "receive") ? "push" : "commit",
		rep->rules.buf);
	print_hints(HINT_WAYS);
	return 1;
}

/* ---- commits and paths ------------------------------------------------ */

struct oids {
	char (*v)[41];
	size_t n, alloc;
};

/* Append `hex`, unless it is the last one already (git log -m shows a
 * merge once per parent, one after the other). */
static void oids_add(struct oids *l, const char *hex)
{
	if (l->n && !strncmp(l->v[l->n - 1], hex, 40))
		return;
	DC_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	memcpy(l->v[l->n], hex, 40);
	l->v[l->n++][40] = '\0';
}

static int is_hex_oid(const char *s)
{
	return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

/*
 * Add to `out` the commits of `tip` --not `exclude...` that touch a path
 * the protocol protects (every one of them when .dc/ changes along the
 * way: the rules may differ from commit to commit then). Merges are
 * looked at against each parent, so a delta dropped by a merge shows.
 * Without .dc/ changes, every commit of the range has the rules of `tip`.
 */
static int touching_commits(struct oids *out, const char *tip, const char *const *exclude,
			    size_t nexclude)
{
	struct dc_buf log = DC_BUF_INIT;
	struct dc_rules rules = DC_RULES_INIT;
	struct oids all = { NULL, 0, 0 }, hit = { NULL, 0, 0 };
	const char *argv[MAX_ARGS + 16], *p, *end, *cur = NULL;
	size_t n = 0, i;
	int have, every = 0, ret = -1;

	argv[n++] = "git";
	argv[n++] = "log";
	argv[n++] = "-z";
	argv[n++] = "-m";
	argv[n++] = "--root";
	argv[n++] = "--no-renames";
	argv[n++] = "--name-only";
	argv[n++] = "--format=%x01%H";
	argv[n++] = "--ignore-missing";
	argv[n++] = tip;
	argv[n++] = "--not";
	for (i = 0; i < nexclude && i < MAX_ARGS; i++)
		argv[n++] = exclude[i];
	argv[n++] = "--";
	argv[n] = NULL;
	if (run(argv, NULL, &log, NULL, 0)) {
		fprintf(stderr, "error: cannot list the commits of '%s'\n", tip);
		goto cleanup;
	}
	have = read_rules(&rules, tip);
	every = have < 0;
	for (p = log.buf; p < log.buf + log.len; p = end + 1) {
		end = memchr(p, '\0', (size_t)(log.buf + log.len - p));
		if (!end)
			end = log.buf + log.len;
		if (*p == '\n')
			p++;
		if (*p == '\x01' && end - p == 41) {
			cur = p + 1;
			oids_add(&all, cur);
			continue;
		}
		if (!cur || p == end)
			continue;
		if (!strncmp(p, ".dc/", 4))
			every = 1;
		else if (have > 0 && protected_path(p, &rules))
			oids_add(&hit, cur);
	}
	/* oldest first, as git dc check reports a range */
	if (every)
		for (i = all.n; i-- > 0;)
			oids_add(out, all.v[i]);
	else if (have > 0)
		for (i = hit.n; i-- > 0;)
			oids_add(out, hit.v[i]);
	ret = 0;
cleanup:
	free(all.v);
	free(hit.v);
	dc_rules_release(&rules);
	dc_buf_release(&log);
	return ret;
}

static void check_commits(struct report *rep, const struct oids *l)
{
	const char *args[CHECK_BATCH];
	size_t i, n;

	for (i = 0; i < l->n; i += n) {
		for (n = 0; n < CHECK_BATCH && i + n < l->n; n++)
			args[n] = l->v[i + n];
		check(rep, args, n);
	}
}

/*
 * `ref` moves from `old` to `new`: every delta of `old` must still be in
 * `new`, byte for byte. Only a forced update can fail this (a fast-forward
 * brings commits that are checked one by one). Quietly skipped when `old`
 * is not known here (a pre-push to a remote that moved since the last
 * fetch: its pre-receive checks).
 */
static void dropped_deltas(struct report *rep, const char *ref, const char *old, const char *new)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_buf out = DC_BUF_INIT, msg = DC_BUF_INIT, spec = DC_BUF_INIT;
	const char *p, *path, *end;

	if (read_rules(&rules, old) <= 0)
		goto cleanup;
	dc_buf_addf(&spec, "%s/", rules.deltas);
	if (git(&out, 1, "diff-tree", "-r", "--no-renames", "-z", "--name-status", old, new, "--",
		spec.buf, NULL))
		goto cleanup;
	for (p = out.buf; p < out.buf + out.len; p = end + 1) {
		path = p + strlen(p) + 1;
		if (path >= out.buf + out.len)
			break;
		end = path + strlen(path);
		if (*p == 'A' || hidden(path))
			continue;
		dc_buf_reset(&msg);
		dc_buf_addf(&msg, "updating '%s' from %.12s to %.12s %s delta '%s'", ref, old, new,
			    *p == 'D' ? "deletes" : "modifies", path);
		report_problem(rep, NULL, *p == 'D' ? "delta-deleted" : "delta-modified", msg.buf,
			       HINT_DELTA);
	}
cleanup:
	dc_rules_release(&rules);
	dc_buf_release(&out);
	dc_buf_release(&msg);
	dc_buf_release(&spec);
}

/* A ref deleted on the server must not take with it deltas no other ref holds. */
static void deleted_ref(struct report *rep, const char *ref, const char *old)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_buf out = DC_BUF_INIT, arg = DC_BUF_INIT, msg = DC_BUF_INIT;

	if (read_rules(&rules, old) <= 0)
		goto cleanup;
	dc_buf_addf(&arg, "--exclude=%s", ref);
	if (git(&out, 1, "rev-list", "-n", "1", old, "--not", arg.buf, "--all", NULL) || !out.len)
		goto cleanup;	/* every commit of it is kept by another ref */
	dc_buf_reset(&out);
	dc_buf_reset(&arg);
	dc_buf_addf(&arg, "%s/", rules.deltas);
	if (git(&out, 1, "ls-tree", "-r", "--name-only", old, "--", arg.buf, NULL) || !out.len)
		goto cleanup;	/* it holds no delta */
	dc_buf_addf(&msg, "deleting '%s' drops deltas that no other ref holds", ref);
	report_problem(rep, NULL, "delta-deleted", msg.buf, "merge the branch into one that"
		       " keeps its deltas (the primary's merge does) before deleting it");
cleanup:
	dc_rules_release(&rules);
	dc_buf_release(&out);
	dc_buf_release(&arg);
	dc_buf_release(&msg);
}

/* ---- the hooks -------------------------------------------------------- */

static int any_protected(const struct dc_buf *paths, const struct dc_rules *rules)
{
	const char *p;

	for (p = paths->buf; p < paths->buf + paths->len; p += strlen(p) + 1)
		if (rules ? protected_path(p, rules) : !strncmp(p, ".dc/", 4))
			return 1;
	return 0;
}

/* The stash id git left at <git dir>/<name> for re-applying later, if any. */
static int pending_autostash(struct dc_buf *id, struct dc_buf *file, const char *gitdir,
			     const char *name)
{
	char buf[128];
	FILE *f;
	size_t n;

	dc_buf_reset(file);
	dc_buf_reset(id);
	dc_buf_addf(file, "%s/%s", gitdir, name);
	if (!(f = fopen(file->buf, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	dc_buf_adds(id, buf);
	return is_hex_oid(id->buf);
}

/* Keep the stash in `git stash list`, and tell where. 0 if stored. */
static int keep_stash(const char *id, const char *why)
{
	struct dc_buf msg = DC_BUF_INIT;
	int st;

	dc_buf_addf(&msg, "autostash kept by git-dc (%s): not re-applied", why);
	st = git(NULL, 0, "stash", "store", "-m", msg.buf, id, NULL);
	dc_buf_release(&msg);
	if (st)
		fprintf(stderr, "error: cannot store the autostash %s; 'git stash apply %s' brings"
			" it back\n", id, id);
	return st;
}

/*
 * A stash git means to re-apply once the rebase or merge is done (it
 * would land over the new state files) goes into `git stash list`
 * instead, untouched. Run by post-checkout (a rebase run with
 * --no-verify: pre-rebase did not run), post-merge (merge and pull with
 * --autostash or merge.autoStash), and pre-commit and pre-merge-commit
 * (a merge with autostash that stopped on a conflict, concluded by
 * `git commit`).
 */
static void keep_autostash(const struct hook *h)
{
	static const char *const notes[] = {
		"MERGE_AUTOSTASH", "rebase-merge/autostash", "rebase-apply/autostash", NULL
	};
	struct dc_buf gd = DC_BUF_INIT, id = DC_BUF_INIT, file = DC_BUF_INIT;
	const char *const *n;

	if (git_dir(&gd))
		goto cleanup;
	for (n = notes; *n; n++) {
		if (!pending_autostash(&id, &file, gd.buf, *n) || keep_stash(id.buf, h->name))
			continue;
		unlink(file.buf);
		fprintf(stderr, "warning: git-dc: autostash is never used in a dc repository"
			" (PROTOCOL section 9): your uncommitted changes are not re-applied over"
			" the new commits\n"
			"hint: they are kept, byte for byte, in stash@{0} ('git stash show -p');"
			" 'git stash pop --index' brings them back\nhint: %s\n", HINT_SYNC);
	}
cleanup:
	dc_buf_release(&gd);
	dc_buf_release(&id);
	dc_buf_release(&file);
}

static int hook_post(struct hook *h, struct report *rep)
{
	keep_autostash(h);
	return 0;
}

/* One change of `git diff-index --raw --no-abbrev -z` (no renames). */
struct staged {
	char status;		/* A, M, D, T, U */
	char mode[7];		/* the index's mode ("000000" if deleted) */
	char oid[41];		/* the index's blob */
	size_t at;		/* where its path starts in the list of paths */
	const char *path;	/* into the list of paths */
};

/*
 * Parse the raw listing `raw` into `*v` (caller frees) and `paths`, the
 * NUL-separated paths. -1 if it is not that listing.
 */
static int staged_parse(struct staged **v, size_t *n, struct dc_buf *paths,
			const struct dc_buf *raw)
{
	const char *p = raw->buf, *end = raw->buf + raw->len, *path;
	size_t alloc = 0, i;

	*v = NULL;
	*n = 0;
	/* ":<mode> <mode> <oid> <oid> <status>\0<path>\0" */
	while (p < end) {
		if ((size_t)(end - p) < 99 || p[0] != ':' || p[14] != ' ' || p[55] != ' ' ||
		    p[96] != ' ' || p[98] || !(path = memchr(p + 99, '\0', (size_t)(end - p - 99))))
			goto fail;
		DC_ALLOC_GROW(*v, *n + 1, alloc);
		(*v)[*n].status = p[97];
		memcpy((*v)[*n].mode, p + 8, 6);
		(*v)[*n].mode[6] = '\0';
		memcpy((*v)[*n].oid, p + 56, 40);
		(*v)[*n].oid[40] = '\0';
		(*v)[(*n)++].at = paths->len;
		dc_buf_add(paths, p + 99, (size_t)(path - p - 99) + 1);
		p = path + 1;
	}
	/* the list is complete: it moves no more */
	for (i = 0; i < *n; i++)
		(*v)[i].path = paths->buf + (*v)[i].at;
	return 0;
fail:
	free(*v);
	*v = NULL;
	*n = 0;
	return -1;
}

/* The path of `s` inside the delta directory, if it is a new delta there. */
static const char *new_delta(const struct staged *s, const struct dc_rules *rules)
{
	size_t n = strlen(rules->deltas);

	if (strncmp(s->path, rules->deltas, n) || s->path[n] != '/' || s->status != 'A' ||
	    (strcmp(s->mode, "100644") && strcmp(s->mode, "100755")))
		return NULL;
	return s->path + n + 1;
}

/*
 * A commit whose only protected changes are new delta files (rules
 * unchanged, no canonical file, no delta changed or removed) breaks
 * section 9 only through those files: the check `git dc check --index`
 * makes of them is made here, with dc_delta_load() and
 * dc_delta_verdict() as the engine, on the staged blobs (`git cat-file`),
 * without starting git-dc and libgit2. -1 when that is not the case, or a
 * blob cannot be read: the engine checks then.
 */
static int check_new_deltas(struct report *rep, const struct staged *v, size_t n,
			    const struct dc_rules *rules, struct batch *bt)
{
	static const char *const batch_check[] = { "git", "cat-file", "--batch-check", NULL };
	struct dc_buf in = DC_BUF_INIT, sizes = DC_BUF_INIT, blobs = DC_BUF_INIT;
	struct dc_buf msg = DC_BUF_INIT, warnings = DC_BUF_INIT, errors = DC_BUF_INIT;
	const char *p, *q, *end, *verdict;
	size_t i, k, npick = 0, *pick = dc_xcalloc(n + 1, sizeof(*pick));
	uint64_t *size = dc_xcalloc(n + 1, sizeof(*size));
	int ret = -1;

	/* the new deltas to check, by index into v */
	for (i = 0; i < n; i++) {
		const char *rel;

		if (!protected_path(v[i].path, rules))
			continue;
		if (!(rel = new_delta(&v[i], rules)))
			goto cleanup;
		if (!hidden(rel)) {
			pick[npick++] = i;
			dc_buf_addf(&in, "%s\n", v[i].oid);
		}
	}
	/* their sizes first: one over the limit is never read */
	if (npick && (bt ? batch_run(bt, "info", &in, &sizes) : run(batch_check, &in, &sizes, NULL, 1)))
		goto cleanup;
	dc_buf_reset(&in);
	for (k = 0, p = sizes.buf, end = sizes.buf + sizes.len; k < npick; k++) {
		const struct staged *s = &v[pick[k]];

		if (!(q = memchr(p, '\n', (size_t)(end - p))) || (size_t)(q - p) < 47 ||
		    memcmp(p, s->oid, 40) || memcmp(p + 40, " blob ", 6))
			goto cleanup;
		size[k] = strtoull(p + 46, NULL, 10);
		if (size[k] <= rules->max_delta_bytes)
			dc_buf_addf(&in, "%s\n", s->oid);
		p = q + 1;
	}
	if (in.len && (bt ? batch_run(bt, "contents", &in, &blobs) : run(cat_file, &in, &blobs, NULL, 1)))
		goto cleanup;
	for (k = 0, p = blobs.buf, end = blobs.buf + blobs.len; k < npick; k++) {
		const struct staged *s = &v[pick[k]];
		const char *bytes = NULL;
		struct dc_delta d;

		if (size[k] <= rules->max_delta_bytes) {
			/* "<oid> blob <size>\n<bytes>\n" */
			if (!(q = memchr(p, '\n', (size_t)(end - p))) ||
			    (size_t)(end - q - 1) < size[k] + 1 || memcmp(p, s->oid, 40))
				goto cleanup;
			bytes = q + 1;
			p = bytes + size[k] + 1;
		}
		dc_delta_load(&d, s->path, new_delta(s, rules), s->oid, bytes, size[k], rules);
		dc_buf_reset(&msg);
		verdict = dc_delta_verdict(&msg, &d);
		if (verdict)
			dc_buf_add(strcmp(verdict, "delta-quarantined") ? &errors : &warnings,
				   msg.buf, msg.len + 1);
		dc_delta_release(&d);
	}
	/* as the engine reports: warnings, then problems */
	for (p = warnings.buf; p < warnings.buf + warnings.len; p += strlen(p) + 1)
		report_warning(NULL, p);
	for (p = errors.buf; p < errors.buf + errors.len; p += strlen(p) + 1)
		report_problem(rep, NULL, "delta-invalid", p, DC_HINT_BAD_DELTA);
	ret = 0;
cleanup:
	free(pick);
	free(size);
	dc_buf_release(&in);
	dc_buf_release(&sizes);
	dc_buf_release(&blobs);
	dc_buf_release(&msg);
	dc_buf_release(&warnings);
	dc_buf_release(&errors);
	return ret;
}

/*
 * The staged changes against HEAD, as `git diff-index --cached --raw`
 * lists them, into `raw`: read from the index, HEAD's trees and the rules
 * asked of `bt` (staged.h) when it runs and the index is one read here,
 * else from git diff-index while `git cat-file --batch` answers for the
 * rules. `answer` gets the rules as `git cat-file --batch` prints them.
 */
static int staged_changes(struct hook *h, struct dc_buf *raw, struct dc_buf *answer,
			  struct batch *bt, int *fast)
{
	struct dc_buf in = DC_BUF_INIT, gitdir = DC_BUF_INIT;
	const char *index_file = getenv("GIT_INDEX_FILE");
	struct child cat;
	int started, e;

	*fast = 0;
	rules_request(&in, "HEAD");
	if (!getenv("DC_HOOK_DIFF_INDEX")) {
		size_t dirlen = git_dir(&gitdir) ? 0 : gitdir.len;

		if (batch_start(bt, dirlen ? gitdir.buf : NULL))
			goto diff_index;
		if (!index_file || !*index_file) {
			dc_buf_setlen(&gitdir, dirlen);
			if (dirlen)
				dc_buf_adds(&gitdir, "/index");
			index_file = gitdir.buf;
		}
		e = batch_run(bt, "contents", &in, answer);
		if (!e && *index_file)
			e = staged_from_index(raw, bt, index_file);
		else if (!e)
			e = 1;
		if (!e) {
			*fast = 1;
			trace(h, "staged changes read from the index");
			goto done;
		}
		batch_stop(bt);
		dc_buf_reset(raw);
		dc_buf_reset(answer);
	}
diff_index:
	started = !child_start(&cat, cat_file, &in, 1, 0, 1);
	e = git(raw, 1, "diff-index", "--cached", "--raw", "--no-abbrev", "--no-renames", "-z",
		"HEAD", "--", NULL);
	if (e) {
		struct dc_buf head = DC_BUF_INIT;

		/* no commit yet: everything staged is new (a HEAD that cannot be read is an error) */
		dc_buf_reset(raw);
		if (git(&head, 1, "rev-parse", "-q", "--verify", "HEAD^{commit}", NULL))
			e = git(raw, 0, "diff-index", "--cached", "--raw", "--no-abbrev",
				"--no-renames", "-z", EMPTY_TREE, "--", NULL);
		dc_buf_release(&head);
	}
	if (started && child_finish(&cat, answer, NULL))
		dc_buf_reset(answer);
	trace(h, "staged changes from git diff-index");
done:
	dc_buf_release(&in);
	dc_buf_release(&gitdir);
	return e ? -1 : 0;
}

/*
 * pre-commit, pre-merge-commit: what `git commit` would record, against
 * HEAD. The rules of HEAD are read while the staged paths are listed;
 * one `git cat-file` serves the rules, HEAD's trees and the new deltas.
 */
static int hook_commit(struct hook *h, struct report *rep)
{
	struct dc_buf paths = DC_BUF_INIT, raw = DC_BUF_INIT;
	struct dc_buf answer = DC_BUF_INIT;
	struct dc_rules rules = DC_RULES_INIT;
	const char *args[] = { "--index" };
	struct staged *staged = NULL;
	struct batch bt;
	size_t nstaged = 0, i;
	int need, have = 0, fast = 0;

	keep_autostash(h);
	memset(&bt, 0, sizeof(bt));
	bt.to = bt.from = -1;
	if (staged_changes(h, &raw, &answer, &bt, &fast))
		report_problem(rep, NULL, "check-failed", "cannot list the staged changes", NULL);
	if (!rep->refused && staged_parse(&staged, &nstaged, &paths, &raw))
		report_problem(rep, NULL, "check-failed", "cannot read the staged changes", NULL);
	if (answer.len)
		have = rules_answer(&rules, &answer);
	for (i = 0; i < nstaged && getenv("DC_TRACE_HOOKS"); i++)
		trace(h, "staged: %c %s", staged[i].status, staged[i].path);
	if (rep->refused)
		goto cleanup;
	/* without a change to .dc/, the index has the rules of HEAD */
	need = any_protected(&paths, NULL) ||
	       (paths.len && (have < 0 || (have > 0 && any_protected(&paths, &rules))));
	if (!need) {
		trace(h, "%s: not checked", paths.len ? "no protected path staged" : "nothing staged");
	} else if (!any_protected(&paths, NULL) && have > 0 &&
		   !check_new_deltas(rep, staged, nstaged, &rules, fast ? &bt : NULL)) {
		trace(h, "only new deltas staged: checked without git dc");
	} else {
		trace(h, "protected paths staged: git dc check --index");
		check(rep, args, 1);
	}
cleanup:
	if (fast) {
		trace(h, "objects: %u read here, %u by git cat-file", bt.here, bt.by_git);
		batch_stop(&bt);
	}
	free(staged);
	dc_rules_release(&rules);
	dc_buf_release(&paths);
	dc_buf_release(&raw);
	dc_buf_release(&answer);
	return report_finish(h, rep);
}

/* Split the next line at `pos` (in place) into up to `max` space-separated words. */
static size_t next_line(char **words, size_t max, char **pos)
{
	char *line = *pos, *nl, *w;
	size_t n = 0;

	if (!line || !*line)
		return 0;
	nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	*pos = nl ? nl + 1 : line + strlen(line);
	while (n < max && (w = strsep(&line, " ")))
		if (*w)
			words[n++] = w;
	return n ? n : next_line(words, max, pos);
}

/* A remote's name (not a URL or path): its remote-tracking refs are known. */
static int remote_name(const char *s)
{
	return s && *s && *s != '.' && *s != '/' && !strpbrk(s, ":*?[\\ ");
}

/* pre-push <remote> <url>, lines "<local ref> <local oid> <remote ref> <remote oid>". */
static int hook_pre_push(struct hook *h, struct report *rep)
{
	struct oids todo = { NULL, 0, 0 };
	struct dc_buf remotes = DC_BUF_INIT;
	char *lines = dc_xmemdupz(h->in.buf, h->in.len), *pos = lines, *w[4];
	const char *exclude[2];
	size_t n;

	if (h->argc > 0 && remote_name(h->argv[0]))
		dc_buf_addf(&remotes, "--remotes=%s", h->argv[0]);
	while ((n = next_line(w, 4, &pos))) {
		if (n < 4 || !is_hex_oid(w[1]) || !strcmp(w[1], ZERO_OID))
			continue;	/* a deletion: the remote decides */
		n = 0;
		if (remotes.len)
			exclude[n++] = remotes.buf;
		if (is_hex_oid(w[3]) && strcmp(w[3], ZERO_OID)) {
			exclude[n++] = w[3];
			dropped_deltas(rep, w[2], w[3], w[1]);
		}
		if (touching_commits(&todo, w[1], exclude, n))
			report_problem(rep, NULL, "check-failed", "cannot list the commits to push",
				       NULL);
	}
	trace(h, "%zu commit(s) touch protected paths: git dc check", todo.n);
	check_commits(rep, &todo);
	free(todo.v);
	free(lines);
	dc_buf_release(&remotes);
	return report_finish(h, rep);
}

/* pre-receive, lines "<old oid> <new oid> <ref>"; refs are not moved yet. */
static int hook_pre_receive(struct hook *h, struct report *rep)
{
	struct oids todo = { NULL, 0, 0 };
	char *lines = dc_xmemdupz(h->in.buf, h->in.len), *pos = lines, *w[3];
	const char *exclude[] = { "--all" };

	while (next_line(w, 3, &pos) == 3) {
		if (!is_hex_oid(w[0]) || !is_hex_oid(w[1]))
			continue;
		if (!strcmp(w[1], ZERO_OID)) {
			deleted_ref(rep, w[2], w[0]);
			continue;
		}
		if (strcmp(w[0], ZERO_OID))
			dropped_deltas(rep, w[2], w[0], w[1]);
		if (touching_commits(&todo, w[1], exclude, 1))
			report_problem(rep, NULL, "check-failed", "cannot list the pushed commits",
				       NULL);
	}
	trace(h, "%zu commit(s) touch protected paths: git dc check", todo.n);
	check_commits(rep, &todo);
	free(todo.v);
	free(lines);
	return report_finish(h, rep);
}

static const char *const rebase_dirs[] = { "rebase-merge", "rebase-apply", NULL };

/*
 * pre-rebase: git has already stashed the work tree for --autostash (or
 * rebase.autoStash) and reset it. Put the stash back exactly (the index
 * too), take away git's note of it, and refuse.
 */
static int hook_pre_rebase(struct hook *h, struct report *rep)
{
	struct dc_buf gd = DC_BUF_INIT, id = DC_BUF_INIT, file = DC_BUF_INIT, dir = DC_BUF_INIT;
	struct dc_buf errout = DC_BUF_INIT;
	const char *apply[] = { "git", "stash", "apply", "--quiet", "--index", NULL, NULL };
	const char *const *d;
	int ret = 0;

	if (git_dir(&gd))
		goto cleanup;
	for (d = rebase_dirs; *d && !ret; d++) {
		dc_buf_reset(&dir);
		dc_buf_addf(&dir, "%s/autostash", *d);
		if (!pending_autostash(&id, &file, gd.buf, dir.buf))
			continue;
		ret = 1;
		fprintf(stderr, "error: the git-dc %s hook refuses to rebase with autostash"
			" (--autostash or rebase.autoStash; PROTOCOL section 9)\n", h->name);
		dc_buf_reset(&errout);
		apply[5] = id.buf;
		if (!run(apply, NULL, NULL, &errout, 0)) {
			fprintf(stderr, "hint: your uncommitted changes are back in the work tree and"
				" the index, as they were\n");
		} else {
			fwrite(errout.buf, 1, errout.len, stderr);
			if (keep_stash(id.buf, "rebase refused"))
				continue;	/* leave git's note: git's own handling applies */
			fprintf(stderr, "hint: your uncommitted changes are kept in stash@{0}\n");
		}
		unlink(file.buf);
		dc_buf_reset(&dir);
		dc_buf_addf(&dir, "%s/%s", gd.buf, *d);
		rmdir(dir.buf);	/* git made it for the stash's note only */
		fprintf(stderr, "hint: commit them (or stash them yourself), then rebase without"
			" --autostash\nhint: %s\n", HINT_SYNC);
	}
cleanup:
	dc_buf_release(&gd);
	dc_buf_release(&id);
	dc_buf_release(&file);
	dc_buf_release(&dir);
	dc_buf_release(&errout);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(struct hook *h, struct report *rep);
	int reads_stdin;
	int refuses;		/* a non-zero status stops git (and the chained hook) */
} hooks[] = {
	{ "post-checkout", hook_post, 0, 0 },
	{ "post-merge", hook_post, 0, 0 },
	{ "pre-commit", hook_commit, 0, 1 },
	{ "pre-merge-commit", hook_commit, 0, 1 },
	{ "pre-push", hook_pre_push, 1, 1 },
	{ "pre-rebase", hook_pre_rebase, 0, 1 },
	{ "pre-receive", hook_pre_receive, 1, 1 },
};

/* 1 if the program `prog` (a path or a name) is called `name`. */
static int is_named(const char *prog, const char *name)
{
	const char *base = strrchr(prog, '/');

	return !strcmp(base ? base + 1 : prog, name);
}

static int is_shell(const char *prog)
{
	return is_named(prog, "sh") || is_named(prog, "bash") || is_named(prog, "dash");
}

/*
 * 1 if the script at `path` is run by a POSIX shell (`#!/bin/sh`,
 * `#!/usr/bin/env bash`, ...): its interpreter and argument, split as the
 * kernel splits them, in words[0..*n) (pointing into `line`, which holds
 * `size` bytes).
 */
static int shell_words(const char **words, int *n, char *line, size_t size, const char *path)
{
	FILE *f = fopen(path, "r");
	char *p, *arg, *end;
	int ok;

	if (!f)
		return 0;
	ok = fgets(line, (int)size, f) && !strncmp(line, "#!", 2);
	fclose(f);
	if (!ok)
		return 0;
	for (end = line + strlen(line); end > line && strchr(" \t\r\n", end[-1]); end--)
		;
	*end = '\0';
	p = line + 2 + strspn(line + 2, " \t");
	arg = p + strcspn(p, " \t");
	if (*arg) {
		*arg++ = '\0';
		arg += strspn(arg, " \t");
	}
	*n = 0;
	words[(*n)++] = p;
	if (*arg)
		words[(*n)++] = arg;
	if (is_shell(p))
		return 1;
	return is_named(p, "env") && *n == 2 && !strpbrk(arg, " \t") && is_shell(arg);
}

/*
 * The hook that was in place before git-dc, run as git would have run it.
 * With `source`, a shell script is sourced by its shell with $0 set to the
 * path git ran, so it sees its own name and directory (hook frameworks
 * find their scripts from $0), not <hook>.dc-chained; that shell's pid is
 * in DC_HOOK_SHELL, for rerun().
 */
static int run_chained(const struct hook *h, int source)
{
	struct dc_buf self = DC_BUF_INIT, path = DC_BUF_INIT;
	const char **argv;
	char line[256];
	int i, n, st = 0;

	/* with a slash, posix_spawnp runs the path as it is */
	dc_buf_addf(&self, "%s%s", strchr(h->path, '/') ? "" : "./", h->path);
	dc_buf_addf(&path, "%s" DC_HOOK_CHAINED_SUFFIX, self.buf);
	if (!access(path.buf, X_OK)) {
		argv = dc_xcalloc((size_t)h->argc + 6, sizeof(*argv));
		if (source && shell_words(argv, &n, line, sizeof(line), path.buf)) {
			argv[n++] = "-c";
			argv[n++] = "export DC_HOOK_SHELL=$$; . \"$0\"" DC_HOOK_CHAINED_SUFFIX;
			argv[n++] = self.buf;
		} else {
			n = 0;
			argv[n++] = path.buf;
		}
		for (i = 0; i < h->argc; i++)
			argv[n++] = h->argv[i];
		st = run(argv, h->has_in ? &h->in : NULL, NULL, NULL, 0);
		if (st < 0)
			st = 1;
		free(argv);
	}
	dc_buf_release(&self);
	dc_buf_release(&path);
	return st;
}

/*
 * 1 if this hook is the chained script running "$0" again (husky 8 runs
 * `sh -e "$0"`; others `exec bash "$0"`): the shell that sources it, or
 * started by that shell while it is still a shell. A hook of a git command
 * the chained script runs (even by `exec git`) has git as its parent, and
 * is checked as usual.
 */
static int rerun(void)
{
	const char *sh = getenv("DC_HOOK_SHELL");
	long pid = sh ? strtol(sh, NULL, 10) : 0;
	char exe[PATH_MAX], proc[64];
	ssize_t n;

	if (pid <= 0)
		return 0;
	if (pid == (long)getpid())
		return 1;
	if (pid != (long)getppid())
		return 0;
	snprintf(proc, sizeof(proc), "/proc/%ld/exe", pid);
	if ((n = readlink(proc, exe, sizeof(exe) - 1)) <= 0)
		return 0;
	exe[n] = '\0';
	return is_shell(exe);
}

int main(int argc, const char **argv)
{
	struct hook h;
	struct report rep = { DC_BUF_INIT, DC_BUF_INIT, 0 };
	char chunk[65536];
	ssize_t got;
	size_t i;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: %s <hook> <hook path> [<arguments>...]\n"
			"(run by the hooks 'git dc init' installs)\n", DC_HOOK_PROGRAM);
		return 129;
	}
	for (i = 0; i < sizeof(hooks) / sizeof(*hooks); i++)
		if (!strcmp(hooks[i].name, argv[1]))
			break;
	if (i == sizeof(hooks) / sizeof(*hooks)) {
		fprintf(stderr, "error: %s: unknown hook '%s'\n", DC_HOOK_PROGRAM, argv[1]);
		return 129;
	}
	memset(&h, 0, sizeof(h));
	h.name = argv[1];
	h.path = argv[2];
	h.argc = argc - 3;
	h.argv = argv + 3;
	h.in = (struct dc_buf)DC_BUF_INIT;
	if (hooks[i].reads_stdin) {
		h.has_in = 1;
		while ((got = read(0, chunk, sizeof(chunk))) != 0) {
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				break;
			dc_buf_add(&h.in, chunk, (size_t)got);
		}
	}
	if (rerun()) {
		/* checked before the chained script started: now run it as it asks */
		ret = run_chained(&h, 0);
	} else {
		ret = hooks[i].fn(&h, &rep);
		if (!(ret && hooks[i].refuses))
			ret = run_chained(&h, 1);
	}
	dc_buf_release(&h.in);
	dc_buf_release(&rep.rules);
	dc_buf_release(&rep.hints);
	return ret;
}
