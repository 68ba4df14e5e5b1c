/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A PIR sensor on a GPIO line, read through the gpiolib character device
 * with libgpiod (the 1.6 API of Debian 12 or the 2.x API, chosen at build
 * time). The line is requested as an input with both edges; its fd is
 * pollable (POLLIN: edges pending) and every edge carries the kernel's
 * CLOCK_MONOTONIC timestamp of the interrupt.
 */
#ifndef PIR_GPIO_H
#define PIR_GPIO_H

#include <stddef.h>

#include "libvigil.h"

struct pir_gpio;

/*
 * Request @line of @chip for both edges. @chip: a path (/dev/gpiochip0), a
 * chip name (gpiochip0) or a chip label; NULL or "" searches every chip for
 * a line named @line. @line: an offset (decimal) or a line name.
 * Returns 0 or -errno with a message in @err.
 */
int pir_gpio_open(const char *chip, const char *line, const char *consumer,
		  struct pir_gpio **out, char *err, size_t errlen);
void pir_gpio_free(struct pir_gpio *p);
int pir_gpio_fd(const struct pir_gpio *p);
/* "gpiochip3 line 1 (vigil-pir-mirror)" */
const char *pir_gpio_name(const struct pir_gpio *p);
/* The line's level now: 0, 1 or -errno. */
int pir_gpio_level(struct pir_gpio *p);
/*
 * Read the pending edges (non-blocking) into @ev, up to @max; *@n is the
 * count. ts_ns is the kernel's CLOCK_MONOTONIC edge time, level 1 for a
 * rising edge; seq numbers the edges; lost counts edges the kernel's
 * buffer dropped before this one (2.x: from the line sequence numbers).
 * Returns 0 (also with *@n == 0 when nothing is pending) or -errno.
 */
int pir_gpio_read(struct pir_gpio *p, struct vigil_pir_event *ev,
		  unsigned int max, unsigned int *n);
/* The libgpiod API this build uses: 1 or 2. */
int pir_gpio_api(void);

#endif
