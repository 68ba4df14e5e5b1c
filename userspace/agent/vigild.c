// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild: motion detection fused with a PIR sensor, driven by one
 * restricted io_uring. Sources: V4L2 (MMAP or DMABUF) or replay of a file.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vigild.h"

#define VIGILD_VERSION "0.1"
#define TICK_NS 1000000000ULL
#define RECONNECT_MAX_MS 30000
#define MAX_PIR_BATCH 64

struct vigild {
	struct vigil_config cfg;
	struct loop loop;
	bool loop_ok;
	struct notifier notify;
	int sigfd;
	FILE *events;
	FILE *trace;			/* --trace: per-frame results, PIR edges */
	struct vigil_detector *det;
	struct vigil_fusion *fusion;
	unsigned int width, height;

	/* replay */
	struct replay *replay;
	struct pir_script pir;
	uint64_t base_ns;		/* time of frame 0 */
	uint64_t interval_ns;
	uint64_t loop_base_ns;		/* time of frame 0 of this pass */
	/* v4l2 */
	const char *dev;
	struct v4l2src *v4l2;
	bool video_armed;
	unsigned int reconnect_ms;

	bool stop;
	int status;			/* exit status */
	uint64_t last_ns;		/* latest input time */
	unsigned long frames, motion_frames, nevents;
	unsigned long tick_frames;	/* frames at the previous tick */
	uint64_t detect_ns;
	int events_error;
};

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: vigild [options]\n"
"  -c, --config FILE        INI configuration (see vigild.conf.example)\n"
"  -s, --source SRC         replay:FILE or v4l2:/dev/videoN\n"
"  -e, --events PATH        event JSON lines to PATH ('-' = stdout)\n"
"  -p, --policy POLICY      pir-and-video, video-only or pir-only\n"
"      --pir-events FILE    replay: PIR edges, '<seconds> <0|1>' per line\n"
"      --loop               replay: start again at the end of the file\n"
"      --fast               replay as fast as possible\n"
"      --realtime           replay at the file's frame rate (default)\n"
"      --io mmap|dmabuf     v4l2 buffer memory\n"
"      --drm-device PATH    DRM device for dmabuf (vgem in the VM)\n"
"      --size WxH           v4l2 format request, or raw replay size\n"
"      --format FMT         GREY, NV12, I420 or YUYV\n"
"      --fps N              v4l2 frame rate request, or raw replay rate\n"
"      --set SEC.KEY=VAL    set any configuration key (repeatable)\n"
"      --stats              print statistics to stderr at exit\n"
"      --trace FILE         per-frame detection and PIR edges as JSON lines\n"
"      --check-config       load the configuration and exit\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n");
}

/* ---------------------------------------------------------------- */

static void on_event(const struct vigil_event *ev, void *arg)
{
	struct vigild *v = arg;
	char buf[2048];
	const int n = vigil_event_json(ev, buf, sizeof(buf));

	if (n < 0)
		return;
	if (ev->type == VIGIL_EVENT_START)
		v->nevents++;
	if (fputs(buf, v->events) == EOF || fflush(v->events)) {
		if (!v->events_error) {
			v->events_error = -errno;
			fprintf(stderr, "vigild: writing events: %s\n",
				strerror(errno));
		}
	}
}

static int process_frame(struct vigild *v, const struct vigil_frame *f)
{
	struct vigil_detect_result r;
	const uint64_t t0 = mono_ns();
	int ret;

	ret = vigil_detector_process(v->det, f, &r);
	v->detect_ns += mono_ns() - t0;
	if (ret) {
		fprintf(stderr, "vigild: detector: %s\n", strerror(-ret));
		return ret;
	}
	v->frames++;
	v->motion_frames += r.motion;
	if (v->trace)
		fprintf(v->trace, "{\"frame\":%u,\"ts_ns\":%llu,\"motion\":%d,"
			"\"raw\":%d,\"global\":%d,\"score\":%.5f,\"area\":%u,"
			"\"noise\":%.3f}\n", r.seq, (unsigned long long)r.ts_ns,
			r.motion, r.raw_motion, r.global_change, r.score,
			r.changed_px, r.noise);
	v->last_ns = f->ts_ns;
	vigil_fusion_video(v->fusion, &r);
	return 0;
}

