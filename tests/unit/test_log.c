/* test_log.c: unit tests for common/log.c: value escaping, the line
 * format on stderr, credential redaction, and that no line carries a
 * control character whatever goes in. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"

/* Run fn with fd 2 on a pipe; return what it wrote (static buffer). */
static char captured[16384];

static const char *
capture(void (*fn)(void))
{
	int pfd[2], saved;
	size_t len = 0;
	ssize_t n;

	ck_assert_int_eq(pipe(pfd), 0);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(pfd[1], 2), 2);
	close(pfd[1]);
	fn();
	dup2(saved, 2);
	close(saved);
	while ((n = read(pfd[0], captured + len, sizeof(captured) - 1 - len)) > 0)
		len += (size_t)n;
	close(pfd[0]);
	captured[len] = '\0';
	return captured;
}

/* Every line: "prog[pid]: event=..." and no control character but the
 * newline that ends it. */
static void
assert_clean_lines(const char *out)
{
	const char *p = out;
	ck_assert_msg(*p != '\0', "no output");
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "unterminated line: %s", p);
		ck_assert_msg(strncmp(p, "test_log[", 9) == 0, "line: %.*s", (int)(nl - p), p);
		ck_assert_ptr_nonnull(memmem(p, (size_t)(nl - p), "]: event=", 9));
		for (const char *q = p; q < nl; q++)
			ck_assert_msg((unsigned char)*q >= 0x20 && *q != 0x7f &&
			    (unsigned char)*q < 0x80,
			    "control or 8-bit char 0x%02x in line", (unsigned char)*q);
		p = nl + 1;
	}
}

START_TEST(value_escaping)
{
	char out[64];
	log_value(out, sizeof(out), "plain text", 10);
	ck_assert_str_eq(out, "plain text");
	log_value(out, sizeof(out), "a\r\nb\\c\x7f\xff\0d", 10);
	ck_assert_str_eq(out, "a\\x0d\\x0ab\\x5cc\\x7f\\xff\\x00d");
	/* only n bytes are read */
	log_value(out, sizeof(out), "abcdef", 3);
	ck_assert_str_eq(out, "abc");
	/* truncation marks itself and stays inside outlen */
	char small[12];
	memset(small, 'Z', sizeof(small));
	log_value(small, sizeof(small), "0123456789abcdefghij", 20);
	ck_assert_uint_lt(strlen(small), sizeof(small));
	ck_assert_ptr_nonnull(strstr(small, "..."));
	ck_assert_int_eq(strncmp(small, "0123", 4), 0);
	log_value(small, 1, "abc", 3);
	ck_assert_str_eq(small, "");
	log_value(out, sizeof(out), "", 0);
	ck_assert_str_eq(out, "");
}
END_TEST

static void
write_events(void)
{
	log_init("test_log", 1);
	log_set_session(NULL);
	log_info("connect", "ip=%s port=%d", "192.0.2.1", 25);
	log_set_session("ab12\n-x");   /* only alphanumerics are kept */
	log_warn("auth_fail", "ip=%s user=%s", "192.0.2.1", "evil\r\nevent=forged");
	log_error("x", "%s", "");
	log_info("utf8", "user=%s", "m\xc3\xbcller\xff");
}

START_TEST(line_format)
{
	setenv("POSTERN_LOG_STDERR", "1", 1);
	const char *out = capture(write_events);
	assert_clean_lines(out);
	ck_assert_ptr_nonnull(strstr(out, "]: event=connect ip=192.0.2.1 port=25\n"));
	ck_assert_ptr_nonnull(strstr(out, "]: event=auth_fail session=ab12x ip=192.0.2.1 user=evil??event=forged\n"));
	/* an empty expansion leaves no trailing space */
	ck_assert_ptr_nonnull(strstr(out, "]: event=x session=ab12x\n"));
	/* bytes above 0x7e are escaped, not passed through */
	ck_assert_ptr_nonnull(strstr(out, "]: event=utf8 session=ab12x user=m\\xc3\\xbcller\\xff\n"));
	/* the forged event never starts a line */
	ck_assert_ptr_null(strstr(out, "\nevent=forged"));
}
END_TEST

START_TEST(session_ids)
{
	log_set_session(NULL);
	ck_assert_ptr_null(log_session());
	const char *a = log_new_session();
	ck_assert_uint_eq(strlen(a), 12);
	for (int i = 0; i < 12; i++)
		ck_assert_ptr_nonnull(strchr("0123456789abcdef", a[i]));
	char first[16];
	strcpy(first, a);
	ck_assert_str_eq(log_session(), first);
	ck_assert_str_ne(log_new_session(), first);
	setenv("POSTERN_SESSION", "feedface0001", 1);
	log_init("test_log", 1);
	ck_assert_str_eq(log_session(), "feedface0001");
	unsetenv("POSTERN_SESSION");
}
END_TEST

