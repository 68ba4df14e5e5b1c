// SPDX-License-Identifier: GPL-2.0
/*
 * vigil: PIR motion sensor, recording LED and privacy switch
 *
 * The PIR output is a GPIO line ("pir"): devm_gpiod_get() -> gpiod_to_irq()
 * -> a threaded IRQ on both edges. The hard-IRQ handler takes the
 * CLOCK_MONOTONIC timestamp (the clock of the buffer timestamps), reads the
 * level, numbers the edge, decides the standby wake (the frame gate bit,
 * atomic state) and, except on PREEMPT_RT, queues the VIGIL_EVENT_PIR
 * itself: v4l2_event_queue() only takes spinlock_t with irqsave and wakes
 * the readers, which a hard-IRQ handler may do where spinlock_t spins (on
 * PREEMPT_RT it sleeps, so there the IRQ thread queues it). The edge then
 * goes into a ring for the IRQ thread, which does what needs process
 * context: the standby control's event, V4L2_EVENT_MOTION_DET and its hold
 * work. Nothing waits for userspace.
 *
 * Optional lines: "led" (recording LED, driven by the driver alone) and
 * "privacy" (privacy switch: while asserted the sensor produces no frames).
 *
 * Lost events are counted, never silent: every subscriber's event queue
 * (and the ring, where the thread queues the events) drops its oldest
 * entry when full and adds its count to the next entry's "lost" field.
 */

#include <linux/bitops.h>
#include <linux/device.h>
#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-event.h>

#include "vigil.h"
#include "vigil-pir.h"

#define CREATE_TRACE_POINTS
#include "vigil_trace.h"

/* Edges the hard-IRQ handler can queue for the IRQ thread. */
#define VIGIL_PIR_RING			256
#define VIGIL_PIR_OTHER_EVENT_DEPTH	8
#define VIGIL_PIR_HOLD_DEFAULT_MS	1000
#define VIGIL_LED_BLINK_MS		250

/*
 * VIGIL_EVENT_PIR is queued by the hard-IRQ handler, except on PREEMPT_RT,
 * where v4l2_event_queue()'s spinlock_t sleeps: there the IRQ thread queues
 * it (the hard handler stays in hard-IRQ context there: IRQF_ONESHOT).
 * A PIR behind a controller that can sleep has no hard handler at all.
 */
#define VIGIL_PIR_EVENT_IN_HARDIRQ	(!IS_ENABLED(CONFIG_PREEMPT_RT))

struct vigil_pir_edge {
	u64 ts_ns;
	u32 seq;
	u32 lost;				/* events merged away before it */
	u32 frame_seq;
	u8 level;
	u8 flags;				/* VIGIL_PIR_FL_* of its event */
	bool delivered;				/* VIGIL_EVENT_PIR queued */
	bool standby_ctrl;			/* a wake: update the control */
};

struct vigil_pir {
	struct vigil_dev *vd;
	struct gpio_desc *pir_gpio;
	struct gpio_desc *privacy_gpio;		/* optional */
	struct gpio_desc *led_gpio;		/* optional */
	int irq;
	int privacy_irq;
	bool irq_ready;				/* IRQs requested, probe done */
	bool pir_can_sleep;			/* nested thread, no hard IRQ */

	/*
	 * Protects the ring, @seq, @last_ns and @debounced. Raw: taken in
	 * the hard-IRQ handler, also on PREEMPT_RT.
	 */
	raw_spinlock_t ring_lock;
	struct vigil_pir_edge ring[VIGIL_PIR_RING];
	unsigned int head;			/* oldest entry */
	unsigned int count;
	u32 seq;				/* of the next edge */
	u64 last_ns;				/* last accepted edge */
	u64 debounced;				/* edges ignored */
	u64 ring_dropped;			/* edges merged away */

	/* controls; written by s_ctrl, read anywhere */
	u32 debounce_ns;
	u32 hold_ms;
	u32 standby_fps;
	bool wake_enabled;

	/*
	 * Protects @stream_on and the wake_* fields; frame completion may be
	 * any context, the wake is decided in the hard-IRQ handler. Raw: also
	 * there on PREEMPT_RT; taken inside @ring_lock.
	 */
	raw_spinlock_t wake_lock;
	bool stream_on;				/* a wake has a stream to wake */
	bool wake_pending;			/* first full-rate frame due */
	u32 wake_frame_seq;			/* first full-rate sequence */
	u32 wake_pir_seq;
	u64 wake_irq_ns;
	u64 wake_ns;
	u64 wakes;

