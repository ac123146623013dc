/* listen.h: private interfaces of postern-listen (sockets, per-IP tables). */
#ifndef POSTERN_LISTEN_H
#define POSTERN_LISTEN_H

#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#define LISTEN_MAXSOCK 16
#define LISTEN_IPLEN 64

/* listen_sock.c */
/* Open the listening sockets for ADDR PORT (see postern-listen(8)).
 * Returns the count (>= 1) or exits 111 / 100 with a message. */
int listen_open(const char *addr, const char *port, int fds[LISTEN_MAXSOCK]);
/* A port number, decimal 1..65535 and nothing else; -1 when malformed. */
int listen_port_parse(const char *s);
/* Numeric host and port of a socket address. */
void listen_addr_str(const struct sockaddr *sa, socklen_t len,
		     char ip[LISTEN_IPLEN], char port[8], int *is_v6);

/* listen_request.c: -R, TLS on request (the sessions' control
 * descriptors, held in the poll loop). */
struct envlist;
struct procspawn;
struct pollfd;
void request_init(int maxconn);
/* Start prog on the connection conn (ps has its descriptors and group,
 * env is the session's) with a control descriptor; on success the
 * connection and env are held (not to be freed by the caller) until
 * postern-tls is started or the session ends.  The pid, or -1. */
pid_t request_start(char **prog, struct envlist *env, struct procspawn *ps, int conn);
/* Hold conn, the control end ctl and env (taken over) for the session
 * pid, whose program got the other end some other way (-P); only when
 * request_room() says there is room. */
void request_hold(pid_t pid, struct envlist *env, int conn, int ctl);
int request_room(void);
/* The held control descriptors, for poll: their count. */
int request_pollfds(struct pollfd *pfd);
/* After poll: start tls[0] -R tls[1..ntls-1] for each session that asked,
 * let go of those that can no longer ask. */
void request_ready(const struct pollfd *pfd, int n, char **tls, int ntls);
/* The session pid has ended: let go of what is still held for it. */
void request_end(pid_t pid);

/* listen_iptab.c: live sessions and failure counts, both bounded. */
struct session_slot {
	pid_t pid;
	char ip[LISTEN_IPLEN];
};
struct fail_entry {
	char ip[LISTEN_IPLEN];
	unsigned count;
	time_t last;
};
#define LISTEN_FAIL_SLOTS 4096

void iptab_init(int maxconn);
int iptab_count(void);
int iptab_count_ip(const char *ip);
void iptab_add(pid_t pid, const char *ip);
/* Remove pid; returns 1 if it was ours. */
int iptab_remove(pid_t pid);
/* Call fn for every live session pid. */
void iptab_each(void (*fn)(pid_t));
/* Sessions whose first process has exited but whose process group (the
 * session's pid, see child()) may still hold members that ignore SIGTERM:
 * remembered for shutdown only, at most MAXCONN (the oldest is forgotten
 * when full), and not counted by iptab_count(). */
void iptab_linger(pid_t pgid);
int iptab_lingering(void);
void iptab_each_lingering(void (*fn)(pid_t));
/* Forget every lingering group for which alive() returns 0. */
void iptab_prune(int (*alive)(pid_t));

/* Failures: count within window (expired entries are forgotten). */
unsigned failtab_get(const char *ip, time_t now, time_t window);
void failtab_fail(const char *ip, time_t now, time_t window);
void failtab_clear(const char *ip);
unsigned failtab_size(void);

#endif
