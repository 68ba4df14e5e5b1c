/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigild internals: the io_uring loop, the source and sink interfaces,
 * sd_notify, the command line.
 */
#ifndef VIGILD_H
#define VIGILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <liburing.h>

#include "libvigil.h"
#include "vigil-internal.h"

/* Exit statuses (documented in README.md, used by vigild.service). */
#define VIGILD_EXIT_OK		0	/* SIGTERM/SIGINT, end of a replay */
#define VIGILD_EXIT_RUNTIME	1	/* device, file, io_uring, event log */
#define VIGILD_EXIT_CONFIG	2	/* usage or configuration error */
#define VIGILD_EXIT_UNSUPPORTED	3	/* the hardware cannot do what the
					 * configuration asks (no PIR source
					 * for pir-and-video, no usable format):
					 * restarting will not help */

/* ---- loop.c: one restricted io_uring for the whole process ---- */

/*
 * Every submission carries a 64-bit tag: the owner (0 the daemon, else a
 * source id) in the high half, the owner's own tag in the low half.
 */
#define LOOP_TAG(owner, tag)	(((uint64_t)(owner) << 32) | (uint32_t)(tag))
#define LOOP_TAG_OWNER(data)	((unsigned int)((data) >> 32))
#define LOOP_TAG_LOCAL(data)	((unsigned int)(data))

/* The daemon's own tags (owner 0). */
enum loop_tag {
	TAG_SIGNAL = 1,		/* multishot poll on the signalfd */
	TAG_TICK,		/* periodic: fusion clock, watchdog, rescue */
	TAG_CANCEL,		/* completion of a POLL_REMOVE */
};

struct loop {
	struct io_uring ring;
	unsigned long enters;		/* io_uring_enter calls (stats) */
	/* issue #8: the longest the loop ran between two io_uring_enter */
	uint64_t ret_ns, busy_max_ns;
};

/* Create the ring disabled, restrict it to our opcodes, enable it. */
int loop_init(struct loop *l, const char **what);
void loop_exit(struct loop *l);
int loop_poll_multishot(struct loop *l, int fd, unsigned int mask,
			uint64_t tag);
int loop_poll_remove(struct loop *l, uint64_t tag);
/*
 * Absolute CLOCK_MONOTONIC timeout completing with @tag. @ts is the
 * caller's storage; it must stay valid until the next submission.
 */
int loop_timeout_abs(struct loop *l, uint64_t mono_ns,
		     struct __kernel_timespec *ts, uint64_t tag);
/*
 * BEGIN recording (issue #8): a write at @off, an fsync (or fdatasync), a
 * rename within @dfd. @link chains the next submission after this one.
 * Buffers and names must stay valid until the completion.
 */
int loop_write(struct loop *l, int fd, const void *buf, unsigned int len,
	       uint64_t off, uint64_t tag);
int loop_fsync(struct loop *l, int fd, bool datasync, bool link, uint64_t tag);
int loop_renameat(struct loop *l, int dfd, const char *from, const char *to,
		  bool link, uint64_t tag);
/*
 * A write at the end of an O_APPEND file (one record, never interleaved);
 * statx of @path in @dfd (not following a symlink, @stx the caller's until
 * the completion); openat (the fd is the completion's result); close;
 * unlinkat of a file. Kernel 5.6 (OPENAT, STATX, CLOSE), 5.11 (UNLINKAT,
 * RENAMEAT): older than the multishot poll (5.13) vigild needs anyway.
 */
struct statx;
int loop_write_append(struct loop *l, int fd, const void *buf, unsigned int len,
		      bool link, uint64_t tag);
int loop_statx(struct loop *l, int dfd, const char *path, struct statx *stx,
	       uint64_t tag);
int loop_openat(struct loop *l, int dfd, const char *path, int flags,
		unsigned int mode, uint64_t tag);
int loop_close(struct loop *l, int fd, uint64_t tag);
int loop_unlinkat(struct loop *l, int dfd, const char *path, uint64_t tag);
/* END recording */
/* http.c's sockets: accepted sockets are non-blocking, close-on-exec */
int loop_accept_multishot(struct loop *l, int fd, uint64_t tag);
int loop_recv(struct loop *l, int fd, void *buf, size_t len, uint64_t tag);
int loop_send(struct loop *l, int fd, const void *buf, size_t len,
	      uint64_t tag);
/* Cancel every request on @fd; the cancel completes with @tag. */
int loop_cancel_fd(struct loop *l, int fd, uint64_t tag);
/* Submit pending SQEs and wait for at least @wait_nr completions. */
int loop_submit_wait(struct loop *l, unsigned int wait_nr);

uint64_t mono_ns(void);

/* ---- notify.c: the sd_notify datagram protocol ---- */

struct notifier {
	int fd;			/* -1 when not under systemd */
	uint64_t watchdog_ns;	/* WATCHDOG_USEC, 0 if off */
};

int notify_open(struct notifier *n);
int notify_send(const struct notifier *n, const char *msg);
void notify_close(struct notifier *n);

