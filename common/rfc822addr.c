/* rfc822addr.c: RFC 5322 lexer and address-list parser (ENVELOPE form). */
#include <stdlib.h>
#include <string.h>
#include "rfc822addr.h"

/* atext (RFC 5322 3.2.3) plus 8-bit octets (RFC 6532); 2 marks the MIME
 * tspecials among them ("/", "=", "?", RFC 2045 5.1). */
static unsigned char atext_class(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80)
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
	case '+': case '-': case '^': case '_': case '`': case '{': case '|':
	case '}': case '~':
		return 1;
	case '/': case '=': case '?':
		return 2;
	}
	return 0;
}
#define IS_ATEXT(c) (atext_class(c) != 0)
#define IS_TOKEN(c) (atext_class(c) == 1)
/* The octet at the lexer position, or NUL at the end: the grammar below
 * treats the end like a terminator, never reads past it. */
#define LX_CUR(lx) ((lx)->p < (lx)->end ? *(lx)->p : '\0')

void rfc822_lexer_init(struct rfc822_lexer *lx, const char *p, size_t len,
		       struct buf *last_comment)
{
	lx->p = (const unsigned char *)p;
	lx->end = lx->p + len;
	lx->last_comment = last_comment;
}

static int skip_comment(struct rfc822_lexer *lx)
{
	const unsigned char *start;
	int level = 1;

	if (lx->last_comment != NULL)
		buf_reset(lx->last_comment);
	start = ++lx->p;
	for (; lx->p < lx->end; lx->p++) {
		switch (LX_CUR(lx)) {
		case '(':
			level++;
			break;
		case ')':
			if (--level == 0) {
				if (lx->last_comment != NULL)
					buf_append(lx->last_comment, start, lx->p - start);
				lx->p++;
				return lx->p < lx->end ? 1 : 0;
			}
			break;
		case '\n':
			if (lx->last_comment != NULL) {
				size_t n = lx->p - start;
				if (n > 0 && start[n - 1] == '\r')
					n--;
				buf_append(lx->last_comment, start, n);
				start = lx->p + 1;
			}
			break;
		case '\\':
			if (lx->last_comment != NULL)
				buf_append(lx->last_comment, start, lx->p - start);
			start = lx->p + 1;
			if (++lx->p >= lx->end)
				return -1;
			break;
		}
	}
	return -1;                  /* missing ')' */
}

int rfc822_skip_lwsp(struct rfc822_lexer *lx)
{
	while (lx->p < lx->end) {
		unsigned char c = LX_CUR(lx);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			lx->p++;
			continue;
		}
		if (c != '(')
			break;
		if (skip_comment(lx) < 0)
			return -1;
	}
	return lx->p < lx->end ? 1 : 0;
}

int rfc822_parse_quoted_string(struct rfc822_lexer *lx, struct buf *str)
{
	const unsigned char *start;

	lx->p++;                    /* the opening '"' */
	for (start = lx->p; lx->p < lx->end; lx->p++) {
		switch (LX_CUR(lx)) {
		case '"':
			buf_append(str, start, lx->p - start);
			lx->p++;
			return rfc822_skip_lwsp(lx);
		case '\n': {
			/* folding white space: drop the (CR)LF */
			size_t n = lx->p - start;
			if (n > 0 && start[n - 1] == '\r')
				n--;
			buf_append(str, start, n);
			start = lx->p + 1;
			break;
		}
		case '\\':
			if (lx->p + 1 >= lx->end)
				return -1;
			buf_append(str, start, lx->p - start);
			start = ++lx->p;
			break;
		}
	}
	return -1;                  /* missing '"' */
}

int rfc822_parse_atom(struct rfc822_lexer *lx, struct buf *str)
{
	const unsigned char *start;

	if (lx->p >= lx->end || !IS_ATEXT(LX_CUR(lx)))
		return -1;
	for (start = lx->p++; lx->p < lx->end; lx->p++) {
		if (IS_ATEXT(LX_CUR(lx)))
			continue;
		buf_append(str, start, lx->p - start);
		return rfc822_skip_lwsp(lx);
	}
	buf_append(str, start, lx->p - start);
	return 0;
}

