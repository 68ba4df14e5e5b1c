// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild recording 1080p30 (issue #8): the same daemon on the same looping
 * 1920x1080 I420 replay, in real time, with and without [record] dir, one
 * after the other in this run. An alarm is on the whole time (a person keeps
 * crossing), so the recording run writes a clip throughout. Figures:
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
 *  - the encoder's CPU per frame.
 * Prints one JSON object per figure.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libvigil.h"
#include "vigil-internal.h"

#define W 1920
#define H 1080
#define FPS 30
#define FRAMES 30
#define RUN_MS 8000
#define STEADY_MS 2000		/* CPU counted from here to the end */
#define PREROLL_BYTES_STR "16777216"	/* wrapped within the run */

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A person crossing, over and over: I420, chroma flat. */
static int make_y4m(const char *path)
{
	struct vigil_scene s = {
		.width = W, .height = H, .fps = FPS, .frames = FRAMES,
		.seed = 7, .noise = 2, .nitems = 1,
		.items = { { .kind = VIGIL_SCENE_PERSON, .start = 0, .end = FRAMES,
			     .from_x = W / 8, .to_x = W / 2, .y = H / 4,
			     .w = W / 10, .h = H / 2, .contrast = -40, .warm = true } },
	};
	const struct vigil_y4m_info info = { W, H, FPS, 1, VIGIL_FMT_I420, 0 };
	uint8_t *buf = malloc((size_t)W * H * 3 / 2);
	FILE *fp = fopen(path, "w");
	char hdr[128];
	int ret = -1;

	if (!buf || !fp || vigil_y4m_format_header(hdr, sizeof(hdr), &info) < 0)
		goto out;
	fputs(hdr, fp);
	memset(buf + (size_t)W * H, 128, (size_t)W * H / 2);
	for (unsigned int i = 0; i < FRAMES; i++) {
		vigil_scene_render(&s, i, buf);
		fputs("FRAME\n", fp);
		fwrite(buf, (size_t)W * H * 3 / 2, 1, fp);
	}
	ret = ferror(fp) ? -1 : 0;
out:
	if (fp && fclose(fp))
		ret = -1;
	free(buf);
	return ret;
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

static long vm_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "r");
	while (fp && fgets(line, sizeof(line), fp))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	if (fp)
		fclose(fp);
	return kb;
}

/* A number after @key in the file's last line holding it, or -1. */
static double stat_from(const char *path, const char *key)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	double v = -1;

	while (fp && fgets(line, sizeof(line), fp)) {
		const char *p = strstr(line, key);

		if (p)
			v = atof(p + strlen(key));
	}
	if (fp)
		fclose(fp);
	return v;
}

struct result {
	double cpu;		/* fraction of a core */
	long hwm_kb;
	double frames;		/* processed */
	double due;		/* due by the replay clock */
};

