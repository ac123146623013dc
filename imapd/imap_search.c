/* imap_search.c: SEARCH and UID SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4):
 * CHARSET (UTF-8 and US-ASCII; others NO [BADCHARSET]), ESEARCH result
 * options RETURN (MIN MAX COUNT ALL SAVE) (RFC 4731, RFC 9051), the saved
 * result "$" (RFC 5182), MODSEQ (RFC 7162 3.1.5).  IMAP4rev2 sessions
 * always get ESEARCH responses.  Keys are parsed and matched by
 * imap_search_parse.c and imap_search_eval.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "imap_msgcmd.h"
#include "imap_quote.h"
#include "imap_search.h"
#include "log.h"

#define RET_MIN   0x01
#define RET_MAX   0x02
#define RET_COUNT 0x04
#define RET_ALL   0x08
#define RET_SAVE  0x10

struct sctx {
	struct imap_session *s;
	struct imap_msg *m;
	struct message *msg;     /* whole message */
	struct message *hdr;     /* header-only parse */
	char *hdrbuf;
	struct message *hdrc;    /* parse of the cached search header */
	struct imap_cached cached;
	int have_cached;
};

#define HDR_READ_MAX (256 * 1024)

/* Parse only the top-level header of m (header keys need no more): read
 * up to the blank line that ends it, at most HDR_READ_MAX octets; NULL
 * when it is longer (the caller parses the whole message then). */
static struct message *
parse_header(struct sctx *c)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t scanned = 0;
	ssize_t r;
	int fd = imap_msg_open(c->s, c->m);

	if (fd < 0)
		return NULL;
	for (;;) {
		size_t i;
		for (i = scanned; i < b.len; i++)
			if (b.p[i] == '\n' && ((i >= 1 && b.p[i - 1] == '\n') ||
			    (i >= 2 && b.p[i - 1] == '\r' && b.p[i - 2] == '\n')) ) {
				b.len = i + 1;
				goto found;
			}
		if (b.len > 0 && b.p[0] == '\n') {
			b.len = 1;     /* no header at all */
			goto found;
		}
		if (b.len > 1 && b.p[0] == '\r' && b.p[1] == '\n') {
			b.len = 2;
			goto found;
		}
		scanned = b.len;
		if (b.len >= HDR_READ_MAX)
			break;
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0)
			break;
		if (r == 0)
			goto found;   /* a message that is all header */
		buf_append(&b, chunk, (size_t)r);
	}
	close(fd);
	buf_free(&b);
	return NULL;
found:
	close(fd);
	if (b.p == NULL)
		buf_append(&b, "", 0);
	c->hdrbuf = buf_steal(&b, &scanned);
	return message_parse(c->hdrbuf ? c->hdrbuf : "", scanned, NULL);
}

static int
kw_lookup(void *ctx, const char *p, size_t len)
{
	struct imap_session *s = ctx;

	if (s->mbox == NULL)
		return -1;
	return maildir_index_keyword(s->mbox->idx, p, len, 0);
}

