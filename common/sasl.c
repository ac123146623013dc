/* sasl.c: server-side SASL PLAIN and LOGIN state machine (see sasl.h). */
#include "sasl.h"

#include <string.h>
#include <strings.h>
#include <unistr.h>

#include "base64.h"

/* LOGIN's challenges, "Username:" and "Password:" in base64. */
#define LOGIN_USER_CHALLENGE "VXNlcm5hbWU6"
#define LOGIN_PASS_CHALLENGE "UGFzc3dvcmQ6"

static void
wipe(struct buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	buf_free(b);
}

void
sasl_init(struct sasl *s)
{
	memset(s, 0, sizeof(*s));
}

void
sasl_clear(struct sasl *s)
{
	buf_free(&s->challenge);
	wipe(&s->user);
	wipe(&s->password);
	s->mech = SASL_MECH_NONE;
	s->step = 0;
	s->error = NULL;
}

enum sasl_mech
sasl_mech_lookup(const char *name, size_t len)
{
	if (len == 5 && strncasecmp(name, "PLAIN", 5) == 0)
		return SASL_MECH_PLAIN;
	if (len == 5 && strncasecmp(name, "LOGIN", 5) == 0)
		return SASL_MECH_LOGIN;
	return SASL_MECH_NONE;
}

const char *
sasl_mech_names(void)
{
	return "PLAIN LOGIN";
}

static int
user_ok(const char *p, size_t len, const char **why)
{
	if (len == 0) {
		*why = "empty user name";
		return 0;
	}
	if (len > SASL_MAX_USER) {
		*why = "user name too long";
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c < 0x20 || c == 0x7f) {
			*why = "control character in user name";
			return 0;
		}
	}
	if (u8_check((const uint8_t *)p, len) != NULL) {
		*why = "user name is not UTF-8";
		return 0;
	}
	return 1;
}

static int
password_ok(const char *p, size_t len, const char **why)
{
	if (len == 0) {
		*why = "empty password";
		return 0;
	}
	if (len > SASL_MAX_PASSWORD) {
		*why = "password too long";
		return 0;
	}
	if (memchr(p, '\0', len)) {
		*why = "NUL in password";
		return 0;
	}
	return 1;
}

int
sasl_plain_decode(const char *p, size_t len, struct buf *user,
    struct buf *password, const char **why)
{
	/* RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd */
	const char *n1 = memchr(p, '\0', len);
	if (n1 == NULL) {
		*why = "malformed PLAIN message";
		return -1;
	}
	const char *authz = p;
	size_t authzlen = (size_t)(n1 - p);
	const char *authc = n1 + 1;
	size_t rest = len - authzlen - 1;
	const char *n2 = memchr(authc, '\0', rest);
	if (n2 == NULL) {
		*why = "malformed PLAIN message";
		return -1;
	}
	size_t authclen = (size_t)(n2 - authc);
	const char *pw = n2 + 1;
	size_t pwlen = rest - authclen - 1;
	if (!user_ok(authc, authclen, why))
		return -1;
	if (memchr(pw, '\0', pwlen)) {
		*why = "malformed PLAIN message";
		return -1;
	}
	if (!password_ok(pw, pwlen, why))
		return -1;
	/* No proxy authorisation: authzid empty or the authcid itself. */
	if (authzlen != 0 &&
	    (authzlen != authclen || memcmp(authz, authc, authclen) != 0)) {
		*why = "authorization identity differs from authentication identity";
		return -1;
	}
	buf_append(user, authc, authclen);
	buf_cstr(user);
	buf_append(password, pw, pwlen);
	buf_cstr(password);
	return 0;
}

static enum sasl_status
fail(struct sasl *s, const char *why)
{
	wipe(&s->user);
	wipe(&s->password);
	buf_reset(&s->challenge);
	buf_cstr(&s->challenge);
	s->error = why;
	s->step = -1;
	return SASL_ERROR;
}

static void
challenge(struct sasl *s, const char *b64)
{
	buf_reset(&s->challenge);
	buf_puts(&s->challenge, b64);
	buf_cstr(&s->challenge);
}

/* Decode one base64 response into out (reset first).  0 or -1 with why. */
static int
decode(const char *p, size_t len, struct buf *out, const char **why)
{
	buf_reset(out);
	if (len > SASL_MAX_LINE) {
		*why = "response too long";
		return -1;
	}
	if (base64_decode_strict(p, len, out) < 0) {
		*why = "invalid base64";
		return -1;
	}
	return 0;
}

/* Handle one decoded response for the current mechanism and step. */
static enum sasl_status
advance(struct sasl *s, const char *p, size_t len)
{
	const char *why = NULL;
	struct buf tmp = BUF_INIT;
	enum sasl_status st;

	if (decode(p, len, &tmp, &why) < 0) {
		wipe(&tmp);
		return fail(s, why);
	}
	switch (s->mech) {
	case SASL_MECH_PLAIN:
		if (sasl_plain_decode(tmp.p ? tmp.p : "", tmp.len, &s->user,
		    &s->password, &why) < 0) {
			st = fail(s, why);
			break;
		}
		s->step = 2;
		st = SASL_DONE;
		break;
	case SASL_MECH_LOGIN:
		if (s->step == 0) {
			if (!user_ok(tmp.p, tmp.len, &why)) {
				st = fail(s, why);
				break;
			}
			buf_append(&s->user, tmp.p, tmp.len);
			buf_cstr(&s->user);
			challenge(s, LOGIN_PASS_CHALLENGE);
			s->step = 1;
			st = SASL_CONTINUE;
		} else {
			if (!password_ok(tmp.p, tmp.len, &why)) {
				st = fail(s, why);
				break;
			}
			buf_append(&s->password, tmp.p, tmp.len);
			buf_cstr(&s->password);
			s->step = 2;
			st = SASL_DONE;
		}
		break;
	default:
		st = fail(s, "no mechanism");
		break;
	}
	wipe(&tmp);
	if (st == SASL_DONE) {
		buf_reset(&s->challenge);
		buf_cstr(&s->challenge);
	}
	return st;
}

enum sasl_status
sasl_start(struct sasl *s, const char *mech, size_t mlen, const char *ir,
    size_t irlen)
{
	sasl_clear(s);
	s->mech = sasl_mech_lookup(mech, mlen);
	if (s->mech == SASL_MECH_NONE)
		return fail(s, "unknown mechanism");
	if (ir != NULL) {
		/* RFC 4954 4: "=" is an empty initial response */
		if (irlen == 1 && ir[0] == '=')
			irlen = 0;
		if (irlen == 0 && s->mech == SASL_MECH_LOGIN) {
			challenge(s, LOGIN_USER_CHALLENGE);
			return SASL_CONTINUE;
		}
		return advance(s, ir, irlen);
	}
	challenge(s, s->mech == SASL_MECH_LOGIN ? LOGIN_USER_CHALLENGE : "");
	return SASL_CONTINUE;
}

enum sasl_status
sasl_step(struct sasl *s, const char *line, size_t len)
{
	if (s->mech == SASL_MECH_NONE || s->step < 0 || s->step >= 2)
		return fail(s, "no exchange in progress");
	/* RFC 4954 4, RFC 3501 6.2.2: "*" cancels */
	if (len == 1 && line[0] == '*') {
		sasl_clear(s);
		s->error = "cancelled";
		s->step = -1;
		return SASL_CANCEL;
	}
	return advance(s, line, len);
}
