/* rspawn_main.c: postern-rspawn, the remote delivery spawner (DESIGN.md
 * chains table: send -> rspawn -> postern-remote as the remote user).
 *
 *   postern-rspawn [-c CONF] [-p POSTERN-REMOTE]
 *
 * Started by the supervisor with its spawnproto socket to postern-send on
 * fds 0 and 1.  As root it drops to the remote user first.  For each
 * request (message descriptor + record) it runs postern-remote with the
 * message on fd 0, the request record on fd 3 (a memfd) and a pipe on fd 1
 * for the reply, which it passes back with the request's id.  A
 * postern-remote that fails, answers nonsense or runs longer than
 * remote_delivery_timeout gives class 4 for every recipient.  It never
 * touches the queue. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "privdrop.h"
#include "spawnproto.h"
#include "svcusers.h"

#define MAX_CHILDREN 256

struct child {
	pid_t pid;
	int rfd;                /* reply pipe, -1 once at EOF */
	uint32_t id;
	size_t nrcpts;
	time_t start;
	struct buf out;
	int overflow;
};

static struct child children[MAX_CHILDREN];
static size_t nchildren;
static char remote_path[PATH_MAX];

static void
answer_temp(uint32_t id, size_t nrcpts, const char *diag)
{
	struct spawn_reply *rep = spawn_reply_new(id);
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < nrcpts; i++)
		spawn_reply_add(rep, 4, 0, "4.3.0", diag, NULL);
	if (spawn_reply_encode(rep, &b) == 0 &&
	    spawn_send(1, b.p, b.len, -1) < 0) {
		log_error("reply-failed", "error=%s", strerror(errno));
		exit(111);
	}
	buf_free(&b);
	spawn_reply_free(rep);
}

static void
start_child(const struct buf *payload, const struct spawn_request *req,
    int msgfd)
{
	unsigned char len[4];
	int mfd, p[2];
	pid_t pid;
	struct child *c;

	mfd = memfd_create("postern-request", MFD_CLOEXEC);
	if (mfd < 0 || pipe2(p, O_CLOEXEC) < 0) {
		if (mfd >= 0)
			close(mfd);
		answer_temp(req->id, req->nrcpts, "cannot start postern-remote");
		return;
	}
	len[0] = (unsigned char)(payload->len >> 24);
	len[1] = (unsigned char)(payload->len >> 16);
	len[2] = (unsigned char)(payload->len >> 8);
	len[3] = (unsigned char)payload->len;
	if (write(mfd, len, 4) != 4 ||
	    write(mfd, payload->p, payload->len) != (ssize_t)payload->len ||
	    lseek(mfd, 0, SEEK_SET) != 0) {
		close(mfd);
		close(p[0]);
		close(p[1]);
		answer_temp(req->id, req->nrcpts, "cannot pass the request");
		return;
	}
	pid = fork();
	if (pid < 0) {
		close(mfd);
		close(p[0]);
		close(p[1]);
		answer_temp(req->id, req->nrcpts, "fork failed");
		return;
	}
	if (pid == 0) {
		char *argv[] = { "postern-remote", NULL };
		int i, a, b, m;
		/* fds 0 (message), 1 (reply pipe), 3 (request); fresh copies
		 * first, so that no target clobbers a source (0, 1 and 2 are
		 * open, so the copies are >= 3 and distinct) */
		a = dup(msgfd);
		b = dup(p[1]);
		m = dup(mfd);
		if (a < 0 || b < 0 || m < 0 || dup2(a, 0) < 0 || dup2(b, 1) < 0 ||
		    dup2(m, 3) < 0)
			_exit(111);
		for (i = 4; i < 64; i++)
			close(i);
		signal(SIGPIPE, SIG_DFL);
		execv(remote_path, argv);
		_exit(111);
	}
	close(mfd);
	close(p[1]);
	c = &children[nchildren++];
	memset(c, 0, sizeof *c);
	c->pid = pid;
	c->rfd = p[0];
	c->id = req->id;
	c->nrcpts = req->nrcpts;
	c->start = time(NULL);
	buf_init(&c->out);
	log_info("start", "id=%u pid=%ld rcpts=%zu queue_id=%s", req->id,
	    (long)pid, req->nrcpts, req->queue_id ? req->queue_id : "-");
}

static void
finish_child(size_t idx)
{
	struct child *c = &children[idx];
	struct spawn_reply *rep = NULL;
	struct buf b = BUF_INIT;
	char err[128];
	int status = 0;
	size_t want;

	close(c->rfd);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!c->overflow && c->out.len > 4) {
		want = (size_t)((unsigned char)c->out.p[0]) << 24 |
		    (size_t)((unsigned char)c->out.p[1]) << 16 |
		    (size_t)((unsigned char)c->out.p[2]) << 8 |
		    (unsigned char)c->out.p[3];
		if (want == c->out.len - 4 &&
		    spawn_reply_parse(c->out.p + 4, want, &rep, err, sizeof err) < 0)
			rep = NULL;
	}
	if (rep && rep->nresults == c->nrcpts) {
		rep->id = c->id;
		if (spawn_reply_encode(rep, &b) == 0 &&
		    spawn_send(1, b.p, b.len, -1) < 0) {
			log_error("reply-failed", "error=%s", strerror(errno));
			exit(111);
		}
		log_info("done", "id=%u pid=%ld", c->id, (long)c->pid);
	} else {
		log_warn("remote-failed", "id=%u pid=%ld status=%d", c->id,
		    (long)c->pid, status);
		answer_temp(c->id, c->nrcpts, "postern-remote failed");
	}
	spawn_reply_free(rep);
	buf_free(&b);
	buf_free(&c->out);
	children[idx] = children[--nchildren];
}

