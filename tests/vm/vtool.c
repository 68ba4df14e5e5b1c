// SPDX-License-Identifier: GPL-2.0
/*
 * vtool - small V4L2 client for vigil's VM tests.
 *
 *   vtool mask DEV [LEFT,TOP,WIDTH,HEIGHT ...]   set the privacy mask
 *   vtool getmask DEV      print the used rectangles, "LEFT,TOP,WIDTH,HEIGHT"
 *        one per line
 *   vtool capture DEV FOURCC WxH FPS COUNT OUT [BUFFERS]
 *        capture COUNT frames (MMAP) into OUT, back to back; print
 *        "frames=N gaps=G first=S last=S dropped=D" (dropped: the control,
 *        read after the last DQBUF), then "dropped_at_streamoff=D" (read
 *        after STREAMOFF: also the frames dropped after the last one
 *        dequeued, which are no gap), and one "seq S" line per frame on
 *        stderr when VTOOL_SEQ is set.
 *        With VTOOL_ERRORS set, buffers flagged V4L2_BUF_FLAG_ERROR are
 *        counted (" errors=E" ends the line), not written and not counted
 *        as frames; without it such a buffer fails the capture.
 *        VTOOL_STALL=N:MS: after frame N, wait MS ms before queuing its
 *        buffer back (a consumer that stalls). A sequence number that
 *        does not increase fails the capture.
 *   vtool parm DEV NUM DEN
 *        S_PARM with timeperframe NUM/DEN (any u32 values), then print
 *        the interval S_PARM returned and the one G_PARM reports, as
 *        "set N/D get N/D".
 *
 * Exit status 0 on success; errors name the failing call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "vigil.h"

#define MAX_BUFS 16

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		fprintf(stderr, "vtool: %s: %s\n", what, strerror(errno));
	return ret;
}

static int cmd_mask(int fd, int argc, char **argv)
{
	struct vigil_privacy_rect r[VIGIL_MAX_PRIVACY_RECTS];
	struct v4l2_ext_control c;
	struct v4l2_ext_controls cs;
	int i;

	memset(r, 0, sizeof(r));
	if (argc > VIGIL_MAX_PRIVACY_RECTS) {
		fprintf(stderr, "vtool: at most %d rectangles\n",
			VIGIL_MAX_PRIVACY_RECTS);
		return 2;
	}
	for (i = 0; i < argc; i++) {
		if (sscanf(argv[i], "%u,%u,%u,%u", &r[i].left, &r[i].top,
			   &r[i].width, &r[i].height) != 4) {
			fprintf(stderr, "vtool: bad rectangle '%s'\n", argv[i]);
			return 2;
		}
	}
	memset(&c, 0, sizeof(c));
	c.id = VIGIL_CID_PRIVACY_MASK;
	c.size = sizeof(r);
	c.ptr = r;
	memset(&cs, 0, sizeof(cs));
	cs.which = V4L2_CTRL_WHICH_CUR_VAL;
	cs.count = 1;
	cs.controls = &c;
	return xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs, "S_EXT_CTRLS privacy mask") ? 1 : 0;
}

static int cmd_getmask(int fd)
{
	struct vigil_privacy_rect r[VIGIL_MAX_PRIVACY_RECTS];
	struct v4l2_ext_control c;
	struct v4l2_ext_controls cs;
	int i;

	memset(r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	c.id = VIGIL_CID_PRIVACY_MASK;
	c.size = sizeof(r);
	c.ptr = r;
	memset(&cs, 0, sizeof(cs));
	cs.which = V4L2_CTRL_WHICH_CUR_VAL;
	cs.count = 1;
	cs.controls = &c;
	if (xioctl(fd, VIDIOC_G_EXT_CTRLS, &cs, "G_EXT_CTRLS privacy mask"))
		return 1;
	for (i = 0; i < VIGIL_MAX_PRIVACY_RECTS; i++)
		if (r[i].width && r[i].height)
			printf("%u,%u,%u,%u\n", r[i].left, r[i].top,
			       r[i].width, r[i].height);
	return 0;
}

static int get_dropped(int fd)
{
	struct v4l2_control c = { .id = VIGIL_CID_DROPPED_FRAMES };

	if (xioctl(fd, VIDIOC_G_CTRL, &c, "G_CTRL dropped frames"))
		return -1;
	return c.value;
}

static int cmd_capture(int fd, int argc, char **argv)
{
	struct v4l2_requestbuffers rb;
	struct v4l2_streamparm parm;
	struct v4l2_format fmt;
	struct v4l2_buffer b;
	void *mem[MAX_BUFS];
	size_t len[MAX_BUFS];
	unsigned int w, h, fps, count, nbufs = 4, i, n = 0, gaps = 0;
	unsigned int first = 0, last = 0;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	const char *fcc;
	int seqlog = getenv("VTOOL_SEQ") != NULL;
	int allow_errors = getenv("VTOOL_ERRORS") != NULL;
	unsigned int errors = 0;
	const char *stall = getenv("VTOOL_STALL");
	unsigned int stall_at = 0, stall_ms = 0;
	FILE *out;

	if (argc < 5)
		return 2;
	fcc = argv[0];
	if (strlen(fcc) != 4 || sscanf(argv[1], "%ux%u", &w, &h) != 2)
		return 2;
	fps = atoi(argv[2]);
	count = atoi(argv[3]);
	if (argc > 5)
		nbufs = atoi(argv[5]);
	if (nbufs < 2 || nbufs > MAX_BUFS)
		return 2;
	if (stall && sscanf(stall, "%u:%u", &stall_at, &stall_ms) != 2)
		return 2;

	memset(&fmt, 0, sizeof(fmt));
	fmt.type = type;
	fmt.fmt.pix.pixelformat = v4l2_fourcc(fcc[0], fcc[1], fcc[2], fcc[3]);
	fmt.fmt.pix.width = w;
	fmt.fmt.pix.height = h;
	if (xioctl(fd, VIDIOC_S_FMT, &fmt, "S_FMT"))
		return 1;
	if (fmt.fmt.pix.width != w || fmt.fmt.pix.height != h) {
		fprintf(stderr, "vtool: driver chose %ux%u\n",
			fmt.fmt.pix.width, fmt.fmt.pix.height);
		return 1;
	}
	memset(&parm, 0, sizeof(parm));
	parm.type = type;
	parm.parm.capture.timeperframe.numerator = 1;
	parm.parm.capture.timeperframe.denominator = fps;
	if (xioctl(fd, VIDIOC_S_PARM, &parm, "S_PARM"))
		return 1;

	memset(&rb, 0, sizeof(rb));
	rb.count = nbufs;
	rb.type = type;
	rb.memory = V4L2_MEMORY_MMAP;
	if (xioctl(fd, VIDIOC_REQBUFS, &rb, "REQBUFS"))
		return 1;
	if (rb.count > MAX_BUFS)
		return 1;
	for (i = 0; i < rb.count; i++) {
		memset(&b, 0, sizeof(b));
		b.type = type;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (xioctl(fd, VIDIOC_QUERYBUF, &b, "QUERYBUF"))
			return 1;
		len[i] = b.length;
		mem[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, fd,
			      b.m.offset);
		if (mem[i] == MAP_FAILED) {
			perror("vtool: mmap");
			return 1;
		}
		if (xioctl(fd, VIDIOC_QBUF, &b, "QBUF"))
			return 1;
	}
	out = fopen(argv[4], "w");
	if (!out) {
		perror(argv[4]);
		return 1;
	}
	if (xioctl(fd, VIDIOC_STREAMON, &type, "STREAMON"))
		return 1;
	while (n < count) {
		memset(&b, 0, sizeof(b));
		b.type = type;
		b.memory = V4L2_MEMORY_MMAP;
		if (xioctl(fd, VIDIOC_DQBUF, &b, "DQBUF"))
			return 1;
		if ((b.flags & V4L2_BUF_FLAG_ERROR) && allow_errors) {
			errors++;
			if (seqlog)
				fprintf(stderr, "error-seq %u\n", b.sequence);
			if (xioctl(fd, VIDIOC_QBUF, &b, "QBUF"))
				return 1;
			continue;
		}
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			fprintf(stderr, "vtool: buffer with ERROR flag\n");
			return 1;
		}
		if (!(b.flags & V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)) {
			fprintf(stderr, "vtool: timestamp not monotonic\n");
			return 1;
		}
		if (n == 0) {
			gaps = first = b.sequence;	/* STREAMON starts at 0 */
		} else if (b.sequence <= last) {
			fprintf(stderr, "vtool: sequence %u after %u\n",
				b.sequence, last);
			return 1;
		} else if (b.sequence != last + 1) {
			gaps += b.sequence - last - 1;
		}
		last = b.sequence;
		if (seqlog)
			fprintf(stderr, "seq %u\n", b.sequence);
		if (fwrite(mem[b.index], 1, b.bytesused, out) != b.bytesused) {
			perror("vtool: write");
			return 1;
		}
		n++;
		if (stall && n == stall_at)
			usleep(stall_ms * 1000);
		if (xioctl(fd, VIDIOC_QBUF, &b, "QBUF"))
			return 1;
	}
	printf("frames=%u gaps=%u first=%u last=%u dropped=%d", n, gaps,
	       first, last, get_dropped(fd));
	if (allow_errors)
		printf(" errors=%u", errors);
	printf("\n");
	if (xioctl(fd, VIDIOC_STREAMOFF, &type, "STREAMOFF"))
		return 1;
	/* drops after the last frame dequeued are no gap: the whole count */
	printf("dropped_at_streamoff=%d\n", get_dropped(fd));
	for (i = 0; i < rb.count; i++)
		munmap(mem[i], len[i]);
	return fclose(out) ? 1 : 0;
}

