/* imap_quota.c: the Maildir++ quota of the user (limits from the user
 * list through POSTERN_QUOTA_BYTES/MESSAGES) for APPEND/COPY checks and
 * the QUOTA commands of RFC 9208: GETQUOTAROOT, GETQUOTA (one root, "",
 * resources STORAGE in KiB and MESSAGE); SETQUOTA is refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "imapd.h"
#include "imap_quote.h"
#include "log.h"

static int
have_limits(const struct imap_session *s)
{
	return s->quota_limits.limit_bytes != 0 || s->quota_limits.limit_msgs != 0;
}

int
imap_quota_over(struct imap_session *s, uint64_t bytes, uint64_t msgs)
{
	struct quota q;

	if (!have_limits(s))
		return 0;
	if (quota_load(s->root, &s->quota_limits, &q) < 0)
		return 0;   /* unreadable: delivery enforces it again */
	return quota_over(&q, bytes, msgs);
}

void
imap_quota_add(struct imap_session *s, int64_t bytes, int64_t msgs)
{
	struct quota q;

	if (!have_limits(s))
		return;
	if (quota_load(s->root, &s->quota_limits, &q) < 0)
		return;
	if (quota_add(s->root, &q, bytes, msgs) < 0)
		log_warn("quota_update", "error=\"%s\"", strerror(errno));
}

static void
write_quota(struct imap_session *s)
{
	struct quota q;
	struct buf b = BUF_INIT;
	const char *sep = "";

	if (!have_limits(s) || quota_load(s->root, &s->quota_limits, &q) < 0)
		return;
	buf_puts(&b, "* QUOTA \"\" (");
	if (q.limit_bytes) {
		buf_printf(&b, "STORAGE %lld %llu",
		    (long long)((q.bytes > 0 ? q.bytes : 0) + 1023) / 1024,
		    (unsigned long long)q.limit_bytes / 1024);
		sep = " ";
	}
	if (q.limit_msgs)
		buf_printf(&b, "%sMESSAGE %lld %llu", sep,
		    (long long)(q.msgs > 0 ? q.msgs : 0),
		    (unsigned long long)q.limit_msgs);
	buf_puts(&b, ")\r\n");
	imap_send_buf(s, &b);
	buf_free(&b);
}

void
imap_cmd_getquotaroot(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	char folder[512], dir[MAILDIR_PATH_MAX];
	const char *why;
	struct buf b = BUF_INIT;

	if (nargs != 1) {
		imap_bad(s, NULL, "GETQUOTAROOT needs a mailbox");
		return;
	}
	if (imap_mailbox_resolve(s, &args[0], folder, sizeof(folder), dir,
	    sizeof(dir), &why) < 0) {
		imap_no(s, "NONEXISTENT", "%s", why);
		return;
	}
	buf_puts(&b, "* QUOTAROOT ");
	imap_write_mailbox(s, &b, args[0].p, args[0].len);
	if (have_limits(s))
		buf_puts(&b, " \"\"");
	buf_puts(&b, "\r\n");
	imap_send_buf(s, &b);
	buf_free(&b);
	write_quota(s);
	imap_ok(s, NULL, "GETQUOTAROOT completed");
}

void
imap_cmd_getquota(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	if (nargs != 1 || !imap_arg_is_astring(&args[0])) {
		imap_bad(s, NULL, "GETQUOTA needs a quota root");
		return;
	}
	if (args[0].len != 0 || !have_limits(s)) {
		imap_no(s, "NONEXISTENT", "No such quota root");
		return;
	}
	write_quota(s);
	imap_ok(s, NULL, "GETQUOTA completed");
}

void
imap_cmd_setquota(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	(void)args;
	(void)nargs;
	imap_no(s, "NOPERM", "Quota is set by the administrator");
}
