/* imap_copy.c: COPY, MOVE, UID COPY, UID MOVE (RFC 3501 6.4.7, RFC 9051
 * 6.4.7-8, RFC 6851) with COPYUID (RFC 4315).  Each message is put into
 * the target folder's cur/ with its flags (keywords mapped by name to the
 * target's keyword slots): as a hard link of the source file when the
 * file system allows (no data copied; the shared inode keeps the
 * INTERNALDATE; the target directory is fsynced once at the end), else
 * delivered as a copy with the source's mtime.  All new files are
 * registered in the target index in one transaction (one index write for
 * the whole command).  MOVE then expunges the originals through the view,
 * which announces EXPUNGE (or VANISHED with QRESYNC). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "imap_msgcmd.h"
#include "imap_seqset.h"
#include "log.h"

/* The keywords of m (source index) as slots of the target index. */
static uint32_t
map_keywords(struct maildir_index *src, struct maildir_index *dst,
    uint32_t kw)
{
	uint32_t out = 0;
	int k;

	if (src == dst)
		return kw;
	for (k = 0; k < MAILDIR_KEYWORDS_MAX; k++) {
		int t;
		if (!(kw & (1u << k)) || src->keywords[k] == NULL)
			continue;
		t = maildir_index_keyword(dst, src->keywords[k],
		    strlen(src->keywords[k]), 1);
		if (t >= 0)
			out |= 1u << t;
	}
	return out;
}

/* Hard-link m's file into dir/cur/ under a new name with these flags.
 * 0 (name in out, octets on disk in *size) or -1 (errno; the caller falls
 * back to a copy). */
