// SPDX-License-Identifier: LGPL-2.1-or-later
/* vigild configuration: defaults, one table of keys, INI loading (inih). */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "libvigil.h"
#include "vigil-internal.h"

enum key_type {
	K_STR,
	K_UINT,
	K_DOUBLE,
	K_BOOL,
	K_MS,		/* milliseconds into a uint64_t of ns */
	K_U64,		/* [record] byte counts: a uint64_t */
	K_IO,
	K_PIXFMT,
	K_PIRSRC,
	K_POLICY,
	K_ZONE,
	K_IGNORE,
	K_POLYGON,
	K_MASK,
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t off;
	double min, max;
};

#define C(f) offsetof(struct vigil_config, f)
#define D(f) (offsetof(struct vigil_config, detect) + \
	      offsetof(struct vigil_detect_params, f))
#define F(f) (offsetof(struct vigil_config, fusion) + \
	      offsetof(struct vigil_fusion_params, f))
#define M(f) (offsetof(struct vigil_config, mqtt) + \
	      offsetof(struct vigil_mqtt_config, f))
#define P(f) (offsetof(struct vigil_config, push) + \
	      offsetof(struct vigil_push_config, f))
#define R(f) (offsetof(struct vigil_config, record) + \
	      offsetof(struct vigil_record_config, f))
#define H(f) (offsetof(struct vigil_config, http) + \
	      offsetof(struct vigil_http_config, f))
#define A(f) (offsetof(struct vigil_config, audio) + \
	      offsetof(struct vigil_audio_params, f))

