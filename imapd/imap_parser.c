/* imap_parser.c: bounded reading and tokenising of IMAP commands, literals
 * included (see imap_parser.h).  A command is read line by line; a line
 * that ends in a literal announcement {n}, {n+}, ~{n} or ~{n+} is followed
 * by n octets and the rest of the command on the next line (RFC 3501 4.3,
 * RFC 7888, RFC 3516). */
#include "imap_parser.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH_HARD 64

void
imap_limits_default(struct imap_limits *lim)
{
	lim->max_line = 65536;
	lim->max_literal = 64 * 1024 * 1024;
	lim->max_command = 64 * 1024 * 1024 + 65536;
	lim->max_depth = 16;
	lim->max_args = 100000;
	lim->literal_hard_cap = 256 * 1024 * 1024;
}

struct frame {
	struct imap_arg *items;
	size_t count, cap;
};

struct parse {
	struct imap_cmd *cmd;
	struct frame stack[MAX_DEPTH_HARD + 1];
	size_t depth;
	size_t max_depth, max_args, nargs;
	int have_tag, have_name;
	int error;              /* syntax error seen: reply BAD */
	char reason[128];
};

static void
fail(struct parse *ps, const char *reason)
{
	if (!ps->error) {
		ps->error = 1;
		snprintf(ps->reason, sizeof(ps->reason), "%s", reason);
	}
}

static void
arg_free(struct imap_arg *a)
{
	size_t i;

	free(a->p);
	for (i = 0; i < a->count; i++)
		arg_free(&a->list[i]);
	free(a->list);
}

void
imap_cmd_free(struct imap_cmd *cmd)
{
	size_t i;

	if (cmd == NULL)
		return;
	free(cmd->tag);
	free(cmd->name);
	for (i = 0; i < cmd->nargs; i++)
		arg_free(&cmd->args[i]);
	free(cmd->args);
	free(cmd);
}

static struct imap_arg *
push_arg(struct parse *ps, enum imap_arg_type type)
{
	struct frame *f = &ps->stack[ps->depth];
	struct imap_arg *a;

	if (++ps->nargs > ps->max_args) {
		fail(ps, "Too many arguments");
		return NULL;
	}
	if (f->count == f->cap) {
		f->cap = f->cap ? size_mul(f->cap, 2) : 8;
		f->items = xreallocarray(f->items, f->cap, sizeof(*f->items));
	}
	a = &f->items[f->count++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

int
imap_tag_valid(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\+", c) != NULL)
			return 0;
	}
	return 1;
}

/* An atom ends at SP, parentheses, quote or a control character; a '['
 * opens a section that runs to its matching ']' and may hold spaces and
 * parentheses (BODY[HEADER.FIELDS (FROM)]). */
static size_t
scan_atom(struct parse *ps, const char *t, size_t n, size_t i)
{
	size_t brackets = 0;

	for (; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c < 0x20 || c == 0x7f) {
			fail(ps, c == 0 ? "NUL octet in command" : "Control character in command");
			return n;
		}
		if (c == '[') {
			brackets++;
			continue;
		}
		if (c == ']' && brackets > 0) {
			brackets--;
			continue;
		}
		if (brackets > 0)
			continue;
		if (c == ' ' || c == '(' || c == ')' || c == '"')
			break;
		if (c == '{') {
			fail(ps, "Unexpected literal");
			return n;
		}
	}
	if (brackets > 0)
		fail(ps, "Missing ']'");
	return i;
}

