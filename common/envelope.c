/* envelope.c: writer and bounded reader of the queue envelope and its
 * per-recipient state records (format in envelope.h). */
#include "envelope.h"
#include "buf.h"
#include "esmtp_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "PSTNENV\x01"
#define MAGIC_LEN 8

#define REC_ENVELOPE 'E'
#define REC_STATE    'S'

/* envelope fields */
enum {
	T_SENDER = 1, T_ENVID, T_RET, T_BODY, T_SMTPUTF8, T_CLIENT_IP,
	T_CLIENT_HOST, T_HELO, T_AUTH_USER, T_AUTH_PARAM, T_TLS_VERSION,
	T_TLS_CIPHER, T_SESSION, T_UID, T_ARRIVAL, T_SIZE, T_RCPT,
	T_ENV_LAST
};
/* recipient sub-fields */
enum { R_ADDR = 1, R_NOTIFY, R_ORCPT_TYPE, R_ORCPT, R_LAST };
/* state fields */
enum { S_RCPT = 1, S_STATE, S_TIME, S_ATTEMPTS, S_SMTP_CODE, S_DSN_STATUS,
	S_DIAG, S_REMOTE_MTA, S_FLAGS, S_LAST };

uint32_t
envelope_crc32(uint32_t crc, const void *p, size_t len)
{
	static uint32_t table[256];
	static int ready;
	const unsigned char *s = p;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ s[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* --- building ------------------------------------------------------- */

struct envelope *
envelope_new(void)
{
	return xcalloc(1, sizeof(struct envelope));
}

static void
rcpt_clear(struct envelope_rcpt *r)
{
	free(r->addr);
	free(r->orcpt_type);
	free(r->orcpt);
	free(r->dsn_status);
	free(r->diag);
	free(r->remote_mta);
}

void
envelope_free(struct envelope *env)
{
	if (!env)
		return;
	free(env->sender);
	free(env->envid);
	free(env->client_ip);
	free(env->client_host);
	free(env->helo);
	free(env->auth_user);
	free(env->auth_param);
	free(env->tls_version);
	free(env->tls_cipher);
	free(env->session);
	for (size_t i = 0; i < env->nrcpts; i++)
		rcpt_clear(&env->rcpts[i]);
	free(env->rcpts);
	free(env);
}

void
envelope_set(char **field, const char *s)
{
	free(*field);
	*field = s ? xstrdup(s) : NULL;
}

struct envelope_rcpt *
envelope_add_rcpt(struct envelope *env, const char *addr, unsigned notify,
    const char *orcpt_type, const char *orcpt)
{
	struct envelope_rcpt *r;

	if (env->nrcpts == env->rcpt_cap) {
		env->rcpt_cap = env->rcpt_cap ? size_mul(env->rcpt_cap, 2) : 8;
		env->rcpts = xreallocarray(env->rcpts, env->rcpt_cap, sizeof(*r));
	}
	r = &env->rcpts[env->nrcpts++];
	memset(r, 0, sizeof(*r));
	r->addr = xstrdup(addr);
	r->notify = notify;
	if (orcpt_type && orcpt) {
		r->orcpt_type = xstrdup(orcpt_type);
		r->orcpt = xstrdup(orcpt);
	}
	return r;
}

/* --- writing -------------------------------------------------------- */

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char t[4] = { v >> 24, v >> 16, v >> 8, v };
	buf_append(b, t, 4);
}

static void
put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void
field_bytes(struct buf *b, int tag, const void *p, size_t len)
{
	buf_putc(b, tag);
	put_u32(b, (uint32_t)len);
	buf_append(b, p, len);
}

static void
field_str(struct buf *b, int tag, const char *s)
{
	if (s)
		field_bytes(b, tag, s, strlen(s));
}

static void
field_u8(struct buf *b, int tag, unsigned v)
{
	unsigned char c = (unsigned char)v;
	field_bytes(b, tag, &c, 1);
}

static void
field_u32(struct buf *b, int tag, uint32_t v)
{
	buf_putc(b, tag);
	put_u32(b, 4);
	put_u32(b, v);
}

static void
field_u64(struct buf *b, int tag, uint64_t v)
{
	buf_putc(b, tag);
	put_u32(b, 8);
	put_u64(b, v);
}

/* Frames payload as a record of type type onto out. */
static void
record(struct buf *out, int type, const struct buf *payload)
{
	unsigned char h[5] = { (unsigned char)type, payload->len >> 24,
		payload->len >> 16, payload->len >> 8, payload->len };
	uint32_t crc = envelope_crc32(0, h, 5);
	crc = envelope_crc32(crc, payload->p, payload->len);
	buf_append(out, h, 5);
	buf_append(out, payload->p, payload->len);
	put_u32(out, crc);
}

static int
fits(const char *s, size_t max)
{
	return !s || strlen(s) <= max;
}

int
envelope_write(const struct envelope *env, struct buf *out)
{
	struct buf pl = BUF_INIT, rb = BUF_INIT;
	const char *strs[] = { env->sender, env->envid, env->client_ip,
		env->client_host, env->helo, env->auth_user, env->auth_param,
		env->tls_version, env->tls_cipher, env->session };

	if (env->nrcpts == 0 || env->nrcpts > ENVELOPE_MAX_RCPTS)
		return -1;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!fits(strs[i], ENVELOPE_MAX_FIELD))
			return -1;
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		if (!r->addr || !fits(r->addr, ENVELOPE_MAX_FIELD) ||
		    !fits(r->orcpt_type, ENVELOPE_MAX_FIELD) ||
		    !fits(r->orcpt, ENVELOPE_MAX_FIELD))
			return -1;
	}
	field_str(&pl, T_SENDER, env->sender ? env->sender : "");
	field_str(&pl, T_ENVID, env->envid);
	field_u8(&pl, T_RET, (unsigned)env->ret);
	field_u8(&pl, T_BODY, (unsigned)env->body);
	field_u8(&pl, T_SMTPUTF8, env->smtputf8 ? 1 : 0);
	field_str(&pl, T_CLIENT_IP, env->client_ip);
	field_str(&pl, T_CLIENT_HOST, env->client_host);
	field_str(&pl, T_HELO, env->helo);
	field_str(&pl, T_AUTH_USER, env->auth_user);
	field_str(&pl, T_AUTH_PARAM, env->auth_param);
	field_str(&pl, T_TLS_VERSION, env->tls_version);
	field_str(&pl, T_TLS_CIPHER, env->tls_cipher);
	field_str(&pl, T_SESSION, env->session);
	field_u32(&pl, T_UID, env->uid);
	field_u64(&pl, T_ARRIVAL, env->arrival);
	field_u64(&pl, T_SIZE, env->size);
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		buf_reset(&rb);
		field_str(&rb, R_ADDR, r->addr);
		field_u8(&rb, R_NOTIFY, r->notify);
		if (r->orcpt_type && r->orcpt) {
			field_str(&rb, R_ORCPT_TYPE, r->orcpt_type);
			field_str(&rb, R_ORCPT, r->orcpt);
		}
		field_bytes(&pl, T_RCPT, rb.p, rb.len);
	}
	buf_free(&rb);
	if (pl.len > ENVELOPE_MAX_SIZE - MAGIC_LEN - 9) {
		buf_free(&pl);
		return -1;
	}
	buf_append(out, MAGIC, MAGIC_LEN);
	record(out, REC_ENVELOPE, &pl);
	buf_free(&pl);
	buf_free(&rb);
	return 0;
}

