/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigild's HTTP/1.1 API ([http]): one listening socket and its clients,
 * served on the daemon's io_uring (owner HTTP_LOOP_ID), no threads.
 */
#ifndef VIGILD_HTTP_H
#define VIGILD_HTTP_H

#include "vigild.h"

#define HTTP_LOOP_ID 11		/* owner in LOOP_TAG() */

struct http_server;

/* What vigild tells the API and what the API may change in vigild. */
struct http_daemon {
	void *arg;
	void (*status)(void *arg, struct vigild_status *s);
	void (*set_armed)(void *arg, bool on);
};

/*
 * Bind [http] listen and load (or create) the token. -EINVAL with @err for
 * a bad configuration, -errno for the rest.
 */
int http_open(struct http_server **out, const struct vigil_config *c,
	      struct loop *l, const struct http_daemon *d, char *err,
	      size_t errlen);
/* Arm the accept and the server's timer on the loop. */
int http_start(struct http_server *h);
/* A completion of one of the server's tags. */
void http_ready(struct http_server *h, unsigned int tag,
		const struct io_uring_cqe *cqe);
/* One captured frame (for the live streams), valid during the call. */
void http_frame(struct http_server *h, const struct vigil_frame *f,
		uint64_t detect_ns);
/* Shut every client and the listener; the loop is still running. */
void http_stop(struct http_server *h);
void http_free(struct http_server *h);
/* Connections open now (for --stats). */
unsigned int http_clients(const struct http_server *h);

/* sink-http: priv is the http_server; keeps the recent events for the API */
extern const struct sink_ops sink_http_ops;

/* --rotate-token: write a new token to [http] token_file. */
int http_rotate_token(const struct vigil_config *c, char *err, size_t errlen);

#endif
