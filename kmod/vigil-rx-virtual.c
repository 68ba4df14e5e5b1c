// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the virtual receiver: takes frames from the virtual sensor.
 *
 * An hrtimer ticks at the sensor's frame interval, in place of a
 * receiver's frame-end interrupt, and kicks a work item that takes a queued
 * buffer and has the sensor render into it with the CPU
 * (vigil_vsensor_render(), the virtual sensor's private hook: on hardware
 * the receiver's DMA writes the pixels). Its output formatter offers what
 * a receiver's does: the bus format as is (YUYV, GREY) and 4:2:0 NV12 from
 * a 4:2:2 YUYV bus.
 */

#include <linux/dma-buf.h>
#include <linux/hrtimer.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "vigil.h"
#include "vigil-rx.h"
#include "vigil-vsensor.h"
#include "vigil_trace.h"

#define VIGIL_MAX_PENDING	2
/* error injection: the longest late tick, in ms (hard IRQ) */
#define VIGIL_MAX_STALL_MS	1000

VIGIL_IMPORT_NS_DMA_BUF;

/*
 * CPU writes into an imported dma-buf are bracketed by begin/end CPU
 * access, so that the exporter can make caches coherent.
 */
static struct dma_buf *vigil_rx_dmabuf(struct vigil_buffer *buf)
{
	struct vb2_buffer *vb = &buf->vb.vb2_buf;

	return vb->memory == VB2_MEMORY_DMABUF ? vb->planes[0].dbuf : NULL;
}

static void vigil_rx_render(struct vigil_dev *vd, struct vigil_buffer *buf,
			    u32 seq)
{
	struct dma_buf *dbuf = vigil_rx_dmabuf(buf);
	struct vigil_frame f;
	int ret;

	if (dbuf) {
		ret = dma_buf_begin_cpu_access(dbuf, DMA_BIDIRECTIONAL);
		if (ret)
			goto done;
	}
	vigil_frame_from_buffer(vd, buf, &f);
	trace_vigil_render_begin(vd->instance, seq);
	/* e.g. an imported dma-buf that refuses vmap: never write to NULL */
	ret = f.vaddr ? vigil_vsensor_render(vd->sensor, &f, seq) : -EFAULT;
	if (!ret)
		ret = vigil_privacy_apply(vd, &f);
	trace_vigil_render_end(vd->instance, seq);
	if (dbuf)
		dma_buf_end_cpu_access(dbuf, DMA_BIDIRECTIONAL);
done:
	if (ret)
		dev_dbg(vd->dev, "frame %u not rendered: %d\n", seq, ret);
	vigil_frame_done(vd, buf, seq, ret);
}

/*
 * The buffer for frame @seq, or NULL and the frame is held: both under
 * @rx->lock, which vigil_rx_buffer_queued() takes after buf_queue put its
 * buffer on the list. So either we find that buffer here, or
 * buffer_queued finds the frame held and kicks the worker: a buffer that
 * arrives while the frame looks for one never leaves it waiting.
 */
static struct vigil_buffer *vigil_rx_take_or_hold(struct vigil_rx_virtual *rx,
						  struct vigil_dev *vd, u32 seq)
{
	struct vigil_buffer *buf;
	unsigned long flags;

	spin_lock_irqsave(&rx->lock, flags);
	buf = vigil_next_buffer(vd);
	if (!buf) {
		rx->held_seq = seq;
		rx->held = true;
	}
	spin_unlock_irqrestore(&rx->lock, flags);
	return buf;
}

/*
 * The held frame takes a buffer if one is queued now; otherwise, with
 * @drop (its period is over), it is dropped. The decision is made under
 * @rx->lock, so a frame is dropped only when the queue was empty.
 */
static void vigil_rx_release_held(struct vigil_rx_virtual *rx,
				  struct vigil_dev *vd, bool drop)
{
	struct vigil_buffer *buf;
	unsigned long flags;
	bool dropped = false;
	u32 seq;

	spin_lock_irqsave(&rx->lock, flags);
	if (!rx->held) {
		spin_unlock_irqrestore(&rx->lock, flags);
		return;
	}
	seq = rx->held_seq;
	buf = vigil_next_buffer(vd);
	if (buf || drop) {
		rx->held = false;
		dropped = !buf;
	}
	spin_unlock_irqrestore(&rx->lock, flags);
	if (buf)
		vigil_rx_render(vd, buf, seq);
	else if (dropped)
		vigil_frame_dropped(vd);
}

static void vigil_rx_frame(struct vigil_dev *vd)
{
	struct vigil_rx_virtual *rx = &vd->rx;
	u32 seq = vigil_frame_start(vd);
	struct vigil_buffer *buf;
	bool wanted;

	vigil_vsensor_frame_period(vd->sensor);
	wanted = vigil_frame_wanted(vd, seq);
	/* standby: the sensor sleeps through periods without a frame */
	if (vigil_sensor_power(vd, wanted)) {
		if (wanted)
			vigil_frame_dropped(vd);
		return;
	}
	if (!wanted)
		return;
	if (READ_ONCE(vd->inject_drop)) {
		WRITE_ONCE(vd->inject_drop, vd->inject_drop - 1);
		vigil_frame_dropped(vd);
		return;
	}
	/*
	 * Like a sensor's output FIFO: without a buffer the frame waits until
	 * the next period for one, then it is dropped.
	 */
	buf = vigil_rx_take_or_hold(rx, vd, seq);
	if (buf)
		vigil_rx_render(vd, buf, seq);
}

/* Work items of one work_struct never run concurrently. */
static void vigil_rx_work(struct work_struct *work)
{
	struct vigil_dev *vd = container_of(work, struct vigil_dev, rx.work);
	struct vigil_rx_virtual *rx = &vd->rx;

	vigil_rx_release_held(rx, vd, false);
	while (atomic_read(&rx->pending) > 0) {
		atomic_dec(&rx->pending);
		/* the next period: a frame still held is dropped */
		vigil_rx_release_held(rx, vd, true);
		vigil_rx_frame(vd);
	}
}

/*
 * A buffer was queued while a frame waits for one: deliver it now, but not
 * before the VIDIOC_QBUF that queued the buffer has returned. QBUF holds
 * the queue lock from buf_queue until it has copied the buffer's state to
 * userspace, and a buffer completed in between is reported DONE by QBUF
 * itself (v4l2-compliance fails that; on PREEMPT_RT this worker, woken
 * from buf_queue, preempts the queueing task right there). Never waits for
 * the lock: stop_streaming holds it while cancelling this work.
 */
static void vigil_rx_kick(struct work_struct *work)
{
	struct vigil_dev *vd = container_of(to_delayed_work(work),
					    struct vigil_dev, rx.kick);

	if (!mutex_trylock(&vd->lock)) {
		queue_delayed_work(system_highpri_wq, &vd->rx.kick, 1);
		return;
	}
	mutex_unlock(&vd->lock);
	queue_work(system_highpri_wq, &vd->rx.work);
}

static void vigil_rx_buffer_queued(struct vigil_dev *vd)
{
	struct vigil_rx_virtual *rx = &vd->rx;
	unsigned long flags;
	bool held;

	/* after buf_queue listed the buffer: see vigil_rx_take_or_hold() */
	spin_lock_irqsave(&rx->lock, flags);
	held = rx->held;
	spin_unlock_irqrestore(&rx->lock, flags);
	if (held)
		mod_delayed_work(system_highpri_wq, &rx->kick, 0);
}

/*
 * Spin for @ms on the clock the frame timer runs on. Not mdelay(): that
 * counts the delay loop calibrated at boot for each CPU, and where that
 * calibration fails (a secondary vCPU of an emulator, whose TSC is unstable:
 * "calibrate_delay_direct() failed", a few BogoMIPS) a 520 ms mdelay() ends
 * after well under a millisecond.
 */
static void vigil_rx_stall(u32 ms)
{
	ktime_t end = ktime_add_ms(ktime_get(), ms);

	while (ktime_before(ktime_get(), end))
		cpu_relax();
}

/*
 * Hard IRQ. At most VIGIL_MAX_PENDING frame periods wait for the worker: when
 * the machine cannot keep up (an emulator under load), the receiver slows
 * down instead of inventing drops, so a sequence gap always means that no
 * buffer was queued. Periods skipped that way are counted in ticks_late:
 * one per tick that finds the worker VIGIL_MAX_PENDING periods behind, and
 * every period a late tick jumps over (the timer interrupt held off for
 * longer than a period: hrtimer_forward_now() returns more than one).
 */
static enum hrtimer_restart vigil_rx_timer(struct hrtimer *t)
{
	struct vigil_rx_virtual *rx = container_of(t, struct vigil_rx_virtual,
						   timer);
	struct vigil_dev *vd = container_of(rx, struct vigil_dev, rx);
	u32 stall_ms = READ_ONCE(vd->inject_stall_ms);
	u64 periods;

	/* error injection: this tick comes late, as if interrupts were off */
	if (stall_ms) {
		WRITE_ONCE(vd->inject_stall_ms, 0);
		vigil_rx_stall(min_t(u32, stall_ms, VIGIL_MAX_STALL_MS));
	}
	periods = hrtimer_forward_now(t, rx->period);
	if (periods > 1)
		atomic_add((int)min_t(u64, periods - 1, INT_MAX),
			   &rx->ticks_late);
	if (atomic_add_unless(&rx->pending, 1, VIGIL_MAX_PENDING))
		queue_work(system_highpri_wq, &rx->work);
	else
		atomic_inc(&rx->ticks_late);
	return HRTIMER_RESTART;
}

static bool vigil_rx_accepts(struct vigil_dev *vd, struct v4l2_subdev *sd)
{
	return vigil_vsensor_is_virtual(sd);
}

static int vigil_rx_start(struct vigil_dev *vd)
{
	struct vigil_rx_virtual *rx = &vd->rx;

	rx->period = ns_to_ktime(div_u64((u64)NSEC_PER_SEC *
					 vd->interval.numerator,
					 vd->interval.denominator));
	atomic_set(&rx->pending, 0);
	atomic_set(&rx->ticks_late, 0);
	rx->held = false;
	spin_lock_init(&rx->lock);
	INIT_WORK(&rx->work, vigil_rx_work);
	INIT_DELAYED_WORK(&rx->kick, vigil_rx_kick);
	hrtimer_init(&rx->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	rx->timer.function = vigil_rx_timer;
	/* the first frame is due now, then one per period */
	hrtimer_start(&rx->timer, 0, HRTIMER_MODE_REL);
	return 0;
}

static void vigil_rx_stop(struct vigil_dev *vd)
{
	struct vigil_rx_virtual *rx = &vd->rx;

	hrtimer_cancel(&rx->timer);
	cancel_delayed_work_sync(&rx->kick);
	cancel_work_sync(&rx->work);
	rx->held = false;
}

const struct vigil_rx_ops vigil_rx_virtual_ops = {
	.name = "virtual receiver",
	.accepts = vigil_rx_accepts,
	.start = vigil_rx_start,
	.stop = vigil_rx_stop,
	.buffer_queued = vigil_rx_buffer_queued,
};
