/* imap_search_parse.c: SEARCH key parsing (see imap_search.h): the
 * argument tree of a SEARCH command into a tree of keys, with dates,
 * numbers, sets and folded search strings checked and prepared once. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "buf.h"
#include "casemap.h"
#include "imap_search.h"
#include "maildir.h"

struct pstate {
	const struct imap_arg *a;
	size_t i, n;
	const struct imap_search_env *env;
	int *uses_modseq;
	const char *why;
};

int64_t
imap_days_from_civil(int y, int m, int d)
{
	/* proleptic Gregorian; m 1..12 */
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_of(const char *p)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int i;

	for (i = 0; i < 12; i++)
		if (strncasecmp(p, months + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

int
imap_search_date(const char *p, size_t len, int64_t *day)
{
	size_t i = 0;
	int d = 0, m, y = 0, nd = 0, ny = 0;

	if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
		p++;
		len -= 2;
	}
	while (i < len && p[i] >= '0' && p[i] <= '9' && nd < 2) {
		d = d * 10 + (p[i++] - '0');
		nd++;
	}
	if (nd == 0 || d < 1 || d > 31 || i + 5 > len || p[i] != '-' ||
	    p[i + 4] != '-')
		return -1;
	m = month_of(p + i + 1);
	if (m == 0)
		return -1;
	i += 5;
	while (i < len && p[i] >= '0' && p[i] <= '9' && ny < 4) {
		y = y * 10 + (p[i++] - '0');
		ny++;
	}
	if (ny != 4 || i != len)
		return -1;
	*day = imap_days_from_civil(y, m, d);
	return 0;
}

int
imap_search_sentdate(const char *p, size_t len, int64_t *day)
{
	size_t i = 0;
	int d = 0, m, y = 0, nd = 0, ny = 0;

	/* [day-of-week ","] day month year ...; comments are rare here */
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	if (i < len && ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z'))) {
		while (i < len && p[i] != ',' && !(p[i] >= '0' && p[i] <= '9'))
			i++;
		if (i < len && p[i] == ',')
			i++;
	}
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	while (i < len && p[i] >= '0' && p[i] <= '9' && nd < 2) {
		d = d * 10 + (p[i++] - '0');
		nd++;
	}
	if (nd == 0 || d < 1 || d > 31)
		return -1;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '-'))
		i++;
	if (len - i < 3 || (m = month_of(p + i)) == 0)
		return -1;
	i += 3;
	while (i < len && ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
		i++;   /* "February" */
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '-'))
		i++;
	while (i < len && p[i] >= '0' && p[i] <= '9' && ny < 4) {
		y = y * 10 + (p[i++] - '0');
		ny++;
	}
	if (ny == 2)
		y += y < 50 ? 2000 : 1900;
	else if (ny == 3)
		y += 1900;
	else if (ny != 4)
		return -1;
	*day = imap_days_from_civil(y, m, d);
	return 0;
}

void
imap_skey_free(struct imap_skey *k)
{
	while (k != NULL) {
		struct imap_skey *next = k->next;
		free(k->field);
		free(k->needle);
		imap_seqset_free(&k->set);
		imap_skey_free(k->a);
		imap_skey_free(k->b);
		free(k);
		k = next;
	}
}

static struct imap_skey *
newkey(enum imap_skey_kind kind)
{
	struct imap_skey *k = xcalloc(1, sizeof(*k));

	k->kind = kind;
	return k;
}

static const struct imap_arg *
next_arg(struct pstate *ps)
{
	if (ps->i >= ps->n)
		return NULL;
	return &ps->a[ps->i++];
}

static int
take_string(struct pstate *ps, struct imap_skey *k)
{
	const struct imap_arg *a = next_arg(ps);
	struct buf b = BUF_INIT;
	size_t len;

	if (a == NULL || !imap_arg_is_astring(a)) {
		ps->why = "Missing search string";
		return -1;
	}
	(void)casemap_fold(a->p, a->len, &b);
	buf_putc(&b, '\0');
	k->needle = buf_steal(&b, &len);
	k->needle_len = len - 1;
	return 0;
}

static int
take_date(struct pstate *ps, struct imap_skey *k)
{
	const struct imap_arg *a = next_arg(ps);

	if (a == NULL || a->type == IMAP_ARG_LIST ||
	    imap_search_date(a->p, a->len, &k->day) < 0) {
		ps->why = "Invalid search date";
		return -1;
	}
	return 0;
}

