/* imap_fetch_items.h: the data items of a FETCH command (RFC 3501 6.4.5,
 * RFC 3516, RFC 7162) parsed into a list: simple items, macros and
 * section items with their section spec and partial range.  Pure (unit
 * tested); used by imap_fetch.c. */
#ifndef POSTERN_IMAP_FETCH_ITEMS_H
#define POSTERN_IMAP_FETCH_ITEMS_H

#include <stddef.h>
#include <stdint.h>
#include "imap_parser.h"
#include "imap_section.h"

#define FETCH_MAX_ITEMS 64

enum fkind {
	F_UID, F_FLAGS, F_INTERNALDATE, F_SIZE, F_ENVELOPE, F_BODY,
	F_BODYSTRUCTURE, F_MODSEQ, F_SECTION, F_BINARY, F_BINARY_SIZE,
	F_RFC822, F_RFC822_HEADER, F_RFC822_TEXT
};

struct fitem {
	enum fkind kind;
	int peek;
	struct imap_section sec;
	int has_sec;
	char *name;             /* response name ("BODY[1.MIME]", "BINARY[2]") */
	int partial;
	size_t origin, count;
};

struct freq {
	struct fitem items[FETCH_MAX_ITEMS];
	size_t n;
	int need_msg;           /* sections: the message must be parsed */
	int need_cache;         /* ENVELOPE, BODY, BODYSTRUCTURE */
	int sets_seen;
	int want_uid, want_flags, want_modseq;
};

/* Parse one item (top: the lone item after the set, where the macros
 * ALL, FAST and FULL are allowed) and append it to r.  0, -1 invalid or
 * more than FETCH_MAX_ITEMS. */
int imap_fetch_item_parse(struct freq *r, const struct imap_arg *a, int top);
struct fitem *imap_fetch_item_add(struct freq *r, enum fkind k);
void imap_fetch_items_free(struct freq *r);

#endif
