/* test_envelope.c: unit tests for common/envelope.c (queue envelope and
 * state records): round trips, hostile bytes, truncation, bit flips. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "envelope.h"
#include "esmtp_params.h"

static struct envelope *
sample(void)
{
	struct envelope *e = envelope_new();
	envelope_set(&e->sender, "from@example.org");
	envelope_set(&e->envid, "QQ314159");
	e->ret = ESMTP_RET_HDRS;
	e->body = ESMTP_BODY_8BITMIME;
	e->smtputf8 = 1;
	envelope_set(&e->client_ip, "192.0.2.7");
	envelope_set(&e->client_host, "mx.example.net");
	envelope_set(&e->helo, "helo.example");
	envelope_set(&e->auth_user, "joe");
	envelope_set(&e->tls_version, "TLS1.3");
	envelope_set(&e->tls_cipher, "AES-256-GCM");
	envelope_set(&e->session, "0123456789ab");
	e->uid = 1234;
	e->arrival = 1764100000ULL;
	e->size = 5000000000ULL;
	envelope_add_rcpt(e, "a@example.com", ESMTP_NOTIFY_SUCCESS | ESMTP_NOTIFY_FAILURE,
	    "rfc822", "A@Example.com");
	envelope_add_rcpt(e, "b@example.com", 0, NULL, NULL);
	/* every hostile byte but NUL in an address: the framing does not care */
	envelope_add_rcpt(e, "\"x\r\ny\"@e\n.\r\n\xff\x01\x80S", ESMTP_NOTIFY_NEVER, NULL, NULL);
	return e;
}

START_TEST(roundtrip)
{
	struct envelope *e = sample(), *r;
	struct buf b = BUF_INIT;
	char err[128];
	ck_assert_int_eq(envelope_write(e, &b), 0);
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
	ck_assert_str_eq(r->sender, "from@example.org");
	ck_assert_str_eq(r->envid, "QQ314159");
	ck_assert_int_eq(r->ret, ESMTP_RET_HDRS);
	ck_assert_int_eq(r->body, ESMTP_BODY_8BITMIME);
	ck_assert_int_eq(r->smtputf8, 1);
	ck_assert_str_eq(r->client_ip, "192.0.2.7");
	ck_assert_str_eq(r->client_host, "mx.example.net");
	ck_assert_str_eq(r->helo, "helo.example");
	ck_assert_str_eq(r->auth_user, "joe");
	ck_assert_ptr_null(r->auth_param);
	ck_assert_str_eq(r->tls_version, "TLS1.3");
	ck_assert_str_eq(r->tls_cipher, "AES-256-GCM");
	ck_assert_str_eq(r->session, "0123456789ab");
	ck_assert_uint_eq(r->uid, 1234);
	ck_assert_uint_eq(r->arrival, 1764100000ULL);
	ck_assert_uint_eq(r->size, 5000000000ULL);
	ck_assert_uint_eq(r->nrcpts, 3);
	ck_assert_str_eq(r->rcpts[0].addr, "a@example.com");
	ck_assert_uint_eq(r->rcpts[0].notify, ESMTP_NOTIFY_SUCCESS | ESMTP_NOTIFY_FAILURE);
	ck_assert_str_eq(r->rcpts[0].orcpt_type, "rfc822");
	ck_assert_str_eq(r->rcpts[0].orcpt, "A@Example.com");
	ck_assert_ptr_null(r->rcpts[1].orcpt);
	ck_assert_str_eq(r->rcpts[2].addr, "\"x\r\ny\"@e\n.\r\n\xff\x01\x80S");
	ck_assert_int_eq(r->rcpts[2].state, ENVELOPE_PENDING);
	envelope_free(r);
	envelope_free(e);
	buf_free(&b);
}
END_TEST

