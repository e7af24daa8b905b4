#ifndef DC_RUN_H
#define DC_RUN_H
/*
 * Running git as a subprocess, for what only the git command does the way
 * users have configured it: fetch and push (credentials, ssh, http, the
 * remote's configuration). The argument vector is passed as is, never
 * through a shell.
 */
#include "buf.h"
#include "err.h"
#include "repo.h"

/*
 * Run `git <argv...>` in the repository `r` (its work tree, or its git
 * directory when bare), with stdin from /dev/null. stdout and stderr are
 * collected into `out` and `errout` (either may be NULL: then they are
 * discarded). *status receives the exit code (128 + signal when killed).
 * Returns -1 with err only if git could not be started.
 */
int dc_run_git(int *status, struct dc_buf *out, struct dc_buf *errout, struct dc_repo *r,
	       const char *const *argv, struct dc_err *err);

/* The same with the arguments listed (at most 15, then NULL); one final
 * newline of stdout is dropped. */
int dc_run_gitl(int *status, struct dc_buf *out, struct dc_buf *errout, struct dc_repo *r,
		struct dc_err *err, ...);

#endif
