/* passwd.h: the passwd-file in Dovecot's format,
 *     name:{SCHEME}hash:uid:gid:gecos:home:shell:extra
 * (readable by root only).  Parsing (bounded; the file is untrusted input,
 * errors are "file:line: reason"), lookup by name, password verification
 * with crypt_rn and a constant-time comparison, hashing of new passwords
 * (yescrypt), and editing with an atomic write-back that keeps every other
 * line and comment as it was.
 *
 * Names: a full address (local@domain) or a bare name; the domain part
 * compares case-insensitively, the local part exactly.
 *
 * Fields: name and password are required, uid and gid are decimal numbers,
 * home is an absolute path (required: the mail lives under it); gecos and
 * shell are kept but unused.  Everything after the seventh colon is the
 * extra field (it may itself hold colons): space-separated key=value words,
 * of which these set the quota (others are kept and ignored):
 *     userdb_quota_rule=*:storage=N[BKMGT]   (also *:bytes=N)
 *     userdb_quota_rule2=*:messages=N
 *     quota_bytes=N  quota_messages=N        (postern's plain form)
 * A bare storage number is bytes; K/M/G/T are powers of 1024.
 *
 * Schemes: {SHA512-CRYPT} ($6$), {BLF-CRYPT} ($2b$/$2y$/$2a$), {CRYPT}
 * ($y$ yescrypt, $6$, $5$, $2b$/$2y$/$2a$); a hash with no {SCHEME} is
 * taken as {CRYPT}.  {PLAIN} verifies only with PASSWD_ALLOW_PLAIN (tests).
 * Anything else (DES, MD5-crypt, {SSHA}...) never verifies. */
#ifndef POSTERN_PASSWD_H
#define POSTERN_PASSWD_H

#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

#define PASSWD_MAX_FILE   (64u * 1024 * 1024)  /* bytes in a passwd-file */
#define PASSWD_MAX_LINE   4096                 /* bytes in one line */
#define PASSWD_MAX_NAME   255                  /* bytes in a user name */
#define PASSWD_MAX_PASSWORD 1024               /* longer never verifies */

struct passwd_entry {
	char *name;
	char *password;     /* "{SCHEME}hash" as in the file */
	uid_t uid;
	gid_t gid;
	char *gecos;
	char *home;
	char *shell;
	char *extra;        /* raw extra fields ("" when none) */
	unsigned long long quota_bytes;     /* 0 = no limit */
	unsigned long long quota_messages;  /* 0 = no limit */
	unsigned line;      /* 1-based line in the file (0 for a new entry) */
};

struct passwd_file;

/* Load path (at most PASSWD_MAX_FILE bytes).  NULL on error with
 * "path:line: reason" (or "path: reason") in err.  A missing file is an
 * error unless missing_ok (then: empty).  Caller frees with passwd_free. */
struct passwd_file *passwd_load(const char *path, int missing_ok,
    char *err, size_t errlen);
/* Parse from memory; name is used in messages. */
struct passwd_file *passwd_parse(const char *name, const char *p, size_t len,
    char *err, size_t errlen);
/* An empty file (to build one from scratch). */
struct passwd_file *passwd_new(void);
void passwd_free(struct passwd_file *pf);

/* Users in file order. */
size_t passwd_count(const struct passwd_file *pf);
const struct passwd_entry *passwd_at(const struct passwd_file *pf, size_t i);
/* Look up a user; NULL when absent. */
const struct passwd_entry *passwd_lookup(const struct passwd_file *pf,
    const char *name, size_t len);
/* True when two names are the same user (domain part case-insensitive). */
int passwd_name_eq(const char *a, size_t alen, const char *b, size_t blen);
/* True when name is acceptable for a new user: 1..PASSWD_MAX_NAME bytes of
 * printable ASCII or UTF-8, no ':', '/', white space or control bytes, not
 * starting with '.' or '-', at most one '@' with text on both sides. */
int passwd_name_valid(const char *name, size_t len);

/* Verification. */
#define PASSWD_ALLOW_PLAIN 0x1
enum passwd_result {
	PASSWD_OK = 0,        /* password matches */
	PASSWD_MISMATCH = 1,  /* wrong password (or empty/locked hash) */
	PASSWD_BADSCHEME = 2  /* scheme unknown or refused: never verifies */
};
/* Check password (pwlen bytes; a NUL inside never matches) against the
 * stored "{SCHEME}hash". */
enum passwd_result passwd_verify(const char *stored, const char *password,
    size_t pwlen, int flags);
/* Hash a new password: "{CRYPT}$y$..." appended to out.  0 on success, -1
 * on failure (entropy or crypt error, NUL in password, too long). */
int passwd_hash(const char *password, size_t pwlen, struct buf *out);

/* Editing.  passwd_set adds e (copied) or replaces the entry of the same
 * name in place; passwd_delete removes it (0, or -1 when absent).  Other
 * lines and comments are kept as they were.  passwd_set returns -1 (with a
 * reason in err) when a field holds ':' or a newline, the name is invalid
 * or home is not absolute. */
int passwd_set(struct passwd_file *pf, const struct passwd_entry *e,
    char *err, size_t errlen);
int passwd_delete(struct passwd_file *pf, const char *name, size_t len);
/* The lowest uid in [min, max] that no user has; -1 when all are taken. */
int passwd_free_uid(const struct passwd_file *pf, uid_t min, uid_t max,
    uid_t *uid);
/* Same, also skipping every uid for which taken() returns nonzero (postern
 * user add: uids of system accounts). */
int passwd_free_uid_unless(const struct passwd_file *pf, uid_t min, uid_t max,
    int (*taken)(uid_t), uid_t *uid);
/* The file text as it would be written. */
void passwd_format(const struct passwd_file *pf, struct buf *out);
/* Write atomically: path.tmp.PID, fsync, rename, fsync of the directory;
 * mode 0600.  0, or -1 with "path: reason" in err. */
int passwd_save(const struct passwd_file *pf, const char *path,
    char *err, size_t errlen);

/* Shared with userlist.c. */
/* Decimal digits only (1..20 of them), value <= max: 0, or -1. */
int passwd_parse_decimal(const char *p, size_t len, unsigned long long max,
    unsigned long long *out);
/* The canonical form of a name (domain part lowercased), appended to out. */
void passwd_name_key(const char *name, size_t len, struct buf *out);
/* A sorted index of names for lookup. */
struct passwd_index {
	char **keys;      /* canonical keys, sorted */
	size_t *pos;      /* pos[i]: index of keys[i] in the caller's array */
	size_t n;
};
/* Build from n names; returns 0, or -1 when two names are the same user
 * (then *dup is the larger of the two positions).  Free with
 * passwd_index_free (also after an error). */
int passwd_index_build(struct passwd_index *ix, char *const *names, size_t n,
    size_t *dup);
/* Position of name in the caller's array, or (size_t)-1. */
size_t passwd_index_find(const struct passwd_index *ix, const char *name,
    size_t len);
void passwd_index_free(struct passwd_index *ix);
/* Write len bytes to path atomically (path.tmp.PID created exclusively,
 * fsync, rename, fsync of the directory) with the given mode.  0, or -1
 * with "path: reason" in err. */
int passwd_write_atomic(const char *path, const void *p, size_t len,
    mode_t mode, char *err, size_t errlen);

#endif