static void feed_pir(struct vigild *v, const struct vigil_pir_event *e)
{
	if (e->ts_ns > v->last_ns)
		v->last_ns = e->ts_ns;
	if (v->trace)
		fprintf(v->trace, "{\"pir\":%d,\"ts_ns\":%llu,\"seq\":%u,"
			"\"frame\":%u,\"lost\":%u}\n", e->level,
			(unsigned long long)e->ts_ns, e->seq, e->frame_seq, e->lost);
	vigil_fusion_pir(v->fusion, e);
}

static int make_pipeline(struct vigild *v)
{
	int ret;

	ret = vigil_detector_new(&v->cfg.detect, v->width, v->height, &v->det);
	if (ret) {
		fprintf(stderr, "vigild: detector for %ux%u: %s\n", v->width,
			v->height, strerror(-ret));
		return ret;
	}
	ret = vigil_fusion_new(&v->cfg.fusion, on_event, v, &v->fusion);
	if (ret)
		fprintf(stderr, "vigild: fusion: %s\n", strerror(-ret));
	return ret;
}

/* ---------------------------------------------------------------- */
/* replay */

/* Feed the side-file PIR edges due up to @until. */
static void replay_pir_until(struct vigild *v, uint64_t until)
{
	while (v->pir.next < v->pir.n) {
		struct vigil_pir_event e = v->pir.ev[v->pir.next];

		e.ts_ns += v->loop_base_ns;
		if (e.ts_ns > until)
			break;
		v->pir.next++;
		feed_pir(v, &e);
	}
}

/* Process the next replay frame; returns 0, 1 at the end, or -errno. */
static int replay_step(struct vigild *v)
{
	struct vigil_frame f;
	char err[256];
	int ret;

	ret = replay_next(v->replay, &f, err, sizeof(err));
	if (ret == -ENODATA && v->cfg.loop && v->frames) {
		replay_pir_until(v, UINT64_MAX);
		replay_rewind(v->replay);
		ret = replay_next(v->replay, &f, err, sizeof(err));
		v->loop_base_ns = v->base_ns + (uint64_t)f.seq * v->interval_ns;
		v->pir.next = 0;
	}
	if (ret == -ENODATA)
		return 1;
	if (ret) {
		fprintf(stderr, "vigild: replay: %s\n", err);
		return ret;
	}
	f.ts_ns = v->base_ns + (uint64_t)f.seq * v->interval_ns;
	replay_pir_until(v, f.ts_ns);
	return process_frame(v, &f);
}

static int replay_schedule(struct vigild *v)
{
	const uint64_t seq = v->frames;

	return loop_timeout_abs(&v->loop, v->base_ns + seq * v->interval_ns,
				TAG_FRAME_TIMER);
}

static int open_replay(struct vigild *v, const char *path)
{
	unsigned int num, den;
	char err[512];
	int ret;

	ret = replay_open(&v->cfg, path, &v->replay, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vigild: replay: %s\n", err);
		return ret;
	}
	replay_geometry(v->replay, &v->width, &v->height, &num, &den);
	v->interval_ns = (uint64_t)den * 1000000000ULL / num;
	if (v->cfg.pir_events[0]) {
		ret = pir_script_load(&v->pir, v->cfg.pir_events, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "vigild: %s\n", err);
			return ret;
		}
	}
	v->base_ns = v->loop_base_ns = mono_ns();
	return 0;
}

/* ---------------------------------------------------------------- */
/* v4l2 */

static int arm_video(struct vigild *v)
{
	int ret = loop_poll_multishot(&v->loop, v4l2src_fd(v->v4l2),
				      POLLIN | POLLPRI, TAG_VIDEO);

	v->video_armed = !ret;
	return ret;
}

static int open_v4l2(struct vigild *v)
{
	char err[512];
	int ret;

	ret = v4l2src_open(&v->cfg, v->dev, &v->v4l2, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vigild: %s\n", err);
		return ret;
	}
	v4l2src_geometry(v->v4l2, &v->width, &v->height);
	return 0;
}

