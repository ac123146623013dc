/* queue.h: the parts of postern-queue (the only way into the queue,
 * DESIGN.md rule 3): where its instance is, and the durable store. */
#ifndef POSTERN_QUEUE_QUEUE_H
#define POSTERN_QUEUE_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct config;

/* queue_conf.c: the config file of this postern-queue.  When it runs
 * setuid (AT_SECURE) only its own location counts: /proc/self/exe is
 * DIR/libexec/postern-queue, the config DIR/etc/postern.conf.  Otherwise
 * -c PATH (given), POSTERN_CONF, then the same location rule.  0 with the
 * path in out, -1 with a reason. */
int queue_conf_path(const char *given, char *out, size_t outlen,
    const char **reason);

/* queue_store.c: a message being written into QUEUE/tmp. */
struct queue_store {
	/* state: queue_store_open zeroes everything up to `id` */
	const char *queue;
	int fd;
	int reused;              /* tmp_mess is a spare: truncate at the end */
	int todo_linked;         /* todo/ID exists (undo on failure) */
	uint64_t size;           /* bytes stored (LF line ends) */
	int pending_cr;          /* a CR at the end of the last chunk */
	size_t wlen;
	/* buffers: always written before they are read, never zeroed (a
	 * memset of these 80 KB was 20 page faults per message) */
	char id[80];
	char tmp_mess[4096], todo[4096];
	char wbuf[65536];
};

/* Create tmp/ID.m.  0, or -1 (errno). */
int queue_store_open(struct queue_store *s, const char *queue);
/* Append message bytes, CRLF -> LF.  0, or -1 (errno). */
int queue_store_write(struct queue_store *s, const char *p, size_t n);
/* The end of the message (a CR held back is stored).  0 or -1. */
int queue_store_message_done(struct queue_store *s);
/* Append the envelope and the trailer (common/queuefile.h); fsync the
 * file; rename it to todo/ID (the commit point); fsync todo/.  0 or -1. */
int queue_store_commit(struct queue_store *s, const char *env, size_t len);
/* Remove whatever this store created (after a failure before commit, or
 * a message that never came): the file goes back to QUEUE/spare when it
 * never had a queue name. */
void queue_store_undo(struct queue_store *s);

/* queue_take.c: one message into the queue (message on one descriptor,
 * envelope on another), as a postern-queue started for it or a writer of
 * the pool takes it. */
struct queue_take {
	const char *queue;
	unsigned long long max;  /* queue_message_max */
	int timeout_ms;          /* each read; -1: none (a process per message) */
	int total_ms;            /* the whole message; -1: none */
	struct queue_store store;
	int store_open;          /* the message file is made (maybe ahead) */
	time_t opened;           /* when it was made */
	size_t nrcpts;           /* of the message committed last */
};

/* Make the message file now (ahead of the message: a spare is taken off
 * the way from the end of data to the reply); when it cannot be made now
 * the take tries again when bytes arrive. */
void queue_take_prepare(struct queue_take *t);
/* Read the message from msgfd until its end, the envelope from envfd
 * until its end, record caller, the arrival time and the size, commit.
 * QUEUE_INJECT_EXIT_OK with the queue id in id, _PERM (refused: bad or
 * no envelope, too large), _TEMP (any I/O error); what was made is gone
 * then, and a line logged. */
int queue_take_run(struct queue_take *t, int msgfd, int envfd, uid_t caller,
    char *id, size_t idlen);
/* The log line of the message committed last. */
void queue_take_log(const struct queue_take *t, uid_t caller);
/* Give back a file made ahead (to QUEUE/spare). */
void queue_take_release(struct queue_take *t);

/* queue_serve.c: the resident writers (postern-queue -S, started by the
 * supervisor with the listening socket on fd 0): queue_writers processes
 * that each take one message at a time.  Returns the exit status. */
int queue_serve(const struct config *c);

#endif
