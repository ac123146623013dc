/* test_sasl.c: unit tests for common/sasl.c (PLAIN, LOGIN, initial
 * responses, cancel, bounds). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "base64.h"
#include "sasl.h"

/* base64 of n bytes of p, as a NUL-terminated string (static buffer). */
static const char *
b64(const char *p, size_t n)
{
	static struct buf b;
	buf_reset(&b);
	base64_encode(p, n, &b);
	return buf_cstr(&b);
}

static enum sasl_status
start(struct sasl *s, const char *mech, const char *ir)
{
	return sasl_start(s, mech, strlen(mech), ir, ir ? strlen(ir) : 0);
}

static enum sasl_status
step(struct sasl *s, const char *line)
{
	return sasl_step(s, line, strlen(line));
}

START_TEST(plain_initial_response)
{
	struct sasl s;
	sasl_init(&s);
	ck_assert_int_eq(start(&s, "plain", b64("\0alice\0s3cret", 13)), SASL_DONE);
	ck_assert_str_eq(buf_cstr(&s.user), "alice");
	ck_assert_str_eq(buf_cstr(&s.password), "s3cret");
	ck_assert_uint_eq(s.password.len, 6);
	/* authzid equal to authcid is fine */
	ck_assert_int_eq(start(&s, "PLAIN", b64("bob@x\0bob@x\0pw", 14)), SASL_DONE);
	ck_assert_str_eq(buf_cstr(&s.user), "bob@x");
	ck_assert_str_eq(buf_cstr(&s.password), "pw");
	sasl_clear(&s);
	ck_assert_ptr_null(s.password.p);
}
END_TEST

START_TEST(plain_with_challenge)
{
	struct sasl s;
	sasl_init(&s);
	ck_assert_int_eq(start(&s, "PLAIN", NULL), SASL_CONTINUE);
	ck_assert_str_eq(buf_cstr(&s.challenge), "");
	ck_assert_int_eq(step(&s, b64("\0u\xc3\xa9\0p w", 8)), SASL_DONE);
	ck_assert_str_eq(buf_cstr(&s.user), "u\xc3\xa9");
	ck_assert_str_eq(buf_cstr(&s.password), "p w");
	/* no further steps after DONE */
	ck_assert_int_eq(step(&s, "AAAA"), SASL_ERROR);
	ck_assert_str_eq(s.error, "no exchange in progress");
	sasl_clear(&s);
}
END_TEST

START_TEST(plain_refusals)
{
	static const struct { const char *msg; size_t n; const char *why; } cases[] = {
		{ "alice", 5, "malformed PLAIN message" },
		{ "\0alice", 6, "malformed PLAIN message" },
		{ "\0alice\0pw\0x", 11, "malformed PLAIN message" },
		{ "\0\0pw", 4, "empty user name" },
		{ "\0alice\0", 7, "empty password" },
		{ "admin\0alice\0pw", 14, "authorization identity differs from authentication identity" },
		{ "Alice\0alice\0pw", 14, "authorization identity differs from authentication identity" },
		{ "\0al\nice\0pw", 10, "control character in user name" },
		{ "\0al\xff\0pw", 8, "user name is not UTF-8" },
		{ "\0al\xc0\xaf\0pw", 9, "user name is not UTF-8" },
	};
	struct sasl s;
	sasl_init(&s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(start(&s, "PLAIN", b64(cases[i].msg, cases[i].n)), SASL_ERROR);
		ck_assert_str_eq(s.error, cases[i].why);
		ck_assert_uint_eq(s.user.len, 0);
		ck_assert_uint_eq(s.password.len, 0);
	}
	/* "=" is an empty initial response, which PLAIN cannot use */
	ck_assert_int_eq(start(&s, "PLAIN", "="), SASL_ERROR);
	ck_assert_str_eq(s.error, "malformed PLAIN message");
	/* bad base64 */
	const char *bad[] = { "AGFsaWNlAHB3", "AGFsaWNlAHB3=", "AGFs aWNlAHB3", "AGFsaWNlAHB", "****", "AGFsaWNlAHB3\r" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum sasl_status st = start(&s, "PLAIN", bad[i]);
		if (i == 0) {
			/* control: that one is valid base64 of "\0alice\0pw" */
			ck_assert_int_eq(st, SASL_DONE);
			continue;
		}
		ck_assert_int_eq(st, SASL_ERROR);
		ck_assert_str_eq(s.error, "invalid base64");
	}
	/* a failed exchange takes no more steps */
	ck_assert_int_eq(start(&s, "PLAIN", NULL), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, "!!!!"), SASL_ERROR);
	ck_assert_int_eq(step(&s, b64("\0a\0b", 4)), SASL_ERROR);
	ck_assert_str_eq(s.error, "no exchange in progress");
	sasl_clear(&s);
}
END_TEST