static int
take_number(struct pstate *ps, unsigned long long max, uint64_t *out)
{
	const struct imap_arg *a = next_arg(ps);
	unsigned long long v;

	if (a == NULL || !imap_arg_number(a, max, &v)) {
		ps->why = "Invalid number";
		return -1;
	}
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	enum imap_skey_kind kind;
	unsigned flag;
} flagkeys[] = {
	{ "ANSWERED", SK_FLAG, MAILDIR_FLAG_REPLIED },
	{ "DELETED", SK_FLAG, MAILDIR_FLAG_TRASHED },
	{ "DRAFT", SK_FLAG, MAILDIR_FLAG_DRAFT },
	{ "FLAGGED", SK_FLAG, MAILDIR_FLAG_FLAGGED },
	{ "SEEN", SK_FLAG, MAILDIR_FLAG_SEEN },
	{ "UNANSWERED", SK_NOFLAG, MAILDIR_FLAG_REPLIED },
	{ "UNDELETED", SK_NOFLAG, MAILDIR_FLAG_TRASHED },
	{ "UNDRAFT", SK_NOFLAG, MAILDIR_FLAG_DRAFT },
	{ "UNFLAGGED", SK_NOFLAG, MAILDIR_FLAG_FLAGGED },
	{ "UNSEEN", SK_NOFLAG, MAILDIR_FLAG_SEEN },
};

static const struct {
	const char *name;
	enum imap_skey_kind kind;
} simplekeys[] = {
	{ "ALL", SK_ALL }, { "NEW", SK_NEW }, { "OLD", SK_OLD },
	{ "RECENT", SK_RECENT },
};

