/* qp.h: quoted-printable decoding (RFC 2045 6.7) and the "Q" variant of
 * RFC 2047 4.2 encoded words.  Never reads past (p, len). */
#ifndef POSTERN_QP_H
#define POSTERN_QP_H

#include <stddef.h>
#include "buf.h"

/* Body decoding: "=XY" hex escapes (either case), soft line breaks
 * ("=" then optional white space then LF or CRLF) removed, trailing white
 * space before a line end dropped, line ends kept as they are.  A broken
 * escape ("=" not followed by two hex digits) is kept literally.  Returns
 * the number of broken escapes. */
size_t qp_decode(const char *p, size_t len, struct buf *out);

/* RFC 2047 "Q": like the above without line structure, and '_' is a space. */
size_t qp_decode_q(const char *p, size_t len, struct buf *out);

#endif
