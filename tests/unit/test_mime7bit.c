/* test_mime7bit.c: unit tests for common/mime7bit.c: the quoted-printable
 * encoder (line lengths, what is encoded, round trip through qp_decode)
 * and the 8-bit to 7-bit conversion of single-part and multipart
 * messages, with the cases that cannot be converted. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "buf.h"
#include "mime7bit.h"
#include "qp.h"

static int
all_7bit(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 0;
	return 1;
}

/* every line at most 76 characters (LF excluded) */
static int
lines_short(const char *p, size_t len)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n')
			col = 0;
		else if (++col > 76)
			return 0;
	}
	return 1;
}

static int
convert(const char *in, struct buf *out, char *why, size_t whylen)
{
	buf_reset(out);
	return mime7bit_convert(in, strlen(in), out, why, whylen);
}

START_TEST(qp_rules)
{
	struct buf b = BUF_INIT, d = BUF_INIT;
	char line[300];
	size_t i;

	mime7bit_qp_encode("a=b caf\xc3\xa9 \nx\t\r\nend", 18, &b);
	ck_assert_str_eq(buf_cstr(&b), "a=3Db caf=C3=A9=20\nx=09\nend");
	buf_reset(&b);
	/* a lone CR and a NUL are encoded too */
	mime7bit_qp_encode("a\rb\0c\n", 6, &b);
	ck_assert_str_eq(buf_cstr(&b), "a=0Db=00c\n");
	/* a long 8-bit line: soft breaks, every line <= 76, round trip */
	for (i = 0; i < sizeof line; i++)
		line[i] = (char)(i % 3 == 0 ? 0xe9 : 'a' + i % 26);
	buf_reset(&b);
	mime7bit_qp_encode(line, sizeof line, &b);
	ck_assert(all_7bit(b.p, b.len));
	ck_assert(lines_short(b.p, b.len));
	qp_decode(b.p, b.len, &d);
	ck_assert_uint_eq(d.len, sizeof line);
	ck_assert_mem_eq(d.p, line, sizeof line);
	/* exactly 76 plain characters stay on one line; 77 do not */
	buf_reset(&b);
	memset(line, 'x', 77);
	mime7bit_qp_encode(line, 76, &b);
	ck_assert_uint_eq(b.len, 76);
	buf_reset(&b);
	mime7bit_qp_encode(line, 77, &b);
	ck_assert(memchr(b.p, '\n', b.len) != NULL);
	ck_assert(lines_short(b.p, b.len));
	buf_free(&b);
	buf_free(&d);
}
END_TEST

START_TEST(qp_round_trip_random)
{
	struct buf b = BUF_INIT, d = BUF_INIT;
	char in[2000];
	unsigned seed = 12345;
	int round;
	size_t i;

	for (round = 0; round < 200; round++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof in);
		for (i = 0; i < len; i++) {
			int r = rand_r(&seed) % 10;
			/* no CR: CRLF comes back as LF by design */
			in[i] = r == 0 ? '\n' : r == 1 ? ' ' : r == 2 ? '=' :
			    (char)(rand_r(&seed) % 256);
			if (in[i] == '\r')
				in[i] = 'r';
		}
		buf_reset(&b);
		buf_reset(&d);
		mime7bit_qp_encode(in, len, &b);
		ck_assert(all_7bit(b.p, b.len));
		ck_assert(lines_short(b.p, b.len));
		qp_decode(b.p, b.len, &d);
		ck_assert_uint_eq(d.len, len);
		if (len)
			ck_assert_mem_eq(d.p, in, len);
	}
	buf_free(&b);
	buf_free(&d);
}
END_TEST

START_TEST(clean_message_untouched)
{
	struct buf out = BUF_INIT;
	int e8, h8;

	buf_puts(&out, "x");
	ck_assert_int_eq(convert("Subject: hi\n\nplain ascii\n", &out, NULL, 0),
	    MIME7BIT_CLEAN);
	ck_assert_str_eq(buf_cstr(&out), "");   /* convert() reset it; unchanged */
	mime7bit_scan("Subject: hi\n\nbody\n", 18, &e8, &h8);
	ck_assert_int_eq(e8, 0);
	ck_assert_int_eq(h8, 0);
	buf_free(&out);
}
END_TEST

START_TEST(single_part)
{
	struct buf out = BUF_INIT;
	char why[100];
	const char *in =
	    "From: a@example.org\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "Subject: x\n"
	    "\n"
	    "caf\xc3\xa9 = good\n"
	    ".\n";

	ck_assert_int_eq(convert(in, &out, why, sizeof why), MIME7BIT_CONVERTED);
	ck_assert_str_eq(buf_cstr(&out),
	    "From: a@example.org\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "Subject: x\n"
	    "\n"
	    "caf=C3=A9 =3D good\n"
	    ".\n");
	buf_free(&out);
}
END_TEST

