// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the bridge's controls: privacy mask and dropped-frame counter;
 * and the privacy-mask pass applied to every frame before it is returned.
 */

#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <media/v4l2-ctrls.h>

#include "vigil.h"

/* Does the used rectangle @r lie in a @width x @height frame? */
static bool vigil_rect_inside(const struct vigil_privacy_rect *r, u32 width,
			      u32 height)
{
	return r->left < width && r->width <= width - r->left &&
	       r->top < height && r->height <= height - r->top;
}

static int vigil_try_ctrl(struct v4l2_ctrl *ctrl)
{
	struct vigil_dev *vd = container_of(ctrl->handler, struct vigil_dev,
					    ctrl_handler);
	const struct vigil_privacy_rect *r;
	unsigned int i;

	if (ctrl->id != VIGIL_CID_PRIVACY_MASK)
		return 0;

	/* Pixels of the current format (the handler's lock is held). */
	r = (const struct vigil_privacy_rect *)ctrl->p_new.p_u32;
	for (i = 0; i < VIGIL_MAX_PRIVACY_RECTS; i++) {
		if (!r[i].width || !r[i].height)
			continue;
		if (!vigil_rect_inside(&r[i], vd->mask_width,
				       vd->mask_height)) {
			dev_dbg(vd->dev,
				"privacy rect %u (%u,%u %ux%u) beyond %ux%u\n",
				i, r[i].left, r[i].top, r[i].width,
				r[i].height, vd->mask_width, vd->mask_height);
			return -ERANGE;
		}
	}
	return 0;
}

static int vigil_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct vigil_dev *vd = container_of(ctrl->handler, struct vigil_dev,
					    ctrl_handler);
	unsigned long flags;

	switch (ctrl->id) {
	case VIGIL_CID_PRIVACY_MASK:
		spin_lock_irqsave(&vd->mask_lock, flags);
		memcpy(vd->mask, ctrl->p_new.p_u32, sizeof(vd->mask));
		spin_unlock_irqrestore(&vd->mask_lock, flags);
		return 0;
	default:
		return -EINVAL;
	}
}

static int vigil_g_volatile_ctrl(struct v4l2_ctrl *ctrl)
{
	struct vigil_dev *vd = container_of(ctrl->handler, struct vigil_dev,
					    ctrl_handler);

	if (ctrl->id != VIGIL_CID_DROPPED_FRAMES)
		return -EINVAL;
	ctrl->val = atomic_read(&vd->dropped);
	return 0;
}

static const struct v4l2_ctrl_ops vigil_ctrl_ops = {
	.try_ctrl = vigil_try_ctrl,
	.s_ctrl = vigil_s_ctrl,
	.g_volatile_ctrl = vigil_g_volatile_ctrl,
};

static const struct v4l2_ctrl_config vigil_ctrl_privacy = {
	.ops = &vigil_ctrl_ops,
	.id = VIGIL_CID_PRIVACY_MASK,
	.name = "Privacy Mask",
	.type = V4L2_CTRL_TYPE_U32,
	.min = 0,
	.max = VIGIL_MAX_WIDTH,
	.step = 1,
	.def = 0,
	.dims = { VIGIL_MAX_PRIVACY_RECTS, 4 },
};

static const struct v4l2_ctrl_config vigil_ctrl_dropped = {
	.ops = &vigil_ctrl_ops,
	.id = VIGIL_CID_DROPPED_FRAMES,
	.name = "Dropped Frames",
	.type = V4L2_CTRL_TYPE_INTEGER,
	.min = 0,
	.max = S32_MAX,
	.step = 1,
	.def = 0,
	.flags = V4L2_CTRL_FLAG_READ_ONLY | V4L2_CTRL_FLAG_VOLATILE,
};

int vigil_ctrls_init(struct vigil_dev *vd)
{
	struct v4l2_ctrl_handler *hdl = &vd->ctrl_handler;

	v4l2_ctrl_handler_init(hdl, 8);
	vd->ctrl_privacy = v4l2_ctrl_new_custom(hdl, &vigil_ctrl_privacy,
						NULL);
	vd->ctrl_dropped = v4l2_ctrl_new_custom(hdl, &vigil_ctrl_dropped,
						NULL);
	/* freed by the v4l2_device release */
	return hdl->error;
}

/**
 * vigil_privacy_fit() - the capture format changed: fit the mask to it
 * @vd: the device
 * @width: the new frame width
 * @height: the new frame height
 *
 * Rectangles are in pixels of the current format. Each one is clipped to
 * the new frame; one wholly outside it is removed (it could mask nothing).
 * A changed mask is set as the control's new value, so subscribers get a
 * control event.
 *
 * Return: 0 or a negative error code.
 */
