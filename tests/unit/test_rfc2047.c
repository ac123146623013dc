/* test_rfc2047.c: unit tests for common/rfc2047.c (encoded words, charsets). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "rfc2047.h"

static const char *dec(const char *s)
{
	static struct buf b;
	buf_reset(&b);
	rfc2047_decode(s, strlen(s), &b);
	return buf_cstr(&b);
}

START_TEST(b_and_q_words)
{
	ck_assert_str_eq(dec("=?UTF-8?B?w4Zyw7hza8O4YmluZw==?="), "\xc3\x86r\xc3\xb8sk\xc3\xb8" "bing");
	ck_assert_str_eq(dec("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "Andr\xc3\xa9 Pirard");
	ck_assert_str_eq(dec("=?utf-8?q?lowercase_q_form?="), "lowercase q form");
	ck_assert_str_eq(dec("plain text"), "plain text");
}
END_TEST

START_TEST(adjacent_words_join)
{
	/* RFC 2047 6.2: white space between encoded words is dropped */
	ck_assert_str_eq(dec("=?UTF-8?Q?a?= =?UTF-8?Q?b?="), "ab");
	ck_assert_str_eq(dec("=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?= c"), "ab c");
	ck_assert_str_eq(dec("x =?UTF-8?Q?a?= y"), "x a y");
}
END_TEST

START_TEST(charsets)
{
	ck_assert_str_eq(dec("=?KOI8-R?B?8NLJ18XU?="), "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	ck_assert_str_eq(dec("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?="), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	ck_assert_str_eq(dec("=?windows-1252?Q?=93q=94_=80?="), "\xe2\x80\x9cq\xe2\x80\x9d \xe2\x82\xac");
	/* RFC 2231 language suffix */
	ck_assert_str_eq(dec("=?UTF-8*en?Q?with_language?="), "with language");
}
END_TEST

START_TEST(broken_words)
{
	/* unknown charset: octets kept, made valid UTF-8 */
	ck_assert_str_eq(dec("=?bogus-charset?Q?x?="), "x");
	/* unknown encoding and unterminated words stay literal */
	ck_assert_str_eq(dec("=?UTF-8?X?unknown?="), "=?UTF-8?X?unknown?=");
	ck_assert_str_eq(dec("=?UTF-8?Q?open"), "=?UTF-8?Q?open");
	ck_assert_str_eq(dec("=?"), "=?");
	/* invalid UTF-8 in raw text or decoded words becomes U+FFFD */
	ck_assert_str_eq(dec("a\xff" "b"), "a\xef\xbf\xbd" "b");
	ck_assert_str_eq(dec("=?UTF-8?B?/w==?="), "\xef\xbf\xbd");
}
END_TEST

START_TEST(charset_conversion)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(charset_to_utf8("iso-8859-1", "\xe9t\xe9", 3, &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "\xc3\xa9t\xc3\xa9");
	buf_reset(&b);
	ck_assert_int_eq(charset_to_utf8("no-such-charset", "ok\x80", 3, &b), -1);
	ck_assert_str_eq(buf_cstr(&b), "ok\xef\xbf\xbd");
	buf_reset(&b);
	/* truncated multi-byte sequence at the end */
	ck_assert_int_eq(charset_to_utf8("UTF-16LE", "a\0b", 3, &b), 0);
	ck_assert_str_eq(buf_cstr(&b), "a\xef\xbf\xbd");
	buf_free(&b);
}
END_TEST

START_TEST(hostile_is_linear)
{
	/* 200 kB of "=?" must not take quadratic time */
	size_t n = 200000;
	char *s = malloc(n + 1);
	for (size_t i = 0; i < n; i += 2)
		memcpy(s + i, "=?", 2);
	s[n] = '\0';
	struct buf b = BUF_INIT;
	rfc2047_decode(s, n, &b);
	ck_assert_uint_eq(b.len, n);
	buf_free(&b);
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rfc2047");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, b_and_q_words);
	tcase_add_test(tc, adjacent_words_join);
	tcase_add_test(tc, charsets);
	tcase_add_test(tc, broken_words);
	tcase_add_test(tc, charset_conversion);
	tcase_add_test(tc, hostile_is_linear);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
