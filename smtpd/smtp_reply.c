/* smtp_reply.c: every reply postern-smtpd can give, in one table (STYLE.md:
 * a reader sees them all here).  Enhanced status codes (RFC 2034, RFC 3463)
 * on every reply except the greeting and the HELO/EHLO replies. */
#include <string.h>

#include "smtpd.h"

const struct smtp_reply_def smtp_replies[RP_COUNT] = {
	[RP_GREETING]         = { 220, NULL, "%s ESMTP postern" },
	[RP_GREET_REFUSED]    = { 554, NULL, "%s talking before the greeting is not allowed" },
	[RP_HELO]             = { 250, NULL, "%s" },
	[RP_OK]               = { 250, "2.0.0", "Ok" },
	[RP_MAIL_OK]          = { 250, "2.1.0", "Sender ok" },
	[RP_RCPT_OK]          = { 250, "2.1.5", "Recipient ok" },
	[RP_DATA_GO]          = { 354, NULL, "End data with <CR><LF>.<CR><LF>" },
	[RP_QUEUED]           = { 250, "2.0.0", "Ok: queued as %s" },
	[RP_BDAT_OK]          = { 250, "2.0.0", "%s octets received" },
	[RP_RESET]            = { 250, "2.0.0", "Reset" },
	[RP_BYE]              = { 221, "2.0.0", "Bye" },
	[RP_VRFY]             = { 252, "2.5.2", "Cannot VRFY user, but will accept the message and attempt delivery" },
	[RP_HELP]             = { 214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH" },
	[RP_AUTH_OK]          = { 235, "2.7.0", "Authentication successful" },
	[RP_AUTH_CHALLENGE]   = { 334, NULL, "%s" },
	[RP_TLS_READY]        = { 220, "2.0.0", "Ready to start TLS" },
	[RP_SHUTDOWN]         = { 421, "4.3.2", "Service shutting down, closing connection" },
	[RP_TIMEOUT]          = { 421, "4.4.2", "Timeout, closing connection" },
	[RP_TOO_MANY_ERRORS]  = { 421, "4.7.0", "Too many errors, closing connection" },
	[RP_TEMP_QUEUE]       = { 451, "4.3.0", "Temporary queue failure, try again later" },
	[RP_TEMP_DISK]        = { 452, "4.3.1", "Insufficient system storage" },
	[RP_TOO_MANY_RCPTS]   = { 452, "4.5.3", "Too many recipients" },
	[RP_AUTH_TEMP]        = { 454, "4.7.0", "Temporary authentication failure" },
	[RP_TLS_UNAVAILABLE]  = { 454, "4.7.0", "TLS not available" },
	[RP_UNKNOWN_CMD]      = { 500, "5.5.2", "Command not recognized" },
	[RP_LINE_TOO_LONG]    = { 500, "5.5.2", "Line too long" },
	[RP_BARE_CRLF_CMD]    = { 500, "5.5.2", "Bare CR, LF or NUL in command not allowed" },
	[RP_SYNTAX]           = { 501, "5.5.4", "Syntax error: %s" },
	[RP_ADDR_SYNTAX]      = { 501, "5.1.3", "Bad recipient address: %s" },
	[RP_SENDER_SYNTAX]    = { 501, "5.1.7", "Bad sender address: %s" },
	[RP_NOT_IMPL]         = { 502, "5.5.1", "Command not implemented" },
	[RP_BAD_SEQ]          = { 503, "5.5.1", "Bad sequence of commands: %s" },
	[RP_MECH_UNKNOWN]     = { 504, "5.5.4", "Unrecognized authentication mechanism" },
	[RP_AUTH_REQUIRED]    = { 530, "5.7.0", "Authentication required" },
	[RP_AUTH_FAILED]      = { 535, "5.7.8", "Authentication credentials invalid" },
	[RP_AUTH_CANCELLED]   = { 501, "5.7.0", "Authentication cancelled" },
	[RP_ENCRYPT_REQUIRED] = { 538, "5.7.11", "Encryption required for requested authentication mechanism" },
	[RP_UNKNOWN_USER]     = { 550, "5.1.1", "No such user here" },
	[RP_ALIAS_LOOP]       = { 550, "5.4.6", "Alias loop" },
	[RP_ALIAS_TOO_MANY]   = { 550, "5.3.4", "Alias expands to too many recipients" },
	[RP_RELAY_DENIED]     = { 554, "5.7.1", "Relay access denied" },
	[RP_SENDER_NOT_OWNED] = { 553, "5.7.1", "Sender address not owned by the authenticated user" },
	[RP_NEED_UTF8]        = { 553, "5.6.7", "Non-ASCII address requires SMTPUTF8" },
	[RP_TOO_BIG]          = { 552, "5.3.4", "Message size exceeds the limit" },
	[RP_PARAM_UNKNOWN]    = { 555, "5.5.4", "Parameter not recognized: %s" },
	[RP_DATA_BARE]        = { 554, "5.6.0", "Bare CR or LF in message data not allowed, nothing queued" },
	[RP_DATA_NUL]         = { 554, "5.6.0", "NUL in message data not allowed, nothing queued" },
	[RP_DATA_LONG_LINE]   = { 554, "5.6.0", "Message line too long, nothing queued" },
	[RP_QUEUE_REFUSED]    = { 554, "5.3.4", "Message refused by the queue" },
	[RP_BDAT_FAILED]      = { 503, "5.5.1", "Transaction failed, send RSET" },
	[RP_NO_RCPTS]         = { 503, "5.5.1", "No valid recipients" },
};

void
smtp_reply_format(struct buf *out, enum smtp_reply_id id, const char *arg,
    int continuation)
{
	const struct smtp_reply_def *r = &smtp_replies[id];
	const char *t = r->text, *pct = strstr(t, "%s");

	buf_printf(out, "%03d%c", r->code, continuation ? '-' : ' ');
	if (r->enhanced != NULL)
		buf_printf(out, "%s ", r->enhanced);
	if (pct != NULL) {
		buf_append(out, t, (size_t)(pct - t));
		if (arg != NULL) {
			/* Never let an argument break the reply framing. */
			size_t i, n = strlen(arg);
			for (i = 0; i < n && i < 400; i++)
				buf_putc(out, (arg[i] >= 0x20 && arg[i] != 0x7f) ? arg[i] : '?');
		}
		buf_puts(out, pct + 2);
	} else
		buf_puts(out, t);
	buf_puts(out, "\r\n");
}
