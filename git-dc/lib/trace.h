#ifndef DC_TRACE_H
#define DC_TRACE_H
/*
 * Phase timings for performance work: with DC_TRACE_PERFORMANCE set in the
 * environment, dc_trace_phase() prints to stderr how long the phase that
 * just ended took, as "trace: <phase>: 12.345 ms". Silent otherwise.
 */
void dc_trace_phase(const char *phase);
/* With DC_TRACE_PERFORMANCE set: "trace: <what the format says>" on stderr. */
void dc_trace_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Crash injection for the tests: the process kills itself with SIGKILL
 * right here, as a power cut or an OOM kill would, when the environment
 * asks for it:
 *
 *	DC_CRASH_AT=<point>[:<n>]  at the n-th time (default the first) it
 *	                           reaches the point named
 *	DC_CRASH_AFTER=<n>         at the n-th crash point it reaches, whatever
 *	                           its name (1 is the first)
 *	DC_CRASH_TRACE=<file>      append the name of every point reached to
 *	                           <file>, one a line, before any kill: a run
 *	                           without a kill lists the instants to try
 *
 * The knobs are read once, when the program starts, and removed from its
 * environment, so they apply to that process and not to the git-dc
 * programs it runs (the hooks of a push, say).
 *
 * Points: "blobs" (merge: objects written), "journal" (merge: journal
 * written, branch not moved), "ref" (merge: branch moved, work tree not
 * yet), "worktree" (after each work-tree file a commit brings), "fetched"
 * (primary: the remote fetched), "merged" (primary: the merge committed
 * locally, not pushed), "pushed" (primary: the remote's branch moved),
 * "push-commit" (git dc push: the commit to push written, nothing sent),
 * "push-sent" (git dc push: the remote took it, the tracking ref not yet
 * moved), "push-tracked" (git dc push: the tracking ref moved, the branch
 * and work tree not yet).
 */
void dc_crash_point(const char *point);

#endif
