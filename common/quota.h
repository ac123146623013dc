/* quota.h: Maildir++ quota (the "maildirsize" file in the Maildir root,
 * as Courier, maildrop, Dovecot and Exim use it).
 *
 * File format: the first line holds the limits, "<bytes>S,<count>C" (either
 * part may be absent: no limit of that kind); every further line is
 * "<bytes> <count>", a change in usage (negative for removals), appended
 * with one write(2) by whoever changed the Maildir.  Usage is the sum of
 * the lines.  The file is recalculated - usage counted from the sizes of
 * all messages in new/ and cur/ of INBOX and every folder (",S=" in the
 * name, else stat) and written through tmp/ + rename - when it is missing,
 * larger than 5120 bytes, unreadable, its limits differ from the
 * configured ones, or the Maildir is over quota and the file is older
 * than 15 minutes (so that removals made by programs that do not update
 * it are noticed). */
#ifndef POSTERN_QUOTA_H
#define POSTERN_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#define QUOTA_FILE "maildirsize"
#define QUOTA_FILE_MAX 5120
#define QUOTA_STALE_SECONDS (15 * 60)

struct quota {
	uint64_t limit_bytes;     /* 0 = no limit */
	uint64_t limit_msgs;      /* 0 = no limit */
	int64_t bytes;            /* current usage */
	int64_t msgs;
};

/* Parse maildirsize contents.  Returns 0 ok, -1 malformed (first line
 * missing or bad; bad later lines are also an error: recalculate). */
int quota_parse(const char *p, size_t len, struct quota *q);

/* Load the quota of the Maildir root.  limits: the configured limits
 * (limit_bytes/limit_msgs; both 0 = no quota); NULL means take the limits
 * from the file's first line.  Recalculates when needed (see top).
 * Returns 0, or -1 with errno. */
int quota_load(const char *root, const struct quota *limits, struct quota *q);
/* Count the usage from scratch and rewrite maildirsize with q's limits. */
int quota_recalc(const char *root, struct quota *q);

/* Would adding bytes and msgs go over a limit?  1 yes, 0 no. */
int quota_over(const struct quota *q, uint64_t bytes, uint64_t msgs);

/* Record a change (positive for a delivery, negative for an expunge) in
 * maildirsize and in q.  Does nothing when the file does not exist and q
 * has no limits.  0 or -1. */
int quota_add(const char *root, struct quota *q, int64_t bytes, int64_t msgs);

#endif
