/* test_fdpass.c: unit tests for common/fdpass.c: a record and its
 * descriptors arrive together; descriptors beyond what the receiver takes
 * are closed; a record or descriptors cut short are reported; on a stream
 * socket a partial send carries the descriptors with its first byte;
 * record building stops at its size. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fdpass.h"

static int
same_file(int a, int b)
{
	struct stat x, y;

	return fstat(a, &x) == 0 && fstat(b, &y) == 0 &&
	    x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Descriptors open in this process (to see that nothing leaked). */
static int
open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

START_TEST(record_with_descriptors)
{
	int sp[2], p[2], fds[FDPASS_MAX], nfds, trunc;
	char buf[64];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fdpass_send(sp[0], "hello", 5, p, 2, 0), 0);
	ck_assert_int_eq(fdpass_recv(sp[1], buf, sizeof(buf), fds, FDPASS_MAX, &nfds, &trunc), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert_int_eq(nfds, 2);
	ck_assert_int_eq(trunc, 0);
	ck_assert(same_file(fds[0], p[0]) && same_file(fds[1], p[1]));
	/* close-on-exec on what arrives */
	ck_assert_int_eq(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fds[0]);
	close(fds[1]);
	/* none */
	ck_assert_int_eq(fdpass_send(sp[0], "x", 1, NULL, 0, 0), 0);
	ck_assert_int_eq(fdpass_recv(sp[1], buf, sizeof(buf), fds, FDPASS_MAX, &nfds, &trunc), 1);
	ck_assert_int_eq(nfds, 0);
	/* the end */
	close(sp[0]);
	ck_assert_int_eq(fdpass_recv(sp[1], buf, sizeof(buf), fds, FDPASS_MAX, &nfds, &trunc), 0);
	close(sp[1]);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(extra_descriptors_closed_and_truncation)
{
	int sp[2], p[2], fds[FDPASS_MAX], all[FDPASS_MAX + 1], nfds, trunc, before;
	char buf[4];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	ck_assert_int_eq(pipe(p), 0);
	before = open_fds();
	/* the receiver takes one: the other is closed, not leaked */
	ck_assert_int_eq(fdpass_send(sp[0], "ab", 2, p, 2, 0), 0);
	ck_assert_int_eq(fdpass_recv(sp[1], buf, sizeof(buf), fds, 1, &nfds, &trunc), 2);
	ck_assert_int_eq(nfds, 1);
	close(fds[0]);
	ck_assert_int_eq(open_fds(), before);
	/* a record longer than the buffer */
	ck_assert_int_eq(fdpass_send(sp[0], "abcdefgh", 8, NULL, 0, 0), 0);
	ck_assert_int_eq(fdpass_recv(sp[1], buf, sizeof(buf), fds, 1, &nfds, &trunc), 4);
	ck_assert_int_eq(trunc, 1);
	/* more descriptors than one record may carry */
	for (int i = 0; i <= FDPASS_MAX; i++)
		all[i] = p[0];
	errno = 0;
	ck_assert_int_eq(fdpass_send(sp[0], "a", 1, all, FDPASS_MAX + 1, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(sp[0]);
	close(sp[1]);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(stream_partial_send)
{
	static char big[1 << 20], in[1 << 16];
	int sp[2], p[2], fds[FDPASS_MAX], nfds, trunc, size = 4096;
	ssize_t n, got = 0, r;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
	ck_assert_int_eq(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
	ck_assert_int_eq(pipe(p), 0);
	memset(big, 'z', sizeof(big));
	n = fdpass_send_some(sp[0], big, sizeof(big), p, 1, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (ssize_t)sizeof(big));
	/* fdpass_send wants the whole record: not on a full stream */
	errno = 0;
	ck_assert_int_eq(fdpass_send(sp[0], big, sizeof(big), NULL, 0, 0), -1);
	ck_assert(errno == EAGAIN || errno == EMSGSIZE);
	/* the descriptor came with the first bytes */
	r = fdpass_recv(sp[1], in, sizeof(in), fds, FDPASS_MAX, &nfds, &trunc);
	ck_assert_int_gt(r, 0);
	ck_assert_int_eq(nfds, 1);
	ck_assert(same_file(fds[0], p[0]));
	close(fds[0]);
	got = r;
	while (got < n && (r = fdpass_recv(sp[1], in, sizeof(in), fds, FDPASS_MAX, &nfds, &trunc)) > 0) {
		ck_assert_int_eq(nfds, 0);
		got += r;
	}
	ck_assert_int_ge(got, n);
	close(sp[0]);
	close(sp[1]);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(put_str_bounds)
{
	char rec[8];
	size_t len = 2;

	memcpy(rec, "P1", 2);
	ck_assert_int_eq(fdpass_put_str(rec, sizeof(rec), &len, "A=1"), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(rec, "P1A=1", 6), 0);
	/* "xy" and its NUL would need 9 bytes: refused, nothing appended */
	errno = 0;
	ck_assert_int_eq(fdpass_put_str(rec, sizeof(rec), &len, "xy"), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(len, 6);
	/* an exact fit */
	ck_assert_int_eq(fdpass_put_str(rec, sizeof(rec), &len, "z"), 0);
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(fdpass_put_str(rec, sizeof(rec), &len, ""), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fdpass");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, record_with_descriptors);
	tcase_add_test(tc, extra_descriptors_closed_and_truncation);
	tcase_add_test(tc, stream_partial_send);
	tcase_add_test(tc, put_str_bounds);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
