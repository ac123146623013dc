/* deliver_main.c: postern-deliver, one local delivery, run by
 * postern-lspawn as the recipient's uid (or as the queue user with -F for
 * an alias that forwards).  The message is on fd 0 (seekable, LF line
 * ends); the facts of the delivery are in the environment (SENDER,
 * RECIPIENT, USER, HOME, EXT, POSTERN_QUOTA_BYTES, POSTERN_QUOTA_MESSAGES,
 * POSTERN_QUEUE_ID).  One line "X.Y.Z text" goes to fd 1; the exit status
 * is 0 (delivered), 100 (permanent failure) or 111 (temporary).
 *
 * With -S it is a worker of postern-lspawn (common/deliverproto.h): fd 1
 * is a SOCK_SEQPACKET socket on which the facts of one delivery come with
 * the message's descriptor; it delivers as above, the line and then the
 * status going back on the socket, and waits for the next, until the end
 * of the socket, an idle minute, or DELIVER_SERVE_MAX deliveries. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "deliver.h"
#include "deliverproto.h"
#include "log.h"

void
deliver_set(struct deliver_result *r, int status, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	snprintf(r->code, sizeof(r->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v ? v : def;
}

static uint64_t
env_u64(const char *name)
{
	const char *v = getenv(name);

	return v ? strtoull(v, NULL, 10) : 0;
}

static int
finish(struct deliver_result *r)
{
	char line[600];
	int n;

	for (char *p = r->text; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	n = snprintf(line, sizeof(line), "%s %s\n", r->code, r->text);
	if (n > 0)
		(void)!write(1, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	if (r->status != DELIVER_OK)
		log_info("deliver-failed", "status=%s text=\"%s\"", r->code, r->text);
	return r->status;
}

ssize_t
deliver_pread(const struct deliver_ctx *c, void *buf, size_t n, off_t off)
{
	if (off < 0 || (uint64_t)off >= c->msgsize)
		return 0;
	if ((uint64_t)n > c->msgsize - (uint64_t)off)
		n = (size_t)(c->msgsize - (uint64_t)off);
	return pread(c->msgfd, buf, n, off);
}

/* The delivery itself; returns finish()'s status. */
static int
run(struct config *conf, const char *forward)
{
	struct deliver_ctx c;
	struct deliver_result r;
	struct buf prefix = BUF_INIT;
	struct stat sb;
	const char *v;
	int rc;

	memset(&r, 0, sizeof(r));
	deliver_set(&r, DELIVER_OK, "2.0.0", "delivered");
	memset(&c, 0, sizeof(c));
	c.conf = conf;
	c.msgfd = 0;
	c.sender = env_or("SENDER", "");
	c.recipient = env_or("RECIPIENT", "");
	c.user = env_or("USER", "");
	c.home = env_or("HOME", "");
	c.ext = env_or("EXT", "");
	c.quota_bytes = env_u64("POSTERN_QUOTA_BYTES");
	c.quota_msgs = env_u64("POSTERN_QUOTA_MESSAGES");
	c.queue_id = getenv("POSTERN_QUEUE_ID");
	c.pipe_timeout = (int)config_int(conf, "delivery_pipe_timeout");
	if (c.recipient[0] == '\0') {
		deliver_set(&r, DELIVER_TEMP, "4.3.5", "RECIPIENT not set");
		return finish(&r);
	}
	if (fstat(0, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		deliver_set(&r, DELIVER_TEMP, "4.3.0", "message is not a regular file on fd 0");
		return finish(&r);
	}
	c.msgsize = (uint64_t)sb.st_size;
	/* a queue file: the message is its first POSTERN_MESSAGE_SIZE bytes */
	if ((v = getenv("POSTERN_MESSAGE_SIZE")) != NULL) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 ||
		    n > (uint64_t)sb.st_size) {
			deliver_set(&r, DELIVER_TEMP, "4.3.0",
			    "message shorter than POSTERN_MESSAGE_SIZE");
			return finish(&r);
		}
		c.msgsize = n;
	}
	if (deliver_check_header(&c, (long)config_int(conf, "delivery_max_received"), &r) < 0)
		return finish(&r);
	if (forward != NULL) {
		deliver_forward(&c, forward, &r);
		return finish(&r);
	}
	if (c.home[0] != '/') {
		deliver_set(&r, DELIVER_TEMP, "4.3.5", "HOME not an absolute path");
		return finish(&r);
	}
	/* RFC 5321 4.4: Return-Path by the final delivery; qmail's
	 * Delivered-To for loop detection */
	buf_printf(&prefix, "Return-Path: <%s>\nDelivered-To: %s\n", c.sender,
	    c.recipient);
	c.prefix = prefix.p;
	c.prefix_len = prefix.len;
	if (deliver_rules(&c, &r) == 0)
		deliver_set(&r, DELIVER_OK, "2.0.0", "delivered");
	rc = finish(&r);
	buf_free(&prefix);
	return rc;
}

