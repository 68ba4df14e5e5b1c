// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the virtual sensor: a v4l2_subdev with one source pad and its own
 * platform driver ("vigil,virtual-sensor"), bound to a vigil bridge through
 * the fwnode graph like any sensor. Its test patterns are the scripted
 * scene (vigil-src-scene.c) and replayed footage (vigil-src-replay.c).
 *
 * The pixels reach the bridge through vigil_vsensor_render(), a private
 * hook of this module called by the virtual receiver; on real hardware a
 * CSI-2 or parallel receiver's DMA takes its place.
 */

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/gpio/consumer.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <media/v4l2-async.h>
#include <media/v4l2-event.h>

#include "compat.h"
#include "uapi/vigil.h"
#include "vigil-vsensor.h"

extern struct dentry *vigil_debugfs_root;	/* vigil-core.c */

static char *sources[8];
static int nr_sources;
module_param_array(sources, charp, &nr_sources, 0444);
MODULE_PARM_DESC(sources,
		 "initial test pattern per virtual sensor: scene (default) or replay");

static unsigned int fps[8];
static int nr_fps;
module_param_array(fps, uint, &nr_fps, 0444);
MODULE_PARM_DESC(fps,
		 "initial frame rate per virtual sensor, one of 1 5 10 15 25 30 60 (default 30)");

static const u32 vigil_vsensor_codes[] = {
	MEDIA_BUS_FMT_YUYV8_1X16,
	MEDIA_BUS_FMT_Y8_1X8,
};

static const struct v4l2_frmsize_discrete vigil_vsensor_sizes[] = {
	{  160,  120 },
	{  320,  240 },
	{  640,  360 },
	{  640,  480 },
	{ 1280,  720 },
	{ 1920, 1080 },
};

/* Frame rates, fastest first (ENUM_FRAME_INTERVAL order). */
static const u32 vigil_vsensor_fps[] = { 60, 30, 25, 15, 10, 5, 1 };

static const char * const vigil_vsensor_patterns[] = {
	"Scene",
	"Replay",
	NULL,
};

static bool vigil_vsensor_code_valid(u32 code)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vigil_vsensor_codes); i++)
		if (vigil_vsensor_codes[i] == code)
			return true;
	return false;
}

static bool vigil_vsensor_size_valid(u32 width, u32 height)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vigil_vsensor_sizes); i++)
		if (vigil_vsensor_sizes[i].width == width &&
		    vigil_vsensor_sizes[i].height == height)
			return true;
	return false;
}

static void vigil_vsensor_fill_fmt(struct v4l2_mbus_framefmt *mf)
{
	const struct v4l2_frmsize_discrete *sz;

	if (!vigil_vsensor_code_valid(mf->code))
		mf->code = vigil_vsensor_codes[0];
	sz = v4l2_find_nearest_size(vigil_vsensor_sizes,
				    ARRAY_SIZE(vigil_vsensor_sizes), width,
				    height, mf->width, mf->height);
	mf->width = sz->width;
	mf->height = sz->height;
	mf->field = V4L2_FIELD_NONE;
	mf->colorspace = V4L2_COLORSPACE_SRGB;
	mf->xfer_func = V4L2_XFER_FUNC_SRGB;
	mf->ycbcr_enc = V4L2_YCBCR_ENC_601;
	mf->quantization = V4L2_QUANTIZATION_LIM_RANGE;
	memset(mf->reserved, 0, sizeof(mf->reserved));
	mf->flags = 0;
}

static void vigil_vsensor_default_fmt(struct v4l2_mbus_framefmt *mf)
{
	memset(mf, 0, sizeof(*mf));
	mf->code = vigil_vsensor_codes[0];
	mf->width = 640;
	mf->height = 480;
	vigil_vsensor_fill_fmt(mf);
}

/* The nearest listed rate; 0/0 or a zero term gives the default, 30 fps. */
static u32 vigil_vsensor_nearest_fps(const struct v4l2_fract *tpf)
{
	unsigned int i, best = 1;
	u64 want, diff, best_diff = U64_MAX;

	if (!tpf->numerator || !tpf->denominator)
		return 30;
	/* in millihertz, without overflow for any u32 fraction */
	want = div_u64((u64)tpf->denominator * 1000, tpf->numerator);
	for (i = 0; i < ARRAY_SIZE(vigil_vsensor_fps); i++) {
		u64 f = (u64)vigil_vsensor_fps[i] * 1000;

		diff = f > want ? f - want : want - f;
		if (diff < best_diff) {
			best_diff = diff;
			best = i;
		}
	}
	return vigil_vsensor_fps[best];
}

