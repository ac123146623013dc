/* fuzz_uidlist.c: libFuzzer harness for the foreign UID list readers
 * (dovecot-uidlist v1/v3, courierimapuiddb, dovecot-keywords) and the
 * maildirsize parser: all read files other software wrote. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "maildir_import.h"
#include "quota.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Copy to an exact-size buffer so that any over-read is caught. */
	char *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	struct maildir_import im = { 0 };
	if (maildir_import_parse_uidlist(p, size, &im) == 0) {
		maildir_import_index(&im);
		for (size_t i = 0; i < im.count; i++) {
			const struct maildir_import_entry *e =
			    maildir_import_find(&im, im.entries[i].base, im.entries[i].base_len);
			if (!e || e->base_len != im.entries[i].base_len)
				abort();
			if (i && im.entries[i].uid <= im.entries[i - 1].uid)
				abort();
			if (im.entries[i].uid >= im.next_uid && im.next_uid != UINT32_MAX)
				abort();
		}
	}
	maildir_import_parse_keywords(p, size, &im);
	maildir_import_free(&im);
	struct quota q;
	quota_parse(p, size, &q);
	free(p);
	return 0;
}
