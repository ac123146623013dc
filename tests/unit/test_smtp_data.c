/* test_smtp_data.c: unit tests for smtpd/smtp_data.c, the DATA/BDAT
 * state machine: end only at CRLF.CRLF, every smuggling sequence, NUL,
 * dot-unstuffing, line and size limits, octet-by-octet feeding. */
#include <check.h>
#include <string.h>
#include "../../smtpd/smtpd.h"

/* Feed all of s (len n) in pieces of step octets. */
static size_t
feed(struct smtp_data *d, const char *s, size_t n, size_t step, struct buf *out)
{
	size_t off = 0;

	while (off < n && !d->done) {
		size_t k = n - off < step ? n - off : step;
		off += smtp_data_feed(d, s + off, k, out);
	}
	return off;
}

START_TEST(plain_end_and_rest)
{
	static const char in[] = "Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n";
	size_t step;

	for (step = 1; step <= sizeof(in); step++) {
		struct smtp_data d;
		struct buf out = BUF_INIT;
		size_t used;

		smtp_data_init(&d, 0, 1000, 1000000);
		used = feed(&d, in, sizeof(in) - 1, step, &out);
		ck_assert(d.done);
		ck_assert_uint_eq(d.flags, 0);
		ck_assert_uint_eq(used, sizeof(in) - 1 - 6);   /* QUIT stays */
		ck_assert_uint_eq(out.len, 21);
		ck_assert_mem_eq(out.p, "Subject: x\r\n\r\nhello\r\n", 21);
		buf_free(&out);
	}
}
END_TEST

START_TEST(empty_message)
{
	struct smtp_data d;
	struct buf out = BUF_INIT;

	smtp_data_init(&d, 0, 1000, 1000);
	ck_assert_uint_eq(smtp_data_feed(&d, ".\r\n", 3, &out), 3);
	ck_assert(d.done);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
}
END_TEST

static const char *const smuggle[] = {
	"\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r\n.\r",
};

START_TEST(smuggling_never_ends)
{
	size_t i, step;

	for (i = 0; i < sizeof(smuggle) / sizeof(smuggle[0]); i++) {
		for (step = 1; step < 8; step++) {
			struct smtp_data d;
			struct buf out = BUF_INIT, in = BUF_INIT;
			size_t used;

			buf_puts(&in, "Subject: a\r\n\r\nfirst");
			buf_puts(&in, smuggle[i]);
			buf_puts(&in, "MAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\nDATA\r\nsecond\r\n");
			smtp_data_init(&d, 0, 1000, 1000000);
			used = feed(&d, in.p, in.len, step, &out);
			/* not ended by the fake end, and marked bad */
			ck_assert_msg(!d.done, "sequence %zu ended the data", i);
			ck_assert_uint_eq(used, in.len);
			ck_assert(d.flags & SMTP_DATA_BARE);
			/* the real end comes, and only that ends it */
			used = feed(&d, ".\r\nNOOP\r\n", 9, step, &out);
			ck_assert(d.done);
			ck_assert_uint_eq(used, 3);
			buf_free(&out);
			buf_free(&in);
		}
	}
}
END_TEST

START_TEST(bare_after_good_line_ends)
{
	/* "\r\n.\r" + "X": a bare CR after the dot */
	struct smtp_data d;
	struct buf out = BUF_INIT;

	smtp_data_init(&d, 0, 1000, 1000);
	smtp_data_feed(&d, "a\r\n.\rX\r\n.\r\n", 11, &out);
	ck_assert(d.done);
	ck_assert(d.flags & SMTP_DATA_BARE);
	buf_free(&out);
}
END_TEST

START_TEST(nul_flag)
{
	struct smtp_data d;
	struct buf out = BUF_INIT;

	smtp_data_init(&d, 0, 1000, 1000);
	smtp_data_feed(&d, "a\0b\r\n.\r\n", 8, &out);
	ck_assert(d.done);
	ck_assert(d.flags & SMTP_DATA_NUL);
	buf_free(&out);
}
END_TEST