int vigil_privacy_fit(struct vigil_dev *vd, u32 width, u32 height)
{
	struct vigil_privacy_rect r[VIGIL_MAX_PRIVACY_RECTS];
	struct v4l2_ctrl *ctrl = vd->ctrl_privacy;
	bool changed = false;
	unsigned int i;
	int ret = 0;

	v4l2_ctrl_lock(ctrl);
	vd->mask_width = width;
	vd->mask_height = height;
	memcpy(r, ctrl->p_cur.p_u32, sizeof(r));
	for (i = 0; i < VIGIL_MAX_PRIVACY_RECTS; i++) {
		if (!r[i].width || !r[i].height ||
		    vigil_rect_inside(&r[i], width, height))
			continue;
		changed = true;
		if (r[i].left >= width || r[i].top >= height) {
			memset(&r[i], 0, sizeof(r[i]));
			continue;
		}
		r[i].width = min(r[i].width, width - r[i].left);
		r[i].height = min(r[i].height, height - r[i].top);
	}
	if (changed) {
		dev_dbg(vd->dev, "privacy mask fitted to %ux%u\n", width,
			height);
		ret = __v4l2_ctrl_s_ctrl_compound(ctrl, V4L2_CTRL_TYPE_U32, r);
	}
	v4l2_ctrl_unlock(ctrl);
	return ret;
}

/* ---- privacy mask pass ---- */

static void vigil_mask_rect(const struct vigil_frame *f,
			    const struct vigil_privacy_rect *r)
{
	u32 x0 = r->left, y0 = r->top;
	u32 x1 = min(r->left + r->width, f->width);
	u32 y1 = min(r->top + r->height, f->height);
	u8 *uv = f->vaddr + f->bytesperline * f->height;
	u32 y, x;

	if (x0 >= x1 || y0 >= y1)
		return;

	switch (f->fourcc) {
	case V4L2_PIX_FMT_GREY:
		for (y = y0; y < y1; y++) {
			memset(f->vaddr + y * f->bytesperline + x0, 16,
			       x1 - x0);
			cond_resched();
		}
		break;
	case V4L2_PIX_FMT_NV12:
		for (y = y0; y < y1; y++) {
			memset(f->vaddr + y * f->bytesperline + x0, 16,
			       x1 - x0);
			cond_resched();
		}
		/* every chroma sample covering a masked pixel */
		x0 &= ~1;
		x1 = ALIGN(x1, 2);
		for (y = y0 / 2; y < DIV_ROUND_UP(y1, 2); y++) {
			memset(uv + y * f->bytesperline + x0, 128, x1 - x0);
			cond_resched();
		}
		break;
	case V4L2_PIX_FMT_YUYV:
		x0 &= ~1;
		x1 = ALIGN(x1, 2);
		for (y = y0; y < y1; y++) {
			u8 *p = f->vaddr + y * f->bytesperline;

			for (x = x0; x < x1; x++) {
				p[2 * x] = (x >= r->left &&
					    x < r->left + r->width) ? 16 :
								     p[2 * x];
				p[2 * x + 1] = 128;
			}
			cond_resched();
		}
		break;
	}
}

/**
 * vigil_privacy_apply() - black out the privacy rectangles in a frame
 * @vd: the device
 * @f: the filled frame, CPU-mapped
 *
 * Called on every frame, as the last step of filling it, before it is
 * returned to userspace, in process context with no lock held: a mask may
 * cover the whole frame, so each row filled is a preemption point, as in
 * the renderers (vigil_vsensor_render()).
 *
 * Return: 0, or -EFAULT when the frame has no CPU mapping (the buffer must
 * then not be delivered).
 */
int vigil_privacy_apply(struct vigil_dev *vd, const struct vigil_frame *f)
{
	struct vigil_privacy_rect mask[VIGIL_MAX_PRIVACY_RECTS];
	unsigned long flags;
	unsigned int i;

	might_sleep();
	if (!f->vaddr)
		return -EFAULT;
	spin_lock_irqsave(&vd->mask_lock, flags);
	memcpy(mask, vd->mask, sizeof(mask));
	spin_unlock_irqrestore(&vd->mask_lock, flags);

	for (i = 0; i < VIGIL_MAX_PRIVACY_RECTS; i++)
		if (mask[i].width && mask[i].height)
			vigil_mask_rect(f, &mask[i]);
	return 0;
}
