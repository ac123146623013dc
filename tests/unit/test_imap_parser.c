/* test_imap_parser.c: unit tests for imapd/imap_parser.c (tokens,
 * literals, limits, staying in sync after errors). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "imap_parser.h"

static int sv[2];
static struct io *io;
static struct imap_limits lim;
static char tag[80], reason[200];

static void
feed(const char *data, size_t n)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (n)
		ck_assert_int_eq(write(sv[1], data, n), (ssize_t)n);
	shutdown(sv[1], SHUT_WR);
	io = io_new(sv[0], sv[0], 1000);
	imap_limits_default(&lim);
}

static void
done(void)
{
	io_free(io);
	close(sv[0]);
	close(sv[1]);
}

static int
readcmd(struct imap_cmd **c, int lplus)
{
	return imap_read_command(io, &lim, lplus, c, tag, sizeof(tag), reason, sizeof(reason));
}

#define FEED(s) feed(s, sizeof(s) - 1)

START_TEST(simple)
{
	struct imap_cmd *c;
	FEED("a1 login \"fred\" \"pa\\\"ss\"\r\nb2 NOOP\r\n");
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_OK);
	ck_assert_str_eq(c->tag, "a1");
	ck_assert_str_eq(c->name, "LOGIN");
	ck_assert_uint_eq(c->nargs, 2);
	ck_assert_int_eq(c->args[1].type, IMAP_ARG_QUOTED);
	ck_assert_str_eq(c->args[1].p, "pa\"ss");
	imap_cmd_free(c);
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_OK);
	ck_assert_str_eq(c->name, "NOOP");
	ck_assert_uint_eq(c->nargs, 0);
	imap_cmd_free(c);
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_EOF);
	done();
}
END_TEST

START_TEST(lists_and_sections)
{
	struct imap_cmd *c;
	FEED("x UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100> BODY[1.2.MIME])\r\n");
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_OK);
	ck_assert_str_eq(c->name, "UID");
	ck_assert_uint_eq(c->nargs, 3);
	ck_assert_str_eq(c->args[1].p, "1:*");
	ck_assert_int_eq(c->args[2].type, IMAP_ARG_LIST);
	ck_assert_uint_eq(c->args[2].count, 3);
	ck_assert_str_eq(c->args[2].list[1].p, "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>");
	ck_assert_str_eq(c->args[2].list[2].p, "BODY[1.2.MIME]");
	imap_cmd_free(c);
	done();
}
END_TEST

START_TEST(sync_literal)
{
	struct imap_cmd *c;
	char buf[64];
	FEED("a LOGIN {4}\r\nfred {3}\r\nabc\r\n");
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_OK);
	ck_assert_uint_eq(c->nargs, 2);
	ck_assert_int_eq(c->args[0].type, IMAP_ARG_LITERAL);
	ck_assert_str_eq(c->args[0].p, "fred");
	ck_assert_str_eq(c->args[1].p, "abc");
	imap_cmd_free(c);
	ssize_t n = read(sv[1], buf, sizeof(buf));
	ck_assert_int_eq(n, 12);
	ck_assert_mem_eq(buf, "+ OK\r\n+ OK\r\n", 12);
	done();
}
END_TEST

/* A literal bigger than the reader's chunk arrives intact; one whose
 * sender stops short is an EOF, not a half-filled argument. */
START_TEST(multi_chunk_literal)
{
	struct imap_cmd *c;
	size_t n = 200000;
	char head[64];
	int hl = snprintf(head, sizeof(head), "a APPEND INBOX {%zu+}\r\n", n);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *body = malloc(n + 2);
		for (size_t i = 0; i < n; i++)
			body[i] = (char)('a' + i % 26);
		memcpy(body + n, "\r\n", 2);
		close(sv[0]);
		if (write(sv[1], head, (size_t)hl) != hl ||
		    write(sv[1], body, n + 2) != (ssize_t)(n + 2))
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	sv[1] = -1;
	io = io_new(sv[0], sv[0], 5000);
	imap_limits_default(&lim);
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_OK);
	ck_assert_uint_eq(c->nargs, 2);
	ck_assert_uint_eq(c->args[1].len, n);
	ck_assert_int_eq(c->args[1].p[n], '\0');
	for (size_t i = 0; i < n; i += 9973)
		ck_assert_int_eq(c->args[1].p[i], 'a' + (int)(i % 26));
	imap_cmd_free(c);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	io_free(io);
	close(sv[0]);

	FEED("b APPEND INBOX {60000000+}\r\nonly this");
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_EOF);
	done();
}
END_TEST

START_TEST(nonsync_literal_and_literal8)
{
	struct imap_cmd *c;
	static const char in[] = "a APPEND INBOX (\\Seen) ~{5+}\r\nab\0cd\r\n";
	feed(in, sizeof(in) - 1);
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_OK);
	ck_assert_uint_eq(c->nargs, 3);
	ck_assert_int_eq(c->args[2].literal8, 1);
	ck_assert_uint_eq(c->args[2].len, 5);
	ck_assert_mem_eq(c->args[2].p, "ab\0cd", 5);
	imap_cmd_free(c);
	done();
}
END_TEST

