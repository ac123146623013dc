/* test_dsn.c: unit tests for common/dsn.c (RFC 3464 reports). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "dsn.h"
#include "esmtp_params.h"

/* A file as the queue keeps it: the message, then bytes that are not
 * (the envelope) which no report may show. */
#define TAIL "\nQUEUE-ENVELOPE-TAIL\n"

static int
original(struct dsn_info *in, const char *text)
{
	char tmpl[] = "/tmp/test_dsn.XXXXXX";
	int fd = mkstemp(tmpl);

	unlink(tmpl);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(write(fd, TAIL, strlen(TAIL)), (ssize_t)strlen(TAIL));
	in->msgsize = strlen(text);
	return fd;
}

static const char *
has(struct buf *b, const char *s)
{
	return memmem(b->p, b->len, s, strlen(s));
}

START_TEST(failure_report_full)
{
	struct dsn_info in = { .reporting_mta = "mx.example.test", .to = "a@example.org",
	    .envid = "ID+1 x", .queue_id = "1.abc", .arrival = 1700000000, .ret = ESMTP_RET_UNSET,
	    .now = 1700000100 };
	struct dsn_rcpt r[2] = {
		{ .addr = "joe@example.test", .orcpt_type = "rfc822", .orcpt = "Joe@example.test",
		  .action = DSN_FAILED, .status = "5.1.1", .smtp_code = 550,
		  .diag = "no such user", .last_attempt = 1700000050 },
		{ .addr = "ann@example.net", .action = DSN_FAILED, .status = "bogus",
		  .remote_mta = "mx.example.net", .diag = "evil\r\nX-Injected: yes" },
	};
	struct buf b = BUF_INIT;
	int fd = original(&in, "Subject: hello\nFrom: a@example.org\n\nbody line\n");

	ck_assert_int_eq(dsn_build(&in, r, 2, fd, &b), 0);
	buf_cstr(&b);
	ck_assert_ptr_null(has(&b, "QUEUE-ENVELOPE-TAIL"));
	ck_assert_ptr_nonnull(has(&b, "Content-Type: multipart/report; report-type=delivery-status;"));
	ck_assert_ptr_nonnull(has(&b, "To: <a@example.org>\n"));
	ck_assert_ptr_nonnull(has(&b, "Auto-Submitted: auto-replied\n"));
	ck_assert_ptr_nonnull(has(&b, "Content-Type: message/delivery-status\n"));
	ck_assert_ptr_nonnull(has(&b, "Reporting-MTA: dns; mx.example.test\n"));
	ck_assert_ptr_nonnull(has(&b, "Original-Envelope-Id: ID+2B1+20x\n"));
	ck_assert_ptr_nonnull(has(&b, "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\n"));
	ck_assert_ptr_nonnull(has(&b, "Original-Recipient: rfc822; Joe@example.test\n"));
	ck_assert_ptr_nonnull(has(&b, "Final-Recipient: rfc822; joe@example.test\nAction: failed\nStatus: 5.1.1\n"));
	ck_assert_ptr_nonnull(has(&b, "Diagnostic-Code: smtp; 550 5.1.1 no such user\n"));
	/* a bad status is replaced; no header injection */
	ck_assert_ptr_nonnull(has(&b, "Final-Recipient: rfc822; ann@example.net\nAction: failed\nStatus: 5.0.0\nRemote-MTA: dns; mx.example.net\n"));
	ck_assert_ptr_null(has(&b, "\nX-Injected"));
	/* RET unset on a failure: the whole message */
	ck_assert_ptr_nonnull(has(&b, "Content-Type: message/rfc822\n"));
	ck_assert_ptr_nonnull(has(&b, "body line\n"));
	ck_assert_ptr_null(memchr(b.p, '\r', b.len));
	close(fd);
	buf_free(&b);
}
END_TEST

