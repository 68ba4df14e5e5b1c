/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Latency statistics for vigil-lat (issue 13): percentiles of a sample set,
 * histograms in cyclictest's `-h` text format, and the "stages" of a
 * vigil-lat JSON result read back for `vigil-lat compare`. Pure: no I/O but
 * the FILE given. Not part of libvigil's API; built into
 * libvigil-internal.a (lib/latstat.c).
 */
#ifndef VIGIL_LATSTAT_H
#define VIGIL_LATSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct lat_stats {
	size_t n;
	uint64_t min, max;
	uint64_t p50, p99, p999;	/* nearest rank */
	uint64_t avg;
};

/*
 * Sort @s (@n samples, ns) in place and fill @st. Percentile p is the
 * sample of rank ceil(p * n) (nearest rank), so p99.9 of 1000 samples is
 * the 999th smallest. @n == 0 gives all zeros.
 */
void lat_stats_compute(uint64_t *s, size_t n, struct lat_stats *st);

/*
 * Histograms of @ncols sample sets (ns) in cyclictest's `-h` format:
 * "# Histogram", one row per microsecond 0 .. @max_us - 1 ("%06u" then
 * one "%06lu" count per column, tab separated), then "# Total:",
 * "# Min Latencies:", "# Avg Latencies:", "# Max Latencies:" (us) and
 * "# Histogram Overflows:" (samples of @max_us or more). A first comment
 * line names the columns. Returns 0 or -errno (-EINVAL: no columns, or
 * @max_us 0; -ENOMEM; -EIO: write error).
 */
int lat_hist_write(FILE *f, const char *const *names,
		   const uint64_t *const *samples, const size_t *n,
		   size_t ncols, unsigned int max_us);

/* ---- stages (vigil-lat compare) ---------------------------------------- */

enum lat_metric {
	LAT_M_COUNT,
	LAT_M_MIN,
	LAT_M_P50,
	LAT_M_P99,
	LAT_M_P999,
	LAT_M_MAX,
	LAT_M_AVG,
	LAT_NMETRICS
};

/* JSON key of each metric: "count", "min_ns", "p50_ns", ... */
extern const char *const lat_metric_key[LAT_NMETRICS];

#define LAT_STAGE_NAME_MAX 64

struct lat_stage {
	char name[LAT_STAGE_NAME_MAX];
	double v[LAT_NMETRICS];
	unsigned int have;		/* bit m: metric m present */
};

/*
 * Read the "stages" array of a vigil-lat result: objects of string and
 * number members, each with a "stage" name. Unknown members are ignored.
 * *@out is malloc'ed (free() it). Returns 0 or -errno with a message in
 * @err (-EINVAL: not a vigil-lat result, or malformed, naming where).
 */
int lat_stages_parse(const char *json, struct lat_stage **out, size_t *n,
		     char *err, size_t errlen);

/*
 * Print @a and @b side by side: every stage of @a (then those only in
 * @b), per metric present in either: A, B and B/A ("-" where either is
 * missing or A is 0).
 */
void lat_compare_print(FILE *f, const char *name_a, const struct lat_stage *a,
		       size_t na, const char *name_b,
		       const struct lat_stage *b, size_t nb);

/* ---- vigild --trace lines (vigil-lat frame, vigil-lat event) ----------- */

/*
 * One line of `vigild --trace`, a flat JSON object named by its first key:
 *   {"frame":SEQ,"ts_ns":..,...,"in_ns":..,"done_ns":..,"fused_ns":..}
 *   {"pir":LEVEL,"ts_ns":..,...,"in_ns":..}
 *   {"event":ID,"kind":"motion","type":"start","by":"pir"|"frame"|"other",
 *    "in_ts_ns":..,"in_ns":..,"emit_ns":..,"sent_ns":..}
 *   {"synced":ID,"off":..,"synced_ns":..}
 * Times are CLOCK_MONOTONIC ns. A member absent leaves its field 0 and
 * its bit in have clear.
 */
enum lat_trace_kind {
	LAT_TRACE_FRAME = 1,
	LAT_TRACE_PIR,
	LAT_TRACE_EVENT,
	LAT_TRACE_SYNCED,
};

enum lat_trace_by {
	LAT_BY_OTHER,
	LAT_BY_PIR,
	LAT_BY_FRAME,
};

enum lat_trace_field {
	LAT_F_TS,		/* frame, pir: ts_ns; event: in_ts_ns */
	LAT_F_IN,
	LAT_F_DONE,
	LAT_F_FUSED,
	LAT_F_EMIT,
	LAT_F_SENT,
	LAT_F_SYNCED,
	LAT_F_OFF,
	LAT_NFIELDS
};

struct lat_trace_rec {
	enum lat_trace_kind kind;
	uint64_t id;		/* frame sequence, PIR level, event id */
	enum lat_trace_by by;	/* event: the input that started it */
	uint64_t f[LAT_NFIELDS];
	unsigned int have;	/* bit LAT_F_x: f[x] was present */
};

/*
 * Parse @line into @r. Returns its kind (> 0), 0 for a line of another
 * kind (not an error: a trace may gain lines), or -EINVAL for a line of a
 * known kind whose first member is not a number.
 */
