/* test_imap_binary_check.c: unit tests for the BINARY decodability rules
 * of imapd/imap_binary_check.c (well-formed base64 and quoted-printable,
 * and the section walk over a parsed message). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "imap_msgcmd.h"
#include "imap_section.h"
#include "message.h"

#define B64(s) imap_base64_valid((s), strlen(s))
#define QP(s) imap_qp_valid((s), strlen(s))

START_TEST(base64_rules)
{
	ck_assert_int_eq(B64(""), 1);
	ck_assert_int_eq(B64("aGVsbG8="), 1);
	ck_assert_int_eq(B64("aGVs\r\nbG8h"), 1);
	ck_assert_int_eq(B64("aG Vs\tbA=="), 1);
	ck_assert_int_eq(B64("aGVsbG8"), 0);        /* partial quantum */
	ck_assert_int_eq(B64("aGVsbG8=x"), 0);      /* data after padding */
	ck_assert_int_eq(B64("aGVsbG8=aGVs"), 0);
	ck_assert_int_eq(B64("a==="), 0);           /* padding too early */
	ck_assert_int_eq(B64("aGV*bG8h"), 0);       /* not the alphabet */
	ck_assert_int_eq(B64("aGVsbG8h\x80"), 0);
}
END_TEST

START_TEST(qp_rules)
{
	ck_assert_int_eq(QP("plain text"), 1);
	ck_assert_int_eq(QP("b=E4r"), 1);
	ck_assert_int_eq(QP("b=e4r"), 1);           /* lower-case hex */
	ck_assert_int_eq(QP("soft=\r\nbreak"), 1);
	ck_assert_int_eq(QP("soft= \t\nbreak"), 1); /* blanks before the end */
	ck_assert_int_eq(QP("ends with ="), 1);
	ck_assert_int_eq(QP("raw \xe4 8-bit"), 1);  /* should be encoded, accepted */
	ck_assert_int_eq(QP("bad=G1"), 0);
	ck_assert_int_eq(QP("bad=4"), 0);           /* one hex digit at the end */
	ck_assert_int_eq(QP("bad= x\r\n"), 0);
	ck_assert_int_eq(QP("bad=\rx"), 0);         /* a lone CR is no line end */
}
END_TEST

START_TEST(sections_of_a_message)
{
	static const char text[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8\r\n--b\r\n"
	    "Content-Transfer-Encoding: x-unknown\r\n\r\n%%%\r\n--b--\r\n";
	struct message *msg = message_parse(text, sizeof(text) - 1, NULL);
	struct imap_section sec;
	ck_assert_ptr_nonnull(msg);
	memset(&sec, 0, sizeof(sec));
	ck_assert_int_eq(imap_binary_decodable(msg, &sec), 0);   /* part 2 is bad */
	sec.nnums = 1;
	sec.nums[0] = 1;
	ck_assert_int_eq(imap_binary_decodable(msg, &sec), 1);
	sec.nums[0] = 2;
	ck_assert_int_eq(imap_binary_decodable(msg, &sec), 0);
	sec.nums[0] = 3;     /* unknown encodings are judged elsewhere */
	ck_assert_int_eq(imap_binary_decodable(msg, &sec), 1);
	sec.nums[0] = 9;     /* no such part: the fetch answers NIL */
	ck_assert_int_eq(imap_binary_decodable(msg, &sec), 1);
	message_free(msg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap_binary_check");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, base64_rules);
	tcase_add_test(tc, qp_rules);
	tcase_add_test(tc, sections_of_a_message);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
