/* postern_services.c: the services `postern run` starts and the command
 * line of each chain (DESIGN.md's chains table, with the options of
 * HACKING.md "Program interfaces").  A service is started only when every
 * program of its chain is installed; adding one is an entry in the table
 * below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "postern_run.h"
#include "svcusers.h"

/* Busy lines of the plaintext ports (postern-listen -b). */
#define BUSY_SMTP "421 4.3.2 Too many connections, try again later"
#define BUSY_POP3 "-ERR [SYS/TEMP] Too many connections, try again later"
#define BUSY_IMAP "* BYE [UNAVAILABLE] Too many connections, try again later"

const struct service_def service_defs[] = {
	{ "smtp", 25, CHAIN_SMTP, 0, BUSY_SMTP,
	  { "postern-listen", "postern-tls", "postern-smtpd", NULL }, RELOAD_SIGHUP },
	{ "submission", 587, CHAIN_SUBMISSION, 0, BUSY_SMTP,
	  { "postern-listen", "postern-tls", "postern-login", "postern-smtpd",
	    "postern-checkpassword", NULL }, RELOAD_SIGHUP },
	{ "submissions", 465, CHAIN_SUBMISSION, 1, NULL,
	  { "postern-listen", "postern-tls", "postern-login", "postern-smtpd",
	    "postern-checkpassword", NULL }, RELOAD_SIGHUP },
	{ "pop3", 110, CHAIN_LOGIN, 0, BUSY_POP3,
	  { "postern-listen", "postern-tls", "postern-login", "postern-pop3-login",
	    "postern-checkpassword", "postern-pop3d", NULL }, RELOAD_SIGHUP },
	{ "pop3s", 995, CHAIN_LOGIN, 1, NULL,
	  { "postern-listen", "postern-tls", "postern-login", "postern-pop3-login",
	    "postern-checkpassword", "postern-pop3d", NULL }, RELOAD_SIGHUP },
	{ "imap", 143, CHAIN_LOGIN, 0, BUSY_IMAP,
	  { "postern-listen", "postern-tls", "postern-login", "postern-imap-login",
	    "postern-checkpassword", "postern-imapd", NULL }, RELOAD_SIGHUP },
	{ "imaps", 993, CHAIN_LOGIN, 1, NULL,
	  { "postern-listen", "postern-tls", "postern-login", "postern-imap-login",
	    "postern-checkpassword", "postern-imapd", NULL }, RELOAD_SIGHUP },
	/* The queue: postern-send joined to postern-lspawn and postern-rspawn
	 * by pipes, as qmail-start joins its children (postern_queue.c). */
	{ "queue", 0, CHAIN_QUEUE, 0, NULL,
	  { "postern-send", "postern-lspawn", "postern-rspawn", NULL }, RELOAD_NOTHING },
	/* postern-queue's resident writers, for postern-smtpd's messages
	 * (queue/queue_serve.c); the setuid program serves everyone else.
	 * A reload starts them again with the new config (meanwhile smtpd
	 * starts a process per message). */
	{ "queue-writers", 0, CHAIN_WRITERS, 0, NULL, { "postern-queue", NULL }, RELOAD_RESTART },
	{ NULL, 0, 0, 0, NULL, { NULL }, RELOAD_SIGHUP }
};

void
strv_push(struct strv *v, const char *s)
{
	if (v->n + 2 > v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->p = xreallocarray(v->p, v->cap, sizeof(char *));
	}
	v->p[v->n++] = xstrdup(s);
	v->p[v->n] = NULL;
}

void
strv_pushf(struct strv *v, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	strv_push(v, buf_cstr(&b));
	buf_free(&b);
}

void
strv_free(struct strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->p[i]);
	free(v->p);
	memset(v, 0, sizeof(*v));
}

int
strv_equal(const struct strv *a, const struct strv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->p[i], b->p[i]) != 0)
			return 0;
	return 1;
}

/* The first program of def that is not installed in libexec, or NULL. */
const char *
service_missing(const struct service_def *def, const char *libexec)
{
	char path[4096];
	size_t i;

	for (i = 0; def->progs[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", libexec, def->progs[i]);
		if (access(path, X_OK) != 0)
			return def->progs[i];
	}
	return NULL;
}

/* Comma-joined listen addresses of the config. */
void
service_addresses(const struct config *c, struct buf *out)
{
	size_t n, i;
	char **list = config_list_new(c, "listen_address", &n);

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(out, ',');
		buf_puts(out, list[i]);
	}
	if (n == 0)
		buf_puts(out, "127.0.0.1");
	config_list_free(list);
	buf_cstr(out);
}