START_TEST(nul_refused_outside_literal8)
{
	struct imap_cmd *c;
	static const char in[] = "a APPEND INBOX {5+}\r\nab\0cd\r\nb NOOP\r\n";
	feed(in, sizeof(in) - 1);
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_BAD);
	ck_assert_str_eq(tag, "a");
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_OK);
	ck_assert_str_eq(c->name, "NOOP");
	imap_cmd_free(c);
	done();
}
END_TEST

START_TEST(too_big_sync_literal_gets_no_continuation)
{
	struct imap_cmd *c;
	char buf[64];
	FEED("a APPEND INBOX {999999999999}\r\nb NOOP\r\n");
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_TOOBIG);
	ck_assert_str_eq(tag, "a");
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_OK);
	ck_assert_str_eq(c->tag, "b");
	imap_cmd_free(c);
	ck_assert_int_eq(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	done();
}
END_TEST

START_TEST(too_big_nonsync_literal_is_consumed)
{
	struct imap_cmd *c;
	char in[300];
	lim.max_literal = 0;
	memset(in, 0, sizeof(in));
	strcpy(in, "a APPEND INBOX {100+}\r\n");
	size_t n = strlen(in);
	memset(in + n, 'X', 100);
	memcpy(in + n + 100, " x NOOP\r\nb NOOP\r\n", 17);
	feed(in, n + 117);
	lim.max_literal = 10;
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_TOOBIG);
	ck_assert_str_eq(tag, "a");
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_OK);
	ck_assert_str_eq(c->tag, "b");
	imap_cmd_free(c);
	done();
}
END_TEST

START_TEST(huge_nonsync_literal_closes)
{
	struct imap_cmd *c;
	FEED("a APPEND INBOX {99999999999999+}\r\n");
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_FATAL);
	done();
}
END_TEST

START_TEST(errors_are_bad_with_tag)
{
	struct imap_cmd *c;
	FEED("t1 FETCH 1 (FLAGS\r\nt2 LOGIN \"abc\r\nt3 X \"a\\b\"\r\n+ NOOP\r\n\r\nt5 FETCH 1 ((((((((((((((((((((x))))))))))))))))))))\r\nt6 NOOP\r\n");
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_BAD);
	ck_assert_str_eq(tag, "t1");
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_BAD);
	ck_assert_str_eq(tag, "t2");
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_BAD);
	ck_assert_str_eq(tag, "t3");
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_BAD);
	ck_assert_str_eq(tag, "*");
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_BAD);
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_BAD);
	ck_assert_str_eq(tag, "t5");
	ck_assert_int_eq(readcmd(&c, 0), IMAP_READ_OK);
	ck_assert_str_eq(c->tag, "t6");
	imap_cmd_free(c);
	done();
}
END_TEST

START_TEST(long_line_bad_and_in_sync)
{
	struct imap_cmd *c;
	size_t n = 70000;
	char *in = malloc(n + 64);
	memcpy(in, "t1 FETCH ", 9);
	memset(in + 9, '1', n - 9);
	memcpy(in + n, " {4+}\r\nabcd\r\nt2 NOOP\r\n", 22);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int sz = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	ck_assert_int_eq(write(sv[1], in, n + 22), (ssize_t)(n + 22));
	shutdown(sv[1], SHUT_WR);
	io = io_new(sv[0], sv[0], 1000);
	imap_limits_default(&lim);
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_BAD);
	ck_assert_str_eq(tag, "t1");
	ck_assert_int_eq(readcmd(&c, 1), IMAP_READ_OK);
	ck_assert_str_eq(c->tag, "t2");
	imap_cmd_free(c);
	free(in);
	done();
}
END_TEST

START_TEST(numbers)
{
	struct imap_arg a = { .type = IMAP_ARG_ATOM, .p = "4294967295", .len = 10 };
	unsigned long long v;
	ck_assert(imap_arg_number(&a, 4294967295ULL, &v));
	ck_assert_uint_eq(v, 4294967295ULL);
	a.p = "4294967296";
	ck_assert(!imap_arg_number(&a, 4294967295ULL, &v));
	a.p = "12a";
	a.len = 3;
	ck_assert(!imap_arg_number(&a, 4294967295ULL, &v));
	ck_assert(imap_tag_valid("A001", 4));
	ck_assert(!imap_tag_valid("A+1", 3));
	ck_assert(!imap_tag_valid("A*", 2));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap_parser");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, simple);
	tcase_add_test(tc, lists_and_sections);
	tcase_add_test(tc, sync_literal);
	tcase_add_test(tc, multi_chunk_literal);
	tcase_add_test(tc, nonsync_literal_and_literal8);
	tcase_add_test(tc, nul_refused_outside_literal8);
	tcase_add_test(tc, too_big_sync_literal_gets_no_continuation);
	tcase_add_test(tc, too_big_nonsync_literal_is_consumed);
	tcase_add_test(tc, huge_nonsync_literal_closes);
	tcase_add_test(tc, errors_are_bad_with_tag);
	tcase_add_test(tc, long_line_bad_and_in_sync);
	tcase_add_test(tc, numbers);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
