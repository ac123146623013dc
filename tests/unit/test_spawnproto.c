/* test_spawnproto.c: unit tests for common/spawnproto.c: round trips of
 * requests and replies, hostile payloads, and descriptor passing over a
 * socketpair. */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "buf.h"
#include "spawnproto.h"

static struct spawn_request *
sample(void)
{
	struct spawn_request *r = spawn_request_new();

	r->id = 77;
	spawn_set(&r->queue_id, "1700000000.0123456789abcdef");
	spawn_set(&r->sender, "a@example.org");
	spawn_set(&r->envid, "ENV1");
	r->ret = 2;
	r->body = 1;
	r->smtputf8 = 1;
	r->size = 0x100000001ULL;
	spawn_request_add_rcpt(r, "joe@example.test", 6, "rfc822", "Joe@example.test");
	spawn_request_add_rcpt(r, "ann@example.test", 0, NULL, NULL);
	return r;
}

START_TEST(request_round_trip)
{
	struct spawn_request *r = sample(), *q;
	struct buf b = BUF_INIT;
	char err[64];

	ck_assert_int_eq(spawn_request_encode(r, &b), 0);
	ck_assert_uint_gt(b.len, 4);
	uint32_t len = (uint32_t)(unsigned char)b.p[0] << 24 | (unsigned char)b.p[1] << 16 |
	    (unsigned char)b.p[2] << 8 | (unsigned char)b.p[3];
	ck_assert_uint_eq(len, b.len - 4);
	ck_assert_int_eq(spawn_request_parse(b.p + 4, b.len - 4, &q, err, sizeof(err)), 0);
	ck_assert_uint_eq(q->id, 77);
	ck_assert_str_eq(q->queue_id, r->queue_id);
	ck_assert_str_eq(q->sender, "a@example.org");
	ck_assert_str_eq(q->envid, "ENV1");
	ck_assert_int_eq(q->ret, 2);
	ck_assert_int_eq(q->body, 1);
	ck_assert_int_eq(q->smtputf8, 1);
	ck_assert(q->size == 0x100000001ULL);
	ck_assert_uint_eq(q->nrcpts, 2);
	ck_assert_str_eq(q->rcpts[0].addr, "joe@example.test");
	ck_assert_uint_eq(q->rcpts[0].notify, 6);
	ck_assert_str_eq(q->rcpts[0].orcpt_type, "rfc822");
	ck_assert_str_eq(q->rcpts[0].orcpt, "Joe@example.test");
	ck_assert_ptr_null(q->rcpts[1].orcpt);
	spawn_request_free(q);
	/* every truncation fails cleanly */
	for (size_t n = 0; n < b.len - 4; n++) {
		/* cut at a field boundary it may still parse, never with the
		 * second (last) recipient */
		if (spawn_request_parse(b.p + 4, n, &q, err, sizeof(err)) == 0) {
			ck_assert_uint_lt(q->nrcpts, 2);
			spawn_request_free(q);
		} else
			ck_assert_ptr_null(q);
	}
	buf_free(&b);
	spawn_request_free(r);
}
END_TEST

START_TEST(request_limits)
{
	struct spawn_request *r = spawn_request_new();
	struct buf b = BUF_INIT;
	char big[SPAWN_MAX_FIELD + 2];

	spawn_set(&r->sender, "");
	ck_assert_int_eq(spawn_request_encode(r, &b), -1);   /* no recipient */
	for (int i = 0; i < SPAWN_MAX_RCPTS; i++)
		ck_assert_ptr_nonnull(spawn_request_add_rcpt(r, "x@y", 0, NULL, NULL));
	ck_assert_ptr_null(spawn_request_add_rcpt(r, "x@y", 0, NULL, NULL));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	spawn_set(&r->envid, big);
	ck_assert_int_eq(spawn_request_encode(r, &b), -1);
	ck_assert_uint_eq(b.len, 0);
	spawn_set(&r->envid, NULL);
	ck_assert_int_eq(spawn_request_encode(r, &b), 0);
	buf_free(&b);
	spawn_request_free(r);
}
END_TEST

