// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recorder's clip store, off the loop (issue #8). On an SD card a
 * directory scan, a statvfs, an open or an unlink can each take tens of
 * milliseconds; the loop makes none of them:
 *
 * - retention's plan (scan DIR for <id>.vclip and leftover <id>.vclip.part,
 *   stat each, statvfs, pick the oldest while over a limit, check each
 *   one's magic) runs on a small worker thread, which returns the batch of
 *   files to delete through an eventfd the loop polls on the ring; a .part
 *   the recorder is writing (rec_store_writing()) is neither counted nor
 *   deleted;
 * - before its first plan, the worker recovers every leftover .part
 *   (rec-recover.c): those holding nothing but a header join the batch;
 * - the loop unlinks them with IORING_OP_UNLINKAT, fsyncs the directory,
 *   and appends one audit record per deletion through vigild's audit
 *   writer (audit.c: the log opened once, O_APPEND, one IORING_OP_WRITE per
 *   record linked to its fdatasync, one record at a time).
 *
 * One batch at a time (scan, unlinks, directory fsync, its audit records),
 * at most BATCH deletions each: requests made meanwhile are merged into the
 * next. The mutex guards the hand-over only; the worker never holds it
 * across I/O, so the loop never waits on it for longer than a copy.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "rec-store.h"

#define BATCH 32		/* deletions per batch */
#define STACK (256u << 10)	/* the worker's stack */

enum {
	OP_WAKE = REC_STORE_OP_BASE,	/* the worker's eventfd is readable */
	OP_UNLINK,			/* idx: the victim */
	OP_DIRSYNC,			/* fsync of the directory after unlinks */
};

#define TAG(op, idx)	LOOP_TAG(RECORDER_ID, ((unsigned int)(op) << 8) | (idx))

struct victim {
	char id[VIGIL_CLIP_ID_LEN + 1];
	char name[VIGIL_CLIP_ID_LEN + 16];	/* <id>.vclip[.part]: the unlink's path */
	const char *why;
	const char *client;			/* "retention" or "recovery" */
};

/* The worker's mailbox, under mu. */
struct job {
	bool posted, done, quit;
	uint64_t need;
	/* results */
	struct victim v[BATCH];
	unsigned int n;
	bool more;		/* the batch is full: scan again after it */
	unsigned int recovered;	/* .part files recovered (the first batch) */
};

enum state {
	S_IDLE,
	S_SCAN,			/* the worker plans */
	S_UNLINK,		/* unlinks in flight */
	S_SYNC,			/* directory fsync, audit records */
};

struct rec_store {
	const struct vigil_record_config *rc;
	struct loop *loop;
	int dirfd;			/* the recorder's */
	struct audit *audit;		/* audit.c: shared with the other users of the log */
	rec_store_done_fn done;
	void *arg;
	/* the worker */
	pthread_t thr;
	bool thr_started;
	pthread_mutex_t mu;		/* job: the hand-over only, never across I/O */
	pthread_cond_t cv;
	struct job job;			/* under mu */
	/* the recorder's clips being written (their .part), under mu */
	char writing[REC_STORE_WRITING][VIGIL_CLIP_ID_LEN + 1];
	int efd;			/* worker -> loop: the plan is ready */
	/* the loop's side */
	enum state st;
	bool want;			/* a request waits for the next batch */
	uint64_t want_need;
	unsigned int gen, batch_gen;	/* requests made, served by this batch */
	struct victim v[BATCH];
	unsigned int nv, left, gone;
	bool more, dirsync;
	unsigned int an;		/* our audit records not on disk yet */
	unsigned long evicted, recovered;
};

/* ---------------------------------------------------------------- */
/* the worker: retention's plan */

/* @name in @dirfd starts with the clip magic (and so is vigil's). */
bool rec_is_vigil_clip(int dirfd, const char *name)
{
	char magic[8];
	const int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool ok;

	if (fd < 0)
		return false;
	ok = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	     !memcmp(magic, "VIGILCLP", sizeof(magic));
	close(fd);
	return ok;
}

struct held {
	char id[VIGIL_CLIP_ID_LEN + 1];
	bool part;		/* <id>.vclip.part, not being written */
	uint64_t size;
	time_t mtime;
};

static int cmp_held(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	const int c = strcmp(x->id, y->id);

	return c ? c : (int)x->part - (int)y->part;
}

