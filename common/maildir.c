/* maildir.c: Maildir++ folders, unique names, flags in names, the delivery
 * protocol and robust directory listings (see maildir.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "buf.h"
#include "maildir.h"

#define FOLDER_NAME_MAX 200

/* --- folders ---------------------------------------------------------- */

int
maildir_folder_is_inbox(const char *name, size_t len)
{
	return len == 0 || (len == 5 && strncasecmp(name, "INBOX", 5) == 0);
}

int
maildir_folder_name_valid(const char *name, size_t len)
{
	if (maildir_folder_is_inbox(name, len))
		return 1;
	if (len > FOLDER_NAME_MAX || name[0] == '.' || name[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = name[i];
		if (c < 0x20 || c == 0x7f || c == '/')
			return 0;
		if (c == '.' && name[i + 1] == '.')
			return 0;
	}
	return 1;
}

int
maildir_folder_path(const char *root, const char *name, char *out,
    size_t outlen)
{
	size_t len = strlen(name);
	int n;
	if (!maildir_folder_name_valid(name, len)) {
		errno = EINVAL;
		return -1;
	}
	if (maildir_folder_is_inbox(name, len))
		n = snprintf(out, outlen, "%s", root);
	else
		n = snprintf(out, outlen, "%s/.%s", root, name);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
mkdir_ok(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

static int
fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

int
maildir_make(const char *dir)
{
	char p[MAILDIR_PATH_MAX];
	static const char *const sub[] = { "tmp", "new", "cur" };
	if (mkdir_ok(dir) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		int n = snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		if (n < 0 || (size_t)n >= sizeof(p)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (mkdir_ok(p) < 0)
			return -1;
	}
	return 0;
}

int
maildir_folder_create(const char *root, const char *name)
{
	char dir[MAILDIR_PATH_MAX], p[MAILDIR_PATH_MAX];
	struct stat st;
	if (maildir_folder_path(root, name, dir, sizeof(dir)) < 0)
		return -1;
	if (maildir_folder_is_inbox(name, strlen(name)))
		return maildir_make(dir);
	if (stat(dir, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (maildir_make(dir) < 0)
		return -1;
	if ((size_t)snprintf(p, sizeof(p), "%s/maildirfolder", dir) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	fsync_path(root);
	return 0;
}

/* Is d_name ".<oldname>" or ".<oldname>.<sub>"? */
static int
is_self_or_child(const char *dname, const char *old, size_t oldlen)
{
	if (dname[0] != '.' || strncmp(dname + 1, old, oldlen) != 0)
		return 0;
	return dname[1 + oldlen] == '\0' || dname[1 + oldlen] == '.';
}

int
maildir_folder_rename(const char *root, const char *oldname,
    const char *newname)
{
	size_t ol = strlen(oldname), nl = strlen(newname);
	char from[MAILDIR_PATH_MAX], to[MAILDIR_PATH_MAX];
	struct stat st;
	if (!maildir_folder_name_valid(oldname, ol) ||
	    !maildir_folder_name_valid(newname, nl) ||
	    maildir_folder_is_inbox(oldname, ol) ||
	    maildir_folder_is_inbox(newname, nl)) {
		errno = EINVAL;
		return -1;
	}
	/* Renaming a folder into its own subtree would loop. */
	if (nl > ol && strncmp(newname, oldname, ol) == 0 && newname[ol] == '.') {
		errno = EINVAL;
		return -1;
	}
	if (maildir_folder_path(root, oldname, from, sizeof(from)) < 0 ||
	    maildir_folder_path(root, newname, to, sizeof(to)) < 0)
		return -1;
	if (stat(from, &st) < 0)
		return -1;
	if (stat(to, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	/* Collect the names first: renaming while reading the directory
	 * could show an entry twice. */
	DIR *d = opendir(root);
	if (!d)
		return -1;
	struct buf names = BUF_INIT;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < 100000) {
		if (is_self_or_child(de->d_name, oldname, ol)) {
			buf_puts(&names, de->d_name);
			buf_putc(&names, 0);
			n++;
		}
	}
	closedir(d);
	int rc = 0;
	for (size_t off = 0; off < names.len; off += strlen(names.p + off) + 1) {
		const char *dn = names.p + off;
		int a = snprintf(from, sizeof(from), "%s/%s", root, dn);
		int b = snprintf(to, sizeof(to), "%s/.%s%s", root, newname, dn + 1 + ol);
		if (a < 0 || b < 0 || (size_t)a >= sizeof(from) || (size_t)b >= sizeof(to)) {
			errno = ENAMETOOLONG;
			rc = -1;
			continue;
		}
		if (rename(from, to) < 0)
			rc = -1;
	}
	buf_free(&names);
	fsync_path(root);
	return rc;
}

/* Remove a directory tree below fd (bounded depth: Maildirs are flat). */
static int
remove_tree(int dirfd, const char *name, int depth)
{
	if (depth > 4) {
		errno = ELOOP;
		return -1;
	}
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(dirfd, name, 0);
		return errno == ENOENT ? 0 : -1;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
			if (remove_tree(fd, de->d_name, depth + 1) < 0)
				rc = -1;
		} else if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
			rc = -1;
		}
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int
maildir_folder_delete(const char *root, const char *name)
{
	size_t len = strlen(name);
	char dn[FOLDER_NAME_MAX + 2];
	struct stat st;
	if (!maildir_folder_name_valid(name, len) || maildir_folder_is_inbox(name, len)) {
		errno = EINVAL;
		return -1;
	}
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -1;
	snprintf(dn, sizeof(dn), ".%s", name);
	if (fstatat(rfd, dn, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		close(rfd);
		return -1;
	}
	/* Rename first, so that a half-deleted folder never looks like a
	 * folder to other processes. */
	char tmpn[64];
	snprintf(tmpn, sizeof(tmpn), "..deleting.%ld.%ld", (long)getpid(), (long)time(NULL));
	int rc;
	if (renameat(rfd, dn, rfd, tmpn) < 0)
		rc = -1;
	else
		rc = remove_tree(rfd, tmpn, 0);
	close(rfd);
	return rc;
}

int
maildir_folder_list(const char *root, size_t max_folders,
    void (*fn)(const char *name, void *arg), void *arg)
{
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -1;
	DIR *d = fdopendir(rfd);
	if (!d) {
		close(rfd);
		return -1;
	}
	struct dirent *de;
	int n = 0;
	char p[MAILDIR_NAME_MAX + 8];
	struct stat st;
	while ((de = readdir(d)) != NULL && (size_t)n < max_folders) {
		const char *dn = de->d_name;
		if (dn[0] != '.' || !strcmp(dn, ".") || !strcmp(dn, ".."))
			continue;
		if (!maildir_folder_name_valid(dn + 1, strlen(dn + 1)) ||
		    maildir_folder_is_inbox(dn + 1, strlen(dn + 1)))
			continue;
		snprintf(p, sizeof(p), "%s/cur", dn);
		if (fstatat(dirfd(d), p, &st, 0) < 0 || !S_ISDIR(st.st_mode))
			continue;
		fn(dn + 1, arg);
		n++;
	}
	closedir(d);
	return n;
}

/* --- names and flags -------------------------------------------------- */

const char *
maildir_hostname(void)
{
	static char host[128];
	if (host[0])
		return host;
	char raw[64];
	if (gethostname(raw, sizeof(raw)) < 0)
		strcpy(raw, "localhost");
	raw[sizeof(raw) - 1] = 0;
	size_t o = 0;
	for (size_t i = 0; raw[i] && o + 5 < sizeof(host); i++) {
		unsigned char c = raw[i];
		if (c == '/') {
			memcpy(host + o, "\\057", 4);
			o += 4;
		} else if (c == ':') {
			memcpy(host + o, "\\072", 4);
			o += 4;
		} else if (c > 0x20 && c < 0x7f) {
			host[o++] = c;
		}
	}
	if (o == 0)
		memcpy(host, "localhost", (o = 9));
	host[o] = 0;
	return host;
}

int
maildir_unique_name(char *out, size_t outlen)
{
	static unsigned long counter;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	int n = snprintf(out, outlen, "%lld.M%ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++counter, maildir_hostname());
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

size_t
maildir_name_base_len(const char *name, size_t len)
{
	const char *c = memchr(name, ':', len);
	return c ? (size_t)(c - name) : len;
}

static int
flag_bit(char c)
{
	switch (c) {
	case 'D': return MAILDIR_FLAG_DRAFT;
	case 'F': return MAILDIR_FLAG_FLAGGED;
	case 'P': return MAILDIR_FLAG_PASSED;
	case 'R': return MAILDIR_FLAG_REPLIED;
	case 'S': return MAILDIR_FLAG_SEEN;
	case 'T': return MAILDIR_FLAG_TRASHED;
	}
	return 0;
}

int
maildir_name_flags(const char *name, size_t len, unsigned *flags,
    uint32_t *keywords)
{
	size_t b = maildir_name_base_len(name, len);
	*flags = 0;
	*keywords = 0;
	if (b + 3 > len || name[b + 1] != '2' || name[b + 2] != ',')
		return 0;
	for (size_t i = b + 3; i < len; i++) {
		char c = name[i];
		if (c >= 'a' && c <= 'z')
			*keywords |= 1u << (c - 'a');
		else
			*flags |= flag_bit(c);
	}
	return 0;
}

static int
name_field(const char *name, size_t len, const char *key, uint64_t *out)
{
	size_t b = maildir_name_base_len(name, len);
	for (size_t i = 0; i + 3 <= b; i++) {
		if (name[i] != ',' || name[i + 1] != key[0] || name[i + 2] != '=')
			continue;
		size_t j = i + 3;
		uint64_t v = 0;
		if (j >= b || !isdigit((unsigned char)name[j]))
			return -1;
		for (; j < b && isdigit((unsigned char)name[j]); j++) {
			if (v > (UINT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (uint64_t)(name[j] - '0');
		}
		*out = v;
		return 0;
	}
	return -1;
}

int
maildir_name_size(const char *name, size_t len, uint64_t *out)
{
	return name_field(name, len, "S", out);
}

int
maildir_name_vsize(const char *name, size_t len, uint64_t *out)
{
	return name_field(name, len, "W", out);
}

int
maildir_name_with_flags(const char *name, size_t len, unsigned flags,
    uint32_t keywords, char *out, size_t outlen)
{
	size_t b = maildir_name_base_len(name, len);
	char other[128];          /* unknown upper-case/other letters kept */
	size_t no = 0;
	if (b + 3 <= len && name[b + 1] == '2' && name[b + 2] == ',') {
		for (size_t i = b + 3; i < len && no < sizeof(other); i++) {
			char c = name[i];
			if ((c >= 'a' && c <= 'z') || flag_bit(c) || c < 0x21 || c > 0x7e)
				continue;
			if (!memchr(other, c, no))
				other[no++] = c;
		}
	}
	char fl[128];
	size_t nf = 0;
	/* ASCII order: upper-case flags (known and kept unknown ones)
	 * first, then keyword letters. */
	for (int c = 0x21; c < 0x7f; c++) {
		if (c >= 'a' && c <= 'z') {
			if (keywords & (1u << (c - 'a')))
				fl[nf++] = (char)c;
		} else if ((flag_bit((char)c) & (int)flags) ||
		    (!flag_bit((char)c) && memchr(other, c, no))) {
			fl[nf++] = (char)c;
		}
	}
	if (b + 3 + nf + 1 > outlen || b + 3 + nf > MAILDIR_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memmove(out, name, b);
	memcpy(out + b, ":2,", 3);
	memcpy(out + b + 3, fl, nf);
	out[b + 3 + nf] = 0;
	return 0;
}

int
maildir_message_path(const char *dir, const char *name, int in_new,
    char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s/%s", dir, in_new ? "new" : "cur", name);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The cur/ name for flags into out: -1 error, 0 nothing to rename (the
 * message is in cur/ under that name already), 1 rename needed. */
static int
flagged_name(const char *name, int in_new, unsigned flags, uint32_t keywords,
    char *out, size_t outlen)
{
	if (maildir_name_with_flags(name, strlen(name), flags, keywords, out, outlen) < 0)
		return -1;
	return in_new || strcmp(out, name) != 0;
}

int
maildir_set_flags(const char *dir, const char *name, int in_new,
    unsigned flags, uint32_t keywords, char *out, size_t outlen)
{
	char from[MAILDIR_PATH_MAX], to[MAILDIR_PATH_MAX];
	int r = flagged_name(name, in_new, flags, keywords, out, outlen);
	if (r <= 0)
		return r;
	if (maildir_message_path(dir, name, in_new, from, sizeof(from)) < 0 ||
	    maildir_message_path(dir, out, 0, to, sizeof(to)) < 0)
		return -1;
	/* rename() would silently replace an existing target; a second
	 * file with the same base would be a duplicate, which is harmless. */
	return rename(from, to);
}

int
maildir_set_flags_at(int newfd, int curfd, const char *name, int in_new,
    unsigned flags, uint32_t keywords, char *out, size_t outlen)
{
	int r = flagged_name(name, in_new, flags, keywords, out, outlen);
	if (r <= 0)
		return r;
	return renameat(in_new ? newfd : curfd, name, curfd, out);
}

/* --- delivery --------------------------------------------------------- */

/* Copy bytes to fd, converting CRLF to LF if asked.  *pending_cr keeps a
 * CR seen at the end of the previous chunk.  Counts LFs for vsize. */
struct copy_state {
	int fd;
	int crlf_to_lf;
	int pending_cr;
	uint64_t size, bare_lfs;   /* bare_lfs: LFs without a CR before */
	int prev;
	uint64_t max;
	char out[65536];
	size_t olen;
};

static int
copy_flush(struct copy_state *c)
{
	size_t off = 0;
	while (off < c->olen) {
		ssize_t w = write(c->fd, c->out + off, c->olen - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	c->olen = 0;
	return 0;
}

static int
copy_byte(struct copy_state *c, char ch)
{
	if (c->olen == sizeof(c->out) && copy_flush(c) < 0)
		return -1;
	c->out[c->olen++] = ch;
	c->size++;
	if (ch == '\n' && c->prev != '\r')
		c->bare_lfs++;
	c->prev = (unsigned char)ch;
	if (c->max && c->size > c->max) {
		errno = EFBIG;
		return -1;
	}
	return 0;
}

static int
copy_chunk(struct copy_state *c, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (c->crlf_to_lf) {
			if (c->pending_cr) {
				c->pending_cr = 0;
				if (ch != '\n' && copy_byte(c, '\r') < 0)
					return -1;
			}
			if (ch == '\r') {
				c->pending_cr = 1;
				continue;
			}
		}
		if (copy_byte(c, ch) < 0)
			return -1;
	}
	return 0;
}

/* Copy from in to its end, or limit bytes when limited. */
static int
copy_from_fd(struct copy_state *c, int in, int timeout_ms, int limited,
    uint64_t limit)
{
	char rb[65536];
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (timeout_ms > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			long long el = (now.tv_sec - start.tv_sec) * 1000LL +
			    (now.tv_nsec - start.tv_nsec) / 1000000;
			if (el >= timeout_ms) {
				errno = ETIMEDOUT;
				return -1;
			}
			struct pollfd pfd = { in, POLLIN, 0 };
			int pr = poll(&pfd, 1, (int)(timeout_ms - el));
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0)
				return -1;
			if (pr == 0) {
				errno = ETIMEDOUT;
				return -1;
			}
		}
		size_t want = sizeof(rb);
		if (limited && limit < want)
			want = (size_t)limit;
		if (want == 0)
			return 0;
		ssize_t r = read(in, rb, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			if (limited) {
				errno = EIO;    /* shorter than it was said to be */
				return -1;
			}
			return 0;
		}
		if (copy_chunk(c, rb, (size_t)r) < 0)
			return -1;
		limit -= limited ? (uint64_t)r : 0;
	}
}

int
maildir_deliver(const char *dir, int fd, const char *buf, size_t len,
    const struct maildir_delivery *opt, struct maildir_delivered *out)
{
	static const struct maildir_delivery defaults;
	char base[MAILDIR_NAME_MAX + 1], final[MAILDIR_NAME_MAX + 1];
	char tmpp[MAILDIR_PATH_MAX], newp[MAILDIR_PATH_MAX], d[MAILDIR_PATH_MAX];
	struct copy_state *c = NULL;
	int tfd = -1, e;
	if (!opt)
		opt = &defaults;
	/* O_EXCL: a name collision (clock step, pid reuse) never
	 * overwrites; the counter in the name makes the next try differ. */
	for (int tries = 0; tfd < 0; tries++) {
		if (maildir_unique_name(base, sizeof(base) - 48) < 0)
			return -1;
		if ((size_t)snprintf(tmpp, sizeof(tmpp), "%s/tmp/%s", dir, base) >= sizeof(tmpp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		tfd = open(tmpp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (tfd < 0 && (errno != EEXIST || tries >= 3))
			return -1;
	}
	c = xmalloc(sizeof(*c));
	c->fd = tfd;
	c->crlf_to_lf = opt->crlf_to_lf;
	c->pending_cr = 0;
	c->size = c->bare_lfs = 0;
	c->prev = 0;
	c->max = opt->max_size;
	c->olen = 0;
	if (opt->prefix && opt->prefix_len) {
		int save = c->crlf_to_lf;
		c->crlf_to_lf = 0;
		if (copy_chunk(c, opt->prefix, opt->prefix_len) < 0)
			goto fail;
		c->crlf_to_lf = save;
	}
	if (fd >= 0) {
		if (copy_from_fd(c, fd, opt->io_timeout_ms, opt->read_limited,
		    opt->read_limit) < 0)
			goto fail;
	} else if (copy_chunk(c, buf, len) < 0) {
		goto fail;
	}
	if (c->pending_cr) {
		c->pending_cr = 0;
		if (copy_byte(c, '\r') < 0)
			goto fail;
	}
	if (copy_flush(c) < 0 || fsync(tfd) < 0)
		goto fail;
	if (opt->mtime) {
		struct timespec ts[2] = { { opt->mtime, 0 }, { opt->mtime, 0 } };
		futimens(tfd, ts);
	}
	if (close(tfd) < 0) {
		tfd = -1;
		goto fail;
	}
	tfd = -1;
	/* vsize: the size with every bare LF sent as CRLF (POP3/IMAP). */
	uint64_t vsize = c->size + c->bare_lfs;
	int n = snprintf(final, sizeof(final), "%s,S=%llu,W=%llu", base,
	    (unsigned long long)c->size, (unsigned long long)vsize);
	if (n < 0 || (size_t)n >= sizeof(final)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (opt->to_cur) {
		char withf[MAILDIR_NAME_MAX + 1];
		if (maildir_name_with_flags(final, strlen(final), opt->flags,
		    opt->keywords, withf, sizeof(withf)) < 0)
			goto fail;
		memcpy(final, withf, strlen(withf) + 1);
	}
	if (maildir_message_path(dir, final, !opt->to_cur, newp, sizeof(newp)) < 0)
		goto fail;
	/* Never over an existing name: one rename with RENAME_NOREPLACE
	 * (tmp/ loses the name in the same step); where the file system
	 * has no such rename, link() (which fails on an existing name) and
	 * unlink(). */
	if (renameat2(AT_FDCWD, tmpp, AT_FDCWD, newp, RENAME_NOREPLACE) < 0) {
		if (errno != EINVAL && errno != ENOSYS)
			goto fail;
		if (link(tmpp, newp) < 0) {
			if (errno != EPERM && errno != ENOSYS && errno != EXDEV)
				goto fail;
			/* File systems without hard links: rename (tmp and
			 * new share one directory tree, the unique name makes
			 * a clash unlikely). */
			if (rename(tmpp, newp) < 0)
				goto fail;
		} else {
			unlink(tmpp);
		}
	}
	snprintf(d, sizeof(d), "%s/%s", dir, opt->to_cur ? "cur" : "new");
	if (fsync_path(d) < 0) {
		e = errno;
		unlink(newp);
		errno = e;
		free(c);
		return -1;
	}
	if (out) {
		memcpy(out->name, final, strlen(final) + 1);
		out->size = c->size;
		out->vsize = vsize;
	}
	free(c);
	return 0;
fail:
	e = errno;
	if (tfd >= 0)
		close(tfd);
	unlink(tmpp);
	free(c);
	errno = e;
	return -1;
}

int
maildir_clean_tmp(const char *dir, time_t max_age)
{
	char p[MAILDIR_PATH_MAX];
	snprintf(p, sizeof(p), "%s/tmp", dir);
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	time_t now = time(NULL);
	int n = 0;
	struct dirent *de;
	struct stat st;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_atime + max_age < now && st.st_mtime + max_age < now &&
		    unlinkat(fd, de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int
maildir_file_sizes(const char *path, uint64_t *size, uint64_t *vsize)
{
	char b[65536];
	uint64_t n = 0, bare = 0;
	int prev = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r = read(fd, b, sizeof(b));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			if (b[i] == '\n' && prev != '\r')
				bare++;
			prev = (unsigned char)b[i];
		}
		n += (uint64_t)r;
	}
	close(fd);
	*size = n;
	*vsize = n + bare;
	return 0;
}

int
maildir_message_sizes(const char *dir, const char *name, int in_new,
    uint64_t *size, uint64_t *vsize)
{
	char p[MAILDIR_PATH_MAX];
	size_t l = strlen(name);
	if (maildir_name_size(name, l, size) == 0 && maildir_name_vsize(name, l, vsize) == 0)
		return 0;
	if (maildir_message_path(dir, name, in_new, p, sizeof(p)) < 0)
		return -1;
	return maildir_file_sizes(p, size, vsize);
}

/* --- listing ---------------------------------------------------------- */

static int
name_acceptable(const char *n, size_t len)
{
	if (len == 0 || len > MAILDIR_NAME_MAX || n[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f)
			return 0;
	return 1;
}

static int
list_one(const char *dir, const char *sub, int in_new, size_t max,
    struct buf *names, size_t *count, struct timespec *mtime)
{
	char p[MAILDIR_PATH_MAX];
	struct stat st;
	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, sub) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	DIR *d = opendir(p);
	if (!d)
		return -1;
	/* mtime before reading: a change after this is seen by the scan or
	 * moves the mtime. */
	if (fstat(dirfd(d), &st) == 0)
		*mtime = st.st_mtim;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (!name_acceptable(de->d_name, l))
			continue;
		if (max && *count >= max)
			break;
		buf_putc(names, in_new ? 'n' : 'c');
		buf_append(names, de->d_name, l + 1);
		(*count)++;
	}
	closedir(d);
	return 0;
}

static int
list_dirs(const char *dir, size_t max_entries, int with_cur,
    struct maildir_listing *out)
{
	memset(out, 0, sizeof(*out));
	size_t count = 0;
	if (list_one(dir, "new", 1, max_entries, &out->names, &count, &out->new_mtime) < 0 ||
	    (with_cur &&
	    list_one(dir, "cur", 0, max_entries, &out->names, &count, &out->cur_mtime) < 0)) {
		int e = errno;
		buf_free(&out->names);
		errno = e;
		return -1;
	}
	out->entries = xcalloc(count ? count : 1, sizeof(*out->entries));
	size_t i = 0;
	for (size_t off = 0; off < out->names.len && i < count; i++) {
		struct maildir_entry *e = &out->entries[i];
		e->in_new = out->names.p[off] == 'n';
		e->name = out->names.p + off + 1;
		e->len = strlen(e->name);
		e->base_len = maildir_name_base_len(e->name, e->len);
		off += e->len + 2;
	}
	out->count = i;
	return 0;
}

int
maildir_list(const char *dir, size_t max_entries, struct maildir_listing *out)
{
	return list_dirs(dir, max_entries, 1, out);
}

int
maildir_list_new(const char *dir, size_t max_entries,
    struct maildir_listing *out)
{
	return list_dirs(dir, max_entries, 0, out);
}

void
maildir_listing_free(struct maildir_listing *l)
{
	free(l->entries);
	buf_free(&l->names);
	memset(l, 0, sizeof(*l));
}

/* Find the current name of a message with the given base. */
static int
find_by_base(const char *dir, const char *name, char *found, int *found_in_new)
{
	size_t bl = maildir_name_base_len(name, strlen(name));
	static const char *const sub[2] = { "cur", "new" };
	char p[MAILDIR_PATH_MAX];
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		DIR *d = opendir(p);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);
			if (!name_acceptable(de->d_name, l))
				continue;
			if (maildir_name_base_len(de->d_name, l) == bl &&
			    memcmp(de->d_name, name, bl) == 0) {
				memcpy(found, de->d_name, l + 1);
				*found_in_new = i == 1;
				closedir(d);
				return 0;
			}
		}
		closedir(d);
	}
	errno = ENOENT;
	return -1;
}

int
maildir_open_message(const char *dir, const char *name, int in_new,
    char *found_name, int *found_in_new)
{
	char p[MAILDIR_PATH_MAX], cur[MAILDIR_NAME_MAX + 1], fn[MAILDIR_NAME_MAX + 1];
	size_t nl = strlen(name);
	int fnew;
	if (nl > MAILDIR_NAME_MAX) {
		errno = ENOENT;
		return -1;
	}
	memcpy(cur, name, nl + 1);
	for (int tries = 0; tries < 3; tries++) {
		if (maildir_message_path(dir, cur, in_new, p, sizeof(p)) < 0)
			return -1;
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			if (found_name)
				memcpy(found_name, cur, strlen(cur) + 1);
			if (found_in_new)
				*found_in_new = in_new;
			return fd;
		}
		if (errno != ENOENT)
			return -1;
		if (find_by_base(dir, cur, fn, &fnew) < 0)
			return -1;
		memcpy(cur, fn, strlen(fn) + 1);
		in_new = fnew;
	}
	errno = ENOENT;
	return -1;
}
