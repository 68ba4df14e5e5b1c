// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-lat's statistics (lib/latstat.c): nearest-rank percentiles, the
 * cyclictest -h histogram text, and reading back / comparing the stages of
 * a result, including malformed input.
 */
#include <errno.h>
#include <stdint.h>

#include "latstat.h"
#include "t.h"

static void test_stats(void)
{
	uint64_t s[1000];
	struct lat_stats st;
	size_t i;

	/* 1000 samples 1000..1000000 ns, shuffled */
	for (i = 0; i < 1000; i++)
		s[(i * 7919) % 1000] = (i + 1) * 1000;
	lat_stats_compute(s, 1000, &st);
	T_EQ(st.n, 1000);
	T_EQ(st.min, 1000);
	T_EQ(st.max, 1000000);
	T_EQ(st.p50, 500000);
	T_EQ(st.p99, 990000);
	T_EQ(st.p999, 999000);
	T_EQ(st.avg, 500500);
	for (i = 1; i < 1000; i++)
		T_ASSERT(s[i - 1] <= s[i]);

	/* one sample: every percentile is it */
	s[0] = 42;
	lat_stats_compute(s, 1, &st);
	T_EQ(st.p50, 42);
	T_EQ(st.p999, 42);
	T_EQ(st.max, 42);
	/* 10 samples: p99 and p99.9 are the max, p50 the 5th */
	for (i = 0; i < 10; i++)
		s[i] = 10 - i;
	lat_stats_compute(s, 10, &st);
	T_EQ(st.p50, 5);
	T_EQ(st.p99, 10);
	T_EQ(st.p999, 10);
	lat_stats_compute(s, 0, &st);
	T_EQ(st.n, 0);
	T_EQ(st.max, 0);
}

