/* queue_inject.c: run postern-queue, or hand a writer of the pool (see
 * queue_inject.h), a message.  The message streams into a pipe on its
 * fd 0 while it arrives, the envelope follows on fd 1, the id comes back
 * on fd 3.  postern-queue is started without a copy of the caller
 * (procspawn.h); a writer gets the same pipes' ends over its socket. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "envelope.h"
#include "fdpass.h"
#include "io.h"
#include "log.h"
#include "procspawn.h"
#include "queue_inject.h"
#include "unixsock.h"

struct queue_inject {
	pid_t pid;               /* the postern-queue started for it, or 0 */
	int msgfd, envfd, idfd;
	/* the ends for the reader (message, envelope, id), until handed to
	 * a process or a writer; then -1 */
	int rd[3];
	const char *program, *socket;
	int by_writer;           /* a writer of the pool has it */
	int timeout_ms;
	int failed;
	int early;               /* answer on the id line (queue_inject_early) */
};

/* Processes answered for by their id line and not reaped yet. */
#define PENDING_MAX 8
static struct { pid_t pid; int idfd, timeout_ms; } pending[PENDING_MAX];
static int npending;

static int
executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int
queue_inject_program(const struct config *c, char *out, size_t outlen)
{
	const char *set = c != NULL ? config_str(c, "queue_program") : NULL;
	const char *conf = c != NULL ? config_file(c) : NULL;
	char self[PATH_MAX];
	ssize_t n;
	int k;

	if (set != NULL && *set != '\0') {
		k = snprintf(out, outlen, "%s", set);
		return k < 0 || (size_t)k >= outlen ? -1 : 0;
	}
	if (conf != NULL && conf[0] == '/') {
		/* DIR/etc/postern.conf -> DIR/libexec/postern-queue */
		const char *e = strrchr(conf, '/');
		size_t dlen = (size_t)(e - conf);
		while (dlen > 0 && conf[dlen - 1] != '/')
			dlen--;
		if (dlen > 0) {
			k = snprintf(out, outlen, "%.*slibexec/postern-queue",
			    (int)dlen, conf);
			if (k > 0 && (size_t)k < outlen && executable(out))
				return 0;
		}
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			k = snprintf(out, outlen, "%.*s/postern-queue",
			    (int)(slash - self), self);
			if (k > 0 && (size_t)k < outlen && executable(out))
				return 0;
		}
	}
	return -1;
}

int
queue_inject_socket(const struct config *c, char *out, size_t outlen)
{
	const char *set = config_str(c, "queue_socket"), *q;
	const char *prog = config_str(c, "queue_program");
	size_t dlen;
	int k;

	if (config_int(c, "queue_writers") <= 0 || (prog != NULL && *prog != '\0'))
		return -1;
	if (set != NULL && *set != '\0') {
		k = snprintf(out, outlen, "%s", set);
		return k < 0 || (size_t)k >= outlen ? -1 : 0;
	}
	/* DIR/queue -> DIR/run/queue.sock (lspawn.sock's directory) */
	q = config_str(c, "queue_dir");
	if (q == NULL || q[0] != '/')
		return -1;
	dlen = strlen(q);
	while (dlen > 1 && q[dlen - 1] == '/')
		dlen--;
	while (dlen > 0 && q[dlen - 1] != '/')
		dlen--;
	k = snprintf(out, outlen, "%.*srun/queue.sock", (int)dlen, q);
	return k < 0 || (size_t)k >= outlen ? -1 : 0;
}

/* Start program with fds[0] on 0, fds[1] on 1, fds[2] on
 * QUEUE_INJECT_ID_FD; fd 2 stays (log); SIGPIPE back to default.  No copy
 * of the caller is made (procspawn.h).  0, or an errno. */
static int
spawn(const char *program, const int fds[3], pid_t *pid)
{
	char *const argv[] = { (char *)"postern-queue", NULL };
	struct procspawn ps = { 0 };

	ps.path = program;
	ps.argv = argv;
	ps.pgid = -1;
	ps.fd_from[0] = fds[0];
	ps.fd_to[0] = 0;
	ps.fd_from[1] = fds[1];
	ps.fd_to[1] = 1;
	ps.fd_from[2] = fds[2];
	ps.fd_to[2] = QUEUE_INJECT_ID_FD;
	ps.nfds = 3;
	*pid = procspawn(&ps);
	return *pid < 0 ? errno : 0;
}

