// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the virtual board: registers one platform device per virtual
 * camera, each described by a software node carrying the same properties a
 * device-tree node compatible with "vigil,camera" would, so probe goes
 * through device_property_*() exactly as on a DT system.
 *
 * Camera <n>'s GPIO lines are those of the simulated controller
 * "vigil-gpio-sim.<n>" (vigil-gpio-sim.ko), wired as a board file wires
 * them: a GPIO lookup table keyed by the controller's label. Until that
 * controller exists, the camera's probe defers.
 */

#include <linux/err.h>
#include <linux/dma-mapping.h>
#include <linux/gpio/machine.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>

#include "vigil.h"
#include "uapi/vigil-gpio-sim.h"

static unsigned int num_cameras = 1;
module_param(num_cameras, uint, 0444);
MODULE_PARM_DESC(num_cameras,
		 "number of virtual cameras on the virtual board (0-8, default 1)");

static char *sources[VIGIL_MAX_INSTANCES];
static int nr_sources;
module_param_array(sources, charp, &nr_sources, 0444);
MODULE_PARM_DESC(sources,
		 "source per virtual camera: scene (default) or replay");

/* Controller <n> of vigil-gpio-sim.ko serves camera <n>. */
MODULE_SOFTDEP("pre: vigil-gpio-sim");

struct vigil_board_cam {
	char name[24];
	char gpio_key[32];		/* label of its GPIO controller */
	char dev_id[32];		/* its platform device's name */
	struct property_entry props[5];
	struct software_node node;
	struct platform_device *pdev;
	struct gpiod_lookup_table *lookup;
};

/* con_id as in the DT binding's "<con_id>-gpios" */
static const struct gpiod_lookup vigil_board_gpios[] = {
	GPIO_LOOKUP(NULL, VIGIL_GPIO_LINE_PIR, "pir", GPIO_ACTIVE_HIGH),
	GPIO_LOOKUP(NULL, VIGIL_GPIO_LINE_PRIVACY, "privacy", GPIO_ACTIVE_HIGH),
	GPIO_LOOKUP(NULL, VIGIL_GPIO_LINE_REC_LED, "led", GPIO_ACTIVE_HIGH),
	GPIO_LOOKUP(NULL, VIGIL_GPIO_LINE_WARM, "warm", GPIO_ACTIVE_HIGH),
};

static int vigil_board_gpio_add(struct vigil_board_cam *cam, unsigned int i)
{
	struct gpiod_lookup_table *t;
	unsigned int k;

	snprintf(cam->gpio_key, sizeof(cam->gpio_key), VIGIL_GPIO_SIM_LABEL "%u",
		 i);
	snprintf(cam->dev_id, sizeof(cam->dev_id), VIGIL_NAME ".%u", i);
	/* One more entry, zeroed: the terminator. */
	t = kzalloc(struct_size(t, table, ARRAY_SIZE(vigil_board_gpios) + 1),
		    GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->dev_id = cam->dev_id;
	for (k = 0; k < ARRAY_SIZE(vigil_board_gpios); k++) {
		t->table[k] = vigil_board_gpios[k];
		t->table[k].key = cam->gpio_key;
	}
	gpiod_add_lookup_table(t);
	cam->lookup = t;
	return 0;
}

static void vigil_board_gpio_del(struct vigil_board_cam *cam)
{
	if (!cam->lookup)
		return;
	gpiod_remove_lookup_table(cam->lookup);
	kfree(cam->lookup);
	cam->lookup = NULL;
}

static struct vigil_board_cam *vigil_board_cams;
static unsigned int vigil_board_nr;

static void vigil_board_cam_del(struct vigil_board_cam *cam)
{
	platform_device_unregister(cam->pdev);
	software_node_unregister(&cam->node);
	vigil_board_gpio_del(cam);
}

static int vigil_board_cam_add(struct vigil_board_cam *cam, unsigned int i)
{
	struct platform_device_info info = {
		.name = VIGIL_NAME,
		.id = i,
		.dma_mask = DMA_BIT_MASK(32),
	};
	const char *src = "scene";
	int ret;

	if (i < nr_sources && sources[i] && sources[i][0])
		src = sources[i];

	snprintf(cam->name, sizeof(cam->name), "vigil-cam%u", i);
	cam->props[0] = PROPERTY_ENTRY_STRING("compatible", "vigil,camera");
	cam->props[1] = PROPERTY_ENTRY_STRING("vigil,source", src);
	cam->props[2] = PROPERTY_ENTRY_U32("vigil,seed", 0x5eed + i);
	cam->props[3] = PROPERTY_ENTRY_U32("vigil,fps", 30);
	cam->node.name = cam->name;
	cam->node.properties = cam->props;

	/* The wiring first: probe looks its lines up. */
	ret = vigil_board_gpio_add(cam, i);
	if (ret)
		return ret;

	ret = software_node_register(&cam->node);
	if (ret) {
		vigil_board_gpio_del(cam);
		return ret;
	}

	info.fwnode = software_node_fwnode(&cam->node);
	cam->pdev = platform_device_register_full(&info);
	if (IS_ERR(cam->pdev)) {
		ret = PTR_ERR(cam->pdev);
		software_node_unregister(&cam->node);
		vigil_board_gpio_del(cam);
		return ret;
	}
	return 0;
}

int vigil_board_init(void)
{
	unsigned int i;
	int ret;

	if (num_cameras > VIGIL_MAX_INSTANCES) {
		pr_err(VIGIL_NAME ": num_cameras must be 0..%d\n",
		       VIGIL_MAX_INSTANCES);
		return -EINVAL;
	}
	if (!num_cameras)
		return 0;

	vigil_board_cams = kcalloc(num_cameras, sizeof(*vigil_board_cams),
				   GFP_KERNEL);
	if (!vigil_board_cams)
		return -ENOMEM;

	for (i = 0; i < num_cameras; i++) {
		ret = vigil_board_cam_add(&vigil_board_cams[i], i);
		if (ret) {
			pr_err(VIGIL_NAME ": virtual camera %u: %d\n", i, ret);
			goto err;
		}
		vigil_board_nr++;
	}
	return 0;

err:
	vigil_board_exit();
	return ret;
}

void vigil_board_exit(void)
{
	while (vigil_board_nr)
		vigil_board_cam_del(&vigil_board_cams[--vigil_board_nr]);
	kfree(vigil_board_cams);
	vigil_board_cams = NULL;
}
