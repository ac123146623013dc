/* test_prelogin.c: unit tests for common/prelogin.c: the pause after a
 * failed login, the plaintext_auth rule, the SASL exchange and the login
 * request to a stand-in monitor (a socketpair with the answer already
 * queued). */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "authclient.h"
#include "handoff.h"
#include "prelogin.h"

START_TEST(fail_delay_doubles_up_to_the_cap)
{
	ck_assert_int_eq(prelogin_fail_delay(1, 1), 1);
	ck_assert_int_eq(prelogin_fail_delay(1, 2), 2);
	ck_assert_int_eq(prelogin_fail_delay(1, 3), 4);
	ck_assert_int_eq(prelogin_fail_delay(1, 4), 8);
	ck_assert_int_eq(prelogin_fail_delay(1, 5), 15);
	ck_assert_int_eq(prelogin_fail_delay(2, 3), 8);
	ck_assert_int_eq(prelogin_fail_delay(20, 1), 15);
	ck_assert_int_eq(prelogin_fail_delay(3, 1000000), 15);
	ck_assert_int_eq(prelogin_fail_delay(0, 5), 0);
	ck_assert_int_eq(prelogin_fail_delay(-1, 1), 0);
}
END_TEST

static struct config *
conf(const char *text)
{
	char err[256];
	struct config *c = config_parse("test.conf", text, strlen(text), err,
	    sizeof(err));

	ck_assert_msg(c != NULL, "%s", err);
	return c;
}

static void
set_client(struct prelogin *pl, const char *ip)
{
	memset(&pl->client, 0, sizeof(pl->client));
	if (ip == NULL)
		return;
	ck_assert_int_eq(netaddr_parse(ip, strlen(ip), &pl->client.remote), 0);
	pl->client.remote_known = 1;
}

START_TEST(plaintext_rule)
{
	struct prelogin pl;
	struct config *no = conf("plaintext_auth = no\n");
	struct config *yes = conf("plaintext_auth = yes\n");
	struct config *lo = conf("plaintext_auth = loopback\n");

	unsetenv("POSTERN_TLS_VERSION");
	unsetenv("POSTERN_AUTH_FD");
	prelogin_init(&pl, lo, "imap_auth_failures", "imap_auth_fail_delay");
	ck_assert_uint_eq(pl.max_failures, 3);
	ck_assert_int_eq(pl.fail_delay, 2);
	ck_assert_int_eq(pl.authfd, -1);
	ck_assert_int_eq(pl.tls.active, 0);

	set_client(&pl, "127.0.0.1");
	ck_assert(prelogin_plaintext_ok(&pl));
	set_client(&pl, "::1");
	ck_assert(prelogin_plaintext_ok(&pl));
	set_client(&pl, "192.0.2.7");
	ck_assert(!prelogin_plaintext_ok(&pl));
	set_client(&pl, NULL);
	ck_assert(!prelogin_plaintext_ok(&pl));

	pl.cfg = yes;
	ck_assert(prelogin_plaintext_ok(&pl));
	pl.cfg = no;
	set_client(&pl, "127.0.0.1");
	ck_assert(!prelogin_plaintext_ok(&pl));
	pl.tls.active = 1;
	ck_assert(prelogin_plaintext_ok(&pl));
	ck_assert(!prelogin_starttls_available(&pl));
	config_free(no);
	config_free(yes);
	config_free(lo);
}
END_TEST

START_TEST(at_least_one_failure_allowed)
{
	struct prelogin pl;
	struct config *c = conf("pop3_auth_failures = 0\npop3_auth_fail_delay = 0\n");

	prelogin_init(&pl, c, "pop3_auth_failures", "pop3_auth_fail_delay");
	ck_assert_uint_eq(pl.max_failures, 1);
	ck_assert_int_eq(pl.fail_delay, 0);
	config_free(c);
}
END_TEST

/* A session whose client output goes to /dev/null and whose input holds
 * `input`; the monitor end of a socketpair in *monitor. */
static void
session(struct prelogin *pl, struct config *c, const char *input,
    int *monitor)
{
	int in[2], sv[2];

	prelogin_init(pl, c, "pop3_auth_failures", "pop3_auth_fail_delay");
	ck_assert_int_eq(pipe(in), 0);
	if (input != NULL)
		ck_assert_int_eq(write(in[1], input, strlen(input)),
		    (ssize_t)strlen(input));
	close(in[1]);
	pl->io = io_new(in[0], open("/dev/null", O_WRONLY), 2000);
	if (monitor != NULL) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		pl->authfd = sv[0];
		*monitor = sv[1];
	}
}

