/* test_prepared.c: unit tests for common/prepared.c: the variables and
 * descriptors listen hands a prepared program arrive in its environment
 * and on fds 0 and 1; keys outside the list are never sent nor taken; a
 * malformed record or the end of the socket is refused. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "prepared.h"
#include "tlsctl.h"

static int sp[2], saved0, saved1;

static void
setup(void)
{
	char num[16];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	snprintf(num, sizeof(num), "%d", sp[1]);
	setenv(PREPARED_ENV, num, 1);
	saved0 = dup(0);
	saved1 = dup(1);
}

static void
teardown(void)
{
	dup2(saved0, 0);
	dup2(saved1, 1);
	close(saved0);
	close(saved1);
	close(sp[0]);
	close(sp[1]);
	unsetenv(PREPARED_ENV);
}

static ino_t
ino(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

START_TEST(hand_over)
{
	char *envs[] = { "TCPREMOTEIP=192.0.2.7", "TCPREMOTEPORT=4242", "PROTO=TCP",
	    "POSTERN_SESSION=0123456789ab", "PATH=/evil", "LD_PRELOAD=/evil.so" };
	int conn[2], ctl[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctl), 0);
	setenv("TCP6REMOTEIP", "::1", 1);       /* stale: removed */
	unsetenv("LD_PRELOAD");
	ck_assert_int_eq(prepared_send(sp[0], envs, 6, conn[0], ctl[0]), 0);
	ck_assert_int_eq(prepared_wait(), 1);
	ck_assert_str_eq(getenv("TCPREMOTEIP"), "192.0.2.7");
	ck_assert_str_eq(getenv("TCPREMOTEPORT"), "4242");
	ck_assert_str_eq(getenv("PROTO"), "TCP");
	ck_assert_str_eq(getenv("POSTERN_SESSION"), "0123456789ab");
	ck_assert_ptr_null(getenv("TCP6REMOTEIP"));
	ck_assert_ptr_null(getenv("LD_PRELOAD"));   /* never sent */
	ck_assert_str_ne(getenv("PATH"), "/evil");
	ck_assert_ptr_null(getenv(PREPARED_ENV));
	ck_assert_int_eq(ino(0), ino(conn[0]));
	ck_assert_int_eq(ino(1), ino(conn[0]));
	ck_assert_ptr_nonnull(getenv(TLSCTL_ENV));
	ck_assert_int_eq(ino(atoi(getenv(TLSCTL_ENV))), ino(ctl[0]));
	/* its socket is closed */
	ck_assert_int_eq(fcntl(sp[1], F_GETFD), -1);
	sp[1] = open("/dev/null", O_RDONLY);
	close(atoi(getenv(TLSCTL_ENV)));
	close(conn[0]);
	close(conn[1]);
	close(ctl[0]);
	close(ctl[1]);
}
END_TEST

START_TEST(without_ctl)
{
	char *envs[] = { "TCPREMOTEIP=192.0.2.8" };
	int conn[2];

	setenv(TLSCTL_ENV, "9", 1);             /* stale: removed */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	ck_assert_int_eq(prepared_send(sp[0], envs, 1, conn[0], -1), 0);
	ck_assert_int_eq(prepared_wait(), 1);
	ck_assert_ptr_null(getenv(TLSCTL_ENV));
	ck_assert_int_eq(ino(0), ino(conn[0]));
	sp[1] = open("/dev/null", O_RDONLY);
	close(conn[0]);
	close(conn[1]);
}
END_TEST

START_TEST(not_prepared)
{
	unsetenv(PREPARED_ENV);
	ck_assert_int_eq(prepared_wait(), 0);
}
END_TEST

START_TEST(the_end)
{
	close(sp[0]);
	sp[0] = open("/dev/null", O_RDONLY);
	errno = EINVAL;
	ck_assert_int_eq(prepared_wait(), -1);
	ck_assert_int_eq(errno, 0);
	sp[1] = open("/dev/null", O_RDONLY);
}
END_TEST

START_TEST(malformed)
{
	static const char *bad[] = {
		"P2TCPREMOTEIP=1",                /* other version */
		"P1LD_PRELOAD=/x.so",             /* a key not in the list */
		"P1TCPREMOTEIP",                  /* no '=' */
	};
	int fd = open("/dev/null", O_RDONLY);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char num[16];
		int p2[2];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int))];
		} cm;
		struct iovec iov = { (void *)bad[i], strlen(bad[i]) + 1 };
		struct msghdr mh;

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p2), 0);
		memset(&mh, 0, sizeof(mh));
		memset(&cm, 0, sizeof(cm));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof(cm.b);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
		ck_assert_int_ge(sendmsg(p2[0], &mh, 0), 0);
		snprintf(num, sizeof(num), "%d", p2[1]);
		setenv(PREPARED_ENV, num, 1);
		ck_assert_int_eq(prepared_wait(), -1);
		ck_assert_int_eq(errno, EPROTO);
		ck_assert_ptr_null(getenv("LD_PRELOAD"));
		close(p2[0]);
	}
	/* no descriptor */
	{
		char num[16];
		int p2[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p2), 0);
		ck_assert_int_eq(send(p2[0], "P1PROTO=TCP", 12, 0), 12);
		snprintf(num, sizeof(num), "%d", p2[1]);
		setenv(PREPARED_ENV, num, 1);
		ck_assert_int_eq(prepared_wait(), -1);
		close(p2[0]);
	}
	close(fd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("prepared");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hand_over);
	tcase_add_test(tc, without_ctl);
	tcase_add_test(tc, not_prepared);
	tcase_add_test(tc, the_end);
	tcase_add_test(tc, malformed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
