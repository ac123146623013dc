/* test_rfc2231.c: unit tests for common/rfc2231.c (parameter lists). */
#include <check.h>
#include <string.h>
#include "rfc2231.h"

static void parse(const char *s, struct mime_params *ps)
{
	struct rfc822_lexer lx;
	rfc822_lexer_init(&lx, s, strlen(s), NULL);
	rfc2231_parse(&lx, RFC2231_MAX_PARAMS, ps);
}

START_TEST(plain_params)
{
	struct mime_params ps;
	parse("; charset=\"utf-8\"; format=flowed ;delsp=yes", &ps);
	ck_assert_uint_eq(ps.count, 3);
	ck_assert_str_eq(mime_params_get(&ps, "CHARSET"), "utf-8");
	ck_assert_str_eq(mime_params_get(&ps, "format"), "flowed");
	ck_assert_str_eq(mime_params_get(&ps, "delsp"), "yes");
	ck_assert_ptr_null(mime_params_get(&ps, "none"));
	ck_assert_int_eq(ps.broken, 0);
	mime_params_free(&ps);

	parse("; param3=\"esc\\\"aped\" (comment); b=\"'()+_,-./:=?1\"", &ps);
	ck_assert_str_eq(mime_params_get(&ps, "param3"), "esc\"aped");
	ck_assert_str_eq(mime_params_get(&ps, "b"), "'()+_,-./:=?1");
	mime_params_free(&ps);
}
END_TEST

START_TEST(continuations_joined)
{
	struct mime_params ps;
	/* out of order pieces are sorted; extended value keeps its prefix */
	parse("; name*1*=%C3%A4%C3%B6; name*0*=UTF-8'de'%C3%9Cber; name*2=\".pdf\"", &ps);
	ck_assert_uint_eq(ps.count, 1);
	ck_assert_str_eq(ps.v[0].name, "name*");
	ck_assert_str_eq(ps.v[0].value, "UTF-8'de'%C3%9Cber%C3%A4%C3%B6.pdf");
	mime_params_free(&ps);

	parse("; title*0=\"abc \"; title*1=def", &ps);
	ck_assert_str_eq(ps.v[0].name, "title");
	ck_assert_str_eq(ps.v[0].value, "abc def");
	mime_params_free(&ps);

	parse("; name*=UTF-8''%C3%9CML.png", &ps);
	ck_assert_str_eq(ps.v[0].name, "name*");
	ck_assert_str_eq(ps.v[0].value, "UTF-8''%C3%9CML.png");
	mime_params_free(&ps);
}
END_TEST

START_TEST(gap_left_unjoined)
{
	struct mime_params ps;
	parse("; filename*0=a; filename*1*=b; filename*3=d", &ps);
	ck_assert_uint_eq(ps.count, 3);
	ck_assert_str_eq(ps.v[0].name, "filename*0");
	ck_assert_str_eq(ps.v[1].name, "filename*1*");
	ck_assert_str_eq(ps.v[2].name, "filename*3");
	ck_assert_str_eq(ps.v[2].value, "d");
	mime_params_free(&ps);
	parse("; a*0=x; a*1=y; A*2=z", &ps);
	ck_assert_uint_eq(ps.count, 3);
	ck_assert_str_eq(ps.v[0].name, "A*2");
	ck_assert_str_eq(ps.v[1].name, "a*0");
	mime_params_free(&ps);
}
END_TEST

START_TEST(broken_input)
{
	struct mime_params ps;
	parse(";;; =\"", &ps);
	ck_assert_int_eq(ps.broken, 1);
	ck_assert_uint_eq(ps.count, 0);
	mime_params_free(&ps);
	parse("; a=1; junk; b=2", &ps);
	ck_assert_int_eq(ps.broken, 1);
	ck_assert_str_eq(mime_params_get(&ps, "a"), "1");
	/* resynchronising skips octets one at a time and then needs a ';':
	 * the parameter right after the junk is lost (as in the reference) */
	ck_assert_ptr_null(mime_params_get(&ps, "b"));
	mime_params_free(&ps);
	parse("; a=1; junk; ; b=2", &ps);
	ck_assert_str_eq(mime_params_get(&ps, "b"), "2");
	mime_params_free(&ps);
	/* the cap on pieces */
	struct buf b = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "; p%d=v", i);
	parse(buf_cstr(&b), &ps);
	ck_assert_uint_eq(ps.count, RFC2231_MAX_PARAMS);
	ck_assert_int_eq(ps.broken, 1);
	mime_params_free(&ps);
	buf_free(&b);
}
END_TEST

START_TEST(value_decoding)
{
	struct buf b = BUF_INIT;
	const char *v = "ISO-8859-1'fr'%E9t%E9.txt";
	rfc2231_value_decode(v, strlen(v), &b);
	ck_assert_str_eq(buf_cstr(&b), "\xc3\xa9t\xc3\xa9.txt");
	buf_reset(&b);
	v = "no quotes%20here";
	rfc2231_value_decode(v, strlen(v), &b);
	ck_assert_str_eq(buf_cstr(&b), "no quotes%20here");
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rfc2231");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, plain_params);
	tcase_add_test(tc, continuations_joined);
	tcase_add_test(tc, gap_left_unjoined);
	tcase_add_test(tc, broken_input);
	tcase_add_test(tc, value_decoding);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
