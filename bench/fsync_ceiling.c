/* fsync_ceiling: the disk's durable-write ceiling for bench/, i.e. how many
 * Maildir-style deliveries per second the file system can make durable:
 * create tmp file + write 4 KB + fsync + rename into new/ + fsync of new/.
 * usage: fsync_ceiling DIR THREADS SECONDS  -> prints "N ops/s" (total). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct worker {
	pthread_t tid;
	int id;
	long ops;
	int failed;
};

static const char *base;
static double stop_at;
static char payload[4096];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int one_delivery(int id, long n, int newfd)
{
	char tmp[4096], dst[4096];
	int fd;

	snprintf(tmp, sizeof tmp, "%s/tmp/%d.%ld", base, id, n);
	snprintf(dst, sizeof dst, "%s/new/%d.%ld", base, id, n);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, payload, sizeof payload) != (ssize_t)sizeof payload ||
	    fsync(fd) != 0) {
		close(fd);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, dst) != 0 || fsync(newfd) != 0)
		return -1;
	return 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char path[4096];
	int newfd;

	snprintf(path, sizeof path, "%s/new", base);
	newfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (newfd < 0) {
		w->failed = errno;
		return NULL;
	}
	while (now() < stop_at) {
		if (one_delivery(w->id, w->ops, newfd) != 0) {
			w->failed = errno;
			break;
		}
		w->ops++;
	}
	close(newfd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker *ws;
	char path[4096];
	double start, secs;
	long total = 0;
	int n, i;

	if (argc != 4) {
		fprintf(stderr, "usage: fsync_ceiling DIR THREADS SECONDS\n");
		return 2;
	}
	base = argv[1];
	n = atoi(argv[2]);
	secs = atof(argv[3]);
	if (n < 1 || n > 256 || secs <= 0) {
		fprintf(stderr, "fsync_ceiling: bad THREADS or SECONDS\n");
		return 2;
	}
	memset(payload, 'x', sizeof payload);
	snprintf(path, sizeof path, "%s/tmp", base);
	mkdir(base, 0700);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/new", base);
	mkdir(path, 0700);
	ws = calloc((size_t)n, sizeof *ws);
	if (!ws)
		return 111;
	start = now();
	stop_at = start + secs;
	for (i = 0; i < n; i++) {
		ws[i].id = i;
		if (pthread_create(&ws[i].tid, NULL, run, &ws[i]) != 0) {
			fprintf(stderr, "fsync_ceiling: pthread_create failed\n");
			return 111;
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(ws[i].tid, NULL);
		if (ws[i].failed) {
			fprintf(stderr, "fsync_ceiling: %s\n", strerror(ws[i].failed));
			return 111;
		}
		total += ws[i].ops;
	}
	printf("%.1f ops/s\n", (double)total / (now() - start));
	free(ws);
	return 0;
}