int lat_trace_parse(const char *line, struct lat_trace_rec *r);

/*
 * The PIR -> clip-on-disk stages (vigil-lat event): each event started by
 * a PIR edge, joined by id with the recorder's line saying the clip bytes
 * up to the event's start record were fsynced.
 */
#define LAT_EVENT_NSTAGES 5
extern const char *const lat_event_stage[LAT_EVENT_NSTAGES];

struct lat_events {
	uint64_t *s[LAT_EVENT_NSTAGES];	/* samples, n each */
	size_t n, cap;
	size_t events;		/* event start lines */
	size_t by_pir;		/* of which started by a PIR edge */
	size_t unsynced;	/* by PIR, no synced line (yet) */
	size_t bad;		/* times out of order or missing: not counted */
	struct lat_trace_rec *pend;	/* by PIR, waiting for their synced line */
	size_t npend, cappend;
};

/*
 * Feed an event or synced record (other kinds are ignored). Returns 0 or
 * -ENOMEM. Call lat_events_end() after the last line; lat_events_free()
 * frees the samples.
 */
int lat_events_add(struct lat_events *e, const struct lat_trace_rec *r);
void lat_events_end(struct lat_events *e);
void lat_events_free(struct lat_events *e);

/* ---- tracefs text lines (vigil-lat ktrace, frame --ktrace) ------------- */

/*
 * One record of tracefs' "trace" text, as `vigil-lat ktrace` keeps it
 * (trace clock mono: CLOCK_MONOTONIC, printed in microseconds):
 *   "  vigild-42  [001] d..2.  1234.567890: sched_waking: comm=vigild pid=42 ..."
 */
enum lat_krec_kind {
	LAT_K_BUF_DONE = 1,	/* vb2:vb2_buf_done: the driver handed a buffer back */
	LAT_K_DQBUF,		/* v4l2:v4l2_dqbuf: VIDIOC_DQBUF returned it */
	LAT_K_WAKING,		/* sched:sched_waking */
	LAT_K_SWITCH,		/* sched:sched_switch */
	LAT_K_CQE,		/* io_uring:io_uring_complete: a CQE posted */
};

struct lat_krec {
	enum lat_krec_kind kind;
	uint64_t ts;		/* trace time, ns (the text has microseconds) */
	int pid;		/* the task that logged it */
	int cpu;
	int target;		/* waking: the pid woken; switch: next_pid */
	uint64_t buf_ns;	/* buf_done, dqbuf: the buffer's timestamp */
	uint64_t user_data;	/* cqe */
	long long res;		/* cqe */
	unsigned int cflags;	/* cqe */
	size_t seq;		/* line order: ties in ts keep it (the caller's) */
};

/*
 * Parse @line into @r. Returns its kind (> 0), 0 for a comment or another
 * event, -EINVAL for a record of a known event missing a field.
 */
int lat_krec_parse(const char *line, struct lat_krec *r);

/*
 * The split of frame.eof-to-vigild (buffer EOF timestamp -> vigild's frame
 * callback) for vigild's loop thread, from records sorted by ts:
 *   eof-to-buf-done      EOF timestamp -> vb2_buf_done of that buffer
 *   buf-done-to-loop-wakeup  -> sched_waking of the thread that DQBUFs it
 *   loop-wakeup-to-run   -> sched_switch to it
 *   run-to-cqe           -> its io_uring poll CQE posted (task work run
 *                           in its context: IORING_CQE_F_MORE, POLLIN,
 *                           and user_data @tag unless it is 0)
 *   cqe-to-dqbuf         -> v4l2_dqbuf of that buffer (back in userspace,
 *                           the CQE handled, VIDIOC_DQBUF)
 *   dqbuf-to-callback    -> in_ns (the frame mapped, the callback entered)
 */
#define LAT_FSPLIT_N 6
extern const char *const lat_fsplit_stage[LAT_FSPLIT_N];

enum lat_fsplit_result {
	LAT_FS_OK,
	LAT_FS_UNMATCHED,	/* no buf_done or dqbuf record of the buffer */
	LAT_FS_NOT_WOKEN,	/* the thread was not asleep when it was done */
	LAT_FS_NO_CQE,		/* woken, but no poll CQE before the DQBUF */
};

/*
 * The user_data of the loop's video poll: of the poll CQEs that last
 * preceded a DQBUF in the same thread, the most frequent (a loop polls
 * other fds too); 0 if there is none.
 */
uint64_t lat_fsplit_tag(const struct lat_krec *r, size_t n);

/*
 * Split the frame whose buffer timestamp is @ts_ns (microseconds, as
 * V4L2 reports it) and whose callback was entered at @in_ns, into @out
 * (ns, LAT_FSPLIT_N). *@pid: the thread that dequeued it (when matched).
 */
enum lat_fsplit_result lat_fsplit_frame(const struct lat_krec *r, size_t n,
					uint64_t ts_ns, uint64_t in_ns, uint64_t tag,
					uint64_t out[LAT_FSPLIT_N], int *pid);

#endif