	/* protects @in_motion; IRQ thread and @motion_work */
	struct mutex motion_lock;
	bool in_motion;
	bool level;				/* last level seen by the thread */
	struct delayed_work motion_work;

	bool privacy;				/* switch asserted */
	u32 md_mode;				/* V4L2_DETECT_MD_MODE_* */

	/* protects the LED state below and the LED line */
	struct mutex led_lock;
	bool streaming;
	bool led_on;
	bool blinking;
	bool removed;
	struct delayed_work blink_work;

	/* state controls: read-only (but standby), set by the driver */
	struct v4l2_ctrl *ctrl_standby;
	struct v4l2_ctrl *ctrl_led;
	struct v4l2_ctrl *ctrl_privacy;		/* NULL: no switch */
};

/* ---- recording LED ---------------------------------------------------- */

static void vigil_pir_led_set(struct vigil_pir *pir, bool on)
{
	lockdep_assert_held(&pir->led_lock);
	pir->led_on = on;
	if (pir->led_gpio)
		gpiod_set_value_cansleep(pir->led_gpio, on);
	/* The control follows, sending control events to subscribers. */
	if (pir->ctrl_led)
		v4l2_ctrl_s_ctrl(pir->ctrl_led, on);
}

/*
 * On while streaming (standby included), off otherwise; blinking while the
 * privacy switch is asserted.
 */
static void vigil_pir_led_update(struct vigil_pir *pir)
{
	mutex_lock(&pir->led_lock);
	if (pir->removed) {
		pir->blinking = false;
		vigil_pir_led_set(pir, false);
	} else if (READ_ONCE(pir->privacy)) {
		if (!pir->blinking) {
			pir->blinking = true;
			vigil_pir_led_set(pir, true);
			schedule_delayed_work(&pir->blink_work,
					      msecs_to_jiffies(VIGIL_LED_BLINK_MS));
		}
	} else {
		pir->blinking = false;
		vigil_pir_led_set(pir, pir->streaming);
	}
	mutex_unlock(&pir->led_lock);
}

static void vigil_pir_blink_work(struct work_struct *work)
{
	struct vigil_pir *pir = container_of(to_delayed_work(work),
					     struct vigil_pir, blink_work);

	mutex_lock(&pir->led_lock);
	if (pir->blinking && !pir->removed) {
		vigil_pir_led_set(pir, !pir->led_on);
		schedule_delayed_work(&pir->blink_work,
				      msecs_to_jiffies(VIGIL_LED_BLINK_MS));
	}
	mutex_unlock(&pir->led_lock);
}

/**
 * vigil_pir_streaming() - the sensor started or stopped streaming
 * @vd: the device
 * @on: streaming
 *
 * Drives the recording LED. Process context.
 */
void vigil_pir_streaming(struct vigil_dev *vd, bool on)
{
	struct vigil_pir *pir = vd->pir;
	unsigned long flags;

	if (!pir)
		return;
	/* A wake belongs to one stream: none is carried into the next. */
	raw_spin_lock_irqsave(&pir->wake_lock, flags);
	WRITE_ONCE(pir->stream_on, on);
	pir->wake_pending = false;
	raw_spin_unlock_irqrestore(&pir->wake_lock, flags);

	mutex_lock(&pir->led_lock);
	pir->streaming = on;
	mutex_unlock(&pir->led_lock);
	vigil_pir_led_update(pir);
}

/* ---- frame hooks ------------------------------------------------------ */

/**
 * vigil_pir_frame_done() - a frame is complete
 * @vd: the device
 * @sequence: its v4l2_buffer.sequence
 * @ts_ns: its timestamp
 *
 * Reports the first full-rate frame after a PIR wake with the tracepoint
 * vigil:vigil_pir_wake. Any context.
 */
