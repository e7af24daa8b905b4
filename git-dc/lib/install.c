#include "install.h"
#include "fold.h"
#include "init.h"
#include "json.h"
#include "merge.h"
#include "repo.h"
#include "rules.h"
#include "run.h"
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

const char *const dc_install_client_hooks[] = {
	"pre-commit", "pre-merge-commit", "pre-push", "pre-rebase",
	"post-checkout", "post-merge", NULL,
};

const char *const dc_install_server_hooks[] = { "pre-receive", NULL };

/* The configuration git-dc sets; `client`: only with a work tree. */
static const struct setting {
	const char *key;
	const char *value;
	int client;
	int keep_other;		/* a value set by someone else is theirs to keep */
} settings[] = {
	{ "rebase.autoStash", "false", 1, 0 },
	{ "merge.autoStash", "false", 1, 0 },
	{ "merge.dc.name", DC_MERGE_DRIVER_NAME, 0, 1 },
	{ "merge.dc.driver", DC_MERGE_DRIVER, 0, 1 },
};

/* ---- running git ------------------------------------------------------ */

/* A local configuration value: 1 and `out` set, 0 if unset. */
static int config_get(struct dc_buf *out, struct dc_repo *r, const char *key, int local,
		      struct dc_err *err)
{
	int st;

	dc_buf_reset(out);
	if (local ? dc_run_gitl(&st, out, NULL, r, err, "config", "--local", "--get", key, NULL) :
	    dc_run_gitl(&st, out, NULL, r, err, "config", "--get", key, NULL))
		return -1;
	return st == 0;
}

static int config_set(struct dc_repo *r, const char *key, const char *value, struct dc_err *err)
{
	int st;

	if (dc_run_gitl(&st, NULL, NULL, r, err, "config", "--local", key, value, NULL))
		return -1;
	if (st)
		return dc_err_set(err, DC_ERR_FATAL, "cannot set '%s' in the configuration", key);
	return 0;
}

/* Unset a key; drop its section when nothing is left in it. */
static int config_unset(struct dc_repo *r, const char *key, struct dc_err *err)
{
	struct dc_buf section = DC_BUF_INIT, re = DC_BUF_INIT, out = DC_BUF_INIT;
	const char *dot = strrchr(key, '.'), *p;
	int st, ret = -1;

	if (dc_run_gitl(&st, NULL, NULL, r, err, "config", "--local", "--unset", key, NULL))
		goto cleanup;
	dc_buf_add(&section, key, (size_t)(dot - key));
	dc_buf_addch(&re, '^');
	for (p = section.buf; *p; p++) {
		if (*p == '.')
			dc_buf_addch(&re, '\\');
		dc_buf_addch(&re, *p);
	}
	dc_buf_adds(&re, "\\.[^.]*$");
	if (dc_run_gitl(&st, &out, NULL, r, err, "config", "--local", "--get-regexp", re.buf, NULL))
		goto cleanup;
	if (st == 1 && dc_run_gitl(&st, NULL, NULL, r, err, "config", "--local", "--remove-section", section.buf,
			   NULL))
		goto cleanup;
	ret = 0;
cleanup:
	dc_buf_release(&section);
	dc_buf_release(&re);
	dc_buf_release(&out);
	return ret;
}

/*
 * The hooks directory git uses here: as git names it (relative to the top
 * of the work tree, or to the git directory when bare; absolute when
 * elsewhere) in `shown`, and as an absolute path in `out`.
 */
static int hooks_dir(struct dc_buf *out, struct dc_buf *shown, struct dc_repo *r,
		     struct dc_err *err)
{
	int st;

	dc_buf_reset(shown);
	if (dc_run_gitl(&st, shown, NULL, r, err, "rev-parse", "--git-path", "hooks", NULL))
		return -1;
	if (st || !shown->len)
		return dc_err_set(err, DC_ERR_FATAL, "cannot find the hooks directory");
	dc_buf_reset(out);
	if (shown->buf[0] != '/')
		dc_buf_adds(out, r->workdir ? r->workdir : r->gitdir);
	dc_buf_addbuf(out, shown);
	return 0;
}

/* ---- the installation record ------------------------------------------ */

struct rec_hook {
	char *dir, *name;
	int chained;
};

struct rec_value {
	char *key;		/* a configuration key, or a file's path */
	char *was;		/* NULL: absent */
	char *wrote;		/* files: what git-dc wrote last */
};

struct record {
	struct rec_hook *hooks;
	size_t nhooks, ahooks;
	struct rec_value *config;
	size_t nconfig, aconfig;
	struct rec_value *files;
	size_t nfiles, afiles;
	int exists;
	int dirty;		/* changed since it was loaded */
};

static void record_release(struct record *rec)
{
	size_t i;

	for (i = 0; i < rec->nhooks; i++) {
		free(rec->hooks[i].dir);
		free(rec->hooks[i].name);
	}
	for (i = 0; i < rec->nconfig; i++) {
		free(rec->config[i].key);
		free(rec->config[i].was);
	}
	for (i = 0; i < rec->nfiles; i++) {
		free(rec->files[i].key);
		free(rec->files[i].was);
		free(rec->files[i].wrote);
	}
	free(rec->hooks);
	free(rec->config);
	free(rec->files);
	memset(rec, 0, sizeof(*rec));
}

static void record_path(struct dc_buf *out, struct dc_repo *r)
{
	dc_buf_reset(out);
	dc_buf_addf(out, "%s%s", git_repository_commondir(r->git), DC_INSTALL_RECORD);
}

static struct rec_hook *record_hook(struct record *rec, const char *dir, const char *name)
{
	size_t i;

	for (i = 0; i < rec->nhooks; i++)
		if (!strcmp(rec->hooks[i].dir, dir) && !strcmp(rec->hooks[i].name, name))
			return &rec->hooks[i];
	return NULL;
}

static struct rec_value *record_value(struct rec_value *v, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(v[i].key, key))
			return &v[i];
	return NULL;
}

static void add_value(struct rec_value **v, size_t *n, size_t *alloc, const char *key,
		      const char *was, size_t waslen)
{
	DC_ALLOC_GROW(*v, *n + 1, *alloc);
	(*v)[*n].key = dc_xstrdup(key);
	(*v)[*n].wrote = NULL;
	(*v)[(*n)++].was = was ? dc_xmemdupz(was, waslen) : NULL;
}

