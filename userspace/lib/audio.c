// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sound alerts on 16 kHz mono S16 audio, without a model.
 *
 * The audio is cut into 10 ms hops (160 samples). Per hop:
 *  - Goertzel filters (N = 160, 100 Hz wide) give the share of the hop's
 *    energy in a tone: a bank from 2600 to 3600 Hz every 50 Hz for piezo
 *    sounders, and 470-570 Hz every 25 Hz plus the 3rd and 5th harmonics
 *    of the best one for 520 Hz square-wave sounders. A channel turns on
 *    above 0.2 of the energy and off below 0.1; a change counts after two
 *    hops and is dated at the first (10 ms resolution).
 *  - The on/off runs of each channel are matched against T3 (three 0.5 s
 *    pulses with 0.5 s gaps, then 1.5 s off) and T4 (four 0.1 s pulses
 *    with 0.1 s gaps, then 5 s off), each duration within 10% plus 20 ms
 *    (two hops of measurement). A cycle is recognised when the long pause
 *    has lasted its lower bound; the next cycle is consecutive when it
 *    starts within the pause's tolerance.
 *  - A 320-point real FFT (kissfft, Hann window over the last 20 ms) gives
 *    six band energies; each band has a floor (falls fast, rises slowly).
 *    Glass: the 50-400 Hz band jumps over its floor and within 30 ms at
 *    least three of the four bands above 2 kHz do too, the 2-8 kHz
 *    spectrum is flat (noise-like, not a bell's partials), three high
 *    bands are still 10 dB up at 50 ms, the burst is still well above the
 *    floor 100 ms later and has decayed by 250-300 ms.
 *  - Loud noise: the 100 ms level against a running percentile of the
 *    last floor_window_ms of 100 ms levels (a histogram in 0.5 dB bins);
 *    tonal sound is left to the alarm detectors.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiss_fftr.h>

#include "libvigil.h"
#include "json-out.h"

#define HOP 160				/* samples: 10 ms */
#define HOP_NS 10000000ULL
#define WIN 320				/* FFT window: 20 ms */
#define NBINS (WIN / 2 + 1)		/* 50 Hz apart */
#define MS(x) ((uint64_t)(x) * 1000000ULL)

#define HI_NB 21			/* 2600..3600 Hz every 50 */
#define LO_NB 5				/* 470..570 Hz every 25 */
#define ON_FRAC 0.2
#define OFF_FRAC 0.1
#define DEBOUNCE 2			/* hops */
#define NSEG 10				/* runs kept per channel */
#define OFF_CONTRAST_DB 15		/* tone level, pulses over gaps */
#define MIN_HARMONICS_DB -25		/* 520 Hz: 3rd + 5th over the 1st */

#define BLOCK_HOPS 10			/* a level block: 100 ms */
#define HIST_BINS 260			/* -130..0 dBFS in 0.5 dB */
#define MAX_WINDOW_BLOCKS 6000		/* floor window up to 600 s */

#define GLASS_HOPS 30			/* decision 300 ms after the onset */

enum { CH_HI, CH_LO, NCH };

struct seg {
	bool on;
	uint64_t start_ns, dur_ns;
	double frac;			/* mean tone share while on */
	double freq;			/* mean frequency while on */
	double harm;			/* lo: mean 3rd+5th over fundamental */
	double tone_db;			/* mean tone level (dBFS) */
};

struct alarm {
	bool active, confirmed;
	unsigned int cycles;
	uint64_t start_ns;		/* first pulse of the first cycle */
	uint64_t last_cycle_ns;		/* start of the last cycle's pause */
	uint64_t last_end_ns;		/* end of its last pulse */
	bool checked;			/* this pause already matched */
	struct vigil_audio_detection d;
};

struct channel {
	bool on, cand;			/* state, and the candidate state */
	unsigned int cand_n;		/* hops in the candidate state */
	uint64_t cand_ns;		/* first hop of the candidate */
	uint64_t run_start_ns;
	double frac_sum, freq_sum;
	unsigned int frac_n;
	double harm_sum;		/* lo: harmonics share */
	double tone_sum;		/* tone level, dBFS, every hop */
	unsigned int tone_n;
	struct seg seg[NSEG];		/* completed runs, [0] the latest */
	unsigned int nseg;
	struct alarm t3, t4;
};

struct vigil_audio {
	struct vigil_audio_params p;
	vigil_audio_cb cb;
	void *arg;
	uint32_t next_id;

	/* the hop being filled */
	float hop[HOP];
	unsigned int fill;
	uint64_t hop_ts;		/* time of its first sample */
	bool started;
	float win[WIN];			/* last 20 ms */

	/* tones */
	double hi_cos[HI_NB], lo_cos[LO_NB];
	struct channel ch[NCH];

	/* spectrum */
	kiss_fftr_cfg fft;
	float hann[WIN];
	kiss_fft_scalar fft_in[WIN];
	kiss_fft_cpx fft_out[NBINS];
	double band_db[VIGIL_AUDIO_BANDS], band_floor[VIGIL_AUDIO_BANDS];
	unsigned int hops;		/* hops analysed since the reset */

	/* glass */
	bool g_armed;			/* onset seen, collecting */
	unsigned int g_n;		/* hops since the onset */
	uint64_t g_start_ns, g_quiet_until;
	double g_peak, g_floor, g_at100, g_tail, g_rise, g_flat;
	unsigned int g_hit, g_hit50;	/* bands up at the onset, at 50 ms */
	double g_bands[VIGIL_AUDIO_BANDS];
	unsigned int g_lowhop;		/* hops since the low band jumped */

	/* loud */
	double blk_energy;		/* sum of squares in the block */
	unsigned int blk_hops, blk_tonal;
	uint16_t *ring;			/* histogram bin per block */
	unsigned int nring, ring_pos, ring_n;
	unsigned int hist[HIST_BINS];
	bool loud;
	uint64_t loud_last_ns;
	struct vigil_audio_detection loud_d;
};

static const char *const kind_names[] = {
	[VIGIL_AUDIO_SMOKE] = "smoke-alarm",
	[VIGIL_AUDIO_CO] = "co-alarm",
	[VIGIL_AUDIO_GLASS] = "glass-break",
	[VIGIL_AUDIO_LOUD] = "loud-noise",
};

static const unsigned int band_edges[VIGIL_AUDIO_BANDS + 1] = {
	50, 400, 2000, 3000, 4500, 6000, 8000
};

const char *vigil_audio_kind_name(enum vigil_audio_kind k)
{
	return (unsigned int)k < VIGIL_AUDIO_NKINDS ? kind_names[k] : "?";
}

void vigil_audio_params_default(struct vigil_audio_params *p)
{
	p->smoke = p->co = p->glass = p->loud = true;
	p->loud_margin_db = 25;
	p->loud_min_dbfs = -30;
	p->floor_percentile = 20;
	p->floor_window_ms = 30000;
	p->tone_min_dbfs = -65;
	p->glass_rise_db = 18;
}

int vigil_audio_params_check(const struct vigil_audio_params *p)
{
	if (!(p->loud_margin_db >= 0 && p->loud_margin_db <= 100) ||
	    !(p->loud_min_dbfs >= -130 && p->loud_min_dbfs <= 0) ||
	    !(p->floor_percentile >= 0 && p->floor_percentile <= 100) ||
	    p->floor_window_ms < 1000 ||
	    p->floor_window_ms > MAX_WINDOW_BLOCKS * 100 ||
	    !(p->tone_min_dbfs >= -130 && p->tone_min_dbfs <= 0) ||
	    !(p->glass_rise_db >= 3 && p->glass_rise_db <= 80))
		return -EINVAL;
	return 0;
}

static double gcos(double hz)
{
	return 2.0 * cos(2.0 * M_PI * hz / VIGIL_AUDIO_RATE);
}

int vigil_audio_new(const struct vigil_audio_params *p, vigil_audio_cb cb,
		    void *arg, struct vigil_audio **out)
{
	struct vigil_audio *a;
	int ret;

	*out = NULL;
	ret = vigil_audio_params_check(p);
	if (ret || !cb)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->p = *p;
	a->cb = cb;
	a->arg = arg;
	a->next_id = 1;
	a->nring = p->floor_window_ms / 100;
	a->ring = calloc(a->nring, sizeof(*a->ring));
	a->fft = kiss_fftr_alloc(WIN, 0, NULL, NULL);
	if (!a->ring || !a->fft) {
		vigil_audio_free(a);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < HI_NB; i++)
		a->hi_cos[i] = gcos(2600.0 + 50.0 * i);
	for (unsigned int i = 0; i < LO_NB; i++)
		a->lo_cos[i] = gcos(470.0 + 25.0 * i);
	for (unsigned int i = 0; i < WIN; i++)
		a->hann[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / WIN));
	vigil_audio_reset(a);
	*out = a;
	return 0;
}

