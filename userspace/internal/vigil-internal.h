/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vigil internals shared by vigild, the tools, the tests and the benchmarks:
 * vigild's configuration (INI through inih), the synthetic scene generator,
 * the scorer and the clip store's rules (clip ids, the audit log). Not part
 * of libvigil's API, not installed; built into libvigil-internal.a (lib/config.c, lib/scene.c, lib/score.c, lib/store.c).
 */
#ifndef VIGIL_INTERNAL_H
#define VIGIL_INTERNAL_H

#include <time.h>

#include "libvigil.h"

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

enum vigil_io {
	VIGIL_IO_MMAP,
	VIGIL_IO_DMABUF,
};

#define VIGIL_PATH_MAX 256

enum vigil_pir_source {
	VIGIL_PIR_DEVICE,	/* the camera's V4L2 events (vigil.ko), if any */
	VIGIL_PIR_GPIO,		/* a gpiochip line through libgpiod */
};

/* BEGIN [mqtt] and [push] (issue #9: agent/sink-mqtt.c, agent/push.c) */
struct vigil_mqtt_config {
	char host[VIGIL_PATH_MAX];	/* broker; "" = MQTT off */
	unsigned int port;		/* 1883 */
	char id[VIGIL_PATH_MAX];	/* camera id; "" = the host name */
	char topic_prefix[VIGIL_PATH_MAX]; /* "" = vigil/<id> */
	char username[VIGIL_PATH_MAX];
	char password_file[VIGIL_PATH_MAX];
	char tls_ca[VIGIL_PATH_MAX];	/* CA file: TLS on */
	bool discovery;			/* Home Assistant discovery */
	char discovery_prefix[VIGIL_PATH_MAX];
	char mjpeg_url[VIGIL_PATH_MAX];	/* HA camera; "" = none */
	unsigned int keepalive_s;
	unsigned int queue;		/* messages waiting for the broker */
	unsigned int reconnect_min_s, reconnect_max_s; /* backoff */
};

struct vigil_push_config {
	char url[VIGIL_PATH_MAX];	/* https://host/path/; "" = push off */
	char dir[VIGIL_PATH_MAX];	/* the clip directory ([record] dir) */
	char token_file[VIGIL_PATH_MAX];/* bearer token */
	char ca[VIGIL_PATH_MAX];	/* CA file for the server */
	char audit[VIGIL_PATH_MAX];	/* "" = DIR/audit.jsonl */
	unsigned int retry_min_ms, retry_max_ms;
};
/* END [mqtt] and [push] */

struct vigil_config {
	/* [source] */
	char source[VIGIL_PATH_MAX];	/* replay:FILE or v4l2:/dev/videoN */
	enum vigil_io io;
	char drm_device[VIGIL_PATH_MAX];
	unsigned int buffers;
	unsigned int width, height;	/* v4l2 format request / raw replay */
	enum vigil_pixfmt pixfmt;
	bool pixfmt_auto;		/* v4l2: choose from VIDIOC_ENUM_FMT */
	bool pixfmt_planes;		/* v4l2: the planes in separate buffers (NV12M) */
	unsigned int fps;		/* raw replay rate / v4l2 request */
	bool realtime;			/* replay at the stream's rate */
	bool loop;			/* replay: start again at the end */
	char pir_events[VIGIL_PATH_MAX];/* replay: PIR side file */
	unsigned int reconnect_ms;	/* v4l2: retry after device loss; 0 off */
	/* [pir] */
	enum vigil_pir_source pir_source;
	char pir_chip[VIGIL_PATH_MAX];	/* gpio: path, gpiochipN or label; "" any */
	char pir_line[VIGIL_PATH_MAX];	/* gpio: offset or line name */
	/* [detector] */
	struct vigil_detect_params detect;
	/* [fusion] */
	struct vigil_fusion_params fusion;
	/* [audio] (sound alerts): no device, no audio */
	char audio_device[VIGIL_PATH_MAX];	/* ALSA PCM name, "" off */
	struct vigil_audio_params audio;
	/* [output] */
	char events[VIGIL_PATH_MAX];	/* "-" stdout, or a log file */
	bool stats;			/* print a stats line at exit */
	/* BEGIN [record] (issue #8, recording) */
	struct vigil_record_config {
		char dir[VIGIL_PATH_MAX];	/* clip directory; "" = off */
		char audit[VIGIL_PATH_MAX];	/* "" = DIR/audit.jsonl */
		char owner_key[VIGIL_PATH_MAX];	/* NAME.pub: seal clips */
		double preroll_s, postroll_s, merge_gap_s, max_clip_s;
		uint64_t preroll_bytes;
		unsigned int keyint, near;
		unsigned int sync_frames, sync_ms;
		uint64_t max_bytes, reserve_bytes;	/* 0 = no limit */
		double max_age_days;			/* 0 = no limit */
		bool armed;
		bool colour;	/* clips in the camera's format, else GREY */
	} record;
	/* END [record] */
	/* [mqtt], [push] (issue #9) */
	struct vigil_mqtt_config mqtt;
	struct vigil_push_config push;
	/* ---- [daemon] real-time options (issue 13, agent/rt.c) ---- */
	unsigned int sched_fifo;	/* SCHED_FIFO priority; 0 = off */
	char cpu_affinity[VIGIL_PATH_MAX];/* CPU list "0,2-3"; "" = any */
	bool mlockall;			/* mlockall(MCL_CURRENT | MCL_FUTURE) */
	/* ---- end [daemon] ---- */
	/* BEGIN [http] (issue #9, HTTP API) */
	struct vigil_http_config {
		char listen[VIGIL_PATH_MAX];	/* "ADDR:PORT"; "" = no HTTP API */
		char token_file[VIGIL_PATH_MAX];
		unsigned int max_clients;
		unsigned int timeout_s;		/* request head, stalled send */
		unsigned int idle_s;		/* keep-alive between requests */
		bool metrics_public;		/* /metrics without the token */
		unsigned int mjpeg_fps, mjpeg_quality;
		/* the owner's page (issue #14): "" the installed one, "off" */
		char web_dir[VIGIL_PATH_MAX];
	} http;
	/* END [http] */
};

