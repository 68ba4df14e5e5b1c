// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's access-audit writer (issue #8). Every clip deletion (retention),
 * stream (HTTP) and upload (push) is one JSON line appended to the audit
 * log; on an SD card an open, a write or an fdatasync can each take tens of
 * milliseconds, so the loop makes none of them itself:
 *
 * - the log is opened once at start with O_APPEND (one write per record:
 *   records never interleave with another writer's, vigil-clip --audit);
 * - each record is one IORING_OP_WRITE at the end of the file linked to its
 *   fdatasync, one record at a time, so records reach the file in the order
 *   they were queued; the others wait in a FIFO;
 * - another thread (push's worker) queues under a mutex that is never held
 *   across I/O and wakes the loop through an eventfd the loop polls;
 * - SIGHUP opens the log again at its path with IORING_OP_OPENAT (after
 *   logrotate moved it away); records wait meanwhile, and the old fd is
 *   closed with IORING_OP_CLOSE once its record in flight completed.
 *
 * Errors are logged and counted (--stats, /metrics), never fatal. One
 * writer per file: callers naming the same file share it (audit_open()).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

#define LOGS	AUDIT_LOGS
#define OPEN_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW)

enum {
	OP_WAKE = 1,		/* the eventfd: another thread queued */
	OP_WRITE,		/* the head record, linked to: */
	OP_SYNC,		/* its fdatasync */
	OP_OPEN,		/* SIGHUP: the new fd */
	OP_CLOSE,		/* an old fd */
};

#define TAG(a, op, i) LOOP_TAG(AUDIT_ID, (a)->idx << 24 | (unsigned int)(op) << 16 | (i))
#define TAG_LOG(t)	((t) >> 24)
#define TAG_OP(t)	(((t) >> 16) & 0xff)
#define TAG_SLOT(t)	((t) & 0xffff)

struct record {
	char line[VIGIL_AUDIT_LINE_MAX];
	unsigned int len;
	audit_done_fn done;
	void *arg;
	uint64_t cookie;
};

struct audit {
	unsigned int idx;		/* in logs[] and the tags */
	unsigned int refs;
	struct loop *loop;
	char path[VIGIL_PATH_MAX + 32];
	dev_t dev;
	ino_t ino;
	int efd;			/* other threads -> the loop */
	/* the FIFO: producers add at (head + n), the loop takes the head */
	pthread_mutex_t mu;		/* n, q[] beyond the head, dropped; never across I/O */
	struct record q[AUDIT_QUEUE];
	unsigned int n;
	unsigned long dropped;		/* could not be queued */
	/* the loop's own */
	unsigned int head;
	int fd;
	bool inflight, reopening;
	int inflight_fd;		/* the fd the record in flight went to */
	unsigned int left;		/* its completions still to come */
	int res;			/* its first error */
	unsigned long written, errors, reopens, reopen_errors;
};

/* vigild's logs: the loop thread sets them up before the loop runs */
static struct audit *logs[LOGS];

/*
 * Fault injection for tests (VIGILD_TEST_AUDIT_FAIL, userspace/README.md):
 * a list of KIND[:N], KIND write or fsync, N records each (default 1),
 * taken by the records in the order they go out, in any log: "write:2,
 * fsync:1" fails the first two records' write and the third's fdatasync,
 * then every record is written as usual. The failing operation goes to the
 * kernel through the ring on a descriptor that refuses it (/dev/null, read
 * only): a write gets EBADF, and its linked fdatasync is cancelled; an
 * fdatasync gets EINVAL, after its record was written. KIND hold: the next
 * record does not go out before N records of its log were dropped (the
 * queue full, deterministically; audit_drain() lets it go). Read when the
 * first log is opened.
 */
enum { FAULT_NONE, FAULT_WRITE, FAULT_FSYNC, FAULT_HOLD };
#define FAULTS	8
static struct {
	unsigned char kind[FAULTS];
	unsigned int left[FAULTS];
	unsigned int n, cur;
	int fd;			/* /dev/null, read only; -1: no faults */
} faults = { .fd = -1 };

static int faults_parse(const char *spec, char *err, size_t errlen)
{
	const char *p = spec;

	faults.n = faults.cur = 0;
	while (*p) {
		const size_t len = strcspn(p, ":,");
		unsigned long n = 1;
		char *end;

		if (faults.n == FAULTS)
			goto bad;
		if (len == 5 && !strncmp(p, "write", 5))
			faults.kind[faults.n] = FAULT_WRITE;
		else if (len == 5 && !strncmp(p, "fsync", 5))
			faults.kind[faults.n] = FAULT_FSYNC;
		else if (len == 4 && !strncmp(p, "hold", 4))
			faults.kind[faults.n] = FAULT_HOLD;
		else
			goto bad;
		p += len;
		if (*p == ':') {
			if (p[1] < '0' || p[1] > '9')
				goto bad;
			n = strtoul(p + 1, &end, 10);
			if (!n || n > 1000000)
				goto bad;
			p = end;
		}
		faults.left[faults.n++] = (unsigned int)n;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			goto bad;
	}
	if (!faults.n)
		goto bad;
	faults.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (faults.fd < 0) {
		const int ret = -errno;

		snprintf(err, errlen, "VIGILD_TEST_AUDIT_FAIL: /dev/null: %s", strerror(-ret));
		return ret;
	}
	return 0;
bad:
	faults.n = 0;
	snprintf(err, errlen, "VIGILD_TEST_AUDIT_FAIL '%s': expected KIND[:N][,KIND[:N]]... "
		 "(KIND write, fsync or hold, N 1..1000000, at most %d)", spec, FAULTS);
	return -EINVAL;
}

/*
 * The fault the head record of @a meets (FAULT_NONE once they are used
 * up); FAULT_HOLD: it waits.
 */
static int fault_next(struct audit *a)
{
	unsigned long dropped;

	while (faults.cur < faults.n && !faults.left[faults.cur])
		faults.cur++;
	if (faults.cur == faults.n)
		return FAULT_NONE;
	if (faults.kind[faults.cur] == FAULT_HOLD) {
		pthread_mutex_lock(&a->mu);
		dropped = a->dropped;
		pthread_mutex_unlock(&a->mu);
		if (dropped < faults.left[faults.cur])
			return FAULT_HOLD;
		faults.left[faults.cur++] = 0;
		return fault_next(a);
	}
	faults.left[faults.cur]--;
	return faults.kind[faults.cur];
}

static bool no_logs(void)
{
	for (unsigned int i = 0; i < LOGS; i++)
		if (logs[i])
			return false;
	return true;
}

static void audit_free(struct audit *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->inflight && a->inflight_fd >= 0 && a->inflight_fd != a->fd)
		close(a->inflight_fd);
	if (a->efd >= 0)
		close(a->efd);
	pthread_mutex_destroy(&a->mu);
	logs[a->idx] = NULL;
	free(a);
	if (no_logs() && faults.fd >= 0) {
		close(faults.fd);
		faults.fd = -1;
	}
}

int audit_open(struct loop *l, const char *path, struct audit **out, char *err,
	       size_t errlen)
{
	pthread_mutexattr_t ma;
	unsigned int idx = LOGS;
	struct audit *a;
	struct stat st;
	int fd, ret;

	*out = NULL;
	if (no_logs()) {
		const char *spec = getenv("VIGILD_TEST_AUDIT_FAIL");

		if (faults.fd >= 0)
			close(faults.fd);
		faults.fd = -1;
		faults.n = 0;
		ret = spec ? faults_parse(spec, err, errlen) : 0;
		if (ret)
			return ret;
	}
	fd = open(path, OPEN_FLAGS, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "audit log %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = fstat(fd, &st) ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (ret) {
		snprintf(err, errlen, "audit log %s: %s", path,
			 ret == -EINVAL ? "not a regular file" : strerror(-ret));
		close(fd);
		return ret;
	}
	for (unsigned int i = 0; i < LOGS; i++) {
		if (logs[i] && logs[i]->dev == st.st_dev && logs[i]->ino == st.st_ino) {
			/* the same file: one writer, records in one order */
			close(fd);
			logs[i]->refs++;
			*out = logs[i];
			return 0;
		}
		if (!logs[i] && idx == LOGS)
			idx = i;
	}
	if (idx == LOGS) {
		close(fd);
		snprintf(err, errlen, "audit log %s: more than %d audit logs", path, LOGS);
		return -EMFILE;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		close(fd);
		return -ENOMEM;
	}
	a->idx = idx;
	a->refs = 1;
	a->loop = l;
	a->fd = fd;
	a->inflight_fd = -1;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	snprintf(a->path, sizeof(a->path), "%s", path);
	/* priority inheritance: the loop may run SCHED_FIFO, push's worker not */
	ret = pthread_mutexattr_init(&ma);
	if (!ret) {
		pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
		ret = pthread_mutex_init(&a->mu, &ma);
		pthread_mutexattr_destroy(&ma);
	}
	if (ret) {
		close(fd);
		free(a);
		snprintf(err, errlen, "audit log %s: %s", path, strerror(ret));
		return -ret;
	}
	logs[idx] = a;
	a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ret = a->efd < 0 ? -errno : loop_poll_multishot(l, a->efd, POLLIN, TAG(a, OP_WAKE, 0));
	if (ret) {
		snprintf(err, errlen, "audit log %s: eventfd: %s", path, strerror(-ret));
		audit_free(a);
		return ret;
	}
	*out = a;
	return 0;
}

static bool busy(struct audit *a);

void audit_put(struct audit *a)
{
	/* records still to go out: audit_drain() frees it after them */
	if (a && !--a->refs && !busy(a))
		audit_free(a);
}

/* ---------------------------------------------------------------- */
/* the loop's side */

/* The head of the FIFO to the ring: write at the end, then fdatasync. */
static void audit_next(struct audit *a)
{
	unsigned int n;
	int fault;

	if (a->inflight || a->reopening)
		return;
	pthread_mutex_lock(&a->mu);
	n = a->n;
	pthread_mutex_unlock(&a->mu);
	if (!n)
		return;
	fault = faults.fd >= 0 ? fault_next(a) : FAULT_NONE;
	if (fault == FAULT_HOLD)
		return;
	/* the head slot is the loop's: producers write beyond it */
	if (loop_write_append(a->loop, fault == FAULT_WRITE ? faults.fd : a->fd,
			      a->q[a->head].line, a->q[a->head].len, true,
			      TAG(a, OP_WRITE, a->head)) ||
	    loop_fsync(a->loop, fault == FAULT_FSYNC ? faults.fd : a->fd, true, false,
		       TAG(a, OP_SYNC, a->head))) {
		/* cannot happen: get_sqe() flushes a full ring and retries */
		fprintf(stderr, "vigild: audit: %s: cannot queue a record\n", a->path);
		return;
	}
	a->inflight = true;
	a->inflight_fd = a->fd;
	a->left = 2;
	a->res = 0;
}

/* Format @action..@client into the tail of the FIFO. 0 or -errno (logged, counted). */
static int enqueue(struct audit *a, const char *action, const char *clip_id,
		   const char *client, audit_done_fn done, void *arg, uint64_t cookie)
{
	char line[VIGIL_AUDIT_LINE_MAX];
	const int len = vigil_audit_format(line, sizeof(line), time(NULL), action, clip_id,
					   client);
	struct record *r;

	if (len < 0) {
		pthread_mutex_lock(&a->mu);
		a->dropped++;
		pthread_mutex_unlock(&a->mu);
		fprintf(stderr, "vigild: audit: refusing a malformed record (action '%s', "
			"clip '%s')\n", action ? action : "(null)", clip_id ? clip_id : "(null)");
		return len;
	}
	pthread_mutex_lock(&a->mu);
	if (a->n == AUDIT_QUEUE) {
		a->dropped++;
		pthread_mutex_unlock(&a->mu);
		fprintf(stderr, "vigild: audit: %s: %s of %s not logged: %d records waiting\n",
			a->path, action, clip_id, AUDIT_QUEUE);
		return -ENOBUFS;
	}
	r = &a->q[(a->head + a->n) % AUDIT_QUEUE];
	memcpy(r->line, line, (size_t)len);
	r->len = (unsigned int)len;
	r->done = done;
	r->arg = arg;
	r->cookie = cookie;
	a->n++;
	pthread_mutex_unlock(&a->mu);
	return 0;
}

int audit_append(struct audit *a, const char *action, const char *clip_id,
		 const char *client, audit_done_fn done, void *arg, uint64_t cookie)
{
	const int ret = enqueue(a, action, clip_id, client, done, arg, cookie);

	/* (a drop too: it may end a test's hold, see fault_next()) */
	audit_next(a);
	return ret;
}

int audit_post(struct audit *a, const char *action, const char *clip_id,
	       const char *client)
{
	const uint64_t one = 1;
	int ret = enqueue(a, action, clip_id, client, NULL, NULL, 0);

	/* an eventfd write cannot block short of 2^64 - 2 wakeups */
	if (!ret && write(a->efd, &one, sizeof(one)) < 0) {
		ret = -errno;
		fprintf(stderr, "vigild: audit: %s: waking the loop: %s\n", a->path,
			strerror(-ret));
	}
	return ret;
}

void audit_forget(struct audit *a, void *arg)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	for (unsigned int i = 0; i < a->n; i++) {
		struct record *r = &a->q[(a->head + i) % AUDIT_QUEUE];

		if (r->arg == arg)
			r->done = NULL;
	}
	pthread_mutex_unlock(&a->mu);
}

