/* log.h: one line per event, key=value fields, to syslog (facility mail)
 * or to stderr in the foreground.  Every line carries the program name and,
 * once set, the session id.  Control characters in a line are replaced
 * before it is written, so nothing a client sends can forge a log line. */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stddef.h>
#include <syslog.h>

/* Foreground (stderr) when POSTERN_LOG_STDERR=1 in the environment or
 * foreground is nonzero; otherwise syslog. */
void log_init(const char *prog, int foreground);
void log_set_session(const char *sid);      /* NULL clears */
const char *log_session(void);
/* Generate a fresh session id (12 hex chars) and set it. */
const char *log_new_session(void);

/* log_msg(LOG_INFO, "connect", "ip=%s port=%s", ip, port) writes
 * "event=connect session=... ip=... port=...". */
void log_msg(int prio, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define log_info(ev, ...) log_msg(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_msg(LOG_WARNING, ev, __VA_ARGS__)
#define log_error(ev, ...) log_msg(LOG_ERR, ev, __VA_ARGS__)

/* Write a client command line as a "cmd=" field with the arguments of
 * authentication commands (AUTH, PASS, LOGIN, AUTHENTICATE, and SASL
 * continuation lines when in_sasl) removed by construction. */
void log_command(const char *event, const char *line, size_t len, int in_sasl);

/* Copy at most n bytes of s into out (size outlen) as a safe log value:
 * printable ASCII kept, anything else as \xHH; truncated with "..." */
void log_value(char *out, size_t outlen, const char *s, size_t n);

#endif
