/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvigil: the pure parts of vigild — frame formats, the Y4M reader and
 * writer, the motion detector, PIR/video fusion and event formatting.
 *
 * Conventions: functions return 0 (or a non-negative count) on success and
 * -errno on failure; objects with state are opaque and come in _new/_free
 * pairs; the library never exits, never prints and does no I/O policy.
 * Build against it with `pkg-config --cflags --libs libvigil`.
 */
#ifndef LIBVIGIL_H
#define LIBVIGIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; vigil_version() gives the library's. */
#define VIGIL_VERSION_MAJOR 0
#define VIGIL_VERSION_MINOR 3
#define VIGIL_VERSION_PATCH 0
#define VIGIL_VERSION_NUMBER(major, minor, patch) \
	((major) * 10000 + (minor) * 100 + (patch))
#define VIGIL_VERSION VIGIL_VERSION_NUMBER(VIGIL_VERSION_MAJOR, \
	VIGIL_VERSION_MINOR, VIGIL_VERSION_PATCH)

/* Symbols of the shared library's API (the rest is hidden). */
#if defined(VIGIL_BUILDING_LIBRARY) && defined(__GNUC__)
#define VIGIL_API __attribute__((visibility("default")))
#else
#define VIGIL_API
#endif

/* The version of the library linked at run time, as VIGIL_VERSION. */
VIGIL_API unsigned int vigil_version(void);
/* The same as "MAJOR.MINOR.PATCH". */
VIGIL_API const char *vigil_version_string(void);

/* ------------------------------------------------------------------ */
/* Frame formats                                                       */

enum vigil_pixfmt {
	VIGIL_FMT_GREY,	/* 8-bit luma only */
	VIGIL_FMT_NV12,	/* luma plane, then interleaved CbCr 2x2 */
	VIGIL_FMT_I420,	/* luma plane, Cb plane, Cr plane, 2x2 */
	VIGIL_FMT_YUYV,	/* packed Y0 Cb Y1 Cr */
	VIGIL_FMT_NV21,	/* luma plane, then interleaved CrCb 2x2 */
	VIGIL_FMT_YV12,	/* luma plane, Cr plane, Cb plane, 2x2 */
	VIGIL_FMT_UYVY,	/* packed Cb Y0 Cr Y1 */
};

#define VIGIL_FRAME_MAX_PLANES 3

/*
 * A view of one frame. Never owns the pixels. The luma fields are what the
 * detector reads; the colour fields (fmt, nplanes, plane[], pitch[]) give
 * the whole frame as the camera delivered it, plane by plane in the
 * format's own memory order: GREY 1 plane (Y); NV12/NV21 2 (Y, then
 * interleaved CbCr/CrCb, ceil(w/2) pairs x ceil(h/2) rows); I420 3 (Y, Cb,
 * Cr) and YV12 3 (Y, Cr, Cb), chroma ceil(w/2) x ceil(h/2); YUYV/UYVY 1
 * (the packed pixel pairs, 2w bytes a row). nplanes 0 means a luma-only
 * view (made by hand, without vigil_frame_view()): read it as GREY.
 */
struct vigil_frame {
	const uint8_t *luma;	/* first luma sample */
	size_t stride;		/* bytes between rows */
	unsigned int width;
	unsigned int height;
	unsigned int step;	/* bytes between luma samples: 1, or 2 packed */
	unsigned int lead;	/* packed: bytes before luma in a pair (UYVY 1) */
	uint32_t seq;		/* frame sequence number */
	uint64_t ts_ns;		/* CLOCK_MONOTONIC capture time */
	/* colour (libvigil 0.3) */
	enum vigil_pixfmt fmt;	/* the layout of plane[] */
	unsigned int nplanes;	/* 0 (luma only) or the format's planes */
	const uint8_t *plane[VIGIL_FRAME_MAX_PLANES];	/* first byte of each */
	size_t pitch[VIGIL_FRAME_MAX_PLANES];		/* bytes between its rows */
};