static void close_fd(struct audit *a, int fd)
{
	if (loop_close(a->loop, fd, TAG(a, OP_CLOSE, 0)))
		close(fd);	/* cannot happen (see audit_next()) */
}

/* Both completions of the head record came: pop it, tell its caller, go on. */
static void record_done(struct audit *a)
{
	struct record r;

	pthread_mutex_lock(&a->mu);
	r = a->q[a->head];
	a->head = (a->head + 1) % AUDIT_QUEUE;
	a->n--;
	pthread_mutex_unlock(&a->mu);
	a->inflight = false;
	if (a->res)
		a->errors++;
	else
		a->written++;
	/* rotated while it was in flight: the old file is complete */
	if (a->inflight_fd != a->fd)
		close_fd(a, a->inflight_fd);
	a->inflight_fd = -1;
	if (r.done)
		r.done(r.arg, r.cookie, a->res);
	audit_next(a);
}

static void reopened(struct audit *a, int res)
{
	a->reopening = false;
	if (res < 0) {
		a->reopen_errors++;
		fprintf(stderr, "vigild: SIGHUP: audit log %s: %s (records go on to the "
			"old file)\n", a->path, strerror(-res));
	} else {
		/* the old fd now, unless the record in flight still needs it */
		if (!a->inflight || a->inflight_fd != a->fd)
			close_fd(a, a->fd);
		a->fd = res;
		a->reopens++;
		fprintf(stderr, "vigild: SIGHUP: audit log %s reopened\n", a->path);
	}
	audit_next(a);
}

