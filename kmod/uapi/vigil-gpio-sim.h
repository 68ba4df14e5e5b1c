/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vigil-gpio-sim - the simulated GPIO controller of vigil's virtual board
 * (vigil-gpio-sim.ko): its lines and its debugfs test interface, for test
 * tools. Not part of the V4L2 driver's API (<vigil.h>).
 *
 * One gpiochip per virtual camera <n> (module parameter nr_chips),
 * labelled VIGIL_GPIO_SIM_LABEL "<n>", parent device the platform device
 * of the same name, with the lines below (named as below on controller 0,
 * with a ".<n>" suffix on controller n > 0). vigil.ko's virtual board hands
 * camera <n> the lines "pir", "privacy", "led" and "warm" of controller <n>
 * through a GPIO lookup table. Its test interface is
 * <debugfs>/vigil-gpio-sim.<n>/ (see kmod/README.md):
 *	pir, privacy   rw  level 0/1 (writing pir also drives pir-mirror)
 *	presence       rw  warm object in the PIR's view (PIR model input; the
 *			   virtual sensor drives it through the "warm" line)
 *	train          rw  "COUNT PERIOD_US WIDTH_US" starts a pulse train on
 *			   pir + pir-mirror (first rising edge one period
 *			   later), "stop" ends it; reads
 *			   "<running|idle> count C period_us P width_us W
 *			   emitted E"
 *	edges          r   "INDEX LEVEL TIME_NS" per emitted train edge
 *	led            r   recording LED level
 *	status         r   per-line level, irq type, counters
 *	irq_selftest   r   exercises the irqchip on the free mirror line
 *	rise_delay_ms, hold_ms, blind_ms   PIR model timing, 1..60000
 */
#ifndef _UAPI_VIGIL_GPIO_SIM_H
#define _UAPI_VIGIL_GPIO_SIM_H

#define VIGIL_GPIO_SIM_LABEL		"vigil-gpio-sim."
#define VIGIL_GPIO_LINE_PIR		0
#define VIGIL_GPIO_LINE_PIR_MIRROR	1
#define VIGIL_GPIO_LINE_PRIVACY		2
#define VIGIL_GPIO_LINE_REC_LED		3
#define VIGIL_GPIO_LINE_WARM		4	/* output: scene warmth -> PIR model */
#define VIGIL_GPIO_NLINES		5
#define VIGIL_GPIO_NAME_PIR		"vigil-pir"
#define VIGIL_GPIO_NAME_PIR_MIRROR	"vigil-pir-mirror"
#define VIGIL_GPIO_NAME_PRIVACY		"vigil-privacy"
#define VIGIL_GPIO_NAME_REC_LED		"vigil-rec-led"
#define VIGIL_GPIO_NAME_WARM		"vigil-scene-warm"
#define VIGIL_GPIO_SIM_TRAIN_MAX	65536	/* pulses */
#define VIGIL_GPIO_SIM_TRAIN_MIN_US	2	/* period */
#define VIGIL_GPIO_SIM_TRAIN_MAX_US	10000000

#endif /* _UAPI_VIGIL_GPIO_SIM_H */