/* ---- pad ops ---- */

static int vigil_vsensor_init_try(struct v4l2_subdev *sd,
				  struct v4l2_subdev_state *state)
{
	static const struct v4l2_fract ival = { 1, 30 };

	vigil_vsensor_default_fmt(vigil_subdev_try_fmt(sd, state, 0));
	vigil_subdev_init_try_interval(state, 0, &ival);
	return 0;
}

static int vigil_vsensor_enum_mbus_code(struct v4l2_subdev *sd,
					struct v4l2_subdev_state *state,
					struct v4l2_subdev_mbus_code_enum *code)
{
	if (code->index >= ARRAY_SIZE(vigil_vsensor_codes))
		return -EINVAL;
	code->code = vigil_vsensor_codes[code->index];
	return 0;
}

static int vigil_vsensor_enum_frame_size(struct v4l2_subdev *sd,
					 struct v4l2_subdev_state *state,
					 struct v4l2_subdev_frame_size_enum *fse)
{
	if (!vigil_vsensor_code_valid(fse->code) ||
	    fse->index >= ARRAY_SIZE(vigil_vsensor_sizes))
		return -EINVAL;
	fse->min_width = vigil_vsensor_sizes[fse->index].width;
	fse->max_width = fse->min_width;
	fse->min_height = vigil_vsensor_sizes[fse->index].height;
	fse->max_height = fse->min_height;
	return 0;
}

static int
vigil_vsensor_enum_frame_interval(struct v4l2_subdev *sd,
				  struct v4l2_subdev_state *state,
				  struct v4l2_subdev_frame_interval_enum *fie)
{
	if (!vigil_vsensor_code_valid(fie->code) ||
	    !vigil_vsensor_size_valid(fie->width, fie->height) ||
	    fie->index >= ARRAY_SIZE(vigil_vsensor_fps))
		return -EINVAL;
	fie->interval.numerator = 1;
	fie->interval.denominator = vigil_vsensor_fps[fie->index];
	return 0;
}

static int vigil_vsensor_get_fmt(struct v4l2_subdev *sd,
				 struct v4l2_subdev_state *state,
				 struct v4l2_subdev_format *fmt)
{
	struct vigil_vsensor *vs = to_vigil_vsensor(sd);

	if (fmt->which == V4L2_SUBDEV_FORMAT_TRY) {
		fmt->format = *vigil_subdev_try_fmt(sd, state, fmt->pad);
		return 0;
	}
	mutex_lock(&vs->lock);
	fmt->format = vs->fmt;
	mutex_unlock(&vs->lock);
	return 0;
}

static int vigil_vsensor_set_fmt(struct v4l2_subdev *sd,
				 struct v4l2_subdev_state *state,
				 struct v4l2_subdev_format *fmt)
{
	struct vigil_vsensor *vs = to_vigil_vsensor(sd);
	int ret = 0;

	vigil_vsensor_fill_fmt(&fmt->format);
	if (fmt->which == V4L2_SUBDEV_FORMAT_TRY) {
		*vigil_subdev_try_fmt(sd, state, fmt->pad) = fmt->format;
		return 0;
	}
	mutex_lock(&vs->lock);
	if (vs->streaming)
		ret = -EBUSY;
	else
		vs->fmt = fmt->format;
	mutex_unlock(&vs->lock);
	return ret;
}

static int vigil_vsensor_g_frame_interval(struct v4l2_subdev *sd,
					  VIGIL_FI_STATE_PARAM
					  struct v4l2_subdev_frame_interval *fi)
{
	struct vigil_vsensor *vs = to_vigil_vsensor(sd);
	struct v4l2_fract *try;

	if (fi->pad)
		return -EINVAL;
	try = vigil_subdev_try_interval(VIGIL_FI_STATE_ARG fi);
	if (try) {
		fi->interval = *try;
		return 0;
	}
	mutex_lock(&vs->lock);
	fi->interval = vs->interval;
	mutex_unlock(&vs->lock);
	return 0;
}

