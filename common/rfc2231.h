/* rfc2231.h: MIME parameter lists ("; name=value ...") with RFC 2231
 * continuations ("name*0*=", "name*1=") joined, as the reference IMAP
 * server reports them in BODYSTRUCTURE: a joined value keeps its
 * charset'language' prefix and percent escapes and is named "name*" when
 * any piece was extended; pieces with a gap in their numbering are left
 * unjoined ("name*0", "name*2*").  rfc2231_value_decode() turns an
 * extended value into UTF-8 for callers that want the text. */
#ifndef POSTERN_RFC2231_H
#define POSTERN_RFC2231_H

#include <stddef.h>
#include "buf.h"
#include "rfc822addr.h"

struct mime_param {
	char *name;                 /* NUL-terminated copies */
	char *value;
};

struct mime_params {
	struct mime_param *v;
	size_t count;
	int broken;                 /* some parameter could not be parsed */
};

/* Default cap on parameters (and continuation pieces) per list. */
#define RFC2231_MAX_PARAMS 256

/* Parse the parameters that follow at lx (which points at ';' or the
 * end).  At most max parameters/pieces are read; the rest is dropped and
 * out->broken set.  Fills out (free with mime_params_free). */
void rfc2231_parse(struct rfc822_lexer *lx, unsigned int max, struct mime_params *out);
/* Convenience: the value of the first parameter named name
 * (case-insensitive), or NULL. */
const char *mime_params_get(const struct mime_params *ps, const char *name);
void mime_params_free(struct mime_params *ps);

/* Decode an extended value "charset'lang'text%XX..." to UTF-8. */
void rfc2231_value_decode(const char *p, size_t len, struct buf *out);

#endif
