/* test_tlsctl.c: unit tests for common/tlsctl.c and common/tlsenv.c:
 * answer/request formats, descriptor passing, and tlsctl_starttls against
 * a fake terminator (no TLS here: the data socket is a plain socketpair). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "io.h"
#include "tlsctl.h"
#include "tlsenv.h"

START_TEST(answer_roundtrip)
{
	struct tls_facts f = { 1, "TLS1.3", "AES-128-GCM", "mx.example.test" }, g;
	char buf[TLSCTL_MAX], reason[64];
	size_t n = tlsctl_format_ok(buf, sizeof(buf), &f);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(tlsctl_parse_answer(buf, n, &g, reason, sizeof(reason)), 1);
	ck_assert_str_eq(g.version, "TLS1.3");
	ck_assert_str_eq(g.cipher, "AES-128-GCM");
	ck_assert_str_eq(g.sni, "mx.example.test");
	ck_assert_int_eq(g.active, 1);
	/* every truncation is malformed */
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(tlsctl_parse_answer(buf, k, &g, reason, sizeof(reason)), -1);
	n = tlsctl_format_no(buf, sizeof(buf), "handshake failed");
	ck_assert_int_eq(tlsctl_parse_answer(buf, n, &g, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, "handshake failed");
	ck_assert_int_eq(g.active, 0);
	/* too small an output buffer */
	ck_assert_uint_eq(tlsctl_format_ok(buf, 8, &f), 0);
}
END_TEST

START_TEST(answer_bad)
{
	struct tls_facts g;
	char reason[8];
	ck_assert_int_eq(tlsctl_parse_answer("OK\0\0c\0s\0", 8, &g, reason, sizeof(reason)), -1); /* empty version */
	ck_assert_int_eq(tlsctl_parse_answer("OK\0v\0c\0s\0x", 11, &g, reason, sizeof(reason)), -1);
	ck_assert_int_eq(tlsctl_parse_answer("OK\0v\x01\0c\0s\0", 11, &g, reason, sizeof(reason)), -1);
	ck_assert_int_eq(tlsctl_parse_answer("MAYBE\0", 6, &g, reason, sizeof(reason)), -1);
	ck_assert_int_eq(tlsctl_parse_answer("NO\0a very long reason\0", 22, &g, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, "a very ");   /* cut to the buffer */
}
END_TEST

START_TEST(request_parse)
{
	const char *r;
	size_t n;
	ck_assert_int_eq(tlsctl_parse_request("STARTTLS\0" "220 go\r\n", 17, &r, &n), 0);
	ck_assert_uint_eq(n, 8);
	ck_assert_mem_eq(r, "220 go\r\n", 8);
	ck_assert_int_eq(tlsctl_parse_request("STARTTLS", 8, &r, &n), -1);
	ck_assert_int_eq(tlsctl_parse_request("STARTTLX\0", 9, &r, &n), -1);
}
END_TEST

START_TEST(env_facts)
{
	struct tls_facts f = { 1, "TLS1.2", "CHACHA20-POLY1305", "" }, g;
	ck_assert_int_eq(tlsenv_write(&f), 0);
	ck_assert_int_eq(tlsenv_read(&g), 1);
	ck_assert_str_eq(g.version, "TLS1.2");
	ck_assert_str_eq(g.cipher, "CHACHA20-POLY1305");
	ck_assert_str_eq(g.sni, "");
	setenv(TLSENV_SNI, "bad name", 1);   /* space: refused */
	ck_assert_int_eq(tlsenv_read(&g), 1);
	ck_assert_str_eq(g.sni, "");
	f.active = 0;
	ck_assert_int_eq(tlsenv_write(&f), 0);
	ck_assert_int_eq(tlsenv_read(&g), 0);
	ck_assert_ptr_null(getenv(TLSENV_VERSION));
}
END_TEST

/* A fake postern-tls: reads the request, writes the reply bytes to the
 * client side, answers OK with a fresh socketpair whose other end says
 * "secure\n". */
START_TEST(starttls_against_fake_terminator)
{
	int ctl[2], data[2], client;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctl), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, data), 0);
	client = data[0];
	pid_t pid = fork();
	if (pid == 0) {
		char req[TLSCTL_MAX], ans[TLSCTL_MAX];
		const char *reply;
		size_t rl;
		int fd, np[2];
		close(ctl[1]);
		ssize_t n = tlsctl_recv(ctl[0], req, sizeof(req), &fd, 5000);
		if (n <= 0 || tlsctl_parse_request(req, (size_t)n, &reply, &rl) < 0)
			_exit(1);
		if (rl != 8 || memcmp(reply, "220 go\r\n", 8) != 0)
			_exit(2);
		socketpair(AF_UNIX, SOCK_STREAM, 0, np);
		struct tls_facts f = { 1, "TLS1.3", "AES-256-GCM", "x.test" };
		size_t k = tlsctl_format_ok(ans, sizeof(ans), &f);
		if (tlsctl_send(ctl[0], ans, k, np[1]) < 0)
			_exit(3);
		close(np[1]);
		if (write(np[0], "secure\n", 7) != 7)
			_exit(4);
		char tmp[16];
		if (read(np[0], tmp, sizeof(tmp)) != 5 || memcmp(tmp, "done\n", 5) != 0)
			_exit(5);
		_exit(0);
	}
	close(ctl[0]);
	/* the program side: fds 0/1 are the "connection"; a pipelined line
	 * is buffered before STARTTLS and must be gone after it */
	dup2(data[1], 0);
	dup2(data[1], 1);
	ck_assert_int_eq(write(client, "STARTTLS\r\nINJECT\r\n", 18), 18);
	struct io *io = io_new(0, 1, 5000);
	const char *line;
	size_t len;
	ck_assert_int_eq(io_getline(io, 100, &line, &len), IO_OK);
	ck_assert_uint_gt(io_pending(io), 0);
	char num[16];
	snprintf(num, sizeof(num), "%d", ctl[1]);
	setenv(TLSCTL_ENV, num, 1);
	ck_assert_int_eq(tlsctl_available(), 1);
	struct tls_facts f;
	char reason[64];
	ck_assert_int_eq(tlsctl_starttls(io, "220 go\r\n", 8, &f, reason, sizeof(reason)), 0);
	ck_assert_str_eq(f.version, "TLS1.3");
	ck_assert_str_eq(f.sni, "x.test");
	ck_assert_uint_eq(io_pending(io), 0);
	ck_assert_int_eq(tlsctl_available(), 0);
	ck_assert_int_eq(io_getline(io, 100, &line, &len), IO_OK);
	ck_assert_mem_eq(line, "secure\n", 7);
	io_puts(io, "done\n");
	ck_assert_int_eq(io_flush(io), IO_OK);
	int st;
	waitpid(pid, &st, 0);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	io_free(io);
}
END_TEST