static void
session_end(struct prelogin *pl)
{
	close(pl->io->infd);
	close(pl->io->outfd);
	io_free(pl->io);
	if (pl->authfd >= 0)
		close(pl->authfd);
}

/* Read one request from the monitor end and decode its hand-off record. */
static void
read_request(int monitor, struct handoff *h, char *user, size_t userlen)
{
	unsigned char hdr[AUTHCLIENT_HDR];
	char body[HANDOFF_MAX + 1024];
	const char *u, *p, *rec;
	size_t ulen, plen, rlen, n, got = 0;
	int fd;

	ck_assert_int_eq(authclient_read_header(monitor, hdr, &fd), 1);
	if (fd >= 0)
		close(fd);
	n = authclient_body_len(hdr);
	ck_assert_uint_le(n, sizeof(body));
	while (got < n) {
		ssize_t r = read(monitor, body + got, n - got);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
	}
	ck_assert_int_eq(authclient_parse_request(body, n, &u, &ulen, &p,
	    &plen, &rec, &rlen), 0);
	ck_assert_uint_lt(ulen, userlen);
	memcpy(user, u, ulen);
	user[ulen] = '\0';
	handoff_init(h);
	ck_assert_int_eq(handoff_decode(rec, rlen, h), 0);
}

START_TEST(login_no_then_too_many)
{
	struct prelogin pl;
	struct handoff h;
	struct config *c = conf("pop3_auth_failures = 2\npop3_auth_fail_delay = 0\n");
	char user[64];
	int mon;

	session(&pl, c, NULL, &mon);
	/* the bytes the client pipelined behind the login command */
	io_unread(pl.io, "NOOP\r\n", 6);
	ck_assert_int_eq(write(mon, "NN", 2), 2);
	ck_assert_int_eq(prelogin_login(&pl, "imap", "a1", "LOGIN", "alice", 5,
	    "pw", 2), PRELOGIN_FAILED);
	ck_assert_uint_eq(pl.failures, 1);
	read_request(mon, &h, user, sizeof(user));
	ck_assert_str_eq(user, "alice");
	ck_assert_str_eq(h.service, "imap");
	ck_assert_str_eq(buf_cstr(&h.tag), "a1");
	ck_assert_str_eq(buf_cstr(&h.command), "LOGIN");
	ck_assert_str_eq(buf_cstr(&h.pipelined), "NOOP\r\n");
	ck_assert_str_eq(h.user, "alice");
	ck_assert_uint_eq(h.fail_count, 0);
	handoff_free(&h);

	ck_assert_int_eq(prelogin_login(&pl, "pop3", NULL, "PASS", "bob", 3,
	    "pw", 2), PRELOGIN_TOO_MANY);
	ck_assert_uint_eq(pl.failures, 2);
	read_request(mon, &h, user, sizeof(user));
	ck_assert_str_eq(h.service, "pop3");
	ck_assert_uint_eq(h.tag.len, 0);
	ck_assert_uint_eq(h.fail_count, 1);
	handoff_free(&h);
	close(mon);
	session_end(&pl);
	config_free(c);
}
END_TEST

START_TEST(login_tempfail_and_unavailable)
{
	struct prelogin pl;
	struct config *c = conf("pop3_auth_fail_delay = 0\n");
	int mon;

	session(&pl, c, NULL, &mon);
	ck_assert_int_eq(write(mon, "T", 1), 1);
	ck_assert_int_eq(prelogin_login(&pl, "pop3", NULL, "PASS", "bob", 3,
	    "pw", 2), PRELOGIN_TEMPFAIL);
	ck_assert_uint_eq(pl.failures, 0);
	close(mon);   /* the monitor went away */
	ck_assert_int_eq(prelogin_login(&pl, "pop3", NULL, "PASS", "bob", 3,
	    "pw", 2), PRELOGIN_UNAVAILABLE);
	close(pl.authfd);
	pl.authfd = -1;   /* not under postern-login at all */
	ck_assert_int_eq(prelogin_login(&pl, "pop3", NULL, "PASS", "bob", 3,
	    "pw", 2), PRELOGIN_UNAVAILABLE);
	session_end(&pl);
	config_free(c);
}
END_TEST

