/* test_procspawn.c: unit tests for common/procspawn.c and envlist.c: the
 * child gets exactly the descriptors, environment, process group, signal
 * state and ids asked for; a failed exec is an error in the caller with
 * no child left behind. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "envlist.h"
#include "procspawn.h"

/* Run ps with a pipe on fd 1 (unless the test maps its own) and return
 * what the child wrote; *status gets its wait status. */
static char *
run(struct procspawn *ps, int *status)
{
	static char out[8192];
	int p[2], n, len = 0;
	pid_t pid;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ps->fd_from[ps->nfds] = p[1];
	ps->fd_to[ps->nfds] = 1;
	ps->nfds++;
	pid = procspawn(ps);
	ck_assert_int_gt(pid, 0);
	close(p[1]);
	while ((n = (int)read(p[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0)
		len += n;
	out[len] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, status, 0), pid);
	return out;
}

START_TEST(env_and_fds)
{
	struct envlist e;
	struct procspawn ps = { 0 };
	char *argv[] = { "sh", "-c", "echo \"$A $B\"; echo five >&5", NULL };
	int st;

	envlist_init(&e);
	envlist_set(&e, "A", "one");
	envlist_set(&e, "B", "two");
	envlist_set(&e, "A", "three");
	envlist_set(&e, "PATH", "/usr/bin:/bin");
	ck_assert_str_eq(envlist_get(&e, "A"), "three");
	ps.path = "sh";                 /* searched in envp's PATH */
	ps.argv = argv;
	ps.envp = envlist_vec(&e);
	ps.pgid = -1;
	ps.fd_from[0] = 1;              /* the pipe, once mapped: as if at once */
	ps.fd_to[0] = 5;
	ps.nfds = 1;
	/* run() adds pipe -> 1 after 1 -> 5: 5 must still get the old 1 */
	{
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC), saved = dup(1);

		ck_assert_int_ge(devnull, 0);
		dup2(devnull, 1);
		ck_assert_str_eq(run(&ps, &st), "three two\n");
		dup2(saved, 1);
		close(saved);
		close(devnull);
	}
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	envlist_unset(&e, "B");
	ck_assert_ptr_null(envlist_get(&e, "B"));
	ck_assert_str_eq(envlist_get(&e, "A"), "three");
	envlist_free(&e);
}
END_TEST

START_TEST(group_and_signals)
{
	struct procspawn ps = { 0 };
	char *argv[] = { "cat", "/proc/self/status", NULL };
	struct sigaction sa;
	char *out, *ign, *blk, *cgt;
	sigset_t block;
	int st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	ps.path = "/bin/cat";
	ps.argv = argv;
	ps.pgid = 0;
	out = run(&ps, &st);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ign = strstr(out, "SigIgn:");
	blk = strstr(out, "SigBlk:");
	cgt = strstr(out, "SigCgt:");
	ck_assert(ign && blk && cgt);
	/* SIGPIPE (bit 13: 0x1000) back at its default, nothing caught;
	 * the caller's mask (SIGUSR1, bit 10: 0x200) is inherited as exec
	 * would */
	ck_assert_int_eq(strtoull(ign + 7, NULL, 16) & 0x1000ULL, 0);
	ck_assert_int_eq(strtoull(blk + 7, NULL, 16), 0x200ULL);
	ck_assert_int_eq(strtoull(cgt + 7, NULL, 16), 0);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
}
END_TEST

START_TEST(own_group)
{
	struct procspawn ps = { 0 };
	char *argv[] = { "sleep", "5", NULL };
	pid_t pid;
	int st;

	ps.path = "/bin/sleep";
	ps.argv = argv;
	ps.pgid = 0;
	pid = procspawn(&ps);
	ck_assert_int_gt(pid, 0);
	/* set before the exec, so already true when procspawn returns */
	ck_assert_int_eq(getpgid(pid), pid);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
}
END_TEST

/* The descriptors of a child that said "ready" and now blocks reading
 * its stdin, listed from outside (a listing from inside the child would
 * see the shell's own pipeline or directory descriptors come and go). */
