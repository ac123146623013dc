/* test_table.c: unit tests for common/table.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "table.h"

static char err[512];

static struct table *
parse(const char *s)
{
	err[0] = '\0';
	return table_parse("t", s, strlen(s), err, sizeof(err));
}

START_TEST(entries_and_lines)
{
	struct table *t = parse(
	    "# comment\n"
	    "\n"
	    "  example.org  \n"
	    "\texample.net\t# trailing comment\r\n"
	    "a#b\n"
	    "   # indented comment\n"
	    "name: x, y\n"
	    "last-no-newline");
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(t->count, 5);
	ck_assert_str_eq(t->entries[0].text, "example.org");
	ck_assert_uint_eq(t->entries[0].line, 3);
	ck_assert_uint_eq(t->entries[0].len, 11);
	ck_assert_str_eq(t->entries[1].text, "example.net");
	ck_assert_uint_eq(t->entries[1].line, 4);
	ck_assert_str_eq(t->entries[2].text, "a#b");   /* '#' inside a word is data */
	ck_assert_str_eq(t->entries[3].text, "name: x, y");
	ck_assert_uint_eq(t->entries[3].line, 7);
	ck_assert_str_eq(t->entries[4].text, "last-no-newline");
	ck_assert_uint_eq(t->entries[4].line, 8);
	ck_assert_str_eq(t->path, "t");
	table_free(t);

	t = parse("");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->count, 0);
	table_free(t);
	table_free(NULL);
}
END_TEST

START_TEST(control_characters)
{
	struct table *t = parse("ok\nbad\x01line\n");
	ck_assert_ptr_null(t);
	ck_assert_str_eq(err, "t:2: control character in line");
	t = parse("a\r\rb\n");
	ck_assert_ptr_null(t);
	t = parse("x\x7f\n");
	ck_assert_ptr_null(t);
	ck_assert_str_eq(err, "t:1: control character in line");
	t = table_parse("n", "a\n\0b\n", 5, err, sizeof(err));
	ck_assert_ptr_null(t);
	ck_assert_str_eq(err, "n:2: control character in line");
}
END_TEST

START_TEST(no_read_past_len)
{
	/* exactly len bytes, not NUL-terminated */
	char *p = malloc(3);
	memcpy(p, "abc", 3);
	struct table *t = table_parse("m", p, 2, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->count, 1);
	ck_assert_str_eq(t->entries[0].text, "ab");
	table_free(t);
	free(p);
}
END_TEST

START_TEST(load_files)
{
	char path[] = "/tmp/test_table_XXXXXX";
	int fd = mkstemp(path);
	const char *s = "one\ntwo\n";
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, strlen(s)), (int)strlen(s));
	close(fd);

	struct table *t = table_load(path, 1024, 0, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_uint_eq(t->count, 2);
	ck_assert_str_eq(t->path, path);
	ck_assert_str_eq(t->entries[1].text, "two");
	table_free(t);

	t = table_load(path, 4, 0, err, sizeof(err));
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(err, "larger than 4 bytes") != NULL, "%s", err);

	/* symlinks are refused (O_NOFOLLOW) */
	char link[64];
	snprintf(link, sizeof(link), "%s.lnk", path);
	ck_assert_int_eq(symlink(path, link), 0);
	t = table_load(link, 1024, 0, err, sizeof(err));
	ck_assert_ptr_null(t);
	ck_assert_msg(strncmp(err, link, strlen(link)) == 0, "%s", err);
	unlink(link);

	unlink(path);
	t = table_load(path, 1024, 0, err, sizeof(err));
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
	t = table_load(path, 1024, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->count, 0);
	table_free(t);
}
END_TEST

START_TEST(many_entries)
{
	size_t n = 10000, i, len = 0;
	char *p = malloc(n * 8);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(p + len, "e%zu\n", i);
	struct table *t = table_parse("big", p, len, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->count, n);
	ck_assert_str_eq(t->entries[n - 1].text, "e9999");
	ck_assert_uint_eq(t->entries[n - 1].line, n);
	table_free(t);
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, entries_and_lines);
	tcase_add_test(tc, control_characters);
	tcase_add_test(tc, no_read_past_len);
	tcase_add_test(tc, load_files);
	tcase_add_test(tc, many_entries);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
