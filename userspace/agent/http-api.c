// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The endpoints of vigild's HTTP API: status, arm/disarm, events (a JSON
 * page and a Server-Sent Events stream), clips (the list and each file,
 * with Range, a clip being recorded streamed as it grows), metrics.
 * Every clip access is written to the audit log first (audit.c, on the
 * ring: the answer waits for the record's fdatasync, the loop does not).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http-int.h"

#define SEC 1000000000ULL

/* ---------------------------------------------------------------- */
/* events: the sink keeps the last HTTP_EVENTS lines */

static struct http_event *event_at(struct http_server *h, uint64_t id)
{
	struct http_event *e = &h->events[id % HTTP_EVENTS];

	return e->line && e->id == id ? e : NULL;
}

static uint64_t oldest_event(const struct http_server *h)
{
	return h->next_event > HTTP_EVENTS ? h->next_event - HTTP_EVENTS : 1;
}

/* Queue the SSE records from c->sse_next on; 0 or -ENOBUFS. */
static int sse_queue(struct http_server *h, struct http_conn *c)
{
	if (c->sse_next < oldest_event(h))
		c->sse_next = oldest_event(h);	/* older ones are gone */
	for (; c->sse_next < h->next_event; c->sse_next++) {
		const struct http_event *e = event_at(h, c->sse_next);
		int ret;

		if (!e)
			continue;
		ret = conn_printf(c, "id: %llu\ndata: ", (unsigned long long)e->id);
		if (!ret)
			ret = conn_append(c, e->line, e->len - 1, HTTP_OUT_MAX);
		if (!ret)
			ret = conn_append(c, "\n\n", 2, HTTP_OUT_MAX);
		if (ret)
			return ret;
	}
	return 0;
}

static int http_sink_open(struct sink *k, char *err, size_t errlen)
{
	return 0;
}

static int http_sink_event(struct sink *k, const struct vigil_event *ev)
{
	struct http_server *h = k->priv;
	struct http_event *e;
	char buf[2048];
	const int n = vigil_event_json(ev, buf, sizeof(buf));
	char *line;

	if (n < 0)
		return n;
	line = malloc((size_t)n + 1);
	if (!line)
		return 0;	/* the API misses it; the event log has it */
	memcpy(line, buf, (size_t)n + 1);
	e = &h->events[h->next_event % HTTP_EVENTS];
	free(e->line);
	*e = (struct http_event){ h->next_event++, line, (size_t)n };
	for (unsigned int i = 0; i < h->nconns; i++) {
		struct http_conn *c = &h->conns[i];

		if (c->fd < 0 || c->closing || c->mode != CONN_SSE)
			continue;
		/* a reader that cannot keep up resumes with Last-Event-ID */
		if (sse_queue(h, c)) {
			h->cut_off++;
			conn_close(h, c);
			continue;
		}
		conn_flush(h, c);
	}
	return 0;
}

static int http_sink_reopen(struct sink *k, char *err, size_t errlen)
{
	return 0;
}

static int http_sink_close(struct sink *k)
{
	return 0;
}

const struct sink_ops sink_http_ops = {
	.name = "http",
	.open = http_sink_open,
	.event = http_sink_event,
	.reopen = http_sink_reopen,
	.close = http_sink_close,
};

void http_events_free(struct http_server *h)
{
	for (unsigned int i = 0; i < HTTP_EVENTS; i++) {
		free(h->events[i].line);
		h->events[i].line = NULL;
	}
}

static void get_events(struct http_server *h, struct http_conn *c,
		       const struct http_request *r)
{
	char v[32], *end;
	unsigned long long since = 0;
	uint64_t id;
	int ret;

	ret = http_query_get(r->query, r->query_len, "since", v, sizeof(v));
	if (ret != -ENOENT) {
		errno = 0;
		since = ret ? 0 : strtoull(v, &end, 10);
		if (ret || !v[0] || *end || errno || v[0] == '-') {
			http_error(h, c, 400, "since: expected an event id");
			return;
		}
	}
	id = since + 1 < oldest_event(h) ? oldest_event(h) : since + 1;
	ret = conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			  "Cache-Control: no-store\r\n" HTTP_SECURITY_HEADERS
			  "Connection: close\r\n\r\n{\"first\":%llu,\"last\":%llu,\"events\":[",
			  (unsigned long long)oldest_event(h),
			  (unsigned long long)(h->next_event - 1));
	c->keep_alive = false;	/* the length is not known before */
	for (bool first = true; !ret && id < h->next_event; id++) {
		const struct http_event *e = event_at(h, id);

		if (!e)
			continue;
		ret = conn_printf(c, "%s{\"id\":%llu,\"event\":", first ? "" : ",",
				  (unsigned long long)id);
		if (!ret)
			ret = conn_append(c, e->line, e->len - 1, HTTP_OUT_MAX);
		if (!ret)
			ret = conn_append(c, "}", 1, HTTP_OUT_MAX);
		first = false;
	}
	if (!ret)
		ret = conn_printf(c, "]}\n");
	h->requests[2]++;
	if (ret) {
		conn_close(h, c);
		return;
	}
	conn_flush(h, c);
}