/* Sorted by section, then key; every key is shown in vigild.conf.example. */
static const struct key keys[] = {
	{ "audio", "device", K_STR, C(audio_device), 0, 0 },
	{ "audio", "floor_percentile", K_DOUBLE, A(floor_percentile), 0, 100 },
	{ "audio", "floor_window_ms", K_UINT, A(floor_window_ms), 1000, 600000 },
	{ "audio", "loud_margin_db", K_DOUBLE, A(loud_margin_db), 0, 100 },
	{ "audio", "loud_min_dbfs", K_DOUBLE, A(loud_min_dbfs), -130, 0 },
	/* [daemon] real-time options (issue 13): applied by agent/rt.c */
	{ "daemon", "cpu_affinity", K_STR, C(cpu_affinity), 0, 0 },
	{ "daemon", "mlockall", K_BOOL, C(mlockall), 0, 0 },
	{ "daemon", "sched_fifo", K_UINT, C(sched_fifo), 0, 99 },
	{ "detector", "background_s", K_DOUBLE, D(background_s), 0.05, 3600 },
	{ "detector", "cell", K_UINT, D(cell), 0, 32 },
	{ "detector", "deviation_s", K_DOUBLE, D(deviation_s), 0.05, 3600 },
	{ "detector", "global_change", K_DOUBLE, D(global_change), 0.01, 1 },
	{ "detector", "hold_s", K_DOUBLE, D(hold_s), 0, 3600 },
	{ "detector", "ignore", K_IGNORE, 0, 0, 0 },
	{ "detector", "mask_file", K_MASK, 0, 0, 0 },
	{ "detector", "min_area", K_DOUBLE, D(min_area), 0, 1 },
	{ "detector", "min_blob_px", K_UINT, D(min_blob_px), 1, 1 << 26 },
	{ "detector", "min_motion_s", K_DOUBLE, D(min_motion_s), 0, 60 },
	{ "detector", "noise_k", K_DOUBLE, D(noise_k), 0.5, 100 },
	{ "detector", "polygon", K_POLYGON, 0, 0, 0 },
	{ "detector", "relearn_s", K_DOUBLE, D(relearn_s), 0, 600 },
	{ "detector", "row_step", K_UINT, D(row_step), 0, 4 },
	{ "detector", "threshold_min", K_UINT, D(threshold_min), 0, 255 },
	{ "detector", "tamper_s", K_DOUBLE, D(tamper_s), 0.1, 3600 },
	{ "detector", "warmup_s", K_DOUBLE, D(warmup_s), 0, 3600 },
	{ "detector", "zone", K_ZONE, 0, 0, 0 },
	{ "fusion", "gap_ms", K_MS, F(gap_ns), 0, 3600000 },
	{ "fusion", "pir_hold_ms", K_MS, F(pir_hold_ns), 0, 3600000 },
	{ "fusion", "policy", K_POLICY, F(policy), 0, 0 },
	{ "fusion", "update_ms", K_MS, F(update_ns), 0, 3600000 },
	{ "fusion", "window_ms", K_MS, F(window_ns), 0, 3600000 },
	/* BEGIN [http] (issue #9) */
	{ "http", "idle_s", K_UINT, H(idle_s), 1, 3600 },
	{ "http", "listen", K_STR, H(listen), 0, 0 },
	{ "http", "max_clients", K_UINT, H(max_clients), 1, 1024 },
	{ "http", "metrics_public", K_BOOL, H(metrics_public), 0, 0 },
	{ "http", "mjpeg_fps", K_UINT, H(mjpeg_fps), 1, 60 },
	{ "http", "mjpeg_quality", K_UINT, H(mjpeg_quality), 1, 100 },
	{ "http", "timeout_s", K_UINT, H(timeout_s), 1, 3600 },
	{ "http", "token_file", K_STR, H(token_file), 0, 0 },
	{ "http", "web_dir", K_STR, H(web_dir), 0, 0 },	/* issue #14 */
	/* END [http] */
	/* BEGIN [mqtt] (issue #9) */
	{ "mqtt", "discovery", K_BOOL, M(discovery), 0, 0 },
	{ "mqtt", "discovery_prefix", K_STR, M(discovery_prefix), 0, 0 },
	{ "mqtt", "host", K_STR, M(host), 0, 0 },
	{ "mqtt", "id", K_STR, M(id), 0, 0 },
	{ "mqtt", "keepalive_s", K_UINT, M(keepalive_s), 5, 3600 },
	{ "mqtt", "mjpeg_url", K_STR, M(mjpeg_url), 0, 0 },
	{ "mqtt", "password_file", K_STR, M(password_file), 0, 0 },
	{ "mqtt", "port", K_UINT, M(port), 1, 65535 },
	{ "mqtt", "queue", K_UINT, M(queue), 1, 65536 },
	{ "mqtt", "reconnect_max_s", K_UINT, M(reconnect_max_s), 1, 3600 },
	{ "mqtt", "reconnect_min_s", K_UINT, M(reconnect_min_s), 1, 3600 },
	{ "mqtt", "tls_ca", K_STR, M(tls_ca), 0, 0 },
	{ "mqtt", "topic_prefix", K_STR, M(topic_prefix), 0, 0 },
	{ "mqtt", "username", K_STR, M(username), 0, 0 },
	/* END [mqtt] */
	{ "output", "events", K_STR, C(events), 0, 0 },
	{ "output", "stats", K_BOOL, C(stats), 0, 0 },
	{ "pir", "chip", K_STR, C(pir_chip), 0, 0 },
	{ "pir", "line", K_STR, C(pir_line), 0, 0 },
	{ "pir", "source", K_PIRSRC, 0, 0, 0 },
	/* BEGIN [push] (issue #9) */
	{ "push", "audit", K_STR, P(audit), 0, 0 },
	{ "push", "ca", K_STR, P(ca), 0, 0 },
	{ "push", "dir", K_STR, P(dir), 0, 0 },
	{ "push", "retry_max_ms", K_UINT, P(retry_max_ms), 10, 86400000 },
	{ "push", "retry_min_ms", K_UINT, P(retry_min_ms), 10, 86400000 },
	{ "push", "token_file", K_STR, P(token_file), 0, 0 },
	{ "push", "url", K_STR, P(url), 0, 0 },
	/* END [push] */
	/* BEGIN [record] (issue #8) */
	{ "record", "armed", K_BOOL, R(armed), 0, 0 },
	{ "record", "audit", K_STR, R(audit), 0, 0 },
	{ "record", "colour", K_BOOL, R(colour), 0, 0 },	/* colour branch */
	{ "record", "dir", K_STR, R(dir), 0, 0 },
	{ "record", "keyint", K_UINT, R(keyint), 1, 3000 },
	{ "record", "max_age_days", K_DOUBLE, R(max_age_days), 0, 36500 },
	{ "record", "max_bytes", K_U64, R(max_bytes), 0, 1e18 },
	{ "record", "max_clip_s", K_DOUBLE, R(max_clip_s), 1, 86400 },
	{ "record", "merge_gap_s", K_DOUBLE, R(merge_gap_s), 0, 3600 },
	{ "record", "near", K_UINT, R(near), 0, VIGIL_CODEC_MAX_NEAR },
	{ "record", "owner_key", K_STR, R(owner_key), 0, 0 },
	{ "record", "postroll_s", K_DOUBLE, R(postroll_s), 0, 3600 },
	{ "record", "preroll_bytes", K_U64, R(preroll_bytes), 1 << 20, 1ULL << 34 },
	{ "record", "preroll_s", K_DOUBLE, R(preroll_s), 0, 300 },
	{ "record", "reserve_bytes", K_U64, R(reserve_bytes), 0, 1e18 },
	{ "record", "sync_frames", K_UINT, R(sync_frames), 0, 100000 },
	{ "record", "sync_ms", K_UINT, R(sync_ms), 0, 3600000 },
	/* END [record] */
	{ "source", "buffers", K_UINT, C(buffers), 2, 32 },
	{ "source", "drm_device", K_STR, C(drm_device), 0, 0 },
	{ "source", "format", K_PIXFMT, C(pixfmt), 0, 0 },
	{ "source", "fps", K_UINT, C(fps), 1, 1000 },
	{ "source", "height", K_UINT, C(height), 0, 16384 },
	{ "source", "io", K_IO, C(io), 0, 0 },
	{ "source", "loop", K_BOOL, C(loop), 0, 0 },
	{ "source", "pir_events", K_STR, C(pir_events), 0, 0 },
	{ "source", "realtime", K_BOOL, C(realtime), 0, 0 },
	{ "source", "reconnect_ms", K_UINT, C(reconnect_ms), 0, 3600000 },
	{ "source", "source", K_STR, C(source), 0, 0 },
	{ "source", "width", K_UINT, C(width), 0, 16384 },
};