void vigil_pir_frame_done(struct vigil_dev *vd, u32 sequence, u64 ts_ns)
{
	struct vigil_pir *pir = vd->pir;
	u64 irq_ns = 0, wake_ns = 0;
	unsigned long flags;
	bool done = false;
	u32 pir_seq = 0;

	if (!pir || !READ_ONCE(pir->wake_pending))
		return;

	raw_spin_lock_irqsave(&pir->wake_lock, flags);
	if (pir->wake_pending && (s32)(sequence - pir->wake_frame_seq) >= 0) {
		pir->wake_pending = false;
		irq_ns = pir->wake_irq_ns;
		wake_ns = pir->wake_ns;
		pir_seq = pir->wake_pir_seq;
		done = true;
	}
	raw_spin_unlock_irqrestore(&pir->wake_lock, flags);
	if (done)
		trace_vigil_pir_wake(vd->instance, irq_ns, wake_ns, ts_ns,
				     pir_seq, sequence);
}

/* ---- PIR interrupt ---------------------------------------------------- */

static u32 vigil_pir_frame_seq(struct vigil_pir *pir)
{
	/* The latest frame period started; U32_MAX before the first. */
	if (!READ_ONCE(pir->stream_on))
		return U32_MAX;
	return (u32)atomic_read(&pir->vd->sequence) - 1;
}

/*
 * Rising edge @e in standby while streaming: back to full rate now (the
 * frame gate's standby bit, read per frame). Without a stream there is
 * nothing to wake: standby stays set and no wake is left pending for the
 * next stream. The standby control follows in the IRQ thread. Any context,
 * under @ring_lock.
 */
static bool vigil_pir_wake(struct vigil_pir *pir,
			   const struct vigil_pir_edge *e)
{
	struct vigil_dev *vd = pir->vd;
	bool woke = false;

	lockdep_assert_held(&pir->ring_lock);
	if (!READ_ONCE(pir->wake_enabled) ||
	    !vigil_gate_test(&vd->gate, VIGIL_GATE_STANDBY))
		return false;

	raw_spin_lock(&pir->wake_lock);
	/* A stream stopping meanwhile keeps its standby: nothing to wake. */
	if (pir->stream_on &&
	    vigil_gate_test_and_clear(&vd->gate, VIGIL_GATE_STANDBY)) {
		pir->wake_ns = ktime_get_ns();
		pir->wake_irq_ns = e->ts_ns;
		pir->wake_pir_seq = e->seq;
		/* The frame period that starts next is the first at full rate. */
		pir->wake_frame_seq = (u32)atomic_read(&vd->sequence);
		pir->wake_pending = true;
		pir->wakes++;
		woke = true;
	}
	raw_spin_unlock(&pir->wake_lock);
	return woke;
}

/*
 * Number the edge seen at @ts with @level into @e and decide its wake;
 * false if the debounce time ignores it. The producer (the hard handler or
 * the nested thread) runs on one CPU at a time: the IRQ core serialises a
 * descriptor's handlers, so edges are numbered, delivered and queued for
 * the thread in the same order. Any context.
 */
static bool vigil_pir_accept(struct vigil_pir *pir, u64 ts, bool level,
			     struct vigil_pir_edge *e)
{
	u32 debounce_ns = READ_ONCE(pir->debounce_ns);
	unsigned long flags;

	raw_spin_lock_irqsave(&pir->ring_lock, flags);
	if (debounce_ns && pir->seq && ts - pir->last_ns < debounce_ns) {
		pir->debounced++;
		raw_spin_unlock_irqrestore(&pir->ring_lock, flags);
		return false;
	}
	pir->last_ns = ts;
	*e = (struct vigil_pir_edge){
		.ts_ns = ts,
		.seq = pir->seq++,
		.frame_seq = vigil_pir_frame_seq(pir),
		.level = level,
	};
	/* Wake first: it is what the latency budget is for. */
	if (level && vigil_pir_wake(pir, e)) {
		e->flags |= VIGIL_PIR_FL_WAKE;
		e->standby_ctrl = true;
	}
	raw_spin_unlock_irqrestore(&pir->ring_lock, flags);
	return true;
}

/*
 * Queue edge @e for the IRQ thread. Returns whether the thread must be
 * woken. Any context.
 */
