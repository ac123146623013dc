/* spawnproto.c: encoding, parsing and transport of spawner requests and
 * replies (the protocol is described in spawnproto.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdpass.h"
#include "spawnproto.h"
#include "io.h"

/* request tags */
#define T_ID       'i'   /* u32 */
#define T_QID      'q'
#define T_SENDER   's'
#define T_ENVID    'e'
#define T_RET      'R'   /* u8 */
#define T_BODY     'B'   /* u8 */
#define T_UTF8     'U'   /* u8 */
#define T_SIZE     'z'   /* u64 */
#define T_RCPT     'r'   /* nested */
/* recipient tags */
#define T_ADDR     'a'
#define T_NOTIFY   'n'   /* u32 */
#define T_OTYPE    't'
#define T_ORCPT    'o'
/* reply tags */
#define T_RESULT   'x'   /* nested */
#define T_CLASS    'c'   /* u8 */
#define T_CODE     'm'   /* u32 */
#define T_STATUS   'd'
#define T_DIAG     'T'
#define T_MTA      'M'
#define T_RFLAGS   0x80  /* u32, optional (>= 128: old readers skip it) */

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
field(struct buf *b, int tag, const void *p, size_t len)
{
	unsigned char h[5];

	h[0] = (unsigned char)tag;
	put32(h + 1, (uint32_t)len);
	buf_append(b, h, 5);
	buf_append(b, p, len);
}

static void
field_u32(struct buf *b, int tag, uint32_t v)
{
	unsigned char p[4];

	put32(p, v);
	field(b, tag, p, 4);
}

static void
field_u8(struct buf *b, int tag, unsigned v)
{
	unsigned char c = (unsigned char)v;

	field(b, tag, &c, 1);
}

static void
field_u64(struct buf *b, int tag, uint64_t v)
{
	unsigned char p[8];

	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
	field(b, tag, p, 8);
}

static int
field_str(struct buf *b, int tag, const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n > max)
		return -1;
	field(b, tag, s, n);
	return 0;
}

void
spawn_set(char **fieldp, const char *s)
{
	free(*fieldp);
	*fieldp = s ? xstrdup(s) : NULL;
}

struct spawn_request *
spawn_request_new(void)
{
	struct spawn_request *r = xcalloc(1, sizeof(*r));

	return r;
}

void
spawn_request_free(struct spawn_request *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrcpts; i++) {
		free(r->rcpts[i].addr);
		free(r->rcpts[i].orcpt_type);
		free(r->rcpts[i].orcpt);
	}
	free(r->rcpts);
	free(r->queue_id);
	free(r->sender);
	free(r->envid);
	free(r);
}

struct spawn_rcpt *
spawn_request_add_rcpt(struct spawn_request *r, const char *addr,
    unsigned notify, const char *orcpt_type, const char *orcpt)
{
	struct spawn_rcpt *x;

	if (r->nrcpts >= SPAWN_MAX_RCPTS)
		return NULL;
	if (r->nrcpts == r->rcpt_cap) {
		r->rcpt_cap = r->rcpt_cap ? r->rcpt_cap * 2 : 4;
		r->rcpts = xreallocarray(r->rcpts, r->rcpt_cap, sizeof(*r->rcpts));
	}
	x = &r->rcpts[r->nrcpts++];
	memset(x, 0, sizeof(*x));
	x->addr = xstrdup(addr ? addr : "");
	x->notify = notify;
	spawn_set(&x->orcpt_type, orcpt_type);
	spawn_set(&x->orcpt, orcpt);
	return x;
}

struct spawn_reply *
spawn_reply_new(uint32_t id)
{
	struct spawn_reply *r = xcalloc(1, sizeof(*r));

	r->id = id;
	return r;
}

void
spawn_reply_free(struct spawn_reply *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nresults; i++) {
		free(r->results[i].dsn_status);
		free(r->results[i].diag);
		free(r->results[i].remote_mta);
	}
	free(r->results);
	free(r);
}

