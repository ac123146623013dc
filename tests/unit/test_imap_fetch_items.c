/* test_imap_fetch_items.c: unit tests for imapd/imap_fetch_items.c: FETCH
 * data item names, macros (only alone), section atoms with their section
 * spec, partial <origin.count> and response names, BINARY forms, and the
 * bound on the number of items. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "imap_fetch_items.h"

static struct imap_cmd *
read_cmd(const char *args)
{
	char line[4096], tag[80], reason[200];
	struct imap_limits lim;
	struct imap_cmd *cmd = NULL;
	int devnull = open("/dev/null", O_WRONLY), r;
	struct io *io = io_new(-1, devnull, 1000);

	snprintf(line, sizeof(line), "a FETCH 1 %s\r\n", args);
	io_unread(io, line, strlen(line));
	io->in_eof = 1;
	imap_limits_default(&lim);
	r = imap_read_command(io, &lim, 1, &cmd, tag, sizeof(tag), reason,
	    sizeof(reason));
	io_free(io);
	close(devnull);
	/* the reader itself refuses some malformed section atoms */
	return r == IMAP_READ_OK ? cmd : NULL;
}

/* Parse the items after "FETCH 1": -1 or the count, r filled. */
static int
items(const char *args, struct freq *r)
{
	struct imap_cmd *cmd = read_cmd(args);
	const struct imap_arg *a;
	size_t i;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (cmd == NULL)
		return -1;
	a = &cmd->args[1];
	if (a->type == IMAP_ARG_LIST) {
		for (i = 0; i < a->count && rc == 0; i++)
			rc = imap_fetch_item_parse(r, &a->list[i], 0);
	} else
		rc = imap_fetch_item_parse(r, a, 1);
	imap_cmd_free(cmd);
	if (rc < 0) {
		imap_fetch_items_free(r);
		return -1;
	}
	return (int)r->n;
}

static struct freq r;

START_TEST(simple)
{
	ck_assert_int_eq(items("(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE MODSEQ)", &r), 8);
	ck_assert_int_eq(r.items[0].kind, F_UID);
	ck_assert_int_eq(r.items[7].kind, F_MODSEQ);
	ck_assert(r.need_cache);
	ck_assert(!r.need_msg);
	ck_assert(!r.sets_seen);
	imap_fetch_items_free(&r);
	ck_assert_int_eq(items("(rfc822.header)", &r), 1);
	ck_assert(r.need_msg && !r.sets_seen);
	imap_fetch_items_free(&r);
	ck_assert_int_eq(items("RFC822", &r), 1);
	ck_assert(r.sets_seen);
	imap_fetch_items_free(&r);
	ck_assert_int_eq(items("RFC822.TEXT", &r), 1);
	ck_assert(r.sets_seen);
	imap_fetch_items_free(&r);
	ck_assert_int_eq(items("(NOSUCH)", &r), -1);
	ck_assert_int_eq(items("\"FLAGS\"", &r), -1);
	ck_assert_int_eq(items("(BODY.PEEK)", &r), -1);
}
END_TEST

START_TEST(macros)
{
	ck_assert_int_eq(items("FAST", &r), 3);
	ck_assert(!r.need_cache);
	imap_fetch_items_free(&r);
	ck_assert_int_eq(items("ALL", &r), 4);
	ck_assert_int_eq(r.items[3].kind, F_ENVELOPE);
	imap_fetch_items_free(&r);
	ck_assert_int_eq(items("full", &r), 5);
	ck_assert_int_eq(r.items[4].kind, F_BODY);
	imap_fetch_items_free(&r);
	ck_assert_int_eq(items("(ALL)", &r), -1);
	ck_assert_int_eq(items("(FLAGS FAST)", &r), -1);
}
END_TEST

