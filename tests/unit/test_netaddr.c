/* test_netaddr.c: unit tests for common/netaddr.c. */
#include <check.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "netaddr.h"
#include "table.h"

static struct netaddr
addr(const char *s)
{
	struct netaddr a;
	ck_assert_msg(netaddr_parse(s, strlen(s), &a) == 0, "parse %s", s);
	return a;
}

static struct netaddr_cidr
net(const char *s)
{
	struct netaddr_cidr n;
	ck_assert_msg(netaddr_cidr_parse(s, strlen(s), &n) == 0, "cidr %s", s);
	return n;
}

static const char *
fmt(const struct netaddr *a)
{
	static char out[NETADDR_STRLEN];
	netaddr_format(a, out, sizeof(out));
	return out;
}

START_TEST(parse_addresses)
{
	struct netaddr a = addr("192.0.2.1");
	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_str_eq(fmt(&a), "192.0.2.1");
	a = addr("2001:DB8::1");
	ck_assert_int_eq(a.family, AF_INET6);
	ck_assert_str_eq(fmt(&a), "2001:db8::1");
	a = addr("[::1]");
	ck_assert_str_eq(fmt(&a), "::1");
	a = addr("::ffff:10.1.2.3");
	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_str_eq(fmt(&a), "10.1.2.3");

	static const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ",
	    " 1.2.3.4", "01.2.3.4", "fe80::1%eth0", "localhost", "1:2:3:4:5:6:7:8:9",
	    "[1.2.3.4]", "[::1", "::1]", "1.2.3.4/8", "0x7f.0.0.1",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL };
	for (int i = 0; bad[i] != NULL; i++) {
		struct netaddr b;
		ck_assert_msg(netaddr_parse(bad[i], strlen(bad[i]), &b) == -1, "accepted %s", bad[i]);
	}
	/* length is respected: no read past len */
	ck_assert_int_eq(netaddr_parse("10.0.0.1junk", 8, &a), 0);
	ck_assert_str_eq(fmt(&a), "10.0.0.1");
}
END_TEST

START_TEST(cidr_and_match)
{
	struct netaddr_cidr n = net("10.0.0.0/8");
	ck_assert_uint_eq(n.prefix, 8);
	struct netaddr a = addr("10.200.3.4");
	ck_assert_int_eq(netaddr_match(&n, &a), 1);
	a = addr("11.0.0.1");
	ck_assert_int_eq(netaddr_match(&n, &a), 0);

	n = net("192.168.1.77/23");   /* host bits cleared */
	ck_assert_str_eq(fmt(&n.addr), "192.168.0.0");
	a = addr("192.168.1.200");
	ck_assert_int_eq(netaddr_match(&n, &a), 1);
	a = addr("192.168.2.1");
	ck_assert_int_eq(netaddr_match(&n, &a), 0);

	n = net("192.0.2.5");
	ck_assert_uint_eq(n.prefix, 32);
	a = addr("192.0.2.5");
	ck_assert_int_eq(netaddr_match(&n, &a), 1);
	a = addr("192.0.2.6");
	ck_assert_int_eq(netaddr_match(&n, &a), 0);

	n = net("0.0.0.0/0");
	ck_assert_int_eq(netaddr_match(&n, &a), 1);
	struct netaddr v6 = addr("2001:db8::5");
	ck_assert_int_eq(netaddr_match(&n, &v6), 0);

	n = net("2001:db8::/32");
	ck_assert_int_eq(netaddr_match(&n, &v6), 1);
	v6 = addr("2001:db9::5");
	ck_assert_int_eq(netaddr_match(&n, &v6), 0);
	ck_assert_int_eq(netaddr_match(&n, &a), 0);
	n = net("2001:db8:0:1::/63");
	v6 = addr("2001:db8::1:0:0:0:1");
	ck_assert_int_eq(netaddr_match(&n, &v6), 1);
	v6 = addr("2001:db8:0:2::1");
	ck_assert_int_eq(netaddr_match(&n, &v6), 0);

	/* IPv4-mapped */
	n = net("::ffff:10.0.0.0/104");
	ck_assert_int_eq(n.addr.family, AF_INET);
	ck_assert_uint_eq(n.prefix, 8);
	a = addr("10.9.9.9");
	ck_assert_int_eq(netaddr_match(&n, &a), 1);
	a = addr("::ffff:10.9.9.9");
	ck_assert_int_eq(netaddr_match(&n, &a), 1);
	n = net("::/0");
	ck_assert_int_eq(netaddr_match(&n, &a), 1);
	n = net("::ffff:0.0.0.0/96");
	ck_assert_int_eq(n.addr.family, AF_INET);
	ck_assert_int_eq(netaddr_match(&n, &a), 1);
	n = net("::ffff:0.0.0.0/80");
	ck_assert_int_eq(n.addr.family, AF_INET6);
	ck_assert_int_eq(netaddr_match(&n, &a), 1);
	n = net("[::1]/128");
	v6 = addr("::1");
	ck_assert_int_eq(netaddr_match(&n, &v6), 1);

	static const char *bad[] = { "10.0.0.0/33", "10.0.0.0/", "/8", "10.0.0.0/08",
	    "10.0.0.0/-1", "10.0.0.0/8/8", "::/129", "10.0.0.0/ 8", "10.0.0.0/1000",
	    "::ffff:1.2.3.4/129", "10.0.0.0/8x", NULL };
	for (int i = 0; bad[i] != NULL; i++) {
		struct netaddr_cidr b;
		ck_assert_msg(netaddr_cidr_parse(bad[i], strlen(bad[i]), &b) == -1,
		    "accepted %s", bad[i]);
	}
}
END_TEST

