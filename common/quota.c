/* quota.c: Maildir++ quota through the maildirsize file (see quota.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "maildir.h"
#include "quota.h"

#define QUOTA_MAX_FOLDERS 10000

static int
parse_u64(const char *p, size_t len, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	size_t j = *i;
	if (j >= len || !isdigit((unsigned char)p[j]))
		return -1;
	for (; j < len && isdigit((unsigned char)p[j]); j++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(p[j] - '0');
	}
	*i = j;
	*out = v;
	return 0;
}

static int
parse_i64(const char *p, size_t len, size_t *i, int64_t *out)
{
	int neg = 0;
	uint64_t v;
	if (*i < len && p[*i] == '-') {
		neg = 1;
		(*i)++;
	}
	if (parse_u64(p, len, i, &v) < 0 || v > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* Add with saturation: a hostile file must not overflow the sum. */
static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

int
quota_parse(const char *p, size_t len, struct quota *q)
{
	memset(q, 0, sizeof(*q));
	const char *nl = memchr(p, '\n', len);
	if (!nl)
		return -1;
	size_t hl = (size_t)(nl - p), i = 0;
	while (i < hl) {
		uint64_t v;
		if (parse_u64(p, hl, &i, &v) < 0 || i >= hl)
			return -1;
		if (p[i] == 'S')
			q->limit_bytes = v;
		else if (p[i] == 'C')
			q->limit_msgs = v;
		else
			return -1;
		i++;
		if (i < hl && p[i] != ',')
			return -1;
		if (i < hl)
			i++;
	}
	size_t pos = hl + 1;
	while (pos < len) {
		const char *e = memchr(p + pos, '\n', len - pos);
		if (!e)
			return -1;   /* a torn last line: recalculate */
		size_t end = (size_t)(e - p);
		size_t j = pos;
		int64_t b, c;
		while (j < end && p[j] == ' ')
			j++;
		if (parse_i64(p, end, &j, &b) < 0)
			return -1;
		while (j < end && p[j] == ' ')
			j++;
		if (parse_i64(p, end, &j, &c) < 0)
			return -1;
		while (j < end && p[j] == ' ')
			j++;
		if (j != end)
			return -1;
		q->bytes = sat_add(q->bytes, b);
		q->msgs = sat_add(q->msgs, c);
		pos = end + 1;
	}
	return 0;
}

int
quota_over(const struct quota *q, uint64_t bytes, uint64_t msgs)
{
	if (q->limit_bytes) {
		int64_t cur = q->bytes < 0 ? 0 : q->bytes;
		if ((uint64_t)cur + bytes > q->limit_bytes)
			return 1;
	}
	if (q->limit_msgs) {
		int64_t cur = q->msgs < 0 ? 0 : q->msgs;
		if ((uint64_t)cur + msgs > q->limit_msgs)
			return 1;
	}
	return 0;
}

/* Sum sizes in dir/new and dir/cur. */
static void
count_dir(const char *dir, int64_t *bytes, int64_t *msgs)
{
	static const char *const sub[] = { "new", "cur" };
	char p[MAILDIR_PATH_MAX];
	for (int i = 0; i < 2; i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, sub[i]) >= sizeof(p))
			continue;
		int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			uint64_t sz;
			struct stat st;
			size_t l = strlen(de->d_name);
			if (maildir_name_size(de->d_name, l, &sz) < 0) {
				/* Vanished meanwhile: not counted. */
				if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				    !S_ISREG(st.st_mode))
					continue;
				sz = (uint64_t)st.st_size;
			}
			*bytes = sat_add(*bytes, sz > INT64_MAX ? INT64_MAX : (int64_t)sz);
			*msgs = sat_add(*msgs, 1);
		}
		closedir(d);
	}
}

struct count_ctx {
	const char *root;
	int64_t bytes, msgs;
};

static void
count_folder(const char *name, void *arg)
{
	struct count_ctx *c = arg;
	char p[MAILDIR_PATH_MAX];
	if (maildir_folder_path(c->root, name, p, sizeof(p)) == 0)
		count_dir(p, &c->bytes, &c->msgs);
}

