/* imap_args.c: small parsers of command arguments shared by the session
 * core: APPEND's date-time and UID sets (UID EXPUNGE, QRESYNC known UIDs;
 * parsed by imap_seqset.c).
 * Pure functions over (p, len), bounded, unit-tested and fuzzed. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "imap_seqset.h"
#include "imapd.h"

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

/* The one sequence-set parser (imap_seqset.c) with "*" = maxuid and no
 * "$"; its sorted, merged ranges copied into the caller's array. */
int
imap_uidset_parse(const char *p, size_t len, uint32_t maxuid,
    struct imap_uid_range **ranges, size_t *n)
{
	struct imap_seqset set;
	size_t i;

	*ranges = NULL;
	*n = 0;
	if (imap_seqset_parse(p, len, maxuid, 0, &set) < 0) {
		imap_seqset_free(&set);
		return -1;
	}
	*ranges = xreallocarray(NULL, set.n, sizeof(**ranges));
	for (i = 0; i < set.n; i++) {
		(*ranges)[i].lo = set.r[i].lo;
		(*ranges)[i].hi = set.r[i].hi;
	}
	*n = set.n;
	imap_seqset_free(&set);
	return 0;
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

