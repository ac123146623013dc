/* test_casemap.c: unit tests for common/casemap.c (RFC 5051). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "casemap.h"

static const char *
fold(const char *s)
{
	static struct buf b;
	buf_reset(&b);
	ck_assert_int_eq(casemap_fold(s, strlen(s), &b), 0);
	return buf_cstr(&b);
}

#define EQ(a, b) casemap_equal(a, strlen(a), b, strlen(b))
#define HAS(h, n) casemap_contains(h, strlen(h), n, strlen(n))

START_TEST(ascii)
{
	ck_assert_str_eq(fold("Hello, World! 123"), "HELLO, WORLD! 123");
	ck_assert(EQ("inbox", "INBOX"));
	ck_assert(EQ("", ""));
	ck_assert(!EQ("inbox", "inbox2"));
	ck_assert(!EQ("a", "b"));
	ck_assert_int_lt(casemap_compare("a", 1, "B", 1), 0);
	ck_assert_int_gt(casemap_compare("b", 1, "A", 1), 0);
	ck_assert_int_lt(casemap_compare("ab", 2, "ABC", 3), 0);
	ck_assert_int_eq(casemap_compare("ab", 2, "AB", 2), 0);
}
END_TEST

START_TEST(unicode)
{
	/* titlecase then decomposition: diacritics become combining marks */
	ck_assert_str_eq(fold("\xc3\xa9"), "E\xcc\x81");              /* é -> E + U+0301 */
	ck_assert(EQ("caf\xc3\xa9", "CAF\xc3\x89"));                    /* café / CAFÉ */
	ck_assert(EQ("caf\xc3\xa9", "cafe\xcc\x81"));                   /* precomposed vs decomposed */
	ck_assert(EQ("\xc3\xbc" "ber", "\xc3\x9c" "BER"));              /* über / ÜBER */
	ck_assert(EQ("\xce\xb1\xce\xb2\xce\xb3", "\xce\x91\xce\x92\xce\x93")); /* αβγ / ΑΒΓ */
	ck_assert(EQ("\xd0\xbf\xd1\x80\xd0\xb8", "\xd0\x9f\xd0\xa0\xd0\x98")); /* при / ПРИ */
	/* compatibility decomposition: ligature fi, fullwidth A */
	ck_assert(EQ("\xef\xac\x81", "FI"));
	ck_assert(EQ("\xef\xbc\xa1", "a"));
	ck_assert(EQ("\xef\xac\x81", "fi"));
	/* preparing twice changes nothing */
	ck_assert_str_eq(fold("\xef\xac\x81"), "FI");
	char *once = strdup(fold("Stra\xc3\x9f" "e \xef\xac\x81 \xc7\x86 \xc3\xa9"));
	char *twice = strdup(fold(once));
	ck_assert_str_eq(once, twice);
	free(once);
	free(twice);
	/* titlecase of the DZ digraphs: all three forms are one */
	ck_assert(EQ("\xc7\x84", "\xc7\x86"));
	ck_assert(EQ("\xc7\x85", "\xc7\x86"));
	/* sharp s has no simple titlecase: not equal to SS */
	ck_assert(!EQ("stra\xc3\x9f" "e", "STRASSE"));
	ck_assert(!EQ("\xc3\xa9", "e"));
	/* Hangul syllable decomposes into jamo */
	ck_assert_str_eq(fold("\xea\xb0\x80"), "\xe1\x84\x80\xe1\x85\xa1");
}
END_TEST

START_TEST(invalid_is_binary)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(casemap_fold("ab\xff" "c", 4, &b), 1);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_mem_eq(b.p, "ab\xff" "c", 4);
	buf_reset(&b);
	/* overlong and surrogate encodings are not UTF-8 */
	ck_assert_int_eq(casemap_fold("\xc0\xaf", 2, &b), 1);
	ck_assert_int_eq(casemap_fold("\xed\xa0\x80", 3, &b), 1);
	/* truncated sequence at the end: only len bytes are read */
	buf_reset(&b);
	ck_assert_int_eq(casemap_fold("x\xc3\xa9", 2, &b), 1);
	ck_assert_uint_eq(b.len, 2);
	ck_assert(!casemap_equal("ab\xff", 3, "AB\xff", 3));
	ck_assert(casemap_equal("ab\xff", 3, "ab\xff", 3));
	/* embedded NUL is a valid code point and kept */
	buf_reset(&b);
	ck_assert_int_eq(casemap_fold("a\0b", 3, &b), 0);
	ck_assert_mem_eq(b.p, "A\0B", 3);
	buf_free(&b);
}
END_TEST

START_TEST(substring)
{
	ck_assert(HAS("Subject: Hello World", "hello"));
	ck_assert(HAS("Subject: Hello World", ""));
	ck_assert(!HAS("Subject: Hello World", "hellow"));
	ck_assert(HAS("Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen", "M\xc3\x9cNCHEN"));
	ck_assert(HAS("Gr\xc3\xbc\xc3\x9f" "e", "gru\xcc\x88"));
	ck_assert(!HAS("abc", "abcd"));
	ck_assert(!HAS("", "a"));
	ck_assert(HAS("", ""));
	struct buf n = BUF_INIT;
	casemap_fold("WORLD", 5, &n);
	ck_assert(casemap_contains_folded("hello world", 11, n.p, n.len));
	ck_assert(!casemap_contains_folded("hello word", 10, n.p, n.len));
	buf_free(&n);
}
END_TEST

START_TEST(growth_bound)
{
	/* U+FDFA (one of the longest decompositions) */
	const char *s = "\xef\xb7\xba";
	struct buf b = BUF_INIT;
	ck_assert_int_eq(casemap_fold(s, 3, &b), 0);
	ck_assert(b.len > 3);
	ck_assert(b.len <= 3 * CASEMAP_MAX_GROWTH);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("casemap");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ascii);
	tcase_add_test(tc, unicode);
	tcase_add_test(tc, invalid_is_binary);
	tcase_add_test(tc, substring);
	tcase_add_test(tc, growth_bound);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
