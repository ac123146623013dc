/* spawnproto.h: the delivery request/reply protocol between a client
 * (postern-send, postern-lmtpd) and a spawner (postern-lspawn for local
 * delivery, postern-rspawn for remote delivery).
 *
 * Transport: a UNIX stream socket (socketpair from the supervisor, or a
 * connection to lspawn's listening socket).  Many requests may be in
 * flight on one socket; replies come back in any order, matched by id.
 *
 * Framing: every record is   len:u32be  payload[len]   with
 * 0 < len <= SPAWN_MAX_RECORD.  A payload is a sequence of fields
 *     tag:u8  len:u32be  bytes[len]
 * (integers big-endian, u8/u32/u64 by tag; a recipient or a result is one
 * field whose bytes are itself a field sequence).  Unknown tags below 128
 * are errors, 128 and above are skipped.  Strings hold no NUL.
 *
 * Request (client -> spawner): the message (LF line ends, as in the queue)
 * travels as an open read-only descriptor (every request carries exactly
 * one, so a reader pairs records and descriptors in order), passed with SCM_RIGHTS on the
 * sendmsg() that carries the record's first byte (spawn_send does this).
 * The spawner must not assume the descriptor's offset: it reads with
 * pread or lseeks to 0.  Fields: id, queue id, sender ("" for <>), DSN
 * ENVID/RET, BODY, SMTPUTF8, size, recipients (address, NOTIFY bits,
 * ORCPT).  A local request normally holds one recipient; a remote one the
 * recipients of one destination domain (at most SPAWN_MAX_RCPTS).
 *
 * Reply (spawner -> client): the request id and one result per recipient,
 * in the request's order: class 2 (delivered), 4 (temporary), 5
 * (permanent); the SMTP code if any (e.g. 550), the enhanced status code
 * (RFC 3463, e.g. "5.1.1"), a diagnostic text (one line, for the DSN's
 * Diagnostic-Code and the log) and, for remote deliveries, the host that
 * answered (DSN Remote-MTA).  A spawner that cannot run a delivery at all
 * answers class 4 for every recipient; a request it cannot parse ends the
 * connection (the client then treats every request in flight as class 4).
 *
 * The parsers treat their input as untrusted: caps on record size,
 * recipient count and field sizes; no allocation sized by a claimed
 * length before the bytes are there. */
#ifndef POSTERN_SPAWNPROTO_H
#define POSTERN_SPAWNPROTO_H

#include <stddef.h>
#include <stdint.h>

#define SPAWN_MAX_RECORD  (256u * 1024)  /* one request or reply payload */
#define SPAWN_MAX_RCPTS   100            /* recipients of one request */
#define SPAWN_MAX_FIELD   1024           /* any string field but diag */
#define SPAWN_MAX_DIAG    4096           /* diagnostic text */
#define SPAWN_MAX_FDS     64             /* descriptors queued in a reader */

/* default name of lspawn's listening socket in the instance's run/
 * directory (postern-lmtpd connects there) */
#define SPAWN_LSPAWN_SOCKET "lspawn.sock"

struct spawn_rcpt {
	char *addr;              /* canonical address (smtpaddr) */
	unsigned notify;         /* ESMTP_NOTIFY_* bits, 0 = not given */
	char *orcpt_type;        /* NULL when no ORCPT */
	char *orcpt;             /* decoded ORCPT address */
};

struct spawn_request {
	uint32_t id;             /* chosen by the client, echoed in the reply */
	char *queue_id;          /* for logs and Received/Delivered-To; may be NULL */
	char *sender;            /* "" for <> */
	char *envid;             /* DSN ENVID or NULL */
	int ret;                 /* enum esmtp_ret */
	int body;                /* enum esmtp_body */
	int smtputf8;
	uint64_t size;           /* message size in octets (LF), 0 unknown */
	struct spawn_rcpt *rcpts;
	size_t nrcpts;
	size_t rcpt_cap;
};

struct spawn_result {
	unsigned cls;            /* 2, 4 or 5 */
	unsigned smtp_code;      /* e.g. 550; 0 unknown */
	char *dsn_status;        /* e.g. "5.1.1"; NULL unknown */
	char *diag;              /* one line of text; NULL none */
	char *remote_mta;        /* NULL for local deliveries */
	unsigned flags;          /* SPAWN_RESULT_* bits, 0 = none */
};

