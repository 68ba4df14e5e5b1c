// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigil-scene: render a labelled scenario (tests/scenarios/NAME.ini) to a Y4M
 * (mono) or VIGIL-RAW GREY file, plus its PIR side file and ground truth.
 *
 *   vigil-scene SCENARIO.ini -o OUT.y4m [-p OUT.pir] [--raw] [--truth]
 *   vigil-scene SCENARIO.ini --kernel     the virtual sensor's scenario text
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvigil.h"
#include "vigil-internal.h"

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: vigil-scene SCENARIO.ini -o OUT [-p PIR] [--raw] [--truth]\n"
"  -o, --output FILE   frames as Y4M (Cmono), or VIGIL-RAW GREY with --raw\n"
"  -p, --pir FILE      PIR edges as '<seconds> <level>' lines\n"
"      --raw           write the virtual sensor's VIGIL-RAW format\n"
"      --truth         print the ground truth (alarm windows) to stdout\n"
"      --kernel        print the scenario for vigil.ko's scene generator\n"
"                      (debugfs .../scenario); exit 3 if it has no equivalent\n");
}

static int pm(int v, unsigned int full)	/* pixels to permille */
{
	return (int)((long)v * 1000 / (long)full);
}

static unsigned int ms(const struct vigil_scene *s, unsigned int frame)
{
	return (unsigned int)((unsigned long)frame * 1000 / s->fps);
}

static int luma(int contrast)
{
	const int v = 115 + contrast;

	return v < 16 ? 16 : v > 235 ? 235 : v;
}

/*
 * The same scenario for vigil.ko's scene generator: positions in permille
 * of the frame (object centres), times in ms from stream start, absolute
 * object luma over a level-115 background. Movers, sway, lights, IR and
 * headlights translate; rain does not (-ENOTSUP).
 */
static int print_kernel(const struct vigil_scene *s, FILE *fp)
{
	fprintf(fp, "# %s, from vigil-scene\nloop %u\nbackground level=115 contrast=40\n"
		    "noise %u\nshake 0\nlight at=0 level=100\n",
		s->name, ms(s, s->frames) + 60000, (unsigned int)(s->noise + 0.5));
	for (unsigned int i = 0; i < s->nitems; i++) {
		const struct vigil_scene_item *it = &s->items[i];
		const unsigned int dur = ms(s, it->end > it->start + 1 ? it->end - 1 : it->start + 1) -
					 ms(s, it->start);

		switch (it->kind) {
		case VIGIL_SCENE_PERSON:
		case VIGIL_SCENE_PET:
			if (it->nwaypoints) {
				fprintf(stderr, "vigil-scene: %s: paths have no equivalent in vigil.ko's scenes\n",
					s->name);
				return -ENOTSUP;
			}
			fprintf(fp, "object name=i%u shape=ellipse w=%d h=%d from=%d,%d to=%d,%d "
				    "start=%u duration=%u luma=%d warm=%d\n", i,
				pm((int)it->w, s->width), pm((int)it->h, s->height),
				pm(it->from_x + (int)it->w / 2, s->width),
				pm(it->y + (int)it->h / 2, s->height),
				pm(it->to_x + (int)it->w / 2, s->width),
				pm(it->y + (int)it->h / 2, s->height), ms(s, it->start),
				dur ? dur : 1, luma(it->contrast), it->warm);
			break;
		case VIGIL_SCENE_SWAY:
			fprintf(fp, "object name=i%u shape=rect w=%d h=%d from=%d,%d to=%d,%d "
				    "start=%u duration=%u motion=bounce luma=%d warm=0\n", i,
				pm((int)it->w, s->width), pm((int)it->h, s->height),
				pm(it->from_x + (int)it->w / 2, s->width),
				pm(it->y + (int)it->h / 2, s->height),
				pm(it->from_x + (int)it->w / 2 + (int)it->amount, s->width),
				pm(it->y + (int)it->h / 2, s->height), ms(s, it->start),
				ms(s, 7), luma(it->contrast));
			break;
		case VIGIL_SCENE_HEADLIGHTS:
			fprintf(fp, "object name=i%u shape=rect w=%d h=1000 from=%d,500 to=%d,500 "
				    "start=%u duration=%u luma=%d warm=0\n", i,
				pm((int)it->w / 2, s->width), pm(it->from_x, s->width),
				pm(it->to_x, s->width), ms(s, it->start), dur ? dur : 1,
				luma(it->contrast));
			break;
		case VIGIL_SCENE_LIGHT:
		case VIGIL_SCENE_IR:
			fprintf(fp, "light at=%u level=%d ramp=%u%s\n", ms(s, it->start),
				(int)(100 * it->amount + 0.5), ms(s, 1),
				it->kind == VIGIL_SCENE_IR ? " ir=1" : "");
			if (it->end < s->frames)
				fprintf(fp, "light at=%u level=100 ramp=%u\n", ms(s, it->end),
					ms(s, 1));
			break;
		case VIGIL_SCENE_EXPOSURE:
			/* the sensor's light level, ramped: an exposure drift */
			fprintf(fp, "light at=%u level=%d ramp=%u\n", ms(s, it->start),
				(int)(100 * it->amount + 0.5),
				ms(s, it->end > it->start ? it->end - it->start : 1));
			break;
		case VIGIL_SCENE_RAIN:
		case VIGIL_SCENE_SHADOW:
		case VIGIL_SCENE_COVER:
		case VIGIL_SCENE_NKINDS:
			fprintf(stderr, "vigil-scene: %s: '%s' has no equivalent in vigil.ko's scenes\n",
				s->name, vigil_scene_kind_name(it->kind));
			return -ENOTSUP;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pir", required_argument, NULL, 'p' },
		{ "raw", no_argument, NULL, 'r' },
		{ "truth", no_argument, NULL, 't' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *pir = NULL;
	bool raw = false, truth = false, kernel = false;
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
		case 'k': kernel = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || (!out && !pir && !truth && !kernel)) {
		usage(stderr);
		return 2;
	}
	if (vigil_scene_load(&s, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "vigil-scene: %s\n", err);
		return 1;
	}
	if (kernel) {
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);

		if (!mem)
			return 1;
		ret = print_kernel(&s, mem);
		fclose(mem);
		if (!ret)
			fputs(text, stdout);
		free(text);
		return ret ? 3 : 0;
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