static void
tokenise(struct parse *ps, const char *t, size_t n)
{
	size_t i = 0, s;

	if (!ps->have_tag) {
		while (i < n && t[i] != ' ')
			i++;
		ps->cmd->tag = xstrndup(t, i);
		ps->have_tag = 1;
		if (!imap_tag_valid(t, i)) {
			fail(ps, "Invalid tag");
			return;
		}
		if (i >= n || t[i] != ' ') {
			fail(ps, "Missing command");
			return;
		}
		i++;
	}
	if (!ps->have_name) {
		s = i;
		while (i < n && t[i] != ' ')
			i++;
		if (i == s) {
			fail(ps, "Missing command");
			return;
		}
		ps->cmd->name = xstrndup(t + s, i - s);
		for (s = 0; ps->cmd->name[s] != '\0'; s++) {
			unsigned char c = (unsigned char)ps->cmd->name[s];
			if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
				fail(ps, "Invalid command name");
				return;
			}
			ps->cmd->name[s] = (char)toupper(c);
		}
		ps->have_name = 1;
	}
	while (i < n && !ps->error) {
		unsigned char c = (unsigned char)t[i];
		struct imap_arg *a;

		if (c == ' ') {
			i++;
			continue;
		}
		if (c == '(') {
			if (ps->depth >= ps->max_depth) {
				fail(ps, "Too deeply nested lists");
				return;
			}
			ps->depth++;
			memset(&ps->stack[ps->depth], 0, sizeof(ps->stack[0]));
			i++;
			continue;
		}
		if (c == ')') {
			struct frame f;
			if (ps->depth == 0) {
				fail(ps, "Unexpected ')'");
				return;
			}
			f = ps->stack[ps->depth];
			ps->depth--;
			a = push_arg(ps, IMAP_ARG_LIST);
			if (a == NULL) {
				struct imap_arg tmp = { .list = f.items, .count = f.count };
				arg_free(&tmp);
				return;
			}
			a->list = f.items;
			a->count = f.count;
			i++;
			continue;
		}
		if (c == '"') {
			struct buf b = BUF_INIT;
			i++;
			for (;;) {
				if (i >= n) {
					fail(ps, "Missing '\"'");
					buf_free(&b);
					return;
				}
				c = (unsigned char)t[i];
				if (c == '"')
					break;
				if (c == '\\') {
					if (i + 1 >= n || (t[i + 1] != '\\' && t[i + 1] != '"')) {
						fail(ps, "Invalid escape in quoted string");
						buf_free(&b);
						return;
					}
					c = (unsigned char)t[++i];
				} else if (c == 0 || c == '\r' || c == '\n') {
					fail(ps, c == 0 ? "NUL octet in quoted string" :
					    "Line break in quoted string");
					buf_free(&b);
					return;
				}
				buf_putc(&b, c);
				i++;
			}
			i++;
			a = push_arg(ps, IMAP_ARG_QUOTED);
			if (a == NULL) {
				buf_free(&b);
				return;
			}
			buf_cstr(&b);
			a->p = buf_steal(&b, &a->len);
			continue;
		}
		s = i;
		i = scan_atom(ps, t, n, i);
		if (ps->error)
			return;
		a = push_arg(ps, IMAP_ARG_ATOM);
		if (a == NULL)
			return;
		a->p = xstrndup(t + s, i - s);
		a->len = i - s;
	}
}

/* Find a literal announcement at the end of a line: "{123}", "{123+}",
 * "~{123}".  Returns the offset where it starts, or n if there is none. */
static size_t
find_literal(const char *t, size_t n, unsigned long long *size, int *sync,
    int *lit8)
{
	size_t i, d;
	unsigned long long v = 0;

	if (n < 3 || t[n - 1] != '}')
		return n;
	i = n - 1;
	*sync = 1;
	if (t[i - 1] == '+') {
		*sync = 0;
		i--;
	}
	d = i;
	while (i > 0 && isdigit((unsigned char)t[i - 1]))
		i--;
	if (i == d || i == 0 || t[i - 1] != '{')
		return n;
	for (size_t k = i; k < d; k++) {
		if (v > (~0ULL - 9) / 10)
			v = ~0ULL;
		else
			v = v * 10 + (unsigned)(t[k] - '0');
	}
	*size = v;
	i--;
	*lit8 = 0;
	if (i > 0 && t[i - 1] == '~') {
		*lit8 = 1;
		i--;
	}
	return i;
}

/* Read an n-byte literal into a NUL-terminated allocation that grows
 * with the bytes actually received, not with the size the client
 * announced: a client that claims a large literal and sends nothing
 * costs one chunk.  IO_OK, or the io error (nothing allocated). */