START_TEST(null_sender_and_minimal)
{
	struct envelope *e = envelope_new(), *r;
	struct buf b = BUF_INIT;
	char err[128];
	ck_assert_int_eq(envelope_write(e, &b), -1);     /* no recipient */
	ck_assert_uint_eq(b.len, 0);
	envelope_add_rcpt(e, "x@y", 0, NULL, NULL);
	ck_assert_int_eq(envelope_write(e, &b), 0);
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
	ck_assert_str_eq(r->sender, "");
	ck_assert_ptr_null(r->envid);
	envelope_free(r);
	envelope_free(e);
	buf_free(&b);
}
END_TEST

START_TEST(writer_caps)
{
	struct envelope *e = envelope_new();
	struct buf b = BUF_INIT;
	char *big = malloc(ENVELOPE_MAX_FIELD + 2);
	memset(big, 'a', ENVELOPE_MAX_FIELD + 1);
	big[ENVELOPE_MAX_FIELD + 1] = 0;
	envelope_add_rcpt(e, big, 0, NULL, NULL);
	ck_assert_int_eq(envelope_write(e, &b), -1);
	ck_assert_uint_eq(b.len, 0);
	free(big);
	envelope_free(e);
	buf_free(&b);
}
END_TEST

START_TEST(every_truncation_refused)
{
	struct envelope *e = sample(), *r;
	struct buf b = BUF_INIT;
	char err[128];
	envelope_write(e, &b);
	for (size_t n = 0; n < b.len; n++) {
		char *copy = malloc(n ? n : 1);   /* exact size: ASan sees overreads */
		memcpy(copy, b.p, n);
		ck_assert_msg(envelope_parse(copy, n, &r, err, sizeof(err)) == -1, "len %zu", n);
		ck_assert_ptr_null(r);
		free(copy);
	}
	envelope_free(e);
	buf_free(&b);
}
END_TEST

START_TEST(every_bit_flip_detected)
{
	struct envelope *e = sample(), *r;
	struct buf b = BUF_INIT;
	char err[128];
	envelope_write(e, &b);
	for (size_t i = 0; i < b.len; i++)
		for (int bit = 0; bit < 8; bit++) {
			b.p[i] ^= (char)(1 << bit);
			ck_assert_msg(envelope_parse(b.p, b.len, &r, err, sizeof(err)) == -1,
			    "flip %zu/%d accepted", i, bit);
			b.p[i] ^= (char)(1 << bit);
		}
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
	envelope_free(r);
	envelope_free(e);
	buf_free(&b);
}
END_TEST

START_TEST(bad_magic_and_garbage)
{
	struct envelope *r;
	char err[128];
	ck_assert_int_eq(envelope_parse("", 0, &r, err, sizeof(err)), -1);
	ck_assert_int_eq(envelope_parse("PSTNENV\x02", 8, &r, err, sizeof(err)), -1);
	ck_assert_int_eq(envelope_parse("F a@b\nT c@d\n", 12, &r, err, sizeof(err)), -1);
	/* a record claiming 4 GB */
	const char huge[] = "PSTNENV\x01" "E\xff\xff\xff\xff";
	ck_assert_int_eq(envelope_parse(huge, sizeof(huge) - 1, &r, err, sizeof(err)), -1);
}
END_TEST

/* Builds a valid file around a hand-made payload (tests semantic checks
 * that a checksum cannot catch). */
static void
frame(struct buf *out, const char *payload, size_t n)
{
	unsigned char h[5] = { 'E', n >> 24, n >> 16, n >> 8, n };
	uint32_t crc = envelope_crc32(envelope_crc32(0, h, 5), payload, n);
	unsigned char t[4] = { crc >> 24, crc >> 16, crc >> 8, crc };
	buf_reset(out);
	buf_append(out, "PSTNENV\x01", 8);
	buf_append(out, h, 5);
	buf_append(out, payload, n);
	buf_append(out, t, 4);
}

