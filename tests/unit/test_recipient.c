/* test_recipient.c: unit tests for common/recipient.c (local recipient
 * resolution over domains, user list and aliases). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "recipient.h"

static const char DOMAINS[] =
	"# local domains\n"
	"example.org\n"
	"Example.NET\n"
	"[192.0.2.1]\n";
static const char USERS[] =
	"admin:10000:10000:/m/admin:0:0\n"
	"joe:10001:10001:/m/joe:1000:10\n"
	"ann@example.net:10002:10002:/m/ann:0:0\n"
	"Bob:10003:10003:/m/bob:0:0\n"
	"a+b:10004:10004:/m/aplusb:0:0\n"
	"carl:10005:10005:/m/carl:0:0\n";
static const char ALIASES[] =
	"info: joe, ann@example.net\n"
	"sales@example.org: bob, Friend@Remote.example\n"
	"keep: keep, keep@elsewhere.example\n"
	"Upper: JOE\n"
	"loop1: loop2\n"
	"loop2: loop1\n"
	"ghost: nobody\n"
	"chain1: chain2\n" "chain2: chain3\n" "chain3: chain4\n" "chain4: joe\n"
	"dup: joe, joe, info\n"
	"carl: keep\n";

static struct recipient_tables *
tables(const struct recipient_settings *s)
{
	char err[256];
	struct recipient_tables *t = recipient_tables_parse(DOMAINS, sizeof(DOMAINS) - 1,
	    USERS, sizeof(USERS) - 1, ALIASES, sizeof(ALIASES) - 1, s, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	return t;
}

static enum recipient_status
res(struct recipient_tables *t, const char *a, struct recipient_list *l)
{
	const char *why = NULL;
	memset(l, 0, sizeof(*l));
	enum recipient_status r = recipient_resolve(t, a, strlen(a), l, &why);
	ck_assert_ptr_nonnull(why);
	return r;
}

START_TEST(domains)
{
	struct recipient_tables *t = tables(NULL);
	ck_assert(recipient_domain_is_local(t, "example.org", 11));
	ck_assert(recipient_domain_is_local(t, "EXAMPLE.org", 11));
	ck_assert(recipient_domain_is_local(t, "example.net", 11));
	ck_assert(recipient_domain_is_local(t, "[192.0.2.1]", 11));
	ck_assert(!recipient_domain_is_local(t, "sub.example.org", 15));
	ck_assert(!recipient_domain_is_local(t, "example.org.", 12));
	ck_assert(!recipient_domain_is_local(t, "", 0));
	struct recipient_list l;
	ck_assert_int_eq(res(t, "joe@remote.example", &l), RECIPIENT_NOT_LOCAL);
	ck_assert_uint_eq(l.n, 0);
	recipient_tables_free(t);
}
END_TEST

START_TEST(users)
{
	struct recipient_tables *t = tables(NULL);
	struct recipient_list l;
	ck_assert_int_eq(res(t, "joe@example.org", &l), RECIPIENT_FOUND);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.t[0].kind, RECIPIENT_LOCAL_USER);
	ck_assert_str_eq(l.t[0].user, "joe");
	ck_assert_uint_eq(l.t[0].uid, 10001);
	ck_assert_uint_eq(l.t[0].gid, 10001);
	ck_assert_str_eq(l.t[0].home, "/m/joe");
	ck_assert_uint_eq(l.t[0].quota_bytes, 1000);
	ck_assert_uint_eq(l.t[0].quota_messages, 10);
	ck_assert_ptr_null(l.t[0].extension);
	recipient_list_free(&l);
	/* bare user: any local domain; case-insensitive */
	ck_assert_int_eq(res(t, "JOE@Example.NET", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].user, "joe");
	recipient_list_free(&l);
	ck_assert_int_eq(res(t, "bob@example.org", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].user, "Bob");
	recipient_list_free(&l);
	/* full-address user only in its own domain */
	ck_assert_int_eq(res(t, "Ann@example.net", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].user, "ann@example.net");
	recipient_list_free(&l);
	ck_assert_int_eq(res(t, "ann@example.org", &l), RECIPIENT_UNKNOWN);
	ck_assert_int_eq(res(t, "nobody@example.org", &l), RECIPIENT_UNKNOWN);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(res(t, "joe@[192.0.2.1]", &l), RECIPIENT_FOUND);
	recipient_list_free(&l);
	recipient_tables_free(t);
}
END_TEST

