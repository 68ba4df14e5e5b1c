// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vigil-lat's parsers (lib/latstat.c): the lines of a
 * vigild --trace file joined into the event stages, and the "stages" of a
 * vigil-lat result read back for vigil-lat compare.
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
	size_t n = 0;
	char err[256];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!lat_stages_parse(text, &st, &n, err, sizeof(err)))
		free(st);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const int k = lat_trace_parse(line, &r);

		if (k < -EINVAL || k > LAT_TRACE_SYNCED)
			__builtin_trap();
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