static bool vigil_pir_push(struct vigil_pir *pir,
			   const struct vigil_pir_edge *e)
{
	unsigned long flags;
	bool wake;

	raw_spin_lock_irqsave(&pir->ring_lock, flags);
	if (pir->count == VIGIL_PIR_RING) {
		/* Full: merge the oldest edge into the next one. */
		struct vigil_pir_edge *old = &pir->ring[pir->head];
		struct vigil_pir_edge *next;

		pir->head = (pir->head + 1) % VIGIL_PIR_RING;
		next = &pir->ring[pir->head];
		/* Its event, if not queued yet, is lost: the next one says so. */
		if (!old->delivered)
			next->lost += old->lost + 1;
		next->standby_ctrl |= old->standby_ctrl;
		pir->count--;
		pir->ring_dropped++;
	}
	pir->ring[(pir->head + pir->count) % VIGIL_PIR_RING] = *e;
	/*
	 * The thread drains the ring until it is empty: it needs a wake-up
	 * only for an edge into an empty ring. Waking it for every edge of a
	 * storm would also look like an unhandled IRQ to the spurious-IRQ
	 * detector (one thread run handles many edges) and get it disabled.
	 */
	wake = !pir->count++;
	raw_spin_unlock_irqrestore(&pir->ring_lock, flags);
	return wake;
}

static bool vigil_pir_pop(struct vigil_pir *pir, struct vigil_pir_edge *e)
{
	unsigned long flags;
	bool ret = false;

	raw_spin_lock_irqsave(&pir->ring_lock, flags);
	if (pir->count) {
		*e = pir->ring[pir->head];
		pir->head = (pir->head + 1) % VIGIL_PIR_RING;
		pir->count--;
		ret = true;
	}
	raw_spin_unlock_irqrestore(&pir->ring_lock, flags);
	return ret;
}

/* Hand edge @e to userspace as VIGIL_EVENT_PIR. Not PREEMPT_RT's hard IRQ. */
static void vigil_pir_event(struct vigil_pir *pir,
			    const struct vigil_pir_edge *e)
{
	struct v4l2_event ev = {
		.type = VIGIL_EVENT_PIR,
	};
	struct vigil_event_pir *p = (struct vigil_event_pir *)ev.u.data;

	p->irq_ts_ns = e->ts_ns;
	p->seq = e->seq;
	p->frame_seq = e->frame_seq;
	p->lost = e->lost;
	p->level = e->level;
	p->flags = e->flags;
	vigil_event_queue(pir->vd, &ev);
}

/*
 * Without PREEMPT_RT spinlock_t spins, so vigil_pir_hardirq() may take
 * v4l2_event_queue()'s locks; lockdep's raw-lock nesting check
 * (CONFIG_PROVE_RAW_LOCK_NESTING) applies PREEMPT_RT's rule to every
 * kernel, this map tells it that the code is for !PREEMPT_RT only.
 */
static DEFINE_WAIT_OVERRIDE_MAP(vigil_pir_hardirq_map, LD_WAIT_CONFIG);

static irqreturn_t vigil_pir_hardirq(int irq, void *data)
{
	struct vigil_pir *pir = data;
	u64 ts = ktime_get_ns();
	struct vigil_pir_edge e;

	if (!vigil_pir_accept(pir, ts, gpiod_get_value(pir->pir_gpio) > 0, &e))
		return IRQ_HANDLED;
	if (VIGIL_PIR_EVENT_IN_HARDIRQ) {
		lock_map_acquire_try(&vigil_pir_hardirq_map);
		vigil_pir_event(pir, &e);
		lock_map_release(&vigil_pir_hardirq_map);
		e.delivered = true;
	}
	return vigil_pir_push(pir, &e) ? IRQ_WAKE_THREAD : IRQ_HANDLED;
}

static void vigil_pir_motion_event(struct vigil_pir *pir, bool motion,
				   u32 frame_seq)
{
	struct v4l2_event ev = {
		.type = V4L2_EVENT_MOTION_DET,
		.u.motion_det = {
			.region_mask = motion ? 1 : 0,
		},
	};

	if (READ_ONCE(pir->md_mode) == V4L2_DETECT_MD_MODE_DISABLED)
		return;
	/* Only a streaming sensor has a frame sequence to refer to. */
	if (frame_seq != U32_MAX) {
		ev.u.motion_det.flags = V4L2_EVENT_MD_FL_HAVE_FRAME_SEQ;
		ev.u.motion_det.frame_sequence = frame_seq;
	}

	vigil_event_queue(pir->vd, &ev);
}

