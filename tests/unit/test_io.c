/* test_io.c: unit tests for common/io.c (lines, limits, deadlines). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "io.h"

static int sv[2];

static struct io *
pair(const char *data, size_t n, int close_writer)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (n)
		ck_assert_int_eq(write(sv[1], data, n), (ssize_t)n);
	if (close_writer)
		shutdown(sv[1], SHUT_WR);
	return io_new(sv[0], sv[0], 500);
}

START_TEST(lines)
{
	struct io *io = pair("one\r\ntwo\nthree", 14, 1);
	const char *l;
	size_t n;
	ck_assert_int_eq(io_getline(io, 100, &l, &n), IO_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(l, "one\r\n", 5);
	ck_assert_int_eq(io_getline(io, 100, &l, &n), IO_OK);
	ck_assert_mem_eq(l, "two\n", 4);
	ck_assert_int_eq(io_getline(io, 100, &l, &n), IO_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(l, "three", 5);
	ck_assert_int_eq(io_getline(io, 100, &l, &n), IO_EOF);
	io_free(io);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(too_long_skips_line)
{
	char big[5000];
	memset(big, 'a', sizeof(big));
	big[4999] = '\n';
	struct io *io = pair(big, sizeof(big), 0);
	ck_assert_int_eq(write(sv[1], "next\n", 5), 5);
	shutdown(sv[1], SHUT_WR);
	const char *l;
	size_t n;
	ck_assert_int_eq(io_getline(io, 512, &l, &n), IO_TOOLONG);
	ck_assert_int_eq(io_getline(io, 512, &l, &n), IO_OK);
	ck_assert_mem_eq(l, "next\n", 5);
	io_free(io);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(exact_limit)
{
	struct io *io = pair("abcd\nabcde\n", 11, 1);
	const char *l;
	size_t n;
	ck_assert_int_eq(io_getline(io, 5, &l, &n), IO_OK);
	ck_assert_int_eq(io_getline(io, 5, &l, &n), IO_TOOLONG);
	ck_assert_int_eq(io_getline(io, 5, &l, &n), IO_EOF);
	io_free(io);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(timeout)
{
	struct io *io = pair("partial", 7, 0);
	const char *l;
	size_t n;
	io_set_timeout(io, 100);
	ck_assert_int_eq(io_getline(io, 100, &l, &n), IO_TIMEOUT);
	io_free(io);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(pending_and_discard)
{
	struct io *io = pair("A\nB\nC\n", 6, 1);
	const char *l;
	size_t n;
	ck_assert_int_eq(io_getline(io, 100, &l, &n), IO_OK);
	ck_assert_uint_eq(io_pending(io), 4);
	io_discard_input(io);
	ck_assert_uint_eq(io_pending(io), 0);
	io_unread(io, "Z\n", 2);
	ck_assert_int_eq(io_getline(io, 100, &l, &n), IO_OK);
	ck_assert_mem_eq(l, "Z\n", 2);
	io_free(io);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(readn_and_write)
{
	struct io *io = pair("0123456789", 10, 1);
	char b[8];
	ck_assert_int_eq(io_readn(io, b, 4), IO_OK);
	ck_assert_mem_eq(b, "0123", 4);
	ck_assert_int_eq(io_readn(io, b, 8), IO_EOF);
	io_printf(io, "%s %d\r\n", "OK", 7);
	ck_assert_int_eq(io_flush(io), IO_OK);
	ck_assert_int_eq(read(sv[1], b, 8), 6);
	ck_assert_mem_eq(b, "OK 7\r\n", 6);
	io_free(io);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A reply bigger than the socket's room: what fits goes at once, the
 * rest as the peer reads; a peer that never reads costs the deadline. */
START_TEST(flush_partial_then_wait)
{
	int snd = 4096;
	size_t big = 1 << 20, got = 0;
	char *p = malloc(big), b[65536];
	struct io *io;
	ssize_t r;

	ck_assert_ptr_nonnull(p);
	memset(p, 'x', big);
	io = pair("", 0, 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	io_set_timeout(io, 300);
	buf_append(&io->out, p, big);
	ck_assert_int_eq(io_flush(io), IO_TIMEOUT);
	ck_assert_int_eq(io->out_error, 1);
	/* what was sent is whole: only 'x' octets, fewer than asked */
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	while ((r = read(sv[1], b, sizeof(b))) > 0) {
		ck_assert_ptr_null(memchr(b, 0, (size_t)r));
		got += (size_t)r;
	}
	ck_assert_uint_gt(got, 0);
	ck_assert_uint_lt(got, big);
	io_free(io);
	free(p);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A pipe is no socket: the flush still writes, by the waiting path. */
START_TEST(flush_to_pipe)
{
	int pf[2];
	char b[16];
	struct io *io;

	ck_assert_int_eq(pipe(pf), 0);
	io = io_new(-1, pf[1], 500);
	io_puts(io, "250 ok\r\n");
	ck_assert_int_eq(io_flush(io), IO_OK);
	ck_assert_int_eq(io->out_notsock, 1);
	io_puts(io, "221 bye\r\n");
	ck_assert_int_eq(io_flush(io), IO_OK);
	ck_assert_int_eq(read(pf[0], b, sizeof(b)), 16);
	ck_assert_mem_eq(b, "250 ok\r\n221 bye\r\n", 16);
	io_free(io);
	close(pf[0]);
	close(pf[1]);
}
END_TEST

/* A peer gone: an error, no SIGPIPE (the test would die of it). */
START_TEST(flush_peer_closed)
{
	struct io *io = pair("", 0, 0);

	close(sv[1]);
	io_puts(io, "250 ok\r\n");
	ck_assert_int_eq(io_flush(io), IO_ERROR);
	io_free(io);
	close(sv[0]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, lines);
	tcase_add_test(tc, too_long_skips_line);
	tcase_add_test(tc, exact_limit);
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, pending_and_discard);
	tcase_add_test(tc, readn_and_write);
	tcase_add_test(tc, flush_partial_then_wait);
	tcase_add_test(tc, flush_to_pipe);
	tcase_add_test(tc, flush_peer_closed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
