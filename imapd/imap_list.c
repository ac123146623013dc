/* imap_list.c: LIST (RFC 3501 6.3.8, RFC 9051 6.3.9) with LIST-EXTENDED
 * selection and return options (RFC 5258: SUBSCRIBED, REMOTE,
 * RECURSIVEMATCH, CHILDREN), SPECIAL-USE (RFC 6154), LIST-STATUS
 * (RFC 5819), and LSUB (RFC 3501 6.3.9). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "imapd.h"
#include "imap_names.h"
#include "imap_quote.h"

#define LIST_MAX_FOLDERS 5000
#define LIST_MAX_PATTERNS 50

struct cand {
	char *folder;       /* on-disk name; "" INBOX */
	char *name;         /* client form */
	int exists, subscribed, has_children, child_subscribed;
};

struct cands {
	struct cand *c;
	size_t n, cap;
};

static void
add_cand(struct cands *cs, const char *folder)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (strcmp(cs->c[i].folder, folder) == 0)
			return;
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 32;
		cs->c = xreallocarray(cs->c, cs->cap, sizeof(*cs->c));
	}
	memset(&cs->c[cs->n], 0, sizeof(cs->c[0]));
	cs->c[cs->n++].folder = xstrdup(folder);
}

static void
add_with_ancestors(struct cands *cs, const char *folder)
{
	char tmp[512];
	size_t i, len = strlen(folder);

	if (len >= sizeof(tmp))
		return;
	memcpy(tmp, folder, len + 1);
	add_cand(cs, tmp);
	for (i = len; i > 0; i--)
		if (tmp[i - 1] == IMAP_DELIM) {
			tmp[i - 1] = '\0';
			if (i > 1)   /* an "INBOX" parent is INBOX itself */
				add_cand(cs, maildir_folder_is_inbox(tmp, i - 1) ? "" : tmp);
		}
}

/* Folder directories as maildir_folder_list finds them (exactly). */
static void
collect(const char *name, void *arg)
{
	add_cand(arg, name);
}

static int
cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->folder[0] == '\0')
		return y->folder[0] == '\0' ? 0 : -1;
	if (y->folder[0] == '\0')
		return 1;
	return strcmp(x->folder, y->folder);
}

static int
is_child(const char *parent, const char *child)
{
	size_t n = strlen(parent);

	if (parent[0] == '\0')   /* INBOX: children are "INBOX.x", any case */
		return strncasecmp(child, "INBOX", 5) == 0 && child[5] == IMAP_DELIM;
	return strncmp(parent, child, n) == 0 && child[n] == IMAP_DELIM;
}

static void
build(struct imap_session *s, struct cands *cs)
{
	struct cands disk = { NULL, 0, 0 };
	char **subs;
	size_t nsubs, i, j;

	add_cand(cs, "");
	(void)maildir_folder_list(s->root, LIST_MAX_FOLDERS, collect, &disk);
	for (i = 0; i < disk.n; i++)
		add_with_ancestors(cs, disk.c[i].folder);
	subs = imap_subscriptions_load(s, &nsubs);
	for (i = 0; i < nsubs; i++)
		add_with_ancestors(cs, strcmp(subs[i], "INBOX") == 0 ? "" : subs[i]);
	for (i = 0; i < cs->n; i++) {
		struct cand *c = &cs->c[i];
		struct buf b = BUF_INIT;
		c->exists = c->folder[0] == '\0';
		imap_name_from_folder(imap_utf8(s), c->folder, strlen(c->folder), &b);
		c->name = buf_steal(&b, NULL);
		if (c->name == NULL)
			c->name = xstrdup("");
	}
	/* exists: listed on disk (ancestors added by collect() are not) */
	for (i = 0; i < cs->n; i++) {
		struct cand *c = &cs->c[i];
		if (c->folder[0] == '\0')
			continue;
		for (j = 0; j < disk.n; j++)
			if (strcmp(disk.c[j].folder, c->folder) == 0)
				c->exists = 1;
	}
	for (i = 0; i < cs->n; i++) {
		struct cand *c = &cs->c[i];
		for (j = 0; j < nsubs; j++) {
			const char *f = strcmp(subs[j], "INBOX") == 0 ? "" : subs[j];
			if (strcmp(f, c->folder) == 0)
				c->subscribed = 1;
			else if (is_child(c->folder, f))
				c->child_subscribed = 1;
		}
		for (j = 0; j < cs->n; j++)
			if (cs->c[j].exists && is_child(c->folder, cs->c[j].folder))
				c->has_children = 1;
	}
	for (i = 0; i < disk.n; i++)
		free(disk.c[i].folder);
	free(disk.c);
	imap_subscriptions_free(subs);
	qsort(cs->c, cs->n, sizeof(*cs->c), cmp_cand);
}

