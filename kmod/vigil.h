/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil - private structures shared by the vigil.ko source files
 */
#ifndef _VIGIL_H
#define _VIGIL_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-device.h>
#include <media/v4l2-dev.h>
#include <media/videobuf2-v4l2.h>

#include "uapi/vigil.h"

#define VIGIL_NAME		"vigil"
#define VIGIL_MAX_INSTANCES	8

/* Frame geometry limits (what ENUM_FRAMESIZES/FRAMEINTERVALS report). */
#define VIGIL_MIN_WIDTH		160
#define VIGIL_MIN_HEIGHT	120
#define VIGIL_MAX_WIDTH		1920
#define VIGIL_MAX_HEIGHT	1080
#define VIGIL_MIN_FPS		1
#define VIGIL_MAX_FPS		60

/*
 * Replay file header (debugfs <debugfs>/vigil/<device>/replay), followed by
 * the raw frames: "VIGIL-RAW <fourcc> <width> <height>\n". See README.md.
 */
#define VIGIL_RAW_MAGIC		"VIGIL-RAW"

extern int vigil_debug;

#define vigil_dbg(level, vd, fmt, ...)					\
	do {								\
		if (vigil_debug >= (level))				\
			dev_info((vd)->dev, fmt, ##__VA_ARGS__);	\
	} while (0)

/* Memory allocator of the vb2 queue (module parameter "allocators"). */
enum vigil_alloc {
	VIGIL_ALLOC_AUTO = 0,		/* follows the frame source */
	VIGIL_ALLOC_VMALLOC = 1,
	VIGIL_ALLOC_DMA_CONTIG = 2,
};

struct vigil_buffer {
	struct vb2_v4l2_buffer vb;	/* must be first */
	struct list_head list;
};

/* Destination of one rendered frame. */
struct vigil_frame {
	u8 *vaddr;
	u32 fourcc;
	u32 width;
	u32 height;
	u32 bytesperline;		/* of the luma (or packed) plane */
	u32 sizeimage;
};

/* ---- scenario (virtual scene description), vigil-src-scene.c ---- */

#define VIGIL_SCENE_MAX_OBJECTS	16
#define VIGIL_SCENE_MAX_LIGHTS	16
#define VIGIL_SCENE_MAX_TEXT	16384
#define VIGIL_SCENE_NAME_LEN	16

enum vigil_shape {
	VIGIL_SHAPE_RECT,
	VIGIL_SHAPE_ELLIPSE,
};

enum vigil_motion {
	VIGIL_MOTION_ONCE,
	VIGIL_MOTION_LOOP,
	VIGIL_MOTION_BOUNCE,
};

/* Geometry is in permille of the frame width (x, w) and height (y, h). */
struct vigil_scene_object {
	char name[VIGIL_SCENE_NAME_LEN];
	s32 x0, y0, x1, y1;		/* path: centre moves from 0 to 1 */
	u32 w, h;
	u32 start_ms, duration_ms;
	enum vigil_shape shape;
	enum vigil_motion motion;
	u8 luma, u, v;
	bool warm;			/* heat source the PIR sees */
};

struct vigil_scene_light {
	u32 at_ms;
	u32 ramp_ms;			/* 0: switch, else linear ramp */
	u32 level;			/* percent, 0..200 */
	bool ir;			/* IR night mode: monochrome */
};

/* An immutable, reference-counted scenario. */
struct vigil_scene {
	struct kref ref;
	u32 loop_ms;			/* 0: no loop */
	u32 bg_level, bg_contrast;
	u32 noise;			/* amplitude in code values */
	u32 shake;			/* permille of the width */
	u32 nr_objects, nr_lights;
	struct vigil_scene_object objects[VIGIL_SCENE_MAX_OBJECTS];
	struct vigil_scene_light lights[VIGIL_SCENE_MAX_LIGHTS];
	size_t text_len;
	char text[];			/* source text, for reading back */
};

/* A warm object's position, for the PIR (issue 4). */
struct vigil_warm_object {
	char name[VIGIL_SCENE_NAME_LEN];
	s32 x, y;			/* centre, permille of width/height */
	u32 w, h;			/* size, permille of width/height */
};

/* ---- replay footage, vigil-src-replay.c ---- */

struct vigil_replay {
	struct kref ref;
	u32 fourcc;			/* V4L2_PIX_FMT_GREY or _NV12 */
	u32 width, height;
	size_t frame_size;
	u32 nr_frames;
	u8 *data;			/* vmalloc, nr_frames * frame_size */
};

/* ---- frame producers ---- */

struct vigil_dev;
struct vigil_pir;

/*
 * A frame producer. start() is called from start_streaming with the queue
 * lock held and must not block for long; stop() from stop_streaming and
 * must guarantee that no vigil_frame_done()/vigil_frame_dropped() call is
 * running or will run once it returns.
 *
 * A producer takes buffers with vigil_next_buffer(), fills them (CPU or
 * DMA), and hands them back with vigil_frame_done(); when no buffer is
 * available it calls vigil_frame_dropped(). vigil_frame_start() numbers each
 * frame period. These may be called from any context, including hard IRQ.
 */
struct vigil_src_ops {
	const char *name;
	int (*start)(struct vigil_dev *vd);
	void (*stop)(struct vigil_dev *vd);
	/* optional: a buffer was queued while streaming; any context */
	void (*buffer_queued)(struct vigil_dev *vd);
};

/* State of the virtual sensor while streaming, vigil-src-sensor.c. */
struct vigil_sensor {
	struct hrtimer timer;
	struct work_struct work;
	atomic_t pending;		/* frame periods not yet produced */
	atomic_t ticks_late;		/* periods skipped: worker too late */
	bool held;			/* a frame waits for a buffer */
	u32 held_seq;			/* its sequence number */
	u32 render_us_last, render_us_max;	/* statistics */
	ktime_t period;
	u32 source;			/* enum vigil_source, fixed per stream */
	u32 seed;			/* fixed per stream */
	u32 interval_num, interval_den;	/* fixed per stream */
	u8 *bg;				/* background texture (vmalloc) */
	u32 bg_w, bg_h, margin;		/* texture is (w+2m) x (h+2m) */
	u32 bg_seed;			/* seed @bg was made with */
	s8 *noise;			/* VIGIL_NOISE_LEN entries */
	u32 noise_amp;			/* amplitude @noise was made for */
	u8 *line;			/* luma line buffer */
	u8 *chroma;			/* chroma line buffer (CbCr pairs) */
};

#define VIGIL_NOISE_LEN		4096

struct vigil_dev {
	struct device *dev;
	unsigned int instance;
	enum vigil_alloc alloc;
	const struct vigil_src_ops *src_ops;

	struct v4l2_device v4l2_dev;
	struct video_device vdev;
	struct vb2_queue queue;
	struct v4l2_ctrl_handler ctrl_handler;
	struct v4l2_ctrl *ctrl_privacy;
	struct v4l2_ctrl *ctrl_dropped;
	struct v4l2_ctrl *ctrl_source;
	struct v4l2_ctrl *ctrl_seed;

	/* serialises ioctls and file operations; vdev.lock and queue.lock */
	struct mutex lock;
	/* format and frame interval; written under @lock when not busy */
	struct v4l2_pix_format fmt;
	struct v4l2_fract timeperframe;
	u32 input;

	/* protects @buf_list */
	spinlock_t buf_lock;
	struct list_head buf_list;

	/* frame accounting, producer context; reset at start_streaming */
	atomic_t sequence;		/* next v4l2_buffer.sequence */
	atomic_t dropped;		/* frames dropped since STREAMON */
	bool streaming;			/* under @lock */
	bool standby;			/* producer skips frames, see below */
	ktime_t epoch;			/* scene time 0 (stream start/load) */

	/* protects @mask */
	spinlock_t mask_lock;
	struct vigil_privacy_rect mask[VIGIL_MAX_PRIVACY_RECTS];

	/* protects the @scene and @replay pointers (not their contents) */
	spinlock_t src_lock;
	struct vigil_scene *scene;
	struct vigil_replay *replay;

	struct vigil_sensor sensor;

	/* PIR, recording LED, privacy switch: vigil-pir.c (NULL: none) */
	struct vigil_pir *pir;

	/* error injection, debugfs */
	struct dentry *debugfs;
	u32 inject_queue_setup;		/* fail the next N queue_setup */
	u32 inject_start;		/* fail the next N start_streaming */
	u32 inject_drop;		/* drop the next N frames */
};

/* vigil-core.c */
extern struct dentry *vigil_debugfs_root;
extern unsigned int vigil_replay_max_mb;

/* vigil-cap.c */
int vigil_cap_register(struct vigil_dev *vd);
void vigil_cap_unregister(struct vigil_dev *vd);
struct vigil_buffer *vigil_next_buffer(struct vigil_dev *vd);
u32 vigil_frame_start(struct vigil_dev *vd);
void vigil_frame_done(struct vigil_dev *vd, struct vigil_buffer *buf,
		      u32 sequence);
void vigil_frame_dropped(struct vigil_dev *vd);
void vigil_frame_from_buffer(struct vigil_dev *vd, struct vigil_buffer *buf,
			     struct vigil_frame *f);

/* vigil-ctrls.c */
int vigil_ctrls_init(struct vigil_dev *vd);
void vigil_privacy_apply(struct vigil_dev *vd, const struct vigil_frame *f);

/* vigil-src-sensor.c: the virtual sensor (hrtimer-paced producer) */
extern const struct vigil_src_ops vigil_sensor_ops;
void vigil_set_standby(struct vigil_dev *vd, bool standby);
void vigil_sensor_exit(struct vigil_dev *vd);

/* vigil-src-scene.c */
int vigil_scene_init(struct vigil_dev *vd);
void vigil_scene_debugfs_init(struct vigil_dev *vd);
void vigil_scene_exit(struct vigil_dev *vd);
int vigil_scene_load(struct vigil_dev *vd, const char *text, size_t len);
struct vigil_scene *vigil_scene_get(struct vigil_dev *vd);
void vigil_scene_put(struct vigil_scene *sc);
int vigil_scene_prepare(struct vigil_dev *vd, struct vigil_sensor *s);
void vigil_scene_render(struct vigil_dev *vd, struct vigil_sensor *s,
			const struct vigil_scene *sc, struct vigil_frame *f,
			u32 sequence);
u64 vigil_scene_time_ms(struct vigil_dev *vd);
int vigil_scene_warm_objects(struct vigil_dev *vd, u64 t_ms,
			     struct vigil_warm_object *objs, unsigned int max);
bool vigil_scene_warm_in_view(struct vigil_dev *vd);

/* vigil-src-replay.c */
int vigil_replay_debugfs_init(struct vigil_dev *vd);
struct vigil_replay *vigil_replay_get(struct vigil_dev *vd);
void vigil_replay_put(struct vigil_replay *rp);
void vigil_replay_exit(struct vigil_dev *vd);
void vigil_replay_render(const struct vigil_replay *rp, struct vigil_frame *f,
			 u32 sequence);

/* vigil-board.c: the virtual board */
int vigil_board_init(void);
void vigil_board_exit(void);

#endif /* _VIGIL_H */
