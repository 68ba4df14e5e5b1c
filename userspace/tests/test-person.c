// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The person check's parts without footage: the region of a blob, verdicts
 * in the fusion (person-confirmed holds an alarm back until a person
 * verdict or the PIR; other policies only rank), the "person" field of the
 * event JSON, and the detector's interface (errors, a synthetic frame).
 * The detector's accuracy and its equality with OpenCV's own are
 * tests/harness/person-crops.sh; vigild end to end person-vigild.sh.
 */
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
	p.update_ns = 0;
	memset(l, 0, sizeof(*l));
	T_EQ(vigil_fusion_new(&p, t_cb, l, &f), 0);
	return f;
}

static void t_frame(struct vigil_fusion *f, uint32_t seq, bool motion)
{
	struct vigil_detect_result r = {
		.seq = seq, .ts_ns = seq * FRAME, .motion = motion,
		.raw_motion = motion, .score = motion ? 0.05 : 0,
		.changed_px = motion ? 1000 : 0, .nboxes = motion ? 1 : 0,
		.boxes = { { 10, 20, 30, 40, 1000 } },
	};
	vigil_fusion_video(f, &r);
}

static void t_region(void)
{
	struct vigil_box b = { 100, 100, 20, 50, 0 }, r;

	/* 1.6 x the height, at least half as wide, centred */
	T_EQ(vigil_person_region(&b, 640, 480, &r), 0);
	T_EQ(r.h, 80);
	T_EQ(r.w, 40);
	T_EQ(r.x, 110 - 20);
	T_EQ(r.y, 125 - 40);
	/* a wide blob keeps 1.6 x its width */
	b = (struct vigil_box){ 0, 0, 100, 40, 0 };
	T_EQ(vigil_person_region(&b, 640, 480, &r), 0);
	T_EQ(r.w, 160);
	T_EQ(r.h, 64);
	T_EQ(r.x, 0);	/* moved into the frame */
	T_EQ(r.y, 0);
	/* clipped to the frame */
	b = (struct vigil_box){ 300, 200, 20, 239, 0 };
	T_EQ(vigil_person_region(&b, 320, 240, &r), 0);
	T_EQ(r.h, 240);
	T_EQ(r.x + r.w <= 320, 1);
	b.w = 0;
	T_EQ(vigil_person_region(&b, 320, 240, &r), -EINVAL);
	b = (struct vigil_box){ 320, 0, 10, 10, 0 };
	T_EQ(vigil_person_region(&b, 320, 240, &r), -EINVAL);
}