#define LITERAL_CHUNK (64 * 1024)
static int
read_literal(struct io *io, size_t n, char **out)
{
	struct buf b = BUF_INIT;

	buf_reserve(&b, (n < LITERAL_CHUNK ? n : LITERAL_CHUNK) + 1);
	while (b.len < n) {
		size_t step = n - b.len < LITERAL_CHUNK ? n - b.len : LITERAL_CHUNK;
		int r;
		buf_reserve(&b, step + 1);
		r = io_readn(io, b.p + b.len, step);
		if (r != IO_OK) {
			buf_free(&b);
			return r;
		}
		b.len += step;
	}
	*out = buf_steal(&b, NULL);
	return IO_OK;
}

/* Throw away n octets of a literal we will not keep. */
static int
discard(struct io *io, unsigned long long n)
{
	char tmp[8192];

	while (n > 0) {
		ssize_t r = io_read(io, tmp, n < sizeof(tmp) ? (size_t)n : sizeof(tmp));
		if (r == IO_TIMEOUT)
			return IMAP_READ_TIMEOUT;
		if (r == IO_EOF)
			return IMAP_READ_EOF;
		if (r < 0)
			return IMAP_READ_IOERR;
		n -= (unsigned long long)r;
	}
	return IMAP_READ_OK;
}

static void
set_tag(char *tag, size_t tagsize, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] != ' ')
		i++;
	if (!imap_tag_valid(p, i) || i >= tagsize)
		snprintf(tag, tagsize, "*");
	else {
		memcpy(tag, p, i);
		tag[i] = '\0';
	}
}

static void
parse_cleanup(struct parse *ps)
{
	size_t d, i;

	for (d = 0; d <= ps->depth; d++) {
		for (i = 0; i < ps->stack[d].count; i++)
			arg_free(&ps->stack[d].items[i]);
		free(ps->stack[d].items);
		ps->stack[d].items = NULL;
		ps->stack[d].count = 0;
	}
}

int
imap_read_command(struct io *io, const struct imap_limits *lim, int literal_plus,
    struct imap_cmd **out, char *tag, size_t tagsize, char *reason, size_t reasonsize)
{
	struct parse ps;
	size_t total = 0;
	int toobig = 0, first = 1, r;

	memset(&ps, 0, sizeof(ps));
	ps.cmd = xcalloc(1, sizeof(*ps.cmd));
	ps.max_depth = lim->max_depth < MAX_DEPTH_HARD ? lim->max_depth : MAX_DEPTH_HARD;
	ps.max_args = lim->max_args;
	*out = NULL;
	snprintf(tag, tagsize, "*");
	reason[0] = '\0';

