// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HTTP/1.1 request parsing for vigild (RFC 9112): the request line, header
 * fields, a Content-Length body. Strict on purpose: whatever two parsers
 * could read differently (obsolete line folding, bare LF, a second
 * Content-Length, Transfer-Encoding, whitespace before the colon) is
 * refused instead of interpreted.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http-parse.h"

/* RFC 9110 tchar: the characters of a token (method, field name). */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* A field value byte: visible, blank or obs-text; no controls, no DEL. */
static bool is_vchar(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Find CRLF in [p, end); a bare CR or LF is an error (-1); none yet: NULL. */
static const char *find_crlf(const char *p, const char *end, bool *bad)
{
	for (; p < end; p++) {
		if (*p == '\n') {
			*bad = true;
			return NULL;
		}
		if (*p == '\r') {
			if (p + 1 == end)
				return NULL;
			if (p[1] != '\n') {
				*bad = true;
				return NULL;
			}
			return p;
		}
	}
	return NULL;
}

int http_path_decode(const char *in, size_t n, char *out, size_t outlen)
{
	size_t o = 0, seg = 0;	/* start of the current segment in out */

	if (!n || in[0] != '/')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		bool escaped = false;

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -EINVAL;
			hi = hexval((unsigned char)in[i + 1]);
			lo = hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
			escaped = true;
			/* an encoded separator or NUL hides a path from checks */
			if (c == '/' || c == '\\' || c == '\0')
				return -EINVAL;
		}
		if (c < 0x20 || c == 0x7f || (c == '\\' && !escaped))
			return -EINVAL;
		if (c == '/') {
			const size_t sl = o - seg;

			/* the segment just ended: not empty (except the root), . or .. */
			if (o && (sl == 0 || (sl == 1 && out[seg] == '.') ||
				  (sl == 2 && out[seg] == '.' && out[seg + 1] == '.')))
				return -EINVAL;
			if (o + 1 >= outlen)
				return -ENAMETOOLONG;
			out[o++] = '/';
			seg = o;
			continue;
		}
		if (o + 1 >= outlen)
			return -ENAMETOOLONG;
		out[o++] = (char)c;
	}
	/* the last segment: "." and ".." refused; a trailing '/' is allowed */
	if ((o - seg == 1 && out[seg] == '.') ||
	    (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.'))
		return -EINVAL;
	out[o] = '\0';
	return (int)o;
}

int http_query_get(const char *q, size_t n, const char *key, char *out,
		   size_t outlen)
{
	const size_t klen = strlen(key);
	const char *p = q, *end = q + n;

	while (q && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;

		if ((size_t)(pe - p) > klen && !memcmp(p, key, klen) &&
		    p[klen] == '=') {
			size_t o = 0;

			for (const char *s = p + klen + 1; s < pe; s++) {
				unsigned char c = (unsigned char)*s;

				if (c == '%') {
					int hi, lo;

					if (pe - s < 3)
						return -EINVAL;
					hi = hexval((unsigned char)s[1]);
					lo = hexval((unsigned char)s[2]);
					if (hi < 0 || lo < 0 || !(hi | lo))
						return -EINVAL;
					c = (unsigned char)(hi << 4 | lo);
					s += 2;
				} else if (c == '+') {
					c = ' ';
				}
				if (o + 1 >= outlen)
					return -ENAMETOOLONG;
				out[o++] = (char)c;
			}
			if (!outlen)
				return -ENAMETOOLONG;
			out[o] = '\0';
			return 0;
		}
		p = pe + 1;
	}
	return -ENOENT;
}

static bool token_is(const char *v, size_t n, const char *tok)
{
	return strlen(tok) == n && !strncasecmp(v, tok, n);
}

/* Does the comma-separated list @v contain @tok (case-insensitive)? */
static bool list_has(const char *v, size_t n, const char *tok)
{
	const char *end = v + n;

	while (v < end) {
		const char *c = memchr(v, ',', (size_t)(end - v));
		const char *e = c ? c : end;
		const char *s = v;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (token_is(s, (size_t)(e - s), tok))
			return true;
		v = c ? c + 1 : end;
	}
	return false;
}

/* Parse a decimal of at most 18 digits (no sign, no blanks). */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (!n || n > 18)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_request_line(const char *p, size_t n, struct http_request *r)
{
	const char *sp1 = memchr(p, ' ', n), *sp2, *target, *end = p + n;
	const char *qm;
	size_t mlen, tlen;
	int ret;

	if (!sp1)
		return -400;
	mlen = (size_t)(sp1 - p);
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return -400;
	if (mlen == 3 && !memcmp(p, "GET", 3))
		r->method = HTTP_GET;
	else if (mlen == 4 && !memcmp(p, "HEAD", 4))
		r->method = HTTP_HEAD;
	else if (mlen == 4 && !memcmp(p, "POST", 4))
		r->method = HTTP_POST;
	else if (mlen)
		return -405;
	else
		return -400;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', (size_t)(end - target));
	if (!sp2 || sp2 == target)
		return -400;
	tlen = (size_t)(sp2 - target);
	/* the version: exactly HTTP/1.0 or HTTP/1.1 */
	if ((size_t)(end - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/", 5))
		return -400;
	if (sp2[6] != '1' || sp2[7] != '.')
		return sp2[6] >= '0' && sp2[6] <= '9' ? -505 : -400;
	if (sp2[8] != '0' && sp2[8] != '1')
		return sp2[8] >= '0' && sp2[8] <= '9' ? -505 : -400;
	r->minor = (unsigned int)(sp2[8] - '0');
	/* origin-form only: "/path?query"; no absolute-form, no fragment */
	if (target[0] != '/')
		return -400;
	for (size_t i = 0; i < tlen; i++) {
		const unsigned char c = (unsigned char)target[i];

		if (c <= 0x20 || c >= 0x7f || c == '#')
			return -400;
	}
	qm = memchr(target, '?', tlen);
	if (qm) {
		r->query = qm + 1;
		r->query_len = (size_t)(sp2 - qm - 1);
		tlen = (size_t)(qm - target);
	}
	ret = http_path_decode(target, tlen, r->path, sizeof(r->path));
	if (ret == -ENAMETOOLONG)
		return -414;
	return ret < 0 ? -400 : 0;
}

int http_parse_request(const char *buf, size_t len, struct http_request *r)
{
	const char *p = buf, *end = buf + len, *eol;
	bool bad = false, have_cl = false, close = false, ka = false;
	uint64_t cl = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	/* RFC 9112 2.2: ignore at least one empty line before a request */
	if (len >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;
	eol = find_crlf(p, end, &bad);
	if (bad)
		return -400;
	if (!eol)
		return (size_t)(end - p) >= HTTP_MAX_LINE ? -414 : 0;
	if ((size_t)(eol - p) >= HTTP_MAX_LINE)
		return -414;
	ret = parse_request_line(p, (size_t)(eol - p), r);
	if (ret)
		return ret;
	p = eol + 2;
	for (;;) {
		const char *colon, *v, *ve;
		struct http_field *f;

		if ((size_t)(p - buf) > HTTP_MAX_HEAD)
			return -431;
		eol = find_crlf(p, end, &bad);
		if (bad)
			return -400;
		if (!eol)
			return (size_t)(end - buf) >= HTTP_MAX_HEAD ? -431 : 0;
		if (eol == p)
			break;		/* the empty line: end of the head */
		if ((size_t)(eol + 2 - buf) > HTTP_MAX_HEAD)
			return -431;
		if (r->nfields == HTTP_MAX_HEADERS)
			return -431;
		/* obs-fold (a line starting with a blank) is refused */
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p)
			return -400;
		for (const char *s = p; s < colon; s++)
			if (!is_tchar((unsigned char)*s))
				return -400;
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		ve = eol;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (const char *s = v; s < ve; s++)
			if (!is_vchar((unsigned char)*s))
				return -400;
		f = &r->fields[r->nfields++];
		f->name = p;
		f->name_len = (size_t)(colon - p);
		f->value = v;
		f->value_len = (size_t)(ve - v);
		if (token_is(f->name, f->name_len, "Content-Length")) {
			uint64_t n;

			if (parse_u64(v, f->value_len, &n))
				return -400;
			if (have_cl && n != cl)
				return -400;
			have_cl = true;
			cl = n;
		} else if (token_is(f->name, f->name_len, "Transfer-Encoding")) {
			return -501;
		} else if (token_is(f->name, f->name_len, "Connection")) {
			close |= list_has(v, f->value_len, "close");
			ka |= list_has(v, f->value_len, "keep-alive");
		}
		p = eol + 2;
	}
	r->head_len = (size_t)(eol + 2 - buf);
	if (r->minor == 1 && !http_field(r, "Host", NULL))
		return -400;	/* RFC 9112 3.2: a 1.1 request has a Host */
	if (cl > HTTP_MAX_BODY)
		return -413;
	r->keep_alive = !close && (r->minor == 1 || ka);
	r->body_len = (size_t)cl;
	r->body = buf + r->head_len;
	if (len - r->head_len < r->body_len)
		return 0;
	return (int)(r->head_len + r->body_len);
}

const char *http_field(const struct http_request *r, const char *name,
		       size_t *vlen)
{
	for (unsigned int i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		if (token_is(f->name, f->name_len, name)) {
			if (vlen)
				*vlen = f->value_len;
			return f->value;
		}
	}
	return NULL;
}

int http_range(const char *v, size_t n, uint64_t size, uint64_t *first,
	       uint64_t *last)
{
	const char *dash, *end = v + n;
	uint64_t a, b;

	if (n < 6 || strncasecmp(v, "bytes=", 6))
		return 1;
	v += 6;
	if (memchr(v, ',', (size_t)(end - v)))
		return 1;	/* several ranges: send it whole */
	dash = memchr(v, '-', (size_t)(end - v));
	if (!dash)
		return -EINVAL;
	if (dash == v) {
		/* suffix: the last N bytes */
		if (parse_u64(dash + 1, (size_t)(end - dash - 1), &b))
			return -EINVAL;
		if (!b || !size)
			return -ERANGE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 0;
	}
	if (parse_u64(v, (size_t)(dash - v), &a))
		return -EINVAL;
	if (dash + 1 == end) {
		b = UINT64_MAX;
	} else if (parse_u64(dash + 1, (size_t)(end - dash - 1), &b)) {
		return -EINVAL;
	} else if (b < a) {
		return -EINVAL;
	}
	if (a >= size)
		return -ERANGE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 0;
}

bool http_token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = alen != blen;

	/* the time depends on @blen (the secret's length) only */
	for (size_t i = 0; i < blen; i++)
		d |= (unsigned char)(b[i] ^ (i < alen ? a[i] : 0));
	return !d;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "";
}
