/* imap_caps.c: the one table of IMAP capability strings, pre-auth
 * (postern-imap-login) and post-auth (postern-imapd).  A capability is
 * advertised only when the code behind it is built in: those that need
 * the message commands (imap_fetch.c & co.) are listed only when those
 * handlers are linked (weak symbols, see imapd.h). */
#include <stddef.h>
#include "imapd.h"

#define NEED_FETCH  0x01
#define NEED_STORE  0x02
#define NEED_SEARCH 0x04
#define NEED_COPY   0x08
#define NEED_MOVE   0x10
#define NEED_ALL    0x1f
#define PRE         0x100   /* pre-auth list too */
#define POST        0x200   /* post-auth list */

static const struct {
	const char *name;
	unsigned flags;
} caps[] = {
	{ "IMAP4rev1", PRE | POST },
	/* pre-auth too (RFC 9051 clients look before they log in):
	 * postern-imap-login ships with the postern-imapd that has it */
	{ "IMAP4rev2", PRE | POST | NEED_ALL },
	{ "LITERAL+", PRE | POST },
	{ "SASL-IR", PRE },
	{ "ID", PRE | POST },
	{ "ENABLE", POST },
	{ "IDLE", POST },
	{ "NAMESPACE", POST },
	{ "UNSELECT", POST },
	{ "CHILDREN", POST },
	{ "SPECIAL-USE", POST },
	{ "LIST-EXTENDED", POST },
	{ "LIST-STATUS", POST },
	{ "STATUS=SIZE", POST },
	{ "MULTIAPPEND", POST },
	{ "UIDPLUS", POST | NEED_COPY },
	{ "MOVE", POST | NEED_MOVE },
	{ "ESEARCH", POST | NEED_SEARCH },
	{ "SEARCHRES", POST | NEED_SEARCH },
	{ "BINARY", POST | NEED_FETCH },
	{ "CONDSTORE", POST | NEED_FETCH | NEED_STORE | NEED_SEARCH },
	{ "QRESYNC", POST | NEED_FETCH | NEED_STORE | NEED_SEARCH },
	{ "QUOTA", POST },
	{ "QUOTA=RES-STORAGE", POST },
	{ "QUOTA=RES-MESSAGE", POST },
	{ "UTF8=ACCEPT", POST },
};

static unsigned
built(void)
{
	unsigned b = 0;

	if (imap_cmd_fetch != NULL)
		b |= NEED_FETCH;
	if (imap_cmd_store != NULL)
		b |= NEED_STORE;
	if (imap_cmd_search != NULL)
		b |= NEED_SEARCH;
	if (imap_cmd_copy != NULL)
		b |= NEED_COPY;
	if (imap_cmd_move != NULL)
		b |= NEED_MOVE;
	return b;
}

void
imap_caps_write(struct buf *out, unsigned mode)
{
	unsigned have = (mode & IMAP_CAPS_PREAUTH) ? NEED_ALL : built();
	unsigned want = (mode & IMAP_CAPS_PREAUTH) ? PRE : POST;
	size_t i;
	int first = 1;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		unsigned need = caps[i].flags & NEED_ALL;
		if (!(caps[i].flags & want) || (need & have) != need)
			continue;
		if (!first)
			buf_putc(out, ' ');
		buf_puts(out, caps[i].name);
		first = 0;
	}
	if (mode & IMAP_CAPS_PREAUTH) {
		if (mode & IMAP_CAPS_STARTTLS)
			buf_puts(out, " STARTTLS");
		if (mode & IMAP_CAPS_LOGINDISABLED)
			buf_puts(out, " LOGINDISABLED");
		else
			buf_puts(out, " AUTH=PLAIN AUTH=LOGIN");
	}
}
