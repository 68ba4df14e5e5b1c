// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Push: every closed clip of the clip directory is uploaded to the owner's
 * WebDAV storage ([push] url), on a worker thread of its own with libcurl;
 * the capture loop never waits for it.
 *
 * Closed clips are found by a scan at start and then by inotify: the
 * recorder renames DIR/<id>.vclip.part to DIR/<id>.vclip when a clip is
 * sealed (IN_MOVED_TO). Each clip is uploaded as URL<id>.vclip.part with
 * PUT, then renamed on the server with MOVE to URL<id>.vclip, so the final
 * name only ever holds a whole clip. nginx's dav module (and RFC 9110)
 * refuse a PUT with Content-Range, so a transfer cut short starts that clip
 * again from its first byte; what resumes is the list: a journal in the
 * clip directory (DIR/.push-journal, one "<id> <bytes>" line per uploaded
 * clip, appended and fdatasync'ed; clips deleted since are dropped from it
 * at start) survives restarts, and a clip already
 * complete on the server (the MOVE done, the journal line lost) is found by
 * a HEAD and not sent again. Failures are retried with exponential
 * backoff. Every upload is appended to the audit log (action "upload",
 * client: the URL's host) after its MOVE succeeded, through vigild's audit
 * writer (audit.c: queued here, written and fdatasync'ed on the loop's
 * ring, in order with the other records of that log).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "audit.h"
#include "net.h"

#define PUSH_JOURNAL ".push-journal"
#define PUSH_URL_MAX (VIGIL_PATH_MAX + 64)

struct push {
	const struct vigil_push_config *cfg;
	char dir[VIGIL_PATH_MAX];	/* [push] dir, else [record] dir */
	char url[VIGIL_PATH_MAX + 2];	/* ends in '/' */
	char host[VIGIL_AUDIT_CLIENT_MAX + 1];
	char audit[VIGIL_PATH_MAX + 32];
	struct audit *aw;		/* audit.c: the writer of @audit */
	char journal[VIGIL_PATH_MAX + 32];
	char auth[600];			/* "Authorization: Bearer ..." or "" */
	int stopfd;			/* eventfd: push_stop() */
	int ino;			/* inotify on the clip directory */
	atomic_bool stopping;
	pthread_t thread;
	bool started;

	/* the worker's own (no lock: only the worker touches them) */
	char (*done)[VIGIL_CLIP_ID_LEN + 1];	/* journal, unsorted */
	size_t ndone, capdone;
	char (*todo)[VIGIL_CLIP_ID_LEN + 1];	/* to upload, in id order */
	size_t ntodo, captodo;
	unsigned long uploaded, failures;
};

/* ---- lists of clip ids ---- */

static bool ids_has(char (*ids)[VIGIL_CLIP_ID_LEN + 1], size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return true;
	return false;
}

static int ids_add(char (**ids)[VIGIL_CLIP_ID_LEN + 1], size_t *n, size_t *cap,
		   const char *id)
{
	if (*n == *cap) {
		const size_t nc = *cap ? *cap * 2 : 64;
		char (*ni)[VIGIL_CLIP_ID_LEN + 1] = realloc(*ids, nc * sizeof(**ids));

		if (!ni)
			return -ENOMEM;
		*ids = ni;
		*cap = nc;
	}
	snprintf((*ids)[(*n)++], VIGIL_CLIP_ID_LEN + 1, "%s", id);
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* A closed clip's file name gives its id; anything else gives NULL. */
static const char *clip_name_id(const char *name, char *id)
{
	const size_t len = strlen(name);

	if (len != VIGIL_CLIP_ID_LEN + strlen(VIGIL_CLIP_EXT) ||
	    strcmp(name + VIGIL_CLIP_ID_LEN, VIGIL_CLIP_EXT))
		return NULL;
	memcpy(id, name, VIGIL_CLIP_ID_LEN);
	id[VIGIL_CLIP_ID_LEN] = '\0';
	return vigil_clip_id_valid(id) ? id : NULL;
}

/* Queue a clip unless it is done or queued; keep the queue in id order. */
static void push_queue(struct push *p, const char *id)
{
	if (ids_has(p->done, p->ndone, id) || ids_has(p->todo, p->ntodo, id))
		return;
	if (ids_add(&p->todo, &p->ntodo, &p->captodo, id)) {
		fprintf(stderr, "vigild: push: out of memory queueing %s\n", id);
		return;
	}
	qsort(p->todo, p->ntodo, sizeof(*p->todo), id_cmp);
}

static void push_scan(struct push *p)
{
	char id[VIGIL_CLIP_ID_LEN + 1];
	DIR *d = opendir(p->dir);
	struct dirent *e;

	if (!d) {
		fprintf(stderr, "vigild: push: cannot read %s: %s\n", p->dir,
			strerror(errno));
		return;
	}
	while ((e = readdir(d)))
		if (clip_name_id(e->d_name, id))
			push_queue(p, id);
	closedir(d);
}

/* ---- the journal ---- */

static int journal_load(struct push *p, char *err, size_t errlen)
{
	FILE *fp = fopen(p->journal, "re");
	char line[128], id[VIGIL_CLIP_ID_LEN + 1];

	if (!fp) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "push: journal %s: %s", p->journal, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), fp)) {
		/* a torn last line (power loss) is not an upload */
		if (!strchr(line, '\n') || strlen(line) < VIGIL_CLIP_ID_LEN + 1 ||
		    line[VIGIL_CLIP_ID_LEN] != ' ')
			continue;
		memcpy(id, line, VIGIL_CLIP_ID_LEN);
		id[VIGIL_CLIP_ID_LEN] = '\0';
		if (vigil_clip_id_valid(id) && !ids_has(p->done, p->ndone, id) &&
		    ids_add(&p->done, &p->ndone, &p->capdone, id)) {
			fclose(fp);
			snprintf(err, errlen, "push: out of memory");
			return -ENOMEM;
		}
	}
	fclose(fp);
	return 0;
}

