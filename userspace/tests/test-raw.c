// SPDX-License-Identifier: GPL-2.0-or-later
/* VIGIL-RAW header parser: good headers, and each way a header goes bad. */
#include "libvigil.h"
#include "vigil-internal.h"
#include "t.h"

#define S(x) x, sizeof(x) - 1

int main(void)
{
	struct vigil_raw_info in;
	const char *why;

	T_EQ(vigil_raw_header(S("VIGIL-RAW GREY 320 240\n...."), &in, &why), 0);
	T_EQ(in.fmt, VIGIL_FMT_GREY);
	T_EQ(in.width, 320);
	T_EQ(in.height, 240);
	T_EQ(in.header_len, 23);
	T_EQ(in.frame_size, 320 * 240);
	T_EQ(vigil_raw_header(S("VIGIL-RAW NV12 64 48\r\n"), &in, &why), 0);
	T_EQ(in.frame_size, 64 * 48 * 3 / 2);
	T_ASSERT(vigil_raw_is(S("VIGIL-RAW")));
	T_ASSERT(!vigil_raw_is(S("VIGIL-RA")));

	T_EQ(vigil_raw_header(S("YUV4MPEG2 W1 H1\n"), &in, &why), -EBADMSG);
	T_STRSTR(why, "not a VIGIL-RAW file");
	T_EQ(vigil_raw_header(S("VIGIL-RAW GREY 320 240"), &in, &why), -EBADMSG);
	T_STRSTR(why, "not terminated");
	T_EQ(vigil_raw_header(S("VIGIL-RAW GREY 320\n"), &in, &why), -EBADMSG);
	T_STRSTR(why, "garbled");
	T_EQ(vigil_raw_header(S("VIGIL-RAW GREY 320 240 30\n"), &in, &why), -EBADMSG);
	T_EQ(vigil_raw_header(S("VIGIL-RAW RGB3 320 240\n"), &in, &why), -EBADMSG);
	T_EQ(vigil_raw_header(S("VIGIL-RAW GREY\0 320 240\n"), &in, &why), -EBADMSG);
	T_EQ(vigil_raw_header(S("VIGIL-RAW GREY 0 240\n"), &in, &why), -EINVAL);
	T_STRSTR(why, "out of range");
	T_EQ(vigil_raw_header(S("VIGIL-RAW GREY 4294967295 2\n"), &in, &why), -EINVAL);
	return t_done();
}
