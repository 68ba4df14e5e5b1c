// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The owner's page (issue #14): the static files of [http] web_dir, read
 * once at start into one sealed memfd and served from there without the
 * token (they are public code; everything they show comes from /api with
 * it). Nothing on disk is opened per request, so no request path can
 * reach outside the page: a path is only ever a key into the table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "http-int.h"

#ifndef VIGIL_WEB_DIR
#define VIGIL_WEB_DIR "/usr/local/share/vigil/web"
#endif

#define WEB_MAX_FILES	512
#define WEB_MAX_BYTES	(64u << 20)	/* all files together */
#define WEB_MAX_DEPTH	8

struct web_file {
	char *path;			/* "/index.html" */
	const char *ctype;
	uint64_t off, len;		/* in the memfd */
	char etag[20];			/* "\"%016llx\"" of the content */
};

struct http_web {
	int fd;				/* memfd: every file, one after another */
	uint64_t size;
	struct web_file *files;		/* sorted by path */
	unsigned int n;
};

static const struct {
	const char *ext, *ctype;
} types[] = {
	{ ".css", "text/css; charset=utf-8" },
	{ ".html", "text/html; charset=utf-8" },
	{ ".ico", "image/x-icon" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".png", "image/png" },
	{ ".svg", "image/svg+xml" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".wasm", "application/wasm" },
	{ ".webmanifest", "application/manifest+json" },
};

static const char *ctype_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcmp(dot, types[i].ext))
				return types[i].ctype;
	return "application/octet-stream";
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct web_file *)a)->path,
		      ((const struct web_file *)b)->path);
}

/* Append one file (@dfd/@name, URL path @url) to the memfd and the table. */
static int add_file(struct http_web *w, int dfd, const char *name,
		    const char *url, char *err, size_t errlen)
{
	struct web_file *f;
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, ret = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", url, strerror(-ret));
		goto out;
	}
	if (w->n >= WEB_MAX_FILES ||
	    w->size + (uint64_t)st.st_size > WEB_MAX_BYTES) {
		snprintf(err, errlen, "more than %u files or %u MiB (at %s)",
			 WEB_MAX_FILES, WEB_MAX_BYTES >> 20, url);
		ret = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	n = st.st_size ? pread(fd, buf, (size_t)st.st_size, 0) : 0;
	if (n != st.st_size ||
	    (n && pwrite(w->fd, buf, (size_t)n, (off_t)w->size) != n)) {
		ret = n < 0 ? -errno : -EIO;
		snprintf(err, errlen, "%s: cannot read it whole", url);
		free(buf);
		goto out;
	}
	f = &w->files[w->n];
	f->path = strdup(url);
	if (!f->path) {
		free(buf);
		ret = -ENOMEM;
		goto out;
	}
	f->ctype = ctype_of(url);
	f->off = w->size;
	f->len = (uint64_t)n;
	snprintf(f->etag, sizeof(f->etag), "\"%016llx\"",
		 (unsigned long long)XXH64(buf, (size_t)n, 0));
	free(buf);
	w->size += (uint64_t)n;
	w->n++;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Every regular file under @dfd (URL prefix @url), dot files skipped. */
static int add_dir(struct http_web *w, int dfd, const char *url,
		   unsigned int depth, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (depth > WEB_MAX_DEPTH) {
		snprintf(err, errlen, "%s: nested deeper than %u", url, WEB_MAX_DEPTH);
		close(dfd);
		return -ELOOP;
	}
	d = fdopendir(dfd);
	if (!d) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	while (!ret && (de = readdir(d))) {
		char sub[HTTP_MAX_PATH];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", url, de->d_name) >=
		    (int)sizeof(sub)) {
			snprintf(err, errlen, "%s/%s: path too long", url, de->d_name);
			ret = -ENAMETOOLONG;
		} else if (fstatat(dirfd(d), de->d_name, &st, 0)) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", sub, strerror(-ret));
		} else if (S_ISDIR(st.st_mode)) {
			const int sfd = openat(dirfd(d), de->d_name,
					       O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			ret = sfd < 0 ? -errno : add_dir(w, sfd, sub, depth + 1, err, errlen);
			if (sfd < 0)
				snprintf(err, errlen, "%s: %s", sub, strerror(-ret));
		} else if (S_ISREG(st.st_mode)) {
			ret = add_file(w, dirfd(d), de->d_name, sub, err, errlen);
		}
	}
	closedir(d);
	return ret;
}

