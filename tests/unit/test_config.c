/* test_config.c: unit tests for common/config.c and the key table. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"

static char err[512];

static struct config *
parse(const char *s)
{
	err[0] = '\0';
	return config_parse("test.conf", s, strlen(s), err, sizeof(err));
}

static void
expect_error(const char *s, const char *msg)
{
	struct config *c = parse(s);
	ck_assert_msg(c == NULL, "accepted: %s", s);
	ck_assert_msg(strstr(err, msg) != NULL, "error \"%s\" lacks \"%s\"", err, msg);
}

START_TEST(defaults_valid)
{
	/* Every default in the table passes its own type check, every key
	 * name is unique and has a doc line. */
	struct config *c = config_defaults();
	size_t i, j;

	for (i = 0; config_keys[i].name != NULL; i++) {
		ck_assert_msg(config_keys[i].doc != NULL && config_keys[i].doc[0],
		    "%s has no doc", config_keys[i].name);
		for (j = i + 1; config_keys[j].name != NULL; j++)
			ck_assert_msg(strcmp(config_keys[i].name, config_keys[j].name) != 0 ||
			    config_keys[i].type == CFG_SECTION,
			    "%s declared twice", config_keys[i].name);
	}
	ck_assert_str_eq(config_str(c, "user_prefix"), "postern-");
	ck_assert_int_eq(config_int(c, "tls_handshake_timeout"), 30);
	ck_assert_int_eq(config_int(c, "auth_fail_window"), 600);
	ck_assert_int_eq(config_int(c, "uid_min"), 10000);
	ck_assert_str_eq(config_str(c, "plaintext_auth"), "loopback");
	ck_assert_ptr_null(config_str(c, "queue_dir"));
	ck_assert_int_eq(config_is_set(c, "uid_min"), 0);
	ck_assert_str_eq(config_file(c), "(defaults)");
	config_free(c);
}
END_TEST

