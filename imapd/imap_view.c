/* imap_view.c: the selected mailbox as this session sees it: sequence
 * numbers, flags, lazily read message facts, flag changes and expunges
 * through the Maildir index, and the untagged updates (EXISTS, RECENT,
 * EXPUNGE/VANISHED, FETCH FLAGS) that bring the client up to date. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "imapd.h"
#include "log.h"

uint32_t
imap_view_count(const struct imap_session *s)
{
	return s->mbox ? (uint32_t)s->mbox->count : 0;
}

struct imap_msg *
imap_view_get(struct imap_session *s, uint32_t seq)
{
	if (s->mbox == NULL || seq == 0 || seq > s->mbox->count)
		return NULL;
	return &s->mbox->msgs[seq - 1];
}

uint32_t
imap_view_seq_ge(const struct imap_session *s, uint32_t uid)
{
	size_t lo = 0, hi;

	if (s->mbox == NULL)
		return 1;
	hi = s->mbox->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->mbox->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)lo + 1;
}

uint32_t
imap_view_seq(const struct imap_session *s, uint32_t uid)
{
	uint32_t seq = imap_view_seq_ge(s, uid);

	if (s->mbox == NULL || seq > s->mbox->count ||
	    s->mbox->msgs[seq - 1].uid != uid)
		return 0;
	return seq;
}

uint32_t
imap_view_max_uid(const struct imap_session *s)
{
	if (s->mbox == NULL || s->mbox->count == 0)
		return 0;
	return s->mbox->msgs[s->mbox->count - 1].uid;
}

const struct maildir_msg *
imap_msg_file(struct imap_session *s, const struct imap_msg *m)
{
	if (s->mbox == NULL || m->expunged)
		return NULL;
	return maildir_index_find(s->mbox->idx, m->uid);
}

int
imap_msg_open(struct imap_session *s, const struct imap_msg *m)
{
	if (s->mbox == NULL || m->expunged) {
		errno = ENOENT;
		return -1;
	}
	return maildir_index_open_msg(s->mbox->idx, m->uid);
}

int
imap_msg_internaldate(struct imap_session *s, struct imap_msg *m,
    int64_t *out)
{
	struct stat st;
	int fd;

	if (!m->have_date) {
		fd = imap_msg_open(s, m);
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0) {
			close(fd);
			return -1;
		}
		close(fd);
		m->internaldate = st.st_mtime;
		m->have_date = 1;
	}
	*out = m->internaldate;
	return 0;
}

/* Octets with CRLF line ends: ",W=" when the name has it, else counted
 * (LF not preceded by CR counts two). */
int
imap_msg_size(struct imap_session *s, struct imap_msg *m, uint64_t *out)
{
	const struct maildir_msg *f;
	uint64_t n = 0;
	char buf[16384];
	ssize_t r;
	int fd, prev_cr = 0;

	if (m->have_size) {
		*out = m->size;
		return 0;
	}
	f = imap_msg_file(s, m);
	if (f == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (maildir_name_vsize(f->name, f->name_len, &n) == 0) {
		m->size = n;
		m->have_size = 1;
		*out = n;
		return 0;
	}
	fd = imap_msg_open(s, m);
	if (fd < 0)
		return -1;
	n = 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t i;
		for (i = 0; i < r; i++) {
			if (buf[i] == '\n' && !prev_cr)
				n++;
			prev_cr = buf[i] == '\r';
			n++;
		}
	}
	close(fd);
	if (r < 0)
		return -1;
	m->size = n;
	m->have_size = 1;
	*out = n;
	return 0;
}

int
imap_msg_store(struct imap_session *s, struct imap_msg *m,
    enum maildir_store_mode mode, unsigned flags, uint32_t keywords,
    uint64_t unchangedsince)
{
	const struct maildir_msg *f;
	int r;

	if (s->mbox == NULL || s->mbox->readonly) {
		errno = EROFS;
		return -1;
	}
	if (m->expunged)
		return 1;
	r = maildir_index_store(s->mbox->idx, m->uid, mode, flags, keywords,
	    unchangedsince);
	if (r == 0 || r == 2) {
		f = maildir_index_find(s->mbox->idx, m->uid);
		if (f == NULL)
			return 1;
		m->flags = f->flags;
		m->keywords = f->keywords;
		m->modseq = f->modseq;
		m->flags_dirty = 0;
	}
	return r;
}

