/* test_dotqmail.c: unit tests for common/dotqmail.c (per-user rule file). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "dotqmail.h"

static int
parse(const char *s, struct dotqmail *d, char *err)
{
	memset(d, 0, sizeof(*d));
	return dotqmail_parse(s, strlen(s), d, err, 128);
}

START_TEST(all_kinds)
{
	struct dotqmail d;
	char err[128];
	const char *f = "# comment\n\n./Maildir/\r\n+Lists.postern  \n"
	    "|/usr/bin/logger -t x\n&joe@example.net\nann@example.org\n/var/mail/x/\n";

	ck_assert_int_eq(parse(f, &d, err), 0);
	ck_assert_uint_eq(d.n, 6);
	ck_assert_int_eq(d.rules[0].kind, DOTQMAIL_MAILDIR);
	ck_assert_str_eq(d.rules[0].arg, "./Maildir/");
	ck_assert_uint_eq(d.rules[0].line, 3);
	ck_assert_int_eq(d.rules[1].kind, DOTQMAIL_FOLDER);
	ck_assert_str_eq(d.rules[1].arg, "Lists.postern");
	ck_assert_int_eq(d.rules[2].kind, DOTQMAIL_PIPE);
	ck_assert_str_eq(d.rules[2].arg, "/usr/bin/logger -t x");
	ck_assert_int_eq(d.rules[3].kind, DOTQMAIL_FORWARD);
	ck_assert_str_eq(d.rules[3].arg, "joe@example.net");
	ck_assert_int_eq(d.rules[4].kind, DOTQMAIL_FORWARD);
	ck_assert_str_eq(d.rules[4].arg, "ann@example.org");
	ck_assert_int_eq(d.rules[5].kind, DOTQMAIL_MAILDIR);
	dotqmail_free(&d);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(errors)
{
	struct dotqmail d;
	char err[128];

	ck_assert_int_eq(parse("./mbox\n", &d, err), -1);
	ck_assert_str_eq(err, "line 1: only Maildir delivery (a path ending in '/') is supported");
	ck_assert_int_eq(parse("# only\n\n", &d, err), -1);
	ck_assert_str_eq(err, "line 0: no rule");
	ck_assert_int_eq(parse("./Maildir/\n|\n", &d, err), -1);
	ck_assert_str_eq(err, "line 2: empty command");
	ck_assert_int_eq(parse("+a..b\n", &d, err), -1);
	ck_assert_int_eq(parse("+INBOX\n", &d, err), -1);
	ck_assert_int_eq(parse("joe\n", &d, err), -1);
	ck_assert_int_eq(parse("&joe @x\n", &d, err), -1);
	ck_assert_int_eq(parse("|a\001b\n", &d, err), -1);
	ck_assert_int_eq(dotqmail_parse("./M/\0", 5, &d, err, sizeof(err)), -1);
}
END_TEST

START_TEST(many_rules_and_long_lines)
{
	struct dotqmail d;
	char err[128];
	char *big = calloc(1, (DOTQMAIL_MAX_RULES + 1) * 5 + 1);
	char line[DOTQMAIL_MAX_LINE + 3];

	for (int i = 0; i <= DOTQMAIL_MAX_RULES; i++)
		memcpy(big + i * 5, "./M/\n", 5);
	ck_assert_int_eq(parse(big, &d, err), -1);
	ck_assert_str_eq(err, "line 101: too many rules");
	big[DOTQMAIL_MAX_RULES * 5] = 0;
	ck_assert_int_eq(parse(big, &d, err), 0);
	ck_assert_uint_eq(d.n, DOTQMAIL_MAX_RULES);
	dotqmail_free(&d);
	free(big);
	memset(line, 'a', sizeof(line));
	line[0] = '|';
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = 0;
	ck_assert_int_eq(parse(line, &d, err), -1);
	ck_assert_str_eq(err, "line 1: line too long");
}
END_TEST

START_TEST(file_names)
{
	char out[64];

	ck_assert_int_eq(dotqmail_file_name(NULL, out, sizeof(out)), 0);
	ck_assert_str_eq(out, ".postern");
	ck_assert_int_eq(dotqmail_file_name("Lists.Foo", out, sizeof(out)), 0);
	ck_assert_str_eq(out, ".postern-lists:foo");
	ck_assert_int_eq(dotqmail_file_name("a/b", out, sizeof(out)), -1);
	ck_assert_int_eq(dotqmail_file_name("abc", out, 10), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dotqmail");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, all_kinds);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, many_rules_and_long_lines);
	tcase_add_test(tc, file_names);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
