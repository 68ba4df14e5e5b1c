// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's loop while clips open, close and are evicted (issue #8): the
 * same daemon on the same looping 640x360 GREY replay at 30 fps, in real
 * time, an alarm throughout, clips of 1 s (so a clip opens and one closes
 * every second), the loop SCHED_FIFO (so other work on a shared machine
 * does not preempt it: what stalls it is its own), twice in this run:
 *  - baseline: recording into an empty directory, no retention limit;
 *  - evicting: the directory holds NOLD old clips of vigil's (16 KiB each)
 *    and max_bytes is what they hold, so every clip that closes evicts
 *    about its size in old clips (a card that is full, as it is after the
 *    first weeks), each deletion audited;
 * three runs of each, alternating; the figures are the medians.
 * Figures, evicting against the baseline:
 *  - the loop's longest stall: the longest it ran between two
 *    io_uring_enter calls (vigild --stats: loop_busy_max_us), where a
 *    blocking call shows whole;
 *  - what capture sees of it: the longest a frame waited past its due
 *    time before vigild took it (--trace: in_ns - ts_ns; the replay's
 *    frames are due on CLOCK_MONOTONIC like a camera's), which CPU load
 *    on a shared machine also moves.
 * With the clip store's I/O on the ring and its worker thread the two runs
 * match; with it on the loop (before issue #8's change) every eviction's
 * open, read, unlink, statvfs and audit append with fdatasync stalled the
 * loop. VIGILD=path runs another vigild (an older build, to compare).
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
#include <time.h>
#include <unistd.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "bench.h"

#define W 640
#define H 360
#define FPS 30
#define FRAMES 60
#define RUN_MS 7000
#define REPS 3		/* runs of each kind: the figures are medians */
#define SKIP_NS 1500000000ULL	/* start-up: not counted */
#define NOLD 1600
#define OLD_BYTES (16u << 10)

/* A person crossing, over and over, as GREY frames. */
static int make_grey(const char *path)
{
	struct vigil_scene s = {
		.width = W, .height = H, .fps = FPS, .frames = FRAMES,
		.seed = 5, .noise = 2, .nitems = 1,
		.items = { { .kind = VIGIL_SCENE_PERSON, .start = 0, .end = FRAMES,
			     .from_x = W / 8, .to_x = W / 2, .y = H / 4,
			     .w = W / 10, .h = H / 2, .contrast = -40, .warm = true } },
	};
	uint8_t *buf = malloc((size_t)W * H);
	FILE *fp = fopen(path, "w");
	int ret = -1;

	if (!buf || !fp)
		goto out;
	for (unsigned int i = 0; i < FRAMES; i++) {
		vigil_scene_render(&s, i, buf);
		fwrite(buf, (size_t)W * H, 1, fp);
	}
	ret = ferror(fp) ? -1 : 0;
out:
	if (fp && fclose(fp))
		ret = -1;
	free(buf);
	return ret;
}

/* NOLD clips of vigil's (the magic, then zeros), a year before now. */
static int make_old(const char *dir)
{
	static uint8_t buf[OLD_BYTES];

	memcpy(buf, "VIGILCLP", 8);
	for (unsigned int i = 0; i < NOLD; i++) {
		char id[VIGIL_CLIP_ID_LEN + 1], path[PATH_MAX + 64];
		FILE *fp;

		if (vigil_clip_id_make(id, sizeof(id), time(NULL) - 366 * 86400 + i, i % 9999 + 1))
			return -1;
		snprintf(path, sizeof(path), "%s/%s%s", dir, id, VIGIL_CLIP_EXT);
		fp = fopen(path, "w");
		if (!fp || fwrite(buf, sizeof(buf), 1, fp) != 1) {
			if (fp)
				fclose(fp);
			return -1;
		}
		if (fclose(fp))
			return -1;
	}
	return 0;
}

/* The longest a frame waited past its due time (ms), after start-up; -1. */
static double max_late_ms(const char *trace, unsigned int *nframes)
{
	FILE *fp = fopen(trace, "r");
	unsigned long long ts, in, first = 0;
	char line[1024];
	double worst = -1;

	*nframes = 0;
	while (fp && fgets(line, sizeof(line), fp)) {
		const char *t = strstr(line, "\"ts_ns\":"), *i = strstr(line, "\"in_ns\":");

		if (strncmp(line, "{\"frame\":", 9) || !t || !i)
			continue;
		ts = strtoull(t + 8, NULL, 10);
		in = strtoull(i + 8, NULL, 10);
		if (!first)
			first = ts;
		if (ts < first + SKIP_NS)
			continue;
		(*nframes)++;
		if (in > ts && (double)(in - ts) / 1e6 > worst)
			worst = (double)(in - ts) / 1e6;
		else if (worst < 0)
			worst = 0;
	}
	if (fp)
		fclose(fp);
	return worst;
}

struct result {
	double late_ms, busy_ms, evicted, clips, failed;
	unsigned int frames;
};

/*
 * vigild's stderr and --trace are written on its loop: on the clips' file
 * system they would wait for its journal, busy with the evictions' syncs
 * (a cost of the logging, not of the recorder, and under systemd stderr is
 * the journal's socket). They go to @logs, a tmpfs when there is one.
 */
static const char *logs;

static int run(const char *vigild, const char *raw, const char *dir, const char *max_bytes,
	       struct result *res)
{
	char src[PATH_MAX + 16], set[PATH_MAX + 32], mb[64], err[PATH_MAX], trace[PATH_MAX];
	pid_t pid;
	int st;

	snprintf(src, sizeof(src), "replay:%s", raw);
	snprintf(set, sizeof(set), "record.dir=%s", dir);
	snprintf(mb, sizeof(mb), "record.max_bytes=%s", max_bytes);
	snprintf(err, sizeof(err), "%s/%s.err", logs, strrchr(dir, '/') + 1);
	snprintf(trace, sizeof(trace), "%s/%s.trace", logs, strrchr(dir, '/') + 1);
	pid = fork_logged(err);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		execl(vigild, vigild, "--source", src, "--size", "640x360", "--format", "GREY",
		      "--fps", "30", "--loop", "--realtime", "--policy", "video-only",
		      "--events", "/dev/null", "--stats", "--trace", trace, "--set", set,
		      "--set", mb, "--set", "record.max_clip_s=1",
		      "--set", "daemon.sched_fifo=10", (char *)NULL);
		_exit(127);
	}
	sleep_ms(RUN_MS);
	kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "vigild-recio: vigild failed (status %d), see %s\n", st, err);
		return -1;
	}
	res->late_ms = max_late_ms(trace, &res->frames);
	res->busy_ms = stat_from(err, " loop_busy_max_us ") / 1000.0;
	res->evicted = stat_from(err, " evicted ");
	res->clips = stat_from(err, "recording clips ");
	res->failed = stat_from(err, " failed ");
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @n figures (sorted in place). */
static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

