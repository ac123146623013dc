/* imap_binary_check.c: is a BINARY[section] decodable?  The decoders of
 * common/ are lenient (they skip what they cannot read), which is right
 * for SEARCH but would hand a client silently damaged octets through
 * BINARY (RFC 3516), a fetch that claims to be the exact decoded part.
 * Like Dovecot, a base64 or quoted-printable leaf that is not well formed
 * makes the fetch fail with NO, so that the client can fetch BODY[] and
 * decode it itself.  The rules are those Dovecot 2.3 applies:
 *   base64: only the alphabet and white space; '=' only as the padding
 *     of the last quantum ("xx==" or "xxx="), nothing after it; a whole
 *     number of quanta.
 *   quoted-printable: '=' followed by two hex digits (either case), or by
 *     optional blanks and the line end (a soft break) or the end of the
 *     data; octets that should have been encoded are accepted. */
#include <stddef.h>
#include <strings.h>
#include "imap_msgcmd.h"

#define CHECK_MAX_DEPTH 100

static int
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
	    (c >= 'a' && c <= 'f');
}

int
imap_base64_valid(const char *p, size_t len)
{
	size_t i, n = 0, pad = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			/* padding: the 3rd or 4th place of a quantum */
			if (n % 4 < 2)
				return 0;
			pad++;
			n++;
			continue;
		}
		if (!is_b64(c) || pad > 0)
			return 0;
		n++;
	}
	return n % 4 == 0;
}

int
imap_qp_valid(const char *p, size_t len)
{
	size_t i, k;

	for (i = 0; i < len; i++) {
		if (p[i] != '=')
			continue;
		if (i + 2 < len && is_hex((unsigned char)p[i + 1]) &&
		    is_hex((unsigned char)p[i + 2])) {
			i += 2;
			continue;
		}
		/* a soft line break, blanks allowed before the line end */
		for (k = i + 1; k < len && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		if (k == len || p[k] == '\n' ||
		    (p[k] == '\r' && k + 1 < len && p[k + 1] == '\n'))
			continue;
		return 0;
	}
	return 1;
}

static int
part_ok(const struct message *msg, const struct message_part *part,
    int depth)
{
	const struct message_part *c;
	const char *body = msg->p + part->body_start;
	size_t len = part->body_end - part->body_start;

	if (depth > CHECK_MAX_DEPTH)
		return 1;
	if (part->children != NULL) {
		for (c = part->children; c != NULL; c = c->next)
			if (!part_ok(msg, c, depth + 1))
				return 0;
		return 1;
	}
	if (part->flags & (MESSAGE_PART_MULTIPART | MESSAGE_PART_RFC822))
		return 1;
	if (part->cte == NULL)
		return 1;
	if (strcasecmp(part->cte, "base64") == 0)
		return imap_base64_valid(body, len);
	if (strcasecmp(part->cte, "quoted-printable") == 0)
		return imap_qp_valid(body, len);
	return 1;
}

int
imap_binary_decodable(const struct message *msg,
    const struct imap_section *sec)
{
	const struct message_part *part = msg->root;

	if (sec->nnums > 0)
		part = message_part_by_number(msg, sec->nums, sec->nnums);
	if (part == NULL)
		return 1;     /* no such part: the fetch answers NIL */
	return part_ok(msg, part, 0);
}