static void
set_err(char *err, size_t errlen, const char *s)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", s);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A postern-queue on the reader's ends.  0, or an errno. */
static int
hand_to_process(struct queue_inject *q)
{
	pid_t pid;
	int r = spawn(q->program, q->rd, &pid), i;

	if (r != 0)
		return r;
	for (i = 0; i < 3; i++)
		close_fd(&q->rd[i]);
	q->pid = pid;
	return 0;
}

/* A writer of the pool on the reader's ends: connect, wait for its "R"
 * (at most QUEUE_INJECT_WRITER_WAIT_MS), send the ends.  0, or -1 with
 * the ends still here. */
static int
hand_to_writer(struct queue_inject *q)
{
	char ready = 0;
	int fd, r;

	if (q->socket == NULL || (fd = unixsock_connect(q->socket)) < 0)
		return -1;
	r = io_wait_fd(fd, POLLIN, io_now_ms() + QUEUE_INJECT_WRITER_WAIT_MS);
	if (r <= 0 || read(fd, &ready, 1) != 1 || ready != 'R' ||
	    fdpass_send(fd, "M", 1, q->rd, 3, 0) < 0) {
		/* connected, but no writer took it: worth a line (not when
		 * the pool is not running at all: smtpd without postern run) */
		log_warn("queue-writers", "reason=\"%s\" note=\"a postern-queue process takes the message\"",
		    r == 0 ? "no writer answered in time" : "the writer refused or went away");
		close(fd);
		return -1;
	}
	close(fd);
	close_fd(&q->rd[0]);
	close_fd(&q->rd[1]);
	close_fd(&q->rd[2]);
	q->by_writer = 1;
	return 0;
}

/* Whoever reads the message, if nobody does yet: a writer when allowed
 * (the message is complete), else a process.  0, or -1 (failed set). */
static int
hand(struct queue_inject *q, int writer_ok, char *err, size_t errlen)
{
	int r;

	if (q->rd[0] < 0)
		return 0;
	if (writer_ok && hand_to_writer(q) == 0)
		return 0;
	if ((r = hand_to_process(q)) != 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "cannot start postern-queue: %s", strerror(r));
		q->failed = 1;
		return -1;
	}
	return 0;
}

