// SPDX-License-Identifier: GPL-2.0
/*
 * vigil - the virtual scene: scenario parser, deterministic renderer and
 * the warm-object accessors the PIR uses.
 *
 * Everything is integer math seeded by the scene seed, so the same
 * scenario, seed, format and frame interval give byte-identical frames.
 */

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "vigil-vsensor.h"

#define VIGIL_MAX_SHAKE		30	/* permille of the width */
#define VIGIL_Y_MIN		16
#define VIGIL_Y_MAX		235

static const char vigil_default_scenario[] =
	"# vigil built-in scenario: a garden at dusk\n"
	"loop 20000\n"
	"background level=110 contrast=70\n"
	"noise 2\n"
	"shake 0\n"
	"light at=0 level=100\n"
	"light at=11000 level=35 ramp=2000\n"
	"light at=14000 level=70 ir=1\n"
	"light at=18000 level=100\n"
	"object name=person shape=ellipse w=70 h=300 from=-100,620 \\\n"
	"       to=1100,620 start=2000 duration=8000 luma=170 u=110 v=150 warm=1\n"
	"object name=cat shape=ellipse w=60 h=50 from=900,850 to=100,800 \\\n"
	"       start=9000 duration=6000 luma=90 u=120 v=135 warm=1\n"
	"object name=leaf shape=rect w=30 h=30 from=200,200 to=800,350 \\\n"
	"       duration=3000 motion=bounce luma=200 u=90 v=120\n";

/* ---- integer hashing / PRNG ---- */

