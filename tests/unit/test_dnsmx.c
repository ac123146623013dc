/* test_dnsmx.c: unit tests for common/dnsmx.c: the DNS answer parser on
 * canned responses (compression, bounds, hostile input) and MX ordering.
 * The resolver path is covered by the integration tests against
 * tests/integration/dnsstub.py, and here by a one-shot server on ::1
 * (an IPv6 nameserver address). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "dnsmx.h"

static void
u16(struct buf *b, unsigned v)
{
	buf_putc(b, (int)(v >> 8 & 0xff));
	buf_putc(b, (int)(v & 0xff));
}

static void
name(struct buf *b, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		buf_putc(b, (int)n);
		buf_append(b, dotted, n);
		dotted += n + (dot ? 1 : 0);
	}
	buf_putc(b, 0);
}

/* header + question for qname/qtype (qname at offset 12) */
static void
header(struct buf *b, unsigned rcode, unsigned ancount, const char *qname,
    unsigned qtype)
{
	u16(b, 0x1234);
	u16(b, 0x8180 | rcode);
	u16(b, 1);
	u16(b, ancount);
	u16(b, 0);
	u16(b, 0);
	name(b, qname);
	u16(b, qtype);
	u16(b, 1);
}

static void
rr_head(struct buf *b, unsigned type, unsigned rdlen)
{
	u16(b, 0xc00c);   /* owner: pointer to the question name */
	u16(b, type);
	u16(b, 1);
	u16(b, 0);
	u16(b, 300);
	u16(b, rdlen);
}

START_TEST(mx_answer)
{
	struct buf b = BUF_INIT;
	struct dns_answer a;
	size_t at;

	header(&b, 0, 3, "example.net", DNS_T_MX);
	/* mx1.example.net, compressed: "mx1" + pointer to example.net */
	rr_head(&b, DNS_T_MX, 2 + 4 + 2);
	u16(&b, 20);
	buf_putc(&b, 3);
	buf_append(&b, "mx1", 3);
	u16(&b, 0xc00c);
	/* mx2.other.test, in full */
	rr_head(&b, DNS_T_MX, 2 + 16);
	u16(&b, 10);
	at = b.len;
	name(&b, "mx2.other.test");
	ck_assert_uint_eq(b.len - at, 16);
	/* a pointer into the previous record's name: "other.test" */
	rr_head(&b, DNS_T_MX, 2 + 2);
	u16(&b, 30);
	u16(&b, 0xc000 | (unsigned)(at + 4));
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_MX, &a), 0);
	ck_assert_uint_eq(a.rcode, 0);
	ck_assert_uint_eq(a.n, 3);
	ck_assert_uint_eq(a.rr[0].pref, 20);
	ck_assert_str_eq(a.rr[0].name, "mx1.example.net");
	ck_assert_uint_eq(a.rr[1].pref, 10);
	ck_assert_str_eq(a.rr[1].name, "mx2.other.test");
	ck_assert_str_eq(a.rr[2].name, "other.test");
	/* the same answer read for another type keeps nothing */
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_A, &a), 0);
	ck_assert_uint_eq(a.n, 0);
	/* every truncation is an error, never a read past the end */
	for (at = 0; at < b.len; at++) {
		char *copy = malloc(at ? at : 1);
		memcpy(copy, b.p, at);
		ck_assert_int_eq(dnsmx_parse(copy, at, DNS_T_MX, &a), -1);
		free(copy);
	}
	buf_free(&b);
}
END_TEST

START_TEST(address_answers)
{
	struct buf b = BUF_INIT;
	struct dns_answer a;
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	header(&b, 0, 3, "h.example", DNS_T_A);
	rr_head(&b, DNS_T_CNAME, 4);     /* a CNAME in front is skipped */
	u16(&b, 0xc00c);
	u16(&b, 0);
	rr_head(&b, DNS_T_A, 4);
	buf_append(&b, "\x7f\x00\x00\x02", 4);
	rr_head(&b, DNS_T_A, 4);
	buf_append(&b, "\x0a\x00\x00\x01", 4);
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_A, &a), 0);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_mem_eq(a.rr[0].addr, "\x7f\x00\x00\x02", 4);
	ck_assert_mem_eq(a.rr[1].addr, "\x0a\x00\x00\x01", 4);
	buf_reset(&b);
	header(&b, 0, 1, "h.example", DNS_T_AAAA);
	rr_head(&b, DNS_T_AAAA, 16);
	buf_append(&b, v6, 16);
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_AAAA, &a), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_mem_eq(a.rr[0].addr, v6, 16);
	/* wrong rdata length for an A record */
	buf_reset(&b);
	header(&b, 0, 1, "h.example", DNS_T_A);
	rr_head(&b, DNS_T_A, 5);
	buf_append(&b, "\x7f\x00\x00\x02\x00", 5);
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_A, &a), -1);
	buf_free(&b);
}
END_TEST

