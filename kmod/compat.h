/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil - differences between the kernel versions vigil builds against.
 * Every LINUX_VERSION_CODE check of the driver lives here.
 */
#ifndef _VIGIL_COMPAT_H
#define _VIGIL_COMPAT_H

#include <linux/version.h>
#include <media/v4l2-async.h>
#include <media/v4l2-device.h>
#include <media/v4l2-subdev.h>
#include <media/videobuf2-v4l2.h>

/*
 * vb2_queue.min_buffers_needed was renamed min_queued_buffers in 6.8.
 */
#if KERNEL_VERSION(6, 8, 0) > LINUX_VERSION_CODE
#define vigil_vb2_set_min_queued(q, n)	((q)->min_buffers_needed = (n))
#else
#define vigil_vb2_set_min_queued(q, n)	((q)->min_queued_buffers = (n))
#endif

/*
 * Before 6.13 vb2 only drops q->lock around a blocking wait if the driver
 * supplies wait_prepare/wait_finish; from 6.13 on it does so itself and the
 * callbacks are deprecated (later removed).
 */
#if KERNEL_VERSION(6, 13, 0) > LINUX_VERSION_CODE
#define VIGIL_VB2_WAIT_OPS					\
	.wait_prepare = vb2_ops_wait_prepare,			\
	.wait_finish = vb2_ops_wait_finish,
#else
#define VIGIL_VB2_WAIT_OPS
#endif

/*
 * platform_driver.remove returns void from 6.11 on; before that the void
 * variant is called remove_new.
 */
#if KERNEL_VERSION(6, 11, 0) > LINUX_VERSION_CODE
#define VIGIL_PLATFORM_REMOVE(fn)	.remove_new = (fn)
#else
#define VIGIL_PLATFORM_REMOVE(fn)	.remove = (fn)
#endif

/*
 * v4l2_async: from 6.5 a notifier is initialised with its v4l2_device and
 * registered alone, and its entries are v4l2_async_connection (before:
 * v4l2_async_subdev, and the v4l2_device is given at registration).
 */
#if KERNEL_VERSION(6, 5, 0) > LINUX_VERSION_CODE
#define vigil_async_conn		v4l2_async_subdev
#else
#define vigil_async_conn		v4l2_async_connection
#endif

static inline void vigil_async_nf_init(struct v4l2_async_notifier *nf,
				       struct v4l2_device *v4l2_dev)
{
#if KERNEL_VERSION(6, 5, 0) > LINUX_VERSION_CODE
	v4l2_async_nf_init(nf);
#else
	v4l2_async_nf_init(nf, v4l2_dev);
#endif
}

static inline int vigil_async_nf_register(struct v4l2_async_notifier *nf,
					  struct v4l2_device *v4l2_dev)
{
#if KERNEL_VERSION(6, 5, 0) > LINUX_VERSION_CODE
	return v4l2_async_nf_register(v4l2_dev, nf);
#else
	return v4l2_async_nf_register(nf);
#endif
}

/*
 * Subdev frame interval: a pad op taking the subdev state from 6.8 on
 * (get/set_frame_interval, with a "which" field), a video op before
 * (g/s_frame_interval). The try-state initialisation moved from pad op
 * init_cfg to internal op init_state, and v4l2_subdev_get_try_format()
 * became v4l2_subdev_state_get_format(), in the same release. The
 * VIGIL_VSENSOR_* entries name the virtual sensor's handlers.
 */
#if KERNEL_VERSION(6, 8, 0) > LINUX_VERSION_CODE
#define VIGIL_FI_STATE_PARAM
#define VIGIL_VSENSOR_FI_VIDEO_OPS					\
	.g_frame_interval = vigil_vsensor_g_frame_interval,		\
	.s_frame_interval = vigil_vsensor_s_frame_interval,
