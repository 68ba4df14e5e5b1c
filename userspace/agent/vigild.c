// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild: motion detection fused with a PIR sensor, driven by one
 * restricted io_uring. This file is the loop and the wiring: a source
 * (src-*.c) delivers frames and PIR edges, the detector and the fusion
 * turn them into events, a sink (sink-*.c) writes them.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "audit.h"		/* the audit logs (issue #8) */
#include "http.h"
#include "vigild.h"
#include "net.h"		/* [mqtt], [push] (issue #9) */
#include "rt.h"
#include "audio-alsa.h"
#include "person.h"
#include "latstat.h"		/* enum lat_trace_by (vigil-lat, issue 13) */

#define TICK_NS 1000000000ULL
#define SOURCE_ID 1
#define PIR_ID 2		/* [pir] source = gpio */
#define AUDIO_ID 12		/* [audio] device */

struct vigild {
	struct vigil_config cfg;
	struct options opt;
	struct loop loop;
	bool loop_ok;
	struct notifier notify;
	int sigfd;
	FILE *trace;			/* --trace: per-frame results, PIR edges */
	struct vigil_detector *det;
	struct vigil_fusion *fusion;
	struct source src;
	struct source pir;		/* ops NULL unless [pir] source = gpio */
	struct sink sink;
	/* BEGIN issue #9: MQTT, push (threads of their own, not the loop) */
	struct sink mqtt;		/* ops NULL unless [mqtt] host */
	struct push *push;		/* NULL unless [push] url */
	/* END issue #9 */
	struct __kernel_timespec tick_ts;

	bool stop;
	int status;			/* exit status */
	uint64_t last_ns;		/* latest input time */
	uint32_t last_seq;		/* latest frame */
	unsigned long frames, motion_frames, nevents;
	struct vigil_event tamper;	/* the open tamper event (tamper.id: count) */
	bool tampered;
	unsigned long tick_frames;	/* frames at the previous tick */
	uint64_t detect_ns;
	int events_error;
	/* BEGIN recording (issue #8) */
	struct recorder *rec;		/* NULL: [record] dir not set */
	bool armed;			/* new alarms are recorded */
	/* END recording */
	/* BEGIN HTTP API (issue #9) */
	struct http_server *http;	/* NULL without [http] listen */
	struct sink http_sink;
	uint64_t started_ns;
	unsigned long dropped;		/* gaps in the frame sequence */
	bool have_seq;
	/* END HTTP API */
	/* sound alerts ([audio] device; NULL when off) */
	struct audio_in *audio;
	struct vigil_audio *adet;
	uint64_t audio_ns;		/* time in the audio detectors */
	unsigned long naudio;		/* alerts started */
	/* BEGIN person check (issue #16) */
	struct pcheck *person;		/* NULL: unavailable */
	unsigned long late;		/* live frames > 1 period late */
	uint64_t frame_ns;		/* frame period seen */
	/* END person check */
	/* BEGIN vigil-lat (issue 13): the input being fused, for --trace */
	enum lat_trace_by trace_by;
	uint64_t trace_ts, trace_in;	/* its kernel time, its callback entered */
	/* END vigil-lat */
};

/* BEGIN recording (issue #8): arm/disarm (the HTTP API calls this) */
void vigild_set_armed(struct vigild *v, bool on)
{
	v->armed = on;
	if (v->rec)
		recorder_set_armed(v->rec, on);
}
/* END recording */

/* BEGIN HTTP API (issue #9): what the API reads and sets */
static void http_status(void *arg, struct vigild_status *s)
{
	const struct vigild *v = arg;

	*s = (struct vigild_status){
		.frames = v->frames, .motion_frames = v->motion_frames,
		.events = v->nevents, .dropped = v->dropped,
		.width = v->src.width, .height = v->src.height,
		.armed = v->armed, .live = v->src.live, .started_ns = v->started_ns,
	};
}

static void http_set_armed(void *arg, bool on)
{
	vigild_set_armed(arg, on);
}

static int http_setup(struct vigild *v)
{
	const struct http_daemon d = { v, http_status, http_set_armed };
	char err[512];
	int ret;

	if (!v->cfg.http.listen[0]) {
		fprintf(stderr, "vigild: HTTP API off (no [http] listen)\n");
		return 0;
	}
	ret = http_open(&v->http, &v->cfg, &v->loop, &d, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vigild: http: %s\n", err);
		return ret;
	}
	v->http_sink = (struct sink){ .ops = &sink_http_ops, .cfg = &v->cfg,
				      .priv = v->http };
	fprintf(stderr, "vigild: HTTP API on %s\n", v->cfg.http.listen);
	return 0;
}
/* END HTTP API */

