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
#define VIGIL_VERSION_MINOR 2
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

/* A view of one frame's luma plane. Never owns the pixels. */
struct vigil_frame {
	const uint8_t *luma;	/* first luma sample */
	size_t stride;		/* bytes between rows */
	unsigned int width;
	unsigned int height;
	unsigned int step;	/* bytes between luma samples: 1, or 2 packed */
	unsigned int lead;	/* packed: bytes before luma in a pair (UYVY 1) */
	uint32_t seq;		/* frame sequence number */
	uint64_t ts_ns;		/* CLOCK_MONOTONIC capture time */
};

VIGIL_API int vigil_pixfmt_from_name(const char *name, enum vigil_pixfmt *fmt);
VIGIL_API const char *vigil_pixfmt_name(enum vigil_pixfmt fmt);
/* Bytes of one tightly packed frame (stride == width * bytes per pixel). */
VIGIL_API int vigil_pixfmt_frame_size(enum vigil_pixfmt fmt, unsigned int width,
			    unsigned int height, size_t *size);
/*
 * Fill @f as a view of the luma plane inside @buf (@len bytes) holding a
 * frame of @fmt with luma stride @stride (0: tightly packed).
 */
VIGIL_API int vigil_frame_view(struct vigil_frame *f, enum vigil_pixfmt fmt,
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

VIGIL_API void vigil_detect_params_default(struct vigil_detect_params *p);
/* Checks @p; returns 0 or -EINVAL (without saying which field). */
VIGIL_API int vigil_detect_params_check(const struct vigil_detect_params *p);
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
/* Advance the clock without input (ends events after the gap). */
VIGIL_API void vigil_fusion_tick(struct vigil_fusion *f, uint64_t now_ns);
/* End any open event now (shutdown, end of stream). */
VIGIL_API void vigil_fusion_flush(struct vigil_fusion *f, uint64_t now_ns);
VIGIL_API bool vigil_fusion_active(const struct vigil_fusion *f);

/*
 * Format @ev as one JSON object with a trailing newline. Returns the
 * length written (without the NUL) or -ENOSPC.
 */
VIGIL_API int vigil_event_json(const struct vigil_event *ev, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LIBVIGIL_H */
