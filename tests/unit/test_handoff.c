/* test_handoff.c: unit tests for common/handoff.c (the pre-auth ->
 * post-auth record), common/authclient.c (monitor request) and
 * common/authreport.c (listener reports). */
#include <check.h>
#include <stdio.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "authclient.h"
#include "authreport.h"
#include "handoff.h"

static void fill(struct handoff *h)
{
	handoff_init(h);
	strcpy(h->service, "imap");
	buf_puts(&h->tag, "a001");
	buf_puts(&h->command, "LOGIN");
	buf_append(&h->pipelined, "a002 SELECT INBOX\r\n\0binary", 27);
	h->tls.active = 1;
	strcpy(h->tls.version, "TLS1.3");
	strcpy(h->tls.cipher, "AES-256-GCM");
	strcpy(h->tls.sni, "mail.example.test");
	strcpy(h->remote_ip, "2001:db8::1");
	strcpy(h->remote_port, "4711");
	h->fail_count = 2;
	strcpy(h->user, "alice@example.test");
}

START_TEST(roundtrip)
{
	struct handoff a, b;
	struct buf rec = BUF_INIT;
	fill(&a);
	handoff_encode(&a, &rec);
	handoff_init(&b);
	ck_assert_int_eq(handoff_decode(rec.p, rec.len, &b), 0);
	ck_assert_str_eq(b.service, "imap");
	ck_assert_uint_eq(b.tag.len, 4);
	ck_assert_mem_eq(b.tag.p, "a001", 4);
	ck_assert_mem_eq(b.command.p, "LOGIN", 5);
	ck_assert_uint_eq(b.pipelined.len, 27);
	ck_assert_mem_eq(b.pipelined.p, a.pipelined.p, 27);
	ck_assert_int_eq(b.tls.active, 1);
	ck_assert_str_eq(b.tls.version, "TLS1.3");
	ck_assert_str_eq(b.tls.cipher, "AES-256-GCM");
	ck_assert_str_eq(b.tls.sni, "mail.example.test");
	ck_assert_str_eq(b.remote_ip, "2001:db8::1");
	ck_assert_str_eq(b.remote_port, "4711");
	ck_assert_uint_eq(b.fail_count, 2);
	ck_assert_str_eq(b.user, "alice@example.test");
	handoff_free(&a);
	handoff_free(&b);
	buf_free(&rec);
}
END_TEST

START_TEST(empty_record)
{
	struct handoff a, b;
	struct buf rec = BUF_INIT;
	handoff_init(&a);
	handoff_encode(&a, &rec);
	handoff_init(&b);
	ck_assert_int_eq(handoff_decode(rec.p, rec.len, &b), 0);
	ck_assert_int_eq(b.tls.active, 0);
	ck_assert_uint_eq(b.pipelined.len, 0);
	ck_assert_str_eq(b.service, "");
	handoff_free(&b);
	buf_free(&rec);
}
END_TEST

START_TEST(every_truncation_is_rejected)
{
	struct handoff a, b;
	struct buf rec = BUF_INIT;
	fill(&a);
	handoff_encode(&a, &rec);
	handoff_init(&b);
	/* Cutting the record anywhere inside a field must fail; cutting at a
	 * field boundary gives a valid shorter record. */
	int ok = 0;
	for (size_t n = 0; n < rec.len; n++) {
		char *copy = malloc(n ? n : 1);
		memcpy(copy, rec.p, n);
		if (handoff_decode(copy, n, &b) == 0)
			ok++;
		free(copy);
	}
	ck_assert_int_le(ok, 12);   /* at most one per field boundary */
	ck_assert_int_eq(handoff_decode(rec.p, rec.len, &b), 0);
	handoff_free(&a);
	handoff_free(&b);
	buf_free(&rec);
}
END_TEST

START_TEST(bad_records)
{
	struct handoff h;
	handoff_init(&h);
	ck_assert_int_eq(handoff_decode("PHO", 3, &h), -1);
	ck_assert_int_eq(handoff_decode("XXXX", 4, &h), -1);
	/* a length larger than what follows */
	ck_assert_int_eq(handoff_decode("PHO1\x01\x00\x00\x00\x05imap", 13, &h), -1);
	/* a huge claimed length: no allocation, just refusal */
	ck_assert_int_eq(handoff_decode("PHO1\x03\xff\xff\xff\xff", 9, &h), -1);
	/* duplicate field */
	ck_assert_int_eq(handoff_decode("PHO1\x01\x00\x00\x00\x01x\x01\x00\x00\x00\x01y", 16, &h), -1);
	/* control character in a text field */
	ck_assert_int_eq(handoff_decode("PHO1\x01\x00\x00\x00\x02x\n", 11, &h), -1);
	/* bad fail count */
	ck_assert_int_eq(handoff_decode("PHO1\x0a\x00\x00\x00\x02x1", 11, &h), -1);
	/* unknown tags are skipped */
	ck_assert_int_eq(handoff_decode("PHO1\x7f\x00\x00\x00\x02zz\x01\x00\x00\x00\x04imap", 20, &h), 0);
	ck_assert_str_eq(h.service, "imap");
	handoff_free(&h);
}
END_TEST

START_TEST(pipelined_limit)
{
	struct handoff a, b;
	struct buf rec = BUF_INIT;
	handoff_init(&a);
	char *big = calloc(1, HANDOFF_PIPELINED_MAX + 1);
	buf_append(&a.pipelined, big, HANDOFF_PIPELINED_MAX + 1);
	handoff_encode(&a, &rec);
	handoff_init(&b);
	ck_assert_int_eq(handoff_decode(rec.p, rec.len, &b), -1);
	free(big);
	handoff_free(&a);
	handoff_free(&b);
	buf_free(&rec);
}
END_TEST

