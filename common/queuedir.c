/* queuedir.c: queue tree paths, ids, directory fsync and the wake FIFO
 * (see queuedir.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "queuedir.h"

int
queuedir_id_new(char *out, size_t outlen)
{
	unsigned char r[8];
	size_t got = 0;
	int n;

	while (got < sizeof(r)) {
		ssize_t k = getrandom(r + got, sizeof(r) - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)k;
	}
	n = snprintf(out, outlen, "%llu.%02x%02x%02x%02x%02x%02x%02x%02x",
	    (unsigned long long)time(NULL), r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7]);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int
queuedir_id_valid(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > QUEUEDIR_ID_MAX || p[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		char c = p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
queuedir_path(char *out, size_t outlen, const char *queue, const char *sub,
    const char *id)
{
	int n;

	if (id != NULL && !queuedir_id_valid(id, strlen(id)))
		return -1;
	if (id != NULL)
		n = snprintf(out, outlen, "%s/%s/%s", queue, sub, id);
	else
		n = snprintf(out, outlen, "%s/%s", queue, sub);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int
queuedir_tmp_path(char *out, size_t outlen, const char *queue, const char *id,
    const char *suffix)
{
	int n;

	if (!queuedir_id_valid(id, strlen(id)))
		return -1;
	n = snprintf(out, outlen, "%s/%s/%s%s", queue, QUEUEDIR_TMP, id, suffix);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int
queuedir_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r, e;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

void
queuedir_wake(const char *queue)
{
	char path[QUEUEDIR_PATH_MAX];
	int fd;

	if (queuedir_path(path, sizeof(path), queue, QUEUEDIR_WAKE, NULL) < 0)
		return;
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "w", 1) < 0) {
		/* EAGAIN: the FIFO is full, the manager will wake anyway. */
	}
	close(fd);
}

const char *const queuedir_subdirs[] = {
	QUEUEDIR_TMP, QUEUEDIR_MESS, QUEUEDIR_TODO, QUEUEDIR_ENV,
	QUEUEDIR_STATE, QUEUEDIR_HOLD, QUEUEDIR_BOUNCE, QUEUEDIR_SPENT,
	QUEUEDIR_SPARE
};
const size_t queuedir_nsubdirs = sizeof(queuedir_subdirs) / sizeof(queuedir_subdirs[0]);

#define SPARE_TRIES 8
#define SPARE_BATCH 64          /* names read from spare/ per take */

/* A pick among n: spreading only, no secrecy (xorshift, seeded once). */
static unsigned
spare_pick(unsigned n)
{
	static uint32_t x;

	if (x == 0)
		x = ((uint32_t)getpid() << 16) ^ (uint32_t)time(NULL) ^
		    (uint32_t)(uintptr_t)&x ^ 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x % n;
}

/* The sub/ (spent/ or spare/) name of the file at path: its own name
 * plus tag, so that mess/ID, env/ID and state/ID never meet.  0 or -1. */
