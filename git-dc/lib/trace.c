#include "trace.h"
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void dc_trace_phase(const char *phase)
{
	static int enabled = -1;
	static struct timespec last;
	struct timespec now;

	if (enabled < 0) {
		const char *v = getenv("DC_TRACE_PERFORMANCE");
		enabled = v && *v && *v != '0';
		clock_gettime(CLOCK_MONOTONIC, &last);
	}
	if (!enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "trace: %s: %.3f ms\n", phase,
		(double)(now.tv_sec - last.tv_sec) * 1e3 + (double)(now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

void dc_crash_point(const char *point)
{
	const char *at = getenv("DC_CRASH_AT");

	if (at && !strcmp(at, point))
		kill(getpid(), SIGKILL);
}
