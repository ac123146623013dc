/* test_listen_iptab.c: unit tests for daemon/listen_iptab.c, postern-listen's
 * bounded session and failed-login tables. */
#include <check.h>
#include <stdio.h>
#include "listen.h"

START_TEST(sessions)
{
	iptab_init(3);
	iptab_add(100, "192.0.2.1");
	iptab_add(101, "192.0.2.1");
	iptab_add(102, "::1");
	iptab_add(103, "192.0.2.9");      /* table full: ignored */
	ck_assert_int_eq(iptab_count(), 3);
	ck_assert_int_eq(iptab_count_ip("192.0.2.1"), 2);
	ck_assert_int_eq(iptab_count_ip("::1"), 1);
	ck_assert_int_eq(iptab_count_ip("192.0.2.9"), 0);
	ck_assert_int_eq(iptab_remove(101), 1);
	ck_assert_int_eq(iptab_remove(101), 0);
	ck_assert_int_eq(iptab_count_ip("192.0.2.1"), 1);
	iptab_add(104, "192.0.2.1");
	ck_assert_int_eq(iptab_count_ip("192.0.2.1"), 2);
}
END_TEST

static pid_t alive_pid;
static int only_alive(pid_t p) { return p == alive_pid; }
static int seen;
static void count_seen(pid_t p) { (void)p; seen++; }

START_TEST(lingering_groups)
{
	iptab_init(2);
	iptab_add(200, "192.0.2.1");
	ck_assert_int_eq(iptab_remove(200), 1);
	iptab_linger(200);
	/* a lingering group is not a live session for the limits */
	ck_assert_int_eq(iptab_count(), 0);
	ck_assert_int_eq(iptab_lingering(), 1);
	iptab_linger(200);                  /* no duplicate */
	ck_assert_int_eq(iptab_lingering(), 1);
	iptab_linger(201);
	iptab_linger(202);                  /* full: bounded, one replaced */
	ck_assert_int_eq(iptab_lingering(), 2);
	seen = 0;
	iptab_each_lingering(count_seen);
	ck_assert_int_eq(seen, 2);
	alive_pid = 202;
	iptab_prune(only_alive);
	ck_assert_int_eq(iptab_lingering(), 1);
	alive_pid = 0;
	iptab_prune(only_alive);
	ck_assert_int_eq(iptab_lingering(), 0);
}
END_TEST

START_TEST(failures_window)
{
	ck_assert_uint_eq(failtab_get("198.51.100.7", 1000, 60), 0);
	failtab_fail("198.51.100.7", 1000, 60);
	failtab_fail("198.51.100.7", 1010, 60);
	ck_assert_uint_eq(failtab_get("198.51.100.7", 1020, 60), 2);
	/* the window counts from the last failure */
	ck_assert_uint_eq(failtab_get("198.51.100.7", 1069, 60), 2);
	ck_assert_uint_eq(failtab_get("198.51.100.7", 1070, 60), 0);
	failtab_fail("198.51.100.7", 2000, 60);
	ck_assert_uint_eq(failtab_get("198.51.100.7", 2001, 60), 1);
	failtab_clear("198.51.100.7");
	ck_assert_uint_eq(failtab_get("198.51.100.7", 2001, 60), 0);
}
END_TEST

START_TEST(failures_bounded)
{
	char ip[64];
	/* more IPs than slots: the table stays bounded, the newest are kept */
	for (int i = 0; i < LISTEN_FAIL_SLOTS + 100; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		failtab_fail(ip, 5000 + i, 100000);
	}
	ck_assert_uint_le(failtab_size(), LISTEN_FAIL_SLOTS);
	snprintf(ip, sizeof(ip), "10.%d.%d.%d", 0, 0, 0);
	ck_assert_uint_eq(failtab_get(ip, 5000 + LISTEN_FAIL_SLOTS + 100, 100000), 0);
	int last = LISTEN_FAIL_SLOTS + 99;
	snprintf(ip, sizeof(ip), "10.%d.%d.%d", (last >> 16) & 255, (last >> 8) & 255, last & 255);
	ck_assert_uint_eq(failtab_get(ip, 5000 + LISTEN_FAIL_SLOTS + 100, 100000), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("listen_iptab");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, sessions);
	tcase_add_test(tc, lingering_groups);
	tcase_add_test(tc, failures_window);
	tcase_add_test(tc, failures_bounded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
