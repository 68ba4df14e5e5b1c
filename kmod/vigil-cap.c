// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the capture node of the bridge: a media entity with one sink pad
 * linked to the bound sensor's source pad, its ioctls (formats, sizes and
 * frame intervals come from the sensor's pad), the vb2 queue, and the frame
 * completion path shared by every receiver (vigil-rx.h).
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/v4l2-subdev.h>
#include <media/videobuf2-dma-contig.h>
#include <media/videobuf2-vmalloc.h>

#include "compat.h"
#include "vigil.h"
#include "vigil-pir.h"
#include "vigil-rx.h"

#define VIGIL_MIN_BUFFERS	4
#define VIGIL_MAX_FOURCCS	8

/*
 * Pixel formats of the receiver per media bus code. A receiver's output
 * formatter stores a 4:2:2 YUYV bus as is or subsampled to 4:2:0 NV12 (the
 * vertical chroma subsampling happens in the receiver; the bus carries no
 * NV12). Mapping order is ENUM_FMT order within a bus code.
 */
static const struct {
	u32 code;
	u32 fourcc;
} vigil_fmt_map[] = {
	{ MEDIA_BUS_FMT_YUYV8_1X16, V4L2_PIX_FMT_YUYV },
	{ MEDIA_BUS_FMT_YUYV8_1X16, V4L2_PIX_FMT_NV12 },
	{ MEDIA_BUS_FMT_YUYV8_2X8, V4L2_PIX_FMT_YUYV },
	{ MEDIA_BUS_FMT_YUYV8_2X8, V4L2_PIX_FMT_NV12 },
	{ MEDIA_BUS_FMT_Y8_1X8, V4L2_PIX_FMT_GREY },
};

static inline struct vigil_buffer *to_vigil_buffer(struct vb2_buffer *vb)
{
	return container_of(to_vb2_v4l2_buffer(vb), struct vigil_buffer, vb);
}

static bool vigil_code_gives(u32 code, u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vigil_fmt_map); i++)
		if (vigil_fmt_map[i].code == code &&
		    vigil_fmt_map[i].fourcc == fourcc)
			return true;
	return false;
}

/*
 * The sensor's bus codes in its enumeration order; @fourcc, when not 0,
 * limits them to those the receiver turns into @fourcc.
 * Return: the number of codes stored in @codes (at most @max).
 */
static unsigned int vigil_sensor_codes(struct vigil_dev *vd, u32 fourcc,
				       u32 *codes, unsigned int max)
{
	struct v4l2_subdev_mbus_code_enum ce = {
		.pad = vd->sensor_pad,
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
	};
	unsigned int n = 0;

	for (ce.index = 0; n < max && ce.index < 64; ce.index++) {
		if (v4l2_subdev_call(vd->sensor, pad, enum_mbus_code, NULL,
				     &ce))
			break;
		if (!fourcc || vigil_code_gives(ce.code, fourcc))
			codes[n++] = ce.code;
	}
	return n;
}

/* The pixel formats the receiver makes of the sensor's codes, deduplicated. */
static unsigned int vigil_fourccs(struct vigil_dev *vd, u32 *out,
				  unsigned int max)
{
	u32 codes[VIGIL_MAX_FOURCCS];
	unsigned int nc, i, j, k, n = 0;

	nc = vigil_sensor_codes(vd, 0, codes, ARRAY_SIZE(codes));
	for (i = 0; i < nc; i++) {
		for (j = 0; j < ARRAY_SIZE(vigil_fmt_map); j++) {
			if (vigil_fmt_map[j].code != codes[i])
				continue;
			for (k = 0; k < n; k++)
				if (out[k] == vigil_fmt_map[j].fourcc)
					break;
			if (k == n && n < max)
				out[n++] = vigil_fmt_map[j].fourcc;
		}
	}
	return n;
}

static u32 vigil_code_for(struct vigil_dev *vd, u32 fourcc)
{
	u32 code;

	return vigil_sensor_codes(vd, fourcc, &code, 1) ? code : 0;
}

