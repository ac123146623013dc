/* config.c: reading and validating postern.conf against the key table in
 * config_keys.c; lookups; the man page and sample file from the same table.
 *
 * The file: "key = value" lines; '#' at the start of a line, or after white
 * space, starts a comment; white space around key and value is dropped.
 * Lines are at most CONFIG_LINE_MAX bytes, the file at most CONFIG_FILE_MAX.
 * Every error names "file:line: key: reason". */
#include "config.h"
#include "buf.h"
#include "lines.h"
#include "log.h"

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#define CONFIG_LINE_MAX 4096
#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_DEFAULT_PATH "/etc/postern/postern.conf"

struct config_value {
	char *text;       /* NULL when unset */
	long long num;    /* INT, SIZE, DURATION, BOOL */
	unsigned line;    /* 0 when defaulted */
};

struct config {
	char *file;
	size_t nkeys;
	struct config_value *v;   /* indexed like config_keys[] */
	char hostname[256];       /* cache for config_hostname() */
};

static size_t
key_count(void)
{
	size_t n = 0;

	while (config_keys[n].name != NULL)
		n++;
	return n;
}

/* Index of a key (never a section heading) or -1. */
static long
key_find(const char *p, size_t len)
{
	size_t i;

	for (i = 0; config_keys[i].name != NULL; i++)
		if (config_keys[i].type != CFG_SECTION &&
		    strlen(config_keys[i].name) == len &&
		    memcmp(config_keys[i].name, p, len) == 0)
			return (long)i;
	return -1;
}

static size_t
key_index_or_die(const struct config *c, const char *key)
{
	long i = key_find(key, strlen(key));

	if (i < 0)
		errx(111, "config: lookup of undeclared key \"%s\"", key);
	(void)c;
	return (size_t)i;
}

