/* postern_writers.c: the queue writers' service of `postern run`
 * (queue/queue_serve.c).  Their socket is bound here, as root, in the
 * run directory (mode 0666: the writers check each peer's uid); then
 * this becomes the queue user and execs postern-queue -S with the socket
 * on fd 0.  Started as the queue user, postern-queue's setuid bit changes
 * nothing: it runs as an ordinary program, so -S is allowed (the setuid
 * program refuses it). */
#include <fcntl.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "postern_run.h"
#include "privdrop.h"
#include "queue_inject.h"
#include "svcusers.h"
#include "unixsock.h"

int
writers_start(const struct config *c, char *const argv[])
{
	char path[QUEUE_INJECT_PATH_MAX];
	uid_t uid;
	gid_t gid;
	int fd;

	if (queue_inject_socket(c, path, sizeof(path)) < 0) {
		/* queue_writers 0 or queue_program set: postern-smtpd starts
		 * a postern-queue per message; nothing to run until a reload */
		log_info("idle", "service=queue-writers reason=\"no writers configured\"");
		for (;;)
			pause();
	}
	fd = unixsock_listen(path, 128, 0666, 0);
	if (fd < 0) {
		log_error("listen", "path=%s error=\"%m\"", path);
		return 111;
	}
	if ((fd != 0 && dup2(fd, 0) < 0) || fcntl(0, F_SETFD, 0) < 0) {
		log_error("listen", "error=\"dup2: %m\"");
		return 111;
	}
	if (fd != 0)
		close(fd);
	if (geteuid() == 0) {
		if (svcusers_lookup(config_str(c, "user_prefix"), SVCUSER_QUEUE, &uid, &gid) < 0) {
			log_error("setup", "error=\"queue user not found\"");
			return 111;
		}
		priv_drop_ids(uid, gid);
	}
	execv(argv[0], argv);
	log_error("exec", "program=%s error=\"%m\"", argv[0]);
	return 111;
}
