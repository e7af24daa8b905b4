#ifndef DC_BUILTIN_H
#define DC_BUILTIN_H
/*
 * What every `git dc` subcommand shares. A subcommand is
 * `int cmd_<name>(int argc, const char **argv)`: it parses its options,
 * opens the repository, makes one engine call, prints the answer (human or
 * --json) and returns the exit code.
 */
#include <json-c/json.h>
#include "err.h"
#include "repo.h"
#include "parse-options.h"

#define DC_JSON_VERSION 1

int cmd_blame(int argc, const char **argv);
int cmd_check(int argc, const char **argv);
int cmd_delta(int argc, const char **argv);
int cmd_diff(int argc, const char **argv);
int cmd_doctor(int argc, const char **argv);
int cmd_init(int argc, const char **argv);
int cmd_log(int argc, const char **argv);
int cmd_merge(int argc, const char **argv);
int cmd_push(int argc, const char **argv);
int cmd_replay(int argc, const char **argv);
int cmd_archive(int argc, const char **argv);
int cmd_status(int argc, const char **argv);
int cmd_sync(int argc, const char **argv);
int cmd_uninstall(int argc, const char **argv);
int cmd_verify(int argc, const char **argv);
int cmd_version(int argc, const char **argv);
int cmd_worktree(int argc, const char **argv);

/*
 * Report an engine error: "error: <msg>" and "hint: <line>" on stderr and,
 * with `json`, one document {"version": 1, "error": {...}} on stdout.
 * Returns the exit code the error maps to.
 */
int dc_report_error(const struct dc_err *err, int json, const char *command);

/*
 * The "error" member of that document: {"kind", "message", "hint",
 * "exit_code"} (Documentation/schemas/error.schema.json), owned by the
 * caller. For a command whose failure document carries more members.
 */
struct json_object *dc_json_error(const struct dc_err *err);

/*
 * `s` as printed for a human: itself, or quoted with its control bytes
 * escaped ('state/a\x1b[2J.json') when it holds one, as a path read from
 * a tree may. Lent: valid for the next three calls.
 */
const char *dc_printable(const char *s);

/* Open the repository or report why not (returns 0 or the exit code). */
int dc_open_repo(struct dc_repo *r, int json, const char *command);

/* A json-c object with "version" set; print with dc_print_json(). */
struct json_object *dc_json_doc(void);
void dc_print_json(struct json_object *doc);
struct json_object *dc_json_str(const char *s);	/* NULL -> JSON null */

#endif
