/* recipient.h: local recipient resolution, shared by postern-smtpd (RCPT
 * checks), postern-lspawn, postern-deliver and postern-lmtpd.  The only
 * code that reads the local domains table, the hash-free user list (through
 * common/userlist.h) and the aliases table.
 *
 * Rules:
 * - A domain is local when the domains table lists it (exact match, ASCII
 *   case-insensitive; address literals only when listed as "[1.2.3.4]").
 * - Lookups ignore ASCII case in the local part as well as in the domain
 *   (RFC 5321 2.4 lets the receiving host decide; two users differing only
 *   in case cannot both be reached, an exact match wins).  Non-ASCII bytes
 *   compare exactly.
 * - For local@domain, in order: alias "local@domain", alias "local", user
 *   "local@domain", user "local"; then the same with the extension removed
 *   (local = base + delimiter + extension, split at the first delimiter
 *   character not at the start; recipient_delimiter is a set of characters,
 *   empty disables extensions).  Users found that way carry the extension.
 * - Aliases ("name: target, target") expand to local users or remote
 *   addresses; a bare target means that name in the alias's domain.  A
 *   target naming the alias itself means the user of that name (so "joe:
 *   joe, joe@elsewhere" keeps a copy).  Depth is bounded (alias_max_depth),
 *   loops are errors, the total number of targets is bounded
 *   (alias_max_targets), duplicates are dropped.  Pipe and file targets are
 *   refused when the table is loaded: they belong in the user's rule file.
 * - "postmaster" (bare, or at any local domain) always resolves: aliases
 *   and users first, then the address in the postmaster key, else the first
 *   user of the user list. */
#ifndef POSTERN_RECIPIENT_H
#define POSTERN_RECIPIENT_H

#include <stddef.h>
#include <sys/types.h>

struct config;
struct recipient_tables;

struct recipient_settings {
	const char *delimiter;     /* default "+" */
	const char *postmaster;    /* address, or NULL/"" for the first user */
	unsigned alias_max_depth;  /* 0 = default 10; at most 100 */
	unsigned alias_max_targets;/* 0 = default 1000 */
};

enum recipient_status {
	RECIPIENT_FOUND = 0,       /* out holds >= 1 target */
	RECIPIENT_NOT_LOCAL,       /* remote domain: relay rules apply */
	RECIPIENT_UNKNOWN,         /* 550 5.1.1 */
	RECIPIENT_LOOP,            /* alias loop or too deep: 550 5.4.6 */
	RECIPIENT_TOO_MANY,        /* expansion over alias_max_targets: 550 5.3.4 */
	RECIPIENT_BAD_ADDRESS      /* not an address: 501 5.1.3 */
};

enum recipient_kind { RECIPIENT_LOCAL_USER, RECIPIENT_FORWARD };

struct recipient_target {
	enum recipient_kind kind;
	/* RECIPIENT_LOCAL_USER */
	char *user;                /* name as in the user list */
	uid_t uid;
	gid_t gid;
	char *home;
	unsigned long long quota_bytes, quota_messages;  /* 0 = no limit */
	char *extension;           /* after the delimiter, or NULL */
	/* RECIPIENT_FORWARD: canonical remote address */
	char *address;
};

struct recipient_list {
	struct recipient_target *t;
	size_t n, cap;
};

/* From the config: domains_file, users_file, aliases_file (an unset key is
 * an empty table; a missing aliases file is empty, missing domains or users
 * files are errors) and the recipients section.  NULL with "file:line:
 * reason" in err. */
struct recipient_tables *recipient_tables_load(const struct config *c,
    char *err, size_t errlen);
/* From memory (tests, fuzzing); settings NULL = defaults. */
struct recipient_tables *recipient_tables_parse(const char *domains, size_t dlen,
    const char *users, size_t ulen, const char *aliases, size_t alen,
    const struct recipient_settings *settings, char *err, size_t errlen);
void recipient_tables_free(struct recipient_tables *t);

/* A loaded set of tables kept across requests (postern-lspawn,
 * postern-send): recipient_tables_cached stats domains_file, users_file
 * and aliases_file (device, inode, size, mtime and ctime to the
 * nanosecond) and reloads only when one of them changed (a file replaced
 * by rename gets a new inode; one rewritten in place a new ctime).  The
 * files are stat'ed before they are read, so a change during a load is
 * seen at the next call.  Returns the current tables (owned by the cache;
 * valid until the next call), or NULL with err when a reload failed (the
 * old tables are then dropped: a broken table is not served from memory,
 * and the next call tries again). */
struct recipient_file_sig {
	int present;
	dev_t dev;
	ino_t ino;
	off_t size;
	long long mtime_ns, ctime_ns;
};

/* The signature of a file (device, inode, size, times; all zero when it
 * cannot be stat'ed): a change shows as a different signature. */
void recipient_file_sig(const char *path, struct recipient_file_sig *g);

struct recipient_cache {
	struct recipient_tables *t;
	struct recipient_file_sig sig[3];
	unsigned long loads;       /* how many times the files were read */
};

struct recipient_tables *recipient_tables_cached(struct recipient_cache *rc,
    const struct config *c, char *err, size_t errlen);
void recipient_cache_free(struct recipient_cache *rc);

/* Is domain (len bytes, any case) local? */
int recipient_domain_is_local(const struct recipient_tables *t,
    const char *domain, size_t len);

/* recipient_resolve: addr is a mailbox ("user+ext@domain", as canonical
 * from smtpaddr or as stored in the envelope) or "postmaster".  Fills out
 * (caller initialises it to zeros and frees with recipient_list_free) and
 * returns a status; *reason is a short static text for the reply/log. */
enum recipient_status recipient_resolve(const struct recipient_tables *t,
    const char *addr, size_t len, struct recipient_list *out,
    const char **reason);
void recipient_list_free(struct recipient_list *l);

#endif