static void vigil_pir_motion_work(struct work_struct *work)
{
	struct vigil_pir *pir = container_of(to_delayed_work(work),
					     struct vigil_pir, motion_work);

	mutex_lock(&pir->motion_lock);
	if (pir->in_motion && !pir->level) {
		pir->in_motion = false;
		vigil_pir_motion_event(pir, false,
				       vigil_pir_frame_seq(pir));
	}
	mutex_unlock(&pir->motion_lock);
}

static irqreturn_t vigil_pir_thread(int irq, void *data)
{
	struct vigil_pir *pir = data;
	struct vigil_pir_edge e;

	while (vigil_pir_pop(pir, &e)) {
		if (!e.delivered)
			vigil_pir_event(pir, &e);
		/* The control follows the wake (control event). */
		if (e.standby_ctrl)
			v4l2_ctrl_s_ctrl(pir->ctrl_standby, 0);

		mutex_lock(&pir->motion_lock);
		pir->level = e.level;
		if (e.level) {
			cancel_delayed_work(&pir->motion_work);
			if (!pir->in_motion) {
				pir->in_motion = true;
				vigil_pir_motion_event(pir, true, e.frame_seq);
			}
		} else if (pir->in_motion) {
			mod_delayed_work(system_wq, &pir->motion_work,
					 msecs_to_jiffies(READ_ONCE(pir->hold_ms)));
		}
		mutex_unlock(&pir->motion_lock);
	}
	return IRQ_HANDLED;
}

/*
 * The PIR behind a controller that can sleep (an I2C/SPI expander): its
 * IRQ is nested in the expander's IRQ thread, which runs only this
 * function, no hard handler. The timestamp is taken here, as early as this
 * controller allows.
 */
static irqreturn_t vigil_pir_nested_thread(int irq, void *data)
{
	struct vigil_pir *pir = data;
	u64 ts = ktime_get_ns();
	struct vigil_pir_edge e;

	if (vigil_pir_accept(pir, ts,
			     gpiod_get_value_cansleep(pir->pir_gpio) > 0, &e))
		vigil_pir_push(pir, &e);
	return vigil_pir_thread(irq, data);
}

/* ---- privacy switch --------------------------------------------------- */

/*
 * The switch changed: from the next frame period on no frame is produced
 * (or they resume). Userspace sees it as V4L2_CID_PRIVACY's control event.
 */
static irqreturn_t vigil_pir_privacy_thread(int irq, void *data)
{
	struct vigil_pir *pir = data;
	bool on = gpiod_get_value_cansleep(pir->privacy_gpio) > 0;

	if (on == READ_ONCE(pir->privacy))
		return IRQ_HANDLED;
	WRITE_ONCE(pir->privacy, on);
	/* From the next frame period on, no frame is produced. */
	vigil_gate_set(&pir->vd->gate, VIGIL_GATE_PRIVACY, on);
	v4l2_ctrl_s_ctrl(pir->ctrl_privacy, on);
	dev_dbg(pir->vd->dev, "privacy switch %s\n", on ? "on" : "off");
	vigil_pir_led_update(pir);
	return IRQ_HANDLED;
}

/* ---- V4L2 events ------------------------------------------------------ */

/* A subscriber's queue is full: the oldest event's count joins the next. */
static void vigil_pir_event_merge(const struct v4l2_event *old,
				  struct v4l2_event *new)
{
	const struct vigil_event_pir *o = (const void *)old->u.data;
	struct vigil_event_pir *n = (void *)new->u.data;

	n->lost += o->lost + 1;
}

static const struct v4l2_subscribed_event_ops vigil_pir_sev_ops = {
	.merge = vigil_pir_event_merge,
};

/**
 * vigil_pir_subscribe_event() - VIDIOC_SUBSCRIBE_EVENT of the capture node
 * @fh: the file handle
 * @sub: the subscription
 *
 * VIGIL_EVENT_PIR gets a queue of VIGIL_PIR_EVENT_QUEUE_DEPTH events per
 * subscriber; the others VIGIL_PIR_OTHER_EVENT_DEPTH. Control events as
 * usual.
 */
