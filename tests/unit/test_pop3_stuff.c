/* test_pop3_stuff.c: unit tests for pop3d/pop3_stuff.c (LF -> CRLF and
 * dot-stuffing of RETR/TOP, in chunks of every size) and pop3d/pop3_sizes.c
 * (the CRLF size cache file). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pop3.h"

/* Convert in chunks of chunk bytes; returns the output (caller frees). */
static char *
convert(const char *in, size_t len, size_t chunk, int top, uint32_t lines,
    size_t *outlen, uint64_t *sent)
{
	struct pop3_stuff st;
	struct buf out = BUF_INIT;
	size_t off = 0;

	pop3_stuff_init(&st, top, lines);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (pop3_stuff_append(&st, in + off, n, &out))
			break;
		off += n;
	}
	if (sent)
		*sent = st.sent;
	pop3_stuff_finish(&st, &out);
	buf_cstr(&out);
	return buf_steal(&out, outlen);
}

static void
check_all_chunks(const char *in, const char *want, int top, uint32_t lines)
{
	for (size_t chunk = 1; chunk <= strlen(in) + 1; chunk++) {
		size_t n;
		char *got = convert(in, strlen(in), chunk, top, lines, &n, NULL);
		ck_assert_msg(n == strlen(want) && memcmp(got, want, n) == 0,
		    "chunk %zu: got [%.*s] want [%s]", chunk, (int)n, got, want);
		free(got);
	}
}

START_TEST(lf_to_crlf)
{
	check_all_chunks("a\nb\n", "a\r\nb\r\n.\r\n", 0, 0);
	check_all_chunks("a\r\nb\r\n", "a\r\nb\r\n.\r\n", 0, 0);
	check_all_chunks("a\r\nb\nc", "a\r\nb\r\nc\r\n.\r\n", 0, 0);
	check_all_chunks("x\ry\n", "x\ry\r\n.\r\n", 0, 0);
	check_all_chunks("", ".\r\n", 0, 0);
	check_all_chunks("\n\n", "\r\n\r\n.\r\n", 0, 0);
}
END_TEST

START_TEST(dot_stuffing)
{
	check_all_chunks(".\n", "..\r\n.\r\n", 0, 0);
	check_all_chunks("a\n.b\n..c\nd.\n", "a\r\n..b\r\n...c\r\nd.\r\n.\r\n", 0, 0);
	check_all_chunks(".", "..\r\n.\r\n", 0, 0);
	check_all_chunks("a\r\n.\r\n", "a\r\n..\r\n.\r\n", 0, 0);
}
END_TEST

START_TEST(sent_counts_crlf_octets)
{
	const char *in = "Subject: x\n\n.dot\nlast";
	uint64_t sent;
	size_t n;
	char *got = convert(in, strlen(in), 3, 0, 0, &n, &sent);
	/* 4 lines, 3 LFs become CRLF; the stuffed dot is not counted */
	ck_assert_uint_eq(sent, strlen(in) + 3);
	free(got);
}
END_TEST

START_TEST(top)
{
	const char *msg = "A: 1\nB: 2\n\nl1\nl2\n.l3\nl4\n";
	check_all_chunks(msg, "A: 1\r\nB: 2\r\n\r\n.\r\n", 1, 0);
	check_all_chunks(msg, "A: 1\r\nB: 2\r\n\r\nl1\r\n.\r\n", 1, 1);
	check_all_chunks(msg, "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n..l3\r\n.\r\n", 1, 3);
	check_all_chunks(msg, "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n..l3\r\nl4\r\n.\r\n", 1, 100);
	/* CRLF header end */
	check_all_chunks("A: 1\r\n\r\nbody\r\n", "A: 1\r\n\r\n.\r\n", 1, 0);
	/* no blank line: all of it is header */
	check_all_chunks("A: 1\nB: 2", "A: 1\r\nB: 2\r\n.\r\n", 1, 0);
	/* a line holding only CR is not the blank line... but "\r\n" is */
	check_all_chunks("A: 1\n\rx\n\nb\n", "A: 1\r\n\rx\r\n\r\n.\r\n", 1, 0);
}
END_TEST

