/* test_qp.c: unit tests for common/qp.c. */
#include <check.h>
#include <string.h>
#include "qp.h"

static struct buf out;

static const char *dec(const char *s, size_t *bad)
{
	buf_reset(&out);
	*bad = qp_decode(s, strlen(s), &out);
	return buf_cstr(&out);
}

START_TEST(escapes_and_soft_breaks)
{
	size_t bad;
	ck_assert_str_eq(dec("Caf=E9 cr=e8me", &bad), "Caf\xe9 cr\xe8me");
	ck_assert_uint_eq(bad, 0);
	ck_assert_str_eq(dec("long=\nline\n", &bad), "longline\n");
	ck_assert_str_eq(dec("long=\r\nline\r\nnext", &bad), "longline\r\nnext");
	/* soft break with trailing white space after '=' */
	ck_assert_str_eq(dec("a= \t\nb", &bad), "ab");
	/* trailing white space on a line is not data (RFC 2045 6.7 (3)) */
	ck_assert_str_eq(dec("x  \ny\t\n", &bad), "x\ny\n");
	ck_assert_str_eq(dec("=3D=3d", &bad), "==");
}
END_TEST

START_TEST(broken_escapes_kept)
{
	size_t bad;
	ck_assert_str_eq(dec("a=ZZb", &bad), "a=ZZb");
	ck_assert_uint_eq(bad, 1);
	ck_assert_str_eq(dec("end=4", &bad), "end=4");
	ck_assert_uint_eq(bad, 1);
	/* "=" as last octet of the input: soft break, nothing follows */
	ck_assert_str_eq(dec("end=", &bad), "end");
	ck_assert_uint_eq(bad, 0);
}
END_TEST

START_TEST(q_encoding)
{
	struct buf b = BUF_INIT;
	ck_assert_uint_eq(qp_decode_q("a_b=5Fc=C3=A4", 13, &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "a b_c\xc3\xa4");
	buf_reset(&b);
	ck_assert_uint_eq(qp_decode_q("x=4", 3, &b), 1);
	ck_assert_str_eq(buf_cstr(&b), "x=4");
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("qp");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, escapes_and_soft_breaks);
	tcase_add_test(tc, broken_escapes_kept);
	tcase_add_test(tc, q_encoding);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
