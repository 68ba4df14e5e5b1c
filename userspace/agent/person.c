// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The person check of vigild (issue #16): when an event opens, the
 * PERSON_BLOBS largest blobs of each of its first PERSON_FRAMES frames are
 * copied out of the frame (the region the detector reads, luma only) and
 * queued to one worker thread running libvigil's check. Results come back
 * through an eventfd that the io_uring loop polls (owner PERSON_OWNER): the
 * capture loop never waits for the detector. Results are matched to blobs
 * across frames (boxes that overlap); the event gets
 *   person     once one blob is a person in PERSON_HITS frames,
 *   no-person  once every queued crop is answered without that,
 *   unknown    until then (or if the event ends first).
 * The rule and the numbers are from the labelled crops and vtest.avi
 * (userspace/README.md, "Person check").
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "person.h"

#define QLEN 32		/* crops in flight: PERSON_BLOBS * PERSON_FRAMES fit */
#define MAX_TRACKS (PERSON_BLOBS * PERSON_FRAMES)

struct job {
	uint32_t event;
	struct vigil_box blob;		/* in the frame */
	struct vigil_box box;		/* in the crop */
	unsigned int w, h;
	uint8_t *px;			/* the region, w x h, owned */
	/* answer */
	struct vigil_person_result r;
	int err;
	uint64_t ns;
};

struct track {
	struct vigil_box box;
	unsigned int hits;
	double best;
};

struct pcheck {
	struct vigil_person *det;	/* the worker's only, loaded at first use */
	int det_err;			/* loading it failed (worker's only) */
	pthread_t thread;
	bool started;
	int efd;
	/* protects the two queues and quit */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* a job was queued, or quit */
	pthread_cond_t idle;		/* the worker has nothing left */
	struct job *todo[QLEN];
	unsigned int ntodo;
	struct job *done[QLEN];
	unsigned int ndone;
	bool busy, quit;
	/* the loop thread's state */
	uint32_t event;			/* the event being checked, 0: none */
	unsigned int frames;		/* frames of it queued */
	unsigned int pending;		/* crops queued, not yet answered */
	int verdict;
	double best;
	unsigned int ntracks;
	struct track tracks[MAX_TRACKS];
	struct pcheck_stats st;
};

static void *worker(void *arg)
{
	struct pcheck *pc = arg;
	const uint64_t one = 1;

	/*
	 * Nice 19 (this thread only): against the capture loop the detector
	 * gets about 1.5% of a contended core, so even on one core it cannot
	 * make vigild drop frames; it still runs on a busy machine, where
	 * SCHED_IDLE could starve it.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19))
		fprintf(stderr, "vigild: person check: nice 19: %s (runs at vigild's priority)\n",
			strerror(errno));
	pthread_mutex_lock(&pc->lock);
	for (;;) {
		struct job *j;
		struct vigil_frame f;

		while (!pc->ntodo && !pc->quit) {
			pc->busy = false;
			pthread_cond_broadcast(&pc->idle);
			pthread_cond_wait(&pc->cond, &pc->lock);
		}
		if (pc->quit)
			break;
		pc->busy = true;
		j = pc->todo[0];
		memmove(pc->todo, pc->todo + 1, --pc->ntodo * sizeof(pc->todo[0]));
		pthread_mutex_unlock(&pc->lock);

		memset(&f, 0, sizeof(f));
		f.luma = j->px;
		f.stride = j->w;
		f.width = j->w;
		f.height = j->h;
		f.step = 1;
		/* first use: load the detector (OpenCV) here, not at start */
		if (!pc->det && !pc->det_err) {
			struct vigil_person_params pp;

			vigil_person_params_default(&pp);
			pc->det_err = vigil_person_new(&pp, &pc->det);
		}
		j->ns = mono_ns();
		j->err = pc->det_err ? pc->det_err :
			 vigil_person_check(pc->det, &f, &j->box, 1, &j->r);
		j->ns = mono_ns() - j->ns;

		pthread_mutex_lock(&pc->lock);
		pc->done[pc->ndone++] = j;
		/* cannot fail: the counter never nears its limit */
		(void)!write(pc->efd, &one, sizeof(one));
	}
	pc->busy = false;
	pthread_cond_broadcast(&pc->idle);
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

