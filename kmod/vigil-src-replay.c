// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - replay of raw footage: a GREY or NV12 file written to debugfs is
 * played at the configured frame rate, looping. Frames whose format and
 * size match the capture format are copied byte for byte; others are
 * converted (nearest-neighbour scaling, chroma dropped or neutral).
 *
 * Memory: one copy of the file in vmalloc memory, at most replay_max_mb
 * MiB per instance, plus the same again transiently while a new file
 * replaces the old one.
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "vigil-vsensor.h"

#define VIGIL_RAW_HDR_MAX	64

struct vigil_upload {
	struct vigil_vsensor *vs;
	char hdr[VIGIL_RAW_HDR_MAX];
	size_t hdr_len;
	bool have_hdr;
	int error;
	u32 fourcc, width, height;
	size_t frame_size;
	u8 *data;
	size_t size, cap;
};

static const char *vigil_replay_fmt_name(u32 fourcc)
{
	return fourcc == V4L2_PIX_FMT_NV12 ? "NV12" : "GREY";
}

static void vigil_replay_release(struct kref *ref)
{
	struct vigil_replay *rp = container_of(ref, struct vigil_replay, ref);

	vfree(rp->data);
	kfree(rp);
}

void vigil_replay_put(struct vigil_replay *rp)
{
	if (rp)
		kref_put(&rp->ref, vigil_replay_release);
}

/**
 * vigil_replay_get() - reference the loaded footage
 * @vs: the virtual sensor
 *
 * Return: the footage or NULL if none is loaded. Any context.
 */
struct vigil_replay *vigil_replay_get(struct vigil_vsensor *vs)
{
	struct vigil_replay *rp;
	unsigned long flags;

	spin_lock_irqsave(&vs->src_lock, flags);
	rp = vs->replay;
	if (rp)
		kref_get(&rp->ref);
	spin_unlock_irqrestore(&vs->src_lock, flags);
	return rp;
}

void vigil_replay_exit(struct vigil_vsensor *vs)
{
	vigil_replay_put(vs->replay);
	vs->replay = NULL;
}

/* ---- rendering ---- */

/*
 * Whole-frame copies and fills go in pieces with a preemption point
 * between them, as the row loops have one per row (see
 * vigil_vsensor_render()): 64 KiB is about 20 rows of 1080p YUYV.
 */
#define VIGIL_REPLAY_CHUNK	SZ_64K

static void vigil_replay_copy(u8 *dst, const u8 *src, size_t len)
{
	size_t n;

	for (; len; len -= n, dst += n, src += n) {
		n = min_t(size_t, len, VIGIL_REPLAY_CHUNK);
		memcpy(dst, src, n);
		cond_resched();
	}
}

static void vigil_replay_fill(u8 *dst, int c, size_t len)
{
	size_t n;

	for (; len; len -= n, dst += n) {
		n = min_t(size_t, len, VIGIL_REPLAY_CHUNK);
		memset(dst, c, n);
		cond_resched();
	}
}

static void vigil_replay_blank(const struct vigil_frame *f)
{
	u32 ysize = f->bytesperline * f->height;

	switch (f->fourcc) {
	case V4L2_PIX_FMT_YUYV:
	case V4L2_PIX_FMT_NV12:
		/* NV12: the Y plane and the CbCr plane after it */
		vigil_replay_fill(f->vaddr, 128, f->sizeimage);
		break;
	default:
		vigil_replay_fill(f->vaddr, 128, ysize);
		break;
	}
}

/**
 * vigil_replay_render() - fill @f with footage frame @sequence % nr_frames
 * @rp: footage, or NULL (a mid-grey frame is produced)
 * @f: destination
 * @sequence: frame number since STREAMON
 */