#define DELIVER_SERVE_MAX 200
#define DELIVER_SERVE_IDLE_MS 60000

static void
setenv_or_die(const char *k, const char *v)
{
	if (setenv(k, v, 1) < 0) {
		log_error("serve", "error=\"setenv %s: %m\"", k);
		_exit(DELIVER_TEMP);
	}
}

/* -S: deliveries one after another for postern-lspawn (on fd 1).  The
 * facts go into the environment, as postern-lspawn puts them there for a
 * single delivery, so that run() and the programs a rule file starts see
 * the same either way. */
static int
serve(struct config *conf)
{
	static char rec[DELIVERPROTO_MAX];
	struct deliver_facts f;
	char num[32];
	int i, fd, rc, k;

	for (i = 0; i < DELIVER_SERVE_MAX; i++) {
		struct pollfd p = { 1, POLLIN, 0 };

		if (poll(&p, 1, DELIVER_SERVE_IDLE_MS) <= 0)
			return 0;
		k = deliverproto_recv(1, rec, &f, &fd);
		if (k == 0)
			return 0;
		if (k < 0) {
			log_error("serve", "error=\"%m\"");
			return DELIVER_TEMP;
		}
		if (dup2(fd, 0) < 0) {
			log_error("serve", "error=\"dup2: %m\"");
			return DELIVER_TEMP;
		}
		close(fd);
		setenv_or_die("SENDER", f.sender);
		setenv_or_die("RECIPIENT", f.recipient);
		setenv_or_die("USER", f.user);
		setenv_or_die("HOME", f.home);
		setenv_or_die("EXT", f.ext);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)f.quota_bytes);
		setenv_or_die("POSTERN_QUOTA_BYTES", num);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)f.quota_msgs);
		setenv_or_die("POSTERN_QUOTA_MESSAGES", num);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)f.msgsize);
		setenv_or_die("POSTERN_MESSAGE_SIZE", num);
		if (f.queue_id)
			setenv_or_die("POSTERN_QUEUE_ID", f.queue_id);
		else
			unsetenv("POSTERN_QUEUE_ID");
		log_set_session(f.queue_id);
		rc = run(conf, NULL);
		/* Let go of the message before answering: once answered, its
		 * queue file may be reused for someone else's mail. */
		if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0) {
			log_error("serve", "error=\"/dev/null: %m\"");
			return DELIVER_TEMP;
		}
		close(fd);
		k = snprintf(num, sizeof(num), "=%d", rc);
		if (write(1, num, (size_t)k) != k) {
			log_error("serve", "error=\"answer: %m\"");
			return DELIVER_TEMP;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct config *conf;
	const char *forward = NULL, *cpath = NULL;
	int opt, rc, worker = 0;

	log_init("postern-deliver", 0);
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "c:F:S")) != -1) {
		switch (opt) {
		case 'c': cpath = optarg; break;
		case 'F': forward = optarg; break;
		case 'S': worker = 1; break;
		default:
			fprintf(stderr, "usage: postern-deliver [-c CONF] [-F ADDRESS | -S]\n");
			return DELIVER_TEMP;
		}
	}
	if (cpath != NULL)
		setenv("POSTERN_CONF", cpath, 1);
	conf = config_load_or_die();
	if (worker && forward == NULL) {
		rc = serve(conf);
		config_free(conf);
		return rc;
	}
	if (getenv("POSTERN_QUEUE_ID"))
		log_set_session(getenv("POSTERN_QUEUE_ID"));
	rc = run(conf, forward);
	config_free(conf);
	return rc;
}
