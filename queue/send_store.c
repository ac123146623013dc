/* send_store.c: postern-send's view of the queue tree: taking new
 * messages from todo/ into env/ (for a message with only local
 * recipients not before its first attempt needs it: one done at once
 * never leaves todo/), recovering env/ and state/ at start
 * (truncating a state file torn by a crash to its clean prefix), removing
 * orphans of crashed injections, appending fsynced state records, and
 * removing a message once it is done. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "envelope.h"
#include "lines.h"
#include "log.h"
#include "queuedir.h"
#include "queuefile.h"
#include "send.h"

#define ORPHAN_AGE 3600

static unsigned
hash_id(const char *id)
{
	unsigned h = 5381;

	while (*id)
		h = h * 33 + (unsigned char)*id++;
	return h % 4096;
}

struct send_msg *
send_store_find(struct send_state *s, const char *id)
{
	struct send_msg *m;

	for (m = s->hash[hash_id(id)]; m != NULL; m = m->hnext)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

static void
add_msg(struct send_state *s, struct send_msg *m)
{
	unsigned h = hash_id(m->id);

	if (s->nmsgs == s->msgs_cap) {
		s->msgs_cap = s->msgs_cap ? s->msgs_cap * 2 : 256;
		s->msgs = xreallocarray(s->msgs, s->msgs_cap, sizeof(*s->msgs));
	}
	m->index = s->nmsgs;
	s->msgs[s->nmsgs++] = m;
	m->hnext = s->hash[h];
	s->hash[h] = m;
}

void
send_store_forget(struct send_state *s, struct send_msg *m)
{
	struct send_msg **pp = &s->hash[hash_id(m->id)];
	size_t i;

	while (*pp != NULL && *pp != m)
		pp = &(*pp)->hnext;
	if (*pp == m)
		*pp = m->hnext;
	send_sched_remove(s, m);
	i = m->index;
	s->msgs[i] = s->msgs[--s->nmsgs];
	s->msgs[i]->index = i;
	envelope_free(m->env);
	free(m->next);
	free(m->busy);
	free(m);
}

static time_t
wait_after(struct send_state *s, uint32_t attempts)
{
	size_t i = attempts > 0 ? attempts - 1 : 0;

	if (s->nschedule == 0)
		return 300;
	return s->schedule[i < s->nschedule ? i : s->nschedule - 1];
}

void
send_msg_schedule(struct send_state *s, struct send_msg *m)
{
	size_t i;

	for (i = 0; i < m->env->nrcpts; i++) {
		const struct envelope_rcpt *r = &m->env->rcpts[i];

		if (r->state == ENVELOPE_DEFERRED)
			m->next[i] = (time_t)r->time + wait_after(s, r->attempts);
		else
			m->next[i] = 0;
	}
}

/* Remove a file of a finished message: into QUEUE/spent when reuse,
 * else unlinked.  0 when it is gone, -1 (errno) when it was not there. */
static int
drop_file(struct send_state *s, const char *path, const char *tag, int reuse)
{
	return reuse ? queuedir_spare_give(s->queue, path, tag) : unlink(path);
}

static void
remove_files(struct send_state *s, const char *id, int env_too, int reuse)
{
	char path[QUEUEDIR_PATH_MAX];

	if (env_too && queuedir_path(path, sizeof(path), s->queue, QUEUEDIR_ENV, id) == 0)
		drop_file(s, path, "e", reuse);
	if (queuedir_path(path, sizeof(path), s->queue, QUEUEDIR_STATE, id) == 0)
		drop_file(s, path, "s", reuse);
	if (queuedir_path(path, sizeof(path), s->queue, QUEUEDIR_MESS, id) == 0)
		drop_file(s, path, "m", reuse);
}

static int exists(struct send_state *s, const char *sub, const char *id);

/* The take-in of a committed message: its envelope (env, read from the
 * queue file's tail) copied to env/ID, then the file renamed from todo/ID
 * to mess/ID.  No fsync: todo/ID stays durable until the rename, and if a
 * crash loses either step the message is in todo/ again and is taken in
 * again (an env/ID left over is replaced; on a journaling file system,
 * which INSTALL asks for, a rename that survives implies the env/ID
 * written before it).  0, or -1 (errno; env/ID removed again). */
