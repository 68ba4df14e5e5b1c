/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz targets: each defines LLVMFuzzerTestOneInput() and its corpus. Built
 * with clang -fsanitize=fuzzer they are libFuzzer targets; built with
 * driver.c they replay the corpus plus deterministic mutations of it (what
 * make check runs, also under ASan+UBSan).
 */
#ifndef VIGIL_FUZZ_H
#define VIGIL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Corpus directories or files, relative to the source tree; NULL-ended. */
extern const char *const fuzz_corpus[];

/* Seed inputs compiled in (binary formats); ends with a NULL data. */
struct fuzz_seed {
	const char *data;
	size_t len;
};

extern const struct fuzz_seed fuzz_seeds[];

#define FUZZ_SEED(s) { (s), sizeof(s) - 1 }

#endif
