/* svcusers.h: the service users and groups of an instance, one per role
 * (DESIGN.md "Users, files and configuration"): <prefix>q, <prefix>smtpd,
 * <prefix>auth, <prefix>tls, <prefix>r, <prefix>lmtp.  Names come from the
 * prefix (config key user_prefix); svcusers_create makes the missing ones
 * as root with groupadd/useradd --system (no login shell, no home), so it
 * can run again without harm. */
#ifndef POSTERN_SVCUSERS_H
#define POSTERN_SVCUSERS_H

#include <stddef.h>
#include <sys/types.h>

enum svcuser_role {
	SVCUSER_QUEUE,   /* postern-queue, postern-send */
	SVCUSER_SMTPD,   /* postern-smtpd */
	SVCUSER_AUTH,    /* pre-auth programs */
	SVCUSER_TLS,     /* postern-tls */
	SVCUSER_REMOTE,  /* postern-rspawn, postern-remote */
	SVCUSER_LMTP,    /* postern-lmtpd */
	SVCUSER_COUNT
};

#define SVCUSER_NAME_MAX 32   /* useradd's limit */

/* The role's suffix ("q", "smtpd", ...). */
const char *svcusers_suffix(enum svcuser_role role);
/* True when prefix makes valid user names for every role: it starts with a
 * lower-case letter or '_', holds only [a-z0-9_-], and prefix+suffix fits
 * SVCUSER_NAME_MAX. */
int svcusers_prefix_valid(const char *prefix);
/* Write the role's user name into out.  0, or -1 when it does not fit or
 * the prefix is invalid. */
int svcusers_name(const char *prefix, enum svcuser_role role, char *out,
    size_t outlen);
/* Look up the role's user: 0 with uid/gid set, -1 when it does not exist
 * (or the prefix is invalid). */
int svcusers_lookup(const char *prefix, enum svcuser_role role, uid_t *uid,
    gid_t *gid);
/* As root: create every missing group and user for prefix (system
 * accounts, shell /usr/sbin/nologin, home /nonexistent, not created).
 * 0, or -1 with a reason in err. */
int svcusers_create(const char *prefix, char *err, size_t errlen);

#endif
