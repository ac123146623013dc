/* prepared.h: a session program started ahead of its connection
 * (postern-listen -P).  The program does its set-up (configuration,
 * tables, privilege drop) while no client waits, then blocks on the
 * descriptor named by POSTERN_PREPARED_FD until postern-listen hands it a
 * connection: one SOCK_SEQPACKET record with the connection's variables
 * ("KEY=value", each ended by a NUL, after "P1") and the connection's
 * descriptor attached, plus with -R the TLS control descriptor.  So the
 * greeting does not wait for an exec and a set-up. */
#ifndef POSTERN_PREPARED_H
#define POSTERN_PREPARED_H

#include <stddef.h>

#define PREPARED_ENV "POSTERN_PREPARED_FD"
#define PREPARED_MAX 4096

/* listen's side: send the variables (envs, "KEY=value") with conn and,
 * when ctl >= 0, ctl attached.  0, or -1 (errno; E2BIG over the limit). */
int prepared_send(int sock, char *const *envs, size_t nenv, int conn, int ctl);

/* The program's side: 0 when not started ahead (no POSTERN_PREPARED_FD);
 * else wait for the connection, put it on fds 0 and 1, the variables
 * into the environment (only the ucspi-tcp and session ones are taken;
 * POSTERN_TLS_CTL names the control descriptor when one came, else it is
 * removed), close the descriptor and return 1.  -1 when none can come
 * (the end of the socket: errno 0) or the record is malformed (EPROTO):
 * the caller exits. */
int prepared_wait(void);

/* The keys a record may set (NULL-terminated). */
extern const char *const prepared_keys[];

#endif