VIGIL_API int vigil_pixfmt_from_name(const char *name, enum vigil_pixfmt *fmt);
VIGIL_API const char *vigil_pixfmt_name(enum vigil_pixfmt fmt);
/* Bytes of one tightly packed frame (stride == width * bytes per pixel). */
VIGIL_API int vigil_pixfmt_frame_size(enum vigil_pixfmt fmt, unsigned int width,
			    unsigned int height, size_t *size);
/*
 * Fill @f as a view of the frame of @fmt inside @buf (@len bytes) with
 * luma stride @stride (0: tightly packed). Its planes are contiguous as
 * V4L2's single-plane formats lay them out: NV12/NV21's chroma at
 * stride x height with the same stride; I420/YV12's two chroma planes
 * after the luma with pitch (stride + 1) / 2; packed formats one plane.
 * -EMSGSIZE when the frame (the last row need not be padded) does not fit.
 */
VIGIL_API int vigil_frame_view(struct vigil_frame *f, enum vigil_pixfmt fmt,
		     unsigned int width, unsigned int height, size_t stride,
		     const void *buf, size_t len);
/*
 * Copy @f into @dst as one tightly packed frame of @fmt
 * (vigil_pixfmt_frame_size() bytes in @len): the clip codec's input.
 * @fmt is @f's own format, or GREY (the luma alone, from any format).
 * -EINVAL for another format, -ENOSPC if @len is short.
 */
VIGIL_API int vigil_frame_pack(const struct vigil_frame *f, enum vigil_pixfmt fmt,
			       uint8_t *dst, size_t len);
/* @f's format: its colour format, or GREY for a luma-only view. */
VIGIL_API enum vigil_pixfmt vigil_frame_format(const struct vigil_frame *f);

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
VIGIL_API int vigil_y4m_new(const void *buf, size_t len, struct vigil_y4m **out,
		  const char **err);
VIGIL_API void vigil_y4m_free(struct vigil_y4m *y);
VIGIL_API const struct vigil_y4m_info *vigil_y4m_info(const struct vigil_y4m *y);
/*
 * Next frame: *@data points at the payload inside the buffer. Returns 0,
 * -ENODATA at a clean end of stream, -EBADMSG for a garbled frame header
 * and -EPIPE for a truncated frame (see vigil_y4m_error()).
 */
VIGIL_API int vigil_y4m_next(struct vigil_y4m *y, const uint8_t **data);
/* Back to the first frame (for --loop). */
VIGIL_API void vigil_y4m_rewind(struct vigil_y4m *y);
/* Index of the next frame vigil_y4m_next() returns. */
VIGIL_API unsigned int vigil_y4m_frame_index(const struct vigil_y4m *y);
VIGIL_API const char *vigil_y4m_error(const struct vigil_y4m *y);
/* Format a stream header into @buf; returns its length or -ENOSPC. */
VIGIL_API int vigil_y4m_format_header(char *buf, size_t len,
			    const struct vigil_y4m_info *info);

/* ------------------------------------------------------------------ */
/* Motion detector                                                     */

#define VIGIL_MAX_ZONES 8
#define VIGIL_MAX_BOXES 16

#define VIGIL_MAX_POLY_POINTS 16
#define VIGIL_MASK_W 160	/* a mask image is scaled to this grid */
#define VIGIL_MASK_H 120

/* A rectangle in fractions of the frame: 0..1 on both axes. */
struct vigil_rect {
	float x, y, w, h;
	float sensitivity;	/* zones: threshold divided by this (0: 1) */
};

/* A polygon zone, vertices in fractions of the frame. */
struct vigil_polygon {
	unsigned int npoints;	/* 3..VIGIL_MAX_POLY_POINTS */
	float x[VIGIL_MAX_POLY_POINTS], y[VIGIL_MAX_POLY_POINTS];
	float sensitivity;	/* threshold divided by this (0: 1) */
};

/*
 * Times are in seconds and converted per frame with the interval between
 * the frames' timestamps (1/15 s when they do not advance), so the
 * behaviour does not change with the frame rate.
 */
