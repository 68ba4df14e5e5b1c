// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vigild's HTTP/1.1 server on the daemon's io_uring: a multishot accept,
 * one recv and at most one send in flight per client, a 1 s timer for the
 * timeouts. No thread, no blocking socket call: a client that is slow or
 * stops reading costs its own slot and queue, never a frame of capture.
 *
 * Tags (owner HTTP_LOOP_ID): kind in the top 4 bits, the slot's generation
 * in the next 12, the slot in the low 16; a completion for a slot that was
 * closed and reused since carries an old generation and is dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http-int.h"
#include "net.h"

enum {
	K_ACCEPT = 1,
	K_RECV,
	K_SEND,
	K_TIMER,
	K_CANCEL,
};

/* SO_SNDBUF of every client socket (the kernel doubles it). */
#define HTTP_SNDBUF (256 * 1024)

#define TAG(kind, c) LOOP_TAG(HTTP_LOOP_ID, (unsigned int)(kind) << 28 | \
			      ((c)->gen & 0xfff) << 16 | (c)->slot)
#define TAG_KIND(t)	((t) >> 28)
#define TAG_GEN(t)	(((t) >> 16) & 0xfff)
#define TAG_SLOT(t)	((t) & 0xffff)
#define SEC		1000000000ULL

static const double detect_le[] = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
				    0.05, 0.1 };
static const double request_le[] = { 0.0001, 0.0005, 0.001, 0.005, 0.01,
				     0.05, 0.1, 0.5 };

void histogram_add(struct histogram *hg, double v)
{
	for (unsigned int i = 0; i < hg->n; i++)
		if (v <= hg->le[i])
			hg->count[i]++;
	hg->total++;
	hg->sum += v;
}

/* ---------------------------------------------------------------- */
/* output buffers */

int conn_reserve(struct http_conn *c, size_t more, size_t cap)
{
	size_t need = c->q_len + more;
	char *p;

	if (need + (c->out_len - c->out_off) > cap)
		return -ENOBUFS;
	if (need <= c->q_cap)
		return 0;
	need = need < 4096 ? 4096 : need;
	if (need < c->q_cap * 2)
		need = c->q_cap * 2 > cap ? cap : c->q_cap * 2;
	p = realloc(c->q, need);
	if (!p)
		return -ENOMEM;
	c->q = p;
	c->q_cap = need;
	return 0;
}

int conn_append(struct http_conn *c, const void *p, size_t n, size_t cap)
{
	const int ret = conn_reserve(c, n, cap);

	if (ret)
		return ret;
	memcpy(c->q + c->q_len, p, n);
	c->q_len += n;
	return 0;
}

int conn_printf(struct http_conn *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return conn_append(c, buf, (size_t)n, HTTP_OUT_MAX);
}

/* ---------------------------------------------------------------- */
/* connections */

static void conn_free_slot(struct http_server *h, struct http_conn *c)
{
	close(c->fd);
	if (c->file_fd >= 0)
		close(c->file_fd);
	free(c->in);
	free(c->out);
	free(c->q);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->file_fd = -1;
	c->slot = (unsigned int)(c - h->conns);
	h->clients--;
}

/*
 * Close: shut the socket down (a recv in flight completes with 0, a send
 * with an error), cancel what is in flight, free the slot when nothing is.
 */
void conn_close(struct http_server *h, struct http_conn *c)
{
	const unsigned int gen = c->gen;

	if (c->fd < 0)
		return;
	if (!c->closing) {
		c->closing = true;
		shutdown(c->fd, SHUT_RDWR);
		if (c->recv_pending || c->send_pending) {
			loop_cancel_fd(h->loop, c->fd, TAG(K_CANCEL, c));
			c->cancel_sent = true;
		}
	}
	if (c->recv_pending || c->send_pending)
		return;
	conn_free_slot(h, c);
	c->gen = gen + 1;
}

