/* test_fatal.c: unit tests for common/fatal.c: a fatal setup error goes
 * to stderr when stderr is a pipe or file, and never onto the client's
 * connection when stderr is that connection (socketpair or TCP). */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fatal.h"
#include "log.h"

/* Fork; in the child put fd2 on 2 (and, if as_stdin, on 0 too), call a
 * fatal helper; return its exit status.  *out gets what fd2's other end
 * (peer) received. */
static int
run_fatal(int fd2, int peer, int as_stdin, int with_errno, char *out, size_t outlen)
{
	pid_t pid = fork();
	int st;
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(peer);
		dup2(fd2, 2);
		if (as_stdin)
			dup2(fd2, 0);
		log_init("test_fatal", 0);
		if (with_errno) {
			errno = ENOENT;
			fatal_err(111, "open %s", "/nonexistent");
		}
		fatal_errx(100, "bad value for -%c: %s", 'x', "zz");
	}
	close(fd2);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	size_t len = 0;
	ssize_t n;
	while (len + 1 < outlen && (n = read(peer, out + len, outlen - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(peer);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(pipe_gets_the_message)
{
	int p[2];
	char out[512];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(run_fatal(p[1], p[0], 0, 1, out, sizeof(out)), 111);
	ck_assert_ptr_nonnull(strstr(out, "test_fatal: open /nonexistent: No such file or directory\n"));
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(run_fatal(p[1], p[0], 0, 0, out, sizeof(out)), 100);
	ck_assert_ptr_nonnull(strstr(out, ": bad value for -x: zz\n"));
}
END_TEST

START_TEST(client_socketpair_gets_nothing)
{
	int sp[2];
	char out[512];
	/* stderr is the same socket as stdin: the client's connection */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(run_fatal(sp[1], sp[0], 1, 1, out, sizeof(out)), 111);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(run_fatal(sp[1], sp[0], 1, 0, out, sizeof(out)), 100);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(tcp_stderr_gets_nothing)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	char out[512];
	int l = socket(AF_INET, SOCK_STREAM, 0), c, s;
	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &al), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	s = accept(l, NULL, NULL);
	ck_assert_int_ge(s, 0);
	close(l);
	/* TCP on fd 2 only: still the network */
	ck_assert_int_eq(run_fatal(s, c, 0, 0, out, sizeof(out)), 100);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(unrelated_socket_is_not_network)
{
	int sp[2];
	char out[512];
	/* a local stream socket that is not fd 0/1 (journald's, say) */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(run_fatal(sp[1], sp[0], 0, 0, out, sizeof(out)), 100);
	ck_assert_ptr_nonnull(strstr(out, "bad value for -x: zz"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fatal");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, pipe_gets_the_message);
	tcase_add_test(tc, client_socketpair_gets_nothing);
	tcase_add_test(tc, tcp_stderr_gets_nothing);
	tcase_add_test(tc, unrelated_socket_is_not_network);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
