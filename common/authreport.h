/* authreport.h: monitors (postern-login) report each failed and each
 * successful login, with the client IP, to postern-listen, which keeps
 * per-IP failure counts (delays, then refusals).  Transport: a datagram
 * socket inherited from the listener, its number in POSTERN_REPORT_FD.
 * Datagram: "fail <ip>" or "ok <ip>" (no newline, at most 80 bytes). */
#ifndef POSTERN_AUTHREPORT_H
#define POSTERN_AUTHREPORT_H

#include <stddef.h>

#define AUTHREPORT_ENV "POSTERN_REPORT_FD"
#define AUTHREPORT_MAX 80

enum authreport_kind { AUTHREPORT_FAIL = 1, AUTHREPORT_OK = 2 };

/* The report descriptor from the environment, or -1. */
int authreport_fd(void);
/* Send a report; silently nothing when fd < 0 or ip is empty. */
void authreport_send(int fd, enum authreport_kind kind, const char *ip);
/* Listener side: parse a datagram.  Returns the kind, or -1.  ip gets the
 * address (only hex digits, '.', ':' accepted). */
int authreport_parse(const char *p, size_t len, char *ip, size_t iplen);

#endif
