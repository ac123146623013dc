/* deliver_rules.c: the user's rule file (common/dotqmail.h): find it, run
 * its rules in order (Maildir, folder, pipe, forward); without a file the
 * message goes to HOME/Maildir/. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "deliver.h"
#include "dotqmail.h"
#include "envelope.h"
#include "log.h"
#include "maildir.h"
#include "queue_inject.h"
#include "smtpaddr.h"
#include "io.h"

#define PIPE_OUTPUT_MAX 400     /* bytes of a command's output kept */

/* Read HOME/name into b.  1 found, 0 absent, -1 error (r set). */
static int
read_rule_file(struct deliver_ctx *c, const char *name, struct buf *b,
    struct deliver_result *r)
{
	char path[MAILDIR_PATH_MAX];
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->home, name) >= sizeof(path)) {
		deliver_set(r, DELIVER_TEMP, "4.3.0", "home path too long");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		deliver_set(r, DELIVER_TEMP, "4.3.0", "cannot open %s: %s", name,
		    strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		buf_append(b, chunk, (size_t)n);
		if (b->len > DOTQMAIL_MAX_FILE)
			break;
	}
	close(fd);
	if (n < 0) {
		deliver_set(r, DELIVER_TEMP, "4.3.0", "cannot read %s: %s", name,
		    strerror(errno));
		return -1;
	}
	return 1;
}

/* Pick the rule file: .postern-EXT, .postern-default, .postern. */
static int
load_rules(struct deliver_ctx *c, struct dotqmail *d, struct deliver_result *r)
{
	char name[256], err[128];
	struct buf b = BUF_INIT;
	const char *tries[3];
	int i, rc = 0, found = 0;

	tries[0] = c->ext[0] ? c->ext : NULL;
	tries[1] = c->ext[0] ? "default" : NULL;
	tries[2] = "";
	for (i = 0; i < 3 && !found; i++) {
		if (tries[i] == NULL)
			continue;
		if (dotqmail_file_name(tries[i], name, sizeof(name)) < 0)
			continue;
		buf_reset(&b);
		rc = read_rule_file(c, name, &b, r);
		if (rc < 0)
			break;
		found = rc;
	}
	if (rc >= 0 && found) {
		if (dotqmail_parse(b.p ? b.p : "", b.len, d, err, sizeof(err)) < 0) {
			deliver_set(r, DELIVER_TEMP, "4.3.5", "%s: %s", name, err);
			rc = -1;
		}
	}
	buf_free(&b);
	return rc < 0 ? -1 : found;
}


/* Pipe the message (prefix first) into /bin/sh -c cmd.  qmail's exit
 * codes: 0 go on, 99 stop (delivered), 100 permanent, else temporary. */
