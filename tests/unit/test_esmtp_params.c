/* test_esmtp_params.c: unit tests for common/esmtp_params.c. */
#include <check.h>
#include <string.h>
#include "buf.h"
#include "esmtp_params.h"

static int
mail(const char *s, unsigned ext, struct esmtp_mail_params *m)
{
	const char *why = NULL;
	int r = esmtp_parse_mail_params(s, strlen(s), ext, m, &why);
	if (r != ESMTP_OK)
		ck_assert_ptr_nonnull(why);
	return r;
}

static int
rcpt(const char *s, unsigned ext, struct esmtp_rcpt_params *r)
{
	const char *why = NULL;
	int rc = esmtp_parse_rcpt_params(s, strlen(s), ext, r, &why);
	if (rc != ESMTP_OK)
		ck_assert_ptr_nonnull(why);
	return rc;
}

START_TEST(mail_all)
{
	struct esmtp_mail_params m;
	ck_assert_int_eq(mail("", ESMTP_EXT_ALL, &m), ESMTP_OK);
	ck_assert(!m.has_size);
	ck_assert_int_eq(mail(" SIZE=12345 body=8bitmime SMTPUTF8 RET=HDRS ENVID=QQ+2B1 AUTH=joe+40x.org",
	    ESMTP_EXT_ALL, &m), ESMTP_OK);
	ck_assert(m.has_size);
	ck_assert_uint_eq(m.size, 12345);
	ck_assert_int_eq(m.body, ESMTP_BODY_8BITMIME);
	ck_assert(m.smtputf8);
	ck_assert_int_eq(m.ret, ESMTP_RET_HDRS);
	ck_assert_str_eq(m.envid, "QQ+1");
	ck_assert(m.has_auth);
	ck_assert_str_eq(m.auth, "joe@x.org");
	ck_assert_int_eq(mail(" AUTH=<>", ESMTP_EXT_ALL, &m), ESMTP_OK);
	ck_assert(m.auth_null);
	ck_assert_int_eq(mail(" BODY=BINARYMIME", ESMTP_EXT_ALL, &m), ESMTP_OK);
	ck_assert_int_eq(m.body, ESMTP_BODY_BINARYMIME);
	ck_assert_int_eq(mail(" BODY=7bit  RET=full", ESMTP_EXT_ALL, &m), ESMTP_OK);
	ck_assert_int_eq(m.ret, ESMTP_RET_FULL);
}
END_TEST

START_TEST(mail_size)
{
	struct esmtp_mail_params m;
	ck_assert_int_eq(mail(" SIZE=18446744073709551615", ESMTP_EXT_ALL, &m), ESMTP_OK);
	ck_assert_uint_eq(m.size, UINT64_MAX);
	ck_assert_int_eq(mail(" SIZE=18446744073709551616", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" SIZE=99999999999999999999999", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" SIZE=", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" SIZE", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" SIZE=-1", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" SIZE=1x", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" SIZE=0", ESMTP_EXT_ALL, &m), ESMTP_OK);
}
END_TEST

