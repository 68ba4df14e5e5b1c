// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live streams of the frames vigild analyses, in the camera's colour:
 *   /api/live        the clip format (docs/clip-format.md) in the camera's
 *                    pixel format, without index and footer: a clip cut
 *                    short, which vigil-clip reads, records or recovers
 *                    into a closed clip;
 *   /api/live.mjpeg  multipart/x-mixed-replace JPEG at [http] mjpeg_fps,
 *                    coded from the YUV planes (jpeg-enc.c).
 * Each frame is encoded once for every watcher and only while someone
 * watches. Every client has a bounded queue: a client that cannot keep up
 * loses frames (clip stream: up to the next keyframe, which is then forced),
 * never memory, and never delays capture or the other clients. Encoding
 * for the watchers takes at most a third of the loop's time: on a CPU too
 * slow for every frame the streams get fewer frames, the capture loses none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "http-int.h"
#include "jpeg-enc.h"
#include "mjpeg.h"

#define LIVE_KEYINT 30
#define BOUNDARY "vigilframe"

struct http_live {
	unsigned int width, height;
	enum vigil_pixfmt fmt;		/* of the clip stream */
	uint8_t *frame;			/* the frame, packed in fmt */
	size_t fsize;
	/* the clip stream */
	struct vigil_encoder *enc;
	struct vigil_clip_writer *w;
	uint8_t *hdr;			/* magic + HEAD: each client's start */
	size_t hdr_len;
	uint8_t *enc_buf;
	size_t enc_cap;
	uint8_t *chunk;			/* what the writer emitted for a frame */
	size_t chunk_len, chunk_cap;
	bool capture_hdr;
	/* the budget: encoding for watchers takes at most a third of the time */
	uint64_t cost_ns;		/* moving average of one frame's encoding */
	uint64_t last_ns;		/* when the last one started */
	/* MJPEG */
	struct jpeg_enc *jenc;
	uint64_t next_jpeg_ns;
};

static int live_sink(void *arg, const void *buf, size_t len)
{
	struct http_live *l = arg;
	uint8_t **dst = l->capture_hdr ? &l->hdr : &l->chunk;
	size_t *dlen = l->capture_hdr ? &l->hdr_len : &l->chunk_len;
	size_t cap = l->capture_hdr ? *dlen : l->chunk_cap;

	if (*dlen + len > cap) {
		const size_t n = (*dlen + len) * 2;
		uint8_t *p = realloc(*dst, n);

		if (!p)
			return -ENOMEM;
		*dst = p;
		if (!l->capture_hdr)
			l->chunk_cap = n;
	}
	memcpy(*dst + *dlen, buf, len);
	*dlen += len;
	return 0;
}

static void clip_stop(struct http_live *l)
{
	vigil_clip_writer_free(l->w);
	vigil_encoder_free(l->enc);
	free(l->hdr);
	l->w = NULL;
	l->enc = NULL;
	l->hdr = NULL;
	l->hdr_len = 0;
}

static int clip_start(struct http_live *l, const struct vigil_config *cfg)
{
	struct vigil_clip_header hd = { .fps_num = cfg->fps ? cfg->fps : 30, .fps_den = 1 };
	struct timespec ts;
	int ret;

	vigil_codec_params_default(&hd.codec);
	hd.codec.fmt = l->fmt;
	hd.codec.width = l->width;
	hd.codec.height = l->height;
	hd.codec.keyint = LIVE_KEYINT;
	clock_gettime(CLOCK_REALTIME, &ts);
	hd.created_wall_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	snprintf(hd.camera, sizeof(hd.camera), "vigild-live");
	ret = vigil_encoder_new(&hd.codec, &l->enc);
	if (ret)
		return ret;
	if (vigil_encoder_bound(l->enc) > l->enc_cap) {
		free(l->enc_buf);
		l->enc_cap = vigil_encoder_bound(l->enc);
		l->enc_buf = malloc(l->enc_cap);
		if (!l->enc_buf) {
			l->enc_cap = 0;
			clip_stop(l);
			return -ENOMEM;
		}
	}
	l->capture_hdr = true;
	ret = vigil_clip_writer_new(&hd, NULL, live_sink, l, &l->w);
	l->capture_hdr = false;
	if (ret)
		clip_stop(l);
	return ret;
}

