#ifndef DC_ERR_H
#define DC_ERR_H
/*
 * struct dc_err: what went wrong, for the caller to print.
 *
 * Engine functions return 0 on success and -1 on failure; on failure they
 * fill `err` (a message in git's style: lowercase, no final period, the
 * subject quoted) and leave it untouched on success, so calls chain:
 *
 *	if (dc_a(&x, &err) || dc_b(&y, &err))
 *		return dc_err_exit(&err);
 *
 * `hint` holds zero or more lines of advice ("run 'git dc merge'"), printed
 * as `hint:` lines by the front end. `code` maps to the exit code.
 */
#include "buf.h"

enum dc_err_code {
	DC_OK = 0,
	DC_ERR_REFUSED = 1,	/* a negative answer: validation, conflict, refusal */
	DC_ERR_NOT_MINE = 2,	/* git-merge-dc only: let git try the next strategy */
	DC_ERR_FATAL = 128,	/* repository, I/O, corrupt input */
	DC_ERR_USAGE = 129,	/* bad option or argument */
};

struct dc_err {
	int code;
	struct dc_buf msg;
	struct dc_buf hint;
};

#define DC_ERR_INIT { 0, DC_BUF_INIT, DC_BUF_INIT }

/* Set the error (replacing any earlier one) and return -1. */
int dc_err_set(struct dc_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Add one hint line (without the "hint: " prefix). */
void dc_err_hint(struct dc_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix the message with "<prefix>: ", keeping code and hints. */
void dc_err_prefix(struct dc_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dc_err_release(struct dc_err *err);

#endif
