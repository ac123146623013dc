/* smtp_main.c: postern-smtpd, one SMTP or submission session on
 * stdin/stdout.  Set-up as root (config, tables), drop to the smtpd
 * service user before the first network read (DESIGN.md rule 1; run by
 * an ordinary user it stays that user), when started ahead of its
 * connection (postern-listen -P) wait for it, refuse a client that talks before
 * the greeting, greet, run the command loop.  Submission is on when a
 * postern-login monitor is present (POSTERN_AUTH_FD): AUTH is offered and
 * required before MAIL.  No no-new-privileges: messages go through the
 * setuid postern-queue (DESIGN.md rule 3). */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "authclient.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "prepared.h"
#include "privdrop.h"
#include "queue_inject.h"
#include "recipient.h"
#include "smtpd.h"
#include "svcusers.h"
#include "table.h"
#include "tlsctl.h"

static void
on_term(int sig)
{
	static const char bye[] = "421 4.3.2 Service shutting down, closing connection\r\n";
	ssize_t w = write(1, bye, sizeof(bye) - 1);

	(void)w;
	(void)sig;
	_exit(0);
}

/* A set-up failure the client should hear about: 421, exit 111. */
static void __attribute__((noreturn))
setup_fail(const char *what, const char *why)
{
	static const char msg[] = "421 4.3.0 Service not available, closing connection\r\n";
	ssize_t w;

	log_error("setup", "what=%s reason=\"%s\"", what, why);
	w = write(1, msg, sizeof(msg) - 1);
	(void)w;
	exit(111);
}

static int
ms(long long seconds)
{
	if (seconds <= 0)
		return 0;
	if (seconds > 86400)
		seconds = 86400;
	return (int)(seconds * 1000);
}

static void
load_settings(struct smtp_session *s, const struct config *c)
{
	const char *v;
	char err[512];

	snprintf(s->hostname, sizeof(s->hostname), "%s", config_hostname(c));
	s->max_size = (uint64_t)config_int(c, "smtpd_max_message_size");
	s->max_rcpts = (size_t)config_int(c, "smtpd_max_recipients");
	if (s->max_rcpts == 0)
		s->max_rcpts = 1;
	s->max_errors = (unsigned)config_int(c, "smtpd_max_errors");
	s->max_line = (size_t)config_int(c, "smtpd_max_line");
	if (s->max_line < 998)
		s->max_line = 998;   /* RFC 5322 2.1.1 */
	s->cmd_timeout_ms = ms(config_int(c, "smtpd_command_timeout"));
	s->data_timeout_ms = ms(config_int(c, "smtpd_data_timeout"));
	s->queue_timeout_ms = ms(config_int(c, "smtpd_queue_timeout"));
	v = config_str(c, "smtpd_sender_policy");
	s->sender_policy = v != NULL && strcmp(v, "any") == 0 ? SENDER_ANY :
	    v != NULL && strcmp(v, "domain") == 0 ? SENDER_DOMAIN : SENDER_OWN;

	s->rcpt_tables = recipient_tables_load(c, err, sizeof(err));
	if (s->rcpt_tables == NULL)
		setup_fail("recipients", err);
	v = config_str(c, "relaynets_file");
	if (v != NULL) {
		s->relaynets = table_load(v, 1024 * 1024, 1, err, sizeof(err));
		if (s->relaynets == NULL)
			setup_fail("relaynets", err);
	}
	if (queue_inject_program(c, s->queue_program, sizeof(s->queue_program)) < 0)
		setup_fail("queue", "postern-queue not found");
	if (queue_inject_socket(c, s->queue_socket, sizeof(s->queue_socket)) < 0)
		s->queue_socket[0] = '\0';
}

/* The files a session's answers come from.  A program prepared ahead of
 * its connection (postern-listen -P) may have waited long: whatever
 * changed meanwhile (a user added, a domain) is read again before the
 * greeting. */
#define SETUP_FILES 5

static void
setup_sigs(const struct config *c, const char *confpath,
    struct recipient_file_sig g[SETUP_FILES])
{
	recipient_file_sig(confpath, &g[0]);
	recipient_file_sig(config_str(c, "domains_file"), &g[1]);
	recipient_file_sig(config_str(c, "users_file"), &g[2]);
	recipient_file_sig(config_str(c, "aliases_file"), &g[3]);
	recipient_file_sig(config_str(c, "relaynets_file"), &g[4]);
}

static struct config *
reload_if_changed(struct smtp_session *s, struct config *c, const char *confpath,
    const struct recipient_file_sig then[SETUP_FILES])
{
	struct recipient_file_sig now[SETUP_FILES];
	char err[512];

	setup_sigs(c, confpath, now);
	if (memcmp(now, then, sizeof(now)) == 0)
		return c;
	recipient_tables_free(s->rcpt_tables);
	s->rcpt_tables = NULL;
	if (s->relaynets != NULL)
		table_free(s->relaynets);
	s->relaynets = NULL;
	config_free(c);
	c = config_load(confpath, err, sizeof(err));
	if (c == NULL)
		setup_fail("config", err);
	s->cfg = c;
	load_settings(s, c);
	log_info("reloaded", "reason=\"configuration or tables changed while prepared\"");
	return c;
}

