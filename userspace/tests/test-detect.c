// SPDX-License-Identifier: GPL-2.0-or-later
/* Motion detector: noise, objects, blob size, lights, zones, formats. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libvigil.h"
#include "t.h"

#define W 320
#define H 240

static uint8_t t_bg[W * H];
static uint8_t t_img[W * H];

static void t_background(void)
{
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			t_bg[y * W + x] = (uint8_t)(60 + x / 4 + ((x / 7 + y / 5) % 3) * 10);
}

/* Background plus gaussian-ish noise (sigma) plus a rectangle. */
static void t_render(uint64_t *seed, double sigma, int rx, int ry, int rw,
		     int rh, int add, double gain)
{
	for (int i = 0; i < W * H; i++) {
		const uint32_t v = t_rand(seed);
		const int sum = (int)(v & 255) + (int)((v >> 8) & 255) +
				(int)((v >> 16) & 255) + (int)(v >> 24) - 510;
		const int x = i % W, y = i / W;
		int px = (int)(t_bg[i] * gain) + (int)lround(sum * sigma / 147.8);

		if (x >= rx && x < rx + rw && y >= ry && y < ry + rh)
			px += add;
		t_img[i] = (uint8_t)(px < 0 ? 0 : px > 255 ? 255 : px);
	}
}

static int t_run(struct vigil_detector *d, uint32_t seq,
		 struct vigil_detect_result *r)
{
	struct vigil_frame f;

	T_EQ(vigil_frame_view(&f, VIGIL_FMT_GREY, W, H, 0, t_img, sizeof(t_img)), 0);
	f.seq = seq;
	f.ts_ns = seq * 66666666ULL;
	return vigil_detector_process(d, &f, r);
}

/* Feed @n frames of noise only; return how many reported motion. */
static int t_quiet(struct vigil_detector *d, uint64_t *seed, uint32_t *seq,
		   int n, double sigma)
{
	struct vigil_detect_result r;
	int motion = 0;

	for (int i = 0; i < n; i++) {
		t_render(seed, sigma, 0, 0, 0, 0, 0, 1.0);
		T_EQ(t_run(d, (*seq)++, &r), 0);
		motion += r.motion;
	}
	return motion;
}

