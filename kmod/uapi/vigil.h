/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vigil - user API of the vigil V4L2 capture driver
 *
 * Shared between vigil.ko and userspace: ABI only (control IDs and
 * payloads, event types and payloads). Userspace includes it as <vigil.h>
 * (with -Ikmod/uapi); it includes what it uses.
 *
 * Private ranges (vigil is out of tree, none is registered upstream):
 *   controls, user class     VIGIL_CID_BASE + 0x00 .. + 0x7f
 *                            (V4L2_CID_USER_BASE | 0xe000 ...)
 *   controls, detect class   VIGIL_CID_DETECT_BASE + 0x00 .. + 0x0f
 *                            (V4L2_CID_DETECT_CLASS_BASE + 0x1000 ...)
 *   events                   VIGIL_EVENT_PIR_BASE + 0x00 .. + 0xff
 *                            (V4L2_EVENT_PRIVATE_START + 0x100 ...)
 */
#ifndef _UAPI_VIGIL_H
#define _UAPI_VIGIL_H

#include <linux/types.h>
#include <linux/v4l2-controls.h>
#include <linux/videodev2.h>

/* Value of v4l2_capability.driver for every vigil video node. */
#define VIGIL_DRIVER_NAME		"vigil"

/*
 * Controls
 * --------
 * All vigil controls live in the user class, in a private range that is not
 * registered upstream (vigil is out of tree).
 */
#define VIGIL_CID_BASE			(V4L2_CID_USER_BASE | 0xe000)

/*
 * VIGIL_CID_PRIVACY_MASK: up to VIGIL_MAX_PRIVACY_RECTS rectangles that the
 * driver blacks out in every frame before the buffer is handed to userspace.
 *
 * Type: V4L2_CTRL_TYPE_U32 array, dims = { VIGIL_MAX_PRIVACY_RECTS, 4 }, i.e.
 * the payload is exactly a struct vigil_privacy_rect[VIGIL_MAX_PRIVACY_RECTS]
 * (32 __u32 values). Coordinates are in pixels of the current capture format,
 * origin top-left. A rectangle with width or height 0 is unused. A used
 * rectangle must lie inside the current format's frame, else setting the
 * control fails with -ERANGE. VIDIOC_S_FMT fits the mask to the new frame:
 * each rectangle is clipped to it, one wholly outside it is removed, and a
 * changed mask is reported as a V4L2_EVENT_CTRL control event (read the mask
 * back after changing the format).
 *
 * Masked pixels get Y = 16 (black, limited range); every chroma sample that
 * covers at least one masked pixel gets Cb = Cr = 128 (neutral). The mask
 * may be changed while streaming and applies from the next frame on.
 */
#define VIGIL_CID_PRIVACY_MASK		(VIGIL_CID_BASE + 0)
#define VIGIL_MAX_PRIVACY_RECTS		8

struct vigil_privacy_rect {
	__u32 left;
	__u32 top;
	__u32 width;
	__u32 height;
};

/*
 * VIGIL_CID_DROPPED_FRAMES: read-only, volatile 32-bit integer. Number of
 * frames dropped since the last STREAMON because no buffer was queued (or
 * because a drop was forced by error injection). Every dropped frame leaves
 * a gap in v4l2_buffer.sequence.
 */
#define VIGIL_CID_DROPPED_FRAMES	(VIGIL_CID_BASE + 1)

/*
 * What the virtual sensor shows: its V4L2_CID_TEST_PATTERN menu (on the
 * sensor's subdev node), with these indices. Cannot be changed while
 * streaming (-EBUSY). (VIGIL_CID_BASE + 2 was the Source control.)
 */
enum vigil_source {
	VIGIL_SOURCE_SCENE = 0,		/* scripted scene generator */
	VIGIL_SOURCE_REPLAY = 1,	/* raw footage loaded through debugfs */
};

/*
 * VIGIL_CID_SEED: a control of the virtual sensor (its subdev node).
 * 32-bit integer (0..0x7fffffff) seeding the scene generator.
 * The same scenario, seed, format and frame interval give byte-identical
 * frames for the same v4l2_buffer.sequence. Cannot be changed while
 * streaming (-EBUSY).
 */
#define VIGIL_CID_SEED			(VIGIL_CID_BASE + 3)

/* ---- BEGIN PIR section (issue 4: PIR events and controls go here) ---- */

/*
 * PIR motion sensor, recording LED and privacy switch
 * ---------------------------------------------------
 * Camera controls from VIGIL_CID_BASE + 0x40, detection controls in the
 * detect class (V4L2_CTRL_CLASS_DETECT) from VIGIL_CID_DETECT_BASE, events
 * from V4L2_EVENT_PRIVATE_START + 0x100. See kmod/README.md, "PIR".
 *
 * State the driver changes on its own (V4L2_CID_PRIVACY, VIGIL_CID_STANDBY,
 * VIGIL_CID_REC_LED) is in non-volatile controls: subscribe to V4L2_EVENT_CTRL
 * for them (V4L2_EVENT_SUB_FL_SEND_INITIAL gives the current value first).
 *
 * V4L2_CID_DETECT_MD_MODE (detect class, menu): V4L2_DETECT_MD_MODE_GLOBAL
 * (default: the PIR sees the whole view; V4L2_EVENT_MOTION_DET is sent) or
 * V4L2_DETECT_MD_MODE_DISABLED (no V4L2_EVENT_MOTION_DET; VIGIL_EVENT_PIR
 * is sent in both modes).
 */
