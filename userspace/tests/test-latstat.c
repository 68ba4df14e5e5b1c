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

/* tracefs text records (vigil-lat ktrace) and the frame split */
#define KT_DONE(ts, buf) \
	"          <idle>-0       [001] d.h2.   " ts ": vb2_buf_done: owner = 00000000a1b2c3d4, " \
	"queued = 3, owned_by_drv = 3, index = 1, type = 1, bytesused = 19200, timestamp = " buf
#define KT_WAKE(ts) \
	"     irq/45-vigil-60    [001] d..3.   " ts ": sched_waking: comm=vigild pid=42 prio=120 target_cpu=000"
#define KT_RUN(ts) \
	"       stress-ng-77     [000] d..2.   " ts ": sched_switch: prev_comm=stress-ng prev_pid=77 " \
	"prev_prio=120 prev_state=R ==> next_comm=vigild next_pid=42 next_prio=120"
#define KT_CQE_TAG(ts, tag, res, cflags) \
	"          vigild-42     [000] .....   " ts ": io_uring_complete: ring 00000000deadbeef, " \
	"req 0000000000000000, user_data 0x" tag ", result " res ", cflags " cflags " extra1 0 extra2 0 "
#define KT_CQE(ts, res, cflags) KT_CQE_TAG(ts, "100000001", res, cflags)
#define KT_DQ(ts, buf) \
	"          vigild-42     [000] .....   " ts ": v4l2_dqbuf: minor = 0, index = 1, " \
	"type = VIDEO_CAPTURE, bytesused = 19200, flags = MAPPED|DONE|TIMESTAMP_MONOTONIC, " \
	"field = NONE, timestamp = " buf ", timecode = { type = 0, flags = 0, frames = 0, " \
	"seconds = 0, minutes = 0, hours = 0, userbits = { 0 0 0 0 } }, sequence = 7"

