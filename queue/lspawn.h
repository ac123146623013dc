/* lspawn.h: the parts of postern-lspawn (local delivery spawner, root). */
#ifndef POSTERN_LSPAWN_H
#define POSTERN_LSPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct config;
struct recipient_tables;
struct spawn_request;

struct lspawn_conf {
	const struct config *conf;
	char deliver[4096];      /* path of postern-deliver */
	int root;                /* started as root: uid checks and drops */
	long uid_min, uid_max;
	int delivery_timeout;    /* seconds */
	char user_prefix[64];
};

/* lspawn_deliver.c: run every recipient of req (message on msgfd) and
 * send the reply on sock.  Runs in a child of the main loop; tab are the
 * recipient tables the parent holds (NULL: they cannot be loaded, every
 * recipient is a temporary failure). */
void lspawn_handle(const struct lspawn_conf *lc, struct recipient_tables *tab,
    const struct spawn_request *req, int msgfd, int sock);

/* The direct path, in the main loop: a request for one recipient that
 * resolves to one deliverable target goes to a worker of that user's when
 * one can be had (lspawn_pool.c, which answers it, sock and gen saying
 * where), else starts that postern-deliver (no copy of this process) with
 * its result line going to out; *target gets the target's name (to be
 * freed) for lspawn_direct_answer once the pid is reaped.  Returns the
 * pid; 0 when the request was answered here on sock (not deliverable, or
 * postern-deliver could not start) or went to a worker; -1 when it has
 * several targets (the general path, lspawn_handle in a child). */
pid_t lspawn_start_direct(const struct lspawn_conf *lc, struct recipient_tables *tab,
    const struct spawn_request *req, int msgfd, int sock, unsigned long gen,
    int out, char **target);
/* Answer a direct delivery: got/len is deliver's result line as it came
 * (bounded, up to its LF), wstatus its wait status; log the delivery and
 * send the reply for request id on sock (-1: the client is gone). */
void lspawn_direct_answer(uint32_t id, const char *queue_id, const char *rcpt,
    const char *target, const char *got, size_t len, int wstatus,
    int timed_out, int sock);

/* lspawn_deliver.c: msgfd reopened (its own file offset), or -1; the
 * environment every postern-deliver starts with (PATH, POSTERN_CONF,
 * POSTERN_LOG_STDERR). */
struct envlist;
int lspawn_own_fd(int msgfd);
void lspawn_base_env(struct envlist *e);

/* lspawn_main.c: the socket of the client (fd, generation), or -1 when
 * it is gone. */
int lspawn_client_fd(int fd, unsigned long gen);

/* lspawn_pool.c: postern-deliver workers per (uid, gid).
 * lspawn_pool_deliver: hand one delivery of a local user's target to a
 * worker: 1 when taken (answered later on the client fd/gen), 0 when not
 * (no worker can be had: deliver the usual way).  pollfds/ready: the workers' sockets in
 * the poll loop (same order, nothing changed in between).  reaped: pid
 * was a worker (its delivery in hand, if any, is answered): 1, else 0.
 * tick: deadlines and idle workers; the poll timeout until the next. */
#define LSPAWN_POOL_MAX 32
struct recipient_target;
struct pollfd;
int lspawn_pool_deliver(const struct lspawn_conf *lc, const struct spawn_request *req,
    const char *rcpt, const struct recipient_target *t, int msgfd, int cfd,
    unsigned long gen);
int lspawn_pool_pollfds(struct pollfd *pfd);
void lspawn_pool_ready(const struct pollfd *pfd, int n);
int lspawn_pool_reaped(pid_t pid, int wstatus);
int lspawn_pool_tick(void);
int lspawn_pool_size(void);

#endif
