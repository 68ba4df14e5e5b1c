// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The owner's page (issue #14): vigild serves [http] web_dir without the
 * token, from memory, with content types by extension and ETags; no path
 * reaches outside it; every answer (page and API) carries the security
 * headers; /api and /metrics still want the token; a missing or oversized
 * web_dir is refused at start.
 */
#include "t-http.h"

#define BIG_JS (3u << 20)	/* more than one output queue (1 MiB) */

static char web[300];
static char *big;
static char src[600];

static void mkweb(void)
{
	char p[400];

	snprintf(web, sizeof(web), "%s/web", dir);
	mkdir(web, 0755);
	snprintf(p, sizeof(p), "%s/app", web);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/index.html", web);
	write_file(p, "<!doctype html><title>vigil</title>\n", 36);
	snprintf(p, sizeof(p), "%s/app/main.js", web);
	write_file(p, "export const x = 1;\n", 20);
	snprintf(p, sizeof(p), "%s/app/zstd.wasm", web);
	write_file(p, "\0asm\1\0\0\0", 8);
	snprintf(p, sizeof(p), "%s/style.css", web);
	write_file(p, "body{}\n", 7);
	snprintf(p, sizeof(p), "%s/.secret", web);
	write_file(p, "hidden\n", 7);
	big = malloc(BIG_JS);
	for (size_t i = 0; i < BIG_JS; i++)
		big[i] = (char)('a' + (i * 2654435761u >> 13) % 26);
	snprintf(p, sizeof(p), "%s/app/big.js", web);
	write_file(p, big, BIG_JS);
}

static void t_security_headers(const char *what)
{
	static const char *const want[] = {
		"\r\nContent-Security-Policy: default-src 'none'; script-src 'self' "
		"'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self' "
		"blob: data:; style-src 'self'; base-uri 'none'; form-action 'none'; "
		"frame-ancestors 'none'\r\n",
		"\r\nX-Content-Type-Options: nosniff\r\n",
		"\r\nReferrer-Policy: no-referrer\r\n",
		"\r\nCross-Origin-Opener-Policy: same-origin\r\n",
	};
	const char *end = strstr(resp, "\r\n\r\n");

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *p = strstr(resp, want[i]);

		if (!p || !end || p > end) {
			fprintf(stderr, "%s: no %s", what, want[i] + 2);
			t_failures++;
		}
	}
}

