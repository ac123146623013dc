/* imap_args.c: small parsers of command arguments shared by the session
 * core: APPEND's date-time and UID sets (UID EXPUNGE, QRESYNC known UIDs).
 * Pure functions over (p, len), bounded, unit-tested and fuzzed. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "imapd.h"

#define UIDSET_MAX_RANGES 10000

static int
digits(const char *p, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int
imap_parse_datetime(const char *p, size_t len, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int day, mon, year, hh, mm, ss, zh, zm, i;
	struct tm tm;
	time_t t;
	long off;

	if (len != 26)
		return -1;
	if (p[0] == ' ') {
		if (digits(p + 1, 1, &day) < 0)
			return -1;
	} else if (digits(p, 2, &day) < 0)
		return -1;
	if (p[2] != '-' || p[6] != '-' || p[11] != ' ' || p[14] != ':' ||
	    p[17] != ':' || p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return -1;
	mon = -1;
	for (i = 0; i < 12; i++)
		if (strncasecmp(p + 3, months + 3 * i, 3) == 0)
			mon = i;
	if (mon < 0 || digits(p + 7, 4, &year) < 0 || digits(p + 12, 2, &hh) < 0 ||
	    digits(p + 15, 2, &mm) < 0 || digits(p + 18, 2, &ss) < 0 ||
	    digits(p + 22, 2, &zh) < 0 || digits(p + 24, 2, &zm) < 0)
		return -1;
	if (day < 1 || day > 31 || year < 1900 || hh > 23 || mm > 59 ||
	    ss > 60 || zh > 23 || zm > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	off = (zh * 60L + zm) * 60L;
	if (p[21] == '+')
		t -= off;
	else
		t += off;
	*out = t;
	return 0;
}

/* --- UID sets ------------------------------------------------------------ */

static int
parse_num(const char **pp, const char *end, uint32_t maxuid, uint32_t *out)
{
	const char *p = *pp;
	unsigned long long v = 0;

	if (p < end && *p == '*') {
		*out = maxuid;
		*pp = p + 1;
		return 0;
	}
	if (p >= end || *p < '1' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
		p++;
	}
	*out = (uint32_t)v;
	*pp = p;
	return 0;
}

int
imap_uidset_parse(const char *p, size_t len, uint32_t maxuid,
    struct imap_uid_range **ranges, size_t *n)
{
	const char *end = p + len;
	struct imap_uid_range *r = NULL;
	size_t count = 0, cap = 0;

	*ranges = NULL;
	*n = 0;
	if (len == 0)
		return -1;
	while (p < end) {
		uint32_t a, b;
		if (parse_num(&p, end, maxuid, &a) < 0)
			goto bad;
		b = a;
		if (p < end && *p == ':') {
			p++;
			if (parse_num(&p, end, maxuid, &b) < 0)
				goto bad;
		}
		if (p < end) {
			if (*p != ',' || p + 1 == end)
				goto bad;
			p++;
		}
		if (count == UIDSET_MAX_RANGES)
			goto bad;
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			r = xreallocarray(r, cap, sizeof(*r));
		}
		r[count].lo = a < b ? a : b;
		r[count].hi = a < b ? b : a;
		count++;
	}
	*ranges = r;
	*n = count;
	return 0;
bad:
	free(r);
	return -1;
}

int
imap_uidset_contains(const struct imap_uid_range *r, size_t n, uint32_t uid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (uid >= r[i].lo && uid <= r[i].hi)
			return 1;
	return 0;
}