/* <id>.vclip: 0; <id>.vclip.part: 1; else -1 (and *@id the id). */
static int clip_name(const char *name, char *id)
{
	const size_t len = strlen(name);
	int part;

	if (len == VIGIL_CLIP_ID_LEN + strlen(VIGIL_CLIP_EXT) &&
	    !strcmp(name + VIGIL_CLIP_ID_LEN, VIGIL_CLIP_EXT))
		part = 0;
	else if (len == VIGIL_CLIP_ID_LEN + strlen(VIGIL_CLIP_PART_EXT) &&
		 !strcmp(name + VIGIL_CLIP_ID_LEN, VIGIL_CLIP_PART_EXT))
		part = 1;
	else
		return -1;
	memcpy(id, name, VIGIL_CLIP_ID_LEN);
	id[VIGIL_CLIP_ID_LEN] = 0;
	return vigil_clip_id_valid(id) ? part : -1;
}

/* The ids the recorder writes, as of now (after the caller's readdir). */
static void writing_snapshot(struct rec_store *s, char (*w)[VIGIL_CLIP_ID_LEN + 1])
{
	pthread_mutex_lock(&s->mu);
	memcpy(w, s->writing, sizeof(s->writing));
	pthread_mutex_unlock(&s->mu);
}

static bool is_writing(char (*w)[VIGIL_CLIP_ID_LEN + 1], const char *id)
{
	for (unsigned int i = 0; i < REC_STORE_WRITING; i++)
		if (!strcmp(w[i], id))
			return true;
	return false;
}

static uint64_t free_bytes(int dirfd)
{
	struct statvfs sv;

	if (fstatvfs(dirfd, &sv))
		return UINT64_MAX;
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

/*
 * The oldest clips to delete while over a limit (or, @need bytes, until at
 * least one goes and reserve + @need bytes are free), each checked to start
 * with the clip magic: nothing but vigil's own clips is ever deleted. A
 * leftover .part counts and goes like a clip; the one being written is
 * neither counted nor deleted. The space each deletion frees is counted
 * from the scan (its blocks), not measured again: a file system that frees
 * late gets another batch at the next ENOSPC. After the @nv victims @v
 * holds already, at most BATCH in all (returned); *@more when the batch
 * stopped there.
 */
static unsigned int plan(struct rec_store *s, uint64_t need, struct victim *v,
			 unsigned int nv, bool *more)
{
	char w[REC_STORE_WRITING][VIGIL_CLIP_ID_LEN + 1];
	const struct vigil_record_config *rc = s->rc;
	struct held *h = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0, freeb;
	const time_t now = time(NULL);
	unsigned int gone = nv;
	struct dirent *de;
	size_t k = 0;
	DIR *d;
	int fd;

	*more = false;
	if (!need && !rc->max_bytes && !rc->max_age_days && !rc->reserve_bytes)
		return nv;
	/* a description of its own: the loop's dirfd keeps its offset */
	fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "vigild: retention: %s: %s\n", rc->dir, strerror(errno));
		return nv;
	}
	while ((de = readdir(d))) {
		char id[VIGIL_CLIP_ID_LEN + 1];
		const int part = clip_name(de->d_name, id);
		struct stat st;

		if (part < 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			struct held *nh = realloc(h, (cap = cap ? cap * 2 : 64) * sizeof(*h));

			if (!nh)
				break;
			h = nh;
		}
		memcpy(h[n].id, id, sizeof(id));
		h[n].part = part;
		h[n].size = (uint64_t)st.st_blocks * 512;
		h[n].mtime = st.st_mtime;
		n++;
	}
	/*
	 * The recorder names a .part here before it creates it: a .part the
	 * scan saw and the recorder writes is in this snapshot.
	 */
	writing_snapshot(s, w);
	for (size_t i = 0; i < n; i++) {
		bool skip = h[i].part && is_writing(w, h[i].id);

		/* already in the batch (recovery's) */
		for (unsigned int j = 0; j < nv && !skip; j++)
			skip = !strcmp(v[j].id, h[i].id) && h[i].part;
		if (skip)
			continue;
		total += h[i].size;
		h[k++] = h[i];
	}
	n = k;
	if (n)
		qsort(h, n, sizeof(*h), cmp_held);
	freeb = free_bytes(dirfd(d));
	for (size_t i = 0; i < n; i++) {
		const bool over = rc->max_bytes && total > rc->max_bytes;
		const bool old = rc->max_age_days &&
				 difftime(now, h[i].mtime) > rc->max_age_days * 86400.0;
		const bool full = (rc->reserve_bytes && freeb < rc->reserve_bytes) ||
				  (need && (!gone || freeb < rc->reserve_bytes + need));
		struct victim *x;

		if (!over && !old && !full)
			break;
		if (gone == BATCH) {
			*more = true;
			break;
		}
		x = &v[gone];
		snprintf(x->id, sizeof(x->id), "%s", h[i].id);
		snprintf(x->name, sizeof(x->name), "%s%s", h[i].id,
			 h[i].part ? VIGIL_CLIP_PART_EXT : VIGIL_CLIP_EXT);
		if (!rec_is_vigil_clip(dirfd(d), x->name))
			continue;
		x->why = over ? "max_bytes" : old ? "max_age_days" : "free space";
		x->client = "retention";
		gone++;
		total -= h[i].size;
		freeb = freeb == UINT64_MAX ? freeb : freeb + h[i].size;
	}
	closedir(d);
	free(h);
	return gone;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Start-up recovery (rec-recover.c) of every <id>.vclip.part the recorder
 * is not writing, oldest first; those holding nothing but a clip header go
 * into @v (at most BATCH; the rest wait for the next start), deleted and
 * audited by the loop. Returns how many; *@recovered the clips made.
 */
