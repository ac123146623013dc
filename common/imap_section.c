/* imap_section.c: section-spec parser and BODY[]/BINARY[] extraction. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "imap_section.h"
#include "imap_quote.h"
#include "base64.h"
#include "qp.h"

void imap_section_free(struct imap_section *sec)
{
	for (size_t i = 0; i < sec->nfields; i++)
		free(sec->fields[i]);
	sec->nfields = 0;
}

static int word_is(const char *p, size_t len, size_t i, const char *w)
{
	size_t n = strlen(w);
	return len - i >= n && strncasecmp(p + i, w, n) == 0;
}

int imap_section_parse(const char *p, size_t len, int binary, struct imap_section *sec)
{
	size_t i = 0;

	memset(sec, 0, sizeof(*sec));
	/* part numbers: 1*digit *("." 1*digit) */
	while (i < len && p[i] >= '0' && p[i] <= '9') {
		unsigned long n = 0;
		while (i < len && p[i] >= '0' && p[i] <= '9') {
			n = n * 10 + (unsigned)(p[i] - '0');
			if (n > 1000000)
				return -1;
			i++;
		}
		if (n == 0 || sec->nnums >= IMAP_SECTION_MAX_DEPTH)
			return -1;
		sec->nums[sec->nnums++] = (unsigned int)n;
		if (i < len && p[i] == '.') {
			i++;
			if (i >= len)
				return -1;
			continue;
		}
		break;
	}
	if (i == len) {
		sec->kind = IMAP_SECTION_ALL;
		return 0;
	}
	if (binary)
		return -1;
	if (sec->nnums > 0 && p[i - 1] != '.')
		return -1;
	if (word_is(p, len, i, "HEADER.FIELDS.NOT")) {
		sec->kind = IMAP_SECTION_HEADER_FIELDS_NOT;
		i += 17;
	} else if (word_is(p, len, i, "HEADER.FIELDS")) {
		sec->kind = IMAP_SECTION_HEADER_FIELDS;
		i += 13;
	} else if (len - i == 6 && word_is(p, len, i, "HEADER")) {
		sec->kind = IMAP_SECTION_HEADER;
		return 0;
	} else if (len - i == 4 && word_is(p, len, i, "TEXT")) {
		sec->kind = IMAP_SECTION_TEXT;
		return 0;
	} else if (len - i == 4 && word_is(p, len, i, "MIME") && sec->nnums > 0) {
		sec->kind = IMAP_SECTION_MIME;
		return 0;
	} else {
		return -1;
	}
	/* " (" astring *(SP astring) ")" */
	if (i >= len || p[i] != ' ')
		return -1;
	i++;
	if (i >= len || p[i] != '(')
		return -1;
	i++;
	for (;;) {
		while (i < len && p[i] == ' ')
			i++;
		if (i >= len)
			return -1;
		if (p[i] == ')') {
			i++;
			break;
		}
		size_t s = i;
		char *name;
		if (p[i] == '"') {
			struct buf b = BUF_INIT;
			i++;
			while (i < len && p[i] != '"') {
				if (p[i] == '\\' && i + 1 < len)
					i++;
				buf_putc(&b, p[i++]);
			}
			if (i >= len) {
				buf_free(&b);
				return -1;
			}
			i++;
			name = xstrndup(b.p ? b.p : "", b.len);
			buf_free(&b);
		} else {
			while (i < len && p[i] != ' ' && p[i] != ')' && p[i] != '(')
				i++;
			name = xstrndup(p + s, i - s);
		}
		if (sec->nfields >= IMAP_SECTION_MAX_FIELDS) {
			free(name);
			return -1;
		}
		sec->fields[sec->nfields++] = name;
	}
	if (i != len || sec->nfields == 0)
		return -1;
	return 0;
}

static int field_listed(const struct message *msg, const struct message_header_field *f,
			const struct imap_section *sec)
{
	for (size_t i = 0; i < sec->nfields; i++)
		if (message_field_is(msg, f, sec->fields[i]))
			return 1;
	return 0;
}

/* The message whose header/text a HEADER/TEXT section of part means: the
 * message inside a message/rfc822 part; NULL for other parts (the
 * reference server answers those with no octets). */
static const struct message_part *message_of(const struct message_part *part)
{
	if ((part->flags & MESSAGE_PART_RFC822) && part->children != NULL)
		return part->children;
	return NULL;
}

static void header_fields_write(const struct message *msg, const struct message_part *part,
				const struct imap_section *sec, struct buf *out)
{
	int want = sec->kind == IMAP_SECTION_HEADER_FIELDS;
	size_t start = out->len;

	for (size_t i = 0; i < part->nfields; i++) {
		const struct message_header_field *f = &part->fields[i];
		if (field_listed(msg, f, sec) == want)
			message_write_crlf(msg->p + f->start, f->end - f->start, out);
	}
	if (!want) {
		/* HEADER.FIELDS.NOT: the header's own empty line, if any */
		size_t hs = part->header_start, be = part->body_start;
		const char *p = msg->p;
		if (be > hs && p[be - 1] == '\n' &&
		    (be - hs == 1 || p[be - 2] == '\n' ||
		     (p[be - 2] == '\r' && (be - hs == 2 || p[be - 3] == '\n'))))
			buf_append(out, "\r\n", 2);
		return;
	}
	/* the empty line that ends the header; a header cut off at the end
	 * of the data without a line end only gets its last line ended (what
	 * the reference server sends) */
	if (part->body_start == part->header_start || msg->p[part->body_start - 1] == '\n' ||
	    out->len == start || out->p[out->len - 1] != '\n')
		buf_append(out, "\r\n", 2);
}