static const struct {
	const char *name;
	enum imap_skey_kind kind;
} datekeys[] = {
	{ "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
	{ "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON },
	{ "SENTSINCE", SK_SENTSINCE },
};

static const struct {
	const char *name;
	const char *field;     /* NULL: BODY/TEXT */
	enum imap_skey_kind kind;
} textkeys[] = {
	{ "FROM", "From", SK_HEADER }, { "TO", "To", SK_HEADER },
	{ "CC", "Cc", SK_HEADER }, { "BCC", "Bcc", SK_HEADER },
	{ "SUBJECT", "Subject", SK_HEADER }, { "BODY", NULL, SK_BODY },
	{ "TEXT", NULL, SK_TEXT },
};

static struct imap_skey *parse_key(struct pstate *ps, int depth);

static struct imap_skey *
parse_list(struct pstate *ps, const struct imap_arg *a, size_t n, int depth)
{
	struct pstate sub = *ps;
	struct imap_skey *and = newkey(SK_AND), **tail = &and->a;

	sub.a = a;
	sub.n = n;
	sub.i = 0;
	if (n == 0) {
		ps->why = "Empty search key list";
		imap_skey_free(and);
		return NULL;
	}
	while (sub.i < sub.n) {
		struct imap_skey *k = parse_key(&sub, depth + 1);
		if (k == NULL) {
			ps->why = sub.why;
			imap_skey_free(and);
			return NULL;
		}
		*tail = k;
		tail = &k->next;
	}
	return and;
}

static struct imap_skey *
parse_key(struct pstate *ps, int depth)
{
	const struct imap_arg *a = next_arg(ps);
	struct imap_skey *k = NULL;
	size_t i;

	if (depth > IMAP_SEARCH_MAX_DEPTH) {
		ps->why = "Search keys nested too deeply";
		return NULL;
	}
	if (a == NULL) {
		ps->why = "Missing search key";
		return NULL;
	}
	if (a->type == IMAP_ARG_LIST)
		return parse_list(ps, a->list, a->count, depth);
	if (a->type != IMAP_ARG_ATOM) {
		ps->why = "Invalid search key";
		return NULL;
	}
	for (i = 0; i < sizeof(flagkeys) / sizeof(flagkeys[0]); i++)
		if (imap_arg_is_atom(a, flagkeys[i].name)) {
			k = newkey(flagkeys[i].kind);
			k->flag = flagkeys[i].flag;
			return k;
		}
	for (i = 0; i < sizeof(simplekeys) / sizeof(simplekeys[0]); i++)
		if (imap_arg_is_atom(a, simplekeys[i].name))
			return newkey(simplekeys[i].kind);
	for (i = 0; i < sizeof(datekeys) / sizeof(datekeys[0]); i++)
		if (imap_arg_is_atom(a, datekeys[i].name)) {
			k = newkey(datekeys[i].kind);
			if (take_date(ps, k) < 0)
				goto fail;
			return k;
		}
	for (i = 0; i < sizeof(textkeys) / sizeof(textkeys[0]); i++)
		if (imap_arg_is_atom(a, textkeys[i].name)) {
			k = newkey(textkeys[i].kind);
			if (textkeys[i].field)
				k->field = xstrdup(textkeys[i].field);
			if (take_string(ps, k) < 0)
				goto fail;
			return k;
		}
	if (imap_arg_is_atom(a, "HEADER")) {
		const struct imap_arg *f = next_arg(ps);
		k = newkey(SK_HEADER);
		if (f == NULL || !imap_arg_is_astring(f) || f->len == 0 ||
		    memchr(f->p, ':', f->len) != NULL ||
		    memchr(f->p, '\0', f->len) != NULL) {
			ps->why = "Invalid header field name";
			goto fail;
		}
		k->field = xstrndup(f->p, f->len);
		if (take_string(ps, k) < 0)
			goto fail;
		return k;
	}
	if (imap_arg_is_atom(a, "KEYWORD") || imap_arg_is_atom(a, "UNKEYWORD")) {
		const struct imap_arg *f = next_arg(ps);
		k = newkey(imap_arg_is_atom(a, "KEYWORD") ? SK_KEYWORD : SK_UNKEYWORD);
		if (f == NULL || f->type != IMAP_ARG_ATOM || f->len == 0) {
			ps->why = "Invalid keyword";
			goto fail;
		}
		/* system flags given as keywords ("KEYWORD \Seen") */
		k->keyword = -1;
		{
			static const struct { const char *n; unsigned f; } sf[] = {
				{ "\\Answered", MAILDIR_FLAG_REPLIED },
				{ "\\Flagged", MAILDIR_FLAG_FLAGGED },
				{ "\\Deleted", MAILDIR_FLAG_TRASHED },
				{ "\\Seen", MAILDIR_FLAG_SEEN },
				{ "\\Draft", MAILDIR_FLAG_DRAFT },
				{ "$Forwarded", MAILDIR_FLAG_PASSED },
			};
			for (i = 0; i < sizeof(sf) / sizeof(sf[0]); i++)
				if (imap_arg_is_atom(f, sf[i].n)) {
					k->kind = k->kind == SK_KEYWORD ?
					    SK_FLAG : SK_NOFLAG;
					k->flag = sf[i].f;
					return k;
				}
		}
		if (ps->env->keyword != NULL)
			k->keyword = ps->env->keyword(ps->env->ctx, f->p, f->len);
		return k;
	}
	if (imap_arg_is_atom(a, "LARGER") || imap_arg_is_atom(a, "SMALLER")) {
		k = newkey(imap_arg_is_atom(a, "LARGER") ? SK_LARGER : SK_SMALLER);
		if (take_number(ps, (1ULL << 63) - 1, &k->num) < 0)
			goto fail;
		return k;
	}
	if (imap_arg_is_atom(a, "NOT")) {
		k = newkey(SK_NOT);
		k->a = parse_key(ps, depth + 1);
		if (k->a == NULL)
			goto fail;
		return k;
	}
	if (imap_arg_is_atom(a, "OR")) {
		k = newkey(SK_OR);
		k->a = parse_key(ps, depth + 1);
		if (k->a == NULL)
			goto fail;
		k->b = parse_key(ps, depth + 1);
		if (k->b == NULL)
			goto fail;
		return k;
	}
	if (imap_arg_is_atom(a, "UID")) {
		const struct imap_arg *f = next_arg(ps);
		k = newkey(SK_UID);
		if (f == NULL || f->type != IMAP_ARG_ATOM ||
		    imap_seqset_parse(f->p, f->len, ps->env->max_uid, 1,
		    &k->set) < 0) {
			ps->why = "Invalid UID set";
			goto fail;
		}
		return k;
	}
	if (imap_arg_is_atom(a, "MODSEQ")) {
		/* MODSEQ [entry-name entry-type-req] mod-sequence-valzer */
		k = newkey(SK_MODSEQ);
		if (ps->i < ps->n && imap_arg_is_string(&ps->a[ps->i])) {
			const struct imap_arg *t;
			ps->i++;
			t = next_arg(ps);
			if (t == NULL || !(imap_arg_is_atom(t, "priv") ||
			    imap_arg_is_atom(t, "shared") ||
			    imap_arg_is_atom(t, "all"))) {
				ps->why = "Invalid MODSEQ entry type";
				goto fail;
			}
		}
		if (take_number(ps, (1ULL << 63) - 1, &k->num) < 0)
			goto fail;
		*ps->uses_modseq = 1;
		return k;
	}
	/* a sequence set */
	k = newkey(SK_SEQ);
	if (imap_seqset_parse(a->p, a->len, ps->env->max_seq, 1, &k->set) < 0) {
		ps->why = "Unknown search key";
		goto fail;
	}
	return k;
fail:
	imap_skey_free(k);
	return NULL;
}

struct imap_skey *
imap_search_parse(const struct imap_arg *args, size_t n,
    const struct imap_search_env *env, int *uses_modseq, const char **why)
{
	struct pstate ps;
	struct imap_skey *k;
	int dummy = 0;

	memset(&ps, 0, sizeof(ps));
	ps.a = args;
	ps.n = n;
	ps.env = env;
	ps.uses_modseq = uses_modseq ? uses_modseq : &dummy;
	*ps.uses_modseq = 0;
	k = parse_list(&ps, args, n, 0);
	if (k == NULL)
		*why = ps.why ? ps.why : "Invalid search";
	return k;
}