/* ---- sources: where frames and PIR edges come from ---- */

struct source;

/* What a source hands to the daemon. */
struct source_cb {
	/* A frame, viewed in place: valid during the call only. 0 or -errno. */
	int (*frame)(void *arg, const struct vigil_frame *f);
	/* A PIR edge (CLOCK_MONOTONIC time). */
	void (*pir)(void *arg, const struct vigil_pir_event *e);
	/* The stream broke (@lost, at @now_ns) or started again (!@lost). */
	void (*restart)(void *arg, bool lost, uint64_t now_ns);
	void *arg;
};

struct source_ops {
	const char *name;	/* "v4l2", "replay" */
	const char *prefix;	/* in the source string: "v4l2:", "replay:" */
	/* Acquire what @arg names; sets width/height, has_pir, live, fast. */
	int (*open)(struct source *s, const char *arg, char *err,
		    size_t errlen);
	/* Arm the source's polls and timers on the loop. */
	int (*start)(struct source *s);
	/*
	 * A completion of one of the source's tags: take everything that is
	 * ready (every queued frame, every pending event) and deliver it.
	 * Returns 0, 1 at the end of the stream, or -errno (the source has
	 * printed why; vigild stops with status 1).
	 */
	int (*ready)(struct source *s, unsigned int tag,
		     const struct io_uring_cqe *cqe);
	/* fast sources only: produce one frame without waiting (as ready) */
	int (*pump)(struct source *s);
	/* optional: the daemon's periodic tick (@idle: no frame since last) */
	int (*tick)(struct source *s, uint64_t now_ns, bool idle);
	/* Disarm (poll removal); the loop is still running. */
	void (*stop)(struct source *s);
	/* Release everything open() acquired. */
	void (*close)(struct source *s);
	/* optional: system calls besides io_uring_enter, for --stats */
	unsigned long (*syscalls)(const struct source *s);
};

struct source {
	const struct source_ops *ops;
	const struct vigil_config *cfg;
	struct loop *loop;
	unsigned int id;		/* owner in LOOP_TAG(), >= 1 */
	struct source_cb cb;
	/* set by open() */
	unsigned int width, height;
	bool live;			/* real time: the tick drives fusion */
	bool fast;			/* pump() as fast as possible */
	bool has_pir;			/* may deliver PIR edges */
	unsigned int fps_num, fps_den;	/* frame rate if known (clips), else 0 */
	enum vigil_pixfmt fmt;		/* the frames' format (colour) */
	void *priv;
};

extern const struct source_ops source_v4l2_ops;
extern const struct source_ops source_replay_ops;
/* src-pir-gpio.c: PIR edges only, from the [pir] gpiochip line */
extern const struct source_ops source_pir_gpio_ops;

/*
 * Pick the source type from @spec ("v4l2:DEV", "/dev/...", "replay:FILE")
 * and open it. -EINVAL with a message for an unknown type.
 */
int source_open(struct source *s, const char *spec, char *err,
		size_t errlen);
void source_close(struct source *s);

/* ---- sinks: where events go ---- */

struct sink;

struct sink_ops {
	const char *name;
	int (*open)(struct sink *k, char *err, size_t errlen);
	/* One event. 0 or -errno (the write failed: vigild stops, status 1). */
	int (*event)(struct sink *k, const struct vigil_event *ev);
	/* SIGHUP: reopen files (logrotate). 0 or -errno with @err. */
	int (*reopen)(struct sink *k, char *err, size_t errlen);
	/* Flush and release. 0 or -errno (a write that failed late). */
	int (*close)(struct sink *k);
};

struct sink {
	const struct sink_ops *ops;
	const struct vigil_config *cfg;
	void *priv;
};

/* sink-events.c: JSON lines to a file (appended) or stdout */
extern const struct sink_ops sink_events_ops;

/* ---- src-replay.c: Y4M / VIGIL-RAW / raw file, mapped ---- */

struct replay;

int replay_open(const struct vigil_config *c, const char *path,
		struct replay **out, char *err, size_t errlen);
void replay_free(struct replay *r);
void replay_geometry(const struct replay *r, unsigned int *w, unsigned int *h,
		     unsigned int *fps_num, unsigned int *fps_den);
enum vigil_pixfmt replay_format(const struct replay *r);
/* Next frame view (in place). 0, -ENODATA at end, -errno with err. */
int replay_next(struct replay *r, struct vigil_frame *f, char *err,
		size_t errlen);
void replay_rewind(struct replay *r);

/* PIR side file, loaded whole (times relative to the first frame). */
struct pir_script {
	struct vigil_pir_event *ev;
	unsigned int n, next;
};

int pir_script_load(struct pir_script *s, const char *path, char *err,
		    size_t errlen);
void pir_script_free(struct pir_script *s);

/* ---- src-v4l2.c: V4L2 capture, MMAP or DMABUF (libdrm) ---- */

struct v4l2src;