void http_live_start(struct http_server *h, struct http_conn *c, bool mjpeg)
{
	int ret;

	if (!h->live) {
		h->live = calloc(1, sizeof(*h->live));
		if (!h->live) {
			http_error(h, c, 500, NULL);
			return;
		}
	}
	c->mode = CONN_LIVE;
	c->mjpeg = mjpeg;
	c->need_header = c->need_key = !mjpeg;
	c->keep_alive = false;
	h->requests[2]++;
	if (mjpeg)
		ret = conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;"
				  "boundary=" BOUNDARY "\r\nCache-Control: no-store\r\n"
				  HTTP_SECURITY_HEADERS "Connection: close\r\n\r\n");
	else
		ret = conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.vigil.clip\r\n"
				  "Cache-Control: no-store\r\n" HTTP_SECURITY_HEADERS
				  "Connection: close\r\n\r\n");
	if (ret) {
		conn_close(h, c);
		return;
	}
	conn_flush(h, c);
}

/*
 * The clip stream's format: the frame's (packed 4:2:2 of odd width, which
 * the codec cannot store, as GREY).
 */
static enum vigil_pixfmt live_format(const struct vigil_frame *f)
{
	const enum vigil_pixfmt fmt = vigil_frame_format(f);

	if ((fmt == VIGIL_FMT_YUYV || fmt == VIGIL_FMT_UYVY) && (f->width & 1))
		return VIGIL_FMT_GREY;
	return fmt;
}

/* Room for the frame packed in its format: 1 when the size or format changed. */
static int pack(struct http_live *l, const struct vigil_frame *f)
{
	const enum vigil_pixfmt fmt = live_format(f);
	size_t size;

	if (f->width != l->width || f->height != l->height || fmt != l->fmt || !l->frame) {
		uint8_t *p;

		if (vigil_pixfmt_frame_size(fmt, f->width, f->height, &size))
			return -EINVAL;
		p = realloc(l->frame, size);
		if (!p)
			return -ENOMEM;
		l->frame = p;
		l->fsize = size;
		l->fmt = fmt;
		l->width = f->width;
		l->height = f->height;
		return 1;	/* the size changed */
	}
	return 0;
}

static void live_clip(struct http_server *h, const struct vigil_frame *f,
		      unsigned int watchers, bool need_key)
{
	struct http_live *l = h->live;
	struct vigil_clip_frame_meta m = { .mono_ns = f->ts_ns };
	struct timespec ts;
	size_t len;
	bool key;
	int ret;

	if (!l->w && clip_start(l, h->cfg))
		return;
	if (need_key)
		vigil_encoder_force_key(l->enc);
	if (vigil_frame_pack(f, l->fmt, l->frame, l->fsize))
		return;
	ret = vigil_encoder_encode(l->enc, l->frame, l->enc_buf, l->enc_cap, &len, &key);
	if (ret)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	m.wall_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	l->chunk_len = 0;
	ret = vigil_clip_writer_frame(l->w, l->enc_buf, len, &m);
	if (ret) {
		/* the writer is full (2^24 frames): streams end, clients reconnect */
		for (unsigned int i = 0; i < h->nconns; i++) {
			struct http_conn *c = &h->conns[i];

			if (c->fd >= 0 && c->mode == CONN_LIVE && !c->mjpeg)
				conn_close(h, c);
		}
		clip_stop(l);
		return;
	}
	for (unsigned int i = 0; i < h->nconns && watchers; i++) {
		struct http_conn *c = &h->conns[i];
		size_t need;

		if (c->fd < 0 || c->closing || c->mode != CONN_LIVE || c->mjpeg)
			continue;
		if (c->need_key && !key)
			continue;
		need = l->chunk_len + (c->need_header ? l->hdr_len : 0);
		if (conn_reserve(c, need, HTTP_LIVE_QUEUE)) {
			/* full: this client skips to the next keyframe */
			c->need_key = true;
			c->live_dropped++;
			h->live_dropped++;
			continue;
		}
		if (c->need_header)
			conn_append(c, l->hdr, l->hdr_len, HTTP_LIVE_QUEUE);
		conn_append(c, l->chunk, l->chunk_len, HTTP_LIVE_QUEUE);
		c->need_header = c->need_key = false;
		h->live_frames++;
		conn_flush(h, c);
	}
}