int rfc822_parse_dot_atom(struct rfc822_lexer *lx, struct buf *str)
{
	const unsigned char *start;
	int ret;

	/* RFC 822 compatibility: white space allowed around '.' */
	if (lx->p >= lx->end || !IS_ATEXT(LX_CUR(lx)))
		return -1;
	for (start = lx->p++; lx->p < lx->end;) {
		if (IS_ATEXT(LX_CUR(lx))) {
			lx->p++;
			continue;
		}
		buf_append(str, start, lx->p - start);
		if ((ret = rfc822_skip_lwsp(lx)) <= 0)
			return ret;
		if (LX_CUR(lx) != '.')
			return 1;
		lx->p++;
		buf_putc(str, '.');
		if ((ret = rfc822_skip_lwsp(lx)) <= 0)
			return ret;
		start = lx->p;
	}
	buf_append(str, start, lx->p - start);
	return 0;
}

int rfc822_parse_mime_token(struct rfc822_lexer *lx, struct buf *str)
{
	const unsigned char *start;

	for (start = lx->p; lx->p < lx->end; lx->p++) {
		if (IS_TOKEN(LX_CUR(lx)) || LX_CUR(lx) == '.')
			continue;
		buf_append(str, start, lx->p - start);
		return rfc822_skip_lwsp(lx);
	}
	buf_append(str, start, lx->p - start);
	return 0;
}

/* atoms with dots, not skipping white space inside (obs-phrase) */
static int parse_atom_or_dot(struct rfc822_lexer *lx, struct buf *str)
{
	const unsigned char *start;

	for (start = lx->p; lx->p < lx->end; lx->p++) {
		if (IS_ATEXT(LX_CUR(lx)) || LX_CUR(lx) == '.')
			continue;
		buf_append(str, start, lx->p - start);
		return rfc822_skip_lwsp(lx);
	}
	buf_append(str, start, lx->p - start);
	return 0;
}

int rfc822_parse_phrase(struct rfc822_lexer *lx, struct buf *str)
{
	int ret;

	if (lx->p >= lx->end)
		return 0;
	if (LX_CUR(lx) == '.')
		return -1;
	for (;;) {
		if (LX_CUR(lx) == '"')
			ret = rfc822_parse_quoted_string(lx, str);
		else
			ret = parse_atom_or_dot(lx, str);
		if (ret <= 0)
			return ret;
		if (!IS_ATEXT(LX_CUR(lx)) && LX_CUR(lx) != '"' && LX_CUR(lx) != '.')
			break;
		buf_putc(str, ' ');
	}
	return rfc822_skip_lwsp(lx);
}

static int parse_domain_literal(struct rfc822_lexer *lx, struct buf *str)
{
	const unsigned char *start;

	for (start = lx->p++; lx->p < lx->end; lx->p++) {
		switch (LX_CUR(lx)) {
		case '[':
			return -1;
		case ']':
			buf_append(str, start, lx->p - start + 1);
			lx->p++;
			return rfc822_skip_lwsp(lx);
		case '\n': {
			size_t n = lx->p - start;
			if (n > 0 && start[n - 1] == '\r')
				n--;
			buf_append(str, start, n);
			start = lx->p + 1;
			break;
		}
		case '\\':
			/* the backslash stays in the output */
			if (++lx->p >= lx->end)
				return -1;
			break;
		}
	}
	return -1;
}

int rfc822_parse_domain(struct rfc822_lexer *lx, struct buf *str)
{
	lx->p++;                    /* '@' */
	if (rfc822_skip_lwsp(lx) <= 0)
		return -1;
	if (LX_CUR(lx) == '[')
		return parse_domain_literal(lx, str);
	return rfc822_parse_dot_atom(lx, str);
}

