#ifndef DC_BUF_H
#define DC_BUF_H
/*
 * struct dc_buf: a growable byte buffer, always NUL-terminated.
 *
 * `buf` is never NULL: a zeroed or DC_BUF_INIT buffer points at a shared
 * empty string, so callers may read `b.buf` at any time. `len` excludes the
 * terminating NUL. The bytes may themselves contain NUL.
 *
 * Ownership: the buffer owns `buf` once it has grown. dc_buf_release() frees
 * it and resets the buffer to DC_BUF_INIT; dc_buf_detach() hands the memory
 * to the caller (who frees it with free()). Allocation failure aborts: the
 * engine treats out-of-memory as fatal, as git does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

extern char dc_buf_empty[];

struct dc_buf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define DC_BUF_INIT { dc_buf_empty, 0, 0 }

void dc_buf_init(struct dc_buf *b, size_t hint);
void dc_buf_release(struct dc_buf *b);
char *dc_buf_detach(struct dc_buf *b, size_t *len);
void dc_buf_grow(struct dc_buf *b, size_t extra);
void dc_buf_reset(struct dc_buf *b);
void dc_buf_setlen(struct dc_buf *b, size_t len);
void dc_buf_add(struct dc_buf *b, const void *data, size_t len);
void dc_buf_adds(struct dc_buf *b, const char *s);
void dc_buf_addch(struct dc_buf *b, int c);
void dc_buf_addf(struct dc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dc_buf_vaddf(struct dc_buf *b, const char *fmt, va_list ap);
void dc_buf_addbuf(struct dc_buf *b, const struct dc_buf *other);
/* Append exactly `len` bytes read from `fd`: 0, or -1 (b as it was) when
 * the file ends first or a read fails. */
int dc_buf_read_fd(struct dc_buf *b, int fd, size_t len);
/* Write all `len` bytes to `fd` (again after EINTR): 0, or -1 with errno
 * set (EIO when the file takes no more bytes). */
int dc_write_fd(int fd, const void *buf, size_t len);
/* Append `s` (len bytes) quoted and escaped for a message: 'abc', with
 * control characters and invalid UTF-8 shown as \xNN, at most `max` bytes
 * of the input (then "..."). */
void dc_buf_addquoted(struct dc_buf *b, const char *s, size_t len, size_t max);

/* Where bytes made from a base hold its bytes as they are: the new bytes
 * [to, to + len) are the base's [from, from + len). */
struct dc_same {
	size_t to, from, len;
};

struct dc_sames {
	struct dc_same *v;	/* in the order of both, apart */
	size_t n, alloc;
};

/* A 64-bit number as 8 little-endian bytes, appended; and read back. */
void dc_buf_add_le64(struct dc_buf *b, uint64_t v);
uint64_t dc_get_le64(const unsigned char *p);

/* xmalloc family: abort on failure. */
void *dc_xmalloc(size_t n);
void *dc_xcalloc(size_t n, size_t size);
void *dc_xrealloc(void *p, size_t n);
void *dc_xreallocarray(void *p, size_t n, size_t size);
char *dc_xstrdup(const char *s);
char *dc_xmemdupz(const void *p, size_t n);

/* Grow `*arr` (of `alloc` elements of `size` bytes) to hold at least `need`. */
#define DC_ALLOC_GROW(arr, need, alloc) \
	do { \
		if ((need) > (alloc)) { \
			size_t dc_ag_n_ = (alloc) < 8 ? 8 : (alloc); \
			while (dc_ag_n_ < (need)) \
				dc_ag_n_ += dc_ag_n_ / 2 + 8; \
			(arr) = dc_xreallocarray((arr), dc_ag_n_, sizeof(*(arr))); \
			(alloc) = dc_ag_n_; \
		} \
	} while (0)

#endif
