/* test_nss_files.c: unit tests for mk/nss_files.c, the files-only
 * passwd/group lookups of -static-pie programs. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nss_files.h"

/* Writes text to a new temporary file; returns its malloc'd path. */
static char *
temp_file(const char *text)
{
	char *path = strdup("/tmp/test_nss_files.XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const char PASSWD[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# a comment line\n"
    "postern-smtpd:x:995:994:postern service user:/nonexistent:/usr/sbin/nologin\n"
    "postern-smtp:x:990:990::/:/bin/false\n"
    "postern-q:x:999:995:postern service user:/nonexistent:/usr/sbin/nologin\n";

static const char GROUP[] =
    "root:x:0:\n"
    "postern-q:x:995:\n"
    "mail:x:8:postern-q,other\n"
    "disk:x:6:other\n"
    "queuers:x:700:postern-qx,postern-q\n"
    "again:x:995:postern-q\n"
    "big:x:800:a,b,c,postern-q,d\n";

START_TEST(getpwnam_finds_exact_names)
{
	char *p = temp_file(PASSWD);
	struct passwd *pw;

	pw = nssf_getpwnam(p, "postern-q");
	ck_assert_ptr_nonnull(pw);
	ck_assert_str_eq(pw->pw_name, "postern-q");
	ck_assert_uint_eq(pw->pw_uid, 999);
	ck_assert_uint_eq(pw->pw_gid, 995);
	ck_assert_str_eq(pw->pw_dir, "/nonexistent");
	pw = nssf_getpwnam(p, "postern-smtp");
	ck_assert_ptr_nonnull(pw);
	ck_assert_uint_eq(pw->pw_uid, 990);
	pw = nssf_getpwnam(p, "root");
	ck_assert_ptr_nonnull(pw);
	ck_assert_uint_eq(pw->pw_uid, 0);
	ck_assert_ptr_null(nssf_getpwnam(p, "postern"));
	ck_assert_ptr_null(nssf_getpwnam(p, "postern-smtpd2"));
	ck_assert_ptr_null(nssf_getpwnam(p, ""));
	ck_assert_ptr_null(nssf_getpwnam(p, NULL));
	unlink(p);
	free(p);
}
END_TEST

START_TEST(missing_file_is_not_found)
{
	errno = 0;
	ck_assert_ptr_null(nssf_getpwnam("/nonexistent/passwd", "root"));
	ck_assert_ptr_null(nssf_getgrnam("/nonexistent/group", "root"));
}
END_TEST

/* Read whole (in memory) or, empty or without a final newline, as it
 * comes: the same answers. */
START_TEST(empty_and_unterminated_files)
{
	char *e = temp_file("");
	char *u = temp_file("root:x:0:0::/root:/bin/sh\npostern-q:x:999:995::/:/bin/false");
	struct passwd *pw;

	ck_assert_ptr_null(nssf_getpwnam(e, "root"));
	ck_assert_ptr_null(nssf_getgrnam(e, "root"));
	pw = nssf_getpwnam(u, "postern-q");
	ck_assert_ptr_nonnull(pw);
	ck_assert_uint_eq(pw->pw_uid, 999);
	ck_assert_str_eq(pw->pw_shell, "/bin/false");
	/* looked up again: the same (nothing kept open between lookups) */
	pw = nssf_getpwnam(u, "root");
	ck_assert_ptr_nonnull(pw);
	ck_assert_uint_eq(pw->pw_uid, 0);
	unlink(e);
	unlink(u);
	free(e);
	free(u);
}
END_TEST

START_TEST(getgrnam_finds_group)
{
	char *p = temp_file(GROUP);
	struct group *gr;

	gr = nssf_getgrnam(p, "mail");
	ck_assert_ptr_nonnull(gr);
	ck_assert_uint_eq(gr->gr_gid, 8);
	ck_assert_str_eq(gr->gr_mem[0], "postern-q");
	ck_assert_str_eq(gr->gr_mem[1], "other");
	ck_assert_ptr_null(gr->gr_mem[2]);
	ck_assert_ptr_null(nssf_getgrnam(p, "mai"));
	unlink(p);
	free(p);
}
END_TEST

START_TEST(grouplist_primary_first_members_once)
{
	char *p = temp_file(GROUP);
	gid_t g[16];
	int n = 16;

	ck_assert_int_eq(nssf_getgrouplist(p, "postern-q", 995, g, &n), 4);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(g[0], 995);	/* primary; "again" (995) not twice */
	ck_assert_uint_eq(g[1], 8);
	ck_assert_uint_eq(g[2], 700);	/* "postern-qx" is another user */
	ck_assert_uint_eq(g[3], 800);
	n = 16;
	ck_assert_int_eq(nssf_getgrouplist(p, "nobody", 65534, g, &n), 1);
	ck_assert_uint_eq(g[0], 65534);
	unlink(p);
	free(p);
}
END_TEST

START_TEST(grouplist_too_small_reports_size)
{
	char *p = temp_file(GROUP);
	gid_t g[4];
	int n = 2;

	g[2] = g[3] = 12345;
	ck_assert_int_eq(nssf_getgrouplist(p, "postern-q", 995, g, &n), -1);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(g[0], 995);
	ck_assert_uint_eq(g[2], 12345);	/* nothing written past the room */
	n = 4;
	ck_assert_int_eq(nssf_getgrouplist(p, "postern-q", 995, g, &n), 4);
	n = 0;
	ck_assert_int_eq(nssf_getgrouplist(p, "postern-q", 995, g, &n), -1);
	ck_assert_int_gt(n, 0);
	unlink(p);
	free(p);
}
END_TEST

START_TEST(long_lines_are_read)
{
	/* a group line far longer than the first buffer */
	size_t cap = 200000;
	char *text = malloc(cap), *p;
	size_t off = 0;
	gid_t g[4];
	int n = 4;

	ck_assert_ptr_nonnull(text);
	off += (size_t)snprintf(text + off, cap - off, "huge:x:900:");
	for (int i = 0; i < 5000; i++)
		off += (size_t)snprintf(text + off, cap - off, "member%d,", i);
	snprintf(text + off, cap - off, "postern-q\nafter:x:901:postern-q\n");
	p = temp_file(text);
	ck_assert_int_eq(nssf_getgrouplist(p, "postern-q", 995, g, &n), 3);
	ck_assert_uint_eq(g[1], 900);
	ck_assert_uint_eq(g[2], 901);
	ck_assert_ptr_nonnull(nssf_getgrnam(p, "after"));
	unlink(p);
	free(p);
	free(text);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("nss_files");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, getpwnam_finds_exact_names);
	tcase_add_test(tc, missing_file_is_not_found);
	tcase_add_test(tc, empty_and_unterminated_files);
	tcase_add_test(tc, getgrnam_finds_group);
	tcase_add_test(tc, grouplist_primary_first_members_once);
	tcase_add_test(tc, grouplist_too_small_reports_size);
	tcase_add_test(tc, long_lines_are_read);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