/* --- flags -------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} sysflags[] = {
	{ "\\Answered", MAILDIR_FLAG_REPLIED },
	{ "\\Flagged", MAILDIR_FLAG_FLAGGED },
	{ "\\Deleted", MAILDIR_FLAG_TRASHED },
	{ "\\Seen", MAILDIR_FLAG_SEEN },
	{ "\\Draft", MAILDIR_FLAG_DRAFT },
	{ "$Forwarded", MAILDIR_FLAG_PASSED },
};
#define NSYSFLAGS (sizeof(sysflags) / sizeof(sysflags[0]))

void
imap_write_flags(struct imap_session *s, struct buf *out,
    const struct imap_msg *m)
{
	const char *sep = "";
	size_t i;

	buf_putc(out, '(');
	for (i = 0; i < NSYSFLAGS; i++)
		if (m->flags & sysflags[i].bit) {
			buf_printf(out, "%s%s", sep, sysflags[i].name);
			sep = " ";
		}
	for (i = 0; i < MAILDIR_KEYWORDS_MAX; i++)
		if ((m->keywords & (1u << i)) && s->mbox != NULL &&
		    s->mbox->idx->keywords[i] != NULL) {
			buf_printf(out, "%s%s", sep, s->mbox->idx->keywords[i]);
			sep = " ";
		}
	if (m->recent && !imap_rev2(s))
		buf_printf(out, "%s\\Recent", sep);
	buf_putc(out, ')');
}

static uint32_t
keyword_mask(const struct maildir_index *idx)
{
	uint32_t m = 0;
	size_t i;

	for (i = 0; i < MAILDIR_KEYWORDS_MAX; i++)
		if (idx->keywords[i] != NULL)
			m |= 1u << i;
	return m;
}

void
imap_write_flag_lists(struct imap_session *s, struct buf *out)
{
	struct imap_mailbox *mb = s->mbox;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		if (k == 1 && mb->readonly) {
			buf_puts(out, "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n");
			break;
		}
		buf_puts(out, k == 0 ? "* FLAGS (" : "* OK [PERMANENTFLAGS (");
		for (i = 0; i < NSYSFLAGS; i++)
			buf_printf(out, "%s%s", i ? " " : "", sysflags[i].name);
		for (i = 0; i < MAILDIR_KEYWORDS_MAX; i++)
			if (mb->idx->keywords[i] != NULL)
				buf_printf(out, " %s", mb->idx->keywords[i]);
		buf_puts(out, k == 0 ? ")\r\n" : " \\*)] Flags permitted\r\n");
	}
	mb->keywords_sent = keyword_mask(mb->idx);
}

/* RFC 3501 flag-keyword = atom: no atom-specials. */
static int
keyword_valid(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > MAILDIR_KEYWORD_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return 0;
	}
	return 1;
}

int
imap_parse_flag_idx(struct maildir_index *idx, const char *p, size_t len,
    int create, unsigned *flags, uint32_t *keywords)
{
	size_t i;
	int k;

	for (i = 0; i < NSYSFLAGS; i++)
		if (strlen(sysflags[i].name) == len &&
		    strncasecmp(sysflags[i].name, p, len) == 0) {
			*flags |= sysflags[i].bit;
			return 0;
		}
	if (len > 0 && p[0] == '\\')
		return -1;   /* \Recent, \*, unknown system flags */
	if (!keyword_valid(p, len) || idx == NULL)
		return -1;
	k = maildir_index_keyword(idx, p, len, create);
	if (k < 0)
		return create ? -1 : 0;   /* unknown keyword: matches nothing */
	*keywords |= 1u << k;
	return 0;
}

int
imap_parse_flag(struct imap_session *s, const char *p, size_t len,
    int create, unsigned *flags, uint32_t *keywords)
{
	return imap_parse_flag_idx(s->mbox ? s->mbox->idx : NULL, p, len,
	    create, flags, keywords);
}

/* --- updates ------------------------------------------------------------ */

static void
view_reserve(struct imap_mailbox *mb, size_t n)
{
	if (n > mb->cap) {
		size_t cap = mb->cap ? mb->cap : 64;
		while (cap < n)
			cap = size_mul(cap, 2);
		mb->msgs = xreallocarray(mb->msgs, cap, sizeof(*mb->msgs));
		mb->cap = cap;
	}
}

/* Take new messages of the index into the view (UIDs above the view's
 * last) and mark those gone and those whose flags changed. */
