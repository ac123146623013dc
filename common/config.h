/* config.h: postern.conf, "key = value" lines with '#' comments.
 * Every key is declared once in the table in config_keys.c (name, type,
 * default, one-line doc); the reader, `postern check` and the man page all
 * come from that table.  An unknown key, a bad value or a duplicate is an
 * error naming file, line and key.
 *
 * Programs find the file through -c PATH or the POSTERN_CONF environment
 * variable (config_path()). */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum config_type {
	CFG_STRING,    /* any text */
	CFG_PATH,      /* absolute path */
	CFG_INT,       /* decimal integer >= 0 */
	CFG_SIZE,      /* bytes, with optional k/m/g suffix */
	CFG_DURATION,  /* seconds, with optional s/m/h/d suffix */
	CFG_BOOL,      /* yes/no/true/false/on/off/1/0 */
	CFG_LIST,      /* comma- or space-separated words */
	CFG_ENUM,      /* one of the words in .words */
	CFG_SECTION    /* not a key: a section heading in the table (man page, sample) */
};

struct config_key {
	const char *name;
	enum config_type type;
	const char *def;       /* default as it would be written in the file; NULL = unset */
	const char *doc;       /* one line */
	const char *words;     /* CFG_ENUM: the allowed values, space-separated */
};

extern const struct config_key config_keys[];   /* ends with a NULL name */

struct config;

/* config_load: read and validate path.  NULL on error with "file:line: key:
 * reason" in err.  Caller frees with config_free. */
struct config *config_load(const char *path, char *err, size_t errlen);
/* Parse from memory (tests, fuzzing). */
struct config *config_parse(const char *name, const char *p, size_t len,
    char *err, size_t errlen);
/* All defaults, no file. */
struct config *config_defaults(void);
void config_free(struct config *c);

/* Lookups abort (errx 111) on a key not in the table: that is a bug. */
const char *config_str(const struct config *c, const char *key);   /* NULL if unset */
long long config_int(const struct config *c, const char *key);      /* INT, SIZE, DURATION */
int config_bool(const struct config *c, const char *key);
/* True when the key was set in the file (not only defaulted). */
int config_is_set(const struct config *c, const char *key);
/* Path of the file loaded. */
const char *config_file(const struct config *c);

/* The config path from "-c PATH" (handled by the caller) or POSTERN_CONF. */
const char *config_path(void);
/* Load config_path() or die with the error (errx 111). */
struct config *config_load_or_die(void);

/* The "hostname" key, or gethostname() when it is empty or unset. */
const char *config_hostname(const struct config *c);
/* Split a CFG_LIST value into words: returns a NULL-terminated array the
 * caller frees with config_list_free (never NULL; empty when unset). */
char **config_list_new(const struct config *c, const char *key, size_t *count);
void config_list_free(char **list);

/* postern.conf(5) in roff, every key of the table with type, default, doc. */
void config_print_man(FILE *f);
/* A sample postern.conf: every key commented out at its default. */
void config_print_defaults(FILE *f);

#endif
