// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-person: libvigil's person check on given boxes of a Y4M file, for
 * the tests against OpenCV's own detector and the labelled crop set.
 *
 *   vigil-person [-d DIR] FILE.y4m < BOXES
 *
 * BOXES: one "<frame> <x> <y> <w> <h>" line per blob (frames in any
 * order). Prints "<frame> <x> <y> <w> <h> <person> <score> <nhits>" per
 * line; -d also writes the scaled crop the detector read as
 * DIR/<line>.pgm (line numbers from 0).
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

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: vigil-person [-d DIR] FILE.y4m < BOXES\n"
"  -d, --dir DIR   write each scaled crop as DIR/<n>.pgm\n"
"  -h, --help      this text\n"
"BOXES: '<frame> <x> <y> <w> <h>' per line.\n"
"Prints: frame x y w h person score nhits\n");
}

/* Frame @idx of the Y4M stream (frames of one size: a direct offset). */
static int frame_at(struct vigil_y4m *y, unsigned int idx, const uint8_t **data)
{
	int ret = 0;

	if (vigil_y4m_frame_index(y) > idx)
		vigil_y4m_rewind(y);
	while (!ret && vigil_y4m_frame_index(y) <= idx)
		ret = vigil_y4m_next(y, data);
	return ret;
}

static int write_pgm(const char *dir, unsigned int n, const uint8_t *px,
		     unsigned int w, unsigned int h)
{
	char path[4096];
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "%s/%u.pgm", dir, n);
	fp = fopen(path, "we");
	if (!fp)
		return -errno;
	fprintf(fp, "P5\n%u %u\n255\n", w, h);
	ok = fwrite(px, 1, (size_t)w * h, fp) == (size_t)w * h;
	return fclose(fp) || !ok ? -EIO : 0;
}

int main(int argc, char **argv)
{
	static uint8_t crop[4096 * 1024];
	struct vigil_person_params pp;
	const struct vigil_y4m_info *info;
	struct vigil_person *p = NULL;
	struct vigil_y4m *y = NULL;
	const char *dir = NULL, *err = NULL;
	char line[256];
	unsigned int n = 0;
	struct stat st;
	void *map;
	int fd, c, ret, status = 1;

	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	while ((c = getopt_long(argc, argv, "hd:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
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
	vigil_person_params_default(&pp);
	ret = vigil_person_new(&pp, &p);
	if (ret) {
		fprintf(stderr, "vigil-person: %s\n", ret == -ENOTSUP ?
			"libvigil was built without the person check (OpenCV)" :
			strerror(-ret));
		return ret == -ENOTSUP ? 3 : 1;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "vigil-person: %s: %s\n", argv[optind], strerror(errno));
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "vigil-person: mmap %s: %s\n", argv[optind], strerror(errno));
		goto out;
	}
	if (vigil_y4m_new(map, (size_t)st.st_size, &y, &err)) {
		fprintf(stderr, "vigil-person: %s: %s\n", argv[optind], err);
		goto out;
	}
	info = vigil_y4m_info(y);
	while (fgets(line, sizeof(line), stdin)) {
		unsigned int idx;
		struct vigil_box b = { 0 };
		struct vigil_person_result r;
		struct vigil_frame f;
		const uint8_t *data;
		unsigned int cw, ch;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%u %u %u %u %u", &idx, &b.x, &b.y, &b.w, &b.h) != 5) {
			fprintf(stderr, "vigil-person: bad box line: %s", line);
			goto out;
		}
		ret = frame_at(y, idx, &data);
		if (!ret)
			ret = vigil_frame_view(&f, VIGIL_FMT_GREY, info->width, info->height,
					       0, data, info->frame_size);
		if (ret) {
			fprintf(stderr, "vigil-person: frame %u: %s\n", idx,
				ret == -ENODATA ? "past the end" : strerror(-ret));
			goto out;
		}
		ret = vigil_person_check(p, &f, &b, 1, &r);
		if (!ret && dir) {
			ret = vigil_person_crop(p, &f, &b, crop, sizeof(crop), &cw, &ch);
			if (!ret)
				ret = write_pgm(dir, n, crop, cw, ch);
		}
		if (ret) {
			fprintf(stderr, "vigil-person: box %u %u %u %u of frame %u: %s\n",
				b.x, b.y, b.w, b.h, idx, strerror(-ret));
			goto out;
		}
		printf("%u %u %u %u %u %d %.9f %u\n", idx, b.x, b.y, b.w, b.h,
		       r.person, r.score, r.nhits);
		n++;
	}
	status = 0;
out:
	vigil_y4m_free(y);
	vigil_person_free(p);
	return status;
}