void audit_cqe(unsigned int tag, const struct io_uring_cqe *cqe)
{
	const unsigned int op = TAG_OP(tag);
	struct audit *a = TAG_LOG(tag) < LOGS ? logs[TAG_LOG(tag)] : NULL;
	uint64_t n;

	if (!a)
		return;		/* freed: a completion of its last moments */
	switch (op) {
	case OP_WAKE:
		/* nonblocking: clears the counter */
		if (read(a->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			fprintf(stderr, "vigild: audit: eventfd: %s\n", strerror(errno));
		if (cqe->res < 0)
			fprintf(stderr, "vigild: audit: poll: %s\n", strerror(-cqe->res));
		else if (!(cqe->flags & IORING_CQE_F_MORE) &&
			 loop_poll_multishot(a->loop, a->efd, POLLIN, TAG(a, OP_WAKE, 0)))
			fprintf(stderr, "vigild: audit: cannot poll the eventfd\n");
		audit_next(a);
		break;
	case OP_WRITE:
	case OP_SYNC:
		if (!a->inflight || TAG_SLOT(tag) != a->head)
			return;
		if (op == OP_WRITE && cqe->res != (int)a->q[a->head].len) {
			a->res = cqe->res < 0 ? cqe->res : -ENOSPC;
			fprintf(stderr, "vigild: audit: %s: %s\n", a->path, strerror(-a->res));
		} else if (op == OP_SYNC && cqe->res < 0 && cqe->res != -ECANCELED) {
			a->res = cqe->res;
			fprintf(stderr, "vigild: audit: %s: fdatasync: %s\n", a->path,
				strerror(-cqe->res));
		}
		if (!--a->left)
			record_done(a);
		break;
	case OP_OPEN:
		if (a->reopening)
			reopened(a, cqe->res);
		else if (cqe->res >= 0)
			close(cqe->res);	/* cannot happen */
		break;
	case OP_CLOSE:
		if (cqe->res < 0)
			fprintf(stderr, "vigild: audit: %s: closing the old file: %s\n",
				a->path, strerror(-cqe->res));
		break;
	default:
		break;
	}
}

void audit_reopen_all(void)
{
	for (unsigned int i = 0; i < LOGS; i++) {
		struct audit *a = logs[i];

		if (!a || a->reopening)
			continue;
		if (loop_openat(a->loop, AT_FDCWD, a->path, OPEN_FLAGS, 0600,
				TAG(a, OP_OPEN, 0))) {
			fprintf(stderr, "vigild: SIGHUP: audit log %s: cannot queue the open\n",
				a->path);
			continue;
		}
		a->reopening = true;
	}
}

static bool busy(struct audit *a)
{
	unsigned int n;

	pthread_mutex_lock(&a->mu);
	n = a->n;
	pthread_mutex_unlock(&a->mu);
	return n || a->inflight || a->reopening;
}

bool audit_busy(void)
{
	for (unsigned int i = 0; i < LOGS; i++)
		if (logs[i] && busy(logs[i]))
			return true;
	return false;
}

int audit_drain(struct loop *l)
{
	/* a test's hold ends: everything queued goes out */
	for (unsigned int i = 0; i < faults.n; i++)
		if (faults.kind[i] == FAULT_HOLD)
			faults.left[i] = 0;
	/* posted by another thread, the eventfd's poll not seen yet */
	for (unsigned int i = 0; i < LOGS; i++)
		if (logs[i])
			audit_next(logs[i]);
	while (audit_busy()) {
		struct io_uring_cqe *cqe;
		const int ret = loop_submit_wait(l, 1);

		if (ret && ret != -EINTR && ret != -ETIME) {
			fprintf(stderr, "vigild: audit: io_uring wait: %s\n", strerror(-ret));
			return ret;
		}
		while (!io_uring_peek_cqe(&l->ring, &cqe)) {
			const uint64_t data = io_uring_cqe_get_data64(cqe);

			if (LOOP_TAG_OWNER(data) == AUDIT_ID)
				audit_cqe(LOOP_TAG_LOCAL(data), cqe);
			io_uring_cqe_seen(&l->ring, cqe);
		}
	}
	for (unsigned int i = 0; i < LOGS; i++)
		if (logs[i] && !logs[i]->refs)
			audit_free(logs[i]);
	return 0;
}

unsigned int audit_counters(struct audit_counters *out, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < LOGS && n < max; i++) {
		struct audit *a = logs[i];

		if (!a)
			continue;
		out[n].path = a->path;
		out[n].records = a->written;
		out[n].errors = a->errors;
		pthread_mutex_lock(&a->mu);
		out[n].dropped = a->dropped;
		pthread_mutex_unlock(&a->mu);
		out[n].reopens = a->reopens;
		out[n].reopen_errors = a->reopen_errors;
		n++;
	}
	return n;
}

void audit_stats(FILE *fp)
{
	struct audit_counters ac[LOGS];
	const unsigned int n = audit_counters(ac, LOGS);

	for (unsigned int i = 0; i < n; i++)
		fprintf(fp, "vigild: audit stats: %s records %lu errors %lu dropped %lu "
			"reopens %lu reopen_errors %lu\n", ac[i].path, ac[i].records,
			ac[i].errors, ac[i].dropped, ac[i].reopens, ac[i].reopen_errors);
}
