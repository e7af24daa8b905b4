#include "err.h"
#include <stdarg.h>

int dc_err_set(struct dc_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	dc_buf_reset(&err->msg);
	dc_buf_reset(&err->hint);
	va_start(ap, fmt);
	dc_buf_vaddf(&err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

void dc_err_hint(struct dc_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	if (err->hint.len)
		dc_buf_addch(&err->hint, '\n');
	va_start(ap, fmt);
	dc_buf_vaddf(&err->hint, fmt, ap);
	va_end(ap);
}

void dc_err_prefix(struct dc_err *err, const char *fmt, ...)
{
	struct dc_buf b = DC_BUF_INIT;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	dc_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	dc_buf_adds(&b, ": ");
	dc_buf_addbuf(&b, &err->msg);
	dc_buf_release(&err->msg);
	err->msg = b;
}

void dc_err_release(struct dc_err *err)
{
	dc_buf_release(&err->msg);
	dc_buf_release(&err->hint);
	err->code = 0;
}
