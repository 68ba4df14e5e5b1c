// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - V4L2 capture driver for the vigil camera: module, platform driver,
 * probe/remove and firmware-node parsing.
 */

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "compat.h"
#include "vigil.h"
#include "vigil-pir.h"

int vigil_debug;
module_param_named(debug, vigil_debug, int, 0644);
MODULE_PARM_DESC(debug, "debug level (0-2), messages through dev_info");

static int allocators[VIGIL_MAX_INSTANCES];
module_param_array(allocators, int, NULL, 0444);
MODULE_PARM_DESC(allocators,
		 "vb2 memory allocator per instance: 0 = follows the source (vmalloc for the virtual sensor, dma-contig for a hardware receiver), 1 = vmalloc, 2 = dma-contig");

unsigned int vigil_replay_max_mb = 64;
module_param_named(replay_max_mb, vigil_replay_max_mb, uint, 0644);
MODULE_PARM_DESC(replay_max_mb,
		 "largest replay footage accepted per instance, in MiB (default 64)");

struct dentry *vigil_debugfs_root;
static DEFINE_IDA(vigil_ida);

static void vigil_v4l2_release(struct v4l2_device *v4l2_dev)
{
	struct vigil_dev *vd = container_of(v4l2_dev, struct vigil_dev,
					    v4l2_dev);

	v4l2_ctrl_handler_free(&vd->ctrl_handler);
	vigil_pir_free(vd);
	vigil_sensor_exit(vd);
	vigil_scene_exit(vd);
	vigil_replay_exit(vd);
	mutex_destroy(&vd->lock);
	kfree(vd);
}

static int vigil_parse_fwnode(struct vigil_dev *vd)
{
	struct device *dev = vd->dev;
	const char *src = "scene";
	u32 val;

	device_property_read_string(dev, "vigil,source", &src);
	if (!strcmp(src, "scene") || !strcmp(src, "replay")) {
		vd->src_ops = &vigil_sensor_ops;
	} else {
		return dev_err_probe(dev, -EINVAL,
				     "unsupported vigil,source \"%s\"\n", src);
	}

	if (!device_property_read_u32(dev, "vigil,seed", &val))
		vd->sensor.seed = val & 0x7fffffff;
	else
		vd->sensor.seed = 0x5eed + vd->instance;
	vd->sensor.source = strcmp(src, "replay") ? VIGIL_SOURCE_SCENE :
						    VIGIL_SOURCE_REPLAY;

	if (!device_property_read_u32(dev, "vigil,fps", &val) &&
	    val >= VIGIL_MIN_FPS && val <= VIGIL_MAX_FPS)
		vd->timeperframe.denominator = val;

	if (vd->alloc == VIGIL_ALLOC_AUTO)
		vd->alloc = VIGIL_ALLOC_VMALLOC; /* the sensor writes by CPU */
	return 0;
}

static int vigil_stats_show(struct seq_file *m, void *unused)
{
	struct vigil_dev *vd = m->private;

	seq_printf(m, "sequence %u\ndropped %u\nticks_late %u\n",
		   atomic_read(&vd->sequence), atomic_read(&vd->dropped),
		   atomic_read(&vd->sensor.ticks_late));
	seq_printf(m, "render_us_last %u\nrender_us_max %u\n",
		   vd->sensor.render_us_last, vd->sensor.render_us_max);
	seq_printf(m, "streaming %d\nstandby %d\n", READ_ONCE(vd->streaming),
		   READ_ONCE(vd->standby));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vigil_stats);

static void vigil_debugfs_init(struct vigil_dev *vd)
{
	vd->debugfs = debugfs_create_dir(dev_name(vd->dev), vigil_debugfs_root);
	debugfs_create_u32("fail_queue_setup", 0600, vd->debugfs,
			   &vd->inject_queue_setup);
	debugfs_create_u32("fail_start_streaming", 0600, vd->debugfs,
			   &vd->inject_start);
	debugfs_create_u32("drop_frames", 0600, vd->debugfs,
			   &vd->inject_drop);
	debugfs_create_file("stats", 0400, vd->debugfs, vd, &vigil_stats_fops);
	vigil_scene_debugfs_init(vd);
}