struct vigil_detect_params {
	unsigned int cell;		/* cell side in pixels: 0 (auto), 4, 8, 16, 32 */
	unsigned int row_step;		/* sample every Nth row: 0 (auto: cell/4), 1, 2, 4 */
	double background_s;		/* background time constant, seconds */
	double hold_s;			/* a changed cell stays out of the background this long */
	double deviation_s;		/* time constant of the per-cell deviation */
	double noise_k;			/* threshold = k * estimated noise */
	unsigned int threshold_min;	/* floor of the threshold, luma levels */
	unsigned int min_blob_px;	/* smallest blob, pixels */
	double min_area;		/* ... and fraction of the frame (0: none) */
	double min_motion_s;		/* blobs this long before motion */
	double global_change;		/* fraction a uniform gain must explain */
	double relearn_s;		/* fast relearning after a light change */
	double warmup_s;		/* learnt before reporting */
	double tamper_s;		/* covered/moved this long: tamper */
	unsigned int nzones;		/* 0: whole frame */
	struct vigil_rect zones[VIGIL_MAX_ZONES];
	unsigned int nignore;
	struct vigil_rect ignore[VIGIL_MAX_ZONES];
	unsigned int npolygons;		/* polygon zones, with the rectangles */
	struct vigil_polygon polygons[VIGIL_MAX_ZONES];
	bool has_mask;			/* mask[][]: 0 ignored, 255 watched */
	uint8_t mask[VIGIL_MASK_H][VIGIL_MASK_W];
};

struct vigil_box {
	unsigned int x, y, w, h;	/* pixels */
	unsigned int area;		/* changed pixels (cell granularity) */
};

struct vigil_detect_result {
	uint32_t seq;
	uint64_t ts_ns;
	bool motion;		/* blobs for min_motion_s */
	bool raw_motion;	/* blobs in this frame */
	bool global_change;	/* lights/IR switch: compensated, no alarm */
	bool tamper;		/* lens covered, defocused or camera moved */
	bool covered;		/* tamper: the image lost its contrast */
	double gain, offset;	/* global photometric change compensated */
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

VIGIL_API void vigil_detect_params_default(struct vigil_detect_params *p);
/* Checks @p; returns 0 or -EINVAL (without saying which field). */
VIGIL_API int vigil_detect_params_check(const struct vigil_detect_params *p);
/*
 * Set @p's mask from a PGM image (P5 or P2, any size, scaled to the frame)
 * in memory, as Motion's mask_file: black (below half the maximum) is not
 * watched. Returns 0, or -EINVAL with a reason in *@why.
 */
VIGIL_API int vigil_detect_params_set_mask(struct vigil_detect_params *p,
					   const void *pgm, size_t len,
					   const char **why);
VIGIL_API int vigil_detector_new(const struct vigil_detect_params *p, unsigned int width,
		       unsigned int height, struct vigil_detector **out);
VIGIL_API void vigil_detector_free(struct vigil_detector *d);
/* Process one frame in place; @f must match the detector's size. */
VIGIL_API int vigil_detector_process(struct vigil_detector *d,
			   const struct vigil_frame *f,
			   struct vigil_detect_result *r);
/* Forget the background (e.g. after the source restarted). */
VIGIL_API void vigil_detector_reset(struct vigil_detector *d);
/* Effective cell size (after "auto"). */
VIGIL_API unsigned int vigil_detector_cell(const struct vigil_detector *d);

/* ------------------------------------------------------------------ */
/* PIR events and fusion                                               */

enum vigil_policy {
	VIGIL_POLICY_PIR_AND_VIDEO,
	VIGIL_POLICY_VIDEO_ONLY,
	VIGIL_POLICY_PIR_ONLY,
	VIGIL_POLICY_PERSON_CONFIRMED,	/* video motion, then a person verdict
					 * (or the PIR) raises the alarm */
};

VIGIL_API int vigil_policy_from_name(const char *name, enum vigil_policy *p);
VIGIL_API const char *vigil_policy_name(enum vigil_policy p);

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
VIGIL_API int vigil_pir_parse_line(const char *line, struct vigil_pir_event *ev);

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

/* What an event is about. */
enum vigil_event_kind {
	VIGIL_KIND_MOTION,	/* an alarm: fused video motion and PIR */
	VIGIL_KIND_TAMPER,	/* lens covered or defocused, camera moved */
	VIGIL_KIND_AUDIO,	/* a sound alert: see ev->audio */
};

struct vigil_audio_detection;

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
	enum vigil_event_kind kind;
	bool covered;			/* tamper: the image lost its contrast */
	bool glass_valid;		/* a possible glass break is correlated */
	uint64_t glass_ts_ns;		/* its time */
	/* VIGIL_KIND_AUDIO: the detection (its own JSON line) */
	const struct vigil_audio_detection *audio;
	int person;			/* enum vigil_person_verdict (NONE: not checked) */
	double person_score;		/* the verdict's best SVM margin */
};