void vigil_audio_free(struct vigil_audio *a)
{
	if (!a)
		return;
	kiss_fftr_free(a->fft);
	free(a->ring);
	free(a);
}

void vigil_audio_reset(struct vigil_audio *a)
{
	a->fill = 0;
	a->started = false;
	memset(a->win, 0, sizeof(a->win));
	memset(a->ch, 0, sizeof(a->ch));
	a->hops = 0;
	a->g_armed = false;
	a->g_quiet_until = 0;
	a->g_lowhop = 1000;
	a->blk_energy = 0;
	a->blk_hops = a->blk_tonal = 0;
	a->ring_pos = a->ring_n = 0;
	memset(a->hist, 0, sizeof(a->hist));
	a->loud = false;
}

static void report(struct vigil_audio *a, struct vigil_audio_detection *d,
		   enum vigil_event_type type, uint64_t now)
{
	d->type = type;
	d->ts_ns = now;
	a->cb(d, a->arg);
}

static double db(double x)
{
	return x > 1e-13 ? 10.0 * log10(x) : -130.0;
}

/* Goertzel power at one frequency, normalised: 1 = all of a pure tone. */
static double goertzel(const float *x, double coeff, double energy)
{
	double s1 = 0, s2 = 0;

	for (unsigned int i = 0; i < HOP; i++) {
		const double s0 = x[i] + coeff * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return 2.0 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) /
	       ((double)HOP * energy);
}

