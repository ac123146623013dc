/* nss_files.h: files-only passwd/group lookups that replace glibc's NSS
 * functions in -static-pie programs (ld --wrap; see nss_files.c).  Each
 * takes the file to read, for tests. */
#ifndef POSTERN_NSS_FILES_H
#define POSTERN_NSS_FILES_H

#include <grp.h>
#include <pwd.h>
#include <sys/types.h>

#define NSSF_PASSWD "/etc/passwd"
#define NSSF_GROUP  "/etc/group"

/* The entry named name in path, in storage the next call of the same
 * function reuses; NULL when there is none (errno unchanged) or on a read
 * error (errno set). */
struct passwd *nssf_getpwnam(const char *path, const char *name);
struct group *nssf_getgrnam(const char *path, const char *name);

/* getgrouplist(3) over the group file path. */
int nssf_getgrouplist(const char *path, const char *user, gid_t group,
    gid_t *groups, int *ngroups);

#endif
