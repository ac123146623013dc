/* test_checkpw.c: unit tests for common/checkpw.c (the checkpassword fd-3
 * record). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "checkpw.h"

START_TEST(parse_good)
{
	struct checkpw_record r;
	ck_assert_int_eq(checkpw_parse("alice\0pw\0" "123\0", 13, &r), 0);
	ck_assert_str_eq(r.user, "alice");
	ck_assert_uint_eq(r.user_len, 5);
	ck_assert_str_eq(r.password, "pw");
	ck_assert_uint_eq(r.password_len, 2);
	ck_assert_str_eq(r.timestamp, "123");
	/* timestamp missing */
	ck_assert_int_eq(checkpw_parse("alice\0pw\0", 9, &r), 0);
	ck_assert_str_eq(r.timestamp, "");
	ck_assert_uint_eq(r.timestamp_len, 0);
	/* empty fields parse (the checker refuses them later) */
	ck_assert_int_eq(checkpw_parse("\0\0\0", 3, &r), 0);
	ck_assert_uint_eq(r.user_len, 0);
}
END_TEST

START_TEST(parse_bad)
{
	struct checkpw_record r;
	ck_assert_int_eq(checkpw_parse("", 0, &r), -1);
	ck_assert_int_eq(checkpw_parse("alice", 5, &r), -1);
	ck_assert_int_eq(checkpw_parse("alice\0", 6, &r), -1);
	ck_assert_int_eq(checkpw_parse("alice\0pw", 8, &r), -1);
	ck_assert_int_eq(checkpw_parse("alice\0pw\0" "12", 11, &r), -1);
	ck_assert_int_eq(checkpw_parse("alice\0pw\0" "12\0x", 13, &r), -1);
	ck_assert_int_eq(checkpw_parse("alice\0pw\0" "12\0\0", 13, &r), -1);
	char big[CHECKPW_MAX + 1];
	memset(big, 'a', sizeof(big));
	big[0] = 0;
	big[1] = 0;
	big[CHECKPW_MAX] = 0;
	ck_assert_int_eq(checkpw_parse(big, CHECKPW_MAX + 1, &r), -1);
	big[CHECKPW_MAX - 1] = 0;
	ck_assert_int_eq(checkpw_parse(big, CHECKPW_MAX, &r), 0);
	ck_assert_uint_eq(r.timestamp_len, CHECKPW_MAX - 3);
}
END_TEST

START_TEST(build)
{
	struct buf b = BUF_INIT;
	struct checkpw_record r;
	ck_assert_int_eq(checkpw_build(&b, "u", 1, "p w", 3, "42", 2), 0);
	ck_assert_uint_eq(b.len, 9);
	ck_assert_mem_eq(b.p, "u\0p w\0" "42\0", 9);
	buf_reset(&b);
	ck_assert_int_eq(checkpw_build(&b, "u", 1, "p", 1, NULL, 0), 0);
	ck_assert_int_eq(checkpw_parse(b.p, b.len, &r), 0);
	ck_assert(r.timestamp_len >= 10);
	ck_assert(atoll(r.timestamp) > 1600000000);
	buf_reset(&b);
	ck_assert_int_eq(checkpw_build(&b, "u\0x", 3, "p", 1, "1", 1), -1);
	ck_assert_int_eq(checkpw_build(&b, "u", 1, "p\0", 2, "1", 1), -1);
	ck_assert_uint_eq(b.len, 0);
	char big[CHECKPW_MAX];
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(checkpw_build(&b, big, 300, big, CHECKPW_MAX - 300 - 3, "", 0), 0);
	ck_assert_uint_eq(b.len, CHECKPW_MAX);
	buf_reset(&b);
	ck_assert_int_eq(checkpw_build(&b, big, 300, big, CHECKPW_MAX - 300 - 2, "", 0), -1);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(read_fd)
{
	int p[2];
	char dst[CHECKPW_MAX + 1];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "a\0b\0c\0", 6), 6);
	close(p[1]);
	ck_assert_int_eq(checkpw_read(p[0], dst, sizeof(dst), 1000), 6);
	close(p[0]);

	/* too long */
	ck_assert_int_eq(pipe(p), 0);
	char big[CHECKPW_MAX + 10];
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(write(p[1], big, sizeof(big)), (ssize_t)sizeof(big));
	close(p[1]);
	ck_assert_int_eq(checkpw_read(p[0], dst, sizeof(dst), 1000), -3);
	close(p[0]);

	/* timeout: writer never closes */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "a\0", 2), 2);
	ck_assert_int_eq(checkpw_read(p[0], dst, sizeof(dst), 200), -2);
	close(p[0]);
	close(p[1]);

	/* not open */
	int fd = open("/dev/null", O_RDONLY);
	close(fd);
	errno = 0;
	ck_assert_int_eq(checkpw_read(fd, dst, sizeof(dst), 100), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(checkpw_read(fd, dst, 10, 100), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("checkpw");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_good);
	tcase_add_test(tc, parse_bad);
	tcase_add_test(tc, build);
	tcase_add_test(tc, read_fd);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
