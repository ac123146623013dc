/* smtp_cmd.c: the SMTP command table (verb -> handler) and the parser of
 * one command line.  A command line must end in CRLF and hold no other CR,
 * LF or NUL (the smuggling class starts with lenient line ends). */
#include <string.h>
#include <strings.h>

#include "smtpd.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", V_HELO }, { "EHLO", V_EHLO }, { "MAIL", V_MAIL },
	{ "RCPT", V_RCPT }, { "DATA", V_DATA }, { "BDAT", V_BDAT },
	{ "RSET", V_RSET }, { "NOOP", V_NOOP }, { "QUIT", V_QUIT },
	{ "VRFY", V_VRFY }, { "HELP", V_HELP }, { "STARTTLS", V_STARTTLS },
	{ "AUTH", V_AUTH },
};

const char *
smtp_verb_name(enum smtp_verb v)
{
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "unknown";
}

enum smtp_cmd_error
smtp_cmd_parse(const char *p, size_t len, struct smtp_cmd *out)
{
	size_t i, vlen, n;

	memset(out, 0, sizeof(*out));
	out->verb = V_UNKNOWN;
	out->arg = "";
	if (len < 2 || p[len - 1] != '\n' || p[len - 2] != '\r')
		return SMTP_CMD_BARE_LF;
	n = len - 2;
	for (i = 0; i < n; i++) {
		if (p[i] == '\r')
			return SMTP_CMD_BARE_CR;
		if (p[i] == '\n')
			return SMTP_CMD_BARE_LF;
		if (p[i] == '\0')
			return SMTP_CMD_NUL;
	}
	for (vlen = 0; vlen < n && p[vlen] != ' '; vlen++)
		;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].name) == vlen &&
		    strncasecmp(verbs[i].name, p, vlen) == 0) {
			out->verb = verbs[i].verb;
			break;
		}
	}
	if (vlen < n) {
		out->has_arg = 1;
		out->arg = p + vlen + 1;
		out->arglen = n - vlen - 1;
		/* trailing spaces are not part of the argument */
		while (out->arglen > 0 && out->arg[out->arglen - 1] == ' ')
			out->arglen--;
		if (out->arglen == 0)
			out->has_arg = 0;
	}
	return SMTP_CMD_OK;
}

long
smtp_cmd_path_start(const char *arg, size_t len, const char *keyword)
{
	size_t k = strlen(keyword), i;

	if (len < k + 1 || strncasecmp(arg, keyword, k) != 0 || arg[k] != ':')
		return -1;
	i = k + 1;
	/* RFC 5321 has no space here; many clients send one. */
	while (i < len && arg[i] == ' ')
		i++;
	if (i >= len || arg[i] != '<')
		return -1;
	return (long)i;
}

int
smtp_cmd_bdat_arg(const char *arg, size_t len, uint64_t *n, int *last)
{
	size_t i = 0;
	uint64_t v = 0;

	*last = 0;
	if (len == 0 || arg[0] < '0' || arg[0] > '9')
		return -1;
	while (i < len && arg[i] >= '0' && arg[i] <= '9') {
		if (i >= 18)
			return -1;      /* bounded: at most 18 digits */
		v = v * 10 + (uint64_t)(arg[i] - '0');
		i++;
	}
	if (i < len) {
		if (arg[i] != ' ')
			return -1;
		while (i < len && arg[i] == ' ')
			i++;
		if (len - i != 4 || strncasecmp(arg + i, "LAST", 4) != 0)
			return -1;
		*last = 1;
	}
	*n = v;
	return 0;
}