/*
 * Keep the journal as small as the directory: drop the lines of clips that
 * are gone (deleted after their upload), through a new file renamed over
 * the old one. 0 or -errno (the old journal stays, which is harmless).
 */
static int journal_compact(struct push *p)
{
	char tmp[sizeof(p->journal) + 8], path[VIGIL_PATH_MAX + 32];
	size_t keep = 0;
	FILE *fp;
	int ret = 0;

	for (size_t i = 0; i < p->ndone; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", p->dir, p->done[i], VIGIL_CLIP_EXT);
		if (!access(path, F_OK))
			memmove(p->done[keep++], p->done[i], sizeof(p->done[i]));
	}
	if (keep == p->ndone)
		return 0;
	p->ndone = keep;
	snprintf(tmp, sizeof(tmp), "%s.new", p->journal);
	fp = fopen(tmp, "we");
	if (!fp)
		return -errno;
	for (size_t i = 0; i < keep; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s%s", p->dir, p->done[i], VIGIL_CLIP_EXT);
		fprintf(fp, "%s %lld\n", p->done[i], stat(path, &st) ? -1LL : (long long)st.st_size);
	}
	if (fflush(fp) || fdatasync(fileno(fp)))
		ret = -errno;
	if (fclose(fp) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, p->journal))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	/* the rename itself reaches the disk */
	{
		const int dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

static int journal_append(struct push *p, const char *id, long long bytes)
{
	char line[64];
	const int n = snprintf(line, sizeof(line), "%s %lld\n", id, bytes);
	int fd, ret = 0;

	fd = open(p->journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)n) != n || fdatasync(fd))
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

/* ---- HTTP ---- */

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	const struct push *p = arg;

	return atomic_load(&p->stopping);	/* non-zero aborts the transfer */
}

static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* One request: 0 with the HTTP status in *@status, or -EIO with @why. */
static int http(struct push *p, const char *method, const char *url,
		const char *dest, FILE *body, long long len, long *status,
		long long *length, char *why, size_t whylen)
{
	char dh[2 * PUSH_URL_MAX];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;
	int ret = 0;

	if (!c) {
		snprintf(why, whylen, "curl_easy_init failed");
		return -ENOMEM;
	}
	if (p->auth[0])
		h = curl_slist_append(h, p->auth);
	if (dest) {
		snprintf(dh, sizeof(dh), "Destination: %s", dest);
		h = curl_slist_append(h, dh);
		h = curl_slist_append(h, "Overwrite: T");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	/* a stalled server: under 1 kB/s for 30 s ends the attempt */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (p->cfg->ca[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, p->cfg->ca);
	if (body) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READDATA, body);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	} else if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		long oserr = 0;

		curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
		snprintf(why, whylen, "%s %s: %s%s", method, url, curl_easy_strerror(rc),
			 net_denied_hint((int)oserr));
		ret = -EIO;
	} else {
		curl_off_t cl = -1;

		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		if (length)
			*length = cl;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return ret;
}

