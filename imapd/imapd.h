/* imapd.h: the post-auth IMAP server (postern-imapd): the session, its
 * state machine, the command table, response helpers and the view of the
 * selected mailbox that the command handlers work on.
 *
 * Shared by the session core (imapd_main.c, imap_session.c, imap_mailbox.c,
 * imap_names.c, imap_caps.c, imap_idle.c ...) and the message commands
 * (imap_fetch.c, imap_store.c, imap_search*.c, imap_copy.c, imap_seqset.c).
 *
 * Handler contract:
 *   - A handler gets the arguments after the command name (after "UID
 *     NAME" for the UID forms; s->uid is then 1).
 *   - It sends exactly one tagged reply through imap_ok(), imap_no() or
 *     imap_bad().  imap_ok() and imap_no() first send the pending untagged
 *     updates of the selected mailbox (EXISTS, RECENT, EXPUNGE/VANISHED,
 *     FETCH FLAGS) - EXPUNGE/VANISHED only when the running command allows
 *     it (RFC 3501 7.4.1 / RFC 9051 7.5.1: never while answering FETCH,
 *     STORE or SEARCH by sequence number: table flag IMAP_CMD_NO_EXPUNGE,
 *     lifted for the UID forms).
 *   - Untagged data goes out through imap_untagged() or, for responses
 *     built in a buffer (FETCH), imap_send_buf().  Strings inside
 *     responses through common/imap_quote.h into a struct buf.
 *   - A handler never reads the network itself except through
 *     imap_read_command()-level helpers declared here (IDLE, AUTHENTICATE
 *     continuation).
 *
 * The view: s->mbox->msgs[] holds the messages in sequence order (seq =
 * index + 1) as this session has announced them.  A message removed by
 * another process stays in the view, marked expunged, until an EXPUNGE or
 * VANISHED for it may be sent; its file is gone (imap_msg_open gives -1
 * with errno ENOENT).  UIDs in the view are strictly ascending. */
#ifndef POSTERN_IMAPD_H
#define POSTERN_IMAPD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "buf.h"
#include "io.h"
#include "config.h"
#include "maildir.h"
#include "maildir_index.h"
#include "quota.h"
#include "tlsenv.h"
#include "imap_parser.h"

/* --- states and extensions ------------------------------------------- */

enum imap_state {
	IMAP_STATE_NOTAUTH   = 1 << 0,
	IMAP_STATE_AUTH      = 1 << 1,
	IMAP_STATE_SELECTED  = 1 << 2,
	IMAP_STATE_LOGOUT    = 1 << 3
};
#define IMAP_STATE_ANYAUTH (IMAP_STATE_AUTH | IMAP_STATE_SELECTED)
#define IMAP_STATE_ANY (IMAP_STATE_NOTAUTH | IMAP_STATE_ANYAUTH)

/* Extensions the client turned on with ENABLE (or implicitly: any
 * CONDSTORE-enabling command, RFC 7162 3.1; QRESYNC implies CONDSTORE). */
enum imap_ext {
	IMAP_EXT_REV2      = 1 << 0,   /* ENABLE IMAP4rev2 */
	IMAP_EXT_UTF8      = 1 << 1,   /* ENABLE UTF8=ACCEPT */
	IMAP_EXT_CONDSTORE = 1 << 2,
	IMAP_EXT_QRESYNC   = 1 << 3
};

/* --- the selected mailbox view --------------------------------------- */

struct imap_msg {
	uint32_t uid;
	uint32_t flags;         /* MAILDIR_FLAG_* as this session knows them */
	uint32_t keywords;      /* bit k: keyword k of the index */
	uint64_t modseq;
	uint8_t recent;         /* \Recent for this session (IMAP4rev1) */
	uint8_t expunged;       /* gone; EXPUNGE/VANISHED not yet sent */
	uint8_t flags_dirty;    /* changed by someone else; FETCH pending */
	/* filled lazily by imap_msg_internaldate / imap_msg_size */
	uint8_t have_date, have_size;
	int64_t internaldate;   /* seconds since the epoch (file mtime) */
	uint64_t size;          /* RFC822.SIZE: octets with CRLF line ends */
};

struct imap_mailbox {
	char name[512];         /* client form as last given ("INBOX" for
	                           the root; '.' is the delimiter) */
	char folder[512];       /* on-disk Maildir++ name ("" for INBOX) */
	char dir[MAILDIR_PATH_MAX];   /* the folder's directory */
	struct maildir_index *idx;
	int readonly;           /* EXAMINE */
	struct imap_msg *msgs;  /* sequence order */
	size_t count, cap;
	uint32_t uidvalidity;
	uint32_t uidnext;       /* as last announced */
	uint64_t highest_modseq;   /* everything up to here was announced */
	size_t recent;          /* messages with recent set */
	int exists_sent;        /* count announced in the last EXISTS */
	uint32_t keywords_sent; /* keyword slots named in the last FLAGS */
};