static void close_v4l2(struct vigild *v)
{
	if (v->video_armed) {
		loop_poll_remove(&v->loop, TAG_VIDEO);
		loop_submit_wait(&v->loop, 0);
		v->video_armed = false;
	}
	v4l2src_free(v->v4l2);
	v->v4l2 = NULL;
}

/* Try again later, doubling the wait up to RECONNECT_MAX_MS. */
static void schedule_reconnect(struct vigild *v)
{
	v->reconnect_ms = v->reconnect_ms ? v->reconnect_ms * 2 : v->cfg.reconnect_ms;
	if (v->reconnect_ms > RECONNECT_MAX_MS)
		v->reconnect_ms = RECONNECT_MAX_MS;
	fprintf(stderr, "vigild: retrying in %u ms\n", v->reconnect_ms);
	loop_timeout_abs(&v->loop, mono_ns() + v->reconnect_ms * 1000000ULL,
			 TAG_RECONNECT);
}

/* The device went away: reconnect with backoff, or stop. */
static void device_lost(struct vigild *v, int err)
{
	fprintf(stderr, "vigild: %s: device lost: %s\n", v->dev, strerror(-err));
	close_v4l2(v);
	vigil_fusion_flush(v->fusion, mono_ns());
	if (!v->cfg.reconnect_ms) {
		v->status = 1;
		v->stop = true;
		return;
	}
	schedule_reconnect(v);
}

static void reconnect(struct vigild *v)
{
	unsigned int w = v->width, h = v->height;

	if (open_v4l2(v)) {
		schedule_reconnect(v);
		return;
	}
	if (w != v->width || h != v->height) {
		vigil_detector_free(v->det);
		v->det = NULL;
		if (vigil_detector_new(&v->cfg.detect, v->width, v->height, &v->det)) {
			fprintf(stderr, "vigild: detector for %ux%u failed\n",
				v->width, v->height);
			v->status = 1;
			v->stop = true;
			return;
		}
	} else {
		vigil_detector_reset(v->det);
	}
	fprintf(stderr, "vigild: %s: reconnected\n", v->dev);
	v->reconnect_ms = 0;
	arm_video(v);
}

/* Dequeue, detect in place, requeue. @drain: until the queue is empty. */
static int video_frames(struct vigild *v, bool drain)
{
	do {
		struct vigil_frame f;
		unsigned int index;
		int ret;

		ret = v4l2src_dequeue(v->v4l2, &f, &index);
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return ret;
		ret = process_frame(v, &f);
		if (ret)
			return ret;
		ret = v4l2src_requeue(v->v4l2, index);
		if (ret)
			return ret;
	} while (drain);
	return 0;
}

static void video_ready(struct vigild *v, const struct io_uring_cqe *cqe)
{
	int ret = 0;

	/* the last word of a poll removed with a lost device: not ours */
	if (cqe->res == -ECANCELED || !v->v4l2)
		return;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		v->video_armed = false;
	if (cqe->res < 0) {
		device_lost(v, cqe->res);
		return;
	}
	if (cqe->res & POLLPRI) {
		struct vigil_pir_event pir[MAX_PIR_BATCH];
		unsigned int n;

		ret = v4l2src_events(v->v4l2, pir, MAX_PIR_BATCH, &n);
		for (unsigned int i = 0; !ret && i < n; i++)
			feed_pir(v, &pir[i]);
	}
	/* one buffer per wakeup: 3 syscalls per frame (enter, DQBUF, QBUF) */
	if (!ret && (cqe->res & (POLLIN | POLLERR)))
		ret = video_frames(v, cqe->res & POLLERR);
	if (!ret && (cqe->res & (POLLERR | POLLHUP)) && !(cqe->res & POLLIN))
		ret = -EIO;
	if (ret) {
		device_lost(v, ret);
		return;
	}
	if (!v->video_armed)
		arm_video(v);
}

/* ---------------------------------------------------------------- */

/*
 * The tick: 1 s while no frames come (the fusion clock then ends events),
 * 5 s while frames flow (they drive the clock themselves), or half the
 * systemd watchdog interval if shorter.
 */
