/* message.c: one-pass MIME structure parser (see message.h for the rules). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <strings.h>
#include "message.h"
#include "base64.h"
#include "qp.h"
#include "rfc2047.h"
#include "rfc822addr.h"

/* boundaries are cut to 80 octets (RFC 2046 allows 70), as the reference
 * server does: a longer delimiter line matches by its prefix */
#define BOUNDARY_MAX_LEN 80

void message_limits_default(struct message_limits *lim)
{
	lim->max_header_fields = 10000;
	lim->max_header_bytes = 1024 * 1024;
	lim->max_depth = 100;
	lim->max_parts = 10000;
	lim->max_params = 256;
	lim->max_addresses = 10000;
}

struct boundary {
	const char *s;
	size_t len;
	struct message_part *owner;
};

struct parser {
	struct message *msg;
	const char *p;
	size_t len;
	struct boundary *bnd;            /* stack, innermost last */
	size_t nbnd;
	struct message_part *cur;
	int in_header;
	size_t region;                   /* where data since the last
	                                    delimiter line starts */
	size_t header_bytes;             /* recorded bytes of cur's header */
};

static struct message_part *part_new(struct parser *ps, struct message_part *parent,
				     size_t start)
{
	struct message_part *part = xcalloc(1, sizeof(*part));

	part->parent = parent;
	part->header_start = part->body_start = part->body_end = start;
	part->depth = parent != NULL ? parent->depth + 1 : 0;
	if (parent != NULL) {
		if (parent->last_child != NULL)
			parent->last_child->next = part;
		else
			parent->children = part;
		parent->last_child = part;
	}
	ps->msg->nparts++;
	ps->header_bytes = 0;
	return part;
}

int message_field_is(const struct message *msg,
		     const struct message_header_field *f, const char *name)
{
	size_t n = strlen(name);
	return f->name_len == n && strncasecmp(msg->p + f->start, name, n) == 0;
}

const struct message_header_field *
message_part_field(const struct message *msg, const struct message_part *part,
		   const char *name)
{
	for (size_t i = 0; i < part->nfields; i++)
		if (message_field_is(msg, &part->fields[i], name))
			return &part->fields[i];
	return NULL;
}

