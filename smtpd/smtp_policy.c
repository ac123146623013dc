/* smtp_policy.c: who may relay (authenticated sessions, clients in the
 * relay networks table), which senders an authenticated user may use on
 * submission (smtpd_sender_policy), and whether AUTH may be offered
 * without TLS (plaintext_auth). */
#include <string.h>
#include <strings.h>

#include "netaddr.h"
#include "recipient.h"
#include "log.h"
#include "smtpd.h"

int
smtp_policy_may_relay(const struct smtp_session *s)
{
	char err[256];
	int r;

	if (s->auth_user[0] != '\0')
		return 1;
	if (s->relaynets == NULL || !s->client.remote_known)
		return 0;
	r = netaddr_in_table(s->relaynets, &s->client.remote, err, sizeof(err));
	if (r < 0) {
		log_error("relaynets", "reason=\"%s\"", err);
		return 0;
	}
	return r == 1;
}

int
smtp_policy_auth_allowed(const struct smtp_session *s)
{
	if (s->tls.active)
		return 1;
	return s->plaintext_auth_ok;
}

/* Split "local+ext@domain" forms: compare local parts ignoring an
 * extension after the first '+' of the sender. */
static int
local_matches(const char *user, size_t ulen, const char *local, size_t llen)
{
	const char *plus = memchr(local, '+', llen);

	if (llen == ulen && strncasecmp(user, local, ulen) == 0)
		return 1;
	if (plus != NULL && (size_t)(plus - local) == ulen &&
	    strncasecmp(user, local, ulen) == 0)
		return 1;
	return 0;
}

int
smtp_policy_sender_ok(const struct smtp_session *s, const char *addr,
    const char *domain)
{
	const char *user = s->auth_user, *uat = strrchr(user, '@');
	const char *aat = strrchr(addr, '@');
	size_t ulocal;

	if (s->sender_policy == SENDER_ANY)
		return 1;
	if (addr[0] == '\0' || aat == NULL)
		return 0;       /* <> is nobody's own address */
	if (uat != NULL) {
		/* user "name@domain": the domain must be the user's. */
		if (strcasecmp(uat + 1, domain) != 0)
			return 0;
		ulocal = (size_t)(uat - user);
	} else {
		/* bare user name: any local domain */
		if (!recipient_domain_is_local(s->rcpt_tables, domain, strlen(domain)))
			return 0;
		ulocal = strlen(user);
	}
	if (s->sender_policy == SENDER_DOMAIN)
		return 1;
	return local_matches(user, ulocal, addr, (size_t)(aat - addr));
}
