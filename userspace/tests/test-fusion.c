// SPDX-License-Identifier: GPL-2.0-or-later
/* Fusion state machine: policies, window, gap merging, updates, flush. */
#include <stdint.h>

#include "libvigil.h"
#include "t.h"

#define MS 1000000ULL
#define FRAME (66 * MS)

struct t_log {
	int n;
	struct vigil_event ev[64];
};

static void t_cb(const struct vigil_event *ev, void *arg)
{
	struct t_log *l = arg;

	if (l->n < 64)
		l->ev[l->n++] = *ev;
}

static struct vigil_fusion *t_new(enum vigil_policy pol, struct t_log *l)
{
	struct vigil_fusion_params p;
	struct vigil_fusion *f;

	vigil_fusion_params_default(&p);
	p.policy = pol;
	p.window_ns = 500 * MS;
	p.gap_ns = 1000 * MS;
	p.update_ns = 300 * MS;
	p.pir_hold_ns = 200 * MS;
	memset(l, 0, sizeof(*l));
	T_EQ(vigil_fusion_new(&p, t_cb, l, &f), 0);
	return f;
}

static void t_frame(struct vigil_fusion *f, uint32_t seq, bool motion)
{
	struct vigil_detect_result r = {
		.seq = seq, .ts_ns = seq * FRAME, .motion = motion,
		.raw_motion = motion, .score = motion ? 0.05 + seq * 0.001 : 0,
		.changed_px = motion ? 1000 : 0, .nboxes = motion ? 1 : 0,
		.boxes = { { 10, 20, 30, 40, 1000 } },
	};
	vigil_fusion_video(f, &r);
}

static void t_pir(struct vigil_fusion *f, uint64_t ts, int level)
{
	struct vigil_pir_event e = { .ts_ns = ts, .level = level };

	vigil_fusion_pir(f, &e);
}

int main(void)
{
	struct vigil_fusion_params p;
	struct vigil_fusion *f;
	struct t_log l;

	vigil_fusion_params_default(&p);
	T_EQ(p.policy, VIGIL_POLICY_PIR_AND_VIDEO);
	T_EQ(vigil_fusion_new(&p, NULL, NULL, &f), -EINVAL);

	/* pir-and-video: video alone is not an alarm */
	f = t_new(VIGIL_POLICY_PIR_AND_VIDEO, &l);
	for (uint32_t s = 0; s < 20; s++)
		t_frame(f, s, s >= 5);
	T_EQ(l.n, 0);
	/* PIR rises while video moves: start at the PIR edge */
	t_pir(f, 20 * FRAME + 3 * MS, 1);
	T_EQ(l.n, 1);
	T_EQ(l.ev[0].type, VIGIL_EVENT_START);
	T_EQ(l.ev[0].id, 1);
	T_EQ(l.ev[0].start_ns, 20 * FRAME + 3 * MS);
	T_ASSERT(l.ev[0].pir_valid);
	for (uint32_t s = 21; s < 40; s++)
		t_frame(f, s, true);
	/* updates every 300 ms while active, with video data */
	T_ASSERT(l.n >= 4);
	T_EQ(l.ev[1].type, VIGIL_EVENT_UPDATE);
	T_EQ(l.ev[1].nboxes, 1);
	T_ASSERT(l.ev[l.n - 1].max_score >= 0.05 + 30 * 0.001);
	t_pir(f, 40 * FRAME, 0);
	/* video continues after the PIR fell: still correlated within window */
	for (uint32_t s = 40; s < 46; s++)
		t_frame(f, s, true);
	T_ASSERT(vigil_fusion_active(f));
	/* quiet: ends after gap, end_ns at the last trigger */
	for (uint32_t s = 46; s < 80; s++)
		t_frame(f, s, false);
	T_ASSERT(!vigil_fusion_active(f));
	T_EQ(l.ev[l.n - 1].type, VIGIL_EVENT_END);
	T_ASSERT(l.ev[l.n - 1].end_ns <= 46 * FRAME && l.ev[l.n - 1].end_ns >= 40 * FRAME);
	T_ASSERT(l.ev[l.n - 1].motion_frames >= 20);
	vigil_fusion_free(f);

	/* pir-and-video: PIR first, video within the window starts it */
	f = t_new(VIGIL_POLICY_PIR_AND_VIDEO, &l);
	t_pir(f, 10 * FRAME, 1);
	t_pir(f, 11 * FRAME, 0);
	T_EQ(l.n, 0);
	t_frame(f, 14, true);		/* 3 frames = 198 ms after the fall */
	T_EQ(l.n, 1);
	T_EQ(l.ev[0].frame, 14);
	T_ASSERT(l.ev[0].pir_valid);
	T_EQ(l.ev[0].pir_delta_ns, -(int64_t)(4 * FRAME));
	vigil_fusion_free(f);
	/* ... but not outside it */
	f = t_new(VIGIL_POLICY_PIR_AND_VIDEO, &l);
	t_pir(f, 10 * FRAME, 1);
	t_pir(f, 11 * FRAME, 0);
	t_frame(f, 30, true);
	T_EQ(l.n, 0);
	vigil_fusion_free(f);

	/* video-only: gap merging, two events when the gap is long */
	f = t_new(VIGIL_POLICY_VIDEO_ONLY, &l);
	for (uint32_t s = 0; s < 100; s++)
		t_frame(f, s, (s >= 10 && s < 20) || (s >= 25 && s < 30) ||
			      (s >= 60 && s < 65));
	vigil_fusion_flush(f, 100 * FRAME);
	{
		int starts = 0, ends = 0;

		for (int i = 0; i < l.n; i++) {
			starts += l.ev[i].type == VIGIL_EVENT_START;
			ends += l.ev[i].type == VIGIL_EVENT_END;
		}
		T_EQ(starts, 2);	/* 10-30 merged (gap 330 ms), 60-65 apart */
		T_EQ(ends, 2);
	}
	T_EQ(l.ev[0].frame, 10);
	T_ASSERT(!l.ev[0].pir_valid);
	T_EQ(l.ev[l.n - 1].id, 2);
	vigil_fusion_free(f);

	/* pir-only: ignores video; hold then gap end the event */
	f = t_new(VIGIL_POLICY_PIR_ONLY, &l);
	t_frame(f, 1, true);
	T_EQ(l.n, 0);
	t_pir(f, 5 * FRAME, 1);
	T_EQ(l.n, 1);
	T_EQ(l.ev[0].type, VIGIL_EVENT_START);
	t_pir(f, 10 * FRAME, 0);
	vigil_fusion_tick(f, 10 * FRAME + 150 * MS);
	T_ASSERT(vigil_fusion_active(f));
	vigil_fusion_tick(f, 10 * FRAME + 1100 * MS);
	T_ASSERT(vigil_fusion_active(f));
	vigil_fusion_tick(f, 10 * FRAME + 1300 * MS);
	T_ASSERT(!vigil_fusion_active(f));
	T_EQ(l.ev[l.n - 1].type, VIGIL_EVENT_END);
	vigil_fusion_free(f);

	T_ASSERT(!strcmp(vigil_policy_name(VIGIL_POLICY_PIR_ONLY), "pir-only"));
	{
		enum vigil_policy pol;

		T_EQ(vigil_policy_from_name("video-only", &pol), 0);
		T_EQ(pol, VIGIL_POLICY_VIDEO_ONLY);
		T_EQ(vigil_policy_from_name("both", &pol), -EINVAL);
	}
	return t_done();
}
