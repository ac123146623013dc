/* envfd.h: a descriptor number passed in an environment variable (the
 * TLS control, auth, report and hand-off descriptors). */
#ifndef POSTERN_ENVFD_H
#define POSTERN_ENVFD_H

/* The decimal descriptor number in $name: >= 3 (never stdio), at most
 * INT_MAX, nothing but digits; -1 when unset, empty or malformed. */
int env_fd(const char *name);
/* The other side: let fd survive exec (FD_CLOEXEC cleared) and put its
 * number into $name, for the program about to be started.  0, or -1
 * (errno). */
int env_fd_pass(const char *name, int fd);

#endif
