/* fdpass.h: one record with descriptors attached (SCM_RIGHTS) over a
 * UNIX socket, both ways; what all of our socket protocols share
 * (deliverproto.h, prepared.h, tlsctl.h, spawnproto.h, authclient.h). */
#ifndef POSTERN_FDPASS_H
#define POSTERN_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX 4             /* descriptors in one record */

/* Send rec (len bytes) with nfds descriptors (0..FDPASS_MAX) attached;
 * flags are added to MSG_NOSIGNAL.  0 when the whole record went, else
 * -1 (errno). */
int fdpass_send(int sock, const void *rec, size_t len, const int *fds, int nfds,
    int flags);
/* The same for a stream socket, where part of rec may go: one sendmsg
 * (EINTR retried), the bytes sent or -1 (errno; EAGAIN on a non-blocking
 * socket).  The descriptors go with the first byte sent. */
ssize_t fdpass_send_some(int sock, const void *rec, size_t len, const int *fds,
    int nfds, int flags);

/* Append s and its NUL to a record being built in rec (size bytes, *len
 * used): the "KEY=value\0" and field lists of our records.  0, or -1 with
 * errno E2BIG (nothing appended) when it does not fit. */
int fdpass_put_str(char *rec, size_t size, size_t *len, const char *s);

/* Receive one record into buf (size bytes) and up to maxfds descriptors
 * (close-on-exec) into fds, *nfds of them; any more are closed.  The
 * record's length (0: the end), or -1 (errno).  *trunc is set when the
 * record or its descriptors did not fit (then the caller refuses it, and
 * closes what came). */
ssize_t fdpass_recv(int sock, void *buf, size_t size, int *fds, int maxfds,
    int *nfds, int *trunc);

#endif
