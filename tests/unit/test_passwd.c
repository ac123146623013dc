/* test_passwd.c: unit tests for common/passwd.c and common/crypt_verify.c. */
#include <check.h>
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "passwd.h"

static char err[256];

static struct passwd_file *
parse(const char *s)
{
	err[0] = 0;
	return passwd_parse("pw", s, strlen(s), err, sizeof(err));
}

/* A real hash of password for a setting prefix ("$6$", "$2b$", "$y$"). */
static char *
mkhash(const char *prefix, const char *password)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	ck_assert_ptr_nonnull(crypt_gensalt_rn(prefix, prefix[1] == '2' ? 5 : 0,
	    NULL, 0, setting, sizeof(setting)));
	char *h = crypt_rn(password, setting, &cd, sizeof(cd));
	ck_assert_ptr_nonnull(h);
	return strdup(h);
}

START_TEST(parse_full_line)
{
	struct passwd_file *pf = parse(
	    "# comment\n"
	    "\n"
	    "alice@example.com:{CRYPT}$y$j9T$abc$def:10001:10002:Alice:/srv/mail/alice::"
	    "userdb_quota_rule=*:storage=100M userdb_quota_rule2=*:messages=1000 foo=bar\n"
	    "bob:{PLAIN}secret:10003:10003::/home/bob\r\n");
	ck_assert_msg(pf != NULL, "%s", err);
	ck_assert_uint_eq(passwd_count(pf), 2);
	const struct passwd_entry *a = passwd_at(pf, 0);
	ck_assert_str_eq(a->name, "alice@example.com");
	ck_assert_str_eq(a->password, "{CRYPT}$y$j9T$abc$def");
	ck_assert_uint_eq(a->uid, 10001);
	ck_assert_uint_eq(a->gid, 10002);
	ck_assert_str_eq(a->gecos, "Alice");
	ck_assert_str_eq(a->home, "/srv/mail/alice");
	ck_assert_str_eq(a->shell, "");
	ck_assert(a->quota_bytes == 100ULL << 20);
	ck_assert(a->quota_messages == 1000);
	ck_assert_uint_eq(a->line, 3);
	const struct passwd_entry *b = passwd_at(pf, 1);
	ck_assert_str_eq(b->home, "/home/bob");
	ck_assert_str_eq(b->extra, "");
	ck_assert(b->quota_bytes == 0 && b->quota_messages == 0);
	ck_assert_ptr_null(passwd_at(pf, 2));
	passwd_free(pf);
}
END_TEST

START_TEST(plain_quota_words)
{
	struct passwd_file *pf = parse(
	    "u:x:1:1::/h::quota_bytes=5000 quota_messages=7\n"
	    "v:x:1:1::/h::userdb_quota_rule=*:storage=2G:messages=3 quota_rule=Trash:storage=+1M\n"
	    "w:x:1:1::/h::quota_rule=*:bytes=12k\n");
	ck_assert_msg(pf != NULL, "%s", err);
	ck_assert(passwd_at(pf, 0)->quota_bytes == 5000);
	ck_assert(passwd_at(pf, 0)->quota_messages == 7);
	ck_assert(passwd_at(pf, 1)->quota_bytes == 2ULL << 30);
	ck_assert(passwd_at(pf, 1)->quota_messages == 3);
	ck_assert(passwd_at(pf, 2)->quota_bytes == 12 * 1024);
	passwd_free(pf);
}
END_TEST