static void get_events_stream(struct http_server *h, struct http_conn *c,
			      const struct http_request *r)
{
	size_t n;
	const char *v = http_field(r, "Last-Event-ID", &n);
	unsigned long long last = 0;
	char buf[24], *end;

	c->sse_next = h->next_event;	/* live from now, unless resuming */
	if (v) {
		if (!n || n >= sizeof(buf)) {
			http_error(h, c, 400, "Last-Event-ID: expected an event id");
			return;
		}
		memcpy(buf, v, n);
		buf[n] = '\0';
		errno = 0;
		last = strtoull(buf, &end, 10);
		if (*end || errno || buf[0] == '-') {
			http_error(h, c, 400, "Last-Event-ID: expected an event id");
			return;
		}
		c->sse_next = last + 1;
	}
	c->keep_alive = false;
	c->mode = CONN_SSE;
	h->requests[2]++;
	if (conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			"Cache-Control: no-store\r\n" HTTP_SECURITY_HEADERS
			"Connection: close\r\n\r\nretry: 1000\n\n") ||
	    sse_queue(h, c)) {
		conn_close(h, c);
		return;
	}
	conn_flush(h, c);
}

/* ---------------------------------------------------------------- */
/* status, arm */

static void get_status(struct http_server *h, struct http_conn *c)
{
	struct vigild_status s;
	struct timespec wall;
	char body[512];
	uint64_t mono;
	int n;

	h->d.status(h->d.arg, &s);
	/*
	 * The device's two clocks read together (issue #14): events carry
	 * CLOCK_MONOTONIC times, and the page shows them on the device's wall
	 * clock (which may be off), the one its clips are stamped with.
	 */
	mono = mono_ns();
	clock_gettime(CLOCK_REALTIME, &wall);
	n = snprintf(body, sizeof(body),
		     "{\"armed\":%s,\"frames\":%lu,\"motion_frames\":%lu,\"events\":%lu,"
		     "\"dropped\":%lu,\"width\":%u,\"height\":%u,\"live\":%s,"
		     "\"uptime_s\":%llu,\"clients\":%u,\"recording_dir\":%s,"
		     "\"mono_ns\":%llu,\"wall_ns\":%llu}\n",
		     s.armed ? "true" : "false", s.frames, s.motion_frames, s.events,
		     s.dropped, s.width, s.height, s.live ? "true" : "false",
		     (unsigned long long)((mono - s.started_ns) / SEC), h->clients,
		     h->cfg->record.dir[0] ? "true" : "false", (unsigned long long)mono,
		     (unsigned long long)wall.tv_sec * SEC + (unsigned long long)wall.tv_nsec);
	http_respond(h, c, 200, "application/json", body, (size_t)n, NULL);
}

static void post_arm(struct http_server *h, struct http_conn *c, bool on)
{
	char body[64];
	const int n = snprintf(body, sizeof(body), "{\"armed\":%s}\n",
			       on ? "true" : "false");

	h->d.set_armed(h->d.arg, on);
	fprintf(stderr, "vigild: http: %s by %s\n", on ? "armed" : "disarmed", c->addr);
	http_respond(h, c, 200, "application/json", body, (size_t)n, NULL);
}

/* ---------------------------------------------------------------- */
/* clips */