static int vigil_vsensor_s_frame_interval(struct v4l2_subdev *sd,
					  VIGIL_FI_STATE_PARAM
					  struct v4l2_subdev_frame_interval *fi)
{
	struct vigil_vsensor *vs = to_vigil_vsensor(sd);
	struct v4l2_fract *try;
	int ret = 0;

	if (fi->pad)
		return -EINVAL;
	fi->interval.denominator = vigil_vsensor_nearest_fps(&fi->interval);
	fi->interval.numerator = 1;
	try = vigil_subdev_try_interval(VIGIL_FI_STATE_ARG fi);
	if (try) {
		*try = fi->interval;
		return 0;
	}
	mutex_lock(&vs->lock);
	if (vs->streaming)
		ret = -EBUSY;
	else
		vs->interval = fi->interval;
	mutex_unlock(&vs->lock);
	return ret;
}

/* ---- video ops: streaming ---- */

static void vigil_vsensor_free_lines(struct vigil_render *r)
{
	kfree(r->line);
	r->line = NULL;
	kfree(r->chroma);
	r->chroma = NULL;
}

static int vigil_vsensor_start(struct vigil_vsensor *vs)
{
	struct vigil_render *r = &vs->r;
	int ret;

	r->source = v4l2_ctrl_g_ctrl(vs->ctrl_pattern);
	r->seed = v4l2_ctrl_g_ctrl(vs->ctrl_seed);
	r->interval_num = vs->interval.numerator;
	r->interval_den = vs->interval.denominator;
	r->width = vs->fmt.width;
	r->height = vs->fmt.height;
	r->line = kmalloc(r->width, GFP_KERNEL);
	r->chroma = kmalloc(r->width, GFP_KERNEL);
	if (!r->line || !r->chroma) {
		ret = -ENOMEM;
		goto err;
	}
	if (r->source == VIGIL_SOURCE_SCENE) {
		ret = vigil_scene_prepare(vs, r);
		if (ret)
			goto err;
	}
	r->render_us_max = 0;
	v4l2_ctrl_grab(vs->ctrl_pattern, true);
	v4l2_ctrl_grab(vs->ctrl_seed, true);
	WRITE_ONCE(vs->epoch, ktime_get());
	return 0;

err:
	vigil_vsensor_free_lines(r);
	return ret;
}

static int vigil_vsensor_s_stream(struct v4l2_subdev *sd, int enable)
{
	struct vigil_vsensor *vs = to_vigil_vsensor(sd);
	int ret = 0;

	mutex_lock(&vs->lock);
	if (!!enable == vs->streaming)
		goto out;
	if (enable) {
		/* powered while streaming; the bridge may suspend it (standby) */
		ret = pm_runtime_resume_and_get(vs->dev);
		if (ret)
			goto out;
		ret = vigil_vsensor_start(vs);
		if (ret) {
			pm_runtime_put(vs->dev);
			goto out;
		}
		WRITE_ONCE(vs->streaming, true);
	} else {
		WRITE_ONCE(vs->streaming, false);
		v4l2_ctrl_grab(vs->ctrl_pattern, false);
		v4l2_ctrl_grab(vs->ctrl_seed, false);
		vigil_vsensor_free_lines(&vs->r);
		pm_runtime_put(vs->dev);
	}
	dev_dbg(vs->dev, "stream %s\n", enable ? "on" : "off");
out:
	mutex_unlock(&vs->lock);
	return ret;
}

/**
 * vigil_vsensor_render() - render one frame into a capture buffer
 * @sd: the virtual sensor, streaming
 * @f: destination, in the capture format (YUYV or GREY as on the bus, or
 *     NV12, the virtual receiver's 4:2:0 output from a YUYV bus)
 * @sequence: frame number since stream start
 *
 * Called by the virtual receiver only, one frame at a time, between
 * s_stream(1) and s_stream(0), in process context with no lock held: a
 * large frame takes long to render with the CPU (over 100 ms for 1080p in
 * an emulator), so the renderers offer a preemption point (cond_resched())
 * per row or per 64 KiB copied; on a kernel without full preemption a
 * real-time task woken on this CPU runs within a row, not after the frame.
 *
 * Return: 0, or -EINVAL when @f does not match the sensor's format.
 */