static void stop(struct vigild *v, int status)
{
	if (!v->stop || status > v->status)
		v->status = status;
	v->stop = true;
}

/* ---------------------------------------------------------------- */
/* fusion -> sink */

/*
 * vigil-lat event and frame (issue 13): an alarm's start, with the input
 * that started it (its kernel timestamp and its callback's entry), the
 * fusion handing it over (emit_ns) and every sink returned (sent_ns).
 */
static void trace_event(struct vigild *v, const struct vigil_event *ev,
			uint64_t emit_ns)
{
	static const char *const by[] = {
		[LAT_BY_OTHER] = "other", [LAT_BY_PIR] = "pir", [LAT_BY_FRAME] = "frame",
	};

	if (ev->type != VIGIL_EVENT_START || ev->kind != VIGIL_KIND_MOTION)
		return;
	fprintf(v->trace, "{\"event\":%u,\"kind\":\"motion\",\"type\":\"start\","
		"\"by\":\"%s\",\"in_ts_ns\":%llu,\"in_ns\":%llu,\"emit_ns\":%llu,"
		"\"sent_ns\":%llu}\n", ev->id, by[v->trace_by],
		(unsigned long long)v->trace_ts, (unsigned long long)v->trace_in,
		(unsigned long long)emit_ns, (unsigned long long)mono_ns());
}

static void on_event(const struct vigil_event *ev, void *arg)
{
	struct vigild *v = arg;
	const uint64_t emit_ns = v->trace ? mono_ns() : 0;	/* vigil-lat */
	int ret;

	if (ev->type == VIGIL_EVENT_START && ev->kind == VIGIL_KIND_MOTION)
		v->nevents++;
	if (v->rec)
		recorder_event(v->rec, ev);
	/* issue #9: MQTT only enqueues; it never fails or waits */
	if (v->mqtt.ops)
		v->mqtt.ops->event(&v->mqtt, ev);
	if (v->events_error)
		return;
	/* an event that cannot be written is an alarm lost: stop, loudly */
	ret = v->sink.ops->event(&v->sink, ev);
	if (!ret && v->http_sink.ops)
		ret = v->http_sink.ops->event(&v->http_sink, ev);
	if (ret) {
		v->events_error = ret;
		fprintf(stderr, "vigild: writing events to %s: %s\n",
			v->cfg.events, strerror(-ret));
		stop(v, VIGILD_EXIT_RUNTIME);
	}
	if (v->trace)
		trace_event(v, ev, emit_ns);
}

/* ---------------------------------------------------------------- */
/* source -> detector -> fusion */

/*
 * Tamper (lens covered or defocused, camera moved) is its own event in the
 * same stream: a start when the detector reports it, an end when it clears.
 * Alarms go on meanwhile: fusion sees every frame.
 */
static void set_tamper(struct vigild *v, bool on, uint64_t ts_ns, uint32_t seq,
		       bool covered)
{
	struct vigil_event *t = &v->tamper;

	if (on == v->tampered)
		return;
	v->tampered = on;
	t->kind = VIGIL_KIND_TAMPER;
	t->ts_ns = ts_ns;
	t->frame = seq;
	if (on) {
		t->type = VIGIL_EVENT_START;
		t->id++;
		t->start_ns = ts_ns;
		t->covered = covered;
		fprintf(stderr, "vigild: tamper: %s\n",
			covered ? "the image lost its contrast (lens covered or defocused)" :
				  "the whole view changed (camera moved)");
	} else {
		t->type = VIGIL_EVENT_END;
		t->end_ns = ts_ns < t->start_ns ? t->start_ns : ts_ns;
		fprintf(stderr, "vigild: tamper: cleared\n");
	}
	on_event(t, v);
}

static void on_tamper(struct vigild *v, const struct vigil_detect_result *r)
{
	set_tamper(v, r->tamper, r->ts_ns, r->seq, r->covered);
}

