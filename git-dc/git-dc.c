/*
 * git-dc: the `git dc` command. main() finds the subcommand in a sorted
 * table, runs it, and makes sure what it printed reached stdout before
 * exiting 0 (a full disk or a closed pipe is an error, not a success).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <git2.h>
#include "builtin.h"
#include "buf.h"

#ifndef DC_VERSION
#define DC_VERSION "0.1.0"
#endif

struct cmd_struct {
	const char *name;
	int (*fn)(int argc, const char **argv);
	const char *summary;
};

static const struct cmd_struct commands[] = {
	{ "archive", cmd_archive, "fold old frames into a snapshot and remove their deltas" },
	{ "blame", cmd_blame, "show which delta wrote a value of a canonical file" },
	{ "check", cmd_check, "check commits (or the index) against the protocol's rules" },
	{ "delta", cmd_delta, "commit one delta of this worker's stream" },
	{ "diff", cmd_diff, "show what changed between two frames, and which delta did it" },
	{ "doctor", cmd_doctor, "find what would silently break the protocol here" },
	{ "init", cmd_init, "make this repository a dc repository (the genesis commit)" },
	{ "log", cmd_log, "list the deltas in protocol order, and the quarantined ones" },
	{ "merge", cmd_merge, "fold new deltas into the canonical files, one commit" },
	{ "push", cmd_push, "push this worker's deltas to its own ref (or a shared branch)" },
	{ "replay", cmd_replay, "rebuild the canonical files of a frame from genesis" },
	{ "status", cmd_status, "show the merged frame, pending and quarantined deltas" },
	{ "sync", cmd_sync, "bring this worktree up to date, never autostashing" },
	{ "uninstall", cmd_uninstall, "remove git-dc's hooks and settings, putting back what was there" },
	{ "verify", cmd_verify, "check that every commit's state is the replay of the log" },
	{ "version", cmd_version, "print the version of git-dc and its libraries" },
	{ "worktree", cmd_worktree, "add, remove or prune a worker worktree of one stream" },
};

static const char *const git_dc_usage[] = {
	"git dc <command> [<options>]",
	NULL,
};

static void list_commands(FILE *out)
{
	size_t i;

	fprintf(out, "usage: %s\n\n", git_dc_usage[0]);
	fprintf(out, "These are the git dc commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(out, "   %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'git dc <command> -h' shows the options of one command.\n");
}

int cmd_version(int argc, const char **argv)
{
	int major, minor, rev, json = 0;
	static const char *const usage[] = { "git dc version [--json]", NULL };
	struct dc_option opts[] = {
		OPT_BOOL(0, "json", &json, "print one JSON document"),
		OPT_END(),
	};

	argc = dc_parse_options(argc - 1, argv + 1, opts, usage);
	if (argc)
		dc_usage_with_options(usage, opts, 1);
	git_libgit2_version(&major, &minor, &rev);
	if (json) {
		struct json_object *doc = dc_json_doc();
		char lg[32];
		snprintf(lg, sizeof(lg), "%d.%d.%d", major, minor, rev);
		json_object_object_add(doc, "command", json_object_new_string("version"));
		json_object_object_add(doc, "git_dc", json_object_new_string(DC_VERSION));
		json_object_object_add(doc, "libgit2", json_object_new_string(lg));
		json_object_object_add(doc, "json_c", json_object_new_string(json_c_version()));
		json_object_object_add(doc, "protocol", json_object_new_int(1));
		dc_print_json(doc);
		return 0;
	}
	printf("git-dc version %s (protocol v1, libgit2 %d.%d.%d, json-c %s)\n", DC_VERSION,
	       major, minor, rev, json_c_version());
	return 0;
}

int main(int argc, const char **argv)
{
	const char *name;
	size_t i;
	int status;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		list_commands(argc < 2 ? stderr : stdout);
		return 129;
	}
	if (!strcmp(argv[1], "--version"))
		argv[1] = "version";
	if (!strcmp(argv[1], "--list-cmds")) {
		/* the command names, one a line, for contrib/completion/ */
		for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
			puts(commands[i].name);
		return fflush(stdout) || ferror(stdout) ? 128 : 0;
	}
	name = argv[1];
	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(commands[i].name, name))
			break;
	if (i == sizeof(commands) / sizeof(*commands)) {
		fprintf(stderr, "git dc: '%s' is not a git dc command. See 'git dc -h'.\n", name);
		return 129;
	}
	dc_libgit2_init();
	status = commands[i].fn(argc - 1, argv + 1);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "fatal: unable to write to stdout: %s\n", strerror(errno));
		return 128;
	}
	/* big trees are not freed at exit: the kernel does it faster */
	return status;
}
