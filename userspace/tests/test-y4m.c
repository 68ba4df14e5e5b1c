// SPDX-License-Identifier: GPL-2.0-or-later
/* Y4M reader: good streams, truncated and garbled ones. */
#include <stdint.h>

#include "libvigil.h"
#include "t.h"

static size_t t_make(char *buf, size_t len, const char *hdr, int frames,
		     size_t fsize)
{
	size_t pos = (size_t)snprintf(buf, len, "%s", hdr);

	for (int i = 0; i < frames; i++) {
		pos += (size_t)snprintf(buf + pos, len - pos, "FRAME\n");
		memset(buf + pos, 16 * (i + 1), fsize);
		pos += fsize;
	}
	return pos;
}

int main(void)
{
	static char buf[65536];
	const struct vigil_y4m_info *in;
	struct vigil_y4m *y;
	const uint8_t *data;
	const char *err;
	size_t len;
	char hdr[128];
	struct vigil_y4m_info wi = { .width = 16, .height = 8, .fps_num = 15,
				     .fps_den = 1, .fmt = VIGIL_FMT_GREY };

	/* writer header round-trips through the reader */
	T_ASSERT(vigil_y4m_format_header(hdr, sizeof(hdr), &wi) > 0);
	T_STRSTR(hdr, "Cmono");
	{
		char small[10];

		T_EQ(vigil_y4m_format_header(small, sizeof(small), &wi), -ENOSPC);
	}
	len = t_make(buf, sizeof(buf), hdr, 3, 16 * 8);
	T_EQ(vigil_y4m_new(buf, len, &y, &err), 0);
	if (!y)
		return t_done();
	in = vigil_y4m_info(y);
	T_EQ(in->width, 16);
	T_EQ(in->height, 8);
	T_EQ(in->fps_num, 15);
	T_EQ(in->fmt, VIGIL_FMT_GREY);
	T_EQ(in->frame_size, 128);
	for (int i = 0; i < 3; i++) {
		T_EQ(vigil_y4m_next(y, &data), 0);
		T_EQ(data[0], 16 * (i + 1));
		/* in place: the payload is inside the mapped buffer */
		T_ASSERT(data > (const uint8_t *)buf && data < (const uint8_t *)buf + len);
	}
	T_EQ(vigil_y4m_next(y, &data), -ENODATA);
	vigil_y4m_rewind(y);
	T_EQ(vigil_y4m_frame_index(y), 0);
	T_EQ(vigil_y4m_next(y, &data), 0);
	T_EQ(data[0], 16);

	/* truncated in the last frame's payload */
	vigil_y4m_free(y);
	T_EQ(vigil_y4m_new(buf, len - 10, &y, &err), 0);
	T_EQ(vigil_y4m_next(y, &data), 0);
	T_EQ(vigil_y4m_next(y, &data), 0);
	T_EQ(vigil_y4m_next(y, &data), -EPIPE);
	T_STRSTR(vigil_y4m_error(y), "truncated");
	vigil_y4m_free(y);

	/* truncated inside a frame header */
	T_EQ(vigil_y4m_new(buf, strlen(hdr) + 3, &y, &err), 0);
	T_EQ(vigil_y4m_next(y, &data), -EPIPE);
	vigil_y4m_free(y);

	/* garbled frame header */
	len = t_make(buf, sizeof(buf), hdr, 2, 128);
	memcpy(buf + strlen(hdr) + 6 + 128, "FRAXE", 5);
	T_EQ(vigil_y4m_new(buf, len, &y, &err), 0);
	T_EQ(vigil_y4m_next(y, &data), 0);
	T_EQ(vigil_y4m_next(y, &data), -EBADMSG);
	T_STRSTR(vigil_y4m_error(y), "garbled");
	vigil_y4m_free(y);

	/* 4:2:0 with frame parameters and default rate */
	len = t_make(buf, sizeof(buf), "YUV4MPEG2 W4 H2 C420mpeg2 XYSCSS=420\n", 0, 0);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "FRAME Ixyz\n");
	memset(buf + len, 1, 12);
	len += 12;
	T_EQ(vigil_y4m_new(buf, len, &y, &err), 0);
	T_EQ(vigil_y4m_info(y)->fmt, VIGIL_FMT_I420);
	T_EQ(vigil_y4m_info(y)->fps_num, 25);
	T_EQ(vigil_y4m_next(y, &data), 0);
	T_EQ(vigil_y4m_next(y, &data), -ENODATA);
	vigil_y4m_free(y);

	/* bad stream headers */
	T_EQ(vigil_y4m_new("GIF89a", 6, &y, &err), -EBADMSG);
	T_STRSTR(err, "magic");
	T_ASSERT(y == NULL);
	T_EQ(vigil_y4m_new("YUV4MPEG2 W16 H8", 16, &y, &err), -EBADMSG);
	T_STRSTR(err, "not terminated");
	T_EQ(vigil_y4m_new("YUV4MPEG2 W16\n", 14, &y, &err), -EBADMSG);
	T_EQ(vigil_y4m_new("YUV4MPEG2 Wx H8\n", 16, &y, &err), -EBADMSG);
	T_EQ(vigil_y4m_new("YUV4MPEG2 W16 H8 C444\n", 22, &y, &err), -ENOTSUP);
	T_EQ(vigil_y4m_new("YUV4MPEG2 W16 H8 It\n", 20, &y, &err), -ENOTSUP);
	/* 10-bit and deeper samples are refused, not read as 8-bit pixels */
	T_EQ(vigil_y4m_new("YUV4MPEG2 W16 H8 C420p10\n", 25, &y, &err), -ENOTSUP);
	T_STRSTR(err, "more than 8 bits per sample");
	T_EQ(vigil_y4m_new("YUV4MPEG2 W16 H8 Cmono16\n", 25, &y, &err), -ENOTSUP);
	T_STRSTR(err, "more than 8 bits per sample");
	/* the 8-bit 4:2:0 siting variants are fine */
	T_EQ(vigil_y4m_new("YUV4MPEG2 W16 H8 C420paldv\n", 27, &y, &err), 0);
	T_EQ(vigil_y4m_info(y)->fmt, VIGIL_FMT_I420);
	vigil_y4m_free(y);
	T_EQ(vigil_y4m_new("YUV4MPEG2 W16 H8 C420jpeg\n", 26, &y, &err), 0);
	vigil_y4m_free(y);
	T_EQ(vigil_y4m_new("YUV4MPEG2 W16 H8 F0:1\n", 22, &y, &err), -EBADMSG);
	return t_done();
}