static void conn_recv(struct http_server *h, struct http_conn *c)
{
	if (c->recv_pending || c->closing || c->in_len >= HTTP_IN_MAX)
		return;
	if (loop_recv(h->loop, c->fd, c->in + c->in_len, HTTP_IN_MAX - c->in_len,
		      TAG(K_RECV, c))) {
		conn_close(h, c);
		return;
	}
	c->recv_pending = true;
}

void conn_flush(struct http_server *h, struct http_conn *c)
{
	if (c->send_pending || c->closing)
		return;
	if (c->out_off >= c->out_len) {
		/* all of @out went: the queue becomes the next send */
		char *const p = c->out;
		const size_t cap = c->out_cap;

		c->out = c->q;
		c->out_cap = c->q_cap;
		c->out_len = c->q_len;
		c->out_off = 0;
		c->q = p;
		c->q_cap = cap;
		c->q_len = 0;
		if (!c->out_len)
			return;
	}
	if (loop_send(h->loop, c->fd, c->out + c->out_off, c->out_len - c->out_off,
		      TAG(K_SEND, c))) {
		conn_close(h, c);
		return;
	}
	c->send_pending = true;
	if (!c->progress_ns)
		c->progress_ns = mono_ns();
}

void http_respond(struct http_server *h, struct http_conn *c, int status,
		  const char *ctype, const char *body, size_t len,
		  const char *extra)
{
	int ret;

	h->requests[status / 100 < 6 ? status / 100 : 0]++;
	ret = conn_printf(c, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			  "Content-Length: %zu\r\nCache-Control: no-store\r\n"
			  HTTP_SECURITY_HEADERS "Connection: %s\r\n%s\r\n",
			  status, http_reason(status), ctype, len,
			  c->keep_alive ? "keep-alive" : "close", extra ? extra : "");
	if (!ret && len && !c->head_only)
		ret = conn_append(c, body, len, HTTP_OUT_MAX);
	if (ret) {
		conn_close(h, c);
		return;
	}
	conn_flush(h, c);
}

void http_error(struct http_server *h, struct http_conn *c, int status,
		const char *why)
{
	char body[256];
	const int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n",
			       why ? why : http_reason(status));

	/* after a malformed request the stream cannot be trusted: close */
	if (status == 400 || status == 408 || status == 413 || status == 414 ||
	    status == 431 || status == 501 || status == 505 || status == 503)
		c->keep_alive = false;
	http_respond(h, c, status, "application/json", body, (size_t)n,
		     status == 401 ? "WWW-Authenticate: Bearer realm=\"vigil\"\r\n" :
		     status == 429 ? "Retry-After: 60\r\n" : NULL);
}

/* Answer every complete request that is buffered, one at a time. */
static void conn_process(struct http_server *h, struct http_conn *c)
{
	while (!c->busy && !c->closing && c->in_len) {
		struct http_request r;
		const int ret = http_parse_request(c->in, c->in_len, &r);
		const uint64_t t0 = mono_ns();

		if (!ret) {
			if (!c->req_start_ns)
				c->req_start_ns = t0;
			break;
		}
		c->busy = true;
		c->head_only = false;
		c->keep_alive = false;
		if (ret < 0) {
			h->rejected++;
			c->in_len = 0;
			http_error(h, c, -ret, NULL);
			return;
		}
		c->keep_alive = r.keep_alive;
		c->head_only = r.method == HTTP_HEAD;
		http_api(h, c, &r);
		histogram_add(&h->request_h, (double)(mono_ns() - t0) / 1e9);
		/* the request's bytes are not referred to any more */
		memmove(c->in, c->in + ret, c->in_len - (size_t)ret);
		c->in_len -= (size_t)ret;
		c->req_start_ns = c->in_len ? mono_ns() : 0;
	}
	conn_recv(h, c);
}

