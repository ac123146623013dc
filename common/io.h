/* io.h: buffered I/O on descriptors with a deadline per operation.
 * All network input goes through here (STYLE.md: no code calls read(2) on
 * a client socket directly).  Every operation waits with poll() for at most
 * the configured timeout, counted from the start of that operation; a read
 * of a line is bounded by a caller-given maximum and reports IO_TOOLONG
 * instead of truncating. */
#ifndef POSTERN_IO_H
#define POSTERN_IO_H

#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

enum io_status {
	IO_OK = 0,
	IO_EOF = -1,      /* peer closed (for getline: before any byte) */
	IO_TIMEOUT = -2,
	IO_ERROR = -3,    /* errno set */
	IO_TOOLONG = -4   /* line longer than the limit; see io_getline */
};

struct io {
	int infd, outfd;
	int timeout_ms;          /* per operation; <= 0 means wait forever */
	char *in;                /* input buffer */
	size_t in_start, in_end, in_cap;
	struct buf out;          /* pending output */
	int in_eof;
	int out_error;           /* a write failed; later writes are dropped */
	int out_notsock;         /* outfd is no socket: no send(MSG_DONTWAIT) */
	/* After IO_TOOLONG: the first and last bytes of the skipped line
	 * (LF excluded), so a protocol can still find a tag at its start or
	 * a literal announcement at its end. */
	char toolong_head[64], toolong_tail[64];
	size_t toolong_head_len, toolong_tail_len;
	unsigned long long bytes_in, bytes_out;
};

/* Milliseconds of CLOCK_MONOTONIC: the clock of every deadline. */
long long io_now_ms(void);

/* io_new: caller frees with io_free (which does not close the fds). */
struct io *io_new(int infd, int outfd, int timeout_ms);
void io_free(struct io *io);
void io_set_timeout(struct io *io, int timeout_ms);
/* Switch descriptors (STARTTLS): buffered input is dropped, pending
 * output is discarded; the caller flushes first what must go out. */
void io_set_fds(struct io *io, int infd, int outfd);
/* Bytes already buffered for reading (pipelined by the client). */
size_t io_pending(const struct io *io);
/* Drop buffered input (RFC 3207 4.2 / RFC 2595: nothing read before the
 * TLS handshake may be used after it). */
void io_discard_input(struct io *io);
/* Copy buffered input into b without consuming it. */
void io_peek_pending(const struct io *io, struct buf *b);
/* Put bytes back in front of the input (hand-off of pipelined bytes). */
void io_unread(struct io *io, const void *p, size_t n);

/* Read one line ending in LF, of at most max bytes including the LF.
 * On IO_OK *line points into the io buffer (valid until the next call)
 * and *len counts the bytes including the LF (and a CR before it, if any).
 * At EOF after some bytes without LF, returns IO_OK with the partial line
 * (no LF at the end: callers check).  On IO_TOOLONG the line has been
 * skipped up to and including its LF (or until EOF/timeout). */
int io_getline(struct io *io, size_t max, const char **line, size_t *len);
/* Read between 1 and n bytes (buffered ones first). Returns count, or a
 * negative io_status. */
ssize_t io_read(struct io *io, void *dst, size_t n);
/* Read exactly n bytes: IO_OK, IO_EOF (short), IO_TIMEOUT, IO_ERROR. */
int io_readn(struct io *io, void *dst, size_t n);
/* Wait until input is available: 1 available, 0 timeout, <0 EOF/error.
 * Returns at once when bytes are buffered. */
int io_wait_input(struct io *io, int timeout_ms);

/* Buffered output. */
void io_write(struct io *io, const void *p, size_t n);
void io_puts(struct io *io, const char *s);
void io_printf(struct io *io, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Write everything pending: IO_OK, IO_TIMEOUT or IO_ERROR. */
int io_flush(struct io *io);
/* Flush only if no input is buffered (pipelining: RFC 2920 / IMAP). */
int io_flush_if_idle(struct io *io);

/* Low-level: wait until fd is ready for events (POLLIN, POLLOUT) or
 * the deadline (io_now_ms() clock; -1: none) passes, EINTR retried.
 * 1 ready, 0 timeout, -1 error. */
int io_wait_fd(int fd, short events, long long deadline);
/* Low-level: write all of p to fd with a deadline. */
int io_write_all(int fd, const void *p, size_t n, int timeout_ms);

#endif