struct clip_ent {
	char id[VIGIL_CLIP_ID_LEN + 1];
	unsigned long long size;
	long long mtime;
	bool recording;
};

static int clip_cmp(const void *a, const void *b)
{
	const struct clip_ent *x = a, *y = b;
	const int r = strcmp(x->id, y->id);

	return r ? r : (int)x->recording - (int)y->recording;
}

/* The id of @name if it is a clip (or a clip being recorded). */
static bool clip_name(const char *name, char *id, bool *recording)
{
	const size_t n = strlen(name);

	if (n == VIGIL_CLIP_ID_LEN + strlen(VIGIL_CLIP_EXT) &&
	    !strcmp(name + VIGIL_CLIP_ID_LEN, VIGIL_CLIP_EXT))
		*recording = false;
	else if (n == VIGIL_CLIP_ID_LEN + strlen(VIGIL_CLIP_PART_EXT) &&
		 !strcmp(name + VIGIL_CLIP_ID_LEN, VIGIL_CLIP_PART_EXT))
		*recording = true;
	else
		return false;
	memcpy(id, name, VIGIL_CLIP_ID_LEN);
	id[VIGIL_CLIP_ID_LEN] = '\0';
	return vigil_clip_id_valid(id);
}

static void get_clips(struct http_server *h, struct http_conn *c)
{
	const char *dir = h->cfg->record.dir;
	struct clip_ent *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!dir[0]) {
		http_error(h, c, 404, "recording is off ([record] dir)");
		return;
	}
	d = opendir(dir);
	if (!d) {
		http_error(h, c, errno == ENOENT ? 404 : 500, "cannot read the clip directory");
		return;
	}
	while ((de = readdir(d))) {
		struct clip_ent e;
		struct stat st;

		if (!clip_name(de->d_name, e.id, &e.recording))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		e.size = (unsigned long long)st.st_size;
		e.mtime = (long long)st.st_mtim.tv_sec;
		if (n == cap) {
			struct clip_ent *p = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			v = p;
		}
		v[n++] = e;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), clip_cmp);
	if (!ret)
		ret = conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				  "Cache-Control: no-store\r\n" HTTP_SECURITY_HEADERS
				  "Connection: close\r\n\r\n{\"clips\":[");
	c->keep_alive = false;
	for (size_t i = 0; !ret && i < n; i++)
		ret = conn_printf(c, "%s{\"id\":\"%s\",\"size\":%llu,\"mtime\":%lld,"
				  "\"recording\":%s}", i ? "," : "", v[i].id, v[i].size,
				  v[i].mtime, v[i].recording ? "true" : "false");
	if (!ret)
		ret = conn_printf(c, "]}\n");
	free(v);
	h->requests[2]++;
	if (ret) {
		conn_close(h, c);
		return;
	}
	conn_flush(h, c);
}

int http_file_refill(struct http_server *h, struct http_conn *c)
{
	const uint64_t now = mono_ns();
	size_t want = HTTP_FILE_PIECE;
	char hdr[16];
	struct stat st;
	ssize_t n;
	int ret;

	if (c->growing) {
		if (fstat(c->file_fd, &st))
			return -errno;
		if ((uint64_t)st.st_size <= c->file_off) {
			if (!access(c->part_path, F_OK)) {
				/* still recording; a recorder that died ends it */
				return now - c->grow_ns > (uint64_t)h->cfg->http.idle_s * SEC ?
				       -ETIMEDOUT : 0;
			}
			/* renamed (closed): whatever came last, then the end */
			if (fstat(c->file_fd, &st))
				return -errno;
			if ((uint64_t)st.st_size <= c->file_off) {
				c->growing = false;
				c->file_end = c->file_off;
				return c->chunked ? conn_append(c, "0\r\n\r\n", 5, HTTP_OUT_MAX) : 0;
			}
		}
		c->grow_ns = now;
		c->file_end = (uint64_t)st.st_size;
	}
	if (c->file_off >= c->file_end)
		return 0;
	if (c->file_end - c->file_off < want)
		want = (size_t)(c->file_end - c->file_off);
	ret = conn_reserve(c, want + 32, HTTP_OUT_MAX);
	if (ret)
		return ret;
	if (c->chunked)
		c->q_len += 10;	/* room for the chunk size line */
	n = pread(c->file_fd, c->q + c->q_len, want, (off_t)c->file_off);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;	/* truncated under us */
	if (c->chunked) {
		const int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", (size_t)n);

		/* the size line goes right before the data */
		memmove(c->q + c->q_len - 10 + (size_t)hl, c->q + c->q_len, (size_t)n);
		memcpy(c->q + c->q_len - 10, hdr, (size_t)hl);
		c->q_len += (size_t)n - 10 + (size_t)hl;
		memcpy(c->q + c->q_len, "\r\n", 2);
		c->q_len += 2;
	} else {
		c->q_len += (size_t)n;
	}
	c->file_off += (uint64_t)n;
	return 0;
}