static int
link_copy(struct imap_session *s, struct imap_msg *m, const char *dir,
    unsigned flags, uint32_t keywords, char *out, size_t outlen,
    uint64_t *size)
{
	const struct maildir_msg *f = imap_msg_file(s, m);
	char src[MAILDIR_PATH_MAX], dst[MAILDIR_PATH_MAX], base[MAILDIR_NAME_MAX];
	uint64_t sz = 0, vsz = 0;
	struct stat st;
	size_t n;

	if (f == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (maildir_index_path(s->mbox->idx, f, src, sizeof(src)) < 0 ||
	    maildir_unique_name(base, sizeof(base) - 48) < 0)
		return -1;
	if (stat(src, &st) < 0)
		return -1;
	sz = (uint64_t)st.st_size;
	n = strlen(base);
	if (maildir_name_vsize(f->name, f->name_len, &vsz) == 0)
		snprintf(base + n, sizeof(base) - n, ",S=%llu,W=%llu",
		    (unsigned long long)sz, (unsigned long long)vsz);
	else
		snprintf(base + n, sizeof(base) - n, ",S=%llu",
		    (unsigned long long)sz);
	if (maildir_name_with_flags(base, strlen(base), flags, keywords, out,
	    outlen) < 0)
		return -1;
	if ((size_t)snprintf(dst, sizeof(dst), "%s/cur/%s", dir, out) >=
	    sizeof(dst)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (link(src, dst) < 0)
		return -1;
	*size = sz;
	return 0;
}

static void
sync_dir(const char *dir)
{
	char p[MAILDIR_PATH_MAX];
	int fd;

	if ((size_t)snprintf(p, sizeof(p), "%s/cur", dir) >= sizeof(p))
		return;
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static void
copy_or_move(struct imap_session *s, const struct imap_arg *args,
    size_t nargs, int move)
{
	char folder[512], dir[MAILDIR_PATH_MAX];
	struct maildir_index *idx;
	uint32_t *seqs = NULL, *srcuids, *dstuids;
	size_t nseqs = 0, i, n = 0;
	uint64_t bytes = 0;
	const char *why;
	struct buf code = BUF_INIT;
	int gone = 0, same;

	if (nargs != 2) {
		imap_bad(s, NULL, "%s needs a message set and a mailbox",
		    move ? "MOVE" : "COPY");
		return;
	}
	if (move && s->mbox->readonly) {
		imap_no(s, "READ-ONLY", "Mailbox is read-only");
		return;
	}
	if (imap_seqset_resolve(s, &args[0], s->uid, &seqs, &nseqs, &why) < 0) {
		imap_bad(s, NULL, "%s", why);
		return;
	}
	if (imap_mailbox_resolve(s, &args[1], folder, sizeof(folder), dir,
	    sizeof(dir), &why) < 0) {
		free(seqs);
		imap_no(s, "TRYCREATE", "%s", why);
		return;
	}
	idx = imap_index_get(s, dir);
	if (idx == NULL) {
		free(seqs);
		if (errno == ENOENT)
			imap_no(s, "TRYCREATE", "No such mailbox");
		else
			imap_no(s, "SERVERBUG", "Cannot open mailbox");
		return;
	}
	same = idx == s->mbox->idx;
	if (move && same) {
		imap_index_release(s, idx);
		free(seqs);
		imap_no(s, "CANNOT", "Source and target are the same mailbox");
		return;
	}
	for (i = 0; i < nseqs; i++) {
		struct imap_msg *m = imap_view_get(s, seqs[i]);
		uint64_t sz = 0;
		const struct maildir_msg *f = imap_msg_file(s, m);
		if (f != NULL && maildir_name_size(f->name, f->name_len, &sz) < 0)
			(void)imap_msg_size(s, m, &sz);
		bytes += sz;
	}
	if (imap_quota_over(s, bytes, nseqs)) {
		imap_index_release(s, idx);
		free(seqs);
		imap_no(s, "OVERQUOTA", "Quota exceeded");
		return;
	}
	srcuids = xcalloc(nseqs + 1, sizeof(*srcuids));
	dstuids = xcalloc(nseqs + 1, sizeof(*dstuids));
	if (maildir_index_begin(idx) < 0) {
		imap_index_release(s, idx);
		free(seqs);
		free(srcuids);
		free(dstuids);
		imap_no(s, "SERVERBUG", "Cannot lock the target mailbox");
		return;
	}
	for (i = 0; i < nseqs; i++) {
		struct imap_msg *m = imap_view_get(s, seqs[i]);
		struct maildir_delivery opt;
		struct maildir_delivered d;
		int64_t date = 0;
		int fd, rc;

		if (m->expunged) {
			gone = 1;
			continue;
		}
		memset(&opt, 0, sizeof(opt));
		opt.to_cur = 1;
		opt.flags = m->flags;
		opt.keywords = map_keywords(s->mbox->idx, idx, m->keywords);
		if (link_copy(s, m, dir, opt.flags, opt.keywords, d.name,
		    sizeof(d.name), &d.size) == 0) {
			rc = 0;
		} else {
			fd = imap_msg_open(s, m);
			if (fd < 0) {
				gone = 1;
				continue;
			}
			(void)imap_msg_internaldate(s, m, &date);
			opt.mtime = (time_t)date;
			rc = maildir_deliver_fd(dir, fd, &opt, &d);
			close(fd);
		}
		if (rc < 0 || maildir_index_add(idx, d.name, 0, &dstuids[n]) < 0) {
			int e = errno;
			log_warn("copy_failed", "folder=%s error=\"%s\"",
			    folder, strerror(e));
			(void)maildir_index_end(idx);
			imap_index_release(s, idx);
			free(seqs);
			free(srcuids);
			free(dstuids);
			/* RFC 3501 6.4.7: a failed COPY leaves the target
			 * as it was - the messages copied so far stay, which
			 * is the usual server behaviour on a full disk. */
			imap_no(s, (e == ENOSPC || e == EDQUOT) ? "OVERQUOTA" :
			    "SERVERBUG", "%s failed: %s", move ? "MOVE" : "COPY",
			    strerror(e));
			return;
		}
		imap_quota_add(s, (int64_t)d.size, 1);
		srcuids[n++] = m->uid;
	}
	sync_dir(dir);
	if (maildir_index_end(idx) < 0) {
		imap_index_release(s, idx);
		free(seqs);
		free(srcuids);
		free(dstuids);
		imap_no(s, "SERVERBUG", "%s: index write failed",
		    move ? "MOVE" : "COPY");
		return;
	}
	if (n > 0) {
		buf_printf(&code, "COPYUID %u ", idx->uidvalidity);
		imap_seqset_write(&code, srcuids, n);
		buf_putc(&code, ' ');
		imap_seqset_write(&code, dstuids, n);
	}
	log_info(move ? "move" : "copy", "folder=%s count=%zu",
	    folder[0] ? folder : "INBOX", n);
	imap_index_release(s, idx);
	free(seqs);
	if (move) {
		/* RFC 6851 4.3: COPYUID in an untagged OK before the
		 * expunges */
		if (n > 0)
			imap_untagged(s, "OK [%s] Moved UIDs.", buf_cstr(&code));
		if (n > 0 && imap_view_expunge(s, srcuids, n, 0) < 0) {
			free(srcuids);
			free(dstuids);
			buf_free(&code);
			imap_no(s, "SERVERBUG", "MOVE: expunge failed");
			return;
		}
		free(srcuids);
		free(dstuids);
		buf_free(&code);
		if (gone)
			imap_no(s, "EXPUNGEISSUED", "Some messages were expunged");
		else
			imap_ok(s, NULL, "%sMOVE completed", s->uid ? "UID " : "");
		return;
	}
	free(srcuids);
	free(dstuids);
	if (gone)
		imap_no(s, "EXPUNGEISSUED", "Some messages were expunged");
	else
		imap_ok(s, n > 0 ? buf_cstr(&code) : NULL, "%sCOPY completed",
		    s->uid ? "UID " : "");
	buf_free(&code);
}

void
imap_cmd_copy(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	copy_or_move(s, args, nargs, 0);
}

void
imap_cmd_move(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	copy_or_move(s, args, nargs, 1);
}