/* spawn_result flags (travel as an optional field, tag >= 128, so a
 * reader that predates a bit skips it):
 * SPAWN_RESULT_RELAYED: class 2, but the message went to a next hop that
 * did not announce DSN (RFC 3461 sections 4 and 6.2), so the success is
 * "relayed", not "delivered", and the next hop will not report back. */
#define SPAWN_RESULT_RELAYED  0x1u
#define SPAWN_RESULT_KNOWN    0x1u   /* all bits defined so far */

struct spawn_reply {
	uint32_t id;
	struct spawn_result *results;   /* one per recipient of the request */
	size_t nresults;
	size_t result_cap;
};

struct buf;

struct spawn_request *spawn_request_new(void);
void spawn_request_free(struct spawn_request *req);
/* Replace a string field with a copy of s (NULL clears). */
void spawn_set(char **field, const char *s);
/* Adds a recipient (copies the strings); NULL when SPAWN_MAX_RCPTS are
 * already there. */
struct spawn_rcpt *spawn_request_add_rcpt(struct spawn_request *req,
    const char *addr, unsigned notify, const char *orcpt_type,
    const char *orcpt);

struct spawn_reply *spawn_reply_new(uint32_t id);
void spawn_reply_free(struct spawn_reply *rep);
/* Adds a result (copies the strings, caps them at their limits and
 * replaces CR/LF/NUL in text by spaces); NULL when SPAWN_MAX_RCPTS are
 * already there.  cls outside 2/4/5 is stored as 4. */
struct spawn_result *spawn_reply_add(struct spawn_reply *rep, unsigned cls,
    unsigned smtp_code, const char *dsn_status, const char *diag,
    const char *remote_mta);

/* Sets the result's flags (bits outside SPAWN_RESULT_KNOWN are dropped);
 * spawn_result_relayed: 1 when x is a class 2 result marked relayed. */
void spawn_result_set_flags(struct spawn_result *x, unsigned flags);
int spawn_result_relayed(const struct spawn_result *x);

/* Encoders append one complete record (length prefix included) to out.
 * -1 (out unchanged) when the request has no recipient or a field is over
 * its cap. */
int spawn_request_encode(const struct spawn_request *req, struct buf *out);
int spawn_reply_encode(const struct spawn_reply *rep, struct buf *out);

/* Parsers take one payload (without the length prefix).  0 with *out set
 * (free it), or -1 with a short reason in err. */
int spawn_request_parse(const char *p, size_t len,
    struct spawn_request **out, char *err, size_t errlen);
int spawn_reply_parse(const char *p, size_t len,
    struct spawn_reply **out, char *err, size_t errlen);

/* spawn_send: writes the whole record (blocking; the socket may be
 * non-blocking, then it polls), with fd attached by SCM_RIGHTS to the
 * first byte when fd >= 0.  0, or -1 with errno set.  SIGPIPE is the
 * caller's business (ignore it). */
int spawn_send(int sock, const void *record, size_t len, int fd);

/* A reader collects bytes and passed descriptors from a socket and hands
 * out complete records. */
struct spawn_reader {
	struct buf *in;
	int fds[SPAWN_MAX_FDS];  /* received, not yet handed out (FIFO) */
	size_t nfds;
};

void spawn_reader_init(struct spawn_reader *r);
/* Closes any descriptors still queued. */
void spawn_reader_free(struct spawn_reader *r);
/* One recvmsg(): > 0 bytes read, 0 end of stream, -1 error (errno; EAGAIN
 * on a non-blocking socket with nothing to read).  Descriptors beyond
 * SPAWN_MAX_FDS are closed, and the reader then reports an error. */
long spawn_reader_fill(struct spawn_reader *r, int sock);
/* spawn_reader_take: 1 with a complete payload copied into payload (reset
 * first) and *fd set to the oldest received descriptor not yet handed out
 * (or -1 when none; with want_fd 0 no descriptor is taken), 0 when more
 * bytes are needed, -1 on a framing error (len 0 or over
 * SPAWN_MAX_RECORD): the stream is unusable then.  The caller owns *fd. */
int spawn_reader_take(struct spawn_reader *r, struct buf *payload,
    int want_fd, int *fd);

/* Blocking convenience for one-request clients (lmtpd): reads until a
 * whole record is there or timeout_ms passes.  1 record, 0 end of stream,
 * -1 error/timeout. */
int spawn_read_record(struct spawn_reader *r, int sock, struct buf *payload,
    int want_fd, int *fd, int timeout_ms);

#endif