START_TEST(hostile_payloads)
{
	struct spawn_request *q;
	struct spawn_reply *y;
	char err[64];
	/* field length past the end */
	const char a[] = { 'i', 0, 0, 0, 4, 0, 0, 0, 1, 's', 0x7f, 0, 0, 0 };
	/* NUL inside a string */
	const char b[] = { 'i', 0, 0, 0, 4, 0, 0, 0, 1, 's', 0, 0, 0, 2, 'a', 0 };
	/* unknown low tag */
	const char c[] = { 'i', 0, 0, 0, 4, 0, 0, 0, 1, 'Z', 0, 0, 0, 0 };
	/* a result with class 3 */
	const char d[] = { 'i', 0, 0, 0, 4, 0, 0, 0, 1, 'x', 0, 0, 0, 6, 'c', 0, 0, 0, 1, 3 };
	/* unknown high tag is skipped */
	const char e[] = { 'i', 0, 0, 0, 4, 0, 0, 0, 9, (char)200, 0, 0, 0, 1, 'z' };

	ck_assert_int_eq(spawn_request_parse(a, sizeof(a), &q, err, sizeof(err)), -1);
	ck_assert_int_eq(spawn_request_parse(b, sizeof(b), &q, err, sizeof(err)), -1);
	ck_assert_int_eq(spawn_request_parse(c, sizeof(c), &q, err, sizeof(err)), -1);
	ck_assert_int_eq(spawn_reply_parse(d, sizeof(d), &y, err, sizeof(err)), -1);
	ck_assert_int_eq(spawn_reply_parse(e, sizeof(e), &y, err, sizeof(err)), 0);
	ck_assert_uint_eq(y->id, 9);
	ck_assert_uint_eq(y->nresults, 0);
	spawn_reply_free(y);
}
END_TEST

START_TEST(reply_round_trip)
{
	struct spawn_reply *r = spawn_reply_new(5), *q;
	struct buf b = BUF_INIT;
	char err[64];

	spawn_reply_add(r, 2, 250, "2.0.0", "delivered to Maildir", NULL);
	spawn_reply_add(r, 5, 550, "5.1.1", "no such\r\nuser", "mx.example.net");
	spawn_reply_add(r, 9, 0, NULL, NULL, NULL);
	ck_assert_uint_eq(r->results[2].cls, 4);
	ck_assert_str_eq(r->results[1].diag, "no such  user");
	ck_assert_int_eq(spawn_reply_encode(r, &b), 0);
	ck_assert_int_eq(spawn_reply_parse(b.p + 4, b.len - 4, &q, err, sizeof(err)), 0);
	ck_assert_uint_eq(q->id, 5);
	ck_assert_uint_eq(q->nresults, 3);
	ck_assert_uint_eq(q->results[0].cls, 2);
	ck_assert_uint_eq(q->results[1].smtp_code, 550);
	ck_assert_str_eq(q->results[1].dsn_status, "5.1.1");
	ck_assert_str_eq(q->results[1].remote_mta, "mx.example.net");
	ck_assert_ptr_null(q->results[2].diag);
	spawn_reply_free(q);
	spawn_reply_free(r);
	buf_free(&b);
}
END_TEST

