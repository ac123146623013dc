/* pop3d_main.c: postern-pop3d, the post-auth POP3 server.  It runs as the
 * mail user (exec'd by the checkpassword program, DESIGN.md rule 4) with
 * the connection on fds 0/1, takes the hand-off record from
 * postern-pop3-login, locks and opens $HOME/Maildir (or $MAILDIR), sends
 * the reply to PASS or AUTH itself ("+OK", or "-ERR [IN-USE]"), replays
 * the bytes the client pipelined behind the login, and serves the
 * TRANSACTION state.
 *
 * Run without postern-login (under any checkpassword-compatible checker
 * that execs it directly, or by hand), it greets with "+OK" as if the
 * login had just succeeded. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "handoff.h"
#include "log.h"
#include "pop3d.h"
#include "privdrop.h"

static struct config *
load_config(const char *path)
{
	char err[512];
	struct config *cfg;

	if (path == NULL) {
		/* the default path only when it exists (tests by hand) */
		path = config_path();
		if (path != NULL && getenv("POSTERN_CONF") == NULL &&
		    access(path, F_OK) < 0)
			path = NULL;
	}
	if (path == NULL)
		return config_defaults();
	cfg = config_load(path, err, sizeof(err));
	if (cfg == NULL)
		log_error("config", "error=\"%s\"", err);
	return cfg;
}

int
main(int argc, char **argv)
{
	struct pop3_session s;
	struct handoff h;
	struct config *cfg;
	const char *path = NULL, *home, *md, *user;
	char root[MAILDIR_PATH_MAX], err[512];
	enum pop3_open_status os;
	int hr, c, rc;

	log_init("postern-pop3d", 0);
	/* a client gone mid-reply: the write fails, the session ends */
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c == 'c')
			path = optarg;
		else {
			fprintf(stderr, "usage: postern-pop3d [-c postern.conf]\n");
			return 100;
		}
	}
	umask(077);
	handoff_init(&h);
	hr = handoff_receive(&h);
	if (hr < 0)
		log_warn("handoff", "reason=bad record");
	memset(&s, 0, sizeof(s));
	s.md.lock_fd = -1;
	cfg = load_config(path);
	if (cfg == NULL) {
		printf("%s", pop3_reply_format(R_CONFIG_ERROR));
		return 111;
	}
	if (priv_is_root()) {
		/* the checker drops to the mail user before exec */
		log_error("refused", "reason=running as root");
		printf("%s", pop3_reply_format(R_CONFIG_ERROR));
		return 111;
	}
	priv_limits(0);

	s.idle_timeout_ms = (int)config_int(cfg, "pop3_idle_timeout") * 1000;
	if (s.idle_timeout_ms < 60000)
		s.idle_timeout_ms = 60000;
	s.io = io_new(0, 1, s.idle_timeout_ms);
	s.max_bad_commands = (unsigned)config_int(cfg, "pop3_max_bad_commands");
	if (s.max_bad_commands == 0)
		s.max_bad_commands = 1;
	user = h.user[0] ? h.user : getenv("USER");
	snprintf(s.user, sizeof(s.user), "%s", user ? user : "?");
	md = getenv("MAILDIR");
	home = getenv("HOME");
	if (md != NULL && md[0] == '/')
		rc = snprintf(root, sizeof(root), "%s", md);
	else if (home != NULL && home[0] == '/')
		rc = snprintf(root, sizeof(root), "%s/Maildir", home);
	else
		rc = -1;
	if (rc < 0 || (size_t)rc >= sizeof(root)) {
		log_error("no_maildir", "user=%s", s.user);
		pop3_reply(s.io, R_NO_MAILBOX);
		io_flush(s.io);
		return 111;
	}

	os = pop3_maildrop_open(&s.md, root, err, sizeof(err));
	if (os == POP3_OPEN_IN_USE) {
		log_info("in_use", "user=%s", s.user);
		pop3_reply(s.io, R_IN_USE);
		io_flush(s.io);
		return 0;
	}
	if (os != POP3_OPEN_OK) {
		log_error("maildir", "user=%s error=\"%s\"", s.user, err);
		pop3_reply(s.io, R_MAILBOX_ERROR);
		io_flush(s.io);
		return 111;
	}
	log_info("login", "user=%s ip=%s tls=%s messages=%u octets=%llu "
	    "sizes_read=%u", s.user, h.remote_ip[0] ? h.remote_ip : "-",
	    h.tls.active ? h.tls.version : "no", s.md.count,
	    (unsigned long long)s.md.total, s.md.sizes_read);
	pop3_reply(s.io, R_LOGGED_IN);
	if (h.pipelined.len > 0)
		io_unread(s.io, h.pipelined.p, h.pipelined.len);
	handoff_free(&h);
	rc = pop3_session_run(&s);
	pop3_maildrop_close(&s.md);
	io_flush(s.io);
	io_free(s.io);
	config_free(cfg);
	return rc;
}
