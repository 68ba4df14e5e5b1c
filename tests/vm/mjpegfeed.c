// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mjpegfeed - an MJPEG camera made of files, on a V4L2 output device
 * (v4l2loopback) for tests/vm/65-vigild-mjpeg-colour.sh:
 *
 *   mjpegfeed DEV WxH FPS FIRST THEN SWITCH
 *
 * Sets DEV's output format to MJPG WxH, then writes the JPEG files listed
 * (one path a line) in FIRST, one write() each, FPS a second, in a loop
 * until the file SWITCH exists; from then on those listed in THEN, in a
 * loop. Prints "feeding" once the first frame is written; runs until
 * killed. Errors name the failing call; exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#define MAX_FRAMES 256

struct frame {
	char *data;
	size_t len;
};

static int load(const char *list, struct frame *f)
{
	char path[4096];
	FILE *l = fopen(list, "r");
	int n = 0;

	if (!l) {
		fprintf(stderr, "mjpegfeed: %s: %s\n", list, strerror(errno));
		exit(1);
	}
	while (n < MAX_FRAMES && fgets(path, sizeof(path), l)) {
		FILE *fp;
		long len;

		path[strcspn(path, "\n")] = 0;
		if (!path[0])
			continue;
		fp = fopen(path, "rb");
		if (!fp || fseek(fp, 0, SEEK_END) || (len = ftell(fp)) <= 0) {
			fprintf(stderr, "mjpegfeed: %s: %s\n", path, strerror(errno));
			exit(1);
		}
		rewind(fp);
		f[n].data = malloc((size_t)len);
		f[n].len = (size_t)len;
		if (!f[n].data || fread(f[n].data, 1, f[n].len, fp) != f[n].len) {
			fprintf(stderr, "mjpegfeed: read %s\n", path);
			exit(1);
		}
		fclose(fp);
		n++;
	}
	fclose(l);
	if (!n) {
		fprintf(stderr, "mjpegfeed: no frames in %s\n", list);
		exit(1);
	}
	return n;
}

static void put(int fd, const struct frame *f)
{
	if (write(fd, f->data, f->len) != (ssize_t)f->len) {
		fprintf(stderr, "mjpegfeed: write: %s\n", strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static struct frame first[MAX_FRAMES], then[MAX_FRAMES];
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT };
	unsigned int w, h, fps;
	struct timespec next;
	int fd, nfirst, nthen, i = 0;
	const struct frame *cur;
	int ncur;

	if (argc != 7 || sscanf(argv[2], "%ux%u", &w, &h) != 2 || !(fps = atoi(argv[3]))) {
		fprintf(stderr, "usage: mjpegfeed DEV WxH FPS FIRST THEN SWITCH\n");
		return 1;
	}
	nfirst = load(argv[4], first);
	nthen = load(argv[5], then);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "mjpegfeed: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fmt.fmt.pix.width = w;
	fmt.fmt.pix.height = h;
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_MJPEG;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	fmt.fmt.pix.sizeimage = 1 << 20;
	if (ioctl(fd, VIDIOC_S_FMT, &fmt)) {
		fprintf(stderr, "mjpegfeed: VIDIOC_S_FMT: %s\n", strerror(errno));
		return 1;
	}
	cur = first;
	ncur = nfirst;
	put(fd, &cur[0]);
	printf("feeding\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += 1000000000L / fps;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (cur == first && !access(argv[6], F_OK)) {
			cur = then;
			ncur = nthen;
			i = 0;
		} else {
			i = (i + 1) % ncur;
		}
		put(fd, &cur[i]);
	}
}
