/* deliver_header.c: loop checks on the message header: our Delivered-To
 * for this recipient, and too many Received fields (RFC 5321 6.3). */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"

#define HEADER_SCAN_MAX (1024 * 1024)   /* bytes of header looked at */

static int
name_is(const char *p, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && p[n] == ':' && strncasecmp(p, name, n) == 0;
}

/* Does the (unfolded enough) value equal addr, ignoring case and
 * surrounding space and angle brackets? */
static int
value_is(const char *v, size_t len, const char *addr)
{
	size_t n = strlen(addr);

	while (len > 0 && (*v == ' ' || *v == '\t' || *v == '<')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
	    v[len - 1] == '\r' || v[len - 1] == '>'))
		len--;
	return len == n && strncasecmp(v, addr, n) == 0;
}

int
deliver_check_header(struct deliver_ctx *c, long max_received,
    struct deliver_result *r)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	off_t off = 0;
	size_t pos = 0;
	long received = 0;
	int loop = 0;

	/* read until the blank line that ends the header, bounded */
	for (;;) {
		ssize_t n = deliver_pread(c, chunk, sizeof(chunk), off);

		if (n < 0) {
			buf_free(&b);
			deliver_set(r, DELIVER_TEMP, "4.3.0", "cannot read the message");
			return -1;
		}
		if (n == 0)
			break;
		buf_append(&b, chunk, (size_t)n);
		off += n;
		if (memmem(b.p, b.len, "\n\n", 2) != NULL || b.len >= HEADER_SCAN_MAX ||
		    (b.len > 0 && b.p[0] == '\n'))
			break;
	}
	while (pos < b.len) {
		const char *line = b.p + pos, *nl = memchr(line, '\n', b.len - pos);
		size_t len = nl ? (size_t)(nl - line) : b.len - pos;

		if (len == 0 || (len == 1 && line[0] == '\r'))
			break;   /* end of header */
		pos += len + 1;
		if (name_is(line, len, "received"))
			received++;
		else if (name_is(line, len, "delivered-to") &&
		    value_is(line + 13, len - 13, c->recipient))
			loop = 1;
	}
	buf_free(&b);
	if (loop) {
		deliver_set(r, DELIVER_PERM, "5.4.6",
		    "mail loop: this message was already delivered to %s", c->recipient);
		return -1;
	}
	if (max_received > 0 && received > max_received) {
		deliver_set(r, DELIVER_PERM, "5.4.6",
		    "mail loop: too many Received header fields (%ld)", received);
		return -1;
	}
	return 0;
}