static void
child_fds(struct procspawn *ps, char *list, size_t size)
{
	int in[2], out[2], fds[64], n = 0, i, j, st;
	char buf[16], path[64];
	struct dirent *de;
	pid_t pid;
	DIR *d;

	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ps->fd_from[ps->nfds] = in[0];
	ps->fd_to[ps->nfds++] = 0;
	ps->fd_from[ps->nfds] = out[1];
	ps->fd_to[ps->nfds++] = 1;
	pid = procspawn(ps);
	ps->nfds -= 2;
	ck_assert_int_gt(pid, 0);
	close(in[0]);
	close(out[1]);
	ck_assert_int_eq(read(out[0], buf, sizeof(buf)), 6);   /* "ready\n" */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL && n < 64)
		if (de->d_name[0] != '.')
			fds[n++] = atoi(de->d_name);
	closedir(d);
	for (i = 1; i < n; i++)         /* sort: readdir's order is the kernel's */
		for (j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int t = fds[j];
			fds[j] = fds[j - 1];
			fds[j - 1] = t;
		}
	list[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), size - strlen(list), "%d ", fds[i]);
	close(in[1]);                   /* the child's read ends: it exits */
	close(out[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
}

START_TEST(close_others)
{
	struct procspawn ps = { 0 };
	char *argv[] = { "sh", "-c", "echo ready; read x", NULL };
	char list[256];
	int a, b;

	a = open("/dev/null", O_RDONLY);        /* no close-on-exec */
	b = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(a, 3);
	ck_assert_int_ge(b, 3);
	ck_assert_int_eq(dup2(a, 7), 7);
	ck_assert_int_eq(dup2(b, 9), 9);
	ps.path = "/bin/sh";
	ps.argv = argv;
	ps.pgid = -1;
	ps.fd_from[0] = a;
	ps.fd_to[0] = 5;
	ps.nfds = 1;
	ps.closefrom = 3;
	child_fds(&ps, list, sizeof(list));
	ck_assert_str_eq(list, "0 1 2 5 ");
	ps.closefrom = 0;               /* off: descriptors without close-on-exec stay */
	child_fds(&ps, list, sizeof(list));
	ck_assert_ptr_nonnull(strstr(list, " 7 "));
	ck_assert_ptr_nonnull(strstr(list, " 9 "));
	close(a);
	close(b);
	close(7);
	close(9);
}
END_TEST

START_TEST(exec_error)
{
	struct procspawn ps = { 0 };
	char *argv[] = { "nonexistent", NULL };

	ps.path = "/nonexistent/program";
	ps.argv = argv;
	ps.pgid = -1;
	errno = 0;
	ck_assert_int_eq(procspawn(&ps), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* reaped: no child of ours is left */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	ps.nfds = 1;
	ps.fd_from[0] = 999;            /* not open */
	ps.fd_to[0] = 3;
	ps.path = "/bin/true";
	ck_assert_int_eq(procspawn(&ps), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(drop_ids)
{
	struct procspawn ps = { 0 };
	char *argv[] = { "sh", "-c", "echo $(id -u) $(id -g) $(id -G); ulimit -c", NULL };
	int st;

	if (geteuid() != 0)
		return;         /* only root can change ids: covered in the root pass */
	ps.path = "/bin/sh";
	ps.argv = argv;
	ps.pgid = -1;
	ps.drop = 1;
	ps.uid = 65534;
	ps.gid = 65533;
	ck_assert_str_eq(run(&ps, &st), "65534 65533 65533\n0\n");
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(geteuid(), 0);  /* the caller's ids are its own */
}
END_TEST

START_TEST(delayed)
{
	struct procspawn ps = { 0 };
	char *argv[] = { "true", NULL };
	struct timespec t0, t1;
	int st;

	ps.path = "/bin/true";
	ps.argv = argv;
	ps.pgid = -1;
	ps.delay_s = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run(&ps, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_ge((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 990);
	/* a fork: an exec error is the child's exit 111 */
	ps.path = "/nonexistent/program";
	ps.nfds = 0;
	run(&ps, &st);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 111);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("procspawn");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, env_and_fds);
	tcase_add_test(tc, group_and_signals);
	tcase_add_test(tc, own_group);
	tcase_add_test(tc, close_others);
	tcase_add_test(tc, exec_error);
	tcase_add_test(tc, drop_ids);
	tcase_add_test(tc, delayed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