static void
format_limits(struct buf *b, const struct quota *q)
{
	if (q->limit_bytes)
		buf_printf(b, "%lluS", (unsigned long long)q->limit_bytes);
	if (q->limit_bytes && q->limit_msgs)
		buf_putc(b, ',');
	if (q->limit_msgs)
		buf_printf(b, "%lluC", (unsigned long long)q->limit_msgs);
	buf_putc(b, '\n');
}

int
quota_recalc(const char *root, struct quota *q)
{
	struct count_ctx c = { root, 0, 0 };
	count_dir(root, &c.bytes, &c.msgs);
	if (maildir_folder_list(root, QUOTA_MAX_FOLDERS, count_folder, &c) < 0)
		return -1;
	q->bytes = c.bytes;
	q->msgs = c.msgs;
	if (!q->limit_bytes && !q->limit_msgs)
		return 0;   /* no quota: no file to keep */
	struct buf b = BUF_INIT;
	char name[MAILDIR_NAME_MAX + 1], tmp[MAILDIR_PATH_MAX], dst[MAILDIR_PATH_MAX];
	format_limits(&b, q);
	buf_printf(&b, "%lld %lld\n", (long long)q->bytes, (long long)q->msgs);
	if (maildir_unique_name(name, sizeof(name)) < 0 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/tmp/%s", root, name) >= sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/%s", root, QUOTA_FILE) >= sizeof(dst)) {
		buf_free(&b);
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		buf_free(&b);
		return -1;
	}
	ssize_t w = write(fd, b.p, b.len);
	int ok = w == (ssize_t)b.len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	buf_free(&b);
	if (!ok || rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e ? e : EIO;
		return -1;
	}
	return 0;
}

int
quota_load(const char *root, const struct quota *limits, struct quota *q)
{
	char path[MAILDIR_PATH_MAX], data[QUOTA_FILE_MAX + 1];
	struct stat st;
	memset(q, 0, sizeof(*q));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, QUOTA_FILE) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (limits) {
		q->limit_bytes = limits->limit_bytes;
		q->limit_msgs = limits->limit_msgs;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			return -1;
		if (!q->limit_bytes && !q->limit_msgs)
			return 0;   /* no quota configured and no file */
		return quota_recalc(root, q);
	}
	size_t len = 0;
	int toolarge = 0;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, data + len, sizeof(data) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof(data)) {
			toolarge = 1;
			break;
		}
	}
	close(fd);
	struct quota f;
	int bad = toolarge || quota_parse(data, len, &f) < 0;
	if (!limits && !bad) {
		q->limit_bytes = f.limit_bytes;
		q->limit_msgs = f.limit_msgs;
	}
	if (!bad && f.limit_bytes == q->limit_bytes && f.limit_msgs == q->limit_msgs) {
		q->bytes = f.bytes;
		q->msgs = f.msgs;
		int stale = st.st_mtime + QUOTA_STALE_SECONDS < time(NULL);
		if (!(stale && quota_over(q, 0, 0)) && q->bytes >= 0 && q->msgs >= 0)
			return 0;
	}
	return quota_recalc(root, q);
}

int
quota_add(const char *root, struct quota *q, int64_t bytes, int64_t msgs)
{
	char path[MAILDIR_PATH_MAX], line[64];
	q->bytes = sat_add(q->bytes, bytes);
	q->msgs = sat_add(q->msgs, msgs);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, QUOTA_FILE) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			return -1;
		if (!q->limit_bytes && !q->limit_msgs)
			return 0;
		return quota_recalc(root, q);   /* counts this change too */
	}
	/* One write(2) of one line: appends by concurrent writers do not
	 * interleave. */
	int n = snprintf(line, sizeof(line), "%lld %lld\n", (long long)bytes, (long long)msgs);
	ssize_t w = write(fd, line, (size_t)n);
	int e = errno;
	close(fd);
	if (w != n) {
		errno = w < 0 ? e : EIO;
		return -1;
	}
	return 0;
}
