/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil - the bridge: private structures shared by its files (vigil-core.c,
 * vigil-cap.c, vigil-ctrls.c, vigil-pir.c and the receivers).
 */
#ifndef _VIGIL_H
#define _VIGIL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <media/media-device.h>
#include <media/v4l2-async.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-device.h>
#include <media/v4l2-dev.h>
#include <media/v4l2-event.h>
#include <media/videobuf2-v4l2.h>

#include "uapi/vigil.h"
#include "vigil-frame.h"
#include "vigil-gate.h"

#define VIGIL_NAME		"vigil"
#define VIGIL_MAX_INSTANCES	8

/* Memory allocator of the vb2 queue (module parameter "allocators"). */
enum vigil_alloc {
	VIGIL_ALLOC_AUTO = 0,		/* follows the receiver */
	VIGIL_ALLOC_VMALLOC = 1,
	VIGIL_ALLOC_DMA_CONTIG = 2,
};

struct vigil_buffer {
	struct vb2_v4l2_buffer vb;	/* must be first */
	struct list_head list;
};

struct vigil_rx_ops;
struct vigil_pir;

/*
 * The capture node, created when the sensor is bound (.complete) and
 * unregistered when it goes (.unbind); freed by its video_device release
 * once the last file is closed.
 */
struct vigil_cap {
	struct video_device vdev;
	struct vb2_queue queue;
	struct media_pad pad;		/* sink */
	struct media_pipeline pipe;
	struct vigil_dev *vd;		/* referenced (v4l2_device_get) */
};

/* State of the virtual receiver while streaming, vigil-rx-virtual.c. */
struct vigil_rx_virtual {
	struct hrtimer timer;
	struct work_struct work;
	struct delayed_work kick;	/* a buffer came for the held frame */
	atomic_t pending;		/* frame periods not yet produced */
	atomic_t ticks_late;		/* periods skipped: worker or tick late */
	/*
	 * Protects @held and @held_seq: the worker's "no buffer, hold the
	 * frame" and buffer_queued's "a frame is held" are one order.
	 */
	spinlock_t lock;
	bool held;			/* a frame waits for a buffer */
	u32 held_seq;			/* its sequence number */
	ktime_t period;
};

/*
 * One camera: the bridge. Allocated at probe, freed by the v4l2_device
 * release when the last reference (open files, debugfs uploads, capture
 * nodes) is gone.
 */
struct vigil_dev {
	struct device *dev;		/* referenced (get_device) */
	unsigned int instance;
	enum vigil_alloc alloc;
	const struct vigil_rx_ops *rx_ops;

	struct media_device mdev;
	struct v4l2_device v4l2_dev;
	struct v4l2_async_notifier notifier;
	struct v4l2_ctrl_handler ctrl_handler;
	struct v4l2_ctrl *ctrl_privacy;
	struct v4l2_ctrl *ctrl_dropped;
	/*
	 * The frame the privacy rectangles must lie in (the current
	 * format); under the control handler's lock.
	 */
	u32 mask_width;
	u32 mask_height;

	/*
	 * Serialises ioctls and file operations (vdev.lock, queue.lock) and
	 * the bind state: @sensor, @cap, @fmt, @interval.
	 */
	struct mutex lock;
	struct v4l2_subdev *sensor;	/* bound sensor or NULL */
	unsigned int sensor_pad;	/* its source pad */
	struct vigil_cap *cap;		/* capture node or NULL */
	struct v4l2_pix_format fmt;
	struct v4l2_fract interval;	/* of the current or next stream */

	/* protects @node (event delivery from IRQ threads) */
	spinlock_t node_lock;
	struct video_device *node;	/* registered capture node or NULL */

	/* protects @buf_list */
	spinlock_t buf_lock;
	struct list_head buf_list;

	/* frame accounting, receiver context; reset at start_streaming */
	atomic_t sequence;		/* next v4l2_buffer.sequence */
	atomic_t dropped;		/* frames dropped since STREAMON */
	atomic_t dropped_total;		/* since probe, never reset (debugfs) */
	bool streaming;			/* under @lock */
	/*
	 * Standby has let the sensor suspend (its runtime PM reference
	 * dropped); the receiver's frame path and stop_streaming only.
	 */
	bool sensor_asleep;
	struct vigil_gate gate;		/* set by lower layers, read per frame */

	/* protects @mask */
	spinlock_t mask_lock;
	struct vigil_privacy_rect mask[VIGIL_MAX_PRIVACY_RECTS];

	struct vigil_rx_virtual rx;

	/* PIR, recording LED, privacy switch: vigil-pir.c (NULL: none) */
	struct vigil_pir *pir;

	/* error injection, debugfs */
	struct dentry *debugfs;
	u32 inject_queue_setup;		/* fail the next N queue_setup */
	u32 inject_start;		/* fail the next N start_streaming */
	u32 inject_drop;		/* drop the next N frames */
	u32 inject_no_vaddr;		/* no CPU mapping for the next N */
	u32 inject_stall_ms;		/* the next frame tick is N ms late */
};

/* vigil-core.c */
extern struct dentry *vigil_debugfs_root;

/* vigil-cap.c */
int vigil_cap_register(struct vigil_dev *vd);
void vigil_cap_unregister(struct vigil_dev *vd);

/**
 * vigil_event_queue() - queue an event on the capture node, if one exists
 * @vd: the bridge
 * @ev: the event
 *
 * Any context.
 */
static inline void vigil_event_queue(struct vigil_dev *vd,
				     const struct v4l2_event *ev)
{
	unsigned long flags;

	spin_lock_irqsave(&vd->node_lock, flags);
	if (vd->node)
		v4l2_event_queue(vd->node, ev);
	spin_unlock_irqrestore(&vd->node_lock, flags);
}

/* vigil-ctrls.c */
int vigil_ctrls_init(struct vigil_dev *vd);
int vigil_privacy_apply(struct vigil_dev *vd, const struct vigil_frame *f);
int vigil_privacy_fit(struct vigil_dev *vd, u32 width, u32 height);

/* vigil-board.c: the virtual board */
int vigil_board_init(void);
void vigil_board_exit(void);

#endif /* _VIGIL_H */
