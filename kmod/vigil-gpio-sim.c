// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-gpio-sim: simulated GPIO controller of vigil's virtual board
 *
 * A module of its own: a platform driver plus nr_chips controllers
 * "vigil-gpio-sim.<n>", each a real gpio_chip (owner this module, parent
 * its platform device) with a gpiolib irqchip (edge and level, both
 * polarities), so that vigil's PIR driver and userspace (gpiodetect,
 * gpioinfo, gpiomon, libgpiod) use it exactly like a SoC GPIO controller.
 * Consumers find it through gpiolib (vigil's virtual board adds a GPIO
 * lookup table keyed by the controller's label); nothing calls into this
 * module directly. A requested line or IRQ pins the module.
 *
 * Lines (uapi/vigil-gpio-sim.h, VIGIL_GPIO_LINE_*):
 *   0 vigil-pir         input, PIR output, requested by vigil
 *   1 vigil-pir-mirror  input, same level as line 0, free for userspace
 *   2 vigil-privacy     input, privacy switch (high = asserted)
 *   3 vigil-rec-led     output, recording LED, requested by vigil
 *   4 vigil-scene-warm  output, "a warm object is in view", driven by
 *                       vigil's virtual sensor: the PIR model's input
 *
 * The PIR lines are driven either by a PIR model fed through line 4 (or
 * debugfs "presence") or by the debugfs test interface, which
 * sets levels or emits pulse trains from a hard hrtimer and records the
 * CLOCK_MONOTONIC time of every edge it emits. Interrupts are raised with
 * generic_handle_domain_irq() from hard-IRQ context (the hrtimer callback,
 * an irq_work, or a debugfs write with interrupts disabled), as a GPIO
 * controller's chained handler would.
 *
 * A controller whose bit is set in the module parameter can_sleep acts as
 * an I2C/SPI GPIO expander instead: gc->can_sleep, and its interrupts are
 * nested-threaded (gc->irq.threaded), raised with handle_nested_irq() from
 * a work item standing for the expander's IRQ thread, so consumers' hard
 * handlers never run (what vigil's PIR must cope with).
 *
 * A device-tree node "vigil,gpio-sim" (dts/bindings/gpio/vigil,gpio-sim.yaml)
 * instantiates a controller too, for a DT board without PIR hardware (QEMU's
 * arm64 virt machine): its consumers find it by phandle, its label and
 * debugfs directory are its device name, and its line names are those of
 * the node's gpio-line-names (else ".<id>"-suffixed, with an id above those
 * of the module's own controllers). nr_chips=0 leaves only such nodes.
 *
 * Based on drivers/gpio/gpio-sim.c and drivers/gpio/gpio-mockup.c.
 */

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/gpio/consumer.h>
#include <linux/gpio/driver.h>
#include <linux/gpio/machine.h>
#include <linux/hrtimer.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/irqdesc.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "uapi/vigil-gpio-sim.h"

#define VIGIL_GPIO_SIM_DRV_NAME		"vigil-gpio-sim"
#define VIGIL_GPIO_SIM_MAX		16

static unsigned int nr_chips = 8;
module_param(nr_chips, uint, 0444);
MODULE_PARM_DESC(nr_chips,
		 "number of controllers vigil-gpio-sim.<n> (0-16, default 8)");

static unsigned int can_sleep;
module_param(can_sleep, uint, 0444);
MODULE_PARM_DESC(can_sleep,
		 "bit n set: controller n acts as a GPIO expander that can sleep (nested-threaded IRQs; default 0)");

/* PIR model defaults, in the range of common pyroelectric modules. */
#define VIGIL_PIR_RISE_DELAY_MS		150
#define VIGIL_PIR_HOLD_MS		2000
#define VIGIL_PIR_BLIND_MS		1000
#define VIGIL_PIR_MODEL_MIN_MS		1
#define VIGIL_PIR_MODEL_MAX_MS		60000

enum vigil_pir_state {
	VIGIL_PIR_IDLE,		/* output low, watching */
	VIGIL_PIR_ARMING,	/* warm object seen, rise delay running */
	VIGIL_PIR_HIGH,		/* output high, held/retriggered */
	VIGIL_PIR_BLIND,	/* output low, blind after falling */
};

struct vigil_gpio_sim {
	struct device *dev;
	struct gpio_chip gc;
	unsigned int id;
	struct dentry *dbg;
	const char *names[VIGIL_GPIO_NLINES];

	/*
	 * Protects every field below up to the train buffer pointer, and
	 * the train buffer contents. Raw: taken from hard-IRQ context
	 * (hrtimers, irqchip callbacks) also on PREEMPT_RT. Never held
	 * while an interrupt is raised.
	 */
	raw_spinlock_t lock;
	bool dying;
	DECLARE_BITMAP(value, VIGIL_GPIO_NLINES);	/* line levels */
	DECLARE_BITMAP(masked, VIGIL_GPIO_NLINES);	/* irq masked */
	DECLARE_BITMAP(requested, VIGIL_GPIO_NLINES);	/* irq has a user */
	DECLARE_BITMAP(refire, VIGIL_GPIO_NLINES);	/* level irq to replay */
	unsigned int irq_type[VIGIL_GPIO_NLINES];	/* IRQ_TYPE_* */
	u64 edges[VIGIL_GPIO_NLINES];			/* level changes */
	u64 irqs[VIGIL_GPIO_NLINES];			/* interrupts raised */
	u64 led_changes;

	/* PIR model, fed by the virtual sensor */
	enum vigil_pir_state pir_state;
	bool presence;
	bool model_level;
	u32 rise_delay_ms;
	u32 hold_ms;
	u32 blind_ms;
	struct hrtimer model_timer;

	/* Pulse train (debugfs "train"); edge i is rising when i is even. */
	bool train_running;
	u32 train_count;	/* pulses */
	u64 train_period_ns;	/* up to VIGIL_GPIO_SIM_TRAIN_MAX_US */
	u64 train_width_ns;
	u32 train_emitted;	/* edges emitted so far */
	ktime_t train_start;
	u64 *train_edge_ns;	/* 2 * train_count CLOCK_MONOTONIC times */
	struct hrtimer train_timer;

	struct irq_work refire_work;

	/*
	 * can_sleep controllers: interrupts to raise from nested_work, one
	 * count per edge (under @lock), as an expander's IRQ thread would.
	 */
	bool nested;
	u32 nested_pending[VIGIL_GPIO_NLINES];
	struct work_struct nested_work;
};

/* The controllers' platform devices, created at module init. */
static struct platform_device *vigil_gpio_sim_pdevs[VIGIL_GPIO_SIM_MAX];

/* Serialises debugfs "train" writers (allocation of the edge buffer). */
static DEFINE_MUTEX(train_mutex);

static const char *const vigil_gpio_sim_names[VIGIL_GPIO_NLINES] = {
	[VIGIL_GPIO_LINE_PIR] = VIGIL_GPIO_NAME_PIR,
	[VIGIL_GPIO_LINE_PIR_MIRROR] = VIGIL_GPIO_NAME_PIR_MIRROR,
	[VIGIL_GPIO_LINE_PRIVACY] = VIGIL_GPIO_NAME_PRIVACY,
	[VIGIL_GPIO_LINE_REC_LED] = VIGIL_GPIO_NAME_REC_LED,
	[VIGIL_GPIO_LINE_WARM] = VIGIL_GPIO_NAME_WARM,
};

static bool vigil_gpio_sim_is_input(unsigned int offset)
{
	return offset != VIGIL_GPIO_LINE_REC_LED &&
	       offset != VIGIL_GPIO_LINE_WARM;
}

static void vigil_pir_model_presence(struct vigil_gpio_sim *sim, bool warm);

/* ---- interrupt raising ------------------------------------------------ */

/* Does a change of @offset to @level (from @old) raise its interrupt? */
static bool vigil_gpio_sim_triggers(struct vigil_gpio_sim *sim,
				    unsigned int offset, bool old, bool level)
{
	unsigned int type = sim->irq_type[offset];

	/* No user: nothing latches (no stale edge for the next one). */
	if (!test_bit(offset, sim->requested))
		return false;
	if (old != level) {
		if (level && (type & IRQ_TYPE_EDGE_RISING))
			return true;
		if (!level && (type & IRQ_TYPE_EDGE_FALLING))
			return true;
	}
	if (test_bit(offset, sim->masked))
		return false;
	return (level && (type & IRQ_TYPE_LEVEL_HIGH)) ||
	       (!level && (type & IRQ_TYPE_LEVEL_LOW));
}

/* Level-triggered and the line is at its active level? Lock held. */
static bool vigil_gpio_sim_level_active(struct vigil_gpio_sim *sim,
					unsigned int offset)
{
	unsigned int type = sim->irq_type[offset];
	bool level = test_bit(offset, sim->value);

	return (level && (type & IRQ_TYPE_LEVEL_HIGH)) ||
	       (!level && (type & IRQ_TYPE_LEVEL_LOW));
}

/*
 * The expander's IRQ thread (can_sleep controllers): runs the consumers'
 * thread functions with handle_nested_irq(), once per edge raised.
 */
static void vigil_gpio_sim_nested_work(struct work_struct *work)
{
	struct vigil_gpio_sim *sim = container_of(work, struct vigil_gpio_sim,
						  nested_work);
	struct irq_domain *domain = sim->gc.irq.domain;
	unsigned int offset, irq;
	unsigned long flags;
	bool more;

	do {
		more = false;
		for (offset = 0; offset < VIGIL_GPIO_NLINES; offset++) {
			raw_spin_lock_irqsave(&sim->lock, flags);
			if (!sim->nested_pending[offset] || sim->dying) {
				raw_spin_unlock_irqrestore(&sim->lock, flags);
				continue;
			}
			sim->nested_pending[offset]--;
			more = true;
			raw_spin_unlock_irqrestore(&sim->lock, flags);
			irq = domain ? irq_find_mapping(domain, offset) : 0;
			if (irq)
				handle_nested_irq(irq);
		}
		cond_resched();
	} while (more);
}

/* Raise the interrupts in @pending. Hard-IRQ context, sim->lock not held. */
static void vigil_gpio_sim_raise(struct vigil_gpio_sim *sim,
				 unsigned long pending)
{
	struct irq_domain *domain = sim->gc.irq.domain;
	unsigned int offset;

	lockdep_assert_irqs_disabled();
	if (!domain || !pending)
		return;
	if (sim->nested) {
		raw_spin_lock(&sim->lock);
		for_each_set_bit(offset, &pending, VIGIL_GPIO_NLINES)
			sim->nested_pending[offset]++;
		if (!sim->dying)
			queue_work(system_highpri_wq, &sim->nested_work);
		raw_spin_unlock(&sim->lock);
		return;
	}
	for_each_set_bit(offset, &pending, VIGIL_GPIO_NLINES) {
		if (!irq_find_mapping(domain, offset))
			continue;
		generic_handle_domain_irq(domain, offset);
	}
}

/*
 * Set input @offset (and the PIR mirror with the PIR) to @level. Returns
 * the interrupts to raise; the caller raises them after dropping the lock.
 * If @edge_ns is not NULL it receives the time the edge was emitted.
 */
static unsigned long vigil_gpio_sim_set_locked(struct vigil_gpio_sim *sim,
					       unsigned int offset, bool level,
					       u64 *edge_ns)
{
	unsigned long pending = 0;
	unsigned int lines[2] = { offset, VIGIL_GPIO_LINE_PIR_MIRROR };
	unsigned int i, n = offset == VIGIL_GPIO_LINE_PIR ? 2 : 1;

	lockdep_assert_held(&sim->lock);
	for (i = 0; i < n; i++) {
		unsigned int l = lines[i];
		bool old = test_bit(l, sim->value);

		if (old != level)
			sim->edges[l]++;
		__assign_bit(l, sim->value, level);
		if (vigil_gpio_sim_triggers(sim, l, old, level)) {
			__set_bit(l, &pending);
			sim->irqs[l]++;
		}
	}
	if (edge_ns)
		*edge_ns = ktime_get_ns();
	return pending;
}

/* Set an input from process context (debugfs). */
static void vigil_gpio_sim_set_input(struct vigil_gpio_sim *sim,
				     unsigned int offset, bool level)
{
	unsigned long pending, flags;

	local_irq_save(flags);
	raw_spin_lock(&sim->lock);
	pending = vigil_gpio_sim_set_locked(sim, offset, level, NULL);
	raw_spin_unlock(&sim->lock);
	vigil_gpio_sim_raise(sim, pending);
	local_irq_restore(flags);
}

/* Replays level-triggered interrupts still active after an unmask. */
static void vigil_gpio_sim_refire(struct irq_work *work)
{
	struct vigil_gpio_sim *sim = container_of(work, struct vigil_gpio_sim,
						  refire_work);
	unsigned long pending = 0, flags;
	unsigned int offset;

	raw_spin_lock_irqsave(&sim->lock, flags);
	for_each_set_bit(offset, sim->refire, VIGIL_GPIO_NLINES) {
		if (!test_bit(offset, sim->masked) &&
		    vigil_gpio_sim_level_active(sim, offset)) {
			__set_bit(offset, &pending);
			sim->irqs[offset]++;
		}
	}
	bitmap_zero(sim->refire, VIGIL_GPIO_NLINES);
	raw_spin_unlock(&sim->lock);
	vigil_gpio_sim_raise(sim, pending);
	local_irq_restore(flags);
}

/* ---- irq_chip --------------------------------------------------------- */

static void vigil_gpio_sim_irq_ack(struct irq_data *d)
{
	/* Edges are latched by the flow handler; nothing to clear. */
}

static void vigil_gpio_sim_irq_mask(struct irq_data *d)
{
	struct gpio_chip *gc = irq_data_get_irq_chip_data(d);
	struct vigil_gpio_sim *sim = gpiochip_get_data(gc);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->lock, flags);
	__set_bit(hwirq, sim->masked);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	gpiochip_disable_irq(gc, hwirq);
}

static void vigil_gpio_sim_irq_unmask(struct irq_data *d)
{
	struct gpio_chip *gc = irq_data_get_irq_chip_data(d);
	struct vigil_gpio_sim *sim = gpiochip_get_data(gc);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;
	bool refire;

	gpiochip_enable_irq(gc, hwirq);
	raw_spin_lock_irqsave(&sim->lock, flags);
	__clear_bit(hwirq, sim->masked);
	/* A level interrupt whose line is still active fires again. */
	refire = !sim->dying && vigil_gpio_sim_level_active(sim, hwirq);
	if (refire)
		__set_bit(hwirq, sim->refire);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	if (refire)
		irq_work_queue(&sim->refire_work);
}

static int vigil_gpio_sim_irq_reqres(struct irq_data *d)
{
	struct gpio_chip *gc = irq_data_get_irq_chip_data(d);
	struct vigil_gpio_sim *sim = gpiochip_get_data(gc);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;
	int ret;

	ret = gpiochip_reqres_irq(gc, hwirq);
	if (ret)
		return ret;
	raw_spin_lock_irqsave(&sim->lock, flags);
	__set_bit(hwirq, sim->requested);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return 0;
}

static void vigil_gpio_sim_irq_relres(struct irq_data *d)
{
	struct gpio_chip *gc = irq_data_get_irq_chip_data(d);
	struct vigil_gpio_sim *sim = gpiochip_get_data(gc);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->lock, flags);
	__clear_bit(hwirq, sim->requested);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	gpiochip_relres_irq(gc, hwirq);
}

