// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the bridge: module, platform driver, probe/remove, the media
 * device and the v4l2_async notifier that binds the sensor on port@0.
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

#include <media/v4l2-fwnode.h>

#include "compat.h"
#include "vigil.h"
#include "vigil-pir.h"
#include "vigil-rx.h"
#include "vigil-vsensor.h"

static int allocators[VIGIL_MAX_INSTANCES];
module_param_array(allocators, int, NULL, 0444);
MODULE_PARM_DESC(allocators,
		 "vb2 memory allocator per instance: 0 = follows the receiver (vmalloc for the virtual receiver, which writes with the CPU), 1 = vmalloc, 2 = dma-contig");

unsigned int vigil_replay_max_mb = 64;
module_param_named(replay_max_mb, vigil_replay_max_mb, uint, 0644);
MODULE_PARM_DESC(replay_max_mb,
		 "largest replay footage accepted per virtual sensor, in MiB (default 64)");

struct dentry *vigil_debugfs_root;
static DEFINE_IDA(vigil_ida);

static void vigil_v4l2_release(struct v4l2_device *v4l2_dev)
{
	struct vigil_dev *vd = container_of(v4l2_dev, struct vigil_dev,
					    v4l2_dev);

	v4l2_ctrl_handler_free(&vd->ctrl_handler);
	vigil_pir_free(vd);
	media_device_cleanup(&vd->mdev);
	mutex_destroy(&vd->lock);
	ida_free(&vigil_ida, vd->instance);
	put_device(vd->dev);
	kfree(vd);
}

static inline struct vigil_dev *to_vigil_dev(struct v4l2_async_notifier *nf)
{
	return container_of(nf, struct vigil_dev, notifier);
}

static int vigil_notify_bound(struct v4l2_async_notifier *nf,
			      struct v4l2_subdev *sd,
			      struct vigil_async_conn *asc)
{
	struct vigil_dev *vd = to_vigil_dev(nf);
	int pad;

	if (!vd->rx_ops->accepts(vd, sd)) {
		dev_err(vd->dev, "%s: no receiver for this sensor\n",
			sd->name);
		return -ENODEV;
	}
	pad = media_entity_get_fwnode_pad(&sd->entity, asc->match.fwnode,
					  MEDIA_PAD_FL_SOURCE);
	if (pad < 0) {
		dev_err(vd->dev, "%s: no source pad for the endpoint\n",
			sd->name);
		return pad;
	}
	mutex_lock(&vd->lock);
	vd->sensor = sd;
	vd->sensor_pad = pad;
	mutex_unlock(&vd->lock);
	dev_dbg(vd->dev, "bound %s pad %d\n", sd->name, pad);
	return 0;
}

/* The sensor is there: the capture node and subdev nodes appear. */
static int vigil_notify_complete(struct v4l2_async_notifier *nf)
{
	struct vigil_dev *vd = to_vigil_dev(nf);
	int ret;

	ret = vigil_cap_register(vd);
	if (ret) {
		dev_err(vd->dev, "capture node registration failed: %d\n",
			ret);
		return ret;
	}
	ret = v4l2_device_register_subdev_nodes(&vd->v4l2_dev);
	if (ret) {
		vigil_cap_unregister(vd);
		return ret;
	}
	dev_info(vd->dev, "%s: sensor %s, %s, %s buffers\n",
		 video_device_node_name(&vd->cap->vdev), vd->sensor->name,
		 vd->rx_ops->name,
		 vd->alloc == VIGIL_ALLOC_DMA_CONTIG ? "dma-contig" :
						       "vmalloc");
	return 0;
}

/* The sensor goes (unbind or rmmod): stop, and remove the node. */
static void vigil_notify_unbind(struct v4l2_async_notifier *nf,
				struct v4l2_subdev *sd,
				struct vigil_async_conn *asc)
{
	struct vigil_dev *vd = to_vigil_dev(nf);

