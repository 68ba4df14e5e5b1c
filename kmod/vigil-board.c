// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the virtual board. Per virtual camera it registers a virtual
 * sensor and a bridge, described by a software-node graph built as
 * drivers/media/pci/intel/ipu-bridge.c builds one (port@0/endpoint@0 on
 * each side, remote-endpoint references both ways), so the bridge binds
 * its sensor through the same fwnode graph and v4l2_async path as on a
 * device-tree board.
 *
 * Camera <n>'s GPIO lines are those of the simulated controller
 * "vigil-gpio-sim.<n>" (vigil-gpio-sim.ko), wired as a board file wires
 * them: GPIO lookup tables keyed by the controller's label. The bridge
 * gets "pir", "privacy" and "led"; the virtual sensor gets the output
 * "warm" (a warm object of its scene is in view: the PIR model's input).
 * Until that controller exists, their probes defer.
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
#include "vigil-vsensor.h"

/* MEDIA_BUS_TYPE_CSI2_DPHY of dt-bindings/media/video-interfaces.h */
#define VIGIL_BUS_TYPE_CSI2_DPHY	4

static unsigned int num_cameras = 1;
module_param(num_cameras, uint, 0444);
MODULE_PARM_DESC(num_cameras,
		 "number of virtual cameras on the virtual board (0-8, default 1)");

enum {
	VIGIL_SWNODE_SENSOR,
	VIGIL_SWNODE_SENSOR_PORT,
	VIGIL_SWNODE_SENSOR_EP,
	VIGIL_SWNODE_BRIDGE,
	VIGIL_SWNODE_BRIDGE_PORT,
	VIGIL_SWNODE_BRIDGE_EP,
	VIGIL_SWNODE_COUNT
};

static const u32 vigil_board_lanes[] = { 1, 2 };

/* Controller <n> of vigil-gpio-sim.ko serves camera <n>. */
MODULE_SOFTDEP("pre: vigil-gpio-sim");

struct vigil_board_cam {
	char sensor_name[24];
	char bridge_name[24];
	char gpio_key[32];		/* label of its GPIO controller */
	char bridge_id[32];		/* its platform devices' names */
	char sensor_id[32];
	struct property_entry sensor_props[2];
	struct property_entry sensor_ep_props[4];
	struct property_entry bridge_props[2];
	struct property_entry bridge_ep_props[4];
	struct software_node_ref_args sensor_ref[1];	/* -> bridge endpoint */
	struct software_node_ref_args bridge_ref[1];	/* -> sensor endpoint */
	struct software_node nodes[VIGIL_SWNODE_COUNT];
	const struct software_node *group[VIGIL_SWNODE_COUNT + 1];
	struct platform_device *sensor;
	struct platform_device *bridge;
	struct gpiod_lookup_table *bridge_lookup;
	struct gpiod_lookup_table *sensor_lookup;
};

/* con_id as in the DT binding's "<con_id>-gpios" */
static const struct gpiod_lookup vigil_board_bridge_gpios[] = {
	GPIO_LOOKUP(NULL, VIGIL_GPIO_LINE_PIR, "pir", GPIO_ACTIVE_HIGH),
	GPIO_LOOKUP(NULL, VIGIL_GPIO_LINE_PRIVACY, "privacy", GPIO_ACTIVE_HIGH),
	GPIO_LOOKUP(NULL, VIGIL_GPIO_LINE_REC_LED, "led", GPIO_ACTIVE_HIGH),
};

static const struct gpiod_lookup vigil_board_sensor_gpios[] = {
	GPIO_LOOKUP(NULL, VIGIL_GPIO_LINE_WARM, "warm", GPIO_ACTIVE_HIGH),
};

static struct gpiod_lookup_table *
vigil_board_lookup(const char *key, const char *dev_id,
		   const struct gpiod_lookup *lines, unsigned int n)
{
	struct gpiod_lookup_table *t;
	unsigned int k;

	/* One more entry, zeroed: the terminator. */
	t = kzalloc(struct_size(t, table, n + 1), GFP_KERNEL);
	if (!t)
		return NULL;
	t->dev_id = dev_id;
	for (k = 0; k < n; k++) {
		t->table[k] = lines[k];
		t->table[k].key = key;
	}
	gpiod_add_lookup_table(t);
	return t;
}

static void vigil_board_gpio_del(struct vigil_board_cam *cam)
{
	if (cam->sensor_lookup) {
		gpiod_remove_lookup_table(cam->sensor_lookup);
		kfree(cam->sensor_lookup);
		cam->sensor_lookup = NULL;
	}
	if (cam->bridge_lookup) {
		gpiod_remove_lookup_table(cam->bridge_lookup);
		kfree(cam->bridge_lookup);
		cam->bridge_lookup = NULL;
	}
}

static int vigil_board_gpio_add(struct vigil_board_cam *cam, unsigned int i)
{
	snprintf(cam->gpio_key, sizeof(cam->gpio_key), VIGIL_GPIO_SIM_LABEL "%u",
		 i);
	snprintf(cam->bridge_id, sizeof(cam->bridge_id), VIGIL_NAME ".%u", i);
	snprintf(cam->sensor_id, sizeof(cam->sensor_id),
		 VIGIL_VSENSOR_NAME ".%u", i);
	cam->bridge_lookup =
		vigil_board_lookup(cam->gpio_key, cam->bridge_id,
				   vigil_board_bridge_gpios,
				   ARRAY_SIZE(vigil_board_bridge_gpios));
	cam->sensor_lookup =
		vigil_board_lookup(cam->gpio_key, cam->sensor_id,
				   vigil_board_sensor_gpios,
				   ARRAY_SIZE(vigil_board_sensor_gpios));
	if (!cam->bridge_lookup || !cam->sensor_lookup) {
		vigil_board_gpio_del(cam);
		return -ENOMEM;
	}
	return 0;
}

static struct vigil_board_cam *vigil_board_cams;
static unsigned int vigil_board_nr;

static void vigil_board_graph(struct vigil_board_cam *cam, unsigned int i)
{
	struct software_node *n = cam->nodes;

	snprintf(cam->sensor_name, sizeof(cam->sensor_name),
		 "vigil-sensor%u", i);
	snprintf(cam->bridge_name, sizeof(cam->bridge_name), "vigil-cam%u", i);

	cam->sensor_props[0] = PROPERTY_ENTRY_STRING("compatible",
						     "vigil,virtual-sensor");
	cam->bridge_props[0] = PROPERTY_ENTRY_STRING("compatible",
						     "vigil,camera");

	cam->sensor_ref[0] = SOFTWARE_NODE_REFERENCE(&n[VIGIL_SWNODE_BRIDGE_EP]);
	cam->bridge_ref[0] = SOFTWARE_NODE_REFERENCE(&n[VIGIL_SWNODE_SENSOR_EP]);
	cam->sensor_ep_props[0] = PROPERTY_ENTRY_U32("bus-type",
						     VIGIL_BUS_TYPE_CSI2_DPHY);
	cam->sensor_ep_props[1] = PROPERTY_ENTRY_U32_ARRAY("data-lanes",
							   vigil_board_lanes);
	cam->sensor_ep_props[2] = PROPERTY_ENTRY_REF_ARRAY("remote-endpoint",
							   cam->sensor_ref);
	cam->bridge_ep_props[0] = PROPERTY_ENTRY_U32("bus-type",
						     VIGIL_BUS_TYPE_CSI2_DPHY);
	cam->bridge_ep_props[1] = PROPERTY_ENTRY_U32_ARRAY("data-lanes",
							   vigil_board_lanes);
	cam->bridge_ep_props[2] = PROPERTY_ENTRY_REF_ARRAY("remote-endpoint",
							   cam->bridge_ref);

	n[VIGIL_SWNODE_SENSOR] = (struct software_node) {
		.name = cam->sensor_name,
		.properties = cam->sensor_props,
	};
	n[VIGIL_SWNODE_SENSOR_PORT] = (struct software_node) {
		.name = "port@0",
		.parent = &n[VIGIL_SWNODE_SENSOR],
	};
	n[VIGIL_SWNODE_SENSOR_EP] = (struct software_node) {
		.name = "endpoint@0",
		.parent = &n[VIGIL_SWNODE_SENSOR_PORT],
		.properties = cam->sensor_ep_props,
	};
	n[VIGIL_SWNODE_BRIDGE] = (struct software_node) {
		.name = cam->bridge_name,
		.properties = cam->bridge_props,
	};
	n[VIGIL_SWNODE_BRIDGE_PORT] = (struct software_node) {
		.name = "port@0",
		.parent = &n[VIGIL_SWNODE_BRIDGE],
	};
	n[VIGIL_SWNODE_BRIDGE_EP] = (struct software_node) {
		.name = "endpoint@0",
		.parent = &n[VIGIL_SWNODE_BRIDGE_PORT],
		.properties = cam->bridge_ep_props,
	};
	for (i = 0; i < VIGIL_SWNODE_COUNT; i++)
		cam->group[i] = &n[i];
}

static struct platform_device *
vigil_board_pdev(const char *name, unsigned int id,
		 const struct software_node *node)
{
	struct platform_device_info info = {
		.name = name,
		.id = id,
		.fwnode = software_node_fwnode(node),
		.dma_mask = DMA_BIT_MASK(32),
	};

	return platform_device_register_full(&info);
}

static void vigil_board_cam_del(struct vigil_board_cam *cam)
{
	platform_device_unregister(cam->bridge);
	platform_device_unregister(cam->sensor);
	software_node_unregister_node_group(cam->group);
	vigil_board_gpio_del(cam);
}

static int vigil_board_cam_add(struct vigil_board_cam *cam, unsigned int i)
{
	int ret;

	vigil_board_graph(cam, i);

	/* The wiring first: probe looks its lines up. */
	ret = vigil_board_gpio_add(cam, i);
	if (ret)
		return ret;

	ret = software_node_register_node_group(cam->group);
	if (ret)
		goto err_gpio;

	/* The bridge before its sensor: it waits for it (v4l2_async). */
	cam->bridge = vigil_board_pdev(VIGIL_NAME, i,
				       &cam->nodes[VIGIL_SWNODE_BRIDGE]);
	if (IS_ERR(cam->bridge)) {
		ret = PTR_ERR(cam->bridge);
		goto err_nodes;
	}
	cam->sensor = vigil_board_pdev(VIGIL_VSENSOR_NAME, i,
				       &cam->nodes[VIGIL_SWNODE_SENSOR]);
	if (IS_ERR(cam->sensor)) {
		ret = PTR_ERR(cam->sensor);
		goto err_bridge;
	}
	return 0;

err_bridge:
	platform_device_unregister(cam->bridge);
err_nodes:
	software_node_unregister_node_group(cam->group);
err_gpio:
	vigil_board_gpio_del(cam);
	return ret;
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