int pcheck_new(struct pcheck **out, char *err, size_t errlen)
{
	struct pcheck *pc;
	int ret;

	*out = NULL;
	/* the detector itself (OpenCV) is loaded by the worker, at first use */
	if (!vigil_person_backend()) {
		snprintf(err, errlen, "%s",
			 "unavailable: vigild was built without OpenCV (libopencv-dev), "
			 "or its detector module is not installed");
		return -ENOTSUP;
	}
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	pc->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pc->efd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-ret));
		goto fail;
	}
	pthread_mutex_init(&pc->lock, NULL);
	pthread_cond_init(&pc->cond, NULL);
	pthread_cond_init(&pc->idle, NULL);
	ret = -pthread_create(&pc->thread, NULL, worker, pc);
	if (ret) {
		snprintf(err, errlen, "worker thread: %s", strerror(-ret));
		goto fail;
	}
	pc->started = true;
	*out = pc;
	return 0;
fail:
	pcheck_free(pc);
	return ret;
}

void pcheck_free(struct pcheck *pc)
{
	if (!pc)
		return;
	if (pc->started) {
		pthread_mutex_lock(&pc->lock);
		pc->quit = true;
		pthread_cond_signal(&pc->cond);
		pthread_mutex_unlock(&pc->lock);
		pthread_join(pc->thread, NULL);
		pthread_mutex_destroy(&pc->lock);
		pthread_cond_destroy(&pc->cond);
		pthread_cond_destroy(&pc->idle);
	}
	for (unsigned int i = 0; i < pc->ntodo; i++)
		free(pc->todo[i]->px), free(pc->todo[i]);
	for (unsigned int i = 0; i < pc->ndone; i++)
		free(pc->done[i]->px), free(pc->done[i]);
	if (pc->efd >= 0)
		close(pc->efd);
	vigil_person_free(pc->det);
	free(pc);
}

int pcheck_fd(const struct pcheck *pc)
{
	return pc->efd;
}

const struct pcheck_stats *pcheck_stats(const struct pcheck *pc)
{
	return &pc->st;
}

/* Copy @blob's region out of @f and queue it. */
static int queue_blob(struct pcheck *pc, const struct vigil_frame *f,
		      const struct vigil_box *blob)
{
	struct vigil_box r;
	struct job *j;
	int ret;

	ret = vigil_person_region(blob, f->width, f->height, &r);
	if (ret)
		return ret;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->px = malloc((size_t)r.w * r.h);
	if (!j->px) {
		free(j);
		return -ENOMEM;
	}
	for (unsigned int y = 0; y < r.h; y++) {
		const uint8_t *s = f->luma + (size_t)(r.y + y) * f->stride +
				   (size_t)r.x * f->step;
		uint8_t *d = j->px + (size_t)y * r.w;

		if (f->step == 1)
			memcpy(d, s, r.w);
		else
			for (unsigned int x = 0; x < r.w; x++)
				d[x] = s[(size_t)x * f->step];
	}
	j->event = pc->event;
	j->blob = *blob;
	j->box = *blob;
	j->box.x -= r.x;
	j->box.y -= r.y;
	j->w = r.w;
	j->h = r.h;
	pthread_mutex_lock(&pc->lock);
	if (pc->ntodo + pc->ndone + pc->busy >= QLEN) {
		pthread_mutex_unlock(&pc->lock);
		free(j->px);
		free(j);
		pc->st.skipped++;
		return 0;
	}
	pc->todo[pc->ntodo++] = j;
	pthread_cond_signal(&pc->cond);
	pthread_mutex_unlock(&pc->lock);
	pc->pending++;
	pc->st.queued++;
	return 0;
}