START_TEST(parse_errors)
{
	static const struct { const char *in, *msg; } cases[] = {
		{ "a\n", "pw:1: no password field" },
		{ "#x\na:b\n", "pw:2: missing uid, gid or home field" },
		{ "a:b:x:1::/h\n", "pw:1: bad uid" },
		{ "a:b:1:-1::/h\n", "pw:1: bad gid" },
		{ "a:b:1:1::\n", "pw:1: home is not an absolute path" },
		{ "a:b:1:1::rel\n", "pw:1: home is not an absolute path" },
		{ "a:b:4294967295:1::/h\n", "pw:1: bad uid" },
		{ "a:b:99999999999999999999999:1::/h\n", "pw:1: bad uid" },
		{ ":b:1:1::/h\n", "pw:1: bad user name" },
		{ "a b:b:1:1::/h\n", "pw:1: bad user name" },
		{ "a@:b:1:1::/h\n", "pw:1: bad user name" },
		{ "a/b:b:1:1::/h\n", "pw:1: bad user name" },
		{ "a:b:1:1::/h\na:c:2:2::/h\n", "pw:2: duplicate user" },
		{ "a@EX.org:b:1:1::/h\nx\x01:c\n", "pw:2: control character in line" },
		{ "a@EX.org:b:1:1::/h\na@ex.ORG:c:2:2::/h\n", "pw:2: duplicate user" },
		{ "a:b:1:1::/h::quota_bytes=12Q\n", "pw:1: bad quota_bytes" },
		{ "a:b:1:1::/h::userdb_quota_rule=*:storage=lots\n",
		  "pw:1: bad quota rule storage value" },
		{ "a:b:1:1::/h::quota_rule2=*:messages=-1\n",
		  "pw:1: bad quota rule messages value" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct passwd_file *pf = parse(cases[i].in);
		ck_assert_msg(pf == NULL, "case %zu parsed", i);
		ck_assert_str_eq(err, cases[i].msg);
	}
	/* NUL byte inside */
	struct passwd_file *pf = passwd_parse("pw", "a:b:1:1::/h\0", 12, err,
	    sizeof(err));
	ck_assert_ptr_null(pf);
	ck_assert_str_eq(err, "pw:1: control character in line");
}
END_TEST

START_TEST(line_too_long)
{
	size_t n = PASSWD_MAX_LINE + 10;
	char *s = malloc(n + 1);
	memset(s, 'a', n);
	s[n] = 0;
	ck_assert_ptr_null(parse(s));
	ck_assert_str_eq(err, "pw:1: line too long");
	free(s);
}
END_TEST

START_TEST(lookup_names)
{
	struct passwd_file *pf = parse(
	    "Alice@Example.COM:x:1:1::/h\nbob:x:2:2::/h\nbob@example.com:x:3:3::/h\n");
	ck_assert_msg(pf != NULL, "%s", err);
	const struct passwd_entry *e;
	e = passwd_lookup(pf, "Alice@example.com", 17);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->uid, 1);
	ck_assert_ptr_nonnull(passwd_lookup(pf, "Alice@EXAMPLE.com", 17));
	/* local part is case-sensitive */
	ck_assert_ptr_null(passwd_lookup(pf, "alice@example.com", 17));
	e = passwd_lookup(pf, "bob", 3);
	ck_assert_uint_eq(e->uid, 2);
	e = passwd_lookup(pf, "bob@EXAMPLE.com", 15);
	ck_assert_uint_eq(e->uid, 3);
	ck_assert_ptr_null(passwd_lookup(pf, "bo", 2));
	ck_assert_ptr_null(passwd_lookup(pf, "", 0));
	ck_assert_ptr_null(passwd_lookup(pf, "bob\0x", 5));
	/* only len bytes are read */
	ck_assert_ptr_nonnull(passwd_lookup(pf, "bobby", 3));
	ck_assert(passwd_name_eq("a@B.c", 5, "a@b.C", 5));
	ck_assert(!passwd_name_eq("A@b.c", 5, "a@b.c", 5));
	ck_assert(!passwd_name_eq("a@b", 3, "a@bc", 4));
	passwd_free(pf);
}
END_TEST