static int on_frame(void *arg, const struct vigil_frame *f)
{
	struct vigild *v = arg;
	struct vigil_detect_result r;
	const uint64_t t0 = mono_ns();
	uint64_t t1;
	int ret;

	ret = vigil_detector_process(v->det, f, &r);
	t1 = mono_ns();
	v->detect_ns += t1 - t0;
	if (ret) {
		fprintf(stderr, "vigild: detector: %s\n", strerror(-ret));
		return ret;
	}
	v->frames++;
	v->motion_frames += r.motion;
	if (v->have_seq && f->seq > v->last_seq + 1)
		v->dropped += f->seq - v->last_seq - 1;
	v->have_seq = true;
	if (v->http)
		http_frame(v->http, f, mono_ns() - t0);
	/* BEGIN person check (issue #16): frames lost or late while it runs */
	if (v->frames > 1 && f->ts_ns > v->last_ns && f->seq == v->last_seq + 1)
		v->frame_ns = f->ts_ns - v->last_ns;
	if (v->src.live && v->frame_ns && t0 > f->ts_ns + v->frame_ns)
		v->late++;
	/* END person check */
	v->last_ns = f->ts_ns;
	v->last_seq = f->seq;
	v->trace_by = LAT_BY_FRAME;
	v->trace_ts = f->ts_ns;
	v->trace_in = t0;
	vigil_fusion_video(v->fusion, &r);
	on_tamper(v, &r);
	v->trace_by = LAT_BY_OTHER;
	/*
	 * in_ns: on_frame entered (the buffer dequeued), done_ns: detection
	 * done, fused_ns: the fusion and the sinks of the events it emitted
	 * returned; CLOCK_MONOTONIC as ts_ns from V4L2: vigil-lat frame
	 * (issue 13). After the event lines this frame emitted.
	 */
	if (v->trace)
		fprintf(v->trace, "{\"frame\":%u,\"ts_ns\":%llu,\"motion\":%d,"
			"\"raw\":%d,\"global\":%d,\"score\":%.5f,\"area\":%u,"
			"\"noise\":%.3f,\"in_ns\":%llu,\"done_ns\":%llu,"
			"\"fused_ns\":%llu}\n", r.seq,
			(unsigned long long)r.ts_ns,
			r.motion, r.raw_motion, r.global_change, r.score,
			r.changed_px, r.noise, (unsigned long long)t0,
			(unsigned long long)t1, (unsigned long long)mono_ns());
	/* BEGIN person check: crops to the worker, never waiting for it live */
	if (v->person) {
		ret = pcheck_frame(v->person, v->fusion, f, &r);
		if (!ret && v->src.fast)
			ret = pcheck_wait(v->person, v->fusion);
		if (ret) {
			fprintf(stderr, "vigild: person check: %s\n", strerror(-ret));
			return ret;
		}
	}
	/* END person check */
	if (v->rec)
		return recorder_frame(v->rec, f, &r);
	return 0;
}

static void on_pir(void *arg, const struct vigil_pir_event *e)
{
	struct vigild *v = arg;
	const uint64_t in_ns = v->trace ? mono_ns() : 0;

	if (e->ts_ns > v->last_ns)
		v->last_ns = e->ts_ns;
	/* in_ns: this callback entered (vigil-lat event, issue 13) */
	if (v->trace)
		fprintf(v->trace, "{\"pir\":%d,\"ts_ns\":%llu,\"seq\":%u,"
			"\"frame\":%u,\"lost\":%u,\"in_ns\":%llu}\n", e->level,
			(unsigned long long)e->ts_ns, e->seq, e->frame_seq, e->lost,
			(unsigned long long)in_ns);
	v->trace_by = LAT_BY_PIR;
	v->trace_ts = e->ts_ns;
	v->trace_in = in_ns;
	vigil_fusion_pir(v->fusion, e);
	v->trace_by = LAT_BY_OTHER;
	if (v->rec)
		recorder_pir(v->rec, e);
}

/* The camera's own PIR events, unless [pir] source = gpio replaces them. */
static void on_pir_device(void *arg, const struct vigil_pir_event *e)
{
	const struct vigild *v = arg;

	if (v->cfg.pir_source != VIGIL_PIR_GPIO)
		on_pir(arg, e);
}

static int make_detector(struct vigild *v)
{
	const int ret = vigil_detector_new(&v->cfg.detect, v->src.width,
					   v->src.height, &v->det);

	if (ret)
		fprintf(stderr, "vigild: detector for %ux%u: %s\n",
			v->src.width, v->src.height, strerror(-ret));
	return ret;
}

