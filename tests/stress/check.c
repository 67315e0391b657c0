// SPDX-License-Identifier: GPL-2.0
/*
 * check.c - the supervisor's check of one epoch, from the logs of every
 * incarnation, once all of them stopped and the survivors read their
 * queues empty.
 *
 * An incarnation was surely a peer from the tick after its join to the
 * tick before its close or its kill, and possibly one from the tick
 * before its join to the tick after its close or its death. A message
 * went out somewhere between the ticks around its write. So:
 *  - a unicast whose target id was surely held, through the whole write,
 *    by an incarnation that survived the epoch must have been read by it;
 *  - a broadcast must have been read by every survivor that was surely a
 *    peer through the whole write (the sender too, unless NOSELF);
 *  - nobody reads a message twice, every reader sees it under one
 *    sequence number, and nobody reads one that could not reach it;
 *  - ENXIO never comes while the target id is surely held;
 *  - an asynchronous lock request that was queued before another request
 *    was made is granted before it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ipchannel.h>

#include "stress_int.h"

#define SHOW_MAX	10	/* violations printed per epoch */

struct span {
	uint64_t sure0, sure1;		/* surely a peer */
	uint64_t maybe0, maybe1;	/* possibly a peer */
	bool survivor;
};

struct msg {
	int src;
	const struct ev *ev;
	uint64_t seq;
	int nrcv;
	uint8_t rcv[MAX_INC / 8];
};

struct req {
	uint64_t t0, t1;
	long grant;		/* -1: not granted */
	bool async;
};

struct checker {
	struct shm *s;
	int n;
	struct span span[MAX_INC];
	struct msg *msgs;
	size_t nr_msgs;
	struct check_result *res;
};

static void bad(struct checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bad(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	if (c->res->violations++ >= SHOW_MAX)
		return;
	va_start(ap, fmt);
	printf("# violation: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void make_spans(struct checker *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		struct inc *inc = &c->s->inc[i];
		struct span *sp = &c->span[i];

		/* Killed before it even began to join: never a peer. */
		if (inc->join0 == NEVER) {
			sp->sure0 = sp->maybe0 = NEVER;
			sp->sure1 = sp->maybe1 = 0;
			sp->survivor = false;
			continue;
		}
		sp->survivor = atomic_load(&inc->drained);
		sp->sure0 = inc->join1;
		sp->sure1 = min64(inc->close0, atomic_load(&inc->kill0));
		sp->maybe0 = inc->join0;
		sp->maybe1 = inc->close1 != NEVER ? inc->close1 : inc->death;
		if (!sp->survivor && sp->maybe1 == NEVER)
			bad(c, "incarnation %d neither survived nor ended", i);
	}
}

/* Surely a peer through the whole of [t0, t1]? */
static bool surely_in(const struct span *sp, uint64_t t0, uint64_t t1)
{
	return sp->sure0 < t0 && t1 < sp->sure1;
}

static bool maybe_in(const struct span *sp, uint64_t t0, uint64_t t1)
{
	return sp->maybe0 < t1 && t0 < sp->maybe1;
}

static int msg_cmp(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->ev->no < y->ev->no ? -1 : x->ev->no > y->ev->no;
}

static int collect_msgs(struct checker *c)
{
	size_t cap = 0;
	unsigned int e, nev;
	int i;

	for (i = 0; i < c->n; i++)
		cap += atomic_load(&c->s->inc[i].nev);
	c->msgs = calloc(cap ? cap : 1, sizeof(*c->msgs));
	if (!c->msgs)
		return -1;
	c->nr_msgs = 0;
	for (i = 0; i < c->n; i++) {
		nev = min64(atomic_load(&c->s->inc[i].nev), LOG_CAP);
		for (e = 0; e < nev; e++) {
			const struct ev *ev = &c->s->inc[i].log[e];

			if (ev->type != EV_SENT)
				continue;
			c->msgs[c->nr_msgs].src = i;
			c->msgs[c->nr_msgs].ev = ev;
			c->nr_msgs++;
		}
	}
	qsort(c->msgs, c->nr_msgs, sizeof(*c->msgs), msg_cmp);
	return 0;
}

static struct msg *find_msg(struct checker *c, int src, uint32_t no)
{
	size_t lo = 0, hi = c->nr_msgs, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (c->msgs[mid].src < src ||
		    (c->msgs[mid].src == src && c->msgs[mid].ev->no < no))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nr_msgs && c->msgs[lo].src == src &&
	    c->msgs[lo].ev->no == no)
		return &c->msgs[lo];
	return NULL;
}

/*
 * After a "never sent": what the log of @src says, so that a failure
 * tells a kernel that queued a refused record from a gap in the logs.
 */