	vigil_cap_unregister(vd);
	mutex_lock(&vd->lock);
	vd->sensor = NULL;
	mutex_unlock(&vd->lock);
	dev_dbg(vd->dev, "unbound %s\n", sd->name);
}

static const struct v4l2_async_notifier_operations vigil_notify_ops = {
	.bound = vigil_notify_bound,
	.complete = vigil_notify_complete,
	.unbind = vigil_notify_unbind,
};

/* port@0: the sensor, one endpoint (a parallel or CSI-2 bus). */
static int vigil_parse_endpoint(struct vigil_dev *vd)
{
	struct v4l2_fwnode_endpoint vep = { .bus_type = V4L2_MBUS_UNKNOWN };
	struct vigil_async_conn *asc;
	struct fwnode_handle *ep;
	int ret;

	ep = fwnode_graph_get_endpoint_by_id(dev_fwnode(vd->dev), 0, 0,
					     FWNODE_GRAPH_ENDPOINT_NEXT);
	if (!ep)
		return dev_err_probe(vd->dev, -ENODEV,
				     "no endpoint on port@0 (the sensor)\n");
	ret = v4l2_fwnode_endpoint_parse(ep, &vep);
	if (ret) {
		fwnode_handle_put(ep);
		return dev_err_probe(vd->dev, ret,
				     "port@0 endpoint cannot be parsed\n");
	}
	asc = v4l2_async_nf_add_fwnode_remote(&vd->notifier, ep,
					      struct vigil_async_conn);
	fwnode_handle_put(ep);
	if (IS_ERR(asc))
		return dev_err_probe(vd->dev, PTR_ERR(asc),
				     "cannot add the sensor to the notifier\n");
	dev_dbg(vd->dev, "port@0 bus type %u\n", vep.bus_type);
	return 0;
}

static int vigil_stats_show(struct seq_file *m, void *unused)
{
	struct vigil_dev *vd = m->private;

	seq_printf(m, "sequence %u\ndropped %u\nticks_late %u\n",
		   atomic_read(&vd->sequence), atomic_read(&vd->dropped),
		   atomic_read(&vd->rx.ticks_late));
	seq_printf(m, "dropped_total %u\n", atomic_read(&vd->dropped_total));
	seq_printf(m, "streaming %d\nstandby %d\nsensor_asleep %d\n",
		   READ_ONCE(vd->streaming),
		   vigil_gate_test(&vd->gate, VIGIL_GATE_STANDBY),
		   READ_ONCE(vd->sensor_asleep));
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
	debugfs_create_u32("no_cpu_mapping", 0600, vd->debugfs,
			   &vd->inject_no_vaddr);
	debugfs_create_u32("stall_tick_ms", 0600, vd->debugfs,
			   &vd->inject_stall_ms);
	debugfs_create_file("stats", 0400, vd->debugfs, vd, &vigil_stats_fops);
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
	vd->dev = get_device(dev);
	vd->instance = instance;
	vd->rx_ops = &vigil_rx_virtual_ops;
	vd->alloc = allocators[instance];
	if (vd->alloc > VIGIL_ALLOC_DMA_CONTIG ||
	    vd->alloc == VIGIL_ALLOC_AUTO)
		vd->alloc = VIGIL_ALLOC_VMALLOC; /* the receiver writes by CPU */
	vd->interval.numerator = 1;
	vd->interval.denominator = 30;
	vigil_gate_set_keepalive(&vd->gate, 1);
	mutex_init(&vd->lock);
	spin_lock_init(&vd->node_lock);
	spin_lock_init(&vd->buf_lock);
	spin_lock_init(&vd->mask_lock);
	INIT_LIST_HEAD(&vd->buf_list);

	vd->mdev.dev = dev;
	strscpy(vd->mdev.model, "vigil camera", sizeof(vd->mdev.model));
	snprintf(vd->mdev.bus_info, sizeof(vd->mdev.bus_info), "platform:%s",
		 dev_name(dev));
	media_device_init(&vd->mdev);
	vd->v4l2_dev.mdev = &vd->mdev;
	vd->v4l2_dev.release = vigil_v4l2_release;

	ret = v4l2_device_register(dev, &vd->v4l2_dev);
	if (ret) {
		dev_err_probe(dev, ret, "v4l2_device_register failed\n");
		media_device_cleanup(&vd->mdev);
		mutex_destroy(&vd->lock);
		put_device(dev);
		kfree(vd);
		ida_free(&vigil_ida, instance);
		return ret;
	}
	/* from here on vigil_v4l2_release() frees vd */

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret) {
		dev_err_probe(dev, ret, "no usable DMA mask\n");
		goto err_v4l2;
	}

	ret = vigil_ctrls_init(vd);
	if (ret) {
		dev_err_probe(dev, ret, "control setup failed\n");
		goto err_v4l2;
	}

	vigil_async_nf_init(&vd->notifier, &vd->v4l2_dev);
	vd->notifier.ops = &vigil_notify_ops;
	ret = vigil_parse_endpoint(vd);
	if (ret)
		goto err_nf;

	ret = vigil_pir_init(vd);
	if (ret)
		goto err_nf;

	ret = media_device_register(&vd->mdev);
	if (ret) {
		dev_err_probe(dev, ret, "media device registration failed\n");
		goto err_pir;
	}
	vigil_debugfs_init(vd);
	platform_set_drvdata(pdev, vd);

	/*
	 * Last: the capture node appears in .complete, once the sensor is
	 * bound, after everything it depends on exists.
	 */
	ret = vigil_async_nf_register(&vd->notifier, &vd->v4l2_dev);
	if (ret) {
		dev_err_probe(dev, ret, "notifier registration failed\n");
		goto err_media;
	}
	return 0;