int vigil_pir_subscribe_event(struct v4l2_fh *fh,
			      const struct v4l2_event_subscription *sub)
{
	switch (sub->type) {
	case VIGIL_EVENT_PIR:
		return v4l2_event_subscribe(fh, sub,
					    VIGIL_PIR_EVENT_QUEUE_DEPTH,
					    &vigil_pir_sev_ops);
	case V4L2_EVENT_MOTION_DET:
		return v4l2_event_subscribe(fh, sub,
					    VIGIL_PIR_OTHER_EVENT_DEPTH, NULL);
	default:
		return v4l2_ctrl_subscribe_event(fh, sub);
	}
}

/* ---- controls --------------------------------------------------------- */

static int vigil_pir_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct vigil_pir *pir = ctrl->priv;

	switch (ctrl->id) {
	case VIGIL_CID_PIR_DEBOUNCE_US:
		WRITE_ONCE(pir->debounce_ns, ctrl->val * NSEC_PER_USEC);
		return 0;
	case VIGIL_CID_PIR_HOLD_MS:
		WRITE_ONCE(pir->hold_ms, ctrl->val);
		return 0;
	case V4L2_CID_DETECT_MD_MODE:
		WRITE_ONCE(pir->md_mode, ctrl->val);
		return 0;
	case VIGIL_CID_STANDBY:
		vigil_gate_set(&pir->vd->gate, VIGIL_GATE_STANDBY, ctrl->val);
		return 0;
	case VIGIL_CID_STANDBY_FPS:
		WRITE_ONCE(pir->standby_fps, ctrl->val);
		vigil_gate_set_keepalive(&pir->vd->gate, ctrl->val);
		return 0;
	case VIGIL_CID_PIR_WAKE:
		WRITE_ONCE(pir->wake_enabled, ctrl->val);
		return 0;
	}
	return -EINVAL;
}

static const struct v4l2_ctrl_ops vigil_pir_ctrl_ops = {
	.s_ctrl = vigil_pir_s_ctrl,
};

static const struct v4l2_ctrl_config vigil_pir_ctrls[] = {
	{
		.ops = &vigil_pir_ctrl_ops,
		.id = VIGIL_CID_PIR_DEBOUNCE_US,
		.name = "PIR Debounce (us)",
		.type = V4L2_CTRL_TYPE_INTEGER,
		.max = 1000000,
		.step = 1,
	}, {
		.ops = &vigil_pir_ctrl_ops,
		.id = VIGIL_CID_PIR_HOLD_MS,
		.name = "PIR Motion Hold (ms)",
		.type = V4L2_CTRL_TYPE_INTEGER,
		.max = 60000,
		.step = 1,
		.def = VIGIL_PIR_HOLD_DEFAULT_MS,
	}, {
		.ops = &vigil_pir_ctrl_ops,
		.id = VIGIL_CID_STANDBY,
		.name = "Standby",
		.type = V4L2_CTRL_TYPE_BOOLEAN,
		.max = 1,
		.step = 1,
	}, {
		.ops = &vigil_pir_ctrl_ops,
		.id = VIGIL_CID_STANDBY_FPS,
		.name = "Standby Keep-alive FPS",
		.type = V4L2_CTRL_TYPE_INTEGER,
		.max = VIGIL_MAX_FPS,
		.step = 1,
		.def = 1,
	}, {
		.ops = &vigil_pir_ctrl_ops,
		.id = VIGIL_CID_PIR_WAKE,
		.name = "PIR Wakes Sensor",
		.type = V4L2_CTRL_TYPE_BOOLEAN,
		.max = 1,
		.step = 1,
		.def = 1,
	}, {
		/* no ops: set by the driver alone (v4l2_ctrl_s_ctrl()) */
		.id = VIGIL_CID_REC_LED,
		.name = "Recording LED",
		.type = V4L2_CTRL_TYPE_BOOLEAN,
		.max = 1,
		.step = 1,
		.flags = V4L2_CTRL_FLAG_READ_ONLY,
	},
};

