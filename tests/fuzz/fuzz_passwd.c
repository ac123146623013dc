/* fuzz_passwd.c: libFuzzer harness for the passwd-file parser, the
 * hash-free user list parser and the checkpassword fd-3 record parser
 * (files and a pipe are untrusted input too). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "checkpw.h"
#include "passwd.h"
#include "userlist.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char err[256];
	struct checkpw_record r;

	struct passwd_file *pf = passwd_parse("f", p, size, err, sizeof(err));
	if (pf == NULL) {
		if (strncmp(err, "f:", 2) != 0)
			abort();
	} else {
		for (size_t i = 0; i < passwd_count(pf); i++) {
			const struct passwd_entry *e = passwd_at(pf, i);
			if (passwd_lookup(pf, e->name, strlen(e->name)) != e)
				abort();
			if (e->home[0] != '/')
				abort();
		}
		/* what we write back parses to the same number of users */
		struct buf b = BUF_INIT;
		passwd_format(pf, &b);
		struct passwd_file *again = passwd_parse("g", b.p ? b.p : "", b.len, err, sizeof(err));
		if (again == NULL || passwd_count(again) != passwd_count(pf))
			abort();
		passwd_free(again);
		buf_reset(&b);
		userlist_format(pf, &b);
		struct userlist *ul = userlist_parse("u", b.p, b.len, err, sizeof(err));
		if (ul == NULL || userlist_count(ul) != passwd_count(pf))
			abort();
		userlist_free(ul);
		buf_free(&b);
		passwd_free(pf);
	}

	struct userlist *ul = userlist_parse("u", p, size, err, sizeof(err));
	if (ul) {
		for (size_t i = 0; i < userlist_count(ul); i++) {
			const struct userlist_entry *e = userlist_at(ul, i);
			if (userlist_lookup(ul, e->name, strlen(e->name)) != e)
				abort();
		}
		userlist_free(ul);
	}

	if (checkpw_parse(p, size, &r) == 0) {
		if (size > CHECKPW_MAX || r.user + r.user_len >= p + size)
			abort();
		struct buf b = BUF_INIT;
		if (checkpw_build(&b, r.user, r.user_len, r.password, r.password_len,
		    r.timestamp, r.timestamp_len) != 0)
			abort();
		buf_free(&b);
	}
	return 0;
}
