// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sound alerts (lib/audio.c): detection rate of T3 against SNR in pink
 * noise, false alerts per hour of negative audio, CPU per second of audio.
 * All audio is synthesised here (deterministic PRNG), 16 kHz mono S16.
 *
 *  - audio-t3-snr-N: T3 (two cycles, 2900-3300 Hz, +-4% timing jitter) in
 *    pink noise at N dB SNR (tone RMS while on over noise RMS), TRIALS
 *    seeds: fraction alerted. Baseline: the same with no noise.
 *  - audio-false-alerts: smoke, CO and glass alerts per hour (loud noise,
 *    which this audio does contain, reported apart) over NEG_S seconds of
 *    negative audio (pink noise of varying level, random note sequences
 *    from 200 to 4000 Hz of 0.1-0.8 s, clicks). Baseline: a single-band
 *    detector (2.6-3.6 kHz tone share > 0.2 for >= 0.3 s) on the same audio.
 *  - audio-cpu: detector CPU per second of audio; baseline: one pass
 *    converting the samples and summing their squares (the least any level
 *    detector does).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvigil.h"

#define RATE 16000
#define TRIALS 20
#define NEG_S 1800

static uint64_t rng = 88172645463325252ULL;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* Pink noise (Paul Kellet's filter over white), RMS about 1. */
struct pink {
	double b[7];
};

static double pink_next(struct pink *p)
{
	const double w = urand() * 2 - 1;
	double o;

	p->b[0] = 0.99886 * p->b[0] + w * 0.0555179;
	p->b[1] = 0.99332 * p->b[1] + w * 0.0750759;
	p->b[2] = 0.96900 * p->b[2] + w * 0.1538520;
	p->b[3] = 0.86650 * p->b[3] + w * 0.3104856;
	p->b[4] = 0.55000 * p->b[4] + w * 0.5329522;
	p->b[5] = -0.7616 * p->b[5] - w * 0.0168980;
	o = p->b[0] + p->b[1] + p->b[2] + p->b[3] + p->b[4] + p->b[5] + p->b[6] + w * 0.5362;
	p->b[6] = w * 0.115926;
	return o * 0.32;
}

static int16_t clip16(double v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint(v));
}

static unsigned int starts[VIGIL_AUDIO_NKINDS];

static void on_alert(const struct vigil_audio_detection *d, void *arg)
{
	if (d->type == VIGIL_EVENT_START)
		starts[d->kind]++;
}

