// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's HTTP API end to end on the host (replay source, loopback):
 * authentication and its rate limit, Range answers byte for byte, path
 * traversal, malformed and oversized requests, slowloris, the client limit,
 * keep-alive, SSE in order and resumed, a growing clip, a stalled reader,
 * the audit log, token rotation.
 */
#include <sodium.h>

#include "t-http.h"

#define CLIP_ID "20261127T101500Z-0001"
#define BIG_ID "20261127T101600Z-0002"
#define GROW_ID "20261127T101700Z-0003"
#define BIG_SIZE (24u << 20)

static void test_auth(void)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/token", dir);
	T_ASSERT(!stat(path, &st) && (st.st_mode & 0777) == 0600);
	T_EQ(strlen(token), 64);
	/* failures count per address: these come from 127.0.0.4 */
	src_ip = "127.0.0.4";
	T_EQ(get("/api/status", NULL, NULL), 401);
	T_STRSTR(resp, "WWW-Authenticate: Bearer");
	T_EQ(get("/api/status", "0000000000000000000000000000000000000000000000000000000000000000",
		 NULL), 401);
	T_EQ(get("/api/clips", "x", NULL), 401);
	T_EQ(get("/no/such/thing", NULL, NULL), 401);	/* routes are not revealed */
	T_EQ(get("/metrics", NULL, NULL), 401);
	src_ip = NULL;
	T_EQ(get("/api/status", token, NULL), 200);
	T_STRSTR(body_of(), "\"armed\":true");
	T_ASSERT(metric("vigil_http_auth_failures_total") >= 5);

	/* the rate limit, from another address: 5 failures, then 429 */
	{
		char bad[256], good[256];
		int st401 = 0, st429 = 0;

		snprintf(bad, sizeof(bad), "GET /api/status HTTP/1.1\r\nHost: t\r\n"
			 "Authorization: Bearer nope\r\nConnection: close\r\n\r\n");
		snprintf(good, sizeof(good), "GET /api/status HTTP/1.1\r\nHost: t\r\n"
			 "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", token);
		for (int i = 0; i < 8; i++) {
			const int s = raw_from("127.0.0.2", bad, strlen(bad));

			st401 += s == 401;
			st429 += s == 429;
		}
		T_EQ(st401, 5);
		T_EQ(st429, 3);
		T_STRSTR(resp, "Retry-After: ");
		/* even the right token waits out the window from there */
		T_EQ(raw_from("127.0.0.2", good, strlen(good)), 429);
		/* other addresses are not affected */
		T_EQ(raw_from("127.0.0.3", good, strlen(good)), 200);
		T_ASSERT(metric("vigil_http_rate_limited_total") >= 4);
	}
}

static void test_range(const unsigned char *big)
{
	static const struct { const char *range; long long first, last; } cases[] = {
		{ "bytes=0-0", 0, 0 },
		{ "bytes=100-199", 100, 199 },
		{ "bytes=65530-131080", 65530, 131080 },	/* across pieces */
		{ "bytes=25165000-", 25165000, BIG_SIZE - 1 },
		{ "bytes=-1000", BIG_SIZE - 1000, BIG_SIZE - 1 },
		{ "bytes=25165800-99999999", 25165800, BIG_SIZE - 1 },
	};
	char hdr[128], want[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const size_t n = (size_t)(cases[i].last - cases[i].first + 1);

		snprintf(hdr, sizeof(hdr), "Range: %s\r\n", cases[i].range);
		T_EQ(get("/api/clips/" BIG_ID, token, hdr), 206);
		snprintf(want, sizeof(want), "Content-Range: bytes %lld-%lld/%u",
			 cases[i].first, cases[i].last, BIG_SIZE);
		T_STRSTR(resp, want);
		T_EQ(resp_len - (size_t)(body_of() - resp), n);
		T_ASSERT(!memcmp(body_of(), big + cases[i].first, n));
	}
	/* the whole file */
	T_EQ(get("/api/clips/" BIG_ID, token, NULL), 200);
	T_EQ(resp_len - (size_t)(body_of() - resp), BIG_SIZE);
	T_ASSERT(!memcmp(body_of(), big, BIG_SIZE));
	/* unsatisfiable, malformed, ignored */
	T_EQ(get("/api/clips/" BIG_ID, token, "Range: bytes=25165824-\r\n"), 416);
	T_STRSTR(resp, "Content-Range: bytes */25165824");
	T_EQ(get("/api/clips/" BIG_ID, token, "Range: bytes=9-3\r\n"), 400);
	T_EQ(get("/api/clips/" CLIP_ID, token, "Range: bytes=0-1,5-6\r\n"), 200);
	/* the list */
	T_EQ(get("/api/clips", token, NULL), 200);
	T_STRSTR(body_of(), "{\"id\":\"" CLIP_ID "\",\"size\":");
	T_STRSTR(body_of(), "{\"id\":\"" BIG_ID "\",\"size\":25165824,");
	T_ASSERT(!strstr(body_of(), "not-a-clip"));
}

