/* fuzz_handoff.c: libFuzzer harness for the parsers on the session
 * hand-off path: the hand-off record (handoff_decode), the monitor's
 * request body (authclient_parse_request), the TLS control answer and
 * request (tlsctl_parse_answer/request) and listener reports
 * (authreport_parse).  The first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "authclient.h"
#include "authreport.h"
#include "handoff.h"
#include "tlsctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *p = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 5) {
	case 0: {
		struct handoff h;
		struct buf out = BUF_INIT;
		handoff_init(&h);
		if (handoff_decode(p, len, &h) == 0) {
			/* what decodes must re-encode and decode the same */
			struct handoff g;
			handoff_encode(&h, &out);
			handoff_init(&g);
			if (handoff_decode(out.p, out.len, &g) != 0 ||
			    g.pipelined.len != h.pipelined.len ||
			    strcmp(g.user, h.user) != 0)
				__builtin_trap();
			handoff_free(&g);
		}
		handoff_free(&h);
		buf_free(&out);
		break;
	}
	case 1: {
		const char *u, *pw, *ho;
		size_t ul, pl, hl;
		if (authclient_parse_request(p, len, &u, &ul, &pw, &pl, &ho, &hl) == 0 &&
		    (u + ul > p + len || pw + pl > p + len || ho + hl > p + len))
			__builtin_trap();
		break;
	}
	case 2: {
		struct tls_facts f;
		char reason[64];
		tlsctl_parse_answer(p, len, &f, reason, sizeof(reason));
		break;
	}
	case 3: {
		const char *r;
		size_t rl;
		tlsctl_parse_request(p, len, &r, &rl);
		break;
	}
	case 4: {
		char ip[64];
		authreport_parse(p, len, ip, sizeof(ip));
		break;
	}
	}
	return 0;
}
