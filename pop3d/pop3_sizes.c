/* pop3_sizes.c: the cache of CRLF sizes for messages whose file names
 * carry no ",W=" (delivered by programs that do not write it), so that a
 * login reads no message file twice across sessions.  File format in
 * pop3.h; it is only a cache: anything unexpected empties it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "maildir.h"
#include "pop3.h"

void
pop3_sizes_init(struct pop3_sizes *s)
{
	memset(s, 0, sizeof(*s));
}

void
pop3_sizes_free(struct pop3_sizes *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

/* A decimal number of at most 20 digits that fits max; advances *pp. */
static int
number(const char **pp, const char *end, uint64_t max, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	size_t n = 0;

	while (p < end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
		p++;
		if (++n > 20)
			return -1;
	}
	if (n == 0)
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

static void
push(struct pop3_sizes *s, uint32_t uid, uint64_t size)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->e = xreallocarray(s->e, s->cap, sizeof(*s->e));
	}
	s->e[s->n].uid = uid;
	s->e[s->n].size = size;
	s->n++;
}

int
pop3_sizes_parse(struct pop3_sizes *s, const char *p, size_t len,
    uint32_t want_uidvalidity)
{
	const char *end = p + len;
	uint64_t v, uid, size;

	s->n = 0;
	s->dirty = 0;
	if (len < 5 || memcmp(p, "PSZ1 ", 5) != 0)
		goto bad;
	p += 5;
	if (number(&p, end, UINT32_MAX, &v) < 0 || p >= end || *p != '\n')
		goto bad;
	p++;
	if (want_uidvalidity != 0 && v != want_uidvalidity)
		goto bad;
	s->uidvalidity = (uint32_t)v;
	while (p < end) {
		if (number(&p, end, UINT32_MAX, &uid) < 0 || uid == 0 ||
		    p >= end || *p != ' ')
			goto bad;
		p++;
		if (number(&p, end, UINT64_MAX / 4, &size) < 0 || p >= end ||
		    *p != '\n')
			goto bad;
		p++;
		if (s->n > 0 && s->e[s->n - 1].uid >= uid)
			goto bad;
		push(s, (uint32_t)uid, size);
	}
	return 0;
bad:
	s->n = 0;
	s->uidvalidity = want_uidvalidity;
	return -1;
}

static size_t
find(const struct pop3_sizes *s, uint32_t uid)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->e[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
pop3_sizes_get(const struct pop3_sizes *s, uint32_t uid, uint64_t *size)
{
	size_t i = find(s, uid);

	if (i < s->n && s->e[i].uid == uid) {
		*size = s->e[i].size;
		return 0;
	}
	return -1;
}

void
pop3_sizes_put(struct pop3_sizes *s, uint32_t uid, uint64_t size)
{
	size_t i = find(s, uid);

	if (i < s->n && s->e[i].uid == uid) {
		if (s->e[i].size != size) {
			s->e[i].size = size;
			s->dirty = 1;
		}
		return;
	}
	push(s, uid, size);    /* grows the array; then move into place */
	memmove(&s->e[i + 1], &s->e[i], (s->n - 1 - i) * sizeof(*s->e));
	s->e[i].uid = uid;
	s->e[i].size = size;
	s->dirty = 1;
}

void
pop3_sizes_serialize(const struct pop3_sizes *s, struct buf *out)
{
	size_t i;

	buf_printf(out, "PSZ1 %u\n", s->uidvalidity);
	for (i = 0; i < s->n; i++)
		buf_printf(out, "%u %llu\n", s->e[i].uid,
		    (unsigned long long)s->e[i].size);
}

void
pop3_sizes_load(struct pop3_sizes *s, const char *dir, uint32_t uidvalidity)
{
	char path[MAILDIR_PATH_MAX];
	struct buf b = BUF_INIT;
	struct stat st;
	char chunk[65536];
	ssize_t r;
	int fd;

	s->n = 0;
	s->uidvalidity = uidvalidity;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
	    POP3_SIZES_FILE) >= sizeof(path))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)POP3_SIZES_FILE_MAX) {
		close(fd);
		return;
	}
	while (b.len <= POP3_SIZES_FILE_MAX &&
	    (r = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)r);
	close(fd);
	if (b.len <= POP3_SIZES_FILE_MAX)
		(void)pop3_sizes_parse(s, b.p ? b.p : "", b.len, uidvalidity);
	buf_free(&b);
}

void
pop3_sizes_save(const struct pop3_sizes *s, const char *dir)
{
	char path[MAILDIR_PATH_MAX], tmp[MAILDIR_PATH_MAX];
	struct buf b = BUF_INIT;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
	    POP3_SIZES_FILE) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/%s.%ld.tmp", dir,
	    POP3_SIZES_FILE, (long)getpid()) >= sizeof(tmp))
		return;
	pop3_sizes_serialize(s, &b);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		buf_free(&b);
		return;
	}
	if (io_write_all(fd, b.p, b.len, 10000) != IO_OK) {
		close(fd);
		(void)unlink(tmp);
	} else if (close(fd) < 0 || rename(tmp, path) < 0)
		(void)unlink(tmp);
	buf_free(&b);
}