START_TEST(starttls_refused)
{
	int ctl[2], data[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ctl), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, data), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char req[TLSCTL_MAX], ans[64];
		int fd;
		if (tlsctl_recv(ctl[0], req, sizeof(req), &fd, 5000) <= 0)
			_exit(1);
		size_t k = tlsctl_format_no(ans, sizeof(ans), "handshake failed");
		tlsctl_send(ctl[0], ans, k, -1);
		_exit(0);
	}
	struct io *io = io_new(data[1], data[1], 5000);
	char num[16], reason[64];
	struct tls_facts f;
	snprintf(num, sizeof(num), "%d", ctl[1]);
	setenv(TLSCTL_ENV, num, 1);
	ck_assert_int_eq(tlsctl_starttls(io, "OK\r\n", 4, &f, reason, sizeof(reason)), -1);
	ck_assert_str_eq(reason, "handshake failed");
	ck_assert_int_eq(f.active, 0);
	waitpid(pid, NULL, 0);
	/* no control descriptor at all */
	unsetenv(TLSCTL_ENV);
	ck_assert_int_eq(tlsctl_starttls(io, "OK\r\n", 4, &f, reason, sizeof(reason)), -1);
	io_free(io);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tlsctl");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, answer_roundtrip);
	tcase_add_test(tc, answer_bad);
	tcase_add_test(tc, request_parse);
	tcase_add_test(tc, env_facts);
	tcase_add_test(tc, starttls_against_fake_terminator);
	tcase_add_test(tc, starttls_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
