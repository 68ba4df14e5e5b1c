/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil - differences between the kernel versions vigil builds against.
 * Every LINUX_VERSION_CODE check of the driver lives here.
 */
#ifndef _VIGIL_COMPAT_H
#define _VIGIL_COMPAT_H

#include <linux/version.h>
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

#endif /* _VIGIL_COMPAT_H */