static void
write_commands(void)
{
	log_init("test_log", 1);
	log_set_session(NULL);
	log_command("cmd", "AUTH PLAIN AGZvbwBzZWNyZXQ=\r\n", 28, 0);
	log_command("cmd", "auth login\r\n", 12, 0);
	log_command("cmd", "PASS hunter2\r\n", 14, 0);
	log_command("cmd", "APOP user 0123abcd\r\n", 20, 0);
	log_command("cmd", "a1 LOGIN bob hunter2\r\n", 22, 0);
	log_command("cmd", "a2 authenticate PLAIN AGJvYgBodW50ZXIy\r\n", 40, 0);
	log_command("cmd", "aGVsbG8gaHVudGVyMg==\r\n", 22, 1);
	log_command("cmd", "MAIL FROM:<a@b>\r\n", 17, 0);
	log_command("cmd", "a3 SELECT \"INBOX\"\r\n", 19, 0);
	log_command("cmd", "NOOP \x1b[31m\r\n", 12, 0);
	log_command("cmd", "USER bob", 8, 0);
}

START_TEST(command_redaction)
{
	setenv("POSTERN_LOG_STDERR", "1", 1);
	const char *out = capture(write_commands);
	assert_clean_lines(out);
	static const char *secrets[] = { "AGZvbwBzZWNyZXQ", "hunter2", "0123abcd",
	    "AGJvYgBodW50ZXIy", "aGVsbG8gaHVudGVyMg", "bob hunter", NULL };
	for (int i = 0; secrets[i] != NULL; i++)
		ck_assert_msg(strstr(out, secrets[i]) == NULL, "secret %s in log:\n%s",
		    secrets[i], out);
	ck_assert_ptr_nonnull(strstr(out, "cmd=\"AUTH PLAIN <redacted>\""));
	ck_assert_ptr_nonnull(strstr(out, "cmd=\"auth login <redacted>\""));
	ck_assert_ptr_nonnull(strstr(out, "cmd=\"PASS <redacted>\""));
	ck_assert_ptr_nonnull(strstr(out, "cmd=\"a1 LOGIN <redacted>\""));
	ck_assert_ptr_nonnull(strstr(out, "cmd=\"a2 authenticate PLAIN <redacted>\""));
	ck_assert_ptr_nonnull(strstr(out, "cmd=<sasl-response-redacted>"));
	ck_assert_ptr_nonnull(strstr(out, "cmd=\"MAIL FROM:<a@b>\""));
	ck_assert_ptr_nonnull(strstr(out, "cmd=\"a3 SELECT \"INBOX\"\""));
	ck_assert_ptr_nonnull(strstr(out, "cmd=\"NOOP \\x1b[31m\""));
	ck_assert_ptr_nonnull(strstr(out, "cmd=\"USER bob\""));
}
END_TEST

static const char *hostile;
static size_t hostile_len;

static void
write_hostile(void)
{
	char v[512];
	log_init("test_log", 1);
	log_value(v, sizeof(v), hostile, hostile_len);
	log_info("value", "v=%s", v);
	log_info("raw", "v=%.*s", (int)hostile_len, hostile);
	log_command("cmd", hostile, hostile_len, 0);
}

START_TEST(never_a_control_character)
{
	char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (char)(i == 0 ? 1 : i);   /* %.*s would stop at NUL */
	hostile = all;
	hostile_len = sizeof(all);
	setenv("POSTERN_LOG_STDERR", "1", 1);
	assert_clean_lines(capture(write_hostile));

	/* a very long value is cut, still one clean line each */
	char *big = malloc(10000);
	memset(big, '\n', 10000);
	hostile = big;
	hostile_len = 10000;
	const char *out = capture(write_hostile);
	assert_clean_lines(out);
	int lines = 0;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 3);
	free(big);

	/* 8-bit bytes grow fourfold when escaped; the line keeps its cap */
	big = malloc(10000);
	memset(big, 0xe9, 10000);
	hostile = big;
	hostile_len = 10000;
	out = capture(write_hostile);
	assert_clean_lines(out);
	for (const char *p = out; *p; ) {
		const char *nl = strchr(p, '\n');
		ck_assert_uint_lt((size_t)(nl - p), 2048 + 64);
		p = nl + 1;
	}
	free(big);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, value_escaping);
	tcase_add_test(tc, line_format);
	tcase_add_test(tc, session_ids);
	tcase_add_test(tc, command_redaction);
	tcase_add_test(tc, never_a_control_character);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
