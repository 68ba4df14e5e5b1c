// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the VIGIL-RAW header parser, and the detector on the frames. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "libvigil.h"
#include "vigil-internal.h"

const char *const fuzz_corpus[] = { "userspace/fuzz/corpus/raw", NULL };

const struct fuzz_seed fuzz_seeds[] = { { NULL, 0 } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_detect_params p;
	struct vigil_detector *d = NULL;
	struct vigil_raw_info in;
	const char *why;
	size_t pos;
	int n = 0;

	if (vigil_raw_header(data, size, &in, &why)) {
		if (!why || !*why)
			__builtin_trap();	/* every failure says why */
		return 0;
	}
	if (in.header_len > size || !in.frame_size)
		__builtin_trap();
	vigil_detect_params_default(&p);
	p.warmup_s = 0.1;
	p.min_motion_s = 0;
	/* keep each run fast: detect on small frames only */
	if ((size_t)in.width * in.height <= 256 * 256)
		vigil_detector_new(&p, in.width, in.height, &d);
	for (pos = in.header_len; n++ < 64 && size - pos >= in.frame_size;
	     pos += in.frame_size) {
		struct vigil_frame f;
		struct vigil_detect_result r;

		if (d && !vigil_frame_view(&f, in.fmt, in.width, in.height, 0,
					   data + pos, in.frame_size))
			vigil_detector_process(d, &f, &r);
	}
	vigil_detector_free(d);
	return 0;
}