START_TEST(semantic_checks)
{
	struct buf b = BUF_INIT;
	struct envelope *r;
	char err[128];
	/* sender + rcpt{addr} */
#define P(s) s, sizeof(s) - 1
	frame(&b, P("\x01\0\0\0\0" "\x11\0\0\0\x08" "\x01\0\0\0\x03" "a@b"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
	envelope_free(r);
	/* NUL inside an address */
	frame(&b, P("\x01\0\0\0\0" "\x11\0\0\0\x08" "\x01\0\0\0\x03" "a\0b"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), -1);
	/* no recipients */
	frame(&b, P("\x01\0\0\0\0"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), -1);
	/* duplicate sender */
	frame(&b, P("\x01\0\0\0\0" "\x01\0\0\0\0" "\x11\0\0\0\x08" "\x01\0\0\0\x03" "a@b"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), -1);
	/* unknown tag < 128 refused, >= 128 skipped */
	frame(&b, P("\x01\0\0\0\0" "\x60\0\0\0\0" "\x11\0\0\0\x08" "\x01\0\0\0\x03" "a@b"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), -1);
	frame(&b, P("\x01\0\0\0\0" "\xa0\0\0\0\x01z" "\x11\0\0\0\x08" "\x01\0\0\0\x03" "a@b"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
	envelope_free(r);
	/* field length beyond the payload */
	frame(&b, P("\x01\0\0\0\x09" "\x11\0\0\0\x08" "\x01\0\0\0\x03" "a@b"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), -1);
	/* bad RET value, bad uid width */
	frame(&b, P("\x01\0\0\0\0" "\x03\0\0\0\x01\x07" "\x11\0\0\0\x08" "\x01\0\0\0\x03" "a@b"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), -1);
	frame(&b, P("\x01\0\0\0\0" "\x0e\0\0\0\x02\0\0" "\x11\0\0\0\x08" "\x01\0\0\0\x03" "a@b"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), -1);
	/* ORCPT type without address */
	frame(&b, P("\x01\0\0\0\0" "\x11\0\0\0\x0e" "\x01\0\0\0\x03" "a@b" "\x03\0\0\0\x01x"));
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), -1);
	/* trailing garbage after the 'E' record is a torn state record: ignored */
	frame(&b, P("\x01\0\0\0\0" "\x11\0\0\0\x08" "\x01\0\0\0\x03" "a@b"));
	buf_append(&b, "S\0\0", 3);
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
	envelope_free(r);
	buf_free(&b);
}
END_TEST

START_TEST(state_records)
{
	struct envelope *e = sample(), *r;
	struct buf b = BUF_INIT, s = BUF_INIT;
	char err[128];
	size_t valid;
	envelope_write(e, &b);
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);

	struct envelope_state st = { 0, ENVELOPE_DEFERRED, 100, 1, 451, "4.2.0", "try\r\nlater", NULL, 0 };
	ck_assert_int_eq(envelope_state_write(&st, &s), 0);
	st.time = 200; st.attempts = 2; st.state = ENVELOPE_DONE; st.smtp_code = 250;
	st.dsn_status = "2.0.0"; st.diag = NULL;
	envelope_state_write(&st, &s);
	struct envelope_state st2 = { 2, ENVELOPE_FAILED, 300, 1, 550, "5.1.1", "no such user",
		"mx.remote.example", ENVELOPE_FLAG_DSN_SENT };
	envelope_state_write(&st2, &s);
	struct envelope_state st3 = { 99, ENVELOPE_FAILED, 300, 1, 550, NULL, NULL, NULL, 0 };
	envelope_state_write(&st3, &s);   /* index out of range: ignored */
	size_t full = s.len;

	ck_assert_int_eq(envelope_state_apply(r, s.p, s.len, &valid, err, sizeof(err)), 3);
	ck_assert_uint_eq(valid, full);
	ck_assert_uint_eq(r->states_ignored, 1);
	ck_assert_int_eq(r->rcpts[0].state, ENVELOPE_DONE);
	ck_assert_uint_eq(r->rcpts[0].attempts, 2);
	ck_assert_uint_eq(r->rcpts[0].time, 200);
	ck_assert_uint_eq(r->rcpts[0].smtp_code, 250);
	ck_assert_str_eq(r->rcpts[0].dsn_status, "2.0.0");
	ck_assert_ptr_null(r->rcpts[0].diag);
	ck_assert_int_eq(r->rcpts[1].state, ENVELOPE_PENDING);
	ck_assert_int_eq(r->rcpts[2].state, ENVELOPE_FAILED);
	ck_assert_str_eq(r->rcpts[2].diag, "no such user");
	ck_assert_str_eq(r->rcpts[2].remote_mta, "mx.remote.example");
	ck_assert_uint_eq(r->rcpts[2].flags, ENVELOPE_FLAG_DSN_SENT);
	ck_assert_ptr_null(r->rcpts[0].remote_mta);
	ck_assert_uint_eq(r->rcpts[0].flags, 0);
	envelope_free(r);

	/* the same records appended to the envelope file are read too */
	buf_append(&b, s.p, s.len);
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r->rcpts[2].state, ENVELOPE_FAILED);
	envelope_free(r);
	envelope_free(e);
	buf_free(&b);
	buf_free(&s);
}
END_TEST

