/* lspawn.h: the parts of postern-lspawn (local delivery spawner, root). */
#ifndef POSTERN_LSPAWN_H
#define POSTERN_LSPAWN_H

#include <sys/types.h>

struct config;
struct recipient_tables;
struct spawn_request;

struct lspawn_conf {
	const struct config *conf;
	char deliver[4096];      /* path of postern-deliver */
	int root;                /* started as root: uid checks and drops */
	long uid_min, uid_max;
	int delivery_timeout;    /* seconds */
	char user_prefix[64];
};

/* lspawn_deliver.c: run every recipient of req (message on msgfd) and
 * send the reply on sock.  Runs in a child of the main loop; tab are the
 * recipient tables the parent holds (NULL: they cannot be loaded, every
 * recipient is a temporary failure). */
void lspawn_handle(const struct lspawn_conf *lc, struct recipient_tables *tab,
    const struct spawn_request *req, int msgfd, int sock);

#endif