START_TEST(nul_passes)
{
	const char in[] = "a\0b\n";
	size_t n;
	char *got = convert(in, 4, 2, 0, 0, &n, NULL);
	ck_assert_uint_eq(n, 8);
	ck_assert_mem_eq(got, "a\0b\r\n.\r\n", 8);
	free(got);
}
END_TEST

START_TEST(sizes_roundtrip)
{
	struct pop3_sizes s, t;
	struct buf b = BUF_INIT;
	uint64_t v;

	pop3_sizes_init(&s);
	s.uidvalidity = 77;
	pop3_sizes_put(&s, 5, 500);
	pop3_sizes_put(&s, 2, 200);
	pop3_sizes_put(&s, 9, 900);
	pop3_sizes_put(&s, 2, 201);
	ck_assert(s.dirty);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_int_eq(pop3_sizes_get(&s, 2, &v), 0);
	ck_assert_uint_eq(v, 201);
	ck_assert_int_eq(pop3_sizes_get(&s, 3, &v), -1);
	pop3_sizes_serialize(&s, &b);
	ck_assert_str_eq(buf_cstr(&b), "PSZ1 77\n2 201\n5 500\n9 900\n");
	pop3_sizes_init(&t);
	ck_assert_int_eq(pop3_sizes_parse(&t, b.p, b.len, 77), 0);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_int_eq(pop3_sizes_get(&t, 9, &v), 0);
	ck_assert_uint_eq(v, 900);
	/* another UIDVALIDITY: the cache is void */
	ck_assert_int_eq(pop3_sizes_parse(&t, b.p, b.len, 78), -1);
	ck_assert_uint_eq(t.n, 0);
	pop3_sizes_free(&t);
	pop3_sizes_free(&s);
	buf_free(&b);
}
END_TEST

START_TEST(sizes_bad_files)
{
	const char *bad[] = { "", "PSZ1\n", "PSZ2 1\n", "PSZ1 1\n2 3", "PSZ1 1\n3 1\n2 1\n",
		"PSZ1 1\n0 5\n", "PSZ1 1\n1 99999999999999999999999\n", "PSZ1 1\n1  2\n",
		"PSZ1 99999999999\n", "PSZ1 1\n1 2\n1 3\n", "PSZ1 1\nx y\n" };
	struct pop3_sizes s;
	pop3_sizes_init(&s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(pop3_sizes_parse(&s, bad[i], strlen(bad[i]), 0) == -1,
		    "accepted [%s]", bad[i]);
		ck_assert_uint_eq(s.n, 0);
	}
	ck_assert_int_eq(pop3_sizes_parse(&s, "PSZ1 1\n", 7, 0), 0);
	ck_assert_uint_eq(s.uidvalidity, 1);
	pop3_sizes_free(&s);
}
END_TEST

START_TEST(sizes_file)
{
	char dir[] = "/tmp/test_pop3_sizes.XXXXXX";
	struct pop3_sizes s, t;
	uint64_t v;
	char path[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	pop3_sizes_init(&s);
	pop3_sizes_init(&t);
	s.uidvalidity = 12;
	pop3_sizes_put(&s, 1, 10);
	pop3_sizes_save(&s, dir);
	pop3_sizes_load(&t, dir, 12);
	ck_assert_int_eq(pop3_sizes_get(&t, 1, &v), 0);
	ck_assert_uint_eq(v, 10);
	pop3_sizes_load(&t, dir, 13);
	ck_assert_uint_eq(t.n, 0);
	pop3_sizes_free(&s);
	pop3_sizes_free(&t);
	snprintf(path, sizeof(path), "%s/%s", dir, POP3_SIZES_FILE);
	unlink(path);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pop3_stuff");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, lf_to_crlf);
	tcase_add_test(tc, dot_stuffing);
	tcase_add_test(tc, sent_counts_crlf_octets);
	tcase_add_test(tc, top);
	tcase_add_test(tc, nul_passes);
	tcase_add_test(tc, sizes_roundtrip);
	tcase_add_test(tc, sizes_bad_files);
	tcase_add_test(tc, sizes_file);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