static int cmd_parm(int fd, int argc, char **argv)
{
	struct v4l2_streamparm p;
	struct v4l2_fract set;

	if (argc != 2)
		return 2;
	memset(&p, 0, sizeof(p));
	p.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	p.parm.capture.timeperframe.numerator = strtoul(argv[0], NULL, 0);
	p.parm.capture.timeperframe.denominator = strtoul(argv[1], NULL, 0);
	if (xioctl(fd, VIDIOC_S_PARM, &p, "VIDIOC_S_PARM"))
		return 1;
	set = p.parm.capture.timeperframe;
	memset(&p, 0, sizeof(p));
	p.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (xioctl(fd, VIDIOC_G_PARM, &p, "VIDIOC_G_PARM"))
		return 1;
	printf("set %u/%u get %u/%u\n", set.numerator, set.denominator,
	       p.parm.capture.timeperframe.numerator,
	       p.parm.capture.timeperframe.denominator);
	return 0;
}

int main(int argc, char **argv)
{
	int fd, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: vtool mask|getmask|capture|parm DEV ARGS...\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	if (!strcmp(argv[1], "mask"))
		ret = cmd_mask(fd, argc - 3, argv + 3);
	else if (!strcmp(argv[1], "getmask"))
		ret = cmd_getmask(fd);
	else if (!strcmp(argv[1], "capture"))
		ret = cmd_capture(fd, argc - 3, argv + 3);
	else if (!strcmp(argv[1], "parm"))
		ret = cmd_parm(fd, argc - 3, argv + 3);
	else
		ret = 2;
	if (ret == 2)
		fprintf(stderr, "vtool: bad arguments\n");
	close(fd);
	return ret;
}