START_TEST(name_valid)
{
	ck_assert(passwd_name_valid("user", 4));
	ck_assert(passwd_name_valid("user.name+x@example.com", 23));
	ck_assert(passwd_name_valid("j\xc3\xb6rg", 5));
	ck_assert(!passwd_name_valid("", 0));
	ck_assert(!passwd_name_valid(".hidden", 7));
	ck_assert(!passwd_name_valid("-opt", 4));
	ck_assert(!passwd_name_valid("a:b", 3));
	ck_assert(!passwd_name_valid("a\tb", 3));
	ck_assert(!passwd_name_valid("a@b@c", 5));
	ck_assert(!passwd_name_valid("@b", 2));
	ck_assert(!passwd_name_valid("a/../b", 6));
	char big[PASSWD_MAX_NAME + 2];
	memset(big, 'a', sizeof(big));
	ck_assert(passwd_name_valid(big, PASSWD_MAX_NAME));
	ck_assert(!passwd_name_valid(big, PASSWD_MAX_NAME + 1));
}
END_TEST

START_TEST(verify_schemes)
{
	char stored[512];
	char *h6 = mkhash("$6$", "s3cret");
	char *h2 = mkhash("$2b$", "s3cret");
	char *hy = mkhash("$y$", "s3cret");

	snprintf(stored, sizeof(stored), "{SHA512-CRYPT}%s", h6);
	ck_assert_int_eq(passwd_verify(stored, "s3cret", 6, 0), PASSWD_OK);
	ck_assert_int_eq(passwd_verify(stored, "s3creT", 6, 0), PASSWD_MISMATCH);
	ck_assert_int_eq(passwd_verify(stored, "s3cre", 5, 0), PASSWD_MISMATCH);
	ck_assert_int_eq(passwd_verify(stored, "s3cret\0x", 8, 0), PASSWD_MISMATCH);
	snprintf(stored, sizeof(stored), "{sha512-crypt}%s", h6);
	ck_assert_int_eq(passwd_verify(stored, "s3cret", 6, 0), PASSWD_OK);
	snprintf(stored, sizeof(stored), "{BLF-CRYPT}%s", h2);
	ck_assert_int_eq(passwd_verify(stored, "s3cret", 6, 0), PASSWD_OK);
	ck_assert_int_eq(passwd_verify(stored, "wrong", 5, 0), PASSWD_MISMATCH);
	snprintf(stored, sizeof(stored), "{CRYPT}%s", hy);
	ck_assert_int_eq(passwd_verify(stored, "s3cret", 6, 0), PASSWD_OK);
	ck_assert_int_eq(passwd_verify(stored, "wrong", 5, 0), PASSWD_MISMATCH);
	/* {CRYPT} also takes $6$ and $2b$; no scheme means {CRYPT} */
	snprintf(stored, sizeof(stored), "{CRYPT}%s", h6);
	ck_assert_int_eq(passwd_verify(stored, "s3cret", 6, 0), PASSWD_OK);
	snprintf(stored, sizeof(stored), "{CRYPT}%s", h2);
	ck_assert_int_eq(passwd_verify(stored, "s3cret", 6, 0), PASSWD_OK);
	ck_assert_int_eq(passwd_verify(hy, "s3cret", 6, 0), PASSWD_OK);
	/* scheme and hash kind must agree */
	snprintf(stored, sizeof(stored), "{SHA512-CRYPT}%s", hy);
	ck_assert_int_eq(passwd_verify(stored, "s3cret", 6, 0), PASSWD_BADSCHEME);
	snprintf(stored, sizeof(stored), "{BLF-CRYPT}%s", h6);
	ck_assert_int_eq(passwd_verify(stored, "s3cret", 6, 0), PASSWD_BADSCHEME);
	free(h6);
	free(h2);
	free(hy);
}
END_TEST

