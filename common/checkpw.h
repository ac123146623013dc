/* checkpw.h: the qmail checkpassword record on fd 3,
 *     user\0password\0timestamp\0
 * at most CHECKPW_MAX bytes.  The builder is for the monitor that runs a
 * checker, the parser and reader for the checker.  The timestamp (and its
 * NUL) may be missing, as some clients send only user and password. */
#ifndef POSTERN_CHECKPW_H
#define POSTERN_CHECKPW_H

#include <stddef.h>
#include "buf.h"

#define CHECKPW_MAX 512

struct checkpw_record {
	const char *user;        /* point into the parsed bytes, NUL-terminated */
	size_t user_len;
	const char *password;
	size_t password_len;
	const char *timestamp;   /* "" when absent */
	size_t timestamp_len;
};

/* Parse (p, len): 0, or -1 when the record is longer than CHECKPW_MAX,
 * lacks the NUL after user or password, or has bytes after the third NUL. */
int checkpw_parse(const char *p, size_t len, struct checkpw_record *r);

/* Append the record to out: 0, or -1 (out unchanged) when a field holds a
 * NUL or the whole would exceed CHECKPW_MAX.  A NULL timestamp is written
 * as the current time in decimal seconds. */
int checkpw_build(struct buf *out, const char *user, size_t user_len,
    const char *password, size_t password_len, const char *timestamp,
    size_t timestamp_len);

/* Read the record from fd until EOF: at most cap bytes (cap >= CHECKPW_MAX
 * + 1), the whole within timeout_ms (<= 0: no limit).  Returns the byte
 * count, -1 on a read error (errno set; EBADF when fd is not open), -2 on
 * timeout, -3 when more than CHECKPW_MAX bytes arrive. */
long checkpw_read(int fd, char *dst, size_t cap, int timeout_ms);

#endif
