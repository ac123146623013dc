/* svcusers.c: names, lookup and idempotent creation of the service users
 * (see svcusers.h).  Creation runs groupadd and useradd directly (no shell)
 * so that a prefix can never be interpreted as anything but a name. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcusers.h"

static const char *const suffixes[SVCUSER_COUNT] = {
	"q", "smtpd", "auth", "tls", "r", "lmtp"
};

const char *
svcusers_suffix(enum svcuser_role role)
{
	if ((int)role < 0 || role >= SVCUSER_COUNT)
		return NULL;
	return suffixes[role];
}

int
svcusers_prefix_valid(const char *prefix)
{
	size_t i, n, longest = 0;

	if (prefix == NULL)
		return 0;
	n = strlen(prefix);
	if (n == 0)
		return 0;
	if (!(prefix[0] == '_' || (prefix[0] >= 'a' && prefix[0] <= 'z')))
		return 0;
	for (i = 0; i < n; i++) {
		char c = prefix[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return 0;
	}
	for (i = 0; i < SVCUSER_COUNT; i++)
		if (strlen(suffixes[i]) > longest)
			longest = strlen(suffixes[i]);
	return n + longest <= SVCUSER_NAME_MAX;
}

int
svcusers_name(const char *prefix, enum svcuser_role role, char *out,
    size_t outlen)
{
	const char *s = svcusers_suffix(role);
	int k;

	if (s == NULL || !svcusers_prefix_valid(prefix))
		return -1;
	k = snprintf(out, outlen, "%s%s", prefix, s);
	if (k < 0 || (size_t)k >= outlen)
		return -1;
	return 0;
}

int
svcusers_lookup(const char *prefix, enum svcuser_role role, uid_t *uid,
    gid_t *gid)
{
	char name[SVCUSER_NAME_MAX + 1];
	struct passwd *pw;

	if (svcusers_name(prefix, role, name, sizeof(name)) < 0)
		return -1;
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* Run argv (absolute path first), stdout/stderr to /dev/null; its exit
 * status, or -1. */
static int
run_tool(char *const argv[])
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		FILE *f = freopen("/dev/null", "w", stdout);
		(void)f;
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *
find_tool(const char *name, char *buf, size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, len, "%s/%s", dirs[i], name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* Retries while another useradd/groupadd holds the account files' lock
 * (exit status 10): at most RETRIES times 100 ms. */
#define RETRIES 100

static void
pause_briefly(void)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

int
svcusers_create(const char *prefix, char *err, size_t errlen)
{
	char name[SVCUSER_NAME_MAX + 1], groupadd[64], useradd[64], nologin[64];
	const char *shell;
	int i, st, tries;

	if (!svcusers_prefix_valid(prefix)) {
		snprintf(err, errlen, "invalid user prefix \"%s\"", prefix);
		return -1;
	}
	if (find_tool("groupadd", groupadd, sizeof(groupadd)) == NULL ||
	    find_tool("useradd", useradd, sizeof(useradd)) == NULL) {
		snprintf(err, errlen, "groupadd/useradd not found (install the passwd package)");
		return -1;
	}
	shell = find_tool("nologin", nologin, sizeof(nologin));
	if (shell == NULL)
		shell = "/bin/false";
	for (i = 0; i < SVCUSER_COUNT; i++) {
		if (svcusers_name(prefix, (enum svcuser_role)i, name, sizeof(name)) < 0) {
			snprintf(err, errlen, "user name too long for prefix \"%s\"", prefix);
			return -1;
		}
		for (tries = 0; getgrnam(name) == NULL; tries++) {
			char *ga[] = { groupadd, "--system", name, NULL };
			st = run_tool(ga);
			/* 9: it exists (another init won the race); 10: the
			 * group file is locked by another useradd: wait. */
			if (st == 0 || st == 9)
				break;
			if (st != 10 || tries >= RETRIES) {
				snprintf(err, errlen, "groupadd %s failed (status %d)", name, st);
				return -1;
			}
			pause_briefly();
		}
		for (tries = 0; getpwnam(name) == NULL; tries++) {
			char *ua[] = { useradd, "--system", "--gid", name,
			    "--no-create-home", "--home-dir", "/nonexistent",
			    "--shell", (char *)shell, "--comment", "postern service user",
			    name, NULL };
			st = run_tool(ua);
			if (st == 0 || st == 9)
				break;
			if (st != 10 || tries >= RETRIES) {
				snprintf(err, errlen, "useradd %s failed (status %d)", name, st);
				return -1;
			}
			pause_briefly();
		}
	}
	return 0;
}
