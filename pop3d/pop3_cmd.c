/* pop3_cmd.c: the POP3 command table (the index of what postern-pop3-login
 * and postern-pop3d do: RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034
 * AUTH) and the parser of one command line. */
#include <string.h>
#include "pop3.h"

/* bit i of .numeric: argument i is a message number (1..);
 * NUMERIC_TOP: TOP's second argument, a line count (0..). */
#define ARG0 0x1u
#define ARG1 0x2u
#define NUMERIC_COUNT 0x100u

#define A POP3_STATE_AUTH
#define T POP3_STATE_TRANSACTION

const struct pop3_command pop3_commands[] = {
	{ "CAPA", POP3_CMD_CAPA, A | T, POP3_ARGS_WORDS, 0, 0, 0 },
	{ "QUIT", POP3_CMD_QUIT, A | T, POP3_ARGS_WORDS, 0, 0, 0 },
	{ "NOOP", POP3_CMD_NOOP, T, POP3_ARGS_WORDS, 0, 0, 0 },
	{ "USER", POP3_CMD_USER, A, POP3_ARGS_REST, 1, 1, 0 },
	{ "PASS", POP3_CMD_PASS, A, POP3_ARGS_REST, 1, 1, 0 },
	{ "AUTH", POP3_CMD_AUTH, A, POP3_ARGS_WORDS, 0, 2, 0 },
	{ "STLS", POP3_CMD_STLS, A, POP3_ARGS_WORDS, 0, 0, 0 },
	{ "APOP", POP3_CMD_APOP, A, POP3_ARGS_WORDS, 2, 2, 0 },
	{ "STAT", POP3_CMD_STAT, T, POP3_ARGS_WORDS, 0, 0, 0 },
	{ "LIST", POP3_CMD_LIST, T, POP3_ARGS_WORDS, 0, 1, ARG0 },
	{ "RETR", POP3_CMD_RETR, T, POP3_ARGS_WORDS, 1, 1, ARG0 },
	{ "DELE", POP3_CMD_DELE, T, POP3_ARGS_WORDS, 1, 1, ARG0 },
	{ "RSET", POP3_CMD_RSET, T, POP3_ARGS_WORDS, 0, 0, 0 },
	{ "TOP", POP3_CMD_TOP, T, POP3_ARGS_WORDS, 2, 2, ARG0 | ARG1 | NUMERIC_COUNT },
	{ "UIDL", POP3_CMD_UIDL, T, POP3_ARGS_WORDS, 0, 1, ARG0 },
	{ NULL, POP3_CMD_NONE, 0, 0, 0, 0, 0 }
};

size_t
pop3_chomp(const char *p, size_t len)
{
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return len;
}

int
pop3_parse_number(const char *p, size_t len, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

enum pop3_parse_status
pop3_parse(const char *p, size_t len, struct pop3_cmd *out)
{
	const struct pop3_command *c;
	size_t i, kw;

	memset(out, 0, sizeof(*out));
	len = pop3_chomp(p, len);
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return POP3_PARSE_BADCHAR;
	if (len == 0)
		return POP3_PARSE_EMPTY;
	for (kw = 0; kw < len && p[kw] != ' '; kw++)
		;
	if (kw >= sizeof(out->name))
		return POP3_PARSE_UNKNOWN;
	for (i = 0; i < kw; i++)
		out->name[i] = (char)upper((unsigned char)p[i]);
	out->name[kw] = '\0';
	for (c = pop3_commands; c->name != NULL; c++)
		if (strcmp(c->name, out->name) == 0)
			break;
	if (c->name == NULL)
		return POP3_PARSE_UNKNOWN;
	out->def = c;

	/* arguments start after the single space that ends the keyword */
	i = kw < len ? kw + 1 : len;
	if (c->kind == POP3_ARGS_REST) {
		if (i >= len || len - i > POP3_ARG_MAX)
			return POP3_PARSE_BADARGS;
		out->args[0].p = p + i;
		out->args[0].len = len - i;
		out->nargs = 1;
		return POP3_PARSE_OK;
	}
	while (i < len) {
		size_t start;
		while (i < len && p[i] == ' ')
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		if (out->nargs >= c->max_args || i - start > POP3_ARG_MAX)
			return POP3_PARSE_BADARGS;
		out->args[out->nargs].p = p + start;
		out->args[out->nargs].len = i - start;
		out->nargs++;
	}
	if (out->nargs < c->min_args)
		return POP3_PARSE_BADARGS;
	for (i = 0; i < out->nargs; i++) {
		struct pop3_arg *a = &out->args[i];
		if (!(c->numeric & (1u << i)))
			continue;
		if (i == 1 && (c->numeric & NUMERIC_COUNT)) {
			/* RFC 1939 7: TOP's line count is non-negative */
			if (pop3_parse_number(a->p, a->len, POP3_NUMBER_MAX,
			    &a->num) < 0)
				return POP3_PARSE_BADNUMBER;
			continue;
		}
		if (pop3_parse_number(a->p, a->len, POP3_NUMBER_MAX, &a->num) < 0 ||
		    a->num == 0)
			return POP3_PARSE_BADNUMBER;
	}
	return POP3_PARSE_OK;
}
