/* imap_seqset.h: IMAP sequence sets and UID sets (RFC 9051 sequence-set,
 * "*" for the largest number in use, ranges in either order, "$" for the
 * saved SEARCH result of RFC 5182), parsed into sorted, merged ranges, and
 * resolved against the selected mailbox into sequence numbers.
 *
 * The parser is pure and bounded: at most IMAP_SEQSET_MAX_RANGES ranges
 * (more: -1), numbers 1..2^32-1. */
#ifndef POSTERN_IMAP_SEQSET_H
#define POSTERN_IMAP_SEQSET_H

#include <stddef.h>
#include <stdint.h>

#define IMAP_SEQSET_MAX_RANGES 10000

struct imap_range {
	uint32_t lo, hi;         /* lo <= hi */
};

struct imap_seqset {
	struct imap_range *r;    /* sorted by lo, non-overlapping, merged */
	size_t n;
	int saved;               /* the set was "$" (no ranges) */
	int star;                /* "*" occurred */
};

/* Parse (p, len); "*" stands for star (the caller's largest sequence
 * number or UID; 0 in an empty mailbox, which makes "*" match nothing
 * only when the caller says so through the range 0).  allow_saved: "$"
 * alone is accepted (sets ->saved).  0 ok, -1 syntax error or too many
 * ranges.  Free with imap_seqset_free (also after -1). */
int imap_seqset_parse(const char *p, size_t len, uint32_t star,
    int allow_saved, struct imap_seqset *out);
void imap_seqset_free(struct imap_seqset *set);
/* Membership by binary search. */
int imap_seqset_contains(const struct imap_seqset *set, uint32_t v);
/* Largest number in the set (0 when empty). */
uint32_t imap_seqset_max(const struct imap_seqset *set);
/* Append an ascending list of numbers as a compact set ("1:3,7"). */
struct buf;
void imap_seqset_write(struct buf *out, const uint32_t *v, size_t n);

struct imap_session;
struct imap_arg;
/* Resolve a set argument of a message command against the selected
 * mailbox: uid selects UID-set semantics (numbers not in the view are
 * skipped), else sequence numbers (a number above the message count is an
 * error).  "$" gives the saved result.  The result is the ascending,
 * duplicate-free list of sequence numbers (malloc'ed, may be empty).
 * 0 ok, -1 bad set (*why set to a static reason). */
int imap_seqset_resolve(struct imap_session *s, const struct imap_arg *arg,
    int uid, uint32_t **seqs, size_t *n, const char **why);

#endif
