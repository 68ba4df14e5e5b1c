// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Latency statistics for vigil-lat: percentiles, cyclictest-format
 * histograms, and the stages of a result read back for comparison.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "latstat.h"

const char *const lat_metric_key[LAT_NMETRICS] = {
	[LAT_M_COUNT] = "count",
	[LAT_M_MIN] = "min_ns",
	[LAT_M_P50] = "p50_ns",
	[LAT_M_P99] = "p99_ns",
	[LAT_M_P999] = "p999_ns",
	[LAT_M_MAX] = "max_ns",
	[LAT_M_AVG] = "avg_ns",
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the sample of rank ceil(num / den * n), 1-based. */
static uint64_t rank(const uint64_t *s, size_t n, uint64_t num, uint64_t den)
{
	uint64_t r = (num * n + den - 1) / den;

	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return s[r - 1];
}

void lat_stats_compute(uint64_t *s, size_t n, struct lat_stats *st)
{
	long double sum = 0;
	size_t i;

	memset(st, 0, sizeof(*st));
	if (!n)
		return;
	qsort(s, n, sizeof(*s), cmp_u64);
	for (i = 0; i < n; i++)
		sum += s[i];
	st->n = n;
	st->min = s[0];
	st->max = s[n - 1];
	st->p50 = rank(s, n, 50, 100);
	st->p99 = rank(s, n, 99, 100);
	st->p999 = rank(s, n, 999, 1000);
	st->avg = (uint64_t)(sum / n + 0.5L);
}

int lat_hist_write(FILE *f, const char *const *names,
		   const uint64_t *const *samples, const size_t *n,
		   size_t ncols, unsigned int max_us)
{
	uint64_t *hist, *over, *min, *max;
	long double *sum;
	size_t c, i;
	unsigned int b;
	int ret = 0;

	if (!ncols || !max_us)
		return -EINVAL;
	hist = calloc((size_t)max_us * ncols, sizeof(*hist));
	over = calloc(ncols, sizeof(*over));
	min = calloc(ncols, sizeof(*min));
	max = calloc(ncols, sizeof(*max));
	sum = calloc(ncols, sizeof(*sum));
	if (!hist || !over || !min || !max || !sum) {
		ret = -ENOMEM;
		goto out;
	}
	for (c = 0; c < ncols; c++) {
		min[c] = n[c] ? UINT64_MAX : 0;
		for (i = 0; i < n[c]; i++) {
			uint64_t us = samples[c][i] / 1000;

			if (us >= max_us)
				over[c]++;
			else
				hist[us * ncols + c]++;
			if (samples[c][i] < min[c])
				min[c] = samples[c][i];
			if (samples[c][i] > max[c])
				max[c] = samples[c][i];
			sum[c] += samples[c][i];
		}
	}
	fprintf(f, "# vigil-lat: columns");
	for (c = 0; c < ncols; c++)
		fprintf(f, " %s", names[c]);
	fprintf(f, "; 1 us per row\n# Histogram\n");
	for (b = 0; b < max_us; b++) {
		fprintf(f, "%06u ", b);
		for (c = 0; c < ncols; c++)
			fprintf(f, "%06" PRIu64 "%s", hist[(size_t)b * ncols + c],
				c + 1 < ncols ? "\t" : "");
		fputc('\n', f);
	}
	fprintf(f, "# Total:");
	for (c = 0; c < ncols; c++)
		fprintf(f, " %09zu", n[c]);
	fprintf(f, "\n# Min Latencies:");
	for (c = 0; c < ncols; c++)
		fprintf(f, " %05" PRIu64, min[c] / 1000);
	fprintf(f, "\n# Avg Latencies:");
	for (c = 0; c < ncols; c++)
		fprintf(f, " %05" PRIu64,
			n[c] ? (uint64_t)(sum[c] / n[c] / 1000 + 0.5L) : 0);
	fprintf(f, "\n# Max Latencies:");
	for (c = 0; c < ncols; c++)
		fprintf(f, " %05" PRIu64, max[c] / 1000);
	fprintf(f, "\n# Histogram Overflows:");
	for (c = 0; c < ncols; c++)
		fprintf(f, " %05" PRIu64, over[c]);
	fputc('\n', f);
	if (ferror(f))
		ret = -EIO;
out:
	free(hist);
	free(over);
	free(min);
	free(max);
	free(sum);
	return ret;
}

/* ---- stages --------------------------------------------------------------- */

struct jp {
	const char *s, *p;
	char *err;
	size_t errlen;
};

static int jp_fail(struct jp *j, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(j->err, j->errlen, "%s at offset %td", msg, j->p - j->s);
	return -EINVAL;
}

static void jp_ws(struct jp *j)
{
	while (*j->p && isspace((unsigned char)*j->p))
		j->p++;
}

/* A JSON string into @buf (escapes other than \" and \\ kept as is). */
static int jp_string(struct jp *j, char *buf, size_t len)
{
	size_t k = 0;

	jp_ws(j);
	if (*j->p != '"')
		return jp_fail(j, "expected a string");
	j->p++;
	while (*j->p && *j->p != '"') {
		char ch = *j->p++;

		if (ch == '\\') {
			if (!*j->p)
				break;
			ch = *j->p++;
		}
		if (k + 1 < len)
			buf[k++] = ch;
	}
	if (*j->p != '"')
		return jp_fail(j, "unterminated string");
	j->p++;
	if (len)
		buf[k] = '\0';
	return 0;
}

static int jp_expect(struct jp *j, char ch)
{
	jp_ws(j);
	if (*j->p != ch)
		return jp_fail(j, "expected '%c'", ch);
	j->p++;
	return 0;
}

/* One stage object: string and number (or true/false/null) members. */
static int jp_stage(struct jp *j, struct lat_stage *st)
{
	char key[64], sval[LAT_STAGE_NAME_MAX];
	bool named = false;
	int ret, m;

	memset(st, 0, sizeof(*st));
	ret = jp_expect(j, '{');
	if (ret)
		return ret;
	jp_ws(j);
	if (*j->p == '}')
		return jp_fail(j, "empty stage");
	for (;;) {
		ret = jp_string(j, key, sizeof(key));
		if (!ret)
			ret = jp_expect(j, ':');
		if (ret)
			return ret;
		jp_ws(j);
		if (*j->p == '"') {
			ret = jp_string(j, sval, sizeof(sval));
			if (ret)
				return ret;
			if (!strcmp(key, "stage")) {
				snprintf(st->name, sizeof(st->name), "%s", sval);
				named = true;
			}
		} else if (*j->p == '-' || isdigit((unsigned char)*j->p)) {
			char *end;
			double v = strtod(j->p, &end);

			if (end == j->p || !isfinite(v))
				return jp_fail(j, "bad number");
			j->p = end;
			for (m = 0; m < LAT_NMETRICS; m++)
				if (!strcmp(key, lat_metric_key[m])) {
					st->v[m] = v;
					st->have |= 1u << m;
				}
		} else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4)) {
			j->p += 4;
		} else if (!strncmp(j->p, "false", 5)) {
			j->p += 5;
		} else {
			return jp_fail(j, "member \"%s\": not a string or number", key);
		}
		jp_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		ret = jp_expect(j, '}');
		if (ret)
			return ret;
		break;
	}
	if (!named)
		return jp_fail(j, "stage without a \"stage\" name");
	return 0;
}

