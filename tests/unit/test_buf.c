/* test_buf.c: unit tests for common/buf.c. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"

START_TEST(append_and_printf)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "abc");
	buf_putc(&b, 0);
	buf_printf(&b, "%d-%s", 42, "x");
	ck_assert_uint_eq(b.len, 8);
	ck_assert_mem_eq(b.p, "abc\0" "42-x", 8);
	ck_assert_str_eq(buf_cstr(&b) + 4, "42-x");
	buf_consume(&b, 4);
	ck_assert_str_eq(buf_cstr(&b), "42-x");
	buf_free(&b);
	ck_assert_ptr_null(b.p);
}
END_TEST

START_TEST(grows_large)
{
	struct buf b = BUF_INIT;
	char blk[1000];
	memset(blk, 'z', sizeof(blk));
	for (int i = 0; i < 1000; i++)
		buf_append(&b, blk, sizeof(blk));
	ck_assert_uint_eq(b.len, 1000000);
	ck_assert_int_eq(b.p[999999], 'z');
	buf_free(&b);
}
END_TEST

START_TEST(overflow_is_fatal)
{
	size_mul(SIZE_MAX / 2, 3);
}
END_TEST

START_TEST(steal)
{
	struct buf b = BUF_INIT;
	size_t n;
	buf_puts(&b, "hello");
	char *s = buf_steal(&b, &n);
	ck_assert_str_eq(s, "hello");
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(b.len, 0);
	free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, append_and_printf);
	tcase_add_test(tc, grows_large);
	tcase_add_exit_test(tc, overflow_is_fatal, 111);
	tcase_add_test(tc, steal);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