/* A copy of s of at most max bytes, CR/LF/NUL-free (NULL stays NULL). */
static char *
clean_copy(const char *s, size_t max)
{
	size_t n, i;
	char *c;

	if (s == NULL)
		return NULL;
	n = strnlen(s, max);
	c = xstrndup(s, n);
	for (i = 0; i < n; i++)
		if (c[i] == '\r' || c[i] == '\n')
			c[i] = ' ';
	return c;
}

struct spawn_result *
spawn_reply_add(struct spawn_reply *r, unsigned cls, unsigned smtp_code,
    const char *dsn_status, const char *diag, const char *remote_mta)
{
	struct spawn_result *x;

	if (r->nresults >= SPAWN_MAX_RCPTS)
		return NULL;
	if (r->nresults == r->result_cap) {
		r->result_cap = r->result_cap ? r->result_cap * 2 : 4;
		r->results = xreallocarray(r->results, r->result_cap,
		    sizeof(*r->results));
	}
	x = &r->results[r->nresults++];
	x->cls = (cls == 2 || cls == 4 || cls == 5) ? cls : 4;
	x->smtp_code = smtp_code;
	x->dsn_status = clean_copy(dsn_status, SPAWN_MAX_FIELD);
	x->diag = clean_copy(diag, SPAWN_MAX_DIAG);
	x->remote_mta = clean_copy(remote_mta, SPAWN_MAX_FIELD);
	x->flags = 0;
	return x;
}

void
spawn_result_set_flags(struct spawn_result *x, unsigned flags)
{
	x->flags = flags & SPAWN_RESULT_KNOWN;
}

int
spawn_result_relayed(const struct spawn_result *x)
{
	return x->cls == 2 && (x->flags & SPAWN_RESULT_RELAYED) != 0;
}

/* Reserve the length prefix, return its offset. */
static size_t
record_begin(struct buf *out)
{
	size_t at = out->len;
	unsigned char z[4] = { 0, 0, 0, 0 };

	buf_append(out, z, 4);
	return at;
}

static int
record_end(struct buf *out, size_t at)
{
	size_t len = out->len - at - 4;

	if (len == 0 || len > SPAWN_MAX_RECORD) {
		out->len = at;
		return -1;
	}
	put32((unsigned char *)out->p + at, (uint32_t)len);
	return 0;
}

int
spawn_request_encode(const struct spawn_request *r, struct buf *out)
{
	size_t at, i;
	struct buf rc = BUF_INIT;

	if (r->nrcpts == 0 || r->nrcpts > SPAWN_MAX_RCPTS)
		return -1;
	at = record_begin(out);
	field_u32(out, T_ID, r->id);
	if (field_str(out, T_QID, r->queue_id, SPAWN_MAX_FIELD) < 0 ||
	    field_str(out, T_SENDER, r->sender ? r->sender : "", SPAWN_MAX_FIELD) < 0 ||
	    field_str(out, T_ENVID, r->envid, SPAWN_MAX_FIELD) < 0)
		goto fail;
	field_u8(out, T_RET, (unsigned)r->ret);
	field_u8(out, T_BODY, (unsigned)r->body);
	field_u8(out, T_UTF8, r->smtputf8 ? 1 : 0);
	field_u64(out, T_SIZE, r->size);
	for (i = 0; i < r->nrcpts; i++) {
		const struct spawn_rcpt *x = &r->rcpts[i];

		buf_reset(&rc);
		if (field_str(&rc, T_ADDR, x->addr, SPAWN_MAX_FIELD) < 0 ||
		    field_str(&rc, T_OTYPE, x->orcpt_type, SPAWN_MAX_FIELD) < 0 ||
		    field_str(&rc, T_ORCPT, x->orcpt, SPAWN_MAX_FIELD) < 0)
			goto fail;
		field_u32(&rc, T_NOTIFY, x->notify);
		field(out, T_RCPT, rc.p, rc.len);
	}
	buf_free(&rc);
	return record_end(out, at);
fail:
	buf_free(&rc);
	out->len = at;
	return -1;
}