/* V4L2 multiplanar layouts: the same luma plane, in a buffer of its own. */
static const struct {
	const char *name;
	enum vigil_pixfmt fmt;
} mplane_names[] = {
	{ "NV12M", VIGIL_FMT_NV12 },
	{ "NM12", VIGIL_FMT_NV12 },
	{ "NV21M", VIGIL_FMT_NV21 },
	{ "NM21", VIGIL_FMT_NV21 },
	{ "YM12", VIGIL_FMT_I420 },
	{ "YM21", VIGIL_FMT_YV12 },
};

void vigil_config_default(struct vigil_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->source, sizeof(c->source), "v4l2:/dev/video0");
	c->io = VIGIL_IO_MMAP;
	snprintf(c->drm_device, sizeof(c->drm_device), "/dev/dri/card0");
	c->buffers = 4;
	c->pixfmt = VIGIL_FMT_GREY;
	c->pixfmt_auto = true;
	c->fps = 30;
	c->realtime = true;
	c->reconnect_ms = 1000;
	vigil_detect_params_default(&c->detect);
	vigil_fusion_params_default(&c->fusion);
	vigil_audio_params_default(&c->audio);
	snprintf(c->events, sizeof(c->events), "-");
	/* [mqtt], [push] (issue #9) */
	c->mqtt.port = 1883;
	c->mqtt.discovery = true;
	snprintf(c->mqtt.discovery_prefix, sizeof(c->mqtt.discovery_prefix),
		 "homeassistant");
	c->mqtt.keepalive_s = 30;
	c->mqtt.queue = 256;
	c->mqtt.reconnect_min_s = 1;
	c->mqtt.reconnect_max_s = 60;
	c->push.retry_min_ms = 1000;
	c->push.retry_max_ms = 300000;
	/* BEGIN [record] defaults (issue #8) */
	c->record.preroll_s = 10;
	c->record.preroll_bytes = 64ULL << 20;
	c->record.postroll_s = 5;
	c->record.merge_gap_s = 5;
	c->record.max_clip_s = 300;
	c->record.keyint = 30;
	c->record.sync_frames = 30;
	c->record.sync_ms = 1000;
	c->record.armed = true;
	c->record.colour = true;
	/* END [record] defaults */
	/* BEGIN [http] defaults (issue #9) */
	snprintf(c->http.token_file, sizeof(c->http.token_file),
		 "/var/lib/vigil/http.token");
	c->http.max_clients = 64;
	c->http.timeout_s = 10;
	c->http.idle_s = 60;
	c->http.mjpeg_fps = 5;
	c->http.mjpeg_quality = 75;
	/* END [http] defaults */
}

