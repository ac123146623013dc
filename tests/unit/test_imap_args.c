/* test_imap_args.c: unit tests for imapd/imap_args.c: APPEND date-time
 * (RFC 3501 9 date-time) and UID sets. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "imapd.h"

static int
dt(const char *s, time_t *t)
{
	return imap_parse_datetime(s, strlen(s), t);
}

START_TEST(datetime)
{
	time_t t;

	ck_assert_int_eq(dt(" 7-Feb-1994 21:52:25 -0800", &t), 0);
	ck_assert_int_eq((long)t, 760686745L);
	ck_assert_int_eq(dt("07-Feb-1994 21:52:25 -0800", &t), 0);
	ck_assert_int_eq((long)t, 760686745L);
	ck_assert_int_eq(dt("17-Jul-1996 02:44:25 +0000", &t), 0);
	ck_assert_int_eq((long)t, 837571465L);
	ck_assert_int_eq(dt("17-jul-1996 04:44:25 +0200", &t), 0);
	ck_assert_int_eq((long)t, 837571465L);
	ck_assert_int_eq(dt("7-Feb-1994 21:52:25 -0800", &t), -1);   /* 25 octets */
	ck_assert_int_eq(dt("32-Feb-1994 21:52:25 -0800", &t), -1);
	ck_assert_int_eq(dt(" 7-Fez-1994 21:52:25 -0800", &t), -1);
	ck_assert_int_eq(dt(" 7-Feb-1994 24:52:25 -0800", &t), -1);
	ck_assert_int_eq(dt(" 7-Feb-1994 21:52:25 *0800", &t), -1);
	ck_assert_int_eq(dt(" 7-Feb-1994 21:52:25 -08a0", &t), -1);
	ck_assert_int_eq(imap_parse_datetime(" 7-Feb-1994 21:52:25 -0800", 10, &t), -1);
}
END_TEST

START_TEST(uidsets)
{
	struct imap_uid_range *r;
	size_t n;

	ck_assert_int_eq(imap_uidset_parse("1:4,7", 5, 10, &r, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(r[0].lo, 1);
	ck_assert_int_eq(r[0].hi, 4);
	ck_assert_int_eq(r[1].lo, 7);
	ck_assert(imap_uidset_contains(r, n, 3));
	ck_assert(!imap_uidset_contains(r, n, 5));
	free(r);
	ck_assert_int_eq(imap_uidset_parse("9:*", 3, 5, &r, &n), 0);   /* any order */
	ck_assert_int_eq(r[0].lo, 5);
	ck_assert_int_eq(r[0].hi, 9);
	free(r);
	ck_assert_int_eq(imap_uidset_parse("4294967295", 10, 0, &r, &n), 0);
	free(r);
	ck_assert_int_eq(imap_uidset_parse("4294967296", 10, 0, &r, &n), -1);
	ck_assert_int_eq(imap_uidset_parse("0", 1, 0, &r, &n), -1);
	ck_assert_int_eq(imap_uidset_parse("", 0, 0, &r, &n), -1);
	ck_assert_int_eq(imap_uidset_parse("1,", 2, 0, &r, &n), -1);
	ck_assert_int_eq(imap_uidset_parse("1::2", 4, 0, &r, &n), -1);
	ck_assert_int_eq(imap_uidset_parse("a", 1, 0, &r, &n), -1);
	ck_assert_int_eq(imap_uidset_parse("1:2", 2, 0, &r, &n), -1);  /* "1:" */
	ck_assert_int_eq(imap_uidset_parse("1:2", 1, 0, &r, &n), 0);   /* length wins */
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(r[0].hi, 1);
	free(r);
}
END_TEST

/* The set comes sorted and merged (the sequence-set parser of
 * imap_seqset.c), and "$" is not a UID set. */
START_TEST(uidset_sorted_merged)
{
	struct imap_uid_range *r;
	size_t n;

	ck_assert_int_eq(imap_uidset_parse("9,3:1,2:5,10:*", 14, 12, &r, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(r[0].lo, 1);
	ck_assert_int_eq(r[0].hi, 5);
	ck_assert_int_eq(r[1].lo, 9);
	ck_assert_int_eq(r[1].hi, 12);
	ck_assert(imap_uidset_contains(r, n, 12));
	ck_assert(!imap_uidset_contains(r, n, 6));
	free(r);
	ck_assert_int_eq(imap_uidset_parse("$", 1, 12, &r, &n), -1);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(uidset_bounded)
{
	struct buf b = BUF_INIT;
	struct imap_uid_range *r;
	size_t n, i;

	for (i = 0; i < 20000; i++)
		buf_printf(&b, "%s%zu", i ? "," : "", i + 1);
	ck_assert_int_eq(imap_uidset_parse(b.p, b.len, 0, &r, &n), -1);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap_args");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, datetime);
	tcase_add_test(tc, uidsets);
	tcase_add_test(tc, uidset_sorted_merged);
	tcase_add_test(tc, uidset_bounded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
