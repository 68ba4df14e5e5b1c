// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * V4L2 capture source. MMAP: the driver's buffers are mapped once and the
 * detector reads each frame where the driver wrote it. DMABUF: buffers are
 * allocated from a DRM device through libdrm (dumb buffer -> PRIME fd),
 * mapped for the CPU and imported into the capture queue, so the same
 * memory can go on to a display or encoder without a copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <xf86drm.h>
#include <drm.h>
#include <drm_mode.h>

#if __has_include(<vigil.h>)
#include <vigil.h>
#endif

#include "mjpeg.h"
#include "vigild.h"

#define MAX_BUFFERS 32

struct vbuf {
	void *map;
	size_t len;
	int dmabuf_fd;		/* DMABUF: the PRIME fd, else -1 */
	uint32_t handle;	/* DMABUF: dumb buffer handle */
	bool cpu_access;	/* DMABUF: between SYNC_START and SYNC_END */
	/* MMAP, multiplanar formats: the chroma planes 1.. (0 is map) */
	void *cmap[VIGIL_FRAME_MAX_PLANES - 1];
	size_t clen[VIGIL_FRAME_MAX_PLANES - 1];
};

struct v4l2src {
	int fd;
	int drm_fd;
	enum vigil_io io;
	enum v4l2_buf_type type;	/* VIDEO_CAPTURE or VIDEO_CAPTURE_MPLANE */
	unsigned int nplanes;		/* mplane: planes per buffer (luma: 0) */
	enum vigil_pixfmt fmt;
	struct mjpeg *mjpeg;		/* MJPEG: decoder to luma or colour */
	unsigned long bad_jpeg;		/* MJPEG frames that did not decode */
	bool converted_said;		/* MJPEG: said once: subsampling changed */
	bool jpeg_pass;			/* MJPEG: colour, the JPEGs passed to live */
	const uint8_t *jpeg;		/* MJPEG: the frame being delivered's */
	size_t jpeg_len;
	uint8_t *jcopy;			/* MJPEG colour: the JPEG, copied */
	size_t jcopy_size;
	unsigned int width, height, stride;
	unsigned int pitch[VIGIL_FRAME_MAX_PLANES];	/* mplane: each plane's */
	size_t sizeimage;
	unsigned int nbufs;
	bool streaming;
	bool logged;			/* chosen format printed */
	bool pir_events;		/* VIGIL_EVENT_PIR subscribed */
	bool motion_events;		/* V4L2_EVENT_MOTION_DET subscribed */
	bool ts_warned;			/* said once: not monotonic */
	unsigned long ioctls;		/* for the syscalls-per-frame figure */
	struct vbuf bufs[MAX_BUFFERS];
};