/* Everything queued is sent: refill, or finish the answer. */
static void conn_sent_all(struct http_server *h, struct http_conn *c)
{
	switch (c->mode) {
	case CONN_FILE:
		if (http_file_refill(h, c) < 0) {
			conn_close(h, c);
			return;
		}
		if (c->q_len) {
			conn_flush(h, c);
			return;
		}
		if (c->growing)
			return;		/* the timer looks again */
		if (c->file_fd >= 0)
			close(c->file_fd);
		c->file_fd = -1;
		c->mode = CONN_REQUEST;
		break;
	case CONN_SSE:
	case CONN_LIVE:
		return;			/* streams until the client goes */
	case CONN_REQUEST:
		break;
	}
	c->busy = false;
	c->idle_ns = mono_ns();
	if (!c->keep_alive) {
		conn_close(h, c);
		return;
	}
	conn_process(h, c);
}

static void on_accept(struct http_server *h, const struct io_uring_cqe *cqe)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct http_conn *c = NULL;
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
	const int fd = cqe->res;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		h->accepting = false;
		if (!h->stopping && fd != -ECANCELED) {
			if (loop_accept_multishot(h->loop, h->fd,
						  LOOP_TAG(HTTP_LOOP_ID, K_ACCEPT << 28)))
				fprintf(stderr, "vigild: http: cannot accept any more\n");
			else
				h->accepting = true;
		}
	}
	if (fd < 0) {
		if (fd != -ECANCELED)
			fprintf(stderr, "vigild: http: accept: %s\n", strerror(-fd));
		return;
	}
	if (h->stopping) {
		close(fd);
		return;
	}
	for (unsigned int i = 0; i < h->nconns && !c; i++)
		if (h->conns[i].fd < 0)
			c = &h->conns[i];
	if (!c) {
		/* full: say so without waiting for the client, then close */
		static const char busy[] =
			"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
			"Retry-After: 5\r\n" HTTP_SECURITY_HEADERS
			"Connection: close\r\n\r\n";

		h->rejected++;
		h->requests[5]++;
		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			h->cut_off++;
		close(fd);
		return;
	}
	/*
	 * A bounded kernel send buffer: a client that stops reading holds at
	 * most this much of the kernel's memory, and its stalled send is
	 * noticed (and cut off after timeout_s) within a few frames instead
	 * of after the autotuned buffer (up to tcp_wmem's 4 MiB) fills.
	 */
	{
		const int sndbuf = HTTP_SNDBUF;

		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	c->fd = fd;
	c->file_fd = -1;
	c->in = malloc(HTTP_IN_MAX);
	h->clients++;
	c->idle_ns = mono_ns();
	if (!getpeername(fd, (struct sockaddr *)&ss, &sl))
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
			    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(c->ip, sizeof(c->ip), "%s", host);
	snprintf(c->addr, sizeof(c->addr), "%s%s%s:%s", strchr(host, ':') ? "[" : "",
		 host, strchr(host, ':') ? "]" : "", port);
	if (!c->in) {
		conn_close(h, c);
		return;
	}
	conn_recv(h, c);
}

static void on_recv(struct http_server *h, struct http_conn *c, int res)
{
	c->recv_pending = false;
	if (c->closing || res <= 0) {
		conn_close(h, c);
		return;
	}
	if (!c->in_len)
		c->req_start_ns = mono_ns();
	c->in_len += (size_t)res;
	if (c->busy) {
		/* streams: the client says nothing more; others wait */
		if (c->mode == CONN_SSE || c->mode == CONN_LIVE)
			c->in_len = 0;
		conn_recv(h, c);
		return;
	}
	conn_process(h, c);
}

static void on_send(struct http_server *h, struct http_conn *c, int res)
{
	c->send_pending = false;
	if (c->closing || res <= 0) {
		conn_close(h, c);
		return;
	}
	h->bytes_sent += (unsigned long long)res;
	c->out_off += (size_t)res;
	c->progress_ns = mono_ns();
	if (c->out_off < c->out_len || c->q_len) {
		conn_flush(h, c);
		return;
	}
	c->progress_ns = 0;
	conn_sent_all(h, c);
}