static void live_mjpeg(struct http_server *h, const struct vigil_frame *f)
{
	struct http_live *l = h->live;
	const uint64_t t0 = mono_ns();
	const uint64_t period = 1000000000ULL / h->cfg->http.mjpeg_fps;
	const unsigned char *jpeg;
	unsigned long jlen;
	const void *passed;
	size_t passed_len;
	char part[160];
	int plen;

	if (t0 < l->next_jpeg_ns)
		return;
	/* the next one a period later, without drifting behind */
	l->next_jpeg_ns = l->next_jpeg_ns + period > t0 ? l->next_jpeg_ns + period : t0 + period;
	if (!mjpeg_frame_jpeg(f, &passed, &passed_len)) {
		/* an MJPEG camera's own JPEG, as it sent it (issue #8) */
		jpeg = passed;
		jlen = (unsigned long)passed_len;
	} else {
		if (!l->jenc && jpeg_enc_new(&l->jenc))
			return;
		if (jpeg_enc_frame(l->jenc, f, (int)h->cfg->http.mjpeg_quality, &jpeg, &jlen)) {
			fprintf(stderr, "vigild: http: JPEG: %s\n", jpeg_enc_error(l->jenc));
			return;
		}
		h->mjpeg_encodes++;
		h->mjpeg_ns += mono_ns() - t0;
	}
	plen = snprintf(part, sizeof(part), "--" BOUNDARY "\r\nContent-Type: image/jpeg\r\n"
			"Content-Length: %lu\r\nX-Frame: %u\r\n\r\n", jlen, f->seq);
	for (unsigned int i = 0; i < h->nconns; i++) {
		struct http_conn *c = &h->conns[i];

		if (c->fd < 0 || c->closing || c->mode != CONN_LIVE || !c->mjpeg)
			continue;
		if (conn_reserve(c, (size_t)plen + jlen + 2, HTTP_LIVE_QUEUE)) {
			c->live_dropped++;
			h->live_dropped++;
			continue;
		}
		conn_append(c, part, (size_t)plen, HTTP_LIVE_QUEUE);
		conn_append(c, jpeg, jlen, HTTP_LIVE_QUEUE);
		conn_append(c, "\r\n", 2, HTTP_LIVE_QUEUE);
		h->live_frames++;
		conn_flush(h, c);
	}
}

void http_live_frame(struct http_server *h, const struct vigil_frame *f)
{
	unsigned int clip = 0, mjpeg = 0;
	bool need_key = false;
	int ret;

	for (unsigned int i = 0; i < h->nconns; i++) {
		const struct http_conn *c = &h->conns[i];

		if (c->fd < 0 || c->closing || c->mode != CONN_LIVE)
			continue;
		if (c->mjpeg) {
			mjpeg++;
		} else {
			clip++;
			need_key |= c->need_key;
		}
	}
	if (!h->live)
		return;
	if (!clip && h->live->w)
		clip_stop(h->live);	/* nobody watches: no encoding */
	if (!clip && !mjpeg)
		return;
	ret = pack(h->live, f);
	if (ret < 0)
		return;
	if (ret > 0 && h->live->w) {
		/* another size: the clip streams end */
		for (unsigned int i = 0; i < h->nconns; i++) {
			struct http_conn *c = &h->conns[i];

			if (c->fd >= 0 && c->mode == CONN_LIVE && !c->mjpeg)
				conn_close(h, c);
		}
		clip_stop(h->live);
		return;
	}
	{
		struct http_live *l = h->live;
		const uint64_t t0 = mono_ns();
		uint64_t cost;

		if (l->cost_ns && t0 - l->last_ns < 3 * l->cost_ns) {
			h->live_skipped++;
			return;
		}
		if (clip)
			live_clip(h, f, clip, need_key);
		if (mjpeg)
			live_mjpeg(h, f);
		cost = mono_ns() - t0;
		l->cost_ns = l->cost_ns ? (l->cost_ns * 3 + cost) / 4 : cost;
		l->last_ns = t0;
	}
}

void http_live_free(struct http_server *h)
{
	struct http_live *l = h->live;

	if (!l)
		return;
	clip_stop(l);
	jpeg_enc_free(l->jenc);
	free(l->frame);
	free(l->enc_buf);
	free(l->chunk);
	free(l);
	h->live = NULL;
}