static int vigil_gpio_sim_irq_set_type(struct irq_data *d, unsigned int type)
{
	struct gpio_chip *gc = irq_data_get_irq_chip_data(d);
	struct vigil_gpio_sim *sim = gpiochip_get_data(gc);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);
	unsigned long flags;

	type &= IRQ_TYPE_SENSE_MASK;
	if ((type & IRQ_TYPE_EDGE_BOTH) && (type & IRQ_TYPE_LEVEL_MASK))
		return -EINVAL;
	if (type == (IRQ_TYPE_LEVEL_HIGH | IRQ_TYPE_LEVEL_LOW))
		return -EINVAL;
	if (!vigil_gpio_sim_is_input(hwirq))
		return -EINVAL;

	raw_spin_lock_irqsave(&sim->lock, flags);
	sim->irq_type[hwirq] = type;
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	if (type & IRQ_TYPE_LEVEL_MASK)
		irq_set_handler_locked(d, handle_level_irq);
	else
		irq_set_handler_locked(d, handle_edge_irq);
	return 0;
}

static const struct irq_chip vigil_gpio_sim_irqchip = {
	.name = VIGIL_GPIO_SIM_DRV_NAME,
	.irq_ack = vigil_gpio_sim_irq_ack,
	.irq_mask = vigil_gpio_sim_irq_mask,
	.irq_unmask = vigil_gpio_sim_irq_unmask,
	.irq_set_type = vigil_gpio_sim_irq_set_type,
	/* GPIOCHIP_IRQ_RESOURCE_HELPERS, plus tracking who has a user */
	.irq_request_resources = vigil_gpio_sim_irq_reqres,
	.irq_release_resources = vigil_gpio_sim_irq_relres,
	.flags = IRQCHIP_IMMUTABLE | IRQCHIP_SKIP_SET_WAKE,
};

