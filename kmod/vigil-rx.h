/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil - the receiver interface: how pixels reach the vb2 buffers.
 *
 * A receiver sits between the bound sensor and the capture queue. The
 * virtual receiver (vigil-rx-virtual.c) has the virtual sensor render into
 * each buffer with the CPU; an SoC port implements the same ops for its
 * CSI-2 or parallel receiver's DMA. See kmod/README.md.
 */
#ifndef _VIGIL_RX_H
#define _VIGIL_RX_H

#include <linux/types.h>

#include "vigil-frame.h"

struct v4l2_subdev;
struct vigil_buffer;
struct vigil_dev;

/*
 * start() is called from start_streaming with the queue lock held, after
 * the sensor's format was validated and before the sensor starts
 * streaming; it must not block for long. stop() is called after the
 * sensor stopped streaming and must guarantee that no vigil_frame_*() call
 * is running or will run once it returns. buffer_queued() (optional) is
 * called in any context when userspace queued a buffer while streaming.
 *
 * The receiver takes buffers with vigil_next_buffer(), fills them, and
 * hands them back with vigil_frame_done(); when no buffer is available it
 * calls vigil_frame_dropped(). vigil_frame_start() numbers each frame
 * period. These may be called from any context, including hard IRQ.
 */
struct vigil_rx_ops {
	const char *name;
	/* the receiver can take frames from @sd (at bind time) */
	bool (*accepts)(struct vigil_dev *vd, struct v4l2_subdev *sd);
	int (*start)(struct vigil_dev *vd);
	void (*stop)(struct vigil_dev *vd);
	void (*buffer_queued)(struct vigil_dev *vd);
};

/* vigil-cap.c: the completion path shared by every receiver */
struct vigil_buffer *vigil_next_buffer(struct vigil_dev *vd);
u32 vigil_frame_start(struct vigil_dev *vd);
bool vigil_frame_wanted(struct vigil_dev *vd, u32 sequence);
void vigil_frame_done(struct vigil_dev *vd, struct vigil_buffer *buf,
		      u32 sequence, int error);
void vigil_frame_dropped(struct vigil_dev *vd);
void vigil_frame_from_buffer(struct vigil_dev *vd, struct vigil_buffer *buf,
			     struct vigil_frame *f);
int vigil_sensor_power(struct vigil_dev *vd, bool wanted);

/* vigil-rx-virtual.c */
extern const struct vigil_rx_ops vigil_rx_virtual_ops;

#endif /* _VIGIL_RX_H */
