// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-lat's statistics (lib/latstat.c): nearest-rank percentiles, the
 * cyclictest -h histogram text, and reading back / comparing the stages of
 * a result, including malformed input.
 */
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

int main(void)
{
	test_stats();
	test_hist();
	test_stages();
	return t_done();
}