int
envelope_state_write(const struct envelope_state *st, struct buf *out)
{
	struct buf pl = BUF_INIT;

	if (!fits(st->dsn_status, ENVELOPE_MAX_FIELD) || !fits(st->diag, ENVELOPE_MAX_DIAG) ||
	    !fits(st->remote_mta, ENVELOPE_MAX_FIELD) || st->flags > 0xff)
		return -1;
	field_u32(&pl, S_RCPT, st->rcpt);
	field_u8(&pl, S_STATE, (unsigned)st->state);
	field_u64(&pl, S_TIME, st->time);
	field_u32(&pl, S_ATTEMPTS, st->attempts);
	field_u32(&pl, S_SMTP_CODE, st->smtp_code);
	field_str(&pl, S_DSN_STATUS, st->dsn_status);
	field_str(&pl, S_DIAG, st->diag);
	field_str(&pl, S_REMOTE_MTA, st->remote_mta);
	field_u8(&pl, S_FLAGS, st->flags);
	record(out, REC_STATE, &pl);
	buf_free(&pl);
	return 0;
}

/* --- reading -------------------------------------------------------- */

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* Reads one record at p[*ip]: 1 with type/payload, 0 at the exact end,
 * -1 when truncated or the checksum fails. */
static int
next_record(const unsigned char *p, size_t len, size_t *ip, int *type,
    const unsigned char **pl, size_t *pllen)
{
	size_t i = *ip;
	uint32_t n, crc;

	if (i == len)
		return 0;
	if (len - i < 9)
		return -1;
	n = get_u32(p + i + 1);
	if (n > len - i - 9)
		return -1;
	crc = envelope_crc32(0, p + i, 5 + (size_t)n);
	if (crc != get_u32(p + i + 5 + n))
		return -1;
	*type = p[i];
	*pl = p + i + 5;
	*pllen = n;
	*ip = i + 9 + n;
	return 1;
}