/* The stream broke (end the open event) or came back (new background). */
static void on_restart(void *arg, bool lost, uint64_t now_ns)
{
	struct vigild *v = arg;
	struct vigil_detector *old = v->det;

	if (lost) {
		vigil_fusion_flush(v->fusion, now_ns);
		set_tamper(v, false, now_ns, v->last_seq, false);
		return;
	}
	/* the device may come back with another size */
	if (make_detector(v)) {
		v->det = old;
		stop(v, VIGILD_EXIT_RUNTIME);
		return;
	}
	vigil_detector_free(old);
}

/* ---------------------------------------------------------------- */
/* sound alerts: capture -> detectors -> the same event sink */

static void on_audio_alert(const struct vigil_audio_detection *d, void *arg)
{
	struct vigild *v = arg;
	struct vigil_event ev = {
		.type = d->type,
		.kind = VIGIL_KIND_AUDIO,
		.id = d->id,
		.ts_ns = d->ts_ns,
		.start_ns = d->start_ns,
		.end_ns = d->end_ns,
		.audio = d,
	};

	if (d->type == VIGIL_EVENT_START) {
		v->naudio++;
		fprintf(stderr, "vigild: audio: %s%s (confidence %.2f)\n",
			d->kind == VIGIL_AUDIO_GLASS ? "possible " : "",
			vigil_audio_kind_name(d->kind), d->confidence);
	}
	on_event(&ev, v);
	/* a possible glass break is evidence for the alarm, as a PIR edge */
	vigil_fusion_audio(v->fusion, d);
}

static void on_audio_samples(void *arg, const int16_t *pcm, size_t n,
			     uint64_t ts_ns)
{
	struct vigild *v = arg;
	const uint64_t t0 = mono_ns();

	vigil_audio_process(v->adet, pcm, n, ts_ns);
	v->audio_ns += mono_ns() - t0;
	/* clipmeta: a recording clip carries the audio (nothing else does) */
	if (v->rec)
		recorder_audio(v->rec, pcm, n, AUDIO_IN_RATE, ts_ns);
}

static void on_audio_gap(void *arg, uint64_t now_ns, bool lost)
{
	struct vigild *v = arg;

	if (!lost)
		return;
	/* the device went away: end open alerts, learn the floors again */
	vigil_audio_flush(v->adet, now_ns);
	vigil_audio_reset(v->adet);
}

static int audio_setup(struct vigild *v)
{
	const struct audio_cb cb = { on_audio_samples, on_audio_gap, v };
	int ret;

	if (!v->cfg.audio_device[0]) {
		fprintf(stderr, "vigild: audio: off (no [audio] device)\n");
		return 0;
	}
	ret = vigil_audio_new(&v->cfg.audio, on_audio_alert, v, &v->adet);
	if (!ret)
		ret = audio_in_new(&v->audio, v->cfg.audio_device, &v->loop,
				   AUDIO_ID, &cb);
	if (ret)
		fprintf(stderr, "vigild: audio: %s\n", strerror(-ret));
	return ret;
}

/* ---------------------------------------------------------------- */
/* the loop */

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

static int arm_tick(struct vigild *v, uint64_t now)
{
	return loop_timeout_abs(&v->loop, now + tick_interval(v), &v->tick_ts,
				LOOP_TAG(0, TAG_TICK));
}

static void tick(struct vigild *v)
{
	const uint64_t now = mono_ns();

	if (v->notify.watchdog_ns)
		notify_send(&v->notify, "WATCHDOG=1");
	if (v->src.live) {
		/* live clock: end events after the gap */
		vigil_fusion_tick(v->fusion, now);
		if (v->src.ops->tick &&
		    v->src.ops->tick(&v->src, now, v->frames == v->tick_frames))
			stop(v, VIGILD_EXIT_RUNTIME);
		if (v->rec)
			recorder_tick(v->rec, now);
	}
	arm_tick(v, now);
	v->tick_frames = v->frames;
}

