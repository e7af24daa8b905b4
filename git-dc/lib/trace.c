#include "trace.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int trace_enabled = -1;
static struct timespec trace_last;

static int trace_on(void)
{
	if (trace_enabled < 0) {
		const char *v = getenv("DC_TRACE_PERFORMANCE");
		trace_enabled = v && *v && *v != '0';
		clock_gettime(CLOCK_MONOTONIC, &trace_last);
	}
	return trace_enabled;
}

void dc_trace_note(const char *fmt, ...)
{
	va_list ap;

	if (!trace_on())
		return;
	fputs("trace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void dc_trace_phase(const char *phase)
{
	struct timespec *last = &trace_last;
	struct timespec now;

	if (!trace_on())
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "trace: %s: %.3f ms\n", phase,
		(double)(now.tv_sec - last->tv_sec) * 1e3 +
		(double)(now.tv_nsec - last->tv_nsec) / 1e6);
	*last = now;
}

static struct {
	char *at;		/* DC_CRASH_AT's point, or NULL */
	unsigned long at_n;	/* ... at its n-th time */
	unsigned long after;	/* DC_CRASH_AFTER, 0 if unset */
	char *trace;		/* DC_CRASH_TRACE, or NULL */
	unsigned long seen, seen_at;
} crash;

static unsigned long crash_number(const char *s)
{
	char *end;
	unsigned long n;

	if (!s || !*s)
		return 0;
	n = strtoul(s, &end, 10);
	return *end ? 0 : n;
}

/* Read the knobs before main(), and keep them from child processes. */
__attribute__((constructor)) static void crash_setup(void)
{
	const char *v;

	if ((v = getenv("DC_CRASH_AT")) && *v) {
		char *colon;

		crash.at = strdup(v);
		crash.at_n = 1;
		if (crash.at && (colon = strchr(crash.at, ':'))) {
			*colon = '\0';
			crash.at_n = crash_number(colon + 1);
		}
	}
	crash.after = crash_number(getenv("DC_CRASH_AFTER"));
	if ((v = getenv("DC_CRASH_TRACE")) && *v)
		crash.trace = strdup(v);
	unsetenv("DC_CRASH_AT");
	unsetenv("DC_CRASH_AFTER");
	unsetenv("DC_CRASH_TRACE");
}

void dc_crash_point(const char *point)
{
	crash.seen++;
	if (crash.trace) {
		FILE *f = fopen(crash.trace, "a");

		if (f) {
			fprintf(f, "%s\n", point);
			fclose(f);
		}
	}
	if (crash.at && !strcmp(crash.at, point) && ++crash.seen_at == crash.at_n)
		kill(getpid(), SIGKILL);
	if (crash.after && crash.seen == crash.after)
		kill(getpid(), SIGKILL);
}