static uint64_t tick_interval(const struct vigild *v)
{
	const uint64_t wd = v->notify.watchdog_ns / 2;
	const uint64_t t = v->frames != v->tick_frames ? 5 * TICK_NS : TICK_NS;

	return wd && wd < t ? wd : t;
}

static void tick(struct vigild *v)
{
	const uint64_t now = mono_ns();

	if (v->notify.watchdog_ns)
		notify_send(&v->notify, "WATCHDOG=1");
	if (v->v4l2) {
		/* live clock: end events after the gap; if no frame came
		 * since the last tick, drain the queue in case wakeups were
		 * coalesced (no cost while frames flow) */
		vigil_fusion_tick(v->fusion, now);
		if (v->frames == v->tick_frames && video_frames(v, true))
			device_lost(v, -EIO);
	}
	loop_timeout_abs(&v->loop, now + tick_interval(v), TAG_TICK);
	v->tick_frames = v->frames;
}

static void on_signal(struct vigild *v, const struct io_uring_cqe *cqe)
{
	struct signalfd_siginfo si;

	if (read(v->sigfd, &si, sizeof(si)) == sizeof(si)) {
		fprintf(stderr, "vigild: %s, stopping\n", strsignal((int)si.ssi_signo));
		v->stop = true;
	}
	if (!(cqe->flags & IORING_CQE_F_MORE))
		loop_poll_multishot(&v->loop, v->sigfd, POLLIN, TAG_SIGNAL);
}

static void handle_cqe(struct vigild *v, const struct io_uring_cqe *cqe)
{
	int ret;

	switch (io_uring_cqe_get_data64(cqe)) {
	case TAG_SIGNAL:
		on_signal(v, cqe);
		break;
	case TAG_VIDEO:
		video_ready(v, cqe);
		break;
	case TAG_FRAME_TIMER:
		ret = replay_step(v);
		if (ret) {
			v->status = ret < 0 ? 1 : 0;
			v->stop = true;
		} else {
			replay_schedule(v);
		}
		break;
	case TAG_TICK:
		tick(v);
		break;
	case TAG_RECONNECT:
		reconnect(v);
		break;
	default:
		break;
	}
}

static void drain_cqes(struct vigild *v)
{
	struct io_uring_cqe *cqe;

	while (!v->stop && !io_uring_peek_cqe(&v->loop.ring, &cqe)) {
		handle_cqe(v, cqe);
		io_uring_cqe_seen(&v->loop.ring, cqe);
	}
}

static int run(struct vigild *v)
{
	const bool fast = v->replay && !v->cfg.realtime;
	int ret;

	ret = loop_poll_multishot(&v->loop, v->sigfd, POLLIN, TAG_SIGNAL);
	if (!ret && v->v4l2)
		ret = arm_video(v);
	if (!ret && v->replay && !fast)
		ret = replay_schedule(v);
	if (!ret)
		ret = loop_timeout_abs(&v->loop, mono_ns() + tick_interval(v), TAG_TICK);
	if (!ret)
		ret = loop_submit_wait(&v->loop, 0);
	if (ret) {
		fprintf(stderr, "vigild: io_uring submit: %s\n", strerror(-ret));
		return 1;
	}
	notify_send(&v->notify, "READY=1\nSTATUS=watching");

	while (!v->stop) {
		if (fast) {
			/* no waiting: check the ring (signals) between frames */
			ret = replay_step(v);
			if (ret) {
				v->status = ret < 0 ? 1 : 0;
				break;
			}
			if ((v->frames & 63) == 0)
				loop_submit_wait(&v->loop, 0);
			drain_cqes(v);
			continue;
		}
		ret = loop_submit_wait(&v->loop, 1);
		if (ret && ret != -EINTR && ret != -ETIME) {
			fprintf(stderr, "vigild: io_uring wait: %s\n", strerror(-ret));
			v->status = 1;
			break;
		}
		drain_cqes(v);
	}
	notify_send(&v->notify, "STOPPING=1");
	vigil_fusion_flush(v->fusion, v->v4l2 ? mono_ns() : v->last_ns);
	return v->status;
}

