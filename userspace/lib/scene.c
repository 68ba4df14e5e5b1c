// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Synthetic labelled scenes: a deterministic GREY frame generator and the
 * PIR edges it implies, for the accuracy suite and vigil-scene.
 */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "libvigil.h"
#include "vigil-internal.h"

static const char *const kind_names[VIGIL_SCENE_NKINDS] = {
	[VIGIL_SCENE_PERSON] = "person",
	[VIGIL_SCENE_PET] = "pet",
	[VIGIL_SCENE_SWAY] = "sway",
	[VIGIL_SCENE_LIGHT] = "light",
	[VIGIL_SCENE_IR] = "ir",
	[VIGIL_SCENE_HEADLIGHTS] = "headlights",
	[VIGIL_SCENE_RAIN] = "rain",
	[VIGIL_SCENE_SHADOW] = "shadow",
	[VIGIL_SCENE_EXPOSURE] = "exposure",
	[VIGIL_SCENE_COVER] = "cover",
};

int vigil_scene_kind_from_name(const char *name, enum vigil_scene_kind *k)
{
	for (int i = 0; i < VIGIL_SCENE_NKINDS; i++) {
		if (!strcmp(name, kind_names[i])) {
			*k = (enum vigil_scene_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *vigil_scene_kind_name(enum vigil_scene_kind k)
{
	return (unsigned int)k < VIGIL_SCENE_NKINDS ? kind_names[k] : "?";
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 32);
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Static background: horizontal ramp plus blocky texture. */
static int background(const struct vigil_scene *s, unsigned int x,
		      unsigned int y)
{
	const uint64_t h = splitmix(s->seed ^ ((uint64_t)(x / 6) << 32) ^ (y / 6));

	return 70 + (int)(x * 90 / s->width) + (int)(h & 31) - 16 +
	       (int)(y * 20 / s->height);
}

static bool item_on(const struct vigil_scene_item *it, unsigned int n)
{
	return n >= it->start && n < it->end;
}

/* Position along the waypoints at frame @n (held before the first and
 * after the last; two waypoints at one place make a pause). */
static void path_at(const struct vigil_scene_item *it, unsigned int n, int *x,
		    int *y)
{
	const struct vigil_scene_waypoint *w = it->waypoints;
	unsigned int k = 0;

	while (k + 1 < it->nwaypoints && n >= w[k + 1].frame)
		k++;
	if (k + 1 >= it->nwaypoints || n <= w[k].frame) {
		*x = w[k].x;
		*y = w[k].y;
		return;
	}
	{
		const double t = (double)(n - w[k].frame) / (w[k + 1].frame - w[k].frame);

		*x = (int)lround(w[k].x + t * (w[k + 1].x - w[k].x));
		*y = (int)lround(w[k].y + t * (w[k + 1].y - w[k].y));
	}
}

/* Position of a mover at frame @n. */
static int mover_x(const struct vigil_scene_item *it, unsigned int n)
{
	const unsigned int len = it->end - it->start;
	const double t = len > 1 ? (double)(n - it->start) / (len - 1) : 0;
	int x, y;

	if (it->nwaypoints) {
		path_at(it, n, &x, &y);
		return x;
	}
	return (int)lround(it->from_x + t * (it->to_x - it->from_x));
}

static int mover_y(const struct vigil_scene_item *it, unsigned int n)
{
	int x, y;

	if (!it->nwaypoints)
		return it->y;
	path_at(it, n, &x, &y);
	return y;
}

/* Cloud shadow: a soft-edged band of gain @amount drifting along x. */
static void draw_shadow(const struct vigil_scene *s, uint8_t *buf,
			const struct vigil_scene_item *it, unsigned int n)
{
	const int x0 = mover_x(it, n);
	const int edge = (int)it->w / 4 + 1;

	for (int x = x0 < 0 ? 0 : x0; x < x0 + (int)it->w && x < (int)s->width; x++) {
		const int in = x - x0 < edge ? x - x0 : x0 + (int)it->w - 1 - x;
		const double k = in < edge ? (double)in / edge : 1.0;
		const int g256 = (int)lround(256 * (1.0 - k * (1.0 - it->amount)));

		for (unsigned int y = 0; y < s->height; y++) {
			uint8_t *p = buf + (size_t)y * s->width + x;

			*p = clamp8((*p * g256) >> 8);
		}
	}
}

static void draw_ellipse(const struct vigil_scene *s, uint8_t *buf, int x0,
			 int y0, unsigned int w, unsigned int h, int contrast)
{
	const double rx = w / 2.0, ry = h / 2.0;
	const int ya = y0 < 0 ? 0 : y0, yb = y0 + (int)h < (int)s->height ? y0 + (int)h : (int)s->height;
	const int xa = x0 < 0 ? 0 : x0, xb = x0 + (int)w < (int)s->width ? x0 + (int)w : (int)s->width;

	for (int y = ya; y < yb; y++) {
		for (int x = xa; x < xb; x++) {
			const double dx = (x - x0 + 0.5 - rx) / rx;
			const double dy = (y - y0 + 0.5 - ry) / ry;
			uint8_t *p;

			if (x < 0 || x >= (int)s->width || dx * dx + dy * dy > 1)
				continue;
			p = buf + (size_t)y * s->width + x;
			*p = clamp8(*p + contrast);
		}
	}
}

static void draw_sway(const struct vigil_scene *s, uint8_t *buf,
		      const struct vigil_scene_item *it, unsigned int n)
{
	const int shift = (int)lround(it->amount * sin(2 * M_PI * n / 14.0));
	const int ya = it->y < 0 ? 0 : it->y;
	const int xa = it->from_x < 0 ? 0 : it->from_x;

	for (int y = ya; y < it->y + (int)it->h && y < (int)s->height; y++) {
		for (int x = xa; x < it->from_x + (int)it->w && x < (int)s->width; x++) {
			/* leaves: a texture moving with the wind, shadow below */
			const int tx = x - shift;
			const uint64_t hv = splitmix(s->seed * 31 + (uint64_t)((tx + 4096) / 5) * 977 +
						     (uint64_t)(y / 5));

			if (x < 0)
				continue;
			if (hv & 1)
				buf[(size_t)y * s->width + x] = clamp8(buf[(size_t)y * s->width + x] +
								       it->contrast);
		}
	}
}

static void draw_headlights(const struct vigil_scene *s, uint8_t *buf,
			    const struct vigil_scene_item *it, unsigned int n)
{
	const int cx = mover_x(it, n);
	const int half = (int)it->w / 2;

	const int xa = cx - half < 0 ? 0 : cx - half;
	const int xb = cx + half < (int)s->width ? cx + half : (int)s->width;

	if (!half)
		return;
	for (unsigned int y = 0; y < s->height; y++) {
		for (int x = xa; x < xb; x++) {
			/* 64-bit: contrast and width may both be 100000 */
			const int add = (int)((int64_t)it->contrast *
					      (half - abs(x - cx)) / half);

			buf[(size_t)y * s->width + x] = clamp8(buf[(size_t)y * s->width + x] + add);
		}
	}
}

static void draw_rain(const struct vigil_scene *s, uint8_t *buf,
		      const struct vigil_scene_item *it, unsigned int n)
{
	struct rng r = { splitmix(s->seed ^ 0x5241494eULL ^ ((uint64_t)n << 20)) | 1 };
	const unsigned int drops = (unsigned int)(it->amount * s->width * s->height / 1000.0);

	for (unsigned int i = 0; i < drops; i++) {
		const unsigned int x = rnd(&r) % s->width;
		const unsigned int y0 = rnd(&r) % s->height;
		const unsigned int len = 4 + rnd(&r) % 8;

		for (unsigned int y = y0; y < y0 + len && y < s->height; y++)
			buf[(size_t)y * s->width + x] = clamp8(buf[(size_t)y * s->width + x] +
							       it->contrast);
	}
}

/* Global gain of light/IR changes at frame @n (ramped over two frames). */
static double gain_at(const struct vigil_scene_item *it, unsigned int n,
		      double full)
{
	if (n < it->start || n >= it->end + 2)
		return 1.0;
	if (n == it->start)
		return 1.0 + (full - 1.0) / 2;
	if (n >= it->end)
		return 1.0 + (full - 1.0) / 2;
	return full;
}

int vigil_scene_render(const struct vigil_scene *s, unsigned int n,
		       uint8_t *buf)
{
	double gain = 1.0, offset = 0, noise = s->noise;
	struct rng r;

	if (!s->width || !s->height || n >= s->frames)
		return -EINVAL;
	for (unsigned int y = 0; y < s->height; y++)
		for (unsigned int x = 0; x < s->width; x++)
			buf[(size_t)y * s->width + x] = clamp8(background(s, x, y));

	for (unsigned int i = 0; i < s->nitems; i++) {
		const struct vigil_scene_item *it = &s->items[i];

		switch (it->kind) {
		case VIGIL_SCENE_PERSON:
		case VIGIL_SCENE_PET:
			if (item_on(it, n))
				draw_ellipse(s, buf, mover_x(it, n), mover_y(it, n),
					     it->w, it->h, it->contrast);
			break;
		case VIGIL_SCENE_SHADOW:
			if (item_on(it, n))
				draw_shadow(s, buf, it, n);
			break;
		case VIGIL_SCENE_EXPOSURE:
			/* a slow ramp, then held */
			if (n >= it->start) {
				const double t = n >= it->end || it->end <= it->start + 1 ? 1.0 :
					(double)(n - it->start) / (it->end - it->start);

				gain *= 1.0 + t * (it->amount - 1.0);
			}
			break;
		case VIGIL_SCENE_COVER:
			if (item_on(it, n)) {
				/* a hand or tape over the lens: dark and nearly flat */
				const size_t total = (size_t)s->width * s->height;

				for (size_t k = 0; k < total; k++)
					buf[k] = (uint8_t)(18 + buf[k] / 32);
			}
			break;
		case VIGIL_SCENE_SWAY:
			if (item_on(it, n))
				draw_sway(s, buf, it, n);
			break;
		case VIGIL_SCENE_HEADLIGHTS:
			if (item_on(it, n))
				draw_headlights(s, buf, it, n);
			break;
		case VIGIL_SCENE_RAIN:
			if (item_on(it, n))
				draw_rain(s, buf, it, n);
			break;
		case VIGIL_SCENE_LIGHT: {
			const double g = gain_at(it, n, it->amount);

			gain *= g;
			offset += (g - 1.0) * 20;
			break;
		}
		case VIGIL_SCENE_IR: {
			/* night mode: flatter, brighter, noisier image */
			const double g = gain_at(it, n, it->amount);

			gain *= g;
			offset += (1.0 - g) * 160;
			if (g != 1.0)
				noise *= 1.5;
			break;
		}
		case VIGIL_SCENE_NKINDS:
			break;
		}
	}

	r.s = splitmix(s->seed ^ ((uint64_t)n * 0x100000001b3ULL)) | 1;
	{
		/* sum of 4 uniform bytes: mean 510, sigma 147.8 */
		/* stacked light changes multiply: bound the gain (a gain of
		 * 64 already saturates every pixel) so 8.8 fixed point fits */
		const double gain_c = gain < 0 ? 0 : gain > 64 ? 64 : gain;
		const double off_c = offset < -4096 ? -4096 : offset > 4096 ? 4096 : offset;
		const int scale = (int)lround(noise / 147.8 * 256);
		const int g256 = (int)lround(gain_c * 256);
		const int off = (int)lround(off_c);
		const size_t total = (size_t)s->width * s->height;

		for (size_t i = 0; i < total; i++) {
			const uint32_t v = rnd(&r);
			const int sum = (int)(v & 255) + (int)((v >> 8) & 255) +
					(int)((v >> 16) & 255) + (int)(v >> 24);
			const int px = ((buf[i] * g256) >> 8) + off +
				       (((sum - 510) * scale) >> 8);

			buf[i] = clamp8(px);
		}
	}
	return 0;
}

static uint64_t frame_ns(const struct vigil_scene *s, unsigned int n)
{
	return (uint64_t)n * 1000000000ULL / s->fps;
}

int vigil_scene_pir(const struct vigil_scene *s, struct vigil_pir_event *ev,
		    unsigned int max)
{
	/* warm intervals as PIR high frames, merged */
	unsigned int count = 0;
	int level = 0;
	uint32_t seq = 0;

	for (unsigned int n = 0; n <= s->frames + s->pir_hold; n++) {
		int high = 0;

		for (unsigned int i = 0; i < s->nitems; i++) {
			const struct vigil_scene_item *it = &s->items[i];

			if (it->warm && n >= it->start + s->pir_latency &&
			    n < it->end + s->pir_hold)
				high = 1;
		}
		if (high == level)
			continue;
		level = high;
		if (count < max) {
			/* the interrupt fires a little after the frame start */
			ev[count] = (struct vigil_pir_event){
				.ts_ns = frame_ns(s, n) + 3000000ULL,
				.level = high,
				.seq = seq,
				.frame_seq = n,
			};
		}
		seq++;
		count++;
	}
	return (int)count;
}

struct scene_ctx {
	struct vigil_scene *s;
	char section[64];
	char msg[160];
	int nerr;
};

static int parse_int(const char *v, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	if (end == v || *end || errno || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

static int set_scene(struct vigil_scene *s, const char *k, const char *v)
{
	long n;
	char *end;

	if (!strcmp(k, "name")) {
		snprintf(s->name, sizeof(s->name), "%s", v);
		return 0;
	}
	if (!strcmp(k, "noise")) {
		s->noise = strtod(v, &end);
		return *end || !(s->noise >= 0 && s->noise <= 100) ? -EINVAL : 0;
	}
	if (!strcmp(k, "seed")) {
		errno = 0;
		s->seed = strtoull(v, &end, 0);
		return *end || errno ? -EINVAL : 0;
	}
	if (parse_int(v, 0, 100000, &n))
		return -EINVAL;
	if (!strcmp(k, "width"))
		s->width = (unsigned int)n;
	else if (!strcmp(k, "height"))
		s->height = (unsigned int)n;
	else if (!strcmp(k, "fps"))
		s->fps = (unsigned int)n;
	else if (!strcmp(k, "frames"))
		s->frames = (unsigned int)n;
	else if (!strcmp(k, "pir_latency"))
		s->pir_latency = (unsigned int)n;
	else if (!strcmp(k, "pir_hold"))
		s->pir_hold = (unsigned int)n;
	else if (!strcmp(k, "max_delay"))
		s->max_delay = (unsigned int)n;
	else
		return -ENOENT;
	return 0;
}

/* "F:X,Y F:X,Y ...": frames increasing, at most VIGIL_SCENE_MAX_WAYPOINTS. */
static int parse_path(struct vigil_scene_item *it, const char *v)
{
	unsigned int n = 0;

	while (*v) {
		struct vigil_scene_waypoint *w;
		long f, x, y;
		char *end;

		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v)
			break;
		if (n == VIGIL_SCENE_MAX_WAYPOINTS)
			return -EINVAL;
		errno = 0;
		f = strtol(v, &end, 10);
		if (end == v || *end != ':' || f < 0 || f > 1000000)
			return -EINVAL;
		v = end + 1;
		x = strtol(v, &end, 10);
		if (end == v || *end != ',' || x < -100000 || x > 100000)
			return -EINVAL;
		v = end + 1;
		y = strtol(v, &end, 10);
		if (end == v || (*end && *end != ' ' && *end != '\t') ||
		    y < -100000 || y > 100000 || errno)
			return -EINVAL;
		v = end;
		w = &it->waypoints[n];
		if (n && (unsigned long)f <= it->waypoints[n - 1].frame)
			return -EINVAL;
		*w = (struct vigil_scene_waypoint){ (unsigned int)f, (int)x, (int)y };
		n++;
	}
	if (!n)
		return -EINVAL;
	it->nwaypoints = n;
	return 0;
}

static int set_item(struct vigil_scene_item *it, const char *k, const char *v)
{
	long n;
	char *end;

	if (!strcmp(k, "kind"))
		return vigil_scene_kind_from_name(v, &it->kind);
	if (!strcmp(k, "warm") || !strcmp(k, "alarm")) {
		bool b;

		if (!strcmp(v, "yes") || !strcmp(v, "1"))
			b = true;
		else if (!strcmp(v, "no") || !strcmp(v, "0"))
			b = false;
		else
			return -EINVAL;
		*(!strcmp(k, "warm") ? &it->warm : &it->alarm) = b;
		return 0;
	}
	if (!strcmp(k, "amount")) {
		it->amount = strtod(v, &end);
		return *end || !(it->amount >= 0 && it->amount <= 100) ? -EINVAL : 0;
	}
	if (!strcmp(k, "path"))
		return parse_path(it, v);
	if (parse_int(v, -100000, 100000, &n))
		return -EINVAL;
	if (!strcmp(k, "start"))
		it->start = (unsigned int)(n < 0 ? 0 : n);
	else if (!strcmp(k, "end"))
		it->end = (unsigned int)(n < 0 ? 0 : n);
	else if (!strcmp(k, "from_x"))
		it->from_x = (int)n;
	else if (!strcmp(k, "to_x"))
		it->to_x = (int)n;
	else if (!strcmp(k, "y"))
		it->y = (int)n;
	else if (!strcmp(k, "w"))
		it->w = (unsigned int)(n < 0 ? 0 : n);
	else if (!strcmp(k, "h"))
		it->h = (unsigned int)(n < 0 ? 0 : n);
	else if (!strcmp(k, "contrast"))
		it->contrast = (int)n;
	else
		return -ENOENT;
	return 0;
}

static int scene_handler(void *user, const char *section, const char *name,
			 const char *value)
{
	struct scene_ctx *ctx = user;
	struct vigil_scene *s = ctx->s;
	int ret;

	if (!strcmp(section, "scene")) {
		ret = set_scene(s, name, value);
	} else if (!strncmp(section, "item", 4)) {
		if (strcmp(section, ctx->section)) {
			if (s->nitems == VIGIL_SCENE_MAX_ITEMS) {
				ret = -E2BIG;
				goto out;
			}
			snprintf(ctx->section, sizeof(ctx->section), "%s", section);
			s->items[s->nitems++] = (struct vigil_scene_item){
				.end = s->frames, .amount = 1.0,
			};
		}
		ret = set_item(&s->items[s->nitems - 1], name, value);
	} else {
		ret = -ENOENT;
	}
out:
	if (ret && !ctx->nerr++)
		snprintf(ctx->msg, sizeof(ctx->msg), "%s key '%s' in [%s]",
			 ret == -ENOENT ? "unknown" : "bad value for", name, section);
	return !ret;
}

int vigil_scene_load(struct vigil_scene *s, const char *path, char *err,
		     size_t errlen)
{
	struct scene_ctx ctx = { .s = s };
	int line;

	memset(s, 0, sizeof(*s));
	s->width = 320;
	s->height = 240;
	s->fps = 15;
	s->frames = 100;
	s->seed = 1;
	s->noise = 2.0;
	s->pir_latency = 1;
	s->pir_hold = 8;
	line = ini_parse(path, scene_handler, &ctx);
	if (line == -1) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -ENOENT;
	}
	if (line) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 ctx.nerr ? ctx.msg : "syntax error");
		return -EINVAL;
	}
	if (!s->width || !s->height || !s->fps || !s->frames ||
	    s->width % 2 || s->height % 2) {
		snprintf(err, errlen, "%s: bad [scene] size, fps or frames", path);
		return -EINVAL;
	}
	if (!s->name[0]) {
		const char *b = strrchr(path, '/');

		snprintf(s->name, sizeof(s->name), "%s", b ? b + 1 : path);
		if (strchr(s->name, '.'))
			*strchr(s->name, '.') = '\0';
	}
	return 0;
}