START_TEST(sections)
{
	ck_assert_int_eq(items("BODY[]", &r), 1);
	ck_assert_int_eq(r.items[0].kind, F_SECTION);
	ck_assert_str_eq(r.items[0].name, "BODY[]");
	ck_assert(r.sets_seen && r.need_msg);
	imap_fetch_items_free(&r);

	ck_assert_int_eq(items("BODY.PEEK[1.2.HEADER.FIELDS (FROM TO)]<0.10>", &r), 1);
	ck_assert_str_eq(r.items[0].name, "BODY[1.2.HEADER.FIELDS (FROM TO)]<0>");
	ck_assert(!r.sets_seen);
	ck_assert(r.items[0].partial);
	ck_assert_uint_eq(r.items[0].origin, 0);
	ck_assert_uint_eq(r.items[0].count, 10);
	ck_assert_uint_eq(r.items[0].sec.nnums, 2);
	ck_assert_int_eq(r.items[0].sec.kind, IMAP_SECTION_HEADER_FIELDS);
	ck_assert_uint_eq(r.items[0].sec.nfields, 2);
	imap_fetch_items_free(&r);

	ck_assert_int_eq(items("(BODY.PEEK[TEXT]<5.7> BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS.NOT (X)])", &r), 3);
	ck_assert_str_eq(r.items[0].name, "BODY[TEXT]<5>");
	ck_assert_uint_eq(r.items[0].origin, 5);
	ck_assert_int_eq(r.items[1].sec.kind, IMAP_SECTION_MIME);
	ck_assert_int_eq(r.items[2].sec.kind, IMAP_SECTION_HEADER_FIELDS_NOT);
	imap_fetch_items_free(&r);

	ck_assert_int_eq(items("BODY[1]<0.0>", &r), -1);
	ck_assert_int_eq(items("BODY[1]<0>", &r), -1);
	ck_assert_int_eq(items("BODY[1]<.5>", &r), -1);
	ck_assert_int_eq(items("BODY[1]<5.>", &r), -1);
	ck_assert_int_eq(items("BODY[1]<5.5>x", &r), -1);
	ck_assert_int_eq(items("BODY[1]<99999999999.5>", &r), -1);
	ck_assert_int_eq(items("BODY[HEADER.FIELDS]", &r), -1);
	ck_assert_int_eq(items("BODY[0]", &r), -1);
	ck_assert_int_eq(items("BODY[x]", &r), -1);
	ck_assert_int_eq(items("BODY[1", &r), -1);
	ck_assert_int_eq(items("BODYX[1]", &r), -1);
}
END_TEST

START_TEST(binary)
{
	ck_assert_int_eq(items("(BINARY[1] BINARY.PEEK[2.1]<1.2> BINARY.SIZE[3])", &r), 3);
	ck_assert_int_eq(r.items[0].kind, F_BINARY);
	ck_assert(!r.items[0].peek);
	ck_assert_str_eq(r.items[0].name, "BINARY[1]");
	ck_assert(r.items[1].peek);
	ck_assert_str_eq(r.items[1].name, "BINARY[2.1]<1>");
	ck_assert_int_eq(r.items[2].kind, F_BINARY_SIZE);
	ck_assert_str_eq(r.items[2].name, "BINARY.SIZE[3]");
	ck_assert(r.sets_seen);
	imap_fetch_items_free(&r);
	ck_assert_int_eq(items("BINARY[1.MIME]", &r), -1);
	ck_assert_int_eq(items("BINARY[HEADER]", &r), -1);
	ck_assert_int_eq(items("BINARY.SIZE[1]<0.1>", &r), -1);
}
END_TEST

START_TEST(bounded)
{
	char buf[2048] = "(";
	int i;

	for (i = 0; i < FETCH_MAX_ITEMS; i++)
		strcat(buf, "UID ");
	strcat(buf, "UID)");
	ck_assert_int_eq(items(buf, &r), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap_fetch_items");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, simple);
	tcase_add_test(tc, macros);
	tcase_add_test(tc, sections);
	tcase_add_test(tc, binary);
	tcase_add_test(tc, bounded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
