/* test_deliverproto.c: unit tests for common/deliverproto.c: a request
 * and its descriptor round-trip over a SOCK_SEQPACKET socketpair;
 * malformed records, a missing descriptor and extra descriptors are
 * refused (and nothing received is left open); status records parse
 * only as "=N" with N <= 255. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "deliverproto.h"

static int sp[2];

static void
setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
}

static void
teardown(void)
{
	close(sp[0]);
	close(sp[1]);
}

/* Send a raw record with n descriptors (each a fresh /dev/null). */
static void
send_raw(const void *rec, size_t len, int n)
{
	struct msghdr mh;
	struct iovec iov = { (void *)rec, len };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 2)];
	} cm;
	int fds[2] = { -1, -1 }, i;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (n > 0) {
		for (i = 0; i < n; i++)
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(&cm.h), fds, sizeof(int) * (size_t)n);
	}
	ck_assert_int_eq(sendmsg(sp[0], &mh, 0), (ssize_t)len);
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* The lowest free descriptor: nothing received may stay open. */
static int
lowest_free(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	close(fd);
	return fd;
}

START_TEST(round_trip)
{
	static char buf[DELIVERPROTO_MAX];
	struct deliver_facts in = { "a@x.test", "joe+ext@y.test", "joe@y.test",
	    "/home/joe", "ext", "123.abc", 1000, 7, 4096 }, out;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), got;

	ck_assert_int_eq(deliverproto_send(sp[0], &in, fd), 0);
	close(fd);
	ck_assert_int_eq(deliverproto_recv(sp[1], buf, &out, &got), 1);
	ck_assert_int_ge(got, 0);
	ck_assert(fcntl(got, F_GETFD) & FD_CLOEXEC);
	close(got);
	ck_assert_str_eq(out.sender, "a@x.test");
	ck_assert_str_eq(out.recipient, "joe+ext@y.test");
	ck_assert_str_eq(out.user, "joe@y.test");
	ck_assert_str_eq(out.home, "/home/joe");
	ck_assert_str_eq(out.ext, "ext");
	ck_assert_str_eq(out.queue_id, "123.abc");
	ck_assert_uint_eq(out.quota_bytes, 1000);
	ck_assert_uint_eq(out.quota_msgs, 7);
	ck_assert_uint_eq(out.msgsize, 4096);
	/* the null sender and no queue id */
	in.sender = "";
	in.queue_id = NULL;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(deliverproto_send(sp[0], &in, fd), 0);
	close(fd);
	ck_assert_int_eq(deliverproto_recv(sp[1], buf, &out, &got), 1);
	close(got);
	ck_assert_str_eq(out.sender, "");
	ck_assert_ptr_null(out.queue_id);
	/* the end of the socket */
	close(sp[0]);
	sp[0] = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(deliverproto_recv(sp[1], buf, &out, &got), 0);
}
END_TEST

START_TEST(too_big)
{
	static char home[DELIVERPROTO_MAX];
	struct deliver_facts in = { "a", "b", "c", home, "", NULL, 0, 0, 0 };

	memset(home, 'h', sizeof(home) - 1);
	ck_assert_int_eq(deliverproto_send(sp[0], &in, 0), -1);
	ck_assert_int_eq(errno, E2BIG);
}
END_TEST

START_TEST(malformed)
{
	static char buf[DELIVERPROTO_MAX];
	static const char good[] = "D2a\0b\0c\0/h\0\0q\0" "1\0" "2\0" "3";
	struct deliver_facts out;
	int got, base = lowest_free();
	static const struct { const char *rec; size_t len; } bad[] = {
		{ "D2a\0b\0c\0/h\0\0q\0" "1\0" "2", 18 },         /* 8 fields */
		{ "D2a\0b\0c\0/h\0\0q\0" "1\0" "2\0" "3\0x", 22 },  /* trailing bytes */
		{ "D2a\0b\0c\0/h\0\0q\0" "1\0" "2\0" "3x", 21 },  /* not a number */
		{ "D2a\0b\0c\0/h\0\0q\0" "1\0" "2\0", 19 },       /* empty number */
		{ "D1a\0b\0c\0/h\0\0q\0" "1\0" "2\0" "3", 20 },   /* other version */
		{ "D", 1 },
	};
	size_t i;

	/* the good one parses (with its terminating NUL) */
	send_raw(good, sizeof(good), 1);
	ck_assert_int_eq(deliverproto_recv(sp[1], buf, &out, &got), 1);
	close(got);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		send_raw(bad[i].rec, bad[i].len, 1);
		ck_assert_int_eq(deliverproto_recv(sp[1], buf, &out, &got), -1);
		ck_assert_int_eq(errno, EPROTO);
		ck_assert_int_eq(got, -1);
		ck_assert_int_eq(lowest_free(), base);
	}
	/* no descriptor; two descriptors */
	send_raw(good, sizeof(good), 0);
	ck_assert_int_eq(deliverproto_recv(sp[1], buf, &out, &got), -1);
	send_raw(good, sizeof(good), 2);
	ck_assert_int_eq(deliverproto_recv(sp[1], buf, &out, &got), 1);
	close(got);
	ck_assert_int_eq(lowest_free(), base);
}
END_TEST

START_TEST(status)
{
	ck_assert_int_eq(deliverproto_status("=0", 2), 0);
	ck_assert_int_eq(deliverproto_status("=100", 4), 100);
	ck_assert_int_eq(deliverproto_status("=111", 4), 111);
	ck_assert_int_eq(deliverproto_status("=255", 4), 255);
	ck_assert_int_eq(deliverproto_status("=256", 4), -1);
	ck_assert_int_eq(deliverproto_status("=", 1), -1);
	ck_assert_int_eq(deliverproto_status("=1000", 5), -1);
	ck_assert_int_eq(deliverproto_status("=1a", 3), -1);
	ck_assert_int_eq(deliverproto_status("2.0.0 ok\n", 9), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("deliverproto");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, too_big);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, status);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
