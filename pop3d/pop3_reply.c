/* pop3_reply.c: every reply postern-pop3-login and postern-pop3d can give
 * (one table, printf formats with their CRLF) and the CAPA list (RFC 2449
 * 5, RFC 5034 4, RFC 2595 4).  Response codes: RFC 2449 8 ([IN-USE]),
 * RFC 3206 ([SYS/TEMP], [SYS/PERM], [AUTH]). */
#include <stdarg.h>
#include <string.h>
#include "pop3.h"
#include "sasl.h"

static const char *const replies[R_COUNT] = {
	[R_GREETING] = "+OK postern POP3 ready.\r\n",
	[R_LOGGED_IN] = "+OK Logged in.\r\n",
	[R_BYE] = "+OK Logging out.\r\n",
	[R_BYE_TIMEOUT] = "-ERR Disconnected for inactivity.\r\n",
	[R_BYE_ERRORS] = "-ERR Too many bad commands, closing.\r\n",
	[R_UNKNOWN] = "-ERR Unknown command.\r\n",
	[R_WRONG_STATE] = "-ERR Command not valid in this state.\r\n",
	[R_BAD_ARGS] = "-ERR Bad arguments.\r\n",
	[R_BAD_NUMBER] = "-ERR Invalid message number.\r\n",
	[R_BAD_CHAR] = "-ERR Control characters are not allowed in commands.\r\n",
	[R_LINE_TOO_LONG] = "-ERR Command line too long.\r\n",
	[R_NOOP] = "+OK\r\n",
	[R_CAPA] = "+OK Capability list follows\r\n",
	[R_USER_OK] = "+OK\r\n",
	[R_PASS_NO_USER] = "-ERR No user name given (USER first).\r\n",
	[R_AUTH_FAILED] = "-ERR [AUTH] Authentication failed.\r\n",
	[R_AUTH_TEMPFAIL] = "-ERR [SYS/TEMP] Temporary authentication failure, try again later.\r\n",
	[R_AUTH_UNAVAILABLE] = "-ERR [SYS/TEMP] Authentication service unavailable.\r\n",
	[R_AUTH_TOO_MANY] = "-ERR [AUTH] Too many authentication failures, closing.\r\n",
	[R_PLAINTEXT_AUTH] = "-ERR [AUTH] Plaintext authentication disallowed without TLS (use STLS).\r\n",
	[R_PLAINTEXT_PERM] = "-ERR [SYS/PERM] Plaintext authentication disallowed and TLS is not available.\r\n",
	[R_AUTH_MECHS] = "+OK Mechanisms follow\r\n",
	[R_AUTH_BAD_MECH] = "-ERR Unsupported authentication mechanism.\r\n",
	[R_AUTH_CANCELLED] = "-ERR Authentication cancelled.\r\n",
	[R_AUTH_BAD] = "-ERR %s.\r\n",
	[R_AUTH_TOO_LONG] = "-ERR Authentication line too long.\r\n",
	[R_PIPELINED_TOO_MUCH] = "-ERR Too much pipelined after the login.\r\n",
	[R_APOP] = "-ERR APOP is not supported.\r\n",
	[R_STLS_READY] = "+OK Begin TLS negotiation now.\r\n",
	[R_STLS_NOT_AVAILABLE] = "-ERR TLS is not available here.\r\n",
	[R_STLS_ACTIVE] = "-ERR TLS is already active.\r\n",
	[R_IN_USE] = "-ERR [IN-USE] Mailbox is locked by another POP3 session.\r\n",
	[R_NO_MAILBOX] = "-ERR [SYS/PERM] No mailbox.\r\n",
	[R_MAILBOX_ERROR] = "-ERR [SYS/TEMP] Mailbox unavailable.\r\n",
	[R_CONFIG_ERROR] = "-ERR [SYS/TEMP] Server configuration error.\r\n",
	[R_STAT] = "+OK %u %llu\r\n",
	[R_LIST_ALL] = "+OK %u messages (%llu octets)\r\n",
	[R_LIST_ONE] = "+OK %u %llu\r\n",
	[R_UIDL_ALL] = "+OK\r\n",
	[R_UIDL_ONE] = "+OK %u %s\r\n",
	[R_NO_MESSAGE] = "-ERR There is no message %u.\r\n",
	[R_DELETED] = "-ERR Message %u is deleted.\r\n",
	[R_RETR] = "+OK %llu octets\r\n",
	[R_TOP] = "+OK\r\n",
	[R_MESSAGE_GONE] = "-ERR [SYS/TEMP] Message %u is no longer available.\r\n",
	[R_DELE] = "+OK Message %u deleted.\r\n",
	[R_RSET] = "+OK %u messages (%llu octets)\r\n",
	[R_QUIT] = "+OK Logging out.\r\n",
	[R_QUIT_DELETED] = "+OK Logging out, %u messages deleted.\r\n",
	[R_QUIT_FAILED] = "-ERR [SYS/TEMP] Some deleted messages were not removed.\r\n",
};

const char *
pop3_reply_format(enum pop3_reply_id id)
{
	if ((unsigned)id >= R_COUNT || replies[id] == NULL)
		return "-ERR Internal error.\r\n";
	return replies[id];
}

void
pop3_reply(struct io *io, enum pop3_reply_id id, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, id);
	buf_vprintf(&b, pop3_reply_format(id), ap);
	va_end(ap);
	io_write(io, b.p, b.len);
	buf_free(&b);
}

void
pop3_capa_write(struct buf *out, unsigned mode)
{
	int preauth = (mode & POP3_CAPA_PREAUTH) != 0;

	buf_puts(out, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
	    "PIPELINING\r\n");
	if (preauth && (mode & POP3_CAPA_STLS))
		buf_puts(out, "STLS\r\n");
	/* RFC 2595 4 / RFC 2449 6.8: USER and SASL only where they may be
	 * used; after login they describe the server (RFC 5034 4). */
	if (!preauth || (mode & POP3_CAPA_PLAINTEXT)) {
		buf_puts(out, "USER\r\n");
		buf_printf(out, "SASL %s\r\n", sasl_mech_names());
	}
	buf_puts(out, "IMPLEMENTATION postern\r\n");
}
