/* imap_names.c: mailbox names between the client's form (modified UTF-7
 * or UTF-8) and Maildir++ folder names on disk, and LIST wildcards
 * (see imap_names.h). */
#include "imap_names.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "maildir.h"
#include "mutf7.h"

int
imap_name_utf8_valid(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp, need, k;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (len - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += need + 1;
	}
	return 1;
}

static int
is_inbox(const char *p, size_t len)
{
	return len == 5 && strncasecmp(p, "INBOX", 5) == 0;
}

int
imap_name_to_folder(int utf8, const char *p, size_t len, struct buf *out,
    const char **why)
{
	size_t start = out->len;

	if (len == 0) {
		*why = "Empty mailbox name";
		return -1;
	}
	if (len > IMAP_NAME_MAX) {
		*why = "Mailbox name too long";
		return -1;
	}
	if (memchr(p, '\0', len) != NULL || memchr(p, '/', len) != NULL) {
		*why = "Invalid character in mailbox name";
		return -1;
	}
	if (is_inbox(p, len)) {
		buf_cstr(out);
		return 0;
	}
	/* INBOX.x: the INBOX part of a hierarchical name is case-insensitive
	 * too (RFC 3501 5.1). */
	if (len > 6 && strncasecmp(p, "INBOX", 5) == 0 && p[5] == IMAP_DELIM) {
		buf_puts(out, "INBOX");
		p += 5;
		len -= 5;
	}
	if (utf8) {
		if (!imap_name_utf8_valid(p, len)) {
			*why = "Mailbox name is not valid UTF-8";
			goto fail;
		}
		if (mutf7_encode(p, len, out, why) < 0)
			goto fail;
	} else {
		if (!mutf7_valid(p, len)) {
			*why = "Mailbox name is not valid modified UTF-7";
			goto fail;
		}
		buf_append(out, p, len);
	}
	if (!maildir_folder_name_valid(out->p + start, out->len - start) ||
	    maildir_folder_is_inbox(out->p + start, out->len - start) ||
	    out->len - start > 200) {
		*why = "Invalid mailbox name";
		goto fail;
	}
	buf_cstr(out);
	return 0;
fail:
	out->len = start;
	buf_cstr(out);
	return -1;
}

void
imap_name_from_folder(int utf8, const char *folder, size_t len,
    struct buf *out)
{
	size_t start = out->len;

	if (len == 0 || maildir_folder_is_inbox(folder, len)) {
		buf_puts(out, "INBOX");
		return;
	}
	if (utf8) {
		if (mutf7_decode(folder, len, out, NULL) == 0)
			return;
		out->len = start;   /* not ours: show it as it is */
	}
	buf_append(out, folder, len);
}

/* '*' and '%' by dynamic programming over the name: bounded work, no
 * recursion, no backtracking blow-up on patterns like "*a*a*a*b". */
int
imap_name_match(const char *pat, size_t plen, const char *name, size_t nlen)
{
	unsigned char stackbuf[1026];
	unsigned char *cur = stackbuf;
	size_t i, j;
	int r;

	if (plen > 2 * IMAP_NAME_MAX || nlen > 2 * IMAP_NAME_MAX)
		return 0;
	/* An INBOX prefix of both is compared without case. */
	if (plen >= 5 && nlen >= 5 && strncasecmp(pat, "INBOX", 5) == 0 &&
	    strncasecmp(name, "INBOX", 5) == 0 &&
	    (plen == 5 || pat[5] == IMAP_DELIM) &&
	    (nlen == 5 || name[5] == IMAP_DELIM)) {
		pat += 5;
		plen -= 5;
		name += 5;
		nlen -= 5;
	}
	if (nlen + 1 > sizeof(stackbuf))
		cur = malloc(nlen + 1);
	if (cur == NULL)
		return 0;
	/* cur[j]: pattern so far matches name[0..j) */
	memset(cur, 0, nlen + 1);
	cur[0] = 1;
	for (i = 0; i < plen; i++) {
		char c = pat[i];
		if (c == '*') {
			for (j = 1; j <= nlen; j++)
				if (cur[j - 1])
					cur[j] = 1;
		} else if (c == '%') {
			for (j = 1; j <= nlen; j++)
				if (cur[j - 1] && name[j - 1] != IMAP_DELIM)
					cur[j] = 1;
		} else {
			for (j = nlen; j >= 1; j--)
				cur[j] = cur[j - 1] && name[j - 1] == c;
			cur[0] = 0;
		}
	}
	r = cur[nlen];
	if (cur != stackbuf)
		free(cur);
	return r;
}