/* ---- gpio_chip -------------------------------------------------------- */

static int vigil_gpio_sim_get(struct gpio_chip *gc, unsigned int offset)
{
	struct vigil_gpio_sim *sim = gpiochip_get_data(gc);
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&sim->lock, flags);
	ret = test_bit(offset, sim->value);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return ret;
}

static void vigil_gpio_sim_set(struct gpio_chip *gc, unsigned int offset,
			       int value)
{
	struct vigil_gpio_sim *sim = gpiochip_get_data(gc);
	unsigned long flags;

	/* Inputs are driven by the board, not by the consumer. */
	if (vigil_gpio_sim_is_input(offset))
		return;
	raw_spin_lock_irqsave(&sim->lock, flags);
	if (test_bit(offset, sim->value) != !!value) {
		sim->edges[offset]++;
		if (offset == VIGIL_GPIO_LINE_REC_LED)
			sim->led_changes++;
	}
	__assign_bit(offset, sim->value, value);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	/* The scene's warmth reaches the PIR model through its line. */
	if (offset == VIGIL_GPIO_LINE_WARM)
		vigil_pir_model_presence(sim, value);
}

static int vigil_gpio_sim_get_direction(struct gpio_chip *gc,
					unsigned int offset)
{
	return vigil_gpio_sim_is_input(offset) ? GPIO_LINE_DIRECTION_IN :
						 GPIO_LINE_DIRECTION_OUT;
}

static int vigil_gpio_sim_direction_input(struct gpio_chip *gc,
					  unsigned int offset)
{
	return vigil_gpio_sim_is_input(offset) ? 0 : -EPERM;
}

