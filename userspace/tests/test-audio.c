// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sound-alert detectors (lib/audio.c) on fixtures synthesised at test
 * time by tests/audio-fixtures.sh (sox, espeak-ng): T3 at 3.1 kHz and from
 * a 520 Hz square wave, T4, T3 in pink noise at several SNRs, glass-like
 * impacts; negatives (steady 3.1 kHz tone, speech, music-like note
 * sequences, noise) must raise nothing. sox or espeak-ng missing is a
 * failure: make check installs them (scripts/deps).
 *
 *   test-audio [-v]        -v prints every detection as its JSON line
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libvigil.h"
#include "t.h"

#define MAXDET 64

struct run {
	unsigned int n;
	struct vigil_audio_detection d[MAXDET];
};

static bool verbose;
static char dir[] = "/tmp/vigil-audio-XXXXXX";

static void collect(const struct vigil_audio_detection *d, void *arg)
{
	struct run *r = arg;
	char line[1024];

	T_ASSERT(vigil_audio_json(d, line, sizeof(line)) > 0);
	if (verbose)
		fputs(line, stderr);
	if (r->n < MAXDET)
		r->d[r->n++] = *d;
}

static int16_t *load(const char *name, size_t *n)
{
	char path[512];
	FILE *fp;
	struct stat st;
	int16_t *pcm;

	snprintf(path, sizeof(path), "%s/%s.raw", dir, name);
	fp = fopen(path, "rb");
	if (!fp || fstat(fileno(fp), &st)) {
		fprintf(stderr, "cannot open fixture %s\n", path);
		exit(1);
	}
	*n = (size_t)st.st_size / 2;
	pcm = malloc(*n * 2 + 2);
	if (!pcm || fread(pcm, 2, *n, fp) != *n) {
		fprintf(stderr, "cannot read fixture %s\n", path);
		exit(1);
	}
	fclose(fp);
	return pcm;
}

/* Feed @pcm in odd-sized blocks, as a capture would; then flush. */
static void run_pcm(const int16_t *pcm, size_t n, struct run *r)
{
	struct vigil_audio_params p;
	struct vigil_audio *a;
	size_t i = 0, blk = 37;

	memset(r, 0, sizeof(*r));
	vigil_audio_params_default(&p);
	T_EQ(vigil_audio_new(&p, collect, r, &a), 0);
	while (i < n) {
		const size_t k = n - i < blk ? n - i : blk;

		T_EQ(vigil_audio_process(a, pcm + i, k,
					 1000000000ULL + i * 1000000000ULL / 16000), 0);
		i += k;
		blk = blk * 7 % 1021 + 1;
	}
	vigil_audio_flush(a, 1000000000ULL + n * 1000000000ULL / 16000);
	vigil_audio_free(a);
}

static void run_file(const char *name, struct run *r)
{
	size_t n;
	int16_t *pcm = load(name, &n);

	if (verbose)
		fprintf(stderr, "== %s\n", name);
	run_pcm(pcm, n, r);
	free(pcm);
}

static unsigned int nfused;
static struct vigil_event fused;

static void on_fused(const struct vigil_event *ev, void *arg)
{
	char line[2048];

	T_ASSERT(vigil_event_json(ev, line, sizeof(line)) > 0);
	if (ev->type == VIGIL_EVENT_START) {
		nfused++;
		fused = *ev;
		T_STRSTR(line, "\"glass_break\":{\"ts_ns\":1200000000}");
	}
}

/* A possible glass break corroborates video motion as a PIR edge does. */
static void check_fusion(void)
{
	struct vigil_fusion_params p;
	struct vigil_fusion *f;
	struct vigil_detect_result r = { .motion = true, .score = 0.1 };
	struct vigil_audio_detection g = {
		.type = VIGIL_EVENT_START, .kind = VIGIL_AUDIO_GLASS,
		.start_ns = 1200000000ULL, .confidence = 0.8,
	};

	vigil_fusion_params_default(&p);	/* pir-and-video */
	T_EQ(vigil_fusion_new(&p, on_fused, NULL, &f), 0);
	r.ts_ns = 1000000000ULL;
	vigil_fusion_video(f, &r);
	T_EQ(nfused, 0);		/* motion alone: no alarm */
	g.kind = VIGIL_AUDIO_LOUD;
	vigil_fusion_audio(f, &g);
	T_EQ(nfused, 0);		/* loud noise is not evidence */
	g.kind = VIGIL_AUDIO_GLASS;
	vigil_fusion_audio(f, &g);
	T_EQ(nfused, 1);
	T_ASSERT(fused.glass_valid && !fused.pir_valid);
	vigil_fusion_flush(f, 5000000000ULL);
	vigil_fusion_free(f);

	/* a glass break long before the motion does not count */
	nfused = 0;
	T_EQ(vigil_fusion_new(&p, on_fused, NULL, &f), 0);
	vigil_fusion_audio(f, &g);
	r.ts_ns = 9000000000ULL;
	vigil_fusion_video(f, &r);
	T_EQ(nfused, 0);
	vigil_fusion_free(f);
}