int
service_port(const struct service_def *def, const struct config *c)
{
	return (int)config_int(c, "port_base") + def->port;
}

static void
prog(struct strv *v, const char *libexec, const char *name)
{
	strv_pushf(v, "%s/%s", libexec, name);
}

/* postern-tls and its options. */
static void
tls_part(struct strv *v, const struct service_def *def, const struct config *c,
    const char *libexec)
{
	char user[SVCUSER_NAME_MAX + 1];

	prog(v, libexec, "postern-tls");
	if (def->implicit_tls)
		strv_push(v, "-i");
	strv_push(v, "-C");
	strv_push(v, config_str(c, "tls_cert") ? config_str(c, "tls_cert") : "");
	strv_push(v, "-K");
	strv_push(v, config_str(c, "tls_key") ? config_str(c, "tls_key") : "");
	if (geteuid() == 0 &&
	    svcusers_name(config_str(c, "user_prefix"), SVCUSER_TLS, user, sizeof(user)) == 0) {
		strv_push(v, "-u");
		strv_push(v, user);
		strv_push(v, "-r");
		strv_push(v, config_str(c, "empty_dir") ? config_str(c, "empty_dir") : "/");
	}
	if (config_str(c, "tls_priority") != NULL) {
		strv_push(v, "-p");
		strv_push(v, config_str(c, "tls_priority"));
	}
	strv_push(v, "-T");
	strv_pushf(v, "%lld", config_int(c, "tls_handshake_timeout"));
}

void
service_argv(const struct service_def *def, const struct config *c,
    const char *libexec, struct strv *v)
{
	struct buf addr = BUF_INIT;

	if (def->chain == CHAIN_QUEUE) {
		prog(v, libexec, "postern-send");
		return;
	}
	if (def->chain == CHAIN_WRITERS) {
		prog(v, libexec, "postern-queue");
		strv_push(v, "-S");
		return;
	}
	prog(v, libexec, "postern-listen");
	strv_push(v, "-n");
	strv_push(v, def->name);
	strv_push(v, "-c");
	strv_pushf(v, "%lld", config_int(c, "max_connections"));
	strv_push(v, "-i");
	strv_pushf(v, "%lld", config_int(c, "max_connections_per_ip"));
	if (def->chain != CHAIN_SMTP) {
		strv_push(v, "-f");
		strv_pushf(v, "%lld", config_int(c, "auth_fail_limit"));
		strv_push(v, "-w");
		strv_pushf(v, "%lld", config_int(c, "auth_fail_window"));
	}
	if (def->implicit_tls)
		strv_push(v, "-t");
	else if (def->busy != NULL) {
		strv_push(v, "-b");
		strv_push(v, def->busy);
	}
	/* Plaintext ports: postern-tls starts only for a session that asks
	 * for STARTTLS/STLS (postern-listen -R; "--" ends its words). */
	if (!def->implicit_tls)
		strv_push(v, "-R");
	/* smtpd sets itself up ahead of its connection (postern-listen -P,
	 * common/prepared.h): the greeting does not wait for an exec. */
	if (def->chain == CHAIN_SMTP && config_bool(c, "smtpd_prepared"))
		strv_push(v, "-P");
	/* Sessions get 2 s after SIGTERM: the supervisor's whole stop must fit
	 * in 5 s. */
	strv_push(v, "-k");
	strv_push(v, "2");
	service_addresses(c, &addr);
	strv_push(v, buf_cstr(&addr));
	buf_free(&addr);
	strv_pushf(v, "%d", service_port(def, c));
	tls_part(v, def, c, libexec);
	if (!def->implicit_tls)
		strv_push(v, "--");
	switch (def->chain) {
	case CHAIN_SMTP:
		prog(v, libexec, "postern-smtpd");
		break;
	case CHAIN_SUBMISSION:
		prog(v, libexec, "postern-login");
		strv_push(v, "-y");
		prog(v, libexec, "postern-smtpd");
		strv_push(v, "--");
		prog(v, libexec, "postern-checkpassword");
		break;
	case CHAIN_LOGIN:
		prog(v, libexec, "postern-login");
		prog(v, libexec, def->progs[3]);     /* the pre-auth program */
		strv_push(v, "--");
		prog(v, libexec, "postern-checkpassword");
		strv_push(v, "--");
		prog(v, libexec, def->progs[5]);     /* the post-auth server */
		break;
	default:
		break;
	}
}
