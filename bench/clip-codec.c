// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The clip codec against its baselines, all on the same frames in one run,
 * on one core:
 *   vigil lossless and near-lossless N=2 with the writer's default codec
 *   (keyframe every 250 frames, as x264's default GOP), codec 1 lossless,
 *   plain frame deltas + zstd -1, x264 lossless
 *   (ffmpeg -c:v libx264 -preset ultrafast -qp 0 -threads 1) and FFV1
 *   (ffmpeg -c:v ffv1 -threads 1).
 * Speeds are frames per CPU second (our process CPU time, ffmpeg's
 * children rusage), so a loaded machine skews them less than wall time.
 * ffmpeg's time includes reading the Y4M input, which is small against
 * encoding.
 *
 *   clip-codec [FILE.y4m NAME]   default: the scenario suite (luma)
 *
 * Prints one JSON object per figure (see scripts/bench).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "libvigil.h"
#include "vigil-internal.h"

struct frames {
	struct vigil_codec_params p;
	size_t fsize;
	unsigned int n;
	uint8_t *data;
	char y4m[256];		/* the same frames as a Y4M file for ffmpeg */
};

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int load_scenes(struct frames *f)
{
	static const char *const names[] = { "person-walk.ini", "rain.ini",
					     "tree-sway.ini", "headlights.ini" };
	const char *src = getenv("VIGIL_SRCDIR");
	struct vigil_scene s;
	char path[512], err[256];

	f->n = 0;
	for (unsigned int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/tests/scenarios/%s",
			 src ? src : "..", names[i]);
		if (vigil_scene_load(&s, path, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", path, err);
			return -1;
		}
		if (!i) {
			vigil_codec_params_default(&f->p);
			f->p.width = s.width;
			f->p.height = s.height;
			f->fsize = (size_t)s.width * s.height;
			f->data = malloc(f->fsize * 4 * 200);
		} else if (s.width != f->p.width || s.height != f->p.height) {
			continue;
		}
		for (unsigned int k = 0; k < s.frames && k < 200; k++)
			vigil_scene_render(&s, k, f->data + f->fsize * f->n++);
	}
	return 0;
}

static int load_y4m(struct frames *f, const char *path)
{
	const struct vigil_y4m_info *in;
	struct vigil_y4m *y;
	const uint8_t *frame;
	const char *err;
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED || vigil_y4m_new(map, (size_t)st.st_size, &y, &err)) {
		fprintf(stderr, "%s: not a Y4M file\n", path);
		return -1;
	}
	in = vigil_y4m_info(y);
	vigil_codec_params_default(&f->p);
	f->p.fmt = in->fmt;
	f->p.width = in->width;
	f->p.height = in->height;
	f->fsize = in->frame_size;
	f->data = malloc((size_t)st.st_size);
	f->n = 0;
	while (f->data && !vigil_y4m_next(y, &frame))
		memcpy(f->data + f->fsize * f->n++, frame, f->fsize);
	vigil_y4m_free(y);
	munmap(map, (size_t)st.st_size);
	snprintf(f->y4m, sizeof(f->y4m), "%s", path);
	return f->data && f->n ? 0 : -1;
}

static int write_y4m(struct frames *f)
{
	struct vigil_y4m_info info = {
		.width = f->p.width, .height = f->p.height, .fps_num = 15,
		.fps_den = 1, .fmt = f->p.fmt, .frame_size = f->fsize,
	};
	char hdr[256];
	FILE *fp;

	snprintf(f->y4m, sizeof(f->y4m), "/tmp/vigil-bench-%d.y4m", getpid());
	fp = fopen(f->y4m, "w");
	if (!fp || vigil_y4m_format_header(hdr, sizeof(hdr), &info) < 0)
		return -1;
	fputs(hdr, fp);
	for (unsigned int i = 0; i < f->n; i++) {
		fputs("FRAME\n", fp);
		fwrite(f->data + f->fsize * i, 1, f->fsize, fp);
	}
	return fclose(fp);
}

/*
 * vigil codec: encoded bytes and encoding CPU seconds; checks the round
 * trip and times the decoding (*dsecs).
 */
