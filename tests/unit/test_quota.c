/* test_quota.c: unit tests for common/quota.c (Maildir++ maildirsize). */
#include <check.h>
#include <sys/stat.h>
#include "maildir.h"
#include "quota.h"
#include "maildir_test_util.h"

static char *root;

static void
setup(void)
{
	root = mt_tempdir();
	ck_assert_int_eq(maildir_make(root), 0);
}

static void
teardown(void)
{
	mt_rmtree(root);
	free(root);
}

static void
read_file(char *out, size_t outlen)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/maildirsize", root);
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ssize_t r = read(fd, out, outlen - 1);
	close(fd);
	ck_assert_int_ge(r, 0);
	out[r] = 0;
}

START_TEST(parse)
{
	struct quota q;
	const char *t = "1000000S,50C\n100 1\n-30 -1\n  2000 3\n";
	ck_assert_int_eq(quota_parse(t, strlen(t), &q), 0);
	ck_assert_uint_eq(q.limit_bytes, 1000000);
	ck_assert_uint_eq(q.limit_msgs, 50);
	ck_assert_int_eq(q.bytes, 2070);
	ck_assert_int_eq(q.msgs, 3);
	ck_assert_int_eq(quota_parse("500S\n", 5, &q), 0);
	ck_assert_uint_eq(q.limit_bytes, 500);
	ck_assert_uint_eq(q.limit_msgs, 0);
	ck_assert_int_eq(quota_parse("20C\n", 4, &q), 0);
	ck_assert_uint_eq(q.limit_msgs, 20);
	static const char *const bad[] = {
		"", "100\n", "100X\n", "1\n", "1S\n1 1", "1S\n1 x\n",
		"1S\n1 1 1\n", "99999999999999999999999S\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(quota_parse(bad[i], strlen(bad[i]), &q) == -1, "case %zu", i);
	const char *huge = "1S\n9223372036854775807 1\n9223372036854775807 1\n";
	ck_assert_int_eq(quota_parse(huge, strlen(huge), &q), 0);
	ck_assert_int_eq(q.bytes, INT64_MAX);
}
END_TEST

START_TEST(over)
{
	struct quota q = { 1000, 3, 900, 2 };
	ck_assert(!quota_over(&q, 100, 1));
	ck_assert(quota_over(&q, 101, 1));
	ck_assert(quota_over(&q, 1, 2));
	struct quota none = { 0, 0, 1 << 30, 1 << 20 };
	ck_assert(!quota_over(&none, 1 << 30, 1));
}
END_TEST

START_TEST(recalc_and_add)
{
	char text[512], p[4096];
	struct quota lim = { 10000, 10, 0, 0 }, q;
	struct maildir_delivered d;
	ck_assert_int_eq(maildir_deliver_buf(root, "12345\n", 6, NULL, &d), 0);
	ck_assert_int_eq(maildir_folder_create(root, "Sub"), 0);
	snprintf(p, sizeof(p), "%s/.Sub", root);
	ck_assert_int_eq(maildir_deliver_buf(p, "1234567890\n", 11, NULL, &d), 0);
	/* A foreign file without ,S= is stat()ed. */
	snprintf(p, sizeof(p), "%s/cur/plain:2,S", root);
	mt_write(p, "abc");
	ck_assert_int_eq(quota_load(root, &lim, &q), 0);
	ck_assert_int_eq(q.bytes, 20);
	ck_assert_int_eq(q.msgs, 3);
	read_file(text, sizeof(text));
	ck_assert_str_eq(text, "10000S,10C\n20 3\n");
	ck_assert_int_eq(quota_add(root, &q, 100, 1), 0);
	ck_assert_int_eq(q.bytes, 120);
	read_file(text, sizeof(text));
	ck_assert_str_eq(text, "10000S,10C\n20 3\n100 1\n");
	/* Loading again sums the lines (no recount: the 100 bytes are not
	 * on disk, so a recount would say 20). */
	ck_assert_int_eq(quota_load(root, &lim, &q), 0);
	ck_assert_int_eq(q.bytes, 120);
	ck_assert_int_eq(q.msgs, 4);
	/* Taking limits from the file. */
	ck_assert_int_eq(quota_load(root, NULL, &q), 0);
	ck_assert_uint_eq(q.limit_bytes, 10000);
	/* Changed limits: recalculated with the new header. */
	struct quota lim2 = { 5000, 0, 0, 0 };
	ck_assert_int_eq(quota_load(root, &lim2, &q), 0);
	ck_assert_int_eq(q.bytes, 20);
	read_file(text, sizeof(text));
	ck_assert_str_eq(text, "5000S\n20 3\n");
}
END_TEST

START_TEST(too_large_stale_and_missing)
{
	char text[8192], p[4096];
	struct quota lim = { 100, 0, 0, 0 }, q;
	ck_assert_int_eq(quota_load(root, &lim, &q), 0);
	ck_assert_int_eq(q.bytes, 0);
	for (int i = 0; i < 1300; i++)
		ck_assert_int_eq(quota_add(root, &q, 1, 0), 0);
	ck_assert_int_eq(q.bytes, 1300);
	ck_assert_int_eq(quota_load(root, &lim, &q), 0);   /* > 5120 bytes */
	ck_assert_int_eq(q.bytes, 0);
	read_file(text, sizeof(text));
	ck_assert_str_eq(text, "100S\n0 0\n");
	/* Over quota and older than 15 minutes: recount. */
	quota_add(root, &q, 500, 5);
	ck_assert_int_eq(quota_load(root, &lim, &q), 0);
	ck_assert_int_eq(q.bytes, 500);
	snprintf(p, sizeof(p), "%s/maildirsize", root);
	struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
	utimensat(AT_FDCWD, p, old, 0);
	ck_assert_int_eq(quota_load(root, &lim, &q), 0);
	ck_assert_int_eq(q.bytes, 0);
	/* No limits and no file: nothing is written. */
	unlink(p);
	struct quota none = { 0, 0, 0, 0 };
	ck_assert_int_eq(quota_load(root, &none, &q), 0);
	ck_assert_int_eq(quota_add(root, &q, 5, 1), 0);
	ck_assert(!mt_exists(p));
	/* A garbage file is rebuilt. */
	mt_write(p, "garbage\n");
	ck_assert_int_eq(quota_load(root, &lim, &q), 0);
	read_file(text, sizeof(text));
	ck_assert_str_eq(text, "100S\n0 0\n");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, parse);
	tcase_add_test(tc, over);
	tcase_add_test(tc, recalc_and_add);
	tcase_add_test(tc, too_large_stale_and_missing);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