START_TEST(login_too_much_pipelined)
{
	struct prelogin pl;
	struct config *c = conf("");
	char *big = malloc(HANDOFF_PIPELINED_MAX + 2);
	int mon;

	memset(big, 'x', HANDOFF_PIPELINED_MAX + 1);
	big[HANDOFF_PIPELINED_MAX + 1] = '\0';
	session(&pl, c, NULL, &mon);
	io_unread(pl.io, big, HANDOFF_PIPELINED_MAX + 1);
	ck_assert_int_eq(prelogin_login(&pl, "imap", "t", "LOGIN", "bob", 3,
	    "pw", 2), PRELOGIN_PIPELINED);
	ck_assert_uint_eq(pl.failures, 0);
	close(mon);
	session_end(&pl);
	config_free(c);
	free(big);
}
END_TEST

START_TEST(sasl_login_exchange)
{
	struct prelogin pl;
	struct sasl s;
	struct config *c = conf("");

	/* AUTH LOGIN: "test" then "secret", the last line without CR */
	session(&pl, c, "dGVzdA==\r\nc2VjcmV0\n", NULL);
	ck_assert_int_eq(prelogin_sasl(&pl, &s, "LOGIN", 5, NULL, 0),
	    SASL_DONE);
	ck_assert_str_eq(buf_cstr(&s.user), "test");
	ck_assert_str_eq(buf_cstr(&s.password), "secret");
	sasl_clear(&s);
	session_end(&pl);

	session(&pl, c, "*\r\n", NULL);
	ck_assert_int_eq(prelogin_sasl(&pl, &s, "PLAIN", 5, NULL, 0),
	    SASL_CANCEL);
	sasl_clear(&s);
	session_end(&pl);

	session(&pl, c, "not base64!\r\n", NULL);
	ck_assert_int_eq(prelogin_sasl(&pl, &s, "PLAIN", 5, NULL, 0),
	    SASL_ERROR);
	ck_assert_ptr_nonnull(s.error);
	sasl_clear(&s);
	session_end(&pl);

	/* a mechanism we do not offer: nothing is sent or read */
	session(&pl, c, NULL, NULL);
	ck_assert_int_eq(prelogin_sasl(&pl, &s, "CRAM-MD5", 8, NULL, 0),
	    PRELOGIN_SASL_BADMECH);
	sasl_clear(&s);
	session_end(&pl);

	/* an initial response needs no exchange: nothing is read */
	session(&pl, c, NULL, NULL);
	ck_assert_int_eq(prelogin_sasl(&pl, &s, "PLAIN", 5,
	    "AHRlc3QAc2VjcmV0", 16), SASL_DONE);
	ck_assert_str_eq(buf_cstr(&s.user), "test");
	sasl_clear(&s);
	session_end(&pl);
	config_free(c);
}
END_TEST

START_TEST(sasl_line_too_long)
{
	struct prelogin pl;
	struct sasl s;
	struct config *c = conf("");
	char *line = malloc(SASL_MAX_LINE + 10);

	memset(line, 'A', SASL_MAX_LINE + 5);
	memcpy(line + SASL_MAX_LINE + 5, "\r\n", 3);
	session(&pl, c, line, NULL);
	ck_assert_int_eq(prelogin_sasl(&pl, &s, "PLAIN", 5, NULL, 0),
	    PRELOGIN_SASL_TOOLONG);
	sasl_clear(&s);
	session_end(&pl);
	config_free(c);
	free(line);
}
END_TEST

START_TEST(sasl_client_gone_exits)
{
	struct prelogin pl;
	struct sasl s;
	struct config *c = conf("");

	session(&pl, c, NULL, NULL);
	(void)prelogin_sasl(&pl, &s, "PLAIN", 5, NULL, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("prelogin");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, fail_delay_doubles_up_to_the_cap);
	tcase_add_test(tc, plaintext_rule);
	tcase_add_test(tc, at_least_one_failure_allowed);
	tcase_add_test(tc, login_no_then_too_many);
	tcase_add_test(tc, login_tempfail_and_unavailable);
	tcase_add_test(tc, login_too_much_pipelined);
	tcase_add_test(tc, sasl_login_exchange);
	tcase_add_test(tc, sasl_line_too_long);
	tcase_add_exit_test(tc, sasl_client_gone_exits, 0);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
