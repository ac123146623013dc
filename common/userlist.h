/* userlist.h: the hash-free user list generated from the passwd-file
 * (DIR/etc/users, 0644), one user per line:
 *     name:uid:gid:home:quota_bytes:quota_messages
 * (0 = no limit; '#' comments and blank lines allowed).  smtpd (RCPT
 * checks), postern-lspawn and delivery read it through recipient
 * resolution, which reads it through this reader.  The file is untrusted
 * input: bounded, errors "file:line: reason".  Names compare as in the
 * passwd-file (domain part case-insensitive). */
#ifndef POSTERN_USERLIST_H
#define POSTERN_USERLIST_H

#include <stddef.h>
#include <sys/types.h>

#define USERLIST_MAX_FILE (64u * 1024 * 1024)
#define USERLIST_MAX_LINE 4096

struct passwd_file;
struct buf;

struct userlist_entry {
	char *name;
	uid_t uid;
	gid_t gid;
	char *home;
	unsigned long long quota_bytes;     /* 0 = no limit */
	unsigned long long quota_messages;  /* 0 = no limit */
	unsigned line;
};

struct userlist;

/* Load path; NULL with "path:line: reason" in err.  A missing file is an
 * error unless missing_ok (then: empty).  Caller frees with userlist_free. */
struct userlist *userlist_load(const char *path, int missing_ok,
    char *err, size_t errlen);
struct userlist *userlist_parse(const char *name, const char *p, size_t len,
    char *err, size_t errlen);
void userlist_free(struct userlist *ul);

size_t userlist_count(const struct userlist *ul);
const struct userlist_entry *userlist_at(const struct userlist *ul, size_t i);
/* Look up by name (full address or bare name); NULL when absent. */
const struct userlist_entry *userlist_lookup(const struct userlist *ul,
    const char *name, size_t len);

/* The list text for a passwd-file. */
void userlist_format(const struct passwd_file *pf, struct buf *out);
/* Write the list for pf to path atomically (tmp, fsync, rename, fsync of
 * the directory), mode 0644.  0, or -1 with "path: reason" in err. */
int userlist_write(const struct passwd_file *pf, const char *path,
    char *err, size_t errlen);

#endif