typedef void (*vigil_event_cb)(const struct vigil_event *ev, void *arg);

struct vigil_fusion;

VIGIL_API void vigil_fusion_params_default(struct vigil_fusion_params *p);
VIGIL_API int vigil_fusion_new(const struct vigil_fusion_params *p, vigil_event_cb cb,
		     void *arg, struct vigil_fusion **out);
VIGIL_API void vigil_fusion_free(struct vigil_fusion *f);
/*
 * Feed inputs; events are reported through the callback. Inputs may come
 * out of order (each time is clamped to the latest seen): event times are
 * monotonic and an event never ends before it starts.
 */
VIGIL_API void vigil_fusion_video(struct vigil_fusion *f,
			const struct vigil_detect_result *r);
VIGIL_API void vigil_fusion_pir(struct vigil_fusion *f, const struct vigil_pir_event *e);
/*
 * Sound as evidence: a possible glass break (START of VIGIL_AUDIO_GLASS;
 * other detections are ignored) corroborates video motion within the
 * window as a PIR edge does (pir-and-video), and is named in the event.
 */
VIGIL_API void vigil_fusion_audio(struct vigil_fusion *f,
			const struct vigil_audio_detection *d);
/* Advance the clock without input (ends events after the gap). */
VIGIL_API void vigil_fusion_tick(struct vigil_fusion *f, uint64_t now_ns);
/* End any open event now (shutdown, end of stream). */
VIGIL_API void vigil_fusion_flush(struct vigil_fusion *f, uint64_t now_ns);
VIGIL_API bool vigil_fusion_active(const struct vigil_fusion *f);
/* The open event's id (also one held back by person-confirmed), or 0. */
VIGIL_API uint32_t vigil_fusion_event_id(const struct vigil_fusion *f);
/*
 * The person check's verdict (enum vigil_person_verdict) on the open
 * event: UNKNOWN is only recorded; a final verdict is reported at once (an
 * update, or with person-confirmed the start of an alarm held back until
 * then). A no-person verdict never ends an event.
 */
VIGIL_API void vigil_fusion_person(struct vigil_fusion *f, int verdict, double score);

/*
 * Format @ev as one JSON object with a trailing newline. Returns the
 * length written (without the NUL) or -ENOSPC.
 */
