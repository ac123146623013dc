/* queuefile.h: the layout of a file postern-queue commits to QUEUE/todo
 * (HACKING.md "The queue"): one file per message, so that the commit is
 * one file fsync and one directory fsync.
 *
 *     [message: SIZE bytes, LF line ends][envelope: ELEN bytes][trailer]
 *
 * The trailer is QUEUEFILE_TRAILER_LEN bytes, "\nPQ1 " + SIZE and ELEN
 * as 16 and 8 hex digits + "\n": it is read from the end of the file, and
 * SIZE + ELEN + the trailer must be the file's length exactly.  The
 * envelope's own size field must be SIZE (checked by the reader that
 * parses it).  postern-send keeps the file as mess/ID after the take-in;
 * every reader of a queued message reads its first SIZE bytes only. */
#ifndef POSTERN_QUEUEFILE_H
#define POSTERN_QUEUEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define QUEUEFILE_TRAILER_LEN 31

/* The trailer for a message of size bytes and an envelope of elen bytes
 * into out (QUEUEFILE_TRAILER_LEN bytes, no NUL).  0, or -1 when elen
 * does not fit. */
int queuefile_trailer(char *out, uint64_t size, size_t elen);
/* Parse a trailer (exactly QUEUEFILE_TRAILER_LEN bytes) of a file of
 * filesize bytes.  0 with *size and *elen, or -1 (malformed, or the
 * lengths do not add up to filesize). */
int queuefile_parse_trailer(const char *p, uint64_t filesize, uint64_t *size,
    size_t *elen);
/* Read the envelope of the queue file open on fd into env (appended; at
 * most max bytes) and its message size into *size.  0, or -1 with errno
 * (EPROTO: not a queue file; EFBIG: envelope over max). */
int queuefile_read_envelope(int fd, size_t max, struct buf *env, uint64_t *size);
/* The same for the file at path.  0, or -1 with errno. */
int queuefile_read_envelope_at(const char *path, size_t max, struct buf *env,
    uint64_t *size);
#endif
