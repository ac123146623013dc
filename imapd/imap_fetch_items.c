/* imap_fetch_items.c: parsing FETCH data items (see imap_fetch_items.h):
 * names, macros, BODY[...]/BINARY[...] section atoms with <origin.count>,
 * the response name of each section item. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "buf.h"
#include "imap_fetch_items.h"

void
imap_fetch_items_free(struct freq *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (r->items[i].has_sec)
			imap_section_free(&r->items[i].sec);
		free(r->items[i].name);
	}
	r->n = 0;
}

struct fitem *
imap_fetch_item_add(struct freq *r, enum fkind k)
{
	struct fitem *it;

	if (r->n == FETCH_MAX_ITEMS)
		return NULL;
	it = &r->items[r->n++];
	memset(it, 0, sizeof(*it));
	it->kind = k;
	return it;
}

static int
parse_partial(const char *p, const char *end, struct fitem *it)
{
	unsigned long long a = 0, b = 0;
	int da = 0, db = 0;

	/* "<" number "." nz-number ">" */
	if (p >= end || *p != '<')
		return -1;
	p++;
	while (p < end && *p >= '0' && *p <= '9') {
		a = a * 10 + (unsigned long long)(*p++ - '0');
		if (a > UINT32_MAX)
			return -1;
		da = 1;
	}
	if (!da || p >= end || *p != '.')
		return -1;
	p++;
	while (p < end && *p >= '0' && *p <= '9') {
		b = b * 10 + (unsigned long long)(*p++ - '0');
		if (b > UINT32_MAX)
			return -1;
		db = 1;
	}
	if (!db || b == 0 || p + 1 != end || *p != '>')
		return -1;
	it->partial = 1;
	it->origin = (size_t)a;
	it->count = (size_t)b;
	return 0;
}

/* BODY[...]<..>, BODY.PEEK[...], BINARY[...], BINARY.PEEK[...],
 * BINARY.SIZE[...] as one atom. */
static int
parse_section_item(struct freq *r, const char *p, size_t len)
{
	const char *lb = memchr(p, '[', len), *end = p + len, *rb;
	size_t plen;
	struct fitem *it;
	int binary = 0, size = 0, peek = 0;

	if (lb == NULL)
		return -1;
	plen = (size_t)(lb - p);
	if (plen == 4 && strncasecmp(p, "BODY", 4) == 0)
		;
	else if (plen == 9 && strncasecmp(p, "BODY.PEEK", 9) == 0)
		peek = 1;
	else if (plen == 6 && strncasecmp(p, "BINARY", 6) == 0)
		binary = 1;
	else if (plen == 11 && strncasecmp(p, "BINARY.PEEK", 11) == 0)
		binary = peek = 1;
	else if (plen == 11 && strncasecmp(p, "BINARY.SIZE", 11) == 0)
		binary = size = 1;
	else
		return -1;
	/* the closing bracket: the last ']' before any "<" partial */
	rb = NULL;
	{
		const char *q;
		for (q = lb + 1; q < end; q++)
			if (*q == ']')
				rb = q;
	}
	if (rb == NULL)
		return -1;
	it = imap_fetch_item_add(r, size ? F_BINARY_SIZE : binary ? F_BINARY : F_SECTION);
	if (it == NULL)
		return -1;
	it->peek = peek || size;
	it->has_sec = 1;
	if (imap_section_parse(lb + 1, (size_t)(rb - lb - 1), binary,
	    &it->sec) < 0)
		return -1;
	if (rb + 1 < end) {
		if (size || parse_partial(rb + 1, end, it) < 0)
			return -1;
	}
	{
		struct buf nb = BUF_INIT;
		buf_puts(&nb, size ? "BINARY.SIZE" : binary ? "BINARY" : "BODY");
		buf_append(&nb, lb, (size_t)(rb - lb + 1));
		if (it->partial)
			buf_printf(&nb, "<%zu>", it->origin);
		it->name = xstrdup(buf_cstr(&nb));
		buf_free(&nb);
	}
	if (!it->peek)
		r->sets_seen = 1;
	r->need_msg = 1;
	return 0;
}

int
imap_fetch_item_parse(struct freq *r, const struct imap_arg *a, int top)
{
	static const struct {
		const char *name;
		enum fkind kind;
	} simple[] = {
		{ "UID", F_UID }, { "FLAGS", F_FLAGS },
		{ "INTERNALDATE", F_INTERNALDATE }, { "RFC822.SIZE", F_SIZE },
		{ "ENVELOPE", F_ENVELOPE }, { "BODY", F_BODY },
		{ "BODYSTRUCTURE", F_BODYSTRUCTURE }, { "MODSEQ", F_MODSEQ },
		{ "RFC822", F_RFC822 }, { "RFC822.HEADER", F_RFC822_HEADER },
		{ "RFC822.TEXT", F_RFC822_TEXT },
	};
	size_t i;

	if (a->type != IMAP_ARG_ATOM)
		return -1;
	if (top && (imap_arg_is_atom(a, "ALL") || imap_arg_is_atom(a, "FAST") ||
	    imap_arg_is_atom(a, "FULL"))) {
		if (imap_fetch_item_add(r, F_FLAGS) == NULL || imap_fetch_item_add(r, F_INTERNALDATE) == NULL ||
		    imap_fetch_item_add(r, F_SIZE) == NULL)
			return -1;
		if (!imap_arg_is_atom(a, "FAST") && imap_fetch_item_add(r, F_ENVELOPE) == NULL)
			return -1;
		if (imap_arg_is_atom(a, "FULL") && imap_fetch_item_add(r, F_BODY) == NULL)
			return -1;
		r->need_cache = !imap_arg_is_atom(a, "FAST");
		return 0;
	}
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (imap_arg_is_atom(a, simple[i].name)) {
			if (imap_fetch_item_add(r, simple[i].kind) == NULL)
				return -1;
			switch (simple[i].kind) {
			case F_ENVELOPE: case F_BODY: case F_BODYSTRUCTURE:
				r->need_cache = 1;
				break;
			case F_RFC822: case F_RFC822_TEXT:
				r->sets_seen = 1;
				r->need_msg = 1;
				break;
			case F_RFC822_HEADER:
				r->need_msg = 1;
				break;
			default:
				break;
			}
			return 0;
		}
	return parse_section_item(r, a->p, a->len);
}