/* --- the session ----------------------------------------------------- */

struct imap_session;

typedef void imap_handler(struct imap_session *s,
    const struct imap_arg *args, size_t nargs);

/* Command table flags. */
#define IMAP_CMD_UID_OK       0x01   /* may follow "UID" */
#define IMAP_CMD_NO_EXPUNGE   0x02   /* no EXPUNGE/VANISHED during the
                                        sequence-number form */
#define IMAP_CMD_CONTINUES    0x04   /* reads from the client itself
                                        (IDLE, AUTHENTICATE) */

struct imap_command {
	const char *name;       /* upper case */
	imap_handler *fn;       /* NULL: not built (answered BAD) */
	unsigned states;        /* IMAP_STATE_* where it is allowed */
	unsigned flags;         /* IMAP_CMD_* */
};

struct imap_session {
	struct io *io;
	const struct config *cfg;
	struct imap_limits limits;
	enum imap_state state;
	unsigned enabled;        /* IMAP_EXT_* */
	char user[256];
	char root[MAILDIR_PATH_MAX];   /* the Maildir root (INBOX) */
	struct tls_facts tls;
	struct imap_mailbox *mbox;     /* when state is SELECTED */

	/* the running command */
	const char *tag;
	const struct imap_command *cmd;
	int uid;                 /* "UID" prefix */
	int replied;             /* the tagged reply was sent */

	/* SEARCHRES (RFC 5182): the saved result, as UIDs; reset by
	 * SELECT/EXAMINE/CLOSE/UNSELECT (imap_saved_reset). */
	uint32_t *saved_uids;
	size_t nsaved;
	int saved_valid;

	/* quota of the Maildir root (limits from the user list, 0 = none) */
	struct quota quota_limits;

	int idle_timeout_ms;     /* autologout while idle (>= 30 min) */
	int command_timeout_ms;  /* reading one command */
};

/* --- commands -------------------------------------------------------- */

/* The command table (imap_session.c): lookup by name, case-insensitive. */
const struct imap_command *imap_command_find(const char *name);

/* Message commands (hN): imap_fetch.c, imap_store.c, imap_search*.c,
 * imap_copy.c.  Weak here: the table answers BAD for any that is not
 * linked in, and capabilities that need them are then not advertised. */
imap_handler imap_cmd_fetch __attribute__((weak));
imap_handler imap_cmd_store __attribute__((weak));
imap_handler imap_cmd_search __attribute__((weak));
imap_handler imap_cmd_copy __attribute__((weak));
imap_handler imap_cmd_move __attribute__((weak));

/* --- replies --------------------------------------------------------- */

/* Tagged replies: "<tag> OK [code] text".  code may be NULL (no brackets)
 * and is written as given (e.g. "APPENDUID 38505 3955").  text is a
 * printf format.  OK and NO send pending mailbox updates first. */