/* The clip's answer is queued: send it (its audit record is on disk). */
static void clip_send(struct http_server *h, struct http_conn *c)
{
	h->requests[2]++;
	c->mode = CONN_FILE;
	if (http_file_refill(h, c)) {
		conn_close(h, c);
		return;
	}
	conn_flush(h, c);
}

/* Its audit record failed: the queued head is dropped, 500 instead. */
static void clip_refused(struct http_server *h, struct http_conn *c, int res)
{
	fprintf(stderr, "vigild: http: audit log %s: %s: %s not streamed\n", h->audit_path,
		strerror(-res), c->clip);
	c->q_len = 0;
	close(c->file_fd);
	c->file_fd = -1;
	c->growing = false;
	http_error(h, c, 500, "the audit log cannot be written");
}

/*
 * audit.c: the access's record is on disk, or could not be written (an
 * access that cannot be recorded does not happen: 500, nothing of the
 * clip sent). @cookie names the connection: one closed meanwhile is gone.
 */
static void clip_audited(void *arg, uint64_t cookie, int res)
{
	struct http_server *h = arg;
	const unsigned int slot = (unsigned int)(cookie & 0xffffffffu);
	struct http_conn *c = slot < h->nconns ? &h->conns[slot] : NULL;

	if (!c || c->fd < 0 || c->gen != (unsigned int)(cookie >> 32) || !c->audit_wait)
		return;
	c->audit_wait = false;
	if (c->closing)
		return;
	if (res)
		clip_refused(h, c, res);
	else
		clip_send(h, c);
}

