// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-score: score recorded runs against labelled scenarios.
 *
 *   vigil-score [--assert] SCENARIO.ini TRACE [SCENARIO.ini TRACE...]
 *
 * A TRACE is what vigild --trace writes: the detector's result for every
 * frame and every PIR edge, on CLOCK_MONOTONIC. They are fused offline
 * with each policy (default fusion settings) and the alarms are scored
 * against the scenario's ground truth: recall, false alarms and detection
 * delay in frames, per scenario and in total. With --assert the exit
 * status says whether pir-and-video met its targets: every warm person
 * within 5 frames, no false alarm without a warm object nor on a pet.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvigil.h"
#include "vigil-internal.h"

#define NPOL 3
#define MAX_ALARMS 64
#define MAX_DELAY 5

static const enum vigil_policy policies[NPOL] = {
	VIGIL_POLICY_PIR_AND_VIDEO, VIGIL_POLICY_VIDEO_ONLY, VIGIL_POLICY_PIR_ONLY,
};

struct run {
	uint64_t interval_ns;
	unsigned int n;
	uint32_t starts[MAX_ALARMS], ends[MAX_ALARMS];
};

struct totals {
	unsigned int must, detected, late, fa, fa_cold, fa_pet, delay_sum, delay_max;
};

static void on_event(const struct vigil_event *ev, void *arg)
{
	struct run *r = arg;

	if (ev->type == VIGIL_EVENT_START && r->n < MAX_ALARMS) {
		r->starts[r->n] = ev->frame;
		r->ends[r->n] = UINT32_MAX;
		r->n++;
	} else if (ev->type == VIGIL_EVENT_END && r->n && r->interval_ns) {
		r->ends[r->n - 1] = ev->frame - (uint32_t)((ev->ts_ns - ev->end_ns +
			r->interval_ns / 2) / r->interval_ns);
	}
}

static int score_one(const char *scene_path, const char *trace_path,
		     struct totals tot[NPOL])
{
	struct vigil_fusion *fu[NPOL] = { 0 };
	struct vigil_fusion_params fp;
	struct run run[NPOL];
	struct vigil_scene s;
	char line[512], err[256];
	uint64_t first_ts = 0, last_ts = 0;
	uint32_t first_seq = 0, last_seq = 0;
	unsigned long frames = 0, edges = 0;
	FILE *fp_trace;
	int ret = 0;

