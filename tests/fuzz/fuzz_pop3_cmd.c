/* fuzz_pop3_cmd.c: libFuzzer harness for the POP3 command parser
 * (pop3d/pop3_cmd.c), with the input also run through the RETR/TOP
 * converter (pop3d/pop3_stuff.c) and the size cache parser
 * (pop3d/pop3_sizes.c).  Invariants: arguments point inside the input,
 * numbers are in range, the converted text has no bare LF and no line
 * starting with an unstuffed '.', and ends in CRLF "." CRLF. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pop3.h"

static void
check_cmd(const char *p, size_t len)
{
	struct pop3_cmd c;
	enum pop3_parse_status st = pop3_parse(p, len, &c);

	if (st != POP3_PARSE_OK)
		return;
	if (c.def == NULL || c.nargs > c.def->max_args || c.nargs < c.def->min_args)
		abort();
	for (unsigned i = 0; i < c.nargs; i++) {
		const struct pop3_arg *a = &c.args[i];
		if (a->p < p || a->p + a->len > p + len || a->len == 0)
			abort();
		if (a->num > POP3_NUMBER_MAX)
			abort();
	}
}

static void
check_stuff(const char *p, size_t len, int top, uint32_t lines, size_t chunk)
{
	struct pop3_stuff st;
	struct buf out = BUF_INIT;
	size_t off = 0;

	pop3_stuff_init(&st, top, lines);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (pop3_stuff_append(&st, p + off, n, &out))
			break;
		off += n;
	}
	pop3_stuff_finish(&st, &out);
	if (out.len < 3 || memcmp(out.p + out.len - 3, ".\r\n", 3) != 0)
		abort();
	if (out.len > 3 && (out.len < 5 || out.p[out.len - 4] != '\n'))
		abort();
	for (size_t i = 0; i + 3 < out.len; i++) {
		if (out.p[i] == '\n' && (i == 0 || out.p[i - 1] != '\r'))
			abort();
		/* a line starting with '.' has been stuffed */
		if ((i == 0 || out.p[i - 1] == '\n') && out.p[i] == '.' &&
		    (i + 1 >= out.len || out.p[i + 1] != '.'))
			abort();
		if ((i == 0 || out.p[i - 1] == '\n') && out.p[i] == '.')
			i++;   /* skip the stuffed dot itself */
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct pop3_sizes sz;

	/* the parser gets its own copy of exactly size bytes */
	char *copy = malloc(size ? size : 1);
	memcpy(copy, p, size);
	check_cmd(copy, size);
	/* and every line of the input */
	for (size_t off = 0; off < size;) {
		const char *nl = memchr(copy + off, '\n', size - off);
		size_t n = nl ? (size_t)(nl - (copy + off)) + 1 : size - off;
		check_cmd(copy + off, n);
		off += n;
	}
	if (size > 0) {
		check_stuff(copy, size, 0, 0, 1 + data[0] % 17);
		check_stuff(copy, size, 1, data[0] % 5, 1 + data[size - 1] % 29);
	}
	pop3_sizes_init(&sz);
	(void)pop3_sizes_parse(&sz, copy, size, 0);
	pop3_sizes_free(&sz);
	free(copy);
	return 0;
}