START_TEST(parse_good)
{
	struct config *c = parse(
	    "# a comment\n"
	    "\n"
	    "   queue_dir   =   /var/q   \n"
	    "hostname=mx.example.org # trailing comment\n"
	    "tls_handshake_timeout = 2m\r\n"
	    "\tport_base = 0\n"
	    "plaintext_auth = No\n"
	    "listen_address = 127.0.0.1, ::1  0.0.0.0\n"
	    "tls_priority = NORMAL:%COMPAT#notacomment\n"
	    "max_connections = 7");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(config_str(c, "queue_dir"), "/var/q");
	ck_assert_str_eq(config_str(c, "hostname"), "mx.example.org");
	ck_assert_str_eq(config_hostname(c), "mx.example.org");
	ck_assert_int_eq(config_int(c, "tls_handshake_timeout"), 120);
	ck_assert_int_eq(config_int(c, "port_base"), 0);
	ck_assert_int_eq(config_int(c, "max_connections"), 7);
	ck_assert_str_eq(config_str(c, "plaintext_auth"), "No");
	ck_assert_str_eq(config_str(c, "tls_priority"), "NORMAL:%COMPAT#notacomment");
	ck_assert_int_eq(config_is_set(c, "queue_dir"), 1);
	ck_assert_int_eq(config_is_set(c, "run_dir"), 0);
	ck_assert_int_eq(config_int(c, "uid_max"), 60000);

	size_t n;
	char **l = config_list_new(c, "listen_address", &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(l[0], "127.0.0.1");
	ck_assert_str_eq(l[1], "::1");
	ck_assert_str_eq(l[2], "0.0.0.0");
	ck_assert_ptr_null(l[3]);
	config_list_free(l);
	l = config_list_new(c, "run_dir", &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(l[0]);
	config_list_free(l);
	config_free(c);
}
END_TEST

START_TEST(empty_hostname_uses_gethostname)
{
	struct config *c = parse("hostname =\n");
	char h[256];
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(config_str(c, "hostname"), "");
	ck_assert_int_eq(gethostname(h, sizeof(h)), 0);
	ck_assert_str_eq(config_hostname(c), h);
	config_free(c);
}
END_TEST

START_TEST(errors_name_file_line_key)
{
	expect_error("queue_dir = /q\nbogus_key = 1\n", "test.conf:2: bogus_key: unknown key");
	expect_error("\n\nqueue_dir = relative/q\n", "test.conf:3: queue_dir: not an absolute path");
	expect_error("queue_dir = /a\nqueue_dir = /b\n", "test.conf:2: queue_dir: duplicate key (first set on line 1)");
	expect_error("# x\njust some words\n", "test.conf:2:");
	expect_error("# x\njust some words\n", "without '='");
	expect_error("= 5\n", "test.conf:1: missing key");
	expect_error("uid_min = -1\n", "test.conf:1: uid_min: not a number");
	expect_error("uid_min = 12abc\n", "uid_min: not a whole number");
	expect_error("uid_min = 10k\n", "uid_min: not a whole number");
	expect_error("uid_min =\n", "uid_min: not a number");
	expect_error("uid_min = 99999999999999999999999\n", "uid_min: number too large");
	expect_error("tls_handshake_timeout = 5x\n", "bad unit suffix");
	expect_error("tls_handshake_timeout = 5mm\n", "bad unit suffix");
	expect_error("tls_handshake_timeout = 9223372036854775807d\n", "number too large");
	expect_error("plaintext_auth = maybe\n", "plaintext_auth: must be one of: yes no loopback");
	expect_error("plaintext_auth = loop\n", "must be one of");
	expect_error("Queue_Dir = /q\n", "unknown key");
	expect_error("general = x\n", "general: unknown key");   /* section headings are not keys */
	expect_error("queue_dir = /q\x01\n", "test.conf:1: control character");
	expect_error("# x\nuid_max = 500\n", "test.conf:2: uid_max: need 0 < uid_min <= uid_max");
	expect_error("uid_min = 0\n", "test.conf:1: uid_min: need 0 < uid_min");
	expect_error("\nport_base = 64541\n", "test.conf:2: port_base: larger than 64540");
	struct config *c = config_parse("nul", "#a\nqueue_dir = /q\0x\n",
	    sizeof("#a\nqueue_dir = /q\0x\n") - 1, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "nul:2: control character") != NULL, "%s", err);
}
END_TEST

START_TEST(long_lines_and_size)
{
	size_t n = 5000;
	char *s = malloc(n + 20);
	memcpy(s, "hostname = ", 11);
	memset(s + 11, 'a', n);
	s[11 + n] = '\n';
	struct config *c = config_parse("big", s, n + 12, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "big:1: line longer than 4096") != NULL, "%s", err);
	free(s);

	n = 2 * 1024 * 1024;
	s = malloc(n);
	memset(s, '\n', n);
	c = config_parse("huge", s, n, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "huge: file larger") != NULL, "%s", err);
	free(s);
}
END_TEST

