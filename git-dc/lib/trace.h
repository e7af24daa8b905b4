#ifndef DC_TRACE_H
#define DC_TRACE_H
/*
 * Phase timings for performance work: with DC_TRACE_PERFORMANCE set in the
 * environment, dc_trace_phase() prints to stderr how long the phase that
 * just ended took, as "trace: <phase>: 12.345 ms". Silent otherwise.
 */
void dc_trace_phase(const char *phase);

/*
 * Crash injection for the tests: when DC_CRASH_AT names this point, the
 * process kills itself with SIGKILL right here, as a power cut or an OOM
 * kill would. Points: "blobs" (objects written), "journal" (journal
 * written, branch not moved), "ref" (branch moved, work tree not yet),
 * "worktree" (after the first work-tree file).
 */
void dc_crash_point(const char *point);

#endif