static void on_signal(struct vigild *v, const struct io_uring_cqe *cqe)
{
	struct signalfd_siginfo si;

	/* a poll that fails would fail again at once: never re-arm it */
	if (cqe->res < 0) {
		fprintf(stderr, "vigild: poll on the signalfd: %s\n",
			strerror(-cqe->res));
		stop(v, VIGILD_EXIT_RUNTIME);
		return;
	}
	while (read(v->sigfd, &si, sizeof(si)) == sizeof(si)) {
		char err[512];

		if (si.ssi_signo != SIGHUP) {
			fprintf(stderr, "vigild: %s, stopping\n",
				strsignal((int)si.ssi_signo));
			stop(v, VIGILD_EXIT_OK);
			continue;
		}
		/* logrotate moved the event log away: write a new one */
		if (v->sink.ops->reopen(&v->sink, err, sizeof(err))) {
			fprintf(stderr, "vigild: SIGHUP: %s\n", err);
			stop(v, VIGILD_EXIT_RUNTIME);
		} else {
			fprintf(stderr, "vigild: SIGHUP: event log reopened\n");
		}
		/* and the audit logs, on the ring (audit.c logs the outcome) */
		audit_reopen_all();
	}
	if (!(cqe->flags & IORING_CQE_F_MORE))
		loop_poll_multishot(&v->loop, v->sigfd, POLLIN, LOOP_TAG(0, TAG_SIGNAL));
}

/* A source's result: 0 go on, 1 end of stream, -errno stop with an error. */
static void source_result(struct vigild *v, int ret)
{
	if (ret)
		stop(v, ret < 0 ? VIGILD_EXIT_RUNTIME : VIGILD_EXIT_OK);
}