static void test_traversal(void)
{
	static const char *const paths[] = {
		"/api/clips/../../../etc/passwd",
		"/api/clips/..%2f..%2fetc%2fpasswd",
		"/api/clips/%2e%2e/%2e%2e/etc/passwd",
		"/api/clips/%2E%2E",
		"/api/clips//etc/passwd",
		"/api/clips/%2fetc%2fpasswd",
		"/api/clips/" CLIP_ID "%00.txt",
		"/api/clips/" CLIP_ID "%00",
		"/api/clips/" CLIP_ID ".vclip",
		"/api/clips/" CLIP_ID "0",
		"/api/clips/" CLIP_ID "/../" CLIP_ID,
		"/api/clips/not-a-clip",
		"/api/clips/audit.jsonl",
		"/api/clips/..\\..\\etc\\passwd",
		"/api/clips/%5c..%5cetc",
		"http://t/etc/passwd",
		"/api/clips/20261127T101500Z-0001000000000000000000000000000000000000000",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const int st = get(paths[i], token, NULL);

		if (st != 400 && st != 404) {
			fprintf(stderr, "%s: %d\n", paths[i], st);
			t_failures++;
		}
		T_ASSERT(!strstr(resp, "root:"));
	}
	/* an overlong path is 414 */
	{
		static char p[1200];

		memset(p, 'a', sizeof(p) - 1);
		memcpy(p, "/api/clips/", 11);
		T_EQ(get(p, token, NULL), 414);
	}
}