int main(void)
{
	char vigild[PATH_MAX], raw[] = "/tmp/vigil-bench-recio-XXXXXX";
	char shm[] = "/dev/shm/vigil-bench-recio-XXXXXX";
	char dir[] = "/tmp/vigil-bench-recio-d-XXXXXX";
	char mb[32], cmd[2 * PATH_MAX + 64];
	double busy[2][REPS], late[2][REPS], evicted = 0, clips = 0;
	int fd, ret = 1;

	if (find_vigild(vigild, sizeof(vigild), "vigild-recio"))
		return 1;
	fd = mkstemp(raw);
	if (fd < 0 || !mkdtemp(dir))
		return 1;
	close(fd);
	logs = mkdtemp(shm) ? shm : dir;
	snprintf(mb, sizeof(mb), "%u", NOLD * OLD_BYTES);
	if (make_grey(raw)) {
		fprintf(stderr, "vigild-recio: cannot write %s\n", raw);
		goto out;
	}
	/* alternating, so a burst of load elsewhere falls on both kinds */
	for (unsigned int i = 0; i < 2 * REPS; i++) {
		const unsigned int k = i % 2, rep = i / 2;
		char d[PATH_MAX];
		struct result r = { 0 };

		snprintf(d, sizeof(d), "%s/%s%u", dir, k ? "evicting" : "base", rep);
		if (mkdir(d, 0700) || (k && make_old(d))) {
			fprintf(stderr, "vigild-recio: cannot write %s\n", d);
			goto out;
		}
		if (run(vigild, raw, d, k ? mb : "0", &r))
			goto out;
		fprintf(stderr, "vigild-recio: %s %s: %u frames, %.0f clips, %.0f evicted, loop "
			"busy at most %.2f ms, frames late at most %.2f ms\n", vigild,
			k ? "evicting" : "baseline", r.frames, r.clips, r.evicted, r.busy_ms,
			r.late_ms);
		if (r.late_ms < 0 || r.busy_ms <= 0 || r.clips < 2 || r.failed ||
		    (k && r.evicted < 1)) {
			fprintf(stderr, "vigild-recio: nothing measured (see %s)\n", logs);
			unlink(raw);
			return 1;	/* the logs stay */
		}
		busy[k][rep] = r.busy_ms;
		late[k][rep] = r.late_ms;
		if (k) {
			evicted += r.evicted;
			clips += r.clips;
		}
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
		if (system(cmd))
			goto out;
	}
	{
		const double b0 = median(busy[0], REPS), b1 = median(busy[1], REPS);
		const double l0 = median(late[0], REPS), l1 = median(late[1], REPS);

		printf("{\"name\":\"vigild-recio-loop-stall\",\"figure\":%.2f,\"unit\":\"ms\","
		       "\"baseline\":%.2f,\"baseline_name\":\"recording, no retention\","
		       "\"ratio\":%.2f,\"goal\":\"ratio about 1: no clip I/O on the loop "
		       "(median of %u runs; %.0f clips evicted, %.0f recorded)\"}\n", b1, b0,
		       b1 / b0, REPS, evicted, clips);
		printf("{\"name\":\"vigild-recio-frame-late\",\"figure\":%.2f,\"unit\":\"ms\","
		       "\"baseline\":%.2f,\"baseline_name\":\"recording, no retention\","
		       "\"ratio\":%.2f,\"goal\":\"ratio about 1 (median of %u runs)\"}\n",
		       l1, l0, l0 > 0 ? l1 / l0 : 0, REPS);
	}
	ret = 0;
out:
	unlink(raw);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, logs);
	if (system(cmd))
		ret = 1;
	return ret;
}
