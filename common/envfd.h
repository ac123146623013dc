/* envfd.h: a descriptor number passed in an environment variable (the
 * TLS control, auth, report and hand-off descriptors). */
#ifndef POSTERN_ENVFD_H
#define POSTERN_ENVFD_H

/* The decimal descriptor number in $name: >= 3 (never stdio), at most
 * INT_MAX, nothing but digits; -1 when unset, empty or malformed. */
int env_fd(const char *name);

#endif
