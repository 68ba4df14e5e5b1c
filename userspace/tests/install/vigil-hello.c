// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A program outside the tree using libvigil as installed: built by
 * tests/test-install.sh through pkg-config against the installed header and
 * library. Detects a square moving over a flat frame and fuses it.
 */
#include <stdio.h>
#include <string.h>

#include <libvigil.h>

#define W 160
#define H 120

static unsigned int starts;

static void on_event(const struct vigil_event *ev, void *arg)
{
	char buf[1024];

	(void)arg;
	if (ev->type == VIGIL_EVENT_START)
		starts++;
	if (vigil_event_json(ev, buf, sizeof(buf)) > 0)
		fputs(buf, stdout);
}

int main(void)
{
	static unsigned char px[W * H];
	struct vigil_detect_params dp;
	struct vigil_fusion_params fp;
	struct vigil_detector *d;
	struct vigil_fusion *f;
	unsigned int motion = 0;

	if (vigil_version() != VIGIL_VERSION) {
		fprintf(stderr, "header %d, library %u\n", VIGIL_VERSION, vigil_version());
		return 1;
	}
	printf("libvigil %s\n", vigil_version_string());
	vigil_detect_params_default(&dp);
	vigil_fusion_params_default(&fp);
	fp.policy = VIGIL_POLICY_VIDEO_ONLY;
	if (vigil_detector_new(&dp, W, H, &d) || vigil_fusion_new(&fp, on_event, NULL, &f))
		return 1;
	for (unsigned int n = 0; n < 60; n++) {
		struct vigil_frame fr;
		struct vigil_detect_result r;

		memset(px, 100, sizeof(px));
		if (n >= 30)	/* a dark square walks in */
			for (unsigned int y = 40; y < 80; y++)
				memset(px + y * W + (n - 30) * 3, 20, 30);
		if (vigil_frame_view(&fr, VIGIL_FMT_GREY, W, H, 0, px, sizeof(px)))
			return 1;
		fr.seq = n;
		fr.ts_ns = 1000000000ULL + n * 33000000ULL;
		if (vigil_detector_process(d, &fr, &r))
			return 1;
		motion += r.motion;
		vigil_fusion_video(f, &r);
	}
	vigil_fusion_flush(f, 1000000000ULL + 60 * 33000000ULL);
	vigil_fusion_free(f);
	vigil_detector_free(d);
	printf("motion frames %u, events %u\n", motion, starts);
	return motion && starts == 1 ? 0 : 1;
}