static inline u32 vigil_hash(u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

static inline u32 vigil_xorshift32(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* ---- scenario parser ---- */

struct vigil_parse {
	struct device *dev;
	unsigned int line;
	const char *key;
};

static int vigil_perr(struct vigil_parse *p, const char *what, const char *tok)
{
	dev_err(p->dev, "scenario line %u: %s%s%s\n", p->line, what,
		tok ? ": " : "", tok ? tok : "");
	return -EINVAL;
}

static int vigil_parse_s32(struct vigil_parse *p, const char *val, s32 min,
			   s32 max, s32 *out)
{
	s32 v;

	if (kstrtos32(val, 0, &v))
		return vigil_perr(p, "not a number", val);
	if (v < min || v > max) {
		dev_err(p->dev, "scenario line %u: %s=%d out of range %d..%d\n",
			p->line, p->key, v, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int vigil_parse_u32(struct vigil_parse *p, const char *val, u32 min,
			   u32 max, u32 *out)
{
	s32 v;
	int ret;

	ret = vigil_parse_s32(p, val, min, max, &v);
	if (!ret)
		*out = v;
	return ret;
}

static int vigil_parse_u8(struct vigil_parse *p, const char *val, u32 min,
			  u32 max, u8 *out)
{
	u32 v;
	int ret;

	ret = vigil_parse_u32(p, val, min, max, &v);
	if (!ret)
		*out = v;
	return ret;
}

static int vigil_parse_point(struct vigil_parse *p, char *val, s32 *x, s32 *y)
{
	char *ys = strchr(val, ',');

	if (!ys)
		return vigil_perr(p, "expected x,y", val);
	*ys++ = '\0';
	if (vigil_parse_s32(p, val, -2000, 3000, x) ||
	    vigil_parse_s32(p, ys, -2000, 3000, y))
		return -EINVAL;
	return 0;
}

/* Splits "key=value"; returns the value or NULL. */
static char *vigil_kv(struct vigil_parse *p, char *tok)
{
	char *eq = strchr(tok, '=');

	if (!eq) {
		vigil_perr(p, "expected key=value", tok);
		return NULL;
	}
	*eq = '\0';
	p->key = tok;
	return eq + 1;
}

static int vigil_parse_light(struct vigil_parse *p, struct vigil_scene *sc,
			     char *args)
{
	struct vigil_scene_light *l;
	bool have_at = false;
	char *tok, *val;
	u32 ir = 0;

	if (sc->nr_lights >= VIGIL_SCENE_MAX_LIGHTS)
		return vigil_perr(p, "too many light lines (max 16)", NULL);
	l = &sc->lights[sc->nr_lights];
	l->level = 100;

	while ((tok = strsep(&args, " \t")) != NULL) {
		if (!*tok)
			continue;
		val = vigil_kv(p, tok);
		if (!val)
			return -EINVAL;
		if (!strcmp(tok, "at")) {
			if (vigil_parse_u32(p, val, 0, S32_MAX, &l->at_ms))
				return -EINVAL;
			have_at = true;
		} else if (!strcmp(tok, "level")) {
			if (vigil_parse_u32(p, val, 0, 200, &l->level))
				return -EINVAL;
		} else if (!strcmp(tok, "ramp")) {
			if (vigil_parse_u32(p, val, 0, 600000, &l->ramp_ms))
				return -EINVAL;
		} else if (!strcmp(tok, "ir")) {
			if (vigil_parse_u32(p, val, 0, 1, &ir))
				return -EINVAL;
		} else {
			return vigil_perr(p, "unknown light key", tok);
		}
	}
	if (!have_at)
		return vigil_perr(p, "light needs at=<ms>", NULL);
	if (sc->nr_lights && l->at_ms < sc->lights[sc->nr_lights - 1].at_ms)
		return vigil_perr(p, "light lines must be in time order", NULL);
	l->ir = ir;
	sc->nr_lights++;
	return 0;
}

static int vigil_parse_object(struct vigil_parse *p, struct vigil_scene *sc,
			      char *args)
{
	struct vigil_scene_object *o;
	char *tok, *val;
	u32 warm = 0;

	if (sc->nr_objects >= VIGIL_SCENE_MAX_OBJECTS)
		return vigil_perr(p, "too many objects (max 16)", NULL);
	o = &sc->objects[sc->nr_objects];
	snprintf(o->name, sizeof(o->name), "obj%u", sc->nr_objects);
	o->w = 100;
	o->h = 100;
	o->x0 = 500;
	o->y0 = 500;
	o->x1 = 500;
	o->y1 = 500;
	o->duration_ms = 1000;
	o->luma = 200;
	o->u = 128;
	o->v = 128;

	while ((tok = strsep(&args, " \t")) != NULL) {
		if (!*tok)
			continue;
		val = vigil_kv(p, tok);
		if (!val)
			return -EINVAL;
		if (!strcmp(tok, "name")) {
			if (!*val || strlen(val) >= sizeof(o->name))
				return vigil_perr(p, "name must be 1..15 characters", val);
			strscpy(o->name, val, sizeof(o->name));
		} else if (!strcmp(tok, "shape")) {
			if (!strcmp(val, "rect"))
				o->shape = VIGIL_SHAPE_RECT;
			else if (!strcmp(val, "ellipse"))
				o->shape = VIGIL_SHAPE_ELLIPSE;
			else
				return vigil_perr(p, "shape must be rect or ellipse", val);
		} else if (!strcmp(tok, "motion")) {
			if (!strcmp(val, "once"))
				o->motion = VIGIL_MOTION_ONCE;
			else if (!strcmp(val, "loop"))
				o->motion = VIGIL_MOTION_LOOP;
			else if (!strcmp(val, "bounce"))
				o->motion = VIGIL_MOTION_BOUNCE;
			else
				return vigil_perr(p, "motion must be once, loop or bounce", val);
		} else if (!strcmp(tok, "w")) {
			if (vigil_parse_u32(p, val, 1, 2000, &o->w))
				return -EINVAL;
		} else if (!strcmp(tok, "h")) {
			if (vigil_parse_u32(p, val, 1, 2000, &o->h))
				return -EINVAL;
		} else if (!strcmp(tok, "at")) {
			if (vigil_parse_point(p, val, &o->x0, &o->y0))
				return -EINVAL;
			o->x1 = o->x0;
			o->y1 = o->y0;
		} else if (!strcmp(tok, "from")) {
			if (vigil_parse_point(p, val, &o->x0, &o->y0))
				return -EINVAL;
		} else if (!strcmp(tok, "to")) {
			if (vigil_parse_point(p, val, &o->x1, &o->y1))
				return -EINVAL;
		} else if (!strcmp(tok, "start")) {
			if (vigil_parse_u32(p, val, 0, S32_MAX, &o->start_ms))
				return -EINVAL;
		} else if (!strcmp(tok, "duration")) {
			if (vigil_parse_u32(p, val, 1, S32_MAX, &o->duration_ms))
				return -EINVAL;
		} else if (!strcmp(tok, "luma")) {
			if (vigil_parse_u8(p, val, VIGIL_Y_MIN, VIGIL_Y_MAX, &o->luma))
				return -EINVAL;
		} else if (!strcmp(tok, "u")) {
			if (vigil_parse_u8(p, val, 16, 240, &o->u))
				return -EINVAL;
		} else if (!strcmp(tok, "v")) {
			if (vigil_parse_u8(p, val, 16, 240, &o->v))
				return -EINVAL;
		} else if (!strcmp(tok, "warm")) {
			if (vigil_parse_u32(p, val, 0, 1, &warm))
				return -EINVAL;
		} else {
			return vigil_perr(p, "unknown object key", tok);
		}
	}
	o->warm = warm;
	sc->nr_objects++;
	return 0;
}

/* Parses one line; @line is modified. */
static int vigil_parse_line(struct vigil_parse *p, struct vigil_scene *sc,
			    char *line)
{
	char *kw, *args, *tok, *val;
	u32 v;

	kw = strim(line);
	if (!*kw || *kw == '#')
		return 0;
	args = kw;
	kw = strsep(&args, " \t");
	if (!args)
		args = "";
	args = skip_spaces(args);
	p->key = kw;

	if (!strcmp(kw, "loop"))
		return vigil_parse_u32(p, args, 0, S32_MAX, &sc->loop_ms);
	if (!strcmp(kw, "noise"))
		return vigil_parse_u32(p, args, 0, 32, &sc->noise);
	if (!strcmp(kw, "shake"))
		return vigil_parse_u32(p, args, 0, VIGIL_MAX_SHAKE, &sc->shake);
	if (!strcmp(kw, "light"))
		return vigil_parse_light(p, sc, args);
	if (!strcmp(kw, "object"))
		return vigil_parse_object(p, sc, args);
	if (strcmp(kw, "background"))
		return vigil_perr(p, "unknown keyword", kw);

	while ((tok = strsep(&args, " \t")) != NULL) {
		if (!*tok)
			continue;
		val = vigil_kv(p, tok);
		if (!val)
			return -EINVAL;
		if (!strcmp(tok, "level")) {
			if (vigil_parse_u32(p, val, VIGIL_Y_MIN, VIGIL_Y_MAX, &v))
				return -EINVAL;
			sc->bg_level = v;
		} else if (!strcmp(tok, "contrast")) {
			if (vigil_parse_u32(p, val, 0, 128, &v))
				return -EINVAL;
			sc->bg_contrast = v;
		} else {
			return vigil_perr(p, "unknown background key", tok);
		}
	}
	return 0;
}

static struct vigil_scene *vigil_scene_parse(struct device *dev,
					     const char *text, size_t len)
{
	struct vigil_parse p = { .dev = dev };
	struct vigil_scene *sc;
	char *buf, *cur, *line;
	int ret = 0;

	if (len > VIGIL_SCENE_MAX_TEXT) {
		dev_err(dev, "scenario: %zu bytes, at most %u\n", len,
			VIGIL_SCENE_MAX_TEXT);
		return ERR_PTR(-EFBIG);
	}
	if (memchr(text, '\0', len)) {
		dev_err(dev, "scenario: contains a NUL byte\n");
		return ERR_PTR(-EINVAL);
	}

	sc = kzalloc(struct_size(sc, text, len + 1), GFP_KERNEL);
	buf = kmemdup_nul(text, len, GFP_KERNEL);
	if (!sc || !buf) {
		kfree(sc);
		kfree(buf);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&sc->ref);
	sc->bg_level = 110;
	sc->bg_contrast = 60;
	memcpy(sc->text, text, len);
	sc->text_len = len;

	cur = buf;
	while (!ret && (line = strsep(&cur, "\n")) != NULL) {
		unsigned int first = ++p.line;
		size_t n = strlen(line);

		/* a backslash at the end of a line continues it */
		while (n && line[n - 1] == '\\' && cur) {
			line[n - 1] = ' ';
			cur[-1] = ' ';
			strsep(&cur, "\n");
			p.line++;
			n = strlen(line);
		}
		swap(first, p.line);
		ret = vigil_parse_line(&p, sc, line);
		swap(first, p.line);
	}
	kfree(buf);
	if (ret) {
		kfree(sc);
		return ERR_PTR(ret);
	}
	return sc;
}

static void vigil_scene_release(struct kref *ref)
{
	kfree(container_of(ref, struct vigil_scene, ref));
}

void vigil_scene_put(struct vigil_scene *sc)
{
	if (sc)
		kref_put(&sc->ref, vigil_scene_release);
}

/**
 * vigil_scene_get() - reference the current scenario
 * @vs: the virtual sensor
 *
 * Return: the scenario, never NULL after probe; drop it with
 * vigil_scene_put(). Any context.
 */
struct vigil_scene *vigil_scene_get(struct vigil_vsensor *vs)
{
	struct vigil_scene *sc;
	unsigned long flags;

	spin_lock_irqsave(&vs->src_lock, flags);
	sc = vs->scene;
	if (sc)
		kref_get(&sc->ref);
	spin_unlock_irqrestore(&vs->src_lock, flags);
	return sc;
}

/**
 * vigil_scene_load() - parse a scenario and make it current
 * @vs: the virtual sensor
 * @text: scenario text (not NUL-terminated)
 * @len: its length
 *
 * On a parse error the message names the line and the current scenario
 * keeps running. A scenario loaded while not streaming restarts scene time.
 *
 * Return: 0 or -errno.
 */
int vigil_scene_load(struct vigil_vsensor *vs, const char *text, size_t len)
{
	struct vigil_scene *sc, *old;
	unsigned long flags;

	sc = vigil_scene_parse(vs->dev, text, len);
	if (IS_ERR(sc)) {
		if (vs->scene)
			dev_err(vs->dev, "scenario rejected, keeping the current one\n");
		return PTR_ERR(sc);
	}

	spin_lock_irqsave(&vs->src_lock, flags);
	old = vs->scene;
	vs->scene = sc;
	if (!vs->streaming)
		vs->epoch = ktime_get();
	spin_unlock_irqrestore(&vs->src_lock, flags);
	vigil_scene_put(old);
	dev_info(vs->dev, "scenario loaded: %u objects, %u light changes\n",
		 sc->nr_objects, sc->nr_lights);
	return 0;
}

/* ---- scene evaluation at time t ---- */

static u64 vigil_scene_local_time(const struct vigil_scene *sc, u64 t_ms)
{
	if (sc->loop_ms)
		div64_u64_rem(t_ms, sc->loop_ms, &t_ms);
	return t_ms;
}

/* Position of @o at scene time @t; false if not in the scene at @t. */
static bool vigil_object_pos(const struct vigil_scene_object *o, u64 t,
			     s32 *x, s32 *y)
{
	u64 lt, d = o->duration_ms;

	if (t < o->start_ms)
		return false;
	lt = t - o->start_ms;
	switch (o->motion) {
	case VIGIL_MOTION_ONCE:
		if (lt > d)
			return false;
		break;
	case VIGIL_MOTION_LOOP:
		div64_u64_rem(lt, d, &lt);
		break;
	case VIGIL_MOTION_BOUNCE:
		div64_u64_rem(lt, 2 * d, &lt);
		if (lt > d)
			lt = 2 * d - lt;
		break;
	}
	*x = o->x0 + (s32)div64_s64((s64)(o->x1 - o->x0) * (s64)lt, d);
	*y = o->y0 + (s32)div64_s64((s64)(o->y1 - o->y0) * (s64)lt, d);
	return true;
}

/* Light level (percent) and IR mode at scene time @t. */
static u32 vigil_scene_light(const struct vigil_scene *sc, u64 t, bool *ir)
{
	const struct vigil_scene_light *l = NULL;
	u32 prev = 100, i;

	*ir = false;
	for (i = 0; i < sc->nr_lights && sc->lights[i].at_ms <= t; i++) {
		if (l)
			prev = l->level;
		l = &sc->lights[i];
	}
	if (!l)
		return 100;
	*ir = l->ir;
	if (l->ramp_ms && t < (u64)l->at_ms + l->ramp_ms)
		return prev + (s32)div_s64((s64)((s32)l->level - (s32)prev) *
					   (s64)(t - l->at_ms), l->ramp_ms);
	return l->level;
}

/**
 * vigil_scene_time_ms() - current scene time
 * @vs: the virtual sensor
 *
 * Milliseconds since the stream started (or, when not streaming, since the
 * last stream start or scenario load), before looping. The frame with
 * sequence s shows scene time s * frame interval.
 */
u64 vigil_scene_time_ms(struct vigil_vsensor *vs)
{
	return ktime_ms_delta(ktime_get(), READ_ONCE(vs->epoch));
}

/**
 * vigil_scene_warm_objects() - warm objects in view at a scene time
 * @vs: the virtual sensor
 * @t_ms: scene time, as from vigil_scene_time_ms()
 * @objs: filled with up to @max objects
 * @max: capacity of @objs
 *
 * An object is in view when any part of it is inside the frame. Any
 * context (takes a spinlock briefly).
 *
 * Return: the number of warm objects in view (may exceed @max).
 */
int vigil_scene_warm_objects(struct vigil_vsensor *vs, u64 t_ms,
			     struct vigil_warm_object *objs, unsigned int max)
{
	struct vigil_scene *sc = vigil_scene_get(vs);
	unsigned int i, n = 0;
	s32 x, y;
	u64 t;

	if (!sc)
		return 0;
	t = vigil_scene_local_time(sc, t_ms);
	for (i = 0; i < sc->nr_objects; i++) {
		const struct vigil_scene_object *o = &sc->objects[i];

		if (!o->warm || !vigil_object_pos(o, t, &x, &y))
			continue;
		if (x + (s32)o->w / 2 < 0 || x - (s32)o->w / 2 >= 1000 ||
		    y + (s32)o->h / 2 < 0 || y - (s32)o->h / 2 >= 1000)
			continue;
		if (n < max) {
			strscpy(objs[n].name, o->name, sizeof(objs[n].name));
			objs[n].x = x;
			objs[n].y = y;
			objs[n].w = o->w;
			objs[n].h = o->h;
		}
		n++;
	}
	vigil_scene_put(sc);
	return n;
}

/**
 * vigil_scene_warm_in_view() - is a warm object in view now?
 * @vs: the virtual sensor
 */
bool vigil_scene_warm_in_view(struct vigil_vsensor *vs)
{
	return vigil_scene_warm_objects(vs, vigil_scene_time_ms(vs), NULL,
					0) > 0;
}

/* ---- rendering ---- */

/**
 * vigil_scene_prepare() - per-stream state: background texture, noise
 * @vs: the virtual sensor
 * @s: sensor state; seed and format are fixed for the stream
 *
 * Return: 0 or -ENOMEM.
 */
int vigil_scene_prepare(struct vigil_vsensor *vs, struct vigil_render *s)
{
	u32 w = s->width, h = s->height;
	u32 m = w * VIGIL_MAX_SHAKE / 1000;
	u32 bw = w + 2 * m, bh = h + 2 * m;
	u32 cell = max(w / 12, 4U);
	u32 gw = bw / cell + 2, gh = bh / cell + 2;
	u32 x, y, i;
	u8 *grid;

	if (!s->noise) {
		s->noise = kmalloc(VIGIL_NOISE_LEN, GFP_KERNEL);
		if (!s->noise)
			return -ENOMEM;
	}
	/* the noise table depends on the seed only */
	s->noise_amp = U32_MAX;

	/* the texture is kept across streams of the same size and seed */
	if (s->bg && s->bg_w == bw && s->bg_h == bh && s->bg_seed == s->seed)
		return 0;
	vfree(s->bg);
	s->bg = vmalloc(bw * bh);
	grid = kmalloc_array(gw, gh, GFP_KERNEL);
	if (!s->bg || !grid) {
		vfree(s->bg);
		s->bg = NULL;
		kfree(grid);
		return -ENOMEM;
	}
	s->bg_w = bw;
	s->bg_h = bh;
	s->bg_seed = s->seed;
	s->margin = m;

	for (i = 0; i < gw * gh; i++)
		grid[i] = vigil_hash(s->seed * 2654435761U + i) & 0xff;

	for (y = 0; y < bh; y++) {
		u32 gy = y / cell, fy = y % cell;
		u8 *row = s->bg + y * bw;

		cond_resched();
		for (x = 0; x < bw; x++) {
			u32 gx = x / cell, fx = x % cell;
			const u8 *g0 = grid + gy * gw + gx;
			const u8 *g1 = g0 + gw;
			u32 top = g0[0] * (cell - fx) + g0[1] * fx;
			u32 bot = g1[0] * (cell - fx) + g1[1] * fx;
			s32 v = (top * (cell - fy) + bot * fy) / (cell * cell);

			/* fine grain and a few stripes */
			v += (s32)(vigil_hash((y * bw + x) ^ s->seed) & 31) - 16;
			if (((x + y / 2) / (cell / 2 + 1)) % 7 == 0)
				v += 24;
			row[x] = clamp(v, 0, 255);
		}
	}
	kfree(grid);
	return 0;
}

static void vigil_scene_noise_table(struct vigil_render *s, u32 amp)
{
	u32 st = vigil_hash(s->seed ^ 0x9e3779b9) | 1;
	unsigned int i;

	for (i = 0; i < VIGIL_NOISE_LEN; i++)
		s->noise[i] = amp ? (s32)(vigil_xorshift32(&st) %
					  (2 * amp + 1)) - (s32)amp : 0;
	s->noise_amp = amp;
}

static inline u8 vigil_light_y(s32 y, u32 level)
{
	y = VIGIL_Y_MIN + (y - VIGIL_Y_MIN) * (s32)level / 100;
	return clamp(y, VIGIL_Y_MIN, VIGIL_Y_MAX);
}

static inline u8 vigil_light_c(s32 c, u32 level, bool ir)
{
	if (ir)
		return 128;
	return 128 + (c - 128) * (s32)min(level, 100U) / 100;
}

struct vigil_span_obj {
	s32 cx, cy, hw, hh;
	u8 y, u, v;
	enum vigil_shape shape;
};

/* Horizontal extent of @o on row @y, clipped to [0, w); false if none. */
static bool vigil_span(const struct vigil_span_obj *o, s32 y, u32 w,
		       u32 *xa, u32 *xb)
{
	s32 dy = y - o->cy, half, a, b;

	if (dy < -o->hh || dy >= o->hh)
		return false;
	if (o->shape == VIGIL_SHAPE_ELLIPSE) {
		half = (s32)div_u64((u64)o->hw *
			int_sqrt((u64)o->hh * o->hh - (u64)dy * dy), o->hh);
	} else {
		half = o->hw;
	}
	a = max(o->cx - half, 0);
	b = min(o->cx + half, (s32)w);
	if (a >= b)
		return false;
	*xa = a;
	*xb = b;
	return true;
}

/**
 * vigil_scene_render() - render the frame with sequence number @sequence
 * @s: per-stream state from vigil_scene_prepare()
 * @sc: the scenario
 * @f: destination
 * @sequence: frame number since STREAMON; scene time is derived from it
 */
void vigil_scene_render(struct vigil_render *s, const struct vigil_scene *sc,
			const struct vigil_frame *f,
			u32 sequence)
{
	struct vigil_span_obj objs[VIGIL_SCENE_MAX_OBJECTS];
	u32 w = f->width, h = f->height, bpl = f->bytesperline;
	u32 rng, level, nr = 0, i, x, y, sp, xa, xb;
	u8 lut_bg[256], bg_u, bg_v;
	u8 *uvplane = f->vaddr + bpl * h;
	s32 dx = 0, dy = 0;
	bool ir, yuyv = f->fourcc == V4L2_PIX_FMT_YUYV;
	bool nv12 = f->fourcc == V4L2_PIX_FMT_NV12;
	u64 t;

	t = div_u64((u64)sequence * 1000 * s->interval_num, s->interval_den);
	t = vigil_scene_local_time(sc, t);
	rng = vigil_hash(s->seed ^ vigil_hash(sequence + 1)) | 1;

	if (s->noise_amp != sc->noise)
		vigil_scene_noise_table(s, sc->noise);

	level = vigil_scene_light(sc, t, &ir);
	for (i = 0; i < 256; i++)
		lut_bg[i] = vigil_light_y((s32)sc->bg_level +
				((s32)i - 128) * (s32)sc->bg_contrast / 128,
				level);
	bg_u = vigil_light_c(122, level, ir);
	bg_v = vigil_light_c(132, level, ir);

	sp = min(w * sc->shake / 1000, s->margin);
	if (sp) {
		dx = (s32)(vigil_xorshift32(&rng) % (2 * sp + 1)) - (s32)sp;
		dy = (s32)(vigil_xorshift32(&rng) % (2 * sp + 1)) - (s32)sp;
	}

	for (i = 0; i < sc->nr_objects; i++) {
		const struct vigil_scene_object *o = &sc->objects[i];
		struct vigil_span_obj *so = &objs[nr];
		s32 ox, oy;

		if (!vigil_object_pos(o, t, &ox, &oy))
			continue;
		so->cx = ox * (s32)w / 1000 - dx;
		so->cy = oy * (s32)h / 1000 - dy;
		so->hw = max_t(s32, o->w * w / 2000, 1);
		so->hh = max_t(s32, o->h * h / 2000, 1);
		so->y = vigil_light_y(o->luma, level);
		so->u = vigil_light_c(o->u, level, ir);
		so->v = vigil_light_c(o->v, level, ir);
		so->shape = o->shape;
		nr++;
	}

	for (y = 0; y < h; y++) {
		const u8 *trow = s->bg + (y + s->margin + dy) * s->bg_w +
				 s->margin + dx;
		u32 off = vigil_xorshift32(&rng);
		u8 *line = s->line, *chroma = s->chroma;
		bool want_c = yuyv || (nv12 && !(y & 1));
		u8 *dst = f->vaddr + y * bpl;

		/* a preemption point per row (see vigil_vsensor_render()) */
		cond_resched();
		for (x = 0; x < w; x++)
			line[x] = lut_bg[trow[x]];
		if (want_c) {
			for (x = 0; x < w; x += 2) {
				chroma[x] = bg_u;
				chroma[x + 1] = bg_v;
			}
		}
		for (i = 0; i < nr; i++) {
			if (!vigil_span(&objs[i], y, w, &xa, &xb))
				continue;
			memset(line + xa, objs[i].y, xb - xa);
			if (!want_c)
				continue;
			for (x = xa & ~1U; x < xb; x += 2) {
				chroma[x] = objs[i].u;
				chroma[x + 1] = objs[i].v;
			}
		}

		if (yuyv) {
			for (x = 0; x < w; x++) {
				s32 v = line[x] +
					s->noise[(off + x) & (VIGIL_NOISE_LEN - 1)];

				dst[2 * x] = clamp(v, VIGIL_Y_MIN, VIGIL_Y_MAX);
				dst[2 * x + 1] = chroma[x];
			}
			continue;
		}
		for (x = 0; x < w; x++) {
			s32 v = line[x] +
				s->noise[(off + x) & (VIGIL_NOISE_LEN - 1)];

			dst[x] = clamp(v, VIGIL_Y_MIN, VIGIL_Y_MAX);
		}
		if (nv12 && want_c)
			memcpy(uvplane + (y / 2) * bpl, chroma, w);
	}
}

/* ---- debugfs: scenario and warm_objects ---- */

static ssize_t vigil_scenario_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct vigil_vsensor *vs = file_inode(file)->i_private;
	struct vigil_scene *sc = vigil_scene_get(vs);
	ssize_t ret;

	if (!sc)
		return 0;
	ret = simple_read_from_buffer(ubuf, count, ppos, sc->text,
				      sc->text_len);
	vigil_scene_put(sc);
	return ret;
}

/*
 * A scenario may arrive in several write() calls (shells write line by
 * line). The text is collected per open file; every write re-checks all
 * complete lines so far, so an error fails the write() that carried the bad
 * line, and the scenario is loaded when the file is closed.
 */
struct vigil_scn_upload {
	struct vigil_vsensor *vs;
	size_t len;
	int error;
	char text[VIGIL_SCENE_MAX_TEXT];
};

/* Length of the prefix made of complete statements. */
static size_t vigil_scn_complete(const char *text, size_t len)
{
	while (len) {
		if (text[len - 1] == '\n' && (len < 2 || text[len - 2] != '\\'))
			return len;
		len--;
	}
	return 0;
}

static ssize_t vigil_scenario_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	struct vigil_scn_upload *up = file->private_data;
	struct vigil_scene *sc;
	size_t n;

	if (!up)
		return -EBADF;
	if (up->error)
		return up->error;
	if (count > VIGIL_SCENE_MAX_TEXT - up->len) {
		dev_err(up->vs->dev, "scenario: more than %u bytes\n",
			VIGIL_SCENE_MAX_TEXT);
		up->error = -EFBIG;
		return up->error;
	}
	if (copy_from_user(up->text + up->len, ubuf, count))
		return -EFAULT;
	up->len += count;

	n = vigil_scn_complete(up->text, up->len);
	if (n) {
		sc = vigil_scene_parse(up->vs->dev, up->text, n);
		if (IS_ERR(sc)) {
			dev_err(up->vs->dev,
				"scenario rejected, keeping the current one\n");
			up->error = PTR_ERR(sc);
			return up->error;
		}
		vigil_scene_put(sc);
	}
	*ppos += count;
	return count;
}

static int vigil_scenario_open(struct inode *inode, struct file *file)
{
	struct vigil_scn_upload *up;

	file->private_data = NULL;
	if (!(file->f_mode & FMODE_WRITE))
		return 0;
	up = kvzalloc(sizeof(*up), GFP_KERNEL);
	if (!up)
		return -ENOMEM;
	up->vs = inode->i_private;
	/* the upload is applied at close, which may come after an unbind */
	vigil_vsensor_get(up->vs);
	file->private_data = up;
	return 0;
}

static int vigil_scenario_release(struct inode *inode, struct file *file)
{
	struct vigil_scn_upload *up = file->private_data;

	if (!up)
		return 0;
	if (!up->error && up->len)
		vigil_scene_load(up->vs, up->text, up->len);
	vigil_vsensor_put(up->vs);
	kvfree(up);
	return 0;
}

static const struct file_operations vigil_scenario_fops = {
	.owner = THIS_MODULE,
	.open = vigil_scenario_open,
	.release = vigil_scenario_release,
	.read = vigil_scenario_read,
	.write = vigil_scenario_write,
	.llseek = default_llseek,
};

static ssize_t vigil_warm_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct vigil_vsensor *vs = file->private_data;
	struct vigil_warm_object objs[VIGIL_SCENE_MAX_OBJECTS];
	const size_t size = 64 * (VIGIL_SCENE_MAX_OBJECTS + 1);
	u64 t = vigil_scene_time_ms(vs);
	int n, i, len;
	ssize_t ret;
	char *buf;

	buf = kmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	n = vigil_scene_warm_objects(vs, t, objs, ARRAY_SIZE(objs));
	len = scnprintf(buf, size, "t=%llu in_view=%d\n", t, n);
	for (i = 0; i < min_t(int, n, ARRAY_SIZE(objs)); i++)
		len += scnprintf(buf + len, size - len,
				 "%s x=%d y=%d w=%u h=%u\n", objs[i].name,
				 objs[i].x, objs[i].y, objs[i].w, objs[i].h);
	ret = simple_read_from_buffer(ubuf, count, ppos, buf, len);
	kfree(buf);
	return ret;
}

static const struct file_operations vigil_warm_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vigil_warm_read,
	.llseek = default_llseek,
};

/**
 * vigil_scene_init() - load the built-in scenario, create debugfs files
 * @vs: the virtual sensor
 *
 * Return: 0 or -errno.
 */
int vigil_scene_init(struct vigil_vsensor *vs)
{
	return vigil_scene_load(vs, vigil_default_scenario,
				sizeof(vigil_default_scenario) - 1);
}

void vigil_scene_debugfs_init(struct vigil_vsensor *vs)
{
	debugfs_create_file("scenario", 0600, vs->debugfs, vs,
			    &vigil_scenario_fops);
	debugfs_create_file("warm_objects", 0400, vs->debugfs, vs,
			    &vigil_warm_fops);
}

void vigil_scene_exit(struct vigil_vsensor *vs)
{
	vigil_scene_put(vs->scene);
	vs->scene = NULL;
}