/* Input waiting before the greeting (within pause_ms, or right now). */
static int
client_talked_first(struct io *io, int pause_ms)
{
	struct pollfd p = { 0, POLLIN, 0 };

	if (pause_ms > 0)
		return io_wait_input(io, pause_ms) == 1;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

int
main(int argc, char **argv)
{
	static struct smtp_session s;
	const char *confpath = NULL, *mode;
	struct config *c, *changed;
	char err[512], user[SVCUSER_NAME_MAX + 1];
	struct recipient_file_sig sigs[SETUP_FILES];
	int opt, pause_ms;
	uid_t uid;
	gid_t gid;

	log_init("postern-smtpd", 0);
	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt == 'c')
			confpath = optarg;
		else {
			fprintf(stderr, "usage: postern-smtpd [-c CONFIG]\n");
			return 100;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	if (confpath == NULL)
		confpath = config_path();
	if (confpath == NULL)
		setup_fail("config", "no config (-c or POSTERN_CONF)");
	c = config_load(confpath, err, sizeof(err));
	if (c == NULL)
		setup_fail("config", err);
	s.cfg = c;
	load_settings(&s, c);
	if (getenv(PREPARED_ENV) != NULL)       /* only a prepared one checks */
		setup_sigs(c, confpath, sigs);

	/* DESIGN.md rule 1: drop before the first read from the network. */
	if (svcusers_name(config_str(c, "user_prefix"), SVCUSER_SMTPD, user,
	    sizeof(user)) < 0)
		setup_fail("user", "bad user_prefix");
	/* The service user's own group only (it has no others): no
	 * getgrouplist, which loads every NSS group module per connection. */
	if (!priv_is_root())
		priv_drop(user, NULL, PRIV_FEW_FILES);
	else if (priv_lookup(user, &uid, &gid) < 0)
		setup_fail("user", "no such service user");
	else
		priv_drop_ids_flags(uid, gid, PRIV_FEW_FILES);

	/* Started ahead (postern-listen -P): postern-queue is started ahead
	 * too, while no client waits for us; the connection and its
	 * variables come now (common/prepared.h). */
	if (getenv(PREPARED_ENV) != NULL) {
		smtp_queue_prestart(&s);
		tzset();    /* the Received date's zone file read now, not at DATA */
	}
	switch (prepared_wait()) {
	case 1:
		log_set_session(getenv("POSTERN_SESSION"));
		changed = reload_if_changed(&s, c, confpath, sigs);
		if (changed != c) {
			c = changed;    /* its queue program may be another now */
			smtp_queue_release(&s);
		}
		break;
	case -1:
		if (errno == 0) {
			smtp_queue_release(&s);
			return 0;       /* listen stopped before a client came */
		}
		log_error("prepared", "error=\"%m\"");
		smtp_queue_release(&s);
		return 111;
	}

	s.auth_fd = authclient_fd();
	s.submission = s.auth_fd >= 0;
	s.log_commands = config_bool(c, "smtpd_log_commands");
	tls_facts_clear(&s.tls);
	s.tls_implicit = tlsenv_read(&s.tls);
	s.tls_ctl_available = tlsctl_available();
	netaddr_client(&s.client);
	mode = config_str(c, "plaintext_auth");
	s.plaintext_auth_ok = mode != NULL && (strcmp(mode, "yes") == 0 ||
	    (strcmp(mode, "loopback") == 0 && s.client.remote_known &&
	    netaddr_is_loopback(&s.client.remote)));

	log_info("connect", "ip=%s port=%s tls=%s submission=%d", s.client.remote_ip,
	    s.client.remote_port, s.tls.active ? s.tls.version : "no", s.submission);
	s.io = io_new(0, 1, s.cmd_timeout_ms);
	pause_ms = ms(config_int(c, "smtpd_greet_pause"));
	/* A client that talks before the greeting is not a real MTA. */
	if (client_talked_first(s.io, pause_ms)) {
		smtp_reply(&s, RP_GREET_REFUSED, s.hostname);
		io_flush(s.io);
		log_info("greet-refused", "ip=%s", s.client.remote_ip);
		return 0;
	}
	smtp_reply(&s, RP_GREETING, s.hostname);
	if (io_flush(s.io) == IO_OK)
		smtp_queue_prestart(&s);
	smtp_session_run(&s);
	/* Nothing more is written: the client sees the end now, not after
	 * our clean-up and exit (and those of the connection's other
	 * holders).  Not a socket (a pipe under a test): nothing to do. */
	if (io_flush(s.io) == IO_OK)
		(void)shutdown(1, SHUT_WR);
	smtp_reset_transaction(&s);
	smtp_queue_release(&s);
	log_info("end", "messages=%lu errors=%u", s.messages, s.errors);
	io_free(s.io);
	buf_free(&s.out);
	recipient_tables_free(s.rcpt_tables);
	if (s.relaynets != NULL)
		table_free(s.relaynets);
	config_free(c);
	return 0;
}