	for (;;) {
		const char *line;
		size_t len, lit_at;
		unsigned long long lsize = 0;
		int sync = 1, lit8 = 0;

		r = io_getline(io, lim->max_line, &line, &len);
		if (r == IO_TOOLONG) {
			/* Find the tag at the start and a literal at the end of
			 * what was skipped, to stay in sync with the client. */
			if (first)
				set_tag(tag, tagsize, io->toolong_head, io->toolong_head_len);
			fail(&ps, "Command line too long");
			line = io->toolong_tail;
			len = io->toolong_tail_len;
			while (len > 0 && (line[len - 1] == '\r'))
				len--;
			lit_at = find_literal(line, len, &lsize, &sync, &lit8);
			first = 0;
			if (lit_at == len)
				break;
			goto literal;
		}
		if (r == IO_EOF) {
			r = IMAP_READ_EOF;
			goto out_fail;
		}
		if (r == IO_TIMEOUT) {
			r = IMAP_READ_TIMEOUT;
			goto out_fail;
		}
		if (r != IO_OK) {
			r = IMAP_READ_IOERR;
			goto out_fail;
		}
		total += len;
		if (len == 0 || line[len - 1] != '\n') {
			/* EOF in the middle of a line */
			r = IMAP_READ_EOF;
			goto out_fail;
		}
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (first) {
			set_tag(tag, tagsize, line, len);
			first = 0;
			if (len == 0) {
				fail(&ps, "Empty command");
				break;
			}
		}
		if (total > lim->max_command && !ps.error)
			toobig = 1;
		lit_at = find_literal(line, len, &lsize, &sync, &lit8);
		if (!ps.error && !toobig)
			tokenise(&ps, line, lit_at);
		if (lit_at == len)
			break;
literal:
		if (!sync && !literal_plus && !ps.error)
			fail(&ps, "Non-synchronising literal not allowed");
		if (!ps.error && !toobig && lsize <= lim->max_literal &&
		    lsize <= lim->max_command - (total < lim->max_command ? total : lim->max_command) &&
		    ps.have_name) {
			struct imap_arg *a;
			char *data;

			if (sync) {
				io_puts(io, "+ OK\r\n");
				if (io_flush(io) != IO_OK) {
					r = IMAP_READ_IOERR;
					goto out_fail;
				}
			}
			r = read_literal(io, (size_t)lsize, &data);
			if (r != IO_OK) {
				r = r == IO_TIMEOUT ? IMAP_READ_TIMEOUT :
				    r == IO_EOF ? IMAP_READ_EOF : IMAP_READ_IOERR;
				goto out_fail;
			}
			total += (size_t)lsize;
			if (!lit8 && memchr(data, '\0', (size_t)lsize) != NULL) {
				free(data);
				fail(&ps, "NUL octet in literal");
				continue;
			}
			a = push_arg(&ps, IMAP_ARG_LITERAL);
			if (a == NULL) {
				free(data);
				continue;
			}
			a->p = data;
			a->len = (size_t)lsize;
			a->literal8 = lit8;
			continue;
		}
		if (!ps.error && !ps.have_name)
			fail(&ps, "Missing command");
		if (!ps.error && lsize > lim->max_literal)
			toobig = 1;
		if (sync) {
			/* No continuation: the client does not send it. */
			break;
		}
		if (lsize > lim->literal_hard_cap) {
			snprintf(reason, reasonsize, "Literal too large");
			r = IMAP_READ_FATAL;
			goto out_fail;
		}
		r = discard(io, lsize);
		if (r != IMAP_READ_OK)
			goto out_fail;
		total += (size_t)lsize;
	}

	if (ps.error) {
		snprintf(reason, reasonsize, "%s", ps.reason);
		r = IMAP_READ_BAD;
		goto out_fail;
	}
	if (toobig) {
		snprintf(reason, reasonsize, "Literal or command too large");
		r = IMAP_READ_TOOBIG;
		goto out_fail;
	}
	if (ps.depth != 0) {
		snprintf(reason, reasonsize, "Missing ')'");
		r = IMAP_READ_BAD;
		goto out_fail;
	}
	if (!ps.have_name) {
		snprintf(reason, reasonsize, "Missing command");
		r = IMAP_READ_BAD;
		goto out_fail;
	}
	ps.cmd->args = ps.stack[0].items;
	ps.cmd->nargs = ps.stack[0].count;
	ps.stack[0].items = NULL;
	ps.cmd->bytes = total;
	*out = ps.cmd;
	return IMAP_READ_OK;

out_fail:
	parse_cleanup(&ps);
	imap_cmd_free(ps.cmd);
	return r;
}

int
imap_arg_is_atom(const struct imap_arg *a, const char *word)
{
	return a != NULL && a->type == IMAP_ARG_ATOM && strcasecmp(a->p, word) == 0;
}

int
imap_arg_is_nil(const struct imap_arg *a)
{
	return imap_arg_is_atom(a, "NIL");
}

int
imap_arg_is_string(const struct imap_arg *a)
{
	return a != NULL && (a->type == IMAP_ARG_QUOTED || a->type == IMAP_ARG_LITERAL);
}

int
imap_arg_is_astring(const struct imap_arg *a)
{
	return a != NULL && a->type != IMAP_ARG_LIST;
}

int
imap_arg_number(const struct imap_arg *a, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (a == NULL || a->type != IMAP_ARG_ATOM || a->len == 0 || a->len > 20)
		return 0;
	for (i = 0; i < a->len; i++) {
		unsigned d;
		if (!isdigit((unsigned char)a->p[i]))
			return 0;
		d = (unsigned)(a->p[i] - '0');
		if (v > (max - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}
