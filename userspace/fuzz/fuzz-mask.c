// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the PGM mask parser (mask_file), then a detector using it. */
#include "fuzz.h"
#include "libvigil.h"

const char *const fuzz_corpus[] = { NULL };

const struct fuzz_seed fuzz_seeds[] = {
	FUZZ_SEED("P5\n4 2\n255\n\x00\xff\x00\xff\x00\xff\x00\xff"),
	FUZZ_SEED("P5 # c\n2 1 65535\n\x00\x00\xff\xff"),
	FUZZ_SEED("P2\n# comment\n3 1\n15\n0 8 15\n"),
	{ NULL, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_detect_params p;
	struct vigil_detector *d = NULL;
	const char *why;

	vigil_detect_params_default(&p);
	if (vigil_detect_params_set_mask(&p, data, size, &why)) {
		if (!why)	/* every failure says why */
			__builtin_trap();
		return 0;
	}
	if (!vigil_detector_new(&p, 64, 48, &d))
		vigil_detector_free(d);
	return 0;
}