START_TEST(bounds)
{
	struct sasl s;
	char msg[600];
	sasl_init(&s);
	/* user of SASL_MAX_USER octets ok, one more refused */
	memset(msg, 'u', sizeof(msg));
	msg[0] = 0;
	msg[1 + SASL_MAX_USER] = 0;
	memcpy(msg + 2 + SASL_MAX_USER, "pw", 2);
	ck_assert_int_eq(start(&s, "PLAIN", b64(msg, 4 + SASL_MAX_USER)), SASL_DONE);
	ck_assert_uint_eq(s.user.len, SASL_MAX_USER);
	memset(msg, 'u', sizeof(msg));
	msg[0] = 0;
	msg[2 + SASL_MAX_USER] = 0;
	memcpy(msg + 3 + SASL_MAX_USER, "pw", 2);
	ck_assert_int_eq(start(&s, "PLAIN", b64(msg, 5 + SASL_MAX_USER)), SASL_ERROR);
	ck_assert_str_eq(s.error, "user name too long");
	/* password of SASL_MAX_PASSWORD ok, one more refused */
	memset(msg, 'p', sizeof(msg));
	memcpy(msg, "\0u\0", 3);
	ck_assert_int_eq(start(&s, "PLAIN", b64(msg, 3 + SASL_MAX_PASSWORD)), SASL_DONE);
	ck_assert_uint_eq(s.password.len, SASL_MAX_PASSWORD);
	ck_assert_int_eq(start(&s, "PLAIN", b64(msg, 4 + SASL_MAX_PASSWORD)), SASL_ERROR);
	ck_assert_str_eq(s.error, "password too long");
	/* a line over SASL_MAX_LINE is refused before decoding */
	char *big = malloc(SASL_MAX_LINE + 5);
	memset(big, 'A', SASL_MAX_LINE + 4);
	big[SASL_MAX_LINE + 4] = 0;
	ck_assert_int_eq(start(&s, "PLAIN", big), SASL_ERROR);
	ck_assert_str_eq(s.error, "response too long");
	ck_assert_int_eq(start(&s, "LOGIN", NULL), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, big), SASL_ERROR);
	ck_assert_str_eq(s.error, "response too long");
	/* exactly SASL_MAX_LINE of valid base64 is decoded (then refused as
	 * malformed: no NUL) */
	for (size_t i = 0; i < SASL_MAX_LINE; i += 4)
		memcpy(big + i, "QUFB", 4);   /* "AAA": no NUL */
	big[SASL_MAX_LINE] = 0;
	ck_assert_int_eq(start(&s, "PLAIN", big), SASL_ERROR);
	ck_assert_str_eq(s.error, "malformed PLAIN message");
	free(big);
	sasl_clear(&s);
}
END_TEST

