/* test_smtp_cmd.c: unit tests for smtpd/smtp_cmd.c (command-line parser,
 * MAIL/RCPT keyword, BDAT argument). */
#include <check.h>
#include <string.h>
#include "../../smtpd/smtpd.h"

#define PARSE(s, c) smtp_cmd_parse((s), sizeof(s) - 1, (c))

START_TEST(verbs_and_args)
{
	struct smtp_cmd c;

	ck_assert_int_eq(PARSE("EHLO client.example\r\n", &c), SMTP_CMD_OK);
	ck_assert_int_eq(c.verb, V_EHLO);
	ck_assert(c.has_arg);
	ck_assert_uint_eq(c.arglen, 14);
	ck_assert_mem_eq(c.arg, "client.example", 14);
	ck_assert_int_eq(PARSE("quit\r\n", &c), SMTP_CMD_OK);
	ck_assert_int_eq(c.verb, V_QUIT);
	ck_assert(!c.has_arg);
	ck_assert_int_eq(PARSE("StartTLS\r\n", &c), SMTP_CMD_OK);
	ck_assert_int_eq(c.verb, V_STARTTLS);
	ck_assert_int_eq(PARSE("RSET   \r\n", &c), SMTP_CMD_OK);
	ck_assert_int_eq(c.verb, V_RSET);
	ck_assert(!c.has_arg);
	ck_assert_int_eq(PARSE("MAILX FROM:<a@b>\r\n", &c), SMTP_CMD_OK);
	ck_assert_int_eq(c.verb, V_UNKNOWN);
	ck_assert_int_eq(PARSE("\r\n", &c), SMTP_CMD_OK);
	ck_assert_int_eq(c.verb, V_UNKNOWN);
	ck_assert_int_eq(PARSE("DAT\r\n", &c), SMTP_CMD_OK);
	ck_assert_int_eq(c.verb, V_UNKNOWN);
	ck_assert_str_eq(smtp_verb_name(V_BDAT), "BDAT");
}
END_TEST

START_TEST(line_ends)
{
	struct smtp_cmd c;

	ck_assert_int_eq(PARSE("NOOP\n", &c), SMTP_CMD_BARE_LF);
	ck_assert_int_eq(PARSE("NOOP", &c), SMTP_CMD_BARE_LF);
	ck_assert_int_eq(PARSE("\n", &c), SMTP_CMD_BARE_LF);
	ck_assert_int_eq(PARSE("NO\rOP\r\n", &c), SMTP_CMD_BARE_CR);
	ck_assert_int_eq(PARSE("NOOP\r\r\n", &c), SMTP_CMD_BARE_CR);
	ck_assert_int_eq(PARSE("NO\nOP\r\n", &c), SMTP_CMD_BARE_LF);
	ck_assert_int_eq(smtp_cmd_parse("NO\0OP\r\n", 7, &c), SMTP_CMD_NUL);
	ck_assert_int_eq(smtp_cmd_parse("", 0, &c), SMTP_CMD_BARE_LF);
}
END_TEST

START_TEST(path_start)
{
	ck_assert_int_eq(smtp_cmd_path_start("FROM:<a@b>", 10, "FROM"), 5);
	ck_assert_int_eq(smtp_cmd_path_start("from: <a@b>", 11, "FROM"), 6);
	ck_assert_int_eq(smtp_cmd_path_start("TO:<a@b>", 8, "TO"), 3);
	ck_assert_int_eq(smtp_cmd_path_start("TO:a@b", 6, "TO"), -1);
	ck_assert_int_eq(smtp_cmd_path_start("TO <a@b>", 8, "TO"), -1);
	ck_assert_int_eq(smtp_cmd_path_start("TO:", 3, "TO"), -1);
	ck_assert_int_eq(smtp_cmd_path_start("T", 1, "TO"), -1);
}
END_TEST

START_TEST(bdat_arg)
{
	uint64_t n;
	int last;

	ck_assert_int_eq(smtp_cmd_bdat_arg("100", 3, &n, &last), 0);
	ck_assert_uint_eq(n, 100);
	ck_assert_int_eq(last, 0);
	ck_assert_int_eq(smtp_cmd_bdat_arg("0 LAST", 6, &n, &last), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(last, 1);
	ck_assert_int_eq(smtp_cmd_bdat_arg("12 last", 7, &n, &last), 0);
	ck_assert_int_eq(last, 1);
	ck_assert_int_eq(smtp_cmd_bdat_arg("", 0, &n, &last), -1);
	ck_assert_int_eq(smtp_cmd_bdat_arg("-1", 2, &n, &last), -1);
	ck_assert_int_eq(smtp_cmd_bdat_arg("12 LASTX", 8, &n, &last), -1);
	ck_assert_int_eq(smtp_cmd_bdat_arg("12x", 3, &n, &last), -1);
	ck_assert_int_eq(smtp_cmd_bdat_arg("1234567890123456789", 19, &n, &last), -1);
	ck_assert_int_eq(smtp_cmd_bdat_arg("123456789012345678", 18, &n, &last), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smtp_cmd");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, verbs_and_args);
	tcase_add_test(tc, line_ends);
	tcase_add_test(tc, path_start);
	tcase_add_test(tc, bdat_arg);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
