#ifndef DC_TAP_H
#define DC_TAP_H
/*
 * A small TAP producer for the unit tests: one binary per module, run by
 * prove. Each check prints "ok N - name" or "not ok N - name" with the
 * details as "# " lines; done_testing() prints the plan and returns the exit
 * code (0 only if every check passed).
 */
#include <stdio.h>
#include <string.h>
#include <stdarg.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static inline void tap_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Compare two strings (either may be NULL) and show both on failure. */
#define is_str(got, want, ...) \
	tap_is_str_((got), (want), __FILE__, __LINE__, __VA_ARGS__)
static inline int tap_is_str_(const char *got, const char *want, const char *file,
			      int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static inline int tap_is_str_(const char *got, const char *want, const char *file,
			      int line, const char *fmt, ...)
{
	va_list ap;
	int cond = (got && want) ? !strcmp(got, want) : got == want;
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		tap_failed++;
		printf("#   at %s:%d\n#   got:  '%s'\n#   want: '%s'\n", file, line,
		       got ? got : "(null)", want ? want : "(null)");
	}
	fflush(stdout);
	return cond;
}

#define is_int(got, want, ...) \
	tap_is_int_((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
static inline int tap_is_int_(long long got, long long want, const char *file, int line,
			      const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static inline int tap_is_int_(long long got, long long want, const char *file, int line,
			      const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		tap_failed++;
		printf("#   at %s:%d\n#   got:  %lld\n#   want: %lld\n", file, line, got, want);
	}
	fflush(stdout);
	return cond;
}

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
