// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild at 1080p, replaying a synthetic scene in real time with --loop:
 *  - steady-state syscalls per frame, counted by strace -f over a short and
 *    a long run (the difference cancels start-up and shutdown), against a
 *    conventional client replaying the same clip in the same run (this
 *    program with --conventional: clock_nanosleep to each frame's time,
 *    read() of the frame, detection) counted the same way;
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
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "bench.h"

static char vigild[PATH_MAX];

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

/*
 * The conventional client: a blocking loop that sleeps until each frame is
 * due (100 fps, as vigild's --realtime) and read()s it into its own
 * buffer, then detects. Loops at the end; SIGTERM ends it with the same
 * "stats: frames N" line as vigild.
 */
static volatile sig_atomic_t conv_stop;

static void conv_term(int sig)
{
	(void)sig;
	conv_stop = 1;
}

static int conventional(const char *clip)
{
	struct vigil_detect_params p;
	struct vigil_detector *d = NULL;
	const size_t fsize = 1920 * 1080, rec = 6 + fsize;
	uint8_t *buf = malloc(rec);
	struct timespec t;
	char hdr[128];
	long frames = 0;
	ssize_t n;
	off_t first;
	int fd = open(clip, O_RDONLY | O_CLOEXEC);

	signal(SIGTERM, conv_term);
	vigil_detect_params_default(&p);
	if (fd < 0 || !buf || vigil_detector_new(&p, 1920, 1080, &d))
		return 1;
	n = read(fd, hdr, sizeof(hdr));
	if (n <= 0 || !memchr(hdr, '\n', (size_t)n))
		return 1;
	first = (char *)memchr(hdr, '\n', (size_t)n) - hdr + 1;
	lseek(fd, first, SEEK_SET);
	clock_gettime(CLOCK_MONOTONIC, &t);
	while (!conv_stop) {
		struct vigil_detect_result r;
		struct vigil_frame f;

		t.tv_nsec += 10000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_nsec -= 1000000000;
			t.tv_sec++;
		}
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL))
			continue;	/* SIGTERM */
		n = read(fd, buf, rec);
		if (n == 0) {
			lseek(fd, first, SEEK_SET);
			continue;
		}
		if (n != (ssize_t)rec ||
		    vigil_frame_view(&f, VIGIL_FMT_GREY, 1920, 1080, 0, buf + 6, fsize))
			return 1;
		f.seq = (uint32_t)frames;
		vigil_detector_process(d, &f, &r);
		frames++;
	}
	fprintf(stderr, "conventional: stats: frames %ld\n", frames);
	vigil_detector_free(d);
	free(buf);
	close(fd);
	return 0;
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

static char self[PATH_MAX];

/*
 * Run vigild (or, @conv, the conventional client) on @clip for @ms under
 * strace (if @trace); SIGTERM ends it.
 */
static int run(const char *clip, unsigned int ms, const char *trace,
	       const char *errpath, long *hwm_kb, bool conv)
{
	char src[PATH_MAX + 16], dur[32];
	pid_t pid;
	int st;

	snprintf(src, sizeof(src), "replay:%s", clip);
	snprintf(dur, sizeof(dur), "%u.%03u", ms / 1000, ms % 1000);
	fflush(stdout);
	pid = fork_logged(errpath);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		if (conv)
			execlp("strace", "strace", "-f", "-qq", "-o", trace, "timeout",
			       "--preserve-status", "-s", "TERM", dur, self,
			       "--conventional", clip, (char *)NULL);
		else if (trace)
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

	if (argc == 3 && !strcmp(argv[1], "--conventional"))
		return conventional(argv[2]);
	n = readlink("/proc/self/exe", vigild, sizeof(vigild) - 32);
	if (n < 0)
		return 1;
	vigild[n] = '\0';
	memcpy(self, vigild, (size_t)n + 1);
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
		double spf[2];

		/* [0] vigild, [1] the conventional client, same clip, same way */
		for (int conv = 0; conv < 2; conv++) {
			if (run(big, 1000, trace, err, NULL, conv))
				goto fail;
			s1 = syscalls_from(trace);
			f1 = frames_from(err);
			if (run(big, 3000, trace, err, NULL, conv))
				goto fail;
			s2 = syscalls_from(trace);
			f2 = frames_from(err);
			if (f2 <= f1) {
				fprintf(stderr, "vigild-1080p: no frames (%ld, %ld)\n", f1, f2);
				goto out;
			}
			spf[conv] = (double)(s2 - s1) / (double)(f2 - f1);
		}
		printf("{\"name\":\"vigild-syscalls-per-frame\",\"figure\":%.2f,"
		       "\"unit\":\"syscalls/frame\",\"baseline\":%.2f,"
		       "\"baseline_name\":\"conventional client, same clip: clock_nanosleep + read per frame\","
		       "\"ratio\":%.2f,\"goal\":\"< 1\","
		       "\"note\":\"host: 1080p replay at 100 fps, steady state by strace, both in this run\"}\n",
		       spf[0], spf[1], spf[0] / spf[1]);
	} else {
		fprintf(stderr, "vigild-1080p: strace missing, syscalls not measured\n");
	}

	if (run(big, 1500, NULL, err, &hwm_big, false) ||
	    run(small, 1500, NULL, err, &hwm_small, false))
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

	return ret;
}