/* Unsigned decimal with overflow check; *end gets the first non-digit. */
static int
parse_decimal(const char *p, size_t len, size_t *end, long long *out)
{
	long long v = 0;
	size_t i = 0;

	if (len == 0 || !isdigit((unsigned char)p[0]))
		return -1;
	for (; i < len && isdigit((unsigned char)p[i]); i++) {
		int d = p[i] - '0';
		if (v > (LLONG_MAX - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*end = i;
	*out = v;
	return 0;
}

static int
word_in(const char *words, const char *p, size_t len)
{
	const char *w = words;

	while (*w != '\0') {
		size_t n = strcspn(w, " ");
		if (n == len && strncasecmp(w, p, len) == 0)
			return 1;
		w += n;
		while (*w == ' ')
			w++;
	}
	return 0;
}

/* Validate value p[0..len) for key k; on success fill *num.  On error,
 * reason gets a short text. */
static int
value_check(const struct config_key *k, const char *p, size_t len,
    long long *num, char *reason, size_t rlen)
{
	long long v = 0, mult = 1;
	size_t end = 0, i;
	int r;

	*num = 0;
	for (i = 0; i < len; i++)
		if (p[i] == '\0') {
			snprintf(reason, rlen, "NUL byte in value");
			return -1;
		}
	switch (k->type) {
	case CFG_STRING:
	case CFG_LIST:
		return 0;
	case CFG_PATH:
		if (len == 0 || p[0] != '/') {
			snprintf(reason, rlen, "not an absolute path");
			return -1;
		}
		if (len >= PATH_MAX) {
			snprintf(reason, rlen, "path too long");
			return -1;
		}
		return 0;
	case CFG_BOOL:
		if (word_in("yes true on 1", p, len))
			*num = 1;
		else if (word_in("no false off 0", p, len))
			*num = 0;
		else {
			snprintf(reason, rlen, "not a boolean (yes/no/true/false/on/off/1/0)");
			return -1;
		}
		return 0;
	case CFG_ENUM:
		if (k->words == NULL || !word_in(k->words, p, len)) {
			snprintf(reason, rlen, "must be one of: %s", k->words ? k->words : "");
			return -1;
		}
		return 0;
	case CFG_INT:
	case CFG_SIZE:
	case CFG_DURATION:
		r = parse_decimal(p, len, &end, &v);
		if (r == -1) {
			snprintf(reason, rlen, "not a number");
			return -1;
		}
		if (r == -2) {
			snprintf(reason, rlen, "number too large");
			return -1;
		}
		if (end < len) {
			char s = (char)tolower((unsigned char)p[end]);
			if (end + 1 != len || k->type == CFG_INT) {
				snprintf(reason, rlen, k->type == CFG_INT ?
				    "not a whole number" : "bad unit suffix");
				return -1;
			}
			if (k->type == CFG_SIZE && s == 'k')
				mult = 1024;
			else if (k->type == CFG_SIZE && s == 'm')
				mult = 1024LL * 1024;
			else if (k->type == CFG_SIZE && s == 'g')
				mult = 1024LL * 1024 * 1024;
			else if (k->type == CFG_DURATION && s == 's')
				mult = 1;
			else if (k->type == CFG_DURATION && s == 'm')
				mult = 60;
			else if (k->type == CFG_DURATION && s == 'h')
				mult = 3600;
			else if (k->type == CFG_DURATION && s == 'd')
				mult = 86400;
			else {
				snprintf(reason, rlen, "bad unit suffix (%s)",
				    k->type == CFG_SIZE ? "k, m or g" : "s, m, h or d");
				return -1;
			}
			if (v > LLONG_MAX / mult) {
				snprintf(reason, rlen, "number too large");
				return -1;
			}
			v *= mult;
		}
		*num = v;
		return 0;
	case CFG_SECTION:
		break;
	}
	snprintf(reason, rlen, "not a key");
	return -1;
}

static struct config *
config_new(const char *name)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->file = xstrdup(name);
	c->nkeys = key_count();
	c->v = xcalloc(c->nkeys + 1, sizeof(*c->v));
	return c;
}

/* Fill unset keys from their defaults.  A bad default is a bug. */
static void
apply_defaults(struct config *c)
{
	char reason[128];
	size_t i;

	for (i = 0; i < c->nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->type == CFG_SECTION || c->v[i].line != 0 || k->def == NULL)
			continue;
		if (value_check(k, k->def, strlen(k->def), &c->v[i].num,
		    reason, sizeof(reason)) != 0)
			errx(111, "config: default of %s: %s", k->name, reason);
		c->v[i].text = xstrdup(k->def);
	}
}

struct config *
config_defaults(void)
{
	struct config *c = config_new("(defaults)");

	apply_defaults(c);
	return c;
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int
is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* Rules between keys, or ranges one type cannot say.  The error names the
 * line of the key that was set in the file. */
static int
check_relations(const struct config *c, char *err, size_t errlen)
{
	long lo = key_find("uid_min", 7), hi = key_find("uid_max", 7);
	long pb = key_find("port_base", 9);

	if (lo >= 0 && hi >= 0) {
		long at = c->v[hi].line ? hi : lo;
		if (c->v[lo].num == 0 || c->v[lo].num > c->v[hi].num) {
			snprintf(err, errlen, "%s:%u: %s: need 0 < uid_min <= uid_max",
			    c->file, c->v[at].line, config_keys[at].name);
			return -1;
		}
	}
	/* The highest standard port used is 995 (pop3s). */
	if (pb >= 0 && c->v[pb].num > 65535 - 995) {
		snprintf(err, errlen, "%s:%u: port_base: larger than %d", c->file,
		    c->v[pb].line, 65535 - 995);
		return -1;
	}
	return 0;
}

struct config *
config_parse(const char *name, const char *p, size_t len, char *err, size_t errlen)
{
	struct config *c;
	struct lines it;
	enum lines_status st;
	const char *lp;
	size_t ln;
	unsigned line = 0;
	char reason[160], keyv[80];

	if (errlen > 0)
		err[0] = '\0';
	if (len > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: file larger than %d bytes", name, CONFIG_FILE_MAX);
		return NULL;
	}
	c = config_new(name);
	lines_init(&it, p, len, CONFIG_LINE_MAX);
	while ((st = lines_next(&it, &lp, &ln)) != LINES_END) {
		size_t s, e, j, ks, ke, vs, ve;
		long k;

		line = it.lineno;
		if (st == LINES_TOOLONG) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes",
			    name, line, CONFIG_LINE_MAX);
			goto fail;
		}
		if (st != LINES_OK) {
			snprintf(err, errlen, "%s:%u: %s", name, line,
			    lines_why(st));
			goto fail;
		}
		lines_entry(lp, ln, &s, &e);
		if (s == e)
			continue;
		/* offsets into p from here on */
		s += (size_t)(lp - p);
		e += (size_t)(lp - p);
		const char *eq = memchr(p + s, '=', e - s);
		if (eq == NULL) {
			log_value(keyv, sizeof(keyv), p + s, e - s);
			snprintf(err, errlen, "%s:%u: %s: line without '='", name, line, keyv);
			goto fail;
		}
		ks = s;
		ke = (size_t)(eq - p);
		while (ke > ks && is_space(p[ke - 1]))
			ke--;
		vs = (size_t)(eq - p) + 1;
		ve = e;
		while (vs < ve && is_space(p[vs]))
			vs++;
		log_value(keyv, sizeof(keyv), p + ks, ke - ks);
		if (ke == ks) {
			snprintf(err, errlen, "%s:%u: missing key before '='", name, line);
			goto fail;
		}
		for (j = ks; j < ke; j++)
			if (!is_key_char(p[j]))
				break;
		k = j == ke ? key_find(p + ks, ke - ks) : -1;
		if (k < 0) {
			snprintf(err, errlen, "%s:%u: %s: unknown key", name, line, keyv);
			goto fail;
		}
		if (c->v[k].line != 0) {
			snprintf(err, errlen, "%s:%u: %s: duplicate key (first set on line %u)",
			    name, line, keyv, c->v[k].line);
			goto fail;
		}
		if (value_check(&config_keys[k], p + vs, ve - vs, &c->v[k].num,
		    reason, sizeof(reason)) != 0) {
			snprintf(err, errlen, "%s:%u: %s: %s", name, line, keyv, reason);
			goto fail;
		}
		c->v[k].text = xstrndup(p + vs, ve - vs);
		c->v[k].line = line;
	}
	apply_defaults(c);
	if (check_relations(c, err, errlen) != 0)
		goto fail;
	return c;
fail:
	config_free(c);
	return NULL;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	struct config *c = NULL;
	int r = lines_read_file(path, CONFIG_FILE_MAX, 0, &b, err, errlen);

	if (r == 1)
		snprintf(err, errlen, "%s: %s", path, strerror(ENOENT));
	else if (r == 0)
		c = config_parse(path, b.p ? b.p : "", b.len, err, errlen);
	buf_free(&b);
	return c;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nkeys; i++)
		free(c->v[i].text);
	free(c->v);
	free(c->file);
	free(c);
}

