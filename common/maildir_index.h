/* maildir_index.h: per-folder UID state for a Maildir (IMAP and POP3).
 *
 * Beside each folder's tmp/new/cur live these files:
 *   postern-index       UIDVALIDITY, next UID, HIGHESTMODSEQ, the keyword
 *                       names, and per message: UID, MODSEQ, flags,
 *                       keywords, current file name; the expunged UIDs with
 *                       the MODSEQ of their expunge (QRESYNC VANISHED).
 *   postern-cache       per-message blobs (parse results); only a cache.
 *   postern-index.log   flag changes since postern-index was written.
 *   postern-index.lock  the lock file (fcntl byte-range locks).
 *
 * Crash safety: atomic replace plus a checksummed append log.
 * postern-index is replaced whole: under the exclusive lock the writer
 * writes postern-index.tmp, fsyncs it, renames it over postern-index and
 * fsyncs the directory.  A reader sees the old or the new file, never a
 * mix; a writer killed at any moment leaves the old file (and a stale .tmp
 * that the next writer truncates).  The file ends in a 64-bit checksum, so
 * a torn or damaged file is detected; then the UID map is rebuilt with a
 * higher UIDVALIDITY (clients resync; no mail is lost).  Replacing has one
 * code path and no replay logic, and is right for rare structural changes
 * (new UIDs, expunges, keywords, \Recent), batched once per transaction.
 * But a STORE on one message of a 100,000-message folder would rewrite
 * ~6 MB, so flag changes (maildir_index_set_flags/store) go to
 * postern-index.log instead: one record per message (UID, MODSEQ, new
 * file name) with its own checksum, fdatasync'ed, in a log whose header
 * names the generation of postern-index it extends.  Readers apply the
 * records past the offset they have seen; a torn last record (writer
 * killed mid-append) fails its checksum and is cut off by the next
 * writer.  A structural change, or a log above MAILDIR_INDEX_LOG_MAX,
 * rewrites postern-index with a new generation, which voids the old log.
 * The cache lives in its own file so that no change rewrites it.
 *
 * Locking: fcntl() write locks on postern-index.lock (works over NFS via
 * lockd; no shared-mmap writes anywhere).  Every change happens under the
 * lock: take it, re-read the index if its generation changed, change,
 * write, release.  fcntl locks belong to the process: do not open the same
 * folder twice in one process while a transaction is running on it.
 *
 * Sync: the file names in new/ and cur/ are the truth for which messages
 * exist and their flags (others - Dovecot, mutt, a second postern process -
 * may rename or delete files).  maildir_index_sync() reads both directories
 * (one readdir each, no stat of message files; skipped entirely when both
 * directory mtimes are unchanged since a scan made more than 2 seconds
 * after them; when only new/ changed - a delivery - new/ alone is read,
 * as every message in cur/ is still there under its name, and both when
 * cur/'s mtime moved while new/ was read), matches files to UIDs by base
 * name, gives new files UIDs in name order, records vanished ones as
 * expunged, and bumps a message's MODSEQ when its flags changed on disk.
 *
 * Change tracking: every change (new message, flag change, expunge) gets a
 * fresh MODSEQ = ++highest_modseq.  A session that remembers the highest
 * MODSEQ it has seen finds what changed since: messages with modseq > it
 * (FETCH FLAGS / new mail) and expunged entries with modseq > it (EXPUNGE
 * or VANISHED).  Expunge records older than the last 50000 are dropped;
 * expunge_floor says up to which MODSEQ they are incomplete.
 *
 * On first open (no postern-index), the UIDs of dovecot-uidlist /
 * courierimapuiddb and the names of dovecot-keywords are taken over
 * (maildir_import.h).
 *
 * Format: version 2 (magic "PSTNIDX\002") ends in a checksum computed
 * 8 bytes at a time in four lanes; version 1 ("PSTNIDX\001", FNV-1a byte
 * by byte, ~6 ms for 5 MB) is still read, and the next write of the
 * index turns it into version 2.  The layout is the same.
 *
 * Cost: opening reads postern-index (~50 bytes per message) with no
 * allocation per message: the names go into one block.  100,000
 * messages open in ~10-15 ms of CPU, and then sync; a sync of a folder whose
 * directories did not change in the last 2 seconds is two stat()s.  A
 * transaction with flag changes only appends to the log; one with
 * structural changes rewrites the whole index once (with fsync), so batch
 * a command's changes in one begin/end.
 *
 * How the servers use it:
 *   IMAP SELECT:  idx = maildir_index_open_claim(dir, &first_recent, ...)
 *                 (EXAMINE: maildir_index_open); the session keeps its own copy of the
 *                 UID list (its sequence numbers) and the HIGHESTMODSEQ it
 *                 has reported.
 *   NOOP/IDLE:    maildir_index_sync(idx, 1, &r); new messages are those
 *                 with UIDs above the session's last one; FETCH FLAGS for
 *                 messages with modseq > the session's; EXPUNGE/VANISHED
 *                 for expunged[] entries with modseq > the session's (and
 *                 for its UIDs no longer in msgs[] when that modseq is below
 *                 expunge_floor).
 *   STORE:        maildir_index_begin(); maildir_index_store() per message
 *                 (+FLAGS/-FLAGS/FLAGS, UNCHANGEDSINCE); maildir_index_end().
 *   EXPUNGE:      begin; maildir_index_expunge() per \Deleted UID; end.
 *   APPEND/COPY:  maildir_deliver() into the folder (to_cur with flags),
 *                 then maildir_index_add() for the APPENDUID/COPYUID UID.
 *   POP3:         maildir_index_open_claim(dir, NULL, ...): a POP3
 *                 session has seen every message, so none stays \Recent
 *                 for IMAP; msgs[] in UID order; sizes from
 *                 maildir_message_sizes(); UIDL from pop3_uidl_make(uid,
 *                 uidvalidity, m->pop3_uidl); at QUIT, in one transaction:
 *                 expunge the DELEted, set_flags(same flags) moves the
 *                 messages read from new/ to cur/.
 *   delivery:     maildir_deliver() alone is enough (the next sync numbers
 *                 the message); LMTP/Sieve callers that want the UID call
 *                 maildir_index_add(). */