static int vigil_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct vigil_dev *vd;
	int instance;
	int ret;

	instance = ida_alloc_max(&vigil_ida, VIGIL_MAX_INSTANCES - 1,
				 GFP_KERNEL);
	if (instance < 0)
		return dev_err_probe(dev, instance, "too many instances\n");

	/* Not devm: it lives until the last file handle is closed. */
	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd) {
		ida_free(&vigil_ida, instance);
		return -ENOMEM;
	}
	vd->dev = dev;
	vd->instance = instance;
	vd->alloc = allocators[instance];
	if (vd->alloc > VIGIL_ALLOC_DMA_CONTIG)
		vd->alloc = VIGIL_ALLOC_AUTO;
	vd->timeperframe.numerator = 1;
	vd->timeperframe.denominator = 30;
	mutex_init(&vd->lock);
	spin_lock_init(&vd->buf_lock);
	spin_lock_init(&vd->mask_lock);
	spin_lock_init(&vd->src_lock);
	INIT_LIST_HEAD(&vd->buf_list);
	vd->epoch = ktime_get();

	ret = vigil_parse_fwnode(vd);
	if (ret)
		goto err_free;

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret) {
		dev_err_probe(dev, ret, "no usable DMA mask\n");
		goto err_free;
	}

	ret = vigil_scene_init(vd);
	if (ret) {
		dev_err_probe(dev, ret, "built-in scenario rejected\n");
		goto err_free;
	}

	vd->v4l2_dev.release = vigil_v4l2_release;
	ret = v4l2_device_register(dev, &vd->v4l2_dev);
	if (ret) {
		dev_err_probe(dev, ret, "v4l2_device_register failed\n");
		goto err_scene;
	}

	ret = vigil_ctrls_init(vd);
	if (ret) {
		dev_err_probe(dev, ret, "control setup failed\n");
		goto err_v4l2;
	}

	vigil_debugfs_init(vd);
	ret = vigil_replay_debugfs_init(vd);
	if (ret)
		goto err_debugfs;

	ret = vigil_cap_register(vd);
	if (ret) {
		dev_err_probe(dev, ret, "video device registration failed\n");
		goto err_debugfs;
	}

	ret = vigil_pir_init(vd);
	if (ret)
		goto err_cap;

	platform_set_drvdata(pdev, vd);
	dev_info(dev, "%s: %s source, %s buffers\n",
		 video_device_node_name(&vd->vdev), vd->src_ops->name,
		 vd->alloc == VIGIL_ALLOC_DMA_CONTIG ? "dma-contig" :
						       "vmalloc");
	return 0;

err_cap:
	vigil_cap_unregister(vd);
err_debugfs:
	debugfs_remove_recursive(vd->debugfs);
err_v4l2:
	v4l2_device_unregister(&vd->v4l2_dev);
	ida_free(&vigil_ida, instance);
	/* frees vd through vigil_v4l2_release() */
	v4l2_device_put(&vd->v4l2_dev);
	return ret;
err_scene:
	vigil_scene_exit(vd);
err_free:
	mutex_destroy(&vd->lock);
	kfree(vd);
	ida_free(&vigil_ida, instance);
	return ret;
}

static void vigil_remove(struct platform_device *pdev)
{
	struct vigil_dev *vd = platform_get_drvdata(pdev);
	unsigned int instance = vd->instance;

	/* Stops streaming and releases the buffers, even with files open. */
	vigil_cap_unregister(vd);
	vigil_pir_remove(vd);
	debugfs_remove_recursive(vd->debugfs);
	v4l2_device_unregister(&vd->v4l2_dev);
	v4l2_device_put(&vd->v4l2_dev);
	ida_free(&vigil_ida, instance);
}

static const struct of_device_id vigil_of_match[] = {
	{ .compatible = "vigil,camera" },
	{ }
};
MODULE_DEVICE_TABLE(of, vigil_of_match);

static struct platform_driver vigil_driver = {
	.probe = vigil_probe,
	VIGIL_PLATFORM_REMOVE(vigil_remove),
	.driver = {
		.name = VIGIL_NAME,
		.of_match_table = vigil_of_match,
	},
};

static int __init vigil_init(void)
{
	int ret;

	vigil_debugfs_root = debugfs_create_dir(VIGIL_NAME, NULL);

	ret = platform_driver_register(&vigil_driver);
	if (ret)
		goto err_debugfs;

	ret = vigil_board_init();
	if (ret)
		goto err_driver;
	return 0;

err_driver:
	platform_driver_unregister(&vigil_driver);
err_debugfs:
	debugfs_remove_recursive(vigil_debugfs_root);
	return ret;
}

static void __exit vigil_exit(void)
{
	vigil_board_exit();
	platform_driver_unregister(&vigil_driver);
	debugfs_remove_recursive(vigil_debugfs_root);
}

module_init(vigil_init);
module_exit(vigil_exit);

MODULE_DESCRIPTION("vigil V4L2 capture driver with a virtual sensor");
MODULE_AUTHOR("The vigil project");
MODULE_LICENSE("GPL");
MODULE_ALIAS("platform:" VIGIL_NAME);
