/* test_imap_seqset.c: unit tests for imapd/imap_seqset.c: sequence and
 * UID set syntax (RFC 9051 sequence-set), "*", reversed ranges, sorting
 * and merging, "$", the range bound, membership and compact output. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "imap_seqset.h"

static int
parse(const char *s, uint32_t star, struct imap_seqset *set)
{
	return imap_seqset_parse(s, strlen(s), star, 1, set);
}

START_TEST(syntax)
{
	static const char *good[] = { "1", "1:4", "4:1", "*", "1:*", "*:3",
	    "1,2,3", "2,4:7,9,12:*", "4294967295", "$", "3:3" };
	static const char *bad[] = { "", "0", "1:", ":1", ",", "1,", ",1",
	    "1,,2", "1:2:3", "a", "1a", "4294967296", "01", "1 2", "$,1",
	    "$$", "-1", "1:0", "**" };
	struct imap_seqset set;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(parse(good[i], 10, &set) == 0, "%s", good[i]);
		imap_seqset_free(&set);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i], 10, &set) == -1, "%s", bad[i]);
		imap_seqset_free(&set);
	}
	ck_assert_int_eq(imap_seqset_parse("$", 1, 10, 0, &set), -1);
	imap_seqset_free(&set);
}
END_TEST

START_TEST(ranges)
{
	struct imap_seqset set;

	ck_assert_int_eq(parse("9,4:2,7:*,3,5", 20, &set), 0);
	/* 2:5, 7:20 (9 inside) */
	ck_assert_uint_eq(set.n, 2);
	ck_assert_uint_eq(set.r[0].lo, 2);
	ck_assert_uint_eq(set.r[0].hi, 5);
	ck_assert_uint_eq(set.r[1].lo, 7);
	ck_assert_uint_eq(set.r[1].hi, 20);
	ck_assert(set.star);
	ck_assert(!imap_seqset_contains(&set, 1));
	ck_assert(imap_seqset_contains(&set, 2));
	ck_assert(imap_seqset_contains(&set, 5));
	ck_assert(!imap_seqset_contains(&set, 6));
	ck_assert(imap_seqset_contains(&set, 20));
	ck_assert(!imap_seqset_contains(&set, 21));
	ck_assert_uint_eq(imap_seqset_max(&set), 20);
	imap_seqset_free(&set);

	/* "*:3" with star 2: the range 2:3 (RFC 9051: order does not matter) */
	ck_assert_int_eq(parse("*:3", 2, &set), 0);
	ck_assert_uint_eq(set.r[0].lo, 2);
	ck_assert_uint_eq(set.r[0].hi, 3);
	imap_seqset_free(&set);

	ck_assert_int_eq(parse("$", 2, &set), 0);
	ck_assert(set.saved);
	ck_assert_uint_eq(set.n, 0);
	ck_assert(!imap_seqset_contains(&set, 1));
	imap_seqset_free(&set);

	ck_assert_int_eq(parse("4294967295:1", 0, &set), 0);
	ck_assert_uint_eq(set.r[0].lo, 1);
	ck_assert_uint_eq(set.r[0].hi, 4294967295u);
	ck_assert(imap_seqset_contains(&set, 4294967295u));
	imap_seqset_free(&set);
}
END_TEST

START_TEST(bounded)
{
	struct buf b = BUF_INIT;
	struct imap_seqset set;
	size_t i;

	for (i = 0; i < IMAP_SEQSET_MAX_RANGES; i++)
		buf_printf(&b, "%s%zu", i ? "," : "", 2 * i + 1);
	ck_assert_int_eq(imap_seqset_parse(b.p, b.len, 0, 0, &set), 0);
	ck_assert_uint_eq(set.n, IMAP_SEQSET_MAX_RANGES);
	imap_seqset_free(&set);
	buf_puts(&b, ",99999999");
	ck_assert_int_eq(imap_seqset_parse(b.p, b.len, 0, 0, &set), -1);
	imap_seqset_free(&set);
	buf_free(&b);
}
END_TEST

START_TEST(write)
{
	static const uint32_t v[] = { 1, 2, 3, 5, 7, 8, 10 };
	struct buf b = BUF_INIT;

	imap_seqset_write(&b, v, 7);
	ck_assert_str_eq(buf_cstr(&b), "1:3,5,7:8,10");
	buf_reset(&b);
	imap_seqset_write(&b, v, 1);
	ck_assert_str_eq(buf_cstr(&b), "1");
	buf_reset(&b);
	imap_seqset_write(&b, v, 0);
	ck_assert_str_eq(buf_cstr(&b), "");
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap_seqset");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, syntax);
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, write);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
