/* dotqmail.h: the per-user delivery rule file (qmail's .qmail idea), read
 * by postern-deliver as the recipient's uid from the user's home.
 *
 * File names: HOME/.postern for the bare address, HOME/.postern-EXT for
 * user+EXT (EXT lower-cased, '.' written as ':', as qmail does), falling
 * back to HOME/.postern-default and then HOME/.postern.  No file at all
 * means "deliver to HOME/Maildir/".
 *
 * One rule per line; blank lines and lines starting with '#' are skipped;
 * trailing spaces, tabs and CR are ignored.
 *     ./Maildir/  /abs/Maildir/   a Maildir (path ending in '/'; relative
 *                                 paths are relative to HOME)
 *     +Folder.Sub                 a folder of HOME/Maildir (Maildir++)
 *     |command                    pipe: /bin/sh -c command as the user, the
 *                                 message on stdin, SENDER, RECIPIENT, EXT,
 *                                 LOCAL, HOST, USER, HOME in the environment;
 *                                 exit 0 go on, 99 delivered and stop, 100
 *                                 permanent failure, anything else
 *                                 temporary failure
 *     &address  or  address       forward a copy (through postern-queue)
 * A path not ending in '/' (an mbox file) is an error, as is a file with
 * no rule.  Limits: DOTQMAIL_MAX_FILE bytes, DOTQMAIL_MAX_RULES rules,
 * DOTQMAIL_MAX_LINE bytes per line. */
#ifndef POSTERN_DOTQMAIL_H
#define POSTERN_DOTQMAIL_H

#include <stddef.h>

#define DOTQMAIL_MAX_FILE  65536
#define DOTQMAIL_MAX_RULES 100
#define DOTQMAIL_MAX_LINE  1000
#define DOTQMAIL_BASENAME  ".postern"

enum dotqmail_kind {
	DOTQMAIL_MAILDIR,    /* arg: path as written (ends in '/') */
	DOTQMAIL_FOLDER,     /* arg: folder name (on-disk form, no '+') */
	DOTQMAIL_PIPE,       /* arg: the command (without '|') */
	DOTQMAIL_FORWARD     /* arg: the address (without '&') */
};

struct dotqmail_rule {
	enum dotqmail_kind kind;
	char *arg;
	unsigned line;       /* 1-based line number, for error messages */
};

struct dotqmail {
	struct dotqmail_rule *rules;
	size_t n, cap;
};

/* Parse a rule file.  0 with d filled (caller initialises it to zeros and
 * frees it with dotqmail_free), or -1 with "line N: reason" in err. */
int dotqmail_parse(const char *p, size_t len, struct dotqmail *d,
    char *err, size_t errlen);
void dotqmail_free(struct dotqmail *d);

/* The file name (no directory) for extension ext (NULL or "" for none):
 * ".postern" or ".postern-EXT".  0, or -1 when it does not fit or ext
 * holds '/' or a control byte. */
int dotqmail_file_name(const char *ext, char *out, size_t outlen);

#endif
