// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's HTTP live streams at 720p (a synthetic scene replayed in real
 * time at 30 fps, looping), each configuration a fresh vigild for 3 s:
 *  - capture: frames analysed and frames dropped with 0, 10 and 50
 *    clients on /api/live, against 0 clients in the same run;
 *  - streaming throughput to 10 and 50 clients, against 10 or 50 times
 *    what one client receives in the same run (1.0: every client gets
 *    the whole stream);
 *  - io_uring_enter calls per frame with 0 and 10 clients (every socket
 *    operation goes through the ring: this is vigild's system call count
 *    per frame, clock reads aside);
 *  - JPEG encoding per /api/live.mjpeg image at 720p, against detection
 *    per frame in the same run.
 * Prints one JSON object per figure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libvigil.h"
#include "vigil-internal.h"
#include "bench.h"

#define W 1280
#define H 720
#define FPS 30
#define RUN_MS 3000
#define MAXC 64

static char vigild[PATH_MAX], dir[] = "/tmp/vigil-bench-http-XXXXXX";

struct result {
	double frames, dropped, enters_per_frame, detect_us;
	double bytes;			/* received by all clients */
	double jpeg_ns, jpegs, skipped;
};

static int make_clip(const char *path)
{
	struct vigil_scene s = {
		.width = W, .height = H, .fps = FPS, .frames = 60, .seed = 7, .noise = 3,
		.nitems = 1,
		.items = { { .kind = VIGIL_SCENE_PERSON, .start = 0, .end = 60, .from_x = 0,
			     .to_x = W / 2, .y = H / 4, .w = W / 10, .h = H / 2,
			     .contrast = -40, .warm = true } },
	};
	const struct vigil_y4m_info info = { W, H, FPS, 1, VIGIL_FMT_GREY, 0 };
	static uint8_t buf[W * H];
	FILE *fp = fopen(path, "w");
	char hdr[128];

	if (!fp || vigil_y4m_format_header(hdr, sizeof(hdr), &info) < 0)
		return -1;
	fputs(hdr, fp);
	for (unsigned int i = 0; i < s.frames; i++) {
		vigil_scene_render(&s, i, buf);
		fputs("FRAME\n", fp);
		fwrite(buf, sizeof(buf), 1, fp);
	}
	return fclose(fp) ? -1 : 0;
}

static int connect_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void request(int fd, const char *path, const char *tok)
{
	char req[512];
	const int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: b\r\n"
			       "Authorization: Bearer %s\r\n\r\n", path, tok);

	if (write(fd, req, (size_t)n) != n)
		perror("request");
}

/* One answer's body (Connection: close): the value of metric @name. */
static double metric(int port, const char *tok, const char *name)
{
	static char buf[65536];
	const int fd = connect_port(port);
	size_t len = 0;
	ssize_t r;
	char key[128];
	const char *p;

	if (fd < 0)
		return -1;
	request(fd, "/metrics", tok);
	while ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = '\0';
	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(buf, key);
	return p ? strtod(p + strlen(key), NULL) : -1;
}

