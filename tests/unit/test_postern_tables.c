/* test_postern_tables.c: unit tests for daemon/postern_tables.c, the line
 * syntax `postern check` applies to table files.  Each line is passed in a
 * heap copy of exactly its length (no NUL after it), so that a read past
 * the input shows under ASan. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/postern.h"

static const char *
run(const char *(*fn)(const char *, size_t), const char *s)
{
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	const char *why;

	memcpy(copy, s, n);
	why = fn(copy, n);
	free(copy);
	return why;
}

#define OK(fn, s)  ck_assert_msg(run(fn, s) == NULL, "%s: %s", s, run(fn, s))
#define BAD(fn, s) ck_assert_msg(run(fn, s) != NULL, "%s accepted", s)

START_TEST(domains)
{
	OK(table_domains_line, "example.test");
	OK(table_domains_line, "mail-1.example.org");
	OK(table_domains_line, "localhost");
	OK(table_domains_line, "[127.0.0.1]");
	OK(table_domains_line, "[IPv6:::1]");
	OK(table_domains_line, "b\xc3\xbc" "cher.example");
	BAD(table_domains_line, "bad domain");
	BAD(table_domains_line, "a..b");
	BAD(table_domains_line, ".a");
	BAD(table_domains_line, "a.");
	BAD(table_domains_line, "-a.b");
	BAD(table_domains_line, "a-.b");
	BAD(table_domains_line, "a@b");
	BAD(table_domains_line, "[1.2.3]");
	BAD(table_domains_line, "[");
	BAD(table_domains_line, "");
}
END_TEST

START_TEST(label_lengths)
{
	char label[80];

	memset(label, 'a', sizeof(label));
	ck_assert(table_domain_ok(label, 63));
	ck_assert(!table_domain_ok(label, 64));
}
END_TEST

START_TEST(relaynets)
{
	OK(table_relaynets_line, "127.0.0.0/8");
	OK(table_relaynets_line, "192.0.2.1");
	OK(table_relaynets_line, "::1");
	OK(table_relaynets_line, "2001:db8::/32");
	BAD(table_relaynets_line, "10.0.0.0/33");
	BAD(table_relaynets_line, "2001:db8::/129");
	BAD(table_relaynets_line, "10.0.0.0/");
	BAD(table_relaynets_line, "host.example");
	BAD(table_relaynets_line, "10.0.0.0/8 junk");
	BAD(table_relaynets_line, "/8");
}
END_TEST

START_TEST(routes)
{
	OK(table_routes_line, "example.net [127.0.0.1]:2526");
	OK(table_routes_line, "example.net [127.0.0.1]");
	OK(table_routes_line, "example.net smtp.example.net:587");
	OK(table_routes_line, "example.net smtp.example.net");
	OK(table_routes_line, "* [::1]:25");
	OK(table_routes_line, ".example.net\t[relay.example]:25");
	BAD(table_routes_line, "example.net");
	BAD(table_routes_line, "example.net ");
	BAD(table_routes_line, "example.org [x");
	BAD(table_routes_line, "example.org [127.0.0.1]:0");
	BAD(table_routes_line, "example.org [127.0.0.1]:65536");
	BAD(table_routes_line, "example.org [127.0.0.1]x");
	BAD(table_routes_line, "example.org host:");
	BAD(table_routes_line, "bad_domain! host");
	BAD(table_routes_line, "[");
}
END_TEST

START_TEST(aliases)
{
	OK(table_aliases_line, "postmaster: demo@example.test");
	OK(table_aliases_line, "team: a, b@example.org,c");
	OK(table_aliases_line, "joe@example.test:joe");
	BAD(table_aliases_line, "nocolon demo");
	BAD(table_aliases_line, ": demo");
	BAD(table_aliases_line, "a b: demo");
	BAD(table_aliases_line, "a:");
	BAD(table_aliases_line, "a: ,b");
	BAD(table_aliases_line, "a: b,,c");
	BAD(table_aliases_line, "a: b,");
}
END_TEST

START_TEST(table_list)
{
	size_t i;

	for (i = 0; table_checks[i].key != NULL; i++)
		ck_assert_ptr_nonnull(table_checks[i].line);
	ck_assert_uint_eq(i, 4);
	ck_assert_str_eq(table_checks[0].key, "domains_file");
	ck_assert_int_eq(table_checks[0].missing_ok, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("postern_tables");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, domains);
	tcase_add_test(tc, label_lengths);
	tcase_add_test(tc, relaynets);
	tcase_add_test(tc, routes);
	tcase_add_test(tc, aliases);
	tcase_add_test(tc, table_list);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
