/* test_smtpreply.c: unit tests for common/smtpreply.c (client-side reply
 * parser, CVE-2020-8794 class inputs). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "smtpreply.h"

static int
parse(struct smtp_reply *r, const char *s)
{
	return smtp_reply_parse(r, s, strlen(s));
}

START_TEST(single_line)
{
	struct smtp_reply r;
	ck_assert_int_eq(parse(&r, "250 2.1.0 Ok\r\n"), 1);
	ck_assert_uint_eq(r.code, 250);
	ck_assert_str_eq(r.status, "2.1.0");
	ck_assert_str_eq(r.text, "2.1.0 Ok");
	ck_assert_uint_eq(smtp_reply_class(&r), 2);
	ck_assert_int_eq(parse(&r, "354\n"), 1);
	ck_assert_uint_eq(r.code, 354);
	ck_assert_str_eq(r.status, "");
	ck_assert_str_eq(r.text, "");
}
END_TEST

START_TEST(multi_line_ehlo)
{
	struct smtp_reply r;
	const char *p;
	size_t n;
	ck_assert_int_eq(parse(&r, "250-mx.example Hello\r\n250-PIPELINING\r\n"
	    "250-SIZE 1000\r\n250-AUTH LOGIN PLAIN\r\n250-8bitmime\r\n"
	    "250 STARTTLS\r\n"), 1);
	ck_assert_uint_eq(r.nlines, 6);
	ck_assert(smtp_reply_ehlo_has(&r, "PIPELINING", NULL, NULL));
	ck_assert(smtp_reply_ehlo_has(&r, "8BITMIME", NULL, NULL));
	ck_assert(smtp_reply_ehlo_has(&r, "STARTTLS", &p, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert(smtp_reply_ehlo_has(&r, "SIZE", &p, &n));
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(p, "1000", 4);
	ck_assert(smtp_reply_ehlo_has(&r, "AUTH", &p, &n));
	ck_assert_mem_eq(p, "LOGIN PLAIN", n);
	/* the greeting line is not a keyword, prefixes do not match */
	ck_assert(!smtp_reply_ehlo_has(&r, "mx.example", NULL, NULL));
	ck_assert(!smtp_reply_ehlo_has(&r, "PIPE", NULL, NULL));
	ck_assert(!smtp_reply_ehlo_has(&r, "DSN", NULL, NULL));
}
END_TEST

START_TEST(incremental_feed)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	ck_assert_int_eq(smtp_reply_feed(&r, "550-5.1.1 no such\r\n", 19), 0);
	ck_assert_int_eq(smtp_reply_feed(&r, "550 5.1.1 user\r\n", 16), 1);
	ck_assert_str_eq(r.status, "5.1.1");
	/* nothing more after the last line */
	ck_assert_int_eq(smtp_reply_feed(&r, "550 x\r\n", 7), -1);
	char d[64];
	smtp_reply_diag(&r, d, sizeof d);
	ck_assert_str_eq(d, "550 5.1.1 no such 5.1.1 user");
	smtp_reply_diag(&r, d, 8);
	ck_assert_str_eq(d, "550 5.1");
}
END_TEST

START_TEST(malformed)
{
	struct smtp_reply r;
	/* code change inside a multi-line reply (CVE-2020-8794 class) */
	ck_assert_int_eq(parse(&r, "250-ok\r\n550 no\r\n"), -1);
	ck_assert_int_eq(parse(&r, "25 ok\r\n"), -1);
	ck_assert_int_eq(parse(&r, "2500 ok\r\n"), -1);
	ck_assert_int_eq(parse(&r, "650 ok\r\n"), -1);
	ck_assert_int_eq(parse(&r, "150 ok\r\n"), -1);
	ck_assert_int_eq(parse(&r, "25a ok\r\n"), -1);
	ck_assert_int_eq(parse(&r, "250_ok\r\n"), -1);
	ck_assert_int_eq(parse(&r, "\r\n"), -1);
	/* bytes after the complete reply */
	ck_assert_int_eq(parse(&r, "250 ok\r\n250 again\r\n"), -1);
	/* incomplete */
	ck_assert_int_eq(parse(&r, "250-ok\r\n"), 0);
	ck_assert_int_eq(parse(&r, "250 ok"), 0);
}
END_TEST

START_TEST(line_count_cap)
{
	struct smtp_reply r;
	char line[32];
	int i, rc = 0;
	smtp_reply_init(&r);
	for (i = 0; i < SMTP_REPLY_MAX_LINES; i++) {
		snprintf(line, sizeof line, "250-line %d\r\n", i);
		rc = smtp_reply_feed(&r, line, strlen(line));
		ck_assert_int_eq(rc, 0);
	}
	ck_assert_int_eq(smtp_reply_feed(&r, "250 last\r\n", 10), -1);
}
END_TEST

START_TEST(line_length_and_text_caps)
{
	struct smtp_reply r;
	size_t n = SMTP_REPLY_MAX_LINE + 1, i;
	char *big = malloc(n);
	memset(big, 'x', n);
	memcpy(big, "250 ", 4);
	smtp_reply_init(&r);
	ck_assert_int_eq(smtp_reply_feed(&r, big, n), -1);
	/* many lines of allowed length: the text is capped, no overflow */
	memcpy(big, "250-", 4);
	smtp_reply_init(&r);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(smtp_reply_feed(&r, big, 2000), 0);
	ck_assert_uint_eq(r.text_len, SMTP_REPLY_MAX_TEXT);
	ck_assert_uint_eq(strlen(r.text), SMTP_REPLY_MAX_TEXT);
	free(big);
}
END_TEST

START_TEST(control_bytes_replaced)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	ck_assert_int_eq(smtp_reply_feed(&r, "550 a\rb\0c\033d\r\n", 13), 1);
	ck_assert_uint_eq(r.text_len, 7);
	ck_assert_mem_eq(r.text, "a?b?c?d", 7);
}
END_TEST

START_TEST(enhanced_status)
{
	struct smtp_reply r;
	ck_assert_int_eq(parse(&r, "451 4.7.1 try later\r\n"), 1);
	ck_assert_str_eq(r.status, "4.7.1");
	/* class must match the code */
	ck_assert_int_eq(parse(&r, "451 5.7.1 nope\r\n"), 1);
	ck_assert_str_eq(r.status, "");
	ck_assert_int_eq(parse(&r, "550 5.1234.1 x\r\n"), 1);
	ck_assert_str_eq(r.status, "");
	ck_assert_int_eq(parse(&r, "550 5.1.1x\r\n"), 1);
	ck_assert_str_eq(r.status, "");
	ck_assert_int_eq(parse(&r, "550 5.123.123\r\n"), 1);
	ck_assert_str_eq(r.status, "5.123.123");
	ck_assert_int_eq(parse(&r, "250 2.0\r\n"), 1);
	ck_assert_str_eq(r.status, "");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smtpreply");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, single_line);
	tcase_add_test(tc, multi_line_ehlo);
	tcase_add_test(tc, incremental_feed);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, line_count_cap);
	tcase_add_test(tc, line_length_and_text_caps);
	tcase_add_test(tc, control_bytes_replaced);
	tcase_add_test(tc, enhanced_status);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
