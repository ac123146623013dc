/* test_pop3_uidl.c: unit tests for common/pop3_uidl.c (Dovecot 2.3's
 * default pop3_uidl_format "%08Xu%08Xv"). */
#include <check.h>
#include <string.h>
#include "pop3_uidl.h"

START_TEST(dovecot_default_format)
{
	char u[POP3_UIDL_MAX + 1];
	ck_assert_uint_eq(pop3_uidl_make(u, sizeof(u), 1, 1275660208u, NULL), 16);
	ck_assert_str_eq(u, "000000014c0907b0");
	pop3_uidl_make(u, sizeof(u), 0xffffffffu, 0xabcdef, NULL);
	ck_assert_str_eq(u, "ffffffff00abcdef");
	/* A stored UIDL wins when valid. */
	pop3_uidl_make(u, sizeof(u), 5, 6, "UID123-abc");
	ck_assert_str_eq(u, "UID123-abc");
	pop3_uidl_make(u, sizeof(u), 5, 6, "has space");
	ck_assert_str_eq(u, "0000000500000006");
	pop3_uidl_make(u, sizeof(u), 5, 6, "");
	ck_assert_str_eq(u, "0000000500000006");
	char small[8];
	ck_assert_uint_eq(pop3_uidl_make(small, sizeof(small), 5, 6, NULL), 7);
}
END_TEST

START_TEST(validity)
{
	char long71[72];
	memset(long71, 'a', 71);
	long71[71] = 0;
	ck_assert(pop3_uidl_valid("abc", 3));
	ck_assert(!pop3_uidl_valid("", 0));
	ck_assert(!pop3_uidl_valid("a b", 3));
	ck_assert(!pop3_uidl_valid("a\x7f", 2));
	ck_assert(pop3_uidl_valid(long71, 70));
	ck_assert(!pop3_uidl_valid(long71, 71));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pop3_uidl");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, dovecot_default_format);
	tcase_add_test(tc, validity);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
