/* test_envfd.c: unit tests for common/envfd.c: only a plain decimal
 * number >= 3 that fits an int is a descriptor. */
#include <check.h>
#include <stdlib.h>
#include "envfd.h"

static int
fd_of(const char *v)
{
	if (v == NULL)
		unsetenv("POSTERN_TEST_FD");
	else
		setenv("POSTERN_TEST_FD", v, 1);
	return env_fd("POSTERN_TEST_FD");
}

START_TEST(numbers)
{
	ck_assert_int_eq(fd_of("3"), 3);
	ck_assert_int_eq(fd_of("17"), 17);
	ck_assert_int_eq(fd_of("2147483647"), 2147483647);
	ck_assert_int_eq(fd_of(NULL), -1);
	ck_assert_int_eq(fd_of(""), -1);
	ck_assert_int_eq(fd_of("0"), -1);      /* never stdio */
	ck_assert_int_eq(fd_of("2"), -1);
	ck_assert_int_eq(fd_of("-5"), -1);
	ck_assert_int_eq(fd_of("+5"), -1);
	ck_assert_int_eq(fd_of(" 5"), -1);
	ck_assert_int_eq(fd_of("5 "), -1);
	ck_assert_int_eq(fd_of("5x"), -1);
	ck_assert_int_eq(fd_of("2147483648"), -1);
	ck_assert_int_eq(fd_of("99999999999999999999999"), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("envfd");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, numbers);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