static void test_serve(void)
{
	char etag[64] = "", hdr[128];
	const char *p;

	/* no token: the page is public code */
	T_EQ(get("/", NULL, NULL), 200);
	T_STRSTR(resp, "\r\nContent-Type: text/html; charset=utf-8\r\n");
	T_STRSTR(resp, "\r\nContent-Length: 36\r\n");
	T_ASSERT(!strcmp(body_of(), "<!doctype html><title>vigil</title>\n"));
	t_security_headers("/");
	p = strstr(resp, "\r\nETag: \"");
	T_ASSERT(p);
	if (p)
		sscanf(p + 8, "%63[^\r]", etag);
	T_EQ(strlen(etag), 18);
	T_EQ(get("/index.html", NULL, NULL), 200);
	T_STRSTR(resp, etag);
	/* revalidation */
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
	T_EQ(get("/", NULL, hdr), 304);
	T_ASSERT(!*body_of());
	t_security_headers("304");
	T_EQ(get("/", NULL, "If-None-Match: \"0000000000000000\"\r\n"), 200);

	T_EQ(get("/app/main.js", NULL, NULL), 200);
	T_STRSTR(resp, "\r\nContent-Type: text/javascript; charset=utf-8\r\n");
	T_ASSERT(!strcmp(body_of(), "export const x = 1;\n"));
	T_EQ(get("/app/zstd.wasm", NULL, NULL), 200);
	T_STRSTR(resp, "\r\nContent-Type: application/wasm\r\n");
	T_EQ(resp_len - (size_t)(body_of() - resp), 8);
	T_ASSERT(!memcmp(body_of(), "\0asm\1\0\0\0", 8));
	T_EQ(get("/style.css", NULL, NULL), 200);
	T_STRSTR(resp, "\r\nContent-Type: text/css; charset=utf-8\r\n");

	/* a file larger than a client's queue, byte for byte */
	T_EQ(get("/app/big.js", NULL, NULL), 200);
	T_EQ(resp_len - (size_t)(body_of() - resp), BIG_JS);
	T_ASSERT(!memcmp(body_of(), big, BIG_JS));

	/* HEAD: the headers only */
	T_EQ(raw("HEAD /app/main.js HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), 200);
	T_STRSTR(resp, "\r\nContent-Length: 20\r\n");
	T_ASSERT(!*body_of());
	/* the page takes no other method */
	T_EQ(raw("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n"
		 "Connection: close\r\n\r\n"), 405);
	/* keep-alive: two files on one connection */
	{
		const int fd = t_connect_from(NULL);
		const char req[] = "GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n"
				   "GET /app/main.js HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

		send_all(fd, req, sizeof(req) - 1);
		read_all(fd);
		close(fd);
		T_STRSTR(resp, "body{}\n");
		T_STRSTR(resp, "export const x = 1;\n");
	}
}

static void test_outside(void)
{
	static const char *const paths[] = {
		"/../token", "/app/../../token", "/%2e%2e/token", "/%2E%2E%2ftoken",
		"/app/%2e%2e/%2e%2e/token", "/..%5ctoken", "/.secret", "/app/",
		"/app", "//etc/passwd", "/token", "/stderr", "/web/index.html",
		"/index.html%00", "/app/main.js/", "/nothing",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const int st = get(paths[i], NULL, NULL);

		if (st != 400 && st != 404) {
			fprintf(stderr, "%s: %d\n", paths[i], st);
			t_failures++;
		}
		if (strstr(resp, token) || strstr(resp, "hidden")) {
			fprintf(stderr, "%s: leaked\n", paths[i]);
			t_failures++;
		}
	}
}

static void test_api_still_private(void)
{
	src_ip = "127.0.0.5";
	T_EQ(get("/api/status", NULL, NULL), 401);
	t_security_headers("401");
	T_EQ(get("/api", NULL, NULL), 401);
	T_EQ(get("/api/nothing", NULL, NULL), 401);
	T_EQ(get("/metrics", NULL, NULL), 401);
	src_ip = NULL;
	T_EQ(get("/api/status", token, NULL), 200);
	t_security_headers("/api/status");
	/* the device's clocks, read together, for the page's times */
	{
		struct timespec m, w;
		unsigned long long mono = 0, wall = 0;
		const char *p = strstr(body_of(), "\"mono_ns\":");
		const char *q = strstr(body_of(), "\"wall_ns\":");

		clock_gettime(CLOCK_MONOTONIC, &m);
		clock_gettime(CLOCK_REALTIME, &w);
		T_ASSERT(p && q);
		if (p && q) {
			mono = strtoull(p + 10, NULL, 10);
			wall = strtoull(q + 10, NULL, 10);
		}
		T_ASSERT(mono <= (unsigned long long)m.tv_sec * 1000000000ULL + m.tv_nsec);
		T_ASSERT(mono + 5000000000ULL > (unsigned long long)m.tv_sec * 1000000000ULL);
		T_ASSERT(wall / 1000000000ULL + 5 > (unsigned long long)w.tv_sec &&
			 wall / 1000000000ULL <= (unsigned long long)w.tv_sec);
	}
	T_EQ(get("/api/events", token, NULL), 200);
	t_security_headers("/api/events");
	T_EQ(get("/api/clips", token, NULL), 200);
	t_security_headers("/api/clips");
	T_EQ(get("/metrics", token, NULL), 200);
	t_security_headers("/metrics");
}

/* vigild with web_dir @wd: its exit status (it must refuse to start) */
static int refused(const char *wd)
{
	char set[400], tok[300];
	const char *args[] = { "--source", src, "--policy", "video-only",
			       "--set", "http.listen=127.0.0.1:0", "--set", tok,
			       "--set", set, NULL };

	snprintf(tok, sizeof(tok), "http.token_file=%s/token", dir);
	snprintf(set, sizeof(set), "http.web_dir=%s", wd);
	return t_vigild(args, false, 0);
}

static void test_refusals(void)
{
	char p[400];
	int st, fd;

	snprintf(p, sizeof(p), "%s/no-such-dir", dir);
	st = refused(p);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	T_STRSTR(t_err, "[http] web_dir = ");
	T_STRSTR(t_err, "No such file or directory");
	/* too big (a sparse file: the size is refused before any read) */
	snprintf(p, sizeof(p), "%s/huge", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/huge/huge.js", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	T_ASSERT(fd >= 0 && !ftruncate(fd, 65 << 20));
	close(fd);
	snprintf(p, sizeof(p), "%s/huge", dir);
	st = refused(p);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	T_STRSTR(t_err, "MiB (at /huge.js)");
	/* an empty directory */
	snprintf(p, sizeof(p), "%s/empty", dir);
	mkdir(p, 0755);
	st = refused(p);
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	T_STRSTR(t_err, "no files");
}

int main(void)
{
	char set[400], *y4m, *pir;
	int st;

	if (t_vigild_init())
		return T_SKIP;
	if (!mkdtemp(dir))
		return 1;
	mkweb();
	t_render(&y4m, &pir);
	snprintf(src, sizeof(src), "replay:%s", y4m);
	snprintf(set, sizeof(set), "http.web_dir=%s", web);
	{
		const char *const extra[] = { "--set", set, NULL };

		start_daemon(y4m, pir, extra);
	}
	test_serve();
	test_outside();
	test_api_still_private();
	st = stop_daemon();
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ(t_count(t_err, "the owner's page from "), 1);
	T_STRSTR(t_err, "(5 files, ");

	/* off: the API as before, nothing public */
	{
		const char *const extra[] = { "--set", "http.web_dir=off", NULL };

		start_daemon(y4m, pir, extra);
		T_EQ(get("/", NULL, NULL), 401);
		T_EQ(get("/index.html", NULL, NULL), 401);
		st = stop_daemon();
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_STRSTR(t_err, "the owner's page is off");
	}
	test_refusals();
	free(big);
	rm_dir();
	t_rmfile(y4m);
	t_rmfile(pir);
	return t_done();
}