static void t_fusion(void)
{
	struct vigil_fusion *f;
	struct vigil_pir_event e = { .level = 1 };
	struct t_log l;
	char buf[2048];

	T_EQ(vigil_policy_from_name("person-confirmed", &(enum vigil_policy){ 0 }), 0);
	T_ASSERT(!strcmp(vigil_policy_name(VIGIL_POLICY_PERSON_CONFIRMED), "person-confirmed"));

	/* person-confirmed: motion alone reports nothing, a person verdict
	 * starts the alarm with that verdict */
	f = t_new(VIGIL_POLICY_PERSON_CONFIRMED, &l);
	T_EQ(vigil_fusion_event_id(f), 0);
	for (uint32_t s = 0; s < 5; s++)
		t_frame(f, s, true);
	T_EQ(l.n, 0);
	T_EQ(vigil_fusion_event_id(f), 1);
	vigil_fusion_person(f, VIGIL_PERSON_UNKNOWN, 0);
	T_EQ(l.n, 0);
	vigil_fusion_person(f, VIGIL_PERSON_YES, 1.5);
	T_EQ(l.n, 1);
	T_EQ(l.ev[0].type, VIGIL_EVENT_START);
	T_EQ(l.ev[0].person, VIGIL_PERSON_YES);
	T_EQ(vigil_event_json(&l.ev[0], buf, sizeof(buf)) > 0, 1);
	T_STRSTR(buf, "\"person\":{\"verdict\":\"person\",\"score\":1.500}");
	T_STRSTR(buf, "\"policy\":\"person-confirmed\"");
	for (uint32_t s = 5; s < 40; s++)
		t_frame(f, s, false);
	T_EQ(l.n, 2);
	T_EQ(l.ev[1].type, VIGIL_EVENT_END);
	T_EQ(l.ev[1].person, VIGIL_PERSON_YES);
	vigil_fusion_free(f);

	/* person-confirmed, no-person: the held event ends unreported */
	f = t_new(VIGIL_POLICY_PERSON_CONFIRMED, &l);
	for (uint32_t s = 0; s < 5; s++)
		t_frame(f, s, true);
	vigil_fusion_person(f, VIGIL_PERSON_NO, -0.5);
	for (uint32_t s = 5; s < 40; s++)
		t_frame(f, s, false);
	T_EQ(l.n, 0);
	T_EQ(vigil_fusion_event_id(f), 0);
	/* ... but a PIR edge during the held event raises it, and a later
	 * no-person verdict does not drop it */
	for (uint32_t s = 40; s < 45; s++)
		t_frame(f, s, true);
	T_EQ(l.n, 0);
	e.ts_ns = 45 * FRAME;
	vigil_fusion_pir(f, &e);
	T_EQ(l.n, 1);
	T_EQ(l.ev[0].type, VIGIL_EVENT_START);
	T_ASSERT(l.ev[0].pir_valid);
	vigil_fusion_person(f, VIGIL_PERSON_NO, -0.5);
	T_EQ(l.n, 2);
	T_EQ(l.ev[1].type, VIGIL_EVENT_UPDATE);
	T_EQ(l.ev[1].person, VIGIL_PERSON_NO);
	vigil_fusion_flush(f, 50 * FRAME);
	T_EQ(l.n, 3);
	T_EQ(l.ev[2].type, VIGIL_EVENT_END);
	T_EQ(vigil_event_json(&l.ev[2], buf, sizeof(buf)) > 0, 1);
	T_STRSTR(buf, "\"verdict\":\"no-person\"");
	vigil_fusion_free(f);

	/* video-only ranks: a no-person verdict is an update, never an end */
	f = t_new(VIGIL_POLICY_VIDEO_ONLY, &l);
	for (uint32_t s = 0; s < 5; s++)
		t_frame(f, s, true);
	T_EQ(l.n, 1);
	T_EQ(vigil_event_json(&l.ev[0], buf, sizeof(buf)) > 0, 1);
	T_ASSERT(!strstr(buf, "\"person\""));	/* not checked: no field */
	vigil_fusion_person(f, VIGIL_PERSON_NO, -1);
	T_EQ(l.n, 2);
	T_EQ(l.ev[1].type, VIGIL_EVENT_UPDATE);
	T_EQ(vigil_fusion_event_id(f), 1);
	vigil_fusion_free(f);

	/* no open event: a verdict is ignored */
	f = t_new(VIGIL_POLICY_VIDEO_ONLY, &l);
	vigil_fusion_person(f, VIGIL_PERSON_YES, 1);
	T_EQ(l.n, 0);
	vigil_fusion_free(f);
}

static void t_detector(void)
{
	struct vigil_person_params pp;
	struct vigil_person *p;
	struct vigil_person_result res[2];
	static uint8_t px[240 * 320];
	struct vigil_box boxes[2] = { { 10, 10, 40, 100, 0 }, { 400, 0, 10, 10, 0 } };
	struct vigil_frame f;
	uint8_t crop[480 * 160];
	unsigned int cw, ch;
	int ret;

	vigil_person_params_default(&pp);
	T_EQ(pp.crop_height, 160);
	pp.crop_height = 64;
	T_EQ(vigil_person_new(&pp, &p), vigil_person_backend() ? -EINVAL : -ENOTSUP);
	vigil_person_params_default(&pp);
	ret = vigil_person_new(&pp, &p);
	if (!vigil_person_backend()) {
		T_EQ(ret, -ENOTSUP);
		return;
	}
	T_EQ(ret, 0);
	T_ASSERT(!strcmp(vigil_person_backend(), "opencv-hog"));
	for (size_t i = 0; i < sizeof(px); i++)
		px[i] = (uint8_t)(i * 7 % 13 + 100);
	T_EQ(vigil_frame_view(&f, VIGIL_FMT_GREY, 320, 240, 0, px, sizeof(px)), 0);
	/* a flat texture: no person, and a box outside the frame is -EINVAL */
	T_EQ(vigil_person_check(p, &f, boxes, 1, res), 0);
	T_EQ(res[0].person, 0);
	T_EQ(res[0].nhits, 0);
	T_EQ(vigil_person_check(p, &f, boxes, 2, res), -EINVAL);
	/* the crop is the region scaled to 160 rows */
	T_EQ(vigil_person_crop(p, &f, &boxes[0], crop, sizeof(crop), &cw, &ch), 0);
	T_EQ(ch, 160);
	T_EQ(cw, 80);
	T_EQ(vigil_person_crop(p, &f, &boxes[0], crop, 100, &cw, &ch), -ENOSPC);
	vigil_person_free(p);
}

int main(void)
{
	T_ASSERT(!strcmp(vigil_person_verdict_name(VIGIL_PERSON_NO), "no-person"));
	T_ASSERT(!strcmp(vigil_person_verdict_name(VIGIL_PERSON_YES), "person"));
	t_region();
	t_fusion();
	t_detector();
	return t_done();
}