START_TEST(null_mx_and_rcodes)
{
	struct buf b = BUF_INIT;
	struct dns_answer a;

	header(&b, 0, 1, "nomail.example", DNS_T_MX);
	rr_head(&b, DNS_T_MX, 3);
	u16(&b, 0);
	buf_putc(&b, 0);
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_MX, &a), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_str_eq(a.rr[0].name, "");
	buf_reset(&b);
	header(&b, 3, 0, "nx.example", DNS_T_MX);
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_MX, &a), 0);
	ck_assert_uint_eq(a.rcode, 3);
	ck_assert_uint_eq(a.n, 0);
	/* a query (QR clear) is not an answer */
	b.p[2] &= 0x7f;
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_MX, &a), -1);
	buf_free(&b);
}
END_TEST

START_TEST(hostile_names)
{
	struct buf b = BUF_INIT;
	struct dns_answer a;
	char out[DNSMX_MAX_NAME + 1];
	size_t off, i;

	/* pointer loop: the answer's owner points at itself */
	header(&b, 0, 1, "x.example", DNS_T_MX);
	off = b.len;
	u16(&b, 0xc000 | (unsigned)off);
	u16(&b, DNS_T_MX);
	u16(&b, 1);
	u16(&b, 0);
	u16(&b, 0);
	u16(&b, 3);
	u16(&b, 0);
	buf_putc(&b, 0);
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_MX, &a), -1);
	/* extended label type 0x40 */
	b.p[off] = 0x40;
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_MX, &a), -1);
	/* a name over 255 octets */
	buf_reset(&b);
	for (i = 0; i < 5; i++) {
		buf_putc(&b, 63);
		for (int j = 0; j < 63; j++)
			buf_putc(&b, 'a');
	}
	buf_putc(&b, 0);
	off = 0;
	ck_assert_int_eq(dnsmx_name(b.p, b.len, &off, out, sizeof out), -1);
	off = 0;
	ck_assert_int_eq(dnsmx_name(b.p, b.len, &off, NULL, 0), -1);
	/* MX target with bytes that are no host name: record skipped */
	buf_reset(&b);
	header(&b, 0, 2, "e.example", DNS_T_MX);
	rr_head(&b, DNS_T_MX, 2 + 6);
	u16(&b, 5);
	buf_putc(&b, 4);
	buf_append(&b, "a\nb.", 4);
	buf_putc(&b, 0);
	rr_head(&b, DNS_T_MX, 2 + 4);
	u16(&b, 6);
	name(&b, "ok");
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_MX, &a), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_str_eq(a.rr[0].name, "ok");
	/* an MX name running past its rdata is malformed */
	buf_reset(&b);
	header(&b, 0, 1, "e.example", DNS_T_MX);
	rr_head(&b, DNS_T_MX, 2 + 2);
	u16(&b, 5);
	name(&b, "long");
	ck_assert_int_eq(dnsmx_parse(b.p, b.len, DNS_T_MX, &a), -1);
	buf_free(&b);
}
END_TEST

START_TEST(ordering)
{
	struct dnsmx_host h[5];
	size_t n, i;
	int first_b = 0, first_c = 0;

	for (i = 0; i < 200; i++) {
		memset(h, 0, sizeof h);
		strcpy(h[0].name, "d");  h[0].pref = 30;
		strcpy(h[1].name, "b");  h[1].pref = 10;
		strcpy(h[2].name, "");   h[2].pref = 0;   /* root: dropped */
		strcpy(h[3].name, "c");  h[3].pref = 10;
		strcpy(h[4].name, "a");  h[4].pref = 5;
		n = 5;
		dnsmx_order(h, &n);
		ck_assert_uint_eq(n, 4);
		ck_assert_str_eq(h[0].name, "a");
		ck_assert_str_eq(h[3].name, "d");
		ck_assert_uint_eq(h[1].pref, 10);
		ck_assert_uint_eq(h[2].pref, 10);
		if (strcmp(h[1].name, "b") == 0)
			first_b++;
		else
			first_c++;
	}
	/* equal preferences are shuffled: both orders show up */
	ck_assert_int_gt(first_b, 20);
	ck_assert_int_gt(first_c, 20);
}
END_TEST