START_TEST(extensions)
{
	struct recipient_tables *t = tables(NULL);
	struct recipient_list l;
	ck_assert_int_eq(res(t, "joe+Lists@example.org", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].user, "joe");
	ck_assert_str_eq(l.t[0].extension, "Lists");
	recipient_list_free(&l);
	ck_assert_int_eq(res(t, "joe+a+b@example.org", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].extension, "a+b");
	recipient_list_free(&l);
	/* a user literally named a+b wins over user a with extension b */
	ck_assert_int_eq(res(t, "a+b@example.org", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].user, "a+b");
	ck_assert_ptr_null(l.t[0].extension);
	recipient_list_free(&l);
	ck_assert_int_eq(res(t, "+joe@example.org", &l), RECIPIENT_UNKNOWN);
	ck_assert_int_eq(res(t, "nobody+x@example.org", &l), RECIPIENT_UNKNOWN);
	/* extension of an alias: the alias expands */
	ck_assert_int_eq(res(t, "info+x@example.org", &l), RECIPIENT_FOUND);
	ck_assert_uint_eq(l.n, 2);
	recipient_list_free(&l);
	recipient_tables_free(t);

	struct recipient_settings s = { .delimiter = "-." };
	t = tables(&s);
	ck_assert_int_eq(res(t, "joe-x@example.org", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].extension, "x");
	recipient_list_free(&l);
	ck_assert_int_eq(res(t, "joe.y@example.org", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].extension, "y");
	recipient_list_free(&l);
	ck_assert_int_eq(res(t, "joe+x@example.org", &l), RECIPIENT_UNKNOWN);
	recipient_tables_free(t);

	s.delimiter = "";
	t = tables(&s);
	ck_assert_int_eq(res(t, "joe+x@example.org", &l), RECIPIENT_UNKNOWN);
	recipient_tables_free(t);
}
END_TEST

static int
has_user(const struct recipient_list *l, const char *u)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->t[i].kind == RECIPIENT_LOCAL_USER && strcmp(l->t[i].user, u) == 0)
			return 1;
	return 0;
}

static int
has_fwd(const struct recipient_list *l, const char *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->t[i].kind == RECIPIENT_FORWARD && strcmp(l->t[i].address, a) == 0)
			return 1;
	return 0;
}

START_TEST(aliases)
{
	struct recipient_tables *t = tables(NULL);
	struct recipient_list l;
	ck_assert_int_eq(res(t, "Info@example.org", &l), RECIPIENT_FOUND);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(has_user(&l, "joe"));
	ck_assert(has_user(&l, "ann@example.net"));
	recipient_list_free(&l);
	/* alias with domain applies only there */
	ck_assert_int_eq(res(t, "sales@example.org", &l), RECIPIENT_FOUND);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(has_user(&l, "Bob"));
	ck_assert(has_fwd(&l, "Friend@remote.example"));  /* local part keeps its case */
	recipient_list_free(&l);
	ck_assert_int_eq(res(t, "sales@example.net", &l), RECIPIENT_UNKNOWN);
	/* self-reference keeps a copy: keep is not a user -> unknown target */
	ck_assert_int_eq(res(t, "keep@example.org", &l), RECIPIENT_UNKNOWN);
	/* carl -> keep -> keep (no user) : unknown as well */
	ck_assert_int_eq(res(t, "loop1@example.org", &l), RECIPIENT_LOOP);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(res(t, "ghost@example.org", &l), RECIPIENT_UNKNOWN);
	ck_assert_int_eq(res(t, "chain1@example.org", &l), RECIPIENT_FOUND);
	ck_assert(has_user(&l, "joe"));
	recipient_list_free(&l);
	/* keys and bare targets ignore case */
	ck_assert_int_eq(res(t, "uPPer@example.org", &l), RECIPIENT_FOUND);
	ck_assert(has_user(&l, "joe"));
	recipient_list_free(&l);
	/* duplicates removed */
	ck_assert_int_eq(res(t, "dup@example.org", &l), RECIPIENT_FOUND);
	ck_assert_uint_eq(l.n, 2);
	recipient_list_free(&l);
	recipient_tables_free(t);

	struct recipient_settings s = { .alias_max_depth = 3 };
	t = tables(&s);
	ck_assert_int_eq(res(t, "chain1@example.org", &l), RECIPIENT_LOOP);
	ck_assert_int_eq(res(t, "chain2@example.org", &l), RECIPIENT_FOUND);
	recipient_list_free(&l);
	recipient_tables_free(t);

	s.alias_max_depth = 0;
	s.alias_max_targets = 1;
	t = tables(&s);
	ck_assert_int_eq(res(t, "info@example.org", &l), RECIPIENT_TOO_MANY);
	ck_assert_uint_eq(l.n, 0);
	recipient_tables_free(t);
}
END_TEST

