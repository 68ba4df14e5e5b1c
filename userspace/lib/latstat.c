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

/* ---- vigild --trace lines ---------------------------------------------- */

static const char *const trace_field_key[LAT_NFIELDS] = {
	[LAT_F_TS] = "ts_ns",
	[LAT_F_IN] = "in_ns",
	[LAT_F_DONE] = "done_ns",
	[LAT_F_FUSED] = "fused_ns",
	[LAT_F_EMIT] = "emit_ns",
	[LAT_F_SENT] = "sent_ns",
	[LAT_F_SYNCED] = "synced_ns",
	[LAT_F_OFF] = "off",
};

/*
 * The unsigned number after "@key": in @line (quoted: "ts_ns" is not
 * found in "in_ts_ns").
 */
static bool trace_u64(const char *line, const char *key, uint64_t *v)
{
	char pat[32];
	const char *p;
	char *end;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	if (!isdigit((unsigned char)*p))
		return false;
	errno = 0;
	*v = strtoull(p, &end, 10);
	return !errno && end != p;
}

int lat_trace_parse(const char *line, struct lat_trace_rec *r)
{
	static const struct {
		const char *key;
		enum lat_trace_kind kind;
	} kinds[] = {
		{ "frame", LAT_TRACE_FRAME },
		{ "pir", LAT_TRACE_PIR },
		{ "event", LAT_TRACE_EVENT },
		{ "synced", LAT_TRACE_SYNCED },
	};
	size_t i, k;

	memset(r, 0, sizeof(*r));
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const size_t len = strlen(kinds[k].key);

		if (line[0] == '{' && line[1] == '"' &&
		    !strncmp(line + 2, kinds[k].key, len) &&
		    line[2 + len] == '"' && line[3 + len] == ':')
			break;
	}
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return 0;
	r->kind = kinds[k].kind;
	if (!trace_u64(line, kinds[k].key, &r->id))
		return -EINVAL;
	for (i = 0; i < LAT_NFIELDS; i++) {
		const char *key = trace_field_key[i];

		if (i == LAT_F_TS && r->kind == LAT_TRACE_EVENT)
			key = "in_ts_ns";
		if (trace_u64(line, key, &r->f[i]))
			r->have |= 1u << i;
	}
	if (r->kind == LAT_TRACE_EVENT) {
		if (strstr(line, "\"by\":\"pir\""))
			r->by = LAT_BY_PIR;
		else if (strstr(line, "\"by\":\"frame\""))
			r->by = LAT_BY_FRAME;
	}
	return r->kind;
}

const char *const lat_event_stage[LAT_EVENT_NSTAGES] = {
	"event.pir-to-vigild",		/* PIR hard-IRQ timestamp -> vigild's PIR callback */
	"event.vigild-to-fused",	/* -> the fusion emitted the event */
	"event.fused-to-sent",		/* -> every sink (events file, HTTP, MQTT queue) returned */
	"event.fused-to-synced",	/* -> its first clip bytes fsynced */
	"event.pir-to-synced",		/* the whole: PIR edge -> clip bytes on disk */
};

#define HAVE(r, x) ((r)->have & (1u << (x)))

static int events_sample(struct lat_events *e, const struct lat_trace_rec *ev,
			 uint64_t synced)
{
	const uint64_t *f = ev->f;
	size_t k;

	if (!HAVE(ev, LAT_F_TS) || !HAVE(ev, LAT_F_IN) || !HAVE(ev, LAT_F_EMIT) ||
	    !HAVE(ev, LAT_F_SENT) || f[LAT_F_IN] < f[LAT_F_TS] ||
	    f[LAT_F_EMIT] < f[LAT_F_IN] || f[LAT_F_SENT] < f[LAT_F_EMIT] ||
	    synced < f[LAT_F_EMIT]) {
		e->bad++;
		return 0;
	}
	if (e->n == e->cap) {
		const size_t cap = e->cap ? 2 * e->cap : 256;

		for (k = 0; k < LAT_EVENT_NSTAGES; k++) {
			uint64_t *s = realloc(e->s[k], cap * sizeof(*s));

			if (!s)
				return -ENOMEM;
			e->s[k] = s;
		}
		e->cap = cap;
	}
	e->s[0][e->n] = f[LAT_F_IN] - f[LAT_F_TS];
	e->s[1][e->n] = f[LAT_F_EMIT] - f[LAT_F_IN];
	e->s[2][e->n] = f[LAT_F_SENT] - f[LAT_F_EMIT];
	e->s[3][e->n] = synced - f[LAT_F_EMIT];
	e->s[4][e->n] = synced - f[LAT_F_TS];
	e->n++;
	return 0;
}