START_TEST(loopback)
{
	struct netaddr a = addr("127.0.0.1");
	ck_assert_int_eq(netaddr_is_loopback(&a), 1);
	a = addr("127.255.0.9");
	ck_assert_int_eq(netaddr_is_loopback(&a), 1);
	a = addr("::1");
	ck_assert_int_eq(netaddr_is_loopback(&a), 1);
	a = addr("::ffff:127.0.0.1");
	ck_assert_int_eq(netaddr_is_loopback(&a), 1);
	a = addr("128.0.0.1");
	ck_assert_int_eq(netaddr_is_loopback(&a), 0);
	a = addr("::2");
	ck_assert_int_eq(netaddr_is_loopback(&a), 0);
}
END_TEST

START_TEST(relay_table)
{
	char err[256];
	const char *src = "# relay networks\n127.0.0.0/8\n\n::1\n192.0.2.0/24  # office\n";
	struct table *t = table_parse("relaynets", src, strlen(src), err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	struct netaddr a = addr("192.0.2.44");
	ck_assert_int_eq(netaddr_in_table(t, &a, err, sizeof(err)), 1);
	a = addr("::ffff:127.0.0.1");
	ck_assert_int_eq(netaddr_in_table(t, &a, err, sizeof(err)), 1);
	a = addr("198.51.100.1");
	ck_assert_int_eq(netaddr_in_table(t, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(netaddr_table_check(t, err, sizeof(err)), 0);
	table_free(t);

	/* a bad line is reported even when an earlier line matches */
	src = "127.0.0.0/8\n\n10.0.0.0/8x\n";
	t = table_parse("/etc/relaynets", src, strlen(src), err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	a = addr("127.0.0.1");
	err[0] = '\0';
	ck_assert_int_eq(netaddr_in_table(t, &a, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/etc/relaynets:3: bad network \"10.0.0.0/8x\"");
	ck_assert_int_eq(netaddr_table_check(t, err, sizeof(err)), -1);
	table_free(t);
}
END_TEST

static void
clear_env(void)
{
	unsetenv("TCPREMOTEIP");
	unsetenv("TCPREMOTEPORT");
	unsetenv("TCPLOCALIP");
	unsetenv("TCPLOCALPORT");
	unsetenv("REMOTE_ADDR");
	unsetenv("REMOTE_PORT");
	unsetenv("TCP6REMOTEIP");
	unsetenv("TCP6REMOTEPORT");
	unsetenv("TCP6LOCALIP");
	unsetenv("TCP6LOCALPORT");
}

START_TEST(client_from_env)
{
	struct netaddr_client c;
	int devnull = open("/dev/null", 0);
	dup2(devnull, 0);   /* fd 0 is no socket */

	clear_env();
	setenv("TCPREMOTEIP", "::ffff:198.51.100.7", 1);
	setenv("TCPREMOTEPORT", "40000", 1);
	setenv("TCPLOCALIP", "192.0.2.1", 1);
	setenv("TCPLOCALPORT", "25", 1);
	setenv("REMOTE_ADDR", "203.0.113.9", 1);
	ck_assert_int_eq(netaddr_client(&c), 0);
	ck_assert_str_eq(c.remote_ip, "198.51.100.7");
	ck_assert_str_eq(c.remote_port, "40000");
	ck_assert_str_eq(c.local_ip, "192.0.2.1");
	ck_assert_str_eq(c.local_port, "25");
	ck_assert_int_eq(c.local_known, 1);

	/* systemd Accept=yes / inetd wrappers */
	clear_env();
	setenv("REMOTE_ADDR", "2001:db8::7", 1);
	setenv("REMOTE_PORT", "99999", 1);   /* bad port: "0" */
	ck_assert_int_eq(netaddr_client(&c), 0);
	ck_assert_str_eq(c.remote_ip, "2001:db8::7");
	ck_assert_str_eq(c.remote_port, "0");
	ck_assert_int_eq(c.local_known, 0);
	ck_assert_str_eq(c.local_ip, "unknown");

	/* ucspi-tcp6 names */
	clear_env();
	setenv("PROTO", "TCP6", 1);
	setenv("TCP6REMOTEIP", "2001:db8::2", 1);
	setenv("TCP6REMOTEPORT", "1234", 1);
	setenv("TCP6LOCALIP", "::1", 1);
	setenv("TCP6LOCALPORT", "10025", 1);
	ck_assert_int_eq(netaddr_client(&c), 0);
	ck_assert_str_eq(c.remote_ip, "2001:db8::2");
	ck_assert_str_eq(c.remote_port, "1234");
	ck_assert_str_eq(c.local_ip, "::1");
	ck_assert_str_eq(c.local_port, "10025");
	unsetenv("PROTO");

	/* garbage in the environment is not copied */
	clear_env();
	setenv("TCPREMOTEIP", "1.2.3.4\nevent=forged", 1);
	ck_assert_int_eq(netaddr_client(&c), -1);
	ck_assert_int_eq(c.remote_known, 0);
	ck_assert_str_eq(c.remote_ip, "unknown");
	ck_assert_str_eq(c.remote_port, "0");
}
END_TEST

START_TEST(client_from_socket)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct netaddr_client c;
	char port[8];
	int ls, cs, as;

	clear_env();
	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(ls, 1), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	cs = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(cs, (struct sockaddr *)&sa, sizeof(sa)), 0);
	as = accept(ls, NULL, NULL);
	ck_assert_int_ge(as, 0);
	ck_assert_int_eq(dup2(as, 0), 0);

	ck_assert_int_eq(netaddr_client(&c), 0);
	ck_assert_str_eq(c.remote_ip, "127.0.0.1");
	ck_assert_str_eq(c.local_ip, "127.0.0.1");
	snprintf(port, sizeof(port), "%u", ntohs(sa.sin_port));
	ck_assert_str_eq(c.local_port, port);
	sl = sizeof(sa);
	ck_assert_int_eq(getsockname(cs, (struct sockaddr *)&sa, &sl), 0);
	snprintf(port, sizeof(port), "%u", ntohs(sa.sin_port));
	ck_assert_str_eq(c.remote_port, port);
	ck_assert_int_eq(netaddr_is_loopback(&c.remote), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netaddr");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_addresses);
	tcase_add_test(tc, cidr_and_match);
	tcase_add_test(tc, loopback);
	tcase_add_test(tc, relay_table);
	tcase_add_test(tc, client_from_env);
	tcase_add_test(tc, client_from_socket);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	/* Each test changes process state (ids, chroot, fd 0): always fork. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