void imap_ok(struct imap_session *s, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void imap_no(struct imap_session *s, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void imap_bad(struct imap_session *s, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "* " + formatted text + CRLF. */
void imap_untagged(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Send b's bytes as they are (a complete response with its CRLF, built
 * with imap_quote.h), then reset b. */
void imap_send_buf(struct imap_session *s, struct buf *b);

/* A mailbox name in a response: quoted UTF-8 for UTF-8 sessions, else
 * as imap_write_string (quoted 7-bit or a literal). */
void imap_write_mailbox(struct imap_session *s, struct buf *out,
    const char *p, size_t len);

/* "* FLAGS (...)" and "* OK [PERMANENTFLAGS (...)]" of the selected
 * mailbox (its keywords included) into out; remembers the keywords. */
void imap_write_flag_lists(struct imap_session *s, struct buf *out);

/* IMAP4rev2 in force (ENABLE IMAP4rev2): no \Recent, no RECENT response,
 * VANISHED/ESEARCH forms, UTF-8 names. */
int imap_rev2(const struct imap_session *s);
/* UTF-8 mailbox names and quoted strings (rev2 or UTF8=ACCEPT). */
int imap_utf8(const struct imap_session *s);
/* Turn on CONDSTORE (RFC 7162 3.1: a CONDSTORE-enabling command: FETCH
 * MODSEQ, CHANGEDSINCE, UNCHANGEDSINCE, SEARCH MODSEQ, SELECT (CONDSTORE)).
 * When a mailbox is selected and it was off, sends "* OK
 * [HIGHESTMODSEQ n]".  After this, untagged FETCH FLAGS carry MODSEQ. */
void imap_condstore_enable(struct imap_session *s);
int imap_condstore(const struct imap_session *s);

/* Write the flag list "(\Seen \Answered kw ...)" of m into out (with
 * \Recent when m->recent and not rev2). */
void imap_write_flags(struct imap_session *s, struct buf *out,
    const struct imap_msg *m);
/* Parse one flag atom (\Seen, \Answered, \Flagged, \Deleted, \Draft,
 * $Forwarded or a keyword, RFC 3501 flag-keyword).  Keywords are created
 * in the index when create is set (when all 26 slots are used: -1).
 * 0 ok, -1 not a storable flag (\Recent, \*, bad atom). */
int imap_parse_flag(struct imap_session *s, const char *p, size_t len,
    int create, unsigned *flags, uint32_t *keywords);

/* --- the selected mailbox ------------------------------------------- */

/* Number of messages in the view (EXISTS as announced). */
uint32_t imap_view_count(const struct imap_session *s);
/* Message at sequence number seq (1-based), or NULL when out of range. */
struct imap_msg *imap_view_get(struct imap_session *s, uint32_t seq);
/* Sequence number of uid, or 0 when not in the view. */
uint32_t imap_view_seq(const struct imap_session *s, uint32_t uid);
/* Sequence number of the first message with UID >= uid (count+1 when
 * none): for UID ranges. */
uint32_t imap_view_seq_ge(const struct imap_session *s, uint32_t uid);
/* Highest UID in the view (0 when empty): "*" in UID sets. */
uint32_t imap_view_max_uid(const struct imap_session *s);

/* The index entry of m (file name, in_new), NULL when gone. */
const struct maildir_msg *imap_msg_file(struct imap_session *s,
    const struct imap_msg *m);
/* Open m's file read-only; -1 with errno ENOENT when expunged. */
int imap_msg_open(struct imap_session *s, const struct imap_msg *m);
/* INTERNALDATE (file mtime) and RFC822.SIZE (,W= in the name, else
 * counted); cached in m.  0 or -1 (gone). */
int imap_msg_internaldate(struct imap_session *s, struct imap_msg *m,
    int64_t *out);
int imap_msg_size(struct imap_session *s, struct imap_msg *m, uint64_t *out);

/* Change m's flags (STORE, \Seen on FETCH BODY[]): through
 * maildir_index_store under the index lock, so concurrent changes are not
 * lost; m->flags/keywords/modseq follow the result, so no FETCH for it is
 * sent as an "update".  unchangedsince: 0 none, else RFC 7162.
 * Returns 0 done (m->modseq is the new MODSEQ when something changed),
 * 1 gone (expunged), 2 MODSEQ above unchangedsince, -1 error.  In a
 * read-only (EXAMINE) mailbox: -1 with errno EROFS. */
int imap_msg_store(struct imap_session *s, struct imap_msg *m,
    enum maildir_store_mode mode, unsigned flags, uint32_t keywords,
    uint64_t unchangedsince);

/* Expunge the messages with these UIDs (sorted ascending; those not in
 * the view are skipped) from disk and from the view, and announce each
 * (EXPUNGE seq, or VANISHED uids with QRESYNC) unless silent (CLOSE).
 * Updates the quota.  For EXPUNGE, UID EXPUNGE, MOVE, CLOSE.  0 or -1. */
int imap_view_expunge(struct imap_session *s, const uint32_t *uids,
    size_t n, int silent);

/* Sync with the disk and send the pending updates (what imap_ok/imap_no
 * do before the tagged line); allow_expunge says whether EXPUNGE or
 * VANISHED may be sent now. */
void imap_mailbox_update(struct imap_session *s, int allow_expunge);

/* SEARCHRES: forget the saved result. */
void imap_saved_reset(struct imap_session *s);

/* --- other mailboxes (COPY, MOVE, APPEND) ---------------------------- */

/* Resolve a mailbox name argument (astring, modified UTF-7 or UTF-8 as
 * the session allows) to its on-disk folder name and directory.
 * 0 ok, -1 bad name (why set, static text). */
int imap_mailbox_resolve(struct imap_session *s, const struct imap_arg *arg,
    char *folder, size_t folderlen, char *dir, size_t dirlen,
    const char **why);
/* The index of the folder at dir: the selected mailbox's own index when
 * dir is the selected one (so one process never opens a folder twice),
 * else a freshly opened one.  NULL with errno ENOENT when the folder does
 * not exist (reply NO [TRYCREATE]).  Give it back with
 * imap_index_release. */
struct maildir_index *imap_index_get(struct imap_session *s, const char *dir);
void imap_index_release(struct imap_session *s, struct maildir_index *idx);

/* Quota of the Maildir root (RFC 9208): would adding bytes/msgs go over?
 * 1 yes (reply NO [OVERQUOTA]), 0 no.  imap_quota_add records a change. */
int imap_quota_over(struct imap_session *s, uint64_t bytes, uint64_t msgs);
void imap_quota_add(struct imap_session *s, int64_t bytes, int64_t msgs);

/* --- session core (imap_session.c, imap_mailbox.c, ...) -------------- */

/* The capability list (imap_caps.c), without "CAPABILITY" itself:
 * post-auth (only what is built and enabled) or pre-auth. */
#define IMAP_CAPS_PREAUTH      0x01
#define IMAP_CAPS_STARTTLS     0x02   /* pre-auth: STARTTLS offered */
#define IMAP_CAPS_LOGINDISABLED 0x04  /* pre-auth: no plaintext login */
void imap_caps_write(struct buf *out, unsigned mode);

/* imap_parse_flag for the index of another mailbox (APPEND). */
int imap_parse_flag_idx(struct maildir_index *idx, const char *p, size_t len,
    int create, unsigned *flags, uint32_t *keywords);

/* Subscriptions (imap_subscriptions.c): the file "subscriptions" in the
 * Maildir root, one on-disk folder name per line (Dovecot's format 1).
 * load: a NULL-terminated array (never NULL) freed with config_list_free
 * style imap_subscriptions_free. */
char **imap_subscriptions_load(struct imap_session *s, size_t *count);
void imap_subscriptions_free(char **list);
int imap_subscription_set(struct imap_session *s, const char *folder,
    int on);
/* RENAME: the subscriptions of from and of the names under it follow to
 * the new name (as Dovecot does); 0 or -1 (the file was not rewritten). */
int imap_subscriptions_rename(struct imap_session *s, const char *from,
    const char *to);

/* STATUS data "(MESSAGES n ...)" of a folder for the items in list
 * (imap_mailbox.c; also LIST-STATUS).  0, -1 with errno (ENOENT: no such
 * mailbox, EINVAL: bad item, *why set). */
int imap_status_items(struct imap_session *s, const char *dir,
    const struct imap_arg *list, struct buf *out, const char **why);
/* Only the check of the item list (LIST-STATUS checks before it lists):
 * 0, or -1 with errno EINVAL and *why set. */
int imap_status_items_check(struct imap_session *s,
    const struct imap_arg *list, const char **why);

/* A UID set of the client ("1:4,7", "*" = maxuid) into ranges, bounded
 * (imap_mailbox.c; used for UID EXPUNGE and QRESYNC known-uids).
 * 0 or -1.  Free *ranges. */
struct imap_uid_range {
	uint32_t lo, hi;
};
int imap_uidset_parse(const char *p, size_t len, uint32_t maxuid,
    struct imap_uid_range **ranges, size_t *n);
int imap_uidset_contains(const struct imap_uid_range *r, size_t n,
    uint32_t uid);

/* APPEND date-time (" 7-Feb-1994 21:52:25 -0800", without the quotes)
 * to seconds since the epoch (imap_append.c).  0 or -1. */
int imap_parse_datetime(const char *p, size_t len, time_t *out);

/* Serve commands until LOGOUT, EOF or a fatal error; returns the exit
 * status. */
int imap_session_run(struct imap_session *s);
/* Leave the selected state (CLOSE, UNSELECT, SELECT of another, LOGOUT). */
void imap_mailbox_close(struct imap_session *s);
/* Make sure the special-use folders exist on first login. */
void imap_special_use_init(struct imap_session *s);
/* The SPECIAL-USE attribute of an on-disk folder name, or NULL. */
const char *imap_special_use(const char *folder);

imap_handler imap_cmd_capability, imap_cmd_noop, imap_cmd_logout,
    imap_cmd_enable, imap_cmd_id, imap_cmd_select, imap_cmd_examine,
    imap_cmd_create, imap_cmd_delete, imap_cmd_rename, imap_cmd_subscribe,
    imap_cmd_unsubscribe, imap_cmd_list, imap_cmd_lsub, imap_cmd_namespace,
    imap_cmd_status, imap_cmd_append, imap_cmd_check, imap_cmd_close,
    imap_cmd_unselect, imap_cmd_expunge, imap_cmd_idle, imap_cmd_getquota,
    imap_cmd_getquotaroot, imap_cmd_setquota;

#endif