static const char *member_str(const struct dc_json *o, const char *key)
{
	const struct dc_json *v = dc_json_get(o, key);

	return v && v->type == DC_JSON_STRING ? v->u.str.s : NULL;
}

static int load_values(struct rec_value **v, size_t *n, size_t *alloc, const struct dc_json *arr,
		       const char *keyname)
{
	size_t i;

	for (i = 0; arr && i < arr->u.arr.n; i++) {
		const struct dc_json *e = arr->u.arr.v[i], *was = dc_json_get(e, "was");
		const struct dc_json *wrote = dc_json_get(e, "wrote");
		if (!member_str(e, keyname) || !was ||
		    (was->type != DC_JSON_STRING && was->type != DC_JSON_NULL) ||
		    (wrote && wrote->type != DC_JSON_STRING))
			return -1;
		add_value(v, n, alloc, member_str(e, keyname),
			  was->type == DC_JSON_STRING ? was->u.str.s : NULL,
			  was->type == DC_JSON_STRING ? was->u.str.len : 0);
		if (wrote)
			(*v)[*n - 1].wrote = dc_xmemdupz(wrote->u.str.s, wrote->u.str.len);
	}
	return 0;
}

static int record_load(struct record *rec, struct dc_repo *r, struct dc_err *err)
{
	struct dc_buf path = DC_BUF_INIT, text = DC_BUF_INIT;
	struct dc_json *doc = NULL;
	const struct dc_json *hooks, *config, *files;
	char chunk[8192];
	size_t i, got;
	FILE *f;
	int ret = -1;

	memset(rec, 0, sizeof(*rec));
	record_path(&path, r);
	if (!(f = fopen(path.buf, "r"))) {
		ret = errno == ENOENT ? 0 : dc_err_set(err, DC_ERR_FATAL, "cannot read '%s': %s",
						       path.buf, strerror(errno));
		goto cleanup;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dc_buf_add(&text, chunk, got);
	fclose(f);
	if (dc_json_parse(&doc, text.buf, text.len, NULL, err))
		goto bad;
	hooks = dc_json_get(doc, "hooks");
	config = dc_json_get(doc, "config");
	files = dc_json_get(doc, "files");
	if (!hooks || hooks->type != DC_JSON_ARRAY || !config || config->type != DC_JSON_ARRAY ||
	    !files || files->type != DC_JSON_ARRAY)
		goto bad;
	for (i = 0; i < hooks->u.arr.n; i++) {
		const struct dc_json *e = hooks->u.arr.v[i], *ch = dc_json_get(e, "chained");
		if (!member_str(e, "dir") || !member_str(e, "name") || !ch ||
		    (ch->type != DC_JSON_TRUE && ch->type != DC_JSON_FALSE))
			goto bad;
		DC_ALLOC_GROW(rec->hooks, rec->nhooks + 1, rec->ahooks);
		rec->hooks[rec->nhooks].dir = dc_xstrdup(member_str(e, "dir"));
		rec->hooks[rec->nhooks].name = dc_xstrdup(member_str(e, "name"));
		rec->hooks[rec->nhooks++].chained = ch->type == DC_JSON_TRUE;
	}
	if (load_values(&rec->config, &rec->nconfig, &rec->aconfig, config, "key") ||
	    load_values(&rec->files, &rec->nfiles, &rec->afiles, files, "path"))
		goto bad;
	rec->exists = 1;
	ret = 0;
	goto cleanup;
bad:
	dc_err_set(err, DC_ERR_FATAL, "'%s' is not an installation record git-dc wrote", path.buf);
	dc_err_hint(err, "move it away, then run 'git dc init' again");
cleanup:
	dc_json_free(doc);
	dc_buf_release(&path);
	dc_buf_release(&text);
	return ret;
}

static struct dc_json *json_str(const char *s)
{
	return s ? dc_json_new_string(s, strlen(s)) : dc_json_new(DC_JSON_NULL);
}

static void save_values(struct dc_json *doc, const char *member, const char *keyname,
			const struct rec_value *v, size_t n)
{
	struct dc_json *arr = dc_json_new(DC_JSON_ARRAY);
	size_t i;

	for (i = 0; i < n; i++) {
		struct dc_json *e = dc_json_new(DC_JSON_OBJECT);
		dc_json_set(e, keyname, strlen(keyname), json_str(v[i].key));
		dc_json_set(e, "was", 3, json_str(v[i].was));
		if (v[i].wrote)
			dc_json_set(e, "wrote", 5, json_str(v[i].wrote));
		dc_json_push(arr, e);
	}
	dc_json_set(doc, member, strlen(member), arr);
}

static int record_save(const struct record *rec, struct dc_repo *r, struct dc_err *err)
{
	struct dc_json *doc = dc_json_new(DC_JSON_OBJECT), *hooks = dc_json_new(DC_JSON_ARRAY);
	struct dc_buf path = DC_BUF_INIT, text = DC_BUF_INIT;
	size_t i;
	int ret;

	dc_json_set(doc, "version", 7, dc_json_new_int(1));
	for (i = 0; i < rec->nhooks; i++) {
		struct dc_json *e = dc_json_new(DC_JSON_OBJECT);
		dc_json_set(e, "dir", 3, json_str(rec->hooks[i].dir));
		dc_json_set(e, "name", 4, json_str(rec->hooks[i].name));
		dc_json_set(e, "chained", 7,
			    dc_json_new(rec->hooks[i].chained ? DC_JSON_TRUE : DC_JSON_FALSE));
		dc_json_push(hooks, e);
	}
	dc_json_set(doc, "hooks", 5, hooks);
	save_values(doc, "config", "key", rec->config, rec->nconfig);
	save_values(doc, "files", "path", rec->files, rec->nfiles);
	dc_json_write(&text, doc);
	record_path(&path, r);
	ret = dc_write_file_atomic(path.buf, text.buf, text.len, err);
	dc_json_free(doc);
	dc_buf_release(&path);
	dc_buf_release(&text);
	return ret;
}

/* ---- files ------------------------------------------------------------ */

/* Read a whole file: 1 if read, 0 if absent, -1 on error. */
static int read_file(struct dc_buf *out, const char *path, struct dc_err *err)
{
	char chunk[8192];
	size_t got;
	FILE *f;

	dc_buf_reset(out);
	if (!(f = fopen(path, "r"))) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return dc_err_set(err, DC_ERR_FATAL, "cannot read '%s': %s", path, strerror(errno));
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dc_buf_add(out, chunk, got);
	fclose(f);
	return 1;
}

static int exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}