/* ---------------------------------------------------------------- */
/* alarm patterns */

struct pattern {
	enum vigil_audio_kind kind;
	unsigned int pulses;
	uint64_t on_ns, off_ns, pause_ns;
};

static const struct pattern t3 = { VIGIL_AUDIO_SMOKE, 3, MS(500), MS(500), MS(1500) };
static const struct pattern t4 = { VIGIL_AUDIO_CO, 4, MS(100), MS(100), MS(5000) };

static bool fits(uint64_t d, uint64_t nominal, double *err)
{
	const uint64_t tol = nominal / 10 + MS(20);
	const int64_t e = (int64_t)(d - nominal);

	*err += fabs((double)e) / 1e6;
	return d + tol >= nominal && d <= nominal + tol;
}

static uint64_t cycle_ns(const struct pattern *pt)
{
	return pt->pulses * pt->on_ns + (pt->pulses - 1) * pt->off_ns + pt->pause_ns;
}

static void alarm_end(struct vigil_audio *a, struct alarm *al, uint64_t now)
{
	if (!al->active)
		return;
	al->d.end_ns = al->last_end_ns;
	report(a, &al->d, VIGIL_EVENT_END, now);
	al->active = false;
	al->confirmed = false;
	al->cycles = 0;
}

/*
 * The channel has been off for @off_ns since @pause_start: does the run
 * history end with a full cycle of @pt?
 */