int vigil_vsensor_render(struct v4l2_subdev *sd, const struct vigil_frame *f,
			 u32 sequence)
{
	struct vigil_vsensor *vs = to_vigil_vsensor(sd);
	struct vigil_render *r = &vs->r;
	ktime_t start = ktime_get();

	might_sleep();
	if (!READ_ONCE(vs->streaming) || !f->vaddr ||
	    f->width != r->width || f->height != r->height)
		return -EINVAL;
	/* suspended (standby): no pixels */
	if (!READ_ONCE(vs->powered))
		return -EIO;
	if (r->source == VIGIL_SOURCE_REPLAY) {
		struct vigil_replay *rp = vigil_replay_get(vs);

		vigil_replay_render(rp, f, sequence);
		vigil_replay_put(rp);
	} else {
		struct vigil_scene *sc = vigil_scene_get(vs);

		vigil_scene_render(r, sc, f, sequence);
		vigil_scene_put(sc);
	}
	r->render_us_last = ktime_us_delta(ktime_get(), start);
	r->render_us_max = max(r->render_us_max, r->render_us_last);
	return 0;
}

/**
 * vigil_vsensor_frame_period() - one frame period of the streaming sensor
 * @sd: the virtual sensor
 *
 * Drives the optional output line "warm" (a warm object of the scene is in
 * view): on the virtual board it is the PIR model's input on the camera's
 * simulated GPIO controller. Process context (the receiver's worker): the
 * line may be on a controller that can sleep.
 */
void vigil_vsensor_frame_period(struct v4l2_subdev *sd)
{
	struct vigil_vsensor *vs = to_vigil_vsensor(sd);

	if (vs->warm_gpio && vs->r.source == VIGIL_SOURCE_SCENE)
		gpiod_set_value_cansleep(vs->warm_gpio,
					 vigil_scene_warm_in_view(vs));
}

/* ---- controls ---- */

static int vigil_vsensor_s_ctrl(struct v4l2_ctrl *ctrl)
{
	/* values are read at stream start (the controls are grabbed then) */
	switch (ctrl->id) {
	case V4L2_CID_TEST_PATTERN:
	case VIGIL_CID_SEED:
		return 0;
	default:
		return -EINVAL;
	}
}

static const struct v4l2_ctrl_ops vigil_vsensor_ctrl_ops = {
	.s_ctrl = vigil_vsensor_s_ctrl,
};

static const struct v4l2_ctrl_config vigil_vsensor_ctrl_seed = {
	.ops = &vigil_vsensor_ctrl_ops,
	.id = VIGIL_CID_SEED,
	.name = "Scene Seed",
	.type = V4L2_CTRL_TYPE_INTEGER,
	.min = 0,
	.max = S32_MAX,
	.step = 1,
};

static int vigil_vsensor_ctrls_init(struct vigil_vsensor *vs, u32 pattern,
				    u32 seed)
{
	struct v4l2_ctrl_handler *hdl = &vs->hdl;
	struct v4l2_ctrl_config cfg = vigil_vsensor_ctrl_seed;

	v4l2_ctrl_handler_init(hdl, 2);
	vs->ctrl_pattern =
		v4l2_ctrl_new_std_menu_items(hdl, &vigil_vsensor_ctrl_ops,
					     V4L2_CID_TEST_PATTERN,
					     ARRAY_SIZE(vigil_vsensor_patterns) - 2,
					     0, pattern,
					     vigil_vsensor_patterns);
	cfg.def = seed;
	vs->ctrl_seed = v4l2_ctrl_new_custom(hdl, &cfg, NULL);
	if (hdl->error)
		return hdl->error;
	vs->sd.ctrl_handler = hdl;
	return 0;
}

/* ---- subdev ops ---- */

static const struct v4l2_subdev_core_ops vigil_vsensor_core_ops = {
	.log_status = v4l2_ctrl_subdev_log_status,
	.subscribe_event = v4l2_ctrl_subdev_subscribe_event,
	.unsubscribe_event = v4l2_event_subdev_unsubscribe,
};

static const struct v4l2_subdev_video_ops vigil_vsensor_video_ops = {
	.s_stream = vigil_vsensor_s_stream,
	VIGIL_VSENSOR_FI_VIDEO_OPS
};

static const struct v4l2_subdev_pad_ops vigil_vsensor_pad_ops = {
	VIGIL_VSENSOR_INIT_CFG_PAD_OP
	.enum_mbus_code = vigil_vsensor_enum_mbus_code,
	.enum_frame_size = vigil_vsensor_enum_frame_size,
	.enum_frame_interval = vigil_vsensor_enum_frame_interval,
	.get_fmt = vigil_vsensor_get_fmt,
	.set_fmt = vigil_vsensor_set_fmt,
	VIGIL_VSENSOR_FI_PAD_OPS
};

