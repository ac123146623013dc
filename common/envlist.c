/* envlist.c: an environment vector built by a parent for its child
 * (envlist.h). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envlist.h"

void
envlist_init(struct envlist *e)
{
	e->cap = 16;
	e->n = 0;
	e->v = xcalloc(e->cap, sizeof(char *));
}

static void
push(struct envlist *e, char *s)
{
	if (e->n + 1 >= e->cap) {
		e->v = xreallocarray(e->v, e->cap * 2, sizeof(char *));
		e->cap *= 2;
	}
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
}

void
envlist_inherit(struct envlist *e)
{
	extern char **environ;
	char **p;

	envlist_init(e);
	for (p = environ; p && *p; p++)
		if (strchr(*p, '=') != NULL)
			push(e, xstrdup(*p));
}

/* Index of KEY, or n. */
static size_t
find(const struct envlist *e, const char *key)
{
	size_t kl = strlen(key), i;

	for (i = 0; i < e->n; i++)
		if (strncmp(e->v[i], key, kl) == 0 && e->v[i][kl] == '=')
			return i;
	return e->n;
}

void
envlist_set(struct envlist *e, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val), i = find(e, key);
	char *s = xmalloc(kl + vl + 2);

	memcpy(s, key, kl);
	s[kl] = '=';
	memcpy(s + kl + 1, val, vl + 1);
	if (i < e->n) {
		free(e->v[i]);
		e->v[i] = s;
	} else
		push(e, s);
}

void
envlist_unset(struct envlist *e, const char *key)
{
	size_t i = find(e, key);

	if (i == e->n)
		return;
	free(e->v[i]);
	memmove(e->v + i, e->v + i + 1, (e->n - i) * sizeof(char *));
	e->n--;
}

const char *
envlist_get(const struct envlist *e, const char *key)
{
	size_t i = find(e, key);

	return i < e->n ? e->v[i] + strlen(key) + 1 : NULL;
}

char **
envlist_vec(struct envlist *e)
{
	return e->v;
}

void
envlist_free(struct envlist *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}