int v4l2src_open(const struct vigil_config *c, const char *dev,
		 struct v4l2src **out, char *err, size_t errlen);
void v4l2src_free(struct v4l2src *s);
int v4l2src_fd(const struct v4l2src *s);
void v4l2src_geometry(const struct v4l2src *s, unsigned int *w,
		      unsigned int *h);
/* The frames' format: what the device delivers (MJPEG: decoded, GREY). */
enum vigil_pixfmt v4l2src_format(const struct v4l2src *s);
/* Does the device deliver PIR edges (VIGIL_EVENT_PIR or MOTION_DET)? */
bool v4l2src_has_pir(const struct v4l2src *s);
/*
 * Dequeue one filled buffer: 0 with @f viewing it in place, -EAGAIN when
 * none is done, -ENODATA for a bad buffer (requeued: try the next).
 */
int v4l2src_dequeue(struct v4l2src *s, struct vigil_frame *f,
		    unsigned int *index);
int v4l2src_requeue(struct v4l2src *s, unsigned int index);
/*
 * Dequeue pending V4L2 events; PIR edges are returned in @pir (up to @max),
 * the count in *@npir. Returns 0 or -errno.
 */
int v4l2src_events(struct v4l2src *s, struct vigil_pir_event *pir,
		   unsigned int max, unsigned int *npir);
unsigned long v4l2src_ioctls(const struct v4l2src *s);

/* ---- BEGIN recorder.c: alarm clips (issue #8), loop owner 10 ---- */

#define RECORDER_ID 10

struct recorder;

/*
 * Recording into cfg->record.dir (the caller checked it is set) of
 * @width x @height luma at @fps_num/@fps_den. 0 or -errno with @err.
 */
/* @fmt: the source's pixel format, which the clips keep (colour). */
int recorder_new(const struct vigil_config *cfg, struct loop *l,
		 unsigned int width, unsigned int height, enum vigil_pixfmt fmt,
		 unsigned int fps_num, unsigned int fps_den, struct recorder **out,
		 char *err, size_t errlen);
/* Every frame, after its detection result went to the fusion. */
int recorder_frame(struct recorder *r, const struct vigil_frame *f,
		   const struct vigil_detect_result *res);
void recorder_event(struct recorder *r, const struct vigil_event *ev);
void recorder_pir(struct recorder *r, const struct vigil_pir_event *e);
/* clipmeta: captured audio, into the open clip only (none: dropped). */
void recorder_audio(struct recorder *r, const int16_t *pcm, size_t n,
		    unsigned int rate, uint64_t ts_ns);
/* Live sources, the daemon's tick (CLOCK_MONOTONIC, the frames' clock). */
void recorder_tick(struct recorder *r, uint64_t now_ns);
/* A completion of owner RECORDER_ID. */
void recorder_cqe(struct recorder *r, unsigned int tag,
		  const struct io_uring_cqe *cqe);
/* While disarmed no new clip starts (one recording finishes). */
void recorder_set_armed(struct recorder *r, bool on);
/*
 * A source that waits for the daemon (replay --fast): a full frame pool
 * waits for the encoder thread instead of dropping the frame.
 */
void recorder_set_lossless(struct recorder *r, bool on);
/*
 * Lossless (--fast): false while the recorder cannot take the next frame
 * without losing one (write buffers or clip slots all busy): the source
 * then waits for completions on the ring (issue #8, back-pressure).
 */
bool recorder_ready(struct recorder *r);
/*
 * vigild --trace (vigil-lat event, issue 13): once the clip bytes up to an
 * alarm's start record are fsynced (the first fdatasync or the close fsync
 * that covers them completed), write {"synced":ID,"off":..,"synced_ns":..}.
 */
void recorder_set_trace(struct recorder *r, FILE *trace);
/* Close the open clip and wait for every write, sync and rename. */
int recorder_finish(struct recorder *r);
void recorder_stats(const struct recorder *r, FILE *fp);
void recorder_free(struct recorder *r);
/* vigild.c: arm (record new alarms) or disarm; detection goes on. */
struct vigild;
void vigild_set_armed(struct vigild *v, bool on);

/* ---- END recorder.c ---- */
/* ---- vigild.c: the state the HTTP API reads (http.h) ---- */

struct vigild_status {
	unsigned long frames, motion_frames, events;
	unsigned long dropped;		/* frames the source lost (seq gaps) */
	unsigned int width, height;
	bool armed, live;
	uint64_t started_ns;		/* CLOCK_MONOTONIC */
};

/* ---- options.c: the command line over the configuration ---- */

struct options {
	const char *config;		/* -c */
	const char *trace;		/* --trace */
	bool stats;
	bool check;			/* --check-config */
	bool rotate_token;		/* --rotate-token */
};

/*
 * Load the configuration file named on the command line, then apply every
 * other flag over it. Returns -1 to go on, or an exit status (0 for
 * --help/--version, VIGILD_EXIT_CONFIG for errors, with a message).
 */
int options_parse(int argc, char **argv, struct vigil_config *c,
		  struct options *o);

#endif
