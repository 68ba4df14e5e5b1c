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

#endif