static void test_hist(void)
{
	const uint64_t a[] = { 0, 999, 1000, 1500, 2999, 7000 };
	const uint64_t b[] = { 2000, 2000 };
	const uint64_t *samples[2] = { a, b };
	const char *names[2] = { "pir.v4l2", "pir.gpiocdev-v2" };
	size_t n[2] = { 6, 2 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	T_ASSERT(f);
	T_EQ(lat_hist_write(f, names, samples, n, 2, 4), 0);
	fclose(f);
	T_STRSTR(buf, "# vigil-lat: columns pir.v4l2 pir.gpiocdev-v2");
	T_STRSTR(buf, "\n# Histogram\n"
		 "000000 000002\t000000\n"
		 "000001 000002\t000000\n"
		 "000002 000001\t000002\n"
		 "000003 000000\t000000\n"
		 "# Total: 000000006 000000002\n"
		 "# Min Latencies: 00000 00002\n"
		 "# Avg Latencies: 00002 00002\n"
		 "# Max Latencies: 00007 00002\n"
		 "# Histogram Overflows: 00001 00000\n");
	free(buf);

	f = fopen("/dev/null", "w");
	T_ASSERT(f);
	T_EQ(lat_hist_write(f, names, samples, n, 0, 4), -EINVAL);
	T_EQ(lat_hist_write(f, names, samples, n, 2, 0), -EINVAL);
	fclose(f);
}

static const char result_a[] =
	"{\"tool\":\"vigil-lat\",\"system\":{\"cmdline\":\"a \\\"b\\\"\"},"
	"\"stages\":[{\"stage\":\"pir.v4l2\",\"count\":2000,\"min_ns\":1000,"
	"\"p50_ns\":20000,\"p99_ns\":50000,\"p999_ns\":90000,\"max_ns\":100000,"
	"\"avg_ns\":21000},\n {\"stage\":\"pir.gpiocdev-v2\",\"count\":2000,"
	"\"p50_ns\":40000,\"max_ns\":0,\"flag\":true}]}";
static const char result_b[] =
	"{\"stages\": [ {\"stage\": \"pir.v4l2\", \"count\": 2000,"
	" \"p50_ns\": 10000, \"p99_ns\": 100000, \"max_ns\": 200000},"
	" {\"stage\": \"wake\", \"p50_ns\": 5e6} ] }";

static void test_stages(void)
{
	struct lat_stage *a, *b;
	size_t na, nb;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	T_EQ(lat_stages_parse(result_a, &a, &na, err, sizeof(err)), 0);
	T_EQ(na, 2);
	T_ASSERT(!strcmp(a[0].name, "pir.v4l2"));
	T_EQ(a[0].v[LAT_M_P999], 90000);
	T_EQ(a[0].have, (1u << LAT_NMETRICS) - 1);
	T_ASSERT(!strcmp(a[1].name, "pir.gpiocdev-v2"));
	T_EQ(a[1].have, (1u << LAT_M_COUNT) | (1u << LAT_M_P50) | (1u << LAT_M_MAX));
	T_EQ(lat_stages_parse(result_b, &b, &nb, err, sizeof(err)), 0);
	T_EQ(nb, 2);
	T_EQ(b[1].v[LAT_M_P50], 5000000);

	f = open_memstream(&buf, &len);
	T_ASSERT(f);
	lat_compare_print(f, "a.json", a, na, "b.json", b, nb);
	fclose(f);
	T_STRSTR(buf, "# A: a.json\n# B: b.json\n");
	/* B/A of p50: 10000 / 20000, of max: 200000 / 100000 */
	T_STRSTR(buf, "pir.v4l2                 p50_ns            20000          10000     0.50\n");
	T_STRSTR(buf, "pir.v4l2                 max_ns           100000         200000     2.00\n");
	/* missing on one side, or A == 0: no ratio */
	T_STRSTR(buf, "pir.v4l2                 p999_ns           90000              -        -\n");
	T_STRSTR(buf, "pir.gpiocdev-v2          p50_ns            40000              -        -\n");
	T_STRSTR(buf, "wake                     p50_ns                -        5000000        -\n");
	free(buf);
	free(a);
	free(b);

	/* bad input: a clear message, nothing returned */
	T_EQ(lat_stages_parse("{\"x\":1}", &a, &na, err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "not a vigil-lat result");
	T_ASSERT(!a && !na);
	T_EQ(lat_stages_parse("{\"stages\":[]}", &a, &na, err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "empty");
	T_EQ(lat_stages_parse("{\"stages\":[{\"count\":1}]}", &a, &na, err,
			      sizeof(err)), -EINVAL);
	T_STRSTR(err, "without a \"stage\"");
	T_EQ(lat_stages_parse("{\"stages\":[{\"stage\":\"x\",\"p50_ns\":[1]}]}",
			      &a, &na, err, sizeof(err)), -EINVAL);
	T_STRSTR(err, "not a string or number");
	T_EQ(lat_stages_parse("{\"stages\":[{\"stage\":\"x\"", &a, &na, err,
			      sizeof(err)), -EINVAL);
	T_STRSTR(err, "offset");
	T_EQ(lat_stages_parse("{\"stages\":[{\"stage\":\"x\"},", &a, &na, err,
			      sizeof(err)), -EINVAL);
	T_ASSERT(!a);
}

static void test_trace(void)
{
	struct lat_trace_rec r;
	struct lat_events e = { 0 };

	T_EQ(lat_trace_parse("{\"frame\":7,\"ts_ns\":100,\"motion\":1,\"score\":0.5,"
			     "\"in_ns\":150,\"done_ns\":170,\"fused_ns\":180}", &r),
	     LAT_TRACE_FRAME);
	T_EQ(r.id, 7);
	T_EQ(r.f[LAT_F_TS], 100);
	T_EQ(r.f[LAT_F_IN], 150);
	T_EQ(r.f[LAT_F_DONE], 170);
	T_EQ(r.f[LAT_F_FUSED], 180);
	T_EQ(r.have, (1u << LAT_F_TS) | (1u << LAT_F_IN) | (1u << LAT_F_DONE) |
		     (1u << LAT_F_FUSED));
	/* an older vigild: no fused_ns */
	T_EQ(lat_trace_parse("{\"frame\":8,\"ts_ns\":1,\"in_ns\":2,\"done_ns\":3}", &r),
	     LAT_TRACE_FRAME);
	T_ASSERT(!(r.have & (1u << LAT_F_FUSED)));
	T_EQ(r.f[LAT_F_FUSED], 0);
	/* "ts_ns" is not read out of "in_ts_ns" */
	T_EQ(lat_trace_parse("{\"event\":3,\"kind\":\"motion\",\"type\":\"start\","
			     "\"by\":\"pir\",\"in_ts_ns\":1000,\"in_ns\":1100,"
			     "\"emit_ns\":1150,\"sent_ns\":1190}", &r), LAT_TRACE_EVENT);
	T_EQ(r.id, 3);
	T_EQ(r.by, LAT_BY_PIR);
	T_EQ(r.f[LAT_F_TS], 1000);
	T_EQ(r.f[LAT_F_SENT], 1190);
	T_EQ(lat_events_add(&e, &r), 0);
	T_EQ(lat_trace_parse("{\"event\":4,\"by\":\"frame\",\"in_ts_ns\":5,"
			     "\"in_ns\":6,\"emit_ns\":7,\"sent_ns\":8}", &r), LAT_TRACE_EVENT);
	T_EQ(r.by, LAT_BY_FRAME);
	T_EQ(lat_events_add(&e, &r), 0);
	T_EQ(lat_trace_parse("{\"pir\":1,\"ts_ns\":1000,\"seq\":2,\"in_ns\":1100}", &r),
	     LAT_TRACE_PIR);
	T_EQ(r.id, 1);
	T_EQ(lat_events_add(&e, &r), 0);
	/* another id is not this event's; then its own line */
	T_EQ(lat_trace_parse("{\"synced\":9,\"off\":10,\"synced_ns\":9000}", &r),
	     LAT_TRACE_SYNCED);
	T_EQ(lat_events_add(&e, &r), 0);
	T_EQ(e.n, 0);
	T_EQ(lat_trace_parse("{\"synced\":3,\"off\":4096,\"synced_ns\":5000}", &r),
	     LAT_TRACE_SYNCED);
	T_EQ(r.f[LAT_F_OFF], 4096);
	T_EQ(lat_events_add(&e, &r), 0);
	T_EQ(e.n, 1);
	T_EQ(e.s[0][0], 100);	/* PIR IRQ -> vigild */
	T_EQ(e.s[1][0], 50);	/* -> fused */
	T_EQ(e.s[2][0], 40);	/* -> sinks returned */
	T_EQ(e.s[3][0], 3850);	/* fused -> synced */
	T_EQ(e.s[4][0], 4000);	/* PIR -> synced */
	T_EQ(e.events, 2);
	T_EQ(e.by_pir, 1);
	/* a PIR event never synced; one whose times go back is not counted */
	lat_trace_parse("{\"event\":5,\"by\":\"pir\",\"in_ts_ns\":10,\"in_ns\":11,"
			"\"emit_ns\":12,\"sent_ns\":13}", &r);
	T_EQ(lat_events_add(&e, &r), 0);
	lat_trace_parse("{\"event\":6,\"by\":\"pir\",\"in_ts_ns\":10,\"in_ns\":9,"
			"\"emit_ns\":12,\"sent_ns\":13}", &r);
	T_EQ(lat_events_add(&e, &r), 0);
	lat_trace_parse("{\"synced\":6,\"synced_ns\":20}", &r);
	T_EQ(lat_events_add(&e, &r), 0);
	lat_events_end(&e);
	T_EQ(e.n, 1);
	T_EQ(e.bad, 1);
	T_EQ(e.unsynced, 1);
	lat_events_free(&e);

	/* other lines and malformed ones */
	T_EQ(lat_trace_parse("{\"audio\":1}", &r), 0);
	T_EQ(lat_trace_parse("", &r), 0);
	T_EQ(lat_trace_parse("{\"frames\":1}", &r), 0);
	T_EQ(lat_trace_parse("{\"frame\":x,\"ts_ns\":1}", &r), -EINVAL);
	T_EQ(lat_trace_parse("{\"synced\":-1}", &r), -EINVAL);
}

int main(void)
{
	test_stats();
	test_hist();
	test_stages();
	test_trace();
	return t_done();
}
