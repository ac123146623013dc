/* test_instance.c: unit tests for common/instance.c (paths of an instance
 * and the generated postern.conf, which must load through config.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "instance.h"

START_TEST(paths_absolute_and_normalised)
{
	struct instance in;

	ck_assert_int_eq(instance_init(&in, "/srv/mail//./"), 0);
	ck_assert_str_eq(in.dir, "/srv/mail");
	ck_assert_str_eq(in.conf, "/srv/mail/etc/postern.conf");
	ck_assert_str_eq(in.passwd, "/srv/mail/etc/passwd");
	ck_assert_str_eq(in.users, "/srv/mail/etc/users");
	ck_assert_str_eq(in.key, "/srv/mail/etc/tls/key.pem");
	ck_assert_str_eq(in.cert, "/srv/mail/etc/tls/cert.pem");
	ck_assert_str_eq(in.queue, "/srv/mail/queue");
	ck_assert_str_eq(in.empty, "/srv/mail/empty");
	ck_assert_str_eq(in.mail, "/srv/mail/mail");
	instance_free(&in);
	ck_assert_ptr_null(in.dir);
}
END_TEST

START_TEST(relative_dir)
{
	struct instance in;
	char cwd[4096], want[4200];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(instance_init(&in, "var/demo"), 0);
	snprintf(want, sizeof(want), "%s/var/demo", strcmp(cwd, "/") ? cwd : "");
	ck_assert_str_eq(in.dir, want);
	ck_assert_int_eq(in.routes[0], '/');
	instance_free(&in);
}
END_TEST

START_TEST(config_loads_with_values)
{
	struct instance in;
	struct instance_opts o = { "dom.example", "mx.dom.example", 20000, "pt-" };
	struct config *c;
	char *text = NULL, err[512];
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(instance_init(&in, "/srv/x"), 0);
	f = open_memstream(&text, &len);
	instance_write_config(f, &in, &o);
	fclose(f);
	c = config_parse("postern.conf", text, len, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(config_str(c, "queue_dir"), "/srv/x/queue");
	ck_assert_str_eq(config_str(c, "tls_key"), "/srv/x/etc/tls/key.pem");
	ck_assert_str_eq(config_str(c, "domains_file"), "/srv/x/etc/domains");
	ck_assert_str_eq(config_str(c, "hostname"), "mx.dom.example");
	ck_assert_str_eq(config_str(c, "user_prefix"), "pt-");
	ck_assert_int_eq(config_int(c, "port_base"), 20000);
	ck_assert(config_is_set(c, "port_base"));
	/* Keys the instance does not set stay at their default, unset. */
	ck_assert(!config_is_set(c, "uid_min"));
	ck_assert_int_eq(config_int(c, "uid_min"), 10000);
	ck_assert_ptr_nonnull(strstr(text, "\n#uid_min = 10000\n"));
	config_free(c);
	free(text);
	instance_free(&in);
}
END_TEST

START_TEST(config_defaults_left_alone)
{
	struct instance in;
	struct instance_opts o = { NULL, NULL, -1, NULL };
	char num[32];

	ck_assert_int_eq(instance_init(&in, "/i"), 0);
	ck_assert_ptr_null(instance_config_value(&in, &o, "hostname", num, sizeof(num)));
	ck_assert_ptr_null(instance_config_value(&in, &o, "port_base", num, sizeof(num)));
	ck_assert_ptr_null(instance_config_value(&in, &o, "user_prefix", num, sizeof(num)));
	ck_assert_str_eq(instance_config_value(&in, &o, "mail_dir", num, sizeof(num)), "/i/mail");
	o.port_base = 0;
	ck_assert_str_eq(instance_config_value(&in, &o, "port_base", num, sizeof(num)), "0");
	instance_free(&in);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("instance");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, paths_absolute_and_normalised);
	tcase_add_test(tc, relative_dir);
	tcase_add_test(tc, config_loads_with_values);
	tcase_add_test(tc, config_defaults_left_alone);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
