/* test_lmtpd_data.c: unit tests for postern-lmtpd's DATA reader
 * (deliver/lmtpd_data.c): dot removal, CRLF to LF, size and line caps,
 * EOF inside DATA. */
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "buf.h"
#include "io.h"
#include "lmtpd.h"

/* runs the reader on input; returns its status, the stored file in out */
static int
run(const char *input, size_t len, uint64_t max, size_t max_line,
    struct buf *out, int *too_big, int *too_long, const char *rest_want)
{
	int p[2], fd, rc;
	struct io *io;
	struct buf prefix = BUF_INIT;
	uint64_t size;
	char tmp[4096];
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], input, len), (ssize_t)len);
	close(p[1]);
	fd = memfd_create("t", 0);
	io = io_new(p[0], -1, 2000);
	buf_puts(&prefix, "Received: x\n");
	rc = lmtp_data_read(io, fd, &prefix, max, max_line, &size, too_big, too_long);
	buf_reset(out);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, tmp, sizeof tmp)) > 0)
		buf_append(out, tmp, (size_t)n);
	if (rc == 0 && !*too_big && !*too_long)
		ck_assert_uint_eq(size, out->len);
	if (rest_want) {
		const char *line;
		size_t l;
		ck_assert_int_eq(io_getline(io, 100, &line, &l), IO_OK);
		ck_assert_mem_eq(line, rest_want, strlen(rest_want));
	}
	io_free(io);
	close(p[0]);
	close(fd);
	buf_free(&prefix);
	return rc;
}

START_TEST(unstuff_and_lf)
{
	struct buf out = BUF_INIT;
	int big, lng;
	const char *in = "Subject: x\r\n\r\n..dot\r\n...two\r\nbare lf\n.\r\nQUIT\r\n";

	ck_assert_int_eq(run(in, strlen(in), 1000, 100, &out, &big, &lng, "QUIT\r\n"), 0);
	ck_assert_int_eq(big, 0);
	ck_assert_int_eq(lng, 0);
	buf_putc(&out, 0);
	ck_assert_str_eq(out.p, "Received: x\nSubject: x\n\n.dot\n..two\nbare lf\n");
	buf_free(&out);
}
END_TEST

START_TEST(caps)
{
	struct buf out = BUF_INIT;
	int big, lng;
	const char *in = "0123456789\r\n0123456789\r\n.\r\nNEXT\r\n";

	/* the size cap: everything is still read up to the dot */
	ck_assert_int_eq(run(in, strlen(in), 30, 100, &out, &big, &lng, "NEXT"), 0);
	ck_assert_int_eq(big, 1);
	ck_assert_int_eq(lng, 0);
	/* the line cap */
	ck_assert_int_eq(run(in, strlen(in), 1000, 8, &out, &big, &lng, "NEXT"), 0);
	ck_assert_int_eq(lng, 1);
	buf_free(&out);
}
END_TEST

START_TEST(eof_inside_data)
{
	struct buf out = BUF_INIT;
	int big, lng;

	ck_assert_int_lt(run("abc\r\n", 5, 1000, 100, &out, &big, &lng, NULL), 0);
	ck_assert_int_lt(run("abc\r\n.", 6, 1000, 100, &out, &big, &lng, NULL), 0);
	buf_free(&out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lmtpd_data");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, unstuff_and_lf);
	tcase_add_test(tc, caps);
	tcase_add_test(tc, eof_inside_data);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