/* The sensor frame size nearest to *w x *h for @code. */
static int vigil_nearest_size(struct vigil_dev *vd, u32 code, u32 *w, u32 *h)
{
	struct v4l2_subdev_frame_size_enum fse = {
		.pad = vd->sensor_pad,
		.code = code,
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
	};
	u32 best_w = 0, best_h = 0, bw, bh;
	u64 d, best = U64_MAX;

	for (fse.index = 0; fse.index < 256; fse.index++) {
		if (v4l2_subdev_call(vd->sensor, pad, enum_frame_size, NULL,
				     &fse))
			break;
		bw = clamp(*w, fse.min_width, fse.max_width);
		bh = clamp(*h, fse.min_height, fse.max_height);
		d = abs((s64)bw - *w) + abs((s64)bh - *h);
		if (d < best) {
			best = d;
			best_w = bw;
			best_h = bh;
		}
	}
	if (best == U64_MAX)
		return -EINVAL;
	*w = best_w;
	*h = best_h;
	return 0;
}

static void vigil_fill_pix(struct v4l2_pix_format *pix, u32 fourcc, u32 w,
			   u32 h)
{
	v4l2_fill_pixfmt(pix, fourcc, w, h);
	pix->field = V4L2_FIELD_NONE;
	pix->colorspace = V4L2_COLORSPACE_SRGB;
	pix->xfer_func = V4L2_XFER_FUNC_SRGB;
	pix->ycbcr_enc = V4L2_YCBCR_ENC_601;
	pix->quantization = V4L2_QUANTIZATION_LIM_RANGE;
	pix->flags = 0;
	pix->priv = 0;
}

/* TRY_FMT: a format the receiver can make of a size the sensor offers. */
static int vigil_try_pix(struct vigil_dev *vd, struct v4l2_pix_format *pix,
			 u32 *code)
{
	u32 fourccs[VIGIL_MAX_FOURCCS];
	u32 w = pix->width, h = pix->height;
	int ret;

	*code = vigil_code_for(vd, pix->pixelformat);
	if (!*code) {
		if (!vigil_fourccs(vd, fourccs, ARRAY_SIZE(fourccs)))
			return -EINVAL;
		pix->pixelformat = fourccs[0];
		*code = vigil_code_for(vd, pix->pixelformat);
	}
	ret = vigil_nearest_size(vd, *code, &w, &h);
	if (ret)
		return ret;
	vigil_fill_pix(pix, pix->pixelformat, w, h);
	return 0;
}

/* ---- ioctl handlers ---- */

static int vigil_querycap(struct file *file, void *priv,
			  struct v4l2_capability *cap)
{
	struct vigil_dev *vd = video_drvdata(file);

	strscpy(cap->driver, VIGIL_DRIVER_NAME, sizeof(cap->driver));
	snprintf(cap->card, sizeof(cap->card), "vigil camera %u",
		 vd->instance);
	snprintf(cap->bus_info, sizeof(cap->bus_info), "platform:%s",
		 dev_name(vd->dev));
	return 0;
}

static int vigil_enum_fmt(struct file *file, void *priv,
			  struct v4l2_fmtdesc *f)
{
	struct vigil_dev *vd = video_drvdata(file);
	u32 fourccs[VIGIL_MAX_FOURCCS];

	if (f->index >= vigil_fourccs(vd, fourccs, ARRAY_SIZE(fourccs)))
		return -EINVAL;
	f->pixelformat = fourccs[f->index];
	return 0;
}

static int vigil_g_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct vigil_dev *vd = video_drvdata(file);

	f->fmt.pix = vd->fmt;
	return 0;
}

static int vigil_try_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct vigil_dev *vd = video_drvdata(file);
	u32 code;

	return vigil_try_pix(vd, &f->fmt.pix, &code);
}

