/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the tests of vigild's HTTP API: start vigild with [http] on
 * a free loopback port, raw requests, answers read whole.
 */
#ifndef VIGIL_T_HTTP_H
#define VIGIL_T_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "t-vigild.h"

static char dir[] = "/tmp/vigil-http-XXXXXX";
static char token[128], listen_spec[64];
static int port;
static pid_t daemon_pid;
static char *resp;		/* the last answer */
static size_t resp_len;

static inline void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static inline int t_connect_from(const char *src)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	const struct timeval tv = { 5, 0 };
	const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (src) {
		inet_pton(AF_INET, src, &a.sin_addr);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			perror("bind");
	}
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	a.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		close(fd);
		return -1;
	}
	return fd;
}

static inline void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Read until the peer closes (or 5 s pass): into resp. */
static inline void read_all(int fd)
{
	static size_t cap;
	ssize_t n;

	resp_len = 0;
	for (;;) {
		if (resp_len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			resp = realloc(resp, cap);
		}
		n = recv(fd, resp + resp_len, cap - resp_len - 1, 0);
		if (n <= 0)
			break;
		resp_len += (size_t)n;
	}
	resp[resp_len] = '\0';
}

static inline int status_of(void)
{
	int st = 0;

	if (resp_len < 12 || sscanf(resp, "HTTP/1.1 %d", &st) != 1)
		return -1;
	return st;
}

static inline const char *body_of(void)
{
	const char *b = strstr(resp, "\r\n\r\n");

	return b ? b + 4 : "";
}

/* One raw request on its own connection (from @src); the status. */
static inline int raw_from(const char *src, const char *req, size_t len)
{
	const int fd = t_connect_from(src);

	if (fd < 0)
		return -1;
	send_all(fd, req, len);
	read_all(fd);
	close(fd);
	return status_of();
}

static const char *src_ip;	/* NULL: 127.0.0.1 */

static inline int raw(const char *req)
{
	return raw_from(src_ip, req, strlen(req));
}

/* GET @path with @tok (NULL: none) and @extra header lines. */
static inline int get(const char *path, const char *tok, const char *extra)
{
	char req[2048];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n%s%s%s%s"
		 "Connection: close\r\n\r\n", path, tok ? "Authorization: Bearer " : "",
		 tok ? tok : "", tok ? "\r\n" : "", extra ? extra : "");
	return raw(req);
}

static inline int post(const char *path)
{
	char req[512];

	snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: t\r\nAuthorization: "
		 "Bearer %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", path,
		 token);
	return raw(req);
}

static inline unsigned long metric(const char *name)
{
	char key[128];
	const char *p;

	if (get("/metrics", token, NULL) != 200)
		return (unsigned long)-1;
	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(resp, key);
	return p ? strtoul(p + strlen(key), NULL, 10) : (unsigned long)-1;
}

static inline void write_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "w");

	if (!fp || fwrite(p, 1, n, fp) != n) {
		perror(path);
		exit(1);
	}
	fclose(fp);
}

static inline void read_token(void)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/token", dir);
	fp = fopen(path, "r");
	token[0] = '\0';
	if (fp) {
		if (!fgets(token, sizeof(token), fp))
			token[0] = '\0';
		fclose(fp);
	}
	token[strcspn(token, "\n")] = '\0';
}

/* Start vigild on @y4m (PIR @pir, may be NULL) with [http] on a free port,
 * state under dir, and @extra more arguments (NULL-ended). */
static inline void start_daemon(const char *y4m, const char *pir, const char *const *extra)
{
	const char *argv[48];
	int argc = 0;
	char src[600], tok[300], rec[300], log[300], errp[300], evp[300];
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	const int s = socket(AF_INET, SOCK_STREAM, 0);

	/* a free port: bind 0, read it back, release it */
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &sl);
	port = ntohs(a.sin_port);
	close(s);
	snprintf(listen_spec, sizeof(listen_spec), "http.listen=127.0.0.1:%d", port);
	snprintf(src, sizeof(src), "replay:%s", y4m);
	snprintf(tok, sizeof(tok), "http.token_file=%s/token", dir);
	snprintf(rec, sizeof(rec), "record.dir=%s/clips", dir);
	/* the recorder wants its directory to exist, as the HTTP API does */
	snprintf(errp, sizeof(errp), "%s/clips", dir);
	if (mkdir(errp, 0700) && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", errp, strerror(errno));
		exit(1);
	}
	snprintf(evp, sizeof(evp), "%s/events.jsonl", dir);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	snprintf(log, sizeof(log), "%s", evp);
	daemon_pid = fork();
	if (daemon_pid == 0) {
		const int fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		static const char *const base[] = { "--loop", "--stats" };

		argv[argc++] = t_vigild_path;
		argv[argc++] = "--source";
		argv[argc++] = src;
		if (pir) {
			argv[argc++] = "--pir-events";
			argv[argc++] = pir;
		}
		argv[argc++] = base[0];
		argv[argc++] = base[1];
		argv[argc++] = "--events";
		argv[argc++] = log;
		argv[argc++] = "--set";
		argv[argc++] = listen_spec;
		argv[argc++] = "--set";
		argv[argc++] = tok;
		argv[argc++] = "--set";
		argv[argc++] = rec;
		for (int i = 0; extra && extra[i] && argc < 46; i++)
			argv[argc++] = extra[i];
		argv[argc] = NULL;
		execv(t_vigild_path, (char *const *)argv);
		_exit(127);
	}
	/* ready when it answers */
	for (int i = 0; i < 100; i++) {
		msleep(50);
		read_token();
		if (token[0] && get("/api/status", token, NULL) == 200)
			return;
	}
	fprintf(stderr, "vigild did not come up; its stderr:\n");
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "cat %s >&2", errp);
		if (system(cmd))
			fprintf(stderr, "(none)\n");
	}
	exit(1);
}

/* Stop vigild: its exit status; its stderr in t_err. */
static inline int stop_daemon(void)
{
	char path[300];
	int st = -1;

	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, &st, 0);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	t_slurp(path, t_err, sizeof(t_err));
	fprintf(stderr, "%s", t_err);
	return st;
}

static inline void rm_dir(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		t_failures++;
}

#endif