int lat_stages_parse(const char *json, struct lat_stage **out, size_t *n,
		     char *err, size_t errlen)
{
	struct jp j = { .s = json, .p = json, .err = err, .errlen = errlen };
	struct lat_stage *v = NULL;
	size_t cap = 0, k = 0;
	const char *key = strstr(json, "\"stages\"");
	int ret;

	*out = NULL;
	*n = 0;
	if (!key) {
		snprintf(err, errlen, "no \"stages\": not a vigil-lat result");
		return -EINVAL;
	}
	j.p = key + strlen("\"stages\"");
	ret = jp_expect(&j, ':');
	if (!ret)
		ret = jp_expect(&j, '[');
	if (ret)
		return ret;
	jp_ws(&j);
	if (*j.p == ']') {
		snprintf(err, errlen, "\"stages\" is empty");
		return -EINVAL;
	}
	for (;;) {
		if (k == cap) {
			struct lat_stage *nv;

			cap = cap ? 2 * cap : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			v = nv;
		}
		ret = jp_stage(&j, &v[k]);
		if (ret) {
			free(v);
			return ret;
		}
		k++;
		jp_ws(&j);
		if (*j.p == ',') {
			j.p++;
			continue;
		}
		ret = jp_expect(&j, ']');
		if (ret) {
			free(v);
			return ret;
		}
		break;
	}
	*out = v;
	*n = k;
	return 0;
}

static const struct lat_stage *find_stage(const struct lat_stage *s, size_t n,
					  const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s[i].name, name))
			return &s[i];
	return NULL;
}

static void print_val(FILE *f, const struct lat_stage *s, int m)
{
	if (s && (s->have & (1u << m)))
		fprintf(f, " %14.0f", s->v[m]);
	else
		fprintf(f, " %14s", "-");
}

static void print_row(FILE *f, const char *name, const struct lat_stage *a,
		      const struct lat_stage *b)
{
	int m;

	for (m = 0; m < LAT_NMETRICS; m++) {
		bool in_a = a && (a->have & (1u << m));
		bool in_b = b && (b->have & (1u << m));
		bool both = in_a && in_b;

		if (!in_a && !in_b)
			continue;
		fprintf(f, "%-24s %-8s", name, lat_metric_key[m]);
		print_val(f, a, m);
		print_val(f, b, m);
		if (both && a->v[m] != 0)
			fprintf(f, " %8.2f\n", b->v[m] / a->v[m]);
		else
			fprintf(f, " %8s\n", "-");
	}
}

void lat_compare_print(FILE *f, const char *name_a, const struct lat_stage *a,
		       size_t na, const char *name_b,
		       const struct lat_stage *b, size_t nb)
{
	size_t i;

	fprintf(f, "# A: %s\n# B: %s\n", name_a, name_b);
	fprintf(f, "%-24s %-8s %14s %14s %8s\n", "stage", "metric", "A", "B",
		"B/A");
	for (i = 0; i < na; i++)
		print_row(f, a[i].name, &a[i], find_stage(b, nb, a[i].name));
	for (i = 0; i < nb; i++)
		if (!find_stage(a, na, b[i].name))
			print_row(f, b[i].name, NULL, &b[i]);
}
