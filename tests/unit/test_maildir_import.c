/* test_maildir_import.c: unit tests for common/maildir_import.c and the
 * takeover of Dovecot/Courier UIDs on first open of a folder. */
#include <check.h>
#include "maildir.h"
#include "maildir_import.h"
#include "maildir_index.h"
#include "pop3_uidl.h"
#include "maildir_test_util.h"

static char *root;

static void
setup(void)
{
	root = mt_tempdir();
	ck_assert_int_eq(maildir_make(root), 0);
}

static void
teardown(void)
{
	mt_rmtree(root);
	free(root);
}

static void
put(const char *rel, const char *data)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	mt_write(p, data);
}

START_TEST(parse_v3)
{
	struct maildir_import im = { 0 };
	const char *t =
	    "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n"
	    "25006 W2048 S2000 :1276528487.M364837P9451.kurkku,S=2000,W=2048:2,S\n"
	    "25017 P0000abcd :1276529000.M1P2.host\n"
	    "25018 :1276530000.M1P2.host:2,\n"
	    "junk line\n"
	    "0 :zero-uid\n"
	    "25019 S5 no-colon\n"
	    "25020 :../evil\n"
	    "25018 :duplicate-uid\n"
	    "99999999999 :too-big\n";
	ck_assert_int_eq(maildir_import_parse_uidlist(t, strlen(t), &im), 0);
	ck_assert_uint_eq(im.uidvalidity, 1275660208u);
	ck_assert_uint_eq(im.next_uid, 25022);
	ck_assert_uint_eq(im.count, 3);
	ck_assert_uint_eq(im.entries[0].uid, 25006);
	ck_assert_str_eq(im.entries[0].base, "1276528487.M364837P9451.kurkku,S=2000,W=2048");
	ck_assert_ptr_null(im.entries[0].pop3_uidl);
	ck_assert_str_eq(im.entries[1].pop3_uidl, "0000abcd");
	ck_assert_uint_eq(im.entries[2].uid, 25018);
	ck_assert_str_eq(im.entries[2].base, "1276530000.M1P2.host");
	maildir_import_index(&im);
	const struct maildir_import_entry *e =
	    maildir_import_find(&im, "1276529000.M1P2.host", 20);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->uid, 25017);
	ck_assert_ptr_null(maildir_import_find(&im, "1276529000.M1P2.hos", 19));
	maildir_import_free(&im);
}
END_TEST

START_TEST(parse_v1_and_bad_headers)
{
	struct maildir_import im = { 0 };
	const char *t = "1 1100000000 7\n3 a.b.c\n9 later.name:2,RS\n";
	ck_assert_int_eq(maildir_import_parse_uidlist(t, strlen(t), &im), 0);
	ck_assert_uint_eq(im.uidvalidity, 1100000000u);
	/* next UID raised above the highest UID seen */
	ck_assert_uint_eq(im.next_uid, 10);
	ck_assert_uint_eq(im.count, 2);
	ck_assert_str_eq(im.entries[1].base, "later.name");
	maildir_import_free(&im);
	static const char *const bad[] = {
		"", "2 1 2\n", "1 0 5\n", "1 5 3000000000\n", "1 5 6\n2999999999 x\n", "1 x 5\n", "3 N5\n", "1 5\n", "1 4294967296 2\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(maildir_import_parse_uidlist(bad[i], strlen(bad[i]), &im), -1);
		ck_assert_uint_eq(im.count, 0);
		maildir_import_free(&im);
	}
}
END_TEST

START_TEST(parse_keywords)
{
	struct maildir_import im = { 0 };
	const char *t = "0 $Junk\n1 NonJunk\n26 out\nx y\n2 bad word\n3 $junk\n1 again\n4 $Label1\r\n";
	ck_assert_int_eq(maildir_import_parse_keywords(t, strlen(t), &im), 3);
	ck_assert_str_eq(im.keywords[0], "$Junk");
	ck_assert_str_eq(im.keywords[1], "NonJunk");
	ck_assert_ptr_null(im.keywords[2]);
	ck_assert_ptr_null(im.keywords[3]);
	ck_assert_str_eq(im.keywords[4], "$Label1");
	maildir_import_free(&im);
}
END_TEST

