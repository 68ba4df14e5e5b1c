// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recorder: every frame (in the camera's pixel format: the clip keeps
 * its colour) is copied into a bounded pool and
 * compressed into the pre-roll by the recorder's encoder thread (a full pool
 * drops the frame from the recording, never from capture, see struct
 * job); an alarm opens DIR/<id>.vclip.part, copies the pre-roll from up to
 * preroll_s before the trigger, then appends live frames, the frames'
 * detections and the event (scores, boxes, PIR edges) until post-roll. Every
 * byte goes out through vigild's io_uring (WRITE at an explicit offset; the
 * buffer lives until its completion); fdatasync every sync_frames frames or
 * sync_ms; at close, once every write completed, fsync, and once that
 * succeeded, rename to <id>.vclip linked to the directory fsync (a clip
 * whose writer or a write failed keeps its .part name, recovered at the
 * next start: rec-recover.c). Retention (oldest first: max_bytes,
 * max_age_days, reserve_bytes) unlinks only <id>.vclip and leftover
 * <id>.vclip.part files that start with the clip magic, never the .part
 * being written, and logs each deletion to the audit log (rec-store.c:
 * planned on its worker thread, unlinked and logged on the ring). A write that fails with ENOSPC is kept, clips are evicted and the
 * write retried; the clip is then closed (it verifies) and the alarm goes
 * on in a new one. The loop makes no blocking call per clip: the name
 * check, the create and the close go through the ring too (STATX, OPENAT,
 * CLOSE; see open_clip()).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "preroll.h"
#include "rec-store.h"
#include "vigild.h"

#define NBUF 64			/* write buffers (in flight + filling) */
#define NCLIP 4			/* clips closing while the next opens */
_Static_assert(NCLIP <= REC_STORE_WRITING, "a writing slot per clip");
#define BACKLOG_STEP 4		/* pre-roll frames copied per live frame */

enum op {
	OP_WRITE = 1,
	OP_SYNC,		/* periodic fdatasync */
	OP_CLOSE_SYNC,		/* fsync; on its success: */
	OP_RENAME,		/* <id>.vclip.part -> <id>.vclip, linked to: */
	OP_DIRSYNC,		/* fsync of the directory */
	OP_WAKE,		/* the encoder thread's eventfd is readable */
	OP_NAME,		/* statx of <id>.vclip: the name must be free */
	OP_OPEN,		/* openat of <id>.vclip.part, O_EXCL */
	OP_CLOSE,		/* the clip's fd, released */
	OP_WRITE_LATE,		/* VIGILD_TEST_WRITE_DELAY_MS: a write's completion, delayed */
	/* REC_STORE_OP_BASE and up: rec-store.c's */
};

/*
 * The frame pool: raw frame copies waiting for (or at) the encoder thread.
 * Sized from a byte budget, at least 2 slots (one encoding, one waiting);
 * 1080p is 2 MiB a slot in GREY, 3 MiB in NV12, 4 MiB in YUYV.
 */
#define POOL_BYTES (4u << 20)
#define NSLOT_MAX 8
#define ENC_STACK (1u << 20)	/* the encoder thread's stack */
/*
 * Write buffers busy (filling or in flight) beyond which a live frame is not
 * recorded: a disk slower than the camera costs frames (rec_dropped), not
 * memory. Not with a source that waits (replay --fast).
 */
#define WB_MAX (4u << 20)
/*
 * Write buffers are mappings of their own, grown in WB_STEP steps (mremap:
 * no copy) and unmapped once idle beyond WB_WARM of them, so the memory
 * they hold is what is waiting for the disk, not the peak of a past burst.
 * The pre-roll is copied into a clip while less than WB_DRAIN waits to be
 * written (the rest waits in the ring, where it is already counted),
 * leaving room for live frames below WB_MAX.
 */
#define WB_STEP (256u << 10)
#define WB_WARM 1
#define WB_DRAIN (WB_MAX / 2)
/*
 * Write buffers a frame never takes: the event records, footers and
 * headers of the clips (each fills one at a time) always find one, so the
 * clip writer's sink never fails with ENOBUFS (which lost the clip). A
 * frame that finds no other waits in the ring with --fast (back-pressure:
 * recorder_ready()) or, in real time, is not recorded (rec_dropped).
 */
#define WB_KEEP (2 * NCLIP)

#define TAG(slot, op, idx)	(((unsigned int)(slot) << 16) | ((unsigned int)(op) << 8) | (idx))
#define TAG_SLOT(t)		((t) >> 16)
#define TAG_OP(t)		(((t) >> 8) & 0xff)
#define TAG_IDX(t)		((t) & 0xff)

struct wbuf {
	uint8_t *p;
	size_t len, cap, done;
	uint64_t off;		/* file offset of p[0] */
	bool busy;		/* filling or in flight */
	int late_res;		/* VIGILD_TEST_WRITE_DELAY_MS: the completion held */
	struct __kernel_timespec late_ts;
	bool held;		/* VIGILD_TEST_WRITE_HOLD: late_res, for clip held_slot */
	unsigned int held_slot;
};

enum clip_state {
	C_FREE,
	C_OPEN,			/* frames are appended */
	C_CLOSING,		/* footer written: waiting for writes, then sync+rename */
};

struct recorder;

/* A captured frame waiting for the encoder: its pixels and its metadata. */
struct rframe {
	uint8_t *raw;
	struct vigil_clip_frame_meta m;
};

/*
 * The encoder thread's mailbox, under mu. The loop posts one job at a time
 * (the frame's pixels, room reserved in the pre-roll ring, whether to force
 * a keyframe); the thread encodes it, sets done and writes the eventfd.
 * Between post and collect the thread alone touches the encoder, the job's
 * pool slot and the ring's reserved room [dst, dst + bound); the loop
 * touches neither the encoder nor that room (it reserves again only after
 * collecting), and every frame it reads from the ring lies outside the
 * room (preroll_reserve() only hands out room no held frame overlaps).
 * The mutex orders the hand-overs both ways.
 */
struct job {
	const uint8_t *src;
	uint8_t *dst;
	bool force_key;
	bool posted, done, quit;
	/* results */
	int ret;
	size_t len;
	bool key;
	uint64_t cpu_ns;
};

struct clip {
	struct recorder *r;
	unsigned int slot;
	enum clip_state st;
	int fd;
	char id[VIGIL_CLIP_ID_LEN + 1];
	char part[64], final[64];
	struct vigil_clip_writer *w;
	int cur;			/* wbuf being filled, -1 */
	uint64_t off;			/* next file offset */
	unsigned int inflight;		/* writes */
	bool sync_inflight, chain;	/* fdatasync / close chain submitted */
	bool sync_asap;			/* an alarm began: sync at once */
	uint64_t sync_off;		/* the bytes that sync covers */
	unsigned int chain_left;
	int chain_err;
	int retry[NBUF];		/* ENOSPC: buffers to write again */
	unsigned int nretry;
	bool close_after_retry;
	uint64_t start_ns, last_sync_ns;
	unsigned int frames, since_sync;
	bool need_key;			/* no frame yet: the next must be a key */
	bool backlog;			/* copying pre-roll frames from the ring */
	uint64_t next;			/* backlog: ring number of the next frame */
	int err;
	/* opening (open_clip()): frames fill write buffers until the fd comes */
	bool opening;
	unsigned int open_tries, copied;
	struct statx stx;		/* OP_NAME's, until its completion */
	/* ENOSPC: waiting for retention (rec-store.c) to evict */
	bool evict_wait, evict_done, evict_gone;
	unsigned int evict_gen;
};

/*
 * vigil-lat (issue 13): an alarm's start record ends at @off of clip @c;
 * the first sync covering it is the alarm's first bytes on disk.
 */
#define LAT_WAIT 64

struct lat_wait {
	const struct clip *c;
	uint64_t off;
	uint32_t id;
};