START_TEST(reply_relayed_flag)
{
	struct spawn_reply *r = spawn_reply_new(6), *q;
	struct buf b = BUF_INIT;
	char err[64];
	size_t i;
	int seen = 0;

	spawn_reply_add(r, 2, 250, "2.0.0", "ok", "mx.old.example");
	spawn_result_set_flags(spawn_reply_add(r, 2, 250, "2.0.0", "ok",
	    "mx.old.example"), SPAWN_RESULT_RELAYED | 0x100);
	spawn_result_set_flags(spawn_reply_add(r, 4, 451, "4.4.1", "later",
	    NULL), SPAWN_RESULT_RELAYED);
	ck_assert_uint_eq(r->results[1].flags, SPAWN_RESULT_RELAYED);
	ck_assert_int_eq(spawn_reply_encode(r, &b), 0);
	ck_assert_int_eq(spawn_reply_parse(b.p + 4, b.len - 4, &q, err, sizeof(err)), 0);
	ck_assert_uint_eq(q->nresults, 3);
	ck_assert_int_eq(spawn_result_relayed(&q->results[0]), 0);
	ck_assert_int_eq(spawn_result_relayed(&q->results[1]), 1);
	/* only a success can be relayed */
	ck_assert_int_eq(spawn_result_relayed(&q->results[2]), 0);
	/* the flag travels as an optional tag (>= 128) */
	for (i = 4; i < b.len; i++)
		if ((unsigned char)b.p[i] == 0x80)
			seen = 1;
	ck_assert_int_eq(seen, 1);
	spawn_reply_free(q);
	spawn_reply_free(r);
	buf_free(&b);
}
END_TEST

START_TEST(descriptor_passing)
{
	int sv[2], fd1, fd2, got;
	char tmpl1[] = "/tmp/spawnproto.XXXXXX", tmpl2[] = "/tmp/spawnproto.XXXXXX";
	struct spawn_request *r = sample();
	struct spawn_reader rd;
	struct buf b = BUF_INIT, pl = BUF_INIT;
	char c;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fd1 = mkstemp(tmpl1);
	fd2 = mkstemp(tmpl2);
	unlink(tmpl1);
	unlink(tmpl2);
	ck_assert_int_eq(write(fd1, "1", 1), 1);
	ck_assert_int_eq(write(fd2, "2", 1), 1);
	ck_assert_int_eq(spawn_request_encode(r, &b), 0);
	/* two records back to back, each with its descriptor */
	ck_assert_int_eq(spawn_send(sv[0], b.p, b.len, fd1), 0);
	r->id = 78;
	buf_reset(&b);
	ck_assert_int_eq(spawn_request_encode(r, &b), 0);
	ck_assert_int_eq(spawn_send(sv[0], b.p, b.len, fd2), 0);
	close(fd1);
	close(fd2);
	close(sv[0]);
	spawn_reader_init(&rd);
	for (int i = 0; i < 2; i++) {
		struct spawn_request *q;
		char err[64];

		ck_assert_int_eq(spawn_read_record(&rd, sv[1], &pl, 1, &got, 2000), 1);
		ck_assert_int_ge(got, 0);
		ck_assert_int_eq(spawn_request_parse(pl.p, pl.len, &q, err, sizeof(err)), 0);
		ck_assert_uint_eq(q->id, 77 + (unsigned)i);
		ck_assert_int_eq(pread(got, &c, 1, 0), 1);
		ck_assert_int_eq(c, '1' + i);
		close(got);
		spawn_request_free(q);
	}
	ck_assert_int_eq(spawn_read_record(&rd, sv[1], &pl, 1, &got, 2000), 0);
	spawn_reader_free(&rd);
	close(sv[1]);
	buf_free(&b);
	buf_free(&pl);
	spawn_request_free(r);
}
END_TEST

START_TEST(reader_framing_error)
{
	int sv[2], fd;
	struct spawn_reader rd;
	struct buf pl = BUF_INIT;
	const char zero[4] = { 0, 0, 0, 0 };

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[0], zero, 4), 4);
	spawn_reader_init(&rd);
	ck_assert_int_eq(spawn_read_record(&rd, sv[1], &pl, 1, &fd, 2000), -1);
	spawn_reader_free(&rd);
	close(sv[0]);
	close(sv[1]);
	buf_free(&pl);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spawnproto");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, request_round_trip);
	tcase_add_test(tc, request_limits);
	tcase_add_test(tc, hostile_payloads);
	tcase_add_test(tc, reply_round_trip);
	tcase_add_test(tc, reply_relayed_flag);
	tcase_add_test(tc, descriptor_passing);
	tcase_add_test(tc, reader_framing_error);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
