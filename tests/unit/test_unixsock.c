/* test_unixsock.c: unit tests for common/unixsock.c (a UNIX stream
 * socket by path: listen replaces what is there and sets the mode; a path
 * too long for sockaddr_un is refused, not cut) and for
 * queue_inject_socket (where the queue writers' socket is, and when
 * there is none). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "queue_inject.h"
#include "unixsock.h"

static char dir[] = "/tmp/unixsock-XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/unixsock-XXXXXX");
}

START_TEST(listen_connect_accept)
{
	char path[256];
	struct stat st;
	int l, c, a;

	snprintf(path, sizeof(path), "%s/s.sock", dir);
	/* a stale file in the way goes */
	close(open(path, O_WRONLY | O_CREAT, 0600));
	l = unixsock_listen(path, 4, 0666, SOCK_NONBLOCK);
	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0666);
	ck_assert_int_eq(fcntl(l, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_ne(fcntl(l, F_GETFL) & O_NONBLOCK, 0);
	c = unixsock_connect(path);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(fcntl(c, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	a = accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(write(c, "x", 1), 1);
	{
		char b;
		ck_assert_int_eq(read(a, &b, 1), 1);
		ck_assert_int_eq(b, 'x');
	}
	close(a);
	close(c);
	close(l);
	/* nobody listening any more: refused at once */
	errno = 0;
	ck_assert_int_eq(unixsock_connect(path), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	unlink(path);
	errno = 0;
	ck_assert_int_eq(unixsock_connect(path), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(path_too_long)
{
	char path[300];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	errno = 0;
	ck_assert_int_eq(unixsock_listen(path, 1, 0600, 0), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(unixsock_connect(path), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(unixsock_connect(""), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

/* The writers' socket for a config text: want, or NULL for none. */
static void
socket_for(const char *text, const char *want)
{
	char err[256], out[QUEUE_INJECT_PATH_MAX];
	struct config *c = config_parse("t", text, strlen(text), err, sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	if (want == NULL)
		ck_assert_int_eq(queue_inject_socket(c, out, sizeof(out)), -1);
	else {
		ck_assert_int_eq(queue_inject_socket(c, out, sizeof(out)), 0);
		ck_assert_str_eq(out, want);
	}
	config_free(c);
}

START_TEST(writers_socket_path)
{
	/* beside the queue: DIR/queue -> DIR/run/queue.sock */
	socket_for("queue_dir = /srv/mail/queue\n", "/srv/mail/run/queue.sock");
	socket_for("queue_dir = /srv/mail/queue/\n", "/srv/mail/run/queue.sock");
	/* set */
	socket_for("queue_dir = /q\nqueue_socket = /run/x.sock\n", "/run/x.sock");
	/* none: no writers, an admin's own postern-queue, no queue */
	socket_for("queue_dir = /q\nqueue_writers = 0\n", NULL);
	socket_for("queue_dir = /q\nqueue_program = /usr/local/bin/myqueue\n", NULL);
	socket_for("port_base = 0\n", NULL);
	/* too long for sockaddr_un: none, never a cut path */
	socket_for("queue_dir = /q\nqueue_socket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", NULL);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("unixsock");
	TCase *t = tcase_create("unixsock");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, listen_connect_accept);
	tcase_add_test(t, path_too_long);
	tcase_add_test(t, writers_socket_path);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed == 0 ? 0 : 1;
}
