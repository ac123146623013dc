/* imap_envelope.c: ENVELOPE builder. */
#include <string.h>
#include "imap_envelope.h"
#include "imap_quote.h"

enum { F_DATE, F_SUBJECT, F_FROM, F_SENDER, F_REPLY_TO, F_TO, F_CC, F_BCC,
       F_IN_REPLY_TO, F_MESSAGE_ID, F_COUNT };

static const char *const envelope_fields[F_COUNT] = {
	"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
	"In-Reply-To", "Message-ID"
};

static int is_address_field(int f)
{
	return f >= F_FROM && f <= F_BCC;
}

void imap_address_list_write(const struct rfc822_address *a, struct buf *out)
{
	if (a == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	buf_putc(out, '(');
	for (; a != NULL; a = a->next) {
		buf_putc(out, '(');
		imap_write_nstring_nolf(out, a->name, a->name ? strlen(a->name) : 0);
		buf_putc(out, ' ');
		imap_write_nstring_nolf(out, a->route, a->route ? strlen(a->route) : 0);
		buf_putc(out, ' ');
		imap_write_nstring_nolf(out, a->mailbox, a->mailbox ? strlen(a->mailbox) : 0);
		buf_putc(out, ' ');
		imap_write_nstring_nolf(out, a->domain, a->domain ? strlen(a->domain) : 0);
		buf_putc(out, ')');
	}
	buf_putc(out, ')');
}

void imap_envelope_write(const struct message *msg, const struct message_part *part,
			 struct buf *out)
{
	const struct message_header_field *str[F_COUNT];
	struct rfc822_address *addr[F_COUNT], *tail[F_COUNT];
	int f;

	if (part == NULL) {
		buf_puts(out, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
		return;
	}
	memset(str, 0, sizeof(str));
	memset(addr, 0, sizeof(addr));
	memset(tail, 0, sizeof(tail));
	for (size_t i = 0; i < part->nfields; i++) {
		const struct message_header_field *h = &part->fields[i];
		if (!h->has_colon)
			continue;
		for (f = 0; f < F_COUNT; f++)
			if (message_field_is(msg, h, envelope_fields[f]))
				break;
		if (f == F_COUNT)
			continue;
		if (!is_address_field(f)) {
			str[f] = h;
			continue;
		}
		struct rfc822_address *l = rfc822addr_parse(msg->p + h->value_start,
			h->value_end - h->value_start, msg->limits.max_addresses, 1);
		if (l == NULL)
			continue;
		if (tail[f] != NULL)
			tail[f]->next = l;
		else
			addr[f] = l;
		while (l->next != NULL)
			l = l->next;
		tail[f] = l;
	}

	buf_putc(out, '(');
	for (f = 0; f < F_COUNT; f++) {
		if (f > 0)
			buf_putc(out, ' ');
		if (is_address_field(f)) {
			const struct rfc822_address *l = addr[f];
			if (l == NULL && (f == F_SENDER || f == F_REPLY_TO))
				l = addr[F_FROM];
			imap_address_list_write(l, out);
		} else if (str[f] != NULL && f == F_SUBJECT) {
			imap_write_nstring_collapse(out, msg->p + str[f]->value_start,
						    str[f]->value_end - str[f]->value_start);
		} else if (str[f] != NULL) {
			imap_write_nstring_nolf(out, msg->p + str[f]->value_start,
						str[f]->value_end - str[f]->value_start);
		} else {
			buf_puts(out, "NIL");
		}
	}
	buf_putc(out, ')');
	for (f = 0; f < F_COUNT; f++)
		rfc822addr_free(addr[f]);
}
