/* imap_subscriptions.c: the subscription list (file "subscriptions" in
 * the Maildir root, one on-disk folder name per line, as Dovecot's
 * format 1; rewritten through a temporary file and rename) and the
 * special-use folders (RFC 6154) made at a user's first login. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "imapd.h"
#include "imap_names.h"
#include "log.h"

#define SUBS_FILE "subscriptions"
#define SUBS_FILE_MAX (1024 * 1024)
#define SUBS_MAX 10000
#define SPECIAL_MARK "postern-special-use"

static const struct {
	const char *folder;
	const char *attr;
} special[] = {
	{ "Drafts", "\\Drafts" },
	{ "Sent", "\\Sent" },
	{ "Trash", "\\Trash" },
	{ "Junk", "\\Junk" },
	{ "Archive", "\\Archive" },
};
#define NSPECIAL (sizeof(special) / sizeof(special[0]))

const char *
imap_special_use(const char *folder)
{
	size_t i;

	for (i = 0; i < NSPECIAL; i++)
		if (strcmp(folder, special[i].folder) == 0)
			return special[i].attr;
	return NULL;
}

void
imap_subscriptions_free(char **list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

char **
imap_subscriptions_load(struct imap_session *s, size_t *count)
{
	char path[MAILDIR_PATH_MAX];
	char **list;
	size_t n = 0;
	struct buf b = BUF_INIT;
	char chunk[8192];
	ssize_t r;
	int fd;
	size_t i, start;

	list = xcalloc(1, sizeof(*list));
	*count = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", s->root, SUBS_FILE) >=
	    sizeof(path))
		return list;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return list;
	while ((r = read(fd, chunk, sizeof(chunk))) > 0 && b.len < SUBS_FILE_MAX)
		buf_append(&b, chunk, (size_t)r);
	close(fd);
	start = 0;
	for (i = 0; i <= b.len && n < SUBS_MAX; i++) {
		if (i < b.len && b.p[i] != '\n')
			continue;
		if (i > start) {
			size_t len = i - start;
			if (b.p[i - 1] == '\r')
				len--;
			if (len > 0 && len <= 400 &&
			    memchr(b.p + start, '\0', len) == NULL &&
			    memchr(b.p + start, '\t', len) == NULL) {
				list = xreallocarray(list, n + 2, sizeof(*list));
				list[n++] = xstrndup(b.p + start, len);
				list[n] = NULL;
			}
		}
		start = i + 1;
	}
	buf_free(&b);
	*count = n;
	return list;
}

/* Replace the file with the lines in b (through a temporary file). */
static int
subscriptions_write(struct imap_session *s, const struct buf *b)
{
	char path[MAILDIR_PATH_MAX], tmp[MAILDIR_PATH_MAX];
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", s->root, SUBS_FILE) >=
	    sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/%s.%ld.tmp", s->root,
	    SUBS_FILE, (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (io_write_all(fd, b->p ? b->p : "", b->len, 10000) != IO_OK ||
	    fsync(fd) < 0)
		rc = -1;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int
imap_subscription_set(struct imap_session *s, const char *folder, int on)
{
	size_t n, i;
	char **list = imap_subscriptions_load(s, &n);
	struct buf b = BUF_INIT;
	int found = 0, rc;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], folder) == 0) {
			found = 1;
			if (!on)
				continue;
		}
		buf_printf(&b, "%s\n", list[i]);
	}
	imap_subscriptions_free(list);
	if (found == on) {
		buf_free(&b);
		return 0;
	}
	if (on) {
		if (n >= SUBS_MAX) {
			buf_free(&b);
			errno = ENOSPC;
			return -1;
		}
		buf_printf(&b, "%s\n", folder);
	}
	rc = subscriptions_write(s, &b);
	buf_free(&b);
	return rc;
}

int
imap_subscriptions_rename(struct imap_session *s, const char *from,
    const char *to)
{
	size_t n, i, j, flen = strlen(from);
	char **list = imap_subscriptions_load(s, &n);
	struct buf b = BUF_INIT;
	int changed = 0, rc = 0;

	for (i = 0; i < n; i++) {
		const char *name = list[i];
		int dup = 0;
		if (flen > 0 && strncmp(name, from, flen) == 0 &&
		    (name[flen] == '\0' || name[flen] == IMAP_DELIM)) {
			/* the new name, unless it is already in the list */
			struct buf nb = BUF_INIT;
			buf_puts(&nb, to);
			buf_puts(&nb, name + flen);
			for (j = 0; j < n; j++)
				if (strcmp(list[j], buf_cstr(&nb)) == 0)
					dup = 1;
			if (!dup)
				buf_printf(&b, "%s\n", buf_cstr(&nb));
			buf_free(&nb);
			changed = 1;
			continue;
		}
		buf_printf(&b, "%s\n", name);
	}
	imap_subscriptions_free(list);
	if (changed)
		rc = subscriptions_write(s, &b);
	buf_free(&b);
	return rc;
}

void
imap_special_use_init(struct imap_session *s)
{
	char mark[MAILDIR_PATH_MAX];
	struct stat st;
	size_t i;
	int fd;

	if ((size_t)snprintf(mark, sizeof(mark), "%s/%s", s->root,
	    SPECIAL_MARK) >= sizeof(mark))
		return;
	if (stat(mark, &st) == 0)
		return;
	(void)maildir_make(s->root);
	(void)imap_subscription_set(s, "INBOX", 1);
	for (i = 0; i < NSPECIAL; i++) {
		if (maildir_folder_create(s->root, special[i].folder) < 0 &&
		    errno != EEXIST) {
			log_warn("special_use", "folder=%s error=\"%s\"",
			    special[i].folder, strerror(errno));
			return;
		}
		(void)imap_subscription_set(s, special[i].folder, 1);
	}
	fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
	log_info("special_use", "created=Drafts,Sent,Trash,Junk,Archive");
}
