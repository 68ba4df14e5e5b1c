/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside vigild's HTTP API: connections (http.c), endpoints (http-api.c), auth (http-auth.c). */
#ifndef VIGILD_HTTP_INT_H
#define VIGILD_HTTP_INT_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "http-parse.h"
#include "audit.h"
#include "http.h"

#define HTTP_IN_MAX	(HTTP_MAX_HEAD + HTTP_MAX_BODY)
#define HTTP_OUT_MAX	(1u << 20)	/* a response or a stream's queue */
#define HTTP_FILE_PIECE	(64u << 10)	/* a clip is read and sent in these */
#define HTTP_EVENTS	256		/* the events kept for /api/events */
#define HTTP_AUTH_SLOTS	64		/* client addresses the rate limit tracks */
#define HTTP_AUTH_FAILS	5		/* failures per window before 429 */
#define HTTP_AUTH_WINDOW_NS (60ULL * 1000000000ULL)
#define HTTP_TOKEN_MAX	128
#define HTTP_LIVE_QUEUE	(4u << 20)	/* a live client's queue */

/*
 * BEGIN the owner's page (issue #14): on every answer, page and API alike.
 * The page is static, same-origin code: nothing inline, no other origin,
 * WebAssembly allowed to compile (the clip decoder's zstd).
 */
#define HTTP_CSP "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; " \
	"worker-src 'self'; connect-src 'self'; img-src 'self' blob: data:; " \
	"style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
#define HTTP_SECURITY_HEADERS "X-Content-Type-Options: nosniff\r\n" \
	"Content-Security-Policy: " HTTP_CSP "\r\n" \
	"Referrer-Policy: no-referrer\r\nCross-Origin-Opener-Policy: same-origin\r\n"
/* END the owner's page */

enum conn_mode {
	CONN_REQUEST,		/* reading a request or sending its answer */
	CONN_FILE,		/* a clip from disk, piece by piece */
	CONN_SSE,		/* /api/events/stream */
	CONN_LIVE,		/* /api/live, /api/live.mjpeg */
};

struct http_conn {
	int fd;				/* -1: free slot */
	unsigned int gen;		/* in the tags: stale completions */
	unsigned int slot;
	bool recv_pending, send_pending, closing, cancel_sent;
	char addr[64];			/* "ADDR:PORT" for the audit log */
	char ip[48];			/* the rate limit's key */
	char *in;			/* HTTP_IN_MAX bytes */
	size_t in_len;
	/*
	 * Two buffers: @out is what the send in flight reads (never moved or
	 * written while send_pending), @q collects what comes next; they swap
	 * when @out is sent. Together they hold at most the mode's cap.
	 */
	char *out;
	size_t out_len, out_off, out_cap;
	char *q;
	size_t q_len, q_cap;
	enum conn_mode mode;
	bool busy;			/* a request is being answered */
	bool keep_alive;
	bool head_only;			/* HEAD: no body */
	uint64_t req_start_ns;		/* first byte of the current request */
	uint64_t progress_ns;		/* the last send that moved bytes */
	uint64_t idle_ns;		/* since the last answer */
	/* CONN_FILE */
	int file_fd;
	uint64_t file_off, file_end;	/* [off, end) still to send */
	bool chunked, growing;		/* a .vclip.part: chunks until renamed */
	char clip[VIGIL_CLIP_ID_LEN + 1];
	char part_path[VIGIL_PATH_MAX + 48];	/* growing: renamed when closed */
	bool audit_wait;		/* its audit record is not on disk yet */
	uint64_t grow_ns;		/* growing: the last time it grew */
	/* CONN_SSE */
	uint64_t sse_next;		/* id of the next event to send */
	/* CONN_LIVE */
	bool mjpeg;
	bool need_header, need_key;	/* clip stream: before its first frame */
	unsigned long live_dropped;	/* frames this client missed (queue full) */
};

struct http_event {
	uint64_t id;
	char *line;			/* as the event log writes it, with '\n' */
	size_t len;
};

struct auth_slot {
	char ip[48];
	unsigned int fails;
	uint64_t window_ns;		/* start of the window */
};