static const struct v4l2_subdev_ops vigil_vsensor_ops = {
	.core = &vigil_vsensor_core_ops,
	.video = &vigil_vsensor_video_ops,
	.pad = &vigil_vsensor_pad_ops,
};

static const struct v4l2_subdev_internal_ops vigil_vsensor_internal_ops = {
	VIGIL_VSENSOR_INIT_STATE_OP
};

static const struct media_entity_operations vigil_vsensor_entity_ops = {
	.link_validate = v4l2_subdev_link_validate,
};

/* ---- lifetime ---- */

static void vigil_vsensor_release(struct kref *ref)
{
	struct vigil_vsensor *vs = container_of(ref, struct vigil_vsensor,
						ref);

	v4l2_ctrl_handler_free(&vs->hdl);
	if (vs->warm_gpio)
		gpiod_put(vs->warm_gpio);
	vigil_scene_exit(vs);
	vigil_replay_exit(vs);
	vfree(vs->r.bg);
	kfree(vs->r.noise);
	mutex_destroy(&vs->lock);
	put_device(vs->dev);
	kfree(vs);
}

void vigil_vsensor_get(struct vigil_vsensor *vs)
{
	kref_get(&vs->ref);
}

void vigil_vsensor_put(struct vigil_vsensor *vs)
{
	kref_put(&vs->ref, vigil_vsensor_release);
}

static int vigil_vsensor_stats_show(struct seq_file *m, void *unused)
{
	struct vigil_vsensor *vs = m->private;

	seq_printf(m, "streaming %d\nrender_us_last %u\nrender_us_max %u\npowered %d\npower_ups %u\n",
		   READ_ONCE(vs->streaming), vs->r.render_us_last,
		   vs->r.render_us_max, READ_ONCE(vs->powered),
		   READ_ONCE(vs->power_ups));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vigil_vsensor_stats);

/*
 * Runtime PM: the virtual sensor's power state. Resumed while streaming at
 * full rate; the bridge lets it suspend in standby (and resumes it for a
 * keep-alive frame and on wake). A real sensor would switch its supplies
 * and clocks or enter its software standby here.
 */
static int vigil_vsensor_runtime_suspend(struct device *dev)
{
	struct vigil_vsensor *vs = dev_get_drvdata(dev);

	WRITE_ONCE(vs->powered, false);
	dev_dbg(dev, "suspended\n");
	return 0;
}

static int vigil_vsensor_runtime_resume(struct device *dev)
{
	struct vigil_vsensor *vs = dev_get_drvdata(dev);

	WRITE_ONCE(vs->power_ups, vs->power_ups + 1);
	WRITE_ONCE(vs->powered, true);
	dev_dbg(dev, "resumed\n");
	return 0;
}

static const struct dev_pm_ops vigil_vsensor_pm_ops = {
	SET_RUNTIME_PM_OPS(vigil_vsensor_runtime_suspend,
			   vigil_vsensor_runtime_resume, NULL)
};