#define VIGIL_CID_PIR_BASE		(VIGIL_CID_BASE + 0x40)
#define VIGIL_CID_DETECT_BASE		(V4L2_CID_DETECT_CLASS_BASE + 0x1000)
#define VIGIL_EVENT_PIR_BASE		(V4L2_EVENT_PRIVATE_START + 0x100)

/*
 * VIGIL_CID_PIR_DEBOUNCE_US (detect class): integer 0..1000000, default 0
 * (off). A PIR edge arriving less than this many microseconds after the
 * previous accepted edge is ignored (counted in debugfs "pir", not an
 * event).
 */
#define VIGIL_CID_PIR_DEBOUNCE_US	(VIGIL_CID_DETECT_BASE + 0)

/*
 * VIGIL_CID_PIR_HOLD_MS (detect class): integer 0..60000, default 1000.
 * Motion as seen by V4L2_EVENT_MOTION_DET starts at a rising PIR edge and
 * ends this long after the last falling edge (a new rising edge in between
 * extends it).
 */
#define VIGIL_CID_PIR_HOLD_MS		(VIGIL_CID_DETECT_BASE + 1)

/*
 * VIGIL_CID_STANDBY: boolean, default 0. While set, a streaming sensor is in
 * standby: it produces frames only at VIGIL_CID_STANDBY_FPS (0 = none).
 * With VIGIL_CID_PIR_WAKE set, a rising PIR edge clears it from the IRQ
 * handler and the sensor returns to the full frame rate at once: the first
 * full-rate frame follows within one frame period; the control then reads
 * 0 again and sends a control event. A PIR edge while not streaming wakes
 * nothing (standby stays set). The frame clock keeps running in standby:
 * sequence numbers advance, skipped periods are not counted as dropped.
 * Standby is the sensor's power state: between keep-alive frames the
 * sensor is runtime suspended (if its driver uses runtime PM).
 */
#define VIGIL_CID_STANDBY		(VIGIL_CID_PIR_BASE + 2)

/* VIGIL_CID_STANDBY_FPS: integer 0..VIGIL_MAX_FPS, keep-alive rate. */
#define VIGIL_CID_STANDBY_FPS		(VIGIL_CID_PIR_BASE + 3)

/* VIGIL_CID_PIR_WAKE: boolean, default 1: a PIR rising edge ends standby. */
#define VIGIL_CID_PIR_WAKE		(VIGIL_CID_PIR_BASE + 4)

/*
 * VIGIL_CID_REC_LED: read-only boolean: the recording LED's current state,
 * with a control event on every change. The driver alone drives the LED:
 * on while the sensor streams (standby keep-alive included), off
 * otherwise; while the privacy switch is asserted it blinks (250 ms on/off)
 * whether or not streaming. Userspace cannot change it.
 */
#define VIGIL_CID_REC_LED		(VIGIL_CID_PIR_BASE + 5)

/*
 * The privacy switch state is the standard V4L2_CID_PRIVACY (camera class),
 * read-only: 1 while the switch is asserted, a control event on every
 * change. While it is asserted the driver produces no frames: buffers stay
 * queued, DQBUF blocks (or returns -EAGAIN), no frame is counted as
 * dropped, and sequence numbers keep advancing so the gap shows the
 * blackout; this is what capture clients (ffmpeg, GStreamer, Motion) cope
 * with best, as with a camera that stopped sending: no STREAMOFF, no error,
 * no black frames to record. On release capture resumes with the next
 * frame period. (It replaces the former VIGIL_EVENT_PRIVACY.)
 */

/*
 * VIGIL_EVENT_PIR: one event per PIR edge (both directions).
 * Subscribe with VIDIOC_SUBSCRIBE_EVENT; each subscriber gets its own queue
 * of VIGIL_PIR_EVENT_QUEUE_DEPTH events. On overflow the oldest event is
 * dropped and its count (plus its own lost count) is added to the next
 * event's @lost, so for every subscriber
 *	sum(1 + lost) over received events == edges since subscribing,
 * and @seq has a gap of exactly @lost before each event. The newest event
 * is never dropped. 512 events hold 2.5 s of a 200 edges/s train for a
 * reader that is held off; they take 80 KiB per subscriber (struct
 * v4l2_kevent, 160 bytes on 64-bit).
 */
#define VIGIL_EVENT_PIR			(VIGIL_EVENT_PIR_BASE + 0)
#define VIGIL_PIR_EVENT_QUEUE_DEPTH	512

struct vigil_event_pir {
	__u64 irq_ts_ns;	/* CLOCK_MONOTONIC, taken in the hard IRQ */
	__u32 seq;		/* +1 per accepted PIR edge since probe */
	__u32 frame_seq;	/* latest frame period started at the IRQ
				 * (0xffffffff before the first one of a
				 * stream, and while not streaming)
				 */
	__u32 lost;		/* events lost right before this one */
	__u8 level;		/* 1: rising edge, 0: falling edge */
	__u8 flags;		/* VIGIL_PIR_FL_* */
	__u16 reserved;
};

#define VIGIL_PIR_FL_WAKE		0x01	/* this edge ended standby */

/*
 * VIGIL_EVENT_PIR_BASE + 1 was VIGIL_EVENT_WAKE (the first full-rate frame
 * after a PIR wake): the tracepoint vigil:vigil_pir_wake reports it now.
 * Not reused.
 */
/* VIGIL_EVENT_PIR_BASE + 2 was VIGIL_EVENT_PRIVACY: not reused. */

/* ---- END PIR section ---- */

#endif /* _UAPI_VIGIL_H */