#ifndef POSTERN_MAILDIR_INDEX_H
#define POSTERN_MAILDIR_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "maildir.h"

#define MAILDIR_INDEX_FILE "postern-index"
#define MAILDIR_INDEX_LOCK "postern-index.lock"
#define MAILDIR_CACHE_FILE "postern-cache"
#define MAILDIR_CACHE_BLOB_MAX 65536       /* one message's cache blob */
#define MAILDIR_EXPUNGED_KEEP 50000
#define MAILDIR_INDEX_MAX_MESSAGES 5000000 /* bound on what we read */
#define MAILDIR_KEYWORD_NAME_MAX 100
#define MAILDIR_INDEX_LOG "postern-index.log"
#define MAILDIR_INDEX_LOG_MAX (1u << 20)

struct maildir_msg {     /* (fields ordered for size: 48 bytes) */
	uint32_t uid;
	uint32_t flags;          /* MAILDIR_FLAG_* */
	uint32_t keywords;       /* bit k: keyword k (letter 'a'+k) */
	uint16_t name_len;
	uint16_t base_len;
	uint64_t modseq;
	char *name;              /* current file name, no directory */
	char *pop3_uidl;         /* imported POP3 UIDL (Dovecot 'P'), or NULL */
	uint8_t in_new;          /* in new/ (1) or cur/ (0) */
	/* private */
	uint8_t seen_mark;
	uint8_t heap;            /* 1: name, 2: pop3_uidl malloc'ed (else
	                            both point into the index's names block) */
};

struct maildir_expunged {
	uint32_t uid;
	uint64_t modseq;
};

struct maildir_index {
	char *dir;                          /* the folder's directory */
	uint32_t uidvalidity;
	uint32_t next_uid;                  /* UIDNEXT */
	uint64_t highest_modseq;
	uint32_t recent_uid;                /* first UID no session has
	                                       claimed as \Recent */
	char *keywords[MAILDIR_KEYWORDS_MAX]; /* names; NULL = unused slot */
	struct maildir_msg *msgs;           /* sorted by UID */
	size_t count;
	struct maildir_expunged *expunged;  /* sorted by modseq */
	size_t nexpunged;
	uint64_t expunge_floor;
	/* private */
	size_t cap, expcap;
	int lock_fd;
	int newfd, curfd;                   /* new/ and cur/ while locked, or -1 */
	int locked;                         /* transaction depth */
	int dirty, cache_dirty;
	uint64_t generation;
	struct timespec new_mtime, cur_mtime;
	int64_t scan_time;
	void *cache;                        /* uid -> blob */
	int cache_loaded;
	uint64_t log_offset;                /* applied/valid end of the log;
	                                       0: no log for this generation */
	uint32_t *log_uids;                 /* flag changes not yet written */
	size_t nlog, logcap;
	char *names;                        /* the names (NUL-terminated)
	                                       read from postern-index, in
	                                       one block */
	unsigned format;                    /* version read; serialize
	                                       writes it, writes by end use
	                                       the current one */
};

/* Open the folder at dir (a Maildir: root or ".Name" directory), creating
 * or importing the index, and sync it.  NULL on error with a reason in
 * err (and errno set).  Free with maildir_index_free. */
struct maildir_index *maildir_index_open(const char *dir, char *err,
    size_t errlen);
/* The same, and in the same sync (one lock, at most one write) claim the
 * \Recent messages as maildir_index_sync(idx, 1, first_recent) does:
 * for IMAP SELECT and POP3 login.  first_recent may be NULL. */
struct maildir_index *maildir_index_open_claim(const char *dir,
    uint32_t *first_recent, char *err, size_t errlen);
void maildir_index_free(struct maildir_index *idx);