START_TEST(no_mime_headers)
{
	struct buf out = BUF_INIT;

	/* not MIME at all: text/plain by default; MIME-Version and the
	 * encoding are added after the last field */
	ck_assert_int_eq(convert("Subject: x\n\nna\xefve\n", &out, NULL, 0),
	    MIME7BIT_CONVERTED);
	ck_assert_str_eq(buf_cstr(&out),
	    "Subject: x\n"
	    "MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "na=EFve\n");
	buf_free(&out);
}
END_TEST

START_TEST(multipart)
{
	struct buf out = BUF_INIT, d = BUF_INIT;
	const char *body, *end;
	const char *in =
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"BB\"\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "preamble\n"
	    "--BB\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "\n"
	    "gr\xfc\xdf Gott\n"
	    "--BB\n"
	    "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "AAEC\n"
	    "--BB\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8BIT\n"
	    "\n"
	    "<p>\xc3\xa9t\xc3\xa9</p>\n"
	    "--BB--\n"
	    "epilogue\n";

	ck_assert_int_eq(convert(in, &out, NULL, 0), MIME7BIT_CONVERTED);
	ck_assert(all_7bit(out.p, out.len));
	ck_assert_str_eq(buf_cstr(&out),
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"BB\"\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "\n"
	    "preamble\n"
	    "--BB\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "gr=FC=DF Gott\n"
	    "--BB\n"
	    "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "AAEC\n"
	    "--BB\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "<p>=C3=A9t=C3=A9</p>\n"
	    "--BB--\n"
	    "epilogue\n");
	/* the html part decodes back to its bytes */
	body = strstr(out.p, "<p>");
	end = strstr(body, "\n--BB--");
	qp_decode(body, (size_t)(end - body), &d);
	ck_assert_uint_eq(d.len, 12);
	ck_assert_mem_eq(d.p, "<p>\xc3\xa9t\xc3\xa9</p>", 12);
	buf_free(&out);
	buf_free(&d);
}
END_TEST

START_TEST(not_convertible)
{
	struct buf out = BUF_INIT;
	char why[100];
	int e8, h8;
	const char *hdr = "Subject: caf\xc3\xa9\n\nbody\n";

	/* 8-bit header field */
	ck_assert_int_eq(convert(hdr, &out, why, sizeof why), MIME7BIT_HEADER);
	ck_assert_uint_eq(out.len, 0);
	mime7bit_scan(hdr, strlen(hdr), &e8, &h8);
	ck_assert_int_eq(e8, 1);
	ck_assert_int_eq(h8, 1);
	/* ... also in a part's header */
	ck_assert_int_eq(convert("Content-Type: multipart/mixed; boundary=B\n\n"
	    "--B\nContent-Disposition: attachment; filename=\xc3\xa9.txt\n\nx\n"
	    "--B--\n", &out, why, sizeof why), MIME7BIT_HEADER);
	/* binary */
	ck_assert_int_eq(convert("Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: binary\n\n\xff\xfe\n", &out, why,
	    sizeof why), MIME7BIT_IMPOSSIBLE);
	ck_assert_ptr_nonnull(strstr(why, "binary"));
	/* 8-bit octets in a base64 part */
	ck_assert_int_eq(convert("Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: base64\n\n\xff\n", &out, why,
	    sizeof why), MIME7BIT_IMPOSSIBLE);
	/* message/rfc822 holding 8-bit text */
	ck_assert_int_eq(convert("Content-Type: multipart/mixed; boundary=B\n\n"
	    "--B\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\n\nna\xefve\n--B--\n", &out, why, sizeof why),
	    MIME7BIT_IMPOSSIBLE);
	ck_assert_ptr_nonnull(strstr(why, "message"));
	/* 8-bit preamble */
	ck_assert_int_eq(convert("Content-Type: multipart/mixed; boundary=B\n\n"
	    "pr\xe9\x61mble\n--B\n\nx\n--B--\n", &out, why, sizeof why),
	    MIME7BIT_IMPOSSIBLE);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
}
END_TEST

START_TEST(fd_forms)
{
	const char *in = "Subject: x\n\nna\xefve\n";
	/* what follows the message in a queue file: never read */
	const char *tail = "\nenvelope \xff tail\n";
	unsigned long long n = 0, size = strlen(in);
	char got[200], why[100];
	int fd = memfd_create("t", 0), out = -1, e8, h8;
	ssize_t r;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, in, strlen(in)), (ssize_t)strlen(in));
	ck_assert_int_eq(write(fd, tail, strlen(tail)), (ssize_t)strlen(tail));
	ck_assert_int_eq(mime7bit_scan_fd(fd, size, &e8, &h8), 0);
	ck_assert_int_eq(e8, 1);
	ck_assert_int_eq(h8, 0);
	ck_assert_int_eq(mime7bit_convert_fd(fd, size, &out, &n, why, sizeof why),
	    MIME7BIT_CONVERTED);
	ck_assert_int_ge(out, 0);
	r = pread(out, got, sizeof got, 0);
	ck_assert_int_eq(r, (ssize_t)n);
	ck_assert_mem_eq(got, "Subject: x\nMIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\n\nna=EFve\n", (size_t)r);
	close(out);
	/* the 8-bit octet only in the tail: clean */
	ck_assert_int_eq(mime7bit_scan_fd(fd, 10, &e8, &h8), 0);
	ck_assert_int_eq(e8, 0);
	/* a file shorter than the size it was given */
	ck_assert_int_eq(mime7bit_scan_fd(fd, size + strlen(tail) + 1, &e8, &h8), -1);
	close(fd);
	/* an empty message is clean */
	fd = memfd_create("e", 0);
	ck_assert_int_eq(mime7bit_convert_fd(fd, 0, &out, &n, why, sizeof why),
	    MIME7BIT_CLEAN);
	ck_assert_int_eq(out, -1);
	close(fd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime7bit");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, qp_rules);
	tcase_add_test(tc, qp_round_trip_random);
	tcase_add_test(tc, clean_message_untouched);
	tcase_add_test(tc, single_part);
	tcase_add_test(tc, no_mime_headers);
	tcase_add_test(tc, multipart);
	tcase_add_test(tc, not_convertible);
	tcase_add_test(tc, fd_forms);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