static int
need_cb(void *ctx, struct imap_search_msg *sm, int what)
{
	struct sctx *c = ctx;

	if (what & SNEED_DATE) {
		int64_t t;
		time_t tt;
		struct tm tm;
		if (imap_msg_internaldate(c->s, c->m, &t) < 0)
			return -1;
		tt = (time_t)t;
		if (localtime_r(&tt, &tm) == NULL)
			return -1;
		sm->day = imap_days_from_civil(tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
	}
	if (what & SNEED_SIZE) {
		if (imap_cached_size(c->s, c->m, &sm->size) < 0)
			return -1;
	}
	if (what & SNEED_MSG) {
		if (c->msg == NULL)
			c->msg = imap_msg_parse(c->s, c->m);
		if (c->msg == NULL)
			return -1;
		sm->msg = c->msg;
	}
	if ((what & SNEED_HDRC) && c->msg == NULL && c->hdr == NULL &&
	    c->hdrc == NULL && imap_cached_search_header(c->s, c->m,
	    &c->cached) == 0) {
		/* the cached fields: no file to open and read */
		c->have_cached = 1;
		c->hdrc = message_parse(c->cached.shdr, c->cached.shdrlen,
		    NULL);
	}
	if (what & SNEED_HDRC) {
		if (c->hdrc != NULL) {
			sm->hdrc = c->hdrc;
			what &= ~SNEED_HDRC;
		} else
			what |= SNEED_HDR;
	}
	if (what & SNEED_HDR) {
		if (c->msg == NULL && c->hdr == NULL) {
			c->hdr = parse_header(c);
			/* cache the fields for the next SEARCH */
			if (c->hdr != NULL && (what & SNEED_HDRC))
				imap_cache_search_header(c->s, c->m, c->hdr);
		}
		if (c->hdr == NULL && c->msg == NULL)
			c->msg = imap_msg_parse(c->s, c->m);
		sm->hdr = c->hdr ? c->hdr : c->msg;
		if (sm->hdr == NULL)
			return -1;
		if (sm->hdrc == NULL)
			sm->hdrc = sm->hdr;
	}
	return 0;
}

static void
save_result(struct imap_session *s, const uint32_t *uids, size_t n)
{
	imap_saved_reset(s);
	s->saved_uids = xcalloc(n + 1, sizeof(*uids));
	if (n > 0)
		memcpy(s->saved_uids, uids, n * sizeof(*uids));
	s->nsaved = n;
	s->saved_valid = 1;
}

void
imap_cmd_search(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	unsigned ret = 0;
	int esearch = imap_rev2(s), uses_modseq = 0;
	size_t i = 0, k, count = imap_view_count(s), nres = 0;
	struct imap_search_env env;
	struct imap_skey *key;
	const char *why = NULL;
	uint32_t *res, *uids;
	uint64_t maxmod = 0;
	struct buf out = BUF_INIT;

	if (i < nargs && imap_arg_is_atom(&args[i], "RETURN")) {
		const struct imap_arg *l = &args[i + 1];
		if (i + 1 >= nargs || l->type != IMAP_ARG_LIST) {
			imap_bad(s, NULL, "RETURN needs a list");
			return;
		}
		for (k = 0; k < l->count; k++) {
			const struct imap_arg *o = &l->list[k];
			if (imap_arg_is_atom(o, "MIN"))
				ret |= RET_MIN;
			else if (imap_arg_is_atom(o, "MAX"))
				ret |= RET_MAX;
			else if (imap_arg_is_atom(o, "COUNT"))
				ret |= RET_COUNT;
			else if (imap_arg_is_atom(o, "ALL"))
				ret |= RET_ALL;
			else if (imap_arg_is_atom(o, "SAVE"))
				ret |= RET_SAVE;
			else {
				imap_bad(s, NULL, "Unknown RETURN option");
				return;
			}
		}
		if (ret == 0)
			ret = RET_ALL;
		esearch = 1;
		i += 2;
	}
	if (i < nargs && imap_arg_is_atom(&args[i], "CHARSET")) {
		const struct imap_arg *cs = &args[i + 1];
		if (i + 1 >= nargs || !imap_arg_is_astring(cs)) {
			imap_bad(s, NULL, "CHARSET needs a name");
			return;
		}
		if (strcasecmp(cs->p, "UTF-8") != 0 &&
		    strcasecmp(cs->p, "US-ASCII") != 0) {
			if (ret & RET_SAVE)
				save_result(s, NULL, 0);
			imap_no(s, "BADCHARSET (UTF-8)", "Unsupported charset");
			return;
		}
		i += 2;
	}
	if (esearch && ret == 0)
		ret = RET_ALL;
	memset(&env, 0, sizeof(env));
	env.max_seq = (uint32_t)count;
	env.max_uid = imap_view_max_uid(s);
	env.keyword = kw_lookup;
	env.ctx = s;
	/* no arguments: args may be NULL (no pointer arithmetic on it) */
	key = imap_search_parse(i < nargs ? args + i : NULL, nargs - i, &env,
	    &uses_modseq, &why);
	if (key == NULL) {
		if (ret & RET_SAVE)
			save_result(s, NULL, 0);
		imap_bad(s, NULL, "%s", why);
		return;
	}
	if (uses_modseq)
		imap_condstore_enable(s);
	res = xcalloc(count + 1, sizeof(*res));
	uids = xcalloc(count + 1, sizeof(*uids));
	for (k = 0; k < count; k++) {
		struct imap_msg *m = imap_view_get(s, (uint32_t)k + 1);
		struct imap_search_msg sm;
		struct sctx c;
		memset(&sm, 0, sizeof(sm));
		c.s = s;
		c.m = m;
		c.msg = NULL;
		c.hdr = NULL;
		c.hdrbuf = NULL;
		c.hdrc = NULL;
		c.have_cached = 0;
		sm.seq = (uint32_t)k + 1;
		sm.uid = m->uid;
		sm.flags = m->flags;
		sm.keywords = m->keywords;
		sm.recent = m->recent;
		sm.modseq = m->modseq;
		sm.saved = s->saved_uids;
		sm.nsaved = s->nsaved;
		sm.saved_ok = s->saved_valid;
		sm.need = need_cb;
		sm.ctx = &c;
		if (imap_search_match(key, &sm)) {
			res[nres] = s->uid ? m->uid : (uint32_t)k + 1;
			uids[nres] = m->uid;
			nres++;
			if (m->modseq > maxmod)
				maxmod = m->modseq;
		}
		if (c.msg != NULL)
			message_free(c.msg);
		if (c.hdr != NULL)
			message_free(c.hdr);
		free(c.hdrbuf);
		if (c.hdrc != NULL)
			message_free(c.hdrc);
		if (c.have_cached)
			imap_cached_free(&c.cached);
	}
	imap_skey_free(key);
	imap_cache_flush(s);
	if (ret & RET_SAVE) {
		if ((ret & (RET_MIN | RET_MAX)) && !(ret & (RET_ALL | RET_COUNT))) {
			uint32_t mm[2];
			size_t nm = 0;
			if (nres > 0 && (ret & RET_MIN))
				mm[nm++] = uids[0];
			if (nres > 0 && (ret & RET_MAX) &&
			    (nm == 0 || uids[nres - 1] != mm[0]))
				mm[nm++] = uids[nres - 1];
			save_result(s, mm, nm);
		} else
			save_result(s, uids, nres);
	}
	if (!esearch) {
		buf_puts(&out, "* SEARCH");
		for (k = 0; k < nres; k++)
			buf_printf(&out, " %u", res[k]);
		if (uses_modseq && nres > 0)
			buf_printf(&out, " (MODSEQ %llu)",
			    (unsigned long long)maxmod);
		buf_puts(&out, "\r\n");
		imap_send_buf(s, &out);
	} else if (ret & ~RET_SAVE) {
		buf_puts(&out, "* ESEARCH (TAG ");
		imap_write_cstring(&out, s->tag ? s->tag : "*");
		buf_putc(&out, ')');
		if (s->uid)
			buf_puts(&out, " UID");
		if ((ret & RET_MIN) && nres > 0)
			buf_printf(&out, " MIN %u", res[0]);
		if ((ret & RET_MAX) && nres > 0)
			buf_printf(&out, " MAX %u", res[nres - 1]);
		/* the reference server's order: MIN MAX ALL COUNT */
		if ((ret & RET_ALL) && nres > 0) {
			buf_puts(&out, " ALL ");
			imap_seqset_write(&out, res, nres);
		}
		if (ret & RET_COUNT)
			buf_printf(&out, " COUNT %zu", nres);
		if (uses_modseq && nres > 0)
			buf_printf(&out, " MODSEQ %llu",
			    (unsigned long long)maxmod);
		buf_puts(&out, "\r\n");
		imap_send_buf(s, &out);
	}
	buf_free(&out);
	free(res);
	free(uids);
	imap_ok(s, NULL, "%sSEARCH completed", s->uid ? "UID " : "");
}