static int vigil_s_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct vigil_dev *vd = video_drvdata(file);
	struct v4l2_subdev_format sfmt = {
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
		.pad = vd->sensor_pad,
	};
	int ret;

	if (vb2_is_busy(&vd->cap->queue))
		return -EBUSY;
	ret = vigil_try_pix(vd, &f->fmt.pix, &sfmt.format.code);
	if (ret)
		return ret;
	sfmt.format.width = f->fmt.pix.width;
	sfmt.format.height = f->fmt.pix.height;
	sfmt.format.field = V4L2_FIELD_NONE;
	ret = v4l2_subdev_call(vd->sensor, pad, set_fmt, NULL, &sfmt);
	if (ret)
		return ret;
	vd->fmt = f->fmt.pix;
	ret = vigil_privacy_fit(vd, vd->fmt.width, vd->fmt.height);
	if (ret)
		return ret;
	dev_dbg(vd->dev, "format %p4cc %ux%u, sensor bus 0x%04x\n",
		&vd->fmt.pixelformat, vd->fmt.width, vd->fmt.height,
		sfmt.format.code);
	return 0;
}

static int vigil_enum_framesizes(struct file *file, void *priv,
				 struct v4l2_frmsizeenum *fsize)
{
	struct vigil_dev *vd = video_drvdata(file);
	struct v4l2_subdev_frame_size_enum fse = {
		.index = fsize->index,
		.pad = vd->sensor_pad,
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
	};
	int ret;

	fse.code = vigil_code_for(vd, fsize->pixel_format);
	if (!fse.code)
		return -EINVAL;
	ret = v4l2_subdev_call(vd->sensor, pad, enum_frame_size, NULL, &fse);
	if (ret)
		return ret;
	if (fse.min_width == fse.max_width &&
	    fse.min_height == fse.max_height) {
		fsize->type = V4L2_FRMSIZE_TYPE_DISCRETE;
		fsize->discrete.width = fse.min_width;
		fsize->discrete.height = fse.min_height;
	} else {
		if (fsize->index)
			return -EINVAL;
		fsize->type = V4L2_FRMSIZE_TYPE_CONTINUOUS;
		fsize->stepwise.min_width = fse.min_width;
		fsize->stepwise.max_width = fse.max_width;
		fsize->stepwise.min_height = fse.min_height;
		fsize->stepwise.max_height = fse.max_height;
		fsize->stepwise.step_width = 1;
		fsize->stepwise.step_height = 1;
	}
	return 0;
}

static int vigil_enum_frameintervals(struct file *file, void *priv,
				     struct v4l2_frmivalenum *fival)
{
	struct vigil_dev *vd = video_drvdata(file);
	struct v4l2_subdev_frame_interval_enum fie = {
		.index = fival->index,
		.pad = vd->sensor_pad,
		.width = fival->width,
		.height = fival->height,
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
	};
	int ret;

	fie.code = vigil_code_for(vd, fival->pixel_format);
	if (!fie.code)
		return -EINVAL;
	ret = v4l2_subdev_call(vd->sensor, pad, enum_frame_interval, NULL,
			       &fie);
	if (ret)
		return ret;
	fival->type = V4L2_FRMIVAL_TYPE_DISCRETE;
	fival->discrete = fie.interval;
	return 0;
}

static int vigil_g_parm(struct file *file, void *priv,
			struct v4l2_streamparm *parm)
{
	struct vigil_dev *vd = video_drvdata(file);
	struct v4l2_subdev_frame_interval fi =
		VIGIL_SUBDEV_FI_ACTIVE(vd->sensor_pad);
	int ret;

	if (parm->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	ret = vigil_subdev_call_g_frame_interval(vd->sensor, &fi);
	if (ret)
		return ret;
	memset(&parm->parm.capture, 0, sizeof(parm->parm.capture));
	parm->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
	parm->parm.capture.timeperframe = fi.interval;
	return 0;
}

static int vigil_s_parm(struct file *file, void *priv,
			struct v4l2_streamparm *parm)
{
	struct vigil_dev *vd = video_drvdata(file);
	struct v4l2_subdev_frame_interval fi =
		VIGIL_SUBDEV_FI_ACTIVE(vd->sensor_pad);
	int ret;