static int run(const char *vigild, const char *y4m, const char *dir,
	       const char *errpath, struct result *res)
{
	char src[PATH_MAX + 16], set[PATH_MAX + 32];
	long t0, t1;
	uint64_t m0, m1, start;
	pid_t pid;
	int st;

	snprintf(src, sizeof(src), "replay:%s", y4m);
	snprintf(set, sizeof(set), "record.dir=%s", dir ? dir : "");
	start = now_ms();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (!freopen(errpath, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(126);
		execl(vigild, vigild, "--source", src, "--loop", "--realtime",
		      "--policy", "video-only", "--events", "/dev/null", "--stats",
		      "--set", set, "--set", "record.max_clip_s=3600",
		      "--set", "record.sync_ms=1000",
		      "--set", "record.preroll_bytes=" PREROLL_BYTES_STR, (char *)NULL);
		_exit(127);
	}
	sleep_ms(STEADY_MS);
	t0 = cpu_ticks(pid);
	m0 = now_ms();
	sleep_ms(RUN_MS - STEADY_MS);
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

int main(void)
{
	char vigild[PATH_MAX], y4m[] = "/tmp/vigil-bench-rec-XXXXXX";
	char dir[] = "/tmp/vigil-bench-clips-XXXXXX", err0[PATH_MAX], err1[PATH_MAX];
	const char *build = getenv("VIGIL_BUILD");
	struct result base, rec;
	double preroll_kb, dropped, enc_us, behind_base, behind_rec, rec_dropped, recorded;
	char cmd[2 * PATH_MAX + 64];
	int fd;

	snprintf(vigild, sizeof(vigild), "%s/vigild", build ? build : "build/userspace");
	if (access(vigild, X_OK)) {
		/* run from the build tree: bench/ is next to vigild */
		const ssize_t n = readlink("/proc/self/exe", vigild, sizeof(vigild) - 16);

		if (n <= 0)
			return 1;
		vigild[n] = 0;
		strcpy(strrchr(vigild, '/'), "/../vigild");
	}
	fd = mkstemp(y4m);
	if (fd < 0 || !mkdtemp(dir))
		return 1;
	close(fd);
	if (make_y4m(y4m)) {
		fprintf(stderr, "vigild-record: cannot write %s\n", y4m);
		return 1;
	}
	snprintf(err0, sizeof(err0), "%s/base.err", dir);
	snprintf(err1, sizeof(err1), "%s/rec.err", dir);
	if (run(vigild, y4m, NULL, err0, &base) || run(vigild, y4m, dir, err1, &rec)) {
		unlink(y4m);
		return 1;
	}
	unlink(y4m);
	preroll_kb = atof(PREROLL_BYTES_STR) / 1024;
	dropped = stat_from(err1, "dropped_frames ");
	enc_us = stat_from(err1, "encode_cpu_us_per_frame ");
	rec_dropped = stat_from(err1, "rec_dropped ");
	recorded = stat_from(err1, "recorded_frames ");
	if (stat_from(err1, "recording clips ") < 1 || dropped < 0) {
		fprintf(stderr, "vigild-record: nothing was recorded (see %s)\n", err1);
		return 1;
	}
	behind_base = base.due - base.frames;
	behind_rec = rec.due - rec.frames;
	printf("{\"name\":\"vigild-record-1080p30-cpu\",\"figure\":%.3f,\"unit\":\"cores\","
	       "\"baseline\":%.3f,\"baseline_name\":\"vigild without recording\","
	       "\"ratio\":%.2f,\"goal\":\"figure < 0.5\"}\n",
	       rec.cpu, base.cpu, base.cpu > 0 ? rec.cpu / base.cpu : 0);
	printf("{\"name\":\"vigild-record-1080p30-frames-behind\",\"figure\":%.0f,"
	       "\"unit\":\"frames\",\"baseline\":%.0f,\"baseline_name\":"
	       "\"vigild without recording\",\"ratio\":%.2f,"
	       "\"goal\":\"0; capture dropped 0 while recording (it dropped %.0f)\"}\n",
	       behind_rec > 0 ? behind_rec : 0, behind_base > 0 ? behind_base : 0,
	       behind_base > 1 ? behind_rec / behind_base : 0, dropped);
	printf("{\"name\":\"vigild-record-1080p30-recorder-dropped\",\"figure\":%.0f,"
	       "\"unit\":\"frames\",\"baseline\":%.0f,\"baseline_name\":"
	       "\"frames recorded\",\"ratio\":%.4f,\"goal\":\"figure 0\"}\n",
	       rec_dropped, recorded, recorded > 0 ? rec_dropped / recorded : 0);
	printf("{\"name\":\"vigild-record-1080p30-rss-beyond-preroll\",\"figure\":%.0f,"
	       "\"unit\":\"KiB\",\"baseline\":%ld,\"baseline_name\":"
	       "\"vigild without recording (VmHWM)\",\"ratio\":%.2f,"
	       "\"goal\":\"figure < 16384 (pre-roll budget: %.0f KiB)\"}\n",
	       (double)rec.hwm_kb - (double)base.hwm_kb - preroll_kb, base.hwm_kb,
	       (double)rec.hwm_kb / (double)base.hwm_kb, preroll_kb);
	printf("{\"name\":\"vigild-record-1080p30-encode-cpu-per-frame\",\"figure\":%.0f,"
	       "\"unit\":\"us\",\"baseline\":%.0f,\"baseline_name\":\"frame period\","
	       "\"ratio\":%.3f}\n", enc_us, 1e6 / FPS, enc_us * FPS / 1e6);
	/* the recorder's own stats line, for the log */
	snprintf(cmd, sizeof(cmd), "grep -h 'stats: recording' '%s' >&2", err1);
	if (system(cmd))
		fprintf(stderr, "vigild-record: no recording stats in %s\n", err1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? 1 : 0;
}
