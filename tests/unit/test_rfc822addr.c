/* test_rfc822addr.c: unit tests for common/rfc822addr.c (address lists). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "rfc822addr.h"
#include "imap_envelope.h"

/* The list as ENVELOPE writes it. */
static const char *addrs(const char *s)
{
	static struct buf b;
	struct rfc822_address *l = rfc822addr_parse(s, strlen(s), 1000, 1);
	buf_reset(&b);
	imap_address_list_write(l, &b);
	rfc822addr_free(l);
	return buf_cstr(&b);
}

START_TEST(simple_forms)
{
	ck_assert_str_eq(addrs("a@example.com"), "((NIL NIL \"a\" \"example.com\"))");
	ck_assert_str_eq(addrs("John Doe <jd@example.com>"),
			 "((\"John Doe\" NIL \"jd\" \"example.com\"))");
	ck_assert_str_eq(addrs("\"Doe, John\" <jd@example.com>, b@x.org"),
			 "((\"Doe, John\" NIL \"jd\" \"example.com\")(NIL NIL \"b\" \"x.org\"))");
	/* a comment after an addr-spec is the display name */
	ck_assert_str_eq(addrs("bbb@ddd.com (John X. Doe)"),
			 "((\"John X. Doe\" NIL \"bbb\" \"ddd.com\"))");
	ck_assert_str_eq(addrs("yankee (comment (nested)) <yankee@EXAMPLE.COM>"),
			 "((\"yankee\" NIL \"yankee\" \"EXAMPLE.COM\"))");
	ck_assert_str_eq(addrs("\"quoted \\\"nick\\\"\" <q@x>"),
			 "((\"quoted \\\"nick\\\"\" NIL \"q\" \"x\"))");
	ck_assert_str_eq(addrs(""), "NIL");
	ck_assert_str_eq(addrs("  (only a comment) "), "NIL");
}
END_TEST

START_TEST(groups)
{
	ck_assert_str_eq(addrs("undisclosed-recipients:;"),
			 "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))");
	ck_assert_str_eq(addrs("Team: a@x, B <b@y>;, c@z"),
			 "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x\")(\"B\" NIL \"b\" \"y\")"
			 "(NIL NIL NIL NIL)(NIL NIL \"c\" \"z\"))");
}
END_TEST

START_TEST(obsolete_and_odd)
{
	/* obsolete route */
	ck_assert_str_eq(addrs("<@r1.example,@r2.example:x@example.com>"),
			 "((NIL \"@r1.example,@r2.example\" \"x\" \"example.com\"))");
	/* domain literal, white space around dots (RFC 822) */
	ck_assert_str_eq(addrs("user@[192.0.2.1]"), "((NIL NIL \"user\" \"[192.0.2.1]\"))");
	ck_assert_str_eq(addrs("first . last @ example . com"),
			 "((NIL NIL \"first.last\" \"example.com\"))");
	/* misplaced dots in a local part are kept */
	ck_assert_str_eq(addrs("a.@b, .c@d, e..f@g"),
			 "((NIL NIL \"a.\" \"b\")(NIL NIL \".c\" \"d\")(NIL NIL \"e..f\" \"g\"))");
	/* missing parts get placeholders */
	ck_assert_str_eq(addrs("<>"), "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))");
	ck_assert_str_eq(addrs("user"), "((NIL NIL \"user\" \"MISSING_DOMAIN\"))");
	/* a parse error drops what follows (as the reference server does) */
	ck_assert_str_eq(addrs("a@b@c, d@e"), "((NIL NIL \"a\" \"b\"))");
}
END_TEST

START_TEST(no_fill_and_cap)
{
	struct rfc822_address *l = rfc822addr_parse("<>", 2, 10, 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_null(l->mailbox);
	ck_assert_ptr_null(l->domain);
	rfc822addr_free(l);

	struct buf b = BUF_INIT;
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "u%d@x, ", i);
	l = rfc822addr_parse(b.p, b.len, 10, 1);
	int n = 0;
	for (struct rfc822_address *a = l; a; a = a->next)
		n++;
	ck_assert_int_eq(n, 10);
	rfc822addr_free(l);
	buf_free(&b);
}
END_TEST

START_TEST(unterminated_never_overreads)
{
	const char *cases[] = { "\"open quote", "(open comment", "a@[1.2.3", "<a@b",
				"x:", "\\", "a@", "@", "<@", "\"\\" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i]);
		char *copy = malloc(n);          /* no NUL: ASan would see an overread */
		memcpy(copy, cases[i], n);
		rfc822addr_free(rfc822addr_parse(copy, n, 100, 1));
		free(copy);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rfc822addr");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, simple_forms);
	tcase_add_test(tc, groups);
	tcase_add_test(tc, obsolete_and_odd);
	tcase_add_test(tc, no_fill_and_cap);
	tcase_add_test(tc, unterminated_never_overreads);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