int lat_events_add(struct lat_events *e, const struct lat_trace_rec *r)
{
	size_t i;

	if (r->kind == LAT_TRACE_EVENT) {
		e->events++;
		if (r->by != LAT_BY_PIR)
			return 0;
		e->by_pir++;
		if (e->npend == e->cappend) {
			const size_t cap = e->cappend ? 2 * e->cappend : 16;
			struct lat_trace_rec *p = realloc(e->pend, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			e->pend = p;
			e->cappend = cap;
		}
		e->pend[e->npend++] = *r;
		return 0;
	}
	if (r->kind != LAT_TRACE_SYNCED || !HAVE(r, LAT_F_SYNCED))
		return 0;
	/* the latest event of that id (ids may wrap in a long run) */
	for (i = e->npend; i-- > 0;) {
		struct lat_trace_rec ev;

		if (e->pend[i].id != r->id)
			continue;
		ev = e->pend[i];
		memmove(&e->pend[i], &e->pend[i + 1],
			(e->npend - i - 1) * sizeof(*e->pend));
		e->npend--;
		return events_sample(e, &ev, r->f[LAT_F_SYNCED]);
	}
	return 0;
}

void lat_events_end(struct lat_events *e)
{
	e->unsynced += e->npend;
	e->npend = 0;
}

void lat_events_free(struct lat_events *e)
{
	for (size_t k = 0; k < LAT_EVENT_NSTAGES; k++)
		free(e->s[k]);
	free(e->pend);
	memset(e, 0, sizeof(*e));
}

/* ---- tracefs text lines ------------------------------------------------- */

/* The unsigned number after @key in @s; false if absent. */
static bool field_u64(const char *s, const char *key, int base, uint64_t *v)
{
	const char *p = strstr(s, key);
	char *end;

	if (!p)
		return false;
	p += strlen(key);
	if (!(base == 16 ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
		return false;
	errno = 0;
	*v = strtoull(p, &end, base);
	return !errno && end != p;
}

int lat_krec_parse(const char *line, struct lat_krec *r)
{
	static const struct {
		const char *name;
		enum lat_krec_kind kind;
	} ev[] = {
		{ "vb2_buf_done: ", LAT_K_BUF_DONE },
		{ "v4l2_dqbuf: ", LAT_K_DQBUF },
		{ "sched_waking: ", LAT_K_WAKING },
		{ "sched_switch: ", LAT_K_SWITCH },
		{ "io_uring_complete: ", LAT_K_CQE },
	};
	const char *cpu = line, *br, *p, *ts, *name;
	uint64_t sec, frac, v;
	size_t k, digits;
	char *end;

	memset(r, 0, sizeof(*r));
	if (line[0] == '#')
		return 0;
	/* "comm-pid [CPU] flags sec.frac: event: fields" */
	for (;;) {
		cpu = strstr(cpu, " [");
		if (!cpu)
			return 0;
		p = cpu + 2;
		while (isdigit((unsigned char)*p))
			p++;
		if (p > cpu + 2 && *p == ']')
			break;
		cpu += 2;
	}
	br = p;
	name = strstr(br, ": ");
	if (!name)
		return 0;
	name += 2;
	for (k = 0; k < sizeof(ev) / sizeof(ev[0]); k++)
		if (!strncmp(name, ev[k].name, strlen(ev[k].name)))
			break;
	if (k == sizeof(ev) / sizeof(ev[0]))
		return 0;
	r->kind = ev[k].kind;
	r->cpu = atoi(cpu + 2);
	/* the pid: the digits after the last '-' of "comm-pid" */
	for (ts = cpu; ts > line && ts[-1] == ' '; ts--)
		;
	p = ts;
	for (; ts > line && isdigit((unsigned char)ts[-1]); ts--)
		;
	if (ts == p || ts == line || ts[-1] != '-')
		return -EINVAL;
	r->pid = atoi(ts);
	/* the timestamp: the token before the event name */
	ts = name - 2;
	while (ts > br && ts[-1] != ' ')
		ts--;
	errno = 0;
	sec = strtoull(ts, &end, 10);
	if (errno || end == ts || *end != '.')
		return -EINVAL;
	p = end + 1;
	frac = strtoull(p, &end, 10);
	digits = (size_t)(end - p);
	if (errno || !digits || digits > 9 || *end != ':')
		return -EINVAL;
	while (digits++ < 9)
		frac *= 10;
	r->ts = sec * 1000000000ull + frac;
	name += strlen(ev[k].name);
	switch (r->kind) {
	case LAT_K_BUF_DONE:
	case LAT_K_DQBUF:
		if (!field_u64(name, "timestamp = ", 10, &r->buf_ns))
			return -EINVAL;
		break;
	case LAT_K_WAKING:
		if (!field_u64(name, " pid=", 10, &v) || v > INT32_MAX)
			return -EINVAL;
		r->target = (int)v;
		break;
	case LAT_K_SWITCH:
		if (!field_u64(name, "next_pid=", 10, &v) || v > INT32_MAX)
			return -EINVAL;
		r->target = (int)v;
		break;
	case LAT_K_CQE:
		p = strstr(name, "result ");
		if (!field_u64(name, "user_data 0x", 16, &r->user_data) || !p ||
		    !field_u64(name, "cflags 0x", 16, &v))
			return -EINVAL;
		r->res = strtoll(p + 7, &end, 10);
		if (end == p + 7)
			return -EINVAL;
		r->cflags = (unsigned int)v;
		break;
	}
	return r->kind;
}

const char *const lat_fsplit_stage[LAT_FSPLIT_N] = {
	"frame.eof-to-vigild.eof-to-buf-done",
	"frame.eof-to-vigild.buf-done-to-loop-wakeup",
	"frame.eof-to-vigild.loop-wakeup-to-run",
	"frame.eof-to-vigild.run-to-cqe",
	"frame.eof-to-vigild.cqe-to-dqbuf",
	"frame.eof-to-vigild.dqbuf-to-callback",
};

/* The first record with ts >= @t. */
static size_t krec_lower(const struct lat_krec *r, size_t n, uint64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		const size_t mid = lo + (hi - lo) / 2;

		if (r[mid].ts < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define POLL_IN 0x1		/* POLLIN, as in <poll.h> */
#define CQE_F_MORE 0x2		/* IORING_CQE_F_MORE: a multishot's CQE */

static bool poll_cqe(const struct lat_krec *r, int pid, uint64_t tag)
{
	return r->kind == LAT_K_CQE && r->pid == pid && (r->cflags & CQE_F_MORE) &&
	       r->res > 0 && (r->res & POLL_IN) && (!tag || r->user_data == tag);
}

uint64_t lat_fsplit_tag(const struct lat_krec *r, size_t n)
{
	uint64_t tags[8] = { 0 }, best = 0;
	size_t votes[8] = { 0 }, i, k, most = 0;
	long last = -1;

	for (i = 0; i < n; i++) {
		if (r[i].kind == LAT_K_CQE && poll_cqe(&r[i], r[i].pid, 0)) {
			last = (long)i;
			continue;
		}
		if (r[i].kind != LAT_K_DQBUF || last < 0 || r[last].pid != r[i].pid)
			continue;
		for (k = 0; k < 8 && votes[k] && tags[k] != r[last].user_data; k++)
			;
		if (k == 8)
			continue;
		tags[k] = r[last].user_data;
		votes[k]++;
		last = -1;
	}
	for (k = 0; k < 8; k++)
		if (votes[k] > most) {
			most = votes[k];
			best = tags[k];
		}
	return best;
}

enum lat_fsplit_result lat_fsplit_frame(const struct lat_krec *r, size_t n,
					uint64_t ts_ns, uint64_t in_ns, uint64_t tag,
					uint64_t out[LAT_FSPLIT_N], int *pid)
{
	const uint64_t us = ts_ns / 1000;
	size_t i, done = n, dq = n, wake = n, run = n, cqe = n;
	uint64_t t[LAT_FSPLIT_N + 1];
	int k;

	/* the trace time is truncated to the microsecond: start 1 us early */
	i = krec_lower(r, n, us * 1000 > 1000 ? us * 1000 - 1000 : 0);
	for (; i < n && r[i].ts <= in_ns; i++) {
		if (r[i].buf_ns / 1000 != us)
			continue;
		if (done == n && r[i].kind == LAT_K_BUF_DONE) {
			done = i;
		} else if (done != n && r[i].kind == LAT_K_DQBUF) {
			dq = i;
			break;
		}
	}
	if (dq == n)
		return LAT_FS_UNMATCHED;
	*pid = r[dq].pid;
	for (i = done; i < dq; i++) {
		if (wake == n) {
			if (r[i].kind == LAT_K_WAKING && r[i].target == *pid)
				wake = i;
		} else if (run == n) {
			if (r[i].kind == LAT_K_SWITCH && r[i].target == *pid)
				run = i;
		} else if (poll_cqe(&r[i], *pid, tag)) {
			cqe = i;
			break;
		}
	}
	if (run == n)
		return LAT_FS_NOT_WOKEN;
	if (cqe == n)
		return LAT_FS_NO_CQE;
	t[0] = r[done].buf_ns;
	t[1] = r[done].ts;
	t[2] = r[wake].ts;
	t[3] = r[run].ts;
	t[4] = r[cqe].ts;
	t[5] = r[dq].ts;
	t[6] = in_ns;
	/* times in order; the EOF (ns) may be up to 1 us after the trace's */
	for (k = 0; k < LAT_FSPLIT_N; k++)
		out[k] = t[k + 1] > t[k] ? t[k + 1] - t[k] : 0;
	return LAT_FS_OK;
}