static int parse_bool(const char *v, bool *b)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*b = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*b = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_double(const char *v, double *d)
{
	char *end;

	errno = 0;
	*d = strtod(v, &end);
	if (end == v || *end || errno || !isfinite(*d))
		return -EINVAL;
	return 0;
}

/* "x,y,w,h" or, for zones, "x,y,w,h,sensitivity". */
static int parse_rect(const char *v, struct vigil_rect *r, bool zone)
{
	float a[5] = { 0 };
	const char *p = v;
	int i;

	for (i = 0; i < 5; i++) {
		char *end;

		errno = 0;
		a[i] = strtof(p, &end);
		if (end == p || errno)
			return -EINVAL;
		while (*end == ' ')
			end++;
		if (!*end && i >= 3)
			break;
		if (*end != ',' || i == 4 || (i == 3 && !zone))
			return -EINVAL;
		p = end + 1;
	}
	r->x = a[0];
	r->y = a[1];
	r->w = a[2];
	r->h = a[3];
	r->sensitivity = a[4];
	if (!(r->x >= 0 && r->y >= 0 && r->w > 0 && r->h > 0 &&
	      r->x + r->w <= 1.0001f && r->y + r->h <= 1.0001f))
		return -EINVAL;
	if (i == 4 && !(r->sensitivity >= 0.25f && r->sensitivity <= 4))
		return -EINVAL;
	return 0;
}

/* "x,y x,y x,y ..." (3..16 vertices), optionally "... / sensitivity". */
static int parse_polygon(const char *v, struct vigil_polygon *g)
{
	const char *p = v;

	memset(g, 0, sizeof(*g));
	for (;;) {
		char *end;
		float x, y;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '/') {
			errno = 0;
			g->sensitivity = strtof(p + 1, &end);
			while (*end == ' ')
				end++;
			if (end == p + 1 || *end || errno ||
			    !(g->sensitivity >= 0.25f && g->sensitivity <= 4))
				return -EINVAL;
			break;
		}
		if (g->npoints == VIGIL_MAX_POLY_POINTS)
			return -EINVAL;
		errno = 0;
		x = strtof(p, &end);
		if (end == p || *end != ',' || errno)
			return -EINVAL;
		p = end + 1;
		y = strtof(p, &end);
		if (end == p || errno || (*end && *end != ' ' && *end != '/'))
			return -EINVAL;
		if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1))
			return -EINVAL;
		g->x[g->npoints] = x;
		g->y[g->npoints] = y;
		g->npoints++;
		p = end;
	}
	return g->npoints >= 3 ? 0 : -EINVAL;
}

static const struct key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* mask_file: read a PGM mask into the detector parameters. */
static int load_mask(struct vigil_config *c, const char *path, const char **why)
{
	static __thread char msg[160];
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	if (!fp) {
		snprintf(msg, sizeof(msg), "cannot open the mask: %s", strerror(errno));
		*why = msg;
		return -EINVAL;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > (256u << 20)) {
				*why = "mask file too large";
				ret = -EINVAL;
				goto out;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				*why = "out of memory";
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		snprintf(msg, sizeof(msg), "cannot read the mask: %s", strerror(errno));
		*why = msg;
		ret = -EINVAL;
		goto out;
	}
	ret = vigil_detect_params_set_mask(&c->detect, buf, len, why);
out:
	free(buf);
	fclose(fp);
	return ret;
}

