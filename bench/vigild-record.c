// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild recording 1080p30 (issue #8): the same daemon on the same looping
 * 1920x1080 NV12 replay (a camera's format, chroma with structure and
 * noise), in real time, without [record] dir, recording in colour (NV12
 * clips, the default) and recording luma only ([record] colour = no), one
 * after the other in this run. An alarm is on the whole time (a person
 * keeps crossing), so the recording runs write a clip throughout. Figures
 * (in colour, and the CPU, RSS and disk figures luma only beside them):
 *  - CPU of vigild, fraction of one core (utime + stime over the steady
 *    part of the run), against the run without recording;
 *  - frames behind real time at the end of the run (frames the replay
 *    clock had due minus frames processed) and capture's dropped frames
 *    (sequence gaps while recording): goal 0;
 *  - frames the recorder dropped (its encoder thread's pool full:
 *    rec_dropped) against the frames it recorded: goal 0;
 *  - peak RSS beyond the pre-roll budget: VmHWM(recording) - VmHWM(not
 *    recording) - preroll_bytes, with a 16 MiB budget that the run fills
 *    and wraps (so all of its pages are touched), goal < 16 MiB;
 *  - the same with anonymous memory alone: peak RssAnon (sampled every
 *    50 ms) recording - not recording - preroll_bytes. VmHWM also counts
 *    the replay file's pages, and recording reads the chroma the detector
 *    alone never touches: with a camera those are its buffers, mapped
 *    either way;
 *  - the write buffers' peak (bytes of the buffers waiting for the disk,
 *    part of the RSS figure: the pre-roll's copy into the clip bounds it);
 *  - the encoder's CPU per frame;
 *  - the clips' bytes per hour, colour against luma only;
 *  - and, at the size of test-record's scene (320x240 GREY at 15 fps, an
 *    alarm throughout, clips of 1 s), the frames real-time recording did
 *    not record (rec_dropped, of which rec_dropped_writes) against the
 *    frames delivered in the same run: the drop ratio that test-record
 *    no longer asserts (it asserts that every frame is recorded or
 *    counted, whatever the load).
 * Prints one JSON object per figure.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "bench.h"

#define W 1920
#define H 1080
#define FPS 30
#define FRAMES 30
#define RUN_MS 8000
#define STEADY_MS 2000		/* CPU counted from here to the end */
#define PREROLL_BYTES_STR "16777216"	/* wrapped within the run */

/*
 * A person crossing, over and over, as NV12: chroma follows the luma's
 * 2x2 means and a gradient, with a level of noise of its own (a sensor's
 * chroma is never clean).
 */
static int make_nv12(const char *path)
{
	struct vigil_scene s = {
		.width = W, .height = H, .fps = FPS, .frames = FRAMES,
		.seed = 7, .noise = 2, .nitems = 1,
		.items = { { .kind = VIGIL_SCENE_PERSON, .start = 0, .end = FRAMES,
			     .from_x = W / 8, .to_x = W / 2, .y = H / 4,
			     .w = W / 10, .h = H / 2, .contrast = -40, .warm = true } },
	};
	uint8_t *buf = malloc((size_t)W * H * 3 / 2);
	FILE *fp = fopen(path, "w");
	uint32_t rng = 12345;
	int ret = -1;

	if (!buf || !fp)
		goto out;
	for (unsigned int i = 0; i < FRAMES; i++) {
		uint8_t *c = buf + (size_t)W * H;

		vigil_scene_render(&s, i, buf);
		for (unsigned int y = 0; y < H / 2; y++) {
			uint8_t *row = c + (size_t)y * W;	/* W / 2 CbCr pairs */

			for (unsigned int x = 0; x < W / 2; x++) {
				const uint8_t *l = buf + (size_t)2 * y * W + 2 * x;
				const int m = (l[0] + l[1] + l[W] + l[W + 1]) / 4;

				rng = rng * 1103515245u + 12345u;
				row[2 * x] = (uint8_t)(100 + m / 8 + x / 40 + (int)((rng >> 16) % 3));
				row[2 * x + 1] = (uint8_t)(150 - m / 8 + y / 30 +
							   (int)((rng >> 20) % 3));
			}
		}
		fwrite(buf, (size_t)W * H * 3 / 2, 1, fp);
	}
	ret = ferror(fp) ? -1 : 0;
out:
	if (fp && fclose(fp))
		ret = -1;
	free(buf);
	return ret;
}

