/* test_queuefile.c: unit tests for common/queuefile.c (the trailer of a
 * committed queue file and reading the envelope back from its end). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "queuefile.h"

/* A memfd holding msg, env and the trailer for them. */
static int
queue_file(const char *msg, const char *env)
{
	char t[QUEUEFILE_TRAILER_LEN];
	int fd = memfd_create("q", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(queuefile_trailer(t, strlen(msg), strlen(env)), 0);
	ck_assert_int_eq(write(fd, msg, strlen(msg)), (ssize_t)strlen(msg));
	ck_assert_int_eq(write(fd, env, strlen(env)), (ssize_t)strlen(env));
	ck_assert_int_eq(write(fd, t, sizeof(t)), (ssize_t)sizeof(t));
	return fd;
}

START_TEST(trailer_format)
{
	char t[QUEUEFILE_TRAILER_LEN + 1];
	uint64_t size;
	size_t elen;

	ck_assert_int_eq(queuefile_trailer(t, 4096, 300), 0);
	t[QUEUEFILE_TRAILER_LEN] = '\0';
	ck_assert_str_eq(t, "\nPQ1 0000000000001000 0000012c\n");
	ck_assert_int_eq(queuefile_parse_trailer(t, 4096 + 300 + QUEUEFILE_TRAILER_LEN,
	    &size, &elen), 0);
	ck_assert_uint_eq(size, 4096);
	ck_assert_uint_eq(elen, 300);
	/* the lengths must add up to the file's length exactly */
	ck_assert_int_eq(queuefile_parse_trailer(t, 4096 + 300 + QUEUEFILE_TRAILER_LEN + 1,
	    &size, &elen), -1);
	ck_assert_int_eq(queuefile_parse_trailer(t, 4096 + 300 + QUEUEFILE_TRAILER_LEN - 1,
	    &size, &elen), -1);
	ck_assert_int_eq(queuefile_parse_trailer(t, 10, &size, &elen), -1);
	/* an envelope too long for the field */
	ck_assert_int_eq(queuefile_trailer(t, 1, (size_t)0x100000000ULL), -1);
}
END_TEST

START_TEST(trailer_malformed)
{
	static const char *bad[] = {
		"\nPQ2 0000000000001000 0000012c\n",      /* other version */
		"\nPQ1 000000000000100G 0000012c\n",      /* not hex */
		"\nPQ1 0000000000001000 0000012C\n",      /* upper case */
		"\nPQ1 0000000000001000-0000012c\n",      /* separator */
		"\nPQ1 0000000000001000 0000012c ",       /* end */
		"xPQ1 0000000000001000 0000012c\n",       /* start */
	};
	uint64_t size;
	size_t elen, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(queuefile_parse_trailer(bad[i],
		    4096 + 300 + QUEUEFILE_TRAILER_LEN, &size, &elen), -1);
	/* lengths that would overflow when added */
	ck_assert_int_eq(queuefile_parse_trailer("\nPQ1 ffffffffffffffff 00000010\n",
	    16 + QUEUEFILE_TRAILER_LEN, &size, &elen), -1);
}
END_TEST

START_TEST(read_back)
{
	struct buf b = BUF_INIT;
	uint64_t size = 0;
	int fd = queue_file("Subject: x\n\nbody\n", "E1 envelope\n");

	ck_assert_int_eq(queuefile_read_envelope(fd, 1000, &b, &size), 0);
	ck_assert_uint_eq(size, strlen("Subject: x\n\nbody\n"));
	ck_assert_uint_eq(b.len, strlen("E1 envelope\n"));
	ck_assert_mem_eq(b.p, "E1 envelope\n", b.len);
	/* over the caller's bound: nothing read */
	buf_reset(&b);
	ck_assert_int_eq(queuefile_read_envelope(fd, 5, &b, &size), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_uint_eq(b.len, 0);
	close(fd);
	/* an empty message */
	fd = queue_file("", "E");
	ck_assert_int_eq(queuefile_read_envelope(fd, 1000, &b, &size), 0);
	ck_assert_uint_eq(size, 0);
	ck_assert_uint_eq(b.len, 1);
	close(fd);
	buf_free(&b);
}
END_TEST

START_TEST(not_a_queue_file)
{
	struct buf b = BUF_INIT;
	uint64_t size;
	int fd = memfd_create("n", MFD_CLOEXEC);

	/* too short, then a plain message, then a torn one */
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	ck_assert_int_eq(queuefile_read_envelope(fd, 1000, &b, &size), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(pwrite(fd, "Subject: a plain message, long enough\n\nbody\n", 44, 0), 44);
	ck_assert_int_eq(queuefile_read_envelope(fd, 1000, &b, &size), -1);
	ck_assert_int_eq(errno, EPROTO);
	close(fd);
	fd = queue_file("message\n", "envelope\n");
	ck_assert_int_eq(ftruncate(fd, 8 + 9 + QUEUEFILE_TRAILER_LEN + 1), 0);
	ck_assert_int_eq(queuefile_read_envelope(fd, 1000, &b, &size), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_uint_eq(b.len, 0);
	close(fd);
	buf_free(&b);
}
END_TEST

/* The path forms: the envelope from a file's tail; a whole file within
 * its bound, EFBIG beyond it (nothing appended), ENOENT. */
START_TEST(path_forms)
{
	char tmpl[] = "/tmp/test_queuefile.XXXXXX", t[QUEUEFILE_TRAILER_LEN];
	struct buf b = BUF_INIT;
	uint64_t size = 0;
	int fd = mkstemp(tmpl);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(queuefile_trailer(t, 4, 3), 0);
	ck_assert_int_eq(write(fd, "msg\nenv", 7), 7);
	ck_assert_int_eq(write(fd, t, sizeof(t)), (ssize_t)sizeof(t));
	close(fd);
	ck_assert_int_eq(queuefile_read_envelope_at(tmpl, 100, &b, &size), 0);
	ck_assert_uint_eq(size, 4);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(b.p, "env", 3);
	buf_reset(&b);
	/* the envelope bounded by max */
	ck_assert_int_eq(queuefile_read_envelope_at(tmpl, 2, &b, &size), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_uint_eq(b.len, 0);
	unlink(tmpl);
	ck_assert_int_eq(queuefile_read_envelope_at(tmpl, 100, &b, &size), -1);
	ck_assert_int_eq(errno, ENOENT);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("queuefile");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, trailer_format);
	tcase_add_test(tc, trailer_malformed);
	tcase_add_test(tc, read_back);
	tcase_add_test(tc, not_a_queue_file);
	tcase_add_test(tc, path_forms);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