/* Upload one clip: 0, or -errno with @why (retry later). */
static int push_one(struct push *p, const char *id, long long *bytes, char *why,
		    size_t whylen)
{
	char path[VIGIL_PATH_MAX + 32], part[PUSH_URL_MAX], final[PUSH_URL_MAX];
	char magic[8];
	struct stat st;
	long status = 0;
	long long have = -1;
	FILE *fp;
	int ret;

	snprintf(path, sizeof(path), "%s/%s%s", p->dir, id, VIGIL_CLIP_EXT);
	snprintf(final, sizeof(final), "%s%s%s", p->url, id, VIGIL_CLIP_EXT);
	snprintf(part, sizeof(part), "%s%s%s", p->url, id, VIGIL_CLIP_PART_EXT);
	fp = fopen(path, "rbe");
	if (!fp) {
		ret = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fileno(fp), &st) || fread(magic, 1, 8, fp) != 8 ||
	    memcmp(magic, "VIGILCLP", 8)) {
		fclose(fp);
		snprintf(why, whylen, "%s is not a vigil clip", path);
		return -EBADMSG;
	}
	rewind(fp);
	*bytes = st.st_size;
	/* already there whole (the MOVE done, the journal line lost)? */
	ret = http(p, "HEAD", final, NULL, NULL, 0, &status, &have, why, whylen);
	if (!ret && status == 200 && have == (long long)st.st_size) {
		fclose(fp);
		return 0;
	}
	if (ret || (status >= 400 && status != 404)) {
		if (!ret)
			snprintf(why, whylen, "HEAD %s: HTTP %ld", final, status);
		fclose(fp);
		return -EIO;
	}
	ret = http(p, "PUT", part, NULL, fp, st.st_size, &status, NULL, why, whylen);
	fclose(fp);
	if (ret)
		return ret;
	if (status < 200 || status > 299) {
		snprintf(why, whylen, "PUT %s: HTTP %ld", part, status);
		return -EIO;
	}
	ret = http(p, "MOVE", part, final, NULL, 0, &status, NULL, why, whylen);
	if (ret)
		return ret;
	if (status < 200 || status > 299) {
		snprintf(why, whylen, "MOVE %s: HTTP %ld", part, status);
		return -EIO;
	}
	return 0;
}

/* ---- the worker ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void push_inotify(struct push *p)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char id[VIGIL_CLIP_ID_LEN + 1];
	ssize_t n;

	while ((n = read(p->ino, buf, sizeof(buf))) > 0) {
		for (char *c = buf; c < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)c;

			if (e->mask & IN_Q_OVERFLOW)
				push_scan(p);	/* events were lost: look again */
			else if (e->len && clip_name_id(e->name, id))
				push_queue(p, id);
			c += sizeof(*e) + e->len;
		}
	}
}

static void *push_main(void *arg)
{
	struct push *p = arg;
	uint64_t next = 0, backoff = 0;
	char why[512];

	push_scan(p);
	while (!atomic_load(&p->stopping)) {
		struct pollfd fds[2] = {
			{ .fd = p->stopfd, .events = POLLIN },
			{ .fd = p->ino, .events = POLLIN },
		};
		const uint64_t now = now_ms();
		int timeout = -1;

		if (p->ntodo && now >= next) {
			const char *id = p->todo[0];
			long long bytes = 0;
			int ret = push_one(p, id, &bytes, why, sizeof(why));

			if (atomic_load(&p->stopping))
				break;
			if (!ret) {
				if (journal_append(p, id, bytes))
					fprintf(stderr, "vigild: push: journal %s: %s\n",
						p->journal, strerror(errno));
				/* audit.c logs and counts a record it cannot queue */
				audit_post(p->aw, "upload", id, p->host);
				ids_add(&p->done, &p->ndone, &p->capdone, id);
				p->uploaded++;
				fprintf(stderr, "vigild: push: %s uploaded (%lld bytes)\n", id,
					bytes);
				memmove(p->todo, p->todo + 1, --p->ntodo * sizeof(*p->todo));
				backoff = 0;
				continue;
			}
			if (ret == -ENOENT || ret == -EBADMSG) {
				/* gone, or not a clip: nothing to retry */
				fprintf(stderr, "vigild: push: skipping %s: %s\n", id, why);
				memmove(p->todo, p->todo + 1, --p->ntodo * sizeof(*p->todo));
				continue;
			}
			p->failures++;
			backoff = backoff ? backoff * 2 : p->cfg->retry_min_ms;
			if (backoff > p->cfg->retry_max_ms)
				backoff = p->cfg->retry_max_ms;
			next = now_ms() + backoff;
			fprintf(stderr, "vigild: push: %s: %s; retrying in %llu ms\n", id, why,
				(unsigned long long)backoff);
		}
		if (p->ntodo)
			timeout = next > now_ms() ? (int)(next - now_ms()) : 0;
		if (poll(fds, 2, timeout) < 0 && errno != EINTR)
			break;
		if (fds[1].revents & POLLIN)
			push_inotify(p);
	}
	return NULL;
}

/* ---- start, stop ---- */

static void push_free(struct push *p)
{
	audit_put(p->aw);
	if (p->ino >= 0)
		close(p->ino);
	if (p->stopfd >= 0)
		close(p->stopfd);
	free(p->done);
	free(p->todo);
	free(p);
}