static void run(const int16_t *pcm, size_t n)
{
	struct vigil_audio_params p;
	struct vigil_audio *a;

	vigil_audio_params_default(&p);
	if (vigil_audio_new(&p, on_alert, NULL, &a)) {
		fprintf(stderr, "vigil_audio_new failed\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i += 320)
		vigil_audio_process(a, pcm + i, n - i < 320 ? n - i : 320,
				    (uint64_t)i * 1000000000ULL / RATE);
	vigil_audio_flush(a, (uint64_t)n * 1000000000ULL / RATE);
	vigil_audio_free(a);
}

/* T3 x2 after 2 s of noise, 3 s of noise after; returns samples. */
static size_t make_t3(int16_t *out, double snr_db, bool noise)
{
	const double f = 2900 + 400 * urand(), amp = 6000;
	const double nrms = amp / sqrt(2) * pow(10, -snr_db / 20);
	struct pink pk = { { 0 } };
	size_t n = 0;
	double ph = 0;

	for (int i = 0; i < 2 * RATE; i++)
		out[n++] = clip16(noise ? nrms * pink_next(&pk) : 0);
	for (int c = 0; c < 2; c++) {
		for (int k = 0; k < 6; k++) {
			const bool on = !(k & 1);
			const double d = (k == 5 ? 1.5 : 0.5) * (0.96 + 0.08 * urand());

			for (int i = 0; i < (int)(d * RATE); i++) {
				double v = noise ? nrms * pink_next(&pk) : 0;

				ph += 2 * M_PI * f / RATE;
				if (on)
					v += amp * sin(ph);
				out[n++] = clip16(v);
			}
		}
	}
	for (int i = 0; i < 3 * RATE; i++)
		out[n++] = clip16(noise ? nrms * pink_next(&pk) : 0);
	return n;
}

static size_t make_negative(int16_t *out, size_t max)
{
	struct pink pk = { { 0 } };
	double level = 300, ph = 0, f = 440, amp = 0;
	size_t n = 0, note_end = 0;

	while (n < max) {
		if (n % (10 * RATE) == 0)
			level = 30 + 600 * urand();	/* room noise changes */
		if (n >= note_end) {
			const double r = urand();

			f = 200 * pow(20, urand());	/* 200..4000 Hz */
			amp = r < 0.3 ? 0 : 500 + 2500 * urand();
			note_end = n + (size_t)((0.1 + 0.7 * urand()) * RATE);
		}
		ph += 2 * M_PI * f / RATE;
		{
			double v = level * pink_next(&pk) + amp * (sin(ph) + 0.3 * sin(2 * ph));

			if (urand() < 1.0 / (20 * RATE))	/* a click now and then */
				v += 20000;
			out[n++] = clip16(v);
		}
	}
	return n;
}

/* The single-band baseline: 3 kHz share > 0.2 for >= 0.3 s, per onset. */
static unsigned int naive(const int16_t *pcm, size_t n)
{
	unsigned int alerts = 0, run = 0;

	for (size_t h = 0; h + 160 <= n; h += 160) {
		double e = 0, best = 0;

		for (int i = 0; i < 160; i++)
			e += (double)pcm[h + i] * pcm[h + i];
		for (double f = 2600; f <= 3600 && e > 0; f += 50) {
			const double c = 2 * cos(2 * M_PI * f / RATE);
			double s1 = 0, s2 = 0;

			for (int i = 0; i < 160; i++) {
				const double s0 = pcm[h + i] + c * s1 - s2;

				s2 = s1;
				s1 = s0;
			}
			best = fmax(best, 2 * (s1 * s1 + s2 * s2 - c * s1 * s2) / (160 * e));
		}
		run = best > 0.2 ? run + 1 : 0;
		alerts += run == 30;
	}
	return alerts;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	static const int snrs[] = { -20, -15, -10, -5, 0, 10, 20 };
	const size_t neg_n = (size_t)NEG_S * RATE;
	int16_t *buf = malloc(20 * RATE * sizeof(*buf));
	int16_t *neg = malloc(neg_n * sizeof(*neg));
	unsigned int clean = 0, all, nv;
	double t0, t1, t2, sum = 0;
	volatile double sink;

	if (!buf || !neg)
		return 1;
	for (int t = 0; t < TRIALS; t++) {
		memset(starts, 0, sizeof(starts));
		run(buf, make_t3(buf, 0, false));
		clean += starts[VIGIL_AUDIO_SMOKE] > 0;
	}
	for (size_t s = 0; s < sizeof(snrs) / sizeof(snrs[0]); s++) {
		unsigned int hit = 0;

		for (int t = 0; t < TRIALS; t++) {
			memset(starts, 0, sizeof(starts));
			run(buf, make_t3(buf, snrs[s], true));
			hit += starts[VIGIL_AUDIO_SMOKE] > 0;
		}
		printf("{\"name\":\"audio-t3-snr%+d\",\"figure\":%.2f,\"unit\":\"fraction alerted\","
		       "\"baseline\":%.2f,\"baseline_name\":\"the same T3 without noise\","
		       "\"ratio\":%.2f,\"trials\":%d,\"snr_db\":%d}\n",
		       snrs[s], (double)hit / TRIALS, (double)clean / TRIALS,
		       clean ? (double)hit / clean : 0, TRIALS, snrs[s]);
	}

	make_negative(neg, neg_n);
	memset(starts, 0, sizeof(starts));
	t0 = cpu_s();
	run(neg, neg_n);
	t1 = cpu_s();
	for (size_t i = 0; i < neg_n; i++) {
		const float v = neg[i];

		sum += (double)v * v;
	}
	sink = sum;
	(void)sink;
	t2 = cpu_s();
	/* loud noise is loud by definition: counted, reported apart */
	all = starts[VIGIL_AUDIO_SMOKE] + starts[VIGIL_AUDIO_CO] + starts[VIGIL_AUDIO_GLASS];
	nv = naive(neg, neg_n);
	printf("{\"name\":\"audio-false-alerts\",\"figure\":%.1f,\"unit\":\"alerts/hour\","
	       "\"baseline\":%.1f,\"baseline_name\":\"single-band 3 kHz detector, same audio\","
	       "\"ratio\":%.3f,\"hours\":%.2f,\"smoke\":%u,\"co\":%u,\"glass\":%u,\"loud\":%u}\n",
	       all * 3600.0 / NEG_S, nv * 3600.0 / NEG_S, nv ? (double)all / nv : 0,
	       NEG_S / 3600.0, starts[VIGIL_AUDIO_SMOKE], starts[VIGIL_AUDIO_CO],
	       starts[VIGIL_AUDIO_GLASS], starts[VIGIL_AUDIO_LOUD]);
	printf("{\"name\":\"audio-cpu\",\"figure\":%.1f,\"unit\":\"us CPU per s of audio\","
	       "\"baseline\":%.1f,\"baseline_name\":\"convert and sum squares, same audio\","
	       "\"ratio\":%.1f,\"core_fraction\":%.5f}\n",
	       (t1 - t0) * 1e6 / NEG_S, (t2 - t1) * 1e6 / NEG_S,
	       (t2 - t1) > 0 ? (t1 - t0) / (t2 - t1) : 0, (t1 - t0) / NEG_S);
	free(neg);
	free(buf);
	return 0;
}