err_media:
	debugfs_remove_recursive(vd->debugfs);
	media_device_unregister(&vd->mdev);
err_pir:
	vigil_pir_remove(vd);
err_nf:
	v4l2_async_nf_cleanup(&vd->notifier);
err_v4l2:
	v4l2_device_unregister(&vd->v4l2_dev);
	v4l2_device_put(&vd->v4l2_dev);
	return ret;
}

static void vigil_remove(struct platform_device *pdev)
{
	struct vigil_dev *vd = platform_get_drvdata(pdev);

	/* unbinds the sensor: stops streaming and removes the node */
	v4l2_async_nf_unregister(&vd->notifier);
	v4l2_async_nf_cleanup(&vd->notifier);
	vigil_cap_unregister(vd);
	vigil_pir_remove(vd);
	debugfs_remove_recursive(vd->debugfs);
	media_device_unregister(&vd->mdev);
	v4l2_device_unregister(&vd->v4l2_dev);
	v4l2_device_put(&vd->v4l2_dev);
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

	ret = platform_driver_register(&vigil_vsensor_driver);
	if (ret)
		goto err_debugfs;

	ret = platform_driver_register(&vigil_driver);
	if (ret)
		goto err_vsensor;

	ret = vigil_board_init();
	if (ret)
		goto err_driver;
	return 0;

err_driver:
	platform_driver_unregister(&vigil_driver);
err_vsensor:
	platform_driver_unregister(&vigil_vsensor_driver);
err_debugfs:
	debugfs_remove_recursive(vigil_debugfs_root);
	return ret;
}

static void __exit vigil_exit(void)
{
	vigil_board_exit();
	platform_driver_unregister(&vigil_driver);
	platform_driver_unregister(&vigil_vsensor_driver);
	debugfs_remove_recursive(vigil_debugfs_root);
}

module_init(vigil_init);
module_exit(vigil_exit);

MODULE_DESCRIPTION("vigil camera bridge, virtual sensor and virtual board");
MODULE_AUTHOR("The vigil project");
MODULE_LICENSE("GPL");
MODULE_ALIAS("platform:" VIGIL_NAME);