	if (parm->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	if (vb2_is_streaming(&vd->cap->queue))
		return -EBUSY;
	/* the sensor picks the nearest interval it offers */
	fi.interval = parm->parm.capture.timeperframe;
	ret = vigil_subdev_call_s_frame_interval(vd->sensor, &fi);
	if (ret)
		return ret;
	return vigil_g_parm(file, priv, parm);
}

static int vigil_enum_input(struct file *file, void *priv,
			    struct v4l2_input *inp)
{
	if (inp->index)
		return -EINVAL;
	inp->type = V4L2_INPUT_TYPE_CAMERA;
	strscpy(inp->name, "Camera", sizeof(inp->name));
	return 0;
}

static int vigil_g_input(struct file *file, void *priv, unsigned int *i)
{
	*i = 0;
	return 0;
}

static int vigil_s_input(struct file *file, void *priv, unsigned int i)
{
	return i ? -EINVAL : 0;
}

static const struct v4l2_file_operations vigil_fops = {
	.owner = THIS_MODULE,
	.open = v4l2_fh_open,
	.release = vb2_fop_release,
	.poll = vb2_fop_poll,
	.mmap = vb2_fop_mmap,
	.unlocked_ioctl = video_ioctl2,
};

static const struct v4l2_ioctl_ops vigil_ioctl_ops = {
	.vidioc_querycap = vigil_querycap,
	.vidioc_enum_fmt_vid_cap = vigil_enum_fmt,
	.vidioc_g_fmt_vid_cap = vigil_g_fmt,
	.vidioc_try_fmt_vid_cap = vigil_try_fmt,
	.vidioc_s_fmt_vid_cap = vigil_s_fmt,
	.vidioc_enum_framesizes = vigil_enum_framesizes,
	.vidioc_enum_frameintervals = vigil_enum_frameintervals,
	.vidioc_g_parm = vigil_g_parm,
	.vidioc_s_parm = vigil_s_parm,
	.vidioc_enum_input = vigil_enum_input,
	.vidioc_g_input = vigil_g_input,
	.vidioc_s_input = vigil_s_input,

	.vidioc_reqbufs = vb2_ioctl_reqbufs,
	.vidioc_create_bufs = vb2_ioctl_create_bufs,
	.vidioc_prepare_buf = vb2_ioctl_prepare_buf,
	.vidioc_querybuf = vb2_ioctl_querybuf,
	.vidioc_qbuf = vb2_ioctl_qbuf,
	.vidioc_dqbuf = vb2_ioctl_dqbuf,
	.vidioc_expbuf = vb2_ioctl_expbuf,
	.vidioc_streamon = vb2_ioctl_streamon,
	.vidioc_streamoff = vb2_ioctl_streamoff,

	.vidioc_log_status = v4l2_ctrl_log_status,
	.vidioc_subscribe_event = vigil_pir_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};

/* ---- buffer helpers: the completion path shared by all receivers ---- */

/**
 * vigil_next_buffer() - take the oldest queued buffer for the next frame
 * @vd: the bridge
 *
 * Return: the buffer, or NULL when userspace has none queued (the receiver
 * then drops the frame with vigil_frame_dropped()). Any context.
 */
struct vigil_buffer *vigil_next_buffer(struct vigil_dev *vd)
{
	struct vigil_buffer *buf;
	unsigned long flags;

