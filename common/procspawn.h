/* procspawn.h: start a program without copying the caller.  The child is
 * a clone with CLONE_VM|CLONE_VFORK (as glibc's posix_spawn makes), so no
 * page table is copied and the caller takes no copy-on-write faults
 * afterwards: on this project's hot paths (a session per connection, a
 * postern-queue per message, a postern-deliver per delivery) a fork of
 * the caller cost more than the exec.  Unlike posix_spawn it can change
 * the child's uid and gid (delivery as the recipient), and it resets only
 * the signals that need it.
 *
 * Everything the child needs is prepared by the caller (argv, envp:
 * envlist.h); the child only makes system calls. */
#ifndef POSTERN_PROCSPAWN_H
#define POSTERN_PROCSPAWN_H

#include <sys/types.h>

#define PROCSPAWN_MAXFDS 8

struct procspawn {
	const char *path;        /* no '/': searched in the PATH of envp */
	char *const *argv;
	char *const *envp;       /* NULL: the caller's environment */
	/* dup2(fd_from[i], fd_to[i]) for each i, as if all at once (a
	 * source may be another's target); fd_from[i] == fd_to[i] keeps
	 * that descriptor open across exec.  Every other descriptor of the
	 * caller must be close-on-exec. */
	int fd_from[PROCSPAWN_MAXFDS], fd_to[PROCSPAWN_MAXFDS];
	int nfds;
	int closefrom;           /* > 0: close every descriptor from this
	                          * number up that is not a target */
	pid_t pgid;              /* -1: the caller's group; 0: a new group of
	                          * its own; > 0: join that group */
	int drop;                /* change to uid/gid (the only group: gid),
	                          * no core dumps, and prove root is gone */
	uid_t uid;
	gid_t gid;
	unsigned delay_s;        /* sleep this long before the exec: the
	                          * child is then a fork (the caller must not
	                          * wait), and an exec error is exit 111 */
};

/* The child's pid, or -1 with errno (fork failed, or the child could not
 * set itself up or exec: then it has exited and been reaped). */
pid_t procspawn(const struct procspawn *ps);

#endif