int rfc822_parse_content_type(struct rfc822_lexer *lx, struct buf *str)
{
	size_t start = str->len;

	if (rfc822_skip_lwsp(lx) <= 0)
		return -1;
	if (rfc822_parse_mime_token(lx, str) <= 0 || str->len == start)
		return -1;
	if (LX_CUR(lx) != '/')
		return -1;
	lx->p++;
	if (rfc822_skip_lwsp(lx) <= 0)
		return -1;
	buf_putc(str, '/');
	size_t sub = str->len;
	int ret = rfc822_parse_mime_token(lx, str);
	if (ret < 0 || str->len == sub)
		return -1;
	return ret;
}

int rfc822_parse_content_param(struct rfc822_lexer *lx, struct buf *key,
			       struct buf *value)
{
	int ret;

	buf_reset(key);
	buf_reset(value);
	if (lx->p >= lx->end)
		return 0;
	if (LX_CUR(lx) != ';')
		return -1;
	lx->p++;
	if (rfc822_skip_lwsp(lx) <= 0)
		return -1;
	if (rfc822_parse_mime_token(lx, key) <= 0 || key->len == 0)
		return -1;
	if (LX_CUR(lx) != '=')
		return -1;
	lx->p++;
	if ((ret = rfc822_skip_lwsp(lx)) <= 0) {
		/* no value */
	} else if (LX_CUR(lx) == '"') {
		ret = rfc822_parse_quoted_string(lx, value);
	} else if (LX_CUR(lx) == '=') {
		/* broken senders: name==?utf-8?b?...?= */
		while (lx->p < lx->end && LX_CUR(lx) != ';' && LX_CUR(lx) != ' ' &&
		       LX_CUR(lx) != '\t' && LX_CUR(lx) != '\r' && LX_CUR(lx) != '\n')
			buf_putc(value, *lx->p++);
		ret = rfc822_skip_lwsp(lx);
	} else {
		ret = rfc822_parse_mime_token(lx, value);
	}
	return ret < 0 ? -1 : 1;
}

/* ---------------------------------------------------------------- addresses */

struct addr_parser {
	struct rfc822_lexer lx;
	struct buf str, comment;
	struct rfc822_address cur;
	struct rfc822_address *first, *last;
	int fill_missing;
};

static char *dup_buf(struct buf *b)
{
	return xstrndup(b->p ? b->p : "", b->len);
}

static void add_address(struct addr_parser *ap)
{
	struct rfc822_address *a = xmalloc(sizeof(*a));
	*a = ap->cur;
	a->next = NULL;
	memset(&ap->cur, 0, sizeof(ap->cur));
	if (ap->last != NULL)
		ap->last->next = a;
	else
		ap->first = a;
	ap->last = a;
}

