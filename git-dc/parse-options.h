#ifndef DC_PARSE_OPTIONS_H
#define DC_PARSE_OPTIONS_H
/*
 * Options as data: one table per command gives parsing, `-h` and the
 * usage printed on errors (and the completion script's option lists).
 *
 * dc_parse_options() removes the options it recognises from argv and
 * returns the number of arguments left (argv[0] is the first one).
 * `-h` prints the usage on stdout and exits 129; an unknown option, a
 * missing or malformed value prints "error: ..." and the usage on stderr
 * and exits 129. "--" ends the options; "-" alone is an argument.
 * `--git-completion-helper` as the only argument (hidden, as in git)
 * prints the table's long options on one line for contrib/completion/
 * and exits 0.
 */
#include <stdint.h>

enum dc_opt_type {
	DC_OPT_END,
	DC_OPT_BOOL,		/* int *: set to 1 (--no-<name> sets 0) */
	DC_OPT_STRING,		/* const char **: the value */
	DC_OPT_U64,		/* uint64_t * and the has-flag int * in `flag` */
	DC_OPT_FRAME,		/* as DC_OPT_U64, below 2^53 (PROTOCOL section 1;
				 * `git dc delta` checks its own --frame) */
};

struct dc_option {
	enum dc_opt_type type;
	int short_name;
	const char *long_name;
	void *value;
	const char *argh;	/* the value's name in the usage: "<n>" */
	const char *help;
	int *flag;		/* DC_OPT_U64, DC_OPT_FRAME: set to 1 when given */
};

#define OPT_END() { DC_OPT_END, 0, NULL, NULL, NULL, NULL, NULL }
#define OPT_BOOL(s, l, v, h) { DC_OPT_BOOL, (s), (l), (v), NULL, (h), NULL }
#define OPT_STRING(s, l, v, a, h) { DC_OPT_STRING, (s), (l), (v), (a), (h), NULL }
#define OPT_U64(s, l, v, f, a, h) { DC_OPT_U64, (s), (l), (v), (a), (h), (f) }
#define OPT_FRAME(s, l, v, f, a, h) { DC_OPT_FRAME, (s), (l), (v), (a), (h), (f) }

int dc_parse_options(int argc, const char **argv, const struct dc_option *opts,
		     const char *const *usage);
void dc_usage_with_options(const char *const *usage, const struct dc_option *opts, int err)
	__attribute__((noreturn));
/* Print usage lines and the option table to `to` without exiting. */
void dc_print_usage(const char *const *usage, const struct dc_option *opts, int to_stderr);

#endif
