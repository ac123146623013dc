/* privdrop.h: dropping root for good (DESIGN.md "Privilege boundaries").
 * Start-up code calls priv_drop() before its first read from the network:
 * look up the user, chroot, set groups, gid and uid, apply resource limits,
 * optionally set no-new-privileges, then prove root cannot be regained.
 * Every failure is fatal (exit 111): a program must never go on half
 * dropped.
 *
 * Run by an ordinary user, nothing changes uid and chroot is skipped; the
 * first call logs "event=unprivileged" once (DESIGN.md "Run by an ordinary
 * user").  Resource limits and no-new-privileges still apply.
 *
 * Call log_init() first: it opens the syslog socket (LOG_NDELAY), which
 * keeps working inside the chroot where /dev/log does not exist. */
#ifndef POSTERN_PRIVDROP_H
#define POSTERN_PRIVDROP_H

#include <sys/types.h>

/* Set PR_SET_NO_NEW_PRIVS.  Never on a process that must exec the setuid
 * postern-queue (DESIGN.md rule 3). */
#define PRIV_NO_NEW_PRIVS 0x01
/* Do not chroot even when a directory is given. */
#define PRIV_NOCHROOT     0x02
/* RLIMIT_NPROC 0 after the uid change: the process can no longer fork.
 * For pre-auth programs, which never fork.  (The limit counts processes
 * per uid, so it is set only to 0, which means "this process: no fork".) */
#define PRIV_NO_FORK      0x04
/* RLIMIT_NOFILE lowered to PRIV_FEW_FILES_MAX descriptors. */
#define PRIV_FEW_FILES    0x08

#define PRIV_FEW_FILES_MAX 64

/* Drop to the named user: getpwnam (before the chroot, with the group list
 * from getgrouplist), chdir + chroot + chdir "/" to chroot_dir unless it is
 * NULL or PRIV_NOCHROOT, setgroups, setgid, setuid, priv_limits(flags),
 * no-new-privs if asked, verification.  Refuses uid 0 as the target. */
void priv_drop(const char *user, const char *chroot_dir, int flags);

/* Same for a numeric uid/gid (delivery as the recipient's uid): the only
 * supplementary group is gid; no chroot, no new privileges not set. */
void priv_drop_ids(uid_t uid, gid_t gid);

/* Like priv_drop_ids with flags (PRIV_NO_NEW_PRIVS, PRIV_NO_FORK, ...). */
void priv_drop_ids_flags(uid_t uid, gid_t gid, int flags);

/* Resource limits: no core dumps (they could hold credentials or mail);
 * PRIV_NO_FORK and PRIV_FEW_FILES as above. */
void priv_limits(int flags);

/* privdrop_preauth.c: a pre-auth program's drop, from the config
 * (user_prefix + "auth", chroot to empty_dir, PRIV_NO_NEW_PRIVS |
 * PRIV_NO_FORK | PRIV_FEW_FILES); a config error logs and exits 111. */
struct config;
void priv_drop_preauth(const struct config *cfg);

/* Effective uid is 0. */
int priv_is_root(void);

/* Look up a user's uid and gid without dropping: 0 on success, -1 if the
 * user does not exist. */
int priv_lookup(const char *user, uid_t *uid, gid_t *gid);

#endif