/* 1 if the first bytes of the file at `path` (a hook script) hold `needle`;
 * with `shebang`, only if it starts with "#!". */
static int file_has(const char *path, const char *needle, int shebang)
{
	char head[1024];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	return (!shebang || !strncmp(head, "#!", 2)) && strstr(head, needle) != NULL;
}

/* 1 if `path` is a hook shim git-dc wrote. */
static int is_shim(const char *path)
{
	return file_has(path, "\n" DC_HOOK_MARKER "\n", 1);
}

/*
 * Where hook frameworks put a hook they find in their way when they
 * install their own: pre-commit keeps it as <hook>.legacy and its own hook
 * runs it first ("migration mode"); lefthook keeps it as <hook>.old and
 * never runs it. `runner`: a line of the framework's own hook, which runs
 * the hook kept; NULL when nothing runs it.
 */
static const struct aside {
	const char *suffix;
	const char *runner;
} asides[] = {
	{ ".legacy", "\n# File generated by pre-commit: https://pre-commit.com\n" },
	{ ".old", NULL },
};

#define NASIDES (sizeof(asides) / sizeof(*asides))


/*
 * 1 if the hook at `path` is a framework's that runs the hook it moved
 * aside, and that hook is git-dc's shim: git-dc's check runs there; its
 * path in `out`.
 */
static int shim_aside(struct dc_buf *out, const char *path)
{
	size_t i;

	for (i = 0; i < NASIDES; i++) {
		if (!asides[i].runner || !file_has(path, asides[i].runner, 0))
			continue;
		dc_buf_reset(out);
		dc_buf_addf(out, "%s%s", path, asides[i].suffix);
		if (is_shim(out->buf))
			return 1;
	}
	return 0;
}

/* 1 if the two files hold the same bytes, 0 if not, -1 on error. */
static int same_bytes(const char *a, const char *b, struct dc_err *err)
{
	struct dc_buf x = DC_BUF_INIT, y = DC_BUF_INIT;
	int ret = -1;

	if (read_file(&x, a, err) < 0 || read_file(&y, b, err) < 0)
		goto cleanup;
	ret = x.len == y.len && !memcmp(x.buf, y.buf, x.len);
cleanup:
	dc_buf_release(&x);
	dc_buf_release(&y);
	return ret;
}

static void sh_quote(struct dc_buf *out, const char *s)
{
	dc_buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			dc_buf_adds(out, "'\\''");
		else
			dc_buf_addch(out, *s);
	}
	dc_buf_addch(out, '\'');
}

static void shim_text(struct dc_buf *out, const char *program, const char *hook)
{
	dc_buf_adds(out, "#!/bin/sh\n" DC_HOOK_MARKER "\n");
	dc_buf_addf(out, "# A %s hook that was here before is kept as %s" DC_HOOK_CHAINED_SUFFIX
		    " and still runs.\n", hook, hook);
	dc_buf_adds(out, "p=");
	sh_quote(out, program);
	dc_buf_adds(out, "\ncommand -v \"$p\" >/dev/null 2>&1 || p=" DC_HOOK_PROGRAM "\n"
		    "command -v \"$p\" >/dev/null 2>&1 || {\n"
		    "\techo \"error: git-dc: the hook program '$p' is not installed;"
		    " install git-dc, or run 'git dc uninstall'\" >&2\n"
		    "\texit 1\n}\n");
	dc_buf_addf(out, "exec \"$p\" %s \"$0\" \"$@\"\n", hook);
}

/* The program a shim runs (its p='...' line), in `out`; 0 if none. */
static int shim_program(struct dc_buf *out, const char *text)
{
	const char *p = strstr(text, "\np='");

	dc_buf_reset(out);
	if (!p)
		return 0;
	for (p += 4; *p && *p != '\n'; p++) {
		if (!strncmp(p, "'\\''", 4)) {
			dc_buf_addch(out, '\'');
			p += 3;
		} else if (*p != '\'') {
			dc_buf_addch(out, *p);
		}
	}
	return 1;
}

/* Write an executable file in one step (a temporary file, then rename). */
static int write_exec(const char *path, const struct dc_buf *text, struct dc_err *err)
{
	struct dc_buf tmp = DC_BUF_INIT;
	mode_t mask = umask(0);
	int ret = -1;

	umask(mask);
	dc_buf_addf(&tmp, "%s.dc-new", path);
	if (dc_write_file_atomic(tmp.buf, text->buf, text->len, err))
		goto cleanup;
	if (chmod(tmp.buf, 0777 & ~mask) || rename(tmp.buf, path)) {
		dc_err_set(err, DC_ERR_FATAL, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.buf);
		goto cleanup;
	}
	ret = 0;
cleanup:
	dc_buf_release(&tmp);
	return ret;
}

static void list_add(char ***list, size_t *n, const char *s)
{
	*list = dc_xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = dc_xstrdup(s);
}

static void list_free(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* ---- install ---------------------------------------------------------- */

void dc_install_program(struct dc_buf *out)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			dc_buf_add(out, self, (size_t)(slash + 1 - self));
			dc_buf_adds(out, DC_HOOK_PROGRAM);
			if (!access(out->buf, X_OK))
				return;
			dc_buf_reset(out);
		}
	}
	dc_buf_adds(out, DC_HOOK_PROGRAM);
}

