// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PIR/video fusion: one event state machine over the video motion of each
 * frame and the PIR edges, both stamped on CLOCK_MONOTONIC.
 *
 * The trigger holds at time t when, per policy:
 *   video-only     the frame at t has motion;
 *   pir-only       the PIR is high, or fell less than pir_hold ago;
 *   pir-and-video  video motion and PIR activity both lie within window
 *                  of t, and one of them happens at t;
 *   person-confirmed  as video-only, but the event is held back (nothing
 *                  reported) until the person check says "person" or PIR
 *                  activity lies within window of a trigger: a held event
 *                  that ends is never reported.
 * The first trigger starts an event; each later trigger extends it; an
 * update is reported every update_ns while it lasts; it ends once the
 * trigger has not held for gap_ns (shorter gaps merge into one event).
 *
 * Inputs may arrive out of order: PIR edges of a wakeup are handled before
 * its frames, a frame is stamped at the start of its capture, a looping
 * replay starts its clock again. Every input time is therefore clamped to
 * the latest time seen, so event times never go back and an event never
 * ends before it starts; differences between times are signed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libvigil.h"

struct vigil_fusion {
	struct vigil_fusion_params p;
	vigil_event_cb cb;
	void *arg;
	uint32_t next_id;
	uint64_t now;			/* latest input time seen */

	/* video */
	bool video_seen;
	uint64_t video_last_ns;		/* last frame with motion */
	uint64_t video_since_ns;	/* first frame of the motion run */
	bool video_run;
	struct vigil_detect_result last;	/* last frame with motion */
	uint32_t frame;
	/* pir */
	int pir_level;
	bool pir_seen;
	uint64_t pir_rise_ns;		/* last rising edge */
	uint64_t pir_fall_ns;		/* last falling edge */
	uint32_t pir_lost;
	/* sound: the last possible glass break (vigil_fusion_audio) */
	bool glass_seen;
	uint64_t glass_ns;

	/* the open event */
	bool active;
	uint64_t trigger_ns;		/* last time the trigger held */
	uint64_t update_ns;		/* last start/update reported */
	bool held;			/* person-confirmed: not reported yet */
	struct vigil_event ev;
};

static const char *const policy_names[] = {
	[VIGIL_POLICY_PIR_AND_VIDEO] = "pir-and-video",
	[VIGIL_POLICY_VIDEO_ONLY] = "video-only",
	[VIGIL_POLICY_PIR_ONLY] = "pir-only",
	[VIGIL_POLICY_PERSON_CONFIRMED] = "person-confirmed",
};