static unsigned int recover_all(struct rec_store *s, struct victim *v,
				unsigned int *recovered)
{
	char w[REC_STORE_WRITING][VIGIL_CLIP_ID_LEN + 1];
	char (*ids)[VIGIL_CLIP_ID_LEN + 1] = NULL;
	size_t n = 0, cap = 0;
	unsigned int nv = 0;
	struct dirent *de;
	const int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	*recovered = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "vigild: recovery: %s: %s\n", s->rc->dir, strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		char id[VIGIL_CLIP_ID_LEN + 1];

		if (clip_name(de->d_name, id) != 1)
			continue;
		if (n == cap) {
			void *p = realloc(ids, (cap = cap ? cap * 2 : 16) * sizeof(*ids));

			if (!p)
				break;
			ids = p;
		}
		memcpy(ids[n++], id, sizeof(id));
	}
	writing_snapshot(s, w);
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < n; i++) {
		unsigned int frames;

		if (is_writing(w, ids[i]))
			continue;
		switch (rec_recover_part(dirfd(d), s->rc->dir, ids[i], &frames)) {
		case REC_RECOVERED:
			(*recovered)++;
			break;
		case REC_EMPTY:
			if (nv == BATCH)
				break;
			snprintf(v[nv].id, sizeof(v[nv].id), "%s", ids[i]);
			snprintf(v[nv].name, sizeof(v[nv].name), "%s%s", ids[i],
				 VIGIL_CLIP_PART_EXT);
			v[nv].why = "a clip header and nothing to recover";
			v[nv].client = "recovery";
			nv++;
			break;
		case REC_KEPT:
			break;
		}
	}
	closedir(d);
	free(ids);
	return nv;
}