START_TEST(torn_state_append)
{
	struct envelope *e = sample(), *r;
	struct buf b = BUF_INIT, s = BUF_INIT, one = BUF_INIT;
	char err[128];
	size_t valid;
	envelope_write(e, &b);
	struct envelope_state st = { 1, ENVELOPE_DEFERRED, 100, 1, 421, "4.4.2", "timeout", NULL, 0 };
	envelope_state_write(&st, &s);
	size_t first = s.len;
	/* the second record is a "done" that was torn mid-write */
	struct envelope_state st2 = { 1, ENVELOPE_DONE, 200, 2, 250, "2.0.0", "ok", NULL, 0 };
	envelope_state_write(&st2, &one);
	for (size_t cut = 0; cut < one.len; cut++) {
		buf_reset(&s);
		envelope_state_write(&st, &s);
		buf_append(&s, one.p, cut);
		ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
		ck_assert_int_eq(envelope_state_apply(r, s.p, s.len, &valid, err, sizeof(err)), 1);
		ck_assert_uint_eq(valid, first);
		ck_assert_int_eq(r->rcpts[1].state, ENVELOPE_DEFERRED);
		envelope_free(r);
	}
	/* a bit flip in the second record: it and everything after it ignored */
	buf_reset(&s);
	envelope_state_write(&st, &s);
	envelope_state_write(&st2, &s);
	envelope_state_write(&st, &s);
	s.p[first + 12] ^= 0x10;
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(envelope_state_apply(r, s.p, s.len, &valid, err, sizeof(err)), 1);
	ck_assert_uint_eq(valid, first);
	ck_assert_int_eq(r->rcpts[1].state, ENVELOPE_DEFERRED);
	ck_assert_uint_eq(r->rcpts[1].attempts, 1);
	envelope_free(r);
	envelope_free(e);
	buf_free(&b);
	buf_free(&s);
	buf_free(&one);
}
END_TEST

START_TEST(crc_known_value)
{
	/* CRC-32/IEEE check value */
	ck_assert_uint_eq(envelope_crc32(0, "123456789", 9), 0xcbf43926u);
}
END_TEST

START_TEST(many_rcpts)
{
	struct envelope *e = envelope_new(), *r;
	struct buf b = BUF_INIT;
	char err[128], a[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(a, sizeof(a), "u%d@x.org", i);
		envelope_add_rcpt(e, a, 0, NULL, NULL);
	}
	ck_assert_int_eq(envelope_write(e, &b), 0);
	ck_assert_int_eq(envelope_parse(b.p, b.len, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r->nrcpts, 5000);
	ck_assert_str_eq(r->rcpts[4999].addr, "u4999@x.org");
	envelope_free(r);
	envelope_free(e);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("envelope");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, null_sender_and_minimal);
	tcase_add_test(tc, writer_caps);
	tcase_add_test(tc, every_truncation_refused);
	tcase_add_test(tc, every_bit_flip_detected);
	tcase_add_test(tc, bad_magic_and_garbage);
	tcase_add_test(tc, semantic_checks);
	tcase_add_test(tc, state_records);
	tcase_add_test(tc, torn_state_append);
	tcase_add_test(tc, crc_known_value);
	tcase_add_test(tc, many_rcpts);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