static int install_hook(struct record *rec, struct dc_install_result *res, const char *dir,
			const char *name, const char *program, struct dc_err *err)
{
	struct dc_buf path = DC_BUF_INIT, chained = DC_BUF_INIT, want = DC_BUF_INIT;
	struct dc_buf have = DC_BUF_INIT, aside = DC_BUF_INIT;
	struct rec_hook *h;
	const char *target;
	int moved = 0, ours, ret = -1, e;

	dc_buf_addf(&path, "%s/%s", dir, name);
	dc_buf_addf(&chained, "%s" DC_HOOK_CHAINED_SUFFIX, path.buf);
	shim_text(&want, program, name);
	target = path.buf;
	if (exists(path.buf)) {
		ours = is_shim(path.buf);
		/* a framework's hook that runs git-dc's, which it moved aside */
		if (!ours && shim_aside(&aside, path.buf)) {
			target = aside.buf;
			ours = 1;
		}
		if (ours) {
			if ((e = read_file(&have, target, err)) < 0)
				goto cleanup;
			if (have.len == want.len && !memcmp(have.buf, want.buf, want.len) &&
			    !access(target, X_OK))
				goto record;
		} else {
			/*
			 * A framework that installs its hooks again writes them over
			 * git-dc's: the copy already kept is then the same file.
			 */
			e = exists(chained.buf) ? same_bytes(path.buf, chained.buf, err) : 1;
			if (e < 0)
				goto cleanup;
			if (!e) {
				dc_err_set(err, DC_ERR_REFUSED, "cannot keep the hook '%s':"
					   " '%s' is in the way", path.buf, chained.buf);
				dc_err_hint(err, "move one of them away, then run 'git dc init' again");
				goto cleanup;
			}
			if (rename(path.buf, chained.buf)) {
				dc_err_set(err, DC_ERR_FATAL, "cannot rename '%s': %s", path.buf,
					   strerror(errno));
				goto cleanup;
			}
			moved = 1;
			list_add(&res->chained, &res->nchained, name);
		}
	}
	if (write_exec(target, &want, err)) {
		if (moved)
			rename(chained.buf, path.buf);
		goto cleanup;
	}
	list_add(&res->written, &res->nwritten, name);
record:
	if (!(h = record_hook(rec, dir, name))) {
		DC_ALLOC_GROW(rec->hooks, rec->nhooks + 1, rec->ahooks);
		h = &rec->hooks[rec->nhooks++];
		h->dir = dc_xstrdup(dir);
		h->name = dc_xstrdup(name);
		h->chained = 0;
		rec->dirty = 1;
	}
	if (moved && !h->chained)
		rec->dirty = h->chained = 1;
	ret = 0;
cleanup:
	dc_buf_release(&path);
	dc_buf_release(&chained);
	dc_buf_release(&want);
	dc_buf_release(&have);
	dc_buf_release(&aside);
	return ret;
}

/* The rules at HEAD (1), none (0). */
static int head_rules(struct dc_buf *out, struct dc_repo *r, struct dc_err *err)
{
	git_reference *head = NULL;
	git_commit *c = NULL;
	git_tree *t = NULL;
	int exists_ = 0, ret = -1;

	if (git_repository_head(&head, r->git)) {
		ret = 0;	/* unborn or detached without commit: nothing to read */
		goto cleanup;
	}
	if (git_commit_lookup(&c, r->git, git_reference_target(head)) || git_commit_tree(&t, c)) {
		dc_git_err(err, DC_ERR_FATAL, "cannot read HEAD");
		goto cleanup;
	}
	if (dc_repo_read(out, &exists_, NULL, r, t, DC_RULES_PATH, err))
		goto cleanup;
	ret = exists_;
cleanup:
	git_tree_free(t);
	git_commit_free(c);
	git_reference_free(head);
	return ret;
}

/* `old` with `block` (first line: begin marker, last line: end marker) in
 * place of the block it holds, or appended. */
static void splice_block(struct dc_buf *out, const struct dc_buf *old, const struct dc_buf *block)
{
	const char *nl = memchr(block->buf, '\n', block->len), *b, *e = NULL, *last;
	size_t blen = nl ? (size_t)(nl + 1 - block->buf) : block->len, elen;

	for (last = block->buf + block->len - 1; last > block->buf && last[-1] != '\n'; last--)
		;
	elen = (size_t)(block->buf + block->len - last);
	b = memmem(old->buf, old->len, block->buf, blen);
	if (b)
		e = memmem(b, old->len - (size_t)(b - old->buf), last, elen);
	dc_buf_reset(out);
	if (b && e) {
		dc_buf_add(out, old->buf, (size_t)(b - old->buf));
		dc_buf_addbuf(out, block);
		e += elen;
		dc_buf_add(out, e, old->len - (size_t)(e - old->buf));
		return;
	}
	dc_buf_addbuf(out, old);
	if (old->len && old->buf[old->len - 1] != '\n')
		dc_buf_addch(out, '\n');
	dc_buf_addbuf(out, block);
}

static void attributes_path(struct dc_buf *out, struct dc_repo *r)
{
	dc_buf_reset(out);
	dc_buf_addf(out, "%sinfo/attributes", git_repository_commondir(r->git));
}

static int install_attributes(struct record *rec, struct dc_install_result *res,
			      struct dc_repo *r, struct dc_err *err)
{
	struct dc_buf rules = DC_BUF_INIT, block = DC_BUF_INIT, path = DC_BUF_INIT;
	struct dc_buf old = DC_BUF_INIT, text = DC_BUF_INIT;
	struct rec_value *v;
	int have, e, ret = -1;

	if ((have = head_rules(&rules, r, err)) < 0)
		goto cleanup;
	if (!have) {
		res->attributes_no_rules = 1;
		ret = 0;
		goto cleanup;
	}
	if (dc_attributes_block(&block, rules.buf, rules.len, err))
		goto cleanup;
	attributes_path(&path, r);
	if ((e = read_file(&old, path.buf, err)) < 0)
		goto cleanup;
	splice_block(&text, &old, &block);
	if (e && text.len == old.len && !memcmp(text.buf, old.buf, old.len)) {
		ret = 0;
		goto cleanup;
	}
	if (!(v = record_value(rec->files, rec->nfiles, path.buf))) {
		add_value(&rec->files, &rec->nfiles, &rec->afiles, path.buf, e ? old.buf : NULL,
			  old.len);
		v = &rec->files[rec->nfiles - 1];
	}
	free(v->wrote);
	v->wrote = dc_xmemdupz(text.buf, text.len);
	rec->dirty = 1;
	if (dc_write_file_atomic(path.buf, text.buf, text.len, err))
		goto cleanup;
	res->attributes_written = 1;
	ret = 0;
cleanup:
	dc_buf_release(&rules);
	dc_buf_release(&block);
	dc_buf_release(&path);
	dc_buf_release(&old);
	dc_buf_release(&text);
	return ret;
}