static void test_malformed(void)
{
	static char big[20000];
	size_t n;

	T_EQ(raw("GARBAGE\r\n\r\n"), 400);
	T_EQ(raw("GET / HTTP/1.1\nHost: t\n\n"), 400);
	T_EQ(raw("GET /api/status HTTP/2.0\r\nHost: t\r\n\r\n"), 505);
	T_EQ(raw("DELETE /api/clips/" CLIP_ID " HTTP/1.1\r\nHost: t\r\n\r\n"), 405);
	T_EQ(raw("POST /api/arm HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
	T_EQ(raw("POST /api/arm HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"), 413);
	T_EQ(raw("GET /api/status HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n"
		 "Content-Length: 2\r\n\r\n"), 400);
	/* a request line that never ends */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	T_EQ(raw_from(NULL, big, sizeof(big)), 414);
	/* headers too large, too many */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: t\r\nX: ");
	memset(big + n, 'v', sizeof(big) - n);
	T_EQ(raw_from(NULL, big, sizeof(big)), 431);
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: t\r\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%d: 1\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	T_EQ(raw_from(NULL, big, n), 431);
	/* binary junk */
	for (size_t i = 0; i < 4096; i++)
		big[i] = (char)(i * 7919 % 251);
	T_ASSERT(raw_from(NULL, big, 4096) == 400);
	/* and it still serves */
	T_EQ(get("/api/status", token, NULL), 200);
}

static void test_keepalive_and_limits(void)
{
	char req[1024];
	int fds[8], fd;
	size_t n;

	/* two pipelined requests on one connection, two answers */
	n = (size_t)snprintf(req, sizeof(req),
			     "GET /api/status HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n"
			     "GET /api/clips/" CLIP_ID " HTTP/1.1\r\nHost: t\r\n"
			     "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", token, token);
	fd = t_connect_from(NULL);
	send_all(fd, req, n);
	read_all(fd);
	close(fd);
	T_EQ(t_count(resp, "HTTP/1.1 200 OK"), 2);
	T_STRSTR(resp, "Connection: keep-alive");

	/* slowloris: a head that trickles in is answered 408 and closed */
	{
		const uint64_t t0 = (uint64_t)time(NULL);

		fd = t_connect_from(NULL);
		send_all(fd, "GET /api/status HTTP/1.1\r\nHo", 28);
		read_all(fd);
		close(fd);
		T_EQ(status_of(), 408);
		T_ASSERT((uint64_t)time(NULL) - t0 <= 4);
	}

	/* max_clients = 8: the 9th gets 503 at once; then it serves again */
	for (int i = 0; i < 8; i++)
		fds[i] = t_connect_from(NULL);
	msleep(100);
	T_EQ(get("/api/status", token, NULL), 503);
	for (int i = 0; i < 8; i++)
		close(fds[i]);
	msleep(200);
	T_EQ(get("/api/status", token, NULL), 200);
}

/* Read SSE records from @fd until @want ids or 5 s; ids into @ids. */
static int sse_read(int fd, unsigned long *ids, char (*data)[1024], int want)
{
	static char buf[1 << 16];
	size_t len = 0;
	int n = 0;

	while (n < want) {
		char *rec;
		const ssize_t r = recv(fd, buf + len, sizeof(buf) - len - 1, 0);

		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		while (n < want && (rec = strstr(buf, "id: ")) && strstr(rec, "\n\n")) {
			char *end = strstr(rec, "\n\n"), *d = strstr(rec, "\ndata: ");

			ids[n] = strtoul(rec + 4, NULL, 10);
			if (d && d < end) {
				snprintf(data[n], sizeof(data[n]), "%.*s", (int)(end - d - 7), d + 7);
			}
			n++;
			memmove(buf, end + 2, len - (size_t)(end + 2 - buf) + 1);
			len -= (size_t)(end + 2 - buf);
		}
	}
	return n;
}

static void test_sse(void)
{
	static unsigned long ids[16], ids2[16];
	static char data[16][1024], data2[16][1024];
	static char log[1 << 20], path[300];
	char req[2048];
	int fd, n;

	snprintf(req, sizeof(req), "GET /api/events/stream HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Bearer %s\r\n\r\n", token);
	fd = t_connect_from(NULL);
	send_all(fd, req, strlen(req));
	/* the scene loops every 4 s: at least 4 events (start/updates/end) */
	n = sse_read(fd, ids, data, 6);
	close(fd);
	T_EQ(n, 6);
	for (int i = 1; i < n; i++)
		T_EQ(ids[i], ids[i - 1] + 1);	/* every event, in order */
	/* each record is the event log's line, in the log's order */
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	t_slurp(path, log, sizeof(log));
	{
		const char *p = log;

		for (int i = 0; i < n; i++) {
			const char *q = strstr(p, data[i]);

			T_ASSERT(data[i][0] == '{' && q);
			if (q)
				p = q + 1;
		}
	}
	/* resume after the second: the third comes first, the same */
	snprintf(req, sizeof(req), "GET /api/events/stream HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Bearer %s\r\nLast-Event-ID: %lu\r\n\r\n", token, ids[1]);
	fd = t_connect_from(NULL);
	send_all(fd, req, strlen(req));
	n = sse_read(fd, ids2, data2, 3);
	close(fd);
	T_EQ(n, 3);
	T_EQ(ids2[0], ids[2]);
	T_ASSERT(!strcmp(data2[0], data[2]));
	T_ASSERT(!strcmp(data2[2], data[4]));
	/* the JSON page from a cursor */
	snprintf(req, sizeof(req), "/api/events?since=%lu", ids[2]);
	T_EQ(get(req, token, NULL), 200);
	snprintf(req, sizeof(req), "{\"id\":%lu,\"event\":%s}", ids[3], data[3]);
	T_STRSTR(body_of(), req);
	snprintf(req, sizeof(req), "{\"id\":%lu,", ids[2]);
	T_ASSERT(!strstr(body_of(), req));
	T_EQ(get("/api/events?since=x", token, NULL), 400);
}

static void test_growing(const unsigned char *big)
{
	char part[300], done[300], req[512];
	const size_t first = 100000;
	FILE *fp;
	int fd;

	snprintf(part, sizeof(part), "%s/clips/" GROW_ID ".vclip.part", dir);
	snprintf(done, sizeof(done), "%s/clips/" GROW_ID ".vclip", dir);
	write_file(part, big, first);
	snprintf(req, sizeof(req), "GET /api/clips/" GROW_ID " HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", token);
	fd = t_connect_from(NULL);
	send_all(fd, req, strlen(req));
	msleep(300);
	fp = fopen(part, "a");
	fwrite(big + first, 1, 300000, fp);
	fclose(fp);
	msleep(300);
	T_ASSERT(!rename(part, done));
	read_all(fd);
	close(fd);
	T_STRSTR(resp, "Transfer-Encoding: chunked");
	/* de-chunk and compare */
	{
		const char *p = body_of();
		size_t got = 0;
		bool ok = true;

		for (;;) {
			char *end;
			const unsigned long n = strtoul(p, &end, 16);

			if (end == p || strncmp(end, "\r\n", 2)) {
				ok = false;
				break;
			}
			p = end + 2;
			if (!n)
				break;
			if (got + n > 400000 || memcmp(p, big + got, n)) {
				ok = false;
				break;
			}
			got += n;
			p += n + 2;
		}
		T_ASSERT(ok);
		T_EQ(got, 400000);
	}
}

static void test_stalled(void)
{
	char req[512];
	unsigned long before = metric("vigil_http_cut_off_total");
	int fd, rcv = 4096;

	/* asks for 24 MiB and never reads: cut off after timeout_s */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		T_ASSERT(!connect(fd, (struct sockaddr *)&a, sizeof(a)));
	}
	snprintf(req, sizeof(req), "GET /api/clips/" BIG_ID " HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Bearer %s\r\n\r\n", token);
	send_all(fd, req, strlen(req));
	msleep(2600);
	T_EQ(metric("vigil_http_cut_off_total"), before + 1);
	T_EQ(metric("vigil_http_clients"), 1);	/* this request only */
	close(fd);
}

static void test_arm_audit_rotate(void)
{
	char path[300], log[8192], old[128];

	T_EQ(post("/api/disarm"), 200);
	T_EQ(get("/api/status", token, NULL), 200);
	T_STRSTR(body_of(), "\"armed\":false");
	T_EQ(post("/api/arm"), 200);
	T_EQ(get("/api/status", token, NULL), 200);
	T_STRSTR(body_of(), "\"armed\":true");
	T_EQ(get("/api/arm", token, NULL), 405);

	/* every clip access is in the audit log with address and token id */
	snprintf(path, sizeof(path), "%s/clips/audit.jsonl", dir);
	t_slurp(path, log, sizeof(log));
	T_STRSTR(log, "\"action\":\"stream\",\"clip\":\"" BIG_ID "\",\"client\":\"127.0.0.1:");
	T_STRSTR(log, " token:");
	T_ASSERT(t_count(log, "\n") >= 9);

	/* --rotate-token: a new token, taken by the running daemon */
	snprintf(old, sizeof(old), "%s", token);
	{
		char tok[300];
		const char *args[] = { "--set", tok, "--rotate-token", NULL };
		int st;

		snprintf(tok, sizeof(tok), "http.token_file=%s/token", dir);
		st = t_vigild(args, false, 0);
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	read_token();
	T_ASSERT(strcmp(old, token) && strlen(token) == 64);
	msleep(1300);
	T_EQ(get("/api/status", old, NULL), 401);
	T_EQ(get("/api/status", token, NULL), 200);
}

/* Send @req and read only the head of the answer (a stream never ends). */
static int head_from(const char *src, const char *req, char *head, size_t cap)
{
	const int fd = t_connect_from(src);
	size_t n = 0;
	int st = 0;

	T_ASSERT(fd >= 0);
	send_all(fd, req, strlen(req));
	while (n + 1 < cap) {
		const ssize_t r = recv(fd, head + n, cap - 1 - n, 0);

		if (r <= 0)
			break;
		n += (size_t)r;
		head[n] = '\0';
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	head[n] = '\0';
	close(fd);
	sscanf(head, "HTTP/1.1 %d", &st);
	return st;
}

/*
 * The token as the password of Basic authentication: accepted for the
 * MJPEG stream only (players without bearer tokens), refused elsewhere
 * (browsers resend cached Basic credentials cross-site: no state change
 * may hang on it); a wrong one counts as a failure like any other.
 */
static void test_basic(void)
{
	char req[1024], head[4096], user_tok[200], b64[300];
	const unsigned long fails0 = metric("vigil_http_auth_failures_total");

	snprintf(req, sizeof(req), "GET /api/live.mjpeg HTTP/1.1\r\nHost: t\r\n\r\n");
	T_EQ(head_from("127.0.0.5", req, head, sizeof(head)), 401);
	T_STRSTR(head, "WWW-Authenticate: Basic realm=\"vigil\"");
	T_STRSTR(head, "WWW-Authenticate: Bearer realm=\"vigil\"");

	/* a script's fetch() is not offered Basic: a browser would pop a dialog */
	snprintf(req, sizeof(req), "GET /api/live.mjpeg HTTP/1.1\r\nHost: t\r\n"
		 "Sec-Fetch-Mode: cors\r\n\r\n");
	T_EQ(head_from("127.0.0.5", req, head, sizeof(head)), 401);
	T_ASSERT(!strstr(head, "WWW-Authenticate: Basic"));
	T_STRSTR(head, "WWW-Authenticate: Bearer");

	snprintf(user_tok, sizeof(user_tok), "homeassistant:%s", token);
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)user_tok,
			  strlen(user_tok), sodium_base64_VARIANT_ORIGINAL);
	snprintf(req, sizeof(req), "GET /api/live.mjpeg HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Basic %s\r\n\r\n", b64);
	T_EQ(head_from("127.0.0.5", req, head, sizeof(head)), 200);
	T_STRSTR(head, "multipart/x-mixed-replace");
	/* not for anything else, and not for POST */
	snprintf(req, sizeof(req), "GET /api/status HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Basic %s\r\nConnection: close\r\n\r\n", b64);
	T_EQ(head_from("127.0.0.5", req, head, sizeof(head)), 401);
	T_ASSERT(!strstr(head, "WWW-Authenticate: Basic"));
	snprintf(req, sizeof(req), "POST /api/disarm HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Basic %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", b64);
	T_EQ(head_from("127.0.0.5", req, head, sizeof(head)), 401);
	T_EQ(get("/api/status", token, NULL), 200);
	T_STRSTR(body_of(), "\"armed\":true");
	/* a wrong password, and garbage base64, are failures */
	snprintf(user_tok, sizeof(user_tok), "homeassistant:%.63s0", token);
	if (token[63] == '0')
		user_tok[strlen(user_tok) - 1] = '1';
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)user_tok,
			  strlen(user_tok), sodium_base64_VARIANT_ORIGINAL);
	snprintf(req, sizeof(req), "GET /api/live.mjpeg HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Basic %s\r\n\r\n", b64);
	T_EQ(head_from("127.0.0.6", req, head, sizeof(head)), 401);
	snprintf(req, sizeof(req), "GET /api/live.mjpeg HTTP/1.1\r\nHost: t\r\n"
		 "Authorization: Basic !!!*\r\n\r\n");
	T_EQ(head_from("127.0.0.6", req, head, sizeof(head)), 401);
	T_ASSERT(metric("vigil_http_auth_failures_total") >= fails0 + 6);
}