START_TEST(dot_unstuffing)
{
	static const char in[] = "..a\r\n...\r\n.b\r\n. \r\n.\r\n";
	struct smtp_data d;
	struct buf out = BUF_INIT;

	smtp_data_init(&d, 0, 1000, 1000);
	smtp_data_feed(&d, in, sizeof(in) - 1, &out);
	ck_assert(d.done);
	ck_assert_uint_eq(d.flags, 0);
	ck_assert_uint_eq(out.len, 14);
	ck_assert_mem_eq(out.p, ".a\r\n..\r\nb\r\n \r\n", 14);
	buf_free(&out);
}
END_TEST

START_TEST(limits)
{
	struct smtp_data d;
	struct buf out = BUF_INIT;

	/* line of exactly the limit is fine, one more is not */
	smtp_data_init(&d, 0, 5, 1000);
	smtp_data_feed(&d, "12345\r\n.\r\n", 10, &out);
	ck_assert(d.done);
	ck_assert_uint_eq(d.flags, 0);
	buf_reset(&out);
	smtp_data_init(&d, 0, 5, 1000);
	smtp_data_feed(&d, "123456\r\n.\r\n", 11, &out);
	ck_assert(d.done);
	ck_assert_uint_eq(d.flags, SMTP_DATA_LONG);
	/* size */
	buf_reset(&out);
	smtp_data_init(&d, 0, 1000, 10);
	smtp_data_feed(&d, "12345678\r\n.\r\n", 13, &out);
	ck_assert_uint_eq(d.flags, 0);
	buf_reset(&out);
	smtp_data_init(&d, 0, 1000, 10);
	smtp_data_feed(&d, "123456789\r\n.\r\n", 14, &out);
	ck_assert(d.done);
	ck_assert_uint_eq(d.flags, SMTP_DATA_BIG);
	buf_free(&out);
}
END_TEST

START_TEST(bdat_mode)
{
	struct smtp_data d;
	struct buf out = BUF_INIT;

	smtp_data_init(&d, 1, 1000, 1000);
	/* dots are content, ".\r\n" does not end anything */
	ck_assert_uint_eq(smtp_data_feed(&d, "a\r\n.\r\n..b\r", 10, &out), 10);
	ck_assert(!d.done);
	ck_assert_uint_eq(smtp_data_feed(&d, "\nc\r\n", 4, &out), 4);
	smtp_data_finish(&d);
	ck_assert_uint_eq(d.flags, 0);
	ck_assert_uint_eq(out.len, 14);
	ck_assert_mem_eq(out.p, "a\r\n.\r\n..b\r\nc\r\n", 14);
	/* a chunk ending mid-line at LAST is bare */
	buf_reset(&out);
	smtp_data_init(&d, 1, 1000, 1000);
	smtp_data_feed(&d, "abc", 3, &out);
	smtp_data_finish(&d);
	ck_assert(d.flags & SMTP_DATA_BARE);
	/* bare LF in BDAT */
	smtp_data_init(&d, 1, 1000, 1000);
	smtp_data_feed(&d, "a\nb\r\n", 5, &out);
	ck_assert(d.flags & SMTP_DATA_BARE);
	buf_free(&out);
}
END_TEST

START_TEST(nothing_emitted_after_error)
{
	struct smtp_data d;
	struct buf out = BUF_INIT;

	smtp_data_init(&d, 0, 1000, 1000);
	smtp_data_feed(&d, "ok\r\nbad\nmore text\r\n.\r\n", 22, &out);
	ck_assert(d.done);
	ck_assert_uint_eq(out.len, 7);      /* "ok\r\nbad": stops at the bare LF */
	buf_free(&out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smtp_data");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, plain_end_and_rest);
	tcase_add_test(tc, empty_message);
	tcase_add_test(tc, smuggling_never_ends);
	tcase_add_test(tc, bare_after_good_line_ends);
	tcase_add_test(tc, nul_flag);
	tcase_add_test(tc, dot_unstuffing);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, bdat_mode);
	tcase_add_test(tc, nothing_emitted_after_error);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
