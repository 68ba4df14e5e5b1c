// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-scene: render a labelled scenario (tests/scenarios/NAME.ini) to a Y4M
 * (mono) or VIGIL-RAW GREY file, plus its PIR side file and ground truth.
 *
 *   vigil-scene SCENARIO.ini -o OUT.y4m [-p OUT.pir] [--raw] [--truth]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvigil.h"

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: vigil-scene SCENARIO.ini -o OUT [-p PIR] [--raw] [--truth]\n"
"  -o, --output FILE   frames as Y4M (Cmono), or VIGIL-RAW GREY with --raw\n"
"  -p, --pir FILE      PIR edges as '<seconds> <level>' lines\n"
"      --raw           write the virtual sensor's VIGIL-RAW format\n"
"      --truth         print the ground truth (alarm windows) to stdout\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pir", required_argument, NULL, 'p' },
		{ "raw", no_argument, NULL, 'r' },
		{ "truth", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *pir = NULL;
	bool raw = false, truth = false;
	struct vigil_scene s;
	struct vigil_pir_event *ev = NULL;
	uint8_t *buf = NULL;
	FILE *fp = NULL;
	char err[256];
	int opt, ret = 1, n;

	while ((opt = getopt_long(argc, argv, "o:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'p': pir = optarg; break;
		case 'r': raw = true; break;
		case 't': truth = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || (!out && !pir && !truth)) {
		usage(stderr);
		return 2;
	}
	if (vigil_scene_load(&s, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "vigil-scene: %s\n", err);
		return 1;
	}
	if (out) {
		struct vigil_y4m_info info = {
			.width = s.width, .height = s.height, .fps_num = s.fps,
			.fps_den = 1, .fmt = VIGIL_FMT_GREY,
		};
		char hdr[128];

		buf = malloc((size_t)s.width * s.height);
		fp = fopen(out, "we");
		if (!buf || !fp) {
			fprintf(stderr, "vigil-scene: %s: %s\n", out, strerror(errno));
			goto done;
		}
		if (raw)
			fprintf(fp, "VIGIL-RAW GREY %u %u\n", s.width, s.height);
		else if (vigil_y4m_format_header(hdr, sizeof(hdr), &info) < 0 ||
			 fputs(hdr, fp) == EOF)
			goto write_err;
		for (unsigned int i = 0; i < s.frames; i++) {
			vigil_scene_render(&s, i, buf);
			if ((!raw && fputs("FRAME\n", fp) == EOF) ||
			    fwrite(buf, (size_t)s.width * s.height, 1, fp) != 1)
				goto write_err;
		}
		if (fclose(fp)) {
			fp = NULL;
			goto write_err;
		}
		fp = NULL;
	}
	if (pir) {
		n = vigil_scene_pir(&s, NULL, 0);
		ev = calloc((size_t)n + 1, sizeof(*ev));
		fp = fopen(pir, "we");
		if (!ev || !fp) {
			fprintf(stderr, "vigil-scene: %s: %s\n", pir, strerror(errno));
			goto done;
		}
		vigil_scene_pir(&s, ev, (unsigned int)n);
		fprintf(fp, "# PIR edges of %s: <seconds from frame 0> <level>\n", s.name);
		for (int i = 0; i < n; i++)
			fprintf(fp, "%.6f %d\n", ev[i].ts_ns / 1e9, ev[i].level);
		if (fclose(fp)) {
			fp = NULL;
			goto write_err;
		}
		fp = NULL;
	}
	if (truth) {
		printf("scene %s frames %u fps %u\n", s.name, s.frames, s.fps);
		for (unsigned int i = 0; i < s.nitems; i++)
			printf("item %s frames %u-%u warm %s alarm %s\n",
			       vigil_scene_kind_name(s.items[i].kind),
			       s.items[i].start, s.items[i].end,
			       s.items[i].warm ? "yes" : "no",
			       s.items[i].alarm ? "must" : "must-not");
	}
	ret = 0;
	goto done;
write_err:
	fprintf(stderr, "vigil-scene: write: %s\n", strerror(errno));
done:
	if (fp)
		fclose(fp);
	free(ev);
	free(buf);
	return ret;
}
