// SPDX-License-Identifier: GPL-2.0-or-later
/* Frame formats: names, sizes, luma views. */
#include <stdint.h>

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
	return t_done();
}