/* vigild with @n clients on @path for RUN_MS. */
static int run(const char *clip, int n, const char *path, struct result *res)
{
	char src[PATH_MAX + 16], listen[64], tokset[PATH_MAX + 32], tokpath[PATH_MAX];
	char errpath[PATH_MAX], tok[128] = "", line[512];
	static char buf[1 << 16];
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	int fds[MAXC], port, s, status;
	FILE *fp;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	s = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &sl);
	port = ntohs(a.sin_port);
	close(s);
	snprintf(src, sizeof(src), "replay:%s", clip);
	snprintf(listen, sizeof(listen), "http.listen=127.0.0.1:%d", port);
	snprintf(tokpath, sizeof(tokpath), "%s/token", dir);
	snprintf(tokset, sizeof(tokset), "http.token_file=%s", tokpath);
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	pid = fork();
	if (pid == 0) {
		const int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		execl(vigild, vigild, "--source", src, "--loop", "--policy", "video-only",
		      "--events", "/dev/null", "--stats", "--set", listen, "--set", tokset,
		      "--set", "http.max_clients=64", "--set", "http.mjpeg_fps=30",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !tok[0]; i++) {
		usleep(50000);
		fp = fopen(tokpath, "r");
		if (fp) {
			if (!fgets(tok, sizeof(tok), fp))
				tok[0] = '\0';
			fclose(fp);
		}
		tok[strcspn(tok, "\n")] = '\0';
		if (tok[0] && metric(port, tok, "vigil_frames_total") < 0)
			tok[0] = '\0';
	}
	if (!tok[0]) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fprintf(stderr, "http-stream: vigild did not come up\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		fds[i] = connect_port(port);
		request(fds[i], path, tok);
	}
	{
		const double f0 = metric(port, tok, "vigil_frames_total");
		const double d0 = metric(port, tok, "vigil_frames_dropped_total");
		const uint64_t t0 = now_ms();

		while (now_ms() - t0 < RUN_MS) {
			struct pollfd pf[MAXC];

			for (int i = 0; i < n; i++)
				pf[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
			if (n) {
				poll(pf, (nfds_t)n, 50);
			} else {
				usleep(50000);
			}
			for (int i = 0; i < n; i++) {
				ssize_t r;

				if (!(pf[i].revents & POLLIN))
					continue;
				r = read(fds[i], buf, sizeof(buf));
				if (r > 0)
					res->bytes += (double)r;
			}
		}
		res->frames = metric(port, tok, "vigil_frames_total") - f0;
		res->dropped = metric(port, tok, "vigil_frames_dropped_total") - d0;
		res->jpeg_ns = metric(port, tok, "vigil_http_mjpeg_encode_ns_total");
		res->jpegs = metric(port, tok, "vigil_http_mjpeg_encodes_total");
		res->skipped = metric(port, tok, "vigil_http_live_skipped_total");
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	fp = fopen(errpath, "r");
	while (fp && fgets(line, sizeof(line), fp)) {
		const char *p = strstr(line, "io_uring_enter_per_frame ");
		const char *q = strstr(line, "detect_us_per_frame ");

		if (p)
			res->enters_per_frame = strtod(p + 25, NULL);
		if (q)
			res->detect_us = strtod(q + 20, NULL);
	}
	if (fp)
		fclose(fp);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

int main(void)
{
	struct result r0, r1, r10, r50, rj;
	char clip[PATH_MAX], cmd[PATH_MAX + 16];
	int ret = 1;

	if (find_vigild(vigild, sizeof(vigild), "http-stream") || !mkdtemp(dir))
		return 1;
	snprintf(clip, sizeof(clip), "%s/720p.y4m", dir);
	if (make_clip(clip) || run(clip, 0, "/api/live", &r0) || run(clip, 1, "/api/live", &r1) ||
	    run(clip, 10, "/api/live", &r10) || run(clip, 50, "/api/live", &r50) ||
	    run(clip, 1, "/api/live.mjpeg", &rj)) {
		fprintf(stderr, "http-stream: a run failed\n");
		goto out;
	}
	for (int k = 0; k < 3; k++) {
		const struct result *r = k == 0 ? &r0 : k == 1 ? &r10 : &r50;
		const int c = k == 0 ? 0 : k == 1 ? 10 : 50;

		printf("{\"name\":\"http-capture-frames-%d-clients\",\"figure\":%.0f,\"unit\":\"frames/3s\","
		       "\"baseline\":%.0f,\"baseline_name\":\"0 clients, same run (720p GREY, 30 fps replay)\","
		       "\"ratio\":%.3f,\"goal\":\">= 0.98\",\"dropped\":%.0f,\"baseline_dropped\":%.0f,"
		       "\"live_skipped\":%.0f}\n", c, r->frames, r0.frames, ratio(r->frames, r0.frames),
		       r->dropped, r0.dropped, r->skipped);
	}
	for (int k = 0; k < 2; k++) {
		const struct result *r = k ? &r50 : &r10;
		const int c = k ? 50 : 10;

		printf("{\"name\":\"http-live-throughput-%d-clients\",\"figure\":%.2f,\"unit\":\"MB/s\","
		       "\"baseline\":%.2f,\"baseline_name\":\"%d x what 1 client receives, same run\","
		       "\"ratio\":%.3f,\"goal\":\"1.0: every client gets the whole stream\"}\n",
		       c, r->bytes / 1e6 / (RUN_MS / 1000.0), c * r1.bytes / 1e6 / (RUN_MS / 1000.0),
		       c, ratio(r->bytes, c * r1.bytes));
	}
	printf("{\"name\":\"http-syscalls-per-frame-10-clients\",\"figure\":%.3f,"
	       "\"unit\":\"io_uring_enter/frame\",\"baseline\":%.3f,"
	       "\"baseline_name\":\"0 clients, same run\",\"ratio\":%.3f}\n",
	       r10.enters_per_frame, r0.enters_per_frame,
	       ratio(r10.enters_per_frame, r0.enters_per_frame));
	printf("{\"name\":\"http-mjpeg-encode-720p\",\"figure\":%.0f,\"unit\":\"us/image\","
	       "\"baseline\":%.0f,\"baseline_name\":\"detection per 720p frame, same run\","
	       "\"ratio\":%.3f,\"images\":%.0f}\n", ratio(rj.jpeg_ns, rj.jpegs) / 1000.0,
	       rj.detect_us, ratio(ratio(rj.jpeg_ns, rj.jpegs) / 1000.0, rj.detect_us), rj.jpegs);
	ret = 0;
out:
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		ret = 1;
	return ret;
}