static void explain_missing(struct checker *c, int src, uint32_t no)
{
	const struct inc *inc = &c->s->inc[src];
	unsigned int e, nev = min64(atomic_load(&inc->nev), LOG_CAP);
	uint32_t last = 0;
	bool any = false;

	printf("#   incarnation %d: slot %d pid %d peer %u, joined %llu-%llu, "
	       "closed %llu-%llu, killed %llu, died %llu, %u events\n", src,
	       inc->slot, (int)inc->pid, inc->peer,
	       (unsigned long long)inc->join0, (unsigned long long)inc->join1,
	       (unsigned long long)inc->close0,
	       (unsigned long long)inc->close1,
	       (unsigned long long)atomic_load(&inc->kill0),
	       (unsigned long long)inc->death, nev);
	for (e = 0; e < nev; e++) {
		const struct ev *ev = &inc->log[e];

		if (ev->type != EV_SENT && ev->type != EV_SEND_ERR)
			continue;
		any = true;
		if (ev->type == EV_SENT && ev->no > last)
			last = ev->no;
		if (ev->no == no)
			printf("#   message %u is logged as %s (errno %u), "
			       "ticks %llu-%llu\n", no,
			       ev->type == EV_SENT ? "sent" : "refused",
			       ev->aux, (unsigned long long)ev->t0,
			       (unsigned long long)ev->t1);
	}
	printf("#   last message logged as sent: %u%s\n", last,
	       any ? "" : " (none)");
}

/* One record read by incarnation @r. */
static void receipt(struct checker *c, int r, const struct ev *ev)
{
	struct msg *m;
	const struct ev *sent;

	c->res->receipts++;
	if (ev->src >= (uint32_t)c->n) {
		bad(c, "%d read a message of incarnation %u, unknown", r,
		    ev->src);
		return;
	}
	m = find_msg(c, ev->src, ev->no);
	if (!m) {
		/* Accepted, then the sender died before it could log it. */
		if (atomic_load(&c->s->inc[ev->src].kill0) == NEVER) {
			bad(c, "%d read message %u of %u, which was never "
			    "sent", r, ev->no, ev->src);
			explain_missing(c, ev->src, ev->no);
		}
		return;
	}
	sent = m->ev;
	if (m->rcv[r / 8] & (1U << (r % 8)))
		bad(c, "%d read message %u of %d twice", r, sent->no, m->src);
	m->rcv[r / 8] |= 1U << (r % 8);
	m->nrcv++;
	if (m->seq && m->seq != ev->t0)
		bad(c, "message %u of %d read as %llu and as %llu", sent->no,
		    m->src, (unsigned long long)m->seq,
		    (unsigned long long)ev->t0);
	m->seq = ev->t0;

	if (!maybe_in(&c->span[r], sent->t0, sent->t1))
		bad(c, "%d read message %u of %d, sent when it was no peer",
		    r, sent->no, m->src);
	if (!(sent->flags & EVF_BCAST) && c->s->inc[r].peer != sent->peer)
		bad(c, "%d (peer %u) read message %u of %d, sent to %u", r,
		    c->s->inc[r].peer, sent->no, m->src, sent->peer);
	if ((sent->flags & EVF_NOSELF) && r == m->src)
		bad(c, "%d read its own NOSELF broadcast %u", r, sent->no);
}

static bool was_read_by(const struct msg *m, int r)
{
	return m->rcv[r / 8] & (1U << (r % 8));
}

/* Every message that was sent must have reached whom it surely had to. */
static void deliveries(struct checker *c, const struct msg *m)
{
	const struct ev *ev = m->ev;
	bool bcast = ev->flags & EVF_BCAST;
	int r;

	c->res->messages++;
	if (!bcast && m->nrcv > 1)
		bad(c, "unicast %u of %d read %d times", ev->no, m->src,
		    m->nrcv);
	for (r = 0; r < c->n; r++) {
		const struct span *sp = &c->span[r];

		if (!sp->survivor || was_read_by(m, r) ||
		    !surely_in(sp, ev->t0, ev->t1))
			continue;
		if (bcast && (r != m->src || !(ev->flags & EVF_NOSELF)))
			bad(c, "broadcast %u of %d never reached %d", ev->no,
			    m->src, r);
		else if (!bcast && c->s->inc[r].peer == ev->peer)
			bad(c, "message %u of %d to peer %u never reached %d",
			    ev->no, m->src, ev->peer, r);
	}
}

/* ENXIO only when nobody surely held the target id. */
static void refusal(struct checker *c, int src, const struct ev *ev)
{
	int r;

	c->res->refusals++;
	if (ev->aux != ENXIO || (ev->flags & EVF_BCAST))
		return;
	for (r = 0; r < c->n; r++)
		if (c->s->inc[r].peer == ev->peer &&
		    surely_in(&c->span[r], ev->t0, ev->t1))
			bad(c, "%d got ENXIO for peer %u, held by %d", src,
			    ev->peer, r);
}

static int by_t1(const void *a, const void *b)
{
	const struct req *x = *(struct req *const *)a;
	const struct req *y = *(struct req *const *)b;

	return x->t1 < y->t1 ? -1 : x->t1 > y->t1;
}

