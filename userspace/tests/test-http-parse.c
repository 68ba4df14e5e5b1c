// SPDX-License-Identifier: GPL-2.0-or-later
/* The HTTP/1.1 request parser: requests, limits, decoding, ranges. */
#include <stdint.h>

#include "http-parse.h"
#include "t.h"

static struct http_request r;

static int parse(const char *s)
{
	return http_parse_request(s, strlen(s), &r);
}

static void test_basic(void)
{
	const char *req = "GET /api/clips/x?since=12&a=%41b HTTP/1.1\r\n"
			  "Host: cam\r\nAuthorization:  Bearer abc \r\n\r\nGET /";
	char v[32];
	size_t n;
	const char *a;

	T_EQ(parse(req), (int)(strstr(req, "\r\n\r\n") + 4 - req));
	T_EQ(r.method, HTTP_GET);
	T_EQ(r.minor, 1);
	T_ASSERT(!strcmp(r.path, "/api/clips/x"));
	T_ASSERT(r.keep_alive);
	T_EQ(r.nfields, 2);
	a = http_field(&r, "authorization", &n);
	T_ASSERT(a && n == 10 && !memcmp(a, "Bearer abc", 10));
	T_EQ(http_query_get(r.query, r.query_len, "since", v, sizeof(v)), 0);
	T_ASSERT(!strcmp(v, "12"));
	T_EQ(http_query_get(r.query, r.query_len, "a", v, sizeof(v)), 0);
	T_ASSERT(!strcmp(v, "Ab"));
	T_EQ(http_query_get(r.query, r.query_len, "b", v, sizeof(v)), -ENOENT);
	T_EQ(http_query_get("x=%00", 5, "x", v, sizeof(v)), -EINVAL);
	T_EQ(http_query_get("x=%4", 4, "x", v, sizeof(v)), -EINVAL);
	T_EQ(http_query_get("x=123", 5, "x", v, 3), -ENAMETOOLONG);

	/* a body by Content-Length, incomplete then complete */
	T_EQ(parse("POST /api/arm HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nab"), 0);
	T_EQ(parse("POST /api/arm HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET"),
	     (int)strlen("POST /api/arm HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"));
	T_EQ(r.body_len, 3);
	T_ASSERT(!memcmp(r.body, "abc", 3));
	/* 1.0: close unless asked; Connection: close on 1.1 */
	T_ASSERT(parse("GET / HTTP/1.0\r\n\r\n") > 0 && !r.keep_alive);
	T_ASSERT(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") > 0 && r.keep_alive);
	T_ASSERT(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n") > 0 &&
		 !r.keep_alive);
	T_EQ(r.method, HTTP_GET);
	T_ASSERT(parse("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n") > 0 && r.method == HTTP_HEAD);
	/* incomplete heads */
	T_EQ(parse(""), 0);
	T_EQ(parse("GET / HTTP/1.1\r"), 0);
	T_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n"), 0);
}

static void test_malformed(void)
{
	static const struct { const char *req; int status; } cases[] = {
		{ "GET / HTTP/1.1\nHost: a\r\n\r\n", -400 },		/* bare LF */
		{ "GET / HTTP/1.1\rHost: a\r\n\r\n", -400 },		/* bare CR */
		{ "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\n\r\n", -400 },			/* no Host */
		{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", -505 },
		{ "GET / HTTP/1.2\r\nHost: a\r\n\r\n", -505 },
		{ "GET / HTTX/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", -405 },
		{ "DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", -405 },
		{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", -400 },		/* blank before : */
		{ "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
		  "Content-Length: 2\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\n\r\n", -413 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", -501 },
		/* traversal and its encodings */
		{ "GET /api/clips/../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api/clips/%2e%2e/x HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api/clips/%2E%2E HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api/clips/..%2fetc HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api/clips/x%00.vclip HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api/clips/x%5c..%5cy HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api//clips HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api/./clips HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api/%zz HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api/% HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /api/%4 HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
		{ "GET /a%0d%0aX: y HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const int ret = parse(cases[i].req);

		if (ret != cases[i].status) {
			fprintf(stderr, "case %zu: %d, expected %d\n", i, ret,
				cases[i].status);
			t_failures++;
		}
	}
}

static void test_limits(void)
{
	static char buf[HTTP_MAX_HEAD * 2];
	size_t n;

	/* a request line that never ends: 414 as soon as it is too long */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	T_EQ(http_parse_request(buf, HTTP_MAX_LINE - 1, &r), 0);
	T_EQ(http_parse_request(buf, HTTP_MAX_LINE, &r), -414);
	/* a path longer than HTTP_MAX_PATH in a line that fits: 414 */
	n = (size_t)snprintf(buf, sizeof(buf), "GET /%0*d HTTP/1.1\r\nHost: a\r\n\r\n",
			     HTTP_MAX_PATH, 0);
	T_EQ(http_parse_request(buf, n, &r), -414);
	/* too many fields */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	T_EQ(http_parse_request(buf, n, &r), -431);
	/* exactly the maximum is fine */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	T_EQ(http_parse_request(buf, n, &r), (int)n);
	/* one huge field that never ends: 431, not an endless wait */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX: ");
	memset(buf + n, 'v', sizeof(buf) - n);
	T_EQ(http_parse_request(buf, HTTP_MAX_HEAD - 1, &r), 0);
	T_EQ(http_parse_request(buf, HTTP_MAX_HEAD, &r), -431);
	T_EQ(http_parse_request(buf, sizeof(buf), &r), -431);
}

static void test_path(void)
{
	char out[16];

	T_EQ(http_path_decode("/a%20b", 6, out, sizeof(out)), 4);
	T_ASSERT(!strcmp(out, "/a b"));
	T_EQ(http_path_decode("/", 1, out, sizeof(out)), 1);
	T_EQ(http_path_decode("/a/", 3, out, sizeof(out)), 3);
	T_EQ(http_path_decode("/..", 3, out, sizeof(out)), -EINVAL);
	T_EQ(http_path_decode("/.", 2, out, sizeof(out)), -EINVAL);
	T_EQ(http_path_decode("/a/%2E", 6, out, sizeof(out)), -EINVAL);
	T_EQ(http_path_decode("/...", 4, out, sizeof(out)), 4);	/* a name */
	T_EQ(http_path_decode("a", 1, out, sizeof(out)), -EINVAL);
	T_EQ(http_path_decode("/%2F", 4, out, sizeof(out)), -EINVAL);
	T_EQ(http_path_decode("/0123456789abcdef", 17, out, sizeof(out)), -ENAMETOOLONG);
}

static void test_range(void)
{
	uint64_t a, b;

	T_EQ(http_range("bytes=0-9", 9, 100, &a, &b), 0);
	T_EQ(a, 0);
	T_EQ(b, 9);
	T_EQ(http_range("bytes=90-", 9, 100, &a, &b), 0);
	T_EQ(a, 90);
	T_EQ(b, 99);
	T_EQ(http_range("bytes=50-500", 12, 100, &a, &b), 0);
	T_EQ(b, 99);
	T_EQ(http_range("bytes=-10", 9, 100, &a, &b), 0);
	T_EQ(a, 90);
	T_EQ(b, 99);
	T_EQ(http_range("bytes=-1000", 11, 100, &a, &b), 0);
	T_EQ(a, 0);
	T_EQ(http_range("bytes=100-", 10, 100, &a, &b), -ERANGE);
	T_EQ(http_range("bytes=-0", 8, 100, &a, &b), -ERANGE);
	T_EQ(http_range("bytes=5-4", 9, 100, &a, &b), -EINVAL);
	T_EQ(http_range("bytes=x-4", 9, 100, &a, &b), -EINVAL);
	T_EQ(http_range("bytes=4", 7, 100, &a, &b), -EINVAL);
	T_EQ(http_range("bytes=0-1,5-6", 13, 100, &a, &b), 1);
	T_EQ(http_range("items=0-1", 9, 100, &a, &b), 1);
}

static void test_misc(void)
{
	T_ASSERT(http_token_equal("secret", 6, "secret", 6));
	T_ASSERT(!http_token_equal("secreT", 6, "secret", 6));
	T_ASSERT(!http_token_equal("secre", 5, "secret", 6));
	T_ASSERT(!http_token_equal("secrets", 7, "secret", 6));
	T_ASSERT(!http_token_equal("", 0, "secret", 6));
	T_ASSERT(!strcmp(http_reason(416), "Range Not Satisfiable"));
	T_ASSERT(!strcmp(http_reason(299), ""));
}

int main(void)
{
	test_basic();
	test_malformed();
	test_limits();
	test_path();
	test_range();
	test_misc();
	return t_done();
}