static int vigil_gpio_sim_direction_output(struct gpio_chip *gc,
					   unsigned int offset, int value)
{
	if (vigil_gpio_sim_is_input(offset))
		return -EPERM;
	vigil_gpio_sim_set(gc, offset, value);
	return 0;
}

/* ---- PIR model -------------------------------------------------------- */

static void vigil_pir_model_arm(struct vigil_gpio_sim *sim, u32 ms)
{
	/* Never 0 (see vigil_gpio_sim_model_ms_set()). */
	ms = max_t(u32, ms, VIGIL_PIR_MODEL_MIN_MS);
	hrtimer_start(&sim->model_timer, ms_to_ktime(ms), HRTIMER_MODE_REL_HARD);
}

/*
 * Model output changed: drive the PIR lines unless a test train owns them.
 * Lock held; returns the interrupts to raise.
 */
static unsigned long vigil_pir_model_output(struct vigil_gpio_sim *sim,
					    bool level)
{
	sim->model_level = level;
	if (sim->train_running)
		return 0;
	return vigil_gpio_sim_set_locked(sim, VIGIL_GPIO_LINE_PIR, level, NULL);
}

static enum hrtimer_restart vigil_pir_model_timer(struct hrtimer *t)
{
	struct vigil_gpio_sim *sim = container_of(t, struct vigil_gpio_sim,
						  model_timer);
	unsigned long pending = 0;

	raw_spin_lock(&sim->lock);
	if (sim->dying)
		goto out;
	switch (sim->pir_state) {
	case VIGIL_PIR_ARMING:
		/* Rise delay elapsed with the object still in view? */
		if (!sim->presence) {
			sim->pir_state = VIGIL_PIR_IDLE;
			break;
		}
		sim->pir_state = VIGIL_PIR_HIGH;
		pending = vigil_pir_model_output(sim, true);
		vigil_pir_model_arm(sim, sim->hold_ms);
		break;
	case VIGIL_PIR_HIGH:
		if (sim->presence) {
			/* Retrigger: still warm, hold again. */
			vigil_pir_model_arm(sim, sim->hold_ms);
			break;
		}
		sim->pir_state = VIGIL_PIR_BLIND;
		pending = vigil_pir_model_output(sim, false);
		vigil_pir_model_arm(sim, sim->blind_ms);
		break;
	case VIGIL_PIR_BLIND:
		if (sim->presence) {
			sim->pir_state = VIGIL_PIR_ARMING;
			vigil_pir_model_arm(sim, sim->rise_delay_ms);
		} else {
			sim->pir_state = VIGIL_PIR_IDLE;
		}
		break;
	case VIGIL_PIR_IDLE:
		break;
	}
out:
	raw_spin_unlock(&sim->lock);
	vigil_gpio_sim_raise(sim, pending);
	return HRTIMER_NORESTART;
}

static void vigil_pir_model_presence(struct vigil_gpio_sim *sim, bool warm)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->lock, flags);
	if (sim->dying || sim->presence == warm)
		goto out;
	sim->presence = warm;
	switch (sim->pir_state) {
	case VIGIL_PIR_IDLE:
		if (warm) {
			sim->pir_state = VIGIL_PIR_ARMING;
			vigil_pir_model_arm(sim, sim->rise_delay_ms);
		}
		break;
	case VIGIL_PIR_ARMING:
		/* Left before the rise delay: too short to be detected. */
		if (!warm) {
			sim->pir_state = VIGIL_PIR_IDLE;
			hrtimer_try_to_cancel(&sim->model_timer);
		}
		break;
	case VIGIL_PIR_HIGH:
		/* The hold time counts from the last warm moment. */
		if (!warm)
			vigil_pir_model_arm(sim, sim->hold_ms);
		break;
	case VIGIL_PIR_BLIND:
		break;
	}
out:
	raw_spin_unlock_irqrestore(&sim->lock, flags);
}

/* ---- pulse train ------------------------------------------------------ */

static enum hrtimer_restart vigil_gpio_sim_train_timer(struct hrtimer *t)
{
	struct vigil_gpio_sim *sim = container_of(t, struct vigil_gpio_sim,
						  train_timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long pending = 0;
	u32 i, pulse;
	u64 next;

	raw_spin_lock(&sim->lock);
	if (sim->dying || !sim->train_running)
		goto out;
	i = sim->train_emitted;
	pending = vigil_gpio_sim_set_locked(sim, VIGIL_GPIO_LINE_PIR, !(i & 1),
					    &sim->train_edge_ns[i]);
	sim->train_emitted = ++i;
	if (i == 2 * sim->train_count) {
		sim->train_running = false;
		goto out;
	}
	/* Absolute schedule: a late edge does not shift the following ones. */
	pulse = i / 2;
	next = pulse * sim->train_period_ns;
	if (i & 1)
		next += sim->train_width_ns;
	hrtimer_set_expires(t, ktime_add_ns(sim->train_start, next));
	ret = HRTIMER_RESTART;
out:
	raw_spin_unlock(&sim->lock);
	/*
	 * Raised in this callback, right after the edge time was taken:
	 * edge i is handled before edge i + 1 is emitted.
	 */
	vigil_gpio_sim_raise(sim, pending);
	return ret;
}

static void vigil_gpio_sim_train_stop(struct vigil_gpio_sim *sim)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->lock, flags);
	sim->train_running = false;
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	hrtimer_cancel(&sim->train_timer);
}

static int vigil_gpio_sim_train_start(struct vigil_gpio_sim *sim, u32 count,
				      u32 period_us, u32 width_us)
{
	unsigned long pending, flags;
	u64 *edge_ns, *old;

	if (!count || count > VIGIL_GPIO_SIM_TRAIN_MAX ||
	    period_us < VIGIL_GPIO_SIM_TRAIN_MIN_US ||
	    period_us > VIGIL_GPIO_SIM_TRAIN_MAX_US || !width_us ||
	    width_us >= period_us)
		return -EINVAL;

	edge_ns = vzalloc(array_size(2 * count, sizeof(*edge_ns)));
	if (!edge_ns)
		return -ENOMEM;

	vigil_gpio_sim_train_stop(sim);

	local_irq_save(flags);
	raw_spin_lock(&sim->lock);
	/* A train starts from a low line; that edge is not part of it. */
	pending = vigil_gpio_sim_set_locked(sim, VIGIL_GPIO_LINE_PIR, false,
					    NULL);
	old = sim->train_edge_ns;
	sim->train_edge_ns = edge_ns;
	sim->train_count = count;
	sim->train_period_ns = (u64)period_us * NSEC_PER_USEC;
	sim->train_width_ns = (u64)width_us * NSEC_PER_USEC;
	sim->train_emitted = 0;
	/* First rising edge one period from now. */
	sim->train_start = ktime_add_ns(ktime_get(), sim->train_period_ns);
	sim->train_running = true;
	hrtimer_start(&sim->train_timer, sim->train_start,
		      HRTIMER_MODE_ABS_HARD);
	raw_spin_unlock(&sim->lock);
	vigil_gpio_sim_raise(sim, pending);
	local_irq_restore(flags);

	vfree(old);
	return 0;
}

