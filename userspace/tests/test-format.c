// SPDX-License-Identifier: GPL-2.0-or-later
/* Frame formats: names, sizes, luma and colour views, packing. */
#include <stdint.h>
#include <string.h>

#include "libvigil.h"
#include "t.h"

int main(void)
{
	enum vigil_pixfmt f;
	struct vigil_frame fr;
	static uint8_t buf[64 * 48 * 2];
	size_t sz;

	T_EQ(vigil_pixfmt_from_name("nv12", &f), 0);
	T_EQ(f, VIGIL_FMT_NV12);
	T_EQ(vigil_pixfmt_from_name("GREY", &f), 0);
	T_EQ(f, VIGIL_FMT_GREY);
	T_EQ(vigil_pixfmt_from_name("RGB3", &f), -EINVAL);
	T_ASSERT(!strcmp(vigil_pixfmt_name(VIGIL_FMT_YUYV), "YUYV"));

	T_EQ(vigil_pixfmt_frame_size(VIGIL_FMT_GREY, 64, 48, &sz), 0);
	T_EQ(sz, 64 * 48);
	T_EQ(vigil_pixfmt_frame_size(VIGIL_FMT_NV12, 64, 48, &sz), 0);
	T_EQ(sz, 64 * 48 * 3 / 2);
	T_EQ(vigil_pixfmt_frame_size(VIGIL_FMT_I420, 5, 3, &sz), 0);
	T_EQ(sz, 15 + 2 * 3 * 2);
	T_EQ(vigil_pixfmt_frame_size(VIGIL_FMT_YUYV, 64, 48, &sz), 0);
	T_EQ(sz, 64 * 48 * 2);
	T_EQ(vigil_pixfmt_frame_size(VIGIL_FMT_GREY, 0, 48, &sz), -EINVAL);

	/* views point into the buffer; no copy */
	T_EQ(vigil_frame_view(&fr, VIGIL_FMT_NV12, 64, 48, 0, buf, 64 * 48 * 3 / 2), 0);
	T_ASSERT(fr.luma == buf);
	T_EQ(fr.stride, 64);
	T_EQ(fr.step, 1);
	T_EQ(vigil_frame_view(&fr, VIGIL_FMT_YUYV, 64, 48, 0, buf, sizeof(buf)), 0);
	T_EQ(fr.stride, 128);
	T_EQ(fr.step, 2);
	/* padded stride: last row need not be padded */
	T_EQ(vigil_frame_view(&fr, VIGIL_FMT_GREY, 60, 48, 64, buf, 64 * 47 + 60), 0);
	T_EQ(vigil_frame_view(&fr, VIGIL_FMT_GREY, 60, 48, 64, buf, 64 * 47 + 59), -EMSGSIZE);
	T_EQ(vigil_frame_view(&fr, VIGIL_FMT_GREY, 64, 48, 32, buf, sizeof(buf)), -EINVAL);

	/* colour planes: V4L2's single-plane layouts, padded stride 72 */
	T_EQ(vigil_frame_view(&fr, VIGIL_FMT_NV12, 64, 48, 72, buf, 72 * 48 + 72 * 23 + 64), 0);
	T_EQ(fr.fmt, VIGIL_FMT_NV12);
	T_EQ(fr.nplanes, 2);
	T_ASSERT(fr.plane[0] == buf && fr.plane[1] == buf + 72 * 48);
	T_EQ(fr.pitch[1], 72);
	T_EQ(vigil_frame_view(&fr, VIGIL_FMT_NV12, 64, 48, 72, buf, 72 * 48 + 72 * 23 + 63),
	     -EMSGSIZE);
	T_EQ(vigil_frame_view(&fr, VIGIL_FMT_YV12, 64, 48, 72, buf, sizeof(buf)), 0);
	T_EQ(fr.nplanes, 3);
	T_ASSERT(fr.plane[2] == buf + 72 * 48 + 36 * 24);
	T_EQ(fr.pitch[2], 36);
	T_EQ(vigil_frame_view(&fr, VIGIL_FMT_UYVY, 64, 48, 0, buf, sizeof(buf)), 0);
	T_ASSERT(fr.nplanes == 1 && fr.plane[0] == buf && fr.luma == buf + 1);
	/* packing: strides dropped, planes kept in the format's order */
	{
		static uint8_t out[64 * 48 * 2];

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * 7 + i / 72);
		T_EQ(vigil_frame_view(&fr, VIGIL_FMT_I420, 64, 48, 72, buf, sizeof(buf)), 0);
		T_EQ(vigil_frame_pack(&fr, VIGIL_FMT_I420, out, 64 * 48 * 3 / 2 - 1), -ENOSPC);
		T_EQ(vigil_frame_pack(&fr, VIGIL_FMT_NV12, out, sizeof(out)), -EINVAL);
		T_EQ(vigil_frame_pack(&fr, VIGIL_FMT_I420, out, sizeof(out)), 0);
		T_EQ(memcmp(out + 64 * 47, buf + 72 * 47, 64), 0);
		T_EQ(memcmp(out + 64 * 48 + 32 * 5, buf + 72 * 48 + 36 * 5, 32), 0);
		T_EQ(memcmp(out + 64 * 48 + 32 * 24 + 32 * 23, buf + 72 * 48 + 36 * 24 + 36 * 23,
			    32), 0);
		/* GREY from a packed format: the luma alone */
		T_EQ(vigil_frame_view(&fr, VIGIL_FMT_YUYV, 64, 48, 0, buf, sizeof(buf)), 0);
		T_EQ(vigil_frame_pack(&fr, VIGIL_FMT_GREY, out, sizeof(out)), 0);
		T_EQ(out[64 * 10 + 3], buf[128 * 10 + 6]);
		/* a luma-only view (nplanes 0) is GREY */
		fr.nplanes = 0;
		T_EQ(vigil_frame_format(&fr), VIGIL_FMT_GREY);
		T_EQ(vigil_frame_pack(&fr, VIGIL_FMT_YUYV, out, sizeof(out)), -EINVAL);
	}
	return t_done();
}
