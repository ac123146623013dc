/* mime7bit.h: downgrade of an 8-bit MIME message to 7 bit, for a next hop
 * that does not announce 8BITMIME (RFC 6152 3: the client converts the
 * message to 7 bit, as RFC 1652 described, or does not send it).
 *
 * The message is as queued: LF line ends (a CR before an LF is kept).
 * What is converted: every leaf part of a discrete type (text, and
 * application and others alike) whose body holds octets >= 128 and whose
 * Content-Transfer-Encoding is absent, 7bit or 8bit: its body becomes
 * quoted-printable (RFC 2045 6.7) and its Content-Transfer-Encoding field
 * says so; a multipart labelled 8bit is relabelled 7bit; a converted
 * top-level part without MIME-Version gets one.  Everything else is
 * copied byte for byte.
 * What cannot be converted (MIME7BIT_IMPOSSIBLE, or MIME7BIT_HEADER):
 * 8-bit octets in a header field (of the message or of a part), in a
 * message or multipart part's own text (preamble, epilogue, inside a
 * message/rfc822), in a part labelled binary, base64 or quoted-printable,
 * or in a message too large or complex for the parser's caps. */
#ifndef POSTERN_MIME7BIT_H
#define POSTERN_MIME7BIT_H

#include <stddef.h>
#include "buf.h"

enum mime7bit_status {
	MIME7BIT_CLEAN = 0,        /* no 8-bit octet: send as it is */
	MIME7BIT_CONVERTED = 1,    /* the 7-bit version is in the output */
	MIME7BIT_HEADER = -1,      /* 8-bit octets in a header field */
	MIME7BIT_IMPOSSIBLE = -2,  /* 8-bit octets where no encoding helps */
	MIME7BIT_ERROR = -3        /* the message could not be read (fd forms) */
};

/* *eightbit: some octet >= 128 anywhere; *header8: such an octet in a
 * header field of the message or of one of its MIME parts. */
void mime7bit_scan(const char *p, size_t len, int *eightbit, int *header8);

/* Appends the 7-bit version of (p, len) to out when MIME7BIT_CONVERTED;
 * out is unchanged otherwise.  why (may be NULL) gets a short reason for
 * a negative status. */
int mime7bit_convert(const char *p, size_t len, struct buf *out, char *why,
    size_t whylen);

/* Quoted-printable body encoding (RFC 2045 6.7): lines at most 76
 * characters with soft breaks, '=' and octets outside 33..126 encoded,
 * white space before a line end encoded; LF and CRLF line ends become LF
 * (hard breaks), a lone CR is encoded.  Appends to out. */
void mime7bit_qp_encode(const char *p, size_t len, struct buf *out);

/* The same on a message in a file or memfd, read by mapping its first
 * size bytes (a queue file has its envelope after the message; a file
 * shorter than size gives EIO).  mime7bit_scan_fd: 0, or -1 with errno.  mime7bit_convert_fd: on
 * MIME7BIT_CONVERTED *outfd is a new memfd (offset 0, close it) holding
 * the 7-bit version and *outlen its size. */
int mime7bit_scan_fd(int fd, unsigned long long size, int *eightbit, int *header8);
int mime7bit_convert_fd(int fd, unsigned long long size, int *outfd,
    unsigned long long *outlen,
    char *why, size_t whylen);

#endif