/* ---- debugfs ---------------------------------------------------------- */

static int vigil_gpio_sim_level_show(struct seq_file *s, unsigned int offset)
{
	struct vigil_gpio_sim *sim = s->private;

	seq_printf(s, "%d\n", vigil_gpio_sim_get(&sim->gc, offset));
	return 0;
}

static ssize_t vigil_gpio_sim_level_write(struct file *file,
					  const char __user *ubuf,
					  size_t len, unsigned int offset)
{
	struct seq_file *s = file->private_data;
	struct vigil_gpio_sim *sim = s->private;
	bool level;
	int ret;

	ret = kstrtobool_from_user(ubuf, len, &level);
	if (ret)
		return ret;
	if (offset == VIGIL_GPIO_LINE_PIR) {
		/* A manual level ends a running train. */
		mutex_lock(&train_mutex);
		vigil_gpio_sim_train_stop(sim);
		vigil_gpio_sim_set_input(sim, offset, level);
		mutex_unlock(&train_mutex);
	} else {
		vigil_gpio_sim_set_input(sim, offset, level);
	}
	return len;
}

static int vigil_gpio_sim_pir_show(struct seq_file *s, void *unused)
{
	return vigil_gpio_sim_level_show(s, VIGIL_GPIO_LINE_PIR);
}

static int vigil_gpio_sim_pir_open(struct inode *inode, struct file *file)
{
	return single_open(file, vigil_gpio_sim_pir_show, inode->i_private);
}

static ssize_t vigil_gpio_sim_pir_write(struct file *file,
					const char __user *ubuf, size_t len,
					loff_t *ppos)
{
	return vigil_gpio_sim_level_write(file, ubuf, len, VIGIL_GPIO_LINE_PIR);
}

