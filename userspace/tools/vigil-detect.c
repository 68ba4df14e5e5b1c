// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-detect: run the detector over a Y4M file and print its result for
 * every frame, for comparisons with other detectors on real footage.
 *
 *   vigil-detect [-s KEY=VALUE]... FILE.y4m
 *
 * Each -s sets one [detector] key as vigild.conf would. One line per frame:
 * "<frame> <motion> <raw_motion> <learning> <global_change> <tamper>
 * <nblobs> <score>", then "x,y,w,h" of each box (largest first).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libvigil.h"
#include "vigil-internal.h"

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: vigil-detect [-s KEY=VALUE]... FILE.y4m\n"
"  -s KEY=VALUE   a [detector] setting, as in vigild.conf\n"
"Prints: frame motion raw learning global tamper nblobs score x,y,w,h...\n");
}

int main(int argc, char **argv)
{
	struct vigil_config cfg;
	const struct vigil_y4m_info *info;
	struct vigil_detector *det = NULL;
	struct vigil_y4m *y = NULL;
	const char *err = NULL;
	const uint8_t *data;
	struct stat st;
	void *map;
	int fd, c, ret;

	vigil_config_default(&cfg);
	while ((c = getopt(argc, argv, "hs:")) != -1) {
		char *eq;

		switch (c) {
		case 's':
			eq = strchr(optarg, '=');
			if (!eq) {
				fprintf(stderr, "vigil-detect: -s wants KEY=VALUE, got '%s'\n", optarg);
				return 2;
			}
			*eq = '\0';
			ret = vigil_config_set(&cfg, "detector", optarg, eq + 1, &err);
			if (ret) {
				fprintf(stderr, "vigil-detect: %s '%s': %s\n",
					ret == -ENOENT ? "unknown key" : "bad value for", optarg,
					err ? err : strerror(-ret));
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "vigil-detect: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "vigil-detect: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	ret = vigil_y4m_new(map, (size_t)st.st_size, &y, &err);
	if (ret) {
		fprintf(stderr, "vigil-detect: %s: %s\n", argv[optind], err ? err : strerror(-ret));
		return 1;
	}
	info = vigil_y4m_info(y);
	ret = vigil_detector_new(&cfg.detect, info->width, info->height, &det);
	if (ret) {
		fprintf(stderr, "vigil-detect: detector for %ux%u: %s\n", info->width,
			info->height, strerror(-ret));
		goto out;
	}
	for (uint32_t n = 0;; n++) {
		struct vigil_detect_result r;
		struct vigil_frame f;

		ret = vigil_y4m_next(y, &data);
		if (ret == -ENODATA) {
			ret = 0;
			break;
		}
		if (ret) {
			fprintf(stderr, "vigil-detect: frame %u: %s\n", n, vigil_y4m_error(y));
			break;
		}
		ret = vigil_frame_view(&f, info->fmt, info->width, info->height, 0, data,
				       info->frame_size);
		if (ret)
			break;
		f.seq = n;
		f.ts_ns = (uint64_t)n * 1000000000ULL * info->fps_den /
			  (info->fps_num ? info->fps_num : 30);
		ret = vigil_detector_process(det, &f, &r);
		if (ret) {
			fprintf(stderr, "vigil-detect: frame %u: %s\n", n, strerror(-ret));
			break;
		}
		printf("%u %d %d %d %d %d %u %.4f", n, r.motion, r.raw_motion, r.learning,
		       r.global_change, r.tamper, r.nblobs, r.score);
		for (unsigned int b = 0; b < r.nboxes; b++)
			printf(" %u,%u,%u,%u", r.boxes[b].x, r.boxes[b].y, r.boxes[b].w,
			       r.boxes[b].h);
		putchar('\n');
	}
out:
	vigil_detector_free(det);
	vigil_y4m_free(y);
	munmap(map, (size_t)st.st_size);
	return ret ? 1 : 0;
}