/* Read one header field starting at pos (not a blank line); returns its end. */
static size_t header_field(struct parser *ps, size_t pos)
{
	const char *p = ps->p;
	size_t len = ps->len, end = pos, colon = (size_t)-1, value_end;
	struct message_header_field f;

	/* first line */
	const char *lf = memchr(p + pos, '\n', len - pos);
	size_t line_end = lf != NULL ? (size_t)(lf - p) : len;
	const char *c = memchr(p + pos, ':', line_end - pos);
	if (c != NULL)
		colon = (size_t)(c - p);
	end = lf != NULL ? line_end + 1 : len;
	value_end = line_end;
	/* continuation lines */
	while (end < len && (p[end] == ' ' || p[end] == '\t')) {
		lf = memchr(p + end, '\n', len - end);
		line_end = lf != NULL ? (size_t)(lf - p) : len;
		value_end = line_end;
		end = lf != NULL ? line_end + 1 : len;
	}
	if (value_end < len && value_end > pos && p[value_end - 1] == '\r' && p[value_end] == '\n')
		value_end--;
	if (lf == NULL && value_end == len) {
		/* no final LF: nothing to strip */
	}

	memset(&f, 0, sizeof(f));
	f.start = pos;
	f.end = end;
	f.value_end = value_end;
	if (colon != (size_t)-1) {
		size_t n = colon;
		while (n > pos && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		f.name_len = n - pos;
		f.has_colon = 1;
		size_t v = colon + 1;
		while (v < value_end && (p[v] == ' ' || p[v] == '\t'))
			v++;
		f.value_start = v;
	} else {
		f.name_len = value_end - pos;
		f.value_start = value_end;
	}

	struct message_part *part = ps->cur;
	if (part->nfields >= ps->msg->limits.max_header_fields ||
	    ps->header_bytes + (end - pos) > ps->msg->limits.max_header_bytes) {
		ps->msg->degraded = 1;
	} else {
		part->fields = xreallocarray(part->fields, part->nfields + 1,
					     sizeof(*part->fields));
		part->fields[part->nfields++] = f;
		ps->header_bytes += end - pos;
	}
	return end;
}

/* Content-Type and Content-Transfer-Encoding of a part whose header ended. */
static void part_mime(struct parser *ps, struct message_part *part)
{
	const struct message *msg = ps->msg;
	const struct message_header_field *f;
	struct rfc822_lexer lx;
	struct buf str = BUF_INIT;

	f = message_part_field(msg, part, "Content-Type");
	if (f != NULL) {
		rfc822_lexer_init(&lx, msg->p + f->value_start, f->value_end - f->value_start, NULL);
		rfc822_skip_lwsp(&lx);
		int ret = rfc822_parse_content_type(&lx, &str);
		const char *v = buf_cstr(&str);
		const char *slash = strchr(v, '/');
		if (slash != NULL) {
			part->content_type = xstrndup(v, (size_t)(slash - v));
			part->content_subtype = xstrdup(slash + 1);
		} else {
			part->content_type = xstrdup(v);
			part->content_subtype = xstrdup("");
		}
		if (ret < 0) {
			part->content_type_broken = 1;
		} else {
			rfc2231_parse(&lx, msg->limits.max_params, &part->params);
		}
		if (strcasecmp(v, "message/rfc822") == 0)
			part->flags |= MESSAGE_PART_RFC822;
		else if (strncasecmp(v, "text", 4) == 0 && (v[4] == '\0' || v[4] == '/'))
			part->flags |= MESSAGE_PART_TEXT;
		else if (strncasecmp(v, "multipart/", 10) == 0) {
			part->flags |= MESSAGE_PART_MULTIPART;
			if (strcasecmp(v + 10, "digest") == 0)
				part->flags |= MESSAGE_PART_DIGEST;
		}
	} else if (part->parent != NULL && (part->parent->flags & MESSAGE_PART_DIGEST)) {
		part->flags |= MESSAGE_PART_RFC822;   /* RFC 2046 5.1.5 */
	} else {
		part->flags |= MESSAGE_PART_TEXT;
	}

	f = message_part_field(msg, part, "Content-Transfer-Encoding");
	if (f != NULL) {
		buf_reset(&str);
		rfc822_lexer_init(&lx, msg->p + f->value_start, f->value_end - f->value_start, NULL);
		rfc822_skip_lwsp(&lx);
		if (rfc822_parse_mime_token(&lx, &str) >= 0 && rfc822_skip_lwsp(&lx) == 0 &&
		    str.len > 0)
			part->cte = xstrndup(str.p, str.len);
	}
	buf_free(&str);
}

static void header_end(struct parser *ps, size_t body_start)
{
	struct message_part *part = ps->cur;
	const struct message_limits *lim = &ps->msg->limits;

	part->body_start = part->body_end = body_start;
	part_mime(ps, part);
	ps->in_header = 0;

	if (part->flags & MESSAGE_PART_MULTIPART) {
		const char *b = mime_params_get(&part->params, "boundary");
		if (b == NULL || part->depth >= lim->max_depth) {
			if (b != NULL)
				ps->msg->degraded = 1;
			return;
		}
		ps->bnd = xreallocarray(ps->bnd, ps->nbnd + 1, sizeof(*ps->bnd));
		ps->bnd[ps->nbnd].s = b;
		ps->bnd[ps->nbnd].len = strlen(b) > BOUNDARY_MAX_LEN ? BOUNDARY_MAX_LEN : strlen(b);
		ps->bnd[ps->nbnd].owner = part;
		ps->nbnd++;
	} else if (part->flags & MESSAGE_PART_RFC822) {
		if (part->depth >= lim->max_depth || ps->msg->nparts >= lim->max_parts) {
			ps->msg->degraded = 1;
			part->flags &= ~(unsigned)MESSAGE_PART_RFC822;
			return;
		}
		ps->cur = part_new(ps, part, body_start);
		ps->in_header = 1;
	}
}

/* Is the line at pos a delimiter of an open boundary?  Returns its index
 * or -1; *close set for "--boundary--". */
static long boundary_line(struct parser *ps, size_t pos, int *close)
{
	const char *p = ps->p + pos + 2;
	size_t avail = ps->len - pos - 2, linelen;
	long best = -1;

	if (ps->msg->nparts >= ps->msg->limits.max_parts)
		return -1;
	const char *lf = memchr(p, '\n', avail > 4096 ? 4096 : avail);
	linelen = lf != NULL ? (size_t)(lf - p) : (avail > 4096 ? 4096 : avail);
	if (linelen > 0 && p[linelen - 1] == '\r')
		linelen--;
	for (size_t i = ps->nbnd; i-- > 0;) {
		struct boundary *b = &ps->bnd[i];
		if (b->len <= linelen && memcmp(b->s, p, b->len) == 0 &&
		    (best < 0 || ps->bnd[best].len < b->len)) {
			best = (long)i;
			if (b->len == linelen)
				break;
		}
	}
	if (best >= 0) {
		size_t bl = ps->bnd[best].len;
		*close = avail >= bl + 2 && p[bl] == '-' && p[bl + 1] == '-';
	}
	return best;
}

/* End every open part below owner.  pos is the delimiter line, e the end
 * of the data before it (without the (CR)LF that belongs to the
 * delimiter).  As in the reference server, that (CR)LF leaves only the
 * part whose header or body holds it: parts that start after it become
 * empty at e, a header that holds it ends at e while the parts around that
 * header keep it (they end at pos); a body that holds it ends at e with
 * everything around it. */
static void close_parts_to(struct parser *ps, struct message_part *owner,
			   size_t e, size_t pos)
{
	struct message_part *part = ps->cur;

	if (ps->in_header) {
		/* a header cut short by a delimiter: the part has no body */
		part->body_start = part->body_end = pos;
		part_mime(ps, part);
		if ((part->flags & MESSAGE_PART_RFC822) &&
		    part->depth < ps->msg->limits.max_depth &&
		    ps->msg->nparts < ps->msg->limits.max_parts) {
			/* message/rfc822 with nothing in it: an empty message */
			struct message_part *child = part_new(ps, part, pos);
			part_mime(ps, child);
			part = child;
		}
		ps->in_header = 0;
	}
	if (e < pos) {
		while (part != owner && part->header_start > e) {
			part->header_start = part->body_start = part->body_end = e;
			part = part->parent;
		}
		if (part != owner && e < part->body_start) {
			part->body_start = part->body_end = e;
			part = part->parent;
			e = pos;
		}
	}
	for (; part != NULL && part != owner; part = part->parent)
		part->body_end = e;
}

static size_t next_line(const char *p, size_t len, size_t pos)
{
	const char *lf = memchr(p + pos, '\n', len - pos);
	return lf != NULL ? (size_t)(lf - p) + 1 : len;
}

static void handle_boundary(struct parser *ps, long bi, int close, size_t pos)
{
	struct message_part *owner = ps->bnd[bi].owner;
	size_t region = ps->region;
	size_t e = pos;

	/* the (CR)LF before a delimiter belongs to the delimiter */
	if (e > region && ps->p[e - 1] == '\n') {
		e--;
		if (e > region && ps->p[e - 1] == '\r')
			e--;
	}
	if (ps->cur != owner)
		close_parts_to(ps, owner, e, pos);
	ps->nbnd = (size_t)bi + 1;       /* boundaries of closed parts go */
	ps->cur = owner;
	ps->in_header = 0;
	size_t after = next_line(ps->p, ps->len, pos);
	if (close) {
		ps->nbnd = (size_t)bi;   /* the rest is epilogue */
		ps->region = after;
		return;
	}
	ps->cur = part_new(ps, owner, after);
	ps->in_header = 1;
	ps->region = after;
}

size_t message_crlf_size(const char *p, size_t len)
{
	size_t n = len, i = 0;
	const char *lf;

	while (i < len && (lf = memchr(p + i, '\n', len - i)) != NULL) {
		size_t k = (size_t)(lf - p);
		if (k == 0 || p[k - 1] != '\r')
			n++;
		i = k + 1;
	}
	return n;
}

static size_t count_lf(const char *p, size_t len)
{
	size_t n = 0, i = 0;
	const char *lf;

	while (i < len && (lf = memchr(p + i, '\n', len - i)) != NULL) {
		n++;
		i = (size_t)(lf - p) + 1;
	}
	return n;
}

void message_write_crlf(const char *p, size_t len, struct buf *out)
{
	size_t i = 0, start = 0;
	const char *lf;

	buf_reserve(out, len);
	while (i < len && (lf = memchr(p + i, '\n', len - i)) != NULL) {
		size_t k = (size_t)(lf - p);
		if (k == 0 || p[k - 1] != '\r') {
			buf_append(out, p + start, k - start);
			buf_append(out, "\r\n", 2);
			start = k + 1;
		}
		i = k + 1;
	}
	buf_append(out, p + start, len - start);
}

static void part_sizes(struct message *msg, struct message_part *part)
{
	for (; part != NULL; part = part->next) {
		const char *h = msg->p + part->header_start;
		size_t hl = part->body_start - part->header_start;
		const char *b = msg->p + part->body_start;
		size_t bl = part->body_end - part->body_start;
		part->header_size = message_crlf_size(h, hl);
		part->header_lines = count_lf(h, hl);
		part->body_size = message_crlf_size(b, bl);
		part->body_lines = count_lf(b, bl);
		part_sizes(msg, part->children);
	}
}

struct message *message_parse(const char *p, size_t len,
			      const struct message_limits *lim)
{
	struct message *msg = xcalloc(1, sizeof(*msg));
	struct parser ps;
	size_t pos = 0;

	msg->p = p;
	msg->len = len;
	if (lim != NULL)
		msg->limits = *lim;
	else
		message_limits_default(&msg->limits);
	memset(&ps, 0, sizeof(ps));
	ps.msg = msg;
	ps.p = p;
	ps.len = len;
	msg->root = ps.cur = part_new(&ps, NULL, 0);
	ps.in_header = 1;

	while (pos < len) {
		int close = 0;
		long bi = -1;

		if (ps.nbnd > 0 && p[pos] == '-' && pos + 1 < len && p[pos + 1] == '-')
			bi = boundary_line(&ps, pos, &close);
		if (bi >= 0) {
			handle_boundary(&ps, bi, close, pos);
			pos = next_line(p, len, pos);
			continue;
		}
		if (ps.in_header) {
			if (p[pos] == '\n') {
				header_end(&ps, pos + 1);
				pos++;
			} else if (p[pos] == '\r' && pos + 1 < len && p[pos + 1] == '\n') {
				header_end(&ps, pos + 2);
				pos += 2;
			} else {
				pos = header_field(&ps, pos);
			}
			continue;
		}
		pos = next_line(p, len, pos);
	}
	/* end of data: everything open ends here */
	if (ps.in_header)
		header_end(&ps, len);
	for (struct message_part *part = ps.cur; part != NULL; part = part->parent)
		part->body_end = len;
	/* an rfc822 child opened by header_end at the very end */
	if (ps.in_header) {
		ps.cur->body_start = ps.cur->body_end = len;
		part_mime(&ps, ps.cur);
	}
	free(ps.bnd);
	part_sizes(msg, msg->root);
	msg->size = message_crlf_size(p, len);
	return msg;
}

static void part_free(struct message_part *part)
{
	while (part != NULL) {
		struct message_part *next = part->next;
		part_free(part->children);
		free(part->fields);
		free(part->content_type);
		free(part->content_subtype);
		free(part->cte);
		mime_params_free(&part->params);
		free(part);
		part = next;
	}
}

void message_free(struct message *msg)
{
	if (msg == NULL)
		return;
	part_free(msg->root);
	if (msg->map != NULL)
		munmap(msg->map, msg->map_len);
	free(msg);
}

struct message *message_parse_fd(int fd, const struct message_limits *lim)
{
	struct stat st;
	struct message *msg;
	void *map = NULL;

	if (fstat(fd, &st) < 0)
		return NULL;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return NULL;
	}
	if ((uintmax_t)st.st_size > SIZE_MAX / 2) {
		errno = EFBIG;
		return NULL;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			return NULL;
	}
	msg = message_parse(map != NULL ? map : "", (size_t)st.st_size, lim);
	msg->map = map;
	msg->map_len = (size_t)st.st_size;
	return msg;
}

