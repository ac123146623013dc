/* pop3_maildrop.c: a POP3 session's view of the user's Maildir INBOX: the
 * [IN-USE] lock, the snapshot of messages taken at login (UIDs and CRLF
 * sizes from the shared index, so UIDLs are the ones IMAP and Dovecot
 * give), and the UPDATE state at QUIT.
 *
 * Sizes come from ",W=" in the file name where present, else from the
 * size cache (pop3_sizes.c), else from reading the file once; a login on
 * a Maildir whose names carry ",W=" opens no message file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "pop3_uidl.h"
#include "pop3d.h"
#include "quota.h"

static int
lock_maildrop(struct pop3_maildrop *md, char *err, size_t errlen)
{
	char path[MAILDIR_PATH_MAX];
	struct flock fl;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", md->root,
	    POP3_LOCK_FILE) >= sizeof(path)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	md->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (md->lock_fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(md->lock_fd, F_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			return 1;
		snprintf(err, errlen, "%s: lock: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* CRLF sizes of every message of the snapshot. */
static void
take_sizes(struct pop3_maildrop *md)
{
	struct maildir_index *idx = md->idx;
	struct pop3_sizes cache;
	int cache_loaded = 0;
	uint32_t i;

	pop3_sizes_init(&cache);
	for (i = 0; i < md->count; i++) {
		const struct maildir_msg *m = &idx->msgs[i];
		uint64_t size = 0, vsize = 0;
		char path[MAILDIR_PATH_MAX];

		if (maildir_name_vsize(m->name, m->name_len, &vsize) == 0) {
			md->msgs[i].size = vsize;
			continue;
		}
		if (!cache_loaded) {
			pop3_sizes_load(&cache, md->root, idx->uidvalidity);
			cache_loaded = 1;
		}
		if (pop3_sizes_get(&cache, m->uid, &vsize) == 0) {
			md->msgs[i].size = vsize;
			continue;
		}
		md->sizes_read++;
		if (maildir_index_path(idx, m, path, sizeof(path)) == 0 &&
		    maildir_file_sizes(path, &size, &vsize) == 0) {
			md->msgs[i].size = vsize;
			pop3_sizes_put(&cache, m->uid, vsize);
		} else {
			/* gone since the scan: RETR will say so */
			md->msgs[i].size = 0;
		}
	}
	if (cache.dirty) {
		/* keep only what the index still knows */
		size_t r, w = 0;
		for (r = 0; r < cache.n; r++)
			if (maildir_index_find(idx, cache.e[r].uid) != NULL)
				cache.e[w++] = cache.e[r];
		cache.n = w;
		pop3_sizes_save(&cache, md->root);
	}
	pop3_sizes_free(&cache);
}

enum pop3_open_status
pop3_maildrop_open(struct pop3_maildrop *md, const char *root, char *err,
    size_t errlen)
{
	uint32_t i;
	int r;

	memset(md, 0, sizeof(*md));
	md->lock_fd = -1;
	if ((size_t)snprintf(md->root, sizeof(md->root), "%s", root) >=
	    sizeof(md->root)) {
		snprintf(err, errlen, "path too long");
		return POP3_OPEN_ERROR;
	}
	if (maildir_make(root) < 0) {
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		return POP3_OPEN_ERROR;
	}
	r = lock_maildrop(md, err, errlen);
	if (r != 0) {
		pop3_maildrop_close(md);
		return r > 0 ? POP3_OPEN_IN_USE : POP3_OPEN_ERROR;
	}
	/* a POP3 session has seen every message: none stays \Recent for
	 * IMAP (maildir_index.h); claimed in the opening sync, so that new
	 * mail costs one index write, not two */
	md->idx = maildir_index_open_claim(root, NULL, err, errlen);
	if (md->idx == NULL) {
		pop3_maildrop_close(md);
		return POP3_OPEN_ERROR;
	}
	if (md->idx->count > POP3_NUMBER_MAX) {
		snprintf(err, errlen, "too many messages");
		pop3_maildrop_close(md);
		return POP3_OPEN_ERROR;
	}
	md->count = (uint32_t)md->idx->count;
	md->msgs = xcalloc(md->count ? md->count : 1, sizeof(*md->msgs));
	for (i = 0; i < md->count; i++)
		md->msgs[i].uid = md->idx->msgs[i].uid;
	take_sizes(md);
	for (i = 0; i < md->count; i++)
		md->total += md->msgs[i].size;
	return POP3_OPEN_OK;
}