static int vigil_vsensor_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	unsigned int id = pdev->id < 0 ? 0 : pdev->id;
	struct vigil_vsensor *vs;
	struct v4l2_subdev *sd;
	u32 pattern = VIGIL_SOURCE_SCENE;
	int ret;

	if (id < nr_sources && sources[id] && sources[id][0]) {
		if (!strcmp(sources[id], "replay"))
			pattern = VIGIL_SOURCE_REPLAY;
		else if (strcmp(sources[id], "scene"))
			return dev_err_probe(dev, -EINVAL,
					     "sources: \"%s\" is neither scene nor replay\n",
					     sources[id]);
	}

	/* Not devm: the bridge and open debugfs files may outlive probe. */
	vs = kzalloc(sizeof(*vs), GFP_KERNEL);
	if (!vs)
		return -ENOMEM;
	kref_init(&vs->ref);
	vs->dev = get_device(dev);
	vs->id = id;
	mutex_init(&vs->lock);
	spin_lock_init(&vs->src_lock);
	vigil_vsensor_default_fmt(&vs->fmt);
	vs->interval.numerator = 1;
	vs->interval.denominator = 30;
	if (id < nr_fps && fps[id]) {
		struct v4l2_fract want = { 1, fps[id] };

		vs->interval.denominator = vigil_vsensor_nearest_fps(&want);
		if (vs->interval.denominator != fps[id])
			dev_warn(dev, "fps=%u not offered, using %u\n", fps[id],
				 vs->interval.denominator);
	}
	vs->epoch = ktime_get();

	/* Not devm either: the frame path may use it until the release. */
	vs->warm_gpio = gpiod_get_optional(dev, "warm", GPIOD_OUT_LOW);
	if (IS_ERR(vs->warm_gpio)) {
		ret = PTR_ERR(vs->warm_gpio);
		vs->warm_gpio = NULL;
		dev_err_probe(dev, ret, "bad scene warmth line\n");
		goto err_put;
	}

	ret = vigil_scene_init(vs);
	if (ret) {
		dev_err_probe(dev, ret, "built-in scenario rejected\n");
		goto err_put;
	}

	sd = &vs->sd;
	v4l2_subdev_init(sd, &vigil_vsensor_ops);
	sd->internal_ops = &vigil_vsensor_internal_ops;
	sd->dev = dev;
	sd->owner = THIS_MODULE;
	sd->flags |= V4L2_SUBDEV_FL_HAS_DEVNODE | V4L2_SUBDEV_FL_HAS_EVENTS;
	snprintf(sd->name, sizeof(sd->name), "%s", dev_name(dev));
	v4l2_set_subdevdata(sd, vs);

	ret = vigil_vsensor_ctrls_init(vs, pattern, 0x5eed + id);
	if (ret) {
		dev_err_probe(dev, ret, "control setup failed\n");
		goto err_put;
	}

	sd->entity.function = MEDIA_ENT_F_CAM_SENSOR;
	sd->entity.ops = &vigil_vsensor_entity_ops;
	vs->pad.flags = MEDIA_PAD_FL_SOURCE;
	ret = media_entity_pads_init(&sd->entity, 1, &vs->pad);
	if (ret)
		goto err_put;

	vs->debugfs = debugfs_create_dir(dev_name(dev), vigil_debugfs_root);
	debugfs_create_file("stats", 0400, vs->debugfs, vs,
			    &vigil_vsensor_stats_fops);
	vigil_scene_debugfs_init(vs);
	vigil_replay_debugfs_init(vs);

	platform_set_drvdata(pdev, vs);
	/* suspended until a stream starts */
	pm_runtime_set_suspended(dev);
	ret = devm_pm_runtime_enable(dev);
	if (ret) {
		dev_err_probe(dev, ret, "runtime PM\n");
		goto err_entity;
	}
	ret = v4l2_async_register_subdev(sd);
	if (ret) {
		dev_err_probe(dev, ret, "async subdev registration failed\n");
		goto err_entity;
	}
	dev_dbg(dev, "virtual sensor registered\n");
	return 0;

err_entity:
	debugfs_remove_recursive(vs->debugfs);
	media_entity_cleanup(&sd->entity);
err_put:
	vigil_vsensor_put(vs);
	return ret;
}

static void vigil_vsensor_remove(struct platform_device *pdev)
{
	struct vigil_vsensor *vs = platform_get_drvdata(pdev);

	/* the bridge's unbind stops a running stream first */
	v4l2_async_unregister_subdev(&vs->sd);
	debugfs_remove_recursive(vs->debugfs);
	media_entity_cleanup(&vs->sd.entity);
	vigil_vsensor_put(vs);
}

/**
 * vigil_vsensor_is_virtual() - is @sd a vigil virtual sensor?
 * @sd: a bound subdev
 */
bool vigil_vsensor_is_virtual(struct v4l2_subdev *sd)
{
	return sd->ops == &vigil_vsensor_ops;
}

static const struct of_device_id vigil_vsensor_of_match[] = {
	{ .compatible = "vigil,virtual-sensor" },
	{ }
};
MODULE_DEVICE_TABLE(of, vigil_vsensor_of_match);

struct platform_driver vigil_vsensor_driver = {
	.probe = vigil_vsensor_probe,
	VIGIL_PLATFORM_REMOVE(vigil_vsensor_remove),
	.driver = {
		.name = VIGIL_VSENSOR_NAME,
		.of_match_table = vigil_vsensor_of_match,
		.pm = &vigil_vsensor_pm_ops,
	},
};
