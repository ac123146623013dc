/* smtpd.h: postern-smtpd's session, command table, data state machine and
 * replies, shared by the files of smtpd/ (one concern per file). */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "esmtp_params.h"
#include "netaddr.h"
#include "queue_inject.h"
#include "tlsenv.h"

struct io;
struct config;
struct envelope;
struct recipient_tables;
struct table;
struct queue_inject;

/* RFC 5321 4.5.3.1.4 asks for 512; RFC 4954 4 for AUTH lines of 12288. */
#define SMTP_LINE_MAX 12288
#define SMTP_HELO_MAX 255

/* ---- smtp_reply.c: every reply the server gives, in one table ---- */
enum smtp_reply_id {
	RP_GREETING,         /* 220 (no enhanced code) */
	RP_GREET_REFUSED,    /* 554: talked before the greeting */
	RP_HELO,             /* 250 host greets ... (no enhanced code) */
	RP_OK,
	RP_MAIL_OK,
	RP_RCPT_OK,
	RP_DATA_GO,          /* 354 */
	RP_QUEUED,           /* 250 ... queued as %s */
	RP_BDAT_OK,          /* 250 %s octets received */
	RP_RESET,
	RP_BYE,
	RP_VRFY,
	RP_HELP,
	RP_AUTH_OK,
	RP_AUTH_CHALLENGE,   /* 334 %s */
	RP_TLS_READY,        /* sent by postern-tls on our behalf */
	RP_SHUTDOWN,         /* 421 */
	RP_TIMEOUT,          /* 421 */
	RP_TOO_MANY_ERRORS,  /* 421 */
	RP_TEMP_QUEUE,       /* 451 4.3.0 */
	RP_TEMP_DISK,        /* 452 4.3.1 */
	RP_TOO_MANY_RCPTS,   /* 452 4.5.3 */
	RP_AUTH_TEMP,        /* 454 4.7.0 */
	RP_TLS_UNAVAILABLE,  /* 454 4.7.0 */
	RP_UNKNOWN_CMD,      /* 500 5.5.2 */
	RP_LINE_TOO_LONG,    /* 500 5.5.2 */
	RP_BARE_CRLF_CMD,    /* 500 5.5.2 bare CR/LF/NUL in a command */
	RP_SYNTAX,           /* 501 5.5.4 %s */
	RP_ADDR_SYNTAX,      /* 501 5.1.3 %s */
	RP_SENDER_SYNTAX,    /* 501 5.1.7 %s */
	RP_NOT_IMPL,         /* 502 5.5.1 */
	RP_BAD_SEQ,          /* 503 5.5.1 %s */
	RP_MECH_UNKNOWN,     /* 504 5.5.4 */
	RP_AUTH_REQUIRED,    /* 530 5.7.0 */
	RP_AUTH_FAILED,      /* 535 5.7.8 */
	RP_AUTH_CANCELLED,   /* 501 5.7.0 */
	RP_ENCRYPT_REQUIRED, /* 538 5.7.11 */
	RP_UNKNOWN_USER,     /* 550 5.1.1 */
	RP_ALIAS_LOOP,       /* 550 5.4.6 */
	RP_ALIAS_TOO_MANY,   /* 550 5.3.4 */
	RP_RELAY_DENIED,     /* 554 5.7.1 */
	RP_SENDER_NOT_OWNED, /* 553 5.7.1 */
	RP_NEED_UTF8,        /* 553 5.6.7 */
	RP_TOO_BIG,          /* 552 5.3.4 */
	RP_PARAM_UNKNOWN,    /* 555 5.5.4 %s */
	RP_DATA_BARE,        /* 554 5.6.0 bare CR/LF */
	RP_DATA_NUL,         /* 554 5.6.0 NUL */
	RP_DATA_LONG_LINE,   /* 554 5.6.0 line too long */
	RP_QUEUE_REFUSED,    /* 554 5.3.4 */
	RP_BDAT_FAILED,      /* 503 5.5.1 transaction failed, RSET */
	RP_NO_RCPTS,         /* 503 5.5.1 */
	RP_COUNT
};

struct smtp_reply_def {
	int code;
	const char *enhanced;   /* NULL: none (greeting, HELO/EHLO) */
	const char *text;       /* may hold one "%s" for the argument */
};
extern const struct smtp_reply_def smtp_replies[RP_COUNT];

/* Format reply id with arg (for "%s"; NULL = "") into out (CRLF ended);
 * continuation: "250-" instead of "250 ". */
void smtp_reply_format(struct buf *out, enum smtp_reply_id id,
    const char *arg, int continuation);

/* ---- smtp_cmd.c: the command table and the command-line parser ---- */
enum smtp_verb {
	V_HELO, V_EHLO, V_MAIL, V_RCPT, V_DATA, V_BDAT, V_RSET, V_NOOP,
	V_QUIT, V_VRFY, V_HELP, V_STARTTLS, V_AUTH, V_UNKNOWN
};

enum smtp_cmd_error {
	SMTP_CMD_OK = 0,
	SMTP_CMD_BARE_LF,       /* line did not end in CRLF */
	SMTP_CMD_BARE_CR,       /* CR inside the line */
	SMTP_CMD_NUL
};

struct smtp_cmd {
	enum smtp_verb verb;
	const char *arg;        /* after the verb and one space; "" if none */
	size_t arglen;
	int has_arg;
};

/* Parse one line (with its line end, as io_getline gives it).  Never
 * reads past p+len; arg points into p. */
