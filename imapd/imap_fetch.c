/* imap_fetch.c: FETCH and UID FETCH (RFC 3501 6.4.5, RFC 9051 6.4.5):
 * the data items (FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY,
 * BODYSTRUCTURE, BODY[section]<partial>, BODY.PEEK, BINARY[...],
 * BINARY.PEEK, BINARY.SIZE, RFC822, RFC822.HEADER, RFC822.TEXT, UID,
 * MODSEQ, the ALL/FAST/FULL macros), the CHANGEDSINCE and VANISHED
 * modifiers (RFC 7162), and \Seen set by non-PEEK body fetches.
 * ENVELOPE/BODY/BODYSTRUCTURE come from the parse-result cache
 * (imap_msgcache.c); sections from the message parsed per FETCH. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include "imap_msgcmd.h"
#include "imap_quote.h"
#include "imap_section.h"
#include "imap_seqset.h"
#include "log.h"
#include "imap_fetch_items.h"

static void
write_internaldate(struct buf *out, int64_t t)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t tt = (time_t)t;
	struct tm tm;
	long off;
	char sign = '+';

	if (localtime_r(&tt, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_mday = 1;
		tm.tm_year = 70;
	}
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	buf_printf(out, "\"%02d-%.3s-%04d %02d:%02d:%02d %c%02ld%02ld\"",
	    tm.tm_mday, mon + 3 * (tm.tm_mon % 12), tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60, off % 60);
}

/* INTERNALDATE by stat() of the path (cheaper than the open + fstat of
 * imap_msg_internaldate, which stays the fallback when the file moved). */
static void
fill_date(struct imap_session *s, struct imap_msg *m)
{
	const struct maildir_msg *f;
	char path[MAILDIR_PATH_MAX];
	struct stat st;

	if (m->have_date || (f = imap_msg_file(s, m)) == NULL ||
	    maildir_index_path(s->mbox->idx, f, path, sizeof(path)) < 0 ||
	    stat(path, &st) < 0)
		return;
	m->internaldate = st.st_mtime;
	m->have_date = 1;
}

/* BODY[section] data: the section octets through imap_section_fetch. */
static void
write_section(const struct message *msg, struct fitem *it, struct buf *out)
{
	struct buf data = BUF_INIT;
	int r;

	buf_printf(out, "%s ", it->name);
	if (it->kind == F_BINARY_SIZE) {
		r = imap_binary_fetch(msg, &it->sec, &data);
		buf_printf(out, "%zu", r < 0 ? (size_t)0 : data.len);
	} else if (it->kind == F_BINARY) {
		r = imap_binary_fetch(msg, &it->sec, &data);
		if (r < 0)
			buf_puts(out, "NIL");
		else
			imap_partial_write(data.p ? data.p : "", data.len,
			    it->origin, it->partial ? it->count : (size_t)-1,
			    1, out);
	} else {
		r = imap_section_fetch(msg, &it->sec, &data);
		if (r < 0)
			buf_puts(out, "NIL");
		else
			imap_partial_write(data.p ? data.p : "", data.len,
			    it->origin, it->partial ? it->count : (size_t)-1,
			    0, out);
	}
	buf_free(&data);
}

static void
write_whole(const struct message *msg, const char *name,
    enum imap_section_kind kind, struct buf *out)
{
	struct imap_section sec;
	struct buf data = BUF_INIT;

	memset(&sec, 0, sizeof(sec));
	sec.kind = kind;
	buf_printf(out, "%s ", name);
	if (imap_section_fetch(msg, &sec, &data) < 0)
		buf_puts(out, "NIL");
	else
		imap_write_literal(out, data.p ? data.p : "", data.len);
	buf_free(&data);
}

/* A BINARY fetch of a part in an unknown encoding (RFC 3516 4.3): 1;
 * of a base64/QP part that is not well formed: 2 (the fetch fails, as
 * Dovecot's does, rather than send damaged octets); else 0. */
static int
binary_refused(const struct message *msg, struct freq *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->items[i].kind == F_BINARY ||
		    r->items[i].kind == F_BINARY_SIZE) {
			struct buf d = BUF_INIT;
			int rc = imap_binary_fetch(msg, &r->items[i].sec, &d);
			buf_free(&d);
			if (rc == -2)
				return 1;
			if (!imap_binary_decodable(msg, &r->items[i].sec))
				return 2;
		}
	return 0;
}

/* One message's response.  0 sent, 1 gone (expunged), 2 unknown CTE,
 * 3 a BINARY part that can not be decoded.
 * whole: not NULL when only whole-message items need the file
 * (imap_fetch_whole_only): it is read there, not parsed. */
static int
fetch_one(struct imap_session *s, uint32_t seq, struct freq *r,
    struct buf *out, struct buf *whole)
{
	struct imap_msg *m = imap_view_get(s, seq);
	struct message *msg = NULL;
	struct imap_cached cached;
	int seen_set = 0, have_cache = 0;
	const char *sep = "";
	size_t i;