START_TEST(resolver_settings)
{
	char err[128];
	struct dnsmx_resolver *r;
	struct dnsmx_addr a[2];
	size_t n;

	ck_assert_ptr_null(dnsmx_resolver_new("not-an-ip", 53, 2, err, sizeof err));
	ck_assert_ptr_null(dnsmx_resolver_new("127.0.0.1", 0, 2, err, sizeof err));
	r = dnsmx_resolver_new("127.0.0.1", 5353, 2, err, sizeof err);
	ck_assert_ptr_nonnull(r);
	/* literals need no query */
	ck_assert_int_eq(dnsmx_addrs(r, "127.0.0.9", 2525, a, 2, &n), DNSMX_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(a[0].ss.ss_family, AF_INET);
	ck_assert_int_eq(dnsmx_addrs(r, "::1", 25, a, 2, &n), DNSMX_OK);
	ck_assert_int_eq(a[0].ss.ss_family, AF_INET6);
	dnsmx_resolver_free(r);
}
END_TEST


/* A one-shot DNS server on a bound UDP socket (IPv4 or IPv6): answers
 * every query with one MX record "10 mx.v6.test", count times. */
static void
serve_mx(int fd, int count)
{
	unsigned char q[512], a[600];
	static const unsigned char rr[] = { 0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 0, 60,
	    0, 14, 0, 10, 2, 'm', 'x', 2, 'v', '6', 4, 't', 'e', 's', 't', 0 };
	struct sockaddr_storage from;
	socklen_t fl;
	ssize_t n;

	while (count-- > 0) {
		fl = sizeof from;
		n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
		if (n < 12 || (size_t)n + sizeof rr > sizeof a)
			_exit(1);
		memcpy(a, q, (size_t)n);
		a[2] = 0x81;
		a[3] = 0x80;
		a[6] = 0;
		a[7] = 1;          /* one answer */
		a[8] = a[9] = a[10] = a[11] = 0;
		memcpy(a + n, rr, sizeof rr);
		sendto(fd, a, (size_t)n + sizeof rr, 0, (struct sockaddr *)&from, fl);
	}
	_exit(0);
}

START_TEST(ipv6_nameserver)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sizeof sa;
	struct dnsmx_resolver *r;
	struct dnsmx_host hosts[4];
	char err[128];
	size_t n = 0;
	pid_t pid;
	int fd, st;

	/* the forms resolv.conf and our config accept */
	r = dnsmx_resolver_new("[::1]", 53, 2, err, sizeof err);
	ck_assert_ptr_nonnull(r);
	dnsmx_resolver_free(r);
	r = dnsmx_resolver_new("fe80::1%lo", 53, 2, err, sizeof err);
	ck_assert_ptr_nonnull(r);
	dnsmx_resolver_free(r);
	ck_assert_ptr_null(dnsmx_resolver_new("[::1", 53, 2, err, sizeof err));
	ck_assert_ptr_null(dnsmx_resolver_new("::1]", 53, 2, err, sizeof err));
	ck_assert_ptr_null(dnsmx_resolver_new("[]", 53, 2, err, sizeof err));
	ck_assert_ptr_null(dnsmx_resolver_new("::g", 53, 2, err, sizeof err));

	/* a real query to a server on ::1 */
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin6_family = AF_INET6;
	sa.sin6_addr = in6addr_loopback;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		serve_mx(fd, 2);
	close(fd);
	r = dnsmx_resolver_new("::1", ntohs(sa.sin6_port), 4, err, sizeof err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(dnsmx_mx(r, "v6.test", hosts, 4, &n), DNSMX_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(hosts[0].name, "mx.v6.test");
	dnsmx_resolver_free(r);
	/* bracketed, after a free and a new resolver */
	r = dnsmx_resolver_new("[::1]", ntohs(sa.sin6_port), 4, err, sizeof err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(dnsmx_mx(r, "v6.test", hosts, 4, &n), DNSMX_OK);
	ck_assert_str_eq(hosts[0].name, "mx.v6.test");
	dnsmx_resolver_free(r);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnsmx");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, mx_answer);
	tcase_add_test(tc, address_answers);
	tcase_add_test(tc, null_mx_and_rcodes);
	tcase_add_test(tc, hostile_names);
	tcase_add_test(tc, ordering);
	tcase_add_test(tc, resolver_settings);
	tcase_add_test(tc, ipv6_nameserver);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
