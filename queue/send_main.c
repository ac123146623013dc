/* send_main.c: postern-send, the queue manager.  Started by the
 * supervisor's queue service (daemon/postern_queue.c) with lspawn's
 * socket on fd 3 and rspawn's on fd 4 (POSTERN_LSPAWN_FD /
 * POSTERN_RSPAWN_FD); drops to the queue user; recovers the queue, then
 * loops: new messages (woken through QUEUE/wake by postern-queue: no
 * polling delay), due retries, replies.  A wake byte 'F' (postern queue
 * flush) makes every deferred recipient due now; 'R' rescans env/ (after
 * hold, release, delete). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "privdrop.h"
#include "queue_inject.h"
#include "queuedir.h"
#include "recipient.h"
#include "send.h"
#include "spawnproto.h"
#include "svcusers.h"
#include "io.h"

#define RESCAN_SECONDS 60
#define SETTLE_MS 100           /* QUEUE/spent -> spare at most this often */

static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	got_term = 1;
}


/* QUEUE/spent -> spare (queuedir.h); a failure is logged once until a
 * settle works again (the files wait in spent/ meanwhile). */
static void
settle(const char *queue, int force)
{
	static int failing;

	if (queuedir_spare_settle(queue, force) < 0) {
		if (!failing)
			log_error("spare-settle", "error=\"%m\" note=\"finished files wait in spent/\"");
		failing = 1;
	} else
		failing = 0;
}

/* "90", "5m", "2h", "1d" -> seconds; -1 when malformed. */
static long
duration(const char *w)
{
	char *end;
	long v = strtol(w, &end, 10);

	if (end == w || v < 0)
		return -1;
	switch (*end) {
	case '\0': case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	default: return -1;
	}
	if (*end && end[1])
		return -1;
	return v;
}

static int
spawner_fd(const char *envname, int def)
{
	const char *v = getenv(envname);
	int fd = v ? atoi(v) : def, type;
	socklen_t tl = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0)
		return -1;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

static int
open_wake(const char *queue)
{
	char path[QUEUEDIR_PATH_MAX];
	int fd;

	if (queuedir_path(path, sizeof(path), queue, QUEUEDIR_WAKE, NULL) < 0)
		return -1;
	if (mkfifo(path, 0622) < 0 && errno != EEXIST)
		log_warn("wake", "error=\"mkfifo %s: %m\"", path);
	/* O_RDWR: the FIFO never reports EOF when the last writer leaves */
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		log_warn("wake", "error=\"open %s: %m\" note=\"falling back to a 1 s scan\"", path);
	return fd;
}

