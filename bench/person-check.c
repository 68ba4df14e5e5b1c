// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The person check (libvigil's vigil_person_check, OpenCV HOG) at 720p and
 * 1080p, against the frame period at 30 fps (33.3 ms): the cost of one blob
 * and of one event as vigild checks it (PERSON_BLOBS blobs in each of the
 * first PERSON_FRAMES frames: 4 x 6 = 24 crops), on one core. The frame is
 * a noisy texture with dark upright figures (head, body, legs) of a
 * pedestrian's size at that resolution (a sixth and a quarter of the frame
 * height); blobs are their boxes, with one wide box of two side by side.
 * The crops are scaled to 160 rows whatever the resolution, so the cost per
 * blob barely depends on it: only the copy does. Median of RUNS runs.
 * Fails if the check is unavailable (libvigil built without OpenCV).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvigil.h"
#include "bench.h"

#define RUNS 9
#define BLOBS 4
#define FRAMES 6
#define FRAME_NS 33333333.0

static void fill(uint8_t *y, unsigned int x0, unsigned int y0, unsigned int w,
		 unsigned int h, size_t stride, uint8_t v)
{
	for (unsigned int r = y0; r < y0 + h; r++)
		memset(y + r * stride + x0, v, w);
}

/* a figure @h tall at @x,@y: head, body, two legs */
static void figure(uint8_t *y, size_t stride, unsigned int x, unsigned int top,
		   unsigned int h)
{
	const unsigned int u = h / 8;

	fill(y, x + u, top, u, u, stride, 30);
	fill(y, x + u / 2, top + u, 2 * u, 4 * u, stride, 40);
	fill(y, x + u / 2, top + 5 * u, u * 3 / 4, 3 * u, stride, 50);
	fill(y, x + u * 3 / 2, top + 5 * u, u * 3 / 4, 3 * u, stride, 50);
}

static int run(unsigned int w, unsigned int h, const char *name)
{
	struct vigil_person_params pp;
	struct vigil_person *p;
	struct vigil_person_result res[BLOBS];
	struct vigil_box boxes[BLOBS];
	struct vigil_frame f;
	uint64_t blob[RUNS], event[RUNS];
	uint8_t *y = malloc((size_t)w * h);
	int ret;

	if (!y)
		return -ENOMEM;
	srand(16);
	for (size_t i = 0; i < (size_t)w * h; i++)
		y[i] = (uint8_t)(120 + (i / w % 32 < 16 ? 20 : 0) + rand() % 24);
	for (unsigned int i = 0; i < BLOBS; i++) {
		const unsigned int fh = i & 1 ? h / 4 : h / 6;

		boxes[i] = (struct vigil_box){ w / 10 + i * w / 5, h / 3, fh / 2, fh, 0 };
		figure(y, w, boxes[i].x, boxes[i].y, fh);
	}
	boxes[3].w = 2 * boxes[3].w;	/* two side by side: a wide blob */
	figure(y, w, boxes[3].x + boxes[3].w / 2, boxes[3].y, boxes[3].h);
	ret = vigil_frame_view(&f, VIGIL_FMT_GREY, w, h, 0, y, (size_t)w * h);
	vigil_person_params_default(&pp);
	if (!ret)
		ret = vigil_person_new(&pp, &p);
	if (ret) {
		fprintf(stderr, "person-check: %s\n", ret == -ENOTSUP ?
			"libvigil was built without the person check (OpenCV)" :
			strerror(-ret));
		free(y);
		return ret;
	}
	for (int r = 0; r < RUNS && !ret; r++) {
		uint64_t t0 = now_ns();

		ret = vigil_person_check(p, &f, boxes, 1, res);
		blob[r] = now_ns() - t0;
		t0 = now_ns();
		for (int k = 0; k < FRAMES && !ret; k++)
			ret = vigil_person_check(p, &f, boxes, BLOBS, res);
		event[r] = now_ns() - t0;
	}
	vigil_person_free(p);
	free(y);
	if (ret) {
		fprintf(stderr, "person-check: %s\n", strerror(-ret));
		return ret;
	}
	qsort(blob, RUNS, sizeof(blob[0]), cmp);
	qsort(event, RUNS, sizeof(event[0]), cmp);
	printf("{\"name\":\"person-check-%s-blob\",\"figure\":%.2f,\"unit\":\"ms/blob\","
	       "\"baseline\":%.2f,\"baseline_name\":\"frame period at 30 fps (ms)\","
	       "\"ratio\":%.3f}\n", name, (double)blob[RUNS / 2] / 1e6, FRAME_NS / 1e6,
	       (double)blob[RUNS / 2] / FRAME_NS);
	printf("{\"name\":\"person-check-%s-event\",\"figure\":%.2f,\"unit\":\"ms/event "
	       "(%d blobs x %d frames)\",\"baseline\":%.2f,"
	       "\"baseline_name\":\"frame period at 30 fps (ms)\",\"ratio\":%.3f}\n",
	       name, (double)event[RUNS / 2] / 1e6, BLOBS, FRAMES, FRAME_NS / 1e6,
	       (double)event[RUNS / 2] / FRAME_NS);
	return 0;
}

int main(void)
{
	if (run(1280, 720, "720p") || run(1920, 1080, "1080p"))
		return 1;
	return 0;
}
