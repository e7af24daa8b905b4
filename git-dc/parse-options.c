#include "parse-options.h"
#include "delta.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <unistd.h>

void dc_print_usage(const char *const *usage, const struct dc_option *opts, int to_stderr)
{
	FILE *out = to_stderr ? stderr : stdout;
	const struct dc_option *o;
	int first = 1;

	for (; *usage; usage++) {
		fprintf(out, "%s %s\n", first ? "usage:" : "   or:", *usage);
		first = 0;
	}
	if (opts && opts->type != DC_OPT_END)
		fputc('\n', out);
	for (o = opts; o && o->type != DC_OPT_END; o++) {
		char left[64];
		int n = 0;

		if (o->short_name && o->long_name)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->long_name);
		else if (o->short_name)
			n = snprintf(left, sizeof(left), "-%c", o->short_name);
		else
			n = snprintf(left, sizeof(left), "--%s", o->long_name);
		if (o->argh && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->argh);
		fprintf(out, "    %-24s %s\n", left, o->help);
	}
	if (opts)
		fputc('\n', out);
}

void dc_usage_with_options(const char *const *usage, const struct dc_option *opts, int err)
{
	dc_print_usage(usage, opts, err);
	exit(129);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || !isdigit((unsigned char)*s) || (s[0] == '0' && s[1]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static void set_value(const struct dc_option *o, const char *arg, const char *shown,
		      const char *const *usage, const struct dc_option *opts)
{
	switch (o->type) {
	case DC_OPT_STRING:
		*(const char **)o->value = arg;
		break;
	case DC_OPT_U64:
	case DC_OPT_FRAME:
		if (parse_u64(arg, (uint64_t *)o->value)) {
			fprintf(stderr, "error: option '%s' expects a non-negative integer, got '%s'\n",
				shown, arg);
			dc_usage_with_options(usage, opts, 1);
		}
		if (o->type == DC_OPT_FRAME && *(uint64_t *)o->value >= DC_FRAME_LIMIT) {
			fprintf(stderr, "error: %s %s is too large (frames are < 2^53)\n", shown,
				arg);
			dc_usage_with_options(usage, opts, 1);
		}
		if (o->flag)
			*o->flag = 1;
		break;
	default:
		break;
	}
}

/*
 * For the completion scripts (contrib/completion/), as git's
 * --git-completion-helper: the long options of the table on one line, "="
 * after those that take a value, then "--" and the --no-<name> forms the
 * parser accepts for the booleans (git's completion offers those only
 * after "--no").
 */
static void print_completion(const struct dc_option *opts)
{
	const struct dc_option *o;
	int n = 0, negs = 0;

	for (o = opts; o->type != DC_OPT_END; o++)
		if (o->long_name)
			printf("%s--%s%s", n++ ? " " : "", o->long_name,
			       o->type == DC_OPT_BOOL ? "" : "=");
	for (o = opts; o->type != DC_OPT_END; o++)
		if (o->type == DC_OPT_BOOL && o->long_name && strncmp(o->long_name, "no-", 3))
			printf("%s--no-%s", negs++ ? " " : " -- ", o->long_name);
	putchar('\n');
}

int dc_parse_options(int argc, const char **argv, const struct dc_option *opts,
		     const char *const *usage)
{
	int i, out = 0;

	if (argc == 1 && (!strcmp(argv[0], "--git-completion-helper") ||
			  !strcmp(argv[0], "--git-completion-helper-all"))) {
		print_completion(opts);
		exit(0);
	}
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct dc_option *o;

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				argv[out++] = argv[i];
			break;
		}
		if (a[0] != '-' || !a[1]) {
			argv[out++] = a;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help-all"))
			dc_usage_with_options(usage, opts, 0);
		if (!strcmp(a, "--help")) {
			/* as git does for its commands: the manual page (every
			 * subcommand is in git-dc(1)); the usage if git cannot */
			fflush(stdout);
			execlp("git", "git", "help", "dc", (char *)NULL);
			dc_usage_with_options(usage, opts, 0);
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int neg = 0;

			if (len > 3 && !strncmp(name, "no-", 3)) {
				for (o = opts; o->type != DC_OPT_END; o++)
					if (o->type == DC_OPT_BOOL && o->long_name &&
					    strlen(o->long_name) == len - 3 &&
					    !strncmp(o->long_name, name + 3, len - 3))
						break;
				if (o->type != DC_OPT_END)
					neg = 1;
			}
			if (!neg) {
				for (o = opts; o->type != DC_OPT_END; o++)
					if (o->long_name && strlen(o->long_name) == len &&
					    !strncmp(o->long_name, name, len))
						break;
			}
			if (o->type == DC_OPT_END) {
				fprintf(stderr, "error: unknown option '%.*s'\n", (int)len, name);
				dc_usage_with_options(usage, opts, 1);
			}
			if (o->type == DC_OPT_BOOL) {
				if (eq) {
					fprintf(stderr, "error: option '%s' takes no value\n",
						o->long_name);
					dc_usage_with_options(usage, opts, 1);
				}
				*(int *)o->value = !neg;
				continue;
			}
			if (eq) {
				set_value(o, eq + 1, a, usage, opts);
			} else if (i + 1 < argc) {
				set_value(o, argv[++i], a, usage, opts);
			} else {
				fprintf(stderr, "error: option '%s' requires a value\n", o->long_name);
				dc_usage_with_options(usage, opts, 1);
			}
			continue;
		}
		/* a cluster of short options: -nq, -f5 */
		for (a++; *a; a++) {
			char shown[3] = { '-', *a, 0 };
			for (o = opts; o->type != DC_OPT_END; o++)
				if (o->short_name == *a)
					break;
			if (o->type == DC_OPT_END) {
				fprintf(stderr, "error: unknown switch '%c'\n", *a);
				dc_usage_with_options(usage, opts, 1);
			}
			if (o->type == DC_OPT_BOOL) {
				*(int *)o->value = 1;
				continue;
			}
			if (a[1]) {
				set_value(o, a + 1, shown, usage, opts);
			} else if (i + 1 < argc) {
				set_value(o, argv[++i], shown, usage, opts);
			} else {
				fprintf(stderr, "error: switch '%c' requires a value\n", *a);
				dc_usage_with_options(usage, opts, 1);
			}
			break;
		}
	}
	argv[out] = NULL;
	return out;
}