static int vigil_pir_ctrls_init(struct vigil_pir *pir)
{
	struct v4l2_ctrl_handler *hdl = &pir->vd->ctrl_handler;
	struct v4l2_ctrl *ctrl;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vigil_pir_ctrls); i++) {
		ctrl = v4l2_ctrl_new_custom(hdl, &vigil_pir_ctrls[i], pir);
		if (!ctrl)
			continue;
		if (ctrl->id == VIGIL_CID_STANDBY)
			pir->ctrl_standby = ctrl;
		else if (ctrl->id == VIGIL_CID_REC_LED)
			pir->ctrl_led = ctrl;
	}
	/* The PIR detects motion of the whole view: global mode only. */
	ctrl = v4l2_ctrl_new_std_menu(hdl, &vigil_pir_ctrl_ops,
				      V4L2_CID_DETECT_MD_MODE,
				      V4L2_DETECT_MD_MODE_GLOBAL, 0,
				      V4L2_DETECT_MD_MODE_GLOBAL);
	if (ctrl)
		ctrl->priv = pir;
	pir->md_mode = V4L2_DETECT_MD_MODE_GLOBAL;
	if (pir->privacy_gpio) {
		/* no ops: set by the driver alone */
		ctrl = v4l2_ctrl_new_std(hdl, NULL, V4L2_CID_PRIVACY, 0, 1, 1,
					 READ_ONCE(pir->privacy));
		if (ctrl)
			ctrl->flags |= V4L2_CTRL_FLAG_READ_ONLY;
		pir->ctrl_privacy = ctrl;
	}
	return hdl->error;
}

/* ---- probe / remove --------------------------------------------------- */

/**
 * vigil_pir_init() - take the PIR, privacy and LED lines
 * @vd: the device, its video node registered
 *
 * Lines come from the firmware node ("pir-gpios", optional
 * "privacy-gpios" and "led-gpios") or a GPIO lookup table.
 *
 * Return: 0 or a negative error code.
 */
