// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the Y4M reader, and the detector on what it yields. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "libvigil.h"

const char *const fuzz_corpus[] = { NULL };

#define ROW16 "\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0\xff"
const struct fuzz_seed fuzz_seeds[] = {
	FUZZ_SEED("YUV4MPEG2 W16 H8 F15:1 Ip A1:1 Cmono\n"
		  "FRAME\n" ROW16 ROW16 ROW16 ROW16 ROW16 ROW16 ROW16 ROW16
		  "FRAME\n" ROW16 ROW16 ROW16 ROW16 ROW16 ROW16 ROW16 ROW16),
	FUZZ_SEED("YUV4MPEG2 W8 H4 C420jpeg XYSCSS=420JPEG\n"
		  "FRAME Ixyz\n" ROW16 ROW16 ROW16),
	FUZZ_SEED("YUV4MPEG2 W32 H32 F30000:1001 C420mpeg2\nFRAME\n"),
	{ NULL, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vigil_y4m_info *in;
	struct vigil_detect_params p;
	struct vigil_detector *d = NULL;
	struct vigil_y4m *y;
	const uint8_t *frame;
	const char *err;
	int n = 0;

	if (vigil_y4m_new(data, size, &y, &err))
		return 0;
	in = vigil_y4m_info(y);
	vigil_detect_params_default(&p);
	p.warmup_s = 0.1;
	p.min_motion_s = 0;
	/* keep each run fast: detect on small frames only */
	if ((size_t)in->width * in->height <= 256 * 256)
		vigil_detector_new(&p, in->width, in->height, &d);
	while (n++ < 64 && !vigil_y4m_next(y, &frame)) {
		struct vigil_frame f;
		struct vigil_detect_result r;

		if (d && !vigil_frame_view(&f, in->fmt, in->width, in->height, 0,
					   frame, in->frame_size))
			vigil_detector_process(d, &f, &r);
	}
	(void)vigil_y4m_error(y);
	vigil_detector_free(d);
	vigil_y4m_free(y);
	return 0;
}
