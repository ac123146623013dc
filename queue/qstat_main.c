/* qstat_main.c: postern-qstat, the queue listing for admins (like mailq
 * or qmail-qread): every message in todo/, env/ and hold/ with its size,
 * arrival, sender and each recipient's state (pending, deferred with the
 * attempt count and the last diagnostic, delivered, failed), then a
 * summary line.  Reads the queue tree; run it as root or the queue user.
 *   postern-qstat [-c CONF] [-s]      (-s: the summary line only) */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "envelope.h"
#include "lines.h"
#include "queuedir.h"
#include "queuefile.h"

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Safe for a terminal: control characters as '?'. */
static void
put(const char *s)
{
	for (; s && *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static const char *
state_name(enum envelope_rcpt_state s)
{
	switch (s) {
	case ENVELOPE_DONE: return "delivered";
	case ENVELOPE_FAILED: return "failed";
	case ENVELOPE_DEFERRED: return "deferred";
	default: return "pending";
	}
}

static size_t nmsgs, nrcpts_pending, nheld;

static void
show(const char *queue, const char *sub, const char *id, int quiet)
{
	char path[QUEUEDIR_PATH_MAX], err[512], date[64];
	struct buf b = BUF_INIT;
	struct envelope *env;
	size_t valid, i;
	time_t t;
	struct tm tm;
	int rc;

	if (queuedir_path(path, sizeof(path), queue, sub, id) < 0) {
		buf_free(&b);
		return;
	}
	if (strcmp(sub, QUEUEDIR_TODO) == 0) {
		/* not yet taken in: the envelope is the queue file's tail */
		uint64_t msize;

		rc = queuefile_read_envelope_at(path, ENVELOPE_MAX_SIZE, &b, &msize);

		/* the layout before November 2026: an envelope alone */
		if (rc < 0 && errno == EPROTO) {
			buf_reset(&b);
			rc = lines_read_file(path, ENVELOPE_MAX_SIZE, 0, &b, err, sizeof(err));
		} else if (rc < 0) {
			rc = errno == ENOENT ? 1 : -1;
			snprintf(err, sizeof(err), "%s", strerror(errno));
		}
	} else
		rc = lines_read_file(path, ENVELOPE_MAX_SIZE, 0, &b, err, sizeof(err));
	if (rc != 0) {
		/* 1: gone meanwhile (delivered, deleted) */
		if (rc < 0 && !quiet)
			printf("%s  (unreadable queue file: %s)\n", id, err);
		buf_free(&b);
		return;
	}
	if (envelope_parse(b.p ? b.p : "", b.len, &env, err, sizeof(err)) < 0) {
		if (!quiet)
			printf("%s  (unreadable envelope: %s)\n", id, err);
		buf_free(&b);
		return;
	}
	buf_reset(&b);
	if (queuedir_path(path, sizeof(path), queue, QUEUEDIR_STATE, id) == 0 &&
	    lines_read_file(path, ENVELOPE_MAX_STATE_SIZE, 0, &b, err, sizeof(err)) == 0)
		envelope_state_apply(env, b.p ? b.p : "", b.len, &valid, err, sizeof(err));
	buf_free(&b);
	nmsgs++;
	if (strcmp(sub, QUEUEDIR_HOLD) == 0)
		nheld++;
	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == ENVELOPE_PENDING ||
		    env->rcpts[i].state == ENVELOPE_DEFERRED)
			nrcpts_pending++;
	if (quiet) {
		envelope_free(env);
		return;
	}
	t = (time_t)env->arrival;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s  %llu  %s  <", id, (unsigned long long)env->size, date);
	put(env->sender);
	printf(">%s\n", strcmp(sub, QUEUEDIR_HOLD) == 0 ? "  held" :
	    strcmp(sub, QUEUEDIR_TODO) == 0 ? "  new" : "");
	for (i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];

		printf("    ");
		put(r->addr);
		printf("  %s", state_name(r->state));
		if (r->attempts)
			printf("  attempts=%u", r->attempts);
		if (r->dsn_status) {
			printf("  ");
			put(r->dsn_status);
		}
		if (r->diag && r->state != ENVELOPE_DONE) {
			printf("  ");
			put(r->diag);
		}
		putchar('\n');
	}
	envelope_free(env);
}

static void
list(const char *queue, const char *sub, int quiet)
{
	char dir[QUEUEDIR_PATH_MAX];
	char **ids = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;

	if (queuedir_path(dir, sizeof(dir), queue, sub, NULL) < 0)
		return;
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			warn("%s", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!queuedir_id_valid(de->d_name, strlen(de->d_name)))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)	/* an empty directory leaves ids NULL */
		qsort(ids, n, sizeof(*ids), cmp);
	for (i = 0; i < n; i++) {
		show(queue, sub, ids[i], quiet);
		free(ids[i]);
	}
	free(ids);
}

int
main(int argc, char **argv)
{
	struct config *conf;
	const char *queue;
	int opt, quiet = 0;

	while ((opt = getopt(argc, argv, "c:s")) != -1) {
		switch (opt) {
		case 'c': setenv("POSTERN_CONF", optarg, 1); break;
		case 's': quiet = 1; break;
		default:
			fprintf(stderr, "usage: postern-qstat [-c CONF] [-s]\n");
			return 100;
		}
	}
	conf = config_load_or_die();
	queue = config_str(conf, "queue_dir");
	if (queue == NULL)
		errx(111, "queue_dir is not set");
	list(queue, QUEUEDIR_TODO, quiet);
	list(queue, QUEUEDIR_ENV, quiet);
	list(queue, QUEUEDIR_HOLD, quiet);
	printf("messages: %zu  held: %zu  recipients waiting: %zu\n", nmsgs, nheld,
	    nrcpts_pending);
	return fflush(stdout) == 0 ? 0 : 111;
}