/* ---------------------------------------------------------------- */

enum {
	OPT_PIR = 256, OPT_LOOP, OPT_FAST, OPT_REALTIME, OPT_IO, OPT_DRM,
	OPT_SIZE, OPT_FORMAT, OPT_FPS, OPT_SET, OPT_STATS, OPT_CHECK, OPT_TRACE,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "source", required_argument, NULL, 's' },
	{ "events", required_argument, NULL, 'e' },
	{ "policy", required_argument, NULL, 'p' },
	{ "pir-events", required_argument, NULL, OPT_PIR },
	{ "loop", no_argument, NULL, OPT_LOOP },
	{ "fast", no_argument, NULL, OPT_FAST },
	{ "realtime", no_argument, NULL, OPT_REALTIME },
	{ "io", required_argument, NULL, OPT_IO },
	{ "drm-device", required_argument, NULL, OPT_DRM },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "fps", required_argument, NULL, OPT_FPS },
	{ "set", required_argument, NULL, OPT_SET },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int set_opt(struct vigil_config *c, const char *section,
		   const char *key, const char *value, const char *flag)
{
	const char *why;
	int ret = vigil_config_set(c, section, key, value, &why);

	if (ret)
		fprintf(stderr, "vigild: %s '%s': %s\n", flag, value, why);
	return ret;
}

/* Apply one command-line option over the configuration. */
static int apply_opt(struct vigil_config *c, int opt, char *arg, bool *stats)
{
	char *dot, *eq, *x;

	switch (opt) {
	case 's': return set_opt(c, "source", "source", arg, "--source");
	case 'e': return set_opt(c, "output", "events", arg, "--events");
	case 'p': return set_opt(c, "fusion", "policy", arg, "--policy");
	case OPT_PIR: return set_opt(c, "source", "pir_events", arg, "--pir-events");
	case OPT_LOOP: c->loop = true; return 0;
	case OPT_FAST: c->realtime = false; return 0;
	case OPT_REALTIME: c->realtime = true; return 0;
	case OPT_IO: return set_opt(c, "source", "io", arg, "--io");
	case OPT_DRM: return set_opt(c, "source", "drm_device", arg, "--drm-device");
	case OPT_FORMAT: return set_opt(c, "source", "format", arg, "--format");
	case OPT_FPS: return set_opt(c, "source", "fps", arg, "--fps");
	case OPT_STATS: *stats = true; return 0;
	case OPT_CHECK: return 0;
	case OPT_TRACE: return 0;
	case OPT_SIZE:
		x = strchr(arg, 'x');
		if (!x) {
			fprintf(stderr, "vigild: --size '%s': expected WxH\n", arg);
			return -EINVAL;
		}
		*x = '\0';
		if (set_opt(c, "source", "width", arg, "--size") ||
		    set_opt(c, "source", "height", x + 1, "--size"))
			return -EINVAL;
		return 0;
	case OPT_SET:
		dot = strchr(arg, '.');
		eq = strchr(arg, '=');
		if (!dot || !eq || dot > eq) {
			fprintf(stderr, "vigild: --set '%s': expected SECTION.KEY=VALUE\n", arg);
			return -EINVAL;
		}
		{
			char flag[128];

			*dot = *eq = '\0';
			snprintf(flag, sizeof(flag), "--set %s.%s", arg, dot + 1);
			return set_opt(c, arg, dot + 1, eq + 1, flag) ? -EINVAL : 0;
		}
	}
	return -EINVAL;
}

static int setup_signals(struct vigild *v)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	v->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return v->sigfd < 0 ? -errno : 0;
}

static void print_stats(const struct vigild *v)
{
	const double per = v->frames ? 1.0 / (double)v->frames : 0;

	fprintf(stderr,
		"vigild: stats: frames %lu motion_frames %lu events %lu "
		"detect_us_per_frame %.1f io_uring_enter_per_frame %.3f "
		"v4l2_ioctls_per_frame %.3f\n",
		v->frames, v->motion_frames, v->nevents,
		(double)v->detect_ns * per / 1000.0, (double)v->loop.enters * per,
		v->v4l2 ? (double)v4l2src_ioctls(v->v4l2) * per : 0.0);
}