static void match(struct vigil_audio *a, struct channel *c, struct alarm *al,
		  const struct pattern *pt, uint64_t pause_start, uint64_t off_ns,
		  uint64_t now, bool lo)
{
	const unsigned int need = 2 * pt->pulses - 1;
	const uint64_t pause_tol = pt->pause_ns / 10 + MS(20);
	struct vigil_audio_detection *d = &al->d;
	double err = 0, frac = 0, freq = 0, harm = 0, ts, tf;
	double on_db = 130, off_db = -130;
	uint64_t first;

	if (al->checked || off_ns + pause_tol < pt->pause_ns)
		return;
	al->checked = true;
	if (c->nseg < need)
		return;
	/* seg[0] is the last pulse, seg[need - 1] the first */
	for (unsigned int i = 0; i < need; i++) {
		const struct seg *s = &c->seg[i];

		if (s->on != !(i & 1))
			return;
		if (!fits(s->dur_ns, s->on ? pt->on_ns : pt->off_ns, &err))
			return;
		if (s->on) {
			frac += s->frac;
			freq += s->freq;
			harm += s->harm;
			on_db = fmin(on_db, s->tone_db);
		} else {
			off_db = fmax(off_db, s->tone_db);
		}
	}
	/*
	 * The sounder is off between pulses: the gaps are quiet at the tone
	 * (another note there is music, not an alarm); a 520 Hz sounder is a
	 * square wave, its odd harmonics are there.
	 */
	if (on_db - off_db < OFF_CONTRAST_DB)
		return;
	harm /= pt->pulses;
	if (lo && db(harm) < MIN_HARMONICS_DB)
		return;
	first = c->seg[need - 1].start_ns;
	/* consecutive: this cycle starts where the last one's pause ends */
	if (al->cycles && first >= al->last_cycle_ns + pt->pause_ns - pause_tol &&
	    first <= al->last_cycle_ns + pt->pause_ns + pause_tol)
		al->cycles++;
	else
		al->cycles = 1;
	if (al->cycles == 1 && !al->active)
		al->start_ns = first;
	al->last_cycle_ns = pause_start;
	al->last_end_ns = pause_start;
	frac /= pt->pulses;
	freq /= pt->pulses;
	err /= need;
	/* timing within tolerance and a clean tone make a sure alert */
	ts = 1.0 - err / ((double)pt->on_ns / 1e7 + 20.0);
	tf = frac / 0.6 > 1 ? 1 : frac / 0.6;
	d->kind = pt->kind;
	d->cycles = al->cycles;
	d->freq_hz = freq;
	d->tone_frac = frac;
	d->harmonics_db = lo ? db(harm) : 0;
	d->timing_err_ms = err;
	d->confidence = 0.5 + 0.2 * (ts < 0 ? 0 : ts) + 0.2 * tf;
	d->confirmed = al->cycles >= 2;
	if (d->confirmed)
		d->confidence = 1.0 - (1.0 - d->confidence) / 2;
	d->level_dbfs = -130;
	for (unsigned int b = 0; b < VIGIL_AUDIO_BANDS; b++)
		d->level_dbfs = fmax(d->level_dbfs, a->band_db[b]);
	memcpy(d->bands_db, a->band_db, sizeof(d->bands_db));
	d->start_ns = al->start_ns;
	d->end_ns = 0;
	if (!al->active) {
		al->active = true;
		al->confirmed = false;
		d->id = a->next_id++;
		report(a, d, VIGIL_EVENT_START, now);
	} else if (d->confirmed && !al->confirmed) {
		report(a, d, VIGIL_EVENT_UPDATE, now);
	}
	al->confirmed = d->confirmed;
}

static void push_seg(struct channel *c, bool on, uint64_t start, uint64_t end)
{
	memmove(&c->seg[1], &c->seg[0], (NSEG - 1) * sizeof(c->seg[0]));
	c->seg[0] = (struct seg){
		.on = on,
		.start_ns = start,
		.dur_ns = end - start,
		.frac = on && c->frac_n ? c->frac_sum / c->frac_n : 0,
		.freq = on && c->frac_n ? c->freq_sum / c->frac_n : 0,
		.harm = on && c->frac_n ? c->harm_sum / c->frac_n : 0,
		.tone_db = c->tone_n ? c->tone_sum / c->tone_n : -130,
	};
	if (c->nseg < NSEG)
		c->nseg++;
}

/*
 * One hop's tone share @frac at @freq (level @tone_db dBFS) on channel @c,
 * hop time @t.
 */