/* Field iterator over a payload: 1 with tag/bytes, 0 at the end, -1 bad. */
static int
next_field(const unsigned char *p, size_t len, size_t *ip, int *tag,
    const unsigned char **v, size_t *vlen)
{
	size_t i = *ip;
	uint32_t n;

	if (i == len)
		return 0;
	if (len - i < 5)
		return -1;
	n = get_u32(p + i + 1);
	if (n > len - i - 5)
		return -1;
	*tag = p[i];
	*v = p + i + 5;
	*vlen = n;
	*ip = i + 5 + n;
	return 1;
}

/* String field: no NUL, at most max bytes; replaces *dst. */
static int
get_str(char **dst, const unsigned char *v, size_t n, size_t max)
{
	if (n > max || memchr(v, 0, n))
		return -1;
	free(*dst);
	*dst = xstrndup((const char *)v, n);
	return 0;
}

static int
parse_rcpt(struct envelope *env, const unsigned char *p, size_t len, const char **why)
{
	size_t i = 0, vl;
	const unsigned char *v;
	int tag, r;
	unsigned seen = 0;
	struct envelope_rcpt tmp;

	memset(&tmp, 0, sizeof(tmp));
	while ((r = next_field(p, len, &i, &tag, &v, &vl)) == 1) {
		if (tag >= 128)
			continue;
		if (tag <= 0 || tag >= R_LAST) {
			*why = "unknown recipient field";
			goto bad;
		}
		if (seen & (1u << tag)) {
			*why = "duplicate recipient field";
			goto bad;
		}
		seen |= 1u << tag;
		switch (tag) {
		case R_ADDR:
			if (vl == 0 || get_str(&tmp.addr, v, vl, ENVELOPE_MAX_FIELD) < 0) {
				*why = "bad recipient address";
				goto bad;
			}
			break;
		case R_NOTIFY:
			if (vl != 1 || v[0] > 0x0f) {
				*why = "bad NOTIFY";
				goto bad;
			}
			tmp.notify = v[0];
			break;
		case R_ORCPT_TYPE:
			if (get_str(&tmp.orcpt_type, v, vl, ENVELOPE_MAX_FIELD) < 0) {
				*why = "bad ORCPT type";
				goto bad;
			}
			break;
		case R_ORCPT:
			if (get_str(&tmp.orcpt, v, vl, ENVELOPE_MAX_FIELD) < 0) {
				*why = "bad ORCPT";
				goto bad;
			}
			break;
		}
	}
	if (r < 0) {
		*why = "bad recipient framing";
		goto bad;
	}
	if (!tmp.addr || (!tmp.orcpt_type) != (!tmp.orcpt)) {
		*why = "incomplete recipient";
		goto bad;
	}
	if (env->nrcpts >= ENVELOPE_MAX_RCPTS) {
		*why = "too many recipients";
		goto bad;
	}
	if (env->nrcpts == env->rcpt_cap) {
		env->rcpt_cap = env->rcpt_cap ? size_mul(env->rcpt_cap, 2) : 8;
		env->rcpts = xreallocarray(env->rcpts, env->rcpt_cap, sizeof(tmp));
	}
	env->rcpts[env->nrcpts++] = tmp;
	return 0;
bad:
	rcpt_clear(&tmp);
	return -1;
}