static int install_config(struct record *rec, struct dc_install_result *res, struct dc_repo *r,
			  int server, struct dc_err *err)
{
	struct dc_buf cur = DC_BUF_INIT;
	size_t i;
	int set, ret = -1;

	for (i = 0; i < sizeof(settings) / sizeof(*settings); i++) {
		const struct setting *s = &settings[i];
		if (server && s->client)
			continue;
		if ((set = config_get(&cur, r, s->key, 1, err)) < 0)
			goto cleanup;
		if (set && (s->keep_other || !strcmp(cur.buf, s->value)))
			continue;
		if (!record_value(rec->config, rec->nconfig, s->key)) {
			add_value(&rec->config, &rec->nconfig, &rec->aconfig, s->key,
				  set ? cur.buf : NULL, cur.len);
			rec->dirty = 1;
		}
		if (config_set(r, s->key, s->value, err))
			goto cleanup;
		list_add(&res->config, &res->nconfig, s->key);
	}
	ret = 0;
cleanup:
	dc_buf_release(&cur);
	return ret;
}

/*
 * 1 if the hooks directory holds files git tracks here (core.hooksPath
 * pointing into the work tree, as husky 8 sets it), 0 if not.
 */
static int tracked_hooks(struct dc_repo *r, const char *dir, struct dc_err *err)
{
	struct dc_buf out = DC_BUF_INIT;
	int st, ret = 0;

	if (r->workdir && !strncmp(dir, r->workdir, strlen(r->workdir))) {
		if (dc_run_gitl(&st, &out, NULL, r, err, "ls-files", "--", dir, NULL))
			ret = -1;
		else
			ret = st == 0 && out.len > 0;
	}
	dc_buf_release(&out);
	return ret;
}

int dc_install(struct dc_repo *r, const struct dc_install_opts *o, struct dc_install_result *res,
	       struct dc_err *err)
{
	struct record rec;
	struct dc_buf dir = DC_BUF_INIT, shown = DC_BUF_INIT, program = DC_BUF_INIT;
	struct dc_err save_err = DC_ERR_INIT;
	const char *const *h;
	int server = o->server || r->bare, e, ret = -1;
	struct stat st;

	memset(res, 0, sizeof(*res));
	if (record_load(&rec, r, err))
		goto cleanup;
	if (!o->no_hooks) {
		if (hooks_dir(&dir, &shown, r, err))
			goto cleanup;
		if (!stat(dir.buf, &st) && !S_ISDIR(st.st_mode)) {
			dc_err_set(err, DC_ERR_REFUSED, "the hooks directory '%s' is not a directory",
				   dir.buf);
			dc_err_hint(err, "core.hooksPath names it; point it at a directory (or unset"
				    " it), then run 'git dc init' again");
			goto cleanup;
		}
		if ((e = tracked_hooks(r, dir.buf, err)) < 0)
			goto cleanup;
		if (e) {
			dc_err_set(err, DC_ERR_REFUSED, "the hooks directory '%s' holds files"
				   " tracked in this repository: git-dc's hooks would show in 'git"
				   " status', and keeping a hook found there renames a tracked file",
				   shown.buf);
			dc_err_hint(err, "call git-dc from those hooks, 'git-dc-hook <hook> \"$0\""
				    " \"$@\"' before their own commands, in pre-commit,"
				    " pre-merge-commit, pre-push, pre-rebase, post-checkout and"
				    " post-merge; then run 'git dc init --no-hooks'");
			goto cleanup;
		}
		res->hooks_dir = dc_xstrdup(shown.buf);
		if (o->program)
			dc_buf_adds(&program, o->program);
		else
			dc_install_program(&program);
		for (h = server ? dc_install_server_hooks : dc_install_client_hooks; *h; h++)
			if (install_hook(&rec, res, dir.buf, *h, program.buf, err))
				goto save;
	}
	if (install_config(&rec, res, r, server, err) ||
	    (server && install_attributes(&rec, res, r, err)))
		goto save;
	ret = 0;
save:
	/* what was changed before a failure is recorded too, for uninstall */
	if (rec.dirty && record_save(&rec, r, ret ? &save_err : err))
		ret = -1;
cleanup:
	dc_err_release(&save_err);
	record_release(&rec);
	dc_buf_release(&dir);
	dc_buf_release(&shown);
	dc_buf_release(&program);
	return ret;
}

void dc_install_result_release(struct dc_install_result *res)
{
	free(res->hooks_dir);
	list_free(res->written, res->nwritten);
	list_free(res->chained, res->nchained);
	list_free(res->config, res->nconfig);
	memset(res, 0, sizeof(*res));
}

/* ---- uninstall -------------------------------------------------------- */

