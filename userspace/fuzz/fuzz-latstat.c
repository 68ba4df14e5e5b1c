// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vigil-lat's parsers (lib/latstat.c): the lines of a
 * vigild --trace file joined into the event stages, the "stages" of a
 * vigil-lat result read back for vigil-lat compare, and the tracefs
 * records of vigil-lat ktrace with the frame split over them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "latstat.h"

const char *const fuzz_corpus[] = { NULL };

const struct fuzz_seed fuzz_seeds[] = {
	FUZZ_SEED("{\"pir\":1,\"ts_ns\":1000,\"seq\":0,\"frame\":0,\"lost\":0,\"in_ns\":1100}\n"
		  "{\"event\":1,\"kind\":\"motion\",\"type\":\"start\",\"by\":\"pir\","
		  "\"in_ts_ns\":1000,\"in_ns\":1100,\"emit_ns\":1150,\"sent_ns\":1190}\n"
		  "{\"frame\":3,\"ts_ns\":900,\"motion\":0,\"in_ns\":950,\"done_ns\":990,\"fused_ns\":995}\n"
		  "{\"synced\":1,\"off\":257,\"synced_ns\":5000}\n"),
	FUZZ_SEED("{\"event\":2,\"by\":\"frame\",\"in_ts_ns\":18446744073709551615,"
		  "\"in_ns\":0,\"emit_ns\":1,\"sent_ns\":2}\n{\"synced\":2}\n{\"frame\":x}\n"),
	FUZZ_SEED("  <idle>-0 [001] d.h2. 100.000010: vb2_buf_done: index = 1, timestamp = 100000004567\n"
		  " x-9 [001] d..3. 100.000012: sched_waking: comm=vigild pid=42 prio=120\n"
		  " y-7 [000] d..2. 100.000050: sched_switch: prev_pid=7 ==> next_comm=vigild next_pid=42\n"
		  " vigild-42 [000] ..... 100.000060: io_uring_complete: ring 0, req 0, "
		  "user_data 0x100000001, result 65, cflags 0x2 extra1 0\n"
		  " vigild-42 [000] ..... 100.000080: v4l2_dqbuf: minor = 0, timestamp = 100000004567\n"
		  "{\"frame\":1,\"ts_ns\":100000004000,\"in_ns\":100000095000,\"done_ns\":100000096000}\n"),
	FUZZ_SEED("{\"tool\":\"vigil-lat\",\"stages\":[{\"stage\":\"pir.v4l2\",\"count\":3,"
		  "\"min_ns\":1,\"p50_ns\":2,\"p99_ns\":3,\"max_ns\":3}]}"),
	{ NULL, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL;
	struct lat_events e = { 0 };
	struct lat_stage *st = NULL;
	struct lat_trace_rec r;
	struct lat_krec kr[64];
	uint64_t out[LAT_FSPLIT_N];
	size_t n = 0, nk = 0;
	char err[256];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!lat_stages_parse(text, &st, &n, err, sizeof(err)))
		free(st);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const int k = lat_trace_parse(line, &r);
		const int kk = lat_krec_parse(line, &kr[nk < 64 ? nk : 63]);

		if (k < -EINVAL || k > LAT_TRACE_SYNCED)
			__builtin_trap();
		if (kk < -EINVAL || kk > LAT_K_CQE)
			__builtin_trap();
		if (kk > 0 && nk < 64) {
			kr[nk].seq = nk;
			nk++;
		}
		/* every frame split over the records so far (sorted or not) */
		if (k == LAT_TRACE_FRAME) {
			int pid;
			const enum lat_fsplit_result res =
				lat_fsplit_frame(kr, nk, r.f[LAT_F_TS], r.f[LAT_F_IN],
						 lat_fsplit_tag(kr, nk), out, &pid);

			if (res > LAT_FS_NO_CQE)
				__builtin_trap();
		}
		if (k > 0 && lat_events_add(&e, &r))
			break;
	}
	lat_events_end(&e);
	/* every sample is of a PIR alarm with its synced line */
	if (e.n > e.by_pir || e.by_pir > e.events || e.n + e.unsynced + e.bad > e.by_pir)
		__builtin_trap();
	lat_events_free(&e);
	free(text);
	return 0;
}