int vigil_config_set(struct vigil_config *c, const char *section,
		     const char *key, const char *value, const char **why)
{
	const struct key *k = find_key(section, key);
	char *const base = (char *)c;
	const char *dummy;
	double d;

	if (!why)
		why = &dummy;
	*why = "bad value";
	if (!k) {
		/* per-frame detector keys that became times in seconds */
		static const char *const gone[][2] = {
			{ "learning_rate", "replaced by background_s, a time constant in seconds" },
			{ "min_motion_frames", "replaced by min_motion_s, in seconds" },
			{ "relearn_frames", "replaced by relearn_s, in seconds" },
			{ "warmup_frames", "replaced by warmup_s, in seconds" },
		};

		*why = "unknown key";
		for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
			if (!strcmp(section, "detector") && !strcmp(key, gone[i][0]))
				*why = gone[i][1];
		return -ENOENT;
	}
	switch (k->type) {
	case K_STR:
		if (strlen(value) >= VIGIL_PATH_MAX) {
			*why = "value too long";
			return -EINVAL;
		}
		snprintf(base + k->off, VIGIL_PATH_MAX, "%s", value);
		return 0;
	case K_UINT:
	case K_U64:
	case K_MS: {
		char *end;
		unsigned long long n;

		if (*value == '-' || *value == '+' || !*value) {
			*why = "expected an unsigned integer";
			return -EINVAL;
		}
		errno = 0;
		n = strtoull(value, &end, 10);
		if (*end || errno) {
			*why = "expected an unsigned integer";
			return -EINVAL;
		}
		if (n < k->min || n > k->max) {
			*why = "out of range";
			return -EINVAL;
		}
		if (k->type == K_MS)
			*(uint64_t *)(void *)(base + k->off) = n * 1000000ULL;
		else if (k->type == K_U64)
			*(uint64_t *)(void *)(base + k->off) = n;
		else
			*(unsigned int *)(void *)(base + k->off) = (unsigned int)n;
		return 0;
	}
	case K_DOUBLE:
		if (parse_double(value, &d)) {
			*why = "expected a number";
			return -EINVAL;
		}
		if (d < k->min || d > k->max) {
			*why = "out of range";
			return -EINVAL;
		}
		*(double *)(void *)(base + k->off) = d;
		return 0;
	case K_BOOL:
		if (parse_bool(value, (bool *)(base + k->off))) {
			*why = "expected yes or no";
			return -EINVAL;
		}
		return 0;
	case K_IO:
		if (!strcmp(value, "mmap"))
			c->io = VIGIL_IO_MMAP;
		else if (!strcmp(value, "dmabuf"))
			c->io = VIGIL_IO_DMABUF;
		else {
			*why = "expected mmap or dmabuf";
			return -EINVAL;
		}
		return 0;
	case K_PIXFMT:
		if (!strcasecmp(value, "auto")) {
			c->pixfmt_auto = true;
			return 0;
		}
		c->pixfmt_planes = false;
		for (size_t i = 0; i < sizeof(mplane_names) / sizeof(mplane_names[0]); i++) {
			if (!strcasecmp(value, mplane_names[i].name)) {
				c->pixfmt = mplane_names[i].fmt;
				c->pixfmt_planes = true;
			}
		}
		if (!c->pixfmt_planes && vigil_pixfmt_from_name(value, &c->pixfmt)) {
			*why = "expected auto, GREY, NV12, NV21, I420 (YU12), YV12, YUYV, UYVY, "
			       "or NV12M (NM12), NV21M (NM21), YM12, YM21 (separate planes, V4L2 only)";
			return -EINVAL;
		}
		c->pixfmt_auto = false;
		return 0;
	case K_PIRSRC:
		if (!strcmp(value, "device"))
			c->pir_source = VIGIL_PIR_DEVICE;
		else if (!strcmp(value, "gpio"))
			c->pir_source = VIGIL_PIR_GPIO;
		else {
			*why = "expected device or gpio";
			return -EINVAL;
		}
		return 0;
	case K_POLICY:
		if (vigil_policy_from_name(value, &c->fusion.policy)) {
			*why = "expected pir-and-video, video-only, pir-only or person-confirmed";
			return -EINVAL;
		}
		return 0;
	case K_ZONE:
	case K_IGNORE: {
		const bool zone = k->type == K_ZONE;
		unsigned int *n = zone ? &c->detect.nzones : &c->detect.nignore;
		struct vigil_rect *r = zone ? c->detect.zones : c->detect.ignore;

		if (*n >= VIGIL_MAX_ZONES) {
			*why = "too many rectangles (at most 8)";
			return -EINVAL;
		}
		if (parse_rect(value, &r[*n], zone)) {
			*why = zone ? "expected x,y,w,h as fractions of the frame (0..1), "
				      "then optionally a sensitivity (0.25..4)" :
				      "expected x,y,w,h as fractions of the frame (0..1)";
			return -EINVAL;
		}
		(*n)++;
		return 0;
	}
	case K_POLYGON:
		if (c->detect.npolygons >= VIGIL_MAX_ZONES) {
			*why = "too many polygons (at most 8)";
			return -EINVAL;
		}
		if (parse_polygon(value, &c->detect.polygons[c->detect.npolygons])) {
			*why = "expected 3 to 16 points x,y (fractions of the frame) "
			       "separated by spaces, then optionally / sensitivity (0.25..4)";
			return -EINVAL;
		}
		c->detect.npolygons++;
		return 0;
	case K_MASK:
		return load_mask(c, value, why);
	}
	return -EINVAL;
}