static void channel_hop(struct vigil_audio *a, struct channel *c, double frac,
			double freq, double harm, double tone_db, uint64_t t,
			bool lo)
{
	const bool loud_enough = tone_db >= a->p.tone_min_dbfs;
	const bool want = c->on ? (frac >= OFF_FRAC && loud_enough) :
				  (frac >= ON_FRAC && loud_enough);

	if (!c->run_start_ns && !c->nseg && !c->on)
		c->run_start_ns = t;
	if (want != c->on) {
		if (!c->cand_n)
			c->cand_ns = t;
		if (++c->cand_n >= DEBOUNCE) {
			/* the run ends where the new state began */
			push_seg(c, c->on, c->run_start_ns, c->cand_ns);
			c->on = want;
			c->run_start_ns = c->cand_ns;
			c->cand_n = 0;
			c->frac_sum = c->freq_sum = c->harm_sum = 0;
			c->frac_n = 0;
			c->tone_sum = 0;
			c->tone_n = 0;
			c->t3.checked = c->t4.checked = false;
		}
	} else {
		c->cand_n = 0;
	}
	if (c->on && want) {
		c->frac_sum += frac;
		c->freq_sum += freq;
		c->harm_sum += harm;
		c->frac_n++;
	}
	c->tone_sum += tone_db;
	c->tone_n++;
	if (!c->on) {
		const uint64_t off = t + HOP_NS - c->run_start_ns;

		if (a->p.smoke)
			match(a, c, &c->t3, &t3, c->run_start_ns, off, t, lo);
		if (a->p.co)
			match(a, c, &c->t4, &t4, c->run_start_ns, off, t, lo);
	}
	/* the pattern stopped: end the alert after 2.5 cycles */
	if (c->t3.active && t > c->t3.last_cycle_ns + cycle_ns(&t3) * 5 / 2)
		alarm_end(a, &c->t3, t);
	if (c->t4.active && t > c->t4.last_cycle_ns + cycle_ns(&t4) * 5 / 2)
		alarm_end(a, &c->t4, t);
}

static double tones(struct vigil_audio *a, const float *x, double energy,
		    uint64_t t)
{
	const double level = db(energy / HOP) - db(32768.0 * 32768.0);
	double best = 0, lbest = 0, harm = 0;
	unsigned int bi = 0, li = 0;

	for (unsigned int i = 0; i < HI_NB; i++) {
		const double g = goertzel(x, a->hi_cos[i], energy);

		if (g > best) {
			best = g;
			bi = i;
		}
	}
	for (unsigned int i = 0; i < LO_NB; i++) {
		const double g = goertzel(x, a->lo_cos[i], energy);

		if (g > lbest) {
			lbest = g;
			li = i;
		}
	}
	if (lbest > 0.05) {
		const double f = 470.0 + 25.0 * li;
		const double h = goertzel(x, gcos(3 * f), energy) +
				 goertzel(x, gcos(5 * f), energy);

		harm = h / lbest;
		lbest += h;
	}
	/* Goertzel leaks: neighbouring filters may sum over 1 */
	if (best > 1)
		best = 1;
	if (lbest > 1)
		lbest = 1;
	channel_hop(a, &a->ch[CH_HI], best, 2600.0 + 50.0 * bi, 0,
		    level + db(best), t, false);
	channel_hop(a, &a->ch[CH_LO], lbest, 470.0 + 25.0 * li, harm,
		    level + db(lbest), t, true);
	return best > lbest ? best : lbest;
}

/* ---------------------------------------------------------------- */
/* spectrum: band energies, glass */

static double flatness(const kiss_fft_cpx *X, unsigned int lo, unsigned int hi)
{
	double lsum = 0, sum = 0;

	for (unsigned int k = lo; k < hi; k++) {
		const double p = (double)X[k].r * X[k].r + (double)X[k].i * X[k].i + 1e-9;

		lsum += log(p);
		sum += p;
	}
	return exp(lsum / (hi - lo)) / (sum / (hi - lo));
}

static double hi_energy_db(const struct vigil_audio *a)
{
	double e = 0;

	for (unsigned int b = 2; b < VIGIL_AUDIO_BANDS; b++)
		e += pow(10.0, a->band_db[b] / 10.0);
	return db(e);
}

static double hi_floor_db(const struct vigil_audio *a)
{
	double e = 0;

	for (unsigned int b = 2; b < VIGIL_AUDIO_BANDS; b++)
		e += pow(10.0, a->band_floor[b] / 10.0);
	return db(e);
}

