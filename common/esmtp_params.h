/* esmtp_params.h: the parameters after the path in MAIL FROM and RCPT TO
 * (RFC 5321 4.1.2 esmtp-param), and xtext (RFC 3461 4).
 *
 * Known: MAIL  SIZE= (RFC 1870), BODY= (RFC 6152, RFC 3030), SMTPUTF8
 *              (RFC 6531), RET= and ENVID= (RFC 3461), AUTH= (RFC 4954 5);
 *        RCPT  NOTIFY= and ORCPT= (RFC 3461).
 * A parameter is accepted only when its extension is enabled in the caller's
 * mask (what the server advertised).  Unknown, not-enabled or repeated
 * parameters give ESMTP_UNRECOGNIZED (reply 555 5.5.4), malformed ones
 * ESMTP_SYNTAX (501 5.5.4).  Keywords and fixed values are case-insensitive. */
#ifndef POSTERN_ESMTP_PARAMS_H
#define POSTERN_ESMTP_PARAMS_H

#include <stddef.h>
#include <stdint.h>

/* extension mask */
#define ESMTP_EXT_SIZE       0x01
#define ESMTP_EXT_8BITMIME   0x02
#define ESMTP_EXT_BINARYMIME 0x04
#define ESMTP_EXT_SMTPUTF8   0x08
#define ESMTP_EXT_DSN        0x10
#define ESMTP_EXT_AUTH       0x20
#define ESMTP_EXT_ALL        0x3f

enum esmtp_result {
	ESMTP_OK = 0,
	ESMTP_SYNTAX = -1,        /* 501 5.5.4 */
	ESMTP_UNRECOGNIZED = -2   /* 555 5.5.4 */
};

enum esmtp_body { ESMTP_BODY_UNSET = 0, ESMTP_BODY_7BIT, ESMTP_BODY_8BITMIME,
	ESMTP_BODY_BINARYMIME };
enum esmtp_ret { ESMTP_RET_UNSET = 0, ESMTP_RET_FULL, ESMTP_RET_HDRS };

/* NOTIFY bits; 0 = not given (RFC 3461 default: FAILURE,DELAY applies) */
#define ESMTP_NOTIFY_NEVER   0x01
#define ESMTP_NOTIFY_SUCCESS 0x02
#define ESMTP_NOTIFY_FAILURE 0x04
#define ESMTP_NOTIFY_DELAY   0x08

#define ESMTP_ENVID_MAX   100   /* RFC 3461 4.4: decoded length */
#define ESMTP_ORCPT_MAX   500   /* RFC 3461 4.2: parameter value length */
#define ESMTP_AUTH_MAX    500
#define ESMTP_ADDRTYPE_MAX 32

struct esmtp_mail_params {
	int has_size;
	uint64_t size;
	enum esmtp_body body;
	int smtputf8;
	enum esmtp_ret ret;
	int has_envid;
	char envid[ESMTP_ENVID_MAX + 1];     /* decoded */
	int has_auth;
	int auth_null;                       /* AUTH=<> */
	char auth[ESMTP_AUTH_MAX + 1];       /* decoded mailbox */
};

struct esmtp_rcpt_params {
	unsigned notify;                     /* ESMTP_NOTIFY_* or 0 */
	int has_orcpt;
	char orcpt_type[ESMTP_ADDRTYPE_MAX + 1];  /* as given, e.g. "rfc822" */
	char orcpt[ESMTP_ORCPT_MAX + 1];     /* decoded address */
};

/* p/len: the text after '>' (may be empty or begin with spaces).
 * reason: a static string for the reply. */
int esmtp_parse_mail_params(const char *p, size_t len, unsigned ext,
    struct esmtp_mail_params *out, const char **reason);
int esmtp_parse_rcpt_params(const char *p, size_t len, unsigned ext,
    struct esmtp_rcpt_params *out, const char **reason);

/* xtext_decode: decodes p/len into out (room outlen, NUL added).  Rejects
 * anything outside RFC 3461 xtext, and decoded bytes that are controls
 * (< 0x20, 0x7f) or invalid UTF-8.  Returns decoded length or -1. */
long xtext_decode(const char *p, size_t len, char *out, size_t outlen);

/* orcpt_decode: an ORCPT value after "type;": xtext (RFC 3461 4) and, for
 * type "utf-8", RFC 6533 3 \x{HEX} escapes.  Same result as xtext_decode. */
long orcpt_decode(const char *type, const char *p, size_t len, char *out, size_t outlen);

struct buf;
/* orcpt_encode: appends "type;value" as it goes on the wire: xtext, or for
 * type "utf-8" RFC 6533 utf-8-addr-xtext (\x{HEX} for anything not QCHAR). */
void orcpt_encode(struct buf *b, const char *type, const char *addr, size_t len);
/* xtext_encode: appends the xtext form of p/len to b ('+', '=', bytes
 * outside 33..126 as "+HH"). */
void xtext_encode(struct buf *b, const char *p, size_t len);

#endif
