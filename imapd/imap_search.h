/* imap_search.h: SEARCH keys (RFC 3501 6.4.4, RFC 9051 6.4.4, RFC 7162
 * MODSEQ, RFC 5182 "$"): parsing the argument tree into a key tree, and
 * evaluating it against one message.  Both are independent of the
 * session (unit tests and the fuzz harness drive them directly): the
 * parser asks its caller for keyword slots through a callback, the
 * evaluator for the message's date, size and parsed text through one.
 *
 * Bounds: key nesting (parentheses, NOT, OR) at most
 * IMAP_SEARCH_MAX_DEPTH; the number of keys is bounded by the command's
 * argument count (imap_limits).  Text keys match with the
 * i;unicode-casemap collation as substrings of the decoded text (RFC 2047
 * header words, Content-Transfer-Encoding and charset of text parts). */
#ifndef POSTERN_IMAP_SEARCH_H
#define POSTERN_IMAP_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include "imap_parser.h"
#include "imap_seqset.h"
#include "message.h"

#define IMAP_SEARCH_MAX_DEPTH 64

enum imap_skey_kind {
	SK_ALL, SK_FLAG, SK_NOFLAG, SK_KEYWORD, SK_UNKEYWORD, SK_NEW, SK_OLD,
	SK_RECENT, SK_BEFORE, SK_ON, SK_SINCE, SK_SENTBEFORE, SK_SENTON,
	SK_SENTSINCE, SK_LARGER, SK_SMALLER, SK_HEADER, SK_BODY, SK_TEXT,
	SK_SEQ, SK_UID, SK_MODSEQ, SK_NOT, SK_OR, SK_AND
};

struct imap_skey {
	enum imap_skey_kind kind;
	unsigned flag;            /* SK_FLAG/SK_NOFLAG: MAILDIR_FLAG_* */
	int keyword;              /* slot, -1 unknown (never set) */
	int64_t day;              /* dates: days since 1970-01-01 */
	uint64_t num;             /* sizes, MODSEQ */
	char *field;              /* SK_HEADER: field name */
	char *needle;             /* folded search string */
	size_t needle_len;
	struct imap_seqset set;   /* SK_SEQ / SK_UID */
	struct imap_skey *a, *b;  /* NOT: a; OR: a b; AND: list via a->next */
	struct imap_skey *next;   /* siblings in an AND list */
};

struct imap_search_env {
	uint32_t max_seq, max_uid;     /* "*" in sets */
	/* keyword slot of a flag name (without creating it), -1 unknown */
	int (*keyword)(void *ctx, const char *p, size_t len);
	void *ctx;
};

/* Parse n keys at args into one AND node.  NULL on error with *why set
 * to a static reason (reply BAD).  *uses_modseq is set when a MODSEQ key
 * occurs (CONDSTORE).  Free with imap_skey_free. */
struct imap_skey *imap_search_parse(const struct imap_arg *args, size_t n,
    const struct imap_search_env *env, int *uses_modseq, const char **why);
void imap_skey_free(struct imap_skey *k);

/* SEARCH date-text ("1-Feb-1994", also quoted): days since the epoch.
 * 0 or -1. */
int imap_search_date(const char *p, size_t len, int64_t *day);
/* The date of an RFC 5322 Date: value as written (time zone
 * disregarded): days since the epoch.  0 or -1 unparsable. */
int imap_search_sentdate(const char *p, size_t len, int64_t *day);
/* Days since the epoch of a civil date. */
int64_t imap_days_from_civil(int y, int m, int d);

/* A message as the evaluator sees it. */
#define SNEED_DATE 1
#define SNEED_SIZE 2
#define SNEED_MSG  4
#define SNEED_HDR  8      /* the top-level header (hdr) */
#define SNEED_HDRC 16     /* at least the top-level fields named by
                             imap_search_cached_field (hdrc) */
struct imap_search_msg {
	uint32_t seq, uid;
	unsigned flags;
	uint32_t keywords;
	int recent;
	uint64_t modseq;
	/* filled on demand through need() */
	int have;                  /* SNEED_* filled */
	int64_t day;               /* INTERNALDATE's day (server zone) */
	uint64_t size;             /* RFC822.SIZE */
	const struct message *msg;
	const struct message *hdr;  /* at least the top-level header: a
	                               header-only parse or msg itself */
	const struct message *hdrc; /* at least the cached fields of the
	                               top-level header: the cache's copy,
	                               or hdr or msg */
	/* saved result for "$" (sorted UIDs), valid when saved_ok */
	const uint32_t *saved;
	size_t nsaved;
	int saved_ok;
	/* 0 filled, -1 unavailable (the message does not match) */
	int (*need)(void *ctx, struct imap_search_msg *m, int what);
	void *ctx;
};

/* True when the field name (p, len) is one whose top-level occurrences
 * the parse-result cache keeps for SEARCH (case-insensitive): keys on it
 * ask for SNEED_HDRC instead of SNEED_HDR. */
int imap_search_cached_field(const char *p, size_t len);

/* 1 match, 0 no match. */
int imap_search_match(const struct imap_skey *k, struct imap_search_msg *m);

#endif