START_TEST(verify_refusals)
{
	/* weak or unknown schemes never verify */
	ck_assert_int_eq(passwd_verify("{CRYPT}abJnggxhB/yWI", "x", 1, 0), PASSWD_BADSCHEME);
	ck_assert_int_eq(passwd_verify("{CRYPT}$1$abc$def", "x", 1, 0), PASSWD_BADSCHEME);
	ck_assert_int_eq(passwd_verify("{SSHA}abcdef", "x", 1, 0), PASSWD_BADSCHEME);
	ck_assert_int_eq(passwd_verify("{CRYPT", "x", 1, 0), PASSWD_BADSCHEME);
	/* PLAIN only with the flag */
	ck_assert_int_eq(passwd_verify("{PLAIN}pw", "pw", 2, 0), PASSWD_BADSCHEME);
	ck_assert_int_eq(passwd_verify("{PLAIN}pw", "pw", 2, PASSWD_ALLOW_PLAIN), PASSWD_OK);
	ck_assert_int_eq(passwd_verify("{PLAIN}pw", "pwx", 3, PASSWD_ALLOW_PLAIN), PASSWD_MISMATCH);
	ck_assert_int_eq(passwd_verify("{PLAIN}pw", "p", 1, PASSWD_ALLOW_PLAIN), PASSWD_MISMATCH);
	ck_assert_int_eq(passwd_verify("{PLAIN}", "", 0, PASSWD_ALLOW_PLAIN), PASSWD_MISMATCH);
	/* empty and locked hashes */
	ck_assert_int_eq(passwd_verify("", "", 0, 0), PASSWD_MISMATCH);
	ck_assert_int_eq(passwd_verify("{CRYPT}", "", 0, 0), PASSWD_MISMATCH);
	ck_assert_int_eq(passwd_verify("{CRYPT}!$y$abc", "x", 1, 0), PASSWD_MISMATCH);
	ck_assert_int_eq(passwd_verify("*", "x", 1, 0), PASSWD_MISMATCH);
	ck_assert_int_eq(passwd_verify(NULL, "x", 1, 0), PASSWD_MISMATCH);
	/* a malformed hash of an accepted kind does not verify */
	ck_assert_int_eq(passwd_verify("{CRYPT}$6$", "x", 1, 0), PASSWD_MISMATCH);
	ck_assert_int_eq(passwd_verify("{CRYPT}$y$!!", "x", 1, 0), PASSWD_MISMATCH);
}
END_TEST

START_TEST(hash_new)
{
	struct buf b = BUF_INIT, c = BUF_INIT;
	ck_assert_int_eq(passwd_hash("hunter2", 7, &b), 0);
	ck_assert(strncmp(buf_cstr(&b), "{CRYPT}$y$", 10) == 0);
	ck_assert_ptr_null(strchr(buf_cstr(&b), ':'));
	ck_assert_int_eq(passwd_verify(buf_cstr(&b), "hunter2", 7, 0), PASSWD_OK);
	ck_assert_int_eq(passwd_verify(buf_cstr(&b), "hunter3", 7, 0), PASSWD_MISMATCH);
	/* fresh salt each time */
	ck_assert_int_eq(passwd_hash("hunter2", 7, &c), 0);
	ck_assert_str_ne(buf_cstr(&b), buf_cstr(&c));
	buf_reset(&c);
	ck_assert_int_eq(passwd_hash("a\0b", 3, &c), -1);
	ck_assert_uint_eq(c.len, 0);
	buf_free(&b);
	buf_free(&c);
}
END_TEST