static void handle_cqe(struct vigild *v, const struct io_uring_cqe *cqe)
{
	const uint64_t data = io_uring_cqe_get_data64(cqe);
	const unsigned int tag = LOOP_TAG_LOCAL(data);

	if (LOOP_TAG_OWNER(data) == v->src.id) {
		source_result(v, v->src.ops->ready(&v->src, tag, cqe));
		return;
	}
	if (v->rec && LOOP_TAG_OWNER(data) == RECORDER_ID) {
		recorder_cqe(v->rec, tag, cqe);
		return;
	}
	if (v->http && LOOP_TAG_OWNER(data) == HTTP_LOOP_ID) {
		http_ready(v->http, tag, cqe);
		return;
	}
	if (v->pir.ops && LOOP_TAG_OWNER(data) == v->pir.id) {
		source_result(v, v->pir.ops->ready(&v->pir, tag, cqe));
		return;
	}
	if (LOOP_TAG_OWNER(data) == AUDIT_ID) {	/* audit.c (issue #8) */
		audit_cqe(tag, cqe);
		return;
	}
	if (v->audio && LOOP_TAG_OWNER(data) == AUDIO_ID) {
		audio_in_ready(v->audio, tag, cqe);
		return;
	}
	/* BEGIN person check: answers from the worker */
	if (LOOP_TAG_OWNER(data) == PERSON_OWNER) {
		if (cqe->res < 0 || pcheck_ready(v->person, v->fusion)) {
			fprintf(stderr, "vigild: person check: %s\n",
				cqe->res < 0 ? strerror(-cqe->res) : "failed");
			stop(v, VIGILD_EXIT_RUNTIME);
			return;
		}
		if (!(cqe->flags & IORING_CQE_F_MORE))
			loop_poll_multishot(&v->loop, pcheck_fd(v->person), POLLIN,
					    LOOP_TAG(PERSON_OWNER, 1));
		return;
	}
	/* END person check */
	switch (tag) {
	case TAG_SIGNAL:
		on_signal(v, cqe);
		break;
	case TAG_TICK:
		/* -ETIME: expired, as it should; anything else would recur */
		if (cqe->res != -ETIME && cqe->res < 0) {
			fprintf(stderr, "vigild: tick timeout: %s\n",
				strerror(-cqe->res));
			stop(v, VIGILD_EXIT_RUNTIME);
			break;
		}
		tick(v);
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
	int ret;

	ret = loop_poll_multishot(&v->loop, v->sigfd, POLLIN, LOOP_TAG(0, TAG_SIGNAL));
	if (!ret)
		ret = v->src.ops->start(&v->src);
	if (!ret && v->pir.ops)
		ret = v->pir.ops->start(&v->pir);
	if (!ret && v->http)
		ret = http_start(v->http);
	if (!ret && v->person)
		ret = loop_poll_multishot(&v->loop, pcheck_fd(v->person), POLLIN,
					  LOOP_TAG(PERSON_OWNER, 1));
	if (!ret)
		ret = arm_tick(v, mono_ns());
	if (!ret && v->audio)
		audio_in_start(v->audio);	/* never fails: retries */
	if (!ret)
		ret = loop_submit_wait(&v->loop, 0);
	if (ret) {
		fprintf(stderr, "vigild: io_uring submit: %s\n", strerror(-ret));
		return VIGILD_EXIT_RUNTIME;
	}
	notify_send(&v->notify, "READY=1\nSTATUS=watching");

	while (!v->stop) {
		if (v->src.fast) {
			/* BEGIN recorder back-pressure (issue #8) */
			if (v->rec && !recorder_ready(v->rec)) {
				/* the writes complete on the ring: wait for one */
				ret = loop_submit_wait(&v->loop, 1);
				if (ret && ret != -EINTR && ret != -ETIME) {
					fprintf(stderr, "vigild: io_uring wait: %s\n",
						strerror(-ret));
					stop(v, VIGILD_EXIT_RUNTIME);
					break;
				}
				drain_cqes(v);
				continue;
			}
			/* END recorder back-pressure */
			/* no waiting: check the ring (signals) between frames */
			source_result(v, v->src.ops->pump(&v->src));
			if (v->stop)
				break;
			/*
			 * Every 64 frames for signals; at once when a
			 * component queued work (the recorder's writes and
			 * syncs must not wait for 64 frames: with the ring
			 * no longer filling up after 32 entries, closing
			 * clips piled up and alarms went unrecorded).
			 */
			if ((v->frames & 63) == 0 || io_uring_sq_ready(&v->loop.ring))
				loop_submit_wait(&v->loop, 0);
			drain_cqes(v);
			continue;
		}
		ret = loop_submit_wait(&v->loop, 1);
		if (ret && ret != -EINTR && ret != -ETIME) {
			fprintf(stderr, "vigild: io_uring wait: %s\n", strerror(-ret));
			stop(v, VIGILD_EXIT_RUNTIME);
			break;
		}
		drain_cqes(v);
	}
	notify_send(&v->notify, "STOPPING=1");
	http_stop(v->http);
	if (v->src.ops->stop)
		v->src.ops->stop(&v->src);
	if (v->pir.ops)
		v->pir.ops->stop(&v->pir);
	if (v->audio) {
		audio_in_stop(v->audio);
		vigil_audio_flush(v->adet, mono_ns());
	}
	vigil_fusion_flush(v->fusion, v->src.live ? mono_ns() : v->last_ns);
	set_tamper(v, false, v->src.live ? mono_ns() : v->last_ns, v->last_seq, false);
	/* the open clip is closed, synced and renamed before vigild exits */
	if (v->rec && recorder_finish(v->rec))
		stop(v, VIGILD_EXIT_RUNTIME);
	return v->status;
}

/* ---------------------------------------------------------------- */
/* the wiring */

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
	const unsigned long sys = v->src.ops && v->src.ops->syscalls ?
				  v->src.ops->syscalls(&v->src) : 0;

	fprintf(stderr,
		"vigild: stats: frames %lu motion_frames %lu events %lu "
		"detect_us_per_frame %.1f io_uring_enter_per_frame %.3f "
		"v4l2_ioctls_per_frame %.3f",
		v->frames, v->motion_frames, v->nevents,
		(double)v->detect_ns * per / 1000.0, (double)v->loop.enters * per,
		(double)sys * per);
	/* BEGIN person check: on the same line, after the fields above */
	fprintf(stderr, " frames_dropped %lu frames_late %lu", v->dropped, v->late);
	if (v->person) {
		const struct pcheck_stats *ps = pcheck_stats(v->person);

		fprintf(stderr,
			" person_events %lu person_crops %lu person_checked %lu "
			"person_skipped %lu person_yes %lu person_no %lu "
			"person_ms_per_blob %.2f",
			ps->events, ps->queued, ps->checked, ps->skipped, ps->person,
			ps->no_person, ps->checked ?
			(double)ps->check_ns / 1e6 / (double)ps->checked : 0.0);
	}
	fputc('\n', stderr);
	/* END person check */
	if (v->rec)
		recorder_stats(v->rec, stderr);
	audit_stats(stderr);	/* issue #8: records, errors, dropped, reopens */
	if (v->audio) {
		const struct audio_stats *a = audio_in_stats(v->audio);
		const double secs = (double)a->frames / VIGIL_AUDIO_RATE;

		fprintf(stderr,
			"vigild: audio stats: seconds %.1f alerts %lu xruns %lu "
			"lost %lu detect_us_per_s %.1f\n", secs, v->naudio,
			a->xruns, a->losses,
			secs > 0 ? (double)v->audio_ns / 1000.0 / secs : 0);
	}
}