int imap_section_fetch(const struct message *msg, const struct imap_section *sec,
		       struct buf *out)
{
	const struct message_part *part = msg->root;

	if (sec->nnums > 0) {
		part = message_part_by_number(msg, sec->nums, sec->nnums);
		if (part == NULL)
			return -1;
	}
	if (sec->kind == IMAP_SECTION_ALL) {
		if (sec->nnums == 0)
			message_write_crlf(msg->p, msg->len, out);
		else
			message_write_crlf(msg->p + part->body_start,
					   part->body_end - part->body_start, out);
		return 0;
	}
	if (sec->kind == IMAP_SECTION_MIME) {
		message_write_crlf(msg->p + part->header_start,
				   part->body_start - part->header_start, out);
		return 0;
	}
	if (sec->nnums > 0 && (part = message_of(part)) == NULL)
		return 0;
	switch (sec->kind) {
	case IMAP_SECTION_TEXT:
		message_write_crlf(msg->p + part->body_start,
				   part->body_end - part->body_start, out);
		break;
	case IMAP_SECTION_HEADER:
		message_write_crlf(msg->p + part->header_start,
				   part->body_start - part->header_start, out);
		break;
	default:
		header_fields_write(msg, part, sec, out);
		break;
	}
	return 0;
}

static int cte_is(const char *cte, const char *name)
{
	return cte != NULL && strcasecmp(cte, name) == 0;
}

/* Append the decoded body of a leaf part; -2 for an unknown encoding. */
static int leaf_decode(const struct message *msg, const struct message_part *part,
		       struct buf *out)
{
	const char *p = msg->p + part->body_start;
	size_t len = part->body_end - part->body_start;

	if (cte_is(part->cte, "base64")) {
		base64_decode_mime(p, len, out);
	} else if (cte_is(part->cte, "quoted-printable")) {
		struct buf t = BUF_INIT;
		qp_decode(p, len, &t);
		message_write_crlf(t.p ? t.p : "", t.len, out);
		buf_free(&t);
	} else if (cte_is(part->cte, "binary")) {
		buf_append(out, p, len);
	} else if (part->cte == NULL || cte_is(part->cte, "7bit") || cte_is(part->cte, "8bit")) {
		message_write_crlf(p, len, out);
	} else {
		return -2;
	}
	return 0;
}

static int leaf_is_encoded(const struct message_part *part)
{
	return (part->flags & (MESSAGE_PART_MULTIPART | MESSAGE_PART_RFC822)) == 0 &&
	       (cte_is(part->cte, "base64") || cte_is(part->cte, "quoted-printable"));
}

static int binary_part_write(const struct message *msg, const struct message_part *part,
			     struct buf *out);

/* The body of a part with its encoded leaves decoded; the text between
 * the parts (preamble, delimiters, epilogue) as it is. */
static int binary_body_write(const struct message *msg, const struct message_part *part,
			     struct buf *out)
{
	if (part->children == NULL)
		return leaf_decode(msg, part, out);
	size_t pos = part->body_start;
	for (const struct message_part *c = part->children; c != NULL; c = c->next) {
		if (c->header_start > pos)
			message_write_crlf(msg->p + pos, c->header_start - pos, out);
		if (binary_part_write(msg, c, out) < 0)
			return -2;
		if (c->body_end > pos)
			pos = c->body_end;
	}
	if (part->body_end > pos)
		message_write_crlf(msg->p + pos, part->body_end - pos, out);
	return 0;
}

/* Header and body of a part as the reference server writes them for
 * BINARY: a decoded part loses its Content-Transfer-Encoding fields and
 * gets "Content-Transfer-Encoding: binary" before its empty line. */
static int binary_part_write(const struct message *msg, const struct message_part *part,
			     struct buf *out)
{
	const char *p = msg->p;
	size_t hs = part->header_start, be = part->body_start;

	if (!leaf_is_encoded(part)) {
		message_write_crlf(p + hs, be - hs, out);
		return binary_body_write(msg, part, out);
	}
	size_t blank = be;               /* where the header's empty line starts */
	if (be > hs && p[be - 1] == '\n') {
		size_t k = be - 1;
		if (k > hs && p[k - 1] == '\r')
			k--;
		if (k == hs || p[k - 1] == '\n')
			blank = k;
	}
	size_t pos = hs;
	for (size_t i = 0; i < part->nfields; i++) {
		const struct message_header_field *f = &part->fields[i];
		if (!message_field_is(msg, f, "Content-Transfer-Encoding") || f->end > blank)
			continue;
		message_write_crlf(p + pos, f->start - pos, out);
		pos = f->end;
	}
	message_write_crlf(p + pos, blank - pos, out);
	if (blank > hs && p[blank - 1] != '\n')
		buf_append(out, "\r\n", 2);
	buf_puts(out, "Content-Transfer-Encoding: binary\r\n");
	message_write_crlf(p + blank, be - blank, out);
	return leaf_decode(msg, part, out);
}

int imap_binary_fetch(const struct message *msg, const struct imap_section *sec,
		      struct buf *out)
{
	const struct message_part *part = msg->root;

	if (sec->nnums == 0)
		return binary_part_write(msg, msg->root, out);
	part = message_part_by_number(msg, sec->nums, sec->nnums);
	if (part == NULL)
		return -1;
	return binary_body_write(msg, part, out);
}

void imap_partial_write(const char *p, size_t len, size_t origin, size_t count,
			int binary, struct buf *out)
{
	if (origin > len)
		origin = len;
	p += origin;
	len -= origin;
	if (count < len)
		len = count;
	if (binary && memchr(p, '\0', len) != NULL) {
		buf_printf(out, "~{%zu}\r\n", len);
		buf_append(out, p, len);
		return;
	}
	imap_write_literal(out, p, len);
}