	if (vigil_scene_load(&s, scene_path, err, sizeof(err))) {
		fprintf(stderr, "vigil-score: %s\n", err);
		return -EINVAL;
	}
	fp_trace = fopen(trace_path, "re");
	if (!fp_trace) {
		fprintf(stderr, "vigil-score: %s: %s\n", trace_path, strerror(errno));
		return -errno;
	}
	vigil_fusion_params_default(&fp);
	memset(run, 0, sizeof(run));
	for (int p = 0; p < NPOL; p++) {
		fp.policy = policies[p];
		run[p].interval_ns = 1000000000ULL / s.fps;
		if (vigil_fusion_new(&fp, on_event, &run[p], &fu[p])) {
			ret = -ENOMEM;
			goto out;
		}
	}
	while (fgets(line, sizeof(line), fp_trace)) {
		struct vigil_detect_result r = { 0 };
		struct vigil_pir_event e = { 0 };
		unsigned long long ts;
		int motion, raw, global, level;
		unsigned int seq, area, pseq, pframe, lost;
		double score;

		if (sscanf(line, "{\"frame\":%u,\"ts_ns\":%llu,\"motion\":%d,\"raw\":%d,"
			   "\"global\":%d,\"score\":%lf,\"area\":%u", &seq, &ts, &motion,
			   &raw, &global, &score, &area) == 7) {
			r.seq = seq;
			r.ts_ns = ts;
			r.motion = motion;
			r.raw_motion = raw;
			r.global_change = global;
			r.score = score;
			r.changed_px = area;
			if (!frames++) {
				first_ts = ts;
				first_seq = seq;
			}
			last_ts = ts;
			last_seq = seq;
			for (int p = 0; p < NPOL; p++)
				vigil_fusion_video(fu[p], &r);
		} else if (sscanf(line, "{\"pir\":%d,\"ts_ns\":%llu,\"seq\":%u,\"frame\":%u,"
				  "\"lost\":%u", &level, &ts, &pseq, &pframe, &lost) == 5) {
			e.level = level;
			e.ts_ns = ts;
			e.seq = pseq;
			e.frame_seq = pframe;
			e.lost = lost;
			edges++;
			for (int p = 0; p < NPOL; p++)
				vigil_fusion_pir(fu[p], &e);
		} else if (!strncmp(line, "{\"event\":", 9) ||
			   !strncmp(line, "{\"synced\":", 10)) {
			/* vigild's own alarms and clip syncs, for vigil-lat: not inputs */
			continue;
		} else {
			fprintf(stderr, "vigil-score: %s: unrecognised line: %s", trace_path, line);
			ret = -EINVAL;
			goto out;
		}
	}
	if (!frames) {
		fprintf(stderr, "vigil-score: %s: no frames\n", trace_path);
		ret = -ENODATA;
		goto out;
	}
	printf("%-14s %5lu frames %3lu PIR edges", s.name, frames, edges);
	for (int p = 0; p < NPOL; p++) {
		const unsigned int tail = s.pir_hold + 2 +
			(unsigned int)(fp.gap_ns * s.fps / 1000000000ULL);
		struct vigil_score sc;
		struct totals *t = &tot[p];

		if (last_seq > first_seq)
			run[p].interval_ns = (last_ts - first_ts) / (last_seq - first_seq);
		vigil_fusion_flush(fu[p], last_ts);
		vigil_score_scene(&s, run[p].starts, run[p].ends, run[p].n, tail,
				  MAX_DELAY, &sc);
		printf(" | %s: %u alarms%s%s", vigil_policy_name(policies[p]), run[p].n,
		       sc.detail[0] ? ", " : "", sc.detail);
		t->must += sc.must;
		t->detected += sc.detected;
		t->late += sc.late;
		t->fa += sc.false_alarms;
		t->fa_cold += sc.warm ? 0 : sc.false_alarms;
		t->fa_pet += sc.pet ? sc.false_alarms : 0;
		t->delay_sum += sc.delay_sum;
		if (sc.delay_max > t->delay_max)
			t->delay_max = sc.delay_max;
	}
	printf("\n");
out:
	for (int p = 0; p < NPOL; p++)
		vigil_fusion_free(fu[p]);
	fclose(fp_trace);
	return ret;
}

int main(int argc, char **argv)
{
	struct totals tot[NPOL] = { 0 };
	bool check = false;
	int i = 1, ret = 0;

	if (i < argc && !strcmp(argv[i], "--assert")) {
		check = true;
		i++;
	}
	if (argc - i < 2 || (argc - i) % 2) {
		fprintf(stderr, "usage: vigil-score [--assert] SCENARIO.ini TRACE [SCENARIO.ini TRACE...]\n");
		return 2;
	}
	for (; i + 1 < argc; i += 2)
		if (score_one(argv[i], argv[i + 1], tot))
			ret = 1;

	printf("\n%-14s %8s %6s %14s %10s %8s %12s %10s\n", "policy", "recall", "late",
	       "false alarms", "(no warm)", "(pet)", "delay mean", "delay max");
	for (int p = 0; p < NPOL; p++) {
		const struct totals *t = &tot[p];

		printf("%-14s %3u/%-4u %6u %14u %10u %8u %12.2f %10u\n",
		       vigil_policy_name(policies[p]), t->detected, t->must, t->late,
		       t->fa, t->fa_cold, t->fa_pet,
		       t->detected ? (double)t->delay_sum / t->detected : 0.0,
		       t->delay_max);
	}
	if (check && (tot[0].detected != tot[0].must || tot[0].late ||
		      tot[0].fa_cold || tot[0].fa_pet)) {
		printf("pir-and-video misses its targets\n");
		ret = 1;
	}
	return ret;
}
