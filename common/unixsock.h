/* unixsock.h: a UNIX stream socket by path, both sides: what lspawn's,
 * lmtpd's and the queue writers' sockets share. */
#ifndef POSTERN_UNIXSOCK_H
#define POSTERN_UNIXSOCK_H

#include <sys/types.h>

/* Connect to path (close-on-exec).  The socket, or -1 (errno;
 * ENAMETOOLONG when path does not fit a sockaddr_un). */
int unixsock_connect(const char *path);

/* Listen on path: whatever is there is removed first, then the socket is
 * bound, listens with backlog and gets mode.  extra_flags are added to
 * SOCK_STREAM | SOCK_CLOEXEC (SOCK_NONBLOCK).  The socket, or -1 (errno). */
int unixsock_listen(const char *path, int backlog, mode_t mode, int extra_flags);

#endif
