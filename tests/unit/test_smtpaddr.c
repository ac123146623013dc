/* test_smtpaddr.c: unit tests for common/smtpaddr.c (RFC 5321 paths). */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "smtpaddr.h"

static int
path(const char *s, unsigned flags, struct smtpaddr *a, size_t *used, const char **why)
{
	return smtpaddr_parse_path(s, strlen(s), flags, a, used, why);
}

static void
ok(const char *s, unsigned flags, const char *canon)
{
	struct smtpaddr a;
	size_t used;
	const char *why = NULL;
	int r = path(s, flags, &a, &used, &why);
	ck_assert_msg(r == 0, "%s: %s", s, why ? why : "?");
	ck_assert_str_eq(a.addr, canon);
	ck_assert_uint_eq(used, strlen(s));
}

static void
bad(const char *s, size_t len, unsigned flags)
{
	struct smtpaddr a;
	size_t used;
	const char *why = NULL;
	ck_assert_msg(smtpaddr_parse_path(s, len, flags, &a, &used, &why) == -1,
	    "accepted: %.*s", (int)len, s);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_gt(strlen(why), 0);
}
#define BAD(s, f) bad(s, sizeof(s) - 1, f)

START_TEST(simple)
{
	ok("<user@example.com>", 0, "user@example.com");
	ok("<User.Name+tag@EXAMPLE.Com>", 0, "User.Name+tag@example.com");
	ok("<a!#$%&'*+-/=?^_`{|}~@x-y.z9>", 0, "a!#$%&'*+-/=?^_`{|}~@x-y.z9");
	ok("<u@localhost>", 0, "u@localhost");
}
END_TEST

START_TEST(null_and_postmaster)
{
	struct smtpaddr a;
	size_t used;
	const char *why;
	ck_assert_int_eq(path("<>", SMTPADDR_ALLOW_NULL, &a, &used, &why), 0);
	ck_assert(a.is_null);
	ck_assert_str_eq(a.addr, "");
	ck_assert_uint_eq(used, 2);
	BAD("<>", 0);
	ck_assert_int_eq(path("<PostMaster> SIZE=1", SMTPADDR_POSTMASTER, &a, &used, &why), 0);
	ck_assert(a.is_postmaster);
	ck_assert_str_eq(a.addr, "postmaster");
	ck_assert_uint_eq(used, 12);
	BAD("<postmaster>", 0);
	ok("<postmaster@Example.ORG>", SMTPADDR_POSTMASTER, "postmaster@example.org");
}
END_TEST

START_TEST(params_follow)
{
	struct smtpaddr a;
	size_t used;
	const char *why;
	const char *s = "<a@b.c> SIZE=100";
	ck_assert_int_eq(path(s, 0, &a, &used, &why), 0);
	ck_assert_uint_eq(used, 7);
	ck_assert_str_eq(s + used, " SIZE=100");
}
END_TEST

START_TEST(source_route)
{
	ok("<@a.example,@b.example:joe@c.example>", 0, "joe@c.example");
	ok("<@[1.2.3.4]:joe@c.example>", 0, "joe@c.example");
	BAD("<@a.example joe@c.example>", 0);
	BAD("<@:joe@c.example>", 0);
	BAD("<@a,b:joe@c>", 0);
	BAD("<@a.example,:joe@c.example>", 0);
}
END_TEST

START_TEST(quoted)
{
	struct smtpaddr a;
	size_t used;
	const char *why;
	ok("<\"joe\"@x.org>", 0, "joe@x.org");      /* quotes only when needed */
	ok("<\"j\\oe\"@x.org>", 0, "joe@x.org");
	ok("<\"john smith\"@x.org>", 0, "\"john smith\"@x.org");
	ok("<\"a\\\"b\"@x.org>", 0, "\"a\\\"b\"@x.org");
	ok("<\"a\\\\b\"@x.org>", 0, "\"a\\\\b\"@x.org");
	ok("<\"a..b\"@x.org>", 0, "\"a..b\"@x.org");
	ok("<\"\"@x.org>", 0, "\"\"@x.org");
	ck_assert_int_eq(path("<\"a b\"@x.org>", 0, &a, &used, &why), 0);
	ck_assert_str_eq(a.local_value, "a b");
	ck_assert_str_eq(a.local, "\"a b\"");
	BAD("<\"abc@x.org>", 0);
	BAD("<\"a\rb\"@x.org>", 0);
	BAD("<\"a\nb\"@x.org>", 0);
	bad("<\"a\0b\"@x.org>", 12, 0);
	BAD("<\"a\\\rb\"@x.org>", 0);   /* quoted pair of CR: RFC 5321 forbids */
	BAD("<\"a\\\"@x.org>", 0);
	BAD("<\"a\tb\"@x.org>", 0);
}
END_TEST

