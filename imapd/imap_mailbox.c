/* imap_mailbox.c: mailbox commands of postern-imapd: SELECT and EXAMINE
 * (with CONDSTORE and QRESYNC parameters), CLOSE, UNSELECT, EXPUNGE and
 * UID EXPUNGE, CREATE, DELETE, RENAME (INBOX too), SUBSCRIBE, UNSUBSCRIBE,
 * STATUS, NAMESPACE; and resolving mailbox names to Maildir++ folders. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "imapd.h"
#include "imap_names.h"
#include "imap_quote.h"
#include "imap_seqset.h"
#include "log.h"

/* --- names -------------------------------------------------------------- */

int
imap_mailbox_resolve(struct imap_session *s, const struct imap_arg *arg,
    char *folder, size_t folderlen, char *dir, size_t dirlen,
    const char **why)
{
	struct buf b = BUF_INIT;

	if (!imap_arg_is_astring(arg)) {
		*why = "Mailbox name expected";
		return -1;
	}
	if (imap_name_to_folder(imap_utf8(s), arg->p, arg->len, &b, why) < 0) {
		buf_free(&b);
		return -1;
	}
	if (b.len + 1 > folderlen ||
	    maildir_folder_path(s->root, buf_cstr(&b), dir, dirlen) < 0) {
		*why = "Mailbox name too long";
		buf_free(&b);
		return -1;
	}
	memcpy(folder, buf_cstr(&b), b.len + 1);
	buf_free(&b);
	return 0;
}

static int
folder_exists(const char *dir)
{
	char p[MAILDIR_PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(p, sizeof(p), "%s/cur", dir) >= sizeof(p))
		return 0;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

struct maildir_index *
imap_index_get(struct imap_session *s, const char *dir)
{
	char err[256];
	struct maildir_index *idx;

	if (s->mbox != NULL && strcmp(s->mbox->dir, dir) == 0)
		return s->mbox->idx;
	if (!folder_exists(dir)) {
		errno = ENOENT;
		return NULL;
	}
	idx = maildir_index_open(dir, err, sizeof(err));
	if (idx == NULL)
		log_warn("index_open", "dir=%s error=\"%s\"", dir, err);
	return idx;
}

void
imap_index_release(struct imap_session *s, struct maildir_index *idx)
{
	if (idx == NULL || (s->mbox != NULL && s->mbox->idx == idx))
		return;
	maildir_index_free(idx);
}

/* --- SELECT / EXAMINE ---------------------------------------------------- */

void
imap_mailbox_close(struct imap_session *s)
{
	struct imap_mailbox *mb = s->mbox;

	if (mb == NULL)
		return;
	maildir_index_free(mb->idx);
	free(mb->msgs);
	free(mb);
	s->mbox = NULL;
	s->state = IMAP_STATE_AUTH;
	imap_saved_reset(s);
}

static void
write_uid_runs(struct buf *b, const uint32_t *uids, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (b->len && b->p[b->len - 1] != ' ')
			buf_putc(b, ',');
		if (i == j)
			buf_printf(b, "%u", uids[i]);
		else
			buf_printf(b, "%u:%u", uids[i], uids[j]);
		i = j + 1;
	}
}