/* ---------------------------------------------------------------- */
/* the timer: timeouts, growing clips, the token file */

static int arm_timer(struct http_server *h)
{
	const int ret = loop_timeout_abs(h->loop, mono_ns() + SEC / 4, &h->timer_ts,
					 LOOP_TAG(HTTP_LOOP_ID, K_TIMER << 28));

	h->timer_armed = !ret;
	return ret;
}

static void on_timer(struct http_server *h)
{
	const uint64_t now = mono_ns();
	const uint64_t timeout = (uint64_t)h->cfg->http.timeout_s * SEC;
	const uint64_t idle = (uint64_t)h->cfg->http.idle_s * SEC;
	static unsigned int ticks;

	h->timer_armed = false;
	if (h->stopping)
		return;
	if (++ticks % 4 == 0)
		http_token_check(h);
	for (unsigned int i = 0; i < h->nconns; i++) {
		struct http_conn *c = &h->conns[i];

		if (c->fd < 0 || c->closing)
			continue;
		if (c->send_pending && c->progress_ns && now - c->progress_ns > timeout) {
			/* stopped reading: cut off, its queue freed */
			h->cut_off++;
			conn_close(h, c);
		} else if (!c->busy && c->req_start_ns &&
			   now - c->req_start_ns > timeout) {
			/* a request that trickles in (slowloris) */
			h->cut_off++;
			http_error(h, c, 408, NULL);
		} else if (!c->busy && !c->in_len && now - c->idle_ns > idle) {
			conn_close(h, c);
		} else if (c->mode == CONN_FILE && c->growing && !c->send_pending &&
			   !c->audit_wait) {
			conn_sent_all(h, c);
		}
	}
	arm_timer(h);
}