	spin_lock_irqsave(&vd->buf_lock, flags);
	buf = list_first_entry_or_null(&vd->buf_list, struct vigil_buffer,
				       list);
	if (buf)
		list_del(&buf->list);
	spin_unlock_irqrestore(&vd->buf_lock, flags);
	return buf;
}

/**
 * vigil_frame_start() - number a new frame period
 * @vd: the bridge
 *
 * Return: the v4l2_buffer.sequence of the frame that starts now. Every
 * frame period gets a number, delivered or dropped, so drops are gaps.
 */
u32 vigil_frame_start(struct vigil_dev *vd)
{
	return (u32)atomic_inc_return(&vd->sequence) - 1;
}

/**
 * vigil_frame_wanted() - the frame gate: should frame @sequence be captured?
 * @vd: the bridge
 * @sequence: from vigil_frame_start()
 *
 * False while the privacy switch is asserted; in standby only every n-th
 * frame, for the keep-alive rate (none if 0). In standby the frame clock
 * keeps running (sequence numbers advance, so a client sees the pause as a
 * gap) and nothing is counted as dropped. Any context.
 */
bool vigil_frame_wanted(struct vigil_dev *vd, u32 sequence)
{
	u32 fps, full_fps;

	if (vigil_gate_test(&vd->gate, VIGIL_GATE_PRIVACY))
		return false;
	if (!vigil_gate_test(&vd->gate, VIGIL_GATE_STANDBY))
		return true;
	fps = READ_ONCE(vd->gate.keepalive_fps);
	if (!fps || !vd->interval.numerator)
		return false;
	full_fps = vd->interval.denominator / vd->interval.numerator;
	return sequence % max(1U, full_fps / fps) == 0;
}

/**
 * vigil_sensor_power() - standby as the sensor's power state
 * @vd: the bridge, streaming
 * @wanted: this frame period's vigil_frame_wanted()
 *
 * Standby is the sensor's power state, driven by the bridge: in standby a
 * period that delivers no (keep-alive) frame lets the sensor runtime
 * suspend (the bridge drops the runtime PM reference the stream holds); a
 * keep-alive frame or the end of standby (a PIR wake) resumes it before
 * the frame is taken. A sensor without runtime PM stays powered and
 * standby is the frame gate alone. Called by the receiver once per frame
 * period, before it takes a buffer, in process context (it may sleep).
 *
 * Return: 0, or the error resuming the sensor: the period's frame is then
 * dropped.
 */
int vigil_sensor_power(struct vigil_dev *vd, bool wanted)
{
	struct device *sdev = vd->sensor->dev;
	bool on = wanted || !vigil_gate_test(&vd->gate, VIGIL_GATE_STANDBY);
	int ret;

	might_sleep();
	if (on != vd->sensor_asleep || !sdev || !pm_runtime_enabled(sdev))
		return 0;
	if (on) {
		ret = pm_runtime_resume_and_get(sdev);
		if (ret) {
			dev_dbg(vd->dev, "sensor resume failed: %d\n", ret);
			return ret;
		}
	} else {
		pm_runtime_put(sdev);
	}
	vd->sensor_asleep = !on;
	return 0;
}

void vigil_frame_from_buffer(struct vigil_dev *vd, struct vigil_buffer *buf,
			     struct vigil_frame *f)
{
	f->vaddr = vb2_plane_vaddr(&buf->vb.vb2_buf, 0);
	/* error injection: as an imported dma-buf that refuses vmap */
	if (READ_ONCE(vd->inject_no_vaddr)) {
		WRITE_ONCE(vd->inject_no_vaddr, vd->inject_no_vaddr - 1);
		f->vaddr = NULL;
	}
	f->fourcc = vd->fmt.pixelformat;
	f->width = vd->fmt.width;
	f->height = vd->fmt.height;
	f->bytesperline = vd->fmt.bytesperline;
	f->sizeimage = vd->fmt.sizeimage;
}

/**
 * vigil_frame_done() - return a filled buffer to userspace
 * @vd: the bridge
 * @buf: buffer from vigil_next_buffer(), filled and masked
 * @sequence: from vigil_frame_start()
 * @error: 0, or why the buffer does not hold a complete, masked frame: it
 *	is then returned as VB2_BUF_STATE_ERROR
 */
void vigil_frame_done(struct vigil_dev *vd, struct vigil_buffer *buf,
		      u32 sequence, int error)
{
	buf->vb.sequence = sequence;
	buf->vb.field = V4L2_FIELD_NONE;
	buf->vb.vb2_buf.timestamp = ktime_get_ns();
	vb2_set_plane_payload(&buf->vb.vb2_buf, 0, vd->fmt.sizeimage);
	if (!error)
		vigil_pir_frame_done(vd, sequence,
				     buf->vb.vb2_buf.timestamp);
	vb2_buffer_done(&buf->vb.vb2_buf,
			error ? VB2_BUF_STATE_ERROR : VB2_BUF_STATE_DONE);
}

/**
 * vigil_frame_dropped() - count a frame period that produced no buffer
 * @vd: the bridge
 */
void vigil_frame_dropped(struct vigil_dev *vd)
{
	atomic_inc(&vd->dropped);
	atomic_inc(&vd->dropped_total);
}

static void vigil_return_all_buffers(struct vigil_dev *vd,
				     enum vb2_buffer_state state)
{
	struct vigil_buffer *buf, *tmp;
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&vd->buf_lock, flags);
	list_splice_init(&vd->buf_list, &done);
	spin_unlock_irqrestore(&vd->buf_lock, flags);

