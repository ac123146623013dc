/* deliver_maildir.c: one copy into a Maildir (common/maildir.h does the
 * protocol: tmp/, fsync, into new/ without replacing a name, fsync the
 * directory), with the Maildir++ quota of the user's Maildir root checked
 * first and updated after. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "maildir.h"
#include "quota.h"

int
deliver_maildir(struct deliver_ctx *c, const char *dir, const char *quota_root,
    struct deliver_result *r)
{
	struct maildir_delivery opt;
	struct maildir_delivered out;
	struct quota limits, q;
	int use_quota = 0;

	memset(&limits, 0, sizeof(limits));
	limits.limit_bytes = c->quota_bytes;
	limits.limit_msgs = c->quota_msgs;
	if (maildir_make(dir) < 0) {
		deliver_set(r, DELIVER_TEMP, "4.2.0", "cannot create Maildir %s: %s",
		    dir, strerror(errno));
		return -1;
	}
	if (quota_root != NULL && (c->quota_bytes || c->quota_msgs)) {
		if (quota_load(quota_root, &limits, &q) < 0) {
			deliver_set(r, DELIVER_TEMP, "4.2.0", "cannot read the quota: %s",
			    strerror(errno));
			return -1;
		}
		use_quota = 1;
		if (quota_over(&q, c->msgsize + c->prefix_len, 1)) {
			deliver_set(r, DELIVER_TEMP, "4.2.2", "mailbox full");
			return -1;
		}
	}
	memset(&opt, 0, sizeof(opt));
	opt.prefix = c->prefix;
	opt.prefix_len = c->prefix_len;
	opt.io_timeout_ms = 600000;
	opt.read_limited = 1;
	opt.read_limit = c->msgsize;
	if (lseek(c->msgfd, 0, SEEK_SET) < 0 ||
	    maildir_deliver_fd(dir, c->msgfd, &opt, &out) < 0) {
		int e = errno;

		if (e == ENOSPC || e == EDQUOT)
			deliver_set(r, DELIVER_TEMP, "4.2.2", "mailbox full: %s", strerror(e));
		else
			deliver_set(r, DELIVER_TEMP, "4.2.0", "Maildir delivery failed: %s",
			    strerror(e));
		return -1;
	}
	if (use_quota && quota_add(quota_root, &q, (int64_t)out.size, 1) < 0)
		log_warn("quota", "dir=%s error=\"%m\"", quota_root);
	log_info("delivered", "user=%s dir=%s file=%s size=%llu", c->user, dir,
	    out.name, (unsigned long long)out.size);
	return 0;
}