int main(void)
{
	struct vigil_detect_params p;
	struct vigil_detect_result r;
	struct vigil_detector *d;
	struct vigil_frame f;
	uint64_t seed = 42;
	uint32_t seq = 0;
	int first = -1;

	t_background();
	vigil_detect_params_default(&p);
	T_EQ(vigil_detector_new(&p, W, H, &d), 0);
	T_EQ(vigil_detector_cell(d), 8);

	/* noise only: quiet, and the noise estimate follows the sensor */
	T_EQ(t_quiet(d, &seed, &seq, 40, 4.0), 0);
	T_EQ(t_run(d, seq++, &r), 0);
	/* cell mean of 32 samples: sigma / sqrt(32) = 0.71 */
	T_ASSERT(r.noise > 0.35 && r.noise < 1.4);
	T_ASSERT(!r.learning);

	/* an object: motion after min_motion_s, box around it */
	for (int i = 0; i < 5; i++) {
		t_render(&seed, 4.0, 100 + i * 6, 60, 40, 100, -50, 1.0);
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(r.raw_motion);
		if (r.motion && first < 0)
			first = i;
	}
	T_EQ(first, 1);	/* 0.12 s at 15 fps: the second frame */
	T_ASSERT(r.nboxes >= 1);
	T_ASSERT(r.boxes[0].x <= 124 + 8 && r.boxes[0].x + r.boxes[0].w >= 164 - 8);
	T_ASSERT(r.boxes[0].y <= 68 && r.boxes[0].y + r.boxes[0].h >= 152);
	T_ASSERT(r.score > 0.03 && r.score < 0.12);
	T_ASSERT(r.changed_px >= 30 * 90 && r.changed_px <= 48 * 112);
	/* the object leaves: motion stops */
	t_quiet(d, &seed, &seq, 3, 4.0);
	T_EQ(t_quiet(d, &seed, &seq, 20, 4.0), 0);

	/* small object below min_blob_px (300): despeckled away */
	for (int i = 0; i < 6; i++) {
		t_render(&seed, 4.0, 200, 100, 12, 12, 60, 1.0);
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(!r.motion);
		T_EQ(r.nboxes, 0);
	}
	t_quiet(d, &seed, &seq, 30, 4.0);

	/* light switch: a global change relearns, no alarm */
	for (int i = 0; i < 20; i++) {
		t_render(&seed, 4.0, 0, 0, 0, 0, 0, 1.5);
		T_EQ(t_run(d, seq++, &r), 0);
		if (i == 0)
			T_ASSERT(r.global_change);
		T_ASSERT(!r.motion);
	}
	T_ASSERT(!r.learning);
	vigil_detector_free(d);

	/* ignore mask over the object, and a zone elsewhere */
	vigil_detect_params_default(&p);
	p.warmup_s = 0.6;
	p.nignore = 1;
	p.ignore[0] = (struct vigil_rect){ 0.25f, 0.2f, 0.35f, 0.6f, 0 };
	T_EQ(vigil_detector_new(&p, W, H, &d), 0);
	t_quiet(d, &seed, &seq, 20, 3.0);
	for (int i = 0; i < 5; i++) {
		t_render(&seed, 3.0, 100, 60, 40, 100, -50, 1.0);
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(!r.raw_motion);
	}
	t_quiet(d, &seed, &seq, 10, 3.0);
	for (int i = 0; i < 3; i++) {
		t_render(&seed, 3.0, 240, 60, 40, 100, -50, 1.0);
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(r.raw_motion);
	}
	vigil_detector_free(d);
	vigil_detect_params_default(&p);
	p.warmup_s = 0.6;
	p.nzones = 1;
	p.zones[0] = (struct vigil_rect){ 0.5f, 0.0f, 0.5f, 1.0f, 0 };
	T_EQ(vigil_detector_new(&p, W, H, &d), 0);
	t_quiet(d, &seed, &seq, 20, 3.0);
	for (int i = 0; i < 3; i++) {
		t_render(&seed, 3.0, 20, 60, 40, 100, -50, 1.0);
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(!r.raw_motion);
	}
	for (int i = 0; i < 3; i++) {
		t_render(&seed, 3.0, 220, 60, 40, 100, -50, 1.0);
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(r.raw_motion);
	}
	vigil_detector_free(d);

	/* a texture change at the same mean brightness: stripes of +-30 over
	 * 4 rows on an 8-row cell leave every cell mean as it was */
	vigil_detect_params_default(&p);
	p.warmup_s = 0.6;
	T_EQ(vigil_detector_new(&p, W, H, &d), 0);
	T_EQ(t_quiet(d, &seed, &seq, 20, 3.0), 0);
	for (int i = 0; i < 4; i++) {
		t_render(&seed, 3.0, 0, 0, 0, 0, 0, 1.0);
		for (int y = 64; y < 160; y++)
			for (int x = 96; x < 160; x++)
				t_img[y * W + x] = (uint8_t)(t_img[y * W + x] +
							     ((y / 2) % 2 ? 30 : -30));
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(r.raw_motion);
		T_ASSERT(r.nboxes >= 1 && r.boxes[0].x >= 88 && r.boxes[0].x + r.boxes[0].w <= 168);
	}
	T_ASSERT(r.motion);
	vigil_detector_free(d);

	/* the lens covered for 20 s: tamper from tamper_s on, for as long as
	 * it lasts (the scene is kept), no motion; then the scene is back */
	vigil_detect_params_default(&p);
	p.warmup_s = 0.6;
	T_EQ(vigil_detector_new(&p, W, H, &d), 0);
	T_EQ(t_quiet(d, &seed, &seq, 20, 3.0), 0);
	for (int i = 0; i < 300; i++) {
		for (int k = 0; k < W * H; k++)
			t_img[k] = (uint8_t)(20 + (t_rand(&seed) & 3));
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(!r.motion);
		T_ASSERT(r.covered);
		if (i >= 2 * 15 + 1)
			T_ASSERT(r.tamper);
		if (i < 2 * 15 - 1)
			T_ASSERT(!r.tamper);
	}
	for (int i = 0; i < 10; i++) {
		t_render(&seed, 3.0, 0, 0, 0, 0, 0, 1.0);
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(!r.motion && !r.tamper && !r.covered);
	}
	vigil_detector_free(d);

	/* the camera turned: a blocky scene is seen 8 px further on, nearly
	 * every cell changes and no gain explains it: tamper after tamper_s */
	vigil_detect_params_default(&p);
	p.warmup_s = 0.6;
	T_EQ(vigil_detector_new(&p, W, H, &d), 0);
	for (int n = 0; n < 90; n++) {
		const int sh = n >= 30 ? 8 : 0;

		for (int y = 0; y < H; y++) {
			for (int x = 0; x < W; x++) {
				const uint32_t b = (uint32_t)((x + sh) / 8) * 2654435761u ^
						   (uint32_t)(y / 8) * 40503u;

				t_img[y * W + x] = (uint8_t)(50 + ((b >> 7) % 150) +
							     (t_rand(&seed) & 3));
			}
		}
		T_EQ(t_run(d, seq++, &r), 0);
		if (n < 30)
			T_ASSERT(!r.motion && !r.tamper);
		if (n >= 30 + 2 * 15 + 1)
			T_ASSERT(r.tamper && !r.covered);
		if (n >= 30 && n < 30 + 2 * 15 - 1)
			T_ASSERT(!r.tamper);
	}
	vigil_detector_free(d);

	/* defocused: the blocky scene blurred over 17x17 px loses its
	 * contrast between cells: covered (tamper), not motion */
	{
		static uint8_t sharp[W * H], blur[W * H];

		for (int y = 0; y < H; y++) {
			for (int x = 0; x < W; x++) {
				const uint32_t b = (uint32_t)(x / 8) * 2654435761u ^
						   (uint32_t)(y / 8) * 40503u;

				sharp[y * W + x] = (uint8_t)(50 + ((b >> 7) % 150));
			}
		}
		for (int y = 0; y < H; y++) {
			for (int x = 0; x < W; x++) {
				int sum = 0, n = 0;

				for (int dy = -8; dy <= 8; dy += 2) {
					for (int dx = -8; dx <= 8; dx += 2) {
						const int xx = x + dx < 0 ? 0 : x + dx >= W ? W - 1 : x + dx;
						const int yy = y + dy < 0 ? 0 : y + dy >= H ? H - 1 : y + dy;

						sum += sharp[yy * W + xx];
						n++;
					}
				}
				blur[y * W + x] = (uint8_t)(sum / n);
			}
		}
		vigil_detect_params_default(&p);
		p.warmup_s = 0.6;
		T_EQ(vigil_detector_new(&p, W, H, &d), 0);
		for (int n = 0; n < 80; n++) {
			const uint8_t *src = n < 30 ? sharp : blur;

			for (int k = 0; k < W * H; k++)
				t_img[k] = (uint8_t)(src[k] + (t_rand(&seed) & 3));
			T_EQ(t_run(d, seq++, &r), 0);
			T_ASSERT(!r.motion);
			if (n >= 30)
				T_ASSERT(r.covered);
			if (n >= 30 + 2 * 15 + 1)
				T_ASSERT(r.tamper);
		}
		vigil_detector_free(d);
	}

	/* a polygon zone: a triangle over the left part */
	vigil_detect_params_default(&p);
	p.warmup_s = 0.6;
	p.npolygons = 1;
	p.polygons[0] = (struct vigil_polygon){ .npoints = 3,
		.x = { 0.0f, 0.6f, 0.0f }, .y = { 0.0f, 1.0f, 1.0f } };
	T_EQ(vigil_detector_new(&p, W, H, &d), 0);
	t_quiet(d, &seed, &seq, 20, 3.0);
	for (int i = 0; i < 3; i++) {
		t_render(&seed, 3.0, 10, 130, 40, 100, -50, 1.0);	/* inside */
		T_EQ(t_run(d, seq++, &r), 0);
		/* a local object is no global gain, even if it fits a line */
		T_ASSERT(!r.learning && r.gain == 1.0);
		T_ASSERT(r.raw_motion);
	}
	t_quiet(d, &seed, &seq, 10, 3.0);
	for (int i = 0; i < 3; i++) {
		t_render(&seed, 3.0, 150, 10, 40, 80, -50, 1.0);	/* above the diagonal */
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(!r.raw_motion);
	}
	vigil_detector_free(d);

	/* per-zone sensitivity: a faint object is seen where it is raised */
	vigil_detect_params_default(&p);
	p.warmup_s = 0.6;
	p.nzones = 2;
	p.zones[0] = (struct vigil_rect){ 0.0f, 0.0f, 0.5f, 1.0f, 4.0f };
	p.zones[1] = (struct vigil_rect){ 0.5f, 0.0f, 0.5f, 1.0f, 0.25f };
	T_EQ(vigil_detector_new(&p, W, H, &d), 0);
	t_quiet(d, &seed, &seq, 20, 3.0);
	for (int i = 0; i < 3; i++) {
		t_render(&seed, 3.0, 40, 60, 48, 100, -10, 1.0);
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(r.raw_motion);
	}
	t_quiet(d, &seed, &seq, 10, 3.0);
	for (int i = 0; i < 3; i++) {
		t_render(&seed, 3.0, 220, 60, 48, 100, -10, 1.0);
		T_EQ(t_run(d, seq++, &r), 0);
		T_ASSERT(!r.raw_motion);
	}
	vigil_detector_free(d);

	/* a PGM mask (Motion's mask_file): black is not watched */
	{
		static uint8_t pgm[64 + 32 * 24];
		static const char ascii[] = "P2\n# left column masked\n2 1\n255\n0 255\n";
		const char *why;
		int hl = snprintf((char *)pgm, 64, "P5\n32 24\n255\n");

		for (int i = 0; i < 32 * 24; i++)
			pgm[hl + i] = (uint8_t)(i % 32 < 16 ? 0 : 255);
		vigil_detect_params_default(&p);
		p.warmup_s = 0.6;
		T_EQ(vigil_detect_params_set_mask(&p, pgm, (size_t)hl + 32 * 24, &why), 0);
		T_ASSERT(p.has_mask && p.mask[60][10] == 0 && p.mask[60][150] == 255);
		T_EQ(vigil_detector_new(&p, W, H, &d), 0);
		t_quiet(d, &seed, &seq, 20, 3.0);
		for (int i = 0; i < 3; i++) {
			t_render(&seed, 3.0, 40, 60, 40, 100, -50, 1.0);
			T_EQ(t_run(d, seq++, &r), 0);
			T_ASSERT(!r.raw_motion);
		}
		for (int i = 0; i < 3; i++) {
			t_render(&seed, 3.0, 220, 60, 40, 100, -50, 1.0);
			T_EQ(t_run(d, seq++, &r), 0);
			T_ASSERT(r.raw_motion);
		}
		vigil_detector_free(d);
		/* ASCII, 16-bit, and bad images */
		vigil_detect_params_default(&p);
		T_EQ(vigil_detect_params_set_mask(&p, ascii, sizeof(ascii) - 1, &why), 0);
		T_ASSERT(p.mask[0][0] == 0 && p.mask[119][159] == 255);
		T_EQ(vigil_detect_params_set_mask(&p, "P6\n1 1\n255\n", 12, &why), -EINVAL);
		T_STRSTR(why, "not a PGM");
		T_EQ(vigil_detect_params_set_mask(&p, pgm, (size_t)hl + 100, &why), -EINVAL);
		T_STRSTR(why, "truncated");
		T_EQ(vigil_detect_params_set_mask(&p, "P5\n0 4\n255\n", 11, &why), -EINVAL);
		T_STRSTR(why, "header");
		T_EQ(vigil_detect_params_set_mask(&p, "P2 2 1 255 0\n", 13, &why), -EINVAL);
		T_STRSTR(why, "truncated");
	}

	/* YUYV (scalar path, step 2) gives the same cells as GREY (SIMD),
	 * for several cell sizes and row steps */
	for (int v = 0; v < 4; v++) {
		static const unsigned int cells[4] = { 8, 16, 16, 32 };
		static const unsigned int steps[4] = { 0, 0, 1, 2 };
		static uint8_t yuyv[W * H * 2];
		struct vigil_detector *d2;
		struct vigil_detect_result r2;

		vigil_detect_params_default(&p);
		p.cell = cells[v];
		p.row_step = steps[v];
		p.warmup_s = 0.5;
		T_EQ(vigil_detector_new(&p, W, H, &d), 0);
		T_EQ(vigil_detector_new(&p, W, H, &d2), 0);
		for (int i = 0; i < 16; i++) {
			const int obj = i >= 12;

			t_render(&seed, 3.0, 150, 50, obj ? 70 : 0, 100, 70, 1.0);
			for (int k = 0; k < W * H; k++) {
				yuyv[2 * k] = t_img[k];
				yuyv[2 * k + 1] = 128;
			}
			T_EQ(t_run(d, (uint32_t)i, &r), 0);
			T_EQ(vigil_frame_view(&f, VIGIL_FMT_YUYV, W, H, 0, yuyv, sizeof(yuyv)), 0);
			f.seq = (uint32_t)i;
			T_EQ(vigil_detector_process(d2, &f, &r2), 0);
			T_EQ(r.raw_motion, r2.raw_motion);
			T_EQ(r.changed_px, r2.changed_px);
			T_EQ(r.nboxes, r2.nboxes);
			T_ASSERT(r.noise == r2.noise);
		}
		T_ASSERT(r.motion);
		vigil_detector_free(d2);
		if (v < 3)
			vigil_detector_free(d);
	}

	/*
	 * Times in seconds: an object that appears and stands still is motion
	 * until hold_s, then absorbed, at 10 and at 30 fps alike; a close
	 * object (62% of the frame) is motion, not a light change.
	 */
	{
		double gone[2];

		for (int k = 0; k < 2; k++) {
			const unsigned int fps = k ? 30 : 10;
			int first_on = -1, last_on = -1, global = 0;
			struct vigil_detector *d3;

			vigil_detect_params_default(&p);
			T_EQ(vigil_detector_new(&p, W, H, &d3), 0);
			for (unsigned int n = 0; n < 22 * fps; n++) {
				const bool on = n >= 2 * fps;

				t_render(&seed, 3.0, 40, 20, on ? 240 : 0, 200, -40, 1.0);
				T_EQ(vigil_frame_view(&f, VIGIL_FMT_GREY, W, H, 0, t_img,
						      sizeof(t_img)), 0);
				f.seq = n;
				f.ts_ns = (uint64_t)n * 1000000000ULL / fps;
				T_EQ(vigil_detector_process(d3, &f, &r), 0);
				if (!on) {
					T_ASSERT(!r.motion);
					continue;
				}
				global += r.global_change;
				if (r.motion && first_on < 0)
					first_on = (int)n;
				if (r.motion)
					last_on = (int)n;
				/* held without a gap from its onset */
				if (first_on >= 0 && n < 2 * fps + 14 * fps)
					T_ASSERT(r.motion);
			}
			T_EQ(global, 0);
			T_ASSERT(first_on >= 0 && first_on <= (int)(2 * fps + fps / 3));
			gone[k] = (double)(last_on + 1) / fps - 2.0;
			T_ASSERT(gone[k] >= p.hold_s && gone[k] < p.hold_s + 3);
			T_ASSERT(!r.motion);
			vigil_detector_free(d3);
		}
		fprintf(stderr, "absorbed after %.2f s at 10 fps, %.2f s at 30 fps\n", gone[0], gone[1]);
		T_ASSERT(fabs(gone[0] - gone[1]) < 0.5);
	}

	/* an exposure ramp (gain 1.0 -> 1.4 over 3 s) is compensated: quiet */
	{
		struct vigil_detector *d3;
		int motion = 0;

		vigil_detect_params_default(&p);
		T_EQ(vigil_detector_new(&p, W, H, &d3), 0);
		for (unsigned int n = 0; n < 120; n++) {
			const double g = n < 30 ? 1.0 : n < 75 ? 1.0 + 0.4 * (n - 30) / 45 : 1.4;

			t_render(&seed, 3.0, 0, 0, 0, 0, 0, g);
			T_EQ(t_run(d3, n, &r), 0);
			motion += r.motion;
		}
		T_EQ(motion, 0);
		T_ASSERT(fabs(r.gain - 1.0) < 0.05);	/* the last step: small */
		vigil_detector_free(d3);
	}

	/* a slow mover at 1080p: 1 px/frame at 30 fps walks in from the left
	 * edge; it is seen before it is halfway in and stays seen */
	{
		enum { BW = 1920, BH = 1080, PW = 60, PH = 180 };
		uint8_t *noisy[4], *img = malloc((size_t)BW * BH);
		struct vigil_detector *d3;
		int onset = -1, seen = 0, after = 0;

		T_ASSERT(img != NULL);
		for (int k = 0; k < 4; k++) {
			noisy[k] = malloc((size_t)BW * BH);
			T_ASSERT(noisy[k] != NULL);
			for (int y = 0; y < BH; y++)
				for (int x = 0; x < BW; x++)
					noisy[k][(size_t)y * BW + x] = (uint8_t)(60 + x / 16 +
						((x / 9 + y / 7) % 4) * 8 + (int)(t_rand(&seed) % 7));
		}
		vigil_detect_params_default(&p);
		T_EQ(vigil_detector_new(&p, BW, BH, &d3), 0);
		for (unsigned int n = 0; n < 300; n++) {
			const int px = (int)n - 60 - PW;	/* enters at frame 60 */

			memcpy(img, noisy[n % 4], (size_t)BW * BH);
			for (int y = 400; y < 400 + PH; y++)
				for (int x = px < 0 ? 0 : px; x < px + PW; x++)
					img[(size_t)y * BW + x] = (uint8_t)(img[(size_t)y * BW + x] - 30);
			T_EQ(vigil_frame_view(&f, VIGIL_FMT_GREY, BW, BH, 0, img,
					      (size_t)BW * BH), 0);
			f.seq = n;
			f.ts_ns = (uint64_t)n * 1000000000ULL / 30;
			T_EQ(vigil_detector_process(d3, &f, &r), 0);
			if (n < 60)
				T_ASSERT(!r.motion);
			if (r.motion && onset < 0)
				onset = (int)n;
			if (onset >= 0) {
				after++;
				seen += r.motion;
			}
		}
		T_ASSERT(onset >= 60 && onset < 60 + PW / 2);
		T_EQ(seen, after);
		vigil_detector_free(d3);
		for (int k = 0; k < 4; k++)
			free(noisy[k]);
		free(img);
	}

	/* wrong size and bad parameters */
	T_EQ(vigil_frame_view(&f, VIGIL_FMT_GREY, W / 2, H, 0, t_img, sizeof(t_img)), 0);
	T_EQ(vigil_detector_process(d, &f, &r), -EINVAL);
	vigil_detector_free(d);
	vigil_detect_params_default(&p);
	p.cell = 12;
	T_EQ(vigil_detector_new(&p, W, H, &d), -EINVAL);
	T_ASSERT(d == NULL);
	p.cell = 8;
	p.background_s = 0;
	T_EQ(vigil_detector_new(&p, W, H, &d), -EINVAL);
	vigil_detect_params_default(&p);
	T_EQ(vigil_detector_new(&p, 8, 8, &d), -EINVAL);
	/* 1080p picks 16-pixel cells */
	T_EQ(vigil_detector_new(&p, 1920, 1080, &d), 0);
	T_EQ(vigil_detector_cell(d), 16);
	vigil_detector_free(d);
	return t_done();
}