static void glass(struct vigil_audio *a, uint64_t t)
{
	const double rise = a->p.glass_rise_db;
	unsigned int hit = 0;

	for (unsigned int b = 2; b < VIGIL_AUDIO_BANDS; b++)
		hit += a->band_db[b] - a->band_floor[b] >= rise;
	if (a->band_db[0] - a->band_floor[0] >= rise)
		a->g_lowhop = 0;
	else if (a->g_lowhop < 1000)
		a->g_lowhop++;

	if (!a->g_armed) {
		/* impact, then (within 30 ms) the burst across >= 3 bands */
		if (t < a->g_quiet_until || a->g_lowhop > 3 || hit < 3 ||
		    a->hops < 50)
			return;
		a->g_armed = true;
		a->g_n = 0;
		a->g_start_ns = t;
		a->g_peak = hi_energy_db(a);
		a->g_floor = hi_floor_db(a);
		a->g_rise = a->g_peak - a->g_floor;
		a->g_hit = hit;
		a->g_flat = flatness(a->fft_out, 2000 / 50, NBINS - 1);
		a->g_at100 = a->g_tail = -130;
		memcpy(a->g_bands, a->band_db, sizeof(a->g_bands));
		return;
	}
	a->g_n++;
	{
		const double e = hi_energy_db(a);

		if (e > a->g_peak) {
			a->g_peak = e;
			a->g_rise = e - a->g_floor;
			memcpy(a->g_bands, a->band_db, sizeof(a->g_bands));
			if (hit > a->g_hit)
				a->g_hit = hit;
		}
		if (a->g_n <= 3) {
			const double f = flatness(a->fft_out, 2000 / 50, NBINS - 1);

			if (f > a->g_flat)
				a->g_flat = f;
		}
		if (a->g_n == 5) {
			a->g_hit50 = 0;
			for (unsigned int b = 2; b < VIGIL_AUDIO_BANDS; b++)
				a->g_hit50 += a->band_db[b] - a->band_floor[b] >= 10;
		}
		if (a->g_n == 10)
			a->g_at100 = e;
		if (a->g_n >= GLASS_HOPS - 5 && e > a->g_tail)
			a->g_tail = e;
	}
	if (a->g_n < GLASS_HOPS)
		return;
	a->g_armed = false;
	a->g_quiet_until = t + MS(1000);
	{
		struct vigil_audio_detection d = { .kind = VIGIL_AUDIO_GLASS };
		const double decay = a->g_peak - a->g_tail;
		const bool sustained = a->g_at100 - a->g_floor >= 12;
		const bool decayed = decay >= 12 && a->g_at100 - a->g_tail >= 4;

		/* shards ring across the bands, not one note's partials */
		if (!sustained || !decayed || a->g_flat < 0.25 || a->g_hit50 < 3)
			return;
		d.id = a->next_id++;
		d.start_ns = a->g_start_ns;
		d.end_ns = a->g_start_ns + MS(10) * GLASS_HOPS;
		d.rise_db = a->g_rise;
		d.decay_db = decay;
		d.flatness = a->g_flat;
		d.bands_hit = a->g_hit;
		d.floor_dbfs = a->g_floor;
		d.level_dbfs = a->g_peak;
		memcpy(d.bands_db, a->g_bands, sizeof(d.bands_db));
		/* evidence, not proof: never above 0.9 */
		d.confidence = 0.5 + 0.1 * (a->g_hit - 3) +
			       0.1 * fmin(1, (a->g_rise - rise) / 20) +
			       0.1 * fmin(1, a->g_flat) + 0.1 * fmin(1, (decay - 12) / 20);
		if (d.confidence > 0.9)
			d.confidence = 0.9;
		report(a, &d, VIGIL_EVENT_START, t);
		report(a, &d, VIGIL_EVENT_END, t);
	}
}

static void spectrum(struct vigil_audio *a, uint64_t t)
{
	double e[VIGIL_AUDIO_BANDS] = { 0 };
	/* full scale sine through the Hann window: (32768 * WIN / 4)^2 */
	const double ref = pow(32768.0 * WIN / 4.0, 2);

	for (unsigned int i = 0; i < WIN; i++)
		a->fft_in[i] = a->win[i] * a->hann[i];
	kiss_fftr(a->fft, a->fft_in, a->fft_out);
	for (unsigned int b = 0; b < VIGIL_AUDIO_BANDS; b++) {
		for (unsigned int k = band_edges[b] / 50; k < band_edges[b + 1] / 50 &&
		     k < NBINS; k++)
			e[b] += (double)a->fft_out[k].r * a->fft_out[k].r +
				(double)a->fft_out[k].i * a->fft_out[k].i;
		a->band_db[b] = db(e[b] / ref);
		if (!a->hops)
			a->band_floor[b] = a->band_db[b];
		else if (a->band_db[b] < a->band_floor[b])
			a->band_floor[b] += 0.3 * (a->band_db[b] - a->band_floor[b]);
		else
			a->band_floor[b] += 0.01 * (a->band_db[b] - a->band_floor[b]);
	}
	if (a->p.glass)
		glass(a, t);
}

