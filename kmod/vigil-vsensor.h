/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil - the virtual sensor: a v4l2_subdev with one source pad
 * (vigil-vsensor.c), fed by the scene generator (vigil-src-scene.c) or by
 * replayed footage (vigil-src-replay.c).
 */
#ifndef _VIGIL_VSENSOR_H
#define _VIGIL_VSENSOR_H

#include <linux/gpio/consumer.h>
#include <linux/kref.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <media/media-entity.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-subdev.h>

#include "uapi/vigil.h"
#include "vigil-frame.h"

#define VIGIL_VSENSOR_NAME	"vigil-sensor"

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

/* A warm object's position, for the PIR model. */
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

/* Rendering state, fixed while streaming. */
struct vigil_render {
	u32 source;			/* enum vigil_source (test pattern) */
	u32 seed;
	u32 interval_num, interval_den;
	u32 width, height;
	u8 *bg;				/* background texture (vmalloc) */
	u32 bg_w, bg_h, margin;		/* texture is (w+2m) x (h+2m) */
	u32 bg_seed;			/* seed @bg was made with */
	s8 *noise;			/* VIGIL_NOISE_LEN entries */
	u32 noise_amp;			/* amplitude @noise was made for */
	u8 *line;			/* luma line buffer */
	u8 *chroma;			/* chroma line buffer (CbCr pairs) */
	u32 render_us_last, render_us_max;	/* statistics */
};

#define VIGIL_NOISE_LEN		4096

/*
 * One virtual sensor. Reference-counted: the platform device holds one
 * reference, a bridge bound to it another (its capture node's controls
 * point into @hdl), each open debugfs upload one.
 */
struct vigil_vsensor {
	struct kref ref;
	struct device *dev;		/* referenced (get_device) */
	unsigned int id;		/* platform device id (board camera) */
	struct gpio_desc *warm_gpio;	/* optional: scene warmth output */
	struct v4l2_subdev sd;
	struct media_pad pad;
	struct v4l2_ctrl_handler hdl;
	struct v4l2_ctrl *ctrl_pattern;
	struct v4l2_ctrl *ctrl_seed;

	/* serialises format, interval and stream state changes */
	struct mutex lock;
	struct v4l2_mbus_framefmt fmt;	/* active format, under @lock */
	struct v4l2_fract interval;	/* active frame interval, under @lock */
	bool streaming;			/* under @lock; read locklessly */
	/*
	 * Runtime PM state: set by the runtime PM callbacks (which the PM
	 * core serialises), read locklessly.
	 */
	bool powered;
	u32 power_ups;
	ktime_t epoch;			/* scene time 0 (stream start/load) */

	/* protects the @scene and @replay pointers (not their contents) */
	spinlock_t src_lock;
	struct vigil_scene *scene;
	struct vigil_replay *replay;

	struct vigil_render r;		/* owned by the streaming path */
	struct dentry *debugfs;
};

static inline struct vigil_vsensor *to_vigil_vsensor(struct v4l2_subdev *sd)
{
	return container_of(sd, struct vigil_vsensor, sd);
}

/* vigil-vsensor.c */
extern struct platform_driver vigil_vsensor_driver;
void vigil_vsensor_get(struct vigil_vsensor *vs);
void vigil_vsensor_put(struct vigil_vsensor *vs);
bool vigil_vsensor_is_virtual(struct v4l2_subdev *sd);

/*
 * The virtual sensor's private hooks for the virtual receiver
 * (vigil-rx-virtual.c), in place of what a CSI-2 or parallel receiver's
 * DMA does on real hardware: render frame @sequence into @f (in the
 * capture format the receiver's output formatter produces), and mark one
 * frame period (the sensor's own timing, e.g. its PIR model input).
 */
int vigil_vsensor_render(struct v4l2_subdev *sd, const struct vigil_frame *f,
			 u32 sequence);
void vigil_vsensor_frame_period(struct v4l2_subdev *sd);

/* vigil-src-scene.c */
int vigil_scene_init(struct vigil_vsensor *vs);
void vigil_scene_debugfs_init(struct vigil_vsensor *vs);
void vigil_scene_exit(struct vigil_vsensor *vs);
int vigil_scene_load(struct vigil_vsensor *vs, const char *text, size_t len);
struct vigil_scene *vigil_scene_get(struct vigil_vsensor *vs);
void vigil_scene_put(struct vigil_scene *sc);
int vigil_scene_prepare(struct vigil_vsensor *vs, struct vigil_render *s);
void vigil_scene_render(struct vigil_render *s, const struct vigil_scene *sc,
			const struct vigil_frame *f, u32 sequence);
void vigil_scene_free(struct vigil_render *s);
u64 vigil_scene_time_ms(struct vigil_vsensor *vs);
int vigil_scene_warm_objects(struct vigil_vsensor *vs, u64 t_ms,
			     struct vigil_warm_object *objs, unsigned int max);
bool vigil_scene_warm_in_view(struct vigil_vsensor *vs);

/* vigil-src-replay.c */
extern unsigned int vigil_replay_max_mb;
void vigil_replay_debugfs_init(struct vigil_vsensor *vs);
struct vigil_replay *vigil_replay_get(struct vigil_vsensor *vs);
void vigil_replay_put(struct vigil_replay *rp);
void vigil_replay_exit(struct vigil_vsensor *vs);
void vigil_replay_render(const struct vigil_replay *rp,
			 const struct vigil_frame *f, u32 sequence);

#endif /* _VIGIL_VSENSOR_H */