VIGIL_API int vigil_event_json(const struct vigil_event *ev, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* BEGIN person check (issue #16)                                      */
/* ------------------------------------------------------------------ */

/*
 * Is there a person in a motion blob? Behind this interface: OpenCV's HOG
 * people detector (its built-in linear SVM) when libvigil was built with
 * OpenCV, nothing otherwise (vigil_person_new() then fails with -ENOTSUP).
 * One object, one thread: an object must not be used from two threads at
 * once. Each blob is checked in its region (vigil_person_region(): the box
 * enlarged to leave the detector's margin), scaled to crop_height rows.
 */
enum vigil_person_verdict {
	VIGIL_PERSON_NONE,	/* not checked: no "person" field in events */
	VIGIL_PERSON_UNKNOWN,	/* checked, too few frames to say */
	VIGIL_PERSON_YES,	/* "person" */
	VIGIL_PERSON_NO,	/* "no-person" */
};

struct vigil_person_params {
	unsigned int crop_height;	/* region scaled to this many rows (160) */
	unsigned int max_width;		/* ... and at most this wide (480) */
	double hit_threshold;		/* SVM margin for a hit (0) */
};

/* One blob's answer. */
struct vigil_person_result {
	bool person;		/* a window scored above hit_threshold */
	double score;		/* best SVM margin (-1 when no window fits) */
	unsigned int nhits;	/* windows above hit_threshold */
};

struct vigil_person;

VIGIL_API const char *vigil_person_verdict_name(enum vigil_person_verdict v);
/* The detector behind the interface ("opencv-hog"), or NULL if none. */
VIGIL_API const char *vigil_person_backend(void);
VIGIL_API void vigil_person_params_default(struct vigil_person_params *p);
/*
 * The region of a @width x @height frame checked for @box: twice as tall
 * as wide at least, 1.6 times the box's height, centred on it, moved and
 * clipped into the frame. -EINVAL for an empty box.
 */
VIGIL_API int vigil_person_region(const struct vigil_box *box, unsigned int width,
				  unsigned int height, struct vigil_box *region);
/* -ENOTSUP without a detector, -EINVAL for bad parameters. */
VIGIL_API int vigil_person_new(const struct vigil_person_params *p,
			       struct vigil_person **out);
VIGIL_API void vigil_person_free(struct vigil_person *p);
/*
 * Check @n blobs of frame @f (borrowed for the call): @res[i] for
 * @boxes[i]. 0, -EINVAL (a box outside the frame), -ENOMEM, or -EIO for an
 * error inside the detector.
 */
VIGIL_API int vigil_person_check(struct vigil_person *p, const struct vigil_frame *f,
				 const struct vigil_box *boxes, unsigned int n,
				 struct vigil_person_result *res);
/*
 * For tests: the scaled crop the detector reads for @box, as 8-bit rows
 * into @buf (@len bytes; *@w x *@h). -ENOSPC if it does not fit.
 */
VIGIL_API int vigil_person_crop(struct vigil_person *p, const struct vigil_frame *f,
				const struct vigil_box *box, uint8_t *buf, size_t len,
				unsigned int *w, unsigned int *h);

/* ------------------------------------------------------------------ */
/* END person check                                                    */
/* ------------------------------------------------------------------ */

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
 * planar). Codec 2 also skips unchanged 8x8 blocks of inter frames and may
 * predict from the previous frame plus the MED of the frame differences.
 */
#define VIGIL_CODEC_CONTEXTS 8
#define VIGIL_CODEC_MAX_NEAR 16
#define VIGIL_CODEC_MAX_KEYINT 100000
/* Codec ids (HEAD codec): 1 the original, 2 with skipped blocks and
 * prediction of the frame difference (docs/clip-format.md). */
#define VIGIL_CODEC_MAX 2
#define VIGIL_CODEC_DEFAULT 2

struct vigil_codec_params {
	enum vigil_pixfmt fmt;
	unsigned int width, height;
	unsigned int near;	/* 0 lossless, 1..VIGIL_CODEC_MAX_NEAR */
	unsigned int keyint;	/* frames per keyframe group, 1..MAX_KEYINT */
	int level;		/* zstd level, -7..19; 0 means 1 */
	unsigned int codec;	/* 1..VIGIL_CODEC_MAX; 0 means VIGIL_CODEC_DEFAULT */
};

VIGIL_API void vigil_codec_params_default(struct vigil_codec_params *p);
VIGIL_API int vigil_codec_params_check(const struct vigil_codec_params *p);

struct vigil_encoder;
struct vigil_decoder;

VIGIL_API int vigil_encoder_new(const struct vigil_codec_params *p,
		      struct vigil_encoder **out);
VIGIL_API void vigil_encoder_free(struct vigil_encoder *e);
/* Largest encoded frame: a @dst of this size always suffices. */
VIGIL_API size_t vigil_encoder_bound(const struct vigil_encoder *e);
/* Make the next frame a keyframe (starting a new group). */
VIGIL_API void vigil_encoder_force_key(struct vigil_encoder *e);
/*
 * Encode one frame of vigil_pixfmt_frame_size() bytes into @dst (@cap
 * bytes); *len gets the encoded size, *key whether it is a keyframe.
 * 0 or -errno (-ENOSPC: @cap too small, the frame is not consumed).
 */
VIGIL_API int vigil_encoder_encode(struct vigil_encoder *e, const uint8_t *frame,
			 void *dst, size_t cap, size_t *len, bool *key);

VIGIL_API int vigil_decoder_new(const struct vigil_codec_params *p,
		      struct vigil_decoder **out);
VIGIL_API void vigil_decoder_free(struct vigil_decoder *d);
/* Forget the reference frame: the next frame must be a keyframe. */
VIGIL_API void vigil_decoder_reset(struct vigil_decoder *d);
/* Is @src (an encoded frame) a keyframe? -EBADMSG if it is not a frame. */
VIGIL_API int vigil_codec_frame_is_key(const void *src, size_t len);
/*
 * Decode one encoded frame into @frame (vigil_pixfmt_frame_size() bytes).
 * 0, -EBADMSG (corrupt data) or -ENODATA (an inter frame without the
 * previous frame). Never reads outside @src.
 */
VIGIL_API int vigil_decoder_decode(struct vigil_decoder *d, const void *src, size_t len,
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
#define VIGIL_CLIP_VERSION 2	/* written; readers accept 1 and 2 */
#define VIGIL_CLIP_CAMERA_MAX 32	/* bytes, NUL-padded */
#define VIGIL_CLIP_MAX_PIR 32
#define VIGIL_CLIP_PK_BYTES 32
#define VIGIL_CLIP_SK_BYTES 32
#define VIGIL_CLIP_AUDIO_MAX 48000	/* samples per audio block */

struct vigil_clip_header {
	struct vigil_codec_params codec;	/* level is not stored */
	unsigned int fps_num, fps_den;		/* 1..1000000 each */
	char camera[VIGIL_CLIP_CAMERA_MAX + 1];
	uint64_t created_wall_ns;
	bool encrypted;				/* reader: clip is sealed */
	/* version 2 (clipmeta) */
	unsigned int version;			/* reader: 1 or 2; the writer writes 2 */
	bool audio;				/* audio blocks may follow */
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
	/* version 2 (0 in a version 1 clip) */
	unsigned int person;		/* enum vigil_clip_person */
	unsigned int person_score;	/* 0..100 */
	unsigned int flags;		/* VIGIL_CLIP_EV_* */
};

enum vigil_clip_person {
	VIGIL_CLIP_PERSON_UNCHECKED,	/* not checked (or not decided yet) */
	VIGIL_CLIP_PERSON_YES,
	VIGIL_CLIP_PERSON_NO,
	VIGIL_CLIP_PERSON_FAILED,	/* the check failed */
};

#define VIGIL_CLIP_EV_CONTINUED	1u	/* began before this clip */
#define VIGIL_CLIP_EV_OPEN	2u	/* still open when the clip closed */

/* One block of audio: mono S16LE samples. */
struct vigil_clip_audio {
	uint32_t block;			/* previous + 1 from 0 (gaps: damage) */
	uint64_t mono_ns;		/* CLOCK_MONOTONIC of the first sample */
	unsigned int rate;		/* 8000..48000 Hz */
	unsigned int nsamples;		/* 1..VIGIL_CLIP_AUDIO_MAX */
};

/* Owner key pair for sealed clips (X25519). */
VIGIL_API int vigil_clip_keygen(uint8_t pk[VIGIL_CLIP_PK_BYTES],
		      uint8_t sk[VIGIL_CLIP_SK_BYTES]);

/* Where the writer's bytes go: 0 or -errno. */
typedef int (*vigil_clip_sink)(void *arg, const void *buf, size_t len);

struct vigil_clip_writer;

/*
 * Start a clip: writes the magic and the header chunk. @owner_pk non-NULL
 * encrypts the clip to that owner (h->encrypted is ignored).
 */
VIGIL_API int vigil_clip_writer_new(const struct vigil_clip_header *h,
			  const uint8_t *owner_pk, vigil_clip_sink sink,
			  void *arg, struct vigil_clip_writer **out);
/*
 * Append one frame encoded by vigil_encoder_encode(); the first frame and
 * the first of each group must be keyframes (-EINVAL otherwise).
 */
VIGIL_API int vigil_clip_writer_frame(struct vigil_clip_writer *w, const void *data,
			    size_t len, const struct vigil_clip_frame_meta *m);
VIGIL_API int vigil_clip_writer_event(struct vigil_clip_writer *w,
			    const struct vigil_clip_event *ev);
/*
 * Append @n (1..VIGIL_CLIP_AUDIO_MAX) mono samples at @rate (8000..48000)
 * whose first was captured at @mono_ns. -EINVAL unless the header had
 * audio set.
 */
VIGIL_API int vigil_clip_writer_audio(struct vigil_clip_writer *w, uint64_t mono_ns,
				      unsigned int rate, const int16_t *samples,
				      size_t n);
/* Write the index and the footer. The writer accepts nothing after. */
VIGIL_API int vigil_clip_writer_close(struct vigil_clip_writer *w);
/* Bytes written so far. */
VIGIL_API uint64_t vigil_clip_writer_bytes(const struct vigil_clip_writer *w);
VIGIL_API void vigil_clip_writer_free(struct vigil_clip_writer *w);

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
	unsigned int audio_blocks;	/* intact audio blocks */
	uint64_t audio_samples;		/* their samples */
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
VIGIL_API int vigil_clip_reader_new(const void *buf, size_t len, const uint8_t *owner_pk,
			  const uint8_t *owner_sk, struct vigil_clip_reader **out,
			  const char **err);
VIGIL_API void vigil_clip_reader_free(struct vigil_clip_reader *r);
const struct vigil_clip_header *
vigil_clip_reader_header(const struct vigil_clip_reader *r);
const struct vigil_clip_status *
vigil_clip_reader_status(const struct vigil_clip_reader *r);
/*
 * Decode the next frame into @frame (vigil_pixfmt_frame_size() bytes) and
 * its metadata into @m (may be NULL). 1 at the end, 0 or -errno:
 * -EBADMSG corrupt or failing authentication, -EACCES no key.
 */
VIGIL_API int vigil_clip_reader_next(struct vigil_clip_reader *r, uint8_t *frame,
			   struct vigil_clip_frame_meta *m);
/*
 * The same without decoding: @data and @len get the encoded frame (valid until
 * the next call), for copying frames into another clip.
 */
VIGIL_API int vigil_clip_reader_next_encoded(struct vigil_clip_reader *r,
				   const void **data, size_t *len,
				   struct vigil_clip_frame_meta *m);
/* Continue reading at the first frame of group @g. */
VIGIL_API int vigil_clip_reader_seek_group(struct vigil_clip_reader *r, unsigned int g);
/* Event @i (0..status.events-1). */
VIGIL_API int vigil_clip_reader_event(struct vigil_clip_reader *r, unsigned int i,
			    struct vigil_clip_event *ev);
/*
 * Audio block @i (0..status.audio_blocks-1): its header into @a and, with
 * @samples non-NULL (VIGIL_CLIP_AUDIO_MAX of them), its samples.
 * -EACCES a sealed clip without the key, -EBADMSG failing authentication.
 */
VIGIL_API int vigil_clip_reader_audio(struct vigil_clip_reader *r, unsigned int i,
				      struct vigil_clip_audio *a, int16_t *samples);
/* Why the last call failed, for humans. */
VIGIL_API const char *vigil_clip_reader_error(const struct vigil_clip_reader *r);
/*
 * Recover: write through @sink the header and every intact chunk (damaged
 * runs dropped, a cut tail dropped) followed by a fresh index and footer (unauthenticated if the clip is sealed and no key
 * was given). Works on a complete clip too.
 */
VIGIL_API int vigil_clip_reader_recover(struct vigil_clip_reader *r,
			      vigil_clip_sink sink, void *arg);

/* ------------------------------------------------------------------ */
/* END clips                                                          */
/* ------------------------------------------------------------------ */


/* ------------------------------------------------------------------ */
/* Sound alerts                                                        */
/* ------------------------------------------------------------------ */

/*
 * Detectors on 16 kHz mono S16 audio, no model: smoke alarm T3 (ISO 8201:
 * 0.5 s on, 0.5 s off three times, then 1.5 s off, +-10%) at about 3 kHz
 * or from a 520 Hz square-wave sounder; CO alarm T4 (four 100 ms pulses,
 * then 5 s off); possible glass break (a low-frequency impact with a
 * decaying burst across several high bands); loud noise above a running
 * percentile of the level. The audio is analysed in 10 ms hops; nothing
 * is allocated per block and no sample is kept beyond a 20 ms window.
 */
#define VIGIL_AUDIO_RATE 16000
#define VIGIL_AUDIO_BANDS 6	/* 50-400, 400-2000, 2000-3000, 3000-4500,
				 * 4500-6000, 6000-8000 Hz */

enum vigil_audio_kind {
	VIGIL_AUDIO_SMOKE,	/* "smoke-alarm" */
	VIGIL_AUDIO_CO,		/* "co-alarm" */
	VIGIL_AUDIO_GLASS,	/* "glass-break" (possible) */
	VIGIL_AUDIO_LOUD,	/* "loud-noise" */
	VIGIL_AUDIO_NKINDS,
};

struct vigil_audio_params {
	bool smoke, co, glass, loud;	/* which detectors run (all) */
	double loud_margin_db;		/* above the floor (25) */
	double loud_min_dbfs;		/* and at least this loud (-30) */
	double floor_percentile;	/* the floor: this percentile (20) */
	unsigned int floor_window_ms;	/* of the last N ms of level (30000) */
	double tone_min_dbfs;		/* quieter tones are ignored (-65) */
	double glass_rise_db;		/* impact and burst over floor (18) */
};

/*
 * One alert. Alarms (smoke, CO) start after one full cycle, are updated
 * once confirmed (two consecutive cycles) and end when the pattern has
 * stopped for 2.5 cycles; glass break and loud noise start and end.
 */
struct vigil_audio_detection {
	enum vigil_event_type type;	/* START, UPDATE, END */
	enum vigil_audio_kind kind;
	uint32_t id;			/* per detector, shared by all kinds */
	uint64_t ts_ns;			/* stream time of the decision */
	uint64_t start_ns, end_ns;	/* the sound's first and last time */
	double confidence;		/* 0..1 */
	bool confirmed;			/* alarms: two consecutive cycles */
	/* evidence */
	unsigned int cycles;		/* alarms: consecutive cycles matched */
	double freq_hz;			/* alarms: the tone's frequency */
	double tone_frac;		/* alarms: tone share of the energy, on */
	double harmonics_db;		/* 520 Hz: 3rd+5th over the fundamental */
	double timing_err_ms;		/* alarms: mean |duration - nominal| */
	double level_dbfs, floor_dbfs;	/* level at the decision, floor */
	double rise_db, decay_db;	/* glass: impact rise, burst decay */
	double flatness;		/* glass: spectral flatness 2-8 kHz */
	unsigned int bands_hit;		/* glass: high bands that rose */
	double bands_db[VIGIL_AUDIO_BANDS];	/* dBFS per band */
};

typedef void (*vigil_audio_cb)(const struct vigil_audio_detection *d,
			       void *arg);

struct vigil_audio;

VIGIL_API void vigil_audio_params_default(struct vigil_audio_params *p);
VIGIL_API int vigil_audio_params_check(const struct vigil_audio_params *p);
VIGIL_API int vigil_audio_new(const struct vigil_audio_params *p, vigil_audio_cb cb,
		    void *arg, struct vigil_audio **out);
VIGIL_API void vigil_audio_free(struct vigil_audio *a);
/*
 * Analyse @n samples (16 kHz mono); @ts_ns is the time of the first one
 * (CLOCK_MONOTONIC). Blocks may have any length. Detections are reported
 * through the callback. 0 or -EINVAL.
 */
VIGIL_API int vigil_audio_process(struct vigil_audio *a, const int16_t *pcm,
			size_t n, uint64_t ts_ns);
/* End open alerts now (end of stream, device lost). */
VIGIL_API void vigil_audio_flush(struct vigil_audio *a, uint64_t now_ns);
/* Forget the history (after a gap in the stream): floors relearn. */
VIGIL_API void vigil_audio_reset(struct vigil_audio *a);
/* "smoke-alarm", "co-alarm", "glass-break", "loud-noise". */
VIGIL_API const char *vigil_audio_kind_name(enum vigil_audio_kind k);
/* A JSON event line as vigil_event_json()'s: length or -ENOSPC. */
VIGIL_API int vigil_audio_json(const struct vigil_audio_detection *d, char *buf,
		     size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LIBVIGIL_H */