static int
parse_envelope_payload(struct envelope *env, const unsigned char *p, size_t len,
    const char **why)
{
	size_t i = 0, vl;
	const unsigned char *v;
	int tag, r;
	uint32_t seen = 0;

	while ((r = next_field(p, len, &i, &tag, &v, &vl)) == 1) {
		char **sp = NULL;
		if (tag >= 128)
			continue;
		if (tag <= 0 || tag >= T_ENV_LAST) {
			*why = "unknown envelope field";
			return -1;
		}
		if (tag != T_RCPT) {
			if (seen & (1u << tag)) {
				*why = "duplicate envelope field";
				return -1;
			}
			seen |= 1u << tag;
		}
		switch (tag) {
		case T_SENDER: sp = &env->sender; break;
		case T_ENVID: sp = &env->envid; break;
		case T_CLIENT_IP: sp = &env->client_ip; break;
		case T_CLIENT_HOST: sp = &env->client_host; break;
		case T_HELO: sp = &env->helo; break;
		case T_AUTH_USER: sp = &env->auth_user; break;
		case T_AUTH_PARAM: sp = &env->auth_param; break;
		case T_TLS_VERSION: sp = &env->tls_version; break;
		case T_TLS_CIPHER: sp = &env->tls_cipher; break;
		case T_SESSION: sp = &env->session; break;
		case T_RET:
			if (vl != 1 || v[0] > ESMTP_RET_HDRS) {
				*why = "bad RET";
				return -1;
			}
			env->ret = v[0];
			break;
		case T_BODY:
			if (vl != 1 || v[0] > ESMTP_BODY_BINARYMIME) {
				*why = "bad BODY";
				return -1;
			}
			env->body = v[0];
			break;
		case T_SMTPUTF8:
			if (vl != 1 || v[0] > 1) {
				*why = "bad SMTPUTF8";
				return -1;
			}
			env->smtputf8 = v[0];
			break;
		case T_UID:
			if (vl != 4) {
				*why = "bad uid";
				return -1;
			}
			env->uid = get_u32(v);
			break;
		case T_ARRIVAL:
		case T_SIZE:
			if (vl != 8) {
				*why = "bad number";
				return -1;
			}
			if (tag == T_ARRIVAL)
				env->arrival = get_u64(v);
			else
				env->size = get_u64(v);
			break;
		case T_RCPT:
			if (parse_rcpt(env, v, vl, why) < 0)
				return -1;
			break;
		}
		if (sp && get_str(sp, v, vl, ENVELOPE_MAX_FIELD) < 0) {
			*why = "bad string field";
			return -1;
		}
	}
	if (r < 0) {
		*why = "bad field framing";
		return -1;
	}
	if (!env->sender) {
		*why = "no sender";
		return -1;
	}
	if (env->nrcpts == 0) {
		*why = "no recipients";
		return -1;
	}
	return 0;
}

int
envelope_parse(const char *p, size_t len, struct envelope **out,
    char *err, size_t errlen)
{
	const unsigned char *u = (const unsigned char *)p, *pl;
	size_t i = MAGIC_LEN, pllen, valid;
	const char *why = NULL;
	struct envelope *env;
	int type;
	char serr[128];

	*out = NULL;
	if (len > ENVELOPE_MAX_SIZE + (size_t)ENVELOPE_MAX_STATE_SIZE) {
		snprintf(err, errlen, "envelope too large");
		return -1;
	}
	if (len < MAGIC_LEN || memcmp(p, MAGIC, MAGIC_LEN) != 0) {
		snprintf(err, errlen, "not an envelope (bad magic or version)");
		return -1;
	}
	if (next_record(u, len, &i, &type, &pl, &pllen) != 1 || type != REC_ENVELOPE) {
		snprintf(err, errlen, "envelope record truncated or corrupt");
		return -1;
	}
	if (i > ENVELOPE_MAX_SIZE) {
		snprintf(err, errlen, "envelope too large");
		return -1;
	}
	env = envelope_new();
	if (parse_envelope_payload(env, pl, pllen, &why) < 0) {
		snprintf(err, errlen, "envelope: %s", why);
		envelope_free(env);
		return -1;
	}
	if (i < len && envelope_state_apply(env, p + i, len - i, &valid, serr,
	    sizeof(serr)) < 0) {
		snprintf(err, errlen, "%s", serr);
		envelope_free(env);
		return -1;
	}
	*out = env;
	return 0;
}