START_TEST(mail_errors)
{
	struct esmtp_mail_params m;
	ck_assert_int_eq(mail(" SIZE=1 SIZE=2", ESMTP_EXT_ALL, &m), ESMTP_UNRECOGNIZED);
	ck_assert_int_eq(mail(" FOO=bar", ESMTP_EXT_ALL, &m), ESMTP_UNRECOGNIZED);
	ck_assert_int_eq(mail(" NOTIFY=NEVER", ESMTP_EXT_ALL, &m), ESMTP_UNRECOGNIZED);
	ck_assert_int_eq(mail(" SMTPUTF8", 0, &m), ESMTP_UNRECOGNIZED);  /* not advertised */
	ck_assert_int_eq(mail(" RET=FULL", ESMTP_EXT_SIZE, &m), ESMTP_UNRECOGNIZED);
	ck_assert_int_eq(mail(" BODY=BINARYMIME", ESMTP_EXT_8BITMIME, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" BODY=9BIT", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" SMTPUTF8=yes", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" RET=ALL", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" SIZE=1\r\n", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" SIZE=1\tBODY=7BIT", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" =x", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" -X", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" ENVID=a+0Db", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);  /* CR */
	ck_assert_int_eq(mail(" ENVID=a+00b", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);  /* NUL */
	ck_assert_int_eq(mail(" ENVID=a+4", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" ENVID=a+GG", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	ck_assert_int_eq(mail(" ENVID=a+C3+A9", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);  /* not ASCII */
	ck_assert_int_eq(mail(" AUTH=a+C3", ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);  /* bad UTF-8 */
	char big[300];
	memset(big, 'e', sizeof(big));
	memcpy(big, " ENVID=", 7);
	big[7 + 100] = 0;
	ck_assert_int_eq(mail(big, ESMTP_EXT_ALL, &m), ESMTP_OK);
	big[7 + 100] = 'e';
	big[7 + 101] = 0;
	ck_assert_int_eq(mail(big, ESMTP_EXT_ALL, &m), ESMTP_SYNTAX);
	const char nul[] = " SIZE=1\0 BODY=7BIT";
	struct esmtp_mail_params mm;
	const char *why;
	ck_assert_int_eq(esmtp_parse_mail_params(nul, sizeof(nul) - 1, ESMTP_EXT_ALL, &mm, &why),
	    ESMTP_SYNTAX);
}
END_TEST

START_TEST(rcpt_params)
{
	struct esmtp_rcpt_params r;
	ck_assert_int_eq(rcpt("", ESMTP_EXT_ALL, &r), ESMTP_OK);
	ck_assert_uint_eq(r.notify, 0);
	ck_assert_int_eq(rcpt(" NOTIFY=SUCCESS,failure ORCPT=rfc822;joe+2Bx@y.org", ESMTP_EXT_ALL, &r),
	    ESMTP_OK);
	ck_assert_uint_eq(r.notify, ESMTP_NOTIFY_SUCCESS | ESMTP_NOTIFY_FAILURE);
	ck_assert(r.has_orcpt);
	ck_assert_str_eq(r.orcpt_type, "rfc822");
	ck_assert_str_eq(r.orcpt, "joe+x@y.org");
	ck_assert_int_eq(rcpt(" NOTIFY=NEVER", ESMTP_EXT_ALL, &r), ESMTP_OK);
	ck_assert_uint_eq(r.notify, ESMTP_NOTIFY_NEVER);
	ck_assert_int_eq(rcpt(" NOTIFY=NEVER,DELAY", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" NOTIFY=DELAY,DELAY", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" NOTIFY=DELAY,", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" NOTIFY=,DELAY", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" NOTIFY=SOMETIMES", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" NOTIFY=NEVER NOTIFY=NEVER", ESMTP_EXT_ALL, &r), ESMTP_UNRECOGNIZED);
	ck_assert_int_eq(rcpt(" NOTIFY=NEVER", 0, &r), ESMTP_UNRECOGNIZED);
	ck_assert_int_eq(rcpt(" SIZE=1", ESMTP_EXT_ALL, &r), ESMTP_UNRECOGNIZED);
	ck_assert_int_eq(rcpt(" ORCPT=rfc822", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=;a@b", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=rfc822;", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=rf.c;a@b", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=rfc822;a+0A@b", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=utf-8;j+C3+B6rg@b", ESMTP_EXT_ALL, &r), ESMTP_OK);
	ck_assert_str_eq(r.orcpt, "j\xc3\xb6rg@b");
	/* RFC 6533 embedded Unicode */
	ck_assert_int_eq(rcpt(" ORCPT=UTF-8;j\\x{F6}rg\\x{1F600}@b", ESMTP_EXT_ALL, &r), ESMTP_OK);
	ck_assert_str_eq(r.orcpt, "j\xc3\xb6rg\xf0\x9f\x98\x80@b");
	ck_assert_int_eq(rcpt(" ORCPT=utf-8;a\\x{D800}@b", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=utf-8;a\\x{0A}@b", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=utf-8;a\\x{110000}@b", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=utf-8;a\\x{F}@b", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=utf-8;a\\x{F6@b", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	ck_assert_int_eq(rcpt(" ORCPT=utf-8;a\\y@b", ESMTP_EXT_ALL, &r), ESMTP_SYNTAX);
	/* rfc822 type: a backslash is just a character */
	ck_assert_int_eq(rcpt(" ORCPT=rfc822;a\\x{F6}@b", ESMTP_EXT_ALL, &r), ESMTP_OK);
	ck_assert_str_eq(r.orcpt, "a\\x{F6}@b");
}
END_TEST

START_TEST(orcpt_roundtrip)
{
	struct buf b = BUF_INIT;
	struct esmtp_rcpt_params r;
	const char *why;
	const char *addrs[] = { ("j\xc3\xb6rg+x=y@b\xc3\xbc" "cher.de"), "a b\\c@d", "plain@x.org" };
	const char *types[] = { "utf-8", "rfc822" };
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < 3; i++) {
			buf_reset(&b);
			buf_puts(&b, " ORCPT=");
			orcpt_encode(&b, types[t], addrs[i], strlen(addrs[i]));
			ck_assert_msg(esmtp_parse_rcpt_params(b.p, b.len, ESMTP_EXT_ALL, &r, &why) == 0,
			    "%s", buf_cstr(&b));
			ck_assert_str_eq(r.orcpt, addrs[i]);
		}
	buf_reset(&b);
	orcpt_encode(&b, "utf-8", "j\xc3\xb6=", 4);
	ck_assert_str_eq(buf_cstr(&b), "utf-8;j\\x{F6}\\x{3D}");
	buf_free(&b);
}
END_TEST

START_TEST(xtext_roundtrip)
{
	struct buf b = BUF_INIT;
	char out[600];
	const char *v = "a+b=c d\xc3\xa9~!";
	xtext_encode(&b, v, strlen(v));
	ck_assert_str_eq(buf_cstr(&b), "a+2Bb+3Dc+20d+C3+A9~!");
	ck_assert_int_eq(xtext_decode(b.p, b.len, out, sizeof(out)), (long)strlen(v));
	ck_assert_str_eq(out, v);
	ck_assert_int_eq(xtext_decode("abc", 3, out, 3), -1);  /* no room for NUL */
	ck_assert_int_eq(xtext_decode("abc", 3, out, 4), 3);
	ck_assert_int_eq(xtext_decode("a=b", 3, out, 10), -1);
	ck_assert_int_eq(xtext_decode("a b", 3, out, 10), -1);
	ck_assert_int_eq(xtext_decode("+", 1, out, 10), -1);
	ck_assert_int_eq(xtext_decode("+2", 2, out, 10), -1);
	ck_assert_int_eq(xtext_decode("", 0, out, 10), 0);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("esmtp_params");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, mail_all);
	tcase_add_test(tc, mail_size);
	tcase_add_test(tc, mail_errors);
	tcase_add_test(tc, rcpt_params);
	tcase_add_test(tc, xtext_roundtrip);
	tcase_add_test(tc, orcpt_roundtrip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