static void get_clip(struct http_server *h, struct http_conn *c,
		     const struct http_request *r, const char *id)
{
	const char *dir = h->cfg->record.dir;
	char path[VIGIL_PATH_MAX + 48], client[VIGIL_AUDIT_CLIENT_MAX + 1];
	char extra[128] = "";
	uint64_t first = 0, last = 0;
	struct stat st;
	const char *range;
	size_t rlen;
	int fd, status = 200, ret;

	/* ids come from the URL: only the exact shape goes near a path */
	if (!dir[0] || !h->audit || !vigil_clip_id_valid(id)) {
		http_error(h, c, 404, "no such clip");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s" VIGIL_CLIP_EXT, dir, id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	c->growing = false;
	if (fd < 0 && errno == ENOENT) {
		snprintf(c->part_path, sizeof(c->part_path), "%s/%s" VIGIL_CLIP_PART_EXT,
			 dir, id);
		fd = open(c->part_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		c->growing = fd >= 0;
	}
	if (fd < 0) {
		http_error(h, c, errno == ENOENT ? 404 : 403, "no such clip");
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		http_error(h, c, 404, "no such clip");
		return;
	}
	c->file_fd = fd;
	c->file_off = 0;
	c->file_end = (uint64_t)st.st_size;
	c->chunked = false;
	c->grow_ns = mono_ns();
	snprintf(c->clip, sizeof(c->clip), "%s", id);
	range = http_field(r, "Range", &rlen);
	if (range && !c->growing) {
		ret = http_range(range, rlen, (uint64_t)st.st_size, &first, &last);
		/* a Range refused: nothing of the clip is given, nothing to audit */
		if (ret == -ERANGE) {
			snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu\r\n",
				 (unsigned long long)st.st_size);
			close(fd);
			c->file_fd = -1;
			http_respond(h, c, 416, "application/json", "{}\n", 3, extra);
			return;
		}
		if (ret == -EINVAL) {
			close(fd);
			c->file_fd = -1;
			http_error(h, c, 400, "bad Range");
			return;
		}
		if (!ret) {
			status = 206;
			c->file_off = first;
			c->file_end = last + 1;
			snprintf(extra, sizeof(extra), "Content-Range: bytes %llu-%llu/%llu\r\n",
				 (unsigned long long)first, (unsigned long long)last,
				 (unsigned long long)st.st_size);
		}
	}
	/* the answer's head, queued: nothing is sent before the record is on disk */
	if (c->growing) {
		/* the length is not known yet: chunks (1.1) or until close (1.0) */
		c->chunked = r->minor == 1;
		c->keep_alive = c->keep_alive && c->chunked;
		ret = conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.vigil.clip\r\n"
				  "%sCache-Control: no-store\r\n" HTTP_SECURITY_HEADERS
				  "X-Vigil-Recording: yes\r\nConnection: %s\r\n\r\n",
				  c->chunked ? "Transfer-Encoding: chunked\r\n" : "",
				  c->keep_alive ? "keep-alive" : "close");
	} else {
		ret = conn_printf(c, "HTTP/1.1 %d %s\r\nContent-Type: application/vnd.vigil.clip\r\n"
				  "Content-Length: %llu\r\nAccept-Ranges: bytes\r\n%s"
				  "Content-Disposition: attachment; filename=\"%s" VIGIL_CLIP_EXT "\"\r\n"
				  "Cache-Control: no-store\r\n" HTTP_SECURITY_HEADERS
				  "Connection: %s\r\n\r\n", status, http_reason(status),
				  (unsigned long long)(c->file_end - c->file_off), extra, id,
				  c->keep_alive ? "keep-alive" : "close");
	}
	if (ret) {
		conn_close(h, c);
		return;
	}
	if (c->head_only) {
		c->file_end = c->file_off;
		c->growing = false;
	}
	/*
	 * Every clip access is in the audit log before its first byte goes
	 * out, as before; the record's write and fdatasync run on the ring
	 * (audit.c) and the answer waits for them, not the loop.
	 */
	snprintf(client, sizeof(client), "%s token:%s", c->addr, h->token_id);
	c->audit_wait = true;
	ret = audit_append(h->audit, "stream", id, client, clip_audited, h,
			   (uint64_t)c->gen << 32 | c->slot);
	if (ret) {
		c->audit_wait = false;
		clip_refused(h, c, ret);
	}
}

/* ---------------------------------------------------------------- */
/* metrics: the Prometheus text format */

static int metric(struct http_conn *c, const char *name, const char *type,
		  const char *help, unsigned long long v)
{
	return conn_printf(c, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help,
			   name, type, name, v);
}

static int histogram_out(struct http_conn *c, const char *name, const char *help,
			 const struct histogram *hg)
{
	int ret = conn_printf(c, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);

	for (unsigned int i = 0; !ret && i < hg->n; i++)
		ret = conn_printf(c, "%s_bucket{le=\"%g\"} %lu\n", name, hg->le[i],
				  hg->count[i]);
	if (!ret)
		ret = conn_printf(c, "%s_bucket{le=\"+Inf\"} %lu\n%s_sum %.9f\n%s_count %lu\n",
				  name, hg->total, name, hg->sum, name, hg->total);
	return ret;
}

/* @s as a label value: \\, \" and \n escaped (the text format's rules). */
static int label_value(struct http_conn *c, const char *s)
{
	int ret = 0;

	for (; !ret && *s; s++) {
		const size_t run = strcspn(s, "\\\"\n");

		ret = run ? conn_append(c, s, run, HTTP_OUT_MAX) : 0;
		s += run;
		if (ret || !*s)
			break;
		ret = conn_append(c, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", 2,
				  HTTP_OUT_MAX);
	}
	return ret;
}