static int run_vigil(const struct frames *f, unsigned int codec,
		     unsigned int near, size_t *bytes, double *secs, double *dsecs)
{
	struct vigil_codec_params p = f->p;
	struct vigil_encoder *e;
	struct vigil_decoder *d;
	uint8_t *buf, *out;
	size_t cap, len;
	double t0;
	int ret;

	p.near = near;
	p.keyint = 250;
	p.codec = codec;
	if (vigil_encoder_new(&p, &e) || vigil_decoder_new(&p, &d))
		return -1;
	cap = vigil_encoder_bound(e);
	buf = malloc(cap);
	out = malloc(f->fsize);
	*bytes = 0;
	t0 = cpu_s();
	for (unsigned int i = 0; i < f->n; i++) {
		ret = vigil_encoder_encode(e, f->data + f->fsize * i, buf, cap, &len,
					   NULL);
		if (ret)
			return -1;
		*bytes += len;
	}
	*secs = cpu_s() - t0;
	/* correctness, outside the encoding's timing: decode and compare */
	vigil_encoder_free(e);
	vigil_encoder_new(&p, &e);
	*dsecs = 0;
	for (unsigned int i = 0; i < f->n; i++) {
		const uint8_t *src = f->data + f->fsize * i;

		vigil_encoder_encode(e, src, buf, cap, &len, NULL);
		t0 = cpu_s();
		ret = vigil_decoder_decode(d, buf, len, out);
		*dsecs += cpu_s() - t0;
		if (ret)
			return -1;
		for (size_t k = 0; k < f->fsize; k++) {
			const int diff = out[k] - src[k];

			if (diff > (int)near || diff < -(int)near) {
				fprintf(stderr, "frame %u: pixel %zu off by %d\n", i, k, diff);
				return -1;
			}
		}
	}
	free(out);
	free(buf);
	vigil_decoder_free(d);
	vigil_encoder_free(e);
	return 0;
}

/* Frame deltas (mod 256) from the previous frame, each zstd -1. */
static int run_zstd_delta(const struct frames *f, size_t *bytes, double *secs)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	const size_t cap = ZSTD_compressBound(f->fsize);
	uint8_t *delta = malloc(f->fsize), *out = malloc(cap);
	double t0;

	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
	*bytes = 0;
	t0 = cpu_s();
	for (unsigned int i = 0; i < f->n; i++) {
		const uint8_t *cur = f->data + f->fsize * i;
		const uint8_t *prev = i ? cur - f->fsize : NULL;
		size_t n;

		for (size_t k = 0; k < f->fsize; k++)
			delta[k] = (uint8_t)(cur[k] - (prev ? prev[k] : 0));
		n = ZSTD_compress2(c, out, cap, delta, f->fsize);
		if (ZSTD_isError(n))
			return -1;
		*bytes += n;
	}
	*secs = cpu_s() - t0;
	ZSTD_freeCCtx(c);
	free(delta);
	free(out);
	return 0;
}

