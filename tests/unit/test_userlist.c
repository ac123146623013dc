/* test_userlist.c: unit tests for common/userlist.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "passwd.h"
#include "userlist.h"

static char err[256];

static struct userlist *
parse(const char *s)
{
	err[0] = 0;
	return userlist_parse("users", s, strlen(s), err, sizeof(err));
}

START_TEST(parse_and_lookup)
{
	struct userlist *ul = parse(
	    "# comment\n"
	    "alice@Example.com:10001:10002:/m/alice:104857600:1000\n"
	    "\n"
	    "bob:10003:10003:/m/bob:0:0\r\n");
	ck_assert_msg(ul != NULL, "%s", err);
	ck_assert_uint_eq(userlist_count(ul), 2);
	const struct userlist_entry *e = userlist_lookup(ul, "alice@example.COM", 17);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->name, "alice@Example.com");
	ck_assert_uint_eq(e->uid, 10001);
	ck_assert_uint_eq(e->gid, 10002);
	ck_assert_str_eq(e->home, "/m/alice");
	ck_assert(e->quota_bytes == 104857600ULL);
	ck_assert(e->quota_messages == 1000);
	ck_assert_uint_eq(e->line, 2);
	ck_assert_ptr_null(userlist_lookup(ul, "Alice@example.com", 17));
	e = userlist_lookup(ul, "bob", 3);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->home, "/m/bob");
	ck_assert_ptr_null(userlist_lookup(ul, "bob@example.com", 15));
	ck_assert_ptr_null(userlist_lookup(ul, "", 0));
	ck_assert_ptr_eq(userlist_at(ul, 1), e);
	ck_assert_ptr_null(userlist_at(ul, 2));
	userlist_free(ul);
}
END_TEST

START_TEST(parse_errors)
{
	static const struct { const char *in, *msg; } cases[] = {
		{ "a:1:1:/h:0\n", "users:1: expected name:uid:gid:home:quota_bytes:quota_messages" },
		{ "#\na:1:1:/h:0:0:x\n", "users:2: too many fields" },
		{ "a:x:1:/h:0:0\n", "users:1: bad uid" },
		{ "a:1::/h:0:0\n", "users:1: bad gid" },
		{ "a:1:1:h:0:0\n", "users:1: home is not an absolute path" },
		{ "a:1:1:/h:1k:0\n", "users:1: bad quota_bytes" },
		{ "a:1:1:/h:0:99999999999999999999\n", "users:1: bad quota_messages" },
		{ "a b:1:1:/h:0:0\n", "users:1: bad user name" },
		{ "a@x:1:1:/h:0:0\na@X:2:2:/h:0:0\n", "users:2: duplicate user" },
		{ "a:1:1:/h\x1b:0:0\n", "users:1: control character in line" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(parse(cases[i].in) == NULL, "case %zu parsed", i);
		ck_assert_str_eq(err, cases[i].msg);
	}
	ck_assert_ptr_null(userlist_parse("users", "a:1:1:/h:0:0\0", 13, err,
	    sizeof(err)));
	/* length bounds: the parser reads only len bytes */
	struct userlist *ul = userlist_parse("users", "a:1:1:/h:0:0garbage", 12,
	    err, sizeof(err));
	ck_assert_msg(ul != NULL, "%s", err);
	ck_assert_uint_eq(userlist_count(ul), 1);
	userlist_free(ul);
}
END_TEST

START_TEST(generated_from_passwd)
{
	const char *pw =
	    "# c\n"
	    "alice@example.com:{CRYPT}$y$abc:10001:10001::/m/alice@example.com::userdb_quota_rule=*:storage=1G\n"
	    "bob:{CRYPT}$y$def:10002:10003::/m/bob::quota_messages=5\n";
	struct passwd_file *pf = passwd_parse("pw", pw, strlen(pw), err, sizeof(err));
	ck_assert_msg(pf != NULL, "%s", err);
	struct buf b = BUF_INIT;
	userlist_format(pf, &b);
	ck_assert_ptr_null(strstr(buf_cstr(&b), "$y$"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b),
	    "\nalice@example.com:10001:10001:/m/alice@example.com:1073741824:0\n"
	    "bob:10002:10003:/m/bob:0:5\n"));

	char dir[] = "/tmp/test_userlist.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/users", dir);
	ck_assert_ptr_null(userlist_load(path, 0, err, sizeof(err)));
	struct userlist *ul = userlist_load(path, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(ul);
	ck_assert_uint_eq(userlist_count(ul), 0);
	userlist_free(ul);
	umask(077);
	ck_assert_msg(userlist_write(pf, path, err, sizeof(err)) == 0, "%s", err);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ul = userlist_load(path, 0, err, sizeof(err));
	ck_assert_msg(ul != NULL, "%s", err);
	ck_assert_uint_eq(userlist_count(ul), 2);
	ck_assert_uint_eq(userlist_lookup(ul, "bob", 3)->gid, 10003);
	ck_assert(userlist_lookup(ul, "alice@EXAMPLE.com", 17)->quota_bytes == 1ULL << 30);
	userlist_free(ul);

	FILE *f = fopen(path, "a");
	fputs("broken\n", f);
	fclose(f);
	ck_assert_ptr_null(userlist_load(path, 0, err, sizeof(err)));
	char want[400];
	snprintf(want, sizeof(want), "%s:5: expected name:uid:gid:home:quota_bytes:quota_messages", path);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(userlist_load(dir, 0, err, sizeof(err)));
	unlink(path);
	rmdir(dir);
	buf_free(&b);
	passwd_free(pf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("userlist");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_and_lookup);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, generated_from_passwd);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