static unsigned int count(const struct run *r, enum vigil_audio_kind k,
			  enum vigil_event_type t)
{
	unsigned int c = 0;

	for (unsigned int i = 0; i < r->n; i++)
		c += r->d[i].kind == k && r->d[i].type == t;
	return c;
}

static const struct vigil_audio_detection *find(const struct run *r,
						enum vigil_audio_kind k,
						enum vigil_event_type t)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (r->d[i].kind == k && r->d[i].type == t)
			return &r->d[i];
	return NULL;
}

/* Two cycles: alert after the first, confirmed after the second, ended. */
static void check_alarm(const char *name, enum vigil_audio_kind k,
			double freq, uint64_t first_pause_ns)
{
	const struct vigil_audio_detection *s, *u;
	struct run r;

	run_file(name, &r);
	T_EQ(count(&r, k, VIGIL_EVENT_START), 1);
	T_EQ(count(&r, k, VIGIL_EVENT_UPDATE), 1);
	T_EQ(count(&r, k, VIGIL_EVENT_END), 1);
	s = find(&r, k, VIGIL_EVENT_START);
	u = find(&r, k, VIGIL_EVENT_UPDATE);
	if (!s || !u)
		return;
	T_EQ(s->cycles, 1);
	T_ASSERT(!s->confirmed);
	T_EQ(u->cycles, 2);
	T_ASSERT(u->confirmed);
	T_ASSERT(u->confidence > s->confidence);
	T_ASSERT(s->confidence >= 0.7 && s->confidence <= 0.9 && u->confidence <= 1.0);
	T_ASSERT(fabs(s->freq_hz - freq) <= 30);
	T_ASSERT(s->tone_frac > 0.5);
	/* the sound starts after the 1.5 s lead (stream starts at 1 s) */
	T_ASSERT(s->start_ns >= 2480000000ULL && s->start_ns <= 2530000000ULL);
	/* alert within the first pause, after its lower bound */
	T_ASSERT(s->ts_ns >= first_pause_ns + first_pause_ns / 1000 &&
		 s->ts_ns - 2500000000ULL <= first_pause_ns);
	/* nothing else */
	T_EQ(count(&r, VIGIL_AUDIO_GLASS, VIGIL_EVENT_START), 0);
	T_EQ(count(&r, VIGIL_AUDIO_LOUD, VIGIL_EVENT_START), 0);
	T_EQ(count(&r, k == VIGIL_AUDIO_SMOKE ? VIGIL_AUDIO_CO : VIGIL_AUDIO_SMOKE,
		   VIGIL_EVENT_START), 0);
}

static void check_negative(const char *name)
{
	struct run r;

	run_file(name, &r);
	for (unsigned int i = 0; i < r.n; i++)
		fprintf(stderr, "%s: false %s alert\n", name,
			vigil_audio_kind_name(r.d[i].kind));
	T_EQ(r.n, 0);
}