/* RFC 7162 3.2.5: the expunges and flag changes since modseq. */
static void
qresync_report(struct imap_session *s, uint64_t modseq,
    const struct imap_uid_range *known, size_t nknown)
{
	struct imap_mailbox *mb = s->mbox;
	struct maildir_index *idx = mb->idx;
	uint32_t *uids = NULL;
	size_t n = 0, cap = 0, i;
	struct buf b = BUF_INIT;

	if (modseq < idx->expunge_floor) {
		/* Records incomplete: every known UID that is not here. */
		uint32_t u;
		size_t r;
		if (known != NULL) {
			for (r = 0; r < nknown && n < 1000000; r++)
				for (u = known[r].lo; u <= known[r].hi && u < idx->next_uid &&
				    n < 1000000; u++) {
					if (maildir_index_find(idx, u) != NULL)
						continue;
					if (n == cap) {
						cap = cap ? cap * 2 : 64;
						uids = xreallocarray(uids, cap, sizeof(*uids));
					}
					uids[n++] = u;
				}
		} else {
			for (u = 1; u < idx->next_uid && n < 1000000; u++) {
				if (maildir_index_find(idx, u) != NULL)
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					uids = xreallocarray(uids, cap, sizeof(*uids));
				}
				uids[n++] = u;
			}
		}
	} else {
		for (i = 0; i < idx->nexpunged; i++) {
			const struct maildir_expunged *e = &idx->expunged[i];
			if (e->modseq <= modseq)
				continue;
			if (known != NULL && !imap_uidset_contains(known, nknown, e->uid))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				uids = xreallocarray(uids, cap, sizeof(*uids));
			}
			uids[n++] = e->uid;
		}
		/* sort (records are in modseq order) */
		for (i = 1; i < n; i++) {
			uint32_t v = uids[i];
			size_t j = i;
			while (j > 0 && uids[j - 1] > v) {
				uids[j] = uids[j - 1];
				j--;
			}
			uids[j] = v;
		}
	}
	if (n > 0) {
		write_uid_runs(&b, uids, n);
		imap_untagged(s, "VANISHED (EARLIER) %s", buf_cstr(&b));
		buf_reset(&b);
	}
	free(uids);
	for (i = 0; i < mb->count; i++) {
		struct imap_msg *m = &mb->msgs[i];
		if (m->modseq <= modseq)
			continue;
		if (known != NULL && !imap_uidset_contains(known, nknown, m->uid))
			continue;
		buf_printf(&b, "* %zu FETCH (UID %u FLAGS ", i + 1, m->uid);
		imap_write_flags(s, &b, m);
		buf_printf(&b, " MODSEQ (%llu))\r\n", (unsigned long long)m->modseq);
		imap_send_buf(s, &b);
	}
	buf_free(&b);
}

