/* privdrop.c: chroot, set groups/gid/uid, limits, no-new-privs and the
 * check that root is gone for good (see privdrop.h). */
#include "privdrop.h"
#include "buf.h"
#include "fatal.h"
#include "log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define PRIV_GROUPS_MAX 4096

int
priv_is_root(void)
{
	return geteuid() == 0;
}

static void
note_unprivileged(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	log_info("unprivileged", "uid=%lu note=\"not started as root: the uid split and chroot are off\"",
	    (unsigned long)getuid());
}

int
priv_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

void
priv_limits(int flags)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		fatal_err(111, "setrlimit RLIMIT_CORE");
	if (flags & PRIV_NO_FORK) {
		rl.rlim_cur = rl.rlim_max = 0;
		if (setrlimit(RLIMIT_NPROC, &rl) != 0)
			fatal_err(111, "setrlimit RLIMIT_NPROC");
	}
	if (flags & PRIV_FEW_FILES) {
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			fatal_err(111, "getrlimit RLIMIT_NOFILE");
		if (rl.rlim_max > PRIV_FEW_FILES_MAX)
			rl.rlim_max = PRIV_FEW_FILES_MAX;
		if (rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			fatal_err(111, "setrlimit RLIMIT_NOFILE");
	}
}

static void
set_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		fatal_err(111, "prctl PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatal_errx(111, "no-new-privileges did not stick");
}

/* Abort unless every id is the target and root cannot be regained. */
static void
verify_dropped(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid || su != uid)
		fatal_errx(111, "privilege drop: uid is not %lu everywhere", (unsigned long)uid);
	if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid)
		fatal_errx(111, "privilege drop: gid is not %lu everywhere", (unsigned long)gid);
	if (setuid(0) == 0 || seteuid(0) == 0)
		fatal_errx(111, "privilege drop: root can be regained");
	if (gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
		fatal_errx(111, "privilege drop: group root can be regained");
}

static void
set_ids(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	if (uid == 0)
		fatal_errx(111, "privilege drop: refusing to run as uid 0");
	if (setgroups(ngroups, groups) != 0)
		fatal_err(111, "setgroups");
	if (setresgid(gid, gid, gid) != 0)
		fatal_err(111, "setgid %lu", (unsigned long)gid);
	if (setresuid(uid, uid, uid) != 0)
		fatal_err(111, "setuid %lu", (unsigned long)uid);
}

/* chdir to the directory, chroot there, chdir "/".  The directory must be
 * root's and not writable by group or others: a writable root would let
 * the unprivileged process plant files its own future self trusts. */
static void
enter_chroot(const char *dir)
{
	struct stat st;

	if (chdir(dir) != 0)
		fatal_err(111, "chdir %s", dir);
	if (stat(".", &st) != 0)
		fatal_err(111, "stat %s", dir);
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		fatal_errx(111, "chroot %s: not owned by root or writable by others", dir);
	if (chroot(".") != 0)
		fatal_err(111, "chroot %s", dir);
	if (chdir("/") != 0)
		fatal_err(111, "chdir / in %s", dir);
}

void
priv_drop(const char *user, const char *chroot_dir, int flags)
{
	struct passwd *pw;
	gid_t *groups;
	uid_t uid;
	gid_t gid;
	int ngroups = 32;

	if (!priv_is_root()) {
		note_unprivileged();
		priv_limits(flags);
		if (flags & PRIV_NO_NEW_PRIVS)
			set_no_new_privs();
		return;
	}
	/* All name lookups before the chroot: no /etc inside it. */
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL)
		fatal_errx(111, "privilege drop: no user %s", user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	groups = xreallocarray(NULL, (size_t)ngroups, sizeof(*groups));
	while (getgrouplist(user, gid, groups, &ngroups) < 0) {
		if (ngroups <= 0 || ngroups > PRIV_GROUPS_MAX)
			fatal_errx(111, "privilege drop: too many groups for %s", user);
		groups = xreallocarray(groups, (size_t)ngroups, sizeof(*groups));
	}
	endpwent();
	endgrent();

	if (chroot_dir != NULL && !(flags & PRIV_NOCHROOT))
		enter_chroot(chroot_dir);
	set_ids(uid, gid, groups, (size_t)ngroups);
	free(groups);
	/* After setuid: RLIMIT_NPROC counts the target uid's processes. */
	priv_limits(flags);
	if (flags & PRIV_NO_NEW_PRIVS)
		set_no_new_privs();
	verify_dropped(uid, gid);
}

void
priv_drop_ids_flags(uid_t uid, gid_t gid, int flags)
{
	if (!priv_is_root()) {
		note_unprivileged();
		priv_limits(flags);
		if (flags & PRIV_NO_NEW_PRIVS)
			set_no_new_privs();
		return;
	}
	set_ids(uid, gid, &gid, 1);
	priv_limits(flags);
	if (flags & PRIV_NO_NEW_PRIVS)
		set_no_new_privs();
	verify_dropped(uid, gid);
}

void
priv_drop_ids(uid_t uid, gid_t gid)
{
	priv_drop_ids_flags(uid, gid, 0);
}