static void *worker(void *arg)
{
	struct rec_store *s = arg;
	const uint64_t one = 1;
	bool recovery = true;
	sigset_t all;

	/* signals are the loop's (its signalfd): never delivered here */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct victim v[BATCH];
		unsigned int n = 0, recovered = 0;
		uint64_t need;
		bool more;

		while (!s->job.posted && !s->job.quit)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->job.quit)
			break;
		need = s->job.need;
		s->job.posted = false;
		pthread_mutex_unlock(&s->mu);
		if (recovery)	/* once, before the first plan */
			n = recover_all(s, v, &recovered);
		recovery = false;
		n = plan(s, need, v, n, &more);
		pthread_mutex_lock(&s->mu);
		memcpy(s->job.v, v, n * sizeof(*v));
		s->job.n = n;
		s->job.more = more;
		s->job.recovered = recovered;
		s->job.done = true;
		if (write(s->efd, &one, sizeof(one)) < 0) {
			/* cannot overflow: one write per batch */
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---------------------------------------------------------------- */
/* the loop's side */

/* The next waiting request to the worker, if no batch is under way. */
static void kick(struct rec_store *s)
{
	if (s->st != S_IDLE || !s->want)
		return;
	pthread_mutex_lock(&s->mu);
	s->job.need = s->want_need;
	s->job.posted = true;
	s->job.done = false;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	s->batch_gen = s->gen;
	s->want = false;
	s->want_need = 0;
	s->st = S_SCAN;
}

unsigned int rec_store_retention(struct rec_store *s, uint64_t need)
{
	s->want = true;
	s->want_need += need;
	s->gen++;
	kick(s);
	return s->gen;
}

/* The batch is over once its unlinks, its directory fsync and its audit records are. */
static void batch_end(struct rec_store *s)
{
	if (s->st != S_SYNC || s->dirsync || s->an)
		return;
	s->st = S_IDLE;
	if (s->more && s->gone)
		s->want = true;	/* more to delete than one batch (never a loop of failures) */
	if (s->done)
		s->done(s->arg, s->gone, s->batch_gen);
	kick(s);
}

/* One of our audit records is on disk (or failed: audit.c logged it). */
static void audit_done(void *arg, uint64_t cookie, int res)
{
	struct rec_store *s = arg;

	(void)cookie;
	(void)res;
	s->an--;
	batch_end(s);
}

int rec_store_audit(struct rec_store *s, const char *action, const char *clip_id,
		    const char *client)
{
	const int ret = audit_append(s->audit, action, clip_id, client, audit_done, s, 0);

	if (!ret)
		s->an++;
	return ret;
}

/* Every unlink of the batch completed: the directory fsync, then the end. */
static void unlinks_done(struct rec_store *s)
{
	s->st = S_SYNC;
	if (s->gone) {
		if (loop_fsync(s->loop, s->dirfd, false, false, TAG(OP_DIRSYNC, 0)))
			fprintf(stderr, "vigild: retention: cannot queue the directory fsync\n");
		else
			s->dirsync = true;
	}
	batch_end(s);
}

/* The worker's plan: one unlink on the ring per clip. */
static void planned(struct rec_store *s)
{
	bool done;

	pthread_mutex_lock(&s->mu);
	done = s->job.done;
	if (done) {
		s->job.done = false;
		s->nv = s->job.n;
		s->more = s->job.more;
		s->recovered += s->job.recovered;
		memcpy(s->v, s->job.v, s->nv * sizeof(*s->v));
	}
	pthread_mutex_unlock(&s->mu);
	if (!done || s->st != S_SCAN)
		return;
	s->st = S_UNLINK;
	s->gone = 0;
	s->left = 0;
	for (unsigned int i = 0; i < s->nv; i++) {
		if (loop_unlinkat(s->loop, s->dirfd, s->v[i].name, TAG(OP_UNLINK, i)))
			fprintf(stderr, "vigild: retention: %s: cannot queue the unlink\n",
				s->v[i].name);
		else
			s->left++;
	}
	if (!s->left)
		unlinks_done(s);
}

void rec_store_cqe(struct rec_store *s, unsigned int op, unsigned int idx,
		   const struct io_uring_cqe *cqe)
{
	uint64_t n;

	switch (op) {
	case OP_WAKE:
		/* nonblocking: clears the counter */
		if (read(s->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			fprintf(stderr, "vigild: retention: eventfd: %s\n", strerror(errno));
		if (!(cqe->flags & IORING_CQE_F_MORE) &&
		    loop_poll_multishot(s->loop, s->efd, POLLIN, TAG(OP_WAKE, 0)))
			fprintf(stderr, "vigild: retention: cannot poll the worker\n");
		planned(s);
		break;
	case OP_UNLINK:
		if (s->st != S_UNLINK || idx >= s->nv)
			return;
		if (cqe->res < 0) {
			fprintf(stderr, "vigild: retention: %s: %s\n", s->v[idx].name,
				strerror(-cqe->res));
		} else {
			s->gone++;
			s->evicted += !strcmp(s->v[idx].client, "retention");
			fprintf(stderr, "vigild: %s: deleted %s (%s)\n", s->v[idx].client,
				s->v[idx].name, s->v[idx].why);
			rec_store_audit(s, "delete", s->v[idx].id, s->v[idx].client);
		}
		if (!--s->left)
			unlinks_done(s);
		break;
	case OP_DIRSYNC:
		if (cqe->res < 0)
			fprintf(stderr, "vigild: retention: %s: directory fsync: %s\n",
				s->rc->dir, strerror(-cqe->res));
		s->dirsync = false;
		batch_end(s);
		break;
	default:
		break;
	}
}

bool rec_store_busy(const struct rec_store *s)
{
	return s && (s->st != S_IDLE || s->want || s->an);
}

unsigned long rec_store_evicted(const struct rec_store *s)
{
	return s ? s->evicted : 0;
}

unsigned long rec_store_recovered(const struct rec_store *s)
{
	return s ? s->recovered : 0;
}

void rec_store_writing(struct rec_store *s, unsigned int slot, const char *id)
{
	assert(slot < REC_STORE_WRITING);
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	snprintf(s->writing[slot], sizeof(s->writing[slot]), "%s", id ? id : "");
	pthread_mutex_unlock(&s->mu);
}

int rec_store_new(const struct vigil_record_config *rc, struct loop *l, int dirfd,
		  const char *audit, rec_store_done_fn done, void *arg,
		  struct rec_store **out, char *err, size_t errlen)
{
	struct sched_param sp = { .sched_priority = 0 };
	struct rec_store *s = calloc(1, sizeof(*s));
	pthread_attr_t at;
	int ret;

	if (!s)
		return -ENOMEM;
	s->rc = rc;
	s->loop = l;
	s->dirfd = dirfd;
	s->done = done;
	s->arg = arg;
	s->efd = -1;
	/*
	 * Once, here: every deletion is logged by one write on the ring. A
	 * log that cannot be opened stops vigild at start rather than let it
	 * delete clips unlogged.
	 */
	ret = audit_open(l, audit, &s->audit, err, errlen);
	if (ret) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "[record] %s", why);
		goto fail;
	}
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		ret = -errno;
		snprintf(err, errlen, "retention: eventfd: %s", strerror(errno));
		goto fail;
	}
	ret = loop_poll_multishot(l, s->efd, POLLIN, TAG(OP_WAKE, 0));
	if (ret) {
		snprintf(err, errlen, "retention: poll: %s", strerror(-ret));
		goto fail;
	}
	{
		pthread_mutexattr_t ma;

		/*
		 * Priority inheritance: the loop may run SCHED_FIFO; a
		 * SCHED_OTHER worker preempted while it holds the mutex must
		 * not keep the loop waiting for its next time slice.
		 */
		ret = pthread_mutexattr_init(&ma);
		if (!ret) {
			pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
			ret = pthread_mutex_init(&s->mu, &ma);
			pthread_mutexattr_destroy(&ma);
		}
	}
	if (ret) {
		ret = -ret;
		snprintf(err, errlen, "retention: %s", strerror(-ret));
		goto fail;
	}
	ret = pthread_cond_init(&s->cv, NULL);
	if (ret) {
		pthread_mutex_destroy(&s->mu);
		ret = -ret;
		snprintf(err, errlen, "retention: %s", strerror(-ret));
		goto fail;
	}
	ret = pthread_attr_init(&at);
	if (!ret) {
		/* SCHED_OTHER even when the loop runs SCHED_FIFO */
		pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&at, SCHED_OTHER);
		pthread_attr_setschedparam(&at, &sp);
		pthread_attr_setstacksize(&at, STACK);
		ret = pthread_create(&s->thr, &at, worker, s);
		pthread_attr_destroy(&at);
	}
	if (ret) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		ret = -ret;
		snprintf(err, errlen, "retention thread: %s", strerror(-ret));
		goto fail;
	}
	/* named, so a tracer tells it from the loop (tests/test-rec-io.sh) */
	pthread_setname_np(s->thr, "vigild-store");
	s->thr_started = true;
	*out = s;
	return 0;
fail:
	rec_store_free(s);
	return ret;
}

void rec_store_free(struct rec_store *s)
{
	if (!s)
		return;
	if (s->thr_started) {
		pthread_mutex_lock(&s->mu);
		s->job.quit = true;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thr, NULL);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
	}
	if (s->efd >= 0)
		close(s->efd);
	if (s->audit) {
		audit_forget(s->audit, s);
		audit_put(s->audit);
	}
	free(s);
}
