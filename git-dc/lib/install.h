#ifndef DC_INSTALL_H
#define DC_INSTALL_H
/*
 * git-dc inside git: the hooks, the configuration and, in a bare
 * repository, the attributes git reads there; `git dc uninstall`; and the
 * checks of `git dc doctor`.
 *
 * Hooks: for each hook git-dc needs, the hooks directory (what
 * `git rev-parse --git-path hooks` names, so core.hooksPath and linked
 * worktrees are honoured) gets a small shell shim that runs the hook
 * program, git-dc-hook, by absolute path (by name on PATH when it is not
 * there). A hook that was in place is kept as <hook>.dc-chained and run
 * by git-dc-hook after its own check, with the same arguments and input;
 * when a framework wrote the same hook again over the shim, the copy kept
 * is replaced. A framework's hook that runs git-dc's shim where it moved
 * it (pre-commit's <hook>.legacy) counts as installed.
 *
 * Everything changed is recorded, with what was there before, in
 * <common git dir>/dc-install.json, so installing twice changes nothing
 * the second time and `git dc uninstall` puts back what it found.
 *
 * Memory: every result owns its strings and arrays; the _release()
 * functions free them and accept a zeroed struct.
 */
#include <stddef.h>
#include "buf.h"
#include "err.h"

struct dc_repo;

#define DC_HOOK_PROGRAM "git-dc-hook"
#define DC_HOOK_CHAINED_SUFFIX ".dc-chained"
/* The second line of every shim: how git-dc recognises its own hooks. */
#define DC_HOOK_MARKER "# git-dc hook: written by 'git dc init', removed by 'git dc uninstall'"
#define DC_INSTALL_RECORD "dc-install.json"
/* The merge driver's command line (the program is built by merge-driver/). */
#define DC_MERGE_DRIVER_PROGRAM "git-dc-merge-driver"
#define DC_MERGE_DRIVER DC_MERGE_DRIVER_PROGRAM " %O %A %B %L %P"
#define DC_MERGE_DRIVER_NAME "git-dc: JSON merge of canonical files and deltas"

/* NULL-terminated: the hooks of a repository with a work tree, and of a
 * server (a bare repository others push to). */
extern const char *const dc_install_client_hooks[];
extern const char *const dc_install_server_hooks[];

/* ---- install ---------------------------------------------------------- */

struct dc_install_opts {
	int server;		/* the server set: pre-receive and info/attributes */
	int no_hooks;		/* configuration only */
	const char *program;	/* the hook program the shims run (absolute path,
				 * or a name looked up on PATH); NULL: see
				 * dc_install_program() */
};

struct dc_install_result {
	char *hooks_dir;	/* as git names it (relative to the top of the work
				 * tree, or to the git directory when bare);
				 * NULL with no_hooks */
	char **written;		/* hooks written (or rewritten) by this run */
	size_t nwritten;
	char **chained;		/* hooks found in place and kept as <hook>.dc-chained */
	size_t nchained;
	char **config;		/* configuration keys set by this run */
	size_t nconfig;
	int attributes_written;	/* info/attributes (server) */
	int attributes_no_rules;	/* server: no rules at HEAD yet, nothing to write */
};

/*
 * Install the hooks (unless no_hooks) and set the configuration: in a
 * repository with a work tree the client hooks, rebase.autoStash=false,
 * merge.autoStash=false and the `dc` merge driver (unless merge.dc.driver
 * is set already); with `server`, or in a bare repository, the server
 * hooks, the `dc` merge driver and, when HEAD holds rules, their git-dc
 * block in info/attributes. Idempotent.
 * Refused (DC_ERR_REFUSED): a hook in place that cannot be chained
 * because <hook>.dc-chained is taken; fatal: files that cannot be written.
 */
int dc_install(struct dc_repo *r, const struct dc_install_opts *o, struct dc_install_result *res,
	       struct dc_err *err);
void dc_install_result_release(struct dc_install_result *res);

/*
 * The hook program to put in the shims: git-dc-hook beside the running
 * executable when it is there (appended to `out` as an absolute path),
 * else the bare name, found on PATH when the hook runs.
 */
void dc_install_program(struct dc_buf *out);

/* ---- uninstall -------------------------------------------------------- */

struct dc_uninstall_result {
	int recorded;		/* an installation record was found */
	char **removed;		/* hook shims removed (paths) */
	size_t nremoved;
	char **restored;	/* hooks put back from <hook>.dc-chained (paths) */
	size_t nrestored;
	char **config;		/* keys put back to their old value, or unset */
	size_t nconfig;
	char **kept;		/* what was changed by someone else since: left alone */
	size_t nkept;
	int attributes_restored;
};

/*
 * Undo dc_install: remove the shims (also where a framework moved them:
 * <hook>.legacy, <hook>.old), put chained hooks back (or drop a kept copy
 * of the hook in place), restore the configuration values and
 * info/attributes recorded, remove the record.
 * What someone changed since the install (a shim replaced, a key set to
 * another value) is left alone and listed in `kept`. Without a record,
 * only git-dc's shims found in the hooks directory are removed.
 */
int dc_uninstall(struct dc_repo *r, struct dc_uninstall_result *res, struct dc_err *err);
void dc_uninstall_result_release(struct dc_uninstall_result *res);

/* ---- doctor ----------------------------------------------------------- */

struct dc_doctor_problem {
	const char *check;	/* a fixed word, see dc_doctor() */
	char *path;		/* the file or configuration key at fault */
	char *message;		/* one line, without "error: " */
	char *hint;		/* what to do; may be NULL */
};

struct dc_doctor_result {
	struct dc_doctor_problem *problems;
	size_t n, alloc;
	int dc;			/* HEAD holds rules */
	int bare;
	char *hooks_dir;	/* absolute */
	char *hooks_shown;	/* as git names it (problems' paths use it) */
	char *hooks_path;	/* core.hooksPath, or NULL */
};

/*
 * Look for what would silently break the protocol here. The checks, each
 * a fixed word in `check`:
 *   hook-missing          a hook git-dc needs is absent
 *   hook-not-executable   ... present but git would not run it
 *   hook-foreign          ... another program, not git-dc's shim, and
 *                         not one that runs it (pre-commit's migration
 *                         mode, a hook that calls git-dc-hook itself)
 *   hook-program-missing  the shim's git-dc-hook cannot be found
 *   hooks-path            core.hooksPath names a directory without them
 *   merge-driver-unregistered  attributes say merge=dc, config has no driver
 *   merge-driver-missing  the driver's program is not found
 *   attributes-missing    a dc repository whose canonical files get no merge=dc
 *   autostash             rebase.autoStash or merge.autoStash is true
 *   rules-invalid         .dc/rules.json at HEAD does not load
 *   conflict-markers      a canonical file (HEAD or work tree) holds markers
 *   invalid-json          ... is not valid JSON
 *   delta-invalid         a delta at HEAD fails validation (quarantined)
 *   unchecked             the deltas could not be listed (a detached HEAD)
 * In a bare repository the hooks checked are the server's, and autostash
 * is not looked at. -1 only when the checks themselves cannot run.
 */
int dc_doctor(struct dc_repo *r, struct dc_doctor_result *res, struct dc_err *err);
void dc_doctor_result_release(struct dc_doctor_result *res);

#endif