/* The URL's host, for the audit log; only http(s) URLs. */
static int push_url(struct push *p, char *err, size_t errlen)
{
	const char *u = p->cfg->url;
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL;
	int ret = -EINVAL;

	if (!h)
		return -ENOMEM;
	if (curl_url_set(h, CURLUPART_URL, u, 0) ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) ||
	    (strcmp(scheme, "https") && strcmp(scheme, "http"))) {
		snprintf(err, errlen, "push: url '%s': expected https://host/path/", u);
		goto out;
	}
	if (strlen(host) > VIGIL_AUDIT_CLIENT_MAX) {
		snprintf(err, errlen, "push: url '%s': host name too long", u);
		goto out;
	}
	snprintf(p->host, sizeof(p->host), "%s", host);
	snprintf(p->url, sizeof(p->url), "%s%s", u, u[strlen(u) - 1] == '/' ? "" : "/");
	if (!strcmp(scheme, "http"))
		fprintf(stderr, "vigild: push: %s is plain HTTP: the token and the "
			"clips' metadata cross the network in clear; use https\n", u);
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(h);
	return ret;
}

int push_start(const struct vigil_config *c, struct loop *l, struct push **out,
	       char *err, size_t errlen)
{
	const struct vigil_push_config *pc = &c->push;
	struct push *p = calloc(1, sizeof(*p));
	char token[512];
	int ret;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->cfg = pc;
	p->ino = p->stopfd = -1;
	/* the recorder's clips unless told otherwise */
	snprintf(p->dir, sizeof(p->dir), "%s", pc->dir[0] ? pc->dir : c->record.dir);
	if (!p->dir[0]) {
		snprintf(err, errlen,
			 "push: url is set but there is no clip directory ([push] dir or [record] dir)");
		ret = -EINVAL;
		goto fail;
	}
	ret = curl_global_init(CURL_GLOBAL_DEFAULT) ? -EIO : 0;
	if (ret) {
		snprintf(err, errlen, "push: curl_global_init failed");
		goto fail;
	}
	ret = push_url(p, err, errlen);
	if (ret)
		goto fail;
	if (pc->token_file[0]) {
		ret = secret_read(pc->token_file, token, sizeof(token), err, errlen);
		if (ret)
			goto fail;
		snprintf(p->auth, sizeof(p->auth), "Authorization: Bearer %s", token);
		explicit_bzero(token, sizeof(token));
	}
	snprintf(p->journal, sizeof(p->journal), "%s/%s", p->dir, PUSH_JOURNAL);
	if (pc->audit[0])
		snprintf(p->audit, sizeof(p->audit), "%s", pc->audit);
	else if (c->record.audit[0] && !pc->dir[0])
		snprintf(p->audit, sizeof(p->audit), "%s", c->record.audit);
	else
		snprintf(p->audit, sizeof(p->audit), "%s/audit.jsonl", p->dir);
	/* at start: a log that cannot be written is a configuration error */
	ret = audit_open(l, p->audit, &p->aw, err, errlen);
	if (ret) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "push: %s", why);
		goto fail;
	}
	ret = journal_load(p, err, errlen);
	if (ret)
		goto fail;
	ret = journal_compact(p);
	if (ret)
		fprintf(stderr, "vigild: push: compacting %s: %s (continuing)\n", p->journal,
			strerror(-ret));
	p->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (p->stopfd < 0 || p->ino < 0) {
		ret = -errno;
		snprintf(err, errlen, "push: eventfd/inotify: %s", strerror(-ret));
		goto fail;
	}
	/* watch before scanning: a clip closed in between is seen twice, not never */
	if (inotify_add_watch(p->ino, p->dir, IN_MOVED_TO | IN_ONLYDIR) < 0) {
		ret = -errno;
		snprintf(err, errlen, "push: watching %s: %s", p->dir, strerror(-ret));
		goto fail;
	}
	ret = -pthread_create(&p->thread, NULL, push_main, p);
	if (ret) {
		snprintf(err, errlen, "push: starting the worker: %s", strerror(-ret));
		goto fail;
	}
	p->started = true;
	fprintf(stderr, "vigild: push: %s -> %s (%zu clips already uploaded)\n", p->dir,
		p->url, p->ndone);
	*out = p;
	return 0;
fail:
	push_free(p);
	return ret;
}

void push_stop(struct push *p)
{
	const uint64_t one = 1;

	if (!p)
		return;
	atomic_store(&p->stopping, true);
	if (write(p->stopfd, &one, sizeof(one)) < 0)
		fprintf(stderr, "vigild: push: waking the worker: %s\n", strerror(errno));
	pthread_join(p->thread, NULL);
	fprintf(stderr, "vigild: push: %lu clips uploaded, %lu failed attempts, %zu waiting\n",
		p->uploaded, p->failures, p->ntodo);
	push_free(p);
	curl_global_cleanup();
}