/* ffmpeg encoding the Y4M: output bytes and the child's CPU seconds. */
static int run_ffmpeg(const struct frames *f, const char *const *codec,
		      size_t *bytes, double *secs)
{
	char out[64];
	struct rusage ru;
	struct stat st;
	int status;
	pid_t pid;

	snprintf(out, sizeof(out), "/tmp/vigil-bench-%d.mkv", getpid());
	pid = fork();
	if (pid == 0) {
		const char *argv[32] = { "ffmpeg", "-v", "error", "-y", "-threads", "1",
					 "-i", f->y4m };
		int a = 8;

		for (int i = 0; codec[i]; i++)
			argv[a++] = codec[i];
		argv[a++] = "-threads";
		argv[a++] = "1";
		argv[a++] = out;
		argv[a] = NULL;
		execvp("ffmpeg", (char **)argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || stat(out, &st)) {
		unlink(out);
		return -1;
	}
	unlink(out);
	*bytes = (size_t)st.st_size;
	*secs = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return 0;
}

static void figure(const char *name, const char *src, double fig,
		   const char *unit, double base, const char *base_name,
		   const char *goal, const struct frames *f)
{
	printf("{\"name\":\"%s-%s\",\"figure\":%.3f,\"unit\":\"%s\","
	       "\"baseline\":%.3f,\"baseline_name\":\"%s\",\"ratio\":%.3f,"
	       "\"goal\":\"%s\",\"frames\":%u,\"size\":\"%ux%u %s\"}\n",
	       name, src, fig, unit, base, base_name, base > 0 ? fig / base : 0,
	       goal, f->n, f->p.width, f->p.height, vigil_pixfmt_name(f->p.fmt));
}

int main(int argc, char **argv)
{
	static const char *const x264[] = { "-c:v", "libx264", "-preset", "ultrafast",
					    "-qp", "0", NULL };
	static const char *const ffv1[] = { "-c:v", "ffv1", NULL };
	const char *src = argc > 2 ? argv[2] : "scenes";
	struct frames f = { 0 };
	size_t b_l, b_n2, b_z, b_x = 0, b_f = 0, b_c1;
	double t_l, t_n2, t_z, t_x = 0, t_f = 0, raw, t_c1, d_l, d_n2, d_c1;
	bool tmp = false, have_ff;

	if (argc > 1 ? load_y4m(&f, argv[1]) : load_scenes(&f)) {
		fprintf(stderr, "clip-codec: cannot load the frames\n");
		return 1;
	}
	if (argc == 1) {
		if (write_y4m(&f)) {
			fprintf(stderr, "clip-codec: cannot write a temporary Y4M\n");
			return 1;
		}
		tmp = true;
	}
	raw = (double)f.fsize * f.n;
	/* the writer's default codec, and codec 1 */
	if (run_vigil(&f, 0, 0, &b_l, &t_l, &d_l) ||
	    run_vigil(&f, 0, 2, &b_n2, &t_n2, &d_n2) ||
	    run_vigil(&f, 1, 0, &b_c1, &t_c1, &d_c1) ||
	    run_zstd_delta(&f, &b_z, &t_z)) {
		fprintf(stderr, "clip-codec: vigil or zstd failed\n");
		return 1;
	}
	have_ff = !run_ffmpeg(&f, x264, &b_x, &t_x) && !run_ffmpeg(&f, ffv1, &b_f, &t_f);
	if (tmp)
		unlink(f.y4m);
	if (have_ff) {
		figure("clip-lossless-ratio-vs-x264", src, raw / b_l, "x", raw / b_x,
		       "x264 lossless ultrafast qp0, 1 thread", ">= 1", &f);
		figure("clip-lossless-fps-vs-x264", src, f.n / t_l, "frames/CPU s",
		       f.n / t_x, "x264 lossless ultrafast qp0, 1 thread", ">= 2", &f);
		figure("clip-lossless-ratio-vs-ffv1", src, raw / b_l, "x", raw / b_f,
		       "FFV1, 1 thread", "-", &f);
		figure("clip-lossless-fps-vs-ffv1", src, f.n / t_l, "frames/CPU s",
		       f.n / t_f, "FFV1, 1 thread", "-", &f);
	} else {
		fprintf(stderr, "clip-codec: ffmpeg (libx264, ffv1) not available: "
			"x264/FFV1 baselines not measured\n");
	}
	figure("clip-lossless-ratio-vs-zstd-delta", src, raw / b_l, "x", raw / b_z,
	       "frame deltas + zstd -1", "-", &f);
	figure("clip-lossless-fps-vs-zstd-delta", src, f.n / t_l, "frames/CPU s",
	       f.n / t_z, "frame deltas + zstd -1", "-", &f);
	figure("clip-near2-ratio-vs-lossless", src, raw / b_n2, "x", raw / b_l,
	       "vigil lossless", ">= 1.6", &f);
	figure("clip-near2-fps-vs-lossless", src, f.n / t_n2, "frames/CPU s",
	       f.n / t_l, "vigil lossless", "-", &f);
	figure("clip-lossless-decode-fps-vs-encode", src, f.n / d_l, "frames/CPU s",
	       f.n / t_l, "vigil lossless encoding", "-", &f);
	figure("clip-near2-decode-fps-vs-encode", src, f.n / d_n2, "frames/CPU s",
	       f.n / t_n2, "vigil near-lossless N=2 encoding", "-", &f);
	/* the default codec against codec 1 (equal when the default is 1) */
	figure("clip-lossless-ratio-vs-codec1", src, raw / b_l, "x", raw / b_c1,
	       "vigil codec 1 lossless", "-", &f);
	figure("clip-lossless-fps-vs-codec1", src, f.n / t_l, "frames/CPU s",
	       f.n / t_c1, "vigil codec 1 lossless", "-", &f);
	figure("clip-lossless-decode-fps-vs-codec1", src, f.n / d_l, "frames/CPU s",
	       f.n / d_c1, "vigil codec 1 lossless decoding", "-", &f);
	free(f.data);
	return 0;
}
