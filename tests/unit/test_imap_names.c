/* test_imap_names.c: unit tests for imapd/imap_names.c: client mailbox
 * names <-> Maildir++ folder names (modified UTF-7 and UTF-8), INBOX
 * case, refusals, and LIST wildcard matching. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "imap_names.h"

static const char *
to_folder(int utf8, const char *name)
{
	static struct buf b;
	const char *why = NULL;

	buf_reset(&b);
	if (imap_name_to_folder(utf8, name, strlen(name), &b, &why) < 0)
		return NULL;
	return buf_cstr(&b);
}

static const char *
from_folder(int utf8, const char *folder)
{
	static struct buf b;

	buf_reset(&b);
	imap_name_from_folder(utf8, folder, strlen(folder), &b);
	return buf_cstr(&b);
}

START_TEST(inbox)
{
	ck_assert_str_eq(to_folder(0, "INBOX"), "");
	ck_assert_str_eq(to_folder(0, "inbox"), "");
	ck_assert_str_eq(to_folder(1, "InBoX"), "");
	ck_assert_str_eq(to_folder(0, "inbox.sub"), "INBOX.sub");
	ck_assert_str_eq(from_folder(0, ""), "INBOX");
	ck_assert_str_eq(from_folder(1, ""), "INBOX");
	ck_assert_str_eq(to_folder(0, "INBOXES"), "INBOXES");
}
END_TEST

START_TEST(modified_utf7)
{
	ck_assert_str_eq(to_folder(0, "Entw&APw-rfe"), "Entw&APw-rfe");
	ck_assert_str_eq(to_folder(0, "a.b.c"), "a.b.c");
	ck_assert_str_eq(to_folder(0, "Tom &- Jerry"), "Tom &- Jerry");
	ck_assert_ptr_null(to_folder(0, "&Jjo"));          /* unterminated */
	ck_assert_ptr_null(to_folder(0, "Entw\xc3\xbcrfe")); /* 8-bit in rev1 */
	ck_assert_str_eq(from_folder(0, "Entw&APw-rfe"), "Entw&APw-rfe");
}
END_TEST

START_TEST(utf8)
{
	ck_assert_str_eq(to_folder(1, "Entw\xc3\xbcrfe"), "Entw&APw-rfe");
	ck_assert_str_eq(to_folder(1, "Tom & Jerry"), "Tom &- Jerry");
	ck_assert_str_eq(from_folder(1, "Entw&APw-rfe"), "Entw\xc3\xbcrfe");
	ck_assert_str_eq(from_folder(1, "Tom &- Jerry"), "Tom & Jerry");
	/* a folder another program named badly is shown as it is */
	ck_assert_str_eq(from_folder(1, "bad&Jjo"), "bad&Jjo");
	ck_assert_ptr_null(to_folder(1, "\xc3"));            /* truncated */
	ck_assert_ptr_null(to_folder(1, "\xc0\xaf"));        /* overlong */
	ck_assert_ptr_null(to_folder(1, "\xed\xa0\x80"));    /* surrogate */
	ck_assert_ptr_null(to_folder(1, "a\tb"));            /* control */
	ck_assert(imap_name_utf8_valid("\xf0\x9f\x98\x80", 4));
	ck_assert(!imap_name_utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
}
END_TEST

START_TEST(refusals)
{
	ck_assert_ptr_null(to_folder(0, ""));
	ck_assert_ptr_null(to_folder(0, "a/b"));
	ck_assert_ptr_null(to_folder(0, ".hidden"));
	ck_assert_ptr_null(to_folder(0, "a..b"));
	ck_assert_ptr_null(to_folder(0, "trailing."));
	ck_assert_ptr_null(to_folder(0, ".."));
	{
		char big[IMAP_NAME_MAX + 2];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ck_assert_ptr_null(to_folder(0, big));
	}
	{
		struct buf b = BUF_INIT;
		const char *why = NULL;
		ck_assert_int_eq(imap_name_to_folder(0, "a\0b", 3, &b, &why), -1);
		ck_assert_ptr_nonnull(why);
		buf_free(&b);
	}
}
END_TEST

static int
match(const char *pat, const char *name)
{
	return imap_name_match(pat, strlen(pat), name, strlen(name));
}

START_TEST(wildcards)
{
	/* RFC 3501 6.3.8 */
	ck_assert(match("*", "INBOX"));
	ck_assert(match("*", "a.b.c"));
	ck_assert(match("%", "a"));
	ck_assert(!match("%", "a.b"));
	ck_assert(match("a.%", "a.b"));
	ck_assert(!match("a.%", "a.b.c"));
	ck_assert(match("a.*", "a.b.c"));
	ck_assert(!match("a.*", "a"));
	ck_assert(match("a*c", "abc"));
	ck_assert(match("a*c", "a.b.c"));
	ck_assert(!match("a%c", "a.b.c"));
	ck_assert(match("a%c", "abbc"));
	ck_assert(match("inbox", "INBOX"));
	ck_assert(match("Inbox.%", "INBOX.x"));
	ck_assert(!match("Sent", "sent"));
	ck_assert(match("", ""));
	ck_assert(!match("", "a"));
	ck_assert(match("*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
	ck_assert(!match("*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap_names");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, inbox);
	tcase_add_test(tc, modified_utf7);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, wildcards);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
