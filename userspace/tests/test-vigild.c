// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild end to end on the host: replay with PIR side file and JSON events,
 * truncated and garbled Y4M, bad configuration, io_uring blocked by
 * seccomp, SIGTERM while running, sd_notify readiness and watchdog.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include "t-vigild.h"

static char *t_truncated(const char *y4m, off_t cut, const char *patch)
{
	char *path = t_tmpfile("", 0);
	FILE *in = fopen(y4m, "r"), *out = fopen(path, "w");
	static char buf[1 << 20];
	size_t n;
	off_t total = 0;

	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		fwrite(buf, 1, n, out);
		total += (off_t)n;
	}
	fclose(in);
	fclose(out);
	if (truncate(path, total - cut))
		perror("truncate");
	if (patch) {
		/* overwrite the 10th frame header */
		const int fd = open(path, O_WRONLY);
		const off_t off = 37 + 9 * (6 + 320 * 240);

		if (pwrite(fd, patch, strlen(patch), off) < 0)
			perror("pwrite");
		close(fd);
	}
	return path;
}

int main(void)
{
	char src[600];
	char *y4m, *pir, *bad;
	int st;

	if (t_vigild_init())
		return T_SKIP;
	t_render(&y4m, &pir);
	snprintf(src, sizeof(src), "replay:%s", y4m);

	/* replay with PIR: one event, start and end, as JSON lines */
	{
		const char *args[] = { "--source", src, "--pir-events", pir,
				       "--fast", "--events", "-", "--stats", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_EQ(t_count(t_out, "\"event\":\"start\""), 1);
		T_EQ(t_count(t_out, "\"event\":\"end\""), 1);
		T_STRSTR(t_out, "\"policy\":\"pir-and-video\"");
		T_STRSTR(t_out, "\"pir\":{");
		T_STRSTR(t_err, "frames 60");
		T_EQ(t_count(t_out, "\"kind\":\"tamper\""), 0);
	}
	/* a covered lens is a tamper event of its own, not an alarm */
	{
		char spath[512], *cy4m, *cpir, csrc[600];
		const char *args[] = { "--source", csrc, "--fast", "--policy",
				       "video-only", "--events", "-", NULL };

		snprintf(spath, sizeof(spath), "%s/tests/scenarios/lens-covered.ini",
			 t_srcdir());
		t_render_file(spath, &cy4m, &cpir);
		snprintf(csrc, sizeof(csrc), "replay:%s", cy4m);
		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_EQ(t_count(t_out, "{\"event\":\"start\",\"kind\":\"tamper\""), 1);
		T_EQ(t_count(t_out, "{\"event\":\"end\",\"kind\":\"tamper\""), 1);
		T_EQ(t_count(t_out, "\"cause\":\"covered\""), 2);
		T_EQ(t_count(t_out, "\"policy\""), 0);	/* no alarm */
		T_STRSTR(t_err, "tamper: the image lost its contrast");
		t_rmfile(cy4m);
		t_rmfile(cpir);
	}
	/* video-only via the config file, overridden by a flag */
	{
		static const char ctext[] = "[fusion]\npolicy = pir-only\n[source]\nrealtime = yes\n";
		char *conf = t_tmpfile(ctext, sizeof(ctext) - 1);
		const char *args[] = { "-c", conf, "--source", src, "--fast",
				       "--policy", "video-only", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_EQ(t_count(t_out, "\"event\":\"start\""), 1);
		T_STRSTR(t_out, "\"policy\":\"video-only\"");
		T_STRSTR(t_out, "\"pir\":null");
		t_rmfile(conf);
	}
	/* no PIR file with pir-and-video: it could never alarm, so vigild
	 * refuses to start, with status 3 (systemd does not restart it) */
	{
		const char *args[] = { "--source", src, "--fast", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 3);
		T_STRSTR(t_err, "policy pir-and-video needs a PIR source");
		T_STRSTR(t_err, "--pir-events");
		T_EQ(t_count(t_out, "\"event\""), 0);
	}
	/* truncated Y4M: clear error, clean non-zero exit */
	bad = t_truncated(y4m, 1000, NULL);
	snprintf(src, sizeof(src), "replay:%s", bad);
	{
		const char *args[] = { "--source", src, "--fast", "--policy",
				       "video-only", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
		T_STRSTR(t_err, "frame 59: truncated frame");
	}
	t_rmfile(bad);
	/* garbled frame header */
	bad = t_truncated(y4m, 0, "FRXME");
	snprintf(src, sizeof(src), "replay:%s", bad);
	{
		const char *args[] = { "--source", src, "--fast", "--policy",
				       "video-only", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
		T_STRSTR(t_err, "frame 9: garbled frame header");
	}
	t_rmfile(bad);
	/* not a video file at all */
	snprintf(src, sizeof(src), "replay:%s", pir);
	{
		const char *args[] = { "--source", src, "--fast", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
		T_STRSTR(t_err, "raw replay needs width and height");
	}
	snprintf(src, sizeof(src), "replay:%s", y4m);
	/* bad configuration: key and line */
	{
		static const char ctext[] = "[detector]\n\nnoise_k = lots\n";
		char *conf = t_tmpfile(ctext, sizeof(ctext) - 1);
		const char *args[] = { "-c", conf, "--source", src, NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 2);
		T_STRSTR(t_err, ":3: bad value 'lots' for key 'noise_k'");
		t_rmfile(conf);
	}
	/* a directory given as the configuration: an error, not empty */
	{
		const char *args[] = { "-c", "/", "--source", src, "--check-config", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 2);
		T_STRSTR(t_err, "/: is a directory");
	}
	/* io_uring unavailable: says so, exits non-zero */
	{
		const char *args[] = { "--source", src, "--fast", NULL };

		st = t_vigild(args, true, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
		T_STRSTR(t_err, "io_uring is unavailable");
		T_STRSTR(t_err, "Operation not permitted");
	}
	/* SIGTERM during real-time looping replay: clean exit, readiness
	 * and watchdog through NOTIFY_SOCKET */
	{
		const char *args[] = { "--source", src, "--pir-events", pir,
				       "--loop", "--realtime", NULL };
		char path[64], buf[256];
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int ready = 0, wd = 0, stopping = 0;
		ssize_t n;

		snprintf(path, sizeof(path), "/tmp/vigil-nt-%d", getpid());
		unlink(path);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		T_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		setenv("NOTIFY_SOCKET", path, 1);
		/* pings every 0.7 s: READY, 5 pings and STOPPING stay under
		 * the 10 datagrams a unix socket queues (max_dgram_qlen), read
		 * here only at the end */
		setenv("WATCHDOG_USEC", "1400000", 1);
		/*
		 * The person is in frames 20-45 (1.33-3 s) of 60 (4 s): stop
		 * at 3.5 s, after the event started (the warm-up alone lasts
		 * 1 s of stream time, and vigild's own start-up is slow under
		 * ASan on a loaded machine; stopping at 1.5 s raced it) and
		 * before the loop brings the person back.
		 */
		st = t_vigild(args, false, 3500);
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_STRSTR(t_err, "Terminated, stopping");
		/* the person (frames 20-45 at 15 fps) was seen in real time */
		T_EQ(t_count(t_out, "\"event\":\"start\""), 1);
		while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
			buf[n] = '\0';
			ready += !!strstr(buf, "READY=1");
			wd += !!strstr(buf, "WATCHDOG=1");
			stopping += !!strstr(buf, "STOPPING=1");
		}
		T_EQ(ready, 1);
		T_ASSERT(wd >= 3);
		T_EQ(stopping, 1);
		close(fd);
		unlink(path);
	}
	/* SIGTERM also stops a looping replay running as fast as it can */
	{
		const char *args[] = { "--source", src, "--loop", "--fast",
				       "--policy", "video-only", "--stats", NULL };

		/* stopped once the scene's person was seen twice: looped */
		t_term_on = "\"event\":\"start\"";
		t_term_count = 2;
		st = t_vigild(args, false, 100);
		t_term_on = NULL;
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_STRSTR(t_err, "Terminated, stopping");
		T_ASSERT(t_count(t_out, "\"event\":\"start\"") >= 2);
		/* looped: more frames than the file holds */
		T_ASSERT(strstr(t_err, "stats: frames ") &&
			 atol(strstr(t_err, "stats: frames ") + 14) > 60);
	}
	t_rmfile(y4m);
	t_rmfile(pir);
	return t_done();
}