struct queue_inject *
queue_inject_start_via(const char *program, const char *socket, int timeout_ms,
    char *err, size_t errlen)
{
	int m[2] = { -1, -1 }, e[2] = { -1, -1 }, d[2] = { -1, -1 };
	struct queue_inject *q;

	signal(SIGPIPE, SIG_IGN);
	if (pipe2(m, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0 ||
	    pipe2(d, O_CLOEXEC) < 0) {
		set_err(err, errlen, "pipe failed");
		goto fail;
	}
	q = xcalloc(1, sizeof(*q));
	q->program = program;
	q->socket = socket;
	q->msgfd = m[1];
	q->envfd = e[1];
	q->idfd = d[0];
	q->rd[0] = m[0];
	q->rd[1] = e[0];
	q->rd[2] = d[1];
	q->timeout_ms = timeout_ms;
	if (socket != NULL) {
		/* nobody reads yet: a full pipe must not block the writes */
		if (fcntl(q->msgfd, F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(q->envfd, F_SETFL, O_NONBLOCK) < 0)
			q->socket = NULL;
		else
			return q;
	}
	if (hand(q, 0, err, errlen) < 0) {
		queue_inject_abort(q);
		return NULL;
	}
	return q;
fail:
	{
		int *all[3] = { m, e, d }, i;
		for (i = 0; i < 3; i++) {
			if (all[i][0] >= 0)
				close(all[i][0]);
			if (all[i][1] >= 0)
				close(all[i][1]);
		}
	}
	return NULL;
}

struct queue_inject *
queue_inject_start(const char *program, int timeout_ms, char *err, size_t errlen)
{
	return queue_inject_start_via(program, NULL, timeout_ms, err, errlen);
}

/* Write what fits into a pipe nobody reads yet: the bytes written. */
static size_t
write_some(int fd, const char *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = write(fd, p + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	return done;
}

int
queue_inject_write(struct queue_inject *q, const void *p, size_t n)
{
	if (q->failed)
		return -1;
	if (q->rd[0] >= 0) {
		/* Nobody reads yet.  A message bigger than the pipe gets a
		 * process now: a writer is not held while a client sends. */
		size_t k = write_some(q->msgfd, p, n);
		if (k == n)
			return 0;
		p = (const char *)p + k;
		n -= k;
		if (hand(q, 0, NULL, 0) < 0)
			return -1;
	}
	if (io_write_all(q->msgfd, p, n, q->timeout_ms) != IO_OK) {
		q->failed = 1;
		return -1;
	}
	return 0;
}

enum queue_inject_result
queue_inject_status(int wstatus)
{
	if (WIFEXITED(wstatus)) {
		if (WEXITSTATUS(wstatus) == QUEUE_INJECT_EXIT_OK)
			return QUEUE_INJECT_OK;
		if (WEXITSTATUS(wstatus) == QUEUE_INJECT_EXIT_PERM)
			return QUEUE_INJECT_PERMFAIL;
	}
	return QUEUE_INJECT_TEMPFAIL;
}

/* Wait for the child at most timeout_ms (then kill it).  The child's end
 * of the id pipe closes when it exits, so wait for EOF there first (no
 * polling delay), then reap. */
static int
reap(pid_t pid, int idfd, int timeout_ms, int *wstatus)
{
	if (idfd >= 0) {
		char b[64];
		for (;;) {
			struct pollfd pf = { idfd, POLLIN, 0 };
			int r = poll(&pf, 1, timeout_ms > 0 ? timeout_ms : -1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				kill(pid, SIGKILL);
				break;
			}
			r = (int)read(idfd, b, sizeof(b));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
		}
	}
	while (waitpid(pid, wstatus, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFSIGNALED(*wstatus) && WTERMSIG(*wstatus) == SIGKILL && idfd >= 0)
		return -1;
	return 0;
}

/* A postern-queue answered for by its id line (the message is durable)
 * ended: an end other than exit 0 is worth a line, not another answer. */
static void
note_exit(pid_t pid, int wstatus)
{
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != QUEUE_INJECT_EXIT_OK)
		log_warn("queue-exit", "pid=%ld status=%d note=\"after its id\"", (long)pid,
		    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus));
}

/* Read the id line from fd: bounded, with the timeout. */
static int
read_id(int fd, int timeout_ms, char *id, size_t idlen)
{
	char b[80];
	size_t got = 0;

	while (got < sizeof(b)) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t n;
		int r = poll(&pf, 1, timeout_ms > 0 ? timeout_ms : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n = read(fd, b + got, sizeof(b) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(b, '\n', got) != NULL)
			break;
	}
	{
		char *nl = memchr(b, '\n', got);
		size_t len = nl != NULL ? (size_t)(nl - b) : 0;
		if (nl == NULL || len == 0 || len >= idlen)
			return -1;
		memcpy(id, b, len);
		id[len] = '\0';
	}
	return 0;
}

enum queue_inject_result
queue_inject_finish(struct queue_inject *q, const struct envelope *env,
    char *id, size_t idlen, char *err, size_t errlen)
{
	struct buf eb = BUF_INIT;
	enum queue_inject_result res;
	int wstatus = 0, have_id;
	char idb[128];
	size_t put = 0;

	close_fd(&q->msgfd);
	if (q->failed && q->rd[0] >= 0) {
		queue_inject_abort(q);
		set_err(err, errlen, "cannot start postern-queue");
		return QUEUE_INJECT_TEMPFAIL;
	}
	if (envelope_write(env, &eb) < 0) {
		buf_free(&eb);
		queue_inject_abort(q);
		set_err(err, errlen, "envelope cannot be written");
		return QUEUE_INJECT_PERMFAIL;
	}
	if (q->rd[0] >= 0) {
		/* The whole message is in its pipe: the envelope too when it
		 * fits, then a writer (or a process) takes both at once. */
		put = write_some(q->envfd, eb.p, eb.len);
		if (put == eb.len)
			close_fd(&q->envfd);
		if (hand(q, 1, err, errlen) < 0) {
			buf_free(&eb);
			queue_inject_abort(q);
			return QUEUE_INJECT_TEMPFAIL;
		}
	}
	if (!q->failed && q->envfd >= 0 &&
	    io_write_all(q->envfd, eb.p + put, eb.len - put, q->timeout_ms) != IO_OK)
		q->failed = 1;
	buf_free(&eb);
	close_fd(&q->envfd);
	have_id = read_id(q->idfd, q->timeout_ms, idb, sizeof(idb)) == 0;
	if (q->by_writer) {
		/* no process: the answer is the line ("!" and an exit status
		 * when the writer refused or failed) */
		close_fd(&q->idfd);
		free(q);
		if (!have_id) {
			set_err(err, errlen, "the queue writer gave no answer");
			return QUEUE_INJECT_TEMPFAIL;
		}
		if (idb[0] == '!') {
			char why[160];
			snprintf(why, sizeof(why), "postern-queue writer: exit %s", idb + 1);
			set_err(err, errlen, why);
			return strcmp(idb + 1, "100") == 0 ? QUEUE_INJECT_PERMFAIL :
			    QUEUE_INJECT_TEMPFAIL;
		}
		snprintf(id, idlen, "%s", idb);
		return QUEUE_INJECT_OK;
	}
	if (have_id && q->early) {
		/* Written only once the message is durable: accepted, whatever
		 * the rest of its life.  Reaped later. */
		if (waitpid(q->pid, &wstatus, WNOHANG) == q->pid) {
			note_exit(q->pid, wstatus);
			close_fd(&q->idfd);
		}
		else {
			if (npending == PENDING_MAX)
				queue_inject_reap_pending(1);
			pending[npending].pid = q->pid;
			pending[npending].idfd = q->idfd;
			pending[npending].timeout_ms = q->timeout_ms;
			npending++;
		}
		free(q);
		snprintf(id, idlen, "%s", idb);
		return QUEUE_INJECT_OK;
	}
	if (reap(q->pid, q->idfd, q->timeout_ms, &wstatus) < 0) {
		close_fd(&q->idfd);
		free(q);
		set_err(err, errlen, "postern-queue timed out");
		return QUEUE_INJECT_TEMPFAIL;
	}
	close_fd(&q->idfd);
	free(q);
	res = queue_inject_status(wstatus);
	if (res == QUEUE_INJECT_OK && !have_id) {
		set_err(err, errlen, "postern-queue gave no queue id");
		return QUEUE_INJECT_TEMPFAIL;
	}
	if (res == QUEUE_INJECT_OK) {
		snprintf(id, idlen, "%s", idb);
		return res;
	}
	if (WIFEXITED(wstatus))
		snprintf(idb, sizeof(idb), "postern-queue exit %d", WEXITSTATUS(wstatus));
	else
		snprintf(idb, sizeof(idb), "postern-queue killed by signal %d",
		    WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
	set_err(err, errlen, idb);
	return res;
}

void
queue_inject_early(struct queue_inject *q)
{
	q->early = 1;
}

void
queue_inject_reap_pending(int block)
{
	int i, wstatus;

	for (i = npending - 1; i >= 0; i--) {
		if (block) {
			if (reap(pending[i].pid, pending[i].idfd,
			    pending[i].timeout_ms > 0 ? pending[i].timeout_ms : 10000,
			    &wstatus) < 0)
				wstatus = W_EXITCODE(0, SIGKILL);
		} else if (waitpid(pending[i].pid, &wstatus, WNOHANG) != pending[i].pid)
			continue;
		note_exit(pending[i].pid, wstatus);
		close_fd(&pending[i].idfd);
		pending[i] = pending[--npending];
	}
}

void
queue_inject_abort(struct queue_inject *q)
{
	int wstatus;

	close_fd(&q->msgfd);
	close_fd(&q->envfd);
	close_fd(&q->rd[0]);
	close_fd(&q->rd[1]);
	close_fd(&q->rd[2]);
	/* a writer sees the envelope pipe end without an envelope */
	if (q->pid > 0)
		reap(q->pid, q->idfd, q->timeout_ms > 0 ? q->timeout_ms : 10000, &wstatus);
	close_fd(&q->idfd);
	free(q);
}

enum queue_inject_result
queue_inject_message(const char *program, const char *msg, size_t len,
    const struct envelope *env, int timeout_ms, char *id, size_t idlen,
    char *err, size_t errlen)
{
	struct queue_inject *q = queue_inject_start(program, timeout_ms, err, errlen);

	if (q == NULL)
		return QUEUE_INJECT_TEMPFAIL;
	queue_inject_write(q, msg, len);
	return queue_inject_finish(q, env, id, idlen, err, errlen);
}