/* ---------------------------------------------------------------- */
/* loud noise */

static unsigned int hist_bin(double dbfs)
{
	const double b = (dbfs + 130.0) * 2.0;

	return b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : (unsigned int)b;
}

static double percentile(const struct vigil_audio *a)
{
	const unsigned int want = (unsigned int)ceil(a->p.floor_percentile / 100.0 *
						     a->ring_n);
	unsigned int n = 0;

	for (unsigned int i = 0; i < HIST_BINS; i++) {
		n += a->hist[i];
		if (n >= want && n)
			return i / 2.0 - 130.0 + 0.25;
	}
	return 0;
}

static void loud_block(struct vigil_audio *a, uint64_t t)
{
	const double level = db(a->blk_energy / (BLOCK_HOPS * HOP)) -
			     db(32768.0 * 32768.0);
	/* a block with an alarm tone in a quarter of it (an onset) */
	const bool tonal = a->blk_tonal * 4 >= a->blk_hops;
	struct vigil_audio_detection *d = &a->loud_d;
	double floor;

	/* the floor before this block, from at least 1 s of history */
	if (a->ring_n >= 10 && a->p.loud) {
		floor = percentile(a);
		if (!tonal && level >= floor + a->p.loud_margin_db &&
		    level >= a->p.loud_min_dbfs) {
			a->loud_last_ns = t + HOP_NS;
			if (!a->loud) {
				a->loud = true;
				memset(d, 0, sizeof(*d));
				d->kind = VIGIL_AUDIO_LOUD;
				d->id = a->next_id++;
				d->start_ns = t + HOP_NS - MS(100);
				d->floor_dbfs = floor;
				d->level_dbfs = level;
				memcpy(d->bands_db, a->band_db, sizeof(d->bands_db));
				d->confidence = fmin(1, 0.6 + 0.4 * (level - floor -
								  a->p.loud_margin_db) / 20);
				report(a, d, VIGIL_EVENT_START, t);
			} else if (level > d->level_dbfs) {
				d->level_dbfs = level;
				memcpy(d->bands_db, a->band_db, sizeof(d->bands_db));
			}
		} else if (a->loud && t >= a->loud_last_ns + MS(1000)) {
			a->loud = false;
			d->end_ns = a->loud_last_ns;
			report(a, d, VIGIL_EVENT_END, t);
		}
	}
	/* loud blocks go into the floor's history too: it is a percentile */
	if (a->ring_n == a->nring)
		a->hist[a->ring[a->ring_pos]]--;
	else
		a->ring_n++;
	a->ring[a->ring_pos] = (uint16_t)hist_bin(level);
	a->hist[a->ring[a->ring_pos]]++;
	a->ring_pos = (a->ring_pos + 1) % a->nring;
}

/* ---------------------------------------------------------------- */

static void analyse(struct vigil_audio *a)
{
	const uint64_t t = a->hop_ts;
	double energy = 0, tonal;

	memmove(a->win, a->win + HOP, (WIN - HOP) * sizeof(a->win[0]));
	memcpy(a->win + WIN - HOP, a->hop, sizeof(a->hop));
	for (unsigned int i = 0; i < HOP; i++)
		energy += (double)a->hop[i] * a->hop[i];
	spectrum(a, t);
	tonal = energy > 0 ? tones(a, a->hop, energy, t) : 0;
	if (energy <= 0) {
		channel_hop(a, &a->ch[CH_HI], 0, 0, 0, -130, t, false);
		channel_hop(a, &a->ch[CH_LO], 0, 0, 0, -130, t, true);
	}
	a->blk_energy += energy;
	a->blk_tonal += tonal >= ON_FRAC;
	if (++a->blk_hops == BLOCK_HOPS) {
		loud_block(a, t);
		a->blk_energy = 0;
		a->blk_hops = a->blk_tonal = 0;
	}
	a->hops++;
}

