/* test_tlsctl_split.c: unit tests for the postern-listen -R helpers in
 * common/tlsctl.c: the split of "TLSPROG [ARG...] -- PROG [ARG...]" and
 * the listener's look at a ready control descriptor (a peek that leaves
 * the request and its descriptor for postern-tls, tells the end from
 * nothing yet, and never waits), and that the control
 * descriptor is close-on-exec once a program has looked it up. */
#include <check.h>
#include <poll.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tlsctl.h"

static int split(const char *words)
{
	char *copy = strdup(words), *argv[32], *save = NULL;
	int argc = 0;
	for (char *w = strtok_r(copy, " ", &save); w && argc < 31; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	int r = tlsctl_split_chain(argv, argc);
	free(copy);
	return r;
}

START_TEST(split_smtp)
{
	ck_assert_int_eq(split("tls -C c -K k -- smtpd"), 5);
	ck_assert_int_eq(split("tls -- smtpd -c conf"), 1);
}
END_TEST

START_TEST(split_first_dashdash)
{
	/* postern-login's own "--" words stay with PROG */
	ck_assert_int_eq(split("tls -C c -- login pre -- check -- post"), 3);
	ck_assert_int_eq(split("tls -- login -y pre -- check"), 1);
}
END_TEST

START_TEST(split_bad)
{
	ck_assert_int_eq(split(""), -1);
	ck_assert_int_eq(split("tls -C c smtpd"), -1);          /* no split */
	ck_assert_int_eq(split("-- smtpd"), -1);                /* no TLS program */
	ck_assert_int_eq(split("tls -C c --"), -1);             /* no program */
	ck_assert_int_eq(split("-- -- smtpd"), -1);
	ck_assert_int_eq(split("tls -- -- smtpd"), 1);          /* PROG is "--"; exec fails later */
}
END_TEST

START_TEST(split_counts_bound)
{
	/* argc bounds the walk, not a NULL that may come later */
	char *argv[] = { "tls", "--", "smtpd", NULL };
	ck_assert_int_eq(tlsctl_split_chain(argv, 2), -1);
	ck_assert_int_eq(tlsctl_split_chain(argv, 1), -1);
	ck_assert_int_eq(tlsctl_split_chain(argv, 0), -1);
	ck_assert_int_eq(tlsctl_split_chain(argv, 3), 1);
}
END_TEST

START_TEST(peek_sees_request_and_leaves_it)
{
	int sp[2], data[2], fd = -1;
	char buf[TLSCTL_MAX];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, data), 0);
	/* nothing yet: not the end, and no waiting */
	ck_assert_int_eq(tlsctl_peek_request(sp[0]), -1);
	/* a request with a descriptor: the peek must not eat either */
	ck_assert_int_eq(tlsctl_send(sp[1], "STARTTLS\0" "220 go\r\n", 17, data[1]), 0);
	ck_assert_int_eq(tlsctl_peek_request(sp[0]), 1);
	ck_assert_int_eq(tlsctl_peek_request(sp[0]), 1);
	ssize_t n = tlsctl_recv(sp[0], buf, sizeof(buf), &fd, 1000);
	ck_assert_int_eq(n, 17);
	ck_assert_int_eq(memcmp(buf, "STARTTLS\0" "220 go\r\n", 17), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	ck_assert_int_eq(read(data[0], buf, 1), 1);
	close(fd);
	close(data[0]);
	close(data[1]);
	/* a request sent just before the other end closed still counts */
	ck_assert_int_eq(tlsctl_send(sp[1], "STARTTLS\0", 9, -1), 0);
	close(sp[1]);
	ck_assert_int_eq(tlsctl_peek_request(sp[0]), 1);
	ck_assert_int_eq(tlsctl_recv(sp[0], buf, sizeof(buf), &fd, 1000), 9);
	ck_assert_int_eq(tlsctl_peek_request(sp[0]), 0);
	close(sp[0]);
}
END_TEST

START_TEST(peek_sees_the_end)
{
	int sp[2];
	pid_t pid;
	struct pollfd p;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the holder: exits without a word after a moment */
		close(sp[0]);
		usleep(100 * 1000);
		_exit(0);
	}
	close(sp[1]);
	ck_assert_int_eq(tlsctl_peek_request(sp[0]), -1);
	p.fd = sp[0];
	p.events = POLLIN;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(tlsctl_peek_request(sp[0]), 0);
	waitpid(pid, NULL, 0);
	close(sp[0]);
	/* a bad descriptor is an end */
	ck_assert_int_eq(tlsctl_peek_request(-1), 0);
}
END_TEST

START_TEST(fd_is_ours_alone)
{
	int sp[2];
	char num[16];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	snprintf(num, sizeof(num), "%d", sp[1]);
	setenv(TLSCTL_ENV, num, 1);
	ck_assert_int_eq(fcntl(sp[1], F_GETFD) & FD_CLOEXEC, 0);
	/* a program this one runs must not inherit it */
	ck_assert_int_eq(tlsctl_fd(), sp[1]);
	ck_assert_int_ne(fcntl(sp[1], F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(tlsctl_available(), 1);
	/* a number that is not open is no descriptor */
	close(sp[1]);
	ck_assert_int_eq(tlsctl_fd(), -1);
	ck_assert_int_eq(tlsctl_available(), 0);
	close(sp[0]);
	unsetenv(TLSCTL_ENV);
	ck_assert_int_eq(tlsctl_fd(), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tlsctl_split");
	TCase *t = tcase_create("core");
	tcase_add_test(t, split_smtp);
	tcase_add_test(t, split_first_dashdash);
	tcase_add_test(t, split_bad);
	tcase_add_test(t, split_counts_bound);
	tcase_add_test(t, peek_sees_request_and_leaves_it);
	tcase_add_test(t, peek_sees_the_end);
	tcase_add_test(t, fd_is_ours_alone);
	suite_add_tcase(s, t);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