struct state_strings {
	const unsigned char *dsn, *diag, *mta;
	size_t dsnlen, diaglen, mtalen;
};

static int
parse_state(const unsigned char *p, size_t len, struct envelope_state *st,
    struct state_strings *ss)
{
	size_t i = 0, vl;
	const unsigned char *v;
	int tag, r;
	unsigned seen = 0;

	memset(st, 0, sizeof(*st));
	memset(ss, 0, sizeof(*ss));
	while ((r = next_field(p, len, &i, &tag, &v, &vl)) == 1) {
		if (tag >= 128)
			continue;
		if (tag <= 0 || tag >= S_LAST || (seen & (1u << tag)))
			return -1;
		seen |= 1u << tag;
		switch (tag) {
		case S_RCPT:
		case S_ATTEMPTS:
		case S_SMTP_CODE:
			if (vl != 4)
				return -1;
			if (tag == S_RCPT)
				st->rcpt = get_u32(v);
			else if (tag == S_ATTEMPTS)
				st->attempts = get_u32(v);
			else if ((st->smtp_code = get_u32(v)) > 999)
				return -1;
			break;
		case S_STATE:
			if (vl != 1 || v[0] < ENVELOPE_DONE || v[0] > ENVELOPE_DEFERRED)
				return -1;
			st->state = v[0];
			break;
		case S_TIME:
			if (vl != 8)
				return -1;
			st->time = get_u64(v);
			break;
		case S_DSN_STATUS:
			if (vl > ENVELOPE_MAX_FIELD || memchr(v, 0, vl))
				return -1;
			ss->dsn = v;
			ss->dsnlen = vl;
			break;
		case S_DIAG:
			if (vl > ENVELOPE_MAX_DIAG || memchr(v, 0, vl))
				return -1;
			ss->diag = v;
			ss->diaglen = vl;
			break;
		case S_REMOTE_MTA:
			if (vl > ENVELOPE_MAX_FIELD || memchr(v, 0, vl))
				return -1;
			ss->mta = v;
			ss->mtalen = vl;
			break;
		case S_FLAGS:
			if (vl != 1)
				return -1;
			st->flags = v[0];
			break;
		}
	}
	if (r < 0)
		return -1;
	if (!(seen & (1u << S_RCPT)) || !(seen & (1u << S_STATE)))
		return -1;
	return 0;
}

long
envelope_state_apply(struct envelope *env, const char *p, size_t len,
    size_t *valid_len, char *err, size_t errlen)
{
	const unsigned char *u = (const unsigned char *)p, *pl;
	size_t i = 0, pllen;
	struct state_strings ss;
	long applied = 0;
	int type;

	*valid_len = 0;
	if (len > ENVELOPE_MAX_STATE_SIZE) {
		snprintf(err, errlen, "state file too large");
		return -1;
	}
	while (env->states_applied + env->states_ignored < ENVELOPE_MAX_STATES &&
	    next_record(u, len, &i, &type, &pl, &pllen) == 1) {
		struct envelope_state st;
		struct envelope_rcpt *r;
		*valid_len = i;
		if (type != REC_STATE ||
		    parse_state(pl, pllen, &st, &ss) < 0 ||
		    st.rcpt >= env->nrcpts) {
			/* checksummed, so written by us, but meaningless: skip it */
			env->states_ignored++;
			continue;
		}
		r = &env->rcpts[st.rcpt];
		r->state = st.state;
		r->time = st.time;
		r->attempts = st.attempts;
		r->smtp_code = st.smtp_code;
		r->flags = st.flags;
		free(r->dsn_status);
		free(r->diag);
		free(r->remote_mta);
		r->dsn_status = ss.dsn ? xstrndup((const char *)ss.dsn, ss.dsnlen) : NULL;
		r->diag = ss.diag ? xstrndup((const char *)ss.diag, ss.diaglen) : NULL;
		r->remote_mta = ss.mta ? xstrndup((const char *)ss.mta, ss.mtalen) : NULL;
		env->states_applied++;
		applied++;
	}
	return applied;
}