static void
read_child(size_t idx)
{
	struct child *c = &children[idx];
	char tmp[8192];
	ssize_t n = read(c->rfd, tmp, sizeof tmp);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		finish_child(idx);
		return;
	}
	if (c->out.len + (size_t)n > SPAWN_MAX_RECORD + 4) {
		c->overflow = 1;
		kill(c->pid, SIGKILL);
		return;
	}
	buf_append(&c->out, tmp, (size_t)n);
}

static void
find_remote(const char *given)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (given) {
		snprintf(remote_path, sizeof remote_path, "%s", given);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		errx(111, "cannot find my own path");
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	if (strlen(self) + sizeof "/postern-remote" > sizeof remote_path)
		errx(111, "path too long");
	memcpy(remote_path, self, strlen(self));
	memcpy(remote_path + strlen(self), "/postern-remote",
	    sizeof "/postern-remote");
}

int
main(int argc, char **argv)
{
	struct config *cfg;
	struct spawn_reader rd;
	struct buf payload = BUF_INIT;
	const char *given = NULL;
	long long limit;
	int opt, eof = 0;

	log_init("postern-rspawn", 0);
	while ((opt = getopt(argc, argv, "c:p:")) != -1) {
		if (opt == 'c')
			setenv("POSTERN_CONF", optarg, 1);
		else if (opt == 'p')
			given = optarg;
		else
			errx(100, "usage: postern-rspawn [-c CONF] [-p POSTERN-REMOTE]");
	}
	cfg = config_load_or_die();
	find_remote(given);
	limit = config_int(cfg, "remote_delivery_timeout");
	if (priv_is_root()) {
		char user[SVCUSER_NAME_MAX + 1];
		if (svcusers_name(config_str(cfg, "user_prefix"), SVCUSER_REMOTE,
		    user, sizeof user) < 0)
			errx(111, "bad user_prefix");
		priv_drop(user, NULL, PRIV_NOCHROOT | PRIV_NO_NEW_PRIVS);
	} else
		priv_limits(0);
	signal(SIGPIPE, SIG_IGN);
	spawn_reader_init(&rd);
	log_info("started", "remote=%s", remote_path);

	while (!eof || nchildren > 0) {
		struct pollfd pf[MAX_CHILDREN + 1];
		size_t i, np = 0;
		time_t now;

		if (!eof && nchildren < MAX_CHILDREN) {
			pf[np].fd = 0;
			pf[np].events = POLLIN;
			np++;
		}
		for (i = 0; i < nchildren; i++) {
			pf[np].fd = children[i].rfd;
			pf[np].events = POLLIN;
			np++;
		}
		if (poll(pf, np, 1000) < 0 && errno != EINTR)
			err(111, "poll");
		now = time(NULL);
		/* children first (indexes shift when one finishes) */
		for (i = nchildren; i-- > 0;) {
			size_t k;
			for (k = 0; k < np; k++)
				if (pf[k].fd == children[i].rfd && pf[k].revents) {
					read_child(i);
					break;
				}
		}
		for (i = 0; i < nchildren; i++)
			if (now - children[i].start > limit && !children[i].overflow) {
				log_warn("timeout", "id=%u pid=%ld", children[i].id,
				    (long)children[i].pid);
				children[i].overflow = 1;
				kill(children[i].pid, SIGKILL);
			}
		if (np > 0 && pf[0].fd == 0 && pf[0].revents && !eof) {
			long n = spawn_reader_fill(&rd, 0);
			int fd, rc = 0;

			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				eof = 1;
				continue;
			}
			while (nchildren < MAX_CHILDREN &&
			    (rc = spawn_reader_take(&rd, &payload, 1, &fd)) == 1) {
				struct spawn_request *req;
				char err[128];

				if (spawn_request_parse(payload.p, payload.len, &req,
				    err, sizeof err) < 0) {
					log_error("bad-request", "reason=%s", err);
					if (fd >= 0)
						close(fd);
					eof = 1;
					break;
				}
				if (fd < 0)
					answer_temp(req->id, req->nrcpts,
					    "no message descriptor");
				else {
					start_child(&payload, req, fd);
					close(fd);
				}
				spawn_request_free(req);
			}
			if (rc < 0 && !eof) {
				log_error("bad-request", "reason=%s", "framing");
				eof = 1;
			}
		}
	}
	spawn_reader_free(&rd);
	buf_free(&payload);
	config_free(cfg);
	return 0;
}
