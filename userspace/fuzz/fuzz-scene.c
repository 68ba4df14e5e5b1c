// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: scenario files, rendering a few frames of what parses. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "libvigil.h"
#include "vigil-internal.h"

const char *const fuzz_corpus[] = { "tests/scenarios",
				     "userspace/fuzz/corpus/scene", NULL };

const struct fuzz_seed fuzz_seeds[] = { { NULL, 0 } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *frame;
	struct vigil_pir_event ev[16];
	struct vigil_scene s;
	char path[64], err[256];
	int fd = memfd_create("scene", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!vigil_scene_load(&s, path, err, sizeof(err)) &&
	    (size_t)s.width * s.height <= 320 * 240) {
		if (!frame)
			frame = malloc(320 * 240);
		for (unsigned int n = 0; frame && n < s.frames && n < 3; n++)
			vigil_scene_render(&s, n * 17 % s.frames, frame);
		if (s.frames < 100000)
			vigil_scene_pir(&s, ev, 16);
	}
	close(fd);
	return 0;
}
