/* test_privdrop.c: unit tests for common/privdrop.c.  As root each test
 * (run in its own forked process by check) drops to "nobody" and checks
 * ids, groups, chroot and that root cannot be regained; as an ordinary
 * user it checks the no-op path and the "unprivileged" log line. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "log.h"
#include "privdrop.h"

static uid_t nobody_uid;
static gid_t nobody_gid;

static void
lookup_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");
	ck_assert_ptr_nonnull(pw);
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
}

static void
assert_ids(uid_t u, gid_t g)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	ck_assert_int_eq(getresuid(&r, &e, &s), 0);
	ck_assert_uint_eq(r, u);
	ck_assert_uint_eq(e, u);
	ck_assert_uint_eq(s, u);
	ck_assert_int_eq(getresgid(&rg, &eg, &sg), 0);
	ck_assert_uint_eq(rg, g);
	ck_assert_uint_eq(eg, g);
	ck_assert_uint_eq(sg, g);
}

static void
assert_root_gone(void)
{
	ck_assert_int_ne(setuid(0), 0);
	ck_assert_int_ne(seteuid(0), 0);
	ck_assert_int_ne(setgid(0), 0);
	ck_assert_int_ne(setgroups(0, NULL), 0);
}

/* Made by main before the tests run (each test is its own child and
 * cannot clean up after dropping root); removed by main afterwards. */
static char base_dir[64], chroot_dir[96], writable_dir[96];

static void
make_dir(mode_t mode)
{
	ck_assert_int_eq(access(mode == 0755 ? chroot_dir : writable_dir, F_OK), 0);
	if (mode != 0755)
		snprintf(chroot_dir, sizeof(chroot_dir), "%s", writable_dir);
}

/* --- as root --- */

START_TEST(root_drop_named_user_with_chroot)
{
	struct rlimit rl;
	gid_t groups[64];
	char cwd[64];
	int n, i;

	lookup_nobody();
	make_dir(0755);
	priv_drop("nobody", chroot_dir, PRIV_NO_NEW_PRIVS | PRIV_NO_FORK);
	assert_ids(nobody_uid, nobody_gid);
	n = getgroups(64, groups);
	ck_assert_int_ge(n, 1);
	for (i = 0; i < n; i++)
		ck_assert_uint_ne(groups[i], 0);
	assert_root_gone();
	ck_assert_int_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	/* chrooted into the empty directory */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_str_eq(cwd, "/");
	ck_assert_int_ne(access("/etc/passwd", F_OK), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_CORE, &rl), 0);
	ck_assert_uint_eq(rl.rlim_cur, 0);
	ck_assert_uint_eq(rl.rlim_max, 0);
	/* PRIV_NO_FORK: fork fails */
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	ck_assert_int_eq(p, -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* Done.  Leave without exit handlers: under ASan, LeakSanitizer's
	 * exit-time check needs a thread (no fork allowed now) and /proc (not
	 * in the chroot), and would turn this pass into an error. */
	_exit(0);
}
END_TEST

START_TEST(root_drop_nochroot_keeps_fs_and_nnp_off)
{
	lookup_nobody();
	make_dir(0755);
	priv_drop("nobody", chroot_dir, PRIV_NOCHROOT);
	assert_ids(nobody_uid, nobody_gid);
	assert_root_gone();
	ck_assert_int_eq(access("/etc/passwd", F_OK), 0);
	ck_assert_int_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	/* without PRIV_NO_FORK, fork works */
	pid_t p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0)
		_exit(7);
	int st;
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert_int_eq(WEXITSTATUS(st), 7);
}
END_TEST

START_TEST(root_drop_ids)
{
	gid_t groups[8];
	priv_drop_ids(4242, 4343);
	assert_ids(4242, 4343);
	ck_assert_int_eq(getgroups(8, groups), 1);
	ck_assert_uint_eq(groups[0], 4343);
	assert_root_gone();
}
END_TEST

START_TEST(root_drop_few_files)
{
	struct rlimit rl;
	priv_drop_ids_flags(4242, 4242, PRIV_FEW_FILES | PRIV_NO_NEW_PRIVS);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_uint_le(rl.rlim_max, PRIV_FEW_FILES_MAX);
	ck_assert_int_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
}
END_TEST