/* The audit writer's counters (audit.c), one sample per log, label log="PATH". */
static int audit_metrics(struct http_conn *c)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} m[] = {
		{ "vigil_audit_records_total", "Audit records written and fdatasync'ed, per "
		  "audit log.", offsetof(struct audit_counters, records) },
		{ "vigil_audit_errors_total", "Audit records whose write or fdatasync failed.",
		  offsetof(struct audit_counters, errors) },
		{ "vigil_audit_dropped_total", "Audit records not queued (malformed, or 64 "
		  "waiting).", offsetof(struct audit_counters, dropped) },
		{ "vigil_audit_reopens_total", "Audit logs opened again on SIGHUP.",
		  offsetof(struct audit_counters, reopens) },
		{ "vigil_audit_reopen_errors_total", "Audit logs that could not be opened "
		  "again on SIGHUP (records go on to the old file).",
		  offsetof(struct audit_counters, reopen_errors) },
	};
	struct audit_counters ac[AUDIT_LOGS];
	const unsigned int n = audit_counters(ac, AUDIT_LOGS);
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(m) / sizeof(m[0]); i++) {
		ret = conn_printf(c, "# HELP %s %s\n# TYPE %s counter\n", m[i].name, m[i].help,
				  m[i].name);
		for (unsigned int j = 0; !ret && j < n; j++) {
			const unsigned long v =
				*(const unsigned long *)((const char *)&ac[j] + m[i].off);

			ret = conn_printf(c, "%s{log=\"", m[i].name);
			if (!ret)
				ret = label_value(c, ac[j].path);
			if (!ret)
				ret = conn_printf(c, "\"} %lu\n", v);
		}
	}
	return ret;
}

static void get_metrics(struct http_server *h, struct http_conn *c)
{
	static const char *const cls[] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct vigild_status s;
	int ret;

	h->d.status(h->d.arg, &s);
	h->requests[2]++;
	c->keep_alive = false;
	ret = conn_printf(c, "HTTP/1.1 200 OK\r\n"
			  "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			  "Cache-Control: no-store\r\n" HTTP_SECURITY_HEADERS
			  "Connection: close\r\n\r\n");
	if (!ret)
		ret = metric(c, "vigil_frames_total", "counter", "Frames captured and analysed.",
			     s.frames);
	if (!ret)
		ret = metric(c, "vigil_frames_dropped_total", "counter",
			     "Frames the capture lost (gaps in the sequence).", s.dropped);
	if (!ret)
		ret = metric(c, "vigil_motion_frames_total", "counter",
			     "Frames with motion.", s.motion_frames);
	if (!ret)
		ret = metric(c, "vigil_events_total", "counter", "Motion events started.",
			     s.events);
	if (!ret)
		ret = metric(c, "vigil_armed", "gauge", "1 when armed (recording allowed).",
			     s.armed);
	if (!ret)
		ret = metric(c, "vigil_http_clients", "gauge", "HTTP connections open.",
			     h->clients);
	if (!ret)
		ret = metric(c, "vigil_http_sent_bytes_total", "counter",
			     "Bytes written to HTTP clients.", h->bytes_sent);
	if (!ret)
		ret = metric(c, "vigil_http_auth_failures_total", "counter",
			     "Requests with a missing or wrong token.", h->auth_failures);
	if (!ret)
		ret = metric(c, "vigil_http_rate_limited_total", "counter",
			     "Requests refused by the authentication rate limit.",
			     h->rate_limited);
	if (!ret)
		ret = metric(c, "vigil_http_cut_off_total", "counter",
			     "Clients cut off (stalled, too slow, timed out).", h->cut_off);
	if (!ret)
		ret = metric(c, "vigil_http_live_frames_total", "counter",
			     "Live frames queued to clients.", h->live_frames);
	if (!ret)
		ret = metric(c, "vigil_http_live_dropped_total", "counter",
			     "Live frames dropped for clients whose queue was full.",
			     h->live_dropped);
	if (!ret)
		ret = metric(c, "vigil_http_live_skipped_total", "counter",
			     "Captured frames the live streams skipped (encoding over its "
			     "third of the time).", h->live_skipped);
	if (!ret)
		ret = metric(c, "vigil_http_mjpeg_encodes_total", "counter",
			     "JPEG images encoded for /api/live.mjpeg.", h->mjpeg_encodes);
	if (!ret)
		ret = metric(c, "vigil_http_mjpeg_encode_ns_total", "counter",
			     "Time spent encoding those JPEG images, ns.", h->mjpeg_ns);
	if (!ret)
		ret = conn_printf(c, "# HELP vigil_http_responses_total HTTP answers by "
				  "status class.\n# TYPE vigil_http_responses_total counter\n");
	for (unsigned int i = 1; !ret && i < 6; i++)
		ret = conn_printf(c, "vigil_http_responses_total{code=\"%s\"} %lu\n", cls[i],
				  h->requests[i]);
	if (!ret)
		ret = histogram_out(c, "vigil_detect_seconds",
				    "Detection time per frame.", &h->detect_h);
	if (!ret)
		ret = histogram_out(c, "vigil_http_request_seconds",
				    "Time to handle a request (to the first byte queued).",
				    &h->request_h);
	if (!ret)
		ret = audit_metrics(c);
	if (ret) {
		conn_close(h, c);
		return;
	}
	conn_flush(h, c);
}