static void test_ktrace(void)
{
	static const char *const lines[] = {
		/* frame 1: asleep, woken, run, its poll CQE, DQBUF */
		KT_DONE("100.000010", "100000004567"),
		KT_WAKE("100.000012"),
		KT_RUN("100.000050"),
		KT_CQE("100.000055", "-62", "0x0"),	/* a timeout first: not the poll's */
		KT_CQE_TAG("100.000057", "a00000600", "1", "0x2"),	/* another fd's poll */
		KT_CQE("100.000060", "65", "0x2"),
		KT_DQ("100.000080", "100000004567"),
		/* frame 2: done while the loop still runs (no wake-up) */
		KT_DONE("100.000085", "100000083000"),
		KT_DQ("100.000090", "100000083000"),
		/* frame 3: woken, run, but no poll CQE before DQBUF (a tick's drain) */
		KT_DONE("100.033000", "100033000000"),
		KT_WAKE("100.033001"),
		KT_RUN("100.033002"),
		KT_CQE("100.033003", "-62", "0x0"),
		KT_DQ("100.033010", "100033000000"),
	};
	struct lat_krec r[sizeof(lines) / sizeof(lines[0])];
	uint64_t out[LAT_FSPLIT_N], tag;
	size_t i;
	int pid = -1;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		T_ASSERT(lat_krec_parse(lines[i], &r[i]) > 0);
		r[i].seq = i;
	}
	T_EQ(r[0].kind, LAT_K_BUF_DONE);
	T_EQ(r[0].ts, 100000010000ull);
	T_EQ(r[0].buf_ns, 100000004567ull);
	T_EQ(r[0].cpu, 1);
	T_EQ(r[0].pid, 0);
	T_EQ(r[1].kind, LAT_K_WAKING);
	T_EQ(r[1].target, 42);
	T_EQ(r[1].pid, 60);		/* "irq/45-vigil-60": the last dash */
	T_EQ(r[2].kind, LAT_K_SWITCH);
	T_EQ(r[2].target, 42);		/* next_pid, not prev_pid */
	T_EQ(r[2].pid, 77);
	T_EQ(r[3].kind, LAT_K_CQE);
	T_EQ(r[3].res, -62);
	T_EQ(r[4].user_data, 0xa00000600ull);
	T_EQ(r[5].user_data, 0x100000001ull);
	T_EQ(r[5].res, 65);
	T_EQ(r[5].cflags, 2);
	T_EQ(r[5].pid, 42);
	T_EQ(r[6].kind, LAT_K_DQBUF);
	T_EQ(r[6].buf_ns, 100000004567ull);

	/* the video poll: the CQE before each DQBUF (frame 3's is a timeout) */
	tag = lat_fsplit_tag(r, 14);
	T_EQ(tag, 0x100000001ull);
	/* the buffer timestamp as V4L2 reports it: microseconds */
	T_EQ(lat_fsplit_frame(r, 14, 100000004000ull, 100000095000ull, tag, out, &pid), LAT_FS_OK);
	T_EQ(pid, 42);
	T_EQ(out[0], 5433);	/* EOF -> buf done */
	T_EQ(out[1], 2000);	/* -> loop woken */
	T_EQ(out[2], 38000);	/* -> loop runs */
	T_EQ(out[3], 10000);	/* -> its poll CQE */
	T_EQ(out[4], 20000);	/* -> DQBUF */
	T_EQ(out[5], 15000);	/* -> callback */
	/* without the tag, another fd's poll CQE would end run-to-cqe */
	T_EQ(lat_fsplit_frame(r, 14, 100000004000ull, 100000095000ull, 0, out, &pid), LAT_FS_OK);
	T_EQ(out[3], 7000);
	T_EQ(lat_fsplit_frame(r, 14, 100000083000ull, 100000091000ull, tag, out, &pid),
	     LAT_FS_NOT_WOKEN);
	T_EQ(lat_fsplit_frame(r, 14, 100033000000ull, 100033011000ull, tag, out, &pid),
	     LAT_FS_NO_CQE);
	/* no record of that buffer; or its DQBUF after the callback time */
	T_EQ(lat_fsplit_frame(r, 14, 100050000000ull, 100050010000ull, tag, out, &pid),
	     LAT_FS_UNMATCHED);
	T_EQ(lat_fsplit_frame(r, 14, 100000004000ull, 100000070000ull, tag, out, &pid),
	     LAT_FS_UNMATCHED);
	T_EQ(lat_fsplit_frame(r, 0, 100000004000ull, 100000095000ull, tag, out, &pid),
	     LAT_FS_UNMATCHED);

	/* a clock printing nanoseconds */
	T_EQ(lat_krec_parse(KT_WAKE("7.000000100"), &r[0]), LAT_K_WAKING);
	T_EQ(r[0].ts, 7000000100ull);
	/* other lines; a known event without its field; a broken time */
	T_EQ(lat_krec_parse("# tracer: nop", &r[0]), 0);
	T_EQ(lat_krec_parse("", &r[0]), 0);
	T_EQ(lat_krec_parse("  bash-1 [000] .... 1.000001: irq_handler_entry: irq=5 name=x",
			    &r[0]), 0);
	T_EQ(lat_krec_parse("  vigild-42 [000] .... 1.000001: v4l2_dqbuf: minor = 0", &r[0]),
	     -EINVAL);
	T_EQ(lat_krec_parse("  vigild-42 [000] .... 1.x: sched_waking: pid=1", &r[0]), -EINVAL);
	T_EQ(lat_krec_parse("  vigild [000] .... 1.000001: sched_waking: comm=a pid=1", &r[0]),
	     -EINVAL);
	T_EQ(lat_krec_parse("  vigild-42 [000] .... 1.000001: io_uring_complete: ring 0, "
			    "user_data 0x1, result x, cflags 0x0", &r[0]), -EINVAL);
}

int main(void)
{
	test_stats();
	test_hist();
	test_stages();
	test_trace();
	test_ktrace();
	return t_done();
}