static void kept(struct dc_uninstall_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void kept(struct dc_uninstall_result *res, const char *fmt, ...)
{
	struct dc_buf msg = DC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	dc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	list_add(&res->kept, &res->nkept, msg.buf);
	dc_buf_release(&msg);
}

static int remove_file(struct dc_uninstall_result *res, const char *path, struct dc_err *err)
{
	if (unlink(path))
		return dc_err_set(err, DC_ERR_FATAL, "cannot remove '%s': %s", path,
				  strerror(errno));
	list_add(&res->removed, &res->nremoved, path);
	return 0;
}

/* 1 if git-dc's shim is the hook `name`, or was moved aside by a framework. */
static int has_shim(const char *dir, const char *name)
{
	struct dc_buf path = DC_BUF_INIT;
	size_t i;
	int found;

	dc_buf_addf(&path, "%s/%s", dir, name);
	found = is_shim(path.buf);
	for (i = 0; !found && i < NASIDES; i++) {
		dc_buf_reset(&path);
		dc_buf_addf(&path, "%s/%s%s", dir, name, asides[i].suffix);
		found = is_shim(path.buf);
	}
	dc_buf_release(&path);
	return found;
}

static int uninstall_hook(struct dc_uninstall_result *res, const char *dir, const char *name,
			  struct dc_err *err)
{
	struct dc_buf path = DC_BUF_INIT, chained = DC_BUF_INIT, aside = DC_BUF_INIT;
	size_t i;
	int displaced = 0, e, ret = -1;

	dc_buf_addf(&path, "%s/%s", dir, name);
	dc_buf_addf(&chained, "%s" DC_HOOK_CHAINED_SUFFIX, path.buf);
	/* git-dc's shim where a framework moved it, whether it runs there or not */
	for (i = 0; i < NASIDES; i++) {
		dc_buf_reset(&aside);
		dc_buf_addf(&aside, "%s%s", path.buf, asides[i].suffix);
		if (is_shim(aside.buf)) {
			if (remove_file(res, aside.buf, err))
				goto cleanup;
			displaced = 1;
		}
	}
	if (is_shim(path.buf)) {
		if (remove_file(res, path.buf, err))
			goto cleanup;
	} else if (exists(path.buf) && !displaced) {
		kept(res, "'%s' is not git-dc's hook any more: left as it is", path.buf);
	}
	if (exists(chained.buf)) {
		if (exists(path.buf) && (e = same_bytes(path.buf, chained.buf, err))) {
			/* the framework installed the same hook again: drop the copy */
			if (e < 0 || remove_file(res, chained.buf, err))
				goto cleanup;
		} else if (exists(path.buf)) {
			kept(res, "'%s' left: '%s' is in its place", chained.buf, path.buf);
		} else if (rename(chained.buf, path.buf)) {
			dc_err_set(err, DC_ERR_FATAL, "cannot rename '%s': %s", chained.buf,
				   strerror(errno));
			goto cleanup;
		} else {
			list_add(&res->restored, &res->nrestored, path.buf);
		}
	}
	ret = 0;
cleanup:
	dc_buf_release(&path);
	dc_buf_release(&chained);
	dc_buf_release(&aside);
	return ret;
}

static const struct setting *setting(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(*settings); i++)
		if (!strcasecmp(settings[i].key, key))
			return &settings[i];
	return NULL;
}

int dc_uninstall(struct dc_repo *r, struct dc_uninstall_result *res, struct dc_err *err)
{
	struct record rec;
	struct dc_buf dir = DC_BUF_INIT, shown = DC_BUF_INIT, cur = DC_BUF_INIT;
	struct dc_buf path = DC_BUF_INIT;
	const char *const *sets[] = { dc_install_client_hooks, dc_install_server_hooks };
	const char *const *h;
	size_t i, k;
	int set, e, ret = -1;

	memset(res, 0, sizeof(*res));
	if (record_load(&rec, r, err))
		goto cleanup;
	res->recorded = rec.exists;
	if (!rec.exists) {
		/* nothing recorded: take away the shims found, nothing else */
		if (hooks_dir(&dir, &shown, r, err))
			goto cleanup;
		for (k = 0; k < 2; k++) {
			for (h = sets[k]; *h; h++)
				if (has_shim(dir.buf, *h) && uninstall_hook(res, dir.buf, *h, err))
					goto cleanup;
		}
		ret = 0;
		goto cleanup;
	}
	for (i = 0; i < rec.nhooks; i++)
		if (uninstall_hook(res, rec.hooks[i].dir, rec.hooks[i].name, err))
			goto cleanup;
	for (i = rec.nconfig; i-- > 0;) {
		const struct rec_value *v = &rec.config[i];
		const struct setting *s = setting(v->key);
		if ((set = config_get(&cur, r, v->key, 1, err)) < 0)
			goto cleanup;
		if (!s || !set || strcmp(cur.buf, s->value)) {
			kept(res, "'%s' was changed since 'git dc init': left as it is", v->key);
			continue;
		}
		if (v->was ? config_set(r, v->key, v->was, err) : config_unset(r, v->key, err))
			goto cleanup;
		list_add(&res->config, &res->nconfig, v->key);
	}
	for (i = 0; i < rec.nfiles; i++) {
		const struct rec_value *v = &rec.files[i];
		if ((e = read_file(&cur, v->key, err)) < 0)
			goto cleanup;
		if (!v->wrote || !e || cur.len != strlen(v->wrote) ||
		    memcmp(cur.buf, v->wrote, cur.len)) {
			kept(res, "'%s' was changed since 'git dc init': left as it is", v->key);
			continue;
		}
		if (v->was ? dc_write_file_atomic(v->key, v->was, strlen(v->was), err) :
		    unlink(v->key) ? dc_err_set(err, DC_ERR_FATAL, "cannot remove '%s': %s", v->key,
						strerror(errno)) : 0)
			goto cleanup;
		res->attributes_restored = 1;
	}
	record_path(&path, r);
	if (unlink(path.buf) && errno != ENOENT) {
		dc_err_set(err, DC_ERR_FATAL, "cannot remove '%s': %s", path.buf, strerror(errno));
		goto cleanup;
	}
	ret = 0;
cleanup:
	record_release(&rec);
	dc_buf_release(&dir);
	dc_buf_release(&shown);
	dc_buf_release(&cur);
	dc_buf_release(&path);
	return ret;
}

void dc_uninstall_result_release(struct dc_uninstall_result *res)
{
	list_free(res->removed, res->nremoved);
	list_free(res->restored, res->nrestored);
	list_free(res->config, res->nconfig);
	list_free(res->kept, res->nkept);
	memset(res, 0, sizeof(*res));
}

/* ---- doctor ----------------------------------------------------------- */