/* test-record's size: a person crossing, over and over, as GREY Y4M */
#define SW 320
#define SH 240
#define SFPS 15
#define SFRAMES 60
#define SMALL_MS 6000

static int make_small(const char *path)
{
	const struct vigil_y4m_info info = { SW, SH, SFPS, 1, VIGIL_FMT_GREY, 0 };
	struct vigil_scene s = {
		.width = SW, .height = SH, .fps = SFPS, .frames = SFRAMES,
		.seed = 3, .noise = 2, .nitems = 1,
		.items = { { .kind = VIGIL_SCENE_PERSON, .start = 0, .end = SFRAMES,
			     .from_x = -10, .to_x = 300, .y = 70, .w = 60, .h = 150,
			     .contrast = -45, .warm = true } },
	};
	static uint8_t buf[SW * SH];
	char hdr[128];
	const int n = vigil_y4m_format_header(hdr, sizeof(hdr), &info);
	FILE *fp = n > 0 ? fopen(path, "w") : NULL;

	if (!fp)
		return -1;
	fwrite(hdr, 1, (size_t)n, fp);
	for (unsigned int i = 0; i < SFRAMES; i++) {
		vigil_scene_render(&s, i, buf);
		fputs("FRAME\n", fp);
		fwrite(buf, 1, sizeof(buf), fp);
	}
	return fclose(fp) ? -1 : 0;
}

/* Record @y4m in real time into @dir for SMALL_MS, stats into @errpath. */
static int run_small(const char *vigild, const char *y4m, const char *dir,
		     const char *errpath)
{
	char src[PATH_MAX + 16], set[PATH_MAX + 32];
	pid_t pid;
	int st;

	snprintf(src, sizeof(src), "replay:%s", y4m);
	snprintf(set, sizeof(set), "record.dir=%s", dir);
	pid = fork_logged(errpath);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		execl(vigild, vigild, "--source", src, "--loop", "--realtime",
		      "--policy", "video-only", "--events", "/dev/null", "--stats",
		      "--set", set, "--set", "record.max_clip_s=1", "--set", "record.preroll_s=1",
		      "--set", "record.keyint=5", (char *)NULL);
		_exit(127);
	}
	sleep_ms(SMALL_MS);
	kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "vigild-record: vigild failed (status %d), see %s\n", st,
			errpath);
		return -1;
	}
	return 0;
}

/* utime + stime of @pid in clock ticks, -1 on error. */
static long cpu_ticks(pid_t pid)
{
	char path[64], line[1024], *p;
	unsigned long ut, st;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	p = fgets(line, sizeof(line), fp) ? strrchr(line, ')') : NULL;
	fclose(fp);
	/* after "comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* A "Key:   N kB" line of /proc/PID/status, -1 if absent. */
static long status_kb(pid_t pid, const char *key)
{
	const size_t n = strlen(key);
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "r");
	while (fp && fgets(line, sizeof(line), fp))
		if (!strncmp(line, key, n))
			kb = atol(line + n);
	if (fp)
		fclose(fp);
	return kb;
}

static long vm_hwm_kb(pid_t pid)
{
	return status_kb(pid, "VmHWM:");
}

/* Sleep until @until (now_ms()), sampling RssAnon into *@peak every 50 ms. */
static void sample_anon(pid_t pid, uint64_t until, long *peak)
{
	for (uint64_t t = now_ms(); t < until; t = now_ms()) {
		const long kb = status_kb(pid, "RssAnon:");

		if (kb > *peak)
			*peak = kb;
		sleep_ms(until - t < 50 ? (unsigned int)(until - t) : 50);
	}
}

struct result {
	double cpu;		/* fraction of a core */
	long hwm_kb;
	long anon_kb;		/* peak RssAnon, sampled */
	double frames;		/* processed */
	double due;		/* due by the replay clock */
};