#define VIGIL_VSENSOR_FI_PAD_OPS
#define VIGIL_VSENSOR_INIT_CFG_PAD_OP	.init_cfg = vigil_vsensor_init_try,
#define VIGIL_VSENSOR_INIT_STATE_OP
#define VIGIL_SUBDEV_FI_ACTIVE(p)	{ .pad = (p) }
#else
#define VIGIL_FI_STATE_PARAM		struct v4l2_subdev_state *state,
#define VIGIL_VSENSOR_FI_VIDEO_OPS
#define VIGIL_VSENSOR_FI_PAD_OPS					\
	.get_frame_interval = vigil_vsensor_g_frame_interval,		\
	.set_frame_interval = vigil_vsensor_s_frame_interval,
#define VIGIL_VSENSOR_INIT_CFG_PAD_OP
#define VIGIL_VSENSOR_INIT_STATE_OP	.init_state = vigil_vsensor_init_try,
#define VIGIL_SUBDEV_FI_ACTIVE(p)					\
	{ .pad = (p), .which = V4L2_SUBDEV_FORMAT_ACTIVE }
#endif

/*
 * The try frame interval: from 6.8 on in the subdev state, when @fi is a
 * TRY request (NULL for ACTIVE); before 6.8 frame intervals had no try
 * state (always NULL). Call as vigil_subdev_try_interval(VIGIL_FI_STATE_ARG
 * fi) in a handler declared with VIGIL_FI_STATE_PARAM.
 */
#if KERNEL_VERSION(6, 8, 0) > LINUX_VERSION_CODE
#define VIGIL_FI_STATE_ARG
static inline struct v4l2_fract *
vigil_subdev_try_interval(struct v4l2_subdev_frame_interval *fi)
{
	return NULL;
}

static inline void
vigil_subdev_init_try_interval(struct v4l2_subdev_state *state,
			       unsigned int pad, const struct v4l2_fract *ival)
{
}
#else
#define VIGIL_FI_STATE_ARG		state,
static inline struct v4l2_fract *
vigil_subdev_try_interval(struct v4l2_subdev_state *state,
			  struct v4l2_subdev_frame_interval *fi)
{
	if (fi->which != V4L2_SUBDEV_FORMAT_TRY)
		return NULL;
	return v4l2_subdev_state_get_interval(state, fi->pad);
}

static inline void
vigil_subdev_init_try_interval(struct v4l2_subdev_state *state,
			       unsigned int pad, const struct v4l2_fract *ival)
{
	*v4l2_subdev_state_get_interval(state, pad) = *ival;
}
#endif

static inline struct v4l2_mbus_framefmt *
vigil_subdev_try_fmt(struct v4l2_subdev *sd, struct v4l2_subdev_state *state,
		     unsigned int pad)
{
#if KERNEL_VERSION(6, 8, 0) > LINUX_VERSION_CODE
	return v4l2_subdev_get_try_format(sd, state, pad);
#else
	return v4l2_subdev_state_get_format(state, pad);
#endif
}

static inline int
vigil_subdev_call_g_frame_interval(struct v4l2_subdev *sd,
				   struct v4l2_subdev_frame_interval *fi)
{
#if KERNEL_VERSION(6, 8, 0) > LINUX_VERSION_CODE
	return v4l2_subdev_call(sd, video, g_frame_interval, fi);
#else
	return v4l2_subdev_call(sd, pad, get_frame_interval, NULL, fi);
#endif
}

static inline int
vigil_subdev_call_s_frame_interval(struct v4l2_subdev *sd,
				   struct v4l2_subdev_frame_interval *fi)
{
#if KERNEL_VERSION(6, 8, 0) > LINUX_VERSION_CODE
	return v4l2_subdev_call(sd, video, s_frame_interval, fi);
#else
	return v4l2_subdev_call(sd, pad, set_frame_interval, NULL, fi);
#endif
}

/* Symbol namespaces are strings from 6.13 on. */
#if KERNEL_VERSION(6, 13, 0) > LINUX_VERSION_CODE
#define VIGIL_IMPORT_NS_DMA_BUF		MODULE_IMPORT_NS(DMA_BUF)
#else
#define VIGIL_IMPORT_NS_DMA_BUF		MODULE_IMPORT_NS("DMA_BUF")
#endif

#endif /* _VIGIL_COMPAT_H */
