/* log.c: key=value event logging to syslog or stderr (see log.h). */
#include "log.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bsd/stdlib.h>

#define LOG_LINE_MAX 2048

static const char *log_prog = "postern";
static int log_stderr = 1;
static char log_sid[32];

void
log_init(const char *prog, int foreground)
{
	const char *e = getenv("POSTERN_LOG_STDERR");

	log_prog = prog;
	log_stderr = foreground || (e != NULL && strcmp(e, "1") == 0);
	if (!log_stderr)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
	e = getenv("POSTERN_SESSION");
	if (e != NULL && *e != '\0')
		log_set_session(e);
}

void
log_set_session(const char *sid)
{
	if (sid == NULL) {
		log_sid[0] = '\0';
		return;
	}
	/* Only hex/alnum: the id is ours, but may come from the environment. */
	size_t i, j = 0;
	for (i = 0; sid[i] != '\0' && j < sizeof(log_sid) - 1; i++)
		if (isalnum((unsigned char)sid[i]))
			log_sid[j++] = sid[i];
	log_sid[j] = '\0';
}

const char *
log_session(void)
{
	return log_sid[0] ? log_sid : NULL;
}

const char *
log_new_session(void)
{
	unsigned char r[6];
	size_t i;

	arc4random_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		snprintf(log_sid + 2 * i, 3, "%02x", r[i]);
	return log_sid;
}

void
log_value(char *out, size_t outlen, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, j = 0;

	if (outlen == 0)
		return;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (j + 5 >= outlen) {
			if (outlen >= 4) {
				j = j < outlen - 4 ? j : outlen - 4;
				memcpy(out + j, "...", 3);
				j += 3;
			}
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[j++] = (char)c;
		} else {
			out[j++] = '\\';
			out[j++] = 'x';
			out[j++] = hex[c >> 4];
			out[j++] = hex[c & 15];
		}
	}
	out[j] = '\0';
}

static void
emit(int prio, const char *line)
{
	if (log_stderr) {
		char tmp[LOG_LINE_MAX + 64];
		int n = snprintf(tmp, sizeof(tmp), "%s[%ld]: %s\n", log_prog,
		    (long)getpid(), line);
		if (n > 0) {
			size_t k = (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1;
			ssize_t w = write(2, tmp, k);
			(void)w;
		}
	} else {
		syslog(prio, "%s", line);
	}
}

/* Clamp a snprintf result to what the buffer at offset n actually holds. */
static size_t
log_advance(size_t n, int k, size_t cap)
{
	if (k <= 0)
		return n;
	if ((size_t)k >= cap - n)
		return cap - 1;
	return n + (size_t)k;
}

void
log_msg(int prio, const char *event, const char *fmt, ...)
{
	static const char hex[] = "0123456789abcdef";
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	size_t n, i, j;
	va_list ap;

	raw[0] = '\0';
	n = log_advance(0, snprintf(raw, sizeof(raw), "event=%s", event), sizeof(raw));
	if (log_sid[0] && n + 1 < sizeof(raw))
		n = log_advance(n, snprintf(raw + n, sizeof(raw) - n,
		    " session=%s", log_sid), sizeof(raw));
	if (fmt != NULL && fmt[0] != '\0' && n + 2 < sizeof(raw)) {
		size_t at = n;
		int k;
		raw[n++] = ' ';
		va_start(ap, fmt);
		k = vsnprintf(raw + n, sizeof(raw) - n, fmt, ap);
		va_end(ap);
		/* an empty expansion ("%s", "") adds no separator */
		n = k > 0 ? log_advance(n, k, sizeof(raw)) : at;
	}
	/* Final sanitising: no control character (nothing can start a
	 * forged line) and no byte above 0x7e (syslog and terminals see
	 * plain ASCII); n counts embedded NULs a %c may have produced. */
	for (i = 0, j = 0; i < n; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (c >= 0x80) {
			if (j + 4 >= sizeof(line))
				break;
			line[j++] = '\\';
			line[j++] = 'x';
			line[j++] = hex[c >> 4];
			line[j++] = hex[c & 15];
		} else {
			if (j + 1 >= sizeof(line))
				break;
			line[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		}
	}
	line[j] = '\0';
	emit(prio, line);
}

static int
is_auth_verb(const char *p, size_t n)
{
	static const char *verbs[] = { "AUTH", "PASS", "LOGIN",
	    "AUTHENTICATE", "APOP", NULL };
	size_t i;

	for (i = 0; verbs[i] != NULL; i++)
		if (strlen(verbs[i]) == n && strncasecmp(p, verbs[i], n) == 0)
			return 1;
	return 0;
}

void
log_command(const char *event, const char *line, size_t len, int in_sasl)
{
	char v[256];
	size_t i = 0, w0, w0len, w1, w1len;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (in_sasl) {
		log_msg(LOG_INFO, event, "cmd=<sasl-response-redacted>");
		return;
	}
	/* First word, and the second (IMAP: tag then command). */
	w0 = i;
	while (i < len && line[i] != ' ')
		i++;
	w0len = i - w0;
	while (i < len && line[i] == ' ')
		i++;
	w1 = i;
	while (i < len && line[i] != ' ')
		i++;
	w1len = i - w1;
	if (is_auth_verb(line + w0, w0len)) {
		/* keep verb and (for AUTH) the mechanism only */
		size_t keep = w0len;
		if (w0len == 4 && strncasecmp(line + w0, "AUTH", 4) == 0)
			keep = w1 + w1len;
		log_value(v, sizeof(v), line, keep);
		log_msg(LOG_INFO, event, "cmd=\"%s <redacted>\"", v);
		return;
	}
	if (is_auth_verb(line + w1, w1len)) {
		size_t keep = w1 + w1len;
		if (w1len == 12) { /* AUTHENTICATE mech */
			while (i < len && line[i] == ' ')
				i++;
			while (i < len && line[i] != ' ')
				i++;
			keep = i;
		}
		log_value(v, sizeof(v), line, keep);
		log_msg(LOG_INFO, event, "cmd=\"%s <redacted>\"", v);
		return;
	}
	log_value(v, sizeof(v), line, len);
	log_msg(LOG_INFO, event, "cmd=\"%s\"", v);
}