static int
take_in(struct send_state *s, const char *id, const char *todopath,
    const char *envpath, const struct buf *env)
{
	char messpath[QUEUEDIR_PATH_MAX];
	ssize_t w;
	int fd, reused, e;

	if (queuedir_path(messpath, sizeof(messpath), s->queue, QUEUEDIR_MESS, id) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	reused = (fd = queuedir_spare_take(s->queue, envpath, "e")) >= 0;
	if (!reused)
		fd = open(envpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* an env/ID left by a take-in cut short by a crash */
		if (unlink(envpath) < 0)
			return -1;
		fd = open(envpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return -1;
	w = write(fd, env->p ? env->p : "", env->len);
	if (w != (ssize_t)env->len || (reused && ftruncate(fd, (off_t)env->len) < 0)) {
		if (w >= 0 && w != (ssize_t)env->len)
			errno = EIO;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(todopath, messpath) < 0)
		goto fail;
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(envpath);
	errno = e;
	return -1;
}

/* Every recipient delivered here (postern-lspawn), none relayed. */
static int
all_local(struct send_state *s, const struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpts; i++)
		if (!send_run_is_local(s, env->rcpts[i].addr))
			return 0;
	return env->nrcpts > 0;
}

/* Parse an envelope; for a queue file its size must be the message's. */
static int
parse_checked(const struct buf *b, int from_tail, uint64_t msize,
    struct envelope **env, char *err, size_t errlen)
{
	if (envelope_parse(b->p ? b->p : "", b->len, env, err, errlen) < 0)
		return -1;
	if (from_tail && (*env)->size != msize) {
		snprintf(err, errlen, "envelope size %llu, message %llu",
		    (unsigned long long)(*env)->size, (unsigned long long)msize);
		envelope_free(*env);
		*env = NULL;
		return -1;
	}
	return 0;
}

/* The envelope of QUEUE/sub/ID into b and *env: from the queue file's
 * tail for todo/, else env/ID.  A todo/ID without a trailer beside a
 * mess/ID is the two-file layout of postern before November 2026 (the
 * envelope alone in todo/, the message in mess/; a queue left by an older
 * version): *legacy is set and todo/ID read as an envelope.  An env/ID that does not parse (a crash
 * during or after the take-in, its bytes never written) is made again
 * from the tail of mess/ID, which holds the same envelope (env/ID is never
 * changed after the take-in); a missing env/ID is not (an admin's delete
 * removes it first).  0, or -1 (logged). */
static int
load_envelope(struct send_state *s, const char *sub, const char *id,
    const char *path, struct buf *b, struct envelope **env, int *legacy)
{
	char err[QUEUEDIR_PATH_MAX + 128], mess[QUEUEDIR_PATH_MAX];
	uint64_t msize = 0;
	int todo = strcmp(sub, QUEUEDIR_TODO) == 0, fd, rc;

	*env = NULL;
	*legacy = 0;
	if (!todo)
		rc = lines_read_file(path, ENVELOPE_MAX_SIZE, 0, b, err, sizeof(err));
	else if ((rc = queuefile_read_envelope_at(path, ENVELOPE_MAX_SIZE, b, &msize)) == 0)
		;
	else if (errno == EPROTO && exists(s, QUEUEDIR_MESS, id)) {
		*legacy = 1;
		buf_reset(b);
		rc = lines_read_file(path, ENVELOPE_MAX_SIZE, 0, b, err, sizeof(err));
	} else {
		rc = errno == ENOENT ? 1 : -1;
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
	}
	if (rc != 0) {
		/* 1: gone meanwhile (delivered, deleted) */
		if (rc < 0)
			log_error("read-envelope", "id=%s dir=%s error=\"%s\"", id, sub, err);
		return -1;
	}
	if (parse_checked(b, todo && !*legacy, msize, env, err, sizeof(err)) == 0)
		return 0;
	log_error("bad-envelope", "id=%s dir=%s error=\"%s\"", id, sub, err);
	if (todo || strcmp(sub, QUEUEDIR_ENV) != 0 ||
	    queuedir_path(mess, sizeof(mess), s->queue, QUEUEDIR_MESS, id) < 0)
		return -1;
	buf_reset(b);
	if (queuefile_read_envelope_at(mess, ENVELOPE_MAX_SIZE, b, &msize) < 0 ||
	    parse_checked(b, 1, msize, env, err, sizeof(err)) < 0)
		return -1;
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0 ||
	    write(fd, b->p, b->len) != (ssize_t)b->len) {
		log_error("envelope-rebuilt", "id=%s error=\"%m\" note=\"kept in memory only\"", id);
	} else
		log_warn("envelope-rebuilt", "id=%s note=\"env/ made again from mess/\"", id);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Load QUEUE/sub/ID (sub is todo or env).  From todo/ the message is
 * taken in first (take_in). */
static void
load(struct send_state *s, const char *sub, const char *id)
{
	char path[QUEUEDIR_PATH_MAX], envpath[QUEUEDIR_PATH_MAX], err[512];
	struct buf b = BUF_INIT;
	struct envelope *env = NULL;
	struct send_msg *m;
	struct stat sb;
	size_t valid = 0;
	int todo = strcmp(sub, QUEUEDIR_TODO) == 0, legacy, rc = 1, in_todo = 0;

	if (!queuedir_id_valid(id, strlen(id)) || send_store_find(s, id) != NULL)
		return;
	if (queuedir_path(path, sizeof(path), s->queue, sub, id) < 0 ||
	    queuedir_path(envpath, sizeof(envpath), s->queue, QUEUEDIR_ENV, id) < 0)
		return;
	if (!todo && !exists(s, QUEUEDIR_MESS, id) && exists(s, QUEUEDIR_TODO, id))
		return;     /* a take-in cut short by a crash: the todo/ pass
		               does it again (this env/ID may be torn) */
	if (load_envelope(s, sub, id, path, &b, &env, &legacy) < 0) {
		buf_free(&b);
		return;
	}
	if (todo) {
		/* the older layout's take-in: the envelope file to env/ */
		/* first attempt from todo/ (send_store_take_in), but not
		 * for what recovery finds: an env/ID of a take-in cut short
		 * by a crash may be beside it (take_in replaces it) */
		if (!legacy && !s->recovering && all_local(s, env))
			in_todo = 1;
		else if (legacy ? rename(path, envpath) : take_in(s, id, path, envpath, &b)) {
			log_error("take-in", "id=%s error=\"%m\"", id);
			envelope_free(env);
			buf_free(&b);
			return;
		}
		log_info("new", "id=%s from=<%s> rcpts=%zu size=%llu", id, env->sender,
		    env->nrcpts, (unsigned long long)env->size);
	}
	buf_free(&b);
	/* the results so far; a record torn by a crash is cut off */
	if (queuedir_path(path, sizeof(path), s->queue, QUEUEDIR_STATE, id) == 0 &&
	    (rc = lines_read_file(path, ENVELOPE_MAX_STATE_SIZE, 0, &b, err, sizeof(err))) < 0)
		log_error("read-state", "id=%s error=\"%s\"", id, err);
	else if (rc == 0) {
		if (envelope_state_apply(env, b.p ? b.p : "", b.len, &valid, err,
		    sizeof(err)) < 0)
			log_error("bad-state", "id=%s error=\"%s\"", id, err);
		else if (valid < b.len) {
			log_warn("state-truncated", "id=%s from=%zu to=%zu", id, b.len, valid);
			if (truncate(path, (off_t)valid) < 0)
				log_error("state-truncate", "id=%s error=\"%m\"", id);
		}
	}
	buf_free(&b);
	/* (from todo/ take_in has just put it there) */
	if (!todo && (queuedir_path(path, sizeof(path), s->queue, QUEUEDIR_MESS, id) < 0 ||
	    stat(path, &sb) < 0)) {
		log_error("missing-message", "id=%s note=\"envelope without message removed\"", id);
		envelope_free(env);
		remove_files(s, id, 1, 0);
		return;
	}
	m = xcalloc(1, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->env = env;
	m->next = xcalloc(env->nrcpts, sizeof(*m->next));
	m->busy = xcalloc(env->nrcpts, 1);
	m->heap_pos[SEND_LOCAL] = m->heap_pos[SEND_REMOTE] = SIZE_MAX;
	/* from todo/ while running: no delivery of it has been started by
	 * anyone yet (an earlier postern-send may have started one from
	 * todo/: what recovery finds there is never reused) */
	m->reuse = todo && !s->recovering;
	m->in_todo = in_todo;
	for (size_t i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].flags & SEND_FLAG_DELAY_SENT)
			m->delay_done = 1;
	if (env->sender[0] == '\0' || s->delay_warning <= 0)
		m->delay_done = 1;
	send_msg_schedule(s, m);
	add_msg(s, m);
	send_sched_update(s, m);
	send_notify_delay(s, m, time(NULL));
	send_run_maybe_finish(s, m);
}

/* Call fn for every valid id in QUEUE/sub. */
static void
each_id(struct send_state *s, const char *sub,
    void (*fn)(struct send_state *, const char *, const char *, void *), void *arg)
{
	char dir[QUEUEDIR_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (queuedir_path(dir, sizeof(dir), s->queue, sub, NULL) < 0 ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (queuedir_id_valid(de->d_name, strlen(de->d_name)))
			fn(s, sub, de->d_name, arg);
	closedir(d);
}

static void
load_cb(struct send_state *s, const char *sub, const char *id, void *arg)
{
	load(s, sub, id);
}

static int
exists(struct send_state *s, const char *sub, const char *id)
{
	char path[QUEUEDIR_PATH_MAX];

	return queuedir_path(path, sizeof(path), s->queue, sub, id) == 0 &&
	    access(path, F_OK) == 0;
}

static void
orphan_cb(struct send_state *s, const char *sub, const char *id, void *arg)
{
	char path[QUEUEDIR_PATH_MAX];
	time_t now = *(time_t *)arg;
	struct stat sb;

	if (exists(s, QUEUEDIR_ENV, id) || exists(s, QUEUEDIR_TODO, id) ||
	    exists(s, QUEUEDIR_HOLD, id))
		return;
	if (queuedir_path(path, sizeof(path), s->queue, sub, id) < 0 ||
	    stat(path, &sb) < 0 || now - sb.st_mtime < ORPHAN_AGE)
		return;
	log_info("orphan", "dir=%s id=%s note=\"removed\"", sub, id);
	unlink(path);
}

static void
tmp_cb(struct send_state *s, const char *sub, const char *id, void *arg)
{
	char path[QUEUEDIR_PATH_MAX];
	time_t now = *(time_t *)arg;
	struct stat sb;

	if (queuedir_path(path, sizeof(path), s->queue, sub, id) < 0 ||
	    stat(path, &sb) < 0 || now - sb.st_mtime < ORPHAN_AGE)
		return;
	unlink(path);
}

void
send_store_recover(struct send_state *s)
{
	time_t now = time(NULL);
	long shared = queuedir_spare_unshare(s->queue);

	if (shared > 0)
		log_warn("spare-shared", "count=%ld note=\"spare names of queued files (a crash kept both names) removed\"", shared);
	else if (shared < 0)
		log_error("spare-shared", "error=\"%m\" note=\"a spare name may still share a queued file's inode: look at spare/ and spent/ before the next message\"");
	each_id(s, QUEUEDIR_MESS, orphan_cb, &now);
	each_id(s, QUEUEDIR_STATE, orphan_cb, &now);
	each_id(s, QUEUEDIR_TMP, tmp_cb, &now);
	each_id(s, QUEUEDIR_BOUNCE, tmp_cb, &now);
	s->recovering = 1;
	each_id(s, QUEUEDIR_ENV, load_cb, NULL);
	each_id(s, QUEUEDIR_TODO, load_cb, NULL);
	s->recovering = 0;
	log_info("recovered", "messages=%zu", s->nmsgs);
}

void
send_store_scan(struct send_state *s, int full)
{
	size_t i;

	each_id(s, QUEUEDIR_TODO, load_cb, NULL);
	if (!full)
		return;
	/* held or deleted by an admin: forget (after any request in flight) */
	for (i = s->nmsgs; i-- > 0;) {
		struct send_msg *m = s->msgs[i];

		if (!exists(s, m->in_todo ? QUEUEDIR_TODO : QUEUEDIR_ENV, m->id)) {
			m->gone = 1;
			if (m->inflight == 0) {
				log_info("forget", "id=%s note=\"no longer in %s/\"", m->id,
				    m->in_todo ? QUEUEDIR_TODO : QUEUEDIR_ENV);
				send_store_forget(s, m);
			}
		}
	}
	/* released from hold */
	each_id(s, QUEUEDIR_ENV, load_cb, NULL);
}

int
send_store_record(struct send_state *s, struct send_msg *m, const size_t *rcpts,
    size_t n, const int *states, const unsigned *codes, char *const *status,
    char *const *diag, char *const *mta, unsigned flags, const unsigned *rflags,
    int sync)
{
	char path[QUEUEDIR_PATH_MAX];
	struct buf b = BUF_INIT;
	time_t now = time(NULL);
	size_t k;
	int fd, rc = 0;

	for (k = 0; k < n; k++) {
		struct envelope_rcpt *r = &m->env->rcpts[rcpts[k]];
		struct envelope_state st;

		memset(&st, 0, sizeof(st));
		st.rcpt = (uint32_t)rcpts[k];
		st.state = (enum envelope_rcpt_state)states[k];
		/* a marker keeps the attempt's time: restarts schedule from it */
		st.time = flags ? r->time : (uint64_t)now;
		st.attempts = r->attempts + (flags ? 0 : 1);
		st.smtp_code = codes[k];
		st.dsn_status = status[k];
		st.diag = diag[k];
		st.remote_mta = mta[k];
		st.flags = (flags | r->flags | (rflags ? rflags[k] : 0)) & 0xffu;
		if (envelope_state_write(&st, &b) < 0) {
			st.diag = "(diagnostic too long)";
			envelope_state_write(&st, &b);
		}
		/* the same in memory */
		r->state = st.state;
		r->time = st.time;
		r->attempts = st.attempts;
		r->smtp_code = st.smtp_code;
		r->flags = st.flags;
		envelope_set(&r->dsn_status, status[k]);
		envelope_set(&r->diag, diag[k]);
		envelope_set(&r->remote_mta, mta[k]);
	}
	if (sync == SEND_REC_MEMORY) {
		buf_free(&b);
		return 0;
	}
	/* a state file beside a message still in todo/ would be an orphan */
	if (send_store_take_in(s, m) < 0) {
		buf_free(&b);
		return -1;
	}
	if (queuedir_path(path, sizeof(path), s->queue, QUEUEDIR_STATE, m->id) < 0 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		log_error("state-write", "id=%s error=\"%m\"", m->id);
		buf_free(&b);
		return -1;
	}
	if (write(fd, b.p, b.len) != (ssize_t)b.len || (sync == SEND_REC_SYNC && fdatasync(fd) < 0)) {
		log_error("state-write", "id=%s error=\"%m\"", m->id);
		rc = -1;
	}
	close(fd);
	buf_free(&b);
	return rc;
}

int
send_store_message_path(struct send_state *s, const struct send_msg *m,
    char *path, size_t len)
{
	return queuedir_path(path, len, s->queue,
	    m->in_todo ? QUEUEDIR_TODO : QUEUEDIR_MESS, m->id);
}

int
send_store_take_in(struct send_state *s, struct send_msg *m)
{
	char todo[QUEUEDIR_PATH_MAX], envpath[QUEUEDIR_PATH_MAX];
	struct buf b = BUF_INIT;
	uint64_t msize;
	int rc = -1;

	if (!m->in_todo)
		return 0;
	if (queuedir_path(todo, sizeof(todo), s->queue, QUEUEDIR_TODO, m->id) < 0 ||
	    queuedir_path(envpath, sizeof(envpath), s->queue, QUEUEDIR_ENV, m->id) < 0)
		errno = ENAMETOOLONG;
	/* the same bytes load() read: todo/ID never changes */
	else if (queuefile_read_envelope_at(todo, ENVELOPE_MAX_SIZE, &b, &msize) == 0 &&
	    take_in(s, m->id, todo, envpath, &b) == 0) {
		m->in_todo = 0;
		rc = 0;
	}
	if (rc < 0)
		log_error("take-in", "id=%s error=\"%m\" note=\"stays in todo/\"", m->id);
	buf_free(&b);
	return rc;
}

void
send_store_remove(struct send_state *s, struct send_msg *m)
{
	char path[QUEUEDIR_PATH_MAX];

	/* never taken in: its one file in todo/; else env/ID first: without
	 * it the rest are orphans.  Gone already (ENOENT): an admin held or
	 * deleted the message, the rest is left.  Any other failure leaves a
	 * file that brings the message back at the next scan: said. */
	if (queuedir_path(path, sizeof(path), s->queue,
	    m->in_todo ? QUEUEDIR_TODO : QUEUEDIR_ENV, m->id) == 0) {
		if (drop_file(s, path, m->in_todo ? "m" : "e", m->reuse) == 0) {
			if (!m->in_todo)
				remove_files(s, m->id, 0, m->reuse);
		} else if (errno != ENOENT)
			log_error("remove", "id=%s path=%s error=\"%m\" note=\"delivered again at the next scan unless removed\"",
			    m->id, path);
	}
	log_info("done", "id=%s", m->id);
	send_store_forget(s, m);
}
