/* test_svcusers.c: unit tests for common/svcusers.c (names from the
 * prefix, prefix validation, lookup of a user that does not exist).
 * Creation needs root and is covered by tests/integration/test_cli_init. */
#include <check.h>
#include <string.h>

#include "svcusers.h"

START_TEST(names)
{
	char n[SVCUSER_NAME_MAX + 1];

	ck_assert_int_eq(svcusers_name("postern-", SVCUSER_QUEUE, n, sizeof(n)), 0);
	ck_assert_str_eq(n, "postern-q");
	ck_assert_int_eq(svcusers_name("postern-", SVCUSER_SMTPD, n, sizeof(n)), 0);
	ck_assert_str_eq(n, "postern-smtpd");
	ck_assert_int_eq(svcusers_name("t1_", SVCUSER_AUTH, n, sizeof(n)), 0);
	ck_assert_str_eq(n, "t1_auth");
	ck_assert_int_eq(svcusers_name("x", SVCUSER_TLS, n, sizeof(n)), 0);
	ck_assert_str_eq(n, "xtls");
	ck_assert_int_eq(svcusers_name("x", SVCUSER_REMOTE, n, sizeof(n)), 0);
	ck_assert_str_eq(n, "xr");
	ck_assert_int_eq(svcusers_name("x", SVCUSER_LMTP, n, sizeof(n)), 0);
	ck_assert_str_eq(n, "xlmtp");
	ck_assert_int_eq(svcusers_name("x", SVCUSER_COUNT, n, sizeof(n)), -1);
	/* Too small a buffer is an error, not a truncated name. */
	ck_assert_int_eq(svcusers_name("postern-", SVCUSER_SMTPD, n, 8), -1);
}
END_TEST

START_TEST(prefix_validation)
{
	char longp[40];

	ck_assert(svcusers_prefix_valid("postern-"));
	ck_assert(svcusers_prefix_valid("_p"));
	ck_assert(!svcusers_prefix_valid(""));
	ck_assert(!svcusers_prefix_valid(NULL));
	ck_assert(!svcusers_prefix_valid("-x"));
	ck_assert(!svcusers_prefix_valid("1x"));
	ck_assert(!svcusers_prefix_valid("Postern"));
	ck_assert(!svcusers_prefix_valid("a b"));
	ck_assert(!svcusers_prefix_valid("a:b"));
	ck_assert(!svcusers_prefix_valid("a/b"));
	/* prefix + "smtpd" must fit in 32 characters. */
	memset(longp, 'a', sizeof(longp));
	longp[27] = '\0';
	ck_assert(svcusers_prefix_valid(longp));
	longp[27] = 'a';
	longp[28] = '\0';
	ck_assert(!svcusers_prefix_valid(longp));
}
END_TEST

START_TEST(lookup_missing)
{
	uid_t u;
	gid_t g;

	ck_assert_int_eq(svcusers_lookup("zz-no-such-prefix-", SVCUSER_QUEUE, &u, &g), -1);
	ck_assert_int_eq(svcusers_lookup("Bad Prefix", SVCUSER_QUEUE, &u, &g), -1);
}
END_TEST

START_TEST(create_rejects_bad_prefix)
{
	char err[256];

	ck_assert_int_eq(svcusers_create("bad prefix", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "invalid user prefix"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("svcusers");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, names);
	tcase_add_test(tc, prefix_validation);
	tcase_add_test(tc, lookup_missing);
	tcase_add_test(tc, create_rejects_bad_prefix);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
