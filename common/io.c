/* io.c: buffered descriptor I/O with per-operation deadlines (see io.h). */
#include "io.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_CHUNK 16384

long long
io_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline (-1 = no deadline), 0 when passed. */
static int
left_ms(long long deadline)
{
	long long d;

	if (deadline < 0)
		return -1;
	d = deadline - io_now_ms();
	if (d <= 0)
		return 0;
	if (d > 0x7fffffff)
		d = 0x7fffffff;
	return (int)d;
}

static long long
deadline_for(int timeout_ms)
{
	return timeout_ms > 0 ? io_now_ms() + timeout_ms : -1;
}

int
io_wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd;
	int r, t;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		t = left_ms(deadline);
		if (t == 0 && deadline >= 0)
			return 0;
		r = poll(&pfd, 1, t);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		return 1;
	}
}

struct io *
io_new(int infd, int outfd, int timeout_ms)
{
	struct io *io = xcalloc(1, sizeof(*io));

	io->infd = infd;
	io->outfd = outfd;
	io->timeout_ms = timeout_ms;
	io->in_cap = IO_CHUNK;
	io->in = xmalloc(io->in_cap);
	buf_init(&io->out);
	return io;
}

void
io_free(struct io *io)
{
	if (io == NULL)
		return;
	free(io->in);
	buf_free(&io->out);
	free(io);
}

void
io_set_timeout(struct io *io, int timeout_ms)
{
	io->timeout_ms = timeout_ms;
}

void
io_set_fds(struct io *io, int infd, int outfd)
{
	io->infd = infd;
	io->outfd = outfd;
	io_discard_input(io);
	buf_reset(&io->out);
	io->in_eof = 0;
	io->out_error = 0;
	io->out_notsock = 0;
}

size_t
io_pending(const struct io *io)
{
	return io->in_end - io->in_start;
}

void
io_discard_input(struct io *io)
{
	io->in_start = io->in_end = 0;
}

void
io_peek_pending(const struct io *io, struct buf *b)
{
	buf_append(b, io->in + io->in_start, io->in_end - io->in_start);
}

void
io_unread(struct io *io, const void *p, size_t n)
{
	size_t have = io->in_end - io->in_start;
	size_t need = size_add(have, n);
	char *nb;

	if (n == 0)
		return;
	nb = xmalloc(need > IO_CHUNK ? need : IO_CHUNK);
	memcpy(nb, p, n);
	memcpy(nb + n, io->in + io->in_start, have);
	free(io->in);
	io->in = nb;
	io->in_cap = need > IO_CHUNK ? need : IO_CHUNK;
	io->in_start = 0;
	io->in_end = need;
}

/* Read more input into the buffer (growing it up to want bytes of free
 * room).  Returns bytes read, 0 at EOF, or IO_TIMEOUT / IO_ERROR. */
static ssize_t
fill(struct io *io, long long deadline, size_t want)
{
	ssize_t r;
	int w;

	if (io->in_eof)
		return 0;
	if (io->in_start == io->in_end)
		io->in_start = io->in_end = 0;
	if (io->in_cap - io->in_end < want) {
		if (io->in_start > 0) {
			memmove(io->in, io->in + io->in_start, io->in_end - io->in_start);
			io->in_end -= io->in_start;
			io->in_start = 0;
		}
		if (io->in_cap - io->in_end < want) {
			size_t nc = size_add(io->in_end, want);
			io->in = xreallocarray(io->in, nc, 1);
			io->in_cap = nc;
		}
	}
	for (;;) {
		w = io_wait_fd(io->infd, POLLIN, deadline);
		if (w == 0)
			return IO_TIMEOUT;
		if (w < 0)
			return IO_ERROR;
		r = read(io->infd, io->in + io->in_end, io->in_cap - io->in_end);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return IO_ERROR;
		}
		if (r == 0) {
			io->in_eof = 1;
			return 0;
		}
		io->in_end += (size_t)r;
		io->bytes_in += (unsigned long long)r;
		return r;
	}
}

static void
keep_head(struct io *io, const char *p, size_t n)
{
	io->toolong_head_len = n < sizeof(io->toolong_head) ? n : sizeof(io->toolong_head);
	memcpy(io->toolong_head, p, io->toolong_head_len);
	io->toolong_tail_len = 0;
}

/* Keep the last bytes seen of an overlong line (p holds the newest). */
static void
keep_tail(struct io *io, const char *p, size_t n)
{
	size_t cap = sizeof(io->toolong_tail), keep;

	if (n >= cap) {
		memcpy(io->toolong_tail, p + n - cap, cap);
		io->toolong_tail_len = cap;
		return;
	}
	keep = io->toolong_tail_len;
	if (keep + n > cap)
		keep = cap - n;
	memmove(io->toolong_tail, io->toolong_tail + io->toolong_tail_len - keep, keep);
	memcpy(io->toolong_tail + keep, p, n);
	io->toolong_tail_len = keep + n;
}