struct pop3_msg *
pop3_maildrop_msg(struct pop3_maildrop *md, uint32_t n)
{
	if (n == 0 || n > md->count)
		return NULL;
	return &md->msgs[n - 1];
}

void
pop3_maildrop_uidl(struct pop3_maildrop *md, const struct pop3_msg *m,
    char *out, size_t outlen)
{
	const struct maildir_msg *f = maildir_index_find(md->idx, m->uid);
	const char *override = f ? f->pop3_uidl : NULL;
	/* A stored UIDL (taken over from Dovecot) is sent as it is; a
	 * computed one is Dovecot's default spelling (common/pop3_uidl.h). */
	(void)pop3_uidl_make(out, outlen, m->uid, md->idx->uidvalidity, override);
}

int
pop3_maildrop_open_msg(struct pop3_maildrop *md, const struct pop3_msg *m)
{
	return maildir_index_open_msg(md->idx, m->uid);
}

/* On-disk size of a message about to be removed (for maildirsize). */
static uint64_t
disk_size(struct pop3_maildrop *md, const struct maildir_msg *f)
{
	char path[MAILDIR_PATH_MAX];
	uint64_t n;
	struct stat st;

	if (maildir_name_size(f->name, f->name_len, &n) == 0)
		return n;
	if (maildir_index_path(md->idx, f, path, sizeof(path)) == 0 &&
	    stat(path, &st) == 0)
		return (uint64_t)st.st_size;
	return 0;
}

int
pop3_maildrop_commit(struct pop3_maildrop *md, unsigned *removed)
{
	struct maildir_index *idx = md->idx;
	uint64_t bytes = 0;
	unsigned gone = 0, failed = 0;
	char qpath[MAILDIR_PATH_MAX];
	uint32_t i;

	*removed = 0;
	if (maildir_index_begin(idx) < 0)
		return -1;
	for (i = 0; i < md->count; i++) {
		struct pop3_msg *m = &md->msgs[i];
		struct maildir_msg *f;

		if (!m->deleted && !m->touched)
			continue;
		f = maildir_index_find(idx, m->uid);
		if (f == NULL)
			continue;          /* removed by someone else */
		if (m->deleted) {
			uint64_t sz = disk_size(md, f);
			if (maildir_index_expunge(idx, m->uid) < 0) {
				failed++;
				continue;
			}
			bytes += sz;
			gone++;
		} else {
			unsigned flags = f->flags;
			if (m->retrieved)
				flags |= MAILDIR_FLAG_SEEN;
			/* Maildir: a message read leaves new/ for cur/ */
			if ((f->in_new || flags != f->flags) &&
			    maildir_index_set_flags(idx, m->uid, flags,
			    f->keywords, 0) < 0)
				log_warn("pop3_flags", "uid=%u error=\"%s\"",
				    m->uid, strerror(errno));
		}
	}
	if (maildir_index_end(idx) < 0)
		failed++;
	*removed = gone;
	if (gone > 0 && (size_t)snprintf(qpath, sizeof(qpath), "%s/%s",
	    md->root, QUOTA_FILE) < sizeof(qpath) && access(qpath, F_OK) == 0) {
		struct quota q;
		if (quota_load(md->root, NULL, &q) == 0)
			(void)quota_add(md->root, &q, -(int64_t)bytes,
			    -(int64_t)gone);
	}
	return failed ? -1 : 0;
}

void
pop3_maildrop_close(struct pop3_maildrop *md)
{
	if (md->idx != NULL)
		maildir_index_free(md->idx);
	md->idx = NULL;
	free(md->msgs);
	md->msgs = NULL;
	if (md->lock_fd >= 0)
		close(md->lock_fd);
	md->lock_fd = -1;
}