/* Transactions: begin takes the exclusive lock (waiting at most 30 s:
 * -1/ETIMEDOUT) and re-reads the index when another process changed it;
 * end writes it if anything changed and releases the lock.  Nested begin
 * calls are counted.  Every modifying call below begins and ends its own
 * transaction when none is open.  end returns -1 when the write failed
 * (the changes then are not durable; the in-memory state is re-read at the
 * next begin). */
int maildir_index_begin(struct maildir_index *idx);
int maildir_index_end(struct maildir_index *idx);

/* Sync with the directories (see top).  When claim_recent is set, the
 * messages with UID >= recent_uid become \Recent for the caller: their
 * first UID goes to *first_recent (== next_uid when none) and recent_uid
 * moves to next_uid.  first_recent may be NULL.  0 or -1. */
int maildir_index_sync(struct maildir_index *idx, int claim_recent,
    uint32_t *first_recent);

/* Find a message by UID (binary search); NULL if absent. */
struct maildir_msg *maildir_index_find(const struct maildir_index *idx,
    uint32_t uid);
/* Position (0-based sequence number - 1) of the first message with
 * UID >= uid; count when none. */
size_t maildir_index_seq_of(const struct maildir_index *idx, uint32_t uid);

/* Path of a message into out; 0 or -1. */
int maildir_index_path(const struct maildir_index *idx,
    const struct maildir_msg *m, char *out, size_t outlen);
/* Open a message for reading.  If it was renamed by another process the
 * index follows (without a full sync).  -1/ENOENT when it is gone. */
int maildir_index_open_msg(struct maildir_index *idx, uint32_t uid);

/* Set the flags and keywords of a message (renaming its file; a message
 * in new/ moves to cur/).  To change flags relative to the current ones
 * use maildir_index_store(), or compute them from maildir_index_find()
 * inside maildir_index_begin()/end(): outside a transaction the in-memory
 * flags may be stale.  unchangedsince: 0 for none, else the CONDSTORE
 * UNCHANGEDSINCE value.  Returns 0 done (MODSEQ bumped if anything
 * changed), 1 the message is gone (expunged), 2 its MODSEQ is above
 * unchangedsince (nothing done), -1 error. */
int maildir_index_set_flags(struct maildir_index *idx, uint32_t uid,
    unsigned flags, uint32_t keywords, uint64_t unchangedsince);

/* IMAP STORE: FLAGS (replace), +FLAGS (add), -FLAGS (remove), computed
 * from the message's current flags under the lock, so that concurrent
 * changes by others are not lost.  Returns as maildir_index_set_flags. */
enum maildir_store_mode {
	MAILDIR_STORE_REPLACE,
	MAILDIR_STORE_ADD,
	MAILDIR_STORE_REMOVE
};
int maildir_index_store(struct maildir_index *idx, uint32_t uid,
    enum maildir_store_mode mode, unsigned flags, uint32_t keywords,
    uint64_t unchangedsince);

/* Expunge a message: unlink its file, drop it from the map, record the
 * expunge.  0 done or already gone, -1 error. */
int maildir_index_expunge(struct maildir_index *idx, uint32_t uid);

/* Register a file just delivered into this folder (APPEND, COPY, local
 * delivery that wants the UID): gives it the next UID now.  name is the
 * file name in new/ (in_new) or cur/.  The UID goes to *uid.  0 or -1
 * (ENOENT: the file is gone - another session found and expunged it). */
int maildir_index_add(struct maildir_index *idx, const char *name,
    int in_new, uint32_t *uid);

/* Keyword number of name (case-insensitive match, RFC 3501 atoms), or -1
 * when absent; with create, a free slot is taken (-1 when all 26 are
 * used or the name is invalid). */
int maildir_index_keyword(struct maildir_index *idx, const char *name,
    size_t len, int create);

/* Cache blobs: get returns a pointer valid until the next index call, or
 * NULL; set stores a copy (at most MAILDIR_CACHE_BLOB_MAX bytes), written
 * with the next transaction end.  Outside a transaction each set rewrites
 * postern-cache: set many blobs between begin and end.  When two processes
 * cache at once, the last writer's blobs win (it is only a cache). */
const void *maildir_index_cache_get(struct maildir_index *idx, uint32_t uid,
    size_t *len);
int maildir_index_cache_set(struct maildir_index *idx, uint32_t uid,
    const void *blob, size_t len);

/* Parse a serialized index (tests, fuzzing): fills idx's UID state from
 * p/len; 0 when the file is valid, -1 otherwise (idx then is empty). */
int maildir_index_parse(struct maildir_index *idx, const char *p, size_t len);
/* Apply flag-change log records (the part of postern-index.log after its
 * 16-byte header) to idx; returns the length of the valid prefix. */
size_t maildir_index_apply_log(struct maildir_index *idx, const char *p,
    size_t len);
/* Serialize idx into out (what is written to postern-index). */
void maildir_index_serialize(const struct maildir_index *idx, struct buf *out);
/* An empty index object not tied to a directory (tests, fuzzing). */
struct maildir_index *maildir_index_new_empty(void);

#endif
