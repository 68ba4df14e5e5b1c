// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reference XXH3-64 values from libxxhash for tests/web/node/xxh3.mjs:
 * "LENGTH HEX" for every length 0..3000 and some up to 1 MiB, of the
 * buffer b[i] = (i * 2654435761 mod 2^32) >> 13 (low byte); every length
 * path of XXH3 (0, 1-3, 4-8, 9-16, 17-128, 129-240, long with and without
 * a partial block) is covered.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

int main(void)
{
	const size_t max = 1 << 20;
	unsigned char *b = malloc(max);

	if (!b)
		return 1;
	for (size_t i = 0; i < max; i++)
		b[i] = (unsigned char)((uint32_t)(i * 2654435761u) >> 13);
	for (size_t l = 0; l <= max; l += l < 3000 ? 1 : 65521)
		printf("%zu %016llx\n", l, (unsigned long long)XXH3_64bits(b, l));
	printf("%zu %016llx\n", max, (unsigned long long)XXH3_64bits(b, max));
	free(b);
	return 0;
}