static void doctor_problem(struct dc_doctor_result *res, const char *check, const char *path,
			   const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void doctor_problem(struct dc_doctor_result *res, const char *check, const char *path,
			   const char *hint, const char *fmt, ...)
{
	struct dc_doctor_problem *p;
	struct dc_buf msg = DC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	dc_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	DC_ALLOC_GROW(res->problems, res->n + 1, res->alloc);
	p = &res->problems[res->n++];
	p->check = check;
	p->path = dc_xstrdup(path);
	p->message = dc_buf_detach(&msg, NULL);
	p->hint = hint ? dc_xstrdup(hint) : NULL;
}

/* 1 if `prog` (a path, or a name looked up on PATH) can be run. */
static int runnable(const char *prog)
{
	struct dc_buf full = DC_BUF_INIT;
	const char *p, *end, *path = getenv("PATH");
	int ok = 0;

	if (strchr(prog, '/'))
		return !access(prog, X_OK);
	for (p = path; p && !ok; p = end ? end + 1 : NULL) {
		end = strchr(p, ':');
		dc_buf_reset(&full);
		dc_buf_add(&full, p, end ? (size_t)(end - p) : strlen(p));
		dc_buf_addf(&full, "%s%s", full.len ? "/" : "./", prog);
		ok = !access(full.buf, X_OK);
	}
	dc_buf_release(&full);
	return ok;
}

/* 1 if the hook at `path` runs `git-dc-hook <hook>` itself (`text`: scratch). */
static int calls_program(struct dc_buf *text, const char *path, const char *hook)
{
	struct dc_buf call = DC_BUF_INIT;
	struct dc_err ignored = DC_ERR_INIT;
	int ret;

	dc_buf_addf(&call, DC_HOOK_PROGRAM " %s ", hook);
	ret = read_file(text, path, &ignored) > 0 && strstr(text->buf, call.buf);
	dc_buf_release(&call);
	dc_err_release(&ignored);
	return ret;
}

static void doctor_hooks(struct dc_doctor_result *res)
{
	struct dc_buf path = DC_BUF_INIT, shown = DC_BUF_INIT, text = DC_BUF_INIT;
	struct dc_buf prog = DC_BUF_INIT, aside = DC_BUF_INIT;
	struct dc_err ignored = DC_ERR_INIT;
	const char *const *h;
	const char *file, *fix = res->bare ? "run 'git dc init --server'" : "run 'git dc init'";
	size_t missing = 0;

	for (h = res->bare ? dc_install_server_hooks : dc_install_client_hooks; *h; h++) {
		dc_buf_reset(&path);
		dc_buf_addf(&path, "%s/%s", res->hooks_dir, *h);
		dc_buf_reset(&shown);
		dc_buf_addf(&shown, "%s/%s", res->hooks_shown, *h);
		file = path.buf;
		if (exists(file) && !is_shim(file) && shim_aside(&aside, file)) {
			/* a framework's hook runs git-dc's: check that one */
			dc_buf_adds(&shown, aside.buf + path.len);
			file = aside.buf;
		}
		if (!exists(file)) {
			missing++;
			doctor_problem(res, "hook-missing", shown.buf, fix, "the %s hook is not"
				       " installed: nothing checks PROTOCOL section 9 there", *h);
		} else if (!is_shim(file) && !calls_program(&text, file, *h)) {
			doctor_problem(res, "hook-foreign", shown.buf, "run 'git dc init': it keeps"
				       " that hook and runs it after git-dc's check", "'%s' is not"
				       " git-dc's %s hook%s", shown.buf, *h,
				       has_shim(res->hooks_dir, *h) ? ": git-dc's was moved aside,"
				       " where nothing runs it" : "");
		} else if (access(file, X_OK)) {
			doctor_problem(res, "hook-not-executable", shown.buf, fix, "'%s' is not"
				       " executable: git does not run it", shown.buf);
		} else if (read_file(&text, file, &ignored) > 0 && shim_program(&prog, text.buf) &&
			   !runnable(prog.buf) && !runnable(DC_HOOK_PROGRAM)) {
			doctor_problem(res, "hook-program-missing", shown.buf, "install git-dc (make"
				       " install), or put its bin/ on PATH", "the %s hook runs '%s',"
				       " which is not installed", *h, prog.buf);
		}
	}
	if (missing && res->hooks_path)
		doctor_problem(res, "hooks-path", "core.hooksPath", "run 'git dc init' to install"
			       " them there, or unset core.hooksPath", "core.hooksPath is '%s': git"
			       " runs the hooks of '%s', which lacks %zu of git-dc's hooks",
			       res->hooks_path, res->hooks_shown, missing);
	dc_err_release(&ignored);
	dc_buf_release(&path);
	dc_buf_release(&shown);
	dc_buf_release(&text);
	dc_buf_release(&prog);
	dc_buf_release(&aside);
}

/* The merge attributes of the protected files, and the driver they name. */
static int doctor_merge(struct dc_doctor_result *res, struct dc_repo *r,
			const struct dc_rules *rules, struct dc_err *err)
{
	struct dc_buf out = DC_BUF_INIT, driver = DC_BUF_INIT;
	const char **argv, **files = NULL;
	size_t n = 0, nfiles = rules ? dc_rules_files(rules, &files) : 0, i;
	int st, declared, set, ret = -1;

	argv = dc_xcalloc(nfiles + 6, sizeof(*argv));
	argv[n++] = "check-attr";
	argv[n++] = "merge";
	argv[n++] = "--";
	argv[n++] = DC_HEAD_PATH;
	for (i = 0; i < nfiles; i++)
		argv[n++] = files[i];
	if (dc_run_git(&st, &out, NULL, r, argv, err))
		goto cleanup;
	declared = st == 0 && strstr(out.buf, ": merge: dc\n") != NULL;
	if (res->dc && !declared)
		doctor_problem(res, "attributes-missing", r->bare ? "info/attributes" :
			       ".gitattributes", r->bare ? "run 'git dc init --server'" :
			       "run 'git dc init'", "the canonical files have no 'merge=dc'"
			       " attribute: git merges them as text, with conflict markers");
	if (declared) {
		if ((set = config_get(&driver, r, "merge.dc.driver", 0, err)) < 0)
			goto cleanup;
		if (!set) {
			doctor_problem(res, "merge-driver-unregistered", "merge.dc.driver",
				       r->bare ? "run 'git dc init --server'" : "run 'git dc init'",
				       "the attributes name the merge driver 'dc' but merge.dc.driver"
				       " is not set: git falls back to a text merge, with conflict"
				       " markers in canonical files");
		} else {
			driver.buf[strcspn(driver.buf, " \t")] = '\0';
			if (!runnable(driver.buf))
				doctor_problem(res, "merge-driver-missing", "merge.dc.driver",
					       "install git-dc (make install), or put its bin/ on PATH",
					       "the merge driver '%s' is not installed: merges of"
					       " canonical files fail", driver.buf);
		}
	}
	ret = 0;
cleanup:
	free(argv);
	free(files);
	dc_buf_release(&out);
	dc_buf_release(&driver);
	return ret;
}

static int doctor_autostash(struct dc_doctor_result *res, struct dc_repo *r, struct dc_err *err)
{
	static const char *const keys[] = { "rebase.autoStash", "merge.autoStash", NULL };
	struct dc_buf v = DC_BUF_INIT, hint = DC_BUF_INIT;
	const char *const *k;
	int st, ret = -1;

	for (k = keys; *k; k++) {
		dc_buf_reset(&v);
		if (dc_run_gitl(&st, &v, NULL, r, err, "config", "--type=bool", "--get", *k, NULL))
			goto cleanup;
		if (st || strcmp(v.buf, "true"))
			continue;
		dc_buf_reset(&hint);
		dc_buf_addf(&hint, "git config %s false (and update with 'git dc sync')", *k);
		doctor_problem(res, "autostash", *k, hint.buf, "%s is true: git stashes uncommitted"
			       " work and re-applies it over new state files (the hooks undo it)",
			       *k);
	}
	ret = 0;
cleanup:
	dc_buf_release(&v);
	dc_buf_release(&hint);
	return ret;
}

/* A canonical file's bytes: does it parse? */
static void doctor_file(struct dc_doctor_result *res, const char *path, const char *where,
			const struct dc_buf *b)
{
	struct dc_json *doc = NULL;
	struct dc_err why = DC_ERR_INIT;

	if (dc_json_parse(&doc, b->buf, b->len, &dc_canonical_opts, &why)) {
		if (dc_has_conflict_markers(b->buf, b->len))
			doctor_problem(res, "conflict-markers", path, "restore it from the last good"
				       " commit ('git checkout <commit> -- <file>'), then run"
				       " 'git dc merge'", "'%s' holds conflict markers (%s)", path,
				       where);
		else
			doctor_problem(res, "invalid-json", path, "restore it from the last good"
				       " commit ('git checkout <commit> -- <file>'), then run"
				       " 'git dc merge'", "'%s' is not valid JSON (%s): %s", path,
				       where, why.msg.buf);
	}
	dc_json_free(doc);
	dc_err_release(&why);
}

static int doctor_state(struct dc_doctor_result *res, struct dc_repo *r, const git_tree *tree,
			const struct dc_rules *rules, struct dc_err *err)
{
	struct dc_merge_opts o = DC_MERGE_OPTS_INIT;
	struct dc_merge_result m = DC_MERGE_RESULT_INIT;
	struct dc_buf b = DC_BUF_INIT, full = DC_BUF_INIT;
	struct dc_err why = DC_ERR_INIT;
	const char **files = NULL;
	size_t nfiles = dc_rules_files(rules, &files), i;
	int e, ret = -1;

	for (i = 0; i <= nfiles; i++) {
		const char *path = i < nfiles ? files[i] : DC_HEAD_PATH;
		if (dc_repo_read(&b, &e, NULL, r, tree, path, err))
			goto cleanup;
		if (e)
			doctor_file(res, path, "at HEAD", &b);
		if (!r->workdir)
			continue;
		dc_buf_reset(&full);
		dc_buf_addf(&full, "%s%s", r->workdir, path);
		if ((e = read_file(&b, full.buf, err)) < 0)
			goto cleanup;
		if (e)
			doctor_file(res, path, "in the work tree", &b);
	}
	o.plan_only = 1;
	if (dc_merge(r, &o, &m, &why)) {
		doctor_problem(res, "unchecked", DC_RULES_PATH, why.hint.len ? why.hint.buf : NULL,
			       "the deltas were not checked: %s", why.msg.buf);
	} else {
		for (i = 0; i < m.nquarantined; i++)
			doctor_problem(res, "delta-invalid", m.quarantined[i].path, "deltas are"
				       " written by 'git dc delta', which validates them; this one"
				       " is quarantined (never applied)", "invalid delta '%s': %s",
				       m.quarantined[i].path, m.quarantined[i].reason);
	}
	ret = 0;
cleanup:
	dc_merge_result_release(&m);
	dc_err_release(&why);
	free(files);
	dc_buf_release(&b);
	dc_buf_release(&full);
	return ret;
}

int dc_doctor(struct dc_repo *r, struct dc_doctor_result *res, struct dc_err *err)
{
	struct dc_rules rules = DC_RULES_INIT;
	struct dc_buf b = DC_BUF_INIT, shown = DC_BUF_INIT;
	struct dc_err why = DC_ERR_INIT;
	git_reference *head = NULL;
	git_commit *c = NULL;
	git_tree *t = NULL;
	int e, loaded = 0, ret = -1;

	memset(res, 0, sizeof(*res));
	res->bare = r->bare;
	if (hooks_dir(&b, &shown, r, err))
		goto cleanup;
	res->hooks_dir = dc_xstrdup(b.buf);
	res->hooks_shown = dc_xstrdup(shown.buf);
	if ((e = config_get(&b, r, "core.hooksPath", 0, err)) < 0)
		goto cleanup;
	res->hooks_path = e ? dc_xstrdup(b.buf) : NULL;
	if (!git_repository_head(&head, r->git)) {
		if (git_commit_lookup(&c, r->git, git_reference_target(head)) ||
		    git_commit_tree(&t, c)) {
			dc_git_err(err, DC_ERR_FATAL, "cannot read HEAD");
			goto cleanup;
		}
		if (dc_repo_read(&b, &e, NULL, r, t, DC_RULES_PATH, err))
			goto cleanup;
		res->dc = e;
		if (e && dc_rules_parse(&rules, b.buf, b.len, &why))
			doctor_problem(res, "rules-invalid", DC_RULES_PATH, "fix the rules and commit"
				       " them, then run 'git dc init'", "'%s' at HEAD does not load:"
				       " %s", DC_RULES_PATH, why.msg.buf);
		else
			loaded = e;
	}
	doctor_hooks(res);
	if (doctor_merge(res, r, loaded ? &rules : NULL, err) ||
	    (!r->bare && doctor_autostash(res, r, err)) ||
	    (loaded && doctor_state(res, r, t, &rules, err)))
		goto cleanup;
	ret = 0;
cleanup:
	git_tree_free(t);
	git_commit_free(c);
	git_reference_free(head);
	dc_rules_release(&rules);
	dc_err_release(&why);
	dc_buf_release(&b);
	dc_buf_release(&shown);
	return ret;
}

void dc_doctor_result_release(struct dc_doctor_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		free(res->problems[i].path);
		free(res->problems[i].message);
		free(res->problems[i].hint);
	}
	free(res->problems);
	free(res->hooks_dir);
	free(res->hooks_shown);
	free(res->hooks_path);
	memset(res, 0, sizeof(*res));
}
