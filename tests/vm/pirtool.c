// SPDX-License-Identifier: GPL-2.0
/*
 * pirtool - V4L2 client for vigil's PIR/LED/privacy VM tests (3x-*.sh).
 *
 *   pirtool stream DEV SECONDS [FPS]
 *	stream GREY 160x120 at FPS (default 30) for SECONDS with MMAP
 *	buffers, subscribed to the PIR and motion events and to
 *	V4L2_CID_PRIVACY's control events (with SEND_INITIAL); prints one
 *	line per frame and event as they arrive:
 *	  "frame SEQ TS_NS", "privacy-initial ASSERTED" (the SEND_INITIAL
 *	  event), "privacy ASSERTED EVENT_TS_NS" (later changes),
 *	  "pir SEQ LEVEL IRQ_TS_NS", "motion MASK", "led ON"
 *	  (VIGIL_CID_REC_LED after STREAMON and before STREAMOFF)
 *   pirtool wake DEV DEBUGFS_DIR CYCLES [FPS]
 *	stream (the caller selects the sensor's replay test pattern, so
 *	that only the board's pulses move the PIR); per cycle: standby on
 *	(keep-alive 0), check that no frame arrives for 0.5 s, one PIR pulse
 *	from the board, then report
 *	"wake EDGE_TS FIRST_FRAME_TS DELTA_NS STANDBY_AFTER" (the tracepoint
 *	vigil:vigil_pir_wake names the first frame too; the caller reads it).
 *   pirtool stale DEV DEBUGFS_DIR
 *	a PIR pulse while not streaming, in standby (keep-alive 0; the
 *	caller selects the sensor's replay test pattern), then a stream:
 *	prints "idle-motion MASK FLAGS", "idle-pir FRAME_SEQ",
 *	"standby-after-idle-pulse S", then for the first second of the
 *	stream "stream-frames N", then "pulse-at NS" (CLOCK_MONOTONIC, just
 *	before one pulse while streaming) and "pulse-frames N".
 *   pirtool ctrl DEV CID [VALUE]
 *	get (print) or set a control.
 *
 * Exit status 0 on success; errors name the failing call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "vigil.h"

#define NBUFS 4

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		fprintf(stderr, "pirtool: %s: %s\n", what, strerror(errno));
	return ret;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int set_ctrl(int fd, uint32_t id, int32_t val)
{
	struct v4l2_control c = { .id = id, .value = val };

	return xioctl(fd, VIDIOC_S_CTRL, &c, "S_CTRL");
}

static int get_ctrl(int fd, uint32_t id, int32_t *val)
{
	struct v4l2_control c = { .id = id };

	if (xioctl(fd, VIDIOC_G_CTRL, &c, "G_CTRL"))
		return -1;
	*val = c.value;
	return 0;
}

static int subscribe(int fd, uint32_t type)
{
	struct v4l2_event_subscription sub = { .type = type };

	return xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub, "SUBSCRIBE_EVENT");
}

/* Control events of @id, the current value first. */
static int subscribe_ctrl(int fd, uint32_t id)
{
	struct v4l2_event_subscription sub = {
		.type = V4L2_EVENT_CTRL,
		.id = id,
		.flags = V4L2_EVENT_SUB_FL_SEND_INITIAL,
	};

	return xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub, "SUBSCRIBE_EVENT ctrl");
}

static int start(int fd, unsigned int fps)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers req = {
		.count = NBUFS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned int i;

	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_GREY;
	fmt.fmt.pix.width = 160;
	fmt.fmt.pix.height = 120;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	if (xioctl(fd, VIDIOC_S_FMT, &fmt, "S_FMT"))
		return -1;
	parm.parm.capture.timeperframe.numerator = 1;
	parm.parm.capture.timeperframe.denominator = fps;
	if (xioctl(fd, VIDIOC_S_PARM, &parm, "S_PARM"))
		return -1;
	if (xioctl(fd, VIDIOC_REQBUFS, &req, "REQBUFS"))
		return -1;
	for (i = 0; i < req.count; i++) {
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};

		if (xioctl(fd, VIDIOC_QBUF, &b, "QBUF"))
			return -1;
	}
	return xioctl(fd, VIDIOC_STREAMON, &type, "STREAMON");
}

static int stop(int fd)
{
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	return xioctl(fd, VIDIOC_STREAMOFF, &type, "STREAMOFF");
}

/*
 * Wait up to @timeout_ns for a frame or an event. Returns 1 with *@b filled
 * (requeued) for a frame, 2 with *@ev for an event, 0 on timeout.
 */
