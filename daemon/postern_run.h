/* postern_run.h: the supervisor's service table and command lines
 * (postern_services.c), private to `postern run`. */
#ifndef POSTERN_RUN_H
#define POSTERN_RUN_H

#include <stdarg.h>
#include <stddef.h>

struct config;
struct buf;

enum chain {
	CHAIN_SMTP,        /* listen -> tls (on request) -> smtpd */
	CHAIN_SUBMISSION,  /* listen -> tls -> login -y -> smtpd; AUTH via checker */
	CHAIN_LOGIN,       /* listen -> tls -> login -> pre-auth -- checker -- post-auth */
	CHAIN_QUEUE,       /* send + lspawn + rspawn joined by pipes */
	CHAIN_WRITERS      /* postern-queue -S: the queue writers */
};

/* What a reload (SIGHUP to the supervisor) does to a running service. */
enum on_reload {
	RELOAD_SIGHUP = 0,      /* passed on: it re-reads what it read at start */
	RELOAD_NOTHING,         /* its programs read the config per request */
	RELOAD_RESTART          /* stopped and started again at once */
};

struct service_def {
	const char *name;
	int port;               /* standard port, added to port_base; 0: none */
	enum chain chain;
	int implicit_tls;
	const char *busy;       /* busy line of a plaintext port */
	const char *progs[7];   /* every program of the chain, NULL-terminated */
	enum on_reload reload;
};

extern const struct service_def service_defs[];   /* ends with a NULL name */

/* A NULL-terminated argument vector. */
struct strv {
	char **p;
	size_t n, cap;
};
void strv_push(struct strv *v, const char *s);
void strv_pushf(struct strv *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strv_free(struct strv *v);
int strv_equal(const struct strv *a, const struct strv *b);

const char *service_missing(const struct service_def *def, const char *libexec);
void service_addresses(const struct config *c, struct buf *out);
int service_port(const struct service_def *def, const struct config *c);
void service_argv(const struct service_def *def, const struct config *c,
    const char *libexec, struct strv *v);

/* postern_queue.c: run the queue's three programs joined by pipes; returns
 * when one of them exits (after stopping the others). */
int queue_start(const char *libexec);
/* The queue writers: bind their socket (as root), become the queue user,
 * exec argv (postern-queue -S) with the socket on fd 0.  Without a socket
 * configured, waits for the stop.  Returns only on failure. */
int writers_start(const struct config *c, char *const argv[]);

#endif
