/* test_mutf7.c: unit tests for common/mutf7.c (RFC 3501 5.1.3). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "mutf7.h"

static const char *
enc(const char *s)
{
	static struct buf b;
	const char *why = NULL;
	buf_reset(&b);
	ck_assert_msg(mutf7_encode(s, strlen(s), &b, &why) == 0, "%s", why);
	return buf_cstr(&b);
}

static const char *
dec(const char *s)
{
	static struct buf b;
	const char *why = NULL;
	buf_reset(&b);
	ck_assert_msg(mutf7_decode(s, strlen(s), &b, &why) == 0, "%s: %s", s, why);
	return buf_cstr(&b);
}

static const char *
dec_err(const char *s)
{
	struct buf b = BUF_INIT;
	const char *why = NULL;
	ck_assert_msg(mutf7_decode(s, strlen(s), &b, &why) == -1, "%s decoded", s);
	buf_free(&b);
	ck_assert(!mutf7_valid(s, strlen(s)));
	return why;
}

START_TEST(examples)
{
	/* RFC 3501 5.1.3 example */
	const char *u8 = "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
	ck_assert_str_eq(enc(u8), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	ck_assert_str_eq(dec("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), u8);
	ck_assert_str_eq(enc("Tom & Jerry"), "Tom &- Jerry");
	ck_assert_str_eq(dec("Tom &- Jerry"), "Tom & Jerry");
	ck_assert_str_eq(enc("&&"), "&-&-");
	ck_assert_str_eq(enc(""), "");
	ck_assert_str_eq(dec(""), "");
	ck_assert_str_eq(enc("INBOX"), "INBOX");
	/* German: Entw\xc3\xbcrfe */
	ck_assert_str_eq(enc("Entw\xc3\xbcrfe"), "Entw&APw-rfe");
	ck_assert_str_eq(dec("Entw&APw-rfe"), "Entw\xc3\xbcrfe");
	ck_assert_str_eq(enc("\xc3\xa4\xc3\xb6\xc3\xbc"), "&AOQA9gD8-");
	/* non-BMP: U+1F600 as a surrogate pair */
	ck_assert_str_eq(enc("\xf0\x9f\x98\x80"), "&2D3eAA-");
	ck_assert_str_eq(dec("&2D3eAA-"), "\xf0\x9f\x98\x80");
	/* control characters are encoded, DEL too */
	ck_assert_str_eq(enc("a\tb"), "a&AAk-b");
	ck_assert_str_eq(dec("a&AAk-b"), "a\tb");
	ck_assert_str_eq(enc("\x7f"), "&AH8-");
	/* shift followed by "&-" is canonical */
	ck_assert_str_eq(enc("\xc3\xa4&"), "&AOQ-&-");
	ck_assert_str_eq(dec("&AOQ-&-"), "\xc3\xa4&");
}
END_TEST

START_TEST(round_trip)
{
	const char *names[] = {
		"Gel\xc3\xb6schte Elemente", "\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbd\xd1\x8b\xd0\xb5",
		"a&b\xc3\xa9&-c", "\xf0\x9f\x98\x80\xf0\x9f\x98\x81x\xe2\x82\xac", "\xc3\xa9", "\xc3\xa9\xc3\xa9", "\xc3\xa9\xc3\xa9\xc3\xa9",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *e = strdup(enc(names[i]));
		ck_assert(mutf7_valid(e, strlen(e)));
		ck_assert_str_eq(dec(e), names[i]);
		free(e);
	}
}
END_TEST

START_TEST(encode_refusals)
{
	struct buf b = BUF_INIT;
	const char *why = NULL;
	ck_assert_int_eq(mutf7_encode("a\xff", 2, &b, &why), -1);
	ck_assert_str_eq(why, "not valid UTF-8");
	ck_assert_int_eq(mutf7_encode("\xc0\xaf", 2, &b, &why), -1);       /* overlong */
	ck_assert_int_eq(mutf7_encode("\xed\xa0\x80", 3, &b, &why), -1);   /* surrogate */
	ck_assert_int_eq(mutf7_encode("\xc3", 1, &b, &why), -1);           /* truncated */
	ck_assert_int_eq(mutf7_encode("a\0b", 3, &b, &why), -1);
	ck_assert_str_eq(why, "NUL in name");
	ck_assert_int_eq(mutf7_encode("a\0b", 3, &b, NULL), -1);
	/* only len bytes are read */
	buf_reset(&b);
	ck_assert_int_eq(mutf7_encode("ab\xff", 2, &b, &why), 0);
	ck_assert_str_eq(buf_cstr(&b), "ab");
	buf_free(&b);
}
END_TEST

START_TEST(decode_refusals)
{
	ck_assert_str_eq(dec_err("a\x80"), "octet outside printable US-ASCII");
	ck_assert_str_eq(dec_err("a\tb"), "octet outside printable US-ASCII");
	ck_assert_str_eq(dec_err("Entw\xc3\xbcrfe"), "octet outside printable US-ASCII");
	ck_assert_str_eq(dec_err("&"), "unterminated shift");
	ck_assert_str_eq(dec_err("&APw"), "unterminated shift");
	ck_assert_str_eq(dec_err("&AP w-"), "character outside modified base64");
	ck_assert_str_eq(dec_err("&AP/w-"), "character outside modified base64");   /* '/' is UTF-7, not modified */
	ck_assert_str_eq(dec_err("&APw=-"), "character outside modified base64");
	ck_assert_str_eq(dec_err("&A-"), "empty shift");
	ck_assert_str_eq(dec_err("&AG-"), "empty shift");
	ck_assert_str_eq(dec_err("&AGE-"), "printable US-ASCII in base64");   /* 'a' */
	ck_assert_str_eq(dec_err("&ACY-"), "printable US-ASCII in base64");   /* '&' */
	ck_assert_str_eq(dec_err("&AAA-"), "NUL in name");
	ck_assert_str_eq(dec_err("&APx-"), "nonzero padding bits");
	ck_assert_str_eq(dec_err("&APwA-"), "superfluous base64 character");
	ck_assert_str_eq(dec_err("&2D0-"), "unpaired surrogate");             /* lone high */
	ck_assert_str_eq(dec_err("&2D0AYQ-"), "unpaired surrogate");          /* high + 'a' */
	ck_assert_str_eq(dec_err("&3gA-"), "unpaired surrogate");             /* lone low */
	ck_assert_str_eq(dec_err("&AOQ-&APY-"), "shift right after another shift");
	/* only len bytes are read */
	struct buf b = BUF_INIT;
	ck_assert_int_eq(mutf7_decode("&APw-", 4, &b, NULL), -1);
	buf_reset(&b);
	ck_assert_int_eq(mutf7_decode("ab&", 2, &b, NULL), 0);
	ck_assert_str_eq(buf_cstr(&b), "ab");
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mutf7");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, examples);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, encode_refusals);
	tcase_add_test(tc, decode_refusals);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