/* The clean T3 mixed with pink noise scaled for @snr_db (RMS while on). */
static unsigned int t3_in_noise(double snr_db)
{
	size_t n, nn;
	int16_t *sig = load("t3-clean", &n), *noise = load("pink", &nn);
	int16_t *mix = malloc(n * 2);
	double es = 0, en = 0, g;
	size_t on = 0;
	struct run r;

	for (size_t i = 0; i < n; i++)
		if (sig[i]) {
			es += (double)sig[i] * sig[i];
			on++;
		}
	for (size_t i = 0; i < nn; i++)
		en += (double)noise[i] * noise[i];
	g = sqrt(es / on / (en / nn)) * pow(10, -snr_db / 20);
	for (size_t i = 0; i < n; i++) {
		const double v = sig[i] + g * noise[i % nn];

		mix[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	run_pcm(mix, n, &r);
	if (verbose)
		fprintf(stderr, "t3 in pink noise at %+.0f dB: %u detections\n",
			snr_db, r.n);
	free(mix);
	free(noise);
	free(sig);
	return count(&r, VIGIL_AUDIO_SMOKE, VIGIL_EVENT_START);
}

int main(int argc, char **argv)
{
	char cmd[1024];
	struct run r;
	const struct vigil_audio_detection *g;

	verbose = argc > 1 && !strcmp(argv[1], "-v");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "sh %s/userspace/tests/audio-fixtures.sh %s",
		 t_srcdir(), dir);
	if (system(cmd)) {
		fprintf(stderr, "fixtures: '%s' failed (sox and espeak-ng "
			"installed? scripts/deps)\n", cmd);
		return 1;
	}

	/* parameters */
	{
		struct vigil_audio_params p;
		struct vigil_audio *a;

		vigil_audio_params_default(&p);
		T_EQ(vigil_audio_params_check(&p), 0);
		p.floor_window_ms = 10;
		T_EQ(vigil_audio_new(&p, collect, &r, &a), -EINVAL);
		T_ASSERT(!a);
		vigil_audio_params_default(&p);
		p.floor_percentile = 101;
		T_EQ(vigil_audio_params_check(&p), -EINVAL);
		T_EQ(strcmp(vigil_audio_kind_name(VIGIL_AUDIO_GLASS), "glass-break"), 0);
	}

	/* T3: the pause starts 1.5 + 2.5 s into the file */
	check_alarm("t3-3100", VIGIL_AUDIO_SMOKE, 3100, 1350000000ULL + 2500000000ULL);
	check_alarm("t3-520", VIGIL_AUDIO_SMOKE, 520, 1350000000ULL + 2500000000ULL);
	check_alarm("t4", VIGIL_AUDIO_CO, 3100, 4500000000ULL + 700000000ULL);
	{
		const struct vigil_audio_detection *s;

		run_file("t3-520", &r);
		s = find(&r, VIGIL_AUDIO_SMOKE, VIGIL_EVENT_START);
		/* a square wave: 3rd and 5th harmonics about -8 dB */
		T_ASSERT(s && s->harmonics_db > -12 && s->harmonics_db < -4);
	}

	/* in pink noise: found down to 0 dB; the bench has the curve */
	T_EQ(t3_in_noise(20), 1);
	T_EQ(t3_in_noise(10), 1);
	T_EQ(t3_in_noise(0), 1);
	/* the tone buried well under the noise is not a smoke alarm */
	T_EQ(t3_in_noise(-25), 0);

	/* glass: two impacts, each a possible glass break */
	run_file("glass", &r);
	T_EQ(count(&r, VIGIL_AUDIO_GLASS, VIGIL_EVENT_START), 2);
	T_EQ(count(&r, VIGIL_AUDIO_GLASS, VIGIL_EVENT_END), 2);
	g = find(&r, VIGIL_AUDIO_GLASS, VIGIL_EVENT_START);
	if (g) {
		T_ASSERT(g->bands_hit >= 3);
		T_ASSERT(g->decay_db >= 12);
		T_ASSERT(g->flatness >= 0.25);
		T_ASSERT(g->confidence >= 0.5 && g->confidence <= 0.9);
		T_ASSERT(g->start_ns >= 2490000000ULL && g->start_ns <= 2540000000ULL);
	}
	/* and loud: the bed is -60 dBFS */
	T_ASSERT(count(&r, VIGIL_AUDIO_LOUD, VIGIL_EVENT_START) >= 1);
	T_EQ(count(&r, VIGIL_AUDIO_LOUD, VIGIL_EVENT_START),
	     count(&r, VIGIL_AUDIO_LOUD, VIGIL_EVENT_END));
	T_EQ(count(&r, VIGIL_AUDIO_SMOKE, VIGIL_EVENT_START), 0);

	check_fusion();

	check_negative("tone");
	check_negative("speech");
	check_negative("music");
	check_negative("noise");

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return t_done();
}