int vigil_pir_init(struct vigil_dev *vd)
{
	struct device *dev = vd->dev;
	struct vigil_pir *pir;
	const char *name, *irq_name;
	int ret;

	/*
	 * Not devm: its controls (in @vd's handler) refer to it until the
	 * last file handle is closed; vigil_pir_free() frees it with @vd.
	 */
	pir = kzalloc(sizeof(*pir), GFP_KERNEL);
	if (!pir)
		return -ENOMEM;
	pir->vd = vd;
	raw_spin_lock_init(&pir->ring_lock);
	raw_spin_lock_init(&pir->wake_lock);
	mutex_init(&pir->motion_lock);
	mutex_init(&pir->led_lock);
	INIT_DELAYED_WORK(&pir->motion_work, vigil_pir_motion_work);
	INIT_DELAYED_WORK(&pir->blink_work, vigil_pir_blink_work);
	pir->hold_ms = VIGIL_PIR_HOLD_DEFAULT_MS;
	pir->standby_fps = 1;
	pir->wake_enabled = true;
	/*
	 * Published now, so that vigil_pir_free() finds it whatever happens
	 * below; the producer hooks cope with lines and IRQs not taken yet.
	 */
	vd->pir = pir;

	pir->pir_gpio = devm_gpiod_get(dev, "pir", GPIOD_IN);
	if (IS_ERR(pir->pir_gpio))
		return dev_err_probe(dev, PTR_ERR(pir->pir_gpio),
				     "no PIR line\n");
	pir->privacy_gpio = devm_gpiod_get_optional(dev, "privacy", GPIOD_IN);
	if (IS_ERR(pir->privacy_gpio))
		return dev_err_probe(dev, PTR_ERR(pir->privacy_gpio),
				     "bad privacy line\n");
	pir->led_gpio = devm_gpiod_get_optional(dev, "led", GPIOD_OUT_LOW);
	if (IS_ERR(pir->led_gpio))
		return dev_err_probe(dev, PTR_ERR(pir->led_gpio),
				     "bad LED line\n");

	name = devm_kasprintf(dev, GFP_KERNEL, "%s pir", dev_name(dev));
	if (!name)
		return -ENOMEM;
	gpiod_set_consumer_name(pir->pir_gpio, name);

	if (pir->privacy_gpio) {
		pir->privacy = gpiod_get_value_cansleep(pir->privacy_gpio) > 0;
		vigil_gate_set(&vd->gate, VIGIL_GATE_PRIVACY, pir->privacy);
	}
	ret = vigil_pir_ctrls_init(pir);
	if (ret)
		return dev_err_probe(dev, ret, "PIR controls\n");

	if (pir->privacy_gpio) {
		irq_name = devm_kasprintf(dev, GFP_KERNEL, "vigil-privacy:%s",
					  dev_name(dev));
		if (!irq_name)
			return -ENOMEM;
		pir->privacy_irq = gpiod_to_irq(pir->privacy_gpio);
		if (pir->privacy_irq < 0)
			return dev_err_probe(dev, pir->privacy_irq,
					     "privacy line has no IRQ\n");
		ret = devm_request_threaded_irq(dev, pir->privacy_irq, NULL,
						vigil_pir_privacy_thread,
						IRQF_ONESHOT |
						IRQF_TRIGGER_RISING |
						IRQF_TRIGGER_FALLING,
						irq_name, pir);
		if (ret)
			return dev_err_probe(dev, ret, "privacy IRQ\n");
	}

	irq_name = devm_kasprintf(dev, GFP_KERNEL, "vigil-pir:%s",
				  dev_name(dev));
	if (!irq_name) {
		ret = -ENOMEM;
		goto err_privacy;
	}
	pir->pir_can_sleep = gpiod_cansleep(pir->pir_gpio);
	pir->irq = gpiod_to_irq(pir->pir_gpio);
	if (pir->irq < 0) {
		ret = dev_err_probe(dev, pir->irq, "PIR line has no IRQ\n");
		goto err_privacy;
	}
	/*
	 * IRQF_ONESHOT also keeps the hard handler in hard-IRQ context on
	 * PREEMPT_RT (no forced threading), where the timestamp belongs. A
	 * line that can sleep has a nested-threaded IRQ: no hard handler
	 * would ever run, so the thread does its work.
	 */
	ret = devm_request_threaded_irq(dev, pir->irq,
					pir->pir_can_sleep ? NULL :
							     vigil_pir_hardirq,
					pir->pir_can_sleep ?
						vigil_pir_nested_thread :
						vigil_pir_thread,
					IRQF_ONESHOT | IRQF_TRIGGER_RISING |
					IRQF_TRIGGER_FALLING,
					irq_name, pir);
	if (ret) {
		dev_err_probe(dev, ret, "PIR IRQ\n");
		goto err_privacy;
	}

	pir->irq_ready = true;
	vigil_pir_led_update(pir);
	dev_dbg(dev, "PIR on IRQ %d, privacy %s, LED %s\n", pir->irq,
		pir->privacy_gpio ? "yes" : "no", pir->led_gpio ? "yes" : "no");
	return 0;

err_privacy:
	/* Not left to devm: the caller frees @vd before devm runs. */
	if (pir->privacy_gpio) {
		devm_free_irq(dev, pir->privacy_irq, pir);
		cancel_delayed_work_sync(&pir->blink_work);
	}
	return ret;
}

/**
 * vigil_pir_remove() - stop the PIR path
 * @vd: the device, after vigil_cap_unregister()
 *
 * Frees the IRQs (waiting for running handlers) and the works, switches
 * the LED off. The lines go with the device (devm); @pir stays for its
 * controls until vigil_pir_free().
 */
void vigil_pir_remove(struct vigil_dev *vd)
{
	struct vigil_pir *pir = vd->pir;

	if (!pir || !pir->irq_ready)
		return;
	pir->irq_ready = false;
	devm_free_irq(vd->dev, pir->irq, pir);
	if (pir->privacy_gpio)
		devm_free_irq(vd->dev, pir->privacy_irq, pir);
	cancel_delayed_work_sync(&pir->motion_work);

	mutex_lock(&pir->led_lock);
	pir->removed = true;
	mutex_unlock(&pir->led_lock);
	vigil_pir_led_update(pir);
	cancel_delayed_work_sync(&pir->blink_work);
}

/**
 * vigil_pir_free() - free the PIR state
 * @vd: the device, released (its control handler freed)
 *
 * Called from the v4l2_device release, after the last file handle is
 * closed: nothing can reach the PIR controls any more.
 */
void vigil_pir_free(struct vigil_dev *vd)
{
	struct vigil_pir *pir = vd->pir;

	if (!pir)
		return;
	vd->pir = NULL;
	mutex_destroy(&pir->led_lock);
	mutex_destroy(&pir->motion_lock);
	kfree(pir);
}