static int xioctl(struct v4l2src *s, int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		s->ioctls++;
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static const struct {
	uint32_t fourcc;
	enum vigil_pixfmt fmt;
} fourccs[] = {
	{ V4L2_PIX_FMT_GREY, VIGIL_FMT_GREY },
	{ V4L2_PIX_FMT_NV12, VIGIL_FMT_NV12 },
	{ V4L2_PIX_FMT_YUV420, VIGIL_FMT_I420 },
	{ V4L2_PIX_FMT_YUYV, VIGIL_FMT_YUYV },
	{ V4L2_PIX_FMT_NV21, VIGIL_FMT_NV21 },
	{ V4L2_PIX_FMT_YVU420, VIGIL_FMT_YV12 },
	{ V4L2_PIX_FMT_UYVY, VIGIL_FMT_UYVY },
	/* multiplanar: one memory plane per colour plane, luma in plane 0 */
	{ V4L2_PIX_FMT_NV12M, VIGIL_FMT_NV12 },
	{ V4L2_PIX_FMT_NV21M, VIGIL_FMT_NV21 },
	{ V4L2_PIX_FMT_YUV420M, VIGIL_FMT_I420 },
	{ V4L2_PIX_FMT_YVU420M, VIGIL_FMT_YV12 },
};

/* What the detector reads best first: a luma plane, then packed 4:2:2. */
static const uint32_t preferred[] = {
	V4L2_PIX_FMT_GREY, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_NV12M,
	V4L2_PIX_FMT_NV21, V4L2_PIX_FMT_NV21M, V4L2_PIX_FMT_YUV420,
	V4L2_PIX_FMT_YUV420M, V4L2_PIX_FMT_YVU420, V4L2_PIX_FMT_YVU420M,
	V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_UYVY,
	V4L2_PIX_FMT_MJPEG,	/* decoded (libturbojpeg): luma only, scaled */
};

#define MAX_ENUM_FMT 160	/* vivid alone lists 90 */

static int fourcc_to_fmt(uint32_t fourcc, enum vigil_pixfmt *fmt)
{
	for (size_t i = 0; i < sizeof(fourccs) / sizeof(fourccs[0]); i++) {
		if (fourccs[i].fourcc == fourcc) {
			*fmt = fourccs[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

static uint32_t fmt_to_fourcc(enum vigil_pixfmt fmt)
{
	for (size_t i = 0; i < sizeof(fourccs) / sizeof(fourccs[0]); i++)
		if (fourccs[i].fmt == fmt)
			return fourccs[i].fourcc;
	return V4L2_PIX_FMT_GREY;
}

static void fourcc_str(uint32_t v, char out[5])
{
	for (int i = 0; i < 4; i++) {
		const char ch = (char)((v >> (8 * i)) & 0xff);

		out[i] = ch >= 32 && ch < 127 ? ch : '?';
	}
	out[4] = 0;
}

/* "GREY, NV12, ..." of @n fourccs. */
static void fourcc_list(const uint32_t *v, unsigned int n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < n && o + 8 < len; i++) {
		char f[5];

		fourcc_str(v[i], f);
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", f);
	}
	if (!n)
		snprintf(buf, len, "nothing");
}

/*
 * The capture format: the configured one if the device offers it, else
 * (format = auto) the first of preferred[] that VIDIOC_ENUM_FMT lists.
 * -ENOTSUP with the list of what the device offers when nothing fits.
 */
static int choose_format(struct v4l2src *s, const struct vigil_config *c,
			 uint32_t *fourcc, char *err, size_t errlen)
{
	uint32_t offered[MAX_ENUM_FMT];
	unsigned int n = 0;
	char have[MAX_ENUM_FMT * 6 + 16], want[5];

	for (; n < MAX_ENUM_FMT; n++) {
		struct v4l2_fmtdesc d = { .index = n, .type = s->type };

		if (xioctl(s, s->fd, VIDIOC_ENUM_FMT, &d))
			break;
		offered[n] = d.pixelformat;
	}
	fourcc_list(offered, n, have, sizeof(have));
	if (!c->pixfmt_auto) {
		enum vigil_pixfmt f;

		/* the named layout: contiguous, or in separate planes (NV12M) */
		*fourcc = fmt_to_fourcc(c->pixfmt);
		for (unsigned int i = 0; i < n; i++) {
			const bool planes = offered[i] != fmt_to_fourcc(c->pixfmt);

			if (!fourcc_to_fmt(offered[i], &f) && f == c->pixfmt &&
			    planes == c->pixfmt_planes) {
				*fourcc = offered[i];
				return 0;
			}
		}
		fourcc_str(*fourcc, want);
		snprintf(err, errlen, "format %s%s is not offered by the device (it offers %s); "
			 "set format = auto to choose from those", want,
			 c->pixfmt_planes ? " in separate planes" : "", have);
		return -ENOTSUP;
	}
	for (size_t p = 0; p < sizeof(preferred) / sizeof(preferred[0]); p++) {
		for (unsigned int i = 0; i < n; i++) {
			if (offered[i] == preferred[p]) {
				*fourcc = preferred[p];
				return 0;
			}
		}
	}
	snprintf(err, errlen, "no usable pixel format: the device offers %s; vigild reads "
		 "GREY, NV12, NV21, YU12, YV12 (also as NV12M, NV21M, YM12, YM21), YUYV, UYVY "
		 "and MJPG",
		 have);
	return -ENOTSUP;
}

/* BEGIN MJPEG colour (issue #8): decoder mode, the stream's format */

/*
 * Colour decoding (full size, YCbCr planes) when something keeps the
 * colour: clips ([record] dir with colour = yes) or the live streams
 * ([http] listen, colour = yes); else the cheaper scaled luma.
 */
static bool mjpeg_colour(const struct vigil_config *c)
{
	return c->record.colour && (c->record.dir[0] || c->http.listen[0]);
}

static int mjpeg_open(struct v4l2src *s, const struct vigil_config *c,
		      const char *dev, bool mp, char *err, size_t errlen)
{
	const unsigned int w = s->width, h = s->height;
	unsigned int denom;
	int ret;

	s->jpeg_pass = mjpeg_colour(c);
	ret = mjpeg_new(w, h, mjpeg_colour(c), &s->mjpeg);
	if (ret) {
		snprintf(err, errlen, "MJPEG decoder for %ux%u: %s", w, h, strerror(-ret));
		return ret;
	}
	mjpeg_size(s->mjpeg, &s->width, &s->height, &denom);
	if (!s->logged && !mjpeg_colour(c))
		fprintf(stderr, "vigild: %s: format MJPG %ux%u%s, decoded to luma at 1/%u: "
			"%ux%u%s\n", dev, w, h, mp ? ", multiplanar" : "", denom, s->width,
			s->height, c->pixfmt_auto ? " (format = auto)" : "");
	s->logged = true;	/* colour: said by mjpeg_stream_format() */
	return 0;
}

/* END MJPEG colour */

static int set_format(struct v4l2src *s, const struct vigil_config *c,
		      const char *dev, char *err, size_t errlen)
{
	struct v4l2_format f = { .type = s->type };
	const bool mp = s->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	uint32_t fourcc, got;
	char name[5];
	int ret;

	ret = choose_format(s, c, &fourcc, err, errlen);
	if (ret)
		return ret;
	ret = xioctl(s, s->fd, VIDIOC_G_FMT, &f);
	if (ret) {
		snprintf(err, errlen, "VIDIOC_G_FMT: %s", strerror(-ret));
		return ret;
	}
	if (mp) {
		if (c->width && c->height) {
			f.fmt.pix_mp.width = c->width;
			f.fmt.pix_mp.height = c->height;
		}
		f.fmt.pix_mp.pixelformat = fourcc;
		f.fmt.pix_mp.field = V4L2_FIELD_NONE;
	} else {
		if (c->width && c->height) {
			f.fmt.pix.width = c->width;
			f.fmt.pix.height = c->height;
		}
		f.fmt.pix.pixelformat = fourcc;
		f.fmt.pix.field = V4L2_FIELD_NONE;
	}
	ret = xioctl(s, s->fd, VIDIOC_S_FMT, &f);
	if (ret) {
		snprintf(err, errlen, "VIDIOC_S_FMT: %s", strerror(-ret));
		return ret;
	}
	got = mp ? f.fmt.pix_mp.pixelformat : f.fmt.pix.pixelformat;
	fourcc_str(got, name);
	if (got == V4L2_PIX_FMT_MJPEG)
		s->fmt = VIGIL_FMT_GREY;	/* until mjpeg_open() */
	else if (fourcc_to_fmt(got, &s->fmt)) {
		snprintf(err, errlen, "the driver set pixel format %s when asked for a supported one",
			 name);
		return -ENOTSUP;
	}
	if (mp) {
		s->nplanes = f.fmt.pix_mp.num_planes;
		if (s->nplanes < 1 || s->nplanes > VIDEO_MAX_PLANES) {
			snprintf(err, errlen, "driver reports %u planes", s->nplanes);
			return -EINVAL;
		}
		if (s->nplanes > VIGIL_FRAME_MAX_PLANES) {
			snprintf(err, errlen, "%s has %u planes", name, s->nplanes);
			return -ENOTSUP;
		}
		for (unsigned int i = 0; i < s->nplanes; i++)
			s->pitch[i] = f.fmt.pix_mp.plane_fmt[i].bytesperline;
		if (s->io == VIGIL_IO_DMABUF && s->nplanes > 1) {
			snprintf(err, errlen, "io = dmabuf needs a single-plane format, %s has %u planes; "
				 "use io = mmap", name, s->nplanes);
			return -ENOTSUP;
		}
		s->width = f.fmt.pix_mp.width;
		s->height = f.fmt.pix_mp.height;
		s->stride = f.fmt.pix_mp.plane_fmt[0].bytesperline;
		s->sizeimage = f.fmt.pix_mp.plane_fmt[0].sizeimage;
	} else {
		s->width = f.fmt.pix.width;
		s->height = f.fmt.pix.height;
		s->stride = f.fmt.pix.bytesperline;
		s->sizeimage = f.fmt.pix.sizeimage;
	}
	if (got == V4L2_PIX_FMT_MJPEG) {
		ret = mjpeg_open(s, c, dev, mp, err, errlen);
		if (ret)
			return ret;
	}
	/* bytesperline 0 (an old driver): vigil_frame_view() takes it packed */
	if (!s->logged) {
		fprintf(stderr, "vigild: %s: format %s %ux%u, %u bytes per line%s%s\n", dev, name,
			s->width, s->height, s->stride, mp ? ", multiplanar" : "",
			c->pixfmt_auto ? " (format = auto)" : "");
		s->logged = true;
	}
	if (c->fps) {
		struct v4l2_streamparm p = { .type = s->type };

		p.parm.capture.timeperframe.numerator = 1;
		p.parm.capture.timeperframe.denominator = c->fps;
		xioctl(s, s->fd, VIDIOC_S_PARM, &p);	/* best effort */
	}
	return 0;
}

/*
 * The shape of a dumb buffer holding @need bytes. The capture driver
 * writes the frame with its own stride from the start of the buffer, so
 * only the size matters; but drivers limit a dumb buffer's width (a
 * display's largest pitch, often 4096 or 8192 pixels), so 8-bit pixels one
 * stride wide fail for 4K YUYV (7680 bytes). Rows of at most 1024 32-bit
 * pixels (4 KiB) fit every driver.
 */
#define DUMB_ROW_PIXELS 1024u

static int dumb_shape(size_t need, struct drm_mode_create_dumb *cd)
{
	const size_t row = DUMB_ROW_PIXELS * 4;
	const size_t rows = (need + row - 1) / row;

	if (!need || rows > UINT32_MAX)
		return -EINVAL;
	cd->bpp = 32;
	cd->width = rows > 1 ? DUMB_ROW_PIXELS : (uint32_t)((need + 3) / 4);
	cd->height = (uint32_t)rows;
	return 0;
}

/* A v4l2_buffer for buffer @index; mplane: @planes holds s->nplanes. */
static void init_vb(const struct v4l2src *s, struct v4l2_buffer *vb,
		    struct v4l2_plane *planes, unsigned int index)
{
	memset(vb, 0, sizeof(*vb));
	vb->index = index;
	vb->type = s->type;
	vb->memory = s->io == VIGIL_IO_DMABUF ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
	if (s->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE) {
		memset(planes, 0, sizeof(*planes) * VIDEO_MAX_PLANES);
		vb->m.planes = planes;
		vb->length = s->nplanes;
	}
}

/* BEGIN colour: the chroma planes of multiplanar formats (NV12M, YUV420M) */

/* MMAP: map planes 1.. of buffer @i (plane 0 is b->map). */
static int map_chroma(struct v4l2src *s, struct vbuf *b, const struct v4l2_plane *planes,
		      unsigned int i, char *err, size_t errlen)
{
	for (unsigned int p = 1; p < s->nplanes && s->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	     p++) {
		void *m = mmap(NULL, planes[p].length, PROT_READ, MAP_SHARED, s->fd,
			       planes[p].m.mem_offset);

		if (m == MAP_FAILED) {
			snprintf(err, errlen, "mmap of buffer %u plane %u: %s", i, p,
				 strerror(errno));
			return -errno;
		}
		b->cmap[p - 1] = m;
		b->clen[p - 1] = planes[p].length;
	}
	return 0;
}

static void unmap_chroma(struct vbuf *b)
{
	for (unsigned int p = 0; p < VIGIL_FRAME_MAX_PLANES - 1; p++) {
		if (b->cmap[p])
			munmap(b->cmap[p], b->clen[p]);
		b->cmap[p] = NULL;
	}
}

/*
 * A frame in several memory planes: @f views the luma (plane 0) already;
 * add the chroma planes, each checked to hold its rows. -EMSGSIZE if one
 * is short.
 */
static int view_chroma(const struct v4l2src *s, const struct vbuf *b,
		       const struct v4l2_plane *planes, struct vigil_frame *f)
{
	const unsigned int n = s->fmt == VIGIL_FMT_NV12 || s->fmt == VIGIL_FMT_NV21 ? 2 : 3;
	const size_t row = (s->width + 1) / 2 * (n == 2 ? 2 : 1);
	const unsigned int rows = (s->height + 1) / 2;

	if (s->nplanes != n)
		return -EMSGSIZE;
	for (unsigned int p = 1; p < n; p++) {
		const size_t pitch = s->pitch[p] ? s->pitch[p] : row;
		const size_t off = planes[p].data_offset;
		size_t used = planes[p].bytesused ? planes[p].bytesused : b->clen[p - 1];

		if (!b->cmap[p - 1] || used > b->clen[p - 1] || off >= used || pitch < row)
			return -EMSGSIZE;
		used -= off;
		if (used < pitch * (rows - 1) + row)
			return -EMSGSIZE;
		f->plane[p] = (const uint8_t *)b->cmap[p - 1] + off;
		f->pitch[p] = pitch;
	}
	f->fmt = s->fmt;
	f->nplanes = n;
	return 0;
}

/* END colour */

/* DMABUF import of buffer @index (plane 0 for mplane: single plane only). */
static void set_dmabuf(const struct v4l2src *s, struct v4l2_buffer *vb,
		       unsigned int index)
{
	const struct vbuf *b = &s->bufs[index];

	if (s->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE) {
		vb->m.planes[0].m.fd = b->dmabuf_fd;
		vb->m.planes[0].length = (uint32_t)b->len;
	} else {
		vb->m.fd = b->dmabuf_fd;
		vb->length = (uint32_t)b->len;
	}
}

static int alloc_dmabuf(struct v4l2src *s, struct vbuf *b, char *err,
			size_t errlen)
{
	struct drm_mode_create_dumb cd = { 0 };
	size_t need = s->sizeimage;
	int ret;

	/* a driver may leave sizeimage (or bytesperline) at 0 */
	if (!need && vigil_pixfmt_frame_size(s->fmt, s->width, s->height, &need))
		need = 0;
	if (dumb_shape(need, &cd)) {
		snprintf(err, errlen, "no buffer size for %ux%u (sizeimage %zu)",
			 s->width, s->height, s->sizeimage);
		return -EINVAL;
	}
	if (drmIoctl(s->drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) {
		ret = -errno;
		snprintf(err, errlen, "DRM_IOCTL_MODE_CREATE_DUMB (%ux%u, 32 bpp, for %zu bytes): %s",
			 cd.width, cd.height, need, strerror(-ret));
		return ret;
	}
	b->handle = cd.handle;
	b->len = cd.size;
	if (b->len < need) {
		snprintf(err, errlen, "dumb buffer of %zu bytes, need %zu", b->len, need);
		return -ENOMEM;
	}
	if (drmPrimeHandleToFD(s->drm_fd, cd.handle, DRM_CLOEXEC | DRM_RDWR,
			       &b->dmabuf_fd)) {
		ret = -errno;
		snprintf(err, errlen, "drmPrimeHandleToFD: %s", strerror(-ret));
		return ret;
	}
	b->map = mmap(NULL, b->len, PROT_READ, MAP_SHARED, b->dmabuf_fd, 0);
	if (b->map == MAP_FAILED) {
		ret = -errno;
		b->map = NULL;
		snprintf(err, errlen, "mmap of dma-buf: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

static int setup_buffers(struct v4l2src *s, const struct vigil_config *c,
			 char *err, size_t errlen)
{
	struct v4l2_requestbuffers rb = {
		.count = c->buffers,
		.type = s->type,
		.memory = s->io == VIGIL_IO_DMABUF ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP,
	};
	int ret;

	ret = xioctl(s, s->fd, VIDIOC_REQBUFS, &rb);
	if (ret) {
		snprintf(err, errlen, "VIDIOC_REQBUFS (%s): %s",
			 s->io == VIGIL_IO_DMABUF ? "dmabuf" : "mmap", strerror(-ret));
		return ret;
	}
	if (rb.count < 2 || rb.count > MAX_BUFFERS) {
		snprintf(err, errlen, "driver granted %u buffers", rb.count);
		return -ENOMEM;
	}
	s->nbufs = rb.count;
	for (unsigned int i = 0; i < s->nbufs; i++) {
		struct vbuf *b = &s->bufs[i];
		struct v4l2_plane planes[VIDEO_MAX_PLANES];
		struct v4l2_buffer vb;

		init_vb(s, &vb, planes, i);
		if (s->io == VIGIL_IO_DMABUF) {
			ret = alloc_dmabuf(s, b, err, errlen);
			if (ret)
				return ret;
			set_dmabuf(s, &vb, i);
		} else {
			const bool mp = s->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;

			ret = xioctl(s, s->fd, VIDIOC_QUERYBUF, &vb);
			if (ret) {
				snprintf(err, errlen, "VIDIOC_QUERYBUF: %s", strerror(-ret));
				return ret;
			}
			b->len = mp ? planes[0].length : vb.length;
			b->map = mmap(NULL, b->len, PROT_READ, MAP_SHARED, s->fd,
				      mp ? planes[0].m.mem_offset : vb.m.offset);
			if (b->map == MAP_FAILED) {
				ret = -errno;
				b->map = NULL;
				snprintf(err, errlen, "mmap of buffer %u: %s", i,
					 strerror(-ret));
				return ret;
			}
			ret = map_chroma(s, b, planes, i, err, errlen);
			if (ret)
				return ret;
		}
		ret = xioctl(s, s->fd, VIDIOC_QBUF, &vb);
		if (ret) {
			snprintf(err, errlen, "VIDIOC_QBUF: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void subscribe(struct v4l2src *s)
{
	struct v4l2_event_subscription sub = { .type = V4L2_EVENT_MOTION_DET };

	/* optional: a device without a PIR simply has none */
	s->motion_events = !xioctl(s, s->fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
#ifdef VIGIL_EVENT_PIR
	memset(&sub, 0, sizeof(sub));
	sub.type = VIGIL_EVENT_PIR;
	s->pir_events = !xioctl(s, s->fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
#endif
}

static int mjpeg_stream_format(struct v4l2src *s, const struct vigil_config *c,
			       const char *dev, const enum vigil_pixfmt *hint,
			       char *err, size_t errlen);

/* @mjpeg_fmt: MJPEG's colour format known from before a reconnection */
static int open_dev(const struct vigil_config *c, const char *dev,
		    const enum vigil_pixfmt *mjpeg_fmt, struct v4l2src **out, char *err,
		    size_t errlen)
{
	struct v4l2_capability cap = { 0 };
	struct v4l2src *s;
	uint32_t caps;
	int ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->drm_fd = -1;
	s->io = c->io;
	for (unsigned int i = 0; i < MAX_BUFFERS; i++)
		s->bufs[i].dmabuf_fd = -1;
	s->fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", dev, strerror(-ret));
		goto fail;
	}
	ret = xioctl(s, s->fd, VIDIOC_QUERYCAP, &cap);
	if (ret) {
		snprintf(err, errlen, "%s: VIDIOC_QUERYCAP: %s", dev, strerror(-ret));
		goto fail;
	}
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	if (!(caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)) ||
	    !(caps & V4L2_CAP_STREAMING)) {
		ret = -ENODEV;
		snprintf(err, errlen, "%s: not a streaming video capture device", dev);
		goto fail;
	}
	/* ISP and CSI receivers often offer only the multiplanar API */
	s->type = caps & V4L2_CAP_VIDEO_CAPTURE ? V4L2_BUF_TYPE_VIDEO_CAPTURE :
		  V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	if (s->io == VIGIL_IO_DMABUF) {
		s->drm_fd = open(c->drm_device, O_RDWR | O_CLOEXEC);
		if (s->drm_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open DRM device %s: %s",
				 c->drm_device, strerror(-ret));
			goto fail;
		}
	}
	ret = set_format(s, c, dev, err, errlen);
	if (ret)
		goto fail;
	ret = setup_buffers(s, c, err, errlen);
	if (ret)
		goto fail;
	subscribe(s);
	ret = xioctl(s, s->fd, VIDIOC_STREAMON, &s->type);
	if (ret == -EPIPE) {
		snprintf(err, errlen, "%s: VIDIOC_STREAMON: %s: the media pipeline feeding this "
			 "node is not configured (links or formats of its subdevices); set it up "
			 "with media-ctl (see userspace/README.md)", dev, strerror(-ret));
		goto fail;
	} else if (ret) {
		snprintf(err, errlen, "VIDIOC_STREAMON: %s", strerror(-ret));
		goto fail;
	}
	s->streaming = true;
	if (s->mjpeg) {
		ret = mjpeg_stream_format(s, c, dev, mjpeg_fmt, err, errlen);
		if (ret)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	v4l2src_free(s);
	return ret;
}

int v4l2src_open(const struct vigil_config *c, const char *dev,
		 struct v4l2src **out, char *err, size_t errlen)
{
	return open_dev(c, dev, NULL, out, err, errlen);
}

void v4l2src_free(struct v4l2src *s)
{
	if (!s)
		return;
	if (s->streaming)
		xioctl(s, s->fd, VIDIOC_STREAMOFF, &s->type);
	for (unsigned int i = 0; i < MAX_BUFFERS; i++) {
		struct vbuf *b = &s->bufs[i];

		if (b->map)
			munmap(b->map, b->len);
		unmap_chroma(b);
		if (b->dmabuf_fd >= 0)
			close(b->dmabuf_fd);
		if (b->handle) {
			struct drm_mode_destroy_dumb dd = { .handle = b->handle };

			drmIoctl(s->drm_fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
		}
	}
	if (s->fd >= 0) {
		struct v4l2_requestbuffers rb = {
			.type = s->type,
			.memory = s->io == VIGIL_IO_DMABUF ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP,
		};

		if (s->nbufs)
			xioctl(s, s->fd, VIDIOC_REQBUFS, &rb);
		close(s->fd);
	}
	if (s->drm_fd >= 0)
		close(s->drm_fd);
	if (s->jpeg)	/* freed during a delivery (the device lost) */
		mjpeg_frame_clear();
	mjpeg_free(s->mjpeg);
	free(s->jcopy);
	free(s);
}

int v4l2src_fd(const struct v4l2src *s)
{
	return s->fd;
}

void v4l2src_geometry(const struct v4l2src *s, unsigned int *w,
		      unsigned int *h)
{
	*w = s->width;
	*h = s->height;
}

enum vigil_pixfmt v4l2src_format(const struct v4l2src *s)
{
	return s->fmt;
}

bool v4l2src_has_pir(const struct v4l2src *s)
{
	return s->pir_events || s->motion_events;
}

unsigned long v4l2src_ioctls(const struct v4l2src *s)
{
	return s->ioctls;
}

static int dmabuf_sync(struct v4l2src *s, unsigned int index, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_READ };

	return xioctl(s, s->bufs[index].dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
}

/* BEGIN MJPEG colour (issue #8): the first frame */

/* The JPEG in a dequeued buffer: its first byte and length. */
static const uint8_t *jpeg_data(const struct v4l2src *s, const struct v4l2_buffer *vb,
				const struct v4l2_plane *planes, size_t *len)
{
	const bool mp = s->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	const size_t size = s->bufs[vb->index].len;
	const size_t off = mp ? planes[0].data_offset : 0;
	const size_t used = mp ? planes[0].bytesused : vb->bytesused;

	*len = used > off && used <= size ? used - off : 0;
	return (const uint8_t *)s->bufs[vb->index].map + off;
}

#define MJPEG_PROBE_MS 3000	/* the first frame of a camera after STREAMON */

/*
 * Colour: the stream's format, from the first JPEG that decodes its header
 * (that frame is given back unused), or @hint (known from before a
 * reconnection: no waiting on vigild's loop). A camera that sends nothing
 * in MJPEG_PROBE_MS gets I420 (the JPEGs converted if they are not 4:2:0).
 */
static int mjpeg_stream_format(struct v4l2src *s, const struct vigil_config *c,
			       const char *dev, const enum vigil_pixfmt *hint,
			       char *err, size_t errlen)
{
	const uint64_t end = mono_ns() + MJPEG_PROBE_MS * 1000000ULL;
	enum vigil_pixfmt fmt = VIGIL_FMT_I420;
	const char *sub = NULL;
	int ret;

	if (mjpeg_format(s->mjpeg, &s->fmt) == 0)
		return 0;	/* luma */
	if (hint && *hint != VIGIL_FMT_I420 && *hint != VIGIL_FMT_GREY &&
	    (*hint != VIGIL_FMT_YUYV || (s->width & 1)))
		hint = NULL;	/* not what an MJPEG stream of this size gave */
	while (!hint && !sub) {
		struct v4l2_plane planes[VIDEO_MAX_PLANES];
		struct v4l2_buffer vb;
		const uint8_t *p;
		uint64_t now;
		size_t len;

		now = mono_ns();
		if (now >= end)
			break;	/* nothing, or nothing that decodes */
		init_vb(s, &vb, planes, 0);
		ret = xioctl(s, s->fd, VIDIOC_DQBUF, &vb);
		if (ret == -EAGAIN) {
			struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

			poll(&pfd, 1, (int)((end - now) / 1000000ULL) + 1);
			continue;
		}
		if (ret || vb.index >= s->nbufs) {
			snprintf(err, errlen, "VIDIOC_DQBUF (first MJPEG frame): %s",
				 strerror(ret ? -ret : EIO));
			return ret ? ret : -EIO;
		}
		p = jpeg_data(s, &vb, planes, &len);
		if (!(vb.flags & V4L2_BUF_FLAG_ERROR) && s->io == VIGIL_IO_DMABUF)
			s->bufs[vb.index].cpu_access = !dmabuf_sync(s, vb.index,
								    DMA_BUF_SYNC_START);
		if (!(vb.flags & V4L2_BUF_FLAG_ERROR) &&
		    (s->io != VIGIL_IO_DMABUF || s->bufs[vb.index].cpu_access) &&
		    mjpeg_probe(s->mjpeg, p, len, &fmt, &sub))
			sub = NULL;	/* not a JPEG of the stream's size: the next */
		ret = v4l2src_requeue(s, vb.index);
		if (ret) {
			snprintf(err, errlen, "VIDIOC_QBUF: %s", strerror(-ret));
			return ret;
		}
	}
	if (hint)
		fmt = *hint;
	ret = mjpeg_set_format(s->mjpeg, fmt);
	if (ret) {
		snprintf(err, errlen, "MJPEG decoder to %s: %s", vigil_pixfmt_name(fmt),
			 strerror(-ret));
		return ret;
	}
	s->fmt = fmt;
	if (hint)
		return 0;
	fprintf(stderr, "vigild: %s: format MJPG %ux%u, %s%s: decoded in colour to %s%s\n",
		dev, s->width, s->height, sub ? sub : "no JPEG of that size in 3 s",
		sub ? " JPEGs" : "", vigil_pixfmt_name(fmt),
		c->pixfmt_auto ? " (format = auto)" : "");
	return 0;
}

/* END MJPEG colour */

int v4l2src_dequeue(struct v4l2src *s, struct vigil_frame *f,
		    unsigned int *index)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer vb;
	uint32_t used;
	int ret;

	init_vb(s, &vb, planes, 0);
	ret = xioctl(s, s->fd, VIDIOC_DQBUF, &vb);
	if (ret)
		return ret;
	if (vb.index >= s->nbufs)
		return -EIO;
	*index = vb.index;
	if (vb.flags & V4L2_BUF_FLAG_ERROR) {
		/* corrupted frame: give it back, report nothing */
		v4l2src_requeue(s, vb.index);
		return -ENODATA;
	}
	if (s->io == VIGIL_IO_DMABUF) {
		ret = dmabuf_sync(s, vb.index, DMA_BUF_SYNC_START);
		if (ret) {
			v4l2src_requeue(s, vb.index);
			return ret;
		}
		s->bufs[vb.index].cpu_access = true;
	}
	used = s->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE ?
	       planes[0].bytesused - planes[0].data_offset : vb.bytesused;
	if (s->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE &&
	    planes[0].data_offset >= planes[0].bytesused)
		used = 0;
	if (s->mjpeg) {
		size_t len;
		const uint8_t *p = jpeg_data(s, &vb, planes, &len);

		/*
		 * Colour: decoded from a copy, passed to the live stream as
		 * it was decoded even from a driver that writes into buffers
		 * it has handed out (v4l2loopback)
		 */
		if (s->jpeg_pass && len > s->jcopy_size) {
			free(s->jcopy);
			s->jcopy = malloc(len);
			s->jcopy_size = s->jcopy ? len : 0;
		}
		if (s->jpeg_pass && s->jcopy) {
			memcpy(s->jcopy, p, len);
			p = s->jcopy;
		}
		/* a corrupt image (a USB hiccup) is dropped, as an error buffer */
		ret = mjpeg_decode(s->mjpeg, p, len, f);
		s->jpeg = !ret && s->jcopy ? p : NULL;
		s->jpeg_len = len;
		if (ret && s->bad_jpeg++ == 0)
			fprintf(stderr, "vigild: MJPEG frame %u dropped: %s (reported once)\n",
				vb.sequence, mjpeg_error(s->mjpeg));
		if (ret)
			ret = -EMSGSIZE;
		if (!ret && !s->converted_said && mjpeg_converted(s->mjpeg)) {
			fprintf(stderr, "vigild: MJPEG frame %u: chroma subsampling changed: "
				"converted to the stream's %s (reported once)\n", vb.sequence,
				vigil_pixfmt_name(s->fmt));
			s->converted_said = true;
		}
	} else {
		/* several memory planes: plane 0 holds the luma alone */
		const bool split = s->nplanes > 1;

		ret = vigil_frame_view(f, split ? VIGIL_FMT_GREY : s->fmt, s->width, s->height,
				       s->stride,
				       (const uint8_t *)s->bufs[vb.index].map +
				       (s->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE ?
					planes[0].data_offset : 0),
				       used ? used : s->bufs[vb.index].len);
		if (!ret && split)
			ret = view_chroma(s, &s->bufs[vb.index], planes, f);
	}
	if (ret) {
		v4l2src_requeue(s, vb.index);
		return ret == -EMSGSIZE ? -ENODATA : ret;
	}
	f->seq = vb.sequence;
	f->ts_ns = (uint64_t)vb.timestamp.tv_sec * 1000000000ULL +
		   (uint64_t)vb.timestamp.tv_usec * 1000ULL;
	/*
	 * Only CLOCK_MONOTONIC timestamps can be set beside PIR times; any
	 * other clock (unknown, copied from an output) is replaced by the
	 * time vigild received the frame.
	 */
	if ((vb.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) !=
	    V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) {
		if (!s->ts_warned) {
			fprintf(stderr, "vigild: buffer timestamps are not CLOCK_MONOTONIC (flags 0x%x): using the time of reception\n",
				vb.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK);
			s->ts_warned = true;
		}
		f->ts_ns = mono_ns();
	}
	if (s->jpeg)	/* MJPEG: for the live stream until the requeue */
		mjpeg_frame_set(f, s->jpeg, s->jpeg_len);
	return 0;
}

int v4l2src_requeue(struct v4l2src *s, unsigned int index)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer vb;

	if (s->jpeg) {
		mjpeg_frame_clear();
		s->jpeg = NULL;
	}
	init_vb(s, &vb, planes, index);
	if (s->io == VIGIL_IO_DMABUF) {
		/* END only after a START: not for a buffer given back unread */
		if (s->bufs[index].cpu_access) {
			dmabuf_sync(s, index, DMA_BUF_SYNC_END);
			s->bufs[index].cpu_access = false;
		}
		set_dmabuf(s, &vb, index);
	}
	return xioctl(s, s->fd, VIDIOC_QBUF, &vb);
}

int v4l2src_events(struct v4l2src *s, struct vigil_pir_event *pir,
		   unsigned int max, unsigned int *npir)
{
	struct v4l2_event ev;
	int ret;

	*npir = 0;
	do {
		memset(&ev, 0, sizeof(ev));
		ret = xioctl(s, s->fd, VIDIOC_DQEVENT, &ev);
		if (ret == -ENOENT)
			return 0;
		if (ret)
			return ret;
		if (ev.type == V4L2_EVENT_MOTION_DET && !s->pir_events && *npir < max) {
			/* no edge events: the driver's motion state stands in */
			pir[(*npir)++] = (struct vigil_pir_event){
				.ts_ns = (uint64_t)ev.timestamp.tv_sec * 1000000000ULL +
					 (uint64_t)ev.timestamp.tv_nsec,
				.level = ev.u.motion_det.region_mask != 0,
				.seq = ev.sequence,
				.frame_seq = ev.u.motion_det.frame_sequence,
			};
		}
#ifdef VIGIL_EVENT_PIR
		if (ev.type == VIGIL_EVENT_PIR && *npir < max) {
			struct vigil_event_pir p;

			memcpy(&p, ev.u.data, sizeof(p));
			pir[(*npir)++] = (struct vigil_pir_event){
				.ts_ns = p.irq_ts_ns,
				.level = p.level,
				.seq = p.seq,
				.frame_seq = p.frame_seq,
				.lost = p.lost,
			};
		}
#endif
	} while (ev.pending);
	return 0;
}

/* ---------------------------------------------------------------- */
/* The V4L2 source: one multishot poll on the device (POLLIN a buffer is
 * done, POLLPRI an event), reconnection with backoff after device loss. */

#define RECONNECT_MAX_MS 30000
#define MAX_PIR_BATCH 64

enum { V4L2_TAG_VIDEO = 1, V4L2_TAG_RECONNECT };

struct v4l2_source {
	struct v4l2src *v;
	const char *dev;
	bool armed;			/* the multishot poll is in place */
	unsigned int reconnect_ms;	/* current backoff, 0: connected */
	unsigned long ioctls;		/* of closed devices, for --stats */
	struct __kernel_timespec ts;	/* the reconnect timer */
	enum vigil_pixfmt fmt;		/* the frames' format, kept on reconnection */
};

static int vsrc_open(struct source *s, const char *dev, char *err,
		     size_t errlen)
{
	struct v4l2_source *vs = calloc(1, sizeof(*vs));
	int ret;

	if (!vs)
		return -ENOMEM;
	s->priv = vs;
	vs->dev = dev;
	ret = v4l2src_open(s->cfg, dev, &vs->v, err, errlen);
	if (ret)
		return ret;
	v4l2src_geometry(vs->v, &s->width, &s->height);
	s->fmt = v4l2src_format(vs->v);
	vs->fmt = s->fmt;
	s->has_pir = v4l2src_has_pir(vs->v);
	s->live = true;
	s->fast = false;
	return 0;
}

static int vsrc_start(struct source *s)
{
	struct v4l2_source *vs = s->priv;
	const int ret = loop_poll_multishot(s->loop, v4l2src_fd(vs->v),
					    POLLIN | POLLPRI,
					    LOOP_TAG(s->id, V4L2_TAG_VIDEO));

	vs->armed = !ret;
	return ret;
}

static void vsrc_stop(struct source *s)
{
	struct v4l2_source *vs = s->priv;

	if (vs && vs->armed) {
		loop_poll_remove(s->loop, LOOP_TAG(s->id, V4L2_TAG_VIDEO));
		loop_submit_wait(s->loop, 0);
		vs->armed = false;
	}
}

static void vsrc_release(struct source *s)
{
	struct v4l2_source *vs = s->priv;

	vsrc_stop(s);
	if (vs->v)
		vs->ioctls += v4l2src_ioctls(vs->v);
	v4l2src_free(vs->v);
	vs->v = NULL;
}

/* Try again later, doubling the wait up to RECONNECT_MAX_MS. */
static int schedule_reconnect(struct source *s)
{
	struct v4l2_source *vs = s->priv;

	vs->reconnect_ms = vs->reconnect_ms ? vs->reconnect_ms * 2 :
			   s->cfg->reconnect_ms;
	if (vs->reconnect_ms > RECONNECT_MAX_MS)
		vs->reconnect_ms = RECONNECT_MAX_MS;
	fprintf(stderr, "vigild: retrying in %u ms\n", vs->reconnect_ms);
	return loop_timeout_abs(s->loop, mono_ns() + vs->reconnect_ms * 1000000ULL,
				&vs->ts, LOOP_TAG(s->id, V4L2_TAG_RECONNECT));
}

/* The device went away: reconnect with backoff, or stop (-ENODEV). */
static int device_lost(struct source *s, int err)
{
	struct v4l2_source *vs = s->priv;

	fprintf(stderr, "vigild: %s: device lost: %s\n", vs->dev, strerror(-err));
	vsrc_release(s);
	s->cb.restart(s->cb.arg, true, mono_ns());
	if (!s->cfg->reconnect_ms)
		return -ENODEV;
	return schedule_reconnect(s);
}

static int reconnect(struct source *s)
{
	struct v4l2_source *vs = s->priv;
	char err[512];

	/* MJPEG: the JPEGs decoded to the format the clips were opened in */
	if (open_dev(s->cfg, vs->dev, &vs->fmt, &vs->v, err, sizeof(err))) {
		fprintf(stderr, "vigild: %s\n", err);
		return schedule_reconnect(s);
	}
	v4l2src_geometry(vs->v, &s->width, &s->height);
	s->fmt = v4l2src_format(vs->v);
	s->cb.restart(s->cb.arg, false, mono_ns());
	fprintf(stderr, "vigild: %s: reconnected\n", vs->dev);
	vs->reconnect_ms = 0;
	return vsrc_start(s);
}

/* Dequeue, deliver in place, requeue: until no buffer is done. */
static int video_frames(struct source *s)
{
	struct v4l2_source *vs = s->priv;

	for (;;) {
		struct vigil_frame f;
		unsigned int index;
		int ret;

		ret = v4l2src_dequeue(vs->v, &f, &index);
		if (ret == -EAGAIN)
			return 0;
		if (ret == -ENODATA)	/* a bad buffer, given back */
			continue;
		if (ret)
			return ret;
		ret = s->cb.frame(s->cb.arg, &f);
		if (ret)
			return ret;
		ret = v4l2src_requeue(vs->v, index);
		if (ret)
			return ret;
	}
}

static int video_ready(struct source *s, const struct io_uring_cqe *cqe)
{
	struct v4l2_source *vs = s->priv;
	int ret = 0;

	/* the last word of a poll removed with a lost device: not ours */
	if (cqe->res == -ECANCELED || !vs->v)
		return 0;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		vs->armed = false;
	if (cqe->res < 0)
		return device_lost(s, cqe->res);
	if (cqe->res & POLLPRI) {
		struct vigil_pir_event pir[MAX_PIR_BATCH];
		unsigned int n;

		ret = v4l2src_events(vs->v, pir, MAX_PIR_BATCH, &n);
		for (unsigned int i = 0; !ret && i < n; i++)
			s->cb.pir(s->cb.arg, &pir[i]);
	}
	/*
	 * Every buffer that is done, until DQBUF says EAGAIN: a multishot
	 * poll merges the wakeups that arrive before vigild runs into one
	 * completion, so one DQBUF per completion would leave buffers done
	 * in the queue for good (latency up to nbufs - 1 frames).
	 */
	if (!ret && (cqe->res & (POLLIN | POLLERR)))
		ret = video_frames(s);
	if (!ret && (cqe->res & (POLLERR | POLLHUP)) && !(cqe->res & POLLIN))
		ret = -EIO;
	if (ret)
		return device_lost(s, ret);
	return vs->armed ? 0 : vsrc_start(s);
}

static int vsrc_ready(struct source *s, unsigned int tag,
		      const struct io_uring_cqe *cqe)
{
	switch (tag) {
	case V4L2_TAG_VIDEO:
		return video_ready(s, cqe);
	case V4L2_TAG_RECONNECT:
		if (cqe->res != -ETIME && cqe->res < 0) {
			fprintf(stderr, "vigild: reconnect timer: %s\n",
				strerror(-cqe->res));
			return cqe->res;
		}
		return reconnect(s);
	}
	return 0;
}

/*
 * If no frame came since the last tick, drain the queue in case wakeups
 * were coalesced (no cost while frames flow).
 */
static int vsrc_tick(struct source *s, uint64_t now_ns, bool idle)
{
	struct v4l2_source *vs = s->priv;

	if (!vs->v || !idle)
		return 0;
	return video_frames(s) ? device_lost(s, -EIO) : 0;
}

static void vsrc_close(struct source *s)
{
	struct v4l2_source *vs = s->priv;

	if (!vs)
		return;
	vsrc_release(s);
	free(vs);
	s->priv = NULL;
}

static unsigned long vsrc_syscalls(const struct source *s)
{
	const struct v4l2_source *vs = s->priv;

	return vs->ioctls + (vs->v ? v4l2src_ioctls(vs->v) : 0);
}

const struct source_ops source_v4l2_ops = {
	.name = "v4l2",
	.prefix = "v4l2:",
	.open = vsrc_open,
	.start = vsrc_start,
	.ready = vsrc_ready,
	.tick = vsrc_tick,
	.stop = vsrc_stop,
	.close = vsrc_close,
	.syscalls = vsrc_syscalls,
};
