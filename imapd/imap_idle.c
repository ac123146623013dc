/* imap_idle.c: IDLE (RFC 2177, RFC 9051 6.3.13).  Changes reach the client
 * within moments: inotify on the selected folder's new/ and cur/ wakes
 * the session; when inotify is unavailable (no support, per-user limits
 * reached, NFS that never reports; or imap_idle_inotify = no) a poll
 * every imap_idle_poll seconds finds them.  The poll also runs alongside inotify, more slowly, for
 * changes inotify cannot see (other hosts on NFS). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>
#include "imapd.h"
#include "log.h"
#include "io.h"

#define IDLE_LINE_MAX 1024
#define INOTIFY_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	IN_ATTRIB | IN_CLOSE_WRITE)

static int
watch(const char *dir)
{
	char p[MAILDIR_PATH_MAX];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	if ((size_t)snprintf(p, sizeof(p), "%s/new", dir) >= sizeof(p) ||
	    inotify_add_watch(fd, p, INOTIFY_MASK) < 0)
		goto fail;
	if ((size_t)snprintf(p, sizeof(p), "%s/cur", dir) >= sizeof(p) ||
	    inotify_add_watch(fd, p, INOTIFY_MASK) < 0)
		goto fail;
	return fd;
fail:
	log_info("idle_poll", "reason=\"inotify: %s\"", strerror(errno));
	close(fd);
	return -1;
}

static void
drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}


void
imap_cmd_idle(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	int ino = -1, poll_ms;
	long long deadline, next_poll;
	const char *line;
	size_t len;

	(void)args;
	if (nargs != 0) {
		imap_bad(s, NULL, "IDLE takes no arguments");
		return;
	}
	if (s->mbox != NULL) {
		if (config_bool(s->cfg, "imap_idle_inotify"))
			ino = watch(s->mbox->dir);
		else
			log_info("idle_poll", "reason=\"imap_idle_inotify off\"");
		/* what happened before IDLE comes first */
		imap_mailbox_update(s, 1);
	}
	poll_ms = (int)config_int(s->cfg, "imap_idle_poll") * 1000;
	if (poll_ms <= 0)
		poll_ms = 1000;
	if (ino >= 0 && poll_ms < 30000)
		poll_ms = 30000;   /* inotify does the work; poll for NFS */
	io_puts(s->io, "+ idling\r\n");
	if (io_flush(s->io) != IO_OK)
		goto out;
	deadline = io_now_ms() + s->idle_timeout_ms;
	next_poll = io_now_ms() + poll_ms;
	for (;;) {
		struct pollfd pf[2];
		long long t = io_now_ms();
		int wait, n, r, woke = 0;

		if (t >= deadline) {
			io_puts(s->io, "* BYE Autologout; idle for too long\r\n");
			io_flush(s->io);
			log_info("disconnect", "reason=idle-timeout");
			if (ino >= 0)
				close(ino);
			exit(0);
		}
		if (io_pending(s->io) == 0) {
			wait = (int)((next_poll < deadline ? next_poll : deadline) - t);
			if (wait < 0)
				wait = 0;
			pf[0].fd = s->io->infd;
			pf[0].events = POLLIN;
			pf[1].fd = ino;
			pf[1].events = POLLIN;
			n = poll(pf, ino >= 0 ? 2 : 1, wait);
			if (n < 0 && errno != EINTR)
				break;
			if (n > 0 && ino >= 0 && (pf[1].revents & POLLIN)) {
				/* let a burst of renames settle */
				usleep(20000);
				drain(ino);
				woke = 1;
			}
			if (io_now_ms() >= next_poll) {
				woke = 1;
				next_poll = io_now_ms() + poll_ms;
			}
			if (woke && s->mbox != NULL) {
				imap_mailbox_update(s, 1);
				if (io_flush(s->io) != IO_OK)
					break;
			}
			if (n <= 0 || !(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		r = io_getline(s->io, IDLE_LINE_MAX, &line, &len);
		if (r != IO_OK) {
			if (ino >= 0)
				close(ino);
			log_info("disconnect", "reason=eof-in-idle");
			exit(0);
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
			break;
		if (ino >= 0)
			close(ino);
		imap_bad(s, NULL, "Expected DONE");
		return;
	}
out:
	if (ino >= 0)
		close(ino);
	imap_ok(s, NULL, "IDLE terminated");
}
