// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the video capture node: ioctls, vb2 queue and the frame
 * completion path shared by every frame producer.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-dma-contig.h>
#include <media/videobuf2-vmalloc.h>

#include "compat.h"
#include "vigil.h"
#include "vigil-pir.h"

#define VIGIL_DEF_WIDTH		640
#define VIGIL_DEF_HEIGHT	480
#define VIGIL_MIN_BUFFERS	4

static const u32 vigil_formats[] = {
	V4L2_PIX_FMT_YUYV,
	V4L2_PIX_FMT_NV12,
	V4L2_PIX_FMT_GREY,
};

static const struct v4l2_frmsize_discrete vigil_sizes[] = {
	{  160,  120 },
	{  320,  240 },
	{  640,  360 },
	{  640,  480 },
	{ 1280,  720 },
	{ 1920, 1080 },
};

/* Frame rates offered, fastest first (ENUM_FRAMEINTERVALS order). */
static const u32 vigil_fps[] = { 60, 30, 25, 15, 10, 5, 1 };

static inline struct vigil_buffer *to_vigil_buffer(struct vb2_buffer *vb)
{
	return container_of(to_vb2_v4l2_buffer(vb), struct vigil_buffer, vb);
}

static bool vigil_format_valid(u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vigil_formats); i++)
		if (vigil_formats[i] == fourcc)
			return true;
	return false;
}

static bool vigil_size_valid(u32 width, u32 height)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vigil_sizes); i++)
		if (vigil_sizes[i].width == width &&
		    vigil_sizes[i].height == height)
			return true;
	return false;
}

static void vigil_fill_pix(struct v4l2_pix_format *pix)
{
	const struct v4l2_frmsize_discrete *sz;

	if (!vigil_format_valid(pix->pixelformat))
		pix->pixelformat = vigil_formats[0];
	sz = v4l2_find_nearest_size(vigil_sizes, ARRAY_SIZE(vigil_sizes),
				    width, height, pix->width, pix->height);
	v4l2_fill_pixfmt(pix, pix->pixelformat, sz->width, sz->height);
	pix->field = V4L2_FIELD_NONE;
	pix->colorspace = V4L2_COLORSPACE_SRGB;
	pix->xfer_func = V4L2_XFER_FUNC_SRGB;
	pix->ycbcr_enc = V4L2_YCBCR_ENC_601;
	pix->quantization = V4L2_QUANTIZATION_LIM_RANGE;
	pix->flags = 0;
	pix->priv = 0;
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
	if (f->index >= ARRAY_SIZE(vigil_formats))
		return -EINVAL;
	f->pixelformat = vigil_formats[f->index];
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
	vigil_fill_pix(&f->fmt.pix);
	return 0;
}

static int vigil_s_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct vigil_dev *vd = video_drvdata(file);

	if (vb2_is_busy(&vd->queue))
		return -EBUSY;
	vigil_fill_pix(&f->fmt.pix);
	vd->fmt = f->fmt.pix;
	vigil_dbg(1, vd, "format %p4cc %ux%u\n", &vd->fmt.pixelformat,
		  vd->fmt.width, vd->fmt.height);
	return 0;
}

static int vigil_enum_framesizes(struct file *file, void *priv,
				 struct v4l2_frmsizeenum *fsize)
{
	if (!vigil_format_valid(fsize->pixel_format) ||
	    fsize->index >= ARRAY_SIZE(vigil_sizes))
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_DISCRETE;
	fsize->discrete = vigil_sizes[fsize->index];
	return 0;
}

static int vigil_enum_frameintervals(struct file *file, void *priv,
				     struct v4l2_frmivalenum *fival)
{
	if (!vigil_format_valid(fival->pixel_format) ||
	    !vigil_size_valid(fival->width, fival->height) ||
	    fival->index >= ARRAY_SIZE(vigil_fps))
		return -EINVAL;
	fival->type = V4L2_FRMIVAL_TYPE_DISCRETE;
	fival->discrete.numerator = 1;
	fival->discrete.denominator = vigil_fps[fival->index];
	return 0;
}

static int vigil_g_parm(struct file *file, void *priv,
			struct v4l2_streamparm *parm)
{
	struct vigil_dev *vd = video_drvdata(file);

	if (parm->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	parm->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
	parm->parm.capture.timeperframe = vd->timeperframe;
	parm->parm.capture.readbuffers = 0;
	return 0;
}

static int vigil_s_parm(struct file *file, void *priv,
			struct v4l2_streamparm *parm)
{
	struct vigil_dev *vd = video_drvdata(file);
	struct v4l2_fract *tpf = &parm->parm.capture.timeperframe;
	unsigned int i, best = 0;
	u32 fps, diff, best_diff = U32_MAX;

