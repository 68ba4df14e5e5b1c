/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvigil: the pure parts of vigild — frame formats, the Y4M reader and
 * writer, the motion detector, PIR/video fusion, event formatting, the
 * configuration and the synthetic scene generator used by the tests.
 *
 * Conventions: functions return 0 (or a non-negative count) on success and
 * -errno on failure; objects with state are opaque and come in _new/_free
 * pairs; the library never exits, never prints and does no I/O policy.
 */
#ifndef LIBVIGIL_H
#define LIBVIGIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Frame formats                                                       */

enum vigil_pixfmt {
	VIGIL_FMT_GREY,	/* 8-bit luma only */
	VIGIL_FMT_NV12,	/* luma plane, then interleaved CbCr 2x2 */
	VIGIL_FMT_I420,	/* luma plane, Cb plane, Cr plane, 2x2 */
	VIGIL_FMT_YUYV,	/* packed Y0 Cb Y1 Cr */
};

/* A view of one frame's luma plane. Never owns the pixels. */
struct vigil_frame {
	const uint8_t *luma;	/* first luma sample */
	size_t stride;		/* bytes between rows */
	unsigned int width;
	unsigned int height;
	unsigned int step;	/* bytes between luma samples: 1, or 2 for YUYV */
	uint32_t seq;		/* frame sequence number */
	uint64_t ts_ns;		/* CLOCK_MONOTONIC capture time */
};

int vigil_pixfmt_from_name(const char *name, enum vigil_pixfmt *fmt);
const char *vigil_pixfmt_name(enum vigil_pixfmt fmt);
/* Bytes of one tightly packed frame (stride == width * bytes per pixel). */
int vigil_pixfmt_frame_size(enum vigil_pixfmt fmt, unsigned int width,
			    unsigned int height, size_t *size);
/*
 * Fill @f as a view of the luma plane inside @buf (@len bytes) holding a
 * frame of @fmt with luma stride @stride (0: tightly packed).
 */