START_TEST(receive_from_env)
{
	struct handoff a, b;
	struct buf rec = BUF_INIT;
	int p[2], s[2];
	char c = 0;
	fill(&a);
	handoff_encode(&a, &rec);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(s), 0);
	ck_assert_int_eq(write(p[1], rec.p, rec.len), (ssize_t)rec.len);
	close(p[1]);
	char num[16];
	snprintf(num, sizeof(num), "%d", p[0]);
	setenv(HANDOFF_FD_ENV, num, 1);
	snprintf(num, sizeof(num), "%d", s[1]);
	setenv(HANDOFF_STARTED_ENV, num, 1);
	handoff_init(&b);
	ck_assert_int_eq(handoff_receive(&b), 1);
	ck_assert_int_eq(read(s[0], &c, 1), 1);
	ck_assert_int_eq(c, 'S');
	ck_assert_int_eq(read(s[0], &c, 1), 0);   /* closed */
	ck_assert_ptr_null(getenv(HANDOFF_FD_ENV));
	ck_assert_str_eq(b.user, "alice@example.test");
	/* without the variables: not under a monitor */
	ck_assert_int_eq(handoff_receive(&b), 0);
	handoff_free(&a);
	handoff_free(&b);
	buf_free(&rec);
}
END_TEST

START_TEST(auth_request_roundtrip)
{
	int sp[2];
	unsigned char hdr[4];
	char body[1024];
	const char *u, *p, *h;
	size_t ul, pl, hl;
	int fd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	if (fork() == 0) {
		enum auth_answer a = authclient_check(sp[1], "bob", 3, "pw", 2, "REC", 3, 5000);
		_exit(a == AUTH_NO ? 0 : 1);
	}
	ck_assert_int_eq(authclient_read_header(sp[0], hdr, &fd), 1);
	ck_assert_int_ge(fd, 0);    /* descriptor 0 came along */
	close(fd);
	size_t len = authclient_body_len(hdr);
	ck_assert_uint_eq(len, 2 + 3 + 2 + 2 + 3);
	ck_assert_int_eq(read(sp[0], body, len), (ssize_t)len);
	ck_assert_int_eq(authclient_parse_request(body, len, &u, &ul, &p, &pl, &h, &hl), 0);
	ck_assert_mem_eq(u, "bob", 3);
	ck_assert_mem_eq(p, "pw", 2);
	ck_assert_mem_eq(h, "REC", 3);
	ck_assert_int_eq(write(sp[0], "N", 1), 1);
	int st;
	wait(&st);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

START_TEST(auth_request_bad)
{
	const char *u, *p, *h;
	size_t ul, pl, hl;
	ck_assert_int_eq(authclient_parse_request("", 0, &u, &ul, &p, &pl, &h, &hl), -1);
	ck_assert_int_eq(authclient_parse_request("\0\0\0\0", 4, &u, &ul, &p, &pl, &h, &hl), -1); /* empty user */
	ck_assert_int_eq(authclient_parse_request("\0\x05" "ab", 4, &u, &ul, &p, &pl, &h, &hl), -1);
	ck_assert_int_eq(authclient_parse_request("\0\x02" "a\0" "\0\0", 6, &u, &ul, &p, &pl, &h, &hl), -1); /* NUL */
	ck_assert_int_eq(authclient_parse_request("\0\x01" "a" "\0", 4, &u, &ul, &p, &pl, &h, &hl), -1);
	ck_assert_int_eq(authclient_parse_request("\0\x01" "a" "\0\0", 5, &u, &ul, &p, &pl, &h, &hl), 0);
	ck_assert_uint_eq(hl, 0);
	/* the client side refuses NULs and oversize credentials unasked */
	ck_assert_int_eq(authclient_check(-1, "a", 1, "b", 1, NULL, 0, 100), AUTH_UNAVAILABLE);
	ck_assert_int_eq(authclient_check(0, "a\0b", 3, "b", 1, NULL, 0, 100), AUTH_NO);
}
END_TEST

START_TEST(report_parse)
{
	char ip[64];
	ck_assert_int_eq(authreport_parse("fail 192.0.2.1", 14, ip, sizeof(ip)), AUTHREPORT_FAIL);
	ck_assert_str_eq(ip, "192.0.2.1");
	ck_assert_int_eq(authreport_parse("ok ::1", 6, ip, sizeof(ip)), AUTHREPORT_OK);
	ck_assert_str_eq(ip, "::1");
	ck_assert_int_eq(authreport_parse("fail ", 5, ip, sizeof(ip)), -1);
	ck_assert_int_eq(authreport_parse("fail 1.2.3.4\n", 13, ip, sizeof(ip)), -1);
	ck_assert_int_eq(authreport_parse("bad 1.2.3.4", 11, ip, sizeof(ip)), -1);
	ck_assert_int_eq(authreport_parse("fail 1.2.3.4", 12, ip, 4), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handoff");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, empty_record);
	tcase_add_test(tc, every_truncation_is_rejected);
	tcase_add_test(tc, bad_records);
	tcase_add_test(tc, pipelined_limit);
	tcase_add_test(tc, receive_from_env);
	tcase_add_test(tc, auth_request_roundtrip);
	tcase_add_test(tc, auth_request_bad);
	tcase_add_test(tc, report_parse);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
