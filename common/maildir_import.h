/* maildir_import.h: read the UID state other servers left in a Maildir
 * folder, so that clients keep their caches after a migration:
 *   dovecot-uidlist   version 1 ("1 <uidvalidity> <nextuid>", then
 *                     "<uid> <filename>") and version 3 ("3 V<uidvalidity>
 *                     N<nextuid> [G<guid>] ...", then
 *                     "<uid> [<key><value> ...] :<filename>"; the P key is
 *                     the POP3 UIDL)
 *   dovecot-keywords  "<number> <name>" lines, number 0-25 = letter a-z
 *   courierimapuiddb  Courier IMAP, same layout as uidlist version 1
 * Every file is untrusted: sizes, counts and line lengths are bounded, bad
 * lines are skipped, UIDs must be in 1..2^32-1 and below next UID (which
 * is raised when needed; a list whose next UID ends up above
 * MAILDIR_IMPORT_UID_MAX is refused), a duplicate UID keeps one entry, a
 * duplicate name its lowest UID. */
#ifndef POSTERN_MAILDIR_IMPORT_H
#define POSTERN_MAILDIR_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include "maildir.h"

#define MAILDIR_IMPORT_MAX_BYTES (64u << 20)
#define MAILDIR_IMPORT_MAX_ENTRIES 2000000
#define MAILDIR_IMPORT_LINE_MAX 8192
#define MAILDIR_IMPORT_UID_MAX 0x7fffffffu   /* larger next UID: not imported */

struct maildir_import_entry {
	uint32_t uid;
	char *base;            /* file name base (up to ':'), NUL-terminated */
	size_t base_len;
	char *pop3_uidl;       /* Dovecot P field, or NULL */
};

struct maildir_import {
	uint32_t uidvalidity;  /* 0 when nothing was imported */
	uint32_t next_uid;
	struct maildir_import_entry *entries;   /* sorted by UID */
	size_t count;
	char *keywords[MAILDIR_KEYWORDS_MAX];
	const char *source;    /* "dovecot-uidlist", "courierimapuiddb", NULL */
	struct maildir_import_entry **by_base;   /* private: lookup order */
};

/* Parse a uid list (dovecot-uidlist v1/v3 or courierimapuiddb) from memory
 * into im (entries appended, header fields set).  0 ok, -1 when the header
 * is not understood (im stays empty). */
int maildir_import_parse_uidlist(const char *p, size_t len,
    struct maildir_import *im);
/* Parse dovecot-keywords contents into im->keywords.  Returns count. */
int maildir_import_parse_keywords(const char *p, size_t len,
    struct maildir_import *im);
/* Read whatever of the three files exists in dir (dovecot-uidlist first,
 * then courierimapuiddb).  Returns 1 when UIDs were imported, 0 when there
 * was nothing usable, -1 on a read error (errno). */
int maildir_import_dir(const char *dir, struct maildir_import *im);
/* Find an imported entry by base name (binary search after
 * maildir_import_index()); NULL if absent. */
void maildir_import_index(struct maildir_import *im);
const struct maildir_import_entry *maildir_import_find(
    const struct maildir_import *im, const char *base, size_t len);
void maildir_import_free(struct maildir_import *im);

#endif