void vigil_replay_render(const struct vigil_replay *rp,
			 const struct vigil_frame *f,
			 u32 sequence)
{
	u32 w = f->width, h = f->height, bpl = f->bytesperline;
	u32 sw, sh, xstep, x, y;
	const u8 *src, *suv;
	u8 *uvplane;

	if (!rp) {
		vigil_replay_blank(f);
		return;
	}
	src = rp->data + (size_t)(sequence % rp->nr_frames) * rp->frame_size;
	sw = rp->width;
	sh = rp->height;

	if (rp->fourcc == f->fourcc && sw == w && sh == h && bpl == w) {
		vigil_replay_copy(f->vaddr, src, rp->frame_size);
		return;
	}

	suv = rp->fourcc == V4L2_PIX_FMT_NV12 ? src + sw * sh : NULL;
	uvplane = f->vaddr + bpl * h;
	xstep = (sw << 16) / w;
	for (y = 0; y < h; y++) {
		u32 sy = y * sh / h;
		const u8 *srow = src + sy * sw;
		const u8 *suvrow = suv ? suv + (sy / 2) * sw : NULL;
		u8 *dst = f->vaddr + y * bpl;
		u8 *duv = uvplane + (y / 2) * bpl;

		cond_resched();
		for (x = 0; x < w; x++) {
			u32 sx = (x * xstep) >> 16;
			u8 c = suvrow ? suvrow[(sx & ~1U) + (x & 1)] : 128;

			switch (f->fourcc) {
			case V4L2_PIX_FMT_YUYV:
				dst[2 * x] = srow[sx];
				dst[2 * x + 1] = c;
				break;
			case V4L2_PIX_FMT_NV12:
				dst[x] = srow[sx];
				if (!(y & 1))
					duv[x] = c;
				break;
			default:
				dst[x] = srow[sx];
				break;
			}
		}
	}
}

/* ---- debugfs upload ---- */

static int vigil_upload_header(struct vigil_upload *up)
{
	struct device *dev = up->vs->dev;
	char fcc[8];
	u32 w, h;
	int n;

	up->hdr[up->hdr_len - 1] = '\0';
	n = sscanf(up->hdr, VIGIL_RAW_MAGIC " %7s %u %u", fcc, &w, &h);
	if (n != 3) {
		dev_err(dev, "replay: bad header \"%s\", expected \"%s <GREY|NV12> <width> <height>\"\n",
			up->hdr, VIGIL_RAW_MAGIC);
		return -EINVAL;
	}
	if (!strcmp(fcc, "GREY")) {
		up->fourcc = V4L2_PIX_FMT_GREY;
	} else if (!strcmp(fcc, "NV12")) {
		up->fourcc = V4L2_PIX_FMT_NV12;
	} else {
		dev_err(dev, "replay: format %s not supported (GREY or NV12)\n",
			fcc);
		return -EINVAL;
	}
	if (w < 2 || h < 2 || w > VIGIL_MAX_WIDTH || h > VIGIL_MAX_HEIGHT ||
	    (up->fourcc == V4L2_PIX_FMT_NV12 && ((w | h) & 1))) {
		dev_err(dev, "replay: bad size %ux%u (2x2..%ux%u, even for NV12)\n",
			w, h, VIGIL_MAX_WIDTH, VIGIL_MAX_HEIGHT);
		return -EINVAL;
	}
	up->width = w;
	up->height = h;
	up->frame_size = (size_t)w * h;
	if (up->fourcc == V4L2_PIX_FMT_NV12)
		up->frame_size += up->frame_size / 2;
	up->have_hdr = true;
	return 0;
}

static int vigil_upload_grow(struct vigil_upload *up, size_t need)
{
	size_t max = (size_t)vigil_replay_max_mb << 20;
	size_t cap = max_t(size_t, up->cap, 1 << 20);
	u8 *data;

	if (need > max) {
		dev_err(up->vs->dev, "replay: footage larger than replay_max_mb=%u MiB\n",
			vigil_replay_max_mb);
		return -EFBIG;
	}
	while (cap < need)
		cap *= 2;
	cap = min(cap, max);
	data = vmalloc(cap);
	if (!data)
		return -ENOMEM;
	if (up->data)
		memcpy(data, up->data, up->size);
	vfree(up->data);
	up->data = data;
	up->cap = cap;
	return 0;
}

