/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small, strict HTTP/1.1 request parser for vigild's API (Debian ships
 * no small C one). Pure: no I/O, no allocation; it only looks at the
 * bytes it is given and points into them. Anything it does not accept is
 * refused with the 4xx/5xx status the server answers, never guessed at.
 */
#ifndef VIGIL_HTTP_PARSE_H
#define VIGIL_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_LINE		2048	/* request line, bytes: 414 beyond */
#define HTTP_MAX_HEAD		8192	/* request line + headers: 431 beyond */
#define HTTP_MAX_HEADERS	32	/* header fields: 431 beyond */
#define HTTP_MAX_BODY		4096	/* Content-Length: 413 beyond */
#define HTTP_MAX_PATH		512	/* decoded path, bytes: 414 beyond */

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
};

struct http_field {
	const char *name, *value;	/* into the caller's buffer */
	size_t name_len, value_len;	/* value without surrounding blanks */
};

struct http_request {
	enum http_method method;
	unsigned int minor;		/* HTTP/1.<minor>: 0 or 1 */
	char path[HTTP_MAX_PATH];	/* percent-decoded, NUL-terminated */
	const char *query;		/* after '?', raw; NULL if none */
	size_t query_len;
	bool keep_alive;		/* the connection may serve another */
	size_t head_len;		/* bytes up to and including CRLFCRLF */
	size_t body_len;		/* Content-Length */
	const char *body;
	unsigned int nfields;
	struct http_field fields[HTTP_MAX_HEADERS];
};

/*
 * Parse one request at the start of @buf (@len bytes received so far).
 * Returns the number of bytes it takes (head and body: the next request
 * starts there), 0 if more bytes are needed (and allowed by the limits),
 * or minus the HTTP status to answer before closing: -400 malformed,
 * -405 unknown method, -413 body too large, -414 request line or path too
 * long, -431 too many or too large headers, -501 Transfer-Encoding,
 * -505 not HTTP/1.x.
 */
int http_parse_request(const char *buf, size_t len, struct http_request *r);

/* The value of header @name (case-insensitive), or NULL; length in *@vlen. */
const char *http_field(const struct http_request *r, const char *name,
		       size_t *vlen);

/*
 * Percent-decode the path @in (@n bytes) into @out (NUL-terminated).
 * Refuses what could reach beyond the API's namespace or fool a later
 * check: an encoded NUL, '/' or '\\', a control character, a bare '%',
 * any "." or ".." segment, empty segments ("//"). Returns the decoded
 * length, -EINVAL for those, -ENAMETOOLONG when @out is too small.
 */
int http_path_decode(const char *in, size_t n, char *out, size_t outlen);

/*
 * The value of @key in the query string @q (@n bytes, "a=1&b=2"),
 * percent-decoded into @out. 0, -ENOENT if absent, -EINVAL if malformed
 * (bad escape, encoded NUL), -ENAMETOOLONG if @out is too small.
 */
int http_query_get(const char *q, size_t n, const char *key, char *out,
		   size_t outlen);

/*
 * A Range header value against a resource of @size bytes: one
 * "bytes=A-B", "bytes=A-" or "bytes=-N" range. Returns 0 with the
 * inclusive [*@first, *@last], 1 if the header is to be ignored (another
 * unit, several ranges: answer the whole resource, as RFC 9110 allows),
 * -ERANGE if unsatisfiable (416), -EINVAL if malformed (ignored as well
 * by a lenient server; vigild answers 400).
 */
int http_range(const char *v, size_t n, uint64_t size, uint64_t *first,
	       uint64_t *last);

/* Does @a (@alen bytes) equal @b in constant time for a given length? */
bool http_token_equal(const char *a, size_t alen, const char *b, size_t blen);

/* The reason phrase of @status ("Not Found"), "" if unknown. */
const char *http_reason(int status);

#endif /* VIGIL_HTTP_PARSE_H */