struct load_ctx {
	struct vigil_config *c;
	char msg[160];		/* first error, without the line */
	int line;		/* lines read so far: the handler's line */
	int err_line;		/* line of ->msg */
	int nerr;
	FILE *file;		/* reading a file, or */
	const char *str;	/* reading a string */
};

/* fgets-style reader that counts lines, so errors name their line. */
static char *reader(char *buf, int num, void *stream)
{
	struct load_ctx *ctx = stream;
	char *ret;

	if (ctx->file) {
		ret = fgets(buf, num, ctx->file);
	} else {
		const char *nl;
		size_t n;

		if (!*ctx->str)
			return NULL;
		nl = strchr(ctx->str, '\n');
		n = nl ? (size_t)(nl - ctx->str) + 1 : strlen(ctx->str);
		if (n > (size_t)num - 1)
			n = (size_t)num - 1;
		memcpy(buf, ctx->str, n);
		buf[n] = '\0';
		ctx->str += n;
		ret = buf;
	}
	if (ret)
		ctx->line++;
	return ret;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct load_ctx *ctx = user;
	const char *why;
	int ret;

	ret = vigil_config_set(ctx->c, section, name, value, &why);
	if (!ret)
		return 1;
	if (!ctx->nerr++) {
		ctx->err_line = ctx->line;
		if (ret == -ENOENT)
			snprintf(ctx->msg, sizeof(ctx->msg),
				 "unknown key '%s' in section [%s]%s%s", name, section,
				 strcmp(why, "unknown key") ? ": " : "",
				 strcmp(why, "unknown key") ? why : "");
		else
			snprintf(ctx->msg, sizeof(ctx->msg),
				 "bad value '%s' for key '%s' in [%s]: %s", value,
				 name, section, why);
	}
	return 0;
}

static int finish(struct vigil_config *c, int line, struct load_ctx *ctx,
		  const char *name, char *err, size_t errlen)
{
	if (line == -2) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	if (line > 0) {
		if (ctx->nerr && ctx->err_line == line)
			snprintf(err, errlen, "%s:%d: %s", name, line, ctx->msg);
		else
			snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
				 name, line);
		return -EINVAL;
	}
	if (vigil_detect_params_check(&c->detect)) {
		snprintf(err, errlen, "%s: inconsistent [detector] settings (cell must be 0, 4, 8, 16 or 32 and at least row_step)",
			 name);
		return -EINVAL;
	}
	return 0;
}

int vigil_config_load(struct vigil_config *c, const char *path, char *err,
		      size_t errlen)
{
	struct load_ctx ctx = { .c = c };
	struct stat st;
	int line, ret;

	ctx.file = fopen(path, "re");
	if (!ctx.file) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	/* a directory opens, then reads as nothing: not an empty file */
	if (!fstat(fileno(ctx.file), &st) && S_ISDIR(st.st_mode)) {
		fclose(ctx.file);
		snprintf(err, errlen, "%s: is a directory, expected an INI file", path);
		return -EISDIR;
	}
	errno = 0;
	line = ini_parse_stream(reader, &ctx, handler, &ctx);
	if (ferror(ctx.file)) {
		ret = errno ? -errno : -EIO;
		fclose(ctx.file);
		snprintf(err, errlen, "%s: read error: %s", path, strerror(-ret));
		return ret;
	}
	fclose(ctx.file);
	return finish(c, line, &ctx, path, err, errlen);
}

int vigil_config_load_string(struct vigil_config *c, const char *text,
			     const char *name, char *err, size_t errlen)
{
	struct load_ctx ctx = { .c = c, .str = text };
	const int line = ini_parse_stream(reader, &ctx, handler, &ctx);

	return finish(c, line, &ctx, name, err, errlen);
}