struct recorder {
	const struct vigil_config *cfg;
	const struct vigil_record_config *rc;
	struct loop *loop;
	int dirfd;
	struct rec_store *store;	/* retention, audit (rec-store.c) */
	unsigned int width, height;
	struct vigil_encoder *enc;	/* the encoder thread's alone once it runs */
	/* encoder thread */
	pthread_t thr;
	bool thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job job;			/* under mu */
	int efd;			/* thread -> loop: a job is done */
	struct rframe slot[NSLOT_MAX];	/* loop only, except the job's slot */
	size_t fsize;			/* bytes of a packed frame (a slot) */
	unsigned int nslot, qhead, qn;	/* FIFO of filled slots; qhead at the thread when busy */
	bool enc_busy;			/* a job is posted and not collected */
	bool want_key;
	int fatal;			/* from a collect: recorder_frame() returns it */
	bool lossless;			/* the source waits: a full pool waits too */
	struct vigil_clip_header warm_hdr;	/* the thread's own copy */
	uint64_t post_ts;		/* time of the frame last posted to the thread */
	size_t bound;
	size_t last_len;		/* the last encoded frame's bytes */
	struct preroll *pre;
	struct vigil_clip_header hdr;
	uint8_t pk[VIGIL_CLIP_PK_BYTES];
	bool sealed;
	struct wbuf buf[NBUF];
	unsigned int nbuf;		/* of buf[] in use: NBUF (tests: fewer) */
	uint64_t write_delay_ns;	/* fault injection: a slow disk (tests) */
	/*
	 * Fault injection (tests): write completions held, from the first
	 * live frame written into a clip, until hold_n frames were not
	 * recorded for want of a write buffer (wb_dropped); then all seen.
	 */
	unsigned long hold_n, hold_base;	/* hold_base: wb_dropped as it began */
	bool hold_on, hold_over;
	struct clip clip[NCLIP];
	struct clip *cur;		/* the clip frames go to, or NULL */
	bool armed;
	bool active;			/* an alarm is on */
	uint64_t close_at;		/* frame time the clip ends (after the alarm) */
	uint64_t frame_ts;		/* the last frame's time (last_ts: or a tick's) */
	unsigned long tick_frames;	/* frames as of the last recorder_tick() */
	struct vigil_clip_event ev;
	bool ev_open;
	/* clip format v2 (clipmeta): audio blocks into the open clip */
	unsigned long audio_blocks, audio_dropped;
	unsigned int seq;
	uint64_t last_ts;
	uint32_t last_seq;
	bool have_seq;
	/* stats */
	unsigned long frames, rec_frames, dropped, clips, missed, failed;
	unsigned long encoded, rec_dropped;	/* pool full: not recorded */
	unsigned long wb_dropped;		/* of which: write buffers full */
	uint64_t encode_ns, max_span_ns;
	uint64_t peak_buffered;		/* bytes waiting in write buffers */
	unsigned int peak_bufs;
	uint64_t busy_max_ns;	/* issue #8: loop->busy_max_ns before recorder_finish() */
	bool finished;
	/* vigil-lat (issue 13): alarms whose first bytes are not synced yet */
	FILE *trace;
	struct lat_wait lat[LAT_WAIT];
	unsigned int nlat;
};

/* ---------------------------------------------------------------- */
/* write buffers */

static int take_buf(struct recorder *r)
{
	for (int i = 0; i < (int)r->nbuf; i++) {
		if (!r->buf[i].busy) {
			r->buf[i].busy = true;
			r->buf[i].len = 0;
			r->buf[i].done = 0;
			return i;
		}
	}
	return -1;
}

static unsigned int free_bufs(const struct recorder *r)
{
	unsigned int n = 0;

	for (int i = 0; i < (int)r->nbuf; i++)
		n += !r->buf[i].busy;
	return n;
}

/* A frame can go into @c without taking one of the WB_KEEP buffers. */
static bool frame_room(const struct clip *c)
{
	return c->cur >= 0 || free_bufs(c->r) > WB_KEEP;
}

