/* fatal.h: err(3)/errx(3) for programs that may have the network on
 * stderr.  A bare inetd (and systemd Accept=yes) passes the client's socket
 * as fd 2 too, so a setup error written there would reach the client.
 * When fd 2 is a TCP socket, or the same socket as fd 0 or fd 1, the
 * message goes to syslog (facility mail, one escaped "event=fatal" line)
 * and nothing is written to the client; otherwise it goes to stderr in
 * err(3)'s format.  Session programs use these for every fatal setup error
 * after start (privdrop.c does). */
#ifndef POSTERN_FATAL_H
#define POSTERN_FATAL_H

/* Like err(3): the message, ": ", strerror(errno); exits with status. */
void fatal_err(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* Like errx(3). */
void fatal_errx(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* fd 2 is the network (see above). */
int fatal_stderr_is_network(void);

#endif