static void
view_merge(struct imap_session *s, uint32_t first_recent)
{
	struct imap_mailbox *mb = s->mbox;
	struct maildir_index *idx = mb->idx;
	size_t i = 0, j = 0;
	uint32_t maxuid = imap_view_max_uid(s);

	while (i < mb->count) {
		struct imap_msg *m = &mb->msgs[i];
		while (j < idx->count && idx->msgs[j].uid < m->uid)
			j++;
		if (j < idx->count && idx->msgs[j].uid == m->uid) {
			const struct maildir_msg *f = &idx->msgs[j];
			if (f->flags != m->flags || f->keywords != m->keywords) {
				m->flags = f->flags;
				m->keywords = f->keywords;
				m->flags_dirty = 1;
			}
			if (f->modseq > m->modseq) {
				if (imap_condstore(s))
					m->flags_dirty = 1;
				m->modseq = f->modseq;
			}
		} else if (!m->expunged) {
			m->expunged = 1;
			m->flags_dirty = 0;
		}
		i++;
	}
	for (j = maildir_index_seq_of(idx, maxuid + 1); j < idx->count; j++) {
		const struct maildir_msg *f = &idx->msgs[j];
		struct imap_msg *m;
		view_reserve(mb, mb->count + 1);
		m = &mb->msgs[mb->count++];
		memset(m, 0, sizeof(*m));
		m->uid = f->uid;
		m->flags = f->flags;
		m->keywords = f->keywords;
		m->modseq = f->modseq;
		if (!mb->readonly && f->uid >= first_recent) {
			m->recent = 1;
			mb->recent++;
		}
	}
}

/* Announce and drop the expunged messages of the view. */
static void
view_flush_expunged(struct imap_session *s)
{
	struct imap_mailbox *mb = s->mbox;
	struct buf b = BUF_INIT;
	size_t i, out = 0, nv = 0;
	uint32_t run_lo = 0, run_hi = 0;
	int qresync = (s->enabled & IMAP_EXT_QRESYNC) != 0;

	for (i = 0; i < mb->count; i++) {
		struct imap_msg *m = &mb->msgs[i];
		if (!m->expunged) {
			mb->msgs[out++] = *m;
			continue;
		}
		if (m->recent && mb->recent)
			mb->recent--;
		if (qresync) {
			/* RFC 7162 3.2.10: VANISHED with a UID set */
			if (nv > 0 && m->uid == run_hi + 1) {
				run_hi = m->uid;
			} else {
				if (nv > 0) {
					if (run_lo == run_hi)
						buf_printf(&b, "%s%u", b.len ? "," : "", run_lo);
					else
						buf_printf(&b, "%s%u:%u", b.len ? "," : "", run_lo, run_hi);
				}
				run_lo = run_hi = m->uid;
			}
			nv++;
		} else {
			/* seq after the earlier ones of this pass were removed */
			imap_untagged(s, "%zu EXPUNGE", out + 1);
		}
	}
	if (qresync && nv > 0) {
		if (run_lo == run_hi)
			buf_printf(&b, "%s%u", b.len ? "," : "", run_lo);
		else
			buf_printf(&b, "%s%u:%u", b.len ? "," : "", run_lo, run_hi);
		imap_untagged(s, "VANISHED %s", buf_cstr(&b));
	}
	buf_free(&b);
	/* the client counts them gone: no EXISTS for the smaller number */
	if (mb->exists_sent >= (int)(mb->count - out))
		mb->exists_sent -= (int)(mb->count - out);
	mb->count = out;
}

static void
view_send_flags(struct imap_session *s)
{
	struct imap_mailbox *mb = s->mbox;
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < mb->count; i++) {
		struct imap_msg *m = &mb->msgs[i];
		if (!m->flags_dirty || m->expunged)
			continue;
		m->flags_dirty = 0;
		buf_printf(&b, "* %zu FETCH (UID %u FLAGS ", i + 1, m->uid);
		imap_write_flags(s, &b, m);
		if (imap_condstore(s))
			buf_printf(&b, " MODSEQ (%llu)",
			    (unsigned long long)m->modseq);
		buf_puts(&b, ")\r\n");
		imap_send_buf(s, &b);
	}
	buf_free(&b);
}

