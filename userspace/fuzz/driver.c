// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Corpus-replay driver for the fuzz targets when libFuzzer is not used:
 *   fuzz-NAME [FILE|DIR...]   default: the target's corpus under
 *                             $VIGIL_SRCDIR (or ..)
 * Each input runs as is, then VIGIL_FUZZ_RUNS (default 300) deterministic
 * mutations of it: bit flips, byte changes, truncation, duplication.
 * Exit 0 when nothing crashed (sanitizers abort on their own).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static unsigned long inputs, runs;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void mutate_and_run(const uint8_t *data, size_t size, unsigned int n)
{
	uint8_t *buf = malloc(size * 2 + 16);
	uint64_t seed = 0x2545f4914f6cdd1dULL ^ size;

	if (!buf)
		return;
	for (unsigned int i = 0; i < n; i++) {
		size_t len = size;
		const unsigned int ops = 1 + (unsigned int)(rnd(&seed) % 4);

		memcpy(buf, data, size);
		for (unsigned int k = 0; k < ops; k++) {
			const uint64_t r = rnd(&seed);
			const size_t pos = len ? (size_t)(r >> 8) % len : 0;

			switch (r % 5) {
			case 0:
				if (len)
					buf[pos] ^= (uint8_t)(1u << (r >> 40 & 7));
				break;
			case 1:
				if (len)
					buf[pos] = (uint8_t)(r >> 32);
				break;
			case 2:
				len = pos;	/* truncate */
				break;
			case 3:
				if (len && len + 8 <= size * 2 + 16) {	/* duplicate 8 bytes */
					const size_t n8 = len - pos < 8 ? len - pos : 8;

					memmove(buf + pos + n8, buf + pos, len - pos);
					len += n8;
				}
				break;
			case 4:
				if (len)
					buf[pos] = (uint8_t)"0123456789 =\n:-.x"[r % 17];
				break;
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
		runs++;
	}
	free(buf);
}

static int run_file(const char *path, unsigned int mutations)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data;
	long size;

	if (!fp) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	data = malloc((size_t)size + 1);
	if (!data || fread(data, 1, (size_t)size, fp) != (size_t)size) {
		fclose(fp);
		free(data);
		return -1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	inputs++;
	runs++;
	mutate_and_run(data, (size_t)size, mutations);
	free(data);
	return 0;
}

static int run_path(const char *path, unsigned int mutations)
{
	struct stat st;
	struct dirent **list;
	int n, ret = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, mutations);
	n = scandir(path, &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char p[4096];

		if (list[i]->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", path, list[i]->d_name);
			ret |= run_file(p, mutations);
		}
		free(list[i]);
	}
	free(list);
	return ret;
}

int main(int argc, char **argv)
{
	const char *env = getenv("VIGIL_FUZZ_RUNS");
	const char *src = getenv("VIGIL_SRCDIR");
	const unsigned int mutations = env ? (unsigned int)atoi(env) : 300;
	int ret = 0;

	for (int i = 0; fuzz_seeds[i].data; i++) {
		LLVMFuzzerTestOneInput((const uint8_t *)fuzz_seeds[i].data,
				       fuzz_seeds[i].len);
		inputs++;
		runs++;
		mutate_and_run((const uint8_t *)fuzz_seeds[i].data,
			       fuzz_seeds[i].len, mutations);
	}
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			ret |= run_path(argv[i], mutations);
	} else {
		for (int i = 0; fuzz_corpus[i]; i++) {
			char p[4096];

			snprintf(p, sizeof(p), "%s/%s", src ? src : "..", fuzz_corpus[i]);
			ret |= run_path(p, mutations);
		}
	}
	printf("%lu inputs, %lu runs\n", inputs, runs);
	return ret || !inputs ? 1 : 0;
}
