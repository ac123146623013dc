/* test_routes.c: unit tests for common/routes.c (routes table, secrets). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "routes.h"

static struct routes *
parse(const char *s, char *err)
{
	return routes_parse("routes", s, strlen(s), err, 256);
}

START_TEST(parse_and_lookup)
{
	char err[256];
	struct routes *rt = parse(
	    "# comment\n"
	    "example.net [127.0.0.1]:2526\n"
	    ".sub.example.org relay.example.com:587 tls=must ca=/etc/ca.pem\n"
	    "x.sub.example.org [::1]:25 tls=none\n"
	    "v6.test [IPv6:2001:db8::1]\n"
	    "* [smart.example.com]:465 auth=smart tls=must\n", err);
	const struct route *r;

	ck_assert_ptr_nonnull(rt);
	ck_assert_uint_eq(rt->n, 5);
	r = routes_lookup(rt, "EXAMPLE.net", 11);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->host, "127.0.0.1");
	ck_assert_uint_eq(r->port, 2526);
	ck_assert_int_eq(r->no_mx, 1);
	ck_assert_int_eq(r->tls, ROUTE_TLS_MAY);
	ck_assert_uint_eq(r->line, 2);
	/* trailing dot */
	ck_assert_ptr_eq(routes_lookup(rt, "example.net.", 12), r);
	r = routes_lookup(rt, "a.b.sub.example.org", 19);
	ck_assert_str_eq(r->host, "relay.example.com");
	ck_assert_int_eq(r->no_mx, 0);
	ck_assert_uint_eq(r->port, 587);
	ck_assert_int_eq(r->tls, ROUTE_TLS_MUST);
	ck_assert_str_eq(r->ca_file, "/etc/ca.pem");
	/* exact beats subdomain */
	r = routes_lookup(rt, "x.sub.example.org", 17);
	ck_assert_str_eq(r->host, "::1");
	ck_assert_int_eq(r->tls, ROUTE_TLS_NONE);
	r = routes_lookup(rt, "v6.test", 7);
	ck_assert_str_eq(r->host, "2001:db8::1");
	ck_assert_uint_eq(r->port, 0);
	/* the subdomain entry does not match the bare domain: smarthost */
	r = routes_lookup(rt, "sub.example.org", 15);
	ck_assert_str_eq(r->domain, "*");
	ck_assert_str_eq(r->auth, "smart");
	ck_assert_uint_eq(r->port, 465);
	routes_free(rt);

	rt = parse("example.net [127.0.0.1]\n", err);
	ck_assert_ptr_null(routes_lookup(rt, "other.net", 9));
	ck_assert_ptr_null(routes_lookup(rt, "xexample.net", 12));
	routes_free(rt);
}
END_TEST

START_TEST(errors)
{
	char err[256];
	const char *bad[] = {
		"example.net\n",
		"example.net [127.0.0.1]:0\n",
		"example.net [127.0.0.1]:70000\n",
		"example.net [127.0.0.1]:25x\n",
		"example.net [127.0.0.1\n",
		"example.net []:25\n",
		"example.net host:25:26\n",
		"example.net [1.2.3.4] tls=sometimes\n",
		"example.net [1.2.3.4] auth=a auth=b\n",
		"example.net [1.2.3.4] ca=relative.pem\n",
		"exa/mple.net [1.2.3.4]\n",
		"example.net [a b]\n",
		"example.net [x]junk\n",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct routes *rt = parse(bad[i], err);
		ck_assert_msg(rt == NULL, "accepted: %s", bad[i]);
		ck_assert_msg(strstr(err, "routes:1:") != NULL, "err: %s", err);
	}
	ck_assert_ptr_nonnull(strstr(err, "routes:1"));
}
END_TEST

START_TEST(load_file)
{
	char dir[] = "/tmp/test_routesXXXXXX", path[256], err[256];
	struct routes *rt;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/routes", dir);
	/* missing: empty */
	rt = routes_load(path, err, sizeof err);
	ck_assert_ptr_nonnull(rt);
	ck_assert_uint_eq(rt->n, 0);
	routes_free(rt);
	f = fopen(path, "w");
	fputs("\n# x\n\nexample.net [127.0.0.1]:2526\nbad\n", f);
	fclose(f);
	rt = routes_load(path, err, sizeof err);
	ck_assert_ptr_null(rt);
	ck_assert_msg(strstr(err, "routes:5:") != NULL, "err: %s", err);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(secrets)
{
	char dir[] = "/tmp/test_secretsXXXXXX", path[256], err[256];
	const char *text = "smart alice s3cret with spaces\nother bob pw\n";
	struct secrets *s;
	const struct secret *x;
	int fd;

	s = secrets_parse("secrets", text, strlen(text), err, sizeof err);
	ck_assert_ptr_nonnull(s);
	x = secrets_lookup(s, "smart");
	ck_assert_str_eq(x->user, "alice");
	ck_assert_str_eq(x->password, "s3cret with spaces");
	ck_assert_str_eq(secrets_lookup(s, "other")->password, "pw");
	ck_assert_ptr_null(secrets_lookup(s, "none"));
	secrets_free(s);
	ck_assert_ptr_null(secrets_parse("secrets", "smart alice\n", 12, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "secrets:1"));

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/secrets", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, 0644);
	ck_assert_ptr_null(secrets_load(path, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "group or others"));
	chmod(path, 0600);
	s = secrets_load(path, err, sizeof err);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(secrets_lookup(s, "smart")->user, "alice");
	secrets_free(s);
	unlink(path);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_and_lookup);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, load_file);
	tcase_add_test(tc, secrets);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
