/* queuedir.h: paths and ids of the queue tree (HACKING.md "The queue"),
 * shared by postern-queue (the writer) and postern-send (the manager).
 *
 *     QUEUE/tmp/ID.m             file being written by postern-queue
 *     QUEUE/todo/ID              a new message: message, envelope and
 *                                trailer (queuefile.h; commit point)
 *     QUEUE/mess/ID              the same file once taken in
 *     QUEUE/env/ID               envelope (copy made at the take-in)
 *     QUEUE/state/ID, hold/ID, bounce/
 *     QUEUE/wake                 FIFO: one byte per commit
 *     QUEUE/spent/ID.TAG         finished files, old names not yet durably gone
 *     QUEUE/spare/ID.TAG         finished files ready for reuse (below)
 *
 * An id is "<unix seconds>.<16 hex digits>" (time first, so ids of one
 * queue sort by arrival); queuedir_id_valid accepts only the id alphabet,
 * so an id read from a directory listing or a client can never name a
 * path outside its directory. */
#ifndef POSTERN_QUEUEDIR_H
#define POSTERN_QUEUEDIR_H

#include <stddef.h>

#define QUEUEDIR_TMP    "tmp"
#define QUEUEDIR_MESS   "mess"
#define QUEUEDIR_TODO   "todo"
#define QUEUEDIR_ENV    "env"
#define QUEUEDIR_STATE  "state"
#define QUEUEDIR_HOLD   "hold"
#define QUEUEDIR_BOUNCE "bounce"
#define QUEUEDIR_WAKE   "wake"
#define QUEUEDIR_SPARE  "spare"
#define QUEUEDIR_SPENT  "spent"
#define QUEUEDIR_SHARED "shared"    /* set aside by queuedir_spare_unshare */

/* The subdirectories of a queue tree, for `postern init` and `check`. */
extern const char *const queuedir_subdirs[];
extern const size_t queuedir_nsubdirs;

#define QUEUEDIR_ID_MAX 64          /* longest id accepted */
#define QUEUEDIR_PATH_MAX 4096

/* A fresh id (unix time + 64 random bits) into out (at least
 * QUEUEDIR_ID_MAX + 1 bytes).  0, or -1 when no randomness was
 * available. */
int queuedir_id_new(char *out, size_t outlen);
/* 1 when p/len is a usable id: 1..QUEUEDIR_ID_MAX bytes of [0-9A-Za-z._-],
 * not starting with '.' (no "..", no '/', no hidden names). */
int queuedir_id_valid(const char *p, size_t len);
/* "QUEUE/SUB/ID" (id NULL: "QUEUE/SUB") into out.  0, or -1 when it does
 * not fit or the id is not valid. */
int queuedir_path(char *out, size_t outlen, const char *queue,
    const char *sub, const char *id);
/* "QUEUE/tmp/ID" + suffix (".m", ".e"). */
int queuedir_tmp_path(char *out, size_t outlen, const char *queue,
    const char *id, const char *suffix);
/* fsync a directory.  0 or -1 (errno set). */
int queuedir_fsync_dir(const char *path);
/* Spare files.  A finished queue file is renamed into QUEUE/spent (named
 * by its own name plus a tag) instead of being unlinked; once the
 * directories it left are fsync'd it moves on to QUEUE/spare, and a new
 * queue file is taken from there instead of being created: no inode is
 * allocated or freed per message.  (On ext4 without a journal, each inode
 * allocation scans past every inode of its group freed in the last
 * minute or more, reading its inode table block: at a few hundred
 * messages a second that was most of postern-queue's CPU time.)  The
 * step through spent/ keeps a crash from ever showing a file under an old
 * name (env/ID, mess/ID) with a new message's bytes: an inode is reused
 * only after its old name is durably gone.  The pool grows to the
 * largest number of files finished at once; postern-send trims what is
 * above QUEUEDIR_SPARE_KEEP a little at a time.  A spare's old bytes are
 * never read as a message.
 *
 * queuedir_spare_take: move a spare to dest (a path in the same tree
 * that must not exist; concurrent takers never get the same one), one of
 * the same tag when there is one, and open
 * it for writing, mtime set to now.  The caller writes from offset 0 and
 * must ftruncate to its own length before the fsync (the spare may be
 * longer).  The fd, or -1 when no spare was found (the caller creates the
 * file as before).
 * queuedir_spare_give: move path (a file named by a queue id, in one of
 * env/, mess/, state/; no process may still read it) into spent/, or unlink it when it is bigger than
 * QUEUEDIR_SPARE_MAX or cannot be moved.  0 when path is gone, -1 with
 * errno (ENOENT: not there).
 * queuedir_spare_settle: when this process gave files since the last
 * call (or force), fsync todo/, env/, mess/ and state/, then move
 * everything in spent/ to spare/.  Returns how many moved; -1 when an fsync failed
 * (nothing moved: tried again next time).
 * queuedir_spare_trim: unlink part of what is above keep in spare/ (an
 * eighth of the surplus, at least QUEUEDIR_SPARE_TRIM_MIN); returns how
 * many. */
#define QUEUEDIR_SPARE_MAX (256 * 1024)
#define QUEUEDIR_SPARE_KEEP 1024
#define QUEUEDIR_SPARE_TRIM_MIN 32
/* queuedir_spare_unshare: at start, before anything reads the queue:
 * take out of the pool every name in spare/ and spent/ whose inode also
 * has a name in todo/, env/, mess/, state/ or hold/.  (A take renames a
 * spare without fsyncing spare/; on a file system without a journal a
 * crash can keep the old name beside the new one, and the next take
 * would overwrite a queued message.)  Such a name is unlinked when the
 * link count says two names (fsck fixed it), else (the count still 1: an
 * unlink would free the queued file) moved to QUEUE/shared/, which
 * nothing cleans.  Returns how many; -1 (errno) when a live directory
 * could not be read (nothing changed) or a shared name could not be
 * taken out (the others were). */
long queuedir_spare_unshare(const char *queue);
int queuedir_spare_take(const char *queue, const char *dest, const char *tag);
int queuedir_spare_give(const char *queue, const char *path, const char *tag);
/* queuedir_spare_return: a file that never had a queue name (tmp/ only:
 * a message given up before its commit) straight back into spare/ (no
 * old name to wait for), or unlinked when bigger than QUEUEDIR_SPARE_MAX
 * or when it cannot be moved.  0 when path is gone, -1 with errno. */
int queuedir_spare_return(const char *queue, const char *path, const char *tag);
long queuedir_spare_settle(const char *queue, int force);
size_t queuedir_spare_trim(const char *queue, size_t keep);

/* Wake the queue manager: one byte into QUEUE/wake, never blocking (no
 * reader or a full FIFO is fine: the manager scans todo/ anyway). */
void queuedir_wake(const char *queue);

#endif