const char *
config_str(const struct config *c, const char *key)
{
	return c->v[key_index_or_die(c, key)].text;
}

long long
config_int(const struct config *c, const char *key)
{
	size_t i = key_index_or_die(c, key);
	enum config_type t = config_keys[i].type;

	if (t != CFG_INT && t != CFG_SIZE && t != CFG_DURATION && t != CFG_BOOL)
		errx(111, "config: %s is not a number", key);
	return c->v[i].num;
}

int
config_bool(const struct config *c, const char *key)
{
	size_t i = key_index_or_die(c, key);

	if (config_keys[i].type != CFG_BOOL)
		errx(111, "config: %s is not a boolean", key);
	return c->v[i].num != 0;
}

int
config_is_set(const struct config *c, const char *key)
{
	return c->v[key_index_or_die(c, key)].line != 0;
}

const char *
config_file(const struct config *c)
{
	return c->file;
}

const char *
config_path(void)
{
	const char *e = getenv("POSTERN_CONF");

	if (e != NULL && *e != '\0')
		return e;
	return CONFIG_DEFAULT_PATH;
}

struct config *
config_load_or_die(void)
{
	char err[512];
	struct config *c = config_load(config_path(), err, sizeof(err));

	if (c == NULL)
		errx(111, "%s", err);
	return c;
}

const char *
config_hostname(const struct config *c)
{
	const char *h = config_str(c, "hostname");
	struct config *mc = (struct config *)c;   /* cache only */

	if (h != NULL && *h != '\0')
		return h;
	if (mc->hostname[0] == '\0') {
		if (gethostname(mc->hostname, sizeof(mc->hostname) - 1) != 0)
			snprintf(mc->hostname, sizeof(mc->hostname), "localhost");
		mc->hostname[sizeof(mc->hostname) - 1] = '\0';
	}
	return mc->hostname;
}

char **
config_list_new(const struct config *c, const char *key, size_t *count)
{
	const char *s = config_str(c, key);
	char **list;
	size_t n = 0, cap = 1;

	list = xcalloc(cap, sizeof(*list));
	while (s != NULL && *s != '\0') {
		size_t w;
		s += strspn(s, " \t,");
		w = strcspn(s, " \t,");
		if (w == 0)
			break;
		if (n + 1 >= cap) {
			cap = size_mul(cap, 2);
			list = xreallocarray(list, cap, sizeof(*list));
		}
		list[n++] = xstrndup(s, w);
		s += w;
	}
	list[n] = NULL;
	if (count != NULL)
		*count = n;
	return list;
}

