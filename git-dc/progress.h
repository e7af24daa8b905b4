#ifndef DC_PROGRESS_H
#define DC_PROGRESS_H
/*
 * Progress on stderr, as git shows it: "Folding deltas:  45% (4500/10000)",
 * only when stderr is a terminal, only once the work has taken about a
 * second (DC_PROGRESS_DELAY seconds when set, as git's GIT_PROGRESS_DELAY),
 * redrawn at most every 100 ms, finished with ", done." when it was shown. dc_progress_update() has the signature of the engine's progress
 * callbacks, with a struct dc_progress as `data`.
 */
#include <stddef.h>
#include <time.h>

struct dc_progress {
	int enabled;		/* stderr is a terminal and not --quiet */
	int shown;
	double delay;		/* seconds of work before the first line */
	const char *title;
	struct timespec start, last;
	size_t total, done;
};

void dc_progress_init(struct dc_progress *p, int quiet);
void dc_progress_update(void *data, const char *title, size_t done, size_t total);
void dc_progress_done(struct dc_progress *p);

#endif
