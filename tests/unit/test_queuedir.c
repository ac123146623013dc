/* test_queuedir.c: unit tests for common/queuedir.c: ids, paths and the
 * spare-file pool (take and give, full pool, missing spare/ of an older
 * queue tree, oversized files, concurrent claims never sharing a slot). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "queuedir.h"

static char top[64];

static void
mkq(int with_spare)
{
	char p[128];

	strcpy(top, "/tmp/test_queuedir.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(p, sizeof(p), "%s/tmp", top);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	if (with_spare) {
		snprintf(p, sizeof(p), "%s/spare", top);
		ck_assert_int_eq(mkdir(p, 0700), 0);
	}
}

static void
rmq(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	ck_assert_int_eq(system(cmd), 0);
}

static int
count(const char *sub)
{
	char p[128];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", top, sub);
	d = opendir(p);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
make_file(const char *path, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	char b[4096];

	ck_assert_int_ge(fd, 0);
	memset(b, 'x', sizeof(b));
	while (size > 0) {
		size_t k = size < sizeof(b) ? size : sizeof(b);
		ck_assert_int_eq(write(fd, b, k), (ssize_t)k);
		size -= k;
	}
	close(fd);
}

START_TEST(ids_and_paths)
{
	char id[QUEUEDIR_ID_MAX + 1], p[64];

	ck_assert_int_eq(queuedir_id_new(id, sizeof(id)), 0);
	ck_assert(queuedir_id_valid(id, strlen(id)));
	ck_assert(!queuedir_id_valid("../x", 4));
	ck_assert(!queuedir_id_valid(".x", 2));
	ck_assert(!queuedir_id_valid("a/b", 3));
	ck_assert(!queuedir_id_valid("", 0));
	ck_assert_int_eq(queuedir_path(p, sizeof(p), "/q", "mess", "1.ab"), 0);
	ck_assert_str_eq(p, "/q/mess/1.ab");
	ck_assert_int_eq(queuedir_path(p, sizeof(p), "/q", "mess", "a/b"), -1);
	ck_assert_int_eq(queuedir_path(p, 8, "/q", "mess", "1.ab"), -1);
	ck_assert_int_eq(queuedir_tmp_path(p, sizeof(p), "/q", "1.ab", ".e"), 0);
	ck_assert_str_eq(p, "/q/tmp/1.ab.e");
}
END_TEST

START_TEST(give_then_take)
{
	char a[128], b[128], buf[16];
	struct stat st;
	int fd;

	mkq(1);
	snprintf(a, sizeof(a), "%s/tmp/a", top);
	snprintf(b, sizeof(b), "%s/tmp/b", top);
	make_file(a, 5000);
	ck_assert_int_eq(queuedir_spare_give(top, a), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	ck_assert_int_eq(count("spare"), 1);
	/* Taking probes random slots: with one spare of 256 it may miss;
	 * fill the pool so that a take always finds one. */
	for (int i = 0; i < 300; i++) {
		snprintf(a, sizeof(a), "%s/tmp/f%d", top, i);
		make_file(a, 10);
		ck_assert_int_eq(queuedir_spare_give(top, a), 0);
		ck_assert_int_eq(access(a, F_OK), -1);  /* moved or unlinked */
	}
	ck_assert_int_le(count("spare"), QUEUEDIR_SPARE_SLOTS);
	ck_assert_int_gt(count("spare"), QUEUEDIR_SPARE_SLOTS / 2);
	fd = queuedir_spare_take(top, b);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "new", 3), 3);
	ck_assert_int_eq(ftruncate(fd, 3), 0);
	close(fd);
	ck_assert_int_eq(stat(b, &st), 0);
	ck_assert_int_eq(st.st_size, 3);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	fd = open(b, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 3);
	close(fd);
	ck_assert(memcmp(buf, "new", 3) == 0);
	/* take never replaces an existing file */
	ck_assert_int_eq(queuedir_spare_take(top, b), -1);
	ck_assert_int_eq(stat(b, &st), 0);
	ck_assert_int_eq(st.st_size, 3);
	rmq();
}
END_TEST

START_TEST(empty_pool_and_missing_dir)
{
	char a[128];

	mkq(1);
	snprintf(a, sizeof(a), "%s/tmp/a", top);
	ck_assert_int_eq(queuedir_spare_take(top, a), -1);
	ck_assert_int_eq(access(a, F_OK), -1);
	/* a file that is not there */
	errno = 0;
	ck_assert_int_eq(queuedir_spare_give(top, a), -1);
	ck_assert_int_eq(errno, ENOENT);
	rmq();
	/* a queue tree from before spare/: give unlinks, take finds none */
	mkq(0);
	snprintf(a, sizeof(a), "%s/tmp/a", top);
	make_file(a, 100);
	ck_assert_int_eq(queuedir_spare_give(top, a), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	ck_assert_int_eq(count("tmp"), 0);
	ck_assert_int_eq(queuedir_spare_take(top, a), -1);
	rmq();
}
END_TEST

START_TEST(big_files_are_unlinked)
{
	char a[128];

	mkq(1);
	snprintf(a, sizeof(a), "%s/tmp/big", top);
	make_file(a, QUEUEDIR_SPARE_MAX + 1);
	ck_assert_int_eq(queuedir_spare_give(top, a), 0);
	ck_assert_int_eq(access(a, F_OK), -1);
	ck_assert_int_eq(count("spare"), 0);
	rmq();
}
END_TEST

/* Two processes take from one pool at once: every spare goes to at most
 * one taker, and none is lost. */
START_TEST(concurrent_takes)
{
	char a[128];
	int given, i, status, taken = 0;
	pid_t pid[2];

	mkq(1);
	for (i = 0; i < 400; i++) {
		snprintf(a, sizeof(a), "%s/tmp/g%d", top, i);
		make_file(a, 1);
		ck_assert_int_eq(queuedir_spare_give(top, a), 0);
	}
	given = count("spare");
	for (int k = 0; k < 2; k++) {
		pid[k] = fork();
		ck_assert_int_ge(pid[k], 0);
		if (pid[k] == 0) {
			int got = 0;
			for (i = 0; i < 400; i++) {
				char d[128];
				int fd;
				snprintf(d, sizeof(d), "%s/tmp/t%d.%d", top, k, i);
				if ((fd = queuedir_spare_take(top, d)) >= 0) {
					close(fd);
					got++;
				}
			}
			_exit(got > 255 ? 255 : got);
		}
	}
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(waitpid(pid[k], &status, 0), pid[k]);
		ck_assert(WIFEXITED(status));
		taken += WEXITSTATUS(status);
	}
	ck_assert_int_eq(count("tmp"), taken);
	ck_assert_int_eq(count("spare") + taken, given);
	rmq();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("queuedir");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, ids_and_paths);
	tcase_add_test(tc, give_then_take);
	tcase_add_test(tc, empty_pool_and_missing_dir);
	tcase_add_test(tc, big_files_are_unlinked);
	tcase_add_test(tc, concurrent_takes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