void vigil_config_default(struct vigil_config *c);
/*
 * Set one key. Returns 0, -ENOENT for an unknown section/key, -EINVAL for
 * a bad value (with a reason in @why, if given).
 */
int vigil_config_set(struct vigil_config *c, const char *section,
		     const char *key, const char *value, const char **why);
/*
 * Load an INI file over @c. On failure @err holds "FILE:LINE: message"
 * naming the key. Returns 0 or -errno.
 */
int vigil_config_load(struct vigil_config *c, const char *path, char *err,
		      size_t errlen);
/* As vigil_config_load() for a string (tests); @name is used in messages. */
int vigil_config_load_string(struct vigil_config *c, const char *text,
			     const char *name, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Synthetic scenes (deterministic test material)                      */

enum vigil_scene_kind {
	VIGIL_SCENE_PERSON,	/* person-sized warm blob crossing */
	VIGIL_SCENE_PET,	/* small warm blob */
	VIGIL_SCENE_SWAY,	/* tree/shadow swaying in place */
	VIGIL_SCENE_LIGHT,	/* light switch: global gain step */
	VIGIL_SCENE_IR,		/* IR day/night switch */
	VIGIL_SCENE_HEADLIGHTS,	/* bright band sweeping across */
	VIGIL_SCENE_RAIN,	/* many small short-lived streaks */
	VIGIL_SCENE_SHADOW,	/* cloud shadow: soft dark band drifting across */
	VIGIL_SCENE_EXPOSURE,	/* auto-exposure: gain ramps to amount over [start, end) */
	VIGIL_SCENE_COVER,	/* lens covered: a dark, flat image from start */
	VIGIL_SCENE_NKINDS,
};

#define VIGIL_SCENE_MAX_ITEMS 8
#define VIGIL_SCENE_MAX_WAYPOINTS 8

/* A mover's position (left, top) at a frame; between two: straight line. */
struct vigil_scene_waypoint {
	unsigned int frame;
	int x, y;
};

struct vigil_scene_item {
	enum vigil_scene_kind kind;
	unsigned int start, end;	/* frames [start, end) */
	bool warm;			/* triggers the PIR */
	bool alarm;			/* ground truth: an alarm must fire */
	int from_x, to_x;		/* movers: x of the left edge */
	int y;				/* movers: top; sway: region top */
	unsigned int w, h;		/* object / region size */
	int contrast;			/* luma offset of the object */
	double amount;			/* light/ir gain, rain density */
	unsigned int nwaypoints;	/* movers: "path = F:X,Y ..." (stops, */
	struct vigil_scene_waypoint waypoints[VIGIL_SCENE_MAX_WAYPOINTS]; /* restarts) */
};

struct vigil_scene {
	char name[64];
	unsigned int width, height, fps, frames;
	uint64_t seed;
	double noise;			/* sensor noise sigma, luma levels */
	unsigned int pir_latency;	/* frames from onset to PIR edge */
	unsigned int pir_hold;		/* frames PIR stays high after */
	unsigned int max_delay;		/* frames an alarm may take (0: default) */
	unsigned int nitems;
	struct vigil_scene_item items[VIGIL_SCENE_MAX_ITEMS];
};

int vigil_scene_kind_from_name(const char *name, enum vigil_scene_kind *k);
const char *vigil_scene_kind_name(enum vigil_scene_kind k);
/* Load a scenario file (INI: [scene] then [item NAME] sections). */
int vigil_scene_load(struct vigil_scene *s, const char *path, char *err,
		     size_t errlen);
/* Render frame @n (GREY, stride = width) into @buf. Deterministic. */
int vigil_scene_render(const struct vigil_scene *s, unsigned int n,
		       uint8_t *buf);
/*
 * PIR edges of the scene, in time order. Fills up to @max events and
 * returns how many there are in total. Timestamps are ns from frame 0.
 */
int vigil_scene_pir(const struct vigil_scene *s, struct vigil_pir_event *ev,
		    unsigned int max);

/* ------------------------------------------------------------------ */
/* Scoring alarms against a scene's ground truth                      */

struct vigil_score {
	unsigned int must;		/* items that must raise an alarm */
	unsigned int detected;		/* ... that did */
	unsigned int late;		/* ... later than max_delay frames */
	unsigned int false_alarms;	/* alarms outside every must window */
	unsigned int delay_sum, delay_max;	/* frames, over detected items */
	bool warm;			/* the scene has a warm object */
	bool pet;			/* the scene has a pet */
	char detail[256];		/* "delay 1, FA@42, MISSED 30-75" */
};

/*
 * Score the alarms of one run: @starts[i] and @ends[i] are the first and
 * last frame of alarm i (@n alarms, in order). An item that must alarm is
 * detected by an alarm starting within its frames (delay = start - onset)
 * or already running at its onset (delay 0); an alarm starting outside
 * every such item's [start, end + @tail) is a false alarm.
 */
void vigil_score_scene(const struct vigil_scene *s, const uint32_t *starts,
		       const uint32_t *ends, unsigned int n, unsigned int tail,
		       unsigned int max_delay, struct vigil_score *out);

/* ------------------------------------------------------------------ */
/* VIGIL-RAW: "VIGIL-RAW <fourcc> <width> <height>\n", then raw frames   */

struct vigil_raw_info {
	enum vigil_pixfmt fmt;
	unsigned int width, height;
	size_t header_len;		/* bytes up to the first frame */
	size_t frame_size;		/* bytes per frame */
};

/* Does @buf start like a VIGIL-RAW file? */
bool vigil_raw_is(const void *buf, size_t len);
/*
 * Parse the header line of the VIGIL-RAW file at @buf. 0, or -EBADMSG /
 * -EINVAL with a static message in *@why.
 */
int vigil_raw_header(const void *buf, size_t len, struct vigil_raw_info *info,
		     const char **why);

/* ------------------------------------------------------------------ */
/* The clip store (lib/store.c): clip ids and the access audit log      */

/*
 * A clip is DIR/<id>.vclip (DIR/<id>.vclip.part while it is recorded);
 * <id> is its UTC start time and a sequence number: 20261127T101500Z-0001.
 */
#define VIGIL_CLIP_ID_LEN	21
#define VIGIL_CLIP_EXT		".vclip"
#define VIGIL_CLIP_PART_EXT	".vclip.part"

/* Does @id have exactly the shape above (so it is safe in a path)? */
bool vigil_clip_id_valid(const char *id);
/* Format the id of a clip started at @start; 0 or -EINVAL (@seq > 9999). */
int vigil_clip_id_make(char *buf, size_t len, time_t start, unsigned int seq);

#define VIGIL_AUDIT_CLIENT_MAX	128	/* bytes of the client's name */
#define VIGIL_AUDIT_LINE_MAX	1024

struct vigil_audit_rec {
	char ts[32];			/* RFC 3339 UTC */
	char action[16];		/* read export stream delete pull upload decrypt */
	char clip[VIGIL_CLIP_ID_LEN + 1];
	char client[VIGIL_AUDIT_CLIENT_MAX + 1];
};

bool vigil_audit_action_valid(const char *action);
/*
 * One audit record as a JSON line:
 * {"ts":"2026-11-27T10:15:00Z","action":"stream","clip":"<id>","client":"<who>"}
 * Returns its length, -EINVAL for an unknown action, a malformed clip id or
 * an empty or over-long client, -ENAMETOOLONG if @len is too small.
 */
int vigil_audit_format(char *line, size_t len, time_t when, const char *action,
		       const char *clip_id, const char *client);
/*
 * Append one record to the audit log at @path (created 0600), in one
 * O_APPEND write, then fdatasync. 0 or -errno with a message in @err.
 */
int vigil_audit_append(const char *path, const char *action,
		       const char *clip_id, const char *client, char *err,
		       size_t errlen);
/* Parse one line of the log. 0 or -EBADMSG (torn or foreign line). */
int vigil_audit_parse(const char *line, struct vigil_audit_rec *r);

#endif /* VIGIL_INTERNAL_H */
