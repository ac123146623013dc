/* test_lines.c: unit tests for common/lines.c, the line walk of the
 * config, table, passwd-file and user-list readers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lines.h"

static enum lines_status
next(struct lines *it, char *out, size_t outlen)
{
	const char *l;
	size_t n;
	enum lines_status st = lines_next(it, &l, &n);

	if (st == LINES_OK) {
		ck_assert_uint_lt(n, outlen);
		memcpy(out, l, n);
		out[n] = '\0';
	}
	return st;
}

START_TEST(splits_and_counts)
{
	static const char text[] = "one\r\ntwo\n\n\tthree \nlast";
	struct lines it;
	char b[64];

	lines_init(&it, text, sizeof(text) - 1, 0);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_OK);
	ck_assert_str_eq(b, "one");
	ck_assert_uint_eq(it.lineno, 1);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_OK);
	ck_assert_str_eq(b, "two");
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_OK);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_OK);
	ck_assert_str_eq(b, "\tthree ");
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_OK);
	ck_assert_str_eq(b, "last");
	ck_assert_uint_eq(it.lineno, 5);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_END);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_END);
	ck_assert_uint_eq(it.lineno, 5);

	lines_init(&it, "", 0, 0);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_END);
	lines_init(&it, "\n", 1, 0);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_OK);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_END);
}
END_TEST

START_TEST(length_limit_counts_the_cr)
{
	struct lines it;
	char b[64];
	static const char text[] = "abcd\r\nabc\r\nabcde\nx";

	lines_init(&it, text, sizeof(text) - 1, 4);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_TOOLONG);
	ck_assert_uint_eq(it.lineno, 1);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_OK);
	ck_assert_str_eq(b, "abc");
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_TOOLONG);
	ck_assert_uint_eq(it.lineno, 3);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_OK);
	ck_assert_str_eq(b, "x");
}
END_TEST

START_TEST(control_characters)
{
	struct lines it;
	char b[64];
	/* a CR only before the LF; NUL, ESC, DEL anywhere are errors */
	static const char text[] = "a\rb\nok\nc\0d\ne\x1b\nf\x7f\n\r\r\n";

	lines_init(&it, text, sizeof(text) - 1, 0);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_CONTROL);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_OK);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_CONTROL);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_CONTROL);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_CONTROL);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_CONTROL);
	ck_assert_uint_eq(it.lineno, 6);
	ck_assert_int_eq(next(&it, b, sizeof(b)), LINES_END);
	ck_assert_str_eq(lines_why(LINES_CONTROL), "control character in line");
	ck_assert_str_eq(lines_why(LINES_TOOLONG), "line too long");
}
END_TEST

/* The word-at-a-time check against the octet rule: every octet value at
 * every position of lines of 1 to 24 octets, over a background of each
 * kind (plain, TAB, high octets). */
START_TEST(control_at_every_position)
{
	static const char fills[] = { 'a', '\t', (char)0x80, (char)0xff, '~', ' ' };
	char text[32], b[64];
	struct lines it;
	size_t n, pos, f;
	int v;

	for (f = 0; f < sizeof(fills); f++)
		for (n = 1; n <= 24; n++)
			for (pos = 0; pos < n; pos++)
				for (v = 0; v < 256; v++) {
					unsigned char c = (unsigned char)v;
					int bad = (c < 0x20 && c != '\t') || c == 0x7f;

					if (c == '\n' || (c == '\r' && pos == n - 1))
						continue;       /* a line end, not content */
					memset(text, fills[f], n);
					text[pos] = (char)c;
					lines_init(&it, text, n, 0);
					ck_assert_int_eq(next(&it, b, sizeof(b)),
					    bad ? LINES_CONTROL : LINES_OK);
				}
}
END_TEST

START_TEST(blank_or_comment)
{
	ck_assert(lines_is_blank_or_comment("", 0));
	ck_assert(lines_is_blank_or_comment(" \t ", 3));
	ck_assert(lines_is_blank_or_comment("# x", 3));
	ck_assert(lines_is_blank_or_comment("  #x", 4));
	ck_assert(!lines_is_blank_or_comment("a#", 2));
	ck_assert(!lines_is_blank_or_comment(" a", 2));
	/* the length wins over the bytes behind it */
	ck_assert(lines_is_blank_or_comment("  x", 2));
}
END_TEST

static void
entry(const char *s, const char *want)
{
	size_t b, e;

	lines_entry(s, strlen(s), &b, &e);
	ck_assert_uint_le(b, e);
	ck_assert_uint_le(e, strlen(s));
	ck_assert_uint_eq(e - b, strlen(want));
	ck_assert_mem_eq(s + b, want, e - b);
}

START_TEST(entries)
{
	entry("example.org", "example.org");
	entry("  example.org \t", "example.org");
	entry("a b", "a b");
	entry("# all comment", "");
	entry("   ", "");
	entry("", "");
	entry("key = value # why", "key = value");
	entry("key = value\t#why", "key = value");
	entry("a#b", "a#b");          /* '#' inside a word stays */
	entry("a#b #c", "a#b");
}
END_TEST

START_TEST(read_file)
{
	char dir[] = "/tmp/test_lines.XXXXXX", path[256], link[256], err[512];
	struct buf b = BUF_INIT;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("a\nbc\n", f);
	fclose(f);
	ck_assert_int_eq(symlink(path, link), 0);

	ck_assert_int_eq(lines_read_file(path, 5, 0, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_mem_eq(b.p, "a\nbc\n", 5);
	buf_reset(&b);
	ck_assert_int_eq(lines_read_file(path, 4, LINES_SECRET, &b, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/f: file larger than 4 bytes") != NULL, "%s",
	    err);
	buf_reset(&b);
	/* a link is followed unless told not to */
	ck_assert_int_eq(lines_read_file(link, 100, 0, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.len, 5);
	buf_reset(&b);
	ck_assert_int_eq(lines_read_file(link, 100, LINES_NOFOLLOW, &b, err,
	    sizeof(err)), -1);
	/* missing: 1, the error left alone */
	strcpy(err, "untouched");
	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_int_eq(lines_read_file(path, 100, 0, &b, err, sizeof(err)), 1);
	ck_assert_str_eq(err, "untouched");
	/* a directory is not a regular file */
	ck_assert_int_eq(lines_read_file(dir, 100, 0, &b, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);
	ck_assert_int_eq(lines_read_file("/dev/null", 100, 0, &b, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(lines_read_file("/dev/null", 100, LINES_ANY_TYPE, &b,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(b.len, 0);

	buf_free(&b);
	unlink(link);
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lines");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, splits_and_counts);
	tcase_add_test(tc, length_limit_counts_the_cr);
	tcase_add_test(tc, control_characters);
	tcase_add_test(tc, control_at_every_position);
	tcase_add_test(tc, blank_or_comment);
	tcase_add_test(tc, entries);
	tcase_add_test(tc, read_file);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