int vigil_audio_process(struct vigil_audio *a, const int16_t *pcm, size_t n,
			uint64_t ts_ns)
{
	if (!a || (!pcm && n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!a->fill)
			a->hop_ts = ts_ns + (uint64_t)i * 1000000000ULL / VIGIL_AUDIO_RATE;
		a->hop[a->fill++] = pcm[i];
		if (a->fill == HOP) {
			a->fill = 0;
			analyse(a);
		}
	}
	return 0;
}

void vigil_audio_flush(struct vigil_audio *a, uint64_t now_ns)
{
	for (unsigned int c = 0; c < NCH; c++) {
		alarm_end(a, &a->ch[c].t3, now_ns);
		alarm_end(a, &a->ch[c].t4, now_ns);
	}
	if (a->loud) {
		a->loud = false;
		a->loud_d.end_ns = a->loud_last_ns;
		report(a, &a->loud_d, VIGIL_EVENT_END, now_ns);
	}
}

/* ---------------------------------------------------------------- */
/* JSON */

static const char *const labels[] = {
	[VIGIL_AUDIO_SMOKE] = "smoke alarm (T3)",
	[VIGIL_AUDIO_CO] = "CO alarm (T4)",
	[VIGIL_AUDIO_GLASS] = "possible glass break",
	[VIGIL_AUDIO_LOUD] = "loud noise",
};

static const char *const types[] = {
	[VIGIL_EVENT_START] = "start",
	[VIGIL_EVENT_UPDATE] = "update",
	[VIGIL_EVENT_END] = "end",
};

int vigil_audio_json(const struct vigil_audio_detection *d, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };

	if (!len)
		return -ENOSPC;
	if ((unsigned int)d->kind >= VIGIL_AUDIO_NKINDS ||
	    (unsigned int)d->type > VIGIL_EVENT_END)
		return -EINVAL;
	put(&o, "{\"event\":\"%s\",\"kind\":\"%s\",\"id\":%u,\"ts_ns\":%llu,"
		"\"start_ns\":%llu", types[d->type], kind_names[d->kind], d->id,
	    (unsigned long long)d->ts_ns, (unsigned long long)d->start_ns);
	if (d->type == VIGIL_EVENT_END)
		put(&o, ",\"end_ns\":%llu,\"duration_ms\":%.1f",
		    (unsigned long long)d->end_ns,
		    (double)(int64_t)(d->end_ns - d->start_ns) / 1e6);
	put(&o, ",\"label\":\"%s\",\"confidence\":%.3f", labels[d->kind],
	    d->confidence);
	if (d->kind == VIGIL_AUDIO_SMOKE || d->kind == VIGIL_AUDIO_CO)
		put(&o, ",\"confirmed\":%s", d->confirmed ? "true" : "false");
	put(&o, ",\"evidence\":{");
	switch (d->kind) {
	case VIGIL_AUDIO_SMOKE:
	case VIGIL_AUDIO_CO:
		put(&o, "\"cycles\":%u,\"freq_hz\":%.0f,\"tone_frac\":%.3f,"
			"\"timing_err_ms\":%.1f,", d->cycles, d->freq_hz,
		    d->tone_frac, d->timing_err_ms);
		if (d->freq_hz < 1000)
			put(&o, "\"harmonics_db\":%.1f,", d->harmonics_db);
		break;
	case VIGIL_AUDIO_GLASS:
		put(&o, "\"rise_db\":%.1f,\"decay_db\":%.1f,\"flatness\":%.3f,"
			"\"bands_hit\":%u,\"level_dbfs\":%.1f,\"floor_dbfs\":%.1f,",
		    d->rise_db, d->decay_db, d->flatness, d->bands_hit,
		    d->level_dbfs, d->floor_dbfs);
		break;
	case VIGIL_AUDIO_LOUD:
	default:
		put(&o, "\"level_dbfs\":%.1f,\"floor_dbfs\":%.1f,",
		    d->level_dbfs, d->floor_dbfs);
		break;
	}
	put(&o, "\"bands_db\":[");
	for (unsigned int b = 0; b < VIGIL_AUDIO_BANDS; b++)
		put(&o, "%s%.1f", b ? "," : "", d->bands_db[b]);
	put(&o, "]}}\n");
	return o.full ? -ENOSPC : (int)o.pos;
}
