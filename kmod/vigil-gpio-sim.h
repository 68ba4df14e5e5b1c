/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil: simulated GPIO controller of the virtual board.
 *
 * One controller per virtual camera, labelled "vigil-gpio-sim.<id>", with
 * the lines listed in uapi/vigil.h (VIGIL_GPIO_LINE_*). The board code
 * creates it before the camera's platform device and hands its lines to
 * the camera through a GPIO lookup table, as a non-DT board does.
 */
#ifndef _VIGIL_GPIO_SIM_H_
#define _VIGIL_GPIO_SIM_H_

#include <linux/types.h>

struct platform_device;

int vigil_gpio_sim_init(void);
void vigil_gpio_sim_exit(void);

struct platform_device *vigil_gpio_sim_add(unsigned int id,
					   const char *consumer);
void vigil_gpio_sim_remove(struct platform_device *pdev);

/*
 * Virtual sensor hook: a warm object is (or is no longer) inside the PIR's
 * field of view of camera @id. Any context; unknown ids are ignored.
 */
void vigil_gpio_sim_set_presence(unsigned int id, bool warm);

#endif /* _VIGIL_GPIO_SIM_H_ */