static int
run_pipe(struct deliver_ctx *c, const char *cmd, int *stop,
    struct deliver_result *r)
{
	int in[2], out[2], st = 0, done_writing = 0, out_open = 1, killed = 0;
	char output[PIPE_OUTPUT_MAX + 1], chunk[16384];
	size_t outlen = 0, chunk_len = 0, chunk_off = 0;
	off_t off = 0;
	int prefix_sent = 0;
	long deadline = io_now_ms() + (long)c->pipe_timeout * 1000;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		deliver_set(r, DELIVER_TEMP, "4.3.0", "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		deliver_set(r, DELIVER_TEMP, "4.3.0", "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		const char *at = strrchr(c->recipient, '@');
		char local[256];

		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		snprintf(local, sizeof(local), "%.*s",
		    at ? (int)(at - c->recipient) : (int)strlen(c->recipient), c->recipient);
		setenv("SENDER", c->sender, 1);
		setenv("RECIPIENT", c->recipient, 1);
		setenv("EXT", c->ext, 1);
		setenv("LOCAL", local, 1);
		setenv("HOST", at ? at + 1 : "", 1);
		setenv("USER", c->user, 1);
		setenv("HOME", c->home, 1);
		signal(SIGPIPE, SIG_DFL);
		if (chdir(c->home) < 0)
			_exit(111);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(111);
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	while (!done_writing || out_open) {
		struct pollfd pfd[2];
		int np = 0, wi = -1, ri = -1;
		long left = deadline - io_now_ms();

		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if (!done_writing) {
			pfd[np].fd = in[1];
			pfd[np].events = POLLOUT;
			wi = np++;
		}
		if (out_open) {
			pfd[np].fd = out[0];
			pfd[np].events = POLLIN;
			ri = np++;
		}
		if (poll(pfd, (nfds_t)np, (int)(left > 1000 ? 1000 : left)) < 0 &&
		    errno != EINTR)
			break;
		if (wi >= 0 && pfd[wi].revents) {
			ssize_t n;

			if (chunk_off == chunk_len) {
				if (!prefix_sent) {
					memcpy(chunk, c->prefix, c->prefix_len);
					chunk_len = c->prefix_len;
					prefix_sent = 1;
				} else {
					n = deliver_pread(c, chunk, sizeof(chunk), off);
					chunk_len = n > 0 ? (size_t)n : 0;
					if (n > 0)
						off += n;
				}
				chunk_off = 0;
			}
			if (chunk_len == 0) {
				done_writing = 1;
				close(in[1]);
			} else {
				n = write(in[1], chunk + chunk_off, chunk_len - chunk_off);
				if (n > 0)
					chunk_off += (size_t)n;
				else if (n < 0 && errno != EAGAIN && errno != EINTR) {
					/* the command stopped reading: fine */
					done_writing = 1;
					close(in[1]);
				}
			}
		}
		if (ri >= 0 && pfd[ri].revents) {
			char tmp[4096];
			ssize_t n = read(out[0], tmp, sizeof(tmp));

			if (n <= 0) {
				out_open = 0;
			} else if (outlen < PIPE_OUTPUT_MAX) {
				size_t k = (size_t)n < PIPE_OUTPUT_MAX - outlen ?
				    (size_t)n : PIPE_OUTPUT_MAX - outlen;
				memcpy(output + outlen, tmp, k);
				outlen += k;
			}
		}
	}
	if (!done_writing)
		close(in[1]);
	close(out[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	output[outlen] = '\0';
	for (size_t i = 0; i < outlen; i++)
		if ((unsigned char)output[i] < 0x20)
			output[i] = ' ';
	if (killed) {
		deliver_set(r, DELIVER_TEMP, "4.3.0", "command timed out: %s", cmd);
		return -1;
	}
	if (!WIFEXITED(st)) {
		deliver_set(r, DELIVER_TEMP, "4.3.0", "command killed by signal %d",
		    WTERMSIG(st));
		return -1;
	}
	switch (WEXITSTATUS(st)) {
	case 0:
		return 0;
	case 99:
		*stop = 1;
		return 0;
	case 100:
		deliver_set(r, DELIVER_PERM, "5.3.0", "command failed: %s",
		    outlen ? output : cmd);
		return -1;
	default:
		deliver_set(r, DELIVER_TEMP, "4.3.0", "command failed (exit %d): %s",
		    WEXITSTATUS(st), outlen ? output : cmd);
		return -1;
	}
}

int
deliver_forward(struct deliver_ctx *c, const char *address,
    struct deliver_result *r)
{
	struct smtpaddr a;
	const char *why = NULL;
	char program[4096], id[128], err[256], chunk[65536];
	struct queue_inject *q;
	struct envelope *env;
	struct buf dt = BUF_INIT;
	enum queue_inject_result res;
	off_t off = 0;
	ssize_t n;

	if (smtpaddr_parse_mailbox(address, strlen(address), SMTPADDR_UTF8, &a, &why) < 0) {
		deliver_set(r, DELIVER_PERM, "5.1.3", "bad forward address %s: %s",
		    address, why ? why : "syntax");
		return -1;
	}
	if (queue_inject_program(c->conf, program, sizeof(program)) < 0) {
		deliver_set(r, DELIVER_TEMP, "4.3.0", "no postern-queue found");
		return -1;
	}
	q = queue_inject_start(program, 120000, err, sizeof(err));
	if (q == NULL) {
		deliver_set(r, DELIVER_TEMP, "4.3.0", "cannot start postern-queue: %s", err);
		return -1;
	}
	/* only Delivered-To: the next hop adds its own Return-Path */
	buf_printf(&dt, "Delivered-To: %s\n", c->recipient);
	if (queue_inject_write(q, dt.p, dt.len) < 0)
		goto fail;
	while ((n = deliver_pread(c, chunk, sizeof(chunk), off)) > 0) {
		off += n;
		if (queue_inject_write(q, chunk, (size_t)n) < 0)
			goto fail;
	}
	if (n < 0)
		goto fail;
	env = envelope_new();
	envelope_set(&env->sender, c->sender);
	envelope_add_rcpt(env, a.addr, 0, NULL, NULL);
	env->arrival = (uint64_t)time(NULL);
	env->uid = (uint32_t)getuid();
	env->size = (uint64_t)off + dt.len;
	res = queue_inject_finish(q, env, id, sizeof(id), err, sizeof(err));
	envelope_free(env);
	buf_free(&dt);
	if (res == QUEUE_INJECT_OK) {
		log_info("forwarded", "to=%s id=%s", a.addr, id);
		return 0;
	}
	deliver_set(r, res == QUEUE_INJECT_PERMFAIL ? DELIVER_PERM : DELIVER_TEMP,
	    res == QUEUE_INJECT_PERMFAIL ? "5.3.4" : "4.3.0",
	    "forward to %s refused by postern-queue: %s", a.addr, err);
	return -1;
fail:
	queue_inject_abort(q);
	buf_free(&dt);
	deliver_set(r, DELIVER_TEMP, "4.3.0", "forward to %s: postern-queue failed",
	    a.addr);
	return -1;
}

int
deliver_rules(struct deliver_ctx *c, struct deliver_result *r)
{
	struct dotqmail d;
	char inbox[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];
	int found, stop = 0, rc = 0;
	size_t i;

	if ((size_t)snprintf(inbox, sizeof(inbox), "%s/Maildir", c->home) >= sizeof(inbox)) {
		deliver_set(r, DELIVER_TEMP, "4.3.0", "home path too long");
		return -1;
	}
	memset(&d, 0, sizeof(d));
	found = load_rules(c, &d, r);
	if (found < 0)
		return -1;
	if (found == 0)
		return deliver_maildir(c, inbox, inbox, r);
	for (i = 0; i < d.n && !stop && rc == 0; i++) {
		const struct dotqmail_rule *rule = &d.rules[i];

		switch (rule->kind) {
		case DOTQMAIL_MAILDIR:
			if (rule->arg[0] == '/')
				snprintf(path, sizeof(path), "%s", rule->arg);
			else
				snprintf(path, sizeof(path), "%s/%s", c->home, rule->arg);
			/* the quota covers the user's own Maildir tree */
			rc = deliver_maildir(c, path,
			    strncmp(path, inbox, strlen(inbox)) == 0 ? inbox : NULL, r);
			break;
		case DOTQMAIL_FOLDER:
			if (maildir_folder_path(inbox, rule->arg, path, sizeof(path)) < 0) {
				deliver_set(r, DELIVER_TEMP, "4.3.5", "bad folder %s", rule->arg);
				rc = -1;
				break;
			}
			if (maildir_make(inbox) == 0)
				(void)maildir_folder_create(inbox, rule->arg);
			rc = deliver_maildir(c, path, inbox, r);
			break;
		case DOTQMAIL_PIPE:
			rc = run_pipe(c, rule->arg, &stop, r);
			break;
		case DOTQMAIL_FORWARD:
			rc = deliver_forward(c, rule->arg, r);
			break;
		}
	}
	dotqmail_free(&d);
	return rc;
}