static const struct file_operations vigil_gpio_sim_pir_fops = {
	.owner = THIS_MODULE,
	.open = vigil_gpio_sim_pir_open,
	.read = seq_read,
	.write = vigil_gpio_sim_pir_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int vigil_gpio_sim_privacy_show(struct seq_file *s, void *unused)
{
	return vigil_gpio_sim_level_show(s, VIGIL_GPIO_LINE_PRIVACY);
}

static int vigil_gpio_sim_privacy_open(struct inode *inode, struct file *file)
{
	return single_open(file, vigil_gpio_sim_privacy_show, inode->i_private);
}

static ssize_t vigil_gpio_sim_privacy_write(struct file *file,
					    const char __user *ubuf,
					    size_t len, loff_t *ppos)
{
	return vigil_gpio_sim_level_write(file, ubuf, len,
					  VIGIL_GPIO_LINE_PRIVACY);
}

static const struct file_operations vigil_gpio_sim_privacy_fops = {
	.owner = THIS_MODULE,
	.open = vigil_gpio_sim_privacy_open,
	.read = seq_read,
	.write = vigil_gpio_sim_privacy_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int vigil_gpio_sim_presence_show(struct seq_file *s, void *unused)
{
	struct vigil_gpio_sim *sim = s->private;

	seq_printf(s, "%d\n", READ_ONCE(sim->presence));
	return 0;
}

static int vigil_gpio_sim_presence_open(struct inode *inode, struct file *file)
{
	return single_open(file, vigil_gpio_sim_presence_show,
			   inode->i_private);
}

static ssize_t vigil_gpio_sim_presence_write(struct file *file,
					     const char __user *ubuf,
					     size_t len, loff_t *ppos)
{
	struct seq_file *s = file->private_data;
	bool warm;
	int ret;

	ret = kstrtobool_from_user(ubuf, len, &warm);
	if (ret)
		return ret;
	vigil_pir_model_presence(s->private, warm);
	return len;
}

static const struct file_operations vigil_gpio_sim_presence_fops = {
	.owner = THIS_MODULE,
	.open = vigil_gpio_sim_presence_open,
	.read = seq_read,
	.write = vigil_gpio_sim_presence_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* "train": write "COUNT PERIOD_US WIDTH_US" or "stop"; read the state. */
static int vigil_gpio_sim_train_show(struct seq_file *s, void *unused)
{
	struct vigil_gpio_sim *sim = s->private;
	unsigned long flags;
	u32 count, period, width, emitted;
	bool running;

	raw_spin_lock_irqsave(&sim->lock, flags);
	running = sim->train_running;
	count = sim->train_count;
	period = div_u64(sim->train_period_ns, NSEC_PER_USEC);
	width = div_u64(sim->train_width_ns, NSEC_PER_USEC);
	emitted = sim->train_emitted;
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	seq_printf(s, "%s count %u period_us %u width_us %u emitted %u\n",
		   running ? "running" : "idle", count, period, width, emitted);
	return 0;
}

static int vigil_gpio_sim_train_open(struct inode *inode, struct file *file)
{
	return single_open(file, vigil_gpio_sim_train_show, inode->i_private);
}

static ssize_t vigil_gpio_sim_train_write(struct file *file,
					  const char __user *ubuf, size_t len,
					  loff_t *ppos)
{
	struct seq_file *s = file->private_data;
	struct vigil_gpio_sim *sim = s->private;
	u32 count, period, width;
	char buf[64];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';

	mutex_lock(&train_mutex);
	if (sysfs_streq(buf, "stop")) {
		vigil_gpio_sim_train_stop(sim);
		ret = 0;
	} else if (sscanf(buf, "%u %u %u", &count, &period, &width) == 3) {
		ret = vigil_gpio_sim_train_start(sim, count, period, width);
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&train_mutex);
	return ret ? ret : len;
}

static const struct file_operations vigil_gpio_sim_train_fops = {
	.owner = THIS_MODULE,
	.open = vigil_gpio_sim_train_open,
	.read = seq_read,
	.write = vigil_gpio_sim_train_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/*
 * "edges": one line per edge emitted by the last train so far,
 * "INDEX LEVEL TIME_NS", TIME_NS in CLOCK_MONOTONIC.
 */
static void *vigil_gpio_sim_edges_start(struct seq_file *s, loff_t *pos)
{
	struct vigil_gpio_sim *sim = s->private;

	mutex_lock(&train_mutex);
	return *pos < READ_ONCE(sim->train_emitted) ? pos : NULL;
}

static void *vigil_gpio_sim_edges_next(struct seq_file *s, void *v,
				       loff_t *pos)
{
	struct vigil_gpio_sim *sim = s->private;

	++*pos;
	return *pos < READ_ONCE(sim->train_emitted) ? pos : NULL;
}

static void vigil_gpio_sim_edges_stop(struct seq_file *s, void *v)
{
	mutex_unlock(&train_mutex);
}

static int vigil_gpio_sim_edges_show(struct seq_file *s, void *v)
{
	struct vigil_gpio_sim *sim = s->private;
	loff_t i = *(loff_t *)v;
	unsigned long flags;
	u64 ns;

	/* train_mutex keeps the buffer; the lock orders against the timer. */
	raw_spin_lock_irqsave(&sim->lock, flags);
	ns = sim->train_edge_ns[i];
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	seq_printf(s, "%lld %d %llu\n", i, !(i & 1), ns);
	return 0;
}

static const struct seq_operations vigil_gpio_sim_edges_sops = {
	.start = vigil_gpio_sim_edges_start,
	.next = vigil_gpio_sim_edges_next,
	.stop = vigil_gpio_sim_edges_stop,
	.show = vigil_gpio_sim_edges_show,
};

static int vigil_gpio_sim_edges_open(struct inode *inode, struct file *file)
{
	int ret = seq_open(file, &vigil_gpio_sim_edges_sops);

	if (!ret)
		((struct seq_file *)file->private_data)->private =
			inode->i_private;
	return ret;
}

static const struct file_operations vigil_gpio_sim_edges_fops = {
	.owner = THIS_MODULE,
	.open = vigil_gpio_sim_edges_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release,
};

/*
 * "irq_selftest": on read, exercises the irqchip on the PIR mirror line
 * (which must be free) with each trigger type, as a consumer would:
 * two pulses must give two rising and two falling edge interrupts; a level
 * interrupt must fire again on unmask while its level stays active, and
 * stop once the (simulated) device deasserts it from the IRQ thread on the
 * third run. One "TYPE ok|FAIL COUNT/EXPECTED" line per type.
 */
struct vigil_gpio_sim_selftest {
	struct vigil_gpio_sim *sim;
	atomic_t hits;
	bool level;	/* level type under test */
	bool active;	/* its active level */
};

static irqreturn_t vigil_gpio_sim_selftest_hard(int irq, void *data)
{
	struct vigil_gpio_sim_selftest *st = data;

	atomic_inc(&st->hits);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t vigil_gpio_sim_selftest_thread(int irq, void *data)
{
	struct vigil_gpio_sim_selftest *st = data;

	/* Level type: the device deasserts its line on the third run. */
	if (st->level && atomic_read(&st->hits) >= 3)
		vigil_gpio_sim_set_input(st->sim, VIGIL_GPIO_LINE_PIR_MIRROR,
					 !st->active);
	return IRQ_HANDLED;
}

static int vigil_gpio_sim_selftest_show(struct seq_file *s, void *unused)
{
	static const struct {
		const char *name;
		unsigned long flags;
		bool level;
		int expected;
	} tc[] = {
		{ "edge-rising", IRQF_TRIGGER_RISING, false, 2 },
		{ "edge-falling", IRQF_TRIGGER_FALLING, false, 2 },
		{ "edge-both", IRQF_TRIGGER_RISING | IRQF_TRIGGER_FALLING,
		  false, 4 },
		{ "level-high", IRQF_TRIGGER_HIGH, true, 3 },
		{ "level-low", IRQF_TRIGGER_LOW, true, 3 },
	};
	struct vigil_gpio_sim *sim = s->private;
	struct vigil_gpio_sim_selftest st = { .sim = sim };
	const unsigned int line = VIGIL_GPIO_LINE_PIR_MIRROR;
	struct gpio_desc *desc;
	unsigned int i, k;
	int irq, ret, hits;
	bool ok;

	if (sim->nested) {
		seq_puts(s, "not run: this controller can sleep (nested IRQs)\n");
		return 0;
	}
	desc = gpiochip_request_own_desc(&sim->gc, line, "irq-selftest",
					 GPIO_ACTIVE_HIGH, GPIOD_IN);
	if (IS_ERR(desc)) {
		seq_printf(s, "mirror line busy (%ld)\n", PTR_ERR(desc));
		return 0;
	}
	irq = gpiod_to_irq(desc);
	if (irq < 0) {
		seq_printf(s, "no irq (%d)\n", irq);
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(tc); i++) {
		bool high = tc[i].flags == IRQF_TRIGGER_HIGH;

		/* Start inactive: low, or high for the active-low types. */
		st.level = tc[i].level;
		st.active = high;
		vigil_gpio_sim_set_input(sim, line,
					 tc[i].flags == IRQF_TRIGGER_LOW ||
					 tc[i].flags == IRQF_TRIGGER_FALLING);
		atomic_set(&st.hits, 0);
		ret = request_threaded_irq(irq, vigil_gpio_sim_selftest_hard,
					   vigil_gpio_sim_selftest_thread,
					   tc[i].flags | IRQF_ONESHOT,
					   "vigil-gpio-sim-selftest", &st);
		if (ret) {
			seq_printf(s, "%s FAIL request %d\n", tc[i].name,
				   ret);
			continue;
		}
		if (tc[i].level) {
			vigil_gpio_sim_set_input(sim, line, high);
		} else {
			for (k = 0; k < 4; k++) {
				bool cur = vigil_gpio_sim_get(&sim->gc, line);

				vigil_gpio_sim_set_input(sim, line, !cur);
			}
		}
		/* Let the thread and the replays run, then a little more. */
		for (k = 0; k < 50; k++) {
			if (atomic_read(&st.hits) >= tc[i].expected)
				break;
			msleep(20);
		}
		msleep(50);
		hits = atomic_read(&st.hits);
		free_irq(irq, &st);
		ok = hits == tc[i].expected;
		seq_printf(s, "%s %s %d/%d\n", tc[i].name, ok ? "ok" : "FAIL",
			   hits, tc[i].expected);
	}
	vigil_gpio_sim_set_input(sim, line, test_bit(VIGIL_GPIO_LINE_PIR,
						     sim->value));
out:
	gpiochip_free_own_desc(desc);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(vigil_gpio_sim_selftest);

/* "status": line levels, IRQ configuration and counters. */
static int vigil_gpio_sim_status_show(struct seq_file *s, void *unused)
{
	static const char *const states[] = {
		[VIGIL_PIR_IDLE] = "idle", [VIGIL_PIR_ARMING] = "arming",
		[VIGIL_PIR_HIGH] = "high", [VIGIL_PIR_BLIND] = "blind",
	};
	struct vigil_gpio_sim *sim = s->private;
	unsigned int type[VIGIL_GPIO_NLINES];
	u64 edges[VIGIL_GPIO_NLINES], irqs[VIGIL_GPIO_NLINES], led_changes;
	DECLARE_BITMAP(value, VIGIL_GPIO_NLINES);
	DECLARE_BITMAP(masked, VIGIL_GPIO_NLINES);
	enum vigil_pir_state state;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&sim->lock, flags);
	bitmap_copy(value, sim->value, VIGIL_GPIO_NLINES);
	bitmap_copy(masked, sim->masked, VIGIL_GPIO_NLINES);
	memcpy(type, sim->irq_type, sizeof(type));
	memcpy(edges, sim->edges, sizeof(edges));
	memcpy(irqs, sim->irqs, sizeof(irqs));
	led_changes = sim->led_changes;
	state = sim->pir_state;
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	for (i = 0; i < VIGIL_GPIO_NLINES; i++)
		seq_printf(s, "line %u %s level %d irq_type 0x%x masked %d edges %llu irqs %llu\n",
			   i, vigil_gpio_sim_names[i], test_bit(i, value),
			   type[i], test_bit(i, masked), edges[i], irqs[i]);
	seq_printf(s, "pir_model %s\nled_changes %llu\ncan_sleep %d\n",
		   states[state], led_changes, sim->nested);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(vigil_gpio_sim_status);

static int vigil_gpio_sim_led_show(struct seq_file *s, void *unused)
{
	return vigil_gpio_sim_level_show(s, VIGIL_GPIO_LINE_REC_LED);
}

DEFINE_SHOW_ATTRIBUTE(vigil_gpio_sim_led);

/*
 * PIR model timing (rise_delay_ms, hold_ms, blind_ms): 1..60000 ms. A 0
 * would re-arm the hard model hrtimer at 0 ns from its own callback (an
 * endless hard-IRQ loop while a warm object stays in view).
 */
static int vigil_gpio_sim_model_ms_get(void *data, u64 *val)
{
	*val = READ_ONCE(*(u32 *)data);
	return 0;
}

static int vigil_gpio_sim_model_ms_set(void *data, u64 val)
{
	if (val < VIGIL_PIR_MODEL_MIN_MS || val > VIGIL_PIR_MODEL_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(*(u32 *)data, val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(vigil_gpio_sim_model_ms_fops,
			 vigil_gpio_sim_model_ms_get,
			 vigil_gpio_sim_model_ms_set, "%llu\n");

static void vigil_gpio_sim_debugfs_init(struct vigil_gpio_sim *sim)
{
	struct dentry *d = debugfs_create_dir(dev_name(sim->dev), NULL);

	sim->dbg = d;
	debugfs_create_file("pir", 0600, d, sim, &vigil_gpio_sim_pir_fops);
	debugfs_create_file("privacy", 0600, d, sim,
			    &vigil_gpio_sim_privacy_fops);
	debugfs_create_file("led", 0400, d, sim, &vigil_gpio_sim_led_fops);
	debugfs_create_file("presence", 0600, d, sim,
			    &vigil_gpio_sim_presence_fops);
	debugfs_create_file("train", 0600, d, sim, &vigil_gpio_sim_train_fops);
	debugfs_create_file("edges", 0400, d, sim, &vigil_gpio_sim_edges_fops);
	debugfs_create_file("status", 0400, d, sim,
			    &vigil_gpio_sim_status_fops);
	debugfs_create_file("irq_selftest", 0400, d, sim,
			    &vigil_gpio_sim_selftest_fops);
	debugfs_create_file_unsafe("rise_delay_ms", 0600, d, &sim->rise_delay_ms,
				   &vigil_gpio_sim_model_ms_fops);
	debugfs_create_file_unsafe("hold_ms", 0600, d, &sim->hold_ms,
				   &vigil_gpio_sim_model_ms_fops);
	debugfs_create_file_unsafe("blind_ms", 0600, d, &sim->blind_ms,
				   &vigil_gpio_sim_model_ms_fops);
}

/* ---- platform device -------------------------------------------------- */

/* Ids of the controllers described by firmware (no platform id). */
static DEFINE_IDA(vigil_gpio_sim_ida);

static void vigil_gpio_sim_ida_free(void *data)
{
	ida_free(&vigil_gpio_sim_ida, (unsigned long)data);
}

/* An id for a firmware-described controller, above the module's own. */
static int vigil_gpio_sim_fw_id(struct device *dev)
{
	int id, ret;

	id = ida_alloc_min(&vigil_gpio_sim_ida, VIGIL_GPIO_SIM_MAX, GFP_KERNEL);
	if (id < 0)
		return id;
	ret = devm_add_action_or_reset(dev, vigil_gpio_sim_ida_free,
				       (void *)(unsigned long)id);
	return ret ? ret : id;
}

/* devm action: stop everything that raises interrupts, before gpiochip. */
static void vigil_gpio_sim_quiesce(void *data)
{
	struct vigil_gpio_sim *sim = data;
	unsigned long flags;

	/* No debugfs writer is left to restart the timers. */
	debugfs_remove_recursive(sim->dbg);

	raw_spin_lock_irqsave(&sim->lock, flags);
	sim->dying = true;
	sim->train_running = false;
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	hrtimer_cancel(&sim->train_timer);
	hrtimer_cancel(&sim->model_timer);
	irq_work_sync(&sim->refire_work);
	cancel_work_sync(&sim->nested_work);
}

/* devm action, runs after gpiochip removal. */
static void vigil_gpio_sim_release(void *data)
{
	struct vigil_gpio_sim *sim = data;

	irq_work_sync(&sim->refire_work);
	vfree(sim->train_edge_ns);
}

static int vigil_gpio_sim_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct vigil_gpio_sim *sim;
	struct gpio_irq_chip *girq;
	struct gpio_chip *gc;
	unsigned int i;
	int id, ret;

	if (pdev->id == PLATFORM_DEVID_NONE && dev_fwnode(dev)) {
		id = vigil_gpio_sim_fw_id(dev);
		if (id < 0)
			return dev_err_probe(dev, id, "no instance id\n");
	} else if (pdev->id < 0 || pdev->id >= VIGIL_GPIO_SIM_MAX) {
		return dev_err_probe(dev, -EINVAL, "bad instance id %d\n",
				     pdev->id);
	} else {
		id = pdev->id;
	}

	sim = devm_kzalloc(dev, sizeof(*sim), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;

	sim->dev = dev;
	sim->id = id;
	raw_spin_lock_init(&sim->lock);
	bitmap_fill(sim->masked, VIGIL_GPIO_NLINES);
	sim->rise_delay_ms = VIGIL_PIR_RISE_DELAY_MS;
	sim->hold_ms = VIGIL_PIR_HOLD_MS;
	sim->blind_ms = VIGIL_PIR_BLIND_MS;
	hrtimer_init(&sim->model_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	sim->model_timer.function = vigil_pir_model_timer;
	hrtimer_init(&sim->train_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	sim->train_timer.function = vigil_gpio_sim_train_timer;
	sim->refire_work = IRQ_WORK_INIT_HARD(vigil_gpio_sim_refire);
	sim->nested = id < VIGIL_GPIO_SIM_MAX && (can_sleep & BIT(id));
	INIT_WORK(&sim->nested_work, vigil_gpio_sim_nested_work);

	ret = devm_add_action_or_reset(dev, vigil_gpio_sim_release, sim);
	if (ret)
		return ret;

	gc = &sim->gc;
	/* Consumers' lookup tables name the controller by this label. */
	gc->label = dev_name(dev);
	gc->parent = dev;
	/* A requested line or IRQ keeps this module (and the chip) alive. */
	gc->owner = THIS_MODULE;
	gc->base = -1;
	gc->ngpio = VIGIL_GPIO_NLINES;
	/* Line names are unique system-wide: ".<id>" from the second on. */
	for (i = 0; i < VIGIL_GPIO_NLINES; i++) {
		sim->names[i] = sim->id ?
			devm_kasprintf(dev, GFP_KERNEL, "%s.%u",
				       vigil_gpio_sim_names[i], sim->id) :
			vigil_gpio_sim_names[i];
		if (!sim->names[i])
			return -ENOMEM;
	}
	gc->names = sim->names;
	gc->can_sleep = sim->nested;
	gc->get = vigil_gpio_sim_get;
	gc->set = vigil_gpio_sim_set;
	gc->get_direction = vigil_gpio_sim_get_direction;
	gc->direction_input = vigil_gpio_sim_direction_input;
	gc->direction_output = vigil_gpio_sim_direction_output;

	girq = &gc->irq;
	gpio_irq_chip_set_chip(girq, &vigil_gpio_sim_irqchip);
	girq->handler = handle_bad_irq;
	girq->default_type = IRQ_TYPE_NONE;
	/* An expander's interrupts are nested in its IRQ thread. */
	girq->threaded = sim->nested;

	ret = devm_gpiochip_add_data(dev, gc, sim);
	if (ret)
		return dev_err_probe(dev, ret, "cannot add gpio chip\n");

	ret = devm_add_action_or_reset(dev, vigil_gpio_sim_quiesce, sim);
	if (ret)
		return ret;

	vigil_gpio_sim_debugfs_init(sim);
	platform_set_drvdata(pdev, sim);
	return 0;
}

static const struct of_device_id vigil_gpio_sim_of_match[] = {
	{ .compatible = "vigil,gpio-sim" },
	{ }
};
MODULE_DEVICE_TABLE(of, vigil_gpio_sim_of_match);

static struct platform_driver vigil_gpio_sim_driver = {
	.driver = {
		.name = VIGIL_GPIO_SIM_DRV_NAME,
		.of_match_table = vigil_gpio_sim_of_match,
		/* Its lines are in use by vigil for the device's lifetime. */
		.suppress_bind_attrs = true,
	},
	.probe = vigil_gpio_sim_probe,
};

static void vigil_gpio_sim_del_all(void)
{
	unsigned int i = VIGIL_GPIO_SIM_MAX;

	while (i--) {
		platform_device_unregister(vigil_gpio_sim_pdevs[i]);
		vigil_gpio_sim_pdevs[i] = NULL;
	}
}

static int __init vigil_gpio_sim_init(void)
{
	struct platform_device *pdev;
	unsigned int i;
	int ret;

	if (nr_chips > VIGIL_GPIO_SIM_MAX) {
		pr_err(VIGIL_GPIO_SIM_DRV_NAME ": nr_chips must be 0..%d\n",
		       VIGIL_GPIO_SIM_MAX);
		return -EINVAL;
	}
	ret = platform_driver_register(&vigil_gpio_sim_driver);
	if (ret)
		return ret;
	for (i = 0; i < nr_chips; i++) {
		pdev = platform_device_register_simple(VIGIL_GPIO_SIM_DRV_NAME,
						       i, NULL, 0);
		if (IS_ERR(pdev)) {
			ret = PTR_ERR(pdev);
			goto err;
		}
		vigil_gpio_sim_pdevs[i] = pdev;
		/* Probe ran synchronously: a controller that failed is gone. */
		if (!platform_get_drvdata(pdev)) {
			ret = -ENODEV;
			goto err;
		}
	}
	return 0;

err:
	pr_err(VIGIL_GPIO_SIM_DRV_NAME ".%u: %d\n", i, ret);
	vigil_gpio_sim_del_all();
	platform_driver_unregister(&vigil_gpio_sim_driver);
	return ret;
}

static void __exit vigil_gpio_sim_exit(void)
{
	vigil_gpio_sim_del_all();
	platform_driver_unregister(&vigil_gpio_sim_driver);
}

module_init(vigil_gpio_sim_init);
module_exit(vigil_gpio_sim_exit);

MODULE_DESCRIPTION("vigil: simulated GPIO controller of the virtual board");
MODULE_AUTHOR("The vigil project");
MODULE_LICENSE("GPL");