START_TEST(success_report_headers)
{
	struct dsn_info in = { .reporting_mta = "mx", .to = "a@b", .now = 1 };
	struct dsn_rcpt r = { .addr = "joe@x", .action = DSN_DELIVERED };
	struct buf b = BUF_INIT;
	int fd = original(&in, "Subject: s\n\nsecret body\n");

	ck_assert_int_eq(dsn_build(&in, &r, 1, fd, &b), 0);
	buf_cstr(&b);
	ck_assert_ptr_null(has(&b, "QUEUE-ENVELOPE-TAIL"));
	ck_assert_ptr_nonnull(has(&b, "Subject: Successful Mail Delivery Report\n"));
	ck_assert_ptr_nonnull(has(&b, "Action: delivered\nStatus: 2.0.0\n"));
	ck_assert_ptr_nonnull(has(&b, "Content-Type: text/rfc822-headers\n"));
	ck_assert_ptr_nonnull(has(&b, "Subject: s\n"));
	ck_assert_ptr_null(has(&b, "secret body"));
	close(fd);
	buf_free(&b);
}
END_TEST

START_TEST(ret_hdrs_and_missing_original)
{
	struct dsn_info in = { .reporting_mta = "mx", .to = "a@b", .now = 1, .ret = ESMTP_RET_HDRS };
	struct dsn_rcpt r = { .addr = "joe@x", .action = DSN_FAILED };
	struct buf b = BUF_INIT;
	int fd = original(&in, "Subject: s\n\nsecret body\n");

	ck_assert_int_eq(dsn_build(&in, &r, 1, fd, &b), 0);
	buf_cstr(&b);
	ck_assert_ptr_null(has(&b, "QUEUE-ENVELOPE-TAIL"));
	ck_assert_ptr_null(has(&b, "secret body"));
	ck_assert_ptr_nonnull(has(&b, "Status: 5.0.0\n"));
	buf_reset(&b);
	ck_assert_int_eq(dsn_build(&in, &r, 1, -1, &b), 0);
	buf_cstr(&b);
	ck_assert_ptr_null(has(&b, "QUEUE-ENVELOPE-TAIL"));
	ck_assert_ptr_null(has(&b, "rfc822-headers"));
	ck_assert_int_eq(dsn_build(&in, &r, 0, -1, &b), -1);
	close(fd);
	buf_free(&b);
}
END_TEST

START_TEST(relayed_and_delayed)
{
	struct dsn_info in = { .reporting_mta = "mx", .to = "a@b", .now = 1700000100,
	    .ret = ESMTP_RET_FULL };
	struct dsn_rcpt rl = { .addr = "joe@x", .action = DSN_RELAYED,
	    .remote_mta = "old.example", .smtp_code = 250, .status = "2.0.0" };
	struct dsn_rcpt dl = { .addr = "ann@x", .action = DSN_DELAYED, .status = "4.2.0",
	    .diag = "mailbox busy", .last_attempt = 1700000050,
	    .will_retry_until = 1700432000 };
	struct buf b = BUF_INIT;
	int fd = original(&in, "Subject: s\n\nsecret body\n");

	ck_assert_int_eq(dsn_build(&in, &rl, 1, fd, &b), 0);
	buf_cstr(&b);
	ck_assert_ptr_null(has(&b, "QUEUE-ENVELOPE-TAIL"));
	ck_assert_ptr_nonnull(has(&b, "Subject: Successful Mail Delivery Report\n"));
	ck_assert_ptr_nonnull(has(&b, "Action: relayed\nStatus: 2.0.0\nRemote-MTA: dns; old.example\n"));
	ck_assert_ptr_nonnull(has(&b, "does not send delivery reports"));
	ck_assert_ptr_null(has(&b, "Will-Retry-Until"));
	buf_reset(&b);
	ck_assert_int_eq(dsn_build(&in, &dl, 1, fd, &b), 0);
	buf_cstr(&b);
	ck_assert_ptr_null(has(&b, "QUEUE-ENVELOPE-TAIL"));
	ck_assert_ptr_nonnull(has(&b, "Subject: Delayed Mail (still being retried)\n"));
	ck_assert_ptr_nonnull(has(&b, "Action: delayed\nStatus: 4.2.0\n"));
	ck_assert_ptr_nonnull(has(&b, "Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000\n"));
	/* a delay report returns the headers only, even with RET=FULL */
	ck_assert_ptr_nonnull(has(&b, "text/rfc822-headers"));
	ck_assert_ptr_null(has(&b, "secret body"));
	close(fd);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dsn");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, failure_report_full);
	tcase_add_test(tc, success_report_headers);
	tcase_add_test(tc, ret_hdrs_and_missing_original);
	tcase_add_test(tc, relayed_and_delayed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
