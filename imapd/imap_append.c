/* imap_append.c: APPEND (RFC 3501 6.3.11, RFC 9051 6.3.12) with
 * MULTIAPPEND (RFC 3502), literal8 (BINARY, RFC 3516), the UTF8 data
 * item (RFC 6855), APPENDUID (UIDPLUS, RFC 4315) and the Maildir++ quota
 * (OVERQUOTA, RFC 9208). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "imapd.h"
#include "log.h"

#define APPEND_MAX_MESSAGES 1000

struct one {
	const struct imap_arg *flaglist;
	unsigned flags;
	uint32_t keywords;
	time_t date;
	const struct imap_arg *msg;
};

void
imap_cmd_append(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	char folder[512], dir[MAILDIR_PATH_MAX];
	const char *why = NULL;
	struct maildir_index *idx;
	struct one *msgs = NULL;
	size_t n = 0, i, k;
	uint64_t total = 0;
	uint32_t *uids = NULL;
	struct buf code = BUF_INIT;

	if (nargs < 2) {
		imap_bad(s, NULL, "APPEND needs a mailbox and a message");
		return;
	}
	/* syntax first: everything the client sent is already read */
	msgs = xcalloc(nargs, sizeof(*msgs));
	for (i = 1; i < nargs;) {
		struct one *o = &msgs[n];
		if (n == APPEND_MAX_MESSAGES) {
			free(msgs);
			imap_no(s, "LIMIT", "Too many messages in one APPEND");
			return;
		}
		if (args[i].type == IMAP_ARG_LIST)
			o->flaglist = &args[i++];   /* checked against the target */
		if (i < nargs && args[i].type == IMAP_ARG_QUOTED) {
			if (imap_parse_datetime(args[i].p, args[i].len, &o->date) < 0) {
				free(msgs);
				imap_bad(s, NULL, "Bad date-time");
				return;
			}
			i++;
		}
		/* RFC 6855 4: UTF8 (literal8) once UTF8=ACCEPT is on */
		if (i + 1 < nargs && imap_utf8(s) && imap_arg_is_atom(&args[i], "UTF8") &&
		    args[i + 1].type == IMAP_ARG_LIST && args[i + 1].count == 1 &&
		    args[i + 1].list[0].type == IMAP_ARG_LITERAL &&
		    args[i + 1].list[0].literal8) {
			o->msg = &args[i + 1].list[0];
			i += 2;
		} else {
			if (i >= nargs || args[i].type != IMAP_ARG_LITERAL) {
				free(msgs);
				imap_bad(s, NULL, "APPEND needs a message literal");
				return;
			}
			if (args[i].literal8 && imap_cmd_fetch == NULL) {
				free(msgs);
				imap_bad(s, NULL, "literal8 not supported");
				return;
			}
			o->msg = &args[i++];
		}
		total += o->msg->len;
		n++;
	}
	if (imap_mailbox_resolve(s, &args[0], folder, sizeof(folder), dir,
	    sizeof(dir), &why) < 0) {
		free(msgs);
		imap_no(s, "TRYCREATE", "%s", why);
		return;
	}
	if (folder[0] == '\0')
		(void)maildir_make(dir);
	idx = imap_index_get(s, dir);
	if (idx == NULL) {
		free(msgs);
		if (errno == ENOENT)
			imap_no(s, "TRYCREATE", "No such mailbox");
		else
			imap_no(s, "SERVERBUG", "Cannot open mailbox");
		return;
	}
	/* flags (keywords need the target's index) */
	for (k = 0; k < n; k++) {
		const struct imap_arg *fl = msgs[k].flaglist;
		size_t f;
		for (f = 0; fl != NULL && f < fl->count; f++) {
			const struct imap_arg *a = &fl->list[f];
			if (a->type != IMAP_ARG_ATOM ||
			    imap_parse_flag_idx(idx, a->p, a->len, 1,
			    &msgs[k].flags, &msgs[k].keywords) < 0) {
				imap_index_release(s, idx);
				free(msgs);
				imap_bad(s, NULL, "Bad flag in APPEND");
				return;
			}
		}
	}
	for (i = 0; i < n; i++)
		if (msgs[i].msg->len == 0) {
			imap_index_release(s, idx);
			free(msgs);
			imap_no(s, "CANNOT", "Empty message");
			return;
		}
	if (imap_quota_over(s, total, n)) {
		imap_index_release(s, idx);
		free(msgs);
		imap_no(s, "OVERQUOTA", "Quota exceeded");
		return;
	}
	uids = xcalloc(n, sizeof(*uids));
	for (i = 0; i < n; i++) {
		struct maildir_delivery opt;
		struct maildir_delivered d;
		memset(&opt, 0, sizeof(opt));
		opt.crlf_to_lf = 1;
		opt.to_cur = 1;
		opt.flags = msgs[i].flags;
		opt.keywords = msgs[i].keywords;
		opt.mtime = msgs[i].date;
		if (maildir_deliver_buf(dir, msgs[i].msg->p, msgs[i].msg->len,
		    &opt, &d) < 0 ||
		    maildir_index_add(idx, d.name, 0, &uids[i]) < 0) {
			int e = errno;
			log_warn("append_failed", "folder=%s error=\"%s\"",
			    folder, strerror(e));
			imap_index_release(s, idx);
			free(msgs);
			free(uids);
			imap_no(s, (e == ENOSPC || e == EDQUOT) ? "OVERQUOTA" :
			    "SERVERBUG", "APPEND failed: %s", strerror(e));
			return;
		}
		imap_quota_add(s, (int64_t)d.size, 1);
	}
	buf_printf(&code, "APPENDUID %u ", idx->uidvalidity);
	for (i = 0; i < n; i++) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (i > 0)
			buf_putc(&code, ',');
		if (j == i)
			buf_printf(&code, "%u", uids[i]);
		else
			buf_printf(&code, "%u:%u", uids[i], uids[j]);
		i = j;
	}
	log_info("append", "folder=%s count=%zu", folder[0] ? folder : "INBOX", n);
	imap_index_release(s, idx);
	free(msgs);
	free(uids);
	/* APPENDUID (RFC 4315) even before UIDPLUS is advertised (it needs
	 * COPYUID too): clients ignore response codes they do not know. */
	imap_ok(s, buf_cstr(&code), "APPEND completed");
	buf_free(&code);
}