int
spawn_reply_encode(const struct spawn_reply *r, struct buf *out)
{
	size_t at, i;
	struct buf rc = BUF_INIT;

	at = record_begin(out);
	field_u32(out, T_ID, r->id);
	for (i = 0; i < r->nresults; i++) {
		const struct spawn_result *x = &r->results[i];

		buf_reset(&rc);
		field_u8(&rc, T_CLASS, x->cls);
		field_u32(&rc, T_CODE, x->smtp_code);
		if (field_str(&rc, T_STATUS, x->dsn_status, SPAWN_MAX_FIELD) < 0 ||
		    field_str(&rc, T_DIAG, x->diag, SPAWN_MAX_DIAG) < 0 ||
		    field_str(&rc, T_MTA, x->remote_mta, SPAWN_MAX_FIELD) < 0) {
			buf_free(&rc);
			out->len = at;
			return -1;
		}
		if (x->flags != 0)
			field_u32(&rc, T_RFLAGS, x->flags);
		field(out, T_RESULT, rc.p, rc.len);
	}
	buf_free(&rc);
	return record_end(out, at);
}

/* --- parsing ------------------------------------------------------------ */

struct cursor {
	const unsigned char *p;
	size_t len, off;
};

/* Next field: 1 with tag/val/vlen, 0 at the end, -1 malformed. */
static int
next_field(struct cursor *c, int *tag, const unsigned char **val, size_t *vlen)
{
	uint32_t n;

	if (c->off == c->len)
		return 0;
	if (c->len - c->off < 5)
		return -1;
	*tag = c->p[c->off];
	n = get32(c->p + c->off + 1);
	if (n > c->len - c->off - 5)
		return -1;
	*val = c->p + c->off + 5;
	*vlen = n;
	c->off += 5 + (size_t)n;
	return 1;
}

static int
take_str(char **dst, const unsigned char *v, size_t n, size_t max)
{
	if (n > max || memchr(v, 0, n) != NULL || *dst != NULL)
		return -1;
	*dst = xstrndup((const char *)v, n);
	return 0;
}

static int
take_u32(uint32_t *dst, const unsigned char *v, size_t n)
{
	if (n != 4)
		return -1;
	*dst = get32(v);
	return 0;
}

static int
take_u8(unsigned *dst, const unsigned char *v, size_t n)
{
	if (n != 1)
		return -1;
	*dst = v[0];
	return 0;
}

static void
seterr(char *err, size_t errlen, const char *s)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", s);
}

