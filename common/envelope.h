/* envelope.h: the queue envelope (queue/todo/ID, env/ID) and the
 * per-recipient state records postern-send appends (queue/state/ID).
 *
 * Binary, length-prefixed, checksummed; no byte of any field can change
 * the framing.  An envelope file is
 *     "PSTNENV\x01"  then one record of type 'E'
 * and a state file is a sequence of records of type 'S' (they may also
 * follow the 'E' record in an envelope file).  A record is
 *     type:u8  len:u32be  payload[len]  crc32:u32be
 * (CRC-32/IEEE over type, len and payload), and a payload is a sequence of
 * fields  tag:u8 len:u32be bytes  (integers big-endian, u8/u32/u64 by tag;
 * a recipient is one field whose bytes are itself a field sequence).
 * Unknown tags below 128 are errors, 128 and above are skipped (room for
 * later optional fields).  Numbers in envelope.c.
 *
 * The reader treats the file as untrusted: caps on total size, recipients,
 * field sizes and state records; strings must hold no NUL.  State records
 * are applied in order up to the first one that is truncated or fails its
 * checksum (a crash mid-append); that one and everything after it are
 * ignored and valid_len says where the clean prefix ends: whoever appends
 * next must first truncate the file to valid_len, so that no later record
 * sits behind a torn one. */
#ifndef POSTERN_ENVELOPE_H
#define POSTERN_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_MAX_SIZE       (16u * 1024 * 1024)  /* envelope file */
#define ENVELOPE_MAX_STATE_SIZE (64u * 1024 * 1024)  /* state file */
#define ENVELOPE_MAX_RCPTS      100000
#define ENVELOPE_MAX_FIELD      1024    /* any string field but diag */
#define ENVELOPE_MAX_DIAG       4096    /* diagnostic text of a state record */
#define ENVELOPE_MAX_STATES     1000000

enum envelope_rcpt_state {
	ENVELOPE_PENDING = 0,
	ENVELOPE_DONE = 1,       /* delivered (final) */
	ENVELOPE_FAILED = 2,     /* permanent failure (final) */
	ENVELOPE_DEFERRED = 3    /* temporary failure, retry later */
};

struct envelope_rcpt {
	char *addr;              /* canonical address (smtpaddr) */
	unsigned notify;         /* ESMTP_NOTIFY_* bits, 0 = not given */
	char *orcpt_type;        /* NULL when no ORCPT */
	char *orcpt;             /* decoded ORCPT address */
	/* the latest state record for this recipient */
	enum envelope_rcpt_state state;
	uint64_t time;           /* of the last attempt, unix seconds */
	uint32_t attempts;
	unsigned smtp_code;      /* e.g. 550; 0 unknown */
	char *dsn_status;        /* e.g. "5.1.1"; NULL unknown */
	char *diag;              /* diagnostic text; NULL none */
	char *remote_mta;        /* host that answered (DSN Remote-MTA); NULL none */
	unsigned flags;          /* ENVELOPE_FLAG_* */
};

/* state record flags */
#define ENVELOPE_FLAG_DSN_SENT 0x01   /* a DSN for this state was queued */

struct envelope {
	char *sender;            /* "" for <> */
	char *envid;             /* DSN ENVID (decoded) or NULL */
	int ret;                 /* enum esmtp_ret */
	int body;                /* enum esmtp_body */
	int smtputf8;
	char *client_ip;         /* NULL for local injection */
	char *client_host;       /* reverse DNS name, if any */
	char *helo;
	char *auth_user;         /* authenticated user or NULL */
	char *auth_param;        /* MAIL AUTH= value (decoded) or NULL */
	char *tls_version;       /* NULL without TLS */
	char *tls_cipher;
	char *session;           /* session id of the receiving program */
	uint32_t uid;            /* uid that ran postern-queue */
	uint64_t arrival;        /* unix seconds */
	uint64_t size;           /* message size in octets */
	struct envelope_rcpt *rcpts;
	size_t nrcpts;
	size_t rcpt_cap;
	/* filled by envelope_state_apply */
	size_t states_applied;
	size_t states_ignored;   /* well-formed but meaningless (bad index) */
};

struct envelope_state {
	uint32_t rcpt;           /* index into rcpts */
	enum envelope_rcpt_state state;
	uint64_t time;
	uint32_t attempts;
	unsigned smtp_code;
	const char *dsn_status;  /* may be NULL */
	const char *diag;        /* may be NULL */
	const char *remote_mta;  /* may be NULL */
	unsigned flags;          /* ENVELOPE_FLAG_* */
};

struct buf;

struct envelope *envelope_new(void);
void envelope_free(struct envelope *env);
/* Replace a string field of env with a copy of s (NULL clears). */
void envelope_set(char **field, const char *s);
/* Adds a recipient (copies everything); returns it. */
struct envelope_rcpt *envelope_add_rcpt(struct envelope *env, const char *addr,
    unsigned notify, const char *orcpt_type, const char *orcpt);

/* envelope_write: appends the whole envelope file to out.  -1 (out
 * unchanged) when env could not be read back: no recipient, too many, or
 * a field over its cap. */
int envelope_write(const struct envelope *env, struct buf *out);
/* envelope_parse: reads an envelope file (and any state records after the
 * 'E' record).  0 with *out set (free with envelope_free), or -1 with a
 * short reason in err. */
int envelope_parse(const char *p, size_t len, struct envelope **out,
    char *err, size_t errlen);

/* envelope_state_write: appends one 'S' record to out.  -1 when a field
 * is over its cap. */
int envelope_state_write(const struct envelope_state *st, struct buf *out);
/* envelope_state_apply: applies the 'S' records in p/len to env's
 * recipients (the latest record for a recipient wins).  Sets *valid_len to
 * the length of the clean prefix.  Returns the number of records applied;
 * -1 with err when len exceeds ENVELOPE_MAX_STATE_SIZE. */
long envelope_state_apply(struct envelope *env, const char *p, size_t len,
    size_t *valid_len, char *err, size_t errlen);

/* CRC-32 (IEEE 802.3), exposed for tests. */
uint32_t envelope_crc32(uint32_t crc, const void *p, size_t len);

#endif
