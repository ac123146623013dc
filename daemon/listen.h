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

/* listen_request.c */
/* -R, in the session's first process (root, connection on fds 0/1):
 * start prog with a control descriptor, wait, and exec tls[0] -R
 * tls[1..ntls-1] on the first STARTTLS request, or exit with prog's
 * status once no request can come.  report_fd (or -1) is the auth-report
 * socket, kept for prog and closed here.  Never returns. */
void listen_request_run(char **tls, int ntls, char **prog, int report_fd)
	__attribute__((noreturn));

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
