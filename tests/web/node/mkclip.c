// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A clip in any pixel format the camera may deliver, for
 * tests/web/node/formats.mjs (vigil-clip encode takes only mono and 4:2:0
 * Y4M):
 *   mkclip FMT WIDTH HEIGHT FRAMES NEAR KEYINT OUT.clip OUT.planar
 * FMT is GREY NV12 I420 YUYV NV21 YV12 UYVY. The frames are a moving
 * pattern with noise, written through libvigil's encoder and clip writer
 * as the recorder writes them, plus one event (2 boxes, 3 PIR edges).
 * OUT.planar holds the source frames as planes Y, Cb, Cr (what a decoder
 * must reconstruct, within NEAR); stdout, the event as JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvigil.h"

static int file_sink(void *arg, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -5;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "GREY", "NV12", "I420", "YUYV", "NV21", "YV12", "UYVY" };
	static const enum vigil_pixfmt fmts[] = { VIGIL_FMT_GREY, VIGIL_FMT_NV12, VIGIL_FMT_I420,
		VIGIL_FMT_YUYV, VIGIL_FMT_NV21, VIGIL_FMT_YV12, VIGIL_FMT_UYVY };
	struct vigil_clip_header h = { .fps_num = 15, .fps_den = 1, .camera = "web-test",
				       .created_wall_ns = 1700000000000000000ull };
	struct vigil_clip_event ev = { .type = 1, .start_mono_ns = 1000, .end_mono_ns = 900000000,
				       .score = 0.25, .nboxes = 2, .npir = 3 };
	struct vigil_clip_writer *w;
	struct vigil_encoder *e;
	unsigned int W, H, n, cw, chh;
	size_t fsize, cap, len;
	uint8_t *f, *pl, *out;
	uint32_t seed = 1;
	FILE *fc, *fp;
	int fi = -1;

	if (argc != 9 && argc != 10) {
		fprintf(stderr, "usage: mkclip FMT WIDTH HEIGHT FRAMES NEAR KEYINT OUT.clip OUT.planar [CODEC]\n");
		return 2;
	}
	for (int i = 0; i < 7; i++)
		if (!strcmp(argv[1], names[i]))
			fi = i;
	if (fi < 0)
		return 2;
	h.codec.fmt = fmts[fi];
	W = h.codec.width = (unsigned int)atoi(argv[2]);
	H = h.codec.height = (unsigned int)atoi(argv[3]);
	n = (unsigned int)atoi(argv[4]);
	h.codec.near = (unsigned int)atoi(argv[5]);
	h.codec.keyint = (unsigned int)atoi(argv[6]);
	h.codec.level = 1;
	if (argc == 10)
		h.codec.codec = (unsigned int)atoi(argv[9]);	/* else the default */
	if (vigil_pixfmt_frame_size(h.codec.fmt, W, H, &fsize) || vigil_encoder_new(&h.codec, &e))
		return 2;
	fc = fopen(argv[7], "wb");
	fp = fopen(argv[8], "wb");
	cap = vigil_encoder_bound(e);
	f = malloc(fsize);
	pl = malloc(fsize);
	out = malloc(cap);
	if (!fc || !fp || !f || !pl || !out || vigil_clip_writer_new(&h, NULL, file_sink, fc, &w))
		return 1;
	/* 4:2:2 chroma is w/2 x h, 4:2:0 ceil(w/2) x ceil(h/2) */
	const int c422 = h.codec.fmt == VIGIL_FMT_YUYV || h.codec.fmt == VIGIL_FMT_UYVY;

	cw = h.codec.fmt == VIGIL_FMT_GREY ? 0 : c422 ? W / 2 : (W + 1) / 2;
	chh = c422 ? H : (H + 1) / 2;
	for (unsigned int k = 0; k < n; k++) {
		uint8_t *Y = pl, *Cb = pl + (size_t)W * H, *Cr = Cb + (size_t)cw * chh;
		struct vigil_clip_frame_meta m = { .mono_ns = 1000000ull * 66 * k + 5,
						   .wall_ns = 1700000000000000000ull + 66000000ull * k,
						   .motion = k % 3 == 0, .score = k / 100.0,
						   .nboxes = k % 2 };
		bool key;

		m.boxes[0] = (struct vigil_clip_box){ (uint16_t)k, 2, 3, 4 };
		for (unsigned int y = 0; y < H; y++)
			for (unsigned int x = 0; x < W; x++) {
				seed = seed * 1103515245u + 12345u;
				Y[(size_t)y * W + x] = (uint8_t)((x * 3 + y * 2 + k * 5) ^ (seed >> 28));
			}
		for (size_t i = 0; i < (size_t)cw * chh; i++) {
			seed = seed * 1103515245u + 12345u;
			Cb[i] = (uint8_t)(i + 7 * k + (seed >> 29));
			Cr[i] = (uint8_t)(200 - i - 3 * k);
		}
		/* the planes, packed as the camera delivers them */
		switch (h.codec.fmt) {
		case VIGIL_FMT_GREY:
		case VIGIL_FMT_I420:
			memcpy(f, pl, fsize);
			break;
		case VIGIL_FMT_YV12:
			memcpy(f, Y, (size_t)W * H);
			memcpy(f + (size_t)W * H, Cr, (size_t)cw * chh);
			memcpy(f + (size_t)W * H + (size_t)cw * chh, Cb, (size_t)cw * chh);
			break;
		case VIGIL_FMT_NV12:
		case VIGIL_FMT_NV21:
			memcpy(f, Y, (size_t)W * H);
			for (size_t i = 0; i < (size_t)cw * chh; i++) {
				const int nv21 = h.codec.fmt == VIGIL_FMT_NV21;

				f[(size_t)W * H + 2 * i] = nv21 ? Cr[i] : Cb[i];
				f[(size_t)W * H + 2 * i + 1] = nv21 ? Cb[i] : Cr[i];
			}
			break;
		case VIGIL_FMT_YUYV:
		case VIGIL_FMT_UYVY:
			for (size_t i = 0; i < (size_t)W * H / 2; i++) {
				const int u = h.codec.fmt == VIGIL_FMT_UYVY;

				f[4 * i + (u ? 1 : 0)] = Y[2 * i];
				f[4 * i + (u ? 0 : 1)] = Cb[i];
				f[4 * i + (u ? 3 : 2)] = Y[2 * i + 1];
				f[4 * i + (u ? 2 : 3)] = Cr[i];
			}
			break;
		}
		if (fwrite(pl, 1, fsize, fp) != fsize ||
		    vigil_encoder_encode(e, f, out, cap, &len, &key) ||
		    vigil_clip_writer_frame(w, out, len, &m))
			return 1;
	}
	ev.boxes[0] = (struct vigil_clip_box){ 1, 2, 3, 4 };
	ev.boxes[1] = (struct vigil_clip_box){ 5, 6, 7, 8 };
	for (unsigned int i = 0; i < ev.npir; i++)
		ev.pir[i] = (struct vigil_clip_pir){ 1000000ull * (i + 1), i % 2 == 0 };
	if (vigil_clip_writer_event(w, &ev) || vigil_clip_writer_close(w))
		return 1;
	vigil_clip_writer_free(w);
	vigil_encoder_free(e);
	printf("{\"type\": %u, \"startNs\": \"%llu\", \"endNs\": \"%llu\", \"score\": %.4f, "
	       "\"boxes\": [[1,2,3,4],[5,6,7,8]], \"pir\": [[\"1000000\",1],[\"2000000\",0],[\"3000000\",1]]}\n",
	       ev.type, (unsigned long long)ev.start_mono_ns, (unsigned long long)ev.end_mono_ns, ev.score);
	free(f);
	free(pl);
	free(out);
	return fclose(fc) || fclose(fp);
}