void
imap_mailbox_update(struct imap_session *s, int allow_expunge)
{
	struct imap_mailbox *mb = s->mbox;
	uint32_t first_recent = 0;
	size_t i;
	int pending = 0;

	if (mb == NULL)
		return;
	if (maildir_index_sync(mb->idx, !mb->readonly, &first_recent) < 0) {
		char cur[MAILDIR_PATH_MAX];
		struct stat st;
		log_warn("sync_failed", "dir=%s error=\"%s\"", mb->dir,
		    strerror(errno));
		if ((size_t)snprintf(cur, sizeof(cur), "%s/cur", mb->dir) <
		    sizeof(cur) && stat(cur, &st) < 0 && errno == ENOENT) {
			/* deleted or renamed by another session or program */
			io_puts(s->io, "* BYE Selected mailbox was deleted\r\n");
			io_flush(s->io);
			log_info("disconnect", "reason=mailbox-deleted");
			exit(0);
		}
		return;
	}
	if (mb->idx->uidvalidity != mb->uidvalidity) {
		/* The index was rebuilt: the client must start over. */
		io_puts(s->io, "* BYE [UNAVAILABLE] Mailbox UIDVALIDITY changed\r\n");
		io_flush(s->io);
		log_warn("uidvalidity_changed", "dir=%s", mb->dir);
		exit(0);
	}
	if (keyword_mask(mb->idx) != mb->keywords_sent) {
		/* a new keyword: FLAGS and PERMANENTFLAGS again (RFC 3501 7.2.6)
		 * before any FETCH that uses it */
		struct buf b = BUF_INIT;
		imap_write_flag_lists(s, &b);
		imap_send_buf(s, &b);
		buf_free(&b);
	}
	/* Every change to the index (new message, flag change, expunge, by
	 * anyone) raises HIGHESTMODSEQ; the view took it when it last matched
	 * the index (SELECT, or below with nothing pending).  Unchanged: the
	 * merge would find nothing, so skip the passes over every message
	 * (after each command of a 100,000-message session). */
	if (mb->idx->highest_modseq == mb->highest_modseq &&
	    mb->idx->next_uid == mb->uidnext && mb->idx->count == mb->count &&
	    (int)mb->count == mb->exists_sent)
		return;
	view_merge(s, mb->readonly ? UINT32_MAX : first_recent);
	view_send_flags(s);
	if (allow_expunge)
		view_flush_expunged(s);
	if ((int)mb->count != mb->exists_sent) {
		imap_untagged(s, "%zu EXISTS", mb->count);
		if (!imap_rev2(s))
			imap_untagged(s, "%zu RECENT", mb->recent);
		mb->exists_sent = (int)mb->count;
	}
	for (i = 0; i < mb->count; i++)
		if (mb->msgs[i].expunged)
			pending = 1;
	if (!pending)
		mb->highest_modseq = mb->idx->highest_modseq;
	mb->uidnext = mb->idx->next_uid;
}

int
imap_view_expunge(struct imap_session *s, const uint32_t *uids, size_t n,
    int silent)
{
	struct imap_mailbox *mb = s->mbox;
	size_t i;
	int64_t bytes = 0, msgs = 0;
	int rc = 0;

	if (mb == NULL || mb->readonly) {
		errno = EROFS;
		return -1;
	}
	if (maildir_index_begin(mb->idx) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		uint32_t seq = imap_view_seq(s, uids[i]);
		struct imap_msg *m;
		uint64_t sz = 0;
		if (seq == 0)
			continue;
		m = &mb->msgs[seq - 1];
		if (!m->expunged) {
			/* maildirsize counts octets on disk (",S=") */
			const struct maildir_msg *f = imap_msg_file(s, m);
			if (f != NULL) {
				if (maildir_name_size(f->name, f->name_len, &sz) < 0)
					(void)imap_msg_size(s, m, &sz);
				bytes += (int64_t)sz;
				msgs++;
			}
			if (maildir_index_expunge(mb->idx, m->uid) < 0) {
				rc = -1;
				continue;
			}
		}
		m->expunged = 1;
	}
	if (maildir_index_end(mb->idx) < 0)
		rc = -1;
	if (msgs > 0)
		imap_quota_add(s, -bytes, -msgs);
	if (silent) {
		size_t out = 0;
		for (i = 0; i < mb->count; i++) {
			if (mb->msgs[i].expunged) {
				if (mb->msgs[i].recent && mb->recent)
					mb->recent--;
				continue;
			}
			mb->msgs[out++] = mb->msgs[i];
		}
		mb->count = out;
	} else
		view_flush_expunged(s);
	mb->exists_sent = (int)mb->count;
	return rc;
}