int vigil_policy_from_name(const char *name, enum vigil_policy *p)
{
	for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (!strcmp(name, policy_names[i])) {
			*p = (enum vigil_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *vigil_policy_name(enum vigil_policy p)
{
	return (unsigned int)p < sizeof(policy_names) / sizeof(policy_names[0]) ?
	       policy_names[p] : "?";
}

void vigil_fusion_params_default(struct vigil_fusion_params *p)
{
	p->policy = VIGIL_POLICY_PIR_AND_VIDEO;
	p->window_ns = 1500000000ULL;
	p->gap_ns = 2000000000ULL;
	p->update_ns = 1000000000ULL;
	p->pir_hold_ns = 500000000ULL;
}

int vigil_fusion_new(const struct vigil_fusion_params *p, vigil_event_cb cb,
		     void *arg, struct vigil_fusion **out)
{
	struct vigil_fusion *f;

	*out = NULL;
	if ((unsigned int)p->policy > VIGIL_POLICY_PERSON_CONFIRMED || !cb)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->p = *p;
	f->cb = cb;
	f->arg = arg;
	f->next_id = 1;
	*out = f;
	return 0;
}

void vigil_fusion_free(struct vigil_fusion *f)
{
	free(f);
}

bool vigil_fusion_active(const struct vigil_fusion *f)
{
	return f->active;
}

uint32_t vigil_fusion_event_id(const struct vigil_fusion *f)
{
	return f->active ? f->ev.id : 0;
}

/* @a - @b as a signed difference (times are far below 2^63 ns). */
static int64_t delta(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b);
}

static bool within(uint64_t a, uint64_t b, uint64_t w)
{
	const int64_t d = delta(a, b);

	return (uint64_t)(d < 0 ? -d : d) <= w;
}

/* The time of an input: never before the latest time already seen. */
static uint64_t clamp_now(struct vigil_fusion *f, uint64_t ts)
{
	if (ts > f->now)
		f->now = ts;
	return f->now;
}

/* Is the PIR active at @now (high, or fell within the hold time)? */
static bool pir_active(const struct vigil_fusion *f, uint64_t now)
{
	if (!f->pir_seen)
		return false;
	if (f->pir_level)
		return true;
	return delta(now, f->pir_fall_ns) >= 0 &&
	       (uint64_t)delta(now, f->pir_fall_ns) <= f->p.pir_hold_ns;
}

/* PIR activity within the window of @now (for pir-and-video). */
static bool pir_recent(const struct vigil_fusion *f, uint64_t now)
{
	if (!f->pir_seen)
		return false;
	if (f->pir_level)
		return true;
	return within(now, f->pir_rise_ns, f->p.window_ns) ||
	       (delta(now, f->pir_fall_ns) >= 0 &&
		(uint64_t)delta(now, f->pir_fall_ns) <= f->p.window_ns);
}

/* A possible glass break within the window of @now: evidence like a PIR. */
static bool glass_recent(const struct vigil_fusion *f, uint64_t now)
{
	return f->glass_seen && within(now, f->glass_ns, f->p.window_ns);
}

static void correlate_glass(struct vigil_fusion *f, uint64_t now)
{
	if (glass_recent(f, now)) {
		f->ev.glass_valid = true;
		f->ev.glass_ts_ns = f->glass_ns;
	}
}

static void emit(struct vigil_fusion *f, enum vigil_event_type type,
		 uint64_t now)
{
	f->ev.type = type;
	f->ev.ts_ns = now;
	f->ev.frame = f->frame;
	f->ev.pir_level = f->pir_level;
	f->ev.pir_lost = f->pir_lost;
	f->update_ns = now;
	if (!f->held)
		f->cb(&f->ev, f->arg);
}

/* person-confirmed: report the held event from now on, with its start. */
static void release(struct vigil_fusion *f, uint64_t now)
{
	if (!f->active || !f->held)
		return;
	f->held = false;
	emit(f, VIGIL_EVENT_START, now);
}

static void end_event(struct vigil_fusion *f, uint64_t now)
{
	f->ev.end_ns = f->trigger_ns;
	emit(f, VIGIL_EVENT_END, now);
	f->active = false;
	f->held = false;
}

static void expire(struct vigil_fusion *f, uint64_t now)
{
	if (f->active && delta(now, f->trigger_ns) > (int64_t)f->p.gap_ns)
		end_event(f, now);
}

static void take_video(struct vigil_event *ev,
		       const struct vigil_detect_result *r)
{
	ev->score = r->score;
	if (r->score > ev->max_score)
		ev->max_score = r->score;
	ev->area = r->changed_px;
	ev->nboxes = r->nboxes;
	memcpy(ev->boxes, r->boxes, r->nboxes * sizeof(r->boxes[0]));
}

static void correlate_pir(struct vigil_fusion *f)
{
	struct vigil_event *ev = &f->ev;

	if (!f->pir_seen || !pir_recent(f, f->trigger_ns))
		return;
	ev->pir_valid = true;
	ev->pir_ts_ns = f->pir_rise_ns;
	ev->pir_delta_ns = f->video_seen ?
			   delta(f->pir_rise_ns, f->video_since_ns) : 0;
}

/* The trigger held at @now: start or extend the event. */
static void trigger(struct vigil_fusion *f, uint64_t now,
		    const struct vigil_detect_result *r)
{
	if (!f->active) {
		memset(&f->ev, 0, sizeof(f->ev));
		f->ev.id = f->next_id++;
		f->ev.policy = f->p.policy;
		f->ev.start_ns = now;
		f->ev.pir_count = f->pir_seen && pir_recent(f, now) ? 1 : 0;
		f->active = true;
		f->held = f->p.policy == VIGIL_POLICY_PERSON_CONFIRMED &&
			  !(f->pir_seen && pir_recent(f, now));
		f->trigger_ns = now;
		if (!r && f->video_seen &&
		    within(now, f->video_last_ns, f->p.window_ns))
			r = &f->last;	/* started by the PIR: last motion seen */
		if (r) {
			take_video(&f->ev, r);
			f->ev.motion_frames = 1;
		}
		correlate_pir(f);
		correlate_glass(f, now);
		emit(f, VIGIL_EVENT_START, now);
		return;
	}
	f->trigger_ns = now;
	correlate_pir(f);
	correlate_glass(f, now);
	if (r)
		take_video(&f->ev, r);
	/* PIR-confirmed: never dropped whatever the person check says */
	if (f->held && f->pir_seen && pir_recent(f, now)) {
		release(f, now);
		return;
	}
	if (f->p.update_ns && delta(now, f->update_ns) >= (int64_t)f->p.update_ns)
		emit(f, VIGIL_EVENT_UPDATE, now);
}

void vigil_fusion_video(struct vigil_fusion *f,
			const struct vigil_detect_result *r)
{
	const uint64_t now = clamp_now(f, r->ts_ns);
	bool trig = false;

	f->frame = r->seq;
	expire(f, now);
	if (r->motion) {
		if (!f->video_run)
			f->video_since_ns = now;
		f->video_run = true;
		f->video_seen = true;
		f->video_last_ns = now;
		f->last = *r;
		if (f->active)
			f->ev.motion_frames++;
	} else {
		f->video_run = false;
	}
	switch (f->p.policy) {
	case VIGIL_POLICY_VIDEO_ONLY:
	case VIGIL_POLICY_PERSON_CONFIRMED:
		trig = r->motion;
		break;
	case VIGIL_POLICY_PIR_ONLY:
		trig = pir_active(f, now);
		break;
	case VIGIL_POLICY_PIR_AND_VIDEO:
		trig = r->motion && (pir_recent(f, now) || glass_recent(f, now));
		break;
	}
	if (trig)
		trigger(f, now, r->motion ? r : NULL);
	else if (f->active && r->motion)
		take_video(&f->ev, r);
}

void vigil_fusion_pir(struct vigil_fusion *f, const struct vigil_pir_event *e)
{
	const uint64_t now = clamp_now(f, e->ts_ns);
	const bool rise = e->level && !f->pir_level;
	bool trig = false;

	expire(f, now);
	f->pir_lost += e->lost;
	f->pir_seen = true;
	if (rise) {
		f->pir_rise_ns = now;
		if (f->active)
			f->ev.pir_count++;
	} else if (!e->level && f->pir_level) {
		f->pir_fall_ns = now;
	}
	f->pir_level = e->level ? 1 : 0;

	switch (f->p.policy) {
	case VIGIL_POLICY_VIDEO_ONLY:
		break;
	case VIGIL_POLICY_PERSON_CONFIRMED:
		/* a warm body during a held event: the alarm is PIR-confirmed */
		if (rise && f->active && f->held) {
			correlate_pir(f);
			release(f, now);
		}
		break;
	case VIGIL_POLICY_PIR_ONLY:
		trig = e->level;
		break;
	case VIGIL_POLICY_PIR_AND_VIDEO:
		trig = rise && f->video_seen &&
		       within(now, f->video_last_ns, f->p.window_ns);
		break;
	}
	if (trig)
		trigger(f, now, NULL);
}

void vigil_fusion_audio(struct vigil_fusion *f,
			const struct vigil_audio_detection *d)
{
	uint64_t now;

	if (d->kind != VIGIL_AUDIO_GLASS || d->type != VIGIL_EVENT_START)
		return;
	now = clamp_now(f, d->start_ns);
	expire(f, now);
	f->glass_seen = true;
	f->glass_ns = now;
	if (f->p.policy == VIGIL_POLICY_PIR_AND_VIDEO && f->video_seen &&
	    within(now, f->video_last_ns, f->p.window_ns))
		trigger(f, now, NULL);
	else if (f->active)
		correlate_glass(f, now);
}

void vigil_fusion_person(struct vigil_fusion *f, int verdict, double score)
{
	if (!f->active)
		return;
	f->ev.person = verdict;
	f->ev.person_score = score;
	if (verdict == VIGIL_PERSON_UNKNOWN || verdict == VIGIL_PERSON_NONE)
		return;
	if (f->held) {
		if (verdict == VIGIL_PERSON_YES)
			release(f, f->now);
		return;
	}
	emit(f, VIGIL_EVENT_UPDATE, f->now);
}

void vigil_fusion_tick(struct vigil_fusion *f, uint64_t now_ns)
{
	now_ns = clamp_now(f, now_ns);
	if (f->active && f->p.policy == VIGIL_POLICY_PIR_ONLY &&
	    pir_active(f, now_ns))
		f->trigger_ns = now_ns;
	expire(f, now_ns);
}

void vigil_fusion_flush(struct vigil_fusion *f, uint64_t now_ns)
{
	now_ns = clamp_now(f, now_ns);
	if (f->active)
		end_event(f, now_ns);
}