int main(int argc, char **argv)
{
	static struct vigild v = { .sigfd = -1, .notify = { .fd = -1 } };
	char err[512];
	const char *config = NULL, *trace = NULL, *what;
	bool stats = false, check = false;
	int opt, ret, status = 1;

	vigil_config_default(&v.cfg);
	/* pass 1: the config file, so that every other flag overrides it */
	while ((opt = getopt_long(argc, argv, "c:s:e:p:hV", long_opts, NULL)) != -1) {
		if (opt == 'c')
			config = optarg;
		else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else if (opt == 'V') {
			printf("vigild " VIGILD_VERSION "\n");
			return 0;
		} else if (opt == '?') {
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigild: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (config && vigil_config_load(&v.cfg, config, err, sizeof(err))) {
		fprintf(stderr, "vigild: %s\n", err);
		return 2;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:s:e:p:hV", long_opts, NULL)) != -1) {
		if (opt == 'c' || opt == 'h' || opt == 'V')
			continue;
		if (apply_opt(&v.cfg, opt, optarg, &stats))
			return 2;
		if (opt == OPT_CHECK)
			check = true;
		if (opt == OPT_TRACE)
			trace = optarg;
	}
	if (vigil_detect_params_check(&v.cfg.detect)) {
		fprintf(stderr, "vigild: inconsistent [detector] settings\n");
		return 2;
	}
	if (check)
		return 0;
	stats |= v.cfg.stats;

	/* One io_uring drives everything: without it there is no vigild. */
	ret = loop_init(&v.loop, &what);
	if (ret) {
		fprintf(stderr,
			"vigild: io_uring is unavailable (%s: %s); check "
			"/proc/sys/kernel/io_uring_disabled and seccomp filters\n",
			what, strerror(-ret));
		return 1;
	}
	v.loop_ok = true;
	ret = setup_signals(&v);
	if (ret) {
		fprintf(stderr, "vigild: signals: %s\n", strerror(-ret));
		goto out;
	}
	ret = notify_open(&v.notify);
	if (ret)
		fprintf(stderr, "vigild: NOTIFY_SOCKET: %s (continuing)\n",
			strerror(-ret));

	if (!strcmp(v.cfg.events, "-")) {
		v.events = stdout;
	} else {
		v.events = fopen(v.cfg.events, "ae");
		if (!v.events) {
			fprintf(stderr, "vigild: cannot open event log %s: %s\n",
				v.cfg.events, strerror(errno));
			goto out;
		}
	}

	if (trace) {
		v.trace = fopen(trace, "we");
		if (!v.trace) {
			fprintf(stderr, "vigild: cannot open trace %s: %s\n", trace,
				strerror(errno));
			goto out;
		}
	}

	if (!strncmp(v.cfg.source, "replay:", 7)) {
		ret = open_replay(&v, v.cfg.source + 7);
	} else if (!strncmp(v.cfg.source, "v4l2:", 5) || v.cfg.source[0] == '/') {
		v.dev = v.cfg.source[0] == '/' ? v.cfg.source : v.cfg.source + 5;
		ret = open_v4l2(&v);
	} else {
		fprintf(stderr, "vigild: source '%s': expected replay:FILE or v4l2:DEVICE\n",
			v.cfg.source);
		ret = -EINVAL;
	}
	if (ret)
		goto out;
	if (make_pipeline(&v))
		goto out;
	status = run(&v);
	if (stats)
		print_stats(&v);
out:
	vigil_fusion_free(v.fusion);
	vigil_detector_free(v.det);
	if (v.v4l2)
		close_v4l2(&v);
	replay_free(v.replay);
	pir_script_free(&v.pir);
	if (v.trace)
		fclose(v.trace);
	if (v.events && v.events != stdout)
		fclose(v.events);
	else if (v.events)
		fflush(v.events);
	notify_close(&v.notify);
	if (v.sigfd >= 0)
		close(v.sigfd);
	if (v.loop_ok)
		loop_exit(&v.loop);
	return status;
}