	memset(&cached, 0, sizeof(cached));
	if (m->expunged && (r->need_msg || r->need_cache))
		return 1;
	if (r->need_msg && whole != NULL) {
		int rc = imap_fetch_whole_load(s, m, whole);
		if (rc < 0)
			return 1;
		if (rc == 1)
			whole = NULL;     /* large: the general path below */
	}
	if (r->need_msg && whole == NULL) {
		msg = imap_msg_parse(s, m);
		if (msg == NULL)
			return 1;
		int refused = binary_refused(msg, r);
		if (refused != 0) {
			message_free(msg);
			return refused == 1 ? 2 : 3;
		}
	}
	if (r->need_cache) {
		if (imap_cached_get(s, m, msg, &cached) < 0) {
			if (msg)
				message_free(msg);
			return 1;
		}
		have_cache = 1;
	}
	if (r->sets_seen && !s->mbox->readonly &&
	    !(m->flags & MAILDIR_FLAG_SEEN)) {
		if (imap_msg_store(s, m, MAILDIR_STORE_ADD, MAILDIR_FLAG_SEEN,
		    0, 0) == 0)
			seen_set = 1;
	}
	buf_printf(out, "* %u FETCH (", seq);
	if (r->want_uid) {
		buf_printf(out, "UID %u", m->uid);
		sep = " ";
	}
	for (i = 0; i < r->n; i++) {
		struct fitem *it = &r->items[i];
		int64_t date;
		uint64_t size;

		if (it->kind == F_UID)
			continue;   /* written first */
		buf_puts(out, sep);
		sep = " ";
		switch (it->kind) {
		case F_FLAGS:
			buf_puts(out, "FLAGS ");
			imap_write_flags(s, out, m);
			break;
		case F_INTERNALDATE:
			fill_date(s, m);
			if (imap_msg_internaldate(s, m, &date) < 0)
				goto gone;
			buf_puts(out, "INTERNALDATE ");
			write_internaldate(out, date);
			break;
		case F_SIZE:
			if (msg != NULL)
				size = msg->size;
			else if (imap_cached_size(s, m, &size) < 0)
				goto gone;
			buf_printf(out, "RFC822.SIZE %llu",
			    (unsigned long long)size);
			break;
		case F_ENVELOPE:
			buf_puts(out, "ENVELOPE ");
			buf_append(out, cached.env, cached.envlen);
			break;
		case F_BODY:
			buf_puts(out, "BODY ");
			buf_append(out, cached.body, cached.bodylen);
			break;
		case F_BODYSTRUCTURE:
			buf_puts(out, "BODYSTRUCTURE ");
			buf_append(out, cached.bs, cached.bslen);
			break;
		case F_MODSEQ:
			buf_printf(out, "MODSEQ (%llu)",
			    (unsigned long long)m->modseq);
			break;
		case F_SECTION:
		case F_BINARY:
		case F_BINARY_SIZE:
			if (whole != NULL && imap_fetch_whole_item(it)) {
				buf_printf(out, "%s ", it->name);
				imap_fetch_whole_write(whole->p, whole->len, out);
			} else
				write_section(msg, it, out);
			break;
		case F_RFC822:
			if (whole != NULL) {
				buf_puts(out, "RFC822 ");
				imap_fetch_whole_write(whole->p, whole->len, out);
			} else
				write_whole(msg, "RFC822", IMAP_SECTION_ALL, out);
			break;
		case F_RFC822_HEADER:
			write_whole(msg, "RFC822.HEADER", IMAP_SECTION_HEADER, out);
			break;
		case F_RFC822_TEXT:
			write_whole(msg, "RFC822.TEXT", IMAP_SECTION_TEXT, out);
			break;
		default:
			break;
		}
	}
	if (seen_set && !r->want_flags) {
		buf_printf(out, "%sFLAGS ", sep);
		imap_write_flags(s, out, m);
		sep = " ";
	}
	if (imap_condstore(s) && !r->want_modseq && seen_set)
		buf_printf(out, "%sMODSEQ (%llu)", sep,
		    (unsigned long long)m->modseq);
	buf_puts(out, ")\r\n");
	imap_send_buf(s, out);
	if (msg)
		message_free(msg);
	if (have_cache)
		imap_cached_free(&cached);
	return 0;
gone:
	buf_reset(out);
	if (msg)
		message_free(msg);
	if (have_cache)
		imap_cached_free(&cached);
	return 1;
}

/* VANISHED (EARLIER) for UID FETCH ... (CHANGEDSINCE n VANISHED): the
 * expunged UIDs of the set whose expunge came after n (RFC 7162 3.2.6). */