START_TEST(takeover_dovecot)
{
	put("cur/1000.A.host,S=5:2,Sa", "hello");
	put("new/1001.B.host,S=5", "world");
	put("cur/1002.C.host:2,", "third");   /* not in the list: new UID */
	put("dovecot-uidlist",
	    "3 V1234567 N50\n"
	    "40 :1000.A.host,S=5\n"
	    "45 P0000002D0012D687 :1001.B.host,S=5:2,\n"
	    "47 :1003.gone.host\n");
	put("dovecot-keywords", "0 $Forwarded\n1 Work\n");
	char err[200];
	struct maildir_index *idx = maildir_index_open(root, err, sizeof(err));
	ck_assert_msg(idx != NULL, "%s", err);
	ck_assert_uint_eq(idx->uidvalidity, 1234567);
	ck_assert_uint_eq(idx->count, 3);
	ck_assert_uint_eq(idx->msgs[0].uid, 40);
	ck_assert_uint_eq(idx->msgs[0].flags, MAILDIR_FLAG_SEEN);
	ck_assert_uint_eq(idx->msgs[0].keywords, 1);
	ck_assert_uint_eq(idx->msgs[1].uid, 45);
	ck_assert_uint_eq(idx->msgs[2].uid, 50);
	ck_assert_uint_eq(idx->next_uid, 51);
	ck_assert_str_eq(idx->keywords[0], "$Forwarded");
	ck_assert_str_eq(idx->keywords[1], "Work");
	char u[POP3_UIDL_MAX + 1];
	pop3_uidl_make(u, sizeof(u), idx->msgs[0].uid, idx->uidvalidity, idx->msgs[0].pop3_uidl);
	ck_assert_str_eq(u, "000000280012d687");
	pop3_uidl_make(u, sizeof(u), idx->msgs[1].uid, idx->uidvalidity, idx->msgs[1].pop3_uidl);
	ck_assert_str_eq(u, "0000002D0012D687");
	maildir_index_free(idx);
	/* The import happens once: our index wins afterwards. */
	put("dovecot-uidlist", "3 V999 N5\n1 :1000.A.host,S=5\n");
	idx = maildir_index_open(root, err, sizeof(err));
	ck_assert_uint_eq(idx->uidvalidity, 1234567);
	ck_assert_uint_eq(idx->msgs[0].uid, 40);
	ck_assert_str_eq(idx->msgs[1].pop3_uidl, "0000002D0012D687");
	maildir_index_free(idx);
}
END_TEST

START_TEST(takeover_courier)
{
	put("cur/1000.A.host:2,S", "hello");
	put("cur/1001.B.host:2,", "world");
	put("courierimapuiddb", "1 777 20\n11 1000.A.host\n12 1001.B.host\n");
	char err[200];
	struct maildir_index *idx = maildir_index_open(root, err, sizeof(err));
	ck_assert_msg(idx != NULL, "%s", err);
	ck_assert_uint_eq(idx->uidvalidity, 777);
	ck_assert_uint_eq(idx->count, 2);
	ck_assert_uint_eq(idx->msgs[0].uid, 11);
	ck_assert_uint_eq(idx->msgs[1].uid, 12);
	ck_assert_uint_eq(idx->next_uid, 20);
	maildir_index_free(idx);
}
END_TEST

START_TEST(garbage_lists_are_harmless)
{
	put("cur/1000.A.host:2,S", "hello");
	put("dovecot-uidlist", "\x01\x02garbage\n1 2 3 4\n");
	put("courierimapuiddb", "not a list");
	char err[200];
	struct maildir_index *idx = maildir_index_open(root, err, sizeof(err));
	ck_assert_msg(idx != NULL, "%s", err);
	ck_assert_uint_eq(idx->count, 1);
	ck_assert_uint_eq(idx->msgs[0].uid, 1);
	maildir_index_free(idx);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("maildir_import");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, parse_v3);
	tcase_add_test(tc, parse_v1_and_bad_headers);
	tcase_add_test(tc, parse_keywords);
	tcase_add_test(tc, takeover_dovecot);
	tcase_add_test(tc, takeover_courier);
	tcase_add_test(tc, garbage_lists_are_harmless);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