void http_ready(struct http_server *h, unsigned int tag,
		const struct io_uring_cqe *cqe)
{
	struct http_conn *c;

	switch (TAG_KIND(tag)) {
	case K_ACCEPT:
		on_accept(h, cqe);
		return;
	case K_TIMER:
		on_timer(h);
		return;
	}
	if (TAG_SLOT(tag) >= h->nconns)
		return;
	c = &h->conns[TAG_SLOT(tag)];
	if (c->fd < 0 || (c->gen & 0xfff) != TAG_GEN(tag))
		return;		/* a stale completion */
	switch (TAG_KIND(tag)) {
	case K_RECV:
		on_recv(h, c, cqe->res);
		break;
	case K_SEND:
		on_send(h, c, cqe->res);
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- */
/* setup */

static int parse_listen(const char *spec, struct addrinfo **ai, char *err,
			size_t errlen)
{
	const struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	char host[VIGIL_PATH_MAX];
	const char *colon = strrchr(spec, ':');
	const char *port;
	size_t hl;
	int ret;

	if (!colon || !colon[1])
		goto bad;
	port = colon + 1;
	hl = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (hl < 2 || spec[hl - 1] != ']')
			goto bad;
		memcpy(host, spec + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		memcpy(host, spec, hl);
		host[hl] = '\0';
		if (strchr(host, ':'))
			goto bad;
	}
	ret = getaddrinfo(host, port, &hints, ai);
	if (ret) {
		snprintf(err, errlen, "[http] listen = %s: %s", spec, gai_strerror(ret));
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "[http] listen = %s: expected ADDRESS:PORT "
		 "(127.0.0.1:8080, [::1]:8080)", spec);
	return -EINVAL;
}

int http_open(struct http_server **out, const struct vigil_config *c,
	      struct loop *l, const struct http_daemon *d, char *err,
	      size_t errlen)
{
	struct http_server *h = calloc(1, sizeof(*h));
	struct addrinfo *ai = NULL;
	const int one = 1;
	int ret;

	if (!h)
		return -ENOMEM;
	h->cfg = c;
	h->loop = l;
	h->d = *d;
	h->fd = -1;
	h->next_event = 1;
	h->detect_h = (struct histogram){ .le = detect_le, .n = 8 };
	h->request_h = (struct histogram){ .le = request_le, .n = 8 };
	if (c->record.dir[0])
		snprintf(h->audit_path, sizeof(h->audit_path), "%s", c->record.audit[0] ?
			 c->record.audit : c->record.dir);
	if (c->record.dir[0] && !c->record.audit[0])
		strcat(h->audit_path, "/audit.jsonl");
	/* the writer the recorder and push share (audit.c); at start, as theirs */
	if (h->audit_path[0]) {
		ret = audit_open(l, h->audit_path, &h->audit, err, errlen);
		if (ret) {
			/* a configuration error, as the recorder's (exit 2) */
			ret = ret == -ENOMEM ? ret : -EINVAL;
			goto fail;
		}
	}
	h->nconns = c->http.max_clients;
	h->conns = calloc(h->nconns, sizeof(*h->conns));
	if (!h->conns) {
		ret = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < h->nconns; i++) {
		h->conns[i].fd = -1;
		h->conns[i].file_fd = -1;
		h->conns[i].slot = i;
	}
	ret = parse_listen(c->http.listen, &ai, err, errlen);
	if (ret)
		goto fail;
	ret = http_token_load(h, err, errlen);
	if (ret)
		goto fail;
	ret = http_web_load(h, err, errlen);	/* the owner's page (issue #14) */
	if (ret)
		goto fail;
	h->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(h->fd, ai->ai_addr, ai->ai_addrlen) || listen(h->fd, 128)) {
		ret = -errno;
		snprintf(err, errlen, "[http] listen = %s: %s%s", c->http.listen,
			 strerror(-ret), net_denied_hint(ret));
		goto fail;
	}
	freeaddrinfo(ai);
	*out = h;
	return 0;
fail:
	if (ai)
		freeaddrinfo(ai);
	http_free(h);
	return ret;
}

int http_start(struct http_server *h)
{
	int ret = loop_accept_multishot(h->loop, h->fd,
					LOOP_TAG(HTTP_LOOP_ID, K_ACCEPT << 28));

	if (ret)
		return ret;
	h->accepting = true;
	return arm_timer(h);
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	h->stopping = true;
	for (unsigned int i = 0; i < h->nconns; i++)
		if (h->conns[i].fd >= 0)
			conn_close(h, &h->conns[i]);
	if (h->fd >= 0) {
		shutdown(h->fd, SHUT_RDWR);
		loop_cancel_fd(h->loop, h->fd, LOOP_TAG(HTTP_LOOP_ID, K_CANCEL << 28));
	}
	loop_submit_wait(h->loop, 0);
}

void http_free(struct http_server *h)
{
	if (!h)
		return;
	for (unsigned int i = 0; h->conns && i < h->nconns; i++) {
		struct http_conn *c = &h->conns[i];

		if (c->fd >= 0)
			close(c->fd);
		if (c->file_fd >= 0)
			close(c->file_fd);
		free(c->in);
		free(c->out);
		free(c->q);
	}
	free(h->conns);
	http_events_free(h);
	http_live_free(h);
	http_web_free(h);
	if (h->audit) {
		audit_forget(h->audit, h);
		audit_put(h->audit);
	}
	if (h->fd >= 0)
		close(h->fd);
	explicit_bzero(h->token, sizeof(h->token));
	free(h);
}

unsigned int http_clients(const struct http_server *h)
{
	return h ? h->clients : 0;
}

void http_frame(struct http_server *h, const struct vigil_frame *f,
		uint64_t detect_ns)
{
	histogram_add(&h->detect_h, (double)detect_ns / 1e9);
	http_live_frame(h, f);
}
