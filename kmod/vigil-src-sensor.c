// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the virtual sensor: a frame producer paced by an hrtimer. The
 * timer numbers frame periods and kicks a work item that takes a queued
 * buffer, renders the scene or the replay footage into it with the CPU and
 * completes it through the same path a hardware receiver's IRQ would use.
 */

#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "vigil.h"
#include "vigil-pir.h"

#define VIGIL_MAX_PENDING	2

static void vigil_sensor_render(struct vigil_dev *vd, struct vigil_buffer *buf,
				u32 seq)
{
	struct vigil_sensor *s = &vd->sensor;
	struct vigil_frame f;
	ktime_t start = ktime_get();

	vigil_frame_from_buffer(vd, buf, &f);
	if (s->source == VIGIL_SOURCE_REPLAY) {
		struct vigil_replay *rp = vigil_replay_get(vd);

		vigil_replay_render(rp, &f, seq);
		vigil_replay_put(rp);
	} else {
		struct vigil_scene *sc = vigil_scene_get(vd);

		vigil_scene_render(vd, s, sc, &f, seq);
		vigil_scene_put(sc);
	}
	vigil_frame_done(vd, buf, seq);
	s->render_us_last = ktime_us_delta(ktime_get(), start);
	s->render_us_max = max(s->render_us_max, s->render_us_last);
}

static void vigil_sensor_frame(struct vigil_dev *vd)
{
	struct vigil_sensor *s = &vd->sensor;
	u32 seq = vigil_frame_start(vd);
	struct vigil_buffer *buf;

	if (s->source == VIGIL_SOURCE_SCENE)
		vigil_pir_scene_warm(vd, vigil_scene_warm_in_view(vd));
	if (!vigil_pir_frame_wanted(vd, seq))
		return;
	if (READ_ONCE(vd->inject_drop)) {
		WRITE_ONCE(vd->inject_drop, vd->inject_drop - 1);
		vigil_frame_dropped(vd);
		return;
	}
	buf = vigil_next_buffer(vd);
	if (!buf) {
		/*
		 * Like a sensor's output FIFO: the frame waits until the
		 * next period for a buffer, then it is dropped.
		 */
		s->held_seq = seq;
		WRITE_ONCE(s->held, true);
		return;
	}
	vigil_sensor_render(vd, buf, seq);
}

/* Work items of one work_struct never run concurrently: @held is ours. */
static void vigil_sensor_work(struct work_struct *work)
{
	struct vigil_dev *vd = container_of(work, struct vigil_dev,
					    sensor.work);
	struct vigil_sensor *s = &vd->sensor;
	struct vigil_buffer *buf;

	if (s->held) {
		buf = vigil_next_buffer(vd);
		if (buf) {
			WRITE_ONCE(s->held, false);
			vigil_sensor_render(vd, buf, s->held_seq);
		}
	}
	while (atomic_read(&s->pending) > 0) {
		atomic_dec(&s->pending);
		if (s->held) {
			WRITE_ONCE(s->held, false);
			vigil_frame_dropped(vd);
		}
		vigil_sensor_frame(vd);
	}
}

/* A buffer was queued: deliver a frame waiting for one. */
static void vigil_sensor_buffer_queued(struct vigil_dev *vd)
{
	if (READ_ONCE(vd->sensor.held))
		queue_work(system_highpri_wq, &vd->sensor.work);
}

/*
 * Hard IRQ. At most VIGIL_MAX_PENDING frame periods wait for the worker: when
 * the machine cannot keep up (an emulator under load), the sensor slows down
 * instead of inventing drops, so a sequence gap always means that no buffer
 * was queued. Periods skipped that way are counted in ticks_late.
 */
static enum hrtimer_restart vigil_sensor_timer(struct hrtimer *t)
{
	struct vigil_sensor *s = container_of(t, struct vigil_sensor, timer);

	hrtimer_forward_now(t, s->period);
	if (atomic_add_unless(&s->pending, 1, VIGIL_MAX_PENDING))
		queue_work(system_highpri_wq, &s->work);
	else
		atomic_inc(&s->ticks_late);
	return HRTIMER_RESTART;
}

static void vigil_sensor_free(struct vigil_sensor *s)
{
	kfree(s->line);
	s->line = NULL;
	kfree(s->chroma);
	s->chroma = NULL;
}

static int vigil_sensor_start(struct vigil_dev *vd)
{
	struct vigil_sensor *s = &vd->sensor;
	int ret;

	s->interval_num = vd->timeperframe.numerator;
	s->interval_den = vd->timeperframe.denominator;
	s->period = ns_to_ktime(div_u64((u64)NSEC_PER_SEC * s->interval_num,
					s->interval_den));
	s->line = kmalloc(vd->fmt.width, GFP_KERNEL);
	s->chroma = kmalloc(vd->fmt.width, GFP_KERNEL);
	if (!s->line || !s->chroma) {
		ret = -ENOMEM;
		goto err;
	}
	if (s->source == VIGIL_SOURCE_SCENE) {
		ret = vigil_scene_prepare(vd, s);
		if (ret)
			goto err;
	}

	s->render_us_max = 0;
	atomic_set(&s->pending, 0);
	atomic_set(&s->ticks_late, 0);
	s->held = false;
	INIT_WORK(&s->work, vigil_sensor_work);
	hrtimer_init(&s->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	s->timer.function = vigil_sensor_timer;
	WRITE_ONCE(vd->epoch, ktime_get());
	/* the first frame is due now, then one per period */
	hrtimer_start(&s->timer, 0, HRTIMER_MODE_REL);
	return 0;

err:
	vigil_sensor_free(s);
	return ret;
}

static void vigil_sensor_stop(struct vigil_dev *vd)
{
	struct vigil_sensor *s = &vd->sensor;

	hrtimer_cancel(&s->timer);
	cancel_work_sync(&s->work);
	s->held = false;
	vigil_sensor_free(s);
}

/**
 * vigil_sensor_exit() - free what the sensor keeps between streams
 * @vd: the device, not streaming
 */
void vigil_sensor_exit(struct vigil_dev *vd)
{
	vfree(vd->sensor.bg);
	vd->sensor.bg = NULL;
	kfree(vd->sensor.noise);
	vd->sensor.noise = NULL;
}

const struct vigil_src_ops vigil_sensor_ops = {
	.name = "virtual sensor",
	.start = vigil_sensor_start,
	.stop = vigil_sensor_stop,
	.buffer_queued = vigil_sensor_buffer_queued,
};

/**
 * vigil_set_standby() - put the source in standby or wake it up
 * @vd: the device
 * @standby: true to stop delivering frames
 *
 * In standby the frame clock keeps running (sequence numbers advance, so a
 * client sees the pause as a gap) but no buffer is filled and nothing is
 * counted as dropped. Any context.
 */
void vigil_set_standby(struct vigil_dev *vd, bool standby)
{
	WRITE_ONCE(vd->standby, standby);
}
