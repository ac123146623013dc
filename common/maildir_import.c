/* maildir_import.c: read dovecot-uidlist (v1, v3), dovecot-keywords and
 * courierimapuiddb as untrusted input (see maildir_import.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "maildir_import.h"
#include "pop3_uidl.h"

/* Parse a decimal u32 in p[*i..len) ending at a space or the end. */
static int
parse_u32(const char *p, size_t len, size_t *i, uint32_t *out)
{
	uint64_t v = 0;
	size_t j = *i;
	if (j >= len || !isdigit((unsigned char)p[j]))
		return -1;
	for (; j < len && isdigit((unsigned char)p[j]); j++) {
		v = v * 10 + (uint64_t)(p[j] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	if (j < len && p[j] != ' ')
		return -1;
	*i = j;
	*out = (uint32_t)v;
	return 0;
}

static void
skip_spaces(const char *p, size_t len, size_t *i)
{
	while (*i < len && p[*i] == ' ')
		(*i)++;
}

/* Accept a file name from a foreign list: no '/', no control bytes, not
 * starting with '.', bounded. */
static int
foreign_name_ok(const char *p, size_t len)
{
	if (len == 0 || len > MAILDIR_NAME_MAX || p[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == '/' || p[i] == 0x7f)
			return 0;
	return 1;
}

static void
add_entry(struct maildir_import *im, size_t *cap, uint32_t uid,
    const char *name, size_t nlen, const char *uidl, size_t ulen)
{
	if (uid == 0 || !foreign_name_ok(name, nlen) ||
	    im->count >= MAILDIR_IMPORT_MAX_ENTRIES)
		return;
	if (im->count == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		im->entries = xreallocarray(im->entries, *cap, sizeof(*im->entries));
	}
	struct maildir_import_entry *e = &im->entries[im->count++];
	e->uid = uid;
	e->base_len = maildir_name_base_len(name, nlen);
	e->base = xstrndup(name, e->base_len);
	e->pop3_uidl = (uidl && pop3_uidl_valid(uidl, ulen)) ? xstrndup(uidl, ulen) : NULL;
}

static int
cmp_uid(const void *a, const void *b)
{
	const struct maildir_import_entry *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Sort by UID, drop duplicate UIDs (one of them is kept). */
static void
normalize(struct maildir_import *im)
{
	if (im->count == 0)
		return;
	qsort(im->entries, im->count, sizeof(*im->entries), cmp_uid);
	size_t o = 1;
	for (size_t i = 1; i < im->count; i++) {
		if (im->entries[i].uid == im->entries[o - 1].uid) {
			free(im->entries[i].base);
			free(im->entries[i].pop3_uidl);
			continue;
		}
		im->entries[o++] = im->entries[i];
	}
	im->count = o;
	uint32_t maxuid = im->entries[im->count - 1].uid;
	if (im->next_uid <= maxuid)
		im->next_uid = maxuid == UINT32_MAX ? UINT32_MAX : maxuid + 1;
}

int
maildir_import_parse_uidlist(const char *p, size_t len,
    struct maildir_import *im)
{
	size_t cap = im->count, pos = 0, lineno = 0;
	int version = 0;
	uint32_t uidv = 0, next = 0;
	if (len > MAILDIR_IMPORT_MAX_BYTES)
		len = MAILDIR_IMPORT_MAX_BYTES;
	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) : len;
		const char *l = p + pos;
		size_t ll = end - pos;
		pos = end + 1;
		if (ll > 0 && l[ll - 1] == '\r')
			ll--;
		if (ll > MAILDIR_IMPORT_LINE_MAX)
			continue;
		size_t i = 0;
		if (lineno++ == 0) {
			if (ll >= 2 && l[0] == '1' && l[1] == ' ') {
				i = 2;
				skip_spaces(l, ll, &i);
				if (parse_u32(l, ll, &i, &uidv) < 0)
					return -1;
				skip_spaces(l, ll, &i);
				if (parse_u32(l, ll, &i, &next) < 0)
					return -1;
				version = 1;
			} else if (ll >= 2 && l[0] == '3' && l[1] == ' ') {
				i = 2;
				while (i < ll) {
					skip_spaces(l, ll, &i);
					if (i >= ll)
						break;
					char key = l[i++];
					uint32_t v;
					size_t j = i;
					if ((key == 'V' || key == 'N') && parse_u32(l, ll, &j, &v) == 0) {
						if (key == 'V')
							uidv = v;
						else
							next = v;
						i = j;
					}
					while (i < ll && l[i] != ' ')
						i++;
				}
				version = 3;
			} else {
				return -1;
			}
			if (uidv == 0)
				return -1;
			continue;
		}
		uint32_t uid;
		if (parse_u32(l, ll, &i, &uid) < 0)
			continue;
		skip_spaces(l, ll, &i);
		if (version == 1) {
			/* "<uid> <filename>" */
			add_entry(im, &cap, uid, l + i, ll - i, NULL, 0);
			continue;
		}
		/* v3: "<uid> [<key><value> ...] :<filename>" */
		const char *uidl = NULL;
		size_t ulen = 0;
		while (i < ll && l[i] != ':') {
			size_t s = i;
			while (i < ll && l[i] != ' ')
				i++;
			if (l[s] == 'P' && i > s + 1) {
				uidl = l + s + 1;
				ulen = i - s - 1;
			}
			skip_spaces(l, ll, &i);
		}
		if (i >= ll)
			continue;
		i++;   /* ':' */
		add_entry(im, &cap, uid, l + i, ll - i, uidl, ulen);
	}
	if (version == 0)
		return -1;
	im->uidvalidity = uidv;
	im->next_uid = next ? next : 1;
	normalize(im);
	/* UIDs near the top of the range would leave no room for new mail:
	 * such a list is not worth keeping (fresh UIDs instead). */
	if (im->next_uid > MAILDIR_IMPORT_UID_MAX) {
		for (size_t i = 0; i < im->count; i++) {
			free(im->entries[i].base);
			free(im->entries[i].pop3_uidl);
		}
		free(im->entries);
		im->entries = NULL;
		im->count = 0;
		im->uidvalidity = 0;
		im->next_uid = 0;
		return -1;
	}
	return 0;
}

static int
keyword_atom_ok(const char *p, size_t len)
{
	if (len == 0 || len > 100 || p[0] == '\\')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		/* RFC 3501 atom: no specials, no CTL, no SP. */
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c))
			return 0;
	}
	return 1;
}

