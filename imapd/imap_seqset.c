/* imap_seqset.c: parsing of sequence sets / UID sets into sorted, merged
 * ranges (pure and bounded; see imap_seqset.h), and writing number lists
 * back as compact sets (COPYUID, ESEARCH ALL, VANISHED). */
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "imap_seqset.h"

static int
parse_number(const char **pp, const char *end, uint32_t star, int *sawstar,
    uint32_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (p < end && *p == '*') {
		*out = star;
		*sawstar = 1;
		*pp = p + 1;
		return 0;
	}
	if (p >= end || *p < '1' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
		p++;
	}
	*out = (uint32_t)v;
	*pp = p;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

int
imap_seqset_parse(const char *p, size_t len, uint32_t star,
    int allow_saved, struct imap_seqset *out)
{
	const char *end = p + len;
	size_t cap = 0, i, j;

	memset(out, 0, sizeof(*out));
	if (len == 1 && p[0] == '$') {
		if (!allow_saved)
			return -1;
		out->saved = 1;
		return 0;
	}
	if (len == 0)
		return -1;
	for (;;) {
		uint32_t a, b;
		if (parse_number(&p, end, star, &out->star, &a) < 0)
			return -1;
		b = a;
		if (p < end && *p == ':') {
			p++;
			if (parse_number(&p, end, star, &out->star, &b) < 0)
				return -1;
		}
		if (out->n == IMAP_SEQSET_MAX_RANGES)
			return -1;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			if (cap > IMAP_SEQSET_MAX_RANGES)
				cap = IMAP_SEQSET_MAX_RANGES;
			out->r = xreallocarray(out->r, cap, sizeof(*out->r));
		}
		out->r[out->n].lo = a < b ? a : b;
		out->r[out->n].hi = a < b ? b : a;
		out->n++;
		if (p == end)
			break;
		if (*p != ',')
			return -1;
		p++;
	}
	qsort(out->r, out->n, sizeof(*out->r), range_cmp);
	for (i = 0, j = 0; i < out->n; i++) {
		if (j > 0 && (uint64_t)out->r[i].lo <= (uint64_t)out->r[j - 1].hi + 1) {
			if (out->r[i].hi > out->r[j - 1].hi)
				out->r[j - 1].hi = out->r[i].hi;
		} else
			out->r[j++] = out->r[i];
	}
	out->n = j;
	return 0;
}

void
imap_seqset_free(struct imap_seqset *set)
{
	free(set->r);
	memset(set, 0, sizeof(*set));
}

int
imap_seqset_contains(const struct imap_seqset *set, uint32_t v)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->r[mid].hi < v)
			lo = mid + 1;
		else if (set->r[mid].lo > v)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

uint32_t
imap_seqset_max(const struct imap_seqset *set)
{
	return set->n ? set->r[set->n - 1].hi : 0;
}

void
imap_seqset_write(struct buf *out, const uint32_t *v, size_t n)
{
	size_t i = 0;
	int first = 1;

	while (i < n) {
		size_t j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		if (!first)
			buf_putc(out, ',');
		first = 0;
		if (j == i)
			buf_printf(out, "%u", v[i]);
		else
			buf_printf(out, "%u:%u", v[i], v[j]);
		i = j + 1;
	}
}