static int by_t0(const void *a, const void *b)
{
	const struct req *x = *(struct req *const *)a;
	const struct req *y = *(struct req *const *)b;

	return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/*
 * The grant numbers of incarnation @i's requests for @lock, indexed by
 * request number from *@first; -1 where not granted. NULL if none.
 */
static long *grants_of(struct checker *c, int i, int lock, uint32_t *first)
{
	unsigned int e, nev = min64(atomic_load(&c->s->inc[i].nev), LOG_CAP);
	uint32_t lo = UINT32_MAX, hi = 0;
	long *g;

	for (e = 0; e < nev; e++) {
		const struct ev *ev = &c->s->inc[i].log[e];

		if (ev->type == EV_LOCK && ev->aux == lock) {
			lo = ev->no < lo ? ev->no : lo;
			hi = ev->no > hi ? ev->no : hi;
		}
	}
	if (lo > hi)
		return NULL;
	g = malloc((hi - lo + 1) * sizeof(*g));
	if (!g)
		return NULL;
	memset(g, 0xff, (hi - lo + 1) * sizeof(*g));
	for (e = 0; e < nev; e++) {
		const struct ev *ev = &c->s->inc[i].log[e];

		if (ev->type == EV_GRANT && ev->aux == lock &&
		    ev->no >= lo && ev->no <= hi)
			g[ev->no - lo] = ev->peer;
	}
	*first = lo;
	return g;
}

/*
 * FIFO: walk the requests by start; every asynchronous request that was
 * queued before a request started must have a smaller grant number.
 */
static void lock_order(struct checker *c, int lock)
{
	struct req *reqs, **queued, **started;
	size_t n = 0, nq = 0, i, j;
	long max_before = -1;
	unsigned int e, nev;
	int k;

	for (k = 0; k < c->n; k++)
		n += atomic_load(&c->s->inc[k].nev);
	reqs = calloc(n + 1, sizeof(*reqs));
	queued = calloc(n + 1, sizeof(*queued));
	started = calloc(n + 1, sizeof(*started));
	if (!reqs || !queued || !started) {
		bad(c, "out of memory");
		goto out;
	}
	n = 0;
	for (k = 0; k < c->n; k++) {
		uint32_t first = 0;
		long *g = grants_of(c, k, lock, &first);

		nev = min64(atomic_load(&c->s->inc[k].nev), LOG_CAP);
		for (e = 0; g && e < nev; e++) {
			const struct ev *ev = &c->s->inc[k].log[e];

			if (ev->type != EV_LOCK || ev->aux != lock || ev->peer)
				continue;
			reqs[n].t0 = ev->t0;
			reqs[n].t1 = ev->t1;
			reqs[n].async = ev->flags & EVF_ASYNC;
			reqs[n].grant = g[ev->no - first];
			started[n] = &reqs[n];
			if (reqs[n].async && reqs[n].grant >= 0)
				queued[nq++] = &reqs[n];
			n++;
		}
		free(g);
	}
	c->res->requests += n;
	qsort(queued, nq, sizeof(*queued), by_t1);
	qsort(started, n, sizeof(*started), by_t0);
	for (i = 0, j = 0; i < n; i++) {
		while (j < nq && queued[j]->t1 < started[i]->t0) {
			if (queued[j]->grant > max_before)
				max_before = queued[j]->grant;
			j++;
		}
		if (started[i]->grant >= 0 && max_before > started[i]->grant)
			bad(c, "lock L%d: grant %ld went before grant %ld of "
			    "an earlier queued request", lock,
			    started[i]->grant, max_before);
	}
out:
	free(reqs);
	free(queued);
	free(started);
}

void check_epoch(struct shm *s, struct check_result *res)
{
	struct checker *c = calloc(1, sizeof(*c));
	unsigned int e, nev;
	size_t m;
	int i;

	if (!c) {
		res->violations++;
		return;
	}
	c->s = s;
	c->res = res;
	c->n = atomic_load(&s->nr_inc);
	if (c->n > MAX_INC)
		c->n = MAX_INC;
	make_spans(c);
	if (collect_msgs(c)) {
		bad(c, "out of memory");
		free(c);
		return;
	}
	for (i = 0; i < c->n; i++) {
		nev = min64(atomic_load(&s->inc[i].nev), LOG_CAP);
		for (e = 0; e < nev; e++) {
			const struct ev *ev = &s->inc[i].log[e];

			if (ev->type == EV_RECV)
				receipt(c, i, ev);
			else if (ev->type == EV_SEND_ERR)
				refusal(c, i, ev);
		}
	}
	for (m = 0; m < c->nr_msgs; m++)
		deliveries(c, &c->msgs[m]);
	for (i = 0; i < NR_LOCKS; i++) {
		int h = atomic_load(&s->locks[i].holder) - 1;

		lock_order(c, i);
		/* Survivors gave their locks back before they stopped. */
		if (h >= 0 && (h >= c->n ||
			       atomic_load(&s->inc[h].kill0) == NEVER))
			bad(c, "lock L%d still held by incarnation %d at the "
			    "end", i, h);
	}
	free(c->msgs);
	free(c);
}