int
maildir_import_parse_keywords(const char *p, size_t len,
    struct maildir_import *im)
{
	size_t pos = 0;
	int n = 0;
	if (len > 1 << 20)
		len = 1 << 20;
	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) : len;
		const char *l = p + pos;
		size_t ll = end - pos, i = 0;
		pos = end + 1;
		if (ll > 0 && l[ll - 1] == '\r')
			ll--;
		uint32_t idx;
		if (parse_u32(l, ll, &i, &idx) < 0 || idx >= MAILDIR_KEYWORDS_MAX ||
		    i >= ll)
			continue;
		i++;
		if (!keyword_atom_ok(l + i, ll - i) || im->keywords[idx])
			continue;
		/* The same name twice would make two letters mean one keyword. */
		int dup = 0;
		for (int k = 0; k < MAILDIR_KEYWORDS_MAX; k++)
			if (im->keywords[k] && strlen(im->keywords[k]) == ll - i &&
			    strncasecmp(im->keywords[k], l + i, ll - i) == 0)
				dup = 1;
		if (dup)
			continue;
		im->keywords[idx] = xstrndup(l + i, ll - i);
		n++;
	}
	return n;
}

/* Read a whole small file, bounded.  1 read, 0 missing, -1 error. */
static int
read_file(const char *dir, const char *name, size_t max, struct buf *out)
{
	char p[MAILDIR_PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	char b[65536];
	for (;;) {
		ssize_t r = read(fd, b, sizeof(b));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		size_t take = (size_t)r;
		if (out->len + take > max)
			take = max - out->len;
		buf_append(out, b, take);
		if (out->len >= max)
			break;   /* truncated: later lines are lost, not misread */
	}
	close(fd);
	return 1;
}

int
maildir_import_dir(const char *dir, struct maildir_import *im)
{
	struct buf b = BUF_INIT;
	int got = 0;
	static const char *const lists[] = { "dovecot-uidlist", "courierimapuiddb" };
	memset(im, 0, sizeof(*im));
	for (int i = 0; i < 2 && !got; i++) {
		buf_reset(&b);
		int r = read_file(dir, lists[i], MAILDIR_IMPORT_MAX_BYTES, &b);
		if (r < 0) {
			buf_free(&b);
			return -1;
		}
		if (r == 0)
			continue;
		/* A truncated last line must not become a short name. */
		size_t len = b.len;
		while (len > 0 && b.p[len - 1] != '\n')
			len--;
		if (maildir_import_parse_uidlist(b.p, len, im) == 0) {
			im->source = lists[i];
			got = 1;
		}
	}
	buf_reset(&b);
	if (read_file(dir, "dovecot-keywords", 1 << 20, &b) > 0)
		maildir_import_parse_keywords(b.p, b.len, im);
	buf_free(&b);
	if (got)
		maildir_import_index(im);
	return got;
}

/* Order by base, then UID: the lowest UID wins for a duplicate base. */
static int
cmp_base(const void *a, const void *b)
{
	const struct maildir_import_entry *x = *(const struct maildir_import_entry *const *)a;
	const struct maildir_import_entry *y = *(const struct maildir_import_entry *const *)b;
	size_t n = x->base_len < y->base_len ? x->base_len : y->base_len;
	int c = memcmp(x->base, y->base, n);
	if (c)
		return c;
	if (x->base_len != y->base_len)
		return x->base_len < y->base_len ? -1 : 1;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

void
maildir_import_index(struct maildir_import *im)
{
	free(im->by_base);
	im->by_base = xcalloc(im->count ? im->count : 1, sizeof(*im->by_base));
	for (size_t i = 0; i < im->count; i++)
		im->by_base[i] = &im->entries[i];
	qsort(im->by_base, im->count, sizeof(*im->by_base), cmp_base);
}

static int
cmp_key(const struct maildir_import_entry *e, const char *base, size_t len)
{
	size_t n = e->base_len < len ? e->base_len : len;
	int c = memcmp(e->base, base, n);
	if (c == 0 && e->base_len != len)
		c = e->base_len < len ? -1 : 1;
	return c;
}

const struct maildir_import_entry *
maildir_import_find(const struct maildir_import *im, const char *base,
    size_t len)
{
	if (!im->by_base)
		return NULL;
	/* Lower bound: the first entry not below the key. */
	size_t lo = 0, hi = im->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_key(im->by_base[mid], base, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < im->count && cmp_key(im->by_base[lo], base, len) == 0)
		return im->by_base[lo];
	return NULL;
}

void
maildir_import_free(struct maildir_import *im)
{
	free(im->by_base);
	for (size_t i = 0; i < im->count; i++) {
		free(im->entries[i].base);
		free(im->entries[i].pop3_uidl);
	}
	free(im->entries);
	for (int k = 0; k < MAILDIR_KEYWORDS_MAX; k++)
		free(im->keywords[k]);
	memset(im, 0, sizeof(*im));
}
