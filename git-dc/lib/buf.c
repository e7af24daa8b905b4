#include "buf.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bsd/string.h>
#include <bsd/stdlib.h>
#include <unistd.h>

char dc_buf_empty[1];

static void die_oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *dc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *dc_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom(n * size);
	return p;
}

void *dc_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	return q;
}

void *dc_xreallocarray(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size ? size : 1);
	if (!q)
		die_oom(n * size);
	return q;
}

char *dc_xstrdup(const char *s)
{
	return dc_xmemdupz(s, strlen(s));
}

char *dc_xmemdupz(const void *p, size_t n)
{
	char *s = dc_xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void dc_buf_init(struct dc_buf *b, size_t hint)
{
	b->buf = dc_buf_empty;
	b->len = b->alloc = 0;
	if (hint)
		dc_buf_grow(b, hint);
}

void dc_buf_release(struct dc_buf *b)
{
	if (b->alloc)
		free(b->buf);
	b->buf = dc_buf_empty;
	b->len = b->alloc = 0;
}

char *dc_buf_detach(struct dc_buf *b, size_t *len)
{
	char *r;
	if (!b->alloc)
		dc_buf_grow(b, 0);
	r = b->buf;
	if (len)
		*len = b->len;
	b->buf = dc_buf_empty;
	b->len = b->alloc = 0;
	return r;
}

void dc_buf_grow(struct dc_buf *b, size_t extra)
{
	size_t need;
	int fresh = !b->alloc;
	if (b->len + extra + 1 < b->len)
		die_oom(SIZE_MAX);
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return;
	if (fresh)
		b->buf = NULL;
	DC_ALLOC_GROW(b->buf, need, b->alloc);
	if (fresh)
		b->buf[0] = '\0';
}

void dc_buf_reset(struct dc_buf *b)
{
	dc_buf_setlen(b, 0);
}

void dc_buf_setlen(struct dc_buf *b, size_t len)
{
	if (!b->alloc) {
		if (!len)
			return;
		dc_buf_grow(b, len);
	}
	b->len = len;
	b->buf[len] = '\0';
}

void dc_buf_add(struct dc_buf *b, const void *data, size_t len)
{
	dc_buf_grow(b, len);
	memcpy(b->buf + b->len, data, len);
	dc_buf_setlen(b, b->len + len);
}

void dc_buf_adds(struct dc_buf *b, const char *s)
{
	dc_buf_add(b, s, strlen(s));
}

void dc_buf_addch(struct dc_buf *b, int c)
{
	dc_buf_grow(b, 1);
	b->buf[b->len++] = (char)c;
	b->buf[b->len] = '\0';
}

void dc_buf_vaddf(struct dc_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	dc_buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= b->alloc - b->len) {
		dc_buf_grow(b, (size_t)n);
		vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
	}
	dc_buf_setlen(b, b->len + (size_t)n);
}

void dc_buf_addf(struct dc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dc_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void dc_buf_addbuf(struct dc_buf *b, const struct dc_buf *other)
{
	dc_buf_add(b, other->buf, other->len);
}

void dc_buf_addquoted(struct dc_buf *b, const char *s, size_t len, size_t max)
{
	size_t i, n = len < max ? len : max;

	dc_buf_addch(b, '\'');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c >= 0x80 || c == '\'' || c == '\\') {
			if (c >= 0x80) {
				/* keep well-formed UTF-8 sequences as they are */
				size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
				size_t k;
				int ok = need && c <= 0xf4 && i + need <= n;
				for (k = 1; ok && k < need; k++)
					if (((unsigned char)s[i + k] & 0xc0) != 0x80)
						ok = 0;
				if (ok) {
					dc_buf_add(b, s + i, need);
					i += need - 1;
					continue;
				}
			}
			if (c == '\'' || c == '\\')
				dc_buf_addf(b, "\\%c", c);
			else
				dc_buf_addf(b, "\\x%02x", c);
		} else {
			dc_buf_addch(b, c);
		}
	}
	dc_buf_addch(b, '\'');
	if (n < len)
		dc_buf_adds(b, "...");
}

int dc_buf_read_fd(struct dc_buf *b, int fd, size_t len)
{
	size_t got = 0;

	dc_buf_grow(b, len);
	while (got < len) {
		ssize_t n = read(fd, b->buf + b->len + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			b->buf[b->len] = '\0';
			return -1;
		}
		got += (size_t)n;
	}
	dc_buf_setlen(b, b->len + len);
	return 0;
}

int dc_write_fd(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

void dc_buf_add_le64(struct dc_buf *b, uint64_t v)
{
	unsigned char c[8];
	int i;

	for (i = 0; i < 8; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	dc_buf_add(b, c, 8);
}

uint64_t dc_get_le64(const unsigned char *p)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
#else
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
#endif
}
