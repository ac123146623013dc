/* procspawn.c: start a program without copying the caller (procspawn.h).
 * The child shares our memory until its exec: it writes nothing but its
 * own stack (a static one, so only one child is being set up at a time:
 * the caller is suspended meanwhile) and the error slot, and it calls
 * nothing that takes a lock or touches the heap. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procspawn.h"

struct job {
	const struct procspawn *ps;
	char *const *envp;
	sigset_t mask;           /* the caller's, restored in the child */
	volatile int err;        /* the child's errno when it gave up */
};

/* The child's stack (vfork mode): the caller is suspended until the
 * child execs or exits, so one is enough. */
static unsigned char child_stack[64 * 1024] __attribute__((aligned(16)));

/* Raw system calls: glibc's set*id wrappers would synchronise threads
 * through memory the child shares with us. */
static int
drop_ids(uid_t uid, gid_t gid)
{
	gid_t g = gid;
	uid_t ru, eu, su;
	struct rlimit rl = { 0, 0 };

	if (syscall(SYS_setgroups, 1, &g) != 0 ||
	    syscall(SYS_setresgid, gid, gid, gid) != 0 ||
	    syscall(SYS_setresuid, uid, uid, uid) != 0)
		return -1;
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return -1;
	if (syscall(SYS_getresuid, &ru, &eu, &su) != 0 ||
	    ru != uid || eu != uid || su != uid) {
		errno = EPERM;
		return -1;
	}
	if (uid != 0 && syscall(SYS_setresuid, (uid_t)-1, (uid_t)0, (uid_t)-1) == 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Close every descriptor >= ps->closefrom but the targets. */
__attribute__((no_sanitize_address)) static void
close_others(const struct procspawn *ps)
{
	int t[PROCSPAWN_MAXFDS], n = 0, i, j;
	unsigned lo = (unsigned)ps->closefrom;

	for (i = 0; i < ps->nfds; i++) {
		int v = ps->fd_to[i];

		for (j = n; j > 0 && t[j - 1] > v; j--)
			t[j] = t[j - 1];
		t[j] = v;
		n++;
	}
	for (i = 0; i < n; i++) {
		if (t[i] < 0 || (unsigned)t[i] < lo)
			continue;
		if ((unsigned)t[i] > lo)
			close_range(lo, (unsigned)t[i] - 1, 0);
		lo = (unsigned)t[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

__attribute__((no_sanitize_address)) static int
child_setup(struct job *j)
{
	const struct procspawn *ps = j->ps;
	struct sigaction sa;
	int tmp[PROCSPAWN_MAXFDS], i, top = 2;

	/* Handlers point into the caller's code and data: back to the
	 * default before any signal is let in.  SIGPIPE too, which our
	 * programs ignore and their children expect at its default. */
	for (i = 1; i < 32; i++) {
		if (i == SIGKILL || i == SIGSTOP)
			continue;
		if (sigaction(i, NULL, &sa) != 0)
			continue;
		if (sa.sa_handler == SIG_DFL || (sa.sa_handler == SIG_IGN && i != SIGPIPE))
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(i, &sa, NULL);
	}
	if (ps->pgid >= 0 && setpgid(0, ps->pgid) != 0)
		return -1;
	/* Sources first out of the way of every target, then onto them. */
	for (i = 0; i < ps->nfds; i++)
		if (ps->fd_to[i] > top)
			top = ps->fd_to[i];
	for (i = 0; i < ps->nfds; i++)
		if ((tmp[i] = fcntl(ps->fd_from[i], F_DUPFD_CLOEXEC, top + 1)) < 0)
			return -1;
	for (i = 0; i < ps->nfds; i++)
		if (dup2(tmp[i], ps->fd_to[i]) < 0)
			return -1;
	for (i = 0; i < ps->nfds; i++)
		close(tmp[i]);
	if (ps->closefrom > 0)
		close_others(ps);
	if (ps->drop && drop_ids(ps->uid, ps->gid) != 0)
		return -1;
	if (ps->delay_s) {
		struct timespec ts = { (time_t)ps->delay_s, 0 };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	sigprocmask(SIG_SETMASK, &j->mask, NULL);
	if (strchr(ps->path, '/'))
		execve(ps->path, ps->argv, j->envp);
	else
		execvpe(ps->path, ps->argv, j->envp);
	return -1;
}

__attribute__((no_sanitize_address)) static int
child_main(void *arg)
{
	struct job *j = arg;

	child_setup(j);
	j->err = errno ? errno : EINVAL;
	_exit(127);
}

pid_t
procspawn(const struct procspawn *ps)
{
	extern char **environ;
	struct job j;
	sigset_t all;
	pid_t pid;
	int st, saved;

	if (ps->nfds < 0 || ps->nfds > PROCSPAWN_MAXFDS) {
		errno = EINVAL;
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.ps = ps;
	j.envp = ps->envp ? ps->envp : environ;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &j.mask);
	if (ps->delay_s) {
		pid = fork();
		if (pid == 0) {
			child_setup(&j);
			_exit(111);
		}
	} else
		pid = clone(child_main, child_stack + sizeof(child_stack),
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &j);
	saved = errno;
	sigprocmask(SIG_SETMASK, &j.mask, NULL);
	if (pid < 0) {
		errno = saved;
		return -1;
	}
	if (j.err) {
		/* it gave up before or at exec and has exited */
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		errno = j.err;
		return -1;
	}
	return pid;
}
