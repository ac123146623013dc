/* dotqmail.c: parser of the per-user delivery rule file (see dotqmail.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dotqmail.h"
#include "maildir.h"

static void
add(struct dotqmail *d, enum dotqmail_kind kind, const char *p, size_t len,
    unsigned line)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 4;
		d->rules = xreallocarray(d->rules, d->cap, sizeof(*d->rules));
	}
	d->rules[d->n].kind = kind;
	d->rules[d->n].arg = xstrndup(p, len);
	d->rules[d->n].line = line;
	d->n++;
}

/* One rule (trimmed, non-empty, not a comment).  NULL or a reason. */
static const char *
rule(struct dotqmail *d, const char *p, size_t len, unsigned line)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == '\0' || (p[i] != '\t' && (unsigned char)p[i] < 0x20) ||
		    p[i] == 0x7f)
			return "control character";
	if (d->n >= DOTQMAIL_MAX_RULES)
		return "too many rules";
	switch (p[0]) {
	case '|':
		if (len < 2)
			return "empty command";
		add(d, DOTQMAIL_PIPE, p + 1, len - 1, line);
		return NULL;
	case '.':
	case '/':
		if (p[len - 1] != '/')
			return "only Maildir delivery (a path ending in '/') is supported";
		add(d, DOTQMAIL_MAILDIR, p, len, line);
		return NULL;
	case '+':
		if (len < 2 || !maildir_folder_name_valid(p + 1, len - 1) ||
		    maildir_folder_is_inbox(p + 1, len - 1))
			return "bad folder name";
		add(d, DOTQMAIL_FOLDER, p + 1, len - 1, line);
		return NULL;
	case '&':
		p++;
		len--;
		break;
	default:
		break;
	}
	if (len == 0 || len > 254)
		return "bad forward address";
	for (i = 0; i < len; i++)
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '<' || p[i] == '>')
			return "bad forward address";
	if (memchr(p, '@', len) == NULL)
		return "forward address without a domain";
	add(d, DOTQMAIL_FORWARD, p, len, line);
	return NULL;
}

int
dotqmail_parse(const char *p, size_t len, struct dotqmail *d, char *err,
    size_t errlen)
{
	size_t off = 0;
	unsigned line = 0;
	const char *why = NULL;

	if (len > DOTQMAIL_MAX_FILE) {
		snprintf(err, errlen, "file too large");
		return -1;
	}
	while (off < len) {
		const char *s = p + off, *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;

		off += n + (nl ? 1 : 0);
		line++;
		if (n > DOTQMAIL_MAX_LINE) {
			why = "line too long";
			break;
		}
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
			n--;
		if (n == 0 || s[0] == '#')
			continue;
		if ((why = rule(d, s, n, line)) != NULL)
			break;
	}
	if (why == NULL && d->n == 0) {
		why = "no rule";
		line = 0;
	}
	if (why != NULL) {
		snprintf(err, errlen, "line %u: %s", line, why);
		dotqmail_free(d);
		return -1;
	}
	return 0;
}

void
dotqmail_free(struct dotqmail *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->rules[i].arg);
	free(d->rules);
	memset(d, 0, sizeof(*d));
}

int
dotqmail_file_name(const char *ext, char *out, size_t outlen)
{
	size_t n = strlen(DOTQMAIL_BASENAME), i, el;

	if (ext == NULL || *ext == '\0') {
		if (outlen <= n)
			return -1;
		memcpy(out, DOTQMAIL_BASENAME, n + 1);
		return 0;
	}
	el = strlen(ext);
	if (n + 1 + el + 1 > outlen || el > 200)
		return -1;
	memcpy(out, DOTQMAIL_BASENAME, n);
	out[n++] = '-';
	for (i = 0; i < el; i++) {
		unsigned char c = (unsigned char)ext[i];

		if (c == '/' || c < 0x20 || c == 0x7f)
			return -1;
		if (c == '.')
			c = ':';
		else if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}