/* Bytes of the clips in @dir (closed or still open). */
static double clip_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	double sum = 0;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX + 300];
		struct stat st;

		if (!strstr(e->d_name, ".vclip"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!stat(path, &st))
			sum += (double)st.st_size;
	}
	if (d)
		closedir(d);
	return sum;
}

/* One run: recording to @dir (NULL: not recording), @colour "yes"/"no". */
static int run(const char *vigild, const char *raw, const char *dir, const char *colour,
	       const char *errpath, struct result *res)
{
	char src[PATH_MAX + 16], set[PATH_MAX + 32], col[64];
	long t0, t1;
	uint64_t m0, m1, start;
	pid_t pid;
	int st;

	snprintf(src, sizeof(src), "replay:%s", raw);
	snprintf(set, sizeof(set), "record.dir=%s", dir ? dir : "");
	snprintf(col, sizeof(col), "record.colour=%s", colour);
	start = now_ms();
	pid = fork_logged(errpath);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		execl(vigild, vigild, "--source", src, "--size", "1920x1080", "--format", "NV12",
		      "--fps", "30", "--loop", "--realtime",
		      "--policy", "video-only", "--events", "/dev/null", "--stats",
		      "--set", set, "--set", col, "--set", "record.max_clip_s=3600",
		      "--set", "record.sync_ms=1000",
		      "--set", "record.preroll_bytes=" PREROLL_BYTES_STR, (char *)NULL);
		_exit(127);
	}
	res->anon_kb = -1;
	sample_anon(pid, start + STEADY_MS, &res->anon_kb);
	t0 = cpu_ticks(pid);
	m0 = now_ms();
	sample_anon(pid, start + RUN_MS, &res->anon_kb);
	t1 = cpu_ticks(pid);
	m1 = now_ms();
	res->hwm_kb = vm_hwm_kb(pid);
	res->due = (double)(now_ms() - start) * FPS / 1000.0;
	kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "vigild-record: vigild failed (status %d), see %s\n", st,
			errpath);
		return -1;
	}
	if (t0 < 0 || t1 < 0 || m1 <= m0)
		return -1;
	res->cpu = (double)(t1 - t0) / (double)sysconf(_SC_CLK_TCK) /
		   ((double)(m1 - m0) / 1000.0);
	res->frames = stat_from(errpath, "stats: frames ");
	return 0;
}

/* The recorder's figures of a recording run, from its stats line. */
struct rec_stats {
	double dropped, enc_us, rec_dropped, recorded, clips, bytes_per_h, wbuf_peak;
};

static void rec_stats(const char *err, const char *dir, struct rec_stats *r)
{
	r->dropped = stat_from(err, "dropped_frames ");
	r->enc_us = stat_from(err, "encode_cpu_us_per_frame ");
	r->rec_dropped = stat_from(err, "rec_dropped ");
	r->recorded = stat_from(err, "recorded_frames ");
	r->clips = stat_from(err, "recording clips ");
	r->wbuf_peak = stat_from(err, "write_buffered_peak ");
	r->bytes_per_h = r->recorded > 0 ? clip_bytes(dir) / r->recorded * FPS * 3600 : 0;
}

/* A memory figure: @kb beyond @base_kb and the pre-roll, the ratio of the peaks. */
static void kib_figure(const char *name, long kb, long base_kb, double preroll_kb,
		       const char *peak, const char *goal)
{
	printf("{\"name\":\"vigild-record-1080p30-%s\",\"figure\":%.0f,"
	       "\"unit\":\"KiB\",\"baseline\":%ld,\"baseline_name\":"
	       "\"vigild without recording (%s)\",\"ratio\":%.2f,\"goal\":\"%s\"}\n",
	       name, (double)kb - (double)base_kb - preroll_kb, base_kb, peak,
	       base_kb > 0 ? (double)kb / (double)base_kb : 0, goal);
}

