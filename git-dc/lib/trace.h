#ifndef DC_TRACE_H
#define DC_TRACE_H
/*
 * Phase timings for performance work: with DC_TRACE_PERFORMANCE set in the
 * environment, dc_trace_phase() prints to stderr how long the phase that
 * just ended took, as "trace: <phase>: 12.345 ms". Silent otherwise.
 */
void dc_trace_phase(const char *phase);

#endif
