// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fusion with inputs out of order (property test): PIR edges handled before
 * the frames of the same wakeup, frames stamped at the start of capture,
 * jitter, a replay that loops back to its first timestamp. Over many seeds
 * and every policy: event times never go back, every event ends after it
 * starts, start/update/end come in order per event, and the JSON duration
 * is never negative.
 */
#include <stdint.h>
#include <stdlib.h>

#include "libvigil.h"
#include "t.h"

#define MS 1000000ULL
#define SEEDS 500

struct t_check {
	uint64_t last_ts;
	bool open;
	uint32_t open_id;
	uint64_t open_start;
	unsigned int events, ends;
	int bad;
};

static void t_cb(const struct vigil_event *ev, void *arg)
{
	struct t_check *c = arg;
	char buf[2048];
	const char *d;

	c->events++;
	if (ev->ts_ns < c->last_ts) {
		fprintf(stderr, "event time went back: %llu after %llu\n",
			(unsigned long long)ev->ts_ns, (unsigned long long)c->last_ts);
		c->bad++;
	}
	c->last_ts = ev->ts_ns;
	if (ev->ts_ns < ev->start_ns)
		c->bad++;
	switch (ev->type) {
	case VIGIL_EVENT_START:
		if (c->open)
			c->bad++;
		c->open = true;
		c->open_id = ev->id;
		c->open_start = ev->start_ns;
		break;
	case VIGIL_EVENT_UPDATE:
		if (!c->open || ev->id != c->open_id || ev->start_ns != c->open_start)
			c->bad++;
		break;
	case VIGIL_EVENT_END:
		c->ends++;
		if (!c->open || ev->id != c->open_id || ev->start_ns != c->open_start)
			c->bad++;
		if (ev->end_ns < ev->start_ns || ev->end_ns > ev->ts_ns) {
			fprintf(stderr, "event %u ends at %llu before its start %llu\n",
				ev->id, (unsigned long long)ev->end_ns,
				(unsigned long long)ev->start_ns);
			c->bad++;
		}
		c->open = false;
		if (vigil_event_json(ev, buf, sizeof(buf)) < 0 ||
		    !(d = strstr(buf, "\"duration_ms\":")) ||
		    strtod(d + 14, NULL) < 0 || strtod(d + 14, NULL) > 1e7) {
			fprintf(stderr, "bad duration in %s", buf);
			c->bad++;
		}
		break;
	}
}

/* One random run; returns the number of broken properties. */
static int t_run(uint64_t seed, enum vigil_policy pol, unsigned int *nevents)
{
	struct vigil_fusion_params p;
	struct vigil_fusion *f;
	struct t_check c = { 0 };
	const uint64_t base = 1000000 * MS;
	uint64_t rs = seed * 0x9E3779B97F4A7C15ULL + 1, t = base;
	int level = 0, motion_left = 0;
	uint32_t seq = 0;

	vigil_fusion_params_default(&p);
	p.policy = pol;
	p.window_ns = (200 + t_rand(&rs) % 1500) * MS;
	p.gap_ns = (100 + t_rand(&rs) % 2000) * MS;
	p.update_ns = t_rand(&rs) % 3 ? (50 + t_rand(&rs) % 1000) * MS : 0;
	p.pir_hold_ns = (t_rand(&rs) % 1000) * MS;
	if (vigil_fusion_new(&p, t_cb, &c, &f))
		return 1;
	for (unsigned int step = 0; step < 600; step++) {
		const uint64_t frame_ns = (20 + t_rand(&rs) % 60) * MS;
		struct vigil_detect_result r = { 0 };
		unsigned int npir = t_rand(&rs) % 4 == 0 ? 1 + t_rand(&rs) % 3 : 0;

		t += frame_ns;
		/* a looping replay: time starts again at the first frame */
		if (t_rand(&rs) % 200 == 0)
			t = base + t_rand(&rs) % (200 * MS);
		/* the PIR edges of this wakeup come first, stamped up to a
		 * frame after the frame's own (start of capture) time */
		for (unsigned int i = 0; i < npir; i++) {
			struct vigil_pir_event e = {
				.ts_ns = t + t_rand(&rs) % frame_ns,
				.level = level = !level,
				.seq = seq,
			};
			vigil_fusion_pir(f, &e);
		}
		if (motion_left == 0 && t_rand(&rs) % 10 == 0)
			motion_left = 1 + (int)(t_rand(&rs) % 40);
		r.seq = seq++;
		r.ts_ns = t - (t_rand(&rs) % 3) * frame_ns / 2;
		r.motion = r.raw_motion = motion_left > 0;
		r.score = r.motion ? 0.01 * (double)(1 + t_rand(&rs) % 50) : 0;
		r.changed_px = r.motion ? 100 : 0;
		if (motion_left > 0)
			motion_left--;
		vigil_fusion_video(f, &r);
		if (t_rand(&rs) % 16 == 0)	/* the live clock, sometimes late */
			vigil_fusion_tick(f, t - t_rand(&rs) % (500 * MS));
	}
	vigil_fusion_flush(f, base);	/* a flush "in the past" */
	vigil_fusion_free(f);
	if (c.open) {
		fprintf(stderr, "an event was left open\n");
		c.bad++;
	}
	*nevents += c.ends;
	if (c.bad)
		fprintf(stderr, "seed %llu policy %s: %d broken\n",
			(unsigned long long)seed, vigil_policy_name(pol), c.bad);
	return c.bad;
}

int main(void)
{
	unsigned int nevents[3] = { 0 };

	for (uint64_t seed = 1; seed <= SEEDS; seed++)
		for (int pol = 0; pol < 3; pol++)
			T_EQ(t_run(seed, (enum vigil_policy)pol, &nevents[pol]), 0);
	/* the runs did make events with every policy (else nothing was tested) */
	for (int pol = 0; pol < 3; pol++) {
		fprintf(stderr, "%s: %u events\n",
			vigil_policy_name((enum vigil_policy)pol), nevents[pol]);
		T_ASSERT(nevents[pol] > SEEDS);
	}
	return t_done();
}