/* Drain the spawner socket; 0, or -1 when it closed. */
static int
read_replies(struct send_state *s, int fd, struct spawn_reader *rd)
{
	struct buf p = BUF_INIT;
	long n = spawn_reader_fill(rd, fd);
	int rc;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	while ((rc = spawn_reader_take(rd, &p, 0, NULL)) == 1)
		send_run_reply(s, p.p, p.len);
	buf_free(&p);
	return rc < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct send_state s;
	struct config *conf;
	struct spawn_reader lrd, rrd;
	char **words;
	size_t nwords, i;
	time_t last_scan = 0, last_trim = 0;
	long last_settle;
	int wake;

	log_init("postern-send", 0);
	conf = config_load_or_die();
	memset(&s, 0, sizeof(s));
	s.conf = conf;
	s.queue = config_str(conf, "queue_dir");
	if (s.queue == NULL)
		errx(111, "queue_dir is not set");
	s.hostname = config_hostname(conf);
	s.lspawn_fd = spawner_fd("POSTERN_LSPAWN_FD", 3);
	s.rspawn_fd = spawner_fd("POSTERN_RSPAWN_FD", 4);
	s.lifetime = (time_t)config_int(conf, "queue_lifetime");
	s.quota_lifetime = (time_t)config_int(conf, "queue_quota_lifetime");
	s.job_timeout = (time_t)config_int(conf, "queue_delivery_timeout");
	s.delay_warning = (time_t)config_int(conf, "delay_warning_time");
	s.delay_notify_absent = config_bool(conf, "delay_warning_notify_absent");
	s.conc_local = config_int(conf, "queue_concurrency_local");
	s.conc_remote = config_int(conf, "queue_concurrency_remote");
	s.conc_domain = config_int(conf, "queue_concurrency_domain");
	if (s.conc_local < 1) s.conc_local = 1;
	if (s.conc_remote < 1) s.conc_remote = 1;
	if (s.conc_domain < 1) s.conc_domain = 1;
	words = config_list_new(conf, "queue_retry_schedule", &nwords);
	s.schedule = xcalloc(nwords ? nwords : 1, sizeof(*s.schedule));
	for (i = 0; i < nwords; i++) {
		long d = duration(words[i]);

		if (d < 0)
			errx(111, "queue_retry_schedule: bad duration \"%s\"", words[i]);
		s.schedule[s.nschedule++] = (time_t)(d > 0 ? d : 1);
	}
	config_list_free(words);
	if (queue_inject_program(conf, s.inject_program, sizeof(s.inject_program)) < 0)
		s.inject_program[0] = '\0';
	if (priv_is_root()) {
		char user[SVCUSER_NAME_MAX + 1];
		const char *prefix = config_str(conf, "user_prefix");

		if (svcusers_name(prefix ? prefix : "postern-", SVCUSER_QUEUE, user,
		    sizeof(user)) < 0)
			errx(111, "bad user_prefix");
		/* no no-new-privileges: bounces exec the setuid postern-queue */
		priv_drop(user, NULL, PRIV_NOCHROOT);
	} else
		priv_limits(0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (s.lspawn_fd < 0)
		log_warn("start", "note=\"no postern-lspawn socket: local deliveries wait\"");
	if (s.rspawn_fd < 0)
		log_warn("start", "note=\"no postern-rspawn socket: remote deliveries wait\"");
	wake = open_wake(s.queue);
	spawn_reader_init(&lrd);
	spawn_reader_init(&rrd);
	send_run_reload_tables(&s, 1);
	send_store_recover(&s);
	last_scan = last_trim = time(NULL);
	settle(s.queue, 1);     /* what a crash left in spent/ */
	last_settle = io_now_ms();
	while (!got_term) {
		struct pollfd pfd[3];
		int np = 0, wi = -1, li = -1, ri = -1, rescan = 0;
		time_t now;

		send_run_schedule(&s);
		if (wake >= 0) {
			pfd[np].fd = wake; pfd[np].events = POLLIN; wi = np++;
		}
		if (s.lspawn_fd >= 0) {
			pfd[np].fd = s.lspawn_fd; pfd[np].events = POLLIN; li = np++;
		}
		if (s.rspawn_fd >= 0) {
			pfd[np].fd = s.rspawn_fd; pfd[np].events = POLLIN; ri = np++;
		}
		if (poll(pfd, (nfds_t)np, 1000) < 0 && errno != EINTR)
			break;
		if (li >= 0 && pfd[li].revents && read_replies(&s, s.lspawn_fd, &lrd) < 0) {
			log_error("spawner-gone", "program=postern-lspawn");
			return 111;
		}
		if (ri >= 0 && pfd[ri].revents && read_replies(&s, s.rspawn_fd, &rrd) < 0) {
			log_error("spawner-gone", "program=postern-rspawn");
			return 111;
		}
		if (wi >= 0 && (pfd[wi].revents & POLLIN)) {
			char b[512];
			ssize_t n;

			while ((n = read(wake, b, sizeof(b))) > 0)
				for (ssize_t k = 0; k < n; k++) {
					if (b[k] == 'F') {
						for (i = 0; i < s.nmsgs; i++) {
							memset(s.msgs[i]->next, 0,
							    s.msgs[i]->env->nrcpts * sizeof(time_t));
							send_sched_update(&s, s.msgs[i]);
						}
						log_info("flush", "messages=%zu", s.nmsgs);
						rescan = 1;
					} else if (b[k] == 'R')
						rescan = 1;
				}
			send_store_scan(&s, rescan);
		}
		now = time(NULL);
		if (wake < 0 || now - last_scan >= (wake < 0 ? 1 : RESCAN_SECONDS)) {
			send_store_scan(&s, 1);
			send_run_finish(&s);
			send_run_timeouts(&s);
			last_scan = now;
		}
		/* finished files: on to QUEUE/spare once their old names
		 * are durably gone (at most every SETTLE_MS) */
		if (io_now_ms() - last_settle >= SETTLE_MS) {
			settle(s.queue, 0);
			last_settle = io_now_ms();
		}
		if (now - last_trim >= 60) {
			/* QUEUE/spare: what a burst left above the keep */
			queuedir_spare_trim(s.queue, QUEUEDIR_SPARE_KEEP);
			last_trim = now;
		}
	}
	log_info("stop", "messages=%zu in_flight=%zu", s.nmsgs, s.njobs);
	/* everything back, so that leak checkers see only real leaks */
	while (s.nmsgs > 0)
		send_store_forget(&s, s.msgs[s.nmsgs - 1]);
	free(s.msgs);
	send_sched_free(&s);
	free(s.jobs);
	free(s.schedule);
	recipient_cache_free(&s.tables);
	spawn_reader_free(&lrd);
	spawn_reader_free(&rrd);
	if (wake >= 0)
		close(wake);
	config_free(conf);
	return 0;
}