/* ---------------------------------------------------------------- */
/* the routes */

/*
 * A browser's fetch() from a script (Sec-Fetch-Mode cors or same-origin):
 * it can send the bearer token, and a Basic challenge would only make the
 * browser open a login dialog over the owner's page.
 */
static bool script_fetch(const struct http_request *r)
{
	size_t n = 0;
	const char *m = http_field(r, "Sec-Fetch-Mode", &n);

	return m && ((n == 4 && !strncasecmp(m, "cors", 4)) ||
		     (n == 11 && !strncasecmp(m, "same-origin", 11)));
}

void http_api(struct http_server *h, struct http_conn *c,
	      const struct http_request *r)
{
	const char *p = r->path;
	const bool get = r->method == HTTP_GET || r->method == HTTP_HEAD;
	const bool is_metrics = !strcmp(p, "/metrics");
	const bool is_mjpeg = !strcmp(p, "/api/live.mjpeg");
	int ret;

	/* the owner's page is public code: no token (issue #14) */
	if (!is_metrics && http_web_owns(h, p)) {
		http_web_serve(h, c, r);
		return;
	}
	ret = http_authorize(h, c, r, is_metrics && h->cfg->http.metrics_public,
			     is_mjpeg && r->method == HTTP_GET);
	if (ret == 401 && is_mjpeg && !script_fetch(r)) {
		static const char why[] = "{\"error\":\"the token is required, as a bearer token or as the password of Basic authentication\"}\n";

		/* players that only know Basic ask their user for it */
		http_respond(h, c, 401, "application/json", why, sizeof(why) - 1,
			     "WWW-Authenticate: Bearer realm=\"vigil\"\r\n"
			     "WWW-Authenticate: Basic realm=\"vigil\", charset=\"UTF-8\"\r\n");
		return;
	}
	if (ret) {
		http_error(h, c, ret, ret == 429 ? "too many failed attempts, wait a minute"
						 : "a valid bearer token is required");
		return;
	}
	if (is_metrics && get) {
		get_metrics(h, c);
	} else if (!strcmp(p, "/api/status") && get) {
		get_status(h, c);
	} else if (!strcmp(p, "/api/arm") && r->method == HTTP_POST) {
		post_arm(h, c, true);
	} else if (!strcmp(p, "/api/disarm") && r->method == HTTP_POST) {
		post_arm(h, c, false);
	} else if (!strcmp(p, "/api/events") && get) {
		get_events(h, c, r);
	} else if (!strcmp(p, "/api/events/stream") && r->method == HTTP_GET) {
		get_events_stream(h, c, r);
	} else if (!strcmp(p, "/api/clips") && get) {
		get_clips(h, c);
	} else if (!strncmp(p, "/api/clips/", 11) && get) {
		get_clip(h, c, r, p + 11);
	} else if (!strcmp(p, "/api/live") && r->method == HTTP_GET) {
		http_live_start(h, c, false);
	} else if (!strcmp(p, "/api/live.mjpeg") && r->method == HTTP_GET) {
		http_live_start(h, c, true);
	} else if (!strcmp(p, "/api/arm") || !strcmp(p, "/api/disarm") ||
		   !strcmp(p, "/api/status") || !strcmp(p, "/api/events") ||
		   !strcmp(p, "/api/clips") || is_metrics) {
		http_error(h, c, 405, NULL);
	} else {
		http_error(h, c, 404, NULL);
	}
}