int main(void)
{
	char vigild[PATH_MAX], raw[] = "/tmp/vigil-bench-rec-XXXXXX";
	char dir[] = "/tmp/vigil-bench-clips-XXXXXX", err0[PATH_MAX], err1[PATH_MAX];
	char err2[PATH_MAX], dir1[PATH_MAX], dir2[PATH_MAX];
	char err3[PATH_MAX], dir3[PATH_MAX], small[PATH_MAX];
	double s_frames, s_dropped, s_writes, s_recorded;
	struct result base, rec, luma;
	struct rec_stats c, g;
	double preroll_kb, behind_base, behind_rec;
	char cmd[3 * PATH_MAX + 64], goal[96];
	int fd;

	if (find_vigild(vigild, sizeof(vigild), "vigild-record"))
		return 1;
	fd = mkstemp(raw);
	if (fd < 0 || !mkdtemp(dir))
		return 1;
	close(fd);
	if (make_nv12(raw)) {
		fprintf(stderr, "vigild-record: cannot write %s\n", raw);
		return 1;
	}
	snprintf(err0, sizeof(err0), "%s/base.err", dir);
	snprintf(err1, sizeof(err1), "%s/rec.err", dir);
	snprintf(err2, sizeof(err2), "%s/luma.err", dir);
	snprintf(dir1, sizeof(dir1), "%s/colour", dir);
	snprintf(dir2, sizeof(dir2), "%s/luma", dir);
	snprintf(err3, sizeof(err3), "%s/small.err", dir);
	snprintf(dir3, sizeof(dir3), "%s/small", dir);
	snprintf(small, sizeof(small), "%s/small.y4m", dir);
	if (mkdir(dir1, 0700) || mkdir(dir2, 0700) || mkdir(dir3, 0700) ||
	    make_small(small) ||
	    run(vigild, raw, NULL, "yes", err0, &base) ||
	    run(vigild, raw, dir1, "yes", err1, &rec) ||
	    run(vigild, raw, dir2, "no", err2, &luma) ||
	    run_small(vigild, small, dir3, err3)) {
		unlink(raw);
		return 1;
	}
	unlink(raw);
	s_frames = stat_from(err3, "stats: frames ");
	s_dropped = stat_from(err3, " rec_dropped ");
	s_writes = stat_from(err3, "rec_dropped_writes ");
	s_recorded = stat_from(err3, "recorded_frames ");
	if (s_frames <= 0 || s_recorded <= 0 || s_dropped < 0 || s_writes < 0) {
		fprintf(stderr, "vigild-record: the 320x240 run recorded nothing (see %s)\n", err3);
		return 1;
	}
	preroll_kb = atof(PREROLL_BYTES_STR) / 1024;
	rec_stats(err1, dir1, &c);
	rec_stats(err2, dir2, &g);
	if (c.clips < 1 || g.clips < 1 || c.dropped < 0) {
		fprintf(stderr, "vigild-record: nothing was recorded (see %s, %s)\n", err1, err2);
		return 1;
	}
	behind_base = base.due - base.frames;
	behind_rec = rec.due - rec.frames;
	printf("{\"name\":\"vigild-record-1080p30-cpu\",\"figure\":%.3f,\"unit\":\"cores\","
	       "\"baseline\":%.3f,\"baseline_name\":\"vigild without recording\","
	       "\"ratio\":%.2f,\"goal\":\"figure < 0.5 (NV12 clips)\"}\n",
	       rec.cpu, base.cpu, base.cpu > 0 ? rec.cpu / base.cpu : 0);
	printf("{\"name\":\"vigild-record-1080p30-cpu-luma-only\",\"figure\":%.3f,"
	       "\"unit\":\"cores\",\"baseline\":%.3f,\"baseline_name\":"
	       "\"vigild without recording\",\"ratio\":%.2f,"
	       "\"goal\":\"beside the NV12 figure: record.colour = no\"}\n",
	       luma.cpu, base.cpu, base.cpu > 0 ? luma.cpu / base.cpu : 0);
	printf("{\"name\":\"vigild-record-1080p30-frames-behind\",\"figure\":%.0f,"
	       "\"unit\":\"frames\",\"baseline\":%.0f,\"baseline_name\":"
	       "\"vigild without recording\",\"ratio\":%.2f,"
	       "\"goal\":\"0; capture dropped 0 while recording (it dropped %.0f)\"}\n",
	       behind_rec > 0 ? behind_rec : 0, behind_base > 0 ? behind_base : 0,
	       behind_base > 1 ? behind_rec / behind_base : 0, c.dropped);
	printf("{\"name\":\"vigild-record-1080p30-recorder-dropped\",\"figure\":%.0f,"
	       "\"unit\":\"frames\",\"baseline\":%.0f,\"baseline_name\":"
	       "\"frames recorded\",\"ratio\":%.4f,\"goal\":\"figure 0\"}\n",
	       c.rec_dropped, c.recorded, c.recorded > 0 ? c.rec_dropped / c.recorded : 0);
	snprintf(goal, sizeof(goal), "figure < 16384 (pre-roll budget: %.0f KiB; NV12 clips)",
		 preroll_kb);
	kib_figure("rss-beyond-preroll", rec.hwm_kb, base.hwm_kb, preroll_kb, "VmHWM", goal);
	kib_figure("rss-beyond-preroll-luma-only", luma.hwm_kb, base.hwm_kb, preroll_kb, "VmHWM",
		   "beside the NV12 figure: record.colour = no");
	kib_figure("anon-beyond-preroll", rec.anon_kb, base.anon_kb, preroll_kb, "peak RssAnon",
		   "figure < 16384 (anonymous memory: without the replay file's pages)");
	kib_figure("anon-beyond-preroll-luma-only", luma.anon_kb, base.anon_kb, preroll_kb,
		   "peak RssAnon", "beside the NV12 figure: record.colour = no");
	printf("{\"name\":\"vigild-record-1080p30-write-buffers-peak\",\"figure\":%.0f,"
	       "\"unit\":\"KiB\",\"baseline\":%.0f,\"baseline_name\":\"luma only\","
	       "\"ratio\":%.3f,\"goal\":\"part of the RSS figure; a live frame is not "
	       "recorded while 4096 are busy\"}\n",
	       c.wbuf_peak / 1024, g.wbuf_peak / 1024,
	       g.wbuf_peak > 0 ? c.wbuf_peak / g.wbuf_peak : 0);
	printf("{\"name\":\"vigild-record-1080p30-encode-cpu-per-frame\",\"figure\":%.0f,"
	       "\"unit\":\"us\",\"baseline\":%.0f,\"baseline_name\":\"luma only\","
	       "\"ratio\":%.3f}\n", c.enc_us, g.enc_us, g.enc_us > 0 ? c.enc_us / g.enc_us : 0);
	printf("{\"name\":\"vigild-record-1080p30-disk-per-hour\",\"figure\":%.2f,"
	       "\"unit\":\"GB/h\",\"baseline\":%.2f,\"baseline_name\":\"luma only\","
	       "\"ratio\":%.3f,\"goal\":\"synthetic scene; see clip-colour-disk-per-hour "
	       "for real footage\"}\n", c.bytes_per_h / 1e9, g.bytes_per_h / 1e9,
	       g.bytes_per_h > 0 ? c.bytes_per_h / g.bytes_per_h : 0);
	printf("{\"name\":\"vigild-record-realtime-dropped\",\"figure\":%.0f,"
	       "\"unit\":\"frames\",\"baseline\":%.0f,\"baseline_name\":"
	       "\"frames delivered (320x240 GREY 15 fps, alarm throughout, 1 s clips, %d s)\","
	       "\"ratio\":%.4f,\"goal\":\"figure 0 (of which for want of a write buffer: "
	       "%.0f; recorded %.0f)\"}\n",
	       s_dropped, s_frames, SMALL_MS / 1000, s_dropped / s_frames, s_writes, s_recorded);
	/* the recorder's own stats lines, for the log */
	snprintf(cmd, sizeof(cmd), "grep -h 'stats: recording' '%s' '%s' '%s' >&2", err1, err2,
		 err3);
	if (system(cmd))
		fprintf(stderr, "vigild-record: no recording stats in %s\n", err1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? 1 : 0;
}