static int
pool_name(char *out, size_t outlen, const char *queue, const char *sub,
    const char *path, const char *tag)
{
	const char *base = strrchr(path, '/');
	int n;

	base = base != NULL ? base + 1 : path;
	if (!queuedir_id_valid(base, strlen(base)))
		return -1;
	n = snprintf(out, outlen, "%s/%s/%s.%s", queue, sub, base, tag);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Files given since the last settle (this process). */
static unsigned long spent_pending;

/* 1 when name ends in "." tag. */
static int
has_tag(const char *name, size_t len, const char *tag)
{
	size_t tl = strlen(tag);

	return len > tl + 1 && name[len - tl - 1] == '.' && memcmp(name + len - tl, tag, tl) == 0;
}

/* Names read from spare/ and not taken yet, in this process: a resident
 * taker (a queue writer, postern-send) reads the directory once for a
 * batch of takes, not for each (a directory read was a tenth of the
 * writers' CPU).  A name another process took meanwhile fails its rename
 * and is dropped; any name that renames is a spare. */
static struct {
	char dir[QUEUEDIR_PATH_MAX];
	char tag[16];
	unsigned n;
	char names[SPARE_BATCH][QUEUEDIR_ID_MAX + 1];
} spare_cache;

/* Fill the cache from dir: names of tag, else one of another tag.
 * -1 when there is no spare/ (an older tree). */
static int
spare_read(const char *dir, const char *tag)
{
	char other[QUEUEDIR_ID_MAX + 1] = "";
	/* one small getdents64 (readdir's buffer is 32 KB: a big pool would
	 * be read far beyond the names needed) */
	char ents[4096] __attribute__((aligned(8)));
	unsigned n = 0;
	ssize_t got;
	size_t off;
	int dfd, calls;

	spare_cache.n = 0;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	/* Spares of the same kind first (a message file for a message): no
	 * blocks freed by the truncation, none allocated by the writes. */
	for (calls = 0; calls < 2 && n == 0 && other[0] == '\0'; calls++) {
		got = getdents64(dfd, ents, sizeof(ents));
		if (got <= 0)
			break;
		for (off = 0; off < (size_t)got && n < SPARE_BATCH;) {
			const struct dirent64 *e = (const struct dirent64 *)(ents + off);
			size_t len;

			if (e->d_reclen <= offsetof(struct dirent64, d_name) ||
			    e->d_reclen > (size_t)got - off)
				break;
			len = strnlen(e->d_name, e->d_reclen - offsetof(struct dirent64, d_name));
			off += e->d_reclen;
			if (len > QUEUEDIR_ID_MAX || !queuedir_id_valid(e->d_name, len))
				continue;
			if (has_tag(e->d_name, len, tag))
				memcpy(spare_cache.names[n++], e->d_name, len + 1);
			else if (other[0] == '\0')
				memcpy(other, e->d_name, len + 1);
		}
	}
	close(dfd);
	if (n == 0 && other[0] != '\0')
		memcpy(spare_cache.names[n++], other, sizeof(other));
	spare_cache.n = n;
	return 0;
}

int
queuedir_spare_take(const char *queue, const char *dest, const char *tag)
{
	char dir[QUEUEDIR_PATH_MAX], path[QUEUEDIR_PATH_MAX];
	unsigned k;
	int i, fd, fresh = 0;

	if (queuedir_path(dir, sizeof(dir), queue, QUEUEDIR_SPARE, NULL) < 0 ||
	    strlen(tag) >= sizeof(spare_cache.tag))
		return -1;
	if (strcmp(spare_cache.dir, dir) != 0 || strcmp(spare_cache.tag, tag) != 0) {
		spare_cache.n = 0;
		snprintf(spare_cache.dir, sizeof(spare_cache.dir), "%s", dir);
		snprintf(spare_cache.tag, sizeof(spare_cache.tag), "%s", tag);
	}
	/* Several writers read the same names: each picks at random and the
	 * rename decides; a name someone else took is dropped, and when all
	 * known names are gone the directory is read again (once). */
	for (i = 0; i < SPARE_TRIES; i++) {
		if (spare_cache.n == 0) {
			if (fresh || spare_read(dir, tag) < 0 || spare_cache.n == 0)
				return -1;      /* none: the caller creates its file */
			fresh = 1;
		}
		k = spare_pick(spare_cache.n);
		if (snprintf(path, sizeof(path), "%s/%s", dir, spare_cache.names[k]) >=
		    (int)sizeof(path))
			return -1;
		memcpy(spare_cache.names[k], spare_cache.names[--spare_cache.n],
		    sizeof(spare_cache.names[k]));
		if (renameat2(AT_FDCWD, path, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
			break;
		if (errno != ENOENT)
			return -1;
	}
	if (i == SPARE_TRIES)
		return -1;
	fd = open(dest, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || futimens(fd, NULL) < 0) {
		if (fd >= 0)
			close(fd);
		unlink(dest);
		return -1;
	}
	return fd;
}

/* Move the file at path into the pool directory sub (spent/ or spare/),
 * or unlink it when too big or when it cannot be moved.  1 moved, 0
 * unlinked, -1 with errno (ENOENT: not there). */
static int
to_pool(const char *queue, const char *sub, const char *path, const char *tag)
{
	char dest[QUEUEDIR_PATH_MAX];
	struct stat st;

	if (lstat(path, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode) && st.st_size <= QUEUEDIR_SPARE_MAX &&
	    pool_name(dest, sizeof(dest), queue, sub, path, tag) == 0 &&
	    renameat2(AT_FDCWD, path, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
		return 1;
	return unlink(path) < 0 ? -1 : 0;
}

/* The directories a finished file can have left, whose fsync makes its
 * old names durably gone before it is reused: todo/ always (every
 * message file passed through it, and the take-in's rename to mess/ or
 * env/ is not fsync'd), and the one it left for spent/ (env/, mess/,
 * state/; todo/ for a message delivered before it was taken in). */
static const char *const settle_dirs[] = { QUEUEDIR_TODO, QUEUEDIR_ENV,
    QUEUEDIR_MESS, QUEUEDIR_STATE };
#define SETTLE_ALL ((1u << (sizeof(settle_dirs) / sizeof(settle_dirs[0]))) - 1)
static unsigned spent_from;     /* bit i: settle_dirs[i] lost a name */

/* The bit of path's directory in settle_dirs (all bits when none). */
static unsigned
dir_bit(const char *path)
{
	const char *end = strrchr(path, '/'), *start;
	size_t i, n;

	if (end == NULL)
		return SETTLE_ALL;
	for (start = end; start > path && start[-1] != '/'; start--)
		;
	n = (size_t)(end - start);
	for (i = 0; i < sizeof(settle_dirs) / sizeof(settle_dirs[0]); i++)
		if (strlen(settle_dirs[i]) == n && memcmp(start, settle_dirs[i], n) == 0)
			return 1u << i;
	return SETTLE_ALL;
}

int
queuedir_spare_give(const char *queue, const char *path, const char *tag)
{
	int r = to_pool(queue, QUEUEDIR_SPENT, path, tag);

	if (r == 1) {
		spent_pending++;
		spent_from |= dir_bit(path) | 1u;       /* 1u: todo/ */
	}
	return r < 0 ? -1 : 0;
}

int
queuedir_spare_return(const char *queue, const char *path, const char *tag)
{
	return to_pool(queue, QUEUEDIR_SPARE, path, tag) < 0 ? -1 : 0;
}

long
queuedir_spare_settle(const char *queue, int force)
{
	char dir[QUEUEDIR_PATH_MAX], from[QUEUEDIR_PATH_MAX], to[QUEUEDIR_PATH_MAX];
	struct dirent *e;
	long moved = 0;
	size_t i;
	DIR *d;

	if (spent_pending == 0 && !force)
		return 0;
	/* the old names durably gone first: the directories files left
	 * since the last settle (all of them when forced: what a crash left
	 * in spent/ came from anywhere) */
	if (force)
		spent_from = SETTLE_ALL;
	for (i = 0; i < sizeof(settle_dirs) / sizeof(settle_dirs[0]); i++)
		if ((spent_from & (1u << i)) &&
		    (queuedir_path(dir, sizeof(dir), queue, settle_dirs[i], NULL) < 0 ||
		    (queuedir_fsync_dir(dir) < 0 && errno != ENOENT)))
			return -1;
	spent_pending = 0;
	spent_from = 0;
	if (queuedir_path(dir, sizeof(dir), queue, QUEUEDIR_SPENT, NULL) < 0 ||
	    (d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (!queuedir_id_valid(e->d_name, strlen(e->d_name)) ||
		    snprintf(from, sizeof(from), "%s/%s", dir, e->d_name) >= (int)sizeof(from) ||
		    snprintf(to, sizeof(to), "%s/%s/%s", queue, QUEUEDIR_SPARE,
		    e->d_name) >= (int)sizeof(to))
			continue;
		if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
			moved++;
		else if (errno == EEXIST)
			unlink(from);
	}
	closedir(d);
	return moved;
}

size_t
queuedir_spare_trim(const char *queue, size_t keep)
{
	char dir[QUEUEDIR_PATH_MAX], path[QUEUEDIR_PATH_MAX];
	size_t count = 0, extra, removed = 0;
	struct dirent *e;
	DIR *d;

	if (queuedir_path(dir, sizeof(dir), queue, QUEUEDIR_SPARE, NULL) < 0 ||
	    (d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			count++;
	if (count <= keep) {
		closedir(d);
		return 0;
	}
	/* An eighth of the surplus, at least QUEUEDIR_SPARE_TRIM_MIN: a few
	 * inodes freed per minute cost nothing to the next allocations. */
	extra = (count - keep) / 8;
	if (extra < QUEUEDIR_SPARE_TRIM_MIN)
		extra = count - keep < QUEUEDIR_SPARE_TRIM_MIN ? count - keep : QUEUEDIR_SPARE_TRIM_MIN;
	rewinddir(d);
	while (removed < extra && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

static int
ino_cmp(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

/* Append the inode numbers of the entries of QUEUE/sub to *v.  0 or -1
 * (a missing directory is empty). */
static int
collect_inodes(const char *queue, const char *sub, ino_t **v, size_t *n, size_t *cap)
{
	char dir[QUEUEDIR_PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (queuedir_path(dir, sizeof(dir), queue, sub, NULL) < 0)
		return -1;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			*v = xreallocarray(*v, *cap, sizeof(**v));
		}
		(*v)[(*n)++] = e->d_ino;
	}
	closedir(d);
	return 0;
}

long
queuedir_spare_unshare(const char *queue)
{
	static const char *const live[] = { QUEUEDIR_TODO, QUEUEDIR_ENV,
	    QUEUEDIR_MESS, QUEUEDIR_STATE, QUEUEDIR_HOLD };
	static const char *const pool[] = { QUEUEDIR_SPARE, QUEUEDIR_SPENT };
	char dir[QUEUEDIR_PATH_MAX], path[QUEUEDIR_PATH_MAX], aside[QUEUEDIR_PATH_MAX];
	ino_t *v = NULL;
	size_t n = 0, cap = 0, i;
	long removed = 0;
	struct dirent *e;
	struct stat st;
	int failed = 0;
	DIR *d;

	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (collect_inodes(queue, live[i], &v, &n, &cap) < 0) {
			free(v);
			return -1;
		}
	if (n > 0)
		qsort(v, n, sizeof(*v), ino_cmp);
	for (i = 0; i < sizeof(pool) / sizeof(pool[0]) && n > 0; i++) {
		if (queuedir_path(dir, sizeof(dir), queue, pool[i], NULL) < 0)
			continue;
		if ((d = opendir(dir)) == NULL) {
			if (errno != ENOENT)
				failed = errno;    /* a shared name may be in there */
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' ||
			    bsearch(&e->d_ino, v, n, sizeof(*v), ino_cmp) == NULL ||
			    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
				continue;
			if (lstat(path, &st) < 0) {
				failed = errno;
				continue;
			}
			/* Two names on disk, but a link count of 1 (no fsck
			 * since the crash): an unlink would free the queued
			 * file's inode.  Out of the pool instead, into a
			 * directory nothing cleans. */
			if (st.st_nlink < 2) {
				if (queuedir_path(aside, sizeof(aside), queue, QUEUEDIR_SHARED, NULL) < 0 ||
				    (mkdir(aside, 0700) < 0 && errno != EEXIST) ||
				    snprintf(aside, sizeof(aside), "%s/%s/%s.%s", queue,
				    QUEUEDIR_SHARED, pool[i], e->d_name) >= (int)sizeof(aside) ||
				    rename(path, aside) < 0) {
					failed = errno ? errno : ENAMETOOLONG;
					continue;
				}
			} else if (unlink(path) < 0) {
				failed = errno;
				continue;
			}
			removed++;
		}
		closedir(d);
	}
	free(v);
	if (failed) {
		errno = failed;
		return -1;
	}
	return removed;
}