static void web_free(struct http_web *w)
{
	if (!w)
		return;
	for (unsigned int i = 0; i < w->n; i++)
		free(w->files[i].path);
	free(w->files);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

int http_web_load(struct http_server *h, char *err, size_t errlen)
{
	const char *cfg = h->cfg->http.web_dir;
	const char *dir = cfg[0] ? cfg : VIGIL_WEB_DIR;
	struct http_web *w;
	char why[HTTP_MAX_PATH + 256] = "";
	int dfd, ret;

	if (!strcmp(cfg, "off")) {
		fprintf(stderr, "vigild: http: the owner's page is off ([http] web_dir = off)\n");
		return 0;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		if (!cfg[0] && ret == -ENOENT) {
			fprintf(stderr, "vigild: http: the owner's page is off "
				"(%s is not installed; [http] web_dir)\n", dir);
			return 0;
		}
		snprintf(err, errlen, "[http] web_dir = %s: %s", dir, strerror(-ret));
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (w)
		w->files = calloc(WEB_MAX_FILES, sizeof(*w->files));
	if (!w || !w->files) {
		close(dfd);
		web_free(w);
		return -ENOMEM;
	}
	w->fd = memfd_create("vigil-web", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (w->fd < 0) {
		ret = -errno;
		close(dfd);
		web_free(w);
		snprintf(err, errlen, "[http] web_dir: memfd: %s", strerror(-ret));
		return ret;
	}
	ret = add_dir(w, dfd, "", 0, why, sizeof(why));
	if (!ret && !w->n) {
		snprintf(why, sizeof(why), "no files");
		ret = -ENOENT;
	}
	if (ret) {
		snprintf(err, errlen, "[http] web_dir = %s: %s", dir,
			 why[0] ? why : strerror(-ret));
		web_free(w);
		return -EINVAL;
	}
	/* what is served can no longer change */
	fcntl(w->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	qsort(w->files, w->n, sizeof(*w->files), file_cmp);
	h->web = w;
	fprintf(stderr, "vigild: http: the owner's page from %s (%u files, %llu bytes)\n",
		dir, w->n, (unsigned long long)w->size);
	return 0;
}

void http_web_free(struct http_server *h)
{
	web_free(h->web);
	h->web = NULL;
}

bool http_web_owns(const struct http_server *h, const char *path)
{
	return h->web && strcmp(path, "/api") && strncmp(path, "/api/", 5) &&
	       strcmp(path, "/metrics");
}

void http_web_serve(struct http_server *h, struct http_conn *c,
		    const struct http_request *r)
{
	const struct http_web *w = h->web;
	struct web_file key = { .path = (char *)r->path };
	const struct web_file *f;
	const char *inm;
	size_t inm_len;
	int ret;

	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_error(h, c, 405, NULL);
		return;
	}
	if (!strcmp(r->path, "/"))
		key.path = "/index.html";
	f = bsearch(&key, w->files, w->n, sizeof(*w->files), file_cmp);
	if (!f) {
		http_error(h, c, 404, NULL);
		return;
	}
	inm = http_field(r, "If-None-Match", &inm_len);
	if (inm && inm_len == strlen(f->etag) && !memcmp(inm, f->etag, inm_len)) {
		h->requests[3]++;
		ret = conn_printf(c, "HTTP/1.1 304 Not Modified\r\nETag: %s\r\n"
				  "Cache-Control: no-cache\r\n" HTTP_SECURITY_HEADERS
				  "Connection: %s\r\n\r\n", f->etag,
				  c->keep_alive ? "keep-alive" : "close");
		if (ret)
			conn_close(h, c);
		else
			conn_flush(h, c);
		return;
	}
	h->requests[2]++;
	/* the file stream of the clips, reading the memfd instead */
	ret = conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
			  "Content-Length: %llu\r\nETag: %s\r\nCache-Control: no-cache\r\n"
			  HTTP_SECURITY_HEADERS "Connection: %s\r\n\r\n", f->ctype,
			  (unsigned long long)f->len, f->etag,
			  c->keep_alive ? "keep-alive" : "close");
	if (ret) {
		conn_close(h, c);
		return;
	}
	c->file_fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 0);
	if (c->file_fd < 0) {
		conn_close(h, c);
		return;
	}
	c->file_off = f->off;
	c->file_end = c->head_only ? f->off : f->off + f->len;
	c->chunked = false;
	c->growing = false;
	c->mode = CONN_FILE;
	if (http_file_refill(h, c)) {
		conn_close(h, c);
		return;
	}
	conn_flush(h, c);
}
