/* test_pop3_cmd.c: unit tests for pop3d/pop3_cmd.c (the POP3 command
 * parser) and pop3d/pop3_reply.c (the reply table and CAPA list). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pop3.h"

static enum pop3_parse_status
parse(const char *s, struct pop3_cmd *c)
{
	return pop3_parse(s, strlen(s), c);
}

START_TEST(simple_commands)
{
	struct pop3_cmd c;
	ck_assert_int_eq(parse("STAT\r\n", &c), POP3_PARSE_OK);
	ck_assert_int_eq(c.def->id, POP3_CMD_STAT);
	ck_assert_uint_eq(c.nargs, 0);
	ck_assert_int_eq(parse("quit", &c), POP3_PARSE_OK);
	ck_assert_int_eq(c.def->id, POP3_CMD_QUIT);
	ck_assert_int_eq(parse("cApA\n", &c), POP3_PARSE_OK);
	ck_assert_int_eq(c.def->id, POP3_CMD_CAPA);
	ck_assert_str_eq(c.name, "CAPA");
	ck_assert_int_eq(parse("STAT 1\r\n", &c), POP3_PARSE_BADARGS);
	ck_assert_int_eq(parse("\r\n", &c), POP3_PARSE_EMPTY);
	ck_assert_int_eq(parse("XYZZY\r\n", &c), POP3_PARSE_UNKNOWN);
	ck_assert_ptr_null(c.def);
	ck_assert_int_eq(parse("STATISTICS\r\n", &c), POP3_PARSE_UNKNOWN);
}
END_TEST

START_TEST(numbers)
{
	struct pop3_cmd c;
	ck_assert_int_eq(parse("RETR 1\r\n", &c), POP3_PARSE_OK);
	ck_assert_uint_eq(c.args[0].num, 1);
	ck_assert_int_eq(parse("LIST 999999999\r\n", &c), POP3_PARSE_OK);
	ck_assert_uint_eq(c.args[0].num, 999999999u);
	ck_assert_int_eq(parse("LIST\r\n", &c), POP3_PARSE_OK);
	ck_assert_uint_eq(c.nargs, 0);
	ck_assert_int_eq(parse("RETR 0\r\n", &c), POP3_PARSE_BADNUMBER);
	ck_assert_int_eq(parse("RETR 1000000000\r\n", &c), POP3_PARSE_BADNUMBER);
	ck_assert_int_eq(parse("RETR 99999999999999999999999999\r\n", &c), POP3_PARSE_BADNUMBER);
	ck_assert_int_eq(parse("RETR -1\r\n", &c), POP3_PARSE_BADNUMBER);
	ck_assert_int_eq(parse("RETR +1\r\n", &c), POP3_PARSE_BADNUMBER);
	ck_assert_int_eq(parse("RETR 1x\r\n", &c), POP3_PARSE_BADNUMBER);
	ck_assert_int_eq(parse("RETR\r\n", &c), POP3_PARSE_BADARGS);
	ck_assert_int_eq(parse("RETR 1 2\r\n", &c), POP3_PARSE_BADARGS);
	ck_assert_int_eq(parse("TOP 3 0\r\n", &c), POP3_PARSE_OK);
	ck_assert_uint_eq(c.args[0].num, 3);
	ck_assert_uint_eq(c.args[1].num, 0);
	ck_assert_int_eq(parse("TOP 0 3\r\n", &c), POP3_PARSE_BADNUMBER);
	ck_assert_int_eq(parse("TOP 3\r\n", &c), POP3_PARSE_BADARGS);
	ck_assert_int_eq(parse("UIDL 7\r\n", &c), POP3_PARSE_OK);
	ck_assert_uint_eq(c.args[0].num, 7);
	uint32_t v;
	ck_assert_int_eq(pop3_parse_number("4294967296", 10, UINT32_MAX, &v), -1);
	ck_assert_int_eq(pop3_parse_number("4294967295", 10, UINT32_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT32_MAX);
	ck_assert_int_eq(pop3_parse_number("", 0, 10, &v), -1);
}
END_TEST

START_TEST(pass_takes_rest)
{
	struct pop3_cmd c;
	ck_assert_int_eq(parse("PASS my secret  pass\r\n", &c), POP3_PARSE_OK);
	ck_assert_int_eq(c.def->id, POP3_CMD_PASS);
	ck_assert_uint_eq(c.args[0].len, 15);
	ck_assert_mem_eq(c.args[0].p, "my secret  pass", 15);
	ck_assert_int_eq(parse("PASS\r\n", &c), POP3_PARSE_BADARGS);
	ck_assert_int_eq(parse("USER alice@example.test\r\n", &c), POP3_PARSE_OK);
	ck_assert_uint_eq(c.args[0].len, 18);
	ck_assert_int_eq(parse("AUTH PLAIN AGFsaWNlAHB3\r\n", &c), POP3_PARSE_OK);
	ck_assert_uint_eq(c.nargs, 2);
	ck_assert_mem_eq(c.args[1].p, "AGFsaWNlAHB3", 12);
	ck_assert_int_eq(parse("AUTH\r\n", &c), POP3_PARSE_OK);
	ck_assert_uint_eq(c.nargs, 0);
	ck_assert_int_eq(parse("AUTH a b c\r\n", &c), POP3_PARSE_BADARGS);
}
END_TEST

START_TEST(control_characters)
{
	struct pop3_cmd c;
	ck_assert_int_eq(pop3_parse("STAT\0\r\n", 7, &c), POP3_PARSE_BADCHAR);
	ck_assert_int_eq(pop3_parse("PASS a\0b\r\n", 10, &c), POP3_PARSE_BADCHAR);
	ck_assert_int_eq(parse("LIST\t1\r\n", &c), POP3_PARSE_BADCHAR);
	ck_assert_int_eq(parse("LIST 1\r\r\n", &c), POP3_PARSE_BADCHAR);
}
END_TEST

START_TEST(never_reads_past)
{
	/* the parser gets exactly len bytes: copy into a tight allocation */
	const char *lines[] = { "RETR 12", "TOP 1 2", "PASS x", "LIST", "A", "" };
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t n = strlen(lines[i]);
		char *p = malloc(n ? n : 1);
		struct pop3_cmd c;
		memcpy(p, lines[i], n);
		(void)pop3_parse(p, n, &c);
		free(p);
	}
}
END_TEST