void
config_list_free(char **list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

static const char *
type_name(const struct config_key *k)
{
	switch (k->type) {
	case CFG_STRING: return "string";
	case CFG_PATH: return "path";
	case CFG_INT: return "integer";
	case CFG_SIZE: return "size";
	case CFG_DURATION: return "duration";
	case CFG_BOOL: return "boolean";
	case CFG_LIST: return "list";
	case CFG_ENUM: return k->words ? k->words : "word";
	case CFG_SECTION: return "section";
	}
	return "?";
}

/* roff text: a leading '.' or '\'' would be a request; '\' must be doubled. */
static void
roff_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

void
config_print_man(FILE *f)
{
	size_t i;

	fputs(".\\\" Generated from common/config_keys.c by config_print_man(); do not edit.\n"
	    ".TH POSTERN.CONF 5 \"\" \"postern\" \"File Formats\"\n"
	    ".SH NAME\n"
	    "postern.conf \\- postern configuration file\n"
	    ".SH DESCRIPTION\n"
	    "The file holds \\fIkey\\fR = \\fIvalue\\fR lines.\n"
	    "A \\fB#\\fR at the start of a line, or after white space, starts a comment;\n"
	    "blank lines are ignored and white space around key and value is dropped.\n"
	    "Each key may appear once.\n"
	    "An unknown key, a bad value, a duplicate key or a line without \\fB=\\fR\n"
	    "is an error naming the file, the line and the key.\n"
	    "Lines are limited to 4096 bytes and the file to 1 MiB.\n"
	    ".PP\n"
	    "Programs find the file through their \\fB\\-c\\fR option or the\n"
	    ".B POSTERN_CONF\n"
	    "environment variable.\n"
	    ".SS Value types\n"
	    ".TP\n.B path\nAn absolute path.\n"
	    ".TP\n.B integer\nA decimal integer, 0 or more.\n"
	    ".TP\n.B size\nBytes, with an optional suffix \\fBk\\fR, \\fBm\\fR or \\fBg\\fR (powers of 1024).\n"
	    ".TP\n.B duration\nSeconds, with an optional suffix \\fBs\\fR, \\fBm\\fR, \\fBh\\fR or \\fBd\\fR.\n"
	    ".TP\n.B boolean\n\\fByes\\fR, \\fBno\\fR, \\fBtrue\\fR, \\fBfalse\\fR, \\fBon\\fR, \\fBoff\\fR, \\fB1\\fR or \\fB0\\fR.\n"
	    ".TP\n.B list\nWords separated by commas or white space.\n"
	    ".TP\n.B string\nAny text up to the end of the line (or a comment).\n"
	    ".SH KEYS\n", f);
	for (i = 0; config_keys[i].name != NULL; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->type == CFG_SECTION) {
			fputs(".SS ", f);
			roff_text(f, k->name);
			fputs("\n", f);
			roff_text(f, k->doc ? k->doc : "");
			fputs("\n", f);
			continue;
		}
		fputs(".TP\n\\fB", f);
		roff_text(f, k->name);
		fputs("\\fR (", f);
		if (k->type == CFG_ENUM)
			fputs("one of: ", f);
		roff_text(f, type_name(k));
		fputs("; default: ", f);
		if (k->def == NULL)
			fputs("unset", f);
		else if (*k->def == '\0')
			fputs("empty", f);
		else {
			fputs("\\fB", f);
			roff_text(f, k->def);
			fputs("\\fR", f);
		}
		fputs(")\n", f);
		roff_text(f, k->doc ? k->doc : "");
		fputs("\n", f);
	}
	fputs(".SH FILES\n"
	    ".TP\n.I " CONFIG_DEFAULT_PATH "\n"
	    "Used when neither \\fB\\-c\\fR nor \\fBPOSTERN_CONF\\fR names a file.\n"
	    ".SH SEE ALSO\n"
	    ".BR postern (8)\n", f);
}

void
config_print_defaults(FILE *f)
{
	size_t i;

	fputs("# postern.conf: \"key = value\" lines, '#' comments.\n"
	    "# Every key is shown commented out at its default; see postern.conf(5).\n", f);
	for (i = 0; config_keys[i].name != NULL; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->type == CFG_SECTION) {
			fprintf(f, "\n# === %s: %s\n", k->name, k->doc ? k->doc : "");
			continue;
		}
		fprintf(f, "\n# %s (%s%s)\n", k->doc ? k->doc : "",
		    k->type == CFG_ENUM ? "one of: " : "", type_name(k));
		if (k->def == NULL || *k->def == '\0')
			fprintf(f, "#%s =\n", k->name);
		else
			fprintf(f, "#%s = %s\n", k->name, k->def);
	}
}
