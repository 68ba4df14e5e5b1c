// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild end to end on the host: replay with PIR side file and JSON events,
 * truncated and garbled Y4M, bad configuration, io_uring blocked by
 * seccomp, SIGTERM while running, sd_notify readiness and watchdog.
 */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "libvigil.h"
#include "t.h"

static char t_vigild_path[512];
static char t_out[4096 * 16], t_err[4096];

static void t_block_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("seccomp");
		_exit(99);
	}
}

static void t_slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = fp ? fread(buf, 1, len - 1, fp) : 0;

	buf[n] = '\0';
	if (fp)
		fclose(fp);
}

/*
 * Run vigild with @argv (NULL-terminated, without argv[0]). Kill it with
 * SIGTERM after @term_ms if non-zero. Returns the wait status; output in
 * t_out / t_err.
 */
static int t_vigild(const char *const *args, bool seccomp, int term_ms)
{
	const char *argv[32] = { t_vigild_path };
	char out[] = "/tmp/vigil-out-XXXXXX", err[] = "/tmp/vigil-err-XXXXXX";
	const int fo = mkstemp(out), fe = mkstemp(err);
	int status = -1, waited = 0;
	pid_t pid;

	for (int i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	pid = fork();
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		if (seccomp)
			t_block_io_uring();
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (term_ms) {
		struct timespec ts = { term_ms / 1000, (term_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		kill(pid, SIGTERM);
	}
	/* never hang: 20 s at most */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		struct timespec ts = { 0, 10000000 };

		if (++waited > 2000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "vigild hung\n");
			t_failures++;
			break;
		}
		nanosleep(&ts, NULL);
	}
	t_slurp(out, t_out, sizeof(t_out));
	t_slurp(err, t_err, sizeof(t_err));
	close(fo);
	close(fe);
	unlink(out);
	unlink(err);
	return status;
}

static int t_count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Render a scene file into a Y4M; returns the Y4M and PIR paths. */
static void t_render(char **y4m, char **pir)
{
	static const char scene[] =
		"[scene]\nframes = 60\nseed = 3\nnoise = 3\n"
		"[item p]\nkind = person\nstart = 20\nend = 45\nfrom_x = -10\n"
		"to_x = 300\ny = 70\nw = 36\nh = 110\ncontrast = -45\nwarm = yes\n"
		"alarm = yes\n";
	char *spath = t_tmpfile(scene, sizeof(scene) - 1);
	const struct vigil_y4m_info info = { 320, 240, 15, 1, VIGIL_FMT_GREY, 0 };
	struct vigil_pir_event ev[8];
	struct vigil_scene s;
	static uint8_t frame[320 * 240];
	char err[256], hdr[128], line[64];
	size_t len, pos;
	char *buf;
	int n;

	if (vigil_scene_load(&s, spath, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	t_rmfile(spath);
	n = vigil_y4m_format_header(hdr, sizeof(hdr), &info);
	len = (size_t)n + s.frames * (6 + sizeof(frame));
	buf = malloc(len);
	memcpy(buf, hdr, (size_t)n);
	pos = (size_t)n;
	for (unsigned int i = 0; i < s.frames; i++) {
		vigil_scene_render(&s, i, frame);
		memcpy(buf + pos, "FRAME\n", 6);
		memcpy(buf + pos + 6, frame, sizeof(frame));
		pos += 6 + sizeof(frame);
	}
	*y4m = t_tmpfile(buf, len);
	free(buf);
	n = vigil_scene_pir(&s, ev, 8);
	pos = 0;
	buf = calloc(1, 1024);
	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%.6f %d\n", ev[i].ts_ns / 1e9, ev[i].level);
		strcat(buf, line);
	}
	*pir = t_tmpfile(buf, strlen(buf));
	free(buf);
}

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

	if (!t_builddir())
		return T_SKIP;
	snprintf(t_vigild_path, sizeof(t_vigild_path), "%s/vigild", t_builddir());
	if (access(t_vigild_path, X_OK))
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
	/* no PIR file with pir-and-video: no alarm */
	{
		const char *args[] = { "--source", src, "--fast", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_EQ(t_count(t_out, "\"event\""), 0);
	}
	/* truncated Y4M: clear error, clean non-zero exit */
	bad = t_truncated(y4m, 1000, NULL);
	snprintf(src, sizeof(src), "replay:%s", bad);
	{
		const char *args[] = { "--source", src, "--fast", NULL };

		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
		T_STRSTR(t_err, "frame 59: truncated frame");
	}
	t_rmfile(bad);
	/* garbled frame header */
	bad = t_truncated(y4m, 0, "FRXME");
	snprintf(src, sizeof(src), "replay:%s", bad);
	{
		const char *args[] = { "--source", src, "--fast", NULL };

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
		setenv("WATCHDOG_USEC", "600000", 1);
		st = t_vigild(args, false, 1500);
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

		st = t_vigild(args, false, 700);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_STRSTR(t_err, "Terminated, stopping");
		/* looped: more frames than the file holds */
		T_ASSERT(strstr(t_err, "stats: frames ") &&
			 atol(strstr(t_err, "stats: frames ") + 14) > 60);
	}
	t_rmfile(y4m);
	t_rmfile(pir);
	return t_done();
}
