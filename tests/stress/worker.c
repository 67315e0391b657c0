// SPDX-License-Identifier: GPL-2.0
/*
 * worker.c - one worker process of the stress tool: random sends,
 * broadcasts and events, reads, locks, closes and rejoins, each logged
 * with the ticks around it for the supervisor's checks (check.c).
 *
 * What a worker can check alone, it checks as it reads: sequence numbers
 * only grow, each sender's messages come in the order sent, payloads are
 * what the sender wrote, and no lock has two holders.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/ipchannel.h>

#include "stress.h"
#include "stress_int.h"

#define BUF_SIZE	(256 << 10)

enum lock_st { L_FREE, L_WAITING, L_HELD };

struct worker {
	struct shm *s;
	int slot;
	int fd;
	int me;			/* incarnation */
	uint32_t peer;
	uint64_t rng;
	uint32_t msg_no, req_no;
	uint64_t last_seq;
	uint32_t next_no[MAX_INC];	/* per sender: the next number due */
	struct {
		enum lock_st st;
		uint32_t req;
		int ops_left;	/* hold this many more operations */
	} lk[NR_LOCKS];
};

static unsigned char wbuf[BUF_SIZE], rbuf[BUF_SIZE];

static uint32_t rnd(struct worker *w, uint32_t n)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return n ? (uint32_t)(w->rng % n) : 0;
}

void violation(struct shm *s, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&s->violations, 1);
	if (atomic_flag_test_and_set(&s->violation_told))
		return;
	va_start(ap, fmt);
	vsnprintf(s->first_violation, sizeof(s->first_violation), fmt, ap);
	va_end(ap);
}

/*
 * Only this process writes its incarnation's log, so an entry is written
 * first and then counted: a worker killed half way leaves its last entry
 * uncounted. (Counting first would leave, under a kill, an entry that
 * still holds what the same place of the log held in an earlier epoch.)
 */
static void log_ev(struct worker *w, const struct ev *ev)
{
	struct inc *inc = &w->s->inc[w->me];
	unsigned int i = atomic_load_explicit(&inc->nev, memory_order_relaxed);

	if (i >= LOG_CAP) {
		violation(w->s, "log of incarnation %d overflowed", w->me);
		return;
	}
	inc->log[i] = *ev;
	atomic_store_explicit(&inc->nev, i + 1, memory_order_release);
	if (i >= LOG_CAP / 2)
		atomic_store(&w->s->full, 1);
}

/* Blocking calls are cut short by SIGALRM, so that no wait is endless. */
static void on_alarm(int sig)
{
	(void)sig;
}