static void set_field(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* dot-atom for a local part, tolerant as the reference server: dots may
 * lead, trail or repeat ("a.", ".c", "a..b"); white space around dots is
 * allowed (RFC 822). */
static int parse_local_dot_atom(struct rfc822_lexer *lx, struct buf *str)
{
	int ret;

	if (!IS_ATEXT(LX_CUR(lx)) && LX_CUR(lx) != '.')
		return -1;
	for (;;) {
		const unsigned char *start = lx->p;
		while (lx->p < lx->end && (IS_ATEXT(*lx->p) || *lx->p == '.'))
			lx->p++;
		buf_append(str, start, lx->p - start);
		if ((ret = rfc822_skip_lwsp(lx)) <= 0)
			return ret;
		if (LX_CUR(lx) != '.')
			return 1;
		buf_putc(str, '.');
		lx->p++;
		if ((ret = rfc822_skip_lwsp(lx)) <= 0)
			return ret;
		if (!IS_ATEXT(LX_CUR(lx)) && LX_CUR(lx) != '.')
			return 1;
	}
}

static int parse_local_part(struct addr_parser *ap)
{
	int ret;

	buf_reset(&ap->str);
	if (LX_CUR(&ap->lx) == '"')
		ret = rfc822_parse_quoted_string(&ap->lx, &ap->str);
	else
		ret = parse_local_dot_atom(&ap->lx, &ap->str);
	if (ret < 0)
		return -1;
	set_field(&ap->cur.mailbox, dup_buf(&ap->str));
	return ret;
}

static int parse_domain(struct addr_parser *ap)
{
	int ret;

	buf_reset(&ap->str);
	if ((ret = rfc822_parse_domain(&ap->lx, &ap->str)) < 0)
		return -1;
	set_field(&ap->cur.domain, dup_buf(&ap->str));
	return ret;
}

static int parse_domain_list(struct addr_parser *ap)
{
	int ret;

	/* obs-domain-list = "@" domain *(*(CFWS / ",") [CFWS] "@" domain) */
	buf_reset(&ap->str);
	for (;;) {
		if (ap->lx.p >= ap->lx.end)
			return 0;
		if (LX_CUR(&ap->lx) != '@')
			break;
		if (ap->str.len > 0)
			buf_putc(&ap->str, ',');
		buf_putc(&ap->str, '@');
		if ((ret = rfc822_parse_domain(&ap->lx, &ap->str)) <= 0)
			return ret;
		while (rfc822_skip_lwsp(&ap->lx) > 0 && LX_CUR(&ap->lx) == ',')
			ap->lx.p++;
	}
	set_field(&ap->cur.route, dup_buf(&ap->str));
	return 1;
}

static int parse_angle_addr(struct addr_parser *ap)
{
	ap->lx.p++;                 /* '<' */
	if (rfc822_skip_lwsp(&ap->lx) <= 0)
		return -1;
	if (LX_CUR(&ap->lx) == '@') {
		if (parse_domain_list(ap) > 0 && LX_CUR(&ap->lx) == ':') {
			ap->lx.p++;
		} else {
			if (ap->lx.p >= ap->lx.end)
				return -1;
			/* try to continue anyway */
		}
		if (rfc822_skip_lwsp(&ap->lx) <= 0)
			return -1;
	}
	if (LX_CUR(&ap->lx) != '>') {
		if (parse_local_part(ap) <= 0)
			return -1;
		if (LX_CUR(&ap->lx) == '@') {
			if (parse_domain(ap) <= 0)
				return -1;
		}
	}
	if (LX_CUR(&ap->lx) != '>')
		return -1;
	ap->lx.p++;
	return rfc822_skip_lwsp(&ap->lx);
}

static int parse_name_addr(struct addr_parser *ap)
{
	buf_reset(&ap->str);
	if (rfc822_parse_phrase(&ap->lx, &ap->str) <= 0 || LX_CUR(&ap->lx) != '<')
		return -1;
	if (ap->str.len > 0)
		set_field(&ap->cur.name, dup_buf(&ap->str));
	if (parse_angle_addr(ap) < 0) {
		set_field(&ap->cur.domain, xstrdup("SYNTAX_ERROR"));
		ap->cur.invalid_syntax = 1;
	}
	return ap->lx.p < ap->lx.end ? 1 : 0;
}

static int parse_addr_spec(struct addr_parser *ap)
{
	int ret, ret2 = -2;
	int quoted = LX_CUR(&ap->lx) == '"';

	buf_reset(&ap->comment);
	ret = parse_local_part(ap);
	if (ret <= 0)
		ap->cur.invalid_syntax = 1;
	if (ret != 0 && ap->lx.p < ap->lx.end && LX_CUR(&ap->lx) == '@') {
		ret2 = parse_domain(ap);
		if (ret2 <= 0)
			ret = ret2;
	}
	if (ap->comment.len > 0) {
		set_field(&ap->cur.name, dup_buf(&ap->comment));
	} else if (ret2 == -2 && ret > 0) {
		/* "user" alone is a mailbox; followed by more words it was
		 * a display name */
		buf_putc(&ap->str, ' ');
		size_t orig = ap->str.len;
		(void)rfc822_parse_phrase(&ap->lx, &ap->str);
		if (ap->str.len != orig) {
			set_field(&ap->cur.mailbox, NULL);
			set_field(&ap->cur.name, dup_buf(&ap->str));
		} else if (!quoted) {
			set_field(&ap->cur.domain, xstrdup(""));
		}
	}
	return ret;
}

static int parse_mailbox(struct addr_parser *ap)
{
	const unsigned char *start = ap->lx.p;
	int ret;

	if ((ret = parse_name_addr(ap)) < 0) {
		ap->lx.p = start;
		set_field(&ap->cur.name, NULL);
		set_field(&ap->cur.route, NULL);
		set_field(&ap->cur.mailbox, NULL);
		set_field(&ap->cur.domain, NULL);
		ap->cur.invalid_syntax = 0;
		ret = parse_addr_spec(ap);
		if (ret < 0)
			ap->cur.invalid_syntax = 1;
	}
	if (ap->fill_missing) {
		if (ap->cur.mailbox == NULL || *ap->cur.mailbox == '\0')
			set_field(&ap->cur.mailbox, xstrdup("MISSING_MAILBOX"));
		if (ap->cur.domain == NULL || *ap->cur.domain == '\0')
			set_field(&ap->cur.domain, xstrdup("MISSING_DOMAIN"));
	}
	add_address(ap);
	return ret;
}

static int parse_group(struct addr_parser *ap)
{
	int ret;

	buf_reset(&ap->str);
	if (rfc822_parse_phrase(&ap->lx, &ap->str) <= 0 || LX_CUR(&ap->lx) != ':')
		return -1;
	/* from here on it is a group, whatever follows */
	ap->lx.p++;
	if ((ret = rfc822_skip_lwsp(&ap->lx)) <= 0)
		ap->cur.invalid_syntax = 1;
	set_field(&ap->cur.mailbox, dup_buf(&ap->str));
	add_address(ap);

	if (ret > 0 && LX_CUR(&ap->lx) != ';') {
		for (;;) {
			if (parse_mailbox(ap) <= 0) {
				ret = -1;
				break;
			}
			if (LX_CUR(&ap->lx) != ',')
				break;
			ap->lx.p++;
			if (rfc822_skip_lwsp(&ap->lx) <= 0) {
				ret = -1;
				break;
			}
		}
	}
	if (ret >= 0) {
		if (ap->lx.p >= ap->lx.end || LX_CUR(&ap->lx) != ';') {
			ret = -1;
		} else {
			ap->lx.p++;
			ret = rfc822_skip_lwsp(&ap->lx);
		}
	}
	if (ret < 0)
		ap->cur.invalid_syntax = 1;
	add_address(ap);            /* end of group */
	return ret == 0 ? 0 : 1;
}

static int parse_address(struct addr_parser *ap)
{
	const unsigned char *start = ap->lx.p;
	int ret;

	if ((ret = parse_group(ap)) < 0) {
		ap->lx.p = start;
		set_field(&ap->cur.mailbox, NULL);
		ap->cur.invalid_syntax = 0;
		ret = parse_mailbox(ap);
	}
	return ret;
}

struct rfc822_address *rfc822addr_parse(const char *p, size_t len,
					unsigned int max_addresses,
					int fill_missing)
{
	struct addr_parser ap;

	memset(&ap, 0, sizeof(ap));
	buf_init(&ap.str);
	buf_init(&ap.comment);
	rfc822_lexer_init(&ap.lx, p, len, &ap.comment);
	ap.fill_missing = fill_missing;

	if (rfc822_skip_lwsp(&ap.lx) > 0) {
		while (max_addresses > 0) {
			max_addresses--;
			if (parse_address(&ap) == 0)
				break;
			if (ap.lx.p >= ap.lx.end || LX_CUR(&ap.lx) != ',')
				break;
			ap.lx.p++;
			if (rfc822_skip_lwsp(&ap.lx) <= 0)
				break;
		}
	}
	free(ap.cur.name);
	free(ap.cur.route);
	free(ap.cur.mailbox);
	free(ap.cur.domain);
	buf_free(&ap.str);
	buf_free(&ap.comment);
	return ap.first;
}

void rfc822addr_free(struct rfc822_address *list)
{
	while (list != NULL) {
		struct rfc822_address *next = list->next;
		free(list->name);
		free(list->route);
		free(list->mailbox);
		free(list->domain);
		free(list);
		list = next;
	}
}