START_TEST(self_alias_keeps_copy)
{
	const char a[] = "joe: joe, joe@elsewhere.example\n";
	char err[256];
	struct recipient_tables *t = recipient_tables_parse(DOMAINS, sizeof(DOMAINS) - 1,
	    USERS, sizeof(USERS) - 1, a, sizeof(a) - 1, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	struct recipient_list l;
	ck_assert_int_eq(res(t, "joe@example.org", &l), RECIPIENT_FOUND);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(has_user(&l, "joe"));
	ck_assert(has_fwd(&l, "joe@elsewhere.example"));
	recipient_list_free(&l);
	recipient_tables_free(t);
}
END_TEST

START_TEST(exponential_aliases_bounded)
{
	struct {
		char s[4096];
	} a;
	size_t o = 0;
	/* a0: a1, a1 ... each level doubles: 2^30 paths without a work cap */
	for (int i = 0; i < 30; i++)
		o += (size_t)snprintf(a.s + o, sizeof(a.s) - o, "a%d: a%d, a%d+x, a%d\n", i, i + 1, i + 1, i + 1);
	o += (size_t)snprintf(a.s + o, sizeof(a.s) - o, "a30: joe\n");
	struct recipient_settings s = { .alias_max_depth = 100 };
	char err[256];
	struct recipient_tables *t = recipient_tables_parse(DOMAINS, sizeof(DOMAINS) - 1,
	    USERS, sizeof(USERS) - 1, a.s, o, &s, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	struct recipient_list l;
	ck_assert_int_eq(res(t, "a0@example.org", &l), RECIPIENT_TOO_MANY);
	recipient_tables_free(t);
}
END_TEST

START_TEST(postmaster)
{
	struct recipient_tables *t = tables(NULL);
	struct recipient_list l;
	/* no alias, no user: the first user */
	ck_assert_int_eq(res(t, "postmaster", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].user, "admin");
	recipient_list_free(&l);
	ck_assert_int_eq(res(t, "PostMaster@example.net", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].user, "admin");
	recipient_list_free(&l);
	recipient_tables_free(t);

	struct recipient_settings s = { .postmaster = "carl@example.org" };
	t = tables(&s);
	/* carl is an alias -> keep -> unknown: postmaster follows it */
	ck_assert_int_eq(res(t, "postmaster", &l), RECIPIENT_UNKNOWN);
	recipient_tables_free(t);
	s.postmaster = "Ops@Remote.Example";
	t = tables(&s);
	ck_assert_int_eq(res(t, "postmaster@example.org", &l), RECIPIENT_FOUND);
	ck_assert(has_fwd(&l, "Ops@remote.example"));
	recipient_list_free(&l);
	recipient_tables_free(t);
	/* a postmaster that points back at postmaster is a loop, not a hang */
	s.postmaster = "postmaster@example.org";
	t = tables(&s);
	ck_assert_int_eq(res(t, "postmaster", &l), RECIPIENT_LOOP);
	recipient_tables_free(t);
}
END_TEST

START_TEST(hostile_addresses)
{
	struct recipient_tables *t = tables(NULL);
	struct recipient_list l;
	ck_assert_int_eq(res(t, "joe\r\n@example.org", &l), RECIPIENT_BAD_ADDRESS);
	ck_assert_int_eq(res(t, "joe", &l), RECIPIENT_BAD_ADDRESS);
	ck_assert_int_eq(res(t, "", &l), RECIPIENT_BAD_ADDRESS);
	const char *why;
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(recipient_resolve(t, "joe@example.org\0x", 17, &l, &why),
	    RECIPIENT_BAD_ADDRESS);
	/* quoted local parts resolve by value */
	ck_assert_int_eq(res(t, "\"joe\"@example.org", &l), RECIPIENT_FOUND);
	recipient_list_free(&l);
	recipient_tables_free(t);
}
END_TEST

static void
bad_tables(const char *d, const char *u, const char *a)
{
	char err[256] = "";
	struct recipient_tables *t = recipient_tables_parse(d, strlen(d), u, strlen(u),
	    a, strlen(a), NULL, err, sizeof(err));
	ck_assert_msg(t == NULL, "accepted %s|%s|%s", d, u, a);
	ck_assert_uint_gt(strlen(err), 0);
}

START_TEST(bad_table_files)
{
	bad_tables("exa mple.org\n", "", "");
	bad_tables("-x.org\n", "", "");
	bad_tables("example.org\n", "", "info joe\n");
	bad_tables("example.org\n", "", "info:\n");
	bad_tables("example.org\n", "", "info: joe,\n");
	bad_tables("example.org\n", "", "info: |/bin/sh\n");
	bad_tables("example.org\n", "", "info: /etc/passwd\n");
	bad_tables("example.org\n", "", "info: joe\nINFO: ann\n");
	bad_tables("example.org\n", "", "in fo: joe\n");
	bad_tables("example.org\n", "", "info: a@b@c\n");
	bad_tables("example.org\n", "bad line\n", "");
	char err[256];
	struct recipient_settings s = { .delimiter = "@" };
	ck_assert_ptr_null(recipient_tables_parse("", 0, "", 0, "", 0, &s, err, sizeof(err)));
	s.delimiter = "+";
	s.postmaster = "not an address";
	ck_assert_ptr_null(recipient_tables_parse("", 0, "", 0, "", 0, &s, err, sizeof(err)));
}
END_TEST

START_TEST(from_config)
{
	char dir[] = "/tmp/test_recipient.XXXXXX";
	char path[512], conf[2048], err[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	FILE *f;
	snprintf(path, sizeof(path), "%s/domains", dir);
	f = fopen(path, "w"); fputs(DOMAINS, f); fclose(f);
	snprintf(path, sizeof(path), "%s/users", dir);
	f = fopen(path, "w"); fputs(USERS, f); fclose(f);
	snprintf(path, sizeof(path), "%s/aliases", dir);
	f = fopen(path, "w"); fputs(ALIASES, f); fclose(f);
	int n = snprintf(conf, sizeof(conf),
	    "domains_file = %s/domains\nusers_file = %s/users\naliases_file = %s/aliases\n"
	    "recipient_delimiter = -\npostmaster = joe@example.org\nalias_max_depth = 5\n",
	    dir, dir, dir);
	struct config *c = config_parse("test.conf", conf, (size_t)n, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	struct recipient_tables *t = recipient_tables_load(c, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	struct recipient_list l;
	ck_assert_int_eq(res(t, "joe-x@example.org", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].extension, "x");
	recipient_list_free(&l);
	ck_assert_int_eq(res(t, "postmaster", &l), RECIPIENT_FOUND);
	ck_assert_str_eq(l.t[0].user, "joe");
	recipient_list_free(&l);
	recipient_tables_free(t);
	config_free(c);
	/* defaults: no files at all is an empty set of tables */
	c = config_defaults();
	t = recipient_tables_load(c, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_int_eq(res(t, "joe@example.org", &l), RECIPIENT_NOT_LOCAL);
	recipient_tables_free(t);
	config_free(c);
	snprintf(path, sizeof(path), "%s/domains", dir); unlink(path);
	snprintf(path, sizeof(path), "%s/users", dir); unlink(path);
	snprintf(path, sizeof(path), "%s/aliases", dir); unlink(path);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("recipient");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, domains);
	tcase_add_test(tc, users);
	tcase_add_test(tc, extensions);
	tcase_add_test(tc, aliases);
	tcase_add_test(tc, self_alias_keeps_copy);
	tcase_add_test(tc, exponential_aliases_bounded);
	tcase_add_test(tc, postmaster);
	tcase_add_test(tc, hostile_addresses);
	tcase_add_test(tc, bad_table_files);
	tcase_add_test(tc, from_config);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