int main(void)
{
	static unsigned char big[BIG_SIZE];
	char path[300], *y4m, *pir;
	int st;

	if (t_vigild_init())
		return T_SKIP;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/clips", dir);
	mkdir(path, 0700);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)((i * 2654435761u) >> 13);
	snprintf(path, sizeof(path), "%s/clips/" BIG_ID ".vclip", dir);
	write_file(path, big, sizeof(big));
	snprintf(path, sizeof(path), "%s/clips/" CLIP_ID ".vclip", dir);
	write_file(path, big, 5000);
	snprintf(path, sizeof(path), "%s/clips/not-a-clip.vclip", dir);
	write_file(path, "x", 1);
	t_render(&y4m, &pir);
	{
		static const char *const extra[] = { "--set", "http.max_clients=8",
						     "--set", "http.timeout_s=1", NULL };

		start_daemon(y4m, pir, extra);
	}

	test_auth();
	test_basic();
	test_range(big);
	test_traversal();
	test_malformed();
	test_keepalive_and_limits();
	test_sse();
	test_growing(big);
	test_stalled();
	test_arm_audit_rotate();

	st = stop_daemon();
	T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_STRSTR(t_err, "vigild: stats: frames");
	rm_dir();
	t_rmfile(y4m);
	t_rmfile(pir);
	return t_done();
}