	list_for_each_entry_safe(buf, tmp, &done, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
}

/* ---- vb2 callbacks ---- */

static int vigil_queue_setup(struct vb2_queue *q, unsigned int *nbuffers,
			     unsigned int *nplanes, unsigned int sizes[],
			     struct device *alloc_devs[])
{
	struct vigil_dev *vd = vb2_get_drv_priv(q);
	unsigned int size = vd->fmt.sizeimage;

	if (vd->inject_queue_setup) {
		vd->inject_queue_setup--;
		dev_dbg(vd->dev, "injected queue_setup failure\n");
		return -ENOMEM;
	}
	if (*nplanes)
		return sizes[0] < size ? -EINVAL : 0;
	/* enough buffers that a busy client does not make the sensor drop */
	*nbuffers = max(*nbuffers, VIGIL_MIN_BUFFERS);
	*nplanes = 1;
	sizes[0] = size;
	return 0;
}

static int vigil_buf_prepare(struct vb2_buffer *vb)
{
	struct vigil_dev *vd = vb2_get_drv_priv(vb->vb2_queue);

	if (vb2_plane_size(vb, 0) < vd->fmt.sizeimage) {
		dev_dbg(vd->dev, "buffer too small (%lu < %u)\n",
			vb2_plane_size(vb, 0), vd->fmt.sizeimage);
		return -EINVAL;
	}
	vb2_set_plane_payload(vb, 0, vd->fmt.sizeimage);
	return 0;
}

static void vigil_buf_queue(struct vb2_buffer *vb)
{
	struct vigil_dev *vd = vb2_get_drv_priv(vb->vb2_queue);
	struct vigil_buffer *buf = to_vigil_buffer(vb);
	unsigned long flags;

	spin_lock_irqsave(&vd->buf_lock, flags);
	list_add_tail(&buf->list, &vd->buf_list);
	spin_unlock_irqrestore(&vd->buf_lock, flags);
	if (vd->streaming && vd->rx_ops->buffer_queued)
		vd->rx_ops->buffer_queued(vd);
}

static int vigil_start_streaming(struct vb2_queue *q, unsigned int count)
{
	struct vigil_dev *vd = vb2_get_drv_priv(q);
	struct v4l2_subdev_frame_interval fi =
		VIGIL_SUBDEV_FI_ACTIVE(vd->sensor_pad);
	int ret;

	atomic_set(&vd->sequence, 0);
	atomic_set(&vd->dropped, 0);

	if (vd->inject_start) {
		vd->inject_start--;
		dev_dbg(vd->dev, "injected start_streaming failure\n");
		ret = -EIO;
		goto err;
	}

	/* validates the link: sensor pad format against the capture format */
	ret = video_device_pipeline_start(&vd->cap->vdev, &vd->cap->pipe);
	if (ret) {
		dev_dbg(vd->dev, "pipeline start failed: %d\n", ret);
		goto err;
	}
	ret = vigil_subdev_call_g_frame_interval(vd->sensor, &fi);
	if (ret || !fi.interval.numerator || !fi.interval.denominator) {
		ret = ret ?: -EINVAL;
		goto err_pipe;
	}
	vd->interval = fi.interval;

	/* the LED is on before the sensor starts, the receiver after it */
	vd->streaming = true;
	vd->sensor_asleep = false;
	vigil_pir_streaming(vd, true);
	ret = v4l2_subdev_call(vd->sensor, video, s_stream, 1);
	if (ret)
		goto err_led;
	ret = vd->rx_ops->start(vd);
	if (ret) {
		v4l2_subdev_call(vd->sensor, video, s_stream, 0);
		goto err_led;
	}
	dev_dbg(vd->dev, "streaming %p4cc %ux%u at %u/%u s\n",
		&vd->fmt.pixelformat, vd->fmt.width, vd->fmt.height,
		vd->interval.numerator, vd->interval.denominator);
	return 0;

err_led:
	vigil_pir_streaming(vd, false);
	vd->streaming = false;
err_pipe:
	video_device_pipeline_stop(&vd->cap->vdev);
err:
	vigil_return_all_buffers(vd, VB2_BUF_STATE_QUEUED);
	return ret;
}

static void vigil_stop_streaming(struct vb2_queue *q)
{
	struct vigil_dev *vd = vb2_get_drv_priv(q);

	/* the receiver first: it renders through the sensor */
	vd->rx_ops->stop(vd);
	/* the stream's runtime PM reference back, for s_stream(0) to drop */
	if (vd->sensor_asleep) {
		pm_runtime_get_noresume(vd->sensor->dev);
		vd->sensor_asleep = false;
	}
	v4l2_subdev_call(vd->sensor, video, s_stream, 0);
	vd->streaming = false;
	vigil_pir_streaming(vd, false);
	video_device_pipeline_stop(&vd->cap->vdev);
	vigil_return_all_buffers(vd, VB2_BUF_STATE_ERROR);
	dev_dbg(vd->dev, "stopped, %u frames, %u dropped\n",
		atomic_read(&vd->sequence), atomic_read(&vd->dropped));
}

static const struct vb2_ops vigil_vb2_ops = {
	.queue_setup = vigil_queue_setup,
	.buf_prepare = vigil_buf_prepare,
	.buf_queue = vigil_buf_queue,
	.start_streaming = vigil_start_streaming,
	.stop_streaming = vigil_stop_streaming,
	VIGIL_VB2_WAIT_OPS
};

/* ---- media entity ---- */

/* The sensor's active pad format must be what the capture format needs. */
static int vigil_link_validate(struct media_link *link)
{
	struct video_device *vdev =
		media_entity_to_video_device(link->sink->entity);
	struct vigil_dev *vd = video_get_drvdata(vdev);
	struct v4l2_subdev_format sfmt = {
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
		.pad = link->source->index,
	};
	struct v4l2_subdev *sd;
	int ret;

	if (!is_media_entity_v4l2_subdev(link->source->entity))
		return -EINVAL;
	sd = media_entity_to_v4l2_subdev(link->source->entity);
	ret = v4l2_subdev_call(sd, pad, get_fmt, NULL, &sfmt);
	if (ret)
		return ret;
	if (sfmt.format.width != vd->fmt.width ||
	    sfmt.format.height != vd->fmt.height ||
	    !vigil_code_gives(sfmt.format.code, vd->fmt.pixelformat)) {
		dev_dbg(vd->dev,
			"link: sensor 0x%04x %ux%u, capture %p4cc %ux%u\n",
			sfmt.format.code, sfmt.format.width,
			sfmt.format.height, &vd->fmt.pixelformat,
			vd->fmt.width, vd->fmt.height);
		return -EPIPE;
	}
	return 0;
}

static const struct media_entity_operations vigil_entity_ops = {
	.link_validate = vigil_link_validate,
};

/* ---- register / unregister ---- */

static void vigil_cap_release(struct video_device *vdev)
{
	struct vigil_cap *cap = container_of(vdev, struct vigil_cap, vdev);
	struct vigil_dev *vd = cap->vd;

	kfree(cap);
	v4l2_device_put(&vd->v4l2_dev);
}

/* The capture format that matches the sensor's active pad format. */
static int vigil_cap_init_fmt(struct vigil_dev *vd)
{
	struct v4l2_subdev_format sfmt = {
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
		.pad = vd->sensor_pad,
	};
	unsigned int i;
	int ret;

	ret = v4l2_subdev_call(vd->sensor, pad, get_fmt, NULL, &sfmt);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(vigil_fmt_map); i++) {
		if (vigil_fmt_map[i].code == sfmt.format.code) {
			vigil_fill_pix(&vd->fmt, vigil_fmt_map[i].fourcc,
				       sfmt.format.width, sfmt.format.height);
			return vigil_privacy_fit(vd, vd->fmt.width,
						 vd->fmt.height);
		}
	}
	dev_err(vd->dev, "sensor bus format 0x%04x not supported\n",
		sfmt.format.code);
	return -EINVAL;
}

/**
 * vigil_cap_register() - create the capture node and link it to the sensor
 * @vd: the bridge, with @vd->sensor bound; called from .complete
 *
 * Return: 0 or -errno.
 */
int vigil_cap_register(struct vigil_dev *vd)
{
	struct vigil_cap *cap;
	struct video_device *vdev;
	struct vb2_queue *q;
	int ret;

	ret = vigil_cap_init_fmt(vd);
	if (ret)
		return ret;

	cap = kzalloc(sizeof(*cap), GFP_KERNEL);
	if (!cap)
		return -ENOMEM;
	cap->vd = vd;
	vdev = &cap->vdev;
	q = &cap->queue;

	q->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	q->io_modes = VB2_MMAP | VB2_DMABUF;
	if (vd->alloc == VIGIL_ALLOC_DMA_CONTIG) {
		q->mem_ops = &vb2_dma_contig_memops;
	} else {
		q->mem_ops = &vb2_vmalloc_memops;
		q->io_modes |= VB2_USERPTR;
	}
	q->drv_priv = vd;
	q->buf_struct_size = sizeof(struct vigil_buffer);
	q->ops = &vigil_vb2_ops;
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC |
			     V4L2_BUF_FLAG_TSTAMP_SRC_EOF;
	vigil_vb2_set_min_queued(q, 2);
	q->lock = &vd->lock;
	q->dev = vd->dev;
	ret = vb2_queue_init(q);
	if (ret)
		goto err_free;

	cap->pad.flags = MEDIA_PAD_FL_SINK | MEDIA_PAD_FL_MUST_CONNECT;
	vdev->entity.ops = &vigil_entity_ops;
	ret = media_entity_pads_init(&vdev->entity, 1, &cap->pad);
	if (ret)
		goto err_free;

	strscpy(vdev->name, dev_name(vd->dev), sizeof(vdev->name));
	vdev->release = vigil_cap_release;
	vdev->fops = &vigil_fops;
	vdev->ioctl_ops = &vigil_ioctl_ops;
	vdev->v4l2_dev = &vd->v4l2_dev;
	vdev->ctrl_handler = &vd->ctrl_handler;
	vdev->queue = q;
	vdev->lock = &vd->lock;
	vdev->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
	vdev->vfl_dir = VFL_DIR_RX;
	video_set_drvdata(vdev, vd);

	/* from here on the release callback frees @cap */
	v4l2_device_get(&vd->v4l2_dev);
	ret = video_register_device(vdev, VFL_TYPE_VIDEO, -1);
	if (ret) {
		video_device_release_empty(vdev);
		media_entity_cleanup(&vdev->entity);
		v4l2_device_put(&vd->v4l2_dev);
		goto err_free;
	}

	ret = media_create_pad_link(&vd->sensor->entity, vd->sensor_pad,
				    &vdev->entity, 0,
				    MEDIA_LNK_FL_IMMUTABLE |
				    MEDIA_LNK_FL_ENABLED);
	if (ret) {
		vb2_video_unregister_device(vdev);
		return ret;
	}

	mutex_lock(&vd->lock);
	vd->cap = cap;
	mutex_unlock(&vd->lock);
	spin_lock_irq(&vd->node_lock);
	vd->node = vdev;
	spin_unlock_irq(&vd->node_lock);
	return 0;

err_free:
	kfree(cap);
	return ret;
}

/**
 * vigil_cap_unregister() - remove the capture node
 * @vd: the bridge
 *
 * Stops streaming and releases the buffers, even with files open; the
 * node's memory goes with its last file. Called from .unbind and remove.
 */
void vigil_cap_unregister(struct vigil_dev *vd)
{
	struct vigil_cap *cap;

	mutex_lock(&vd->lock);
	cap = vd->cap;
	mutex_unlock(&vd->lock);
	if (!cap)
		return;

	spin_lock_irq(&vd->node_lock);
	vd->node = NULL;
	spin_unlock_irq(&vd->node_lock);
	media_entity_remove_links(&cap->vdev.entity);
	vb2_video_unregister_device(&cap->vdev);

	mutex_lock(&vd->lock);
	vd->cap = NULL;
	mutex_unlock(&vd->lock);
}