static void arm(int ms)
{
	struct itimerval it = { .it_value = { 0, ms * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* ---- incarnations ---- */

/* A new incarnation of this slot, already a peer when @peer is set. */
static int inc_new(struct worker *w)
{
	struct shm *s = w->s;
	int i = atomic_fetch_add(&s->nr_inc, 1);
	struct inc *inc;
	uint64_t killed;

	if (i >= MAX_INC) {
		violation(s, "more than %d incarnations in an epoch", MAX_INC);
		return -1;
	}
	inc = &s->inc[i];
	inc->slot = w->slot;
	inc->pid = getpid();
	inc->close0 = inc->close1 = NEVER;
	atomic_store(&inc->kill0, NEVER);
	inc->death = NEVER;
	atomic_store(&inc->drained, 0);
	atomic_store(&inc->nev, 0);
	w->me = i;
	memset(w->next_no, 0, sizeof(w->next_no));
	atomic_store(&s->slot_inc[w->slot], i + 1);
	/* A kill the supervisor marked while we switched applies here too. */
	killed = atomic_load(&s->slot_kill[w->slot]);
	if (killed != NEVER)
		atomic_store(&inc->kill0, killed);
	return 0;
}

static void publish(struct worker *w)
{
	struct inc *inc = &w->s->inc[w->me];

	inc->peer = w->peer;
	if (w->peer <= MAX_PEER_ID)
		atomic_store(&w->s->dir[w->peer], w->me + 1);
}

static int join_channel(struct worker *w)
{
	struct ipchannel_join j = { .flags = IPCHANNEL_JOIN_CREATE };
	struct inc *inc;
	int ret;

	if (inc_new(w))
		return -1;
	inc = &w->s->inc[w->me];
	snprintf(j.name, sizeof(j.name), "%s", CHANNEL);
	inc->join0 = tick(w->s);
	w->fd = open("/dev/ipchannel", O_RDWR | O_CLOEXEC);
	ret = w->fd < 0 ? -1 : ioctl(w->fd, IPCHANNEL_IOC_JOIN, &j);
	inc->join1 = tick(w->s);
	if (ret <= 0) {
		violation(w->s, "join: %s", strerror(errno));
		return -1;
	}
	w->peer = ret;
	publish(w);
	return 0;
}

/* ---- locks ---- */

static void lock_name(char *name, int i)
{
	memset(name, 0, IPCHANNEL_NAME_LEN);
	snprintf(name, IPCHANNEL_NAME_LEN, "L%d", i);
}

/* The cookie of a request is its number, so that grants tell them apart. */
static int lock_ioctl(struct worker *w, unsigned long cmd, int i,
		      uint32_t req, uint32_t flags, uint64_t deadline)
{
	struct ipchannel_lock l = { .cookie = req, .flags = flags,
				    .deadline_ns = deadline };

	lock_name(l.name, i);
	return ioctl(w->fd, cmd, &l) < 0 ? errno : 0;
}

/*
 * The kernel granted lock @i to request @req: nobody else may hold it,
 * unless the holder is being killed and the kernel let it go.
 */
static void acquired(struct worker *w, int i, uint32_t req)
{
	struct lock_state *ls = &w->s->locks[i];
	int none = 0, h;
	struct ev ev = { .type = EV_GRANT, .aux = i, .no = req };

	if (!atomic_compare_exchange_strong(&ls->holder, &none, w->me + 1)) {
		h = none - 1;
		if (atomic_load(&w->s->inc[h].kill0) == NEVER ||
		    !atomic_compare_exchange_strong(&ls->holder, &none,
						    w->me + 1))
			violation(w->s, "lock L%d granted to incarnation %d "
				  "while %d holds it", i, w->me, h);
	}
	ev.peer = atomic_fetch_add(&ls->grants, 1);
	log_ev(w, &ev);
	atomic_fetch_add(&w->s->grants, 1);
	w->lk[i].st = L_HELD;
	w->lk[i].req = req;
	w->lk[i].ops_left = 1 + rnd(w, 8);
}

static void release(struct worker *w, int i)
{
	struct lock_state *ls = &w->s->locks[i];
	int mine = w->me + 1, err;

	if (w->lk[i].st == L_HELD &&
	    !atomic_compare_exchange_strong(&ls->holder, &mine, 0))
		violation(w->s, "lock L%d taken from incarnation %d", i, w->me);
	/* Releases a held lock, or withdraws a queued asynchronous one. */
	err = lock_ioctl(w, IPCHANNEL_IOC_UNLOCK, i, w->lk[i].req, 0, 0);
	if (err)
		violation(w->s, "unlock L%d: %s", i, strerror(err));
	w->lk[i].st = L_FREE;
}

static void release_all(struct worker *w)
{
	int i;

	for (i = 0; i < NR_LOCKS; i++)
		if (w->lk[i].st != L_FREE)
			release(w, i);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void lock_op(struct worker *w)
{
	int i = rnd(w, NR_LOCKS), err;
	struct ev ev = { .type = EV_LOCK, .aux = i };
	uint32_t flags = 0;
	uint64_t deadline = 0;

	if (w->lk[i].st == L_HELD && --w->lk[i].ops_left <= 0) {
		release(w, i);
		return;
	}
	if (w->lk[i].st == L_WAITING && !rnd(w, 20)) {
		release(w, i);		/* withdraw */
		return;
	}
	if (w->lk[i].st != L_FREE)
		return;

	switch (rnd(w, 3)) {
	case 0:
		deadline = mono_ns() + 30000000;
		break;
	case 1:
		flags = IPCHANNEL_LOCK_TRY;
		ev.flags = EVF_TRY;
		break;
	default:
		flags = IPCHANNEL_LOCK_ASYNC;
		ev.flags = EVF_ASYNC;
	}
	ev.no = w->req_no++;
	ev.t0 = tick(w->s);
	err = lock_ioctl(w, IPCHANNEL_IOC_LOCK, i, ev.no, flags, deadline);
	ev.t1 = tick(w->s);
	ev.peer = err;
	log_ev(w, &ev);

	if (!err && (flags & IPCHANNEL_LOCK_ASYNC)) {
		w->lk[i].st = L_WAITING;
		w->lk[i].req = ev.no;
	} else if (!err) {
		acquired(w, i, ev.no);
	} else if (err != ETIMEDOUT && err != EAGAIN && err != EINTR) {
		violation(w->s, "lock L%d: %s", i, strerror(err));
	}
}

/* ---- messages ---- */

static unsigned char pattern(uint32_t src, uint32_t no, uint32_t i)
{
	return (unsigned char)(src * 131 + no * 7 + i);
}

/* Builds message @no into @p; its padded length. */
static size_t build(struct worker *w, unsigned char *p, uint32_t target,
		    uint32_t flags, uint32_t no, uint32_t len, bool event)
{
	struct ipchannel_send *hdr = (void *)p;
	struct payload *pl;
	size_t elen = event ? 2 : 0, i;
	unsigned char *data = p + sizeof(*hdr) + elen;

	memset(hdr, 0, sizeof(*hdr));
	hdr->target = target;
	hdr->flags = flags;
	hdr->len = len;
	hdr->event_len = elen;
	if (event) {
		p[sizeof(*hdr)] = 'e';
		p[sizeof(*hdr) + 1] = '0' + no % 10;
	}
	pl = (void *)data;
	pl->magic = MAGIC;
	pl->src = w->me;
	pl->no = no;
	pl->len = len;
	pl->epoch = atomic_load(&w->s->epoch);
	pl->pid = getpid();
	for (i = sizeof(*pl); i < len; i++)
		data[i] = pattern(w->me, no, i);
	return IPCHANNEL_ALIGN(sizeof(*hdr) + elen + len);
}

static uint32_t pick_len(struct worker *w)
{
	uint32_t max = w->s->max_msg, r = rnd(w, 100);

	if (r < 70)
		return sizeof(struct payload) + rnd(w, 64);
	if (r < 95)
		return sizeof(struct payload) + rnd(w, 4096);
	return sizeof(struct payload) +
	       rnd(w, max - sizeof(struct payload) + 1);
}

static uint32_t pick_target(struct worker *w)
{
	uint32_t id = 1 + rnd(w, w->s->nr_slots + 2);

	return id;
}

static void send_op(struct worker *w)
{
	uint32_t n = 1 + rnd(w, 3), i, target, flags;
	size_t len[3], total = 0, done;
	struct ev ev[3];
	struct iovec iov;
	bool nowait = rnd(w, 2);
	ssize_t ret;
	uint64_t t0, t1;

	for (i = 0; i < n; i++) {
		bool bcast = !rnd(w, 5);

		target = bcast ? IPCHANNEL_PEER_ALL : pick_target(w);
		flags = bcast && rnd(w, 2) ? IPCHANNEL_SEND_NOSELF : 0;
		memset(&ev[i], 0, sizeof(ev[i]));
		ev[i].peer = target;
		ev[i].no = w->msg_no++;
		ev[i].flags = (bcast ? EVF_BCAST : 0) |
			      (flags ? EVF_NOSELF : 0);
		len[i] = build(w, wbuf + total, target, flags, ev[i].no,
			       pick_len(w), !rnd(w, 3));
		total += len[i];
	}

	iov.iov_base = wbuf;
	iov.iov_len = total;
	if (!nowait)
		arm(50);
	t0 = tick(w->s);
	ret = pwritev2(w->fd, &iov, 1, -1, nowait ? RWF_NOWAIT : 0);
	t1 = tick(w->s);
	if (!nowait)
		disarm();

	for (i = 0, done = 0; i < n; done += len[i], i++) {
		ev[i].t0 = t0;
		ev[i].t1 = t1;
		if (ret >= 0 && done + len[i] <= (size_t)ret) {
			ev[i].type = EV_SENT;
			atomic_fetch_add(&w->s->sent, 1);
		} else if (ret < 0 && i == 0) {
			ev[i].type = EV_SEND_ERR;
			ev[i].aux = errno;
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ENXIO)
				violation(w->s, "write: %s", strerror(errno));
		} else {
			break;
		}
		log_ev(w, &ev[i]);
	}
}

/* Checks one application record that was read and logs it. */
static void got_message(struct worker *w, const struct ipchannel_recv *h)
{
	const unsigned char *data = (const void *)(h + 1);
	const struct payload *pl = (const void *)(data + h->event_len);
	struct ev ev = { .type = EV_RECV };
	struct inc *src;
	uint32_t i;

	if (h->len < sizeof(*pl) || pl->magic != MAGIC || pl->len != h->len ||
	    pl->src >= MAX_INC) {
		violation(w->s, "record %llu: not a stress payload",
			  (unsigned long long)h->seq);
		return;
	}
	for (i = sizeof(*pl); i < h->len; i++)
		if (data[h->event_len + i] != pattern(pl->src, pl->no, i)) {
			violation(w->s, "record %llu: payload byte %u differs",
				  (unsigned long long)h->seq, i);
			return;
		}
	if (h->event_len && (h->event_len != 2 || data[0] != 'e' ||
			     data[1] != '0' + pl->no % 10))
		violation(w->s, "record %llu: wrong event name",
			  (unsigned long long)h->seq);
	/* Queues are read empty at the end of every epoch. */
	if (pl->epoch != (uint32_t)atomic_load(&w->s->epoch) ||
	    pl->pid != (int32_t)h->pid)
		violation(w->s, "record %llu: message %u of %u written by pid "
			  "%d in epoch %u, read in epoch %d from pid %u",
			  (unsigned long long)h->seq, pl->no, pl->src, pl->pid,
			  pl->epoch, atomic_load(&w->s->epoch), h->pid);
	src = &w->s->inc[pl->src];
	if (h->sender != src->peer || (pid_t)h->pid != src->pid)
		violation(w->s, "record %llu: sender %u pid %u, not %u %d",
			  (unsigned long long)h->seq, h->sender, h->pid,
			  src->peer, src->pid);
	if (pl->no < w->next_no[pl->src])
		violation(w->s, "message %u of incarnation %u came after %u",
			  pl->no, pl->src, w->next_no[pl->src] - 1);
	w->next_no[pl->src] = pl->no + 1;

	ev.flags = h->flags & IPCHANNEL_RECV_BROADCAST ? EVF_BCAST : 0;
	ev.peer = h->sender;
	ev.no = pl->no;
	ev.src = pl->src;
	ev.t0 = h->seq;
	log_ev(w, &ev);
	atomic_fetch_add(&w->s->recvd, 1);
}

static void got_grant(struct worker *w, const struct ipchannel_recv *h)
{
	const char *name = (const char *)(h + 1);
	int i = name[1] - '0';
	uint64_t cookie;

	if (h->event_len != 2 || name[0] != 'L' || i < 0 || i >= NR_LOCKS ||
	    h->len != sizeof(cookie)) {
		violation(w->s, "grant of an unknown lock");
		return;
	}
	memcpy(&cookie, name + 2, sizeof(cookie));
	/* A grant that a withdrawal overtook: the lock is not ours. */
	if (w->lk[i].st != L_WAITING || cookie != w->lk[i].req)
		return;
	acquired(w, i, w->lk[i].req);
}

/* Walks the @n bytes of records in rbuf. */
static void parse(struct worker *w, size_t n)
{
	const struct ipchannel_recv *h;
	size_t off = 0;

	while (off < n) {
		h = (const void *)(rbuf + off);
		if (h->size < sizeof(*h) || h->size > n - off) {
			violation(w->s, "read: bad record size %u", h->size);
			return;
		}
		if (h->seq <= w->last_seq)
			violation(w->s, "sequence %llu after %llu",
				  (unsigned long long)h->seq,
				  (unsigned long long)w->last_seq);
		w->last_seq = h->seq;
		if (!(h->flags & IPCHANNEL_RECV_SYSTEM))
			got_message(w, h);
		else if (h->type == IPCHANNEL_SYS_LOCK_GRANTED)
			got_grant(w, h);
		off += h->size;
	}
}

/* One read; 0 when something was read, else the errno. */
static int read_op(struct worker *w, bool wait, size_t size)
{
	struct iovec iov = { rbuf, size };
	ssize_t n;

	if (wait)
		arm(50);
	n = preadv2(w->fd, &iov, 1, -1, wait ? 0 : RWF_NOWAIT);
	if (wait)
		disarm();
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != EMSGSIZE)
			violation(w->s, "read: %s", strerror(errno));
		return errno;
	}
	parse(w, n);
	return 0;
}

/* Reads the queue empty: nothing but EAGAIN may end it. */
static void drain(struct worker *w)
{
	int err;

	while (!(err = read_op(w, false, BUF_SIZE)))
		;
	if (err != EAGAIN)
		violation(w->s, "drain of incarnation %d ended by %s", w->me,
			  strerror(err));
}

/*
 * Once every worker has read its queue empty, nobody sends until the next
 * epoch: a record in the queue now came after its sender had stopped.
 */
static void check_empty(struct worker *w, int epoch)
{
	struct shm *s = w->s;
	struct ipchannel_info info;

	while (atomic_load(&s->drained) < s->nr_slots &&
	       atomic_load(&s->epoch) == epoch && !atomic_load(&s->quit))
		usleep(1000);
	if (ioctl(w->fd, IPCHANNEL_IOC_INFO, &info)) {
		violation(s, "info: %s", strerror(errno));
		return;
	}
	/* The next epoch may have begun, and its sends with it. */
	if (info.queued_records && atomic_load(&s->epoch) == epoch)
		violation(s, "incarnation %d has %u records queued after the "
			  "drain, the first of %u bytes", w->me,
			  info.queued_records, info.next_size);
}

/* ---- the loop ---- */

static void close_and_rejoin(struct worker *w)
{
	struct inc *inc = &w->s->inc[w->me];
	int mine = w->me + 1;

	release_all(w);
	if (w->peer <= MAX_PEER_ID)
		atomic_compare_exchange_strong(&w->s->dir[w->peer], &mine, 0);
	inc->close0 = tick(w->s);
	close(w->fd);
	inc->close1 = tick(w->s);
	atomic_fetch_add(&w->s->rejoins, 1);
	/*
	 * Numbers grow within one channel; if every other worker was gone,
	 * the close ended the channel and the join makes a new one from 1.
	 */
	w->last_seq = 0;
	if (join_channel(w))
		_exit(1);
}

static void one_op(struct worker *w)
{
	uint32_t r = rnd(w, 100);

	atomic_fetch_add(&w->s->ops, 1);
	if (r < 45)
		send_op(w);
	else if (r < 70)
		read_op(w, false, BUF_SIZE);
	else if (r < 75)
		read_op(w, true, BUF_SIZE);
	else if (r < 77)
		read_op(w, false, 8 + rnd(w, 100));
	else if (r < 99)
		lock_op(w);
	else if (atomic_load(&w->s->nr_inc) < MAX_INC - 2 * MAX_SLOTS)
		close_and_rejoin(w);
}

/*
 * The end of an epoch: locks go back, then the queue is read until every
 * worker has stopped sending, then once more to the end.
 */
static void stop_epoch(struct worker *w)
{
	struct shm *s = w->s;
	int epoch = atomic_load(&s->epoch);

	release_all(w);
	atomic_fetch_add(&s->arrived, 1);
	while (atomic_load(&s->arrived) < s->nr_slots) {
		drain(w);
		usleep(1000);
	}
	drain(w);
	atomic_store(&s->inc[w->me].drained, 1);
	atomic_fetch_add(&s->drained, 1);
	check_empty(w, epoch);

	while (atomic_load(&s->epoch) == epoch && !atomic_load(&s->quit))
		usleep(1000);
	if (atomic_load(&s->quit))
		return;
	/*
	 * Still the same peer, logged afresh for the new epoch, and a peer
	 * since before it started: others may send before we get here.
	 */
	if (inc_new(w))
		_exit(1);
	s->inc[w->me].join0 = s->inc[w->me].join1 =
		atomic_load(&s->epoch_tick);
	publish(w);
}

void worker_main(struct shm *s, int slot, uint64_t seed)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct worker w = { .s = s, .slot = slot };

	sigaction(SIGALRM, &sa, NULL);
	w.rng = seed * 2654435761ULL + slot * 97 + getpid();
	if (!w.rng)
		w.rng = 1;
	if (join_channel(&w))
		_exit(1);

	while (!atomic_load(&s->quit)) {
		if (atomic_load(&s->stop) == atomic_load(&s->epoch))
			stop_epoch(&w);
		else
			one_op(&w);
	}
	release_all(&w);
	close(w.fd);
	_exit(0);
}
