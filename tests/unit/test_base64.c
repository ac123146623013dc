/* test_base64.c: unit tests for common/base64.c. */
#include <check.h>
#include <string.h>
#include "base64.h"

static const char *enc(const char *s, size_t n)
{
	static struct buf b;
	buf_reset(&b);
	base64_encode(s, n, &b);
	return buf_cstr(&b);
}

START_TEST(encode_rfc4648_vectors)
{
	ck_assert_str_eq(enc("", 0), "");
	ck_assert_str_eq(enc("f", 1), "Zg==");
	ck_assert_str_eq(enc("fo", 2), "Zm8=");
	ck_assert_str_eq(enc("foo", 3), "Zm9v");
	ck_assert_str_eq(enc("foob", 4), "Zm9vYg==");
	ck_assert_str_eq(enc("fooba", 5), "Zm9vYmE=");
	ck_assert_str_eq(enc("foobar", 6), "Zm9vYmFy");
	ck_assert_str_eq(enc("\0\xff", 2), "AP8=");
}
END_TEST

START_TEST(strict_decode)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(base64_decode_strict("Zm9vYmFy", 8, &b), 0);
	ck_assert_mem_eq(b.p, "foobar", 6);
	buf_reset(&b);
	ck_assert_int_eq(base64_decode_strict("AHVzZXIAcGFzcw==", 16, &b), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_mem_eq(b.p, "\0user\0pass", 10);
	buf_reset(&b);
	ck_assert_int_eq(base64_decode_strict("", 0, &b), 0);
	ck_assert_uint_eq(b.len, 0);
	/* bad length, bad characters, padding in the middle, stray bits */
	ck_assert_int_eq(base64_decode_strict("Zm9", 3, &b), -1);
	ck_assert_int_eq(base64_decode_strict("Zm9 ", 4, &b), -1);
	ck_assert_int_eq(base64_decode_strict("Zg==Zm9v", 8, &b), -1);
	ck_assert_int_eq(base64_decode_strict("Zh==", 4, &b), -1);
	ck_assert_int_eq(base64_decode_strict("Zm9=", 4, &b), -1);
	ck_assert_int_eq(base64_decode_strict("====", 4, &b), -1);
	buf_free(&b);
}
END_TEST

START_TEST(mime_decode_lenient)
{
	struct buf b = BUF_INIT;
	ck_assert_uint_eq(base64_decode_mime("Zm9v\r\nYmFy\n", 11, &b), 0);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_mem_eq(b.p, "foobar", 6);
	buf_reset(&b);
	/* invalid characters are skipped and counted; '=' ends the data */
	ck_assert_uint_eq(base64_decode_mime("Zm#9v!", 6, &b), 2);
	ck_assert_mem_eq(b.p, "foo", 3);
	buf_reset(&b);
	base64_decode_mime("Zg==Zm9v", 8, &b);
	ck_assert_uint_eq(b.len, 1);
	buf_reset(&b);
	/* truncated group: whole octets only */
	base64_decode_mime("Zm9vYm", 6, &b);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_mem_eq(b.p, "foob", 4);
	ck_assert_uint_eq(base64_decoded_size("Zm9vYm", 6), 4);
	ck_assert_uint_eq(base64_decoded_size("Zm9v\nYmFy", 9), 6);
	buf_free(&b);
}
END_TEST

START_TEST(roundtrip_all_bytes)
{
	char in[256];
	struct buf e = BUF_INIT, d = BUF_INIT;
	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	for (size_t n = 0; n <= 256; n += 37) {
		buf_reset(&e);
		buf_reset(&d);
		base64_encode(in, n, &e);
		ck_assert_int_eq(base64_decode_strict(e.p ? e.p : "", e.len, &d), 0);
		ck_assert_uint_eq(d.len, n);
		if (n)
			ck_assert_mem_eq(d.p, in, n);
	}
	buf_free(&e);
	buf_free(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("base64");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, encode_rfc4648_vectors);
	tcase_add_test(tc, strict_decode);
	tcase_add_test(tc, mime_decode_lenient);
	tcase_add_test(tc, roundtrip_all_bytes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