static int
parse_rcpt(struct spawn_request *r, const unsigned char *v, size_t n)
{
	struct cursor c = { v, n, 0 };
	struct spawn_rcpt x;
	const unsigned char *fv;
	size_t fl;
	int tag, rc, have_addr = 0;
	uint32_t notify = 0;

	memset(&x, 0, sizeof(x));
	if (r->nrcpts >= SPAWN_MAX_RCPTS)
		return -1;
	while ((rc = next_field(&c, &tag, &fv, &fl)) == 1) {
		switch (tag) {
		case T_ADDR: rc = take_str(&x.addr, fv, fl, SPAWN_MAX_FIELD); have_addr = 1; break;
		case T_OTYPE: rc = take_str(&x.orcpt_type, fv, fl, SPAWN_MAX_FIELD); break;
		case T_ORCPT: rc = take_str(&x.orcpt, fv, fl, SPAWN_MAX_FIELD); break;
		case T_NOTIFY: rc = take_u32(&notify, fv, fl); break;
		default: rc = tag >= 128 ? 0 : -1; break;
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && have_addr)
		spawn_request_add_rcpt(r, x.addr, notify, x.orcpt_type, x.orcpt);
	else
		rc = -1;
	free(x.addr);
	free(x.orcpt_type);
	free(x.orcpt);
	return rc;
}

int
spawn_request_parse(const char *p, size_t len, struct spawn_request **out,
    char *err, size_t errlen)
{
	struct cursor c = { (const unsigned char *)p, len, 0 };
	struct spawn_request *r;
	const unsigned char *v;
	size_t n;
	int tag, rc, have_id = 0;
	unsigned u = 0;
	uint32_t id = 0;

	*out = NULL;
	if (len == 0 || len > SPAWN_MAX_RECORD) {
		seterr(err, errlen, "bad record length");
		return -1;
	}
	r = spawn_request_new();
	while ((rc = next_field(&c, &tag, &v, &n)) == 1) {
		switch (tag) {
		case T_ID:
			rc = take_u32(&id, v, n);
			r->id = id;
			have_id = 1;
			break;
		case T_QID: rc = take_str(&r->queue_id, v, n, SPAWN_MAX_FIELD); break;
		case T_SENDER: rc = take_str(&r->sender, v, n, SPAWN_MAX_FIELD); break;
		case T_ENVID: rc = take_str(&r->envid, v, n, SPAWN_MAX_FIELD); break;
		case T_RET: rc = take_u8(&u, v, n); r->ret = (int)u; break;
		case T_BODY: rc = take_u8(&u, v, n); r->body = (int)u; break;
		case T_UTF8: rc = take_u8(&u, v, n); r->smtputf8 = u != 0; break;
		case T_SIZE:
			if (n != 8)
				rc = -1;
			else
				r->size = (uint64_t)get32(v) << 32 | get32(v + 4);
			break;
		case T_RCPT: rc = parse_rcpt(r, v, n); break;
		default: rc = tag >= 128 ? 0 : -1; break;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		seterr(err, errlen, "malformed field");
		goto fail;
	}
	if (!have_id || r->sender == NULL || r->nrcpts == 0) {
		seterr(err, errlen, "missing id, sender or recipient");
		goto fail;
	}
	*out = r;
	return 0;
fail:
	spawn_request_free(r);
	return -1;
}

static int
parse_result(struct spawn_reply *r, const unsigned char *v, size_t n)
{
	struct cursor c = { v, n, 0 };
	const unsigned char *fv;
	size_t fl;
	int tag, rc;
	unsigned cls = 0;
	uint32_t code = 0, flags = 0;
	char *status = NULL, *diag = NULL, *mta = NULL;
	struct spawn_result *x;

	if (r->nresults >= SPAWN_MAX_RCPTS)
		return -1;
	while ((rc = next_field(&c, &tag, &fv, &fl)) == 1) {
		switch (tag) {
		case T_CLASS: rc = take_u8(&cls, fv, fl); break;
		case T_CODE: rc = take_u32(&code, fv, fl); break;
		case T_STATUS: rc = take_str(&status, fv, fl, SPAWN_MAX_FIELD); break;
		case T_DIAG: rc = take_str(&diag, fv, fl, SPAWN_MAX_DIAG); break;
		case T_MTA: rc = take_str(&mta, fv, fl, SPAWN_MAX_FIELD); break;
		case T_RFLAGS: rc = take_u32(&flags, fv, fl); break;
		default: rc = tag >= 128 ? 0 : -1; break;
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && cls != 2 && cls != 4 && cls != 5)
		rc = -1;
	if (rc == 0 && (x = spawn_reply_add(r, cls, code, status, diag, mta)) != NULL)
		spawn_result_set_flags(x, flags);
	free(status);
	free(diag);
	free(mta);
	return rc;
}

int
spawn_reply_parse(const char *p, size_t len, struct spawn_reply **out,
    char *err, size_t errlen)
{
	struct cursor c = { (const unsigned char *)p, len, 0 };
	struct spawn_reply *r;
	const unsigned char *v;
	size_t n;
	int tag, rc, have_id = 0;
	uint32_t id = 0;

	*out = NULL;
	if (len == 0 || len > SPAWN_MAX_RECORD) {
		seterr(err, errlen, "bad record length");
		return -1;
	}
	r = spawn_reply_new(0);
	while ((rc = next_field(&c, &tag, &v, &n)) == 1) {
		switch (tag) {
		case T_ID: rc = take_u32(&id, v, n); r->id = id; have_id = 1; break;
		case T_RESULT: rc = parse_result(r, v, n); break;
		default: rc = tag >= 128 ? 0 : -1; break;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0 || !have_id) {
		seterr(err, errlen, rc < 0 ? "malformed field" : "missing id");
		spawn_reply_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

/* --- transport ---------------------------------------------------------- */

static int
wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd pfd = { fd, ev, 0 };
	int rc;

	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

int
spawn_send(int sock, const void *record, size_t len, int fd)
{
	const char *p = record;
	size_t off = 0;

	while (off < len) {
		/* the descriptor goes with the first byte */
		ssize_t n = fdpass_send_some(sock, p + off, len - off, &fd,
		    off == 0 && fd >= 0 ? 1 : 0, 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (wait_fd(sock, POLLOUT, 30000) < 0)
					return -1;
				continue;
			}
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

void
spawn_reader_init(struct spawn_reader *r)
{
	r->in = xcalloc(1, sizeof(*r->in));
	r->nfds = 0;
}

void
spawn_reader_free(struct spawn_reader *r)
{
	size_t i;

	for (i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	r->nfds = 0;
	if (r->in) {
		buf_free(r->in);
		free(r->in);
		r->in = NULL;
	}
}

long
spawn_reader_fill(struct spawn_reader *r, int sock)
{
	char data[16384];
	int fds[FDPASS_MAX], nfds, trunc, overflow = 0, k;
	ssize_t n;

	n = fdpass_recv(sock, data, sizeof(data), fds, FDPASS_MAX, &nfds, &trunc);
	if (n < 0)
		return -1;
	for (k = 0; k < nfds; k++) {
		if (r->nfds < SPAWN_MAX_FDS)
			r->fds[r->nfds++] = fds[k];
		else {
			close(fds[k]);
			overflow = 1;
		}
	}
	/* on a stream socket only the descriptors can be cut short */
	if (trunc || overflow) {
		errno = EPROTO;
		return -1;
	}
	buf_append(r->in, data, (size_t)n);
	return n;
}

int
spawn_reader_take(struct spawn_reader *r, struct buf *payload, int want_fd,
    int *fd)
{
	uint32_t len;

	if (fd)
		*fd = -1;
	if (r->in->len < 4)
		return 0;
	len = get32((const unsigned char *)r->in->p);
	if (len == 0 || len > SPAWN_MAX_RECORD)
		return -1;
	if (r->in->len - 4 < len)
		return 0;
	buf_reset(payload);
	buf_append(payload, r->in->p + 4, len);
	buf_consume(r->in, 4 + (size_t)len);
	if (want_fd && r->nfds > 0) {
		*fd = r->fds[0];
		memmove(r->fds, r->fds + 1, (r->nfds - 1) * sizeof(int));
		r->nfds--;
	}
	return 1;
}


int
spawn_read_record(struct spawn_reader *r, int sock, struct buf *payload,
    int want_fd, int *fd, int timeout_ms)
{
	long end = io_now_ms() + timeout_ms;

	for (;;) {
		int rc = spawn_reader_take(r, payload, want_fd, fd);
		long n, left;

		if (rc != 0)
			return rc;
		left = end - io_now_ms();
		if (timeout_ms > 0 && (left <= 0 || wait_fd(sock, POLLIN, (int)left) < 0))
			return -1;
		n = spawn_reader_fill(r, sock);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
	}
}