static void
send_vanished(struct imap_session *s, const struct imap_arg *setarg,
    uint64_t since)
{
	struct maildir_index *idx = s->mbox->idx;
	struct imap_seqset set;
	uint32_t *v;
	size_t i, n = 0;
	struct buf b = BUF_INIT;

	if (imap_seqset_parse(setarg->p, setarg->len, UINT32_MAX, 0, &set) < 0) {
		imap_seqset_free(&set);
		return;
	}
	v = xcalloc(idx->nexpunged + 1, sizeof(*v));
	for (i = 0; i < idx->nexpunged; i++)
		if (idx->expunged[i].modseq > since &&
		    imap_seqset_contains(&set, idx->expunged[i].uid) &&
		    imap_view_seq(s, idx->expunged[i].uid) == 0)
			v[n++] = idx->expunged[i].uid;
	imap_seqset_free(&set);
	if (n > 0) {
		/* sort (expunged[] is in MODSEQ order) */
		size_t a, c;
		for (a = 1; a < n; a++) {
			uint32_t x = v[a];
			for (c = a; c > 0 && v[c - 1] > x; c--)
				v[c] = v[c - 1];
			v[c] = x;
		}
		buf_puts(&b, "* VANISHED (EARLIER) ");
		imap_seqset_write(&b, v, n);
		buf_puts(&b, "\r\n");
		imap_send_buf(s, &b);
	}
	buf_free(&b);
	free(v);
}

void
imap_cmd_fetch(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	struct freq r;
	uint32_t *seqs = NULL;
	size_t nseqs = 0, i;
	const char *why = NULL;
	unsigned long long changedsince = 0;
	int have_changedsince = 0, vanished = 0, gone = 0, badcte = 0;
	int baddata = 0;
	struct buf out = BUF_INIT, whole = BUF_INIT;
	int whole_only;

	memset(&r, 0, sizeof(r));
	if (nargs < 2 || nargs > 3) {
		imap_bad(s, NULL, "FETCH needs a message set and data items");
		return;
	}
	if (args[1].type == IMAP_ARG_LIST) {
		if (args[1].count == 0)
			goto bad_items;
		for (i = 0; i < args[1].count; i++)
			if (imap_fetch_item_parse(&r, &args[1].list[i], 0) < 0)
				goto bad_items;
	} else if (imap_fetch_item_parse(&r, &args[1], 1) < 0)
		goto bad_items;
	if (nargs == 3) {
		const struct imap_arg *mod = &args[2];
		if (mod->type != IMAP_ARG_LIST || mod->count == 0)
			goto bad_mod;
		for (i = 0; i < mod->count; i++) {
			if (imap_arg_is_atom(&mod->list[i], "CHANGEDSINCE") &&
			    i + 1 < mod->count && !have_changedsince) {
				if (!imap_arg_number(&mod->list[i + 1],
				    (1ULL << 63) - 1, &changedsince))
					goto bad_mod;
				have_changedsince = 1;
				i++;
			} else if (imap_arg_is_atom(&mod->list[i], "VANISHED") &&
			    !vanished)
				vanished = 1;
			else
				goto bad_mod;
		}
		if (vanished && (!s->uid || !have_changedsince ||
		    !(s->enabled & IMAP_EXT_QRESYNC))) {
			imap_fetch_items_free(&r);
			imap_bad(s, NULL, "VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC");
			return;
		}
	}
	for (i = 0; i < r.n; i++) {
		if (r.items[i].kind == F_UID)
			r.want_uid = 1;
		if (r.items[i].kind == F_FLAGS)
			r.want_flags = 1;
		if (r.items[i].kind == F_MODSEQ)
			r.want_modseq = 1;
	}
	if (s->uid)
		r.want_uid = 1;
	if (have_changedsince && !r.want_modseq) {
		if (imap_fetch_item_add(&r, F_MODSEQ) == NULL)
			goto bad_items;
		r.want_modseq = 1;
	}
	if (r.want_modseq || have_changedsince)
		imap_condstore_enable(s);
	if (imap_seqset_resolve(s, &args[0], s->uid, &seqs, &nseqs, &why) < 0) {
		imap_fetch_items_free(&r);
		imap_bad(s, NULL, "%s", why);
		return;
	}
	if (vanished)
		send_vanished(s, &args[0], changedsince);
	whole_only = imap_fetch_whole_only(&r);
	for (i = 0; i < nseqs; i++) {
		struct imap_msg *m = imap_view_get(s, seqs[i]);
		int rc;
		if (have_changedsince && m->modseq <= changedsince)
			continue;
		rc = fetch_one(s, seqs[i], &r, &out,
		    whole_only ? &whole : NULL);
		if (rc == 1)
			gone = 1;
		else if (rc == 2)
			badcte = 1;
		else if (rc == 3)
			baddata = 1;
	}
	imap_cache_flush(s);
	free(seqs);
	buf_free(&out);
	buf_free(&whole);
	imap_fetch_items_free(&r);
	if (badcte)
		imap_no(s, "UNKNOWN-CTE", "Can not decode the part's content");
	else if (baddata)
		imap_no(s, "PARSE", "Invalid data in MIME part");
	else if (gone)
		imap_no(s, "EXPUNGEISSUED", "Some messages were expunged");
	else
		imap_ok(s, NULL, "%sFETCH completed", s->uid ? "UID " : "");
	return;
bad_items:
	imap_fetch_items_free(&r);
	imap_bad(s, NULL, "Invalid FETCH data items");
	return;
bad_mod:
	imap_fetch_items_free(&r);
	imap_bad(s, NULL, "Invalid FETCH modifiers");
}
