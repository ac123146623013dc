/* test_smtp_reply.c: unit tests for smtpd/smtp_reply.c: every reply of the
 * table formats as "NNN[ -]X.Y.Z text\r\n" with a code in the right class,
 * enhanced codes everywhere except the greeting and HELO/EHLO, arguments
 * cannot break the framing. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "../../smtpd/smtpd.h"

START_TEST(every_reply)
{
	int id;

	for (id = 0; id < RP_COUNT; id++) {
		const struct smtp_reply_def *r = &smtp_replies[id];
		struct buf b = BUF_INIT;
		char code[5];

		ck_assert_msg(r->text != NULL, "reply %d has no text", id);
		ck_assert(r->code >= 200 && r->code <= 599);
		smtp_reply_format(&b, (enum smtp_reply_id)id, "arg", 0);
		snprintf(code, sizeof(code), "%03d ", r->code);
		ck_assert_mem_eq(b.p, code, 4);
		ck_assert(b.len >= 6 && memcmp(b.p + b.len - 2, "\r\n", 2) == 0);
		ck_assert(memchr(b.p, '\n', b.len - 1) == NULL);
		if (r->enhanced != NULL) {
			/* class digit agrees with the code */
			ck_assert_int_eq(r->enhanced[0], '0' + r->code / 100);
			ck_assert_mem_eq(b.p + 4, r->enhanced, strlen(r->enhanced));
		}
		buf_free(&b);
	}
	ck_assert(smtp_replies[RP_GREETING].enhanced == NULL);
	ck_assert(smtp_replies[RP_HELO].enhanced == NULL);
	ck_assert(smtp_replies[RP_UNKNOWN_USER].code == 550);
	ck_assert_str_eq(smtp_replies[RP_UNKNOWN_USER].enhanced, "5.1.1");
	ck_assert(smtp_replies[RP_RELAY_DENIED].code == 554);
	ck_assert(smtp_replies[RP_TOO_MANY_RCPTS].code == 452);
	ck_assert(smtp_replies[RP_MECH_UNKNOWN].code == 504);
}
END_TEST

START_TEST(arguments)
{
	struct buf b = BUF_INIT;

	smtp_reply_format(&b, RP_QUEUED, "123.abc", 0);
	ck_assert_str_eq(buf_cstr(&b), "250 2.0.0 Ok: queued as 123.abc\r\n");
	buf_reset(&b);
	smtp_reply_format(&b, RP_SYNTAX, "a\r\n250 evil", 0);
	ck_assert_str_eq(buf_cstr(&b), "501 5.5.4 Syntax error: a??250 evil\r\n");
	buf_reset(&b);
	smtp_reply_format(&b, RP_HELO, "mx greets you", 1);
	ck_assert_str_eq(buf_cstr(&b), "250-mx greets you\r\n");
	buf_reset(&b);
	smtp_reply_format(&b, RP_OK, NULL, 0);
	ck_assert_str_eq(buf_cstr(&b), "250 2.0.0 Ok\r\n");
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smtp_reply");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, every_reply);
	tcase_add_test(tc, arguments);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
