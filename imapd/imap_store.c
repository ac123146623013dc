/* imap_store.c: STORE and UID STORE (RFC 3501 6.4.6, RFC 9051 6.4.6):
 * FLAGS, +FLAGS, -FLAGS with .SILENT, system flags and keywords, and the
 * UNCHANGEDSINCE modifier of CONDSTORE (RFC 7162 3.1.3) with the MODIFIED
 * response code.  Changes go through the index under its lock
 * (imap_msg_store), so a concurrent change by another session is never
 * lost. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "imap_msgcmd.h"
#include "imap_seqset.h"
#include "log.h"

static int
parse_flags(struct imap_session *s, const struct imap_arg *a, size_t n,
    int create, unsigned *flags, uint32_t *keywords)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].type != IMAP_ARG_ATOM ||
		    imap_parse_flag(s, a[i].p, a[i].len, create, flags,
		    keywords) < 0)
			return -1;
	return 0;
}

void
imap_cmd_store(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	const struct imap_arg *item, *fl;
	size_t nfl, i, nseqs = 0, nmod = 0;
	uint32_t *seqs = NULL, *modified = NULL;
	unsigned flags = 0;
	uint32_t keywords = 0;
	unsigned long long unchangedsince = 0;
	int have_unchanged = 0, silent = 0, gone = 0, failed = 0;
	/* RFC 7162 3.2: with QRESYNC every FETCH response carries UID */
	int want_uid = s->uid || (s->enabled & IMAP_EXT_QRESYNC);
	enum maildir_store_mode mode;
	const char *why, *name;
	struct buf out = BUF_INIT;

	if (nargs < 3) {
		imap_bad(s, NULL, "STORE needs a message set, an item and flags");
		return;
	}
	item = &args[1];
	if (item->type == IMAP_ARG_LIST) {
		/* (UNCHANGEDSINCE n) */
		if (item->count != 2 ||
		    !imap_arg_is_atom(&item->list[0], "UNCHANGEDSINCE") ||
		    !imap_arg_number(&item->list[1], (1ULL << 63) - 1,
		    &unchangedsince)) {
			imap_bad(s, NULL, "Invalid STORE modifier");
			return;
		}
		have_unchanged = 1;
		item++;
		if (nargs < 4) {
			imap_bad(s, NULL, "STORE needs flags");
			return;
		}
	}
	fl = item + 1;
	nfl = nargs - (size_t)(fl - args);
	if (item->type != IMAP_ARG_ATOM) {
		imap_bad(s, NULL, "Invalid STORE item");
		return;
	}
	name = item->p;
	if (name[0] == '+') {
		mode = MAILDIR_STORE_ADD;
		name++;
	} else if (name[0] == '-') {
		mode = MAILDIR_STORE_REMOVE;
		name++;
	} else
		mode = MAILDIR_STORE_REPLACE;
	if (strcasecmp(name, "FLAGS.SILENT") == 0)
		silent = 1;
	else if (strcasecmp(name, "FLAGS") != 0) {
		imap_bad(s, NULL, "Invalid STORE item");
		return;
	}
	if (s->mbox->readonly) {
		imap_no(s, "READ-ONLY", "Mailbox is read-only");
		return;
	}
	if (nfl == 1 && fl[0].type == IMAP_ARG_LIST) {
		if (parse_flags(s, fl[0].list, fl[0].count,
		    mode != MAILDIR_STORE_REMOVE, &flags, &keywords) < 0)
			goto badflag;
	} else if (parse_flags(s, fl, nfl, mode != MAILDIR_STORE_REMOVE,
	    &flags, &keywords) < 0)
		goto badflag;
	if (have_unchanged)
		imap_condstore_enable(s);
	if (imap_seqset_resolve(s, &args[0], s->uid, &seqs, &nseqs, &why) < 0) {
		imap_bad(s, NULL, "%s", why);
		return;
	}
	modified = xcalloc(nseqs + 1, sizeof(*modified));
	if (maildir_index_begin(s->mbox->idx) < 0) {
		free(seqs);
		free(modified);
		imap_no(s, "SERVERBUG", "Cannot lock the mailbox");
		return;
	}
	for (i = 0; i < nseqs; i++) {
		struct imap_msg *m = imap_view_get(s, seqs[i]);
		uint64_t before = m->modseq;
		int r;
		if (m->expunged) {
			gone = 1;
			continue;
		}
		/* RFC 7162 3.1.3: UNCHANGEDSINCE 0 always fails */
		if (have_unchanged && unchangedsince == 0)
			r = 2;
		else
			r = imap_msg_store(s, m, mode, flags, keywords,
			    have_unchanged ? unchangedsince : 0);
		if (r == 1) {
			gone = 1;
			continue;
		}
		if (r == 2) {
			modified[nmod++] = s->uid ? m->uid : seqs[i];
			continue;
		}
		if (r < 0) {
			failed = 1;
			continue;
		}
		if (!silent) {
			buf_printf(&out, "* %u FETCH (", seqs[i]);
			if (want_uid)
				buf_printf(&out, "UID %u ", m->uid);
			buf_puts(&out, "FLAGS ");
			imap_write_flags(s, &out, m);
			if (imap_condstore(s))
				buf_printf(&out, " MODSEQ (%llu)",
				    (unsigned long long)m->modseq);
			buf_puts(&out, ")\r\n");
		} else if (imap_condstore(s) && m->modseq != before) {
			buf_printf(&out, "* %u FETCH (", seqs[i]);
			if (want_uid)
				buf_printf(&out, "UID %u ", m->uid);
			buf_printf(&out, "MODSEQ (%llu))\r\n",
			    (unsigned long long)m->modseq);
		}
		if (out.len > 0)
			imap_send_buf(s, &out);
	}
	if (maildir_index_end(s->mbox->idx) < 0)
		failed = 1;
	free(seqs);
	buf_free(&out);
	if (failed) {
		free(modified);
		imap_no(s, "SERVERBUG", "STORE failed");
		return;
	}
	if (nmod > 0) {
		struct buf code = BUF_INIT;
		buf_puts(&code, "MODIFIED ");
		imap_seqset_write(&code, modified, nmod);
		free(modified);
		imap_ok(s, buf_cstr(&code), "Conditional STORE failed");
		buf_free(&code);
		return;
	}
	free(modified);
	if (gone)
		imap_no(s, "EXPUNGEISSUED", "Some messages were expunged");
	else
		imap_ok(s, NULL, "%sSTORE completed", s->uid ? "UID " : "");
	return;
badflag:
	imap_bad(s, NULL, "Invalid flag in STORE");
}