const struct message_part *message_part_by_number(const struct message *msg,
						  const unsigned int *nums,
						  size_t n)
{
	const struct message_part *cur = msg->root;
	int is_message = 1;              /* cur is a whole (sub)message */
	int self_used = 0;               /* ... already taken as its part 1 */

	/* As the reference server: a single-part message is its own part 1
	 * (and has no part 1.1); a non-multipart part inside a multipart is
	 * its own part 1 as well (BODY[1.1] of a text part is that part). */
	for (size_t i = 0; i < n && cur != NULL; i++) {
		if (cur->flags & MESSAGE_PART_MULTIPART) {
			const struct message_part *c = cur->children;
			for (unsigned int k = 1; k < nums[i] && c != NULL; k++)
				c = c->next;
			cur = nums[i] == 0 ? NULL : c;
			is_message = self_used = 0;
		} else {
			if (nums[i] != 1 || self_used)
				return NULL;
			self_used = is_message;
		}
		if (cur != NULL && i + 1 < n && (cur->flags & MESSAGE_PART_RFC822)) {
			cur = cur->children;
			is_message = 1;
			self_used = 0;
		}
	}
	return cur;
}

void message_decode_body_text(const char *cte, const char *charset,
			      const char *p, size_t len, struct buf *out)
{
	struct buf raw = BUF_INIT;

	if (cte != NULL && strcasecmp(cte, "base64") == 0) {
		base64_decode_mime(p, len, &raw);
	} else if (cte != NULL && strcasecmp(cte, "quoted-printable") == 0) {
		qp_decode(p, len, &raw);
	} else {
		charset_to_utf8(charset, p, len, out);
		return;
	}
	charset_to_utf8(charset, raw.p ? raw.p : "", raw.len, out);
	buf_free(&raw);
}