static void
do_select(struct imap_session *s, const struct imap_arg *args, size_t nargs,
    int readonly)
{
	char folder[512], dir[MAILDIR_PATH_MAX], err[256];
	const char *why = NULL;
	struct imap_mailbox *mb;
	struct maildir_index *idx;
	uint32_t first_recent = 0, unseen = 0;
	size_t i;
	int condstore = 0, qresync = 0;
	uint64_t q_modseq = 0;
	uint32_t q_uidvalidity = 0;
	struct imap_uid_range *known = NULL;
	size_t nknown = 0;
	struct buf b = BUF_INIT;
	unsigned long long v;

	if (nargs < 1 || nargs > 2) {
		imap_bad(s, NULL, "Mailbox name expected");
		return;
	}
	if (nargs == 2) {
		const struct imap_arg *p = &args[1];
		if (p->type != IMAP_ARG_LIST) {
			imap_bad(s, NULL, "Bad select parameters");
			return;
		}
		for (i = 0; i < p->count; i++) {
			const struct imap_arg *a = &p->list[i];
			if (imap_arg_is_atom(a, "CONDSTORE") &&
			    imap_cmd_fetch != NULL) {
				condstore = 1;
			} else if (imap_arg_is_atom(a, "QRESYNC") &&
			    i + 1 < p->count && p->list[i + 1].type == IMAP_ARG_LIST &&
			    (s->enabled & IMAP_EXT_QRESYNC)) {
				const struct imap_arg *q = &p->list[++i];
				if (q->count < 2 || q->count > 4 ||
				    imap_arg_number(&q->list[0], UINT32_MAX, &v) < 0 || v == 0) {
					imap_bad(s, NULL, "Bad QRESYNC parameters");
					return;
				}
				q_uidvalidity = (uint32_t)v;
				if (imap_arg_number(&q->list[1], (1ULL << 63) - 1, &v) < 0 ||
				    v == 0) {
					imap_bad(s, NULL, "Bad QRESYNC modseq");
					return;
				}
				q_modseq = v;
				if (q->count >= 3) {
					if (q->list[2].type != IMAP_ARG_ATOM ||
					    imap_uidset_parse(q->list[2].p, q->list[2].len,
					    UINT32_MAX, &known, &nknown) < 0) {
						imap_bad(s, NULL, "Bad QRESYNC known UIDs");
						return;
					}
				}
				/* the optional seq-match-data only narrows what
				 * we would send; we send by known UIDs */
				qresync = 1;
			} else {
				imap_bad(s, NULL, "Unknown select parameter");
				free(known);
				return;
			}
		}
	}
	if (s->mbox != NULL) {
		imap_mailbox_close(s);
		/* RFC 7162 3.2.11, RFC 9051 7.1 */
		if (s->enabled & (IMAP_EXT_QRESYNC | IMAP_EXT_REV2))
			imap_untagged(s, "OK [CLOSED] Previous mailbox closed");
	}
	if (imap_mailbox_resolve(s, &args[0], folder, sizeof(folder), dir,
	    sizeof(dir), &why) < 0) {
		free(known);
		imap_no(s, "NONEXISTENT", "%s", why);
		return;
	}
	if (folder[0] == '\0')
		(void)maildir_make(dir);
	if (!folder_exists(dir)) {
		free(known);
		imap_no(s, "NONEXISTENT", "No such mailbox");
		return;
	}
	/* one sync: open and claim \Recent under one lock, one write */
	idx = readonly ? maildir_index_open(dir, err, sizeof(err)) :
	    maildir_index_open_claim(dir, &first_recent, err, sizeof(err));
	if (idx == NULL) {
		log_warn("select_failed", "dir=%s error=\"%s\"", dir, err);
		free(known);
		imap_no(s, "SERVERBUG", "Cannot open mailbox");
		return;
	}
	if (readonly)
		first_recent = UINT32_MAX;
	mb = xcalloc(1, sizeof(*mb));
	snprintf(mb->name, sizeof(mb->name), "%s", args[0].p);
	memcpy(mb->folder, folder, strlen(folder) + 1);
	memcpy(mb->dir, dir, strlen(dir) + 1);
	mb->idx = idx;
	mb->readonly = readonly;
	mb->uidvalidity = idx->uidvalidity;
	mb->uidnext = idx->next_uid;
	mb->highest_modseq = idx->highest_modseq;
	mb->cap = idx->count ? idx->count : 16;
	mb->msgs = xcalloc(mb->cap, sizeof(*mb->msgs));
	for (i = 0; i < idx->count; i++) {
		struct imap_msg *m = &mb->msgs[i];
		const struct maildir_msg *f = &idx->msgs[i];
		m->uid = f->uid;
		m->flags = f->flags;
		m->keywords = f->keywords;
		m->modseq = f->modseq;
		if (f->uid >= first_recent) {
			m->recent = 1;
			mb->recent++;
		}
		if (!(f->flags & MAILDIR_FLAG_SEEN) && unseen == 0)
			unseen = (uint32_t)i + 1;
	}
	mb->count = idx->count;
	mb->exists_sent = (int)mb->count;
	s->mbox = mb;
	s->state = IMAP_STATE_SELECTED;
	imap_saved_reset(s);
	if (condstore || qresync)
		s->enabled |= IMAP_EXT_CONDSTORE;

	imap_write_flag_lists(s, &b);
	buf_printf(&b, "* %zu EXISTS\r\n", mb->count);
	if (!imap_rev2(s)) {
		buf_printf(&b, "* %zu RECENT\r\n", mb->recent);
		if (unseen)
			buf_printf(&b, "* OK [UNSEEN %u] First unseen\r\n", unseen);
	}
	buf_printf(&b, "* OK [UIDVALIDITY %u] UIDs valid\r\n", mb->uidvalidity);
	buf_printf(&b, "* OK [UIDNEXT %u] Predicted next UID\r\n", mb->uidnext);
	if (imap_cmd_fetch != NULL)
		buf_printf(&b, "* OK [HIGHESTMODSEQ %llu] Highest\r\n",
		    (unsigned long long)mb->highest_modseq);
	if (imap_rev2(s)) {
		struct buf n = BUF_INIT;
		buf_puts(&b, "* LIST () \".\" ");
		imap_name_from_folder(1, folder, strlen(folder), &n);
		imap_write_mailbox(s, &b, n.p, n.len);
		buf_puts(&b, "\r\n");
		buf_free(&n);
	}
	imap_send_buf(s, &b);
	buf_free(&b);
	if (qresync && q_uidvalidity == mb->uidvalidity)
		qresync_report(s, q_modseq, known, nknown);
	free(known);
	imap_ok(s, readonly ? "READ-ONLY" : "READ-WRITE", "%s completed",
	    readonly ? "EXAMINE" : "SELECT");
}