START_TEST(dot_atom_errors)
{
	BAD("<.a@x.org>", 0);
	BAD("<a.@x.org>", 0);
	BAD("<a..b@x.org>", 0);
	BAD("<@x.org>", 0);
	BAD("<a b@x.org>", 0);
	BAD("<a(b)@x.org>", 0);
	BAD("<a@>", 0);
	BAD("<a>", 0);
	BAD("<a@x.org", 0);
	BAD("a@x.org", 0);
	BAD("", 0);
	BAD("<", 0);
	BAD("<a@b@c>", 0);
	BAD("<a@x.org\r\n>", 0);
	BAD("<a\r\n@x.org>", 0);
	bad("<a\0@x.org>", 10, 0);
	bad("<a@x\0.org>", 10, 0);
}
END_TEST

START_TEST(domains)
{
	ok("<a@EXAMPLE.com>", 0, "a@example.com");
	ok("<a@1.2.3.4.in-addr>", 0, "a@1.2.3.4.in-addr");
	ok("<a@a-b--c.d>", 0, "a@a-b--c.d");
	BAD("<a@-ab.c>", 0);
	BAD("<a@ab-.c>", 0);
	BAD("<a@a..b>", 0);
	BAD("<a@.a.b>", 0);
	BAD("<a@a.b.>", 0);
	BAD("<a@a_b.c>", 0);
	/* 63-octet label fine, 64 too long */
	char s[200];
	snprintf(s, sizeof(s), "<a@%s.com>",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ok(s, 0, "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com");
	snprintf(s, sizeof(s), "<a@%s.com>",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	bad(s, strlen(s), 0);
}
END_TEST

START_TEST(literals)
{
	struct smtpaddr a;
	size_t used;
	const char *why;
	ok("<a@[192.0.2.1]>", 0, "a@[192.0.2.1]");
	ck_assert_int_eq(path("<a@[192.0.2.1]>", 0, &a, &used, &why), 0);
	ck_assert(a.is_literal);
	ok("<a@[ipv6:2001:DB8::1]>", 0, "a@[IPv6:2001:db8::1]");
	ok("<a@[IPv6:2001:db8:0:0:0:0:0:1]>", 0, "a@[IPv6:2001:db8::1]");
	ok("<a@[IPv6:::ffff:1.2.3.4]>", 0, "a@[IPv6:::ffff:1.2.3.4]");
	BAD("<a@[256.1.1.1]>", 0);
	BAD("<a@[1.2.3]>", 0);
	BAD("<a@[1.2.3.4.5]>", 0);
	BAD("<a@[1.2.3.4>", 0);
	BAD("<a@[0001.2.3.4]>", 0);
	BAD("<a@[IPv6:1.2.3.4]>", 0);
	BAD("<a@[IPv6:2001:db8::1::2]>", 0);
	BAD("<a@[IPv6:2001:db8::1%eth0]>", 0);
	BAD("<a@[x-tag:stuff]>", 0);
	BAD("<a@[]>", 0);
	BAD("<a@[1.2.3.4]x>", 0);
}
END_TEST

START_TEST(lengths)
{
	char s[600];
	char l64[65], l65[66];
	memset(l64, 'l', 64); l64[64] = 0;
	memset(l65, 'l', 65); l65[65] = 0;
	snprintf(s, sizeof(s), "<%s@x.org>", l64);
	struct smtpaddr a;
	size_t used;
	const char *why;
	ck_assert_int_eq(path(s, 0, &a, &used, &why), 0);
	snprintf(s, sizeof(s), "<%s@x.org>", l65);
	ck_assert_int_eq(path(s, 0, &a, &used, &why), -1);
	ck_assert_str_eq(why, "local part too long");
	/* quoted 64 incl. quotes fine, 65 not */
	snprintf(s, sizeof(s), "<\"%.62s\"@x.org>", l64);
	ck_assert_int_eq(path(s, 0, &a, &used, &why), 0);
	snprintf(s, sizeof(s), "<\"%.63s\"@x.org>", l64);
	ck_assert_int_eq(path(s, 0, &a, &used, &why), -1);
	/* domain 255 max: 4 labels of 63 + 3 dots = 255 */
	char d[300];
	snprintf(d, sizeof(d), "%.63s.%.63s.%.63s.%.63s", l64, l64, l64, l64);
	ck_assert_uint_eq(strlen(d), 255);
	snprintf(s, sizeof(s), "<a@%s>", d);  /* 259 octets: path too long */
	ck_assert_int_eq(path(s, 0, &a, &used, &why), -1);
	ck_assert_int_eq(smtpaddr_parse_mailbox(d, 255, 0, &a, &why), -1);
	char dom[256];
	ck_assert_int_eq(smtpaddr_parse_domain(d, 255, 0, dom, NULL, &why), 0);
	snprintf(d, sizeof(d), "%.63s.%.63s.%.63s.%.63sx", l64, l64, l64, l64);
	ck_assert_int_eq(smtpaddr_parse_domain(d, 256, 0, dom, NULL, &why), -1);
	/* path exactly 256 accepted, 257 refused */
	snprintf(d, sizeof(d), "%.63s.%.63s.%.63s.%.59s", l64, l64, l64, l64);
	snprintf(s, sizeof(s), "<a@%s>", d);
	ck_assert_uint_eq(strlen(s), 255);
	ck_assert_int_eq(path(s, 0, &a, &used, &why), 0);
	snprintf(s, sizeof(s), "<ab@%s>", d);
	ck_assert_int_eq(path(s, 0, &a, &used, &why), 0);
	snprintf(s, sizeof(s), "<abc@%s>", d);
	ck_assert_int_eq(path(s, 0, &a, &used, &why), -1);
	ck_assert_str_eq(why, "path too long");
}
END_TEST

START_TEST(utf8)
{
	struct smtpaddr a;
	size_t used;
	const char *why;
	const char *s = "<j\xc3\xb6rg@b\xc3\xbc" "cher.EXAMPLE>";
	ck_assert_int_eq(path(s, 0, &a, &used, &why), -1);
	ck_assert_int_eq(path(s, SMTPADDR_UTF8, &a, &used, &why), 0);
	ck_assert(a.has_utf8);
	ck_assert_str_eq(a.addr, "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
	ok("<\"\xe2\x82\xac x\"@x.org>", SMTPADDR_UTF8, "\"\xe2\x82\xac x\"@x.org");
	BAD("<\xc3@x.org>", SMTPADDR_UTF8);             /* truncated */
	BAD("<\xc0\xaf@x.org>", SMTPADDR_UTF8);         /* overlong */
	BAD("<\xed\xa0\x80@x.org>", SMTPADDR_UTF8);     /* surrogate */
	BAD("<\xf4\x90\x80\x80@x.org>", SMTPADDR_UTF8); /* > U+10FFFF */
	BAD("<\xc2\x85@x.org>", SMTPADDR_UTF8);         /* C1 NEL */
	BAD("<a@x\xff.org>", SMTPADDR_UTF8);
	BAD("<\"\x80\"@x.org>", SMTPADDR_UTF8);
	BAD("<\"\xc3\xa9\"@x.org>", 0);
	ck_assert(smtpaddr_utf8_valid("\xf0\x9f\x98\x80", 4));
	ck_assert(!smtpaddr_utf8_valid("\xf0\x9f\x98", 3));
}
END_TEST

START_TEST(mailbox)
{
	struct smtpaddr a;
	const char *why;
	ck_assert_int_eq(smtpaddr_parse_mailbox("Foo@Bar.org", 11, 0, &a, &why), 0);
	ck_assert_str_eq(a.addr, "Foo@bar.org");
	ck_assert_str_eq(a.local_value, "Foo");
	ck_assert_str_eq(a.domain, "bar.org");
	ck_assert_int_eq(smtpaddr_parse_mailbox("<a@b>", 5, 0, &a, &why), -1);
	ck_assert_int_eq(smtpaddr_parse_mailbox("a@b ", 4, 0, &a, &why), -1);
	ck_assert_int_eq(smtpaddr_parse_mailbox("a", 1, 0, &a, &why), -1);
	ck_assert_int_eq(smtpaddr_parse_mailbox("", 0, 0, &a, &why), -1);
	/* input not NUL-terminated is never read past len */
	char buf[8] = { 'a', '@', 'b', 'c', 'X', 'X', 'X', 'X' };
	ck_assert_int_eq(smtpaddr_parse_mailbox(buf, 4, 0, &a, &why), 0);
	ck_assert_str_eq(a.addr, "a@bc");
}
END_TEST

START_TEST(every_control_byte_refused)
{
	char s[32];
	for (int c = 0; c < 256; c++) {
		if ((c > 32 && c < 127) || c >= 0x80)
			continue;
		for (int pos = 1; pos < 8; pos++) {
			memcpy(s, "<ab@cd.ef>", 10);
			s[pos] = (char)c;
			bad(s, 10, SMTPADDR_UTF8 | SMTPADDR_ALLOW_NULL | SMTPADDR_POSTMASTER);
		}
		memcpy(s, "<\"a b\"@cd.ef>", 13);
		s[3] = (char)c;
		if (c != ' ')
			bad(s, 13, SMTPADDR_UTF8);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smtpaddr");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, simple);
	tcase_add_test(tc, null_and_postmaster);
	tcase_add_test(tc, params_follow);
	tcase_add_test(tc, source_route);
	tcase_add_test(tc, quoted);
	tcase_add_test(tc, dot_atom_errors);
	tcase_add_test(tc, domains);
	tcase_add_test(tc, literals);
	tcase_add_test(tc, lengths);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, mailbox);
	tcase_add_test(tc, every_control_byte_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
