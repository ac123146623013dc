/* send_sched.c: postern-send's due-time structure: two binary min-heaps
 * (local and remote recipients) of the messages that have a recipient of
 * that kind to try, keyed by the earliest time one of them may be tried.
 * A scheduling pass pops only what is due and only for a kind with a
 * free delivery slot, so its cost follows the work to do, not the size
 * of the queue. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"
#include "send.h"

static void
place(struct send_heap *h, int k, size_t i, struct send_msg *m)
{
	h->h[i] = m;
	m->heap_pos[k] = i;
}

static void
up(struct send_heap *h, int k, size_t i)
{
	struct send_msg *m = h->h[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (h->h[p]->due[k] <= m->due[k])
			break;
		place(h, k, i, h->h[p]);
		i = p;
	}
	place(h, k, i, m);
}

static void
down(struct send_heap *h, int k, size_t i)
{
	struct send_msg *m = h->h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->h[c + 1]->due[k] < h->h[c]->due[k])
			c++;
		if (m->due[k] <= h->h[c]->due[k])
			break;
		place(h, k, i, h->h[c]);
		i = c;
	}
	place(h, k, i, m);
}

static int
in_heap(const struct send_heap *h, int k, const struct send_msg *m)
{
	return m->heap_pos[k] < h->n && h->h[m->heap_pos[k]] == m;
}

static void
heap_remove(struct send_heap *h, int k, struct send_msg *m)
{
	size_t i = m->heap_pos[k];
	struct send_msg *last;

	if (!in_heap(h, k, m))
		return;
	m->heap_pos[k] = SIZE_MAX;
	last = h->h[--h->n];
	if (i == h->n)
		return;
	place(h, k, i, last);
	down(h, k, i);
	up(h, k, last->heap_pos[k]);
}

void
send_sched_remove(struct send_state *s, struct send_msg *m)
{
	heap_remove(&s->heap[SEND_LOCAL], SEND_LOCAL, m);
	heap_remove(&s->heap[SEND_REMOTE], SEND_REMOTE, m);
}

static void
set_due(struct send_state *s, struct send_msg *m, int k, time_t due)
{
	struct send_heap *h = &s->heap[k];

	m->due[k] = due;
	if (due == SEND_NEVER) {
		heap_remove(h, k, m);
		return;
	}
	if (in_heap(h, k, m)) {
		down(h, k, m->heap_pos[k]);
		up(h, k, m->heap_pos[k]);
		return;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->h = xreallocarray(h->h, h->cap, sizeof(*h->h));
	}
	place(h, k, h->n++, m);
	up(h, k, m->heap_pos[k]);
}

void
send_sched_update(struct send_state *s, struct send_msg *m)
{
	time_t due[2] = { SEND_NEVER, SEND_NEVER };
	size_t i;

	if (!m->gone)
		for (i = 0; i < m->env->nrcpts; i++) {
			const struct envelope_rcpt *r = &m->env->rcpts[i];
			int k;

			if ((r->state != ENVELOPE_PENDING && r->state != ENVELOPE_DEFERRED) ||
			    m->busy[i])
				continue;
			k = send_run_is_local(s, r->addr) ? SEND_LOCAL : SEND_REMOTE;
			if (m->next[i] < due[k])
				due[k] = m->next[i];
		}
	set_due(s, m, SEND_LOCAL, due[SEND_LOCAL]);
	set_due(s, m, SEND_REMOTE, due[SEND_REMOTE]);
}

struct send_msg *
send_sched_pop(struct send_state *s, int kind, time_t now)
{
	struct send_heap *h = &s->heap[kind];
	struct send_msg *m;

	if (h->n == 0 || h->h[0]->due[kind] > now)
		return NULL;
	m = h->h[0];
	heap_remove(h, kind, m);
	return m;
}

void
send_sched_free(struct send_state *s)
{
	free(s->heap[SEND_LOCAL].h);
	free(s->heap[SEND_REMOTE].h);
	memset(s->heap, 0, sizeof(s->heap));
}