enum smtp_cmd_error smtp_cmd_parse(const char *p, size_t len, struct smtp_cmd *out);
/* "MAIL FROM:" / "RCPT TO:" prefix: returns the offset of the path after
 * the keyword, the colon and optional spaces, or -1. */
long smtp_cmd_path_start(const char *arg, size_t len, const char *keyword);
/* BDAT argument: "n" or "n LAST".  0 or -1. */
int smtp_cmd_bdat_arg(const char *arg, size_t len, uint64_t *n, int *last);
const char *smtp_verb_name(enum smtp_verb v);

/* ---- smtp_data.c: DATA and BDAT state machine ---- */
enum smtp_data_state { SD_BOL, SD_DOT, SD_DOT_CR, SD_LINE, SD_CR };

#define SMTP_DATA_BARE   0x01   /* bare CR or bare LF seen */
#define SMTP_DATA_NUL    0x02
#define SMTP_DATA_LONG   0x04   /* a line over the limit */
#define SMTP_DATA_BIG    0x08   /* message over the size limit */

struct smtp_data {
	int bdat;               /* no dot handling, no end marker */
	enum smtp_data_state st;
	int clean;              /* the line began after a CRLF */
	size_t linelen;
	size_t max_line;        /* octets per line, CRLF excluded */
	uint64_t max_size;
	uint64_t size;          /* content octets so far (after unstuffing) */
	unsigned flags;         /* SMTP_DATA_* */
	int done;               /* DATA: CRLF.CRLF seen */
};

void smtp_data_init(struct smtp_data *d, int bdat, size_t max_line, uint64_t max_size);
/* Feed n octets; appends the content (unstuffed, CRLF kept) to out while
 * no error flag is set.  Returns the octets consumed: for DATA it stops
 * right after CRLF.CRLF (d->done), the rest belongs to the commands. */
size_t smtp_data_feed(struct smtp_data *d, const char *p, size_t n, struct buf *out);
/* BDAT LAST / end of DATA: an unfinished line (CR pending, or no CRLF at
 * the end) counts as bare. */
void smtp_data_finish(struct smtp_data *d);

/* ---- the session (smtp_session.c and friends) ---- */
enum smtp_policy_sender { SENDER_OWN, SENDER_DOMAIN, SENDER_ANY };

struct smtp_session {
	struct io *io;
	const struct config *cfg;
	struct recipient_tables *rcpt_tables;
	struct table *relaynets;
	char hostname[256];
	struct netaddr_client client;
	int submission;         /* AUTH offered (a monitor is present) */
	int auth_fd;
	int plaintext_auth_ok;  /* AUTH allowed without TLS */
	struct tls_facts tls;
	int tls_implicit;
	int tls_ctl_available;  /* STARTTLS can be offered */
	int log_commands;       /* smtpd_log_commands: one log line per command */

	/* limits */
	uint64_t max_size;
	size_t max_rcpts, max_line;
	unsigned max_errors;
	int cmd_timeout_ms, data_timeout_ms, queue_timeout_ms;
	enum smtp_policy_sender sender_policy;
	char queue_program[4096];
	char queue_socket[QUEUE_INJECT_PATH_MAX]; /* the writers' ("": a process per message) */

	/* state */
	int helo_done, esmtp;
	char helo[SMTP_HELO_MAX + 1];
	char auth_user[256];    /* "" when not authenticated */
	unsigned errors;
	int quit;

	/* transaction */
	int in_mail;
	struct envelope *env;
	int bdat_active;        /* BDAT chunks received, no LAST yet */
	int bdat_failed;
	struct smtp_data data;
	struct queue_inject *inject;
	int inject_failed;
	/* postern-queue started ahead (smtp_queue_prestart), nothing written
	 * to it yet: the next message uses it.  Kept across resets. */
	struct queue_inject *inject_ready;
	struct buf out;         /* data octets waiting for postern-queue */
	unsigned long messages;
};

/* smtp_session.c */
void smtp_reply(struct smtp_session *s, enum smtp_reply_id id, const char *arg);
void smtp_error(struct smtp_session *s, enum smtp_reply_id id, const char *arg);
void smtp_reset_transaction(struct smtp_session *s);

/* smtp_transfer.c */
/* Start postern-queue ahead of the next message (after the greeting, and
 * at the first accepted RCPT of a later transaction), so that its start-up
 * overlaps the commands instead of the end of the data.  It creates
 * nothing until message bytes arrive.  Failure is silent: DATA tries
 * again. */
void smtp_queue_prestart(struct smtp_session *s);
/* End of session: let a started but unused postern-queue go (it sees EOF
 * with nothing written and exits without a trace). */
void smtp_queue_release(struct smtp_session *s);
int smtp_session_run(struct smtp_session *s);
void smtp_dispatch(struct smtp_session *s, const struct smtp_cmd *cmd);

/* handlers */
void smtp_cmd_helo(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_ehlo(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_mail(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_data(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_bdat(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_rset(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_noop(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_quit(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_vrfy(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_help(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_starttls(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_cmd_auth(struct smtp_session *s, const struct smtp_cmd *c);

/* smtp_policy.c */
/* May this session relay to a non-local domain? */
int smtp_policy_may_relay(const struct smtp_session *s);
/* Submission: may the authenticated user use this sender address? */
int smtp_policy_sender_ok(const struct smtp_session *s, const char *addr,
    const char *domain);
int smtp_policy_auth_allowed(const struct smtp_session *s);

/* smtp_received.c: the Received: header (RFC 5321 4.4, RFC 3848). */
void smtp_received(const struct smtp_session *s, struct buf *out);

#endif
