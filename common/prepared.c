/* prepared.c: handing a connection to a session program started ahead
 * (prepared.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "envfd.h"
#include "fdpass.h"
#include "prepared.h"
#include "tlsctl.h"

const char *const prepared_keys[] = {
	"PROTO", "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
	"TCP6REMOTEIP", "TCP6REMOTEPORT", "TCP6LOCALIP", "TCP6LOCALPORT",
	"POSTERN_SERVICE", "POSTERN_SESSION", "POSTERN_AUTH_FAILS", NULL
};

static int
key_allowed(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t i, kl;

	if (eq == NULL)
		return 0;
	kl = (size_t)(eq - kv);
	for (i = 0; prepared_keys[i] != NULL; i++)
		if (strlen(prepared_keys[i]) == kl && memcmp(prepared_keys[i], kv, kl) == 0)
			return 1;
	return 0;
}

int
prepared_send(int sock, char *const *envs, size_t nenv, int conn, int ctl)
{
	char rec[PREPARED_MAX];
	size_t len = 2, i;
	int fds[2] = { conn, ctl }, nfd = ctl >= 0 ? 2 : 1;

	memcpy(rec, "P1", 2);
	for (i = 0; i < nenv; i++)
		if (key_allowed(envs[i]) &&
		    fdpass_put_str(rec, sizeof(rec), &len, envs[i]) < 0)
			return -1;
	return fdpass_send(sock, rec, len, fds, nfd, MSG_DONTWAIT);
}

int
prepared_wait(void)
{
	static char rec[PREPARED_MAX + 1];
	int sock = env_fd(PREPARED_ENV), fds[2] = { -1, -1 }, nfd = 0, trunc;
	ssize_t n;
	size_t off, i;
	char num[16];

	if (sock < 0)
		return 0;
	unsetenv(PREPARED_ENV);
	n = fdpass_recv(sock, rec, PREPARED_MAX, fds, 2, &nfd, &trunc);
	close(sock);
	if (n < 0)
		return -1;
	if (n == 0 && nfd == 0) {
		errno = 0;              /* the end: listen has stopped */
		return -1;
	}
	if (n < 2 || nfd < 1 || trunc ||
	    memcmp(rec, "P1", 2) != 0 || rec[n - 1] != '\0')
		goto bad;
	/* only what listen sets per connection; TCP6* only when given */
	unsetenv("TCP6REMOTEIP");
	unsetenv("TCP6REMOTEPORT");
	unsetenv("TCP6LOCALIP");
	unsetenv("TCP6LOCALPORT");
	for (off = 2; off < (size_t)n;) {
		char *kv = rec + off, *eq = strchr(kv, '=');

		off += strlen(kv) + 1;
		if (!key_allowed(kv))
			goto bad;
		*eq = '\0';
		if (setenv(kv, eq + 1, 1) < 0)
			goto bad;
	}
	if (dup2(fds[0], 0) < 0 || dup2(fds[0], 1) < 0)
		goto bad;
	close(fds[0]);
	fds[0] = -1;
	if (nfd == 2) {
		snprintf(num, sizeof(num), "%d", fds[1]);
		if (setenv(TLSCTL_ENV, num, 1) < 0)
			goto bad;
	} else
		unsetenv(TLSCTL_ENV);
	return 1;
bad:
	for (i = 0; i < (size_t)nfd; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	errno = EPROTO;
	return -1;
}