	if (parm->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	if (vb2_is_streaming(&vd->queue))
		return -EBUSY;

	/* 0/0 or a zero term: the default rate */
	if (!tpf->numerator || !tpf->denominator)
		fps = 30;
	else
		fps = DIV_ROUND_CLOSEST(tpf->denominator, tpf->numerator);
	for (i = 0; i < ARRAY_SIZE(vigil_fps); i++) {
		diff = abs((int)vigil_fps[i] - (int)fps);
		if (diff < best_diff) {
			best_diff = diff;
			best = i;
		}
	}
	vd->timeperframe.numerator = 1;
	vd->timeperframe.denominator = vigil_fps[best];
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

/* ---- buffer helpers: the completion path shared by all producers ---- */

/**
 * vigil_next_buffer() - take the oldest queued buffer for the next frame
 * @vd: the device
 *
 * Return: the buffer, or NULL when userspace has none queued (the producer
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
 * @vd: the device
 *
 * Return: the v4l2_buffer.sequence of the frame that starts now. Every
 * frame period gets a number, delivered or dropped, so drops are gaps.
 */
u32 vigil_frame_start(struct vigil_dev *vd)
{
	return (u32)atomic_inc_return(&vd->sequence) - 1;
}

void vigil_frame_from_buffer(struct vigil_dev *vd, struct vigil_buffer *buf,
			     struct vigil_frame *f)
{
	f->vaddr = vb2_plane_vaddr(&buf->vb.vb2_buf, 0);
	f->fourcc = vd->fmt.pixelformat;
	f->width = vd->fmt.width;
	f->height = vd->fmt.height;
	f->bytesperline = vd->fmt.bytesperline;
	f->sizeimage = vd->fmt.sizeimage;
}

/**
 * vigil_frame_done() - return a filled buffer to userspace
 * @vd: the device
 * @buf: buffer from vigil_next_buffer(), filled
 * @sequence: from vigil_frame_start()
 *
 * Applies the privacy mask, then stamps and completes the buffer.
 */
void vigil_frame_done(struct vigil_dev *vd, struct vigil_buffer *buf,
		      u32 sequence)
{
	struct vigil_frame f;

	vigil_frame_from_buffer(vd, buf, &f);
	if (f.vaddr)
		vigil_privacy_apply(vd, &f);
	buf->vb.sequence = sequence;
	buf->vb.field = V4L2_FIELD_NONE;
	buf->vb.vb2_buf.timestamp = ktime_get_ns();
	vb2_set_plane_payload(&buf->vb.vb2_buf, 0, vd->fmt.sizeimage);
	vigil_pir_frame_done(vd, sequence, buf->vb.vb2_buf.timestamp);
	vb2_buffer_done(&buf->vb.vb2_buf, VB2_BUF_STATE_DONE);
}

/**
 * vigil_frame_dropped() - count a frame period that produced no buffer
 * @vd: the device
 */
void vigil_frame_dropped(struct vigil_dev *vd)
{
	atomic_inc(&vd->dropped);
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
		vigil_dbg(1, vd, "injected queue_setup failure\n");
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
		vigil_dbg(1, vd, "buffer too small (%lu < %u)\n",
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
	if (vd->streaming && vd->src_ops->buffer_queued)
		vd->src_ops->buffer_queued(vd);
}

static int vigil_start_streaming(struct vb2_queue *q, unsigned int count)
{
	struct vigil_dev *vd = vb2_get_drv_priv(q);
	int ret;

	atomic_set(&vd->sequence, 0);
	atomic_set(&vd->dropped, 0);

	if (vd->inject_start) {
		vd->inject_start--;
		vigil_dbg(1, vd, "injected start_streaming failure\n");
		ret = -EIO;
		goto err;
	}

	v4l2_ctrl_grab(vd->ctrl_source, true);
	v4l2_ctrl_grab(vd->ctrl_seed, true);
	ret = vd->src_ops->start(vd);
	if (ret) {
		v4l2_ctrl_grab(vd->ctrl_source, false);
		v4l2_ctrl_grab(vd->ctrl_seed, false);
		goto err;
	}
	vd->streaming = true;
	vigil_pir_streaming(vd, true);
	vigil_dbg(1, vd, "streaming %p4cc %ux%u at 1/%u s\n",
		  &vd->fmt.pixelformat, vd->fmt.width, vd->fmt.height,
		  vd->timeperframe.denominator);
	return 0;

err:
	vigil_return_all_buffers(vd, VB2_BUF_STATE_QUEUED);
	return ret;
}

static void vigil_stop_streaming(struct vb2_queue *q)
{
	struct vigil_dev *vd = vb2_get_drv_priv(q);

	vd->src_ops->stop(vd);
	vd->streaming = false;
	vigil_pir_streaming(vd, false);
	v4l2_ctrl_grab(vd->ctrl_source, false);
	v4l2_ctrl_grab(vd->ctrl_seed, false);
	vigil_return_all_buffers(vd, VB2_BUF_STATE_ERROR);
	vigil_dbg(1, vd, "stopped, %u frames, %u dropped\n",
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

/* ---- register / unregister ---- */

int vigil_cap_register(struct vigil_dev *vd)
{
	struct video_device *vdev = &vd->vdev;
	struct vb2_queue *q = &vd->queue;
	int ret;

	vd->fmt.pixelformat = vigil_formats[0];
	vd->fmt.width = VIGIL_DEF_WIDTH;
	vd->fmt.height = VIGIL_DEF_HEIGHT;
	vigil_fill_pix(&vd->fmt);

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
		return ret;

	strscpy(vdev->name, dev_name(vd->dev), sizeof(vdev->name));
	vdev->release = video_device_release_empty;
	vdev->fops = &vigil_fops;
	vdev->ioctl_ops = &vigil_ioctl_ops;
	vdev->v4l2_dev = &vd->v4l2_dev;
	vdev->queue = q;
	vdev->lock = &vd->lock;
	vdev->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
	vdev->vfl_dir = VFL_DIR_RX;
	video_set_drvdata(vdev, vd);

	return video_register_device(vdev, VFL_TYPE_VIDEO, -1);
}

void vigil_cap_unregister(struct vigil_dev *vd)
{
	vb2_video_unregister_device(&vd->vdev);
}