struct histogram {
	const double *le;		/* upper bounds, seconds */
	unsigned int n;
	unsigned long count[16];
	unsigned long total;
	double sum;
};

struct http_server {
	const struct vigil_config *cfg;
	struct loop *loop;
	struct http_daemon d;
	int fd;				/* listening socket */
	bool accepting;
	struct __kernel_timespec timer_ts;
	bool timer_armed, stopping;
	struct http_conn *conns;
	unsigned int nconns;		/* slots (max_clients) */
	unsigned int clients;		/* open now */
	/* the token */
	char token[HTTP_TOKEN_MAX + 1];
	size_t token_len;
	char token_id[17];		/* hex of its hash: in the audit log */
	struct timespec token_mtime;
	ino_t token_ino;
	struct auth_slot auth[HTTP_AUTH_SLOTS];
	/* the events */
	struct http_event events[HTTP_EVENTS];
	uint64_t next_event;		/* id of the next event (from 1) */
	/* the clip directory */
	char audit_path[VIGIL_PATH_MAX + 32];
	struct audit *audit;		/* audit.c: its writer, NULL without a clip directory */
	/* metrics */
	unsigned long requests[6];	/* by class: 1xx .. 5xx; [0] other */
	unsigned long auth_failures, rate_limited, rejected, cut_off;
	unsigned long long bytes_sent;
	unsigned long live_frames, live_dropped;
	unsigned long live_skipped;	/* frames not encoded: over the budget */
	uint32_t last_seq;
	bool have_seq;
	unsigned long seq_gaps;
	struct histogram detect_h, request_h;
	struct http_web *web;		/* http-web.c: the page, NULL if off */
	/* live encoding */
	struct http_live *live;		/* http-live.c state, NULL if none */
	unsigned long mjpeg_encodes;
	uint64_t mjpeg_ns;		/* time spent encoding JPEG */
};

/* http.c */
int conn_reserve(struct http_conn *c, size_t more, size_t cap);
int conn_printf(struct http_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int conn_append(struct http_conn *c, const void *p, size_t n, size_t cap);
void conn_flush(struct http_server *h, struct http_conn *c);
void conn_close(struct http_server *h, struct http_conn *c);
/* A complete answer with a body; @extra: more header lines (each CRLF-ended). */
void http_respond(struct http_server *h, struct http_conn *c, int status,
		  const char *ctype, const char *body, size_t len,
		  const char *extra);
void http_error(struct http_server *h, struct http_conn *c, int status,
		const char *why);
void histogram_add(struct histogram *hg, double v);

/* http-api.c: route one parsed request */
void http_api(struct http_server *h, struct http_conn *c,
	      const struct http_request *r);
/* the file stream's next piece (CONN_FILE): 0, or -errno (closes) */
int http_file_refill(struct http_server *h, struct http_conn *c);
void http_events_free(struct http_server *h);

/* http-live.c: /api/live and /api/live.mjpeg */
void http_live_start(struct http_server *h, struct http_conn *c, bool mjpeg);
void http_live_frame(struct http_server *h, const struct vigil_frame *f);
void http_live_free(struct http_server *h);

/* http-web.c: the owner's page (issue #14), files held in memory */
int http_web_load(struct http_server *h, char *err, size_t errlen);
/* Does http_web_serve answer @path (not /api, not /metrics, page on)? */
bool http_web_owns(const struct http_server *h, const char *path);
void http_web_serve(struct http_server *h, struct http_conn *c,
		    const struct http_request *r);
void http_web_free(struct http_server *h);

/* http-auth.c */
int http_token_load(struct http_server *h, char *err, size_t errlen);
/* Reload the token if the file changed (--rotate-token). */
void http_token_check(struct http_server *h);
/*
 * 0 authorized; else the status to answer (401, 429). @basic_ok also
 * accepts the token as the password of HTTP Basic authentication (any user
 * name), for players that cannot send a bearer token (Home Assistant's
 * MJPEG camera, VLC, an <img> in a browser); only for read-only streams,
 * since browsers resend cached Basic credentials cross-site.
 */
int http_authorize(struct http_server *h, struct http_conn *c,
		   const struct http_request *r, bool public_ok, bool basic_ok);

#endif