void
imap_cmd_select(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	do_select(s, args, nargs, 0);
}

void
imap_cmd_examine(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	do_select(s, args, nargs, 1);
}

/* The UIDs of the view whose file has \Deleted now (read under the
 * lock, so a flag set by another session a moment ago counts); only those
 * in sel (ascending UIDs) when sel is not NULL. */
static int
uid_in(const uint32_t *sel, size_t nsel, uint32_t uid)
{
	size_t lo = 0, hi = nsel;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sel[mid] == uid)
			return 1;
		if (sel[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static uint32_t *
deleted_uids(struct imap_session *s, const uint32_t *sel, size_t nsel,
    size_t *n)
{
	struct imap_mailbox *mb = s->mbox;
	uint32_t *uids = NULL;
	size_t i, count = 0;

	*n = 0;
	if (maildir_index_sync(mb->idx, 0, NULL) < 0)
		return NULL;
	uids = xcalloc(mb->count ? mb->count : 1, sizeof(*uids));
	for (i = 0; i < mb->count; i++) {
		const struct maildir_msg *f;
		if (mb->msgs[i].expunged)
			continue;
		f = maildir_index_find(mb->idx, mb->msgs[i].uid);
		if (f == NULL || !(f->flags & MAILDIR_FLAG_TRASHED))
			continue;
		if (sel != NULL && !uid_in(sel, nsel, f->uid))
			continue;
		uids[count++] = f->uid;
	}
	*n = count;
	return uids;
}

/* CLOSE: every \Deleted message goes, silently (RFC 3501 6.4.2), also
 * those that arrived after the last update the client saw. */
static void
close_expunge(struct imap_session *s)
{
	struct maildir_index *idx = s->mbox->idx;
	int64_t bytes = 0, msgs = 0;
	size_t i;

	if (maildir_index_begin(idx) < 0)
		return;
	if (maildir_index_sync(idx, 0, NULL) == 0) {
		uint32_t *uids = xcalloc(idx->count ? idx->count : 1, sizeof(*uids));
		size_t n = 0;
		for (i = 0; i < idx->count; i++)
			if (idx->msgs[i].flags & MAILDIR_FLAG_TRASHED) {
				uint64_t sz = 0;
				if (maildir_name_size(idx->msgs[i].name,
				    idx->msgs[i].name_len, &sz) == 0)
					bytes += (int64_t)sz;
				msgs++;
				uids[n++] = idx->msgs[i].uid;
			}
		for (i = 0; i < n; i++)
			(void)maildir_index_expunge(idx, uids[i]);
		free(uids);
	}
	(void)maildir_index_end(idx);
	if (msgs > 0)
		imap_quota_add(s, -bytes, -msgs);
}

void
imap_cmd_close(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	(void)args;
	if (nargs != 0) {
		imap_bad(s, NULL, "CLOSE takes no arguments");
		return;
	}
	if (!s->mbox->readonly)
		close_expunge(s);
	imap_mailbox_close(s);
	imap_ok(s, NULL, "CLOSE completed");
}

void
imap_cmd_unselect(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	(void)args;
	if (nargs != 0) {
		imap_bad(s, NULL, "UNSELECT takes no arguments");
		return;
	}
	imap_mailbox_close(s);
	imap_ok(s, NULL, "UNSELECT completed");
}

/* EXPUNGE, and UID EXPUNGE (RFC 4315 2.1 / RFC 9051 6.4.9). */
void
imap_cmd_expunge(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	uint32_t *sel = NULL, *uids;
	size_t nsel = 0, n = 0, i;
	const char *why = NULL;

	if (s->uid) {
		/* a UID set, "$" (SEARCHRES) too; UIDs not in the view skipped */
		if (nargs != 1 || args[0].type != IMAP_ARG_ATOM ||
		    imap_seqset_resolve(s, &args[0], 1, &sel, &nsel, &why) < 0) {
			free(sel);
			imap_bad(s, NULL, "UID EXPUNGE needs a UID set%s%s",
			    why ? ": " : "", why ? why : "");
			return;
		}
		/* sequence numbers now, UIDs before the view changes below */
		for (i = 0; i < nsel; i++)
			sel[i] = imap_view_get(s, sel[i])->uid;
	} else if (nargs != 0) {
		imap_bad(s, NULL, "EXPUNGE takes no arguments");
		return;
	}
	if (s->mbox->readonly) {
		free(sel);
		imap_no(s, "READ-ONLY", "Mailbox is read-only");
		return;
	}
	/* Bring the client up to date first (EXISTS for what arrived), so
	 * the EXPUNGE numbers below refer to messages it knows. */
	imap_mailbox_update(s, 1);
	if (s->uid && nsel == 0) {
		/* no message of the set is in the view: nothing to expunge */
		free(sel);
		imap_ok(s, NULL, "EXPUNGE completed");
		return;
	}
	uids = deleted_uids(s, s->uid ? sel : NULL, nsel, &n);
	free(sel);
	if (uids == NULL) {
		imap_no(s, "SERVERBUG", "Cannot read mailbox");
		return;
	}
	if (n > 0 && imap_view_expunge(s, uids, n, 0) < 0) {
		free(uids);
		imap_no(s, "SERVERBUG", "Expunge failed");
		return;
	}
	free(uids);
	imap_ok(s, NULL, "EXPUNGE completed");
}

/* --- CREATE, DELETE, RENAME ---------------------------------------------- */

void
imap_cmd_create(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	char folder[512], dir[MAILDIR_PATH_MAX];
	const char *why = NULL;
	struct imap_arg a;

	if (nargs != 1 || !imap_arg_is_astring(&args[0])) {
		imap_bad(s, NULL, "CREATE needs a mailbox name");
		return;
	}
	/* RFC 3501 6.3.3: a trailing delimiter only says more will follow */
	a = args[0];
	if (a.len > 1 && a.p[a.len - 1] == IMAP_DELIM)
		a.len--;
	{
		char tmp[IMAP_NAME_MAX + 1];
		if (a.len > IMAP_NAME_MAX) {
			imap_no(s, "CANNOT", "Mailbox name too long");
			return;
		}
		memcpy(tmp, a.p, a.len);
		tmp[a.len] = '\0';
		a.p = tmp;
		if (imap_mailbox_resolve(s, &a, folder, sizeof(folder), dir,
		    sizeof(dir), &why) < 0) {
			imap_no(s, "CANNOT", "%s", why);
			return;
		}
	}
	if (folder[0] == '\0') {
		imap_no(s, "ALREADYEXISTS", "INBOX always exists");
		return;
	}
	if (maildir_folder_create(s->root, folder) < 0) {
		if (errno == EEXIST)
			imap_no(s, "ALREADYEXISTS", "Mailbox exists");
		else
			imap_no(s, "CANNOT", "Cannot create mailbox: %s",
			    strerror(errno));
		return;
	}
	log_info("create", "folder=%s", folder);
	imap_ok(s, NULL, "CREATE completed");
}

void
imap_cmd_delete(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	char folder[512], dir[MAILDIR_PATH_MAX];
	const char *why = NULL;

	if (nargs != 1) {
		imap_bad(s, NULL, "DELETE needs a mailbox name");
		return;
	}
	if (imap_mailbox_resolve(s, &args[0], folder, sizeof(folder), dir,
	    sizeof(dir), &why) < 0) {
		imap_no(s, "NONEXISTENT", "%s", why);
		return;
	}
	if (folder[0] == '\0') {
		imap_no(s, "CANNOT", "INBOX cannot be deleted");
		return;
	}
	if (!folder_exists(dir)) {
		imap_no(s, "NONEXISTENT", "No such mailbox");
		return;
	}
	if (s->mbox != NULL && strcmp(s->mbox->dir, dir) == 0) {
		imap_mailbox_close(s);
		imap_untagged(s, "OK [CLOSED] Mailbox deleted");
	}
	if (maildir_folder_delete(s->root, folder) < 0) {
		imap_no(s, errno == ENOENT ? "NONEXISTENT" : "CANNOT",
		    "Cannot delete mailbox: %s", strerror(errno));
		return;
	}
	(void)imap_subscription_set(s, folder, 0);
	log_info("delete", "folder=%s", folder);
	imap_ok(s, NULL, "DELETE completed");
}

/* RFC 3501 6.3.5: renaming INBOX moves its messages into a new mailbox
 * and leaves INBOX empty (its subfolders stay). */
static int
rename_inbox(struct imap_session *s, const char *newfolder, const char *newdir)
{
	struct maildir_listing l;
	size_t i;
	int rc = 0;

	if (maildir_folder_create(s->root, newfolder) < 0)
		return -1;
	if (maildir_list(s->root, 0, &l) < 0)
		return -1;
	for (i = 0; i < l.count; i++) {
		char from[MAILDIR_PATH_MAX], to[MAILDIR_PATH_MAX];
		const struct maildir_entry *e = &l.entries[i];
		if (maildir_message_path(s->root, e->name, e->in_new, from,
		    sizeof(from)) < 0 ||
		    maildir_message_path(newdir, e->name, e->in_new, to,
		    sizeof(to)) < 0)
			continue;
		if (rename(from, to) < 0 && errno != ENOENT)
			rc = -1;
	}
	maildir_listing_free(&l);
	return rc;
}

void
imap_cmd_rename(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	char of[512], od[MAILDIR_PATH_MAX], nf[512], nd[MAILDIR_PATH_MAX];
	const char *why = NULL;
	size_t olen;

	if (nargs != 2) {
		imap_bad(s, NULL, "RENAME needs two mailbox names");
		return;
	}
	if (imap_mailbox_resolve(s, &args[0], of, sizeof(of), od, sizeof(od),
	    &why) < 0) {
		imap_no(s, "NONEXISTENT", "%s", why);
		return;
	}
	if (imap_mailbox_resolve(s, &args[1], nf, sizeof(nf), nd, sizeof(nd),
	    &why) < 0) {
		imap_no(s, "CANNOT", "%s", why);
		return;
	}
	if (nf[0] == '\0') {
		imap_no(s, "ALREADYEXISTS", "INBOX exists");
		return;
	}
	if (of[0] != '\0' && !folder_exists(od)) {
		imap_no(s, "NONEXISTENT", "No such mailbox");
		return;
	}
	if (folder_exists(nd)) {
		imap_no(s, "ALREADYEXISTS", "Target mailbox exists");
		return;
	}
	olen = strlen(of);
	if (of[0] != '\0' && strncmp(nf, of, olen) == 0 &&
	    (nf[olen] == '\0' || nf[olen] == IMAP_DELIM)) {
		imap_no(s, "CANNOT", "Cannot rename a mailbox into itself");
		return;
	}
	/* The selected mailbox (or one under it) moves away: leave it.
	 * (INBOX stays; its messages leaving show up as expunges.) */
	if (s->mbox != NULL && of[0] != '\0' &&
	    (strcmp(s->mbox->folder, of) == 0 ||
	    (strncmp(s->mbox->folder, of, olen) == 0 &&
	    s->mbox->folder[olen] == IMAP_DELIM))) {
		imap_mailbox_close(s);
		imap_untagged(s, "OK [CLOSED] Mailbox renamed");
	}
	if (of[0] == '\0') {
		if (rename_inbox(s, nf, nd) < 0) {
			imap_no(s, errno == EEXIST ? "ALREADYEXISTS" : "CANNOT",
			    "Cannot rename INBOX: %s", strerror(errno));
			return;
		}
	} else if (maildir_folder_rename(s->root, of, nf) < 0) {
		imap_no(s, errno == EEXIST ? "ALREADYEXISTS" :
		    errno == ENOENT ? "NONEXISTENT" : "CANNOT",
		    "Cannot rename mailbox: %s", strerror(errno));
		return;
	}
	/* INBOX stays (only its messages move), so its subscription does */
	if (of[0] != '\0' && imap_subscriptions_rename(s, of, nf) < 0)
		log_warn("rename_subscriptions", "from=%s to=%s error=\"%s\"",
		    of, nf, strerror(errno));
	log_info("rename", "from=%s to=%s", of[0] ? of : "INBOX", nf);
	imap_ok(s, NULL, "RENAME completed");
}

/* --- SUBSCRIBE / UNSUBSCRIBE --------------------------------------------- */

static void
subscribe(struct imap_session *s, const struct imap_arg *args, size_t nargs,
    int on)
{
	char folder[512], dir[MAILDIR_PATH_MAX];
	const char *why = NULL;

	if (nargs != 1) {
		imap_bad(s, NULL, "Mailbox name expected");
		return;
	}
	if (imap_mailbox_resolve(s, &args[0], folder, sizeof(folder), dir,
	    sizeof(dir), &why) < 0) {
		imap_no(s, "CANNOT", "%s", why);
		return;
	}
	if (on && folder[0] != '\0' && !folder_exists(dir)) {
		imap_no(s, "NONEXISTENT", "No such mailbox");
		return;
	}
	if (imap_subscription_set(s, folder[0] ? folder : "INBOX", on) < 0) {
		imap_no(s, "SERVERBUG", "Cannot update subscriptions");
		return;
	}
	imap_ok(s, NULL, "%s completed", on ? "SUBSCRIBE" : "UNSUBSCRIBE");
}

void
imap_cmd_subscribe(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	subscribe(s, args, nargs, 1);
}

void
imap_cmd_unsubscribe(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	subscribe(s, args, nargs, 0);
}

/* --- STATUS, NAMESPACE ---------------------------------------------------- */

int
imap_status_items_check(struct imap_session *s, const struct imap_arg *list,
    const char **why)
{
	size_t i;

	*why = "Bad status item";
	if (list->type != IMAP_ARG_LIST || list->count == 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < list->count; i++) {
		const struct imap_arg *a = &list->list[i];
		/* RFC 9051 6.3.11 and 9 (status-att): IMAP4rev2 has no
		 * RECENT item (nor the \Recent flag); after ENABLE IMAP4rev2
		 * it is a syntax error, answered BAD */
		if (imap_arg_is_atom(a, "RECENT") && imap_rev2(s)) {
			*why = "RECENT is not a STATUS item in IMAP4rev2";
			errno = EINVAL;
			return -1;
		}
		if (!(imap_arg_is_atom(a, "MESSAGES") || imap_arg_is_atom(a, "RECENT") ||
		    imap_arg_is_atom(a, "UIDNEXT") || imap_arg_is_atom(a, "UIDVALIDITY") ||
		    imap_arg_is_atom(a, "UNSEEN") || imap_arg_is_atom(a, "DELETED") ||
		    imap_arg_is_atom(a, "SIZE") ||
		    (imap_arg_is_atom(a, "HIGHESTMODSEQ") && imap_cmd_fetch != NULL))) {
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

int
imap_status_items(struct imap_session *s, const char *dir,
    const struct imap_arg *list, struct buf *out, const char **why)
{
	struct maildir_index *idx;
	size_t i;
	const char *sep = "";

	if (imap_status_items_check(s, list, why) < 0)
		return -1;
	idx = imap_index_get(s, dir);
	if (idx == NULL) {
		*why = "No such mailbox";
		return -1;
	}
	if (maildir_index_sync(idx, 0, NULL) < 0) {
		imap_index_release(s, idx);
		*why = "Cannot read mailbox";
		errno = EIO;
		return -1;
	}
	buf_putc(out, '(');
	for (i = 0; i < list->count; i++) {
		const struct imap_arg *a = &list->list[i];
		unsigned long long v = 0;
		size_t k;
		if (imap_arg_is_atom(a, "MESSAGES"))
			v = idx->count;
		else if (imap_arg_is_atom(a, "RECENT")) {
			for (k = 0; k < idx->count; k++)
				if (idx->msgs[k].uid >= idx->recent_uid)
					v++;
		} else if (imap_arg_is_atom(a, "UIDNEXT"))
			v = idx->next_uid;
		else if (imap_arg_is_atom(a, "UIDVALIDITY"))
			v = idx->uidvalidity;
		else if (imap_arg_is_atom(a, "UNSEEN")) {
			for (k = 0; k < idx->count; k++)
				if (!(idx->msgs[k].flags & MAILDIR_FLAG_SEEN))
					v++;
		} else if (imap_arg_is_atom(a, "DELETED")) {
			for (k = 0; k < idx->count; k++)
				if (idx->msgs[k].flags & MAILDIR_FLAG_TRASHED)
					v++;
		} else if (imap_arg_is_atom(a, "SIZE")) {
			for (k = 0; k < idx->count; k++) {
				uint64_t sz = 0;
				const struct maildir_msg *f = &idx->msgs[k];
				if (maildir_name_vsize(f->name, f->name_len, &sz) < 0) {
					char path[MAILDIR_PATH_MAX];
					struct stat st;
					if (maildir_index_path(idx, f, path, sizeof(path)) == 0 &&
					    stat(path, &st) == 0)
						sz = (uint64_t)st.st_size;
				}
				v += sz;
			}
		} else if (imap_arg_is_atom(a, "HIGHESTMODSEQ"))
			v = idx->highest_modseq;
		{
			char name[32];
			size_t n = a->len < sizeof(name) - 1 ? a->len : sizeof(name) - 1;
			for (k = 0; k < n; k++)
				name[k] = (char)((a->p[k] >= 'a' && a->p[k] <= 'z') ?
				    a->p[k] - 32 : a->p[k]);
			name[n] = '\0';
			buf_printf(out, "%s%s %llu", sep, name, v);
		}
		sep = " ";
	}
	buf_putc(out, ')');
	imap_index_release(s, idx);
	return 0;
}

void
imap_cmd_status(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	char folder[512], dir[MAILDIR_PATH_MAX];
	const char *why = NULL;
	struct buf b = BUF_INIT, n = BUF_INIT;

	if (nargs != 2 || args[1].type != IMAP_ARG_LIST) {
		imap_bad(s, NULL, "STATUS needs a mailbox and a list of items");
		return;
	}
	if (imap_mailbox_resolve(s, &args[0], folder, sizeof(folder), dir,
	    sizeof(dir), &why) < 0) {
		imap_no(s, "NONEXISTENT", "%s", why);
		return;
	}
	buf_puts(&b, "* STATUS ");
	imap_name_from_folder(imap_utf8(s), folder, strlen(folder), &n);
	imap_write_mailbox(s, &b, n.p, n.len);
	buf_putc(&b, ' ');
	if (imap_status_items(s, dir, &args[1], &b, &why) < 0) {
		int e = errno;
		buf_free(&b);
		buf_free(&n);
		if (e == EINVAL)
			imap_bad(s, NULL, "%s", why);
		else
			imap_no(s, e == ENOENT ? "NONEXISTENT" : "SERVERBUG", "%s", why);
		return;
	}
	buf_puts(&b, "\r\n");
	imap_send_buf(s, &b);
	buf_free(&b);
	buf_free(&n);
	imap_ok(s, NULL, "STATUS completed");
}

void
imap_cmd_namespace(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	(void)args;
	if (nargs != 0) {
		imap_bad(s, NULL, "NAMESPACE takes no arguments");
		return;
	}
	imap_untagged(s, "NAMESPACE ((\"\" \".\")) NIL NIL");
	imap_ok(s, NULL, "NAMESPACE completed");
}
