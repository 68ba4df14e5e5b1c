// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: vigild's HTTP/1.1 request parser, the path and query
 * decoding and the Range header, fed the way the server feeds them
 * (every prefix of a request as it arrives, then pipelined requests).
 */
#include <assert.h>
#include <string.h>

#include "fuzz.h"
#include "http-parse.h"

const char *const fuzz_corpus[] = { "userspace/fuzz/corpus/http", NULL };

const struct fuzz_seed fuzz_seeds[] = {
	FUZZ_SEED("GET /api/clips/20261127T101500Z-0001 HTTP/1.1\r\nHost: a\r\n"
		  "Authorization: Bearer x\r\nRange: bytes=10-\r\n\r\n"),
	FUZZ_SEED("POST /api/arm HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}"
		  "GET /api/events?since=3 HTTP/1.0\r\n\r\n"),
	{ NULL, 0 },
};

static void check(const char *buf, size_t len, const struct http_request *r,
		  int ret)
{
	uint64_t first, last;
	char v[64];

	if (ret <= 0)
		return;
	/* what the parser hands out lies inside the input */
	assert((size_t)ret <= len && r->head_len <= (size_t)ret);
	assert(r->body + r->body_len == buf + ret);
	assert(r->path[0] == '/' && strlen(r->path) < sizeof(r->path));
	/* no decoded path leaves the root */
	assert(!strstr(r->path, "/../") && !strstr(r->path, "//"));
	for (unsigned int i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		assert(f->name >= buf && f->value + f->value_len <= buf + len);
	}
	if (r->query)
		http_query_get(r->query, r->query_len, "since", v, sizeof(v));
	for (unsigned int i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		if (http_range(f->value, f->value_len, 1000, &first, &last) == 0)
			assert(first <= last && last < 1000);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_request r;
	size_t off = 0;
	int ret;

	/* as the bytes arrive: every prefix of the first request */
	for (size_t n = 0; n <= size && n <= 256; n++)
		check(buf, n, &r, http_parse_request(buf, n, &r));
	/* then pipelined requests until one is incomplete or refused */
	while (off < size) {
		ret = http_parse_request(buf + off, size - off, &r);
		check(buf + off, size - off, &r, ret);
		if (ret <= 0)
			break;
		off += (size_t)ret;
	}
	return 0;
}
