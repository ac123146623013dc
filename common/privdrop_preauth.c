/* privdrop_preauth.c: the one privilege drop of every pre-auth program
 * (postern-imap-login, postern-pop3-login): to the auth service user,
 * chrooted in empty_dir, no new privileges, no fork, few descriptors
 * (DESIGN.md rule 4).  Run by an ordinary user: limits only. */
#include <stdlib.h>
#include "config.h"
#include "log.h"
#include "privdrop.h"
#include "svcusers.h"

void
priv_drop_preauth(const struct config *cfg)
{
	const int flags = PRIV_NO_NEW_PRIVS | PRIV_NO_FORK | PRIV_FEW_FILES;
	char user[SVCUSER_NAME_MAX + 1];
	const char *prefix = config_str(cfg, "user_prefix");
	const char *empty = config_str(cfg, "empty_dir");

	if (!priv_is_root()) {
		priv_drop(NULL, NULL, flags);
		return;
	}
	if (svcusers_name(prefix ? prefix : "postern-", SVCUSER_AUTH, user,
	    sizeof(user)) < 0) {
		log_error("config", "reason=bad user_prefix");
		exit(111);
	}
	if (empty == NULL) {
		log_error("config", "reason=empty_dir not set");
		exit(111);
	}
	priv_drop(user, empty, flags);
}
