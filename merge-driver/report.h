#ifndef DC_MD_REPORT_H
#define DC_MD_REPORT_H
/*
 * What the merge driver and the merge strategy share: printing an engine
 * error the way git prints its own ("error: ..." or "fatal: ..." and one
 * "hint: ..." line per hint) on stderr.
 */
#include "err.h"

/* Print `err` and return the exit code it maps to (`fallback` if unset). */
int dc_md_report(const struct dc_err *err, int fallback);

/* Print every line of `text` on stderr behind "hint: ". */
void dc_md_hints(const char *text);

#endif
