/* queue_inject.h: the client side of postern-queue (DESIGN.md rule 3),
 * used by postern-smtpd, forwards and bounces.
 *
 * postern-queue gets the message on fd 0 (CRLF or LF line ends: it stores
 * LF), the envelope (common/envelope.h format) on fd 1, and writes the
 * queue id followed by LF on fd 3 (QUEUE_INJECT_ID_FD) once the message is
 * durable.  Its exit status: 0 accepted, 100 permanent refusal (malformed
 * envelope, message too large), 111 (or anything else, or a signal)
 * temporary failure.  The message streams while it arrives: start, write
 * the bytes, then finish with the envelope; abort (no envelope) leaves
 * nothing in the queue.  queue_inject_start sets SIGPIPE to be ignored in
 * the caller, so a postern-queue that dies gives a write error, not a
 * killed session.
 *
 * The writers (queue/queue_serve.c, postern-queue -S, started by
 * `postern run`): postern-smtpd starts with queue_inject_start_via and a
 * socket, which makes the pipes and no process.  The message goes into
 * its pipe while it arrives; when it ends and still fits there (a pipe
 * holds 64 KB), a writer of the pool is handed the pipes' ends and takes
 * it: no process is started for the message.  When the pipe fills up
 * first, or no writer answers within QUEUE_INJECT_WRITER_WAIT_MS (none
 * running, all busy, a reload), a postern-queue process is started on
 * the same pipes, as without a pool.  The answer is the same either way:
 * a writer writes the id line, or "!" and the exit status a process would
 * have had. */
#ifndef POSTERN_QUEUE_INJECT_H
#define POSTERN_QUEUE_INJECT_H

#include <stddef.h>
#include <sys/types.h>

#define QUEUE_INJECT_ID_FD 3
#define QUEUE_INJECT_EXIT_OK 0
#define QUEUE_INJECT_EXIT_PERM 100
#define QUEUE_INJECT_EXIT_TEMP 111
#define QUEUE_INJECT_PATH_MAX 108           /* sun_path */
#define QUEUE_INJECT_WRITER_WAIT_MS 1000

enum queue_inject_result {
	QUEUE_INJECT_OK = 0,
	QUEUE_INJECT_TEMPFAIL = 1,   /* 451 / 452 4.3.0 */
	QUEUE_INJECT_PERMFAIL = 2    /* 554 5.3.4 / 5.6.0 */
};

struct config;
struct envelope;
struct queue_inject;

/* The postern-queue to run for config c: the key queue_program when set;
 * else DIR/libexec/postern-queue of the instance whose config is
 * DIR/etc/postern.conf, when it exists; else postern-queue beside the
 * running program.  Written into out; 0, or -1 when none was found. */
int queue_inject_program(const struct config *c, char *out, size_t outlen);

/* The writers' socket for config c: queue_socket when set, else
 * DIR/run/queue.sock beside the queue directory DIR/queue; none (-1) when
 * queue_writers is 0 or queue_program is set (an admin's own
 * postern-queue is run for every message). */
int queue_inject_socket(const struct config *c, char *out, size_t outlen);

/* Start program (argv[0] = program; POSTERN_CONF stays in the
 * environment).  NULL with a reason in err.  timeout_ms bounds each write
 * and the final wait.  Caller ends it with queue_inject_finish or
 * queue_inject_abort (which free it). */
struct queue_inject *queue_inject_start(const char *program, int timeout_ms,
    char *err, size_t errlen);
/* The same with the writers' socket (NULL: as queue_inject_start): no
 * process is started now (see above).  program and socket must stay
 * valid until the end of q. */
struct queue_inject *queue_inject_start_via(const char *program,
    const char *socket, int timeout_ms, char *err, size_t errlen);
/* Message bytes.  0, or -1 when postern-queue went away or timed out (the
 * caller still calls finish or abort). */
int queue_inject_write(struct queue_inject *q, const void *p, size_t n);
/* Close the message, send the envelope, wait for the answer.  On
 * QUEUE_INJECT_OK id (at least 65 bytes) holds the queue id.  err gets a
 * short reason on failure.  Frees q. */
enum queue_inject_result queue_inject_finish(struct queue_inject *q,
    const struct envelope *env, char *id, size_t idlen, char *err,
    size_t errlen);
/* Let queue_inject_finish answer as soon as the id line has come (it is
 * written only once the message is durable) instead of waiting for the
 * process to end; such processes are reaped by queue_inject_reap_pending,
 * which the caller must call (block: wait for all, bounded by their
 * timeouts; else only those already gone). */
void queue_inject_early(struct queue_inject *q);
void queue_inject_reap_pending(int block);
/* Give up: close both pipes without an envelope and reap the process
 * (postern-queue removes its temporary file).  Frees q. */
void queue_inject_abort(struct queue_inject *q);

/* All at once: a message in memory. */
enum queue_inject_result queue_inject_message(const char *program,
    const char *msg, size_t len, const struct envelope *env, int timeout_ms,
    char *id, size_t idlen, char *err, size_t errlen);

/* Map an exit status (as from waitpid) to a result. */
enum queue_inject_result queue_inject_status(int wstatus);

#endif