START_TEST(edit_keeps_other_lines)
{
	const char *in =
	    "# users\n"
	    "alice:{PLAIN}a:10001:10001::/m/alice::keep=me\n"
	    "   # indented comment\n"
	    "\n"
	    "bob:{PLAIN}b:10002:10002:Bob:/m/bob:/bin/false:\n";
	struct passwd_file *pf = parse(in);
	ck_assert_msg(pf != NULL, "%s", err);
	struct buf out = BUF_INIT;
	/* unchanged file formats exactly as read */
	passwd_format(pf, &out);
	ck_assert_str_eq(buf_cstr(&out), in);

	/* replace alice, keeping her other extra fields, adding a quota */
	struct passwd_entry e = *passwd_lookup(pf, "alice", 5);
	e.password = "{PLAIN}new";
	e.quota_bytes = 100ULL << 20;
	e.quota_messages = 50;
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), 0);
	/* add carol */
	struct passwd_entry c = { .name = "carol@Example.org", .password = "{PLAIN}c",
	    .uid = 10003, .gid = 10003, .home = "/m/carol@example.org",
	    .quota_bytes = 1000 };
	ck_assert_int_eq(passwd_set(pf, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(passwd_delete(pf, "bob", 3), 0);
	ck_assert_int_eq(passwd_delete(pf, "bob", 3), -1);
	buf_reset(&out);
	passwd_format(pf, &out);
	ck_assert_str_eq(buf_cstr(&out),
	    "# users\n"
	    "alice:{PLAIN}new:10001:10001::/m/alice::keep=me userdb_quota_rule=*:storage=100M userdb_quota_rule2=*:messages=50\n"
	    "   # indented comment\n"
	    "\n"
	    "carol@Example.org:{PLAIN}c:10003:10003::/m/carol@example.org::userdb_quota_rule=*:storage=1000\n");
	ck_assert_uint_eq(passwd_count(pf), 2);
	ck_assert_ptr_nonnull(passwd_lookup(pf, "carol@example.ORG", 17));

	/* quota words are replaced, not doubled, and removed at 0 */
	e = *passwd_lookup(pf, "alice", 5);
	e.quota_bytes = 0;
	e.quota_messages = 0;
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), 0);
	ck_assert_str_eq(passwd_lookup(pf, "alice", 5)->extra, "keep=me");

	/* the written text parses back to the same users */
	buf_reset(&out);
	passwd_format(pf, &out);
	struct passwd_file *again = passwd_parse("x", out.p, out.len, err, sizeof(err));
	ck_assert_msg(again != NULL, "%s", err);
	ck_assert(passwd_lookup(again, "carol@example.org", 17)->quota_bytes == 1000);
	passwd_free(again);
	buf_free(&out);
	passwd_free(pf);
}
END_TEST

START_TEST(edit_refusals)
{
	struct passwd_file *pf = passwd_new();
	struct passwd_entry e = { .name = "a", .password = "{PLAIN}x", .uid = 5,
	    .gid = 5, .home = "/h" };
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), 0);
	e.name = "a:b";
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "invalid user name");
	e.name = "b";
	e.gecos = "x:y";
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), -1);
	e.gecos = "x\ny";
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), -1);
	e.gecos = NULL;
	e.extra = "a=b\nc:d:e";
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), -1);
	e.extra = "c=d:e";   /* colons are fine in extra */
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), 0);
	e.home = "rel";
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "home is not an absolute path");
	e.home = "/h";
	e.uid = (uid_t)-1;
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), -1);
	ck_assert_uint_eq(passwd_count(pf), 2);
	passwd_free(pf);
}
END_TEST

static int
odd_or_102(uid_t u)
{
	return (u & 1) || u == 102;
}

