/* buf.h: growable byte buffers with overflow-checked sizes.
 * A struct buf always has a length; buf_cstr() adds a NUL past the end for
 * callers that need a C string, but the bytes may hold NULs themselves.
 * Allocation failure or size overflow is fatal (exit 111, like qmail's
 * "out of memory" path): callers never see a half-grown buffer. */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);             /* len = 0, keeps memory */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, int c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
const char *buf_cstr(struct buf *b);       /* NUL-terminated view */
void buf_consume(struct buf *b, size_t n); /* drop n bytes from the front */
char *buf_steal(struct buf *b, size_t *len); /* caller frees; b is reset */

/* Checked arithmetic and allocation helpers (fatal on overflow/ENOMEM). */
size_t size_add(size_t a, size_t b);
size_t size_mul(size_t a, size_t b);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Fatal: log "out of memory" and exit 111. */
void xalloc_die(void) __attribute__((noreturn));

#endif