static ssize_t vigil_replay_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct vigil_upload *up = file->private_data;
	size_t done = 0;
	int ret;

	if (!up)
		return -EBADF;
	if (up->error)
		return up->error;

	while (!up->have_hdr && done < count) {
		char c;

		if (get_user(c, ubuf + done))
			return -EFAULT;
		done++;
		if (up->hdr_len >= VIGIL_RAW_HDR_MAX - 1) {
			dev_err(up->vs->dev, "replay: header line too long\n");
			up->error = -EINVAL;
			return up->error;
		}
		up->hdr[up->hdr_len++] = c;
		if (c == '\n') {
			ret = vigil_upload_header(up);
			if (ret) {
				up->error = ret;
				return ret;
			}
		}
	}
	if (done == count)
		goto out;

	if (up->size + (count - done) > up->cap) {
		ret = vigil_upload_grow(up, up->size + (count - done));
		if (ret) {
			up->error = ret;
			return ret;
		}
	}
	if (copy_from_user(up->data + up->size, ubuf + done, count - done))
		return -EFAULT;
	up->size += count - done;
out:
	*ppos += count;
	return count;
}

static void vigil_upload_finish(struct vigil_upload *up)
{
	struct vigil_vsensor *vs = up->vs;
	struct vigil_replay *rp, *old;
	unsigned long flags;
	size_t nr;

	if (up->error)
		goto out;
	if (!up->have_hdr) {
		dev_err(vs->dev, "replay: no \"%s\" header line\n",
			VIGIL_RAW_MAGIC);
		goto out;
	}
	nr = up->size / up->frame_size;
	if (!nr) {
		dev_err(vs->dev, "replay: no complete frame (%zu bytes, %zu per frame)\n",
			up->size, up->frame_size);
		goto out;
	}
	if (up->size % up->frame_size)
		dev_warn(vs->dev, "replay: ignoring %zu trailing bytes\n",
			 up->size % up->frame_size);

	rp = kzalloc(sizeof(*rp), GFP_KERNEL);
	if (!rp)
		goto out;
	kref_init(&rp->ref);
	rp->fourcc = up->fourcc;
	rp->width = up->width;
	rp->height = up->height;
	rp->frame_size = up->frame_size;
	rp->nr_frames = nr;
	rp->data = up->data;
	up->data = NULL;

	spin_lock_irqsave(&vs->src_lock, flags);
	old = vs->replay;
	vs->replay = rp;
	spin_unlock_irqrestore(&vs->src_lock, flags);
	vigil_replay_put(old);
	dev_info(vs->dev, "replay: %u frames %s %ux%u loaded\n",
		 rp->nr_frames, vigil_replay_fmt_name(rp->fourcc), rp->width,
		 rp->height);
out:
	vfree(up->data);
	kfree(up);
}

static int vigil_replay_open(struct inode *inode, struct file *file)
{
	struct vigil_upload *up;

	file->private_data = NULL;
	if (!(file->f_mode & FMODE_WRITE))
		return nonseekable_open(inode, file);
	up = kzalloc(sizeof(*up), GFP_KERNEL);
	if (!up)
		return -ENOMEM;
	up->vs = inode->i_private;
	/* the upload is applied at close, which may come after an unbind */
	vigil_vsensor_get(up->vs);
	file->private_data = up;
	return nonseekable_open(inode, file);
}

static int vigil_replay_release_file(struct inode *inode, struct file *file)
{
	struct vigil_upload *up = file->private_data;
	struct vigil_vsensor *vs;

	if (!up)
		return 0;
	vs = up->vs;
	vigil_upload_finish(up);	/* frees up */
	vigil_vsensor_put(vs);
	return 0;
}

static ssize_t vigil_replay_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct vigil_vsensor *vs = file_inode(file)->i_private;
	struct vigil_replay *rp = vigil_replay_get(vs);
	char buf[80];
	int len;

	if (rp)
		len = scnprintf(buf, sizeof(buf), "%s %ux%u %u frames\n",
				vigil_replay_fmt_name(rp->fourcc), rp->width,
				rp->height, rp->nr_frames);
	else
		len = scnprintf(buf, sizeof(buf), "none\n");
	vigil_replay_put(rp);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations vigil_replay_fops = {
	.owner = THIS_MODULE,
	.open = vigil_replay_open,
	.release = vigil_replay_release_file,
	.read = vigil_replay_read,
	.write = vigil_replay_write,
};

void vigil_replay_debugfs_init(struct vigil_vsensor *vs)
{
	debugfs_create_file("replay", 0600, vs->debugfs, vs,
			    &vigil_replay_fops);
}