static int next(int fd, uint64_t timeout_ns, struct v4l2_buffer *b,
		struct v4l2_event *ev)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLPRI };
	int ret;

	/* never a negative (infinite) timeout; callers pass end - now */
	if ((int64_t)timeout_ns < 0)
		timeout_ns = 0;
	ret = poll(&pfd, 1, (int)(timeout_ns / 1000000));
	if (ret < 0)
		return errno == EINTR ? 0 : -1;
	if (!ret)
		return 0;
	if (pfd.revents & POLLPRI) {
		memset(ev, 0, sizeof(*ev));
		if (!ioctl(fd, VIDIOC_DQEVENT, ev))
			return 2;
	}
	if (pfd.revents & POLLIN) {
		struct v4l2_buffer q;

		memset(b, 0, sizeof(*b));
		b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b->memory = V4L2_MEMORY_MMAP;
		if (xioctl(fd, VIDIOC_DQBUF, b, "DQBUF"))
			return -1;
		/* QBUF writes the struct back: requeue a copy */
		q = *b;
		if (xioctl(fd, VIDIOC_QBUF, &q, "QBUF"))
			return -1;
		return 1;
	}
	return 0;
}

static uint64_t buf_ns(const struct v4l2_buffer *b)
{
	return (uint64_t)b->timestamp.tv_sec * 1000000000ull +
	       (uint64_t)b->timestamp.tv_usec * 1000ull;
}

static void print_event(const struct v4l2_event *ev)
{
	if (ev->type == VIGIL_EVENT_PIR) {
		const struct vigil_event_pir *p = (const void *)ev->u.data;

		printf("pir %u %u %llu\n", p->seq, p->level,
		       (unsigned long long)p->irq_ts_ns);
	} else if (ev->type == V4L2_EVENT_CTRL && ev->id == V4L2_CID_PRIVACY) {
		/* SEND_INITIAL's event also reports the flags */
		if (ev->u.ctrl.changes & V4L2_EVENT_CTRL_CH_FLAGS)
			printf("privacy-initial %d\n", ev->u.ctrl.value);
		else
			printf("privacy %d %llu\n", ev->u.ctrl.value,
			       (unsigned long long)ev->timestamp.tv_sec *
			       1000000000ull + ev->timestamp.tv_nsec);
	} else if (ev->type == V4L2_EVENT_MOTION_DET) {
		printf("motion %u\n", ev->u.motion_det.region_mask);
	}
	fflush(stdout);
}

static int cmd_stream(int fd, double seconds, unsigned int fps)
{
	uint64_t end;
	int32_t led;

	if (subscribe(fd, VIGIL_EVENT_PIR) ||
	    subscribe_ctrl(fd, V4L2_CID_PRIVACY) ||
	    subscribe(fd, V4L2_EVENT_MOTION_DET) || start(fd, fps))
		return 1;
	if (get_ctrl(fd, VIGIL_CID_REC_LED, &led))
		return 1;
	printf("led %d\n", led);
	fflush(stdout);
	end = now_ns() + (uint64_t)(seconds * 1e9);
	while (now_ns() < end) {
		struct v4l2_buffer b;
		struct v4l2_event ev;
		int r = next(fd, 100000000, &b, &ev);

		if (r < 0)
			return 1;
		if (r == 1) {
			printf("frame %u %llu\n", b.sequence,
			       (unsigned long long)buf_ns(&b));
			fflush(stdout);
		} else if (r == 2) {
			print_event(&ev);
		}
	}
	if (get_ctrl(fd, VIGIL_CID_REC_LED, &led))
		return 1;
	printf("led %d\n", led);
	fflush(stdout);
	return stop(fd) ? 1 : 0;
}

static int write_str(const char *dir, const char *file, const char *s)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (ret)
		fprintf(stderr, "pirtool: %s: %s\n", path, strerror(-ret));
	return ret;
}