START_TEST(replies_and_capa)
{
	for (int i = 0; i < R_COUNT; i++) {
		const char *f = pop3_reply_format(i);
		size_t n = strlen(f);
		ck_assert(n >= 5);
		ck_assert(strncmp(f, "+OK", 3) == 0 || strncmp(f, "-ERR", 4) == 0);
		ck_assert_str_eq(f + n - 2, "\r\n");
	}
	ck_assert(strstr(pop3_reply_format(R_IN_USE), "[IN-USE]") != NULL);
	ck_assert(strstr(pop3_reply_format(R_PLAINTEXT_AUTH), "-ERR [AUTH]") != NULL);
	ck_assert(strstr(pop3_reply_format(R_PLAINTEXT_PERM), "-ERR [SYS/PERM]") != NULL);

	struct buf b = BUF_INIT;
	pop3_capa_write(&b, 0);
	const char *s = buf_cstr(&b);
	const char *want[] = { "TOP\r\n", "UIDL\r\n", "USER\r\n", "SASL PLAIN LOGIN\r\n",
		"RESP-CODES\r\n", "AUTH-RESP-CODE\r\n", "PIPELINING\r\n", "IMPLEMENTATION " };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(s, want[i]) != NULL, "missing %s", want[i]);
	ck_assert(strstr(s, "STLS") == NULL);
	buf_reset(&b);
	pop3_capa_write(&b, POP3_CAPA_PREAUTH | POP3_CAPA_STLS);
	s = buf_cstr(&b);
	ck_assert(strstr(s, "STLS\r\n") != NULL);
	ck_assert(strstr(s, "USER") == NULL);
	ck_assert(strstr(s, "SASL") == NULL);
	buf_reset(&b);
	pop3_capa_write(&b, POP3_CAPA_PREAUTH | POP3_CAPA_PLAINTEXT);
	s = buf_cstr(&b);
	ck_assert(strstr(s, "STLS") == NULL);
	ck_assert(strstr(s, "USER\r\n") != NULL);
	ck_assert(strstr(s, "SASL PLAIN LOGIN\r\n") != NULL);
	buf_free(&b);
}
END_TEST

START_TEST(table_is_consistent)
{
	for (const struct pop3_command *c = pop3_commands; c->name; c++) {
		ck_assert(c->min_args <= c->max_args);
		ck_assert(c->max_args <= 2);
		ck_assert(c->states != 0);
		ck_assert(strlen(c->name) < 8);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pop3_cmd");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, simple_commands);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, pass_takes_rest);
	tcase_add_test(tc, control_characters);
	tcase_add_test(tc, never_reads_past);
	tcase_add_test(tc, replies_and_capa);
	tcase_add_test(tc, table_is_consistent);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
