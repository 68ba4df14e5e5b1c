// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild at 1080p, replaying a synthetic scene in real time with --loop:
 *  - steady-state syscalls per frame, counted by strace -f over a short and
 *    a long run (the difference cancels start-up and shutdown);
 *  - peak RSS (VmHWM) against the same daemon at 320x240.
 * Prints one JSON object per figure. Needs strace for the first.
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

static char vigild[PATH_MAX];

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Write a looping test clip: a person crossing, @frames at @fps. */
static int make_clip(const char *path, unsigned int w, unsigned int h,
		     unsigned int fps, unsigned int frames)
{
	struct vigil_scene s = {
		.width = w, .height = h, .fps = fps, .frames = frames,
		.seed = 7, .noise = 3, .nitems = 1,
		.items = { { .kind = VIGIL_SCENE_PERSON, .start = 0, .end = frames,
			     .from_x = 0, .to_x = (int)w / 2, .y = (int)h / 4,
			     .w = w / 10, .h = h / 2, .contrast = -40, .warm = true } },
	};
	const struct vigil_y4m_info info = { w, h, fps, 1, VIGIL_FMT_GREY, 0 };
	uint8_t *buf = malloc((size_t)w * h);
	FILE *fp = fopen(path, "w");
	char hdr[128];
	int ret = -1;

	if (!buf || !fp || vigil_y4m_format_header(hdr, sizeof(hdr), &info) < 0)
		goto out;
	fputs(hdr, fp);
	for (unsigned int i = 0; i < frames; i++) {
		vigil_scene_render(&s, i, buf);
		fputs("FRAME\n", fp);
		fwrite(buf, (size_t)w * h, 1, fp);
	}
	ret = ferror(fp) ? -1 : 0;
out:
	if (fp && fclose(fp))
		ret = -1;
	free(buf);
	return ret;
}

static long frames_from(const char *errpath)
{
	FILE *fp = fopen(errpath, "r");
	char line[512];
	long n = -1;

	while (fp && fgets(line, sizeof(line), fp)) {
		const char *p = strstr(line, "stats: frames ");

		if (p)
			n = atol(p + 14);
	}
	if (fp)
		fclose(fp);
	return n;
}

/* Syscalls in an strace -f log (a split call counts once). */
static long syscalls_from(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	long n = 0;

	while (fp && fgets(line, sizeof(line), fp)) {
		const char *p = line;

		while (*p >= '0' && *p <= '9')
			p++;
		while (*p == ' ')
			p++;
		if (!strncmp(p, "<...", 4) || !strncmp(p, "---", 3) ||
		    !strncmp(p, "+++", 3) || !strchr(p, '('))
			continue;
		n++;
	}
	if (fp)
		fclose(fp);
	return n;
}

/* Run vigild on @clip for @ms under strace (if @trace); SIGTERM ends it. */
static int run(const char *clip, unsigned int ms, const char *trace,
	       const char *errpath, long *hwm_kb)
{
	char src[PATH_MAX + 16], dur[32];
	pid_t pid;
	int st;

	snprintf(src, sizeof(src), "replay:%s", clip);
	snprintf(dur, sizeof(dur), "%u.%03u", ms / 1000, ms % 1000);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (!freopen(errpath, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(126);
		if (trace)
			execlp("strace", "strace", "-f", "-qq", "-o", trace, "timeout",
			       "--preserve-status", "-s", "TERM", dur, vigild, "--source", src, "--loop",
			       "--realtime", "--stats", "--policy", "video-only",
			       (char *)NULL);
		else
			execl(vigild, vigild, "--source", src, "--loop", "--realtime",
			      "--stats", "--policy", "video-only", (char *)NULL);
		_exit(127);
	}
	if (!trace) {
		char path[64], line[256];
		FILE *fp;

		sleep_ms(ms);
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		fp = fopen(path, "r");
		while (fp && fgets(line, sizeof(line), fp))
			if (!strncmp(line, "VmHWM:", 6))
				*hwm_kb = atol(line + 6);
		if (fp)
			fclose(fp);
		kill(pid, SIGTERM);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/vigil-bench-XXXXXX";
	char big[64], small[64], trace[64], err[64];
	long s1, s2, f1, f2, hwm_big = 0, hwm_small = 0;
	ssize_t n;
	int ret = 1;

	n = readlink("/proc/self/exe", vigild, sizeof(vigild) - 32);
	if (n < 0)
		return 1;
	vigild[n] = '\0';
	*strrchr(vigild, '/') = '\0';
	strcat(vigild, "/../vigild");
	if (access(vigild, X_OK) || !mkdtemp(dir)) {
		fprintf(stderr, "vigild-1080p: no %s\n", vigild);
		return 1;
	}
	snprintf(big, sizeof(big), "%s/1080p.y4m", dir);
	snprintf(small, sizeof(small), "%s/240p.y4m", dir);
	snprintf(trace, sizeof(trace), "%s/trace", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	if (make_clip(big, 1920, 1080, 100, 16) || make_clip(small, 320, 240, 100, 16)) {
		fprintf(stderr, "vigild-1080p: cannot write clips in %s\n", dir);
		goto out;
	}

	if (!system("strace -V >/dev/null 2>&1")) {
		if (run(big, 1000, trace, err, NULL))
			goto fail;
		s1 = syscalls_from(trace);
		f1 = frames_from(err);
		if (run(big, 3000, trace, err, NULL))
			goto fail;
		s2 = syscalls_from(trace);
		f2 = frames_from(err);
		if (f2 <= f1) {
			fprintf(stderr, "vigild-1080p: no frames (%ld, %ld)\n", f1, f2);
			goto out;
		}
		printf("{\"name\":\"vigild-syscalls-per-frame\",\"figure\":%.2f,"
		       "\"unit\":\"syscalls/frame\",\"baseline\":3,"
		       "\"baseline_name\":\"V4L2 budget: io_uring_enter + DQBUF + QBUF\","
		       "\"ratio\":%.2f,\"goal\":\"<= 3\","
		       "\"note\":\"host: 1080p replay at 100 fps, steady state by strace\"}\n",
		       (double)(s2 - s1) / (double)(f2 - f1),
		       (double)(s2 - s1) / (double)(f2 - f1) / 3.0);
	} else {
		fprintf(stderr, "vigild-1080p: strace missing, syscalls not measured\n");
	}

	if (run(big, 1500, NULL, err, &hwm_big) || run(small, 1500, NULL, err, &hwm_small))
		goto fail;
	printf("{\"name\":\"vigild-rss-1080p\",\"figure\":%ld,\"unit\":\"KiB\","
	       "\"baseline\":%ld,\"baseline_name\":\"vigild RSS at 320x240\","
	       "\"ratio\":%.2f,\"goal\":\"bounded (mapped replay pages released)\"}\n",
	       hwm_big, hwm_small, (double)hwm_big / (double)hwm_small);
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "vigild-1080p: vigild failed:\n");
	{
		FILE *fp = fopen(err, "r");
		char line[512];

		while (fp && fgets(line, sizeof(line), fp))
			fputs(line, stderr);
		if (fp)
			fclose(fp);
	}
out:
	unlink(big);
	unlink(small);
	unlink(trace);
	unlink(err);
	rmdir(dir);
	(void)argc;
	(void)argv;
	return ret;
}
