// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The HTTP API's bearer token and its failure rate limit. The token is
 * 32 random bytes (getrandom) written as hex to [http] token_file, mode
 * 0600, at the first start: there is no default credential. It is compared
 * in constant time; a client address that fails HTTP_AUTH_FAILS times in
 * a minute gets 429 for the rest of that minute, without a comparison.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>

/* Basic credentials: a user name and the token, base64 */
#define HTTP_BASIC_MAX 512
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http-int.h"

#define TOKEN_BYTES 32

/* Write a new token to @path atomically (a temporary file renamed). */
static int token_write(const char *path, char *err, size_t errlen)
{
	unsigned char raw[TOKEN_BYTES];
	char hex[TOKEN_BYTES * 2 + 2], tmp[VIGIL_PATH_MAX + 16];
	ssize_t n = 0;
	int fd, ret;

	while (n < (ssize_t)sizeof(raw)) {
		const ssize_t r = getrandom(raw + n, sizeof(raw) - (size_t)n, 0);

		if (r < 0 && errno != EINTR) {
			ret = -errno;
			snprintf(err, errlen, "getrandom: %s", strerror(-ret));
			return ret;
		}
		n += r > 0 ? r : 0;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	strcat(hex, "\n");
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create the token file %s: %s", tmp,
			 strerror(-ret));
		return ret;
	}
	if (fchmod(fd, 0600) || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) ||
	    fsync(fd)) {
		ret = errno ? -errno : -EIO;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "writing the token file %s: %s", tmp,
			 strerror(-ret));
		return ret;
	}
	explicit_bzero(hex, sizeof(hex));
	close(fd);
	if (rename(tmp, path)) {
		ret = -errno;
		unlink(tmp);
		snprintf(err, errlen, "rename %s to %s: %s", tmp, path, strerror(-ret));
		return ret;
	}
	return 0;
}

int http_rotate_token(const struct vigil_config *c, char *err, size_t errlen)
{
	if (!c->http.token_file[0]) {
		snprintf(err, errlen, "[http] token_file is empty");
		return -EINVAL;
	}
	return token_write(c->http.token_file, err, errlen);
}

/* Read the token file: refused unless private to its owner. */
static int token_read(struct http_server *h, const char *path, char *err,
		      size_t errlen)
{
	char buf[HTTP_TOKEN_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		snprintf(err, errlen, "token file %s: must be a regular file of mode "
			 "0600 (is %04o)", path, (unsigned int)(st.st_mode & 07777));
		ret = -EPERM;
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "reading %s: %s", path, strerror(-ret));
		goto out;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (n < 32 || n > HTTP_TOKEN_MAX) {
		snprintf(err, errlen, "token file %s: the token must be 32 to %d "
			 "characters", path, HTTP_TOKEN_MAX);
		ret = -EINVAL;
		goto out;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] <= ' ' || buf[i] > '~') {
			snprintf(err, errlen, "token file %s: the token must be printable "
				 "ASCII without blanks", path);
			ret = -EINVAL;
			goto out;
		}
	}
	{
		unsigned char id[8];

		crypto_generichash(id, sizeof(id), (const unsigned char *)buf,
				   (size_t)n, NULL, 0);
		for (size_t i = 0; i < sizeof(id); i++)
			snprintf(h->token_id + 2 * i, 3, "%02x", id[i]);
	}
	memcpy(h->token, buf, (size_t)n + 1);
	h->token_len = (size_t)n;
	h->token_mtime = st.st_mtim;
	h->token_ino = st.st_ino;
	ret = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ret;
}

int http_token_load(struct http_server *h, char *err, size_t errlen)
{
	const char *path = h->cfg->http.token_file;
	int ret;

	if (!path[0]) {
		snprintf(err, errlen, "[http] token_file is empty");
		return -EINVAL;
	}
	snprintf(err, errlen, "?");
	ret = token_read(h, path, err, errlen);
	if (ret != -ENOENT) {
		if (ret && !strcmp(err, "?"))
			snprintf(err, errlen, "token file %s: %s", path, strerror(-ret));
		return ret;
	}
	/* the first start: make one */
	ret = token_write(path, err, errlen);
	if (ret)
		return ret;
	fprintf(stderr, "vigild: http: created a new API token in %s\n", path);
	return token_read(h, path, err, errlen);
}

void http_token_check(struct http_server *h)
{
	struct stat st;
	char err[256];

	if (stat(h->cfg->http.token_file, &st))
		return;
	if (st.st_ino == h->token_ino &&
	    st.st_mtim.tv_sec == h->token_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == h->token_mtime.tv_nsec)
		return;
	if (token_read(h, h->cfg->http.token_file, err, sizeof(err)))
		fprintf(stderr, "vigild: http: keeping the old token: %s\n", err);
	else
		fprintf(stderr, "vigild: http: token file changed, new token in use\n");
}

static struct auth_slot *auth_slot(struct http_server *h, const char *ip,
				   uint64_t now)
{
	struct auth_slot *oldest = &h->auth[0];

	for (unsigned int i = 0; i < HTTP_AUTH_SLOTS; i++) {
		struct auth_slot *s = &h->auth[i];

		if (!strcmp(s->ip, ip))
			return s;
		if (s->window_ns < oldest->window_ns)
			oldest = s;
	}
	/* a new address takes the slot whose window started longest ago */
	snprintf(oldest->ip, sizeof(oldest->ip), "%s", ip);
	oldest->fails = 0;
	oldest->window_ns = now;
	return oldest;
}

/* "Basic base64(user:password)" whose password is the token. */
static bool basic_token_ok(const struct http_server *h, const char *v, size_t n)
{
	char b64[HTTP_BASIC_MAX], raw[HTTP_BASIC_MAX];
	const char *colon;
	size_t len = 0;
	bool ok;

	if (n <= 6 || strncasecmp(v, "Basic ", 6))
		return false;
	v += 6;
	n -= 6;
	if (n >= sizeof(b64))
		return false;
	memcpy(b64, v, n);
	b64[n] = '\0';
	if (sodium_base642bin((unsigned char *)raw, sizeof(raw), b64, n, NULL,
			      &len, NULL, sodium_base64_VARIANT_ORIGINAL))
		return false;
	colon = memchr(raw, ':', len);
	if (!colon)
		return false;
	colon++;
	ok = http_token_equal(colon, len - (size_t)(colon - raw), h->token,
			      h->token_len);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b64, sizeof(b64));
	return ok;
}

int http_authorize(struct http_server *h, struct http_conn *c,
		   const struct http_request *r, bool public_ok, bool basic_ok)
{
	const uint64_t now = mono_ns();
	struct auth_slot *s = NULL;
	size_t n = 0;
	const char *v;

	if (public_ok)
		return 0;
	for (unsigned int i = 0; i < HTTP_AUTH_SLOTS; i++)
		if (!strcmp(h->auth[i].ip, c->ip))
			s = &h->auth[i];
	if (s && now - s->window_ns > HTTP_AUTH_WINDOW_NS) {
		s->fails = 0;
		s->window_ns = now;
	}
	if (s && s->fails >= HTTP_AUTH_FAILS) {
		h->rate_limited++;
		return 429;
	}
	v = http_field(r, "Authorization", &n);
	if (v && n > 7 && !strncasecmp(v, "Bearer ", 7) &&
	    http_token_equal(v + 7, n - 7, h->token, h->token_len))
		return 0;
	if (v && basic_ok && basic_token_ok(h, v, n))
		return 0;
	h->auth_failures++;
	if (!s)
		s = auth_slot(h, c->ip, now);
	s->fails++;
	return 401;
}