/* The clip writer's sink: append to the clip's filling buffer. */
static int clip_sink(void *arg, const void *data, size_t len)
{
	struct clip *c = arg;
	struct recorder *r = c->r;
	struct wbuf *b;

	if (c->cur < 0) {
		c->cur = take_buf(r);
		if (c->cur < 0)
			return -ENOBUFS;
		r->buf[c->cur].off = c->off;
	}
	b = &r->buf[c->cur];
	if (b->len + len > b->cap) {
		const size_t ncap = (b->len + len + WB_STEP - 1) / WB_STEP * WB_STEP;
		void *p = b->p ? mremap(b->p, b->cap, ncap, MREMAP_MAYMOVE) :
			  mmap(NULL, ncap, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -ENOMEM;
		b->p = p;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	c->off += len;
	return 0;
}

static void wbuf_unmap(struct wbuf *b)
{
	if (b->p)
		munmap(b->p, b->cap);
	b->p = NULL;
	b->cap = 0;
}

/* Idle buffers beyond WB_WARM give their memory back. */
static void wbuf_trim(struct recorder *r)
{
	unsigned int warm = 0;

	for (int i = 0; i < NBUF; i++) {
		struct wbuf *b = &r->buf[i];

		if (b->busy || !b->p)
			continue;
		if (warm < WB_WARM)
			warm++;
		else
			wbuf_unmap(b);
	}
}

static uint64_t busy_bytes(const struct recorder *r)
{
	uint64_t bytes = 0;

	for (int i = 0; i < NBUF; i++)
		if (r->buf[i].busy)
			bytes += r->buf[i].cap;
	return bytes;
}

static void note_peak(struct recorder *r)
{
	uint64_t bytes = 0;
	unsigned int n = 0;

	for (int i = 0; i < NBUF; i++) {
		if (r->buf[i].busy) {
			bytes += r->buf[i].cap;
			n++;
		}
	}
	if (bytes > r->peak_buffered)
		r->peak_buffered = bytes;
	if (n > r->peak_bufs)
		r->peak_bufs = n;
}

static int submit_buf(struct clip *c, int i)
{
	struct wbuf *b = &c->r->buf[i];
	int ret;

	note_peak(c->r);
	ret = loop_write(c->r->loop, c->fd, b->p + b->done,
			 (unsigned int)(b->len - b->done), b->off + b->done,
			 LOOP_TAG(RECORDER_ID, TAG(c->slot, OP_WRITE, i)));
	if (!ret)
		c->inflight++;
	return ret;
}

/*
 * Send the filling buffer, unless that would leave fewer free buffers than
 * clip slots, one for each clip to fill (then it keeps filling until a
 * write completes: no frame waits, nothing blocks), or
 * writes wait for space (ENOSPC): it goes after them.
 */
static void flush(struct clip *c, bool force)
{
	/* opening: the buffer keeps filling until the fd comes */
	if (c->fd < 0 || c->cur < 0 || !c->r->buf[c->cur].len || c->nretry)
		return;
	if (!force && free_bufs(c->r) < NCLIP)
		return;
	/* no submission slot even after a flush: it goes with the next one */
	if (submit_buf(c, c->cur))
		return;
	c->cur = -1;
}

/* vigil-lat (issue 13): an alarm's first bytes on disk, for --trace */

void recorder_set_trace(struct recorder *r, FILE *trace)
{
	r->trace = trace;
}

/* The alarm @id's start record was just appended to the current clip. */
static void lat_started(struct recorder *r, uint32_t id)
{
	if (!r->trace || !r->cur || r->nlat == LAT_WAIT)
		return;
	r->lat[r->nlat++] = (struct lat_wait){ r->cur, r->cur->off, id };
}

/* A sync of @c completed (@ok) or @c is released: the alarms it covers. */
static void lat_synced(struct recorder *r, const struct clip *c, bool ok)
{
	const uint64_t now = r->nlat ? mono_ns() : 0;
	unsigned int i = 0;

	while (i < r->nlat) {
		const struct lat_wait *w = &r->lat[i];

		if (w->c != c || (ok && w->off > c->sync_off)) {
			i++;
			continue;
		}
		if (ok)
			fprintf(r->trace, "{\"synced\":%u,\"off\":%llu,\"synced_ns\":%llu}\n",
				w->id, (unsigned long long)w->off, (unsigned long long)now);
		r->lat[i] = r->lat[--r->nlat];
	}
}

/* The bytes a sync submitted now covers: all but the filling buffer's. */
static void lat_sync_off(struct clip *c)
{
	c->sync_off = c->off - (c->cur >= 0 ? c->r->buf[c->cur].len : 0);
}

static void release_clip(struct clip *c)
{
	for (unsigned int i = 0; i < c->nretry; i++)
		c->r->buf[c->retry[i]].busy = false;
	if (c->cur >= 0)
		c->r->buf[c->cur].busy = false;
	c->nretry = 0;
	c->cur = -1;
	vigil_clip_writer_free(c->w);
	c->w = NULL;
	/* on the ring (a close may flush); fire and forget */
	if (c->fd >= 0 && loop_close(c->r->loop, c->fd,
				     LOOP_TAG(RECORDER_ID, TAG(c->slot, OP_CLOSE, 0))))
		close(c->fd);
	c->fd = -1;
	if (c->backlog && c->r->cur == c)
		preroll_pin(c->r->pre, UINT64_MAX);
	c->backlog = false;
	c->opening = c->evict_wait = c->evict_done = false;
	if (c->r->cur == c)
		c->r->cur = NULL;
	lat_synced(c->r, c, false);
	rec_store_writing(c->r->store, c->slot, NULL);
	c->st = C_FREE;
}

/*
 * A clip that is not whole (a write or the writer failed, or its close
 * could not go on) keeps its temporary name: only a clip whose every
 * write and final fsync succeeded becomes <id>.vclip.
 */
static void abandon(struct clip *c)
{
	fprintf(stderr, "vigild: %s: not closed (%s holds what was written; "
		"vigil-clip recover)\n", c->final, c->part);
	c->r->failed++;
	release_clip(c);
}

/* The close's fsync completed (@res): the rename and directory fsync, or not. */
static void close_synced(struct clip *c, int res)
{
	struct recorder *r = c->r;
	const uint64_t tag = LOOP_TAG(RECORDER_ID, 0);

	if (res < 0)
		fprintf(stderr, "vigild: %s: fsync: %s\n", c->part, strerror(-res));
	else
		lat_synced(r, c, true);
	if (res < 0 || c->err) {
		abandon(c);
		return;
	}
	/* rename, linked to the directory fsync (ordered after it) */
	c->chain_left = 2;
	if (loop_renameat(r->loop, r->dirfd, c->part, c->final, true,
			  tag | TAG(c->slot, OP_RENAME, 0)) ||
	    loop_fsync(r->loop, r->dirfd, false, false, tag | TAG(c->slot, OP_DIRSYNC, 0))) {
		fprintf(stderr, "vigild: %s: cannot queue the rename\n", c->part);
		abandon(c);
	}
}

/* Writes done: retry after ENOSPC, periodic sync, or the close chain. */
static void progress(struct clip *c)
{
	struct recorder *r = c->r;
	const uint64_t tag = LOOP_TAG(RECORDER_ID, 0);

	if (c->st == C_FREE || c->opening || c->inflight || c->sync_inflight || c->chain)
		return;
	if (c->nretry) {
		unsigned int n = c->nretry;
		uint64_t need = 0;

		if (c->evict_wait)
			return;
		if (!c->evict_done) {
			/* evicted by rec-store.c: store_done() comes back here */
			for (unsigned int i = 0; i < n; i++)
				need += r->buf[c->retry[i]].len - r->buf[c->retry[i]].done;
			c->evict_wait = true;
			c->evict_gen = rec_store_retention(r->store, need ? need : 1);
			return;
		}
		c->evict_done = false;
		if (!c->evict_gone) {
			fprintf(stderr, "vigild: %s: disk full and no clip left to evict: "
				"abandoned (%s holds what was written; vigil-clip recover)\n",
				c->final, c->part);
			r->failed++;
			release_clip(c);
			return;
		}
		c->nretry = 0;
		for (unsigned int i = 0; i < n; i++)
			if (submit_buf(c, c->retry[i]))
				c->retry[c->nretry++] = c->retry[i];
		flush(c, true);
		/* the alarm goes on in a new clip once this one is whole */
		c->close_after_retry = true;
		return;
	}
	if (c->st == C_CLOSING) {
		/* the footer first (its submission may have found no slot) */
		flush(c, true);
		if (c->inflight || (c->cur >= 0 && c->r->buf[c->cur].len))
			return;
		/*
		 * Every write completed. The fsync alone first: the rename is
		 * queued only once its completion says the clip is whole
		 * (close_synced()), never linked behind it (an fsync that
		 * fails does not cancel what is linked to it).
		 */
		c->chain = true;
		c->chain_left = 1;
		c->chain_err = 0;
		lat_sync_off(c);
		if (loop_fsync(r->loop, c->fd, false, false, tag | TAG(c->slot, OP_CLOSE_SYNC, 0))) {
			fprintf(stderr, "vigild: %s: cannot queue the close\n", c->part);
			abandon(c);
		}
		return;
	}
	if (c->sync_asap ||
	    (c->since_sync && ((r->rc->sync_frames && c->since_sync >= r->rc->sync_frames) ||
			       (r->rc->sync_ms && r->last_ts - c->last_sync_ns >=
				(uint64_t)r->rc->sync_ms * 1000000ULL)))) {
		if (!loop_fsync(r->loop, c->fd, true, false, tag | TAG(c->slot, OP_SYNC, 0))) {
			lat_sync_off(c);
			c->sync_asap = false;
			c->sync_inflight = true;
			c->since_sync = 0;
			c->last_sync_ns = r->last_ts;
		}
	}
}

/*
 * An alarm began: its start record, and the clip as written so far, go to
 * disk now rather than at the next periodic sync (up to sync_ms later), so
 * power pulled in the first second still leaves the evidence of why.
 */
static void sync_alarm(struct recorder *r)
{
	struct clip *c = r->cur;

	if (!c || c->st != C_OPEN)
		return;
	c->sync_asap = true;
	flush(c, true);
	progress(c);
}

/* ---------------------------------------------------------------- */
/* clips */

static void drain(struct recorder *r, struct clip *c, unsigned int max);
static void drain_n(struct recorder *r, struct clip *c, unsigned int max, bool paced);
static void ev_clip_closing(struct recorder *r, struct clip *c);

/*
 * What is left of @c's backlog after an unpaced drain found no write
 * buffer at all: not recorded, counted; the clip stays whole.
 */
static void backlog_drop(struct recorder *r, struct clip *c)
{
	uint64_t end;

	if (!c->backlog)
		return;
	end = preroll_first(r->pre) + preroll_count(r->pre);
	fprintf(stderr, "vigild: %s: %llu frames not recorded: no write buffer\n",
		c->part, (unsigned long long)(end - c->next));
	r->rec_dropped += end - c->next;
	r->wb_dropped += end - c->next;
	c->backlog = false;
	c->need_key = true;	/* an open clip goes on at a keyframe */
	r->want_key = true;
	if (r->cur == c)
		preroll_pin(r->pre, UINT64_MAX);
}

static void close_clip(struct recorder *r, struct clip *c)
{
	int ret;

	if (c->st != C_OPEN)
		return;
	drain(r, c, UINT32_MAX);
	backlog_drop(r, c);
	ev_clip_closing(r, c);
	if (r->cur == c)
		r->cur = NULL;
	ret = vigil_clip_writer_close(c->w);
	if (ret) {
		fprintf(stderr, "vigild: %s: closing: %s\n", c->part, strerror(-ret));
		c->err = ret;
	}
	flush(c, true);
	c->st = C_CLOSING;
	progress(c);
}

static void write_event(struct recorder *r, uint32_t type);
static void hold_release(struct recorder *r, bool all);

/*
 * ---- opening a clip, on the ring: STATX of <id>.vclip (a closed clip of
 * that name is never overwritten), then OPENAT of <id>.vclip.part with
 * O_EXCL; either taken, the next sequence number. Meanwhile the clip is
 * open to frames (write buffers fill, flush() waits for the fd), so the
 * loop never waits for the disk. No space to create it: retention evicts
 * (store_done()) and the name is tried again.
 */

static void open_failed(struct clip *c, int err)
{
	struct recorder *r = c->r;

	fprintf(stderr, "vigild: recording: %s/%s: %s\n", r->rc->dir, c->part, strerror(-err));
	r->failed++;
	release_clip(c);
}

static void name_check(struct clip *c)
{
	struct recorder *r = c->r;
	const int ret = loop_statx(r->loop, r->dirfd, c->final, &c->stx,
				   LOOP_TAG(RECORDER_ID, TAG(c->slot, OP_NAME, 0)));

	if (ret)
		open_failed(c, ret);
}

static void name_next(struct clip *c)
{
	struct recorder *r = c->r;

	if (c->open_tries++ == 10000) {
		open_failed(c, -EEXIST);
		return;
	}
	r->seq = r->seq % 9999 + 1;
	vigil_clip_id_make(c->id, sizeof(c->id), time(NULL), r->seq);
	snprintf(c->part, sizeof(c->part), "%s%s", c->id, VIGIL_CLIP_PART_EXT);
	snprintf(c->final, sizeof(c->final), "%s%s", c->id, VIGIL_CLIP_EXT);
	/* before it exists: start-up recovery and retention leave it alone */
	rec_store_writing(r->store, c->slot, c->id);
	name_check(c);
}

static void open_cqe(struct clip *c, unsigned int op, int res)
{
	struct recorder *r = c->r;
	int ret;

	if (c->st == C_FREE || !c->opening)
		return;
	if (op == OP_NAME) {
		if (!res) {
			name_next(c);		/* a closed clip has that name */
		} else if (res != -ENOENT) {
			open_failed(c, res);
		} else {
			ret = loop_openat(r->loop, r->dirfd, c->part,
					  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640,
					  LOOP_TAG(RECORDER_ID, TAG(c->slot, OP_OPEN, 0)));
			if (ret)
				open_failed(c, ret);
		}
		return;
	}
	if (res == -EEXIST) {
		name_next(c);
	} else if (res == -ENOSPC || res == -EDQUOT) {
		fprintf(stderr, "vigild: %s: %s: evicting old clips\n", c->part, strerror(-res));
		c->evict_wait = true;
		c->evict_gen = rec_store_retention(r->store, 1);
	} else if (res < 0) {
		open_failed(c, res);
	} else {
		c->fd = res;
		c->opening = false;
		r->clips++;
		fprintf(stderr, "vigild: recording %s/%s (%u frames of pre-roll)\n",
			r->rc->dir, c->part, c->copied);
		flush(c, c->st == C_CLOSING);
		progress(c);
	}
}

/*
 * A retention batch ended (rec-store.c): the clips waiting for room since
 * generation @gen or before go on, or, nothing evicted, give up.
 */
static void store_done(void *arg, unsigned int gone, unsigned int gen)
{
	struct recorder *r = arg;

	for (unsigned int i = 0; i < NCLIP; i++) {
		struct clip *c = &r->clip[i];

		if (c->st == C_FREE || !c->evict_wait || (int)(gen - c->evict_gen) < 0)
			continue;
		c->evict_wait = false;
		if (c->opening) {
			if (gone)
				name_check(c);
			else
				open_failed(c, -ENOSPC);
			continue;
		}
		c->evict_done = true;
		c->evict_gone = gone > 0;
		progress(c);
	}
}

/* Open a clip; with @trigger_ns, copy the pre-roll from before it. */
static struct clip *open_clip(struct recorder *r, bool preroll, uint64_t trigger_ns)
{
	struct clip *c = NULL;
	unsigned int copied = 0;
	int ret = 0;

	for (unsigned int i = 0; i < NCLIP; i++)
		if (r->clip[i].st == C_FREE)
			c = &r->clip[i];
	if (!c) {
		r->missed++;
		fprintf(stderr, "vigild: recording: the previous clips are still closing; "
			"this alarm is not recorded\n");
		return NULL;
	}
	rec_store_retention(r->store, 0);
	c->fd = -1;
	c->opening = true;
	c->open_tries = 0;
	c->evict_wait = c->evict_done = false;
	c->st = C_OPEN;
	c->cur = -1;
	c->off = 0;
	c->inflight = 0;
	c->nretry = 0;
	c->sync_inflight = c->chain = c->close_after_retry = false;
	c->frames = c->since_sync = 0;
	c->err = 0;
	/*
	 * Frames reach the clip through the pool, up to nslot behind capture:
	 * its start is the frame being posted, not the latest captured
	 */
	c->start_ns = r->post_ts ? r->post_ts : r->last_ts;
	c->last_sync_ns = r->last_ts;
	r->hdr.created_wall_ns = (uint64_t)time(NULL) * 1000000000ULL;
	ret = vigil_clip_writer_new(&r->hdr, r->sealed ? r->pk : NULL, clip_sink, c, &c->w);
	c->backlog = false;
	if (!ret && preroll) {
		/*
		 * The pre-roll is copied from the ring a few frames per live
		 * frame (drain()), pinned meanwhile: never all at once into
		 * write buffers, which would double its memory.
		 */
		const unsigned int n = preroll_count(r->pre);
		const unsigned int i = preroll_start(r->pre, trigger_ns,
						     (uint64_t)(r->rc->preroll_s * 1e9));

		if (i < n) {
			struct preroll_frame f;

			preroll_get(r->pre, i, &f);
			copied = n - i;
			c->backlog = true;
			c->next = preroll_first(r->pre) + i;
			preroll_pin(r->pre, c->next);
			c->start_ns = f.meta.mono_ns;
		}
	}
	if (ret) {
		fprintf(stderr, "vigild: recording %s: %s\n", c->part, strerror(-ret));
		r->failed++;
		/* left as it is: vigil deletes nothing but closed clips */
		release_clip(c);
		return NULL;
	}
	c->frames = 0;
	c->need_key = !copied;
	c->copied = copied;
	r->cur = c;
	/*
	 * The event's first record at once (person verdict not known yet,
	 * "continued" in a clip after max_clip_s): a clip cut by power loss
	 * before the event's final record still says why it was recorded.
	 */
	if (r->ev_open)
		write_event(r, VIGIL_EVENT_START);
	name_next(c);	/* the file, on the ring */
	return r->cur;
}

/*
 * ---- BEGIN clip format v2 (clipmeta): event records, person verdict,
 * audio (docs/clip-format.md). An event gets a start record in each clip
 * as the clip opens (open_clip()), and its final record when the event
 * ends, or when the clip closes with the event still open (flag "open",
 * end 0, type update), whichever comes first, with the person verdict
 * known then; the clips after carry it "continued".
 */

/* The event as it stands, into the clip. */
static void write_event(struct recorder *r, uint32_t type)
{
	if (!r->cur || !r->ev_open)
		return;
	r->ev.type = type;
	if (vigil_clip_writer_event(r->cur->w, &r->ev))
		fprintf(stderr, "vigild: %s: event not written\n", r->cur->part);
}

/* @c closes (its frames all written): the open event's record, as it is. */
static void ev_clip_closing(struct recorder *r, struct clip *c)
{
	struct vigil_clip_event e;

	if (r->cur != c || !r->ev_open)
		return;
	e = r->ev;
	e.type = VIGIL_EVENT_UPDATE;
	e.end_mono_ns = 0;
	e.flags |= VIGIL_CLIP_EV_OPEN;
	if (vigil_clip_writer_event(c->w, &e))
		fprintf(stderr, "vigild: %s: event not written\n", c->part);
	/* in any later clip, the event began before it */
	r->ev.flags |= VIGIL_CLIP_EV_CONTINUED;
}

/* The person check's verdict, once final (issue #16). */
static void ev_person(struct recorder *r, const struct vigil_event *ev)
{
	if (ev->person == VIGIL_PERSON_YES)
		r->ev.person = VIGIL_CLIP_PERSON_YES;
	else if (ev->person == VIGIL_PERSON_NO)
		r->ev.person = VIGIL_CLIP_PERSON_NO;
	else
		return;
	/* the SVM margin m as 0..100: 100 / (1 + e^-m), 50 at the threshold */
	r->ev.person_score = (unsigned int)lround(100.0 / (1.0 + exp(-ev->person_score)));
}

/*
 * Samples from the audio capture (issue #15): into the open clip only, as
 * blocks of at most VIGIL_CLIP_AUDIO_MAX samples, and only when clips are
 * sealed (hdr.audio). No clip open: they go nowhere. No audio pre-roll. Write buffers
 * full (as for frames, WB_MAX): the block is dropped and counted.
 */
void recorder_audio(struct recorder *r, const int16_t *pcm, size_t n,
		    unsigned int rate, uint64_t ts_ns)
{
	struct clip *c = r->cur;

	if (!c || c->st != C_OPEN || !r->hdr.audio || !n)
		return;
	if (busy_bytes(r) >= WB_MAX) {
		r->audio_dropped++;
		return;
	}
	while (n) {
		const size_t k = n < VIGIL_CLIP_AUDIO_MAX ? n : VIGIL_CLIP_AUDIO_MAX;
		const int ret = vigil_clip_writer_audio(c->w, ts_ns, rate, pcm, k);

		if (ret) {
			fprintf(stderr, "vigild: %s: audio at %llu ns: %s\n", c->part,
				(unsigned long long)ts_ns, strerror(-ret));
			r->audio_dropped++;
			return;
		}
		r->audio_blocks++;
		pcm += k;
		n -= k;
		ts_ns += (uint64_t)k * 1000000000ULL / rate;
	}
	/* no flush: the blocks go out with the next frame's write buffer */
}

/* ---- END clip format v2 (clipmeta) ---- */

static void copy_boxes(struct vigil_clip_box *d, unsigned int *nd,
		       const struct vigil_box *s, unsigned int n)
{
	*nd = n < VIGIL_MAX_BOXES ? n : VIGIL_MAX_BOXES;
	for (unsigned int i = 0; i < *nd; i++)
		d[i] = (struct vigil_clip_box){ (uint16_t)s[i].x, (uint16_t)s[i].y,
						(uint16_t)s[i].w, (uint16_t)s[i].h };
}

void recorder_event(struct recorder *r, const struct vigil_event *ev)
{
	const double after = r->rc->postroll_s > r->rc->merge_gap_s ?
			     r->rc->postroll_s : r->rc->merge_gap_s;

	if (ev->kind != VIGIL_KIND_MOTION)
		return;
	switch (ev->type) {
	case VIGIL_EVENT_START:
		if (!r->armed)
			return;
		r->active = true;
		memset(&r->ev, 0, sizeof(r->ev));
		r->ev_open = true;
		r->ev.start_mono_ns = ev->start_ns;
		r->ev.score = ev->max_score;
		copy_boxes(r->ev.boxes, &r->ev.nboxes, ev->boxes, ev->nboxes);
		/* the PIR edge that confirmed it may precede the start */
		if (ev->pir_valid)
			r->ev.pir[r->ev.npir++] = (struct vigil_clip_pir){ ev->pir_ts_ns, true };
		ev_person(r, ev);
		/* its start record: open_clip() writes it into a new clip */
		if (!r->cur)
			open_clip(r, true, ev->start_ns);
		else
			write_event(r, VIGIL_EVENT_START);
		lat_started(r, ev->id);
		sync_alarm(r);
		break;
	case VIGIL_EVENT_UPDATE:
		if (!r->ev_open)
			return;
		if (ev->max_score > r->ev.score)
			r->ev.score = ev->max_score;
		if (ev->nboxes)
			copy_boxes(r->ev.boxes, &r->ev.nboxes, ev->boxes, ev->nboxes);
		ev_person(r, ev);
		break;
	case VIGIL_EVENT_END:
		if (!r->ev_open)
			return;
		r->ev.end_mono_ns = ev->end_ns;
		if (ev->max_score > r->ev.score)
			r->ev.score = ev->max_score;
		ev_person(r, ev);
		write_event(r, VIGIL_EVENT_END);
		r->ev_open = false;
		r->active = false;
		r->close_at = ev->ts_ns + (uint64_t)(after * 1e9);
		break;
	}
}

void recorder_pir(struct recorder *r, const struct vigil_pir_event *e)
{
	if (r->ev_open && r->ev.npir < VIGIL_CLIP_MAX_PIR)
		r->ev.pir[r->ev.npir++] = (struct vigil_clip_pir){ e->ts_ns, e->level != 0 };
}

void recorder_set_lossless(struct recorder *r, bool on)
{
	r->lossless = on;
}

void recorder_set_armed(struct recorder *r, bool on)
{
	r->armed = on;
}

/* CPU time of this thread: what compression costs, whatever the load. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The format the encoder is given frames in: the clip's, but for NV12 and
 * NV21, whose frames go into the pool as planes already, in the order the
 * codec stores them (I420 and YV12: the same encoded bytes), so that the
 * encoder codes them where they lie and needs no plane buffer of its own.
 */
static enum vigil_pixfmt enc_format(enum vigil_pixfmt fmt)
{
	if (fmt == VIGIL_FMT_NV12)
		return VIGIL_FMT_I420;
	if (fmt == VIGIL_FMT_NV21)
		return VIGIL_FMT_YV12;
	return fmt;
}

/*
 * The frame, packed in the encoder's format (the camera's, planes as it
 * gave them: the codec stores YUYV's chroma planar; NV12's chroma is
 * split into its planes here). -EINVAL when the frame is in another format
 * (the device came back with one).
 */
static int frame_copy(const struct recorder *r, const struct vigil_frame *f,
		      uint8_t *dst)
{
	const enum vigil_pixfmt fmt = r->hdr.codec.fmt;
	const unsigned int w = f->width, h = f->height;
	const size_t cw = ((size_t)w + 1) / 2, ch = ((size_t)h + 1) / 2;
	uint8_t *u = dst + (size_t)w * h, *v = u + cw * ch;

	if (enc_format(fmt) == fmt)
		return vigil_frame_pack(f, fmt, dst, r->fsize);
	if (f->fmt != fmt || f->nplanes != 2)
		return -EINVAL;
	for (unsigned int y = 0; y < h; y++)
		memcpy(dst + (size_t)y * w, f->plane[0] + (size_t)y * f->pitch[0], w);
	for (size_t y = 0; y < ch; y++, u += cw, v += cw) {
		const uint8_t *c = f->plane[1] + y * f->pitch[1];

		for (size_t x = 0; x < cw; x++) {
			u[x] = c[2 * x];
			v[x] = c[2 * x + 1];
		}
	}
	return 0;
}

static int discard(void *arg, const void *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return 0;
}

/*
 * The encoder thread: one job at a time, from the loop's post to the
 * eventfd. It runs SCHED_OTHER whatever the loop's policy, so compression
 * never preempts capture.
 */
static void *encoder_thread(void *arg)
{
	struct recorder *r = arg;
	const uint64_t one = 1;
	sigset_t all;

	/* signals are the loop's (its signalfd): never delivered here */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	/*
	 * One clip writer made and freed here first: libsodium's one-time
	 * set-up and first getrandom(), which may wait for the kernel's
	 * entropy (a fresh VM under TCG: ~0.9 s, 11 frames lost when the loop
	 * paid it at the first alarm), cost this thread, not capture. (The
	 * camera streams already; an alarm in that first second waits in
	 * sodium_init()'s lock.)
	 */
	{
		struct vigil_clip_writer *w;

		if (!vigil_clip_writer_new(&r->warm_hdr, NULL, discard, NULL, &w))
			vigil_clip_writer_free(w);
	}
	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct job j;
		uint64_t t0;

		while (!r->job.posted && !r->job.quit)
			pthread_cond_wait(&r->cv, &r->mu);
		if (!r->job.posted)
			break;
		j = r->job;
		pthread_mutex_unlock(&r->mu);
		t0 = cpu_ns();
		if (j.force_key)
			vigil_encoder_force_key(r->enc);
		j.ret = vigil_encoder_encode(r->enc, j.src, j.dst, r->bound, &j.len, &j.key);
		j.cpu_ns = cpu_ns() - t0;
		pthread_mutex_lock(&r->mu);
		r->job.ret = j.ret;
		r->job.len = j.len;
		r->job.key = j.key;
		r->job.cpu_ns = j.cpu_ns;
		r->job.posted = false;
		r->job.done = true;
		pthread_cond_broadcast(&r->cv);
		if (write(r->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow at one write per frame */
		}
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Clip boundaries as of the frame at @ts (every earlier frame is written). */
static void clip_turn(struct recorder *r, uint64_t ts)
{
	struct clip *c = r->cur;

	r->post_ts = ts;
	/* a clip opened before any frame (a PIR alarm first) starts here */
	if (c && !c->start_ns)
		c->start_ns = ts;
	/* post-roll over, or the clip long enough: close (and go on) */
	if (c && c->close_after_retry && !c->nretry) {
		close_clip(r, c);
		if (r->active || ts < r->close_at)
			open_clip(r, false, 0);
	} else if (c && !r->active && ts >= r->close_at) {
		close_clip(r, c);
	} else if (c && ts > c->start_ns &&
		   ts - c->start_ns >= (uint64_t)(r->rc->max_clip_s * 1e9)) {
		close_clip(r, c);
		open_clip(r, false, 0);
	}
}

/* The oldest waiting frame to the encoder thread: room in the ring first. */
static int post(struct recorder *r)
{
	struct rframe *s = &r->slot[r->qhead];
	struct clip *c;
	uint8_t *dst;
	bool need;

	clip_turn(r, s->m.mono_ns);
	c = r->cur;
	dst = preroll_reserve(r->pre, &need);
	while (!dst && c && c->backlog) {
		/*
		 * The ring is full of frames the clip has not copied yet: as
		 * many as make room (the oldest group), not all of them.
		 */
		const uint64_t next = c->next;

		drain(r, c, 1);
		if (c->backlog && c->next == next)
			backlog_drop(r, c);	/* no write buffer at all */
		dst = preroll_reserve(r->pre, &need);
	}
	if (!dst)
		return -EFAULT;	/* only pinned frames, and no clip pins them */
	pthread_mutex_lock(&r->mu);
	r->job.src = s->raw;
	r->job.dst = dst;
	r->job.force_key = need || (c && c->need_key) || r->want_key;
	r->job.posted = true;
	r->job.done = false;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	r->want_key = false;
	r->enc_busy = true;
	return 0;
}

/* An encoded frame: into the ring, and into the clip. */
static int encoded(struct recorder *r, const struct rframe *s, const struct job *j)
{
	struct preroll_frame pf;
	struct clip *c;
	int ret;

	r->encode_ns += j->cpu_ns;
	if (j->ret) {
		fprintf(stderr, "vigild: encoder: %s\n", strerror(-j->ret));
		return j->ret;
	}
	r->encoded++;
	r->last_len = j->len;
	if (preroll_commit(r->pre, j->len, j->key, &s->m)) {
		r->want_key = true;
		return 0;
	}
	if (preroll_span_ns(r->pre) > r->max_span_ns)
		r->max_span_ns = preroll_span_ns(r->pre);
	c = r->cur;
	if (!c)
		return 0;
	if (c->backlog) {
		/* this frame is in the ring too: it is copied in its turn */
		drain_n(r, c, BACKLOG_STEP, true);
		progress(c);
		return 0;
	}
	if (c->need_key && !j->key) {
		/* the clip opened while this frame was encoding (empty ring) */
		r->want_key = true;
		r->rec_dropped++;
		return 0;
	}
	if (!frame_room(c)) {
		if (r->lossless) {
			/*
			 * No real time to keep (--fast): the frame waits in
			 * the ring, pinned, copied in its turn as writes
			 * complete; recorder_ready() holds the source meanwhile.
			 */
			c->backlog = true;
			c->next = preroll_first(r->pre) + preroll_count(r->pre) - 1;
			preroll_pin(r->pre, c->next);
			return 0;
		}
		/* real time: not recorded; the clip goes on at a keyframe */
		r->rec_dropped++;
		r->wb_dropped++;
		c->need_key = true;
		r->want_key = true;
		return 0;
	}
	preroll_get(r->pre, preroll_count(r->pre) - 1, &pf);
	ret = vigil_clip_writer_frame(c->w, pf.data, pf.len, &s->m);
	if (ret) {
		fprintf(stderr, "vigild: %s: frame at %llu ns: %s\n", c->part,
			(unsigned long long)s->m.mono_ns, strerror(-ret));
		r->failed++;
		close_clip(r, c);
		return 0;
	}
	c->need_key = false;
	c->frames++;
	c->since_sync++;
	r->rec_frames++;
	/* VIGILD_TEST_WRITE_HOLD: the pre-roll is in, completions are held */
	if (r->hold_n && !r->hold_over && !r->hold_on) {
		r->hold_on = true;
		r->hold_base = r->wb_dropped;
	}
	flush(c, false);
	progress(c);
	return 0;
}

/*
 * The job's result, if it is done (or, @wait, once it is): handled, and
 * the next waiting frame posted.
 */
static int collect(struct recorder *r, bool wait)
{
	struct job j;
	int ret;

	if (!r->enc_busy)
		return 0;
	pthread_mutex_lock(&r->mu);
	while (wait && !r->job.done)
		pthread_cond_wait(&r->cv, &r->mu);
	j = r->job;
	r->job.done = false;
	pthread_mutex_unlock(&r->mu);
	if (!j.done)
		return 0;
	r->enc_busy = false;
	ret = encoded(r, &r->slot[r->qhead], &j);
	hold_release(r, false);
	wbuf_trim(r);
	r->qhead = (r->qhead + 1) % r->nslot;
	r->qn--;
	if (!ret && r->qn)
		ret = post(r);
	return ret;
}

/*
 * Copy up to @max frames of @c's backlog from the ring into the clip;
 * @paced: only while a buffer is free beyond WB_KEEP and, in real time,
 * less than WB_DRAIN waits in write buffers; unpaced (a clip closing, a ring full of
 * pinned frames), the kept buffers may go too, never the last.
 */
static void drain_n(struct recorder *r, struct clip *c, unsigned int max, bool paced)
{
	unsigned int k = 0;

	while (c->backlog && k < max &&
	       (paced ? (r->lossless || busy_bytes(r) < WB_DRAIN) && frame_room(c) :
			c->cur >= 0 || free_bufs(r) > 0)) {
		const uint64_t first = preroll_first(r->pre);
		struct preroll_frame f;
		int ret;

		if (c->next < first) {
			/* cannot happen while pinned; a gap would break the clip */
			fprintf(stderr, "vigild: %s: pre-roll frames lost\n", c->part);
			c->backlog = false;
			break;
		}
		if (c->next >= first + preroll_count(r->pre)) {
			c->backlog = false;	/* caught up with the live frames */
			break;
		}
		preroll_get(r->pre, (unsigned int)(c->next - first), &f);
		ret = vigil_clip_writer_frame(c->w, f.data, f.len, &f.meta);
		if (ret) {
			fprintf(stderr, "vigild: %s: %s\n", c->part, strerror(-ret));
			c->err = ret;
			c->backlog = false;
			break;
		}
		c->next++;
		c->frames++;
		c->since_sync++;
		r->rec_frames++;
		k++;
		flush(c, false);
	}
	preroll_pin(r->pre, c->backlog ? c->next : UINT64_MAX);
}

static void drain(struct recorder *r, struct clip *c, unsigned int max)
{
	drain_n(r, c, max, false);
}

/*
 * A captured frame: copied into a free pool slot for the encoder
 * thread, or, the pool full, not recorded (rec_dropped). Capture never
 * waits for compression.
 */
int recorder_frame(struct recorder *r, const struct vigil_frame *f,
		   const struct vigil_detect_result *res)
{
	struct vigil_clip_frame_meta *m;
	struct timespec wall;
	struct rframe *s;

	if (f->width != r->width || f->height != r->height ||
	    (r->hdr.codec.fmt != VIGIL_FMT_GREY &&
	     vigil_frame_format(f) != r->hdr.codec.fmt))
		return 0;	/* the device came back with another size or format */
	r->last_ts = f->ts_ns;
	r->frame_ts = f->ts_ns;
	if (r->have_seq && r->cur && f->seq > r->last_seq + 1)
		r->dropped += f->seq - r->last_seq - 1;
	r->have_seq = true;
	r->last_seq = f->seq;
	r->frames++;
	if (r->fatal)
		return r->fatal;
	/*
	 * Past the post-roll with every earlier frame in (the pool empty):
	 * the clip ends here, as clip_turn() would end it at this frame's
	 * post; a frame refused below is then not counted against it.
	 */
	if (r->cur && !r->active && f->ts_ns >= r->close_at && !r->qn)
		close_clip(r, r->cur);
	/* with the frames still in the pool, each about the size of the last */
	if (!r->lossless && r->cur && busy_bytes(r) + r->qn * r->last_len >= WB_MAX) {
		r->rec_dropped++;
		r->wb_dropped++;
		hold_release(r, false);
		return 0;
	}
	if (r->qn == r->nslot && r->lossless) {
		/* no real time to keep: this frame waits for its slot */
		r->fatal = collect(r, true);
		if (r->fatal)
			return r->fatal;
	}
	if (r->qn == r->nslot) {
		r->rec_dropped++;
		return 0;
	}
	s = &r->slot[(r->qhead + r->qn) % r->nslot];
	if (frame_copy(r, f, s->raw))
		return 0;
	m = &s->m;
	memset(m, 0, sizeof(*m));
	clock_gettime(CLOCK_REALTIME, &wall);
	m->mono_ns = f->ts_ns;
	m->wall_ns = (uint64_t)wall.tv_sec * 1000000000ULL + (uint64_t)wall.tv_nsec;
	m->motion = res->motion;
	m->raw_motion = res->raw_motion;
	m->global_change = res->global_change;
	m->learning = res->learning;
	m->score = res->score < 0 ? 0 : res->score > 1 ? 1 : res->score;
	copy_boxes(m->boxes, &m->nboxes, res->boxes, res->nboxes);
	r->qn++;
	return r->enc_busy ? 0 : post(r);
}

/* --fast: frames waiting in the ring for write buffers go on */
static void backlog_on(struct recorder *r)
{
	struct clip *c = r->cur;

	if (!r->lossless || !c || !c->backlog)
		return;
	drain_n(r, c, BACKLOG_STEP, true);
	progress(c);
}

bool recorder_ready(struct recorder *r)
{
	struct clip *c = r->cur;
	unsigned int slots = 0;
	bool ready;

	if (!r->lossless)
		return true;
	for (unsigned int i = 0; i < NCLIP; i++)
		slots += r->clip[i].st == C_FREE;
	/*
	 * The next frame must find a clip slot free (else an alarm is
	 * missed: "the previous clips are still closing"), two when a clip
	 * opening with its pre-roll can turn at once (max_clip_s no longer
	 * than preroll_s), and a write buffer beyond WB_KEEP (else it waits
	 * in the ring: a backlog that would fill it with pinned frames).
	 */
	ready = slots >= (r->rc->max_clip_s <= r->rc->preroll_s ? 2u : 1u) &&
		free_bufs(r) > WB_KEEP;
	/* a completion to wait for: the filling buffer goes out */
	if (!ready && c && c->backlog && !c->inflight)
		flush(c, true);
	return ready;
}

void recorder_tick(struct recorder *r, uint64_t now_ns)
{
	const bool frames = r->frames != r->tick_frames;

	r->tick_frames = r->frames;
	backlog_on(r);
	if (now_ns <= r->last_ts)
		return;
	/*
	 * No frames (camera lost): post-roll still ends, writes still sync.
	 * But while frames come, the first one at close_at closes the clip
	 * (clip_turn()): never the tick, whose clock runs ahead of the frames
	 * by capture's queue and the pool. Closed by it, the clip lost the
	 * frames captured before close_at still waiting there, and a clip
	 * opened at a turn just before close_at closed with none (a verified
	 * clip of 0 frames, under TCG). Now the tick closes it only once every
	 * frame before close_at is in (none waits in the pool, and the last
	 * one delivered is past close_at), or no frame came since the last
	 * tick.
	 */
	r->last_ts = now_ns;
	if (r->cur && !r->active && now_ns >= r->close_at && !r->qn &&
	    (r->frame_ts >= r->close_at || !frames))
		close_clip(r, r->cur);
	for (unsigned int i = 0; i < NCLIP; i++)
		progress(&r->clip[i]);
}

/* Write buffer @idx of @c completed with @res. */
static void write_done(struct recorder *r, struct clip *c, unsigned int idx, int res)
{
	struct wbuf *b = &r->buf[idx];

	c->inflight--;
	if (res > 0 && b->done + (size_t)res < b->len) {
		b->done += (size_t)res;	/* short: the rest again */
		if (submit_buf(c, (int)idx))
			c->retry[c->nretry++] = (int)idx;
	} else if (res == -ENOSPC || res == -EDQUOT || res == 0) {
		if (!c->nretry)
			fprintf(stderr, "vigild: %s: %s: evicting old clips\n",
				c->part, strerror(ENOSPC));
		c->retry[c->nretry++] = (int)idx;
	} else if (res < 0) {
		fprintf(stderr, "vigild: %s: write: %s\n", c->part, strerror(-res));
		c->err = res;
		b->busy = false;
	} else {
		b->busy = false;
	}
	progress(c);
	backlog_on(r);
}

/*
 * VIGILD_TEST_WRITE_HOLD: once hold_n frames were not recorded for want of
 * a write buffer (or, @all, at the end), the held completions are seen.
 */
static void hold_release(struct recorder *r, bool all)
{
	if (!r->hold_on || r->hold_over || (!all && r->wb_dropped - r->hold_base < r->hold_n))
		return;
	r->hold_over = true;
	r->hold_on = false;
	for (unsigned int i = 0; i < NBUF; i++) {
		struct wbuf *b = &r->buf[i];

		if (!b->held)
			continue;
		b->held = false;
		write_done(r, &r->clip[b->held_slot], i, b->late_res);
	}
}

void recorder_cqe(struct recorder *r, unsigned int tag, const struct io_uring_cqe *cqe)
{
	const unsigned int slot = TAG_SLOT(tag), idx = TAG_IDX(tag);
	struct clip *c;
	struct wbuf *b;

	if (slot >= NCLIP)
		return;
	if (TAG_OP(tag) >= REC_STORE_OP_BASE) {
		rec_store_cqe(r->store, TAG_OP(tag), idx, cqe);
		return;
	}
	if (TAG_OP(tag) == OP_WAKE) {
		uint64_t n;

		/* nonblocking: clears the counter */
		if (read(r->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			fprintf(stderr, "vigild: recording: eventfd: %s\n", strerror(errno));
		if (!r->fatal)
			r->fatal = collect(r, false);
		if (!(cqe->flags & IORING_CQE_F_MORE) &&
		    loop_poll_multishot(r->loop, r->efd, POLLIN,
					LOOP_TAG(RECORDER_ID, TAG(0, OP_WAKE, 0))))
			fprintf(stderr, "vigild: recording: cannot poll the encoder thread\n");
		return;
	}
	c = &r->clip[slot];
	switch (TAG_OP(tag)) {
	case OP_WRITE:
		if (r->hold_on && idx < NBUF) {
			/* VIGILD_TEST_WRITE_HOLD: seen by hold_release() */
			b = &r->buf[idx];
			b->late_res = cqe->res;
			b->held_slot = slot;
			b->held = true;
			return;
		}
		if (!r->write_delay_ns || idx >= NBUF)
			break;
		/* a slow disk: the completion is seen write_delay_ns later */
		b = &r->buf[idx];
		b->late_res = cqe->res;
		if (!loop_timeout_abs(r->loop, mono_ns() + r->write_delay_ns, &b->late_ts,
				      LOOP_TAG(RECORDER_ID, TAG(slot, OP_WRITE_LATE, idx))))
			return;
		break;
	case OP_WRITE_LATE:
		if (idx >= NBUF)
			return;
		write_done(r, c, idx, r->buf[idx].late_res);
		return;
	default:
		break;
	}
	switch (TAG_OP(tag)) {
	case OP_NAME:
	case OP_OPEN:
		open_cqe(c, TAG_OP(tag), cqe->res);
		return;
	case OP_CLOSE:
		/* the slot may hold another clip by now */
		if (cqe->res < 0)
			fprintf(stderr, "vigild: recording: close: %s\n", strerror(-cqe->res));
		return;
	case OP_WRITE:
		if (idx >= NBUF)
			return;
		write_done(r, c, idx, cqe->res);
		return;
	case OP_SYNC:
		c->sync_inflight = false;
		if (cqe->res < 0)
			fprintf(stderr, "vigild: %s: fdatasync: %s\n", c->part,
				strerror(-cqe->res));
		else
			lat_synced(r, c, true);
		break;
	case OP_CLOSE_SYNC:
		if (c->chain && c->chain_left == 1)
			close_synced(c, cqe->res);
		return;
	case OP_RENAME:
	case OP_DIRSYNC:
		if (cqe->res < 0 && !c->chain_err) {
			c->chain_err = cqe->res;
			fprintf(stderr, "vigild: %s: %s: %s\n", c->part,
				TAG_OP(tag) == OP_RENAME ? "rename" : "directory fsync",
				strerror(-cqe->res));
		}
		if (--c->chain_left)
			return;
		if (c->chain_err)
			r->failed++;
		else
			fprintf(stderr, "vigild: recorded %s/%s (%u frames)\n", r->rc->dir,
				c->final, c->frames);
		c->chain = false;
		release_clip(c);
		rec_store_retention(r->store, 0);
		return;
	default:
		return;
	}
	progress(c);
}

static bool busy(const struct recorder *r)
{
	for (unsigned int i = 0; i < NCLIP; i++)
		if (r->clip[i].st != C_FREE)
			return true;
	return false;
}

int recorder_finish(struct recorder *r)
{
	/* the loop's longest run while it ran; the waits below are the end's */
	r->busy_max_ns = r->loop->busy_max_ns;
	r->finished = true;
	/* the frames captured are encoded and written before the end */
	while (r->enc_busy && !r->fatal)
		r->fatal = collect(r, true);
	hold_release(r, true);	/* VIGILD_TEST_WRITE_HOLD: never past the end */
	/* an event still open goes in as such (ev_clip_closing()) */
	if (r->cur)
		close_clip(r, r->cur);
	/* and retention's unlinks and audit records (rec-store.c) */
	while (busy(r) || rec_store_busy(r->store)) {
		struct io_uring_cqe *cqe;
		const int ret = loop_submit_wait(r->loop, 1);

		if (ret && ret != -EINTR && ret != -ETIME) {
			fprintf(stderr, "vigild: recording: io_uring wait: %s\n", strerror(-ret));
			return ret;
		}
		while (!io_uring_peek_cqe(&r->loop->ring, &cqe)) {
			const uint64_t data = io_uring_cqe_get_data64(cqe);

			if (LOOP_TAG_OWNER(data) == RECORDER_ID)
				recorder_cqe(r, LOOP_TAG_LOCAL(data), cqe);
			else if (LOOP_TAG_OWNER(data) == AUDIT_ID)	/* audit.c: our records */
				audit_cqe(LOOP_TAG_LOCAL(data), cqe);
			io_uring_cqe_seen(&r->loop->ring, cqe);
		}
	}
	/* the last clips' closes (fire and forget) go in before the ring ends */
	loop_submit_wait(r->loop, 0);
	return 0;
}

/*
 * The frame pool (POOL_BYTES of frames, 2 to NSLOT_MAX slots), the eventfd
 * the loop polls, and the encoder thread.
 */
static int start_thread(struct recorder *r)
{
	const size_t fb = r->fsize;
	struct sched_param sp = { .sched_priority = 0 };
	pthread_attr_t at;
	int ret;

	r->nslot = (unsigned int)(POOL_BYTES / (fb ? fb : 1));
	r->nslot = r->nslot < 2 ? 2 : r->nslot > NSLOT_MAX ? NSLOT_MAX : r->nslot;
	for (unsigned int i = 0; i < r->nslot; i++) {
		r->slot[i].raw = malloc(fb);
		if (!r->slot[i].raw)
			return -ENOMEM;
	}
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0)
		return -errno;
	ret = loop_poll_multishot(r->loop, r->efd, POLLIN,
				  LOOP_TAG(RECORDER_ID, TAG(0, OP_WAKE, 0)));
	if (ret)
		return ret;
	{
		pthread_mutexattr_t ma;

		/*
		 * Priority inheritance: the loop may run SCHED_FIFO, the
		 * encoder SCHED_OTHER; preempted while holding mu, the encoder
		 * kept the loop waiting in post()/collect() for its next time
		 * slice (bench/vigild-recio: loop_busy_max_us 7-40 ms under
		 * load, 0.7-7 ms with it).
		 */
		pthread_mutexattr_init(&ma);
		pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
		ret = pthread_mutex_init(&r->mu, &ma);
		pthread_mutexattr_destroy(&ma);
	}
	if (ret)
		return -ret;
	ret = pthread_cond_init(&r->cv, NULL);
	if (ret) {
		pthread_mutex_destroy(&r->mu);
		return -ret;
	}
	ret = pthread_attr_init(&at);
	if (!ret) {
		/* SCHED_OTHER even when the loop runs SCHED_FIFO */
		pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&at, SCHED_OTHER);
		pthread_attr_setschedparam(&at, &sp);
		/* small: with mlockall a default 8 MiB stack would be resident */
		pthread_attr_setstacksize(&at, ENC_STACK);
		ret = pthread_create(&r->thr, &at, encoder_thread, r);
		pthread_attr_destroy(&at);
	}
	if (ret) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		return -ret;
	}
	r->thr_started = true;
	return 0;
}

static void stop_thread(struct recorder *r)
{
	if (!r->thr_started)
		return;
	pthread_mutex_lock(&r->mu);
	r->job.quit = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thr, NULL);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	r->thr_started = false;
}

/* "vigil-pub HEX" (vigil-clip keygen's NAME.pub) */
static int read_pub(const char *path, uint8_t *pk, char *err, size_t errlen)
{
	char line[256], a[16] = "", hex[80] = "";
	FILE *fp = fopen(path, "re");

	if (!fp) {
		snprintf(err, errlen, "owner_key %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!fgets(line, sizeof(line), fp))
		line[0] = 0;
	fclose(fp);
	if (sscanf(line, "%15s %79s", a, hex) != 2 || strcmp(a, "vigil-pub") ||
	    strlen(hex) != 2 * VIGIL_CLIP_PK_BYTES)
		goto bad;
	for (size_t i = 0; i < VIGIL_CLIP_PK_BYTES; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			goto bad;
		pk[i] = (uint8_t)v;
	}
	return 0;
bad:
	snprintf(err, errlen, "owner_key %s: not a vigil public key (vigil-clip keygen "
		 "writes NAME.pub; the device must never hold NAME.key)", path);
	return -EINVAL;
}

/*
 * The clip's pixel format: the camera's, so clips keep its colour; GREY
 * for a packed 4:2:2 frame of odd width, which the codec cannot store.
 */
static enum vigil_pixfmt record_format(enum vigil_pixfmt fmt, unsigned int width)
{
	if ((fmt == VIGIL_FMT_YUYV || fmt == VIGIL_FMT_UYVY) && (width & 1))
		return VIGIL_FMT_GREY;
	return fmt;
}

int recorder_new(const struct vigil_config *cfg, struct loop *l,
		 unsigned int width, unsigned int height, enum vigil_pixfmt fmt,
		 unsigned int fps_num,
		 unsigned int fps_den, struct recorder **out, char *err,
		 size_t errlen)
{
	const struct vigil_record_config *rc = &cfg->record;
	struct recorder *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	r->cfg = cfg;
	r->rc = rc;
	r->loop = l;
	r->armed = rc->armed;
	r->width = width;
	r->height = height;
	r->dirfd = -1;
	r->efd = -1;
	for (unsigned int i = 0; i < NCLIP; i++)
		r->clip[i] = (struct clip){ .r = r, .slot = i, .fd = -1, .cur = -1 };
	{
		/*
		 * Fault injection for tests (userspace/README.md): every
		 * write's completion is seen this many ms late, as on a disk
		 * that stalls (writes stuck behind fsyncs), and the write
		 * buffers can be fewer.
		 */
		const char *e = getenv("VIGILD_TEST_WRITE_DELAY_MS");
		const char *b = getenv("VIGILD_TEST_WRITE_BUFFERS");
		const char *h = getenv("VIGILD_TEST_WRITE_HOLD");
		char *end = NULL, *bend = NULL, *hend = NULL;
		const unsigned long ms = e ? strtoul(e, &end, 10) : 0;
		const unsigned long nb = b ? strtoul(b, &bend, 10) : NBUF;
		const unsigned long hn = h ? strtoul(h, &hend, 10) : 0;

		if (e && (!*e || *end || ms > 10000)) {
			snprintf(err, errlen, "VIGILD_TEST_WRITE_DELAY_MS '%s': not 0..10000", e);
			ret = -EINVAL;
			goto fail;
		}
		/* and fewer write buffers, down to twice those kept */
		if (b && (!*b || *bend || nb < 2 * WB_KEEP || nb > NBUF)) {
			snprintf(err, errlen, "VIGILD_TEST_WRITE_BUFFERS '%s': not %u..%u", b,
				 2 * WB_KEEP, NBUF);
			ret = -EINVAL;
			goto fail;
		}
		/*
		 * and write completions held, once a clip's pre-roll is in,
		 * until this many frames were not recorded for want of a
		 * write buffer (real time; deterministic where a delay is not)
		 */
		if (h && (!*h || *hend || hn < 1 || hn > 10000)) {
			snprintf(err, errlen, "VIGILD_TEST_WRITE_HOLD '%s': not 1..10000", h);
			ret = -EINVAL;
			goto fail;
		}
		r->write_delay_ns = ms * 1000000ULL;
		r->nbuf = (unsigned int)nb;
		r->hold_n = hn;
	}
	if (rc->owner_key[0]) {
		ret = read_pub(rc->owner_key, r->pk, err, errlen);
		if (ret)
			goto fail;
		r->sealed = true;
	}
	r->dirfd = open(rc->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "[record] dir %s: %s", rc->dir, strerror(errno));
		goto fail;
	}
	{
		char audit[VIGIL_PATH_MAX + 32];

		if (rc->audit[0])
			snprintf(audit, sizeof(audit), "%s", rc->audit);
		else
			snprintf(audit, sizeof(audit), "%s/audit.jsonl", rc->dir);
		ret = rec_store_new(rc, l, r->dirfd, audit, store_done, r, &r->store, err,
				    errlen);
		if (ret)
			goto fail;
	}
	/* the time zone, read once here: not by the loop's first gmtime_r() */
	tzset();
	vigil_codec_params_default(&r->hdr.codec);
	r->hdr.codec.fmt = rc->colour ? record_format(fmt, width) : VIGIL_FMT_GREY;
	r->hdr.codec.width = width;
	r->hdr.codec.height = height;
	r->hdr.codec.near = rc->near;
	r->hdr.codec.keyint = rc->keyint;
	r->hdr.fps_num = fps_num ? fps_num : 30;
	r->hdr.fps_den = fps_den ? fps_den : 1;
	snprintf(r->hdr.camera, sizeof(r->hdr.camera), "%.*s", VIGIL_CLIP_CAMERA_MAX,
		 cfg->source);
	/* clipmeta: audio is stored inside sealed clips only (issue #15) */
	r->hdr.audio = cfg->audio_device[0] && r->sealed;
	if (cfg->audio_device[0] && !r->sealed)
		fprintf(stderr, "vigild: recording: audio not recorded: it is stored only "
			"in sealed clips ([record] owner_key is not set)\n");
	{
		struct vigil_codec_params ep = r->hdr.codec;

		ep.fmt = enc_format(ep.fmt);
		vigil_pixfmt_frame_size(ep.fmt, width, height, &r->fsize);
		ret = vigil_encoder_new(&ep, &r->enc);
	}
	if (ret) {
		snprintf(err, errlen, "clip encoder for %s %ux%u: %s",
			 vigil_pixfmt_name(r->hdr.codec.fmt), width, height, strerror(-ret));
		goto fail;
	}
	r->bound = vigil_encoder_bound(r->enc);
	ret = preroll_new(rc->preroll_bytes, (uint64_t)(rc->preroll_s * 1e9), r->bound, &r->pre);
	if (ret) {
		snprintf(err, errlen, "pre-roll: %s (preroll_bytes %llu for frames up to %zu bytes)",
			 strerror(-ret), (unsigned long long)rc->preroll_bytes, r->bound);
		goto fail;
	}
	r->warm_hdr = r->hdr;
	ret = start_thread(r);
	if (ret) {
		snprintf(err, errlen, "clip encoder thread: %s", strerror(-ret));
		goto fail;
	}
	rec_store_retention(r->store, 0);	/* at start, on the worker */
	*out = r;
	return 0;
fail:
	recorder_free(r);
	return ret;
}

void recorder_stats(const struct recorder *r, FILE *fp)
{
	fprintf(fp, "vigild: stats: recording clips %lu recorded_frames %lu dropped_frames %lu "
		"rec_dropped %lu failed %lu missed %lu evicted %lu encode_cpu_us_per_frame %.1f "
		"preroll_s %.2f preroll_bytes %llu write_buffers_peak %u write_buffered_peak %llu "
		"pool_slots %u rec_dropped_writes %lu loop_busy_max_us %.0f parts_recovered %lu\n",
		r->clips, r->rec_frames, r->dropped, r->rec_dropped, r->failed, r->missed,
		rec_store_evicted(r->store),
		r->encoded ? (double)r->encode_ns / (double)r->encoded / 1000.0 : 0.0,
		(double)r->max_span_ns / 1e9,
		(unsigned long long)preroll_bytes(r->pre), r->peak_bufs,
		(unsigned long long)r->peak_buffered, r->nslot, r->wb_dropped,
		(double)(r->finished ? r->busy_max_ns : r->loop->busy_max_ns) / 1000.0,
		rec_store_recovered(r->store));
	if (r->hdr.audio)	/* clipmeta: audio in clips */
		fprintf(fp, "vigild: stats: recording audio_blocks %lu audio_dropped %lu\n",
			r->audio_blocks, r->audio_dropped);
}

void recorder_free(struct recorder *r)
{
	if (!r)
		return;
	stop_thread(r);
	for (unsigned int i = 0; i < r->nslot; i++)
		free(r->slot[i].raw);
	if (r->efd >= 0)
		close(r->efd);
	for (unsigned int i = 0; i < NCLIP; i++) {
		if (r->clip[i].st == C_FREE)
			continue;
		if (r->clip[i].fd >= 0)
			close(r->clip[i].fd);	/* the ring is not entered again */
		r->clip[i].fd = -1;
		release_clip(&r->clip[i]);
	}
	rec_store_free(r->store);
	for (unsigned int i = 0; i < NBUF; i++)
		wbuf_unmap(&r->buf[i]);
	preroll_free(r->pre);
	vigil_encoder_free(r->enc);
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r);
}
