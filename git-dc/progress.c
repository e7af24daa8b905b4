#include "progress.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void dc_progress_init(struct dc_progress *p, int quiet)
{
	const char *delay = getenv("DC_PROGRESS_DELAY");
	char *end;
	double d;

	memset(p, 0, sizeof(*p));
	p->enabled = !quiet && isatty(2);
	p->delay = 1.0;
	if (delay && *delay) {
		d = strtod(delay, &end);
		if (!*end && d >= 0)
			p->delay = d;
	}
	clock_gettime(CLOCK_MONOTONIC, &p->start);
}

static void draw(struct dc_progress *p, const char *end)
{
	if (p->total)
		fprintf(stderr, "\r%s: %3u%% (%zu/%zu)%s", p->title,
			(unsigned)(p->done * 100 / p->total), p->done, p->total, end);
	else
		fprintf(stderr, "\r%s: %zu%s", p->title, p->done, end);
	fflush(stderr);
}

void dc_progress_update(void *data, const char *title, size_t done, size_t total)
{
	struct dc_progress *p = data;
	struct timespec now;

	if (!p || !p->enabled)
		return;
	if (p->title && strcmp(p->title, title))
		dc_progress_done(p);
	if (!p->title)
		clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->title = title;
	p->done = done;
	p->total = total;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&p->start, &now) < p->delay || (p->shown && since(&p->last, &now) < 0.1))
		return;
	p->shown = 1;
	p->last = now;
	draw(p, "");
}

void dc_progress_done(struct dc_progress *p)
{
	if (p->enabled && p->shown) {
		p->done = p->total ? p->total : p->done;
		draw(p, ", done.\n");
	}
	p->shown = 0;
	p->title = NULL;
}