int pcheck_frame(struct pcheck *pc, struct vigil_fusion *fu,
		 const struct vigil_frame *f, const struct vigil_detect_result *r)
{
	const uint32_t id = vigil_fusion_event_id(fu);
	unsigned int n;

	if (!id)
		return 0;
	if (id != pc->event) {
		/* a new event: check its first frames */
		pc->event = id;
		pc->frames = 0;
		pc->pending = 0;
		pc->ntracks = 0;
		pc->best = -1.0;
		pc->verdict = VIGIL_PERSON_UNKNOWN;
		pc->st.events++;
		vigil_fusion_person(fu, VIGIL_PERSON_UNKNOWN, 0.0);
	}
	if (pc->frames >= PERSON_FRAMES || !r->nboxes ||
	    pc->verdict != VIGIL_PERSON_UNKNOWN)
		return 0;
	pc->frames++;
	n = r->nboxes < PERSON_BLOBS ? r->nboxes : PERSON_BLOBS;
	for (unsigned int i = 0; i < n; i++) {
		const int ret = queue_blob(pc, f, &r->boxes[i]);

		if (ret)
			return ret;
	}
	return 0;
}

static bool overlap(const struct vigil_box *a, const struct vigil_box *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w &&
	       a->y < b->y + b->h && b->y < a->y + a->h;
}

/* One answer for the event being checked: track, count, decide. */
static void take(struct pcheck *pc, struct vigil_fusion *fu, const struct job *j)
{
	struct track *t = NULL;

	pc->pending--;
	if (j->r.score > pc->best)
		pc->best = j->r.score;
	for (unsigned int i = 0; i < pc->ntracks; i++) {
		if (overlap(&pc->tracks[i].box, &j->blob)) {
			t = &pc->tracks[i];
			break;
		}
	}
	if (!t && pc->ntracks < MAX_TRACKS) {
		t = &pc->tracks[pc->ntracks++];
		t->hits = 0;
		t->best = -1.0;
	}
	if (t) {
		t->box = j->blob;
		t->hits += j->r.person;
		if (j->r.score > t->best)
			t->best = j->r.score;
	}
	if (pc->verdict != VIGIL_PERSON_UNKNOWN)
		return;
	if (t && t->hits >= PERSON_HITS) {
		pc->verdict = VIGIL_PERSON_YES;
		pc->st.person++;
		vigil_fusion_person(fu, VIGIL_PERSON_YES, t->best);
	} else if (!pc->pending && pc->frames >= PERSON_FRAMES) {
		pc->verdict = VIGIL_PERSON_NO;
		pc->st.no_person++;
		vigil_fusion_person(fu, VIGIL_PERSON_NO, pc->best);
	}
}

int pcheck_ready(struct pcheck *pc, struct vigil_fusion *fu)
{
	struct job *done[QLEN];
	unsigned int n;
	uint64_t cnt;
	int ret = 0;

	if (read(pc->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&pc->lock);
	n = pc->ndone;
	memcpy(done, pc->done, n * sizeof(done[0]));
	pc->ndone = 0;
	pthread_mutex_unlock(&pc->lock);
	for (unsigned int i = 0; i < n; i++) {
		struct job *j = done[i];

		pc->st.checked++;
		pc->st.check_ns += j->ns;
		if (j->err && !ret) {
			fprintf(stderr, "vigild: person check: %s\n", strerror(-j->err));
			ret = j->err;
		}
		if (!j->err && j->event == pc->event && vigil_fusion_event_id(fu) == j->event)
			take(pc, fu, j);
		free(j->px);
		free(j);
	}
	return ret;
}

int pcheck_wait(struct pcheck *pc, struct vigil_fusion *fu)
{
	pthread_mutex_lock(&pc->lock);
	while (pc->ntodo || pc->busy)
		pthread_cond_wait(&pc->idle, &pc->lock);
	pthread_mutex_unlock(&pc->lock);
	return pcheck_ready(pc, fu);
}