START_TEST(free_uid)
{
	struct passwd_file *pf = parse(
	    "a:x:100:1::/h\nb:x:101:1::/h\nc:x:103:1::/h\nd:x:5:1::/h\n");
	uid_t u = 0;
	ck_assert_int_eq(passwd_free_uid(pf, 100, 200, &u), 0);
	ck_assert_uint_eq(u, 102);
	ck_assert_int_eq(passwd_free_uid(pf, 5, 5, &u), -1);
	ck_assert_int_eq(passwd_free_uid(pf, 100, 101, &u), -1);
	ck_assert_int_eq(passwd_free_uid(pf, 103, 104, &u), 0);
	ck_assert_uint_eq(u, 104);
	ck_assert_int_eq(passwd_free_uid(pf, 10, 9, &u), -1);
	/* taken() skips uids too (system accounts); the top of the range
	 * ends the search without wrapping */
	ck_assert_int_eq(passwd_free_uid_unless(pf, 100, 200, odd_or_102, &u), 0);
	ck_assert_uint_eq(u, 104);
	ck_assert_int_eq(passwd_free_uid_unless(pf, 101, 103, odd_or_102, &u), -1);
	ck_assert_int_eq(passwd_free_uid_unless(pf, (uid_t)-3, (uid_t)-1, odd_or_102, &u), 0);
	ck_assert_uint_eq(u, (uid_t)-2);
	ck_assert_int_eq(passwd_free_uid_unless(pf, (uid_t)-1, (uid_t)-1, odd_or_102, &u), -1);
	passwd_free(pf);
}
END_TEST

START_TEST(save_and_load)
{
	char dir[] = "/tmp/test_passwd.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/passwd", dir);

	/* missing file */
	ck_assert_ptr_null(passwd_load(path, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	struct passwd_file *pf = passwd_load(path, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(pf);
	ck_assert_uint_eq(passwd_count(pf), 0);

	struct passwd_entry e = { .name = "u@d", .password = "{PLAIN}x", .uid = 7,
	    .gid = 8, .home = "/m/u" };
	ck_assert_int_eq(passwd_set(pf, &e, err, sizeof(err)), 0);
	umask(022);
	ck_assert_msg(passwd_save(pf, path, err, sizeof(err)) == 0, "%s", err);
	passwd_free(pf);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	pf = passwd_load(path, 0, err, sizeof(err));
	ck_assert_msg(pf != NULL, "%s", err);
	ck_assert_uint_eq(passwd_lookup(pf, "u@D", 3)->gid, 8);
	passwd_free(pf);

	/* errors name the file and line */
	FILE *f = fopen(path, "w");
	fputs("ok:x:1:1::/h\nbad\n", f);
	fclose(f);
	ck_assert_ptr_null(passwd_load(path, 0, err, sizeof(err)));
	char want[300];
	snprintf(want, sizeof(want), "%s:2: no password field", path);
	ck_assert_str_eq(err, want);

	/* a directory is not a passwd-file; a bad target dir fails cleanly */
	ck_assert_ptr_null(passwd_load(dir, 0, err, sizeof(err)));
	char bad[300];
	snprintf(bad, sizeof(bad), "%s/nodir/passwd", dir);
	pf = passwd_new();
	ck_assert_int_eq(passwd_save(pf, bad, err, sizeof(err)), -1);
	passwd_free(pf);

	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(many_users)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < 20000; i++)
		buf_printf(&b, "user%d@example.com:x:%d:%d::/m/u%d\n", i, 10000 + i,
		    10000 + i, i);
	struct passwd_file *pf = passwd_parse("pw", b.p, b.len, err, sizeof(err));
	ck_assert_msg(pf != NULL, "%s", err);
	ck_assert_uint_eq(passwd_lookup(pf, "user12345@EXAMPLE.com", 21)->uid, 22345);
	uid_t u;
	ck_assert_int_eq(passwd_free_uid(pf, 10000, 60000, &u), 0);
	ck_assert_uint_eq(u, 30000);
	passwd_free(pf);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("passwd");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, parse_full_line);
	tcase_add_test(tc, plain_quota_words);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, line_too_long);
	tcase_add_test(tc, lookup_names);
	tcase_add_test(tc, name_valid);
	tcase_add_test(tc, verify_schemes);
	tcase_add_test(tc, verify_refusals);
	tcase_add_test(tc, hash_new);
	tcase_add_test(tc, edit_keeps_other_lines);
	tcase_add_test(tc, edit_refusals);
	tcase_add_test(tc, free_uid);
	tcase_add_test(tc, save_and_load);
	tcase_add_test(tc, many_users);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