START_TEST(login_two_steps)
{
	struct sasl s;
	sasl_init(&s);
	ck_assert_int_eq(start(&s, "LOGIN", NULL), SASL_CONTINUE);
	ck_assert_str_eq(buf_cstr(&s.challenge), "VXNlcm5hbWU6");   /* Username: */
	ck_assert_int_eq(step(&s, b64("carol@example.org", 17)), SASL_CONTINUE);
	ck_assert_str_eq(buf_cstr(&s.challenge), "UGFzc3dvcmQ6");   /* Password: */
	ck_assert_int_eq(step(&s, b64("pa:ss", 5)), SASL_DONE);
	ck_assert_str_eq(buf_cstr(&s.user), "carol@example.org");
	ck_assert_str_eq(buf_cstr(&s.password), "pa:ss");

	/* initial response carries the user name (RFC 4954 clients) */
	ck_assert_int_eq(start(&s, "login", b64("dave", 4)), SASL_CONTINUE);
	ck_assert_str_eq(buf_cstr(&s.challenge), "UGFzc3dvcmQ6");
	ck_assert_int_eq(step(&s, b64("x", 1)), SASL_DONE);
	ck_assert_str_eq(buf_cstr(&s.user), "dave");
	/* "=": empty initial response, still asks for the user */
	ck_assert_int_eq(start(&s, "LOGIN", "="), SASL_CONTINUE);
	ck_assert_str_eq(buf_cstr(&s.challenge), "VXNlcm5hbWU6");

	/* refusals */
	ck_assert_int_eq(start(&s, "LOGIN", NULL), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, ""), SASL_ERROR);
	ck_assert_str_eq(s.error, "empty user name");
	ck_assert_int_eq(start(&s, "LOGIN", NULL), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, b64("u", 1)), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, ""), SASL_ERROR);
	ck_assert_str_eq(s.error, "empty password");
	ck_assert_uint_eq(s.user.len, 0);
	ck_assert_int_eq(start(&s, "LOGIN", NULL), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, b64("u", 1)), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, b64("a\0b", 3)), SASL_ERROR);
	ck_assert_str_eq(s.error, "NUL in password");
	sasl_clear(&s);
}
END_TEST

START_TEST(cancel_and_unknown)
{
	struct sasl s;
	sasl_init(&s);
	ck_assert_int_eq(start(&s, "LOGIN", NULL), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, b64("u", 1)), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, "*"), SASL_CANCEL);
	ck_assert_uint_eq(s.user.len, 0);
	ck_assert_int_eq(step(&s, b64("pw", 2)), SASL_ERROR);
	ck_assert_int_eq(start(&s, "PLAIN", NULL), SASL_CONTINUE);
	ck_assert_int_eq(step(&s, "*"), SASL_CANCEL);

	ck_assert_int_eq(start(&s, "CRAM-MD5", NULL), SASL_ERROR);
	ck_assert_str_eq(s.error, "unknown mechanism");
	ck_assert_int_eq(start(&s, "PLAINX", NULL), SASL_ERROR);
	ck_assert_int_eq(sasl_start(&s, "PLAINX", 5, NULL, 0), SASL_CONTINUE);
	ck_assert_int_eq(sasl_mech_lookup("login", 5), SASL_MECH_LOGIN);
	ck_assert_int_eq(sasl_mech_lookup("", 0), SASL_MECH_NONE);
	ck_assert_str_eq(sasl_mech_names(), "PLAIN LOGIN");
	/* step without start */
	struct sasl t;
	sasl_init(&t);
	ck_assert_int_eq(step(&t, "AAAA"), SASL_ERROR);
	sasl_clear(&t);
	sasl_clear(&s);
}
END_TEST

START_TEST(plain_decode_direct)
{
	struct buf u = BUF_INIT, p = BUF_INIT;
	const char *why = NULL;
	ck_assert_int_eq(sasl_plain_decode("z\0z\0pw", 6, &u, &p, &why), 0);
	ck_assert_str_eq(buf_cstr(&u), "z");
	ck_assert_str_eq(buf_cstr(&p), "pw");
	buf_reset(&u);
	buf_reset(&p);
	/* reads only len bytes */
	ck_assert_int_eq(sasl_plain_decode("\0z\0pwXYZ", 5, &u, &p, &why), 0);
	ck_assert_str_eq(buf_cstr(&p), "pw");
	ck_assert_int_eq(sasl_plain_decode("", 0, &u, &p, &why), -1);
	buf_free(&u);
	buf_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sasl");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, plain_initial_response);
	tcase_add_test(tc, plain_with_challenge);
	tcase_add_test(tc, plain_refusals);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, login_two_steps);
	tcase_add_test(tc, cancel_and_unknown);
	tcase_add_test(tc, plain_decode_direct);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
