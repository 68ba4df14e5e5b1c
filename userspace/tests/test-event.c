// SPDX-License-Identifier: GPL-2.0-or-later
/* Event JSON formatting and PIR side-file lines. */
#include <stdint.h>

#include "libvigil.h"
#include "t.h"

int main(void)
{
	struct vigil_event ev = {
		.type = VIGIL_EVENT_END, .policy = VIGIL_POLICY_PIR_AND_VIDEO,
		.id = 7, .ts_ns = 5000000000ULL, .frame = 75,
		.start_ns = 2000000000ULL, .end_ns = 3500000000ULL,
		.score = 0.05, .max_score = 0.125, .area = 4096, .nboxes = 2,
		.boxes = { { 8, 16, 32, 64, 2048 }, { 100, 0, 8, 8, 64 } },
		.motion_frames = 12, .pir_count = 1, .pir_valid = true,
		.pir_ts_ns = 1990000000ULL, .pir_level = 0,
		.pir_delta_ns = -10000000,
	};
	struct vigil_pir_event pe;
	char buf[1024];
	int n;

	n = vigil_event_json(&ev, buf, sizeof(buf));
	T_ASSERT(n > 0);
	T_EQ(strlen(buf), n);
	T_EQ(buf[n - 1], '\n');
	T_STRSTR(buf, "{\"event\":\"end\",\"id\":7,\"ts_ns\":5000000000,\"frame\":75");
	T_STRSTR(buf, "\"policy\":\"pir-and-video\"");
	T_STRSTR(buf, "\"duration_ms\":1500.0");
	T_STRSTR(buf, "\"max_score\":0.1250");
	T_STRSTR(buf, "\"boxes\":[[8,16,32,64],[100,0,8,8]]");
	T_STRSTR(buf, "\"pir\":{\"ts_ns\":1990000000,\"level\":0,\"delta_ms\":-10.0,\"count\":1,\"lost\":0}}");
	T_EQ(vigil_event_json(&ev, buf, 40), -ENOSPC);

	ev.type = VIGIL_EVENT_START;
	ev.pir_valid = false;
	ev.nboxes = 0;
	n = vigil_event_json(&ev, buf, sizeof(buf));
	T_ASSERT(n > 0);
	T_STRSTR(buf, "\"event\":\"start\"");
	T_STRSTR(buf, "\"boxes\":[],\"pir\":null}");
	T_ASSERT(!strstr(buf, "duration_ms"));

	T_EQ(vigil_pir_parse_line("1.5 1\n", &pe), 1);
	T_EQ(pe.ts_ns, 1500000000ULL);
	T_EQ(pe.level, 1);
	T_EQ(vigil_pir_parse_line("  2 0  # falls\n", &pe), 1);
	T_EQ(pe.level, 0);
	T_EQ(pe.ts_ns, 2000000000ULL);
	T_EQ(vigil_pir_parse_line("# comment\n", &pe), 0);
	T_EQ(vigil_pir_parse_line("\n", &pe), 0);
	T_EQ(vigil_pir_parse_line("1.5 2\n", &pe), -EINVAL);
	T_EQ(vigil_pir_parse_line("-1 1\n", &pe), -EINVAL);
	T_EQ(vigil_pir_parse_line("abc 1\n", &pe), -EINVAL);
	T_EQ(vigil_pir_parse_line("1.0\n", &pe), -EINVAL);
	T_EQ(vigil_pir_parse_line("1.0 1 junk\n", &pe), -EINVAL);
	return t_done();
}
