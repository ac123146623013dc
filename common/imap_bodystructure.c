/* imap_bodystructure.c: BODY / BODYSTRUCTURE builder. */
#include <string.h>
#include <strings.h>
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_quote.h"
#include "rfc822addr.h"
#include "rfc2231.h"

#define EMPTY_BODY "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)"
#define EMPTY_BODYSTRUCTURE \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"

/* The Content-* fields other than Type and Transfer-Encoding (first wins). */
struct part_ext {
	const struct message_header_field *id, *description, *md5, *location;
	const struct message_header_field *disposition, *language;
};

static void part_ext_find(const struct message *msg, const struct message_part *part,
			  struct part_ext *x)
{
	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < part->nfields; i++) {
		const struct message_header_field *f = &part->fields[i];
		if (!f->has_colon || f->name_len < 8 ||
		    strncasecmp(msg->p + f->start, "Content-", 8) != 0)
			continue;
		const struct message_header_field **slot = NULL;
		if (message_field_is(msg, f, "Content-ID"))
			slot = &x->id;
		else if (message_field_is(msg, f, "Content-Description"))
			slot = &x->description;
		else if (message_field_is(msg, f, "Content-MD5"))
			slot = &x->md5;
		else if (message_field_is(msg, f, "Content-Location"))
			slot = &x->location;
		else if (message_field_is(msg, f, "Content-Disposition"))
			slot = &x->disposition;
		else if (message_field_is(msg, f, "Content-Language"))
			slot = &x->language;
		if (slot != NULL && *slot == NULL)
			*slot = f;
	}
}

static void write_field_nstring(const struct message *msg,
				const struct message_header_field *f, struct buf *out)
{
	if (f == NULL)
		buf_puts(out, "NIL");
	else
		imap_write_nstring_nolf(out, msg->p + f->value_start,
					f->value_end - f->value_start);
}

static void params_write(const struct mime_params *ps, int default_charset,
			 struct buf *out)
{
	int seen_charset = 0;

	if (!default_charset && ps->count == 0) {
		buf_puts(out, "NIL");
		return;
	}
	buf_putc(out, '(');
	for (size_t i = 0; i < ps->count; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		if (strcasecmp(ps->v[i].name, "charset") == 0)
			seen_charset = 1;
		imap_write_cstring(out, ps->v[i].name);
		buf_putc(out, ' ');
		imap_write_cstring(out, ps->v[i].value);
	}
	if (default_charset && !seen_charset) {
		if (ps->count > 0)
			buf_putc(out, ' ');
		buf_puts(out, "\"charset\" \"us-ascii\"");
	}
	buf_putc(out, ')');
}

static void disposition_write(const struct message *msg,
			      const struct message_header_field *f, struct buf *out)
{
	struct rfc822_lexer lx;
	struct buf tok = BUF_INIT;
	struct mime_params ps;

	if (f == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	rfc822_lexer_init(&lx, msg->p + f->value_start, f->value_end - f->value_start, NULL);
	rfc822_skip_lwsp(&lx);
	if (rfc822_parse_mime_token(&lx, &tok) < 0) {
		buf_puts(out, "NIL");
		buf_free(&tok);
		return;
	}
	rfc2231_parse(&lx, msg->limits.max_params, &ps);
	buf_putc(out, '(');
	imap_write_string(out, tok.p ? tok.p : "", tok.len);
	buf_putc(out, ' ');
	params_write(&ps, 0, out);
	buf_putc(out, ')');
	mime_params_free(&ps);
	buf_free(&tok);
}

static void language_write(const struct message *msg,
			   const struct message_header_field *f, struct buf *out)
{
	struct rfc822_lexer lx;
	struct buf tok = BUF_INIT;
	int n = 0;

	if (f == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	rfc822_lexer_init(&lx, msg->p + f->value_start, f->value_end - f->value_start, NULL);
	rfc822_skip_lwsp(&lx);
	while (lx.p < lx.end) {
		buf_reset(&tok);
		if (rfc822_parse_mime_token(&lx, &tok) < 0 || tok.len == 0)
			break;
		buf_putc(out, n++ == 0 ? '(' : ' ');
		imap_write_string(out, tok.p, tok.len);
		if (lx.p >= lx.end || *lx.p != ',')
			break;
		lx.p++;
		rfc822_skip_lwsp(&lx);
	}
	if (n == 0)
		buf_puts(out, "NIL");
	else
		buf_putc(out, ')');
	buf_free(&tok);
}

static void common_ext_write(const struct message *msg, const struct part_ext *x,
			     struct buf *out)
{
	buf_putc(out, ' ');
	disposition_write(msg, x->disposition, out);
	buf_putc(out, ' ');
	language_write(msg, x->language, out);
	buf_putc(out, ' ');
	write_field_nstring(msg, x->location, out);
}

void imap_bodystructure_write(const struct message *msg,
			      const struct message_part *part,
			      int extended, struct buf *out)
{
	struct part_ext x;

	part_ext_find(msg, part, &x);
	if (part->flags & MESSAGE_PART_MULTIPART) {
		buf_putc(out, '(');
		if (part->children == NULL)
			buf_puts(out, extended ? EMPTY_BODYSTRUCTURE : EMPTY_BODY);
		for (const struct message_part *c = part->children; c != NULL; c = c->next)
			imap_bodystructure_write(msg, c, extended, out);
		buf_putc(out, ' ');
		imap_write_ncstring(out, part->content_subtype);
		if (extended) {
			buf_putc(out, ' ');
			params_write(&part->params, 0, out);
			common_ext_write(msg, &x, out);
		}
		buf_putc(out, ')');
		return;
	}

	int text = 0;
	buf_putc(out, '(');
	if (part->content_type == NULL) {
		if (part->flags & MESSAGE_PART_RFC822) {
			buf_puts(out, "\"message\" \"rfc822\"");
		} else {
			buf_puts(out, "\"text\" \"plain\"");
			text = 1;
		}
	} else {
		text = strcasecmp(part->content_type, "text") == 0;
		imap_write_cstring(out, part->content_type);
		buf_putc(out, ' ');
		imap_write_cstring(out, part->content_subtype);
	}
	buf_putc(out, ' ');
	params_write(&part->params, text, out);
	buf_putc(out, ' ');
	write_field_nstring(msg, x.id, out);
	buf_putc(out, ' ');
	write_field_nstring(msg, x.description, out);
	buf_putc(out, ' ');
	if (part->cte != NULL)
		imap_write_cstring(out, part->cte);
	else
		buf_puts(out, "\"7bit\"");
	buf_printf(out, " %zu", part->body_size);
	if (text) {
		buf_printf(out, " %zu", part->body_lines);
	} else if (part->flags & MESSAGE_PART_RFC822) {
		const struct message_part *child = part->children;
		buf_putc(out, ' ');
		imap_envelope_write(msg, child, out);
		buf_putc(out, ' ');
		if (child != NULL)
			imap_bodystructure_write(msg, child, extended, out);
		else
			buf_puts(out, extended ? EMPTY_BODYSTRUCTURE : EMPTY_BODY);
		buf_printf(out, " %zu", part->body_lines);
	}
	if (extended) {
		buf_putc(out, ' ');
		write_field_nstring(msg, x.md5, out);
		common_ext_write(msg, &x, out);
	}
	buf_putc(out, ')');
}
