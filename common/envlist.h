/* envlist.h: an environment built by the parent for a program it starts
 * without a copy of itself (procspawn.h): the child must not call setenv,
 * which would change the parent's environment. */
#ifndef POSTERN_ENVLIST_H
#define POSTERN_ENVLIST_H

#include <stddef.h>

struct envlist {
	char **v;                /* "KEY=value" strings, NULL-terminated */
	size_t n, cap;
};

/* Empty, or a copy of the current environment. */
void envlist_init(struct envlist *e);
void envlist_inherit(struct envlist *e);
/* Set (replacing) or remove KEY.  Keys hold no '='. */
void envlist_set(struct envlist *e, const char *key, const char *val);
void envlist_unset(struct envlist *e, const char *key);
/* The value of KEY, or NULL. */
const char *envlist_get(const struct envlist *e, const char *key);
/* For execve: the NULL-terminated vector (valid until the next change). */
char **envlist_vec(struct envlist *e);
void envlist_free(struct envlist *e);

#endif
