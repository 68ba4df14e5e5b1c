/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigild internals: the io_uring loop, sources, sd_notify. */
#ifndef VIGILD_H
#define VIGILD_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include "libvigil.h"

/* ---- loop.c: one restricted io_uring for the whole process ---- */

enum loop_tag {
	TAG_SIGNAL = 1,		/* multishot poll on the signalfd */
	TAG_VIDEO,		/* multishot poll on the V4L2 fd */
	TAG_FRAME_TIMER,	/* replay: next frame is due */
	TAG_TICK,		/* periodic: fusion clock, watchdog, rescue */
	TAG_RECONNECT,		/* v4l2: retry after device loss */
	TAG_CANCEL,
};

struct loop {
	struct io_uring ring;
	struct __kernel_timespec ts[8];	/* timeouts in flight, by tag */
	unsigned long enters;		/* io_uring_enter calls (stats) */
};

/* Create the ring disabled, restrict it to our opcodes, enable it. */
int loop_init(struct loop *l, const char **what);
void loop_exit(struct loop *l);
int loop_poll_multishot(struct loop *l, int fd, unsigned int mask,
			enum loop_tag tag);
int loop_poll_remove(struct loop *l, enum loop_tag tag);
/* Absolute CLOCK_MONOTONIC timeout completing with @tag. */
int loop_timeout_abs(struct loop *l, uint64_t mono_ns, enum loop_tag tag);
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

/* ---- src-replay.c: Y4M / VIGIL-RAW / raw file, mapped ---- */

struct replay;

int replay_open(const struct vigil_config *c, const char *path,
		struct replay **out, char *err, size_t errlen);
void replay_free(struct replay *r);
void replay_geometry(const struct replay *r, unsigned int *w, unsigned int *h,
		     unsigned int *fps_num, unsigned int *fps_den);
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
/* Dequeue one filled buffer: 0 with @f viewing it in place, -EAGAIN. */
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

#endif