int
io_getline(struct io *io, size_t max, const char **line, size_t *len)
{
	long long deadline = deadline_for(io->timeout_ms);
	size_t scanned = 0;
	int toolong = 0;
	ssize_t r;

	for (;;) {
		char *start = io->in + io->in_start;
		size_t have = io->in_end - io->in_start;
		char *nl = memchr(start + scanned, '\n', have - scanned);

		if (nl != NULL) {
			size_t n = (size_t)(nl - start) + 1;
			if (toolong || n > max) {
				if (!toolong)
					keep_head(io, start, n - 1);
				keep_tail(io, start, n - 1);
				io->in_start += n;
				return IO_TOOLONG;
			}
			io->in_start += n;
			*line = start;
			*len = n;
			return IO_OK;
		}
		scanned = have;
		if (have >= max) {
			/* Too long: drop what we have and keep skipping. */
			if (!toolong)
				keep_head(io, start, have);
			keep_tail(io, start, have);
			toolong = 1;
			io->in_start = io->in_end = 0;
			scanned = 0;
		}
		r = fill(io, deadline, toolong ? IO_CHUNK :
		    (max - have < IO_CHUNK ? max - have : IO_CHUNK));
		if (r < 0)
			return (int)r;
		if (r == 0) {
			if (toolong)
				return IO_TOOLONG;
			have = io->in_end - io->in_start;
			if (have == 0)
				return IO_EOF;
			*line = io->in + io->in_start;
			*len = have;
			io->in_start = io->in_end;
			return IO_OK;
		}
		/* fill may have moved the buffer: rescan from the same offset */
	}
}

ssize_t
io_read(struct io *io, void *dst, size_t n)
{
	size_t have;
	ssize_t r;

	if (n == 0)
		return 0;
	if (io->in_end == io->in_start) {
		r = fill(io, deadline_for(io->timeout_ms), IO_CHUNK);
		if (r < 0)
			return r;
		if (r == 0)
			return IO_EOF;
	}
	have = io->in_end - io->in_start;
	if (n > have)
		n = have;
	memcpy(dst, io->in + io->in_start, n);
	io->in_start += n;
	return (ssize_t)n;
}

int
io_readn(struct io *io, void *dst, size_t n)
{
	long long deadline = deadline_for(io->timeout_ms);
	char *d = dst;
	ssize_t r;

	while (n > 0) {
		size_t have = io->in_end - io->in_start;
		if (have > 0) {
			size_t k = have < n ? have : n;
			memcpy(d, io->in + io->in_start, k);
			io->in_start += k;
			d += k;
			n -= k;
			continue;
		}
		r = fill(io, deadline, IO_CHUNK);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return IO_EOF;
	}
	return IO_OK;
}

int
io_wait_input(struct io *io, int timeout_ms)
{
	int w;

	if (io->in_end > io->in_start)
		return 1;
	if (io->in_eof)
		return IO_EOF;
	w = io_wait_fd(io->infd, POLLIN, deadline_for(timeout_ms));
	if (w < 0)
		return IO_ERROR;
	return w;
}

void
io_write(struct io *io, const void *p, size_t n)
{
	if (io->out_error)
		return;
	buf_append(&io->out, p, n);
	if (io->out.len >= 65536)
		io_flush(io);
}

void
io_puts(struct io *io, const char *s)
{
	io_write(io, s, strlen(s));
}

void
io_printf(struct io *io, const char *fmt, ...)
{
	va_list ap;

	if (io->out_error)
		return;
	va_start(ap, fmt);
	buf_vprintf(&io->out, fmt, ap);
	va_end(ap);
	if (io->out.len >= 65536)
		io_flush(io);
}

int
io_write_all(int fd, const void *p, size_t n, int timeout_ms)
{
	long long deadline = deadline_for(timeout_ms);
	const char *s = p;
	ssize_t r;
	int w;

	/* Wait for room before each write and write in moderate chunks, so
	 * that a peer that stops reading costs at most the deadline even on
	 * a blocking descriptor. */
	while (n > 0) {
		w = io_wait_fd(fd, POLLOUT, deadline);
		if (w == 0)
			return IO_TIMEOUT;
		if (w < 0)
			return IO_ERROR;
		r = write(fd, s, n < 16384 ? n : 16384);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return IO_ERROR;
		}
		s += r;
		n -= (size_t)r;
	}
	return IO_OK;
}

/* A reply usually fits the socket's buffer: send it without waiting
 * for room first (no poll per reply).  *done: how much went.  What did
 * not fit, and anything for a descriptor that is no socket, goes
 * through io_write_all's wait; a broken connection is IO_ERROR at once
 * (and no SIGPIPE). */
static int
send_now(struct io *io, size_t *done)
{
	ssize_t r;

	*done = 0;
	while (!io->out_notsock && *done < io->out.len) {
		r = send(io->outfd, io->out.p + *done, io->out.len - *done,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0) {
			*done += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ENOTSOCK)
			io->out_notsock = 1;
		else if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return IO_ERROR;
		break;
	}
	return IO_OK;
}

int
io_flush(struct io *io)
{
	size_t done;
	int r;

	if (io->out_error)
		return IO_ERROR;
	if (io->out.len == 0)
		return IO_OK;
	r = send_now(io, &done);
	if (r == IO_OK && done < io->out.len)
		r = io_write_all(io->outfd, io->out.p + done, io->out.len - done,
		    io->timeout_ms);
	if (r != IO_OK) {
		io->out_error = 1;
		buf_reset(&io->out);
		return r;
	}
	io->bytes_out += io->out.len;
	buf_reset(&io->out);
	return IO_OK;
}

int
io_flush_if_idle(struct io *io)
{
	if (io_pending(io) > 0)
		return IO_OK;
	return io_flush(io);
}
