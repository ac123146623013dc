/* msginfo_main.c: postern-msginfo FILE ITEM — writes one IMAP FETCH data
 * item for the message in FILE, exactly as it appears inside a FETCH
 * response ("ITEM SP value" and a newline), sizes in CRLF terms.
 *
 * ITEM is one of RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE, RFC822,
 * RFC822.HEADER, RFC822.TEXT, BODY[section]<partial>, BODY.PEEK[...],
 * BINARY[section]<partial>, BINARY.PEEK[...], BINARY.SIZE[section].
 * The partial may be given in request form <origin.count> or in response
 * form <origin>; the latter is what the corpus tools pass for their
 * <0.20> requests, so a missing count means MSGINFO_PARTIAL_DEFAULT.
 * Exit 0 on success, 100 for a bad item or a missing part, 111 when the
 * file can not be read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "buf.h"
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_quote.h"
#include "imap_section.h"
#include "message.h"

#define MSGINFO_PARTIAL_DEFAULT 20

static int starts_with(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static void usage_exit(const char *why)
{
	fprintf(stderr, "postern-msginfo: %s\n", why);
	exit(100);
}

/* BODY[...]/BINARY[...] items: name is the item name after the keyword's
 * optional ".PEEK", at the '['. */
static void section_item(const struct message *msg, const char *kind, const char *rest,
			 struct buf *out)
{
	const char *close = strrchr(rest, ']');
	struct imap_section sec;
	size_t origin = 0, count = (size_t)-1;
	int has_partial = 0;
	int binary = strcmp(kind, "BINARY") == 0, size_only = strcmp(kind, "BINARY.SIZE") == 0;

	if (close == NULL)
		usage_exit("missing ']'");
	if (close[1] == '<') {
		char *end;
		if (size_only)
			usage_exit("BINARY.SIZE takes no partial");
		origin = strtoul(close + 2, &end, 10);
		if (*end == '.') {
			count = strtoul(end + 1, &end, 10);
		} else {
			count = MSGINFO_PARTIAL_DEFAULT;
		}
		if (*end != '>' || end[1] != '\0')
			usage_exit("bad partial");
		has_partial = 1;
	} else if (close[1] != '\0') {
		usage_exit("junk after ']'");
	}
	if (imap_section_parse(rest + 1, (size_t)(close - rest - 1), binary || size_only, &sec) < 0) {
		imap_section_free(&sec);
		usage_exit("bad section");
	}
	buf_puts(out, kind);
	buf_append(out, rest, (size_t)(close - rest + 1));
	if (has_partial)
		buf_printf(out, "<%zu>", origin);
	buf_putc(out, ' ');

	struct buf data = BUF_INIT;
	int r = binary || size_only ? imap_binary_fetch(msg, &sec, &data)
				    : imap_section_fetch(msg, &sec, &data);
	imap_section_free(&sec);
	if (r == -2) {
		buf_free(&data);
		usage_exit("unknown Content-Transfer-Encoding");
	}
	if (r < 0) {
		buf_puts(out, size_only ? "0" : "NIL");
	} else if (size_only) {
		buf_printf(out, "%zu", data.len);
	} else {
		imap_partial_write(data.p ? data.p : "", data.len, origin, count, binary, out);
	}
	buf_free(&data);
}

int main(int argc, char **argv)
{
	struct buf out = BUF_INIT;
	struct message *msg;
	const char *item;
	int fd;

	if (argc != 3)
		usage_exit("usage: postern-msginfo FILE ITEM");
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (msg = message_parse_fd(fd, NULL)) == NULL) {
		fprintf(stderr, "postern-msginfo: %s: %s\n", argv[1], strerror(errno));
		return 111;
	}
	close(fd);
	item = argv[2];

	if (strcasecmp(item, "RFC822.SIZE") == 0) {
		buf_printf(&out, "RFC822.SIZE %zu", msg->size);
	} else if (strcasecmp(item, "ENVELOPE") == 0) {
		buf_puts(&out, "ENVELOPE ");
		imap_envelope_write(msg, msg->root, &out);
	} else if (strcasecmp(item, "BODYSTRUCTURE") == 0) {
		buf_puts(&out, "BODYSTRUCTURE ");
		imap_bodystructure_write(msg, msg->root, 1, &out);
	} else if (strcasecmp(item, "BODY") == 0) {
		buf_puts(&out, "BODY ");
		imap_bodystructure_write(msg, msg->root, 0, &out);
	} else if (strcasecmp(item, "RFC822") == 0) {
		section_item(msg, "RFC822", "[]", &out);
		memmove(out.p + 6, out.p + 8, out.len - 8);  /* drop the "[]" */
		out.len -= 2;
	} else if (strcasecmp(item, "RFC822.HEADER") == 0) {
		section_item(msg, "RFC822.HEADER", "[HEADER]", &out);
		memmove(out.p + 13, out.p + 21, out.len - 21);
		out.len -= 8;
	} else if (strcasecmp(item, "RFC822.TEXT") == 0) {
		section_item(msg, "RFC822.TEXT", "[TEXT]", &out);
		memmove(out.p + 11, out.p + 17, out.len - 17);
		out.len -= 6;
	} else if (starts_with(item, "BODY.PEEK[")) {
		section_item(msg, "BODY", item + 9, &out);
	} else if (starts_with(item, "BODY[")) {
		section_item(msg, "BODY", item + 4, &out);
	} else if (starts_with(item, "BINARY.PEEK[")) {
		section_item(msg, "BINARY", item + 11, &out);
	} else if (starts_with(item, "BINARY.SIZE[")) {
		section_item(msg, "BINARY.SIZE", item + 11, &out);
	} else if (starts_with(item, "BINARY[")) {
		section_item(msg, "BINARY", item + 6, &out);
	} else {
		usage_exit("unknown item");
	}
	buf_putc(&out, '\n');
	if (fwrite(out.p, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
		return 111;
	message_free(msg);
	buf_free(&out);
	return 0;
}