static void
free_cands(struct cands *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		free(cs->c[i].folder);
		free(cs->c[i].name);
	}
	free(cs->c);
}

static int
pattern_ok(const struct imap_arg *a)
{
	return a->type == IMAP_ARG_ATOM || a->type == IMAP_ARG_QUOTED ||
	    a->type == IMAP_ARG_LITERAL;
}

enum {
	SEL_SUBSCRIBED = 1, SEL_REMOTE = 2, SEL_RECURSIVE = 4, SEL_SPECIAL = 8,
	RET_SUBSCRIBED = 16, RET_CHILDREN = 32, RET_SPECIAL = 64, RET_STATUS = 128
};

static int
matches_any(struct imap_session *s, const char *ref, const struct imap_arg *pats,
    size_t npats, const char *name)
{
	size_t i;

	(void)s;
	for (i = 0; i < npats; i++) {
		struct buf p = BUF_INIT;
		int m;
		buf_puts(&p, ref);
		buf_append(&p, pats[i].p, pats[i].len);
		m = imap_name_match(p.p, p.len, name, strlen(name));
		buf_free(&p);
		if (m)
			return 1;
	}
	return 0;
}

static void
list_run(struct imap_session *s, const char *cmdname, unsigned opts,
    const char *ref, const struct imap_arg *pats, size_t npats,
    const struct imap_arg *status, int extended)
{
	struct cands cs = { NULL, 0, 0 };
	struct buf b = BUF_INIT;
	size_t i;
	int lsub = strcmp(cmdname, "LSUB") == 0;

	build(s, &cs);
	for (i = 0; i < cs.n; i++) {
		struct cand *c = &cs.c[i];
		const char *su = c->exists ? imap_special_use(c->folder) : NULL;
		const char *sep = "";
		int childinfo = 0;
		if (!matches_any(s, ref, pats, npats, c->name))
			continue;
		if (lsub) {
			if (!c->subscribed && !(c->child_subscribed))
				continue;
		} else if (opts & SEL_SUBSCRIBED) {
			if (!c->subscribed) {
				if (!((opts & SEL_RECURSIVE) && c->child_subscribed))
					continue;
				childinfo = 1;
			} else if ((opts & SEL_RECURSIVE) && c->child_subscribed)
				childinfo = 1;
		} else if (!c->exists && !c->has_children)
			continue;
		if ((opts & SEL_SPECIAL) && su == NULL)
			continue;
		/* LSUB with '%': a parent of a subscribed name is \Noselect,
		 * but only when the pattern stops at it (RFC 3501 6.3.9). */
		if (lsub && !c->subscribed) {
			int pct = 0;
			size_t k;
			for (k = 0; k < npats; k++)
				if (memchr(pats[k].p, '%', pats[k].len) != NULL)
					pct = 1;
			if (!pct)
				continue;
		}
		buf_printf(&b, "* %s (", cmdname);
		if (!c->exists) {
			if (extended || imap_rev2(s)) {
				buf_printf(&b, "%s\\NonExistent", sep);
			} else
				buf_printf(&b, "%s\\Noselect", sep);
			sep = " ";
		} else if (lsub && !c->subscribed) {
			buf_printf(&b, "%s\\Noselect", sep);
			sep = " ";
		}
		if (!lsub) {
			if (c->has_children) {
				buf_printf(&b, "%s\\HasChildren", sep);
				sep = " ";
			} else if (c->exists || extended) {
				buf_printf(&b, "%s\\HasNoChildren", sep);
				sep = " ";
			}
			if (c->subscribed && (opts & (SEL_SUBSCRIBED | RET_SUBSCRIBED))) {
				buf_printf(&b, "%s\\Subscribed", sep);
				sep = " ";
			}
			if (su != NULL) {
				buf_printf(&b, "%s%s", sep, su);
				sep = " ";
			}
		}
		buf_puts(&b, ") \".\" ");
		imap_write_mailbox(s, &b, c->name, strlen(c->name));
		if (childinfo && !lsub)
			buf_puts(&b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
		buf_puts(&b, "\r\n");
		imap_send_buf(s, &b);
		if ((opts & RET_STATUS) && c->exists && !lsub) {
			char dir[MAILDIR_PATH_MAX];
			const char *why;
			if (maildir_folder_path(s->root, c->folder, dir, sizeof(dir)) == 0) {
				buf_puts(&b, "* STATUS ");
				imap_write_mailbox(s, &b, c->name, strlen(c->name));
				buf_putc(&b, ' ');
				if (imap_status_items(s, dir, status, &b, &why) == 0) {
					buf_puts(&b, "\r\n");
					imap_send_buf(s, &b);
				} else
					buf_reset(&b);
			}
		}
	}
	buf_free(&b);
	free_cands(&cs);
}

static void
list_or_lsub(struct imap_session *s, const struct imap_arg *args,
    size_t nargs, int lsub)
{
	unsigned opts = 0;
	size_t i = 0, k, npats;
	const struct imap_arg *pats, *status = NULL;
	int extended = 0;
	char ref[IMAP_NAME_MAX + 1];

	if (!lsub && nargs > 0 && args[0].type == IMAP_ARG_LIST) {
		extended = 1;
		for (k = 0; k < args[0].count; k++) {
			const struct imap_arg *a = &args[0].list[k];
			if (imap_arg_is_atom(a, "SUBSCRIBED"))
				opts |= SEL_SUBSCRIBED;
			else if (imap_arg_is_atom(a, "REMOTE"))
				opts |= SEL_REMOTE;
			else if (imap_arg_is_atom(a, "RECURSIVEMATCH"))
				opts |= SEL_RECURSIVE;
			else if (imap_arg_is_atom(a, "SPECIAL-USE"))
				opts |= SEL_SPECIAL;
			else {
				imap_bad(s, NULL, "Unknown LIST selection option");
				return;
			}
		}
		/* RFC 5258 3: RECURSIVEMATCH needs another selection option */
		if ((opts & SEL_RECURSIVE) && !(opts & (SEL_SUBSCRIBED | SEL_SPECIAL))) {
			imap_bad(s, NULL, "RECURSIVEMATCH alone is not allowed");
			return;
		}
		i = 1;
	}
	if (nargs < i + 2 || !pattern_ok(&args[i]) ||
	    !(pattern_ok(&args[i + 1]) || (!lsub && args[i + 1].type == IMAP_ARG_LIST))) {
		imap_bad(s, NULL, "%s needs a reference and a mailbox pattern",
		    lsub ? "LSUB" : "LIST");
		return;
	}
	if (args[i].len > IMAP_NAME_MAX) {
		imap_bad(s, NULL, "Reference too long");
		return;
	}
	memcpy(ref, args[i].p, args[i].len);
	ref[args[i].len] = '\0';
	if (args[i + 1].type == IMAP_ARG_LIST) {
		extended = 1;
		pats = args[i + 1].list;
		npats = args[i + 1].count;
		if (npats == 0 || npats > LIST_MAX_PATTERNS) {
			imap_bad(s, NULL, "Bad pattern list");
			return;
		}
		for (k = 0; k < npats; k++)
			if (!pattern_ok(&pats[k])) {
				imap_bad(s, NULL, "Bad pattern list");
				return;
			}
	} else {
		pats = &args[i + 1];
		npats = 1;
	}
	i += 2;
	if (i < nargs) {
		if (lsub || !imap_arg_is_atom(&args[i], "RETURN") || i + 2 != nargs ||
		    args[i + 1].type != IMAP_ARG_LIST) {
			imap_bad(s, NULL, "Bad LIST return options");
			return;
		}
		extended = 1;
		for (k = 0; k < args[i + 1].count; k++) {
			const struct imap_arg *a = &args[i + 1].list[k];
			if (imap_arg_is_atom(a, "SUBSCRIBED"))
				opts |= RET_SUBSCRIBED;
			else if (imap_arg_is_atom(a, "CHILDREN"))
				opts |= RET_CHILDREN;
			else if (imap_arg_is_atom(a, "SPECIAL-USE"))
				opts |= RET_SPECIAL;
			else if (imap_arg_is_atom(a, "STATUS") && k + 1 < args[i + 1].count &&
			    args[i + 1].list[k + 1].type == IMAP_ARG_LIST) {
				opts |= RET_STATUS;
				status = &args[i + 1].list[++k];
			} else {
				imap_bad(s, NULL, "Unknown LIST return option");
				return;
			}
		}
	}
	/* RFC 5819: a bad STATUS item is a bad command, not a silent
	 * omission of the STATUS responses */
	if (status != NULL) {
		const char *why;
		if (imap_status_items_check(s, status, &why) < 0) {
			imap_bad(s, NULL, "%s", why);
			return;
		}
	}
	/* RFC 3501 6.3.8: an empty pattern asks for the delimiter */
	if (npats == 1 && pats[0].len == 0) {
		imap_untagged(s, "%s (\\Noselect) \".\" \"\"", lsub ? "LSUB" : "LIST");
		imap_ok(s, NULL, "%s completed", lsub ? "LSUB" : "LIST");
		return;
	}
	list_run(s, lsub ? "LSUB" : "LIST", opts, ref, pats, npats, status,
	    extended);
	imap_ok(s, NULL, "%s completed", lsub ? "LSUB" : "LIST");
}

void
imap_cmd_list(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	list_or_lsub(s, args, nargs, 0);
}

void
imap_cmd_lsub(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	list_or_lsub(s, args, nargs, 1);
}
