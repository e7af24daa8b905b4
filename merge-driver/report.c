#include <stdio.h>
#include <string.h>
#include "report.h"

void dc_md_hints(const char *text)
{
	const char *p, *nl;

	for (p = text; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		fprintf(stderr, "hint: %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
	}
}

int dc_md_report(const struct dc_err *err, int fallback)
{
	int code = err->code ? err->code : fallback;

	fprintf(stderr, "%s: %s\n", code == DC_ERR_FATAL ? "fatal" : "error", err->msg.buf);
	if (err->hint.len)
		dc_md_hints(err->hint.buf);
	return code;
}