int vigil_frame_view(struct vigil_frame *f, enum vigil_pixfmt fmt,
		     unsigned int width, unsigned int height, size_t stride,
		     const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Y4M (YUV4MPEG2) reader over a memory buffer and writer helpers      */

struct vigil_y4m;

struct vigil_y4m_info {
	unsigned int width;
	unsigned int height;
	unsigned int fps_num;
	unsigned int fps_den;
	enum vigil_pixfmt fmt;	/* GREY (Cmono) or I420 (C420*) */
	size_t frame_size;	/* payload bytes per frame */
};

/*
 * Parse the stream header of a Y4M file mapped at @buf (@len bytes). The
 * buffer must outlive the reader. On failure *@err (if given) points to a
 * static message saying what is wrong.
 */
int vigil_y4m_new(const void *buf, size_t len, struct vigil_y4m **out,
		  const char **err);
void vigil_y4m_free(struct vigil_y4m *y);
const struct vigil_y4m_info *vigil_y4m_info(const struct vigil_y4m *y);
/*
 * Next frame: *@data points at the payload inside the buffer. Returns 0,
 * -ENODATA at a clean end of stream, -EBADMSG for a garbled frame header
 * and -EPIPE for a truncated frame (see vigil_y4m_error()).
 */
int vigil_y4m_next(struct vigil_y4m *y, const uint8_t **data);
/* Back to the first frame (for --loop). */
void vigil_y4m_rewind(struct vigil_y4m *y);
/* Index of the next frame vigil_y4m_next() returns. */
unsigned int vigil_y4m_frame_index(const struct vigil_y4m *y);
const char *vigil_y4m_error(const struct vigil_y4m *y);
/* Format a stream header into @buf; returns its length or -ENOSPC. */
int vigil_y4m_format_header(char *buf, size_t len,
			    const struct vigil_y4m_info *info);

/* ------------------------------------------------------------------ */
/* Motion detector                                                     */

#define VIGIL_MAX_ZONES 8
#define VIGIL_MAX_BOXES 16

/* A rectangle in fractions of the frame: 0..1 on both axes. */
struct vigil_rect {
	float x, y, w, h;
};

struct vigil_detect_params {
	unsigned int cell;		/* cell side in pixels: 0 (auto), 4, 8, 16, 32 */
	unsigned int row_step;		/* sample every Nth row: 0 (auto: cell/4), 1, 2, 4 */
	double learning_rate;		/* background EMA rate, (0, 1) */
	double noise_k;			/* threshold = k * estimated noise */
	unsigned int threshold_min;	/* floor of the threshold, luma levels */
	double min_area;		/* smallest blob, fraction of the frame */
	unsigned int min_motion_frames;	/* consecutive frames before motion */
	double global_change;		/* changed fraction meaning "lights" */
	unsigned int relearn_frames;	/* frames of fast relearning after it */
	unsigned int warmup_frames;	/* frames learnt before reporting */
	unsigned int nzones;		/* 0: whole frame */
	struct vigil_rect zones[VIGIL_MAX_ZONES];
	unsigned int nignore;
	struct vigil_rect ignore[VIGIL_MAX_ZONES];
};

struct vigil_box {
	unsigned int x, y, w, h;	/* pixels */
	unsigned int area;		/* changed pixels (cell granularity) */
};

struct vigil_detect_result {
	uint32_t seq;
	uint64_t ts_ns;
	bool motion;		/* blobs for min_motion_frames frames */
	bool raw_motion;	/* blobs in this frame */
	bool global_change;	/* lights/IR switch: relearning, no alarm */
	bool learning;		/* warm-up or relearning */
	double score;		/* changed fraction of the watched area, 0..1 */
	unsigned int changed_px;/* pixels in kept blobs */
	double noise;		/* estimated noise, luma levels of a cell mean */
	double threshold;	/* threshold used, luma levels */
	unsigned int nboxes;	/* boxes[] entries, largest first */
	unsigned int nblobs;	/* all kept blobs (may exceed VIGIL_MAX_BOXES) */
	struct vigil_box boxes[VIGIL_MAX_BOXES];
};

struct vigil_detector;

void vigil_detect_params_default(struct vigil_detect_params *p);
/* Checks @p; returns -EINVAL naming nothing: see vigil_config for messages. */
int vigil_detect_params_check(const struct vigil_detect_params *p);
int vigil_detector_new(const struct vigil_detect_params *p, unsigned int width,
		       unsigned int height, struct vigil_detector **out);
void vigil_detector_free(struct vigil_detector *d);
/* Process one frame in place; @f must match the detector's size. */
int vigil_detector_process(struct vigil_detector *d,
			   const struct vigil_frame *f,
			   struct vigil_detect_result *r);
/* Forget the background (e.g. after the source restarted). */
void vigil_detector_reset(struct vigil_detector *d);
/* Effective cell size (after "auto"). */
unsigned int vigil_detector_cell(const struct vigil_detector *d);

/* ------------------------------------------------------------------ */
/* PIR events and fusion                                               */

enum vigil_policy {
	VIGIL_POLICY_PIR_AND_VIDEO,
	VIGIL_POLICY_VIDEO_ONLY,
	VIGIL_POLICY_PIR_ONLY,
};

int vigil_policy_from_name(const char *name, enum vigil_policy *p);
const char *vigil_policy_name(enum vigil_policy p);

struct vigil_pir_event {
	uint64_t ts_ns;		/* CLOCK_MONOTONIC of the interrupt */
	int level;		/* 1 warm body seen, 0 quiet */
	uint32_t seq;		/* event sequence */
	uint32_t frame_seq;	/* frame sequence at the interrupt */
	uint32_t lost;		/* events lost before this one */
};

/*
 * Parse one line of a PIR side file: "<seconds> <level>" with seconds
 * relative to the first frame; '#' starts a comment. Returns 1 with *@ev
 * filled, 0 for a blank/comment line, -EINVAL for a bad line.
 */
int vigil_pir_parse_line(const char *line, struct vigil_pir_event *ev);

struct vigil_fusion_params {
	enum vigil_policy policy;
	uint64_t window_ns;	/* PIR and video agree within this */
	uint64_t gap_ns;	/* quiet time that ends an event (merges gaps) */
	uint64_t update_ns;	/* update events while active; 0: none */
	uint64_t pir_hold_ns;	/* PIR counts as active this long after 0 */
};

enum vigil_event_type {
	VIGIL_EVENT_START,
	VIGIL_EVENT_UPDATE,
	VIGIL_EVENT_END,
};

struct vigil_event {
	enum vigil_event_type type;
	enum vigil_policy policy;
	uint32_t id;
	uint64_t ts_ns;		/* time of the input that produced it */
	uint32_t frame;		/* latest frame sequence */
	uint64_t start_ns;	/* event start */
	uint64_t end_ns;	/* END: last time the trigger held */
	double score;		/* latest video score */
	double max_score;
	unsigned int area;	/* latest changed pixels */
	unsigned int nboxes;
	struct vigil_box boxes[VIGIL_MAX_BOXES];
	unsigned int motion_frames;	/* frames with video motion so far */
	unsigned int pir_count;		/* PIR rising edges so far */
	bool pir_valid;			/* a PIR trigger is correlated */
	uint64_t pir_ts_ns;		/* latest PIR rising edge */
	int pir_level;
	int64_t pir_delta_ns;		/* PIR edge minus first video motion */
	uint32_t pir_lost;
};

typedef void (*vigil_event_cb)(const struct vigil_event *ev, void *arg);

struct vigil_fusion;

void vigil_fusion_params_default(struct vigil_fusion_params *p);
int vigil_fusion_new(const struct vigil_fusion_params *p, vigil_event_cb cb,
		     void *arg, struct vigil_fusion **out);
void vigil_fusion_free(struct vigil_fusion *f);
/* Feed inputs in time order; events are reported through the callback. */
void vigil_fusion_video(struct vigil_fusion *f,
			const struct vigil_detect_result *r);
void vigil_fusion_pir(struct vigil_fusion *f, const struct vigil_pir_event *e);
/* Advance the clock without input (ends events after the gap). */
void vigil_fusion_tick(struct vigil_fusion *f, uint64_t now_ns);
/* End any open event now (shutdown, end of stream). */
void vigil_fusion_flush(struct vigil_fusion *f, uint64_t now_ns);
bool vigil_fusion_active(const struct vigil_fusion *f);

/*
 * Format @ev as one JSON object with a trailing newline. Returns the
 * length written (without the NUL) or -ENOSPC.
 */
int vigil_event_json(const struct vigil_event *ev, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

enum vigil_io {
	VIGIL_IO_MMAP,
	VIGIL_IO_DMABUF,
};

#define VIGIL_PATH_MAX 256

struct vigil_config {
	/* [source] */
	char source[VIGIL_PATH_MAX];	/* replay:FILE or v4l2:/dev/videoN */
	enum vigil_io io;
	char drm_device[VIGIL_PATH_MAX];
	unsigned int buffers;
	unsigned int width, height;	/* v4l2 format request / raw replay */
	enum vigil_pixfmt pixfmt;
	unsigned int fps;		/* raw replay rate / v4l2 request */
	bool realtime;			/* replay at the stream's rate */
	bool loop;			/* replay: start again at the end */
	char pir_events[VIGIL_PATH_MAX];/* replay: PIR side file */
	unsigned int reconnect_ms;	/* v4l2: retry after device loss; 0 off */
	/* [detector] */
	struct vigil_detect_params detect;
	/* [fusion] */
	struct vigil_fusion_params fusion;
	/* [output] */
	char events[VIGIL_PATH_MAX];	/* "-" stdout, or a log file */
	bool stats;			/* print a stats line at exit */
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
	VIGIL_SCENE_NKINDS,
};

#define VIGIL_SCENE_MAX_ITEMS 8

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
};

struct vigil_scene {
	char name[64];
	unsigned int width, height, fps, frames;
	uint64_t seed;
	double noise;			/* sensor noise sigma, luma levels */
	unsigned int pir_latency;	/* frames from onset to PIR edge */
	unsigned int pir_hold;		/* frames PIR stays high after */
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
/* BEGIN clips: codec and clip container (issue #8)                   */
/* ------------------------------------------------------------------ */

/*
 * Clip codec: lossless (or near-lossless, every pixel within @near of the
 * source) prediction coding of raw frames. Keyframes use the MED/LOCO-I
 * spatial predictor, other frames the previous reconstructed frame. The
 * residuals are split into VIGIL_CODEC_CONTEXTS streams by the size of the
 * already-coded neighbouring residuals and each stream is zstd-coded.
 * Planes are coded separately (NV12's CbCr and YUYV's chroma are stored
 * planar).
 */
#define VIGIL_CODEC_CONTEXTS 8
#define VIGIL_CODEC_MAX_NEAR 16
#define VIGIL_CODEC_MAX_KEYINT 100000

struct vigil_codec_params {
	enum vigil_pixfmt fmt;
	unsigned int width, height;
	unsigned int near;	/* 0 lossless, 1..VIGIL_CODEC_MAX_NEAR */
	unsigned int keyint;	/* frames per keyframe group, 1..MAX_KEYINT */
	int level;		/* zstd level, -7..19; 0 means 1 */
};

void vigil_codec_params_default(struct vigil_codec_params *p);
int vigil_codec_params_check(const struct vigil_codec_params *p);

struct vigil_encoder;
struct vigil_decoder;

int vigil_encoder_new(const struct vigil_codec_params *p,
		      struct vigil_encoder **out);
void vigil_encoder_free(struct vigil_encoder *e);
/* Largest encoded frame: a @dst of this size always suffices. */
size_t vigil_encoder_bound(const struct vigil_encoder *e);
/* Make the next frame a keyframe (starting a new group). */
void vigil_encoder_force_key(struct vigil_encoder *e);
/*
 * Encode one frame of vigil_pixfmt_frame_size() bytes into @dst (@cap
 * bytes); *len gets the encoded size, *key whether it is a keyframe.
 * 0 or -errno (-ENOSPC: @cap too small, the frame is not consumed).
 */
int vigil_encoder_encode(struct vigil_encoder *e, const uint8_t *frame,
			 void *dst, size_t cap, size_t *len, bool *key);

int vigil_decoder_new(const struct vigil_codec_params *p,
		      struct vigil_decoder **out);
void vigil_decoder_free(struct vigil_decoder *d);
/* Forget the reference frame: the next frame must be a keyframe. */
void vigil_decoder_reset(struct vigil_decoder *d);
/* Is @src (an encoded frame) a keyframe? -EBADMSG if it is not a frame. */
int vigil_codec_frame_is_key(const void *src, size_t len);
/*
 * Decode one encoded frame into @frame (vigil_pixfmt_frame_size() bytes).
 * 0, -EBADMSG (corrupt data) or -ENODATA (an inter frame without the
 * previous frame). Never reads outside @src.
 */
int vigil_decoder_decode(struct vigil_decoder *d, const void *src, size_t len,
			 uint8_t *frame);

/*
 * Clip container (docs/clip-format.md): a header chunk, one chunk per
 * encoded frame with its timestamps and detection summary, event chunks,
 * an index and a footer, each chunk with an XXH3 checksum. Optionally
 * encrypted: each keyframe group is its own XChaCha20-Poly1305
 * secretstream under a random clip key, sealed to the owner's X25519
 * public key. The writer emits bytes through a caller's sink; the reader
 * works on a caller's buffer and never trusts a length it has not checked.
 */
#define VIGIL_CLIP_VERSION 1
#define VIGIL_CLIP_CAMERA_MAX 32	/* bytes, NUL-padded */
#define VIGIL_CLIP_MAX_PIR 32
#define VIGIL_CLIP_PK_BYTES 32
#define VIGIL_CLIP_SK_BYTES 32

struct vigil_clip_header {
	struct vigil_codec_params codec;	/* level is not stored */
	unsigned int fps_num, fps_den;		/* 1..1000000 each */
	char camera[VIGIL_CLIP_CAMERA_MAX + 1];
	uint64_t created_wall_ns;
	bool encrypted;				/* reader: clip is sealed */
};

/* A rectangle in pixels. */
struct vigil_clip_box {
	uint16_t x, y, w, h;
};

/* What the detector said about one frame. */
struct vigil_clip_frame_meta {
	uint64_t mono_ns, wall_ns;
	bool motion, raw_motion, global_change, learning;
	double score;			/* 0..1 (stored in 1/10000) */
	unsigned int nboxes;		/* 0..VIGIL_MAX_BOXES */
	struct vigil_clip_box boxes[VIGIL_MAX_BOXES];
};

struct vigil_clip_pir {
	uint64_t mono_ns;
	bool level;
};

struct vigil_clip_event {
	uint32_t type;			/* enum vigil_event_type */
	uint64_t start_mono_ns, end_mono_ns;
	double score;			/* 0..1 */
	unsigned int nboxes;		/* 0..VIGIL_MAX_BOXES */
	struct vigil_clip_box boxes[VIGIL_MAX_BOXES];
	unsigned int npir;		/* 0..VIGIL_CLIP_MAX_PIR */
	struct vigil_clip_pir pir[VIGIL_CLIP_MAX_PIR];
};

/* Owner key pair for sealed clips (X25519). */
int vigil_clip_keygen(uint8_t pk[VIGIL_CLIP_PK_BYTES],
		      uint8_t sk[VIGIL_CLIP_SK_BYTES]);

/* Where the writer's bytes go: 0 or -errno. */
typedef int (*vigil_clip_sink)(void *arg, const void *buf, size_t len);

struct vigil_clip_writer;

/*
 * Start a clip: writes the magic and the header chunk. @owner_pk non-NULL
 * encrypts the clip to that owner (h->encrypted is ignored).
 */
int vigil_clip_writer_new(const struct vigil_clip_header *h,
			  const uint8_t *owner_pk, vigil_clip_sink sink,
			  void *arg, struct vigil_clip_writer **out);
/*
 * Append one frame encoded by vigil_encoder_encode(); the first frame and
 * the first of each group must be keyframes (-EINVAL otherwise).
 */
int vigil_clip_writer_frame(struct vigil_clip_writer *w, const void *data,
			    size_t len, const struct vigil_clip_frame_meta *m);
int vigil_clip_writer_event(struct vigil_clip_writer *w,
			    const struct vigil_clip_event *ev);
/* Write the index and the footer. The writer accepts nothing after. */
int vigil_clip_writer_close(struct vigil_clip_writer *w);
/* Bytes written so far. */
uint64_t vigil_clip_writer_bytes(const struct vigil_clip_writer *w);
void vigil_clip_writer_free(struct vigil_clip_writer *w);

enum vigil_clip_state {
	VIGIL_CLIP_COMPLETE,	/* footer and index present and consistent */
	VIGIL_CLIP_TRUNCATED,	/* ends without a footer (cut at some byte) */
	VIGIL_CLIP_DAMAGED,	/* a chunk fails its checks before the end */
};

struct vigil_clip_status {
	enum vigil_clip_state state;
	uint64_t good_bytes;	/* prefix made of whole, valid chunks */
	/* intact frames: the prefix's, then those of every intact group
	 * after a damaged chunk (the scan resumes at the next keyframe) */
	unsigned int frames;
	unsigned int groups;
	unsigned int events;
	bool index_authenticated;	/* sealed clip whose index MAC checked */
	char detail[160];	/* why the scan stopped, for humans */
};

struct vigil_clip_reader;

/*
 * Open a clip in @buf (@len bytes, kept by the caller while the reader
 * lives). @owner_pk/@owner_sk (both or neither) open a sealed clip; without
 * them a sealed clip's frames cannot be read (-EACCES) but its structure
 * can be checked. Returns -EBADMSG with *err set when the file is not a
 * clip or its header is corrupt; a truncated or damaged clip opens, its
 * status says so.
 */
int vigil_clip_reader_new(const void *buf, size_t len, const uint8_t *owner_pk,
			  const uint8_t *owner_sk, struct vigil_clip_reader **out,
			  const char **err);
void vigil_clip_reader_free(struct vigil_clip_reader *r);
const struct vigil_clip_header *
vigil_clip_reader_header(const struct vigil_clip_reader *r);
const struct vigil_clip_status *
vigil_clip_reader_status(const struct vigil_clip_reader *r);
/*
 * Decode the next frame into @frame (vigil_pixfmt_frame_size() bytes) and
 * its metadata into @m (may be NULL). 1 at the end, 0 or -errno:
 * -EBADMSG corrupt or failing authentication, -EACCES no key.
 */
int vigil_clip_reader_next(struct vigil_clip_reader *r, uint8_t *frame,
			   struct vigil_clip_frame_meta *m);
/*
 * The same without decoding: @data and @len get the encoded frame (valid until
 * the next call), for copying frames into another clip.
 */
int vigil_clip_reader_next_encoded(struct vigil_clip_reader *r,
				   const void **data, size_t *len,
				   struct vigil_clip_frame_meta *m);
/* Continue reading at the first frame of group @g. */
int vigil_clip_reader_seek_group(struct vigil_clip_reader *r, unsigned int g);
/* Event @i (0..status.events-1). */
int vigil_clip_reader_event(struct vigil_clip_reader *r, unsigned int i,
			    struct vigil_clip_event *ev);
/* Why the last call failed, for humans. */
const char *vigil_clip_reader_error(const struct vigil_clip_reader *r);
/*
 * Recover: write through @sink the header and every intact chunk (damaged
 * runs dropped, a cut tail dropped) followed by a fresh index and footer (unauthenticated if the clip is sealed and no key
 * was given). Works on a complete clip too.
 */
int vigil_clip_reader_recover(struct vigil_clip_reader *r,
			      vigil_clip_sink sink, void *arg);

/* ------------------------------------------------------------------ */
/* END clips                                                          */
/* ------------------------------------------------------------------ */

#ifdef __cplusplus
}
#endif

#endif /* LIBVIGIL_H */