int main(int argc, char **argv)
{
	static struct vigild v = { .sigfd = -1, .notify = { .fd = -1 } };
	char err[512];
	const char *what;
	int ret, status = VIGILD_EXIT_RUNTIME;

	ret = options_parse(argc, argv, &v.cfg, &v.opt);
	if (ret >= 0)
		return ret;
	/* [daemon] real-time options (issue 13, rt.c): before anything runs */
	if (v.cfg.cpu_affinity[0]) {
		cpu_set_t set;

		if (rt_parse_cpus(v.cfg.cpu_affinity, &set, err, sizeof(err))) {
			fprintf(stderr, "vigild: [daemon] cpu_affinity: %s\n", err);
			return VIGILD_EXIT_CONFIG;
		}
	}
	if (v.opt.check)
		return VIGILD_EXIT_OK;
	if (v.opt.rotate_token) {
		if (http_rotate_token(&v.cfg, err, sizeof(err))) {
			fprintf(stderr, "vigild: --rotate-token: %s\n", err);
			return VIGILD_EXIT_RUNTIME;
		}
		fprintf(stderr, "vigild: new API token in %s\n", v.cfg.http.token_file);
		return VIGILD_EXIT_OK;
	}
	v.armed = v.cfg.record.armed;
	v.started_ns = mono_ns();
	if (rt_apply(&v.cfg, err, sizeof(err))) {
		fprintf(stderr, "vigild: %s\n", err);
		return VIGILD_EXIT_RUNTIME;
	}

	/* One io_uring drives everything: without it there is no vigild. */
	ret = loop_init(&v.loop, &what);
	if (ret) {
		fprintf(stderr,
			"vigild: io_uring is unavailable (%s: %s); check "
			"/proc/sys/kernel/io_uring_disabled and seccomp filters\n",
			what, strerror(-ret));
		return VIGILD_EXIT_RUNTIME;
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

	v.sink = (struct sink){ .ops = &sink_events_ops, .cfg = &v.cfg };
	if (v.sink.ops->open(&v.sink, err, sizeof(err))) {
		fprintf(stderr, "vigild: %s\n", err);
		v.sink.ops = NULL;
		goto out;
	}
	/* BEGIN issue #9: MQTT, push */
	if (v.cfg.mqtt.host[0]) {
		v.mqtt = (struct sink){ .ops = &sink_mqtt_ops, .cfg = &v.cfg };
		if (v.mqtt.ops->open(&v.mqtt, err, sizeof(err))) {
			fprintf(stderr, "vigild: %s\n", err);
			v.mqtt.ops = NULL;
			status = VIGILD_EXIT_CONFIG;
			goto out;
		}
	}
	if (v.cfg.push.url[0] && push_start(&v.cfg, &v.loop, &v.push, err, sizeof(err))) {
		fprintf(stderr, "vigild: %s\n", err);
		status = VIGILD_EXIT_CONFIG;
		goto out;
	}
	/* END issue #9 */
	if (v.opt.trace) {
		v.trace = fopen(v.opt.trace, "we");
		if (!v.trace) {
			fprintf(stderr, "vigild: cannot open trace %s: %s\n",
				v.opt.trace, strerror(errno));
			goto out;
		}
	}

	v.src = (struct source){
		.cfg = &v.cfg,
		.loop = &v.loop,
		.id = SOURCE_ID,
		.cb = { on_frame, on_pir_device, on_restart, &v },
	};
	ret = source_open(&v.src, v.cfg.source, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vigild: %s\n", err);
		/* no usable format: restarting will not help */
		if (ret == -ENOTSUP)
			status = VIGILD_EXIT_UNSUPPORTED;
		goto out;
	}
	if (v.cfg.pir_source == VIGIL_PIR_GPIO) {
		v.pir = (struct source){
			.ops = &source_pir_gpio_ops,
			.cfg = &v.cfg,
			.loop = &v.loop,
			.id = PIR_ID,
			.cb = { on_frame, on_pir, on_restart, &v },
		};
		ret = v.pir.ops->open(&v.pir, v.cfg.pir_line, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "vigild: PIR: %s\n", err);
			/* no such chip or line: restarting will not help */
			if (ret == -ENOENT || ret == -EINVAL)
				status = VIGILD_EXIT_UNSUPPORTED;
			goto out;
		}
	}
	/* an alarm that needs a PIR must have one, or it never fires */
	if (v.cfg.fusion.policy == VIGIL_POLICY_PIR_AND_VIDEO && !v.src.has_pir &&
	    !v.pir.ops) {
		fprintf(stderr,
			"vigild: policy pir-and-video needs a PIR source, and %s has none: "
			"%s, or choose --policy video-only\n", v.cfg.source,
			v.src.live ? "use a camera whose driver reports PIR events or a GPIO PIR "
				     "([pir] source = gpio, --pir-gpio)"
				   : "give its PIR edges with --pir-events");
		status = VIGILD_EXIT_UNSUPPORTED;
		goto out;
	}
	ret = http_setup(&v);
	if (ret) {
		status = ret == -EINVAL || ret == -EPERM ? VIGILD_EXIT_CONFIG
							 : VIGILD_EXIT_RUNTIME;
		goto out;
	}
	/* BEGIN person check (issue #16) */
	ret = pcheck_new(&v.person, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vigild: person check: %s\n", err);
		if (v.cfg.fusion.policy == VIGIL_POLICY_PERSON_CONFIRMED) {
			fprintf(stderr, "vigild: policy person-confirmed needs the person "
				"check; choose another --policy\n");
			status = ret == -ENOTSUP ? VIGILD_EXIT_UNSUPPORTED : VIGILD_EXIT_RUNTIME;
			goto out;
		}
	} else {
		fprintf(stderr, "vigild: person check: %s, %d largest blobs of the first "
			"%d frames of each event, a person in %d\n", vigil_person_backend(),
			PERSON_BLOBS, PERSON_FRAMES, PERSON_HITS);
	}
	/* END person check */
	if (make_detector(&v))
		goto out;
	ret = vigil_fusion_new(&v.cfg.fusion, on_event, &v, &v.fusion);
	if (ret) {
		fprintf(stderr, "vigild: fusion: %s\n", strerror(-ret));
		goto out;
	}
	/* BEGIN recording (issue #8) */
	v.armed = v.cfg.record.armed;
	if (!v.cfg.record.dir[0]) {
		fprintf(stderr, "vigild: recording off ([record] dir is not set)\n");
	} else {
		ret = recorder_new(&v.cfg, &v.loop, v.src.width, v.src.height, v.src.fmt,
				   v.src.fps_num ? v.src.fps_num : v.cfg.fps,
				   v.src.fps_num ? v.src.fps_den : 1, &v.rec, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "vigild: recording: %s\n", err);
			status = ret == -ENOMEM ? VIGILD_EXIT_RUNTIME : VIGILD_EXIT_CONFIG;
			goto out;
		}
		recorder_set_lossless(v.rec, v.src.fast);
		recorder_set_trace(v.rec, v.trace);	/* issue 13: clip bytes synced */
		fprintf(stderr, "vigild: recording alarms to %s%s%s\n", v.cfg.record.dir,
			v.cfg.record.owner_key[0] ? ", sealed to " : "",
			v.cfg.record.owner_key);
	}
	/* END recording */
	if (audio_setup(&v))
		goto out;
	status = run(&v);
	if (v.opt.stats)
		print_stats(&v);
out:
	recorder_free(v.rec);
	audio_in_free(v.audio);
	vigil_audio_free(v.adet);
	pcheck_free(v.person);
	vigil_fusion_free(v.fusion);
	vigil_detector_free(v.det);
	source_close(&v.pir);
	source_close(&v.src);
	if (v.trace)
		fclose(v.trace);
	/* issue #9 */
	push_stop(v.push);
	/* issue #8: the audit records still queued (push's last) reach the disk */
	if (v.loop_ok && audit_drain(&v.loop))
		status = VIGILD_EXIT_RUNTIME;
	if (v.mqtt.ops)
		v.mqtt.ops->close(&v.mqtt);
	if (v.sink.ops) {
		ret = v.sink.ops->close(&v.sink);
		if (ret && !v.events_error) {
			fprintf(stderr, "vigild: closing events %s: %s\n",
				v.cfg.events, strerror(-ret));
			status = VIGILD_EXIT_RUNTIME;
		}
	}
	notify_close(&v.notify);
	if (v.sigfd >= 0)
		close(v.sigfd);
	if (v.loop_ok)
		loop_exit(&v.loop);
	http_free(v.http);	/* after the ring: nothing in flight reads it */
	return status;
}