/* Time of the first rising edge of the last train (debugfs "edges"). */
static int first_edge(const char *dir, uint64_t *ns)
{
	char path[512];
	unsigned long long idx, t;
	int level;
	FILE *f;

	snprintf(path, sizeof(path), "%s/edges", dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%llu %d %llu", &idx, &level, &t) != 3) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*ns = t;
	return 0;
}

/* Drain frames and events for @ns; return the number of frames. */
static int drain(int fd, uint64_t ns)
{
	uint64_t end = now_ns() + ns;
	int frames = 0;

	for (;;) {
		uint64_t t = now_ns();
		struct v4l2_buffer b;
		struct v4l2_event ev;
		int r;

		if (t >= end)
			break;
		r = next(fd, end - t, &b, &ev);

		if (r < 0)
			return -1;
		if (r == 1)
			frames++;
	}
	return frames;
}

static int cmd_wake(int fd, const char *dir, int cycles, unsigned int fps)
{
	int c;

	/* the caller selects replay: the scene's warm objects would wake it */
	if (start(fd, fps) ||
	    set_ctrl(fd, VIGIL_CID_STANDBY_FPS, 0) ||
	    set_ctrl(fd, VIGIL_CID_PIR_WAKE, 1))
		return 1;
	if (drain(fd, 500000000ull) <= 0) {
		fprintf(stderr, "pirtool: no frames before standby\n");
		return 1;
	}
	for (c = 0; c < cycles; c++) {
		uint64_t edge = 0, first = 0, deadline;
		int32_t standby = -1;
		int n;

		if (set_ctrl(fd, VIGIL_CID_STANDBY, 1))
			return 1;
		/* a frame in flight may still complete */
		drain(fd, 100000000ull);
		n = drain(fd, 500000000ull);
		if (n) {
			printf("standby-frames %d\n", n);
			return 1;
		}
		if (write_str(dir, "train", "1 1000 500"))
			return 1;
		deadline = now_ns() + 2000000000ull;
		while (!first && now_ns() < deadline) {
			struct v4l2_buffer b;
			struct v4l2_event ev;
			int r = next(fd, 100000000, &b, &ev);

			if (r < 0)
				return 1;
			if (r == 1)
				first = buf_ns(&b);
		}
		if (!first) {
			printf("no-frame-after-wake\n");
			return 1;
		}
		if (first_edge(dir, &edge))
			return 1;
		get_ctrl(fd, VIGIL_CID_STANDBY, &standby);
		printf("wake %llu %llu %lld %d\n",
		       (unsigned long long)edge, (unsigned long long)first,
		       (long long)(first - edge), standby);
		fflush(stdout);
		drain(fd, 300000000ull);
	}
	set_ctrl(fd, VIGIL_CID_STANDBY, 0);
	return stop(fd) ? 1 : 0;
}

/* Count frames for @ns. */
static int count(int fd, uint64_t ns, int *frames)
{
	uint64_t end = now_ns() + ns;

	*frames = 0;
	for (;;) {
		uint64_t t = now_ns();
		struct v4l2_buffer b;
		struct v4l2_event ev;
		int r;

		if (t >= end)
			return 0;
		r = next(fd, end - t, &b, &ev);
		if (r < 0)
			return -1;
		if (r == 1)
			++*frames;
	}
}

static int cmd_stale(int fd, const char *dir)
{
	struct v4l2_event ev;
	int32_t standby = -1;
	int frames, n = 0;

	if (set_ctrl(fd, VIGIL_CID_STANDBY_FPS, 0) ||
	    set_ctrl(fd, VIGIL_CID_PIR_WAKE, 1) ||
	    set_ctrl(fd, VIGIL_CID_STANDBY, 1) ||
	    subscribe(fd, VIGIL_EVENT_PIR) ||
	    subscribe(fd, V4L2_EVENT_MOTION_DET))
		return 1;
	if (write_str(dir, "train", "1 1000 500"))
		return 1;
	usleep(300000);
	/* Not streaming: the events are queued, DQEVENT takes them. */
	for (;;) {
		memset(&ev, 0, sizeof(ev));
		if (ioctl(fd, VIDIOC_DQEVENT, &ev))
			break;
		n++;
		if (ev.type == V4L2_EVENT_MOTION_DET) {
			printf("idle-motion %u %u\n", ev.u.motion_det.region_mask,
			       ev.u.motion_det.flags);
		} else if (ev.type == VIGIL_EVENT_PIR) {
			const struct vigil_event_pir *p = (const void *)ev.u.data;

			printf("idle-pir %u\n", p->frame_seq);
		}
	}
	if (!n) {
		fprintf(stderr, "pirtool: no event for the idle pulse\n");
		return 1;
	}
	if (get_ctrl(fd, VIGIL_CID_STANDBY, &standby))
		return 1;
	printf("standby-after-idle-pulse %d\n", standby);
	if (start(fd, 30) || count(fd, 1000000000ull, &frames))
		return 1;
	printf("stream-frames %d\n", frames);
	fflush(stdout);
	/* The same pulse while streaming does wake it. */
	printf("pulse-at %llu\n", (unsigned long long)now_ns());
	fflush(stdout);
	if (write_str(dir, "train", "1 1000 500") ||
	    count(fd, 1000000000ull, &frames))
		return 1;
	printf("pulse-frames %d\n", frames);
	fflush(stdout);
	set_ctrl(fd, VIGIL_CID_STANDBY, 0);
	return stop(fd) ? 1 : 0;
}

int main(int argc, char **argv)
{
	int fd, ret = 2;

	if (argc < 3) {
		fprintf(stderr, "usage: see the head of tests/vm/pirtool.c\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "pirtool: open %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "stream") && argc >= 4) {
		ret = cmd_stream(fd, atof(argv[3]),
				 argc > 4 ? atoi(argv[4]) : 30);
	} else if (!strcmp(argv[1], "wake") && argc >= 5) {
		ret = cmd_wake(fd, argv[3], atoi(argv[4]),
			       argc > 5 ? atoi(argv[5]) : 30);
	} else if (!strcmp(argv[1], "stale") && argc >= 4) {
		ret = cmd_stale(fd, argv[3]);
	} else if (!strcmp(argv[1], "ctrl") && argc >= 4) {
		uint32_t id = strtoul(argv[3], NULL, 0);
		int32_t v;

		if (argc > 4) {
			ret = set_ctrl(fd, id, atoi(argv[4])) ? 1 : 0;
		} else {
			ret = get_ctrl(fd, id, &v) ? 1 : 0;
			if (!ret)
				printf("%d\n", v);
		}
	}
	close(fd);
	return ret;
}
