/* imapd_main.c: postern-imapd, the post-auth IMAP server.  It runs as the
 * mail user (exec'd by the checkpassword program, DESIGN.md rule 4) with
 * the connection on fds 0/1, takes the hand-off record from
 * postern-imap-login, answers the login command's tag itself, replays the
 * bytes the client pipelined behind the login, and serves the session.
 *
 * Run without postern-login (tests, a PREAUTH setup under tcpserver), it
 * greets with "* PREAUTH" as $USER.  The Maildir is $MAILDIR or
 * $HOME/Maildir. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "fatal.h"
#include "handoff.h"
#include "imapd.h"
#include "log.h"
#include "privdrop.h"
#include "tlsenv.h"

static uint64_t
env_u64(const char *name)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return n;
}

int
main(int argc, char **argv)
{
	struct imap_session s;
	struct handoff h;
	struct config *cfg;
	const char *path = NULL, *home, *md, *user;
	struct buf b = BUF_INIT;
	int hr, c;

	log_init("postern-imapd", 0);
	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c == 'c')
			path = optarg;
		else {
			fatal_errx(100, "usage: postern-imapd [-c postern.conf]");
		}
	}
	umask(077);
	handoff_init(&h);
	hr = handoff_receive(&h);
	if (hr < 0)
		log_warn("handoff", "reason=bad record");
	if (path == NULL) {
		/* the default path only when it exists (PREAUTH tests) */
		path = config_path();
		if (path != NULL && getenv("POSTERN_CONF") == NULL &&
		    access(path, F_OK) < 0)
			path = NULL;
	}
	if (path != NULL) {
		char err[512];
		cfg = config_load(path, err, sizeof(err));
		if (cfg == NULL) {
			log_error("config", "error=\"%s\"", err);
			printf("* BYE [UNAVAILABLE] Server configuration error\r\n");
			return 111;
		}
	} else
		cfg = config_defaults();
	if (priv_is_root()) {
		/* the checker drops to the mail user before exec */
		log_error("refused", "reason=running as root");
		printf("* BYE [UNAVAILABLE] Server misconfigured\r\n");
		return 111;
	}
	priv_limits(0);

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.io = io_new(0, 1, 60000);
	s.state = IMAP_STATE_AUTH;
	imap_limits_default(&s.limits);
	s.limits.max_line = (size_t)config_int(cfg, "imap_max_line");
	s.limits.max_literal = (size_t)config_int(cfg, "imap_max_literal");
	s.limits.max_command = s.limits.max_literal + 4 * s.limits.max_line;
	if (s.limits.literal_hard_cap < s.limits.max_literal)
		s.limits.literal_hard_cap = s.limits.max_literal;
	s.idle_timeout_ms = (int)config_int(cfg, "imap_idle_timeout") * 1000;
	if (s.idle_timeout_ms < 60000)
		s.idle_timeout_ms = 60000;
	s.command_timeout_ms = 60000;
	s.quota_limits.limit_bytes = env_u64("POSTERN_QUOTA_BYTES");
	s.quota_limits.limit_msgs = env_u64("POSTERN_QUOTA_MESSAGES");
	if (h.tls.active)
		s.tls = h.tls;
	else
		(void)tlsenv_read(&s.tls);

	user = h.user[0] ? h.user : getenv("USER");
	snprintf(s.user, sizeof(s.user), "%s", user ? user : "?");
	md = getenv("MAILDIR");
	home = getenv("HOME");
	if (md != NULL && md[0] == '/')
		snprintf(s.root, sizeof(s.root), "%s", md);
	else if (home != NULL && home[0] == '/' &&
	    (size_t)snprintf(s.root, sizeof(s.root), "%s/Maildir", home) <
	    sizeof(s.root))
		;
	else {
		log_error("no_maildir", "user=%s", s.user);
		io_puts(s.io, "* BYE [UNAVAILABLE] No mailbox\r\n");
		io_flush(s.io);
		return 111;
	}
	if (maildir_make(s.root) < 0) {
		log_error("maildir", "user=%s root=%s error=\"%s\"", s.user,
		    s.root, strerror(errno));
		io_puts(s.io, "* BYE [UNAVAILABLE] Mailbox unavailable\r\n");
		io_flush(s.io);
		return 111;
	}
	imap_special_use_init(&s);
	log_info("login", "user=%s ip=%s tls=%s", s.user,
	    h.remote_ip[0] ? h.remote_ip : "-",
	    s.tls.active ? s.tls.version : "no");

	if (hr == 1 && h.tag.len > 0) {
		buf_printf(&b, "%s OK [CAPABILITY ", buf_cstr(&h.tag));
		imap_caps_write(&b, 0);
		buf_puts(&b, "] Logged in\r\n");
	} else {
		buf_puts(&b, "* PREAUTH [CAPABILITY ");
		imap_caps_write(&b, 0);
		buf_puts(&b, "] Logged in\r\n");
	}
	io_write(s.io, b.p, b.len);
	buf_free(&b);
	if (h.pipelined.len > 0)
		io_unread(s.io, h.pipelined.p, h.pipelined.len);
	handoff_free(&h);
	c = imap_session_run(&s);
	if (s.mbox != NULL)
		imap_mailbox_close(&s);
	io_flush(s.io);
	io_free(s.io);
	config_free(cfg);
	return c;
}