START_TEST(parse_does_not_need_nul)
{
	/* The input is exactly its length: no terminator after it. */
	const char src[] = "port_base = 25";
	char *p = malloc(sizeof(src) - 1);
	memcpy(p, src, sizeof(src) - 1);
	struct config *c = config_parse("x", p, sizeof(src) - 1, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(config_int(c, "port_base"), 25);
	config_free(c);
	free(p);
}
END_TEST

START_TEST(sizes_and_bools)
{
	/* No SIZE/BOOL key in the general section yet: check through any
	 * such key the table holds. */
	size_t i;
	for (i = 0; config_keys[i].name != NULL; i++) {
		char line[256];
		struct config *c;
		const char *name = config_keys[i].name;
		if (config_keys[i].type == CFG_SIZE) {
			snprintf(line, sizeof(line), "%s = 2M\n", name);
			c = parse(line);
			ck_assert_msg(c != NULL, "%s", err);
			ck_assert_int_eq(config_int(c, name), 2 * 1024 * 1024);
			config_free(c);
			snprintf(line, sizeof(line), "%s = 10q\n", name);
			expect_error(line, "bad unit suffix");
		} else if (config_keys[i].type == CFG_BOOL) {
			snprintf(line, sizeof(line), "%s = on\n", name);
			c = parse(line);
			ck_assert_msg(c != NULL, "%s", err);
			ck_assert_int_eq(config_bool(c, name), 1);
			config_free(c);
			snprintf(line, sizeof(line), "%s = FALSE\n", name);
			c = parse(line);
			ck_assert_msg(c != NULL, "%s", err);
			ck_assert_int_eq(config_bool(c, name), 0);
			config_free(c);
			snprintf(line, sizeof(line), "%s = perhaps\n", name);
			expect_error(line, "not a boolean");
		}
	}
}
END_TEST

START_TEST(undeclared_lookup_dies)
{
	struct config *c = config_defaults();
	config_str(c, "no_such_key");
}
END_TEST

START_TEST(load_file_and_env)
{
	char path[] = "/tmp/test_config_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *s = "run_dir = /run/x\nuid_max = 70000\n";
	ck_assert_int_eq(write(fd, s, strlen(s)), (int)strlen(s));
	close(fd);

	struct config *c = config_load(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(config_str(c, "run_dir"), "/run/x");
	ck_assert_str_eq(config_file(c), path);
	config_free(c);

	setenv("POSTERN_CONF", path, 1);
	ck_assert_str_eq(config_path(), path);
	c = config_load_or_die();
	ck_assert_int_eq(config_int(c, "uid_max"), 70000);
	config_free(c);
	unsetenv("POSTERN_CONF");
	ck_assert_str_eq(config_path(), "/etc/postern/postern.conf");
	unlink(path);

	c = config_load(path, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, "No such file") != NULL, "%s", err);
	c = config_load("/tmp", err, sizeof(err));
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(load_or_die_exits_111)
{
	setenv("POSTERN_CONF", "/nonexistent/postern.conf", 1);
	config_load_or_die();
}
END_TEST

START_TEST(man_and_sample)
{
	char *m = NULL, *d = NULL;
	size_t ml = 0, dl = 0, i;
	FILE *f = open_memstream(&m, &ml);
	config_print_man(f);
	fclose(f);
	f = open_memstream(&d, &dl);
	config_print_defaults(f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(m, ".TH POSTERN.CONF 5"));
	ck_assert_ptr_nonnull(strstr(m, ".SS general"));
	ck_assert_ptr_nonnull(strstr(m, "\\fBtls_handshake_timeout\\fR (duration; default: \\fB30s\\fR)"));
	ck_assert_ptr_nonnull(strstr(m, "\\fBplaintext_auth\\fR (one of: yes no loopback"));
	for (i = 0; config_keys[i].name != NULL; i++) {
		char want[128];
		if (config_keys[i].type == CFG_SECTION)
			continue;
		snprintf(want, sizeof(want), "\n#%s =", config_keys[i].name);
		ck_assert_msg(strstr(d, want) != NULL, "sample lacks %s", config_keys[i].name);
	}
	/* The sample, uncommented where a default exists, is a valid config. */
	char *u = malloc(dl + 1);
	size_t j = 0;
	const char *p = d;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (p[0] == '#' && p[1] >= 'a' && p[1] <= 'z' && n >= 3 && p[n - 2] != '=') {
			memcpy(u + j, p + 1, n - 1);
			j += n - 1;
		}
		p += n;
	}
	struct config *c = config_parse("sample", u, j, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(config_is_set(c, "uid_min"), 1);
	config_free(c);
	free(u);
	free(m);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, defaults_valid);
	tcase_add_test(tc, parse_good);
	tcase_add_test(tc, empty_hostname_uses_gethostname);
	tcase_add_test(tc, errors_name_file_line_key);
	tcase_add_test(tc, long_lines_and_size);
	tcase_add_test(tc, parse_does_not_need_nul);
	tcase_add_test(tc, sizes_and_bools);
	tcase_add_exit_test(tc, undeclared_lookup_dies, 111);
	tcase_add_test(tc, load_file_and_env);
	tcase_add_exit_test(tc, load_or_die_exits_111, 111);
	tcase_add_test(tc, man_and_sample);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
