/* test_listen_sock.c: unit tests for daemon/listen_sock.c: port numbers,
 * numeric socket address strings (IPv4, IPv6, v4-mapped IPv6), binding
 * literals and refusing names. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "listen.h"

START_TEST(ports)
{
	ck_assert_int_eq(listen_port_parse("25"), 25);
	ck_assert_int_eq(listen_port_parse("1"), 1);
	ck_assert_int_eq(listen_port_parse("65535"), 65535);
	ck_assert_int_eq(listen_port_parse("65536"), -1);
	ck_assert_int_eq(listen_port_parse("0"), -1);
	ck_assert_int_eq(listen_port_parse(""), -1);
	ck_assert_int_eq(listen_port_parse("smtp"), -1);
	ck_assert_int_eq(listen_port_parse("25x"), -1);
	ck_assert_int_eq(listen_port_parse("-25"), -1);
	ck_assert_int_eq(listen_port_parse("+25"), -1);
	ck_assert_int_eq(listen_port_parse(" 25"), -1);
	ck_assert_int_eq(listen_port_parse("000025"), -1);
}
END_TEST

START_TEST(address_strings)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	char ip[LISTEN_IPLEN], port[8];
	int v6;

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(2525);
	inet_pton(AF_INET, "192.0.2.7", &s4.sin_addr);
	listen_addr_str((struct sockaddr *)&s4, sizeof(s4), ip, port, &v6);
	ck_assert_str_eq(ip, "192.0.2.7");
	ck_assert_str_eq(port, "2525");
	ck_assert_int_eq(v6, 0);

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(65535);
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	listen_addr_str((struct sockaddr *)&s6, sizeof(s6), ip, port, &v6);
	ck_assert_str_eq(ip, "2001:db8::1");
	ck_assert_str_eq(port, "65535");
	ck_assert_int_eq(v6, 1);

	/* a v4-mapped peer on a dual-stack socket is an IPv4 client */
	inet_pton(AF_INET6, "::ffff:198.51.100.4", &s6.sin6_addr);
	listen_addr_str((struct sockaddr *)&s6, sizeof(s6), ip, port, &v6);
	ck_assert_str_eq(ip, "198.51.100.4");
	ck_assert_int_eq(v6, 0);

	/* too short for its family */
	listen_addr_str((struct sockaddr *)&s6, 4, ip, port, &v6);
	ck_assert_str_eq(ip, "unknown");
	ck_assert_str_eq(port, "0");
}
END_TEST

/* listen_open binds literals (and [v6]) and exits 100 on a name. */
static int
open_status(const char *addr, const char *port)
{
	int st, fds[LISTEN_MAXSOCK];
	pid_t pid = fork();

	if (pid == 0) {
		int n = listen_open(addr, port, fds);
		_exit(n >= 1 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(binding)
{
	ck_assert_int_eq(open_status("127.0.0.1", "39417"), 0);
	ck_assert_int_eq(open_status("localhost", "39417"), 100);
	ck_assert_int_eq(open_status("127.0.0.1", "port"), 100);
	ck_assert_int_eq(open_status("999.1.1.1", "39417"), 100);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("listen_sock");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, ports);
	tcase_add_test(tc, address_strings);
	tcase_add_test(tc, binding);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