START_TEST(root_refuses_uid0)
{
	priv_drop_ids(0, 0);
}
END_TEST

START_TEST(root_refuses_user_root)
{
	priv_drop("root", NULL, 0);
}
END_TEST

START_TEST(root_unknown_user)
{
	priv_drop("no-such-user-postern-test", NULL, 0);
}
END_TEST

START_TEST(root_refuses_writable_chroot)
{
	make_dir(0777);
	priv_drop("nobody", chroot_dir, 0);
}
END_TEST

START_TEST(root_is_root)
{
	ck_assert_int_eq(priv_is_root(), 1);
	uid_t u;
	gid_t g;
	ck_assert_int_eq(priv_lookup("nobody", &u, &g), 0);
	lookup_nobody();
	ck_assert_uint_eq(u, nobody_uid);
	ck_assert_uint_eq(g, nobody_gid);
	ck_assert_int_eq(priv_lookup("no-such-user-postern-test", &u, &g), -1);
}
END_TEST

/* --- as an ordinary user --- */

static char *
capture_stderr_of(void (*fn)(void))
{
	int pfd[2], saved;
	static char out[4096];
	ssize_t n;
	size_t len = 0;

	ck_assert_int_eq(pipe(pfd), 0);
	saved = dup(2);
	dup2(pfd[1], 2);
	close(pfd[1]);
	fn();
	dup2(saved, 2);
	close(saved);
	while ((n = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	close(pfd[0]);
	out[len] = '\0';
	return out;
}

static void
drop_twice(void)
{
	log_init("test_privdrop", 1);
	priv_drop("nobody", "/nonexistent-dir", PRIV_NO_NEW_PRIVS);
	priv_drop_ids(12345, 12345);
}

START_TEST(user_noop_path)
{
	uid_t u = getuid();
	gid_t g = getgid();
	struct rlimit rl;

	ck_assert_int_eq(priv_is_root(), 0);
	const char *log = capture_stderr_of(drop_twice);
	assert_ids(u, g);
	ck_assert_int_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	ck_assert_int_eq(getrlimit(RLIMIT_CORE, &rl), 0);
	ck_assert_uint_eq(rl.rlim_cur, 0);
	ck_assert_int_eq(access("/etc/passwd", F_OK), 0);   /* no chroot */
	const char *first = strstr(log, "event=unprivileged");
	ck_assert_msg(first != NULL, "log: %s", log);
	ck_assert_ptr_null(strstr(first + 1, "event=unprivileged"));   /* once */
}
END_TEST

int
main(void)
{
	snprintf(base_dir, sizeof(base_dir), "/tmp/test_privdrop_XXXXXX");
	if (mkdtemp(base_dir) == NULL || chmod(base_dir, 0755) != 0)
		return 2;
	snprintf(chroot_dir, sizeof(chroot_dir), "%s/empty", base_dir);
	snprintf(writable_dir, sizeof(writable_dir), "%s/writable", base_dir);
	if (mkdir(chroot_dir, 0755) != 0 || chmod(chroot_dir, 0755) != 0 ||
	    mkdir(writable_dir, 0777) != 0 || chmod(writable_dir, 0777) != 0)
		return 2;

	Suite *s = suite_create("privdrop");
	TCase *tc = tcase_create(geteuid() == 0 ? "root" : "user");
	if (geteuid() == 0) {
		tcase_add_test(tc, root_drop_named_user_with_chroot);
		tcase_add_test(tc, root_drop_nochroot_keeps_fs_and_nnp_off);
		tcase_add_test(tc, root_drop_ids);
		tcase_add_test(tc, root_drop_few_files);
		tcase_add_exit_test(tc, root_refuses_uid0, 111);
		tcase_add_exit_test(tc, root_refuses_user_root, 111);
		tcase_add_exit_test(tc, root_unknown_user, 111);
		tcase_add_exit_test(tc, root_refuses_writable_chroot, 111);
		tcase_add_test(tc, root_is_root);
	} else {
		tcase_add_test(tc, user_noop_path);
	}
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	/* Each test changes process state (ids, chroot, fd 0): always fork. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	rmdir(chroot_dir);
	rmdir(writable_dir);
	rmdir(base_dir);
	return nf ? 1 : 0;
}
